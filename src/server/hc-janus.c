/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "HcJanus"

#include "config.h"

#include "hc-error.h"
#include "hc-janus.h"

#include <libsoup/soup.h>
#include <string.h>

#define KEEPALIVE_SECONDS 25
#define REQUEST_TIMEOUT_SECONDS 15
#define RECONNECT_MIN_MS 200
#define RECONNECT_MAX_MS 3000

enum {
  SIGNAL_READY,
  SIGNAL_LOST,
  SIGNAL_HANDLE_EVENT,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

typedef enum
{
  REQUEST_CREATE,
  REQUEST_ATTACH,
  REQUEST_MESSAGE,
} RequestKind;

typedef struct
{
  RequestKind  kind;
  GTask       *task;
  guint        timeout_id;
} Pending;

struct _HcJanus
{
  GObject                  parent_instance;

  char                    *url;
  char                    *secret;
  SoupSession             *soup;
  SoupWebsocketConnection *ws;
  GCancellable            *cancellable;
  GHashTable              *pending;        /* transaction → Pending */
  guint64                  session_id;
  guint64                  next_transaction;
  guint                    keepalive_id;
  guint                    reconnect_id;
  guint                    reconnect_ms;
  guint                    load;
  gboolean                 wanted;
};

G_DEFINE_FINAL_TYPE (HcJanus, hc_janus, G_TYPE_OBJECT)

static void open_socket (HcJanus *self);

static void
pending_free (Pending *pending)
{
  g_clear_handle_id (&pending->timeout_id, g_source_remove);
  g_clear_object (&pending->task);
  g_free (pending);
}

static void
fail_all_pending (HcJanus    *self,
                  const char *why)
{
  g_autoptr(GHashTable) pending = g_steal_pointer (&self->pending);
  GHashTableIter iter;
  gpointer value;

  self->pending = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                         (GDestroyNotify) pending_free);
  g_hash_table_iter_init (&iter, pending);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      Pending *p = value;

      g_task_return_new_error (p->task, HC_ERROR, HC_ERROR_INTERNAL, "Janus: %s", why);
    }
}

static void
send_object (HcJanus    *self,
             JsonObject *object)
{
  g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (), object);
  g_autofree char *text = NULL;

  if (self->ws == NULL || soup_websocket_connection_get_state (self->ws) != SOUP_WEBSOCKET_STATE_OPEN)
    return;
  json_object_set_string_member (object, "apisecret", self->secret);
  text = json_to_string (node, FALSE);
  soup_websocket_connection_send_text (self->ws, text);
}

typedef struct
{
  HcJanus *self;
  char    *transaction;
} TimeoutData;

static void
timeout_data_free (TimeoutData *data)
{
  g_free (data->transaction);
  g_free (data);
}

static gboolean
on_pending_timeout (gpointer user_data)
{
  TimeoutData *data = user_data;
  Pending *pending = g_hash_table_lookup (data->self->pending, data->transaction);

  if (pending != NULL)
    {
      pending->timeout_id = 0;
      g_task_return_new_error (pending->task, HC_ERROR, HC_ERROR_INTERNAL,
                               "Janus did not answer within %d s", REQUEST_TIMEOUT_SECONDS);
      g_hash_table_remove (data->self->pending, data->transaction);
    }
  return G_SOURCE_REMOVE;
}

/* Sends @object as a new transaction, completing @task with the reply. */
static void
send_request (HcJanus     *self,
              JsonObject  *object,
              RequestKind  kind,
              GTask       *task)
{
  char *transaction = g_strdup_printf ("hc%" G_GUINT64_FORMAT, ++self->next_transaction);
  Pending *pending = g_new0 (Pending, 1);
  TimeoutData *data = g_new0 (TimeoutData, 1);

  if (self->ws == NULL || (kind != REQUEST_CREATE && self->session_id == 0))
    {
      g_task_return_new_error (task, HC_ERROR, HC_ERROR_INTERNAL, "Janus is not connected");
      g_free (transaction);
      g_free (pending);
      g_free (data);
      return;
    }

  json_object_set_string_member (object, "transaction", transaction);
  if (kind != REQUEST_CREATE)
    json_object_set_int_member (object, "session_id", (gint64) self->session_id);
  pending->kind = kind;
  pending->task = g_object_ref (task);
  data->self = self;
  data->transaction = g_strdup (transaction);
  pending->timeout_id = g_timeout_add_seconds_full (G_PRIORITY_DEFAULT, REQUEST_TIMEOUT_SECONDS,
                                                    on_pending_timeout, data,
                                                    (GDestroyNotify) timeout_data_free);
  g_hash_table_insert (self->pending, transaction, pending);
  send_object (self, object);
}

static gboolean
on_keepalive (gpointer user_data)
{
  HcJanus *self = user_data;
  g_autoptr(JsonObject) object = json_object_new ();
  g_autofree char *transaction = g_strdup_printf ("ka%" G_GUINT64_FORMAT,
                                                  ++self->next_transaction);

  json_object_set_string_member (object, "janus", "keepalive");
  json_object_set_int_member (object, "session_id", (gint64) self->session_id);
  json_object_set_string_member (object, "transaction", transaction);
  send_object (self, object);
  return G_SOURCE_CONTINUE;
}

static GError *
janus_error (JsonObject *message)
{
  JsonObject *error = json_object_get_object_member (message, "error");
  const char *reason = error ? json_object_get_string_member_with_default (error, "reason", "")
                             : "unknown error";

  return g_error_new (HC_ERROR, HC_ERROR_INTERNAL, "Janus: %s", reason);
}

static JsonObject *
plugin_data (JsonObject *message)
{
  JsonObject *plugindata = json_object_get_object_member (message, "plugindata");

  return plugindata ? json_object_get_object_member (plugindata, "data") : NULL;
}

static void
complete_message (Pending    *pending,
                  JsonObject *message)
{
  JsonObject *data = plugin_data (message);
  JsonObject *result;

  if (data == NULL)
    {
      g_task_return_new_error (pending->task, HC_ERROR, HC_ERROR_INTERNAL,
                               "Janus: a plugin reply without data");
      return;
    }
  if (json_object_has_member (data, "error_code"))
    {
      g_task_return_new_error (pending->task, HC_ERROR, HC_ERROR_INTERNAL, "Janus VideoRoom %"
                               G_GINT64_FORMAT ": %s",
                               json_object_get_int_member_with_default (data, "error_code", 0),
                               json_object_get_string_member_with_default (data, "error", ""));
      return;
    }
  result = json_object_ref (data);
  if (json_object_has_member (message, "jsep"))
    {
      JsonNode *jsep = json_object_get_member (message, "jsep");

      json_object_set_member (result, "jsep", json_node_copy (jsep));
    }
  g_task_return_pointer (pending->task, result, (GDestroyNotify) json_object_unref);
}

static void
on_session_created (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  HcJanus *self = HC_JANUS (source);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) data = g_task_propagate_pointer (G_TASK (result), &error);

  if (data == NULL)
    {
      g_warning ("Could not create a Janus session: %s", error->message);
      if (self->ws != NULL)
        soup_websocket_connection_close (self->ws, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
      return;
    }
  self->session_id = (guint64) json_object_get_int_member_with_default (data, "id", 0);
  self->reconnect_ms = 0;
  self->keepalive_id = g_timeout_add_seconds (KEEPALIVE_SECONDS, on_keepalive, self);
  g_debug ("Janus session %" G_GUINT64_FORMAT " on %s", self->session_id, self->url);
  g_signal_emit (self, signals[SIGNAL_READY], 0);
}

static void
on_ws_message (SoupWebsocketConnection *ws,
               gint                     type,
               GBytes                  *payload,
               gpointer                 user_data)
{
  HcJanus *self = user_data;
  g_autoptr(JsonParser) parser = json_parser_new ();
  gsize len = 0;
  const char *text = g_bytes_get_data (payload, &len);
  const char *janus;
  const char *transaction;
  Pending *pending = NULL;
  JsonObject *message;
  JsonNode *root;

  if (!json_parser_load_from_data (parser, text, (gssize) len, NULL) ||
      (root = json_parser_get_root (parser)) == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_warning ("Janus sent something that is not a JSON object");
      return;
    }
  message = json_node_get_object (root);
  janus = json_object_get_string_member_with_default (message, "janus", "");
  transaction = json_object_get_string_member_with_default (message, "transaction", NULL);
  if (transaction != NULL)
    pending = g_hash_table_lookup (self->pending, transaction);

  if (strcmp (janus, "ack") == 0)
    return;    /* the event with the real answer follows */

  if (pending != NULL)
    {
      if (strcmp (janus, "error") == 0)
        g_task_return_error (pending->task, janus_error (message));
      else if (pending->kind == REQUEST_MESSAGE)
        complete_message (pending, message);
      else
        {
          JsonObject *data = json_object_get_object_member (message, "data");

          if (data != NULL)
            g_task_return_pointer (pending->task, json_object_ref (data),
                                   (GDestroyNotify) json_object_unref);
          else
            g_task_return_new_error (pending->task, HC_ERROR, HC_ERROR_INTERNAL,
                                     "Janus: a reply without data");
        }
      g_hash_table_remove (self->pending, transaction);
      return;
    }

  if (json_object_has_member (message, "sender"))
    {
      guint64 handle = (guint64) json_object_get_int_member_with_default (message, "sender", 0);

      g_signal_emit (self, signals[SIGNAL_HANDLE_EVENT], 0, handle, message);
    }
}

static gboolean
on_reconnect_timeout (gpointer user_data)
{
  HcJanus *self = user_data;

  self->reconnect_id = 0;
  open_socket (self);
  return G_SOURCE_REMOVE;
}

static void
schedule_reconnect (HcJanus *self)
{
  if (!self->wanted || self->reconnect_id != 0)
    return;
  self->reconnect_ms = self->reconnect_ms == 0 ? RECONNECT_MIN_MS
                                               : MIN (self->reconnect_ms * 2, RECONNECT_MAX_MS);
  self->reconnect_id = g_timeout_add (self->reconnect_ms, on_reconnect_timeout, self);
}

static void
on_ws_closed (SoupWebsocketConnection *ws,
              gpointer                 user_data)
{
  HcJanus *self = user_data;
  gboolean was_ready = self->session_id != 0;

  g_signal_handlers_disconnect_by_data (ws, self);
  g_clear_object (&self->ws);
  g_clear_handle_id (&self->keepalive_id, g_source_remove);
  self->session_id = 0;
  self->load = 0;
  fail_all_pending (self, "the connection closed");
  if (was_ready)
    {
      g_message ("Lost the connection to Janus at %s", self->url);
      g_signal_emit (self, signals[SIGNAL_LOST], 0);
    }
  schedule_reconnect (self);
}

static void
on_ws_connected (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(HcJanus) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GTask) task = NULL;
  g_autoptr(JsonObject) create = NULL;
  SoupWebsocketConnection *ws;

  ws = soup_session_websocket_connect_finish (SOUP_SESSION (source), result, &error);
  if (ws == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_debug ("Janus at %s is not reachable yet: %s", self->url, error->message);
          schedule_reconnect (self);
        }
      return;
    }
  self->ws = ws;
  /* Janus's SDP offers and events can be large. */
  soup_websocket_connection_set_max_incoming_payload_size (ws, 1024 * 1024);
  soup_websocket_connection_set_keepalive_interval (ws, 0);
  g_signal_connect (ws, "message", G_CALLBACK (on_ws_message), self);
  g_signal_connect (ws, "closed", G_CALLBACK (on_ws_closed), self);

  create = json_object_new ();
  json_object_set_string_member (create, "janus", "create");
  task = g_task_new (self, NULL, on_session_created, NULL);
  send_request (self, create, REQUEST_CREATE, task);
}

static void
open_socket (HcJanus *self)
{
  g_autoptr(SoupMessage) msg = soup_message_new ("GET", self->url);
  const char *protocols[] = { "janus-protocol", NULL };

  if (msg == NULL)
    {
      g_warning ("“%s” is not a valid Janus URL", self->url);
      return;
    }
  soup_session_websocket_connect_async (self->soup, msg, NULL, (char **) protocols,
                                        G_PRIORITY_DEFAULT, self->cancellable, on_ws_connected,
                                        g_object_ref (self));
}

static void
hc_janus_dispose (GObject *object)
{
  HcJanus *self = (HcJanus *) object;

  hc_janus_disconnect (self);
  g_clear_object (&self->soup);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->pending, g_hash_table_unref);

  G_OBJECT_CLASS (hc_janus_parent_class)->dispose (object);
}

static void
hc_janus_finalize (GObject *object)
{
  HcJanus *self = (HcJanus *) object;

  g_free (self->url);
  g_free (self->secret);

  G_OBJECT_CLASS (hc_janus_parent_class)->finalize (object);
}

static void
hc_janus_class_init (HcJanusClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = hc_janus_dispose;
  object_class->finalize = hc_janus_finalize;

  signals[SIGNAL_READY] = g_signal_new ("ready", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                        NULL, NULL, NULL, G_TYPE_NONE, 0);
  signals[SIGNAL_LOST] = g_signal_new ("lost", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                       NULL, NULL, NULL, G_TYPE_NONE, 0);
  signals[SIGNAL_HANDLE_EVENT] = g_signal_new ("handle-event", G_TYPE_FROM_CLASS (klass),
                                               G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                               G_TYPE_NONE, 2, G_TYPE_UINT64,
                                               JSON_TYPE_OBJECT);
}

static void
hc_janus_init (HcJanus *self)
{
  self->pending = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                         (GDestroyNotify) pending_free);
  self->cancellable = g_cancellable_new ();
  self->soup = soup_session_new ();
}

HcJanus *
hc_janus_new (const char *url,
              const char *secret)
{
  HcJanus *self = g_object_new (HC_TYPE_JANUS, NULL);

  self->url = g_strdup (url);
  self->secret = g_strdup (secret ? secret : "");
  return self;
}

void
hc_janus_connect (HcJanus *self)
{
  g_return_if_fail (HC_IS_JANUS (self));

  self->wanted = TRUE;
  if (self->ws != NULL)
    return;
  /* Called again while waiting to retry: retry now. */
  g_clear_handle_id (&self->reconnect_id, g_source_remove);
  g_cancellable_reset (self->cancellable);
  self->reconnect_ms = 0;
  open_socket (self);
}

void
hc_janus_disconnect (HcJanus *self)
{
  g_return_if_fail (HC_IS_JANUS (self));

  self->wanted = FALSE;
  g_clear_handle_id (&self->reconnect_id, g_source_remove);
  g_clear_handle_id (&self->keepalive_id, g_source_remove);
  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  if (self->ws != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->ws, self);
      if (soup_websocket_connection_get_state (self->ws) == SOUP_WEBSOCKET_STATE_OPEN)
        soup_websocket_connection_close (self->ws, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
      g_clear_object (&self->ws);
    }
  self->session_id = 0;
  if (self->pending != NULL)
    fail_all_pending (self, "disconnected");
}

gboolean
hc_janus_is_ready (HcJanus *self)
{
  g_return_val_if_fail (HC_IS_JANUS (self), FALSE);
  return self->session_id != 0;
}


const char *
hc_janus_get_secret (HcJanus *self)
{
  g_return_val_if_fail (HC_IS_JANUS (self), NULL);
  return self->secret;
}

guint
hc_janus_get_load (HcJanus *self)
{
  g_return_val_if_fail (HC_IS_JANUS (self), 0);
  return self->load;
}

void
hc_janus_add_load (HcJanus *self,
                   int      delta)
{
  g_return_if_fail (HC_IS_JANUS (self));
  self->load = (guint) MAX (0, (int) self->load + delta);
}

void
hc_janus_attach_plugin_async (HcJanus             *self,
                              const char          *plugin,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  g_autoptr(JsonObject) object = json_object_new ();

  g_task_set_source_tag (task, hc_janus_attach_async);
  json_object_set_string_member (object, "janus", "attach");
  json_object_set_string_member (object, "plugin", plugin);
  send_request (self, object, REQUEST_ATTACH, task);
}

void
hc_janus_attach_async (HcJanus             *self,
                       GCancellable        *cancellable,
                       GAsyncReadyCallback  callback,
                       gpointer             user_data)
{
  hc_janus_attach_plugin_async (self, "janus.plugin.videoroom", cancellable, callback, user_data);
}

guint64
hc_janus_attach_finish (HcJanus       *self,
                        GAsyncResult  *result,
                        GError       **error)
{
  g_autoptr(JsonObject) data = g_task_propagate_pointer (G_TASK (result), error);

  if (data == NULL)
    return 0;
  return (guint64) json_object_get_int_member_with_default (data, "id", 0);
}

void
hc_janus_detach (HcJanus *self,
                 guint64  handle)
{
  g_autoptr(JsonObject) object = json_object_new ();
  g_autofree char *transaction = g_strdup_printf ("dt%" G_GUINT64_FORMAT, ++self->next_transaction);

  g_return_if_fail (HC_IS_JANUS (self));

  if (handle == 0 || self->session_id == 0)
    return;
  json_object_set_string_member (object, "janus", "detach");
  json_object_set_int_member (object, "session_id", (gint64) self->session_id);
  json_object_set_int_member (object, "handle_id", (gint64) handle);
  json_object_set_string_member (object, "transaction", transaction);
  send_object (self, object);
}

void
hc_janus_message_async (HcJanus             *self,
                        guint64              handle,
                        JsonObject          *body,
                        JsonObject          *jsep,
                        GCancellable        *cancellable,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  g_autoptr(JsonObject) object = json_object_new ();

  g_task_set_source_tag (task, hc_janus_message_async);
  json_object_set_string_member (object, "janus", "message");
  json_object_set_int_member (object, "handle_id", (gint64) handle);
  json_object_set_object_member (object, "body", json_object_ref (body));
  if (jsep != NULL)
    json_object_set_object_member (object, "jsep", json_object_ref (jsep));
  send_request (self, object, REQUEST_MESSAGE, task);
}

JsonObject *
hc_janus_message_finish (HcJanus       *self,
                         GAsyncResult  *result,
                         GError       **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

void
hc_janus_trickle (HcJanus  *self,
                  guint64   handle,
                  JsonNode *candidate)
{
  g_autoptr(JsonObject) object = json_object_new ();
  g_autofree char *transaction = g_strdup_printf ("tr%" G_GUINT64_FORMAT, ++self->next_transaction);

  g_return_if_fail (HC_IS_JANUS (self));

  if (handle == 0 || self->session_id == 0)
    return;
  json_object_set_string_member (object, "janus", "trickle");
  json_object_set_int_member (object, "session_id", (gint64) self->session_id);
  json_object_set_int_member (object, "handle_id", (gint64) handle);
  json_object_set_string_member (object, "transaction", transaction);
  if (candidate == NULL || JSON_NODE_HOLDS_NULL (candidate))
    {
      JsonObject *completed = json_object_new ();

      json_object_set_boolean_member (completed, "completed", TRUE);
      json_object_set_object_member (object, "candidate", completed);
    }
  else
    json_object_set_member (object, "candidate", json_node_copy (candidate));
  send_object (self, object);
}
