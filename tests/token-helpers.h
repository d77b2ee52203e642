/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

/* Builds a JWT from raw header and payload JSON, signed with HMAC-SHA256 over
 * @key, so that tests can make tokens no well-behaved library would. */
static inline char *
test_b64url (const char *data,
             gsize       len)
{
  g_autofree char *b64 = g_base64_encode ((const guchar *) data, len);
  GString *out = g_string_new (NULL);

  for (const char *p = b64; *p && *p != '='; p++)
    g_string_append_c (out, *p == '+' ? '-' : *p == '/' ? '_' : *p);
  return g_string_free (out, FALSE);
}

static inline char *
test_make_jwt (const char *header,
               const char *payload,
               const char *key)
{
  g_autofree char *h = test_b64url (header, strlen (header));
  g_autofree char *p = test_b64url (payload, strlen (payload));
  g_autofree char *signing_input = g_strconcat (h, ".", p, NULL);
  g_autoptr(GHmac) hmac = g_hmac_new (G_CHECKSUM_SHA256, (const guchar *) key, strlen (key));
  guint8 digest[32];
  gsize digest_len = sizeof digest;
  g_autofree char *sig = NULL;

  g_hmac_update (hmac, (const guchar *) signing_input, -1);
  g_hmac_get_digest (hmac, digest, &digest_len);
  sig = test_b64url ((const char *) digest, digest_len);
  return g_strconcat (signing_input, ".", sig, NULL);
}
