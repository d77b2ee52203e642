/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef enum
{
  HC_SESSION_SIGNED_OUT,
  HC_SESSION_SIGNING_IN,
  HC_SESSION_SIGNED_IN,
} HcSessionState;

#define HC_TYPE_SESSION_STATE (hc_session_state_get_type ())
GType hc_session_state_get_type (void);

#define HC_TYPE_SESSION (hc_session_get_type ())
G_DECLARE_FINAL_TYPE (HcSession, hc_session, HC, SESSION, GObject)

/* The provider's session with the practice server: sign-in (the password
 * kept in the keyring, never in a file), the access token and its renewal,
 * and the server's REST resources the console shows. No widget in here, so
 * the tests drive it without a display. */
HcSession      *hc_session_new               (void);

HcSessionState  hc_session_get_state         (HcSession           *self);
const char     *hc_session_get_server_url    (HcSession           *self);
const char     *hc_session_get_username      (HcSession           *self);
const char     *hc_session_get_token         (HcSession           *self);
const char     *hc_session_get_error_message (HcSession           *self);
GListModel     *hc_session_get_rooms         (HcSession           *self);
/* The provider's waiting room (HcQueueEntry), kept fresh while signed in. */
GListModel     *hc_session_get_queue         (HcSession           *self);
/* ws:// or wss:// for the signaling socket. */
char           *hc_session_dup_signal_url    (HcSession           *self);

void            hc_session_sign_in_async     (HcSession           *self,
                                              const char          *server_url,
                                              const char          *username,
                                              const char          *password,
                                              gboolean             remember,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data);
gboolean        hc_session_sign_in_finish    (HcSession           *self,
                                              GAsyncResult        *result,
                                              GError             **error);

/* Signs in with a password the keyring holds for @server_url/@username. */
void            hc_session_restore_async     (HcSession           *self,
                                              const char          *server_url,
                                              const char          *username,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data);
gboolean        hc_session_restore_finish    (HcSession           *self,
                                              GAsyncResult        *result,
                                              GError             **error);

/* Forgets the token and, with @forget_password, the keyring entry. */
void            hc_session_sign_out          (HcSession           *self,
                                              gboolean             forget_password);

void            hc_session_refresh_rooms_async  (HcSession           *self,
                                                 GCancellable        *cancellable,
                                                 GAsyncReadyCallback  callback,
                                                 gpointer             user_data);
gboolean        hc_session_refresh_rooms_finish (HcSession           *self,
                                                 GAsyncResult        *result,
                                                 GError             **error);

/* Creates a room (POST /v1/Rooms); the result is its SID. */
void            hc_session_create_room_async    (HcSession           *self,
                                                 const char          *unique_name,
                                                 GCancellable        *cancellable,
                                                 GAsyncReadyCallback  callback,
                                                 gpointer             user_data);
char           *hc_session_create_room_finish   (HcSession           *self,
                                                 GAsyncResult        *result,
                                                 GError             **error);

void            hc_session_refresh_queue_async  (HcSession           *self,
                                                 GCancellable        *cancellable,
                                                 GAsyncReadyCallback  callback,
                                                 gpointer             user_data);
gboolean        hc_session_refresh_queue_finish (HcSession           *self,
                                                 GAsyncResult        *result,
                                                 GError             **error);

/* Admits a waiting patient; the result is the visit's room SID. */
void            hc_session_admit_async          (HcSession           *self,
                                                 gint64               entry_id,
                                                 GCancellable        *cancellable,
                                                 GAsyncReadyCallback  callback,
                                                 gpointer             user_data);
char           *hc_session_admit_finish         (HcSession           *self,
                                                 GAsyncResult        *result,
                                                 GError             **error);

/* Appointments (HcAppointmentItem), upcoming first. */
GListModel     *hc_session_get_appointments     (HcSession           *self);
void            hc_session_refresh_appointments_async  (HcSession           *self,
                                                        GCancellable        *cancellable,
                                                        GAsyncReadyCallback  callback,
                                                        gpointer             user_data);
gboolean        hc_session_refresh_appointments_finish (HcSession           *self,
                                                        GAsyncResult        *result,
                                                        GError             **error);

/* Creates (@sid NULL) or changes an appointment; the server checks the
 * number and the texts, and its sentence comes back as the error. */
void            hc_session_save_appointment_async  (HcSession           *self,
                                                    const char          *sid,
                                                    const char          *patient_name,
                                                    const char          *mobile,
                                                    GDateTime           *start,
                                                    const char          *note,
                                                    GCancellable        *cancellable,
                                                    GAsyncReadyCallback  callback,
                                                    gpointer             user_data);
void            hc_session_cancel_appointment_async (HcSession           *self,
                                                     const char          *sid,
                                                     GCancellable        *cancellable,
                                                     GAsyncReadyCallback  callback,
                                                     gpointer             user_data);
/* For both: TRUE once the server took it (and the list was refreshed). */
gboolean        hc_session_appointment_finish    (HcSession           *self,
                                                  GAsyncResult        *result,
                                                  GError             **error);

/* An authenticated request to the practice server's API (@path from /v1/…, with an
 * optional form body); the result is the answer's JSON (a null node for 204), or
 * the server's sentence as the error. */
void            hc_session_api_async            (HcSession           *self,
                                                 const char          *method,
                                                 const char          *path,
                                                 GHashTable          *form,
                                                 GCancellable        *cancellable,
                                                 GAsyncReadyCallback  callback,
                                                 gpointer             user_data);
JsonNode       *hc_session_api_finish           (HcSession           *self,
                                                 GAsyncResult        *result,
                                                 GError             **error);

G_END_DECLS
