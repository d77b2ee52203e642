/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "hc-error.h"
#include "hc-sid.h"
#include "hc-store.h"

#include <glib/gstdio.h>
#include <signal.h>
#include <sys/wait.h>
#include <string.h>
#include <unistd.h>

typedef struct
{
  char    *dir;
  char    *path;
  HcStore *store;
} Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  f->dir = g_dir_make_tmp ("hc-store-XXXXXX", &error);
  g_assert_no_error (error);
  f->path = g_build_filename (f->dir, "housecalld.db", NULL);
  f->store = hc_store_open (f->path, &error);
  g_assert_no_error (error);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(GDir) dir = NULL;
  const char *name;

  if (f->store != NULL)
    g_assert_finalize_object (f->store);
  dir = g_dir_open (f->dir, 0, NULL);
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (f->dir, name, NULL);
      g_unlink (child);
    }
  g_rmdir (f->dir);
  g_free (f->path);
  g_free (f->dir);
}

static HcRoomRecord *
make_room (const char *name,
           const char *codec)
{
  HcRoomRecord *room = g_new0 (HcRoomRecord, 1);

  room->sid = hc_sid_new ("RM");
  room->unique_name = g_strdup (name);
  room->type = g_strdup ("group");
  room->video_codec = g_strdup (codec);
  room->max_participants = 4;
  room->date_created = 1800000000;
  return room;
}

static void
test_migrations (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(HcStore) again = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (hc_store_get_schema_version (f->store), >=, 1);
  /* Opening an up-to-date store migrates nothing and keeps the version. */
  again = hc_store_open (f->path, &error);
  g_assert_no_error (error);
  g_assert_cmpint (hc_store_get_schema_version (again), ==,
                   hc_store_get_schema_version (f->store));
}

static void
test_newer_schema_refused (Fixture       *f,
                           gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(HcStore) newer = NULL;
  g_autofree char *command = g_strdup_printf ("sqlite3 '%s' 'PRAGMA user_version = 999'",
                                              f->path);
  g_autofree char *sqlite3 = g_find_program_in_path ("sqlite3");

  if (sqlite3 == NULL)
    {
      g_test_skip ("sqlite3 is not installed");
      return;
    }
  g_clear_object (&f->store);
  g_assert_true (g_spawn_command_line_sync (command, NULL, NULL, NULL, NULL));
  newer = hc_store_open (f->path, &error);
  g_assert_null (newer);
  g_assert_error (error, HC_ERROR, HC_ERROR_STORE);
}

static void
test_providers (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(HcProviderRecord) provider = NULL;
  g_autoptr(GPtrArray) list = NULL;

  g_assert_true (hc_store_add_provider (f->store, "drsmith", "Dr Smith", "$argon2id$x", &error));
  g_assert_false (hc_store_add_provider (f->store, "drsmith", "Dr Smith", "$argon2id$y", &error));
  g_assert_error (error, HC_ERROR, HC_ERROR_INVALID_PARAMETER);
  g_clear_error (&error);

  provider = hc_store_lookup_provider (f->store, "drsmith", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (provider->display_name, ==, "Dr Smith");
  g_assert_false (provider->disabled);
  g_clear_pointer (&provider, hc_provider_record_free);

  g_assert_true (hc_store_set_provider_disabled (f->store, "drsmith", TRUE, &error));
  provider = hc_store_lookup_provider (f->store, "drsmith", &error);
  g_assert_true (provider->disabled);
  g_assert_false (hc_store_set_provider_disabled (f->store, "nobody", TRUE, &error));
  g_assert_error (error, HC_ERROR, HC_ERROR_NOT_FOUND);
  g_clear_error (&error);

  g_assert_null (hc_store_lookup_provider (f->store, "nobody", &error));
  g_assert_no_error (error);
  list = hc_store_list_providers (f->store, &error);
  g_assert_cmpuint (list->len, ==, 1);
}

static void
test_rooms (Fixture       *f,
            gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(HcRoomRecord) room = make_room ("visit-1", "H264");
  g_autoptr(HcRoomRecord) same_name = make_room ("visit-1", "VP8");
  g_autoptr(HcRoomRecord) found = NULL;
  g_autoptr(GPtrArray) active = NULL;

  g_assert_true (hc_store_insert_room (f->store, room, &error));
  /* One room in progress per unique name... */
  g_assert_false (hc_store_insert_room (f->store, same_name, &error));
  g_assert_error (error, HC_ERROR, HC_ERROR_ROOM_EXISTS);
  g_clear_error (&error);

  found = hc_store_find_room (f->store, "visit-1", &error);
  g_assert_cmpstr (found->sid, ==, room->sid);
  g_assert_cmpstr (found->video_codec, ==, "H264");
  g_assert_cmpstr (found->status, ==, "in-progress");
  g_clear_pointer (&found, hc_room_record_free);

  g_assert_true (hc_store_insert_participant (f->store, "PA1", room->sid, "alice", "provider",
                                              1800000001, &error));
  g_assert_cmpint (hc_store_count_connected (f->store, room->sid, NULL), ==, 1);
  g_assert_true (hc_store_identity_in_room (f->store, "alice", room->sid, NULL));
  g_assert_true (hc_store_identity_in_room (f->store, "alice", room->sid, "provider"));
  g_assert_false (hc_store_identity_in_room (f->store, "alice", room->sid, "guest"));

  g_assert_true (hc_store_complete_room (f->store, room->sid, 1800000100, &error));
  g_assert_cmpint (hc_store_count_connected (f->store, room->sid, NULL), ==, 0);
  found = hc_store_find_room (f->store, room->sid, &error);
  g_assert_cmpstr (found->status, ==, "completed");
  g_assert_cmpint (found->end_time, ==, 1800000100);
  g_clear_pointer (&found, hc_room_record_free);

  /* ...and the name is free again once the room completed. */
  g_assert_true (hc_store_insert_room (f->store, same_name, &error));
  found = hc_store_find_room (f->store, "visit-1", &error);
  g_assert_cmpstr (found->sid, ==, same_name->sid);

  active = hc_store_list_rooms (f->store, "in-progress", NULL, 50, &error);
  g_assert_cmpuint (active->len, ==, 1);
}

static void
test_tokens (Fixture       *f,
             gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) list = NULL;
  HcTokenRecord token = {
    .jti = "SKx-1", .identity = "interpreter-es", .room_sid = "RMroom", .issued_by = "drsmith",
    .date_created = 1800000000, .date_expires = 1800003600,
  };

  g_assert_true (hc_store_record_token (f->store, &token, &error));
  g_assert_false (hc_store_token_is_revoked (f->store, "SKx-1"));
  /* Tokens we never minted (from a Twilio-style token server) are not revoked. */
  g_assert_false (hc_store_token_is_revoked (f->store, "unknown"));

  list = hc_store_list_tokens (f->store, "RMroom", 1800000001, &error);
  g_assert_cmpuint (list->len, ==, 1);
  g_clear_pointer (&list, g_ptr_array_unref);

  /* Revoking needs the right room. */
  g_assert_false (hc_store_revoke_token (f->store, "SKx-1", "RMother", 1800000002, &error));
  g_assert_error (error, HC_ERROR, HC_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_true (hc_store_revoke_token (f->store, "SKx-1", "RMroom", 1800000002, &error));
  g_assert_true (hc_store_token_is_revoked (f->store, "SKx-1"));
  list = hc_store_list_tokens (f->store, "RMroom", 1800000003, &error);
  g_assert_cmpuint (list->len, ==, 0);
}

static HcSmsRecord *
make_guest_invite (const char *jti)
{
  HcSmsRecord *sms = g_new0 (HcSmsRecord, 1);

  sms->sid = hc_sid_new ("MS");
  sms->kind = g_strdup ("guest-invite");
  sms->to_number = g_strdup ("+14155550150");
  sms->body = g_strdup ("Clinic: join the video visit: https://x.example/call.html#room=RM1&token=T");
  sms->segments = 1;
  sms->status = g_strdup ("scheduled");
  sms->token_jti = g_strdup (jti);
  sms->expires_at = 1800003600;
  sms->date_created = 1800000000;
  sms->due_at = 1800000000;
  return sms;
}

static void
test_guest_sms (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(HcSmsRecord) sms = make_guest_invite ("SKjti-1");
  g_autoptr(HcSmsRecord) other = make_guest_invite ("SKjti-2");
  g_autoptr(HcSmsRecord) orphan = make_guest_invite (NULL);
  g_autoptr(HcSmsRecord) found = NULL;
  HcSmsUpdate retry = { .status = "scheduled", .due_at = 1800000100, .error_code = 54021,
                        .error_message = "down" };
  HcSmsUpdate queued = { .status = "queued", .gateway_id = "SM1", .error_code = 0,
                         .date_sent = 1800000101 };
  gboolean started = FALSE;
  gboolean changed = FALSE;

  g_assert_true (hc_store_insert_sms (f->store, sms, &error));
  g_assert_no_error (error);
  /* A guest invite is tied to a token. */
  g_assert_false (hc_store_insert_sms (f->store, orphan, &error));
  g_assert_error (error, HC_ERROR, HC_ERROR_STORE);
  g_clear_error (&error);

  found = hc_store_find_sms_by_token (f->store, "SKjti-1", &error);
  g_assert_nonnull (found);
  g_assert_cmpstr (found->sid, ==, sms->sid);
  g_assert_cmpstr (found->body, ==, sms->body);
  g_assert_cmpint (found->expires_at, ==, 1800003600);
  g_assert_null (found->appointment_sid);
  g_clear_pointer (&found, hc_sms_record_free);

  /* The text stays while a send may need it: sending, back to scheduled for
   * a retry, sending again; it goes once the gateway has it. */
  g_assert_true (hc_store_sms_begin_send (f->store, sms->sid, sms->body, 1, "twilio", 1800000001,
                                          1800000091, &started, &error));
  g_assert_true (started);
  g_assert_true (hc_store_sms_update (f->store, sms->sid, "sending", &retry, 1800000002, &changed,
                                      &error));
  g_assert_true (changed);
  found = hc_store_find_sms (f->store, sms->sid, &error);
  g_assert_cmpstr (found->body, ==, sms->body);
  g_clear_pointer (&found, hc_sms_record_free);
  g_assert_true (hc_store_sms_begin_send (f->store, sms->sid, sms->body, 1, "twilio", 1800000100,
                                          1800000190, &started, &error));
  g_assert_true (hc_store_sms_update (f->store, sms->sid, "sending", &queued, 1800000101, &changed,
                                      &error));
  found = hc_store_find_sms (f->store, sms->sid, &error);
  g_assert_cmpstr (found->status, ==, "queued");
  g_assert_null (found->body);
  g_clear_pointer (&found, hc_sms_record_free);

  /* Revocation cancels a text still waiting and drops it. */
  g_assert_true (hc_store_insert_sms (f->store, other, &error));
  g_assert_true (hc_store_cancel_token_sms (f->store, "SKjti-2", 1800000200, &error));
  g_assert_no_error (error);
  found = hc_store_find_sms_by_token (f->store, "SKjti-2", &error);
  g_assert_cmpstr (found->status, ==, "cancelled");
  g_assert_null (found->body);
  g_clear_pointer (&found, hc_sms_record_free);
  /* ... and leaves a sent one alone. */
  g_assert_true (hc_store_cancel_token_sms (f->store, "SKjti-1", 1800000200, &error));
  found = hc_store_find_sms_by_token (f->store, "SKjti-1", &error);
  g_assert_cmpstr (found->status, ==, "queued");
}

static void
test_audit (Fixture       *f,
            gconstpointer  data)
{
  g_autoptr(GPtrArray) records = NULL;
  HcAuditRecord *newest;

  hc_store_audit (f->store, "login.succeeded", "drsmith", "SKx-2", "127.0.0.1");
  hc_store_audit (f->store, "room.created", "drsmith", "RMroom", NULL);
  records = hc_store_list_audit (f->store, 10, NULL);
  g_assert_cmpuint (records->len, ==, 2);
  newest = g_ptr_array_index (records, 0);
  g_assert_cmpstr (newest->event, ==, "room.created");
  g_assert_null (newest->address);
}

static void
test_survives_kill (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(HcStore) reopened = NULL;
  g_autoptr(HcRoomRecord) found = NULL;
  g_autoptr(HcRoomRecord) room = make_room ("before-the-crash", "VP8");
  int status = 0;
  pid_t pid;

  g_clear_object (&f->store);
  pid = fork ();
  g_assert_cmpint (pid, >=, 0);
  if (pid == 0)
    {
      /* The child writes through its own connection and dies without any
       * chance to close the database. */
      HcStore *store = hc_store_open (f->path, NULL);

      if (store == NULL || !hc_store_insert_room (store, room, NULL))
        _exit (1);
      hc_store_audit (store, "room.created", NULL, room->sid, NULL);
      raise (SIGKILL);
      _exit (2);
    }
  g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);
  g_assert_true (WIFSIGNALED (status));
  g_assert_cmpint (WTERMSIG (status), ==, SIGKILL);

  reopened = hc_store_open (f->path, &error);
  g_assert_no_error (error);
  found = hc_store_find_room (reopened, "before-the-crash", &error);
  g_assert_no_error (error);
  g_assert_nonnull (found);
  g_assert_cmpstr (found->sid, ==, room->sid);
}

static HcPhoneCallRecord *
make_call (const char *room_sid,
           const char *status,
           gint64      created)
{
  HcPhoneCallRecord *call = g_new0 (HcPhoneCallRecord, 1);

  call->sid = hc_sid_new (HC_SID_PREFIX_CALL);
  call->room_sid = g_strdup (room_sid);
  call->participant_sid = hc_sid_new (HC_SID_PREFIX_PARTICIPANT);
  call->created_by = g_strdup ("drsmith");
  call->to = g_strdup ("+14155550123");
  call->label = g_strdup ("Interpreter (es)");
  call->send_digits = g_strdup ("ww12#");
  call->status = g_strdup (status);
  call->date_created = created;
  call->date_updated = created;
  return call;
}

static void
test_phone_calls (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(HcPhoneCallRecord) ringing = make_call ("RMroom1", "ringing", 100);
  g_autoptr(HcPhoneCallRecord) answered = make_call ("RMroom1", "answered", 101);
  g_autoptr(HcPhoneCallRecord) busy = make_call ("RMroom1", "busy", 102);
  g_autoptr(HcPhoneCallRecord) elsewhere = make_call ("RMroom2", "initiated", 103);
  g_autoptr(HcPhoneCallRecord) found = NULL;
  g_autoptr(HcPhoneCallRecord) copy = NULL;
  g_autoptr(GPtrArray) list = NULL;

  answered->start_time = 150;
  answered->sip_code = 200;
  answered->sip_reason = g_strdup ("OK");
  busy->sip_code = 486;
  busy->status_callback = g_strdup ("https://example.org/status");
  busy->callback_events = g_strdup ("ringing completed");
  for (HcPhoneCallRecord **c = (HcPhoneCallRecord *[]) { ringing, answered, busy, elsewhere, NULL };
       *c != NULL; c++)
    {
      g_assert_true (hc_store_save_phone_call (f->store, *c, &error));
      g_assert_no_error (error);
    }

  /* Saving again replaces the record. */
  g_free (ringing->status);
  ringing->status = g_strdup ("ringing");
  ringing->sip_code = 180;
  g_assert_true (hc_store_save_phone_call (f->store, ringing, &error));
  found = hc_store_find_phone_call (f->store, ringing->sid, &error);
  g_assert_no_error (error);
  g_assert_cmpint (found->sip_code, ==, 180);
  g_assert_cmpstr (found->participant_sid, ==, ringing->participant_sid);
  g_assert_cmpstr (found->send_digits, ==, "ww12#");
  g_assert_null (hc_store_find_phone_call (f->store, "CA00000000000000000000000000000000", &error));
  g_assert_no_error (error);

  copy = hc_phone_call_record_copy (busy);
  g_assert_cmpstr (copy->callback_events, ==, "ringing completed");
  g_assert_true (copy->status != busy->status);

  list = hc_store_list_phone_calls (f->store, "RMroom1", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (list->len, ==, 3);
  g_assert_cmpstr (((HcPhoneCallRecord *) list->pdata[0])->sid, ==, ringing->sid);
  g_assert_cmpstr (((HcPhoneCallRecord *) list->pdata[2])->status, ==, "busy");

  /* After a restart: the answered call was cut off, the others never got
   * through; finished calls stay as they were. */
  g_assert_cmpint (hc_store_end_unfinished_phone_calls (f->store, 500, &error), ==, 3);
  g_clear_pointer (&found, hc_phone_call_record_free);
  found = hc_store_find_phone_call (f->store, answered->sid, &error);
  g_assert_cmpstr (found->status, ==, "completed");
  g_assert_cmpstr (found->hangup_by, ==, "server-restart");
  g_assert_cmpint (found->end_time, ==, 500);
  g_assert_cmpint (found->error_code, ==, 0);
  g_clear_pointer (&found, hc_phone_call_record_free);
  found = hc_store_find_phone_call (f->store, ringing->sid, &error);
  g_assert_cmpstr (found->status, ==, "failed");
  g_assert_cmpint (found->error_code, ==, HC_ERROR_PHONE_CALL_FAILED);
  g_clear_pointer (&found, hc_phone_call_record_free);
  found = hc_store_find_phone_call (f->store, busy->sid, &error);
  g_assert_cmpstr (found->status, ==, "busy");
  g_assert_null (found->hangup_by);
  g_assert_cmpint (hc_store_end_unfinished_phone_calls (f->store, 600, &error), ==, 0);
}

/* Checks in one patient of @provider (NULL: nobody's) at @at. */
static gint64
check_in (Fixture    *f,
          const char *provider,
          gint64      at)
{
  g_autoptr(HcAppointmentRecord) appointment = g_new0 (HcAppointmentRecord, 1);
  g_autoptr(HcWaitingEntry) entry = g_new0 (HcWaitingEntry, 1);
  g_autoptr(HcWaitingEntry) stored = NULL;
  g_autoptr(GPtrArray) messages = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;

  appointment->sid = hc_sid_new ("AP");
  appointment->patient_name = g_strdup ("Pat Example");
  appointment->mobile = g_strdup ("+14155550123");
  appointment->start_time = at + 600;
  appointment->provider = g_strdup (provider);
  appointment->status = g_strdup ("scheduled");
  appointment->visit_code = hc_random_hex (8);
  appointment->visit_code_expires = at + 3600;
  appointment->date_created = at;
  appointment->date_updated = at;
  g_assert_true (hc_store_insert_appointment (f->store, appointment, messages, &error));
  g_assert_no_error (error);

  entry->appointment_sid = g_strdup (appointment->sid);
  entry->provider = g_strdup (provider);
  entry->identity = g_strconcat ("patient-", appointment->sid, NULL);
  entry->display_name = g_strdup ("Pat");
  entry->preflight = g_strdup ("{\"verdict\":5}");
  entry->verdict = 5;
  g_assert_true (hc_store_check_in (f->store, entry, at, &error));
  g_assert_no_error (error);
  stored = hc_store_find_waiting_by_appointment (f->store, appointment->sid, &error);
  g_assert_no_error (error);
  return stored->id;
}

/* A provider's list is their entries and everyone's, in one queue order: the
 * check-in time, then the id among those checked in the same second. */
static void
test_waiting_list (Fixture       *f,
                   gconstpointer  data)
{
  static const char *const providers[] = { "drsmith", NULL, "drjones", "drsmith", NULL,
                                            "drjones", "drsmith", NULL, "drsmith" };
  static const gint64 times[] = { 100, 100, 100, 90, 120, 95, 100, 90, 130 };
  static const char *const statuses[] = { "waiting", "admitted", "waiting", "waiting", "left",
                                          "waiting", "removed", "waiting", "admitted" };
  gint64 ids[G_N_ELEMENTS (providers)];
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) all = NULL;
  g_autoptr(GPtrArray) smith = NULL;
  g_autoptr(GPtrArray) nobody = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (providers); i++)
    {
      ids[i] = check_in (f, providers[i], times[i]);
      if (strcmp (statuses[i], "waiting") != 0)
        g_assert_true (hc_store_set_waiting_status (f->store, ids[i], statuses[i], NULL, NULL,
                                                    times[i], &error));
      g_assert_no_error (error);
    }

  all = hc_store_list_waiting (f->store, NULL, &error);
  g_assert_no_error (error);
  {
    const guint expected[] = { 3, 7, 5, 0, 1, 2, 8 };

    g_assert_cmpuint (all->len, ==, G_N_ELEMENTS (expected));
    for (guint i = 0; i < all->len; i++)
      g_assert_cmpint (((HcWaitingEntry *) all->pdata[i])->id, ==, ids[expected[i]]);
  }

  smith = hc_store_list_waiting (f->store, "drsmith", &error);
  g_assert_no_error (error);
  {
    const guint expected[] = { 3, 7, 0, 1, 8 };

    g_assert_cmpuint (smith->len, ==, G_N_ELEMENTS (expected));
    for (guint i = 0; i < smith->len; i++)
      {
        HcWaitingEntry *entry = smith->pdata[i];

        g_assert_cmpint (entry->id, ==, ids[expected[i]]);
        g_assert_cmpstr (entry->provider, ==, providers[expected[i]]);
        g_assert_cmpstr (entry->status, ==, statuses[expected[i]]);
        g_assert_cmpstr (entry->preflight, ==, "{\"verdict\":5}");
        g_assert_cmpint (entry->start_time, ==, times[expected[i]] + 600);
      }
  }

  /* A provider with no entries of their own sees everyone's. */
  nobody = hc_store_list_waiting (f->store, "drwho", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (nobody->len, ==, 2);
  g_assert_cmpint (((HcWaitingEntry *) nobody->pdata[0])->id, ==, ids[7]);
  g_assert_cmpint (((HcWaitingEntry *) nobody->pdata[1])->id, ==, ids[1]);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/store/migrations", Fixture, NULL, fixture_setup, test_migrations,
              fixture_teardown);
  g_test_add ("/store/newer-schema-refused", Fixture, NULL, fixture_setup,
              test_newer_schema_refused, fixture_teardown);
  g_test_add ("/store/providers", Fixture, NULL, fixture_setup, test_providers, fixture_teardown);
  g_test_add ("/store/rooms", Fixture, NULL, fixture_setup, test_rooms, fixture_teardown);
  g_test_add ("/store/tokens", Fixture, NULL, fixture_setup, test_tokens, fixture_teardown);
  g_test_add ("/store/audit", Fixture, NULL, fixture_setup, test_audit, fixture_teardown);
  g_test_add ("/store/guest-sms", Fixture, NULL, fixture_setup, test_guest_sms, fixture_teardown);
  g_test_add ("/store/phone-calls", Fixture, NULL, fixture_setup, test_phone_calls,
              fixture_teardown);
  g_test_add ("/store/waiting-list", Fixture, NULL, fixture_setup, test_waiting_list,
              fixture_teardown);
  g_test_add ("/store/survives-kill", Fixture, NULL, fixture_setup, test_survives_kill,
              fixture_teardown);
  return g_test_run ();
}
