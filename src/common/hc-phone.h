/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* E.164 numbers: "+", a country code and a subscriber number, at most 15
 * digits in all. Used for SMS recipients and, later, the phone bridge. */

#define HC_PHONE_MAX_DIGITS 15
#define HC_PHONE_MIN_DIGITS 7

/* Whether @number is already in canonical E.164 form ("+" and 7–15 digits,
 * an assigned country code, NANP rules for +1). */
gboolean  hc_phone_is_valid     (const char  *number);

/* Turns what a person typed ("+44 (0)20 7946 0958", "0044 20-7946-0958",
 * "tel:+1.415.555.0100") into canonical E.164, or fails with
 * HC_ERROR_INVALID_PHONE_NUMBER and a sentence saying what is wrong. */
char     *hc_phone_normalize    (const char  *input,
                                 GError     **error);

/* The length (1–3) of the country code @number starts with; @number is
 * canonical E.164. */
guint     hc_phone_country_code_length (const char *number);

G_END_DECLS
