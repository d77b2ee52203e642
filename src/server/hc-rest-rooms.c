/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "HcRestRooms"

#include "config.h"

#include "hc-server-private.h"
#include "hc-sid.h"

#include <string.h>

/* The Rooms resource, shaped like Twilio's Video API v1 so that code written
 * for Twilio only needs a new base URL. */

#define MIN_PARTICIPANTS 2
#define MAX_PARTICIPANTS 10
#define PAGE_SIZE_DEFAULT 50
#define PAGE_SIZE_MAX 1000

static const char * const create_params[] = {
  "UniqueName", "Type", "VideoCodecs", "MaxParticipants", "StatusCallback",
  "StatusCallbackMethod", "EnableTurn", "RecordParticipantsOnConnect", "AudioOnly",
  "MediaRegion", "MaxParticipantDuration", "EmptyRoomTimeout", "UnusedRoomTimeout",
  "LargeRoom", NULL
};

static const char * const update_params[] = { "Status", NULL };

static void
build_room (HcServer           *self,
            JsonBuilder        *builder,
            const HcRoomRecord *room)
{
  g_autofree char *base = hc_server_base_url (self);
  g_autofree char *url = g_strdup_printf ("%s/v1/Rooms/%s", base, room->sid);
  g_autofree char *participants = g_strconcat (url, "/Participants", NULL);
  g_autofree char *recordings = g_strconcat (url, "/Recordings", NULL);
  g_autofree char *rules = g_strconcat (url, "/RecordingRules", NULL);

  json_builder_begin_object (builder);
  hc_http_add_string_or_null (builder, "sid", room->sid);
  hc_http_add_string_or_null (builder, "status", room->status);
  hc_http_add_time (builder, "date_created", room->date_created);
  hc_http_add_time (builder, "date_updated", room->date_updated);
  hc_http_add_string_or_null (builder, "account_sid", self->config->account_sid);
  json_builder_set_member_name (builder, "enable_turn");
  json_builder_add_boolean_value (builder, TRUE);
  hc_http_add_string_or_null (builder, "unique_name", room->unique_name);
  hc_http_add_string_or_null (builder, "status_callback", room->status_callback);
  hc_http_add_string_or_null (builder, "status_callback_method", "POST");
  hc_http_add_time (builder, "end_time", room->end_time);
  json_builder_set_member_name (builder, "duration");
  if (room->end_time != 0)
    json_builder_add_int_value (builder, room->end_time - room->date_created);
  else
    json_builder_add_null_value (builder);
  hc_http_add_string_or_null (builder, "type", room->type);
  json_builder_set_member_name (builder, "max_participants");
  json_builder_add_int_value (builder, room->max_participants);
  json_builder_set_member_name (builder, "max_participant_duration");
  json_builder_add_int_value (builder, 14400);
  json_builder_set_member_name (builder, "max_concurrent_published_tracks");
  json_builder_add_int_value (builder, room->max_participants * 3);
  json_builder_set_member_name (builder, "record_participants_on_connect");
  json_builder_add_boolean_value (builder, FALSE);
  json_builder_set_member_name (builder, "video_codecs");
  json_builder_begin_array (builder);
  json_builder_add_string_value (builder, room->video_codec);
  json_builder_end_array (builder);
  hc_http_add_string_or_null (builder, "media_region", NULL);
  json_builder_set_member_name (builder, "audio_only");
  json_builder_add_boolean_value (builder, FALSE);
  json_builder_set_member_name (builder, "empty_room_timeout");
  json_builder_add_int_value (builder, 5);
  json_builder_set_member_name (builder, "unused_room_timeout");
  json_builder_add_int_value (builder, 5);
  json_builder_set_member_name (builder, "large_room");
  json_builder_add_boolean_value (builder, FALSE);
  hc_http_add_string_or_null (builder, "url", url);
  json_builder_set_member_name (builder, "links");
  json_builder_begin_object (builder);
  hc_http_add_string_or_null (builder, "participants", participants);
  hc_http_add_string_or_null (builder, "recordings", recordings);
  hc_http_add_string_or_null (builder, "recording_rules", rules);
  json_builder_end_object (builder);
  json_builder_end_object (builder);
}

static void
send_room (HcServer           *self,
           SoupServerMessage  *msg,
           guint               status,
           const HcRoomRecord *room)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) node = NULL;

  build_room (self, builder, room);
  node = json_builder_get_root (builder);
  hc_http_send_json (msg, status, node);
}

static gboolean
parse_bool_param (HcParams    *params,
                  const char  *name,
                  gboolean     fallback,
                  gboolean    *out,
                  GError     **error)
{
  const char *value = hc_params_get (params, name);

  *out = fallback;
  if (value == NULL)
    return TRUE;
  if (g_ascii_strcasecmp (value, "true") == 0)
    *out = TRUE;
  else if (g_ascii_strcasecmp (value, "false") == 0)
    *out = FALSE;
  else
    {
      g_set_error (error, HC_ERROR, HC_ERROR_INVALID_PARAMETER, "%s must be true or false", name);
      return FALSE;
    }
  return TRUE;
}

static gboolean
parse_uint_param (HcParams    *params,
                  const char  *name,
                  guint        min,
                  guint        max,
                  guint       *out,
                  GError     **error)
{
  const char *value = hc_params_get (params, name);
  guint64 number = 0;

  if (value == NULL)
    return TRUE;
  if (!g_ascii_string_to_unsigned (value, 10, min, max, &number, NULL))
    {
      g_set_error (error, HC_ERROR, HC_ERROR_INVALID_PARAMETER,
                   "%s must be a whole number from %u to %u", name, min, max);
      return FALSE;
    }
  *out = (guint) number;
  return TRUE;
}

static gboolean
parse_status_callback (const char  *value,
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

static void
create_room (HcServer          *self,
             SoupServerMessage *msg,
             HcPrincipal       *principal)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(HcParams) params = NULL;
  g_autoptr(HcRoomRecord) room = NULL;
  const char *unique_name;
  const char *type;
  const char *video_codec = "VP8";
  const char *status_callback;
  const char *callback_method;
  const char *media_region;
  GPtrArray *codecs;
  guint max_participants = 4;
  guint ignored = 0;
  gboolean flag = FALSE;

  if (principal->kind == HC_PRINCIPAL_TOKEN && !principal->claims->can_create_rooms)
    {
      hc_http_send_error_code (msg, HC_ERROR_ROOM_CREATE_FORBIDDEN,
                               "This access token may not create rooms");
      return;
    }
  if (principal->kind == HC_PRINCIPAL_TOKEN && principal->claims->role != HC_ROLE_PROVIDER)
    {
      hc_http_send_error_code (msg, HC_ERROR_FORBIDDEN,
                               "Only providers and the API key may create rooms here");
      return;
    }

  params = hc_params_parse (msg, &error);
  if (params == NULL || !hc_params_check_known (params, create_params, &error))
    goto fail;

  unique_name = hc_params_get (params, "UniqueName");
  if (unique_name != NULL && (!hc_name_is_valid (unique_name, 128) ||
                              g_str_has_prefix (unique_name, HC_SID_PREFIX_ROOM) ||
                              strchr (unique_name, '/') != NULL))
    {
      g_set_error (&error, HC_ERROR, HC_ERROR_INVALID_PARAMETER,
                   "UniqueName must be 1 to 128 characters, without “/” and not starting with RM");
      goto fail;
    }

  type = hc_params_get (params, "Type");
  if (type != NULL && strcmp (type, "group") != 0 && strcmp (type, "group-small") != 0 &&
      strcmp (type, "peer-to-peer") != 0 && strcmp (type, "go") != 0)
    {
      g_set_error (&error, HC_ERROR, HC_ERROR_INVALID_PARAMETER,
                   "Type must be group, group-small, peer-to-peer or go");
      goto fail;
    }

  codecs = hc_params_get_all (params, "VideoCodecs");
  if (codecs != NULL)
    {
      /* A room has one codec here: simulcast VP8 or single-layer H.264. */
      if (codecs->len != 1 ||
          (strcmp (g_ptr_array_index (codecs, 0), "VP8") != 0 &&
           strcmp (g_ptr_array_index (codecs, 0), "H264") != 0))
        {
          g_set_error (&error, HC_ERROR, HC_ERROR_INVALID_PARAMETER,
                       "VideoCodecs must be exactly one of VP8 and H264");
          goto fail;
        }
      video_codec = g_ptr_array_index (codecs, 0);
    }

  if (!parse_uint_param (params, "MaxParticipants", MIN_PARTICIPANTS, MAX_PARTICIPANTS,
                         &max_participants, &error) ||
      !parse_uint_param (params, "MaxParticipantDuration", 600, 86400, &ignored, &error) ||
      !parse_uint_param (params, "EmptyRoomTimeout", 1, 60, &ignored, &error) ||
      !parse_uint_param (params, "UnusedRoomTimeout", 1, 60, &ignored, &error) ||
      !parse_bool_param (params, "EnableTurn", TRUE, &flag, &error))
    goto fail;

  status_callback = hc_params_get (params, "StatusCallback");
  if (!parse_status_callback (status_callback, &error))
    goto fail;
  callback_method = hc_params_get (params, "StatusCallbackMethod");
  if (callback_method != NULL && strcmp (callback_method, "POST") != 0)
    {
      g_set_error (&error, HC_ERROR, HC_ERROR_INVALID_PARAMETER,
                   "StatusCallbackMethod must be POST");
      goto fail;
    }

  /* Settings we do not offer are refused rather than silently ignored. */
  if (!parse_bool_param (params, "RecordParticipantsOnConnect", FALSE, &flag, &error))
    goto fail;
  if (flag)
    {
      g_set_error (&error, HC_ERROR, HC_ERROR_INVALID_PARAMETER,
                   "Housecall never records visits: RecordParticipantsOnConnect must be false");
      goto fail;
    }
  if (!parse_bool_param (params, "AudioOnly", FALSE, &flag, &error))
    goto fail;
  if (flag)
    {
      g_set_error (&error, HC_ERROR, HC_ERROR_INVALID_PARAMETER,
                   "Audio-only rooms are not offered: AudioOnly must be false");
      goto fail;
    }
  if (!parse_bool_param (params, "LargeRoom", FALSE, &flag, &error))
    goto fail;
  if (flag)
    {
      g_set_error (&error, HC_ERROR, HC_ERROR_INVALID_PARAMETER, "LargeRoom must be false");
      goto fail;
    }
  media_region = hc_params_get (params, "MediaRegion");
  if (media_region != NULL && !hc_name_is_valid (media_region, 16))
    {
      g_set_error (&error, HC_ERROR, HC_ERROR_INVALID_PARAMETER, "MediaRegion is not valid");
      goto fail;
    }

  room = hc_server_create_room (self, unique_name, video_codec, max_participants,
                                status_callback,
                                principal->kind == HC_PRINCIPAL_TOKEN ? principal->claims->identity
                                                                      : NULL,
                                FALSE, &error);
  if (room == NULL)
    goto fail;
  send_room (self, msg, SOUP_STATUS_CREATED, room);
  return;

fail:
  hc_http_send_error (msg, error);
}

static void
list_rooms (HcServer          *self,
            SoupServerMessage *msg,
            HcPrincipal       *principal)
{
  g_autoptr(GHashTable) form = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) rooms = NULL;
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) node = NULL;
  g_autofree char *base = hc_server_base_url (self);
  g_autofree char *url = NULL;
  const char *status = NULL;
  const char *unique_name = NULL;
  const char *query_string = g_uri_get_query (soup_server_message_get_uri (msg));
  guint page_size = PAGE_SIZE_DEFAULT;

  if (query_string != NULL)
    {
      GHashTableIter iter;
      gpointer key;
      gpointer value;

      form = soup_form_decode (query_string);
      g_hash_table_iter_init (&iter, form);
      while (g_hash_table_iter_next (&iter, &key, &value))
        {
          guint64 number = 0;

          if (strcmp (key, "Status") == 0)
            {
              if (strcmp (value, "in-progress") != 0 && strcmp (value, "completed") != 0 &&
                  strcmp (value, "failed") != 0)
                {
                  hc_http_send_error_code (msg, HC_ERROR_INVALID_PARAMETER,
                                           "Status must be in-progress, completed or failed");
                  return;
                }
              status = value;
            }
          else if (strcmp (key, "UniqueName") == 0)
            unique_name = value;
          else if (strcmp (key, "PageSize") == 0)
            {
              if (!g_ascii_string_to_unsigned (value, 10, 1, PAGE_SIZE_MAX, &number, NULL))
                {
                  hc_http_send_error_code (msg, HC_ERROR_INVALID_PARAMETER,
                                           "PageSize must be a whole number from 1 to 1000");
                  return;
                }
              page_size = (guint) number;
            }
          else if (strcmp (key, "Page") != 0 && strcmp (key, "DateCreatedAfter") != 0 &&
                   strcmp (key, "DateCreatedBefore") != 0)
            {
              hc_http_send_error_code (msg, HC_ERROR_UNKNOWN_PARAMETER,
                                       "Filter rooms by Status, UniqueName or PageSize");
              return;
            }
        }
    }

  rooms = hc_store_list_rooms (self->store, status, unique_name, page_size, &error);
  if (rooms == NULL)
    {
      hc_http_send_error (msg, error);
      return;
    }

  url = g_strdup_printf ("%s/v1/Rooms?PageSize=%u%s%s", base, page_size,
                         status ? "&Status=" : "", status ? status : "");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "rooms");
  json_builder_begin_array (builder);
  for (guint i = 0; i < rooms->len; i++)
    {
      HcRoomRecord *room = g_ptr_array_index (rooms, i);

      if (hc_server_may_manage_room (self, principal, room))
        build_room (self, builder, room);
    }
  json_builder_end_array (builder);
  json_builder_set_member_name (builder, "meta");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "page");
  json_builder_add_int_value (builder, 0);
  json_builder_set_member_name (builder, "page_size");
  json_builder_add_int_value (builder, page_size);
  hc_http_add_string_or_null (builder, "first_page_url", url);
  hc_http_add_string_or_null (builder, "previous_page_url", NULL);
  hc_http_add_string_or_null (builder, "url", url);
  hc_http_add_string_or_null (builder, "next_page_url", NULL);
  hc_http_add_string_or_null (builder, "key", "rooms");
  json_builder_end_object (builder);
  json_builder_end_object (builder);
  node = json_builder_get_root (builder);
  hc_http_send_json (msg, SOUP_STATUS_OK, node);
}

static void
update_room (HcServer          *self,
             SoupServerMessage *msg,
             HcRoomRecord      *room)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(HcParams) params = hc_params_parse (msg, &error);
  g_autoptr(HcRoomRecord) updated = NULL;
  const char *status;

  if (params == NULL || !hc_params_check_known (params, update_params, &error))
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
  if (strcmp (status, "completed") != 0)
    {
      hc_http_send_error_code (msg, HC_ERROR_INVALID_PARAMETER,
                               "A room's Status can only be set to completed");
      return;
    }
  /* Completing a completed room is a no-op, as with Twilio. */
  if (strcmp (room->status, "in-progress") == 0)
    {
      if (!hc_store_complete_room (self->store, room->sid, hc_server_now (), &error))
        {
          hc_http_send_error (msg, error);
          return;
        }
      hc_store_audit (self->store, "room.completed", NULL, room->sid,
                      hc_server_remote_address (msg));
      hc_server_room_completed (self, room->sid);
    }
  updated = hc_store_find_room (self->store, room->sid, &error);
  if (updated == NULL)
    {
      hc_http_send_error (msg, error);
      return;
    }
  send_room (self, msg, SOUP_STATUS_OK, updated);
}

void
hc_rest_rooms_handle (HcServer          *self,
                      SoupServerMessage *msg,
                      const char        *method,
                      char             **parts,
                      guint              n_parts)
{
  g_autoptr(GError) error = NULL;
  g_auto(HcPrincipal) principal = { 0 };
  g_autoptr(HcRoomRecord) room = NULL;

  if (!hc_server_authenticate (self, msg, &principal, &error))
    {
      if (g_error_matches (error, HC_ERROR, HC_ERROR_BAD_CREDENTIALS) ||
          g_error_matches (error, HC_ERROR, HC_ERROR_AUTH_REQUIRED))
        soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                      "WWW-Authenticate", "Basic realm=\"housecalld\"");
      hc_http_send_error (msg, error);
      return;
    }

  if (principal.kind == HC_PRINCIPAL_TOKEN && principal.claims->role != HC_ROLE_PROVIDER &&
      !(n_parts >= 2 && strcmp (parts[1], "GuestTokens") == 0))
    {
      if (n_parts == 0 && strcmp (method, "POST") == 0)
        hc_http_send_error_code (msg, HC_ERROR_ROOM_CREATE_FORBIDDEN,
                                 "This access token may not create rooms");
      else
        hc_http_send_error_code (msg, HC_ERROR_FORBIDDEN,
                                 "Only providers and the API key may use the Rooms resource");
      return;
    }

  if (n_parts == 0)
    {
      if (strcmp (method, "POST") == 0)
        create_room (self, msg, &principal);
      else if (strcmp (method, "GET") == 0)
        list_rooms (self, msg, &principal);
      else
        hc_http_send_error_code (msg, HC_ERROR_METHOD_NOT_ALLOWED, "Use GET or POST");
      return;
    }

  if (!hc_name_is_valid (parts[0], 128) ||
      (room = hc_store_find_room (self->store, parts[0], &error)) == NULL)
    {
      if (error != NULL)
        hc_http_send_error (msg, error);
      else
        hc_http_send_error_code (msg, HC_ERROR_NOT_FOUND, "No such room");
      return;
    }

  if (n_parts >= 2 && strcmp (parts[1], "GuestTokens") == 0 && n_parts <= 3)
    {
      hc_rest_guest_tokens_handle (self, msg, method, room, &principal,
                                   n_parts == 3 ? parts[2] : NULL);
      return;
    }
  if (n_parts == 2 && strcmp (parts[1], "InterpreterRequests") == 0)
    {
      hc_rest_interpreters_handle (self, msg, method, room, &principal);
      return;
    }
  if (n_parts >= 2 && strcmp (parts[1], "PhoneCalls") == 0)
    {
      hc_rest_phone_calls_handle (self, msg, method, room, &principal, parts + 2, n_parts - 2);
      return;
    }
  if (n_parts != 1)
    {
      hc_http_send_error_code (msg, HC_ERROR_NOT_FOUND, "No such resource");
      return;
    }

  /* Providers see only the rooms they host or are in; say "not found"
   * rather than reveal that another provider's room exists. */
  if (!hc_server_may_manage_room (self, &principal, room))
    {
      hc_http_send_error_code (msg, HC_ERROR_NOT_FOUND, "No such room");
      return;
    }

  if (strcmp (method, "GET") == 0)
    send_room (self, msg, SOUP_STATUS_OK, room);
  else if (strcmp (method, "POST") == 0)
    update_room (self, msg, room);
  else
    hc_http_send_error_code (msg, HC_ERROR_METHOD_NOT_ALLOWED, "Use GET or POST");
}
