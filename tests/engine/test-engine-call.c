/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "engine-test-util.h"
#include "hc-video-paintable.h"

#include <gst/gst.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Calls through a real housecalld and Janus: two engines see and hear each other (in
 * VP8 simulcast and H.264 rooms), switch devices mid-call, and leave nothing behind. */

static HcTestServer *server;

static char *
unique_room (const char *prefix)
{
  return g_strdup_printf ("%s-%08x", prefix, g_random_int ());
}

/* Tests */

static void
test_two_way (void)
{
  g_autofree char *room = unique_room ("two-way");
  g_autoptr(GError) error = NULL;
  HcCallEngine *alice = hc_test_engine_new (HC_CAPTURE_PROFILE_360P);
  HcCallEngine *bob = hc_test_engine_new (HC_CAPTURE_PROFILE_TEST_PATTERN_360P);
  g_autofree char *alice_sid = NULL;
  g_autofree char *bob_sid = NULL;
  HcRemoteParticipant *alice_at_bob;
  GListModel *participants;

  /* Alice has a "camera" and a "microphone" (generated ones, through the device path). */
  g_object_set (alice, "camera-device", "test:ball", "microphone-device", "test:440", NULL);
  g_assert_true (hc_test_join (alice, server, "alice", room, &error));
  g_assert_no_error (error);
  g_assert_cmpint (hc_call_engine_get_state (alice), ==, HC_CALL_STATE_IN_CALL);
  g_assert_true (hc_call_engine_get_published_simulcast (alice));
  alice_sid = g_strdup (hc_call_engine_get_local_sid (alice));
  g_assert_true (g_str_has_prefix (alice_sid, "PA"));

  g_assert_true (hc_test_join (bob, server, "bob", room, &error));
  g_assert_no_error (error);
  g_assert_true (hc_call_engine_get_published_simulcast (bob));
  bob_sid = g_strdup (hc_call_engine_get_local_sid (bob));

  /* Bob saw Alice in `joined`; Alice hears of Bob from participant-connected. */
  participants = hc_call_engine_get_participants (bob);
  g_assert_cmpuint (g_list_model_get_n_items (participants), ==, 1);
  alice_at_bob = hc_test_find (bob, alice_sid);
  g_assert_nonnull (alice_at_bob);
  g_assert_cmpstr (hc_remote_participant_get_identity (alice_at_bob), ==, "alice");
  g_assert_true (hc_call_engine_get_featured_participant (bob) == alice_at_bob);

  /* Each decodes the other; the only remote participant is featured, so on the high
   * layer: the full 640 pixels of a 360p camera. */
  g_assert_true (hc_test_wait_for_video (bob, alice_sid, 24, 640, 20000));
  g_assert_true (hc_test_wait_for_video (alice, bob_sid, 24, 640, 20000));
  g_assert_cmpint (hc_remote_participant_get_substream (alice_at_bob), ==, 2);
  g_assert_cmpint (hc_remote_participant_get_subscription_state (alice_at_bob), ==,
                   HC_MEDIA_STATE_CONNECTED);
  g_assert_cmpuint (hc_video_paintable_get_frame_count (
                      HC_VIDEO_PAINTABLE (hc_call_engine_get_local_preview (alice))), >, 0);
  g_assert_cmpint (gdk_paintable_get_intrinsic_width (hc_call_engine_get_local_preview (alice)),
                   ==, 320);
  if (g_getenv ("HC_TEST_STATS") != NULL)
    {
      hc_call_engine_log_stats (alice);
      hc_call_engine_log_stats (bob);
      hc_test_sleep (300);
    }

  /* Alice switches cameras and microphones mid-call: Bob keeps seeing her. */
  g_object_set (alice, "camera-device", "test:smpte", "microphone-device", "test:880", NULL);
  hc_test_sleep (500);
  g_assert_true (hc_test_wait_for_video (bob, alice_sid, 24, 640, 10000));
  g_assert_cmpint (hc_call_engine_get_state (alice), ==, HC_CALL_STATE_IN_CALL);

  hc_test_leave (bob);
  hc_test_leave (alice);
  g_assert_finalize_object (bob);
  g_assert_finalize_object (alice);
}

/* A room created through the REST API with VideoCodecs=H264: one H.264 encoding each,
 * decoded on the other side. */
static void
test_h264_room (void)
{
  g_autofree char *room = unique_room ("h264");
  g_autoptr(GError) error = NULL;
  HcCallEngine *alice = hc_test_engine_new (HC_CAPTURE_PROFILE_TEST_PATTERN_360P);
  HcCallEngine *bob = hc_test_engine_new (HC_CAPTURE_PROFILE_TEST_PATTERN_360P);
  g_autofree char *alice_sid = NULL;
  g_autofree char *bob_sid = NULL;
  g_autofree char *codec = NULL;

  if (!gst_element_factory_find ("openh264enc") && !gst_element_factory_find ("x264enc"))
    {
      g_test_skip ("no H.264 encoder installed");
      return;
    }
  g_assert_cmpuint (hc_test_server_create_room (server, room, "H264"), ==, 201);
  g_assert_true (hc_test_join (alice, server, "alice", room, &error));
  g_assert_no_error (error);
  g_object_get (alice, "video-codec", &codec, NULL);
  g_assert_cmpstr (codec, ==, "H264");
  g_assert_false (hc_call_engine_get_published_simulcast (alice));
  g_assert_true (hc_test_join (bob, server, "bob", room, &error));
  g_assert_no_error (error);
  alice_sid = g_strdup (hc_call_engine_get_local_sid (alice));
  bob_sid = g_strdup (hc_call_engine_get_local_sid (bob));
  g_assert_true (hc_test_wait_for_video (bob, alice_sid, 24, 640, 20000));
  g_assert_true (hc_test_wait_for_video (alice, bob_sid, 24, 640, 20000));

  hc_test_leave (bob);
  hc_test_leave (alice);
  g_assert_finalize_object (bob);
  g_assert_finalize_object (alice);
}

/* Leaving */

static gboolean
has_no_participants (gpointer user_data)
{
  return g_list_model_get_n_items (hc_call_engine_get_participants (user_data)) == 0;
}

typedef struct
{
  HcTestServer *server;
  const char   *gone;
  const char   *kept;
} JanusWait;

static gboolean
janus_publishers_are (gpointer user_data)
{
  JanusWait *wait = user_data;
  g_auto(GStrv) publishers = hc_test_server_janus_publishers (wait->server);

  return publishers != NULL &&
         (wait->gone == NULL || !g_strv_contains ((const char * const *) publishers, wait->gone)) &&
         (wait->kept == NULL || g_strv_contains ((const char * const *) publishers, wait->kept));
}

/* Our children: only housecalld may be one. */
static guint
count_child_processes (void)
{
  g_autoptr(GDir) proc = g_dir_open ("/proc", 0, NULL);
  const char *name;
  guint n = 0;

  while ((name = g_dir_read_name (proc)) != NULL)
    {
      g_autofree char *path = NULL;
      g_autofree char *stat = NULL;
      const char *close_paren;
      int ppid = 0;

      if (!g_ascii_isdigit (*name))
        continue;
      path = g_build_filename ("/proc", name, "stat", NULL);
      if (!g_file_get_contents (path, &stat, NULL, NULL) ||
          (close_paren = strrchr (stat, ')')) == NULL)
        continue;
      if (sscanf (close_paren + 2, "%*c %d", &ppid) == 1 && ppid == getpid ())
        n++;
    }
  return n;
}

static void
test_leave (void)
{
  g_autofree char *room = unique_room ("leave");
  g_autoptr(GError) error = NULL;
  HcCallEngine *alice = hc_test_engine_new (HC_CAPTURE_PROFILE_TEST_PATTERN_360P);
  HcCallEngine *bob = hc_test_engine_new (HC_CAPTURE_PROFILE_TEST_PATTERN_360P);
  g_autofree char *alice_sid = NULL;
  g_autofree char *bob_sid = NULL;
  GWeakRef alice_ref;
  JanusWait janus;

  g_assert_true (hc_test_join (alice, server, "alice", room, &error));
  g_assert_true (hc_test_join (bob, server, "bob", room, &error));
  g_assert_no_error (error);
  alice_sid = g_strdup (hc_call_engine_get_local_sid (alice));
  bob_sid = g_strdup (hc_call_engine_get_local_sid (bob));
  g_assert_true (hc_test_wait_for_video (bob, alice_sid, 12, 0, 20000));
  g_assert_true (hc_test_wait_for_video (alice, bob_sid, 12, 0, 20000));
  janus = (JanusWait) { server, NULL, bob_sid };
  g_assert_true (hc_test_wait_until (janus_publishers_are, &janus, 5000));

  /* Bob leaves: Alice hears of it, Janus forgets Bob's publisher, Bob's engine goes. */
  hc_test_leave (bob);
  g_assert_cmpint (hc_call_engine_get_state (bob), ==, HC_CALL_STATE_ENDED);
  g_assert_cmpint (hc_call_engine_get_end_reason (bob), ==, HC_END_REASON_LEFT);
  g_assert_finalize_object (bob);
  g_assert_true (hc_test_wait_until (has_no_participants, alice, 5000));
  janus = (JanusWait) { server, bob_sid, alice_sid };
  g_assert_true (hc_test_wait_until (janus_publishers_are, &janus, 5000));

  /* Alice's window closes mid-call without leaving: dropping the engine tears it all
   * down, and the server sees her go. */
  g_weak_ref_init (&alice_ref, alice);
  g_object_unref (alice);
  hc_test_sleep (200);
  g_assert_null (g_weak_ref_get (&alice_ref));
  g_weak_ref_clear (&alice_ref);
  janus = (JanusWait) { server, alice_sid, NULL };
  g_assert_true (hc_test_wait_until (janus_publishers_are, &janus, 10000));

  /* The engine starts no process of its own: housecalld is our only child. */
  g_assert_cmpuint (count_child_processes (), ==, 1);
}

int
main (int   argc,
      char *argv[])
{
  int status;

  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  hc_test_quiet_debug ();
  hc_test_tolerate_gstreamer_bugs ();

  g_test_add_func ("/engine/call/two-way", test_two_way);
  g_test_add_func ("/engine/call/h264-room", test_h264_room);
  g_test_add_func ("/engine/call/leave", test_leave);

  server = hc_test_server_start ();
  status = g_test_run ();
  if (hc_test_tolerated_criticals () > 0)
    g_print ("# tolerated GStreamer's rtpsession critical %u time(s)\n",
             hc_test_tolerated_criticals ());
  if (status != 0)
    hc_test_server_print_log_tail (server, 60);
  hc_test_server_stop (server);
  gst_deinit ();
  return status;
}
