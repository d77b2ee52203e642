/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* What SMS gateways send us, parsed without touching the store: delivery
 * reports (Kannel's dlr-url, Twilio's StatusCallback) and inbound texts.
 * Pure functions of the decoded parameters, so that they can be fuzzed. */

typedef struct
{
  char       *sid;         /* our message SID (MS…), when the report names a valid one */
  char       *gateway_id;  /* the gateway's own id (Twilio's MessageSid), when given */
  const char *status;      /* "queued", "sent", "delivered" or "failed"; NULL: nothing new */
  char       *detail;      /* a sentence for the message's record, without the number */
} HcSmsReport;

void          hc_sms_report_free           (HcSmsReport *report);

/* Kannel's dlr-url query: `msg` (our SID), `status` (the DLR type, %d) and
 * the optional `reply` (%A, the SMSC's answer). Fails with
 * HC_ERROR_MISSING_PARAMETER, HC_ERROR_INVALID_PARAMETER (an unknown DLR
 * type) or HC_ERROR_NOT_FOUND (not one of our SIDs). */
HcSmsReport  *hc_sms_report_parse_kannel   (GHashTable  *query,
                                            GError     **error);

/* Twilio's status callback: our `msg` from the callback URL's @query (may be
 * NULL) and the POSTed @form (`MessageSid`, `MessageStatus`, `ErrorCode`).
 * Fails with HC_ERROR_MISSING_PARAMETER without a MessageStatus, and with
 * HC_ERROR_NOT_FOUND when neither SID is usable. */
HcSmsReport  *hc_sms_report_parse_twilio   (GHashTable  *query,
                                            GHashTable  *form,
                                            GError     **error);

typedef enum
{
  HC_SMS_KEYWORD_NONE,
  HC_SMS_KEYWORD_STOP,
  HC_SMS_KEYWORD_START,
} HcSmsKeyword;

/* Whether an inbound text opts its sender out (STOP, UNSUBSCRIBE …) or back
 * in (START, YES …): its first word, in any case. */
HcSmsKeyword  hc_sms_inbound_keyword       (const char  *text);

/* The sender of an inbound text in E.164; gateways write it with or without
 * the "+". Fails with HC_ERROR_INVALID_PHONE_NUMBER. */
char         *hc_sms_inbound_number        (const char  *from,
                                            GError     **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HcSmsReport, hc_sms_report_free)

G_END_DECLS
