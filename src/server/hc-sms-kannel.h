/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "hc-sms-sender.h"

G_BEGIN_DECLS

/* Kannel's smsbox `sendsms` HTTP interface, with delivery reports (dlr-mask
 * 31) fetched by Kannel from the message's callback URL. */

#define HC_TYPE_SMS_KANNEL (hc_sms_kannel_get_type ())
G_DECLARE_FINAL_TYPE (HcSmsKannel, hc_sms_kannel, HC, SMS_KANNEL, GObject)

HcSmsKannel *hc_sms_kannel_new (const char *sendsms_url,
                                const char *username,
                                GBytes     *password,
                                const char *from,
                                const char *smsc,
                                guint       timeout_seconds);

/* Maps a Kannel DLR type (%d) to our status: "delivered", "failed",
 * "queued" or "sent"; NULL for an unknown value. */
const char  *hc_sms_kannel_dlr_status (guint dlr_type);

G_END_DECLS
