/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define HC_TYPE_JANUS_PROCESS (hc_janus_process_get_type ())
G_DECLARE_FINAL_TYPE (HcJanusProcess, hc_janus_process, HC, JANUS_PROCESS, GObject)

typedef enum
{
  HC_JANUS_PROCESS_STOPPED,
  HC_JANUS_PROCESS_STARTING,
  HC_JANUS_PROCESS_RUNNING,
  HC_JANUS_PROCESS_RESTARTING,
} HcJanusProcessState;

typedef struct
{
  const char *binary;            /* "janus" found on PATH when NULL */
  const char *work_dir;          /* config, plugin links and log go here */
  guint16     ws_port;           /* API WebSocket on 127.0.0.1 */
  const char *secret;            /* api_secret, admin_secret, videoroom admin_key */
  const char *rtp_port_range;    /* "20000-40000" */
  const char *ice_enforce_list;  /* NULL: every interface */
  const char *nat_1_1;           /* NULL: none */
} HcJanusProcessOptions;

/* Writes a minimal Janus configuration (VideoRoom and the WebSocket transport
 * on loopback only), runs `janus` as a child that dies with us, and restarts
 * it with backoff whenever it exits. "ready" is emitted each time its API
 * port accepts connections, "exited" each time the process ends. */
HcJanusProcess      *hc_janus_process_new        (const HcJanusProcessOptions *options);
gboolean             hc_janus_process_start      (HcJanusProcess  *self,
                                                  GError         **error);
void                 hc_janus_process_stop       (HcJanusProcess  *self);
GPid                 hc_janus_process_get_pid    (HcJanusProcess  *self);
char                *hc_janus_process_dup_url    (HcJanusProcess  *self);
guint                hc_janus_process_get_restarts (HcJanusProcess *self);

G_END_DECLS
