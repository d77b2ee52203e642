/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define HC_TYPE_APPOINTMENT_ITEM (hc_appointment_item_get_type ())
G_DECLARE_FINAL_TYPE (HcAppointmentItem, hc_appointment_item, HC, APPOINTMENT_ITEM, GObject)

/* An appointment as the server lists it, with what happened to its texts. */
HcAppointmentItem *hc_appointment_item_new_from_json  (JsonObject        *object);
const char        *hc_appointment_item_get_sid          (HcAppointmentItem *self);
const char        *hc_appointment_item_get_patient_name (HcAppointmentItem *self);
const char        *hc_appointment_item_get_mobile       (HcAppointmentItem *self);
const char        *hc_appointment_item_get_note         (HcAppointmentItem *self);
gint64             hc_appointment_item_get_start_time   (HcAppointmentItem *self);
/* A sentence on the texts: "Invite delivered", "Invite failed: …". */
const char        *hc_appointment_item_get_sms_summary  (HcAppointmentItem *self);
gboolean           hc_appointment_item_get_sms_failed   (HcAppointmentItem *self);

G_END_DECLS
