/* SPDX-License-Identifier: GPL-3.0-or-later */

#pragma once

#include "hc-call-engine.h"
#include "hc-session.h"

#include <adwaita.h>

G_BEGIN_DECLS

#define HC_TYPE_INTERPRETER_DIALOG (hc_interpreter_dialog_get_type ())

G_DECLARE_FINAL_TYPE (HcInterpreterDialog, hc_interpreter_dialog, HC, INTERPRETER_DIALOG,
                      AdwWindow)

/*
 * "Add Interpreter", three ways: a guest link scoped to the visit's room alone —
 * copied, or shown as a QR code — with the visit's active invitations, each
 * revocable (the guest is removed and the link stops working); a phone call
 * through the server's SIP bridge to a number or an admin's preset line (digits
 * sent after answer, a live status timeline, a keypad, hang up); and the clinic's
 * interpreter service. One dialog per window, kept between uses;
 * hc_interpreter_dialog_set_call() points it at the visit on the stage.
 */
GtkWindow  *hc_interpreter_dialog_new        (GtkWindow           *parent,
                                              HcSession           *session);
void        hc_interpreter_dialog_set_call   (HcInterpreterDialog *self,
                                              HcCallEngine        *engine);

/* A black-on-white QR code of @text with its quiet zone, for tests too. */
GdkTexture *hc_interpreter_dialog_qr_texture (const char          *text,
                                              GError             **error);

G_END_DECLS
