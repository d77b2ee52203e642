/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "HcProtocol"

#include "config.h"

#include "hc-error.h"
#include "hc-protocol.h"

#include <string.h>

void
hc_protocol_message_free (HcProtocolMessage *message)
{
  if (message == NULL)
    return;
  g_clear_pointer (&message->root, json_node_unref);
  g_free (message);
}

const char *
hc_protocol_get_string (JsonObject *object,
                        const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

gboolean
hc_protocol_get_bool (JsonObject *object,
                      const char *name,
                      gboolean    fallback,
                      gboolean   *ok)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL)
    return fallback;
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_BOOLEAN)
    {
      *ok = FALSE;
      return fallback;
    }
  return json_node_get_boolean (node);
}

HcProtocolMessage *
hc_protocol_message_parse (const char  *data,
                           gsize        len,
                           char       **error_id,
                           GError     **error)
{
  g_autoptr(JsonParser) parser = NULL;
  g_autoptr(HcProtocolMessage) message = NULL;
  JsonNode *id_node;

  if (error_id != NULL)
    *error_id = NULL;
  if (len > HC_PROTOCOL_MAX_MESSAGE)
    {
      g_set_error (error, HC_ERROR, HC_ERROR_MESSAGE_TOO_LARGE,
                   "A message may be at most 64 KiB");
      return NULL;
    }
  parser = json_parser_new ();
  if (data == NULL || !g_utf8_validate (data, (gssize) len, NULL) ||
      memchr (data, '\0', len) != NULL ||
      !json_parser_load_from_data (parser, data, (gssize) len, NULL) ||
      json_parser_get_root (parser) == NULL ||
      !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    {
      g_set_error (error, HC_ERROR, HC_ERROR_MESSAGE_MALFORMED,
                   "A message must be one JSON object in a text frame");
      return NULL;
    }

  message = g_new0 (HcProtocolMessage, 1);
  message->root = json_parser_steal_root (parser);
  message->object = json_node_get_object (message->root);

  id_node = json_object_get_member (message->object, "id");
  if (id_node != NULL)
    {
      if (!JSON_NODE_HOLDS_VALUE (id_node) || json_node_get_value_type (id_node) != G_TYPE_STRING ||
          strlen (json_node_get_string (id_node)) > HC_PROTOCOL_MAX_ID ||
          !g_utf8_validate (json_node_get_string (id_node), -1, NULL))
        {
          g_set_error (error, HC_ERROR, HC_ERROR_MESSAGE_MALFORMED,
                       "id must be a string of at most 64 bytes");
          return NULL;
        }
      message->id = json_node_get_string (id_node);
    }
  message->type = hc_protocol_get_string (message->object, "type");
  if (message->type == NULL)
    {
      if (error_id != NULL)
        *error_id = g_strdup (message->id);
      g_set_error (error, HC_ERROR, HC_ERROR_MESSAGE_MALFORMED, "A message needs a type string");
      return NULL;
    }
  return g_steal_pointer (&message);
}
