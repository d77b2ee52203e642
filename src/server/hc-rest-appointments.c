/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "HcRestAppointments"

#include "config.h"

#include "hc-phone.h"
#include "hc-server-private.h"
#include "hc-sid.h"
#include "hc-sms-dispatcher.h"

#include <string.h>

/* /v1/Appointments[/{Sid}]: the front desk's appointments. Creating one
 * issues the visit link and queues the invite and reminders; moving it moves
 * the reminders; cancelling cancels them. Patient names, numbers and notes
 * never go to the log. */

#define PATIENT_NAME_MAX 128
#define NOTE_MAX 2000
#define MAX_AHEAD (366 * 86400)
#define PAGE_SIZE_DEFAULT 50
#define PAGE_SIZE_MAX 1000

static const char * const create_params[] = {
  "patient_name", "mobile", "start_time", "provider", "note", NULL
};
static const char * const update_params[] = {
  "patient_name", "mobile", "start_time", "provider", "note", "status", NULL
};

static void
build_message (JsonBuilder       *builder,
               const HcSmsRecord *sms)
{
  json_builder_begin_object (builder);
  hc_http_add_string_or_null (builder, "sid", sms->sid);
  hc_http_add_string_or_null (builder, "kind", sms->kind);
  hc_http_add_string_or_null (builder, "status", sms->status);
  hc_http_add_string_or_null (builder, "to", sms->to_number);
  json_builder_set_member_name (builder, "reminder_offset");
  if (g_strcmp0 (sms->kind, "reminder") == 0)
    json_builder_add_int_value (builder, sms->reminder_offset);
  else
    json_builder_add_null_value (builder);
  /* When it goes out (scheduled) or when it is next looked at (sending). */
  hc_http_add_time (builder, "send_at", g_strcmp0 (sms->status, "scheduled") == 0 ? sms->due_at : 0);
  json_builder_set_member_name (builder, "attempts");
  json_builder_add_int_value (builder, sms->attempts);
  json_builder_set_member_name (builder, "segments");
  if (sms->segments > 0)
    json_builder_add_int_value (builder, sms->segments);
  else
    json_builder_add_null_value (builder);
  hc_http_add_string_or_null (builder, "gateway", sms->gateway);
  hc_http_add_string_or_null (builder, "gateway_id", sms->gateway_id);
  hc_http_add_time (builder, "date_sent", sms->date_sent);
  hc_http_add_time (builder, "date_created", sms->date_created);
  hc_http_add_time (builder, "date_updated", sms->date_updated);
  json_builder_set_member_name (builder, "error_code");
  if (sms->error_code != 0)
    json_builder_add_int_value (builder, sms->error_code);
  else
    json_builder_add_null_value (builder);
  hc_http_add_string_or_null (builder, "error",
                      sms->error_code != 0 ? hc_error_code_slug ((HcErrorCode) sms->error_code)
                                           : NULL);
  hc_http_add_string_or_null (builder, "error_message", sms->error_message);
  json_builder_end_object (builder);
}

static gboolean
build_appointment (HcServer                  *self,
                   JsonBuilder               *builder,
                   const HcAppointmentRecord *appointment,
                   GError                   **error)
{
  g_autoptr(GPtrArray) messages = hc_store_list_sms (self->store, appointment->sid, error);
  g_autofree char *base = hc_server_base_url (self);
  g_autofree char *url = g_strdup_printf ("%s/v1/Appointments/%s", base, appointment->sid);
  g_autofree char *visit_url = hc_sms_dispatcher_visit_url (self->sms, appointment);

  if (messages == NULL)
    return FALSE;

  json_builder_begin_object (builder);
  hc_http_add_string_or_null (builder, "sid", appointment->sid);
  hc_http_add_string_or_null (builder, "status", appointment->status);
  hc_http_add_string_or_null (builder, "patient_name", appointment->patient_name);
  hc_http_add_string_or_null (builder, "mobile", appointment->mobile);
  hc_http_add_time (builder, "start_time", appointment->start_time);
  hc_http_add_string_or_null (builder, "provider", appointment->provider);
  hc_http_add_string_or_null (builder, "note", appointment->note);
  hc_http_add_string_or_null (builder, "visit_url", visit_url);
  hc_http_add_time (builder, "visit_code_expires", appointment->visit_code_expires);
  json_builder_set_member_name (builder, "opted_out");
  json_builder_add_boolean_value (builder, hc_store_is_opted_out (self->store,
                                                                  appointment->mobile));
  hc_http_add_string_or_null (builder, "created_by", appointment->created_by);
  hc_http_add_time (builder, "date_created", appointment->date_created);
  hc_http_add_time (builder, "date_updated", appointment->date_updated);
  hc_http_add_string_or_null (builder, "url", url);
  json_builder_set_member_name (builder, "messages");
  json_builder_begin_array (builder);
  for (guint i = 0; i < messages->len; i++)
    build_message (builder, g_ptr_array_index (messages, i));
  json_builder_end_array (builder);
  json_builder_end_object (builder);
  return TRUE;
}

static void
send_appointment (HcServer                  *self,
                  SoupServerMessage         *msg,
                  guint                      status,
                  const char                *sid)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(HcAppointmentRecord) appointment = hc_store_find_appointment (self->store, sid,
                                                                          &error);

  if (appointment == NULL || !build_appointment (self, builder, appointment, &error))
    {
      if (error != NULL)
        hc_http_send_error (msg, error);
      else
        hc_http_send_error_code (msg, HC_ERROR_NOT_FOUND, "No such appointment");
      return;
    }
  node = json_builder_get_root (builder);
  hc_http_send_json (msg, status, node);
}

static const char *
principal_identity (const HcPrincipal *principal)
{
  return principal->kind == HC_PRINCIPAL_TOKEN ? principal->claims->identity : NULL;
}

static gboolean
may_see (const HcPrincipal         *principal,
         const HcAppointmentRecord *appointment)
{
  const char *identity = principal_identity (principal);

  if (principal->kind == HC_PRINCIPAL_API_KEY)
    return TRUE;
  return g_strcmp0 (appointment->provider, identity) == 0 ||
         g_strcmp0 (appointment->created_by, identity) == 0;
}

/* Reads and checks the fields present in @params into @appointment. */
static gboolean
read_fields (HcServer             *self,
             HcParams             *params,
             const HcPrincipal    *principal,
             HcAppointmentRecord  *appointment,
             GError              **error)
{
  const char *patient_name = hc_params_get (params, "patient_name");
  const char *mobile = hc_params_get (params, "mobile");
  const char *start_time = hc_params_get (params, "start_time");
  const char *provider = hc_params_get (params, "provider");
  const char *note = hc_params_get (params, "note");
  gint64 now = hc_clock_now (hc_sms_dispatcher_get_clock (self->sms));

  if (patient_name != NULL)
    {
      g_autofree char *stripped = g_strstrip (g_strdup (patient_name));

      if (!hc_name_is_valid (stripped, PATIENT_NAME_MAX))
        {
          g_set_error (error, HC_ERROR, HC_ERROR_INVALID_PARAMETER,
                       "patient_name must be 1 to %d characters without control characters",
                       PATIENT_NAME_MAX);
          return FALSE;
        }
      g_free (appointment->patient_name);
      appointment->patient_name = g_steal_pointer (&stripped);
    }
  if (mobile != NULL)
    {
      g_autofree char *canonical = hc_phone_normalize (mobile, error);

      if (canonical == NULL)
        {
          g_prefix_error (error, "mobile: ");
          return FALSE;
        }
      g_free (appointment->mobile);
      appointment->mobile = g_steal_pointer (&canonical);
    }
  if (start_time != NULL)
    {
      g_autoptr(GDateTime) when = g_date_time_new_from_iso8601 (start_time, NULL);
      gint64 unix_time;

      if (when == NULL)
        {
          g_set_error (error, HC_ERROR, HC_ERROR_INVALID_PARAMETER,
                       "start_time must be an ISO 8601 date and time with Z or an offset, "
                       "e.g. 2026-03-03T14:30:00Z");
          return FALSE;
        }
      unix_time = g_date_time_to_unix (when);
      if (unix_time <= now)
        {
          g_set_error (error, HC_ERROR, HC_ERROR_INVALID_PARAMETER,
                       "start_time is in the past");
          return FALSE;
        }
      if (unix_time > now + MAX_AHEAD)
        {
          g_set_error (error, HC_ERROR, HC_ERROR_INVALID_PARAMETER,
                       "start_time is more than a year ahead");
          return FALSE;
        }
      appointment->start_time = unix_time;
    }
  if (provider != NULL)
    {
      g_autoptr(HcProviderRecord) record = NULL;

      if (*provider == '\0')
        g_clear_pointer (&appointment->provider, g_free);
      else
        {
          record = hc_name_is_valid (provider, 64)
                   ? hc_store_lookup_provider (self->store, provider, NULL) : NULL;
          if (record == NULL)
            {
              g_set_error (error, HC_ERROR, HC_ERROR_INVALID_PARAMETER,
                           "provider names no provider account");
              return FALSE;
            }
          g_free (appointment->provider);
          appointment->provider = g_strdup (provider);
        }
    }
  /* Providers book for themselves; the front desk (API key) for anyone. */
  if (principal->kind == HC_PRINCIPAL_TOKEN &&
      g_strcmp0 (appointment->provider, principal_identity (principal)) != 0)
    {
      g_set_error (error, HC_ERROR, HC_ERROR_FORBIDDEN,
                   "A provider may only book appointments with themselves");
      return FALSE;
    }
  if (note != NULL)
    {
      if (strlen (note) > NOTE_MAX)
        {
          g_set_error (error, HC_ERROR, HC_ERROR_INVALID_PARAMETER,
                       "note must be at most %d bytes", NOTE_MAX);
          return FALSE;
        }
      g_free (appointment->note);
      appointment->note = *note ? g_strdup (note) : NULL;
    }
  return TRUE;
}

static void
create_appointment (HcServer          *self,
                    SoupServerMessage *msg,
                    HcPrincipal       *principal)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(HcParams) params = NULL;
  g_autoptr(HcAppointmentRecord) appointment = g_new0 (HcAppointmentRecord, 1);
  g_autoptr(GPtrArray) messages = NULL;

  params = hc_params_parse (msg, &error);
  if (params == NULL || !hc_params_check_known (params, create_params, &error))
    goto fail;
  for (guint i = 0; i < 3; i++)
    if (hc_params_get (params, create_params[i]) == NULL)
      {
        g_set_error (&error, HC_ERROR, HC_ERROR_MISSING_PARAMETER,
                     "patient_name, mobile and start_time are required");
        goto fail;
      }

  appointment->sid = hc_sid_new (HC_SID_PREFIX_APPOINTMENT);
  appointment->status = g_strdup ("scheduled");
  appointment->created_by = g_strdup (principal_identity (principal));
  appointment->date_created = hc_clock_now (hc_sms_dispatcher_get_clock (self->sms));
  if (principal->kind == HC_PRINCIPAL_TOKEN)
    appointment->provider = g_strdup (principal_identity (principal));
  if (!read_fields (self, params, principal, appointment, &error))
    goto fail;

  messages = hc_sms_dispatcher_plan_new (self->sms, appointment, &error);
  if (messages == NULL || !hc_store_insert_appointment (self->store, appointment, messages, &error))
    goto fail;
  hc_store_audit (self->store, "appointment.created", principal_identity (principal),
                  appointment->sid, hc_server_remote_address (msg));
  g_debug ("Appointment %s created with %u messages", appointment->sid, messages->len);
  hc_sms_dispatcher_kick (self->sms);
  send_appointment (self, msg, SOUP_STATUS_CREATED, appointment->sid);
  return;

fail:
  hc_http_send_error (msg, error);
}

static void
change_appointment (HcServer            *self,
                    SoupServerMessage   *msg,
                    HcPrincipal         *principal,
                    HcAppointmentRecord *old,
                    gboolean             cancel)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(HcParams) params = NULL;
  g_autoptr(HcAppointmentRecord) updated = g_new0 (HcAppointmentRecord, 1);
  g_autoptr(GPtrArray) current = NULL;
  g_autoptr(GPtrArray) messages = NULL;
  const char * const *cancel_kinds = NULL;
  const char *status;

  if (cancel)
    params = hc_params_parse_form ("", 0, &error);
  else
    params = hc_params_parse (msg, &error);
  if (params == NULL || !hc_params_check_known (params, update_params, &error))
    goto fail;
  if (strcmp (old->status, "cancelled") == 0)
    {
      /* Cancelling twice is a no-op, anything else an error. */
      if (cancel || g_strcmp0 (hc_params_get (params, "status"), "cancelled") == 0)
        {
          send_appointment (self, msg, SOUP_STATUS_OK, old->sid);
          return;
        }
      g_set_error (&error, HC_ERROR, HC_ERROR_APPOINTMENT_CANCELLED,
                   "The appointment is cancelled; book a new one");
      goto fail;
    }

  updated->sid = g_strdup (old->sid);
  updated->patient_name = g_strdup (old->patient_name);
  updated->mobile = g_strdup (old->mobile);
  updated->start_time = old->start_time;
  updated->provider = g_strdup (old->provider);
  updated->note = g_strdup (old->note);
  updated->status = g_strdup (old->status);
  updated->visit_code = g_strdup (old->visit_code);
  updated->visit_code_expires = old->visit_code_expires;

  status = hc_params_get (params, "status");
  if (status != NULL && strcmp (status, "cancelled") != 0 && strcmp (status, "scheduled") != 0)
    {
      g_set_error (&error, HC_ERROR, HC_ERROR_INVALID_PARAMETER,
                   "status must be cancelled (or scheduled, which it is)");
      goto fail;
    }
  if (cancel || g_strcmp0 (status, "cancelled") == 0)
    {
      g_free (updated->status);
      updated->status = g_strdup ("cancelled");
    }
  else if (!read_fields (self, params, principal, updated, &error))
    goto fail;

  current = hc_store_list_sms (self->store, old->sid, &error);
  if (current == NULL)
    goto fail;
  messages = hc_sms_dispatcher_plan_change (self->sms, old, updated, current, &cancel_kinds,
                                            &error);
  if (messages == NULL ||
      !hc_store_update_appointment (self->store, updated, cancel_kinds, messages,
                                    hc_clock_now (hc_sms_dispatcher_get_clock (self->sms)),
                                    &error))
    goto fail;
  hc_store_audit (self->store,
                  strcmp (updated->status, "cancelled") == 0 ? "appointment.cancelled"
                                                             : "appointment.updated",
                  principal_identity (principal), old->sid, hc_server_remote_address (msg));
  hc_sms_dispatcher_kick (self->sms);
  send_appointment (self, msg, SOUP_STATUS_OK, old->sid);
  return;

fail:
  hc_http_send_error (msg, error);
}

static void
list_appointments (HcServer          *self,
                   SoupServerMessage *msg,
                   HcPrincipal       *principal)
{
  g_autoptr(GHashTable) form = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) appointments = NULL;
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) node = NULL;
  const char *query = g_uri_get_query (soup_server_message_get_uri (msg));
  const char *status = NULL;
  const char *provider = NULL;
  guint page_size = PAGE_SIZE_DEFAULT;

  if (query != NULL)
    {
      GHashTableIter iter;
      gpointer key, value;

      form = soup_form_decode (query);
      g_hash_table_iter_init (&iter, form);
      while (g_hash_table_iter_next (&iter, &key, &value))
        {
          guint64 number = 0;

          if (strcmp (key, "status") == 0 &&
              (strcmp (value, "scheduled") == 0 || strcmp (value, "cancelled") == 0))
            status = value;
          else if (strcmp (key, "provider") == 0 && hc_name_is_valid (value, 64))
            provider = value;
          else if (strcmp (key, "PageSize") == 0 &&
                   g_ascii_string_to_unsigned (value, 10, 1, PAGE_SIZE_MAX, &number, NULL))
            page_size = (guint) number;
          else
            {
              hc_http_send_error_code (msg, HC_ERROR_INVALID_PARAMETER,
                                       "Filter by status (scheduled or cancelled), provider or "
                                       "PageSize (1 to 1000)");
              return;
            }
        }
    }
  if (principal->kind == HC_PRINCIPAL_TOKEN)
    provider = principal_identity (principal);

  appointments = hc_store_list_appointments (self->store, provider, status, page_size, &error);
  if (appointments == NULL)
    {
      hc_http_send_error (msg, error);
      return;
    }
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "appointments");
  json_builder_begin_array (builder);
  for (guint i = 0; i < appointments->len; i++)
    {
      HcAppointmentRecord *appointment = g_ptr_array_index (appointments, i);

      if (may_see (principal, appointment) &&
          !build_appointment (self, builder, appointment, &error))
        {
          hc_http_send_error (msg, error);
          return;
        }
    }
  json_builder_end_array (builder);
  json_builder_end_object (builder);
  node = json_builder_get_root (builder);
  hc_http_send_json (msg, SOUP_STATUS_OK, node);
}

void
hc_rest_appointments_handle (HcServer          *self,
                             SoupServerMessage *msg,
                             const char        *method,
                             char             **parts,
                             guint              n_parts)
{
  g_auto(HcPrincipal) principal = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(HcAppointmentRecord) appointment = NULL;

  if (!hc_server_authenticate (self, msg, &principal, &error))
    {
      hc_http_send_error (msg, error);
      return;
    }
  if (principal.kind == HC_PRINCIPAL_TOKEN && principal.claims->role != HC_ROLE_PROVIDER)
    {
      hc_http_send_error_code (msg, HC_ERROR_FORBIDDEN,
                               "Only providers and the API key may use the Appointments resource");
      return;
    }

  if (n_parts == 0)
    {
      if (strcmp (method, "POST") == 0)
        create_appointment (self, msg, &principal);
      else if (strcmp (method, "GET") == 0)
        list_appointments (self, msg, &principal);
      else
        hc_http_send_error_code (msg, HC_ERROR_METHOD_NOT_ALLOWED, "Use GET or POST");
      return;
    }
  if (n_parts != 1)
    {
      hc_http_send_error_code (msg, HC_ERROR_NOT_FOUND, "No such resource");
      return;
    }

  if (!hc_sid_is_valid (parts[0], HC_SID_PREFIX_APPOINTMENT) ||
      (appointment = hc_store_find_appointment (self->store, parts[0], &error)) == NULL ||
      !may_see (&principal, appointment))
    {
      /* Another provider's appointment is "not found", not "forbidden". */
      if (error != NULL)
        hc_http_send_error (msg, error);
      else
        hc_http_send_error_code (msg, HC_ERROR_NOT_FOUND, "No such appointment");
      return;
    }

  if (strcmp (method, "GET") == 0)
    send_appointment (self, msg, SOUP_STATUS_OK, appointment->sid);
  else if (strcmp (method, "POST") == 0)
    change_appointment (self, msg, &principal, appointment, FALSE);
  else if (strcmp (method, "DELETE") == 0)
    change_appointment (self, msg, &principal, appointment, TRUE);
  else
    hc_http_send_error_code (msg, HC_ERROR_METHOD_NOT_ALLOWED, "Use GET, POST or DELETE");
}
