/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "HcSubscriber"

#include "config.h"

#include "hc-sdp-util.h"
#include "hc-subscriber.h"
#include "hc-webrtc-util.h"

#include <gst/app/app.h>
#include <gst/sdp/sdp.h>
#include <gst/video/video.h>
#include <string.h>

/*
 * webrtcbin (recvonly, from Janus's offer) ─┬─ rtpvp8depay ─ vp8dec ─ videoconvert ─ BGRA appsink → paintable
 *                                            └─ rtpopusdepay ─ opusdec ─ audioconvert ─ audio sink
 *
 * The decoding branches are added when webrtcbin exposes its pads, from its
 * streaming thread; decoded frames reach the main context through the paintable.
 */

/* Without a picture for this long (and not paused), ask for a keyframe again. */
#define STALL_TIMEOUT_MS 1000
#define WATCHDOG_INTERVAL_MS 250

/* Before the first picture, ask sooner. Janus asks the publisher for a keyframe when our
 * connection comes up, but at most once a second per publisher (it sends a request
 * that came too soon once the second is over), and the layer it settles on may need
 * another one. */
#define FIRST_FRAME_TIMEOUT_MS 250
/* … for this long after connecting; a publisher with its camera off sends no picture
 * at all, and is asked at the usual pace after that. */
#define FIRST_FRAME_WINDOW_MS 2000

/* A jitter buffer holds its very first packet for its whole latency (in case an earlier
 * one arrives late); after this many packets in sequence it starts at once instead. A
 * keyframe is a burst of packets, so the first picture no longer waits the 100 ms. */
#define FASTSTART_PACKETS 3

/* The jitter buffers' depth. Janus sits on the local network of a clinic or a data
 * centre nearby; a smaller buffer makes layer switches and speech feel immediate. */
#define JITTER_LATENCY_MS 100

enum {
  PROP_0,
  PROP_STATE,
  PROP_PARTICIPANT_SID,
  PROP_PAINTABLE,
  PROP_PLAY_AUDIO,
  PROP_SPEAKER_DEVICE,
  N_PROPS
};

enum {
  SIGNAL_ICE_CANDIDATE,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

struct _HcSubscriber
{
  GObject           parent_instance;

  char             *participant_sid;
  HcVideoPaintable *paintable;
  gboolean          play_audio;
  char             *speaker_device;

  HcMediaState      state;
  GError           *error;
  GMainContext     *context;

  GstElement       *pipeline;
  GstElement       *webrtc;
  guint             bus_watch_id;

  GTask            *offer_task;
  GstWebRTCSessionDescription *offer;
  char             *local_sdp;

  /* Keyframe watchdog */
  guint             video_ssrc;
  guint             video_pt;
  gboolean          paused;
  guint             watchdog_id;
  guint64           last_frame_count;
  gint64            last_progress;
  gint64            last_request;
  gint64            connected_at;
  guint             keyframe_requests;
};

G_DEFINE_FINAL_TYPE (HcSubscriber, hc_subscriber, G_TYPE_OBJECT)

static void
set_state (HcSubscriber *self,
           HcMediaState  state)
{
  if (self->state == state)
    return;
  g_debug ("Subscription to %s: %s → %s", self->participant_sid,
           hc_enum_to_nick (HC_TYPE_MEDIA_STATE, self->state),
           hc_enum_to_nick (HC_TYPE_MEDIA_STATE, state));
  self->state = state;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
}

static void
fail (HcSubscriber *self,
      GError       *error)
{
  g_autoptr(GTask) task = g_steal_pointer (&self->offer_task);

  g_message ("Receiving %s failed: %s", self->participant_sid, error->message);
  if (self->error == NULL)
    self->error = g_error_copy (error);
  if (self->state != HC_MEDIA_STATE_STOPPED)
    set_state (self, HC_MEDIA_STATE_FAILED);
  if (task != NULL)
    g_task_return_error (task, error);
  else
    g_error_free (error);
}

/* Decoding branches (webrtcbin's streaming thread) */

static GstFlowReturn
on_video_sample (GstAppSink *sink,
                 gpointer    user_data)
{
  HcVideoPaintable *paintable = user_data;
  g_autoptr(GstSample) sample = gst_app_sink_pull_sample (sink);

  if (sample != NULL)
    hc_video_paintable_push_sample (paintable, sample);
  return GST_FLOW_OK;
}

static GstElement *
make_speaker (HcSubscriber *self)
{
  GstElement *sink = NULL;

  if (!self->play_audio)
    {
      sink = gst_element_factory_make ("fakesink", NULL);
      g_object_set (sink, "sync", FALSE, NULL);
      return sink;
    }
  if (self->speaker_device != NULL && *self->speaker_device != '\0')
    {
      g_autoptr(GstDeviceMonitor) monitor = gst_device_monitor_new ();
      GList *devices;

      gst_device_monitor_add_filter (monitor, "Audio/Sink", NULL);
      if (gst_device_monitor_start (monitor))
        {
          devices = gst_device_monitor_get_devices (monitor);
          for (GList *l = devices; l != NULL && sink == NULL; l = l->next)
            {
              g_autofree char *name = gst_device_get_display_name (l->data);

              if (g_strcmp0 (name, self->speaker_device) == 0)
                sink = gst_device_create_element (l->data, NULL);
            }
          g_list_free_full (devices, gst_object_unref);
          gst_device_monitor_stop (monitor);
        }
    }
  if (sink == NULL)
    sink = gst_element_factory_make ("autoaudiosink", NULL);
  return sink;
}

static GstElement *
make_branch (HcSubscriber  *self,
             GstCaps       *caps,
             GError       **error)
{
  GstStructure *s = gst_caps_get_structure (caps, 0);
  const char *media = gst_structure_get_string (s, "media");
  const char *encoding = gst_structure_get_string (s, "encoding-name");
  g_autofree char *description = NULL;
  GstElement *bin;

  if (g_strcmp0 (media, "video") == 0 && g_ascii_strcasecmp (encoding, "VP8") == 0)
    description = g_strdup ("rtpvp8depay request-keyframe=true wait-for-keyframe=true ! "
                            "vp8dec ! videoconvert ! video/x-raw,format=BGRA ! "
                            "appsink name=video-sink sync=false max-buffers=1 drop=true "
                            "enable-last-sample=false");
  else if (g_strcmp0 (media, "video") == 0 && g_ascii_strcasecmp (encoding, "H264") == 0)
    description = g_strdup_printf ("rtph264depay request-keyframe=true wait-for-keyframe=true ! "
                                   "h264parse ! %s ! videoconvert ! video/x-raw,format=BGRA ! "
                                   "appsink name=video-sink sync=false max-buffers=1 drop=true "
                                   "enable-last-sample=false",
                                   hc_have_element ("avdec_h264") ? "avdec_h264" : "openh264dec");
  else if (g_strcmp0 (media, "audio") == 0 && g_ascii_strcasecmp (encoding, "OPUS") == 0)
    description = g_strdup ("rtpopusdepay ! opusdec plc=true ! audioconvert ! audioresample");
  else
    description = g_strdup ("fakesink sync=false");

  bin = gst_parse_bin_from_description (description, TRUE, error);
  if (bin == NULL)
    return NULL;

  if (g_strcmp0 (media, "video") == 0)
    {
      g_autoptr(GstElement) sink = gst_bin_get_by_name (GST_BIN (bin), "video-sink");
      GstAppSinkCallbacks callbacks = { .new_sample = on_video_sample };

      if (sink != NULL)
        gst_app_sink_set_callbacks (GST_APP_SINK (sink), &callbacks,
                                    g_object_ref (self->paintable), g_object_unref);
    }
  else if (g_strcmp0 (media, "audio") == 0 && g_ascii_strcasecmp (encoding, "OPUS") == 0)
    {
      GstElement *speaker = make_speaker (self);
      g_autoptr(GstElement) last = NULL;
      g_autoptr(GstPad) ghost_src = gst_element_get_static_pad (bin, "src");
      g_autoptr(GstPad) inner_src = NULL;

      /* Append the speaker inside the bin, in place of its source ghost pad. */
      if (ghost_src != NULL)
        {
          inner_src = gst_ghost_pad_get_target (GST_GHOST_PAD (ghost_src));
          gst_element_remove_pad (bin, ghost_src);
        }
      if (speaker == NULL || inner_src == NULL)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "No audio output");
          if (speaker != NULL)
            gst_object_unref (gst_object_ref_sink (speaker));
          gst_object_unref (gst_object_ref_sink (bin));
          return NULL;
        }
      gst_bin_add (GST_BIN (bin), speaker);
      last = gst_pad_get_parent_element (inner_src);
      gst_element_link (last, speaker);
    }
  return bin;
}

/* rtpvp8depay and rtph264depay ask for keyframes with all-headers set, which webrtcbin's
 * RTP session turns into a FIR; Janus cannot tell which stream a FIR is about (its SSRC
 * sits in the FCI, not the header) and drops it. The same request without all-headers
 * goes out as a PLI, which Janus forwards to the publisher. */
static GstPadProbeReturn
on_upstream_event (GstPad          *pad,
                   GstPadProbeInfo *info,
                   gpointer         user_data)
{
  GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);
  gboolean all_headers = FALSE;
  guint count = 0;

  if (!gst_video_event_is_force_key_unit (event) ||
      !gst_video_event_parse_upstream_force_key_unit (event, NULL, &all_headers, &count) ||
      !all_headers)
    return GST_PAD_PROBE_OK;
  gst_event_unref (event);
  GST_PAD_PROBE_INFO_DATA (info) =
    gst_video_event_new_upstream_force_key_unit (GST_CLOCK_TIME_NONE, FALSE, count);
  return GST_PAD_PROBE_OK;
}

static void
on_pad_added (GstElement *webrtc,
              GstPad     *pad,
              gpointer    user_data)
{
  HcSubscriber *self = user_data;
  g_autoptr(GstCaps) caps = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GstPad) sink = NULL;
  g_autoptr(GstElement) pipeline = NULL;
  GstElement *bin;

  if (GST_PAD_DIRECTION (pad) != GST_PAD_SRC)
    return;
  caps = gst_pad_get_current_caps (pad);
  if (caps == NULL)
    caps = gst_pad_query_caps (pad, NULL);
  if (caps == NULL || gst_caps_is_empty (caps) || gst_caps_is_any (caps))
    return;

  bin = make_branch (self, caps, &error);
  if (bin == NULL)
    {
      g_message ("Cannot decode %" GST_PTR_FORMAT ": %s", caps, error->message);
      return;
    }
  pipeline = GST_ELEMENT (gst_element_get_parent (webrtc));
  if (pipeline == NULL)
    {
      gst_object_unref (gst_object_ref_sink (bin));
      return;
    }
  gst_bin_add (GST_BIN (pipeline), bin);
  sink = gst_element_get_static_pad (bin, "sink");
  gst_pad_add_probe (sink, GST_PAD_PROBE_TYPE_EVENT_UPSTREAM, on_upstream_event, NULL, NULL);
  if (gst_pad_link (pad, sink) != GST_PAD_LINK_OK)
    g_message ("Could not link a decoding branch for %s", self->participant_sid);
  gst_element_sync_state_with_parent (bin);
}

static void
on_new_jitterbuffer (GstElement *rtpbin,
                     GstElement *jitterbuffer,
                     guint       session,
                     guint       ssrc,
                     gpointer    user_data)
{
  if (g_object_class_find_property (G_OBJECT_GET_CLASS (jitterbuffer),
                                    "faststart-min-packets") != NULL)
    g_object_set (jitterbuffer, "faststart-min-packets", FASTSTART_PACKETS, NULL);
}

static void
on_new_transceiver (GstElement              *webrtc,
                    GstWebRTCRTPTransceiver *transceiver,
                    gpointer                 user_data)
{
  /* Ask Janus to retransmit what the network lost (it keeps a buffer for that). */
  g_object_set (transceiver, "do-nack", TRUE, NULL);
}

/* ICE */

typedef struct
{
  HcSubscriber *self;
  guint         mline;
  char         *candidate;
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
  HcSubscriber *self = candidate->self;
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
queue_candidate (HcSubscriber *self,
                 guint         mline,
                 const char   *candidate)
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
  queue_candidate (HC_SUBSCRIBER (user_data), mline, candidate);
}

static void
on_ice_gathering_state (GObject    *webrtc,
                        GParamSpec *pspec,
                        gpointer    user_data)
{
  GstWebRTCICEGatheringState state;

  g_object_get (webrtc, "ice-gathering-state", &state, NULL);
  if (state == GST_WEBRTC_ICE_GATHERING_STATE_COMPLETE)
    queue_candidate (HC_SUBSCRIBER (user_data), 0, NULL);
}

static void request_keyframe (HcSubscriber *self,
                              const char   *why);

static gboolean
update_connection_state (gpointer user_data)
{
  HcSubscriber *self = user_data;
  GstWebRTCPeerConnectionState state;

  if (self->webrtc == NULL || self->state == HC_MEDIA_STATE_STOPPED ||
      self->state == HC_MEDIA_STATE_FAILED)
    return G_SOURCE_REMOVE;
  g_object_get (self->webrtc, "connection-state", &state, NULL);
  if (state == GST_WEBRTC_PEER_CONNECTION_STATE_CONNECTED &&
      self->state != HC_MEDIA_STATE_CONNECTED)
    {
      self->connected_at = g_get_monotonic_time ();
      set_state (self, HC_MEDIA_STATE_CONNECTED);
      /* Ask for the first keyframe at once rather than wait for the publisher's next
       * one. Until the first video packet the RTP session does not know the sender
       * and drops the request; the watchdog then asks again shortly. */
      if (hc_video_paintable_get_frame_count (self->paintable) == 0 && !self->paused)
        {
          self->last_request = self->connected_at;
          request_keyframe (self, "Connected");
        }
    }
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
  HcSubscriber *self = user_data;

  g_main_context_invoke_full (self->context, G_PRIORITY_DEFAULT, update_connection_state,
                              g_object_ref (self), g_object_unref);
}

static gboolean
on_bus_message (GstBus     *bus,
                GstMessage *message,
                gpointer    user_data)
{
  HcSubscriber *self = user_data;
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

/* Keyframe watchdog
 *
 * After a lost packet rtpvp8depay drops frames until the next keyframe and asks for one
 * upstream, but with webrtcbin 1.22 that request asks for a FIR that never leaves in
 * the RTCP (only the NACK does): the picture froze until the publisher's periodic
 * keyframe. So a picture that stops moving is noticed here, and a PLI is requested
 * from the RTP session directly; Janus forwards it to the publisher, whose encoder
 * answers within a frame or two. */

static GstElement *
find_rtp_session_element (GstElement *webrtc)
{
  g_autoptr(GstElement) rtpbin = gst_bin_get_by_name (GST_BIN (webrtc), "rtpbin");
  g_autoptr(GstIterator) children = NULL;
  GValue item = G_VALUE_INIT;
  GstElement *found = NULL;

  if (rtpbin == NULL)
    return NULL;
  children = gst_bin_iterate_elements (GST_BIN (rtpbin));
  while (found == NULL && gst_iterator_next (children, &item) == GST_ITERATOR_OK)
    {
      GstElement *element = g_value_get_object (&item);
      GstElementFactory *factory = gst_element_get_factory (element);

      if (factory != NULL &&
          g_strcmp0 (gst_plugin_feature_get_name (GST_PLUGIN_FEATURE (factory)), "rtpsession") == 0)
        found = gst_object_ref (element);
      g_value_reset (&item);
    }
  g_value_unset (&item);
  return found;
}

static void
request_keyframe (HcSubscriber *self,
                  const char   *why)
{
  g_autoptr(GstElement) session = NULL;
  g_autoptr(GstPad) pad = NULL;
  GstEvent *event;

  if (self->webrtc == NULL || self->video_ssrc == 0 ||
      (session = find_rtp_session_element (self->webrtc)) == NULL ||
      (pad = gst_element_get_static_pad (session, "recv_rtp_src")) == NULL)
    return;
  /* all-headers FALSE: a PLI, which every sender honours. */
  event = gst_event_new_custom (GST_EVENT_CUSTOM_UPSTREAM,
                                gst_structure_new ("GstForceKeyUnit",
                                                   "all-headers", G_TYPE_BOOLEAN, FALSE,
                                                   "ssrc", G_TYPE_UINT, self->video_ssrc,
                                                   "payload", G_TYPE_UINT, self->video_pt,
                                                   NULL));
  self->keyframe_requests++;
  g_debug ("%s: asking %s for a keyframe", why, self->participant_sid);
  gst_pad_send_event (pad, event);
}

static gboolean
on_watchdog (gpointer user_data)
{
  HcSubscriber *self = user_data;
  guint64 frames = hc_video_paintable_get_frame_count (self->paintable);
  gint64 now = g_get_monotonic_time ();
  gint64 timeout = STALL_TIMEOUT_MS * G_TIME_SPAN_MILLISECOND;

  if (frames == 0 && now - self->connected_at < FIRST_FRAME_WINDOW_MS * G_TIME_SPAN_MILLISECOND)
    timeout = FIRST_FRAME_TIMEOUT_MS * G_TIME_SPAN_MILLISECOND;
  if (frames != self->last_frame_count || self->paused ||
      self->state != HC_MEDIA_STATE_CONNECTED)
    {
      self->last_frame_count = frames;
      self->last_progress = now;
      return G_SOURCE_CONTINUE;
    }
  if (now - self->last_progress >= timeout && now - self->last_request >= timeout)
    {
      self->last_request = now;
      request_keyframe (self, frames == 0 ? "No picture yet" : "No picture for a while");
    }
  return G_SOURCE_CONTINUE;
}

/* The SSRC and payload type Janus sends video with, from its offer. */
static void
find_video_ssrc (HcSubscriber  *self,
                 GstSDPMessage *offer)
{
  for (guint i = 0; i < gst_sdp_message_medias_len (offer); i++)
    {
      const GstSDPMedia *media = gst_sdp_message_get_media (offer, i);
      const char *ssrc;

      if (g_strcmp0 (gst_sdp_media_get_media (media), "video") != 0)
        continue;
      if (gst_sdp_media_formats_len (media) > 0)
        self->video_pt = (guint) g_ascii_strtoull (gst_sdp_media_get_format (media, 0), NULL, 10);
      ssrc = gst_sdp_media_get_attribute_val (media, "ssrc");
      if (ssrc != NULL)
        self->video_ssrc = (guint) g_ascii_strtoull (ssrc, NULL, 10);
      return;
    }
}

/* Offer → answer */

/* Janus offers a=setup:actpass and webrtcbin answers active, which makes us the DTLS
 * client: our ClientHello goes out as soon as our side of ICE is up, and it often
 * reached Janus before Janus's side was (Janus makes a component's DTLS stack only
 * then, and drops what comes earlier), so the handshake waited for OpenSSL's first
 * retransmission, 1 s later (seen with GST_DEBUG=dtlsconnection:6 in ~1 join of 10:
 * the ICE + DTLS tail of bench/README.md). Answering passive makes Janus the client: it
 * sends its ClientHello once its own ICE is up, to a DTLS server listening since our
 * answer was set. webrtcbin takes its role from its local description. */
static void
answer_as_dtls_server (GstSDPMessage       *answer,
                       const GstSDPMessage *offer)
{
  for (guint i = 0; i < gst_sdp_message_medias_len (answer) &&
                    i < gst_sdp_message_medias_len (offer); i++)
    {
      /* The message owns its media; there is no non-const getter. */
      GstSDPMedia *media = (GstSDPMedia *) gst_sdp_message_get_media (answer, i);
      const GstSDPMedia *offered = gst_sdp_message_get_media (offer, i);

      if (g_strcmp0 (gst_sdp_media_get_attribute_val (offered, "setup"), "actpass") != 0)
        continue;
      for (guint j = 0; j < gst_sdp_media_attributes_len (media); j++)
        {
          const GstSDPAttribute *attribute = gst_sdp_media_get_attribute (media, j);
          GstSDPAttribute passive;

          if (g_strcmp0 (attribute->key, "setup") != 0 ||
              g_strcmp0 (attribute->value, "active") != 0)
            continue;
          gst_sdp_attribute_set (&passive, "setup", "passive");
          gst_sdp_media_replace_attribute (media, j, &passive);
        }
    }
}

static void
on_local_description_set (GObject    *object,
                          GstPromise *promise)
{
  HcSubscriber *self = HC_SUBSCRIBER (object);
  g_autoptr(GError) error = NULL;
  g_autoptr(GTask) task = NULL;

  if (self->offer_task == NULL)
    return;
  if (!hc_promise_get_reply (promise, NULL, &error))
    {
      fail (self, g_steal_pointer (&error));
      return;
    }
  set_state (self, HC_MEDIA_STATE_CONNECTING);
  task = g_steal_pointer (&self->offer_task);
  g_task_return_pointer (task, g_strdup (self->local_sdp), g_free);
  update_connection_state (self);
}

static void
on_answer_created (GObject    *object,
                   GstPromise *promise)
{
  HcSubscriber *self = HC_SUBSCRIBER (object);
  g_autoptr(GError) error = NULL;
  g_autoptr(GstWebRTCSessionDescription) answer = NULL;
  const GstStructure *reply = NULL;
  GstPromise *set_promise;

  if (self->offer_task == NULL || self->webrtc == NULL)
    return;
  if (!hc_promise_get_reply (promise, &reply, &error))
    {
      fail (self, g_steal_pointer (&error));
      return;
    }
  /* Once seen: a NULL answer, which would abort in set-local-description. */
  if (reply != NULL)
    gst_structure_get (reply, "answer", GST_TYPE_WEBRTC_SESSION_DESCRIPTION, &answer, NULL);
  if (answer == NULL || answer->sdp == NULL)
    {
      fail (self, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_FAILED,
                                       "webrtcbin created no answer"));
      return;
    }
  answer_as_dtls_server (answer->sdp, self->offer->sdp);
  g_free (self->local_sdp);
  self->local_sdp = gst_sdp_message_as_text (answer->sdp);
  g_debug ("Answer for %s:\n%s", self->participant_sid, self->local_sdp);
  set_promise = hc_promise_new_in_context (self->context, G_OBJECT (self),
                                           on_local_description_set);
  g_signal_emit_by_name (self->webrtc, "set-local-description", answer, set_promise);
  gst_promise_unref (set_promise);
}

static void
on_remote_description_set (GObject    *object,
                           GstPromise *promise)
{
  HcSubscriber *self = HC_SUBSCRIBER (object);
  g_autoptr(GError) error = NULL;
  GstPromise *answer_promise;

  if (self->offer_task == NULL || self->webrtc == NULL)
    return;
  if (!hc_promise_get_reply (promise, NULL, &error))
    {
      fail (self, g_steal_pointer (&error));
      return;
    }
  answer_promise = hc_promise_new_in_context (self->context, G_OBJECT (self), on_answer_created);
  g_signal_emit_by_name (self->webrtc, "create-answer", NULL, answer_promise);
  gst_promise_unref (answer_promise);
}

static void
on_pipeline_playing (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(HcSubscriber) self = user_data;
  g_autoptr(GError) error = NULL;
  GstPromise *promise;

  if (!hc_element_set_state_finish (GST_ELEMENT (source), result, &error))
    {
      fail (self, g_steal_pointer (&error));
      return;
    }
  if (self->offer_task == NULL || self->webrtc == NULL)
    return;
  set_state (self, HC_MEDIA_STATE_NEGOTIATING);
  promise = hc_promise_new_in_context (self->context, G_OBJECT (self), on_remote_description_set);
  g_signal_emit_by_name (self->webrtc, "set-remote-description", self->offer, promise);
  gst_promise_unref (promise);
}

static gboolean
build_pipeline (HcSubscriber  *self,
                GError       **error)
{
  g_autoptr(GstBus) bus = NULL;
  g_autoptr(GstElement) rtpbin = NULL;
  g_autofree char *name = g_strdup_printf ("subscriber-%s", self->participant_sid);

  self->pipeline = gst_object_ref_sink (gst_pipeline_new (name));
  self->webrtc = hc_make_element ("webrtcbin", "webrtc", error);
  if (self->webrtc == NULL)
    return FALSE;
  gst_object_ref (self->webrtc);
  gst_util_set_object_arg (G_OBJECT (self->webrtc), "bundle-policy", "max-bundle");
  hc_webrtcbin_configure_ice (self->webrtc);
  g_object_set (self->webrtc, "latency", JITTER_LATENCY_MS, NULL);
  gst_bin_add (GST_BIN (self->pipeline), self->webrtc);

  g_signal_connect (self->webrtc, "pad-added", G_CALLBACK (on_pad_added), self);
  g_signal_connect (self->webrtc, "on-new-transceiver", G_CALLBACK (on_new_transceiver), self);
  rtpbin = gst_bin_get_by_name (GST_BIN (self->webrtc), "rtpbin");
  if (rtpbin != NULL)
    g_signal_connect (rtpbin, "new-jitterbuffer", G_CALLBACK (on_new_jitterbuffer), NULL);
  g_signal_connect (self->webrtc, "on-ice-candidate", G_CALLBACK (on_ice_candidate), self);
  g_signal_connect (self->webrtc, "notify::ice-gathering-state",
                    G_CALLBACK (on_ice_gathering_state), self);
  g_signal_connect (self->webrtc, "notify::connection-state", G_CALLBACK (on_connection_state),
                    self);

  bus = gst_pipeline_get_bus (GST_PIPELINE (self->pipeline));
  self->bus_watch_id = gst_bus_add_watch (bus, on_bus_message, self);
  return TRUE;
}

/* Teardown */

static void
disconnect_pipeline (HcSubscriber *self)
{
  g_clear_handle_id (&self->watchdog_id, g_source_remove);
  if (self->webrtc != NULL)
    g_signal_handlers_disconnect_by_data (self->webrtc, self);
  g_clear_handle_id (&self->bus_watch_id, g_source_remove);
}

static void
on_torn_down (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;

  g_task_return_boolean (task, hc_element_set_state_finish (GST_ELEMENT (source), result, NULL));
}

/* GObject */

static void
hc_subscriber_get_property (GObject    *object,
                            guint       prop_id,
                            GValue     *value,
                            GParamSpec *pspec)
{
  HcSubscriber *self = HC_SUBSCRIBER (object);

  switch (prop_id)
    {
    case PROP_STATE:
      g_value_set_enum (value, self->state);
      break;
    case PROP_PARTICIPANT_SID:
      g_value_set_string (value, self->participant_sid);
      break;
    case PROP_PAINTABLE:
      g_value_set_object (value, self->paintable);
      break;
    case PROP_PLAY_AUDIO:
      g_value_set_boolean (value, self->play_audio);
      break;
    case PROP_SPEAKER_DEVICE:
      g_value_set_string (value, self->speaker_device);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
hc_subscriber_set_property (GObject      *object,
                            guint         prop_id,
                            const GValue *value,
                            GParamSpec   *pspec)
{
  HcSubscriber *self = HC_SUBSCRIBER (object);

  switch (prop_id)
    {
    case PROP_PARTICIPANT_SID:
      self->participant_sid = g_value_dup_string (value);
      break;
    case PROP_PAINTABLE:
      self->paintable = g_value_dup_object (value);
      break;
    case PROP_PLAY_AUDIO:
      self->play_audio = g_value_get_boolean (value);
      break;
    case PROP_SPEAKER_DEVICE:
      self->speaker_device = g_value_dup_string (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
hc_subscriber_constructed (GObject *object)
{
  HcSubscriber *self = HC_SUBSCRIBER (object);

  G_OBJECT_CLASS (hc_subscriber_parent_class)->constructed (object);

  if (self->paintable == NULL)
    self->paintable = hc_video_paintable_new ();
}

static void
hc_subscriber_dispose (GObject *object)
{
  HcSubscriber *self = HC_SUBSCRIBER (object);

  disconnect_pipeline (self);
  if (self->pipeline != NULL)
    gst_element_set_state (self->pipeline, GST_STATE_NULL);
  gst_clear_object (&self->webrtc);
  gst_clear_object (&self->pipeline);
  g_clear_object (&self->paintable);

  G_OBJECT_CLASS (hc_subscriber_parent_class)->dispose (object);
}

static void
hc_subscriber_finalize (GObject *object)
{
  HcSubscriber *self = HC_SUBSCRIBER (object);

  g_assert (self->offer_task == NULL);
  g_free (self->participant_sid);
  g_free (self->speaker_device);
  g_free (self->local_sdp);
  g_clear_pointer (&self->offer, gst_webrtc_session_description_free);
  g_clear_error (&self->error);
  g_clear_pointer (&self->context, g_main_context_unref);

  G_OBJECT_CLASS (hc_subscriber_parent_class)->finalize (object);
}

static void
hc_subscriber_class_init (HcSubscriberClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = hc_subscriber_get_property;
  object_class->set_property = hc_subscriber_set_property;
  object_class->constructed = hc_subscriber_constructed;
  object_class->dispose = hc_subscriber_dispose;
  object_class->finalize = hc_subscriber_finalize;

  properties[PROP_STATE] =
    g_param_spec_enum ("state", NULL, NULL, HC_TYPE_MEDIA_STATE, HC_MEDIA_STATE_NEW,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_PARTICIPANT_SID] =
    g_param_spec_string ("participant-sid", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_PAINTABLE] =
    g_param_spec_object ("paintable", NULL, NULL, HC_TYPE_VIDEO_PAINTABLE,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_PLAY_AUDIO] =
    g_param_spec_boolean ("play-audio", NULL, NULL, TRUE,
                          G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_SPEAKER_DEVICE] =
    g_param_spec_string ("speaker-device", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * HcSubscriber::ice-candidate:
   * @mline: the media section's index
   * @mid: (nullable): its a=mid
   * @candidate: (nullable): the candidate line, or %NULL at the end of gathering
   */
  signals[SIGNAL_ICE_CANDIDATE] =
    g_signal_new ("ice-candidate", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 3, G_TYPE_UINT, G_TYPE_STRING, G_TYPE_STRING);
}

static void
hc_subscriber_init (HcSubscriber *self)
{
  self->context = g_main_context_ref_thread_default ();
  self->play_audio = TRUE;
}

HcSubscriber *
hc_subscriber_new (const char       *participant_sid,
                   HcVideoPaintable *paintable,
                   gboolean          play_audio,
                   const char       *speaker_device)
{
  g_return_val_if_fail (participant_sid != NULL, NULL);

  return g_object_new (HC_TYPE_SUBSCRIBER,
                       "participant-sid", participant_sid,
                       "paintable", paintable,
                       "play-audio", play_audio,
                       "speaker-device", speaker_device,
                       NULL);
}

const char *
hc_subscriber_get_participant_sid (HcSubscriber *self)
{
  g_return_val_if_fail (HC_IS_SUBSCRIBER (self), NULL);
  return self->participant_sid;
}

HcMediaState
hc_subscriber_get_state (HcSubscriber *self)
{
  g_return_val_if_fail (HC_IS_SUBSCRIBER (self), HC_MEDIA_STATE_FAILED);
  return self->state;
}

const GError *
hc_subscriber_get_error (HcSubscriber *self)
{
  g_return_val_if_fail (HC_IS_SUBSCRIBER (self), NULL);
  return self->error;
}

void
hc_subscriber_accept_offer_async (HcSubscriber        *self,
                                  const char          *offer,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GstSDPMessage) message = NULL;

  g_return_if_fail (HC_IS_SUBSCRIBER (self));
  g_return_if_fail (offer != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, hc_subscriber_accept_offer_async);
  if (self->state != HC_MEDIA_STATE_NEW)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_BUSY, "Already negotiated");
      return;
    }
  if (gst_sdp_message_new_from_text (offer, &message) != GST_SDP_OK)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                               "The server's offer is not valid SDP");
      return;
    }
  g_debug ("Offer for %s:\n%s", self->participant_sid, offer);
  find_video_ssrc (self, message);
  self->offer = gst_webrtc_session_description_new (GST_WEBRTC_SDP_TYPE_OFFER,
                                                    g_steal_pointer (&message));
  self->offer_task = g_steal_pointer (&task);
  set_state (self, HC_MEDIA_STATE_STARTING);
  if (!build_pipeline (self, &error))
    {
      fail (self, g_steal_pointer (&error));
      return;
    }
  hc_element_set_state_async (self->pipeline, GST_STATE_PLAYING, NULL, on_pipeline_playing,
                              g_object_ref (self));
  self->last_progress = g_get_monotonic_time ();
  self->watchdog_id = g_timeout_add (WATCHDOG_INTERVAL_MS, on_watchdog, self);
}

char *
hc_subscriber_accept_offer_finish (HcSubscriber  *self,
                                   GAsyncResult  *result,
                                   GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

void
hc_subscriber_add_ice_candidate (HcSubscriber *self,
                                 guint         mline,
                                 const char   *candidate)
{
  g_return_if_fail (HC_IS_SUBSCRIBER (self));

  if (self->webrtc != NULL && candidate != NULL && *candidate != '\0')
    g_signal_emit_by_name (self->webrtc, "add-ice-candidate", mline, candidate);
}

void
hc_subscriber_stop_async (HcSubscriber        *self,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GstElement) pipeline = NULL;

  g_return_if_fail (HC_IS_SUBSCRIBER (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, hc_subscriber_stop_async);
  if (self->offer_task != NULL)
    {
      g_autoptr(GTask) offer_task = g_steal_pointer (&self->offer_task);

      g_task_return_new_error (offer_task, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                               "The subscription was stopped");
    }
  set_state (self, HC_MEDIA_STATE_STOPPED);
  disconnect_pipeline (self);
  gst_clear_object (&self->webrtc);
  pipeline = g_steal_pointer (&self->pipeline);
  if (pipeline == NULL)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }
  hc_element_set_state_async (pipeline, GST_STATE_NULL, NULL, on_torn_down,
                              g_steal_pointer (&task));
}

gboolean
hc_subscriber_stop_finish (HcSubscriber  *self,
                           GAsyncResult  *result,
                           GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

void
hc_subscriber_set_paused (HcSubscriber *self,
                          gboolean      paused)
{
  g_return_if_fail (HC_IS_SUBSCRIBER (self));

  self->paused = !!paused;
}

guint
hc_subscriber_get_keyframe_requests (HcSubscriber *self)
{
  g_return_val_if_fail (HC_IS_SUBSCRIBER (self), 0);
  return self->keyframe_requests;
}

static gboolean
log_stat (GQuark        field,
          const GValue *value,
          gpointer      user_data)
{
  HcSubscriber *self = user_data;
  const GstStructure *stat;
  g_autofree char *text = NULL;

  if (!GST_VALUE_HOLDS_STRUCTURE (value))
    return TRUE;
  stat = gst_value_get_structure (value);
  if (!gst_structure_has_name (stat, "inbound-rtp") && !gst_structure_has_name (stat, "transport") &&
      !gst_structure_has_name (stat, "ice-candidate-pair"))
    return TRUE;
  text = gst_structure_to_string (stat);
  g_message ("%s: %s", self->participant_sid, text);
  return TRUE;
}

static void
on_stats (GObject    *object,
          GstPromise *promise)
{
  HcSubscriber *self = HC_SUBSCRIBER (object);
  const GstStructure *reply = NULL;

  if (hc_promise_get_reply (promise, &reply, NULL) && reply != NULL)
    gst_structure_foreach (reply, log_stat, self);
}

void
hc_subscriber_log_stats (HcSubscriber *self)
{
  GstPromise *promise;

  g_return_if_fail (HC_IS_SUBSCRIBER (self));

  if (self->webrtc == NULL)
    return;
  g_message ("%s: %u keyframes asked for", self->participant_sid, self->keyframe_requests);
  promise = hc_promise_new_in_context (self->context, G_OBJECT (self), on_stats);
  g_signal_emit_by_name (self->webrtc, "get-stats", NULL, promise);
  gst_promise_unref (promise);
}

GstElement *
hc_subscriber_get_webrtcbin (HcSubscriber *self)
{
  g_return_val_if_fail (HC_IS_SUBSCRIBER (self), NULL);
  return self->webrtc;
}
