/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "HcClock"

#include "config.h"

#include "hc-clock.h"

/* The longest single sleep: the wall clock may jump (NTP, suspend), so the
 * system clock wakes at least this often and the caller re-checks. */
#define MAX_SLEEP_MS 30000

G_DEFINE_TYPE (HcClock, hc_clock, G_TYPE_OBJECT)

static gint64
hc_clock_real_now (HcClock *self)
{
  return g_get_real_time () / G_USEC_PER_SEC;
}

static guint
hc_clock_real_add_wakeup (HcClock     *self,
                          gint64       at,
                          GSourceFunc  callback,
                          gpointer     user_data)
{
  gint64 delay_ms = (at * G_USEC_PER_SEC - g_get_real_time ()) / 1000;

  /* An early wake-up is harmless (the caller finds nothing due and asks
   * again); a late one only by the main loop's latency. */
  return g_timeout_add ((guint) CLAMP (delay_ms, 0, MAX_SLEEP_MS), callback, user_data);
}

static void
hc_clock_real_remove_wakeup (HcClock *self,
                             guint    id)
{
  g_source_remove (id);
}

static void
hc_clock_class_init (HcClockClass *klass)
{
  klass->now = hc_clock_real_now;
  klass->add_wakeup = hc_clock_real_add_wakeup;
  klass->remove_wakeup = hc_clock_real_remove_wakeup;
}

static void
hc_clock_init (HcClock *self)
{
}

HcClock *
hc_clock_new (void)
{
  return g_object_new (HC_TYPE_CLOCK, NULL);
}

gint64
hc_clock_now (HcClock *self)
{
  g_return_val_if_fail (HC_IS_CLOCK (self), 0);
  return HC_CLOCK_GET_CLASS (self)->now (self);
}

guint
hc_clock_add_wakeup (HcClock     *self,
                     gint64       at,
                     GSourceFunc  callback,
                     gpointer     user_data)
{
  g_return_val_if_fail (HC_IS_CLOCK (self), 0);
  g_return_val_if_fail (callback != NULL, 0);
  return HC_CLOCK_GET_CLASS (self)->add_wakeup (self, at, callback, user_data);
}

void
hc_clock_remove_wakeup (HcClock *self,
                        guint    id)
{
  g_return_if_fail (HC_IS_CLOCK (self));
  g_return_if_fail (id != 0);
  HC_CLOCK_GET_CLASS (self)->remove_wakeup (self, id);
}
