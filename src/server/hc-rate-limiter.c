/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "HcRateLimiter"

#include "config.h"

#include "hc-rate-limiter.h"

/* Bounds the memory an attacker can make us spend on keys (addresses,
 * made-up user names). */
#define MAX_KEYS 50000

struct _HcRateLimiter
{
  GObject     parent_instance;

  guint       max_failures;
  guint       window;
  GHashTable *failures;        /* key → GArray of gint64 times, oldest first */
};

G_DEFINE_FINAL_TYPE (HcRateLimiter, hc_rate_limiter, G_TYPE_OBJECT)

static void
prune (HcRateLimiter *self,
       GArray        *times,
       gint64         now)
{
  guint drop = 0;

  while (drop < times->len && g_array_index (times, gint64, drop) <= now - self->window)
    drop++;
  if (drop > 0)
    g_array_remove_range (times, 0, drop);
}

static void
prune_all (HcRateLimiter *self,
           gint64         now)
{
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, self->failures);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      prune (self, value, now);
      if (((GArray *) value)->len == 0)
        g_hash_table_iter_remove (&iter);
    }
}

static void
hc_rate_limiter_finalize (GObject *object)
{
  HcRateLimiter *self = (HcRateLimiter *) object;

  g_clear_pointer (&self->failures, g_hash_table_unref);
  G_OBJECT_CLASS (hc_rate_limiter_parent_class)->finalize (object);
}

static void
hc_rate_limiter_class_init (HcRateLimiterClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = hc_rate_limiter_finalize;
}

static void
hc_rate_limiter_init (HcRateLimiter *self)
{
  self->failures = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                          (GDestroyNotify) g_array_unref);
}

HcRateLimiter *
hc_rate_limiter_new (guint max_failures,
                     guint window_seconds)
{
  HcRateLimiter *self = g_object_new (HC_TYPE_RATE_LIMITER, NULL);

  self->max_failures = MAX (max_failures, 1);
  self->window = MAX (window_seconds, 1);
  return self;
}

guint
hc_rate_limiter_retry_after (HcRateLimiter *self,
                             const char    *key,
                             gint64         now)
{
  GArray *times;

  g_return_val_if_fail (HC_IS_RATE_LIMITER (self), 0);

  times = g_hash_table_lookup (self->failures, key);
  if (times == NULL)
    return 0;
  prune (self, times, now);
  if (times->len < self->max_failures)
    return 0;
  return (guint) MAX (1, g_array_index (times, gint64, times->len - self->max_failures) +
                         self->window - now);
}

void
hc_rate_limiter_add_failure (HcRateLimiter *self,
                             const char    *key,
                             gint64         now)
{
  GArray *times;

  g_return_if_fail (HC_IS_RATE_LIMITER (self));

  times = g_hash_table_lookup (self->failures, key);
  if (times == NULL)
    {
      if (g_hash_table_size (self->failures) >= MAX_KEYS)
        prune_all (self, now);
      times = g_array_new (FALSE, FALSE, sizeof (gint64));
      g_hash_table_insert (self->failures, g_strdup (key), times);
    }
  g_array_append_val (times, now);
  /* Only the newest max_failures entries matter. */
  if (times->len > self->max_failures)
    g_array_remove_range (times, 0, times->len - self->max_failures);
}

void
hc_rate_limiter_reset (HcRateLimiter *self,
                       const char    *key)
{
  g_return_if_fail (HC_IS_RATE_LIMITER (self));
  g_hash_table_remove (self->failures, key);
}
