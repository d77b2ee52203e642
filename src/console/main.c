/* SPDX-License-Identifier: GPL-3.0-or-later */

#define G_LOG_DOMAIN "Housecall"

#include "config.h"

#include "hc-application.h"
#include "hc-call-engine.h"

#include <glib/gi18n.h>
#include <gst/gst.h>

#include <locale.h>

int
main (int   argc,
      char *argv[])
{
  g_autoptr(HcApplication) app = NULL;
  int status;

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  g_set_application_name (_("Housecall"));

  app = hc_application_new (APP_ID, G_APPLICATION_DEFAULT_FLAGS);

  status = g_application_run (G_APPLICATION (app), argc, argv);
  g_clear_object (&app);
  /* Signing in or a visit loaded GStreamer (hc-window.c); its registry and plugins go
   * with it, which also lets the leak checker see only what is ours. */
  hc_call_engine_warm_up_wait ();
  if (gst_is_initialized ())
    gst_deinit ();
  return status;
}
