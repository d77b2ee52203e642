/* SPDX-License-Identifier: GPL-3.0-or-later */

#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

/* The schema id stays the same in development builds: administrators preset and lock
 * one settings path, /org/housecall/Console/, whichever build a practice runs. */
#define HC_SETTINGS_SCHEMA_ID "org.housecall.Console"

#define HC_TYPE_APPLICATION (hc_application_get_type ())

G_DECLARE_FINAL_TYPE (HcApplication, hc_application, HC, APPLICATION, AdwApplication)

HcApplication *hc_application_new         (const char        *application_id,
                                           GApplicationFlags  flags);
/* The provider's session, shared by the application's windows. */
struct _HcSession *hc_application_get_session (HcApplication *self);

G_END_DECLS
