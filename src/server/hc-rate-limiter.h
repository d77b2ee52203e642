/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

#define HC_TYPE_RATE_LIMITER (hc_rate_limiter_get_type ())
G_DECLARE_FINAL_TYPE (HcRateLimiter, hc_rate_limiter, HC, RATE_LIMITER, GObject)

/* Counts failures per key in a sliding window; a key with @max_failures
 * within @window_seconds is blocked until the oldest one leaves the window. */
HcRateLimiter *hc_rate_limiter_new        (guint          max_failures,
                                           guint          window_seconds);
/* Returns 0 when @key may try now, else the seconds to wait. */
guint          hc_rate_limiter_retry_after (HcRateLimiter *self,
                                           const char    *key,
                                           gint64         now);
void           hc_rate_limiter_add_failure (HcRateLimiter *self,
                                           const char    *key,
                                           gint64         now);
void           hc_rate_limiter_reset       (HcRateLimiter *self,
                                           const char    *key);

G_END_DECLS
