/* SPDX-License-Identifier: GPL-3.0-or-later */

#define G_LOG_DOMAIN "Housecall"

#include "config.h"

#include "hc-application.h"

#include <glib/gi18n.h>

#include <locale.h>

int
main (int   argc,
      char *argv[])
{
  g_autoptr(HcApplication) app = NULL;

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  g_set_application_name (_("Housecall"));

  app = hc_application_new (APP_ID, G_APPLICATION_DEFAULT_FLAGS);

  return g_application_run (G_APPLICATION (app), argc, argv);
}
