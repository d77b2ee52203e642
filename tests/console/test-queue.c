/* SPDX-License-Identifier: GPL-3.0-or-later */

#define G_LOG_DOMAIN "HcTestQueue"

#include "config.h"

#include "hc-queue-entry.h"

/* The waiting-room list follows the server's answer at every poll without
 * replacing the entries that are still there: their rows, and the keyboard
 * focus on an Admit button, must survive the poll. */

typedef struct
{
  GListStore *store;
  GString    *changes;   /* "position:removed:added " per items-changed */
  guint       notified;  /* notify emissions on the entries */
} Fixture;

static void
on_items_changed (GListModel *model,
                  guint       position,
                  guint       removed,
                  guint       added,
                  Fixture    *fixture)
{
  g_string_append_printf (fixture->changes, "%u:%u:%u ", position, removed, added);
}

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  fixture->store = g_list_store_new (HC_TYPE_QUEUE_ENTRY);
  fixture->changes = g_string_new (NULL);
  g_signal_connect (fixture->store, "items-changed", G_CALLBACK (on_items_changed), fixture);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  g_assert_finalize_object (fixture->store);
  g_string_free (fixture->changes, TRUE);
}

static HcQueueEntry *
entry (gint64      id,
       const char *name,
       gint64      waited,
       gint        verdict)
{
  g_autoptr(JsonObject) object = json_object_new ();

  json_object_set_int_member (object, "id", id);
  json_object_set_string_member (object, "name", name);
  json_object_set_string_member (object, "status", "waiting");
  json_object_set_string_member (object, "start_time", "2026-12-07T09:30:00Z");
  json_object_set_int_member (object, "waited_seconds", waited);
  json_object_set_int_member (object, "verdict", verdict);
  json_object_set_boolean_member (object, "devices_ok", TRUE);
  json_object_set_boolean_member (object, "connected", TRUE);
  return hc_queue_entry_new_from_json (object);
}

/* A poll's answer: ids, each waited 60 s times its id plus @extra. */
static GPtrArray *
answer (gint64        extra,
        const gint64 *ids,
        guint         n)
{
  GPtrArray *fresh = g_ptr_array_new_with_free_func (g_object_unref);

  for (guint i = 0; i < n; i++)
    {
      g_autofree char *name = g_strdup_printf ("Patient %" G_GINT64_FORMAT, ids[i]);

      g_ptr_array_add (fresh, entry (ids[i], name, ids[i] * 60 + extra, 4));
    }
  return fresh;
}

static void
merge (Fixture      *fixture,
       gint64        extra,
       const gint64 *ids,
       guint         n)
{
  g_autoptr(GPtrArray) fresh = answer (extra, ids, n);

  g_string_truncate (fixture->changes, 0);
  hc_queue_entry_merge (fixture->store, fresh);
}

static void
assert_ids (Fixture      *fixture,
            const gint64 *ids,
            guint         n)
{
  GListModel *model = G_LIST_MODEL (fixture->store);

  g_assert_cmpuint (g_list_model_get_n_items (model), ==, n);
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(HcQueueEntry) item = g_list_model_get_item (model, i);

      g_assert_cmpint (hc_queue_entry_get_id (item), ==, ids[i]);
    }
}

static HcQueueEntry *
item_at (Fixture *fixture,
         guint    position)
{
  g_autoptr(HcQueueEntry) item = g_list_model_get_item (G_LIST_MODEL (fixture->store), position);

  /* The store keeps it alive. */
  return item;
}

static void
on_notify (GObject    *object,
           GParamSpec *pspec,
           Fixture    *fixture)
{
  fixture->notified++;
}

static void
test_same_answer_changes_nothing (Fixture       *fixture,
                                  gconstpointer  data)
{
  static const gint64 ids[] = { 11, 12, 13 };
  HcQueueEntry *first;
  HcQueueEntry *last;

  merge (fixture, 0, ids, G_N_ELEMENTS (ids));
  g_assert_cmpstr (fixture->changes->str, ==, "0:0:1 1:0:1 2:0:1 ");
  assert_ids (fixture, ids, G_N_ELEMENTS (ids));
  first = item_at (fixture, 0);
  last = item_at (fixture, 2);
  g_signal_connect (first, "notify", G_CALLBACK (on_notify), fixture);

  merge (fixture, 0, ids, G_N_ELEMENTS (ids));
  g_assert_cmpstr (fixture->changes->str, ==, "");
  g_assert_true (item_at (fixture, 0) == first);
  g_assert_true (item_at (fixture, 2) == last);
  g_assert_cmpuint (fixture->notified, ==, 0);
}

static void
test_new_values_are_notified_in_place (Fixture       *fixture,
                                       gconstpointer  data)
{
  static const gint64 ids[] = { 21, 22 };
  g_autoptr(GPtrArray) fresh = NULL;
  HcQueueEntry *second;

  merge (fixture, 0, ids, G_N_ELEMENTS (ids));
  second = item_at (fixture, 1);
  g_signal_connect (second, "notify::waited", G_CALLBACK (on_notify), fixture);
  g_signal_connect (second, "notify::verdict", G_CALLBACK (on_notify), fixture);
  g_signal_connect (second, "notify::name", G_CALLBACK (on_notify), fixture);

  /* A minute later, and the second patient's connection got weak. */
  fresh = answer (60, ids, G_N_ELEMENTS (ids));
  g_ptr_array_remove_index (fresh, 1);
  g_ptr_array_add (fresh, entry (22, "Patient 22", 22 * 60 + 60, 2));
  g_string_truncate (fixture->changes, 0);
  hc_queue_entry_merge (fixture->store, fresh);

  g_assert_cmpstr (fixture->changes->str, ==, "");
  g_assert_true (item_at (fixture, 1) == second);
  g_assert_cmpint (hc_queue_entry_get_waited (second), ==, 22 * 60 + 60);
  g_assert_cmpint (hc_queue_entry_get_verdict (second), ==, 2);
  g_assert_cmpstr (hc_queue_entry_get_name (second), ==, "Patient 22");
  /* waited and verdict, not the name, which did not change. */
  g_assert_cmpuint (fixture->notified, ==, 2);
}

static void
test_arrivals_and_departures (Fixture       *fixture,
                              gconstpointer  data)
{
  static const gint64 before[] = { 31, 32, 33, 34 };
  static const gint64 after[] = { 31, 33, 34, 35 };
  static const gint64 admitted_all[] = { 0 };
  HcQueueEntry *kept[3];

  merge (fixture, 0, before, G_N_ELEMENTS (before));
  kept[0] = item_at (fixture, 0);
  kept[1] = item_at (fixture, 2);
  kept[2] = item_at (fixture, 3);

  /* 32 was admitted, 35 checked in: one removal, one insertion. */
  merge (fixture, 0, after, G_N_ELEMENTS (after));
  g_assert_cmpstr (fixture->changes->str, ==, "1:1:0 3:0:1 ");
  assert_ids (fixture, after, G_N_ELEMENTS (after));
  g_assert_true (item_at (fixture, 0) == kept[0]);
  g_assert_true (item_at (fixture, 1) == kept[1]);
  g_assert_true (item_at (fixture, 2) == kept[2]);

  merge (fixture, 0, admitted_all, 0);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (fixture->store)), ==, 0);
}

static void
test_reorder_and_duplicates (Fixture       *fixture,
                             gconstpointer  data)
{
  static const gint64 before[] = { 41, 42, 43 };
  static const gint64 moved[] = { 43, 41, 42 };
  static const gint64 twice[] = { 43, 41, 43, 42, 41 };
  HcQueueEntry *third;

  merge (fixture, 0, before, G_N_ELEMENTS (before));
  third = item_at (fixture, 2);

  /* A patient moved up (e.g. an earlier appointment): the same entry. */
  merge (fixture, 0, moved, G_N_ELEMENTS (moved));
  assert_ids (fixture, moved, G_N_ELEMENTS (moved));
  g_assert_true (item_at (fixture, 0) == third);

  /* An id the answer repeats is shown once, where it first appears. */
  merge (fixture, 0, twice, G_N_ELEMENTS (twice));
  g_assert_cmpstr (fixture->changes->str, ==, "");
  assert_ids (fixture, moved, G_N_ELEMENTS (moved));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/console/queue/same-answer-changes-nothing", Fixture, NULL,
              fixture_set_up, test_same_answer_changes_nothing, fixture_tear_down);
  g_test_add ("/console/queue/new-values-notified-in-place", Fixture, NULL,
              fixture_set_up, test_new_values_are_notified_in_place, fixture_tear_down);
  g_test_add ("/console/queue/arrivals-and-departures", Fixture, NULL,
              fixture_set_up, test_arrivals_and_departures, fixture_tear_down);
  g_test_add ("/console/queue/reorder-and-duplicates", Fixture, NULL,
              fixture_set_up, test_reorder_and_duplicates, fixture_tear_down);

  return g_test_run ();
}
