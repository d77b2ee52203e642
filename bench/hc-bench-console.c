/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "HcBench"

#include "config.h"

#include "hc-call-engine.h"
#include "hc-video-paintable.h"

#include <glib-unix.h>
#include <gst/gst.h>
#include <gst/video/video.h>
#include <gtk/gtk.h>
#include <json-glib/json-glib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/*
 * The console's side of the media benchmarks (bench/call-bench.mjs), until the real
 * console's call stage can be driven instead: the console's call engine (HcCallEngine,
 * the same library `housecall` links) in a GTK 4 window that shows what a call stage
 * shows, the featured remote video filling the window and our own preview in a corner.
 *
 * It reports JSON lines on stdout, every time with "t", the wall clock in ms:
 *   {"event":"ready"}                      the window is mapped
 *   {"event":"phase","what":"…"}           the engine's own state changes (its debug log)
 *   {"event":"in-call","sid":"PA…"}        the join completed
 *   {"event":"first-frame","sid":"PA…","width":…,"height":…}
 *   {"event":"stats","frames":…,"width":…,"height":…}        every second
 *   {"event":"g2g","decoded":ms,"shown":ms}                    with --read-stamps
 * and reads commands on stdin: "join" joins (or --join-now), "leave" or end of input
 * leaves and quits.
 *
 * --stamp replaces the engine's test pattern source (videotestsrc) with one that draws
 * the wall clock (ms, 16 bits, and its complement) as a block code into each frame as
 * it is captured; --read-stamps reads that code back from each decoded remote frame.
 *
 * --encoder-threads N (an experiment) keeps every VP8 encoder the engine makes at N
 * threads, to measure that suggested change before anyone makes it in the engine.
 *
 * --warm-up calls hc_call_engine_warm_up() at start, as a console would when the
 * provider signs in (or as every visit after the first in the same process finds it):
 * webrtcbin's DTLS certificate is then made before admission, not during the join.
 *
 *   HC_TOKEN=… hc-bench-console --server URL --room NAME [--join-now] [--stamp]
 *                               [--read-stamps] [--max-video-bitrate 1500]
 *                               [--encoder-threads N] [--warm-up]
 */

/* The block code: two rows of 16 square blocks at the top left, 48 px each in a
 * 1280-wide frame (scaled with the width), white for 1; the first row is the low 16 bits
 * of the capture time in ms, most significant bit first, the second row its complement. */
#define CODE_BITS  16
#define CODE_BLOCK 48
#define CODE_WIDTH 1280

static GMainLoop *loop;
static GtkWidget *window;
static GtkWidget *stage;
static HcCallEngine *engine;
static HcRemoteParticipant *featured;
static gulong featured_handler;
static char *server_url;
static char *room;
static gboolean joining;
static gboolean leaving;
static gboolean read_stamps;
static gboolean first_frame_told;
static int exit_status;

/* A stamp read from the newest frame, waiting for the frame clock to show it. */
static gboolean stamp_pending;
static guint16 pending_stamp;
static double pending_decoded_ms;
static guint stamps_read;
static guint stamps_bad;

static double
now_ms (void)
{
  return g_get_real_time () / 1000.0;
}

static void
emit (const char *event,
      ...)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *text = NULL;
  const char *key;
  va_list args;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "event");
  json_builder_add_string_value (builder, event);
  json_builder_set_member_name (builder, "t");
  json_builder_add_double_value (builder, now_ms ());
  /* Pairs of a key and a value; a key starting with '#' takes a double, with '%' an
   * int, else a string. */
  va_start (args, event);
  while ((key = va_arg (args, const char *)) != NULL)
    {
      json_builder_set_member_name (builder, key + (key[0] == '#' || key[0] == '%'));
      if (key[0] == '#')
        json_builder_add_double_value (builder, va_arg (args, double));
      else if (key[0] == '%')
        json_builder_add_int_value (builder, va_arg (args, gint64));
      else
        json_builder_add_string_value (builder, va_arg (args, const char *));
    }
  va_end (args);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  text = json_to_string (root, FALSE);
  printf ("%s\n", text);
  fflush (stdout);
}

/* ---- the stamping test source ---- */

static GstPadProbeReturn
stamp_probe (GstPad          *pad,
             GstPadProbeInfo *info,
             gpointer         user_data)
{
  g_autoptr(GstCaps) caps = gst_pad_get_current_caps (pad);
  guint16 stamp = (guint16) ((guint64) (g_get_real_time () / 1000) & 0xffff);
  GstVideoInfo vinfo;
  GstVideoFrame frame;
  GstBuffer *buffer;
  int block;

  if (caps == NULL || !gst_video_info_from_caps (&vinfo, caps) ||
      GST_VIDEO_INFO_FORMAT (&vinfo) != GST_VIDEO_FORMAT_I420)
    return GST_PAD_PROBE_OK;
  block = GST_VIDEO_INFO_WIDTH (&vinfo) * CODE_BLOCK / CODE_WIDTH;
  if (block < 4 || block * 2 > GST_VIDEO_INFO_HEIGHT (&vinfo))
    return GST_PAD_PROBE_OK;

  buffer = gst_buffer_make_writable (GST_PAD_PROBE_INFO_BUFFER (info));
  GST_PAD_PROBE_INFO_DATA (info) = buffer;
  if (!gst_video_frame_map (&frame, &vinfo, buffer, GST_MAP_WRITE))
    return GST_PAD_PROBE_OK;
  for (int row = 0; row < 2; row++)
    for (int bit = 0; bit < CODE_BITS; bit++)
      {
        guint16 word = row == 0 ? stamp : (guint16) ~stamp;
        gboolean one = (word >> (CODE_BITS - 1 - bit)) & 1;
        guint8 *y = GST_VIDEO_FRAME_PLANE_DATA (&frame, 0);
        int ystride = GST_VIDEO_FRAME_PLANE_STRIDE (&frame, 0);

        for (int j = row * block; j < (row + 1) * block; j++)
          memset (y + j * ystride + bit * block, one ? 235 : 16, block);
        for (int p = 1; p <= 2; p++)
          {
            guint8 *c = GST_VIDEO_FRAME_PLANE_DATA (&frame, p);
            int cstride = GST_VIDEO_FRAME_PLANE_STRIDE (&frame, p);

            for (int j = row * block / 2; j < (row + 1) * block / 2; j++)
              memset (c + j * cstride + bit * block / 2, 128, block / 2);
          }
      }
  gst_video_frame_unmap (&frame);
  return GST_PAD_PROBE_OK;
}

static void
stamped_src_init (GTypeInstance *instance,
                  gpointer       klass)
{
  GstPad *pad = gst_element_get_static_pad (GST_ELEMENT (instance), "src");

  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, stamp_probe, NULL, NULL);
  gst_object_unref (pad);
}

/* Registers a subclass of videotestsrc under videotestsrc's own name: every
 * videotestsrc the engine makes from then on stamps its frames. */
static gboolean
install_stamped_source (void)
{
  g_autoptr(GstElementFactory) factory = gst_element_factory_find ("videotestsrc");
  g_autoptr(GstPluginFeature) loaded = NULL;
  GTypeQuery query;
  GType parent;
  GType type;

  if (factory == NULL)
    return FALSE;
  loaded = gst_plugin_feature_load (GST_PLUGIN_FEATURE (factory));
  if (loaded == NULL)
    return FALSE;
  parent = gst_element_factory_get_element_type (GST_ELEMENT_FACTORY (loaded));
  g_type_query (parent, &query);
  type = g_type_register_static_simple (parent, "HcBenchStampedTestSrc", query.class_size,
                                        NULL, query.instance_size, stamped_src_init, 0);
  return gst_element_register (NULL, "videotestsrc", GST_RANK_PRIMARY + 1, type);
}

/* ---- an experiment: the encoders' thread count ---- */

static int encoder_threads;

static void
on_encoder_threads (GObject    *encoder,
                    GParamSpec *pspec,
                    gpointer    user_data)
{
  int threads = 0;

  g_object_get (encoder, "threads", &threads, NULL);
  if (threads != encoder_threads)
    g_object_set (encoder, "threads", encoder_threads, NULL);
}

static void
threads_enc_init (GTypeInstance *instance,
                  gpointer       klass)
{
  g_signal_connect (instance, "notify::threads", G_CALLBACK (on_encoder_threads), NULL);
}

/* Registers a subclass of vp8enc under vp8enc's own name that keeps its "threads" at
 * @threads whatever the engine sets: the engine's own code runs unchanged, with one
 * setting changed, to measure a suggested change before anyone makes it. */
static gboolean
install_encoder_threads (int threads)
{
  g_autoptr(GstElementFactory) factory = gst_element_factory_find ("vp8enc");
  g_autoptr(GstPluginFeature) loaded = NULL;
  GTypeQuery query;
  GType parent;
  GType type;

  if (factory == NULL)
    return FALSE;
  loaded = gst_plugin_feature_load (GST_PLUGIN_FEATURE (factory));
  if (loaded == NULL)
    return FALSE;
  encoder_threads = threads;
  parent = gst_element_factory_get_element_type (GST_ELEMENT_FACTORY (loaded));
  g_type_query (parent, &query);
  type = g_type_register_static_simple (parent, "HcBenchThreadsVp8Enc", query.class_size,
                                        NULL, query.instance_size, threads_enc_init, 0);
  return gst_element_register (NULL, "vp8enc", GST_RANK_PRIMARY + 1, type);
}

/* ---- reading the stamp back ---- */

static GdkTexture *
find_texture (GskRenderNode *node)
{
  switch (gsk_render_node_get_node_type (node))
    {
    case GSK_TEXTURE_NODE:
      return gsk_texture_node_get_texture (node);
    case GSK_CONTAINER_NODE:
      for (guint i = 0; i < gsk_container_node_get_n_children (node); i++)
        {
          GdkTexture *t = find_texture (gsk_container_node_get_child (node, i));

          if (t != NULL)
            return t;
        }
      return NULL;
    case GSK_TRANSFORM_NODE:
      return find_texture (gsk_transform_node_get_child (node));
    case GSK_CLIP_NODE:
      return find_texture (gsk_clip_node_get_child (node));
    default:
      return NULL;
    }
}

/* The stamp in @paintable's current frame; FALSE if there is none or it does not read. */
static gboolean
read_stamp (GdkPaintable *paintable,
            guint16      *stamp)
{
  int width = gdk_paintable_get_intrinsic_width (paintable);
  int height = gdk_paintable_get_intrinsic_height (paintable);
  g_autoptr(GtkSnapshot) snapshot = NULL;
  g_autoptr(GskRenderNode) node = NULL;
  g_autofree guchar *pixels = NULL;
  GdkTexture *texture;
  guint16 words[2] = { 0, 0 };
  double block;
  gsize stride;

  if (width <= 0 || height <= 0)
    return FALSE;
  snapshot = gtk_snapshot_new ();
  gdk_paintable_snapshot (paintable, GDK_SNAPSHOT (snapshot), width, height);
  node = gtk_snapshot_free_to_node (g_steal_pointer (&snapshot));
  texture = node ? find_texture (node) : NULL;
  if (texture == NULL)
    return FALSE;
  width = gdk_texture_get_width (texture);
  height = gdk_texture_get_height (texture);
  stride = (gsize) width * 4;
  pixels = g_malloc (stride * height);
  gdk_texture_download (texture, pixels, stride);
  block = (double) width * CODE_BLOCK / CODE_WIDTH;
  if (block * 2 > height)
    return FALSE;
  for (int row = 0; row < 2; row++)
    for (int bit = 0; bit < CODE_BITS; bit++)
      {
        int cx = (int) ((bit + 0.5) * block);
        int cy = (int) ((row + 0.5) * block);
        guint sum = 0;

        /* A 3x3 average at the block's centre, clear of the edges the codec blurs. */
        for (int dy = -1; dy <= 1; dy++)
          for (int dx = -1; dx <= 1; dx++)
            {
              const guchar *px = pixels + (cy + dy) * stride + (cx + dx) * 4;

              sum += (px[0] + px[1] + px[2]) / 3;
            }
        words[row] = (guint16) ((words[row] << 1) | (sum / 9 > 128));
      }
  if ((words[0] ^ words[1]) != 0xffff)
    return FALSE;
  *stamp = words[0];
  return TRUE;
}

/* Milliseconds from the stamp to @at, modulo 2^16 (a call never lags 65 s). */
static double
since_stamp (guint16 stamp,
             double  at)
{
  guint64 now = (guint64) at;
  guint16 diff = (guint16) ((now & 0xffff) - stamp);

  return diff + (at - (double) now);
}

static void
on_after_paint (GdkFrameClock *clock,
                gpointer       user_data)
{
  double shown = now_ms ();

  if (!stamp_pending)
    return;
  stamp_pending = FALSE;
  emit ("g2g", "#decoded", since_stamp (pending_stamp, pending_decoded_ms),
        "#shown", since_stamp (pending_stamp, shown), NULL);
}

static void
on_featured_contents (GdkPaintable *paintable,
                      gpointer      user_data)
{
  HcVideoPaintable *video = HC_VIDEO_PAINTABLE (paintable);
  guint16 stamp;

  if (!first_frame_told && hc_video_paintable_get_frame_count (video) > 0)
    {
      first_frame_told = TRUE;
      emit ("first-frame", "sid", hc_remote_participant_get_sid (featured),
            "%width", (gint64) hc_video_paintable_get_width (video),
            "%height", (gint64) hc_video_paintable_get_height (video), NULL);
    }
  if (!read_stamps)
    return;
  if (read_stamp (paintable, &stamp))
    {
      stamps_read++;
      pending_stamp = stamp;
      pending_decoded_ms = now_ms ();
      stamp_pending = TRUE;
    }
  else
    stamps_bad++;
}

static void
on_featured (GObject    *object,
             GParamSpec *pspec,
             gpointer    user_data)
{
  HcRemoteParticipant *now = hc_call_engine_get_featured_participant (engine);

  if (now == featured)
    return;
  if (featured != NULL)
    g_clear_signal_handler (&featured_handler, hc_remote_participant_get_paintable (featured));
  g_set_object (&featured, now);
  gtk_picture_set_paintable (GTK_PICTURE (stage),
                             now ? hc_remote_participant_get_paintable (now) : NULL);
  if (now != NULL)
    featured_handler = g_signal_connect (hc_remote_participant_get_paintable (now),
                                         "invalidate-contents",
                                         G_CALLBACK (on_featured_contents), NULL);
}

/* ---- the engine's state changes, from its debug log ---- */

static GLogWriterOutput
log_writer (GLogLevelFlags   level,
            const GLogField *fields,
            gsize            n_fields,
            gpointer         user_data)
{
  const char *domain = NULL;
  const char *message = NULL;

  for (gsize i = 0; i < n_fields; i++)
    {
      if (strcmp (fields[i].key, "GLIB_DOMAIN") == 0)
        domain = fields[i].value;
      else if (strcmp (fields[i].key, "MESSAGE") == 0)
        message = fields[i].value;
    }
  /* "Call joining → in-call", "Subscription to PA…: connecting → connected", … */
  if (level & G_LOG_LEVEL_DEBUG)
    {
      if (message != NULL && strstr (message, "→") != NULL && strlen (message) < 200)
        emit ("phase", "domain", domain ? domain : "", "what", message, NULL);
      return G_LOG_WRITER_HANDLED;
    }
  return g_log_writer_default (level, fields, n_fields, user_data);
}

/* ---- joining and leaving ---- */

static gboolean
on_stats (gpointer user_data)
{
  HcVideoPaintable *video = featured ? HC_VIDEO_PAINTABLE (hc_remote_participant_get_paintable (featured))
                                     : NULL;

  emit ("stats", "%frames", (gint64) (video ? hc_video_paintable_get_frame_count (video) : 0),
        "%width", (gint64) (video ? hc_video_paintable_get_width (video) : 0),
        "%height", (gint64) (video ? hc_video_paintable_get_height (video) : 0),
        "%stamps_read", (gint64) stamps_read, "%stamps_bad", (gint64) stamps_bad, NULL);
  return G_SOURCE_CONTINUE;
}

static void
on_left (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  hc_call_engine_leave_finish (HC_CALL_ENGINE (source), result, NULL);
  emit ("ended", NULL);
  g_main_loop_quit (loop);
}

static void
leave (void)
{
  if (leaving)
    return;
  leaving = TRUE;
  if (!joining)
    {
      emit ("ended", NULL);
      g_main_loop_quit (loop);
      return;
    }
  hc_call_engine_leave_async (engine, NULL, on_left, NULL);
}

static void
on_joined (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  if (!hc_call_engine_join_finish (HC_CALL_ENGINE (source), result, &error))
    {
      emit ("failed", "message", error->message, NULL);
      exit_status = 1;
      leave ();
      return;
    }
  emit ("in-call", "sid", hc_call_engine_get_local_sid (engine), NULL);
}

static void
join (void)
{
  if (joining || leaving)
    return;
  joining = TRUE;
  emit ("joining", NULL);
  hc_call_engine_join_async (engine, server_url, g_getenv ("HC_TOKEN"), room, NULL,
                             on_joined, NULL);
}

static gboolean
on_stdin (gint         fd,
          GIOCondition condition,
          gpointer     user_data)
{
  char buffer[256];
  gssize n = read (fd, buffer, sizeof buffer - 1);

  if (n <= 0)
    {
      leave ();
      return G_SOURCE_REMOVE;
    }
  buffer[n] = '\0';
  if (strstr (buffer, "join") != NULL)
    join ();
  if (strstr (buffer, "leave") != NULL)
    leave ();
  return G_SOURCE_CONTINUE;
}

static gboolean
on_signal (gpointer user_data)
{
  leave ();
  return G_SOURCE_CONTINUE;
}

static void
on_map (GtkWidget *widget,
        gpointer   user_data)
{
  g_signal_connect (gtk_widget_get_frame_clock (widget), "after-paint",
                    G_CALLBACK (on_after_paint), NULL);
  emit ("ready", NULL);
}

static gboolean
on_close_request (GtkWindow *win,
                  gpointer   user_data)
{
  leave ();
  return TRUE;
}

int
main (int   argc,
      char *argv[])
{
  gboolean join_now = FALSE;
  gboolean stamp = FALSE;
  int bitrate = 1500;
  int threads = 0;
  gboolean warm_up = FALSE;
  GOptionEntry entries[] = {
    { "server", 0, 0, G_OPTION_ARG_STRING, &server_url, "housecalld's address", "URL" },
    { "room", 0, 0, G_OPTION_ARG_STRING, &room, "The room to join", "NAME" },
    { "join-now", 0, 0, G_OPTION_ARG_NONE, &join_now, "Join at once, not on \"join\"", NULL },
    { "stamp", 0, 0, G_OPTION_ARG_NONE, &stamp, "Stamp the capture time into the video", NULL },
    { "read-stamps", 0, 0, G_OPTION_ARG_NONE, &read_stamps, "Read stamps from the remote video", NULL },
    { "max-video-bitrate", 0, 0, G_OPTION_ARG_INT, &bitrate, "Video cap in kbit/s", "KBPS" },
    { "encoder-threads", 0, 0, G_OPTION_ARG_INT, &threads,
      "Experiment: every VP8 encoder with this many threads (0: as the engine sets)", "N" },
    { "warm-up", 0, 0, G_OPTION_ARG_NONE, &warm_up,
      "Make webrtcbin's DTLS certificate at start, not when joining", NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("— the console's call engine in a window");
  g_autoptr(GError) error = NULL;
  GtkWidget *overlay;
  GtkWidget *preview;

  g_log_set_writer_func (log_writer, NULL, NULL);
  gst_init (&argc, &argv);
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("%s\n", error->message);
      return 2;
    }
  if (server_url == NULL || room == NULL || g_getenv ("HC_TOKEN") == NULL)
    {
      g_printerr ("Usage: HC_TOKEN=… hc-bench-console --server URL --room NAME\n");
      return 2;
    }
  if (stamp && !install_stamped_source ())
    {
      g_printerr ("Could not install the stamping test source\n");
      return 1;
    }
  if (threads > 0 && !install_encoder_threads (threads))
    {
      g_printerr ("Could not install the encoder override\n");
      return 1;
    }
  gtk_init ();
  if (warm_up)
    hc_call_engine_warm_up ();

  loop = g_main_loop_new (NULL, FALSE);
  engine = hc_call_engine_new ();
  g_object_set (engine,
                "capture-profile", HC_CAPTURE_PROFILE_TEST_PATTERN_720P,
                "max-video-bitrate", (guint) bitrate,
                /* No sound card under Xvfb; Chromium on the other side plays into none either. */
                "play-audio", FALSE,
                NULL);
  g_signal_connect (engine, "notify::featured-participant", G_CALLBACK (on_featured), NULL);

  /* What a call stage shows: the featured video filling the window, our own preview
   * small in a corner. */
  window = gtk_window_new ();
  gtk_window_set_title (GTK_WINDOW (window), "Housecall bench");
  gtk_window_set_default_size (GTK_WINDOW (window), 1280, 720);
  overlay = gtk_overlay_new ();
  stage = gtk_picture_new ();
  gtk_picture_set_content_fit (GTK_PICTURE (stage), GTK_CONTENT_FIT_CONTAIN);
  gtk_overlay_set_child (GTK_OVERLAY (overlay), stage);
  preview = gtk_picture_new_for_paintable (hc_call_engine_get_local_preview (engine));
  gtk_widget_set_size_request (preview, 240, 135);
  gtk_widget_set_halign (preview, GTK_ALIGN_END);
  gtk_widget_set_valign (preview, GTK_ALIGN_END);
  gtk_widget_set_margin_end (preview, 12);
  gtk_widget_set_margin_bottom (preview, 12);
  gtk_overlay_add_overlay (GTK_OVERLAY (overlay), preview);
  gtk_window_set_child (GTK_WINDOW (window), overlay);
  g_signal_connect (window, "map", G_CALLBACK (on_map), NULL);
  g_signal_connect (window, "close-request", G_CALLBACK (on_close_request), NULL);
  gtk_window_present (GTK_WINDOW (window));

  g_unix_signal_add (SIGTERM, on_signal, NULL);
  g_unix_signal_add (SIGINT, on_signal, NULL);
  g_unix_fd_add (0, G_IO_IN | G_IO_HUP | G_IO_ERR, on_stdin, NULL);
  g_timeout_add_seconds (1, on_stats, NULL);
  if (join_now)
    join ();

  g_main_loop_run (loop);

  if (featured != NULL)
    g_clear_signal_handler (&featured_handler, hc_remote_participant_get_paintable (featured));
  g_clear_object (&featured);
  g_clear_object (&engine);
  gtk_window_destroy (GTK_WINDOW (window));
  g_main_loop_unref (loop);
  return exit_status;
}
