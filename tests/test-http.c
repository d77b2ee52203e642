/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "hc-http.h"
#include "hc-rate-limiter.h"

#include <string.h>

static void
test_form (void)
{
  g_autoptr(GError) error = NULL;
  const char *body = "UniqueName=Dr+Smith%27s+room&VideoCodecs=VP8&VideoCodecs=H264&Empty=&Flag";
  g_autoptr(HcParams) params = hc_params_parse_form (body, strlen (body), &error);
  GPtrArray *codecs;

  g_assert_no_error (error);
  g_assert_cmpstr (hc_params_get (params, "UniqueName"), ==, "Dr Smith's room");
  codecs = hc_params_get_all (params, "VideoCodecs");
  g_assert_cmpuint (codecs->len, ==, 2);
  g_assert_cmpstr (g_ptr_array_index (codecs, 1), ==, "H264");
  g_assert_cmpstr (hc_params_get (params, "Empty"), ==, "");
  g_assert_cmpstr (hc_params_get (params, "Flag"), ==, "");
  g_assert_null (hc_params_get (params, "Missing"));
}

static void
test_form_bad (void)
{
  const char *bad[] = { "a=%zz", "a=%0", "a=%00", "%ff=1", "a=%c3%28" };

  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(HcParams) params = hc_params_parse_form (bad[i], strlen (bad[i]), &error);

      g_assert_null (params);
      g_assert_error (error, HC_ERROR, HC_ERROR_MALFORMED_BODY);
    }
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(HcParams) params = hc_params_parse_form ("a=1\0b=2", 7, &error);

    g_assert_null (params);
    g_assert_error (error, HC_ERROR, HC_ERROR_MALFORMED_BODY);
  }
}

static void
test_form_too_many (void)
{
  g_autoptr(GString) body = g_string_new (NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(HcParams) params = NULL;

  for (int i = 0; i < 100; i++)
    g_string_append_printf (body, "p%d=1&", i);
  params = hc_params_parse_form (body->str, body->len, &error);
  g_assert_null (params);
  g_assert_error (error, HC_ERROR, HC_ERROR_MALFORMED_BODY);
}

static void
test_json (void)
{
  g_autoptr(GError) error = NULL;
  const char *body = "{\"UniqueName\":\"v\",\"MaxParticipants\":3,\"EnableTurn\":true,"
                     "\"VideoCodecs\":[\"VP8\"]}";
  g_autoptr(HcParams) params = hc_params_parse_json (body, strlen (body), &error);
  const char *known[] = { "UniqueName", "MaxParticipants", "EnableTurn", "VideoCodecs", NULL };
  const char *fewer[] = { "UniqueName", NULL };

  g_assert_no_error (error);
  g_assert_cmpstr (hc_params_get (params, "MaxParticipants"), ==, "3");
  g_assert_cmpstr (hc_params_get (params, "EnableTurn"), ==, "true");
  g_assert_cmpstr (hc_params_get (params, "VideoCodecs"), ==, "VP8");
  g_assert_true (hc_params_check_known (params, known, &error));
  g_assert_false (hc_params_check_known (params, fewer, &error));
  g_assert_error (error, HC_ERROR, HC_ERROR_UNKNOWN_PARAMETER);
}

static void
test_json_bad (void)
{
  const struct { const char *body; HcErrorCode code; } cases[] = {
    { "{", HC_ERROR_MALFORMED_BODY },
    { "[1,2]", HC_ERROR_MALFORMED_BODY },
    { "\"text\"", HC_ERROR_MALFORMED_BODY },
    { "{\"a\":{\"nested\":1}}", HC_ERROR_INVALID_PARAMETER },
    { "{\"a\":null}", HC_ERROR_INVALID_PARAMETER },
    { "{\"a\":1.5}", HC_ERROR_INVALID_PARAMETER },
    { "{\"a\":[{}]}", HC_ERROR_INVALID_PARAMETER },
    { "{\"a\":\"\xff\"}", HC_ERROR_MALFORMED_BODY },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(HcParams) params = hc_params_parse_json (cases[i].body, strlen (cases[i].body),
                                                         &error);

      g_assert_null (params);
      g_assert_error (error, HC_ERROR, (gint) cases[i].code);
    }
}

static void
test_error_node (void)
{
  g_autoptr(JsonNode) node = hc_http_error_node (HC_ERROR_TOKEN_EXPIRED, "The token has expired");
  JsonObject *object = json_node_get_object (node);

  g_assert_cmpint (json_object_get_int_member (object, "code"), ==, 20104);
  g_assert_cmpstr (json_object_get_string_member (object, "error"), ==, "token-expired");
  g_assert_cmpint (json_object_get_int_member (object, "status"), ==, 401);
  g_assert_cmpstr (json_object_get_string_member (object, "message"), ==, "The token has expired");
}

static void
test_time_format (void)
{
  g_autofree char *text = hc_http_format_time (1800000000);

  g_assert_cmpstr (text, ==, "2027-01-15T08:00:00Z");
}

static void
test_rate_limiter (void)
{
  g_autoptr(HcRateLimiter) limiter = hc_rate_limiter_new (3, 60);

  g_assert_cmpuint (hc_rate_limiter_retry_after (limiter, "drsmith", 1000), ==, 0);
  hc_rate_limiter_add_failure (limiter, "drsmith", 1000);
  hc_rate_limiter_add_failure (limiter, "drsmith", 1010);
  g_assert_cmpuint (hc_rate_limiter_retry_after (limiter, "drsmith", 1011), ==, 0);
  hc_rate_limiter_add_failure (limiter, "drsmith", 1020);
  /* Blocked until the first failure leaves the window. */
  g_assert_cmpuint (hc_rate_limiter_retry_after (limiter, "drsmith", 1021), ==, 39);
  g_assert_cmpuint (hc_rate_limiter_retry_after (limiter, "other", 1021), ==, 0);
  g_assert_cmpuint (hc_rate_limiter_retry_after (limiter, "drsmith", 1060), ==, 0);
  hc_rate_limiter_add_failure (limiter, "drsmith", 1061);
  g_assert_cmpuint (hc_rate_limiter_retry_after (limiter, "drsmith", 1062), >, 0);
  hc_rate_limiter_reset (limiter, "drsmith");
  g_assert_cmpuint (hc_rate_limiter_retry_after (limiter, "drsmith", 1062), ==, 0);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/params/form", test_form);
  g_test_add_func ("/params/form-bad", test_form_bad);
  g_test_add_func ("/params/form-too-many", test_form_too_many);
  g_test_add_func ("/params/json", test_json);
  g_test_add_func ("/params/json-bad", test_json_bad);
  g_test_add_func ("/http/error-node", test_error_node);
  g_test_add_func ("/http/time-format", test_time_format);
  g_test_add_func ("/rate-limiter/window", test_rate_limiter);
  return g_test_run ();
}
