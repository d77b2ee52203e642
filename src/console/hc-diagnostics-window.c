/* SPDX-License-Identifier: GPL-3.0-or-later */

#define G_LOG_DOMAIN "HcDiagnosticsWindow"

#include "config.h"

#include "hc-diagnostics-window.h"

#include <glib/gi18n.h>

struct _HcDiagnosticsWindow
{
  AdwWindow     parent_instance;

  HcCallEngine *engine;
  GtkLabel     *report;
};

G_DEFINE_FINAL_TYPE (HcDiagnosticsWindow, hc_diagnostics_window, ADW_TYPE_WINDOW)

static const char *
lookup_string (GVariantDict *dict,
               const char   *key)
{
  const char *value = NULL;

  if (!g_variant_dict_lookup (dict, key, "&s", &value))
    return "";
  return value;
}

static double
lookup_double (GVariantDict *dict,
               const char   *key)
{
  double value = -1;

  g_variant_dict_lookup (dict, key, "d", &value);
  return value;
}

static int
lookup_int (GVariantDict *dict,
            const char   *key)
{
  int value = -1;

  g_variant_dict_lookup (dict, key, "i", &value);
  return value;
}

/* " value unit", right-aligned in @width characters; "–" when not known. */
static void
append_measure (GString    *line,
                double      value,
                int         width,
                int         decimals,
                const char *unit)
{
  if (value < 0)
    g_string_append_printf (line, " %*s%s", width, "–", unit);
  else
    g_string_append_printf (line, " %*.*f%s", width, decimals, value, unit);
}

char *
hc_diagnostics_format (HcCallEngine *engine,
                       GVariant     *diagnostics)
{
  g_autoptr(GString) text = g_string_new (NULL);
  g_auto(GVariantDict) dict = G_VARIANT_DICT_INIT (diagnostics);
  g_autoptr(GVariant) tracks = NULL;
  const char *description = engine ? hc_call_engine_get_network_quality_description (engine) : NULL;
  GVariantIter iter;
  GVariant *track;

  if (diagnostics == NULL)
    return g_strdup (_("Waiting for the first statistics…"));

  g_string_append_printf (text, _("Your connection: %d of 5"), lookup_int (&dict, "level"));
  if (description != NULL)
    g_string_append_printf (text, " — %s", description);
  g_string_append_c (text, '\n');
  g_string_append_printf (text, _("Audio sent %d · audio received %d · video sent %d · "
                                  "video received %d · adaptation step %d of 3"),
                          lookup_int (&dict, "audio-send-level"),
                          lookup_int (&dict, "audio-recv-level"),
                          lookup_int (&dict, "video-send-level"),
                          lookup_int (&dict, "video-recv-level"),
                          lookup_int (&dict, "adaptation-step"));
  g_string_append (text, "\n\n");
  /* Translators: column headings of the diagnostics table; keep them short. */
  g_string_append_printf (text, "%-18s %-7s %-6s %5s %11s %6s %10s %7s %8s %8s %s\n",
                          _("Who"), _("Dir."), _("Kind"), _("Layer"), _("Resolution"),
                          _("FPS"), _("kbit/s"), _("Loss"), _("RTT"), _("Jitter"),
                          _("Candidate"));

  tracks = g_variant_dict_lookup_value (&dict, "tracks", G_VARIANT_TYPE ("aa{sv}"));
  if (tracks == NULL)
    return g_string_free (g_steal_pointer (&text), FALSE);
  g_variant_iter_init (&iter, tracks);
  while ((track = g_variant_iter_next_value (&iter)) != NULL)
    {
      g_auto(GVariantDict) t = G_VARIANT_DICT_INIT (track);
      const char *sid = lookup_string (&t, "participant");
      const char *direction = lookup_string (&t, "direction");
      const char *kind = lookup_string (&t, "kind");
      HcRemoteParticipant *who = engine ? hc_call_engine_find_participant (engine, sid) : NULL;
      const char *name = g_str_equal (direction, "send") ? _("You")
                         : who ? hc_remote_participant_get_name (who)
                               : lookup_string (&t, "identity");
      g_autofree char *size = NULL;
      g_autofree char *shown = g_utf8_substring (name, 0, MIN (g_utf8_strlen (name, -1), 18));
      double lost = lookup_double (&t, "fraction-lost");
      double bitrate = lookup_double (&t, "bitrate-bps");
      int width = lookup_int (&t, "width");
      int height = lookup_int (&t, "height");
      int layer = lookup_int (&t, "layer");

      size = width > 0 && height > 0 ? g_strdup_printf ("%d×%d", width, height) : g_strdup ("–");
      g_string_append_printf (text, "%-18s %-7s %-6s ", shown, direction, kind);
      if (layer >= 0)
        g_string_append_printf (text, "%5d", layer);
      else
        g_string_append_printf (text, "%5s", "–");
      g_string_append_printf (text, " %11s", size);
      append_measure (text, g_str_equal (kind, "video") ? lookup_double (&t, "frame-rate") : -1,
                      5, 1, "");
      append_measure (text, bitrate >= 0 ? bitrate / 1000 : -1, 10, 0, "");
      append_measure (text, lost >= 0 ? lost * 100 : -1, 6, 1, "%");
      append_measure (text, lookup_double (&t, "rtt-ms"), 5, 0, " ms");
      append_measure (text, lookup_double (&t, "jitter-ms"), 5, 0, " ms");
      g_string_append_printf (text, " %s\n", lookup_string (&t, "candidate-type"));
      g_variant_unref (track);
    }
  return g_string_free (g_steal_pointer (&text), FALSE);
}

static void
update_report (HcDiagnosticsWindow *self)
{
  g_autofree char *text = NULL;

  /* Not while hidden: GTK 4.8's accessibility code trips over hidden windows'
   * text changing (see hc-window.c); shown again, it refreshes. */
  if (self->engine == NULL || !gtk_widget_get_mapped (GTK_WIDGET (self)))
    return;
  text = hc_diagnostics_format (self->engine, hc_call_engine_get_diagnostics (self->engine));
  gtk_label_set_text (self->report, text);
}

static void
hc_diagnostics_window_dispose (GObject *object)
{
  HcDiagnosticsWindow *self = HC_DIAGNOSTICS_WINDOW (object);

  if (self->engine != NULL)
    g_signal_handlers_disconnect_by_data (self->engine, self);
  g_clear_object (&self->engine);

  G_OBJECT_CLASS (hc_diagnostics_window_parent_class)->dispose (object);
}

static void
hc_diagnostics_window_class_init (HcDiagnosticsWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = hc_diagnostics_window_dispose;
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
hc_diagnostics_window_init (HcDiagnosticsWindow *self)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  GtkWidget *header = adw_header_bar_new ();
  GtkWidget *scroller = gtk_scrolled_window_new ();
  GtkWidget *label = gtk_label_new (NULL);

  gtk_window_set_title (GTK_WINDOW (self), _("Call Diagnostics"));
  gtk_window_set_default_size (GTK_WINDOW (self), 900, 360);
  gtk_box_append (GTK_BOX (box), header);
  gtk_label_set_selectable (GTK_LABEL (label), TRUE);
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_label_set_yalign (GTK_LABEL (label), 0);
  gtk_widget_add_css_class (label, "monospace");
  gtk_widget_set_margin_start (label, 12);
  gtk_widget_set_margin_end (label, 12);
  gtk_widget_set_margin_top (label, 12);
  gtk_widget_set_margin_bottom (label, 12);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scroller), label);
  gtk_widget_set_vexpand (scroller, TRUE);
  gtk_box_append (GTK_BOX (box), scroller);
  adw_window_set_content (ADW_WINDOW (self), box);
  self->report = GTK_LABEL (label);
  g_signal_connect (self, "map", G_CALLBACK (update_report), NULL);
}

GtkWindow *
hc_diagnostics_window_new (GtkWindow *parent)
{
  return g_object_new (HC_TYPE_DIAGNOSTICS_WINDOW,
                       "transient-for", parent,
                       "application", parent ? gtk_window_get_application (parent) : NULL,
                       "hide-on-close", TRUE,
                       NULL);
}

void
hc_diagnostics_window_set_engine (HcDiagnosticsWindow *self,
                                  HcCallEngine        *engine)
{
  g_return_if_fail (HC_IS_DIAGNOSTICS_WINDOW (self));
  g_return_if_fail (engine == NULL || HC_IS_CALL_ENGINE (engine));

  if (self->engine == engine)
    return;
  if (self->engine != NULL)
    g_signal_handlers_disconnect_by_data (self->engine, self);
  g_set_object (&self->engine, engine);
  if (engine != NULL)
    g_signal_connect_object (engine, "notify::diagnostics", G_CALLBACK (update_report), self,
                             G_CONNECT_SWAPPED);
  update_report (self);
}
