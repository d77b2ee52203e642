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

void             hc_media_room_talking           (HcMediaRoom        *self,
                                                  const char         *participant_sid,
                                                  gboolean            talking);
const char      *hc_media_room_get_dominant_speaker (HcMediaRoom     *self);

G_END_DECLS
