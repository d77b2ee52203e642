/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "HcSession"

#include "config.h"

#include "hc-appointment-item.h"
#include "hc-queue-entry.h"
#include "hc-room-item.h"
#include "hc-session.h"

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>
#include <libsecret/secret.h>
#include <libsoup/soup.h>

/* Renew the token when this fraction of its lifetime has passed. */
#define RENEW_AT 0.8
#define REQUEST_TIMEOUT_SECONDS 20
/* The queue is polled while signed in; a patient's check-in shows within this. */
#define QUEUE_POLL_SECONDS 3

enum {
  PROP_0,
  PROP_STATE,
  PROP_SERVER_URL,
  PROP_USERNAME,
  PROP_ERROR_MESSAGE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

struct _HcSession
{
  GObject         parent_instance;

  HcSessionState  state;
  char           *server_url;
  char           *username;
  char           *token;
  char           *error_message;
  gboolean        remembered;
  GListStore     *rooms;
  GListStore     *queue;
  GListStore     *appointments;
  SoupSession    *soup;
  guint           renew_id;
  guint           poll_id;
  gboolean        polling;
};

G_DEFINE_FINAL_TYPE (HcSession, hc_session, G_TYPE_OBJECT)

G_DEFINE_ENUM_TYPE (HcSessionState, hc_session_state,
                    G_DEFINE_ENUM_VALUE (HC_SESSION_SIGNED_OUT, "signed-out"),
                    G_DEFINE_ENUM_VALUE (HC_SESSION_SIGNING_IN, "signing-in"),
                    G_DEFINE_ENUM_VALUE (HC_SESSION_SIGNED_IN, "signed-in"))

static const SecretSchema password_schema = {
  "org.housecall.Console.Password", SECRET_SCHEMA_NONE,
  {
    { "server", SECRET_SCHEMA_ATTRIBUTE_STRING },
    { "username", SECRET_SCHEMA_ATTRIBUTE_STRING },
    { NULL, 0 },
  }
};

static void schedule_renewal (HcSession *self,
                              gint64     lifetime);
static void start_polling    (HcSession *self);

static void
set_state (HcSession      *self,
           HcSessionState  state)
{
  if (self->state == state)
    return;
  self->state = state;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
}

static void
set_string (HcSession   *self,
            char       **field,
            const char  *value,
            guint        prop)
{
  if (g_strcmp0 (*field, value) == 0)
    return;
  g_free (*field);
  *field = g_strdup (value);
  g_object_notify_by_pspec (G_OBJECT (self), properties[prop]);
}

/* Accepts "host:port", "http://host:port/" and the like; the result has a
 * scheme and no trailing slash. */
static char *
normalize_url (const char  *url,
               GError     **error)
{
  g_autofree char *text = g_strstrip (g_strdup (url ? url : ""));
  g_autofree char *with_scheme = NULL;
  g_autoptr(GUri) uri = NULL;
  gsize len;

  if (*text == '\0')
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           _("Enter the address of your practice’s Housecall server."));
      return NULL;
    }
  with_scheme = strstr (text, "://") ? g_strdup (text) : g_strconcat ("https://", text, NULL);
  uri = g_uri_parse (with_scheme, G_URI_FLAGS_NONE, NULL);
  if (uri == NULL || g_uri_get_host (uri) == NULL || *g_uri_get_host (uri) == '\0' ||
      (g_strcmp0 (g_uri_get_scheme (uri), "https") != 0 &&
       g_strcmp0 (g_uri_get_scheme (uri), "http") != 0))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           _("The server address is not valid. It looks like https://clinic.example.org."));
      return NULL;
    }
  len = strlen (with_scheme);
  while (len > 0 && with_scheme[len - 1] == '/')
    with_scheme[--len] = '\0';
  return g_steal_pointer (&with_scheme);
}

/* A human sentence for a failed request: the server's own message when it
 * sent a JSON error, else what went wrong on the way. */
static GError *
error_from_response (SoupMessage *msg,
                     GBytes      *body,
                     GError      *transport_error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  guint status;

  if (transport_error != NULL)
    {
      if (g_error_matches (transport_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return g_error_copy (transport_error);
      return g_error_new (G_IO_ERROR, G_IO_ERROR_HOST_UNREACHABLE,
                          _("Could not reach the server: %s"), transport_error->message);
    }
  status = soup_message_get_status (msg);
  if (body != NULL && json_parser_load_from_data (parser, g_bytes_get_data (body, NULL),
                                                  (gssize) g_bytes_get_size (body), NULL) &&
      JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    {
      JsonObject *object = json_node_get_object (json_parser_get_root (parser));
      const char *slug = json_object_get_string_member_with_default (object, "error", "");

      if (g_strcmp0 (slug, "bad-credentials") == 0)
        return g_error_new_literal (G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED,
                                    _("The user name or password is wrong."));
      if (g_strcmp0 (slug, "rate-limited") == 0)
        return g_error_new_literal (G_IO_ERROR, G_IO_ERROR_BUSY,
                                    _("Too many failed sign-ins. Wait a few minutes and try again."));
      if (g_strcmp0 (slug, "account-disabled") == 0)
        return g_error_new_literal (G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED,
                                    _("This account is disabled. Ask your administrator."));
      return g_error_new (G_IO_ERROR, G_IO_ERROR_FAILED, "%s",
                          json_object_get_string_member_with_default (object, "message",
                                                                      _("The server refused the request.")));
    }
  return g_error_new (G_IO_ERROR, G_IO_ERROR_FAILED,
                      _("The server answered with an unexpected error (HTTP %u). Is this a Housecall server?"),
                      status);
}

typedef struct
{
  SoupMessage *msg;
  char        *password;
  gboolean     remember;
} RequestData;

static void
request_data_free (RequestData *data)
{
  g_clear_object (&data->msg);
  if (data->password != NULL)
    memset (data->password, 0, strlen (data->password));
  g_free (data->password);
  g_free (data);
}

/* Sends @msg and completes @task with the parsed JSON object (a JsonNode). */
static void
on_request_done (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  RequestData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) body = soup_session_send_and_read_finish (SOUP_SESSION (source), result,
                                                              &error);
  g_autoptr(JsonParser) parser = json_parser_new ();
  guint status = error ? 0 : soup_message_get_status (data->msg);

  if (error != NULL || status < 200 || status >= 300)
    {
      g_task_return_error (task, error_from_response (data->msg, body, error));
      return;
    }
  if (status == SOUP_STATUS_NO_CONTENT)
    {
      g_task_return_pointer (task, json_node_new (JSON_NODE_NULL), (GDestroyNotify) json_node_unref);
      return;
    }
  if (body == NULL ||
      !json_parser_load_from_data (parser, g_bytes_get_data (body, NULL),
                                   (gssize) g_bytes_get_size (body), NULL) ||
      !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                               _("The server sent an answer this console does not understand."));
      return;
    }
  g_task_return_pointer (task, json_parser_steal_root (parser), (GDestroyNotify) json_node_unref);
}

static void
send_request (HcSession    *self,
              SoupMessage  *msg,
              GTask        *task)
{
  RequestData *data = g_task_get_task_data (task);

  if (data == NULL)
    {
      data = g_new0 (RequestData, 1);
      g_task_set_task_data (task, data, (GDestroyNotify) request_data_free);
    }
  g_set_object (&data->msg, msg);
  soup_message_headers_replace (soup_message_get_request_headers (msg), "Accept",
                                "application/json");
  soup_session_send_and_read_async (self->soup, msg, G_PRIORITY_DEFAULT,
                                    g_task_get_cancellable (task), on_request_done,
                                    g_object_ref (task));
}

static SoupMessage *
api_message (HcSession  *self,
             const char *method,
             const char *path)
{
  g_autofree char *url = g_strconcat (self->server_url, path, NULL);
  SoupMessage *msg = soup_message_new (method, url);

  if (msg != NULL && self->token != NULL)
    {
      g_autofree char *auth = g_strconcat ("Bearer ", self->token, NULL);

      soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization",
                                    auth);
    }
  return msg;
}

static void
set_form_body (SoupMessage *msg,
               GHashTable  *form)
{
  g_autofree char *encoded = soup_form_encode_hash (form);
  g_autoptr(GBytes) bytes = g_bytes_new_take (g_steal_pointer (&encoded), strlen (encoded));

  soup_message_set_request_body_from_bytes (msg, "application/x-www-form-urlencoded", bytes);
}

/* Sends an authenticated API request on behalf of @task: @done gets the
 * parsed answer in an inner task whose user data is @task. */
static void
send_api_request (HcSession           *self,
                  GTask               *task,
                  const char          *method,
                  const char          *path,
                  GHashTable          *form,
                  GAsyncReadyCallback  done)
{
  g_autoptr(SoupMessage) msg = NULL;
  g_autoptr(GTask) inner = NULL;

  if (self->token == NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED, _("Not signed in."));
      return;
    }
  msg = api_message (self, method, path);
  if (form != NULL)
    set_form_body (msg, form);
  inner = g_task_new (self, g_task_get_cancellable (task), done, g_object_ref (task));
  send_request (self, msg, inner);
}

/* Sign-in */

typedef struct
{
  HcSession *self;
  GTask     *task;
} SignInData;

static void
on_password_stored (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  /* No keyring (a bare session, a locked or missing secret service): the
   * sign-in still worked; the next start just asks for the password. */
  if (!secret_password_store_finish (result, &error))
    g_message ("The password could not be kept in the keyring: %s", error->message);
}

static void
on_logged_in (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) outer = user_data;
  HcSession *self = g_task_get_source_object (outer);
  RequestData *data = g_task_get_task_data (outer);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) root = g_task_propagate_pointer (G_TASK (result), &error);
  JsonObject *object;
  const char *token;

  if (root == NULL)
    {
      set_string (self, &self->error_message, error->message, PROP_ERROR_MESSAGE);
      set_state (self, HC_SESSION_SIGNED_OUT);
      g_task_return_error (outer, g_steal_pointer (&error));
      return;
    }
  object = json_node_get_object (root);
  token = json_object_get_string_member_with_default (object, "token", NULL);
  if (token == NULL ||
      g_strcmp0 (json_object_get_string_member_with_default (object, "role", ""), "provider") != 0)
    {
      set_string (self, &self->error_message,
                  _("The server did not issue a provider session."), PROP_ERROR_MESSAGE);
      set_state (self, HC_SESSION_SIGNED_OUT);
      g_task_return_new_error (outer, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "%s",
                               self->error_message);
      return;
    }

  g_free (self->token);
  self->token = g_strdup (token);
  set_string (self, &self->error_message, NULL, PROP_ERROR_MESSAGE);
  if (data->remember)
    {
      g_autofree char *label = g_strdup_printf (_("Housecall password for %s on %s"),
                                                self->username, self->server_url);

      self->remembered = TRUE;
      secret_password_store (&password_schema, SECRET_COLLECTION_DEFAULT, label, data->password,
                             NULL, on_password_stored, NULL,
                             "server", self->server_url, "username", self->username, NULL);
    }
  schedule_renewal (self, json_object_get_int_member_with_default (object, "expires_in", 3600));
  set_state (self, HC_SESSION_SIGNED_IN);
  start_polling (self);
  g_task_return_boolean (outer, TRUE);
}

void
hc_session_sign_in_async (HcSession           *self,
                          const char          *server_url,
                          const char          *username,
                          const char          *password,
                          gboolean             remember,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  g_autoptr(GTask) inner = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) form = NULL;
  g_autoptr(SoupMessage) msg = NULL;
  g_autofree char *url = NULL;
  RequestData *data;

  g_return_if_fail (HC_IS_SESSION (self));
  g_task_set_source_tag (task, hc_session_sign_in_async);

  url = normalize_url (server_url, &error);
  if (url == NULL || username == NULL || *username == '\0' || password == NULL ||
      *password == '\0')
    {
      if (error == NULL)
        error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                                     _("Enter your user name and password."));
      set_string (self, &self->error_message, error->message, PROP_ERROR_MESSAGE);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  g_clear_handle_id (&self->renew_id, g_source_remove);
  g_clear_pointer (&self->token, g_free);
  set_string (self, &self->server_url, url, PROP_SERVER_URL);
  set_string (self, &self->username, username, PROP_USERNAME);
  set_state (self, HC_SESSION_SIGNING_IN);

  data = g_new0 (RequestData, 1);
  data->password = g_strdup (password);
  data->remember = remember;
  g_task_set_task_data (task, data, (GDestroyNotify) request_data_free);

  form = g_hash_table_new (g_str_hash, g_str_equal);
  g_hash_table_insert (form, "username", (gpointer) username);
  g_hash_table_insert (form, "password", (gpointer) password);
  msg = api_message (self, "POST", "/v1/login");
  set_form_body (msg, form);
  inner = g_task_new (self, cancellable, on_logged_in, g_object_ref (task));
  send_request (self, msg, inner);
}

gboolean
hc_session_sign_in_finish (HcSession     *self,
                           GAsyncResult  *result,
                           GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
on_signed_in_again (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;

  if (hc_session_sign_in_finish (HC_SESSION (source), result, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, g_steal_pointer (&error));
}

static void
on_password_found (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  HcSession *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;
  char *password = secret_password_lookup_finish (result, &error);
  const char *const *names = g_task_get_task_data (task);

  if (password == NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                               _("No password is kept for this account."));
      return;
    }
  hc_session_sign_in_async (self, names[0], names[1], password, TRUE,
                            g_task_get_cancellable (task), on_signed_in_again,
                            g_object_ref (task));
  secret_password_free (password);
}

void
hc_session_restore_async (HcSession           *self,
                          const char          *server_url,
                          const char          *username,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  g_autofree char *url = normalize_url (server_url, NULL);
  char **names;

  g_return_if_fail (HC_IS_SESSION (self));
  g_task_set_source_tag (task, hc_session_restore_async);

  if (url == NULL || username == NULL || *username == '\0')
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                               _("No account to sign in with."));
      return;
    }
  names = g_new0 (char *, 3);
  names[0] = g_strdup (url);
  names[1] = g_strdup (username);
  g_task_set_task_data (task, names, (GDestroyNotify) g_strfreev);
  secret_password_lookup (&password_schema, cancellable, on_password_found, g_object_ref (task),
                          "server", url, "username", username, NULL);
}

gboolean
hc_session_restore_finish (HcSession     *self,
                           GAsyncResult  *result,
                           GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
on_renewed (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  HcSession *self = HC_SESSION (source);
  g_autoptr(GError) error = NULL;

  if (!hc_session_restore_finish (self, result, &error))
    {
      g_clear_pointer (&self->token, g_free);
      set_string (self, &self->error_message,
                  _("Your session has ended. Sign in again to continue."), PROP_ERROR_MESSAGE);
      set_state (self, HC_SESSION_SIGNED_OUT);
    }
}

static gboolean
on_renew_timeout (gpointer user_data)
{
  HcSession *self = user_data;

  self->renew_id = 0;
  if (self->remembered)
    hc_session_restore_async (self, self->server_url, self->username, NULL, on_renewed, NULL);
  else
    {
      g_clear_pointer (&self->token, g_free);
      set_string (self, &self->error_message,
                  _("Your session has ended. Sign in again to continue."), PROP_ERROR_MESSAGE);
      set_state (self, HC_SESSION_SIGNED_OUT);
    }
  return G_SOURCE_REMOVE;
}

static void
schedule_renewal (HcSession *self,
                  gint64     lifetime)
{
  guint seconds = (guint) CLAMP ((gint64) (lifetime * RENEW_AT), 30, 24 * 3600);

  g_clear_handle_id (&self->renew_id, g_source_remove);
  self->renew_id = g_timeout_add_seconds (seconds, on_renew_timeout, self);
}

void
hc_session_sign_out (HcSession *self,
                     gboolean   forget_password)
{
  g_return_if_fail (HC_IS_SESSION (self));

  g_clear_handle_id (&self->renew_id, g_source_remove);
  g_clear_handle_id (&self->poll_id, g_source_remove);
  g_clear_pointer (&self->token, g_free);
  g_list_store_remove_all (self->queue);
  g_list_store_remove_all (self->appointments);
  if (forget_password && self->server_url != NULL && self->username != NULL)
    secret_password_clear (&password_schema, NULL, NULL, NULL,
                           "server", self->server_url, "username", self->username, NULL);
  self->remembered = FALSE;
  g_list_store_remove_all (self->rooms);
  set_state (self, HC_SESSION_SIGNED_OUT);
}

/* Rooms */

static void
on_rooms_listed (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) outer = user_data;
  HcSession *self = g_task_get_source_object (outer);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) root = g_task_propagate_pointer (G_TASK (result), &error);
  g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func (g_object_unref);
  JsonArray *rooms;

  if (root == NULL)
    {
      g_task_return_error (outer, g_steal_pointer (&error));
      return;
    }
  rooms = json_object_get_array_member (json_node_get_object (root), "rooms");
  for (guint i = 0; rooms != NULL && i < json_array_get_length (rooms); i++)
    {
      JsonObject *room = json_array_get_object_element (rooms, i);
      g_autoptr(GDateTime) created = NULL;
      JsonArray *codecs;

      if (room == NULL)
        continue;
      codecs = json_object_get_array_member (room, "video_codecs");
      created = g_date_time_new_from_iso8601 (
        json_object_get_string_member_with_default (room, "date_created", ""), NULL);
      g_ptr_array_add (items, hc_room_item_new (
        json_object_get_string_member_with_default (room, "sid", ""),
        json_object_get_string_member_with_default (room, "unique_name", ""),
        codecs && json_array_get_length (codecs) > 0 ? json_array_get_string_element (codecs, 0)
                                                      : "VP8",
        created ? g_date_time_to_unix (created) : 0));
    }
  g_list_store_splice (self->rooms, 0, g_list_model_get_n_items (G_LIST_MODEL (self->rooms)),
                       items->pdata, items->len);
  g_task_return_boolean (outer, TRUE);
}

void
hc_session_refresh_rooms_async (HcSession           *self,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);

  g_return_if_fail (HC_IS_SESSION (self));
  g_task_set_source_tag (task, hc_session_refresh_rooms_async);

  send_api_request (self, task, "GET", "/v1/Rooms?Status=in-progress", NULL, on_rooms_listed);
}

gboolean
hc_session_refresh_rooms_finish (HcSession     *self,
                                 GAsyncResult  *result,
                                 GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
on_room_created (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) outer = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) root = g_task_propagate_pointer (G_TASK (result), &error);

  if (root == NULL)
    g_task_return_error (outer, g_steal_pointer (&error));
  else
    g_task_return_pointer (outer,
                           g_strdup (json_object_get_string_member_with_default (
                             json_node_get_object (root), "sid", "")),
                           g_free);
}

void
hc_session_create_room_async (HcSession           *self,
                              const char          *unique_name,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  g_autoptr(GHashTable) form = g_hash_table_new (g_str_hash, g_str_equal);

  g_return_if_fail (HC_IS_SESSION (self));
  g_task_set_source_tag (task, hc_session_create_room_async);

  if (unique_name != NULL && *unique_name != '\0')
    g_hash_table_insert (form, "UniqueName", (gpointer) unique_name);
  send_api_request (self, task, "POST", "/v1/Rooms", form, on_room_created);
}

char *
hc_session_create_room_finish (HcSession     *self,
                               GAsyncResult  *result,
                               GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Any other resource */

static void
on_api_answered (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) outer = user_data;
  g_autoptr(GError) error = NULL;
  JsonNode *root = g_task_propagate_pointer (G_TASK (result), &error);

  if (root == NULL)
    g_task_return_error (outer, g_steal_pointer (&error));
  else
    g_task_return_pointer (outer, root, (GDestroyNotify) json_node_unref);
}

void
hc_session_api_async (HcSession           *self,
                      const char          *method,
                      const char          *path,
                      GHashTable          *form,
                      GCancellable        *cancellable,
                      GAsyncReadyCallback  callback,
                      gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);

  g_return_if_fail (HC_IS_SESSION (self));
  g_return_if_fail (method != NULL && path != NULL && path[0] == '/');
  g_task_set_source_tag (task, hc_session_api_async);

  send_api_request (self, task, method, path, form, on_api_answered);
}

JsonNode *
hc_session_api_finish (HcSession     *self,
                       GAsyncResult  *result,
                       GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* The waiting room */

static void
on_queue_listed (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) outer = user_data;
  HcSession *self = g_task_get_source_object (outer);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) root = g_task_propagate_pointer (G_TASK (result), &error);
  g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func (g_object_unref);
  JsonArray *entries;

  if (root == NULL)
    {
      g_task_return_error (outer, g_steal_pointer (&error));
      return;
    }
  entries = json_object_get_array_member (json_node_get_object (root), "entries");
  for (guint i = 0; entries != NULL && i < json_array_get_length (entries); i++)
    {
      JsonObject *entry = json_array_get_object_element (entries, i);

      if (entry != NULL &&
          g_strcmp0 (json_object_get_string_member_with_default (entry, "status", ""), "waiting") == 0)
        g_ptr_array_add (items, hc_queue_entry_new_from_json (entry));
    }
  /* In place: rebuilding every row at each poll took the keyboard focus
   * (and a screen reader's place) off the Admit button every few seconds. */
  hc_queue_entry_merge (self->queue, items);
  g_task_return_boolean (outer, TRUE);
}

void
hc_session_refresh_queue_async (HcSession           *self,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);

  g_return_if_fail (HC_IS_SESSION (self));
  g_task_set_source_tag (task, hc_session_refresh_queue_async);

  send_api_request (self, task, "GET", "/v1/WaitingRoom", NULL, on_queue_listed);
}

gboolean
hc_session_refresh_queue_finish (HcSession     *self,
                                 GAsyncResult  *result,
                                 GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
on_polled (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  HcSession *self = HC_SESSION (source);

  self->polling = FALSE;
  /* A failed poll is tried again at the next tick; the sign-in state
   * says when the session itself is gone. */
  hc_session_refresh_queue_finish (self, result, NULL);
}

static gboolean
on_poll_timeout (gpointer user_data)
{
  HcSession *self = user_data;

  if (self->token == NULL)
    {
      self->poll_id = 0;
      return G_SOURCE_REMOVE;
    }
  if (!self->polling)
    {
      self->polling = TRUE;
      hc_session_refresh_queue_async (self, NULL, on_polled, NULL);
    }
  return G_SOURCE_CONTINUE;
}

static void
start_polling (HcSession *self)
{
  g_clear_handle_id (&self->poll_id, g_source_remove);
  self->poll_id = g_timeout_add_seconds (QUEUE_POLL_SECONDS, on_poll_timeout, self);
  on_poll_timeout (self);
}

static void
on_admitted (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GTask) outer = user_data;
  HcSession *self = g_task_get_source_object (outer);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) root = g_task_propagate_pointer (G_TASK (result), &error);

  if (root == NULL)
    {
      g_task_return_error (outer, g_steal_pointer (&error));
      return;
    }
  if (!self->polling)
    {
      self->polling = TRUE;
      hc_session_refresh_queue_async (self, NULL, on_polled, NULL);
    }
  g_task_return_pointer (outer,
                         g_strdup (json_object_get_string_member_with_default (
                           json_node_get_object (root), "room", "")),
                         g_free);
}

void
hc_session_admit_async (HcSession           *self,
                        gint64               entry_id,
                        GCancellable        *cancellable,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  g_autofree char *path = g_strdup_printf ("/v1/WaitingRoom/%" G_GINT64_FORMAT "/Admit", entry_id);

  g_return_if_fail (HC_IS_SESSION (self));
  g_task_set_source_tag (task, hc_session_admit_async);

  send_api_request (self, task, "POST", path, NULL, on_admitted);
}

char *
hc_session_admit_finish (HcSession     *self,
                         GAsyncResult  *result,
                         GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Appointments */

GListModel *
hc_session_get_appointments (HcSession *self)
{
  g_return_val_if_fail (HC_IS_SESSION (self), NULL);
  return G_LIST_MODEL (self->appointments);
}

static gint
compare_start (gconstpointer a,
               gconstpointer b,
               gpointer      user_data)
{
  gint64 x = hc_appointment_item_get_start_time ((HcAppointmentItem *) a);
  gint64 y = hc_appointment_item_get_start_time ((HcAppointmentItem *) b);

  return x < y ? -1 : x > y;
}

/* g_ptr_array_sort passes pointers to the elements. */
static gint
compare_start_indirect (gconstpointer a,
                        gconstpointer b,
                        gpointer      user_data)
{
  return compare_start (*(gpointer *) a, *(gpointer *) b, user_data);
}

static void
on_appointments_listed (GObject      *source,
                        GAsyncResult *result,
                        gpointer      user_data)
{
  g_autoptr(GTask) outer = user_data;
  HcSession *self = g_task_get_source_object (outer);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) root = g_task_propagate_pointer (G_TASK (result), &error);
  g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func (g_object_unref);
  JsonArray *list;

  if (root == NULL)
    {
      g_task_return_error (outer, g_steal_pointer (&error));
      return;
    }
  list = json_object_get_array_member (json_node_get_object (root), "appointments");
  for (guint i = 0; list != NULL && i < json_array_get_length (list); i++)
    {
      JsonObject *object = json_array_get_object_element (list, i);

      if (object != NULL)
        g_ptr_array_add (items, hc_appointment_item_new_from_json (object));
    }
  g_ptr_array_sort_with_data (items, compare_start_indirect, NULL);
  g_list_store_splice (self->appointments, 0,
                       g_list_model_get_n_items (G_LIST_MODEL (self->appointments)),
                       items->pdata, items->len);
  g_task_return_boolean (outer, TRUE);
}

void
hc_session_refresh_appointments_async (HcSession           *self,
                                       GCancellable        *cancellable,
                                       GAsyncReadyCallback  callback,
                                       gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);

  g_return_if_fail (HC_IS_SESSION (self));
  g_task_set_source_tag (task, hc_session_refresh_appointments_async);

  send_api_request (self, task, "GET", "/v1/Appointments?status=scheduled", NULL, on_appointments_listed);
}

gboolean
hc_session_refresh_appointments_finish (HcSession     *self,
                                        GAsyncResult  *result,
                                        GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
on_appointments_refreshed (GObject      *source,
                           GAsyncResult *result,
                           gpointer      user_data)
{
  g_autoptr(GTask) outer = user_data;

  /* The change itself succeeded; a failed refresh only leaves the list
   * as it was until the next one. */
  hc_session_refresh_appointments_finish (HC_SESSION (source), result, NULL);
  g_task_return_boolean (outer, TRUE);
}

static void
on_appointment_changed (GObject      *source,
                        GAsyncResult *result,
                        gpointer      user_data)
{
  g_autoptr(GTask) outer = user_data;
  HcSession *self = g_task_get_source_object (outer);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) root = g_task_propagate_pointer (G_TASK (result), &error);

  if (root == NULL)
    {
      g_task_return_error (outer, g_steal_pointer (&error));
      return;
    }
  hc_session_refresh_appointments_async (self, g_task_get_cancellable (outer),
                                         on_appointments_refreshed, g_object_ref (outer));
}

static void
send_appointment_request (HcSession           *self,
                          const char          *method,
                          const char          *path,
                          GHashTable          *form,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, hc_session_appointment_finish);
  send_api_request (self, task, method, path, form, on_appointment_changed);
}

void
hc_session_save_appointment_async (HcSession           *self,
                                   const char          *sid,
                                   const char          *patient_name,
                                   const char          *mobile,
                                   GDateTime           *start,
                                   const char          *note,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  g_autoptr(GHashTable) form = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GDateTime) utc = g_date_time_to_utc (start);
  g_autofree char *when = g_date_time_format (utc, "%Y-%m-%dT%H:%M:%SZ");
  g_autofree char *path = sid ? g_strconcat ("/v1/Appointments/", sid, NULL)
                              : g_strdup ("/v1/Appointments");

  g_return_if_fail (HC_IS_SESSION (self));

  g_hash_table_insert (form, "patient_name", (gpointer) patient_name);
  g_hash_table_insert (form, "mobile", (gpointer) mobile);
  g_hash_table_insert (form, "start_time", when);
  if (note != NULL && *note != '\0')
    g_hash_table_insert (form, "note", (gpointer) note);
  send_appointment_request (self, "POST", path, form, cancellable, callback, user_data);
}

void
hc_session_cancel_appointment_async (HcSession           *self,
                                     const char          *sid,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data)
{
  g_autofree char *path = g_strconcat ("/v1/Appointments/", sid, NULL);

  g_return_if_fail (HC_IS_SESSION (self));
  send_appointment_request (self, "DELETE", path, NULL, cancellable, callback, user_data);
}

gboolean
hc_session_appointment_finish (HcSession     *self,
                               GAsyncResult  *result,
                               GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* GObject */

static void
hc_session_get_property (GObject    *object,
                         guint       prop_id,
                         GValue     *value,
                         GParamSpec *pspec)
{
  HcSession *self = HC_SESSION (object);

  switch (prop_id)
    {
    case PROP_STATE:
      g_value_set_enum (value, self->state);
      break;
    case PROP_SERVER_URL:
      g_value_set_string (value, self->server_url);
      break;
    case PROP_USERNAME:
      g_value_set_string (value, self->username);
      break;
    case PROP_ERROR_MESSAGE:
      g_value_set_string (value, self->error_message);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
hc_session_dispose (GObject *object)
{
  HcSession *self = HC_SESSION (object);

  g_clear_handle_id (&self->renew_id, g_source_remove);
  g_clear_handle_id (&self->poll_id, g_source_remove);
  if (self->soup != NULL)
    soup_session_abort (self->soup);
  g_clear_object (&self->soup);
  g_clear_object (&self->rooms);
  g_clear_object (&self->queue);
  g_clear_object (&self->appointments);

  G_OBJECT_CLASS (hc_session_parent_class)->dispose (object);
}

static void
hc_session_finalize (GObject *object)
{
  HcSession *self = HC_SESSION (object);

  g_free (self->server_url);
  g_free (self->username);
  g_free (self->token);
  g_free (self->error_message);

  G_OBJECT_CLASS (hc_session_parent_class)->finalize (object);
}

static void
hc_session_class_init (HcSessionClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = hc_session_get_property;
  object_class->dispose = hc_session_dispose;
  object_class->finalize = hc_session_finalize;

  properties[PROP_STATE] =
    g_param_spec_enum ("state", NULL, NULL, HC_TYPE_SESSION_STATE, HC_SESSION_SIGNED_OUT,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_SERVER_URL] =
    g_param_spec_string ("server-url", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_USERNAME] =
    g_param_spec_string ("username", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_ERROR_MESSAGE] =
    g_param_spec_string ("error-message", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
hc_session_init (HcSession *self)
{
  self->rooms = g_list_store_new (HC_TYPE_ROOM_ITEM);
  self->queue = g_list_store_new (HC_TYPE_QUEUE_ENTRY);
  self->appointments = g_list_store_new (HC_TYPE_APPOINTMENT_ITEM);
  self->soup = soup_session_new_with_options ("timeout", REQUEST_TIMEOUT_SECONDS,
                                              "user-agent", "Housecall/" PACKAGE_VERSION, NULL);
}

HcSession *
hc_session_new (void)
{
  return g_object_new (HC_TYPE_SESSION, NULL);
}

HcSessionState
hc_session_get_state (HcSession *self)
{
  g_return_val_if_fail (HC_IS_SESSION (self), HC_SESSION_SIGNED_OUT);
  return self->state;
}

const char *
hc_session_get_server_url (HcSession *self)
{
  g_return_val_if_fail (HC_IS_SESSION (self), NULL);
  return self->server_url;
}

const char *
hc_session_get_username (HcSession *self)
{
  g_return_val_if_fail (HC_IS_SESSION (self), NULL);
  return self->username;
}

const char *
hc_session_get_token (HcSession *self)
{
  g_return_val_if_fail (HC_IS_SESSION (self), NULL);
  return self->token;
}

const char *
hc_session_get_error_message (HcSession *self)
{
  g_return_val_if_fail (HC_IS_SESSION (self), NULL);
  return self->error_message;
}

GListModel *
hc_session_get_queue (HcSession *self)
{
  g_return_val_if_fail (HC_IS_SESSION (self), NULL);
  return G_LIST_MODEL (self->queue);
}

GListModel *
hc_session_get_rooms (HcSession *self)
{
  g_return_val_if_fail (HC_IS_SESSION (self), NULL);
  return G_LIST_MODEL (self->rooms);
}

char *
hc_session_dup_signal_url (HcSession *self)
{
  g_return_val_if_fail (HC_IS_SESSION (self), NULL);

  if (self->server_url == NULL)
    return NULL;
  if (g_str_has_prefix (self->server_url, "https://"))
    return g_strconcat ("wss://", self->server_url + strlen ("https://"), "/v1/signal", NULL);
  return g_strconcat ("ws://", self->server_url + strlen ("http://"), "/v1/signal", NULL);
}
