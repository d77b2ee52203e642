/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "HcPhoneSdp"

#include "config.h"

#include "hc-error.h"
#include "hc-phone-sdp.h"

#include <string.h>

#define MAX_LINE 1024
#define MAX_FORMATS 32

void
hc_phone_sdp_free (HcPhoneSdp *sdp)
{
  if (sdp == NULL)
    return;
  g_free (sdp->address);
  g_free (sdp);
}

static gboolean
unusable (GError     **error,
          const char  *message)
{
  g_set_error_literal (error, HC_ERROR, HC_ERROR_PHONE_MEDIA_UNUSABLE, message);
  return FALSE;
}

/* "IN IP4 192.0.2.1" → a checked address, or NULL. */
static char *
parse_connection (const char *value)
{
  g_auto(GStrv) fields = g_strsplit (value, " ", 4);
  g_autoptr(GInetAddress) address = NULL;
  char *slash;

  if (g_strv_length (fields) != 3 || strcmp (fields[0], "IN") != 0 ||
      (strcmp (fields[1], "IP4") != 0 && strcmp (fields[1], "IP6") != 0))
    return NULL;
  /* Multicast TTL/count suffixes are not for a phone call. */
  slash = strchr (fields[2], '/');
  if (slash != NULL)
    return NULL;
  address = g_inet_address_new_from_string (fields[2]);
  if (address == NULL || g_inet_address_get_is_any (address) ||
      g_inet_address_get_is_multicast (address) ||
      (g_inet_address_get_family (address) == G_SOCKET_FAMILY_IPV4) !=
        (strcmp (fields[1], "IP4") == 0))
    return NULL;
  return g_inet_address_to_string (address);
}

typedef struct
{
  gboolean in_audio;
  gboolean audio_done;       /* only the first audio m-line counts */
  char    *session_address;
  char    *media_address;
  guint16  port;
  guint    formats[MAX_FORMATS];
  guint    n_formats;
  gint     pcma_pt;          /* from rtpmap, for dynamic numbering */
  gint     pcmu_pt;
  gint     event_pt;
  gboolean remapped[128];    /* an rtpmap gave this number another codec */
  gboolean session_sendonly, session_recvonly, session_inactive;
  gboolean media_sendonly, media_recvonly, media_inactive, media_direction;
} ParseState;

static gboolean
parse_media_line (ParseState  *st,
                  const char  *value,
                  GError     **error)
{
  g_auto(GStrv) fields = g_strsplit (value, " ", MAX_FORMATS + 4);
  guint n = g_strv_length (fields);
  guint64 port = 0;

  if (st->in_audio)
    st->audio_done = TRUE;
  st->in_audio = FALSE;
  if (st->audio_done || n < 1 || strcmp (fields[0], "audio") != 0)
    return TRUE;
  if (n < 4)
    return unusable (error, "The phone line's audio m-line is incomplete");
  if (!g_ascii_string_to_unsigned (fields[1], 10, 0, 65535, &port, NULL))
    return unusable (error, "The phone line's audio port is not a number");
  if (port == 0)
    return unusable (error, "The phone line rejected the audio stream");
  if (strcmp (fields[2], "RTP/AVP") != 0)
    return unusable (error, "The phone line answered with a transport other than RTP/AVP");
  st->port = (guint16) port;
  for (guint i = 3; i < n && st->n_formats < MAX_FORMATS; i++)
    {
      guint64 pt = 0;

      if (!g_ascii_string_to_unsigned (fields[i], 10, 0, 127, &pt, NULL))
        return unusable (error, "The phone line's audio formats are not payload types");
      st->formats[st->n_formats++] = (guint) pt;
    }
  st->in_audio = TRUE;
  return TRUE;
}

static void
parse_rtpmap (ParseState *st,
              const char *value)
{
  guint64 pt = 0;
  const char *space = strchr (value, ' ');
  g_autofree char *number = NULL;

  if (space == NULL)
    return;
  number = g_strndup (value, (gsize) (space - value));
  if (!g_ascii_string_to_unsigned (number, 10, 0, 127, &pt, NULL))
    return;
  space++;
  if (g_ascii_strcasecmp (space, "PCMA/8000") == 0 || g_ascii_strcasecmp (space, "PCMA/8000/1") == 0)
    st->pcma_pt = (gint) pt;
  else if (g_ascii_strcasecmp (space, "PCMU/8000") == 0 ||
           g_ascii_strcasecmp (space, "PCMU/8000/1") == 0)
    st->pcmu_pt = (gint) pt;
  else if (g_ascii_strcasecmp (space, "telephone-event/8000") == 0)
    st->event_pt = (gint) pt;
  else
    st->remapped[pt] = TRUE;
}

static void
parse_direction (ParseState *st,
                 const char *value)
{
  gboolean *sendonly = st->in_audio ? &st->media_sendonly : &st->session_sendonly;
  gboolean *recvonly = st->in_audio ? &st->media_recvonly : &st->session_recvonly;
  gboolean *inactive = st->in_audio ? &st->media_inactive : &st->session_inactive;

  if (strcmp (value, "sendonly") == 0)
    *sendonly = TRUE;
  else if (strcmp (value, "recvonly") == 0)
    *recvonly = TRUE;
  else if (strcmp (value, "inactive") == 0)
    *inactive = TRUE;
  else if (strcmp (value, "sendrecv") != 0)
    return;
  if (st->in_audio)
    st->media_direction = TRUE;
}

HcPhoneSdp *
hc_phone_sdp_parse (const char  *text,
                    gsize        len,
                    GError     **error)
{
  ParseState st = { .pcma_pt = -1, .pcmu_pt = -1, .event_pt = -1 };
  g_autoptr(HcPhoneSdp) sdp = NULL;
  g_autofree char *copy = NULL;
  g_auto(GStrv) lines = NULL;
  gboolean ok = TRUE;
  gboolean sendonly, recvonly, inactive;
  gint chosen = -1;

  if (text == NULL || len == 0)
    {
      unusable (error, "The phone line answered without SDP");
      return NULL;
    }
  if (len > HC_PHONE_SDP_MAX_LENGTH || memchr (text, '\0', len) != NULL ||
      !g_utf8_validate (text, (gssize) len, NULL))
    {
      unusable (error, "The phone line's SDP is not text of a sensible size");
      return NULL;
    }
  copy = g_strndup (text, len);
  if (!g_str_has_prefix (copy, "v=0"))
    {
      unusable (error, "The phone line's answer is not SDP");
      return NULL;
    }
  lines = g_strsplit (copy, "\n", -1);
  for (guint i = 0; ok && lines[i] != NULL; i++)
    {
      char *line = lines[i];
      gsize line_len = strlen (line);

      if (line_len > 0 && line[line_len - 1] == '\r')
        line[--line_len] = '\0';
      if (line_len == 0)
        continue;
      if (line_len > MAX_LINE || line_len < 2 || line[1] != '=')
        {
          ok = unusable (error, "The phone line's SDP has a malformed line");
          break;
        }
      switch (line[0])
        {
        case 'm':
          ok = parse_media_line (&st, line + 2, error);
          break;
        case 'c':
          if (st.audio_done)
            break;
          {
            char *address = parse_connection (line + 2);

            if (address == NULL)
              {
                ok = unusable (error, "The phone line's connection address is not usable");
                break;
              }
            if (st.in_audio)
              {
                g_free (st.media_address);
                st.media_address = address;
              }
            else if (st.port == 0)
              {
                g_free (st.session_address);
                st.session_address = address;
              }
            else
              g_free (address);
          }
          break;
        case 'a':
          if (st.audio_done)
            break;
          if (st.in_audio && g_str_has_prefix (line + 2, "rtpmap:"))
            parse_rtpmap (&st, line + 2 + strlen ("rtpmap:"));
          else if (st.in_audio || st.port == 0)
            parse_direction (&st, line + 2);
          break;
        default:
          break;
        }
    }

  if (ok && st.port == 0)
    ok = unusable (error, "The phone line's answer has no audio stream");
  if (ok)
    {
      /* The answerer lists formats in its order of preference; take the
       * first G.711 one. */
      for (guint i = 0; i < st.n_formats && chosen < 0; i++)
        {
          guint pt = st.formats[i];

          /* A static number that an rtpmap gives another codec is not G.711;
           * neither is one mapped the other way round (8 as PCMU). */
          if (pt == HC_RTP_PT_PCMA && !st.remapped[pt] && st.pcmu_pt != (gint) pt &&
              st.event_pt != (gint) pt)
            chosen = (gint) pt;
          else if (pt == HC_RTP_PT_PCMU && !st.remapped[pt] && st.pcma_pt != (gint) pt &&
                   st.event_pt != (gint) pt)
            chosen = (gint) pt;
        }
      if (chosen < 0)
        ok = unusable (error, "The phone line offers neither PCMA nor PCMU audio");
    }
  if (ok && st.media_address == NULL && st.session_address == NULL)
    ok = unusable (error, "The phone line's SDP has no connection address");

  if (ok)
    {
      sdp = g_new0 (HcPhoneSdp, 1);
      sdp->address = g_strdup (st.media_address ? st.media_address : st.session_address);
      sdp->port = st.port;
      sdp->payload_type = (guint8) chosen;
      sdp->event_payload_type = -1;
      for (guint i = 0; i < st.n_formats; i++)
        if (st.event_pt >= 0 && st.formats[i] == (guint) st.event_pt)
          sdp->event_payload_type = st.event_pt;
      if (st.media_direction)
        {
          sendonly = st.media_sendonly;
          recvonly = st.media_recvonly;
          inactive = st.media_inactive;
        }
      else
        {
          sendonly = st.session_sendonly;
          recvonly = st.session_recvonly;
          inactive = st.session_inactive;
        }
      sdp->send = !sendonly && !inactive;
      sdp->receive = !recvonly && !inactive;
    }
  g_free (st.session_address);
  g_free (st.media_address);
  return g_steal_pointer (&sdp);
}

char *
hc_phone_sdp_offer (const char *address,
                    guint16     port,
                    guint64     session_id)
{
  const char *family = strchr (address, ':') != NULL ? "IP6" : "IP4";

  return g_strdup_printf ("v=0\r\n"
                          "o=housecalld %" G_GUINT64_FORMAT " 1 IN %s %s\r\n"
                          "s=housecall\r\n"
                          "c=IN %s %s\r\n"
                          "t=0 0\r\n"
                          "m=audio %u RTP/AVP %d %d %d\r\n"
                          "a=rtpmap:%d PCMA/8000\r\n"
                          "a=rtpmap:%d PCMU/8000\r\n"
                          "a=rtpmap:%d telephone-event/8000\r\n"
                          "a=fmtp:%d 0-16\r\n"
                          "a=ptime:20\r\n"
                          "a=sendrecv\r\n",
                          session_id, family, address, family, address, port,
                          HC_RTP_PT_PCMA, HC_RTP_PT_PCMU, HC_RTP_PT_TELEPHONE_EVENT,
                          HC_RTP_PT_PCMA, HC_RTP_PT_PCMU, HC_RTP_PT_TELEPHONE_EVENT,
                          HC_RTP_PT_TELEPHONE_EVENT);
}

gboolean
hc_rtp_header_read (const guint8 *data,
                    gsize         len,
                    HcRtpHeader  *header)
{
  gsize offset = 12;
  gsize padding = 0;
  guint csrc_count;

  if (data == NULL || len < 12 || (data[0] >> 6) != 2)
    return FALSE;
  csrc_count = data[0] & 0x0f;
  offset += 4 * (gsize) csrc_count;
  if (offset > len)
    return FALSE;
  if (data[0] & 0x10)
    {
      gsize words;

      if (offset + 4 > len)
        return FALSE;
      words = ((gsize) data[offset + 2] << 8) | data[offset + 3];
      offset += 4 + 4 * words;
      if (offset > len)
        return FALSE;
    }
  if (data[0] & 0x20)
    {
      padding = data[len - 1];
      if (padding == 0 || offset + padding > len)
        return FALSE;
    }
  header->marker = (data[1] & 0x80) != 0;
  header->payload_type = data[1] & 0x7f;
  header->sequence = (guint16) ((data[2] << 8) | data[3]);
  header->timestamp = ((guint32) data[4] << 24) | ((guint32) data[5] << 16) |
                      ((guint32) data[6] << 8) | data[7];
  header->ssrc = ((guint32) data[8] << 24) | ((guint32) data[9] << 16) |
                 ((guint32) data[10] << 8) | data[11];
  header->payload_offset = offset;
  header->payload_length = len - offset - padding;
  return TRUE;
}

void
hc_rtp_header_write (guint8   *out,
                     guint8    payload_type,
                     gboolean  marker,
                     guint16   sequence,
                     guint32   timestamp,
                     guint32   ssrc)
{
  out[0] = 0x80;
  out[1] = (guint8) ((marker ? 0x80 : 0) | (payload_type & 0x7f));
  out[2] = (guint8) (sequence >> 8);
  out[3] = (guint8) sequence;
  out[4] = (guint8) (timestamp >> 24);
  out[5] = (guint8) (timestamp >> 16);
  out[6] = (guint8) (timestamp >> 8);
  out[7] = (guint8) timestamp;
  out[8] = (guint8) (ssrc >> 24);
  out[9] = (guint8) (ssrc >> 16);
  out[10] = (guint8) (ssrc >> 8);
  out[11] = (guint8) ssrc;
}
