/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "HcSmsSender"

#include "config.h"

#include "hc-sms-kannel.h"
#include "hc-sms-outbox.h"
#include "hc-sms-sender.h"
#include "hc-sms-twilio.h"

#include <string.h>

G_DEFINE_INTERFACE (HcSmsSender, hc_sms_sender, G_TYPE_OBJECT)

static void
hc_sms_sender_default_init (HcSmsSenderInterface *iface)
{
}

const char *
hc_sms_sender_get_name (HcSmsSender *self)
{
  g_return_val_if_fail (HC_IS_SMS_SENDER (self), NULL);
  return HC_SMS_SENDER_GET_IFACE (self)->get_name (self);
}

void
hc_sms_sender_send_async (HcSmsSender          *self,
                          const HcSmsOutgoing  *message,
                          GCancellable         *cancellable,
                          GAsyncReadyCallback   callback,
                          gpointer              user_data)
{
  g_return_if_fail (HC_IS_SMS_SENDER (self));
  g_return_if_fail (message != NULL && message->sid != NULL && message->to != NULL &&
                    message->body != NULL && *message->body != '\0');
  HC_SMS_SENDER_GET_IFACE (self)->send_async (self, message, cancellable, callback, user_data);
}

char *
hc_sms_sender_send_finish (HcSmsSender   *self,
                           GAsyncResult  *result,
                           GError       **error)
{
  g_return_val_if_fail (HC_IS_SMS_SENDER (self), NULL);
  return HC_SMS_SENDER_GET_IFACE (self)->send_finish (self, result, error);
}

void
hc_sms_sender_reconcile_async (HcSmsSender          *self,
                               const HcSmsOutgoing  *message,
                               GCancellable         *cancellable,
                               GAsyncReadyCallback   callback,
                               gpointer              user_data)
{
  g_return_if_fail (HC_IS_SMS_SENDER (self));
  g_return_if_fail (message != NULL && message->sid != NULL);
  HC_SMS_SENDER_GET_IFACE (self)->reconcile_async (self, message, cancellable, callback,
                                                   user_data);
}

HcSmsReconcileResult
hc_sms_sender_reconcile_finish (HcSmsSender   *self,
                                GAsyncResult  *result,
                                char         **gateway_id,
                                GError       **error)
{
  g_return_val_if_fail (HC_IS_SMS_SENDER (self), HC_SMS_RECONCILE_UNKNOWN);
  if (gateway_id != NULL)
    *gateway_id = NULL;
  return HC_SMS_SENDER_GET_IFACE (self)->reconcile_finish (self, result, gateway_id, error);
}

HcSmsSender *
hc_sms_sender_new_for_config (const HcConfig *config)
{
  if (g_strcmp0 (config->sms_gateway, "kannel") == 0)
    return HC_SMS_SENDER (hc_sms_kannel_new (config->kannel_url, config->kannel_username,
                                             config->kannel_password, config->sms_from,
                                             config->kannel_smsc,
                                             config->sms_request_timeout));
  if (g_strcmp0 (config->sms_gateway, "twilio") == 0)
    return HC_SMS_SENDER (hc_sms_twilio_new (config->twilio_url, config->twilio_account_sid,
                                             config->twilio_auth_token, config->sms_from,
                                             config->sms_request_timeout));
  {
    g_autofree char *path = g_build_filename (config->data_dir, "sms-outbox.jsonl", NULL);

    return HC_SMS_SENDER (hc_sms_outbox_new (path));
  }
}

/* A short, printable summary of a gateway's answer for an error message:
 * the status and the first line of the body, without control characters. */
char *
hc_sms_sender_describe_reply (guint   status,
                              GBytes *body)
{
  gsize len = 0;
  const char *data = body ? g_bytes_get_data (body, &len) : NULL;
  g_autoptr(GString) text = g_string_new (NULL);

  for (gsize i = 0; data != NULL && i < len && text->len < 160; i++)
    {
      if (data[i] == '\n' || data[i] == '\r')
        break;
      g_string_append_c (text, g_ascii_isprint (data[i]) ? data[i] : '?');
    }
  if (text->len == 0)
    return g_strdup_printf ("HTTP %u", status);
  return g_strdup_printf ("HTTP %u: %s", status, text->str);
}
