/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "HcAppointmentsWindow"

#include "config.h"

#include "hc-appointment-item.h"
#include "hc-appointments-window.h"
#include "hc-phone.h"

#include <glib/gi18n.h>

/* The list refreshes itself so that a delivery report shows while the
 * window is open. */
#define REFRESH_SECONDS 5

struct _HcAppointmentsWindow
{
  AdwWindow        parent_instance;

  HcSession       *session;
  GCancellable    *cancellable;
  char            *editing_sid;      /* NULL when booking a new one */
  guint            refresh_id;

  AdwToastOverlay *toast_overlay;
  GtkStack        *stack;
  GtkListBox      *list;
  AdwEntryRow     *name_row;
  AdwEntryRow     *mobile_row;
  AdwEntryRow     *date_row;
  AdwEntryRow     *time_row;
  AdwEntryRow     *note_row;
  GtkLabel        *error_label;
};

G_DEFINE_FINAL_TYPE (HcAppointmentsWindow, hc_appointments_window, ADW_TYPE_WINDOW)

static void
show_error (HcAppointmentsWindow *self,
            const char           *message)
{
  gtk_label_set_label (self->error_label, message ? message : "");
  gtk_widget_set_visible (GTK_WIDGET (self->error_label), message != NULL);
}

static void
update_page (HcAppointmentsWindow *self)
{
  const char *page = gtk_stack_get_visible_child_name (self->stack);

  if (g_strcmp0 (page, "edit") == 0)
    return;
  gtk_stack_set_visible_child_name (self->stack,
                                    g_list_model_get_n_items (
                                      hc_session_get_appointments (self->session)) > 0
                                      ? "list" : "empty");
}

static void
on_refreshed (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(HcAppointmentsWindow) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!hc_session_refresh_appointments_finish (HC_SESSION (source), result, &error) &&
      !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) && self->session != NULL)
    adw_toast_overlay_add_toast (self->toast_overlay, adw_toast_new (error->message));
}

static gboolean
on_refresh_timeout (gpointer user_data)
{
  HcAppointmentsWindow *self = user_data;

  hc_session_refresh_appointments_async (self->session, self->cancellable, on_refreshed,
                                         g_object_ref (self));
  return G_SOURCE_CONTINUE;
}

/* Marks the mobile number as wrong while it is being typed. */
static void
on_mobile_changed (HcAppointmentsWindow *self)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (self->mobile_row));
  g_autofree char *number = *text ? hc_phone_normalize (text, NULL) : NULL;

  if (*text == '\0' || number != NULL)
    gtk_widget_remove_css_class (GTK_WIDGET (self->mobile_row), "error");
  else
    gtk_widget_add_css_class (GTK_WIDGET (self->mobile_row), "error");
}

static void
edit (HcAppointmentsWindow *self,
      HcAppointmentItem    *item)
{
  g_autoptr(GDateTime) start = NULL;
  g_autofree char *date = NULL;
  g_autofree char *time = NULL;

  g_free (self->editing_sid);
  self->editing_sid = item ? g_strdup (hc_appointment_item_get_sid (item)) : NULL;
  if (item != NULL)
    start = g_date_time_new_from_unix_local (hc_appointment_item_get_start_time (item));
  else
    {
      /* The next whole hour, a sensible default for a booking. */
      g_autoptr(GDateTime) now = g_date_time_new_now_local ();
      g_autoptr(GDateTime) later = g_date_time_add_hours (now, 1);

      start = g_date_time_new_local (g_date_time_get_year (later), g_date_time_get_month (later),
                                     g_date_time_get_day_of_month (later),
                                     g_date_time_get_hour (later), 0, 0);
    }
  date = g_date_time_format (start, "%Y-%m-%d");
  time = g_date_time_format (start, "%H:%M");
  gtk_editable_set_text (GTK_EDITABLE (self->name_row),
                         item ? hc_appointment_item_get_patient_name (item) : "");
  gtk_editable_set_text (GTK_EDITABLE (self->mobile_row),
                         item ? hc_appointment_item_get_mobile (item) : "");
  gtk_editable_set_text (GTK_EDITABLE (self->note_row),
                         item ? hc_appointment_item_get_note (item) : "");
  gtk_editable_set_text (GTK_EDITABLE (self->date_row), date);
  gtk_editable_set_text (GTK_EDITABLE (self->time_row), time);
  show_error (self, NULL);
  gtk_stack_set_visible_child_name (self->stack, "edit");
  gtk_widget_grab_focus (GTK_WIDGET (self->name_row));
}

static void
on_edit_clicked (GtkButton            *button,
                 HcAppointmentsWindow *self)
{
  edit (self, g_object_get_data (G_OBJECT (button), "appointment"));
}

static void
on_cancelled (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(HcAppointmentsWindow) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!hc_session_appointment_finish (HC_SESSION (source), result, &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) && self->session != NULL)
        adw_toast_overlay_add_toast (self->toast_overlay, adw_toast_new (error->message));
      return;
    }
  if (self->session != NULL)
    adw_toast_overlay_add_toast (self->toast_overlay,
                                 adw_toast_new (_("Appointment cancelled; the patient is told")));
}

static void
on_cancel_clicked (GtkButton            *button,
                   HcAppointmentsWindow *self)
{
  HcAppointmentItem *item = g_object_get_data (G_OBJECT (button), "appointment");

  hc_session_cancel_appointment_async (self->session, hc_appointment_item_get_sid (item),
                                       self->cancellable, on_cancelled, g_object_ref (self));
}

static GtkWidget *
create_row (gpointer item,
            gpointer user_data)
{
  HcAppointmentsWindow *self = user_data;
  HcAppointmentItem *appointment = item;
  g_autoptr(GDateTime) start = g_date_time_new_from_unix_local (
    hc_appointment_item_get_start_time (appointment));
  g_autofree char *when = start ? g_date_time_format (start, "%a %e %b, %H:%M") : g_strdup ("");
  /* Translators: time · mobile number · what happened to the texts. */
  g_autofree char *subtitle = g_strdup_printf (_("%s · %s · %s"), when,
                                               hc_appointment_item_get_mobile (appointment),
                                               hc_appointment_item_get_sms_summary (appointment));
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *edit_button = gtk_button_new_from_icon_name ("document-edit-symbolic");
  GtkWidget *cancel_button = gtk_button_new_from_icon_name ("edit-delete-symbolic");
  g_autofree char *edit_label = g_strdup_printf (_("Change the appointment of %s"),
                                                 hc_appointment_item_get_patient_name (appointment));
  g_autofree char *cancel_label = g_strdup_printf (_("Cancel the appointment of %s"),
                                                   hc_appointment_item_get_patient_name (appointment));

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row),
                                 hc_appointment_item_get_patient_name (appointment));
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  adw_action_row_set_subtitle_lines (ADW_ACTION_ROW (row), 3);
  if (hc_appointment_item_get_sms_failed (appointment))
    {
      adw_action_row_add_prefix (ADW_ACTION_ROW (row),
                                 gtk_image_new_from_icon_name ("dialog-warning-symbolic"));
      gtk_widget_add_css_class (row, "error");
    }
  for (GtkWidget **b = (GtkWidget *[]) { edit_button, cancel_button, NULL }; *b; b++)
    {
      gtk_widget_set_valign (*b, GTK_ALIGN_CENTER);
      gtk_widget_add_css_class (*b, "flat");
      g_object_set_data_full (G_OBJECT (*b), "appointment", g_object_ref (appointment),
                              g_object_unref);
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), *b);
    }
  gtk_widget_set_tooltip_text (edit_button, _("Change"));
  gtk_widget_set_tooltip_text (cancel_button, _("Cancel Appointment"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (edit_button), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  edit_label, -1);
  gtk_accessible_update_property (GTK_ACCESSIBLE (cancel_button), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  cancel_label, -1);
  g_signal_connect_object (edit_button, "clicked", G_CALLBACK (on_edit_clicked), self, 0);
  g_signal_connect_object (cancel_button, "clicked", G_CALLBACK (on_cancel_clicked), self, 0);
  return row;
}

static void
new_action (GtkWidget  *widget,
            const char *action_name,
            GVariant   *parameter)
{
  edit (HC_APPOINTMENTS_WINDOW (widget), NULL);
}

static void
back_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  HcAppointmentsWindow *self = HC_APPOINTMENTS_WINDOW (widget);

  gtk_stack_set_visible_child_name (self->stack, "list");
  update_page (self);
}

static void
on_saved (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(HcAppointmentsWindow) self = user_data;
  g_autoptr(GError) error = NULL;

  if (self->session == NULL)
    return;
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "appointments.save", TRUE);
  if (!hc_session_appointment_finish (HC_SESSION (source), result, &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        show_error (self, error->message);
      return;
    }
  adw_toast_overlay_add_toast (self->toast_overlay,
                               adw_toast_new (_("Saved; the patient gets a text")));
  gtk_stack_set_visible_child_name (self->stack, "list");
  update_page (self);
}

static void
save_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  HcAppointmentsWindow *self = HC_APPOINTMENTS_WINDOW (widget);
  g_autoptr(GError) error = NULL;
  g_autofree char *mobile = NULL;
  g_autofree char *iso = NULL;
  g_autoptr(GTimeZone) local = g_time_zone_new_local ();
  g_autoptr(GDateTime) start = NULL;
  const char *name = gtk_editable_get_text (GTK_EDITABLE (self->name_row));

  if (*name == '\0')
    {
      show_error (self, _("Enter the patient’s name."));
      return;
    }
  mobile = hc_phone_normalize (gtk_editable_get_text (GTK_EDITABLE (self->mobile_row)), &error);
  if (mobile == NULL)
    {
      show_error (self, error->message);
      return;
    }
  iso = g_strdup_printf ("%sT%s:00", gtk_editable_get_text (GTK_EDITABLE (self->date_row)),
                         gtk_editable_get_text (GTK_EDITABLE (self->time_row)));
  start = g_date_time_new_from_iso8601 (iso, local);
  if (start == NULL)
    {
      show_error (self, _("Enter the date as 2026-12-01 and the time as 14:30."));
      return;
    }
  show_error (self, NULL);
  gtk_widget_action_set_enabled (widget, "appointments.save", FALSE);
  hc_session_save_appointment_async (self->session, self->editing_sid, name, mobile, start,
                                     gtk_editable_get_text (GTK_EDITABLE (self->note_row)),
                                     self->cancellable, on_saved, g_object_ref (self));
}

static void
hc_appointments_window_dispose (GObject *object)
{
  HcAppointmentsWindow *self = HC_APPOINTMENTS_WINDOW (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_handle_id (&self->refresh_id, g_source_remove);
  /* A request still in flight holds the window: nothing may reach the
   * widgets once they are gone. */
  if (self->session != NULL)
    g_signal_handlers_disconnect_by_data (hc_session_get_appointments (self->session), self);
  g_clear_object (&self->session);
  gtk_widget_dispose_template (GTK_WIDGET (self), HC_TYPE_APPOINTMENTS_WINDOW);

  G_OBJECT_CLASS (hc_appointments_window_parent_class)->dispose (object);
}

static void
hc_appointments_window_finalize (GObject *object)
{
  HcAppointmentsWindow *self = HC_APPOINTMENTS_WINDOW (object);

  g_free (self->editing_sid);

  G_OBJECT_CLASS (hc_appointments_window_parent_class)->finalize (object);
}

static void
hc_appointments_window_class_init (HcAppointmentsWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = hc_appointments_window_dispose;
  object_class->finalize = hc_appointments_window_finalize;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/housecall/Console/hc-appointments-window.ui");
  gtk_widget_class_bind_template_child (widget_class, HcAppointmentsWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, HcAppointmentsWindow, stack);
  gtk_widget_class_bind_template_child (widget_class, HcAppointmentsWindow, list);
  gtk_widget_class_bind_template_child (widget_class, HcAppointmentsWindow, name_row);
  gtk_widget_class_bind_template_child (widget_class, HcAppointmentsWindow, mobile_row);
  gtk_widget_class_bind_template_child (widget_class, HcAppointmentsWindow, date_row);
  gtk_widget_class_bind_template_child (widget_class, HcAppointmentsWindow, time_row);
  gtk_widget_class_bind_template_child (widget_class, HcAppointmentsWindow, note_row);
  gtk_widget_class_bind_template_child (widget_class, HcAppointmentsWindow, error_label);
  gtk_widget_class_install_action (widget_class, "appointments.new", NULL, new_action);
  gtk_widget_class_install_action (widget_class, "appointments.back", NULL, back_action);
  gtk_widget_class_install_action (widget_class, "appointments.save", NULL, save_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_n, GDK_CONTROL_MASK,
                                       "appointments.new", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
hc_appointments_window_init (HcAppointmentsWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->cancellable = g_cancellable_new ();
  g_signal_connect_swapped (self->mobile_row, "changed", G_CALLBACK (on_mobile_changed), self);
}

HcAppointmentsWindow *
hc_appointments_window_new (GtkWindow *parent,
                            HcSession *session)
{
  /* Part of the application, so that its shortcuts (Ctrl+Q) work here too. */
  HcAppointmentsWindow *self = g_object_new (HC_TYPE_APPOINTMENTS_WINDOW,
                                             "transient-for", parent,
                                             "application", parent ? gtk_window_get_application (parent)
                                                                   : NULL,
                                             NULL);

  self->session = g_object_ref (session);
  gtk_list_box_bind_model (self->list, hc_session_get_appointments (session), create_row, self,
                           NULL);
  g_signal_connect_object (hc_session_get_appointments (session), "items-changed",
                           G_CALLBACK (update_page), self, G_CONNECT_SWAPPED);
  update_page (self);
  on_refresh_timeout (self);
  self->refresh_id = g_timeout_add_seconds (REFRESH_SECONDS, on_refresh_timeout, self);
  return self;
}
