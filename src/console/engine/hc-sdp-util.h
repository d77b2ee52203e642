/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Text edits of SDP that webrtcbin cannot be asked for. They apply only to the copy
 * sent to housecalld: webrtcbin's own local description stays as it generated it. */

/* Describes @n_ssrcs simulcast encodings in the first video section of @sdp, the
 * way Janus reads them: webrtcbin's own a=ssrc and a=ssrc-group lines there are
 * dropped for a=ssrc-group:SIM with @ssrcs in the given order (lowest layer first:
 * Janus takes the first SSRC for substream 0) and a cname and msid line for each.
 * Returns NULL with @error set when @sdp has no video section. */
char     *hc_sdp_munge_simulcast (const char     *sdp,
                                  const guint32  *ssrcs,
                                  guint           n_ssrcs,
                                  GError        **error);

/* The a=mid of the @mline'th media section (0-based), or NULL. */
char     *hc_sdp_get_mid         (const char     *sdp,
                                  guint           mline);

/* The index of the media section whose a=mid is @mid, or -1. */
int       hc_sdp_find_mline      (const char     *sdp,
                                  const char     *mid);

G_END_DECLS
