/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "HcCallEngine"

#include "config.h"

#include "hc-call-engine.h"
#include "hc-error.h"
#include "hc-network-quality.h"
#include "hc-network-stats.h"
#include "hc-publisher.h"
#include "hc-remote-participant-private.h"
#include "hc-signaling-client.h"
#include "hc-subscriber.h"
#include "hc-video-paintable.h"
#include "hc-webrtc-util.h"

#include <string.h>

/*
 * The engine speaks docs/protocol.md through an HcSignalingClient and drives one
 * HcPublisher and one HcSubscriber per remote participant who publishes.
 *
 * Every asynchronous step holds an Op: a reference on the engine plus the media epoch
 * it started in. The epoch is bumped whenever the media it belongs to is thrown away
 * (leaving, a media server restart, a reconnect), so a late reply finds itself stale
 * and does nothing. leave_async() completes only once every Op has come back, which
 * is what lets the caller drop the engine right after and see it finalized.
 */

#define LEAVE_REPLY_TIMEOUT_MS 2000
#define REPUBLISH_DELAY_MS     500
#define MAX_REPUBLISH_ATTEMPTS 8
#define MAX_RESUBSCRIBE_ATTEMPTS 3
/* housecalld announces a publisher as soon as Janus answered its offer, before its
 * media is up; Janus refuses subscriptions until then. Retry for about 10 s. */
#define SUBSCRIBE_RETRY_FIRST_MS 250
#define SUBSCRIBE_RETRY_MAX_MS   2000
#define SUBSCRIBE_MAX_RETRIES    10
/* Network quality (docs/protocol.md): webrtcbin's statistics every 2 s, scored over
 * the last two intervals and reported to the server. */
#define NQ_INTERVAL_SECONDS      2
#define NQ_WINDOW                3
/* A report unanswered this long means the connection is down (level 0); this long
 * and the socket is dropped so that the reconnect starts now, not after the 35 s a
 * silent socket takes to be noticed by the pings. */
#define NQ_REPORT_LATE_US        (4 * G_USEC_PER_SEC)
#define NQ_REPORT_DEAD_US        (6 * G_USEC_PER_SEC)
/* Receive-side adaptation: this many samples in a row at level ≤ 2 take one step
 * down (thumbnails low, then the large tile to the middle layer, then low); this
 * many at ≥ 3 one step back up. */
#define NQ_DEGRADE_SAMPLES       2
#define NQ_RECOVER_SAMPLES       3
#define NQ_MAX_STEP              3

enum {
  PROP_0,
  PROP_STATE,
  PROP_END_REASON,
  PROP_ERROR,
  PROP_PARTICIPANTS,
  PROP_FEATURED_PARTICIPANT,
  PROP_PINNED_PARTICIPANT,
  PROP_DOMINANT_SPEAKER_SID,
  PROP_LOCAL_IS_DOMINANT_SPEAKER,
  PROP_LOCAL_PREVIEW,
  PROP_LOCAL_SID,
  PROP_IDENTITY,
  PROP_ROLE,
  PROP_ROOM_SID,
  PROP_ROOM_NAME,
  PROP_VIDEO_CODEC,
  PROP_PUBLISHED_SIMULCAST,
  PROP_MICROPHONE_MUTED,
  PROP_CAMERA_ENABLED,
  PROP_CAPTURE_PROFILE,
  PROP_MAX_VIDEO_BITRATE,
  PROP_SIMULCAST,
  PROP_CAMERA_DEVICE,
  PROP_MICROPHONE_DEVICE,
  PROP_SPEAKER_DEVICE,
  PROP_PLAY_AUDIO,
  PROP_AUTOMATIC_LAYERS,
  PROP_NETWORK_ADAPTATION,
  PROP_NETWORK_QUALITY_LEVEL,
  PROP_NETWORK_QUALITY_REASON,
  PROP_NETWORK_QUALITY_DESCRIPTION,
  PROP_DIAGNOSTICS,
  PROP_RECONNECTING,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* What the engine knows of one remote participant's subscription. */
typedef struct
{
  HcRemoteParticipant *participant;
  HcSubscriber        *subscriber;
  guint                generation;   /* bumped when the subscription is dropped */
  gboolean             subscribing;  /* subscribe … subscribed in flight */
  gboolean             subscribed;
  gboolean             configuring;
  int                  substream;    /* what the server applied */
  gboolean             paused;
  guint                n_failures;   /* subscriptions that failed in a row */
  guint                n_retries;    /* subscribe requests refused in a row */
  guint                retry_id;
  gulong               notify_id;
  /* Network quality: this subscription's last statistics (newest last), the
   * subscriber they came from, and the decoded frames at the last sample. */
  GstStructure        *nq_stats[NQ_WINDOW];
  gpointer             nq_owner;
  guint64              nq_frames;
  gint64               nq_frames_time;
  double               nq_frame_rate;
  int                  nq_send_cap;   /* its own upload's limit on the layer we ask for */
} Remote;

struct _HcCallEngine
{
  GObject              parent_instance;

  /* Settings */
  HcCaptureProfile     capture_profile;
  guint                max_video_bitrate;
  gboolean             simulcast;
  char                *camera_device;
  char                *microphone_device;
  char                *speaker_device;
  gboolean             play_audio;
  gboolean             microphone_muted;
  gboolean             camera_enabled;
  gboolean             automatic_layers;
  gboolean             network_adaptation;

  /* The call */
  HcCallState          state;
  HcEndReason          end_reason;
  GError              *error;
  char                *room;          /* as asked for in join_async() */
  char                *room_sid;
  char                *room_name;
  char                *video_codec;
  char                *local_sid;
  char                *identity;
  char                *role;
  gboolean             published_simulcast;
  char                *dominant_sid;
  HcRemoteParticipant *featured;
  HcRemoteParticipant *pinned;
  HcVideoPaintable    *local_preview;

  HcSignalingClient   *client;
  HcPublisher         *publisher;
  GPtrArray           *early_candidates;  /* JsonObject, before `publish` went out */
  gboolean             publish_sent;
  guint                republish_attempts;
  guint                republish_id;
  GListStore          *participants;
  GHashTable          *remotes;           /* SID → Remote */

  guint                epoch;
  guint                n_ops;
  gboolean             leaving;
  GTask               *join_task;
  GTask               *leave_task;
  guint                leave_timeout_id;

  /* Network quality */
  guint                nq_timer_id;
  guint                nq_round;          /* the current sampling round */
  guint                nq_pending;        /* its statistics requests still out */
  GstStructure        *nq_pub_stats[NQ_WINDOW];
  gpointer             nq_pub_owner;
  int                  nq_level;
  HcNetworkQualityReason nq_reason;
  char                *nq_description;
  GVariant            *diagnostics;
  gint64               nq_report_sent;    /* the oldest unanswered report, 0 if none */
  gboolean             reconnecting;      /* HcCallEngine:reconnecting */
  int                  nq_step;           /* receive-side adaptation, 0 … NQ_MAX_STEP */
  guint                nq_bad_samples;
  guint                nq_good_samples;
};

G_DEFINE_FINAL_TYPE (HcCallEngine, hc_call_engine, G_TYPE_OBJECT)

enum
{
  PHONE_CALL_STATUS,
  N_ENGINE_SIGNALS
};

static guint engine_signals[N_ENGINE_SIGNALS];

static void start_publishing   (HcCallEngine *self);
static gboolean schedule_republish (HcCallEngine *self);
static void subscribe          (HcCallEngine *self,
                                Remote       *remote);
static void apply_layers       (HcCallEngine *self);
static void teardown_media     (HcCallEngine *self);
static void maybe_finish_leave (HcCallEngine *self);
static void nq_clear_window    (GstStructure **window);
static void nq_apply_remote    (HcCallEngine *self,
                                Remote       *remote,
                                JsonObject   *report);
static gboolean on_nq_timeout  (gpointer      user_data);
static void update_reconnecting (HcCallEngine *self);
static void nq_set_local       (HcCallEngine           *self,
                                int                     level,
                                HcNetworkQualityReason  reason);

/* Ops */

typedef struct
{
  HcCallEngine *self;
  guint         epoch;
  char         *sid;          /* a remote participant, for subscription steps */
  guint         generation;   /* its subscription generation */
} Op;

static Op *
op_new (HcCallEngine *self,
        Remote       *remote)
{
  Op *op = g_new0 (Op, 1);

  op->self = g_object_ref (self);
  op->epoch = self->epoch;
  if (remote != NULL)
    {
      op->sid = g_strdup (hc_remote_participant_get_sid (remote->participant));
      op->generation = remote->generation;
    }
  self->n_ops++;
  return op;
}

static void
op_free (Op *op)
{
  HcCallEngine *self = op->self;

  g_free (op->sid);
  g_free (op);
  self->n_ops--;
  maybe_finish_leave (self);
  g_object_unref (self);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Op, op_free)

static gboolean
op_is_stale (Op *op)
{
  return op->epoch != op->self->epoch || op->self->leaving;
}

/* The remote an Op was about, if its subscription is still the same one. */
static Remote *
op_get_remote (Op *op)
{
  Remote *remote;

  if (op_is_stale (op) || op->sid == NULL)
    return NULL;
  remote = g_hash_table_lookup (op->self->remotes, op->sid);
  if (remote == NULL || remote->generation != op->generation)
    return NULL;
  return remote;
}

/* Properties */

static void
set_string (HcCallEngine  *self,
            char         **field,
            const char    *value,
            guint          prop)
{
  if (g_strcmp0 (*field, value) == 0)
    return;
  g_free (*field);
  *field = g_strdup (value);
  g_object_notify_by_pspec (G_OBJECT (self), properties[prop]);
}

static void
set_state (HcCallEngine *self,
           HcCallState   state)
{
  if (self->state == state)
    return;
  g_debug ("Call %s → %s", hc_enum_to_nick (HC_TYPE_CALL_STATE, self->state),
           hc_enum_to_nick (HC_TYPE_CALL_STATE, state));
  self->state = state;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
  if (state == HC_CALL_STATE_ENDED || state == HC_CALL_STATE_FAILED)
    {
      g_clear_handle_id (&self->nq_timer_id, g_source_remove);
      nq_set_local (self, -1, HC_NETWORK_QUALITY_REASON_NONE);
    }
  else if (state == HC_CALL_STATE_RECONNECTING)
    nq_set_local (self, 0, HC_NETWORK_QUALITY_REASON_RECONNECTING);
  update_reconnecting (self);
}

/* "Reconnecting…": the socket is being reopened, or the connection is down
 * (level 0: no answer from the server, or the media transport not connected). */
static void
update_reconnecting (HcCallEngine *self)
{
  gboolean reconnecting = self->state == HC_CALL_STATE_RECONNECTING ||
                          ((self->state == HC_CALL_STATE_IN_CALL || self->state == HC_CALL_STATE_JOINED) &&
                           self->nq_level == 0);

  if (reconnecting == self->reconnecting)
    return;
  self->reconnecting = reconnecting;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RECONNECTING]);
}

static void
set_error (HcCallEngine *self,
           const GError *error)
{
  g_clear_error (&self->error);
  self->error = error ? g_error_copy (error) : NULL;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ERROR]);
}

static void
set_end_reason (HcCallEngine *self,
                HcEndReason   reason)
{
  if (self->end_reason == reason)
    return;
  self->end_reason = reason;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_END_REASON]);
}

static JsonObject *
candidate_object (guint       mline,
                  const char *mid,
                  const char *candidate)
{
  JsonObject *object = json_object_new ();

  json_object_set_string_member (object, "candidate", candidate);
  if (mid != NULL)
    json_object_set_string_member (object, "sdpMid", mid);
  json_object_set_int_member (object, "sdpMLineIndex", mline);
  return object;
}

static void
send_trickle (HcCallEngine *self,
              const char   *target,
              JsonObject   *candidate)
{
  g_autoptr(JsonObject) fields = json_object_new ();

  json_object_set_string_member (fields, "target", target);
  if (candidate != NULL)
    json_object_set_object_member (fields, "candidate", json_object_ref (candidate));
  else
    json_object_set_null_member (fields, "candidate");
  if (self->client != NULL)
    hc_signaling_client_send (self->client, "trickle", fields);
}

/* An early candidate, or NULL for the end of candidates. */
static void
candidate_free (gpointer data)
{
  if (data != NULL)
    json_object_unref (data);
}

/* Participants */

static void
remote_free (gpointer data)
{
  Remote *remote = data;

  g_clear_handle_id (&remote->retry_id, g_source_remove);
  g_clear_signal_handler (&remote->notify_id, remote->participant);
  nq_clear_window (remote->nq_stats);
  g_clear_object (&remote->participant);
  g_clear_object (&remote->subscriber);
  g_free (remote);
}

static gboolean
find_in_list (HcCallEngine        *self,
              HcRemoteParticipant *participant,
              guint               *position)
{
  return g_list_store_find (self->participants, participant, position);
}

static void
set_featured (HcCallEngine        *self,
              HcRemoteParticipant *featured)
{
  if (self->featured == featured)
    return;
  g_set_object (&self->featured, featured);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FEATURED_PARTICIPANT]);
}

/* The large tile: the pinned participant, else the dominant speaker if remote, else
 * whoever was featured before (the local speaker does not take the stage from them),
 * else the first participant. */
static void
update_featured (HcCallEngine *self)
{
  HcRemoteParticipant *featured = NULL;
  Remote *remote;

  if (self->pinned != NULL && find_in_list (self, self->pinned, NULL))
    featured = self->pinned;
  else if (self->dominant_sid != NULL &&
           (remote = g_hash_table_lookup (self->remotes, self->dominant_sid)) != NULL)
    featured = remote->participant;
  else if (self->featured != NULL && find_in_list (self, self->featured, NULL))
    featured = self->featured;
  else if (g_list_model_get_n_items (G_LIST_MODEL (self->participants)) > 0)
    {
      g_autoptr(HcRemoteParticipant) first =
        g_list_model_get_item (G_LIST_MODEL (self->participants), 0);

      featured = first;
    }
  set_featured (self, featured);
  apply_layers (self);
}

static void
on_participant_notify (GObject    *object,
                       GParamSpec *pspec,
                       gpointer    user_data)
{
  HcCallEngine *self = user_data;
  const char *name = g_param_spec_get_name (pspec);

  if (strcmp (name, "tile-visible") == 0 || strcmp (name, "preferred-substream") == 0)
    apply_layers (self);
}

/* @info is the participant object of the server's message (sid, identity, name). */
static Remote *
add_remote (HcCallEngine *self,
            const char   *sid,
            JsonObject   *info)
{
  Remote *remote = g_hash_table_lookup (self->remotes, sid);
  g_autoptr(HcRemoteParticipant) participant = NULL;

  if (remote != NULL)
    return remote;
  participant = hc_remote_participant_new (
    sid, info ? json_object_get_string_member_with_default (info, "identity", "") : "");
  if (info != NULL)
    hc_remote_participant_set_name (participant,
                                    json_object_get_string_member_with_default (info, "name", NULL));
  remote = g_new0 (Remote, 1);
  remote->nq_send_cap = 2;
  remote->participant = g_object_ref (participant);
  remote->substream = -1;
  remote->notify_id = g_signal_connect (participant, "notify", G_CALLBACK (on_participant_notify),
                                        self);
  g_hash_table_insert (self->remotes, g_strdup (sid), remote);
  g_list_store_append (self->participants, participant);
  hc_remote_participant_set_is_dominant_speaker (participant,
                                                 g_strcmp0 (self->dominant_sid, sid) == 0);
  return remote;
}

static void
on_subscriber_stopped (GObject      *source,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  g_autoptr(Op) op = user_data;

  hc_subscriber_stop_finish (HC_SUBSCRIBER (source), result, NULL);
}

/* Forgets a remote's subscription (the server already did, or will). */
static void
drop_subscription (HcCallEngine *self,
                   Remote       *remote)
{
  g_autoptr(HcSubscriber) subscriber = g_steal_pointer (&remote->subscriber);

  g_clear_handle_id (&remote->retry_id, g_source_remove);
  remote->generation++;
  remote->subscribing = FALSE;
  remote->subscribed = FALSE;
  remote->configuring = FALSE;
  remote->substream = -1;
  remote->paused = FALSE;
  hc_remote_participant_set_configured (remote->participant, -1, FALSE);
  hc_remote_participant_set_subscription_state (remote->participant, HC_MEDIA_STATE_STOPPED);
  if (subscriber != NULL)
    {
      g_signal_handlers_disconnect_by_data (subscriber, self);
      hc_subscriber_stop_async (subscriber, NULL, on_subscriber_stopped, op_new (self, NULL));
    }
}

static void
remove_remote (HcCallEngine *self,
               const char   *sid)
{
  Remote *remote = g_hash_table_lookup (self->remotes, sid);
  guint position;

  if (remote == NULL)
    return;
  drop_subscription (self, remote);
  hc_video_paintable_clear (hc_remote_participant_get_video_paintable (remote->participant));
  if (self->pinned == remote->participant)
    {
      g_clear_object (&self->pinned);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PINNED_PARTICIPANT]);
    }
  if (find_in_list (self, remote->participant, &position))
    g_list_store_remove (self->participants, position);
  g_hash_table_remove (self->remotes, sid);
  update_featured (self);
}

static void
remove_all_remotes (HcCallEngine *self)
{
  g_autoptr(GPtrArray) sids = g_ptr_array_new_with_free_func (g_free);
  GHashTableIter iter;
  gpointer key;

  g_hash_table_iter_init (&iter, self->remotes);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    g_ptr_array_add (sids, g_strdup (key));
  for (guint i = 0; i < sids->len; i++)
    remove_remote (self, g_ptr_array_index (sids, i));
}

static void
set_dominant_speaker (HcCallEngine *self,
                      const char   *sid)
{
  gboolean was_local = self->local_sid != NULL &&
                       g_strcmp0 (self->dominant_sid, self->local_sid) == 0;
  gboolean is_local;
  GHashTableIter iter;
  gpointer value;

  set_string (self, &self->dominant_sid, sid, PROP_DOMINANT_SPEAKER_SID);
  is_local = self->local_sid != NULL && g_strcmp0 (sid, self->local_sid) == 0;
  if (was_local != is_local)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOCAL_IS_DOMINANT_SPEAKER]);

  g_hash_table_iter_init (&iter, self->remotes);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      Remote *remote = value;

      hc_remote_participant_set_is_dominant_speaker (
        remote->participant,
        g_strcmp0 (hc_remote_participant_get_sid (remote->participant), sid) == 0);
    }
  update_featured (self);
}

/* Layers: the "collaboration" bandwidth profile */

static void configure_remote (HcCallEngine *self,
                              Remote       *remote);

/* No video is expected while paused or while the camera is off: the subscription's
 * keyframe watchdog must not take a still picture for a lost one. */
static void
update_subscriber_paused (Remote *remote)
{
  if (remote->subscriber != NULL)
    hc_subscriber_set_paused (remote->subscriber,
                              remote->paused ||
                              hc_remote_participant_get_video_muted (remote->participant));
}

static void
on_configured (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(Op) op = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) reply = hc_signaling_client_request_finish (HC_SIGNALING_CLIENT (source),
                                                                    result, &error);
  Remote *remote = op_get_remote (op);

  if (remote == NULL)
    return;
  remote->configuring = FALSE;
  if (reply == NULL)
    {
      g_message ("Could not configure the subscription to %s: %s", op->sid, error->message);
      return;
    }
  remote->substream = (int) json_object_get_int_member_with_default (reply, "substream",
                                                                     remote->substream);
  remote->paused = json_object_get_boolean_member_with_default (reply, "paused", remote->paused);
  hc_remote_participant_set_configured (remote->participant, remote->substream, remote->paused);
  update_subscriber_paused (remote);
  /* The stage may have changed its mind meanwhile. */
  configure_remote (op->self, remote);
}

static int
wanted_substream (HcCallEngine *self,
                  Remote       *remote)
{
  int preferred = hc_remote_participant_get_preferred_substream (remote->participant);

  gboolean featured = remote->participant == self->featured;
  int wanted;
  int cap;

  if (preferred != HC_SUBSTREAM_AUTO)
    return preferred;
  if (!self->automatic_layers)
    wanted = 2;
  else
    /* Twilio's collaboration profile with dominantSpeakerPriority high: the large tile
     * gets the high layer, thumbnails the low one. */
    wanted = featured ? 2 : 0;
  if (!self->network_adaptation)
    return wanted;
  /* Network adaptation: our download degrading takes thumbnails down first and the
   * large tile last; a sender whose upload is limited is asked for its low layer. */
  cap = featured ? (self->nq_step >= 3 ? 0 : self->nq_step >= 2 ? 1 : 2)
                 : (self->nq_step >= 1 ? 0 : 2);
  return MIN (wanted, MIN (cap, remote->nq_send_cap));
}

static void
configure_remote (HcCallEngine *self,
                  Remote       *remote)
{
  g_autoptr(JsonObject) fields = NULL;
  gboolean paused = !hc_remote_participant_get_tile_visible (remote->participant);
  int substream = wanted_substream (self, remote);

  if (!remote->subscribed || remote->configuring || self->client == NULL || self->leaving)
    return;

  fields = json_object_new ();
  json_object_set_string_member (fields, "participant",
                                 hc_remote_participant_get_sid (remote->participant));
  /* The server pauses or resumes without touching the layer when `paused` changes,
   * so a change of both takes two rounds. */
  if (paused != remote->paused)
    json_object_set_boolean_member (fields, "paused", paused);
  else if (!paused && substream != remote->substream)
    json_object_set_int_member (fields, "substream", substream);
  else
    return;

  remote->configuring = TRUE;
  hc_signaling_client_request_async (self->client, "configure", fields, NULL, on_configured,
                                     op_new (self, remote));
}

static void
apply_layers (HcCallEngine *self)
{
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, self->remotes);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    configure_remote (self, value);
}

/* Subscribing */

static void
on_subscriber_candidate (HcSubscriber *subscriber,
                         guint         mline,
                         const char   *mid,
                         const char   *candidate,
                         gpointer      user_data)
{
  HcCallEngine *self = user_data;
  g_autoptr(JsonObject) object = NULL;

  if (candidate != NULL)
    object = candidate_object (mline, mid, candidate);
  send_trickle (self, hc_subscriber_get_participant_sid (subscriber), object);
}

static void
on_subscriber_state (GObject    *object,
                     GParamSpec *pspec,
                     gpointer    user_data)
{
  HcCallEngine *self = user_data;
  HcSubscriber *subscriber = HC_SUBSCRIBER (object);
  Remote *remote = g_hash_table_lookup (self->remotes,
                                        hc_subscriber_get_participant_sid (subscriber));

  if (remote == NULL || remote->subscriber != subscriber)
    return;
  hc_remote_participant_set_subscription_state (remote->participant,
                                                hc_subscriber_get_state (subscriber));
  if (hc_subscriber_get_state (subscriber) == HC_MEDIA_STATE_CONNECTED)
    remote->n_failures = 0;
  if (hc_subscriber_get_state (subscriber) == HC_MEDIA_STATE_FAILED &&
      hc_remote_participant_get_publishing (remote->participant) &&
      remote->n_failures++ < MAX_RESUBSCRIBE_ATTEMPTS)
    {
      /* Subscribing again replaces the server's side too (docs/protocol.md). */
      g_message ("Receiving %s failed; subscribing again",
                 hc_remote_participant_get_sid (remote->participant));
      drop_subscription (self, remote);
      subscribe (self, remote);
    }
}

static void
on_subscribed (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(Op) op = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) reply = hc_signaling_client_request_finish (HC_SIGNALING_CLIENT (source),
                                                                    result, &error);
  Remote *remote = op_get_remote (op);

  if (remote == NULL)
    return;
  remote->subscribing = FALSE;
  if (reply == NULL)
    {
      g_message ("subscribe-answer for %s refused: %s", op->sid, error->message);
      drop_subscription (op->self, remote);
      return;
    }
  remote->subscribed = TRUE;
  /* A subscription starts on the high substream, unpaused. */
  remote->substream = 2;
  remote->paused = FALSE;
  hc_remote_participant_set_configured (remote->participant, 2, FALSE);
  configure_remote (op->self, remote);
}

static void
on_answer_ready (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(Op) op = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *answer = hc_subscriber_accept_offer_finish (HC_SUBSCRIBER (source), result,
                                                              &error);
  g_autoptr(JsonObject) fields = NULL;
  Remote *remote = op_get_remote (op);

  if (remote == NULL)
    return;
  if (answer == NULL)
    {
      g_message ("Could not answer the offer for %s: %s", op->sid, error->message);
      remote->subscribing = FALSE;
      drop_subscription (op->self, remote);
      return;
    }
  fields = json_object_new ();
  json_object_set_string_member (fields, "participant", op->sid);
  json_object_set_string_member (fields, "sdp", answer);
  hc_signaling_client_request_async (op->self->client, "subscribe-answer", fields, NULL,
                                     on_subscribed, op_new (op->self, remote));
}

static gboolean
on_subscribe_retry (gpointer user_data)
{
  Op *op = user_data;
  Remote *remote = op_get_remote (op);

  if (remote != NULL)
    {
      remote->retry_id = 0;
      subscribe (op->self, remote);
    }
  return G_SOURCE_REMOVE;
}

static void
on_subscribe_offer (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(Op) op = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) reply = hc_signaling_client_request_finish (HC_SIGNALING_CLIENT (source),
                                                                    result, &error);
  HcCallEngine *self = op->self;
  Remote *remote = op_get_remote (op);
  const char *offer;

  if (remote == NULL)
    return;
  offer = reply ? json_object_get_string_member_with_default (reply, "sdp", NULL) : NULL;
  if (offer == NULL)
    {
      remote->subscribing = FALSE;
      if (error != NULL && error->domain == HC_ERROR &&
          (error->code == HC_ERROR_NOT_PUBLISHING || error->code == HC_ERROR_MEDIA_UNAVAILABLE) &&
          hc_remote_participant_get_publishing (remote->participant) &&
          remote->n_retries < SUBSCRIBE_MAX_RETRIES)
        {
          guint delay = MIN (SUBSCRIBE_RETRY_MAX_MS, SUBSCRIBE_RETRY_FIRST_MS << remote->n_retries);

          g_debug ("Subscribing to %s refused (%s); again in %u ms", op->sid, error->message,
                   delay);
          remote->n_retries++;
          remote->retry_id = g_timeout_add_full (G_PRIORITY_DEFAULT, delay, on_subscribe_retry,
                                                 op_new (self, remote), (GDestroyNotify) op_free);
          return;
        }
      g_message ("Could not subscribe to %s: %s", op->sid,
                 error ? error->message : "no offer in the reply");
      hc_remote_participant_set_subscription_state (remote->participant, HC_MEDIA_STATE_FAILED);
      return;
    }
  remote->n_retries = 0;

  remote->subscriber = hc_subscriber_new (op->sid,
                                          hc_remote_participant_get_video_paintable (remote->participant),
                                          self->play_audio, self->speaker_device);
  g_signal_connect (remote->subscriber, "ice-candidate", G_CALLBACK (on_subscriber_candidate),
                    self);
  g_signal_connect (remote->subscriber, "notify::state", G_CALLBACK (on_subscriber_state), self);
  update_subscriber_paused (remote);
  hc_subscriber_accept_offer_async (remote->subscriber, offer, NULL, on_answer_ready,
                                    op_new (self, remote));
}

static void
subscribe (HcCallEngine *self,
           Remote       *remote)
{
  g_autoptr(JsonObject) fields = NULL;

  if (remote->subscribing || remote->subscribed || remote->subscriber != NULL ||
      self->client == NULL || self->leaving ||
      !hc_remote_participant_get_publishing (remote->participant))
    return;
  remote->subscribing = TRUE;
  hc_remote_participant_set_subscription_state (remote->participant, HC_MEDIA_STATE_STARTING);
  fields = json_object_new ();
  json_object_set_string_member (fields, "participant",
                                 hc_remote_participant_get_sid (remote->participant));
  hc_signaling_client_request_async (self->client, "subscribe", fields, NULL, on_subscribe_offer,
                                     op_new (self, remote));
}

/* Publishing */

static void
complete_join (HcCallEngine *self,
               GError       *error)
{
  g_autoptr(GTask) task = g_steal_pointer (&self->join_task);

  if (task == NULL)
    {
      g_clear_error (&error);
      return;
    }
  if (error != NULL)
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

static void
on_client_closed_for_failure (GObject      *source,
                              GAsyncResult *result,
                              gpointer      user_data)
{
  g_autoptr(Op) op = user_data;

  hc_signaling_client_close_finish (HC_SIGNALING_CLIENT (source), result, NULL);
}

/* Joining went wrong: nothing to stay for. */
static void
fail_call (HcCallEngine *self,
           const GError *error)
{
  g_message ("The call failed: %s", error->message);
  set_error (self, error);
  self->epoch++;
  teardown_media (self);
  remove_all_remotes (self);
  if (self->client != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->client, self);
      hc_signaling_client_close_async (self->client, NULL, on_client_closed_for_failure,
                                       op_new (self, NULL));
      g_clear_object (&self->client);
    }
  set_state (self, HC_CALL_STATE_FAILED);
  complete_join (self, g_error_copy (error));
}

static void
send_mute_state (HcCallEngine *self)
{
  g_autoptr(JsonObject) fields = json_object_new ();

  json_object_set_boolean_member (fields, "audio", self->microphone_muted);
  json_object_set_boolean_member (fields, "video", !self->camera_enabled);
  if (self->client != NULL && self->local_sid != NULL)
    hc_signaling_client_send (self->client, "mute", fields);
}

static void
on_published (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(Op) op = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) reply = hc_signaling_client_request_finish (HC_SIGNALING_CLIENT (source),
                                                                    result, &error);
  HcCallEngine *self = op->self;
  const char *answer;
  gboolean simulcast;

  if (op_is_stale (op) || self->publisher == NULL)
    return;
  answer = reply ? json_object_get_string_member_with_default (reply, "sdp", NULL) : NULL;
  /* "The media server is starting" (or restarting): worth another try shortly. */
  if (answer == NULL && g_error_matches (error, HC_ERROR, HC_ERROR_MEDIA_UNAVAILABLE))
    {
      g_message ("Publishing refused for now (%s)", error->message);
      if (schedule_republish (self))
        return;
    }
  if (answer == NULL || !hc_publisher_set_remote_answer (self->publisher, answer, &error))
    {
      if (error == NULL)
        error = g_error_new_literal (HC_ERROR, HC_ERROR_BAD_SDP, "The server sent no answer");
      if (self->join_task != NULL)
        fail_call (self, error);
      else
        g_message ("Publishing again failed: %s", error->message);
      return;
    }
  simulcast = json_object_get_boolean_member_with_default (reply, "simulcast", FALSE);
  if (simulcast != self->published_simulcast)
    {
      self->published_simulcast = simulcast;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PUBLISHED_SIMULCAST]);
    }
  self->republish_attempts = 0;
  if (self->microphone_muted || !self->camera_enabled)
    send_mute_state (self);
  set_state (self, HC_CALL_STATE_IN_CALL);
  complete_join (self, NULL);
}

static void
on_publisher_candidate (HcPublisher *publisher,
                        guint        mline,
                        const char  *mid,
                        const char  *candidate,
                        gpointer     user_data)
{
  HcCallEngine *self = user_data;
  g_autoptr(JsonObject) object = NULL;

  if (candidate != NULL)
    object = candidate_object (mline, mid, candidate);
  /* housecalld takes publisher candidates only once `publish` is under way. */
  if (!self->publish_sent)
    {
      g_ptr_array_add (self->early_candidates, object ? json_object_ref (object) : NULL);
      return;
    }
  send_trickle (self, "publisher", object);
}

static void
on_publisher_started (GObject      *source,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  g_autoptr(Op) op = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *offer = hc_publisher_start_finish (HC_PUBLISHER (source), result, &error);
  g_autoptr(JsonObject) fields = NULL;
  HcCallEngine *self = op->self;

  if (op_is_stale (op) || self->publisher != HC_PUBLISHER (source))
    return;
  if (offer == NULL)
    {
      if (self->join_task != NULL)
        fail_call (self, error);
      return;
    }
  fields = json_object_new ();
  json_object_set_string_member (fields, "sdp", offer);
  json_object_set_boolean_member (fields, "audio", TRUE);
  json_object_set_boolean_member (fields, "video", TRUE);
  hc_signaling_client_request_async (self->client, "publish", fields, NULL, on_published,
                                     op_new (self, NULL));
  self->publish_sent = TRUE;
  for (guint i = 0; i < self->early_candidates->len; i++)
    send_trickle (self, "publisher", g_ptr_array_index (self->early_candidates, i));
  g_ptr_array_set_size (self->early_candidates, 0);
}

static gboolean
on_republish_timeout (gpointer user_data)
{
  HcCallEngine *self = user_data;

  self->republish_id = 0;
  if (self->state == HC_CALL_STATE_JOINED || self->state == HC_CALL_STATE_IN_CALL ||
      self->state == HC_CALL_STATE_RECONNECTING)
    start_publishing (self);
  return G_SOURCE_REMOVE;
}

static void
on_publisher_stopped (GObject      *source,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  g_autoptr(Op) op = user_data;

  hc_publisher_stop_finish (HC_PUBLISHER (source), result, NULL);
}

static void
stop_publisher (HcCallEngine *self)
{
  g_autoptr(HcPublisher) publisher = g_steal_pointer (&self->publisher);

  g_clear_handle_id (&self->republish_id, g_source_remove);
  self->publish_sent = FALSE;
  g_ptr_array_set_size (self->early_candidates, 0);
  if (publisher == NULL)
    return;
  g_signal_handlers_disconnect_by_data (publisher, self);
  hc_publisher_stop_async (publisher, NULL, on_publisher_stopped, op_new (self, NULL));
}

static void
on_publisher_state (GObject    *object,
                    GParamSpec *pspec,
                    gpointer    user_data)
{
  HcCallEngine *self = user_data;
  HcPublisher *publisher = HC_PUBLISHER (object);

  if (publisher != self->publisher || hc_publisher_get_state (publisher) != HC_MEDIA_STATE_FAILED)
    return;
  /* While joining, on_publisher_started() or on_published() report the failure. */
  if (self->join_task != NULL)
    return;
  set_error (self, hc_publisher_get_error (publisher));
  g_message ("Publishing failed; trying again");
  schedule_republish (self);
}

/* Starts publishing again a little later (doubling the delay each time), with a new
 * pipeline; FALSE when it has been tried often enough. */
static gboolean
schedule_republish (HcCallEngine *self)
{
  guint delay;

  stop_publisher (self);
  if (self->republish_attempts >= MAX_REPUBLISH_ATTEMPTS)
    return FALSE;
  delay = MIN (4000, REPUBLISH_DELAY_MS << self->republish_attempts);
  self->republish_attempts++;
  self->republish_id = g_timeout_add (delay, on_republish_timeout, self);
  return TRUE;
}

static HcVideoCodec
room_codec (HcCallEngine *self)
{
  return g_ascii_strcasecmp (self->video_codec ? self->video_codec : "", "H264") == 0
           ? HC_VIDEO_CODEC_H264 : HC_VIDEO_CODEC_VP8;
}

static void
start_publishing (HcCallEngine *self)
{
  stop_publisher (self);
  self->publisher = g_object_new (HC_TYPE_PUBLISHER,
                                  "profile", self->capture_profile,
                                  "codec", room_codec (self),
                                  "simulcast", self->simulcast,
                                  "preview", self->local_preview,
                                  "max-video-bitrate", self->max_video_bitrate,
                                  "microphone-muted", self->microphone_muted,
                                  "camera-enabled", self->camera_enabled,
                                  "camera-device", self->camera_device,
                                  "microphone-device", self->microphone_device,
                                  NULL);
  g_signal_connect (self->publisher, "ice-candidate", G_CALLBACK (on_publisher_candidate), self);
  g_signal_connect (self->publisher, "notify::state", G_CALLBACK (on_publisher_state), self);
  hc_publisher_start_async (self->publisher, NULL, on_publisher_started, op_new (self, NULL));
}

/* Joining */

static void
apply_joined (HcCallEngine *self,
              JsonObject   *joined)
{
  JsonObject *room = json_object_get_object_member (joined, "room");
  JsonObject *me = json_object_get_object_member (joined, "participant");
  JsonArray *others = json_object_has_member (joined, "participants")
                        ? json_object_get_array_member (joined, "participants") : NULL;
  JsonNode *dominant = json_object_get_member (joined, "dominant_speaker");
  g_autoptr(GHashTable) present = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GPtrArray) gone = g_ptr_array_new_with_free_func (g_free);
  GHashTableIter iter;
  gpointer key;

  if (room != NULL)
    {
      set_string (self, &self->room_sid,
                  json_object_get_string_member_with_default (room, "sid", NULL), PROP_ROOM_SID);
      set_string (self, &self->room_name,
                  json_object_get_string_member_with_default (room, "unique_name", NULL),
                  PROP_ROOM_NAME);
      set_string (self, &self->video_codec,
                  json_object_get_string_member_with_default (room, "video_codec", "VP8"),
                  PROP_VIDEO_CODEC);
    }
  if (me != NULL)
    set_string (self, &self->local_sid,
                json_object_get_string_member_with_default (me, "sid", NULL), PROP_LOCAL_SID);

  /* After a reconnect, participants who stayed keep their objects (and tiles). */
  for (guint i = 0; others != NULL && i < json_array_get_length (others); i++)
    {
      JsonObject *other = json_array_get_object_element (others, i);
      const char *sid = other ? json_object_get_string_member_with_default (other, "sid", NULL)
                              : NULL;
      Remote *remote;

      if (sid == NULL || g_strcmp0 (sid, self->local_sid) == 0)
        continue;
      remote = add_remote (self, sid, other);
      g_hash_table_add (present, (gpointer) hc_remote_participant_get_sid (remote->participant));
      hc_remote_participant_set_publishing (
        remote->participant, json_object_get_boolean_member_with_default (other, "publishing", FALSE));
      hc_remote_participant_set_muted (
        remote->participant,
        json_object_get_boolean_member_with_default (other, "audio_muted", FALSE),
        json_object_get_boolean_member_with_default (other, "video_muted", FALSE));
      if (json_object_get_member (other, "network_quality") != NULL &&
          JSON_NODE_HOLDS_OBJECT (json_object_get_member (other, "network_quality")))
        nq_apply_remote (self, remote, json_object_get_object_member (other, "network_quality"));
    }
  g_hash_table_iter_init (&iter, self->remotes);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    if (!g_hash_table_contains (present, key))
      g_ptr_array_add (gone, g_strdup (key));
  for (guint i = 0; i < gone->len; i++)
    remove_remote (self, g_ptr_array_index (gone, i));

  set_dominant_speaker (self, dominant != NULL && JSON_NODE_HOLDS_VALUE (dominant)
                                ? json_node_get_string (dominant) : NULL);
}

static void
subscribe_all (HcCallEngine *self)
{
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, self->remotes);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    subscribe (self, value);
}

static void
on_joined (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(Op) op = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) reply = hc_signaling_client_request_finish (HC_SIGNALING_CLIENT (source),
                                                                    result, &error);
  HcCallEngine *self = op->self;

  if (op_is_stale (op))
    return;
  if (reply == NULL)
    {
      if (self->join_task != NULL)
        fail_call (self, error);
      else
        {
          /* Rejoining after a reconnect: the room may have ended meanwhile. */
          g_message ("Could not join the room again: %s", error->message);
          set_error (self, error);
          set_end_reason (self, g_error_matches (error, HC_ERROR, HC_ERROR_ROOM_COMPLETED)
                                  ? HC_END_REASON_ROOM_COMPLETED : HC_END_REASON_ERROR);
          teardown_media (self);
          remove_all_remotes (self);
          if (self->client != NULL)
            hc_signaling_client_close (self->client);
          set_state (self, HC_CALL_STATE_ENDED);
        }
      return;
    }
  apply_joined (self, reply);
  if (self->state == HC_CALL_STATE_CONNECTING)
    set_state (self, HC_CALL_STATE_JOINED);
  start_publishing (self);
  subscribe_all (self);
}

static void
join_room (HcCallEngine *self)
{
  g_autoptr(JsonObject) fields = json_object_new ();

  json_object_set_string_member (fields, "room", self->room);
  hc_signaling_client_request_async (self->client, "join", fields, NULL, on_joined,
                                     op_new (self, NULL));
}

static void
on_connected (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(Op) op = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) reply = hc_signaling_client_connect_finish (HC_SIGNALING_CLIENT (source),
                                                                    result, &error);
  HcCallEngine *self = op->self;

  if (op_is_stale (op))
    return;
  if (reply == NULL)
    {
      fail_call (self, error);
      return;
    }
  set_string (self, &self->identity,
              json_object_get_string_member_with_default (reply, "identity", NULL), PROP_IDENTITY);
  set_string (self, &self->role, json_object_get_string_member_with_default (reply, "role", NULL),
              PROP_ROLE);
  join_room (self);
}

/* Server events */

static const char *
event_participant_sid (JsonObject *message)
{
  JsonNode *node = json_object_get_member (message, "participant");

  if (node == NULL)
    return NULL;
  if (JSON_NODE_HOLDS_OBJECT (node))
    return json_object_get_string_member_with_default (json_node_get_object (node), "sid", NULL);
  if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING)
    return json_node_get_string (node);
  return NULL;
}

static void
on_media_restarted (HcCallEngine *self)
{
  GHashTableIter iter;
  gpointer value;

  /* Every peer connection is gone: publish again. Others publish again too, and their
   * track-published brings our subscriptions back. */
  g_message ("The media server restarted; publishing again");
  self->epoch++;
  stop_publisher (self);
  g_hash_table_iter_init (&iter, self->remotes);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      Remote *remote = value;

      drop_subscription (self, remote);
      hc_remote_participant_set_publishing (remote->participant, FALSE);
    }
  if (self->state == HC_CALL_STATE_IN_CALL)
    set_state (self, HC_CALL_STATE_RECONNECTING);
  start_publishing (self);
}

static void
end_call (HcCallEngine *self,
          HcEndReason   reason)
{
  if (self->state == HC_CALL_STATE_ENDED || self->leaving)
    return;
  set_end_reason (self, reason);
  self->epoch++;
  teardown_media (self);
  remove_all_remotes (self);
  if (self->join_task != NULL)
    {
      set_state (self, HC_CALL_STATE_FAILED);
      complete_join (self, g_error_new (G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED,
                                        "The call ended (%s)",
                                        hc_enum_to_nick (HC_TYPE_END_REASON, reason)));
      return;
    }
  set_state (self, HC_CALL_STATE_ENDED);
}

static void
on_server_trickle (HcCallEngine *self,
                   JsonObject   *message)
{
  const char *target = json_object_get_string_member_with_default (message, "target", NULL);
  JsonObject *candidate = json_object_get_member (message, "candidate") != NULL &&
                          JSON_NODE_HOLDS_OBJECT (json_object_get_member (message, "candidate"))
                            ? json_object_get_object_member (message, "candidate") : NULL;
  const char *line;
  guint mline;
  Remote *remote;

  /* housecalld puts Janus's candidates in its SDP today; this is for a server that
   * trickles them. */
  if (target == NULL || candidate == NULL)
    return;
  line = json_object_get_string_member_with_default (candidate, "candidate", NULL);
  mline = (guint) json_object_get_int_member_with_default (candidate, "sdpMLineIndex", 0);
  if (strcmp (target, "publisher") == 0 && self->publisher != NULL)
    hc_publisher_add_ice_candidate (self->publisher, mline, line);
  else if ((remote = g_hash_table_lookup (self->remotes, target)) != NULL &&
           remote->subscriber != NULL)
    hc_subscriber_add_ice_candidate (remote->subscriber, mline, line);
}

static void
on_event (HcSignalingClient *client,
          JsonObject        *message,
          gpointer           user_data)
{
  HcCallEngine *self = user_data;
  const char *type = json_object_get_string_member_with_default (message, "type", "");
  const char *sid = event_participant_sid (message);
  Remote *remote = sid != NULL ? g_hash_table_lookup (self->remotes, sid) : NULL;

  if (self->leaving || self->local_sid == NULL)
    return;

  /* For the Add Interpreter dialog: a phone call of this room changed status. */
  if (strcmp (type, "phone-call-status") == 0 &&
      json_object_get_member (message, "call") != NULL &&
      JSON_NODE_HOLDS_OBJECT (json_object_get_member (message, "call")))
    {
      g_signal_emit (self, engine_signals[PHONE_CALL_STATUS], 0,
                     json_object_get_object_member (message, "call"));
      return;
    }

  if (strcmp (type, "participant-connected") == 0 && sid != NULL &&
      g_strcmp0 (sid, self->local_sid) != 0)
    {
      JsonObject *p = json_object_get_object_member (message, "participant");

      add_remote (self, sid, p);
      update_featured (self);
    }
  else if (strcmp (type, "participant-disconnected") == 0 && sid != NULL)
    remove_remote (self, sid);
  else if (strcmp (type, "track-published") == 0 && sid != NULL &&
           g_strcmp0 (sid, self->local_sid) != 0)
    {
      if (remote == NULL)
        {
          JsonObject *p = json_object_get_object_member (message, "participant");

          remote = add_remote (self, sid, p);
          update_featured (self);
        }
      hc_remote_participant_set_publishing (remote->participant, TRUE);
      subscribe (self, remote);
    }
  else if (strcmp (type, "track-unpublished") == 0 && remote != NULL)
    {
      hc_remote_participant_set_publishing (remote->participant, FALSE);
      drop_subscription (self, remote);
    }
  else if (strcmp (type, "participant-muted") == 0 && remote != NULL)
    {
      hc_remote_participant_set_muted (
        remote->participant,
        json_object_get_boolean_member_with_default (message, "audio_muted", FALSE),
        json_object_get_boolean_member_with_default (message, "video_muted", FALSE));
      update_subscriber_paused (remote);
    }
  else if (strcmp (type, "dominant-speaker-changed") == 0)
    set_dominant_speaker (self, sid);
  else if (strcmp (type, "network-quality-changed") == 0 && remote != NULL)
    nq_apply_remote (self, remote, message);
  else if (strcmp (type, "media-restarted") == 0)
    on_media_restarted (self);
  else if (strcmp (type, "room-completed") == 0)
    end_call (self, HC_END_REASON_ROOM_COMPLETED);
  else if (strcmp (type, "trickle") == 0)
    on_server_trickle (self, message);
  else if (strcmp (type, "error") == 0)
    g_debug ("Server error without a request: %s",
             json_object_get_string_member_with_default (message, "message", ""));
}

static void
on_client_state (GObject    *object,
                 GParamSpec *pspec,
                 gpointer    user_data)
{
  HcCallEngine *self = user_data;

  if (hc_signaling_client_get_state (HC_SIGNALING_CLIENT (object)) !=
        HC_SIGNALING_STATE_RECONNECTING || self->leaving)
    return;
  /* The server took the dropped socket for a departure and tore our media down. */
  g_message ("Lost the connection to the server; reconnecting");
  self->epoch++;
  teardown_media (self);
  g_free (self->local_sid);
  self->local_sid = NULL;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOCAL_SID]);
  if (self->state == HC_CALL_STATE_IN_CALL || self->state == HC_CALL_STATE_JOINED)
    set_state (self, HC_CALL_STATE_RECONNECTING);
}

static void
on_client_reconnected (HcSignalingClient *client,
                       gpointer           user_data)
{
  HcCallEngine *self = user_data;

  if (self->leaving)
    return;
  join_room (self);
}

static void
on_client_closed (HcSignalingClient *client,
                  guint              code,
                  const char        *reason,
                  gpointer           user_data)
{
  HcCallEngine *self = user_data;
  HcEndReason end_reason;

  if (self->leaving)
    return;
  switch (code)
    {
    case 4410:
      end_reason = HC_END_REASON_ROOM_COMPLETED;
      break;
    case 4403:
      end_reason = HC_END_REASON_TOKEN_REVOKED;
      break;
    case 4401:
      end_reason = HC_END_REASON_AUTH_FAILED;
      break;
    default:
      end_reason = HC_END_REASON_CONNECTION_LOST;
      break;
    }
  end_call (self, end_reason);
}

/* Network quality */

static void
nq_clear_window (GstStructure **window)
{
  for (guint i = 0; i < NQ_WINDOW; i++)
    g_clear_pointer (&window[i], gst_structure_free);
}

/* Adds @stats (taken) as the newest snapshot of @owner's window; a different owner
 * (a new publisher or subscription) starts the window afresh. */
static void
nq_push (GstStructure **window,
         gpointer      *window_owner,
         gpointer       owner,
         GstStructure  *stats)
{
  if (*window_owner != owner)
    {
      nq_clear_window (window);
      *window_owner = owner;
    }
  g_clear_pointer (&window[0], gst_structure_free);
  memmove (window, window + 1, (NQ_WINDOW - 1) * sizeof *window);
  window[NQ_WINDOW - 1] = stats;
}

/* The oldest snapshot in the window, or NULL with fewer than two. */
static const GstStructure *
nq_oldest (GstStructure **window)
{
  for (guint i = 0; i < NQ_WINDOW - 1; i++)
    if (window[i] != NULL)
      return window[i];
  return NULL;
}

static void
nq_set_local (HcCallEngine           *self,
              int                     level,
              HcNetworkQualityReason  reason)
{
  g_object_freeze_notify (G_OBJECT (self));
  if (self->nq_level != level)
    {
      self->nq_level = level;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_NETWORK_QUALITY_LEVEL]);
    }
  if (self->nq_reason != reason)
    {
      self->nq_reason = reason;
      g_free (self->nq_description);
      self->nq_description = hc_network_quality_reason_describe (reason, NULL);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_NETWORK_QUALITY_REASON]);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_NETWORK_QUALITY_DESCRIPTION]);
    }
  update_reconnecting (self);
  g_object_thaw_notify (G_OBJECT (self));
}

/* A remote's level as housecalld relays it ({level, reason, audio_only, …}). */
static void
nq_apply_remote (HcCallEngine *self,
                 Remote       *remote,
                 JsonObject   *report)
{
  HcNetworkQualityReason reason = HC_NETWORK_QUALITY_REASON_NONE;
  gint64 level = json_object_get_int_member_with_default (report, "level", -1);
  gboolean audio_only = json_object_get_boolean_member_with_default (report, "audio_only", FALSE);
  int cap = remote->nq_send_cap;
  gboolean resume;

  if (level < 0 || level > 5)
    return;
  hc_network_quality_reason_from_string (json_object_get_string_member_with_default (report, "reason",
                                                                                     "none"),
                                         &reason);
  resume = hc_remote_participant_get_audio_only (remote->participant) && !audio_only;
  hc_remote_participant_set_network_quality (remote->participant, (int) level, reason, audio_only);
  if (resume && remote->subscriber != NULL && hc_remote_participant_get_publishing (remote->participant))
    {
      /* Its video starts again after a pause: a fresh subscription, because the media
       * server's old one does not pick the stream up again (seen with Janus 1.1.2:
       * audio flowed, video never came back). */
      g_message ("%s sends video again; subscribing afresh",
                 hc_remote_participant_get_sid (remote->participant));
      remote->nq_send_cap = level >= 4 ? 2 : 0;
      drop_subscription (self, remote);
      subscribe (self, remote);
      return;
    }

  /* A sender whose upload is the problem cannot feed its high layer: ask for the low
   * one until it is good again (level 3 keeps whatever was asked for). */
  if (level >= 1 && level <= 2 && (reason == HC_NETWORK_QUALITY_REASON_SEND_LOSS ||
                                   reason == HC_NETWORK_QUALITY_REASON_SEND_BANDWIDTH))
    cap = 0;
  else if (level >= 4)
    cap = 2;
  if (cap != remote->nq_send_cap)
    {
      g_debug ("Subscription to %s capped at layer %d (its network quality is %d)",
               hc_remote_participant_get_sid (remote->participant), cap, (int) level);
      remote->nq_send_cap = cap;
      configure_remote (self, remote);
    }
}

static void
on_nq_reported (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(Op) op = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) reply = hc_signaling_client_request_finish (HC_SIGNALING_CLIENT (source),
                                                                    result, &error);
  HcCallEngine *self = op->self;
  JsonArray *participants;

  if (op_is_stale (op))
    return;
  if (reply == NULL)
    {
      /* Refused (too frequent, say) is an answer too: the server is there. */
      if (error->domain == HC_ERROR)
        self->nq_report_sent = 0;
      else
        g_debug ("Network-quality report: %s", error->message);
      return;
    }
  self->nq_report_sent = 0;
  participants = json_object_get_array_member (reply, "participants");
  for (guint i = 0; participants != NULL && i < json_array_get_length (participants); i++)
    {
      JsonObject *p = json_array_get_object_element (participants, i);
      const char *sid = p ? json_object_get_string_member_with_default (p, "sid", NULL) : NULL;
      Remote *remote = sid ? g_hash_table_lookup (self->remotes, sid) : NULL;

      if (remote != NULL)
        nq_apply_remote (self, remote, p);
    }
}

static void
nq_report (HcCallEngine                 *self,
           const HcNetworkQualityResult *result)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) node = NULL;

  if (self->client == NULL || self->state != HC_CALL_STATE_IN_CALL ||
      hc_signaling_client_get_state (self->client) != HC_SIGNALING_STATE_CONNECTED)
    return;
  json_builder_begin_object (builder);
  hc_network_quality_result_to_json (result, builder);
  json_builder_end_object (builder);
  node = json_builder_get_root (builder);
  if (self->nq_report_sent == 0)
    self->nq_report_sent = g_get_monotonic_time ();
  hc_signaling_client_request_async (self->client, "network-quality", json_node_get_object (node),
                                     NULL, on_nq_reported, op_new (self, NULL));
}

/* Our download: degrading takes layers away step by step, recovering gives them back. */
static void
nq_adapt (HcCallEngine                 *self,
          const HcNetworkQualityResult *result)
{
  int recv = MIN (result->levels[HC_NETWORK_QUALITY_KIND_AUDIO][HC_NETWORK_QUALITY_RECV],
                  result->levels[HC_NETWORK_QUALITY_KIND_VIDEO][HC_NETWORK_QUALITY_RECV]);
  int step = self->nq_step;

  if (result->level == 0)
    return;
  self->nq_bad_samples = recv <= 2 ? self->nq_bad_samples + 1 : 0;
  /* Back up from 3: a busy machine's own jitter keeps some receivers at 3 on a
   * clean network, and three samples in a row keep it from see-sawing. */
  self->nq_good_samples = recv >= 3 ? self->nq_good_samples + 1 : 0;
  if (self->nq_bad_samples >= NQ_DEGRADE_SAMPLES && step < NQ_MAX_STEP)
    {
      step++;
      self->nq_bad_samples = 0;
    }
  else if (self->nq_good_samples >= NQ_RECOVER_SAMPLES && step > 0)
    {
      step--;
      self->nq_good_samples = 0;
    }
  if (step != self->nq_step)
    {
      g_message ("Receive quality %d: subscriptions at adaptation step %d", recv, step);
      self->nq_step = step;
      apply_layers (self);
    }
}

static void
add_entry (GVariantBuilder *builder,
           const char      *key,
           GVariant        *value)
{
  g_variant_builder_add (builder, "{sv}", key, value);
}

static void
add_track (GVariantBuilder    *tracks,
           const HcTrackStats *track,
           const char         *participant,
           const char         *identity,
           int                 layer,
           int                 width,
           int                 height,
           double              frame_rate)
{
  GVariantBuilder entry;

  g_variant_builder_init (&entry, G_VARIANT_TYPE_VARDICT);
  add_entry (&entry, "participant", g_variant_new_string (participant ? participant : ""));
  add_entry (&entry, "identity", g_variant_new_string (identity ? identity : ""));
  add_entry (&entry, "direction", g_variant_new_string (track->direction));
  add_entry (&entry, "kind", g_variant_new_string (track->kind));
  add_entry (&entry, "ssrc", g_variant_new_uint32 (track->ssrc));
  add_entry (&entry, "bitrate-bps", g_variant_new_double (track->bitrate_bps));
  add_entry (&entry, "packets-per-second", g_variant_new_double (track->packets_per_s));
  add_entry (&entry, "fraction-lost", g_variant_new_double (track->fraction_lost));
  add_entry (&entry, "rtt-ms", g_variant_new_double (track->rtt_ms));
  add_entry (&entry, "jitter-ms", g_variant_new_double (track->jitter_ms));
  add_entry (&entry, "candidate-type",
             g_variant_new_string (track->candidate_type ? track->candidate_type : ""));
  add_entry (&entry, "layer", g_variant_new_int32 (layer));
  add_entry (&entry, "width", g_variant_new_int32 (width));
  add_entry (&entry, "height", g_variant_new_int32 (height));
  add_entry (&entry, "frame-rate", g_variant_new_double (frame_rate));
  g_variant_builder_add_value (tracks, g_variant_builder_end (&entry));
}

static void
clear_track (gpointer data)
{
  hc_track_stats_clear (data);
}

static void
nq_compute (HcCallEngine *self)
{
  g_autoptr(GArray) send_tracks = g_array_new (FALSE, TRUE, sizeof (HcTrackStats));
  HcNetworkQualityInput input;
  HcNetworkQualityResult result;
  HcRecvAccumulator acc;
  GVariantBuilder tracks;
  GVariantBuilder diagnostics;
  GHashTableIter iter;
  gpointer value;
  gboolean measured = FALSE;
  gint64 now = g_get_monotonic_time ();

  g_array_set_clear_func (send_tracks, clear_track);
  hc_network_quality_input_init (&input);
  input.connected = self->state == HC_CALL_STATE_IN_CALL && self->client != NULL &&
                    hc_signaling_client_get_state (self->client) == HC_SIGNALING_STATE_CONNECTED &&
                    (self->nq_report_sent == 0 || now - self->nq_report_sent < NQ_REPORT_LATE_US) &&
                    (self->publisher == NULL ||
                     hc_publisher_get_state (self->publisher) == HC_MEDIA_STATE_CONNECTED);
  g_variant_builder_init (&tracks, G_VARIANT_TYPE ("aa{sv}"));

  if (self->publisher != NULL && nq_oldest (self->nq_pub_stats) != NULL)
    {
      measured = TRUE;
      /* No expected bitrate: webrtcbin 1.22 has no congestion control, so the
       * encoders aim at a fixed target whatever the path, and what they produce
       * depends on the picture (a still test pattern makes a fraction of it). A
       * limited upload shows in the receiver reports instead: loss, delay, jitter. */
      hc_network_stats_add_send (nq_oldest (self->nq_pub_stats), self->nq_pub_stats[NQ_WINDOW - 1],
                                 0, self->camera_enabled, &input, send_tracks);
      for (guint i = 0; i < send_tracks->len; i++)
        {
          HcTrackStats *track = &g_array_index (send_tracks, HcTrackStats, i);
          int layer = -1, width = 0, height = 0, fps = 0;

          if (g_strcmp0 (track->kind, "video") == 0)
            {
              layer = hc_publisher_get_layer_for_ssrc (self->publisher, track->ssrc);
              if (layer >= 0)
                hc_publisher_get_layer_size (self->publisher, layer, &width, &height, &fps);
            }
          add_track (&tracks, track, self->local_sid, self->identity, layer, width, height, fps);
        }
    }

  hc_network_stats_recv_begin (&acc);
  g_hash_table_iter_init (&iter, self->remotes);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      Remote *remote = value;
      g_autoptr(GArray) recv_tracks = NULL;
      HcVideoPaintable *paintable;
      guint64 frames;

      if (remote->subscriber == NULL || nq_oldest (remote->nq_stats) == NULL)
        continue;
      measured = TRUE;
      recv_tracks = g_array_new (FALSE, TRUE, sizeof (HcTrackStats));
      g_array_set_clear_func (recv_tracks, clear_track);
      /* What a sender loses on its own upload reaches us as loss too, through the
       * media server: while it says its upload is the problem, its stream does not
       * count against our download (the diagnostics still show it). */
      if (remote->nq_send_cap < 2)
        {
          HcRecvAccumulator theirs;

          hc_network_stats_recv_begin (&theirs);
          hc_network_stats_add_recv (&theirs, nq_oldest (remote->nq_stats),
                                     remote->nq_stats[NQ_WINDOW - 1], recv_tracks);
        }
      else
        hc_network_stats_add_recv (&acc, nq_oldest (remote->nq_stats), remote->nq_stats[NQ_WINDOW - 1],
                                   recv_tracks);
      paintable = hc_remote_participant_get_video_paintable (remote->participant);
      frames = hc_video_paintable_get_frame_count (paintable);
      if (remote->nq_frames_time > 0 && now > remote->nq_frames_time && frames >= remote->nq_frames)
        remote->nq_frame_rate = (double) (frames - remote->nq_frames) * G_USEC_PER_SEC /
                                (double) (now - remote->nq_frames_time);
      remote->nq_frames = frames;
      remote->nq_frames_time = now;
      for (guint i = 0; i < recv_tracks->len; i++)
        {
          HcTrackStats *track = &g_array_index (recv_tracks, HcTrackStats, i);
          gboolean video = g_strcmp0 (track->kind, "video") == 0;

          add_track (&tracks, track, hc_remote_participant_get_sid (remote->participant),
                     hc_remote_participant_get_identity (remote->participant),
                     video ? remote->substream : -1,
                     video ? hc_video_paintable_get_width (paintable) : 0,
                     video ? hc_video_paintable_get_height (paintable) : 0,
                     video ? remote->nq_frame_rate : 0);
        }
    }
  hc_network_stats_recv_end (&acc, &input);

  /* Nothing measured yet (the first snapshot of each connection): say nothing new. */
  if (input.connected && !measured)
    {
      g_variant_builder_clear (&tracks);
      return;
    }
  hc_network_quality_score (&input, &result);
  nq_set_local (self, result.level, result.reason);

  g_variant_builder_init (&diagnostics, G_VARIANT_TYPE_VARDICT);
  add_entry (&diagnostics, "level", g_variant_new_int32 (result.level));
  add_entry (&diagnostics, "reason",
             g_variant_new_string (hc_network_quality_reason_to_string (result.reason)));
  add_entry (&diagnostics, "audio-send-level", g_variant_new_int32 (result.levels[0][0]));
  add_entry (&diagnostics, "audio-recv-level", g_variant_new_int32 (result.levels[0][1]));
  add_entry (&diagnostics, "video-send-level", g_variant_new_int32 (result.levels[1][0]));
  add_entry (&diagnostics, "video-recv-level", g_variant_new_int32 (result.levels[1][1]));
  add_entry (&diagnostics, "adaptation-step", g_variant_new_int32 (self->nq_step));
  add_entry (&diagnostics, "tracks", g_variant_builder_end (&tracks));
  g_clear_pointer (&self->diagnostics, g_variant_unref);
  self->diagnostics = g_variant_ref_sink (g_variant_builder_end (&diagnostics));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DIAGNOSTICS]);

  nq_adapt (self, &result);
  nq_report (self, &result);
}

typedef struct
{
  Op       *op;
  guint     round;
  gpointer  owner;   /* the publisher or subscriber asked */
} NqRequest;

static void
on_nq_stats (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  NqRequest *request = user_data;
  HcCallEngine *self = request->op->self;
  g_autoptr(GError) error = NULL;
  GstStructure *stats = hc_webrtcbin_get_stats_finish (result, &error);

  if (stats != NULL && request->round == self->nq_round && !op_is_stale (request->op))
    {
      g_autofree char *text = NULL;

      /* The raw statistics, for recording test fixtures (G_MESSAGES_DEBUG=HcEngine). */
      if (!g_log_writer_default_would_drop (G_LOG_LEVEL_DEBUG, G_LOG_DOMAIN))
        {
          text = gst_structure_to_string (stats);
          if (request->op->sid == NULL && self->publisher != NULL)
            g_debug ("webrtcbin stats publisher video-target=%u video-active=%d: %s",
                     hc_publisher_get_video_target_bps (self->publisher), self->camera_enabled, text);
          else
            g_debug ("webrtcbin stats %s: %s", request->op->sid ? request->op->sid : "publisher", text);
        }
      if (request->op->sid == NULL)
        {
          if (request->owner == self->publisher)
            {
              nq_push (self->nq_pub_stats, &self->nq_pub_owner, request->owner, stats);
              stats = NULL;
            }
        }
      else
        {
          Remote *remote = op_get_remote (request->op);

          if (remote != NULL && request->owner == remote->subscriber)
            {
              nq_push (remote->nq_stats, &remote->nq_owner, request->owner, stats);
              stats = NULL;
            }
        }
    }
  g_clear_pointer (&stats, gst_structure_free);
  if (request->round == self->nq_round && self->nq_pending > 0 && --self->nq_pending == 0 &&
      !op_is_stale (request->op))
    nq_compute (self);
  op_free (request->op);
  g_free (request);
}

static void
nq_request_stats (HcCallEngine *self,
                  GstElement   *webrtcbin,
                  Remote       *remote,
                  gpointer      owner)
{
  NqRequest *request = g_new0 (NqRequest, 1);

  request->op = op_new (self, remote);
  request->round = self->nq_round;
  request->owner = owner;
  self->nq_pending++;
  hc_webrtcbin_get_stats_async (webrtcbin, NULL, on_nq_stats, request);
}

static gboolean
on_nq_timeout (gpointer user_data)
{
  HcCallEngine *self = user_data;
  GHashTableIter iter;
  gpointer value;
  GstElement *webrtcbin;

  if (self->leaving)
    return G_SOURCE_CONTINUE;
  /* A report unanswered for long: the socket is as good as dead. Dropping it starts
   * the reconnect (and the media comes back through the rejoin). */
  if (self->nq_report_sent != 0 && self->client != NULL &&
      g_get_monotonic_time () - self->nq_report_sent > NQ_REPORT_DEAD_US &&
      hc_signaling_client_get_state (self->client) == HC_SIGNALING_STATE_CONNECTED)
    {
      g_message ("The server stopped answering; reconnecting");
      self->nq_report_sent = 0;
      hc_signaling_client_drop_connection (self->client);
      return G_SOURCE_CONTINUE;
    }
  if (self->nq_pending > 0)
    return G_SOURCE_CONTINUE;   /* the last round is still out */

  self->nq_round++;
  if (self->publisher != NULL && (webrtcbin = hc_publisher_get_webrtcbin (self->publisher)) != NULL)
    nq_request_stats (self, webrtcbin, NULL, self->publisher);
  g_hash_table_iter_init (&iter, self->remotes);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      Remote *remote = value;

      if (remote->subscriber != NULL && remote->subscribed &&
          (webrtcbin = hc_subscriber_get_webrtcbin (remote->subscriber)) != NULL)
        nq_request_stats (self, webrtcbin, remote, remote->subscriber);
    }
  if (self->nq_pending == 0)
    nq_compute (self);
  return G_SOURCE_CONTINUE;
}

/* Leaving */

static void
teardown_media (HcCallEngine *self)
{
  GHashTableIter iter;
  gpointer value;

  stop_publisher (self);
  g_hash_table_iter_init (&iter, self->remotes);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    drop_subscription (self, value);
}

static void
maybe_finish_leave (HcCallEngine *self)
{
  g_autoptr(GTask) task = NULL;

  if (self->leave_task == NULL || self->n_ops > 0)
    return;
  task = g_steal_pointer (&self->leave_task);
  self->leaving = FALSE;
  set_state (self, HC_CALL_STATE_ENDED);
  g_task_return_boolean (task, TRUE);
}

static void
on_client_closed_for_leave (GObject      *source,
                            GAsyncResult *result,
                            gpointer      user_data)
{
  g_autoptr(Op) op = user_data;

  hc_signaling_client_close_finish (HC_SIGNALING_CLIENT (source), result, NULL);
}

static void
close_client_for_leave (HcCallEngine *self)
{
  g_autoptr(HcSignalingClient) client = g_steal_pointer (&self->client);

  g_clear_handle_id (&self->leave_timeout_id, g_source_remove);
  if (client == NULL)
    return;
  g_signal_handlers_disconnect_by_data (client, self);
  hc_signaling_client_close_async (client, NULL, on_client_closed_for_leave, op_new (self, NULL));
}

static void
on_left (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(Op) op = user_data;
  g_autoptr(JsonObject) reply = hc_signaling_client_request_finish (HC_SIGNALING_CLIENT (source),
                                                                    result, NULL);

  close_client_for_leave (op->self);
}

static gboolean
on_leave_timeout (gpointer user_data)
{
  HcCallEngine *self = user_data;

  /* The server is slow to say `left`: closing the socket leaves the room as well. */
  self->leave_timeout_id = 0;
  close_client_for_leave (self);
  return G_SOURCE_REMOVE;
}

/* Settings */

static void
update_microphone (HcCallEngine *self)
{
  if (self->publisher != NULL)
    hc_publisher_set_microphone_muted (self->publisher, self->microphone_muted);
  if (self->state == HC_CALL_STATE_IN_CALL)
    send_mute_state (self);
}

/* GObject */

static void
hc_call_engine_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  HcCallEngine *self = HC_CALL_ENGINE (object);

  switch (prop_id)
    {
    case PROP_STATE:
      g_value_set_enum (value, self->state);
      break;
    case PROP_END_REASON:
      g_value_set_enum (value, self->end_reason);
      break;
    case PROP_ERROR:
      g_value_set_boxed (value, self->error);
      break;
    case PROP_PARTICIPANTS:
      g_value_set_object (value, self->participants);
      break;
    case PROP_FEATURED_PARTICIPANT:
      g_value_set_object (value, self->featured);
      break;
    case PROP_PINNED_PARTICIPANT:
      g_value_set_object (value, self->pinned);
      break;
    case PROP_DOMINANT_SPEAKER_SID:
      g_value_set_string (value, self->dominant_sid);
      break;
    case PROP_LOCAL_IS_DOMINANT_SPEAKER:
      g_value_set_boolean (value, self->local_sid != NULL &&
                                  g_strcmp0 (self->dominant_sid, self->local_sid) == 0);
      break;
    case PROP_LOCAL_PREVIEW:
      g_value_set_object (value, self->local_preview);
      break;
    case PROP_LOCAL_SID:
      g_value_set_string (value, self->local_sid);
      break;
    case PROP_IDENTITY:
      g_value_set_string (value, self->identity);
      break;
    case PROP_ROLE:
      g_value_set_string (value, self->role);
      break;
    case PROP_ROOM_SID:
      g_value_set_string (value, self->room_sid);
      break;
    case PROP_ROOM_NAME:
      g_value_set_string (value, self->room_name);
      break;
    case PROP_VIDEO_CODEC:
      g_value_set_string (value, self->video_codec);
      break;
    case PROP_PUBLISHED_SIMULCAST:
      g_value_set_boolean (value, self->published_simulcast);
      break;
    case PROP_MICROPHONE_MUTED:
      g_value_set_boolean (value, self->microphone_muted);
      break;
    case PROP_CAMERA_ENABLED:
      g_value_set_boolean (value, self->camera_enabled);
      break;
    case PROP_CAPTURE_PROFILE:
      g_value_set_enum (value, self->capture_profile);
      break;
    case PROP_MAX_VIDEO_BITRATE:
      g_value_set_uint (value, self->max_video_bitrate);
      break;
    case PROP_SIMULCAST:
      g_value_set_boolean (value, self->simulcast);
      break;
    case PROP_CAMERA_DEVICE:
      g_value_set_string (value, self->camera_device);
      break;
    case PROP_MICROPHONE_DEVICE:
      g_value_set_string (value, self->microphone_device);
      break;
    case PROP_SPEAKER_DEVICE:
      g_value_set_string (value, self->speaker_device);
      break;
    case PROP_PLAY_AUDIO:
      g_value_set_boolean (value, self->play_audio);
      break;
    case PROP_AUTOMATIC_LAYERS:
      g_value_set_boolean (value, self->automatic_layers);
      break;
    case PROP_NETWORK_ADAPTATION:
      g_value_set_boolean (value, self->network_adaptation);
      break;
    case PROP_NETWORK_QUALITY_LEVEL:
      g_value_set_int (value, self->nq_level);
      break;
    case PROP_NETWORK_QUALITY_REASON:
      g_value_set_enum (value, self->nq_reason);
      break;
    case PROP_NETWORK_QUALITY_DESCRIPTION:
      g_value_set_string (value, self->nq_description);
      break;
    case PROP_DIAGNOSTICS:
      g_value_set_variant (value, self->diagnostics);
      break;
    case PROP_RECONNECTING:
      g_value_set_boolean (value, self->reconnecting);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
hc_call_engine_set_property (GObject      *object,
                             guint         prop_id,
                             const GValue *value,
                             GParamSpec   *pspec)
{
  HcCallEngine *self = HC_CALL_ENGINE (object);

  switch (prop_id)
    {
    case PROP_PINNED_PARTICIPANT:
      hc_call_engine_pin_participant (self, g_value_get_object (value));
      break;
    case PROP_MICROPHONE_MUTED:
      hc_call_engine_set_microphone_muted (self, g_value_get_boolean (value));
      break;
    case PROP_CAMERA_ENABLED:
      hc_call_engine_set_camera_enabled (self, g_value_get_boolean (value));
      break;
    case PROP_CAPTURE_PROFILE:
      if (self->capture_profile != (HcCaptureProfile) g_value_get_enum (value))
        {
          /* Takes effect when publishing next starts (the next visit). */
          self->capture_profile = g_value_get_enum (value);
          g_object_notify_by_pspec (object, pspec);
        }
      break;
    case PROP_MAX_VIDEO_BITRATE:
      if (self->max_video_bitrate != g_value_get_uint (value))
        {
          self->max_video_bitrate = g_value_get_uint (value);
          if (self->publisher != NULL)
            hc_publisher_set_max_video_bitrate (self->publisher, self->max_video_bitrate);
          g_object_notify_by_pspec (object, pspec);
        }
      break;
    case PROP_SIMULCAST:
      if (self->simulcast != g_value_get_boolean (value))
        {
          self->simulcast = g_value_get_boolean (value);
          g_object_notify_by_pspec (object, pspec);
        }
      break;
    case PROP_CAMERA_DEVICE:
      if (g_strcmp0 (self->camera_device, g_value_get_string (value)) != 0)
        {
          set_string (self, &self->camera_device, g_value_get_string (value), prop_id);
          if (self->publisher != NULL)
            hc_publisher_set_camera_device (self->publisher, self->camera_device);
        }
      break;
    case PROP_MICROPHONE_DEVICE:
      if (g_strcmp0 (self->microphone_device, g_value_get_string (value)) != 0)
        {
          set_string (self, &self->microphone_device, g_value_get_string (value), prop_id);
          if (self->publisher != NULL)
            hc_publisher_set_microphone_device (self->publisher, self->microphone_device);
        }
      break;
    case PROP_SPEAKER_DEVICE:
      /* Subscriptions made from now on play through it. */
      set_string (self, &self->speaker_device, g_value_get_string (value), prop_id);
      break;
    case PROP_PLAY_AUDIO:
      if (self->play_audio != g_value_get_boolean (value))
        {
          self->play_audio = g_value_get_boolean (value);
          g_object_notify_by_pspec (object, pspec);
        }
      break;
    case PROP_AUTOMATIC_LAYERS:
      if (self->automatic_layers != g_value_get_boolean (value))
        {
          self->automatic_layers = g_value_get_boolean (value);
          g_object_notify_by_pspec (object, pspec);
          apply_layers (self);
        }
      break;
    case PROP_NETWORK_ADAPTATION:
      if (self->network_adaptation != g_value_get_boolean (value))
        {
          self->network_adaptation = g_value_get_boolean (value);
          g_object_notify_by_pspec (object, pspec);
          apply_layers (self);
        }
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
hc_call_engine_dispose (GObject *object)
{
  HcCallEngine *self = HC_CALL_ENGINE (object);

  /* Normally leave_async() has done all this; the engine may also just be dropped. */
  self->epoch++;
  g_clear_handle_id (&self->republish_id, g_source_remove);
  g_clear_handle_id (&self->leave_timeout_id, g_source_remove);
  g_clear_handle_id (&self->nq_timer_id, g_source_remove);
  if (self->publisher != NULL)
    g_signal_handlers_disconnect_by_data (self->publisher, self);
  g_clear_object (&self->publisher);
  if (self->remotes != NULL)
    {
      GHashTableIter iter;
      gpointer value;

      g_hash_table_iter_init (&iter, self->remotes);
      while (g_hash_table_iter_next (&iter, NULL, &value))
        {
          Remote *remote = value;

          if (remote->subscriber != NULL)
            g_signal_handlers_disconnect_by_data (remote->subscriber, self);
        }
      g_hash_table_remove_all (self->remotes);
    }
  if (self->client != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->client, self);
      hc_signaling_client_close (self->client);
      g_clear_object (&self->client);
    }
  if (self->participants != NULL)
    g_list_store_remove_all (self->participants);
  g_clear_object (&self->featured);
  g_clear_object (&self->pinned);
  g_clear_object (&self->local_preview);

  G_OBJECT_CLASS (hc_call_engine_parent_class)->dispose (object);
}

static void
hc_call_engine_finalize (GObject *object)
{
  HcCallEngine *self = HC_CALL_ENGINE (object);

  g_assert (self->join_task == NULL);
  g_assert (self->leave_task == NULL);
  g_clear_error (&self->error);
  g_free (self->camera_device);
  g_free (self->microphone_device);
  g_free (self->speaker_device);
  g_free (self->room);
  g_free (self->room_sid);
  g_free (self->room_name);
  g_free (self->video_codec);
  g_free (self->local_sid);
  g_free (self->identity);
  g_free (self->role);
  g_free (self->dominant_sid);
  g_clear_pointer (&self->early_candidates, g_ptr_array_unref);
  g_clear_pointer (&self->remotes, g_hash_table_unref);
  nq_clear_window (self->nq_pub_stats);
  g_free (self->nq_description);
  g_clear_pointer (&self->diagnostics, g_variant_unref);
  g_clear_object (&self->participants);

  G_OBJECT_CLASS (hc_call_engine_parent_class)->finalize (object);
}

static void
hc_call_engine_class_init (HcCallEngineClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags read_only = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY |
                                G_PARAM_STATIC_STRINGS;
  const GParamFlags read_write = G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY |
                                 G_PARAM_STATIC_STRINGS;

  object_class->get_property = hc_call_engine_get_property;
  object_class->set_property = hc_call_engine_set_property;
  object_class->dispose = hc_call_engine_dispose;
  object_class->finalize = hc_call_engine_finalize;

  properties[PROP_STATE] =
    g_param_spec_enum ("state", NULL, NULL, HC_TYPE_CALL_STATE, HC_CALL_STATE_IDLE, read_only);
  properties[PROP_END_REASON] =
    g_param_spec_enum ("end-reason", NULL, NULL, HC_TYPE_END_REASON, HC_END_REASON_NONE,
                       read_only);
  /**
   * HcCallEngine:error:
   *
   * The last thing that went wrong (a GError in the HC_ERROR domain when the server
   * refused something, with its code), or %NULL.
   */
  properties[PROP_ERROR] =
    g_param_spec_boxed ("error", NULL, NULL, G_TYPE_ERROR, read_only);
  properties[PROP_PARTICIPANTS] =
    g_param_spec_object ("participants", NULL, NULL, G_TYPE_LIST_MODEL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_FEATURED_PARTICIPANT] =
    g_param_spec_object ("featured-participant", NULL, NULL, HC_TYPE_REMOTE_PARTICIPANT,
                         read_only);
  properties[PROP_PINNED_PARTICIPANT] =
    g_param_spec_object ("pinned-participant", NULL, NULL, HC_TYPE_REMOTE_PARTICIPANT,
                         read_write);
  properties[PROP_DOMINANT_SPEAKER_SID] =
    g_param_spec_string ("dominant-speaker-sid", NULL, NULL, NULL, read_only);
  properties[PROP_LOCAL_IS_DOMINANT_SPEAKER] =
    g_param_spec_boolean ("local-is-dominant-speaker", NULL, NULL, FALSE, read_only);
  properties[PROP_LOCAL_PREVIEW] =
    g_param_spec_object ("local-preview", NULL, NULL, GDK_TYPE_PAINTABLE,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_LOCAL_SID] =
    g_param_spec_string ("local-sid", NULL, NULL, NULL, read_only);
  properties[PROP_IDENTITY] =
    g_param_spec_string ("identity", NULL, NULL, NULL, read_only);
  properties[PROP_ROLE] =
    g_param_spec_string ("role", NULL, NULL, NULL, read_only);
  properties[PROP_ROOM_SID] =
    g_param_spec_string ("room-sid", NULL, NULL, NULL, read_only);
  properties[PROP_ROOM_NAME] =
    g_param_spec_string ("room-name", NULL, NULL, NULL, read_only);
  properties[PROP_VIDEO_CODEC] =
    g_param_spec_string ("video-codec", NULL, NULL, NULL, read_only);
  /**
   * HcCallEngine:published-simulcast:
   *
   * What the server's `published` said: whether it receives our video as simulcast.
   */
  properties[PROP_PUBLISHED_SIMULCAST] =
    g_param_spec_boolean ("published-simulcast", NULL, NULL, FALSE, read_only);
  properties[PROP_MICROPHONE_MUTED] =
    g_param_spec_boolean ("microphone-muted", NULL, NULL, FALSE, read_write);
  properties[PROP_CAMERA_ENABLED] =
    g_param_spec_boolean ("camera-enabled", NULL, NULL, TRUE, read_write);
  /**
   * HcCallEngine:capture-profile:
   *
   * The GSettings key of the same name. Applies when publishing next starts.
   */
  properties[PROP_CAPTURE_PROFILE] =
    g_param_spec_enum ("capture-profile", NULL, NULL, HC_TYPE_CAPTURE_PROFILE,
                       HC_CAPTURE_PROFILE_720P, read_write);
  /**
   * HcCallEngine:max-video-bitrate:
   *
   * The cap on our video in kbit/s, shared across the simulcast layers. Applies at once.
   */
  properties[PROP_MAX_VIDEO_BITRATE] =
    g_param_spec_uint ("max-video-bitrate", NULL, NULL, 100, 10000, 1500, read_write);
  properties[PROP_SIMULCAST] =
    g_param_spec_boolean ("simulcast", NULL, NULL, TRUE, read_write);
  /**
   * HcCallEngine:camera-device:
   *
   * The camera, by display name, device path or PipeWire node name; "" for the
   * default. "test:<pattern>" is a generated picture (videotestsrc's patterns: ball,
   * smpte…) for demos and tests. Changing it during a call switches cameras without
   * dropping the call. (The test-pattern capture profiles ignore it.)
   */
  properties[PROP_CAMERA_DEVICE] =
    g_param_spec_string ("camera-device", NULL, NULL, "", read_write);
  /**
   * HcCallEngine:microphone-device:
   *
   * Likewise for the microphone; "test:<hertz>" is a generated tone.
   */
  properties[PROP_MICROPHONE_DEVICE] =
    g_param_spec_string ("microphone-device", NULL, NULL, "", read_write);
  /**
   * HcCallEngine:speaker-device:
   *
   * The output, by display name; "" for the default. Subscriptions made after a change
   * play through the new one.
   */
  properties[PROP_SPEAKER_DEVICE] =
    g_param_spec_string ("speaker-device", NULL, NULL, "", read_write);
  /**
   * HcCallEngine:play-audio:
   *
   * Whether remote audio goes to the speaker; when %FALSE it is still decoded, into
   * a fakesink (tests, CI).
   */
  properties[PROP_PLAY_AUDIO] =
    g_param_spec_boolean ("play-audio", NULL, NULL, TRUE, read_write);
  /**
   * HcCallEngine:automatic-layers:
   *
   * The collaboration policy: the featured participant on the high simulcast layer,
   * the others on the low one. When %FALSE, every subscription stays high unless the
   * stage asks otherwise.
   */
  properties[PROP_AUTOMATIC_LAYERS] =
    g_param_spec_boolean ("automatic-layers", NULL, NULL, TRUE, read_write);
  /**
   * HcCallEngine:network-adaptation:
   *
   * Whether network quality lowers the layers subscribed to (our download
   * degrading, or a sender's upload). Quality is still measured and reported
   * when %FALSE; tests of the layer policy turn it off, since a starved CI
   * machine measures itself as a bad network.
   */
  properties[PROP_NETWORK_ADAPTATION] =
    g_param_spec_boolean ("network-adaptation", NULL, NULL, TRUE, read_write);
  /**
   * HcCallEngine:network-quality-level:
   *
   * Our own network quality, Twilio's scale: 5 excellent … 1 bad, 0 broken
   * (reconnecting), -1 before the first measurement. Measured every 2 s from
   * webrtcbin's statistics (src/common/hc-network-quality.h) and reported to the room.
   */
  properties[PROP_NETWORK_QUALITY_LEVEL] =
    g_param_spec_int ("network-quality-level", NULL, NULL, -1, 5, -1, read_only);
  /**
   * HcCallEngine:network-quality-reason:
   *
   * Why our level is below 5 (an #HcNetworkQualityReason).
   */
  properties[PROP_NETWORK_QUALITY_REASON] =
    g_param_spec_enum ("network-quality-reason", NULL, NULL, HC_TYPE_NETWORK_QUALITY_REASON,
                       HC_NETWORK_QUALITY_REASON_NONE, read_only);
  /**
   * HcCallEngine:network-quality-description:
   *
   * The reason as a translated sentence to the local user ("Your upload is
   * limited"), or %NULL.
   */
  properties[PROP_NETWORK_QUALITY_DESCRIPTION] =
    g_param_spec_string ("network-quality-description", NULL, NULL, NULL, read_only);
  /**
   * HcCallEngine:diagnostics:
   *
   * The last sample for the in-call diagnostics view (a{sv}), %NULL before the first;
   * see hc_call_engine_get_diagnostics(). Notified every sample (2 s).
   */
  properties[PROP_DIAGNOSTICS] =
    g_param_spec_variant ("diagnostics", NULL, NULL, G_VARIANT_TYPE_VARDICT, NULL, read_only);
  /**
   * HcCallEngine:reconnecting:
   *
   * What a "Reconnecting…" banner shows: %TRUE while the socket is being reopened
   * (#HcCallEngine:state is %HC_CALL_STATE_RECONNECTING) and while the connection is
   * down in the call (#HcCallEngine:network-quality-level 0: the server stopped
   * answering, or the media transport is not connected). The engine comes back by
   * itself: reconnect with backoff, join again, publish and subscribe again.
   */
  properties[PROP_RECONNECTING] =
    g_param_spec_boolean ("reconnecting", NULL, NULL, FALSE, read_only);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * HcCallEngine::phone-call-status:
   * @call: the phone call as the server's REST resource has it (a JsonObject)
   *
   * A phone call placed into this room changed status (providers only).
   */
  engine_signals[PHONE_CALL_STATUS] =
    g_signal_new ("phone-call-status", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 1, JSON_TYPE_OBJECT);
}

static void
hc_call_engine_init (HcCallEngine *self)
{
  self->capture_profile = HC_CAPTURE_PROFILE_720P;
  self->max_video_bitrate = 1500;
  self->simulcast = TRUE;
  self->camera_device = g_strdup ("");
  self->microphone_device = g_strdup ("");
  self->speaker_device = g_strdup ("");
  self->play_audio = TRUE;
  self->camera_enabled = TRUE;
  self->automatic_layers = TRUE;
  self->network_adaptation = TRUE;
  self->participants = g_list_store_new (HC_TYPE_REMOTE_PARTICIPANT);
  self->remotes = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, remote_free);
  self->early_candidates = g_ptr_array_new_with_free_func (candidate_free);
  self->local_preview = hc_video_paintable_new ();
  self->nq_level = -1;
}

/* Public API */

HcCallEngine *
hc_call_engine_new (void)
{
  return g_object_new (HC_TYPE_CALL_ENGINE, NULL);
}

void
hc_call_engine_warm_up (void)
{
  hc_webrtc_warm_up ();
}

void
hc_call_engine_warm_up_wait (void)
{
  hc_webrtc_warm_up_wait ();
}

void
hc_call_engine_bind_settings (HcCallEngine *self,
                              GSettings    *settings)
{
  g_return_if_fail (HC_IS_CALL_ENGINE (self));
  g_return_if_fail (G_IS_SETTINGS (settings));

  g_settings_bind (settings, "capture-profile", self, "capture-profile", G_SETTINGS_BIND_GET);
  g_settings_bind (settings, "max-video-bitrate", self, "max-video-bitrate",
                   G_SETTINGS_BIND_GET);
  g_settings_bind (settings, "simulcast", self, "simulcast", G_SETTINGS_BIND_GET);
  g_settings_bind (settings, "camera-device", self, "camera-device", G_SETTINGS_BIND_GET);
  g_settings_bind (settings, "microphone-device", self, "microphone-device",
                   G_SETTINGS_BIND_GET);
  g_settings_bind (settings, "speaker-device", self, "speaker-device", G_SETTINGS_BIND_GET);
  /* Only how a visit starts; the controls change them afterwards. */
  if (self->state == HC_CALL_STATE_IDLE)
    {
      hc_call_engine_set_microphone_muted (self, g_settings_get_boolean (settings, "start-muted"));
      hc_call_engine_set_camera_enabled (self,
                                         !g_settings_get_boolean (settings, "start-camera-off"));
    }
}

void
hc_call_engine_join_async (HcCallEngine        *self,
                           const char          *server_url,
                           const char          *token,
                           const char          *room,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *url = NULL;

  g_return_if_fail (HC_IS_CALL_ENGINE (self));
  g_return_if_fail (server_url != NULL);
  g_return_if_fail (token != NULL);
  g_return_if_fail (room != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, hc_call_engine_join_async);
  if (self->join_task != NULL || self->leave_task != NULL || self->client != NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_BUSY, "A call is already under way");
      return;
    }
  url = hc_signaling_url_for_server (server_url, &error);
  if (url == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  /* The DTLS certificate is made while the socket connects and the room is joined,
   * not when the publisher's first offer needs it (bench/README.md, join time). */
  hc_webrtc_warm_up ();

  self->epoch++;
  g_free (self->room);
  self->room = g_strdup (room);
  set_error (self, NULL);
  set_end_reason (self, HC_END_REASON_NONE);
  self->published_simulcast = FALSE;
  self->republish_attempts = 0;
  self->join_task = g_steal_pointer (&task);
  self->client = hc_signaling_client_new (url);
  g_signal_connect (self->client, "event", G_CALLBACK (on_event), self);
  g_signal_connect (self->client, "notify::state", G_CALLBACK (on_client_state), self);
  g_signal_connect (self->client, "reconnected", G_CALLBACK (on_client_reconnected), self);
  g_signal_connect (self->client, "closed", G_CALLBACK (on_client_closed), self);
  set_state (self, HC_CALL_STATE_CONNECTING);
  g_clear_handle_id (&self->nq_timer_id, g_source_remove);
  self->nq_timer_id = g_timeout_add_seconds (NQ_INTERVAL_SECONDS, on_nq_timeout, self);
  hc_signaling_client_connect_async (self->client, token, NULL, on_connected,
                                     op_new (self, NULL));
}

gboolean
hc_call_engine_join_finish (HcCallEngine  *self,
                            GAsyncResult  *result,
                            GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

void
hc_call_engine_leave_async (HcCallEngine        *self,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (HC_IS_CALL_ENGINE (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, hc_call_engine_leave_async);
  if (self->leave_task != NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_PENDING, "Already leaving");
      return;
    }
  if (self->join_task != NULL)
    {
      g_autoptr(GTask) join_task = g_steal_pointer (&self->join_task);

      g_task_return_new_error (join_task, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                               "Left before the call started");
    }

  self->leaving = TRUE;
  self->leave_task = g_steal_pointer (&task);
  self->epoch++;
  if (self->state != HC_CALL_STATE_ENDED && self->state != HC_CALL_STATE_FAILED &&
      self->state != HC_CALL_STATE_IDLE)
    set_end_reason (self, HC_END_REASON_LEFT);
  teardown_media (self);
  remove_all_remotes (self);
  g_clear_pointer (&self->local_sid, g_free);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOCAL_SID]);
  set_dominant_speaker (self, NULL);

  if (self->client != NULL &&
      hc_signaling_client_get_state (self->client) == HC_SIGNALING_STATE_CONNECTED)
    {
      /* Say goodbye, then close; a server that does not answer soon is closed on. */
      hc_signaling_client_request_async (self->client, "leave", NULL, NULL, on_left,
                                         op_new (self, NULL));
      self->leave_timeout_id = g_timeout_add (LEAVE_REPLY_TIMEOUT_MS, on_leave_timeout, self);
    }
  else
    close_client_for_leave (self);
  maybe_finish_leave (self);
}

gboolean
hc_call_engine_leave_finish (HcCallEngine  *self,
                             GAsyncResult  *result,
                             GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

HcCallState
hc_call_engine_get_state (HcCallEngine *self)
{
  g_return_val_if_fail (HC_IS_CALL_ENGINE (self), HC_CALL_STATE_IDLE);
  return self->state;
}

HcEndReason
hc_call_engine_get_end_reason (HcCallEngine *self)
{
  g_return_val_if_fail (HC_IS_CALL_ENGINE (self), HC_END_REASON_NONE);
  return self->end_reason;
}

const GError *
hc_call_engine_get_error (HcCallEngine *self)
{
  g_return_val_if_fail (HC_IS_CALL_ENGINE (self), NULL);
  return self->error;
}

GListModel *
hc_call_engine_get_participants (HcCallEngine *self)
{
  g_return_val_if_fail (HC_IS_CALL_ENGINE (self), NULL);
  return G_LIST_MODEL (self->participants);
}

HcRemoteParticipant *
hc_call_engine_find_participant (HcCallEngine *self,
                                 const char   *sid)
{
  Remote *remote;

  g_return_val_if_fail (HC_IS_CALL_ENGINE (self), NULL);
  g_return_val_if_fail (sid != NULL, NULL);

  remote = g_hash_table_lookup (self->remotes, sid);
  return remote != NULL ? remote->participant : NULL;
}

HcRemoteParticipant *
hc_call_engine_get_featured_participant (HcCallEngine *self)
{
  g_return_val_if_fail (HC_IS_CALL_ENGINE (self), NULL);
  return self->featured;
}

GdkPaintable *
hc_call_engine_get_local_preview (HcCallEngine *self)
{
  g_return_val_if_fail (HC_IS_CALL_ENGINE (self), NULL);
  return GDK_PAINTABLE (self->local_preview);
}

const char *
hc_call_engine_get_local_sid (HcCallEngine *self)
{
  g_return_val_if_fail (HC_IS_CALL_ENGINE (self), NULL);
  return self->local_sid;
}

const char *
hc_call_engine_get_room_sid (HcCallEngine *self)
{
  g_return_val_if_fail (HC_IS_CALL_ENGINE (self), NULL);
  return self->room_sid;
}

const char *
hc_call_engine_get_dominant_speaker_sid (HcCallEngine *self)
{
  g_return_val_if_fail (HC_IS_CALL_ENGINE (self), NULL);
  return self->dominant_sid;
}

gboolean
hc_call_engine_get_published_simulcast (HcCallEngine *self)
{
  g_return_val_if_fail (HC_IS_CALL_ENGINE (self), FALSE);
  return self->published_simulcast;
}

void
hc_call_engine_set_microphone_muted (HcCallEngine *self,
                                     gboolean      muted)
{
  g_return_if_fail (HC_IS_CALL_ENGINE (self));

  muted = !!muted;
  if (self->microphone_muted == muted)
    return;
  self->microphone_muted = muted;
  update_microphone (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MICROPHONE_MUTED]);
}

gboolean
hc_call_engine_get_microphone_muted (HcCallEngine *self)
{
  g_return_val_if_fail (HC_IS_CALL_ENGINE (self), FALSE);
  return self->microphone_muted;
}

void
hc_call_engine_set_camera_enabled (HcCallEngine *self,
                                   gboolean      enabled)
{
  g_return_if_fail (HC_IS_CALL_ENGINE (self));

  enabled = !!enabled;
  if (self->camera_enabled == enabled)
    return;
  self->camera_enabled = enabled;
  if (self->publisher != NULL)
    hc_publisher_set_camera_enabled (self->publisher, enabled);
  if (!enabled)
    hc_video_paintable_clear (self->local_preview);
  if (self->state == HC_CALL_STATE_IN_CALL)
    send_mute_state (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CAMERA_ENABLED]);
}

gboolean
hc_call_engine_get_camera_enabled (HcCallEngine *self)
{
  g_return_val_if_fail (HC_IS_CALL_ENGINE (self), TRUE);
  return self->camera_enabled;
}

void
hc_call_engine_set_subscribed_layer (HcCallEngine        *self,
                                     HcRemoteParticipant *participant,
                                     int                  substream)
{
  g_return_if_fail (HC_IS_CALL_ENGINE (self));
  g_return_if_fail (HC_IS_REMOTE_PARTICIPANT (participant));

  /* The participant's notify brings us back to apply_layers(). */
  hc_remote_participant_set_preferred_substream (participant, substream);
}

void
hc_call_engine_set_tile_visible (HcCallEngine        *self,
                                 HcRemoteParticipant *participant,
                                 gboolean             visible)
{
  g_return_if_fail (HC_IS_CALL_ENGINE (self));
  g_return_if_fail (HC_IS_REMOTE_PARTICIPANT (participant));

  hc_remote_participant_set_tile_visible (participant, visible);
}

void
hc_call_engine_pin_participant (HcCallEngine        *self,
                                HcRemoteParticipant *participant)
{
  g_return_if_fail (HC_IS_CALL_ENGINE (self));
  g_return_if_fail (participant == NULL || HC_IS_REMOTE_PARTICIPANT (participant));

  if (!g_set_object (&self->pinned, participant))
    return;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PINNED_PARTICIPANT]);
  update_featured (self);
}

static void
on_host_request_done (GObject      *source,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) reply = NULL;

  reply = hc_signaling_client_request_finish (HC_SIGNALING_CLIENT (source), result, &error);
  if (reply == NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_boolean (task, TRUE);
}

/* Host controls go to the server, which alone decides whether this token may
 * use them; the result tells the caller what the server said. */
static void
send_host_request (HcCallEngine        *self,
                   const char          *type,
                   JsonObject          *fields,
                   GCancellable        *cancellable,
                   GAsyncReadyCallback  callback,
                   gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, send_host_request);
  if (self->client == NULL || self->local_sid == NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED,
                               "Not in a call");
      return;
    }
  hc_signaling_client_request_async (self->client, type, fields, cancellable,
                                     on_host_request_done, g_steal_pointer (&task));
}

void
hc_call_engine_mute_participant_async (HcCallEngine        *self,
                                       HcRemoteParticipant *participant,
                                       gboolean             mute,
                                       GCancellable        *cancellable,
                                       GAsyncReadyCallback  callback,
                                       gpointer             user_data)
{
  g_autoptr(JsonObject) fields = json_object_new ();

  g_return_if_fail (HC_IS_CALL_ENGINE (self));
  g_return_if_fail (HC_IS_REMOTE_PARTICIPANT (participant));

  json_object_set_string_member (fields, "participant", hc_remote_participant_get_sid (participant));
  json_object_set_boolean_member (fields, "mute", !!mute);
  send_host_request (self, "mute-participant", fields, cancellable, callback, user_data);
}

void
hc_call_engine_remove_participant_async (HcCallEngine        *self,
                                         HcRemoteParticipant *participant,
                                         GCancellable        *cancellable,
                                         GAsyncReadyCallback  callback,
                                         gpointer             user_data)
{
  g_autoptr(JsonObject) fields = json_object_new ();

  g_return_if_fail (HC_IS_CALL_ENGINE (self));
  g_return_if_fail (HC_IS_REMOTE_PARTICIPANT (participant));

  json_object_set_string_member (fields, "participant", hc_remote_participant_get_sid (participant));
  send_host_request (self, "remove-participant", fields, cancellable, callback, user_data);
}

void
hc_call_engine_end_visit_async (HcCallEngine        *self,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  g_autoptr(JsonObject) fields = json_object_new ();

  g_return_if_fail (HC_IS_CALL_ENGINE (self));

  send_host_request (self, "end-visit", fields, cancellable, callback, user_data);
}

gboolean
hc_call_engine_host_request_finish (HcCallEngine  *self,
                                    GAsyncResult  *result,
                                    GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == send_host_request, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

guint
hc_call_engine_get_keyframes_routed (HcCallEngine *self,
                                     guint         layer)
{
  g_return_val_if_fail (HC_IS_CALL_ENGINE (self), 0);

  return self->publisher != NULL ? hc_publisher_get_keyframes_routed (self->publisher, layer) : 0;
}

void
hc_call_engine_simulate_connection_loss (HcCallEngine *self)
{
  g_return_if_fail (HC_IS_CALL_ENGINE (self));

  if (self->client != NULL)
    hc_signaling_client_drop_connection (self->client);
}

void
hc_call_engine_log_stats (HcCallEngine *self)
{
  GHashTableIter iter;
  gpointer value;

  g_return_if_fail (HC_IS_CALL_ENGINE (self));

  if (self->publisher != NULL)
    hc_publisher_log_stats (self->publisher);
  g_hash_table_iter_init (&iter, self->remotes);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      Remote *remote = value;

      if (remote->subscriber != NULL)
        hc_subscriber_log_stats (remote->subscriber);
    }
}

int
hc_call_engine_get_network_quality_level (HcCallEngine *self)
{
  g_return_val_if_fail (HC_IS_CALL_ENGINE (self), -1);
  return self->nq_level;
}

int
hc_call_engine_get_network_quality_reason (HcCallEngine *self)
{
  g_return_val_if_fail (HC_IS_CALL_ENGINE (self), HC_NETWORK_QUALITY_REASON_NONE);
  return self->nq_reason;
}

const char *
hc_call_engine_get_network_quality_description (HcCallEngine *self)
{
  g_return_val_if_fail (HC_IS_CALL_ENGINE (self), NULL);
  return self->nq_description;
}

GVariant *
hc_call_engine_get_diagnostics (HcCallEngine *self)
{
  g_return_val_if_fail (HC_IS_CALL_ENGINE (self), NULL);
  return self->diagnostics;
}

gboolean
hc_call_engine_get_reconnecting (HcCallEngine *self)
{
  g_return_val_if_fail (HC_IS_CALL_ENGINE (self), FALSE);
  return self->reconnecting;
}
