/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "hc-config.h"

G_BEGIN_DECLS

/* One SMS to hand over. @sid is ours (MS…) and is what delivery reports
 * refer back to; @callback_url, when not NULL, is where the gateway posts
 * them. */
typedef struct
{
  const char *sid;
  const char *to;
  const char *body;
  const char *callback_url;
  gint64      sending_since;   /* when this attempt began (reconciliation) */
  /* Reconciliation: the gateway's ids of our other messages to this number,
   * which cannot be this one even if their text is the same. */
  const char * const *known_ids;
} HcSmsOutgoing;

typedef enum
{
  HC_SMS_RECONCILE_SENT,       /* the gateway has it: do not send again */
  HC_SMS_RECONCILE_NOT_SENT,   /* the gateway never got it: send it */
  HC_SMS_RECONCILE_UNKNOWN,    /* cannot tell: wait for a delivery report */
} HcSmsReconcileResult;

#define HC_TYPE_SMS_SENDER (hc_sms_sender_get_type ())
G_DECLARE_INTERFACE (HcSmsSender, hc_sms_sender, HC, SMS_SENDER, GObject)

/* An SMS gateway. send_finish() returns the gateway's id for the message
 * (our sid when the gateway has none), or an HC_ERROR:
 * HC_ERROR_SMS_GATEWAY_UNAVAILABLE when trying again later may work (no
 * connection, a timeout, 5xx, 429), HC_ERROR_SMS_GATEWAY_REJECTED when it will
 * not (the gateway refused the request; the message says why). */
struct _HcSmsSenderInterface
{
  GTypeInterface g_iface;

  const char          *(*get_name)         (HcSmsSender          *self);
  void                 (*send_async)       (HcSmsSender          *self,
                                            const HcSmsOutgoing  *message,
                                            GCancellable         *cancellable,
                                            GAsyncReadyCallback   callback,
                                            gpointer              user_data);
  char                *(*send_finish)      (HcSmsSender          *self,
                                            GAsyncResult         *result,
                                            GError              **error);
  /* After a crash between "sending" and the gateway's answer: did the
   * gateway get the message? */
  void                 (*reconcile_async)  (HcSmsSender          *self,
                                            const HcSmsOutgoing  *message,
                                            GCancellable         *cancellable,
                                            GAsyncReadyCallback   callback,
                                            gpointer              user_data);
  HcSmsReconcileResult (*reconcile_finish) (HcSmsSender          *self,
                                            GAsyncResult         *result,
                                            char                **gateway_id,
                                            GError              **error);
};

const char           *hc_sms_sender_get_name         (HcSmsSender          *self);
void                  hc_sms_sender_send_async       (HcSmsSender          *self,
                                                      const HcSmsOutgoing  *message,
                                                      GCancellable         *cancellable,
                                                      GAsyncReadyCallback   callback,
                                                      gpointer              user_data);
char                 *hc_sms_sender_send_finish      (HcSmsSender          *self,
                                                      GAsyncResult         *result,
                                                      GError              **error);
void                  hc_sms_sender_reconcile_async  (HcSmsSender          *self,
                                                      const HcSmsOutgoing  *message,
                                                      GCancellable         *cancellable,
                                                      GAsyncReadyCallback   callback,
                                                      gpointer              user_data);
HcSmsReconcileResult  hc_sms_sender_reconcile_finish (HcSmsSender          *self,
                                                      GAsyncResult         *result,
                                                      char                **gateway_id,
                                                      GError              **error);

/* The sender [sms] gateway names: Kannel, Twilio or the outbox. */
HcSmsSender          *hc_sms_sender_new_for_config   (const HcConfig       *config);

/* Helpers for implementations. */
char                 *hc_sms_sender_describe_reply   (guint                 status,
                                                      GBytes               *body);

G_END_DECLS
