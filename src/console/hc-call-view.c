/* SPDX-License-Identifier: GPL-3.0-or-later */

#define G_LOG_DOMAIN "HcCallView"

#include "config.h"

#include "hc-application.h"
#include "hc-call-view.h"
#include "hc-participant-tile.h"

#include <adwaita.h>
#include <glib/gi18n.h>
#include <gst/gst.h>

/* One device picker: the names shown and the GSettings values behind them. */
typedef struct
{
  GtkDropDown  *dropdown;
  const char   *key;          /* camera-device, microphone-device, speaker-device */
  const char   *device_class; /* for GstDeviceMonitor */
  GPtrArray    *values;
} DevicePicker;

enum
{
  PICKER_CAMERA,
  PICKER_MICROPHONE,
  PICKER_SPEAKER,
  N_PICKERS
};

struct _HcCallView
{
  GtkWidget          parent_instance;

  HcCallEngine      *engine;
  GSettings         *settings;
  GBinding          *microphone_binding;
  GBinding          *camera_binding;
  HcRemoteParticipant *featured;      /* whom the large tile shows */
  gulong             featured_handler;
  GCancellable      *probe_cancellable;
  DevicePicker       pickers[N_PICKERS];
  gboolean           filling_pickers;
  gboolean           rebuilding;        /* tiles come and go: one visibility sync after */

  GtkStack          *state_stack;
  GtkStack          *large_stack;
  AdwStatusPage     *ended_page;
  HcParticipantTile *large_tile;
  HcParticipantTile *preview_tile;
  GtkWidget         *thumbnails_scroller;
  GtkBox            *thumbnails;
  GtkRevealer       *reconnecting_banner;
  GtkToggleButton   *microphone_button;
  GtkToggleButton   *camera_button;
  GtkMenuButton     *devices_button;
  GtkPopover        *devices_popover;
  GtkDropDown       *camera_dropdown;
  GtkDropDown       *microphone_dropdown;
  GtkDropDown       *speaker_dropdown;
};

G_DEFINE_FINAL_TYPE (HcCallView, hc_call_view, GTK_TYPE_WIDGET)

static void
sync_tile (HcParticipantTile   *tile,
           HcRemoteParticipant *participant)
{
  hc_participant_tile_set_name (tile, hc_remote_participant_get_name (participant));
  hc_participant_tile_set_paintable (tile, hc_remote_participant_get_paintable (participant));
  hc_participant_tile_set_audio_muted (tile, hc_remote_participant_get_audio_muted (participant));
  hc_participant_tile_set_video_muted (tile, hc_remote_participant_get_video_muted (participant));
  hc_participant_tile_set_speaking (tile,
                                    hc_remote_participant_get_is_dominant_speaker (participant));
  hc_participant_tile_set_network_quality (tile,
                                           hc_remote_participant_get_network_quality_level (participant));
  hc_participant_tile_set_network_reason (tile,
                                          hc_remote_participant_get_network_quality_description (participant));
}

static void
on_participant_notify (HcRemoteParticipant *participant,
                       GParamSpec          *pspec,
                       HcParticipantTile   *tile)
{
  /* The tile's own wishes (tile-visible, preferred-substream) change nothing shown. */
  if (g_str_equal (pspec->name, "tile-visible") || g_str_equal (pspec->name, "preferred-substream"))
    return;
  sync_tile (tile, participant);
}

/* A participant wants video while any tile showing them is on screen (a hidden
 * window, or a tile that went away, gets none). Recomputed from every tile: a
 * thumbnail going away as its participant becomes the large tile must not pause
 * the video the large tile now shows. */
static void
sync_visibility (HcCallView *self)
{
  GListModel *participants = self->engine ? hc_call_engine_get_participants (self->engine) : NULL;
  guint n = participants ? g_list_model_get_n_items (participants) : 0;

  if (self->rebuilding)
    return;
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(HcRemoteParticipant) participant = g_list_model_get_item (participants, i);
      gboolean visible = participant == self->featured &&
                         gtk_widget_get_mapped (GTK_WIDGET (self->large_tile));

      for (GtkWidget *tile = gtk_widget_get_first_child (GTK_WIDGET (self->thumbnails));
           tile != NULL && !visible; tile = gtk_widget_get_next_sibling (tile))
        visible = g_object_get_data (G_OBJECT (tile), "hc-participant") == participant &&
                  gtk_widget_get_mapped (tile);
      hc_remote_participant_set_tile_visible (participant, visible);
    }
}

static void
set_tile_participant (HcParticipantTile   *tile,
                      HcRemoteParticipant *participant)
{
  g_object_set_data_full (G_OBJECT (tile), "hc-participant",
                          participant ? g_object_ref (participant) : NULL,
                          participant ? g_object_unref : NULL);
  if (participant != NULL)
    sync_tile (tile, participant);
  else
    {
      hc_participant_tile_set_paintable (tile, NULL);
      hc_participant_tile_set_name (tile, NULL);
      hc_participant_tile_set_speaking (tile, FALSE);
    }
}

static void
show_featured (HcCallView *self)
{
  HcRemoteParticipant *featured = NULL;

  if (self->engine != NULL)
    featured = hc_call_engine_get_featured_participant (self->engine);
  if (featured == self->featured)
    return;

  if (self->featured != NULL)
    g_clear_signal_handler (&self->featured_handler, self->featured);
  g_set_object (&self->featured, featured);
  set_tile_participant (self->large_tile, featured);
  if (featured != NULL)
    self->featured_handler = g_signal_connect_object (featured, "notify",
                                                      G_CALLBACK (on_participant_notify),
                                                      self->large_tile, 0);
}

static void
rebuild_thumbnails (HcCallView *self)
{
  GListModel *participants = self->engine ? hc_call_engine_get_participants (self->engine) : NULL;
  guint n = participants ? g_list_model_get_n_items (participants) : 0;
  guint shown = 0;
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->thumbnails))) != NULL)
    gtk_box_remove (self->thumbnails, child);

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(HcRemoteParticipant) participant = g_list_model_get_item (participants, i);
      GtkWidget *tile;

      if (participant == self->featured)
        continue;
      tile = hc_participant_tile_new ();
      hc_participant_tile_set_role_label (HC_PARTICIPANT_TILE (tile), _("Thumbnail"));
      hc_participant_tile_set_natural_size (HC_PARTICIPANT_TILE (tile), 192, 108);
      gtk_widget_add_css_class (tile, "thumbnail");
      g_signal_connect_object (tile, "map", G_CALLBACK (sync_visibility), self, G_CONNECT_SWAPPED);
      g_signal_connect_object (tile, "unmap", G_CALLBACK (sync_visibility), self,
                               G_CONNECT_SWAPPED);
      set_tile_participant (HC_PARTICIPANT_TILE (tile), participant);
      g_signal_connect_object (participant, "notify", G_CALLBACK (on_participant_notify), tile, 0);
      gtk_box_append (self->thumbnails, tile);
      shown++;
    }
  gtk_widget_set_visible (self->thumbnails_scroller, shown > 0);
  gtk_stack_set_visible_child_name (self->large_stack, n > 0 ? "speaker" : "alone");
}

static void
update_stage (HcCallView *self)
{
  self->rebuilding = TRUE;
  show_featured (self);
  rebuild_thumbnails (self);
  self->rebuilding = FALSE;
  sync_visibility (self);
}

static void
update_preview (HcCallView *self)
{
  gboolean muted = self->engine ? hc_call_engine_get_microphone_muted (self->engine) : FALSE;
  gboolean camera = self->engine ? hc_call_engine_get_camera_enabled (self->engine) : TRUE;
  gboolean speaking = FALSE;

  if (self->engine != NULL)
    g_object_get (self->engine, "local-is-dominant-speaker", &speaking, NULL);
  hc_participant_tile_set_paintable (self->preview_tile,
                                     self->engine ? hc_call_engine_get_local_preview (self->engine)
                                                  : NULL);
  hc_participant_tile_set_network_quality (self->preview_tile,
                                           self->engine ? hc_call_engine_get_network_quality_level (self->engine)
                                                        : -1);
  hc_participant_tile_set_network_reason (self->preview_tile,
                                          self->engine ? hc_call_engine_get_network_quality_description (self->engine)
                                                       : NULL);
  hc_participant_tile_set_audio_muted (self->preview_tile, muted);
  hc_participant_tile_set_video_muted (self->preview_tile, !camera);
  hc_participant_tile_set_speaking (self->preview_tile, speaking);

  gtk_button_set_icon_name (GTK_BUTTON (self->microphone_button),
                            muted ? "microphone-disabled-symbolic"
                                  : "microphone-sensitivity-high-symbolic");
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->microphone_button),
                               muted ? _("Unmute Microphone (Ctrl+D)")
                                     : _("Mute Microphone (Ctrl+D)"));
  gtk_button_set_icon_name (GTK_BUTTON (self->camera_button),
                            camera ? "camera-video-symbolic" : "camera-disabled-symbolic");
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->camera_button),
                               camera ? _("Turn Camera Off (Ctrl+E)")
                                      : _("Turn Camera On (Ctrl+E)"));
}

static const char *
describe_end (HcCallEngine *engine)
{
  switch (hc_call_engine_get_end_reason (engine))
    {
    case HC_END_REASON_ROOM_COMPLETED:
      return _("The visit was ended for everyone.");
    case HC_END_REASON_TOKEN_REVOKED:
    case HC_END_REASON_AUTH_FAILED:
      return _("Your sign-in is no longer valid. Sign in again to rejoin.");
    case HC_END_REASON_CONNECTION_LOST:
      return _("The connection to the practice server was lost.");
    case HC_END_REASON_LEFT:
      return _("You left the visit.");
    case HC_END_REASON_ERROR:
    case HC_END_REASON_NONE:
    default:
      return NULL;
    }
}

static void
update_state (HcCallView *self)
{
  HcCallState state = self->engine ? hc_call_engine_get_state (self->engine) : HC_CALL_STATE_IDLE;

  gtk_revealer_set_reveal_child (self->reconnecting_banner,
                                 state == HC_CALL_STATE_RECONNECTING ||
                                 (self->engine != NULL && hc_call_engine_get_reconnecting (self->engine)));
  switch (state)
    {
    case HC_CALL_STATE_IDLE:
    case HC_CALL_STATE_CONNECTING:
      gtk_stack_set_visible_child_name (self->state_stack, "connecting");
      break;
    case HC_CALL_STATE_JOINED:
    case HC_CALL_STATE_IN_CALL:
    case HC_CALL_STATE_RECONNECTING:
      gtk_stack_set_visible_child_name (self->state_stack, "call");
      break;
    case HC_CALL_STATE_ENDED:
    case HC_CALL_STATE_FAILED:
    default:
      {
        const GError *error = hc_call_engine_get_error (self->engine);
        const char *why = describe_end (self->engine);

        adw_status_page_set_description (self->ended_page,
                                         why ? why : error ? error->message : NULL);
        gtk_stack_set_visible_child_name (self->state_stack, "ended");
      }
      break;
    }
  gtk_widget_set_sensitive (GTK_WIDGET (self->microphone_button), state != HC_CALL_STATE_ENDED &&
                            state != HC_CALL_STATE_FAILED);
  gtk_widget_set_sensitive (GTK_WIDGET (self->camera_button), state != HC_CALL_STATE_ENDED &&
                            state != HC_CALL_STATE_FAILED);
}

/* Device pickers. Listing devices may wait on the sound server or on udev, so it
 * runs in a worker thread; the main loop only fills the lists in. */

typedef struct
{
  GPtrArray *names[N_PICKERS];
} DeviceList;

static void
device_list_free (DeviceList *list)
{
  for (guint i = 0; i < N_PICKERS; i++)
    g_clear_pointer (&list->names[i], g_ptr_array_unref);
  g_free (list);
}

static const char * const device_classes[N_PICKERS] = {
  "Video/Source", "Audio/Source", "Audio/Sink",
};

static void
probe_devices_in_thread (GTask        *task,
                         gpointer      source_object,
                         gpointer      task_data,
                         GCancellable *cancellable)
{
  DeviceList *list = g_new0 (DeviceList, 1);

  for (guint i = 0; i < N_PICKERS; i++)
    {
      g_autoptr(GstDeviceMonitor) monitor = gst_device_monitor_new ();
      GList *devices;

      list->names[i] = g_ptr_array_new_with_free_func (g_free);
      gst_device_monitor_add_filter (monitor, device_classes[i], NULL);
      devices = gst_device_monitor_get_devices (monitor);
      for (GList *l = devices; l != NULL; l = l->next)
        g_ptr_array_add (list->names[i], gst_device_get_display_name (l->data));
      g_list_free_full (devices, gst_object_unref);
    }
  g_task_return_pointer (task, list, (GDestroyNotify) device_list_free);
}

static void
fill_picker (HcCallView   *self,
             DevicePicker *picker,
             GPtrArray    *names,
             gboolean      offer_tests)
{
  g_autoptr(GtkStringList) labels = gtk_string_list_new (NULL);
  g_autofree char *current = g_settings_get_string (self->settings, picker->key);
  guint selected = 0;

  g_ptr_array_set_size (picker->values, 0);
  gtk_string_list_append (labels, _("System Default"));
  g_ptr_array_add (picker->values, g_strdup (""));
  for (guint i = 0; names != NULL && i < names->len; i++)
    {
      gtk_string_list_append (labels, g_ptr_array_index (names, i));
      g_ptr_array_add (picker->values, g_strdup (g_ptr_array_index (names, i)));
    }
  /* Generated sources, for demos and for trying a switch with no second device. */
  if (offer_tests && picker->key == self->pickers[PICKER_CAMERA].key)
    {
      gtk_string_list_append (labels, _("Test Pattern (Colour Bars)"));
      g_ptr_array_add (picker->values, g_strdup ("test:smpte"));
      gtk_string_list_append (labels, _("Test Pattern (Moving Ball)"));
      g_ptr_array_add (picker->values, g_strdup ("test:ball"));
    }
  else if (offer_tests && picker->key == self->pickers[PICKER_MICROPHONE].key)
    {
      gtk_string_list_append (labels, _("Test Tone (440 Hz)"));
      g_ptr_array_add (picker->values, g_strdup ("test:440"));
      gtk_string_list_append (labels, _("Test Tone (660 Hz)"));
      g_ptr_array_add (picker->values, g_strdup ("test:660"));
    }
  /* A configured device that is unplugged now stays listed, so the setting shows. */
  for (guint i = 0; i < picker->values->len; i++)
    if (g_strcmp0 (g_ptr_array_index (picker->values, i), current) == 0)
      selected = i;
  if (selected == 0 && current[0] != '\0')
    {
      gtk_string_list_append (labels, current);
      g_ptr_array_add (picker->values, g_strdup (current));
      selected = picker->values->len - 1;
    }

  self->filling_pickers = TRUE;
  gtk_drop_down_set_model (picker->dropdown, G_LIST_MODEL (labels));
  gtk_drop_down_set_selected (picker->dropdown, selected);
  self->filling_pickers = FALSE;
}

static void
on_devices_probed (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  DeviceList *list = g_task_propagate_pointer (G_TASK (result), NULL);
  HcCallView *self;
  g_autofree char *profile = NULL;
  gboolean offer_tests;

  if (list == NULL)
    return;
  self = HC_CALL_VIEW (source);
  profile = g_settings_get_string (self->settings, "capture-profile");
  offer_tests = g_str_has_prefix (profile, "test-pattern");
  for (guint i = 0; i < N_PICKERS; i++)
    {
      g_autofree char *current = g_settings_get_string (self->settings, self->pickers[i].key);

      fill_picker (self, &self->pickers[i], list->names[i],
                   offer_tests || g_str_has_prefix (current, "test:"));
    }
  device_list_free (list);
}

static void
probe_devices (HcCallView *self)
{
  g_autoptr(GTask) task = NULL;

  gst_init (NULL, NULL);
  g_cancellable_cancel (self->probe_cancellable);
  g_clear_object (&self->probe_cancellable);
  self->probe_cancellable = g_cancellable_new ();
  /* Until the probe answers, the lists show the settings as they are. */
  for (guint i = 0; i < N_PICKERS; i++)
    {
      g_autofree char *current = g_settings_get_string (self->settings, self->pickers[i].key);

      fill_picker (self, &self->pickers[i], NULL, g_str_has_prefix (current, "test:"));
    }
  task = g_task_new (self, self->probe_cancellable, on_devices_probed, NULL);
  g_task_set_source_tag (task, probe_devices);
  g_task_set_return_on_cancel (task, TRUE);
  g_task_run_in_thread (task, probe_devices_in_thread);
}

static void
on_picker_selected (GtkDropDown *dropdown,
                    GParamSpec  *pspec,
                    HcCallView  *self)
{
  if (self->filling_pickers)
    return;
  for (guint i = 0; i < N_PICKERS; i++)
    {
      DevicePicker *picker = &self->pickers[i];
      guint selected = gtk_drop_down_get_selected (dropdown);

      if (picker->dropdown != dropdown || selected >= picker->values->len)
        continue;
      /* The engine follows the setting, switching the device without leaving the call. */
      if (g_settings_is_writable (self->settings, picker->key))
        g_settings_set_string (self->settings, picker->key,
                               g_ptr_array_index (picker->values, selected));
    }
}

static void
disconnect_engine (HcCallView *self)
{
  if (self->engine == NULL)
    return;
  g_signal_handlers_disconnect_by_data (self->engine, self);
  g_signal_handlers_disconnect_by_data (hc_call_engine_get_participants (self->engine), self);
  g_clear_pointer (&self->microphone_binding, g_binding_unbind);
  g_clear_pointer (&self->camera_binding, g_binding_unbind);
  g_clear_object (&self->engine);
}

static void
hc_call_view_dispose (GObject *object)
{
  HcCallView *self = HC_CALL_VIEW (object);
  GtkWidget *child;

  g_cancellable_cancel (self->probe_cancellable);
  g_clear_object (&self->probe_cancellable);
  if (self->featured != NULL)
    g_clear_signal_handler (&self->featured_handler, self->featured);
  g_clear_object (&self->featured);
  disconnect_engine (self);
  gtk_widget_dispose_template (GTK_WIDGET (self), HC_TYPE_CALL_VIEW);
  /* The template's top box has no id, so dispose_template leaves it. */
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
    gtk_widget_unparent (child);

  G_OBJECT_CLASS (hc_call_view_parent_class)->dispose (object);
}

static void
hc_call_view_finalize (GObject *object)
{
  HcCallView *self = HC_CALL_VIEW (object);

  for (guint i = 0; i < N_PICKERS; i++)
    g_clear_pointer (&self->pickers[i].values, g_ptr_array_unref);
  g_clear_object (&self->settings);

  G_OBJECT_CLASS (hc_call_view_parent_class)->finalize (object);
}

static void
hc_call_view_class_init (HcCallViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = hc_call_view_dispose;
  object_class->finalize = hc_call_view_finalize;

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/housecall/Console/hc-call-view.ui");
  gtk_widget_class_bind_template_child (widget_class, HcCallView, state_stack);
  gtk_widget_class_bind_template_child (widget_class, HcCallView, large_stack);
  gtk_widget_class_bind_template_child (widget_class, HcCallView, ended_page);
  gtk_widget_class_bind_template_child (widget_class, HcCallView, large_tile);
  gtk_widget_class_bind_template_child (widget_class, HcCallView, preview_tile);
  gtk_widget_class_bind_template_child (widget_class, HcCallView, thumbnails_scroller);
  gtk_widget_class_bind_template_child (widget_class, HcCallView, thumbnails);
  gtk_widget_class_bind_template_child (widget_class, HcCallView, reconnecting_banner);
  gtk_widget_class_bind_template_child (widget_class, HcCallView, microphone_button);
  gtk_widget_class_bind_template_child (widget_class, HcCallView, camera_button);
  gtk_widget_class_bind_template_child (widget_class, HcCallView, devices_button);
  gtk_widget_class_bind_template_child (widget_class, HcCallView, devices_popover);
  gtk_widget_class_bind_template_child (widget_class, HcCallView, camera_dropdown);
  gtk_widget_class_bind_template_child (widget_class, HcCallView, microphone_dropdown);
  gtk_widget_class_bind_template_child (widget_class, HcCallView, speaker_dropdown);
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_GROUP);
}

static void
hc_call_view_init (HcCallView *self)
{
  g_type_ensure (HC_TYPE_PARTICIPANT_TILE);
  gtk_widget_init_template (GTK_WIDGET (self));

  self->settings = g_settings_new (HC_SETTINGS_SCHEMA_ID);
  self->pickers[PICKER_CAMERA] = (DevicePicker) { self->camera_dropdown, "camera-device",
                                                  device_classes[PICKER_CAMERA],
                                                  g_ptr_array_new_with_free_func (g_free) };
  self->pickers[PICKER_MICROPHONE] = (DevicePicker) { self->microphone_dropdown,
                                                      "microphone-device",
                                                      device_classes[PICKER_MICROPHONE],
                                                      g_ptr_array_new_with_free_func (g_free) };
  self->pickers[PICKER_SPEAKER] = (DevicePicker) { self->speaker_dropdown, "speaker-device",
                                                   device_classes[PICKER_SPEAKER],
                                                   g_ptr_array_new_with_free_func (g_free) };
  for (guint i = 0; i < N_PICKERS; i++)
    {
      g_signal_connect (self->pickers[i].dropdown, "notify::selected",
                        G_CALLBACK (on_picker_selected), self);
      /* A locked key (docs/admin.md) shows, but cannot be changed here either. */
      gtk_widget_set_sensitive (GTK_WIDGET (self->pickers[i].dropdown),
                                g_settings_is_writable (self->settings, self->pickers[i].key));
    }
  g_signal_connect_swapped (self->devices_popover, "show", G_CALLBACK (probe_devices), self);

  hc_participant_tile_set_role_label (self->large_tile, _("Main speaker"));
  hc_participant_tile_set_role_label (self->preview_tile, _("Your camera"));
  hc_participant_tile_set_natural_size (self->preview_tile, 192, 108);
  hc_participant_tile_set_name (self->preview_tile, _("You"));
  g_signal_connect_swapped (self->large_tile, "map", G_CALLBACK (sync_visibility), self);
  g_signal_connect_swapped (self->large_tile, "unmap", G_CALLBACK (sync_visibility), self);
  update_state (self);
}

GtkWidget *
hc_call_view_new (void)
{
  return g_object_new (HC_TYPE_CALL_VIEW, NULL);
}

void
hc_call_view_set_engine (HcCallView   *self,
                         HcCallEngine *engine)
{
  g_return_if_fail (HC_IS_CALL_VIEW (self));
  g_return_if_fail (engine == NULL || HC_IS_CALL_ENGINE (engine));

  if (self->engine == engine)
    return;
  disconnect_engine (self);
  if (engine != NULL)
    {
      self->engine = g_object_ref (engine);
      g_signal_connect_object (engine, "notify::state", G_CALLBACK (update_state), self,
                               G_CONNECT_SWAPPED);
      g_signal_connect_object (engine, "notify::featured-participant",
                               G_CALLBACK (update_stage), self, G_CONNECT_SWAPPED);
      g_signal_connect_object (hc_call_engine_get_participants (engine), "items-changed",
                               G_CALLBACK (update_stage), self, G_CONNECT_SWAPPED);
      g_signal_connect_object (engine, "notify::reconnecting", G_CALLBACK (update_state), self,
                               G_CONNECT_SWAPPED);
      for (guint i = 0; i < 6; i++)
        {
          static const char * const preview_signals[] = {
            "notify::local-preview", "notify::microphone-muted", "notify::camera-enabled",
            "notify::local-is-dominant-speaker", "notify::network-quality-level",
            "notify::network-quality-description",
          };

          g_signal_connect_object (engine, preview_signals[i], G_CALLBACK (update_preview), self,
                                   G_CONNECT_SWAPPED);
        }
      self->microphone_binding = g_object_bind_property (engine, "microphone-muted",
                                                         self->microphone_button, "active",
                                                         G_BINDING_BIDIRECTIONAL |
                                                         G_BINDING_SYNC_CREATE);
      self->camera_binding = g_object_bind_property (engine, "camera-enabled",
                                                     self->camera_button, "active",
                                                     G_BINDING_BIDIRECTIONAL |
                                                     G_BINDING_SYNC_CREATE |
                                                     G_BINDING_INVERT_BOOLEAN);
    }
  update_stage (self);
  update_preview (self);
  update_state (self);
}

HcCallEngine *
hc_call_view_get_engine (HcCallView *self)
{
  g_return_val_if_fail (HC_IS_CALL_VIEW (self), NULL);

  return self->engine;
}
