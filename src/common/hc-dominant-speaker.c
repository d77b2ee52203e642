/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "HcDominantSpeaker"

#include "config.h"

#include "hc-dominant-speaker.h"

struct _HcDominantSpeaker
{
  gint64      min_interval;
  GHashTable *talking_since;   /* id → gint64* start time of those talking now */
  char       *dominant;
  gint64      last_change;
  gint64      deadline;
};

HcDominantSpeaker *
hc_dominant_speaker_new (gint64 min_interval_ms)
{
  HcDominantSpeaker *self = g_new0 (HcDominantSpeaker, 1);

  self->min_interval = min_interval_ms;
  self->talking_since = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->last_change = G_MININT64 / 2;
  self->deadline = -1;
  return self;
}

void
hc_dominant_speaker_free (HcDominantSpeaker *self)
{
  if (self == NULL)
    return;
  g_hash_table_unref (self->talking_since);
  g_free (self->dominant);
  g_free (self);
}

static gboolean
evaluate (HcDominantSpeaker *self,
          gint64             now)
{
  GHashTableIter iter;
  gpointer key, value;
  const char *candidate = NULL;
  gint64 earliest = G_MAXINT64;

  self->deadline = -1;
  if (self->dominant != NULL && g_hash_table_contains (self->talking_since, self->dominant))
    return FALSE;

  g_hash_table_iter_init (&iter, self->talking_since);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      gint64 since = *(gint64 *) value;

      /* Ties go to the smaller id so that the result does not depend on the
       * hash table's order. */
      if (since < earliest || (since == earliest && g_strcmp0 (key, candidate) < 0))
        {
          earliest = since;
          candidate = key;
        }
    }
  if (candidate == NULL)
    return FALSE;
  if (now - self->last_change < self->min_interval)
    {
      self->deadline = self->last_change + self->min_interval;
      return FALSE;
    }
  g_free (self->dominant);
  self->dominant = g_strdup (candidate);
  self->last_change = now;
  return TRUE;
}

gboolean
hc_dominant_speaker_set_talking (HcDominantSpeaker *self,
                                 const char        *id,
                                 gboolean           talking,
                                 gint64             now_ms)
{
  g_return_val_if_fail (self != NULL && id != NULL, FALSE);

  if (talking && !g_hash_table_contains (self->talking_since, id))
    g_hash_table_insert (self->talking_since, g_strdup (id), g_memdup2 (&now_ms, sizeof now_ms));
  else if (!talking)
    g_hash_table_remove (self->talking_since, id);
  return evaluate (self, now_ms);
}

gboolean
hc_dominant_speaker_remove (HcDominantSpeaker *self,
                            const char        *id,
                            gint64             now_ms)
{
  gboolean was_dominant;

  g_return_val_if_fail (self != NULL && id != NULL, FALSE);

  g_hash_table_remove (self->talking_since, id);
  was_dominant = g_strcmp0 (self->dominant, id) == 0;
  if (was_dominant)
    {
      /* Someone who left is never the dominant speaker; the next talker may
       * take over at once. */
      g_clear_pointer (&self->dominant, g_free);
      self->last_change = G_MININT64 / 2;
    }
  return evaluate (self, now_ms) || was_dominant;
}

gboolean
hc_dominant_speaker_tick (HcDominantSpeaker *self,
                          gint64             now_ms)
{
  g_return_val_if_fail (self != NULL, FALSE);
  return evaluate (self, now_ms);
}

const char *
hc_dominant_speaker_get (HcDominantSpeaker *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->dominant;
}

gint64
hc_dominant_speaker_next_deadline (HcDominantSpeaker *self)
{
  g_return_val_if_fail (self != NULL, -1);
  return self->deadline;
}
