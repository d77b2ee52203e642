/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define HC_TYPE_PREFERENCES_WINDOW (hc_preferences_window_get_type ())
G_DECLARE_FINAL_TYPE (HcPreferencesWindow, hc_preferences_window, HC, PREFERENCES_WINDOW,
                      AdwPreferencesWindow)

/* Every setting bound to GSettings; a key the administrator locked with dconf
 * shows its value but cannot be changed, and says why. */
HcPreferencesWindow *hc_preferences_window_new (GtkWindow *parent);

G_END_DECLS
