/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "HcHttp"

#include "config.h"

#include "hc-http.h"

#include <string.h>

#define MAX_PARAMS 64

struct _HcParams
{
  GHashTable *values;          /* name → GPtrArray of values */
};

static HcParams *
params_new (void)
{
  HcParams *params = g_new0 (HcParams, 1);

  params->values = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                          (GDestroyNotify) g_ptr_array_unref);
  return params;
}

void
hc_params_free (HcParams *params)
{
  if (params == NULL)
    return;
  g_hash_table_unref (params->values);
  g_free (params);
}

static gboolean
params_add (HcParams    *params,
            char        *name,
            char        *value,
            GError     **error)
{
  GPtrArray *values = g_hash_table_lookup (params->values, name);

  if (!g_utf8_validate (name, -1, NULL) || !g_utf8_validate (value, -1, NULL) || *name == '\0')
    {
      g_free (name);
      g_free (value);
      g_set_error (error, HC_ERROR, HC_ERROR_MALFORMED_BODY,
                   "The request body holds a parameter that is not valid UTF-8");
      return FALSE;
    }
  if (values == NULL)
    {
      if (g_hash_table_size (params->values) >= MAX_PARAMS)
        {
          g_free (name);
          g_free (value);
          g_set_error (error, HC_ERROR, HC_ERROR_MALFORMED_BODY,
                       "The request body holds more than %d parameters", MAX_PARAMS);
          return FALSE;
        }
      values = g_ptr_array_new_with_free_func (g_free);
      g_hash_table_insert (params->values, name, values);
    }
  else
    g_free (name);
  if (values->len >= MAX_PARAMS)
    {
      g_free (value);
      g_set_error (error, HC_ERROR, HC_ERROR_MALFORMED_BODY, "A parameter repeats too often");
      return FALSE;
    }
  g_ptr_array_add (values, value);
  return TRUE;
}

static char *
form_unescape (const char *start,
               gsize       len)
{
  g_autofree char *plus = g_strndup (start, len);

  for (char *p = plus; *p; p++)
    if (*p == '+')
      *p = ' ';
  /* NULL on bad %-escapes, and "%00" is refused too. */
  return g_uri_unescape_string (plus, "");
}

HcParams *
hc_params_parse_form (const char  *data,
                      gsize        len,
                      GError     **error)
{
  g_autoptr(HcParams) params = params_new ();
  const char *end = data + len;
  const char *p = data;

  if (memchr (data, '\0', len) != NULL)
    {
      g_set_error (error, HC_ERROR, HC_ERROR_MALFORMED_BODY, "The request body holds a NUL byte");
      return NULL;
    }
  while (p < end)
    {
      const char *amp = memchr (p, '&', (gsize) (end - p));
      const char *pair_end = amp ? amp : end;
      const char *eq = memchr (p, '=', (gsize) (pair_end - p));
      char *name;
      char *value;

      if (pair_end == p)
        {
          p = pair_end + 1;
          continue;
        }
      name = form_unescape (p, (gsize) ((eq ? eq : pair_end) - p));
      value = eq ? form_unescape (eq + 1, (gsize) (pair_end - eq - 1)) : g_strdup ("");
      if (name == NULL || value == NULL)
        {
          g_free (name);
          g_free (value);
          g_set_error (error, HC_ERROR, HC_ERROR_MALFORMED_BODY,
                       "The form body has a malformed %%-escape");
          return NULL;
        }
      if (!params_add (params, name, value, error))
        return NULL;
      p = pair_end + 1;
    }
  return g_steal_pointer (&params);
}

static char *
scalar_to_string (JsonNode *node)
{
  if (!JSON_NODE_HOLDS_VALUE (node))
    return NULL;
  switch (json_node_get_value_type (node))
    {
    case G_TYPE_STRING:
      return g_strdup (json_node_get_string (node));
    case G_TYPE_INT64:
      return g_strdup_printf ("%" G_GINT64_FORMAT, json_node_get_int (node));
    case G_TYPE_BOOLEAN:
      return g_strdup (json_node_get_boolean (node) ? "true" : "false");
    default:
      return NULL;
    }
}

HcParams *
hc_params_parse_json (const char  *data,
                      gsize        len,
                      GError     **error)
{
  g_autoptr(HcParams) params = params_new ();
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObjectIter iter;
  const char *name;
  JsonNode *node;
  JsonNode *root;

  if (!g_utf8_validate (data, (gssize) len, NULL) || memchr (data, '\0', len) != NULL ||
      !json_parser_load_from_data (parser, data, (gssize) len, NULL))
    {
      g_set_error (error, HC_ERROR, HC_ERROR_MALFORMED_BODY, "The request body is not valid JSON");
      return NULL;
    }
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error (error, HC_ERROR, HC_ERROR_MALFORMED_BODY,
                   "The request body must be a JSON object");
      return NULL;
    }

  json_object_iter_init (&iter, json_node_get_object (root));
  while (json_object_iter_next (&iter, &name, &node))
    {
      if (JSON_NODE_HOLDS_ARRAY (node))
        {
          JsonArray *array = json_node_get_array (node);

          if (json_array_get_length (array) == 0)
            {
              g_set_error (error, HC_ERROR, HC_ERROR_INVALID_PARAMETER,
                           "“%s” must not be an empty list", name);
              return NULL;
            }
          for (guint i = 0; i < json_array_get_length (array); i++)
            {
              char *value = scalar_to_string (json_array_get_element (array, i));

              if (value == NULL)
                {
                  g_set_error (error, HC_ERROR, HC_ERROR_INVALID_PARAMETER,
                               "“%s” must hold strings, numbers or booleans", name);
                  return NULL;
                }
              if (!params_add (params, g_strdup (name), value, error))
                return NULL;
            }
        }
      else
        {
          char *value = scalar_to_string (node);

          if (value == NULL)
            {
              g_set_error (error, HC_ERROR, HC_ERROR_INVALID_PARAMETER,
                           "“%s” must be a string, a whole number or a boolean", name);
              return NULL;
            }
          if (!params_add (params, g_strdup (name), value, error))
            return NULL;
        }
    }
  return g_steal_pointer (&params);
}

HcParams *
hc_params_parse (SoupServerMessage  *msg,
                 GError            **error)
{
  SoupMessageBody *body = soup_server_message_get_request_body (msg);
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  g_autoptr(GBytes) bytes = NULL;
  const char *content_type;
  const char *data;
  gsize len = 0;

  if (body->length > HC_HTTP_MAX_BODY)
    {
      g_set_error (error, HC_ERROR, HC_ERROR_BODY_TOO_LARGE,
                   "The request body is larger than 1 MiB");
      return NULL;
    }
  bytes = soup_message_body_flatten (body);
  data = g_bytes_get_data (bytes, &len);
  if (len == 0)
    return params_new ();

  /* Media types are case-insensitive (RFC 9110, 8.3.1); parameters such as
   * charset=utf-8 are dropped by libsoup here. */
  content_type = soup_message_headers_get_content_type (headers, NULL);
  if (content_type != NULL && g_ascii_strcasecmp (content_type, "application/x-www-form-urlencoded") == 0)
    return hc_params_parse_form (data, len, error);
  if (content_type != NULL && g_ascii_strcasecmp (content_type, "application/json") == 0)
    return hc_params_parse_json (data, len, error);

  g_set_error (error, HC_ERROR, HC_ERROR_UNSUPPORTED_MEDIA_TYPE,
               "Send the body as application/x-www-form-urlencoded or application/json");
  return NULL;
}

const char *
hc_params_get (HcParams   *params,
               const char *name)
{
  GPtrArray *values = g_hash_table_lookup (params->values, name);

  return values != NULL && values->len > 0 ? g_ptr_array_index (values, 0) : NULL;
}

GPtrArray *
hc_params_get_all (HcParams   *params,
                   const char *name)
{
  return g_hash_table_lookup (params->values, name);
}

gboolean
hc_params_check_known (HcParams            *params,
                       const char * const  *known,
                       GError             **error)
{
  GHashTableIter iter;
  gpointer key;

  g_hash_table_iter_init (&iter, params->values);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    {
      if (!g_strv_contains (known, key))
        {
          g_set_error (error, HC_ERROR, HC_ERROR_UNKNOWN_PARAMETER,
                       "“%.64s” is not a parameter of this resource", (const char *) key);
          return FALSE;
        }
    }
  return TRUE;
}

void
hc_http_send_json (SoupServerMessage *msg,
                   guint              status,
                   JsonNode          *node)
{
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);
  gsize len = 0;
  char *data;

  json_generator_set_root (generator, node);
  data = json_generator_to_data (generator, &len);
  soup_message_headers_replace (headers, "Cache-Control", "no-store");
  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_TAKE, data, len);
}

JsonNode *
hc_http_error_node (HcErrorCode  code,
                    const char  *message)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autofree char *more_info = g_strconcat ("docs/errors.md#", hc_error_code_slug (code), NULL);

  /* Twilio's error body (code, message, more_info, status) plus our slug. */
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "code");
  json_builder_add_int_value (builder, code);
  json_builder_set_member_name (builder, "error");
  json_builder_add_string_value (builder, hc_error_code_slug (code));
  json_builder_set_member_name (builder, "message");
  json_builder_add_string_value (builder, message);
  json_builder_set_member_name (builder, "more_info");
  json_builder_add_string_value (builder, more_info);
  json_builder_set_member_name (builder, "status");
  json_builder_add_int_value (builder, hc_error_code_http_status (code));
  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}

void
hc_http_send_error_code (SoupServerMessage *msg,
                         HcErrorCode        code,
                         const char        *message)
{
  g_autoptr(JsonNode) node = hc_http_error_node (code, message);

  hc_http_send_json (msg, hc_error_code_http_status (code), node);
}

void
hc_http_send_error (SoupServerMessage *msg,
                    const GError      *error)
{
  HcErrorCode code = hc_error_get_code (error);

  /* Internal details stay in the server's log, never in a response. */
  if (code == HC_ERROR_INTERNAL || code == HC_ERROR_STORE || code == HC_ERROR_CONFIG_INVALID)
    {
      g_warning ("Request failed: %s", error ? error->message : "unknown error");
      hc_http_send_error_code (msg, code, "The server could not complete the request");
      return;
    }
  hc_http_send_error_code (msg, code, error->message);
}

char *
hc_http_format_time (gint64 unix_time)
{
  g_autoptr(GDateTime) time = g_date_time_new_from_unix_utc (unix_time);

  return time ? g_date_time_format (time, "%Y-%m-%dT%H:%M:%SZ") : g_strdup ("");
}

void
hc_http_add_string_or_null (JsonBuilder *builder,
                            const char  *name,
                            const char  *value)
{
  json_builder_set_member_name (builder, name);
  if (value != NULL)
    json_builder_add_string_value (builder, value);
  else
    json_builder_add_null_value (builder);
}

void
hc_http_add_time (JsonBuilder *builder,
                  const char  *name,
                  gint64       unix_time)
{
  g_autofree char *text = unix_time ? hc_http_format_time (unix_time) : NULL;

  hc_http_add_string_or_null (builder, name, text);
}
