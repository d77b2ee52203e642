/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "HcRestSms"

#include "config.h"

#include "hc-server-private.h"
#include "hc-sid.h"
#include "hc-sms-dispatcher.h"
#include "hc-sms-report.h"
#include "hc-sms-twilio.h"

#include <string.h>

/* What SMS gateways call: /v1/sms/{gateway}/status/{secret} (delivery
 * reports and status callbacks) and /v1/sms/{gateway}/inbound/{secret}
 * (texts from patients: STOP and START). The secret in the path is
 * [sms] callback-secret; Twilio's requests must also carry a valid
 * X-Twilio-Signature. Nothing here is logged with a phone number. */

static gboolean
secret_matches (const char *given,
                const char *expected)
{
  gsize len = strlen (expected);
  gsize given_len = strlen (given);
  guint8 diff = given_len != len;

  /* In time independent of where the strings differ. */
  for (gsize i = 0; i < len; i++)
    diff |= (guint8) (expected[i] ^ given[i % MAX (given_len, 1)]);
  return diff == 0;
}

static void
send_empty (SoupServerMessage *msg,
            guint              status,
            const char        *content_type,
            const char        *body)
{
  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Cache-Control",
                                "no-store");
  soup_server_message_set_status (msg, status, NULL);
  if (body != NULL)
    soup_server_message_set_response (msg, content_type, SOUP_MEMORY_COPY, body, strlen (body));
}

/* The URL Twilio signed: the one we gave it, so built from our callback
 * base rather than from what the request's Host header says. */
static char *
signed_url (HcServer          *self,
            SoupServerMessage *msg)
{
  GUri *uri = soup_server_message_get_uri (msg);
  g_autofree char *base = self->config->sms_callback_url ? g_strdup (self->config->sms_callback_url)
                                                         : hc_server_base_url (self);
  const char *query = g_uri_get_query (uri);

  return g_strconcat (base, g_uri_get_path (uri), query ? "?" : "", query ? query : "", NULL);
}

static GHashTable *
form_params (SoupServerMessage *msg)
{
  SoupMessageBody *body = soup_server_message_get_request_body (msg);
  g_autoptr(GBytes) bytes = soup_message_body_flatten (body);
  g_autofree char *text = g_strndup (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));

  return soup_form_decode (text);
}

static gboolean
twilio_signature_ok (HcServer          *self,
                     SoupServerMessage *msg,
                     GHashTable        *params)
{
  const char *signature = soup_message_headers_get_one (
    soup_server_message_get_request_headers (msg), "X-Twilio-Signature");
  g_autofree char *url = signed_url (self, msg);

  return hc_sms_twilio_check_signature (self->config->twilio_auth_token, url, params, signature);
}

/* Records what a parsed report says about one of our messages. */
static void
apply_report (HcServer          *self,
              SoupServerMessage *msg,
              const char        *gateway,
              HcSmsReport       *report,
              guint              ok_status)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(HcSmsRecord) sms = NULL;

  if (report->sid != NULL)
    sms = hc_store_find_sms (self->store, report->sid, &error);
  else
    sms = hc_store_find_sms_by_gateway_id (self->store, gateway, report->gateway_id, &error);
  if (sms == NULL)
    {
      if (error != NULL)
        hc_http_send_error (msg, error);
      else
        hc_http_send_error_code (msg, HC_ERROR_NOT_FOUND, "No such message");
      return;
    }
  if (report->status != NULL &&
      !hc_sms_dispatcher_report (self->sms, sms->sid, report->status, report->detail, &error))
    {
      hc_http_send_error (msg, error);
      return;
    }
  if (report->status == NULL || ok_status == SOUP_STATUS_NO_CONTENT)
    send_empty (msg, SOUP_STATUS_NO_CONTENT, NULL, NULL);
  else
    send_empty (msg, ok_status, "text/plain", "");
}

static void
kannel_status (HcServer          *self,
               SoupServerMessage *msg,
               GHashTable        *query)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(HcSmsReport) report = hc_sms_report_parse_kannel (query, &error);

  if (report == NULL)
    hc_http_send_error (msg, error);
  else
    apply_report (self, msg, "kannel", report, SOUP_STATUS_OK);
}

static void
twilio_status (HcServer          *self,
               SoupServerMessage *msg,
               GHashTable        *query,
               GHashTable        *form)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(HcSmsReport) report = hc_sms_report_parse_twilio (query, form, &error);

  if (report == NULL)
    hc_http_send_error (msg, error);
  else
    apply_report (self, msg, "twilio", report, SOUP_STATUS_NO_CONTENT);
}

static void
inbound (HcServer          *self,
         SoupServerMessage *msg,
         const char        *from,
         const char        *text,
         gboolean           twiml)
{
  g_autoptr(GError) error = NULL;

  if (from == NULL || text == NULL)
    {
      hc_http_send_error_code (msg, HC_ERROR_MISSING_PARAMETER,
                               twiml ? "From and Body are required" : "from and text are required");
      return;
    }
  if (!hc_sms_dispatcher_inbound (self->sms, from, text, &error))
    {
      hc_http_send_error (msg, error);
      return;
    }
  /* No reply text: Kannel's service has max-messages = 0, and an empty TwiML
   * response tells Twilio to send nothing. */
  if (twiml)
    send_empty (msg, SOUP_STATUS_OK, "text/xml",
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response></Response>");
  else
    send_empty (msg, SOUP_STATUS_OK, "text/plain", "");
}

void
hc_rest_sms_handle (HcServer          *self,
                    SoupServerMessage *msg,
                    const char        *method,
                    char             **parts,
                    guint              n_parts)
{
  GUri *uri = soup_server_message_get_uri (msg);
  const char *query_string = g_uri_get_query (uri);
  g_autoptr(GHashTable) query = query_string ? soup_form_decode (query_string) : NULL;
  const char *gateway;
  const char *what;

  if (n_parts != 3 ||
      (strcmp (parts[1], "status") != 0 && strcmp (parts[1], "inbound") != 0))
    {
      hc_http_send_error_code (msg, HC_ERROR_NOT_FOUND, "No such resource");
      return;
    }
  gateway = parts[0];
  what = parts[1];
  if (!secret_matches (parts[2], self->config->sms_callback_secret))
    {
      g_message ("Refused an SMS %s callback with a wrong secret from %s", what,
                 hc_server_remote_address (msg));
      hc_http_send_error_code (msg, HC_ERROR_SMS_CALLBACK_FORBIDDEN,
                               "The callback secret is wrong");
      return;
    }
  if (strcmp (gateway, self->config->sms_gateway) != 0 ||
      (strcmp (gateway, "kannel") != 0 && strcmp (gateway, "twilio") != 0))
    {
      hc_http_send_error_code (msg, HC_ERROR_NOT_FOUND, "That SMS gateway is not in use here");
      return;
    }

  if (strcmp (gateway, "kannel") == 0)
    {
      /* Kannel fetches dlr-url and get-url with GET; post-url POSTs the
       * text as the body. */
      if (strcmp (method, "GET") != 0 && strcmp (method, "POST") != 0)
        {
          hc_http_send_error_code (msg, HC_ERROR_METHOD_NOT_ALLOWED, "Use GET or POST");
          return;
        }
      if (strcmp (what, "status") == 0)
        kannel_status (self, msg, query);
      else
        {
          const char *text = query ? g_hash_table_lookup (query, "text") : NULL;
          g_autofree char *posted = NULL;

          if (text == NULL && strcmp (method, "POST") == 0)
            {
              g_autoptr(GBytes) bytes =
                soup_message_body_flatten (soup_server_message_get_request_body (msg));

              posted = g_strndup (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
              text = posted;
            }
          inbound (self, msg, query ? g_hash_table_lookup (query, "from") : NULL, text, FALSE);
        }
      return;
    }

  /* Twilio POSTs forms, signed. */
  {
    g_autoptr(GHashTable) form = NULL;

    if (strcmp (method, "POST") != 0)
      {
        hc_http_send_error_code (msg, HC_ERROR_METHOD_NOT_ALLOWED, "Use POST");
        return;
      }
    form = form_params (msg);
    if (form == NULL || !twilio_signature_ok (self, msg, form))
      {
        g_message ("Refused a Twilio %s callback without a valid signature from %s", what,
                   hc_server_remote_address (msg));
        hc_http_send_error_code (msg, HC_ERROR_SMS_CALLBACK_FORBIDDEN,
                                 "The X-Twilio-Signature is missing or wrong");
        return;
      }
    if (strcmp (what, "status") == 0)
      twilio_status (self, msg, query, form);
    else
      inbound (self, msg, g_hash_table_lookup (form, "From"), g_hash_table_lookup (form, "Body"),
               TRUE);
  }
}
