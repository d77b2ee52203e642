/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "HcSignalSession"

#include "config.h"

#include "hc-media-room.h"
#include "hc-network-quality.h"
#include "hc-protocol.h"
#include "hc-sdp.h"
#include "hc-server-private.h"
#include "hc-signal-session.h"
#include "hc-sid.h"

#include <string.h>

/* WebSocket close codes in the private range, documented in docs/protocol.md. */
#define CLOSE_AUTH_FAILED   4401
#define CLOSE_REVOKED       4403
#define CLOSE_ROOM_ENDED    4410
#define CLOSE_IDLE          4408
#define CLOSE_REMOVED       4409
#define CLOSE_REPLACED      4412

/* How often a session checks that its peer still answers pings. */
#define IDLE_CHECK_SECONDS  20

/* Network-quality reports (docs/protocol.md): one a second on average, bursts
 * of three; a participant silent for this long is shown to the others as
 * level 0 (reconnecting) until it reports again. */
#define NQ_RATE_PER_SECOND  1.0
#define NQ_RATE_BURST       3.0
#define NQ_STALE_SECONDS    6


enum {
  SIGNAL_CLOSED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* One subscription: this client receiving one remote participant. */
typedef struct
{
  char    *participant;        /* the remote participant's SID */
  guint64  handle;
  char    *video_mid;
  gboolean started;
  gint     substream;
  gint     temporal;
  gboolean paused;
} Subscription;

struct _HcSignalSession
{
  GObject                  parent_instance;

  HcServer                *server;      /* unowned: the server owns the sessions */
  SoupWebsocketConnection *connection;
  char                    *address;
  HcTokenClaims           *claims;      /* NULL until authenticated */
  HcRoomRecord            *room;        /* NULL until joined */
  HcMediaRoom             *media_room;
  char                    *participant_sid;
  char                    *display_name;      /* a patient's checked-in name: health information */
  guint                    auth_timeout_id;
  /* Checked by hc_signal_session_tick(), in monotonic time; 0: none. */
  gint64                   expires_at;
  gint64                   next_idle_check;
  gint64                   last_activity;
  double                   rate_tokens;
  gint64                   rate_updated;
  gboolean                 closed;
  gboolean                 online;      /* counted by hc_server_patient_online() */

  /* Publishing. */
  HcJanus                 *janus;       /* the Janus this session's handles live on */
  guint64                  publisher_handle;
  guint64                  feed_id;
  gboolean                 publishing;
  gboolean                 media_up;          /* Janus saw the publisher's media */
  gboolean                 publish_pending;
  gboolean                 has_audio;
  gboolean                 has_video;
  gboolean                 simulcast;
  gboolean                 audio_muted;
  gboolean                 video_muted;
  gboolean                 muted_by_host;
  char                    *audio_mid;
  GPtrArray               *early_candidates; /* JsonNode, before the publisher handle exists */
  guint                    media_generation;  /* bumped when Janus goes away */

  GHashTable              *subscriptions;     /* participant SID → Subscription */

  /* The waiting room. */
  gboolean                 waiting;           /* a patient who sent "wait" */
  gboolean                 watching_queue;    /* a provider who sent "watch-queue" */
  gint                     last_position;
  gint64                   last_wait;
  HcJanus                 *echo_janus;
  guint64                  echo_handle;
  GPtrArray               *echo_candidates;   /* before the echo handle exists */

  /* Network quality: the last report (level -1 until the first). */
  gint                     nq_level;
  HcNetworkQualityReason   nq_reason;
  gint                     nq_levels[HC_NETWORK_QUALITY_N_KINDS][HC_NETWORK_QUALITY_N_DIRECTIONS];
  gboolean                 nq_has_kinds;
  gboolean                 nq_audio_only;
  double                   nq_tokens;
  gint64                   nq_updated;
  guint                    nq_stale_id;
};

G_DEFINE_FINAL_TYPE (HcSignalSession, hc_signal_session, G_TYPE_OBJECT)

static void
subscription_free (Subscription *sub)
{
  g_free (sub->participant);
  g_free (sub->video_mid);
  g_free (sub);
}

static HcMedia *
get_media (HcSignalSession *self)
{
  return self->server->media;
}

void
hc_signal_session_send (HcSignalSession *self,
                        JsonNode        *node)
{
  g_autoptr(JsonGenerator) generator = NULL;
  g_autofree char *text = NULL;

  g_return_if_fail (HC_IS_SIGNAL_SESSION (self));

  if (self->closed || soup_websocket_connection_get_state (self->connection) !=
                        SOUP_WEBSOCKET_STATE_OPEN)
    return;
  generator = json_generator_new ();
  json_generator_set_root (generator, node);
  text = json_generator_to_data (generator, NULL);
  soup_websocket_connection_send_text (self->connection, text);
}

static void
send_builder (HcSignalSession *self,
              JsonBuilder     *builder)
{
  g_autoptr(JsonNode) node = json_builder_get_root (builder);

  hc_signal_session_send (self, node);
}

/* Starts a reply object: {"type": type, "id": request_id}. */
static JsonBuilder *
begin_reply (const char *type,
             const char *request_id)
{
  JsonBuilder *builder = json_builder_new ();

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "type");
  json_builder_add_string_value (builder, type);
  if (request_id != NULL)
    {
      json_builder_set_member_name (builder, "id");
      json_builder_add_string_value (builder, request_id);
    }
  return builder;
}

static void
send_simple (HcSignalSession *self,
             const char      *type,
             const char      *request_id)
{
  g_autoptr(JsonBuilder) builder = begin_reply (type, request_id);

  json_builder_end_object (builder);
  send_builder (self, builder);
}

static void
send_error (HcSignalSession *self,
            HcErrorCode      code,
            const char      *message,
            const char      *request_id)
{
  g_autoptr(JsonNode) node = hc_http_error_node (code, message);
  JsonObject *object = json_node_get_object (node);

  json_object_set_string_member (object, "type", "error");
  json_object_remove_member (object, "status");
  if (request_id != NULL)
    json_object_set_string_member (object, "id", request_id);
  hc_signal_session_send (self, node);
}

static void
send_gerror (HcSignalSession *self,
             const GError    *error,
             const char      *request_id)
{
  HcErrorCode code = hc_error_get_code (error);

  if (code == HC_ERROR_INTERNAL || code == HC_ERROR_STORE)
    {
      g_warning ("Signaling request failed: %s", error->message);
      send_error (self, code, "The server could not complete the request", request_id);
      return;
    }
  send_error (self, code, error->message, request_id);
}

static void
close_with (HcSignalSession *self,
            gushort          code,
            const char      *reason)
{
  if (soup_websocket_connection_get_state (self->connection) == SOUP_WEBSOCKET_STATE_OPEN)
    soup_websocket_connection_close (self->connection, code, reason);
}

static JsonObject *
make_jsep (const char *type,
           const char *sdp)
{
  JsonObject *jsep = json_object_new ();

  json_object_set_string_member (jsep, "type", type);
  json_object_set_string_member (jsep, "sdp", sdp);
  return jsep;
}

/* Participants and events */

const char *
hc_signal_session_get_participant_sid (HcSignalSession *self)
{
  g_return_val_if_fail (HC_IS_SIGNAL_SESSION (self), NULL);
  return self->participant_sid;
}

/* "level", "reason" and, when the client sent them, "audio"/"video" {send, recv}. */
static void
add_network_quality (HcSignalSession *self,
                     JsonBuilder     *builder)
{
  static const char *const kinds[] = { "audio", "video" };

  json_builder_set_member_name (builder, "level");
  json_builder_add_int_value (builder, self->nq_level);
  json_builder_set_member_name (builder, "reason");
  json_builder_add_string_value (builder, hc_network_quality_reason_to_string (self->nq_reason));
  json_builder_set_member_name (builder, "audio_only");
  json_builder_add_boolean_value (builder, self->nq_audio_only);
  if (!self->nq_has_kinds)
    return;
  for (int k = 0; k < HC_NETWORK_QUALITY_N_KINDS; k++)
    {
      json_builder_set_member_name (builder, kinds[k]);
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "send");
      json_builder_add_int_value (builder, self->nq_levels[k][HC_NETWORK_QUALITY_SEND]);
      json_builder_set_member_name (builder, "recv");
      json_builder_add_int_value (builder, self->nq_levels[k][HC_NETWORK_QUALITY_RECV]);
      json_builder_end_object (builder);
    }
}

static void
build_participant (HcSignalSession *self,
                   JsonBuilder     *builder,
                   gboolean         with_state)
{
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "sid");
  json_builder_add_string_value (builder, self->participant_sid);
  json_builder_set_member_name (builder, "identity");
  json_builder_add_string_value (builder, self->claims->identity);
  /* What others see on the tile: a patient's checked-in name, else the identity. */
  json_builder_set_member_name (builder, "name");
  json_builder_add_string_value (builder, self->display_name ? self->display_name
                                                             : self->claims->identity);
  if (with_state)
    {
      json_builder_set_member_name (builder, "publishing");
      json_builder_add_boolean_value (builder, self->publishing && self->media_up);
      json_builder_set_member_name (builder, "audio_muted");
      json_builder_add_boolean_value (builder, self->audio_muted);
      json_builder_set_member_name (builder, "video_muted");
      json_builder_add_boolean_value (builder, self->video_muted);
      json_builder_set_member_name (builder, "network_quality");
      if (self->nq_level < 0)
        json_builder_add_null_value (builder);
      else
        {
          json_builder_begin_object (builder);
          add_network_quality (self, builder);
          json_builder_end_object (builder);
        }
    }
  json_builder_end_object (builder);
}

JsonNode *
hc_signal_session_participant_event (HcSignalSession *self,
                                     const char      *type)
{
  g_autoptr(JsonBuilder) builder = begin_reply (type, NULL);

  g_return_val_if_fail (HC_IS_SIGNAL_SESSION (self), NULL);

  json_builder_set_member_name (builder, "participant");
  build_participant (self, builder, FALSE);
  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}

static void
broadcast_track_event (HcSignalSession *self,
                       const char      *type)
{
  g_autoptr(JsonBuilder) builder = begin_reply (type, NULL);
  g_autoptr(JsonNode) node = NULL;

  json_builder_set_member_name (builder, "participant");
  build_participant (self, builder, FALSE);
  if (strcmp (type, "track-published") == 0)
    {
      json_builder_set_member_name (builder, "audio");
      json_builder_add_boolean_value (builder, self->has_audio);
      json_builder_set_member_name (builder, "video");
      json_builder_add_boolean_value (builder, self->has_video);
      json_builder_set_member_name (builder, "simulcast");
      json_builder_add_boolean_value (builder, self->simulcast);
    }
  json_builder_end_object (builder);
  node = json_builder_get_root (builder);
  if (self->media_room != NULL)
    hc_media_room_broadcast (self->media_room, node, self);
}

/* Media teardown */

static void
detach_handle (HcSignalSession *self,
               guint64          handle)
{
  if (handle == 0)
    return;
  hc_media_unregister_handle (get_media (self), handle);
  if (self->janus != NULL)
    hc_janus_detach (self->janus, handle);
}

static void
drop_subscriptions (HcSignalSession *self,
                    gboolean         detach)
{
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, self->subscriptions);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      Subscription *sub = value;

      if (detach)
        detach_handle (self, sub->handle);
      else
        hc_media_unregister_handle (get_media (self), sub->handle);
      g_hash_table_iter_remove (&iter);
    }
}

/* Tells everyone subscribed to us that our tracks are gone. */
static void
unpublish (HcSignalSession *self,
           gboolean         detach)
{
  gboolean was_publishing = self->publishing && self->media_up;

  if (detach)
    detach_handle (self, self->publisher_handle);
  else if (self->publisher_handle != 0)
    hc_media_unregister_handle (get_media (self), self->publisher_handle);
  self->publisher_handle = 0;
  self->publishing = FALSE;
  self->media_up = FALSE;
  self->publish_pending = FALSE;
  g_ptr_array_set_size (self->early_candidates, 0);

  if (was_publishing && self->media_room != NULL)
    {
      GPtrArray *members = hc_media_room_get_members (self->media_room);

      broadcast_track_event (self, "track-unpublished");
      for (guint i = 0; i < members->len; i++)
        {
          HcSignalSession *member = g_ptr_array_index (members, i);

          if (member != self)
            hc_signal_session_drop_subscription (member, self->participant_sid);
        }
      if (self->participant_sid != NULL)
        hc_media_room_talking (self->media_room, self->participant_sid, FALSE);
    }
}

void
hc_signal_session_drop_subscription (HcSignalSession *self,
                                     const char      *participant_sid)
{
  Subscription *sub;

  g_return_if_fail (HC_IS_SIGNAL_SESSION (self));

  sub = g_hash_table_lookup (self->subscriptions, participant_sid);
  if (sub == NULL)
    return;
  detach_handle (self, sub->handle);
  g_hash_table_remove (self->subscriptions, participant_sid);
}

void
hc_signal_session_media_lost (HcSignalSession *self)
{
  g_return_if_fail (HC_IS_SIGNAL_SESSION (self));

  /* The handles died with Janus: forget them without detaching. */
  self->media_generation++;
  if (self->echo_handle != 0)
    hc_media_unregister_handle (get_media (self), self->echo_handle);
  self->echo_handle = 0;
  g_clear_object (&self->echo_janus);
  unpublish (self, FALSE);
  drop_subscriptions (self, FALSE);
  g_clear_object (&self->janus);
}

static void stop_echo (HcSignalSession *self);

static void
leave_room (HcSignalSession *self)
{
  g_autoptr(GError) error = NULL;

  unpublish (self, TRUE);
  drop_subscriptions (self, TRUE);
  g_clear_handle_id (&self->nq_stale_id, g_source_remove);
  self->nq_level = -1;
  self->nq_has_kinds = FALSE;
  self->nq_audio_only = FALSE;
  g_clear_object (&self->janus);
  if (self->media_room != NULL)
    {
      g_autoptr(HcMediaRoom) room = g_steal_pointer (&self->media_room);

      hc_media_room_remove_member (room, self);
    }
  if (self->participant_sid != NULL &&
      !hc_store_disconnect_participant (hc_server_get_store (self->server), self->participant_sid,
                                        hc_server_now (), &error))
    g_warning ("Could not record that a participant left: %s", error->message);
  g_clear_pointer (&self->participant_sid, g_free);
  g_clear_pointer (&self->display_name, g_free);
  g_clear_pointer (&self->room, hc_room_record_free);
}

/* A provider's account can be disabled while the socket is open
 * (`housecalld user disable` runs as another process and only writes the
 * store): look again before acting for the provider, and on every idle
 * check, so that a disabled account loses the queue and the room within
 * seconds rather than at the token's expiry. FALSE when the session was
 * closed for it. */
static gboolean
provider_still_enabled (HcSignalSession *self,
                        const char      *request_id)
{
  g_autoptr(HcProviderRecord) provider = NULL;

  if (self->closed || self->claims == NULL || self->claims->role != HC_ROLE_PROVIDER)
    return TRUE;
  provider = hc_store_lookup_provider (hc_server_get_store (self->server), self->claims->identity,
                                       NULL);
  if (provider != NULL && !provider->disabled)
    return TRUE;
  g_message ("Closing a signaling socket of a provider account that is now disabled or gone");
  send_error (self, HC_ERROR_ACCOUNT_DISABLED, "This provider account is disabled", request_id);
  self->watching_queue = FALSE;
  leave_room (self);
  close_with (self, CLOSE_REVOKED, "account disabled");
  return FALSE;
}

/* The server keeps count of the patients connected (their providers' queue views show
 * it): an authenticated patient's session counts until it closes. */
static void
set_online (HcSignalSession *self,
            gboolean         online)
{
  if (self->online == online || self->claims == NULL || self->claims->role != HC_ROLE_PATIENT)
    return;
  self->online = online;
  hc_server_patient_online (self->server, self->claims->identity, online);
}

/* Timers */

static gboolean
on_auth_timeout (gpointer user_data)
{
  HcSignalSession *self = user_data;

  self->auth_timeout_id = 0;
  send_error (self, HC_ERROR_AUTH_TIMEOUT, "No authenticate message arrived in time", NULL);
  close_with (self, CLOSE_AUTH_FAILED, "authentication timeout");
  return G_SOURCE_REMOVE;
}

/* authenticate, join */

static void
handle_authenticate (HcSignalSession *self,
                     JsonObject      *message,
                     const char      *request_id)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonBuilder) builder = NULL;
  const char *token = hc_protocol_get_string (message, "token");
  gint64 now = hc_server_now ();

  if (self->claims != NULL)
    {
      send_error (self, HC_ERROR_MESSAGE_OUT_OF_ORDER, "Already authenticated", request_id);
      return;
    }
  if (token == NULL)
    {
      send_error (self, HC_ERROR_TOKEN_MISSING, "authenticate needs a token string", request_id);
      close_with (self, CLOSE_AUTH_FAILED, "no token");
      return;
    }

  self->claims = hc_server_verify_token (self->server, token, &error);
  if (self->claims == NULL)
    {
      send_gerror (self, error, request_id);
      close_with (self, CLOSE_AUTH_FAILED, "authentication failed");
      return;
    }
  g_clear_handle_id (&self->auth_timeout_id, g_source_remove);
  self->expires_at = g_get_monotonic_time () + MAX (1, self->claims->exp - now) * G_USEC_PER_SEC;
  set_online (self, TRUE);

  builder = begin_reply ("authenticated", request_id);
  json_builder_set_member_name (builder, "identity");
  json_builder_add_string_value (builder, self->claims->identity);
  json_builder_set_member_name (builder, "role");
  json_builder_add_string_value (builder, hc_role_to_string (self->claims->role));
  json_builder_end_object (builder);
  send_builder (self, builder);
}

/* Finds the room a join names, or creates it ad hoc when the token allows. */
static HcRoomRecord *
resolve_room (HcSignalSession  *self,
              const char       *name,
              GError          **error)
{
  HcStore *store = hc_server_get_store (self->server);
  g_autoptr(HcRoomRecord) room = hc_store_find_room (store, name, error);

  if (room == NULL && error != NULL && *error != NULL)
    return NULL;
  if (room != NULL && strcmp (room->status, "in-progress") == 0)
    return g_steal_pointer (&room);
  if (room != NULL && strcmp (room->sid, name) == 0)
    {
      g_set_error (error, HC_ERROR, HC_ERROR_ROOM_COMPLETED, "That room has ended");
      return NULL;
    }

  /* A guest's grant names a room SID, which is never created ad hoc. */
  if (!hc_token_claims_allow_room (self->claims, NULL, name, error))
    return NULL;
  if (!self->claims->can_create_rooms)
    {
      g_set_error (error, HC_ERROR, HC_ERROR_ROOM_CREATE_FORBIDDEN,
                   "This access token may not create rooms, and no such room is in progress");
      return NULL;
    }
  if (hc_sid_is_valid (name, HC_SID_PREFIX_ROOM))
    {
      g_set_error (error, HC_ERROR, HC_ERROR_NOT_FOUND, "No such room");
      return NULL;
    }
  return hc_server_create_room (self->server, name, "VP8", 0, NULL,
                                self->claims->role == HC_ROLE_PROVIDER ? self->claims->identity
                                                                       : NULL,
                                TRUE, error);
}

static void
handle_join (HcSignalSession *self,
             JsonObject      *message,
             const char      *request_id)
{
  HcStore *store = hc_server_get_store (self->server);
  g_autoptr(GError) error = NULL;
  g_autoptr(HcRoomRecord) room = NULL;
  g_autoptr(JsonBuilder) builder = NULL;
  g_autofree char *participant_sid = NULL;
  const char *name = hc_protocol_get_string (message, "room");
  const char *dominant;
  GPtrArray *members;
  gint connected;

  if (self->room != NULL)
    {
      send_error (self, HC_ERROR_MESSAGE_OUT_OF_ORDER, "Leave this room before joining another",
                  request_id);
      return;
    }
  if (name == NULL || !hc_name_is_valid (name, 128))
    {
      send_error (self, HC_ERROR_MESSAGE_MALFORMED, "join needs a room name or SID", request_id);
      return;
    }

  /* The token may have been revoked since it authenticated. */
  if (hc_store_token_is_revoked (store, self->claims->jti))
    {
      send_error (self, HC_ERROR_TOKEN_REVOKED, "This access token has been revoked", request_id);
      close_with (self, CLOSE_REVOKED, "token revoked");
      return;
    }

  /* A patient enters only the room they were admitted to. */
  if (self->claims->role == HC_ROLE_PATIENT)
    {
      g_autoptr(HcWaitingEntry) entry = hc_store_find_waiting_by_identity (store,
                                                                           self->claims->identity,
                                                                           NULL);
      g_autoptr(HcRoomRecord) admitted = NULL;

      if (entry == NULL || g_strcmp0 (entry->status, "admitted") != 0 || entry->room_sid == NULL ||
          (admitted = hc_store_find_room (store, name, NULL)) == NULL ||
          g_strcmp0 (admitted->sid, entry->room_sid) != 0)
        {
          send_error (self, HC_ERROR_NOT_ADMITTED,
                      "Please wait: the provider has not let you in yet", request_id);
          return;
        }
      g_free (self->display_name);
      self->display_name = g_strdup (entry->display_name);
    }

  room = resolve_room (self, name, &error);
  if (room == NULL ||
      !hc_token_claims_allow_room (self->claims, room->sid, room->unique_name, &error))
    {
      send_gerror (self, error, request_id);
      return;
    }

  /* The same identity joining again is that participant coming back on a new
   * connection (a link that dropped before the old socket noticed, a reloaded tab):
   * the old connection gives way, as in Twilio (53205), instead of lingering as a
   * second, silent participant until its socket times out. */
  {
    HcMediaRoom *media_room = hc_media_get_room (get_media (self), room);
    g_autoptr(GPtrArray) replaced = g_ptr_array_new_with_free_func (g_object_unref);
    GPtrArray *present = hc_media_room_get_members (media_room);

    for (guint i = 0; i < present->len; i++)
      {
        HcSignalSession *member = g_ptr_array_index (present, i);

        if (member != self && member->claims != NULL &&
            g_strcmp0 (member->claims->identity, self->claims->identity) == 0)
          g_ptr_array_add (replaced, g_object_ref (member));
      }
    for (guint i = 0; i < replaced->len; i++)
      {
        HcSignalSession *old = g_ptr_array_index (replaced, i);

        g_debug ("A participant joined again; the older connection gives way");
        send_error (old, HC_ERROR_DUPLICATE_IDENTITY,
                    "This participant joined the room again on another connection", NULL);
        leave_room (old);
        close_with (old, CLOSE_REPLACED, "joined again elsewhere");
      }
  }

  connected = hc_store_count_connected (store, room->sid, &error);
  if (connected < 0)
    {
      send_gerror (self, error, request_id);
      return;
    }
  if ((guint) connected >= room->max_participants)
    {
      send_error (self, HC_ERROR_ROOM_FULL, "The room is full", request_id);
      return;
    }

  participant_sid = hc_sid_new (HC_SID_PREFIX_PARTICIPANT);
  if (!hc_store_insert_participant (store, participant_sid, room->sid, self->claims->identity,
                                    hc_role_to_string (self->claims->role), hc_server_now (),
                                    &error))
    {
      send_gerror (self, error, request_id);
      return;
    }
  /* Any provider may join any room (colleagues cover for each other), which
   * also lets them manage it: the audit log says who went in where. */
  if (self->claims->role == HC_ROLE_PROVIDER)
    hc_store_audit (store, "room.joined", self->claims->identity, room->sid, self->address);
  self->participant_sid = g_steal_pointer (&participant_sid);
  self->room = g_steal_pointer (&room);
  self->media_room = g_object_ref (hc_media_get_room (get_media (self), self->room));

  builder = begin_reply ("joined", request_id);
  json_builder_set_member_name (builder, "room");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "sid");
  json_builder_add_string_value (builder, self->room->sid);
  json_builder_set_member_name (builder, "unique_name");
  json_builder_add_string_value (builder, self->room->unique_name);
  json_builder_set_member_name (builder, "video_codec");
  json_builder_add_string_value (builder, self->room->video_codec);
  json_builder_set_member_name (builder, "max_participants");
  json_builder_add_int_value (builder, self->room->max_participants);
  json_builder_end_object (builder);
  json_builder_set_member_name (builder, "participant");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "sid");
  json_builder_add_string_value (builder, self->participant_sid);
  json_builder_set_member_name (builder, "identity");
  json_builder_add_string_value (builder, self->claims->identity);
  json_builder_end_object (builder);
  json_builder_set_member_name (builder, "participants");
  json_builder_begin_array (builder);
  members = hc_media_room_get_members (self->media_room);
  for (guint i = 0; i < members->len; i++)
    build_participant (g_ptr_array_index (members, i), builder, TRUE);
  hc_media_room_build_phones (self->media_room, builder);
  json_builder_end_array (builder);
  dominant = hc_media_room_get_dominant_speaker (self->media_room);
  json_builder_set_member_name (builder, "dominant_speaker");
  if (dominant != NULL)
    json_builder_add_string_value (builder, dominant);
  else
    json_builder_add_null_value (builder);
  json_builder_end_object (builder);
  send_builder (self, builder);

  hc_media_room_add_member (self->media_room, self);
}

/* publish */

typedef struct
{
  HcSignalSession *self;
  char            *request_id;
  char            *sdp;
  char            *participant;   /* subscribe: the remote participant */
  guint64          janus_room;
  guint            generation;
} MediaRequest;

static void
media_request_free (MediaRequest *request)
{
  g_object_unref (request->self);
  g_free (request->request_id);
  g_free (request->sdp);
  g_free (request->participant);
  g_free (request);
}

static MediaRequest *
media_request_new (HcSignalSession *self,
                   const char      *request_id,
                   const char      *sdp)
{
  MediaRequest *request = g_new0 (MediaRequest, 1);

  request->self = g_object_ref (self);
  request->request_id = g_strdup (request_id);
  request->sdp = g_strdup (sdp);
  request->generation = self->media_generation;
  return request;
}

/* Whether the world changed under an async step: socket closed, room left,
 * or Janus restarted. */
static gboolean
media_request_stale (MediaRequest *request)
{
  HcSignalSession *self = request->self;

  return self->closed || self->media_room == NULL ||
         request->generation != self->media_generation;
}

/* The subscription an async step works on, or NULL when the world moved on
 * (socket closed, room left, Janus restarted, unsubscribed). */
static Subscription *
live_subscription (MediaRequest *request)
{
  if (media_request_stale (request))
    return NULL;
  return g_hash_table_lookup (request->self->subscriptions, request->participant);
}

static void
fail_publish (MediaRequest *request,
              const GError *error)
{
  HcSignalSession *self = request->self;

  if (self->publisher_handle != 0)
    detach_handle (self, self->publisher_handle);
  self->publisher_handle = 0;
  self->publish_pending = FALSE;
  g_ptr_array_set_size (self->early_candidates, 0);
  send_gerror (self, error, request->request_id);
}

static void
on_published (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  MediaRequest *request = user_data;
  HcSignalSession *self = request->self;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) reply = hc_janus_message_finish (HC_JANUS (source), result, &error);
  g_autoptr(JsonBuilder) builder = NULL;
  JsonObject *jsep;
  const char *answer;

  if (media_request_stale (request))
    goto out;
  jsep = reply ? json_object_get_object_member (reply, "jsep") : NULL;
  answer = jsep ? json_object_get_string_member_with_default (jsep, "sdp", NULL) : NULL;
  if (answer == NULL)
    {
      g_autoptr(GError) public_error = NULL;

      if (error != NULL)
        g_debug ("Janus refused a publisher offer: %s", error->message);
      public_error = g_error_new (HC_ERROR, HC_ERROR_BAD_SDP,
                                  "The media server did not accept the offer");
      fail_publish (request, public_error);
      goto out;
    }

  self->publishing = TRUE;
  self->publish_pending = FALSE;
  /* Others hear of the tracks once Janus has the media ("webrtcup"): a
   * subscription before that would find nothing to receive. */
  builder = begin_reply ("published", request->request_id);
  json_builder_set_member_name (builder, "sdp");
  json_builder_add_string_value (builder, answer);
  json_builder_set_member_name (builder, "simulcast");
  json_builder_add_boolean_value (builder, self->simulcast);
  json_builder_set_member_name (builder, "video_codec");
  json_builder_add_string_value (builder, self->room->video_codec);
  json_builder_end_object (builder);
  send_builder (self, builder);

out:
  media_request_free (request);
}

static void
on_publisher_attached (GObject      *source,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  MediaRequest *request = user_data;
  HcSignalSession *self = request->self;
  HcJanus *janus = HC_JANUS (source);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) body = NULL;
  g_autoptr(JsonObject) jsep = NULL;
  guint64 handle = hc_janus_attach_finish (janus, result, &error);

  if (handle != 0 && media_request_stale (request))
    {
      hc_janus_detach (janus, handle);
      media_request_free (request);
      return;
    }
  if (media_request_stale (request))
    {
      media_request_free (request);
      return;
    }
  if (handle == 0 || hc_media_room_get_janus (self->media_room) != janus)
    {
      g_autoptr(GError) public_error = g_error_new (HC_ERROR, HC_ERROR_MEDIA_UNAVAILABLE,
                                                    "The media server is restarting; try again");
      fail_publish (request, public_error);
      media_request_free (request);
      return;
    }
  self->publisher_handle = handle;
  hc_media_register_handle (get_media (self), handle, self);

  body = json_object_new ();
  json_object_set_string_member (body, "request", "joinandconfigure");
  json_object_set_string_member (body, "ptype", "publisher");
  json_object_set_int_member (body, "room", (gint64) request->janus_room);
  json_object_set_int_member (body, "id", (gint64) self->feed_id);
  json_object_set_string_member (body, "display", self->participant_sid);
  json_object_set_boolean_member (body, "audio", self->has_audio);
  json_object_set_boolean_member (body, "video", self->has_video);
  jsep = make_jsep ("offer", request->sdp);
  if (hc_sdp_simulcast_low_first (request->sdp))
    json_object_set_string_member (jsep, "rid_order", "lmh");
  hc_janus_message_async (janus, handle, body, jsep, NULL, on_published, request);

  /* Candidates that arrived while the handle was being attached. */
  for (guint i = 0; i < self->early_candidates->len; i++)
    hc_janus_trickle (janus, handle, g_ptr_array_index (self->early_candidates, i));
  g_ptr_array_set_size (self->early_candidates, 0);
}

static void
on_publish_room_ready (GObject      *source,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  MediaRequest *request = user_data;
  HcSignalSession *self = request->self;
  g_autoptr(GError) error = NULL;
  HcJanus *janus = hc_media_room_ensure_finish (HC_MEDIA_ROOM (source), result,
                                                &request->janus_room, &error);

  if (media_request_stale (request))
    {
      media_request_free (request);
      return;
    }
  if (janus == NULL)
    {
      fail_publish (request, error);
      media_request_free (request);
      return;
    }
  g_set_object (&self->janus, janus);
  hc_janus_attach_async (janus, NULL, on_publisher_attached, request);
}

static guint64
random_feed_id (void)
{
  guint64 id = 0;

  hc_random_bytes ((guint8 *) &id, sizeof id);
  return (id & ((G_GUINT64_CONSTANT (1) << 53) - 1)) | 1;
}

static void
handle_publish (HcSignalSession *self,
                JsonObject      *message,
                const char      *request_id)
{
  const char *sdp = hc_protocol_get_string (message, "sdp");
  gboolean ok = TRUE;
  gboolean audio = hc_protocol_get_bool (message, "audio", TRUE, &ok);
  gboolean video = hc_protocol_get_bool (message, "video", TRUE, &ok);

  if (!ok)
    {
      send_error (self, HC_ERROR_MESSAGE_MALFORMED, "audio and video must be booleans",
                  request_id);
      return;
    }
  if (!hc_sdp_is_plausible (sdp))
    {
      send_error (self, HC_ERROR_BAD_SDP, "publish needs an SDP offer of at most 60 KiB",
                  request_id);
      return;
    }
  if (self->publishing || self->publish_pending)
    {
      send_error (self, HC_ERROR_MESSAGE_OUT_OF_ORDER, "Already publishing; unpublish first",
                  request_id);
      return;
    }

  self->publish_pending = TRUE;
  self->has_audio = audio && hc_sdp_has_media (sdp, "audio");
  self->has_video = video && hc_sdp_has_media (sdp, "video");
  self->simulcast = g_strcmp0 (self->room->video_codec, "VP8") == 0 && hc_sdp_has_simulcast (sdp);
  g_free (self->audio_mid);
  self->audio_mid = hc_sdp_find_mid (sdp, "audio");
  if (self->feed_id == 0)
    self->feed_id = random_feed_id ();
  hc_media_room_ensure_async (self->media_room, on_publish_room_ready,
                              media_request_new (self, request_id, sdp));
}

/* subscribe */

static Subscription *
find_subscription (HcSignalSession *self,
                   JsonObject      *message,
                   const char      *request_id)
{
  const char *participant = hc_protocol_get_string (message, "participant");
  Subscription *sub = participant ? g_hash_table_lookup (self->subscriptions, participant) : NULL;

  if (participant == NULL)
    send_error (self, HC_ERROR_MESSAGE_MALFORMED, "participant must be a participant SID",
                request_id);
  else if (sub == NULL)
    send_error (self, HC_ERROR_MESSAGE_OUT_OF_ORDER, "Not subscribed to that participant",
                request_id);
  return sub;
}

static void
fail_subscribe (MediaRequest *request,
                HcErrorCode   code,
                const char   *message)
{
  HcSignalSession *self = request->self;

  hc_signal_session_drop_subscription (self, request->participant);
  send_error (self, code, message, request->request_id);
}

static void
on_subscriber_joined (GObject      *source,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  MediaRequest *request = user_data;
  HcSignalSession *self = request->self;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) reply = hc_janus_message_finish (HC_JANUS (source), result, &error);
  g_autoptr(JsonBuilder) builder = NULL;
  Subscription *sub;
  JsonObject *jsep;
  JsonArray *streams;
  const char *offer;

  if ((sub = live_subscription (request)) == NULL)
    goto out;
  jsep = reply ? json_object_get_object_member (reply, "jsep") : NULL;
  offer = jsep ? json_object_get_string_member_with_default (jsep, "sdp", NULL) : NULL;
  if (offer == NULL)
    {
      if (error != NULL)
        g_debug ("Janus refused a subscription: %s", error->message);
      fail_subscribe (request, HC_ERROR_NOT_PUBLISHING,
                      "That participant's tracks are not available");
      goto out;
    }
  streams = json_object_has_member (reply, "streams") ? json_object_get_array_member (reply, "streams")
                                                       : NULL;
  for (guint i = 0; streams != NULL && i < json_array_get_length (streams); i++)
    {
      JsonObject *stream = json_array_get_object_element (streams, i);

      if (stream != NULL &&
          g_strcmp0 (json_object_get_string_member_with_default (stream, "type", ""), "video") == 0)
        {
          g_free (sub->video_mid);
          sub->video_mid = g_strdup (json_object_get_string_member_with_default (stream, "mid",
                                                                                 NULL));
        }
    }

  builder = begin_reply ("subscribe-offer", request->request_id);
  json_builder_set_member_name (builder, "participant");
  json_builder_add_string_value (builder, request->participant);
  json_builder_set_member_name (builder, "sdp");
  json_builder_add_string_value (builder, offer);
  json_builder_end_object (builder);
  send_builder (self, builder);

out:
  media_request_free (request);
}

static void
on_subscriber_attached (GObject      *source,
                        GAsyncResult *result,
                        gpointer      user_data)
{
  MediaRequest *request = user_data;
  HcSignalSession *self = request->self;
  HcJanus *janus = HC_JANUS (source);
  guint64 handle = hc_janus_attach_finish (janus, result, NULL);
  g_autoptr(JsonObject) body = NULL;
  g_autoptr(JsonArray) streams = NULL;
  JsonObject *stream;
  HcSignalSession *remote;
  const HcRoomPhone *phone;
  Subscription *sub;

  if ((sub = live_subscription (request)) == NULL)
    {
      if (handle != 0)
        hc_janus_detach (janus, handle);
      media_request_free (request);
      return;
    }
  if (handle == 0)
    {
      fail_subscribe (request, HC_ERROR_MEDIA_UNAVAILABLE, "The media server is restarting");
      media_request_free (request);
      return;
    }
  sub->handle = handle;
  hc_media_register_handle (get_media (self), handle, self);

  remote = hc_media_room_find_member (self->media_room, request->participant);
  /* A phone-bridge participant is a remote publisher in Janus. */
  phone = remote == NULL ? hc_media_room_find_phone (self->media_room, request->participant) : NULL;
  if ((remote == NULL || !remote->publishing) && phone == NULL)
    {
      fail_subscribe (request, HC_ERROR_NOT_PUBLISHING, "That participant publishes nothing");
      media_request_free (request);
      return;
    }
  body = json_object_new ();
  json_object_set_string_member (body, "request", "join");
  json_object_set_string_member (body, "ptype", "subscriber");
  json_object_set_int_member (body, "room", (gint64) request->janus_room);
  json_object_set_boolean_member (body, "use_msid", TRUE);
  streams = json_array_new ();
  stream = json_object_new ();
  json_object_set_int_member (stream, "feed", (gint64) (remote ? remote->feed_id : phone->feed_id));
  json_array_add_object_element (streams, stream);
  json_object_set_array_member (body, "streams", json_array_ref (streams));
  hc_janus_message_async (janus, handle, body, NULL, NULL, on_subscriber_joined, request);
}

static void
on_subscribe_room_ready (GObject      *source,
                         GAsyncResult *result,
                         gpointer      user_data)
{
  MediaRequest *request = user_data;
  HcSignalSession *self = request->self;
  g_autoptr(GError) error = NULL;
  HcJanus *janus = hc_media_room_ensure_finish (HC_MEDIA_ROOM (source), result,
                                                &request->janus_room, &error);

  if (media_request_stale (request) ||
      !g_hash_table_contains (self->subscriptions, request->participant))
    {
      media_request_free (request);
      return;
    }
  if (janus == NULL)
    {
      fail_subscribe (request, HC_ERROR_MEDIA_UNAVAILABLE, "The media server is restarting");
      media_request_free (request);
      return;
    }
  g_set_object (&self->janus, janus);
  hc_janus_attach_async (janus, NULL, on_subscriber_attached, request);
}

static void
handle_subscribe (HcSignalSession *self,
                  JsonObject      *message,
                  const char      *request_id)
{
  const char *participant = hc_protocol_get_string (message, "participant");
  HcSignalSession *remote;
  Subscription *sub;
  MediaRequest *request;

  if (participant == NULL)
    {
      send_error (self, HC_ERROR_MESSAGE_MALFORMED, "participant must be a participant SID",
                  request_id);
      return;
    }
  remote = hc_media_room_find_member (self->media_room, participant);
  if ((remote == NULL && hc_media_room_find_phone (self->media_room, participant) == NULL) ||
      remote == self)
    {
      send_error (self, HC_ERROR_NOT_FOUND, "No such participant in this room", request_id);
      return;
    }
  if (remote != NULL && (!remote->publishing || !remote->media_up))
    {
      send_error (self, HC_ERROR_NOT_PUBLISHING, "That participant publishes nothing yet",
                  request_id);
      return;
    }

  /* Subscribing again replaces the subscription (e.g. after an ICE failure). */
  hc_signal_session_drop_subscription (self, participant);
  sub = g_new0 (Subscription, 1);
  sub->participant = g_strdup (participant);
  sub->substream = 2;
  sub->temporal = 2;
  g_hash_table_insert (self->subscriptions, g_strdup (participant), sub);

  request = media_request_new (self, request_id, NULL);
  request->participant = g_strdup (participant);
  hc_media_room_ensure_async (self->media_room, on_subscribe_room_ready, request);
}

static void
on_subscriber_started (GObject      *source,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  MediaRequest *request = user_data;
  HcSignalSession *self = request->self;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) reply = hc_janus_message_finish (HC_JANUS (source), result, &error);
  g_autoptr(JsonBuilder) builder = NULL;
  Subscription *sub;

  if ((sub = live_subscription (request)) == NULL)
    goto out;
  if (reply == NULL)
    {
      g_debug ("Janus refused a subscriber answer: %s", error->message);
      send_error (self, HC_ERROR_BAD_SDP, "The media server did not accept the answer",
                  request->request_id);
      goto out;
    }
  sub->started = TRUE;
  builder = begin_reply ("subscribed", request->request_id);
  json_builder_set_member_name (builder, "participant");
  json_builder_add_string_value (builder, request->participant);
  json_builder_end_object (builder);
  send_builder (self, builder);

out:
  media_request_free (request);
}

static void
handle_subscribe_answer (HcSignalSession *self,
                         JsonObject      *message,
                         const char      *request_id)
{
  const char *sdp = hc_protocol_get_string (message, "sdp");
  Subscription *sub = find_subscription (self, message, request_id);
  g_autoptr(JsonObject) body = NULL;
  g_autoptr(JsonObject) jsep = NULL;
  MediaRequest *request;

  if (sub == NULL)
    return;
  if (!hc_sdp_is_plausible (sdp))
    {
      send_error (self, HC_ERROR_BAD_SDP, "subscribe-answer needs an SDP answer", request_id);
      return;
    }
  if (sub->handle == 0 || sub->started || self->janus == NULL)
    {
      send_error (self, HC_ERROR_MESSAGE_OUT_OF_ORDER, "No offer is waiting for an answer",
                  request_id);
      return;
    }
  body = json_object_new ();
  json_object_set_string_member (body, "request", "start");
  jsep = make_jsep ("answer", sdp);
  request = media_request_new (self, request_id, NULL);
  request->participant = g_strdup (sub->participant);
  hc_janus_message_async (self->janus, sub->handle, body, jsep, NULL, on_subscriber_started,
                          request);
}

static void
on_configured (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  MediaRequest *request = user_data;
  HcSignalSession *self = request->self;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) reply = hc_janus_message_finish (HC_JANUS (source), result, &error);
  g_autoptr(JsonBuilder) builder = NULL;
  Subscription *sub;

  if ((sub = live_subscription (request)) == NULL)
    goto out;
  if (reply == NULL)
    {
      g_debug ("Janus refused to configure a subscription: %s", error->message);
      send_error (self, HC_ERROR_MEDIA_UNAVAILABLE, "The media server could not change the layer",
                  request->request_id);
      goto out;
    }
  builder = begin_reply ("configured", request->request_id);
  json_builder_set_member_name (builder, "participant");
  json_builder_add_string_value (builder, sub->participant);
  json_builder_set_member_name (builder, "substream");
  json_builder_add_int_value (builder, sub->substream);
  json_builder_set_member_name (builder, "temporal");
  json_builder_add_int_value (builder, sub->temporal);
  json_builder_set_member_name (builder, "paused");
  json_builder_add_boolean_value (builder, sub->paused);
  json_builder_end_object (builder);
  send_builder (self, builder);

out:
  media_request_free (request);
}

static gboolean
get_layer (JsonObject *message,
           const char *name,
           gint       *out)
{
  JsonNode *node = json_object_get_member (message, name);

  if (node == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64 ||
      json_node_get_int (node) < 0 || json_node_get_int (node) > 2)
    return FALSE;
  *out = (gint) json_node_get_int (node);
  return TRUE;
}

static void
handle_configure (HcSignalSession *self,
                  JsonObject      *message,
                  const char      *request_id)
{
  Subscription *sub = find_subscription (self, message, request_id);
  g_autoptr(JsonObject) body = NULL;
  gboolean ok = TRUE;
  gint substream, temporal;
  gboolean paused;
  MediaRequest *request;

  if (sub == NULL)
    return;
  substream = sub->substream;
  temporal = sub->temporal;
  paused = hc_protocol_get_bool (message, "paused", sub->paused, &ok);
  if (!ok || !get_layer (message, "substream", &substream) ||
      !get_layer (message, "temporal", &temporal))
    {
      send_error (self, HC_ERROR_MESSAGE_MALFORMED,
                  "substream and temporal are 0, 1 or 2; paused is a boolean", request_id);
      return;
    }
  if (!sub->started || self->janus == NULL)
    {
      send_error (self, HC_ERROR_MESSAGE_OUT_OF_ORDER, "The subscription has not started",
                  request_id);
      return;
    }

  body = json_object_new ();
  if (paused != sub->paused)
    json_object_set_string_member (body, "request", paused ? "pause" : "start");
  else
    {
      JsonArray *streams = json_array_new ();
      JsonObject *stream = json_object_new ();

      json_object_set_string_member (body, "request", "configure");
      if (sub->video_mid != NULL)
        json_object_set_string_member (stream, "mid", sub->video_mid);
      json_object_set_int_member (stream, "substream", substream);
      json_object_set_int_member (stream, "temporal", temporal);
      json_array_add_object_element (streams, stream);
      json_object_set_array_member (body, "streams", streams);
    }
  sub->substream = substream;
  sub->temporal = temporal;
  sub->paused = paused;
  request = media_request_new (self, request_id, NULL);
  request->participant = g_strdup (sub->participant);
  hc_janus_message_async (self->janus, sub->handle, body, NULL, NULL, on_configured, request);
}

static void
handle_trickle (HcSignalSession *self,
                JsonObject      *message,
                const char      *request_id)
{
  const char *target = hc_protocol_get_string (message, "target");
  JsonNode *candidate = json_object_get_member (message, "candidate");

  if (target == NULL || candidate == NULL ||
      !(JSON_NODE_HOLDS_NULL (candidate) ||
        (JSON_NODE_HOLDS_OBJECT (candidate) &&
         hc_protocol_get_string (json_node_get_object (candidate), "candidate") != NULL &&
         strlen (hc_protocol_get_string (json_node_get_object (candidate), "candidate")) < 1024)))
    {
      send_error (self, HC_ERROR_MESSAGE_MALFORMED,
                  "trickle needs a target and a candidate object (or null)", request_id);
      return;
    }

  if (strcmp (target, "echo") == 0)
    {
      if (self->echo_handle != 0 && self->echo_janus != NULL)
        hc_janus_trickle (self->echo_janus, self->echo_handle, candidate);
      else if (self->echo_janus != NULL && self->echo_candidates->len < 64)
        g_ptr_array_add (self->echo_candidates, json_node_copy (candidate));
      else
        send_error (self, HC_ERROR_MESSAGE_OUT_OF_ORDER, "No echo test is running", request_id);
      return;
    }
  if (strcmp (target, "publisher") == 0)
    {
      if (self->publisher_handle != 0 && self->janus != NULL)
        hc_janus_trickle (self->janus, self->publisher_handle, candidate);
      else if (self->publish_pending && self->early_candidates->len < 64)
        g_ptr_array_add (self->early_candidates, json_node_copy (candidate));
      else
        send_error (self, HC_ERROR_MESSAGE_OUT_OF_ORDER, "Not publishing", request_id);
      return;
    }

  {
    Subscription *sub = g_hash_table_lookup (self->subscriptions, target);

    if (sub == NULL || sub->handle == 0 || self->janus == NULL)
      send_error (self, HC_ERROR_MESSAGE_OUT_OF_ORDER, "Not subscribed to that participant",
                  request_id);
    else
      hc_janus_trickle (self->janus, sub->handle, candidate);
  }
}

static void
handle_mute (HcSignalSession *self,
             JsonObject      *message,
             const char      *request_id)
{
  g_autoptr(JsonBuilder) builder = NULL;
  g_autoptr(JsonNode) event = NULL;
  gboolean ok = TRUE;
  gboolean audio = hc_protocol_get_bool (message, "audio", self->audio_muted, &ok);
  gboolean video = hc_protocol_get_bool (message, "video", self->video_muted, &ok);

  if (!ok)
    {
      send_error (self, HC_ERROR_MESSAGE_MALFORMED, "audio and video must be booleans",
                  request_id);
      return;
    }
  if (self->muted_by_host && !audio)
    {
      send_error (self, HC_ERROR_FORBIDDEN, "The provider muted you; ask them to unmute you",
                  request_id);
      return;
    }
  self->audio_muted = audio;
  self->video_muted = video;
  send_simple (self, "muted", request_id);

  builder = begin_reply ("participant-muted", NULL);
  json_builder_set_member_name (builder, "participant");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "sid");
  json_builder_add_string_value (builder, self->participant_sid);
  json_builder_end_object (builder);
  json_builder_set_member_name (builder, "audio_muted");
  json_builder_add_boolean_value (builder, audio);
  json_builder_set_member_name (builder, "video_muted");
  json_builder_add_boolean_value (builder, video);
  json_builder_end_object (builder);
  event = json_builder_get_root (builder);
  hc_media_room_broadcast (self->media_room, event, self);
  if (audio && self->participant_sid != NULL)
    hc_media_room_talking (self->media_room, self->participant_sid, FALSE);
}

/* Host controls: only a provider in the room may use them, which the server
 * checks here whatever the client shows. */

static HcSignalSession *
host_target (HcSignalSession *self,
             JsonObject      *message,
             const char      *request_id)
{
  const char *participant = hc_protocol_get_string (message, "participant");
  HcSignalSession *target;

  if (self->claims->role != HC_ROLE_PROVIDER)
    {
      send_error (self, HC_ERROR_FORBIDDEN, "Only the provider may do that", request_id);
      return NULL;
    }
  if (participant == NULL)
    {
      send_error (self, HC_ERROR_MESSAGE_MALFORMED, "participant must be a participant SID",
                  request_id);
      return NULL;
    }
  target = hc_media_room_find_member (self->media_room, participant);
  if (target == NULL || target == self)
    {
      send_error (self, HC_ERROR_NOT_FOUND, "No such participant in this room", request_id);
      return NULL;
    }
  return target;
}

static void
on_moderated (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) reply = hc_janus_message_finish (HC_JANUS (source), result, &error);

  if (reply == NULL)
    g_warning ("Janus could not mute a participant: %s", error->message);
}

static void
handle_mute_participant (HcSignalSession *self,
                         JsonObject      *message,
                         const char      *request_id)
{
  HcSignalSession *target = host_target (self, message, request_id);
  g_autoptr(JsonBuilder) builder = NULL;
  g_autoptr(JsonNode) event = NULL;
  gboolean ok = TRUE;
  gboolean mute = hc_protocol_get_bool (message, "mute", TRUE, &ok);

  if (target == NULL)
    return;
  if (!ok)
    {
      send_error (self, HC_ERROR_MESSAGE_MALFORMED, "mute must be a boolean", request_id);
      return;
    }

  /* Muted in the media server too, so that a client ignoring the request
   * is silent all the same. */
  target->muted_by_host = mute;
  target->audio_muted = mute ? TRUE : target->audio_muted;
  if (target->publishing && target->janus != NULL && target->publisher_handle != 0 &&
      target->audio_mid != NULL)
    {
      g_autoptr(JsonObject) body = json_object_new ();
      guint64 janus_room = 0;

      janus_room = hc_media_room_get_janus_room (target->media_room);
      json_object_set_string_member (body, "request", "moderate");
      json_object_set_int_member (body, "room", (gint64) janus_room);
      json_object_set_int_member (body, "id", (gint64) target->feed_id);
      json_object_set_string_member (body, "mid", target->audio_mid);
      json_object_set_boolean_member (body, "mute", mute);
      hc_janus_message_async (target->janus, target->publisher_handle, body, NULL, NULL,
                              on_moderated, NULL);
    }
  if (mute)
    hc_media_room_talking (self->media_room, target->participant_sid, FALSE);

  builder = begin_reply ("muted-by-host", NULL);
  json_builder_set_member_name (builder, "mute");
  json_builder_add_boolean_value (builder, mute);
  json_builder_set_member_name (builder, "by");
  json_builder_add_string_value (builder, self->participant_sid);
  json_builder_end_object (builder);
  send_builder (target, builder);
  g_clear_object (&builder);

  builder = begin_reply ("participant-muted", NULL);
  json_builder_set_member_name (builder, "participant");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "sid");
  json_builder_add_string_value (builder, target->participant_sid);
  json_builder_end_object (builder);
  json_builder_set_member_name (builder, "audio_muted");
  json_builder_add_boolean_value (builder, target->audio_muted);
  json_builder_set_member_name (builder, "video_muted");
  json_builder_add_boolean_value (builder, target->video_muted);
  json_builder_set_member_name (builder, "by_host");
  json_builder_add_boolean_value (builder, mute);
  json_builder_end_object (builder);
  event = json_builder_get_root (builder);
  hc_media_room_broadcast (self->media_room, event, target);
  hc_signal_session_send (target, event);
  send_simple (self, "participant-mute-set", request_id);
}

static void
handle_remove_participant (HcSignalSession *self,
                           JsonObject      *message,
                           const char      *request_id)
{
  g_autoptr(HcSignalSession) target = NULL;
  HcSignalSession *found = host_target (self, message, request_id);
  HcStore *store = hc_server_get_store (self->server);

  if (found == NULL)
    return;
  target = g_object_ref (found);

  /* A removed guest cannot come back with the same link. */
  if (target->claims->role == HC_ROLE_GUEST &&
      hc_store_revoke_token (store, target->claims->jti, target->room->sid, hc_server_now (), NULL))
    hc_store_audit (store, "token.revoked", self->claims->identity, target->claims->jti,
                    self->address);
  hc_store_audit (store, "participant.removed", self->claims->identity, target->participant_sid,
                  self->address);
  send_simple (target, "removed", NULL);
  leave_room (target);
  close_with (target, CLOSE_REMOVED, "removed by the provider");
  send_simple (self, "participant-removed", request_id);
}

static void
handle_end_visit (HcSignalSession *self,
                  const char      *request_id)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(HcSignalSession) hold G_GNUC_UNUSED = g_object_ref (self);
  g_autofree char *room_sid = NULL;

  if (self->claims->role != HC_ROLE_PROVIDER)
    {
      send_error (self, HC_ERROR_FORBIDDEN, "Only the provider may end the visit", request_id);
      return;
    }
  room_sid = g_strdup (self->room->sid);
  if (!hc_store_complete_room (hc_server_get_store (self->server), room_sid, hc_server_now (),
                               &error))
    {
      send_gerror (self, error, request_id);
      return;
    }
  hc_store_audit (hc_server_get_store (self->server), "room.completed", self->claims->identity,
                  room_sid, self->address);
  send_simple (self, "visit-ended", request_id);
  hc_server_room_completed (self->server, room_sid);
}

/* The waiting room */

static HcWaitingEntry *
own_entry (HcSignalSession *self)
{
  return hc_store_find_waiting_by_identity (hc_server_get_store (self->server),
                                            self->claims->identity, NULL);
}

/* @position and @wait: known already (from the queue snapshot), or -1 to work out. */
static void
send_position_of (HcSignalSession      *self,
                  const HcWaitingEntry *entry,
                  gint                  position,
                  gint64                wait,
                  const char           *type,
                  const char           *request_id,
                  gboolean              only_if_changed)
{
  g_autoptr(JsonBuilder) builder = NULL;

  /* Admission is told once, when it happens; "wait" after a reconnect
   * repeats it. */
  if (g_strcmp0 (entry->status, "admitted") == 0 && !only_if_changed)
    {
      builder = begin_reply ("admitted", request_id);
      json_builder_set_member_name (builder, "room");
      json_builder_add_string_value (builder, entry->room_sid);
      json_builder_end_object (builder);
      send_builder (self, builder);
      return;
    }
  if (g_strcmp0 (entry->status, "waiting") != 0)
    return;
  if (position < 0)
    position = hc_server_queue_position (self->server, (HcWaitingEntry *) entry, &wait);
  if (only_if_changed && position == self->last_position && wait == self->last_wait)
    return;
  self->last_position = position;
  self->last_wait = wait;
  builder = begin_reply (type, request_id);
  json_builder_set_member_name (builder, "position");
  json_builder_add_int_value (builder, position);
  if (entry->message != NULL)
    {
      json_builder_set_member_name (builder, "message");
      json_builder_add_string_value (builder, entry->message);
    }
  json_builder_set_member_name (builder, "estimated_wait_seconds");
  json_builder_add_int_value (builder, wait);
  json_builder_end_object (builder);
  send_builder (self, builder);
}

static void
send_position (HcSignalSession *self,
               const char      *type,
               const char      *request_id,
               gboolean         only_if_changed)
{
  g_autoptr(HcWaitingEntry) entry = own_entry (self);

  if (entry != NULL)
    send_position_of (self, entry, -1, 0, type, request_id, only_if_changed);
}

static void
handle_wait (HcSignalSession *self,
             const char      *request_id)
{
  g_autoptr(HcWaitingEntry) entry = NULL;

  if (self->claims->role != HC_ROLE_PATIENT)
    {
      send_error (self, HC_ERROR_FORBIDDEN, "Only patients wait in the waiting room", request_id);
      return;
    }
  entry = own_entry (self);
  if (entry == NULL || (g_strcmp0 (entry->status, "waiting") != 0 &&
                        g_strcmp0 (entry->status, "admitted") != 0))
    {
      send_error (self, HC_ERROR_NOT_WAITING, "Check in for your visit first", request_id);
      return;
    }
  self->waiting = TRUE;
  self->last_position = -1;
  send_position (self, "waiting", request_id, FALSE);
  /* The provider sees the patient connected; nobody's place changed. */
  hc_server_provider_queue_changed (self->server, entry->provider);
}

static void
handle_leave_queue (HcSignalSession *self,
                    const char      *request_id)
{
  g_autoptr(HcWaitingEntry) entry = NULL;
  g_autoptr(GError) error = NULL;

  if (self->claims->role != HC_ROLE_PATIENT || (entry = own_entry (self)) == NULL ||
      g_strcmp0 (entry->status, "waiting") != 0)
    {
      send_error (self, HC_ERROR_NOT_WAITING, "Not in the waiting room", request_id);
      return;
    }
  if (!hc_store_set_waiting_status (hc_server_get_store (self->server), entry->id, "left", NULL,
                                    NULL, hc_server_now (), &error))
    {
      send_gerror (self, error, request_id);
      return;
    }
  self->waiting = FALSE;
  send_simple (self, "left-queue", request_id);
  hc_server_queue_changed_for (self->server, entry->provider);
}

static void
send_queue (HcSignalSession *self,
            const char      *request_id)
{
  g_autoptr(JsonBuilder) builder = begin_reply ("queue", request_id);

  json_builder_set_member_name (builder, "entries");
  hc_server_build_queue (self->server, builder, self->claims->identity);
  json_builder_end_object (builder);
  send_builder (self, builder);
}

static void
handle_watch_queue (HcSignalSession *self,
                    const char      *request_id)
{
  if (self->claims->role != HC_ROLE_PROVIDER)
    {
      send_error (self, HC_ERROR_FORBIDDEN, "Only providers see the waiting room", request_id);
      return;
    }
  self->watching_queue = TRUE;
  send_queue (self, request_id);
}

void
hc_signal_session_queue_changed (HcSignalSession *self)
{
  g_return_if_fail (HC_IS_SIGNAL_SESSION (self));

  if (self->closed || self->claims == NULL)
    return;
  /* The queue names patients: never to an account disabled meanwhile. */
  if (self->watching_queue && hc_server_queue_view_changed (self->server, self->claims->identity) &&
      provider_still_enabled (self, NULL))
    send_queue (self, NULL);
  if (self->waiting)
    {
      /* While the server tells everyone of a change, the queue is worked out already. */
      HcQueueSnapshot *snapshot = self->server->queue_snapshot;
      const HcWaitingEntry *entry;
      gint64 wait = 0;
      gint position = 0;

      if (snapshot == NULL)
        send_position (self, "queue-update", NULL, TRUE);
      else if ((entry = hc_queue_snapshot_find (snapshot, self->claims->identity,
                                                &position, &wait)) != NULL)
        send_position_of (self, entry, position, wait, "queue-update", NULL, TRUE);
    }
}

void
hc_signal_session_provider_queue_changed (HcSignalSession *self,
                                          const char      *provider)
{
  g_return_if_fail (HC_IS_SIGNAL_SESSION (self));

  if (self->closed || self->claims == NULL || !self->watching_queue)
    return;
  if ((provider == NULL || g_strcmp0 (self->claims->identity, provider) == 0) &&
      provider_still_enabled (self, NULL))
    send_queue (self, NULL);
}

gboolean
hc_signal_session_is_patient (HcSignalSession *self,
                              const char      *identity)
{
  g_return_val_if_fail (HC_IS_SIGNAL_SESSION (self), FALSE);
  return !self->closed && self->claims != NULL && self->claims->role == HC_ROLE_PATIENT &&
         g_strcmp0 (self->claims->identity, identity) == 0;
}

gboolean
hc_signal_session_is_provider_for (HcSignalSession *self,
                                   const char      *identity,
                                   const char      *room_sid)
{
  g_return_val_if_fail (HC_IS_SIGNAL_SESSION (self), FALSE);
  if (self->closed || self->claims == NULL || self->claims->role != HC_ROLE_PROVIDER)
    return FALSE;
  return (identity != NULL && g_strcmp0 (self->claims->identity, identity) == 0) ||
         (self->room != NULL && g_strcmp0 (self->room->sid, room_sid) == 0);
}

gboolean
hc_signal_session_get_audio_feed (HcSignalSession  *self,
                                  guint64          *feed_id,
                                  const char      **audio_mid)
{
  g_return_val_if_fail (HC_IS_SIGNAL_SESSION (self), FALSE);
  if (self->closed || !self->publishing || !self->media_up || !self->has_audio ||
      self->audio_mid == NULL)
    return FALSE;
  *feed_id = self->feed_id;
  *audio_mid = self->audio_mid;
  return TRUE;
}

/* The preflight network test: a loopback through Janus's echo test. */

static void
stop_echo (HcSignalSession *self)
{
  if (self->echo_handle != 0)
    {
      hc_media_unregister_handle (get_media (self), self->echo_handle);
      if (self->echo_janus != NULL)
        hc_janus_detach (self->echo_janus, self->echo_handle);
    }
  self->echo_handle = 0;
  g_clear_object (&self->echo_janus);
  g_ptr_array_set_size (self->echo_candidates, 0);
}

typedef struct
{
  HcSignalSession *self;
  char            *request_id;
  char            *sdp;
} EchoRequest;

static void
echo_request_free (EchoRequest *request)
{
  g_object_unref (request->self);
  g_free (request->request_id);
  g_free (request->sdp);
  g_free (request);
}

static void
on_echo_answered (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  EchoRequest *request = user_data;
  HcSignalSession *self = request->self;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) reply = hc_janus_message_finish (HC_JANUS (source), result, &error);
  g_autoptr(JsonBuilder) builder = NULL;
  JsonObject *jsep = reply ? json_object_get_object_member (reply, "jsep") : NULL;
  const char *answer = jsep ? json_object_get_string_member_with_default (jsep, "sdp", NULL) : NULL;

  if (!self->closed)
    {
      if (answer == NULL)
        {
          stop_echo (self);
          send_error (self, HC_ERROR_BAD_SDP, "The media server did not accept the test offer",
                      request->request_id);
        }
      else
        {
          builder = begin_reply ("echo-answer", request->request_id);
          json_builder_set_member_name (builder, "sdp");
          json_builder_add_string_value (builder, answer);
          json_builder_end_object (builder);
          send_builder (self, builder);
        }
    }
  echo_request_free (request);
}

static void
on_echo_attached (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  EchoRequest *request = user_data;
  HcSignalSession *self = request->self;
  HcJanus *janus = HC_JANUS (source);
  guint64 handle = hc_janus_attach_finish (janus, result, NULL);
  g_autoptr(JsonObject) body = NULL;
  g_autoptr(JsonObject) jsep = NULL;

  if (self->closed || handle == 0 || self->echo_janus != janus)
    {
      if (handle != 0)
        hc_janus_detach (janus, handle);
      if (!self->closed && handle == 0)
        send_error (self, HC_ERROR_MEDIA_UNAVAILABLE, "The media server is not ready; try again",
                    request->request_id);
      echo_request_free (request);
      return;
    }
  self->echo_handle = handle;
  hc_media_register_handle (get_media (self), handle, self);
  body = json_object_new ();
  json_object_set_boolean_member (body, "audio", TRUE);
  json_object_set_boolean_member (body, "video", TRUE);
  jsep = make_jsep ("offer", request->sdp);
  hc_janus_message_async (janus, handle, body, jsep, NULL, on_echo_answered, request);
  for (guint i = 0; i < self->echo_candidates->len; i++)
    hc_janus_trickle (janus, handle, g_ptr_array_index (self->echo_candidates, i));
  g_ptr_array_set_size (self->echo_candidates, 0);
}

static void
handle_echo_test (HcSignalSession *self,
                  JsonObject      *message,
                  const char      *request_id)
{
  const char *sdp = hc_protocol_get_string (message, "sdp");
  HcJanus *janus;
  EchoRequest *request;

  if (!hc_sdp_is_plausible (sdp))
    {
      send_error (self, HC_ERROR_BAD_SDP, "echo-test needs an SDP offer", request_id);
      return;
    }
  stop_echo (self);
  janus = hc_media_pick_janus (get_media (self));
  if (janus == NULL)
    {
      send_error (self, HC_ERROR_MEDIA_UNAVAILABLE, "The media server is starting; try again",
                  request_id);
      return;
    }
  self->echo_janus = g_object_ref (janus);
  request = g_new0 (EchoRequest, 1);
  request->self = g_object_ref (self);
  request->request_id = g_strdup (request_id);
  request->sdp = g_strdup (sdp);
  hc_janus_attach_plugin_async (janus, "janus.plugin.echotest", NULL, on_echo_attached, request);
}

void
hc_signal_session_janus_event (HcSignalSession *self,
                               guint64          handle,
                               JsonObject      *message)
{
  const char *janus = json_object_get_string_member_with_default (message, "janus", "");
  JsonObject *plugindata;
  JsonObject *data;
  const char *what;

  g_return_if_fail (HC_IS_SIGNAL_SESSION (self));

  if (self->media_room == NULL || handle != self->publisher_handle)
    return;
  if (strcmp (janus, "webrtcup") == 0)
    {
      if (self->publishing && !self->media_up)
        {
          self->media_up = TRUE;
          broadcast_track_event (self, "track-published");
        }
      return;
    }
  if (strcmp (janus, "event") != 0 ||
      (plugindata = json_object_get_object_member (message, "plugindata")) == NULL ||
      (data = json_object_get_object_member (plugindata, "data")) == NULL)
    return;
  what = json_object_get_string_member_with_default (data, "videoroom", "");
  /* Janus tells every publisher in the room who is talking: only the
   * reports about our own feed are ours to relay. */
  if ((guint64) json_object_get_int_member_with_default (data, "id", 0) != self->feed_id)
    return;
  if (strcmp (what, "talking") == 0 && !self->audio_muted)
    hc_media_room_talking (self->media_room, self->participant_sid, TRUE);
  else if (strcmp (what, "stopped-talking") == 0)
    hc_media_room_talking (self->media_room, self->participant_sid, FALSE);
}

/* network-quality */

static void
broadcast_network_quality (HcSignalSession *self)
{
  g_autoptr(JsonBuilder) builder = begin_reply ("network-quality-changed", NULL);
  g_autoptr(JsonNode) node = NULL;

  json_builder_set_member_name (builder, "participant");
  build_participant (self, builder, FALSE);
  add_network_quality (self, builder);
  json_builder_end_object (builder);
  node = json_builder_get_root (builder);
  if (self->media_room != NULL)
    hc_media_room_broadcast (self->media_room, node, self);
}

static gboolean
on_network_quality_stale (gpointer user_data)
{
  HcSignalSession *self = user_data;

  self->nq_stale_id = 0;
  /* Reports stopped: the others see this participant as reconnecting rather
   * than frozen at its last level. */
  if (self->nq_level != 0 || self->nq_reason != HC_NETWORK_QUALITY_REASON_RECONNECTING)
    {
      self->nq_level = 0;
      self->nq_reason = HC_NETWORK_QUALITY_REASON_RECONNECTING;
      for (int k = 0; k < HC_NETWORK_QUALITY_N_KINDS; k++)
        for (int d = 0; d < HC_NETWORK_QUALITY_N_DIRECTIONS; d++)
          self->nq_levels[k][d] = 0;
      broadcast_network_quality (self);
    }
  return G_SOURCE_REMOVE;
}

static gboolean
read_level (JsonObject *object,
            const char *name,
            gint       *level)
{
  JsonNode *node = json_object_get_member (object, name);
  gint64 value;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64)
    return FALSE;
  value = json_node_get_int (node);
  if (value < 0 || value > 5)
    return FALSE;
  *level = (gint) value;
  return TRUE;
}

static gboolean
take_network_quality_token (HcSignalSession *self)
{
  gint64 now = g_get_monotonic_time ();

  self->nq_tokens = MIN (NQ_RATE_BURST, self->nq_tokens + (double) (now - self->nq_updated) *
                                                          NQ_RATE_PER_SECOND / G_USEC_PER_SEC);
  self->nq_updated = now;
  if (self->nq_tokens < 1.0)
    return FALSE;
  self->nq_tokens -= 1.0;
  return TRUE;
}

static void
handle_network_quality (HcSignalSession *self,
                        JsonObject      *message,
                        const char      *request_id)
{
  static const char *const kinds[] = { "audio", "video" };
  gint levels[HC_NETWORK_QUALITY_N_KINDS][HC_NETWORK_QUALITY_N_DIRECTIONS];
  gboolean has_kind[HC_NETWORK_QUALITY_N_KINDS] = { FALSE, FALSE };
  HcNetworkQualityReason reason;
  g_autoptr(JsonBuilder) builder = NULL;
  JsonNode *audio_only_node;
  gboolean audio_only = FALSE;
  gboolean changed;
  GPtrArray *members;
  gint level;

  if (!read_level (message, "level", &level))
    {
      send_error (self, HC_ERROR_NETWORK_QUALITY_INVALID, "level must be an integer from 0 to 5",
                  request_id);
      return;
    }
  if (!hc_network_quality_reason_from_string (hc_protocol_get_string (message, "reason"), &reason) ||
      (level == 5) != (reason == HC_NETWORK_QUALITY_REASON_NONE))
    {
      send_error (self, HC_ERROR_NETWORK_QUALITY_INVALID,
                  "reason must name why the level is below 5, and be \"none\" at 5", request_id);
      return;
    }
  for (int k = 0; k < HC_NETWORK_QUALITY_N_KINDS; k++)
    {
      JsonNode *node = json_object_get_member (message, kinds[k]);

      if (node == NULL)
        continue;
      if (!JSON_NODE_HOLDS_OBJECT (node) ||
          !read_level (json_node_get_object (node), "send", &levels[k][HC_NETWORK_QUALITY_SEND]) ||
          !read_level (json_node_get_object (node), "recv", &levels[k][HC_NETWORK_QUALITY_RECV]))
        {
          send_error (self, HC_ERROR_NETWORK_QUALITY_INVALID,
                      "audio and video must be {\"send\": 0–5, \"recv\": 0–5}", request_id);
          return;
        }
      has_kind[k] = TRUE;
    }
  if (has_kind[0] != has_kind[1])
    {
      send_error (self, HC_ERROR_NETWORK_QUALITY_INVALID, "send audio and video levels together",
                  request_id);
      return;
    }
  if (has_kind[0])
    {
      gint worst = 5;

      for (int k = 0; k < HC_NETWORK_QUALITY_N_KINDS; k++)
        for (int d = 0; d < HC_NETWORK_QUALITY_N_DIRECTIONS; d++)
          worst = MIN (worst, levels[k][d]);
      if (worst != level)
        {
          send_error (self, HC_ERROR_NETWORK_QUALITY_INVALID,
                      "level must be the worst of the audio and video levels", request_id);
          return;
        }
    }
  audio_only_node = json_object_get_member (message, "audio_only");
  if (audio_only_node != NULL)
    {
      if (!JSON_NODE_HOLDS_VALUE (audio_only_node) ||
          json_node_get_value_type (audio_only_node) != G_TYPE_BOOLEAN)
        {
          send_error (self, HC_ERROR_NETWORK_QUALITY_INVALID, "audio_only must be a boolean",
                      request_id);
          return;
        }
      audio_only = json_node_get_boolean (audio_only_node);
    }
  /* Checked after the content so that a client learns about a bad report
   * whatever its rate; only well-formed reports spend the allowance. */
  if (!take_network_quality_token (self))
    {
      send_error (self, HC_ERROR_NETWORK_QUALITY_TOO_FREQUENT,
                  "Report network quality at most once a second", request_id);
      return;
    }

  changed = self->nq_level != level || self->nq_reason != reason || self->nq_has_kinds != has_kind[0] ||
            self->nq_audio_only != audio_only ||
            (has_kind[0] && memcmp (self->nq_levels, levels, sizeof levels) != 0);
  self->nq_level = level;
  self->nq_reason = reason;
  self->nq_has_kinds = has_kind[0];
  self->nq_audio_only = audio_only;
  if (has_kind[0])
    memcpy (self->nq_levels, levels, sizeof levels);
  g_clear_handle_id (&self->nq_stale_id, g_source_remove);
  self->nq_stale_id = g_timeout_add_seconds (NQ_STALE_SECONDS, on_network_quality_stale, self);
  if (changed)
    broadcast_network_quality (self);

  /* The reply carries everyone's levels: local and remote verbosity 1. */
  builder = begin_reply ("network-quality-levels", request_id);
  json_builder_set_member_name (builder, "participants");
  json_builder_begin_array (builder);
  members = hc_media_room_get_members (self->media_room);
  for (guint i = 0; i < members->len; i++)
    {
      HcSignalSession *member = g_ptr_array_index (members, i);

      if (member->nq_level < 0)
        continue;
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "sid");
      json_builder_add_string_value (builder, member->participant_sid);
      json_builder_set_member_name (builder, "identity");
      json_builder_add_string_value (builder, member->claims->identity);
      add_network_quality (member, builder);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  json_builder_end_object (builder);
  send_builder (self, builder);
}

/* Dispatch */

static gboolean
take_rate_token (HcSignalSession *self)
{
  gint64 now = g_get_monotonic_time ();

  self->rate_tokens = MIN (HC_SIGNAL_RATE_BURST,
                           self->rate_tokens + (double) (now - self->rate_updated) *
                                               HC_SIGNAL_RATE_PER_SECOND / G_USEC_PER_SEC);
  self->rate_updated = now;
  if (self->rate_tokens < 1.0)
    return FALSE;
  self->rate_tokens -= 1.0;
  return TRUE;
}

static void
on_message (SoupWebsocketConnection *connection,
            gint                     type,
            GBytes                  *payload,
            gpointer                 user_data)
{
  HcSignalSession *self = user_data;
  g_autoptr(HcSignalSession) hold G_GNUC_UNUSED = g_object_ref (self);
  g_autoptr(HcProtocolMessage) parsed = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *error_id = NULL;
  gsize len = 0;
  const char *data = g_bytes_get_data (payload, &len);
  const char *msg_type;
  const char *request_id;
  JsonObject *message;

  self->last_activity = g_get_monotonic_time ();
  if (!take_rate_token (self))
    {
      send_error (self, HC_ERROR_RATE_LIMITED, "Too many messages; slow down", NULL);
      return;
    }
  if (type != SOUP_WEBSOCKET_DATA_TEXT)
    {
      send_error (self, HC_ERROR_MESSAGE_MALFORMED, "Messages are JSON in text frames", NULL);
      return;
    }
  parsed = hc_protocol_message_parse (data, len, &error_id, &error);
  if (parsed == NULL)
    {
      send_gerror (self, error, error_id);
      return;
    }
  message = parsed->object;
  msg_type = parsed->type;
  request_id = parsed->id;

  if (strcmp (msg_type, "ping") == 0)
    send_simple (self, "pong", request_id);
  else if (strcmp (msg_type, "authenticate") == 0)
    handle_authenticate (self, message, request_id);
  else if (!g_strv_contains ((const char * const[]) { "join", "leave", "publish", "unpublish",
                                                      "subscribe", "subscribe-answer",
                                                      "unsubscribe", "configure", "trickle",
                                                      "mute", "mute-participant",
                                                      "remove-participant", "end-visit",
                                                      "wait", "leave-queue", "watch-queue",
                                                      "echo-test", "echo-stop",
                                                      "network-quality",
                                                      NULL }, msg_type))
    send_error (self, HC_ERROR_MESSAGE_UNKNOWN_TYPE, "Unknown message type", request_id);
  else if (self->claims == NULL)
    send_error (self, HC_ERROR_MESSAGE_OUT_OF_ORDER, "Authenticate first", request_id);
  else if (!provider_still_enabled (self, request_id))
    return;
  else if (strcmp (msg_type, "join") == 0)
    handle_join (self, message, request_id);
  else if (strcmp (msg_type, "wait") == 0)
    handle_wait (self, request_id);
  else if (strcmp (msg_type, "leave-queue") == 0)
    handle_leave_queue (self, request_id);
  else if (strcmp (msg_type, "watch-queue") == 0)
    handle_watch_queue (self, request_id);
  else if (strcmp (msg_type, "echo-test") == 0)
    handle_echo_test (self, message, request_id);
  else if (strcmp (msg_type, "echo-stop") == 0)
    {
      stop_echo (self);
      send_simple (self, "echo-stopped", request_id);
    }
  else if (strcmp (msg_type, "trickle") == 0 &&
           g_strcmp0 (hc_protocol_get_string (message, "target"), "echo") == 0)
    handle_trickle (self, message, request_id);
  else if (self->room == NULL)
    send_error (self, HC_ERROR_MESSAGE_OUT_OF_ORDER, "Join a room first", request_id);
  else if (strcmp (msg_type, "leave") == 0)
    {
      leave_room (self);
      send_simple (self, "left", request_id);
    }
  else if (strcmp (msg_type, "publish") == 0)
    handle_publish (self, message, request_id);
  else if (strcmp (msg_type, "unpublish") == 0)
    {
      if (!self->publishing)
        send_error (self, HC_ERROR_MESSAGE_OUT_OF_ORDER, "Not publishing", request_id);
      else
        {
          unpublish (self, TRUE);
          send_simple (self, "unpublished", request_id);
        }
    }
  else if (strcmp (msg_type, "subscribe") == 0)
    handle_subscribe (self, message, request_id);
  else if (strcmp (msg_type, "subscribe-answer") == 0)
    handle_subscribe_answer (self, message, request_id);
  else if (strcmp (msg_type, "unsubscribe") == 0)
    {
      Subscription *sub = find_subscription (self, message, request_id);

      if (sub != NULL)
        {
          g_autoptr(JsonBuilder) builder = begin_reply ("unsubscribed", request_id);

          json_builder_set_member_name (builder, "participant");
          json_builder_add_string_value (builder, sub->participant);
          json_builder_end_object (builder);
          hc_signal_session_drop_subscription (self, sub->participant);
          send_builder (self, builder);
        }
    }
  else if (strcmp (msg_type, "configure") == 0)
    handle_configure (self, message, request_id);
  else if (strcmp (msg_type, "trickle") == 0)
    handle_trickle (self, message, request_id);
  else if (strcmp (msg_type, "mute") == 0)
    handle_mute (self, message, request_id);
  else if (strcmp (msg_type, "mute-participant") == 0)
    handle_mute_participant (self, message, request_id);
  else if (strcmp (msg_type, "remove-participant") == 0)
    handle_remove_participant (self, message, request_id);
  else if (strcmp (msg_type, "end-visit") == 0)
    handle_end_visit (self, request_id);
  else if (strcmp (msg_type, "network-quality") == 0)
    handle_network_quality (self, message, request_id);
}

static void
on_pong (SoupWebsocketConnection *connection,
         GBytes                  *message,
         gpointer                 user_data)
{
  HcSignalSession *self = user_data;

  self->last_activity = g_get_monotonic_time ();
}

static void
on_closed (SoupWebsocketConnection *connection,
           gpointer                 user_data)
{
  HcSignalSession *self = user_data;
  g_autoptr(HcSignalSession) hold G_GNUC_UNUSED = g_object_ref (self);

  if (self->closed)
    return;
  leave_room (self);
  stop_echo (self);
  self->closed = TRUE;
  set_online (self, FALSE);
  g_clear_handle_id (&self->auth_timeout_id, g_source_remove);
  self->expires_at = 0;
  self->next_idle_check = 0;
  g_clear_handle_id (&self->nq_stale_id, g_source_remove);
  g_signal_emit (self, signals[SIGNAL_CLOSED], 0);
  /* A waiting patient who went away shows as disconnected, to their provider; nobody's
   * place changed. */
  if (self->waiting)
    {
      g_autoptr(HcWaitingEntry) entry = own_entry (self);

      hc_server_provider_queue_changed (self->server, entry ? entry->provider : NULL);
    }
}

static void
hc_signal_session_dispose (GObject *object)
{
  HcSignalSession *self = (HcSignalSession *) object;

  set_online (self, FALSE);
  g_clear_handle_id (&self->auth_timeout_id, g_source_remove);
  self->expires_at = 0;
  self->next_idle_check = 0;
  g_clear_handle_id (&self->nq_stale_id, g_source_remove);
  if (self->connection != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->connection, self);
      if (!self->closed)
        {
          leave_room (self);
          self->closed = TRUE;
        }
      close_with (self, SOUP_WEBSOCKET_CLOSE_GOING_AWAY, "server shutting down");
    }
  g_clear_object (&self->connection);
  g_clear_object (&self->janus);
  g_clear_object (&self->echo_janus);
  g_clear_object (&self->media_room);

  G_OBJECT_CLASS (hc_signal_session_parent_class)->dispose (object);
}

static void
hc_signal_session_finalize (GObject *object)
{
  HcSignalSession *self = (HcSignalSession *) object;

  g_free (self->address);
  g_free (self->audio_mid);
  g_free (self->participant_sid);
  g_free (self->display_name);
  g_clear_pointer (&self->claims, hc_token_claims_free);
  g_clear_pointer (&self->room, hc_room_record_free);
  g_clear_pointer (&self->early_candidates, g_ptr_array_unref);
  g_clear_pointer (&self->echo_candidates, g_ptr_array_unref);
  g_clear_pointer (&self->subscriptions, g_hash_table_unref);

  G_OBJECT_CLASS (hc_signal_session_parent_class)->finalize (object);
}

static void
hc_signal_session_class_init (HcSignalSessionClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = hc_signal_session_dispose;
  object_class->finalize = hc_signal_session_finalize;

  signals[SIGNAL_CLOSED] = g_signal_new ("closed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                         0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
hc_signal_session_init (HcSignalSession *self)
{
  self->early_candidates = g_ptr_array_new_with_free_func ((GDestroyNotify) json_node_unref);
  self->echo_candidates = g_ptr_array_new_with_free_func ((GDestroyNotify) json_node_unref);
  self->last_position = -1;
  self->subscriptions = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                               (GDestroyNotify) subscription_free);
  self->rate_tokens = HC_SIGNAL_RATE_BURST;
  self->rate_updated = g_get_monotonic_time ();
  self->last_activity = g_get_monotonic_time ();
  self->nq_level = -1;
  self->nq_tokens = NQ_RATE_BURST;
  self->nq_updated = g_get_monotonic_time ();
}

HcSignalSession *
hc_signal_session_new (HcServer                *server,
                       SoupWebsocketConnection *connection,
                       const char              *address)
{
  HcSignalSession *self = g_object_new (HC_TYPE_SIGNAL_SESSION, NULL);

  self->server = server;
  self->connection = g_object_ref (connection);
  self->address = g_strdup (address);
  soup_websocket_connection_set_max_incoming_payload_size (connection, HC_SIGNAL_MAX_MESSAGE);
  soup_websocket_connection_set_keepalive_interval (connection, 20);
  g_signal_connect (connection, "message", G_CALLBACK (on_message), self);
  g_signal_connect (connection, "pong", G_CALLBACK (on_pong), self);
  g_signal_connect (connection, "closed", G_CALLBACK (on_closed), self);
  self->auth_timeout_id = g_timeout_add_seconds (HC_SIGNAL_AUTH_TIMEOUT_SECONDS, on_auth_timeout,
                                                 self);
  self->next_idle_check = g_get_monotonic_time () + IDLE_CHECK_SECONDS * G_USEC_PER_SEC;
  return self;
}

void
hc_signal_session_room_completed (HcSignalSession *self,
                                  const char      *room_sid)
{
  g_return_if_fail (HC_IS_SIGNAL_SESSION (self));

  if (self->room == NULL || g_strcmp0 (self->room->sid, room_sid) != 0)
    return;
  send_simple (self, "room-completed", NULL);
  leave_room (self);
  close_with (self, CLOSE_ROOM_ENDED, "room completed");
}

void
hc_signal_session_token_revoked (HcSignalSession *self,
                                 const char      *jti)
{
  g_return_if_fail (HC_IS_SIGNAL_SESSION (self));

  if (self->claims == NULL || g_strcmp0 (self->claims->jti, jti) != 0)
    return;
  send_error (self, HC_ERROR_TOKEN_REVOKED, "This access token has been revoked", NULL);
  leave_room (self);
  close_with (self, CLOSE_REVOKED, "token revoked");
}

void
hc_signal_session_shutdown (HcSignalSession *self)
{
  g_autoptr(HcSignalSession) hold G_GNUC_UNUSED = g_object_ref (self);

  g_return_if_fail (HC_IS_SIGNAL_SESSION (self));

  if (self->closed)
    return;
  leave_room (self);
  stop_echo (self);
  self->closed = TRUE;
  set_online (self, FALSE);
  g_clear_handle_id (&self->auth_timeout_id, g_source_remove);
  self->expires_at = 0;
  self->next_idle_check = 0;
  if (soup_websocket_connection_get_state (self->connection) == SOUP_WEBSOCKET_STATE_OPEN)
    soup_websocket_connection_close (self->connection, SOUP_WEBSOCKET_CLOSE_GOING_AWAY,
                                     "server shutting down");
}

void
hc_signal_session_kick (HcSignalSession *self)
{
  g_autoptr(HcSignalSession) hold = g_object_ref (self);

  g_return_if_fail (HC_IS_SIGNAL_SESSION (self));

  self->waiting = FALSE;
  leave_room (self);
  close_with (self, CLOSE_REMOVED, "removed by the provider");
}

/* No timer of its own for these two: thousands of waiting sessions' timers made every
 * turn of the main loop walk thousands more sources. The server ticks every session. */
void
hc_signal_session_tick (HcSignalSession *self,
                        gint64           monotonic)
{
  g_return_if_fail (HC_IS_SIGNAL_SESSION (self));

  if (self->closed)
    return;
  if (self->expires_at != 0 && monotonic >= self->expires_at)
    {
      self->expires_at = 0;
      send_error (self, HC_ERROR_TOKEN_EXPIRED, "The access token has expired", NULL);
      leave_room (self);
      close_with (self, CLOSE_AUTH_FAILED, "token expired");
      return;
    }
  if (self->next_idle_check == 0 || monotonic < self->next_idle_check)
    return;
  self->next_idle_check = monotonic + IDLE_CHECK_SECONDS * G_USEC_PER_SEC;
  if (monotonic - self->last_activity > HC_SIGNAL_IDLE_TIMEOUT_SECONDS * G_USEC_PER_SEC)
    {
      self->next_idle_check = 0;
      g_debug ("Closing a signaling socket that went silent");
      close_with (self, CLOSE_IDLE, "idle");
      return;
    }
  if (!provider_still_enabled (self, NULL))
    self->next_idle_check = 0;
}
