/* SPDX-License-Identifier: GPL-3.0-or-later */

#define G_LOG_DOMAIN "HcWindow"

#include "config.h"

#include "hc-appointments-window.h"
#include "hc-call-engine.h"
#include "hc-call-view.h"
#include "hc-diagnostics-window.h"
#include "hc-interpreter-dialog.h"
#include "hc-queue-entry.h"
#include "hc-room-item.h"
#include "hc-session.h"
#include "hc-sign-in-page.h"
#include "hc-window.h"

#include <glib/gi18n.h>
#include <gst/gst.h>

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
  GtkWindow       *interpreter;      /* likewise */
  GtkWindow       *new_room_dialog;  /* likewise, message dialogs too (see reusable_dialog) */
  GtkWindow       *remove_dialog;
  GtkWindow       *end_dialog;
  GtkWindow       *diagnostics;
  AdwWindowTitle  *waiting_room_title;
  GtkStack        *stage_stack;
  HcCallView      *call_view;
  GtkStack        *participants_stack;
  GtkListBox      *participants_list;

  HcCallEngine    *engine;           /* the call on the stage, if any */
  GCancellable    *call_cancellable;
  gboolean         closing;          /* the window waits for the call to be left */
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
  g_autofree char *join_label = g_strdup_printf (_("Join %s"), hc_room_item_get_unique_name (room));
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *join;

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), hc_room_item_get_unique_name (room));
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  adw_action_row_add_prefix (ADW_ACTION_ROW (row),
                             gtk_image_new_from_icon_name ("camera-video-symbolic"));
  join = gtk_button_new_with_mnemonic (_("_Join"));
  gtk_widget_set_valign (join, GTK_ALIGN_CENTER);
  gtk_actionable_set_action_name (GTK_ACTIONABLE (join), "win.join-room");
  gtk_actionable_set_action_target (GTK_ACTIONABLE (join), "s", hc_room_item_get_sid (room));
  gtk_accessible_update_property (GTK_ACCESSIBLE (join), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  join_label, -1);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), join);
  gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), TRUE);
  gtk_actionable_set_action_name (GTK_ACTIONABLE (row), "win.join-room");
  gtk_actionable_set_action_target (GTK_ACTIONABLE (row), "s", hc_room_item_get_sid (room));
  gtk_widget_set_tooltip_text (row, _("Join this visit room"));
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

/* Shows @entry's values in its row; called again whenever they change. */
static void
refresh_queue_row (GtkWidget    *row,
                   GParamSpec   *pspec,
                   HcQueueEntry *entry)
{
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
  GtkImage *icon = g_object_get_data (G_OBJECT (row), "hc-readiness-icon");
  GtkWidget *admit = g_object_get_data (G_OBJECT (row), "hc-admit-button");

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), hc_queue_entry_get_name (entry));
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  gtk_image_set_from_icon_name (icon, hc_queue_entry_get_verdict (entry) > 2 &&
                                      hc_queue_entry_get_devices_ok (entry)
                                        ? "emblem-ok-symbolic" : "dialog-warning-symbolic");
  gtk_accessible_update_property (GTK_ACCESSIBLE (admit), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  admit_label, -1);
}

static GtkWidget *
create_queue_row (gpointer item,
                  gpointer user_data)
{
  HcQueueEntry *entry = item;
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *icon = gtk_image_new ();
  GtkWidget *admit = gtk_button_new_with_mnemonic (_("_Admit"));

  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_action_row_set_subtitle_lines (ADW_ACTION_ROW (row), 2);
  adw_action_row_add_prefix (ADW_ACTION_ROW (row), icon);
  gtk_widget_set_valign (admit, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (admit, "suggested-action");
  gtk_actionable_set_action_name (GTK_ACTIONABLE (admit), "win.admit");
  gtk_actionable_set_action_target (GTK_ACTIONABLE (admit), "x", hc_queue_entry_get_id (entry));
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), admit);
  g_object_set_data (G_OBJECT (row), "hc-readiness-icon", icon);
  g_object_set_data (G_OBJECT (row), "hc-admit-button", admit);

  refresh_queue_row (row, NULL, entry);
  /* The entry outlives a poll (hc_queue_entry_merge), the row follows it. */
  g_signal_connect_object (entry, "notify", G_CALLBACK (refresh_queue_row), row,
                           G_CONNECT_SWAPPED);
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

/* The call. The window owns the engine for as long as a visit is on the stage;
 * the stage (HcCallView) and the participants panel only show it. */

static void update_call_actions (HcWindow *self);

static void
describe_participant (HcRemoteParticipant *participant,
                      AdwActionRow        *row)
{
  g_autoptr(GString) state = g_string_new (NULL);
  int quality = hc_remote_participant_get_network_quality_level (participant);
  const char *reason = hc_remote_participant_get_network_quality_description (participant);

  if (hc_remote_participant_get_is_dominant_speaker (participant))
    g_string_append (state, _("Speaking"));
  else
    g_string_append (state, _("Connected"));
  if (hc_remote_participant_get_audio_muted (participant))
    g_string_append_printf (state, " · %s", _("microphone off"));
  if (hc_remote_participant_get_video_muted (participant))
    g_string_append_printf (state, " · %s", _("camera off"));
  if (quality >= 0)
    {
      /* Translators: network quality, e.g. "connection 4 of 5". */
      g_autofree char *words = g_strdup_printf (_("connection %d of 5"), quality);

      g_string_append_printf (state, " · %s", words);
      if (reason != NULL && reason[0] != '\0')
        g_string_append_printf (state, " · %s", reason);
    }
  if (hc_remote_participant_get_audio_only (participant))
    g_string_append_printf (state, " · %s", _("voice only: their connection is too weak for video"));
  {
    /* Subtitles are markup; a reason may name someone with an ampersand. */
    g_autofree char *escaped = g_markup_escape_text (state->str, -1);

    adw_action_row_set_subtitle (row, escaped);
  }
}

static void
on_row_participant_notify (HcRemoteParticipant *participant,
                           GParamSpec          *pspec,
                           AdwActionRow        *row)
{
  GtkWidget *mute = g_object_get_data (G_OBJECT (row), "hc-mute-button");
  gboolean muted = hc_remote_participant_get_audio_muted (participant);
  g_autofree char *label = NULL;

  describe_participant (participant, row);
  label = g_strdup_printf (muted ? _("Unmute %s") : _("Mute %s"),
                           hc_remote_participant_get_name (participant));
  gtk_button_set_icon_name (GTK_BUTTON (mute), muted ? "microphone-disabled-symbolic"
                                                     : "microphone-sensitivity-high-symbolic");
  gtk_widget_set_tooltip_text (mute, label);
  gtk_accessible_update_property (GTK_ACCESSIBLE (mute), GTK_ACCESSIBLE_PROPERTY_LABEL, label, -1);
  gtk_actionable_set_action_target (GTK_ACTIONABLE (mute), "(sb)",
                                    hc_remote_participant_get_sid (participant), !muted);
}

static GtkWidget *
create_participant_row (gpointer item,
                        gpointer user_data)
{
  HcRemoteParticipant *participant = item;
  const char *name = hc_remote_participant_get_name (participant);
  g_autofree char *remove_label = g_strdup_printf (_("Remove %s"), name);
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *mute = gtk_button_new ();
  GtkWidget *remove = gtk_button_new_from_icon_name ("list-remove-symbolic");

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), name);
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_action_row_set_subtitle_lines (ADW_ACTION_ROW (row), 3);
  adw_action_row_add_prefix (ADW_ACTION_ROW (row),
                             adw_avatar_new (32, name, TRUE));

  /* Host controls; the server refuses them to anyone but a provider. */
  gtk_widget_set_valign (mute, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (mute, "flat");
  gtk_actionable_set_action_name (GTK_ACTIONABLE (mute), "win.mute-participant");
  g_object_set_data (G_OBJECT (row), "hc-mute-button", mute);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), mute);

  gtk_widget_set_valign (remove, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (remove, "flat");
  gtk_widget_set_tooltip_text (remove, remove_label);
  gtk_accessible_update_property (GTK_ACCESSIBLE (remove), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  remove_label, -1);
  gtk_actionable_set_action_name (GTK_ACTIONABLE (remove), "win.remove-participant");
  gtk_actionable_set_action_target (GTK_ACTIONABLE (remove), "s",
                                    hc_remote_participant_get_sid (participant));
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), remove);

  on_row_participant_notify (participant, NULL, ADW_ACTION_ROW (row));
  g_signal_connect_object (participant, "notify", G_CALLBACK (on_row_participant_notify), row, 0);
  return row;
}

static void
update_participants_stack (HcWindow *self)
{
  guint n = self->engine ? g_list_model_get_n_items (hc_call_engine_get_participants (self->engine))
                         : 0;

  gtk_stack_set_visible_child_name (self->participants_stack, n > 0 ? "list" : "empty");
}

static void
drop_engine (HcWindow *self)
{
  if (self->engine == NULL)
    return;
  g_signal_handlers_disconnect_by_data (self->engine, self);
  g_signal_handlers_disconnect_by_data (hc_call_engine_get_participants (self->engine), self);
  if (self->participants_list != NULL)
    gtk_list_box_bind_model (self->participants_list, NULL, NULL, NULL, NULL);
  if (self->call_view != NULL)
    hc_call_view_set_engine (self->call_view, NULL);
  if (self->diagnostics != NULL)
    hc_diagnostics_window_set_engine (HC_DIAGNOSTICS_WINDOW (self->diagnostics), NULL);
  g_clear_object (&self->engine);
}

static void
on_call_left (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(HcWindow) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!hc_call_engine_leave_finish (HC_CALL_ENGINE (source), result, &error) &&
      !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_PENDING))
    g_message ("Leaving the call: %s", error->message);
  if (self->closing)
    {
      /* The window goes as a whole: no stage to clear first. */
      GApplication *application = g_application_get_default ();

      if (self->engine == HC_CALL_ENGINE (source))
        drop_engine (self);
      self->closing = FALSE;
      gtk_window_destroy (GTK_WINDOW (self));
      if (application != NULL)
        g_application_release (application);
      return;
    }
  if (self->engine == HC_CALL_ENGINE (source))
    {
      drop_engine (self);
      if (self->stage_stack != NULL)
        gtk_stack_set_visible_child_name (self->stage_stack, "idle");
      update_participants_stack (self);
      update_call_actions (self);
    }
}

static void
leave_call (HcWindow *self)
{
  if (self->engine == NULL)
    return;
  g_cancellable_cancel (self->call_cancellable);
  hc_call_engine_leave_async (self->engine, NULL, on_call_left, g_object_ref (self));
}

static gboolean
return_to_idle (gpointer user_data)
{
  HcWindow *self = user_data;
  HcCallState state = self->engine ? hc_call_engine_get_state (self->engine) : HC_CALL_STATE_IDLE;

  /* The ended page stays a moment so the provider sees why; then the stage clears. */
  if (state == HC_CALL_STATE_ENDED || state == HC_CALL_STATE_FAILED)
    leave_call (self);
  return G_SOURCE_REMOVE;
}

static void
on_engine_state (HcWindow *self)
{
  HcCallState state = hc_call_engine_get_state (self->engine);

  update_call_actions (self);
  if (state == HC_CALL_STATE_ENDED || state == HC_CALL_STATE_FAILED)
    {
      HcEndReason reason = hc_call_engine_get_end_reason (self->engine);

      if (reason == HC_END_REASON_ROOM_COMPLETED)
        show_toast (self, _("The visit has ended"));
      else if (state == HC_CALL_STATE_FAILED && hc_call_engine_get_error (self->engine) != NULL)
        show_toast (self, hc_call_engine_get_error (self->engine)->message);
      g_timeout_add_seconds_full (G_PRIORITY_DEFAULT, 3, return_to_idle, g_object_ref (self),
                                  g_object_unref);
      if (self->session != NULL)
        refresh_rooms (self);
    }
}

static void
on_call_joined (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(HcWindow) self = user_data;
  g_autoptr(GError) error = NULL;

  /* A failure shows on the stage (the engine's state); a cancel is ours. */
  if (!hc_call_engine_join_finish (HC_CALL_ENGINE (source), result, &error) &&
      !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_message ("Joining the call failed: %s", error->message);
}

static void
start_call (HcWindow   *self,
            const char *room)
{
  g_autoptr(HcCallEngine) engine = NULL;
  const char *token = hc_session_get_token (self->session);

  if (self->engine != NULL)
    {
      show_toast (self, _("Leave the current visit before joining another"));
      return;
    }
  if (token == NULL)
    return;

  /* GStreamer is not loaded at start (the console opens faster): signing in starts
   * loading it in the background (update_page()); this waits for that if needed. */
  gst_init (NULL, NULL);
  engine = hc_call_engine_new ();
  hc_call_engine_bind_settings (engine, self->settings);
  self->engine = g_steal_pointer (&engine);
  g_signal_connect_object (self->engine, "notify::state", G_CALLBACK (on_engine_state), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (hc_call_engine_get_participants (self->engine), "items-changed",
                           G_CALLBACK (update_participants_stack), self, G_CONNECT_SWAPPED);
  gtk_list_box_bind_model (self->participants_list, hc_call_engine_get_participants (self->engine),
                           create_participant_row, NULL, NULL);
  hc_call_view_set_engine (self->call_view, self->engine);
  gtk_stack_set_visible_child_name (self->stage_stack, "call");
  update_participants_stack (self);
  update_call_actions (self);

  g_clear_object (&self->call_cancellable);
  self->call_cancellable = g_cancellable_new ();
  hc_call_engine_join_async (self->engine, hc_session_get_server_url (self->session), token, room,
                             self->call_cancellable, on_call_joined, g_object_ref (self));
}

static void
update_call_actions (HcWindow *self)
{
  HcCallState state = self->engine ? hc_call_engine_get_state (self->engine) : HC_CALL_STATE_IDLE;
  gboolean in_room = state == HC_CALL_STATE_JOINED || state == HC_CALL_STATE_IN_CALL ||
                     state == HC_CALL_STATE_RECONNECTING;

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.leave-call",
                                 self->engine != NULL && state != HC_CALL_STATE_ENDED &&
                                 state != HC_CALL_STATE_FAILED);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.end-visit", in_room);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.add-interpreter", in_room);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.diagnostics", self->engine != NULL);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.toggle-microphone", self->engine != NULL);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.toggle-camera", self->engine != NULL);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.mute-participant", in_room);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.remove-participant", in_room);
}

static void
join_room_action (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  start_call (HC_WINDOW (widget), g_variant_get_string (parameter, NULL));
}

static void
leave_call_action (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *parameter)
{
  leave_call (HC_WINDOW (widget));
}

static void
toggle_microphone_action (GtkWidget  *widget,
                          const char *action_name,
                          GVariant   *parameter)
{
  HcWindow *self = HC_WINDOW (widget);

  if (self->engine != NULL)
    hc_call_engine_set_microphone_muted (self->engine,
                                         !hc_call_engine_get_microphone_muted (self->engine));
}

static void
toggle_camera_action (GtkWidget  *widget,
                      const char *action_name,
                      GVariant   *parameter)
{
  HcWindow *self = HC_WINDOW (widget);

  if (self->engine != NULL)
    hc_call_engine_set_camera_enabled (self->engine,
                                       !hc_call_engine_get_camera_enabled (self->engine));
}

static void
on_host_request_done (GObject      *source,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  g_autoptr(HcWindow) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!hc_call_engine_host_request_finish (HC_CALL_ENGINE (source), result, &error) &&
      !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    show_toast (self, error->message);
}

static void
mute_participant_action (GtkWidget  *widget,
                         const char *action_name,
                         GVariant   *parameter)
{
  HcWindow *self = HC_WINDOW (widget);
  const char *sid = NULL;
  gboolean mute = TRUE;
  HcRemoteParticipant *participant;

  g_variant_get (parameter, "(&sb)", &sid, &mute);
  if (self->engine == NULL ||
      (participant = hc_call_engine_find_participant (self->engine, sid)) == NULL)
    return;
  hc_call_engine_mute_participant_async (self->engine, participant, mute, self->call_cancellable,
                                         on_host_request_done, g_object_ref (self));
}

/* GTK 4.8's accessibility code can trip over a window destroyed while the
 * accessibility bus is busy (a critical from gtk_at_spi_root_child_changed), so
 * message dialogs are made once per window, hidden when answered, and reused;
 * they go with the window. */
static AdwMessageDialog *
reusable_dialog (HcWindow   *self,
                 GtkWindow **slot,
                 const char *heading,
                 const char *body)
{
  if (*slot == NULL)
    {
      *slot = GTK_WINDOW (adw_message_dialog_new (GTK_WINDOW (self), heading, body));
      gtk_window_set_hide_on_close (*slot, TRUE);
    }
  adw_message_dialog_set_heading (ADW_MESSAGE_DIALOG (*slot), heading);
  adw_message_dialog_set_body (ADW_MESSAGE_DIALOG (*slot), body);
  return ADW_MESSAGE_DIALOG (*slot);
}

static void
on_remove_response (AdwMessageDialog *dialog,
                    const char       *response,
                    HcWindow         *self)
{
  const char *sid = g_object_get_data (G_OBJECT (dialog), "hc-participant-sid");
  HcRemoteParticipant *participant;

  if (g_strcmp0 (response, "remove") != 0 || self->engine == NULL ||
      (participant = hc_call_engine_find_participant (self->engine, sid)) == NULL)
    return;
  hc_call_engine_remove_participant_async (self->engine, participant, self->call_cancellable,
                                           on_host_request_done, g_object_ref (self));
}

static void
remove_participant_action (GtkWidget  *widget,
                           const char *action_name,
                           GVariant   *parameter)
{
  HcWindow *self = HC_WINDOW (widget);
  const char *sid = g_variant_get_string (parameter, NULL);
  HcRemoteParticipant *participant;
  g_autofree char *heading = NULL;
  AdwMessageDialog *dialog;
  gboolean fresh;

  if (self->engine == NULL ||
      (participant = hc_call_engine_find_participant (self->engine, sid)) == NULL)
    return;
  heading = g_strdup_printf (_("Remove %s?"), hc_remote_participant_get_name (participant));
  fresh = self->remove_dialog == NULL;
  dialog = reusable_dialog (self, &self->remove_dialog, heading,
                            _("They leave the visit at once. A guest’s invitation stops working."));
  if (fresh)
    {
      adw_message_dialog_add_responses (dialog,
                                        "cancel", _("_Cancel"),
                                        "remove", _("_Remove"),
                                        NULL);
      adw_message_dialog_set_response_appearance (dialog, "remove", ADW_RESPONSE_DESTRUCTIVE);
      adw_message_dialog_set_default_response (dialog, "cancel");
      adw_message_dialog_set_close_response (dialog, "cancel");
      g_signal_connect_object (dialog, "response", G_CALLBACK (on_remove_response), self, 0);
    }
  g_object_set_data_full (G_OBJECT (dialog), "hc-participant-sid", g_strdup (sid), g_free);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
add_interpreter_action (GtkWidget  *widget,
                        const char *action_name,
                        GVariant   *parameter)
{
  HcWindow *self = HC_WINDOW (widget);
  const char *room = self->engine ? hc_call_engine_get_room_sid (self->engine) : NULL;

  if (room == NULL)
    return;
  if (self->interpreter == NULL)
    self->interpreter = hc_interpreter_dialog_new (GTK_WINDOW (self), self->session);
  hc_interpreter_dialog_set_call (HC_INTERPRETER_DIALOG (self->interpreter), self->engine);
  gtk_window_present (self->interpreter);
}

static void
diagnostics_action (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *parameter)
{
  HcWindow *self = HC_WINDOW (widget);

  if (self->engine == NULL)
    return;
  if (self->diagnostics == NULL)
    self->diagnostics = hc_diagnostics_window_new (GTK_WINDOW (self));
  hc_diagnostics_window_set_engine (HC_DIAGNOSTICS_WINDOW (self->diagnostics), self->engine);
  gtk_window_present (self->diagnostics);
}

static void
on_end_visit_response (AdwMessageDialog *dialog,
                       const char       *response,
                       HcWindow         *self)
{
  if (g_strcmp0 (response, "end") == 0 && self->engine != NULL)
    hc_call_engine_end_visit_async (self->engine, self->call_cancellable, on_host_request_done,
                                    g_object_ref (self));
  else if (g_strcmp0 (response, "leave") == 0)
    leave_call (self);
}

static void
end_visit_action (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  HcWindow *self = HC_WINDOW (widget);
  gboolean fresh = self->end_dialog == NULL;
  AdwMessageDialog *dialog;

  dialog = reusable_dialog (self, &self->end_dialog, _("End the Visit for Everyone?"),
                            _("Everyone in the visit is disconnected and the visit room closes."));
  if (fresh)
    {
      adw_message_dialog_add_responses (dialog,
                                        "cancel", _("_Cancel"),
                                        "leave", _("_Leave Only"),
                                        "end", _("_End Visit"),
                                        NULL);
      adw_message_dialog_set_response_appearance (dialog, "end", ADW_RESPONSE_DESTRUCTIVE);
      adw_message_dialog_set_default_response (dialog, "end");
      adw_message_dialog_set_close_response (dialog, "cancel");
      g_signal_connect_object (dialog, "response", G_CALLBACK (on_end_visit_response), self, 0);
    }
  gtk_window_present (GTK_WINDOW (dialog));
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
  if (self->session == NULL)
    return;
  show_toast (self, _("The patient was let in to the visit room"));
  refresh_rooms (self);
  start_call (self, room);
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

/* Ctrl+Return: the patient who has waited longest, without reaching for the list. */
static void
admit_next_action (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *parameter)
{
  HcWindow *self = HC_WINDOW (widget);
  GListModel *queue = hc_session_get_queue (self->session);
  g_autoptr(HcQueueEntry) first = NULL;

  if (g_list_model_get_n_items (queue) == 0)
    {
      show_toast (self, _("No one is waiting"));
      return;
    }
  first = g_list_model_get_item (queue, 0);
  hc_session_admit_async (self->session, hc_queue_entry_get_id (first), self->cancellable,
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
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.admit-next", signed_in);
  if (signed_in)
    {
      g_autofree char *subtitle = g_strdup_printf (_("Signed in as %s"),
                                                   hc_session_get_username (self->session));

      adw_window_title_set_subtitle (self->waiting_room_title, subtitle);
      gtk_stack_set_visible_child_name (self->pages, "main");
      refresh_rooms (self);
      /* GStreamer and the DTLS certificate get ready in the background while the
       * provider reads the queue, so the first Admit does not wait for them. */
      hc_call_engine_warm_up ();
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
  gboolean fresh = self->new_room_dialog == NULL;
  AdwMessageDialog *dialog;

  dialog = reusable_dialog (self, &self->new_room_dialog, _("New Visit Room"),
                            _("Patients and guests you invite join this room."));
  if (fresh)
    {
      GtkWidget *entry = gtk_entry_new ();

      gtk_entry_set_placeholder_text (GTK_ENTRY (entry), _("e.g. dr-smith-morning"));
      gtk_entry_set_activates_default (GTK_ENTRY (entry), TRUE);
      gtk_accessible_update_property (GTK_ACCESSIBLE (entry), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                      _("Room name"), -1);
      adw_message_dialog_set_extra_child (dialog, entry);
      adw_message_dialog_add_responses (dialog,
                                        "cancel", _("_Cancel"),
                                        "create", _("C_reate"),
                                        NULL);
      adw_message_dialog_set_response_appearance (dialog, "create", ADW_RESPONSE_SUGGESTED);
      adw_message_dialog_set_default_response (dialog, "create");
      adw_message_dialog_set_close_response (dialog, "cancel");
      g_signal_connect_object (dialog, "response", G_CALLBACK (on_new_room_response), self, 0);
    }
  gtk_editable_set_text (GTK_EDITABLE (adw_message_dialog_get_extra_child (dialog)), "");
  gtk_window_present (GTK_WINDOW (dialog));
  gtk_widget_grab_focus (adw_message_dialog_get_extra_child (dialog));
}

static gboolean
hc_window_close_request (GtkWindow *window)
{
  HcWindow *self = HC_WINDOW (window);

  save_window_state (self);

  /* Closing during a visit leaves it first: the server and Janus let go of us
   * at once instead of waiting for a timeout. The window stays on screen,
   * insensitive, until the goodbye is done (usually well under a second), and
   * is destroyed then. Hiding it instead made GTK 4.8's accessibility layer
   * emit changes for the stage being cleared in an unmapped window, which
   * ends in a critical (g_variant_is_object_path on a NULL path). */
  if (self->engine != NULL)
    {
      if (!self->closing)
        {
          GApplication *application = g_application_get_default ();

          self->closing = TRUE;
          if (application != NULL)
            g_application_hold (application);
          gtk_widget_set_sensitive (GTK_WIDGET (self), FALSE);
          leave_call (self);
        }
      return TRUE;
    }

  return GTK_WINDOW_CLASS (hc_window_parent_class)->close_request (window);
}

static void
hc_window_dispose (GObject *object)
{
  HcWindow *self = HC_WINDOW (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_cancellable_cancel (self->call_cancellable);
  g_clear_object (&self->call_cancellable);
  drop_engine (self);
  g_clear_pointer (&self->appointments, gtk_window_destroy);
  g_clear_pointer (&self->interpreter, gtk_window_destroy);
  g_clear_pointer (&self->new_room_dialog, gtk_window_destroy);
  g_clear_pointer (&self->remove_dialog, gtk_window_destroy);
  g_clear_pointer (&self->end_dialog, gtk_window_destroy);
  g_clear_pointer (&self->diagnostics, gtk_window_destroy);
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
  gtk_widget_class_bind_template_child (widget_class, HcWindow, stage_stack);
  gtk_widget_class_bind_template_child (widget_class, HcWindow, call_view);
  gtk_widget_class_bind_template_child (widget_class, HcWindow, participants_stack);
  gtk_widget_class_bind_template_child (widget_class, HcWindow, participants_list);

  gtk_widget_class_install_action (widget_class, "win.sign-out", NULL, sign_out_action);
  gtk_widget_class_install_action (widget_class, "win.refresh", NULL, refresh_action);
  gtk_widget_class_install_action (widget_class, "win.new-room", NULL, new_room_action);
  gtk_widget_class_install_action (widget_class, "win.admit", "x", admit_action);
  gtk_widget_class_install_action (widget_class, "win.appointments", NULL, appointments_action);
  gtk_widget_class_install_action (widget_class, "win.admit-next", NULL, admit_next_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Return, GDK_CONTROL_MASK,
                                       "win.admit-next", NULL);
  gtk_widget_class_install_action (widget_class, "win.join-room", "s", join_room_action);
  gtk_widget_class_install_action (widget_class, "win.leave-call", NULL, leave_call_action);
  gtk_widget_class_install_action (widget_class, "win.end-visit", NULL, end_visit_action);
  gtk_widget_class_install_action (widget_class, "win.add-interpreter", NULL,
                                   add_interpreter_action);
  gtk_widget_class_install_action (widget_class, "win.diagnostics", NULL, diagnostics_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_d, GDK_CONTROL_MASK | GDK_SHIFT_MASK,
                                       "win.diagnostics", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_i, GDK_CONTROL_MASK,
                                       "win.add-interpreter", NULL);
  gtk_widget_class_install_action (widget_class, "win.toggle-microphone", NULL,
                                   toggle_microphone_action);
  gtk_widget_class_install_action (widget_class, "win.toggle-camera", NULL, toggle_camera_action);
  gtk_widget_class_install_action (widget_class, "win.mute-participant", "(sb)",
                                   mute_participant_action);
  gtk_widget_class_install_action (widget_class, "win.remove-participant", "s",
                                   remove_participant_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_d, GDK_CONTROL_MASK,
                                       "win.toggle-microphone", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_e, GDK_CONTROL_MASK,
                                       "win.toggle-camera", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_e, GDK_CONTROL_MASK | GDK_SHIFT_MASK,
                                       "win.end-visit", NULL);
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
  g_type_ensure (HC_TYPE_CALL_VIEW);
  gtk_widget_init_template (GTK_WIDGET (self));
  gtk_stack_set_visible_child_name (self->participants_stack, "empty");
  update_call_actions (self);
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
