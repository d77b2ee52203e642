/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "HcEngine"

#include "config.h"

#include "hc-capture-profile.h"

/* Below this an encoding is not worth sending. */
#define MIN_LAYER_KBPS 30

void
hc_capture_spec_set_bitrate (HcCaptureSpec *spec,
                             guint          max_kbps)
{
  /* Roughly what Chrome gives 180p / 360p / 720p: the top layer carries most of it. */
  static const guint share3[HC_MAX_LAYERS] = { 8, 22, 70 };
  static const guint share2[HC_MAX_LAYERS] = { 25, 75, 0 };

  g_return_if_fail (spec->n_layers >= 1 && spec->n_layers <= HC_MAX_LAYERS);

  for (guint i = 0; i < spec->n_layers; i++)
    {
      guint share = spec->n_layers == 3 ? share3[i] : spec->n_layers == 2 ? share2[i] : 100;

      spec->layer_kbps[i] = MAX (MIN_LAYER_KBPS, max_kbps * share / 100);
    }
}

void
hc_capture_spec_init (HcCaptureSpec    *spec,
                      HcCaptureProfile  profile,
                      HcVideoCodec      codec,
                      gboolean          simulcast,
                      guint             max_kbps)
{
  guint n_layers;

  *spec = (HcCaptureSpec) { .fps = 24 };

  switch (profile)
    {
    case HC_CAPTURE_PROFILE_TEST_PATTERN_720P:
      spec->test_pattern = TRUE;
      G_GNUC_FALLTHROUGH;
    case HC_CAPTURE_PROFILE_720P:
      spec->width = 1280;
      spec->height = 720;
      break;
    case HC_CAPTURE_PROFILE_480P:
      spec->width = 640;
      spec->height = 480;
      break;
    case HC_CAPTURE_PROFILE_TEST_PATTERN_360P:
      spec->test_pattern = TRUE;
      G_GNUC_FALLTHROUGH;
    case HC_CAPTURE_PROFILE_360P:
    default:
      spec->width = 640;
      spec->height = 360;
      break;
    }

  /* Janus simulcasts VP8 only; an H.264 room gets one encoding. */
  n_layers = simulcast && codec == HC_VIDEO_CODEC_VP8 ? HC_MAX_LAYERS : 1;
  spec->n_layers = n_layers;
  for (guint i = 0; i < n_layers; i++)
    {
      guint shift = n_layers - 1 - i;

      /* Even sizes: the encoders want them, and 4:3 and 16:9 stay exact. */
      spec->layer_width[i] = (spec->width >> shift) & ~1;
      spec->layer_height[i] = (spec->height >> shift) & ~1;
    }

  /* The preview is small on the stage; a 320-pixel-wide copy is plenty. */
  spec->preview_width = 320;
  spec->preview_height = (320 * spec->height / spec->width) & ~1;

  hc_capture_spec_set_bitrate (spec, max_kbps);
}
