/* SPDX-License-Identifier: GPL-3.0-or-later */

#define G_LOG_DOMAIN "HcWindow"

#include "config.h"

#include "hc-window.h"

struct _HcWindow
{
  AdwApplicationWindow parent_instance;

  GSettings *settings;
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

  gtk_widget_dispose_template (GTK_WIDGET (self), HC_TYPE_WINDOW);

  G_OBJECT_CLASS (hc_window_parent_class)->dispose (object);
}

static void
hc_window_finalize (GObject *object)
{
  HcWindow *self = HC_WINDOW (object);

  g_clear_object (&self->settings);

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
}

static void
hc_window_init (HcWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

#if DEVELOPMENT
  gtk_widget_add_css_class (GTK_WIDGET (self), "devel");
#endif

  self->settings = g_settings_new (HC_SETTINGS_SCHEMA_ID);
  restore_window_state (self);
}

HcWindow *
hc_window_new (HcApplication *application)
{
  g_return_val_if_fail (application == NULL || HC_IS_APPLICATION (application), NULL);

  return g_object_new (HC_TYPE_WINDOW,
                       "application", application,
                       NULL);
}
