/* SPDX-License-Identifier: GPL-3.0-or-later */

#pragma once

#include "hc-call-engine.h"

#include <adwaita.h>

G_BEGIN_DECLS

#define HC_TYPE_DIAGNOSTICS_WINDOW (hc_diagnostics_window_get_type ())

G_DECLARE_FINAL_TYPE (HcDiagnosticsWindow, hc_diagnostics_window, HC, DIAGNOSTICS_WINDOW,
                      AdwWindow)

/*
 * In-call diagnostics: our connection's level and why, the per-direction
 * levels, the adaptation step, and one line per RTP stream — bitrate,
 * resolution, frame rate, simulcast layer, RTT, jitter, loss and ICE candidate
 * type — refreshed with the engine's samples (every 2 s). Kept between uses.
 */
GtkWindow *hc_diagnostics_window_new        (GtkWindow           *parent);
void       hc_diagnostics_window_set_engine (HcDiagnosticsWindow *self,
                                             HcCallEngine        *engine);

/* The report as text (also what the window shows), for tests. */
char      *hc_diagnostics_format            (HcCallEngine        *engine,
                                             GVariant            *diagnostics);

G_END_DECLS
