/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

typedef struct
{
  gint64    id;
  char     *username;
  char     *display_name;
  char     *password_hash;
  gboolean  disabled;
  gint64    date_created;
} HcProviderRecord;

typedef struct
{
  char     *sid;
  char     *unique_name;
  char     *status;            /* "in-progress" or "completed" */
  char     *type;
  char     *video_codec;       /* "VP8" or "H264" */
  char     *status_callback;
  char     *created_by;
  guint     max_participants;
  gboolean  ad_hoc;
  gint64    date_created;
  gint64    date_updated;
  gint64    end_time;          /* 0 while in progress */
} HcRoomRecord;

typedef struct
{
  char   *jti;
  char   *identity;
  char   *room_sid;
  char   *issued_by;
  gint64  date_created;
  gint64  date_expires;
  gint64  date_revoked;        /* 0 while valid */
} HcTokenRecord;

typedef struct
{
  gint64  id;
  gint64  time;
  char   *event;
  char   *actor;
  char   *subject;
  char   *address;
} HcAuditRecord;

void hc_provider_record_free (HcProviderRecord *record);
void hc_room_record_free     (HcRoomRecord     *record);
void hc_token_record_free    (HcTokenRecord    *record);
void hc_audit_record_free    (HcAuditRecord    *record);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HcProviderRecord, hc_provider_record_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HcRoomRecord, hc_room_record_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HcTokenRecord, hc_token_record_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HcAuditRecord, hc_audit_record_free)

/* One call of the phone bridge (docs/phone-bridge.md). */
typedef struct
{
  char   *sid;                 /* CA + 32 hex */
  char   *room_sid;
  char   *participant_sid;     /* the phone's participant in the room (PA…) */
  char   *created_by;          /* the provider's identity; NULL for the API key */
  char   *to;                  /* E.164 */
  char   *label;               /* the room participant's name, e.g. "Interpreter (es)" */
  char   *send_digits;
  char   *status;              /* initiated, ringing, answered, completed, busy, no-answer, failed, canceled */
  int     sip_code;            /* the final (or latest) SIP response, 0 if none */
  char   *sip_reason;
  int     error_code;          /* an HcErrorCode when the call failed, else 0 */
  char   *error_message;
  char   *status_callback;
  char   *callback_events;     /* space-separated, as Twilio's StatusCallbackEvent */
  char   *hangup_by;           /* provider, phone, max-duration, room-ended, server, server-restart */
  gint64  date_created;
  gint64  date_updated;
  gint64  start_time;          /* answered at, 0 if never */
  gint64  end_time;
} HcPhoneCallRecord;

void               hc_phone_call_record_free  (HcPhoneCallRecord       *record);
HcPhoneCallRecord *hc_phone_call_record_copy  (const HcPhoneCallRecord *record);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HcPhoneCallRecord, hc_phone_call_record_free)

#define HC_TYPE_STORE (hc_store_get_type ())
G_DECLARE_FINAL_TYPE (HcStore, hc_store, HC, STORE, GObject)

HcStore          *hc_store_open                  (const char        *path,
                                                  GError           **error);
int               hc_store_get_schema_version    (HcStore           *self);

/* Groups the writes between them into one transaction: one sync to disk at the
 * commit rather than one per write, and all or none of them kept. Not nested;
 * the writes in between must not open transactions of their own. */
gboolean          hc_store_begin                 (HcStore           *self,
                                                  GError           **error);
gboolean          hc_store_commit                (HcStore           *self,
                                                  GError           **error);
void              hc_store_rollback              (HcStore           *self);

gboolean          hc_store_add_provider          (HcStore           *self,
                                                  const char        *username,
                                                  const char        *display_name,
                                                  const char        *password_hash,
                                                  GError           **error);
HcProviderRecord *hc_store_lookup_provider       (HcStore           *self,
                                                  const char        *username,
                                                  GError           **error);
GPtrArray        *hc_store_list_providers        (HcStore           *self,
                                                  GError           **error);
gboolean          hc_store_set_provider_disabled (HcStore           *self,
                                                  const char        *username,
                                                  gboolean           disabled,
                                                  GError           **error);

gboolean          hc_store_insert_room           (HcStore           *self,
                                                  const HcRoomRecord *room,
                                                  GError           **error);
HcRoomRecord     *hc_store_find_room             (HcStore           *self,
                                                  const char        *sid_or_name,
                                                  GError           **error);
GPtrArray        *hc_store_list_rooms            (HcStore           *self,
                                                  const char        *status,
                                                  const char        *unique_name,
                                                  guint              limit,
                                                  GError           **error);
gboolean          hc_store_complete_room         (HcStore           *self,
                                                  const char        *sid,
                                                  gint64             now,
                                                  GError           **error);

gboolean          hc_store_insert_participant    (HcStore           *self,
                                                  const char        *sid,
                                                  const char        *room_sid,
                                                  const char        *identity,
                                                  const char        *role,
                                                  gint64             now,
                                                  GError           **error);
gboolean          hc_store_disconnect_participant (HcStore          *self,
                                                  const char        *sid,
                                                  gint64             now,
                                                  GError           **error);
gint              hc_store_count_connected       (HcStore           *self,
                                                  const char        *room_sid,
                                                  GError           **error);
gboolean          hc_store_identity_in_room      (HcStore           *self,
                                                  const char        *identity,
                                                  const char        *room_sid,
                                                  const char        *role);
gboolean          hc_store_disconnect_all        (HcStore           *self,
                                                  gint64             now,
                                                  GError           **error);

gboolean          hc_store_record_token          (HcStore           *self,
                                                  const HcTokenRecord *token,
                                                  GError           **error);
gboolean          hc_store_revoke_token          (HcStore           *self,
                                                  const char        *jti,
                                                  const char        *room_sid,
                                                  gint64             now,
                                                  GError           **error);
gboolean          hc_store_token_is_revoked      (HcStore           *self,
                                                  const char        *jti);
GPtrArray        *hc_store_list_tokens           (HcStore           *self,
                                                  const char        *room_sid,
                                                  gint64             now,
                                                  GError           **error);

void              hc_store_audit                 (HcStore           *self,
                                                  const char        *event,
                                                  const char        *actor,
                                                  const char        *subject,
                                                  const char        *address);
GPtrArray        *hc_store_list_audit            (HcStore           *self,
                                                  guint              limit,
                                                  GError           **error);

/* Appointments and their SMS messages (schema version 2). */

typedef struct
{
  char     *sid;
  char     *patient_name;
  char     *mobile;            /* E.164 */
  gint64    start_time;
  char     *provider;          /* a provider's username, or NULL */
  char     *note;              /* clinic-side only: never sent, never logged */
  char     *status;            /* "scheduled" or "cancelled" */
  char     *visit_code;
  gint64    visit_code_expires;
  gint64    visit_code_used;   /* 0 while unused */
  char     *created_by;
  gint64    date_created;
  gint64    date_updated;
} HcAppointmentRecord;

typedef struct
{
  char     *sid;
  char     *appointment_sid;
  char     *kind;              /* "invite", "reminder", "update", "cancel",
                                * "guest-invite" (no appointment) */
  gint64    reminder_offset;   /* seconds before the start, for reminders */
  char     *to_number;
  char     *body;              /* rendered when the send begins; a guest
                                * invite's from the start, and cleared once
                                * the gateway has it (it holds a token) */
  guint     segments;
  char     *status;            /* scheduled, sending, queued, sent, delivered,
                                * failed, cancelled, suppressed */
  gint64    due_at;            /* the next attempt (scheduled), or the next
                                * check of an interrupted send (sending) */
  guint     attempts;
  gint64    sending_since;
  char     *gateway;
  char     *gateway_id;
  gint      error_code;        /* 0: none */
  char     *error_message;
  gint64    date_created;
  gint64    date_updated;
  gint64    date_sent;         /* when the gateway accepted it */
  char     *token_jti;         /* guest-invite: the guest token the link holds */
  gint64    expires_at;        /* guest-invite: when that token expires; 0 otherwise */
} HcSmsRecord;

/* A change to one message; fields left at their "keep" value stay. */
typedef struct
{
  const char *status;          /* required */
  gint64      due_at;          /* 0: keep */
  const char *gateway_id;      /* NULL: keep */
  gint        error_code;      /* -1: keep, 0: clear, else set with error_message */
  const char *error_message;
  gint64      date_sent;       /* 0: keep */
} HcSmsUpdate;

void hc_appointment_record_free (HcAppointmentRecord *record);
void hc_sms_record_free         (HcSmsRecord         *record);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HcAppointmentRecord, hc_appointment_record_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HcSmsRecord, hc_sms_record_free)

/* Inserts the appointment and its messages in one transaction. */
gboolean             hc_store_insert_appointment   (HcStore                    *self,
                                                    const HcAppointmentRecord  *appointment,
                                                    GPtrArray                  *messages,
                                                    GError                    **error);
HcAppointmentRecord *hc_store_find_appointment     (HcStore                    *self,
                                                    const char                 *sid,
                                                    GError                    **error);
GPtrArray           *hc_store_list_appointments    (HcStore                    *self,
                                                    const char                 *provider,
                                                    const char                 *status,
                                                    guint                       limit,
                                                    GError                    **error);
/* Writes the appointment's fields, cancels its scheduled messages whose kind
 * is in @cancel_kinds (NULL-terminated; NULL cancels none) and inserts
 * @messages, all in one transaction. */
gboolean             hc_store_update_appointment   (HcStore                    *self,
                                                    const HcAppointmentRecord  *appointment,
                                                    const char * const         *cancel_kinds,
                                                    GPtrArray                  *messages,
                                                    gint64                      now,
                                                    GError                    **error);

GPtrArray           *hc_store_list_sms             (HcStore                    *self,
                                                    const char                 *appointment_sid,
                                                    GError                    **error);
HcSmsRecord         *hc_store_find_sms             (HcStore                    *self,
                                                    const char                 *sid,
                                                    GError                    **error);
HcSmsRecord         *hc_store_find_sms_by_gateway_id (HcStore                  *self,
                                                    const char                 *gateway,
                                                    const char                 *gateway_id,
                                                    GError                    **error);
/* Inserts one message on its own (a guest invite). */
gboolean             hc_store_insert_sms           (HcStore                    *self,
                                                    const HcSmsRecord          *sms,
                                                    GError                    **error);
/* The newest guest invite texting guest token @jti's link, or NULL. */
HcSmsRecord         *hc_store_find_sms_by_token    (HcStore                    *self,
                                                    const char                 *jti,
                                                    GError                    **error);
/* Cancels guest token @jti's texts that are still scheduled, dropping their
 * text (on revocation). */
gboolean             hc_store_cancel_token_sms     (HcStore                    *self,
                                                    const char                 *jti,
                                                    gint64                      now,
                                                    GError                    **error);
/* Messages in @status whose due_at has come, oldest first. */
GPtrArray           *hc_store_list_sms_due         (HcStore                    *self,
                                                    const char                 *status,
                                                    gint64                      now,
                                                    guint                       limit,
                                                    GError                    **error);
/* The earliest due_at of scheduled or sending messages, or 0. */
gint64               hc_store_next_sms_due         (HcStore                    *self,
                                                    GError                    **error);
/* Moves a scheduled message to sending, with its body, counting the attempt,
 * in a committed transaction: afterwards a crash cannot lose the fact that
 * a send may have begun. *started is FALSE if the message was no longer
 * scheduled (cancelled meanwhile). @check_at becomes its due_at: when a
 * send still marked sending then must be looked into. */
gboolean             hc_store_sms_begin_send       (HcStore                    *self,
                                                    const char                 *sid,
                                                    const char                 *body,
                                                    guint                       segments,
                                                    const char                 *gateway,
                                                    gint64                      now,
                                                    gint64                      check_at,
                                                    gboolean                   *started,
                                                    GError                    **error);
/* Applies @update if the message is in @from_status (NULL: any). */
gboolean             hc_store_sms_update           (HcStore                    *self,
                                                    const char                 *sid,
                                                    const char                 *from_status,
                                                    const HcSmsUpdate          *update,
                                                    gint64                      now,
                                                    gboolean                   *changed,
                                                    GError                    **error);
/* Records a gateway's report: queued < sent < delivered = failed, never
 * backwards, so reports that arrive out of order do no harm. A report also
 * settles a message we were about to retry or had given up on for want of
 * an answer: the gateway evidently had it. */
gboolean             hc_store_sms_report           (HcStore                    *self,
                                                    const char                 *sid,
                                                    const char                 *status,
                                                    gint                        error_code,
                                                    const char                 *error_message,
                                                    gint64                      now,
                                                    gboolean                   *changed,
                                                    GError                    **error);

/* The gateway ids of @gateway's messages to @to_number other than
 * @except_sid, NULL-terminated: which of the gateway's messages are spoken
 * for when an interrupted send is looked for. */
GStrv                hc_store_list_sms_gateway_ids (HcStore                    *self,
                                                    const char                 *gateway,
                                                    const char                 *to_number,
                                                    const char                 *except_sid,
                                                    GError                    **error);

gboolean             hc_store_set_opted_out        (HcStore                    *self,
                                                    const char                 *number,
                                                    gboolean                    opted_out,
                                                    gint64                      now,
                                                    GError                    **error);
gboolean             hc_store_is_opted_out         (HcStore                    *self,
                                                    const char                 *number);

/* The waiting room (schema version 3). */

typedef struct
{
  gint64    id;
  char     *appointment_sid;
  char     *provider;
  char     *identity;          /* the patient's token identity, never their name */
  char     *display_name;      /* health information: never logged */
  gint64    checked_in_at;
  char     *status;            /* waiting, admitted, removed, left, done */
  char     *preflight;         /* JSON */
  char     *intake;            /* JSON; health information */
  gint      verdict;
  gboolean  devices_ok;
  char     *room_sid;
  char     *message;
  gint64    start_time;        /* the appointment's */
} HcWaitingEntry;

void                 hc_waiting_entry_free                (HcWaitingEntry *entry);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HcWaitingEntry, hc_waiting_entry_free)

HcAppointmentRecord *hc_store_find_appointment_by_code    (HcStore              *self,
                                                           const char           *code,
                                                           GError              **error);
gboolean             hc_store_check_in                    (HcStore              *self,
                                                           const HcWaitingEntry *entry,
                                                           gint64                now,
                                                           GError              **error);
HcWaitingEntry      *hc_store_find_waiting_entry          (HcStore              *self,
                                                           gint64                id,
                                                           GError              **error);
HcWaitingEntry      *hc_store_find_waiting_by_identity    (HcStore              *self,
                                                           const char           *identity,
                                                           GError              **error);
HcWaitingEntry      *hc_store_find_waiting_by_appointment (HcStore              *self,
                                                           const char           *appointment_sid,
                                                           GError              **error);
/* Entries waiting or admitted, first checked in first; @provider NULL for all. */
GPtrArray           *hc_store_list_waiting                (HcStore              *self,
                                                           const char           *provider,
                                                           GError              **error);
gboolean             hc_store_set_waiting_status          (HcStore              *self,
                                                           gint64                id,
                                                           const char           *status,
                                                           const char           *room_sid,
                                                           const char           *message,
                                                           gint64                now,
                                                           GError              **error);
gboolean             hc_store_finish_room_visits          (HcStore              *self,
                                                           const char           *room_sid,
                                                           gint64                now,
                                                           GError              **error);
/* Of the provider's last 20 visits (any provider's when NULL), 0 if none. */
gint64               hc_store_average_visit_seconds       (HcStore              *self,
                                                           const char           *provider);

/* Inserts or replaces the whole record. */
gboolean             hc_store_save_phone_call             (HcStore                  *self,
                                                           const HcPhoneCallRecord  *call,
                                                           GError                  **error);
HcPhoneCallRecord   *hc_store_find_phone_call             (HcStore                  *self,
                                                           const char               *sid,
                                                           GError                  **error);
/* A room's calls, oldest first. */
GPtrArray           *hc_store_list_phone_calls            (HcStore                  *self,
                                                           const char               *room_sid,
                                                           GError                  **error);
/* At start-up: calls a previous process left unfinished end; returns how
 * many, or -1. */
gint                 hc_store_end_unfinished_phone_calls  (HcStore                  *self,
                                                           gint64                    now,
                                                           GError                  **error);

G_END_DECLS
