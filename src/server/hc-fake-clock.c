/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "HcFakeClock"

#include "config.h"

#include "hc-fake-clock.h"

typedef struct
{
  guint        id;
  gint64       at;
  GSourceFunc  callback;
  gpointer     user_data;
} Wakeup;

struct _HcFakeClock
{
  HcClock  parent_instance;

  gint64   now;
  guint    last_id;
  GList   *wakeups;          /* Wakeup, sorted by time, then by id */
};

G_DEFINE_FINAL_TYPE (HcFakeClock, hc_fake_clock, HC_TYPE_CLOCK)

static int
compare_wakeups (gconstpointer a,
                 gconstpointer b)
{
  const Wakeup *x = a;
  const Wakeup *y = b;

  if (x->at != y->at)
    return x->at < y->at ? -1 : 1;
  return x->id < y->id ? -1 : (x->id > y->id);
}

static gint64
hc_fake_clock_now (HcClock *clock)
{
  return HC_FAKE_CLOCK (clock)->now;
}

static guint
hc_fake_clock_add_wakeup (HcClock     *clock,
                          gint64       at,
                          GSourceFunc  callback,
                          gpointer     user_data)
{
  HcFakeClock *self = HC_FAKE_CLOCK (clock);
  Wakeup *wakeup = g_new0 (Wakeup, 1);

  wakeup->id = ++self->last_id;
  wakeup->at = at;
  wakeup->callback = callback;
  wakeup->user_data = user_data;
  self->wakeups = g_list_insert_sorted (self->wakeups, wakeup, compare_wakeups);
  return wakeup->id;
}

static void
hc_fake_clock_remove_wakeup (HcClock *clock,
                             guint    id)
{
  HcFakeClock *self = HC_FAKE_CLOCK (clock);

  for (GList *l = self->wakeups; l != NULL; l = l->next)
    {
      Wakeup *wakeup = l->data;

      if (wakeup->id == id)
        {
          self->wakeups = g_list_delete_link (self->wakeups, l);
          g_free (wakeup);
          return;
        }
    }
  g_critical ("No fake wake-up with id %u", id);
}

static void
hc_fake_clock_finalize (GObject *object)
{
  HcFakeClock *self = (HcFakeClock *) object;

  g_list_free_full (self->wakeups, g_free);
  G_OBJECT_CLASS (hc_fake_clock_parent_class)->finalize (object);
}

static void
hc_fake_clock_class_init (HcFakeClockClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  HcClockClass *clock_class = HC_CLOCK_CLASS (klass);

  object_class->finalize = hc_fake_clock_finalize;
  clock_class->now = hc_fake_clock_now;
  clock_class->add_wakeup = hc_fake_clock_add_wakeup;
  clock_class->remove_wakeup = hc_fake_clock_remove_wakeup;
}

static void
hc_fake_clock_init (HcFakeClock *self)
{
}

HcFakeClock *
hc_fake_clock_new (gint64 start)
{
  HcFakeClock *self = g_object_new (HC_TYPE_FAKE_CLOCK, NULL);

  self->now = start;
  return self;
}

void
hc_fake_clock_set (HcFakeClock *self,
                   gint64       now)
{
  g_return_if_fail (HC_IS_FAKE_CLOCK (self));
  g_return_if_fail (now >= self->now);

  /* Wake-ups may add wake-ups (even ones already due): take the first one
   * afresh each time round. The count bounds a callback that keeps adding
   * itself for the past. */
  for (guint fired = 0; self->wakeups != NULL && fired < 100000; fired++)
    {
      Wakeup *wakeup = self->wakeups->data;

      if (wakeup->at > now)
        break;
      self->wakeups = g_list_delete_link (self->wakeups, self->wakeups);
      self->now = MAX (self->now, wakeup->at);
      /* One-shot, whatever the callback returns, like the system clock's
       * caller expects. */
      wakeup->callback (wakeup->user_data);
      g_free (wakeup);
    }
  self->now = now;
}

void
hc_fake_clock_advance (HcFakeClock *self,
                       gint64       seconds)
{
  g_return_if_fail (HC_IS_FAKE_CLOCK (self));
  g_return_if_fail (seconds >= 0);
  hc_fake_clock_set (self, self->now + seconds);
}

guint
hc_fake_clock_get_n_wakeups (HcFakeClock *self)
{
  g_return_val_if_fail (HC_IS_FAKE_CLOCK (self), 0);
  return g_list_length (self->wakeups);
}

gint64
hc_fake_clock_get_next_wakeup (HcFakeClock *self)
{
  g_return_val_if_fail (HC_IS_FAKE_CLOCK (self), 0);
  return self->wakeups ? ((Wakeup *) self->wakeups->data)->at : 0;
}
