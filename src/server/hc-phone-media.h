/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "hc-media-room.h"
#include "hc-phone-rtp.h"

G_BEGIN_DECLS

#define HC_TYPE_PHONE_MEDIA (hc_phone_media_get_type ())
G_DECLARE_FINAL_TYPE (HcPhoneMedia, hc_phone_media, HC, PHONE_MEDIA, GObject)

/* A phone call's audio in the room (docs/phone-bridge.md):
 *   phone G.711 → decode → Opus (+ audio levels) → a Janus remote publisher
 *   named after the line;
 *   each other publisher's audio → Janus RTP forwarder → Opus decode →
 *   audiomixer → G.711 → the phone.
 * Emits "lost" when the media server went away under the call. */
HcPhoneMedia *hc_phone_media_new        (HcMediaRoom  *room,
                                         const char   *participant_sid,
                                         const char   *label);
/* Takes the phone's audio from @rtp and gives it the room's. */
void          hc_phone_media_start      (HcPhoneMedia *self,
                                         HcPhoneRtp   *rtp,
                                         guint8        payload_type);
void          hc_phone_media_stop       (HcPhoneMedia *self);
/* Whether the GStreamer elements the bridge needs are installed; says
 * which is missing otherwise. */
gboolean      hc_phone_media_check_elements (GError  **error);

G_END_DECLS
