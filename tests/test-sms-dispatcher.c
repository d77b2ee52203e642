/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "hc-config.h"
#include "hc-error.h"
#include "hc-fake-clock.h"
#include "hc-sid.h"
#include "hc-sms-dispatcher.h"
#include "hc-store.h"

#include <glib/gstdio.h>
#include <string.h>

/* The SMS queue against a fake clock and a scripted gateway: reminders at
 * their offsets, moves and cancellations, retries with backoff and the
 * give-up bound, opt-out, reports, and sends interrupted by a crash. */

#define T0 1800000000
#define HOUR 3600
#define DAY 86400

/* A scripted gateway */

typedef enum
{
  REPLY_OK,
  REPLY_UNAVAILABLE,
  REPLY_REJECTED,
  REPLY_HOLD,                  /* never answers, as if the process died meanwhile */
} Reply;

#define TEST_TYPE_SENDER (test_sender_get_type ())
G_DECLARE_FINAL_TYPE (TestSender, test_sender, TEST, SENDER, GObject)

struct _TestSender
{
  GObject               parent_instance;

  GQueue                replies;
  GPtrArray            *sent;          /* "to|body|sid" */
  GPtrArray            *held;          /* GTask */
  HcSmsReconcileResult  verdict;
  guint                 n_reconciled;
};

static void test_sender_iface_init (HcSmsSenderInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (TestSender, test_sender, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (HC_TYPE_SMS_SENDER, test_sender_iface_init))

static const char *
test_sender_get_name (HcSmsSender *sender)
{
  return "test";
}

static void
test_sender_send_async (HcSmsSender          *sender,
                        const HcSmsOutgoing  *message,
                        GCancellable         *cancellable,
                        GAsyncReadyCallback   callback,
                        gpointer              user_data)
{
  TestSender *self = TEST_SENDER (sender);
  GTask *task = g_task_new (self, cancellable, callback, user_data);
  Reply reply = GPOINTER_TO_INT (g_queue_pop_head (&self->replies));

  g_assert_nonnull (message->callback_url);
  g_assert_nonnull (strstr (message->callback_url, message->sid));
  g_ptr_array_add (self->sent, g_strdup_printf ("%s|%s|%s", message->to, message->body,
                                                message->sid));
  switch (reply)
    {
    case REPLY_OK:
      g_task_return_pointer (task, g_strconcat ("GW-", message->sid, NULL), g_free);
      break;
    case REPLY_UNAVAILABLE:
      g_task_return_new_error (task, HC_ERROR, HC_ERROR_SMS_GATEWAY_UNAVAILABLE,
                               "connection refused");
      break;
    case REPLY_REJECTED:
      g_task_return_new_error (task, HC_ERROR, HC_ERROR_SMS_GATEWAY_REJECTED,
                               "Twilio refused the message: error 21211");
      break;
    case REPLY_HOLD:
      g_ptr_array_add (self->held, g_steal_pointer (&task));
      return;
    }
  g_object_unref (task);
}

static char *
test_sender_send_finish (HcSmsSender   *sender,
                         GAsyncResult  *result,
                         GError       **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
test_sender_reconcile_async (HcSmsSender          *sender,
                             const HcSmsOutgoing  *message,
                             GCancellable         *cancellable,
                             GAsyncReadyCallback   callback,
                             gpointer              user_data)
{
  TestSender *self = TEST_SENDER (sender);
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);

  self->n_reconciled++;
  g_task_return_int (task, self->verdict);
}

static HcSmsReconcileResult
test_sender_reconcile_finish (HcSmsSender   *sender,
                              GAsyncResult  *result,
                              char         **gateway_id,
                              GError       **error)
{
  HcSmsReconcileResult verdict = (HcSmsReconcileResult) g_task_propagate_int (G_TASK (result),
                                                                              error);

  if (verdict == HC_SMS_RECONCILE_SENT)
    *gateway_id = g_strdup ("GW-found");
  return verdict;
}

static void
test_sender_iface_init (HcSmsSenderInterface *iface)
{
  iface->get_name = test_sender_get_name;
  iface->send_async = test_sender_send_async;
  iface->send_finish = test_sender_send_finish;
  iface->reconcile_async = test_sender_reconcile_async;
  iface->reconcile_finish = test_sender_reconcile_finish;
}

static void
test_sender_finalize (GObject *object)
{
  TestSender *self = TEST_SENDER (object);

  g_queue_clear (&self->replies);
  g_ptr_array_unref (self->sent);
  g_ptr_array_unref (self->held);
  G_OBJECT_CLASS (test_sender_parent_class)->finalize (object);
}

static void
test_sender_class_init (TestSenderClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = test_sender_finalize;
}

static void
test_sender_init (TestSender *self)
{
  g_queue_init (&self->replies);
  self->sent = g_ptr_array_new_with_free_func (g_free);
  self->held = g_ptr_array_new_with_free_func (g_object_unref);
  self->verdict = HC_SMS_RECONCILE_UNKNOWN;
}

static void
script (TestSender *sender,
        Reply       reply,
        guint       times)
{
  for (guint i = 0; i < times; i++)
    g_queue_push_tail (&sender->replies, GINT_TO_POINTER (reply));
}

/* Fixture */

typedef struct
{
  char            *dir;
  HcConfig        *config;
  HcStore         *store;
  HcFakeClock     *clock;
  TestSender      *sender;
  HcSmsDispatcher *dispatcher;
} Fixture;

static void
pump (void)
{
  /* Bounded: the queue's work is a handful of idle callbacks. */
  for (guint i = 0; i < 1000 && g_main_context_iteration (NULL, FALSE); i++)
    ;
}

/* What a cancelled (or never answered) send looks like to the dispatcher:
 * the row stays "sending", as after kill -9. */
static void
drop_held (Fixture *f)
{
  for (guint i = 0; i < f->sender->held->len; i++)
    g_task_return_new_error (g_ptr_array_index (f->sender->held, i), G_IO_ERROR,
                             G_IO_ERROR_CANCELLED, "gone");
  g_ptr_array_set_size (f->sender->held, 0);
  pump ();
}

static void
start_dispatcher (Fixture *f)
{
  f->dispatcher = hc_sms_dispatcher_new (f->store, HC_SMS_SENDER (f->sender), HC_CLOCK (f->clock),
                                         f->config);
  hc_sms_dispatcher_start (f->dispatcher, "https://clinic.example", "https://hooks.example");
  pump ();
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;

  f->dir = g_dir_make_tmp ("hc-sms-XXXXXX", &error);
  g_assert_no_error (error);
  path = g_build_filename (f->dir, "housecalld.db", NULL);
  f->store = hc_store_open (path, &error);
  g_assert_no_error (error);
  f->config = hc_config_new ();
  g_free (f->config->clinic_name);
  f->config->clinic_name = g_strdup ("Northside Clinic");
  f->config->clinic_timezone = g_strdup ("UTC");
  f->config->sms_callback_secret = g_strdup ("0123456789abcdef0123456789abcdef");
  f->config->sms_max_attempts = 4;
  f->config->sms_retry_initial = 10;
  f->config->sms_retry_max = 25;
  f->config->sms_confirm_timeout = 600;
  f->clock = hc_fake_clock_new (T0);
  f->sender = g_object_new (TEST_TYPE_SENDER, NULL);
  start_dispatcher (f);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(GDir) dir = NULL;
  const char *name;

  hc_sms_dispatcher_stop (f->dispatcher);
  drop_held (f);
  g_assert_finalize_object (f->dispatcher);
  g_assert_finalize_object (f->sender);
  g_assert_finalize_object (f->clock);
  g_assert_finalize_object (f->store);
  hc_config_free (f->config);
  dir = g_dir_open (f->dir, 0, NULL);
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (f->dir, name, NULL);
      g_unlink (child);
    }
  g_rmdir (f->dir);
  g_free (f->dir);
}

/* Simulates kill -9: the dispatcher and its sends vanish without a word;
 * only the store remains. */
static void
crash_and_restart (Fixture *f)
{
  hc_sms_dispatcher_stop (f->dispatcher);
  drop_held (f);
  g_assert_finalize_object (f->dispatcher);
  start_dispatcher (f);
}

static char *
book (Fixture *f,
      gint64   start,
      const char *mobile)
{
  g_autoptr(HcAppointmentRecord) appointment = g_new0 (HcAppointmentRecord, 1);
  g_autoptr(GPtrArray) messages = NULL;
  g_autoptr(GError) error = NULL;

  appointment->sid = hc_sid_new (HC_SID_PREFIX_APPOINTMENT);
  appointment->patient_name = g_strdup ("Pat Example");
  appointment->mobile = g_strdup (mobile);
  appointment->start_time = start;
  appointment->note = g_strdup ("private clinical note");
  appointment->status = g_strdup ("scheduled");
  appointment->date_created = hc_clock_now (HC_CLOCK (f->clock));
  messages = hc_sms_dispatcher_plan_new (f->dispatcher, appointment, &error);
  g_assert_no_error (error);
  g_assert_true (hc_store_insert_appointment (f->store, appointment, messages, &error));
  g_assert_no_error (error);
  hc_sms_dispatcher_kick (f->dispatcher);
  pump ();
  return g_strdup (appointment->sid);
}

static void
change (Fixture    *f,
        const char *sid,
        gint64      start,
        const char *mobile,
        gboolean    cancel)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(HcAppointmentRecord) old = hc_store_find_appointment (f->store, sid, &error);
  g_autoptr(HcAppointmentRecord) updated = hc_store_find_appointment (f->store, sid, &error);
  g_autoptr(GPtrArray) current = hc_store_list_sms (f->store, sid, &error);
  g_autoptr(GPtrArray) messages = NULL;
  const char * const *cancel_kinds = NULL;

  g_assert_no_error (error);
  if (start != 0)
    updated->start_time = start;
  if (mobile != NULL)
    {
      g_free (updated->mobile);
      updated->mobile = g_strdup (mobile);
    }
  if (cancel)
    {
      g_free (updated->status);
      updated->status = g_strdup ("cancelled");
    }
  messages = hc_sms_dispatcher_plan_change (f->dispatcher, old, updated, current, &cancel_kinds,
                                            &error);
  g_assert_no_error (error);
  g_assert_true (hc_store_update_appointment (f->store, updated, cancel_kinds, messages,
                                              hc_clock_now (HC_CLOCK (f->clock)), &error));
  g_assert_no_error (error);
  hc_sms_dispatcher_kick (f->dispatcher);
  pump ();
}

/* Moves the clock to @when, firing what falls due on the way. */
static void
advance_to (Fixture *f,
            gint64   when)
{
  /* Step through each wake-up so that sends finish in between. */
  for (guint i = 0; i < 10000; i++)
    {
      gint64 next = hc_fake_clock_get_next_wakeup (f->clock);

      if (next == 0 || next > when)
        break;
      hc_fake_clock_set (f->clock, MAX (next, hc_clock_now (HC_CLOCK (f->clock))));
      pump ();
    }
  hc_fake_clock_set (f->clock, when);
  pump ();
}

static HcSmsRecord *
find_message (Fixture    *f,
              const char *appointment_sid,
              const char *kind,
              const char *status)
{
  g_autoptr(GPtrArray) list = hc_store_list_sms (f->store, appointment_sid, NULL);

  for (guint i = 0; i < list->len; i++)
    {
      HcSmsRecord *sms = g_ptr_array_index (list, i);

      if (strcmp (sms->kind, kind) == 0 && (status == NULL || strcmp (sms->status, status) == 0))
        return g_ptr_array_steal_index (list, i);
    }
  return NULL;
}

static guint
count_messages (Fixture    *f,
                const char *appointment_sid,
                const char *kind,
                const char *status)
{
  g_autoptr(GPtrArray) list = hc_store_list_sms (f->store, appointment_sid, NULL);
  guint n = 0;

  for (guint i = 0; i < list->len; i++)
    {
      HcSmsRecord *sms = g_ptr_array_index (list, i);

      if (strcmp (sms->kind, kind) == 0 && (status == NULL || strcmp (sms->status, status) == 0))
        n++;
    }
  return n;
}

static const char *
sent (Fixture *f,
      guint    index)
{
  g_assert_cmpuint (index, <, f->sender->sent->len);
  return g_ptr_array_index (f->sender->sent, index);
}

/* Tests */

static void
test_reminders_at_offsets (Fixture       *f,
                           gconstpointer  data)
{
  gint64 start = T0 + 2 * DAY;
  g_autofree char *sid = book (f, start, "+447911123456");
  g_autoptr(HcSmsRecord) invite = find_message (f, sid, "invite", NULL);
  g_autoptr(HcAppointmentRecord) appointment = hc_store_find_appointment (f->store, sid, NULL);

  /* The invite goes at once, to the number, with the time and the link, and
   * nothing of the note or the name. */
  g_assert_cmpuint (f->sender->sent->len, ==, 1);
  g_assert_true (g_str_has_prefix (sent (f, 0), "+447911123456|Northside Clinic: your video visit "
                                                "is on Sun 17 Jan at 08:00."));
  g_assert_nonnull (strstr (sent (f, 0), appointment->visit_code));
  g_assert_nonnull (strstr (sent (f, 0), "https://clinic.example/v/"));
  g_assert_null (strstr (sent (f, 0), "note"));
  g_assert_null (strstr (sent (f, 0), "Pat"));
  g_assert_cmpstr (invite->status, ==, "queued");
  g_assert_true (g_str_has_prefix (invite->gateway_id, "GW-MS"));
  g_assert_cmpuint (count_messages (f, sid, "reminder", "scheduled"), ==, 2);

  /* Nothing until a day before; then exactly one reminder. */
  advance_to (f, start - DAY - 1);
  g_assert_cmpuint (f->sender->sent->len, ==, 1);
  advance_to (f, start - DAY);
  g_assert_cmpuint (f->sender->sent->len, ==, 2);
  g_assert_nonnull (strstr (sent (f, 1), "Northside Clinic: reminder of your video visit on "
                                         "Sun 17 Jan at 08:00."));
  g_assert_cmpuint (count_messages (f, sid, "reminder", "queued"), ==, 1);

  /* The second at 15 minutes before, and nothing after it. */
  advance_to (f, start - 15 * 60 - 1);
  g_assert_cmpuint (f->sender->sent->len, ==, 2);
  advance_to (f, start - 15 * 60);
  g_assert_cmpuint (f->sender->sent->len, ==, 3);
  advance_to (f, start + DAY);
  g_assert_cmpuint (f->sender->sent->len, ==, 3);
  g_assert_cmpuint (count_messages (f, sid, "reminder", "queued"), ==, 2);
  g_assert_cmpuint (hc_fake_clock_get_n_wakeups (f->clock), ==, 0);
}

static void
test_reminders_in_the_past_are_skipped (Fixture       *f,
                                        gconstpointer  data)
{
  /* Booked an hour ahead: the day-before reminder is already past. */
  g_autofree char *sid = book (f, T0 + HOUR, "+447911123456");

  g_assert_cmpuint (count_messages (f, sid, "reminder", NULL), ==, 1);
  advance_to (f, T0 + HOUR);
  g_assert_cmpuint (f->sender->sent->len, ==, 2);
}

static void
test_moved (Fixture       *f,
            gconstpointer  data)
{
  gint64 start = T0 + 2 * DAY;
  gint64 later = start + 3 * DAY;
  g_autofree char *sid = book (f, start, "+447911123456");

  change (f, sid, later, NULL, FALSE);
  /* The reminders moved; the patient, who had the invite, gets an update. */
  g_assert_cmpuint (count_messages (f, sid, "reminder", "cancelled"), ==, 2);
  g_assert_cmpuint (count_messages (f, sid, "reminder", "scheduled"), ==, 2);
  g_assert_cmpuint (f->sender->sent->len, ==, 2);
  g_assert_nonnull (strstr (sent (f, 1), "has moved to Wed 20 Jan at 08:00"));

  advance_to (f, start);
  g_assert_cmpuint (f->sender->sent->len, ==, 2);
  advance_to (f, later - DAY);
  g_assert_cmpuint (f->sender->sent->len, ==, 3);
  g_assert_nonnull (strstr (sent (f, 2), "Wed 20 Jan at 08:00"));
  advance_to (f, later);
  g_assert_cmpuint (f->sender->sent->len, ==, 4);
}

static void
test_moved_before_invite_sent (Fixture       *f,
                               gconstpointer  data)
{
  gint64 start = T0 + 2 * DAY;
  g_autofree char *sid = NULL;

  /* The gateway is down for the invite: moving then needs no update, the
   * invite itself will carry the new time. */
  script (f->sender, REPLY_UNAVAILABLE, 1);
  sid = book (f, start, "+447911123456");
  change (f, sid, start + HOUR, NULL, FALSE);
  g_assert_cmpuint (count_messages (f, sid, "update", NULL), ==, 0);
  advance_to (f, T0 + 10);
  g_assert_cmpuint (f->sender->sent->len, ==, 2);
  g_assert_nonnull (strstr (sent (f, 1), "your video visit is on Sun 17 Jan at 09:00"));
}

static void
test_new_number (Fixture       *f,
                 gconstpointer  data)
{
  gint64 start = T0 + 2 * DAY;
  g_autofree char *sid = book (f, start, "+447911123456");

  change (f, sid, 0, "+447700900123", FALSE);
  g_assert_cmpuint (f->sender->sent->len, ==, 2);
  g_assert_true (g_str_has_prefix (sent (f, 1), "+447700900123|Northside Clinic: your video visit"));
  advance_to (f, start);
  g_assert_cmpuint (f->sender->sent->len, ==, 4);
  g_assert_true (g_str_has_prefix (sent (f, 2), "+447700900123|"));
  g_assert_true (g_str_has_prefix (sent (f, 3), "+447700900123|"));
}

static void
test_cancelled (Fixture       *f,
                gconstpointer  data)
{
  gint64 start = T0 + 2 * DAY;
  g_autofree char *sid = book (f, start, "+447911123456");

  change (f, sid, 0, NULL, TRUE);
  g_assert_cmpuint (count_messages (f, sid, "reminder", "cancelled"), ==, 2);
  g_assert_cmpuint (f->sender->sent->len, ==, 2);
  g_assert_nonnull (strstr (sent (f, 1), "is cancelled"));
  advance_to (f, start + DAY);
  g_assert_cmpuint (f->sender->sent->len, ==, 2);
}

static void
test_cancelled_quietly (Fixture       *f,
                        gconstpointer  data)
{
  gint64 start = T0 + 2 * DAY;
  g_autofree char *sid = NULL;

  /* Without send-cancellation, or when the invite never went out, the
   * patient hears nothing. */
  f->config->sms_send_cancellation = FALSE;
  sid = book (f, start, "+447911123456");
  change (f, sid, 0, NULL, TRUE);
  advance_to (f, start + DAY);
  g_assert_cmpuint (f->sender->sent->len, ==, 1);
}

static void
test_retry_backoff (Fixture       *f,
                    gconstpointer  data)
{
  g_autofree char *sid = NULL;
  g_autoptr(HcSmsRecord) retrying = NULL;
  g_autoptr(HcSmsRecord) invite = NULL;

  /* Backoff 10 s, 20 s, then capped at 25 s; the fourth attempt works. */
  script (f->sender, REPLY_UNAVAILABLE, 3);
  sid = book (f, T0 + 2 * DAY, "+447911123456");
  g_assert_cmpuint (f->sender->sent->len, ==, 1);
  retrying = find_message (f, sid, "invite", "scheduled");
  g_assert_nonnull (retrying);
  g_assert_cmpint (retrying->due_at, ==, T0 + 10);
  g_assert_cmpuint (retrying->attempts, ==, 1);
  g_assert_cmpint (retrying->error_code, ==, HC_ERROR_SMS_GATEWAY_UNAVAILABLE);
  g_assert_nonnull (strstr (retrying->error_message, "Attempt 1 of 4 failed"));

  advance_to (f, T0 + 9);
  g_assert_cmpuint (f->sender->sent->len, ==, 1);
  advance_to (f, T0 + 10);
  g_assert_cmpuint (f->sender->sent->len, ==, 2);
  advance_to (f, T0 + 29);
  g_assert_cmpuint (f->sender->sent->len, ==, 2);
  advance_to (f, T0 + 30);
  g_assert_cmpuint (f->sender->sent->len, ==, 3);
  advance_to (f, T0 + 54);
  g_assert_cmpuint (f->sender->sent->len, ==, 3);
  advance_to (f, T0 + 55);
  g_assert_cmpuint (f->sender->sent->len, ==, 4);

  invite = find_message (f, sid, "invite", NULL);
  g_assert_cmpstr (invite->status, ==, "queued");
  g_assert_cmpuint (invite->attempts, ==, 4);
  g_assert_cmpint (invite->error_code, ==, 0);
  /* Every attempt carried the same message: one sid, one text. */
  for (guint i = 1; i < 4; i++)
    g_assert_cmpstr (sent (f, i), ==, sent (f, 0));
}

static void
test_give_up (Fixture       *f,
              gconstpointer  data)
{
  g_autofree char *sid = NULL;
  g_autoptr(HcSmsRecord) invite = NULL;

  script (f->sender, REPLY_UNAVAILABLE, 100);
  sid = book (f, T0 + 2 * DAY, "+447911123456");
  advance_to (f, T0 + HOUR);
  g_assert_cmpuint (f->sender->sent->len, ==, 4);
  invite = find_message (f, sid, "invite", NULL);
  g_assert_cmpstr (invite->status, ==, "failed");
  g_assert_cmpint (invite->error_code, ==, HC_ERROR_SMS_GATEWAY_UNAVAILABLE);
  g_assert_nonnull (strstr (invite->error_message, "Gave up after 4 attempts"));
  /* The reminders are untouched by the invite's failure. */
  g_assert_cmpuint (count_messages (f, sid, "reminder", "scheduled"), ==, 2);
}

static void
test_rejected (Fixture       *f,
               gconstpointer  data)
{
  g_autofree char *sid = NULL;
  g_autoptr(HcSmsRecord) invite = NULL;

  script (f->sender, REPLY_REJECTED, 1);
  sid = book (f, T0 + 2 * DAY, "+447911123456");
  advance_to (f, T0 + HOUR);
  g_assert_cmpuint (f->sender->sent->len, ==, 1);
  invite = find_message (f, sid, "invite", NULL);
  g_assert_cmpstr (invite->status, ==, "failed");
  g_assert_cmpint (invite->error_code, ==, HC_ERROR_SMS_GATEWAY_REJECTED);
  g_assert_nonnull (strstr (invite->error_message, "21211"));
}

static void
test_expired (Fixture       *f,
              gconstpointer  data)
{
  g_autofree char *sid = NULL;
  g_autoptr(HcSmsRecord) reminder = NULL;

  /* The gateway is down past the visit: the last reminder is not sent
   * after the start, and it says why. */
  f->config->sms_max_attempts = 100;
  f->config->sms_retry_max = 600;
  sid = book (f, T0 + HOUR, "+447911123456");
  script (f->sender, REPLY_UNAVAILABLE, 100);
  advance_to (f, T0 + 2 * HOUR);
  reminder = find_message (f, sid, "reminder", NULL);
  g_assert_cmpstr (reminder->status, ==, "failed");
  g_assert_cmpint (reminder->error_code, ==, HC_ERROR_SMS_EXPIRED);
}

static void
test_opt_out (Fixture       *f,
              gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *first = NULL;
  g_autofree char *second = NULL;
  g_autoptr(HcSmsRecord) suppressed = NULL;

  g_assert_true (hc_sms_dispatcher_inbound (f->dispatcher, "447911123456", "Stop please", &error));
  g_assert_no_error (error);
  g_assert_true (hc_store_is_opted_out (f->store, "+447911123456"));
  first = book (f, T0 + 2 * DAY, "+447911123456");
  g_assert_cmpuint (f->sender->sent->len, ==, 0);
  suppressed = find_message (f, first, "invite", NULL);
  g_assert_cmpstr (suppressed->status, ==, "suppressed");
  g_assert_cmpint (suppressed->error_code, ==, HC_ERROR_SMS_OPTED_OUT);

  /* Other words change nothing; START opts back in. */
  g_assert_true (hc_sms_dispatcher_inbound (f->dispatcher, "+447911123456", "thanks!", &error));
  g_assert_true (hc_store_is_opted_out (f->store, "+447911123456"));
  g_assert_true (hc_sms_dispatcher_inbound (f->dispatcher, "+447911123456", " START", &error));
  g_assert_false (hc_store_is_opted_out (f->store, "+447911123456"));
  second = book (f, T0 + 3 * DAY, "+447911123456");
  g_assert_cmpuint (f->sender->sent->len, ==, 1);
  /* The first appointment's reminders, still ahead, go out again too. */
  advance_to (f, T0 + 2 * DAY);
  g_assert_cmpuint (f->sender->sent->len, ==, 4);

  g_assert_false (hc_sms_dispatcher_inbound (f->dispatcher, "not a number", "STOP", &error));
  g_assert_error (error, HC_ERROR, HC_ERROR_INVALID_PHONE_NUMBER);
}

static void
test_reports (Fixture       *f,
              gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *sid = book (f, T0 + 2 * DAY, "+447911123456");
  g_autoptr(HcSmsRecord) invite = find_message (f, sid, "invite", NULL);
  g_autoptr(HcSmsRecord) after = NULL;

  /* Reports that arrive out of order never move a message backwards. */
  g_assert_true (hc_sms_dispatcher_report (f->dispatcher, invite->sid, "delivered", NULL, &error));
  g_assert_true (hc_sms_dispatcher_report (f->dispatcher, invite->sid, "sent", NULL, &error));
  g_assert_true (hc_sms_dispatcher_report (f->dispatcher, invite->sid, "failed", "late", &error));
  g_assert_no_error (error);
  after = find_message (f, sid, "invite", NULL);
  g_assert_cmpstr (after->status, ==, "delivered");
  g_assert_cmpint (after->error_code, ==, 0);
}

static void
test_failure_report (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *sid = book (f, T0 + 2 * DAY, "+447911123456");
  g_autoptr(HcSmsRecord) invite = find_message (f, sid, "invite", NULL);
  g_autoptr(HcSmsRecord) after = NULL;

  g_assert_true (hc_sms_dispatcher_report (f->dispatcher, invite->sid, "sent", NULL, &error));
  g_assert_true (hc_sms_dispatcher_report (f->dispatcher, invite->sid, "failed",
                                           "Kannel DLR 16, NACK/0x0b/Invalid Destination", &error));
  after = find_message (f, sid, "invite", NULL);
  g_assert_cmpstr (after->status, ==, "failed");
  g_assert_cmpint (after->error_code, ==, HC_ERROR_SMS_UNDELIVERED);
  g_assert_nonnull (strstr (after->error_message, "Invalid Destination"));
}

static void
test_report_settles_retry (Fixture       *f,
                           gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *sid = NULL;
  g_autoptr(HcSmsRecord) invite = NULL;

  /* A timeout after the gateway had in fact taken the message: its report
   * arrives before the retry, and the retry does not happen. */
  script (f->sender, REPLY_UNAVAILABLE, 1);
  sid = book (f, T0 + 2 * DAY, "+447911123456");
  invite = find_message (f, sid, "invite", "scheduled");
  g_assert_true (hc_sms_dispatcher_report (f->dispatcher, invite->sid, "sent", NULL, &error));
  advance_to (f, T0 + HOUR);
  g_assert_cmpuint (f->sender->sent->len, ==, 1);
  g_clear_pointer (&invite, hc_sms_record_free);
  invite = find_message (f, sid, "invite", NULL);
  g_assert_cmpstr (invite->status, ==, "sent");
}

/* kill -9 while the gateway has the request: the row is "sending". */
static char *
book_and_crash_mid_send (Fixture *f)
{
  g_autofree char *sid = NULL;
  g_autoptr(HcSmsRecord) invite = NULL;

  script (f->sender, REPLY_HOLD, 1);
  sid = book (f, T0 + 2 * DAY, "+447911123456");
  g_assert_cmpuint (f->sender->sent->len, ==, 1);
  g_assert_cmpuint (hc_sms_dispatcher_get_n_in_flight (f->dispatcher), ==, 1);
  invite = find_message (f, sid, "invite", NULL);
  g_assert_cmpstr (invite->status, ==, "sending");
  g_assert_nonnull (invite->body);
  crash_and_restart (f);
  return g_steal_pointer (&sid);
}

static void
test_crash_gateway_had_it (Fixture       *f,
                           gconstpointer  data)
{
  g_autofree char *sid = NULL;
  g_autoptr(HcSmsRecord) invite = NULL;

  f->sender->verdict = HC_SMS_RECONCILE_SENT;
  sid = book_and_crash_mid_send (f);
  g_assert_cmpuint (f->sender->n_reconciled, ==, 1);
  g_assert_cmpuint (f->sender->sent->len, ==, 1);
  invite = find_message (f, sid, "invite", NULL);
  g_assert_cmpstr (invite->status, ==, "queued");
  g_assert_cmpstr (invite->gateway_id, ==, "GW-found");
  /* And the reminders still come, once each. */
  advance_to (f, T0 + 2 * DAY);
  g_assert_cmpuint (f->sender->sent->len, ==, 3);
}

static void
test_crash_gateway_never_had_it (Fixture       *f,
                                 gconstpointer  data)
{
  g_autofree char *sid = NULL;
  g_autoptr(HcSmsRecord) invite = NULL;

  f->sender->verdict = HC_SMS_RECONCILE_NOT_SENT;
  sid = book_and_crash_mid_send (f);
  g_assert_cmpuint (f->sender->sent->len, ==, 2);
  g_assert_cmpstr (sent (f, 1), ==, sent (f, 0));
  invite = find_message (f, sid, "invite", NULL);
  g_assert_cmpstr (invite->status, ==, "queued");
}

static void
test_crash_unknown_then_report (Fixture       *f,
                                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *sid = NULL;
  g_autoptr(HcSmsRecord) invite = NULL;

  /* Kannel cannot be asked: the message waits for its report, which
   * settles it, and is never sent twice. */
  sid = book_and_crash_mid_send (f);
  advance_to (f, T0 + 120);
  g_assert_cmpuint (f->sender->sent->len, ==, 1);
  invite = find_message (f, sid, "invite", NULL);
  g_assert_cmpstr (invite->status, ==, "sending");
  g_assert_true (hc_sms_dispatcher_report (f->dispatcher, invite->sid, "sent", NULL, &error));
  g_clear_pointer (&invite, hc_sms_record_free);
  invite = find_message (f, sid, "invite", NULL);
  g_assert_cmpstr (invite->status, ==, "sent");
  advance_to (f, T0 + HOUR);
  g_assert_cmpuint (f->sender->sent->len, ==, 1);
}

static void
test_crash_unknown_then_timeout (Fixture       *f,
                                 gconstpointer  data)
{
  g_autofree char *sid = NULL;
  g_autoptr(HcSmsRecord) invite = NULL;

  sid = book_and_crash_mid_send (f);
  advance_to (f, T0 + 599);
  invite = find_message (f, sid, "invite", NULL);
  g_assert_cmpstr (invite->status, ==, "sending");
  g_clear_pointer (&invite, hc_sms_record_free);
  advance_to (f, T0 + 600);
  invite = find_message (f, sid, "invite", NULL);
  g_assert_cmpstr (invite->status, ==, "failed");
  g_assert_cmpint (invite->error_code, ==, HC_ERROR_SMS_UNCONFIRMED);
  g_assert_cmpuint (f->sender->sent->len, ==, 1);
}

static void
test_template_errors (Fixture       *f,
                      gconstpointer  data)
{
  g_autoptr(HcAppointmentRecord) appointment = g_new0 (HcAppointmentRecord, 1);
  g_autoptr(GPtrArray) messages = NULL;
  g_autoptr(GError) error = NULL;

  f->config->sms_templates[HC_SMS_KIND_REMINDER] = g_strdup ("{clinic}: see {provider} at {time}");
  appointment->sid = hc_sid_new (HC_SID_PREFIX_APPOINTMENT);
  appointment->mobile = g_strdup ("+447911123456");
  appointment->start_time = T0 + DAY;
  appointment->status = g_strdup ("scheduled");
  messages = hc_sms_dispatcher_plan_new (f->dispatcher, appointment, &error);
  g_assert_null (messages);
  g_assert_error (error, HC_ERROR, HC_ERROR_SMS_TEMPLATE_VARIABLE_EMPTY);
  g_assert_nonnull (strstr (error->message, "reminder"));
  g_assert_nonnull (strstr (error->message, "{provider}"));
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(path, func) \
  g_test_add ("/sms-dispatcher/" path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("reminders-at-offsets", test_reminders_at_offsets);
  ADD ("reminders-in-the-past-are-skipped", test_reminders_in_the_past_are_skipped);
  ADD ("moved", test_moved);
  ADD ("moved-before-invite-sent", test_moved_before_invite_sent);
  ADD ("new-number", test_new_number);
  ADD ("cancelled", test_cancelled);
  ADD ("cancelled-quietly", test_cancelled_quietly);
  ADD ("retry-backoff", test_retry_backoff);
  ADD ("give-up", test_give_up);
  ADD ("rejected", test_rejected);
  ADD ("expired", test_expired);
  ADD ("opt-out", test_opt_out);
  ADD ("reports", test_reports);
  ADD ("failure-report", test_failure_report);
  ADD ("report-settles-retry", test_report_settles_retry);
  ADD ("crash-gateway-had-it", test_crash_gateway_had_it);
  ADD ("crash-gateway-never-had-it", test_crash_gateway_never_had_it);
  ADD ("crash-unknown-then-report", test_crash_unknown_then_report);
  ADD ("crash-unknown-then-timeout", test_crash_unknown_then_timeout);
  ADD ("template-errors", test_template_errors);
#undef ADD
  return g_test_run ();
}
