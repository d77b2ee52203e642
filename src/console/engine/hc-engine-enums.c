/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "HcEngine"

#include "config.h"

#include "hc-engine-enums.h"
#include "hc-network-quality.h"

G_DEFINE_ENUM_TYPE (HcCallState, hc_call_state,
  G_DEFINE_ENUM_VALUE (HC_CALL_STATE_IDLE, "idle"),
  G_DEFINE_ENUM_VALUE (HC_CALL_STATE_CONNECTING, "connecting"),
  G_DEFINE_ENUM_VALUE (HC_CALL_STATE_JOINED, "joined"),
  G_DEFINE_ENUM_VALUE (HC_CALL_STATE_IN_CALL, "in-call"),
  G_DEFINE_ENUM_VALUE (HC_CALL_STATE_RECONNECTING, "reconnecting"),
  G_DEFINE_ENUM_VALUE (HC_CALL_STATE_ENDED, "ended"),
  G_DEFINE_ENUM_VALUE (HC_CALL_STATE_FAILED, "failed"))

G_DEFINE_ENUM_TYPE (HcEndReason, hc_end_reason,
  G_DEFINE_ENUM_VALUE (HC_END_REASON_NONE, "none"),
  G_DEFINE_ENUM_VALUE (HC_END_REASON_LEFT, "left"),
  G_DEFINE_ENUM_VALUE (HC_END_REASON_ROOM_COMPLETED, "room-completed"),
  G_DEFINE_ENUM_VALUE (HC_END_REASON_TOKEN_REVOKED, "token-revoked"),
  G_DEFINE_ENUM_VALUE (HC_END_REASON_AUTH_FAILED, "auth-failed"),
  G_DEFINE_ENUM_VALUE (HC_END_REASON_CONNECTION_LOST, "connection-lost"),
  G_DEFINE_ENUM_VALUE (HC_END_REASON_ERROR, "error"))

G_DEFINE_ENUM_TYPE (HcMediaState, hc_media_state,
  G_DEFINE_ENUM_VALUE (HC_MEDIA_STATE_NEW, "new"),
  G_DEFINE_ENUM_VALUE (HC_MEDIA_STATE_STARTING, "starting"),
  G_DEFINE_ENUM_VALUE (HC_MEDIA_STATE_NEGOTIATING, "negotiating"),
  G_DEFINE_ENUM_VALUE (HC_MEDIA_STATE_CONNECTING, "connecting"),
  G_DEFINE_ENUM_VALUE (HC_MEDIA_STATE_CONNECTED, "connected"),
  G_DEFINE_ENUM_VALUE (HC_MEDIA_STATE_FAILED, "failed"),
  G_DEFINE_ENUM_VALUE (HC_MEDIA_STATE_STOPPED, "stopped"))

G_DEFINE_ENUM_TYPE (HcSignalingState, hc_signaling_state,
  G_DEFINE_ENUM_VALUE (HC_SIGNALING_STATE_DISCONNECTED, "disconnected"),
  G_DEFINE_ENUM_VALUE (HC_SIGNALING_STATE_CONNECTING, "connecting"),
  G_DEFINE_ENUM_VALUE (HC_SIGNALING_STATE_CONNECTED, "connected"),
  G_DEFINE_ENUM_VALUE (HC_SIGNALING_STATE_RECONNECTING, "reconnecting"),
  G_DEFINE_ENUM_VALUE (HC_SIGNALING_STATE_CLOSED, "closed"))

/* The nicks are the choices of the GSettings key, so that g_settings_bind() maps them. */
G_DEFINE_ENUM_TYPE (HcCaptureProfile, hc_capture_profile,
  G_DEFINE_ENUM_VALUE (HC_CAPTURE_PROFILE_720P, "720p"),
  G_DEFINE_ENUM_VALUE (HC_CAPTURE_PROFILE_480P, "480p"),
  G_DEFINE_ENUM_VALUE (HC_CAPTURE_PROFILE_360P, "360p"),
  G_DEFINE_ENUM_VALUE (HC_CAPTURE_PROFILE_TEST_PATTERN_720P, "test-pattern-720p"),
  G_DEFINE_ENUM_VALUE (HC_CAPTURE_PROFILE_TEST_PATTERN_360P, "test-pattern-360p"))

G_DEFINE_ENUM_TYPE (HcVideoCodec, hc_video_codec,
  G_DEFINE_ENUM_VALUE (HC_VIDEO_CODEC_VP8, "vp8"),
  G_DEFINE_ENUM_VALUE (HC_VIDEO_CODEC_H264, "h264"))

G_DEFINE_ENUM_TYPE (HcNetworkQualityReason, hc_network_quality_reason,
  G_DEFINE_ENUM_VALUE (HC_NETWORK_QUALITY_REASON_NONE, "none"),
  G_DEFINE_ENUM_VALUE (HC_NETWORK_QUALITY_REASON_RECONNECTING, "reconnecting"),
  G_DEFINE_ENUM_VALUE (HC_NETWORK_QUALITY_REASON_SEND_LOSS, "send-loss"),
  G_DEFINE_ENUM_VALUE (HC_NETWORK_QUALITY_REASON_SEND_BANDWIDTH, "send-bandwidth"),
  G_DEFINE_ENUM_VALUE (HC_NETWORK_QUALITY_REASON_RECV_LOSS, "recv-loss"),
  G_DEFINE_ENUM_VALUE (HC_NETWORK_QUALITY_REASON_RECV_BANDWIDTH, "recv-bandwidth"),
  G_DEFINE_ENUM_VALUE (HC_NETWORK_QUALITY_REASON_LATENCY, "latency"),
  G_DEFINE_ENUM_VALUE (HC_NETWORK_QUALITY_REASON_JITTER, "jitter"))

const char *
hc_enum_to_nick (GType enum_type,
                 int   value)
{
  g_autoptr(GEnumClass) klass = g_type_class_ref (enum_type);
  GEnumValue *enum_value = g_enum_get_value (klass, value);

  /* The class of a static enum type is never unloaded, so the nick outlives the ref. */
  return enum_value != NULL ? enum_value->value_nick : "?";
}
