/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "hc-call-engine.h"
#include "hc-network-quality.h"
#include "hc-network-stats.h"
#include "hc-remote-participant-private.h"

#include <gst/gst.h>
#include <gst/webrtc/webrtc.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

/* The console's side of the network-quality fixtures
 * (tests/fixtures/network-quality/scoring.json): every case that names a
 * recorded webrtcbin file is two snapshots of the publisher's and of one
 * subscription's webrtcbin statistics, recorded by tests/browser/network-quality.test.mjs
 * (HC_RECORD_FIXTURES=1) from the engine in a real call. Turned into scoring inputs
 * by src/console/engine/hc-network-stats.c, they must give the case's input, which
 * the C and the JavaScript scoring tests then pin to its level and reason.
 *
 * Run with a file as the only argument, it prints the input it extracts (to record
 * a new case). */

static char *
fixture_path (const char *name)
{
  const char *dir = g_getenv ("HC_FIXTURES_DIR");

  g_assert_nonnull (dir);
  return g_build_filename (dir, name, NULL);
}

typedef struct
{
  GstStructure *publisher[2];
  GstStructure *subscriber[2];
} Recording;

static void
recording_clear (Recording *recording)
{
  for (int i = 0; i < 2; i++)
    {
      g_clear_pointer (&recording->publisher[i], gst_structure_free);
      g_clear_pointer (&recording->subscriber[i], gst_structure_free);
    }
}

/* Lines "publisher: <structure>" and "subscriber: <structure>", two of each, oldest first. */
static void
load_recording (const char *path,
                Recording  *recording)
{
  g_autofree char *text = NULL;
  g_auto(GStrv) lines = NULL;
  g_autoptr(GError) error = NULL;
  int n_pub = 0, n_sub = 0;

  g_file_get_contents (path, &text, NULL, &error);
  g_assert_no_error (error);
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      const char *colon = strstr (lines[i], ": ");
      GstStructure *stats;

      if (colon == NULL)
        continue;
      stats = gst_structure_from_string (colon + 2, NULL);
      g_assert_nonnull (stats);
      if (g_str_has_prefix (lines[i], "publisher") && n_pub < 2)
        recording->publisher[n_pub++] = stats;
      else if (g_str_has_prefix (lines[i], "subscriber") && n_sub < 2)
        recording->subscriber[n_sub++] = stats;
      else
        gst_structure_free (stats);
    }
  g_assert_cmpint (n_pub, ==, 2);
  g_assert_cmpint (n_sub, ==, 2);
}

static void
extract (const Recording       *recording,
         double                 expected_video_bps,
         gboolean               video_active,
         HcNetworkQualityInput *input)
{
  HcRecvAccumulator acc;
  g_autoptr(GArray) tracks = g_array_new (FALSE, TRUE, sizeof (HcTrackStats));

  hc_network_quality_input_init (input);
  hc_network_stats_add_send (recording->publisher[0], recording->publisher[1], expected_video_bps,
                             video_active, input, tracks);
  hc_network_stats_recv_begin (&acc);
  hc_network_stats_add_recv (&acc, recording->subscriber[0], recording->subscriber[1], tracks);
  hc_network_stats_recv_end (&acc, input);
  /* Every stream a track of the diagnostics, with what it carried. */
  g_assert_cmpuint (tracks->len, >, 0);
  for (guint i = 0; i < tracks->len; i++)
    {
      HcTrackStats *track = &g_array_index (tracks, HcTrackStats, i);

      g_assert_true (g_str_equal (track->direction, "send") || g_str_equal (track->direction, "recv"));
      g_assert_true (g_str_equal (track->kind, "audio") || g_str_equal (track->kind, "video"));
      g_assert_cmpfloat (track->bitrate_bps, >=, 0);
      hc_track_stats_clear (track);
    }
}

static void
assert_close (const char *what,
              double      got,
              double      expected)
{
  /* The fixture holds the numbers rounded as JSON writes them. */
  if (fabs (got - expected) > 1e-6 * MAX (1.0, fabs (expected)))
    g_error ("%s: extracted %.9g, the fixture says %.9g", what, got, expected);
}

static void
test_recorded (gconstpointer data)
{
  JsonObject *fixture_case = (JsonObject *) data;
  JsonObject *spec = json_object_get_object_member (fixture_case, "webrtcbin");
  g_autofree char *path = fixture_path (json_object_get_string_member (spec, "file"));
  HcNetworkQualityInput got, want;
  HcNetworkQualityResult result;
  Recording recording = { 0 };
  g_autoptr(GError) error = NULL;

  load_recording (path, &recording);
  extract (&recording, json_object_get_double_member (spec, "expected_video_bps"),
           json_object_get_boolean_member (spec, "video_active"), &got);
  recording_clear (&recording);

  hc_network_quality_input_from_json (json_object_get_object_member (fixture_case, "input"), &want,
                                      &error);
  g_assert_no_error (error);
  g_assert_cmpint (got.connected, ==, want.connected);
  for (int k = 0; k < HC_NETWORK_QUALITY_N_KINDS; k++)
    for (int d = 0; d < HC_NETWORK_QUALITY_N_DIRECTIONS; d++)
      {
        const HcNetworkQualityStats *g = &got.stats[k][d];
        const HcNetworkQualityStats *w = &want.stats[k][d];
        g_autofree char *where = g_strdup_printf ("%s %s", k ? "video" : "audio", d ? "recv" : "send");

        g_assert_cmpint (g->active, ==, w->active);
        if (!w->active)
          continue;
        assert_close (where, g->expected_bps, w->expected_bps);
        assert_close (where, round (g->achieved_bps), w->achieved_bps);
        assert_close (where, g->available_bps, w->available_bps);
        assert_close (where, round (g->fraction_lost * 10000) / 10000, w->fraction_lost);
        assert_close (where, round (g->rtt_ms), w->rtt_ms);
        assert_close (where, round (g->jitter_ms), w->jitter_ms);
      }

  /* And the score the shared fixture pins. */
  hc_network_quality_score (&got, &result);
  g_assert_cmpint (result.level, ==,
                   json_object_get_int_member (json_object_get_object_member (fixture_case, "expect"),
                                               "level"));
}

static void
test_kind_from_clock_rate (void)
{
  /* webrtcbin 1.22 labels every stream of a bundle "audio": the RTP source's clock
   * rate decides. */
  g_autoptr(GstStructure) before = gst_structure_from_string (
    "application/x-webrtc-stats, "
    "out=(structure)\"outbound-rtp\\,\\ timestamp\\=\\(double\\)1000\\,\\ ssrc\\=\\(uint\\)7\\,\\ kind\\=\\(string\\)audio\\,\\ "
    "bytes-sent\\=\\(guint64\\)0\\,\\ packets-sent\\=\\(guint64\\)0\\,\\ "
    "gst-rtpsource-stats\\=\\(structure\\)\\\"application/x-rtp-source-stats\\\\\\,\\\\\\ clock-rate\\\\\\=\\\\\\(int\\\\\\)90000\\\\\\;\\\"\\;\";",
    NULL);
  g_autoptr(GstStructure) after = gst_structure_from_string (
    "application/x-webrtc-stats, "
    "out=(structure)\"outbound-rtp\\,\\ timestamp\\=\\(double\\)3000\\,\\ ssrc\\=\\(uint\\)7\\,\\ kind\\=\\(string\\)audio\\,\\ "
    "bytes-sent\\=\\(guint64\\)250000\\,\\ packets-sent\\=\\(guint64\\)250\\,\\ "
    "gst-rtpsource-stats\\=\\(structure\\)\\\"application/x-rtp-source-stats\\\\\\,\\\\\\ clock-rate\\\\\\=\\\\\\(int\\\\\\)90000\\\\\\;\\\"\\;\";",
    NULL);
  HcNetworkQualityInput input;

  g_assert_nonnull (before);
  g_assert_nonnull (after);
  hc_network_quality_input_init (&input);
  hc_network_stats_add_send (before, after, 2000000, TRUE, &input, NULL);
  g_assert_false (input.stats[HC_NETWORK_QUALITY_KIND_AUDIO][HC_NETWORK_QUALITY_SEND].active);
  g_assert_true (input.stats[HC_NETWORK_QUALITY_KIND_VIDEO][HC_NETWORK_QUALITY_SEND].active);
  /* 250 000 bytes in 2 s. */
  g_assert_cmpfloat (input.stats[HC_NETWORK_QUALITY_KIND_VIDEO][HC_NETWORK_QUALITY_SEND].achieved_bps,
                     ==, 1000000);
  /* Video off: not scored, whatever the stats say. */
  hc_network_quality_input_init (&input);
  hc_network_stats_add_send (before, after, 2000000, FALSE, &input, NULL);
  g_assert_false (input.stats[HC_NETWORK_QUALITY_KIND_VIDEO][HC_NETWORK_QUALITY_SEND].active);
}

static void
test_missing_snapshots (void)
{
  HcNetworkQualityInput input;
  HcRecvAccumulator acc;

  hc_network_quality_input_init (&input);
  hc_network_stats_add_send (NULL, NULL, 1000, TRUE, &input, NULL);
  hc_network_stats_recv_begin (&acc);
  hc_network_stats_add_recv (&acc, NULL, NULL, NULL);
  hc_network_stats_recv_end (&acc, &input);
  for (int k = 0; k < HC_NETWORK_QUALITY_N_KINDS; k++)
    for (int d = 0; d < HC_NETWORK_QUALITY_N_DIRECTIONS; d++)
      g_assert_false (input.stats[k][d].active);
  g_assert_null (hc_network_stats_candidate_type (NULL));
}

static void
test_engine_properties (void)
{
  /* What a stage binds to, before any call: nothing known, nothing wrong. */
  HcCallEngine *engine = hc_call_engine_new ();
  g_autofree char *description = NULL;
  g_autoptr(GVariant) diagnostics = NULL;
  gboolean reconnecting = TRUE;
  int level = 0, reason = -1;

  g_object_get (engine, "network-quality-level", &level, "network-quality-reason", &reason,
                "network-quality-description", &description, "diagnostics", &diagnostics,
                "reconnecting", &reconnecting, NULL);
  g_assert_cmpint (level, ==, -1);
  g_assert_cmpint (reason, ==, HC_NETWORK_QUALITY_REASON_NONE);
  g_assert_null (description);
  g_assert_null (diagnostics);
  g_assert_false (reconnecting);
  g_assert_cmpint (hc_call_engine_get_network_quality_level (engine), ==, -1);
  g_assert_null (hc_call_engine_get_diagnostics (engine));
  g_assert_finalize_object (engine);
}

static void
count_notify (GObject    *object,
              GParamSpec *pspec,
              gpointer    user_data)
{
  (*(guint *) user_data)++;
}

static void
test_remote_properties (void)
{
  HcRemoteParticipant *p = hc_remote_participant_new ("PA1", "pat");
  guint level_notifies = 0, reason_notifies = 0, audio_only_notifies = 0;
  int reason = -1;

  g_signal_connect (p, "notify::network-quality-level", G_CALLBACK (count_notify), &level_notifies);
  g_signal_connect (p, "notify::network-quality-reason", G_CALLBACK (count_notify), &reason_notifies);
  g_signal_connect (p, "notify::audio-only", G_CALLBACK (count_notify), &audio_only_notifies);
  g_assert_cmpint (hc_remote_participant_get_network_quality_level (p), ==, -1);
  g_assert_null (hc_remote_participant_get_network_quality_description (p));

  hc_remote_participant_set_network_quality (p, 2, HC_NETWORK_QUALITY_REASON_SEND_BANDWIDTH, TRUE);
  g_assert_cmpint (hc_remote_participant_get_network_quality_level (p), ==, 2);
  g_assert_cmpint (hc_remote_participant_get_network_quality (p), ==, 2);
  g_object_get (p, "network-quality-reason", &reason, NULL);
  g_assert_cmpint (reason, ==, HC_NETWORK_QUALITY_REASON_SEND_BANDWIDTH);
  g_assert_nonnull (strstr (hc_remote_participant_get_network_quality_description (p), "pat"));
  g_assert_true (hc_remote_participant_get_audio_only (p));
  /* The same again: no notification (the properties are EXPLICIT_NOTIFY). */
  hc_remote_participant_set_network_quality (p, 2, HC_NETWORK_QUALITY_REASON_SEND_BANDWIDTH, TRUE);
  g_assert_cmpuint (level_notifies, ==, 1);
  g_assert_cmpuint (reason_notifies, ==, 1);
  g_assert_cmpuint (audio_only_notifies, ==, 1);

  hc_remote_participant_set_network_quality (p, 5, HC_NETWORK_QUALITY_REASON_NONE, FALSE);
  g_assert_null (hc_remote_participant_get_network_quality_description (p));
  g_assert_false (hc_remote_participant_get_audio_only (p));
  g_assert_finalize_object (p);
}

static void
test_has_recordings (gconstpointer data)
{
  /* A clean call and one under impairment, at least. */
  g_assert_cmpuint (GPOINTER_TO_UINT (data), >=, 2);
}

static void
print_extracted (const char *path)
{
  Recording recording = { 0 };
  HcNetworkQualityInput input;
  HcNetworkQualityResult result;
  static const char *const kinds[] = { "audio", "video" };
  static const char *const dirs[] = { "send", "recv" };

  load_recording (path, &recording);
  extract (&recording, 0, TRUE, &input);
  recording_clear (&recording);
  hc_network_quality_score (&input, &result);
  g_print ("{\"connected\":true");
  for (int k = 0; k < 2; k++)
    {
      gboolean any = FALSE;

      for (int d = 0; d < 2; d++)
        {
          const HcNetworkQualityStats *s = &input.stats[k][d];

          if (!s->active)
            continue;
          g_print (any ? "," : ",\"%s\":{", kinds[k]);
          any = TRUE;
          g_print ("\"%s\":{\"expected_bps\":%.0f,\"achieved_bps\":%.0f", dirs[d], s->expected_bps,
                   round (s->achieved_bps));
          if (s->fraction_lost >= 0)
            g_print (",\"fraction_lost\":%g", round (s->fraction_lost * 10000) / 10000);
          if (s->rtt_ms >= 0)
            g_print (",\"rtt_ms\":%.0f", round (s->rtt_ms));
          if (s->jitter_ms >= 0)
            g_print (",\"jitter_ms\":%.0f", round (s->jitter_ms));
          g_print ("}");
        }
      if (any)
        g_print ("}");
    }
  g_print ("}\nlevel %d %s\n", result.level, hc_network_quality_reason_to_string (result.reason));
}

int
main (int argc, char **argv)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autofree char *scoring = NULL;
  g_autoptr(GError) error = NULL;
  JsonArray *cases;
  guint n_recorded = 0;

  gst_init (NULL, NULL);
  g_type_ensure (GST_TYPE_WEBRTC_STATS_TYPE);
  if (argc == 2 && argv[1][0] != '-')
    {
      print_extracted (argv[1]);
      return 0;
    }
  g_test_init (&argc, &argv, NULL);

  scoring = fixture_path ("scoring.json");
  json_parser_load_from_file (parser, scoring, &error);
  g_assert_no_error (error);
  cases = json_object_get_array_member (json_node_get_object (json_parser_get_root (parser)), "cases");
  for (guint i = 0; i < json_array_get_length (cases); i++)
    {
      JsonObject *fixture_case = json_array_get_object_element (cases, i);
      g_autofree char *name = NULL;

      if (!json_object_has_member (fixture_case, "webrtcbin"))
        continue;
      name = g_strdup_printf ("/network-stats/recorded/%u", n_recorded++);
      g_test_add_data_func (name, fixture_case, test_recorded);
    }
  g_test_add_func ("/network-stats/kind-from-clock-rate", test_kind_from_clock_rate);
  g_test_add_func ("/network-stats/missing-snapshots", test_missing_snapshots);
  g_test_add_func ("/network-stats/engine-properties", test_engine_properties);
  g_test_add_func ("/network-stats/remote-properties", test_remote_properties);
  g_test_add_data_func ("/network-stats/fixture-has-recordings", GUINT_TO_POINTER (n_recorded),
                        test_has_recordings);
  return g_test_run ();
}
