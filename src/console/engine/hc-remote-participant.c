/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "HcEngine"

#include "config.h"

#include "hc-network-quality.h"
#include "hc-remote-participant-private.h"

enum {
  PROP_0,
  PROP_SID,
  PROP_IDENTITY,
  PROP_PUBLISHING,
  PROP_AUDIO_MUTED,
  PROP_VIDEO_MUTED,
  PROP_IS_DOMINANT_SPEAKER,
  PROP_NETWORK_QUALITY,
  PROP_NETWORK_QUALITY_LEVEL,
  PROP_NETWORK_QUALITY_REASON,
  PROP_NETWORK_QUALITY_DESCRIPTION,
  PROP_AUDIO_ONLY,
  PROP_PAINTABLE,
  PROP_SUBSCRIPTION_STATE,
  PROP_SUBSTREAM,
  PROP_PAUSED,
  PROP_PREFERRED_SUBSTREAM,
  PROP_TILE_VISIBLE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

struct _HcRemoteParticipant
{
  GObject           parent_instance;

  char             *sid;
  char             *identity;
  char             *name;          /* what the tile shows; a patient's name is health information */
  gboolean          publishing;
  gboolean          audio_muted;
  gboolean          video_muted;
  gboolean          is_dominant_speaker;
  int               network_quality;
  int               network_quality_reason;
  char             *network_quality_description;
  gboolean          audio_only;
  HcVideoPaintable *paintable;
  HcMediaState      subscription_state;
  int               substream;
  gboolean          paused;
  int               preferred_substream;
  gboolean          tile_visible;
};

G_DEFINE_FINAL_TYPE (HcRemoteParticipant, hc_remote_participant, G_TYPE_OBJECT)

static void
set_boolean (HcRemoteParticipant *self,
             gboolean            *field,
             gboolean             value,
             guint                prop)
{
  value = !!value;
  if (*field == value)
    return;
  *field = value;
  g_object_notify_by_pspec (G_OBJECT (self), properties[prop]);
}

static void
set_int (HcRemoteParticipant *self,
         int                 *field,
         int                  value,
         guint                prop)
{
  if (*field == value)
    return;
  *field = value;
  g_object_notify_by_pspec (G_OBJECT (self), properties[prop]);
}

static void
hc_remote_participant_get_property (GObject    *object,
                                    guint       prop_id,
                                    GValue     *value,
                                    GParamSpec *pspec)
{
  HcRemoteParticipant *self = HC_REMOTE_PARTICIPANT (object);

  switch (prop_id)
    {
    case PROP_SID:
      g_value_set_string (value, self->sid);
      break;
    case PROP_IDENTITY:
      g_value_set_string (value, self->identity);
      break;
    case PROP_PUBLISHING:
      g_value_set_boolean (value, self->publishing);
      break;
    case PROP_AUDIO_MUTED:
      g_value_set_boolean (value, self->audio_muted);
      break;
    case PROP_VIDEO_MUTED:
      g_value_set_boolean (value, self->video_muted);
      break;
    case PROP_IS_DOMINANT_SPEAKER:
      g_value_set_boolean (value, self->is_dominant_speaker);
      break;
    case PROP_NETWORK_QUALITY:
    case PROP_NETWORK_QUALITY_LEVEL:
      g_value_set_int (value, self->network_quality);
      break;
    case PROP_NETWORK_QUALITY_REASON:
      g_value_set_enum (value, self->network_quality_reason);
      break;
    case PROP_NETWORK_QUALITY_DESCRIPTION:
      g_value_set_string (value, self->network_quality_description);
      break;
    case PROP_AUDIO_ONLY:
      g_value_set_boolean (value, self->audio_only);
      break;
    case PROP_PAINTABLE:
      g_value_set_object (value, self->paintable);
      break;
    case PROP_SUBSCRIPTION_STATE:
      g_value_set_enum (value, self->subscription_state);
      break;
    case PROP_SUBSTREAM:
      g_value_set_int (value, self->substream);
      break;
    case PROP_PAUSED:
      g_value_set_boolean (value, self->paused);
      break;
    case PROP_PREFERRED_SUBSTREAM:
      g_value_set_int (value, self->preferred_substream);
      break;
    case PROP_TILE_VISIBLE:
      g_value_set_boolean (value, self->tile_visible);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
hc_remote_participant_set_property (GObject      *object,
                                    guint         prop_id,
                                    const GValue *value,
                                    GParamSpec   *pspec)
{
  HcRemoteParticipant *self = HC_REMOTE_PARTICIPANT (object);

  switch (prop_id)
    {
    case PROP_SID:
      self->sid = g_value_dup_string (value);
      break;
    case PROP_IDENTITY:
      self->identity = g_value_dup_string (value);
      break;
    case PROP_PREFERRED_SUBSTREAM:
      hc_remote_participant_set_preferred_substream (self, g_value_get_int (value));
      break;
    case PROP_TILE_VISIBLE:
      hc_remote_participant_set_tile_visible (self, g_value_get_boolean (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
hc_remote_participant_dispose (GObject *object)
{
  HcRemoteParticipant *self = HC_REMOTE_PARTICIPANT (object);

  g_clear_object (&self->paintable);

  G_OBJECT_CLASS (hc_remote_participant_parent_class)->dispose (object);
}

static void
hc_remote_participant_finalize (GObject *object)
{
  HcRemoteParticipant *self = HC_REMOTE_PARTICIPANT (object);

  g_free (self->sid);
  g_free (self->name);
  g_free (self->identity);
  g_free (self->network_quality_description);

  G_OBJECT_CLASS (hc_remote_participant_parent_class)->finalize (object);
}

static void
hc_remote_participant_class_init (HcRemoteParticipantClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags read_only = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY |
                                G_PARAM_STATIC_STRINGS;

  object_class->get_property = hc_remote_participant_get_property;
  object_class->set_property = hc_remote_participant_set_property;
  object_class->dispose = hc_remote_participant_dispose;
  object_class->finalize = hc_remote_participant_finalize;

  properties[PROP_SID] =
    g_param_spec_string ("sid", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_IDENTITY] =
    g_param_spec_string ("identity", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_PUBLISHING] =
    g_param_spec_boolean ("publishing", NULL, NULL, FALSE, read_only);
  properties[PROP_AUDIO_MUTED] =
    g_param_spec_boolean ("audio-muted", NULL, NULL, FALSE, read_only);
  properties[PROP_VIDEO_MUTED] =
    g_param_spec_boolean ("video-muted", NULL, NULL, FALSE, read_only);
  properties[PROP_IS_DOMINANT_SPEAKER] =
    g_param_spec_boolean ("is-dominant-speaker", NULL, NULL, FALSE, read_only);
  /**
   * HcRemoteParticipant:network-quality:
   *
   * The same as #HcRemoteParticipant:network-quality-level, under its first name.
   */
  properties[PROP_NETWORK_QUALITY] =
    g_param_spec_int ("network-quality", NULL, NULL, -1, 5, -1, read_only);
  /**
   * HcRemoteParticipant:network-quality-level:
   *
   * The network quality level the participant reports, Twilio's scale: 5 excellent …
   * 1 bad, 0 broken (reconnecting; also shown when its reports stop), -1 before its
   * first report.
   */
  properties[PROP_NETWORK_QUALITY_LEVEL] =
    g_param_spec_int ("network-quality-level", NULL, NULL, -1, 5, -1, read_only);
  /**
   * HcRemoteParticipant:network-quality-reason:
   *
   * Why the level is below 5 (an #HcNetworkQualityReason).
   */
  properties[PROP_NETWORK_QUALITY_REASON] =
    g_param_spec_enum ("network-quality-reason", NULL, NULL, HC_TYPE_NETWORK_QUALITY_REASON,
                       HC_NETWORK_QUALITY_REASON_NONE, read_only);
  /**
   * HcRemoteParticipant:network-quality-description:
   *
   * The reason as a translated sentence about this participant, or %NULL.
   */
  properties[PROP_NETWORK_QUALITY_DESCRIPTION] =
    g_param_spec_string ("network-quality-description", NULL, NULL, NULL, read_only);
  /**
   * HcRemoteParticipant:audio-only:
   *
   * The participant stopped sending video because its connection is too weak.
   */
  properties[PROP_AUDIO_ONLY] =
    g_param_spec_boolean ("audio-only", NULL, NULL, FALSE, read_only);
  /**
   * HcRemoteParticipant:paintable:
   *
   * The participant's decoded video. It survives resubscriptions (after a media
   * server restart, say): a tile binds to it once.
   */
  properties[PROP_PAINTABLE] =
    g_param_spec_object ("paintable", NULL, NULL, GDK_TYPE_PAINTABLE,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_SUBSCRIPTION_STATE] =
    g_param_spec_enum ("subscription-state", NULL, NULL, HC_TYPE_MEDIA_STATE,
                       HC_MEDIA_STATE_NEW, read_only);
  /**
   * HcRemoteParticipant:substream:
   *
   * The simulcast layer the server confirmed sending (0 low … 2 high), -1 before the
   * subscription is configured.
   */
  properties[PROP_SUBSTREAM] =
    g_param_spec_int ("substream", NULL, NULL, -1, 2, -1, read_only);
  properties[PROP_PAUSED] =
    g_param_spec_boolean ("paused", NULL, NULL, FALSE, read_only);
  /**
   * HcRemoteParticipant:preferred-substream:
   *
   * The layer the stage wants, or %HC_SUBSTREAM_AUTO (-1) for the engine's choice
   * (high for the featured participant, low for thumbnails).
   */
  properties[PROP_PREFERRED_SUBSTREAM] =
    g_param_spec_int ("preferred-substream", NULL, NULL, -1, 2, HC_SUBSTREAM_AUTO,
                      G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /**
   * HcRemoteParticipant:tile-visible:
   *
   * Whether the stage shows this participant's video. A hidden tile receives no video:
   * the subscription is paused.
   */
  properties[PROP_TILE_VISIBLE] =
    g_param_spec_boolean ("tile-visible", NULL, NULL, TRUE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
hc_remote_participant_init (HcRemoteParticipant *self)
{
  self->network_quality = -1;
  self->substream = -1;
  self->preferred_substream = HC_SUBSTREAM_AUTO;
  self->tile_visible = TRUE;
  self->paintable = hc_video_paintable_new ();
}

HcRemoteParticipant *
hc_remote_participant_new (const char *sid,
                           const char *identity)
{
  g_return_val_if_fail (sid != NULL, NULL);

  return g_object_new (HC_TYPE_REMOTE_PARTICIPANT, "sid", sid, "identity", identity, NULL);
}

const char *
hc_remote_participant_get_sid (HcRemoteParticipant *self)
{
  g_return_val_if_fail (HC_IS_REMOTE_PARTICIPANT (self), NULL);
  return self->sid;
}

const char *
hc_remote_participant_get_identity (HcRemoteParticipant *self)
{
  g_return_val_if_fail (HC_IS_REMOTE_PARTICIPANT (self), NULL);
  return self->identity;
}

gboolean
hc_remote_participant_get_publishing (HcRemoteParticipant *self)
{
  g_return_val_if_fail (HC_IS_REMOTE_PARTICIPANT (self), FALSE);
  return self->publishing;
}

gboolean
hc_remote_participant_get_audio_muted (HcRemoteParticipant *self)
{
  g_return_val_if_fail (HC_IS_REMOTE_PARTICIPANT (self), FALSE);
  return self->audio_muted;
}

gboolean
hc_remote_participant_get_video_muted (HcRemoteParticipant *self)
{
  g_return_val_if_fail (HC_IS_REMOTE_PARTICIPANT (self), FALSE);
  return self->video_muted;
}

gboolean
hc_remote_participant_get_is_dominant_speaker (HcRemoteParticipant *self)
{
  g_return_val_if_fail (HC_IS_REMOTE_PARTICIPANT (self), FALSE);
  return self->is_dominant_speaker;
}

int
hc_remote_participant_get_network_quality (HcRemoteParticipant *self)
{
  g_return_val_if_fail (HC_IS_REMOTE_PARTICIPANT (self), -1);
  return self->network_quality;
}

GdkPaintable *
hc_remote_participant_get_paintable (HcRemoteParticipant *self)
{
  g_return_val_if_fail (HC_IS_REMOTE_PARTICIPANT (self), NULL);
  return GDK_PAINTABLE (self->paintable);
}

HcVideoPaintable *
hc_remote_participant_get_video_paintable (HcRemoteParticipant *self)
{
  g_return_val_if_fail (HC_IS_REMOTE_PARTICIPANT (self), NULL);
  return self->paintable;
}

HcMediaState
hc_remote_participant_get_subscription_state (HcRemoteParticipant *self)
{
  g_return_val_if_fail (HC_IS_REMOTE_PARTICIPANT (self), HC_MEDIA_STATE_NEW);
  return self->subscription_state;
}

int
hc_remote_participant_get_substream (HcRemoteParticipant *self)
{
  g_return_val_if_fail (HC_IS_REMOTE_PARTICIPANT (self), -1);
  return self->substream;
}

gboolean
hc_remote_participant_get_paused (HcRemoteParticipant *self)
{
  g_return_val_if_fail (HC_IS_REMOTE_PARTICIPANT (self), FALSE);
  return self->paused;
}

int
hc_remote_participant_get_preferred_substream (HcRemoteParticipant *self)
{
  g_return_val_if_fail (HC_IS_REMOTE_PARTICIPANT (self), HC_SUBSTREAM_AUTO);
  return self->preferred_substream;
}

void
hc_remote_participant_set_preferred_substream (HcRemoteParticipant *self,
                                               int                  substream)
{
  g_return_if_fail (HC_IS_REMOTE_PARTICIPANT (self));
  g_return_if_fail (substream >= HC_SUBSTREAM_AUTO && substream <= 2);

  set_int (self, &self->preferred_substream, substream, PROP_PREFERRED_SUBSTREAM);
}

gboolean
hc_remote_participant_get_tile_visible (HcRemoteParticipant *self)
{
  g_return_val_if_fail (HC_IS_REMOTE_PARTICIPANT (self), TRUE);
  return self->tile_visible;
}

void
hc_remote_participant_set_tile_visible (HcRemoteParticipant *self,
                                        gboolean             visible)
{
  g_return_if_fail (HC_IS_REMOTE_PARTICIPANT (self));

  set_boolean (self, &self->tile_visible, visible, PROP_TILE_VISIBLE);
}

void
hc_remote_participant_set_publishing (HcRemoteParticipant *self,
                                      gboolean             publishing)
{
  g_return_if_fail (HC_IS_REMOTE_PARTICIPANT (self));

  set_boolean (self, &self->publishing, publishing, PROP_PUBLISHING);
}

void
hc_remote_participant_set_muted (HcRemoteParticipant *self,
                                 gboolean             audio,
                                 gboolean             video)
{
  g_return_if_fail (HC_IS_REMOTE_PARTICIPANT (self));

  set_boolean (self, &self->audio_muted, audio, PROP_AUDIO_MUTED);
  set_boolean (self, &self->video_muted, video, PROP_VIDEO_MUTED);
}

void
hc_remote_participant_set_is_dominant_speaker (HcRemoteParticipant *self,
                                               gboolean             dominant)
{
  g_return_if_fail (HC_IS_REMOTE_PARTICIPANT (self));

  set_boolean (self, &self->is_dominant_speaker, dominant, PROP_IS_DOMINANT_SPEAKER);
}

void
hc_remote_participant_set_subscription_state (HcRemoteParticipant *self,
                                              HcMediaState         state)
{
  g_return_if_fail (HC_IS_REMOTE_PARTICIPANT (self));

  if (self->subscription_state == state)
    return;
  self->subscription_state = state;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SUBSCRIPTION_STATE]);
}

void
hc_remote_participant_set_configured (HcRemoteParticipant *self,
                                      int                  substream,
                                      gboolean             paused)
{
  g_return_if_fail (HC_IS_REMOTE_PARTICIPANT (self));

  set_int (self, &self->substream, substream, PROP_SUBSTREAM);
  set_boolean (self, &self->paused, paused, PROP_PAUSED);
}

const char *
hc_remote_participant_get_name (HcRemoteParticipant *self)
{
  g_return_val_if_fail (HC_IS_REMOTE_PARTICIPANT (self), NULL);

  return self->name != NULL && self->name[0] != '\0' ? self->name : self->identity;
}

void
hc_remote_participant_set_name (HcRemoteParticipant *self,
                                const char          *name)
{
  g_return_if_fail (HC_IS_REMOTE_PARTICIPANT (self));

  g_free (self->name);
  self->name = g_strdup (name);
}

int
hc_remote_participant_get_network_quality_level (HcRemoteParticipant *self)
{
  g_return_val_if_fail (HC_IS_REMOTE_PARTICIPANT (self), -1);
  return self->network_quality;
}

int
hc_remote_participant_get_network_quality_reason (HcRemoteParticipant *self)
{
  g_return_val_if_fail (HC_IS_REMOTE_PARTICIPANT (self), HC_NETWORK_QUALITY_REASON_NONE);
  return self->network_quality_reason;
}

const char *
hc_remote_participant_get_network_quality_description (HcRemoteParticipant *self)
{
  g_return_val_if_fail (HC_IS_REMOTE_PARTICIPANT (self), NULL);
  return self->network_quality_description;
}

gboolean
hc_remote_participant_get_audio_only (HcRemoteParticipant *self)
{
  g_return_val_if_fail (HC_IS_REMOTE_PARTICIPANT (self), FALSE);
  return self->audio_only;
}

void
hc_remote_participant_set_network_quality (HcRemoteParticipant *self,
                                           int                  level,
                                           int                  reason,
                                           gboolean             audio_only)
{
  g_return_if_fail (HC_IS_REMOTE_PARTICIPANT (self));
  g_return_if_fail (level >= -1 && level <= 5);
  g_return_if_fail (reason >= 0 && reason < HC_NETWORK_QUALITY_N_REASONS);

  g_object_freeze_notify (G_OBJECT (self));
  if (self->network_quality != level)
    {
      self->network_quality = level;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_NETWORK_QUALITY]);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_NETWORK_QUALITY_LEVEL]);
    }
  if (self->network_quality_reason != reason)
    {
      g_autofree char *description = hc_network_quality_reason_describe (reason,
                                                                         hc_remote_participant_get_name (self));

      self->network_quality_reason = reason;
      g_free (self->network_quality_description);
      self->network_quality_description = g_steal_pointer (&description);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_NETWORK_QUALITY_REASON]);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_NETWORK_QUALITY_DESCRIPTION]);
    }
  set_boolean (self, &self->audio_only, audio_only, PROP_AUDIO_ONLY);
  g_object_thaw_notify (G_OBJECT (self));
}
