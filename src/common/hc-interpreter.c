/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "HcInterpreter"

#include "config.h"

#include "hc-dtmf.h"
#include "hc-error.h"
#include "hc-interpreter.h"
#include "hc-phone.h"
#include "hc-sid.h"

#include <json-glib/json-glib.h>
#include <string.h>

void
hc_interpreter_offer_free (HcInterpreterOffer *offer)
{
  if (offer == NULL)
    return;
  g_free (offer->interpreter_name);
  g_free (offer->to);
  g_free (offer->send_digits);
  g_free (offer->label);
  g_free (offer->message);
  g_free (offer);
}

gboolean
hc_interpreter_language_is_valid (const char *tag)
{
  g_auto(GStrv) parts = NULL;
  guint n;

  if (tag == NULL || *tag == '\0' || strlen (tag) > 35)
    return FALSE;
  parts = g_strsplit (tag, "-", 6);
  n = g_strv_length (parts);
  if (n > 5)
    return FALSE;
  for (guint i = 0; i < n; i++)
    {
      gsize len = strlen (parts[i]);

      if (i == 0 ? (len < 2 || len > 3) : (len < 2 || len > 8))
        return FALSE;
      for (const char *p = parts[i]; *p; p++)
        if (i == 0 ? !g_ascii_isalpha (*p) : !g_ascii_isalnum (*p))
          return FALSE;
    }
  return TRUE;
}

static gboolean
bad (GError     **error,
     const char  *message)
{
  g_set_error_literal (error, HC_ERROR, HC_ERROR_INTERPRETER_BAD_RESPONSE, message);
  return FALSE;
}

/* An optional string member: absent or null is NULL; any other type, or
 * text that is not a short, printable name, is an error. */
static gboolean
optional_text (JsonObject  *object,
               const char  *member,
               gsize        max_chars,
               char       **out,
               GError     **error)
{
  JsonNode *node = json_object_get_member (object, member);
  const char *value;

  *out = NULL;
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return TRUE;
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    {
      g_autofree char *message = g_strdup_printf ("“%s” must be a string", member);
      return bad (error, message);
    }
  value = json_node_get_string (node);
  if (!hc_name_is_valid (value, 4 * max_chars) || g_utf8_strlen (value, -1) > (glong) max_chars)
    {
      g_autofree char *message = g_strdup_printf ("“%s” must be 1 to %" G_GSIZE_FORMAT
                                                  " characters without control characters",
                                                  member, max_chars);
      return bad (error, message);
    }
  *out = g_strdup (value);
  return TRUE;
}

HcInterpreterOffer *
hc_interpreter_offer_parse (const char  *json,
                            gsize        len,
                            GError     **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(HcInterpreterOffer) offer = g_new0 (HcInterpreterOffer, 1);
  g_autoptr(GError) local_error = NULL;
  JsonNode *root;
  JsonObject *object;
  const char *action;

  if (json == NULL || len == 0 || len > HC_INTERPRETER_MAX_RESPONSE ||
      memchr (json, '\0', len) != NULL)
    {
      bad (error, "The interpreter service's answer is empty or too large");
      return NULL;
    }
  if (!json_parser_load_from_data (parser, json, (gssize) len, &local_error) ||
      (root = json_parser_get_root (parser)) == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      bad (error, "The interpreter service's answer is not a JSON object");
      return NULL;
    }
  object = json_node_get_object (root);
  action = json_object_get_string_member_with_default (object, "action", NULL);
  if (g_strcmp0 (action, "join") == 0)
    {
      JsonNode *eta = json_object_get_member (object, "eta_seconds");

      offer->action = HC_INTERPRETER_JOIN;
      if (!optional_text (object, "interpreter_name", 128, &offer->interpreter_name, error))
        return NULL;
      if (eta != NULL && !JSON_NODE_HOLDS_NULL (eta))
        {
          if (!JSON_NODE_HOLDS_VALUE (eta) || json_node_get_value_type (eta) != G_TYPE_INT64 ||
              json_node_get_int (eta) < 0 || json_node_get_int (eta) > 24 * 3600)
            {
              bad (error, "“eta_seconds” must be a whole number of seconds up to a day");
              return NULL;
            }
          offer->eta_seconds = (guint) json_node_get_int (eta);
        }
    }
  else if (g_strcmp0 (action, "dial") == 0)
    {
      g_autofree char *to = NULL;
      g_autoptr(GArray) digits = NULL;
      g_autoptr(GError) phone_error = NULL;

      offer->action = HC_INTERPRETER_DIAL;
      if (!optional_text (object, "to", 64, &to, error) ||
          !optional_text (object, "send_digits", HC_DTMF_MAX_DIGITS, &offer->send_digits, error) ||
          !optional_text (object, "label", 64, &offer->label, error))
        return NULL;
      if (to == NULL)
        {
          bad (error, "A “dial” answer needs “to”, the number to call");
          return NULL;
        }
      if ((offer->to = hc_phone_normalize (to, &phone_error)) == NULL)
        {
          bad (error, "The interpreter service's “to” is not a valid phone number");
          return NULL;
        }
      if (offer->send_digits != NULL &&
          (digits = hc_dtmf_parse (offer->send_digits, NULL)) == NULL)
        {
          bad (error, "The interpreter service's “send_digits” has characters other than "
                      "0-9, *, #, A-D and w");
          return NULL;
        }
    }
  else if (g_strcmp0 (action, "unavailable") == 0)
    {
      offer->action = HC_INTERPRETER_UNAVAILABLE;
      if (!optional_text (object, "message", 200, &offer->message, error))
        return NULL;
    }
  else
    {
      bad (error, "The interpreter service's “action” must be join, dial or unavailable");
      return NULL;
    }
  return g_steal_pointer (&offer);
}
