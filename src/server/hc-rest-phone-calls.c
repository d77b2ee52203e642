/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "HcRestPhoneCalls"

#include "config.h"

#include "hc-dtmf.h"
#include "hc-phone.h"
#include "hc-server-private.h"
#include "hc-sid.h"

#include <string.h>

/* /v1/Rooms/{Room}/PhoneCalls: the phone bridge's calls, shaped like
 * Twilio's Calls resource where that makes sense (docs/phone-bridge.md). */

#define LABEL_MAX 64

static const char * const create_params[] = {
  "To", "SendDigits", "Label", "StatusCallback", "StatusCallbackEvent", "StatusCallbackMethod",
  "Timeout", "TimeLimit", NULL
};
static const char * const update_params[] = { "Status", NULL };
static const char * const digits_params[] = { "Digits", NULL };
static const char * const callback_events[] = {
  "initiated", "ringing", "answered", "completed", NULL
};

void
hc_server_build_phone_call (HcServer                *self,
                            JsonBuilder             *builder,
                            const HcPhoneCallRecord *call)
{
  g_autofree char *base = hc_server_base_url (self);
  g_autofree char *url = g_strdup_printf ("%s/v1/Rooms/%s/PhoneCalls/%s", base, call->room_sid,
                                          call->sid);

  json_builder_begin_object (builder);
  hc_http_add_string_or_null (builder, "sid", call->sid);
  hc_http_add_string_or_null (builder, "room_sid", call->room_sid);
  hc_http_add_string_or_null (builder, "participant_sid", call->participant_sid);
  hc_http_add_string_or_null (builder, "account_sid", self->config->account_sid);
  hc_http_add_string_or_null (builder, "to", call->to);
  hc_http_add_string_or_null (builder, "from", self->config->sip_caller_id);
  hc_http_add_string_or_null (builder, "label", call->label);
  hc_http_add_string_or_null (builder, "status", call->status);
  hc_http_add_string_or_null (builder, "direction", "outbound-api");
  json_builder_set_member_name (builder, "sip_response_code");
  if (call->sip_code != 0)
    json_builder_add_int_value (builder, call->sip_code);
  else
    json_builder_add_null_value (builder);
  hc_http_add_string_or_null (builder, "sip_reason", call->sip_reason);
  json_builder_set_member_name (builder, "error_code");
  if (call->error_code != 0)
    json_builder_add_int_value (builder, call->error_code);
  else
    json_builder_add_null_value (builder);
  hc_http_add_string_or_null (builder, "error", call->error_code != 0
                                                  ? hc_error_code_slug (call->error_code) : NULL);
  hc_http_add_string_or_null (builder, "error_message", call->error_message);
  hc_http_add_string_or_null (builder, "hangup_by", call->hangup_by);
  hc_http_add_string_or_null (builder, "created_by", call->created_by);
  hc_http_add_time (builder, "date_created", call->date_created);
  hc_http_add_time (builder, "date_updated", call->date_updated);
  hc_http_add_time (builder, "start_time", call->start_time);
  hc_http_add_time (builder, "end_time", call->end_time);
  json_builder_set_member_name (builder, "duration");
  if (call->start_time != 0 && call->end_time != 0)
    json_builder_add_int_value (builder, call->end_time - call->start_time);
  else
    json_builder_add_null_value (builder);
  hc_http_add_string_or_null (builder, "status_callback", call->status_callback);
  hc_http_add_string_or_null (builder, "url", url);
  json_builder_end_object (builder);
}

static void
send_call (HcServer                *self,
           SoupServerMessage       *msg,
           guint                    status,
           const HcPhoneCallRecord *call)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) node = NULL;

  hc_server_build_phone_call (self, builder, call);
  node = json_builder_get_root (builder);
  hc_http_send_json (msg, status, node);
}

static gboolean
parse_seconds (HcParams    *params,
               const char  *name,
               guint        min,
               guint        max,
               guint       *out,
               GError     **error)
{
  const char *value = hc_params_get (params, name);
  guint64 number = 0;

  *out = 0;
  if (value == NULL)
    return TRUE;
  if (!g_ascii_string_to_unsigned (value, 10, min, max, &number, NULL))
    {
      g_set_error (error, HC_ERROR, HC_ERROR_INVALID_PARAMETER,
                   "%s must be a whole number of seconds from %u to %u", name, min, max);
      return FALSE;
    }
  *out = (guint) number;
  return TRUE;
}

/* StatusCallbackEvent, as Twilio takes it: repeated, or space-separated. */
static char *
parse_callback_events (HcParams  *params,
                       GError   **error)
{
  GPtrArray *values = hc_params_get_all (params, "StatusCallbackEvent");
  g_autoptr(GString) events = g_string_new (NULL);

  for (guint i = 0; values != NULL && i < values->len; i++)
    {
      g_auto(GStrv) words = g_strsplit_set (g_ptr_array_index (values, i), " ,", -1);

      for (guint w = 0; words[w] != NULL; w++)
        {
          if (*words[w] == '\0')
            continue;
          if (!g_strv_contains (callback_events, words[w]))
            {
              g_set_error (error, HC_ERROR, HC_ERROR_INVALID_PARAMETER,
                           "StatusCallbackEvent takes initiated, ringing, answered and completed");
              return NULL;
            }
          if (events->len > 0)
            g_string_append_c (events, ' ');
          g_string_append (events, words[w]);
        }
    }
  return events->len > 0 ? g_string_free (g_steal_pointer (&events), FALSE) : NULL;
}

static gboolean
check_url (const char  *value,
           GError     **error)
{
  g_autoptr(GUri) uri = NULL;

  if (value == NULL)
    return TRUE;
  uri = g_uri_parse (value, G_URI_FLAGS_NONE, NULL);
  if (uri == NULL || strlen (value) > 2048 ||
      (g_strcmp0 (g_uri_get_scheme (uri), "https") != 0 &&
       g_strcmp0 (g_uri_get_scheme (uri), "http") != 0) ||
      g_uri_get_host (uri) == NULL || *g_uri_get_host (uri) == '\0')
    {
      g_set_error (error, HC_ERROR, HC_ERROR_INVALID_PARAMETER,
                   "StatusCallback must be an http or https URL");
      return FALSE;
    }
  return TRUE;
}

HcPhoneCallRecord *
hc_server_dial (HcServer            *self,
                const HcRoomRecord  *room,
                const char          *created_by,
                const char          *to_input,
                const char          *send_digits,
                const char          *label,
                const char          *status_callback,
                const char          *events,
                guint                timeout,
                guint                time_limit,
                GError             **error)
{
  g_autofree char *to = NULL;
  g_autoptr(GArray) digits = NULL;
  HcPhoneDialOptions options = { 0 };
  HcPhoneCallRecord *call;

  if (to_input == NULL)
    {
      g_set_error (error, HC_ERROR, HC_ERROR_MISSING_PARAMETER, "To is required: the number to call");
      return NULL;
    }
  if ((to = hc_phone_normalize (to_input, error)) == NULL)
    return NULL;
  if (send_digits != NULL && *send_digits != '\0' &&
      (digits = hc_dtmf_parse (send_digits, error)) == NULL)
    return NULL;
  if (label != NULL && (!hc_name_is_valid (label, 4 * LABEL_MAX) ||
                        g_utf8_strlen (label, -1) > LABEL_MAX))
    {
      g_set_error (error, HC_ERROR, HC_ERROR_INVALID_PARAMETER,
                   "Label must be 1 to %d characters without control characters", LABEL_MAX);
      return NULL;
    }
  if (g_strcmp0 (room->status, "in-progress") != 0)
    {
      g_set_error (error, HC_ERROR, HC_ERROR_ROOM_COMPLETED, "The room has ended");
      return NULL;
    }

  options.room_sid = room->sid;
  options.created_by = created_by;
  options.to = to;
  options.label = label ? label : "Phone";
  options.send_digits = digits ? send_digits : NULL;
  options.status_callback = status_callback;
  options.callback_events = events;
  options.ring_timeout = timeout;
  options.time_limit = time_limit;
  call = hc_phone_bridge_dial (self->phone, &options, error);
  if (call != NULL)
    hc_store_audit (self->store, "phone.dial", created_by, call->sid, NULL);
  return call;
}

static void
create_call (HcServer           *self,
             SoupServerMessage  *msg,
             HcRoomRecord       *room,
             HcPrincipal        *principal)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(HcParams) params = NULL;
  g_autoptr(HcPhoneCallRecord) call = NULL;
  g_autofree char *events = NULL;
  const char *method;
  guint timeout = 0, time_limit = 0;

  if ((params = hc_params_parse (msg, &error)) == NULL ||
      !hc_params_check_known (params, create_params, &error))
    {
      hc_http_send_error (msg, error);
      return;
    }
  method = hc_params_get (params, "StatusCallbackMethod");
  if (method != NULL && g_ascii_strcasecmp (method, "POST") != 0)
    {
      hc_http_send_error_code (msg, HC_ERROR_INVALID_PARAMETER, "StatusCallbackMethod must be POST");
      return;
    }
  if (!check_url (hc_params_get (params, "StatusCallback"), &error) ||
      (hc_params_get (params, "StatusCallbackEvent") != NULL &&
       (events = parse_callback_events (params, &error)) == NULL && error != NULL) ||
      !parse_seconds (params, "Timeout", 1, 600, &timeout, &error) ||
      !parse_seconds (params, "TimeLimit", 1, self->config->sip_max_call_seconds, &time_limit,
                      &error))
    {
      hc_http_send_error (msg, error);
      return;
    }
  call = hc_server_dial (self, room,
                         principal->kind == HC_PRINCIPAL_TOKEN ? principal->claims->identity : NULL,
                         hc_params_get (params, "To"), hc_params_get (params, "SendDigits"),
                         hc_params_get (params, "Label"), hc_params_get (params, "StatusCallback"),
                         events, timeout, time_limit, &error);
  if (call == NULL)
    {
      hc_http_send_error (msg, error);
      return;
    }
  send_call (self, msg, SOUP_STATUS_CREATED, call);
}

static void
list_calls (HcServer          *self,
            SoupServerMessage *msg,
            HcRoomRecord      *room)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) calls = hc_store_list_phone_calls (self->store, room->sid, &error);
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) node = NULL;

  if (calls == NULL)
    {
      hc_http_send_error (msg, error);
      return;
    }
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "phone_calls");
  json_builder_begin_array (builder);
  for (guint i = 0; i < calls->len; i++)
    hc_server_build_phone_call (self, builder, g_ptr_array_index (calls, i));
  json_builder_end_array (builder);
  json_builder_set_member_name (builder, "phone_bridge");
  json_builder_add_boolean_value (builder, hc_phone_bridge_is_available (self->phone));
  json_builder_end_object (builder);
  node = json_builder_get_root (builder);
  hc_http_send_json (msg, SOUP_STATUS_OK, node);
}

static void
update_call (HcServer          *self,
             SoupServerMessage *msg,
             HcPhoneCallRecord *call,
             HcPrincipal       *principal)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(HcParams) params = NULL;
  g_autoptr(HcPhoneCallRecord) updated = NULL;
  const char *status;

  if ((params = hc_params_parse (msg, &error)) == NULL ||
      !hc_params_check_known (params, update_params, &error))
    {
      hc_http_send_error (msg, error);
      return;
    }
  status = hc_params_get (params, "Status");
  if (status == NULL)
    {
      hc_http_send_error_code (msg, HC_ERROR_MISSING_PARAMETER, "Status is required");
      return;
    }
  /* Twilio: canceled for a call not yet answered, completed for any. */
  if (strcmp (status, "completed") != 0 && strcmp (status, "canceled") != 0)
    {
      hc_http_send_error_code (msg, HC_ERROR_INVALID_PARAMETER,
                               "Status must be completed or canceled");
      return;
    }
  if (strcmp (status, "canceled") == 0 && g_strcmp0 (call->status, "answered") == 0)
    {
      hc_http_send_error_code (msg, HC_ERROR_CALL_NOT_ACTIVE,
                               "The call was answered: hang it up with Status=completed");
      return;
    }
  if (!hc_phone_bridge_hangup (self->phone, call->sid, &error))
    {
      hc_http_send_error (msg, error);
      return;
    }
  hc_store_audit (self->store, "phone.hangup",
                  principal->kind == HC_PRINCIPAL_TOKEN ? principal->claims->identity : NULL,
                  call->sid, NULL);
  updated = hc_store_find_phone_call (self->store, call->sid, &error);
  if (updated == NULL)
    {
      hc_http_send_error (msg, error);
      return;
    }
  send_call (self, msg, SOUP_STATUS_OK, updated);
}

static void
send_digits (HcServer          *self,
             SoupServerMessage *msg,
             HcPhoneCallRecord *call)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(HcParams) params = NULL;
  g_autoptr(JsonBuilder) builder = NULL;
  g_autoptr(JsonNode) node = NULL;
  const char *digits;

  if ((params = hc_params_parse (msg, &error)) == NULL ||
      !hc_params_check_known (params, digits_params, &error))
    {
      hc_http_send_error (msg, error);
      return;
    }
  digits = hc_params_get (params, "Digits");
  if (digits == NULL)
    {
      hc_http_send_error_code (msg, HC_ERROR_MISSING_PARAMETER, "Digits is required");
      return;
    }
  if (!hc_phone_bridge_send_digits (self->phone, call->sid, digits, &error))
    {
      hc_http_send_error (msg, error);
      return;
    }
  builder = json_builder_new ();
  json_builder_begin_object (builder);
  hc_http_add_string_or_null (builder, "call_sid", call->sid);
  json_builder_set_member_name (builder, "queued");
  json_builder_add_int_value (builder, (gint64) strlen (digits));
  json_builder_end_object (builder);
  node = json_builder_get_root (builder);
  hc_http_send_json (msg, SOUP_STATUS_ACCEPTED, node);
}

void
hc_rest_phone_calls_handle (HcServer          *self,
                            SoupServerMessage *msg,
                            const char        *method,
                            HcRoomRecord      *room,
                            HcPrincipal       *principal,
                            char             **parts,
                            guint              n_parts)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(HcPhoneCallRecord) call = NULL;

  /* Only the API key and the room's providers; others learn nothing. */
  if (!hc_server_may_manage_room (self, principal, room))
    {
      hc_http_send_error_code (msg, HC_ERROR_NOT_FOUND, "No such room");
      return;
    }

  if (n_parts == 0)
    {
      if (strcmp (method, "POST") == 0)
        create_call (self, msg, room, principal);
      else if (strcmp (method, "GET") == 0)
        list_calls (self, msg, room);
      else
        hc_http_send_error_code (msg, HC_ERROR_METHOD_NOT_ALLOWED, "Use GET or POST");
      return;
    }

  if (!hc_sid_is_valid (parts[0], HC_SID_PREFIX_CALL) ||
      (call = hc_store_find_phone_call (self->store, parts[0], &error)) == NULL ||
      g_strcmp0 (call->room_sid, room->sid) != 0)
    {
      if (error != NULL)
        hc_http_send_error (msg, error);
      else
        hc_http_send_error_code (msg, HC_ERROR_NOT_FOUND, "No such phone call");
      return;
    }

  if (n_parts == 1)
    {
      if (strcmp (method, "GET") == 0)
        send_call (self, msg, SOUP_STATUS_OK, call);
      else if (strcmp (method, "POST") == 0)
        update_call (self, msg, call, principal);
      else
        hc_http_send_error_code (msg, HC_ERROR_METHOD_NOT_ALLOWED, "Use GET or POST");
    }
  else if (n_parts == 2 && strcmp (parts[1], "Digits") == 0)
    {
      if (strcmp (method, "POST") == 0)
        send_digits (self, msg, call);
      else
        hc_http_send_error_code (msg, HC_ERROR_METHOD_NOT_ALLOWED, "Use POST");
    }
  else
    hc_http_send_error_code (msg, HC_ERROR_NOT_FOUND, "No such resource");
}
