/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* The envelope of the housecall.v1 signaling protocol (docs/protocol.md):
 * one JSON object per text frame, at most 64 KiB, with a string "type" and
 * an optional string "id" of at most 64 bytes. */
#define HC_PROTOCOL_MAX_MESSAGE (64 * 1024)
#define HC_PROTOCOL_MAX_ID      64
#define HC_PROTOCOL_NAME        "housecall.v1"

typedef struct
{
  JsonNode   *root;
  JsonObject *object;
  const char *type;
  const char *id;            /* NULL when the message has none */
} HcProtocolMessage;

/* Parses and checks the envelope. On failure @error is an HC_ERROR
 * (message-malformed or message-too-large) and, when the message had a
 * readable id, @error_id is set to a copy of it so the error can be matched
 * to the request. */
HcProtocolMessage *hc_protocol_message_parse (const char   *data,
                                              gsize         len,
                                              char        **error_id,
                                              GError      **error);
void               hc_protocol_message_free  (HcProtocolMessage *message);

/* Typed accessors: NULL / the fallback when absent; FALSE in @ok when the
 * member has the wrong type. */
const char        *hc_protocol_get_string    (JsonObject  *object,
                                              const char  *name);
gboolean           hc_protocol_get_bool      (JsonObject  *object,
                                              const char  *name,
                                              gboolean     fallback,
                                              gboolean    *ok);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HcProtocolMessage, hc_protocol_message_free)

G_END_DECLS
