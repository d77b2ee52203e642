/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "HcQueueEntry"

#include "config.h"

#include "hc-queue-entry.h"

enum {
  PROP_0,
  PROP_NAME,
  PROP_STATUS,
  PROP_VERDICT,
  PROP_CONNECTED,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

struct _HcQueueEntry
{
  GObject   parent_instance;

  gint64    id;
  char     *name;
  char     *status;
  gint64    start_time;
  gint64    waited;
  gint      verdict;
  gboolean  devices_ok;
  gboolean  intake_done;
  gboolean  connected;
};

G_DEFINE_FINAL_TYPE (HcQueueEntry, hc_queue_entry, G_TYPE_OBJECT)

static void
hc_queue_entry_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  HcQueueEntry *self = HC_QUEUE_ENTRY (object);

  switch (prop_id)
    {
    case PROP_NAME:
      g_value_set_string (value, self->name);
      break;
    case PROP_STATUS:
      g_value_set_string (value, self->status);
      break;
    case PROP_VERDICT:
      g_value_set_int (value, self->verdict);
      break;
    case PROP_CONNECTED:
      g_value_set_boolean (value, self->connected);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
hc_queue_entry_finalize (GObject *object)
{
  HcQueueEntry *self = HC_QUEUE_ENTRY (object);

  g_free (self->name);
  g_free (self->status);

  G_OBJECT_CLASS (hc_queue_entry_parent_class)->finalize (object);
}

static void
hc_queue_entry_class_init (HcQueueEntryClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = hc_queue_entry_get_property;
  object_class->finalize = hc_queue_entry_finalize;

  properties[PROP_NAME] =
    g_param_spec_string ("name", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_STATUS] =
    g_param_spec_string ("status", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_VERDICT] =
    g_param_spec_int ("verdict", NULL, NULL, 0, 5, 0,
                      G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_CONNECTED] =
    g_param_spec_boolean ("connected", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
hc_queue_entry_init (HcQueueEntry *self)
{
}

static gint64
parse_time (JsonObject *object,
            const char *member)
{
  g_autoptr(GDateTime) time = g_date_time_new_from_iso8601 (
    json_object_get_string_member_with_default (object, member, ""), NULL);

  return time ? g_date_time_to_unix (time) : 0;
}

HcQueueEntry *
hc_queue_entry_new_from_json (JsonObject *object)
{
  HcQueueEntry *self = g_object_new (HC_TYPE_QUEUE_ENTRY, NULL);

  self->id = json_object_get_int_member_with_default (object, "id", 0);
  self->name = g_strdup (json_object_get_string_member_with_default (object, "name", ""));
  self->status = g_strdup (json_object_get_string_member_with_default (object, "status", ""));
  self->start_time = parse_time (object, "start_time");
  self->waited = json_object_get_int_member_with_default (object, "waited_seconds", 0);
  self->verdict = (gint) CLAMP (json_object_get_int_member_with_default (object, "verdict", 0), 0, 5);
  self->devices_ok = json_object_get_boolean_member_with_default (object, "devices_ok", FALSE);
  self->intake_done = json_object_get_boolean_member_with_default (object, "intake_done", FALSE);
  self->connected = json_object_get_boolean_member_with_default (object, "connected", FALSE);
  return self;
}

gint64
hc_queue_entry_get_id (HcQueueEntry *self)
{
  g_return_val_if_fail (HC_IS_QUEUE_ENTRY (self), 0);
  return self->id;
}

const char *
hc_queue_entry_get_name (HcQueueEntry *self)
{
  g_return_val_if_fail (HC_IS_QUEUE_ENTRY (self), NULL);
  return self->name;
}


gint64
hc_queue_entry_get_start_time (HcQueueEntry *self)
{
  g_return_val_if_fail (HC_IS_QUEUE_ENTRY (self), 0);
  return self->start_time;
}

gint64
hc_queue_entry_get_waited (HcQueueEntry *self)
{
  g_return_val_if_fail (HC_IS_QUEUE_ENTRY (self), 0);
  return self->waited;
}

gint
hc_queue_entry_get_verdict (HcQueueEntry *self)
{
  g_return_val_if_fail (HC_IS_QUEUE_ENTRY (self), 0);
  return self->verdict;
}

gboolean
hc_queue_entry_get_devices_ok (HcQueueEntry *self)
{
  g_return_val_if_fail (HC_IS_QUEUE_ENTRY (self), FALSE);
  return self->devices_ok;
}

gboolean
hc_queue_entry_get_intake_done (HcQueueEntry *self)
{
  g_return_val_if_fail (HC_IS_QUEUE_ENTRY (self), FALSE);
  return self->intake_done;
}

gboolean
hc_queue_entry_get_connected (HcQueueEntry *self)
{
  g_return_val_if_fail (HC_IS_QUEUE_ENTRY (self), FALSE);
  return self->connected;
}

