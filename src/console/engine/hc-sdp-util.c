/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "HcEngine"

#include "config.h"

#include "hc-sdp-util.h"

#include <gio/gio.h>
#include <string.h>

/* SDP lines end in CRLF; a bare LF is tolerated on input. */
static char **
split_lines (const char *sdp)
{
  g_auto(GStrv) lines = g_strsplit (sdp, "\n", -1);
  GPtrArray *out = g_ptr_array_new ();

  for (guint i = 0; lines[i] != NULL; i++)
    {
      char *line = lines[i];
      gsize len = strlen (line);

      if (len > 0 && line[len - 1] == '\r')
        line[len - 1] = '\0';
      if (*line != '\0')
        g_ptr_array_add (out, g_strdup (line));
    }
  g_ptr_array_add (out, NULL);
  return (char **) g_ptr_array_free (out, FALSE);
}

/* The value after "a=ssrc:<n> <name>:" in @line, or NULL. */
static const char *
ssrc_attribute (const char *line,
                const char *name)
{
  const char *space;
  gsize name_len = strlen (name);

  if (!g_str_has_prefix (line, "a=ssrc:") || (space = strchr (line, ' ')) == NULL)
    return NULL;
  if (strncmp (space + 1, name, name_len) != 0 || space[1 + name_len] != ':')
    return NULL;
  return space + 2 + name_len;
}

char *
hc_sdp_munge_simulcast (const char     *sdp,
                        const guint32  *ssrcs,
                        guint           n_ssrcs,
                        GError        **error)
{
  g_auto(GStrv) lines = NULL;
  g_autoptr(GString) out = NULL;
  g_autofree char *cname = NULL;
  g_autofree char *msid = NULL;
  int video_start = -1;
  int video_end = -1;
  guint n_lines;

  g_return_val_if_fail (sdp != NULL, NULL);
  g_return_val_if_fail (n_ssrcs > 0 && ssrcs != NULL, NULL);

  lines = split_lines (sdp);
  n_lines = g_strv_length (lines);

  /* Find the first video section and what names its stream. */
  for (guint i = 0; i < n_lines; i++)
    {
      const char *line = lines[i];
      const char *value;

      if (g_str_has_prefix (line, "m="))
        {
          if (video_start >= 0 && video_end < 0)
            video_end = (int) i;
          if (video_start < 0 && g_str_has_prefix (line, "m=video "))
            video_start = (int) i;
        }
      if ((value = ssrc_attribute (line, "cname")) != NULL && cname == NULL)
        cname = g_strdup (value);
      if (video_start >= 0 && video_end < 0)
        {
          if ((value = ssrc_attribute (line, "msid")) != NULL && msid == NULL)
            msid = g_strdup (value);
          else if (g_str_has_prefix (line, "a=msid:") && msid == NULL)
            msid = g_strdup (line + strlen ("a=msid:"));
        }
    }
  if (video_start < 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "The offer has no video section");
      return NULL;
    }
  if (video_end < 0)
    video_end = (int) n_lines;
  if (cname == NULL)
    cname = g_uuid_string_random ();

  out = g_string_new (NULL);
  for (int i = 0; i <= (int) n_lines; i++)
    {
      const char *line = i < (int) n_lines ? lines[i] : NULL;

      /* The encodings go at the end of the video section, whatever its last line was. */
      if (i == video_end)
        {
          g_string_append (out, "a=ssrc-group:SIM");
          for (guint k = 0; k < n_ssrcs; k++)
            g_string_append_printf (out, " %u", ssrcs[k]);
          g_string_append (out, "\r\n");
          for (guint k = 0; k < n_ssrcs; k++)
            {
              g_string_append_printf (out, "a=ssrc:%u cname:%s\r\n", ssrcs[k], cname);
              if (msid != NULL)
                g_string_append_printf (out, "a=ssrc:%u msid:%s\r\n", ssrcs[k], msid);
            }
        }
      if (line == NULL)
        break;
      if (i > video_start && i < video_end &&
          (g_str_has_prefix (line, "a=ssrc:") || g_str_has_prefix (line, "a=ssrc-group:")))
        continue;
      g_string_append (out, line);
      g_string_append (out, "\r\n");
    }
  return g_string_free (g_steal_pointer (&out), FALSE);
}

char *
hc_sdp_get_mid (const char *sdp,
                guint       mline)
{
  g_auto(GStrv) lines = NULL;
  int section = -1;

  g_return_val_if_fail (sdp != NULL, NULL);

  lines = split_lines (sdp);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      if (g_str_has_prefix (lines[i], "m="))
        section++;
      else if (section == (int) mline && g_str_has_prefix (lines[i], "a=mid:"))
        return g_strdup (lines[i] + strlen ("a=mid:"));
    }
  return NULL;
}

int
hc_sdp_find_mline (const char *sdp,
                   const char *mid)
{
  g_auto(GStrv) lines = NULL;
  int section = -1;

  g_return_val_if_fail (sdp != NULL, -1);
  g_return_val_if_fail (mid != NULL, -1);

  lines = split_lines (sdp);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      if (g_str_has_prefix (lines[i], "m="))
        section++;
      else if (section >= 0 && g_str_has_prefix (lines[i], "a=mid:") &&
               strcmp (lines[i] + strlen ("a=mid:"), mid) == 0)
        return section;
    }
  return -1;
}
