/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "HcPreferencesWindow"

#include "config.h"

#include "hc-application.h"
#include "hc-preferences-window.h"

#include <glib/gi18n.h>

struct _HcPreferencesWindow
{
  AdwPreferencesWindow  parent_instance;

  GSettings            *settings;

  AdwEntryRow          *server_row;
  AdwActionRow         *start_muted_row;
  GtkSwitch            *start_muted_switch;
  AdwActionRow         *start_camera_off_row;
  GtkSwitch            *start_camera_off_switch;
  AdwComboRow          *capture_profile_row;
  AdwActionRow         *bitrate_row;
  GtkSpinButton        *bitrate_spin;
  AdwComboRow          *codec_row;
  AdwActionRow         *simulcast_row;
  GtkSwitch            *simulcast_switch;
  AdwPreferencesGroup  *interpreters_group;
  AdwActionRow         *no_interpreters_row;
};

G_DEFINE_FINAL_TYPE (HcPreferencesWindow, hc_preferences_window, ADW_TYPE_PREFERENCES_WINDOW)

/* The schema's choices, in the order of the combo rows' items. */
static const char * const capture_profiles[] = {
  "720p", "480p", "360p", "test-pattern-720p", "test-pattern-360p", NULL
};
static const char * const codecs[] = { "vp8", "h264", NULL };

static gboolean
choice_to_index (GValue   *value,
                 GVariant *variant,
                 gpointer  user_data)
{
  const char * const *choices = user_data;
  const char *choice = g_variant_get_string (variant, NULL);

  for (guint i = 0; choices[i] != NULL; i++)
    if (g_strcmp0 (choices[i], choice) == 0)
      {
        g_value_set_uint (value, i);
        return TRUE;
      }
  return FALSE;
}

static GVariant *
index_to_choice (const GValue       *value,
                 const GVariantType *expected_type,
                 gpointer            user_data)
{
  const char * const *choices = user_data;
  guint index = g_value_get_uint (value);

  if (index >= g_strv_length ((char **) choices))
    return NULL;
  return g_variant_new_string (choices[index]);
}

/* A locked key: the row shows the value, cannot change it, and says who set
 * it. G_SETTINGS_BIND_DEFAULT already keeps a locked key's widget
 * insensitive; this adds the reason. */
static void
mark_locked (HcPreferencesWindow *self,
             const char          *key,
             GtkWidget           *row)
{
  gboolean locked = !g_settings_is_writable (self->settings, key);

  gtk_widget_set_sensitive (row, !locked);
  if (locked)
    {
      gtk_widget_set_tooltip_text (row, _("Set by your administrator"));
      if (ADW_IS_ACTION_ROW (row))
        adw_action_row_set_subtitle (ADW_ACTION_ROW (row), _("Set by your administrator"));
      gtk_accessible_update_property (GTK_ACCESSIBLE (row), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
                                      _("Set by your administrator"), -1);
    }
}

static void
fill_interpreter_lines (HcPreferencesWindow *self)
{
  g_autoptr(GVariant) lines = g_settings_get_value (self->settings, "interpreter-lines");
  GVariantIter iter;
  const char *language, *number, *digits;

  gtk_widget_set_visible (GTK_WIDGET (self->no_interpreters_row),
                          g_variant_n_children (lines) == 0);
  g_variant_iter_init (&iter, lines);
  while (g_variant_iter_next (&iter, "(&s&s&s)", &language, &number, &digits))
    {
      GtkWidget *row = adw_action_row_new ();

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), language);
      adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), number);
      adw_preferences_group_add (self->interpreters_group, row);
    }
}

static void
hc_preferences_window_dispose (GObject *object)
{
  HcPreferencesWindow *self = HC_PREFERENCES_WINDOW (object);

  gtk_widget_dispose_template (GTK_WIDGET (self), HC_TYPE_PREFERENCES_WINDOW);
  g_clear_object (&self->settings);

  G_OBJECT_CLASS (hc_preferences_window_parent_class)->dispose (object);
}

static void
hc_preferences_window_class_init (HcPreferencesWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = hc_preferences_window_dispose;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/housecall/Console/hc-preferences-window.ui");
  gtk_widget_class_bind_template_child (widget_class, HcPreferencesWindow, server_row);
  gtk_widget_class_bind_template_child (widget_class, HcPreferencesWindow, start_muted_row);
  gtk_widget_class_bind_template_child (widget_class, HcPreferencesWindow, start_muted_switch);
  gtk_widget_class_bind_template_child (widget_class, HcPreferencesWindow, start_camera_off_row);
  gtk_widget_class_bind_template_child (widget_class, HcPreferencesWindow, start_camera_off_switch);
  gtk_widget_class_bind_template_child (widget_class, HcPreferencesWindow, capture_profile_row);
  gtk_widget_class_bind_template_child (widget_class, HcPreferencesWindow, bitrate_row);
  gtk_widget_class_bind_template_child (widget_class, HcPreferencesWindow, bitrate_spin);
  gtk_widget_class_bind_template_child (widget_class, HcPreferencesWindow, codec_row);
  gtk_widget_class_bind_template_child (widget_class, HcPreferencesWindow, simulcast_row);
  gtk_widget_class_bind_template_child (widget_class, HcPreferencesWindow, simulcast_switch);
  gtk_widget_class_bind_template_child (widget_class, HcPreferencesWindow, interpreters_group);
  gtk_widget_class_bind_template_child (widget_class, HcPreferencesWindow, no_interpreters_row);
}

static void
hc_preferences_window_init (HcPreferencesWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->settings = g_settings_new (HC_SETTINGS_SCHEMA_ID);
  g_settings_bind (self->settings, "server-url", self->server_row, "text",
                   G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "start-muted", self->start_muted_switch, "active",
                   G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "start-camera-off", self->start_camera_off_switch, "active",
                   G_SETTINGS_BIND_DEFAULT);
  g_settings_bind_with_mapping (self->settings, "capture-profile", self->capture_profile_row,
                                "selected", G_SETTINGS_BIND_DEFAULT, choice_to_index,
                                index_to_choice, (gpointer) capture_profiles, NULL);
  g_settings_bind (self->settings, "max-video-bitrate",
                   gtk_spin_button_get_adjustment (self->bitrate_spin), "value",
                   G_SETTINGS_BIND_DEFAULT);
  g_settings_bind_with_mapping (self->settings, "preferred-codec", self->codec_row, "selected",
                                G_SETTINGS_BIND_DEFAULT, choice_to_index, index_to_choice,
                                (gpointer) codecs, NULL);
  g_settings_bind (self->settings, "simulcast", self->simulcast_switch, "active",
                   G_SETTINGS_BIND_DEFAULT);

  mark_locked (self, "server-url", GTK_WIDGET (self->server_row));
  mark_locked (self, "start-muted", GTK_WIDGET (self->start_muted_row));
  mark_locked (self, "start-camera-off", GTK_WIDGET (self->start_camera_off_row));
  mark_locked (self, "capture-profile", GTK_WIDGET (self->capture_profile_row));
  mark_locked (self, "max-video-bitrate", GTK_WIDGET (self->bitrate_row));
  mark_locked (self, "preferred-codec", GTK_WIDGET (self->codec_row));
  mark_locked (self, "simulcast", GTK_WIDGET (self->simulcast_row));
  fill_interpreter_lines (self);
}

HcPreferencesWindow *
hc_preferences_window_new (GtkWindow *parent)
{
  return g_object_new (HC_TYPE_PREFERENCES_WINDOW,
                       "transient-for", parent,
                       NULL);
}
