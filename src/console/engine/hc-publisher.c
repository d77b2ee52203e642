/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "HcPublisher"

#include "config.h"

#include "hc-capture-profile.h"
#include "hc-publisher.h"
#include "hc-sdp-util.h"
#include "hc-webrtc-util.h"

#include <gst/app/app.h>
#include <gst/rtp/rtp.h>
#include <gst/sdp/sdp.h>
#include <gst/video/video.h>
#include <string.h>

/*
 * webrtcbin 1.22 cannot simulcast by itself, so (as found in
 * ../shared/notes/webrtc-on-gstreamer-1.22-and-janus-1.1.md) each layer has its own
 * vp8enc and rtpvp8pay with a fixed SSRC, an rtpfunnel merges them into webrtcbin's
 * one video pad, and the offer sent to Janus lists the SSRCs in an a=ssrc-group:SIM,
 * lowest first.
 *
 *   source ─ valve ─ tee ─┬─ queue ─ scale ─ vp8enc ─ pay (ssrc0) ─┐
 *                          ├─ queue ─ scale ─ vp8enc ─ pay (ssrc1) ─┼─ rtpfunnel ─ capssetter ─┐
 *                          ├─ queue ─ scale ─ vp8enc ─ pay (ssrc2) ─┘                          │
 *                          └─ queue ─ scale ─ BGRA ─ appsink (the preview)                webrtcbin
 *   source ─ volume ─ level (audio-level-meta) ─ opusenc ─ rtpopuspay (+ audio level ext) ─┘
 *
 * Janus's PLI and FIR reach webrtcbin's RTP session but, with several SSRCs behind one
 * pad, its own force-key-unit event finds no encoder; the KeyframeRouter below listens
 * to the session's feedback and sends the event to the encoder of the SSRC named.
 */

#define VIDEO_PT 96
#define H264_PT  102
#define OPUS_PT  111
#define AUDIO_LEVEL_EXT_ID 1
#define AUDIO_LEVEL_URI "urn:ietf:params:rtp-hdrext:ssrc-audio-level"
#define OFFER_TIMEOUT_SECONDS 15
/* A keyframe costs several frames' worth of bits: at most one per layer every 200 ms,
 * however many requests arrive. A request inside that window is not dropped (Janus
 * asks once, then waits for the keyframe before switching layers): it is answered when
 * the window ends. */
#define KEYFRAME_MIN_INTERVAL_US (200 * G_TIME_SPAN_MILLISECOND)
/* Periodic keyframes are only a safety net once requests are routed: 10 s. */
#define KEYFRAME_MAX_DIST_SECONDS 10

#define RTCP_PSFB 206
#define RTCP_PSFB_PLI 1
#define RTCP_PSFB_FIR 4

enum {
  PROP_0,
  PROP_STATE,
  PROP_PROFILE,
  PROP_CODEC,
  PROP_SIMULCAST,
  PROP_PREVIEW,
  PROP_MAX_VIDEO_BITRATE,
  PROP_MICROPHONE_MUTED,
  PROP_CAMERA_ENABLED,
  PROP_CAMERA_DEVICE,
  PROP_MICROPHONE_DEVICE,
  N_PROPS
};

enum {
  SIGNAL_ICE_CANDIDATE,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

/* Shared with the RTP session's thread, so reference-counted on its own. */
typedef struct
{
  GMutex        lock;
  GMainContext *context;      /* where deferred requests are answered */
  guint         n_layers;
  guint32       ssrcs[HC_MAX_LAYERS];
  GstElement   *encoders[HC_MAX_LAYERS];
  gint64        last_forced[HC_MAX_LAYERS];
  gboolean      deferred[HC_MAX_LAYERS];
  guint         routed[HC_MAX_LAYERS];
} KeyframeRouter;

struct _HcPublisher
{
  GObject           parent_instance;

  HcCaptureProfile  profile;
  HcVideoCodec      codec;
  gboolean          simulcast;
  HcCaptureSpec     spec;
  guint             max_kbps;
  gboolean          microphone_muted;
  gboolean          camera_enabled;
  char             *camera_device;
  char             *microphone_device;
  HcVideoPaintable *preview;

  HcMediaState      state;
  GError           *error;
  GMainContext     *context;

  GstElement       *pipeline;
  GstElement       *webrtc;
  GstElement       *video_source;
  GstElement       *audio_source;
  GstElement       *valve;
  GstElement       *video_queue;   /* between a source and the rest: see make_source_queue() */
  GstElement       *audio_queue;
  GstElement       *volume;
  GstElement       *audio_convert;
  guint             bus_watch_id;
  GMutex            swap_lock;     /* one source swap or teardown at a time */

  KeyframeRouter   *router;
  GObject          *rtp_session;
  gulong            feedback_id;

  GTask            *start_task;
  guint             offer_timeout_id;
  guint             caps_check_id;
  char             *local_sdp;
};

G_DEFINE_FINAL_TYPE (HcPublisher, hc_publisher, G_TYPE_OBJECT)

/* Keyframe routing */

static KeyframeRouter *
keyframe_router_new (GMainContext *context)
{
  KeyframeRouter *router = g_atomic_rc_box_new0 (KeyframeRouter);

  g_mutex_init (&router->lock);
  router->context = g_main_context_ref (context);
  return router;
}

static void
keyframe_router_clear (gpointer data)
{
  KeyframeRouter *router = data;

  for (guint i = 0; i < router->n_layers; i++)
    gst_clear_object (&router->encoders[i]);
  g_main_context_unref (router->context);
  g_mutex_clear (&router->lock);
}

static void
keyframe_router_unref (gpointer data)
{
  g_atomic_rc_box_release_full (data, keyframe_router_clear);
}

static void
keyframe_router_closure_notify (gpointer  data,
                                GClosure *closure)
{
  keyframe_router_unref (data);
}

static void keyframe_router_force (KeyframeRouter *router,
                                   guint           layer,
                                   gboolean        from_network);

typedef struct
{
  KeyframeRouter *router;
  guint           layer;
} Deferred;

static gboolean
on_deferred_keyframe (gpointer data)
{
  Deferred *deferred = data;
  KeyframeRouter *router = deferred->router;

  g_mutex_lock (&router->lock);
  router->deferred[deferred->layer] = FALSE;
  router->last_forced[deferred->layer] = 0;
  g_mutex_unlock (&router->lock);
  keyframe_router_force (router, deferred->layer, FALSE);
  return G_SOURCE_REMOVE;
}

static void
deferred_free (gpointer data)
{
  Deferred *deferred = data;

  keyframe_router_unref (deferred->router);
  g_free (deferred);
}

/* Any thread: the RTP session's, or the main context. */
static void
keyframe_router_force (KeyframeRouter *router,
                       guint           layer,
                       gboolean        from_network)
{
  g_autoptr(GstElement) encoder = NULL;
  gint64 now = g_get_monotonic_time ();
  gint64 wait = 0;

  g_mutex_lock (&router->lock);
  if (layer < router->n_layers && router->encoders[layer] != NULL)
    {
      if (from_network)
        router->routed[layer]++;
      if (now - router->last_forced[layer] >= KEYFRAME_MIN_INTERVAL_US)
        {
          router->last_forced[layer] = now;
          encoder = gst_object_ref (router->encoders[layer]);
        }
      else if (!router->deferred[layer])
        {
          router->deferred[layer] = TRUE;
          wait = router->last_forced[layer] + KEYFRAME_MIN_INTERVAL_US - now;
        }
    }
  g_mutex_unlock (&router->lock);

  if (wait > 0)
    {
      g_autoptr(GSource) source = g_timeout_source_new ((guint) (wait / 1000) + 1);
      Deferred *deferred = g_new0 (Deferred, 1);

      deferred->router = g_atomic_rc_box_acquire (router);
      deferred->layer = layer;
      g_source_set_callback (source, on_deferred_keyframe, deferred, deferred_free);
      g_source_attach (source, router->context);
    }

  /* Sent into the encoder's source pad, as if from downstream. */
  if (encoder != NULL)
    gst_element_send_event (encoder, gst_video_event_new_upstream_force_key_unit (
                                       GST_CLOCK_TIME_NONE, TRUE, 0));
}

static void
keyframe_router_force_ssrc (KeyframeRouter *router,
                            guint32         ssrc)
{
  int layer = -1;

  g_mutex_lock (&router->lock);
  for (guint i = 0; i < router->n_layers; i++)
    if (router->ssrcs[i] == ssrc)
      layer = (int) i;
  g_mutex_unlock (&router->lock);

  g_debug ("Keyframe request for SSRC %08x (layer %d)", ssrc, layer);
  if (layer >= 0)
    keyframe_router_force (router, (guint) layer, TRUE);
}

/* The RTP session's thread. */
static void
on_feedback_rtcp (GObject   *session,
                  guint      type,
                  guint      fbtype,
                  guint      sender_ssrc,
                  guint      media_ssrc,
                  GstBuffer *fci,
                  gpointer   user_data)
{
  KeyframeRouter *router = user_data;

  if (type != RTCP_PSFB)
    return;
  if (fbtype == RTCP_PSFB_PLI)
    keyframe_router_force_ssrc (router, media_ssrc);
  else if (fbtype == RTCP_PSFB_FIR && fci != NULL)
    {
      GstMapInfo map;

      /* FIR names its SSRCs in the FCI: 8 bytes each, SSRC first. */
      if (gst_buffer_map (fci, &map, GST_MAP_READ))
        {
          for (gsize offset = 0; offset + 8 <= map.size; offset += 8)
            keyframe_router_force_ssrc (router, GST_READ_UINT32_BE (map.data + offset));
          gst_buffer_unmap (fci, &map);
        }
    }
}

/* State */

static void
set_state (HcPublisher  *self,
           HcMediaState  state)
{
  if (self->state == state)
    return;
  g_debug ("Publisher %s → %s", hc_enum_to_nick (HC_TYPE_MEDIA_STATE, self->state),
           hc_enum_to_nick (HC_TYPE_MEDIA_STATE, state));
  self->state = state;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
}

static void
fail (HcPublisher *self,
      GError      *error)
{
  g_autoptr(GTask) task = g_steal_pointer (&self->start_task);

  g_message ("Publishing failed: %s", error->message);
  g_clear_handle_id (&self->offer_timeout_id, g_source_remove);
  g_clear_handle_id (&self->caps_check_id, g_source_remove);
  if (self->error == NULL)
    self->error = g_error_copy (error);
  if (self->state != HC_MEDIA_STATE_STOPPED)
    set_state (self, HC_MEDIA_STATE_FAILED);
  if (task != NULL)
    g_task_return_error (task, error);
  else
    g_error_free (error);
}

/* Sources */

/* A device the monitor knows, by display name or by path (/dev/video2, a PipeWire
 * node name…). Runs in a worker thread: probing devices can block. */
static GstElement *
make_device_element (const char *klass,
                     const char *device)
{
  g_autoptr(GstDeviceMonitor) monitor = gst_device_monitor_new ();
  GstElement *element = NULL;
  GList *devices;

  gst_device_monitor_add_filter (monitor, klass, NULL);
  if (!gst_device_monitor_start (monitor))
    return NULL;
  devices = gst_device_monitor_get_devices (monitor);
  for (GList *l = devices; l != NULL && element == NULL; l = l->next)
    {
      GstDevice *candidate = l->data;
      g_autofree char *name = gst_device_get_display_name (candidate);
      g_autoptr(GstStructure) props = gst_device_get_properties (candidate);
      const char *path = props ? gst_structure_get_string (props, "device.path") : NULL;
      const char *node = props ? gst_structure_get_string (props, "node.name") : NULL;

      if (g_strcmp0 (name, device) == 0 || g_strcmp0 (path, device) == 0 ||
          g_strcmp0 (node, device) == 0)
        element = gst_device_create_element (candidate, NULL);
    }
  g_list_free_full (devices, gst_object_unref);
  gst_device_monitor_stop (monitor);
  return element;
}

static GstElement *
wrap_in_bin (GstElement  *source,
             const char  *tail_description,
             const char  *name,
             GError     **error)
{
  g_autoptr(GstElement) tail = NULL;
  GstElement *bin;
  GstPad *src;

  tail = gst_parse_bin_from_description (tail_description, TRUE, error);
  if (tail == NULL)
    {
      gst_object_unref (gst_object_ref_sink (source));
      return NULL;
    }
  bin = gst_bin_new (name);
  /* decodebin3 changes state asynchronously; a source bin added to a playing pipeline
   * (a device switch) must commit that by itself, or it never reaches PLAYING and its
   * live source never starts. */
  g_object_set (bin, "async-handling", TRUE, NULL);
  gst_bin_add_many (GST_BIN (bin), source, gst_object_ref (tail), NULL);
  if (!gst_element_link (source, tail))
    {
      gst_object_unref (gst_object_ref_sink (bin));
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "The capture device cannot be used");
      return NULL;
    }
  src = gst_element_get_static_pad (tail, "src");
  gst_element_add_pad (bin, gst_ghost_pad_new ("src", src));
  gst_object_unref (src);
  return bin;
}

static GstElement *
make_video_source (const HcCaptureSpec  *spec,
                   const char           *device,
                   GError              **error)
{
  /* A capsfilter element, not bare caps: gst_parse_bin_from_description() takes caps
   * only between two links, and these end the description. */
  g_autofree char *caps = g_strdup_printf ("capsfilter caps=\"video/x-raw,format=I420,width=%d,"
                                           "height=%d,framerate=%d/1,pixel-aspect-ratio=1/1\"",
                                           spec->width, spec->height, spec->fps);
  g_autofree char *tail = NULL;
  GstElement *source = NULL;

  if (spec->test_pattern)
    {
      g_autofree char *description = g_strdup_printf ("videotestsrc is-live=true pattern=ball "
                                                      "! %s", caps);
      GstElement *bin = gst_parse_bin_from_description (description, TRUE, error);

      if (bin != NULL)
        gst_object_set_name (GST_OBJECT (bin), "video-source");
      return bin;
    }

  /* "test:<pattern>" is a generated camera (videotestsrc's patterns: ball, smpte…), for
   * demos and for testing device switches without a device. */
  if (device != NULL && g_str_has_prefix (device, "test:"))
    {
      source = gst_element_factory_make ("videotestsrc", NULL);
      g_object_set (source, "is-live", TRUE, NULL);
      gst_util_set_object_arg (G_OBJECT (source), "pattern", device + strlen ("test:"));
    }
  else if (device != NULL && *device != '\0')
    {
      source = make_device_element ("Video/Source", device);
      if (source == NULL)
        g_message ("Camera “%s” not found; using the default camera", device);
    }
  if (source == NULL)
    source = hc_make_element ("autovideosrc", NULL, error);
  if (source == NULL)
    return NULL;
  /* Cameras offer raw or MJPEG at all sorts of sizes and rates: decode, convert, scale
   * (letterboxing a 4:3 camera) and fix the rate, so that the encoders always get the
   * same caps, whatever camera is switched to. decodebin3, not decodebin: behind a
   * live source, decodebin let one frame through and then nothing. skip-to-first: a
   * camera switched to mid-call starts at the pipeline's running time, and videorate
   * must not fill the time before that with copies of its first frame (timestamps
   * going backwards make vp8enc discard its output). */
  tail = g_strdup_printf ("decodebin3 ! videoconvert ! videoscale add-borders=true ! "
                          "videorate skip-to-first=true ! %s", caps);
  return wrap_in_bin (source, tail, "video-source", error);
}

static GstElement *
make_audio_source (const HcCaptureSpec  *spec,
                   const char           *device,
                   GError              **error)
{
  const char *caps = "capsfilter caps=\"audio/x-raw,rate=48000,channels=1\"";
  g_autofree char *tail = NULL;
  GstElement *source = NULL;

  if (spec->test_pattern)
    {
      /* A steady tone loud enough for Janus's talking detection; 20 ms buffers as Opus
       * frames them. */
      g_autofree char *description =
        g_strdup_printf ("audiotestsrc is-live=true wave=sine freq=440 volume=0.3 "
                         "samplesperbuffer=960 ! audioconvert ! %s", caps);
      GstElement *bin = gst_parse_bin_from_description (description, TRUE, error);

      if (bin != NULL)
        gst_object_set_name (GST_OBJECT (bin), "audio-source");
      return bin;
    }

  /* "test:<frequency>" is a generated microphone: a tone of that many Hz. */
  if (device != NULL && g_str_has_prefix (device, "test:"))
    {
      source = gst_element_factory_make ("audiotestsrc", NULL);
      g_object_set (source, "is-live", TRUE, "volume", 0.3,
                    "freq", g_ascii_strtod (device + strlen ("test:"), NULL), NULL);
    }
  else if (device != NULL && *device != '\0')
    {
      source = make_device_element ("Audio/Source", device);
      if (source == NULL)
        g_message ("Microphone “%s” not found; using the default microphone", device);
    }
  if (source == NULL)
    source = hc_make_element ("autoaudiosrc", NULL, error);
  if (source == NULL)
    return NULL;
  tail = g_strdup_printf ("audioconvert ! audioresample ! %s", caps);
  return wrap_in_bin (source, tail, "audio-source", error);
}

/* Building */

/* A leaky queue right after each source. Whatever holds the rest of the pipeline up (a
 * slow encoder, webrtcbin holding its pads until negotiated), the source's own thread
 * never blocks downstream, so a device switch can always stop the old source. */
static GstElement *
make_source_queue (const char  *name,
                   gboolean     video,
                   GError     **error)
{
  GstElement *queue = hc_make_element ("queue", name, error);

  if (queue == NULL)
    return NULL;
  g_object_set (queue,
                "max-size-buffers", video ? 2 : 0,
                "max-size-bytes", 0,
                "max-size-time", video ? (guint64) 0 : (guint64) (200 * GST_MSECOND),
                NULL);
  gst_util_set_object_arg (G_OBJECT (queue), "leaky", "downstream");
  return queue;
}

static GstFlowReturn
on_preview_sample (GstAppSink *sink,
                   gpointer    user_data)
{
  HcVideoPaintable *preview = user_data;
  g_autoptr(GstSample) sample = gst_app_sink_pull_sample (sink);

  if (sample != NULL)
    hc_video_paintable_push_sample (preview, sample);
  return GST_FLOW_OK;
}

static GstCaps *
video_rtp_caps (HcVideoCodec codec)
{
  if (codec == HC_VIDEO_CODEC_H264)
    return gst_caps_from_string ("application/x-rtp,media=video,encoding-name=H264,"
                                 "payload=" G_STRINGIFY (H264_PT) ",clock-rate=90000,"
                                 "packetization-mode=(string)1,"
                                 "profile-level-id=(string)42e01f,"
                                 "level-asymmetry-allowed=(string)1,"
                                 "rtcp-fb-nack-pli=(boolean)true,"
                                 "rtcp-fb-ccm-fir=(boolean)true");
  return gst_caps_from_string ("application/x-rtp,media=video,encoding-name=VP8,"
                               "payload=" G_STRINGIFY (VIDEO_PT) ",clock-rate=90000,"
                               "rtcp-fb-nack-pli=(boolean)true,"
                               "rtcp-fb-ccm-fir=(boolean)true");
}

static GstElement *
make_encoder (HcPublisher  *self,
              guint         layer,
              GError      **error)
{
  guint kbps = self->spec.layer_kbps[layer];
  int keyframe_dist = KEYFRAME_MAX_DIST_SECONDS * self->spec.fps;
  GstElement *encoder;

  if (self->codec == HC_VIDEO_CODEC_H264)
    {
      encoder = hc_make_element ("openh264enc", NULL, NULL);
      if (encoder != NULL)
        {
          /* One slice a frame (the default): several, in one zero-latency RTP
           * aggregate, left openh264dec with nothing to show. */
          g_object_set (encoder, "bitrate", kbps * 1000, "gop-size", keyframe_dist, NULL);
          gst_util_set_object_arg (G_OBJECT (encoder), "rate-control", "bitrate");
          gst_util_set_object_arg (G_OBJECT (encoder), "complexity", "low");
          gst_util_set_object_arg (G_OBJECT (encoder), "usage-type", "camera");
          return encoder;
        }
      encoder = hc_make_element ("x264enc", NULL, error);
      if (encoder == NULL)
        return NULL;
      gst_util_set_object_arg (G_OBJECT (encoder), "tune", "zerolatency");
      gst_util_set_object_arg (G_OBJECT (encoder), "speed-preset", "veryfast");
      g_object_set (encoder, "bitrate", kbps, "key-int-max", keyframe_dist, NULL);
      return encoder;
    }

  encoder = hc_make_element ("vp8enc", NULL, error);
  if (encoder == NULL)
    return NULL;
  /* Realtime, constant bitrate, no lookahead. cpu-used 8 keeps three layers of a
   * 720p camera near a third of one core (the note's measurements). */
  g_object_set (encoder,
                "deadline", (gint64) 1,
                "cpu-used", 8,
                "target-bitrate", (int) (kbps * 1000),
                "keyframe-max-dist", keyframe_dist,
                "lag-in-frames", 0,
                /* One thread per encoder: with two, libvpx's threads spin waiting on
                 * each other, and on a busy two-core machine the same frames cost
                 * three to four times the CPU (bench/README.md). */
                "threads", 1,
                "buffer-size", 1000,
                "buffer-initial-size", 500,
                "buffer-optimal-size", 600,
                "undershoot", 95,
                "max-quantizer", 56,
                NULL);
  gst_util_set_object_arg (G_OBJECT (encoder), "end-usage", "cbr");
  gst_util_set_object_arg (G_OBJECT (encoder), "error-resilient", "default");
  return encoder;
}

static GstElement *
make_payloader (HcPublisher  *self,
                guint32       ssrc,
                GError      **error)
{
  GstElement *pay;

  if (self->codec == HC_VIDEO_CODEC_H264)
    {
      pay = hc_make_element ("rtph264pay", NULL, error);
      if (pay == NULL)
        return NULL;
      g_object_set (pay, "pt", H264_PT, "ssrc", ssrc, "config-interval", -1, NULL);
      gst_util_set_object_arg (G_OBJECT (pay), "aggregate-mode", "zero-latency");
      return pay;
    }
  pay = hc_make_element ("rtpvp8pay", NULL, error);
  if (pay == NULL)
    return NULL;
  g_object_set (pay, "pt", VIDEO_PT, "ssrc", ssrc, NULL);
  gst_util_set_object_arg (G_OBJECT (pay), "picture-id-mode", "15-bit");
  return pay;
}

/* queue ! videoscale ! capsfilter, hanging off the tee; returns the capsfilter. */
static GstElement *
add_scaled_branch (HcPublisher  *self,
                   GstElement   *tee,
                   const char   *format,
                   int           width,
                   int           height,
                   GError      **error)
{
  GstElement *queue = hc_make_element ("queue", NULL, error);
  GstElement *scale = queue ? hc_make_element ("videoscale", NULL, error) : NULL;
  GstElement *convert = scale ? hc_make_element ("videoconvert", NULL, error) : NULL;
  GstElement *filter = convert ? hc_make_element ("capsfilter", NULL, error) : NULL;
  g_autoptr(GstCaps) caps = NULL;

  if (filter == NULL)
    {
      for (GstElement **e = (GstElement *[]) { queue, scale, convert, NULL }; *e; e++)
        gst_object_unref (gst_object_ref_sink (*e));
      return NULL;
    }
  /* A slow encoder drops frames of its own layer instead of holding back the others. */
  g_object_set (queue, "max-size-buffers", 2, "max-size-bytes", 0, "max-size-time",
                (guint64) 0, NULL);
  gst_util_set_object_arg (G_OBJECT (queue), "leaky", "downstream");
  caps = gst_caps_new_simple ("video/x-raw", "format", G_TYPE_STRING, format,
                              "width", G_TYPE_INT, width, "height", G_TYPE_INT, height, NULL);
  g_object_set (filter, "caps", caps, NULL);
  gst_bin_add_many (GST_BIN (self->pipeline), queue, scale, convert, filter, NULL);
  if (!gst_element_link_many (tee, queue, scale, convert, filter, NULL))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "Could not link a video branch");
      return NULL;
    }
  return filter;
}

static GstPad *
request_webrtc_pad (HcPublisher *self,
                    GstElement  *upstream,
                    GError     **error)
{
  g_autoptr(GstPad) src = gst_element_get_static_pad (upstream, "src");
  GstPad *sink = gst_element_request_pad_simple (self->webrtc, "sink_%u");
  g_autoptr(GstWebRTCRTPTransceiver) transceiver = NULL;

  if (sink == NULL || gst_pad_link (src, sink) != GST_PAD_LINK_OK)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "Could not link to webrtcbin");
      g_clear_object (&sink);
      return NULL;
    }
  g_object_set (sink, "msid", "housecall", NULL);
  g_object_get (sink, "transceiver", &transceiver, NULL);
  if (transceiver != NULL)
    g_object_set (transceiver, "direction", GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_SENDONLY,
                  NULL);
  return sink;
}

static gboolean
build_video (HcPublisher  *self,
             GError      **error)
{
  GstElement *tee;
  GstElement *preview_filter;
  GstElement *sink;
  GstElement *funnel = NULL;
  GstElement *setter;
  g_autoptr(GstCaps) rtp_caps = video_rtp_caps (self->codec);
  GstAppSinkCallbacks callbacks = { .new_sample = on_preview_sample };
  g_autoptr(GstPad) webrtc_pad = NULL;

  self->video_source = make_video_source (&self->spec, self->camera_device, error);
  if (self->video_source == NULL)
    return FALSE;
  self->video_queue = make_source_queue ("camera-queue", TRUE, error);
  self->valve = self->video_queue ? hc_make_element ("valve", "camera-valve", error) : NULL;
  tee = self->valve ? hc_make_element ("tee", "video-tee", error) : NULL;
  setter = tee ? hc_make_element ("capssetter", NULL, error) : NULL;
  if (setter == NULL)
    return FALSE;
  g_object_set (self->valve, "drop", !self->camera_enabled, NULL);
  g_object_set (tee, "allow-not-linked", TRUE, NULL);
  /* rtpfunnel's output says only application/x-rtp; webrtcbin needs the codec and
   * the feedback it may ask for, or its offer never comes. */
  g_object_set (setter, "caps", rtp_caps, NULL);
  gst_bin_add_many (GST_BIN (self->pipeline), self->video_source, self->video_queue, self->valve,
                    tee, setter, NULL);
  if (!gst_element_link_many (self->video_source, self->video_queue, self->valve, tee, NULL))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "Could not link the camera");
      return FALSE;
    }

  if (self->spec.n_layers > 1)
    {
      funnel = hc_make_element ("rtpfunnel", NULL, error);
      if (funnel == NULL)
        return FALSE;
      gst_bin_add (GST_BIN (self->pipeline), funnel);
      if (!gst_element_link (funnel, setter))
        return FALSE;
    }

  self->router->n_layers = self->spec.n_layers;
  for (guint i = 0; i < self->spec.n_layers; i++)
    {
      GstElement *filter = add_scaled_branch (self, tee, "I420", self->spec.layer_width[i],
                                              self->spec.layer_height[i], error);
      GstElement *encoder = filter ? make_encoder (self, i, error) : NULL;
      GstElement *pay = NULL;
      guint32 ssrc = hc_random_ssrc ();

      for (guint k = 0; k < i; k++)
        while (ssrc == self->router->ssrcs[k])
          ssrc = hc_random_ssrc ();
      pay = encoder ? make_payloader (self, ssrc, error) : NULL;
      if (pay == NULL)
        {
          if (encoder != NULL)
            gst_object_unref (gst_object_ref_sink (encoder));
          return FALSE;
        }
      gst_bin_add_many (GST_BIN (self->pipeline), encoder, pay, NULL);
      if (!gst_element_link_many (filter, encoder, pay, funnel ? funnel : setter, NULL))
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "Could not link an encoder");
          return FALSE;
        }
      self->router->ssrcs[i] = ssrc;
      self->router->encoders[i] = gst_object_ref (encoder);
    }

  preview_filter = add_scaled_branch (self, tee, "BGRA", self->spec.preview_width,
                                      self->spec.preview_height, error);
  sink = preview_filter ? hc_make_element ("appsink", "preview-sink", error) : NULL;
  if (sink == NULL)
    return FALSE;
  g_object_set (sink, "sync", FALSE, "max-buffers", 1, "drop", TRUE, "enable-last-sample",
                FALSE, NULL);
  gst_app_sink_set_callbacks (GST_APP_SINK (sink), &callbacks, g_object_ref (self->preview),
                              g_object_unref);
  gst_bin_add (GST_BIN (self->pipeline), sink);
  if (!gst_element_link (preview_filter, sink))
    return FALSE;

  webrtc_pad = request_webrtc_pad (self, setter, error);
  return webrtc_pad != NULL;
}

static gboolean
build_audio (HcPublisher  *self,
             GError      **error)
{
  GstElement *level;
  GstElement *encoder;
  GstElement *pay;
  g_autoptr(GstRTPHeaderExtension) extension = NULL;
  g_autoptr(GstPad) webrtc_pad = NULL;

  self->audio_source = make_audio_source (&self->spec, self->microphone_device, error);
  if (self->audio_source == NULL)
    return FALSE;
  self->audio_queue = make_source_queue ("microphone-queue", FALSE, error);
  self->audio_convert = self->audio_queue ? hc_make_element ("audioconvert", NULL, error) : NULL;
  self->volume = self->audio_convert ? hc_make_element ("volume", "microphone-volume", error)
                                     : NULL;
  level = self->volume ? hc_make_element ("level", NULL, error) : NULL;
  encoder = level ? hc_make_element ("opusenc", NULL, error) : NULL;
  pay = encoder ? hc_make_element ("rtpopuspay", NULL, error) : NULL;
  if (pay == NULL)
    return FALSE;

  g_object_set (self->volume, "mute", self->microphone_muted, NULL);
  /* The level element measures each buffer and attaches a GstAudioLevelMeta, which the
   * ssrc-audio-level extension carries to Janus: that drives the dominant speaker. */
  g_object_set (level, "audio-level-meta", TRUE, "post-messages", FALSE, NULL);
  g_object_set (encoder, "bitrate", 32000, NULL);
  gst_util_set_object_arg (G_OBJECT (encoder), "frame-size", "20");
  g_object_set (pay, "pt", OPUS_PT, "ssrc", hc_random_ssrc (), NULL);
  extension = gst_rtp_header_extension_create_from_uri (AUDIO_LEVEL_URI);
  if (extension == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                   "The GStreamer RTP audio level extension is missing "
                   "(gstreamer1.0-plugins-good)");
      gst_object_unref (gst_object_ref_sink (pay));
      return FALSE;
    }
  gst_rtp_header_extension_set_id (extension, AUDIO_LEVEL_EXT_ID);
  g_signal_emit_by_name (pay, "add-extension", extension);

  gst_bin_add_many (GST_BIN (self->pipeline), self->audio_source, self->audio_queue,
                    self->audio_convert,
                    self->volume, level, encoder, pay, NULL);
  if (!gst_element_link_many (self->audio_source, self->audio_queue, self->audio_convert,
                              self->volume, level,
                              encoder, pay, NULL))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "Could not link the microphone");
      return FALSE;
    }
  webrtc_pad = request_webrtc_pad (self, pay, error);
  return webrtc_pad != NULL;
}

/* webrtcbin callbacks: streaming or ICE threads, marshalled to the main context. */

typedef struct
{
  HcPublisher *self;
  guint        mline;
  char        *candidate;  /* NULL: end of candidates */
} CandidateData;

static void
candidate_data_free (gpointer data)
{
  CandidateData *candidate = data;

  g_object_unref (candidate->self);
  g_free (candidate->candidate);
  g_free (candidate);
}

static gboolean
emit_candidate (gpointer data)
{
  CandidateData *candidate = data;
  HcPublisher *self = candidate->self;
  g_autofree char *mid = NULL;

  if (self->webrtc == NULL || self->state == HC_MEDIA_STATE_STOPPED)
    return G_SOURCE_REMOVE;
  if (self->local_sdp != NULL)
    mid = hc_sdp_get_mid (self->local_sdp, candidate->mline);
  g_signal_emit (self, signals[SIGNAL_ICE_CANDIDATE], 0, candidate->mline, mid,
                 candidate->candidate);
  return G_SOURCE_REMOVE;
}

static void
queue_candidate (HcPublisher *self,
                 guint        mline,
                 const char  *candidate)
{
  CandidateData *data = g_new0 (CandidateData, 1);

  data->self = g_object_ref (self);
  data->mline = mline;
  data->candidate = g_strdup (candidate);
  g_main_context_invoke_full (self->context, G_PRIORITY_DEFAULT, emit_candidate, data,
                              candidate_data_free);
}

static void
on_ice_candidate (GstElement *webrtc,
                  guint       mline,
                  const char *candidate,
                  gpointer    user_data)
{
  queue_candidate (HC_PUBLISHER (user_data), mline, candidate);
}

static void
on_ice_gathering_state (GObject    *webrtc,
                        GParamSpec *pspec,
                        gpointer    user_data)
{
  GstWebRTCICEGatheringState state;

  g_object_get (webrtc, "ice-gathering-state", &state, NULL);
  if (state == GST_WEBRTC_ICE_GATHERING_STATE_COMPLETE)
    queue_candidate (HC_PUBLISHER (user_data), 0, NULL);
}

static gboolean
update_connection_state (gpointer user_data)
{
  HcPublisher *self = user_data;
  GstWebRTCPeerConnectionState state;

  if (self->webrtc == NULL || self->state == HC_MEDIA_STATE_STOPPED ||
      self->state == HC_MEDIA_STATE_FAILED)
    return G_SOURCE_REMOVE;
  g_object_get (self->webrtc, "connection-state", &state, NULL);
  if (state == GST_WEBRTC_PEER_CONNECTION_STATE_CONNECTED)
    set_state (self, HC_MEDIA_STATE_CONNECTED);
  else if (state == GST_WEBRTC_PEER_CONNECTION_STATE_FAILED)
    fail (self, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED,
                                     "The media connection to the server failed"));
  return G_SOURCE_REMOVE;
}

static void
on_connection_state (GObject    *webrtc,
                     GParamSpec *pspec,
                     gpointer    user_data)
{
  HcPublisher *self = user_data;

  g_main_context_invoke_full (self->context, G_PRIORITY_DEFAULT, update_connection_state,
                              g_object_ref (self), g_object_unref);
}

static gboolean
on_bus_message (GstBus     *bus,
                GstMessage *message,
                gpointer    user_data)
{
  HcPublisher *self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *debug = NULL;

  switch (GST_MESSAGE_TYPE (message))
    {
    case GST_MESSAGE_ERROR:
      gst_message_parse_error (message, &error, &debug);
      g_debug ("Pipeline error from %s: %s (%s)", GST_OBJECT_NAME (message->src),
               error->message, debug ? debug : "");
      fail (self, g_error_new (G_IO_ERROR, G_IO_ERROR_FAILED, "%s", error->message));
      break;
    case GST_MESSAGE_WARNING:
      gst_message_parse_warning (message, &error, &debug);
      g_debug ("Pipeline warning from %s: %s (%s)", GST_OBJECT_NAME (message->src),
               error->message, debug ? debug : "");
      break;
    default:
      break;
    }
  return G_SOURCE_CONTINUE;
}

static gboolean
build_pipeline (HcPublisher  *self,
                GError      **error)
{
  g_autoptr(GstBus) bus = NULL;

  self->pipeline = gst_object_ref_sink (gst_pipeline_new ("publisher"));
  self->webrtc = hc_make_element ("webrtcbin", "webrtc", error);
  if (self->webrtc == NULL)
    return FALSE;
  gst_object_ref (self->webrtc);
  gst_util_set_object_arg (G_OBJECT (self->webrtc), "bundle-policy", "max-bundle");
  hc_webrtcbin_configure_ice (self->webrtc);
  gst_bin_add (GST_BIN (self->pipeline), self->webrtc);

  if (!build_video (self, error) || !build_audio (self, error))
    return FALSE;

  g_signal_connect (self->webrtc, "on-ice-candidate", G_CALLBACK (on_ice_candidate), self);
  g_signal_connect (self->webrtc, "notify::ice-gathering-state",
                    G_CALLBACK (on_ice_gathering_state), self);
  g_signal_connect (self->webrtc, "notify::connection-state", G_CALLBACK (on_connection_state),
                    self);

  bus = gst_pipeline_get_bus (GST_PIPELINE (self->pipeline));
  self->bus_watch_id = gst_bus_add_watch (bus, on_bus_message, self);
  return TRUE;
}

/* Teardown (a worker thread, or dispose) */

static void
disconnect_pipeline (HcPublisher *self)
{
  if (self->rtp_session != NULL)
    {
      g_clear_signal_handler (&self->feedback_id, self->rtp_session);
      g_clear_object (&self->rtp_session);
    }
  if (self->webrtc != NULL)
    g_signal_handlers_disconnect_by_data (self->webrtc, self);
  g_clear_handle_id (&self->bus_watch_id, g_source_remove);
  g_clear_handle_id (&self->offer_timeout_id, g_source_remove);
  g_clear_handle_id (&self->caps_check_id, g_source_remove);
}

typedef struct
{
  GstElement *pipeline;
  GstElement *webrtc;
} Teardown;

static void
teardown_in_thread (GTask        *task,
                    gpointer      source_object,
                    gpointer      task_data,
                    GCancellable *cancellable)
{
  HcPublisher *self = source_object;
  Teardown *teardown = task_data;

  g_mutex_lock (&self->swap_lock);
  gst_element_set_state (teardown->pipeline, GST_STATE_NULL);
  g_mutex_unlock (&self->swap_lock);
  g_task_return_boolean (task, TRUE);
}

static void
teardown_free (gpointer data)
{
  Teardown *teardown = data;

  gst_clear_object (&teardown->webrtc);
  gst_clear_object (&teardown->pipeline);
  g_free (teardown);
}

/* Offer */

static void
on_local_description_set (GObject    *object,
                          GstPromise *promise)
{
  HcPublisher *self = HC_PUBLISHER (object);
  g_autoptr(GError) error = NULL;
  g_autoptr(GTask) task = NULL;
  g_autofree char *offer = NULL;

  if (self->start_task == NULL)
    return;
  if (!hc_promise_get_reply (promise, NULL, &error))
    {
      fail (self, g_steal_pointer (&error));
      return;
    }
  /* Janus learns the layers from the text only: webrtcbin's description stays as is. */
  if (self->spec.n_layers > 1)
    offer = hc_sdp_munge_simulcast (self->local_sdp, self->router->ssrcs, self->spec.n_layers,
                                    &error);
  else
    offer = g_strdup (self->local_sdp);
  if (offer == NULL)
    {
      fail (self, g_steal_pointer (&error));
      return;
    }
  g_debug ("Offer:\n%s", offer);
  task = g_steal_pointer (&self->start_task);
  g_task_return_pointer (task, g_steal_pointer (&offer), g_free);
}

static void
on_offer_created (GObject    *object,
                  GstPromise *promise)
{
  HcPublisher *self = HC_PUBLISHER (object);
  g_autoptr(GError) error = NULL;
  g_autoptr(GstWebRTCSessionDescription) offer = NULL;
  const GstStructure *reply = NULL;
  GstPromise *set_promise;

  g_clear_handle_id (&self->offer_timeout_id, g_source_remove);
  if (self->start_task == NULL || self->webrtc == NULL)
    return;
  if (!hc_promise_get_reply (promise, &reply, &error))
    {
      fail (self, g_steal_pointer (&error));
      return;
    }
  if (reply != NULL)
    gst_structure_get (reply, "offer", GST_TYPE_WEBRTC_SESSION_DESCRIPTION, &offer, NULL);
  if (offer == NULL || offer->sdp == NULL)
    {
      fail (self, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_FAILED,
                                       "webrtcbin created no offer"));
      return;
    }
  g_free (self->local_sdp);
  self->local_sdp = gst_sdp_message_as_text (offer->sdp);
  if (strstr (self->local_sdp, "m=video ") == NULL || strstr (self->local_sdp, "m=audio ") == NULL)
    {
      fail (self, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_FAILED,
                                       "webrtcbin's offer lacks the camera or the microphone"));
      return;
    }
  set_promise = hc_promise_new_in_context (self->context, G_OBJECT (self),
                                           on_local_description_set);
  g_signal_emit_by_name (self->webrtc, "set-local-description", offer, set_promise);
  gst_promise_unref (set_promise);
}

static gboolean
on_offer_timeout (gpointer user_data)
{
  HcPublisher *self = user_data;

  self->offer_timeout_id = 0;
  fail (self, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                                   "The media pipeline produced no offer in time"));
  return G_SOURCE_REMOVE;
}

/* Whether every webrtcbin sink pad has received caps. */
static gboolean
all_pads_have_caps (GstElement *webrtc)
{
  g_autoptr(GstIterator) pads = gst_element_iterate_sink_pads (webrtc);
  GValue item = G_VALUE_INIT;
  gboolean all = TRUE;

  while (all && gst_iterator_next (pads, &item) == GST_ITERATOR_OK)
    {
      all = gst_pad_has_current_caps (g_value_get_object (&item));
      g_value_reset (&item);
    }
  g_value_unset (&item);
  return all;
}

static gboolean
on_caps_check (gpointer user_data)
{
  HcPublisher *self = user_data;
  GstPromise *promise;

  if (self->start_task == NULL || self->webrtc == NULL)
    {
      self->caps_check_id = 0;
      return G_SOURCE_REMOVE;
    }
  /* webrtcbin 1.22 leaves out of its offer a transceiver whose pad has no caps yet
   * (on a loaded machine, the microphone's could come after the camera's): wait for
   * all of them. The offer timeout bounds the wait. */
  if (!all_pads_have_caps (self->webrtc))
    return G_SOURCE_CONTINUE;
  self->caps_check_id = 0;
  promise = hc_promise_new_in_context (self->context, G_OBJECT (self), on_offer_created);
  g_signal_emit_by_name (self->webrtc, "create-offer", NULL, promise);
  gst_promise_unref (promise);
  return G_SOURCE_REMOVE;
}

static void
on_pipeline_playing (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(HcPublisher) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!hc_element_set_state_finish (GST_ELEMENT (source), result, &error))
    {
      fail (self, g_steal_pointer (&error));
      return;
    }
  if (self->start_task == NULL || self->webrtc == NULL)
    return;
  set_state (self, HC_MEDIA_STATE_NEGOTIATING);
  /* A pipeline that never produces caps must not hang the call. */
  self->offer_timeout_id = g_timeout_add_seconds (OFFER_TIMEOUT_SECONDS, on_offer_timeout, self);
  if (on_caps_check (self) == G_SOURCE_CONTINUE)
    self->caps_check_id = g_timeout_add (20, on_caps_check, self);
}

/* Answer */

static void
on_remote_description_set (GObject    *object,
                           GstPromise *promise)
{
  HcPublisher *self = HC_PUBLISHER (object);
  g_autoptr(GError) error = NULL;

  if (self->webrtc == NULL || self->state == HC_MEDIA_STATE_STOPPED)
    return;
  if (!hc_promise_get_reply (promise, NULL, &error))
    {
      fail (self, g_steal_pointer (&error));
      return;
    }

  /* The bundle's RTP session exists now: listen to its keyframe requests. */
  self->rtp_session = hc_webrtcbin_get_rtp_session (self->webrtc, 0);
  if (self->rtp_session != NULL)
    self->feedback_id = g_signal_connect_data (self->rtp_session, "on-feedback-rtcp",
                                               G_CALLBACK (on_feedback_rtcp),
                                               g_atomic_rc_box_acquire (self->router),
                                               keyframe_router_closure_notify, 0);
  else
    g_message ("No RTP session found in webrtcbin: keyframe requests will not be routed");
  update_connection_state (self);
}

/* Source swaps (a worker thread) */

typedef struct
{
  gboolean  video;
  char     *device;
} SwapData;

static void
swap_data_free (gpointer data)
{
  SwapData *swap = data;

  g_free (swap->device);
  g_free (swap);
}

static void
swap_in_thread (GTask        *task,
                gpointer      source_object,
                gpointer      task_data,
                GCancellable *cancellable)
{
  HcPublisher *self = source_object;
  SwapData *swap = task_data;
  g_autoptr(GError) error = NULL;
  GstElement *replacement;
  GstElement **current;
  GstElement *next;

  g_mutex_lock (&self->swap_lock);
  if (self->pipeline == NULL || self->state == HC_MEDIA_STATE_STOPPED)
    {
      g_mutex_unlock (&self->swap_lock);
      g_task_return_boolean (task, FALSE);
      return;
    }
  replacement = swap->video ? make_video_source (&self->spec, swap->device, &error)
                            : make_audio_source (&self->spec, swap->device, &error);
  if (replacement == NULL)
    {
      g_mutex_unlock (&self->swap_lock);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  current = swap->video ? &self->video_source : &self->audio_source;
  next = swap->video ? self->video_queue : self->audio_queue;

  /* Stopping the old source first means nothing pushes into an unlinked pad; the new
   * one starts a new stream into the same caps. */
  g_debug ("Switching the %s to %s", swap->video ? "camera" : "microphone", swap->device);
  gst_element_set_state (*current, GST_STATE_NULL);
  gst_element_unlink (*current, next);
  gst_bin_remove (GST_BIN (self->pipeline), *current);
  *current = replacement;
  gst_bin_add (GST_BIN (self->pipeline), replacement);
  if (!gst_element_link (replacement, next) || !gst_element_sync_state_with_parent (replacement))
    g_set_error (&error, G_IO_ERROR, G_IO_ERROR_FAILED, "The new device could not be started");
  g_debug ("Switched the %s", swap->video ? "camera" : "microphone");
  g_mutex_unlock (&self->swap_lock);

  if (swap->video)
    hc_publisher_request_keyframes (self);
  if (error != NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_boolean (task, TRUE);
}

static void
on_swapped (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error) && error != NULL)
    g_message ("Could not switch devices: %s", error->message);
}

static void
swap_source (HcPublisher *self,
             gboolean     video,
             const char  *device)
{
  g_autoptr(GTask) task = NULL;
  SwapData *swap;

  if (self->pipeline == NULL || self->state == HC_MEDIA_STATE_STOPPED ||
      self->state == HC_MEDIA_STATE_NEW)
    return;
  swap = g_new0 (SwapData, 1);
  swap->video = video;
  swap->device = g_strdup (device);
  task = g_task_new (self, NULL, on_swapped, NULL);
  g_task_set_source_tag (task, swap_source);
  g_task_set_task_data (task, swap, swap_data_free);
  g_task_run_in_thread (task, swap_in_thread);
}

/* GObject */

static void
hc_publisher_get_property (GObject    *object,
                           guint       prop_id,
                           GValue     *value,
                           GParamSpec *pspec)
{
  HcPublisher *self = HC_PUBLISHER (object);

  switch (prop_id)
    {
    case PROP_STATE:
      g_value_set_enum (value, self->state);
      break;
    case PROP_PROFILE:
      g_value_set_enum (value, self->profile);
      break;
    case PROP_CODEC:
      g_value_set_enum (value, self->codec);
      break;
    case PROP_SIMULCAST:
      g_value_set_boolean (value, self->simulcast);
      break;
    case PROP_PREVIEW:
      g_value_set_object (value, self->preview);
      break;
    case PROP_MAX_VIDEO_BITRATE:
      g_value_set_uint (value, self->max_kbps);
      break;
    case PROP_MICROPHONE_MUTED:
      g_value_set_boolean (value, self->microphone_muted);
      break;
    case PROP_CAMERA_ENABLED:
      g_value_set_boolean (value, self->camera_enabled);
      break;
    case PROP_CAMERA_DEVICE:
      g_value_set_string (value, self->camera_device);
      break;
    case PROP_MICROPHONE_DEVICE:
      g_value_set_string (value, self->microphone_device);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
hc_publisher_set_property (GObject      *object,
                           guint         prop_id,
                           const GValue *value,
                           GParamSpec   *pspec)
{
  HcPublisher *self = HC_PUBLISHER (object);

  switch (prop_id)
    {
    case PROP_PROFILE:
      self->profile = g_value_get_enum (value);
      break;
    case PROP_CODEC:
      self->codec = g_value_get_enum (value);
      break;
    case PROP_SIMULCAST:
      self->simulcast = g_value_get_boolean (value);
      break;
    case PROP_PREVIEW:
      self->preview = g_value_dup_object (value);
      break;
    case PROP_MAX_VIDEO_BITRATE:
      hc_publisher_set_max_video_bitrate (self, g_value_get_uint (value));
      break;
    case PROP_MICROPHONE_MUTED:
      hc_publisher_set_microphone_muted (self, g_value_get_boolean (value));
      break;
    case PROP_CAMERA_ENABLED:
      hc_publisher_set_camera_enabled (self, g_value_get_boolean (value));
      break;
    case PROP_CAMERA_DEVICE:
      hc_publisher_set_camera_device (self, g_value_get_string (value));
      break;
    case PROP_MICROPHONE_DEVICE:
      hc_publisher_set_microphone_device (self, g_value_get_string (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
hc_publisher_constructed (GObject *object)
{
  HcPublisher *self = HC_PUBLISHER (object);

  G_OBJECT_CLASS (hc_publisher_parent_class)->constructed (object);

  if (self->preview == NULL)
    self->preview = hc_video_paintable_new ();
  hc_capture_spec_init (&self->spec, self->profile, self->codec, self->simulcast,
                        self->max_kbps);
}

static void
hc_publisher_dispose (GObject *object)
{
  HcPublisher *self = HC_PUBLISHER (object);

  disconnect_pipeline (self);
  if (self->pipeline != NULL)
    {
      /* Only reached when the owner did not stop us: the one blocking state change,
       * at destruction. */
      gst_element_set_state (self->pipeline, GST_STATE_NULL);
    }
  gst_clear_object (&self->webrtc);
  gst_clear_object (&self->pipeline);
  g_clear_object (&self->preview);

  G_OBJECT_CLASS (hc_publisher_parent_class)->dispose (object);
}

static void
hc_publisher_finalize (GObject *object)
{
  HcPublisher *self = HC_PUBLISHER (object);

  g_assert (self->start_task == NULL);
  g_clear_pointer (&self->router, keyframe_router_unref);
  g_clear_error (&self->error);
  g_clear_pointer (&self->context, g_main_context_unref);
  g_free (self->camera_device);
  g_free (self->microphone_device);
  g_free (self->local_sdp);
  g_mutex_clear (&self->swap_lock);

  G_OBJECT_CLASS (hc_publisher_parent_class)->finalize (object);
}

static void
hc_publisher_class_init (HcPublisherClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = hc_publisher_get_property;
  object_class->set_property = hc_publisher_set_property;
  object_class->constructed = hc_publisher_constructed;
  object_class->dispose = hc_publisher_dispose;
  object_class->finalize = hc_publisher_finalize;

  properties[PROP_STATE] =
    g_param_spec_enum ("state", NULL, NULL, HC_TYPE_MEDIA_STATE, HC_MEDIA_STATE_NEW,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_PROFILE] =
    g_param_spec_enum ("profile", NULL, NULL, HC_TYPE_CAPTURE_PROFILE, HC_CAPTURE_PROFILE_720P,
                       G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_CODEC] =
    g_param_spec_enum ("codec", NULL, NULL, HC_TYPE_VIDEO_CODEC, HC_VIDEO_CODEC_VP8,
                       G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_SIMULCAST] =
    g_param_spec_boolean ("simulcast", NULL, NULL, TRUE,
                          G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_PREVIEW] =
    g_param_spec_object ("preview", NULL, NULL, HC_TYPE_VIDEO_PAINTABLE,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_MAX_VIDEO_BITRATE] =
    g_param_spec_uint ("max-video-bitrate", NULL, NULL, 100, 10000, 1500,
                       G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_EXPLICIT_NOTIFY |
                       G_PARAM_STATIC_STRINGS);
  properties[PROP_MICROPHONE_MUTED] =
    g_param_spec_boolean ("microphone-muted", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_CAMERA_ENABLED] =
    g_param_spec_boolean ("camera-enabled", NULL, NULL, TRUE,
                          G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_EXPLICIT_NOTIFY |
                          G_PARAM_STATIC_STRINGS);
  properties[PROP_CAMERA_DEVICE] =
    g_param_spec_string ("camera-device", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_MICROPHONE_DEVICE] =
    g_param_spec_string ("microphone-device", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * HcPublisher::ice-candidate:
   * @mline: the media section's index
   * @mid: (nullable): its a=mid
   * @candidate: (nullable): the candidate line, or %NULL at the end of gathering
   */
  signals[SIGNAL_ICE_CANDIDATE] =
    g_signal_new ("ice-candidate", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 3, G_TYPE_UINT, G_TYPE_STRING, G_TYPE_STRING);
}

static void
hc_publisher_init (HcPublisher *self)
{
  self->context = g_main_context_ref_thread_default ();
  self->router = keyframe_router_new (self->context);
  self->camera_enabled = TRUE;
  self->max_kbps = 1500;
  g_mutex_init (&self->swap_lock);
}

HcPublisher *
hc_publisher_new (HcCaptureProfile  profile,
                  HcVideoCodec      codec,
                  gboolean          simulcast,
                  HcVideoPaintable *preview)
{
  return g_object_new (HC_TYPE_PUBLISHER,
                       "profile", profile,
                       "codec", codec,
                       "simulcast", simulcast,
                       "preview", preview,
                       NULL);
}

HcMediaState
hc_publisher_get_state (HcPublisher *self)
{
  g_return_val_if_fail (HC_IS_PUBLISHER (self), HC_MEDIA_STATE_FAILED);
  return self->state;
}

const GError *
hc_publisher_get_error (HcPublisher *self)
{
  g_return_val_if_fail (HC_IS_PUBLISHER (self), NULL);
  return self->error;
}

guint
hc_publisher_get_n_layers (HcPublisher *self)
{
  g_return_val_if_fail (HC_IS_PUBLISHER (self), 0);
  return self->spec.n_layers;
}

void
hc_publisher_start_async (HcPublisher         *self,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GError) error = NULL;

  g_return_if_fail (HC_IS_PUBLISHER (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, hc_publisher_start_async);
  if (self->state != HC_MEDIA_STATE_NEW)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_BUSY, "Already started");
      return;
    }
  self->start_task = g_steal_pointer (&task);
  set_state (self, HC_MEDIA_STATE_STARTING);
  if (!build_pipeline (self, &error))
    {
      fail (self, g_steal_pointer (&error));
      return;
    }
  hc_element_set_state_async (self->pipeline, GST_STATE_PLAYING, NULL, on_pipeline_playing,
                              g_object_ref (self));
}

char *
hc_publisher_start_finish (HcPublisher   *self,
                           GAsyncResult  *result,
                           GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

gboolean
hc_publisher_set_remote_answer (HcPublisher  *self,
                                const char   *sdp,
                                GError      **error)
{
  g_autoptr(GstSDPMessage) message = NULL;
  g_autoptr(GstWebRTCSessionDescription) answer = NULL;
  GstPromise *promise;

  g_return_val_if_fail (HC_IS_PUBLISHER (self), FALSE);
  g_return_val_if_fail (sdp != NULL, FALSE);

  if (self->webrtc == NULL || self->state != HC_MEDIA_STATE_NEGOTIATING)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "No offer is waiting for an answer");
      return FALSE;
    }
  if (gst_sdp_message_new_from_text (sdp, &message) != GST_SDP_OK)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "The answer is not valid SDP");
      return FALSE;
    }
  g_debug ("Answer:\n%s", sdp);
  answer = gst_webrtc_session_description_new (GST_WEBRTC_SDP_TYPE_ANSWER,
                                                g_steal_pointer (&message));
  set_state (self, HC_MEDIA_STATE_CONNECTING);
  promise = hc_promise_new_in_context (self->context, G_OBJECT (self),
                                       on_remote_description_set);
  g_signal_emit_by_name (self->webrtc, "set-remote-description", answer, promise);
  gst_promise_unref (promise);
  return TRUE;
}

void
hc_publisher_add_ice_candidate (HcPublisher *self,
                                guint        mline,
                                const char  *candidate)
{
  g_return_if_fail (HC_IS_PUBLISHER (self));

  if (self->webrtc != NULL && candidate != NULL && *candidate != '\0')
    g_signal_emit_by_name (self->webrtc, "add-ice-candidate", mline, candidate);
}

static void
on_torn_down (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;

  g_task_return_boolean (task, g_task_propagate_boolean (G_TASK (result), NULL));
}

void
hc_publisher_stop_async (HcPublisher         *self,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GTask) thread_task = NULL;
  Teardown *teardown;

  g_return_if_fail (HC_IS_PUBLISHER (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, hc_publisher_stop_async);
  if (self->start_task != NULL)
    {
      g_autoptr(GTask) start_task = g_steal_pointer (&self->start_task);

      g_task_return_new_error (start_task, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                               "Publishing was stopped");
    }
  set_state (self, HC_MEDIA_STATE_STOPPED);
  disconnect_pipeline (self);
  if (self->pipeline == NULL)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }

  teardown = g_new0 (Teardown, 1);
  /* A device switch in a worker thread uses self->pipeline while it holds the
   * lock: it finishes first (CI once saw gst_bin_remove given NULL). */
  g_mutex_lock (&self->swap_lock);
  teardown->pipeline = g_steal_pointer (&self->pipeline);
  teardown->webrtc = g_steal_pointer (&self->webrtc);
  g_mutex_unlock (&self->swap_lock);
  thread_task = g_task_new (self, NULL, on_torn_down, g_steal_pointer (&task));
  g_task_set_source_tag (thread_task, teardown_in_thread);
  g_task_set_task_data (thread_task, teardown, teardown_free);
  g_task_run_in_thread (thread_task, teardown_in_thread);
}

gboolean
hc_publisher_stop_finish (HcPublisher   *self,
                          GAsyncResult  *result,
                          GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

void
hc_publisher_set_microphone_muted (HcPublisher *self,
                                   gboolean     muted)
{
  g_return_if_fail (HC_IS_PUBLISHER (self));

  muted = !!muted;
  if (self->microphone_muted == muted)
    return;
  self->microphone_muted = muted;
  /* Silence keeps flowing (and says so in the audio level), so Janus sees the speaker
   * stop talking and the transport stays warm. */
  if (self->volume != NULL)
    g_object_set (self->volume, "mute", muted, NULL);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MICROPHONE_MUTED]);
}

void
hc_publisher_set_camera_enabled (HcPublisher *self,
                                 gboolean     enabled)
{
  g_return_if_fail (HC_IS_PUBLISHER (self));

  enabled = !!enabled;
  if (self->camera_enabled == enabled)
    return;
  self->camera_enabled = enabled;
  if (self->valve != NULL)
    {
      g_object_set (self->valve, "drop", !enabled, NULL);
      if (enabled)
        hc_publisher_request_keyframes (self);
    }
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CAMERA_ENABLED]);
}

void
hc_publisher_set_max_video_bitrate (HcPublisher *self,
                                    guint        kbps)
{
  g_return_if_fail (HC_IS_PUBLISHER (self));

  if (self->max_kbps == kbps)
    return;
  self->max_kbps = kbps;
  if (self->spec.n_layers > 0)
    {
      hc_capture_spec_set_bitrate (&self->spec, kbps);
      g_mutex_lock (&self->router->lock);
      for (guint i = 0; i < self->router->n_layers; i++)
        {
          GstElement *encoder = self->router->encoders[i];

          if (encoder == NULL)
            continue;
          GstElementFactory *factory = gst_element_get_factory (encoder);
          const char *name = gst_plugin_feature_get_name (GST_PLUGIN_FEATURE (factory));
          guint kbps_layer = self->spec.layer_kbps[i];

          /* Three encoders, three units: vp8enc and openh264enc take bit/s, x264enc kbit/s. */
          if (g_strcmp0 (name, "vp8enc") == 0)
            g_object_set (encoder, "target-bitrate", (int) (kbps_layer * 1000), NULL);
          else if (g_strcmp0 (name, "openh264enc") == 0)
            g_object_set (encoder, "bitrate", kbps_layer * 1000, NULL);
          else
            g_object_set (encoder, "bitrate", kbps_layer, NULL);
        }
      g_mutex_unlock (&self->router->lock);
    }
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MAX_VIDEO_BITRATE]);
}

void
hc_publisher_set_camera_device (HcPublisher *self,
                                const char  *device)
{
  g_return_if_fail (HC_IS_PUBLISHER (self));

  if (g_strcmp0 (self->camera_device, device) == 0)
    return;
  g_free (self->camera_device);
  self->camera_device = g_strdup (device);
  if (!self->spec.test_pattern)
    swap_source (self, TRUE, device);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CAMERA_DEVICE]);
}

void
hc_publisher_set_microphone_device (HcPublisher *self,
                                    const char  *device)
{
  g_return_if_fail (HC_IS_PUBLISHER (self));

  if (g_strcmp0 (self->microphone_device, device) == 0)
    return;
  g_free (self->microphone_device);
  self->microphone_device = g_strdup (device);
  if (!self->spec.test_pattern)
    swap_source (self, FALSE, device);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MICROPHONE_DEVICE]);
}

void
hc_publisher_request_keyframes (HcPublisher *self)
{
  g_return_if_fail (HC_IS_PUBLISHER (self));

  for (guint i = 0; i < self->router->n_layers; i++)
    keyframe_router_force (self->router, i, FALSE);
}

guint
hc_publisher_get_keyframes_routed (HcPublisher *self,
                                   guint        layer)
{
  guint routed = 0;

  g_return_val_if_fail (HC_IS_PUBLISHER (self), 0);

  g_mutex_lock (&self->router->lock);
  if (layer < self->router->n_layers)
    routed = self->router->routed[layer];
  g_mutex_unlock (&self->router->lock);
  return routed;
}

static gboolean
log_stat (GQuark        field,
          const GValue *value,
          gpointer      user_data)
{
  const GstStructure *stat;
  g_autofree char *text = NULL;

  if (!GST_VALUE_HOLDS_STRUCTURE (value))
    return TRUE;
  stat = gst_value_get_structure (value);
  if (!gst_structure_has_name (stat, "outbound-rtp") &&
      !gst_structure_has_name (stat, "remote-inbound-rtp"))
    return TRUE;
  text = gst_structure_to_string (stat);
  g_message ("publisher: %s", text);
  return TRUE;
}

static void
on_stats (GObject    *object,
          GstPromise *promise)
{
  const GstStructure *reply = NULL;

  if (hc_promise_get_reply (promise, &reply, NULL) && reply != NULL)
    gst_structure_foreach (reply, log_stat, NULL);
}

void
hc_publisher_log_stats (HcPublisher *self)
{
  GstPromise *promise;

  g_return_if_fail (HC_IS_PUBLISHER (self));

  if (self->webrtc == NULL)
    return;
  for (guint i = 0; i < self->router->n_layers; i++)
    g_message ("publisher: layer %u: %u keyframe requests routed", i,
               hc_publisher_get_keyframes_routed (self, i));
  promise = hc_promise_new_in_context (self->context, G_OBJECT (self), on_stats);
  g_signal_emit_by_name (self->webrtc, "get-stats", NULL, promise);
  gst_promise_unref (promise);
}

GstElement *
hc_publisher_get_webrtcbin (HcPublisher *self)
{
  g_return_val_if_fail (HC_IS_PUBLISHER (self), NULL);
  return self->webrtc;
}

guint
hc_publisher_get_video_target_bps (HcPublisher *self)
{
  guint total = 0;

  g_return_val_if_fail (HC_IS_PUBLISHER (self), 0);

  if (!self->camera_enabled)
    return 0;
  for (guint i = 0; i < self->spec.n_layers; i++)
    total += self->spec.layer_kbps[i] * 1000;
  return total;
}

gboolean
hc_publisher_get_layer_size (HcPublisher *self,
                             guint        layer,
                             int         *width,
                             int         *height,
                             int         *fps)
{
  g_return_val_if_fail (HC_IS_PUBLISHER (self), FALSE);

  if (layer >= self->spec.n_layers)
    return FALSE;
  *width = self->spec.layer_width[layer];
  *height = self->spec.layer_height[layer];
  *fps = self->spec.fps;
  return TRUE;
}

int
hc_publisher_get_layer_for_ssrc (HcPublisher *self,
                                 guint32      ssrc)
{
  g_return_val_if_fail (HC_IS_PUBLISHER (self), -1);

  for (guint i = 0; self->router != NULL && i < self->router->n_layers; i++)
    if (self->router->ssrcs[i] == ssrc)
      return (int) i;
  return -1;
}
