/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "HcSignalSession"

#include "config.h"

#include "hc-server-private.h"
#include "hc-signal-session.h"
#include "hc-sid.h"

#include <string.h>

/* WebSocket close codes in the private range, documented in docs/protocol.md. */
#define CLOSE_AUTH_FAILED   4401
#define CLOSE_REVOKED       4403
#define CLOSE_ROOM_ENDED    4410

enum {
  SIGNAL_CLOSED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

struct _HcSignalSession
{
  GObject                  parent_instance;

  HcServer                *server;      /* unowned: the server owns the sessions */
  SoupWebsocketConnection *connection;
  char                    *address;
  HcTokenClaims           *claims;      /* NULL until authenticated */
  HcRoomRecord            *room;        /* NULL until joined */
  char                    *participant_sid;
  guint                    auth_timeout_id;
  guint                    expiry_id;
  gboolean                 closed;
};

G_DEFINE_FINAL_TYPE (HcSignalSession, hc_signal_session, G_TYPE_OBJECT)

static void
send_node (HcSignalSession *self,
           JsonNode        *node)
{
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autofree char *text = NULL;

  if (self->closed || soup_websocket_connection_get_state (self->connection) !=
                        SOUP_WEBSOCKET_STATE_OPEN)
    return;
  json_generator_set_root (generator, node);
  text = json_generator_to_data (generator, NULL);
  soup_websocket_connection_send_text (self->connection, text);
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
  send_node (self, node);
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

static void
leave_room (HcSignalSession *self)
{
  g_autoptr(GError) error = NULL;

  if (self->participant_sid != NULL &&
      !hc_store_disconnect_participant (hc_server_get_store (self->server), self->participant_sid,
                                        hc_server_now (), &error))
    g_warning ("Could not record that a participant left: %s", error->message);
  g_clear_pointer (&self->participant_sid, g_free);
  g_clear_pointer (&self->room, hc_room_record_free);
}

static gboolean
on_auth_timeout (gpointer user_data)
{
  HcSignalSession *self = user_data;

  self->auth_timeout_id = 0;
  send_error (self, HC_ERROR_AUTH_TIMEOUT, "No authenticate message arrived in time", NULL);
  close_with (self, CLOSE_AUTH_FAILED, "authentication timeout");
  return G_SOURCE_REMOVE;
}

static gboolean
on_token_expired (gpointer user_data)
{
  HcSignalSession *self = user_data;

  self->expiry_id = 0;
  send_error (self, HC_ERROR_TOKEN_EXPIRED, "The access token has expired", NULL);
  leave_room (self);
  close_with (self, CLOSE_AUTH_FAILED, "token expired");
  return G_SOURCE_REMOVE;
}

static void
send_simple (HcSignalSession *self,
             const char      *type,
             const char      *request_id)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) node = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "type");
  json_builder_add_string_value (builder, type);
  if (request_id != NULL)
    {
      json_builder_set_member_name (builder, "id");
      json_builder_add_string_value (builder, request_id);
    }
  json_builder_end_object (builder);
  node = json_builder_get_root (builder);
  send_node (self, node);
}

static void
handle_authenticate (HcSignalSession *self,
                     JsonObject      *message,
                     const char      *request_id)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) node = NULL;
  JsonNode *token_node = json_object_get_member (message, "token");
  gint64 now = hc_server_now ();

  if (self->claims != NULL)
    {
      send_error (self, HC_ERROR_MESSAGE_OUT_OF_ORDER, "Already authenticated", request_id);
      return;
    }
  if (token_node == NULL || !JSON_NODE_HOLDS_VALUE (token_node) ||
      json_node_get_value_type (token_node) != G_TYPE_STRING)
    {
      send_error (self, HC_ERROR_TOKEN_MISSING, "authenticate needs a token string", request_id);
      close_with (self, CLOSE_AUTH_FAILED, "no token");
      return;
    }

  self->claims = hc_server_verify_token (self->server, json_node_get_string (token_node), &error);
  if (self->claims == NULL)
    {
      send_gerror (self, error, request_id);
      close_with (self, CLOSE_AUTH_FAILED, "authentication failed");
      return;
    }
  g_clear_handle_id (&self->auth_timeout_id, g_source_remove);
  self->expiry_id = g_timeout_add_seconds ((guint) MAX (1, self->claims->exp - now),
                                           on_token_expired, self);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "type");
  json_builder_add_string_value (builder, "authenticated");
  if (request_id != NULL)
    {
      json_builder_set_member_name (builder, "id");
      json_builder_add_string_value (builder, request_id);
    }
  json_builder_set_member_name (builder, "identity");
  json_builder_add_string_value (builder, self->claims->identity);
  json_builder_set_member_name (builder, "role");
  json_builder_add_string_value (builder, hc_role_to_string (self->claims->role));
  json_builder_end_object (builder);
  node = json_builder_get_root (builder);
  send_node (self, node);
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
  if (g_str_has_prefix (name, HC_SID_PREFIX_ROOM) && hc_sid_is_valid (name, NULL))
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
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) node = NULL;
  g_autofree char *participant_sid = NULL;
  JsonNode *room_node = json_object_get_member (message, "room");
  const char *name;
  gint connected;

  if (self->room != NULL)
    {
      send_error (self, HC_ERROR_MESSAGE_OUT_OF_ORDER, "Leave this room before joining another",
                  request_id);
      return;
    }
  if (room_node == NULL || !JSON_NODE_HOLDS_VALUE (room_node) ||
      json_node_get_value_type (room_node) != G_TYPE_STRING ||
      !hc_name_is_valid (json_node_get_string (room_node), 128))
    {
      send_error (self, HC_ERROR_MESSAGE_MALFORMED, "join needs a room name or SID", request_id);
      return;
    }
  name = json_node_get_string (room_node);

  /* The token may have been revoked since it authenticated. */
  if (hc_store_token_is_revoked (store, self->claims->jti))
    {
      send_error (self, HC_ERROR_TOKEN_REVOKED, "This access token has been revoked", request_id);
      close_with (self, CLOSE_REVOKED, "token revoked");
      return;
    }

  room = resolve_room (self, name, &error);
  if (room == NULL ||
      !hc_token_claims_allow_room (self->claims, room->sid, room->unique_name, &error))
    {
      send_gerror (self, error, request_id);
      return;
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
  self->participant_sid = g_steal_pointer (&participant_sid);
  self->room = g_steal_pointer (&room);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "type");
  json_builder_add_string_value (builder, "joined");
  if (request_id != NULL)
    {
      json_builder_set_member_name (builder, "id");
      json_builder_add_string_value (builder, request_id);
    }
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
  json_builder_end_object (builder);
  node = json_builder_get_root (builder);
  send_node (self, node);
}

static void
on_message (SoupWebsocketConnection *connection,
            gint                     type,
            GBytes                  *payload,
            gpointer                 user_data)
{
  HcSignalSession *self = user_data;
  g_autoptr(HcSignalSession) hold = g_object_ref (self);
  g_autoptr(JsonParser) parser = json_parser_new ();
  gsize len = 0;
  const char *data = g_bytes_get_data (payload, &len);
  const char *msg_type;
  const char *request_id = NULL;
  JsonObject *message;
  JsonNode *root;
  JsonNode *node;

  if (type != SOUP_WEBSOCKET_DATA_TEXT || len > HC_SIGNAL_MAX_MESSAGE ||
      !g_utf8_validate (data, (gssize) len, NULL) ||
      !json_parser_load_from_data (parser, data, (gssize) len, NULL) ||
      (root = json_parser_get_root (parser)) == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      send_error (self, len > HC_SIGNAL_MAX_MESSAGE ? HC_ERROR_MESSAGE_TOO_LARGE
                                                    : HC_ERROR_MESSAGE_MALFORMED,
                  "A message must be one JSON object in a text frame of at most 64 KiB", NULL);
      return;
    }
  message = json_node_get_object (root);

  node = json_object_get_member (message, "id");
  if (node != NULL)
    {
      if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING ||
          strlen (json_node_get_string (node)) > 64)
        {
          send_error (self, HC_ERROR_MESSAGE_MALFORMED, "id must be a string of at most 64 bytes",
                      NULL);
          return;
        }
      request_id = json_node_get_string (node);
    }
  node = json_object_get_member (message, "type");
  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_STRING)
    {
      send_error (self, HC_ERROR_MESSAGE_MALFORMED, "A message needs a type string", request_id);
      return;
    }
  msg_type = json_node_get_string (node);

  if (strcmp (msg_type, "authenticate") == 0)
    handle_authenticate (self, message, request_id);
  else if (strcmp (msg_type, "join") == 0 || strcmp (msg_type, "leave") == 0)
    {
      if (self->claims == NULL)
        send_error (self, HC_ERROR_MESSAGE_OUT_OF_ORDER, "Authenticate first", request_id);
      else if (strcmp (msg_type, "join") == 0)
        handle_join (self, message, request_id);
      else if (self->room == NULL)
        send_error (self, HC_ERROR_MESSAGE_OUT_OF_ORDER, "Not in a room", request_id);
      else
        {
          leave_room (self);
          send_simple (self, "left", request_id);
        }
    }
  else if (strcmp (msg_type, "ping") == 0)
    send_simple (self, "pong", request_id);
  else
    send_error (self, HC_ERROR_MESSAGE_UNKNOWN_TYPE, "Unknown message type", request_id);
}

static void
on_closed (SoupWebsocketConnection *connection,
           gpointer                 user_data)
{
  HcSignalSession *self = user_data;
  g_autoptr(HcSignalSession) hold = g_object_ref (self);

  if (self->closed)
    return;
  self->closed = TRUE;
  g_clear_handle_id (&self->auth_timeout_id, g_source_remove);
  g_clear_handle_id (&self->expiry_id, g_source_remove);
  leave_room (self);
  g_signal_emit (self, signals[SIGNAL_CLOSED], 0);
}

static void
hc_signal_session_dispose (GObject *object)
{
  HcSignalSession *self = (HcSignalSession *) object;

  g_clear_handle_id (&self->auth_timeout_id, g_source_remove);
  g_clear_handle_id (&self->expiry_id, g_source_remove);
  if (self->connection != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->connection, self);
      close_with (self, SOUP_WEBSOCKET_CLOSE_GOING_AWAY, "server shutting down");
      leave_room (self);
    }
  g_clear_object (&self->connection);

  G_OBJECT_CLASS (hc_signal_session_parent_class)->dispose (object);
}

static void
hc_signal_session_finalize (GObject *object)
{
  HcSignalSession *self = (HcSignalSession *) object;

  g_free (self->address);
  g_free (self->participant_sid);
  g_clear_pointer (&self->claims, hc_token_claims_free);
  g_clear_pointer (&self->room, hc_room_record_free);

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
  g_signal_connect (connection, "closed", G_CALLBACK (on_closed), self);
  self->auth_timeout_id = g_timeout_add_seconds (HC_SIGNAL_AUTH_TIMEOUT_SECONDS, on_auth_timeout,
                                                 self);
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
  /* The store already marked everyone disconnected. */
  g_clear_pointer (&self->participant_sid, g_free);
  g_clear_pointer (&self->room, hc_room_record_free);
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
