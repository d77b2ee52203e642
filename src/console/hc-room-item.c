/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "HcRoomItem"

#include "config.h"

#include "hc-room-item.h"

enum {
  PROP_0,
  PROP_SID,
  PROP_UNIQUE_NAME,
  PROP_VIDEO_CODEC,
  PROP_DATE_CREATED,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

struct _HcRoomItem
{
  GObject  parent_instance;

  char    *sid;
  char    *unique_name;
  char    *video_codec;
  gint64   date_created;
};

G_DEFINE_FINAL_TYPE (HcRoomItem, hc_room_item, G_TYPE_OBJECT)

static void
hc_room_item_get_property (GObject    *object,
                           guint       prop_id,
                           GValue     *value,
                           GParamSpec *pspec)
{
  HcRoomItem *self = HC_ROOM_ITEM (object);

  switch (prop_id)
    {
    case PROP_SID:
      g_value_set_string (value, self->sid);
      break;
    case PROP_UNIQUE_NAME:
      g_value_set_string (value, self->unique_name);
      break;
    case PROP_VIDEO_CODEC:
      g_value_set_string (value, self->video_codec);
      break;
    case PROP_DATE_CREATED:
      g_value_set_int64 (value, self->date_created);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
hc_room_item_finalize (GObject *object)
{
  HcRoomItem *self = HC_ROOM_ITEM (object);

  g_free (self->sid);
  g_free (self->unique_name);
  g_free (self->video_codec);

  G_OBJECT_CLASS (hc_room_item_parent_class)->finalize (object);
}

static void
hc_room_item_class_init (HcRoomItemClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = hc_room_item_get_property;
  object_class->finalize = hc_room_item_finalize;

  properties[PROP_SID] =
    g_param_spec_string ("sid", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_UNIQUE_NAME] =
    g_param_spec_string ("unique-name", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_VIDEO_CODEC] =
    g_param_spec_string ("video-codec", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_DATE_CREATED] =
    g_param_spec_int64 ("date-created", NULL, NULL, 0, G_MAXINT64, 0,
                        G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
hc_room_item_init (HcRoomItem *self)
{
}

HcRoomItem *
hc_room_item_new (const char *sid,
                  const char *unique_name,
                  const char *video_codec,
                  gint64      date_created)
{
  HcRoomItem *self = g_object_new (HC_TYPE_ROOM_ITEM, NULL);

  self->sid = g_strdup (sid);
  self->unique_name = g_strdup (unique_name);
  self->video_codec = g_strdup (video_codec);
  self->date_created = date_created;
  return self;
}

const char *
hc_room_item_get_sid (HcRoomItem *self)
{
  g_return_val_if_fail (HC_IS_ROOM_ITEM (self), NULL);
  return self->sid;
}

const char *
hc_room_item_get_unique_name (HcRoomItem *self)
{
  g_return_val_if_fail (HC_IS_ROOM_ITEM (self), NULL);
  return self->unique_name;
}

const char *
hc_room_item_get_video_codec (HcRoomItem *self)
{
  g_return_val_if_fail (HC_IS_ROOM_ITEM (self), NULL);
  return self->video_codec;
}

gint64
hc_room_item_get_date_created (HcRoomItem *self)
{
  g_return_val_if_fail (HC_IS_ROOM_ITEM (self), 0);
  return self->date_created;
}
