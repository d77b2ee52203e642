/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "hc-error.h"
#include "hc-sdp.h"
#include "hc-sid.h"

#include <gio/gio.h>
#include <string.h>

static void
test_sid_shape (void)
{
  g_autofree char *room = hc_sid_new (HC_SID_PREFIX_ROOM);
  g_autofree char *participant = hc_sid_new (HC_SID_PREFIX_PARTICIPANT);

  g_assert_cmpuint (strlen (room), ==, 34);
  g_assert_true (g_str_has_prefix (room, "RM"));
  g_assert_true (hc_sid_is_valid (room, HC_SID_PREFIX_ROOM));
  g_assert_false (hc_sid_is_valid (room, HC_SID_PREFIX_PARTICIPANT));
  g_assert_true (hc_sid_is_valid (participant, "PA"));
  g_assert_true (hc_sid_is_valid (room, NULL));
}

static void
test_sid_unique (void)
{
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  for (int i = 0; i < 10000; i++)
    g_assert_true (g_hash_table_add (seen, hc_sid_new ("RM")));
}

static void
test_sid_invalid (void)
{
  const char *bad[] = {
    NULL, "", "RM", "RM0123456789abcdef0123456789abcde",     /* one short */
    "RM0123456789abcdef0123456789abcdef0",                    /* one long */
    "RM0123456789ABCDEF0123456789abcdef",                     /* upper-case hex */
    "rm0123456789abcdef0123456789abcdef",                     /* lower-case prefix */
    "RM0123456789abcdef0123456789abcdeg",                     /* not hex */
    "RM0123456789abcdef0123456789abcd\xc3\xa9",               /* UTF-8 */
  };

  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    g_assert_false (hc_sid_is_valid (bad[i], NULL));
}

static void
test_names (void)
{
  g_autofree char *long_name = g_strnfill (129, 'a');

  g_assert_true (hc_name_is_valid ("interpreter-es", 128));
  g_assert_true (hc_name_is_valid ("Dr. Müller", 128));
  g_assert_false (hc_name_is_valid ("", 128));
  g_assert_false (hc_name_is_valid (NULL, 128));
  g_assert_false (hc_name_is_valid ("tab\there", 128));
  g_assert_false (hc_name_is_valid ("line\nbreak", 128));
  g_assert_false (hc_name_is_valid ("bad\xff utf8", 128));
  g_assert_false (hc_name_is_valid ("sep\xe2\x80\xa8", 128));
  g_assert_false (hc_name_is_valid (long_name, 128));
  long_name[128] = '\0';
  g_assert_true (hc_name_is_valid (long_name, 128));
}

static void
test_error_table (void)
{
  /* Every code has a slug, a 4xx/5xx status, and no two codes share a slug:
   * clients and docs/errors.md depend on both. */
  static const int codes[] = {
    HC_ERROR_INTERNAL, HC_ERROR_TOKEN_MALFORMED, HC_ERROR_TOKEN_EXPIRED,
    HC_ERROR_TOKEN_ROOM_MISMATCH, HC_ERROR_BAD_CREDENTIALS, HC_ERROR_NOT_FOUND,
    HC_ERROR_BODY_TOO_LARGE, HC_ERROR_ROOM_EXISTS, HC_ERROR_MESSAGE_MALFORMED,
  };
  g_autoptr(GHashTable) slugs = g_hash_table_new (g_str_hash, g_str_equal);

  for (gsize i = 0; i < G_N_ELEMENTS (codes); i++)
    {
      guint status = hc_error_code_http_status (codes[i]);

      g_assert_true (hc_error_code_is_known (codes[i]));
      g_assert_cmpuint (status, >=, 400);
      g_assert_cmpuint (status, <, 600);
      g_assert_true (g_hash_table_add (slugs, (gpointer) hc_error_code_slug (codes[i])));
    }
  g_assert_false (hc_error_code_is_known (12345));
  g_assert_cmpstr (hc_error_code_slug (12345), ==, "internal-error");
  g_assert_cmpuint (hc_error_code_http_status (HC_ERROR_BODY_TOO_LARGE), ==, 413);
}

static void
test_foreign_errors_are_internal (void)
{
  g_autoptr(GError) io = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_FAILED, "disk on fire");
  g_autoptr(GError) ours = g_error_new_literal (HC_ERROR, HC_ERROR_NOT_FOUND, "no");
  g_autoptr(GError) unknown = g_error_new_literal (HC_ERROR, 4242, "odd");

  g_assert_cmpint (hc_error_get_code (io), ==, HC_ERROR_INTERNAL);
  g_assert_cmpint (hc_error_get_code (ours), ==, HC_ERROR_NOT_FOUND);
  g_assert_cmpint (hc_error_get_code (unknown), ==, HC_ERROR_INTERNAL);
  g_assert_cmpint (hc_error_get_code (NULL), ==, HC_ERROR_INTERNAL);
}

static void
test_sdp (void)
{
  const char *browser = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
                        "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:0\r\n"
                        "m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=mid:1\r\na=rid:l send\r\n"
                        "a=simulcast:send l;m;h\r\n";
  const char *high_first = "v=0\r\nm=video 9 RTP/AVP 96\r\na=simulcast:send ~h;m,m2;l\r\n";
  const char *ssrc_group = "v=0\r\nm=video 9 RTP/AVP 96\r\na=mid:video0\r\n"
                           "a=ssrc-group:SIM 1 2 3\r\n";
  g_autofree char *audio_mid = hc_sdp_find_mid (browser, "audio");
  g_autofree char *video_mid = hc_sdp_find_mid (browser, "video");
  g_autofree char *gst_mid = hc_sdp_find_mid (ssrc_group, "video");
  g_autofree char *none = hc_sdp_find_mid (ssrc_group, "audio");

  g_assert_true (hc_sdp_is_plausible (browser));
  g_assert_false (hc_sdp_is_plausible ("v=0\r\nno media"));
  g_assert_false (hc_sdp_is_plausible ("hello"));
  g_assert_false (hc_sdp_is_plausible (NULL));
  g_assert_cmpstr (audio_mid, ==, "0");
  g_assert_cmpstr (video_mid, ==, "1");
  g_assert_cmpstr (gst_mid, ==, "video0");
  g_assert_null (none);
  g_assert_true (hc_sdp_has_simulcast (browser));
  g_assert_true (hc_sdp_has_simulcast (ssrc_group));
  g_assert_true (hc_sdp_simulcast_low_first (browser));
  g_assert_false (hc_sdp_simulcast_low_first (high_first));
  g_assert_false (hc_sdp_simulcast_low_first (ssrc_group));
  g_assert_true (hc_sdp_has_media (browser, "audio"));
  g_assert_false (hc_sdp_has_media (ssrc_group, "audio"));
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/sid/shape", test_sid_shape);
  g_test_add_func ("/sid/unique", test_sid_unique);
  g_test_add_func ("/sid/invalid", test_sid_invalid);
  g_test_add_func ("/names/validation", test_names);
  g_test_add_func ("/errors/table", test_error_table);
  g_test_add_func ("/sdp/checks", test_sdp);
  g_test_add_func ("/errors/foreign-are-internal", test_foreign_errors_are_internal);
  return g_test_run ();
}
