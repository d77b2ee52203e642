/* SPDX-License-Identifier: GPL-3.0-or-later */

#define G_LOG_DOMAIN "HcApplication"

#include "config.h"

#include "hc-application.h"
#include "hc-preferences-window.h"
#include "hc-session.h"
#include "hc-window.h"

#include <glib/gi18n.h>

struct _HcApplication
{
  AdwApplication  parent_instance;

  HcSession      *session;
};

G_DEFINE_FINAL_TYPE (HcApplication, hc_application, ADW_TYPE_APPLICATION)

static void
hc_application_quit_action (GSimpleAction *action,
                            GVariant      *parameter,
                            gpointer       user_data)
{
  HcApplication *self = user_data;
  g_autoptr(GList) windows = NULL;

  /* Close rather than quit outright: a window with a visit in progress leaves it
   * first (so the server and Janus let go of us at once), then goes; the
   * application ends with its last window. */
  windows = g_list_copy (gtk_application_get_windows (GTK_APPLICATION (self)));
  for (GList *l = windows; l != NULL; l = l->next)
    gtk_window_close (l->data);
}

static void
hc_application_about_action (GSimpleAction *action,
                             GVariant      *parameter,
                             gpointer       user_data)
{
  HcApplication *self = user_data;
  GtkWindow *parent;
  GtkWidget *about;

  parent = gtk_application_get_active_window (GTK_APPLICATION (self));

  about = g_object_new (ADW_TYPE_ABOUT_WINDOW,
                        "application-name", _("Housecall"),
                        "application-icon", APP_ID,
                        "comments", _("See your patients by video: a live waiting room, "
                                      "visits and interpreters in one place."),
                        "developer-name", _("The Housecall developers"),
                        "version", PACKAGE_VERSION,
                        "license-type", GTK_LICENSE_GPL_3_0,
                        /* Translators: put your names here, one per line. */
                        "translator-credits", _("translator-credits"),
                        "transient-for", parent,
                        "modal", parent != NULL,
                        NULL);

  gtk_window_present (GTK_WINDOW (about));
}

static void
hc_application_preferences_action (GSimpleAction *action,
                                   GVariant      *parameter,
                                   gpointer       user_data)
{
  HcApplication *self = user_data;
  GtkWindow *parent = gtk_application_get_active_window (GTK_APPLICATION (self));
  HcPreferencesWindow *preferences = hc_preferences_window_new (parent);

  gtk_window_present (GTK_WINDOW (preferences));
}

static const GActionEntry app_actions[] = {
  { "quit", hc_application_quit_action },
  { "about", hc_application_about_action },
  { "preferences", hc_application_preferences_action },
};

static void
hc_application_startup (GApplication *application)
{
  static const char *quit_accels[] = { "<Control>q", NULL };
  static const char *preferences_accels[] = { "<Control>comma", NULL };
  HcApplication *self = HC_APPLICATION (application);

  G_APPLICATION_CLASS (hc_application_parent_class)->startup (application);

  g_action_map_add_action_entries (G_ACTION_MAP (self),
                                   app_actions, G_N_ELEMENTS (app_actions),
                                   self);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "app.quit", quit_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "app.preferences",
                                         preferences_accels);

  gtk_window_set_default_icon_name (APP_ID);
}

static void
hc_application_activate (GApplication *application)
{
  HcApplication *self = HC_APPLICATION (application);
  GtkWindow *window;

  /* A second launch raises the window the first one opened. */
  window = gtk_application_get_active_window (GTK_APPLICATION (self));
  if (window == NULL)
    window = GTK_WINDOW (hc_window_new (self));

  gtk_window_present (window);
}

/* Runs in the process that was started, before it registers on the bus or
 * opens a display: --version works anywhere, even over ssh. */
static int
hc_application_handle_local_options (GApplication *application,
                                     GVariantDict *options)
{
  if (g_variant_dict_contains (options, "version"))
    {
      g_print ("housecall %s\n", PACKAGE_VERSION);
      return EXIT_SUCCESS;
    }

  return G_APPLICATION_CLASS (hc_application_parent_class)->handle_local_options (application,
                                                                                 options);
}

static void
hc_application_shutdown (GApplication *application)
{
  HcApplication *self = HC_APPLICATION (application);

  /* Windows are gone by now; end the session's requests with them. */
  if (self->session != NULL)
    hc_session_sign_out (self->session, FALSE);

  G_APPLICATION_CLASS (hc_application_parent_class)->shutdown (application);
}

static void
hc_application_dispose (GObject *object)
{
  HcApplication *self = HC_APPLICATION (object);

  g_clear_object (&self->session);

  G_OBJECT_CLASS (hc_application_parent_class)->dispose (object);
}

static void
hc_application_class_init (HcApplicationClass *klass)
{
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  G_OBJECT_CLASS (klass)->dispose = hc_application_dispose;
  app_class->shutdown = hc_application_shutdown;

  app_class->startup = hc_application_startup;
  app_class->activate = hc_application_activate;
  app_class->handle_local_options = hc_application_handle_local_options;
}

static const GOptionEntry main_options[] = {
  { "version", 0, 0, G_OPTION_ARG_NONE, NULL, N_("Print the version and exit"), NULL },
  { NULL }
};

static void
hc_application_init (HcApplication *self)
{
  self->session = hc_session_new ();

  g_application_add_main_option_entries (G_APPLICATION (self), main_options);
  g_application_set_option_context_summary (G_APPLICATION (self),
                                            _("The Housecall provider console: the waiting "
                                              "room, video visits and interpreters."));
  g_application_set_option_context_description (G_APPLICATION (self),
                                                _("Settings are in the GSettings schema "
                                                  "org.housecall.Console; see housecall(1)."));
}

HcApplication *
hc_application_new (const char        *application_id,
                    GApplicationFlags  flags)
{
  const char *localedir = g_getenv ("HOUSECALL_LOCALEDIR");

  g_return_val_if_fail (application_id != NULL, NULL);

  /* Running from the build tree (and in the UI tests), the catalogues are the
   * ones the build made, not the installed ones. */
  if (localedir != NULL && *localedir != '\0')
    bindtextdomain (GETTEXT_PACKAGE, localedir);

  /* The resources live under one path whatever the application id, so that the
   * development build (….Devel) finds the same templates and shortcuts window. */
  return g_object_new (HC_TYPE_APPLICATION,
                       "application-id", application_id,
                       "flags", flags,
                       "resource-base-path", "/org/housecall/Console",
                       NULL);
}

HcSession *
hc_application_get_session (HcApplication *self)
{
  g_return_val_if_fail (HC_IS_APPLICATION (self), NULL);
  return self->session;
}
