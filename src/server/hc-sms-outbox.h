/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "hc-sms-sender.h"

G_BEGIN_DECLS

/* The sender when no gateway is configured: each message is appended, as
 * one JSON object per line, to a file only the server's user can read, and
 * `housecalld sms outbox` shows them to the operator. */

#define HC_TYPE_SMS_OUTBOX (hc_sms_outbox_get_type ())
G_DECLARE_FINAL_TYPE (HcSmsOutbox, hc_sms_outbox, HC, SMS_OUTBOX, GObject)

HcSmsOutbox *hc_sms_outbox_new   (const char  *path);

/* Prints the outbox at @path, one message a line (time, to, sid, text). */
gboolean     hc_sms_outbox_print (const char  *path,
                                  GError     **error);

G_END_DECLS
