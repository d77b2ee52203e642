/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "hc-config.h"
#include "hc-interpreter.h"

G_BEGIN_DECLS

/* What housecalld tells an interpreter service when a provider asks for an
 * interpreter (docs/interpreter-service.md). */
typedef struct
{
  const char *request_id;       /* IR… */
  const char *language;         /* BCP 47 */
  const char *room_sid;
  const char *room_name;
  const char *clinic;
  const char *guest_identity;   /* the guest link minted for this request */
  const char *guest_token;
  const char *join_url;
  gint64      guest_expires;    /* Unix time */
} HcInterpreterRequest;

#define HC_TYPE_INTERPRETER_SERVICE (hc_interpreter_service_get_type ())
G_DECLARE_INTERFACE (HcInterpreterService, hc_interpreter_service, HC, INTERPRETER_SERVICE, GObject)

/* The adapter interface: one request, one offer (join by link, dial a
 * number, or nobody available). Implementations: HcInterpreterHttp, the
 * documented HTTP JSON contract. */
struct _HcInterpreterServiceInterface
{
  GTypeInterface parent_iface;

  const char *        (*get_name)       (HcInterpreterService       *self);
  void                (*request_async)  (HcInterpreterService       *self,
                                         const HcInterpreterRequest *request,
                                         GCancellable               *cancellable,
                                         GAsyncReadyCallback         callback,
                                         gpointer                    user_data);
  HcInterpreterOffer *(*request_finish) (HcInterpreterService       *self,
                                         GAsyncResult               *result,
                                         GError                    **error);
};

const char         *hc_interpreter_service_get_name       (HcInterpreterService       *self);
void                hc_interpreter_service_request_async  (HcInterpreterService       *self,
                                                           const HcInterpreterRequest *request,
                                                           GCancellable               *cancellable,
                                                           GAsyncReadyCallback         callback,
                                                           gpointer                    user_data);
/* Errors: HC_ERROR_INTERPRETER_FAILED (unreachable, timeout, HTTP error),
 * HC_ERROR_INTERPRETER_BAD_RESPONSE (off the contract). */
HcInterpreterOffer *hc_interpreter_service_request_finish (HcInterpreterService       *self,
                                                           GAsyncResult               *result,
                                                           GError                    **error);

/* The clinic's service from [interpreter], or NULL when none is configured. */
HcInterpreterService *hc_interpreter_service_new_for_config (const HcConfig *config);

#define HC_TYPE_INTERPRETER_HTTP (hc_interpreter_http_get_type ())
G_DECLARE_FINAL_TYPE (HcInterpreterHttp, hc_interpreter_http, HC, INTERPRETER_HTTP, GObject)

HcInterpreterHttp  *hc_interpreter_http_new (const char *url,
                                             GBytes     *bearer_token,
                                             const char *name,
                                             guint       timeout_seconds);

G_END_DECLS
