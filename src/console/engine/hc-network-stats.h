/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "hc-network-quality.h"

#include <gst/gst.h>

G_BEGIN_DECLS

/* Turns webrtcbin's statistics (the structure its "get-stats" replies with) into
 * the inputs of the network-quality scoring (src/common/hc-network-quality.h) and
 * into per-track figures for the diagnostics view. Pure: two snapshots of the same
 * webrtcbin in, numbers out; tests/engine/test-engine-unit.c pins it on recorded
 * statistics (tests/fixtures/network-quality/webrtcbin-*.txt). */

typedef struct
{
  char   *direction;      /* "send" or "recv" */
  char   *kind;           /* "audio" or "video" */
  guint   ssrc;
  double  bitrate_bps;    /* over the window; -1 unknown */
  double  packets_per_s;
  double  fraction_lost;  /* -1 unknown */
  double  rtt_ms;         /* -1 unknown */
  double  jitter_ms;      /* -1 unknown */
  char   *candidate_type; /* the selected local candidate's type, or NULL */
} HcTrackStats;

void hc_track_stats_clear (HcTrackStats *track);

/* Adds the sending side of @before → @after (a publisher's webrtcbin) to @input:
 * audio and video send, with @expected_video_bps as the video's demand (0 when the
 * camera is off) and @video_active saying whether video is sent at all. Appends one
 * HcTrackStats per outgoing SSRC to @tracks (may be NULL). */
void hc_network_stats_add_send (const GstStructure    *before,
                                const GstStructure    *after,
                                double                 expected_video_bps,
                                gboolean               video_active,
                                HcNetworkQualityInput *input,
                                GArray                *tracks);

/* Receiving: several subscriptions add up, so the caller starts with
 * hc_network_stats_recv_begin(), adds each subscription's snapshots, and ends with
 * hc_network_stats_recv_end(), which fills the receive side of @input. */
typedef struct
{
  double   bytes[HC_NETWORK_QUALITY_N_KINDS];
  double   received[HC_NETWORK_QUALITY_N_KINDS];
  double   lost[HC_NETWORK_QUALITY_N_KINDS];
  double   jitter_ms[HC_NETWORK_QUALITY_N_KINDS];
  double   seconds[HC_NETWORK_QUALITY_N_KINDS];
  gboolean seen[HC_NETWORK_QUALITY_N_KINDS];
} HcRecvAccumulator;

void hc_network_stats_recv_begin (HcRecvAccumulator     *acc);
void hc_network_stats_add_recv   (HcRecvAccumulator     *acc,
                                  const GstStructure    *before,
                                  const GstStructure    *after,
                                  GArray                *tracks);
void hc_network_stats_recv_end   (HcRecvAccumulator     *acc,
                                  HcNetworkQualityInput *input);

/* The type of the local candidate of the selected (or only) candidate pair, or NULL. */
const char *hc_network_stats_candidate_type (const GstStructure *stats);

G_END_DECLS
