/* SPDX-License-Identifier: GPL-3.0-or-later */

#define G_LOG_DOMAIN "HcParticipantTile"

#include "config.h"

#include "hc-participant-tile.h"

#include <adwaita.h>
#include <glib/gi18n.h>

struct _HcParticipantTile
{
  GtkWidget     parent_instance;

  GtkWidget    *picture;
  GtkWidget    *avatar;
  GtkWidget    *caption;
  GtkWidget    *muted_icon;
  GtkWidget    *name_label;
  GtkWidget    *quality_bar;

  char         *name;
  char         *role_label;
  char         *network_reason;
  gboolean      audio_muted;
  gboolean      video_muted;
  gboolean      speaking;
  int           network_quality;
  int           natural_width;   /* 0: as big as the video */
  int           natural_height;
};

G_DEFINE_FINAL_TYPE (HcParticipantTile, hc_participant_tile, GTK_TYPE_WIDGET)

static void
update_accessible (HcParticipantTile *self)
{
  g_autoptr(GString) state = g_string_new (NULL);
  g_autofree char *label = NULL;

  if (self->role_label != NULL && self->role_label[0] != '\0')
    /* Translators: what a video tile is and whose it is, e.g. "Main speaker: Ana". */
    label = g_strdup_printf (_("%s: %s"), self->role_label, self->name ? self->name : "");
  else
    label = g_strdup (self->name ? self->name : "");

  if (self->speaking)
    g_string_append (state, _("speaking"));
  if (self->audio_muted)
    {
      if (state->len > 0)
        g_string_append (state, ", ");
      g_string_append (state, _("microphone off"));
    }
  if (self->video_muted)
    {
      if (state->len > 0)
        g_string_append (state, ", ");
      g_string_append (state, _("camera off"));
    }
  if (self->network_quality >= 0)
    {
      if (state->len > 0)
        g_string_append (state, ", ");
      g_string_append_printf (state, _("connection %d of 5"), self->network_quality);
      if (self->network_reason != NULL)
        g_string_append_printf (state, " (%s)", self->network_reason);
    }

  gtk_accessible_update_property (GTK_ACCESSIBLE (self),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, label,
                                  GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, state->str,
                                  -1);
}

static void
update_picture (HcParticipantTile *self)
{
  GdkPaintable *paintable = gtk_picture_get_paintable (GTK_PICTURE (self->picture));
  gboolean show_video = paintable != NULL && !self->video_muted;

  gtk_widget_set_visible (self->picture, show_video);
  gtk_widget_set_visible (self->avatar, !show_video);
}

/* Small tiles (the preview, thumbnails) ask for a fixed size whatever the
 * video's; the large tile takes what the stage gives it. Every child covers
 * the tile, placed by its own alignment. */
static void
hc_participant_tile_measure (GtkWidget      *widget,
                             GtkOrientation  orientation,
                             int             for_size,
                             int            *minimum,
                             int            *natural,
                             int            *minimum_baseline,
                             int            *natural_baseline)
{
  HcParticipantTile *self = HC_PARTICIPANT_TILE (widget);
  int fixed = orientation == GTK_ORIENTATION_HORIZONTAL ? self->natural_width : self->natural_height;

  *minimum = *natural = 0;
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      int child_min = 0;
      int child_nat = 0;

      if (!gtk_widget_should_layout (child))
        continue;
      gtk_widget_measure (child, orientation, -1, &child_min, &child_nat, NULL, NULL);
      *minimum = MAX (*minimum, child_min);
      *natural = MAX (*natural, child_nat);
    }
  if (fixed > 0)
    *natural = MAX (*minimum, fixed);
}

static void
hc_participant_tile_size_allocate (GtkWidget *widget,
                                   int        width,
                                   int        height,
                                   int        baseline)
{
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    if (gtk_widget_should_layout (child))
      gtk_widget_size_allocate (child, &(GtkAllocation) { 0, 0, width, height }, -1);
}

static void
hc_participant_tile_dispose (GObject *object)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (object))) != NULL)
    gtk_widget_unparent (child);

  G_OBJECT_CLASS (hc_participant_tile_parent_class)->dispose (object);
}

static void
hc_participant_tile_finalize (GObject *object)
{
  HcParticipantTile *self = HC_PARTICIPANT_TILE (object);

  g_free (self->name);
  g_free (self->role_label);
  g_free (self->network_reason);

  G_OBJECT_CLASS (hc_participant_tile_parent_class)->finalize (object);
}

static void
hc_participant_tile_class_init (HcParticipantTileClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = hc_participant_tile_dispose;
  object_class->finalize = hc_participant_tile_finalize;

  widget_class->measure = hc_participant_tile_measure;
  widget_class->size_allocate = hc_participant_tile_size_allocate;
  gtk_widget_class_set_css_name (widget_class, "participant-tile");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_GROUP);
}

static void
hc_participant_tile_init (HcParticipantTile *self)
{
  GtkWidget *box;

  self->network_quality = -1;
  gtk_widget_set_overflow (GTK_WIDGET (self), GTK_OVERFLOW_HIDDEN);

  self->picture = gtk_picture_new ();
  gtk_picture_set_content_fit (GTK_PICTURE (self->picture), GTK_CONTENT_FIT_CONTAIN);
  gtk_picture_set_can_shrink (GTK_PICTURE (self->picture), TRUE);
  gtk_widget_set_parent (self->picture, GTK_WIDGET (self));

  self->avatar = adw_avatar_new (96, NULL, TRUE);
  gtk_widget_set_halign (self->avatar, GTK_ALIGN_CENTER);
  gtk_widget_set_valign (self->avatar, GTK_ALIGN_CENTER);
  gtk_widget_set_parent (self->avatar, GTK_WIDGET (self));

  box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  gtk_widget_add_css_class (box, "caption");
  gtk_widget_set_halign (box, GTK_ALIGN_START);
  gtk_widget_set_valign (box, GTK_ALIGN_END);
  gtk_widget_set_margin_start (box, 6);
  gtk_widget_set_margin_bottom (box, 6);
  self->caption = box;

  self->muted_icon = gtk_image_new_from_icon_name ("microphone-disabled-symbolic");
  gtk_widget_set_visible (self->muted_icon, FALSE);
  gtk_box_append (GTK_BOX (box), self->muted_icon);

  self->name_label = gtk_label_new (NULL);
  gtk_label_set_ellipsize (GTK_LABEL (self->name_label), PANGO_ELLIPSIZE_END);
  gtk_box_append (GTK_BOX (box), self->name_label);

  self->quality_bar = gtk_level_bar_new_for_interval (0, 5);
  gtk_level_bar_set_mode (GTK_LEVEL_BAR (self->quality_bar), GTK_LEVEL_BAR_MODE_DISCRETE);
  gtk_widget_set_size_request (self->quality_bar, 30, -1);
  gtk_widget_set_valign (self->quality_bar, GTK_ALIGN_CENTER);
  gtk_widget_set_visible (self->quality_bar, FALSE);
  gtk_box_append (GTK_BOX (box), self->quality_bar);

  gtk_widget_set_parent (box, GTK_WIDGET (self));

  update_picture (self);
  update_accessible (self);
}

GtkWidget *
hc_participant_tile_new (void)
{
  return g_object_new (HC_TYPE_PARTICIPANT_TILE, NULL);
}

void
hc_participant_tile_set_name (HcParticipantTile *self,
                              const char        *name)
{
  g_return_if_fail (HC_IS_PARTICIPANT_TILE (self));

  if (g_strcmp0 (self->name, name) == 0)
    return;
  g_free (self->name);
  self->name = g_strdup (name);
  gtk_label_set_text (GTK_LABEL (self->name_label), name ? name : "");
  adw_avatar_set_text (ADW_AVATAR (self->avatar), name);
  update_accessible (self);
}

const char *
hc_participant_tile_get_name (HcParticipantTile *self)
{
  g_return_val_if_fail (HC_IS_PARTICIPANT_TILE (self), NULL);

  return self->name;
}

void
hc_participant_tile_set_paintable (HcParticipantTile *self,
                                   GdkPaintable      *paintable)
{
  g_return_if_fail (HC_IS_PARTICIPANT_TILE (self));

  gtk_picture_set_paintable (GTK_PICTURE (self->picture), paintable);
  update_picture (self);
}

void
hc_participant_tile_set_audio_muted (HcParticipantTile *self,
                                     gboolean           muted)
{
  g_return_if_fail (HC_IS_PARTICIPANT_TILE (self));

  muted = !!muted;
  if (self->audio_muted == muted)
    return;
  self->audio_muted = muted;
  gtk_widget_set_visible (self->muted_icon, muted);
  update_accessible (self);
}

void
hc_participant_tile_set_video_muted (HcParticipantTile *self,
                                     gboolean           muted)
{
  g_return_if_fail (HC_IS_PARTICIPANT_TILE (self));

  muted = !!muted;
  if (self->video_muted == muted)
    return;
  self->video_muted = muted;
  update_picture (self);
  update_accessible (self);
}

void
hc_participant_tile_set_speaking (HcParticipantTile *self,
                                  gboolean           speaking)
{
  g_return_if_fail (HC_IS_PARTICIPANT_TILE (self));

  speaking = !!speaking;
  if (self->speaking == speaking)
    return;
  self->speaking = speaking;
  if (speaking)
    gtk_widget_add_css_class (GTK_WIDGET (self), "speaking");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self), "speaking");
  update_accessible (self);
}

gboolean
hc_participant_tile_get_speaking (HcParticipantTile *self)
{
  g_return_val_if_fail (HC_IS_PARTICIPANT_TILE (self), FALSE);

  return self->speaking;
}

void
hc_participant_tile_set_network_quality (HcParticipantTile *self,
                                         int                level)
{
  g_return_if_fail (HC_IS_PARTICIPANT_TILE (self));

  level = CLAMP (level, -1, 5);
  if (self->network_quality == level)
    return;
  self->network_quality = level;
  gtk_widget_set_visible (self->quality_bar, level >= 0);
  if (level >= 0)
    gtk_level_bar_set_value (GTK_LEVEL_BAR (self->quality_bar), level);
  update_accessible (self);
}

void
hc_participant_tile_set_role_label (HcParticipantTile *self,
                                    const char        *label)
{
  g_return_if_fail (HC_IS_PARTICIPANT_TILE (self));

  if (g_strcmp0 (self->role_label, label) == 0)
    return;
  g_free (self->role_label);
  self->role_label = g_strdup (label);
  update_accessible (self);
}

void
hc_participant_tile_set_natural_size (HcParticipantTile *self,
                                      int                width,
                                      int                height)
{
  g_return_if_fail (HC_IS_PARTICIPANT_TILE (self));

  self->natural_width = MAX (width, 0);
  self->natural_height = MAX (height, 0);
  gtk_widget_set_size_request (GTK_WIDGET (self), self->natural_width, self->natural_height);
  gtk_widget_queue_resize (GTK_WIDGET (self));
}

void
hc_participant_tile_set_network_reason (HcParticipantTile *self,
                                        const char        *reason)
{
  g_return_if_fail (HC_IS_PARTICIPANT_TILE (self));

  if (reason != NULL && reason[0] == '\0')
    reason = NULL;
  if (g_strcmp0 (self->network_reason, reason) == 0)
    return;
  g_free (self->network_reason);
  self->network_reason = g_strdup (reason);
  gtk_widget_set_tooltip_text (self->quality_bar, reason);
  update_accessible (self);
}
