/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "HcSmsTwilio"

#include "config.h"

#include "hc-error.h"
#include "hc-sms-twilio.h"

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <stdio.h>
#include <string.h>

/* How far back a reconciliation looks: Twilio lists newest first. */
#define RECONCILE_PAGE_SIZE 100
/* Clocks differ: a message Twilio dated a little before our "sending"
 * still counts. */
#define RECONCILE_SLACK_SECONDS 300

struct _HcSmsTwilio
{
  GObject      parent_instance;

  SoupSession *session;
  char        *messages_url;
  char        *account_sid;
  GBytes      *auth_token;
  char        *from;
};

static void hc_sms_twilio_sender_init (HcSmsSenderInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (HcSmsTwilio, hc_sms_twilio, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (HC_TYPE_SMS_SENDER,
                                                      hc_sms_twilio_sender_init))

typedef struct
{
  SoupMessage *msg;
  char        *body;           /* reconcile: the text to look for */
  gint64       since;
  GStrv        known_ids;      /* reconcile: Twilio sids that are other messages */
} RequestData;

static void
request_data_free (RequestData *data)
{
  g_clear_object (&data->msg);
  g_free (data->body);
  g_strfreev (data->known_ids);
  g_free (data);
}

const char *
hc_sms_twilio_status (const char *message_status)
{
  static const struct { const char *twilio; const char *ours; } map[] = {
    { "accepted", "queued" }, { "scheduled", "queued" }, { "queued", "queued" },
    { "sending", "queued" }, { "sent", "sent" }, { "delivered", "delivered" },
    { "undelivered", "failed" }, { "failed", "failed" }, { "canceled", "failed" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (map); i++)
    if (g_strcmp0 (message_status, map[i].twilio) == 0)
      return map[i].ours;
  return NULL;
}

static int
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return strcmp (*(const char * const *) a, *(const char * const *) b);
}

char *
hc_sms_twilio_signature (GBytes     *auth_token,
                         const char *url,
                         GHashTable *params)
{
  g_autoptr(GHmac) hmac = NULL;
  g_autoptr(GPtrArray) names = g_ptr_array_new ();
  guint8 digest[20];
  gsize digest_len = sizeof digest;
  GHashTableIter iter;
  gpointer key;

  hmac = g_hmac_new (G_CHECKSUM_SHA1, g_bytes_get_data (auth_token, NULL),
                     g_bytes_get_size (auth_token));
  g_hmac_update (hmac, (const guchar *) url, -1);
  if (params != NULL)
    {
      g_hash_table_iter_init (&iter, params);
      while (g_hash_table_iter_next (&iter, &key, NULL))
        g_ptr_array_add (names, key);
      g_ptr_array_sort (names, compare_strings);
      for (guint i = 0; i < names->len; i++)
        {
          const char *name = g_ptr_array_index (names, i);

          g_hmac_update (hmac, (const guchar *) name, -1);
          g_hmac_update (hmac, g_hash_table_lookup (params, name), -1);
        }
    }
  g_hmac_get_digest (hmac, digest, &digest_len);
  return g_base64_encode (digest, digest_len);
}

gboolean
hc_sms_twilio_check_signature (GBytes     *auth_token,
                               const char *url,
                               GHashTable *params,
                               const char *signature)
{
  g_autofree char *expected = NULL;
  gsize len;
  guint8 diff;

  if (auth_token == NULL || signature == NULL)
    return FALSE;
  expected = hc_sms_twilio_signature (auth_token, url, params);
  len = strlen (expected);
  diff = strlen (signature) != len;
  for (gsize i = 0; i < len && signature[i] != '\0'; i++)
    diff |= (guint8) (expected[i] ^ signature[i]);
  return diff == 0 && strlen (signature) == len;
}

static const char *
hc_sms_twilio_get_name (HcSmsSender *sender)
{
  return "twilio";
}

static void
set_auth (HcSmsTwilio *self,
          SoupMessage *msg)
{
  g_autoptr(GString) credentials = g_string_new (self->account_sid);
  g_autofree char *encoded = NULL;
  g_autofree char *header = NULL;

  g_string_append_c (credentials, ':');
  g_string_append_len (credentials, g_bytes_get_data (self->auth_token, NULL),
                       (gssize) g_bytes_get_size (self->auth_token));
  encoded = g_base64_encode ((const guchar *) credentials->str, credentials->len);
  header = g_strconcat ("Basic ", encoded, NULL);
  soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", header);
  memset (credentials->str, 0, credentials->len);
}

static JsonObject *
parse_object (GBytes *body)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  gsize len = 0;
  const char *data = body ? g_bytes_get_data (body, &len) : NULL;
  JsonNode *root;

  if (data == NULL || len == 0 || !json_parser_load_from_data (parser, data, (gssize) len, NULL))
    return NULL;
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return NULL;
  return json_object_ref (json_node_get_object (root));
}

/* Turns a non-2xx answer into our error: Twilio's JSON error body carries a
 * numeric code and a sentence, which the operator needs to see. */
static GError *
reply_error (guint   status,
             GBytes *body)
{
  g_autoptr(JsonObject) object = parse_object (body);
  HcErrorCode code = status >= 500 || status == 429
                     ? HC_ERROR_SMS_GATEWAY_UNAVAILABLE
                     : HC_ERROR_SMS_GATEWAY_REJECTED;
  const char *what = code == HC_ERROR_SMS_GATEWAY_UNAVAILABLE ? "Twilio is unavailable"
                                                              : "Twilio refused the message";

  if (object != NULL && json_object_has_member (object, "code") &&
      json_object_has_member (object, "message"))
    {
      g_autofree char *message = g_strndup (json_object_get_string_member_with_default (object,
                                                                                        "message",
                                                                                        ""),
                                            200);

      return g_error_new (HC_ERROR, code, "%s: error %" G_GINT64_FORMAT " (HTTP %u): %s", what,
                          json_object_get_int_member_with_default (object, "code", 0), status,
                          message);
    }
  {
    g_autofree char *reply = hc_sms_sender_describe_reply (status, body);

    return g_error_new (HC_ERROR, code, "%s (%s)", what, reply);
  }
}

static void
on_create_done (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  RequestData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) body = soup_session_send_and_read_finish (SOUP_SESSION (source), result,
                                                              &error);
  g_autoptr(JsonObject) object = NULL;
  guint status;
  const char *sid;

  if (body == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_task_return_error (task, g_steal_pointer (&error));
      else
        g_task_return_new_error (task, HC_ERROR, HC_ERROR_SMS_GATEWAY_UNAVAILABLE,
                                 "Twilio could not be reached: %s", error->message);
      return;
    }
  status = soup_message_get_status (data->msg);
  if (status < 200 || status >= 300)
    {
      g_task_return_error (task, reply_error (status, body));
      return;
    }
  object = parse_object (body);
  sid = object ? json_object_get_string_member_with_default (object, "sid", NULL) : NULL;
  if (sid == NULL || strlen (sid) > 64)
    {
      /* Accepted, but we cannot tell which message it is: the status
       * callback (which names our sid) will still settle it. */
      g_task_return_pointer (task, NULL, NULL);
      return;
    }
  g_task_return_pointer (task, g_strdup (sid), g_free);
}

static void
hc_sms_twilio_send_async (HcSmsSender          *sender,
                          const HcSmsOutgoing  *message,
                          GCancellable         *cancellable,
                          GAsyncReadyCallback   callback,
                          gpointer              user_data)
{
  HcSmsTwilio *self = HC_SMS_TWILIO (sender);
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  g_autoptr(GHashTable) form = g_hash_table_new (g_str_hash, g_str_equal);
  g_autofree char *encoded = NULL;
  g_autoptr(GBytes) bytes = NULL;
  RequestData *data = g_new0 (RequestData, 1);
  gsize len;

  g_task_set_source_tag (task, hc_sms_twilio_send_async);
  g_task_set_task_data (task, data, (GDestroyNotify) request_data_free);

  g_hash_table_insert (form, "To", (gpointer) message->to);
  /* A messaging service picks the sender number itself. */
  g_hash_table_insert (form, g_str_has_prefix (self->from, "MG") ? "MessagingServiceSid" : "From",
                       self->from);
  g_hash_table_insert (form, "Body", (gpointer) message->body);
  if (message->callback_url != NULL)
    g_hash_table_insert (form, "StatusCallback", (gpointer) message->callback_url);
  encoded = soup_form_encode_hash (form);

  data->msg = soup_message_new ("POST", self->messages_url);
  if (data->msg == NULL)
    {
      g_task_return_new_error (task, HC_ERROR, HC_ERROR_SMS_GATEWAY_REJECTED,
                               "sms.twilio-url does not make a valid URL");
      return;
    }
  set_auth (self, data->msg);
  soup_message_headers_replace (soup_message_get_request_headers (data->msg), "Accept",
                                "application/json");
  len = strlen (encoded);
  bytes = g_bytes_new_take (g_steal_pointer (&encoded), len);
  soup_message_set_request_body_from_bytes (data->msg, "application/x-www-form-urlencoded", bytes);
  soup_session_send_and_read_async (self->session, data->msg, G_PRIORITY_DEFAULT, cancellable,
                                    on_create_done, g_steal_pointer (&task));
}

static char *
hc_sms_twilio_send_finish (HcSmsSender   *sender,
                           GAsyncResult  *result,
                           GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, sender), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
on_list_done (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  RequestData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) body = soup_session_send_and_read_finish (SOUP_SESSION (source), result,
                                                              &error);
  g_autoptr(JsonObject) object = NULL;
  JsonArray *messages;
  guint status;

  if (body == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_task_return_error (task, g_steal_pointer (&error));
      else
        g_task_return_new_error (task, HC_ERROR, HC_ERROR_SMS_GATEWAY_UNAVAILABLE,
                                 "Twilio could not be reached: %s", error->message);
      return;
    }
  status = soup_message_get_status (data->msg);
  if (status != SOUP_STATUS_OK)
    {
      g_task_return_error (task, reply_error (status, body));
      return;
    }
  object = parse_object (body);
  if (object == NULL || !json_object_has_member (object, "messages") ||
      !JSON_NODE_HOLDS_ARRAY (json_object_get_member (object, "messages")))
    {
      g_task_return_new_error (task, HC_ERROR, HC_ERROR_SMS_GATEWAY_UNAVAILABLE,
                               "Twilio's message list could not be read");
      return;
    }

  messages = json_object_get_array_member (object, "messages");
  for (guint i = 0; i < json_array_get_length (messages); i++)
    {
      JsonNode *node = json_array_get_element (messages, i);
      JsonObject *message;
      const char *text;
      const char *created;
      const char *sid;
      g_autoptr(GDateTime) when = NULL;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        continue;
      message = json_node_get_object (node);
      text = json_object_get_string_member_with_default (message, "body", NULL);
      created = json_object_get_string_member_with_default (message, "date_created", NULL);
      sid = json_object_get_string_member_with_default (message, "sid", NULL);
      /* Two reminders can read the same: one Twilio already accounts for is
       * not this one. */
      if (text == NULL || sid == NULL || g_strcmp0 (text, data->body) != 0 ||
          (data->known_ids != NULL && g_strv_contains ((const char * const *) data->known_ids, sid)))
        continue;
      /* Twilio dates are RFC 2822 ("Sat, 28 Nov 2026 05:23:48 +0000"). */
      if (created != NULL)
        {
          g_autoptr(GDateTime) utc = NULL;
          char day[4], month[4];
          int d, y, h, m, s;
          static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
          const char *found;

          if (sscanf (created, "%3s %d %3s %d %d:%d:%d", day, &d, month, &y, &h, &m, &s) == 7 &&
              (found = strstr (months, month)) != NULL)
            utc = g_date_time_new_utc (y, (int) (found - months) / 3 + 1, d, h, m, s);
          if (utc != NULL && g_date_time_to_unix (utc) < data->since - RECONCILE_SLACK_SECONDS)
            continue;
        }
      g_task_set_task_data (task, g_strdup (sid), g_free);
      g_task_return_int (task, HC_SMS_RECONCILE_SENT);
      return;
    }
  g_task_return_int (task, HC_SMS_RECONCILE_NOT_SENT);
}

static void
hc_sms_twilio_reconcile_async (HcSmsSender          *sender,
                               const HcSmsOutgoing  *message,
                               GCancellable         *cancellable,
                               GAsyncReadyCallback   callback,
                               gpointer              user_data)
{
  HcSmsTwilio *self = HC_SMS_TWILIO (sender);
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  g_autofree char *to = g_uri_escape_string (message->to, NULL, FALSE);
  g_autofree char *url = g_strdup_printf ("%s?To=%s&PageSize=%d", self->messages_url, to,
                                          RECONCILE_PAGE_SIZE);
  RequestData *data = g_new0 (RequestData, 1);

  /* Twilio has no idempotency key for Messages. What it does have is the
   * list of messages sent to a number: if ours (same text, created after we
   * began) is there, Twilio got it. */
  g_task_set_source_tag (task, hc_sms_twilio_reconcile_async);
  g_task_set_task_data (task, data, (GDestroyNotify) request_data_free);
  data->body = g_strdup (message->body);
  data->since = message->sending_since;
  data->known_ids = g_strdupv ((char **) message->known_ids);
  data->msg = soup_message_new ("GET", url);
  if (data->msg == NULL || message->body == NULL)
    {
      g_task_return_int (task, message->body == NULL ? HC_SMS_RECONCILE_NOT_SENT
                                                     : HC_SMS_RECONCILE_UNKNOWN);
      return;
    }
  set_auth (self, data->msg);
  soup_message_headers_replace (soup_message_get_request_headers (data->msg), "Accept",
                                "application/json");
  soup_session_send_and_read_async (self->session, data->msg, G_PRIORITY_DEFAULT, cancellable,
                                    on_list_done, g_steal_pointer (&task));
}

static HcSmsReconcileResult
hc_sms_twilio_reconcile_finish (HcSmsSender   *sender,
                                GAsyncResult  *result,
                                char         **gateway_id,
                                GError       **error)
{
  GTask *task = G_TASK (result);
  HcSmsReconcileResult verdict = (HcSmsReconcileResult) g_task_propagate_int (task, error);

  if (verdict == HC_SMS_RECONCILE_SENT && gateway_id != NULL)
    *gateway_id = g_strdup (g_task_get_task_data (task));
  return verdict;
}

static void
hc_sms_twilio_sender_init (HcSmsSenderInterface *iface)
{
  iface->get_name = hc_sms_twilio_get_name;
  iface->send_async = hc_sms_twilio_send_async;
  iface->send_finish = hc_sms_twilio_send_finish;
  iface->reconcile_async = hc_sms_twilio_reconcile_async;
  iface->reconcile_finish = hc_sms_twilio_reconcile_finish;
}

static void
hc_sms_twilio_dispose (GObject *object)
{
  HcSmsTwilio *self = (HcSmsTwilio *) object;

  if (self->session != NULL)
    soup_session_abort (self->session);
  g_clear_object (&self->session);
  G_OBJECT_CLASS (hc_sms_twilio_parent_class)->dispose (object);
}

static void
hc_sms_twilio_finalize (GObject *object)
{
  HcSmsTwilio *self = (HcSmsTwilio *) object;

  g_free (self->messages_url);
  g_free (self->account_sid);
  g_clear_pointer (&self->auth_token, g_bytes_unref);
  g_free (self->from);
  G_OBJECT_CLASS (hc_sms_twilio_parent_class)->finalize (object);
}

static void
hc_sms_twilio_class_init (HcSmsTwilioClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = hc_sms_twilio_dispose;
  object_class->finalize = hc_sms_twilio_finalize;
}

static void
hc_sms_twilio_init (HcSmsTwilio *self)
{
}

HcSmsTwilio *
hc_sms_twilio_new (const char *base_url,
                   const char *account_sid,
                   GBytes     *auth_token,
                   const char *from,
                   guint       timeout_seconds)
{
  HcSmsTwilio *self = g_object_new (HC_TYPE_SMS_TWILIO, NULL);
  g_autofree char *base = g_strdup (base_url ? base_url : "https://api.twilio.com");

  g_return_val_if_fail (account_sid != NULL && auth_token != NULL && from != NULL, self);

  while (g_str_has_suffix (base, "/"))
    base[strlen (base) - 1] = '\0';
  self->session = soup_session_new_with_options ("timeout", timeout_seconds,
                                                 "idle-timeout", 60,
                                                 "user-agent", "housecalld/" PACKAGE_VERSION,
                                                 NULL);
  self->messages_url = g_strdup_printf ("%s/2010-04-01/Accounts/%s/Messages.json", base,
                                        account_sid);
  self->account_sid = g_strdup (account_sid);
  self->auth_token = g_bytes_ref (auth_token);
  self->from = g_strdup (from);
  return self;
}
