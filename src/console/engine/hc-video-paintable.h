/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gdk/gdk.h>
#include <gst/gst.h>

G_BEGIN_DECLS

#define HC_TYPE_VIDEO_PAINTABLE (hc_video_paintable_get_type ())

G_DECLARE_FINAL_TYPE (HcVideoPaintable, hc_video_paintable, HC, VIDEO_PAINTABLE, GObject)

HcVideoPaintable *hc_video_paintable_new                   (void);

/* Thread-safe: called from a streaming thread with an RGBA sample (any stride). Only
 * the newest frame is kept until the main context the paintable was made in shows it. */
void              hc_video_paintable_push_sample           (HcVideoPaintable *self,
                                                            GstSample        *sample);
/* Forgets the picture: the paintable draws nothing until the next frame. */
void              hc_video_paintable_clear                 (HcVideoPaintable *self);

int               hc_video_paintable_get_width             (HcVideoPaintable *self);
int               hc_video_paintable_get_height            (HcVideoPaintable *self);
/* Frames shown since creation (not a notifying property: it changes 24 times a second). */
guint64           hc_video_paintable_get_frame_count       (HcVideoPaintable *self);
/* g_get_monotonic_time() when the first frame of the current size left the decoder. */
gint64            hc_video_paintable_get_size_changed_time (HcVideoPaintable *self);

G_END_DECLS
