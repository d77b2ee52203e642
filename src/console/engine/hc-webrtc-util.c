/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "HcEngine"

#include "config.h"

#include "hc-webrtc-util.h"

GstElement *
hc_make_element (const char  *factory,
                 const char  *name,
                 GError     **error)
{
  GstElement *element = gst_element_factory_make (factory, name);

  if (element == NULL)
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                 "The GStreamer element “%s” is missing: install the GStreamer plugins "
                 "(gstreamer1.0-plugins-base, -good, -bad and gstreamer1.0-nice)", factory);
  return element;
}

gboolean
hc_have_element (const char *factory)
{
  g_autoptr(GstElementFactory) found = gst_element_factory_find (factory);

  return found != NULL;
}

typedef struct
{
  GObject       *object;
  HcPromiseFunc  func;
  GMainContext  *context;
} PromiseData;

typedef struct
{
  PromiseData *data;
  GstPromise  *promise;
} PromiseCall;

static void
promise_data_free (gpointer user_data)
{
  PromiseData *data = user_data;

  g_object_unref (data->object);
  g_main_context_unref (data->context);
  g_free (data);
}

static gboolean
promise_call_run (gpointer user_data)
{
  PromiseCall *call = user_data;

  call->data->func (call->data->object, call->promise);
  return G_SOURCE_REMOVE;
}

static void
promise_call_free (gpointer user_data)
{
  PromiseCall *call = user_data;

  gst_promise_unref (call->promise);
  promise_data_free (call->data);
  g_free (call);
}

static void
on_promise_changed (GstPromise *promise,
                    gpointer    user_data)
{
  PromiseData **slot = user_data;
  PromiseCall *call = g_new0 (PromiseCall, 1);

  /* Any thread: webrtcbin replies from its own. The data moves to the call, so the
   * promise's destroy notify below finds nothing left to free. */
  call->data = g_steal_pointer (slot);
  call->promise = gst_promise_ref (promise);
  g_main_context_invoke_full (call->data->context, G_PRIORITY_DEFAULT, promise_call_run, call,
                              promise_call_free);
}

static void
promise_slot_free (gpointer user_data)
{
  PromiseData **slot = user_data;

  if (*slot != NULL)
    promise_data_free (*slot);
  g_free (slot);
}

GstPromise *
hc_promise_new_in_context (GMainContext  *context,
                           GObject       *object,
                           HcPromiseFunc  func)
{
  PromiseData **slot = g_new0 (PromiseData *, 1);

  *slot = g_new0 (PromiseData, 1);
  (*slot)->object = g_object_ref (object);
  (*slot)->func = func;
  (*slot)->context = g_main_context_ref (context);
  return gst_promise_new_with_change_func (on_promise_changed, slot, promise_slot_free);
}

gboolean
hc_promise_get_reply (GstPromise          *promise,
                      const GstStructure **out_reply,
                      GError             **error)
{
  /* Only called once the promise is decided, so this does not block. */
  GstPromiseResult result = gst_promise_wait (promise);
  const GstStructure *reply;
  g_autoptr(GError) reply_error = NULL;

  if (result != GST_PROMISE_RESULT_REPLIED)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "webrtcbin did not answer (%s)",
                   result == GST_PROMISE_RESULT_INTERRUPTED ? "interrupted" : "expired");
      return FALSE;
    }
  reply = gst_promise_get_reply (promise);
  if (reply != NULL && gst_structure_has_field_typed (reply, "error", G_TYPE_ERROR))
    {
      gst_structure_get (reply, "error", G_TYPE_ERROR, &reply_error, NULL);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "webrtcbin: %s",
                   reply_error != NULL ? reply_error->message : "unknown error");
      return FALSE;
    }
  /* set-*-description promises are replied with no structure on success. */
  if (out_reply != NULL)
    *out_reply = reply;
  return TRUE;
}

static void
set_state_in_thread (GTask        *task,
                     gpointer      source_object,
                     gpointer      task_data,
                     GCancellable *cancellable)
{
  GstElement *element = source_object;
  GstState state = GPOINTER_TO_INT (task_data);
  GstStateChangeReturn ret = gst_element_set_state (element, state);

  if (ret == GST_STATE_CHANGE_FAILURE)
    g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_FAILED,
                             "The media pipeline could not go to %s",
                             gst_element_state_get_name (state));
  else
    g_task_return_boolean (task, TRUE);
}

void
hc_element_set_state_async (GstElement          *element,
                            GstState             state,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (element, cancellable, callback, user_data);

  g_task_set_source_tag (task, hc_element_set_state_async);
  g_task_set_task_data (task, GINT_TO_POINTER (state), NULL);
  /* Always complete: a pipeline must reach NULL even when its owner gave up. */
  g_task_set_check_cancellable (task, FALSE);
  g_task_run_in_thread (task, set_state_in_thread);
}

gboolean
hc_element_set_state_finish (GstElement    *element,
                             GAsyncResult  *result,
                             GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, element), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

GObject *
hc_webrtcbin_get_rtp_session (GstElement *webrtcbin,
                              guint       session_id)
{
  g_autoptr(GstElement) rtpbin = gst_bin_get_by_name (GST_BIN (webrtcbin), "rtpbin");
  GObject *session = NULL;

  if (rtpbin == NULL)
    return NULL;
  g_signal_emit_by_name (rtpbin, "get-internal-session", session_id, &session);
  return session;
}

void
hc_webrtcbin_configure_ice (GstElement *webrtcbin)
{
  g_autoptr(GObject) ice = NULL;
  g_autoptr(GObject) agent = NULL;

  g_object_get (webrtcbin, "ice-agent", &ice, NULL);
  if (ice == NULL)
    return;
  if (g_object_class_find_property (G_OBJECT_GET_CLASS (ice), "ice-tcp") != NULL)
    g_object_set (ice, "ice-tcp", FALSE, NULL);
  if (g_object_class_find_property (G_OBJECT_GET_CLASS (ice), "agent") != NULL)
    g_object_get (ice, "agent", &agent, NULL);
  if (agent != NULL && g_object_class_find_property (G_OBJECT_GET_CLASS (agent), "upnp") != NULL)
    g_object_set (agent, "upnp", FALSE, NULL);
}

typedef struct
{
  GTask    *task;
  gboolean  done;
} StatsRequest;

static void
stats_request_free (gpointer data)
{
  StatsRequest *request = data;

  /* A promise dropped without a reply (the element shut down) still completes. */
  if (!request->done)
    g_task_return_new_error (request->task, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                             "webrtcbin gave no statistics");
  g_object_unref (request->task);
  g_free (request);
}

static void
on_stats_promise (GstPromise *promise,
                  gpointer    user_data)
{
  StatsRequest *request = user_data;
  const GstStructure *reply;

  if (request->done)
    return;
  request->done = TRUE;
  /* GTask hands the result to the main context it was made in, whatever thread
   * webrtcbin replies from. */
  reply = gst_promise_wait (promise) == GST_PROMISE_RESULT_REPLIED ? gst_promise_get_reply (promise)
                                                                   : NULL;
  if (reply != NULL && !gst_structure_has_field (reply, "error"))
    g_task_return_pointer (request->task, gst_structure_copy (reply),
                           (GDestroyNotify) gst_structure_free);
  else
    g_task_return_new_error (request->task, G_IO_ERROR, G_IO_ERROR_FAILED,
                             "webrtcbin gave no statistics");
}

void
hc_webrtcbin_get_stats_async (GstElement          *webrtcbin,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  StatsRequest *request = g_new0 (StatsRequest, 1);
  GstPromise *promise;

  request->task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (request->task, hc_webrtcbin_get_stats_async);
  promise = gst_promise_new_with_change_func (on_stats_promise, request, stats_request_free);
  g_signal_emit_by_name (webrtcbin, "get-stats", NULL, promise);
  gst_promise_unref (promise);
}

GstStructure *
hc_webrtcbin_get_stats_finish (GAsyncResult  *result,
                               GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == hc_webrtcbin_get_stats_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

guint32
hc_random_ssrc (void)
{
  guint32 ssrc;

  do
    ssrc = g_random_int ();
  while (ssrc == 0);
  return ssrc;
}

static GThread *warm_up;

static gpointer
warm_up_thread (gpointer data)
{
  /* What a transport and a decoding branch need first, beyond what the publisher's
   * pipeline loads: on a busy machine loading libgstsrtp alone was seen to take 0.7 s. */
  static const char *const features[] = {
    "srtpenc", "nicesrc", "rtpvp8depay", "vp8dec", "rtpopusdepay", "opusdec",
  };
  GstElement *dtlsdec;

  /* The console loads GStreamer lazily; this is its first use when the window warms up
   * at sign-in (gst_init is serialised by GStreamer's own lock). */
  gst_init (NULL, NULL);
  /* Making a dtlsdec is enough for the certificate: it takes the process-wide DTLS agent
   * with a generated certificate as it is made (gstdtlsdec.c, get_agent_by_pem() in a
   * g_once), the one every webrtcbin's transports then share. */
  dtlsdec = gst_element_factory_make ("dtlsdec", NULL);
  if (dtlsdec != NULL)
    gst_object_unref (gst_object_ref_sink (dtlsdec));
  for (gsize i = 0; i < G_N_ELEMENTS (features); i++)
    {
      g_autoptr(GstElementFactory) factory = gst_element_factory_find (features[i]);
      g_autoptr(GstPluginFeature) loaded = NULL;

      if (factory != NULL)
        loaded = gst_plugin_feature_load (GST_PLUGIN_FEATURE (factory));
    }
  return NULL;
}

void
hc_webrtc_warm_up (void)
{
  static gsize started = 0;

  if (g_once_init_enter (&started))
    {
      /* Nothing waits for it: a webrtcbin that needs the certificate first waits in
       * the same g_once, and plugin loading is serialised by GStreamer. Joined by
       * hc_webrtc_warm_up_wait() before GStreamer is deinitialised. */
      warm_up = g_thread_new ("hc-webrtc-warm", warm_up_thread, NULL);
      g_once_init_leave (&started, 1);
    }
}

void
hc_webrtc_warm_up_wait (void)
{
  GThread *thread = g_atomic_pointer_exchange (&warm_up, NULL);

  if (thread != NULL)
    g_thread_join (thread);
}
