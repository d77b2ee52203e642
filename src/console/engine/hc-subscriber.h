/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "hc-engine-enums.h"
#include "hc-video-paintable.h"

#include <gio/gio.h>
#include <gst/gst.h>

G_BEGIN_DECLS

#define HC_TYPE_SUBSCRIBER (hc_subscriber_get_type ())

G_DECLARE_FINAL_TYPE (HcSubscriber, hc_subscriber, HC, SUBSCRIBER, GObject)

/* One remote participant received: a recvonly webrtcbin that accepts the offer
 * housecalld relays from Janus, decodes VP8 or H.264 into @paintable and plays the
 * Opus audio (or decodes it into a fakesink when @play_audio is FALSE, for tests). */
HcSubscriber *hc_subscriber_new                 (const char          *participant_sid,
                                                 HcVideoPaintable    *paintable,
                                                 gboolean             play_audio,
                                                 const char          *speaker_device);

const char   *hc_subscriber_get_participant_sid (HcSubscriber        *self);
HcMediaState  hc_subscriber_get_state           (HcSubscriber        *self);
const GError *hc_subscriber_get_error           (HcSubscriber        *self);

/* Takes the server's offer; the result is the SDP answer to send back. */
void          hc_subscriber_accept_offer_async  (HcSubscriber        *self,
                                                 const char          *offer,
                                                 GCancellable        *cancellable,
                                                 GAsyncReadyCallback  callback,
                                                 gpointer             user_data);
char         *hc_subscriber_accept_offer_finish (HcSubscriber        *self,
                                                 GAsyncResult        *result,
                                                 GError             **error);

void          hc_subscriber_add_ice_candidate   (HcSubscriber        *self,
                                                 guint                mline,
                                                 const char          *candidate);

/* Tells the subscription that no video is expected (the layer is paused, or the
 * participant's camera is off), so a still picture is no reason to ask for keyframes. */
void          hc_subscriber_set_paused          (HcSubscriber        *self,
                                                 gboolean             paused);
/* Keyframes asked for because the picture stopped (diagnostics). */
guint         hc_subscriber_get_keyframe_requests (HcSubscriber      *self);

/* Logs webrtcbin's statistics of this subscription (diagnostics). */
void          hc_subscriber_log_stats           (HcSubscriber        *self);
/* The webrtcbin inside (for its statistics), or NULL before the offer. */
GstElement   *hc_subscriber_get_webrtcbin       (HcSubscriber        *self);

void          hc_subscriber_stop_async          (HcSubscriber        *self,
                                                 GCancellable        *cancellable,
                                                 GAsyncReadyCallback  callback,
                                                 gpointer             user_data);
gboolean      hc_subscriber_stop_finish         (HcSubscriber        *self,
                                                 GAsyncResult        *result,
                                                 GError             **error);

G_END_DECLS
