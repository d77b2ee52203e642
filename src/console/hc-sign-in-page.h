/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "hc-session.h"

G_BEGIN_DECLS

#define HC_TYPE_SIGN_IN_PAGE (hc_sign_in_page_get_type ())
G_DECLARE_FINAL_TYPE (HcSignInPage, hc_sign_in_page, HC, SIGN_IN_PAGE, AdwBin)

/* The form a provider signs in with: server (from GSettings, not editable
 * when the administrator locked it), user name, password, and whether the
 * keyring keeps the password. */
void hc_sign_in_page_set_session (HcSignInPage *self,
                                  HcSession    *session);
void hc_sign_in_page_focus       (HcSignInPage *self);

G_END_DECLS
