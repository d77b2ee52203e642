/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "hc-engine-enums.h"

#include <gio/gio.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define HC_SIGNALING_SUBPROTOCOL "housecall.v1"

#define HC_TYPE_SIGNALING_CLIENT (hc_signaling_client_get_type ())

G_DECLARE_FINAL_TYPE (HcSignalingClient, hc_signaling_client, HC, SIGNALING_CLIENT, GObject)

/* The signaling URL for a server address as people type it: https://host → wss://host/v1/signal.
 * Plain http:// and ws:// are refused except on loopback, so that a token never
 * crosses a network in the clear. */
char              *hc_signaling_url_for_server        (const char           *server_url,
                                                       GError              **error);

HcSignalingClient *hc_signaling_client_new            (const char           *url);

const char        *hc_signaling_client_get_url        (HcSignalingClient    *self);
HcSignalingState   hc_signaling_client_get_state      (HcSignalingClient    *self);
const char        *hc_signaling_client_get_identity   (HcSignalingClient    *self);
const char        *hc_signaling_client_get_role       (HcSignalingClient    *self);

/* Opens the socket and authenticates with @token (sent in the first message, never in
 * the URL). The reply is the server's `authenticated` message. While connected, a
 * socket that drops is reopened with backoff and authenticated again; then
 * ::reconnected is emitted. */
void               hc_signaling_client_connect_async  (HcSignalingClient    *self,
                                                       const char           *token,
                                                       GCancellable         *cancellable,
                                                       GAsyncReadyCallback   callback,
                                                       gpointer              user_data);
JsonObject        *hc_signaling_client_connect_finish (HcSignalingClient    *self,
                                                       GAsyncResult         *result,
                                                       GError              **error);

/* Sends {"type": @type, "id": …, …@fields} and completes with the reply carrying the
 * same id; an `error` reply becomes a GError in the HC_ERROR domain with the server's
 * code. Fails with G_IO_ERROR_TIMED_OUT after 15 s and G_IO_ERROR_CONNECTION_CLOSED
 * when the socket closes first. */
void               hc_signaling_client_request_async  (HcSignalingClient    *self,
                                                       const char           *type,
                                                       JsonObject           *fields,
                                                       GCancellable         *cancellable,
                                                       GAsyncReadyCallback   callback,
                                                       gpointer              user_data);
JsonObject        *hc_signaling_client_request_finish (HcSignalingClient    *self,
                                                       GAsyncResult         *result,
                                                       GError              **error);

/* Sends a message that has no reply (trickle). FALSE when not connected. */
gboolean           hc_signaling_client_send           (HcSignalingClient    *self,
                                                       const char           *type,
                                                       JsonObject           *fields);

/* Closes the socket for good (no reconnect); pending requests fail. */
void               hc_signaling_client_close          (HcSignalingClient    *self);
/* Likewise, and completes once the socket's close handshake is over (at most 2 s). */
void               hc_signaling_client_close_async    (HcSignalingClient    *self,
                                                       GCancellable         *cancellable,
                                                       GAsyncReadyCallback   callback,
                                                       gpointer              user_data);
gboolean           hc_signaling_client_close_finish   (HcSignalingClient    *self,
                                                       GAsyncResult         *result,
                                                       GError              **error);

/* For tests: drops the socket as a network failure would, to exercise reconnecting. */
void               hc_signaling_client_drop_connection (HcSignalingClient   *self);

G_END_DECLS
