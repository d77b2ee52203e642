/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "HcInterpreterService"

#include "config.h"

#include "hc-error.h"
#include "hc-interpreter-service.h"

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <string.h>

G_DEFINE_INTERFACE (HcInterpreterService, hc_interpreter_service, G_TYPE_OBJECT)

static void
hc_interpreter_service_default_init (HcInterpreterServiceInterface *iface)
{
}

const char *
hc_interpreter_service_get_name (HcInterpreterService *self)
{
  g_return_val_if_fail (HC_IS_INTERPRETER_SERVICE (self), NULL);
  return HC_INTERPRETER_SERVICE_GET_IFACE (self)->get_name (self);
}

void
hc_interpreter_service_request_async (HcInterpreterService       *self,
                                      const HcInterpreterRequest *request,
                                      GCancellable               *cancellable,
                                      GAsyncReadyCallback         callback,
                                      gpointer                    user_data)
{
  g_return_if_fail (HC_IS_INTERPRETER_SERVICE (self));
  HC_INTERPRETER_SERVICE_GET_IFACE (self)->request_async (self, request, cancellable, callback,
                                                          user_data);
}

HcInterpreterOffer *
hc_interpreter_service_request_finish (HcInterpreterService  *self,
                                       GAsyncResult          *result,
                                       GError               **error)
{
  g_return_val_if_fail (HC_IS_INTERPRETER_SERVICE (self), NULL);
  return HC_INTERPRETER_SERVICE_GET_IFACE (self)->request_finish (self, result, error);
}

/* The HTTP JSON implementation. */

struct _HcInterpreterHttp
{
  GObject      parent_instance;

  char        *url;
  char        *authorization;   /* "Bearer …", or NULL */
  char        *name;
  SoupSession *session;
};

static void hc_interpreter_http_iface_init (HcInterpreterServiceInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (HcInterpreterHttp, hc_interpreter_http, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (HC_TYPE_INTERPRETER_SERVICE,
                                                      hc_interpreter_http_iface_init))

static const char *
http_get_name (HcInterpreterService *service)
{
  return HC_INTERPRETER_HTTP (service)->name;
}

static char *
build_body (const HcInterpreterRequest *request)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GDateTime) expires = g_date_time_new_from_unix_utc (request->guest_expires);
  g_autofree char *expires_text = g_date_time_format (expires, "%Y-%m-%dT%H:%M:%SZ");

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "request_id");
  json_builder_add_string_value (builder, request->request_id);
  json_builder_set_member_name (builder, "language");
  json_builder_add_string_value (builder, request->language);
  json_builder_set_member_name (builder, "clinic");
  json_builder_add_string_value (builder, request->clinic);
  json_builder_set_member_name (builder, "room");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "sid");
  json_builder_add_string_value (builder, request->room_sid);
  json_builder_set_member_name (builder, "unique_name");
  json_builder_add_string_value (builder, request->room_name);
  json_builder_end_object (builder);
  json_builder_set_member_name (builder, "guest");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "identity");
  json_builder_add_string_value (builder, request->guest_identity);
  json_builder_set_member_name (builder, "token");
  json_builder_add_string_value (builder, request->guest_token);
  json_builder_set_member_name (builder, "join_url");
  json_builder_add_string_value (builder, request->join_url);
  json_builder_set_member_name (builder, "expires_at");
  json_builder_add_string_value (builder, expires_text);
  json_builder_end_object (builder);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  return json_to_string (root, FALSE);
}

static void
on_sent (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  SoupMessage *msg = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) body = soup_session_send_and_read_finish (SOUP_SESSION (source), result,
                                                              &error);
  HcInterpreterOffer *offer;
  guint status;
  gsize len = 0;
  const char *data;

  if (body == NULL)
    {
      g_task_return_new_error (task, HC_ERROR, HC_ERROR_INTERPRETER_FAILED,
                               "The interpreter service could not be reached (%s)", error->message);
      return;
    }
  status = soup_message_get_status (msg);
  if (status < 200 || status >= 300)
    {
      g_task_return_new_error (task, HC_ERROR, HC_ERROR_INTERPRETER_FAILED,
                               "The interpreter service answered HTTP %u", status);
      return;
    }
  data = g_bytes_get_data (body, &len);
  offer = hc_interpreter_offer_parse (data, len, &error);
  if (offer == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  g_task_return_pointer (task, offer, (GDestroyNotify) hc_interpreter_offer_free);
}

static void
http_request_async (HcInterpreterService       *service,
                    const HcInterpreterRequest *request,
                    GCancellable               *cancellable,
                    GAsyncReadyCallback         callback,
                    gpointer                    user_data)
{
  HcInterpreterHttp *self = HC_INTERPRETER_HTTP (service);
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  g_autofree char *body = build_body (request);
  gsize body_len = strlen (body);
  g_autoptr(GBytes) bytes = g_bytes_new_take (g_steal_pointer (&body), body_len);
  SoupMessage *msg;

  g_task_set_source_tag (task, http_request_async);
  msg = soup_message_new ("POST", self->url);
  if (msg == NULL)
    {
      g_task_return_new_error (task, HC_ERROR, HC_ERROR_INTERPRETER_FAILED,
                               "The interpreter service's URL is not usable");
      return;
    }
  g_task_set_task_data (task, msg, g_object_unref);
  soup_message_set_request_body_from_bytes (msg, "application/json", bytes);
  soup_message_headers_replace (soup_message_get_request_headers (msg), "Accept",
                                "application/json");
  if (self->authorization != NULL)
    soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization",
                                  self->authorization);
  soup_session_send_and_read_async (self->session, msg, G_PRIORITY_DEFAULT, cancellable, on_sent,
                                    g_steal_pointer (&task));
}

static HcInterpreterOffer *
http_request_finish (HcInterpreterService  *service,
                     GAsyncResult          *result,
                     GError               **error)
{
  g_return_val_if_fail (g_task_is_valid (result, service), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
hc_interpreter_http_iface_init (HcInterpreterServiceInterface *iface)
{
  iface->get_name = http_get_name;
  iface->request_async = http_request_async;
  iface->request_finish = http_request_finish;
}

static void
hc_interpreter_http_dispose (GObject *object)
{
  HcInterpreterHttp *self = (HcInterpreterHttp *) object;

  if (self->session != NULL)
    soup_session_abort (self->session);
  g_clear_object (&self->session);
  G_OBJECT_CLASS (hc_interpreter_http_parent_class)->dispose (object);
}

static void
hc_interpreter_http_finalize (GObject *object)
{
  HcInterpreterHttp *self = (HcInterpreterHttp *) object;

  g_free (self->url);
  g_free (self->authorization);
  g_free (self->name);
  G_OBJECT_CLASS (hc_interpreter_http_parent_class)->finalize (object);
}

static void
hc_interpreter_http_class_init (HcInterpreterHttpClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = hc_interpreter_http_dispose;
  object_class->finalize = hc_interpreter_http_finalize;
}

static void
hc_interpreter_http_init (HcInterpreterHttp *self)
{
}

HcInterpreterHttp *
hc_interpreter_http_new (const char *url,
                         GBytes     *bearer_token,
                         const char *name,
                         guint       timeout_seconds)
{
  HcInterpreterHttp *self = g_object_new (HC_TYPE_INTERPRETER_HTTP, NULL);

  self->url = g_strdup (url);
  if (bearer_token != NULL)
    self->authorization = g_strdup_printf ("Bearer %.*s", (int) g_bytes_get_size (bearer_token),
                                           (const char *) g_bytes_get_data (bearer_token, NULL));
  self->name = g_strdup (name ? name : "Interpreter service");
  self->session = soup_session_new_with_options ("timeout", timeout_seconds,
                                                 "user-agent", "housecalld/" PACKAGE_VERSION,
                                                 NULL);
  return self;
}

HcInterpreterService *
hc_interpreter_service_new_for_config (const HcConfig *config)
{
  if (config->interpreter_url == NULL)
    return NULL;
  return HC_INTERPRETER_SERVICE (hc_interpreter_http_new (config->interpreter_url,
                                                          config->interpreter_token,
                                                          config->interpreter_name,
                                                          config->interpreter_timeout));
}
