/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "hc-sms-sender.h"

G_BEGIN_DECLS

/* Twilio's Programmable Messaging API: POST
 * /2010-04-01/Accounts/{AccountSid}/Messages.json with HTTP Basic auth and a
 * form body (To, From or MessagingServiceSid, Body, StatusCallback). */

#define HC_TYPE_SMS_TWILIO (hc_sms_twilio_get_type ())
G_DECLARE_FINAL_TYPE (HcSmsTwilio, hc_sms_twilio, HC, SMS_TWILIO, GObject)

HcSmsTwilio *hc_sms_twilio_new              (const char  *base_url,
                                             const char  *account_sid,
                                             GBytes      *auth_token,
                                             const char  *from,
                                             guint        timeout_seconds);

/* X-Twilio-Signature: base64 of HMAC-SHA1, keyed with the auth token, over
 * the full URL Twilio requested followed by each POST parameter's name and
 * value, sorted by name. */
char        *hc_sms_twilio_signature        (GBytes      *auth_token,
                                             const char  *url,
                                             GHashTable  *params);
gboolean     hc_sms_twilio_check_signature  (GBytes      *auth_token,
                                             const char  *url,
                                             GHashTable  *params,
                                             const char  *signature);

/* Maps Twilio's MessageStatus to ours; NULL for a status we ignore. */
const char  *hc_sms_twilio_status           (const char  *message_status);

G_END_DECLS
