/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "engine-test-util.h"

#include <gst/gst.h>
#include <signal.h>

/* Calls that lose something on the way: the media server, or the signaling socket. */

static HcTestServer *server;

static char *
unique_room (const char *prefix)
{
  return g_strdup_printf ("%s-%08x", prefix, g_random_int ());
}

static gboolean
in_call (gpointer user_data)
{
  return hc_call_engine_get_state (user_data) == HC_CALL_STATE_IN_CALL;
}

static gboolean
janus_running (gpointer user_data)
{
  GPid *old = user_data;
  GPid pid = hc_test_server_janus_pid (server);

  return pid != 0 && pid != *old;
}

static void
test_media_restart (void)
{
  g_autofree char *room = unique_room ("restart");
  g_autoptr(GError) error = NULL;
  HcCallEngine *alice = hc_test_engine_new (HC_CAPTURE_PROFILE_TEST_PATTERN_360P);
  HcCallEngine *bob = hc_test_engine_new (HC_CAPTURE_PROFILE_TEST_PATTERN_360P);
  g_autofree char *alice_sid = NULL;
  g_autofree char *bob_sid = NULL;
  GPid janus;
  gint64 killed;

  g_assert_true (hc_test_join (alice, server, "alice", room, &error));
  g_assert_true (hc_test_join (bob, server, "bob", room, &error));
  g_assert_no_error (error);
  alice_sid = g_strdup (hc_call_engine_get_local_sid (alice));
  bob_sid = g_strdup (hc_call_engine_get_local_sid (bob));
  g_assert_true (hc_test_wait_for_video (bob, alice_sid, 12, 640, 20000));
  g_assert_true (hc_test_wait_for_video (alice, bob_sid, 12, 640, 20000));

  /* The media server dies: housecalld restarts it and says media-restarted; both
   * publish and subscribe again by themselves, keeping their participants. */
  janus = hc_test_server_janus_pid (server);
  g_assert_cmpint (janus, >, 0);
  g_assert_cmpint (kill (janus, SIGKILL), ==, 0);
  killed = g_get_monotonic_time ();

  g_assert_true (hc_test_wait_until (janus_running, &janus, 20000));
  g_assert_true (hc_test_wait_for_video (bob, alice_sid, 12, 640, 30000));
  g_assert_true (hc_test_wait_for_video (alice, bob_sid, 12, 640, 30000));
  g_test_message ("both decoding again %.1f s after Janus was killed",
                  (g_get_monotonic_time () - killed) / 1e6);
  g_assert_true (hc_test_wait_until (in_call, alice, 5000));
  g_assert_true (hc_test_wait_until (in_call, bob, 5000));
  g_assert_true (hc_call_engine_get_published_simulcast (alice));
  /* Same room, same participants. */
  g_assert_cmpstr (hc_call_engine_get_local_sid (alice), ==, alice_sid);
  g_assert_nonnull (hc_call_engine_find_participant (alice, bob_sid));

  hc_test_leave (bob);
  hc_test_leave (alice);
  g_assert_finalize_object (bob);
  g_assert_finalize_object (alice);
}

typedef struct
{
  HcCallEngine *engine;
  const char   *old_sid;
} ReconnectWait;

static gboolean
rejoined (gpointer user_data)
{
  ReconnectWait *wait = user_data;
  const char *sid = hc_call_engine_get_local_sid (wait->engine);

  return hc_call_engine_get_state (wait->engine) == HC_CALL_STATE_IN_CALL && sid != NULL &&
         g_strcmp0 (sid, wait->old_sid) != 0;
}

typedef struct
{
  HcCallEngine *engine;
  const char   *gone;
  const char   *present;
} SeeWait;

static gboolean
sees (gpointer user_data)
{
  SeeWait *wait = user_data;

  return hc_call_engine_find_participant (wait->engine, wait->gone) == NULL &&
         hc_call_engine_find_participant (wait->engine, wait->present) != NULL;
}

static void
test_reconnect (void)
{
  g_autofree char *room = unique_room ("reconnect");
  g_autoptr(GError) error = NULL;
  HcCallEngine *alice = hc_test_engine_new (HC_CAPTURE_PROFILE_TEST_PATTERN_360P);
  HcCallEngine *bob = hc_test_engine_new (HC_CAPTURE_PROFILE_TEST_PATTERN_360P);
  g_autofree char *alice_sid = NULL;
  g_autofree char *bob_sid = NULL;
  const char *new_bob_sid;
  ReconnectWait reconnect;
  SeeWait see;
  gint64 dropped;

  g_assert_true (hc_test_join (alice, server, "alice", room, &error));
  g_assert_true (hc_test_join (bob, server, "bob", room, &error));
  g_assert_no_error (error);
  alice_sid = g_strdup (hc_call_engine_get_local_sid (alice));
  bob_sid = g_strdup (hc_call_engine_get_local_sid (bob));
  g_assert_true (hc_test_wait_for_video (alice, bob_sid, 12, 640, 20000));

  /* Bob's socket drops: the server takes it for a departure; Bob's engine reconnects,
   * authenticates with the same token, joins again (a new participant SID) and
   * publishes; Alice sees the old Bob go and the new one come. */
  hc_call_engine_simulate_connection_loss (bob);
  dropped = g_get_monotonic_time ();
  reconnect = (ReconnectWait) { bob, bob_sid };
  g_assert_true (hc_test_wait_until (rejoined, &reconnect, 30000));
  new_bob_sid = hc_call_engine_get_local_sid (bob);
  see = (SeeWait) { alice, bob_sid, new_bob_sid };
  g_assert_true (hc_test_wait_until (sees, &see, 10000));
  g_assert_true (hc_test_wait_for_video (alice, new_bob_sid, 12, 640, 20000));
  g_assert_true (hc_test_wait_for_video (bob, alice_sid, 12, 640, 20000));
  g_test_message ("both decoding again %.1f s after Bob's socket dropped",
                  (g_get_monotonic_time () - dropped) / 1e6);

  hc_test_leave (bob);
  hc_test_leave (alice);
  g_assert_finalize_object (bob);
  g_assert_finalize_object (alice);
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

  g_test_add_func ("/engine/recovery/media-restart", test_media_restart);
  g_test_add_func ("/engine/recovery/reconnect", test_reconnect);

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
