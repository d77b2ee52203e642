/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "HcSmsDispatcher"

#include "config.h"

#include "hc-error.h"
#include "hc-http.h"
#include "hc-sid.h"
#include "hc-sms-dispatcher.h"
#include "hc-sms-report.h"

#include <glib/gi18n.h>
#include <string.h>

/* Sends under way at once: a burst of appointments must not open a
 * connection each to the gateway. */
#define MAX_IN_FLIGHT 4
/* How often an interrupted send is looked into again while its gateway
 * cannot answer. */
#define RECONCILE_RETRY_SECONDS 30
/* A send that has not answered this long after its request timeout is
 * treated as interrupted. */
#define SENDING_GRACE_SECONDS 60
/* A guest link carries its token (a JWT of some 560 characters): its text
 * is allowed more concatenated parts than [sms] max-segments. */
#define GUEST_INVITE_MAX_SEGMENTS 6

struct _HcSmsDispatcher
{
  GObject          parent_instance;

  HcStore         *store;
  HcSmsSender     *sender;
  HcClock         *clock;
  const HcConfig  *config;
  GTimeZone       *zone;

  char            *link_base;
  char            *callback_base;
  GCancellable    *cancellable;
  GHashTable      *in_flight;    /* sid: sends and reconciliations under way here */
  guint            wakeup_id;
  gboolean         running;
  gboolean         ticking;
};

G_DEFINE_FINAL_TYPE (HcSmsDispatcher, hc_sms_dispatcher, G_TYPE_OBJECT)

static const char * const all_kinds[] = { "invite", "reminder", "update", "cancel", NULL };
static const char * const reminder_kinds[] = { "reminder", NULL };
static const char * const no_kinds[] = { NULL };

typedef struct
{
  HcSmsDispatcher *self;
  char            *sid;
  guint            attempts;
  gint64           sending_since;
} Job;

static void
job_free (Job *job)
{
  g_object_unref (job->self);
  g_free (job->sid);
  g_free (job);
}

static void tick (HcSmsDispatcher *self);

/* Helpers */

static void
update_sms (HcSmsDispatcher   *self,
            const char        *sid,
            const char        *from_status,
            const HcSmsUpdate *update,
            gboolean          *changed)
{
  g_autoptr(GError) error = NULL;

  if (!hc_store_sms_update (self->store, sid, from_status, update, hc_clock_now (self->clock),
                            changed, &error))
    g_warning ("Could not record the state of SMS %s: %s", sid, error->message);
}

static void
fail_sms (HcSmsDispatcher *self,
          const char      *sid,
          const char      *from_status,
          HcErrorCode      code,
          const char      *message)
{
  HcSmsUpdate update = { .status = code == HC_ERROR_SMS_OPTED_OUT ? "suppressed" : "failed",
                         .error_code = (gint) code, .error_message = message };

  update_sms (self, sid, from_status, &update, NULL);
  /* The reason can hold the gateway's words about the number: keep it in
   * the store, not in the log. */
  g_message ("SMS %s %s (%s)", sid, update.status, hc_error_code_slug (code));
}

static char *
callback_url (HcSmsDispatcher *self,
              const char      *sid)
{
  const char *gateway = hc_sms_sender_get_name (self->sender);

  if (self->callback_base == NULL || g_strcmp0 (gateway, "outbox") == 0)
    return NULL;
  return g_strdup_printf ("%s/v1/sms/%s/status/%s?msg=%s", self->callback_base, gateway,
                          self->config->sms_callback_secret, sid);
}

static gint64
backoff (HcSmsDispatcher *self,
         guint            attempts)
{
  gint64 delay = self->config->sms_retry_initial;

  for (guint i = 1; i < attempts && delay < self->config->sms_retry_max; i++)
    delay *= 2;
  return MIN (delay, (gint64) self->config->sms_retry_max);
}

static HcSmsRecord *
make_message (HcSmsDispatcher           *self,
              const HcAppointmentRecord *appointment,
              HcSmsKind                  kind,
              gint64                     offset,
              gint64                     due_at)
{
  HcSmsRecord *sms = g_new0 (HcSmsRecord, 1);

  sms->sid = hc_sid_new (HC_SID_PREFIX_SMS);
  sms->appointment_sid = g_strdup (appointment->sid);
  sms->kind = g_strdup (hc_sms_kind_to_string (kind));
  sms->reminder_offset = offset;
  sms->to_number = g_strdup (appointment->mobile);
  sms->status = g_strdup ("scheduled");
  sms->due_at = due_at;
  sms->date_created = hc_clock_now (self->clock);
  return sms;
}

/* Sending */

static void
on_sent (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  Job *job = user_data;
  HcSmsDispatcher *self = job->self;
  g_autoptr(GError) error = NULL;
  g_autofree char *gateway_id = hc_sms_sender_send_finish (HC_SMS_SENDER (source), result,
                                                           &error);
  gint64 now = hc_clock_now (self->clock);

  g_hash_table_remove (self->in_flight, job->sid);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      /* Stopping: the row stays "sending" and the next start settles it. */
      job_free (job);
      return;
    }

  if (error == NULL)
    {
      HcSmsUpdate update = { .status = "queued", .gateway_id = gateway_id, .error_code = 0,
                             .date_sent = now };
      gboolean changed = FALSE;

      update_sms (self, job->sid, "sending", &update, &changed);
      if (!changed && gateway_id != NULL)
        {
          /* A delivery report overtook the answer: keep its status. */
          g_autoptr(HcSmsRecord) sms = hc_store_find_sms (self->store, job->sid, NULL);

          if (sms != NULL)
            {
              HcSmsUpdate keep = { .status = sms->status, .gateway_id = gateway_id,
                                   .error_code = -1 };

              update_sms (self, job->sid, sms->status, &keep, NULL);
            }
        }
      g_debug ("SMS %s handed to %s", job->sid, hc_sms_sender_get_name (self->sender));
    }
  else if (hc_error_get_code (error) == HC_ERROR_SMS_GATEWAY_UNAVAILABLE &&
           job->attempts < self->config->sms_max_attempts)
    {
      gint64 retry_at = now + backoff (self, job->attempts);
      g_autofree char *when = hc_http_format_time (retry_at);
      g_autofree char *message = g_strdup_printf ("Attempt %u of %u failed (%s); the next is at %s",
                                                  job->attempts, self->config->sms_max_attempts,
                                                  error->message, when);
      HcSmsUpdate update = { .status = "scheduled", .due_at = retry_at,
                             .error_code = HC_ERROR_SMS_GATEWAY_UNAVAILABLE,
                             .error_message = message };

      update_sms (self, job->sid, "sending", &update, NULL);
      g_message ("SMS %s: attempt %u failed; retrying in %" G_GINT64_FORMAT " s", job->sid,
                 job->attempts, retry_at - now);
    }
  else if (hc_error_get_code (error) == HC_ERROR_SMS_GATEWAY_UNAVAILABLE)
    {
      g_autofree char *message = g_strdup_printf ("Gave up after %u attempts; the last: %s",
                                                  job->attempts, error->message);

      fail_sms (self, job->sid, "sending", HC_ERROR_SMS_GATEWAY_UNAVAILABLE, message);
    }
  else
    fail_sms (self, job->sid, "sending", hc_error_get_code (error) == HC_ERROR_INTERNAL
                                         ? HC_ERROR_SMS_GATEWAY_REJECTED
                                         : hc_error_get_code (error),
              error->message);

  job_free (job);
  if (self->running)
    tick (self);
}

/* A guest invite's text was made when it was asked for (the token in it
 * cannot be made again): it is sent as it is while its token is good.
 * Returns the text, or NULL after settling the message. */
static char *
guest_invite_body (HcSmsDispatcher   *self,
                   const HcSmsRecord *sms,
                   gint64             now,
                   HcSmsLength       *length)
{
  if (sms->token_jti == NULL || hc_store_token_is_revoked (self->store, sms->token_jti))
    {
      HcSmsUpdate update = { .status = "cancelled", .error_code = -1 };

      update_sms (self, sms->sid, "scheduled", &update, NULL);
      g_message ("SMS %s cancelled: its guest link was revoked", sms->sid);
      return NULL;
    }
  if (sms->expires_at != 0 && now >= sms->expires_at)
    {
      fail_sms (self, sms->sid, "scheduled", HC_ERROR_SMS_EXPIRED,
                "The guest link expired before the message could be sent");
      return NULL;
    }
  if (sms->body == NULL)
    {
      fail_sms (self, sms->sid, "scheduled", HC_ERROR_NOT_FOUND, "The message has no text");
      return NULL;
    }
  hc_sms_measure (sms->body, length);
  return g_strdup (sms->body);
}

/* Returns whether a send began. */
static gboolean
process_due (HcSmsDispatcher   *self,
             const HcSmsRecord *sms,
             gint64             now)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(HcAppointmentRecord) appointment = NULL;
  g_autofree char *body = NULL;
  g_autofree char *url = NULL;
  HcSmsLength length;
  HcSmsKind kind = HC_SMS_KIND_INVITE;
  HcSmsOutgoing outgoing;
  gboolean started = FALSE;
  Job *job;

  if (g_strcmp0 (sms->kind, "guest-invite") == 0)
    {
      /* Opt-outs count for guests as for patients. */
      if (hc_store_is_opted_out (self->store, sms->to_number))
        {
          fail_sms (self, sms->sid, "scheduled", HC_ERROR_SMS_OPTED_OUT,
                    "The number opted out with STOP; nothing is sent to it until it sends START");
          return FALSE;
        }
      body = guest_invite_body (self, sms, now, &length);
      if (body == NULL)
        return FALSE;
      goto send;
    }

  appointment = hc_store_find_appointment (self->store, sms->appointment_sid, &error);
  if (appointment == NULL || !hc_sms_kind_from_string (sms->kind, &kind))
    {
      fail_sms (self, sms->sid, "scheduled", HC_ERROR_NOT_FOUND,
                "The message belongs to no appointment");
      return FALSE;
    }
  if (strcmp (appointment->status, "cancelled") == 0 && kind != HC_SMS_KIND_CANCEL)
    {
      HcSmsUpdate update = { .status = "cancelled", .error_code = -1 };

      update_sms (self, sms->sid, "scheduled", &update, NULL);
      return FALSE;
    }
  if (now >= appointment->start_time)
    {
      fail_sms (self, sms->sid, "scheduled", HC_ERROR_SMS_EXPIRED,
                "The visit's time came before the message could be sent");
      return FALSE;
    }
  if (hc_store_is_opted_out (self->store, sms->to_number))
    {
      fail_sms (self, sms->sid, "scheduled", HC_ERROR_SMS_OPTED_OUT,
                "The number opted out with STOP; nothing is sent to it until it sends START");
      return FALSE;
    }
  body = hc_sms_dispatcher_render (self, kind, appointment, &length, &error);
  if (body == NULL)
    {
      fail_sms (self, sms->sid, "scheduled", hc_error_get_code (error), error->message);
      return FALSE;
    }

send:
  /* The point of no return is committed before the gateway hears of it: if
   * we die from here on, the next start knows a send may have happened. */
  if (!hc_store_sms_begin_send (self->store, sms->sid, body, length.segments,
                                hc_sms_sender_get_name (self->sender), now,
                                now + self->config->sms_request_timeout + SENDING_GRACE_SECONDS,
                                &started, &error))
    {
      g_warning ("Could not begin sending SMS %s: %s", sms->sid, error->message);
      return FALSE;
    }
  if (!started)
    return FALSE;

  url = callback_url (self, sms->sid);
  outgoing = (HcSmsOutgoing) { .sid = sms->sid, .to = sms->to_number, .body = body,
                               .callback_url = url, .sending_since = now };
  job = g_new0 (Job, 1);
  job->self = g_object_ref (self);
  job->sid = g_strdup (sms->sid);
  job->attempts = sms->attempts + 1;
  job->sending_since = now;
  g_hash_table_add (self->in_flight, g_strdup (sms->sid));
  g_debug ("SMS %s (%s) attempt %u", sms->sid, sms->kind, job->attempts);
  hc_sms_sender_send_async (self->sender, &outgoing, self->cancellable, on_sent, job);
  return TRUE;
}

/* Settling sends a previous run left "sending" */

static void
on_reconciled (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  Job *job = user_data;
  HcSmsDispatcher *self = job->self;
  g_autoptr(GError) error = NULL;
  g_autofree char *gateway_id = NULL;
  HcSmsReconcileResult verdict = hc_sms_sender_reconcile_finish (HC_SMS_SENDER (source), result,
                                                                 &gateway_id, &error);
  gint64 now = hc_clock_now (self->clock);
  gint64 deadline = job->sending_since + self->config->sms_confirm_timeout;

  g_hash_table_remove (self->in_flight, job->sid);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      job_free (job);
      return;
    }

  if (error == NULL && verdict == HC_SMS_RECONCILE_SENT)
    {
      HcSmsUpdate update = { .status = "queued", .gateway_id = gateway_id, .error_code = 0,
                             .date_sent = now };

      update_sms (self, job->sid, "sending", &update, NULL);
      g_message ("SMS %s had reached the gateway before the restart; it is not sent again",
                 job->sid);
    }
  else if (error == NULL && verdict == HC_SMS_RECONCILE_NOT_SENT)
    {
      HcSmsUpdate update = { .status = "scheduled", .due_at = now, .error_code = -1 };

      update_sms (self, job->sid, "sending", &update, NULL);
      g_message ("SMS %s never reached the gateway before the restart; sending it now", job->sid);
    }
  else if (now >= deadline)
    {
      g_autofree char *message =
        g_strdup_printf ("housecalld stopped while handing the message to the gateway, which has "
                         "not confirmed it within %u s; it was not sent again, to avoid a "
                         "duplicate", self->config->sms_confirm_timeout);

      fail_sms (self, job->sid, "sending", HC_ERROR_SMS_UNCONFIRMED, message);
    }
  else
    {
      /* Wait for a delivery report (or for the gateway to answer). */
      HcSmsUpdate update = { .status = "sending",
                             .due_at = MIN (now + RECONCILE_RETRY_SECONDS, deadline),
                             .error_code = -1 };

      update_sms (self, job->sid, "sending", &update, NULL);
      if (error != NULL)
        g_debug ("SMS %s: cannot ask the gateway yet: %s", job->sid, error->message);
    }

  job_free (job);
  if (self->running)
    tick (self);
}

static void
reconcile (HcSmsDispatcher   *self,
           const HcSmsRecord *sms)
{
  g_auto(GStrv) known_ids = hc_store_list_sms_gateway_ids (self->store, sms->gateway,
                                                           sms->to_number, sms->sid, NULL);
  HcSmsOutgoing outgoing = { .sid = sms->sid, .to = sms->to_number, .body = sms->body,
                             .sending_since = sms->sending_since,
                             .known_ids = (const char * const *) known_ids };
  Job *job = g_new0 (Job, 1);

  job->self = g_object_ref (self);
  job->sid = g_strdup (sms->sid);
  job->attempts = sms->attempts;
  job->sending_since = sms->sending_since;
  g_hash_table_add (self->in_flight, g_strdup (sms->sid));
  if (g_strcmp0 (sms->gateway, hc_sms_sender_get_name (self->sender)) != 0)
    {
      /* The gateway changed since: there is nobody left to ask. */
      g_autoptr(GTask) task = g_task_new (self->sender, self->cancellable, on_reconciled, job);

      g_task_return_int (task, HC_SMS_RECONCILE_UNKNOWN);
      return;
    }
  hc_sms_sender_reconcile_async (self->sender, &outgoing, self->cancellable, on_reconciled, job);
}

/* The queue */

static gboolean
on_wakeup (gpointer user_data)
{
  HcSmsDispatcher *self = user_data;

  self->wakeup_id = 0;
  tick (self);
  return G_SOURCE_REMOVE;
}

static void
arm (HcSmsDispatcher *self,
     gint64           now)
{
  g_autoptr(GError) error = NULL;
  gint64 next = hc_store_next_sms_due (self->store, &error);

  if (self->wakeup_id != 0)
    {
      hc_clock_remove_wakeup (self->clock, self->wakeup_id);
      self->wakeup_id = 0;
    }
  if (error != NULL)
    {
      g_warning ("Could not read the SMS queue: %s", error->message);
      next = now + RECONCILE_RETRY_SECONDS;
    }
  if (next == 0)
    return;
  /* What is due but held back (under way, or no free slot) is looked at
   * again within a second, not in a busy loop. */
  if (next <= now)
    next = now + 1;
  self->wakeup_id = hc_clock_add_wakeup (self->clock, next, on_wakeup, self);
}

static void
tick (HcSmsDispatcher *self)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) due = NULL;
  g_autoptr(GPtrArray) interrupted = NULL;
  gint64 now;

  if (!self->running || self->ticking)
    return;
  self->ticking = TRUE;
  now = hc_clock_now (self->clock);

  if (g_hash_table_size (self->in_flight) < MAX_IN_FLIGHT)
    {
      due = hc_store_list_sms_due (self->store, "scheduled", now, 64, &error);
      for (guint i = 0; due != NULL && i < due->len; i++)
        {
          HcSmsRecord *sms = g_ptr_array_index (due, i);

          if (g_hash_table_size (self->in_flight) >= MAX_IN_FLIGHT)
            break;
          if (!g_hash_table_contains (self->in_flight, sms->sid))
            process_due (self, sms, now);
        }
      if (error != NULL)
        g_warning ("Could not read the SMS queue: %s", error->message);
    }

  g_clear_error (&error);
  interrupted = hc_store_list_sms_due (self->store, "sending", now, 16, &error);
  for (guint i = 0; interrupted != NULL && i < interrupted->len; i++)
    {
      HcSmsRecord *sms = g_ptr_array_index (interrupted, i);

      if (!g_hash_table_contains (self->in_flight, sms->sid))
        reconcile (self, sms);
    }

  arm (self, now);
  self->ticking = FALSE;
}

/* Templates */

char *
hc_sms_dispatcher_visit_url (HcSmsDispatcher           *self,
                             const HcAppointmentRecord *appointment)
{
  g_return_val_if_fail (HC_IS_SMS_DISPATCHER (self), NULL);
  return g_strdup_printf ("%s/v/%s", self->link_base ? self->link_base : "",
                          appointment->visit_code);
}

char *
hc_sms_dispatcher_render (HcSmsDispatcher           *self,
                          HcSmsKind                  kind,
                          const HcAppointmentRecord *appointment,
                          HcSmsLength               *length,
                          GError                   **error)
{
  static const char * const names[] = { "clinic", "clinic_phone", "time", "link", "provider",
                                         NULL };
  g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc (appointment->start_time);
  g_autoptr(GDateTime) local = utc ? g_date_time_to_timezone (utc, self->zone) : NULL;
  g_autoptr(HcProviderRecord) provider = NULL;
  g_autofree char *time_text = NULL;
  g_autofree char *link = hc_sms_dispatcher_visit_url (self, appointment);
  const char *template_text = self->config->sms_templates[kind];
  /* TRANSLATORS: how an appointment's time is written in SMS texts, in
   * g_date_time_format() notation, e.g. "Tue 3 Mar at 14:30". */
  const char *format = self->config->clinic_time_format ? self->config->clinic_time_format
                                                        : _("%a %-d %b at %H:%M");
  const char *values[G_N_ELEMENTS (names)] = { NULL };

  g_return_val_if_fail (HC_IS_SMS_DISPATCHER (self), NULL);
  g_return_val_if_fail (kind < HC_SMS_N_KINDS && kind != HC_SMS_KIND_GUEST_INVITE, NULL);

  if (appointment->provider != NULL)
    provider = hc_store_lookup_provider (self->store, appointment->provider, NULL);
  time_text = local ? g_date_time_format (local, format) : NULL;
  values[0] = self->config->clinic_name;
  values[1] = self->config->clinic_phone;
  values[2] = time_text;
  values[3] = appointment->visit_code ? link : NULL;
  values[4] = provider ? provider->display_name : NULL;
  return hc_sms_template_render (template_text ? template_text
                                               : hc_sms_default_template (kind),
                                 names, values, self->config->sms_max_segments, length, error);
}

/* Every message the appointment may get must be sendable: an error now is
 * one the front desk can fix, an error at send time is a lost message. */
static gboolean
check_templates (HcSmsDispatcher           *self,
                 const HcAppointmentRecord *appointment,
                 GError                   **error)
{
  for (guint kind = 0; kind < HC_SMS_N_KINDS; kind++)
    {
      g_autofree char *text = NULL;

      if ((kind == HC_SMS_KIND_REMINDER && self->config->sms_n_reminder_offsets == 0) ||
          (kind == HC_SMS_KIND_CANCEL && !self->config->sms_send_cancellation) ||
          kind == HC_SMS_KIND_GUEST_INVITE)
        continue;
      text = hc_sms_dispatcher_render (self, kind, appointment, NULL, error);
      if (text == NULL)
        {
          g_prefix_error (error, "The %s message cannot be made: ", hc_sms_kind_to_string (kind));
          return FALSE;
        }
    }
  return TRUE;
}

static void
add_reminders (HcSmsDispatcher           *self,
               const HcAppointmentRecord *appointment,
               GPtrArray                 *messages,
               gint64                     now)
{
  for (guint i = 0; i < self->config->sms_n_reminder_offsets; i++)
    {
      gint64 offset = self->config->sms_reminder_offsets[i];
      gint64 at = appointment->start_time - offset;

      /* A reminder whose moment has passed is not sent late: the invite
       * (or the update) has just told the patient the time. */
      if (at > now)
        g_ptr_array_add (messages, make_message (self, appointment, HC_SMS_KIND_REMINDER,
                                                 offset, at));
    }
}

GPtrArray *
hc_sms_dispatcher_plan_new (HcSmsDispatcher      *self,
                            HcAppointmentRecord  *appointment,
                            GError              **error)
{
  g_autoptr(GPtrArray) messages = g_ptr_array_new_with_free_func ((GDestroyNotify) hc_sms_record_free);
  gint64 now;

  g_return_val_if_fail (HC_IS_SMS_DISPATCHER (self), NULL);

  now = hc_clock_now (self->clock);
  if (appointment->visit_code == NULL)
    appointment->visit_code = hc_random_hex (16);
  appointment->visit_code_expires = appointment->start_time +
                                    (gint64) self->config->visit_code_hours * 3600;
  if (!check_templates (self, appointment, error))
    return NULL;

  g_ptr_array_add (messages, make_message (self, appointment, HC_SMS_KIND_INVITE, 0, now));
  add_reminders (self, appointment, messages, now);
  return g_steal_pointer (&messages);
}

HcSmsRecord *
hc_sms_dispatcher_queue_guest_invite (HcSmsDispatcher  *self,
                                      const char       *to,
                                      const char       *link,
                                      const char       *jti,
                                      gint64            expires_at,
                                      GError          **error)
{
  static const char * const names[] = { "clinic", "clinic_phone", "time", "link", "provider",
                                         NULL };
  const char *template_text;
  const char *values[G_N_ELEMENTS (names)] = { NULL };
  g_autoptr(HcSmsRecord) sms = NULL;
  HcSmsLength length;
  g_autofree char *body = NULL;
  HcSmsRecord *stored;

  g_return_val_if_fail (HC_IS_SMS_DISPATCHER (self), NULL);
  g_return_val_if_fail (to != NULL && link != NULL && jti != NULL, NULL);

  template_text = self->config->sms_templates[HC_SMS_KIND_GUEST_INVITE];
  values[0] = self->config->clinic_name;
  values[1] = self->config->clinic_phone;
  values[3] = link;
  body = hc_sms_template_render (template_text ? template_text
                                               : hc_sms_default_template (HC_SMS_KIND_GUEST_INVITE),
                                 names, values,
                                 MAX (GUEST_INVITE_MAX_SEGMENTS, self->config->sms_max_segments),
                                 &length, error);
  if (body == NULL)
    return NULL;

  sms = g_new0 (HcSmsRecord, 1);
  sms->sid = hc_sid_new (HC_SID_PREFIX_SMS);
  sms->kind = g_strdup (hc_sms_kind_to_string (HC_SMS_KIND_GUEST_INVITE));
  sms->to_number = g_strdup (to);
  sms->body = g_steal_pointer (&body);
  sms->segments = length.segments;
  sms->status = g_strdup ("scheduled");
  sms->token_jti = g_strdup (jti);
  sms->expires_at = expires_at;
  sms->date_created = hc_clock_now (self->clock);
  sms->due_at = sms->date_created;
  if (!hc_store_insert_sms (self->store, sms, error))
    return NULL;
  g_debug ("SMS %s (guest-invite) queued", sms->sid);

  /* The send begins now if a slot is free (an opted-out number is settled
   * at once); the answer tells the status it has got to. */
  tick (self);
  stored = hc_store_find_sms (self->store, sms->sid, NULL);
  return stored != NULL ? stored : g_steal_pointer (&sms);
}

/* Whether the patient may have had an invite or an update. */
static gboolean
patient_was_told (GPtrArray *current)
{
  for (guint i = 0; current != NULL && i < current->len; i++)
    {
      HcSmsRecord *sms = g_ptr_array_index (current, i);

      if ((g_strcmp0 (sms->kind, "invite") == 0 || g_strcmp0 (sms->kind, "update") == 0) &&
          (g_strcmp0 (sms->status, "sending") == 0 || g_strcmp0 (sms->status, "queued") == 0 ||
           g_strcmp0 (sms->status, "sent") == 0 || g_strcmp0 (sms->status, "delivered") == 0))
        return TRUE;
    }
  return FALSE;
}

static gboolean
has_scheduled (GPtrArray  *current,
               const char *kind)
{
  for (guint i = 0; current != NULL && i < current->len; i++)
    {
      HcSmsRecord *sms = g_ptr_array_index (current, i);

      if (g_strcmp0 (sms->kind, kind) == 0 && g_strcmp0 (sms->status, "scheduled") == 0)
        return TRUE;
    }
  return FALSE;
}

GPtrArray *
hc_sms_dispatcher_plan_change (HcSmsDispatcher            *self,
                               const HcAppointmentRecord  *old,
                               HcAppointmentRecord        *updated,
                               GPtrArray                  *current,
                               const char * const        **cancel_kinds,
                               GError                    **error)
{
  g_autoptr(GPtrArray) messages = g_ptr_array_new_with_free_func ((GDestroyNotify) hc_sms_record_free);
  gint64 now;

  g_return_val_if_fail (HC_IS_SMS_DISPATCHER (self), NULL);

  now = hc_clock_now (self->clock);
  *cancel_kinds = no_kinds;
  updated->visit_code_expires = updated->start_time +
                                (gint64) self->config->visit_code_hours * 3600;

  if (strcmp (updated->status, "cancelled") == 0)
    {
      *cancel_kinds = all_kinds;
      if (self->config->sms_send_cancellation && patient_was_told (current) &&
          now < old->start_time)
        {
          g_autofree char *text = hc_sms_dispatcher_render (self, HC_SMS_KIND_CANCEL, old, NULL,
                                                            error);
          if (text == NULL)
            return NULL;
          g_ptr_array_add (messages, make_message (self, old, HC_SMS_KIND_CANCEL, 0, now));
        }
      return g_steal_pointer (&messages);
    }

  if (!check_templates (self, updated, error))
    return NULL;
  if (strcmp (old->mobile, updated->mobile) != 0)
    {
      /* A new number has had nothing: it gets the invite afresh. */
      *cancel_kinds = all_kinds;
      g_ptr_array_add (messages, make_message (self, updated, HC_SMS_KIND_INVITE, 0, now));
      add_reminders (self, updated, messages, now);
    }
  else if (old->start_time != updated->start_time)
    {
      *cancel_kinds = reminder_kinds;
      add_reminders (self, updated, messages, now);
      /* An invite still waiting goes out with the new time anyway (texts are
       * made when sent); one already sent needs an update. */
      if (!has_scheduled (current, "invite") && !has_scheduled (current, "update"))
        g_ptr_array_add (messages, make_message (self, updated, HC_SMS_KIND_UPDATE, 0, now));
    }
  return g_steal_pointer (&messages);
}

/* Reports and inbound texts */

gboolean
hc_sms_dispatcher_report (HcSmsDispatcher  *self,
                          const char       *sid,
                          const char       *status,
                          const char       *error_message,
                          GError          **error)
{
  g_autofree char *message = NULL;
  gboolean failed;
  gboolean changed = FALSE;

  g_return_val_if_fail (HC_IS_SMS_DISPATCHER (self), FALSE);

  failed = g_strcmp0 (status, "failed") == 0;
  if (failed)
    message = g_strdup_printf ("The carrier reported the message undelivered%s%s",
                               error_message && *error_message ? ": " : "",
                               error_message ? error_message : "");
  if (!hc_store_sms_report (self->store, sid, status, failed ? HC_ERROR_SMS_UNDELIVERED : 0,
                            message, hc_clock_now (self->clock), &changed, error))
    return FALSE;
  g_debug ("SMS %s reported %s%s", sid, status, changed ? "" : " (no change)");
  if (changed && self->running)
    tick (self);
  return TRUE;
}

gboolean
hc_sms_dispatcher_inbound (HcSmsDispatcher  *self,
                           const char       *number,
                           const char       *text,
                           GError          **error)
{
  g_autofree char *canonical = NULL;
  HcSmsKeyword keyword;
  gboolean stop;

  g_return_val_if_fail (HC_IS_SMS_DISPATCHER (self), FALSE);

  canonical = hc_sms_inbound_number (number, error);
  if (canonical == NULL)
    return FALSE;
  keyword = hc_sms_inbound_keyword (text);
  if (keyword == HC_SMS_KEYWORD_NONE)
    return TRUE;

  stop = keyword == HC_SMS_KEYWORD_STOP;
  if (!hc_store_set_opted_out (self->store, canonical, stop, hc_clock_now (self->clock), error))
    return FALSE;
  hc_store_audit (self->store, stop ? "sms.opted-out" : "sms.opted-in", NULL, NULL, NULL);
  g_message ("A number %s", stop ? "opted out of SMS" : "opted back in to SMS");
  return TRUE;
}

/* Object */

static void
hc_sms_dispatcher_dispose (GObject *object)
{
  HcSmsDispatcher *self = (HcSmsDispatcher *) object;

  hc_sms_dispatcher_stop (self);
  g_clear_object (&self->sender);
  g_clear_object (&self->clock);
  g_clear_object (&self->store);
  G_OBJECT_CLASS (hc_sms_dispatcher_parent_class)->dispose (object);
}

static void
hc_sms_dispatcher_finalize (GObject *object)
{
  HcSmsDispatcher *self = (HcSmsDispatcher *) object;

  g_clear_pointer (&self->zone, g_time_zone_unref);
  g_clear_pointer (&self->in_flight, g_hash_table_unref);
  g_free (self->link_base);
  g_free (self->callback_base);
  G_OBJECT_CLASS (hc_sms_dispatcher_parent_class)->finalize (object);
}

static void
hc_sms_dispatcher_class_init (HcSmsDispatcherClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = hc_sms_dispatcher_dispose;
  object_class->finalize = hc_sms_dispatcher_finalize;
}

static void
hc_sms_dispatcher_init (HcSmsDispatcher *self)
{
  self->in_flight = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
}

HcSmsDispatcher *
hc_sms_dispatcher_new (HcStore        *store,
                       HcSmsSender    *sender,
                       HcClock        *clock,
                       const HcConfig *config)
{
  HcSmsDispatcher *self = g_object_new (HC_TYPE_SMS_DISPATCHER, NULL);

  self->store = g_object_ref (store);
  self->sender = g_object_ref (sender);
  self->clock = g_object_ref (clock);
  self->config = config;
  self->zone = config->clinic_timezone ? g_time_zone_new_identifier (config->clinic_timezone)
                                       : NULL;
  if (self->zone == NULL)
    self->zone = g_time_zone_new_local ();
  return self;
}

void
hc_sms_dispatcher_start (HcSmsDispatcher *self,
                         const char      *link_base,
                         const char      *callback_base)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) interrupted = NULL;

  g_return_if_fail (HC_IS_SMS_DISPATCHER (self));
  g_return_if_fail (!self->running);

  g_free (self->link_base);
  self->link_base = g_strdup (link_base);
  g_free (self->callback_base);
  self->callback_base = g_strdup (callback_base);
  self->cancellable = g_cancellable_new ();
  self->running = TRUE;

  /* Nothing is under way yet, so every "sending" row was left by a previous
   * run: settle them all now rather than when their check comes due. */
  interrupted = hc_store_list_sms_due (self->store, "sending", G_MAXINT64, 1000, &error);
  if (interrupted == NULL)
    g_warning ("Could not read the SMS queue: %s", error->message);
  for (guint i = 0; interrupted != NULL && i < interrupted->len; i++)
    reconcile (self, g_ptr_array_index (interrupted, i));
  if (interrupted != NULL && interrupted->len > 0)
    g_message ("Settling %u SMS that were being sent when housecalld last stopped",
               interrupted->len);
  tick (self);
}

void
hc_sms_dispatcher_stop (HcSmsDispatcher *self)
{
  g_return_if_fail (HC_IS_SMS_DISPATCHER (self));

  self->running = FALSE;
  if (self->wakeup_id != 0)
    {
      hc_clock_remove_wakeup (self->clock, self->wakeup_id);
      self->wakeup_id = 0;
    }
  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
}

void
hc_sms_dispatcher_kick (HcSmsDispatcher *self)
{
  g_return_if_fail (HC_IS_SMS_DISPATCHER (self));
  tick (self);
}

HcClock *
hc_sms_dispatcher_get_clock (HcSmsDispatcher *self)
{
  g_return_val_if_fail (HC_IS_SMS_DISPATCHER (self), NULL);
  return self->clock;
}

HcSmsSender *
hc_sms_dispatcher_get_sender (HcSmsDispatcher *self)
{
  g_return_val_if_fail (HC_IS_SMS_DISPATCHER (self), NULL);
  return self->sender;
}

guint
hc_sms_dispatcher_get_n_in_flight (HcSmsDispatcher *self)
{
  g_return_val_if_fail (HC_IS_SMS_DISPATCHER (self), 0);
  return g_hash_table_size (self->in_flight);
}
