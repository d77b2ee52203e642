/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "HcSdp"

#include "config.h"

#include "hc-sdp.h"

#include <string.h>

/* Finds "\n<prefix>" or a leading "<prefix>": SDP attributes start lines. */
static const char *
find_line (const char *sdp,
           const char *prefix,
           const char *end)
{
  gsize len = strlen (prefix);

  if (strncmp (sdp, prefix, len) == 0)
    return sdp;
  for (const char *p = strchr (sdp, '\n'); p != NULL && (end == NULL || p < end);
       p = strchr (p + 1, '\n'))
    if (strncmp (p + 1, prefix, len) == 0 && (end == NULL || p + 1 < end))
      return p + 1;
  return NULL;
}

gboolean
hc_sdp_is_plausible (const char *sdp)
{
  return sdp != NULL && strlen (sdp) <= HC_SDP_MAX_LENGTH && g_str_has_prefix (sdp, "v=0") &&
         find_line (sdp, "m=", NULL) != NULL && g_utf8_validate (sdp, -1, NULL);
}

gboolean
hc_sdp_has_media (const char *sdp,
                  const char *kind)
{
  g_autofree char *marker = g_strconcat ("m=", kind, " ", NULL);

  return sdp != NULL && find_line (sdp, marker, NULL) != NULL;
}

char *
hc_sdp_find_mid (const char *sdp,
                 const char *kind)
{
  g_autofree char *marker = g_strconcat ("m=", kind, " ", NULL);
  const char *section;
  const char *next;
  const char *mid;

  if (sdp == NULL || (section = find_line (sdp, marker, NULL)) == NULL)
    return NULL;
  next = find_line (section + 2, "m=", NULL);
  mid = find_line (section, "a=mid:", next);
  if (mid == NULL)
    return NULL;
  mid += strlen ("a=mid:");
  return g_strndup (mid, strcspn (mid, "\r\n"));
}

gboolean
hc_sdp_has_simulcast (const char *sdp)
{
  return sdp != NULL && (find_line (sdp, "a=simulcast:", NULL) != NULL ||
                         find_line (sdp, "a=ssrc-group:SIM ", NULL) != NULL);
}

gboolean
hc_sdp_simulcast_low_first (const char *sdp)
{
  const char *line = sdp ? find_line (sdp, "a=simulcast:send ", NULL) : NULL;
  g_autofree char *first = NULL;

  if (line == NULL)
    return FALSE;
  line += strlen ("a=simulcast:send ");
  /* The first stream of the list; "~" marks a paused one, "," separates
   * alternatives of the same stream. */
  if (*line == '~')
    line++;
  first = g_strndup (line, strcspn (line, ";, \r\n"));
  /* The names the protocol gives the lowest layer, and the "q" (quarter)
   * of the f/h/q convention. */
  return g_strcmp0 (first, "l") == 0 || g_strcmp0 (first, "q") == 0 ||
         g_strcmp0 (first, "low") == 0;
}
