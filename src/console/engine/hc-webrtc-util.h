/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <gst/gst.h>
#include <gst/webrtc/webrtc.h>

G_BEGIN_DECLS

/* Helpers the publisher and the subscriptions share: none of them blocks the calling
 * thread, and every webrtcbin promise comes back to a main context. */

/* gst_element_factory_make(), with an error naming the package to install. */
GstElement *hc_make_element              (const char          *factory,
                                          const char          *name,
                                          GError             **error);
gboolean    hc_have_element              (const char          *factory);

/* @func runs in @context with @object (kept alive meanwhile) once @promise is
 * replied, interrupted or expired. */
typedef void (*HcPromiseFunc) (GObject    *object,
                               GstPromise *promise);
GstPromise *hc_promise_new_in_context    (GMainContext        *context,
                                          GObject             *object,
                                          HcPromiseFunc        func);

/* Whether @promise (decided) was replied without an "error" (webrtcbin's way of
 * failing); @reply, optional, receives the reply, which may be NULL on success. */
gboolean    hc_promise_get_reply         (GstPromise          *promise,
                                          const GstStructure **reply,
                                          GError             **error);

/* Sets @element to @state in a worker thread: opening a camera or closing ICE
 * transports can take long enough to be felt in the window. */
void        hc_element_set_state_async   (GstElement          *element,
                                          GstState             state,
                                          GCancellable        *cancellable,
                                          GAsyncReadyCallback  callback,
                                          gpointer             user_data);
gboolean    hc_element_set_state_finish  (GstElement          *element,
                                          GAsyncResult        *result,
                                          GError             **error);

/* The RTP session webrtcbin keeps inside for @session_id (its bundle session is 0),
 * or NULL. */
GObject    *hc_webrtcbin_get_rtp_session (GstElement          *webrtcbin,
                                          guint                session_id);

/* ICE as the console wants it: UDP host, server-reflexive and relay candidates only,
 * without libnice's UPnP port mapping (SSDP multicast on every interface, and a
 * router that opens ports on request is nothing a clinic wants). */
void        hc_webrtcbin_configure_ice   (GstElement          *webrtcbin);

/* webrtcbin's "get-stats" for the whole connection; completes in the calling
 * thread's thread-default main context with a copy of the stats structure
 * (free it with gst_structure_free()), or an error if webrtcbin did not reply. */
void          hc_webrtcbin_get_stats_async  (GstElement          *webrtcbin,
                                             GCancellable        *cancellable,
                                             GAsyncReadyCallback  callback,
                                             gpointer             user_data);
GstStructure *hc_webrtcbin_get_stats_finish (GAsyncResult        *result,
                                             GError             **error);

/* Makes, once per process and in a worker thread, what every webrtcbin shares and
 * would otherwise make on the critical path of the first call: the DTLS certificate
 * (a 2048-bit RSA key: 0.1–0.8 s, seen up to 3.7 s, on a busy two-core machine), which
 * the first transport of the first webrtcbin generates and every other one waits for,
 * and the plugins transports and decoders load. Returns at once; webrtcbins made
 * meanwhile wait for the same certificate, never for a second one. */
void        hc_webrtc_warm_up            (void);
/* Waits for that worker (if one was started) to finish: before gst_deinit(). */
void        hc_webrtc_warm_up_wait       (void);

/* A fresh SSRC: random, never 0. */
guint32     hc_random_ssrc               (void);

G_END_DECLS
