/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "HcSid"

#include "config.h"

#include "hc-sid.h"

#include <errno.h>
#include <string.h>
#include <sys/random.h>

gboolean
hc_random_bytes (guint8 *buffer,
                 gsize   n_bytes)
{
  gsize done = 0;

  while (done < n_bytes)
    {
      ssize_t n = getrandom (buffer + done, n_bytes - done, 0);

      if (n < 0)
        {
          if (errno == EINTR)
            continue;
          return FALSE;
        }
      done += (gsize) n;
    }
  return TRUE;
}

char *
hc_random_hex (gsize n_bytes)
{
  g_autofree guint8 *bytes = g_malloc (n_bytes);
  GString *hex = g_string_sized_new (n_bytes * 2 + 1);

  /* getrandom() only fails on kernels older than 3.17; there is no safe
   * fallback for identifiers that must be unguessable. */
  if (!hc_random_bytes (bytes, n_bytes))
    g_error ("The kernel's random number generator is unavailable");

  for (gsize i = 0; i < n_bytes; i++)
    g_string_append_printf (hex, "%02x", bytes[i]);
  return g_string_free (hex, FALSE);
}

char *
hc_sid_new (const char *prefix)
{
  g_autofree char *hex = hc_random_hex (16);

  g_return_val_if_fail (prefix != NULL && strlen (prefix) == 2, NULL);
  return g_strconcat (prefix, hex, NULL);
}

gboolean
hc_sid_is_valid (const char *sid,
                 const char *prefix)
{
  if (sid == NULL || strlen (sid) != 34)
    return FALSE;
  if (prefix != NULL && strncmp (sid, prefix, 2) != 0)
    return FALSE;
  if (!g_ascii_isupper (sid[0]) || !g_ascii_isupper (sid[1]))
    return FALSE;
  for (int i = 2; i < 34; i++)
    if (!g_ascii_isxdigit (sid[i]) || g_ascii_isupper (sid[i]))
      return FALSE;
  return TRUE;
}

gboolean
hc_name_is_valid (const char *name,
                  gsize       max_len)
{
  const char *end = NULL;
  gsize len;

  if (name == NULL)
    return FALSE;
  len = strlen (name);
  if (len == 0 || len > max_len)
    return FALSE;
  if (!g_utf8_validate (name, (gssize) len, &end))
    return FALSE;
  for (const char *p = name; *p; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (g_unichar_iscntrl (c) || c == 0x2028 || c == 0x2029)
        return FALSE;
    }
  return TRUE;
}
