/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "HcNetworkStats"

#include "config.h"

#include "hc-network-stats.h"

#include <string.h>

/* webrtcbin names its statistics after the W3C dictionaries with dashes
 * ("packets-sent"), each a GstStructure named by its type in a field named by its
 * id. Counters come as guint64, gint64 or guint depending on the element and the
 * version: read every number as a double. */

void
hc_track_stats_clear (HcTrackStats *track)
{
  g_clear_pointer (&track->direction, g_free);
  g_clear_pointer (&track->kind, g_free);
  g_clear_pointer (&track->candidate_type, g_free);
}

static gboolean
get_number (const GstStructure *s,
            const char         *field,
            double             *out)
{
  const GValue *value = gst_structure_get_value (s, field);

  if (value == NULL)
    return FALSE;
  switch (G_VALUE_TYPE (value))
    {
    case G_TYPE_DOUBLE:
      *out = g_value_get_double (value);
      return TRUE;
    case G_TYPE_FLOAT:
      *out = g_value_get_float (value);
      return TRUE;
    case G_TYPE_INT:
      *out = g_value_get_int (value);
      return TRUE;
    case G_TYPE_UINT:
      *out = g_value_get_uint (value);
      return TRUE;
    case G_TYPE_INT64:
      *out = (double) g_value_get_int64 (value);
      return TRUE;
    case G_TYPE_UINT64:
      *out = (double) g_value_get_uint64 (value);
      return TRUE;
    default:
      return FALSE;
    }
}

static double
number_or (const GstStructure *s,
           const char         *field,
           double              fallback)
{
  double value;

  return get_number (s, field, &value) ? value : fallback;
}

static const GstStructure *
get_stat (const GstStructure *stats,
          const char         *id)
{
  const GValue *value;

  if (stats == NULL || id == NULL)
    return NULL;
  value = gst_structure_get_value (stats, id);
  if (value == NULL || !GST_VALUE_HOLDS_STRUCTURE (value))
    return NULL;
  return gst_value_get_structure (value);
}

/* The n-th statistic of @type, with its id; FALSE past the last. */
static gboolean
nth_of_type (const GstStructure  *stats,
             const char          *type,
             int                 *index,
             const char         **id,
             const GstStructure **stat)
{
  int n = gst_structure_n_fields (stats);

  for (; *index < n; (*index)++)
    {
      const char *name = gst_structure_nth_field_name (stats, *index);
      const GstStructure *s = get_stat (stats, name);

      if (s != NULL && gst_structure_has_name (s, type))
        {
          *id = name;
          *stat = s;
          (*index)++;
          return TRUE;
        }
    }
  return FALSE;
}

static int
kind_of_clock_rate (double clock_rate)
{
  return clock_rate == 90000 ? HC_NETWORK_QUALITY_KIND_VIDEO : HC_NETWORK_QUALITY_KIND_AUDIO;
}

static int
stat_kind (const GstStructure *stats,
           const GstStructure *stat)
{
  const GValue *source = gst_structure_get_value (stat, "gst-rtpsource-stats");
  const char *kind = gst_structure_get_string (stat, "kind");
  const GstStructure *codec;
  double clock_rate;

  /* webrtcbin 1.22 calls every stream of a bundle by the first transceiver's kind
   * and codec (all "audio", seen on the console's own recordings); the RTP source's
   * clock rate is right: 90 kHz is video. */
  if (source != NULL && GST_VALUE_HOLDS_STRUCTURE (source) &&
      get_number (gst_value_get_structure (source), "clock-rate", &clock_rate) && clock_rate > 0)
    return kind_of_clock_rate (clock_rate);
  codec = get_stat (stats, gst_structure_get_string (stat, "codec-id"));
  if (codec != NULL && get_number (codec, "clock-rate", &clock_rate) && clock_rate > 0 && kind == NULL)
    return kind_of_clock_rate (clock_rate);
  if (kind != NULL)
    return strcmp (kind, "video") == 0 ? HC_NETWORK_QUALITY_KIND_VIDEO
         : strcmp (kind, "audio") == 0 ? HC_NETWORK_QUALITY_KIND_AUDIO : -1;
  return -1;
}

static double
seconds_between (const GstStructure *before,
                 const GstStructure *after)
{
  double t0, t1;

  /* Timestamps are in milliseconds. */
  if (!get_number (before, "timestamp", &t0) || !get_number (after, "timestamp", &t1))
    return -1;
  return (t1 - t0) / 1000.0;
}

static const GstStructure *
remote_inbound_for (const GstStructure *stats,
                    const char         *outbound_id,
                    guint               ssrc)
{
  const GstStructure *stat;
  const char *id;
  int i = 0;

  while (nth_of_type (stats, "remote-inbound-rtp", &i, &id, &stat))
    {
      guint other = 0;

      if (g_strcmp0 (gst_structure_get_string (stat, "local-id"), outbound_id) == 0 ||
          (gst_structure_get_uint (stat, "ssrc", &other) && other == ssrc))
        return stat;
    }
  return NULL;
}

/* RTCP's fraction lost is eight bits; webrtcbin may hand it on as 0…255 or as 0…1. */
static double
normalize_fraction (double value)
{
  if (value > 1.0)
    value /= 256.0;
  return CLAMP (value, 0.0, 1.0);
}

const char *
hc_network_stats_candidate_type (const GstStructure *stats)
{
  const GstStructure *pair = NULL;
  const GstStructure *stat;
  const char *id;
  int i = 0;

  if (stats == NULL)
    return NULL;
  while (nth_of_type (stats, "candidate-pair", &i, &id, &stat))
    {
      pair = stat;
      break;
    }
  if (pair != NULL)
    {
      const GstStructure *local = get_stat (stats, gst_structure_get_string (pair, "local-candidate-id"));

      if (local != NULL)
        return gst_structure_get_string (local, "candidate-type");
    }
  return NULL;
}

void
hc_network_stats_add_send (const GstStructure    *before,
                           const GstStructure    *after,
                           double                 expected_video_bps,
                           gboolean               video_active,
                           HcNetworkQualityInput *input,
                           GArray                *tracks)
{
  double bytes[HC_NETWORK_QUALITY_N_KINDS] = { 0, 0 };
  double loss_weighted[HC_NETWORK_QUALITY_N_KINDS] = { 0, 0 };
  double loss_weight[HC_NETWORK_QUALITY_N_KINDS] = { 0, 0 };
  double rtt[HC_NETWORK_QUALITY_N_KINDS] = { -1, -1 };
  double jitter[HC_NETWORK_QUALITY_N_KINDS] = { -1, -1 };
  double seconds[HC_NETWORK_QUALITY_N_KINDS] = { 0, 0 };
  gboolean seen[HC_NETWORK_QUALITY_N_KINDS] = { FALSE, FALSE };
  const char *candidate_type = hc_network_stats_candidate_type (after);
  const GstStructure *now;
  const char *id;
  int i = 0;

  if (before == NULL || after == NULL)
    return;
  while (nth_of_type (after, "outbound-rtp", &i, &id, &now))
    {
      const GstStructure *then = get_stat (before, id);
      const GstStructure *remote;
      int kind = stat_kind (after, now);
      double dt, sent_bytes, sent_packets, value;
      guint ssrc = 0;

      if (then == NULL || kind < 0 || (dt = seconds_between (then, now)) <= 0)
        continue;
      gst_structure_get_uint (now, "ssrc", &ssrc);
      sent_bytes = MAX (0, number_or (now, "bytes-sent", 0) - number_or (then, "bytes-sent", 0));
      sent_packets = MAX (0, number_or (now, "packets-sent", 0) - number_or (then, "packets-sent", 0));
      bytes[kind] += sent_bytes;
      seconds[kind] = MAX (seconds[kind], dt);
      seen[kind] = TRUE;

      HcTrackStats track = {
        .direction = g_strdup ("send"),
        .kind = g_strdup (kind == HC_NETWORK_QUALITY_KIND_VIDEO ? "video" : "audio"),
        .ssrc = ssrc,
        .bitrate_bps = sent_bytes * 8 / dt,
        .packets_per_s = sent_packets / dt,
        .fraction_lost = -1,
        .rtt_ms = -1,
        .jitter_ms = -1,
        .candidate_type = g_strdup (candidate_type),
      };

      remote = remote_inbound_for (after, id, ssrc);
      if (remote != NULL)
        {
          if (get_number (remote, "fraction-lost", &value))
            {
              /* Weighted by what each layer sent: a thin layer's one lost packet must
               * not outweigh a thick one's thousand. */
              track.fraction_lost = normalize_fraction (value);
              loss_weighted[kind] += track.fraction_lost * MAX (sent_packets, 1);
              loss_weight[kind] += MAX (sent_packets, 1);
            }
          if (get_number (remote, "round-trip-time", &value) && value > 0)
            {
              track.rtt_ms = value * 1000;
              rtt[kind] = MAX (rtt[kind], track.rtt_ms);
            }
          if (get_number (remote, "jitter", &value) && value >= 0)
            {
              track.jitter_ms = value * 1000;
              jitter[kind] = MAX (jitter[kind], track.jitter_ms);
            }
        }
      if (tracks != NULL)
        g_array_append_val (tracks, track);
      else
        hc_track_stats_clear (&track);
    }

  for (int k = 0; k < HC_NETWORK_QUALITY_N_KINDS; k++)
    {
      HcNetworkQualityStats *stats = &input->stats[k][HC_NETWORK_QUALITY_SEND];

      if (!seen[k] || seconds[k] <= 0)
        continue;
      if (k == HC_NETWORK_QUALITY_KIND_VIDEO && !video_active)
        continue;
      stats->active = TRUE;
      stats->achieved_bps = bytes[k] * 8 / seconds[k];
      stats->expected_bps = k == HC_NETWORK_QUALITY_KIND_VIDEO ? expected_video_bps : 0;
      stats->fraction_lost = loss_weight[k] > 0 ? loss_weighted[k] / loss_weight[k] : -1;
      stats->rtt_ms = rtt[k];
      stats->jitter_ms = jitter[k];
    }
}

void
hc_network_stats_recv_begin (HcRecvAccumulator *acc)
{
  memset (acc, 0, sizeof *acc);
  for (int k = 0; k < HC_NETWORK_QUALITY_N_KINDS; k++)
    acc->jitter_ms[k] = -1;
}

void
hc_network_stats_add_recv (HcRecvAccumulator  *acc,
                           const GstStructure *before,
                           const GstStructure *after,
                           GArray             *tracks)
{
  const char *candidate_type = hc_network_stats_candidate_type (after);
  const GstStructure *now;
  const char *id;
  int i = 0;

  if (before == NULL || after == NULL)
    return;
  while (nth_of_type (after, "inbound-rtp", &i, &id, &now))
    {
      const GstStructure *then = get_stat (before, id);
      int kind = stat_kind (after, now);
      double dt, got_bytes, got_packets, lost, value;
      guint ssrc = 0;

      if (then == NULL || kind < 0 || (dt = seconds_between (then, now)) <= 0)
        continue;
      gst_structure_get_uint (now, "ssrc", &ssrc);
      got_bytes = MAX (0, number_or (now, "bytes-received", 0) - number_or (then, "bytes-received", 0));
      got_packets = MAX (0, number_or (now, "packets-received", 0) -
                            number_or (then, "packets-received", 0));
      lost = MAX (0, number_or (now, "packets-lost", 0) - number_or (then, "packets-lost", 0));
      acc->bytes[kind] += got_bytes;
      acc->received[kind] += got_packets;
      acc->lost[kind] += lost;
      acc->seconds[kind] = MAX (acc->seconds[kind], dt);
      acc->seen[kind] = TRUE;

      HcTrackStats track = {
        .direction = g_strdup ("recv"),
        .kind = g_strdup (kind == HC_NETWORK_QUALITY_KIND_VIDEO ? "video" : "audio"),
        .ssrc = ssrc,
        .bitrate_bps = got_bytes * 8 / dt,
        .packets_per_s = got_packets / dt,
        .fraction_lost = got_packets + lost > 0 ? lost / (got_packets + lost) : -1,
        .rtt_ms = -1,
        .jitter_ms = -1,
        .candidate_type = g_strdup (candidate_type),
      };

      if (get_number (now, "jitter", &value) && value >= 0)
        {
          track.jitter_ms = value * 1000;
          acc->jitter_ms[kind] = MAX (acc->jitter_ms[kind], track.jitter_ms);
        }
      if (tracks != NULL)
        g_array_append_val (tracks, track);
      else
        hc_track_stats_clear (&track);
    }
}

void
hc_network_stats_recv_end (HcRecvAccumulator     *acc,
                           HcNetworkQualityInput *input)
{
  for (int k = 0; k < HC_NETWORK_QUALITY_N_KINDS; k++)
    {
      HcNetworkQualityStats *stats = &input->stats[k][HC_NETWORK_QUALITY_RECV];

      if (!acc->seen[k] || acc->seconds[k] <= 0)
        continue;
      stats->active = TRUE;
      /* What a subscription should carry depends on what the sender sends, which
       * the receiver does not know: bandwidth is not scored on this side. */
      stats->expected_bps = 0;
      stats->achieved_bps = acc->bytes[k] * 8 / acc->seconds[k];
      stats->fraction_lost = acc->received[k] + acc->lost[k] > 0
                               ? acc->lost[k] / (acc->received[k] + acc->lost[k]) : -1;
      stats->jitter_ms = acc->jitter_ms[k];
    }
}
