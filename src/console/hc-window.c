/* SPDX-License-Identifier: GPL-3.0-or-later */

#define G_LOG_DOMAIN "HcWindow"

#include "config.h"

#include "hc-appointments-window.h"
#include "hc-queue-entry.h"
#include "hc-room-item.h"
#include "hc-session.h"
#include "hc-sign-in-page.h"
#include "hc-window.h"

#include <glib/gi18n.h>

struct _HcWindow
{
  AdwApplicationWindow parent_instance;

  GSettings       *settings;
  HcSession       *session;
  GCancellable    *cancellable;

  AdwToastOverlay *toast_overlay;
  GtkStack        *pages;
  HcSignInPage    *sign_in_page;
  GtkStack        *rooms_stack;
  GtkListBox      *rooms_list;
  GtkListBox      *queue_list;
  GtkWidget       *queue_heading;
  GtkWidget       *rooms_heading;
  GHashTable      *seen_patients;    /* queue entry ids already announced */
  GtkWindow       *appointments;     /* kept and hidden between uses */
  AdwWindowTitle  *waiting_room_title;
};

G_DEFINE_FINAL_TYPE (HcWindow, hc_window, ADW_TYPE_APPLICATION_WINDOW)

static void
restore_window_state (HcWindow *self)
{
  int width;
  int height;

  width = g_settings_get_int (self->settings, "window-width");
  height = g_settings_get_int (self->settings, "window-height");
  gtk_window_set_default_size (GTK_WINDOW (self), width, height);

  if (g_settings_get_boolean (self->settings, "window-maximized"))
    gtk_window_maximize (GTK_WINDOW (self));
}

static void
save_window_state (HcWindow *self)
{
  int width;
  int height;

  /* The default size tracks the unmaximized size, which is what the next start
   * should come back to. */
  gtk_window_get_default_size (GTK_WINDOW (self), &width, &height);

  g_settings_delay (self->settings);
  g_settings_set_int (self->settings, "window-width", width);
  g_settings_set_int (self->settings, "window-height", height);
  g_settings_set_boolean (self->settings, "window-maximized",
                          gtk_window_is_maximized (GTK_WINDOW (self)));
  g_settings_apply (self->settings);
}

static void
show_toast (HcWindow   *self,
            const char *message)
{
  /* A late answer after the window closed has nowhere to go. */
  if (self->toast_overlay != NULL)
    adw_toast_overlay_add_toast (self->toast_overlay, adw_toast_new (message));
}

static GtkWidget *
create_room_row (gpointer item,
                 gpointer user_data)
{
  HcRoomItem *room = item;
  g_autoptr(GDateTime) created = g_date_time_new_from_unix_local (hc_room_item_get_date_created (room));
  g_autofree char *time = created ? g_date_time_format (created, "%H:%M") : g_strdup ("");
  /* Translators: a room's codec and the time it was opened, e.g. "VP8 · since 09:30". */
  g_autofree char *subtitle = g_strdup_printf (_("%s · since %s"),
                                               hc_room_item_get_video_codec (room), time);
  GtkWidget *row = adw_action_row_new ();

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), hc_room_item_get_unique_name (room));
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  adw_action_row_add_prefix (ADW_ACTION_ROW (row),
                             gtk_image_new_from_icon_name ("camera-video-symbolic"));
  return row;
}

/* Readiness in words, for the row and for screen readers. */
static char *
describe_readiness (HcQueueEntry *entry)
{
  gint verdict = hc_queue_entry_get_verdict (entry);

  if (!hc_queue_entry_get_connected (entry))
    return g_strdup (_("Not connected right now"));
  if (!hc_queue_entry_get_devices_ok (entry))
    return g_strdup (_("Camera or microphone not working"));
  if (verdict > 0 && verdict <= 2)
    return g_strdup_printf (_("Weak connection (%d of 5)"), verdict);
  if (verdict > 0)
    return g_strdup_printf (_("Ready (connection %d of 5)"), verdict);
  return g_strdup (_("Ready"));
}

static GtkWidget *
create_queue_row (gpointer item,
                  gpointer user_data)
{
  HcQueueEntry *entry = item;
  g_autoptr(GDateTime) start = g_date_time_new_from_unix_local (hc_queue_entry_get_start_time (entry));
  g_autofree char *time = start ? g_date_time_format (start, "%H:%M") : g_strdup ("");
  g_autofree char *readiness = describe_readiness (entry);
  gint64 minutes = hc_queue_entry_get_waited (entry) / 60;
  g_autofree char *waited = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "waiting %d minute",
                                                          "waiting %d minutes", (gulong) minutes),
                                             (int) minutes);
  /* Translators: appointment time · time waited · readiness. */
  g_autofree char *subtitle = g_strdup_printf (_("%s · %s · %s"), time, waited, readiness);
  g_autofree char *admit_label = g_strdup_printf (_("Admit %s"), hc_queue_entry_get_name (entry));
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *admit = gtk_button_new_with_mnemonic (_("_Admit"));

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), hc_queue_entry_get_name (entry));
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  adw_action_row_set_subtitle_lines (ADW_ACTION_ROW (row), 2);
  adw_action_row_add_prefix (ADW_ACTION_ROW (row),
                             gtk_image_new_from_icon_name (
                               hc_queue_entry_get_verdict (entry) > 2 &&
                               hc_queue_entry_get_devices_ok (entry)
                                 ? "emblem-ok-symbolic" : "dialog-warning-symbolic"));
  gtk_widget_set_valign (admit, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (admit, "suggested-action");
  gtk_actionable_set_action_name (GTK_ACTIONABLE (admit), "win.admit");
  gtk_actionable_set_action_target (GTK_ACTIONABLE (admit), "x", hc_queue_entry_get_id (entry));
  gtk_accessible_update_property (GTK_ACCESSIBLE (admit), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  admit_label, -1);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), admit);
  return row;
}

/* A desktop notification when someone checks in while the provider looks
 * elsewhere. It names no patient: notifications show on a locked screen. */
static void
announce_check_ins (HcWindow *self)
{
  GListModel *queue = hc_session_get_queue (self->session);
  guint fresh = 0;

  for (guint i = 0; i < g_list_model_get_n_items (queue); i++)
    {
      g_autoptr(HcQueueEntry) entry = g_list_model_get_item (queue, i);
      gint64 id = hc_queue_entry_get_id (entry);

      if (!g_hash_table_contains (self->seen_patients, &id))
        {
          g_hash_table_add (self->seen_patients, g_memdup2 (&id, sizeof id));
          fresh++;
        }
    }
  if (fresh > 0 && !gtk_window_is_active (GTK_WINDOW (self)))
    {
      GApplication *application = G_APPLICATION (gtk_window_get_application (GTK_WINDOW (self)));
      g_autoptr(GNotification) notification = g_notification_new (_("A patient checked in"));

      g_notification_set_body (notification, _("They are waiting for you in the waiting room."));
      if (application != NULL)
        g_application_send_notification (application, "check-in", notification);
    }
}

static void
update_rooms_stack (HcWindow *self)
{
  guint rooms = g_list_model_get_n_items (hc_session_get_rooms (self->session));
  guint waiting = g_list_model_get_n_items (hc_session_get_queue (self->session));

  gtk_widget_set_visible (self->queue_heading, waiting > 0);
  gtk_widget_set_visible (GTK_WIDGET (self->queue_list), waiting > 0);
  gtk_widget_set_visible (self->rooms_heading, rooms > 0);
  gtk_widget_set_visible (GTK_WIDGET (self->rooms_list), rooms > 0);
  gtk_stack_set_visible_child_name (self->rooms_stack, rooms + waiting > 0 ? "list" : "empty");
}

static void
on_rooms_refreshed (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(HcWindow) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!hc_session_refresh_rooms_finish (HC_SESSION (source), result, &error) &&
      !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    show_toast (self, error->message);
}

static void
refresh_rooms (HcWindow *self)
{
  hc_session_refresh_rooms_async (self->session, self->cancellable, on_rooms_refreshed,
                                  g_object_ref (self));
}

static void
on_patient_admitted (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(HcWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *room = hc_session_admit_finish (HC_SESSION (source), result, &error);

  if (room == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        show_toast (self, error->message);
      return;
    }
  show_toast (self, _("The patient was let in to the visit room"));
  if (self->session != NULL)
    refresh_rooms (self);
}

static void
admit_action (GtkWidget  *widget,
              const char *action_name,
              GVariant   *parameter)
{
  HcWindow *self = HC_WINDOW (widget);

  hc_session_admit_async (self->session, g_variant_get_int64 (parameter), self->cancellable,
                          on_patient_admitted, g_object_ref (self));
}

static void
update_page (HcWindow *self)
{
  gboolean signed_in = hc_session_get_state (self->session) == HC_SESSION_SIGNED_IN;

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.sign-out", signed_in);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.refresh", signed_in);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.new-room", signed_in);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.appointments", signed_in);
  if (signed_in)
    {
      g_autofree char *subtitle = g_strdup_printf (_("Signed in as %s"),
                                                   hc_session_get_username (self->session));

      adw_window_title_set_subtitle (self->waiting_room_title, subtitle);
      gtk_stack_set_visible_child_name (self->pages, "main");
      refresh_rooms (self);
    }
  else if (hc_session_get_state (self->session) == HC_SESSION_SIGNED_OUT)
    {
      gtk_stack_set_visible_child_name (self->pages, "sign-in");
      hc_sign_in_page_focus (self->sign_in_page);
    }
}

static void
on_restored (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(HcWindow) self = user_data;

  /* Without a kept password the sign-in page simply stays; nothing to say. */
  hc_session_restore_finish (HC_SESSION (source), result, NULL);
}

static void
sign_out_action (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *parameter)
{
  HcWindow *self = HC_WINDOW (widget);

  hc_session_sign_out (self->session, TRUE);
}

static void
appointments_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *parameter)
{
  HcWindow *self = HC_WINDOW (widget);

  /* One window, hidden when closed: it keeps the list it already has and
   * reopens at once. */
  if (self->appointments == NULL)
    {
      self->appointments = GTK_WINDOW (hc_appointments_window_new (GTK_WINDOW (self),
                                                                   self->session));
      gtk_window_set_hide_on_close (self->appointments, TRUE);
    }
  gtk_window_present (self->appointments);
}

static void
refresh_action (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  refresh_rooms (HC_WINDOW (widget));
}

static void
on_room_created (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(HcWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *sid = hc_session_create_room_finish (HC_SESSION (source), result, &error);

  if (sid == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        show_toast (self, error->message);
      return;
    }
  if (self->session != NULL)
    refresh_rooms (self);
}

static void
on_new_room_response (AdwMessageDialog *dialog,
                      const char       *response,
                      HcWindow         *self)
{
  GtkEditable *entry = GTK_EDITABLE (adw_message_dialog_get_extra_child (dialog));

  if (g_strcmp0 (response, "create") == 0)
    hc_session_create_room_async (self->session, gtk_editable_get_text (entry),
                                  self->cancellable, on_room_created, g_object_ref (self));
}

static void
new_room_action (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *parameter)
{
  HcWindow *self = HC_WINDOW (widget);
  GtkWidget *dialog;
  GtkWidget *entry = gtk_entry_new ();

  gtk_entry_set_placeholder_text (GTK_ENTRY (entry), _("e.g. dr-smith-morning"));
  gtk_entry_set_activates_default (GTK_ENTRY (entry), TRUE);
  gtk_accessible_update_property (GTK_ACCESSIBLE (entry), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Room name"), -1);
  dialog = adw_message_dialog_new (GTK_WINDOW (self), _("New Visit Room"),
                                   _("Patients and guests you invite join this room."));
  adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (dialog), entry);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"),
                                    "create", _("C_reate"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "create",
                                              ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "create");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_signal_connect (dialog, "response", G_CALLBACK (on_new_room_response), self);
  gtk_window_present (GTK_WINDOW (dialog));
}

static gboolean
hc_window_close_request (GtkWindow *window)
{
  save_window_state (HC_WINDOW (window));

  return GTK_WINDOW_CLASS (hc_window_parent_class)->close_request (window);
}

static void
hc_window_dispose (GObject *object)
{
  HcWindow *self = HC_WINDOW (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->appointments, gtk_window_destroy);
  /* Requests in flight hold the window; their results must not reach the
   * widgets once the template is gone. */
  if (self->session != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->session, self);
      g_signal_handlers_disconnect_by_data (hc_session_get_rooms (self->session), self);
      g_signal_handlers_disconnect_by_data (hc_session_get_queue (self->session), self);
    }

  g_clear_object (&self->session);
  gtk_widget_dispose_template (GTK_WIDGET (self), HC_TYPE_WINDOW);

  G_OBJECT_CLASS (hc_window_parent_class)->dispose (object);
}

static void
hc_window_finalize (GObject *object)
{
  HcWindow *self = HC_WINDOW (object);

  g_clear_object (&self->settings);
  g_clear_pointer (&self->seen_patients, g_hash_table_unref);

  G_OBJECT_CLASS (hc_window_parent_class)->finalize (object);
}

static void
hc_window_class_init (HcWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->dispose = hc_window_dispose;
  object_class->finalize = hc_window_finalize;

  window_class->close_request = hc_window_close_request;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/housecall/Console/hc-window.ui");
  gtk_widget_class_bind_template_child (widget_class, HcWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, HcWindow, pages);
  gtk_widget_class_bind_template_child (widget_class, HcWindow, sign_in_page);
  gtk_widget_class_bind_template_child (widget_class, HcWindow, rooms_stack);
  gtk_widget_class_bind_template_child (widget_class, HcWindow, rooms_list);
  gtk_widget_class_bind_template_child (widget_class, HcWindow, queue_list);
  gtk_widget_class_bind_template_child (widget_class, HcWindow, queue_heading);
  gtk_widget_class_bind_template_child (widget_class, HcWindow, rooms_heading);
  gtk_widget_class_bind_template_child (widget_class, HcWindow, waiting_room_title);

  gtk_widget_class_install_action (widget_class, "win.sign-out", NULL, sign_out_action);
  gtk_widget_class_install_action (widget_class, "win.refresh", NULL, refresh_action);
  gtk_widget_class_install_action (widget_class, "win.new-room", NULL, new_room_action);
  gtk_widget_class_install_action (widget_class, "win.admit", "x", admit_action);
  gtk_widget_class_install_action (widget_class, "win.appointments", NULL, appointments_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_a,
                                       GDK_CONTROL_MASK | GDK_SHIFT_MASK, "win.appointments", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_F5, 0, "win.refresh", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_n, GDK_CONTROL_MASK,
                                       "win.new-room", NULL);
}

static void
hc_window_init (HcWindow *self)
{
  g_type_ensure (HC_TYPE_SIGN_IN_PAGE);
  gtk_widget_init_template (GTK_WIDGET (self));
  self->cancellable = g_cancellable_new ();
  self->seen_patients = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);

#if DEVELOPMENT
  gtk_widget_add_css_class (GTK_WIDGET (self), "devel");
#endif

  self->settings = g_settings_new (HC_SETTINGS_SCHEMA_ID);
  restore_window_state (self);
}

HcWindow *
hc_window_new (HcApplication *application)
{
  HcWindow *self;
  g_autofree char *server = NULL;
  g_autofree char *username = NULL;

  g_return_val_if_fail (application == NULL || HC_IS_APPLICATION (application), NULL);

  self = g_object_new (HC_TYPE_WINDOW,
                       "application", application,
                       NULL);
  self->session = application ? g_object_ref (hc_application_get_session (application))
                              : hc_session_new ();
  hc_sign_in_page_set_session (self->sign_in_page, self->session);
  gtk_list_box_bind_model (self->rooms_list, hc_session_get_rooms (self->session),
                           create_room_row, NULL, NULL);
  g_signal_connect_object (hc_session_get_rooms (self->session), "items-changed",
                           G_CALLBACK (update_rooms_stack), self, G_CONNECT_SWAPPED);
  gtk_list_box_bind_model (self->queue_list, hc_session_get_queue (self->session),
                           create_queue_row, NULL, NULL);
  g_signal_connect_object (hc_session_get_queue (self->session), "items-changed",
                           G_CALLBACK (update_rooms_stack), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (hc_session_get_queue (self->session), "items-changed",
                           G_CALLBACK (announce_check_ins), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->session, "notify::state", G_CALLBACK (update_page), self,
                           G_CONNECT_SWAPPED);
  update_rooms_stack (self);
  update_page (self);

  /* With a password in the keyring, sign in without asking. */
  server = g_settings_get_string (self->settings, "server-url");
  username = g_settings_get_string (self->settings, "username");
  if (hc_session_get_state (self->session) == HC_SESSION_SIGNED_OUT && *server && *username)
    hc_session_restore_async (self->session, server, username, self->cancellable, on_restored,
                              g_object_ref (self));
  return self;
}
