/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "HcSignaling"

#include "config.h"

#include "hc-error.h"
#include "hc-signaling-client.h"

#include <libsoup/soup.h>
#include <string.h>

/*
 * The console's end of docs/protocol.md: one WebSocket to housecalld, requests
 * matched to replies by `id`, everything else emitted as ::event. A socket that
 * drops while connected is reopened with exponential backoff and authenticated
 * again with the same token; the engine then joins the room again.
 */

#define REQUEST_TIMEOUT_SECONDS  15
#define PING_INTERVAL_SECONDS    20
#define CLOSE_TIMEOUT_SECONDS    2
#define RECONNECT_FIRST_DELAY_MS 500
#define RECONNECT_MAX_DELAY_MS   10000
#define RECONNECT_MAX_ATTEMPTS   30

/* Close codes after which reconnecting cannot help (docs/protocol.md). */
#define CLOSE_AUTH_FAILED 4401
#define CLOSE_REVOKED     4403
#define CLOSE_ROOM_ENDED  4410
#define CLOSE_REPLACED    4412
/* Ours: the socket was dropped because the server stopped answering pings. */
#define CLOSE_PING_TIMEOUT 4000

enum {
  PROP_0,
  PROP_URL,
  PROP_STATE,
  PROP_IDENTITY,
  PROP_ROLE,
  N_PROPS
};

enum {
  SIGNAL_EVENT,
  SIGNAL_RECONNECTED,
  SIGNAL_CLOSED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

typedef struct
{
  HcSignalingClient *client;   /* unowned: pending requests die with the client's socket */
  char              *id;
  GTask             *task;
  guint              timeout_id;
} Pending;

struct _HcSignalingClient
{
  GObject                  parent_instance;

  char                    *url;
  HcSignalingState         state;
  char                    *identity;
  char                    *role;
  char                    *token;

  SoupSession             *session;
  SoupWebsocketConnection *connection;
  GCancellable            *connect_cancellable;
  GHashTable              *pending;        /* id → Pending */
  guint                    next_id;

  GTask                   *connect_task;   /* the first connect_async(), until authenticated */
  GPtrArray               *close_tasks;    /* close_async() callers waiting for the socket */
  guint                    n_closing;      /* sockets still in their close handshake */
  guint                    reconnect_id;
  guint                    attempt;
  guint                    ping_id;
  gushort                  last_close_code;
};

G_DEFINE_FINAL_TYPE (HcSignalingClient, hc_signaling_client, G_TYPE_OBJECT)

static void open_socket (HcSignalingClient *self);

/* Helpers */

static void
set_state (HcSignalingClient *self,
           HcSignalingState   state)
{
  if (self->state == state)
    return;
  g_debug ("Signaling %s → %s", hc_enum_to_nick (HC_TYPE_SIGNALING_STATE, self->state),
           hc_enum_to_nick (HC_TYPE_SIGNALING_STATE, state));
  self->state = state;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
}

static void
pending_free (gpointer data)
{
  Pending *pending = data;

  g_clear_handle_id (&pending->timeout_id, g_source_remove);
  g_clear_object (&pending->task);
  g_free (pending->id);
  g_free (pending);
}

/* Completes a pending request (removing it first: the callback may send more). */
static void
pending_complete (HcSignalingClient *self,
                  const char        *id,
                  JsonObject        *reply,
                  GError            *error)
{
  Pending *pending = NULL;
  g_autofree char *key = NULL;
  g_autoptr(GTask) task = NULL;

  if (!g_hash_table_steal_extended (self->pending, id, (gpointer *) &key, (gpointer *) &pending))
    {
      g_clear_error (&error);
      return;
    }
  task = g_steal_pointer (&pending->task);
  pending_free (pending);
  if (error != NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, json_object_ref (reply), (GDestroyNotify) json_object_unref);
}

static void
fail_all_pending (HcSignalingClient *self,
                  GQuark             domain,
                  int                code,
                  const char        *message)
{
  g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  GHashTableIter iter;
  gpointer key;

  g_hash_table_iter_init (&iter, self->pending);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    g_ptr_array_add (ids, g_strdup (key));
  for (guint i = 0; i < ids->len; i++)
    pending_complete (self, g_ptr_array_index (ids, i), NULL,
                      g_error_new_literal (domain, code, message));
}

static gboolean
on_request_timeout (gpointer user_data)
{
  Pending *pending = user_data;
  HcSignalingClient *self = pending->client;
  g_autofree char *id = g_strdup (pending->id);

  pending->timeout_id = 0;
  pending_complete (self, id, NULL,
                    g_error_new_literal (G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                                         "The server did not answer in time"));
  return G_SOURCE_REMOVE;
}

static gboolean
send_object (HcSignalingClient *self,
             JsonObject        *object)
{
  g_autoptr(JsonNode) node = json_node_new (JSON_NODE_OBJECT);
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autofree char *text = NULL;

  if (self->connection == NULL ||
      soup_websocket_connection_get_state (self->connection) != SOUP_WEBSOCKET_STATE_OPEN)
    return FALSE;
  json_node_set_object (node, object);
  json_generator_set_root (generator, node);
  text = json_generator_to_data (generator, NULL);
  soup_websocket_connection_send_text (self->connection, text);
  return TRUE;
}

static JsonObject *
build_message (const char *type,
               JsonObject *fields)
{
  JsonObject *object = json_object_new ();

  if (fields != NULL)
    {
      JsonObjectIter iter;
      const char *name;
      JsonNode *value;

      json_object_iter_init (&iter, fields);
      while (json_object_iter_next (&iter, &name, &value))
        json_object_set_member (object, name, json_node_copy (value));
    }
  json_object_set_string_member (object, "type", type);
  return object;
}

static void
send_request (HcSignalingClient   *self,
              const char          *type,
              JsonObject          *fields,
              GCancellable        *cancellable,
              GAsyncReadyCallback  callback,
              gpointer             user_data,
              gpointer             source_tag)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  g_autoptr(JsonObject) message = NULL;
  Pending *pending;

  g_task_set_source_tag (task, source_tag);
  g_task_set_name (task, type);

  message = build_message (type, fields);
  pending = g_new0 (Pending, 1);
  pending->client = self;
  pending->id = g_strdup_printf ("%u", ++self->next_id);
  json_object_set_string_member (message, "id", pending->id);
  if (!send_object (self, message))
    {
      g_free (pending->id);
      g_free (pending);
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED,
                               "Not connected to the server");
      return;
    }
  pending->task = g_steal_pointer (&task);
  pending->timeout_id = g_timeout_add_seconds (REQUEST_TIMEOUT_SECONDS, on_request_timeout,
                                               pending);
  g_hash_table_insert (self->pending, g_strdup (pending->id), pending);
}

static GError *
error_from_reply (JsonObject *reply)
{
  gint64 code = json_object_get_int_member_with_default (reply, "code", HC_ERROR_INTERNAL);
  const char *message = json_object_get_string_member_with_default (reply, "message", NULL);
  const char *slug = json_object_get_string_member_with_default (reply, "error", "error");

  if (code <= 0 || code > G_MAXINT)
    code = HC_ERROR_INTERNAL;
  return g_error_new (HC_ERROR, (int) code, "%s", message != NULL ? message : slug);
}

static gboolean
is_final_close (gushort code)
{
  /* 4412: we joined again elsewhere; coming back here would throw that one out. */
  return code == CLOSE_AUTH_FAILED || code == CLOSE_REVOKED || code == CLOSE_ROOM_ENDED ||
         code == CLOSE_REPLACED;
}

/* Closing */

static void
finish_close_tasks (HcSignalingClient *self)
{
  g_autoptr(GPtrArray) tasks = g_steal_pointer (&self->close_tasks);

  self->close_tasks = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; i < tasks->len; i++)
    g_task_return_boolean (g_ptr_array_index (tasks, i), TRUE);
}

/* A socket in its close handshake: done when it says closed, or when the server takes
 * too long to answer our close frame. */
typedef struct
{
  GWeakRef                 client;  /* the client need not wait for its old sockets */
  SoupWebsocketConnection *connection;
  guint                    timeout_id;
  gulong                   closed_id;
} Closing;

static void
closing_done (Closing *closing)
{
  g_autoptr(HcSignalingClient) self = g_weak_ref_get (&closing->client);

  g_clear_handle_id (&closing->timeout_id, g_source_remove);
  g_clear_signal_handler (&closing->closed_id, closing->connection);
  g_object_unref (closing->connection);
  g_weak_ref_clear (&closing->client);
  g_free (closing);
  if (self != NULL && --self->n_closing == 0)
    finish_close_tasks (self);
}

static void
on_old_connection_closed (SoupWebsocketConnection *connection,
                          gpointer                 user_data)
{
  closing_done (user_data);
}

static gboolean
on_close_timeout (gpointer user_data)
{
  Closing *closing = user_data;

  closing->timeout_id = 0;
  /* Dropping the last reference tears the socket down without the handshake. */
  closing_done (closing);
  return G_SOURCE_REMOVE;
}

/* Hands the socket over to a close handshake that finishes on its own; the client
 * is free of it at once. */
static void
release_connection (HcSignalingClient *self,
                    gushort            code,
                    const char        *reason)
{
  SoupWebsocketConnection *connection = g_steal_pointer (&self->connection);
  Closing *closing;

  if (connection == NULL)
    return;
  g_signal_handlers_disconnect_by_data (connection, self);
  if (soup_websocket_connection_get_state (connection) == SOUP_WEBSOCKET_STATE_CLOSED)
    {
      g_object_unref (connection);
      return;
    }
  self->n_closing++;
  closing = g_new0 (Closing, 1);
  g_weak_ref_init (&closing->client, self);
  closing->connection = connection;
  closing->closed_id = g_signal_connect (connection, "closed",
                                         G_CALLBACK (on_old_connection_closed), closing);
  closing->timeout_id = g_timeout_add_seconds (CLOSE_TIMEOUT_SECONDS, on_close_timeout, closing);
  if (soup_websocket_connection_get_state (connection) == SOUP_WEBSOCKET_STATE_OPEN)
    soup_websocket_connection_close (connection, code, reason);
}

static void
stop_timers (HcSignalingClient *self)
{
  g_clear_handle_id (&self->reconnect_id, g_source_remove);
  g_clear_handle_id (&self->ping_id, g_source_remove);
}

static void
close_for_good (HcSignalingClient *self,
                gushort            code,
                const char        *reason)
{
  stop_timers (self);
  g_cancellable_cancel (self->connect_cancellable);
  release_connection (self, SOUP_WEBSOCKET_CLOSE_NORMAL, "bye");
  fail_all_pending (self, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED, "The connection closed");
  if (self->state == HC_SIGNALING_STATE_CLOSED)
    return;
  set_state (self, HC_SIGNALING_STATE_CLOSED);
  g_signal_emit (self, signals[SIGNAL_CLOSED], 0, (guint) code, reason);
}

/* Reconnecting */

static gboolean
on_reconnect_timeout (gpointer user_data)
{
  HcSignalingClient *self = user_data;

  self->reconnect_id = 0;
  open_socket (self);
  return G_SOURCE_REMOVE;
}

static void
schedule_reconnect (HcSignalingClient *self)
{
  guint delay;

  if (self->attempt >= RECONNECT_MAX_ATTEMPTS)
    {
      close_for_good (self, self->last_close_code, "could not reconnect");
      return;
    }
  delay = MIN (RECONNECT_MAX_DELAY_MS, RECONNECT_FIRST_DELAY_MS << MIN (self->attempt, 5));
  /* ±20 % so that every console of a clinic does not come back in the same millisecond. */
  delay = (guint) (delay * g_random_double_range (0.8, 1.2));
  self->attempt++;
  set_state (self, HC_SIGNALING_STATE_RECONNECTING);
  g_debug ("Reconnecting in %u ms (attempt %u)", delay, self->attempt);
  g_clear_handle_id (&self->reconnect_id, g_source_remove);
  self->reconnect_id = g_timeout_add (delay, on_reconnect_timeout, self);
}

/* Socket events */

static void
on_ping_reply (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  HcSignalingClient *self = HC_SIGNALING_CLIENT (source);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) reply = hc_signaling_client_request_finish (self, result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT) && self->connection != NULL)
    {
      g_message ("The server stopped answering pings; reconnecting");
      hc_signaling_client_drop_connection (self);
    }
}

static gboolean
on_ping_timeout (gpointer user_data)
{
  HcSignalingClient *self = user_data;

  /* Besides keeping the socket out of the server's 60 s idle timeout, an unanswered
   * ping is how a connection that died silently (a laptop's Wi-Fi) is noticed. */
  if (self->state == HC_SIGNALING_STATE_CONNECTED)
    send_request (self, "ping", NULL, NULL, on_ping_reply, NULL, on_ping_timeout);
  return G_SOURCE_CONTINUE;
}

static void
on_message (SoupWebsocketConnection *connection,
            gint                     type,
            GBytes                  *payload,
            gpointer                 user_data)
{
  HcSignalingClient *self = user_data;
  g_autoptr(HcSignalingClient) hold = g_object_ref (self);
  g_autoptr(JsonParser) parser = json_parser_new ();
  gsize len = 0;
  const char *data = g_bytes_get_data (payload, &len);
  JsonObject *message;
  JsonNode *root;
  const char *msg_type;
  const char *id;

  if (type != SOUP_WEBSOCKET_DATA_TEXT ||
      !json_parser_load_from_data (parser, data, (gssize) len, NULL) ||
      (root = json_parser_get_root (parser)) == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_warning ("Ignoring a message from the server that is not a JSON object");
      return;
    }
  message = json_node_get_object (root);
  msg_type = json_object_get_string_member_with_default (message, "type", NULL);
  id = json_object_get_string_member_with_default (message, "id", NULL);
  if (msg_type == NULL)
    return;

  if (id != NULL && g_hash_table_contains (self->pending, id))
    {
      if (strcmp (msg_type, "error") == 0)
        pending_complete (self, id, NULL, error_from_reply (message));
      else
        pending_complete (self, id, message, NULL);
      return;
    }

  /* Only event types we know become signal details: the server does not get to
   * intern arbitrary strings in this process. */
  g_signal_emit (self, signals[SIGNAL_EVENT], g_quark_try_string (msg_type), message);
}

static void
on_closed (SoupWebsocketConnection *connection,
           gpointer                 user_data)
{
  HcSignalingClient *self = user_data;
  g_autoptr(HcSignalingClient) hold = g_object_ref (self);
  gushort code = soup_websocket_connection_get_close_code (connection);
  const char *reason = soup_websocket_connection_get_close_data (connection);
  g_autofree char *reason_copy = g_strdup (reason);

  g_debug ("Socket closed: %u %s", code, reason ? reason : "");
  self->last_close_code = code;
  g_signal_handlers_disconnect_by_data (connection, self);
  g_clear_object (&self->connection);
  g_clear_handle_id (&self->ping_id, g_source_remove);
  fail_all_pending (self, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED, "The connection closed");

  switch (self->state)
    {
    case HC_SIGNALING_STATE_CONNECTED:
      if (is_final_close (code))
        close_for_good (self, code, reason_copy);
      else
        {
          self->attempt = 0;
          schedule_reconnect (self);
        }
      break;
    case HC_SIGNALING_STATE_RECONNECTING:
    case HC_SIGNALING_STATE_CONNECTING:
      /* An attempt's authenticate request failed above; its callback decides. */
      break;
    case HC_SIGNALING_STATE_DISCONNECTED:
    case HC_SIGNALING_STATE_CLOSED:
    default:
      break;
    }
}

static void
on_authenticated (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  HcSignalingClient *self = HC_SIGNALING_CLIENT (source);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) reply = hc_signaling_client_request_finish (self, result, &error);
  g_autoptr(GTask) connect_task = g_steal_pointer (&self->connect_task);

  if (self->state == HC_SIGNALING_STATE_CLOSED)
    {
      if (connect_task != NULL)
        g_task_return_new_error (connect_task, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                 "The connection was closed");
      return;
    }

  if (reply == NULL)
    {
      gboolean final = error->domain == HC_ERROR || is_final_close (self->last_close_code);

      release_connection (self, SOUP_WEBSOCKET_CLOSE_NORMAL, "bye");
      if (connect_task != NULL)
        {
          set_state (self, HC_SIGNALING_STATE_DISCONNECTED);
          g_task_return_error (connect_task, g_steal_pointer (&error));
        }
      else if (final)
        {
          g_message ("Reconnecting failed for good: %s", error->message);
          close_for_good (self, CLOSE_AUTH_FAILED, error->message);
        }
      else
        schedule_reconnect (self);
      return;
    }

  g_free (self->identity);
  self->identity = g_strdup (json_object_get_string_member_with_default (reply, "identity", ""));
  g_free (self->role);
  self->role = g_strdup (json_object_get_string_member_with_default (reply, "role", ""));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_IDENTITY]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ROLE]);
  self->attempt = 0;
  g_clear_handle_id (&self->ping_id, g_source_remove);
  self->ping_id = g_timeout_add_seconds (PING_INTERVAL_SECONDS, on_ping_timeout, self);
  set_state (self, HC_SIGNALING_STATE_CONNECTED);

  if (connect_task != NULL)
    g_task_return_pointer (connect_task, g_steal_pointer (&reply),
                           (GDestroyNotify) json_object_unref);
  else
    g_signal_emit (self, signals[SIGNAL_RECONNECTED], 0);
}

static void
on_socket_open (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(HcSignalingClient) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(SoupWebsocketConnection) connection =
    soup_session_websocket_connect_finish (SOUP_SESSION (source), result, &error);
  g_autoptr(JsonObject) fields = NULL;

  if (self->state == HC_SIGNALING_STATE_CLOSED)
    {
      g_autoptr(GTask) task = g_steal_pointer (&self->connect_task);

      if (connection != NULL)
        soup_websocket_connection_close (connection, SOUP_WEBSOCKET_CLOSE_NORMAL, "bye");
      if (task != NULL)
        g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                 "The connection was closed");
      return;
    }

  if (connection != NULL &&
      g_strcmp0 (soup_websocket_connection_get_protocol (connection),
                 HC_SIGNALING_SUBPROTOCOL) != 0)
    {
      soup_websocket_connection_close (connection, SOUP_WEBSOCKET_CLOSE_PROTOCOL_ERROR,
                                       "subprotocol");
      g_clear_object (&connection);
      g_set_error (&error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                   "The server does not speak %s", HC_SIGNALING_SUBPROTOCOL);
    }

  if (connection == NULL)
    {
      g_autoptr(GTask) task = g_steal_pointer (&self->connect_task);

      g_debug ("Could not open the socket: %s", error->message);
      if (task != NULL)
        {
          set_state (self, HC_SIGNALING_STATE_DISCONNECTED);
          g_task_return_error (task, g_steal_pointer (&error));
        }
      else
        schedule_reconnect (self);
      return;
    }

  self->connection = g_steal_pointer (&connection);
  self->last_close_code = 0;
  soup_websocket_connection_set_keepalive_interval (self->connection, PING_INTERVAL_SECONDS);
  g_signal_connect (self->connection, "message", G_CALLBACK (on_message), self);
  g_signal_connect (self->connection, "closed", G_CALLBACK (on_closed), self);

  /* The token goes in the first message, never in the URL (server logs, proxies). */
  fields = json_object_new ();
  json_object_set_string_member (fields, "token", self->token);
  send_request (self, "authenticate", fields, NULL, on_authenticated, NULL, on_socket_open);
}

static void
open_socket (HcSignalingClient *self)
{
  g_autoptr(SoupMessage) message = soup_message_new ("GET", self->url);
  const char *protocols[] = { HC_SIGNALING_SUBPROTOCOL, NULL };

  g_return_if_fail (message != NULL);

  g_clear_object (&self->connect_cancellable);
  self->connect_cancellable = g_cancellable_new ();
  soup_session_websocket_connect_async (self->session, message, NULL, (char **) protocols,
                                        G_PRIORITY_DEFAULT, self->connect_cancellable,
                                        on_socket_open, g_object_ref (self));
}

/* GObject */

static void
hc_signaling_client_get_property (GObject    *object,
                                  guint       prop_id,
                                  GValue     *value,
                                  GParamSpec *pspec)
{
  HcSignalingClient *self = HC_SIGNALING_CLIENT (object);

  switch (prop_id)
    {
    case PROP_URL:
      g_value_set_string (value, self->url);
      break;
    case PROP_STATE:
      g_value_set_enum (value, self->state);
      break;
    case PROP_IDENTITY:
      g_value_set_string (value, self->identity);
      break;
    case PROP_ROLE:
      g_value_set_string (value, self->role);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
hc_signaling_client_set_property (GObject      *object,
                                  guint         prop_id,
                                  const GValue *value,
                                  GParamSpec   *pspec)
{
  HcSignalingClient *self = HC_SIGNALING_CLIENT (object);

  switch (prop_id)
    {
    case PROP_URL:
      self->url = g_value_dup_string (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
hc_signaling_client_dispose (GObject *object)
{
  HcSignalingClient *self = HC_SIGNALING_CLIENT (object);

  stop_timers (self);
  if (self->connect_cancellable != NULL)
    g_cancellable_cancel (self->connect_cancellable);
  if (self->connection != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->connection, self);
      if (soup_websocket_connection_get_state (self->connection) == SOUP_WEBSOCKET_STATE_OPEN)
        soup_websocket_connection_close (self->connection, SOUP_WEBSOCKET_CLOSE_GOING_AWAY,
                                         "bye");
      g_clear_object (&self->connection);
    }
  if (self->pending != NULL)
    fail_all_pending (self, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED, "The connection closed");
  if (self->session != NULL)
    soup_session_abort (self->session);
  g_clear_object (&self->session);
  g_clear_object (&self->connect_cancellable);

  G_OBJECT_CLASS (hc_signaling_client_parent_class)->dispose (object);
}

static void
hc_signaling_client_finalize (GObject *object)
{
  HcSignalingClient *self = HC_SIGNALING_CLIENT (object);

  g_assert (self->connect_task == NULL);
  g_free (self->url);
  g_free (self->identity);
  g_free (self->role);
  if (self->token != NULL)
    memset (self->token, 0, strlen (self->token));
  g_free (self->token);
  g_clear_pointer (&self->pending, g_hash_table_unref);
  g_clear_pointer (&self->close_tasks, g_ptr_array_unref);

  G_OBJECT_CLASS (hc_signaling_client_parent_class)->finalize (object);
}

static void
hc_signaling_client_class_init (HcSignalingClientClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = hc_signaling_client_get_property;
  object_class->set_property = hc_signaling_client_set_property;
  object_class->dispose = hc_signaling_client_dispose;
  object_class->finalize = hc_signaling_client_finalize;

  properties[PROP_URL] =
    g_param_spec_string ("url", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_STATE] =
    g_param_spec_enum ("state", NULL, NULL, HC_TYPE_SIGNALING_STATE,
                       HC_SIGNALING_STATE_DISCONNECTED,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_IDENTITY] =
    g_param_spec_string ("identity", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_ROLE] =
    g_param_spec_string ("role", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * HcSignalingClient::event:
   * @message: the whole message (a JsonObject)
   *
   * A message that answers no request: a server event such as `participant-connected`
   * (the detail is its type), or an `error` that carries no pending id.
   */
  signals[SIGNAL_EVENT] =
    g_signal_new ("event", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST | G_SIGNAL_DETAILED,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1,
                  JSON_TYPE_OBJECT | G_SIGNAL_TYPE_STATIC_SCOPE);

  /**
   * HcSignalingClient::reconnected:
   *
   * The socket dropped and is open and authenticated again. The server took the drop
   * for a departure: the room must be joined again.
   */
  signals[SIGNAL_RECONNECTED] =
    g_signal_new ("reconnected", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);

  /**
   * HcSignalingClient::closed:
   * @code: the WebSocket close code (4401, 4403, 4410 …), 0 if there was none
   * @reason: the close reason
   *
   * The connection is closed for good; the client will not reconnect.
   */
  signals[SIGNAL_CLOSED] =
    g_signal_new ("closed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_UINT, G_TYPE_STRING);

  /* The event types of docs/protocol.md, so that g_quark_try_string() finds them. */
  for (const char *const *type = (const char *const[]) {
         "participant-connected", "participant-disconnected", "track-published",
         "track-unpublished", "participant-muted", "dominant-speaker-changed",
         "media-restarted", "room-completed", "trickle", "error", NULL };
       *type != NULL; type++)
    g_quark_from_static_string (*type);
}

static void
hc_signaling_client_init (HcSignalingClient *self)
{
  self->session = soup_session_new ();
  self->pending = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, pending_free);
  self->close_tasks = g_ptr_array_new_with_free_func (g_object_unref);
}

/* Public API */

static gboolean
host_is_loopback (const char *host)
{
  g_autoptr(GInetAddress) address = NULL;

  if (g_ascii_strcasecmp (host, "localhost") == 0)
    return TRUE;
  address = g_inet_address_new_from_string (host);
  return address != NULL && g_inet_address_get_is_loopback (address);
}

char *
hc_signaling_url_for_server (const char  *server_url,
                             GError     **error)
{
  g_autoptr(GUri) uri = NULL;
  g_autofree char *path = NULL;
  const char *scheme;
  const char *host;
  const char *ws_scheme;

  g_return_val_if_fail (server_url != NULL, NULL);

  uri = g_uri_parse (server_url, G_URI_FLAGS_NONE, error);
  if (uri == NULL)
    return NULL;
  scheme = g_uri_get_scheme (uri);
  host = g_uri_get_host (uri);
  if (host == NULL || *host == '\0')
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "The server address “%s” names no host", server_url);
      return NULL;
    }
  if (g_ascii_strcasecmp (scheme, "https") == 0 || g_ascii_strcasecmp (scheme, "wss") == 0)
    ws_scheme = "wss";
  else if (g_ascii_strcasecmp (scheme, "http") == 0 || g_ascii_strcasecmp (scheme, "ws") == 0)
    ws_scheme = "ws";
  else
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "The server address must start with https://");
      return NULL;
    }
  if (strcmp (ws_scheme, "ws") == 0 && !host_is_loopback (host))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "Unencrypted connections are only allowed to this computer; use https://");
      return NULL;
    }

  path = g_strdup (g_uri_get_path (uri));
  if (!g_str_has_suffix (path, "/v1/signal"))
    {
      g_autofree char *base = g_strdup (path);
      gsize len = strlen (base);

      while (len > 0 && base[len - 1] == '/')
        base[--len] = '\0';
      g_free (path);
      path = g_strconcat (base, "/v1/signal", NULL);
    }
  return g_uri_join (G_URI_FLAGS_NONE, ws_scheme, NULL, host, g_uri_get_port (uri), path, NULL,
                     NULL);
}

HcSignalingClient *
hc_signaling_client_new (const char *url)
{
  g_return_val_if_fail (url != NULL, NULL);

  return g_object_new (HC_TYPE_SIGNALING_CLIENT, "url", url, NULL);
}

const char *
hc_signaling_client_get_url (HcSignalingClient *self)
{
  g_return_val_if_fail (HC_IS_SIGNALING_CLIENT (self), NULL);
  return self->url;
}

HcSignalingState
hc_signaling_client_get_state (HcSignalingClient *self)
{
  g_return_val_if_fail (HC_IS_SIGNALING_CLIENT (self), HC_SIGNALING_STATE_CLOSED);
  return self->state;
}

const char *
hc_signaling_client_get_identity (HcSignalingClient *self)
{
  g_return_val_if_fail (HC_IS_SIGNALING_CLIENT (self), NULL);
  return self->identity;
}

const char *
hc_signaling_client_get_role (HcSignalingClient *self)
{
  g_return_val_if_fail (HC_IS_SIGNALING_CLIENT (self), NULL);
  return self->role;
}

void
hc_signaling_client_connect_async (HcSignalingClient   *self,
                                   const char          *token,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (HC_IS_SIGNALING_CLIENT (self));
  g_return_if_fail (token != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, hc_signaling_client_connect_async);
  if (self->state != HC_SIGNALING_STATE_DISCONNECTED || self->connect_task != NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_BUSY,
                               "The client is already connected or connecting");
      return;
    }
  g_free (self->token);
  self->token = g_strdup (token);
  self->connect_task = g_steal_pointer (&task);
  set_state (self, HC_SIGNALING_STATE_CONNECTING);
  open_socket (self);
}

JsonObject *
hc_signaling_client_connect_finish (HcSignalingClient  *self,
                                    GAsyncResult       *result,
                                    GError            **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

void
hc_signaling_client_request_async (HcSignalingClient   *self,
                                   const char          *type,
                                   JsonObject          *fields,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  g_return_if_fail (HC_IS_SIGNALING_CLIENT (self));
  g_return_if_fail (type != NULL);

  if (self->state != HC_SIGNALING_STATE_CONNECTED)
    {
      g_task_report_new_error (self, callback, user_data, hc_signaling_client_request_async,
                               G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED,
                               "Not connected to the server");
      return;
    }
  send_request (self, type, fields, cancellable, callback, user_data,
                hc_signaling_client_request_async);
}

JsonObject *
hc_signaling_client_request_finish (HcSignalingClient  *self,
                                    GAsyncResult       *result,
                                    GError            **error)
{
  g_return_val_if_fail (HC_IS_SIGNALING_CLIENT (self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

gboolean
hc_signaling_client_send (HcSignalingClient *self,
                          const char        *type,
                          JsonObject        *fields)
{
  g_autoptr(JsonObject) message = NULL;

  g_return_val_if_fail (HC_IS_SIGNALING_CLIENT (self), FALSE);
  g_return_val_if_fail (type != NULL, FALSE);

  if (self->state != HC_SIGNALING_STATE_CONNECTED)
    return FALSE;
  message = build_message (type, fields);
  return send_object (self, message);
}

void
hc_signaling_client_close (HcSignalingClient *self)
{
  g_return_if_fail (HC_IS_SIGNALING_CLIENT (self));

  close_for_good (self, SOUP_WEBSOCKET_CLOSE_NORMAL, "closed by the client");
}

void
hc_signaling_client_close_async (HcSignalingClient   *self,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (HC_IS_SIGNALING_CLIENT (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, hc_signaling_client_close_async);
  close_for_good (self, SOUP_WEBSOCKET_CLOSE_NORMAL, "closed by the client");
  if (self->n_closing == 0)
    g_task_return_boolean (task, TRUE);
  else
    g_ptr_array_add (self->close_tasks, g_steal_pointer (&task));
}

gboolean
hc_signaling_client_close_finish (HcSignalingClient  *self,
                                  GAsyncResult       *result,
                                  GError            **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

void
hc_signaling_client_drop_connection (HcSignalingClient *self)
{
  g_return_if_fail (HC_IS_SIGNALING_CLIENT (self));

  if (self->connection != NULL &&
      soup_websocket_connection_get_state (self->connection) == SOUP_WEBSOCKET_STATE_OPEN)
    soup_websocket_connection_close (self->connection, CLOSE_PING_TIMEOUT, "dropped");
}
