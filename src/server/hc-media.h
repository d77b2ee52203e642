/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "hc-config.h"
#include "hc-janus.h"
#include "hc-store.h"

G_BEGIN_DECLS

typedef struct _HcSignalSession HcSignalSession;
typedef struct _HcMediaRoom HcMediaRoom;

#define HC_TYPE_MEDIA (hc_media_get_type ())
G_DECLARE_FINAL_TYPE (HcMedia, hc_media, HC, MEDIA, GObject)

/* The media side of housecalld: the Janus servers (one embedded and
 * supervised, or an external list), the rooms live in them, and the routing
 * of Janus events to the sessions whose handles they concern. */
HcMedia      *hc_media_new                (const HcConfig   *config);
gboolean      hc_media_start              (HcMedia          *self,
                                           GError          **error);
void          hc_media_stop               (HcMedia          *self);

HcMediaRoom  *hc_media_get_room           (HcMedia          *self,
                                           const HcRoomRecord *room);
void          hc_media_room_finished      (HcMedia          *self,
                                           HcMediaRoom      *room);

/* The least loaded Janus with a live session, or NULL. */
HcJanus      *hc_media_pick_janus         (HcMedia          *self);
/* The handle housecalld uses to create and destroy rooms on @janus. */
void          hc_media_control_handle_async  (HcMedia            *self,
                                              HcJanus            *janus,
                                              GAsyncReadyCallback callback,
                                              gpointer            user_data);
guint64       hc_media_control_handle_finish (HcMedia            *self,
                                              GAsyncResult       *result,
                                              GError            **error);

void          hc_media_destroy_janus_room (HcMedia          *self,
                                           HcJanus          *janus,
                                           guint64           janus_room);

void          hc_media_register_handle    (HcMedia          *self,
                                           guint64           handle,
                                           HcSignalSession  *session);
void          hc_media_unregister_handle  (HcMedia          *self,
                                           guint64           handle);

guint         hc_media_get_n_servers      (HcMedia          *self);
guint         hc_media_get_n_ready        (HcMedia          *self);
/* Rooms placed on server @index, or G_MAXUINT when there is no such server. */
guint         hc_media_get_load           (HcMedia          *self,
                                           guint             index);

G_END_DECLS
