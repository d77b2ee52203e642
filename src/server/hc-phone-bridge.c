/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "HcPhoneBridge"

#include "config.h"

#include "hc-dtmf.h"
#include "hc-error.h"
#include "hc-media-room.h"
#include "hc-phone-bridge.h"
#include "hc-phone-media.h"
#include "hc-phone-rtp.h"
#include "hc-phone-sdp.h"
#include "hc-sid.h"
#include "hc-sms-twilio.h"

#include <gst/gst.h>
#include <libsoup/soup.h>
#include <string.h>

#if HAVE_SOFIA
#include <sofia-sip/nua.h>
#include <sofia-sip/nua_tag.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/su_glib.h>
#include <sofia-sip/su_log.h>
#include <sofia-sip/su_tag.h>
#endif

/*
 * The phone bridge dials out over SIP and carries the call's audio. Nothing
 * here logs a phone number, a label or digits: calls are named by their SID.
 *
 * A call's life: initiated (INVITE sent) → ringing (180/183) → answered
 * (200 with usable SDP; digits and media start) → completed (either side's
 * BYE, the maximum duration, the room ending). Before an answer it may end
 * busy (486/600), no-answer (the ring timeout, 408/480), canceled (the
 * provider hung up) or failed (any other final response, with its code).
 */

#define SHUTDOWN_WAIT_US (3 * G_USEC_PER_SEC)
#define CANCEL_GRACE_SECONDS 5

enum {
  SIGNAL_CALL_CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

typedef struct _PhoneCall PhoneCall;

struct _HcPhoneBridge
{
  GObject          parent_instance;

  const HcConfig  *config;          /* unowned: the server owns it */
  HcStore         *store;
  HcMedia         *media;           /* unowned: the server's */
  gboolean         audio;           /* GStreamer has what the audio bridge needs */
  GHashTable      *calls;           /* sid → PhoneCall, until the dialog is gone */
  SoupSession     *http;            /* status callbacks */
  GHashTable      *callbacks;       /* call sid → GQueue of SoupMessage: head in flight */
  gboolean         started;
#if HAVE_SOFIA
  su_root_t       *root;
  GSource         *source;
  nua_t           *nua;
  gboolean         shutdown_done;
#endif
};

struct _PhoneCall
{
  HcPhoneBridge     *bridge;        /* unowned */
  HcPhoneCallRecord *record;
  GArray            *digits;        /* parsed send_digits, for after the answer */
#if HAVE_SOFIA
  nua_handle_t      *nh;
#endif
  HcPhoneRtp        *rtp;
  HcPhoneMedia      *media;
  guint              time_limit;      /* seconds after the answer */
  guint              ring_timer;
  guint              max_timer;
  guint              cancel_timer;
  char              *pending_status;  /* what a CANCEL we sent means: no-answer or canceled */
  char              *pending_hangup_by;
  gboolean           auth_tried;
  guint              callback_sequence;
};

G_DEFINE_FINAL_TYPE (HcPhoneBridge, hc_phone_bridge, G_TYPE_OBJECT)

gboolean
hc_phone_call_status_is_final (const char *status)
{
  static const char * const final[] = {
    "completed", "busy", "no-answer", "failed", "canceled", NULL
  };

  return status != NULL && g_strv_contains (final, status);
}

static void
phone_call_free (PhoneCall *call)
{
  g_clear_handle_id (&call->ring_timer, g_source_remove);
  g_clear_handle_id (&call->max_timer, g_source_remove);
  g_clear_handle_id (&call->cancel_timer, g_source_remove);
  if (call->media != NULL)
    {
      g_signal_handlers_disconnect_by_data (call->media, call);
      hc_phone_media_stop (call->media);
    }
  g_clear_object (&call->media);
  if (call->rtp != NULL)
    hc_phone_rtp_stop (call->rtp);
  g_clear_object (&call->rtp);
#if HAVE_SOFIA
  if (call->nh != NULL)
    {
      nua_handle_bind (call->nh, NULL);
      nua_handle_destroy (call->nh);
      call->nh = NULL;
    }
#endif
  g_clear_pointer (&call->digits, g_array_unref);
  g_clear_pointer (&call->record, hc_phone_call_record_free);
  g_free (call->pending_status);
  g_free (call->pending_hangup_by);
  g_free (call);
}

#if HAVE_SOFIA

/* Status callbacks, shaped like Twilio's call progress events. */

static const char *
twilio_call_status (const char *status)
{
  return g_strcmp0 (status, "answered") == 0 ? "in-progress" : status;
}

static const char *
callback_event_for (const char *status)
{
  if (hc_phone_call_status_is_final (status))
    return "completed";
  return status;
}

/* A call's status callbacks go one at a time, in order: each waits for the one
 * before it to be answered (or to fail), so a receiver sees initiated before
 * ringing even without reading SequenceNumber. (Twilio does not promise that.) */
typedef struct
{
  GWeakRef  bridge;
  char     *sid;
} CallbackSend;

static void
callback_send_free (CallbackSend *send)
{
  g_weak_ref_clear (&send->bridge);
  g_free (send->sid);
  g_free (send);
}

static void
callback_queue_free (gpointer queue)
{
  g_queue_free_full (queue, g_object_unref);
}

static void on_callback_sent (GObject *source, GAsyncResult *result, gpointer user_data);

static void
send_next_callback (HcPhoneBridge *self,
                    const char    *sid)
{
  GQueue *queue = g_hash_table_lookup (self->callbacks, sid);
  CallbackSend *send;

  if (queue == NULL || g_queue_is_empty (queue))
    return;
  send = g_new0 (CallbackSend, 1);
  g_weak_ref_init (&send->bridge, self);
  send->sid = g_strdup (sid);
  soup_session_send_and_read_async (self->http, g_queue_peek_head (queue), G_PRIORITY_DEFAULT,
                                    NULL, on_callback_sent, send);
}

static void
on_callback_sent (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  CallbackSend *send = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) body = soup_session_send_and_read_finish (SOUP_SESSION (source), result,
                                                              &error);
  g_autoptr(HcPhoneBridge) self = g_weak_ref_get (&send->bridge);
  GQueue *queue;

  if (body == NULL)
    g_message ("Status callback for call %s failed: %s", send->sid, error->message);
  if (self != NULL && self->callbacks != NULL &&
      (queue = g_hash_table_lookup (self->callbacks, send->sid)) != NULL)
    {
      g_object_unref (g_queue_pop_head (queue));
      if (g_queue_is_empty (queue))
        g_hash_table_remove (self->callbacks, send->sid);
      else
        send_next_callback (self, send->sid);
    }
  callback_send_free (send);
}

static void
post_status_callback (HcPhoneBridge *self,
                      PhoneCall     *call)
{
  const HcPhoneCallRecord *r = call->record;
  g_autoptr(GHashTable) form = NULL;
  g_autoptr(SoupMessage) msg = NULL;
  g_auto(GStrv) events = NULL;
  g_autofree char *encoded = NULL;
  g_autofree char *signature = NULL;
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *timestamp = g_date_time_format (now, "%a, %d %b %Y %H:%M:%S +0000");
  const char *event = callback_event_for (r->status);
  GQueue *queue;

  if (r->status_callback == NULL)
    return;
  /* Twilio's default is the completed event only. */
  events = g_strsplit (r->callback_events ? r->callback_events : "completed", " ", -1);
  if (!g_strv_contains ((const char * const *) events, event))
    return;

  form = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);
  g_hash_table_insert (form, "CallSid", g_strdup (r->sid));
  g_hash_table_insert (form, "AccountSid", g_strdup (self->config->account_sid));
  g_hash_table_insert (form, "RoomSid", g_strdup (r->room_sid));
  g_hash_table_insert (form, "To", g_strdup (r->to));
  g_hash_table_insert (form, "Called", g_strdup (r->to));
  g_hash_table_insert (form, "From", g_strdup (self->config->sip_caller_id ? self->config->sip_caller_id : ""));
  g_hash_table_insert (form, "Direction", g_strdup ("outbound-api"));
  g_hash_table_insert (form, "ApiVersion", g_strdup ("2010-04-01"));
  g_hash_table_insert (form, "CallStatus", g_strdup (twilio_call_status (r->status)));
  g_hash_table_insert (form, "CallbackSource", g_strdup ("call-progress-events"));
  g_hash_table_insert (form, "StatusCallbackEvent", g_strdup (event));
  g_hash_table_insert (form, "SequenceNumber", g_strdup_printf ("%u", call->callback_sequence++));
  g_hash_table_insert (form, "Timestamp", g_strdup (timestamp));
  if (r->sip_code != 0)
    g_hash_table_insert (form, "SipResponseCode", g_strdup_printf ("%d", r->sip_code));
  if (hc_phone_call_status_is_final (r->status))
    g_hash_table_insert (form, "CallDuration",
                         g_strdup_printf ("%" G_GINT64_FORMAT,
                                          r->start_time ? r->end_time - r->start_time : 0));
  if (r->error_code != 0)
    g_hash_table_insert (form, "ErrorCode", g_strdup_printf ("%d", r->error_code));

  encoded = soup_form_encode_hash (form);
  msg = soup_message_new_from_encoded_form ("POST", r->status_callback, g_steal_pointer (&encoded));
  if (msg == NULL)
    return;
  signature = hc_sms_twilio_signature (self->config->api_key_secret, r->status_callback, form);
  soup_message_headers_replace (soup_message_get_request_headers (msg), "X-Twilio-Signature",
                                signature);
  queue = g_hash_table_lookup (self->callbacks, r->sid);
  if (queue == NULL)
    {
      queue = g_queue_new ();
      g_hash_table_insert (self->callbacks, g_strdup (r->sid), queue);
    }
  g_queue_push_tail (queue, g_steal_pointer (&msg));
  if (g_queue_get_length (queue) == 1)
    send_next_callback (self, r->sid);
}

/* Saves the record, tells the provider's console and the status callback. */
static void
call_changed (PhoneCall *call)
{
  HcPhoneBridge *self = call->bridge;
  g_autoptr(GError) error = NULL;

  call->record->date_updated = g_get_real_time () / G_USEC_PER_SEC;
  if (!hc_store_save_phone_call (self->store, call->record, &error))
    g_warning ("Could not save call %s: %s", call->record->sid, error->message);
  g_debug ("Call %s is %s (SIP %d)", call->record->sid, call->record->status,
           call->record->sip_code);
  g_signal_emit (self, signals[SIGNAL_CALL_CHANGED], 0, call->record);
  post_status_callback (self, call);
}

static void
set_status (PhoneCall  *call,
            const char *status)
{
  if (g_strcmp0 (call->record->status, status) == 0)
    return;
  g_free (call->record->status);
  call->record->status = g_strdup (status);
  if (g_strcmp0 (status, "answered") == 0)
    call->record->start_time = g_get_real_time () / G_USEC_PER_SEC;
  call_changed (call);
}

static void
set_sip (PhoneCall  *call,
         int         code,
         const char *reason)
{
  call->record->sip_code = code;
  g_free (call->record->sip_reason);
  /* The reason phrase comes from the far end: keep it short and printable. */
  call->record->sip_reason = reason ? g_utf8_make_valid (reason, MIN (strlen (reason), 128)) : NULL;
  for (char *p = call->record->sip_reason; p != NULL && *p; p++)
    if ((guchar) *p < 0x20 || *p == 0x7f)
      *p = ' ';
}

static void
set_error (PhoneCall   *call,
           HcErrorCode  code,
           const char  *message)
{
  call->record->error_code = code;
  g_free (call->record->error_message);
  call->record->error_message = g_strdup (message);
}

/* The call is over for the provider. The SIP dialog may linger until its
 * transaction ends; then the handle goes (see drop_call). */
static void
finish (PhoneCall  *call,
        const char *status,
        const char *hangup_by)
{
  if (hc_phone_call_status_is_final (call->record->status))
    return;
  g_clear_handle_id (&call->ring_timer, g_source_remove);
  g_clear_handle_id (&call->max_timer, g_source_remove);
  if (call->media != NULL)
    hc_phone_media_stop (call->media);
  if (call->rtp != NULL)
    hc_phone_rtp_stop (call->rtp);
  if (hangup_by != NULL && call->record->hangup_by == NULL)
    call->record->hangup_by = g_strdup (hangup_by);
  call->record->end_time = g_get_real_time () / G_USEC_PER_SEC;
  set_status (call, status);
}

static void
drop_call (PhoneCall *call)
{
  g_hash_table_remove (call->bridge->calls, call->record->sid);
}

/* sofia-sip's own log (transport errors, garbage received…) goes to the
 * debug log: it is the SIP side's detail, not the operator's news. */
static void
sofia_logger (void       *stream,
              char const *format,
              va_list     args)
{
  g_autofree char *line = g_strdup_vprintf (format, args);

  g_strchomp (line);
  if (*line != '\0')
    g_debug ("sofia: %s", line);
}

static gboolean
on_cancel_grace (gpointer user_data)
{
  PhoneCall *call = user_data;

  call->cancel_timer = 0;
  /* The far end never answered our CANCEL: end the call for the provider
   * anyway; sofia keeps retransmitting and gives up on its own. */
  finish (call, call->pending_status ? call->pending_status : "canceled",
          call->pending_hangup_by);
  drop_call (call);
  return G_SOURCE_REMOVE;
}

static void
cancel_call (PhoneCall  *call,
             const char *status,
             const char *hangup_by)
{
  if (call->pending_status != NULL)
    return;
  call->pending_status = g_strdup (status);
  call->pending_hangup_by = g_strdup (hangup_by);
  g_clear_handle_id (&call->ring_timer, g_source_remove);
  nua_cancel (call->nh, TAG_END ());
  call->cancel_timer = g_timeout_add_seconds (CANCEL_GRACE_SECONDS, on_cancel_grace, call);
}

static void
hang_up (PhoneCall  *call,
         const char *hangup_by)
{
  if (g_strcmp0 (call->record->status, "answered") == 0)
    {
      nua_bye (call->nh, TAG_END ());
      finish (call, "completed", hangup_by);
    }
  else if (!hc_phone_call_status_is_final (call->record->status))
    cancel_call (call, "canceled", hangup_by);
}

static gboolean
on_ring_timeout (gpointer user_data)
{
  PhoneCall *call = user_data;

  call->ring_timer = 0;
  cancel_call (call, "no-answer", NULL);
  return G_SOURCE_REMOVE;
}

static gboolean
on_max_duration (gpointer user_data)
{
  PhoneCall *call = user_data;

  call->max_timer = 0;
  hang_up (call, "max-duration");
  return G_SOURCE_REMOVE;
}

static void
on_media_lost (HcPhoneMedia *media,
               PhoneCall    *call)
{
  /* The room's media server went away: the phone would hear nobody. */
  set_error (call, HC_ERROR_MEDIA_UNAVAILABLE, "The media server of the room went away");
  hang_up (call, "server");
}

/* The phone joins the room as an audio-only participant named after the
 * line (hc-phone-media.c). */
static void
start_media (PhoneCall  *call,
             guint8      payload_type)
{
  HcPhoneBridge *self = call->bridge;
  g_autoptr(HcRoomRecord) room = NULL;

  if (self->media == NULL || !self->audio)
    return;
  room = hc_store_find_room (self->store, call->record->room_sid, NULL);
  if (room == NULL || g_strcmp0 (room->status, "in-progress") != 0)
    return;
  call->media = hc_phone_media_new (hc_media_get_room (self->media, room),
                                    call->record->participant_sid, call->record->label);
  g_signal_connect (call->media, "lost", G_CALLBACK (on_media_lost), call);
  hc_phone_media_start (call->media, call->rtp, payload_type);
}

static void
answered (PhoneCall   *call,
          sip_t const *sip)
{
  HcPhoneBridge *self = call->bridge;
  g_autoptr(HcPhoneSdp) sdp = NULL;
  g_autoptr(GError) error = NULL;

  g_clear_handle_id (&call->ring_timer, g_source_remove);
  if (sip != NULL && sip->sip_payload != NULL)
    sdp = hc_phone_sdp_parse (sip->sip_payload->pl_data, sip->sip_payload->pl_len, &error);
  else
    g_set_error (&error, HC_ERROR, HC_ERROR_PHONE_MEDIA_UNUSABLE,
                 "The phone line answered without SDP");
  if (sdp == NULL || !hc_phone_rtp_start (call->rtp, sdp, &error))
    {
      g_message ("Call %s answered with unusable media: %s", call->record->sid, error->message);
      nua_bye (call->nh, TAG_END ());
      set_error (call, hc_error_get_code (error), error->message);
      finish (call, "failed", "server");
      return;
    }
  call->record->start_time = g_get_real_time () / G_USEC_PER_SEC;
  call->max_timer = g_timeout_add_seconds (call->time_limit ? call->time_limit
                                                            : self->config->sip_max_call_seconds,
                                           on_max_duration, call);
  set_status (call, "answered");
  start_media (call, sdp->payload_type);
  if (call->digits != NULL && call->digits->len > 0 &&
      !hc_phone_rtp_send_digits (call->rtp, call->digits, &error))
    {
      g_message ("Call %s: the digits were not sent: %s", call->record->sid, error->message);
      set_error (call, hc_error_get_code (error), error->message);
      call_changed (call);
    }
}

static gboolean
authenticate (PhoneCall   *call,
              sip_t const *sip)
{
  HcPhoneBridge *self = call->bridge;
  msg_auth_t const *auth = sip->sip_www_authenticate ? sip->sip_www_authenticate
                                                     : sip->sip_proxy_authenticate;
  const char *realm = auth ? msg_params_find (auth->au_params, "realm=") : NULL;
  g_autofree char *credentials = NULL;

  if (auth == NULL || realm == NULL)
    return FALSE;
  credentials = g_strdup_printf ("%s:%s:%s:%.*s", auth->au_scheme, realm,
                                 self->config->sip_username,
                                 (int) g_bytes_get_size (self->config->sip_password),
                                 (const char *) g_bytes_get_data (self->config->sip_password, NULL));
  call->auth_tried = TRUE;
  nua_authenticate (call->nh, NUTAG_AUTH (credentials), TAG_END ());
  return TRUE;
}

static void
invite_response (PhoneCall   *call,
                 int          status,
                 const char  *phrase,
                 sip_t const *sip)
{
  HcPhoneBridge *self = call->bridge;

  if (status < 100)
    return;
  if (status < 200)
    {
      /* sofia reports a 3xx it is following as "100 Redirected". The trunk
       * is the only peer we call: a redirect elsewhere is not followed. */
      if (sip != NULL && sip->sip_status != NULL && sip->sip_status->st_status >= 300 &&
          sip->sip_status->st_status < 400)
        {
          g_autofree char *message = NULL;

          set_sip (call, sip->sip_status->st_status, sip->sip_status->st_phrase);
          message = g_strdup_printf ("The phone line answered %d %s; redirects are not followed",
                                     call->record->sip_code,
                                     call->record->sip_reason ? call->record->sip_reason : "");
          set_error (call, HC_ERROR_PHONE_UNEXPECTED_RESPONSE, message);
          finish (call, "failed", "phone");
          drop_call (call);
          return;
        }
      if (status == 100)
        return;
      set_sip (call, status, phrase);
      if (g_strcmp0 (call->record->status, "initiated") == 0 && call->pending_status == NULL)
        set_status (call, "ringing");
      return;
    }

  set_sip (call, status, phrase);
  if (status < 300)
    {
      /* An answer racing our CANCEL: the call was already given up. */
      if (call->pending_status != NULL || hc_phone_call_status_is_final (call->record->status))
        {
          nua_bye (call->nh, TAG_END ());
          g_clear_handle_id (&call->cancel_timer, g_source_remove);
          finish (call, call->pending_status ? call->pending_status : call->record->status,
                  call->pending_hangup_by);
          return;
        }
      answered (call, sip);
      return;
    }

  if ((status == 401 || status == 407) && !call->auth_tried && sip != NULL &&
      (sip->sip_www_authenticate || sip->sip_proxy_authenticate) &&
      self->config->sip_username != NULL && self->config->sip_password != NULL &&
      authenticate (call, sip))
    return;

  g_clear_handle_id (&call->cancel_timer, g_source_remove);
  if (status == 401 || status == 407)
    {
      /* A challenge we cannot or did not manage to answer: sofia holds the
       * request waiting for credentials, so the handle goes now. */
      g_autofree char *message = g_strdup_printf ("The phone line refused our credentials (%d %s)",
                                                  status, call->record->sip_reason ? call->record->sip_reason : "");

      set_error (call, HC_ERROR_PHONE_CALL_FAILED, message);
      finish (call, call->pending_status ? call->pending_status : "failed", "phone");
      drop_call (call);
    }
  else if (call->pending_status != NULL)
    finish (call, call->pending_status, call->pending_hangup_by);
  else if (status == 486 || status == 600)
    finish (call, "busy", "phone");
  else if (status == 408 || status == 480)
    finish (call, "no-answer", "phone");
  else
    {
      g_autofree char *message = g_strdup_printf ("The phone line answered %d %s", status,
                                                  call->record->sip_reason ? call->record->sip_reason : "");

      g_strchomp (message);
      set_error (call, status < 400 ? HC_ERROR_PHONE_UNEXPECTED_RESPONSE : HC_ERROR_PHONE_CALL_FAILED,
                 message);
      finish (call, "failed", "phone");
    }
}

static void
on_nua_event (nua_event_t   event,
              int           status,
              char const   *phrase,
              nua_t        *nua,
              nua_magic_t  *magic,
              nua_handle_t *nh,
              nua_hmagic_t *hmagic,
              sip_t const  *sip,
              tagi_t        tags[])
{
  HcPhoneBridge *self = (HcPhoneBridge *) magic;
  PhoneCall *call = (PhoneCall *) hmagic;

  switch (event)
    {
    case nua_r_shutdown:
      if (status >= 200)
        self->shutdown_done = TRUE;
      return;
    case nua_i_invite:
      /* The bridge only dials out. */
      if (call == NULL)
        {
          nua_respond (nh, SIP_403_FORBIDDEN, TAG_END ());
          nua_handle_destroy (nh);
        }
      return;
    case nua_i_options:
    case nua_i_message:
    case nua_i_subscribe:
    case nua_i_notify:
    case nua_i_refer:
    case nua_i_info:
      if (call == NULL && nh != NULL)
        nua_handle_destroy (nh);
      return;
    default:
      break;
    }

  if (call == NULL)
    return;

  switch (event)
    {
    case nua_r_invite:
      invite_response (call, status, phrase, sip);
      break;
    case nua_i_bye:
      finish (call, "completed", "phone");
      break;
    case nua_i_cancel:
      break;
    case nua_i_state:
      {
        int state = nua_callstate_init;

        tl_gets (tags, NUTAG_CALLSTATE_REF (state), TAG_END ());
        if (state == nua_callstate_terminated)
          {
            /* The dialog is gone; a call that never got a final word (a
             * transport failure after the answer, say) ends now. */
            if (!hc_phone_call_status_is_final (call->record->status))
              {
                if (g_strcmp0 (call->record->status, "answered") == 0)
                  finish (call, "completed", "phone");
                else
                  {
                    set_error (call, HC_ERROR_PHONE_CALL_FAILED, "The SIP dialog ended unexpectedly");
                    finish (call, "failed", "phone");
                  }
              }
            drop_call (call);
          }
      }
      break;
    default:
      break;
    }
}

#endif /* HAVE_SOFIA */

static void
hc_phone_bridge_dispose (GObject *object)
{
  HcPhoneBridge *self = (HcPhoneBridge *) object;

  hc_phone_bridge_stop (self);
  g_clear_pointer (&self->calls, g_hash_table_unref);
  g_clear_pointer (&self->callbacks, g_hash_table_unref);
  g_clear_object (&self->http);
  g_clear_object (&self->store);
  G_OBJECT_CLASS (hc_phone_bridge_parent_class)->dispose (object);
}

static void
hc_phone_bridge_class_init (HcPhoneBridgeClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = hc_phone_bridge_dispose;

  signals[SIGNAL_CALL_CHANGED] =
    g_signal_new ("call-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                  NULL, G_TYPE_NONE, 1, G_TYPE_POINTER);
}

static void
hc_phone_bridge_init (HcPhoneBridge *self)
{
  self->calls = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                       (GDestroyNotify) phone_call_free);
}

HcPhoneBridge *
hc_phone_bridge_new (const HcConfig *config,
                     HcStore        *store,
                     HcMedia        *media)
{
  HcPhoneBridge *self = g_object_new (HC_TYPE_PHONE_BRIDGE, NULL);

  self->config = config;
  self->media = media;
  self->store = g_object_ref (store);
  self->http = soup_session_new_with_options ("timeout", 10, "user-agent",
                                              "housecalld/" PACKAGE_VERSION, NULL);
  self->callbacks = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, callback_queue_free);
  return self;
}

gboolean
hc_phone_bridge_is_available (HcPhoneBridge *self)
{
  g_return_val_if_fail (HC_IS_PHONE_BRIDGE (self), FALSE);
#if HAVE_SOFIA
  return self->nua != NULL;
#else
  return FALSE;
#endif
}

gboolean
hc_phone_bridge_start (HcPhoneBridge  *self,
                       GError        **error)
{
  g_autoptr(GError) local_error = NULL;
  gint n;

  g_return_val_if_fail (HC_IS_PHONE_BRIDGE (self), FALSE);

  n = hc_store_end_unfinished_phone_calls (self->store, g_get_real_time () / G_USEC_PER_SEC,
                                           &local_error);
  if (n < 0)
    g_warning ("%s", local_error->message);
  else if (n > 0)
    g_message ("%d phone calls were cut off by the last shutdown", n);

  if (self->config->sip_trunk == NULL)
    return TRUE;
#if HAVE_SOFIA
  {
    g_autofree char *url = NULL;
    const char *listen = self->config->sip_listen;
    const char *colon = strrchr (listen, ':');

    /* sofia names "any port" with a star. */
    if (colon != NULL && strcmp (colon, ":0") == 0)
      url = g_strdup_printf ("sip:%.*s:*;transport=%s", (int) (colon - listen), listen,
                             self->config->sip_transport);
    else
      url = g_strdup_printf ("sip:%s;transport=%s", listen, self->config->sip_transport);

    /* The audio bridge transcodes with GStreamer; without the elements it
     * needs, calls still work but carry no audio. */
    {
      g_autoptr(GError) media_error = NULL;

      gst_init (NULL, NULL);
      self->audio = hc_phone_media_check_elements (&media_error);
      if (!self->audio)
        g_warning ("Phone calls will carry no audio: %s", media_error->message);
    }
    su_init ();
    su_log_redirect (NULL, sofia_logger, NULL);
    self->root = su_glib_root_create (self);
    if (self->root == NULL)
      {
        g_set_error (error, HC_ERROR, HC_ERROR_CONFIG_INVALID, "sip: could not start sofia-sip");
        return FALSE;
      }
    self->source = su_glib_root_gsource (self->root);
    g_source_attach (self->source, NULL);
    self->nua = nua_create (self->root, on_nua_event, (nua_magic_t *) self,
                            NUTAG_URL (url),
                            TAG_IF (self->config->sip_proxy != NULL,
                                    NUTAG_PROXY (self->config->sip_proxy)),
                            SIPTAG_USER_AGENT_STR ("housecalld/" PACKAGE_VERSION),
                            NUTAG_MEDIA_ENABLE (0),
                            NUTAG_SESSION_TIMER (0),
                            NUTAG_AUTOACK (1),
                            /* One restart, for the digest challenge we answer.
                             * sofia would also follow a redirect with it: see
                             * invite_response for how that is stopped. */
                            NUTAG_RETRY_COUNT (1),
                            NUTAG_ENABLEINVITE (1),
                            TAG_END ());
    if (self->nua == NULL)
      {
        g_set_error (error, HC_ERROR, HC_ERROR_CONFIG_INVALID,
                     "sip.listen: cannot listen for SIP on %s", self->config->sip_listen);
        return FALSE;
      }
    self->started = TRUE;
    g_message ("Phone bridge ready (SIP over %s)", self->config->sip_transport);
  }
#else
  g_message ("[sip] is set, but this housecalld was built without the phone bridge");
#endif
  return TRUE;
}

void
hc_phone_bridge_stop (HcPhoneBridge *self)
{
  g_return_if_fail (HC_IS_PHONE_BRIDGE (self));

#if HAVE_SOFIA
  if (self->nua != NULL)
    {
      GHashTableIter iter;
      gpointer value;
      gint64 deadline;
      g_autoptr(GPtrArray) calls = g_ptr_array_new ();

      g_hash_table_iter_init (&iter, self->calls);
      while (g_hash_table_iter_next (&iter, NULL, &value))
        g_ptr_array_add (calls, value);
      for (guint i = 0; i < calls->len; i++)
        {
          PhoneCall *call = g_ptr_array_index (calls, i);

          if (!hc_phone_call_status_is_final (call->record->status))
            {
              if (g_strcmp0 (call->record->status, "answered") == 0)
                nua_bye (call->nh, TAG_END ());
              else
                nua_cancel (call->nh, TAG_END ());
              set_error (call, 0, NULL);
              finish (call, g_strcmp0 (call->record->status, "answered") == 0 ? "completed"
                                                                               : "canceled",
                      "server");
            }
        }
      /* Let the BYEs and CANCELs go out and nua close its transports. */
      nua_shutdown (self->nua);
      deadline = g_get_monotonic_time () + SHUTDOWN_WAIT_US;
      while (!self->shutdown_done && g_get_monotonic_time () < deadline)
        if (!g_main_context_iteration (NULL, FALSE))
          g_usleep (5000);
      g_hash_table_remove_all (self->calls);
      /* sofia checks that its root's thread owns the main context. */
      g_main_context_acquire (NULL);
      nua_destroy (self->nua);
      self->nua = NULL;
      g_main_context_release (NULL);
    }
  if (self->source != NULL)
    {
      /* The root owns its source: take it off the loop, as GNOME Calls does. */
      g_source_destroy (self->source);
      self->source = NULL;
    }
  if (self->root != NULL)
    {
      g_main_context_acquire (NULL);
      su_root_destroy (self->root);
      self->root = NULL;
      g_main_context_release (NULL);
      su_deinit ();
    }
#endif
  if (self->calls != NULL)
    g_hash_table_remove_all (self->calls);
  self->started = FALSE;
}

static PhoneCall *
find_call (HcPhoneBridge  *self,
           const char     *sid,
           GError        **error)
{
  PhoneCall *call = sid ? g_hash_table_lookup (self->calls, sid) : NULL;

  if (call == NULL || hc_phone_call_status_is_final (call->record->status))
    {
      g_set_error (error, HC_ERROR, HC_ERROR_CALL_NOT_ACTIVE, "The call has already ended");
      return NULL;
    }
  return call;
}

HcPhoneCallRecord *
hc_phone_bridge_dial (HcPhoneBridge             *self,
                      const HcPhoneDialOptions  *options,
                      GError                   **error)
{
  g_return_val_if_fail (HC_IS_PHONE_BRIDGE (self), NULL);

#if HAVE_SOFIA
  {
    const HcConfig *config = self->config;
    PhoneCall *call;
    g_autoptr(HcPhoneRtp) rtp = NULL;
    g_autoptr(GArray) digits = NULL;
    g_autofree char *trunk_host = NULL;
    g_autofree char *to_uri = NULL;
    g_autofree char *from = NULL;
    g_autofree char *sdp = NULL;
    guint64 session_id = 0;
    gint64 now = g_get_real_time () / G_USEC_PER_SEC;

    if (self->nua == NULL)
      {
        g_set_error (error, HC_ERROR, HC_ERROR_PHONE_UNAVAILABLE,
                     "This server has no phone bridge configured");
        return NULL;
      }
    if (hc_phone_bridge_count_active (self, options->room_sid) >= config->sip_max_calls_per_room)
      {
        g_set_error (error, HC_ERROR, HC_ERROR_CALL_LIMIT,
                     "This room already has %u phone calls; hang one up first",
                     config->sip_max_calls_per_room);
        return NULL;
      }
    if (options->send_digits != NULL && (digits = hc_dtmf_parse (options->send_digits, error)) == NULL)
      return NULL;
    rtp = hc_phone_rtp_new (config->sip_rtp_address, config->sip_rtp_port_min,
                            config->sip_rtp_port_max, error);
    if (rtp == NULL)
      return NULL;

    call = g_new0 (PhoneCall, 1);
    call->bridge = self;
    call->rtp = g_steal_pointer (&rtp);
    call->digits = g_steal_pointer (&digits);
    call->record = g_new0 (HcPhoneCallRecord, 1);
    call->record->sid = hc_sid_new (HC_SID_PREFIX_CALL);
    call->record->room_sid = g_strdup (options->room_sid);
    call->record->participant_sid = hc_sid_new (HC_SID_PREFIX_PARTICIPANT);
    call->record->created_by = g_strdup (options->created_by);
    call->record->to = g_strdup (options->to);
    call->record->label = g_strdup (options->label);
    call->record->send_digits = g_strdup (options->send_digits);
    call->record->status = g_strdup ("initiated");
    call->record->status_callback = g_strdup (options->status_callback);
    call->record->callback_events = g_strdup (options->callback_events);
    call->record->date_created = now;
    call->time_limit = options->time_limit;
    g_hash_table_insert (self->calls, g_strdup (call->record->sid), call);

    trunk_host = g_strdup (strchr (config->sip_trunk, ':') + 1);
    to_uri = g_strdup_printf ("<sip:%s@%s;user=phone>", options->to, trunk_host);
    if (config->sip_caller_id != NULL || config->sip_username != NULL)
      from = g_strdup_printf ("\"%s\" <sip:%s@%s>",
                              config->sip_caller_name ? config->sip_caller_name : config->clinic_name,
                              config->sip_caller_id ? config->sip_caller_id : config->sip_username,
                              trunk_host);
    else
      from = g_strdup_printf ("\"%s\" <sip:housecalld@%s>",
                              config->sip_caller_name ? config->sip_caller_name : config->clinic_name,
                              trunk_host);
    hc_random_bytes ((guint8 *) &session_id, sizeof session_id);
    sdp = hc_phone_sdp_offer (config->sip_rtp_address, hc_phone_rtp_get_port (call->rtp),
                              session_id >> 1);

    call->nh = nua_handle (self->nua, (nua_hmagic_t *) call, SIPTAG_TO_STR (to_uri),
                           SIPTAG_FROM_STR (from), TAG_END ());
    if (call->nh == NULL)
      {
        g_set_error (error, HC_ERROR, HC_ERROR_PHONE_UNAVAILABLE,
                     "The phone bridge could not start a call");
        g_hash_table_remove (self->calls, call->record->sid);
        return NULL;
      }
    nua_invite (call->nh, SIPTAG_CONTENT_TYPE_STR ("application/sdp"), SIPTAG_PAYLOAD_STR (sdp),
                TAG_END ());
    call->ring_timer = g_timeout_add_seconds (options->ring_timeout ? options->ring_timeout
                                                                    : config->sip_ring_timeout,
                                              on_ring_timeout, call);
    g_message ("Call %s placed from room %s", call->record->sid, call->record->room_sid);
    call_changed (call);
    return hc_phone_call_record_copy (call->record);
  }
#else
  g_set_error (error, HC_ERROR, HC_ERROR_PHONE_UNAVAILABLE,
               "This server was built without the phone bridge");
  return NULL;
#endif
}

gboolean
hc_phone_bridge_hangup (HcPhoneBridge  *self,
                        const char     *call_sid,
                        GError        **error)
{
  PhoneCall *call;

  g_return_val_if_fail (HC_IS_PHONE_BRIDGE (self), FALSE);

  if ((call = find_call (self, call_sid, error)) == NULL)
    return FALSE;
#if HAVE_SOFIA
  hang_up (call, "provider");
#endif
  return TRUE;
}

gboolean
hc_phone_bridge_send_digits (HcPhoneBridge  *self,
                             const char     *call_sid,
                             const char     *digits,
                             GError        **error)
{
  g_autoptr(GArray) events = NULL;
  PhoneCall *call;

  g_return_val_if_fail (HC_IS_PHONE_BRIDGE (self), FALSE);

  if ((events = hc_dtmf_parse (digits, error)) == NULL)
    return FALSE;
  if ((call = find_call (self, call_sid, error)) == NULL)
    return FALSE;
  if (g_strcmp0 (call->record->status, "answered") != 0)
    {
      g_set_error (error, HC_ERROR, HC_ERROR_CALL_NOT_ANSWERED,
                   "Digits can be sent once the call is answered");
      return FALSE;
    }
  return hc_phone_rtp_send_digits (call->rtp, events, error);
}

guint
hc_phone_bridge_count_active (HcPhoneBridge *self,
                              const char    *room_sid)
{
  GHashTableIter iter;
  gpointer value;
  guint n = 0;

  g_return_val_if_fail (HC_IS_PHONE_BRIDGE (self), 0);

  g_hash_table_iter_init (&iter, self->calls);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      PhoneCall *call = value;

      if (!hc_phone_call_status_is_final (call->record->status) &&
          g_strcmp0 (call->record->room_sid, room_sid) == 0)
        n++;
    }
  return n;
}

void
hc_phone_bridge_room_ended (HcPhoneBridge *self,
                            const char    *room_sid)
{
  g_autoptr(GPtrArray) calls = g_ptr_array_new ();
  GHashTableIter iter;
  gpointer value;

  g_return_if_fail (HC_IS_PHONE_BRIDGE (self));

  g_hash_table_iter_init (&iter, self->calls);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    if (g_strcmp0 (((PhoneCall *) value)->record->room_sid, room_sid) == 0)
      g_ptr_array_add (calls, value);
#if HAVE_SOFIA
  for (guint i = 0; i < calls->len; i++)
    hang_up (g_ptr_array_index (calls, i), "room-ended");
#endif
}
