/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

/* Wall-clock time and wake-ups for the SMS scheduler. The base class is the
 * system clock; tests substitute HcFakeClock and move time by hand. Times
 * are Unix seconds. */

#define HC_TYPE_CLOCK (hc_clock_get_type ())
G_DECLARE_DERIVABLE_TYPE (HcClock, hc_clock, HC, CLOCK, GObject)

struct _HcClockClass
{
  GObjectClass parent_class;

  gint64 (*now)            (HcClock       *self);
  guint  (*add_wakeup)     (HcClock       *self,
                            gint64         at,
                            GSourceFunc    callback,
                            gpointer       user_data);
  void   (*remove_wakeup)  (HcClock       *self,
                            guint          id);
};

HcClock  *hc_clock_new            (void);
gint64    hc_clock_now            (HcClock      *self);
/* Calls @callback once, at or a little after @at (never before); returns an
 * id for hc_clock_remove_wakeup(), never 0. */
guint     hc_clock_add_wakeup     (HcClock      *self,
                                   gint64        at,
                                   GSourceFunc   callback,
                                   gpointer      user_data);
void      hc_clock_remove_wakeup  (HcClock      *self,
                                   guint         id);

G_END_DECLS
