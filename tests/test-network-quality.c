/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "hc-network-quality.h"

/* Every case of tests/fixtures/network-quality/scoring.json, which
 * tests/node/network-quality.test.mjs runs through the web app's copy of the
 * rules too: the two cannot drift apart. */

static JsonObject *
load_fixture (void)
{
  static JsonParser *parser;

  if (parser == NULL)
    {
      g_autofree char *path = g_test_build_filename (G_TEST_DIST, "fixtures", "network-quality",
                                                     "scoring.json", NULL);
      g_autoptr(GError) error = NULL;

      parser = json_parser_new ();
      json_parser_load_from_file (parser, path, &error);
      g_assert_no_error (error);
    }
  return json_node_get_object (json_parser_get_root (parser));
}

static void
test_thresholds (void)
{
  JsonArray *rows = json_object_get_array_member (load_fixture (), "thresholds");

  g_assert_cmpuint (json_array_get_length (rows), >, 0);
  for (guint i = 0; i < json_array_get_length (rows); i++)
    {
      JsonObject *row = json_array_get_object_element (rows, i);
      const char *metric = json_object_get_string_member (row, "metric");
      double value = json_object_get_double_member (row, "value");
      int expected = json_object_get_int_member (row, "level");
      int level;

      if (g_str_equal (metric, "bandwidth"))
        level = hc_network_quality_bandwidth_level (value);
      else if (g_str_equal (metric, "loss"))
        level = hc_network_quality_loss_level (value);
      else if (g_str_equal (metric, "rtt"))
        level = hc_network_quality_rtt_level (value);
      else if (g_str_equal (metric, "jitter"))
        level = hc_network_quality_jitter_level (value);
      else
        g_assert_not_reached ();
      if (level != expected)
        g_error ("%s %g: level %d, expected %d", metric, value, level, expected);
    }
}

static void
test_case (gconstpointer data)
{
  JsonObject *fixture_case = (JsonObject *) data;
  JsonObject *expect = json_object_get_object_member (fixture_case, "expect");
  HcNetworkQualityInput input;
  HcNetworkQualityResult result;
  HcNetworkQualityReason reason;
  g_autoptr(GError) error = NULL;
  const char *kinds[] = { "audio", "video" };
  const char *dirs[] = { "send", "recv" };

  hc_network_quality_input_from_json (json_object_get_object_member (fixture_case, "input"),
                                      &input, &error);
  g_assert_no_error (error);
  hc_network_quality_score (&input, &result);

  g_assert_cmpint (result.level, ==, json_object_get_int_member (expect, "level"));
  g_assert_cmpstr (hc_network_quality_reason_to_string (result.reason), ==,
                   json_object_get_string_member (expect, "reason"));
  g_assert_true (hc_network_quality_reason_from_string (json_object_get_string_member (expect, "reason"),
                                                         &reason));
  g_assert_cmpint (reason, ==, result.reason);
  for (int k = 0; k < 2; k++)
    for (int d = 0; d < 2; d++)
      {
        JsonObject *kind = json_object_get_object_member (expect, kinds[k]);

        g_assert_cmpint (result.levels[k][d], ==, json_object_get_int_member (kind, dirs[d]));
      }
}

static void
test_bad_input (void)
{
  const char *bad[] = {
    "{\"connected\":1}",
    "{\"audio\":[]}",
    "{\"audio\":{\"send\":3}}",
    "{\"audio\":{\"send\":{\"fraction_lost\":1.5}}}",
    "{\"audio\":{\"send\":{\"fraction_lost\":-0.1}}}",
    "{\"video\":{\"recv\":{\"rtt_ms\":\"12\"}}}",
    "{\"video\":{\"recv\":{\"expected_bps\":1e300}}}",
    "{\"video\":{\"recv\":{\"active\":\"yes\"}}}",
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(JsonNode) node = json_from_string (bad[i], NULL);
      g_autoptr(GError) error = NULL;
      HcNetworkQualityInput input;

      g_assert_nonnull (node);
      g_assert_false (hc_network_quality_input_from_json (json_node_get_object (node), &input, &error));
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
    }
}

static void
test_reasons (void)
{
  HcNetworkQualityReason reason;

  for (guint r = 0; r < HC_NETWORK_QUALITY_N_REASONS; r++)
    {
      g_autofree char *self = hc_network_quality_reason_describe (r, NULL);
      g_autofree char *remote = hc_network_quality_reason_describe (r, "Pat");

      g_assert_true (hc_network_quality_reason_from_string (hc_network_quality_reason_to_string (r),
                                                             &reason));
      g_assert_cmpint (reason, ==, r);
      if (r == HC_NETWORK_QUALITY_REASON_NONE)
        {
          g_assert_null (self);
          g_assert_null (remote);
          continue;
        }
      g_assert_nonnull (strstr (self, "our"));
      g_assert_nonnull (strstr (remote, "Pat"));
    }
  g_assert_false (hc_network_quality_reason_from_string ("bad", &reason));
  g_assert_false (hc_network_quality_reason_from_string (NULL, &reason));
}

static void
test_result_to_json (void)
{
  HcNetworkQualityInput input;
  HcNetworkQualityResult result;
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *text = NULL;

  hc_network_quality_input_init (&input);
  input.stats[HC_NETWORK_QUALITY_KIND_VIDEO][HC_NETWORK_QUALITY_RECV].active = TRUE;
  input.stats[HC_NETWORK_QUALITY_KIND_VIDEO][HC_NETWORK_QUALITY_RECV].fraction_lost = 0.03;
  hc_network_quality_score (&input, &result);
  json_builder_begin_object (builder);
  hc_network_quality_result_to_json (&result, builder);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  text = json_to_string (root, FALSE);
  g_assert_cmpstr (text, ==, "{\"level\":3,\"reason\":\"recv-loss\",\"audio\":{\"send\":5,\"recv\":5},"
                             "\"video\":{\"send\":5,\"recv\":3}}");
}

int
main (int argc, char **argv)
{
  JsonArray *cases;

  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/network-quality/thresholds", test_thresholds);
  g_test_add_func ("/network-quality/bad-input", test_bad_input);
  g_test_add_func ("/network-quality/reasons", test_reasons);
  g_test_add_func ("/network-quality/result-to-json", test_result_to_json);

  cases = json_object_get_array_member (load_fixture (), "cases");
  for (guint i = 0; i < json_array_get_length (cases); i++)
    {
      JsonObject *fixture_case = json_array_get_object_element (cases, i);
      g_autofree char *path = g_strdup_printf ("/network-quality/case/%02u", i);

      g_test_add_data_func (path, fixture_case, test_case);
    }
  return g_test_run ();
}
