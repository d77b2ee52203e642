/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "HcRestVisits"

#include "config.h"

#include "hc-server-private.h"
#include "hc-sid.h"
#include "hc-signal-session.h"

#include <glib/gi18n.h>
#include <string.h>

/* The patient's way in (docs/waiting-room.md): /v1/Visits/{code} with the
 * visit code as the credential, and the provider's /v1/WaitingRoom. Patient
 * names and intake answers are health information: they go to the store and
 * to the provider, never to the log. */

#define DEFAULT_VISIT_SECONDS (10 * 60)
#define PATIENT_TOKEN_TTL (4 * 3600)
#define MAX_MESSAGE 500

static const char *const check_in_members[] = {
  "name", "consent", "copay_acknowledged", "intake", "preflight", NULL
};

static const char *const preflight_members[] = {
  "verdict", "reasons", "rtt_ms", "jitter_ms", "loss_percent", "bitrate_kbps",
  "candidate_type", "camera", "microphone", "browser", "mobile", NULL
};

static gboolean
visit_is_open (HcServer                  *self,
               const HcAppointmentRecord *appointment)
{
  g_autoptr(HcWaitingEntry) entry = NULL;

  if (appointment == NULL || g_strcmp0 (appointment->status, "scheduled") != 0 ||
      appointment->visit_code_expires <= hc_server_now ())
    return FALSE;
  entry = hc_store_find_waiting_by_appointment (self->store, appointment->sid, NULL);
  return entry == NULL || (g_strcmp0 (entry->status, "done") != 0 &&
                           g_strcmp0 (entry->status, "removed") != 0);
}

/* One answer for every code that does not open a visit. */
static void
send_invalid_link (SoupServerMessage *msg)
{
  hc_http_send_error_code (msg, HC_ERROR_VISIT_LINK_INVALID,
                           _("This visit link is not valid any more. Ask the clinic for a new one."));
}

static HcAppointmentRecord *
lookup_visit (HcServer          *self,
              SoupServerMessage *msg,
              const char        *code)
{
  const char *address = hc_server_remote_address (msg);
  g_autoptr(HcAppointmentRecord) appointment = NULL;
  gint64 now = hc_server_now ();

  /* Codes are 128 bits, and nobody gets to try them at speed: bad codes
   * count against the address. */
  if (hc_rate_limiter_retry_after (self->visits_by_address, address, now) > 0)
    {
      hc_http_send_error_code (msg, HC_ERROR_RATE_LIMITED, _("Too many requests; wait a minute."));
      return NULL;
    }

  if (strlen (code) == 32 && strspn (code, "0123456789abcdef") == 32)
    appointment = hc_store_find_appointment_by_code (self->store, code, NULL);
  if (!visit_is_open (self, appointment))
    {
      hc_rate_limiter_add_failure (self->visits_by_address, address, now);
      send_invalid_link (msg);
      return NULL;
    }
  return g_steal_pointer (&appointment);
}

static char *
provider_display_name (HcServer   *self,
                       const char *username)
{
  g_autoptr(HcProviderRecord) provider = username ? hc_store_lookup_provider (self->store, username,
                                                                              NULL)
                                                  : NULL;

  return g_strdup (provider ? provider->display_name : NULL);
}

static void
get_visit (HcServer            *self,
           SoupServerMessage   *msg,
           HcAppointmentRecord *appointment)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) node = NULL;
  g_autofree char *provider = provider_display_name (self, appointment->provider);
  g_autofree char *start = hc_http_format_time (appointment->start_time);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "clinic_name");
  json_builder_add_string_value (builder, self->config->clinic_name);
  json_builder_set_member_name (builder, "provider_name");
  if (provider != NULL)
    json_builder_add_string_value (builder, provider);
  else
    json_builder_add_null_value (builder);
  json_builder_set_member_name (builder, "start_time");
  json_builder_add_string_value (builder, start);
  json_builder_set_member_name (builder, "status");
  json_builder_add_string_value (builder, "open");
  json_builder_set_member_name (builder, "intake_questions");
  json_builder_begin_array (builder);
  for (guint i = 0; self->config->intake_questions && self->config->intake_questions[i]; i++)
    {
      g_autofree char *id = g_strdup_printf ("q%u", i + 1);

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "id");
      json_builder_add_string_value (builder, id);
      json_builder_set_member_name (builder, "label");
      json_builder_add_string_value (builder, self->config->intake_questions[i]);
      json_builder_set_member_name (builder, "required");
      json_builder_add_boolean_value (builder, FALSE);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  json_builder_set_member_name (builder, "copay");
  json_builder_add_string_value (builder, self->config->copay_notice
                                            ? self->config->copay_notice
                                            : _("Your usual copay applies."));
  json_builder_end_object (builder);
  node = json_builder_get_root (builder);
  hc_http_send_json (msg, SOUP_STATUS_OK, node);
}

static gboolean
check_known_members (JsonObject         *object,
                     const char * const *known,
                     GError            **error)
{
  g_autoptr(GList) members = json_object_get_members (object);

  for (GList *l = members; l != NULL; l = l->next)
    if (!g_strv_contains (known, l->data))
      {
        g_set_error (error, HC_ERROR, HC_ERROR_UNKNOWN_PARAMETER,
                     "“%.64s” is not a check-in field", (const char *) l->data);
        return FALSE;
      }
  return TRUE;
}

static gboolean
member_is (JsonObject *object,
           const char *name,
           GType       type)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL)
    return TRUE;
  if (type == JSON_TYPE_OBJECT)
    return JSON_NODE_HOLDS_OBJECT (node);
  if (type == JSON_TYPE_ARRAY)
    return JSON_NODE_HOLDS_ARRAY (node);
  if (!JSON_NODE_HOLDS_VALUE (node))
    return FALSE;
  if (type == G_TYPE_DOUBLE)
    return json_node_get_value_type (node) == G_TYPE_DOUBLE ||
           json_node_get_value_type (node) == G_TYPE_INT64;
  return json_node_get_value_type (node) == type;
}

/* Checks the preflight report and returns it re-serialized (only the known
 * members, bounded), its verdict, and whether camera and microphone work. */
static char *
check_preflight (JsonObject  *preflight,
                 gint        *verdict,
                 gboolean    *devices_ok,
                 GError     **error)
{
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  JsonArray *reasons;

  *verdict = 0;
  *devices_ok = FALSE;
  if (preflight == NULL)
    return NULL;
  if (!check_known_members (preflight, preflight_members, error))
    return NULL;
  if (!member_is (preflight, "verdict", G_TYPE_INT64) ||
      !member_is (preflight, "reasons", JSON_TYPE_ARRAY) ||
      !member_is (preflight, "rtt_ms", G_TYPE_DOUBLE) ||
      !member_is (preflight, "jitter_ms", G_TYPE_DOUBLE) ||
      !member_is (preflight, "loss_percent", G_TYPE_DOUBLE) ||
      !member_is (preflight, "bitrate_kbps", G_TYPE_DOUBLE) ||
      !member_is (preflight, "candidate_type", G_TYPE_STRING) ||
      !member_is (preflight, "camera", G_TYPE_BOOLEAN) ||
      !member_is (preflight, "microphone", G_TYPE_BOOLEAN) ||
      !member_is (preflight, "browser", G_TYPE_STRING) ||
      !member_is (preflight, "mobile", G_TYPE_BOOLEAN))
    {
      g_set_error (error, HC_ERROR, HC_ERROR_INVALID_PARAMETER,
                   "A preflight field has the wrong type");
      return NULL;
    }
  *verdict = (gint) json_object_get_int_member_with_default (preflight, "verdict", 0);
  if (*verdict < 1 || *verdict > 5)
    {
      g_set_error (error, HC_ERROR, HC_ERROR_INVALID_PARAMETER, "verdict must be 1 to 5");
      return NULL;
    }
  reasons = json_object_has_member (preflight, "reasons")
              ? json_object_get_array_member (preflight, "reasons") : NULL;
  for (guint i = 0; reasons != NULL && i < json_array_get_length (reasons); i++)
    {
      JsonNode *reason = json_array_get_element (reasons, i);

      if (i >= 10 || !JSON_NODE_HOLDS_VALUE (reason) ||
          json_node_get_value_type (reason) != G_TYPE_STRING ||
          strlen (json_node_get_string (reason)) > 200)
        {
          g_set_error (error, HC_ERROR, HC_ERROR_INVALID_PARAMETER,
                       "reasons holds at most 10 sentences of at most 200 bytes");
          return NULL;
        }
    }
  if (json_object_has_member (preflight, "browser") &&
      strlen (json_object_get_string_member (preflight, "browser")) > 100)
    {
      g_set_error (error, HC_ERROR, HC_ERROR_INVALID_PARAMETER, "browser is too long");
      return NULL;
    }
  *devices_ok = json_object_get_boolean_member_with_default (preflight, "camera", FALSE) &&
                json_object_get_boolean_member_with_default (preflight, "microphone", FALSE);
  root = json_node_init_object (json_node_alloc (), preflight);
  json_generator_set_root (generator, root);
  return json_generator_to_data (generator, NULL);
}

static char *
check_intake (JsonObject  *intake,
              GError     **error)
{
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GList) members = NULL;

  if (intake == NULL)
    return NULL;
  members = json_object_get_members (intake);
  if (g_list_length (members) > 10)
    {
      g_set_error (error, HC_ERROR, HC_ERROR_INVALID_PARAMETER, "At most 10 intake answers");
      return NULL;
    }
  for (GList *l = members; l != NULL; l = l->next)
    {
      JsonNode *answer = json_object_get_member (intake, l->data);

      if (strlen (l->data) > 16 || !JSON_NODE_HOLDS_VALUE (answer) ||
          json_node_get_value_type (answer) != G_TYPE_STRING ||
          g_utf8_strlen (json_node_get_string (answer), -1) > 2000)
        {
          g_set_error (error, HC_ERROR, HC_ERROR_INVALID_PARAMETER,
                       "Intake answers are texts of at most 2000 characters");
          return NULL;
        }
    }
  root = json_node_init_object (json_node_alloc (), intake);
  json_generator_set_root (generator, root);
  return json_generator_to_data (generator, NULL);
}

struct _HcQueueSnapshot
{
  GPtrArray  *entries;      /* HcWaitingEntry, owned, in queue order */
  GHashTable *slots;        /* identity → QueueSlot */
};

typedef struct
{
  HcWaitingEntry *entry;    /* borrowed from entries */
  gint            position; /* 0 unless waiting */
  gint64          wait;
} QueueSlot;

static gint64
wait_for_position (gint   position,
                   gint64 average)
{
  if (average <= 0)
    average = DEFAULT_VISIT_SECONDS;
  /* Those ahead are seen first; rounded to whole minutes. */
  return ((MAX (position - 1, 0) * average + 59) / 60) * 60;
}

HcQueueSnapshot *
hc_queue_snapshot_new (HcServer   *self,
                       const char *provider)
{
  g_autoptr(GPtrArray) entries = hc_store_list_waiting (self->store, provider, NULL);
  g_autoptr(GHashTable) counts = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GHashTable) averages = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);
  HcQueueSnapshot *snapshot;
  gint unassigned = 0;
  gint64 unassigned_average = -1;

  if (entries == NULL)
    return NULL;
  snapshot = g_new0 (HcQueueSnapshot, 1);
  snapshot->slots = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);
  /* The same positions as hc_server_queue_position(): the rank among the waiting
   * entries of the same provider (entries without one among themselves), in the
   * store's order, which is the same for every provider's list. @provider's list
   * holds all of its entries and all without a provider, so their ranks come out
   * the same as in the whole queue. */
  for (guint i = 0; i < entries->len; i++)
    {
      HcWaitingEntry *entry = g_ptr_array_index (entries, i);
      QueueSlot *slot = g_new0 (QueueSlot, 1);

      slot->entry = entry;
      if (g_strcmp0 (entry->status, "waiting") == 0)
        {
          gint64 *average;

          if (entry->provider == NULL)
            {
              slot->position = ++unassigned;
              if (unassigned_average < 0)
                unassigned_average = hc_store_average_visit_seconds (self->store, NULL);
              slot->wait = wait_for_position (slot->position, unassigned_average);
            }
          else
            {
              slot->position = GPOINTER_TO_INT (g_hash_table_lookup (counts, entry->provider)) + 1;
              g_hash_table_insert (counts, entry->provider, GINT_TO_POINTER (slot->position));
              average = g_hash_table_lookup (averages, entry->provider);
              if (average == NULL)
                {
                  average = g_new (gint64, 1);
                  *average = hc_store_average_visit_seconds (self->store, entry->provider);
                  g_hash_table_insert (averages, entry->provider, average);
                }
              slot->wait = wait_for_position (slot->position, *average);
            }
        }
      g_hash_table_insert (snapshot->slots, entry->identity, slot);
    }
  snapshot->entries = g_steal_pointer (&entries);
  return snapshot;
}

void
hc_queue_snapshot_free (HcQueueSnapshot *snapshot)
{
  if (snapshot == NULL)
    return;
  g_hash_table_unref (snapshot->slots);
  g_ptr_array_unref (snapshot->entries);
  g_free (snapshot);
}

const HcWaitingEntry *
hc_queue_snapshot_find (HcQueueSnapshot *snapshot,
                        const char      *identity,
                        gint            *position,
                        gint64          *wait)
{
  QueueSlot *slot = identity ? g_hash_table_lookup (snapshot->slots, identity) : NULL;

  if (slot == NULL)
    return NULL;
  *position = slot->position;
  *wait = slot->wait;
  return slot->entry;
}

gint
hc_server_queue_position (HcServer       *self,
                          HcWaitingEntry *entry,
                          gint64         *estimated_wait)
{
  g_autoptr(GPtrArray) queue = hc_store_list_waiting (self->store, entry->provider, NULL);
  gint64 average = hc_store_average_visit_seconds (self->store, entry->provider);
  gint position = 0;

  for (guint i = 0; queue != NULL && i < queue->len; i++)
    {
      HcWaitingEntry *other = g_ptr_array_index (queue, i);

      if (g_strcmp0 (other->status, "waiting") != 0 ||
          g_strcmp0 (other->provider, entry->provider) != 0)
        continue;
      position++;
      if (other->id == entry->id)
        break;
    }
  *estimated_wait = wait_for_position (position, average);
  return position;
}

static void
check_in (HcServer            *self,
          SoupServerMessage   *msg,
          HcAppointmentRecord *appointment)
{
  SoupMessageBody *body = soup_server_message_get_request_body (msg);
  const char *content_type = soup_message_headers_get_content_type (
    soup_server_message_get_request_headers (msg), NULL);
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(HcWaitingEntry) entry = g_new0 (HcWaitingEntry, 1);
  g_autoptr(HcWaitingEntry) existing = NULL;
  g_autoptr(HcWaitingEntry) stored = NULL;
  g_autoptr(HcTokenClaims) claims = NULL;
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) node = NULL;
  g_autofree char *token = NULL;
  g_autofree char *room_name = NULL;
  JsonObject *object;
  const char *name;
  gint64 wait = 0;
  gint64 now = hc_server_now ();
  gint position;

  if (content_type == NULL || g_ascii_strcasecmp (content_type, "application/json") != 0)
    {
      hc_http_send_error_code (msg, HC_ERROR_UNSUPPORTED_MEDIA_TYPE, "Send the check-in as JSON");
      return;
    }
  bytes = soup_message_body_flatten (body);
  if (!g_utf8_validate (g_bytes_get_data (bytes, NULL), (gssize) g_bytes_get_size (bytes), NULL) ||
      !json_parser_load_from_data (parser, g_bytes_get_data (bytes, NULL),
                                   (gssize) g_bytes_get_size (bytes), NULL) ||
      !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    {
      hc_http_send_error_code (msg, HC_ERROR_MALFORMED_BODY, "The check-in must be a JSON object");
      return;
    }
  object = json_node_get_object (json_parser_get_root (parser));
  if (!check_known_members (object, check_in_members, &error))
    goto fail;
  if (!member_is (object, "name", G_TYPE_STRING) || !member_is (object, "consent", G_TYPE_BOOLEAN) ||
      !member_is (object, "copay_acknowledged", G_TYPE_BOOLEAN) ||
      !member_is (object, "intake", JSON_TYPE_OBJECT) ||
      !member_is (object, "preflight", JSON_TYPE_OBJECT))
    {
      g_set_error (&error, HC_ERROR, HC_ERROR_INVALID_PARAMETER,
                   "name is a text; consent and copay_acknowledged are booleans; intake and "
                   "preflight are objects");
      goto fail;
    }
  name = json_object_get_string_member_with_default (object, "name", NULL);
  if (name == NULL || !hc_name_is_valid (name, 100) || g_utf8_strlen (name, -1) > 100)
    {
      g_set_error (&error, HC_ERROR, HC_ERROR_MISSING_PARAMETER,
                   "Your name is needed (at most 100 characters)");
      goto fail;
    }
  if (!json_object_get_boolean_member_with_default (object, "consent", FALSE) ||
      !json_object_get_boolean_member_with_default (object, "copay_acknowledged", FALSE))
    {
      g_set_error (&error, HC_ERROR, HC_ERROR_MISSING_PARAMETER,
                   "Consent to the video visit and the copay acknowledgement are needed");
      goto fail;
    }
  entry->preflight = check_preflight (json_object_has_member (object, "preflight")
                                        ? json_object_get_object_member (object, "preflight")
                                        : NULL,
                                      &entry->verdict, &entry->devices_ok, &error);
  if (error != NULL)
    goto fail;
  entry->intake = check_intake (json_object_has_member (object, "intake")
                                  ? json_object_get_object_member (object, "intake") : NULL,
                                &error);
  if (error != NULL)
    goto fail;

  existing = hc_store_find_waiting_by_appointment (self->store, appointment->sid, NULL);
  entry->appointment_sid = g_strdup (appointment->sid);
  entry->provider = g_strdup (appointment->provider);
  entry->display_name = g_strdup (name);
  if (existing != NULL)
    entry->identity = g_strdup (existing->identity);
  else
    {
      g_autofree char *hex = hc_random_hex (8);

      entry->identity = g_strconcat ("patient-", hex, NULL);
    }
  if (!hc_store_check_in (self->store, entry, now, &error))
    goto fail;
  stored = hc_store_find_waiting_by_appointment (self->store, appointment->sid, &error);
  if (stored == NULL)
    goto fail;

  /* A patient token grants the visit's room only, and only once admitted:
   * the server checks the waiting-room entry at every join. */
  room_name = g_strconcat ("visit-", appointment->sid, NULL);
  claims = hc_token_claims_new ();
  claims->identity = g_strdup (stored->identity);
  claims->room = g_strdup (room_name);
  claims->role = HC_ROLE_PATIENT;
  claims->can_create_rooms = FALSE;
  claims->iat = now;
  claims->exp = now + PATIENT_TOKEN_TTL;
  token = hc_token_mint (&self->token_key, claims, &error);
  if (token == NULL)
    goto fail;
  hc_store_audit (self->store, existing ? "visit.checked-in-again" : "visit.checked-in",
                  stored->identity, appointment->sid, hc_server_remote_address (msg));

  position = hc_server_queue_position (self, stored, &wait);
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "token");
  json_builder_add_string_value (builder, token);
  json_builder_set_member_name (builder, "identity");
  json_builder_add_string_value (builder, stored->identity);
  json_builder_set_member_name (builder, "position");
  json_builder_add_int_value (builder, position);
  json_builder_set_member_name (builder, "estimated_wait_seconds");
  json_builder_add_int_value (builder, wait);
  json_builder_end_object (builder);
  node = json_builder_get_root (builder);
  hc_http_send_json (msg, SOUP_STATUS_OK, node);
  hc_server_queue_changed_for (self, stored->provider);
  return;

fail:
  hc_http_send_error (msg, error);
}

void
hc_rest_visits_handle (HcServer          *self,
                       SoupServerMessage *msg,
                       const char        *method,
                       char             **parts,
                       guint              n_parts)
{
  g_autoptr(HcAppointmentRecord) appointment = NULL;

  if (n_parts == 0 || n_parts > 2 || (n_parts == 2 && strcmp (parts[1], "CheckIn") != 0))
    {
      hc_http_send_error_code (msg, HC_ERROR_NOT_FOUND, "No such resource");
      return;
    }
  if ((n_parts == 1 && strcmp (method, "GET") != 0) ||
      (n_parts == 2 && strcmp (method, "POST") != 0))
    {
      hc_http_send_error_code (msg, HC_ERROR_METHOD_NOT_ALLOWED,
                               n_parts == 1 ? "Use GET" : "Use POST");
      return;
    }
  appointment = lookup_visit (self, msg, parts[0]);
  if (appointment == NULL)
    return;
  if (n_parts == 1)
    get_visit (self, msg, appointment);
  else
    check_in (self, msg, appointment);
}

/* The provider's side */

/* Reports kept parsed: a generation holds at most this many. */
#define PREFLIGHT_CACHE_SIZE 4096

/* A patient's preflight report, for a queue view. The same report is in every view of
 * their provider's queue while they wait (each patient's wait rebuilds the view): it is
 * parsed once, sealed, and shared (json_node_copy() of a sealed object only takes a
 * reference). When the new generation is full it becomes the old one; a report found
 * in the old one moves back to the new one, so those in use stay parsed. */
static JsonNode *
preflight_node (HcServer   *self,
                const char *text)
{
  gpointer key = NULL;
  gpointer node = NULL;

  if (text == NULL)
    return NULL;
  node = g_hash_table_lookup (self->preflight_nodes, text);
  if (node != NULL)
    return json_node_copy (node);
  if (!g_hash_table_steal_extended (self->preflight_nodes_old, text, &key, &node))
    {
      node = json_from_string (text, NULL);
      if (node == NULL)
        return NULL;
      json_node_seal (node);
      key = g_strdup (text);
    }
  if (g_hash_table_size (self->preflight_nodes) >= PREFLIGHT_CACHE_SIZE)
    {
      g_hash_table_unref (self->preflight_nodes_old);
      self->preflight_nodes_old = g_steal_pointer (&self->preflight_nodes);
      self->preflight_nodes = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                                     (GDestroyNotify) json_node_unref);
    }
  g_hash_table_insert (self->preflight_nodes, key, node);
  return json_node_copy (node);
}

void
hc_server_build_queue (HcServer    *self,
                       JsonBuilder *builder,
                       const char  *provider)
{
  g_autoptr(GPtrArray) queue = NULL;
  gint64 now = hc_server_now ();

  /* While every session is being told of a change, the list is already at hand. */
  if (self->queue_snapshot != NULL)
    queue = g_ptr_array_ref (self->queue_snapshot->entries);
  else
    queue = hc_store_list_waiting (self->store, provider, NULL);

  json_builder_begin_array (builder);
  for (guint i = 0; queue != NULL && i < queue->len; i++)
    {
      HcWaitingEntry *entry = g_ptr_array_index (queue, i);

      /* The same filter as hc_store_list_waiting()'s: entries without a provider
       * are everyone's. */
      if (provider != NULL && entry->provider != NULL && strcmp (entry->provider, provider) != 0)
        continue;
      g_autofree char *start = hc_http_format_time (entry->start_time);
      g_autofree char *checked_in = hc_http_format_time (entry->checked_in_at);
      g_autoptr(JsonNode) preflight = preflight_node (self, entry->preflight);

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "id");
      json_builder_add_int_value (builder, entry->id);
      json_builder_set_member_name (builder, "name");
      json_builder_add_string_value (builder, entry->display_name);
      json_builder_set_member_name (builder, "identity");
      json_builder_add_string_value (builder, entry->identity);
      json_builder_set_member_name (builder, "appointment_sid");
      json_builder_add_string_value (builder, entry->appointment_sid);
      json_builder_set_member_name (builder, "start_time");
      json_builder_add_string_value (builder, start);
      json_builder_set_member_name (builder, "checked_in_at");
      json_builder_add_string_value (builder, checked_in);
      json_builder_set_member_name (builder, "waited_seconds");
      json_builder_add_int_value (builder, MAX (0, now - entry->checked_in_at));
      json_builder_set_member_name (builder, "status");
      json_builder_add_string_value (builder, entry->status);
      json_builder_set_member_name (builder, "verdict");
      json_builder_add_int_value (builder, entry->verdict);
      json_builder_set_member_name (builder, "preflight");
      if (preflight != NULL)
        json_builder_add_value (builder, g_steal_pointer (&preflight));
      else
        json_builder_add_null_value (builder);
      json_builder_set_member_name (builder, "intake_done");
      json_builder_add_boolean_value (builder, entry->intake != NULL);
      json_builder_set_member_name (builder, "devices_ok");
      json_builder_add_boolean_value (builder, entry->devices_ok);
      json_builder_set_member_name (builder, "connected");
      json_builder_add_boolean_value (builder, hc_server_patient_connected (self, entry->identity));
      json_builder_set_member_name (builder, "room_sid");
      if (entry->room_sid != NULL)
        json_builder_add_string_value (builder, entry->room_sid);
      else
        json_builder_add_null_value (builder);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
}

static HcWaitingEntry *
entry_for_provider (HcServer          *self,
                    SoupServerMessage *msg,
                    HcPrincipal       *principal,
                    const char        *id_text)
{
  g_autoptr(HcWaitingEntry) entry = NULL;
  guint64 id = 0;

  if (!g_ascii_string_to_unsigned (id_text, 10, 1, G_MAXINT64, &id, NULL) ||
      (entry = hc_store_find_waiting_entry (self->store, (gint64) id, NULL)) == NULL ||
      (principal->kind == HC_PRINCIPAL_TOKEN && entry->provider != NULL &&
       g_strcmp0 (entry->provider, principal->claims->identity) != 0))
    {
      hc_http_send_error_code (msg, HC_ERROR_NOT_FOUND, "No such patient in your waiting room");
      return NULL;
    }
  return g_steal_pointer (&entry);
}

static void
send_to_patient (HcServer   *self,
                 const char *identity,
                 const char *type,
                 const char *member,
                 const char *value)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) node = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "type");
  json_builder_add_string_value (builder, type);
  if (member != NULL)
    {
      json_builder_set_member_name (builder, member);
      if (value != NULL)
        json_builder_add_string_value (builder, value);
      else
        json_builder_add_null_value (builder);
    }
  json_builder_end_object (builder);
  node = json_builder_get_root (builder);
  hc_server_send_to_identity (self, identity, node);
}

static void
admit (HcServer          *self,
       SoupServerMessage *msg,
       HcPrincipal       *principal,
       HcWaitingEntry    *entry)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(HcRoomRecord) room = NULL;
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) node = NULL;
  g_autofree char *room_name = g_strconcat ("visit-", entry->appointment_sid, NULL);
  const char *provider = principal->kind == HC_PRINCIPAL_TOKEN ? principal->claims->identity
                                                               : entry->provider;

  if (g_strcmp0 (entry->status, "waiting") != 0 && g_strcmp0 (entry->status, "admitted") != 0)
    {
      hc_http_send_error_code (msg, HC_ERROR_NOT_WAITING, "That patient is no longer waiting");
      return;
    }
  /* The room, its audit row, the admission and its audit row are written in one
   * transaction: one sync to disk instead of four before the patient hears of it,
   * and still on disk before they do. */
  if (!hc_store_begin (self->store, &error))
    {
      hc_http_send_error (msg, error);
      return;
    }
  room = hc_store_find_room (self->store, room_name, NULL);
  if (room == NULL || g_strcmp0 (room->status, "in-progress") != 0)
    {
      g_clear_pointer (&room, hc_room_record_free);
      room = hc_server_create_room (self, room_name, "VP8", 0, NULL, provider, FALSE, &error);
      if (room == NULL)
        {
          hc_store_rollback (self->store);
          hc_http_send_error (msg, error);
          return;
        }
    }
  if (!hc_store_set_waiting_status (self->store, entry->id, "admitted", room->sid, NULL,
                                    hc_server_now (), &error))
    {
      hc_store_rollback (self->store);
      hc_http_send_error (msg, error);
      return;
    }
  hc_store_audit (self->store, "visit.admitted", provider, entry->appointment_sid,
                  hc_server_remote_address (msg));
  if (!hc_store_commit (self->store, &error))
    {
      hc_store_rollback (self->store);
      hc_http_send_error (msg, error);
      return;
    }
  send_to_patient (self, entry->identity, "admitted", "room", room->sid);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "room");
  json_builder_add_string_value (builder, room->sid);
  json_builder_set_member_name (builder, "unique_name");
  json_builder_add_string_value (builder, room->unique_name);
  json_builder_end_object (builder);
  node = json_builder_get_root (builder);
  hc_http_send_json (msg, SOUP_STATUS_OK, node);
  hc_server_queue_changed_for (self, entry->provider);
}

/* Reads a message for the patient; FALSE (and an error sent) when it is
 * missing though required, empty or too long. */
static gboolean
text_param (SoupServerMessage  *msg,
            HcParams           *params,
            const char         *name,
            gboolean            required,
            const char        **text)
{
  *text = hc_params_get (params, name);
  if (*text == NULL && !required)
    return TRUE;
  if (*text == NULL || **text == '\0' || g_utf8_strlen (*text, -1) > MAX_MESSAGE)
    {
      hc_http_send_error_code (msg, HC_ERROR_INVALID_PARAMETER,
                               "The message is 1 to 500 characters");
      return FALSE;
    }
  return TRUE;
}

void
hc_rest_waiting_room_handle (HcServer          *self,
                             SoupServerMessage *msg,
                             const char        *method,
                             char             **parts,
                             guint              n_parts)
{
  static const char *const message_params[] = { "text", NULL };
  static const char *const remove_params[] = { "message", NULL };
  g_autoptr(GError) error = NULL;
  g_auto(HcPrincipal) principal = { 0 };
  g_autoptr(HcWaitingEntry) entry = NULL;
  g_autoptr(HcParams) params = NULL;
  const char *text;

  if (!hc_server_authenticate (self, msg, &principal, &error))
    {
      hc_http_send_error (msg, error);
      return;
    }
  if (principal.kind == HC_PRINCIPAL_TOKEN && principal.claims->role != HC_ROLE_PROVIDER)
    {
      hc_http_send_error_code (msg, HC_ERROR_FORBIDDEN, "Only providers see the waiting room");
      return;
    }

  if (n_parts == 0)
    {
      g_autoptr(JsonBuilder) builder = json_builder_new ();
      g_autoptr(JsonNode) node = NULL;

      if (strcmp (method, "GET") != 0)
        {
          hc_http_send_error_code (msg, HC_ERROR_METHOD_NOT_ALLOWED, "Use GET");
          return;
        }
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "entries");
      hc_server_build_queue (self, builder,
                             principal.kind == HC_PRINCIPAL_TOKEN ? principal.claims->identity
                                                                  : NULL);
      json_builder_end_object (builder);
      node = json_builder_get_root (builder);
      hc_http_send_json (msg, SOUP_STATUS_OK, node);
      return;
    }
  if (n_parts != 2 || (strcmp (parts[1], "Admit") != 0 && strcmp (parts[1], "Message") != 0 &&
                       strcmp (parts[1], "Remove") != 0))
    {
      hc_http_send_error_code (msg, HC_ERROR_NOT_FOUND, "No such resource");
      return;
    }
  if (strcmp (method, "POST") != 0)
    {
      hc_http_send_error_code (msg, HC_ERROR_METHOD_NOT_ALLOWED, "Use POST");
      return;
    }
  entry = entry_for_provider (self, msg, &principal, parts[0]);
  if (entry == NULL)
    return;
  params = hc_params_parse (msg, &error);
  if (params == NULL)
    {
      hc_http_send_error (msg, error);
      return;
    }

  if (strcmp (parts[1], "Admit") == 0)
    {
      static const char *const no_params[] = { NULL };

      if (!hc_params_check_known (params, no_params, &error))
        hc_http_send_error (msg, error);
      else
        admit (self, msg, &principal, entry);
      return;
    }
  if (g_strcmp0 (entry->status, "waiting") != 0 && g_strcmp0 (entry->status, "admitted") != 0)
    {
      hc_http_send_error_code (msg, HC_ERROR_NOT_WAITING, "That patient is no longer waiting");
      return;
    }
  if (strcmp (parts[1], "Message") == 0)
    {
      if (!hc_params_check_known (params, message_params, &error))
        {
          hc_http_send_error (msg, error);
          return;
        }
      if (!text_param (msg, params, "text", TRUE, &text))
        return;
      /* Kept, so that a page that reconnects or reloads shows it too. */
      if (!hc_store_set_waiting_status (self->store, entry->id, entry->status, NULL, text,
                                        hc_server_now (), &error))
        {
          hc_http_send_error (msg, error);
          return;
        }
      send_to_patient (self, entry->identity, "provider-message", "text", text);
      soup_server_message_set_status (msg, SOUP_STATUS_NO_CONTENT, NULL);
      return;
    }

  if (!hc_params_check_known (params, remove_params, &error))
    {
      hc_http_send_error (msg, error);
      return;
    }
  if (!text_param (msg, params, "message", FALSE, &text))
    return;
  if (!hc_store_set_waiting_status (self->store, entry->id, "removed", NULL, text,
                                    hc_server_now (), &error))
    {
      hc_http_send_error (msg, error);
      return;
    }
  hc_store_audit (self->store, "visit.removed",
                  principal.kind == HC_PRINCIPAL_TOKEN ? principal.claims->identity : NULL,
                  entry->appointment_sid, hc_server_remote_address (msg));
  send_to_patient (self, entry->identity, "removed", "message", text);
  /* An admitted patient is taken out of the visit too, whatever their
   * page does with the message. */
  hc_server_remove_patient (self, entry->identity);
  soup_server_message_set_status (msg, SOUP_STATUS_NO_CONTENT, NULL);
  hc_server_queue_changed_for (self, entry->provider);
}
