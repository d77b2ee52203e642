/* SPDX-License-Identifier: GPL-3.0-or-later */

#pragma once

#include <adwaita.h>

#include "hc-application.h"

G_BEGIN_DECLS

#define HC_TYPE_WINDOW (hc_window_get_type ())

G_DECLARE_FINAL_TYPE (HcWindow, hc_window, HC, WINDOW, AdwApplicationWindow)

HcWindow *hc_window_new (HcApplication *application);

G_END_DECLS
