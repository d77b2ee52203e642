/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <libsoup/soup.h>

#include "hc-server.h"

G_BEGIN_DECLS

#define HC_SIGNAL_MAX_MESSAGE (64 * 1024)
#define HC_SIGNAL_AUTH_TIMEOUT_SECONDS 10

#define HC_TYPE_SIGNAL_SESSION (hc_signal_session_get_type ())
G_DECLARE_FINAL_TYPE (HcSignalSession, hc_signal_session, HC, SIGNAL_SESSION, GObject)

/* One client's signaling WebSocket: authentication, then room membership.
 * Emits "closed" once the socket is gone and the participant has left. */
HcSignalSession *hc_signal_session_new            (HcServer                *server,
                                                   SoupWebsocketConnection *connection,
                                                   const char              *address);
void             hc_signal_session_room_completed (HcSignalSession         *self,
                                                   const char              *room_sid);
void             hc_signal_session_token_revoked  (HcSignalSession         *self,
                                                   const char              *jti);

G_END_DECLS
