/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define HC_TYPE_QUEUE_ENTRY (hc_queue_entry_get_type ())
G_DECLARE_FINAL_TYPE (HcQueueEntry, hc_queue_entry, HC, QUEUE_ENTRY, GObject)

/* One patient in the provider's waiting room, as the server lists them. */
HcQueueEntry *hc_queue_entry_new_from_json   (JsonObject   *object);
gint64        hc_queue_entry_get_id          (HcQueueEntry *self);
const char   *hc_queue_entry_get_name        (HcQueueEntry *self);
gint64        hc_queue_entry_get_start_time  (HcQueueEntry *self);
gint64        hc_queue_entry_get_waited      (HcQueueEntry *self);
gint          hc_queue_entry_get_verdict     (HcQueueEntry *self);
gboolean      hc_queue_entry_get_devices_ok  (HcQueueEntry *self);
gboolean      hc_queue_entry_get_intake_done (HcQueueEntry *self);
gboolean      hc_queue_entry_get_connected   (HcQueueEntry *self);

/* Makes @store (of HcQueueEntry) hold @fresh's entries in @fresh's order.
 * An entry already in @store stays the same object and takes the new
 * values (notifying what changed); @fresh's duplicate ids are ignored. */
void          hc_queue_entry_merge           (GListStore   *store,
                                              GPtrArray    *fresh);

G_END_DECLS
