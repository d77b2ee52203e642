/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "hc-call-engine.h"
#include "hc-capture-profile.h"
#include "hc-error.h"
#include "hc-publisher.h"
#include "hc-sdp-util.h"
#include "hc-signaling-client.h"
#include "hc-video-paintable.h"

#include <gst/gst.h>
#include <gst/video/video.h>
#include <libsoup/soup.h>
#include <string.h>

/* The engine's parts that need no media server: SDP edits, addresses, capture
 * profiles, the paintable, GSettings, the signaling client against a stand-in
 * server, and the publishing pipeline up to its offer. */

static void
drop_debug (const char     *domain,
            GLogLevelFlags  level,
            const char     *message,
            gpointer        user_data)
{
}

static void
quiet_debug (void)
{
  static const char *const domains[] = { "HcCallEngine", "HcPublisher", "HcSubscriber",
                                         "HcSignaling", "HcEngine", "libsoup", "GLib-GIO",
                                         NULL };

  if (g_getenv ("HC_TEST_DEBUG") != NULL)
    return;
  for (guint i = 0; domains[i] != NULL; i++)
    g_log_set_handler (domains[i], G_LOG_LEVEL_DEBUG | G_LOG_LEVEL_INFO, drop_debug, NULL);
}

static gboolean
wait_until (gboolean (*check) (gpointer), gpointer data, guint timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;

  while (!check (data) && g_get_monotonic_time () < deadline)
    if (!g_main_context_iteration (NULL, FALSE))
      g_usleep (2000);
  return check (data);
}

static gboolean
never (gpointer data)
{
  return FALSE;
}

/* Lets the main context run for @ms. */
static void
spin (guint ms)
{
  wait_until (never, NULL, ms);
}

static gboolean
flag_set (gpointer data)
{
  return *(gboolean *) data;
}

/* SDP */

static const char *offer_sdp =
  "v=0\r\n"
  "o=- 1 0 IN IP4 0.0.0.0\r\n"
  "s=-\r\n"
  "t=0 0\r\n"
  "a=group:BUNDLE video0 audio1\r\n"
  "m=video 9 UDP/TLS/RTP/SAVPF 96\r\n"
  "c=IN IP4 0.0.0.0\r\n"
  "a=sendonly\r\n"
  "a=rtpmap:96 VP8/90000\r\n"
  "a=mid:video0\r\n"
  "a=ssrc-group:FID 111 222\r\n"
  "a=ssrc:111 msid:stream track\r\n"
  "a=ssrc:111 cname:me@host\r\n"
  "a=ssrc:222 cname:me@host\r\n"
  "m=audio 0 UDP/TLS/RTP/SAVPF 111\r\n"
  "a=sendonly\r\n"
  "a=mid:audio1\r\n"
  "a=ssrc:333 cname:me@host\r\n";

static void
test_sdp_munge (void)
{
  const guint32 ssrcs[] = { 1001, 1002, 1003 };
  g_autoptr(GError) error = NULL;
  g_autofree char *munged = hc_sdp_munge_simulcast (offer_sdp, ssrcs, 3, &error);
  g_autofree char *video = NULL;
  const char *audio;

  g_assert_no_error (error);
  g_assert_nonnull (munged);
  audio = strstr (munged, "m=audio");
  g_assert_nonnull (audio);
  video = g_strndup (munged, audio - munged);

  /* webrtcbin's own SSRC lines are gone from the video section … */
  g_assert_null (strstr (video, "a=ssrc:111"));
  g_assert_null (strstr (video, "a=ssrc:222"));
  g_assert_null (strstr (video, "FID"));
  /* … for the three encodings, lowest first, named with the same cname and msid. */
  g_assert_nonnull (strstr (video, "a=ssrc-group:SIM 1001 1002 1003\r\n"));
  for (guint i = 0; i < 3; i++)
    {
      g_autofree char *cname = g_strdup_printf ("a=ssrc:%u cname:me@host\r\n", ssrcs[i]);
      g_autofree char *msid = g_strdup_printf ("a=ssrc:%u msid:stream track\r\n", ssrcs[i]);

      g_assert_nonnull (strstr (video, cname));
      g_assert_nonnull (strstr (video, msid));
    }
  /* The audio section and everything else stay as they were. */
  g_assert_cmpstr (audio, ==, strstr (offer_sdp, "m=audio"));
  g_assert_true (g_str_has_prefix (munged, "v=0\r\no=- 1 0 IN IP4 0.0.0.0\r\n"));

  g_clear_pointer (&munged, g_free);
  munged = hc_sdp_munge_simulcast ("v=0\r\nm=audio 9 RTP/AVP 0\r\n", ssrcs, 3, &error);
  g_assert_null (munged);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
}

static void
test_sdp_mid (void)
{
  g_autofree char *video = hc_sdp_get_mid (offer_sdp, 0);
  g_autofree char *audio = hc_sdp_get_mid (offer_sdp, 1);
  g_autofree char *none = hc_sdp_get_mid (offer_sdp, 2);

  g_assert_cmpstr (video, ==, "video0");
  g_assert_cmpstr (audio, ==, "audio1");
  g_assert_null (none);
  g_assert_cmpint (hc_sdp_find_mline (offer_sdp, "audio1"), ==, 1);
  g_assert_cmpint (hc_sdp_find_mline (offer_sdp, "nope"), ==, -1);
}

/* Addresses */

static void
test_signaling_url (void)
{
  const struct { const char *in, *out; } good[] = {
    { "https://clinic.example.org", "wss://clinic.example.org/v1/signal" },
    { "https://clinic.example.org/", "wss://clinic.example.org/v1/signal" },
    { "https://clinic.example.org:8443/housecall/", "wss://clinic.example.org:8443/housecall/v1/signal" },
    { "wss://clinic.example.org/v1/signal", "wss://clinic.example.org/v1/signal" },
    { "http://127.0.0.1:8080", "ws://127.0.0.1:8080/v1/signal" },
    { "http://localhost:8080", "ws://localhost:8080/v1/signal" },
    { "http://[::1]:8080", "ws://[::1]:8080/v1/signal" },
  };
  const char *bad[] = {
    "http://clinic.example.org",   /* a token in the clear over a network */
    "ws://10.0.0.5/v1/signal",
    "ftp://clinic.example.org",
    "clinic.example.org",
    "https://",
  };

  for (guint i = 0; i < G_N_ELEMENTS (good); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *url = hc_signaling_url_for_server (good[i].in, &error);

      g_assert_no_error (error);
      g_assert_cmpstr (url, ==, good[i].out);
    }
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *url = hc_signaling_url_for_server (bad[i], &error);

      g_assert_null (url);
      g_assert_nonnull (error);
    }
}

/* Capture profiles */

static void
test_capture_spec (void)
{
  HcCaptureSpec spec;
  guint total = 0;

  hc_capture_spec_init (&spec, HC_CAPTURE_PROFILE_720P, HC_VIDEO_CODEC_VP8, TRUE, 1500);
  g_assert_false (spec.test_pattern);
  g_assert_cmpint (spec.fps, ==, 24);
  g_assert_cmpuint (spec.n_layers, ==, 3);
  g_assert_cmpint (spec.layer_width[0], ==, 320);
  g_assert_cmpint (spec.layer_height[0], ==, 180);
  g_assert_cmpint (spec.layer_width[1], ==, 640);
  g_assert_cmpint (spec.layer_height[1], ==, 360);
  g_assert_cmpint (spec.layer_width[2], ==, 1280);
  g_assert_cmpint (spec.layer_height[2], ==, 720);
  for (guint i = 0; i < spec.n_layers; i++)
    total += spec.layer_kbps[i];
  g_assert_cmpuint (total, <=, 1500);
  g_assert_cmpuint (spec.layer_kbps[2], >, spec.layer_kbps[1]);
  g_assert_cmpuint (spec.layer_kbps[1], >, spec.layer_kbps[0]);

  /* Low-end workstations: 640x480 and a 500 kbps cap. */
  hc_capture_spec_init (&spec, HC_CAPTURE_PROFILE_480P, HC_VIDEO_CODEC_VP8, TRUE, 500);
  g_assert_cmpint (spec.layer_width[2], ==, 640);
  g_assert_cmpint (spec.layer_height[2], ==, 480);
  g_assert_cmpint (spec.layer_width[0], ==, 160);
  g_assert_cmpint (spec.preview_height, ==, 240);
  total = 0;
  for (guint i = 0; i < spec.n_layers; i++)
    total += spec.layer_kbps[i];
  g_assert_cmpuint (total, <=, 530);

  /* H.264 rooms and simulcast off: one encoding with the whole cap. */
  hc_capture_spec_init (&spec, HC_CAPTURE_PROFILE_720P, HC_VIDEO_CODEC_H264, TRUE, 1000);
  g_assert_cmpuint (spec.n_layers, ==, 1);
  g_assert_cmpint (spec.layer_width[0], ==, 1280);
  g_assert_cmpuint (spec.layer_kbps[0], ==, 1000);
  hc_capture_spec_init (&spec, HC_CAPTURE_PROFILE_TEST_PATTERN_360P, HC_VIDEO_CODEC_VP8, FALSE,
                        800);
  g_assert_true (spec.test_pattern);
  g_assert_cmpuint (spec.n_layers, ==, 1);
  g_assert_cmpint (spec.layer_width[0], ==, 640);
}

/* The paintable */

static gboolean
has_frames (gpointer data)
{
  return hc_video_paintable_get_frame_count (data) > 0;
}

static void
on_notify_count (GObject *object, GParamSpec *pspec, gpointer data)
{
  (*(guint *) data)++;
}

/* A 3x2 frame with padded rows in @format (RGBA, or BGRA as the engine decodes to). */
static void
check_paintable_stride (GstVideoFormat format)
{
  g_autoptr(HcVideoPaintable) paintable = hc_video_paintable_new ();
  g_autoptr(GstCaps) caps = gst_caps_new_simple ("video/x-raw", "format", G_TYPE_STRING,
                                                 gst_video_format_to_string (format),
                                                 "width", G_TYPE_INT, 3,
                                                 "height", G_TYPE_INT, 2, NULL);
  const gboolean bgra = format == GST_VIDEO_FORMAT_BGRA;
  const gsize stride = 16;   /* 12 bytes of pixels, 4 of padding per row */
  g_autoptr(GstBuffer) buffer = gst_buffer_new_allocate (NULL, stride * 2, NULL);
  g_autoptr(GstSample) sample = NULL;
  g_autoptr(GdkPaintable) image = NULL;
  gsize offsets[4] = { 0 };
  gint strides[4] = { (gint) stride };
  guint8 pixels[2 * 3 * 4];
  guint notified = 0;
  GstMapInfo map;

  /* Opaque pixels R = 10x + row, G = 20 + x, B = 30 + row; padding 0xEE. */
  gst_buffer_map (buffer, &map, GST_MAP_WRITE);
  memset (map.data, 0xEE, map.size);
  for (gsize row = 0; row < 2; row++)
    for (gsize x = 0; x < 3; x++)
      {
        guint8 *p = map.data + row * stride + x * 4;

        p[bgra ? 2 : 0] = (guint8) (10 * x + row);
        p[1] = (guint8) (20 + x);
        p[bgra ? 0 : 2] = (guint8) (30 + row);
        p[3] = 255;
      }
  gst_buffer_unmap (buffer, &map);
  gst_buffer_add_video_meta_full (buffer, GST_VIDEO_FRAME_FLAG_NONE, format, 3, 2,
                                  1, offsets, strides);
  sample = gst_sample_new (buffer, caps, NULL, NULL);

  g_signal_connect (paintable, "notify::width", G_CALLBACK (on_notify_count), &notified);
  g_assert_cmpint (gdk_paintable_get_intrinsic_width (GDK_PAINTABLE (paintable)), ==, 0);
  hc_video_paintable_push_sample (paintable, sample);
  g_assert_true (wait_until (has_frames, paintable, 2000));
  g_assert_cmpint (gdk_paintable_get_intrinsic_width (GDK_PAINTABLE (paintable)), ==, 3);
  g_assert_cmpint (gdk_paintable_get_intrinsic_height (GDK_PAINTABLE (paintable)), ==, 2);
  g_assert_cmpuint (notified, ==, 1);

  /* The texture holds the rows without the padding (downloaded as B, G, R, A). */
  image = gdk_paintable_get_current_image (GDK_PAINTABLE (paintable));
  g_assert_true (GDK_IS_TEXTURE (image));
  gdk_texture_download (GDK_TEXTURE (image), pixels, 3 * 4);
  for (guint row = 0; row < 2; row++)
    for (guint x = 0; x < 3; x++)
      {
        const guint8 *p = pixels + row * 12 + x * 4;

        g_assert_cmpuint (p[2], ==, 10 * x + row);
        g_assert_cmpuint (p[1], ==, 20 + x);
        g_assert_cmpuint (p[0], ==, 30 + row);
        g_assert_cmpuint (p[3], ==, 255);
      }

  /* The same size again does not notify; clear() forgets the picture. */
  hc_video_paintable_push_sample (paintable, sample);
  spin (100);
  g_assert_cmpuint (hc_video_paintable_get_frame_count (paintable), ==, 2);
  g_assert_cmpuint (notified, ==, 1);
  hc_video_paintable_clear (paintable);
  g_assert_cmpint (hc_video_paintable_get_width (paintable), ==, 0);
  g_assert_cmpuint (notified, ==, 2);
}

static void
test_paintable_stride (void)
{
  check_paintable_stride (GST_VIDEO_FORMAT_RGBA);
}

static void
test_paintable_bgra (void)
{
  check_paintable_stride (GST_VIDEO_FORMAT_BGRA);
}

/* A format the paintable cannot show is dropped, not drawn as garbage. */
static void
test_paintable_other_format (void)
{
  g_autoptr(HcVideoPaintable) paintable = hc_video_paintable_new ();
  g_autoptr(GstCaps) caps = gst_caps_from_string ("video/x-raw,format=I420,width=4,height=2");
  g_autoptr(GstBuffer) buffer = gst_buffer_new_allocate (NULL, 12, NULL);
  g_autoptr(GstSample) sample = gst_sample_new (buffer, caps, NULL, NULL);

  hc_video_paintable_push_sample (paintable, sample);
  spin (100);
  g_assert_cmpuint (hc_video_paintable_get_frame_count (paintable), ==, 0);
}

/* GSettings */

static void
test_settings (void)
{
  g_autoptr(GSettingsSchema) schema = NULL;
  g_autoptr(GSettings) settings = NULL;
  HcCallEngine *engine;
  HcCaptureProfile profile;
  guint bitrate;

  schema = g_settings_schema_source_lookup (g_settings_schema_source_get_default (),
                                            "org.housecall.Console", TRUE);
  if (schema == NULL)
    {
      g_test_skip ("the org.housecall.Console schema is not compiled here");
      return;
    }
  settings = g_settings_new ("org.housecall.Console");
  g_settings_set_string (settings, "capture-profile", "480p");
  g_settings_set_uint (settings, "max-video-bitrate", 800);
  g_settings_set_boolean (settings, "start-muted", TRUE);
  g_settings_set_string (settings, "camera-device", "test:smpte");

  engine = hc_call_engine_new ();
  hc_call_engine_bind_settings (engine, settings);
  g_object_get (engine, "capture-profile", &profile, "max-video-bitrate", &bitrate, NULL);
  g_assert_cmpint (profile, ==, HC_CAPTURE_PROFILE_480P);
  g_assert_cmpuint (bitrate, ==, 800);
  g_assert_true (hc_call_engine_get_microphone_muted (engine));
  g_assert_true (hc_call_engine_get_camera_enabled (engine));

  /* An administrator's change applies to the engine. */
  g_settings_set_string (settings, "capture-profile", "test-pattern-360p");
  g_object_get (engine, "capture-profile", &profile, NULL);
  g_assert_cmpint (profile, ==, HC_CAPTURE_PROFILE_TEST_PATTERN_360P);

  g_settings_reset (settings, "capture-profile");
  g_settings_reset (settings, "max-video-bitrate");
  g_settings_reset (settings, "start-muted");
  g_settings_reset (settings, "camera-device");
  g_clear_object (&settings);
  g_assert_finalize_object (engine);
}

/* The signaling client against a stand-in server */

typedef struct
{
  SoupServer *server;
  char       *url;
  GPtrArray  *connections;
  guint       n_authenticated;
  gboolean    token_in_url;
} FakeServer;

static void
fake_send (SoupWebsocketConnection *connection,
           const char              *json)
{
  soup_websocket_connection_send_text (connection, json);
}

static void
on_fake_message (SoupWebsocketConnection *connection,
                 gint                     type,
                 GBytes                  *payload,
                 gpointer                 user_data)
{
  FakeServer *fake = user_data;
  g_autoptr(JsonParser) parser = json_parser_new ();
  gsize len;
  const char *data = g_bytes_get_data (payload, &len);
  JsonObject *message;
  const char *kind;
  const char *id;
  g_autofree char *reply = NULL;

  g_assert_true (json_parser_load_from_data (parser, data, (gssize) len, NULL));
  message = json_node_get_object (json_parser_get_root (parser));
  kind = json_object_get_string_member (message, "type");
  id = json_object_get_string_member_with_default (message, "id", "");

  if (g_strcmp0 (kind, "authenticate") == 0)
    {
      if (g_strcmp0 (json_object_get_string_member (message, "token"), "good") == 0)
        {
          fake->n_authenticated++;
          reply = g_strdup_printf ("{\"type\":\"authenticated\",\"id\":\"%s\","
                                   "\"identity\":\"tester\",\"role\":\"provider\"}", id);
          fake_send (connection, reply);
        }
      else
        {
          reply = g_strdup_printf ("{\"type\":\"error\",\"id\":\"%s\",\"code\":20107,"
                                   "\"error\":\"token-bad-signature\",\"message\":\"no\"}", id);
          fake_send (connection, reply);
          soup_websocket_connection_close (connection, 4401, "authentication failed");
        }
    }
  else if (g_strcmp0 (kind, "ping") == 0)
    {
      reply = g_strdup_printf ("{\"type\":\"pong\",\"id\":\"%s\"}", id);
      fake_send (connection, reply);
    }
  else if (g_strcmp0 (kind, "boom") == 0)
    {
      reply = g_strdup_printf ("{\"type\":\"error\",\"id\":\"%s\",\"code\":53001,"
                               "\"error\":\"message-malformed\",\"message\":\"Malformed\"}", id);
      fake_send (connection, reply);
    }
  else if (g_strcmp0 (kind, "please-event") == 0)
    fake_send (connection, "{\"type\":\"participant-connected\","
                           "\"participant\":{\"sid\":\"PA1\",\"identity\":\"x\"}}");
  else if (g_strcmp0 (kind, "please-drop") == 0)
    soup_websocket_connection_close (connection, SOUP_WEBSOCKET_CLOSE_SERVER_ERROR, "oops");
  else if (g_strcmp0 (kind, "please-end") == 0)
    {
      fake_send (connection, "{\"type\":\"room-completed\"}");
      soup_websocket_connection_close (connection, 4410, "room completed");
    }
}

static void
on_fake_websocket (SoupServer              *server,
                   SoupServerMessage       *msg,
                   const char              *path,
                   SoupWebsocketConnection *connection,
                   gpointer                 user_data)
{
  FakeServer *fake = user_data;

  if (g_uri_get_query (soup_server_message_get_uri (msg)) != NULL)
    fake->token_in_url = TRUE;
  g_ptr_array_add (fake->connections, g_object_ref (connection));
  g_signal_connect (connection, "message", G_CALLBACK (on_fake_message), fake);
}

static FakeServer *
fake_server_new (void)
{
  FakeServer *fake = g_new0 (FakeServer, 1);
  const char *protocols[] = { HC_SIGNALING_SUBPROTOCOL, NULL };
  g_autoptr(GError) error = NULL;
  GSList *uris;

  fake->connections = g_ptr_array_new_with_free_func (g_object_unref);
  fake->server = soup_server_new (NULL, NULL);
  soup_server_add_websocket_handler (fake->server, "/v1/signal", NULL, (char **) protocols,
                                     on_fake_websocket, fake, NULL);
  soup_server_listen_local (fake->server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error);
  g_assert_no_error (error);
  uris = soup_server_get_uris (fake->server);
  fake->url = g_strdup_printf ("ws://127.0.0.1:%d/v1/signal", g_uri_get_port (uris->data));
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
  return fake;
}

static gboolean
all_closed (gpointer data)
{
  FakeServer *fake = data;

  for (guint i = 0; i < fake->connections->len; i++)
    if (soup_websocket_connection_get_state (g_ptr_array_index (fake->connections, i)) !=
        SOUP_WEBSOCKET_STATE_CLOSED)
      return FALSE;
  return TRUE;
}

static void
fake_server_free (FakeServer *fake)
{
  for (guint i = 0; i < fake->connections->len; i++)
    {
      SoupWebsocketConnection *connection = g_ptr_array_index (fake->connections, i);

      g_signal_handlers_disconnect_by_data (connection, fake);
      if (soup_websocket_connection_get_state (connection) == SOUP_WEBSOCKET_STATE_OPEN)
        soup_websocket_connection_close (connection, SOUP_WEBSOCKET_CLOSE_GOING_AWAY, NULL);
    }
  g_assert_true (wait_until (all_closed, fake, 5000));
  g_ptr_array_unref (fake->connections);
  soup_server_disconnect (fake->server);
  g_object_unref (fake->server);
  g_free (fake->url);
  g_free (fake);
}

typedef struct
{
  gboolean    done;
  JsonObject *reply;
  GError     *error;
} Reply;

static gboolean
reply_done (gpointer data)
{
  return ((Reply *) data)->done;
}

static void
on_connect_reply (GObject *source, GAsyncResult *result, gpointer data)
{
  Reply *reply = data;

  reply->reply = hc_signaling_client_connect_finish (HC_SIGNALING_CLIENT (source), result,
                                                     &reply->error);
  reply->done = TRUE;
}

static void
on_request_reply (GObject *source, GAsyncResult *result, gpointer data)
{
  Reply *reply = data;

  reply->reply = hc_signaling_client_request_finish (HC_SIGNALING_CLIENT (source), result,
                                                     &reply->error);
  reply->done = TRUE;
}

static void
reply_clear (Reply *reply)
{
  g_clear_pointer (&reply->reply, json_object_unref);
  g_clear_error (&reply->error);
  reply->done = FALSE;
}

static void
request (HcSignalingClient *client,
         const char        *type,
         Reply             *reply)
{
  reply_clear (reply);
  hc_signaling_client_request_async (client, type, NULL, NULL, on_request_reply, reply);
  g_assert_true (wait_until (reply_done, reply, 5000));
}

typedef struct
{
  guint  events;
  guint  reconnected;
  guint  closed;
  guint  close_code;
} Counters;

static void
on_event (HcSignalingClient *client, JsonObject *message, gpointer data)
{
  ((Counters *) data)->events++;
}

static void
on_reconnected (HcSignalingClient *client, gpointer data)
{
  ((Counters *) data)->reconnected++;
}

static void
on_closed (HcSignalingClient *client, guint code, const char *reason, gpointer data)
{
  ((Counters *) data)->closed++;
  ((Counters *) data)->close_code = code;
}

static gboolean
counters_reconnected (gpointer data)
{
  return ((Counters *) data)->reconnected > 0;
}

static gboolean
counters_closed (gpointer data)
{
  return ((Counters *) data)->closed > 0;
}

static gboolean
counters_event (gpointer data)
{
  return ((Counters *) data)->events > 0;
}

static void
test_signaling_client (void)
{
  FakeServer *fake = fake_server_new ();
  HcSignalingClient *client;
  Counters counters = { 0 };
  Reply reply = { 0 };

  /* A refused token: a GError with the server's code. */
  client = hc_signaling_client_new (fake->url);
  hc_signaling_client_connect_async (client, "bad", NULL, on_connect_reply, &reply);
  g_assert_true (wait_until (reply_done, &reply, 5000));
  g_assert_error (reply.error, HC_ERROR, HC_ERROR_TOKEN_BAD_SIGNATURE);
  g_assert_cmpint (hc_signaling_client_get_state (client), ==, HC_SIGNALING_STATE_DISCONNECTED);
  g_assert_finalize_object (client);

  /* A good one. */
  client = hc_signaling_client_new (fake->url);
  g_signal_connect (client, "event::participant-connected", G_CALLBACK (on_event), &counters);
  g_signal_connect (client, "reconnected", G_CALLBACK (on_reconnected), &counters);
  g_signal_connect (client, "closed", G_CALLBACK (on_closed), &counters);
  reply_clear (&reply);
  hc_signaling_client_connect_async (client, "good", NULL, on_connect_reply, &reply);
  g_assert_true (wait_until (reply_done, &reply, 5000));
  g_assert_no_error (reply.error);
  g_assert_cmpstr (json_object_get_string_member (reply.reply, "type"), ==, "authenticated");
  g_assert_cmpstr (hc_signaling_client_get_identity (client), ==, "tester");
  g_assert_cmpstr (hc_signaling_client_get_role (client), ==, "provider");
  g_assert_false (fake->token_in_url);

  /* Replies by id, errors as GErrors, events as signals. */
  request (client, "ping", &reply);
  g_assert_no_error (reply.error);
  g_assert_cmpstr (json_object_get_string_member (reply.reply, "type"), ==, "pong");
  request (client, "boom", &reply);
  g_assert_error (reply.error, HC_ERROR, HC_ERROR_MESSAGE_MALFORMED);
  g_assert_true (hc_signaling_client_send (client, "please-event", NULL));
  g_assert_true (wait_until (counters_event, &counters, 5000));

  /* The server drops the socket: the client comes back and authenticates again. */
  g_assert_true (hc_signaling_client_send (client, "please-drop", NULL));
  g_assert_true (wait_until (counters_reconnected, &counters, 10000));
  g_assert_cmpuint (fake->n_authenticated, ==, 2);
  g_assert_cmpint (hc_signaling_client_get_state (client), ==, HC_SIGNALING_STATE_CONNECTED);
  request (client, "ping", &reply);
  g_assert_no_error (reply.error);

  /* A final close code ends it: no reconnecting. */
  g_assert_true (hc_signaling_client_send (client, "please-end", NULL));
  g_assert_true (wait_until (counters_closed, &counters, 5000));
  g_assert_cmpuint (counters.close_code, ==, 4410);
  g_assert_cmpint (hc_signaling_client_get_state (client), ==, HC_SIGNALING_STATE_CLOSED);
  g_assert_cmpuint (counters.reconnected, ==, 1);
  request (client, "ping", &reply);
  g_assert_error (reply.error, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED);

  reply_clear (&reply);
  g_assert_finalize_object (client);
  fake_server_free (fake);
}

/* The engine, when joining cannot work */

static void
on_joined (GObject *source, GAsyncResult *result, gpointer data)
{
  Reply *reply = data;

  hc_call_engine_join_finish (HC_CALL_ENGINE (source), result, &reply->error);
  reply->done = TRUE;
}

static void
test_engine_join_refused (void)
{
  FakeServer *fake = fake_server_new ();
  HcCallEngine *engine = hc_call_engine_new ();
  g_autofree char *http_url = g_strdup (fake->url);
  Reply reply = { 0 };

  /* Plain http to another machine: refused before anything is sent. */
  hc_call_engine_join_async (engine, "http://clinic.example.org", "good", "room", NULL,
                             on_joined, &reply);
  g_assert_true (wait_until (reply_done, &reply, 2000));
  g_assert_error (reply.error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_assert_cmpint (hc_call_engine_get_state (engine), ==, HC_CALL_STATE_IDLE);

  /* A refused token: the call fails with the server's error, and the engine lets go. */
  reply_clear (&reply);
  hc_call_engine_join_async (engine, fake->url, "bad", "room", NULL, on_joined, &reply);
  g_assert_true (wait_until (reply_done, &reply, 5000));
  g_assert_error (reply.error, HC_ERROR, HC_ERROR_TOKEN_BAD_SIGNATURE);
  g_assert_cmpint (hc_call_engine_get_state (engine), ==, HC_CALL_STATE_FAILED);
  g_assert_error ((GError *) hc_call_engine_get_error (engine), HC_ERROR,
                  HC_ERROR_TOKEN_BAD_SIGNATURE);
  /* Let the closing socket say goodbye. */
  spin (200);

  reply_clear (&reply);
  g_assert_finalize_object (engine);
  fake_server_free (fake);
}

/* The publishing pipeline, up to its offer */

typedef struct
{
  gboolean  done;
  char     *offer;
  GError   *error;
} Offer;

static gboolean
offer_done (gpointer data)
{
  return ((Offer *) data)->done;
}

static void
on_offer (GObject *source, GAsyncResult *result, gpointer data)
{
  Offer *offer = data;

  offer->offer = hc_publisher_start_finish (HC_PUBLISHER (source), result, &offer->error);
  offer->done = TRUE;
}

static void
on_stopped (GObject *source, GAsyncResult *result, gpointer data)
{
  g_assert_true (hc_publisher_stop_finish (HC_PUBLISHER (source), result, NULL));
  *(gboolean *) data = TRUE;
}

static gboolean
preview_moves (gpointer data)
{
  guint64 *frames = data;

  return hc_video_paintable_get_frame_count (HC_VIDEO_PAINTABLE ((gpointer) frames[0])) >=
         frames[1];
}

static void
wait_preview_frames (HcVideoPaintable *preview,
                     guint             n)
{
  guint64 wait[2] = { GPOINTER_TO_SIZE (preview), hc_video_paintable_get_frame_count (preview) + n };

  if (!wait_until (preview_moves, wait, 5000))
    g_error ("the preview showed %" G_GUINT64_FORMAT " frames, expected %" G_GUINT64_FORMAT,
             hc_video_paintable_get_frame_count (preview), wait[1]);
}

static void
stop_publisher (HcPublisher *publisher)
{
  gboolean stopped = FALSE;

  hc_publisher_stop_async (publisher, NULL, on_stopped, &stopped);
  g_assert_true (wait_until (flag_set, &stopped, 10000));
  g_assert_cmpint (hc_publisher_get_state (publisher), ==, HC_MEDIA_STATE_STOPPED);
  /* webrtcbin's last state changes, made while it stopped, come to the main
   * context holding a reference each (hc-publisher.c); the callers' finalize
   * checks must come after them (CI once finalized one still queued). */
  for (guint i = 0; i < 1000 && g_main_context_pending (NULL); i++)
    g_main_context_iteration (NULL, FALSE);
}

static void
test_publisher_vp8 (void)
{
  g_autoptr(HcVideoPaintable) preview = hc_video_paintable_new ();
  HcPublisher *publisher;
  g_auto(GStrv) groups = NULL;
  Offer offer = { 0 };
  const char *video;
  const char *audio;

  /* Not a test-pattern profile: the "test:" devices go through the camera and
   * microphone path (switching devices is tested in a call: without an answer,
   * webrtcbin holds its pads and a new source's caps would wait behind them). */
  publisher = hc_publisher_new (HC_CAPTURE_PROFILE_360P, HC_VIDEO_CODEC_VP8, TRUE, preview);
  hc_publisher_set_camera_device (publisher, "test:ball");
  hc_publisher_set_microphone_device (publisher, "test:440");
  hc_publisher_start_async (publisher, NULL, on_offer, &offer);
  g_assert_true (wait_until (offer_done, &offer, 15000));
  g_assert_no_error (offer.error);
  g_assert_cmpint (hc_publisher_get_state (publisher), ==, HC_MEDIA_STATE_NEGOTIATING);
  g_assert_cmpuint (hc_publisher_get_n_layers (publisher), ==, 3);

  /* What Janus needs to see: bundled, sendonly VP8 with PLI/FIR feedback and three
   * SSRCs in a SIM group; Opus with the audio level extension. */
  g_assert_nonnull (strstr (offer.offer, "a=group:BUNDLE "));
  video = strstr (offer.offer, "m=video");
  audio = strstr (offer.offer, "m=audio");
  g_assert_nonnull (video);
  g_assert_nonnull (audio);
  g_assert_nonnull (strstr (video, "a=rtpmap:96 VP8/90000"));
  g_assert_nonnull (strstr (video, "a=rtcp-fb:96 nack pli"));
  g_assert_nonnull (strstr (video, "a=rtcp-fb:96 ccm fir"));
  g_assert_nonnull (strstr (video, "a=sendonly"));
  groups = g_regex_split_simple ("a=ssrc-group:SIM", offer.offer, 0, 0);
  g_assert_cmpuint (g_strv_length (groups), ==, 2);
  g_assert_nonnull (strstr (audio, "OPUS/48000/2"));
  g_assert_nonnull (strstr (audio, "urn:ietf:params:rtp-hdrext:ssrc-audio-level"));
  g_assert_nonnull (strstr (audio, "a=sendonly"));

  /* The preview shows the camera, small. */
  wait_preview_frames (preview, 5);
  g_assert_cmpint (hc_video_paintable_get_width (preview), ==, 320);
  g_assert_cmpint (hc_video_paintable_get_height (preview), ==, 180);

  /* A new bitrate cap and keyframe requests while running. */
  hc_publisher_set_max_video_bitrate (publisher, 600);
  hc_publisher_request_keyframes (publisher);
  wait_preview_frames (preview, 5);

  /* Camera off: the preview stops. */
  hc_publisher_set_camera_enabled (publisher, FALSE);
  hc_publisher_set_microphone_muted (publisher, TRUE);

  stop_publisher (publisher);
  g_free (offer.offer);
  g_assert_finalize_object (publisher);
}

static void
test_publisher_h264 (void)
{
  HcPublisher *publisher;
  Offer offer = { 0 };
  const char *video;

  if (!gst_element_factory_find ("openh264enc") && !gst_element_factory_find ("x264enc"))
    {
      g_test_skip ("no H.264 encoder installed");
      return;
    }
  publisher = hc_publisher_new (HC_CAPTURE_PROFILE_TEST_PATTERN_360P, HC_VIDEO_CODEC_H264, TRUE,
                                NULL);
  hc_publisher_start_async (publisher, NULL, on_offer, &offer);
  g_assert_true (wait_until (offer_done, &offer, 15000));
  g_assert_no_error (offer.error);
  g_assert_cmpuint (hc_publisher_get_n_layers (publisher), ==, 1);
  video = strstr (offer.offer, "m=video");
  g_assert_nonnull (video);
  g_assert_nonnull (strstr (video, "H264/90000"));
  g_assert_nonnull (strstr (video, "packetization-mode=1"));
  g_assert_null (strstr (offer.offer, "ssrc-group:SIM"));

  stop_publisher (publisher);
  g_free (offer.offer);
  g_assert_finalize_object (publisher);
}

int
main (int   argc,
      char *argv[])
{
  int status;

  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  quiet_debug ();

  g_test_add_func ("/engine/unit/sdp-munge", test_sdp_munge);
  g_test_add_func ("/engine/unit/sdp-mid", test_sdp_mid);
  g_test_add_func ("/engine/unit/signaling-url", test_signaling_url);
  g_test_add_func ("/engine/unit/capture-spec", test_capture_spec);
  g_test_add_func ("/engine/unit/paintable-stride", test_paintable_stride);
  g_test_add_func ("/engine/unit/paintable-bgra", test_paintable_bgra);
  g_test_add_func ("/engine/unit/paintable-other-format", test_paintable_other_format);
  g_test_add_func ("/engine/unit/settings", test_settings);
  g_test_add_func ("/engine/unit/signaling-client", test_signaling_client);
  g_test_add_func ("/engine/unit/engine-join-refused", test_engine_join_refused);
  g_test_add_func ("/engine/unit/publisher-vp8", test_publisher_vp8);
  g_test_add_func ("/engine/unit/publisher-h264", test_publisher_h264);

  status = g_test_run ();
  gst_deinit ();
  return status;
}
