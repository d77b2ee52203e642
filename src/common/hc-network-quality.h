/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* Network quality levels the way Twilio's Network Quality API defines them:
 * 5 excellent, 4 good, 3 average, 2 below average, 1 bad, 0 broken
 * (reconnecting); -1 while nothing is known yet. A level is relative to what
 * the participant is trying to send and receive: a participant that sends and
 * receives nothing is at 5.
 *
 * Each of audio send, audio receive, video send and video receive gets a
 * level from its statistics over the last sampling window (bandwidth:
 * achieved, or estimated available, against expected bitrate; fraction of
 * packets lost; round-trip time; jitter); the participant's level is the
 * worst of the four, and the reason names the metric that made it so.
 *
 * The same rules are in data/web/js/network-quality.js; both are pinned by
 * tests/fixtures/network-quality/scoring.json. */

#define HC_NETWORK_QUALITY_UNKNOWN (-1)

typedef enum
{
  HC_NETWORK_QUALITY_KIND_AUDIO,
  HC_NETWORK_QUALITY_KIND_VIDEO,
  HC_NETWORK_QUALITY_N_KINDS
} HcNetworkQualityKind;

typedef enum
{
  HC_NETWORK_QUALITY_SEND,
  HC_NETWORK_QUALITY_RECV,
  HC_NETWORK_QUALITY_N_DIRECTIONS
} HcNetworkQualityDirection;

/* Why a level is below 5. The order is the order of precedence when two
 * metrics give the same worst level. Wire names in
 * hc_network_quality_reason_to_string(). */
typedef enum
{
  HC_NETWORK_QUALITY_REASON_NONE,
  HC_NETWORK_QUALITY_REASON_RECONNECTING,
  HC_NETWORK_QUALITY_REASON_SEND_LOSS,
  HC_NETWORK_QUALITY_REASON_SEND_BANDWIDTH,
  HC_NETWORK_QUALITY_REASON_RECV_LOSS,
  HC_NETWORK_QUALITY_REASON_RECV_BANDWIDTH,
  HC_NETWORK_QUALITY_REASON_LATENCY,
  HC_NETWORK_QUALITY_REASON_JITTER,
  HC_NETWORK_QUALITY_N_REASONS
} HcNetworkQualityReason;

/* What one direction of one kind did over the sampling window. A negative
 * value means "not known" and that metric is not scored; so is bandwidth
 * when @expected_bps is 0 (nothing in particular was expected). */
typedef struct
{
  gboolean active;         /* something is being sent / should be received */
  double   expected_bps;   /* what the participant is trying to send / receive */
  double   achieved_bps;   /* what was sent / received */
  double   available_bps;  /* the bandwidth estimate, when the stack has one */
  double   fraction_lost;  /* 0…1 */
  double   rtt_ms;
  double   jitter_ms;
} HcNetworkQualityStats;

typedef struct
{
  gboolean              connected;  /* FALSE: the transport is down (level 0) */
  HcNetworkQualityStats stats[HC_NETWORK_QUALITY_N_KINDS][HC_NETWORK_QUALITY_N_DIRECTIONS];
} HcNetworkQualityInput;

typedef struct
{
  int                    level;
  HcNetworkQualityReason reason;
  int                    levels[HC_NETWORK_QUALITY_N_KINDS][HC_NETWORK_QUALITY_N_DIRECTIONS];
} HcNetworkQualityResult;

/* Sets every metric of @input to "not known" and every direction inactive. */
void        hc_network_quality_input_init       (HcNetworkQualityInput       *input);

void        hc_network_quality_score            (const HcNetworkQualityInput *input,
                                                 HcNetworkQualityResult      *result);

/* The level one metric alone earns (exposed for the tests and the diagnostics view). */
int         hc_network_quality_bandwidth_level  (double                       ratio);
int         hc_network_quality_loss_level       (double                       fraction_lost);
int         hc_network_quality_rtt_level        (double                       rtt_ms);
int         hc_network_quality_jitter_level     (double                       jitter_ms);

const char *hc_network_quality_reason_to_string (HcNetworkQualityReason       reason);
gboolean    hc_network_quality_reason_from_string (const char                *string,
                                                   HcNetworkQualityReason    *reason);

/* A translated sentence for @reason. With @who NULL it speaks to the local
 * participant ("Your upload is limited"); otherwise about @who, a display name
 * ("Patient's upload is limited"). NULL for HC_NETWORK_QUALITY_REASON_NONE. */
char       *hc_network_quality_reason_describe  (HcNetworkQualityReason       reason,
                                                 const char                  *who);

/* The wire form of docs/protocol.md (`network-quality`): reads an input from
 * {"connected":…, "audio":{"send":{…},"recv":{…}}, "video":{…}} as the test
 * fixtures write it. FALSE with @error (G_IO_ERROR_INVALID_DATA) on a field
 * of the wrong type or out of range. */
gboolean    hc_network_quality_input_from_json  (JsonObject                  *object,
                                                 HcNetworkQualityInput       *input,
                                                 GError                     **error);

/* Adds "level", "reason", "audio": {"send","recv"}, "video": {…} to @builder's
 * current object. */
void        hc_network_quality_result_to_json   (const HcNetworkQualityResult *result,
                                                 JsonBuilder                  *builder);

G_END_DECLS
