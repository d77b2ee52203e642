/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "HcDtmf"

#include "config.h"

#include "hc-dtmf.h"
#include "hc-error.h"

static const char event_chars[] = "0123456789*#ABCD";

GArray *
hc_dtmf_parse (const char  *digits,
               GError     **error)
{
  g_autoptr(GArray) events = g_array_new (FALSE, FALSE, sizeof (int));
  gsize n = 0;

  if (digits == NULL || *digits == '\0')
    {
      g_set_error (error, HC_ERROR, HC_ERROR_INVALID_DIGITS, "No digits to send");
      return NULL;
    }
  for (const char *p = digits; *p != '\0'; p++, n++)
    {
      int event = -2;

      if (n >= HC_DTMF_MAX_DIGITS)
        {
          g_set_error (error, HC_ERROR, HC_ERROR_INVALID_DIGITS,
                       "At most %d digits and pauses can be sent at once", HC_DTMF_MAX_DIGITS);
          return NULL;
        }
      if (*p >= '0' && *p <= '9')
        event = *p - '0';
      else if (*p == '*')
        event = 10;
      else if (*p == '#')
        event = 11;
      else if (*p >= 'A' && *p <= 'D')
        event = 12 + (*p - 'A');
      else if (*p >= 'a' && *p <= 'd')
        event = 12 + (*p - 'a');
      else if (*p == 'w' || *p == 'W')
        event = HC_DTMF_EVENT_PAUSE;

      if (event == -2)
        {
          /* Name printable ASCII; anything else only by position, so that a
           * control character or a broken UTF-8 byte never reaches a reply. */
          if (g_ascii_isgraph (*p))
            g_set_error (error, HC_ERROR, HC_ERROR_INVALID_DIGITS,
                         "“%c” (character %" G_GSIZE_FORMAT ") is not a digit: use 0-9, *, #, "
                         "A-D, and w for a half-second pause", *p, n + 1);
          else
            g_set_error (error, HC_ERROR, HC_ERROR_INVALID_DIGITS,
                         "Character %" G_GSIZE_FORMAT " is not a digit: use 0-9, *, #, A-D, "
                         "and w for a half-second pause", n + 1);
          return NULL;
        }
      g_array_append_val (events, event);
    }
  return g_steal_pointer (&events);
}

char
hc_dtmf_event_char (int event)
{
  if (event < 0 || event > 15)
    return '\0';
  return event_chars[event];
}

void
hc_dtmf_payload_write (const HcDtmfPayload *payload,
                       guint8              *out)
{
  out[0] = payload->event;
  out[1] = (guint8) ((payload->end ? 0x80 : 0) | (payload->volume & 0x3f));
  out[2] = (guint8) (payload->duration >> 8);
  out[3] = (guint8) (payload->duration & 0xff);
}

gboolean
hc_dtmf_payload_read (const guint8  *data,
                      gsize          len,
                      HcDtmfPayload *payload)
{
  /* RFC 4733 allows several events in one packet (redundancy); the first
   * block is the current one. */
  if (data == NULL || len < 4)
    return FALSE;
  payload->event = data[0];
  payload->end = (data[1] & 0x80) != 0;
  payload->volume = data[1] & 0x3f;
  payload->duration = (guint16) ((data[2] << 8) | data[3]);
  return TRUE;
}
