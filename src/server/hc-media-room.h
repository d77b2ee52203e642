/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "hc-media.h"

G_BEGIN_DECLS

#define HC_TYPE_MEDIA_ROOM (hc_media_room_get_type ())
G_DECLARE_FINAL_TYPE (HcMediaRoom, hc_media_room, HC, MEDIA_ROOM, GObject)

/* A room in progress: its members' sessions, its VideoRoom in Janus
 * (created on first publish, recreated after a Janus restart) and its
 * dominant speaker. */
HcMediaRoom     *hc_media_room_new               (HcMedia            *media,
                                                  const HcRoomRecord *record);
const char      *hc_media_room_get_sid           (HcMediaRoom        *self);
GPtrArray       *hc_media_room_get_members       (HcMediaRoom        *self);
HcSignalSession *hc_media_room_find_member       (HcMediaRoom        *self,
                                                  const char         *participant_sid);
void             hc_media_room_add_member        (HcMediaRoom        *self,
                                                  HcSignalSession    *session);
void             hc_media_room_remove_member     (HcMediaRoom        *self,
                                                  HcSignalSession    *session);
void             hc_media_room_broadcast         (HcMediaRoom        *self,
                                                  JsonNode           *message,
                                                  HcSignalSession    *except);

void             hc_media_room_ensure_async      (HcMediaRoom        *self,
                                                  GAsyncReadyCallback callback,
                                                  gpointer            user_data);
HcJanus         *hc_media_room_ensure_finish     (HcMediaRoom        *self,
                                                  GAsyncResult       *result,
                                                  guint64            *janus_room,
                                                  GError            **error);
HcJanus         *hc_media_room_get_janus         (HcMediaRoom        *self);
guint64          hc_media_room_get_janus_room    (HcMediaRoom        *self);
void             hc_media_room_media_lost        (HcMediaRoom        *self);
void             hc_media_room_destroy_in_janus  (HcMediaRoom        *self);

/* Phone-bridge participants: no signaling session, a remote publisher in
 * Janus (docs/phone-bridge.md). Adding one announces participant-connected
 * and track-published; removing, track-unpublished and
 * participant-disconnected. */
typedef struct
{
  char    *sid;
  char    *identity;
  guint64  feed_id;
} HcRoomPhone;

void             hc_media_room_add_phone         (HcMediaRoom        *self,
                                                  const char         *participant_sid,
                                                  const char         *identity,
                                                  guint64             feed_id);
/* The phone publishes again (a new Janus feed after a media restart):
 * announces track-published again. */
void             hc_media_room_set_phone_feed    (HcMediaRoom        *self,
                                                  const char         *participant_sid,
                                                  guint64             feed_id);
void             hc_media_room_remove_phone      (HcMediaRoom        *self,
                                                  const char         *participant_sid);
/* HcRoomPhone, owned by the room. */
GPtrArray       *hc_media_room_get_phones        (HcMediaRoom        *self);
const HcRoomPhone *hc_media_room_find_phone      (HcMediaRoom        *self,
                                                  const char         *participant_sid);
/* Adds the phone participants to a "participants" array being built. */
void             hc_media_room_build_phones      (HcMediaRoom        *self,
                                                  JsonBuilder        *builder);

void             hc_media_room_talking           (HcMediaRoom        *self,
                                                  const char         *participant_sid,
                                                  gboolean            talking);
const char      *hc_media_room_get_dominant_speaker (HcMediaRoom     *self);

G_END_DECLS
