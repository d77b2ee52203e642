/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "hc-phone-sdp.h"

G_BEGIN_DECLS

#define HC_PHONE_FRAME_SAMPLES 160     /* 20 ms of 8 kHz G.711 */
#define HC_PHONE_DIGIT_MS 100          /* how long each tone lasts */
#define HC_PHONE_DIGIT_GAP_MS 100      /* silence between two tones */

/* Fills @frame with HC_PHONE_FRAME_SAMPLES bytes of G.711 in @payload_type
 * for the phone; returns FALSE to send silence. */
typedef gboolean (*HcPhoneRtpAudioOut) (guint8   *frame,
                                        guint8    payload_type,
                                        gpointer  user_data);
/* One frame of G.711 the phone sent. */
typedef void     (*HcPhoneRtpAudioIn)  (const guint8 *payload,
                                        gsize         len,
                                        guint8        payload_type,
                                        gpointer      user_data);

#define HC_TYPE_PHONE_RTP (hc_phone_rtp_get_type ())
G_DECLARE_FINAL_TYPE (HcPhoneRtp, hc_phone_rtp, HC, PHONE_RTP, GObject)

/* The phone call's RTP: one UDP socket in the configured port range, a
 * packet every 20 ms towards the phone (the room's audio, or silence), and
 * RFC 4733 telephone-events in the same stream for digits. */
HcPhoneRtp *hc_phone_rtp_new            (const char        *address,
                                         guint              port_min,
                                         guint              port_max,
                                         GError           **error);
guint16     hc_phone_rtp_get_port       (HcPhoneRtp        *self);
/* Starts sending to the far end @remote describes, and taking its packets. */
gboolean    hc_phone_rtp_start          (HcPhoneRtp        *self,
                                         const HcPhoneSdp  *remote,
                                         GError           **error);
/* Queues digits (HcDtmf events, pauses included) behind any still queued. */
gboolean    hc_phone_rtp_send_digits    (HcPhoneRtp        *self,
                                         GArray            *events,
                                         GError           **error);
void        hc_phone_rtp_set_audio      (HcPhoneRtp        *self,
                                         HcPhoneRtpAudioOut out,
                                         HcPhoneRtpAudioIn  in,
                                         gpointer           user_data);
void        hc_phone_rtp_stop           (HcPhoneRtp        *self);
guint64     hc_phone_rtp_get_packets_received (HcPhoneRtp *self);
guint64     hc_phone_rtp_get_packets_sent     (HcPhoneRtp *self);

G_END_DECLS
