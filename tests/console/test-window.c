/* SPDX-License-Identifier: GPL-3.0-or-later */

#define G_LOG_DOMAIN "HcTestWindow"

#include "config.h"

#include "hc-application.h"
#include "hc-queue-entry.h"
#include "hc-session.h"
#include "hc-window.h"

#include <adwaita.h>

/* Runs the main loop until @condition holds or five seconds pass. */
static gboolean
wait_until (gboolean (*condition) (gpointer data),
            gpointer   data)
{
  gint64 deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;

  while (!condition (data))
    {
      if (g_get_monotonic_time () > deadline)
        return FALSE;
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }

  return TRUE;
}

static gboolean
widget_is_mapped (gpointer data)
{
  return gtk_widget_get_mapped (GTK_WIDGET (data));
}

typedef void (*AppTestFunc) (HcApplication *app);

static void
on_activate_after (GApplication *app,
                   gpointer      user_data)
{
  AppTestFunc func = (AppTestFunc) user_data;

  /* Once is enough: the test may activate the application again. */
  g_signal_handlers_disconnect_by_func (app, on_activate_after, user_data);

  func (HC_APPLICATION (app));
  g_application_quit (app);
}

/* Runs @func inside a real application run: startup, activate (which opens the window)
 * and shutdown, after which the application, and everything it held, must be gone.
 * Only a full run breaks the reference cycles GtkApplication sets up in startup. */
static void
run_in_application (AppTestFunc func)
{
  HcApplication *app;

  /* NON_UNIQUE: each test gets its own instance even though they share one bus. */
  app = hc_application_new (APP_ID, G_APPLICATION_NON_UNIQUE);
  g_signal_connect_after (app, "activate", G_CALLBACK (on_activate_after), func);

  g_assert_cmpint (g_application_run (G_APPLICATION (app), 0, NULL), ==, 0);
  g_assert_finalize_object (app);
}

/* The window activate opened, once it is on screen; the caller owns the reference. */
static HcWindow *
main_window (HcApplication *app)
{
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (app));

  g_assert_true (HC_IS_WINDOW (window));
  g_assert_true (wait_until (widget_is_mapped, window));

  return g_object_ref (HC_WINDOW (window));
}

static void
close_and_finalize (HcWindow *window)
{
  gtk_window_close (GTK_WINDOW (window));
  g_assert_finalize_object (window);
}

static void
check_actions (HcApplication *app)
{
  g_auto(GStrv) accels = NULL;

  g_assert_true (g_action_group_has_action (G_ACTION_GROUP (app), "quit"));
  g_assert_true (g_action_group_has_action (G_ACTION_GROUP (app), "about"));

  accels = gtk_application_get_accels_for_action (GTK_APPLICATION (app), "app.quit");
  g_assert_nonnull (accels);
  g_assert_cmpstr (accels[0], ==, "<Control>q");
  g_assert_null (accels[1]);

  close_and_finalize (main_window (app));
}

static void
test_application_actions (void)
{
  run_in_application (check_actions);
}

static void
check_window (HcApplication *app)
{
  HcWindow *window = main_window (app);

  g_assert_true (gtk_window_get_application (GTK_WINDOW (window)) == GTK_APPLICATION (app));
  g_assert_cmpstr (gtk_window_get_title (GTK_WINDOW (window)), ==, "Housecall");

  /* GtkApplication adds the shortcuts window from our resources by itself; its action
   * shows that the resource base path is right. */
  g_assert_true (g_action_group_has_action (G_ACTION_GROUP (window), "show-help-overlay"));

  /* Launching again raises the window rather than opening a second one. */
  g_application_activate (G_APPLICATION (app));
  g_assert_cmpuint (g_list_length (gtk_application_get_windows (GTK_APPLICATION (app))), ==, 1);

  close_and_finalize (window);
}

static void
test_window_lifecycle (void)
{
  run_in_application (check_window);
}

static void
check_about (HcApplication *app)
{
  HcWindow *window = main_window (app);
  GListModel *toplevels = gtk_window_get_toplevels ();
  GtkWindow *about = NULL;

  g_action_group_activate_action (G_ACTION_GROUP (app), "about", NULL);

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GtkWindow) toplevel = g_list_model_get_item (toplevels, i);

      if (ADW_IS_ABOUT_WINDOW (toplevel))
        about = g_object_ref (toplevel);
    }

  g_assert_nonnull (about);
  g_assert_true (gtk_window_get_transient_for (about) == GTK_WINDOW (window));
  g_assert_cmpstr (adw_about_window_get_version (ADW_ABOUT_WINDOW (about)), ==,
                   PACKAGE_VERSION);
  g_assert_cmpstr (adw_about_window_get_application_icon (ADW_ABOUT_WINDOW (about)), ==,
                   APP_ID);

  gtk_window_destroy (about);
  g_assert_finalize_object (about);

  close_and_finalize (window);
}

static void
test_window_about (void)
{
  run_in_application (check_about);
}

static void
check_window_state (HcApplication *app)
{
  g_autoptr(GSettings) settings = g_settings_new (HC_SETTINGS_SCHEMA_ID);
  HcWindow *window = main_window (app);
  int width;
  int height;

  /* The window came back at the size it was closed at. */
  gtk_window_get_default_size (GTK_WINDOW (window), &width, &height);
  g_assert_cmpint (width, ==, 1000);
  g_assert_cmpint (height, ==, 700);

  /* Closing it, as its close button does, stores the size for the next start. */
  gtk_window_set_default_size (GTK_WINDOW (window), 1100, 720);
  close_and_finalize (window);

  g_assert_cmpint (g_settings_get_int (settings, "window-width"), ==, 1100);
  g_assert_cmpint (g_settings_get_int (settings, "window-height"), ==, 720);
  g_assert_false (g_settings_get_boolean (settings, "window-maximized"));
}

static void
test_window_state (void)
{
  g_autoptr(GSettings) settings = g_settings_new (HC_SETTINGS_SCHEMA_ID);

  g_settings_set_int (settings, "window-width", 1000);
  g_settings_set_int (settings, "window-height", 700);

  run_in_application (check_window_state);

  g_settings_reset (settings, "window-width");
  g_settings_reset (settings, "window-height");
}

/* One waiting patient as the server lists them. */
static GPtrArray *
queue_answer (gint64 waited,
              guint  n)
{
  GPtrArray *fresh = g_ptr_array_new_with_free_func (g_object_unref);

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(JsonObject) object = json_object_new ();
      g_autofree char *name = g_strdup_printf ("Patient %u", i + 1);

      json_object_set_int_member (object, "id", i + 1);
      json_object_set_string_member (object, "name", name);
      json_object_set_string_member (object, "status", "waiting");
      json_object_set_string_member (object, "start_time", "2026-12-07T09:30:00Z");
      json_object_set_int_member (object, "waited_seconds", waited);
      json_object_set_int_member (object, "verdict", 4);
      json_object_set_boolean_member (object, "devices_ok", TRUE);
      json_object_set_boolean_member (object, "connected", TRUE);
      g_ptr_array_add (fresh, hc_queue_entry_new_from_json (object));
    }
  return fresh;
}

/* The Admit button inside @widget, if any. */
static GtkWidget *
find_admit_button (GtkWidget *widget)
{
  if (GTK_IS_BUTTON (widget) &&
      g_strcmp0 (gtk_actionable_get_action_name (GTK_ACTIONABLE (widget)), "win.admit") == 0)
    return widget;

  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_admit_button (child);

      if (found != NULL)
        return found;
    }
  return NULL;
}

static void
spin (guint milliseconds)
{
  gint64 until = g_get_monotonic_time () + milliseconds * 1000;

  while (g_get_monotonic_time () < until)
    {
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
}

static void
check_queue_focus (HcApplication *app)
{
  HcWindow *window = main_window (app);
  GListStore *queue = G_LIST_STORE (hc_session_get_queue (hc_application_get_session (app)));
  GtkStack *pages = GTK_STACK (gtk_widget_get_template_child (GTK_WIDGET (window),
                                                              HC_TYPE_WINDOW, "pages"));
  GtkListBox *list = GTK_LIST_BOX (gtk_widget_get_template_child (GTK_WIDGET (window),
                                                                  HC_TYPE_WINDOW, "queue_list"));
  g_autoptr(GPtrArray) first = queue_answer (60, 2);
  g_autoptr(GPtrArray) second = queue_answer (63, 3);
  GtkListBoxRow *row;
  GtkWidget *admit;

  hc_queue_entry_merge (queue, first);
  gtk_stack_set_visible_child_name (pages, "main");
  row = gtk_list_box_get_row_at_index (list, 0);
  g_assert_nonnull (row);
  admit = find_admit_button (GTK_WIDGET (row));
  g_assert_nonnull (admit);
  g_assert_true (wait_until (widget_is_mapped, admit));
  g_assert_true (gtk_widget_grab_focus (admit));
  g_assert_true (gtk_root_get_focus (GTK_ROOT (window)) == admit);

  /* The next poll: the same patients, who waited longer, and one more. Their row
   * and its button stay, the focus with it, and the row says the new time. */
  hc_queue_entry_merge (queue, second);
  spin (100);
  g_assert_true (gtk_list_box_get_row_at_index (list, 0) == row);
  g_assert_true (find_admit_button (GTK_WIDGET (row)) == admit);
  g_assert_true (gtk_root_get_focus (GTK_ROOT (window)) == admit);
  g_assert_nonnull (gtk_list_box_get_row_at_index (list, 2));
  g_assert_null (gtk_list_box_get_row_at_index (list, 3));

  close_and_finalize (window);
}

/* A waiting-room poll keeps the rows that are still there, and the keyboard focus
 * on an Admit button with them (it once rebuilt every row every 3 s). */
static void
test_window_queue_focus (void)
{
  run_in_application (check_queue_focus);
}

int
main (int   argc,
      char *argv[])
{
  gtk_test_init (&argc, &argv, NULL);
  adw_init ();

  g_test_add_func ("/console/application/actions", test_application_actions);
  g_test_add_func ("/console/window/lifecycle", test_window_lifecycle);
  g_test_add_func ("/console/window/about", test_window_about);
  g_test_add_func ("/console/window/state", test_window_state);
  g_test_add_func ("/console/window/queue-focus", test_window_queue_focus);

  return g_test_run ();
}
