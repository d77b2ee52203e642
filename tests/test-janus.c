/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "hc-janus-process.h"
#include "hc-janus.h"
#include "hc-media-room.h"
#include "hc-media.h"
#include "hc-sid.h"

#include <glib/gstdio.h>
#include <signal.h>

/* Runs a real Janus the way housecalld does: private config, supervision,
 * restart after SIGKILL, and a VideoRoom created over the API. */

typedef struct
{
  char           *dir;
  HcJanusProcess *process;
  HcJanus        *janus;
  GMainLoop      *loop;
  guint           ready_count;
  guint           lost_count;
} Fixture;

static guint16
free_port (void)
{
  g_autoptr(GSocket) socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                                            G_SOCKET_PROTOCOL_TCP, NULL);
  g_autoptr(GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (lo, 0);
  g_autoptr(GSocketAddress) bound = NULL;

  g_assert_true (g_socket_bind (socket, address, FALSE, NULL));
  bound = g_socket_get_local_address (socket, NULL);
  return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
}

static void
on_ready (HcJanus *janus,
          Fixture *f)
{
  f->ready_count++;
  g_main_loop_quit (f->loop);
}

static void
on_lost (HcJanus *janus,
         Fixture *f)
{
  f->lost_count++;
}

static void
on_process_ready (HcJanusProcess *process,
                  Fixture        *f)
{
  hc_janus_connect (f->janus);
}

static gboolean
on_timeout (gpointer user_data)
{
  g_error ("Timed out waiting for Janus");
  return G_SOURCE_REMOVE;
}

static void
run_until_ready (Fixture *f,
                 guint    count)
{
  guint timeout = g_timeout_add_seconds (30, on_timeout, NULL);

  while (f->ready_count < count)
    g_main_loop_run (f->loop);
  g_source_remove (timeout);
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *janus = g_find_program_in_path ("janus");
  HcJanusProcessOptions options = { 0 };
  guint16 port;
  g_autofree char *url = NULL;

  if (janus == NULL)
    return;
  f->dir = g_dir_make_tmp ("hc-janus-XXXXXX", &error);
  g_assert_no_error (error);
  port = free_port ();
  options.work_dir = f->dir;
  options.ws_port = port;
  options.secret = "test-secret-0123456789";
  options.rtp_port_range = "30000-30100";
  f->loop = g_main_loop_new (NULL, FALSE);
  f->process = hc_janus_process_new (&options);
  url = hc_janus_process_dup_url (f->process);
  f->janus = hc_janus_new (url, options.secret);
  g_signal_connect (f->janus, "ready", G_CALLBACK (on_ready), f);
  g_signal_connect (f->janus, "lost", G_CALLBACK (on_lost), f);
  g_signal_connect (f->process, "ready", G_CALLBACK (on_process_ready), f);
  g_assert_true (hc_janus_process_start (f->process, &error));
  g_assert_no_error (error);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  g_autofree char *rm = NULL;

  if (f->process == NULL)
    return;
  g_signal_handlers_disconnect_by_data (f->janus, f);
  g_signal_handlers_disconnect_by_data (f->process, f);
  hc_janus_disconnect (f->janus);
  /* Let finished requests deliver their results. */
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_finalize_object (f->janus);
  hc_janus_process_stop (f->process);
  /* The cancelled wait for the child still holds a reference. */
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_finalize_object (f->process);
  g_main_loop_unref (f->loop);
  rm = g_strdup_printf ("rm -rf '%s'", f->dir);
  g_spawn_command_line_sync (rm, NULL, NULL, NULL, NULL);
  g_free (f->dir);
}

static void
on_attached (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  guint64 *handle = user_data;

  *handle = hc_janus_attach_finish (HC_JANUS (source), result, NULL);
}

static void
on_message (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  JsonObject **reply = user_data;

  *reply = hc_janus_message_finish (HC_JANUS (source), result, NULL);
  if (*reply == NULL)
    *reply = json_object_new ();
}

static JsonObject *
request (Fixture    *f,
         guint64     handle,
         JsonObject *body)
{
  JsonObject *reply = NULL;
  guint timeout = g_timeout_add_seconds (15, on_timeout, NULL);

  hc_janus_message_async (f->janus, handle, body, NULL, NULL, on_message, &reply);
  while (reply == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (timeout);
  return reply;
}

static guint64
attach (Fixture *f)
{
  guint64 handle = G_MAXUINT64;
  guint timeout = g_timeout_add_seconds (15, on_timeout, NULL);

  hc_janus_attach_async (f->janus, NULL, on_attached, &handle);
  while (handle == G_MAXUINT64)
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (timeout);
  return handle;
}

static void
test_room_and_restart (Fixture       *f,
                       gconstpointer  data)
{
  g_autoptr(JsonObject) create = json_object_new ();
  g_autoptr(JsonObject) created = NULL;
  g_autoptr(JsonObject) forbidden = json_object_new ();
  g_autoptr(JsonObject) refused = NULL;
  g_autoptr(JsonObject) exists = json_object_new ();
  g_autoptr(JsonObject) exists_reply = NULL;
  guint64 handle;
  GPid pid;

  if (f->process == NULL)
    {
      g_test_skip ("janus is not installed");
      return;
    }
  run_until_ready (f, 1);
  g_assert_true (hc_janus_is_ready (f->janus));

  handle = attach (f);
  g_assert_cmpuint (handle, !=, 0);

  /* Rooms can only be created with the admin key housecalld configured. */
  json_object_set_string_member (forbidden, "request", "create");
  json_object_set_int_member (forbidden, "room", 4242);
  refused = request (f, handle, forbidden);
  g_assert_false (json_object_has_member (refused, "videoroom"));

  json_object_set_string_member (create, "request", "create");
  json_object_set_int_member (create, "room", 4242);
  json_object_set_string_member (create, "admin_key", "test-secret-0123456789");
  json_object_set_boolean_member (create, "audiolevel_event", TRUE);
  created = request (f, handle, create);
  g_assert_cmpstr (json_object_get_string_member (created, "videoroom"), ==, "created");

  /* Kill Janus: the supervisor restarts it and the client reconnects. */
  pid = hc_janus_process_get_pid (f->process);
  g_assert_cmpint (pid, >, 0);
  g_assert_cmpint (kill (pid, SIGKILL), ==, 0);
  run_until_ready (f, 2);
  g_assert_cmpuint (f->lost_count, ==, 1);
  g_assert_cmpuint (hc_janus_process_get_restarts (f->process), ==, 1);
  g_assert_cmpint (hc_janus_process_get_pid (f->process), !=, pid);

  /* The new Janus knows nothing of the old room. */
  handle = attach (f);
  json_object_set_string_member (exists, "request", "exists");
  json_object_set_int_member (exists, "room", 4242);
  exists_reply = request (f, handle, exists);
  g_assert_false (json_object_get_boolean_member_with_default (exists_reply, "exists", TRUE));
}

static void
test_missing_binary (void)
{
  g_autoptr(GError) error = NULL;
  HcJanusProcessOptions options = { .binary = "/nonexistent/janus", .work_dir = "/tmp",
                                    .ws_port = 1, .secret = "x" };
  g_autoptr(HcJanusProcess) process = hc_janus_process_new (&options);

  g_assert_false (hc_janus_process_start (process, &error));
  g_assert_nonnull (error);
  g_assert_true (g_str_has_prefix (error->message, "janus.binary:"));
}

static void
on_process_up (HcJanusProcess *process,
               guint          *ready)
{
  (*ready)++;
}

static void
on_room_ensured (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  guint *done = user_data;
  guint64 janus_room = 0;
  g_autoptr(GError) error = NULL;

  g_assert_nonnull (hc_media_room_ensure_finish (HC_MEDIA_ROOM (source), result, &janus_room,
                                                 &error));
  g_assert_no_error (error);
  g_assert_cmpuint (janus_room, !=, 0);
  (*done)++;
}

/* External mode: two Janus servers; rooms go to the least loaded one. */
static void
test_external_placement (void)
{
  g_autofree char *janus = g_find_program_in_path ("janus");
  g_autoptr(HcConfig) config = hc_config_new ();
  g_autoptr(HcMedia) media = NULL;
  g_autoptr(GError) error = NULL;
  HcJanusProcess *processes[2];
  char *dirs[2];
  char *urls[3] = { NULL, NULL, NULL };
  HcMediaRoom *rooms[4];
  guint ready = 0, done = 0, loads[2] = { 0, 0 };
  guint timeout;

  if (janus == NULL)
    {
      g_test_skip ("janus is not installed");
      return;
    }

  for (int i = 0; i < 2; i++)
    {
      HcJanusProcessOptions options = { 0 };

      dirs[i] = g_dir_make_tmp ("hc-janus-ext-XXXXXX", NULL);
      options.work_dir = dirs[i];
      options.ws_port = free_port ();
      options.secret = "external-secret-0123456789";
      options.rtp_port_range = i == 0 ? "30200-30300" : "30400-30500";
      processes[i] = hc_janus_process_new (&options);
      g_signal_connect (processes[i], "ready", G_CALLBACK (on_process_up), &ready);
      g_assert_true (hc_janus_process_start (processes[i], &error));
      urls[i] = hc_janus_process_dup_url (processes[i]);
    }
  timeout = g_timeout_add_seconds (30, on_timeout, NULL);
  while (ready < 2)
    g_main_context_iteration (NULL, TRUE);

  g_free (config->janus_mode);
  config->janus_mode = g_strdup ("external");
  config->janus_servers = g_strdupv (urls);
  config->janus_admin_secret = g_bytes_new_static ("external-secret-0123456789", 26);
  media = hc_media_new (config);
  g_assert_true (hc_media_start (media, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (hc_media_get_n_servers (media), ==, 2);
  while (hc_media_get_n_ready (media) < 2)
    g_main_context_iteration (NULL, TRUE);

  for (int i = 0; i < 4; i++)
    {
      g_autoptr(HcRoomRecord) record = g_new0 (HcRoomRecord, 1);

      record->sid = hc_sid_new ("RM");
      record->unique_name = g_strdup_printf ("room-%d", i);
      record->video_codec = g_strdup ("VP8");
      record->max_participants = 4;
      rooms[i] = hc_media_get_room (media, record);
      /* One at a time, so that each placement sees the previous load. */
      hc_media_room_ensure_async (rooms[i], on_room_ensured, &done);
      while (done < (guint) i + 1)
        g_main_context_iteration (NULL, TRUE);
    }
  g_source_remove (timeout);

  for (int i = 0; i < 2; i++)
    loads[i] = hc_media_get_load (media, (guint) i);
  g_test_message ("rooms per Janus: %u and %u", loads[0], loads[1]);
  g_assert_cmpuint (loads[0], ==, 2);
  g_assert_cmpuint (loads[1], ==, 2);
  g_assert_true (hc_media_room_get_janus (rooms[0]) != hc_media_room_get_janus (rooms[1]));

  for (int i = 0; i < 4; i++)
    hc_media_room_finished (media, rooms[i]);
  hc_media_stop (media);
  g_clear_object (&media);
  for (int i = 0; i < 2; i++)
    {
      g_autofree char *rm = g_strdup_printf ("rm -rf '%s'", dirs[i]);

      g_signal_handlers_disconnect_by_data (processes[i], &ready);
      hc_janus_process_stop (processes[i]);
      while (g_main_context_iteration (NULL, FALSE))
        ;
      g_assert_finalize_object (processes[i]);
      g_spawn_command_line_sync (rm, NULL, NULL, NULL, NULL);
      g_free (dirs[i]);
      g_free (urls[i]);
    }
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/janus/room-and-restart", Fixture, NULL, fixture_setup, test_room_and_restart,
              fixture_teardown);
  g_test_add_func ("/janus/missing-binary", test_missing_binary);
  g_test_add_func ("/janus/external-placement", test_external_placement);
  return g_test_run ();
}
