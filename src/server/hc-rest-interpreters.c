/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "HcRestInterpreters"

#include "config.h"

#include "hc-interpreter.h"
#include "hc-server-private.h"
#include "hc-sid.h"

#include <string.h>

/* POST /v1/Rooms/{Room}/InterpreterRequests: ask the clinic's interpreter
 * service for an interpreter (docs/interpreter-service.md). housecalld mints
 * a guest link for the room first and sends it along; the service answers
 * that an interpreter joins with it, or with a number to dial (the link is
 * then revoked and the phone bridge calls), or that nobody is available. */

static const char * const request_params[] = { "Language", NULL };

typedef struct
{
  HcServer          *server;
  SoupServerMessage *msg;
  HcRoomRecord      *room;
  char              *created_by;
  char              *address;
  char              *sid;
  char              *language;
  char              *jti;
  char              *identity;
  gint64             expires;
} InterpreterRequest;

static void
interpreter_request_free (InterpreterRequest *request)
{
  g_object_unref (request->server);
  g_object_unref (request->msg);
  hc_room_record_free (request->room);
  g_free (request->created_by);
  g_free (request->address);
  g_free (request->sid);
  g_free (request->language);
  g_free (request->jti);
  g_free (request->identity);
  g_free (request);
}

static void
revoke_link (InterpreterRequest *request)
{
  HcServer *self = request->server;
  g_autoptr(GError) error = NULL;

  if (!hc_store_revoke_token (self->store, request->jti, request->room->sid, hc_server_now (),
                              &error))
    g_warning ("Could not revoke an interpreter request's guest link: %s", error->message);
  hc_store_audit (self->store, "token.revoked", request->created_by, request->jti, NULL);
  hc_server_token_revoked (self, request->jti);
}

static void
finish_with_error (InterpreterRequest *request,
                   const GError       *error)
{
  hc_http_send_error (request->msg, error);
  soup_server_message_unpause (request->msg);
}

static void
begin_answer (JsonBuilder        *builder,
              InterpreterRequest *request,
              const char         *action)
{
  HcServer *self = request->server;

  json_builder_begin_object (builder);
  hc_http_add_string_or_null (builder, "sid", request->sid);
  hc_http_add_string_or_null (builder, "room_sid", request->room->sid);
  hc_http_add_string_or_null (builder, "language", request->language);
  hc_http_add_string_or_null (builder, "service",
                              hc_interpreter_service_get_name (self->interpreters));
  hc_http_add_string_or_null (builder, "action", action);
}

static void
on_offer (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  InterpreterRequest *request = user_data;
  HcServer *self = request->server;
  g_autoptr(GError) error = NULL;
  g_autoptr(HcInterpreterOffer) offer =
    hc_interpreter_service_request_finish (HC_INTERPRETER_SERVICE (source), result, &error);
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(HcPhoneCallRecord) call = NULL;

  if (offer == NULL)
    {
      g_message ("Interpreter request %s failed: %s", request->sid, error->message);
      revoke_link (request);
      finish_with_error (request, error);
      goto out;
    }

  switch (offer->action)
    {
    case HC_INTERPRETER_JOIN:
      begin_answer (builder, request, "join");
      hc_http_add_string_or_null (builder, "interpreter_name", offer->interpreter_name);
      json_builder_set_member_name (builder, "eta_seconds");
      if (offer->eta_seconds > 0)
        json_builder_add_int_value (builder, offer->eta_seconds);
      else
        json_builder_add_null_value (builder);
      json_builder_set_member_name (builder, "guest");
      json_builder_begin_object (builder);
      hc_http_add_string_or_null (builder, "identity", request->identity);
      hc_http_add_string_or_null (builder, "jti", request->jti);
      hc_http_add_time (builder, "date_expires", request->expires);
      json_builder_end_object (builder);
      json_builder_set_member_name (builder, "call");
      json_builder_add_null_value (builder);
      break;

    case HC_INTERPRETER_DIAL:
      {
        g_autofree char *label = NULL;

        /* The link is not needed: the interpreter comes by phone. */
        revoke_link (request);
        label = offer->label ? g_strdup (offer->label)
                             : g_strdup_printf ("Interpreter (%s)", request->language);
        call = hc_server_dial (self, request->room, request->created_by, offer->to,
                               offer->send_digits, label, NULL, NULL, 0, 0, &error);
        if (call == NULL)
          {
            finish_with_error (request, error);
            goto out;
          }
        begin_answer (builder, request, "dial");
        json_builder_set_member_name (builder, "guest");
        json_builder_add_null_value (builder);
        json_builder_set_member_name (builder, "call");
        hc_server_build_phone_call (self, builder, call);
      }
      break;

    case HC_INTERPRETER_UNAVAILABLE:
    default:
      {
        g_autofree char *message = g_strdup_printf ("No %s interpreter is available now%s%s",
                                                    request->language,
                                                    offer->message ? ": " : "",
                                                    offer->message ? offer->message : "");

        revoke_link (request);
        hc_http_send_error_code (request->msg, HC_ERROR_INTERPRETER_DECLINED, message);
        soup_server_message_unpause (request->msg);
        goto out;
      }
    }

  json_builder_end_object (builder);
  node = json_builder_get_root (builder);
  hc_http_send_json (request->msg, SOUP_STATUS_CREATED, node);
  soup_server_message_unpause (request->msg);
  hc_store_audit (self->store, "interpreter.requested", request->created_by, request->sid, NULL);
out:
  interpreter_request_free (request);
}

static void
create_request (HcServer          *self,
                SoupServerMessage *msg,
                HcRoomRecord      *room,
                HcPrincipal       *principal)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(HcParams) params = NULL;
  g_autoptr(HcTokenClaims) claims = NULL;
  g_autofree char *token = NULL;
  g_autofree char *base = NULL;
  g_autofree char *join_url = NULL;
  g_autofree char *lower = NULL;
  HcInterpreterRequest service_request = { 0 };
  InterpreterRequest *request;
  const char *language;

  if (self->interpreters == NULL)
    {
      hc_http_send_error_code (msg, HC_ERROR_INTERPRETER_UNAVAILABLE,
                               "This clinic has no interpreter service configured");
      return;
    }
  if ((params = hc_params_parse (msg, &error)) == NULL ||
      !hc_params_check_known (params, request_params, &error))
    {
      hc_http_send_error (msg, error);
      return;
    }
  language = hc_params_get (params, "Language");
  if (language == NULL)
    {
      hc_http_send_error_code (msg, HC_ERROR_MISSING_PARAMETER,
                               "Language is required, e.g. es or pt-BR");
      return;
    }
  if (!hc_interpreter_language_is_valid (language))
    {
      hc_http_send_error_code (msg, HC_ERROR_INVALID_PARAMETER,
                               "Language must be a language tag such as es, pt-BR or zh-Hant");
      return;
    }
  if (strcmp (room->status, "in-progress") != 0)
    {
      hc_http_send_error_code (msg, HC_ERROR_ROOM_COMPLETED, "The room has ended");
      return;
    }

  request = g_new0 (InterpreterRequest, 1);
  request->server = g_object_ref (self);
  request->msg = g_object_ref (msg);
  request->room = g_new0 (HcRoomRecord, 1);
  request->room->sid = g_strdup (room->sid);
  request->room->unique_name = g_strdup (room->unique_name);
  request->room->status = g_strdup (room->status);
  request->created_by = principal->kind == HC_PRINCIPAL_TOKEN
                          ? g_strdup (principal->claims->identity) : NULL;
  request->address = g_strdup (hc_server_remote_address (msg));
  request->sid = hc_sid_new ("IR");
  request->language = g_strdup (language);
  lower = g_ascii_strdown (language, -1);
  request->identity = g_strdup_printf ("interpreter-%s", lower);

  token = hc_server_mint_guest (self, room, request->identity, self->config->guest_token_ttl,
                                request->created_by, request->address, &claims, &error);
  if (token == NULL)
    {
      hc_http_send_error (msg, error);
      interpreter_request_free (request);
      return;
    }
  request->jti = g_strdup (claims->jti);
  request->expires = claims->exp;
  base = hc_server_base_url (self);
  join_url = g_strdup_printf ("%s/call.html#room=%s&token=%s", base, room->sid, token);

  service_request.request_id = request->sid;
  service_request.language = request->language;
  service_request.room_sid = room->sid;
  service_request.room_name = room->unique_name;
  service_request.clinic = self->config->clinic_name;
  service_request.guest_identity = request->identity;
  service_request.guest_token = token;
  service_request.join_url = join_url;
  service_request.guest_expires = claims->exp;
  soup_server_message_pause (msg);
  hc_interpreter_service_request_async (self->interpreters, &service_request, NULL, on_offer,
                                        request);
}

void
hc_rest_interpreters_handle (HcServer          *self,
                             SoupServerMessage *msg,
                             const char        *method,
                             HcRoomRecord      *room,
                             HcPrincipal       *principal)
{
  if (!hc_server_may_manage_room (self, principal, room))
    {
      hc_http_send_error_code (msg, HC_ERROR_NOT_FOUND, "No such room");
      return;
    }
  if (strcmp (method, "GET") == 0)
    {
      /* What a console needs to offer the choice at all. */
      g_autoptr(JsonBuilder) builder = json_builder_new ();
      g_autoptr(JsonNode) node = NULL;

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "available");
      json_builder_add_boolean_value (builder, self->interpreters != NULL);
      hc_http_add_string_or_null (builder, "service",
                                  self->interpreters
                                    ? hc_interpreter_service_get_name (self->interpreters) : NULL);
      json_builder_end_object (builder);
      node = json_builder_get_root (builder);
      hc_http_send_json (msg, SOUP_STATUS_OK, node);
      return;
    }
  if (strcmp (method, "POST") != 0)
    {
      hc_http_send_error_code (msg, HC_ERROR_METHOD_NOT_ALLOWED, "Use GET or POST");
      return;
    }
  create_request (self, msg, room, principal);
}
