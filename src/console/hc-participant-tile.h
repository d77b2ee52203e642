/* SPDX-License-Identifier: GPL-3.0-or-later */

#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define HC_TYPE_PARTICIPANT_TILE (hc_participant_tile_get_type ())

G_DECLARE_FINAL_TYPE (HcParticipantTile, hc_participant_tile, HC, PARTICIPANT_TILE, GtkWidget)

/*
 * One person's picture on the stage: their video (or their initials when the
 * camera is off), their name, a microphone-off badge, connection bars and a
 * ring while they speak. The tile knows nothing of the engine: the stage binds
 * its properties to an HcRemoteParticipant, or to the engine's own preview.
 *
 * For screen readers the tile is a group named after the person, described by
 * its state ("speaking, microphone off"), so the UI tests read the stage as a
 * person with a screen reader would.
 */
GtkWidget    *hc_participant_tile_new              (void);

void          hc_participant_tile_set_name         (HcParticipantTile *self,
                                                    const char        *name);
const char   *hc_participant_tile_get_name         (HcParticipantTile *self);
void          hc_participant_tile_set_paintable    (HcParticipantTile *self,
                                                    GdkPaintable      *paintable);
void          hc_participant_tile_set_audio_muted  (HcParticipantTile *self,
                                                    gboolean           muted);
void          hc_participant_tile_set_video_muted  (HcParticipantTile *self,
                                                    gboolean           muted);
void          hc_participant_tile_set_speaking     (HcParticipantTile *self,
                                                    gboolean           speaking);
gboolean      hc_participant_tile_get_speaking     (HcParticipantTile *self);
/* 0 … 5 as the Network Quality API counts; -1 when not known (no bars). */
void          hc_participant_tile_set_network_quality (HcParticipantTile *self,
                                                       int                level);
/* Why the connection is weak, as a sentence ("Pat's upload is limited"); NULL when
 * there is nothing to say. Shown as the bars' tooltip and read after the state. */
void          hc_participant_tile_set_network_reason  (HcParticipantTile *self,
                                                       const char        *reason);
/* A word for what the tile is, spoken before the state: "Main speaker", "Thumbnail",
 * "Your camera". */
void          hc_participant_tile_set_role_label   (HcParticipantTile *self,
                                                    const char        *label);

/* A small tile's size (the preview, thumbnails), whatever the video's; 0×0 lets the
 * tile grow with its video. */
void          hc_participant_tile_set_natural_size (HcParticipantTile *self,
                                                    int                width,
                                                    int                height);

G_END_DECLS
