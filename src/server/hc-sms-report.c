/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "HcSmsReport"

#include "config.h"

#include "hc-error.h"
#include "hc-phone.h"
#include "hc-sid.h"
#include "hc-sms-dispatcher.h"
#include "hc-sms-kannel.h"
#include "hc-sms-report.h"
#include "hc-sms-twilio.h"

#include <string.h>

void
hc_sms_report_free (HcSmsReport *report)
{
  if (report == NULL)
    return;
  g_free (report->sid);
  g_free (report->gateway_id);
  g_free (report->detail);
  g_free (report);
}

static const char *
lookup (GHashTable *table,
        const char *name)
{
  return table != NULL ? g_hash_table_lookup (table, name) : NULL;
}

HcSmsReport *
hc_sms_report_parse_kannel (GHashTable  *query,
                            GError     **error)
{
  g_autoptr(HcSmsReport) report = g_new0 (HcSmsReport, 1);
  const char *sid = lookup (query, "msg");
  const char *type = lookup (query, "status");
  const char *reply = lookup (query, "reply");
  guint64 number = 0;

  if (sid == NULL || type == NULL || !g_ascii_string_to_unsigned (type, 10, 0, 255, &number, NULL))
    {
      g_set_error (error, HC_ERROR, HC_ERROR_MISSING_PARAMETER,
                   "A Kannel report needs msg and status (the DLR type)");
      return NULL;
    }
  report->status = hc_sms_kannel_dlr_status ((guint) number);
  if (report->status == NULL)
    {
      g_set_error (error, HC_ERROR, HC_ERROR_INVALID_PARAMETER,
                   "status must be a Kannel DLR type: 1, 2, 4, 8 or 16");
      return NULL;
    }
  if (!hc_sid_is_valid (sid, HC_SID_PREFIX_SMS))
    {
      g_set_error (error, HC_ERROR, HC_ERROR_NOT_FOUND, "No such message");
      return NULL;
    }
  report->sid = g_strdup (sid);
  /* %A is the SMSC's answer, e.g. "NACK/0x0000000b/Invalid Destination
   * Address"; kept only when it is short plain text. */
  if (reply != NULL && hc_name_is_valid (reply, 200))
    report->detail = g_strdup_printf ("Kannel DLR %u, %s", (guint) number, reply);
  else
    report->detail = g_strdup_printf ("Kannel DLR %u", (guint) number);
  return g_steal_pointer (&report);
}

HcSmsReport *
hc_sms_report_parse_twilio (GHashTable  *query,
                            GHashTable  *form,
                            GError     **error)
{
  g_autoptr(HcSmsReport) report = g_new0 (HcSmsReport, 1);
  const char *sid = lookup (query, "msg");
  const char *twilio_sid = lookup (form, "MessageSid");
  const char *twilio_status = lookup (form, "MessageStatus");
  const char *error_code = lookup (form, "ErrorCode");

  if (twilio_status == NULL)
    {
      g_set_error (error, HC_ERROR, HC_ERROR_MISSING_PARAMETER, "MessageStatus is required");
      return NULL;
    }
  if (sid != NULL && hc_sid_is_valid (sid, HC_SID_PREFIX_SMS))
    report->sid = g_strdup (sid);
  else if (twilio_sid != NULL && hc_name_is_valid (twilio_sid, 64))
    report->gateway_id = g_strdup (twilio_sid);
  else
    {
      g_set_error (error, HC_ERROR, HC_ERROR_NOT_FOUND, "No such message");
      return NULL;
    }
  /* "sending", "receiving" and the like say nothing new: status stays NULL. */
  report->status = hc_sms_twilio_status (twilio_status);
  if (report->status == NULL)
    return g_steal_pointer (&report);
  if (error_code != NULL && *error_code != '\0' && hc_name_is_valid (error_code, 16))
    report->detail = g_strdup_printf ("Twilio status %s, error %s", twilio_status, error_code);
  else
    report->detail = g_strdup_printf ("Twilio status %s", twilio_status);
  return g_steal_pointer (&report);
}

static gboolean
word_in (const char         *word,
         const char * const *list)
{
  for (guint i = 0; list[i] != NULL; i++)
    if (g_ascii_strcasecmp (word, list[i]) == 0)
      return TRUE;
  return FALSE;
}

HcSmsKeyword
hc_sms_inbound_keyword (const char *text)
{
  /* The keywords carriers and Twilio treat as opting out and back in. */
  static const char * const stop_words[] = {
    "STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "OPTOUT", "REVOKE", NULL
  };
  static const char * const start_words[] = { "START", "YES", "UNSTOP", "OPTIN", NULL };
  g_autofree char *word = NULL;
  const char *p = text ? text : "";
  const char *end;

  while (*p && !g_ascii_isalpha (*p))
    p++;
  for (end = p; g_ascii_isalpha (*end); end++)
    ;
  word = g_strndup (p, (gsize) (end - p));
  if (word_in (word, stop_words))
    return HC_SMS_KEYWORD_STOP;
  if (word_in (word, start_words))
    return HC_SMS_KEYWORD_START;
  return HC_SMS_KEYWORD_NONE;
}

char *
hc_sms_inbound_number (const char  *from,
                       GError     **error)
{
  /* Gateways write the sender with or without the "+". */
  if (from != NULL && g_ascii_isdigit (from[0]))
    {
      g_autofree char *plus = g_strconcat ("+", from, NULL);

      return hc_phone_normalize (plus, error);
    }
  return hc_phone_normalize (from, error);
}
