/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "hc-remote-participant.h"
#include "hc-video-paintable.h"

G_BEGIN_DECLS

/* What only the engine changes. */
HcRemoteParticipant *hc_remote_participant_new                    (const char          *sid,
                                                                   const char          *identity);
void                 hc_remote_participant_set_name               (HcRemoteParticipant *self,
                                                                   const char          *name);
HcVideoPaintable    *hc_remote_participant_get_video_paintable    (HcRemoteParticipant *self);
void                 hc_remote_participant_set_publishing         (HcRemoteParticipant *self,
                                                                   gboolean             publishing);
void                 hc_remote_participant_set_muted              (HcRemoteParticipant *self,
                                                                   gboolean             audio,
                                                                   gboolean             video);
void                 hc_remote_participant_set_is_dominant_speaker (HcRemoteParticipant *self,
                                                                   gboolean             dominant);
void                 hc_remote_participant_set_subscription_state (HcRemoteParticipant *self,
                                                                   HcMediaState         state);
void                 hc_remote_participant_set_configured         (HcRemoteParticipant *self,
                                                                   int                  substream,
                                                                   gboolean             paused);

void                 hc_remote_participant_set_network_quality    (HcRemoteParticipant *self,
                                                                   int                  level,
                                                                   int                  reason,
                                                                   gboolean             audio_only);

G_END_DECLS
