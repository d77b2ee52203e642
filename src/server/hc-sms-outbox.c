/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "HcSmsOutbox"

#include "config.h"

#include "hc-error.h"
#include "hc-sms-outbox.h"

#include <errno.h>
#include <fcntl.h>
#include <json-glib/json-glib.h>
#include <string.h>
#include <unistd.h>

struct _HcSmsOutbox
{
  GObject  parent_instance;

  char    *path;
  GMutex   lock;               /* appends from worker threads, one at a time */
};

static void hc_sms_outbox_sender_init (HcSmsSenderInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (HcSmsOutbox, hc_sms_outbox, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (HC_TYPE_SMS_SENDER,
                                                      hc_sms_outbox_sender_init))

typedef struct
{
  char   *sid;
  char   *to;
  char   *body;
  gint64  time;
} Entry;

static void
entry_free (Entry *entry)
{
  g_free (entry->sid);
  g_free (entry->to);
  g_free (entry->body);
  g_free (entry);
}

static const char *
hc_sms_outbox_get_name (HcSmsSender *sender)
{
  return "outbox";
}

static char *
entry_to_line (const Entry *entry)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) node = NULL;
  g_autofree char *json = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "sid");
  json_builder_add_string_value (builder, entry->sid);
  json_builder_set_member_name (builder, "time");
  json_builder_add_int_value (builder, entry->time);
  json_builder_set_member_name (builder, "to");
  json_builder_add_string_value (builder, entry->to);
  json_builder_set_member_name (builder, "body");
  json_builder_add_string_value (builder, entry->body);
  json_builder_end_object (builder);
  node = json_builder_get_root (builder);
  json_generator_set_root (generator, node);
  json = json_generator_to_data (generator, NULL);
  return g_strconcat (json, "\n", NULL);
}

static void
append_in_thread (GTask        *task,
                  gpointer      source_object,
                  gpointer      task_data,
                  GCancellable *cancellable)
{
  HcSmsOutbox *self = source_object;
  Entry *entry = task_data;
  g_autofree char *line = entry_to_line (entry);
  gsize len = strlen (line);
  gsize done = 0;
  int fd;
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&self->lock);

  fd = open (self->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0)
    {
      g_task_return_new_error (task, HC_ERROR, HC_ERROR_SMS_GATEWAY_UNAVAILABLE,
                               "The SMS outbox cannot be opened: %s", g_strerror (errno));
      return;
    }
  while (done < len)
    {
      ssize_t n = write (fd, line + done, len - done);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        {
          int saved = errno;

          close (fd);
          g_task_return_new_error (task, HC_ERROR, HC_ERROR_SMS_GATEWAY_UNAVAILABLE,
                                   "The SMS outbox cannot be written: %s", g_strerror (saved));
          return;
        }
      done += (gsize) n;
    }
  /* Durable before we call the message handed over. */
  if (fsync (fd) != 0 || close (fd) != 0)
    {
      g_task_return_new_error (task, HC_ERROR, HC_ERROR_SMS_GATEWAY_UNAVAILABLE,
                               "The SMS outbox cannot be written: %s", g_strerror (errno));
      return;
    }
  g_task_return_pointer (task, g_strdup (entry->sid), g_free);
}

static void
hc_sms_outbox_send_async (HcSmsSender          *sender,
                          const HcSmsOutgoing  *message,
                          GCancellable         *cancellable,
                          GAsyncReadyCallback   callback,
                          gpointer              user_data)
{
  g_autoptr(GTask) task = g_task_new (sender, cancellable, callback, user_data);
  Entry *entry = g_new0 (Entry, 1);

  g_task_set_source_tag (task, hc_sms_outbox_send_async);
  entry->sid = g_strdup (message->sid);
  entry->to = g_strdup (message->to);
  entry->body = g_strdup (message->body);
  entry->time = g_get_real_time () / G_USEC_PER_SEC;
  g_task_set_task_data (task, entry, (GDestroyNotify) entry_free);
  /* File writes and fsync stay off the main loop. */
  g_task_run_in_thread (task, append_in_thread);
}

static char *
hc_sms_outbox_send_finish (HcSmsSender   *sender,
                           GAsyncResult  *result,
                           GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, sender), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
find_in_thread (GTask        *task,
                gpointer      source_object,
                gpointer      task_data,
                GCancellable *cancellable)
{
  HcSmsOutbox *self = source_object;
  Entry *entry = task_data;
  g_autofree char *contents = NULL;
  g_autofree char *needle = g_strdup_printf ("{\"sid\":\"%s\",", entry->sid);
  g_autoptr(GError) error = NULL;
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&self->lock);

  if (!g_file_get_contents (self->path, &contents, NULL, &error))
    {
      if (g_error_matches (error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        g_task_return_int (task, HC_SMS_RECONCILE_NOT_SENT);
      else
        g_task_return_new_error (task, HC_ERROR, HC_ERROR_SMS_GATEWAY_UNAVAILABLE,
                                 "The SMS outbox cannot be read: %s", error->message);
      return;
    }
  /* A line cut short by a crash does not count: only whole lines do. */
  for (char *line = contents; line != NULL && *line; )
    {
      char *end = strchr (line, '\n');

      if (end == NULL)
        break;
      if (g_str_has_prefix (line, needle))
        {
          g_task_return_int (task, HC_SMS_RECONCILE_SENT);
          return;
        }
      line = end + 1;
    }
  g_task_return_int (task, HC_SMS_RECONCILE_NOT_SENT);
}

static void
hc_sms_outbox_reconcile_async (HcSmsSender          *sender,
                               const HcSmsOutgoing  *message,
                               GCancellable         *cancellable,
                               GAsyncReadyCallback   callback,
                               gpointer              user_data)
{
  g_autoptr(GTask) task = g_task_new (sender, cancellable, callback, user_data);
  Entry *entry = g_new0 (Entry, 1);

  g_task_set_source_tag (task, hc_sms_outbox_reconcile_async);
  entry->sid = g_strdup (message->sid);
  g_task_set_task_data (task, entry, (GDestroyNotify) entry_free);
  g_task_run_in_thread (task, find_in_thread);
}

static HcSmsReconcileResult
hc_sms_outbox_reconcile_finish (HcSmsSender   *sender,
                                GAsyncResult  *result,
                                char         **gateway_id,
                                GError       **error)
{
  GTask *task = G_TASK (result);
  HcSmsReconcileResult verdict = (HcSmsReconcileResult) g_task_propagate_int (task, error);

  if (verdict == HC_SMS_RECONCILE_SENT && gateway_id != NULL)
    *gateway_id = g_strdup (((Entry *) g_task_get_task_data (task))->sid);
  return verdict;
}

static void
hc_sms_outbox_sender_init (HcSmsSenderInterface *iface)
{
  iface->get_name = hc_sms_outbox_get_name;
  iface->send_async = hc_sms_outbox_send_async;
  iface->send_finish = hc_sms_outbox_send_finish;
  iface->reconcile_async = hc_sms_outbox_reconcile_async;
  iface->reconcile_finish = hc_sms_outbox_reconcile_finish;
}

static void
hc_sms_outbox_finalize (GObject *object)
{
  HcSmsOutbox *self = (HcSmsOutbox *) object;

  g_free (self->path);
  g_mutex_clear (&self->lock);
  G_OBJECT_CLASS (hc_sms_outbox_parent_class)->finalize (object);
}

static void
hc_sms_outbox_class_init (HcSmsOutboxClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = hc_sms_outbox_finalize;
}

static void
hc_sms_outbox_init (HcSmsOutbox *self)
{
  g_mutex_init (&self->lock);
}

HcSmsOutbox *
hc_sms_outbox_new (const char *path)
{
  HcSmsOutbox *self = g_object_new (HC_TYPE_SMS_OUTBOX, NULL);

  self->path = g_strdup (path);
  return self;
}

gboolean
hc_sms_outbox_print (const char  *path,
                     GError     **error)
{
  g_autofree char *contents = NULL;
  g_autoptr(GError) local_error = NULL;
  g_auto(GStrv) lines = NULL;

  if (!g_file_get_contents (path, &contents, NULL, &local_error))
    {
      if (g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        return TRUE;
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  lines = g_strsplit (contents, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_autoptr(JsonParser) parser = json_parser_new ();
      g_autoptr(GDateTime) when = NULL;
      g_autofree char *time_text = NULL;
      g_autofree char *body = NULL;
      JsonObject *object;
      JsonNode *root;

      if (*lines[i] == '\0' || !json_parser_load_from_data (parser, lines[i], -1, NULL) ||
          (root = json_parser_get_root (parser)) == NULL || !JSON_NODE_HOLDS_OBJECT (root))
        continue;
      object = json_node_get_object (root);
      when = g_date_time_new_from_unix_utc (json_object_get_int_member_with_default (object,
                                                                                     "time", 0));
      time_text = when ? g_date_time_format (when, "%Y-%m-%dT%H:%M:%SZ") : g_strdup ("-");
      body = g_strdup (json_object_get_string_member_with_default (object, "body", ""));
      /* One message a line, whatever the text holds. */
      g_strdelimit (body, "\r\n\t", ' ');
      g_print ("%s\t%s\t%s\t%s\n", time_text,
               json_object_get_string_member_with_default (object, "to", ""),
               json_object_get_string_member_with_default (object, "sid", ""), body);
    }
  return TRUE;
}
