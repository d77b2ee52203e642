/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "HcPhoneMedia"

#include "config.h"

#include "hc-error.h"
#include "hc-phone-media.h"
#include "hc-phone-sdp.h"
#include "hc-signal-session.h"

#include <gst/app/gstappsink.h>
#include <gst/app/gstappsrc.h>
#include <gst/gst.h>
#include <gst/rtp/rtp.h>
#include <string.h>

/*
 * Janus's VideoRoom takes plain RTP from a "remote publisher" (one UDP port
 * per publisher; the SSRC names the stream: 1000 for mindex 0) and sends
 * any publisher's RTP to a host and port (an "RTP forwarder"). Neither needs
 * ICE or DTLS, so the bridge never runs a WebRTC stack: it transcodes.
 */

#define REMOTE_PUBLISHER_SSRC 1000
#define OPUS_PT 111
#define AUDIO_LEVEL_URI "urn:ietf:params:rtp-hdrext:ssrc-audio-level"
#define AUDIO_LEVEL_EXT_ID 1
#define RECONCILE_MS 1000
#define FRAME_BYTES HC_PHONE_FRAME_SAMPLES
#define MAX_PENDING_BYTES (10 * FRAME_BYTES)   /* 200 ms towards the phone, then drop */
#define RECOVER_SECONDS 60                     /* for a restarted media server to come back */

enum {
  SIGNAL_LOST,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

typedef enum
{
  STATE_IDLE,
  STATE_STARTING,
  STATE_PUBLISHED,
  STATE_RECOVERING,     /* the media server went away: publishing again once it is back */
  STATE_STOPPED,
} State;

typedef struct
{
  HcPhoneMedia *self;         /* unowned */
  guint64       feed;
  guint64       stream_id;    /* 0 until Janus answered */
  GSocket      *socket;
  GstElement   *bin;
  GstPad       *mixer_pad;
  gboolean      wanted;
} Forward;

struct _HcPhoneMedia
{
  GObject       parent_instance;

  HcMediaRoom  *room;
  char         *participant_sid;
  char         *label;
  HcPhoneRtp   *rtp;
  guint8        phone_pt;

  State         state;
  guint         generation;       /* bumped on stop: late replies are dropped */
  HcJanus      *janus;
  guint64       janus_room;
  guint64       handle;
  guint64       feed_id;
  gulong        event_id;
  gulong        lost_id;
  gboolean      in_room;
  gint64        recover_until;    /* monotonic */
  gboolean      recover_pending;

  GstElement   *uplink;
  GstElement   *appsrc;
  GstElement   *udpsink;
  GstElement   *downlink;
  GstElement   *mixer;
  guint         uplink_watch;
  guint         downlink_watch;
  GHashTable   *forwards;         /* feed id → Forward */
  guint         reconcile_id;

  GMutex        lock;             /* pending: filled by the appsink's thread */
  GByteArray   *pending;
};

G_DEFINE_FINAL_TYPE (HcPhoneMedia, hc_phone_media, G_TYPE_OBJECT)

static const char * const needed_elements[] = {
  "appsrc", "appsink", "alawdec", "alawenc", "mulawdec", "mulawenc", "audioconvert",
  "audioresample", "level", "opusenc", "opusdec", "rtpopuspay", "rtpopusdepay",
  "rtpjitterbuffer", "udpsrc", "udpsink", "audiomixer", "audiotestsrc", "queue",
  "rtphdrextclientaudiolevel", NULL
};

gboolean
hc_phone_media_check_elements (GError **error)
{
  for (guint i = 0; needed_elements[i] != NULL; i++)
    {
      g_autoptr(GstElementFactory) factory = gst_element_factory_find (needed_elements[i]);

      if (factory == NULL)
        {
          g_set_error (error, HC_ERROR, HC_ERROR_PHONE_UNAVAILABLE,
                       "The GStreamer element %s is missing (gstreamer1.0-plugins-base/good)",
                       needed_elements[i]);
          return FALSE;
        }
    }
  return TRUE;
}

/* Async steps carry the generation they started in. */
typedef struct
{
  HcPhoneMedia *self;
  guint         generation;
  guint64       feed;
} Step;

static Step *
step_new (HcPhoneMedia *self,
          guint64       feed)
{
  Step *step = g_new0 (Step, 1);

  step->self = g_object_ref (self);
  step->generation = self->generation;
  step->feed = feed;
  return step;
}

static void
step_free (Step *step)
{
  g_object_unref (step->self);
  g_free (step);
}

static gboolean
step_stale (Step *step)
{
  return step->generation != step->self->generation || step->self->state == STATE_STOPPED;
}

/* The phone's side, called by HcPhoneRtp on the main thread. */

static gboolean
audio_out (guint8   *frame,
           guint8    payload_type,
           gpointer  user_data)
{
  HcPhoneMedia *self = user_data;
  gboolean have = FALSE;

  g_mutex_lock (&self->lock);
  if (self->pending->len >= FRAME_BYTES)
    {
      memcpy (frame, self->pending->data, FRAME_BYTES);
      g_byte_array_remove_range (self->pending, 0, FRAME_BYTES);
      have = TRUE;
    }
  g_mutex_unlock (&self->lock);
  return have;
}

static void
audio_in (const guint8 *payload,
          gsize         len,
          guint8        payload_type,
          gpointer      user_data)
{
  HcPhoneMedia *self = user_data;
  GstBuffer *buffer;

  if (self->state != STATE_PUBLISHED || payload_type != self->phone_pt || len > 4 * FRAME_BYTES)
    return;
  buffer = gst_buffer_new_memdup (payload, len);
  gst_app_src_push_buffer (GST_APP_SRC (self->appsrc), buffer);
}

static GstFlowReturn
on_new_sample (GstAppSink *sink,
               gpointer    user_data)
{
  HcPhoneMedia *self = user_data;
  g_autoptr(GstSample) sample = gst_app_sink_pull_sample (sink);
  GstBuffer *buffer = sample ? gst_sample_get_buffer (sample) : NULL;
  GstMapInfo map;

  if (buffer == NULL || !gst_buffer_map (buffer, &map, GST_MAP_READ))
    return GST_FLOW_OK;
  g_mutex_lock (&self->lock);
  g_byte_array_append (self->pending, map.data, (guint) map.size);
  /* The phone takes 160 bytes every 20 ms; keep the delay bounded. */
  if (self->pending->len > MAX_PENDING_BYTES)
    g_byte_array_remove_range (self->pending, 0, self->pending->len - MAX_PENDING_BYTES / 2);
  g_mutex_unlock (&self->lock);
  gst_buffer_unmap (buffer, &map);
  return GST_FLOW_OK;
}

static gboolean
on_bus_message (GstBus     *bus,
                GstMessage *message,
                gpointer    user_data)
{
  HcPhoneMedia *self = user_data;

  if (GST_MESSAGE_TYPE (message) == GST_MESSAGE_ERROR)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *debug = NULL;

      gst_message_parse_error (message, &error, &debug);
      g_warning ("Phone audio of %s: %s", self->participant_sid, error->message);
      g_debug ("%s", debug ? debug : "");
    }
  return G_SOURCE_CONTINUE;
}

/* Pipelines */

static gboolean
build_uplink (HcPhoneMedia  *self,
              GError       **error)
{
  const char *g711 = self->phone_pt == HC_RTP_PT_PCMA ? "alaw" : "mulaw";
  g_autofree char *description = NULL;
  g_autoptr(GstElement) pay = NULL;
  g_autoptr(GstElement) level = NULL;
  GstRTPHeaderExtension *extension;

  description = g_strdup_printf (
    "appsrc name=src format=time is-live=true do-timestamp=true "
    "  caps=audio/x-%s,rate=8000,channels=1 "
    "! %sdec ! audioconvert ! audioresample ! audio/x-raw,rate=48000,channels=1 "
    "! level name=level audio-level-meta=true post-messages=false "
    "! opusenc bitrate=32000 frame-size=20 "
    "! rtpopuspay name=pay pt=%d ssrc=%d "
    "! udpsink name=sink sync=false async=false",
    g711, g711, OPUS_PT, REMOTE_PUBLISHER_SSRC);
  self->uplink = gst_parse_launch (description, error);
  if (self->uplink == NULL)
    return FALSE;
  gst_object_ref_sink (self->uplink);
  self->appsrc = gst_bin_get_by_name (GST_BIN (self->uplink), "src");
  self->udpsink = gst_bin_get_by_name (GST_BIN (self->uplink), "sink");
  pay = gst_bin_get_by_name (GST_BIN (self->uplink), "pay");
  /* The audio levels the level element measures go to Janus in the
   * ssrc-audio-level extension: that makes the phone a dominant speaker. */
  extension = gst_rtp_header_extension_create_from_uri (AUDIO_LEVEL_URI);
  if (extension == NULL)
    {
      g_set_error (error, HC_ERROR, HC_ERROR_PHONE_UNAVAILABLE,
                   "The GStreamer RTP audio level extension is missing");
      return FALSE;
    }
  gst_rtp_header_extension_set_id (extension, AUDIO_LEVEL_EXT_ID);
  g_signal_emit_by_name (pay, "add-extension", extension);
  gst_object_unref (extension);
  self->uplink_watch = gst_bus_add_watch (GST_ELEMENT_BUS (self->uplink), on_bus_message, self);
  return TRUE;
}

static gboolean
build_downlink (HcPhoneMedia  *self,
                GError       **error)
{
  const char *g711 = self->phone_pt == HC_RTP_PT_PCMA ? "alaw" : "mulaw";
  g_autofree char *description = NULL;
  g_autoptr(GstElement) sink = NULL;
  GstAppSinkCallbacks callbacks = { .new_sample = on_new_sample };

  /* A silent live source keeps the mixer running while nobody else
   * publishes audio. */
  description = g_strdup_printf (
    "audiotestsrc wave=silence is-live=true samplesperbuffer=960 "
    "! audio/x-raw,format=S16LE,rate=48000,channels=1 "
    "! audiomixer name=mix latency=200000000 "
    "! audioconvert ! audioresample ! audio/x-raw,format=S16LE,rate=8000,channels=1 "
    "! %senc ! appsink name=sink sync=false max-buffers=50 drop=true", g711);
  self->downlink = gst_parse_launch (description, error);
  if (self->downlink == NULL)
    return FALSE;
  gst_object_ref_sink (self->downlink);
  self->mixer = gst_bin_get_by_name (GST_BIN (self->downlink), "mix");
  sink = gst_bin_get_by_name (GST_BIN (self->downlink), "sink");
  gst_app_sink_set_callbacks (GST_APP_SINK (sink), &callbacks, self, NULL);
  self->downlink_watch = gst_bus_add_watch (GST_ELEMENT_BUS (self->downlink), on_bus_message,
                                            self);
  return TRUE;
}

static void on_room_ready (GObject *source, GAsyncResult *result, gpointer user_data);

/* Forwards: one per other publisher in the room. */

static void
forward_remove_branch (Forward *forward)
{
  HcPhoneMedia *self = forward->self;

  if (forward->bin != NULL)
    {
      g_autoptr(GstPad) src = gst_element_get_static_pad (forward->bin, "src");

      gst_element_set_state (forward->bin, GST_STATE_NULL);
      if (forward->mixer_pad != NULL)
        {
          gst_pad_unlink (src, forward->mixer_pad);
          gst_element_release_request_pad (self->mixer, forward->mixer_pad);
        }
      gst_bin_remove (GST_BIN (self->downlink), forward->bin);
      forward->bin = NULL;
    }
  g_clear_object (&forward->mixer_pad);
}

static void
forward_free (Forward *forward)
{
  forward_remove_branch (forward);
  g_clear_object (&forward->socket);
  g_free (forward);
}

static void
send_request (HcPhoneMedia        *self,
              JsonObject          *body,
              GAsyncReadyCallback  callback,
              gpointer             user_data)
{
  json_object_set_int_member (body, "room", (gint64) self->janus_room);
  json_object_set_string_member (body, "admin_key", hc_janus_get_secret (self->janus));
  hc_janus_message_async (self->janus, self->handle, body, NULL, NULL, callback, user_data);
}

static void
on_forward_started (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  Step *step = user_data;
  HcPhoneMedia *self = step->self;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) reply = hc_janus_message_finish (HC_JANUS (source), result, &error);
  JsonArray *forwarders;
  Forward *forward;

  if (step_stale (step) ||
      (forward = g_hash_table_lookup (self->forwards, &step->feed)) == NULL)
    goto out;
  if (reply == NULL)
    {
      /* The publisher may have left meanwhile; the next round decides. */
      g_debug ("No forwarder for a feed of %s: %s", self->participant_sid, error->message);
      g_hash_table_remove (self->forwards, &step->feed);
      goto out;
    }
  forwarders = json_object_get_array_member (reply, "forwarders");
  if (forwarders != NULL && json_array_get_length (forwarders) > 0)
    forward->stream_id = (guint64) json_object_get_int_member_with_default (
      json_array_get_object_element (forwarders, 0), "stream_id", 0);
  g_debug ("Phone %s hears feed %" G_GUINT64_FORMAT " (forwarder %" G_GUINT64_FORMAT ")",
           self->participant_sid, forward->feed, forward->stream_id);
out:
  step_free (step);
}

static gboolean
add_forward (HcPhoneMedia *self,
             guint64       feed,
             const char   *mid)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) any = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(JsonObject) body = json_object_new ();
  g_autoptr(JsonArray) streams = json_array_new ();
  g_autoptr(GstElement) src = NULL;
  g_autoptr(GstCaps) caps = NULL;
  JsonObject *stream;
  Forward *forward = g_new0 (Forward, 1);
  GstPad *ghost;
  guint16 port;

  forward->self = self;
  forward->feed = feed;
  forward->wanted = TRUE;
  forward->socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM,
                                  G_SOCKET_PROTOCOL_UDP, &error);
  if (forward->socket == NULL || !g_socket_bind (forward->socket, any, FALSE, &error) ||
      (bound = g_socket_get_local_address (forward->socket, &error)) == NULL)
    {
      g_warning ("Phone audio: no socket for the room's audio: %s", error->message);
      forward_free (forward);
      return FALSE;
    }
  port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));

  forward->bin = gst_parse_bin_from_description (
    "udpsrc name=src "
    "! rtpjitterbuffer latency=40 ! rtpopusdepay ! opusdec plc=true ! audioconvert "
    "! audioresample ! audio/x-raw,format=S16LE,rate=48000,channels=1 ! queue",
    TRUE, &error);
  if (forward->bin == NULL)
    {
      g_warning ("Phone audio: %s", error->message);
      forward_free (forward);
      return FALSE;
    }
  src = gst_bin_get_by_name (GST_BIN (forward->bin), "src");
  caps = gst_caps_new_simple ("application/x-rtp", "media", G_TYPE_STRING, "audio",
                              "clock-rate", G_TYPE_INT, 48000,
                              "encoding-name", G_TYPE_STRING, "OPUS",
                              "payload", G_TYPE_INT, OPUS_PT, NULL);
  g_object_set (src, "socket", forward->socket, "close-socket", FALSE, "caps", caps, NULL);
  gst_bin_add (GST_BIN (self->downlink), forward->bin);
  forward->mixer_pad = gst_element_request_pad_simple (self->mixer, "sink_%u");
  ghost = gst_element_get_static_pad (forward->bin, "src");
  if (gst_pad_link (ghost, forward->mixer_pad) != GST_PAD_LINK_OK)
    g_warning ("Phone audio: could not mix a participant in");
  gst_object_unref (ghost);
  gst_element_sync_state_with_parent (forward->bin);
  g_hash_table_insert (self->forwards, &forward->feed, forward);

  json_object_set_string_member (body, "request", "rtp_forward");
  json_object_set_int_member (body, "publisher_id", (gint64) feed);
  json_object_set_string_member (body, "host", "127.0.0.1");
  stream = json_object_new ();
  json_object_set_string_member (stream, "mid", mid);
  json_object_set_int_member (stream, "port", port);
  /* Publishers negotiate their own Opus payload type: have Janus rewrite it. */
  json_object_set_int_member (stream, "pt", OPUS_PT);
  json_array_add_object_element (streams, stream);
  json_object_set_array_member (body, "streams", json_array_ref (streams));
  send_request (self, body, on_forward_started, step_new (self, feed));
  return TRUE;
}

static void
on_request_done (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) reply = hc_janus_message_finish (HC_JANUS (source), result, &error);

  if (reply == NULL)
    g_debug ("Janus: %s", error->message);
}

static void
stop_forward (HcPhoneMedia *self,
              Forward      *forward)
{
  if (forward->stream_id != 0 && self->handle != 0 && self->janus != NULL)
    {
      g_autoptr(JsonObject) body = json_object_new ();

      json_object_set_string_member (body, "request", "stop_rtp_forward");
      json_object_set_int_member (body, "publisher_id", (gint64) forward->feed);
      json_object_set_int_member (body, "stream_id", (gint64) forward->stream_id);
      send_request (self, body, on_request_done, NULL);
    }
}

/* Who the phone hears: every other publisher with audio, the room's other
 * phones included. Run every second, which also notices publishers that
 * came or went. */
static gboolean
reconcile (gpointer user_data)
{
  HcPhoneMedia *self = user_data;
  GPtrArray *members;
  GPtrArray *phones;
  GHashTableIter iter;
  gpointer value;

  if (self->state == STATE_RECOVERING)
    {
      if (self->recover_pending)
        return G_SOURCE_CONTINUE;
      if (g_get_monotonic_time () > self->recover_until)
        {
          g_warning ("Phone audio of %s: the media server did not come back",
                     self->participant_sid);
          self->reconcile_id = 0;
          g_signal_emit (self, signals[SIGNAL_LOST], 0);
          return G_SOURCE_REMOVE;
        }
      self->recover_pending = TRUE;
      hc_media_room_ensure_async (self->room, on_room_ready, step_new (self, 0));
      return G_SOURCE_CONTINUE;
    }
  if (self->state != STATE_PUBLISHED)
    return G_SOURCE_CONTINUE;

  g_hash_table_iter_init (&iter, self->forwards);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    ((Forward *) value)->wanted = FALSE;

  members = hc_media_room_get_members (self->room);
  for (guint i = 0; i < members->len; i++)
    {
      guint64 feed = 0;
      const char *mid = NULL;
      Forward *forward;

      if (!hc_signal_session_get_audio_feed (g_ptr_array_index (members, i), &feed, &mid))
        continue;
      if ((forward = g_hash_table_lookup (self->forwards, &feed)) != NULL)
        forward->wanted = TRUE;
      else
        add_forward (self, feed, mid);
    }
  phones = hc_media_room_get_phones (self->room);
  for (guint i = 0; i < phones->len; i++)
    {
      const HcRoomPhone *phone = g_ptr_array_index (phones, i);
      Forward *forward;

      if (phone->feed_id == self->feed_id || phone->feed_id == 0)
        continue;
      if ((forward = g_hash_table_lookup (self->forwards, &phone->feed_id)) != NULL)
        forward->wanted = TRUE;
      else
        add_forward (self, phone->feed_id, "0");
    }

  g_hash_table_iter_init (&iter, self->forwards);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      Forward *forward = value;

      if (!forward->wanted)
        {
          stop_forward (self, forward);
          g_hash_table_iter_remove (&iter);
        }
    }
  return G_SOURCE_CONTINUE;
}

/* Janus side */

/* A step towards publishing failed: while recovering from a media-server
 * restart the next tick tries again; otherwise the call has no media. */
static void
janus_step_failed (HcPhoneMedia *self,
                   const char   *what)
{
  if (self->state == STATE_RECOVERING)
    {
      g_debug ("Phone audio of %s: %s; trying again", self->participant_sid, what);
      if (self->handle != 0 && self->janus != NULL)
        hc_janus_detach (self->janus, self->handle);
      self->handle = 0;
      self->recover_pending = FALSE;
      return;
    }
  g_warning ("Phone audio of %s: %s", self->participant_sid, what);
  g_signal_emit (self, signals[SIGNAL_LOST], 0);
}


static void
on_handle_event (HcJanus      *janus,
                 guint64       handle,
                 JsonObject   *message,
                 HcPhoneMedia *self)
{
  JsonObject *plugindata, *data;
  const char *what;

  if (handle != self->handle || self->feed_id == 0 ||
      g_strcmp0 (json_object_get_string_member_with_default (message, "janus", ""), "event") != 0 ||
      (plugindata = json_object_get_object_member (message, "plugindata")) == NULL ||
      (data = json_object_get_object_member (plugindata, "data")) == NULL)
    return;
  /* Janus tells every participant of the room, this listener too, who is
   * talking; the phone has no handle of its own to hear it on. */
  if ((guint64) json_object_get_int_member_with_default (data, "id", 0) != self->feed_id)
    return;
  what = json_object_get_string_member_with_default (data, "videoroom", "");
  if (strcmp (what, "talking") == 0)
    hc_media_room_talking (self->room, self->participant_sid, TRUE);
  else if (strcmp (what, "stopped-talking") == 0)
    hc_media_room_talking (self->room, self->participant_sid, FALSE);
}

static void
on_janus_lost (HcJanus      *janus,
               HcPhoneMedia *self)
{
  if (self->state == STATE_STOPPED || self->state == STATE_RECOVERING)
    return;
  g_message ("Phone audio of %s: the media server went away; publishing again once it is back",
             self->participant_sid);
  /* Every handle and forwarder died with it; the phone stays in the room's
   * roster and gets a new feed (track-published again). Late replies from
   * before are dropped by the generation. */
  self->generation++;
  self->handle = 0;
  self->feed_id = 0;
  g_hash_table_remove_all (self->forwards);
  g_clear_signal_handler (&self->event_id, self->janus);
  g_clear_signal_handler (&self->lost_id, self->janus);
  g_clear_object (&self->janus);
  self->state = STATE_RECOVERING;
  self->recover_pending = FALSE;
  self->recover_until = g_get_monotonic_time () + RECOVER_SECONDS * G_USEC_PER_SEC;
  if (self->reconcile_id == 0)
    self->reconcile_id = g_timeout_add (RECONCILE_MS, reconcile, self);
}

static void
on_remote_publisher (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  Step *step = user_data;
  HcPhoneMedia *self = step->self;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) reply = hc_janus_message_finish (HC_JANUS (source), result, &error);
  const char *ip;
  gint64 port;

  if (step_stale (step))
    {
      /* Stopped meanwhile: take the publisher back out. */
      if (reply != NULL && self->janus != NULL && self->handle != 0)
        {
          g_autoptr(JsonObject) body = json_object_new ();

          json_object_set_string_member (body, "request", "remove_remote_publisher");
          json_object_set_int_member (body, "id", json_object_get_int_member_with_default (reply, "id", 0));
          send_request (self, body, on_request_done, NULL);
        }
      goto out;
    }
  port = reply ? json_object_get_int_member_with_default (reply, "port", 0) : 0;
  if (reply == NULL || port <= 0 || port > 65535)
    {
      janus_step_failed (self, "Janus took no remote publisher");
      goto out;
    }
  self->feed_id = (guint64) json_object_get_int_member_with_default (reply, "id", 0);
  ip = json_object_get_string_member_with_default (reply, "ip", "127.0.0.1");
  g_object_set (self->udpsink, "host", ip, "port", (gint) port, NULL);
  gst_element_set_state (self->uplink, GST_STATE_PLAYING);
  self->state = STATE_PUBLISHED;
  self->recover_pending = FALSE;
  if (self->in_room)
    hc_media_room_set_phone_feed (self->room, self->participant_sid, self->feed_id);
  else
    hc_media_room_add_phone (self->room, self->participant_sid, self->label, self->feed_id);
  self->in_room = TRUE;
  g_debug ("Phone %s publishes as feed %" G_GUINT64_FORMAT, self->participant_sid, self->feed_id);
  reconcile (self);
  if (self->reconcile_id == 0)
    self->reconcile_id = g_timeout_add (RECONCILE_MS, reconcile, self);
out:
  step_free (step);
}

static void
on_listener_joined (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  Step *step = user_data;
  HcPhoneMedia *self = step->self;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) reply = hc_janus_message_finish (HC_JANUS (source), result, &error);
  g_autoptr(JsonObject) body = NULL;
  g_autoptr(JsonArray) streams = NULL;
  JsonObject *stream;

  if (step_stale (step))
    goto out;
  if (reply == NULL)
    {
      janus_step_failed (self, "could not join the room");
      goto out;
    }
  body = json_object_new ();
  json_object_set_string_member (body, "request", "add_remote_publisher");
  json_object_set_string_member (body, "display", self->label);
  json_object_set_string_member (body, "iface", "127.0.0.1");
  streams = json_array_new ();
  stream = json_object_new ();
  json_object_set_string_member (stream, "type", "audio");
  json_object_set_string_member (stream, "mid", "0");
  json_object_set_int_member (stream, "mindex", 0);
  json_object_set_string_member (stream, "codec", "opus");
  json_object_set_int_member (stream, "audiolevel_ext_id", AUDIO_LEVEL_EXT_ID);
  json_array_add_object_element (streams, stream);
  json_object_set_array_member (body, "streams", json_array_ref (streams));
  send_request (self, body, on_remote_publisher, step_new (self, 0));
out:
  step_free (step);
}

static void
on_attached (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  Step *step = user_data;
  HcPhoneMedia *self = step->self;
  g_autoptr(GError) error = NULL;
  guint64 handle = hc_janus_attach_finish (HC_JANUS (source), result, &error);
  g_autoptr(JsonObject) body = NULL;

  if (step_stale (step))
    {
      if (handle != 0)
        hc_janus_detach (HC_JANUS (source), handle);
      goto out;
    }
  if (handle == 0)
    {
      janus_step_failed (self, "no Janus handle");
      goto out;
    }
  self->handle = handle;
  /* A participant that never publishes: Janus tells it who talks. */
  body = json_object_new ();
  json_object_set_string_member (body, "request", "join");
  json_object_set_string_member (body, "ptype", "publisher");
  json_object_set_string_member (body, "display", "housecalld phone bridge");
  send_request (self, body, on_listener_joined, step_new (self, 0));
out:
  step_free (step);
}

static void
on_room_ready (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  Step *step = user_data;
  HcPhoneMedia *self = step->self;
  g_autoptr(GError) error = NULL;
  guint64 janus_room = 0;
  HcJanus *janus = hc_media_room_ensure_finish (HC_MEDIA_ROOM (source), result, &janus_room,
                                                &error);

  if (step_stale (step))
    goto out;
  if (janus == NULL)
    {
      janus_step_failed (self, error->message);
      goto out;
    }
  g_set_object (&self->janus, janus);
  self->janus_room = janus_room;
  self->event_id = g_signal_connect (janus, "handle-event", G_CALLBACK (on_handle_event), self);
  self->lost_id = g_signal_connect (janus, "lost", G_CALLBACK (on_janus_lost), self);
  hc_janus_attach_async (janus, NULL, on_attached, step_new (self, 0));
out:
  step_free (step);
}

static void
hc_phone_media_dispose (GObject *object)
{
  HcPhoneMedia *self = (HcPhoneMedia *) object;

  hc_phone_media_stop (self);
  g_clear_pointer (&self->forwards, g_hash_table_unref);
  g_clear_object (&self->room);
  G_OBJECT_CLASS (hc_phone_media_parent_class)->dispose (object);
}

static void
hc_phone_media_finalize (GObject *object)
{
  HcPhoneMedia *self = (HcPhoneMedia *) object;

  g_free (self->participant_sid);
  g_free (self->label);
  g_byte_array_unref (self->pending);
  g_mutex_clear (&self->lock);
  G_OBJECT_CLASS (hc_phone_media_parent_class)->finalize (object);
}

static void
hc_phone_media_class_init (HcPhoneMediaClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = hc_phone_media_dispose;
  object_class->finalize = hc_phone_media_finalize;

  signals[SIGNAL_LOST] = g_signal_new ("lost", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                       NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
hc_phone_media_init (HcPhoneMedia *self)
{
  g_mutex_init (&self->lock);
  self->pending = g_byte_array_new ();
  self->forwards = g_hash_table_new_full (g_int64_hash, g_int64_equal, NULL,
                                          (GDestroyNotify) forward_free);
}

HcPhoneMedia *
hc_phone_media_new (HcMediaRoom *room,
                    const char  *participant_sid,
                    const char  *label)
{
  HcPhoneMedia *self = g_object_new (HC_TYPE_PHONE_MEDIA, NULL);

  self->room = g_object_ref (room);
  self->participant_sid = g_strdup (participant_sid);
  self->label = g_strdup (label);
  return self;
}

void
hc_phone_media_start (HcPhoneMedia *self,
                      HcPhoneRtp   *rtp,
                      guint8        payload_type)
{
  g_autoptr(GError) error = NULL;

  g_return_if_fail (HC_IS_PHONE_MEDIA (self));
  g_return_if_fail (self->state == STATE_IDLE);

  self->phone_pt = payload_type;
  self->state = STATE_STARTING;
  if (!build_uplink (self, &error) || !build_downlink (self, &error))
    {
      g_warning ("Phone audio of %s: %s", self->participant_sid, error->message);
      g_signal_emit (self, signals[SIGNAL_LOST], 0);
      return;
    }
  self->rtp = g_object_ref (rtp);
  hc_phone_rtp_set_audio (rtp, audio_out, audio_in, self);
  gst_element_set_state (self->downlink, GST_STATE_PLAYING);
  hc_media_room_ensure_async (self->room, on_room_ready, step_new (self, 0));
}

void
hc_phone_media_stop (HcPhoneMedia *self)
{
  g_return_if_fail (HC_IS_PHONE_MEDIA (self));

  if (self->state == STATE_STOPPED)
    return;
  self->state = STATE_STOPPED;
  self->generation++;
  g_clear_handle_id (&self->reconcile_id, g_source_remove);
  if (self->rtp != NULL)
    hc_phone_rtp_set_audio (self->rtp, NULL, NULL, NULL);
  g_clear_object (&self->rtp);

  if (self->janus != NULL && self->handle != 0 && hc_janus_is_ready (self->janus))
    {
      GHashTableIter iter;
      gpointer value;

      g_hash_table_iter_init (&iter, self->forwards);
      while (g_hash_table_iter_next (&iter, NULL, &value))
        stop_forward (self, value);
      if (self->feed_id != 0)
        {
          g_autoptr(JsonObject) body = json_object_new ();

          json_object_set_string_member (body, "request", "remove_remote_publisher");
          json_object_set_int_member (body, "id", (gint64) self->feed_id);
          send_request (self, body, on_request_done, NULL);
        }
      hc_janus_detach (self->janus, self->handle);
    }
  self->handle = 0;
  if (self->forwards != NULL)
    g_hash_table_remove_all (self->forwards);
  if (self->janus != NULL)
    {
      g_clear_signal_handler (&self->event_id, self->janus);
      g_clear_signal_handler (&self->lost_id, self->janus);
    }
  g_clear_object (&self->janus);

  if (self->in_room)
    {
      self->in_room = FALSE;
      hc_media_room_remove_phone (self->room, self->participant_sid);
    }

  g_clear_handle_id (&self->uplink_watch, g_source_remove);
  g_clear_handle_id (&self->downlink_watch, g_source_remove);
  if (self->uplink != NULL)
    gst_element_set_state (self->uplink, GST_STATE_NULL);
  if (self->downlink != NULL)
    gst_element_set_state (self->downlink, GST_STATE_NULL);
  gst_clear_object (&self->appsrc);
  gst_clear_object (&self->udpsink);
  gst_clear_object (&self->mixer);
  gst_clear_object (&self->uplink);
  gst_clear_object (&self->downlink);
}
