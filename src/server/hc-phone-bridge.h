/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "hc-config.h"
#include "hc-media.h"
#include "hc-store.h"

G_BEGIN_DECLS

/* What a provider asks for when dialing out (docs/phone-bridge.md). */
typedef struct
{
  const char *room_sid;
  const char *created_by;        /* the provider's identity, NULL for the API key */
  const char *to;                /* E.164, already normalized */
  const char *label;             /* the participant's name in the room */
  const char *send_digits;       /* already checked, or NULL */
  const char *status_callback;   /* an http(s) URL, or NULL */
  const char *callback_events;   /* space-separated initiated/ringing/answered/completed */
  guint       ring_timeout;      /* seconds; 0: [sip] ring-timeout-seconds */
  guint       time_limit;        /* seconds; 0: [sip] max-call-seconds */
} HcPhoneDialOptions;

#define HC_TYPE_PHONE_BRIDGE (hc_phone_bridge_get_type ())
G_DECLARE_FINAL_TYPE (HcPhoneBridge, hc_phone_bridge, HC, PHONE_BRIDGE, GObject)

/* The SIP user agent (sofia-sip on the GLib main loop) and its calls. Emits
 * "call-changed" (const HcPhoneCallRecord *) after every status change,
 * once the record is saved. */
HcPhoneBridge     *hc_phone_bridge_new            (const HcConfig           *config,
                                                   HcStore                  *store,
                                                   HcMedia                  *media);
gboolean           hc_phone_bridge_start          (HcPhoneBridge            *self,
                                                   GError                  **error);
/* Hangs up every call and shuts the user agent down (bounded wait). */
void               hc_phone_bridge_stop           (HcPhoneBridge            *self);
/* Whether [sip] names a trunk and this build has the phone bridge. */
gboolean           hc_phone_bridge_is_available   (HcPhoneBridge            *self);

HcPhoneCallRecord *hc_phone_bridge_dial           (HcPhoneBridge            *self,
                                                   const HcPhoneDialOptions *options,
                                                   GError                  **error);
gboolean           hc_phone_bridge_hangup         (HcPhoneBridge            *self,
                                                   const char               *call_sid,
                                                   GError                  **error);
gboolean           hc_phone_bridge_send_digits    (HcPhoneBridge            *self,
                                                   const char               *call_sid,
                                                   const char               *digits,
                                                   GError                  **error);
guint              hc_phone_bridge_count_active   (HcPhoneBridge            *self,
                                                   const char               *room_sid);
/* The room ended: its calls are hung up. */
void               hc_phone_bridge_room_ended     (HcPhoneBridge            *self,
                                                   const char               *room_sid);

/* Whether @status is final. */
gboolean           hc_phone_call_status_is_final  (const char               *status);

G_END_DECLS
