/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>
#include <gio/gio.h>

G_BEGIN_DECLS

#define HC_TYPE_JANUS (hc_janus_get_type ())
G_DECLARE_FINAL_TYPE (HcJanus, hc_janus, HC, JANUS, GObject)

/* One Janus server, reached over its WebSocket API with one session. It
 * connects, keeps the session alive, and reconnects by itself when the
 * connection drops. "ready" is emitted whenever a new session is up (all
 * earlier handles and rooms are gone by then), "lost" when the connection
 * dropped. Events Janus sends on a handle outside any request arrive as
 * "handle-event" (handle id, the whole message). */
HcJanus     *hc_janus_new             (const char           *url,
                                       const char           *secret);
void         hc_janus_connect         (HcJanus              *self);
void         hc_janus_disconnect      (HcJanus              *self);
gboolean     hc_janus_is_ready        (HcJanus              *self);
const char  *hc_janus_get_secret      (HcJanus              *self);
guint        hc_janus_get_load        (HcJanus              *self);
void         hc_janus_add_load        (HcJanus              *self,
                                       int                   delta);

void         hc_janus_attach_async    (HcJanus              *self,
                                       GCancellable         *cancellable,
                                       GAsyncReadyCallback   callback,
                                       gpointer              user_data);
/* Attaches to another plugin than the VideoRoom (the echo test). */
void         hc_janus_attach_plugin_async (HcJanus          *self,
                                           const char       *plugin,
                                           GCancellable     *cancellable,
                                           GAsyncReadyCallback callback,
                                           gpointer          user_data);
guint64      hc_janus_attach_finish   (HcJanus              *self,
                                       GAsyncResult         *result,
                                       GError              **error);
void         hc_janus_detach          (HcJanus              *self,
                                       guint64               handle);

/* Sends a plugin message. The result is the plugin's reply data (the
 * "plugindata.data" object) with the JSEP, if any, under "jsep"; a plugin
 * error becomes a GError. */
void         hc_janus_message_async   (HcJanus              *self,
                                       guint64               handle,
                                       JsonObject           *body,
                                       JsonObject           *jsep,
                                       GCancellable         *cancellable,
                                       GAsyncReadyCallback   callback,
                                       gpointer              user_data);
JsonObject  *hc_janus_message_finish  (HcJanus              *self,
                                       GAsyncResult         *result,
                                       GError              **error);
void         hc_janus_trickle         (HcJanus              *self,
                                       guint64               handle,
                                       JsonNode             *candidate);

G_END_DECLS
