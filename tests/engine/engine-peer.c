/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "hc-call-engine.h"
#include "hc-video-paintable.h"

#include <glib-unix.h>
#include <json-glib/json-glib.h>
#include <gst/gst.h>
#include <stdio.h>
#include <unistd.h>

/*
 * The console's call engine as a test peer for other harnesses (the Chromium tests in
 * tests/browser/): it joins a room with test sources and reports, one JSON object a
 * line on stdout, when it is in the call and what it decodes of the others:
 *
 *   {"event":"in-call","sid":"PA…","simulcast":true}
 *   {"event":"stats","state":"in-call","reconnecting":false,"adaptation_step":0,"nq_level":5,"nq_reason":"none","remotes":[
 *    {"sid":"PA…","identity":"…","frames":123,"width":640,"height":360,"substream":2,
 *     "nq_level":4,"nq_reason":"jitter","audio_only":false,
 *     "audio_bps":31000,"video_bps":400000}]}                       (every 500 ms)
 *   (nq_*: the engine's network-quality properties; *_bps: what the diagnostics
 *   snapshot says is received from that participant)
 *   {"event":"failed","message":"…"}   {"event":"ended","reason":"left"}
 *
 * It leaves the room and exits when stdin closes or on SIGTERM/SIGINT. The token comes
 * in the environment (HC_TOKEN), not on the command line, which other users can read.
 *
 *   HC_TOKEN=… engine-peer --server http://127.0.0.1:8080 --room visit-1
 *                          [--profile test-pattern-720p] [--max-video-bitrate 1500]
 */

static GMainLoop *loop;
static HcCallEngine *engine;
static gboolean leaving;
static int exit_status;

static void
print_json (JsonBuilder *builder)
{
  g_autoptr(JsonNode) root = json_builder_get_root (builder);
  g_autofree char *text = json_to_string (root, FALSE);

  printf ("%s\n", text);
  fflush (stdout);
}

static void
print_event (const char *event,
             const char *key,
             const char *value)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "event");
  json_builder_add_string_value (builder, event);
  if (key != NULL)
    {
      json_builder_set_member_name (builder, key);
      json_builder_add_string_value (builder, value);
    }
  json_builder_end_object (builder);
  print_json (builder);
}

/* What the last diagnostics snapshot says is received of @kind from @sid, or -1. */
static double
received_bps (const char *sid,
              const char *kind)
{
  GVariant *diagnostics = hc_call_engine_get_diagnostics (engine);
  g_autoptr(GVariant) tracks = NULL;
  double total = -1;

  if (diagnostics == NULL ||
      (tracks = g_variant_lookup_value (diagnostics, "tracks", G_VARIANT_TYPE ("aa{sv}"))) == NULL)
    return -1;
  for (gsize i = 0; i < g_variant_n_children (tracks); i++)
    {
      g_autoptr(GVariant) track = g_variant_get_child_value (tracks, i);
      const char *participant = NULL, *direction = NULL, *track_kind = NULL;
      double bps = 0;

      g_variant_lookup (track, "participant", "&s", &participant);
      g_variant_lookup (track, "direction", "&s", &direction);
      g_variant_lookup (track, "kind", "&s", &track_kind);
      g_variant_lookup (track, "bitrate-bps", "d", &bps);
      if (g_strcmp0 (participant, sid) == 0 && g_strcmp0 (direction, "recv") == 0 &&
          g_strcmp0 (track_kind, kind) == 0)
        total = MAX (total, 0) + bps;
    }
  return total;
}

static gboolean
on_stats_timeout (gpointer user_data)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  GListModel *participants = hc_call_engine_get_participants (engine);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "event");
  json_builder_add_string_value (builder, "stats");
  json_builder_set_member_name (builder, "state");
  json_builder_add_string_value (builder, hc_enum_to_nick (HC_TYPE_CALL_STATE,
                                                           hc_call_engine_get_state (engine)));
  json_builder_set_member_name (builder, "reconnecting");
  json_builder_add_boolean_value (builder, hc_call_engine_get_reconnecting (engine));
  json_builder_set_member_name (builder, "adaptation_step");
  {
    GVariant *diagnostics = hc_call_engine_get_diagnostics (engine);
    gint32 step = -1;

    if (diagnostics != NULL)
      g_variant_lookup (diagnostics, "adaptation-step", "i", &step);
    json_builder_add_int_value (builder, step);
  }
  json_builder_set_member_name (builder, "nq_level");
  json_builder_add_int_value (builder, hc_call_engine_get_network_quality_level (engine));
  json_builder_set_member_name (builder, "nq_reason");
  json_builder_add_string_value (builder, hc_enum_to_nick (HC_TYPE_NETWORK_QUALITY_REASON,
                                                           hc_call_engine_get_network_quality_reason (engine)));
  json_builder_set_member_name (builder, "remotes");
  json_builder_begin_array (builder);
  for (guint i = 0; i < g_list_model_get_n_items (participants); i++)
    {
      g_autoptr(HcRemoteParticipant) p = g_list_model_get_item (participants, i);
      HcVideoPaintable *paintable = HC_VIDEO_PAINTABLE (hc_remote_participant_get_paintable (p));

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "sid");
      json_builder_add_string_value (builder, hc_remote_participant_get_sid (p));
      json_builder_set_member_name (builder, "identity");
      json_builder_add_string_value (builder, hc_remote_participant_get_identity (p));
      json_builder_set_member_name (builder, "frames");
      json_builder_add_int_value (builder, (gint64) hc_video_paintable_get_frame_count (paintable));
      json_builder_set_member_name (builder, "width");
      json_builder_add_int_value (builder, hc_video_paintable_get_width (paintable));
      json_builder_set_member_name (builder, "height");
      json_builder_add_int_value (builder, hc_video_paintable_get_height (paintable));
      json_builder_set_member_name (builder, "substream");
      json_builder_add_int_value (builder, hc_remote_participant_get_substream (p));
      json_builder_set_member_name (builder, "nq_level");
      json_builder_add_int_value (builder, hc_remote_participant_get_network_quality_level (p));
      json_builder_set_member_name (builder, "nq_reason");
      json_builder_add_string_value (builder,
                                     hc_enum_to_nick (HC_TYPE_NETWORK_QUALITY_REASON,
                                                      hc_remote_participant_get_network_quality_reason (p)));
      json_builder_set_member_name (builder, "audio_only");
      json_builder_add_boolean_value (builder, hc_remote_participant_get_audio_only (p));
      json_builder_set_member_name (builder, "audio_bps");
      json_builder_add_double_value (builder, received_bps (hc_remote_participant_get_sid (p), "audio"));
      json_builder_set_member_name (builder, "video_bps");
      json_builder_add_double_value (builder, received_bps (hc_remote_participant_get_sid (p), "video"));
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  json_builder_end_object (builder);
  print_json (builder);
  return G_SOURCE_CONTINUE;
}

static void
on_left (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  hc_call_engine_leave_finish (HC_CALL_ENGINE (source), result, NULL);
  print_event ("ended", "reason", "left");
  g_main_loop_quit (loop);
}

static void
leave (void)
{
  if (leaving)
    return;
  leaving = TRUE;
  hc_call_engine_leave_async (engine, NULL, on_left, NULL);
}

static gboolean
on_signal (gpointer user_data)
{
  leave ();
  return G_SOURCE_CONTINUE;
}

static gboolean
on_stdin (gint         fd,
          GIOCondition condition,
          gpointer     user_data)
{
  char buffer[256];
  gssize n = read (fd, buffer, sizeof buffer);

  if (n > 0)
    return G_SOURCE_CONTINUE;
  leave ();
  return G_SOURCE_REMOVE;
}

static void
on_joined (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  if (!hc_call_engine_join_finish (HC_CALL_ENGINE (source), result, &error))
    {
      print_event ("failed", "message", error->message);
      exit_status = 1;
      leave ();
      return;
    }
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "event");
  json_builder_add_string_value (builder, "in-call");
  json_builder_set_member_name (builder, "sid");
  json_builder_add_string_value (builder, hc_call_engine_get_local_sid (engine));
  json_builder_set_member_name (builder, "simulcast");
  json_builder_add_boolean_value (builder, hc_call_engine_get_published_simulcast (engine));
  json_builder_end_object (builder);
  print_json (builder);
}

static void
on_state (GObject    *object,
          GParamSpec *pspec,
          gpointer    user_data)
{
  if (hc_call_engine_get_state (engine) == HC_CALL_STATE_ENDED && !leaving)
    {
      print_event ("ended", "reason",
                   hc_enum_to_nick (HC_TYPE_END_REASON, hc_call_engine_get_end_reason (engine)));
      g_main_loop_quit (loop);
    }
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *server = NULL;
  g_autofree char *room = NULL;
  /* GOption does not free a default it replaces: the default is applied
   * after parsing. */
  g_autofree char *profile = NULL;
  int bitrate = 1500;
  GOptionEntry entries[] = {
    { "server", 0, 0, G_OPTION_ARG_STRING, &server, "housecalld's address", "URL" },
    { "room", 0, 0, G_OPTION_ARG_STRING, &room, "The room to join", "NAME" },
    { "profile", 0, 0, G_OPTION_ARG_STRING, &profile, "Capture profile", "NICK" },
    { "max-video-bitrate", 0, 0, G_OPTION_ARG_INT, &bitrate, "Video cap in kbit/s", "KBPS" },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("— the call engine as a test peer");
  g_autoptr(GError) error = NULL;
  g_autoptr(GEnumClass) profiles = NULL;
  const char *token = g_getenv ("HC_TOKEN");
  GEnumValue *value;

  gst_init (&argc, &argv);
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("%s\n", error->message);
      return 2;
    }
  if (profile == NULL)
    profile = g_strdup ("test-pattern-720p");
  profiles = g_type_class_ref (HC_TYPE_CAPTURE_PROFILE);
  value = g_enum_get_value_by_nick (profiles, profile);
  if (server == NULL || room == NULL || token == NULL || value == NULL)
    {
      g_printerr ("Usage: HC_TOKEN=… engine-peer --server URL --room NAME [--profile NICK]\n");
      return 2;
    }

  loop = g_main_loop_new (NULL, FALSE);
  engine = hc_call_engine_new ();
  g_object_set (engine,
                "capture-profile", value->value,
                "max-video-bitrate", (guint) bitrate,
                "play-audio", FALSE,
                NULL);
  g_signal_connect (engine, "notify::state", G_CALLBACK (on_state), NULL);
  g_unix_signal_add (SIGTERM, on_signal, NULL);
  g_unix_signal_add (SIGINT, on_signal, NULL);
  g_unix_fd_add (0, G_IO_IN | G_IO_HUP | G_IO_ERR, on_stdin, NULL);
  g_timeout_add (500, on_stats_timeout, NULL);
  hc_call_engine_join_async (engine, server, token, room, NULL, on_joined, NULL);

  g_main_loop_run (loop);

  g_clear_object (&engine);
  g_main_loop_unref (loop);
  gst_deinit ();
  return exit_status;
}
