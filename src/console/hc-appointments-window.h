/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "hc-session.h"

G_BEGIN_DECLS

#define HC_TYPE_APPOINTMENTS_WINDOW (hc_appointments_window_get_type ())
G_DECLARE_FINAL_TYPE (HcAppointmentsWindow, hc_appointments_window, HC, APPOINTMENTS_WINDOW,
                      AdwWindow)

/* Upcoming appointments with what happened to their texts (a failed invite
 * says why), and a simple form to book, move or cancel one. */
HcAppointmentsWindow *hc_appointments_window_new (GtkWindow *parent,
                                                  HcSession *session);

G_END_DECLS
