/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "HcAppointmentItem"

#include "config.h"

#include "hc-appointment-item.h"

#include <glib/gi18n.h>

struct _HcAppointmentItem
{
  GObject   parent_instance;

  char     *sid;
  char     *patient_name;
  char     *mobile;
  char     *note;
  gint64    start_time;
  char     *sms_summary;
  gboolean  sms_failed;
};

G_DEFINE_FINAL_TYPE (HcAppointmentItem, hc_appointment_item, G_TYPE_OBJECT)

static void
hc_appointment_item_finalize (GObject *object)
{
  HcAppointmentItem *self = HC_APPOINTMENT_ITEM (object);

  g_free (self->sid);
  g_free (self->patient_name);
  g_free (self->mobile);
  g_free (self->note);
  g_free (self->sms_summary);

  G_OBJECT_CLASS (hc_appointment_item_parent_class)->finalize (object);
}

static void
hc_appointment_item_class_init (HcAppointmentItemClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = hc_appointment_item_finalize;
}

static void
hc_appointment_item_init (HcAppointmentItem *self)
{
}

static const char *
kind_label (const char *kind)
{
  if (g_strcmp0 (kind, "invite") == 0)
    return _("Invite");
  if (g_strcmp0 (kind, "reminder") == 0)
    return _("Reminder");
  if (g_strcmp0 (kind, "update") == 0)
    return _("Update");
  if (g_strcmp0 (kind, "cancel") == 0)
    return _("Cancellation");
  return _("Text");
}

static const char *
status_label (const char *status)
{
  if (g_strcmp0 (status, "delivered") == 0)
    return _("delivered");
  if (g_strcmp0 (status, "sent") == 0)
    return _("sent");
  if (g_strcmp0 (status, "queued") == 0 || g_strcmp0 (status, "sending") == 0)
    return _("being sent");
  if (g_strcmp0 (status, "scheduled") == 0)
    return _("scheduled");
  if (g_strcmp0 (status, "cancelled") == 0)
    return _("cancelled");
  if (g_strcmp0 (status, "suppressed") == 0)
    return _("not sent: the patient opted out");
  return status;
}

/* The message that matters most: a failure first, else the latest text
 * that has gone out, else the next one due. */
static void
summarize (HcAppointmentItem *self,
           JsonArray         *messages)
{
  JsonObject *shown = NULL;

  for (guint i = 0; messages != NULL && i < json_array_get_length (messages); i++)
    {
      JsonObject *message = json_array_get_object_element (messages, i);
      const char *status = json_object_get_string_member_with_default (message, "status", "");

      if (g_strcmp0 (status, "failed") == 0)
        {
          shown = message;
          self->sms_failed = TRUE;
          break;
        }
      if (g_strcmp0 (status, "scheduled") != 0 || shown == NULL)
        shown = message;
    }
  if (shown == NULL)
    {
      self->sms_summary = g_strdup (_("No texts"));
      return;
    }
  if (self->sms_failed)
    self->sms_summary = g_strdup_printf (
      /* Translators: e.g. "Invite failed: the number is not a mobile". */
      _("%s failed: %s"),
      kind_label (json_object_get_string_member_with_default (shown, "kind", "")),
      json_object_get_string_member_with_default (shown, "error_message", _("unknown error")));
  else
    self->sms_summary = g_strdup_printf (
      /* Translators: e.g. "Invite delivered", "Reminder scheduled". */
      _("%s %s"),
      kind_label (json_object_get_string_member_with_default (shown, "kind", "")),
      status_label (json_object_get_string_member_with_default (shown, "status", "")));
}

HcAppointmentItem *
hc_appointment_item_new_from_json (JsonObject *object)
{
  HcAppointmentItem *self = g_object_new (HC_TYPE_APPOINTMENT_ITEM, NULL);
  g_autoptr(GDateTime) start = g_date_time_new_from_iso8601 (
    json_object_get_string_member_with_default (object, "start_time", ""), NULL);

  self->sid = g_strdup (json_object_get_string_member_with_default (object, "sid", ""));
  self->patient_name = g_strdup (json_object_get_string_member_with_default (object,
                                                                             "patient_name", ""));
  self->mobile = g_strdup (json_object_get_string_member_with_default (object, "mobile", ""));
  self->note = g_strdup (json_object_get_string_member_with_default (object, "note", ""));
  self->start_time = start ? g_date_time_to_unix (start) : 0;
  summarize (self, json_object_has_member (object, "messages")
                     ? json_object_get_array_member (object, "messages") : NULL);
  return self;
}

const char *
hc_appointment_item_get_sid (HcAppointmentItem *self)
{
  g_return_val_if_fail (HC_IS_APPOINTMENT_ITEM (self), NULL);
  return self->sid;
}

const char *
hc_appointment_item_get_patient_name (HcAppointmentItem *self)
{
  g_return_val_if_fail (HC_IS_APPOINTMENT_ITEM (self), NULL);
  return self->patient_name;
}

const char *
hc_appointment_item_get_mobile (HcAppointmentItem *self)
{
  g_return_val_if_fail (HC_IS_APPOINTMENT_ITEM (self), NULL);
  return self->mobile;
}

const char *
hc_appointment_item_get_note (HcAppointmentItem *self)
{
  g_return_val_if_fail (HC_IS_APPOINTMENT_ITEM (self), NULL);
  return self->note;
}

gint64
hc_appointment_item_get_start_time (HcAppointmentItem *self)
{
  g_return_val_if_fail (HC_IS_APPOINTMENT_ITEM (self), 0);
  return self->start_time;
}


const char *
hc_appointment_item_get_sms_summary (HcAppointmentItem *self)
{
  g_return_val_if_fail (HC_IS_APPOINTMENT_ITEM (self), NULL);
  return self->sms_summary;
}

gboolean
hc_appointment_item_get_sms_failed (HcAppointmentItem *self)
{
  g_return_val_if_fail (HC_IS_APPOINTMENT_ITEM (self), FALSE);
  return self->sms_failed;
}
