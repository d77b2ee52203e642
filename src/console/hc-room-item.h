/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

#define HC_TYPE_ROOM_ITEM (hc_room_item_get_type ())
G_DECLARE_FINAL_TYPE (HcRoomItem, hc_room_item, HC, ROOM_ITEM, GObject)

/* A visit room in progress on the practice server, as listed for the
 * provider. */
HcRoomItem *hc_room_item_new             (const char *sid,
                                          const char *unique_name,
                                          const char *video_codec,
                                          gint64      date_created);
const char *hc_room_item_get_sid         (HcRoomItem *self);
const char *hc_room_item_get_unique_name (HcRoomItem *self);
const char *hc_room_item_get_video_codec (HcRoomItem *self);
gint64      hc_room_item_get_date_created (HcRoomItem *self);

G_END_DECLS
