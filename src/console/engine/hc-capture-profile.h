/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "hc-engine-enums.h"

#include <glib.h>

G_BEGIN_DECLS

#define HC_MAX_LAYERS 3

/* What a capture profile means for the publisher: the capture size and frame rate,
 * whether the picture is generated, and the encodings sent, lowest first (the order
 * Janus numbers simulcast substreams in). */
typedef struct
{
  gboolean test_pattern;
  int      width;
  int      height;
  int      fps;
  guint    n_layers;
  int      layer_width[HC_MAX_LAYERS];
  int      layer_height[HC_MAX_LAYERS];
  guint    layer_kbps[HC_MAX_LAYERS];
  int      preview_width;
  int      preview_height;
} HcCaptureSpec;

/* Fills @spec for @profile. @simulcast asks for three layers (1/1, 1/2 and 1/4 of the
 * capture size); without it, or for H.264, one layer at the capture size. The bitrate
 * cap @max_kbps is shared across the layers. */
void hc_capture_spec_init (HcCaptureSpec    *spec,
                           HcCaptureProfile  profile,
                           HcVideoCodec      codec,
                           gboolean          simulcast,
                           guint             max_kbps);

/* Splits @max_kbps across @n_layers encodings the way browsers weigh them. */
void hc_capture_spec_set_bitrate (HcCaptureSpec *spec,
                                  guint          max_kbps);

G_END_DECLS
