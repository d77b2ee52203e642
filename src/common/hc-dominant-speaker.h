/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Turns per-participant talking / stopped-talking reports into one
 * room-wide dominant speaker that changes at most once per @min_interval_ms:
 *  - a dominant speaker who is still talking is never interrupted;
 *  - when the dominant speaker stops (or leaves) and someone else talks, the
 *    one who has talked longest takes over, but not sooner than
 *    @min_interval_ms after the previous change;
 *  - when everybody stops, the last dominant speaker stays dominant.
 * Times are in milliseconds from any monotonic clock. */
typedef struct _HcDominantSpeaker HcDominantSpeaker;

HcDominantSpeaker *hc_dominant_speaker_new          (gint64              min_interval_ms);
void               hc_dominant_speaker_free         (HcDominantSpeaker  *self);

/* Each returns TRUE when the dominant speaker changed. */
gboolean           hc_dominant_speaker_set_talking  (HcDominantSpeaker  *self,
                                                     const char         *id,
                                                     gboolean            talking,
                                                     gint64              now_ms);
gboolean           hc_dominant_speaker_remove       (HcDominantSpeaker  *self,
                                                     const char         *id,
                                                     gint64              now_ms);
gboolean           hc_dominant_speaker_tick         (HcDominantSpeaker  *self,
                                                     gint64              now_ms);

const char        *hc_dominant_speaker_get          (HcDominantSpeaker  *self);
/* When a tick may change the result, or -1 when nothing is pending. */
gint64             hc_dominant_speaker_next_deadline (HcDominantSpeaker *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HcDominantSpeaker, hc_dominant_speaker_free)

G_END_DECLS
