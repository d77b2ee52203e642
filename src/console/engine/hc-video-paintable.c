/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "HcEngine"

#include "config.h"

#include "hc-video-paintable.h"

#include <gst/video/video.h>

/*
 * GTK 4.8 in Debian 12 has no gtk4paintablesink, so decoded video reaches the stage
 * through this: an appsink hands frames over from its streaming thread, and the
 * main context wraps the newest one in a GdkMemoryTexture without copying it (the
 * texture's GBytes keeps the mapped GstBuffer alive).
 *
 * The engine decodes to BGRA: video is opaque (alpha 255), so the frame is the same
 * picture as premultiplied BGRA, which is GDK_MEMORY_DEFAULT (cairo's own ARGB32 on
 * little-endian machines). GTK then draws it with a plain copy, where RGBA would make
 * it premultiply and swizzle every pixel of every frame on the main thread. RGBA is
 * still taken (tests and other producers push it).
 */

enum {
  PROP_0,
  PROP_WIDTH,
  PROP_HEIGHT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

typedef struct
{
  GBytes          *bytes;
  GdkMemoryFormat  format;
  int     width;
  int     height;
  gsize   stride;
  gint64  decoded_at;
} Frame;

struct _HcVideoPaintable
{
  GObject       parent_instance;

  GMainContext *context;
  GdkTexture   *texture;
  int           width;
  int           height;
  guint64       frame_count;
  gint64        size_changed_at;

  /* Handed over from streaming threads. */
  GMutex        lock;
  Frame         pending;
  gboolean      scheduled;
  guint         generation;  /* bumped by clear(), so a frame already on its way is dropped */
};

static void hc_video_paintable_iface_init (GdkPaintableInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (HcVideoPaintable, hc_video_paintable, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (GDK_TYPE_PAINTABLE,
                                                      hc_video_paintable_iface_init))

typedef struct
{
  GstBuffer  *buffer;
  GstMapInfo  map;
} MappedBuffer;

static void
mapped_buffer_free (gpointer data)
{
  MappedBuffer *mapped = data;

  gst_buffer_unmap (mapped->buffer, &mapped->map);
  gst_buffer_unref (mapped->buffer);
  g_free (mapped);
}

static void
frame_clear (Frame *frame)
{
  g_clear_pointer (&frame->bytes, g_bytes_unref);
}

typedef struct
{
  HcVideoPaintable *self;
  guint             generation;
} ShowData;

static gboolean
show_pending (gpointer user_data)
{
  ShowData *data = user_data;
  HcVideoPaintable *self = data->self;
  Frame frame = { 0 };
  gboolean size_changed;

  g_mutex_lock (&self->lock);
  self->scheduled = FALSE;
  if (data->generation == self->generation)
    {
      frame = self->pending;
      self->pending = (Frame) { 0 };
    }
  g_mutex_unlock (&self->lock);

  if (frame.bytes == NULL)
    return G_SOURCE_REMOVE;

  g_clear_object (&self->texture);
  self->texture = gdk_memory_texture_new (frame.width, frame.height, frame.format,
                                          frame.bytes, frame.stride);
  self->frame_count++;
  size_changed = frame.width != self->width || frame.height != self->height;
  if (size_changed)
    {
      self->width = frame.width;
      self->height = frame.height;
      self->size_changed_at = frame.decoded_at;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_WIDTH]);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_HEIGHT]);
      gdk_paintable_invalidate_size (GDK_PAINTABLE (self));
    }
  gdk_paintable_invalidate_contents (GDK_PAINTABLE (self));
  frame_clear (&frame);
  return G_SOURCE_REMOVE;
}

static void
show_data_free (gpointer user_data)
{
  ShowData *data = user_data;

  g_object_unref (data->self);
  g_free (data);
}

/* GdkPaintable */

static void
hc_video_paintable_snapshot (GdkPaintable *paintable,
                             GdkSnapshot  *snapshot,
                             double        width,
                             double        height)
{
  HcVideoPaintable *self = HC_VIDEO_PAINTABLE (paintable);

  if (self->texture != NULL)
    gdk_paintable_snapshot (GDK_PAINTABLE (self->texture), snapshot, width, height);
}

static GdkPaintable *
hc_video_paintable_get_current_image (GdkPaintable *paintable)
{
  HcVideoPaintable *self = HC_VIDEO_PAINTABLE (paintable);

  if (self->texture != NULL)
    return GDK_PAINTABLE (g_object_ref (self->texture));
  return gdk_paintable_new_empty (self->width, self->height);
}

static int
hc_video_paintable_get_intrinsic_width (GdkPaintable *paintable)
{
  return HC_VIDEO_PAINTABLE (paintable)->width;
}

static int
hc_video_paintable_get_intrinsic_height (GdkPaintable *paintable)
{
  return HC_VIDEO_PAINTABLE (paintable)->height;
}

static double
hc_video_paintable_get_intrinsic_aspect_ratio (GdkPaintable *paintable)
{
  HcVideoPaintable *self = HC_VIDEO_PAINTABLE (paintable);

  return self->height > 0 ? (double) self->width / self->height : 0.0;
}

static void
hc_video_paintable_iface_init (GdkPaintableInterface *iface)
{
  iface->snapshot = hc_video_paintable_snapshot;
  iface->get_current_image = hc_video_paintable_get_current_image;
  iface->get_intrinsic_width = hc_video_paintable_get_intrinsic_width;
  iface->get_intrinsic_height = hc_video_paintable_get_intrinsic_height;
  iface->get_intrinsic_aspect_ratio = hc_video_paintable_get_intrinsic_aspect_ratio;
}

/* GObject */

static void
hc_video_paintable_get_property (GObject    *object,
                                 guint       prop_id,
                                 GValue     *value,
                                 GParamSpec *pspec)
{
  HcVideoPaintable *self = HC_VIDEO_PAINTABLE (object);

  switch (prop_id)
    {
    case PROP_WIDTH:
      g_value_set_int (value, self->width);
      break;
    case PROP_HEIGHT:
      g_value_set_int (value, self->height);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
hc_video_paintable_finalize (GObject *object)
{
  HcVideoPaintable *self = HC_VIDEO_PAINTABLE (object);

  frame_clear (&self->pending);
  g_clear_object (&self->texture);
  g_clear_pointer (&self->context, g_main_context_unref);
  g_mutex_clear (&self->lock);

  G_OBJECT_CLASS (hc_video_paintable_parent_class)->finalize (object);
}

static void
hc_video_paintable_class_init (HcVideoPaintableClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = hc_video_paintable_get_property;
  object_class->finalize = hc_video_paintable_finalize;

  /**
   * HcVideoPaintable:width:
   *
   * The width of the picture being shown, 0 before the first frame.
   */
  properties[PROP_WIDTH] =
    g_param_spec_int ("width", NULL, NULL, 0, G_MAXINT, 0,
                      G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_HEIGHT] =
    g_param_spec_int ("height", NULL, NULL, 0, G_MAXINT, 0,
                      G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
hc_video_paintable_init (HcVideoPaintable *self)
{
  g_mutex_init (&self->lock);
  self->context = g_main_context_ref_thread_default ();
}

HcVideoPaintable *
hc_video_paintable_new (void)
{
  return g_object_new (HC_TYPE_VIDEO_PAINTABLE, NULL);
}

void
hc_video_paintable_push_sample (HcVideoPaintable *self,
                                GstSample        *sample)
{
  GstBuffer *buffer = gst_sample_get_buffer (sample);
  GstCaps *caps = gst_sample_get_caps (sample);
  GstVideoMeta *meta;
  GstVideoInfo info;
  MappedBuffer *mapped;
  Frame frame = { 0 };
  gsize offset;
  gboolean schedule;
  ShowData *data;

  g_return_if_fail (HC_IS_VIDEO_PAINTABLE (self));

  if (buffer == NULL || caps == NULL || !gst_video_info_from_caps (&info, caps))
    return;
  switch (GST_VIDEO_INFO_FORMAT (&info))
    {
    case GST_VIDEO_FORMAT_BGRA:
      /* Opaque video: straight and premultiplied alpha are the same picture. */
      frame.format = GDK_MEMORY_B8G8R8A8_PREMULTIPLIED;
      break;
    case GST_VIDEO_FORMAT_RGBA:
      frame.format = GDK_MEMORY_R8G8B8A8;
      break;
    default:
      return;
    }

  /* Upstream may pad rows (a video meta says how); honour its stride and offset. */
  frame.width = GST_VIDEO_INFO_WIDTH (&info);
  frame.height = GST_VIDEO_INFO_HEIGHT (&info);
  frame.stride = GST_VIDEO_INFO_PLANE_STRIDE (&info, 0);
  offset = GST_VIDEO_INFO_PLANE_OFFSET (&info, 0);
  meta = gst_buffer_get_video_meta (buffer);
  if (meta != NULL)
    {
      frame.width = meta->width;
      frame.height = meta->height;
      frame.stride = meta->stride[0];
      offset = meta->offset[0];
    }
  if (frame.width <= 0 || frame.height <= 0 || frame.stride < (gsize) frame.width * 4)
    return;

  mapped = g_new0 (MappedBuffer, 1);
  mapped->buffer = gst_buffer_ref (buffer);
  if (!gst_buffer_map (mapped->buffer, &mapped->map, GST_MAP_READ))
    {
      gst_buffer_unref (mapped->buffer);
      g_free (mapped);
      return;
    }
  if (offset + frame.stride * (gsize) (frame.height - 1) + (gsize) frame.width * 4 >
      mapped->map.size)
    {
      mapped_buffer_free (mapped);
      return;
    }
  frame.bytes = g_bytes_new_with_free_func (mapped->map.data + offset,
                                            mapped->map.size - offset,
                                            mapped_buffer_free, mapped);
  frame.decoded_at = g_get_monotonic_time ();

  g_mutex_lock (&self->lock);
  frame_clear (&self->pending);
  self->pending = frame;
  schedule = !self->scheduled;
  self->scheduled = TRUE;
  data = g_new0 (ShowData, 1);
  data->generation = self->generation;
  g_mutex_unlock (&self->lock);

  if (!schedule)
    {
      g_free (data);
      return;
    }
  data->self = g_object_ref (self);
  g_main_context_invoke_full (self->context, G_PRIORITY_DEFAULT, show_pending, data,
                              show_data_free);
}

void
hc_video_paintable_clear (HcVideoPaintable *self)
{
  g_return_if_fail (HC_IS_VIDEO_PAINTABLE (self));

  g_mutex_lock (&self->lock);
  frame_clear (&self->pending);
  self->generation++;
  g_mutex_unlock (&self->lock);

  if (self->texture == NULL && self->width == 0)
    return;
  g_clear_object (&self->texture);
  self->width = 0;
  self->height = 0;
  self->size_changed_at = 0;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_WIDTH]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_HEIGHT]);
  gdk_paintable_invalidate_size (GDK_PAINTABLE (self));
  gdk_paintable_invalidate_contents (GDK_PAINTABLE (self));
}

int
hc_video_paintable_get_width (HcVideoPaintable *self)
{
  g_return_val_if_fail (HC_IS_VIDEO_PAINTABLE (self), 0);
  return self->width;
}

int
hc_video_paintable_get_height (HcVideoPaintable *self)
{
  g_return_val_if_fail (HC_IS_VIDEO_PAINTABLE (self), 0);
  return self->height;
}

guint64
hc_video_paintable_get_frame_count (HcVideoPaintable *self)
{
  g_return_val_if_fail (HC_IS_VIDEO_PAINTABLE (self), 0);
  return self->frame_count;
}

gint64
hc_video_paintable_get_size_changed_time (HcVideoPaintable *self)
{
  g_return_val_if_fail (HC_IS_VIDEO_PAINTABLE (self), 0);
  return self->size_changed_at;
}
