/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "hc-server.h"

G_BEGIN_DECLS

#define HC_SIGNAL_MAX_MESSAGE (64 * 1024)
#define HC_SIGNAL_AUTH_TIMEOUT_SECONDS 10
#define HC_SIGNAL_IDLE_TIMEOUT_SECONDS 60
#define HC_SIGNAL_RATE_PER_SECOND 50
#define HC_SIGNAL_RATE_BURST 100

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
/* Called about once a second: closes the session when its token has expired, and
 * every IDLE_CHECK_SECONDS when its peer went silent or its provider account was
 * disabled. */
void             hc_signal_session_tick           (HcSignalSession         *self,
                                                   gint64                   monotonic);
/* The waiting room changed: tell a waiting patient their place, and a
 * provider watching the queue the new queue. */
void             hc_signal_session_queue_changed  (HcSignalSession         *self);
/* Only @provider's queue view changed (NULL: everyone's); patients' places did not. */
void             hc_signal_session_provider_queue_changed (HcSignalSession *self,
                                                           const char      *provider);
gboolean         hc_signal_session_is_patient     (HcSignalSession         *self,
                                                   const char              *identity);
/* A provider's session that is @identity's or joined to @room_sid. */
gboolean         hc_signal_session_is_provider_for (HcSignalSession        *self,
                                                    const char             *identity,
                                                    const char             *room_sid);
/* For the phone bridge's mix: the Janus feed and audio mid this session
 * publishes, once its media is up. */
gboolean         hc_signal_session_get_audio_feed  (HcSignalSession        *self,
                                                    guint64                *feed_id,
                                                    const char            **audio_mid);
/* Takes the participant out of the room and closes the socket (4409). */
void             hc_signal_session_kick           (HcSignalSession         *self);
/* Leaves the room and closes the socket: the server is stopping. */
void             hc_signal_session_shutdown       (HcSignalSession         *self);

/* For the room and the media manager. */
const char      *hc_signal_session_get_participant_sid (HcSignalSession    *self);
JsonNode        *hc_signal_session_participant_event   (HcSignalSession    *self,
                                                        const char         *type);
void             hc_signal_session_send                (HcSignalSession    *self,
                                                        JsonNode           *message);
void             hc_signal_session_media_lost          (HcSignalSession    *self);
void             hc_signal_session_janus_event         (HcSignalSession    *self,
                                                        guint64             handle,
                                                        JsonObject         *message);
void             hc_signal_session_drop_subscription   (HcSignalSession    *self,
                                                        const char         *participant_sid);

G_END_DECLS
