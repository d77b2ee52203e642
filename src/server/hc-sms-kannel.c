/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "HcSmsKannel"

#include "config.h"

#include "hc-error.h"
#include "hc-sms-kannel.h"
#include "hc-sms-template.h"

#include <libsoup/soup.h>
#include <string.h>

/* Kannel's DLR types: 1 delivered, 2 undelivered, 4 buffered at the SMSC,
 * 8 accepted by the SMSC, 16 rejected by the SMSC. 31 asks for all. */
#define DLR_MASK "31"

struct _HcSmsKannel
{
  GObject      parent_instance;

  SoupSession *session;
  char        *sendsms_url;
  char        *username;
  GBytes      *password;
  char        *from;
  char        *smsc;
};

static void hc_sms_kannel_sender_init (HcSmsSenderInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (HcSmsKannel, hc_sms_kannel, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (HC_TYPE_SMS_SENDER,
                                                      hc_sms_kannel_sender_init))

const char *
hc_sms_kannel_dlr_status (guint dlr_type)
{
  switch (dlr_type)
    {
    case 1:
      return "delivered";
    case 2:
    case 16:
      return "failed";
    case 4:
      return "queued";
    case 8:
      return "sent";
    default:
      return NULL;
    }
}

static void
append_param (GString    *query,
              const char *name,
              const char *value)
{
  g_autofree char *escaped = g_uri_escape_string (value, NULL, FALSE);

  if (query->len > 0)
    g_string_append_c (query, '&');
  g_string_append_printf (query, "%s=%s", name, escaped);
}

static const char *
hc_sms_kannel_get_name (HcSmsSender *sender)
{
  return "kannel";
}

static void
on_sendsms_done (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  SoupMessage *msg = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) body = soup_session_send_and_read_finish (SOUP_SESSION (source), result,
                                                              &error);
  g_autofree char *reply = NULL;
  guint status;
  const char *text;

  if (body == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_task_return_error (task, g_steal_pointer (&error));
      else
        g_task_return_new_error (task, HC_ERROR, HC_ERROR_SMS_GATEWAY_UNAVAILABLE,
                                 "Kannel could not be reached: %s", error->message);
      return;
    }

  status = soup_message_get_status (msg);
  reply = hc_sms_sender_describe_reply (status, body);
  text = g_bytes_get_size (body) > 0 ? g_bytes_get_data (body, NULL) : "";
  /* 202 "0: Accepted for delivery", or "3: Queued for later delivery" while
   * the carrier is offline: either way Kannel has taken the message over. */
  if (status == SOUP_STATUS_ACCEPTED || status == SOUP_STATUS_OK)
    {
      if (g_str_has_prefix (text, "0:") || g_str_has_prefix (text, "3:"))
        {
          g_task_return_pointer (task, g_strdup (g_object_get_data (G_OBJECT (msg), "hc-sid")),
                                 g_free);
          return;
        }
      g_task_return_new_error (task, HC_ERROR, HC_ERROR_SMS_GATEWAY_REJECTED,
                               "Kannel did not accept the message (%s)", reply);
      return;
    }
  if (status >= 500 || status == 429)
    g_task_return_new_error (task, HC_ERROR, HC_ERROR_SMS_GATEWAY_UNAVAILABLE,
                             "Kannel is unavailable (%s)", reply);
  else
    g_task_return_new_error (task, HC_ERROR, HC_ERROR_SMS_GATEWAY_REJECTED,
                             "Kannel refused the message (%s)", reply);
}

static void
hc_sms_kannel_send_async (HcSmsSender          *sender,
                          const HcSmsOutgoing  *message,
                          GCancellable         *cancellable,
                          GAsyncReadyCallback   callback,
                          gpointer              user_data)
{
  HcSmsKannel *self = HC_SMS_KANNEL (sender);
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  g_autoptr(GString) query = g_string_new (NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GUri) uri = NULL;
  g_autoptr(GUri) full = NULL;
  g_autoptr(SoupMessage) msg = NULL;
  g_autofree char *password = g_strndup (g_bytes_get_data (self->password, NULL),
                                         g_bytes_get_size (self->password));
  HcSmsLength length;

  g_task_set_source_tag (task, hc_sms_kannel_send_async);

  hc_sms_measure (message->body, &length);
  append_param (query, "username", self->username);
  append_param (query, "password", password);
  append_param (query, "from", self->from);
  append_param (query, "to", message->to);
  append_param (query, "text", message->body);
  append_param (query, "charset", "UTF-8");
  /* GSM-7 texts go as 7-bit; anything else as UCS-2 (Kannel converts). */
  append_param (query, "coding", length.encoding == HC_SMS_ENCODING_GSM7 ? "0" : "2");
  if (self->smsc != NULL)
    append_param (query, "smsc", self->smsc);
  if (message->callback_url != NULL)
    {
      /* Kannel substitutes %d (the DLR type), %A (the SMSC's answer) and %T
       * (the time) when it fetches the URL; msg= in it names the message. */
      g_autofree char *dlr_url = g_strconcat (message->callback_url,
                                              strchr (message->callback_url, '?') ? "&" : "?",
                                              "status=%d&reply=%A&ts=%T", NULL);

      append_param (query, "dlr-mask", DLR_MASK);
      append_param (query, "dlr-url", dlr_url);
    }
  memset (password, 0, strlen (password));

  uri = g_uri_parse (self->sendsms_url, G_URI_FLAGS_ENCODED, &error);
  if (uri == NULL)
    {
      g_task_return_new_error (task, HC_ERROR, HC_ERROR_SMS_GATEWAY_REJECTED,
                               "sms.kannel-url is not a URL");
      return;
    }
  full = g_uri_build (G_URI_FLAGS_ENCODED, g_uri_get_scheme (uri), NULL, g_uri_get_host (uri),
                      g_uri_get_port (uri), g_uri_get_path (uri), query->str, NULL);
  msg = soup_message_new_from_uri ("GET", full);
  /* Kannel gives no id of its own: ours is what its reports come back with. */
  g_object_set_data_full (G_OBJECT (msg), "hc-sid", g_strdup (message->sid), g_free);
  g_task_set_task_data (task, g_object_ref (msg), g_object_unref);
  soup_session_send_and_read_async (self->session, msg, G_PRIORITY_DEFAULT, cancellable,
                                    on_sendsms_done, g_steal_pointer (&task));
}

static char *
hc_sms_kannel_send_finish (HcSmsSender   *sender,
                           GAsyncResult  *result,
                           GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, sender), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
hc_sms_kannel_reconcile_async (HcSmsSender          *sender,
                               const HcSmsOutgoing  *message,
                               GCancellable         *cancellable,
                               GAsyncReadyCallback   callback,
                               gpointer              user_data)
{
  g_autoptr(GTask) task = g_task_new (sender, cancellable, callback, user_data);

  /* sendsms has no way to ask about a message. If Kannel took it, its
   * delivery reports (type 8 at the least, retried by smsbox) name our sid
   * and settle it; the dispatcher waits for one. */
  g_task_set_source_tag (task, hc_sms_kannel_reconcile_async);
  g_task_return_int (task, HC_SMS_RECONCILE_UNKNOWN);
}

static HcSmsReconcileResult
hc_sms_kannel_reconcile_finish (HcSmsSender   *sender,
                                GAsyncResult  *result,
                                char         **gateway_id,
                                GError       **error)
{
  return (HcSmsReconcileResult) g_task_propagate_int (G_TASK (result), error);
}

static void
hc_sms_kannel_sender_init (HcSmsSenderInterface *iface)
{
  iface->get_name = hc_sms_kannel_get_name;
  iface->send_async = hc_sms_kannel_send_async;
  iface->send_finish = hc_sms_kannel_send_finish;
  iface->reconcile_async = hc_sms_kannel_reconcile_async;
  iface->reconcile_finish = hc_sms_kannel_reconcile_finish;
}

static void
hc_sms_kannel_dispose (GObject *object)
{
  HcSmsKannel *self = (HcSmsKannel *) object;

  if (self->session != NULL)
    soup_session_abort (self->session);
  g_clear_object (&self->session);
  G_OBJECT_CLASS (hc_sms_kannel_parent_class)->dispose (object);
}

static void
hc_sms_kannel_finalize (GObject *object)
{
  HcSmsKannel *self = (HcSmsKannel *) object;

  g_free (self->sendsms_url);
  g_free (self->username);
  g_clear_pointer (&self->password, g_bytes_unref);
  g_free (self->from);
  g_free (self->smsc);
  G_OBJECT_CLASS (hc_sms_kannel_parent_class)->finalize (object);
}

static void
hc_sms_kannel_class_init (HcSmsKannelClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = hc_sms_kannel_dispose;
  object_class->finalize = hc_sms_kannel_finalize;
}

static void
hc_sms_kannel_init (HcSmsKannel *self)
{
}

HcSmsKannel *
hc_sms_kannel_new (const char *sendsms_url,
                   const char *username,
                   GBytes     *password,
                   const char *from,
                   const char *smsc,
                   guint       timeout_seconds)
{
  HcSmsKannel *self = g_object_new (HC_TYPE_SMS_KANNEL, NULL);

  g_return_val_if_fail (sendsms_url != NULL && username != NULL && password != NULL &&
                        from != NULL, self);

  self->session = soup_session_new_with_options ("timeout", timeout_seconds,
                                                 "idle-timeout", 60,
                                                 "user-agent", "housecalld/" PACKAGE_VERSION,
                                                 NULL);
  self->sendsms_url = g_strdup (sendsms_url);
  self->username = g_strdup (username);
  self->password = g_bytes_ref (password);
  self->from = g_strdup (from);
  self->smsc = g_strdup (smsc);
  return self;
}
