/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "HcServer"

#include "config.h"

#include "hc-error.h"
#include "hc-server-private.h"
#include "hc-sid.h"
#include "hc-signal-session.h"

#include <gio/gnetworking.h>

#include <stdlib.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <string.h>

G_DEFINE_FINAL_TYPE (HcServer, hc_server, G_TYPE_OBJECT)

#define DEFAULT_MAX_PARTICIPANTS 4

void
hc_principal_clear (HcPrincipal *principal)
{
  g_clear_pointer (&principal->claims, hc_token_claims_free);
}

gint64
hc_server_now (void)
{
  return g_get_real_time () / G_USEC_PER_SEC;
}

const char *
hc_server_remote_address (SoupServerMessage *msg)
{
  const char *host = soup_server_message_get_remote_host (msg);

  return host != NULL ? host : "unknown";
}

char *
hc_server_base_url (HcServer *self)
{
  if (self->config->public_url != NULL)
    return g_strdup (self->config->public_url);
  if (strchr (self->config->listen_host, ':') != NULL)
    return g_strdup_printf ("%s://[%s]:%u", self->config->tls_certificate ? "https" : "http",
                            self->config->listen_host, self->port);
  return g_strdup_printf ("%s://%s:%u", self->config->tls_certificate ? "https" : "http",
                          self->config->listen_host, self->port);
}

HcTokenClaims *
hc_server_verify_token (HcServer    *self,
                        const char  *token,
                        GError     **error)
{
  g_autoptr(HcTokenClaims) claims = hc_token_verify (&self->token_key, token, hc_server_now (),
                                                     error);

  if (claims == NULL)
    return NULL;
  if (hc_store_token_is_revoked (self->store, claims->jti))
    {
      g_set_error (error, HC_ERROR, HC_ERROR_TOKEN_REVOKED, "This access token has been revoked");
      return NULL;
    }
  if (claims->role == HC_ROLE_PROVIDER)
    {
      g_autoptr(HcProviderRecord) provider = hc_store_lookup_provider (self->store,
                                                                       claims->identity, NULL);

      if (provider == NULL)
        {
          g_set_error (error, HC_ERROR, HC_ERROR_TOKEN_BAD_IDENTITY,
                       "The token names a provider account that does not exist");
          return NULL;
        }
      if (provider->disabled)
        {
          g_set_error (error, HC_ERROR, HC_ERROR_ACCOUNT_DISABLED,
                       "This provider account is disabled");
          return NULL;
        }
    }
  return g_steal_pointer (&claims);
}

/* Compares in time independent of where the strings differ. */
static gboolean
secure_equal (const char *a,
              gsize       a_len,
              const char *b,
              gsize       b_len)
{
  guint8 diff = a_len != b_len;

  for (gsize i = 0; i < a_len; i++)
    diff |= (guint8) (a[i] ^ b[i % MAX (b_len, 1)]);
  return diff == 0;
}

gboolean
hc_server_authenticate (HcServer           *self,
                        SoupServerMessage  *msg,
                        HcPrincipal        *principal,
                        GError            **error)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  const char *auth = soup_message_headers_get_one (headers, "Authorization");

  memset (principal, 0, sizeof *principal);

  if (auth != NULL && g_ascii_strncasecmp (auth, "Basic ", 6) == 0)
    {
      g_autofree guchar *decoded = NULL;
      gsize len = 0;
      const char *colon;
      gsize secret_len = 0;
      const char *secret = g_bytes_get_data (self->config->api_key_secret, &secret_len);
      const char *user_end;

      gsize encoded_len = strlen (auth + 6);

      /* Strict base64: GLib's decoder skips junk that a typo'd header holds. */
      if (encoded_len > 1024 || encoded_len % 4 != 0 ||
          strspn (auth + 6, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=")
            != encoded_len)
        goto bad_credentials;
      decoded = g_base64_decode (auth + 6, &len);
      colon = decoded ? memchr (decoded, ':', len) : NULL;
      if (colon == NULL)
        goto bad_credentials;
      user_end = colon;
      /* Twilio clients authenticate with the API key SID, or with the
       * account SID and the key's secret when no separate key is in use. */
      if (!((gsize) (user_end - (char *) decoded) == 34 &&
            (memcmp (decoded, self->config->api_key_sid, 34) == 0 ||
             memcmp (decoded, self->config->account_sid, 34) == 0)))
        goto bad_credentials;
      if (!secure_equal (colon + 1, len - (gsize) (colon + 1 - (char *) decoded), secret,
                         secret_len))
        goto bad_credentials;
      principal->kind = HC_PRINCIPAL_API_KEY;
      return TRUE;

    bad_credentials:
      g_set_error (error, HC_ERROR, HC_ERROR_BAD_CREDENTIALS,
                   "The API key SID or secret is wrong");
      return FALSE;
    }

  if (auth != NULL && g_ascii_strncasecmp (auth, "Bearer ", 7) == 0)
    {
      principal->claims = hc_server_verify_token (self, auth + 7, error);
      if (principal->claims == NULL)
        return FALSE;
      principal->kind = HC_PRINCIPAL_TOKEN;
      return TRUE;
    }

  g_set_error (error, HC_ERROR, HC_ERROR_AUTH_REQUIRED,
               "Authenticate with the API key (HTTP Basic) or an access token (Bearer)");
  return FALSE;
}

HcRoomRecord *
hc_server_create_room (HcServer    *self,
                       const char  *unique_name,
                       const char  *video_codec,
                       guint        max_participants,
                       const char  *status_callback,
                       const char  *created_by,
                       gboolean     ad_hoc,
                       GError     **error)
{
  g_autoptr(HcRoomRecord) room = g_new0 (HcRoomRecord, 1);

  room->sid = hc_sid_new (HC_SID_PREFIX_ROOM);
  /* Twilio names an unnamed room after its SID. */
  room->unique_name = g_strdup (unique_name ? unique_name : room->sid);
  room->status = g_strdup ("in-progress");
  room->type = g_strdup ("group");
  room->video_codec = g_strdup (video_codec ? video_codec : "VP8");
  room->max_participants = max_participants ? max_participants : DEFAULT_MAX_PARTICIPANTS;
  room->status_callback = g_strdup (status_callback);
  room->created_by = g_strdup (created_by);
  room->ad_hoc = ad_hoc;
  room->date_created = hc_server_now ();
  room->date_updated = room->date_created;

  if (!hc_store_insert_room (self->store, room, error))
    return NULL;
  hc_store_audit (self->store, "room.created", created_by, room->sid, NULL);
  g_debug ("Room %s created%s", room->sid, ad_hoc ? " ad hoc" : "");
  return g_steal_pointer (&room);
}

gboolean
hc_server_may_manage_room (HcServer           *self,
                           const HcPrincipal  *principal,
                           const HcRoomRecord *room)
{
  if (principal->kind == HC_PRINCIPAL_API_KEY)
    return TRUE;
  if (principal->claims == NULL || principal->claims->role != HC_ROLE_PROVIDER)
    return FALSE;
  return g_strcmp0 (room->created_by, principal->claims->identity) == 0 ||
         hc_store_identity_in_room (self->store, principal->claims->identity, room->sid,
                                    "provider");
}

/* Handlers may close sessions, which removes them from self->sessions. */
static GPtrArray *
snapshot_sessions (HcServer *self)
{
  GPtrArray *copy = g_ptr_array_new_full (self->sessions->len, g_object_unref);

  for (guint i = 0; i < self->sessions->len; i++)
    g_ptr_array_add (copy, g_object_ref (g_ptr_array_index (self->sessions, i)));
  return copy;
}

void
hc_server_room_completed (HcServer   *self,
                          const char *room_sid)
{
  g_autoptr(GPtrArray) sessions = snapshot_sessions (self);
  g_autoptr(GError) error = NULL;

  if (!hc_store_finish_room_visits (self->store, room_sid, hc_server_now (), &error))
    g_warning ("Could not close the visits of a completed room: %s", error->message);
  hc_server_queue_changed (self);
  if (self->phone != NULL)
    hc_phone_bridge_room_ended (self->phone, room_sid);

  for (guint i = 0; i < sessions->len; i++)
    hc_signal_session_room_completed (g_ptr_array_index (sessions, i), room_sid);
}

void
hc_server_token_revoked (HcServer   *self,
                         const char *jti)
{
  g_autoptr(GPtrArray) sessions = snapshot_sessions (self);

  for (guint i = 0; i < sessions->len; i++)
    hc_signal_session_token_revoked (g_ptr_array_index (sessions, i), jti);
}

/* Tells every session of a change of the waiting room: patients of their place, and
 * providers watching of their queue when @all_views or the change was in @provider's. */
static void
queue_changed (HcServer   *self,
               gboolean    all_views,
               const char *provider)
{
  g_autoptr(GPtrArray) sessions = snapshot_sessions (self);
  /* A change within one provider's queue moves only the places in it (and in the
   * entries without a provider, which it lists too): the others are left out of the
   * snapshot, and their patients are not told anything. */
  g_autoptr(HcQueueSnapshot) snapshot = hc_queue_snapshot_new (self, all_views ? NULL : provider);
  g_autofree char *scope = g_strdup (provider);

  /* The queue is read once for everybody: asking the store once per session made each
   * change cost sessions × queue length. A change made while telling (a session that
   * closes on a failed send, say) tells everyone again; that inner round clears the
   * snapshot, so the rest of this one reads the store afresh rather than stale state. */
  self->queue_snapshot = snapshot;
  self->queue_views_all = all_views;
  self->queue_scope = scope;
  for (guint i = 0; i < sessions->len; i++)
    hc_signal_session_queue_changed (g_ptr_array_index (sessions, i));
  self->queue_snapshot = NULL;
  self->queue_views_all = TRUE;
  self->queue_scope = NULL;
}

void
hc_server_queue_changed (HcServer *self)
{
  queue_changed (self, TRUE, NULL);
}

void
hc_server_queue_changed_for (HcServer   *self,
                             const char *provider)
{
  /* An entry without a provider is in every provider's queue. */
  queue_changed (self, provider == NULL, provider);
}

gboolean
hc_server_queue_view_changed (HcServer   *self,
                              const char *provider)
{
  return self->queue_snapshot == NULL || self->queue_views_all ||
         g_strcmp0 (self->queue_scope, provider) == 0;
}

void
hc_server_provider_queue_changed (HcServer   *self,
                                  const char *provider)
{
  g_autoptr(GPtrArray) sessions = snapshot_sessions (self);

  for (guint i = 0; i < sessions->len; i++)
    hc_signal_session_provider_queue_changed (g_ptr_array_index (sessions, i), provider);
}

void
hc_server_patient_online (HcServer   *self,
                          const char *identity,
                          gboolean    online)
{
  guint count = GPOINTER_TO_UINT (g_hash_table_lookup (self->patients_online, identity));

  if (online)
    g_hash_table_replace (self->patients_online, g_strdup (identity), GUINT_TO_POINTER (count + 1));
  else if (count > 1)
    g_hash_table_replace (self->patients_online, g_strdup (identity), GUINT_TO_POINTER (count - 1));
  else
    g_hash_table_remove (self->patients_online, identity);
}

gboolean
hc_server_patient_connected (HcServer   *self,
                             const char *identity)
{
  /* Each entry of a queue view says whether its patient is connected: a lookup,
   * where a walk over every session made connecting N patients cost N². */
  return identity != NULL && g_hash_table_contains (self->patients_online, identity);
}

void
hc_server_remove_patient (HcServer   *self,
                          const char *identity)
{
  g_autoptr(GPtrArray) sessions = snapshot_sessions (self);

  for (guint i = 0; i < sessions->len; i++)
    if (hc_signal_session_is_patient (g_ptr_array_index (sessions, i), identity))
      hc_signal_session_kick (g_ptr_array_index (sessions, i));
}

void
hc_server_send_to_identity (HcServer   *self,
                            const char *identity,
                            JsonNode   *message)
{
  g_autoptr(GPtrArray) sessions = snapshot_sessions (self);

  for (guint i = 0; i < sessions->len; i++)
    if (hc_signal_session_is_patient (g_ptr_array_index (sessions, i), identity))
      hc_signal_session_send (g_ptr_array_index (sessions, i), message);
}

/* A call's status changed: its room's providers hear it on signaling, as
 * does the provider who placed it wherever they are connected. */
static void
on_phone_call_changed (HcPhoneBridge           *phone,
                       const HcPhoneCallRecord *call,
                       HcServer                *self)
{
  g_autoptr(GPtrArray) sessions = snapshot_sessions (self);
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) node = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "type");
  json_builder_add_string_value (builder, "phone-call-status");
  json_builder_set_member_name (builder, "call");
  hc_server_build_phone_call (self, builder, call);
  json_builder_end_object (builder);
  node = json_builder_get_root (builder);

  for (guint i = 0; i < sessions->len; i++)
    if (hc_signal_session_is_provider_for (g_ptr_array_index (sessions, i), call->created_by,
                                           call->room_sid))
      hc_signal_session_send (g_ptr_array_index (sessions, i), node);
}

static void
on_health (SoupServerMessage *msg,
           HcServer          *self)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) node = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "status");
  json_builder_add_string_value (builder, "ok");
  json_builder_set_member_name (builder, "version");
  json_builder_add_string_value (builder, PACKAGE_VERSION);
  json_builder_set_member_name (builder, "schema_version");
  json_builder_add_int_value (builder, hc_store_get_schema_version (self->store));
  /* Media servers up, and the rooms on each, for monitoring. */
  json_builder_set_member_name (builder, "media");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "servers");
  json_builder_add_int_value (builder, hc_media_get_n_servers (self->media));
  json_builder_set_member_name (builder, "ready");
  json_builder_add_int_value (builder, hc_media_get_n_ready (self->media));
  json_builder_set_member_name (builder, "rooms");
  json_builder_begin_array (builder);
  for (guint i = 0; i < hc_media_get_n_servers (self->media); i++)
    json_builder_add_int_value (builder, hc_media_get_load (self->media, i));
  json_builder_end_array (builder);
  json_builder_end_object (builder);
  json_builder_end_object (builder);
  node = json_builder_get_root (builder);
  hc_http_send_json (msg, SOUP_STATUS_OK, node);
}

static void
on_api_request (SoupServer        *soup,
                SoupServerMessage *msg,
                const char        *path,
                GHashTable        *query,
                gpointer           user_data)
{
  HcServer *self = user_data;
  const char *method = soup_server_message_get_method (msg);
  g_auto(GStrv) parts = NULL;
  guint n_parts;

  /* The early handler already answered bodies that are too large. */
  if (soup_server_message_get_status (msg) != 0)
    return;

  parts = g_strsplit (path + 1, "/", 8);
  n_parts = g_strv_length (parts);
  /* A trailing slash names the same resource. */
  if (n_parts > 0 && *parts[n_parts - 1] == '\0')
    n_parts--;

  if (n_parts < 2 || strcmp (parts[0], "v1") != 0)
    {
      hc_http_send_error_code (msg, HC_ERROR_NOT_FOUND, "No such resource");
      return;
    }

  if (n_parts == 2 && strcmp (parts[1], "health") == 0)
    {
      if (strcmp (method, "GET") != 0 && strcmp (method, "HEAD") != 0)
        hc_http_send_error_code (msg, HC_ERROR_METHOD_NOT_ALLOWED, "Use GET");
      else
        on_health (msg, self);
    }
  else if (n_parts == 2 && strcmp (parts[1], "login") == 0)
    hc_rest_login_handle (self, msg, method);
  else if (strcmp (parts[1], "Rooms") == 0)
    hc_rest_rooms_handle (self, msg, method, parts + 2, n_parts - 2);
  else if (strcmp (parts[1], "Visits") == 0)
    hc_rest_visits_handle (self, msg, method, parts + 2, n_parts - 2);
  else if (strcmp (parts[1], "WaitingRoom") == 0)
    hc_rest_waiting_room_handle (self, msg, method, parts + 2, n_parts - 2);
  else if (strcmp (parts[1], "Appointments") == 0)
    hc_rest_appointments_handle (self, msg, method, parts + 2, n_parts - 2);
  else if (strcmp (parts[1], "sms") == 0)
    hc_rest_sms_handle (self, msg, method, parts + 2, n_parts - 2);
  else
    hc_http_send_error_code (msg, HC_ERROR_NOT_FOUND, "No such resource");
}

/* Runs once the headers are in, before the body is read: a body announced as
 * larger than we take is refused without reading it. */
static void
on_early_request (SoupServer        *soup,
                  SoupServerMessage *msg,
                  const char        *path,
                  GHashTable        *query,
                  gpointer           user_data)
{
  HcServer *self = user_data;
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  goffset length = soup_message_headers_get_content_length (headers);
  SoupEncoding encoding = soup_message_headers_get_encoding (headers);

  /* Every answer over HTTPS, API and errors included, tells the browser to
   * come back over HTTPS only (RFC 6797; ignored over plain HTTP anyway). */
  if (self->config->tls_certificate != NULL)
    soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                  "Strict-Transport-Security", "max-age=31536000; includeSubDomains");

  if (length > HC_HTTP_MAX_BODY || encoding == SOUP_ENCODING_CHUNKED)
    {
      /* Chunked bodies have no length to check in advance; our clients
       * never need them, so refuse them rather than buffer without bound. */
      hc_http_send_error_code (msg, length > HC_HTTP_MAX_BODY ? HC_ERROR_BODY_TOO_LARGE
                                                              : HC_ERROR_BAD_REQUEST,
                               length > HC_HTTP_MAX_BODY
                                 ? "The request body is larger than 1 MiB"
                                 : "Chunked request bodies are not accepted; send Content-Length");
      soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                    "Connection", "close");
      /* libsoup still reads the body of a refused request (unless the client
       * sent Expect: 100-continue); drop it chunk by chunk instead of
       * keeping it. */
      soup_message_body_set_accumulate (soup_server_message_get_request_body (msg), FALSE);
    }
}

static const char *
content_type_for (const char *path)
{
  static const struct { const char *suffix; const char *type; } types[] = {
    { ".html", "text/html; charset=utf-8" },
    { ".js", "text/javascript; charset=utf-8" },
    { ".mjs", "text/javascript; charset=utf-8" },
    { ".css", "text/css; charset=utf-8" },
    { ".svg", "image/svg+xml" },
    { ".png", "image/png" },
    { ".json", "application/json" },
    { ".webmanifest", "application/manifest+json" },
    { ".wav", "audio/wav" },
    { ".ico", "image/x-icon" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (types); i++)
    if (g_str_has_suffix (path, types[i].suffix))
      return types[i].type;
  return NULL;
}

static char *
find_web_root (void)
{
  const char *env = g_getenv ("HOUSECALLD_WEB_ROOT");
  g_autofree char *installed = g_build_filename (PKGDATADIR, "web", NULL);

  if (env != NULL && *env != '\0')
    return g_strdup (env);
  if (g_file_test (installed, G_FILE_TEST_IS_DIR))
    return g_steal_pointer (&installed);
  return g_build_filename (SOURCE_DATADIR, "web", NULL);
}

/* Whether @file, with every symbolic link resolved, is inside the web root:
 * a link in data/web/ must not serve what lies outside it. */
static gboolean
inside_web_root (HcServer   *self,
                 const char *file)
{
  g_autofree char *real = realpath (file, NULL);

  return real != NULL && self->web_root_real != NULL &&
         g_str_has_prefix (real, self->web_root_real) &&
         real[strlen (self->web_root_real)] == G_DIR_SEPARATOR;
}

/* Whether @host is a plain host[:port] (a name, IPv4 or bracketed IPv6). */
static gboolean
host_is_plain (const char *host)
{
  return host != NULL && *host != '\0' && strlen (host) <= 255 &&
         strspn (host, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:[]")
           == strlen (host);
}

/* Everything from our own origin only; no inline script or style, no
 * plugins, no framing, no <base>. The signaling socket is the one origin
 * connect-src names besides 'self' (older Safari does not count wss: to the
 * page's own host as 'self'): the public URL's host, else the Host the
 * browser asked for. */
static char *
content_security_policy (HcServer          *self,
                         SoupServerMessage *msg)
{
  g_autofree char *socket_origin = NULL;
  const char *scheme = self->config->tls_certificate != NULL ? "wss" : "ws";

  if (self->config->public_url != NULL)
    {
      g_autoptr(GUri) uri = g_uri_parse (self->config->public_url, G_URI_FLAGS_NONE, NULL);

      if (uri != NULL && g_uri_get_host (uri) != NULL)
        {
          g_autofree char *host = strchr (g_uri_get_host (uri), ':') != NULL
                                    ? g_strdup_printf ("[%s]", g_uri_get_host (uri))
                                    : g_strdup (g_uri_get_host (uri));

          socket_origin = g_uri_get_port (uri) > 0
                            ? g_strdup_printf ("%s://%s:%d", g_strcmp0 (g_uri_get_scheme (uri),
                                                                        "https") == 0
                                                               ? "wss" : "ws",
                                               host, g_uri_get_port (uri))
                            : g_strdup_printf ("%s://%s", g_strcmp0 (g_uri_get_scheme (uri),
                                                                     "https") == 0
                                                            ? "wss" : "ws", host);
        }
    }
  else
    {
      const char *host = soup_message_headers_get_one (
        soup_server_message_get_request_headers (msg), "Host");

      if (host_is_plain (host))
        socket_origin = g_strdup_printf ("%s://%s", scheme, host);
    }
  return g_strdup_printf ("default-src 'self'; script-src 'self'; style-src 'self'; "
                          "connect-src 'self'%s%s; img-src 'self' data: blob:; "
                          "media-src 'self' blob:; object-src 'none'; base-uri 'none'; "
                          "frame-ancestors 'none'; form-action 'self'",
                          socket_origin ? " " : "", socket_origin ? socket_origin : "");
}

/* The patient web app and the test client: static files with headers that
 * keep the page to its own origin. */
static void
serve_static (HcServer          *self,
              SoupServerMessage *msg,
              const char        *path)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);
  g_autofree char *relative = NULL;
  g_autofree char *file = NULL;
  g_autofree char *contents = NULL;
  g_autofree char *csp = NULL;
  const char *type;
  gsize len = 0;

  if (strcmp (path, "/") == 0)
    path = "/call.html";
  /* Every visit link gets the patient app, which asks the server about its
   * code: a made-up code learns nothing here. */
  else if (g_str_has_prefix (path, "/v/") &&
           (strchr (path + 3, '/') == NULL || strchr (path + 3, '/')[1] == '\0'))
    path = "/patient.html";
  relative = g_strdup (path + 1);
  /* Only plain names: no "..", no hidden files, no backslashes. */
  if (strstr (relative, "..") != NULL || strstr (relative, "/.") != NULL ||
      relative[0] == '.' || strchr (relative, '\\') != NULL || strlen (relative) > 200 ||
      (type = content_type_for (relative)) == NULL)
    {
      hc_http_send_error_code (msg, HC_ERROR_NOT_FOUND, "No such resource");
      return;
    }
  file = g_build_filename (self->web_root, relative, NULL);
  if (!g_file_test (file, G_FILE_TEST_IS_REGULAR) || !inside_web_root (self, file) ||
      !g_file_get_contents (file, &contents, &len, NULL))
    {
      hc_http_send_error_code (msg, HC_ERROR_NOT_FOUND, "No such resource");
      return;
    }

  csp = content_security_policy (self, msg);
  soup_message_headers_replace (headers, "Content-Security-Policy", csp);
  soup_message_headers_replace (headers, "X-Content-Type-Options", "nosniff");
  soup_message_headers_replace (headers, "Referrer-Policy", "no-referrer");
  soup_message_headers_replace (headers, "X-Frame-Options", "DENY");
  soup_message_headers_replace (headers, "Permissions-Policy",
                                "camera=(self), microphone=(self), display-capture=()");
  soup_message_headers_replace (headers, "Cache-Control", "no-cache");
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (msg, type, SOUP_MEMORY_TAKE, g_steal_pointer (&contents), len);
}

static void
on_default_request (SoupServer        *soup,
                    SoupServerMessage *msg,
                    const char        *path,
                    GHashTable        *query,
                    gpointer           user_data)
{
  HcServer *self = user_data;
  const char *method = soup_server_message_get_method (msg);

  if (soup_server_message_get_status (msg) != 0)
    return;
  if (strcmp (method, "GET") != 0 && strcmp (method, "HEAD") != 0)
    {
      hc_http_send_error_code (msg, HC_ERROR_METHOD_NOT_ALLOWED, "Use GET");
      return;
    }
  serve_static (self, msg, path);
}

/* Runs before the WebSocket upgrade: anything that is not a proper
 * handshake gets a JSON error rather than libsoup's HTML one. */
static void
on_signal_request (SoupServer        *soup,
                   SoupServerMessage *msg,
                   const char        *path,
                   GHashTable        *query,
                   gpointer           user_data)
{
  const char *protocols[] = { "housecall.v1", NULL };
  g_autoptr(GError) error = NULL;

  if (soup_server_message_get_status (msg) != 0)
    return;
  if (strcmp (path, "/v1/signal") != 0)
    {
      hc_http_send_error_code (msg, HC_ERROR_NOT_FOUND, "No such resource");
      return;
    }
  if (!soup_websocket_server_check_handshake (msg, NULL, (char **) protocols, NULL, &error))
    hc_http_send_error_code (msg, HC_ERROR_BAD_REQUEST,
                             "Connect to /v1/signal with a WebSocket, subprotocol housecall.v1");
}

static void
on_session_closed (HcSignalSession *session,
                   HcServer        *self)
{
  g_signal_handlers_disconnect_by_data (session, self);
  g_ptr_array_remove_fast (self->sessions, session);
}

static void
on_websocket (SoupServer              *soup,
              SoupServerMessage       *msg,
              const char              *path,
              SoupWebsocketConnection *connection,
              gpointer                 user_data)
{
  HcServer *self = user_data;
  HcSignalSession *session = hc_signal_session_new (self, connection,
                                                    hc_server_remote_address (msg));

  g_signal_connect (session, "closed", G_CALLBACK (on_session_closed), self);
  g_ptr_array_add (self->sessions, session);
}

static void
hc_server_dispose (GObject *object)
{
  HcServer *self = (HcServer *) object;

  hc_server_stop (self);
  if (self->sessions != NULL)
    {
      for (guint i = 0; i < self->sessions->len; i++)
        g_signal_handlers_disconnect_by_data (g_ptr_array_index (self->sessions, i), self);
      g_clear_pointer (&self->sessions, g_ptr_array_unref);
    }
  g_clear_object (&self->soup);
  g_clear_object (&self->certificate);
  g_clear_object (&self->media);
  g_clear_object (&self->sms);
  if (self->phone != NULL)
    g_signal_handlers_disconnect_by_data (self->phone, self);
  g_clear_object (&self->phone);
  g_clear_object (&self->interpreters);
  g_clear_object (&self->store);
  g_clear_object (&self->login_by_account);
  g_clear_object (&self->login_by_address);
  g_clear_object (&self->visits_by_address);

  G_OBJECT_CLASS (hc_server_parent_class)->dispose (object);
}

static void
hc_server_finalize (GObject *object)
{
  HcServer *self = (HcServer *) object;

  g_clear_pointer (&self->config, hc_config_free);
  g_clear_pointer (&self->patients_online, g_hash_table_unref);
  g_clear_pointer (&self->preflight_nodes, g_hash_table_unref);
  g_clear_pointer (&self->preflight_nodes_old, g_hash_table_unref);
  g_free (self->web_root);
  g_free (self->web_root_real);
  G_OBJECT_CLASS (hc_server_parent_class)->finalize (object);
}

static void
hc_server_class_init (HcServerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = hc_server_dispose;
  object_class->finalize = hc_server_finalize;
}

static void
hc_server_init (HcServer *self)
{
  self->sessions = g_ptr_array_new_with_free_func (g_object_unref);
  self->patients_online = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->preflight_nodes = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                                 (GDestroyNotify) json_node_unref);
  self->preflight_nodes_old = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                                     (GDestroyNotify) json_node_unref);
}

HcServer *
hc_server_new (HcConfig *config,
               HcStore  *store)
{
  HcServer *self = g_object_new (HC_TYPE_SERVER, NULL);

  self->config = config;
  self->store = g_object_ref (store);
  self->token_key.account_sid = config->account_sid;
  self->token_key.api_key_sid = config->api_key_sid;
  self->token_key.secret = g_bytes_get_data (config->api_key_secret, &self->token_key.secret_len);
  self->login_by_account = hc_rate_limiter_new (config->login_max_failures_per_account,
                                                config->login_lockout_seconds);
  self->login_by_address = hc_rate_limiter_new (config->login_max_failures_per_address,
                                                config->login_lockout_seconds);
  self->visits_by_address = hc_rate_limiter_new (30, 60);
  self->media = hc_media_new (config);
  {
    g_autoptr(HcSmsSender) sender = hc_sms_sender_new_for_config (config);
    g_autoptr(HcClock) clock = hc_clock_new ();

    self->sms = hc_sms_dispatcher_new (store, sender, clock, config);
  }
  self->phone = hc_phone_bridge_new (config, store, self->media);
  self->interpreters = hc_interpreter_service_new_for_config (config);
  g_signal_connect (self->phone, "call-changed", G_CALLBACK (on_phone_call_changed), self);
  self->web_root = find_web_root ();
  {
    g_autofree char *real = realpath (self->web_root, NULL);

    self->web_root_real = g_strdup (real);
  }
  return self;
}

/* glibc keeps the pages of freed memory in the heap, and with many small,
 * mixed-lifetime allocations (a request, a socket, a visit) the heap's
 * resident size creeps up although what is allocated stays flat (heaptrack
 * shows it): the soak test saw ~3 KiB per visit. Hand free pages back every
 * few seconds; on an idle heap this is a quick walk of the free lists. */
static gboolean
trim_memory (gpointer user_data)
{
#ifdef __GLIBC__
  malloc_trim (0);
#endif
  return G_SOURCE_CONTINUE;
}

/* One timer for every session's token expiry and idle checks, rather than two per
 * session: GLib's main loop walks every source on each turn, so 5000 waiting
 * patients' timers cost a share of a core even while nothing happens. */
static gboolean
tick_sessions (gpointer user_data)
{
  HcServer *self = user_data;
  g_autoptr(GPtrArray) sessions = snapshot_sessions (self);
  gint64 monotonic = g_get_monotonic_time ();

  for (guint i = 0; i < sessions->len; i++)
    hc_signal_session_tick (g_ptr_array_index (sessions, i), monotonic);
  return G_SOURCE_CONTINUE;
}

static void
stop_listening (HcServer *self)
{
  if (self->listener == NULL)
    return;
  g_signal_handlers_disconnect_by_data (self->listener, self);
  g_socket_service_stop (self->listener);
  g_socket_listener_close (G_SOCKET_LISTENER (self->listener));
  g_clear_object (&self->listener);
}

/* Connections are accepted here and handed to libsoup as streams, rather
 * than with soup_server_listen: libsoup 3.2's own listener leaks the GSocket
 * of every connection it accepts (about 350 bytes each, more when a client
 * closes a kept-alive connection), which the soak test sees as steady growth.
 * TLS is ours too: the connection is wrapped before libsoup sees it. */
static gboolean
on_incoming (GSocketService    *service,
             GSocketConnection *connection,
             GObject           *source,
             gpointer           user_data)
{
  HcServer *self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocketAddress) local = g_socket_connection_get_local_address (connection, NULL);
  g_autoptr(GSocketAddress) remote = g_socket_connection_get_remote_address (connection, NULL);
  g_autoptr(GIOStream) tls = NULL;
  GIOStream *stream = G_IO_STREAM (connection);

  if (self->soup == NULL)
    return TRUE;
  g_socket_set_option (g_socket_connection_get_socket (connection), IPPROTO_TCP, TCP_NODELAY, TRUE,
                       NULL);
  if (self->certificate != NULL)
    {
      tls = g_tls_server_connection_new (stream, self->certificate, &error);
      if (tls == NULL)
        {
          g_warning ("Could not set up TLS for a connection: %s", error->message);
          g_io_stream_close (stream, NULL, NULL);
          return TRUE;
        }
      stream = tls;
    }
  if (!soup_server_accept_iostream (self->soup, stream, local, remote, &error))
    {
      g_debug ("Dropped a connection: %s", error->message);
      g_io_stream_close (stream, NULL, NULL);
    }
  return TRUE;
}

gboolean
hc_server_start (HcServer  *self,
                 GError   **error)
{
  g_autoptr(GInetAddress) address = NULL;
  g_autoptr(GSocketAddress) socket_address = NULL;
  g_autoptr(GSocketAddress) effective = NULL;
  const char *websocket_protocols[] = { "housecall.v1", NULL };

  g_return_val_if_fail (HC_IS_SERVER (self), FALSE);
  g_return_val_if_fail (self->soup == NULL, FALSE);

  if (self->config->tls_certificate != NULL)
    {
      self->certificate = g_tls_certificate_new_from_files (self->config->tls_certificate,
                                                            self->config->tls_key, error);
      if (self->certificate == NULL)
        {
          g_prefix_error (error, "server.tls-certificate: ");
          return FALSE;
        }
    }

  self->soup = soup_server_new ("server-header", "housecalld/" PACKAGE_VERSION, NULL);
  /* libsoup looks handlers up by the longest matching path, and an early
   * handler belongs to one path entry: register it on every entry. */
  soup_server_add_handler (self->soup, NULL, on_default_request, self, NULL);
  soup_server_add_handler (self->soup, "/v1", on_api_request, self, NULL);
  soup_server_add_handler (self->soup, "/v1/signal", on_signal_request, self, NULL);
  for (const char * const *path = (const char * const[]) { "/", "/v1", "/v1/signal", NULL };
       *path != NULL; path++)
    soup_server_add_early_handler (self->soup, *path, on_early_request, self, NULL);
  soup_server_add_websocket_handler (self->soup, "/v1/signal", NULL,
                                     (char **) websocket_protocols, on_websocket, self, NULL);

  address = g_inet_address_new_from_string (self->config->listen_host);
  if (address == NULL)
    {
      g_set_error (error, HC_ERROR, HC_ERROR_CONFIG_INVALID, "server.listen: “%s” is not an address",
                   self->config->listen_host);
      return FALSE;
    }
  socket_address = g_inet_socket_address_new (address, self->config->listen_port);
  self->listener = g_socket_service_new ();
  if (!g_socket_listener_add_address (G_SOCKET_LISTENER (self->listener), socket_address,
                                      G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL,
                                      &effective, error))
    {
      g_prefix_error (error, "server.listen: ");
      g_clear_object (&self->listener);
      g_clear_object (&self->soup);
      return FALSE;
    }
  g_signal_connect (self->listener, "incoming", G_CALLBACK (on_incoming), self);
  g_socket_service_start (self->listener);

  if (!hc_store_disconnect_all (self->store, hc_server_now (), error) ||
      !hc_media_start (self->media, error))
    {
      stop_listening (self);
      soup_server_disconnect (self->soup);
      g_clear_object (&self->soup);
      return FALSE;
    }
  if (!hc_phone_bridge_start (self->phone, error))
    {
      hc_media_stop (self->media);
      soup_server_disconnect (self->soup);
      g_clear_object (&self->soup);
      return FALSE;
    }

  self->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (effective));
  self->trim_id = g_timeout_add_seconds (10, trim_memory, self);
  self->tick_id = g_timeout_add_seconds (1, tick_sessions, self);

  {
    g_autofree char *base = hc_server_base_url (self);

    hc_sms_dispatcher_start (self->sms, base,
                             self->config->sms_callback_url ? self->config->sms_callback_url
                                                            : base);
  }
  return TRUE;
}

void
hc_server_stop (HcServer *self)
{
  g_return_if_fail (HC_IS_SERVER (self));

  if (self->sessions != NULL)
    {
      /* Close every socket so that participants leave and their Janus
       * handles go before Janus does. */
      g_autoptr(GPtrArray) sessions = snapshot_sessions (self);

      for (guint i = 0; i < sessions->len; i++)
        {
          g_signal_handlers_disconnect_by_data (g_ptr_array_index (sessions, i), self);
          hc_signal_session_shutdown (g_ptr_array_index (sessions, i));
        }
      g_ptr_array_set_size (self->sessions, 0);
    }
  if (self->sms != NULL)
    hc_sms_dispatcher_stop (self->sms);
  if (self->phone != NULL)
    hc_phone_bridge_stop (self->phone);
  if (self->media != NULL)
    hc_media_stop (self->media);
  stop_listening (self);
  g_clear_handle_id (&self->trim_id, g_source_remove);
  g_clear_handle_id (&self->tick_id, g_source_remove);
  if (self->soup != NULL)
    soup_server_disconnect (self->soup);
}

guint16
hc_server_get_port (HcServer *self)
{
  g_return_val_if_fail (HC_IS_SERVER (self), 0);
  return self->port;
}


HcStore *
hc_server_get_store (HcServer *self)
{
  g_return_val_if_fail (HC_IS_SERVER (self), NULL);
  return self->store;
}
