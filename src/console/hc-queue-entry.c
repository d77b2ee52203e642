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
  PROP_WAITED,
  PROP_DEVICES_OK,
  PROP_INTAKE_DONE,
  PROP_START_TIME,
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
    case PROP_WAITED:
      g_value_set_int64 (value, self->waited);
      break;
    case PROP_DEVICES_OK:
      g_value_set_boolean (value, self->devices_ok);
      break;
    case PROP_INTAKE_DONE:
      g_value_set_boolean (value, self->intake_done);
      break;
    case PROP_START_TIME:
      g_value_set_int64 (value, self->start_time);
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
  properties[PROP_WAITED] =
    g_param_spec_int64 ("waited", NULL, NULL, 0, G_MAXINT64, 0,
                        G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_DEVICES_OK] =
    g_param_spec_boolean ("devices-ok", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_INTAKE_DONE] =
    g_param_spec_boolean ("intake-done", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_START_TIME] =
    g_param_spec_int64 ("start-time", NULL, NULL, 0, G_MAXINT64, 0,
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
  self->start_time = MAX (parse_time (object, "start_time"), 0);
  self->waited = MAX (json_object_get_int_member_with_default (object, "waited_seconds", 0), 0);
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


/* Takes @fresh's values; a property that changed is notified, so that the
 * row showing @self updates in place. */
static void
hc_queue_entry_update (HcQueueEntry *self,
                       HcQueueEntry *fresh)
{
  g_object_freeze_notify (G_OBJECT (self));
  if (g_strcmp0 (self->name, fresh->name) != 0)
    {
      g_free (self->name);
      self->name = g_strdup (fresh->name);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_NAME]);
    }
  if (g_strcmp0 (self->status, fresh->status) != 0)
    {
      g_free (self->status);
      self->status = g_strdup (fresh->status);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATUS]);
    }
#define TAKE(field, prop) \
  if (self->field != fresh->field) \
    { \
      self->field = fresh->field; \
      g_object_notify_by_pspec (G_OBJECT (self), properties[prop]); \
    }
  TAKE (verdict, PROP_VERDICT)
  TAKE (connected, PROP_CONNECTED)
  TAKE (waited, PROP_WAITED)
  TAKE (devices_ok, PROP_DEVICES_OK)
  TAKE (intake_done, PROP_INTAKE_DONE)
  TAKE (start_time, PROP_START_TIME)
#undef TAKE
  g_object_thaw_notify (G_OBJECT (self));
}

static gboolean
find_id (GListModel *model,
         guint       from,
         gint64      id,
         guint      *position)
{
  guint n = g_list_model_get_n_items (model);

  for (guint i = from; i < n; i++)
    {
      g_autoptr(HcQueueEntry) entry = g_list_model_get_item (model, i);

      if (entry->id == id)
        {
          *position = i;
          return TRUE;
        }
    }
  return FALSE;
}

void
hc_queue_entry_merge (GListStore *store,
                      GPtrArray  *fresh)
{
  GListModel *model = G_LIST_MODEL (store);
  g_autoptr(GHashTable) wanted = g_hash_table_new (g_int64_hash, g_int64_equal);
  g_autoptr(GHashTable) placed = g_hash_table_new (g_int64_hash, g_int64_equal);
  guint position = 0;
  guint i;

  g_return_if_fail (G_IS_LIST_STORE (store));
  g_return_if_fail (fresh != NULL);

  for (i = 0; i < fresh->len; i++)
    {
      HcQueueEntry *entry = g_ptr_array_index (fresh, i);

      g_hash_table_add (wanted, &entry->id);
    }

  /* Whoever left the queue goes, last first so positions hold. */
  for (i = g_list_model_get_n_items (model); i > 0; i--)
    {
      g_autoptr(HcQueueEntry) entry = g_list_model_get_item (model, i - 1);

      if (!g_hash_table_contains (wanted, &entry->id))
        g_list_store_remove (store, i - 1);
    }

  /* The rest keep their objects (and so their rows and the keyboard focus in
   * them); only a patient who is new, or who moved, is inserted. */
  for (i = 0; i < fresh->len; i++)
    {
      HcQueueEntry *entry = g_ptr_array_index (fresh, i);
      guint at;

      if (!g_hash_table_add (placed, &entry->id))
        continue;
      if (find_id (model, position, entry->id, &at))
        {
          g_autoptr(HcQueueEntry) kept = g_list_model_get_item (model, at);

          if (at != position)
            {
              g_list_store_remove (store, at);
              g_list_store_insert (store, position, kept);
            }
          hc_queue_entry_update (kept, entry);
        }
      else
        g_list_store_insert (store, position, entry);
      position++;
    }

  /* Nothing is left past them (but a store that held one id twice). */
  if (g_list_model_get_n_items (model) > position)
    g_list_store_splice (store, position, g_list_model_get_n_items (model) - position, NULL, 0);
}
