/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib-object.h>

#include "hc-config.h"
#include "hc-store.h"

G_BEGIN_DECLS

#define HC_TYPE_SERVER (hc_server_get_type ())
G_DECLARE_FINAL_TYPE (HcServer, hc_server, HC, SERVER, GObject)

/* Takes ownership of @config. */
HcServer *hc_server_new        (HcConfig   *config,
                                HcStore    *store);
gboolean  hc_server_start      (HcServer   *self,
                                GError    **error);
void      hc_server_stop       (HcServer   *self);
guint16   hc_server_get_port   (HcServer   *self);
HcStore  *hc_server_get_store  (HcServer   *self);

G_END_DECLS
