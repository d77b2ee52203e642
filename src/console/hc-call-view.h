/* SPDX-License-Identifier: GPL-3.0-or-later */

#pragma once

#include "hc-call-engine.h"

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define HC_TYPE_CALL_VIEW (hc_call_view_get_type ())

G_DECLARE_FINAL_TYPE (HcCallView, hc_call_view, HC, CALL_VIEW, GtkWidget)

/*
 * The stage of a call: the featured participant (the dominant speaker, or the
 * one the provider pinned) in a large tile, everyone else as thumbnails, the
 * provider's own preview small in a corner, and the controls (microphone,
 * camera, devices, leave, end visit).
 *
 * The view only shows an HcCallEngine and forwards the controls to it; the
 * window owns the engine and the call's life. Tiles tell the engine whether
 * they are on screen, so a hidden tile receives no video.
 */
GtkWidget    *hc_call_view_new        (void);

void          hc_call_view_set_engine (HcCallView   *self,
                                       HcCallEngine *engine);
HcCallEngine *hc_call_view_get_engine (HcCallView   *self);

G_END_DECLS
