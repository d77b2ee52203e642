/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "engine-test-util.h"
#include "hc-token.h"
#include "hc-video-paintable.h"

#include <gst/gst.h>
#include <libsoup/soup.h>
#include <execinfo.h>
#ifdef __SANITIZE_ADDRESS__
#include <sanitizer/common_interface_defs.h>
#endif
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Janus's WebSocket API inside the namespace: each test has a namespace of its own,
 * so a fixed port cannot collide. */
#define JANUS_WS_PORT 8188

/* Waiting */

static gboolean
on_wake_up (gpointer user_data)
{
  return G_SOURCE_CONTINUE;
}

guint
hc_test_timeout_scale (void)
{
  const char *scale = g_getenv ("HC_TEST_TIMEOUT_SCALE");

  if (scale != NULL && g_ascii_strtoull (scale, NULL, 10) > 0)
    return (guint) g_ascii_strtoull (scale, NULL, 10);
#if defined(__SANITIZE_ADDRESS__)
  /* Media pipelines run several times slower under AddressSanitizer. */
  return 3;
#else
  return 1;
#endif
}

gboolean
hc_test_wait_until (HcTestCheck check,
                    gpointer    user_data,
                    guint       timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () +
                    (gint64) timeout_ms * 1000 * hc_test_timeout_scale ();
  guint tick = g_timeout_add (20, on_wake_up, NULL);
  gboolean done;

  while (!(done = check (user_data)) && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (tick);
  return done;
}

static gboolean
never (gpointer user_data)
{
  return FALSE;
}

void
hc_test_sleep (guint ms)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) ms * 1000;
  guint tick = g_timeout_add (20, on_wake_up, NULL);

  while (g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (tick);
}

/* housecalld */

/* Reads housecalld's output into its log. The reader outlives a stopped server until
 * the pipe closes, so it forgets the server rather than the other way round. */
struct _LineReader
{
  HcTestServer     *server;
  GDataInputStream *stream;
};

static void read_next_line (LineReader *reader);

static void
on_line (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  LineReader *reader = user_data;
  g_autofree char *line = g_data_input_stream_read_line_finish_utf8 (G_DATA_INPUT_STREAM (source),
                                                                     result, NULL, NULL);
  HcTestServer *server = reader->server;
  const char *found;

  if (line == NULL)
    {
      if (server != NULL)
        server->reader = NULL;
      g_object_unref (reader->stream);
      g_free (reader);
      return;
    }
  if (server != NULL)
    {
      g_string_append_printf (server->log, "%s\n", line);
      if (g_getenv ("HC_TEST_VERBOSE") != NULL)
        g_printerr ("housecalld: %s\n", line);
      if (server->port == 0 && (found = strstr (line, "Listening on port ")) != NULL)
        server->port = (guint16) g_ascii_strtoull (found + strlen ("Listening on port "), NULL, 10);
    }
  read_next_line (reader);
}

static void
read_next_line (LineReader *reader)
{
  g_data_input_stream_read_line_async (reader->stream, G_PRIORITY_DEFAULT, NULL, on_line, reader);
}

static gboolean
server_listening (gpointer user_data)
{
  HcTestServer *server = user_data;

  return server->port != 0 || server->exited;
}

static void
on_server_exited (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  gboolean *exited = user_data;

  g_subprocess_wait_finish (G_SUBPROCESS (source), result, NULL);
  *exited = TRUE;
}

static char *
read_secret (const char *dir,
             const char *name)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autofree char *contents = NULL;
  g_autoptr(GError) error = NULL;

  if (!g_file_get_contents (path, &contents, NULL, &error))
    g_error ("Could not read %s: %s", path, error->message);
  return g_strstrip (g_steal_pointer (&contents));
}

HcTestServer *
hc_test_server_start (void)
{
  HcTestServer *server = g_new0 (HcTestServer, 1);
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autofree char *config_path = NULL;
  g_autofree char *config = NULL;
  const char *binary = g_getenv ("HOUSECALLD");
  const char *interface = g_getenv ("HC_NETNS_ICE_INTERFACE");
  GInputStream *output;

  if (binary == NULL)
    binary = g_getenv ("HC_TEST_HOUSECALLD");
  g_assert_nonnull (binary);

  server->dir = g_dir_make_tmp ("hc-engine-XXXXXX", &error);
  g_assert_no_error (error);
  server->data_dir = g_build_filename (server->dir, "data", NULL);
  server->log = g_string_new (NULL);
  server->janus_port = JANUS_WS_PORT;
  config_path = g_build_filename (server->dir, "housecalld.conf", NULL);
  /* HC_TEST_JANUS names another Janus binary (a wrapper that raises its debug level). */
  config = g_strdup_printf ("[janus]\n"
                            "ws-port = %u\n"
                            "%s%s%s"
                            "%s%s%s",
                            server->janus_port,
                            g_getenv ("HC_TEST_JANUS") ? "binary = " : "",
                            g_getenv ("HC_TEST_JANUS") ? g_getenv ("HC_TEST_JANUS") : "",
                            g_getenv ("HC_TEST_JANUS") ? "\n" : "",
                            interface ? "ice-enforce-list = " : "",
                            interface ? interface : "",
                            interface ? "\n" : "");
  g_file_set_contents (config_path, config, -1, &error);
  g_assert_no_error (error);

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                        G_SUBPROCESS_FLAGS_STDERR_MERGE);
  /* The server's own warnings are for its log, not fatal to this test. */
  g_subprocess_launcher_unsetenv (launcher, "G_DEBUG");
  g_subprocess_launcher_unsetenv (launcher, "HOUSECALLD_API_KEY_SECRET");
  g_subprocess_launcher_unsetenv (launcher, "HOUSECALLD_JANUS_ADMIN_SECRET");
  server->process = g_subprocess_launcher_spawn (launcher, &error, binary,
                                                 "--config", config_path,
                                                 "--data-dir", server->data_dir,
                                                 "--listen", "127.0.0.1:0",
                                                 NULL);
  g_assert_no_error (error);
  g_subprocess_wait_async (server->process, NULL, on_server_exited, &server->exited);
  output = g_subprocess_get_stdout_pipe (server->process);
  server->reader = g_new0 (LineReader, 1);
  server->reader->server = server;
  server->reader->stream = g_data_input_stream_new (output);
  read_next_line (server->reader);

  if (!hc_test_wait_until (server_listening, server, 20000) || server->port == 0)
    {
      g_printerr ("%s", server->log->str);
      g_error ("housecalld did not start listening");
    }
  server->url = g_strdup_printf ("http://127.0.0.1:%u", server->port);
  server->account_sid = read_secret (server->data_dir, "account-sid");
  server->api_key_sid = read_secret (server->data_dir, "api-key-sid");
  server->api_key_secret = read_secret (server->data_dir, "api-key-secret");
  server->janus_secret = read_secret (server->data_dir, "janus-admin-secret");
  g_test_message ("housecalld %s listening on %s (Janus gathers on %s)",
                  g_subprocess_get_identifier (server->process), server->url,
                  interface ? interface : "every interface");
  return server;
}

static gboolean
process_gone (gpointer user_data)
{
  return *(gboolean *) user_data;
}

static void
remove_tree (GFile *file)
{
  g_autoptr(GFileEnumerator) children =
    g_file_enumerate_children (file, G_FILE_ATTRIBUTE_STANDARD_NAME "," G_FILE_ATTRIBUTE_STANDARD_TYPE,
                               G_FILE_QUERY_INFO_NOFOLLOW_SYMLINKS, NULL, NULL);

  if (children != NULL)
    {
      GFileInfo *info;

      while ((info = g_file_enumerator_next_file (children, NULL, NULL)) != NULL)
        {
          g_autoptr(GFile) child = g_file_get_child (file, g_file_info_get_name (info));

          if (g_file_info_get_file_type (info) == G_FILE_TYPE_DIRECTORY)
            remove_tree (child);
          else
            g_file_delete (child, NULL, NULL);
          g_object_unref (info);
        }
    }
  g_file_delete (file, NULL, NULL);
}

void
hc_test_server_stop (HcTestServer *server)
{
  if (server == NULL)
    return;
  if (!server->exited)
    {
      g_subprocess_send_signal (server->process, SIGTERM);
      if (!hc_test_wait_until (process_gone, &server->exited, 5000))
        {
          g_subprocess_force_exit (server->process);
          hc_test_wait_until (process_gone, &server->exited, 5000);
        }
    }
  /* Drain what it said last, then let the reader go. */
  hc_test_wait_until (never, NULL, 50);
  if (server->reader != NULL)
    server->reader->server = NULL;
  if (g_getenv ("HC_KEEP_DATA") != NULL)
    {
      g_autofree char *log_path = g_build_filename (server->dir, "housecalld.log", NULL);

      g_file_set_contents (log_path, server->log->str, -1, NULL);
      g_test_message ("Kept %s", server->dir);
    }
  else
    {
      g_autoptr(GFile) dir = g_file_new_for_path (server->dir);

      remove_tree (dir);
    }
  g_clear_object (&server->process);
  g_string_free (server->log, TRUE);
  g_free (server->dir);
  g_free (server->data_dir);
  g_free (server->url);
  g_free (server->account_sid);
  g_free (server->api_key_sid);
  g_free (server->api_key_secret);
  g_free (server->janus_secret);
  g_free (server);
}

void
hc_test_server_print_log_tail (HcTestServer *server,
                               guint         lines)
{
  g_auto(GStrv) all = g_strsplit (server->log->str, "\n", -1);
  guint n = g_strv_length (all);

  for (guint i = n > lines ? n - lines : 0; i < n; i++)
    if (*all[i] != '\0')
      g_test_message ("housecalld: %s", all[i]);
}

char *
hc_test_server_token (HcTestServer *server,
                      const char   *identity,
                      const char   *room)
{
  g_autoptr(HcTokenClaims) claims = hc_token_claims_new ();
  g_autoptr(GError) error = NULL;
  HcTokenKey key = {
    .account_sid = server->account_sid,
    .api_key_sid = server->api_key_sid,
    .secret = (const guint8 *) server->api_key_secret,
    .secret_len = strlen (server->api_key_secret),
  };
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  char *token;

  claims->iss = g_strdup (server->api_key_sid);
  claims->sub = g_strdup (server->account_sid);
  claims->identity = g_strdup (identity);
  claims->room = g_strdup (room);
  claims->iat = now;
  claims->exp = now + 3600;
  token = hc_token_mint (&key, claims, &error);
  g_assert_no_error (error);
  return token;
}

GPid
hc_test_server_janus_pid (HcTestServer *server)
{
  const char *identifier = server->process ? g_subprocess_get_identifier (server->process) : NULL;
  g_autoptr(GDir) proc = g_dir_open ("/proc", 0, NULL);
  const char *name;
  int parent;

  if (identifier == NULL || proc == NULL)
    return 0;
  parent = atoi (identifier);
  while ((name = g_dir_read_name (proc)) != NULL)
    {
      g_autofree char *stat_path = NULL;
      g_autofree char *stat = NULL;
      const char *close_paren;
      int ppid = 0;

      if (!g_ascii_isdigit (*name))
        continue;
      stat_path = g_build_filename ("/proc", name, "stat", NULL);
      if (!g_file_get_contents (stat_path, &stat, NULL, NULL) ||
          strstr (stat, "(janus)") == NULL || (close_paren = strrchr (stat, ')')) == NULL)
        continue;
      /* "pid (comm) state ppid …" */
      if (sscanf (close_paren + 2, "%*c %d", &ppid) == 1 && ppid == parent)
        return atoi (name);
    }
  return 0;
}

/* Janus's API, for checking what the engine left behind */

typedef struct
{
  SoupWebsocketConnection *connection;
  JsonObject              *reply;
  const char              *transaction;
  GError                  *error;
  gboolean                 done;
} JanusCall;

static void
on_janus_socket (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  JanusCall *call = user_data;

  call->connection = soup_session_websocket_connect_finish (SOUP_SESSION (source), result,
                                                            &call->error);
  call->done = TRUE;
}

static void
on_janus_message (SoupWebsocketConnection *connection,
                  gint                     type,
                  GBytes                  *payload,
                  gpointer                 user_data)
{
  JanusCall *call = user_data;
  g_autoptr(JsonParser) parser = json_parser_new ();
  gsize len;
  const char *data = g_bytes_get_data (payload, &len);
  JsonObject *object;

  if (!json_parser_load_from_data (parser, data, (gssize) len, NULL) ||
      !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    return;
  object = json_node_get_object (json_parser_get_root (parser));
  if (g_strcmp0 (json_object_get_string_member_with_default (object, "transaction", ""),
                 call->transaction) != 0 ||
      g_strcmp0 (json_object_get_string_member_with_default (object, "janus", ""), "ack") == 0)
    return;
  call->reply = json_object_ref (object);
  call->done = TRUE;
}

static gboolean
janus_call_done (gpointer user_data)
{
  return ((JanusCall *) user_data)->done;
}

static JsonObject *
janus_request (JanusCall  *call,
               JsonObject *request)
{
  g_autoptr(JsonNode) node = json_node_new (JSON_NODE_OBJECT);
  g_autofree char *text = NULL;
  static guint counter;
  g_autofree char *transaction = g_strdup_printf ("t%u", ++counter);

  json_object_set_string_member (request, "transaction", transaction);
  json_node_set_object (node, request);
  text = json_to_string (node, FALSE);
  call->transaction = transaction;
  call->done = FALSE;
  g_clear_pointer (&call->reply, json_object_unref);
  soup_websocket_connection_send_text (call->connection, text);
  hc_test_wait_until (janus_call_done, call, 5000);
  call->transaction = NULL;
  return g_steal_pointer (&call->reply);
}

GStrv
hc_test_server_janus_publishers (HcTestServer *server)
{
  g_autoptr(SoupSession) session = soup_session_new ();
  g_autofree char *url = g_strdup_printf ("ws://127.0.0.1:%u/", server->janus_port);
  g_autoptr(SoupMessage) message = soup_message_new ("GET", url);
  const char *protocols[] = { "janus-protocol", NULL };
  g_autoptr(GPtrArray) publishers = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(JsonObject) created = NULL;
  g_autoptr(JsonObject) attached = NULL;
  g_autoptr(JsonObject) listed = NULL;
  JanusCall call = { 0 };
  gint64 session_id, handle_id;
  JsonObject *request;
  JsonObject *body;
  JsonArray *rooms;

  soup_session_websocket_connect_async (session, message, NULL, (char **) protocols,
                                        G_PRIORITY_DEFAULT, NULL, on_janus_socket, &call);
  hc_test_wait_until (janus_call_done, &call, 5000);
  if (call.connection == NULL)
    {
      g_test_message ("Could not reach Janus: %s", call.error ? call.error->message : "timeout");
      g_clear_error (&call.error);
      return NULL;
    }
  g_signal_connect (call.connection, "message", G_CALLBACK (on_janus_message), &call);

  request = json_object_new ();
  json_object_set_string_member (request, "janus", "create");
  json_object_set_string_member (request, "apisecret", server->janus_secret);
  created = janus_request (&call, request);
  json_object_unref (request);
  if (created == NULL || json_object_get_object_member (created, "data") == NULL)
    goto failed;
  session_id = json_object_get_int_member (json_object_get_object_member (created, "data"), "id");

  request = json_object_new ();
  json_object_set_string_member (request, "janus", "attach");
  json_object_set_string_member (request, "apisecret", server->janus_secret);
  json_object_set_int_member (request, "session_id", session_id);
  json_object_set_string_member (request, "plugin", "janus.plugin.videoroom");
  attached = janus_request (&call, request);
  json_object_unref (request);
  if (attached == NULL || json_object_get_object_member (attached, "data") == NULL)
    goto failed;
  handle_id = json_object_get_int_member (json_object_get_object_member (attached, "data"), "id");

  request = json_object_new ();
  body = json_object_new ();
  json_object_set_string_member (body, "request", "list");
  json_object_set_string_member (body, "admin_key", server->janus_secret);
  json_object_set_string_member (request, "janus", "message");
  json_object_set_string_member (request, "apisecret", server->janus_secret);
  json_object_set_int_member (request, "session_id", session_id);
  json_object_set_int_member (request, "handle_id", handle_id);
  json_object_set_object_member (request, "body", body);
  listed = janus_request (&call, request);
  json_object_unref (request);
  if (listed == NULL || json_object_get_object_member (listed, "plugindata") == NULL)
    goto failed;
  rooms = json_object_get_array_member (
    json_object_get_object_member (json_object_get_object_member (listed, "plugindata"), "data"),
    "list");

  for (guint i = 0; rooms != NULL && i < json_array_get_length (rooms); i++)
    {
      JsonObject *room = json_array_get_object_element (rooms, i);
      g_autoptr(JsonObject) participants = NULL;
      JsonArray *list;

      request = json_object_new ();
      body = json_object_new ();
      json_object_set_string_member (body, "request", "listparticipants");
      json_object_set_int_member (body, "room", json_object_get_int_member (room, "room"));
      json_object_set_string_member (request, "janus", "message");
      json_object_set_string_member (request, "apisecret", server->janus_secret);
      json_object_set_int_member (request, "session_id", session_id);
      json_object_set_int_member (request, "handle_id", handle_id);
      json_object_set_object_member (request, "body", body);
      participants = janus_request (&call, request);
      json_object_unref (request);
      if (participants == NULL)
        goto failed;
      list = json_object_get_array_member (
        json_object_get_object_member (json_object_get_object_member (participants, "plugindata"),
                                       "data"),
        "participants");
      for (guint k = 0; list != NULL && k < json_array_get_length (list); k++)
        {
          JsonObject *p = json_array_get_object_element (list, k);

          if (json_object_get_boolean_member_with_default (p, "publisher", FALSE))
            g_ptr_array_add (publishers,
                             g_strdup (json_object_get_string_member_with_default (p, "display",
                                                                                   "?")));
        }
    }

  request = json_object_new ();
  json_object_set_string_member (request, "janus", "destroy");
  json_object_set_string_member (request, "apisecret", server->janus_secret);
  json_object_set_int_member (request, "session_id", session_id);
  g_clear_pointer (&call.reply, json_object_unref);
  {
    g_autoptr(JsonObject) destroyed = janus_request (&call, request);
  }
  json_object_unref (request);
  soup_websocket_connection_close (call.connection, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
  g_clear_object (&call.connection);
  g_ptr_array_add (publishers, NULL);
  return (GStrv) g_ptr_array_free (g_steal_pointer (&publishers), FALSE);

failed:
  g_test_message ("Janus's API did not answer as expected");
  g_signal_handlers_disconnect_by_data (call.connection, &call);
  soup_websocket_connection_close (call.connection, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
  g_clear_object (&call.connection);
  return NULL;
}

/* Engines */

typedef struct
{
  gboolean      done;
  gboolean      ok;
  GError       *error;
} Result;

static gboolean
result_done (gpointer user_data)
{
  return ((Result *) user_data)->done;
}

static void
on_joined (GObject      *source,
           GAsyncResult *res,
           gpointer      user_data)
{
  Result *result = user_data;

  result->ok = hc_call_engine_join_finish (HC_CALL_ENGINE (source), res, &result->error);
  result->done = TRUE;
}

gboolean
hc_test_join (HcCallEngine  *engine,
              HcTestServer  *server,
              const char    *identity,
              const char    *room,
              GError       **error)
{
  g_autofree char *token = hc_test_server_token (server, identity, room);
  Result result = { 0 };

  hc_call_engine_join_async (engine, server->url, token, room, NULL, on_joined, &result);
  if (!hc_test_wait_until (result_done, &result, 30000))
    g_error ("join did not complete within 30 s");
  if (result.error != NULL)
    g_propagate_error (error, result.error);
  return result.ok;
}

static void
on_left (GObject      *source,
         GAsyncResult *res,
         gpointer      user_data)
{
  Result *result = user_data;

  result->ok = hc_call_engine_leave_finish (HC_CALL_ENGINE (source), res, &result->error);
  result->done = TRUE;
}

void
hc_test_leave (HcCallEngine *engine)
{
  Result result = { 0 };

  hc_call_engine_leave_async (engine, NULL, on_left, &result);
  if (!hc_test_wait_until (result_done, &result, 15000))
    g_error ("leave did not complete within 15 s");
  g_assert_no_error (result.error);
  g_assert_true (result.ok);
}

HcCallEngine *
hc_test_engine_new (HcCaptureProfile profile)
{
  HcCallEngine *engine = hc_call_engine_new ();

  g_object_set (engine,
                "capture-profile", profile,
                "play-audio", FALSE,
                "max-video-bitrate", 1500,
                /* These tests check the layer policy and the call itself. On a
                 * starved CI machine the engines measure their own late packets
                 * as a poor network and would step the layers down (CI saw the
                 * featured participant held on the low layer). Adaptation is
                 * tested through engine-peer (tests/browser/network-quality). */
                "network-adaptation", FALSE,
                NULL);
  return engine;
}

HcRemoteParticipant *
hc_test_find (HcCallEngine *engine,
              const char   *sid)
{
  return sid != NULL ? hc_call_engine_find_participant (engine, sid) : NULL;
}

/* Waiting for video */

typedef struct
{
  HcCallEngine *engine;
  const char   *sid;
  guint64       frames;
  int           width;   /* 0: any */
} VideoWait;

HcVideoPaintable *
hc_test_paintable_of (HcCallEngine *engine,
              const char   *sid)
{
  HcRemoteParticipant *participant = hc_test_find (engine, sid);

  return participant ? HC_VIDEO_PAINTABLE (hc_remote_participant_get_paintable (participant))
                     : NULL;
}

static gboolean
video_arrived (gpointer user_data)
{
  VideoWait *wait = user_data;
  HcVideoPaintable *paintable = hc_test_paintable_of (wait->engine, wait->sid);

  return paintable != NULL && hc_video_paintable_get_frame_count (paintable) >= wait->frames &&
         (wait->width == 0 || hc_video_paintable_get_width (paintable) == wait->width);
}

gboolean
hc_test_wait_for_video (HcCallEngine *engine,
                const char   *sid,
                guint64       frames,
                int           width,
                guint         timeout_ms)
{
  VideoWait wait = { engine, sid, frames, width };
  HcVideoPaintable *paintable;
  guint64 before;

  paintable = hc_test_paintable_of (engine, sid);
  before = paintable ? hc_video_paintable_get_frame_count (paintable) : 0;
  wait.frames = before + frames;
  if (hc_test_wait_until (video_arrived, &wait, timeout_ms))
    return TRUE;
  /* webrtcbin 1.22's get-stats can trip over its RTP sessions' tables while they
   * change (a critical, fatal in tests): only when asked for. */
  if (g_getenv ("HC_TEST_STATS") != NULL)
    {
      hc_call_engine_log_stats (engine);
      hc_test_sleep (300);
    }
  paintable = hc_test_paintable_of (engine, sid);
  g_test_message ("Waited for %" G_GUINT64_FORMAT " frames %d wide from %s: got %" G_GUINT64_FORMAT
                  " frames, %d wide",
                  frames, width, sid, paintable ? hc_video_paintable_get_frame_count (paintable) - before : 0,
                  paintable ? hc_video_paintable_get_width (paintable) : -1);
  return FALSE;
}


static void
drop_debug (const char     *domain,
            GLogLevelFlags  level,
            const char     *message,
            gpointer        user_data)
{
}

void
hc_test_quiet_debug (void)
{
  /* g_test's log handler prints every message, debug ones too, into the TAP stream.
   * Keep the engine's and its libraries' debug messages out unless asked for. */
  static const char *const domains[] = {
    "HcCallEngine", "HcPublisher", "HcSubscriber", "HcSignaling", "HcEngine", "libsoup",
    "GLib", "GLib-GIO", "GLib-GObject", "libnice", "gssdp-client", "gupnp-context-manager",
    "Json", NULL
  };

  if (g_getenv ("HC_TEST_DEBUG") != NULL)
    return;
  for (guint i = 0; domains[i] != NULL; i++)
    g_log_set_handler (domains[i], G_LOG_LEVEL_DEBUG | G_LOG_LEVEL_INFO, drop_debug, NULL);
}

/* GStreamer 1.22's RTP session sometimes changes its table of sources while its own
 * RTCP thread walks it to build a report (caught under gdb: the critical comes from
 * rtpmanager's "rtpsession-rtcp" thread while it holds the session lock; about one run
 * of test-engine-layers in eight). GLib then stops that walk, the report goes out a
 * cycle later, and nothing else is affected. G_DEBUG=fatal-warnings would make it a
 * crash, so exactly that message from exactly that thread is let through (and
 * counted); every other warning or critical stays fatal. */
static gint tolerated_criticals;
static GLogFunc previous_handler;
static gpointer previous_handler_data;

static gboolean
is_known_gstreamer_bug (const char     *domain,
                        GLogLevelFlags  level,
                        const char     *message)
{
  char thread[16] = "";

  return g_strcmp0 (domain, "GLib") == 0 && (level & G_LOG_LEVEL_CRITICAL) != 0 &&
         g_strcmp0 (message, "g_hash_table_foreach: assertion "
                             "'version == hash_table->version' failed") == 0 &&
         pthread_getname_np (pthread_self (), thread, sizeof thread) == 0 &&
         strcmp (thread, "rtpsession-rtcp") == 0;
}

static gboolean
is_fatal (const char     *domain,
          GLogLevelFlags  level,
          const char     *message,
          gpointer        user_data)
{
  return !is_known_gstreamer_bug (domain, level, message);
}

/* g_test's own handler would print a fatal-flagged message as "Bail out!". */
static void
log_handler (const char     *domain,
             GLogLevelFlags  level,
             const char     *message,
             gpointer        user_data)
{
  char thread[16] = "";

  if (is_known_gstreamer_bug (domain, level, message))
    {
      g_atomic_int_inc (&tolerated_criticals);
      return;
    }
  /* Straight to stderr too, with the thread: a fatal message's TAP line can be lost
   * with the process. */
  if ((level & (G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING | G_LOG_LEVEL_ERROR)) != 0)
    {
      pthread_getname_np (pthread_self (), thread, sizeof thread);
      fprintf (stderr, "%s message in thread %s: %s\n", domain ? domain : "(no domain)", thread,
               message);
      fflush (stderr);
    }
  previous_handler (domain, level, message, previous_handler_data);
}

/* A fatal message ends in G_BREAKPOINT (SIGTRAP). CI once saw a test end on SIGTRAP
 * with no message printed at all, so where the trap came from is printed here, with
 * the thread, before the default action ends the process. Only async-signal-safe
 * calls (backtrace() is primed below so that it does not load libgcc here). */
static void
on_trap (int signum)
{
  static const char header[] = "\nSIGTRAP (a fatal message or a breakpoint) in thread ";
  char thread[16] = "";

  pthread_getname_np (pthread_self (), thread, sizeof thread);
  if (write (STDERR_FILENO, header, sizeof header - 1) < 0 ||
      write (STDERR_FILENO, thread, strlen (thread)) < 0 ||
      write (STDERR_FILENO, ":\n", 2) < 0)
    {
      /* Nothing better to do in a signal handler. */
    }
#ifdef __SANITIZE_ADDRESS__
  /* Symbolized; not async-signal-safe, but the process is ending anyway. */
  __sanitizer_print_stack_trace ();
#else
  {
    void *frames[64];
    int n = backtrace (frames, G_N_ELEMENTS (frames));

    backtrace_symbols_fd (frames, n, STDERR_FILENO);
  }
#endif
  signal (signum, SIG_DFL);
  raise (signum);
}

static void
print_traps (void)
{
  void *frame;
  struct sigaction action = { 0 };

  backtrace (&frame, 1);
  action.sa_handler = on_trap;
  sigemptyset (&action.sa_mask);
  action.sa_flags = SA_RESETHAND;
  sigaction (SIGTRAP, &action, NULL);
}

void
hc_test_tolerate_gstreamer_bugs (void)
{
  print_traps ();
  g_test_log_set_fatal_handler (is_fatal, NULL);
  previous_handler = g_log_set_default_handler (log_handler, NULL);
  previous_handler_data = NULL;
}

guint
hc_test_tolerated_criticals (void)
{
  return (guint) g_atomic_int_get (&tolerated_criticals);
}

static void
on_room_created (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  guint *status = user_data;
  g_autoptr(GBytes) body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, NULL);
  SoupMessage *message = soup_session_get_async_result_message (SOUP_SESSION (source), result);

  *status = message != NULL ? soup_message_get_status (message) : 1;
}

static gboolean
status_known (gpointer user_data)
{
  return *(guint *) user_data != 0;
}

guint
hc_test_server_create_room (HcTestServer *server,
                            const char   *unique_name,
                            const char   *video_codec)
{
  g_autoptr(SoupSession) session = soup_session_new ();
  g_autofree char *url = g_strdup_printf ("%s/v1/Rooms", server->url);
  g_autoptr(SoupMessage) message = soup_message_new ("POST", url);
  g_autofree char *form = soup_form_encode ("UniqueName", unique_name, "VideoCodecs", video_codec,
                                            NULL);
  g_autoptr(GBytes) body = g_bytes_new (form, strlen (form));
  g_autofree char *credentials = g_strdup_printf ("%s:%s", server->api_key_sid,
                                                  server->api_key_secret);
  g_autofree char *encoded = g_base64_encode ((const guchar *) credentials, strlen (credentials));
  g_autofree char *authorization = g_strdup_printf ("Basic %s", encoded);
  guint status = 0;

  soup_message_headers_replace (soup_message_get_request_headers (message), "Authorization",
                                authorization);
  soup_message_set_request_body_from_bytes (message, "application/x-www-form-urlencoded", body);
  soup_session_send_and_read_async (session, message, G_PRIORITY_DEFAULT, NULL, on_room_created,
                                    &status);
  hc_test_wait_until (status_known, &status, 10000);
  return status;
}
