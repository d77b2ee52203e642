/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "HcMedia"

#include "config.h"

#include "hc-error.h"
#include "hc-janus-process.h"
#include "hc-media-room.h"
#include "hc-media.h"
#include "hc-signal-session.h"

#include <string.h>

struct _HcMedia
{
  GObject         parent_instance;

  const HcConfig *config;           /* unowned: the server owns it */
  HcJanusProcess *process;          /* embedded mode */
  GPtrArray      *januses;          /* HcJanus */
  GHashTable     *control_handles;  /* HcJanus* → guint64* */
  GHashTable     *control_waiters;  /* HcJanus* → GPtrArray of GTask */
  GHashTable     *rooms;            /* room SID → HcMediaRoom */
  GHashTable     *handles;          /* guint64* handle → HcSignalSession (unowned) */
  GPtrArray      *awaiting_restart; /* HcMediaRoom whose media must be set up again */
};

G_DEFINE_FINAL_TYPE (HcMedia, hc_media, G_TYPE_OBJECT)

static guint16
pick_free_port (void)
{
  g_autoptr(GSocket) socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                                            G_SOCKET_PROTOCOL_TCP, NULL);
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) any = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;

  if (socket == NULL || !g_socket_bind (socket, any, FALSE, NULL))
    return 0;
  bound = g_socket_get_local_address (socket, NULL);
  return bound ? g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound)) : 0;
}

static void
tell_restarted (HcMedia *self)
{
  g_autoptr(GPtrArray) rooms = g_steal_pointer (&self->awaiting_restart);
  g_autoptr(JsonNode) event = json_from_string ("{\"type\":\"media-restarted\"}", NULL);

  self->awaiting_restart = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; i < rooms->len; i++)
    {
      HcMediaRoom *room = g_ptr_array_index (rooms, i);

      g_message ("Room %s: media server back; asking its participants to reconnect media",
                 hc_media_room_get_sid (room));
      hc_media_room_broadcast (room, event, NULL);
    }
}

static void
on_janus_ready (HcJanus *janus,
                HcMedia *self)
{
  tell_restarted (self);
}

static void
on_janus_lost (HcJanus *janus,
               HcMedia *self)
{
  GHashTableIter iter;
  gpointer value;
  gboolean other_ready = FALSE;

  g_hash_table_remove (self->control_handles, janus);
  g_hash_table_iter_init (&iter, self->rooms);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      HcMediaRoom *room = value;

      if (hc_media_room_get_janus (room) != janus)
        continue;
      hc_media_room_media_lost (room);
      g_ptr_array_add (self->awaiting_restart, g_object_ref (room));
    }
  for (guint i = 0; i < self->januses->len; i++)
    other_ready |= hc_janus_is_ready (g_ptr_array_index (self->januses, i));
  if (other_ready)
    tell_restarted (self);
}

static void
on_handle_event (HcJanus    *janus,
                 guint64     handle,
                 JsonObject *message,
                 HcMedia    *self)
{
  HcSignalSession *session = g_hash_table_lookup (self->handles, &handle);

  if (session != NULL)
    hc_signal_session_janus_event (session, handle, message);
}

static void
on_process_ready (HcJanusProcess *process,
                  HcMedia        *self)
{
  for (guint i = 0; i < self->januses->len; i++)
    hc_janus_connect (g_ptr_array_index (self->januses, i));
}

static void
add_janus (HcMedia    *self,
           const char *url,
           const char *secret)
{
  HcJanus *janus = hc_janus_new (url, secret);

  g_signal_connect (janus, "ready", G_CALLBACK (on_janus_ready), self);
  g_signal_connect (janus, "lost", G_CALLBACK (on_janus_lost), self);
  g_signal_connect (janus, "handle-event", G_CALLBACK (on_handle_event), self);
  g_ptr_array_add (self->januses, janus);
}

static void
hc_media_dispose (GObject *object)
{
  HcMedia *self = (HcMedia *) object;

  hc_media_stop (self);
  g_clear_pointer (&self->rooms, g_hash_table_unref);
  g_clear_pointer (&self->awaiting_restart, g_ptr_array_unref);
  g_clear_pointer (&self->control_handles, g_hash_table_unref);
  g_clear_pointer (&self->control_waiters, g_hash_table_unref);
  g_clear_pointer (&self->handles, g_hash_table_unref);
  if (self->januses != NULL)
    {
      for (guint i = 0; i < self->januses->len; i++)
        g_signal_handlers_disconnect_by_data (g_ptr_array_index (self->januses, i), self);
      g_clear_pointer (&self->januses, g_ptr_array_unref);
    }
  if (self->process != NULL)
    g_signal_handlers_disconnect_by_data (self->process, self);
  g_clear_object (&self->process);

  G_OBJECT_CLASS (hc_media_parent_class)->dispose (object);
}

static void
hc_media_class_init (HcMediaClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = hc_media_dispose;
}

static void
hc_media_init (HcMedia *self)
{
  self->januses = g_ptr_array_new_with_free_func (g_object_unref);
  self->control_handles = g_hash_table_new_full (NULL, NULL, NULL, g_free);
  self->control_waiters = g_hash_table_new_full (NULL, NULL, NULL,
                                                 (GDestroyNotify) g_ptr_array_unref);
  self->rooms = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
  self->handles = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  self->awaiting_restart = g_ptr_array_new_with_free_func (g_object_unref);
}

HcMedia *
hc_media_new (const HcConfig *config)
{
  HcMedia *self = g_object_new (HC_TYPE_MEDIA, NULL);

  self->config = config;
  return self;
}

gboolean
hc_media_start (HcMedia  *self,
                GError  **error)
{
  const HcConfig *config = self->config;
  g_autofree char *secret = g_strndup (g_bytes_get_data (config->janus_admin_secret, NULL),
                                       g_bytes_get_size (config->janus_admin_secret));

  g_return_val_if_fail (HC_IS_MEDIA (self), FALSE);

  /* Janus's config files quote the secret: keep it to characters that need
   * no escaping there. */
  for (const char *p = secret; *p; p++)
    if (!g_ascii_isalnum (*p) && *p != '-' && *p != '_')
      {
        g_set_error (error, HC_ERROR, HC_ERROR_CONFIG_INVALID,
                     "janus.admin-secret-file: the secret may hold only letters, digits, - and _");
        return FALSE;
      }

  if (g_strcmp0 (config->janus_mode, "external") == 0)
    {
      for (guint i = 0; config->janus_servers[i] != NULL; i++)
        add_janus (self, config->janus_servers[i], secret);
      for (guint i = 0; i < self->januses->len; i++)
        hc_janus_connect (g_ptr_array_index (self->januses, i));
      return TRUE;
    }

  {
    g_autofree char *work_dir = g_build_filename (config->data_dir, "janus", NULL);
    g_autofree char *url = NULL;
    guint16 port = config->janus_ws_port ? (guint16) config->janus_ws_port : pick_free_port ();
    HcJanusProcessOptions options = {
      .binary = config->janus_binary,
      .work_dir = work_dir,
      .ws_port = port,
      .secret = secret,
      .rtp_port_range = config->janus_rtp_port_range,
      .ice_enforce_list = config->janus_ice_enforce_list,
      .nat_1_1 = config->janus_nat_1_1,
    };

    if (port == 0)
      {
        g_set_error (error, HC_ERROR, HC_ERROR_CONFIG_INVALID,
                     "janus.ws-port: no free port on 127.0.0.1");
        return FALSE;
      }
    self->process = hc_janus_process_new (&options);
    g_signal_connect (self->process, "ready", G_CALLBACK (on_process_ready), self);
    url = hc_janus_process_dup_url (self->process);
    add_janus (self, url, secret);
    if (!hc_janus_process_start (self->process, error))
      return FALSE;
  }
  return TRUE;
}

void
hc_media_stop (HcMedia *self)
{
  g_return_if_fail (HC_IS_MEDIA (self));

  if (self->januses != NULL)
    for (guint i = 0; i < self->januses->len; i++)
      hc_janus_disconnect (g_ptr_array_index (self->januses, i));
  if (self->process != NULL)
    hc_janus_process_stop (self->process);
}

HcMediaRoom *
hc_media_get_room (HcMedia            *self,
                   const HcRoomRecord *record)
{
  HcMediaRoom *room;

  g_return_val_if_fail (HC_IS_MEDIA (self), NULL);

  room = g_hash_table_lookup (self->rooms, record->sid);
  if (room == NULL)
    {
      room = hc_media_room_new (self, record);
      g_hash_table_insert (self->rooms, g_strdup (record->sid), room);
    }
  return room;
}


void
hc_media_room_finished (HcMedia     *self,
                        HcMediaRoom *room)
{
  g_autoptr(HcMediaRoom) hold G_GNUC_UNUSED = g_object_ref (room);

  g_return_if_fail (HC_IS_MEDIA (self));

  hc_media_room_destroy_in_janus (room);
  g_ptr_array_remove (self->awaiting_restart, room);
  g_hash_table_remove (self->rooms, hc_media_room_get_sid (room));
}

HcJanus *
hc_media_pick_janus (HcMedia *self)
{
  HcJanus *best = NULL;

  g_return_val_if_fail (HC_IS_MEDIA (self), NULL);

  for (guint i = 0; i < self->januses->len; i++)
    {
      HcJanus *janus = g_ptr_array_index (self->januses, i);

      if (hc_janus_is_ready (janus) &&
          (best == NULL || hc_janus_get_load (janus) < hc_janus_get_load (best)))
        best = janus;
    }
  return best;
}

static void
on_control_attached (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(HcMedia) self = user_data;
  HcJanus *janus = HC_JANUS (source);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) waiters = NULL;
  guint64 handle = hc_janus_attach_finish (janus, result, &error);

  if (self->control_waiters == NULL)
    return;
  g_hash_table_steal_extended (self->control_waiters, janus, NULL, (gpointer *) &waiters);
  if (handle != 0)
    g_hash_table_insert (self->control_handles, janus, g_memdup2 (&handle, sizeof handle));
  for (guint i = 0; waiters != NULL && i < waiters->len; i++)
    {
      GTask *task = g_ptr_array_index (waiters, i);

      if (handle != 0)
        g_task_return_pointer (task, g_memdup2 (&handle, sizeof handle), g_free);
      else
        g_task_return_error (task, g_error_copy (error));
    }
}

void
hc_media_control_handle_async (HcMedia             *self,
                               HcJanus             *janus,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, NULL, callback, user_data);
  guint64 *handle = g_hash_table_lookup (self->control_handles, janus);
  GPtrArray *waiters;

  g_task_set_source_tag (task, hc_media_control_handle_async);
  if (handle != NULL)
    {
      g_task_return_pointer (task, g_memdup2 (handle, sizeof *handle), g_free);
      return;
    }
  waiters = g_hash_table_lookup (self->control_waiters, janus);
  if (waiters == NULL)
    {
      waiters = g_ptr_array_new_with_free_func (g_object_unref);
      g_hash_table_insert (self->control_waiters, janus, waiters);
      hc_janus_attach_async (janus, NULL, on_control_attached, g_object_ref (self));
    }
  g_ptr_array_add (waiters, g_object_ref (task));
}

guint64
hc_media_control_handle_finish (HcMedia       *self,
                                GAsyncResult  *result,
                                GError       **error)
{
  g_autofree guint64 *handle = g_task_propagate_pointer (G_TASK (result), error);

  return handle ? *handle : 0;
}

typedef struct
{
  HcJanus *janus;
  guint64  room;
} DestroyData;

static void
on_destroy_sent (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(JsonObject) reply G_GNUC_UNUSED = hc_janus_message_finish (HC_JANUS (source), result,
                                                                      NULL);
}

static void
on_destroy_handle (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  DestroyData *data = user_data;
  guint64 handle = hc_media_control_handle_finish (HC_MEDIA (source), result, NULL);

  if (handle != 0 && hc_janus_is_ready (data->janus))
    {
      g_autoptr(JsonObject) body = json_object_new ();

      json_object_set_string_member (body, "request", "destroy");
      json_object_set_int_member (body, "room", (gint64) data->room);
      hc_janus_message_async (data->janus, handle, body, NULL, NULL, on_destroy_sent, NULL);
    }
  g_object_unref (data->janus);
  g_free (data);
}

void
hc_media_destroy_janus_room (HcMedia *self,
                             HcJanus *janus,
                             guint64  janus_room)
{
  DestroyData *data;

  g_return_if_fail (HC_IS_MEDIA (self));

  if (!hc_janus_is_ready (janus))
    return;
  data = g_new0 (DestroyData, 1);
  data->janus = g_object_ref (janus);
  data->room = janus_room;
  hc_media_control_handle_async (self, janus, on_destroy_handle, data);
}

void
hc_media_register_handle (HcMedia         *self,
                          guint64          handle,
                          HcSignalSession *session)
{
  g_return_if_fail (HC_IS_MEDIA (self));
  g_hash_table_insert (self->handles, g_memdup2 (&handle, sizeof handle), session);
}

void
hc_media_unregister_handle (HcMedia *self,
                            guint64  handle)
{
  g_return_if_fail (HC_IS_MEDIA (self));
  if (self->handles != NULL)
    g_hash_table_remove (self->handles, &handle);
}


guint
hc_media_get_n_servers (HcMedia *self)
{
  g_return_val_if_fail (HC_IS_MEDIA (self), 0);
  return self->januses->len;
}

guint
hc_media_get_n_ready (HcMedia *self)
{
  guint ready = 0;

  g_return_val_if_fail (HC_IS_MEDIA (self), 0);
  for (guint i = 0; i < self->januses->len; i++)
    ready += hc_janus_is_ready (g_ptr_array_index (self->januses, i)) ? 1 : 0;
  return ready;
}

guint
hc_media_get_load (HcMedia *self,
                   guint    index)
{
  g_return_val_if_fail (HC_IS_MEDIA (self), G_MAXUINT);
  if (index >= self->januses->len)
    return G_MAXUINT;
  return hc_janus_get_load (g_ptr_array_index (self->januses, index));
}
