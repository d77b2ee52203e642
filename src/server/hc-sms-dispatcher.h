/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "hc-clock.h"
#include "hc-config.h"
#include "hc-sms-sender.h"
#include "hc-sms-template.h"
#include "hc-store.h"

G_BEGIN_DECLS

#define HC_SID_PREFIX_APPOINTMENT "AP"
#define HC_SID_PREFIX_SMS         "MS"

/* The SMS send queue. Messages are rows in the store (sms_messages); the
 * dispatcher plans them for appointments, sends those that are due through
 * an HcSmsSender, retries with exponential backoff up to a bound, records
 * gateways' reports, and after a crash settles sends that were under way
 * without sending twice where the gateway makes that possible. */

#define HC_TYPE_SMS_DISPATCHER (hc_sms_dispatcher_get_type ())
G_DECLARE_FINAL_TYPE (HcSmsDispatcher, hc_sms_dispatcher, HC, SMS_DISPATCHER, GObject)

HcSmsDispatcher *hc_sms_dispatcher_new            (HcStore                    *store,
                                                   HcSmsSender                *sender,
                                                   HcClock                    *clock,
                                                   const HcConfig             *config);
/* @link_base is where patients' links point (…/v/CODE); @callback_base is
 * the base URL the gateway reaches us at for delivery reports. */
void             hc_sms_dispatcher_start          (HcSmsDispatcher            *self,
                                                   const char                 *link_base,
                                                   const char                 *callback_base);
void             hc_sms_dispatcher_stop           (HcSmsDispatcher            *self);
/* Looks at the queue again now (after the store changed). */
void             hc_sms_dispatcher_kick           (HcSmsDispatcher            *self);

HcClock         *hc_sms_dispatcher_get_clock      (HcSmsDispatcher            *self);
HcSmsSender     *hc_sms_dispatcher_get_sender     (HcSmsDispatcher            *self);
guint            hc_sms_dispatcher_get_n_in_flight (HcSmsDispatcher           *self);

char            *hc_sms_dispatcher_visit_url      (HcSmsDispatcher            *self,
                                                   const HcAppointmentRecord  *appointment);
/* The text of a @kind message for @appointment as it would go out now. */
char            *hc_sms_dispatcher_render         (HcSmsDispatcher            *self,
                                                   HcSmsKind                   kind,
                                                   const HcAppointmentRecord  *appointment,
                                                   HcSmsLength                *length,
                                                   GError                    **error);

/* Fills in a new appointment's visit code and expiry and returns the
 * messages it needs (the invite and the reminders still ahead), after
 * checking that every template renders for it. */
GPtrArray       *hc_sms_dispatcher_plan_new       (HcSmsDispatcher            *self,
                                                   HcAppointmentRecord        *appointment,
                                                   GError                    **error);
/* For an edit of @old into @updated (which may be a cancellation): the
 * messages to add and, in *cancel_kinds, the kinds of scheduled message to
 * cancel. @current lists @old's messages. */
GPtrArray       *hc_sms_dispatcher_plan_change    (HcSmsDispatcher            *self,
                                                   const HcAppointmentRecord  *old,
                                                   HcAppointmentRecord        *updated,
                                                   GPtrArray                  *current,
                                                   const char * const        **cancel_kinds,
                                                   GError                    **error);

/* Queues one text to @to (E.164) with guest link @link, whose token is
 * @jti and expires at @expires_at, made from the guest-invite template now
 * and stored with the message (it is cleared once the gateway has it).
 * Returns the stored message as it stands after the queue was looked at. */
HcSmsRecord     *hc_sms_dispatcher_queue_guest_invite (HcSmsDispatcher        *self,
                                                   const char                 *to,
                                                   const char                 *link,
                                                   const char                 *jti,
                                                   gint64                      expires_at,
                                                   GError                    **error);

/* A gateway's report on message @sid: @status is queued, sent, delivered
 * or failed. */
gboolean         hc_sms_dispatcher_report         (HcSmsDispatcher            *self,
                                                   const char                 *sid,
                                                   const char                 *status,
                                                   const char                 *error_message,
                                                   GError                    **error);
/* An inbound text from @number: STOP and its synonyms opt out, START and
 * its synonyms opt back in. Returns whether it was one of those words. */
gboolean         hc_sms_dispatcher_inbound        (HcSmsDispatcher            *self,
                                                   const char                 *number,
                                                   const char                 *text,
                                                   GError                    **error);

G_END_DECLS
