/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "HcSignInPage"

#include "config.h"

#include "hc-application.h"
#include "hc-sign-in-page.h"

#include <glib/gi18n.h>

struct _HcSignInPage
{
  AdwBin        parent_instance;

  HcSession    *session;
  GSettings    *settings;
  GCancellable *cancellable;

  AdwEntryRow  *server_row;
  AdwEntryRow  *username_row;
  AdwEntryRow  *password_row;
  GtkSwitch    *remember_switch;
  GtkLabel     *error_label;
  GtkSpinner   *spinner;
  GtkWidget    *sign_in_button;
};

G_DEFINE_FINAL_TYPE (HcSignInPage, hc_sign_in_page, ADW_TYPE_BIN)

static void
show_error (HcSignInPage *self,
            const char   *message)
{
  gtk_label_set_label (self->error_label, message ? message : "");
  gtk_widget_set_visible (GTK_WIDGET (self->error_label), message != NULL && *message != '\0');
}

static void
set_busy (HcSignInPage *self,
          gboolean      busy)
{
  gtk_widget_set_visible (GTK_WIDGET (self->spinner), busy);
  gtk_spinner_set_spinning (self->spinner, busy);
  /* Only the action is disabled: making the focused field insensitive
   * would take the keyboard focus away from under the person typing. */
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "sign-in.submit", !busy);
}

static void
on_signed_in (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(HcSignInPage) self = user_data;
  g_autoptr(GError) error = NULL;
  HcSession *session = HC_SESSION (source);

  if (!hc_session_sign_in_finish (session, result, &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      set_busy (self, FALSE);
      show_error (self, error->message);
      gtk_widget_grab_focus (GTK_WIDGET (self->password_row));
      return;
    }
  set_busy (self, FALSE);
  gtk_editable_set_text (GTK_EDITABLE (self->password_row), "");
  /* Remember where and as whom, for the next start; never the password. */
  if (g_settings_is_writable (self->settings, "server-url"))
    g_settings_set_string (self->settings, "server-url", hc_session_get_server_url (session));
  g_settings_set_string (self->settings, "username", hc_session_get_username (session));
}

static void
submit_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  HcSignInPage *self = HC_SIGN_IN_PAGE (widget);

  if (self->session == NULL)
    return;
  show_error (self, NULL);
  set_busy (self, TRUE);
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  hc_session_sign_in_async (self->session,
                            gtk_editable_get_text (GTK_EDITABLE (self->server_row)),
                            gtk_editable_get_text (GTK_EDITABLE (self->username_row)),
                            gtk_editable_get_text (GTK_EDITABLE (self->password_row)),
                            gtk_switch_get_active (self->remember_switch),
                            self->cancellable, on_signed_in, g_object_ref (self));
}

static void
on_session_error (HcSession    *session,
                  GParamSpec   *pspec,
                  HcSignInPage *self)
{
  /* E.g. "Your session has ended": shown when the window comes back here. */
  if (hc_session_get_state (session) == HC_SESSION_SIGNED_OUT)
    show_error (self, hc_session_get_error_message (session));
}

static void
on_entry_activated (HcSignInPage *self)
{
  gtk_widget_activate_action (GTK_WIDGET (self), "sign-in.submit", NULL);
}

static void
update_server_lock (HcSignInPage *self)
{
  gboolean writable = g_settings_is_writable (self->settings, "server-url");

  gtk_widget_set_sensitive (GTK_WIDGET (self->server_row), writable);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->server_row),
                               writable ? NULL : _("Set by your administrator"));
}

static void
hc_sign_in_page_dispose (GObject *object)
{
  HcSignInPage *self = HC_SIGN_IN_PAGE (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  if (self->session != NULL)
    g_signal_handlers_disconnect_by_data (self->session, self);
  g_clear_object (&self->session);
  g_clear_object (&self->settings);
  gtk_widget_dispose_template (GTK_WIDGET (self), HC_TYPE_SIGN_IN_PAGE);

  G_OBJECT_CLASS (hc_sign_in_page_parent_class)->dispose (object);
}

static void
hc_sign_in_page_class_init (HcSignInPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = hc_sign_in_page_dispose;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/housecall/Console/hc-sign-in-page.ui");
  gtk_widget_class_bind_template_child (widget_class, HcSignInPage, server_row);
  gtk_widget_class_bind_template_child (widget_class, HcSignInPage, username_row);
  gtk_widget_class_bind_template_child (widget_class, HcSignInPage, password_row);
  gtk_widget_class_bind_template_child (widget_class, HcSignInPage, remember_switch);
  gtk_widget_class_bind_template_child (widget_class, HcSignInPage, error_label);
  gtk_widget_class_bind_template_child (widget_class, HcSignInPage, spinner);
  gtk_widget_class_bind_template_child (widget_class, HcSignInPage, sign_in_button);
  gtk_widget_class_install_action (widget_class, "sign-in.submit", NULL, submit_action);
}

static void
hc_sign_in_page_init (HcSignInPage *self)
{
  g_autofree char *server = NULL;
  g_autofree char *username = NULL;

  gtk_widget_init_template (GTK_WIDGET (self));

  self->settings = g_settings_new (HC_SETTINGS_SCHEMA_ID);
  server = g_settings_get_string (self->settings, "server-url");
  username = g_settings_get_string (self->settings, "username");
  gtk_editable_set_text (GTK_EDITABLE (self->server_row), server);
  gtk_editable_set_text (GTK_EDITABLE (self->username_row), username);
  update_server_lock (self);
  /* Enter in any field signs in. */
  for (GtkWidget **row = (GtkWidget *[]) { GTK_WIDGET (self->server_row),
                                           GTK_WIDGET (self->username_row),
                                           GTK_WIDGET (self->password_row), NULL };
       *row != NULL; row++)
    g_signal_connect_swapped (*row, "entry-activated", G_CALLBACK (on_entry_activated), self);
  g_signal_connect_object (self->settings, "writable-changed::server-url",
                           G_CALLBACK (update_server_lock), self, G_CONNECT_SWAPPED);
}

void
hc_sign_in_page_set_session (HcSignInPage *self,
                             HcSession    *session)
{
  g_return_if_fail (HC_IS_SIGN_IN_PAGE (self));

  if (self->session != NULL)
    g_signal_handlers_disconnect_by_data (self->session, self);
  g_set_object (&self->session, session);
  if (session != NULL)
    g_signal_connect (session, "notify::state", G_CALLBACK (on_session_error), self);
}

void
hc_sign_in_page_focus (HcSignInPage *self)
{
  const char *server;
  const char *username;

  g_return_if_fail (HC_IS_SIGN_IN_PAGE (self));

  server = gtk_editable_get_text (GTK_EDITABLE (self->server_row));
  username = gtk_editable_get_text (GTK_EDITABLE (self->username_row));
  if (*server == '\0' && gtk_widget_get_sensitive (GTK_WIDGET (self->server_row)))
    gtk_widget_grab_focus (GTK_WIDGET (self->server_row));
  else if (*username == '\0')
    gtk_widget_grab_focus (GTK_WIDGET (self->username_row));
  else
    gtk_widget_grab_focus (GTK_WIDGET (self->password_row));
}
