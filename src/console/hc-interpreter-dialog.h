/* SPDX-License-Identifier: GPL-3.0-or-later */

#pragma once

#include "hc-session.h"

#include <adwaita.h>

G_BEGIN_DECLS

#define HC_TYPE_INTERPRETER_DIALOG (hc_interpreter_dialog_get_type ())

G_DECLARE_FINAL_TYPE (HcInterpreterDialog, hc_interpreter_dialog, HC, INTERPRETER_DIALOG,
                      AdwWindow)

/*
 * "Add Interpreter": invites a guest (an interpreter, a family member) into the
 * visit on the stage with a link scoped to that room alone — copied, or shown as
 * a QR code — and lists the visit's active invitations, each revocable (the
 * guest is removed and the link stops working). One dialog per window, kept
 * between uses; hc_interpreter_dialog_set_room() points it at a visit.
 */
GtkWindow  *hc_interpreter_dialog_new        (GtkWindow           *parent,
                                              HcSession           *session);
void        hc_interpreter_dialog_set_room   (HcInterpreterDialog *self,
                                              const char          *room_sid);

/* A black-on-white QR code of @text with its quiet zone, for tests too. */
GdkTexture *hc_interpreter_dialog_qr_texture (const char          *text,
                                              GError             **error);

G_END_DECLS
