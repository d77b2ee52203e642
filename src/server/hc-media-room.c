/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "HcMediaRoom"

#include "config.h"

#include "hc-dominant-speaker.h"
#include "hc-error.h"
#include "hc-media-room.h"
#include "hc-sid.h"
#include "hc-signal-session.h"

#include <string.h>

/* A change of dominant speaker at most once a second. */
#define SPEAKER_MIN_INTERVAL_MS 1000

struct _HcMediaRoom
{
  GObject            parent_instance;

  HcMedia           *media;          /* unowned: the media manager owns the rooms */
  char              *sid;
  char              *unique_name;
  char              *video_codec;
  guint              max_participants;
  GPtrArray         *members;        /* HcSignalSession */
  GPtrArray         *phones;         /* HcRoomPhone */

  HcJanus           *janus;
  guint64            janus_room;
  gboolean           creating;
  GPtrArray         *waiters;        /* GTask, waiting for the Janus room */

  HcDominantSpeaker *speaker;
  guint              speaker_timeout_id;
};

G_DEFINE_FINAL_TYPE (HcMediaRoom, hc_media_room, G_TYPE_OBJECT)

static void
room_phone_free (HcRoomPhone *phone)
{
  g_free (phone->sid);
  g_free (phone->identity);
  g_free (phone);
}

static gint64
now_ms (void)
{
  return g_get_monotonic_time () / 1000;
}

static guint64
random_id (void)
{
  guint64 id = 0;

  /* 53 bits, so that JavaScript clients could hold it exactly. */
  hc_random_bytes ((guint8 *) &id, sizeof id);
  return (id & ((G_GUINT64_CONSTANT (1) << 53) - 1)) | 1;
}

static void
announce_speaker (HcMediaRoom *self)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) node = NULL;
  const char *speaker = hc_dominant_speaker_get (self->speaker);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "type");
  json_builder_add_string_value (builder, "dominant-speaker-changed");
  json_builder_set_member_name (builder, "participant");
  if (speaker != NULL)
    json_builder_add_string_value (builder, speaker);
  else
    json_builder_add_null_value (builder);
  json_builder_end_object (builder);
  node = json_builder_get_root (builder);
  g_debug ("Room %s: dominant speaker %s", self->sid, speaker ? speaker : "none");
  hc_media_room_broadcast (self, node, NULL);
}

static void schedule_speaker_tick (HcMediaRoom *self);

static gboolean
on_speaker_tick (gpointer user_data)
{
  HcMediaRoom *self = user_data;

  self->speaker_timeout_id = 0;
  if (hc_dominant_speaker_tick (self->speaker, now_ms ()))
    announce_speaker (self);
  schedule_speaker_tick (self);
  return G_SOURCE_REMOVE;
}

static void
schedule_speaker_tick (HcMediaRoom *self)
{
  gint64 deadline = hc_dominant_speaker_next_deadline (self->speaker);

  g_clear_handle_id (&self->speaker_timeout_id, g_source_remove);
  if (deadline >= 0)
    self->speaker_timeout_id = g_timeout_add ((guint) MAX (1, deadline - now_ms ()),
                                              on_speaker_tick, self);
}

static void
complete_waiters (HcMediaRoom  *self,
                  const GError *error)
{
  g_autoptr(GPtrArray) waiters = g_steal_pointer (&self->waiters);

  self->waiters = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; i < waiters->len; i++)
    {
      GTask *task = g_ptr_array_index (waiters, i);

      if (error != NULL)
        g_task_return_error (task, g_error_copy (error));
      else
        g_task_return_boolean (task, TRUE);
    }
}

static void
on_room_created (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(HcMediaRoom) self = user_data;
  HcJanus *janus = HC_JANUS (source);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) reply = hc_janus_message_finish (janus, result, &error);

  self->creating = FALSE;
  if (reply == NULL)
    {
      g_warning ("Could not create room %s in Janus: %s", self->sid, error->message);
      g_clear_error (&error);
      g_set_error (&error, HC_ERROR, HC_ERROR_MEDIA_UNAVAILABLE,
                   "The media server could not open the room; try again");
      self->janus_room = 0;
      g_clear_object (&self->janus);
      complete_waiters (self, error);
      return;
    }
  hc_janus_add_load (janus, 1);
  g_debug ("Room %s is Janus room %" G_GUINT64_FORMAT, self->sid, self->janus_room);
  complete_waiters (self, NULL);
}

static void
on_control_handle (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(HcMediaRoom) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) body = NULL;
  guint64 handle = hc_media_control_handle_finish (HC_MEDIA (source), result, &error);
  gboolean h264;

  if (handle == 0 || self->janus == NULL)
    {
      self->creating = FALSE;
      g_clear_object (&self->janus);
      g_clear_error (&error);
      g_set_error (&error, HC_ERROR, HC_ERROR_MEDIA_UNAVAILABLE,
                   "The media server is not reachable; try again");
      complete_waiters (self, error);
      return;
    }

  h264 = g_strcmp0 (self->video_codec, "H264") == 0;
  self->janus_room = random_id ();
  body = json_object_new ();
  json_object_set_string_member (body, "request", "create");
  json_object_set_int_member (body, "room", (gint64) self->janus_room);
  json_object_set_string_member (body, "admin_key", hc_janus_get_secret (self->janus));
  json_object_set_string_member (body, "description", self->sid);
  json_object_set_boolean_member (body, "is_private", TRUE);
  json_object_set_boolean_member (body, "permanent", FALSE);
  json_object_set_int_member (body, "publishers", self->max_participants);
  json_object_set_string_member (body, "videocodec", h264 ? "h264" : "vp8");
  if (h264)
    json_object_set_string_member (body, "h264_profile", "42e01f");
  json_object_set_string_member (body, "audiocodec", "opus");
  json_object_set_int_member (body, "bitrate", 2500000);
  json_object_set_int_member (body, "fir_freq", 10);
  json_object_set_boolean_member (body, "audiolevel_ext", TRUE);
  json_object_set_boolean_member (body, "audiolevel_event", TRUE);
  json_object_set_int_member (body, "audio_active_packets", 50);
  json_object_set_int_member (body, "audio_level_average", 40);
  json_object_set_boolean_member (body, "notify_joining", FALSE);
  json_object_set_boolean_member (body, "transport_wide_cc_ext", TRUE);
  hc_janus_message_async (self->janus, handle, body, NULL, NULL, on_room_created,
                          g_object_ref (self));
}

static void
hc_media_room_dispose (GObject *object)
{
  HcMediaRoom *self = (HcMediaRoom *) object;

  g_clear_handle_id (&self->speaker_timeout_id, g_source_remove);
  if (self->waiters != NULL && self->waiters->len > 0)
    {
      g_autoptr(GError) error = g_error_new (HC_ERROR, HC_ERROR_MEDIA_UNAVAILABLE,
                                             "The room has closed");
      complete_waiters (self, error);
    }
  g_clear_pointer (&self->waiters, g_ptr_array_unref);
  g_clear_pointer (&self->members, g_ptr_array_unref);
  g_clear_pointer (&self->phones, g_ptr_array_unref);
  g_clear_object (&self->janus);

  G_OBJECT_CLASS (hc_media_room_parent_class)->dispose (object);
}

static void
hc_media_room_finalize (GObject *object)
{
  HcMediaRoom *self = (HcMediaRoom *) object;

  g_free (self->sid);
  g_free (self->unique_name);
  g_free (self->video_codec);
  g_clear_pointer (&self->speaker, hc_dominant_speaker_free);

  G_OBJECT_CLASS (hc_media_room_parent_class)->finalize (object);
}

static void
hc_media_room_class_init (HcMediaRoomClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = hc_media_room_dispose;
  object_class->finalize = hc_media_room_finalize;
}

static void
hc_media_room_init (HcMediaRoom *self)
{
  self->members = g_ptr_array_new_with_free_func (g_object_unref);
  self->phones = g_ptr_array_new_with_free_func ((GDestroyNotify) room_phone_free);
  self->waiters = g_ptr_array_new_with_free_func (g_object_unref);
  self->speaker = hc_dominant_speaker_new (SPEAKER_MIN_INTERVAL_MS);
}

HcMediaRoom *
hc_media_room_new (HcMedia            *media,
                   const HcRoomRecord *record)
{
  HcMediaRoom *self = g_object_new (HC_TYPE_MEDIA_ROOM, NULL);

  self->media = media;
  self->sid = g_strdup (record->sid);
  self->unique_name = g_strdup (record->unique_name);
  self->video_codec = g_strdup (record->video_codec);
  self->max_participants = record->max_participants;
  return self;
}

const char *
hc_media_room_get_sid (HcMediaRoom *self)
{
  g_return_val_if_fail (HC_IS_MEDIA_ROOM (self), NULL);
  return self->sid;
}


GPtrArray *
hc_media_room_get_members (HcMediaRoom *self)
{
  g_return_val_if_fail (HC_IS_MEDIA_ROOM (self), NULL);
  return self->members;
}

HcSignalSession *
hc_media_room_find_member (HcMediaRoom *self,
                           const char  *participant_sid)
{
  g_return_val_if_fail (HC_IS_MEDIA_ROOM (self), NULL);

  for (guint i = 0; i < self->members->len; i++)
    {
      HcSignalSession *member = g_ptr_array_index (self->members, i);

      if (g_strcmp0 (hc_signal_session_get_participant_sid (member), participant_sid) == 0)
        return member;
    }
  return NULL;
}

void
hc_media_room_add_member (HcMediaRoom     *self,
                          HcSignalSession *session)
{
  g_autoptr(JsonNode) event = NULL;

  g_return_if_fail (HC_IS_MEDIA_ROOM (self));

  event = hc_signal_session_participant_event (session, "participant-connected");
  hc_media_room_broadcast (self, event, session);
  g_ptr_array_add (self->members, g_object_ref (session));
}

void
hc_media_room_remove_member (HcMediaRoom     *self,
                             HcSignalSession *session)
{
  g_autoptr(HcMediaRoom) hold G_GNUC_UNUSED = g_object_ref (self);
  g_autoptr(JsonNode) event = NULL;
  const char *sid = hc_signal_session_get_participant_sid (session);

  g_return_if_fail (HC_IS_MEDIA_ROOM (self));

  if (!g_ptr_array_remove (self->members, session))
    return;
  event = hc_signal_session_participant_event (session, "participant-disconnected");
  hc_media_room_broadcast (self, event, NULL);
  if (sid != NULL && hc_dominant_speaker_remove (self->speaker, sid, now_ms ()))
    announce_speaker (self);
  schedule_speaker_tick (self);

  /* A phone call keeps the room: the provider may be reconnecting. */
  if (self->members->len == 0 && self->phones->len == 0)
    hc_media_room_finished (self->media, self);
}

static void
build_phone (const HcRoomPhone *phone,
             JsonBuilder       *builder,
             gboolean           details)
{
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "sid");
  json_builder_add_string_value (builder, phone->sid);
  json_builder_set_member_name (builder, "identity");
  json_builder_add_string_value (builder, phone->identity);
  json_builder_set_member_name (builder, "name");
  json_builder_add_string_value (builder, phone->identity);
  json_builder_set_member_name (builder, "phone");
  json_builder_add_boolean_value (builder, TRUE);
  if (details)
    {
      json_builder_set_member_name (builder, "publishing");
      json_builder_add_boolean_value (builder, TRUE);
      json_builder_set_member_name (builder, "audio_muted");
      json_builder_add_boolean_value (builder, FALSE);
      json_builder_set_member_name (builder, "video_muted");
      json_builder_add_boolean_value (builder, FALSE);
    }
  json_builder_end_object (builder);
}

static void
broadcast_phone_event (HcMediaRoom       *self,
                       const HcRoomPhone *phone,
                       const char        *type)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) node = NULL;
  gboolean track = g_str_has_prefix (type, "track-");

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "type");
  json_builder_add_string_value (builder, type);
  json_builder_set_member_name (builder, "participant");
  build_phone (phone, builder, FALSE);
  if (track && strcmp (type, "track-published") == 0)
    {
      json_builder_set_member_name (builder, "audio");
      json_builder_add_boolean_value (builder, TRUE);
      json_builder_set_member_name (builder, "video");
      json_builder_add_boolean_value (builder, FALSE);
      json_builder_set_member_name (builder, "simulcast");
      json_builder_add_boolean_value (builder, FALSE);
    }
  json_builder_end_object (builder);
  node = json_builder_get_root (builder);
  hc_media_room_broadcast (self, node, NULL);
}

void
hc_media_room_add_phone (HcMediaRoom *self,
                         const char  *participant_sid,
                         const char  *identity,
                         guint64      feed_id)
{
  HcRoomPhone *phone;

  g_return_if_fail (HC_IS_MEDIA_ROOM (self));
  g_return_if_fail (hc_media_room_find_phone (self, participant_sid) == NULL);

  phone = g_new0 (HcRoomPhone, 1);
  phone->sid = g_strdup (participant_sid);
  phone->identity = g_strdup (identity);
  phone->feed_id = feed_id;
  g_ptr_array_add (self->phones, phone);
  /* The phone's media is already flowing into Janus: both at once. */
  broadcast_phone_event (self, phone, "participant-connected");
  broadcast_phone_event (self, phone, "track-published");
}

void
hc_media_room_set_phone_feed (HcMediaRoom *self,
                              const char  *participant_sid,
                              guint64      feed_id)
{
  HcRoomPhone *phone;

  g_return_if_fail (HC_IS_MEDIA_ROOM (self));

  phone = (HcRoomPhone *) hc_media_room_find_phone (self, participant_sid);
  if (phone == NULL)
    return;
  phone->feed_id = feed_id;
  broadcast_phone_event (self, phone, "track-published");
}

void
hc_media_room_remove_phone (HcMediaRoom *self,
                            const char  *participant_sid)
{
  g_autoptr(HcMediaRoom) hold G_GNUC_UNUSED = g_object_ref (self);

  g_return_if_fail (HC_IS_MEDIA_ROOM (self));

  for (guint i = 0; i < self->phones->len; i++)
    {
      HcRoomPhone *phone = g_ptr_array_index (self->phones, i);

      if (g_strcmp0 (phone->sid, participant_sid) != 0)
        continue;
      broadcast_phone_event (self, phone, "track-unpublished");
      broadcast_phone_event (self, phone, "participant-disconnected");
      for (guint m = 0; m < self->members->len; m++)
        hc_signal_session_drop_subscription (g_ptr_array_index (self->members, m), phone->sid);
      if (hc_dominant_speaker_remove (self->speaker, phone->sid, now_ms ()))
        announce_speaker (self);
      schedule_speaker_tick (self);
      g_ptr_array_remove_index (self->phones, i);
      break;
    }
  if (self->members->len == 0 && self->phones->len == 0)
    hc_media_room_finished (self->media, self);
}

GPtrArray *
hc_media_room_get_phones (HcMediaRoom *self)
{
  g_return_val_if_fail (HC_IS_MEDIA_ROOM (self), NULL);
  return self->phones;
}

const HcRoomPhone *
hc_media_room_find_phone (HcMediaRoom *self,
                          const char  *participant_sid)
{
  g_return_val_if_fail (HC_IS_MEDIA_ROOM (self), NULL);

  for (guint i = 0; i < self->phones->len; i++)
    {
      HcRoomPhone *phone = g_ptr_array_index (self->phones, i);

      if (g_strcmp0 (phone->sid, participant_sid) == 0)
        return phone;
    }
  return NULL;
}

void
hc_media_room_build_phones (HcMediaRoom *self,
                            JsonBuilder *builder)
{
  g_return_if_fail (HC_IS_MEDIA_ROOM (self));

  for (guint i = 0; i < self->phones->len; i++)
    build_phone (g_ptr_array_index (self->phones, i), builder, TRUE);
}

void
hc_media_room_broadcast (HcMediaRoom     *self,
                         JsonNode        *message,
                         HcSignalSession *except)
{
  g_autoptr(GPtrArray) members = NULL;

  g_return_if_fail (HC_IS_MEDIA_ROOM (self));

  /* Sending may close a session, which changes the member list. */
  members = g_ptr_array_new_full (self->members->len, g_object_unref);
  for (guint i = 0; i < self->members->len; i++)
    g_ptr_array_add (members, g_object_ref (g_ptr_array_index (self->members, i)));
  for (guint i = 0; i < members->len; i++)
    if (g_ptr_array_index (members, i) != except)
      hc_signal_session_send (g_ptr_array_index (members, i), message);
}

void
hc_media_room_ensure_async (HcMediaRoom         *self,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, NULL, callback, user_data);

  g_task_set_source_tag (task, hc_media_room_ensure_async);
  if (self->janus != NULL && self->janus_room != 0 && !self->creating)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }
  g_ptr_array_add (self->waiters, g_object_ref (task));
  if (self->creating)
    return;

  self->janus = hc_media_pick_janus (self->media);
  if (self->janus == NULL)
    {
      g_autoptr(GError) error = g_error_new (HC_ERROR, HC_ERROR_MEDIA_UNAVAILABLE,
                                             "The media server is starting; try again shortly");
      complete_waiters (self, error);
      return;
    }
  g_object_ref (self->janus);
  self->creating = TRUE;
  hc_media_control_handle_async (self->media, self->janus, on_control_handle,
                                 g_object_ref (self));
}

HcJanus *
hc_media_room_ensure_finish (HcMediaRoom   *self,
                             GAsyncResult  *result,
                             guint64       *janus_room,
                             GError       **error)
{
  if (!g_task_propagate_boolean (G_TASK (result), error))
    return NULL;
  if (self->janus == NULL || self->janus_room == 0)
    {
      g_set_error (error, HC_ERROR, HC_ERROR_MEDIA_UNAVAILABLE, "The media server restarted");
      return NULL;
    }
  *janus_room = self->janus_room;
  return self->janus;
}

HcJanus *
hc_media_room_get_janus (HcMediaRoom *self)
{
  g_return_val_if_fail (HC_IS_MEDIA_ROOM (self), NULL);
  return self->janus;
}

guint64
hc_media_room_get_janus_room (HcMediaRoom *self)
{
  g_return_val_if_fail (HC_IS_MEDIA_ROOM (self), 0);
  return self->janus_room;
}

void
hc_media_room_media_lost (HcMediaRoom *self)
{
  g_return_if_fail (HC_IS_MEDIA_ROOM (self));

  g_clear_object (&self->janus);
  self->janus_room = 0;
  for (guint i = 0; i < self->members->len; i++)
    hc_signal_session_media_lost (g_ptr_array_index (self->members, i));
}

void
hc_media_room_destroy_in_janus (HcMediaRoom *self)
{
  g_return_if_fail (HC_IS_MEDIA_ROOM (self));

  if (self->janus != NULL && self->janus_room != 0)
    {
      hc_media_destroy_janus_room (self->media, self->janus, self->janus_room);
      hc_janus_add_load (self->janus, -1);
    }
  self->janus_room = 0;
  g_clear_object (&self->janus);
}

void
hc_media_room_talking (HcMediaRoom *self,
                       const char  *participant_sid,
                       gboolean     talking)
{
  g_return_if_fail (HC_IS_MEDIA_ROOM (self));

  if (hc_dominant_speaker_set_talking (self->speaker, participant_sid, talking, now_ms ()))
    announce_speaker (self);
  schedule_speaker_tick (self);
}

const char *
hc_media_room_get_dominant_speaker (HcMediaRoom *self)
{
  g_return_val_if_fail (HC_IS_MEDIA_ROOM (self), NULL);
  return hc_dominant_speaker_get (self->speaker);
}
