/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "hc-sdp.h"

#include <stdint.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

/* Clients' SDP offers and answers, before they reach Janus. */
int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autofree char *sdp = g_strndup ((const char *) data, size);
  g_autofree char *audio = NULL;
  g_autofree char *video = NULL;

  if (!hc_sdp_is_plausible (sdp))
    return 0;
  audio = hc_sdp_find_mid (sdp, "audio");
  video = hc_sdp_find_mid (sdp, "video");
  hc_sdp_has_simulcast (sdp);
  hc_sdp_has_media (sdp, "video");
  return 0;
}
