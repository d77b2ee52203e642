/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* The SDP of the phone bridge's SIP leg: plain RTP/AVP audio, G.711 (PCMA
 * preferred, PCMU) and RFC 4733 telephone-events. */
#define HC_PHONE_SDP_MAX_LENGTH (16 * 1024)
#define HC_RTP_PT_PCMU 0
#define HC_RTP_PT_PCMA 8
#define HC_RTP_PT_TELEPHONE_EVENT 101

typedef struct
{
  char     *address;          /* where to send RTP: the c= of the audio m-line */
  guint16   port;
  guint8    payload_type;     /* 0 (PCMU) or 8 (PCMA): the first the answer lists */
  gint      event_payload_type; /* telephone-event/8000, or -1 when not offered */
  gboolean  send;             /* the far end wants our audio (not recvonly/inactive) */
  gboolean  receive;          /* the far end sends (not sendonly/inactive) */
} HcPhoneSdp;

void        hc_phone_sdp_free      (HcPhoneSdp   *sdp);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HcPhoneSdp, hc_phone_sdp_free)

/* Reads the SDP answer a phone line (trunk, PBX) sent. Anything that gives no
 * usable G.711 audio stream — no audio m-line, a rejected one (port 0), no
 * PCMA/PCMU, no or a bad connection address, a body that is not SDP — fails
 * with HC_ERROR_PHONE_MEDIA_UNUSABLE and a sentence saying which. */
HcPhoneSdp *hc_phone_sdp_parse     (const char   *text,
                                    gsize         len,
                                    GError      **error);

/* Our offer: one audio m-line at @address:@port with PCMA, PCMU and
 * telephone-event. @session_id makes o= unique per call. */
char       *hc_phone_sdp_offer     (const char   *address,
                                    guint16       port,
                                    guint64       session_id);

/* A minimal RTP header (RFC 3550) reader for packets from the phone. */
typedef struct
{
  guint8   payload_type;
  gboolean marker;
  guint16  sequence;
  guint32  timestamp;
  guint32  ssrc;
  gsize    payload_offset;    /* after CSRCs, the extension and before padding */
  gsize    payload_length;
} HcRtpHeader;

gboolean    hc_rtp_header_read     (const guint8 *data,
                                    gsize         len,
                                    HcRtpHeader  *header);
/* Writes a 12-byte header (no CSRC, no extension). */
void        hc_rtp_header_write    (guint8       *out,
                                    guint8        payload_type,
                                    gboolean      marker,
                                    guint16       sequence,
                                    guint32       timestamp,
                                    guint32       ssrc);

G_END_DECLS
