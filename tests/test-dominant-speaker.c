/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "hc-dominant-speaker.h"

static void
test_single_speaker (void)
{
  g_autoptr(HcDominantSpeaker) ds = hc_dominant_speaker_new (1000);

  g_assert_null (hc_dominant_speaker_get (ds));
  g_assert_true (hc_dominant_speaker_set_talking (ds, "PA1", TRUE, 0));
  g_assert_cmpstr (hc_dominant_speaker_get (ds), ==, "PA1");
  /* Stopping keeps the last speaker. */
  g_assert_false (hc_dominant_speaker_set_talking (ds, "PA1", FALSE, 500));
  g_assert_cmpstr (hc_dominant_speaker_get (ds), ==, "PA1");
}

static void
test_switch_when_other_speaks (void)
{
  g_autoptr(HcDominantSpeaker) ds = hc_dominant_speaker_new (1000);

  hc_dominant_speaker_set_talking (ds, "PA1", TRUE, 0);
  /* The dominant speaker is talking: no interruption. */
  g_assert_false (hc_dominant_speaker_set_talking (ds, "PA2", TRUE, 2000));
  g_assert_cmpstr (hc_dominant_speaker_get (ds), ==, "PA1");
  /* PA1 stops: PA2 takes over. */
  g_assert_true (hc_dominant_speaker_set_talking (ds, "PA1", FALSE, 3000));
  g_assert_cmpstr (hc_dominant_speaker_get (ds), ==, "PA2");
}

static void
test_no_flapping_under_interval (void)
{
  g_autoptr(HcDominantSpeaker) ds = hc_dominant_speaker_new (1000);
  int changes = 0;

  changes += hc_dominant_speaker_set_talking (ds, "PA1", TRUE, 0);
  /* Rapid alternation within a second must not change the speaker twice. */
  for (gint64 t = 100; t < 1000; t += 100)
    {
      gboolean one = (t / 100) % 2 == 0;

      changes += hc_dominant_speaker_set_talking (ds, "PA1", one, t);
      changes += hc_dominant_speaker_set_talking (ds, "PA2", !one, t);
    }
  g_assert_cmpint (changes, ==, 1);
  g_assert_cmpstr (hc_dominant_speaker_get (ds), ==, "PA1");
  /* PA1 silent, PA2 talking: the change is due at t=1000. */
  hc_dominant_speaker_set_talking (ds, "PA1", FALSE, 950);
  hc_dominant_speaker_set_talking (ds, "PA2", TRUE, 950);
  g_assert_cmpint (hc_dominant_speaker_next_deadline (ds), ==, 1000);
  g_assert_false (hc_dominant_speaker_tick (ds, 999));
  g_assert_true (hc_dominant_speaker_tick (ds, 1000));
  g_assert_cmpstr (hc_dominant_speaker_get (ds), ==, "PA2");
  g_assert_cmpint (hc_dominant_speaker_next_deadline (ds), ==, -1);
}

static void
test_longest_talker_wins (void)
{
  g_autoptr(HcDominantSpeaker) ds = hc_dominant_speaker_new (1000);

  hc_dominant_speaker_set_talking (ds, "PA1", TRUE, 0);
  hc_dominant_speaker_set_talking (ds, "PA3", TRUE, 1500);
  hc_dominant_speaker_set_talking (ds, "PA2", TRUE, 1200);
  g_assert_true (hc_dominant_speaker_set_talking (ds, "PA1", FALSE, 3000));
  g_assert_cmpstr (hc_dominant_speaker_get (ds), ==, "PA2");
}

static void
test_leaving_speaker (void)
{
  g_autoptr(HcDominantSpeaker) ds = hc_dominant_speaker_new (1000);

  hc_dominant_speaker_set_talking (ds, "PA1", TRUE, 0);
  g_assert_true (hc_dominant_speaker_remove (ds, "PA1", 10));
  g_assert_null (hc_dominant_speaker_get (ds));
  hc_dominant_speaker_set_talking (ds, "PA2", TRUE, 20);
  g_assert_cmpstr (hc_dominant_speaker_get (ds), ==, "PA2");
  g_assert_false (hc_dominant_speaker_remove (ds, "PA9", 30));
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/dominant-speaker/single", test_single_speaker);
  g_test_add_func ("/dominant-speaker/switch", test_switch_when_other_speaks);
  g_test_add_func ("/dominant-speaker/no-flapping", test_no_flapping_under_interval);
  g_test_add_func ("/dominant-speaker/longest-talker", test_longest_talker_wins);
  g_test_add_func ("/dominant-speaker/leaving", test_leaving_speaker);
  return g_test_run ();
}
