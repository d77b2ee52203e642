/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "HcStore"

#include "config.h"

#include "hc-error.h"
#include "hc-store.h"

#include <sqlite3.h>

struct _HcStore
{
  GObject   parent_instance;

  char     *path;
  sqlite3  *db;
  int       schema_version;
};

G_DEFINE_FINAL_TYPE (HcStore, hc_store, G_TYPE_OBJECT)

/*
 * Each entry moves the schema one version forward and runs in its own
 * transaction together with the bump of user_version, so a crash during an
 * upgrade leaves the previous version intact. Never edit a shipped entry:
 * append a new one.
 */
static const char * const migrations[] = {
  /* 1: the foundation. */
  "CREATE TABLE providers ("
  "  id INTEGER PRIMARY KEY,"
  "  username TEXT NOT NULL UNIQUE,"
  "  display_name TEXT NOT NULL,"
  "  password_hash TEXT NOT NULL,"
  "  disabled INTEGER NOT NULL DEFAULT 0,"
  "  date_created INTEGER NOT NULL);"
  "CREATE TABLE rooms ("
  "  sid TEXT PRIMARY KEY,"
  "  unique_name TEXT NOT NULL,"
  "  status TEXT NOT NULL CHECK (status IN ('in-progress', 'completed')),"
  "  type TEXT NOT NULL,"
  "  video_codec TEXT NOT NULL CHECK (video_codec IN ('VP8', 'H264')),"
  "  max_participants INTEGER NOT NULL,"
  "  status_callback TEXT,"
  "  created_by TEXT,"
  "  ad_hoc INTEGER NOT NULL DEFAULT 0,"
  "  date_created INTEGER NOT NULL,"
  "  date_updated INTEGER NOT NULL,"
  "  end_time INTEGER);"
  /* A unique name is unique among rooms in progress; a completed room's name
   * may be reused, as with Twilio. */
  "CREATE UNIQUE INDEX rooms_active_name ON rooms (unique_name) WHERE status = 'in-progress';"
  "CREATE TABLE participants ("
  "  sid TEXT PRIMARY KEY,"
  "  room_sid TEXT NOT NULL REFERENCES rooms (sid),"
  "  identity TEXT NOT NULL,"
  "  role TEXT NOT NULL,"
  "  status TEXT NOT NULL CHECK (status IN ('connected', 'disconnected')),"
  "  start_time INTEGER NOT NULL,"
  "  end_time INTEGER);"
  "CREATE INDEX participants_room ON participants (room_sid, status);"
  "CREATE TABLE visits ("
  "  id INTEGER PRIMARY KEY,"
  "  room_sid TEXT REFERENCES rooms (sid),"
  "  provider TEXT,"
  "  start_time INTEGER,"
  "  end_time INTEGER);"
  "CREATE TABLE tokens ("
  "  jti TEXT PRIMARY KEY,"
  "  kind TEXT NOT NULL,"
  "  identity TEXT NOT NULL,"
  "  room_sid TEXT,"
  "  issued_by TEXT,"
  "  date_created INTEGER NOT NULL,"
  "  date_expires INTEGER NOT NULL,"
  "  date_revoked INTEGER);"
  "CREATE INDEX tokens_room ON tokens (room_sid);"
  "CREATE TABLE audit ("
  "  id INTEGER PRIMARY KEY,"
  "  time INTEGER NOT NULL,"
  "  event TEXT NOT NULL,"
  "  actor TEXT,"
  "  subject TEXT,"
  "  address TEXT);",

  /* 2: appointments, their SMS messages (the send queue) and opt-outs. */
  "CREATE TABLE appointments ("
  "  sid TEXT PRIMARY KEY,"
  "  patient_name TEXT NOT NULL,"
  "  mobile TEXT NOT NULL,"
  "  start_time INTEGER NOT NULL,"
  "  provider TEXT,"
  "  note TEXT,"
  "  status TEXT NOT NULL CHECK (status IN ('scheduled', 'cancelled')),"
  "  visit_code TEXT NOT NULL UNIQUE,"
  "  visit_code_expires INTEGER NOT NULL,"
  "  visit_code_used INTEGER,"
  "  created_by TEXT,"
  "  date_created INTEGER NOT NULL,"
  "  date_updated INTEGER NOT NULL);"
  "CREATE INDEX appointments_start ON appointments (start_time);"
  "CREATE TABLE sms_messages ("
  "  sid TEXT PRIMARY KEY,"
  "  appointment_sid TEXT REFERENCES appointments (sid),"
  "  kind TEXT NOT NULL CHECK (kind IN ('invite', 'reminder', 'update', 'cancel')),"
  "  reminder_offset INTEGER,"
  "  to_number TEXT NOT NULL,"
  "  body TEXT,"
  "  segments INTEGER,"
  "  status TEXT NOT NULL CHECK (status IN ('scheduled', 'sending', 'queued', 'sent',"
  "    'delivered', 'failed', 'cancelled', 'suppressed')),"
  "  due_at INTEGER NOT NULL,"
  "  attempts INTEGER NOT NULL DEFAULT 0,"
  "  sending_since INTEGER,"
  "  gateway TEXT,"
  "  gateway_id TEXT,"
  "  error_code INTEGER,"
  "  error_message TEXT,"
  "  date_created INTEGER NOT NULL,"
  "  date_updated INTEGER NOT NULL,"
  "  date_sent INTEGER);"
  "CREATE INDEX sms_messages_due ON sms_messages (status, due_at);"
  "CREATE INDEX sms_messages_appointment ON sms_messages (appointment_sid);"
  "CREATE INDEX sms_messages_gateway_id ON sms_messages (gateway, gateway_id);"
  "CREATE TABLE sms_opt_outs ("
  "  number TEXT PRIMARY KEY,"
  "  opted_out INTEGER NOT NULL,"
  "  date_updated INTEGER NOT NULL);",

  /* 3: the waiting room: one entry per appointment, its place kept by the
   * first check-in. */
  "CREATE TABLE waiting_room ("
  "  id INTEGER PRIMARY KEY,"
  "  appointment_sid TEXT NOT NULL UNIQUE REFERENCES appointments (sid),"
  "  provider TEXT,"
  "  identity TEXT NOT NULL UNIQUE,"
  "  display_name TEXT NOT NULL,"
  "  checked_in_at INTEGER NOT NULL,"
  "  status TEXT NOT NULL CHECK (status IN ('waiting', 'admitted', 'removed', 'left', 'done')),"
  "  preflight TEXT,"
  "  intake TEXT,"
  "  verdict INTEGER,"
  "  devices_ok INTEGER NOT NULL DEFAULT 0,"
  "  room_sid TEXT,"
  "  message TEXT,"
  "  date_updated INTEGER NOT NULL);"
  "CREATE INDEX waiting_room_queue ON waiting_room (status, checked_in_at, id);",

  /* 4: the phone bridge's calls, kept so that a restart knows what happened
   * to them. */
  "CREATE TABLE phone_calls ("
  "  sid TEXT PRIMARY KEY,"
  "  room_sid TEXT NOT NULL,"
  "  participant_sid TEXT,"
  "  created_by TEXT,"
  "  to_number TEXT NOT NULL,"
  "  label TEXT,"
  "  send_digits TEXT,"
  "  status TEXT NOT NULL,"
  "  sip_code INTEGER NOT NULL DEFAULT 0,"
  "  sip_reason TEXT,"
  "  error_code INTEGER NOT NULL DEFAULT 0,"
  "  error_message TEXT,"
  "  status_callback TEXT,"
  "  callback_events TEXT,"
  "  hangup_by TEXT,"
  "  date_created INTEGER NOT NULL,"
  "  date_updated INTEGER NOT NULL,"
  "  start_time INTEGER NOT NULL DEFAULT 0,"
  "  end_time INTEGER NOT NULL DEFAULT 0);"
  "CREATE INDEX phone_calls_room ON phone_calls (room_sid, date_created);",

  /* 5: guest links texted to an interpreter or a family member: kind
   * 'guest-invite', tied to a guest token (token_jti) rather than to an
   * appointment, and expiring with it (expires_at). SQLite cannot change a
   * CHECK constraint in place: the table is rebuilt, in this migration's
   * transaction. Nothing references sms_messages, so dropping the old table
   * trips no foreign key. */
  "CREATE TABLE sms_messages_v5 ("
  "  sid TEXT PRIMARY KEY,"
  "  appointment_sid TEXT REFERENCES appointments (sid),"
  "  kind TEXT NOT NULL CHECK (kind IN ('invite', 'reminder', 'update', 'cancel',"
  "    'guest-invite')),"
  "  reminder_offset INTEGER,"
  "  to_number TEXT NOT NULL,"
  "  body TEXT,"
  "  segments INTEGER,"
  "  status TEXT NOT NULL CHECK (status IN ('scheduled', 'sending', 'queued', 'sent',"
  "    'delivered', 'failed', 'cancelled', 'suppressed')),"
  "  due_at INTEGER NOT NULL,"
  "  attempts INTEGER NOT NULL DEFAULT 0,"
  "  sending_since INTEGER,"
  "  gateway TEXT,"
  "  gateway_id TEXT,"
  "  error_code INTEGER,"
  "  error_message TEXT,"
  "  date_created INTEGER NOT NULL,"
  "  date_updated INTEGER NOT NULL,"
  "  date_sent INTEGER,"
  "  token_jti TEXT,"
  "  expires_at INTEGER,"
  "  CHECK (kind <> 'guest-invite' OR (token_jti IS NOT NULL AND appointment_sid IS NULL)));"
  "INSERT INTO sms_messages_v5 (sid, appointment_sid, kind, reminder_offset, to_number, body,"
  "  segments, status, due_at, attempts, sending_since, gateway, gateway_id, error_code,"
  "  error_message, date_created, date_updated, date_sent)"
  "  SELECT sid, appointment_sid, kind, reminder_offset, to_number, body, segments, status,"
  "  due_at, attempts, sending_since, gateway, gateway_id, error_code, error_message,"
  "  date_created, date_updated, date_sent FROM sms_messages;"
  "DROP TABLE sms_messages;"
  "ALTER TABLE sms_messages_v5 RENAME TO sms_messages;"
  "CREATE INDEX sms_messages_due ON sms_messages (status, due_at);"
  "CREATE INDEX sms_messages_appointment ON sms_messages (appointment_sid);"
  "CREATE INDEX sms_messages_gateway_id ON sms_messages (gateway, gateway_id);"
  "CREATE INDEX sms_messages_token ON sms_messages (token_jti);",

  /* 6: one provider's queue, and the entries without a provider (everyone's),
   * read through an index rather than by scanning every waiting row. */
  "CREATE INDEX waiting_room_provider_queue ON waiting_room (provider, status, checked_in_at, id);",
};

static gboolean
set_sqlite_error (HcStore     *self,
                  GError     **error,
                  const char  *what)
{
  g_set_error (error, HC_ERROR, HC_ERROR_STORE, "%s: %s", what, sqlite3_errmsg (self->db));
  return FALSE;
}

static sqlite3_stmt *
prepare (HcStore     *self,
         const char  *sql,
         GError     **error)
{
  sqlite3_stmt *stmt = NULL;

  if (sqlite3_prepare_v2 (self->db, sql, -1, &stmt, NULL) != SQLITE_OK)
    {
      set_sqlite_error (self, error, "Could not prepare a statement");
      return NULL;
    }
  return stmt;
}

/* Statements are finalized when they leave scope. */
typedef sqlite3_stmt *HcStmt;

static void
stmt_finalize (HcStmt *stmt)
{
  if (*stmt != NULL)
    sqlite3_finalize (*stmt);
}

#define g_auto_stmt __attribute__ ((cleanup (stmt_finalize))) HcStmt

static void
bind_text (sqlite3_stmt *stmt,
           int           index,
           const char   *text)
{
  if (text != NULL)
    sqlite3_bind_text (stmt, index, text, -1, SQLITE_TRANSIENT);
  else
    sqlite3_bind_null (stmt, index);
}

static char *
column_text (sqlite3_stmt *stmt,
             int           index)
{
  const unsigned char *text = sqlite3_column_text (stmt, index);

  return text != NULL ? g_strdup ((const char *) text) : NULL;
}

static gboolean
exec (HcStore     *self,
      const char  *sql,
      GError     **error)
{
  char *message = NULL;

  if (sqlite3_exec (self->db, sql, NULL, NULL, &message) != SQLITE_OK)
    {
      g_set_error (error, HC_ERROR, HC_ERROR_STORE, "%s", message ? message : "unknown error");
      sqlite3_free (message);
      return FALSE;
    }
  return TRUE;
}

static gboolean
run_step (HcStore       *self,
          sqlite3_stmt  *stmt,
          GError       **error)
{
  int rc = sqlite3_step (stmt);

  if (rc != SQLITE_DONE && rc != SQLITE_ROW)
    return set_sqlite_error (self, error, "Could not write to the store");
  return TRUE;
}

static gboolean
migrate (HcStore  *self,
         GError  **error)
{
  g_auto_stmt stmt = prepare (self, "PRAGMA user_version", error);

  if (stmt == NULL)
    return FALSE;
  if (sqlite3_step (stmt) != SQLITE_ROW)
    return set_sqlite_error (self, error, "Could not read the schema version");
  self->schema_version = sqlite3_column_int (stmt, 0);
  /* Done with it: a statement left mid-step keeps a read open, and DROP
   * TABLE in a migration fails with "database table is locked". */
  sqlite3_reset (stmt);

  if (self->schema_version > (int) G_N_ELEMENTS (migrations))
    {
      g_set_error (error, HC_ERROR, HC_ERROR_STORE,
                   "The store %s has schema version %d, newer than this housecalld knows (%d)",
                   self->path, self->schema_version, (int) G_N_ELEMENTS (migrations));
      return FALSE;
    }

  while (self->schema_version < (int) G_N_ELEMENTS (migrations))
    {
      int next = self->schema_version + 1;
      g_autofree char *bump = g_strdup_printf ("PRAGMA user_version = %d", next);

      if (!exec (self, "BEGIN IMMEDIATE", error))
        return FALSE;
      if (!exec (self, migrations[self->schema_version], error) || !exec (self, bump, error))
        {
          exec (self, "ROLLBACK", NULL);
          g_prefix_error (error, "Migration to schema version %d failed: ", next);
          return FALSE;
        }
      if (!exec (self, "COMMIT", error))
        return FALSE;
      g_debug ("Store migrated to schema version %d", next);
      self->schema_version = next;
    }
  return TRUE;
}

void
hc_provider_record_free (HcProviderRecord *record)
{
  if (record == NULL)
    return;
  g_free (record->username);
  g_free (record->display_name);
  g_free (record->password_hash);
  g_free (record);
}

void
hc_room_record_free (HcRoomRecord *record)
{
  if (record == NULL)
    return;
  g_free (record->sid);
  g_free (record->unique_name);
  g_free (record->status);
  g_free (record->type);
  g_free (record->video_codec);
  g_free (record->status_callback);
  g_free (record->created_by);
  g_free (record);
}

void
hc_token_record_free (HcTokenRecord *record)
{
  if (record == NULL)
    return;
  g_free (record->jti);
  g_free (record->identity);
  g_free (record->room_sid);
  g_free (record->issued_by);
  g_free (record);
}

void
hc_audit_record_free (HcAuditRecord *record)
{
  if (record == NULL)
    return;
  g_free (record->event);
  g_free (record->actor);
  g_free (record->subject);
  g_free (record->address);
  g_free (record);
}

static void
hc_store_finalize (GObject *object)
{
  HcStore *self = (HcStore *) object;

  if (self->db != NULL)
    sqlite3_close_v2 (self->db);
  g_free (self->path);

  G_OBJECT_CLASS (hc_store_parent_class)->finalize (object);
}

static void
hc_store_class_init (HcStoreClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = hc_store_finalize;
}

static void
hc_store_init (HcStore *self)
{
}

HcStore *
hc_store_open (const char  *path,
               GError     **error)
{
  g_autoptr(HcStore) self = g_object_new (HC_TYPE_STORE, NULL);

  g_return_val_if_fail (path != NULL, NULL);

  self->path = g_strdup (path);
  if (sqlite3_open_v2 (path, &self->db,
                       SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                       NULL) != SQLITE_OK)
    {
      g_set_error (error, HC_ERROR, HC_ERROR_STORE, "Could not open the store %s: %s", path,
                   self->db ? sqlite3_errmsg (self->db) : "out of memory");
      return NULL;
    }
  sqlite3_busy_timeout (self->db, 5000);

  /* WAL with synchronous=FULL: every committed transaction is on disk before
   * the call returns, so kill -9 or a power cut loses nothing acknowledged. */
  if (!exec (self, "PRAGMA journal_mode = WAL", error) ||
      !exec (self, "PRAGMA synchronous = FULL", error) ||
      !exec (self, "PRAGMA foreign_keys = ON", error) ||
      !migrate (self, error))
    {
      g_prefix_error (error, "%s: ", path);
      return NULL;
    }
  return g_steal_pointer (&self);
}


int
hc_store_get_schema_version (HcStore *self)
{
  g_return_val_if_fail (HC_IS_STORE (self), 0);
  return self->schema_version;
}

gboolean
hc_store_begin (HcStore  *self,
                GError  **error)
{
  g_return_val_if_fail (HC_IS_STORE (self), FALSE);
  return exec (self, "BEGIN IMMEDIATE", error);
}

gboolean
hc_store_commit (HcStore  *self,
                 GError  **error)
{
  g_return_val_if_fail (HC_IS_STORE (self), FALSE);
  return exec (self, "COMMIT", error);
}

void
hc_store_rollback (HcStore *self)
{
  g_return_if_fail (HC_IS_STORE (self));
  /* After a failed COMMIT the transaction may still be open; after a failed
   * statement it may not (SQLite rolls some errors back itself). */
  if (!sqlite3_get_autocommit (self->db))
    exec (self, "ROLLBACK", NULL);
}

/* Providers */

gboolean
hc_store_add_provider (HcStore     *self,
                       const char  *username,
                       const char  *display_name,
                       const char  *password_hash,
                       GError     **error)
{
  g_auto_stmt stmt = NULL;
  int rc;

  g_return_val_if_fail (HC_IS_STORE (self), FALSE);

  stmt = prepare (self,
                  "INSERT INTO providers (username, display_name, password_hash, date_created) "
                  "VALUES (?, ?, ?, ?)", error);
  if (stmt == NULL)
    return FALSE;
  bind_text (stmt, 1, username);
  bind_text (stmt, 2, display_name);
  bind_text (stmt, 3, password_hash);
  sqlite3_bind_int64 (stmt, 4, g_get_real_time () / G_USEC_PER_SEC);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_CONSTRAINT)
    {
      g_set_error (error, HC_ERROR, HC_ERROR_INVALID_PARAMETER,
                   "A provider named “%s” already exists", username);
      return FALSE;
    }
  if (rc != SQLITE_DONE)
    return set_sqlite_error (self, error, "Could not add provider");
  return TRUE;
}

static HcProviderRecord *
provider_from_row (sqlite3_stmt *stmt)
{
  HcProviderRecord *record = g_new0 (HcProviderRecord, 1);

  record->id = sqlite3_column_int64 (stmt, 0);
  record->username = column_text (stmt, 1);
  record->display_name = column_text (stmt, 2);
  record->password_hash = column_text (stmt, 3);
  record->disabled = sqlite3_column_int (stmt, 4) != 0;
  record->date_created = sqlite3_column_int64 (stmt, 5);
  return record;
}

#define PROVIDER_COLUMNS "id, username, display_name, password_hash, disabled, date_created"

HcProviderRecord *
hc_store_lookup_provider (HcStore     *self,
                          const char  *username,
                          GError     **error)
{
  g_auto_stmt stmt = NULL;
  int rc;

  g_return_val_if_fail (HC_IS_STORE (self), NULL);

  stmt = prepare (self, "SELECT " PROVIDER_COLUMNS " FROM providers WHERE username = ?", error);
  if (stmt == NULL)
    return NULL;
  bind_text (stmt, 1, username);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    return provider_from_row (stmt);
  if (rc != SQLITE_DONE)
    set_sqlite_error (self, error, "Could not look up provider");
  return NULL;
}

GPtrArray *
hc_store_list_providers (HcStore  *self,
                         GError  **error)
{
  g_autoptr(GPtrArray) list = g_ptr_array_new_with_free_func ((GDestroyNotify) hc_provider_record_free);
  g_auto_stmt stmt = NULL;
  int rc;

  g_return_val_if_fail (HC_IS_STORE (self), NULL);

  stmt = prepare (self, "SELECT " PROVIDER_COLUMNS " FROM providers ORDER BY username", error);
  if (stmt == NULL)
    return NULL;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (list, provider_from_row (stmt));
  if (rc != SQLITE_DONE)
    {
      set_sqlite_error (self, error, "Could not list providers");
      return NULL;
    }
  return g_steal_pointer (&list);
}

gboolean
hc_store_set_provider_disabled (HcStore     *self,
                                const char  *username,
                                gboolean     disabled,
                                GError     **error)
{
  g_auto_stmt stmt = NULL;

  g_return_val_if_fail (HC_IS_STORE (self), FALSE);

  stmt = prepare (self, "UPDATE providers SET disabled = ? WHERE username = ?", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int (stmt, 1, disabled ? 1 : 0);
  bind_text (stmt, 2, username);
  if (!run_step (self, stmt, error))
    return FALSE;
  if (sqlite3_changes (self->db) == 0)
    {
      g_set_error (error, HC_ERROR, HC_ERROR_NOT_FOUND, "No provider is named “%s”", username);
      return FALSE;
    }
  return TRUE;
}

/* Rooms */

#define ROOM_COLUMNS "sid, unique_name, status, type, video_codec, max_participants, " \
                     "status_callback, created_by, ad_hoc, date_created, date_updated, end_time"

static HcRoomRecord *
room_from_row (sqlite3_stmt *stmt)
{
  HcRoomRecord *room = g_new0 (HcRoomRecord, 1);

  room->sid = column_text (stmt, 0);
  room->unique_name = column_text (stmt, 1);
  room->status = column_text (stmt, 2);
  room->type = column_text (stmt, 3);
  room->video_codec = column_text (stmt, 4);
  room->max_participants = (guint) sqlite3_column_int (stmt, 5);
  room->status_callback = column_text (stmt, 6);
  room->created_by = column_text (stmt, 7);
  room->ad_hoc = sqlite3_column_int (stmt, 8) != 0;
  room->date_created = sqlite3_column_int64 (stmt, 9);
  room->date_updated = sqlite3_column_int64 (stmt, 10);
  room->end_time = sqlite3_column_int64 (stmt, 11);
  return room;
}

gboolean
hc_store_insert_room (HcStore             *self,
                      const HcRoomRecord  *room,
                      GError             **error)
{
  g_auto_stmt stmt = NULL;
  int rc;

  g_return_val_if_fail (HC_IS_STORE (self), FALSE);

  stmt = prepare (self, "INSERT INTO rooms (" ROOM_COLUMNS ") "
                        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)", error);
  if (stmt == NULL)
    return FALSE;
  bind_text (stmt, 1, room->sid);
  bind_text (stmt, 2, room->unique_name);
  bind_text (stmt, 3, "in-progress");
  bind_text (stmt, 4, room->type);
  bind_text (stmt, 5, room->video_codec);
  sqlite3_bind_int (stmt, 6, (int) room->max_participants);
  bind_text (stmt, 7, room->status_callback);
  bind_text (stmt, 8, room->created_by);
  sqlite3_bind_int (stmt, 9, room->ad_hoc ? 1 : 0);
  sqlite3_bind_int64 (stmt, 10, room->date_created);
  sqlite3_bind_int64 (stmt, 11, room->date_created);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_CONSTRAINT)
    {
      g_set_error (error, HC_ERROR, HC_ERROR_ROOM_EXISTS,
                   "A room with that unique name is already in progress");
      return FALSE;
    }
  if (rc != SQLITE_DONE)
    return set_sqlite_error (self, error, "Could not create room");
  return TRUE;
}

HcRoomRecord *
hc_store_find_room (HcStore     *self,
                    const char  *sid_or_name,
                    GError     **error)
{
  g_auto_stmt stmt = NULL;
  int rc;

  g_return_val_if_fail (HC_IS_STORE (self), NULL);

  /* A SID names one room; a unique name names the room in progress with that
   * name, or else the newest completed one, as Twilio resolves it. */
  stmt = prepare (self, "SELECT " ROOM_COLUMNS " FROM rooms WHERE sid = ?1 OR unique_name = ?1 "
                        "ORDER BY sid = ?1 DESC, status = 'in-progress' DESC, "
                        "date_created DESC, rowid DESC LIMIT 1", error);
  if (stmt == NULL)
    return NULL;
  bind_text (stmt, 1, sid_or_name);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    return room_from_row (stmt);
  if (rc != SQLITE_DONE)
    set_sqlite_error (self, error, "Could not look up room");
  return NULL;
}

GPtrArray *
hc_store_list_rooms (HcStore     *self,
                     const char  *status,
                     const char  *unique_name,
                     guint        limit,
                     GError     **error)
{
  g_autoptr(GPtrArray) list = g_ptr_array_new_with_free_func ((GDestroyNotify) hc_room_record_free);
  g_auto_stmt stmt = NULL;
  int rc;

  g_return_val_if_fail (HC_IS_STORE (self), NULL);

  stmt = prepare (self, "SELECT " ROOM_COLUMNS " FROM rooms "
                        "WHERE (?1 IS NULL OR status = ?1) AND (?2 IS NULL OR unique_name = ?2) "
                        "ORDER BY date_created DESC, rowid DESC LIMIT ?3", error);
  if (stmt == NULL)
    return NULL;
  bind_text (stmt, 1, status);
  bind_text (stmt, 2, unique_name);
  sqlite3_bind_int (stmt, 3, (int) limit);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (list, room_from_row (stmt));
  if (rc != SQLITE_DONE)
    {
      set_sqlite_error (self, error, "Could not list rooms");
      return NULL;
    }
  return g_steal_pointer (&list);
}

gboolean
hc_store_complete_room (HcStore     *self,
                        const char  *sid,
                        gint64       now,
                        GError     **error)
{
  g_auto_stmt stmt = NULL;
  g_auto_stmt parts = NULL;

  g_return_val_if_fail (HC_IS_STORE (self), FALSE);

  if (!exec (self, "BEGIN IMMEDIATE", error))
    return FALSE;
  stmt = prepare (self, "UPDATE rooms SET status = 'completed', end_time = ?2, date_updated = ?2 "
                        "WHERE sid = ?1 AND status = 'in-progress'", error);
  parts = prepare (self, "UPDATE participants SET status = 'disconnected', end_time = ?2 "
                         "WHERE room_sid = ?1 AND status = 'connected'", error);
  if (stmt == NULL || parts == NULL)
    {
      exec (self, "ROLLBACK", NULL);
      return FALSE;
    }
  bind_text (stmt, 1, sid);
  sqlite3_bind_int64 (stmt, 2, now);
  bind_text (parts, 1, sid);
  sqlite3_bind_int64 (parts, 2, now);
  if (!run_step (self, stmt, error) || !run_step (self, parts, error))
    {
      exec (self, "ROLLBACK", NULL);
      return FALSE;
    }
  return exec (self, "COMMIT", error);
}

/* Participants */

gboolean
hc_store_insert_participant (HcStore     *self,
                             const char  *sid,
                             const char  *room_sid,
                             const char  *identity,
                             const char  *role,
                             gint64       now,
                             GError     **error)
{
  g_auto_stmt stmt = NULL;

  g_return_val_if_fail (HC_IS_STORE (self), FALSE);

  stmt = prepare (self, "INSERT INTO participants (sid, room_sid, identity, role, status, start_time) "
                        "VALUES (?, ?, ?, ?, 'connected', ?)", error);
  if (stmt == NULL)
    return FALSE;
  bind_text (stmt, 1, sid);
  bind_text (stmt, 2, room_sid);
  bind_text (stmt, 3, identity);
  bind_text (stmt, 4, role);
  sqlite3_bind_int64 (stmt, 5, now);
  return run_step (self, stmt, error);
}

gboolean
hc_store_disconnect_participant (HcStore     *self,
                                 const char  *sid,
                                 gint64       now,
                                 GError     **error)
{
  g_auto_stmt stmt = NULL;

  g_return_val_if_fail (HC_IS_STORE (self), FALSE);

  stmt = prepare (self, "UPDATE participants SET status = 'disconnected', end_time = ? "
                        "WHERE sid = ? AND status = 'connected'", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, now);
  bind_text (stmt, 2, sid);
  return run_step (self, stmt, error);
}

gint
hc_store_count_connected (HcStore     *self,
                          const char  *room_sid,
                          GError     **error)
{
  g_auto_stmt stmt = NULL;

  g_return_val_if_fail (HC_IS_STORE (self), -1);

  stmt = prepare (self, "SELECT count(*) FROM participants WHERE room_sid = ? AND status = 'connected'",
                  error);
  if (stmt == NULL)
    return -1;
  bind_text (stmt, 1, room_sid);
  if (sqlite3_step (stmt) != SQLITE_ROW)
    {
      set_sqlite_error (self, error, "Could not count participants");
      return -1;
    }
  return sqlite3_column_int (stmt, 0);
}

/* Whether @identity is connected to the room in @role (any role if NULL). A
 * guest may be named like a provider: the role keeps them apart. */
gboolean
hc_store_identity_in_room (HcStore    *self,
                           const char *identity,
                           const char *room_sid,
                           const char *role)
{
  g_auto_stmt stmt = NULL;

  g_return_val_if_fail (HC_IS_STORE (self), FALSE);

  stmt = prepare (self, "SELECT 1 FROM participants WHERE room_sid = ? AND identity = ? "
                        "AND (?3 IS NULL OR role = ?3) AND status = 'connected' LIMIT 1", NULL);
  if (stmt == NULL)
    return FALSE;
  bind_text (stmt, 1, room_sid);
  bind_text (stmt, 2, identity);
  bind_text (stmt, 3, role);
  return sqlite3_step (stmt) == SQLITE_ROW;
}

/* At startup no socket is open, so nobody can still be connected: the
 * participants of a previous run that ended without saying so have left. */
gboolean
hc_store_disconnect_all (HcStore  *self,
                         gint64    now,
                         GError  **error)
{
  g_auto_stmt stmt = NULL;

  g_return_val_if_fail (HC_IS_STORE (self), FALSE);

  stmt = prepare (self, "UPDATE participants SET status = 'disconnected', end_time = ? "
                        "WHERE status = 'connected'", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, now);
  return run_step (self, stmt, error);
}

/* Tokens */

gboolean
hc_store_record_token (HcStore              *self,
                       const HcTokenRecord  *token,
                       GError              **error)
{
  g_auto_stmt stmt = NULL;

  g_return_val_if_fail (HC_IS_STORE (self), FALSE);

  stmt = prepare (self, "INSERT INTO tokens (jti, kind, identity, room_sid, issued_by, "
                        "date_created, date_expires) VALUES (?, 'guest', ?, ?, ?, ?, ?)", error);
  if (stmt == NULL)
    return FALSE;
  bind_text (stmt, 1, token->jti);
  bind_text (stmt, 2, token->identity);
  bind_text (stmt, 3, token->room_sid);
  bind_text (stmt, 4, token->issued_by);
  sqlite3_bind_int64 (stmt, 5, token->date_created);
  sqlite3_bind_int64 (stmt, 6, token->date_expires);
  return run_step (self, stmt, error);
}

gboolean
hc_store_revoke_token (HcStore     *self,
                       const char  *jti,
                       const char  *room_sid,
                       gint64       now,
                       GError     **error)
{
  g_auto_stmt stmt = NULL;

  g_return_val_if_fail (HC_IS_STORE (self), FALSE);

  stmt = prepare (self, "UPDATE tokens SET date_revoked = coalesce(date_revoked, ?) "
                        "WHERE jti = ? AND room_sid = ?", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, now);
  bind_text (stmt, 2, jti);
  bind_text (stmt, 3, room_sid);
  if (!run_step (self, stmt, error))
    return FALSE;
  if (sqlite3_changes (self->db) == 0)
    {
      g_set_error (error, HC_ERROR, HC_ERROR_NOT_FOUND, "No such guest token in this room");
      return FALSE;
    }
  return TRUE;
}

gboolean
hc_store_token_is_revoked (HcStore    *self,
                           const char *jti)
{
  g_auto_stmt stmt = NULL;
  int rc;

  g_return_val_if_fail (HC_IS_STORE (self), TRUE);

  stmt = prepare (self, "SELECT date_revoked IS NOT NULL FROM tokens WHERE jti = ?", NULL);
  /* When the store cannot answer, fail closed. */
  if (stmt == NULL)
    return TRUE;
  bind_text (stmt, 1, jti);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    return sqlite3_column_int (stmt, 0) != 0;
  return rc != SQLITE_DONE;
}

GPtrArray *
hc_store_list_tokens (HcStore     *self,
                      const char  *room_sid,
                      gint64       now,
                      GError     **error)
{
  g_autoptr(GPtrArray) list = g_ptr_array_new_with_free_func ((GDestroyNotify) hc_token_record_free);
  g_auto_stmt stmt = NULL;
  int rc;

  g_return_val_if_fail (HC_IS_STORE (self), NULL);

  stmt = prepare (self, "SELECT jti, identity, room_sid, issued_by, date_created, date_expires, "
                        "date_revoked FROM tokens WHERE room_sid = ? AND date_revoked IS NULL "
                        "AND date_expires > ? ORDER BY date_created, rowid", error);
  if (stmt == NULL)
    return NULL;
  bind_text (stmt, 1, room_sid);
  sqlite3_bind_int64 (stmt, 2, now);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      HcTokenRecord *token = g_new0 (HcTokenRecord, 1);

      token->jti = column_text (stmt, 0);
      token->identity = column_text (stmt, 1);
      token->room_sid = column_text (stmt, 2);
      token->issued_by = column_text (stmt, 3);
      token->date_created = sqlite3_column_int64 (stmt, 4);
      token->date_expires = sqlite3_column_int64 (stmt, 5);
      token->date_revoked = sqlite3_column_int64 (stmt, 6);
      g_ptr_array_add (list, token);
    }
  if (rc != SQLITE_DONE)
    {
      set_sqlite_error (self, error, "Could not list tokens");
      return NULL;
    }
  return g_steal_pointer (&list);
}

/* Audit */

void
hc_store_audit (HcStore    *self,
                const char *event,
                const char *actor,
                const char *subject,
                const char *address)
{
  g_autoptr(GError) error = NULL;
  g_auto_stmt stmt = NULL;

  g_return_if_fail (HC_IS_STORE (self));

  stmt = prepare (self, "INSERT INTO audit (time, event, actor, subject, address) "
                        "VALUES (?, ?, ?, ?, ?)", &error);
  if (stmt != NULL)
    {
      sqlite3_bind_int64 (stmt, 1, g_get_real_time () / G_USEC_PER_SEC);
      bind_text (stmt, 2, event);
      bind_text (stmt, 3, actor);
      bind_text (stmt, 4, subject);
      bind_text (stmt, 5, address);
      run_step (self, stmt, &error);
    }
  /* The audit log must not silently lose events: say so loudly. */
  if (error != NULL)
    g_critical ("Could not write the audit event %s: %s", event, error->message);
}

GPtrArray *
hc_store_list_audit (HcStore  *self,
                     guint     limit,
                     GError  **error)
{
  g_autoptr(GPtrArray) list = g_ptr_array_new_with_free_func ((GDestroyNotify) hc_audit_record_free);
  g_auto_stmt stmt = NULL;
  int rc;

  g_return_val_if_fail (HC_IS_STORE (self), NULL);

  stmt = prepare (self, "SELECT id, time, event, actor, subject, address FROM audit "
                        "ORDER BY id DESC LIMIT ?", error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int (stmt, 1, (int) limit);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      HcAuditRecord *record = g_new0 (HcAuditRecord, 1);

      record->id = sqlite3_column_int64 (stmt, 0);
      record->time = sqlite3_column_int64 (stmt, 1);
      record->event = column_text (stmt, 2);
      record->actor = column_text (stmt, 3);
      record->subject = column_text (stmt, 4);
      record->address = column_text (stmt, 5);
      g_ptr_array_add (list, record);
    }
  if (rc != SQLITE_DONE)
    {
      set_sqlite_error (self, error, "Could not read the audit log");
      return NULL;
    }
  return g_steal_pointer (&list);
}

/* Appointments and SMS messages */

void
hc_appointment_record_free (HcAppointmentRecord *record)
{
  if (record == NULL)
    return;
  g_free (record->sid);
  g_free (record->patient_name);
  g_free (record->mobile);
  g_free (record->provider);
  g_free (record->note);
  g_free (record->status);
  g_free (record->visit_code);
  g_free (record->created_by);
  g_free (record);
}

void
hc_sms_record_free (HcSmsRecord *record)
{
  if (record == NULL)
    return;
  g_free (record->sid);
  g_free (record->appointment_sid);
  g_free (record->kind);
  g_free (record->to_number);
  g_free (record->body);
  g_free (record->status);
  g_free (record->gateway);
  g_free (record->gateway_id);
  g_free (record->error_message);
  g_free (record->token_jti);
  g_free (record);
}

#define APPOINTMENT_COLUMNS "sid, patient_name, mobile, start_time, provider, note, status, " \
                            "visit_code, visit_code_expires, visit_code_used, created_by, " \
                            "date_created, date_updated"

static HcAppointmentRecord *
appointment_from_row (sqlite3_stmt *stmt)
{
  HcAppointmentRecord *record = g_new0 (HcAppointmentRecord, 1);

  record->sid = column_text (stmt, 0);
  record->patient_name = column_text (stmt, 1);
  record->mobile = column_text (stmt, 2);
  record->start_time = sqlite3_column_int64 (stmt, 3);
  record->provider = column_text (stmt, 4);
  record->note = column_text (stmt, 5);
  record->status = column_text (stmt, 6);
  record->visit_code = column_text (stmt, 7);
  record->visit_code_expires = sqlite3_column_int64 (stmt, 8);
  record->visit_code_used = sqlite3_column_int64 (stmt, 9);
  record->created_by = column_text (stmt, 10);
  record->date_created = sqlite3_column_int64 (stmt, 11);
  record->date_updated = sqlite3_column_int64 (stmt, 12);
  return record;
}

#define SMS_COLUMNS "sid, appointment_sid, kind, reminder_offset, to_number, body, segments, " \
                    "status, due_at, attempts, sending_since, gateway, gateway_id, error_code, " \
                    "error_message, date_created, date_updated, date_sent, token_jti, expires_at"

static HcSmsRecord *
sms_from_row (sqlite3_stmt *stmt)
{
  HcSmsRecord *record = g_new0 (HcSmsRecord, 1);

  record->sid = column_text (stmt, 0);
  record->appointment_sid = column_text (stmt, 1);
  record->kind = column_text (stmt, 2);
  record->reminder_offset = sqlite3_column_int64 (stmt, 3);
  record->to_number = column_text (stmt, 4);
  record->body = column_text (stmt, 5);
  record->segments = (guint) sqlite3_column_int (stmt, 6);
  record->status = column_text (stmt, 7);
  record->due_at = sqlite3_column_int64 (stmt, 8);
  record->attempts = (guint) sqlite3_column_int (stmt, 9);
  record->sending_since = sqlite3_column_int64 (stmt, 10);
  record->gateway = column_text (stmt, 11);
  record->gateway_id = column_text (stmt, 12);
  record->error_code = sqlite3_column_int (stmt, 13);
  record->error_message = column_text (stmt, 14);
  record->date_created = sqlite3_column_int64 (stmt, 15);
  record->date_updated = sqlite3_column_int64 (stmt, 16);
  record->date_sent = sqlite3_column_int64 (stmt, 17);
  record->token_jti = column_text (stmt, 18);
  record->expires_at = sqlite3_column_int64 (stmt, 19);
  return record;
}

static gboolean
insert_sms (HcStore            *self,
            const HcSmsRecord  *sms,
            GError            **error)
{
  g_auto_stmt stmt = prepare (self, "INSERT INTO sms_messages (sid, appointment_sid, kind, "
                                    "reminder_offset, to_number, status, due_at, attempts, "
                                    "date_created, date_updated, body, segments, token_jti, "
                                    "expires_at) "
                                    "VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?, ?, ?)", error);

  if (stmt == NULL)
    return FALSE;
  bind_text (stmt, 1, sms->sid);
  bind_text (stmt, 2, sms->appointment_sid);
  bind_text (stmt, 3, sms->kind);
  if (sms->reminder_offset != 0 || g_strcmp0 (sms->kind, "reminder") == 0)
    sqlite3_bind_int64 (stmt, 4, sms->reminder_offset);
  bind_text (stmt, 5, sms->to_number);
  bind_text (stmt, 6, sms->status ? sms->status : "scheduled");
  sqlite3_bind_int64 (stmt, 7, sms->due_at);
  sqlite3_bind_int64 (stmt, 8, sms->date_created);
  sqlite3_bind_int64 (stmt, 9, sms->date_created);
  /* Only a guest invite has its text from the start (the token in it
   * cannot be made again); appointments' texts are made when sent. */
  bind_text (stmt, 10, sms->body);
  if (sms->body != NULL)
    sqlite3_bind_int (stmt, 11, (int) sms->segments);
  bind_text (stmt, 12, sms->token_jti);
  if (sms->expires_at != 0)
    sqlite3_bind_int64 (stmt, 13, sms->expires_at);
  return run_step (self, stmt, error);
}

static gboolean
insert_all_sms (HcStore    *self,
                GPtrArray  *messages,
                GError    **error)
{
  for (guint i = 0; messages != NULL && i < messages->len; i++)
    if (!insert_sms (self, g_ptr_array_index (messages, i), error))
      return FALSE;
  return TRUE;
}

gboolean
hc_store_insert_appointment (HcStore                    *self,
                             const HcAppointmentRecord  *appointment,
                             GPtrArray                  *messages,
                             GError                    **error)
{
  g_auto_stmt stmt = NULL;

  g_return_val_if_fail (HC_IS_STORE (self), FALSE);

  if (!exec (self, "BEGIN IMMEDIATE", error))
    return FALSE;
  stmt = prepare (self, "INSERT INTO appointments (" APPOINTMENT_COLUMNS ") "
                        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, ?, ?)", error);
  if (stmt == NULL)
    goto rollback;
  bind_text (stmt, 1, appointment->sid);
  bind_text (stmt, 2, appointment->patient_name);
  bind_text (stmt, 3, appointment->mobile);
  sqlite3_bind_int64 (stmt, 4, appointment->start_time);
  bind_text (stmt, 5, appointment->provider);
  bind_text (stmt, 6, appointment->note);
  bind_text (stmt, 7, appointment->status ? appointment->status : "scheduled");
  bind_text (stmt, 8, appointment->visit_code);
  sqlite3_bind_int64 (stmt, 9, appointment->visit_code_expires);
  bind_text (stmt, 10, appointment->created_by);
  sqlite3_bind_int64 (stmt, 11, appointment->date_created);
  sqlite3_bind_int64 (stmt, 12, appointment->date_created);
  if (!run_step (self, stmt, error) || !insert_all_sms (self, messages, error))
    goto rollback;
  return exec (self, "COMMIT", error);

rollback:
  exec (self, "ROLLBACK", NULL);
  return FALSE;
}

HcAppointmentRecord *
hc_store_find_appointment (HcStore     *self,
                           const char  *sid,
                           GError     **error)
{
  g_auto_stmt stmt = NULL;
  int rc;

  g_return_val_if_fail (HC_IS_STORE (self), NULL);

  stmt = prepare (self, "SELECT " APPOINTMENT_COLUMNS " FROM appointments WHERE sid = ?", error);
  if (stmt == NULL)
    return NULL;
  bind_text (stmt, 1, sid);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    return appointment_from_row (stmt);
  if (rc != SQLITE_DONE)
    set_sqlite_error (self, error, "Could not look up the appointment");
  return NULL;
}

GPtrArray *
hc_store_list_appointments (HcStore     *self,
                            const char  *provider,
                            const char  *status,
                            guint        limit,
                            GError     **error)
{
  g_autoptr(GPtrArray) list =
    g_ptr_array_new_with_free_func ((GDestroyNotify) hc_appointment_record_free);
  g_auto_stmt stmt = NULL;
  int rc;

  g_return_val_if_fail (HC_IS_STORE (self), NULL);

  stmt = prepare (self, "SELECT " APPOINTMENT_COLUMNS " FROM appointments "
                        "WHERE (?1 IS NULL OR provider = ?1) AND (?2 IS NULL OR status = ?2) "
                        "ORDER BY start_time, rowid LIMIT ?3", error);
  if (stmt == NULL)
    return NULL;
  bind_text (stmt, 1, provider);
  bind_text (stmt, 2, status);
  sqlite3_bind_int (stmt, 3, (int) limit);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (list, appointment_from_row (stmt));
  if (rc != SQLITE_DONE)
    {
      set_sqlite_error (self, error, "Could not list appointments");
      return NULL;
    }
  return g_steal_pointer (&list);
}

gboolean
hc_store_update_appointment (HcStore                    *self,
                             const HcAppointmentRecord  *appointment,
                             const char * const         *cancel_kinds,
                             GPtrArray                  *messages,
                             gint64                      now,
                             GError                    **error)
{
  g_auto_stmt stmt = NULL;

  g_return_val_if_fail (HC_IS_STORE (self), FALSE);

  if (!exec (self, "BEGIN IMMEDIATE", error))
    return FALSE;
  stmt = prepare (self, "UPDATE appointments SET patient_name = ?2, mobile = ?3, start_time = ?4, "
                        "provider = ?5, note = ?6, status = ?7, visit_code_expires = ?8, "
                        "date_updated = ?9 WHERE sid = ?1", error);
  if (stmt == NULL)
    goto rollback;
  bind_text (stmt, 1, appointment->sid);
  bind_text (stmt, 2, appointment->patient_name);
  bind_text (stmt, 3, appointment->mobile);
  sqlite3_bind_int64 (stmt, 4, appointment->start_time);
  bind_text (stmt, 5, appointment->provider);
  bind_text (stmt, 6, appointment->note);
  bind_text (stmt, 7, appointment->status);
  sqlite3_bind_int64 (stmt, 8, appointment->visit_code_expires);
  sqlite3_bind_int64 (stmt, 9, now);
  if (!run_step (self, stmt, error))
    goto rollback;
  if (sqlite3_changes (self->db) == 0)
    {
      g_set_error (error, HC_ERROR, HC_ERROR_NOT_FOUND, "No such appointment");
      goto rollback;
    }

  for (guint i = 0; cancel_kinds != NULL && cancel_kinds[i] != NULL; i++)
    {
      g_auto_stmt cancel = prepare (self, "UPDATE sms_messages SET status = 'cancelled', "
                                          "date_updated = ?3 WHERE appointment_sid = ?1 "
                                          "AND kind = ?2 AND status = 'scheduled'", error);
      if (cancel == NULL)
        goto rollback;
      bind_text (cancel, 1, appointment->sid);
      bind_text (cancel, 2, cancel_kinds[i]);
      sqlite3_bind_int64 (cancel, 3, now);
      if (!run_step (self, cancel, error))
        goto rollback;
    }
  if (!insert_all_sms (self, messages, error))
    goto rollback;
  return exec (self, "COMMIT", error);

rollback:
  exec (self, "ROLLBACK", NULL);
  return FALSE;
}

static GPtrArray *
list_sms_query (HcStore     *self,
                const char  *sql,
                const char  *text,
                gint64       number,
                guint        limit,
                GError     **error)
{
  g_autoptr(GPtrArray) list = g_ptr_array_new_with_free_func ((GDestroyNotify) hc_sms_record_free);
  g_auto_stmt stmt = prepare (self, sql, error);
  int rc;

  if (stmt == NULL)
    return NULL;
  bind_text (stmt, 1, text);
  sqlite3_bind_int64 (stmt, 2, number);
  sqlite3_bind_int (stmt, 3, (int) limit);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (list, sms_from_row (stmt));
  if (rc != SQLITE_DONE)
    {
      set_sqlite_error (self, error, "Could not list SMS messages");
      return NULL;
    }
  return g_steal_pointer (&list);
}

GPtrArray *
hc_store_list_sms (HcStore     *self,
                   const char  *appointment_sid,
                   GError     **error)
{
  g_return_val_if_fail (HC_IS_STORE (self), NULL);
  return list_sms_query (self, "SELECT " SMS_COLUMNS " FROM sms_messages "
                               "WHERE appointment_sid = ?1 AND ?2 = ?2 "
                               "ORDER BY date_created, due_at, rowid LIMIT ?3",
                         appointment_sid, 0, 1000, error);
}

GPtrArray *
hc_store_list_sms_due (HcStore     *self,
                       const char  *status,
                       gint64       now,
                       guint        limit,
                       GError     **error)
{
  g_return_val_if_fail (HC_IS_STORE (self), NULL);
  return list_sms_query (self, "SELECT " SMS_COLUMNS " FROM sms_messages "
                               "WHERE status = ?1 AND due_at <= ?2 "
                               "ORDER BY due_at, rowid LIMIT ?3",
                         status, now, limit, error);
}

static HcSmsRecord *
find_sms_query (HcStore     *self,
                const char  *sql,
                const char  *a,
                const char  *b,
                GError     **error)
{
  g_auto_stmt stmt = prepare (self, sql, error);
  int rc;

  if (stmt == NULL)
    return NULL;
  bind_text (stmt, 1, a);
  bind_text (stmt, 2, b);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    return sms_from_row (stmt);
  if (rc != SQLITE_DONE)
    set_sqlite_error (self, error, "Could not look up the SMS message");
  return NULL;
}

HcSmsRecord *
hc_store_find_sms (HcStore     *self,
                   const char  *sid,
                   GError     **error)
{
  g_return_val_if_fail (HC_IS_STORE (self), NULL);
  return find_sms_query (self, "SELECT " SMS_COLUMNS " FROM sms_messages "
                               "WHERE sid = ?1 AND ?2 IS NULL", sid, NULL, error);
}

HcSmsRecord *
hc_store_find_sms_by_gateway_id (HcStore     *self,
                                 const char  *gateway,
                                 const char  *gateway_id,
                                 GError     **error)
{
  g_return_val_if_fail (HC_IS_STORE (self), NULL);
  return find_sms_query (self, "SELECT " SMS_COLUMNS " FROM sms_messages "
                               "WHERE gateway = ?1 AND gateway_id = ?2 LIMIT 1",
                         gateway, gateway_id, error);
}

gint64
hc_store_next_sms_due (HcStore  *self,
                       GError  **error)
{
  g_auto_stmt stmt = NULL;

  g_return_val_if_fail (HC_IS_STORE (self), 0);

  stmt = prepare (self, "SELECT min(due_at) FROM sms_messages "
                        "WHERE status IN ('scheduled', 'sending')", error);
  if (stmt == NULL)
    return 0;
  if (sqlite3_step (stmt) != SQLITE_ROW)
    {
      set_sqlite_error (self, error, "Could not read the SMS queue");
      return 0;
    }
  return sqlite3_column_int64 (stmt, 0);
}

gboolean
hc_store_sms_begin_send (HcStore     *self,
                         const char  *sid,
                         const char  *body,
                         guint        segments,
                         const char  *gateway,
                         gint64       now,
                         gint64       check_at,
                         gboolean    *started,
                         GError     **error)
{
  g_auto_stmt stmt = NULL;

  g_return_val_if_fail (HC_IS_STORE (self), FALSE);

  *started = FALSE;
  stmt = prepare (self, "UPDATE sms_messages SET status = 'sending', body = ?2, segments = ?3, "
                        "gateway = ?4, sending_since = ?5, attempts = attempts + 1, "
                        "due_at = ?6, date_updated = ?5 WHERE sid = ?1 AND status = 'scheduled'", error);
  if (stmt == NULL)
    return FALSE;
  bind_text (stmt, 1, sid);
  bind_text (stmt, 2, body);
  sqlite3_bind_int (stmt, 3, (int) segments);
  bind_text (stmt, 4, gateway);
  sqlite3_bind_int64 (stmt, 5, now);
  sqlite3_bind_int64 (stmt, 6, check_at);
  /* Autocommit: with synchronous=FULL the row is on disk when this returns. */
  if (!run_step (self, stmt, error))
    return FALSE;
  *started = sqlite3_changes (self->db) == 1;
  return TRUE;
}

gboolean
hc_store_sms_update (HcStore            *self,
                     const char         *sid,
                     const char         *from_status,
                     const HcSmsUpdate  *update,
                     gint64              now,
                     gboolean           *changed,
                     GError            **error)
{
  g_auto_stmt stmt = NULL;

  g_return_val_if_fail (HC_IS_STORE (self), FALSE);
  g_return_val_if_fail (update != NULL && update->status != NULL, FALSE);

  if (changed != NULL)
    *changed = FALSE;
  stmt = prepare (self, "UPDATE sms_messages SET status = ?3, "
                        "due_at = CASE WHEN ?4 = 0 THEN due_at ELSE ?4 END, "
                        "gateway_id = coalesce(?5, gateway_id), "
                        "error_code = CASE ?6 WHEN -1 THEN error_code WHEN 0 THEN NULL ELSE ?6 END, "
                        "error_message = CASE ?6 WHEN -1 THEN error_message WHEN 0 THEN NULL "
                        "  ELSE ?7 END, "
                        "date_sent = CASE WHEN ?8 = 0 THEN date_sent ELSE ?8 END, "
                        "body = CASE WHEN kind = 'guest-invite' AND "
                        "  ?3 NOT IN ('scheduled', 'sending') THEN NULL ELSE body END, "
                        "date_updated = ?9 "
                        "WHERE sid = ?1 AND (?2 IS NULL OR status = ?2)", error);
  if (stmt == NULL)
    return FALSE;
  bind_text (stmt, 1, sid);
  bind_text (stmt, 2, from_status);
  bind_text (stmt, 3, update->status);
  sqlite3_bind_int64 (stmt, 4, update->due_at);
  bind_text (stmt, 5, update->gateway_id);
  sqlite3_bind_int (stmt, 6, update->error_code);
  bind_text (stmt, 7, update->error_message);
  sqlite3_bind_int64 (stmt, 8, update->date_sent);
  sqlite3_bind_int64 (stmt, 9, now);
  if (!run_step (self, stmt, error))
    return FALSE;
  if (changed != NULL)
    *changed = sqlite3_changes (self->db) == 1;
  return TRUE;
}

gboolean
hc_store_sms_report (HcStore     *self,
                     const char  *sid,
                     const char  *status,
                     gint         error_code,
                     const char  *error_message,
                     gint64       now,
                     gboolean    *changed,
                     GError     **error)
{
  g_auto_stmt stmt = NULL;

  g_return_val_if_fail (HC_IS_STORE (self), FALSE);

  if (changed != NULL)
    *changed = FALSE;
  /* 54021 (gateway unavailable), 54024 (unconfirmed) and 54025 (expired) are
   * our own verdicts for want of an answer; a report overrules them. */
  stmt = prepare (self, "UPDATE sms_messages SET status = ?2, "
                        "error_code = CASE WHEN ?3 = 0 THEN NULL ELSE ?3 END, "
                        "error_message = CASE WHEN ?3 = 0 THEN NULL ELSE ?4 END, "
                        "date_sent = coalesce(date_sent, ?5), date_updated = ?5, "
                        "body = CASE WHEN kind = 'guest-invite' THEN NULL ELSE body END "
                        "WHERE sid = ?1 AND "
                        "(CASE WHEN status IN ('scheduled', 'sending') THEN 0 "
                        "      WHEN status = 'queued' THEN 1 WHEN status = 'sent' THEN 2 "
                        "      WHEN status = 'failed' AND error_code IN (54021, 54024, 54025) "
                        "        THEN 0 ELSE 9 END) < "
                        "(CASE ?2 WHEN 'queued' THEN 1 WHEN 'sent' THEN 2 ELSE 3 END)", error);
  if (stmt == NULL)
    return FALSE;
  bind_text (stmt, 1, sid);
  bind_text (stmt, 2, status);
  sqlite3_bind_int (stmt, 3, error_code);
  bind_text (stmt, 4, error_message);
  sqlite3_bind_int64 (stmt, 5, now);
  if (!run_step (self, stmt, error))
    return FALSE;
  if (changed != NULL)
    *changed = sqlite3_changes (self->db) == 1;
  return TRUE;
}

GStrv
hc_store_list_sms_gateway_ids (HcStore     *self,
                               const char  *gateway,
                               const char  *to_number,
                               const char  *except_sid,
                               GError     **error)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_auto_stmt stmt = NULL;
  int rc;

  g_return_val_if_fail (HC_IS_STORE (self), NULL);

  stmt = prepare (self, "SELECT gateway_id FROM sms_messages WHERE gateway = ? AND to_number = ? "
                        "AND sid != ? AND gateway_id IS NOT NULL LIMIT 1000", error);
  if (stmt == NULL)
    return NULL;
  bind_text (stmt, 1, gateway);
  bind_text (stmt, 2, to_number);
  bind_text (stmt, 3, except_sid);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_strv_builder_add (builder, (const char *) sqlite3_column_text (stmt, 0));
  if (rc != SQLITE_DONE)
    {
      set_sqlite_error (self, error, "Could not list SMS messages");
      return NULL;
    }
  return g_strv_builder_end (builder);
}

gboolean
hc_store_set_opted_out (HcStore     *self,
                        const char  *number,
                        gboolean     opted_out,
                        gint64       now,
                        GError     **error)
{
  g_auto_stmt stmt = NULL;

  g_return_val_if_fail (HC_IS_STORE (self), FALSE);

  stmt = prepare (self, "INSERT INTO sms_opt_outs (number, opted_out, date_updated) "
                        "VALUES (?1, ?2, ?3) ON CONFLICT (number) DO UPDATE "
                        "SET opted_out = ?2, date_updated = ?3", error);
  if (stmt == NULL)
    return FALSE;
  bind_text (stmt, 1, number);
  sqlite3_bind_int (stmt, 2, opted_out ? 1 : 0);
  sqlite3_bind_int64 (stmt, 3, now);
  return run_step (self, stmt, error);
}

gboolean
hc_store_is_opted_out (HcStore    *self,
                       const char *number)
{
  g_auto_stmt stmt = NULL;
  int rc;

  g_return_val_if_fail (HC_IS_STORE (self), TRUE);

  stmt = prepare (self, "SELECT opted_out FROM sms_opt_outs WHERE number = ?", NULL);
  /* When the store cannot answer, send nothing. */
  if (stmt == NULL)
    return TRUE;
  bind_text (stmt, 1, number);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    return sqlite3_column_int (stmt, 0) != 0;
  return rc != SQLITE_DONE;
}

/* The waiting room (schema version 3) */

void
hc_waiting_entry_free (HcWaitingEntry *entry)
{
  if (entry == NULL)
    return;
  g_free (entry->appointment_sid);
  g_free (entry->provider);
  g_free (entry->identity);
  g_free (entry->display_name);
  g_free (entry->status);
  g_free (entry->preflight);
  g_free (entry->intake);
  g_free (entry->room_sid);
  g_free (entry->message);
  g_free (entry);
}

#define WAITING_COLUMNS "w.id, w.appointment_sid, w.provider, w.identity, w.display_name, " \
                        "w.checked_in_at, w.status, w.preflight, w.intake, w.verdict, " \
                        "w.devices_ok, w.room_sid, w.message, a.start_time"

static HcWaitingEntry *
waiting_from_row (sqlite3_stmt *stmt)
{
  HcWaitingEntry *entry = g_new0 (HcWaitingEntry, 1);

  entry->id = sqlite3_column_int64 (stmt, 0);
  entry->appointment_sid = column_text (stmt, 1);
  entry->provider = column_text (stmt, 2);
  entry->identity = column_text (stmt, 3);
  entry->display_name = column_text (stmt, 4);
  entry->checked_in_at = sqlite3_column_int64 (stmt, 5);
  entry->status = column_text (stmt, 6);
  entry->preflight = column_text (stmt, 7);
  entry->intake = column_text (stmt, 8);
  entry->verdict = sqlite3_column_int (stmt, 9);
  entry->devices_ok = sqlite3_column_int (stmt, 10) != 0;
  entry->room_sid = column_text (stmt, 11);
  entry->message = column_text (stmt, 12);
  entry->start_time = sqlite3_column_int64 (stmt, 13);
  return entry;
}

HcAppointmentRecord *
hc_store_find_appointment_by_code (HcStore     *self,
                                   const char  *code,
                                   GError     **error)
{
  g_auto_stmt stmt = NULL;
  int rc;

  g_return_val_if_fail (HC_IS_STORE (self), NULL);

  stmt = prepare (self, "SELECT " APPOINTMENT_COLUMNS " FROM appointments WHERE visit_code = ?",
                  error);
  if (stmt == NULL)
    return NULL;
  bind_text (stmt, 1, code);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    return appointment_from_row (stmt);
  if (rc != SQLITE_DONE)
    set_sqlite_error (self, error, "Could not look up the visit");
  return NULL;
}

gboolean
hc_store_check_in (HcStore               *self,
                   const HcWaitingEntry  *entry,
                   gint64                 now,
                   GError               **error)
{
  g_auto_stmt stmt = NULL;
  g_auto_stmt used = NULL;

  g_return_val_if_fail (HC_IS_STORE (self), FALSE);

  if (!exec (self, "BEGIN IMMEDIATE", error))
    return FALSE;
  /* A second check-in (a reload, another device) updates the entry and keeps
   * its place in the queue. */
  stmt = prepare (self, "INSERT INTO waiting_room (appointment_sid, provider, identity, "
                        "display_name, checked_in_at, status, preflight, intake, verdict, "
                        "devices_ok, date_updated) VALUES (?1, ?2, ?3, ?4, ?5, 'waiting', ?6, ?7, "
                        "?8, ?9, ?5) ON CONFLICT (appointment_sid) DO UPDATE SET "
                        "display_name = ?4, preflight = ?6, intake = ?7, "
                        /* An admission stands; someone who left waits again. */
                        "status = CASE status WHEN 'admitted' THEN 'admitted' ELSE 'waiting' END, "
                        "verdict = ?8, devices_ok = ?9, date_updated = ?5", error);
  used = prepare (self, "UPDATE appointments SET visit_code_used = coalesce(visit_code_used, ?2) "
                        "WHERE sid = ?1", error);
  if (stmt == NULL || used == NULL)
    {
      exec (self, "ROLLBACK", NULL);
      return FALSE;
    }
  bind_text (stmt, 1, entry->appointment_sid);
  bind_text (stmt, 2, entry->provider);
  bind_text (stmt, 3, entry->identity);
  bind_text (stmt, 4, entry->display_name);
  sqlite3_bind_int64 (stmt, 5, now);
  bind_text (stmt, 6, entry->preflight);
  bind_text (stmt, 7, entry->intake);
  sqlite3_bind_int (stmt, 8, entry->verdict);
  sqlite3_bind_int (stmt, 9, entry->devices_ok ? 1 : 0);
  bind_text (used, 1, entry->appointment_sid);
  sqlite3_bind_int64 (used, 2, now);
  if (!run_step (self, stmt, error) || !run_step (self, used, error))
    {
      exec (self, "ROLLBACK", NULL);
      return FALSE;
    }
  return exec (self, "COMMIT", error);
}

static HcWaitingEntry *
find_waiting (HcStore     *self,
              const char  *where,
              const char  *value,
              gint64       id,
              GError     **error)
{
  g_autofree char *sql = g_strconcat ("SELECT " WAITING_COLUMNS " FROM waiting_room w "
                                      "JOIN appointments a ON a.sid = w.appointment_sid WHERE ",
                                      where, NULL);
  g_auto_stmt stmt = prepare (self, sql, error);
  int rc;

  if (stmt == NULL)
    return NULL;
  if (value != NULL)
    bind_text (stmt, 1, value);
  else
    sqlite3_bind_int64 (stmt, 1, id);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    return waiting_from_row (stmt);
  if (rc != SQLITE_DONE)
    set_sqlite_error (self, error, "Could not read the waiting room");
  return NULL;
}

HcWaitingEntry *
hc_store_find_waiting_entry (HcStore     *self,
                             gint64       id,
                             GError     **error)
{
  g_return_val_if_fail (HC_IS_STORE (self), NULL);
  return find_waiting (self, "w.id = ?", NULL, id, error);
}

HcWaitingEntry *
hc_store_find_waiting_by_identity (HcStore     *self,
                                   const char  *identity,
                                   GError     **error)
{
  g_return_val_if_fail (HC_IS_STORE (self), NULL);
  return find_waiting (self, "w.identity = ?", identity, 0, error);
}

HcWaitingEntry *
hc_store_find_waiting_by_appointment (HcStore     *self,
                                      const char  *appointment_sid,
                                      GError     **error)
{
  g_return_val_if_fail (HC_IS_STORE (self), NULL);
  return find_waiting (self, "w.appointment_sid = ?", appointment_sid, 0, error);
}

static gboolean
read_waiting (HcStore       *self,
              sqlite3_stmt  *stmt,
              GPtrArray     *list,
              GError       **error)
{
  int rc;

  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (list, waiting_from_row (stmt));
  if (rc != SQLITE_DONE)
    return set_sqlite_error (self, error, "Could not read the waiting room");
  return TRUE;
}

GPtrArray *
hc_store_list_waiting (HcStore     *self,
                       const char  *provider,
                       GError     **error)
{
  g_autoptr(GPtrArray) list = g_ptr_array_new_with_free_func ((GDestroyNotify) hc_waiting_entry_free);
  g_auto_stmt stmt = NULL;

  g_return_val_if_fail (HC_IS_STORE (self), NULL);

  if (provider == NULL)
    {
      stmt = prepare (self, "SELECT " WAITING_COLUMNS " FROM waiting_room w "
                            "JOIN appointments a ON a.sid = w.appointment_sid "
                            "WHERE w.status IN ('waiting', 'admitted') "
                            "ORDER BY w.checked_in_at, w.id", error);
      if (stmt == NULL)
        return NULL;
    }
  else
    {
      /* Entries of appointments without a provider are everyone's. Both halves
       * are ranges of waiting_room_provider_queue (one "OR" condition over both
       * would scan every waiting row); SQLite merges them in the queue's order. */
      stmt = prepare (self, "SELECT " WAITING_COLUMNS " FROM waiting_room w "
                            "JOIN appointments a ON a.sid = w.appointment_sid "
                            "WHERE w.provider = ?1 AND w.status IN ('waiting', 'admitted') "
                            "UNION ALL "
                            "SELECT " WAITING_COLUMNS " FROM waiting_room w "
                            "JOIN appointments a ON a.sid = w.appointment_sid "
                            "WHERE w.provider IS NULL AND w.status IN ('waiting', 'admitted') "
                            "ORDER BY 6, 1", error);
      if (stmt == NULL)
        return NULL;
      bind_text (stmt, 1, provider);
    }
  if (!read_waiting (self, stmt, list, error))
    return NULL;
  return g_steal_pointer (&list);
}

gboolean
hc_store_set_waiting_status (HcStore     *self,
                             gint64       id,
                             const char  *status,
                             const char  *room_sid,
                             const char  *message,
                             gint64       now,
                             GError     **error)
{
  g_auto_stmt stmt = NULL;

  g_return_val_if_fail (HC_IS_STORE (self), FALSE);

  stmt = prepare (self, "UPDATE waiting_room SET status = ?2, room_sid = coalesce(?3, room_sid), "
                        "message = coalesce(?4, message), date_updated = ?5 WHERE id = ?1", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, id);
  bind_text (stmt, 2, status);
  bind_text (stmt, 3, room_sid);
  bind_text (stmt, 4, message);
  sqlite3_bind_int64 (stmt, 5, now);
  if (!run_step (self, stmt, error))
    return FALSE;
  if (sqlite3_changes (self->db) == 0)
    {
      g_set_error (error, HC_ERROR, HC_ERROR_NOT_FOUND, "No such waiting-room entry");
      return FALSE;
    }
  return TRUE;
}

gboolean
hc_store_finish_room_visits (HcStore     *self,
                             const char  *room_sid,
                             gint64       now,
                             GError     **error)
{
  g_auto_stmt stmt = NULL;

  g_return_val_if_fail (HC_IS_STORE (self), FALSE);

  stmt = prepare (self, "UPDATE waiting_room SET status = 'done', date_updated = ?2 "
                        "WHERE room_sid = ?1 AND status IN ('waiting', 'admitted')", error);
  if (stmt == NULL)
    return FALSE;
  bind_text (stmt, 1, room_sid);
  sqlite3_bind_int64 (stmt, 2, now);
  return run_step (self, stmt, error);
}

gint64
hc_store_average_visit_seconds (HcStore    *self,
                                const char *provider)
{
  g_auto_stmt stmt = NULL;

  g_return_val_if_fail (HC_IS_STORE (self), 0);

  stmt = prepare (self, "SELECT avg(d) FROM (SELECT end_time - date_created AS d FROM rooms "
                        "WHERE status = 'completed' AND end_time > date_created "
                        "AND (?1 IS NULL OR created_by = ?1) ORDER BY end_time DESC LIMIT 20)",
                  NULL);
  if (stmt == NULL)
    return 0;
  bind_text (stmt, 1, provider);
  if (sqlite3_step (stmt) != SQLITE_ROW || sqlite3_column_type (stmt, 0) == SQLITE_NULL)
    return 0;
  return (gint64) sqlite3_column_double (stmt, 0);
}

/* The phone bridge's calls. */

#define PHONE_CALL_COLUMNS "sid, room_sid, participant_sid, created_by, to_number, label, send_digits, status, " \
                           "sip_code, sip_reason, error_code, error_message, status_callback, " \
                           "callback_events, hangup_by, date_created, date_updated, start_time, " \
                           "end_time"

void
hc_phone_call_record_free (HcPhoneCallRecord *record)
{
  if (record == NULL)
    return;
  g_free (record->sid);
  g_free (record->room_sid);
  g_free (record->participant_sid);
  g_free (record->created_by);
  g_free (record->to);
  g_free (record->label);
  g_free (record->send_digits);
  g_free (record->status);
  g_free (record->sip_reason);
  g_free (record->error_message);
  g_free (record->status_callback);
  g_free (record->callback_events);
  g_free (record->hangup_by);
  g_free (record);
}

HcPhoneCallRecord *
hc_phone_call_record_copy (const HcPhoneCallRecord *record)
{
  HcPhoneCallRecord *copy = g_memdup2 (record, sizeof *record);

  copy->sid = g_strdup (record->sid);
  copy->room_sid = g_strdup (record->room_sid);
  copy->participant_sid = g_strdup (record->participant_sid);
  copy->created_by = g_strdup (record->created_by);
  copy->to = g_strdup (record->to);
  copy->label = g_strdup (record->label);
  copy->send_digits = g_strdup (record->send_digits);
  copy->status = g_strdup (record->status);
  copy->sip_reason = g_strdup (record->sip_reason);
  copy->error_message = g_strdup (record->error_message);
  copy->status_callback = g_strdup (record->status_callback);
  copy->callback_events = g_strdup (record->callback_events);
  copy->hangup_by = g_strdup (record->hangup_by);
  return copy;
}

static HcPhoneCallRecord *
phone_call_from_row (sqlite3_stmt *stmt)
{
  HcPhoneCallRecord *call = g_new0 (HcPhoneCallRecord, 1);

  call->sid = column_text (stmt, 0);
  call->room_sid = column_text (stmt, 1);
  call->participant_sid = column_text (stmt, 2);
  call->created_by = column_text (stmt, 3);
  call->to = column_text (stmt, 4);
  call->label = column_text (stmt, 5);
  call->send_digits = column_text (stmt, 6);
  call->status = column_text (stmt, 7);
  call->sip_code = sqlite3_column_int (stmt, 8);
  call->sip_reason = column_text (stmt, 9);
  call->error_code = sqlite3_column_int (stmt, 10);
  call->error_message = column_text (stmt, 11);
  call->status_callback = column_text (stmt, 12);
  call->callback_events = column_text (stmt, 13);
  call->hangup_by = column_text (stmt, 14);
  call->date_created = sqlite3_column_int64 (stmt, 15);
  call->date_updated = sqlite3_column_int64 (stmt, 16);
  call->start_time = sqlite3_column_int64 (stmt, 17);
  call->end_time = sqlite3_column_int64 (stmt, 18);
  return call;
}

gboolean
hc_store_save_phone_call (HcStore                  *self,
                          const HcPhoneCallRecord  *call,
                          GError                  **error)
{
  g_auto_stmt stmt = NULL;

  g_return_val_if_fail (HC_IS_STORE (self), FALSE);

  stmt = prepare (self, "INSERT OR REPLACE INTO phone_calls (" PHONE_CALL_COLUMNS ") "
                        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", error);
  if (stmt == NULL)
    return FALSE;
  bind_text (stmt, 1, call->sid);
  bind_text (stmt, 2, call->room_sid);
  bind_text (stmt, 3, call->participant_sid);
  bind_text (stmt, 4, call->created_by);
  bind_text (stmt, 5, call->to);
  bind_text (stmt, 6, call->label);
  bind_text (stmt, 7, call->send_digits);
  bind_text (stmt, 8, call->status);
  sqlite3_bind_int (stmt, 9, call->sip_code);
  bind_text (stmt, 10, call->sip_reason);
  sqlite3_bind_int (stmt, 11, call->error_code);
  bind_text (stmt, 12, call->error_message);
  bind_text (stmt, 13, call->status_callback);
  bind_text (stmt, 14, call->callback_events);
  bind_text (stmt, 15, call->hangup_by);
  sqlite3_bind_int64 (stmt, 16, call->date_created);
  sqlite3_bind_int64 (stmt, 17, call->date_updated);
  sqlite3_bind_int64 (stmt, 18, call->start_time);
  sqlite3_bind_int64 (stmt, 19, call->end_time);
  if (sqlite3_step (stmt) != SQLITE_DONE)
    return set_sqlite_error (self, error, "Could not save a phone call");
  return TRUE;
}

HcPhoneCallRecord *
hc_store_find_phone_call (HcStore     *self,
                          const char  *sid,
                          GError     **error)
{
  g_auto_stmt stmt = NULL;
  int rc;

  g_return_val_if_fail (HC_IS_STORE (self), NULL);

  stmt = prepare (self, "SELECT " PHONE_CALL_COLUMNS " FROM phone_calls WHERE sid = ?", error);
  if (stmt == NULL)
    return NULL;
  bind_text (stmt, 1, sid);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    return phone_call_from_row (stmt);
  if (rc != SQLITE_DONE)
    set_sqlite_error (self, error, "Could not look up a phone call");
  return NULL;
}

GPtrArray *
hc_store_list_phone_calls (HcStore     *self,
                           const char  *room_sid,
                           GError     **error)
{
  g_autoptr(GPtrArray) calls = g_ptr_array_new_with_free_func ((GDestroyNotify) hc_phone_call_record_free);
  g_auto_stmt stmt = NULL;
  int rc;

  g_return_val_if_fail (HC_IS_STORE (self), NULL);

  stmt = prepare (self, "SELECT " PHONE_CALL_COLUMNS " FROM phone_calls WHERE room_sid = ? "
                        "ORDER BY date_created, rowid", error);
  if (stmt == NULL)
    return NULL;
  bind_text (stmt, 1, room_sid);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (calls, phone_call_from_row (stmt));
  if (rc != SQLITE_DONE)
    {
      set_sqlite_error (self, error, "Could not list phone calls");
      return NULL;
    }
  return g_steal_pointer (&calls);
}

gint
hc_store_end_unfinished_phone_calls (HcStore     *self,
                                     gint64       now,
                                     GError     **error)
{
  g_auto_stmt stmt = NULL;

  g_return_val_if_fail (HC_IS_STORE (self), -1);

  /* The SIP dialogs lived in the process that died: an answered call was
   * cut off (completed), one still ringing never got through (failed). */
  stmt = prepare (self, "UPDATE phone_calls SET "
                        "status = CASE status WHEN 'answered' THEN 'completed' ELSE 'failed' END, "
                        "error_code = CASE status WHEN 'answered' THEN error_code ELSE ?2 END, "
                        "error_message = CASE status WHEN 'answered' THEN error_message "
                        "  ELSE 'The server restarted before the call was answered' END, "
                        "hangup_by = 'server-restart', end_time = ?1, date_updated = ?1 "
                        "WHERE status IN ('queued', 'initiated', 'ringing', 'answered')", error);
  if (stmt == NULL)
    return -1;
  sqlite3_bind_int64 (stmt, 1, now);
  sqlite3_bind_int (stmt, 2, HC_ERROR_PHONE_CALL_FAILED);
  if (sqlite3_step (stmt) != SQLITE_DONE)
    {
      set_sqlite_error (self, error, "Could not close unfinished phone calls");
      return -1;
    }
  return sqlite3_changes (self->db);
}

HcSmsRecord *
hc_store_find_sms_by_token (HcStore     *self,
                            const char  *jti,
                            GError     **error)
{
  g_return_val_if_fail (HC_IS_STORE (self), NULL);
  return find_sms_query (self, "SELECT " SMS_COLUMNS " FROM sms_messages "
                               "WHERE token_jti = ?1 AND ?2 IS NULL ORDER BY date_created DESC LIMIT 1",
                         jti, NULL, error);
}

gboolean
hc_store_cancel_token_sms (HcStore     *self,
                           const char  *jti,
                           gint64       now,
                           GError     **error)
{
  g_auto_stmt stmt = NULL;

  g_return_val_if_fail (HC_IS_STORE (self), FALSE);

  stmt = prepare (self, "UPDATE sms_messages SET status = 'cancelled', body = NULL, "
                        "date_updated = ?2 WHERE token_jti = ?1 AND status = 'scheduled'", error);
  if (stmt == NULL)
    return FALSE;
  bind_text (stmt, 1, jti);
  sqlite3_bind_int64 (stmt, 2, now);
  return run_step (self, stmt, error);
}

gboolean
hc_store_insert_sms (HcStore            *self,
                     const HcSmsRecord  *sms,
                     GError            **error)
{
  g_return_val_if_fail (HC_IS_STORE (self), FALSE);
  /* Autocommit: on disk when this returns. */
  return insert_sms (self, sms, error);
}
