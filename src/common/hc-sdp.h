/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define HC_SDP_MAX_LENGTH (60 * 1024)

/* Cheap checks on SDP text that comes from clients before it goes to Janus,
 * which parses it for real. */
gboolean  hc_sdp_is_plausible   (const char *sdp);
/* The a=mid of the first m-line of @kind ("audio", "video"), or NULL. */
char     *hc_sdp_find_mid       (const char *sdp,
                                 const char *kind);
gboolean  hc_sdp_has_media      (const char *sdp,
                                 const char *kind);
/* Simulcast as browsers (a=simulcast with RIDs) or GStreamer (an SSRC
 * group SIM) describe it. */
gboolean  hc_sdp_has_simulcast  (const char *sdp);
/* Whether the a=simulcast:send line lists its RIDs lowest layer first, as
 * our clients do ("l;m;h", docs/protocol.md). Janus assumes highest first
 * unless told. */
gboolean  hc_sdp_simulcast_low_first (const char *sdp);

G_END_DECLS
