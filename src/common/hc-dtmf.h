/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Digits sent to a phone line after it answers, as Twilio's sendDigits takes
 * them: 0-9, *, #, A-D, and `w` for a pause of half a second. */
#define HC_DTMF_MAX_DIGITS 64
#define HC_DTMF_PAUSE_MS 500

/* RFC 4733 telephone-event codes: 0-9 are themselves, * 10, # 11, A-D 12-15. */
#define HC_DTMF_EVENT_PAUSE (-1)

/* Checks @digits and turns it into event codes (HC_DTMF_EVENT_PAUSE for
 * `w`). Lower-case a-d are taken as A-D, and nothing else: spaces, commas and
 * every other character are HC_ERROR_INVALID_DIGITS with a sentence naming
 * the first bad character's position. An empty string is refused too. */
GArray   *hc_dtmf_parse           (const char  *digits,
                                   GError     **error);
/* The character for event @event (0-15), or '\0'. */
char      hc_dtmf_event_char      (int          event);

/* An RFC 4733 telephone-event payload (4 bytes). */
typedef struct
{
  guint8   event;
  gboolean end;
  guint8   volume;      /* 0-63, as -dBm0 */
  guint16  duration;    /* in timestamp units */
} HcDtmfPayload;

void      hc_dtmf_payload_write   (const HcDtmfPayload *payload,
                                   guint8              *out);
gboolean  hc_dtmf_payload_read    (const guint8        *data,
                                   gsize                len,
                                   HcDtmfPayload       *payload);

G_END_DECLS
