/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "hc-error.h"
#include "hc-sms-kannel.h"
#include "hc-sms-template.h"
#include "hc-sms-twilio.h"

#include <string.h>

static const char * const names[] = { "clinic", "clinic_phone", "time", "link", "provider", NULL };

static char *
repeat (const char *unit,
        guint       times)
{
  GString *out = g_string_new (NULL);

  for (guint i = 0; i < times; i++)
    g_string_append (out, unit);
  return g_string_free (out, FALSE);
}

static void
check_length (const char    *text,
              HcSmsEncoding  encoding,
              guint          units,
              guint          segments)
{
  HcSmsLength length;

  hc_sms_measure (text, &length);
  g_assert_cmpint (length.encoding, ==, encoding);
  g_assert_cmpuint (length.units, ==, units);
  g_assert_cmpuint (length.segments, ==, segments);
}

static void
test_gsm7 (void)
{
  g_autofree char *a160 = repeat ("a", 160);
  g_autofree char *a161 = repeat ("a", 161);
  g_autofree char *a306 = repeat ("a", 306);
  g_autofree char *a307 = repeat ("a", 307);
  g_autofree char *euro80 = repeat ("€", 80);
  g_autofree char *euro81 = repeat ("€", 81);
  g_autofree char *mixed = NULL;

  check_length ("", HC_SMS_ENCODING_GSM7, 0, 1);
  check_length ("Hello @ £5 ¥ è é Ä ß ¿ ¡ §", HC_SMS_ENCODING_GSM7, 26, 1);
  check_length (a160, HC_SMS_ENCODING_GSM7, 160, 1);
  check_length (a161, HC_SMS_ENCODING_GSM7, 161, 2);
  check_length (a306, HC_SMS_ENCODING_GSM7, 306, 2);
  check_length (a307, HC_SMS_ENCODING_GSM7, 307, 3);
  /* The escaped characters cost two septets each. */
  check_length ("{}[]~^|\\€", HC_SMS_ENCODING_GSM7, 18, 1);
  check_length (euro80, HC_SMS_ENCODING_GSM7, 160, 1);
  check_length (euro81, HC_SMS_ENCODING_GSM7, 162, 2);
  /* 152 septets then an escape: it cannot be split, so it opens part two,
   * and the 153 that follow spill into a third. */
  mixed = g_strconcat (a160 + 8, "€", a160 + 7, NULL);
  check_length (mixed, HC_SMS_ENCODING_GSM7, 152 + 2 + 153, 3);
}

static void
test_ucs2 (void)
{
  g_autofree char *u70 = repeat ("ж", 70);
  g_autofree char *u71 = repeat ("ж", 71);
  g_autofree char *u134 = repeat ("ж", 134);
  g_autofree char *u135 = repeat ("ж", 135);
  g_autofree char *emoji = NULL;
  g_autofree char *half = repeat ("a", 66);

  /* One character outside GSM-7 turns the whole text into UCS-2. */
  check_length ("Hello ç", HC_SMS_ENCODING_UCS2, 7, 1);
  check_length ("Hola, ¿qué tal? – ok", HC_SMS_ENCODING_UCS2, 20, 1);
  check_length (u70, HC_SMS_ENCODING_UCS2, 70, 1);
  check_length (u71, HC_SMS_ENCODING_UCS2, 71, 2);
  check_length (u134, HC_SMS_ENCODING_UCS2, 134, 2);
  check_length (u135, HC_SMS_ENCODING_UCS2, 135, 3);
  /* A character beyond the BMP is a surrogate pair: two units, never split. */
  check_length ("😀", HC_SMS_ENCODING_UCS2, 2, 1);
  emoji = g_strconcat (half, "😀", half, NULL);
  check_length (emoji, HC_SMS_ENCODING_UCS2, 66 + 2 + 66, 3);
}

static void
test_render (void)
{
  const char *values[] = { "Northside Clinic", NULL, "Tue 3 Mar at 14:30",
                           "https://clinic.example/v/0123456789abcdef0123456789abcdef", NULL };
  g_autoptr(GError) error = NULL;
  HcSmsLength length;
  g_autofree char *text = hc_sms_template_render ("{clinic}: visit on {time}. Join: {link}", names,
                                                  values, 2, &length, &error);

  g_assert_no_error (error);
  g_assert_cmpstr (text, ==, "Northside Clinic: visit on Tue 3 Mar at 14:30. Join: "
                             "https://clinic.example/v/0123456789abcdef0123456789abcdef");
  g_assert_cmpuint (length.segments, ==, 1);

  /* Every default template renders within two segments for a long clinic
   * name and link, and names no variable the defaults cannot fill. */
  for (guint kind = 0; kind < HC_SMS_N_KINDS; kind++)
    {
      g_autofree char *long_name = repeat ("N", 40);
      g_autofree char *long_link = g_strconcat ("https://telehealth.northside-clinic.example.org/v/",
                                                "0123456789abcdef0123456789abcdef", NULL);
      const char *long_values[] = { long_name, NULL, "Tue 30 Mar at 14:30", long_link, NULL };
      g_autofree char *rendered = hc_sms_template_render (hc_sms_default_template (kind), names,
                                                          long_values, 2, &length, &error);

      g_assert_no_error (error);
      g_assert_cmpuint (length.segments, <=, 2);
      g_assert_null (strchr (rendered, '{'));
    }
}

static void
test_render_errors (void)
{
  const char *values[] = { "Clinic", "", "Tue 3 Mar at 14:30", "https://x.example/v/abc", NULL };
  g_autofree char *long_name = repeat ("x", 400);
  const char *long_values[] = { long_name, NULL, "t", "l", NULL };
  static const struct { const char *template_text; gint code; const char *needle; } cases[] = {
    { "{clinic}: your visit with {provider}", HC_ERROR_SMS_TEMPLATE_VARIABLE_EMPTY, "{provider}" },
    { "Call {clinic_phone}", HC_ERROR_SMS_TEMPLATE_VARIABLE_EMPTY, "{clinic_phone}" },
    { "{clinic}: {diagnosis}", HC_ERROR_SMS_TEMPLATE_INVALID, "{diagnosis}" },
    { "{clinic", HC_ERROR_SMS_TEMPLATE_INVALID, "without" },
    { "clinic}", HC_ERROR_SMS_TEMPLATE_INVALID, "without" },
    { "{{clinic}}", HC_ERROR_SMS_TEMPLATE_INVALID, NULL },
    { "   ", HC_ERROR_SMS_TEMPLATE_INVALID, "empty" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *text = hc_sms_template_render (cases[i].template_text, names, values, 2,
                                                      NULL, &error);

      g_assert_null (text);
      g_assert_error (error, HC_ERROR, cases[i].code);
      if (cases[i].needle != NULL)
        g_assert_nonnull (strstr (error->message, cases[i].needle));
    }

  {
    g_autoptr(GError) error = NULL;
    g_autofree char *text = hc_sms_template_render ("{clinic} at {time}", names, long_values, 2,
                                                    NULL, &error);

    g_assert_null (text);
    g_assert_error (error, HC_ERROR, HC_ERROR_SMS_TOO_LONG);
    g_assert_nonnull (strstr (error->message, "3 SMS segments"));
  }
  {
    g_autoptr(GError) error = NULL;

    g_assert_true (hc_sms_template_check ("{clinic}: {time} {link} {provider} {clinic_phone}",
                                          &error));
    g_assert_no_error (error);
    g_assert_false (hc_sms_template_check ("{Clinic}", &error));
    g_assert_error (error, HC_ERROR, HC_ERROR_SMS_TEMPLATE_INVALID);
  }
}

static void
test_kinds (void)
{
  for (guint kind = 0; kind < HC_SMS_N_KINDS; kind++)
    {
      HcSmsKind parsed = HC_SMS_N_KINDS;

      g_assert_true (hc_sms_kind_from_string (hc_sms_kind_to_string (kind), &parsed));
      g_assert_cmpint (parsed, ==, kind);
    }
  {
    HcSmsKind parsed;

    g_assert_false (hc_sms_kind_from_string ("reminders", &parsed));
    g_assert_false (hc_sms_kind_from_string (NULL, &parsed));
  }
}

/* The expected value comes from Twilio's own helper library
 * (twilio-node's getExpectedTwilioSignature) for the same inputs. */
static void
test_twilio_signature (void)
{
  g_autoptr(GBytes) token = g_bytes_new_static ("12345", 5);
  g_autoptr(GHashTable) params = g_hash_table_new (g_str_hash, g_str_equal);
  g_autofree char *signature = NULL;
  const char *url = "https://mycompany.com/myapp.php?foo=1&bar=2";

  g_hash_table_insert (params, "CallSid", "CA1234567890ABCDE");
  g_hash_table_insert (params, "Caller", "+14158675310");
  g_hash_table_insert (params, "Digits", "1234");
  g_hash_table_insert (params, "From", "+14158675310");
  g_hash_table_insert (params, "To", "+18005551212");
  signature = hc_sms_twilio_signature (token, url, params);
  g_assert_cmpstr (signature, ==, "GvWf1cFY/Q7PnoempGyD5oXAezc=");
  g_assert_true (hc_sms_twilio_check_signature (token, url, params, signature));
  g_assert_false (hc_sms_twilio_check_signature (token, url, params, "GvWf1cFY/Q7PnoempGyD5oXAezd="));
  g_assert_false (hc_sms_twilio_check_signature (token, url, params, ""));
  g_assert_false (hc_sms_twilio_check_signature (token, url, params, NULL));
  g_assert_false (hc_sms_twilio_check_signature (token, "https://mycompany.com/myapp.php", params,
                                                 signature));
  g_hash_table_insert (params, "Digits", "1235");
  g_assert_false (hc_sms_twilio_check_signature (token, url, params, signature));
}

static void
test_gateway_statuses (void)
{
  g_assert_cmpstr (hc_sms_kannel_dlr_status (1), ==, "delivered");
  g_assert_cmpstr (hc_sms_kannel_dlr_status (2), ==, "failed");
  g_assert_cmpstr (hc_sms_kannel_dlr_status (4), ==, "queued");
  g_assert_cmpstr (hc_sms_kannel_dlr_status (8), ==, "sent");
  g_assert_cmpstr (hc_sms_kannel_dlr_status (16), ==, "failed");
  g_assert_null (hc_sms_kannel_dlr_status (3));
  g_assert_cmpstr (hc_sms_twilio_status ("accepted"), ==, "queued");
  g_assert_cmpstr (hc_sms_twilio_status ("sent"), ==, "sent");
  g_assert_cmpstr (hc_sms_twilio_status ("delivered"), ==, "delivered");
  g_assert_cmpstr (hc_sms_twilio_status ("undelivered"), ==, "failed");
  g_assert_cmpstr (hc_sms_twilio_status ("failed"), ==, "failed");
  g_assert_null (hc_sms_twilio_status ("receiving"));
  g_assert_null (hc_sms_twilio_status (NULL));
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/sms-template/gsm7", test_gsm7);
  g_test_add_func ("/sms-template/ucs2", test_ucs2);
  g_test_add_func ("/sms-template/render", test_render);
  g_test_add_func ("/sms-template/render-errors", test_render_errors);
  g_test_add_func ("/sms-template/kinds", test_kinds);
  g_test_add_func ("/sms-gateway/twilio-signature", test_twilio_signature);
  g_test_add_func ("/sms-gateway/statuses", test_gateway_statuses);
  return g_test_run ();
}
