/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "HcRestAuth"

#include "config.h"

#include "hc-password.h"
#include "hc-phone.h"
#include "hc-server-private.h"
#include "hc-sid.h"
#include "hc-sms-dispatcher.h"

#include <string.h>

/* Provider sign-in (POST /v1/login) and guest tokens
 * (/v1/Rooms/{Room}/GuestTokens[/{Jti}]). */

static const char * const login_params[] = { "username", "password", NULL };
static const char * const guest_params[] = { "Identity", "Ttl", "To", NULL };

typedef struct
{
  HcServer          *server;
  SoupServerMessage *msg;
  char              *username;
  char              *password;
  char              *password_hash;
  char              *address;
  gboolean           exists;
  gboolean           disabled;
} LoginData;

static void
login_data_free (LoginData *data)
{
  g_object_unref (data->server);
  g_object_unref (data->msg);
  g_free (data->username);
  if (data->password != NULL)
    memset (data->password, 0, strlen (data->password));
  g_free (data->password);
  g_free (data->password_hash);
  g_free (data->address);
  g_free (data);
}

static void
verify_in_thread (GTask        *task,
                  gpointer      source_object,
                  gpointer      task_data,
                  GCancellable *cancellable)
{
  LoginData *data = task_data;
  const char *hash = data->exists ? data->password_hash : hc_password_dummy_hash ();
  gboolean ok = hc_password_verify (hash, data->password);

  g_task_return_boolean (task, ok && data->exists);
}

/* A text's {sid, status[, error]} as answers show it: never its number
 * or its text. */
static void
add_sms_member (JsonBuilder       *builder,
                const HcSmsRecord *sms)
{
  json_builder_set_member_name (builder, "sms");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "sid");
  json_builder_add_string_value (builder, sms->sid);
  json_builder_set_member_name (builder, "status");
  json_builder_add_string_value (builder, sms->status);
  if (sms->error_code != 0)
    {
      json_builder_set_member_name (builder, "error_code");
      json_builder_add_int_value (builder, sms->error_code);
      json_builder_set_member_name (builder, "error");
      json_builder_add_string_value (builder, hc_error_code_slug (sms->error_code));
    }
  json_builder_end_object (builder);
}

static void
send_token_with_sms (HcServer          *self,
                     SoupServerMessage *msg,
                     const char        *token,
                     HcTokenClaims     *claims,
                     const HcSmsRecord *sms);

static void
send_token (HcServer          *self,
            SoupServerMessage *msg,
            const char        *token,
            HcTokenClaims     *claims)
{
  send_token_with_sms (self, msg, token, claims, NULL);
}

static void
send_token_with_sms (HcServer          *self,
                     SoupServerMessage *msg,
                     const char        *token,
                     HcTokenClaims     *claims,
                     const HcSmsRecord *sms)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) node = NULL;
  g_autofree char *expires = hc_http_format_time (claims->exp);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "token");
  json_builder_add_string_value (builder, token);
  json_builder_set_member_name (builder, "identity");
  json_builder_add_string_value (builder, claims->identity);
  json_builder_set_member_name (builder, "role");
  json_builder_add_string_value (builder, hc_role_to_string (claims->role));
  json_builder_set_member_name (builder, "jti");
  json_builder_add_string_value (builder, claims->jti);
  if (claims->room != NULL)
    {
      json_builder_set_member_name (builder, "room_sid");
      json_builder_add_string_value (builder, claims->room);
    }
  json_builder_set_member_name (builder, "expires_in");
  json_builder_add_int_value (builder, claims->exp - claims->iat);
  json_builder_set_member_name (builder, "date_expires");
  json_builder_add_string_value (builder, expires);
  if (sms != NULL)
    add_sms_member (builder, sms);
  json_builder_end_object (builder);
  node = json_builder_get_root (builder);
  hc_http_send_json (msg, claims->role == HC_ROLE_GUEST ? SOUP_STATUS_CREATED : SOUP_STATUS_OK,
                     node);
}

static void
on_password_verified (GObject      *source,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  LoginData *data = g_task_get_task_data (G_TASK (result));
  HcServer *self = data->server;
  SoupServerMessage *msg = data->msg;
  gint64 now = hc_server_now ();
  g_autoptr(GError) error = NULL;
  g_autoptr(HcTokenClaims) claims = NULL;
  g_autofree char *token = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), NULL))
    {
      hc_rate_limiter_add_failure (self->login_by_account, data->username, now);
      hc_rate_limiter_add_failure (self->login_by_address, data->address, now);
      hc_store_audit (self->store, "login.failed", data->exists ? data->username : NULL, NULL,
                      data->address);
      hc_http_send_error_code (msg, HC_ERROR_BAD_CREDENTIALS, "The user name or password is wrong");
      goto out;
    }
  if (data->disabled)
    {
      hc_store_audit (self->store, "login.disabled", data->username, NULL, data->address);
      hc_http_send_error_code (msg, HC_ERROR_ACCOUNT_DISABLED, "This provider account is disabled");
      goto out;
    }

  hc_rate_limiter_reset (self->login_by_account, data->username);
  claims = hc_token_claims_new ();
  claims->identity = g_strdup (data->username);
  claims->role = HC_ROLE_PROVIDER;
  claims->can_create_rooms = TRUE;
  claims->iat = now;
  claims->exp = now + self->config->provider_token_ttl;
  token = hc_token_mint (&self->token_key, claims, &error);
  if (token == NULL)
    {
      hc_http_send_error (msg, error);
      goto out;
    }
  hc_store_audit (self->store, "login.succeeded", data->username, claims->jti, data->address);
  send_token (self, msg, token, claims);

out:
  soup_server_message_unpause (msg);
}

void
hc_rest_login_handle (HcServer          *self,
                      SoupServerMessage *msg,
                      const char        *method)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(HcParams) params = NULL;
  g_autoptr(HcProviderRecord) provider = NULL;
  g_autoptr(GTask) task = NULL;
  const char *address = hc_server_remote_address (msg);
  const char *username;
  const char *password;
  LoginData *data;
  guint retry;
  gint64 now = hc_server_now ();

  if (strcmp (method, "POST") != 0)
    {
      hc_http_send_error_code (msg, HC_ERROR_METHOD_NOT_ALLOWED, "Use POST");
      return;
    }
  params = hc_params_parse (msg, &error);
  if (params == NULL || !hc_params_check_known (params, login_params, &error))
    {
      hc_http_send_error (msg, error);
      return;
    }
  username = hc_params_get (params, "username");
  password = hc_params_get (params, "password");
  if (username == NULL || password == NULL)
    {
      hc_http_send_error_code (msg, HC_ERROR_MISSING_PARAMETER, "username and password are required");
      return;
    }
  if (!hc_name_is_valid (username, 64) || strlen (password) > HC_PASSWORD_MAX_LENGTH)
    {
      hc_http_send_error_code (msg, HC_ERROR_BAD_CREDENTIALS, "The user name or password is wrong");
      return;
    }

  retry = MAX (hc_rate_limiter_retry_after (self->login_by_address, address, now),
               hc_rate_limiter_retry_after (self->login_by_account, username, now));
  if (retry > 0)
    {
      g_autofree char *seconds = g_strdup_printf ("%u", retry);

      hc_store_audit (self->store, "login.rate-limited", NULL, NULL, address);
      soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                    "Retry-After", seconds);
      hc_http_send_error_code (msg, HC_ERROR_RATE_LIMITED,
                               "Too many failed sign-ins; try again later");
      return;
    }

  provider = hc_store_lookup_provider (self->store, username, &error);
  if (error != NULL)
    {
      hc_http_send_error (msg, error);
      return;
    }

  data = g_new0 (LoginData, 1);
  data->server = g_object_ref (self);
  data->msg = g_object_ref (msg);
  data->username = g_strdup (username);
  data->password = g_strdup (password);
  data->address = g_strdup (address);
  data->exists = provider != NULL;
  data->disabled = provider != NULL && provider->disabled;
  data->password_hash = provider ? g_strdup (provider->password_hash) : NULL;

  /* Argon2id is slow on purpose; keep it off the main loop. */
  soup_server_message_pause (msg);
  task = g_task_new (NULL, NULL, on_password_verified, NULL);
  g_task_set_source_tag (task, hc_rest_login_handle);
  g_task_set_task_data (task, data, (GDestroyNotify) login_data_free);
  g_task_run_in_thread (task, verify_in_thread);
}

char *
hc_server_mint_guest (HcServer            *self,
                      const HcRoomRecord  *room,
                      const char          *identity,
                      guint64              ttl,
                      const char          *issued_by,
                      const char          *address,
                      HcTokenClaims      **claims_out,
                      GError             **error)
{
  g_autoptr(HcTokenClaims) claims = hc_token_claims_new ();
  g_autofree char *token = NULL;
  HcTokenRecord record = { 0 };
  gint64 now = hc_server_now ();

  claims->identity = g_strdup (identity);
  claims->room = g_strdup (room->sid);
  claims->role = HC_ROLE_GUEST;
  claims->can_create_rooms = FALSE;
  claims->iat = now;
  claims->exp = now + (gint64) ttl;
  token = hc_token_mint (&self->token_key, claims, error);
  if (token == NULL)
    return NULL;

  record.jti = claims->jti;
  record.identity = claims->identity;
  record.room_sid = room->sid;
  record.issued_by = (char *) issued_by;
  record.date_created = now;
  record.date_expires = claims->exp;
  /* Record before handing out: a token we cannot revoke must not exist. */
  if (!hc_store_record_token (self->store, &record, error))
    return NULL;
  hc_store_audit (self->store, "token.minted", issued_by, claims->jti, address);
  if (claims_out != NULL)
    *claims_out = g_steal_pointer (&claims);
  return g_steal_pointer (&token);
}

static void
mint_guest_token (HcServer          *self,
                  SoupServerMessage *msg,
                  HcRoomRecord      *room,
                  HcPrincipal       *principal)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(HcParams) params = hc_params_parse (msg, &error);
  g_autoptr(HcTokenClaims) claims = NULL;
  g_autofree char *token = NULL;
  g_autofree char *to = NULL;
  g_autofree char *link = NULL;
  g_autofree char *base = NULL;
  g_autoptr(HcSmsRecord) sms = NULL;
  const char *identity;
  const char *ttl_text;
  const char *to_input;
  guint64 ttl = self->config->guest_token_ttl;

  if (params == NULL || !hc_params_check_known (params, guest_params, &error))
    {
      hc_http_send_error (msg, error);
      return;
    }
  if (strcmp (room->status, "in-progress") != 0)
    {
      hc_http_send_error_code (msg, HC_ERROR_ROOM_COMPLETED, "The room has ended");
      return;
    }
  identity = hc_params_get (params, "Identity");
  if (identity == NULL)
    {
      hc_http_send_error_code (msg, HC_ERROR_MISSING_PARAMETER, "Identity is required");
      return;
    }
  if (!hc_name_is_valid (identity, HC_IDENTITY_MAX_LENGTH))
    {
      hc_http_send_error_code (msg, HC_ERROR_INVALID_PARAMETER,
                               "Identity must be 1 to 128 characters without control characters");
      return;
    }
  ttl_text = hc_params_get (params, "Ttl");
  if (ttl_text != NULL &&
      !g_ascii_string_to_unsigned (ttl_text, 10, 60, self->config->guest_token_max_ttl, &ttl, NULL))
    {
      g_autofree char *message = g_strdup_printf ("Ttl must be from 60 to %u seconds",
                                                  self->config->guest_token_max_ttl);
      hc_http_send_error_code (msg, HC_ERROR_INVALID_PARAMETER, message);
      return;
    }

  /* The number is checked before anything is minted: a refused request
   * leaves no token behind. */
  to_input = hc_params_get (params, "To");
  if (to_input != NULL && (to = hc_phone_normalize (to_input, &error)) == NULL)
    {
      g_prefix_error (&error, "To: ");
      hc_http_send_error (msg, error);
      return;
    }

  token = hc_server_mint_guest (self, room, identity, ttl,
                                principal->kind == HC_PRINCIPAL_TOKEN ? principal->claims->identity
                                                                      : NULL,
                                hc_server_remote_address (msg), &claims, &error);
  if (token == NULL)
    {
      hc_http_send_error (msg, error);
      return;
    }
  if (to != NULL)
    {
      /* The token rides in the fragment, which browsers never send. */
      base = hc_server_base_url (self);
      link = g_strdup_printf ("%s/call.html#room=%s&token=%s", base, room->sid, token);
      sms = hc_sms_dispatcher_queue_guest_invite (self->sms, to, link, claims->jti, claims->exp,
                                                  &error);
      if (sms == NULL)
        {
          /* No text, no token: the caller sees the error and tries again. */
          g_autoptr(GError) revoke_error = NULL;

          if (!hc_store_revoke_token (self->store, claims->jti, room->sid, hc_server_now (),
                                      &revoke_error))
            g_warning ("Could not revoke the guest token %s minted for a text that failed: %s",
                       claims->jti, revoke_error->message);
          hc_http_send_error (msg, error);
          return;
        }
      hc_store_audit (self->store, "sms.guest-invite",
                      principal->kind == HC_PRINCIPAL_TOKEN ? principal->claims->identity : NULL,
                      sms->sid, hc_server_remote_address (msg));
    }
  send_token_with_sms (self, msg, token, claims, sms);
}

static void
list_guest_tokens (HcServer          *self,
                   SoupServerMessage *msg,
                   HcRoomRecord      *room)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) tokens = hc_store_list_tokens (self->store, room->sid, hc_server_now (),
                                                      &error);
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) node = NULL;

  if (tokens == NULL)
    {
      hc_http_send_error (msg, error);
      return;
    }
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "guest_tokens");
  json_builder_begin_array (builder);
  for (guint i = 0; i < tokens->len; i++)
    {
      HcTokenRecord *token = g_ptr_array_index (tokens, i);
      g_autofree char *created = hc_http_format_time (token->date_created);
      g_autofree char *expires = hc_http_format_time (token->date_expires);

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "jti");
      json_builder_add_string_value (builder, token->jti);
      json_builder_set_member_name (builder, "identity");
      json_builder_add_string_value (builder, token->identity);
      json_builder_set_member_name (builder, "room_sid");
      json_builder_add_string_value (builder, token->room_sid);
      json_builder_set_member_name (builder, "issued_by");
      if (token->issued_by)
        json_builder_add_string_value (builder, token->issued_by);
      else
        json_builder_add_null_value (builder);
      json_builder_set_member_name (builder, "joined");
      json_builder_add_boolean_value (builder, hc_store_identity_in_room (self->store,
                                                                          token->identity,
                                                                          room->sid, "guest"));
      json_builder_set_member_name (builder, "date_created");
      json_builder_add_string_value (builder, created);
      json_builder_set_member_name (builder, "date_expires");
      json_builder_add_string_value (builder, expires);
      {
        g_autoptr(HcSmsRecord) sms = hc_store_find_sms_by_token (self->store, token->jti, NULL);

        if (sms != NULL)
          add_sms_member (builder, sms);
      }
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  json_builder_end_object (builder);
  node = json_builder_get_root (builder);
  hc_http_send_json (msg, SOUP_STATUS_OK, node);
}

void
hc_rest_guest_tokens_handle (HcServer          *self,
                             SoupServerMessage *msg,
                             const char        *method,
                             HcRoomRecord      *room,
                             HcPrincipal       *principal,
                             const char        *jti)
{
  g_autoptr(GError) error = NULL;

  /* Guests and patients never mint or manage guest tokens; providers only
   * for a room they host or are in. */
  if (principal->kind == HC_PRINCIPAL_TOKEN && principal->claims->role != HC_ROLE_PROVIDER)
    {
      hc_http_send_error_code (msg, HC_ERROR_FORBIDDEN, "Only the room's provider may invite guests");
      return;
    }
  if (!hc_server_may_manage_room (self, principal, room))
    {
      hc_http_send_error_code (msg, HC_ERROR_NOT_IN_ROOM,
                               "Only a provider in this room may invite guests to it");
      return;
    }

  if (jti == NULL && strcmp (method, "POST") == 0)
    mint_guest_token (self, msg, room, principal);
  else if (jti == NULL && strcmp (method, "GET") == 0)
    list_guest_tokens (self, msg, room);
  else if (jti != NULL && strcmp (method, "DELETE") == 0)
    {
      if (!hc_store_revoke_token (self->store, jti, room->sid, hc_server_now (), &error))
        {
          hc_http_send_error (msg, error);
          return;
        }
      /* A text with the link that has not gone yet never goes. */
      if (!hc_store_cancel_token_sms (self->store, jti, hc_server_now (), &error))
        {
          g_warning ("Could not cancel the texts of guest token %s: %s", jti, error->message);
          g_clear_error (&error);
        }
      hc_store_audit (self->store, "token.revoked",
                      principal->kind == HC_PRINCIPAL_TOKEN ? principal->claims->identity : NULL,
                      jti, hc_server_remote_address (msg));
      hc_server_token_revoked (self, jti);
      soup_server_message_set_status (msg, SOUP_STATUS_NO_CONTENT, NULL);
    }
  else
    hc_http_send_error_code (msg, HC_ERROR_METHOD_NOT_ALLOWED,
                             jti ? "Use DELETE to revoke a guest token" : "Use GET or POST");
}
