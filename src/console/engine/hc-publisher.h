/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "hc-engine-enums.h"
#include "hc-video-paintable.h"

#include <gio/gio.h>
#include <gst/gst.h>

G_BEGIN_DECLS

#define HC_TYPE_PUBLISHER (hc_publisher_get_type ())

G_DECLARE_FINAL_TYPE (HcPublisher, hc_publisher, HC, PUBLISHER, GObject)

/* The sending pipeline: camera and microphone (or test sources) → VP8 simulcast (three
 * encoders, one SSRC each, lowest layer first) or one H.264 encoding, and Opus with the
 * ssrc-audio-level header extension → a sendonly webrtcbin. Janus's keyframe requests
 * (PLI/FIR) are routed by SSRC to the encoder of the layer they name. */
HcPublisher     *hc_publisher_new                  (HcCaptureProfile     profile,
                                                    HcVideoCodec         codec,
                                                    gboolean             simulcast,
                                                    HcVideoPaintable    *preview);

HcMediaState     hc_publisher_get_state            (HcPublisher         *self);
const GError    *hc_publisher_get_error            (HcPublisher         *self);
guint            hc_publisher_get_n_layers         (HcPublisher         *self);

/* Builds the pipeline, starts capturing and creates the offer. The result is the SDP
 * offer for housecalld: webrtcbin's, with the simulcast encodings described. */
void             hc_publisher_start_async          (HcPublisher         *self,
                                                    GCancellable        *cancellable,
                                                    GAsyncReadyCallback  callback,
                                                    gpointer             user_data);
char            *hc_publisher_start_finish         (HcPublisher         *self,
                                                    GAsyncResult        *result,
                                                    GError             **error);

/* Applies the answer of `published`. Failures later show as the state "failed". */
gboolean         hc_publisher_set_remote_answer    (HcPublisher         *self,
                                                    const char          *sdp,
                                                    GError             **error);
void             hc_publisher_add_ice_candidate    (HcPublisher         *self,
                                                    guint                mline,
                                                    const char          *candidate);

/* Stops capturing and tears the pipeline down in a worker thread. */
void             hc_publisher_stop_async           (HcPublisher         *self,
                                                    GCancellable        *cancellable,
                                                    GAsyncReadyCallback  callback,
                                                    gpointer             user_data);
gboolean         hc_publisher_stop_finish          (HcPublisher         *self,
                                                    GAsyncResult        *result,
                                                    GError             **error);

void             hc_publisher_set_microphone_muted (HcPublisher         *self,
                                                    gboolean             muted);
void             hc_publisher_set_camera_enabled   (HcPublisher         *self,
                                                    gboolean             enabled);
void             hc_publisher_set_max_video_bitrate (HcPublisher        *self,
                                                    guint                kbps);
/* Switches the camera or microphone while the call goes on ("" is the default device). */
void             hc_publisher_set_camera_device    (HcPublisher         *self,
                                                    const char          *device);
void             hc_publisher_set_microphone_device (HcPublisher        *self,
                                                    const char          *device);

/* Asks every encoder for a keyframe. */
void             hc_publisher_request_keyframes    (HcPublisher         *self);
/* How many keyframe requests from the network reached the encoder of @layer. */
guint            hc_publisher_get_keyframes_routed (HcPublisher         *self,
                                                    guint                layer);

/* Logs webrtcbin's statistics of what is sent (diagnostics). */
void             hc_publisher_log_stats            (HcPublisher         *self);
/* The webrtcbin inside (for its statistics), or NULL before start. */
GstElement      *hc_publisher_get_webrtcbin        (HcPublisher         *self);
/* What the video encoders aim at altogether, in bit/s (0 with the camera off), and the
 * layers' sizes and frame rate, lowest first. */
guint            hc_publisher_get_video_target_bps (HcPublisher         *self);
gboolean         hc_publisher_get_layer_size       (HcPublisher         *self,
                                                    guint                layer,
                                                    int                 *width,
                                                    int                 *height,
                                                    int                 *fps);
/* The simulcast layer an SSRC of ours carries, or -1. */
int              hc_publisher_get_layer_for_ssrc   (HcPublisher         *self,
                                                    guint32              ssrc);

G_END_DECLS
