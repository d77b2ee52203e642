/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "hc-sms-report.h"
#include "hc-sms-twilio.h"

#include <libsoup/soup.h>
#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

/* What SMS gateways send: the first byte picks Kannel's dlr-url query,
 * Twilio's status callback (our query, a newline, the POSTed form, and the
 * X-Twilio-Signature checked against it) or an inbound text. The rest goes
 * through soup_form_decode, as housecalld decodes it. */
int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  static const guint8 auth_token[] = "0123456789abcdef0123456789abcdef";
  g_autofree char *text = NULL;
  g_autoptr(GHashTable) first = NULL;
  g_autoptr(GHashTable) second = NULL;
  g_autoptr(HcSmsReport) report = NULL;
  g_autoptr(GError) error = NULL;
  char *newline;

  if (size == 0)
    return 0;
  /* housecalld sees NUL-free text: libsoup stops at a NUL in a URL. */
  text = g_strndup ((const char *) data + 1, size - 1);
  newline = strchr (text, '\n');
  if (newline != NULL)
    *newline = '\0';
  first = soup_form_decode (text);

  switch (data[0] % 3)
    {
    case 0:
      report = hc_sms_report_parse_kannel (first, &error);
      break;
    case 1:
      {
        g_autoptr(GBytes) token = g_bytes_new_static (auth_token, sizeof auth_token - 1);
        g_autofree char *signature = NULL;

        second = soup_form_decode (newline != NULL ? newline + 1 : "");
        report = hc_sms_report_parse_twilio (first, second, &error);
        signature = hc_sms_twilio_signature (token, "https://clinic.example/v1/sms/twilio/status/s",
                                             second);
        g_assert_true (hc_sms_twilio_check_signature (token,
                                                      "https://clinic.example/v1/sms/twilio/status/s",
                                                      second, signature));
        hc_sms_twilio_check_signature (token, "https://clinic.example/v1/sms/twilio/status/s",
                                       second, g_hash_table_lookup (first, "sig"));
      }
      break;
    default:
      {
        g_autofree char *number = hc_sms_inbound_number (g_hash_table_lookup (first, "from"),
                                                         NULL);

        hc_sms_inbound_keyword (g_hash_table_lookup (first, "text"));
        g_assert_true (number == NULL || number[0] == '+');
      }
      return 0;
    }

  /* A report either fails with a reason or names a message. */
  if (report == NULL)
    g_assert_nonnull (error);
  else
    g_assert_true (report->sid != NULL || report->gateway_id != NULL);
  return 0;
}
