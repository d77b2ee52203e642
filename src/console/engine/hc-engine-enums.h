/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

/* The life of a call, as the stage shows it. */
typedef enum
{
  HC_CALL_STATE_IDLE,
  HC_CALL_STATE_CONNECTING,    /* opening the socket, authenticating, joining */
  HC_CALL_STATE_JOINED,        /* in the room; the camera and microphone are being published */
  HC_CALL_STATE_IN_CALL,       /* published: others can see and hear us */
  HC_CALL_STATE_RECONNECTING,  /* the socket or the media server went away; coming back */
  HC_CALL_STATE_ENDED,         /* left, or the room ended; see HcCallEngine:end-reason */
  HC_CALL_STATE_FAILED,        /* could not join or publish; see HcCallEngine:error */
} HcCallState;

/* Why a call ended. */
typedef enum
{
  HC_END_REASON_NONE,
  HC_END_REASON_LEFT,            /* hc_call_engine_leave_async() */
  HC_END_REASON_ROOM_COMPLETED,  /* the provider (or the REST API) ended the visit */
  HC_END_REASON_TOKEN_REVOKED,
  HC_END_REASON_AUTH_FAILED,     /* the token expired or was refused while reconnecting */
  HC_END_REASON_CONNECTION_LOST, /* reconnecting gave up */
  HC_END_REASON_ERROR,
} HcEndReason;

/* One media pipeline's state (the publisher, or one subscription). */
typedef enum
{
  HC_MEDIA_STATE_NEW,
  HC_MEDIA_STATE_STARTING,     /* building the pipeline, opening devices */
  HC_MEDIA_STATE_NEGOTIATING,  /* offer/answer */
  HC_MEDIA_STATE_CONNECTING,   /* ICE and DTLS */
  HC_MEDIA_STATE_CONNECTED,
  HC_MEDIA_STATE_FAILED,
  HC_MEDIA_STATE_STOPPED,
} HcMediaState;

typedef enum
{
  HC_SIGNALING_STATE_DISCONNECTED,
  HC_SIGNALING_STATE_CONNECTING,
  HC_SIGNALING_STATE_CONNECTED,     /* open and authenticated */
  HC_SIGNALING_STATE_RECONNECTING,
  HC_SIGNALING_STATE_CLOSED,        /* closed for good: by us, or by a final close code */
} HcSignalingState;

/* The values of the GSettings key capture-profile (the nicks are the choices). */
typedef enum
{
  HC_CAPTURE_PROFILE_720P,
  HC_CAPTURE_PROFILE_480P,
  HC_CAPTURE_PROFILE_360P,
  HC_CAPTURE_PROFILE_TEST_PATTERN_720P,
  HC_CAPTURE_PROFILE_TEST_PATTERN_360P,
} HcCaptureProfile;

typedef enum
{
  HC_VIDEO_CODEC_VP8,
  HC_VIDEO_CODEC_H264,
} HcVideoCodec;

#define HC_TYPE_CALL_STATE       (hc_call_state_get_type ())
#define HC_TYPE_END_REASON       (hc_end_reason_get_type ())
#define HC_TYPE_MEDIA_STATE      (hc_media_state_get_type ())
#define HC_TYPE_SIGNALING_STATE  (hc_signaling_state_get_type ())
#define HC_TYPE_CAPTURE_PROFILE  (hc_capture_profile_get_type ())
#define HC_TYPE_VIDEO_CODEC      (hc_video_codec_get_type ())
/* HcNetworkQualityReason of src/common/hc-network-quality.h, with its wire names as nicks. */
#define HC_TYPE_NETWORK_QUALITY_REASON (hc_network_quality_reason_get_type ())

GType hc_call_state_get_type      (void) G_GNUC_CONST;
GType hc_end_reason_get_type      (void) G_GNUC_CONST;
GType hc_media_state_get_type     (void) G_GNUC_CONST;
GType hc_signaling_state_get_type (void) G_GNUC_CONST;
GType hc_capture_profile_get_type (void) G_GNUC_CONST;
GType hc_network_quality_reason_get_type (void) G_GNUC_CONST;
GType hc_video_codec_get_type     (void) G_GNUC_CONST;

/* The nick of @value in @enum_type, for logs ("in-call"); never NULL. */
const char *hc_enum_to_nick (GType enum_type,
                             int   value);

G_END_DECLS
