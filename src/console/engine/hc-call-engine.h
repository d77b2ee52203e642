/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "hc-engine-enums.h"
#include "hc-remote-participant.h"

#include <gdk/gdk.h>
#include <gio/gio.h>

G_BEGIN_DECLS

#define HC_TYPE_CALL_ENGINE (hc_call_engine_get_type ())

G_DECLARE_FINAL_TYPE (HcCallEngine, hc_call_engine, HC, CALL_ENGINE, GObject)

/*
 * The console's call, without a single widget: signaling with housecalld, the
 * publishing pipeline (camera and microphone), one receiving pipeline per remote
 * participant, and the room's state as properties a stage binds to:
 *
 *   state, end-reason, error               where the call is
 *   participants                           a GListModel of HcRemoteParticipant
 *   featured-participant                   who the large tile shows (pinned, else the
 *                                          last remote dominant speaker)
 *   dominant-speaker-sid, local-is-dominant-speaker
 *   local-preview                          a GdkPaintable of our own camera
 *   microphone-muted, camera-enabled       the controls
 *   capture-profile, max-video-bitrate, simulcast, camera-device,
 *   microphone-device, speaker-device      from GSettings (hc_call_engine_bind_settings)
 *
 * Nothing here blocks the main context: pipelines change state in worker threads and
 * every webrtcbin promise and network reply comes back as a main-context callback.
 */

HcCallEngine *hc_call_engine_new                      (void);

/* Prepares, in a worker thread and once per process, what the first call would
 * otherwise make on its way in (webrtcbin's DTLS certificate: 0.1–4 s on a busy
 * two-core machine, which both the publisher's offer and every subscription's answer
 * wait for). Joining does it too; calling it earlier (e.g. when the provider signs in;
 * it initialises GStreamer in its thread if need be) takes it off the first
 * admission's path. */
void          hc_call_engine_warm_up                  (void);
/* Waits for what hc_call_engine_warm_up() started; call before gst_deinit(). */
void          hc_call_engine_warm_up_wait             (void);

/* Binds the org.housecall.Console keys the engine uses, and applies start-muted and
 * start-camera-off. */
void          hc_call_engine_bind_settings            (HcCallEngine         *self,
                                                       GSettings            *settings);

/* Connects to @server_url (https://…, or http:// on loopback), authenticates with
 * @token, joins @room and publishes. Completes once others can see and hear us. */
void          hc_call_engine_join_async               (HcCallEngine         *self,
                                                       const char           *server_url,
                                                       const char           *token,
                                                       const char           *room,
                                                       GCancellable         *cancellable,
                                                       GAsyncReadyCallback   callback,
                                                       gpointer              user_data);
gboolean      hc_call_engine_join_finish              (HcCallEngine         *self,
                                                       GAsyncResult         *result,
                                                       GError              **error);

/* Leaves the room, stops every pipeline and closes the socket; completes when all of
 * that is done, so the engine can be dropped. */
void          hc_call_engine_leave_async              (HcCallEngine         *self,
                                                       GCancellable         *cancellable,
                                                       GAsyncReadyCallback   callback,
                                                       gpointer              user_data);
gboolean      hc_call_engine_leave_finish             (HcCallEngine         *self,
                                                       GAsyncResult         *result,
                                                       GError              **error);

HcCallState   hc_call_engine_get_state                (HcCallEngine         *self);
HcEndReason   hc_call_engine_get_end_reason           (HcCallEngine         *self);
const GError *hc_call_engine_get_error                (HcCallEngine         *self);
GListModel   *hc_call_engine_get_participants         (HcCallEngine         *self);
HcRemoteParticipant *
              hc_call_engine_find_participant         (HcCallEngine         *self,
                                                       const char           *sid);
HcRemoteParticipant *
              hc_call_engine_get_featured_participant (HcCallEngine         *self);
GdkPaintable *hc_call_engine_get_local_preview        (HcCallEngine         *self);
const char   *hc_call_engine_get_local_sid            (HcCallEngine         *self);
const char   *hc_call_engine_get_room_sid             (HcCallEngine         *self);
const char   *hc_call_engine_get_dominant_speaker_sid (HcCallEngine         *self);
gboolean      hc_call_engine_get_published_simulcast  (HcCallEngine         *self);

void          hc_call_engine_set_microphone_muted     (HcCallEngine         *self,
                                                       gboolean              muted);
gboolean      hc_call_engine_get_microphone_muted     (HcCallEngine         *self);
void          hc_call_engine_set_camera_enabled       (HcCallEngine         *self,
                                                       gboolean              enabled);
gboolean      hc_call_engine_get_camera_enabled       (HcCallEngine         *self);

/* The stage's overrides of the collaboration policy. @substream is 0 … 2, or
 * HC_SUBSTREAM_AUTO to give the choice back to the engine. */
void          hc_call_engine_set_subscribed_layer     (HcCallEngine         *self,
                                                       HcRemoteParticipant  *participant,
                                                       int                   substream);
void          hc_call_engine_set_tile_visible         (HcCallEngine         *self,
                                                       HcRemoteParticipant  *participant,
                                                       gboolean              visible);
/* Shows @participant large whoever speaks; %NULL follows the dominant speaker again. */
void          hc_call_engine_pin_participant          (HcCallEngine         *self,
                                                       HcRemoteParticipant  *participant);

/* Host controls (the server allows them to providers only): mute or unmute a
 * participant's audio, remove a participant, end the visit for everyone. */
void          hc_call_engine_mute_participant_async   (HcCallEngine         *self,
                                                       HcRemoteParticipant  *participant,
                                                       gboolean              mute,
                                                       GCancellable         *cancellable,
                                                       GAsyncReadyCallback   callback,
                                                       gpointer              user_data);
void          hc_call_engine_remove_participant_async (HcCallEngine         *self,
                                                       HcRemoteParticipant  *participant,
                                                       GCancellable         *cancellable,
                                                       GAsyncReadyCallback   callback,
                                                       gpointer              user_data);
void          hc_call_engine_end_visit_async          (HcCallEngine         *self,
                                                       GCancellable         *cancellable,
                                                       GAsyncReadyCallback   callback,
                                                       gpointer              user_data);
gboolean      hc_call_engine_host_request_finish      (HcCallEngine         *self,
                                                       GAsyncResult         *result,
                                                       GError              **error);
/* For diagnostics and tests: keyframe requests from the network that reached the
 * encoder of @layer since publishing started. */
guint         hc_call_engine_get_keyframes_routed     (HcCallEngine         *self,
                                                       guint                 layer);
/* Logs the publisher's and every subscription's webrtcbin statistics (diagnostics). */
void          hc_call_engine_log_stats                (HcCallEngine         *self);
/* Network quality (HcCallEngine:network-quality-level, -reason, -description): our
 * own level 0–5 (-1 before the first sample), why, and that as a sentence. Every
 * HcRemoteParticipant has the same three for the level it reports. */
int           hc_call_engine_get_network_quality_level       (HcCallEngine *self);
int           hc_call_engine_get_network_quality_reason      (HcCallEngine *self);
const char   *hc_call_engine_get_network_quality_description (HcCallEngine *self);

/* The in-call diagnostics (HcCallEngine:diagnostics, new every 2 s; NULL before the
 * first sample), an a{sv}:
 *   level i, reason s, audio-send-level i, audio-recv-level i, video-send-level i,
 *   video-recv-level i, adaptation-step i (0 none … 3: the large tile on the low layer),
 *   tracks aa{sv}: one per RTP stream —
 *     participant s (SID; ours for "send"), identity s, direction s ("send"/"recv"),
 *     kind s ("audio"/"video"), ssrc u, bitrate-bps d, packets-per-second d,
 *     fraction-lost d, rtt-ms d, jitter-ms d (-1: not known), candidate-type s
 *     ("host", "srflx", "relay"; "" if not known), layer i (simulcast layer sent, or
 *     substream received; -1 for audio), width i, height i, frame-rate d. */
GVariant     *hc_call_engine_get_diagnostics                 (HcCallEngine *self);
/* HcCallEngine:reconnecting: show "Reconnecting…" while TRUE. */
gboolean      hc_call_engine_get_reconnecting                (HcCallEngine *self);

/* For tests: drops the signaling socket as a network failure would. */
void          hc_call_engine_simulate_connection_loss (HcCallEngine         *self);

G_END_DECLS
