/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "hc-engine-enums.h"

#include <gdk/gdk.h>

G_BEGIN_DECLS

#define HC_TYPE_REMOTE_PARTICIPANT (hc_remote_participant_get_type ())

G_DECLARE_FINAL_TYPE (HcRemoteParticipant, hc_remote_participant, HC, REMOTE_PARTICIPANT, GObject)

/* Automatic choice of the simulcast layer (HcRemoteParticipant:preferred-substream). */
#define HC_SUBSTREAM_AUTO (-1)

/* Someone else in the call, as a tile shows them. The engine keeps the read-only
 * properties up to date; a tile sets tile-visible and, to override the engine's
 * choice, preferred-substream. */
const char   *hc_remote_participant_get_sid                 (HcRemoteParticipant *self);
const char   *hc_remote_participant_get_identity            (HcRemoteParticipant *self);
/* The name to show: a patient's checked-in name, else the identity. */
const char   *hc_remote_participant_get_name                (HcRemoteParticipant *self);
gboolean      hc_remote_participant_get_publishing          (HcRemoteParticipant *self);
gboolean      hc_remote_participant_get_audio_muted         (HcRemoteParticipant *self);
gboolean      hc_remote_participant_get_video_muted         (HcRemoteParticipant *self);
gboolean      hc_remote_participant_get_is_dominant_speaker (HcRemoteParticipant *self);
/* The level the participant reports (docs/protocol.md, network-quality), -1 before
 * the first report; network-quality is the same value under its older name. */
int           hc_remote_participant_get_network_quality     (HcRemoteParticipant *self);
int           hc_remote_participant_get_network_quality_level (HcRemoteParticipant *self);
int           hc_remote_participant_get_network_quality_reason (HcRemoteParticipant *self);
/* The reason as a translated sentence about this participant ("Pat’s upload is
 * limited"), or NULL at level 5 or before the first report. */
const char   *hc_remote_participant_get_network_quality_description (HcRemoteParticipant *self);
/* The participant stopped its video because its connection is too weak. */
gboolean      hc_remote_participant_get_audio_only          (HcRemoteParticipant *self);
GdkPaintable *hc_remote_participant_get_paintable           (HcRemoteParticipant *self);
HcMediaState  hc_remote_participant_get_subscription_state  (HcRemoteParticipant *self);
int           hc_remote_participant_get_substream           (HcRemoteParticipant *self);
gboolean      hc_remote_participant_get_paused              (HcRemoteParticipant *self);

int           hc_remote_participant_get_preferred_substream (HcRemoteParticipant *self);
void          hc_remote_participant_set_preferred_substream (HcRemoteParticipant *self,
                                                             int                  substream);
gboolean      hc_remote_participant_get_tile_visible        (HcRemoteParticipant *self);
void          hc_remote_participant_set_tile_visible        (HcRemoteParticipant *self,
                                                             gboolean             visible);

G_END_DECLS
