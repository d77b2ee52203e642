/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Resource identifiers shaped like Twilio's: a two-letter prefix and 32 hex digits. */
#define HC_SID_PREFIX_ROOM        "RM"
#define HC_SID_PREFIX_PARTICIPANT "PA"
#define HC_SID_PREFIX_ACCOUNT     "AC"
#define HC_SID_PREFIX_API_KEY     "SK"
#define HC_SID_PREFIX_PROVIDER    "US"
#define HC_SID_PREFIX_CALL        "CA"

char     *hc_sid_new          (const char *prefix);
gboolean  hc_sid_is_valid     (const char *sid,
                               const char *prefix);
char     *hc_random_hex       (gsize       n_bytes);
gboolean  hc_random_bytes     (guint8     *buffer,
                               gsize       n_bytes);

/* An identity or a room's unique name: 1–128 bytes of valid UTF-8 without
 * control characters. */
gboolean  hc_name_is_valid    (const char *name,
                               gsize       max_len);

G_END_DECLS
