/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "HcNetworkQuality"

#include "config.h"

#include "hc-network-quality.h"

#include <gio/gio.h>
#include <glib/gi18n.h>

#include <math.h>
#include <string.h>

/* The thresholds. Twilio does not publish its own; these follow what the
 * media stacks themselves treat as trouble: Opus and VP8 conceal up to ~1 %
 * loss without a visible or audible artefact and fall apart past ~10 %;
 * 200 ms of round trip is where conversation starts to overlap; a jitter
 * buffer of 30 ms is what WebRTC's default targets. The bandwidth ratio is
 * the share of the expected bitrate the path carries. Each table is the
 * lowest value (bandwidth) or the highest value (the rest) that still
 * earns level 5, 4, 3, 2; anything worse earns 1.
 *
 * data/web/js/network-quality.js has the same numbers. */
static const double bandwidth_min[] = { 0.85, 0.70, 0.55, 0.20 };
static const double loss_max[]      = { 0.010, 0.025, 0.040, 0.100 };
static const double rtt_max[]       = { 200, 350, 500, 800 };
static const double jitter_max[]    = { 30, 50, 80, 150 };

static const char *const reason_names[HC_NETWORK_QUALITY_N_REASONS] = {
  [HC_NETWORK_QUALITY_REASON_NONE] = "none",
  [HC_NETWORK_QUALITY_REASON_RECONNECTING] = "reconnecting",
  [HC_NETWORK_QUALITY_REASON_SEND_LOSS] = "send-loss",
  [HC_NETWORK_QUALITY_REASON_SEND_BANDWIDTH] = "send-bandwidth",
  [HC_NETWORK_QUALITY_REASON_RECV_LOSS] = "recv-loss",
  [HC_NETWORK_QUALITY_REASON_RECV_BANDWIDTH] = "recv-bandwidth",
  [HC_NETWORK_QUALITY_REASON_LATENCY] = "latency",
  [HC_NETWORK_QUALITY_REASON_JITTER] = "jitter",
};

static const char *const kind_names[HC_NETWORK_QUALITY_N_KINDS] = { "audio", "video" };
static const char *const direction_names[HC_NETWORK_QUALITY_N_DIRECTIONS] = { "send", "recv" };

static int
level_at_most (double value,
               const double max[4])
{
  for (int i = 0; i < 4; i++)
    if (value <= max[i])
      return 5 - i;
  return 1;
}

int
hc_network_quality_bandwidth_level (double ratio)
{
  for (int i = 0; i < 4; i++)
    if (ratio >= bandwidth_min[i])
      return 5 - i;
  return 1;
}

int
hc_network_quality_loss_level (double fraction_lost)
{
  return level_at_most (fraction_lost, loss_max);
}

int
hc_network_quality_rtt_level (double rtt_ms)
{
  return level_at_most (rtt_ms, rtt_max);
}

int
hc_network_quality_jitter_level (double jitter_ms)
{
  return level_at_most (jitter_ms, jitter_max);
}

void
hc_network_quality_input_init (HcNetworkQualityInput *input)
{
  input->connected = TRUE;
  for (int k = 0; k < HC_NETWORK_QUALITY_N_KINDS; k++)
    for (int d = 0; d < HC_NETWORK_QUALITY_N_DIRECTIONS; d++)
      input->stats[k][d] = (HcNetworkQualityStats) {
        .active = FALSE,
        .expected_bps = 0,
        .achieved_bps = -1,
        .available_bps = -1,
        .fraction_lost = -1,
        .rtt_ms = -1,
        .jitter_ms = -1,
      };
}

/* Lowers *level to @candidate, naming @reason, when @candidate is worse; on a
 * tie the reason earlier in the enum (the one checked first) stays. */
static void
consider (int                     candidate,
          HcNetworkQualityReason  reason,
          int                    *level,
          HcNetworkQualityReason *why)
{
  if (candidate < *level)
    {
      *level = candidate;
      *why = reason;
    }
}

static int
score_one (const HcNetworkQualityStats *stats,
           HcNetworkQualityDirection    direction,
           HcNetworkQualityReason      *why)
{
  gboolean send = direction == HC_NETWORK_QUALITY_SEND;
  int level = 5;

  *why = HC_NETWORK_QUALITY_REASON_NONE;
  if (!stats->active)
    return level;

  if (stats->fraction_lost >= 0)
    consider (hc_network_quality_loss_level (stats->fraction_lost),
              send ? HC_NETWORK_QUALITY_REASON_SEND_LOSS : HC_NETWORK_QUALITY_REASON_RECV_LOSS,
              &level, why);

  if (stats->expected_bps > 0 && (stats->achieved_bps >= 0 || stats->available_bps >= 0))
    {
      /* What the path can carry: what went through, or the stack's estimate when
       * that is higher (an encoder held back by the CPU, or still ramping up,
       * is not the network's fault). */
      double carried = MAX (stats->achieved_bps, stats->available_bps);

      consider (hc_network_quality_bandwidth_level (carried / stats->expected_bps),
                send ? HC_NETWORK_QUALITY_REASON_SEND_BANDWIDTH : HC_NETWORK_QUALITY_REASON_RECV_BANDWIDTH,
                &level, why);
    }

  if (stats->rtt_ms >= 0)
    consider (hc_network_quality_rtt_level (stats->rtt_ms), HC_NETWORK_QUALITY_REASON_LATENCY,
              &level, why);
  if (stats->jitter_ms >= 0)
    consider (hc_network_quality_jitter_level (stats->jitter_ms), HC_NETWORK_QUALITY_REASON_JITTER,
              &level, why);
  return level;
}

void
hc_network_quality_score (const HcNetworkQualityInput *input,
                          HcNetworkQualityResult      *result)
{
  result->level = 5;
  result->reason = HC_NETWORK_QUALITY_REASON_NONE;

  if (!input->connected)
    {
      result->level = 0;
      result->reason = HC_NETWORK_QUALITY_REASON_RECONNECTING;
      for (int k = 0; k < HC_NETWORK_QUALITY_N_KINDS; k++)
        for (int d = 0; d < HC_NETWORK_QUALITY_N_DIRECTIONS; d++)
          result->levels[k][d] = 0;
      return;
    }

  for (int k = 0; k < HC_NETWORK_QUALITY_N_KINDS; k++)
    for (int d = 0; d < HC_NETWORK_QUALITY_N_DIRECTIONS; d++)
      {
        HcNetworkQualityReason why;
        int level = score_one (&input->stats[k][d], d, &why);

        result->levels[k][d] = level;
        /* Ties between directions or kinds go to the reason checked first in
         * the enum's order (loss before bandwidth, sending before receiving). */
        if (level < result->level || (level == result->level && level < 5 && why < result->reason))
          {
            result->level = level;
            result->reason = why;
          }
      }
}

const char *
hc_network_quality_reason_to_string (HcNetworkQualityReason reason)
{
  g_return_val_if_fail (reason < HC_NETWORK_QUALITY_N_REASONS, "none");
  return reason_names[reason];
}

gboolean
hc_network_quality_reason_from_string (const char             *string,
                                       HcNetworkQualityReason *reason)
{
  if (string == NULL)
    return FALSE;
  for (guint i = 0; i < HC_NETWORK_QUALITY_N_REASONS; i++)
    if (strcmp (string, reason_names[i]) == 0)
      {
        *reason = i;
        return TRUE;
      }
  return FALSE;
}

char *
hc_network_quality_reason_describe (HcNetworkQualityReason  reason,
                                    const char             *who)
{
  /* Two full sentences per reason rather than one template with a pronoun:
   * translators need the whole sentence. */
  switch (reason)
    {
    case HC_NETWORK_QUALITY_REASON_RECONNECTING:
      /* Translators: %s is a participant's name. */
      return who ? g_strdup_printf (_("%s’s connection is broken; reconnecting"), who)
                 : g_strdup (_("Your connection is broken; reconnecting"));
    case HC_NETWORK_QUALITY_REASON_SEND_LOSS:
      /* Translators: %s is a participant's name. */
      return who ? g_strdup_printf (_("High packet loss on %s’s upload"), who)
                 : g_strdup (_("High packet loss on your upload"));
    case HC_NETWORK_QUALITY_REASON_SEND_BANDWIDTH:
      /* Translators: %s is a participant's name. */
      return who ? g_strdup_printf (_("%s’s upload is limited"), who)
                 : g_strdup (_("Your upload is limited"));
    case HC_NETWORK_QUALITY_REASON_RECV_LOSS:
      /* Translators: %s is a participant's name. */
      return who ? g_strdup_printf (_("High packet loss on %s’s download"), who)
                 : g_strdup (_("High packet loss on your download"));
    case HC_NETWORK_QUALITY_REASON_RECV_BANDWIDTH:
      /* Translators: %s is a participant's name. */
      return who ? g_strdup_printf (_("%s’s download is limited"), who)
                 : g_strdup (_("Your download is limited"));
    case HC_NETWORK_QUALITY_REASON_LATENCY:
      /* Translators: %s is a participant's name. */
      return who ? g_strdup_printf (_("%s’s connection has a long delay"), who)
                 : g_strdup (_("Your connection has a long delay"));
    case HC_NETWORK_QUALITY_REASON_JITTER:
      /* Translators: %s is a participant's name. */
      return who ? g_strdup_printf (_("%s’s connection is unsteady"), who)
                 : g_strdup (_("Your connection is unsteady"));
    case HC_NETWORK_QUALITY_REASON_NONE:
    case HC_NETWORK_QUALITY_N_REASONS:
    default:
      return NULL;
    }
}

static gboolean
read_number (JsonObject  *object,
             const char  *name,
             double       min,
             double       max,
             double      *out,
             GError     **error)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return TRUE;
  if (!JSON_NODE_HOLDS_VALUE (node) ||
      (json_node_get_value_type (node) != G_TYPE_INT64 && json_node_get_value_type (node) != G_TYPE_DOUBLE))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "%s is not a number", name);
      return FALSE;
    }
  *out = json_node_get_double (node);
  if (!isfinite (*out) || *out < min || *out > max)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "%s is out of range", name);
      return FALSE;
    }
  return TRUE;
}

static gboolean
read_stats (JsonObject             *object,
            HcNetworkQualityStats  *stats,
            GError                **error)
{
  JsonNode *active = json_object_get_member (object, "active");

  stats->active = TRUE;
  if (active != NULL)
    {
      if (!JSON_NODE_HOLDS_VALUE (active) || json_node_get_value_type (active) != G_TYPE_BOOLEAN)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "active is not a boolean");
          return FALSE;
        }
      stats->active = json_node_get_boolean (active);
    }
  /* 10 Gbit/s and 60 s bound anything real and keep the arithmetic finite. */
  return read_number (object, "expected_bps", 0, 1e10, &stats->expected_bps, error) &&
         read_number (object, "achieved_bps", 0, 1e10, &stats->achieved_bps, error) &&
         read_number (object, "available_bps", 0, 1e10, &stats->available_bps, error) &&
         read_number (object, "fraction_lost", 0, 1, &stats->fraction_lost, error) &&
         read_number (object, "rtt_ms", 0, 60000, &stats->rtt_ms, error) &&
         read_number (object, "jitter_ms", 0, 60000, &stats->jitter_ms, error);
}

gboolean
hc_network_quality_input_from_json (JsonObject             *object,
                                    HcNetworkQualityInput  *input,
                                    GError                **error)
{
  JsonNode *connected;

  hc_network_quality_input_init (input);
  connected = json_object_get_member (object, "connected");
  if (connected != NULL)
    {
      if (!JSON_NODE_HOLDS_VALUE (connected) || json_node_get_value_type (connected) != G_TYPE_BOOLEAN)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "connected is not a boolean");
          return FALSE;
        }
      input->connected = json_node_get_boolean (connected);
    }

  for (int k = 0; k < HC_NETWORK_QUALITY_N_KINDS; k++)
    {
      JsonNode *kind = json_object_get_member (object, kind_names[k]);

      if (kind == NULL || JSON_NODE_HOLDS_NULL (kind))
        continue;
      if (!JSON_NODE_HOLDS_OBJECT (kind))
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "%s is not an object", kind_names[k]);
          return FALSE;
        }
      for (int d = 0; d < HC_NETWORK_QUALITY_N_DIRECTIONS; d++)
        {
          JsonNode *dir = json_object_get_member (json_node_get_object (kind), direction_names[d]);

          if (dir == NULL || JSON_NODE_HOLDS_NULL (dir))
            continue;
          if (!JSON_NODE_HOLDS_OBJECT (dir))
            {
              g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "%s.%s is not an object",
                           kind_names[k], direction_names[d]);
              return FALSE;
            }
          if (!read_stats (json_node_get_object (dir), &input->stats[k][d], error))
            {
              g_prefix_error (error, "%s.%s: ", kind_names[k], direction_names[d]);
              return FALSE;
            }
        }
    }
  return TRUE;
}

void
hc_network_quality_result_to_json (const HcNetworkQualityResult *result,
                                   JsonBuilder                  *builder)
{
  json_builder_set_member_name (builder, "level");
  json_builder_add_int_value (builder, result->level);
  json_builder_set_member_name (builder, "reason");
  json_builder_add_string_value (builder, hc_network_quality_reason_to_string (result->reason));
  for (int k = 0; k < HC_NETWORK_QUALITY_N_KINDS; k++)
    {
      json_builder_set_member_name (builder, kind_names[k]);
      json_builder_begin_object (builder);
      for (int d = 0; d < HC_NETWORK_QUALITY_N_DIRECTIONS; d++)
        {
          json_builder_set_member_name (builder, direction_names[d]);
          json_builder_add_int_value (builder, result->levels[k][d]);
        }
      json_builder_end_object (builder);
    }
}
