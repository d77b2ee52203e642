/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <libsoup/soup.h>

#include "hc-http.h"
#include "hc-interpreter-service.h"
#include "hc-media.h"
#include "hc-phone-bridge.h"
#include "hc-rate-limiter.h"
#include "hc-server.h"
#include "hc-sms-dispatcher.h"
#include "hc-token.h"

G_BEGIN_DECLS

/* The request handlers live in one file per resource (hc-rest-*.c,
 * hc-signal-session.c) and share the server's state through this struct. */
struct _HcServer
{
  GObject        parent_instance;

  HcConfig      *config;
  HcStore       *store;
  SoupServer    *soup;
  GSocketService *listener;     /* accepts connections and hands them to soup */
  GTlsCertificate *certificate; /* NULL: plain HTTP (loopback only) */
  HcTokenKey     token_key;
  HcRateLimiter *login_by_account;
  HcRateLimiter *login_by_address;
  HcRateLimiter *visits_by_address;
  GPtrArray     *sessions;       /* HcSignalSession, the open signaling sockets */
  HcMedia       *media;
  HcSmsDispatcher *sms;          /* appointments' SMS queue */
  HcPhoneBridge *phone;          /* the SIP phone bridge */
  HcInterpreterService *interpreters; /* the clinic's interpreter service, or NULL */
  char          *web_root;
  char          *web_root_real;  /* web_root with symbolic links resolved */
  guint16        port;
  /* Only while hc_server_queue_changed() tells every session: the waiting room worked
   * out once (see HcQueueSnapshot), instead of once per session. */
  struct _HcQueueSnapshot *queue_snapshot;
  /* Patients' identities with an open socket → how many; kept up to date by the
   * sessions (hc_server_patient_online) rather than found by walking them all. */
  GHashTable    *patients_online;
  gboolean       queue_views_all;    /* every provider's queue view changed… */
  const char    *queue_scope;        /* …or only this provider's */
  guint          trim_id;        /* returns freed heap pages to the system */
  guint          tick_id;        /* the sessions' token expiry and idle checks */
  /* Preflight reports parsed for the queue views (text → sealed JsonNode), in two
   * generations so that the cache stays bounded; see preflight_node(). */
  GHashTable    *preflight_nodes;
  GHashTable    *preflight_nodes_old;
};

typedef enum
{
  HC_PRINCIPAL_API_KEY,
  HC_PRINCIPAL_TOKEN,
} HcPrincipalKind;

typedef struct
{
  HcPrincipalKind  kind;
  HcTokenClaims   *claims;     /* for HC_PRINCIPAL_TOKEN */
} HcPrincipal;

void           hc_principal_clear          (HcPrincipal        *principal);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (HcPrincipal, hc_principal_clear)

gint64         hc_server_now               (void);
const char    *hc_server_remote_address    (SoupServerMessage  *msg);

/* Verifies a token completely: signature and claims, revocation, and for
 * providers that the account exists and is enabled. */
HcTokenClaims *hc_server_verify_token      (HcServer           *self,
                                            const char         *token,
                                            GError            **error);
/* Basic auth with the API key, or a Bearer access token. */
gboolean       hc_server_authenticate      (HcServer           *self,
                                            SoupServerMessage  *msg,
                                            HcPrincipal        *principal,
                                            GError            **error);

HcRoomRecord  *hc_server_create_room       (HcServer           *self,
                                            const char         *unique_name,
                                            const char         *video_codec,
                                            guint               max_participants,
                                            const char         *status_callback,
                                            const char         *created_by,
                                            gboolean            ad_hoc,
                                            GError            **error);
gboolean       hc_server_may_manage_room   (HcServer           *self,
                                            const HcPrincipal  *principal,
                                            const HcRoomRecord *room);
void           hc_server_room_completed    (HcServer           *self,
                                            const char         *room_sid);
void           hc_server_token_revoked     (HcServer           *self,
                                            const char         *jti);
char          *hc_server_base_url          (HcServer           *self);

/* Handlers, one per resource. */
void hc_rest_rooms_handle  (HcServer *self, SoupServerMessage *msg, const char *method,
                            char **parts, guint n_parts);
void hc_rest_guest_tokens_handle (HcServer *self, SoupServerMessage *msg, const char *method,
                                  HcRoomRecord *room, HcPrincipal *principal,
                                  const char *jti);
void hc_rest_login_handle  (HcServer *self, SoupServerMessage *msg, const char *method);
void hc_rest_visits_handle (HcServer *self, SoupServerMessage *msg, const char *method,
                            char **parts, guint n_parts);
void hc_rest_waiting_room_handle (HcServer *self, SoupServerMessage *msg, const char *method,
                                  char **parts, guint n_parts);

/* The waiting room: live updates to patients and to providers watching. */
gint     hc_server_queue_position     (HcServer       *self,
                                       HcWaitingEntry *entry,
                                       gint64         *estimated_wait);
void     hc_server_build_queue        (HcServer       *self,
                                       JsonBuilder    *builder,
                                       const char     *provider);
void     hc_server_queue_changed      (HcServer       *self);
/* The same for a change within @provider's queue (NULL: an entry everyone sees):
 * other providers' watchers are not sent their unchanged queue. */
void     hc_server_queue_changed_for  (HcServer       *self,
                                       const char     *provider);
/* During such a change: whether @provider's queue view is part of it. */
gboolean hc_server_queue_view_changed (HcServer       *self,
                                       const char     *provider);
/* Only the queue views of @provider's watchers changed (a patient connected or went);
 * @provider NULL for an entry everyone sees. */
void     hc_server_provider_queue_changed (HcServer   *self,
                                           const char *provider);

/* Everyone waiting or admitted (@provider's entries and those without a provider when
 * @provider is not NULL), first checked in first, each waiting entry with its position
 * and estimated wait: what each session would otherwise ask the store for. */
typedef struct _HcQueueSnapshot HcQueueSnapshot;
HcQueueSnapshot      *hc_queue_snapshot_new   (HcServer        *self,
                                               const char      *provider);
void                  hc_queue_snapshot_free  (HcQueueSnapshot *snapshot);
/* @identity's entry, or NULL when not waiting or admitted; borrowed. */
const HcWaitingEntry *hc_queue_snapshot_find  (HcQueueSnapshot *snapshot,
                                               const char      *identity,
                                               gint            *position,
                                               gint64          *estimated_wait);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HcQueueSnapshot, hc_queue_snapshot_free)
/* A patient's session authenticated (@online) or closed. */
void     hc_server_patient_online     (HcServer       *self,
                                       const char     *identity,
                                       gboolean        online);
gboolean hc_server_patient_connected  (HcServer       *self,
                                       const char     *identity);
void     hc_server_remove_patient     (HcServer       *self,
                                       const char     *identity);
void     hc_server_send_to_identity   (HcServer       *self,
                                       const char     *identity,
                                       JsonNode       *message);
void hc_rest_appointments_handle (HcServer *self, SoupServerMessage *msg, const char *method,
                                  char **parts, guint n_parts);
void hc_rest_sms_handle    (HcServer *self, SoupServerMessage *msg, const char *method,
                            char **parts, guint n_parts);

/* Mints and records a guest token scoped to @room (hc-rest-auth.c). */
char *hc_server_mint_guest (HcServer *self, const HcRoomRecord *room, const char *identity,
                            guint64 ttl, const char *issued_by, const char *address,
                            HcTokenClaims **claims_out, GError **error);
void hc_rest_interpreters_handle (HcServer *self, SoupServerMessage *msg, const char *method,
                                  HcRoomRecord *room, HcPrincipal *principal);

/* The phone bridge (hc-rest-phone-calls.c). */
void hc_rest_phone_calls_handle (HcServer *self, SoupServerMessage *msg, const char *method,
                                 HcRoomRecord *room, HcPrincipal *principal,
                                 char **parts, guint n_parts);
void hc_server_build_phone_call (HcServer *self, JsonBuilder *builder,
                                 const HcPhoneCallRecord *call);
/* Checks the number and digits and places the call. */
HcPhoneCallRecord *hc_server_dial (HcServer *self, const HcRoomRecord *room,
                                   const char *created_by, const char *to,
                                   const char *send_digits, const char *label,
                                   const char *status_callback, const char *events,
                                   guint timeout, guint time_limit, GError **error);

G_END_DECLS
