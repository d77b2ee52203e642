/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

typedef struct
{
  gint64    id;
  char     *username;
  char     *display_name;
  char     *password_hash;
  gboolean  disabled;
  gint64    date_created;
} HcProviderRecord;

typedef struct
{
  char     *sid;
  char     *unique_name;
  char     *status;            /* "in-progress" or "completed" */
  char     *type;
  char     *video_codec;       /* "VP8" or "H264" */
  char     *status_callback;
  char     *created_by;
  guint     max_participants;
  gboolean  ad_hoc;
  gint64    date_created;
  gint64    date_updated;
  gint64    end_time;          /* 0 while in progress */
} HcRoomRecord;

typedef struct
{
  char   *jti;
  char   *identity;
  char   *room_sid;
  char   *issued_by;
  gint64  date_created;
  gint64  date_expires;
  gint64  date_revoked;        /* 0 while valid */
} HcTokenRecord;

typedef struct
{
  gint64  id;
  gint64  time;
  char   *event;
  char   *actor;
  char   *subject;
  char   *address;
} HcAuditRecord;

void hc_provider_record_free (HcProviderRecord *record);
void hc_room_record_free     (HcRoomRecord     *record);
void hc_token_record_free    (HcTokenRecord    *record);
void hc_audit_record_free    (HcAuditRecord    *record);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HcProviderRecord, hc_provider_record_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HcRoomRecord, hc_room_record_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HcTokenRecord, hc_token_record_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HcAuditRecord, hc_audit_record_free)

#define HC_TYPE_STORE (hc_store_get_type ())
G_DECLARE_FINAL_TYPE (HcStore, hc_store, HC, STORE, GObject)

HcStore          *hc_store_open                  (const char        *path,
                                                  GError           **error);
const char       *hc_store_get_path              (HcStore           *self);
int               hc_store_get_schema_version    (HcStore           *self);

gboolean          hc_store_add_provider          (HcStore           *self,
                                                  const char        *username,
                                                  const char        *display_name,
                                                  const char        *password_hash,
                                                  GError           **error);
HcProviderRecord *hc_store_lookup_provider       (HcStore           *self,
                                                  const char        *username,
                                                  GError           **error);
GPtrArray        *hc_store_list_providers        (HcStore           *self,
                                                  GError           **error);
gboolean          hc_store_set_provider_disabled (HcStore           *self,
                                                  const char        *username,
                                                  gboolean           disabled,
                                                  GError           **error);

gboolean          hc_store_insert_room           (HcStore           *self,
                                                  const HcRoomRecord *room,
                                                  GError           **error);
HcRoomRecord     *hc_store_find_room             (HcStore           *self,
                                                  const char        *sid_or_name,
                                                  GError           **error);
GPtrArray        *hc_store_list_rooms            (HcStore           *self,
                                                  const char        *status,
                                                  const char        *unique_name,
                                                  guint              limit,
                                                  GError           **error);
gboolean          hc_store_complete_room         (HcStore           *self,
                                                  const char        *sid,
                                                  gint64             now,
                                                  GError           **error);

gboolean          hc_store_insert_participant    (HcStore           *self,
                                                  const char        *sid,
                                                  const char        *room_sid,
                                                  const char        *identity,
                                                  const char        *role,
                                                  gint64             now,
                                                  GError           **error);
gboolean          hc_store_disconnect_participant (HcStore          *self,
                                                  const char        *sid,
                                                  gint64             now,
                                                  GError           **error);
gint              hc_store_count_connected       (HcStore           *self,
                                                  const char        *room_sid,
                                                  GError           **error);
gboolean          hc_store_identity_in_room      (HcStore           *self,
                                                  const char        *identity,
                                                  const char        *room_sid,
                                                  const char        *role);
gboolean          hc_store_disconnect_all        (HcStore           *self,
                                                  gint64             now,
                                                  GError           **error);

gboolean          hc_store_record_token          (HcStore           *self,
                                                  const HcTokenRecord *token,
                                                  GError           **error);
gboolean          hc_store_revoke_token          (HcStore           *self,
                                                  const char        *jti,
                                                  const char        *room_sid,
                                                  gint64             now,
                                                  GError           **error);
gboolean          hc_store_token_is_revoked      (HcStore           *self,
                                                  const char        *jti);
GPtrArray        *hc_store_list_tokens           (HcStore           *self,
                                                  const char        *room_sid,
                                                  gint64             now,
                                                  GError           **error);

void              hc_store_audit                 (HcStore           *self,
                                                  const char        *event,
                                                  const char        *actor,
                                                  const char        *subject,
                                                  const char        *address);
GPtrArray        *hc_store_list_audit            (HcStore           *self,
                                                  guint              limit,
                                                  GError           **error);

G_END_DECLS
