/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "hc-clock.h"

G_BEGIN_DECLS

/* A clock that moves only when told to, for tests: wake-ups run from
 * hc_fake_clock_advance(), in time order, with the clock set to their time. */

#define HC_TYPE_FAKE_CLOCK (hc_fake_clock_get_type ())
G_DECLARE_FINAL_TYPE (HcFakeClock, hc_fake_clock, HC, FAKE_CLOCK, HcClock)

HcFakeClock *hc_fake_clock_new          (gint64        start);
void         hc_fake_clock_advance      (HcFakeClock  *self,
                                         gint64        seconds);
void         hc_fake_clock_set          (HcFakeClock  *self,
                                         gint64        now);
guint        hc_fake_clock_get_n_wakeups (HcFakeClock *self);
/* The time of the next wake-up, or 0 when none is pending. */
gint64       hc_fake_clock_get_next_wakeup (HcFakeClock *self);

G_END_DECLS
