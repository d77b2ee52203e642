/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "HcJanusProcess"

#include "config.h"

#include "hc-error.h"
#include "hc-janus-process.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#define JANUS_LIB_DIR "/usr/lib/x86_64-linux-gnu/janus"
#define READY_POLL_MS 100
#define READY_TIMEOUT_MS 15000
#define MAX_BACKOFF_MS 8000
#define STABLE_AFTER_US (30 * G_USEC_PER_SEC)

enum {
  SIGNAL_READY,
  SIGNAL_EXITED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

struct _HcJanusProcess
{
  GObject              parent_instance;

  char                *binary;
  char                *work_dir;
  guint16              ws_port;
  char                *secret;
  char                *rtp_port_range;
  char                *ice_enforce_list;
  char                *nat_1_1;

  HcJanusProcessState  state;
  GSubprocess         *process;
  GCancellable        *cancellable;
  guint                restart_id;
  guint                ready_poll_id;
  gint64               started_at;
  gint64               ready_deadline;
  guint                backoff_ms;
  guint                restarts;
  gboolean             connecting;
};

G_DEFINE_FINAL_TYPE (HcJanusProcess, hc_janus_process, G_TYPE_OBJECT)

static void spawn (HcJanusProcess *self);

static gboolean
write_file (const char  *dir,
            const char  *name,
            const char  *contents,
            GError     **error)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);

  return g_file_set_contents_full (path, contents, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0600,
                                   error);
}

/* Only the VideoRoom and echo test plugins and the WebSocket transport are
 * loaded: Janus
 * loads every module it finds in its folders, so the folders hold links to
 * just those two. */
static gboolean
link_module (const char  *dir,
             const char  *kind,
             const char  *name,
             GError     **error)
{
  g_autofree char *target = g_build_filename (JANUS_LIB_DIR, kind, name, NULL);
  g_autofree char *link = g_build_filename (dir, name, NULL);

  g_unlink (link);
  if (symlink (target, link) != 0)
    {
      g_set_error (error, HC_ERROR, HC_ERROR_CONFIG_INVALID, "Could not link %s: %s", link,
                   g_strerror (errno));
      return FALSE;
    }
  return TRUE;
}

static gboolean
write_config (HcJanusProcess  *self,
              GError         **error)
{
  g_autofree char *conf = g_build_filename (self->work_dir, "conf", NULL);
  g_autofree char *plugins = g_build_filename (self->work_dir, "plugins", NULL);
  g_autofree char *transports = g_build_filename (self->work_dir, "transports", NULL);
  g_autofree char *empty = g_build_filename (self->work_dir, "none", NULL);
  g_autofree char *main_cfg = NULL;
  g_autofree char *ws_cfg = NULL;
  g_autofree char *room_cfg = NULL;
  g_autofree char *nat = NULL;

  for (const char *const *d = (const char *const[]) { conf, plugins, transports, empty, NULL };
       *d != NULL; d++)
    if (g_mkdir_with_parents (*d, 0700) != 0)
      {
        g_set_error (error, HC_ERROR, HC_ERROR_CONFIG_INVALID, "Could not create %s: %s", *d,
                     g_strerror (errno));
        return FALSE;
      }
  /* The echo test serves the patients' preflight network check. */
  if (!link_module (plugins, "plugins", "libjanus_videoroom.so", error) ||
      !link_module (plugins, "plugins", "libjanus_echotest.so", error) ||
      !link_module (transports, "transports", "libjanus_websockets.so", error))
    return FALSE;

  nat = g_strdup_printf ("%s%s%s%s%s%s",
                         self->ice_enforce_list ? "\tice_enforce_list = \"" : "",
                         self->ice_enforce_list ? self->ice_enforce_list : "",
                         self->ice_enforce_list ? "\"\n" : "",
                         self->nat_1_1 ? "\tnat_1_1_mapping = \"" : "",
                         self->nat_1_1 ? self->nat_1_1 : "",
                         self->nat_1_1 ? "\"\n" : "");
  main_cfg = g_strdup_printf (
    "# Written by housecalld; changes are overwritten at each start.\n"
    "general: {\n"
    "\tconfigs_folder = \"%s\"\n"
    "\tplugins_folder = \"%s\"\n"
    "\ttransports_folder = \"%s\"\n"
    "\tevents_folder = \"%s\"\n"
    "\tloggers_folder = \"%s\"\n"
    "\tdebug_level = 3\n"
    "\tlog_to_stdout = true\n"
    "\tapi_secret = \"%s\"\n"
    "\tadmin_secret = \"%s\"\n"
    "\tsession_timeout = 60\n"
    "\thide_dependencies = true\n"
    "\tserver_name = \"housecall-janus\"\n"
    "}\n"
    "media: {\n"
    "\trtp_port_range = \"%s\"\n"
    "}\n"
    "nat: {\n"
    "\tnice_debug = false\n"
    "\tignore_mdns = true\n"
    "%s"
    "}\n"
    "plugins: {\n}\n"
    "transports: {\n}\n"
    "events: {\n\tbroadcast = false\n}\n"
    "loggers: {\n}\n",
    conf, plugins, transports, empty, empty, self->secret, self->secret, self->rtp_port_range,
    nat);
  ws_cfg = g_strdup_printf (
    "general: {\n"
    "\tjson = \"compact\"\n"
    "\tws = true\n"
    "\tws_port = %u\n"
    "\tws_ip = \"127.0.0.1\"\n"
    "\tws_acl = \"127.0.0.1\"\n"
    "\twss = false\n"
    "}\n"
    "admin: {\n"
    "\tadmin_ws = false\n"
    "\tadmin_wss = false\n"
    "}\n",
    self->ws_port);
  room_cfg = g_strdup_printf ("general: {\n\tadmin_key = \"%s\"\n\tstring_ids = false\n}\n",
                              self->secret);

  return write_file (conf, "janus.jcfg", main_cfg, error) &&
         write_file (conf, "janus.transport.websockets.jcfg", ws_cfg, error) &&
         write_file (conf, "janus.plugin.videoroom.jcfg", room_cfg, error);
}

/* Janus must not outlive housecalld, even when housecalld is killed with
 * SIGKILL: otherwise the orphan would keep the API port and the restarted
 * housecalld could not start its own. */
static void
child_setup (gpointer user_data)
{
  prctl (PR_SET_PDEATHSIG, SIGKILL);
  /* The parent may have died before prctl() took effect. */
  if (getppid () == 1)
    _exit (1);
}

static void
set_state (HcJanusProcess      *self,
           HcJanusProcessState  state)
{
  self->state = state;
}

static gboolean
on_restart_timeout (gpointer user_data)
{
  HcJanusProcess *self = user_data;

  self->restart_id = 0;
  spawn (self);
  return G_SOURCE_REMOVE;
}

static void
schedule_restart (HcJanusProcess *self)
{
  /* A process that ran a while gets restarted at once; one that keeps
   * crashing waits longer each time. */
  if (g_get_monotonic_time () - self->started_at > STABLE_AFTER_US)
    self->backoff_ms = 0;
  else
    self->backoff_ms = self->backoff_ms == 0 ? 250 : MIN (self->backoff_ms * 2, MAX_BACKOFF_MS);
  set_state (self, HC_JANUS_PROCESS_RESTARTING);
  g_message ("Janus exited; restarting in %u ms", self->backoff_ms);
  self->restart_id = g_timeout_add (self->backoff_ms, on_restart_timeout, self);
}

static void
on_wait_done (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(HcJanusProcess) self = user_data;
  g_autoptr(GError) error = NULL;
  GSubprocess *process = G_SUBPROCESS (source);

  if (!g_subprocess_wait_finish (process, result, &error))
    return; /* cancelled: we are stopping */
  if (process != self->process)
    return;

  g_clear_object (&self->process);
  g_clear_handle_id (&self->ready_poll_id, g_source_remove);
  g_signal_emit (self, signals[SIGNAL_EXITED], 0);
  if (self->state != HC_JANUS_PROCESS_STOPPED)
    {
      self->restarts++;
      schedule_restart (self);
    }
}

static void
on_probe_connected (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(HcJanusProcess) self = user_data;
  g_autoptr(GSocketConnection) connection = NULL;

  self->connecting = FALSE;
  connection = g_socket_client_connect_to_host_finish (G_SOCKET_CLIENT (source), result, NULL);
  if (connection == NULL || self->state != HC_JANUS_PROCESS_STARTING || self->process == NULL)
    return;
  g_clear_handle_id (&self->ready_poll_id, g_source_remove);
  set_state (self, HC_JANUS_PROCESS_RUNNING);
  g_message ("Janus is ready (pid %s)", g_subprocess_get_identifier (self->process));
  g_signal_emit (self, signals[SIGNAL_READY], 0);
}

static gboolean
on_ready_poll (gpointer user_data)
{
  HcJanusProcess *self = user_data;
  g_autoptr(GSocketClient) client = NULL;

  if (g_get_monotonic_time () > self->ready_deadline)
    {
      g_warning ("Janus did not open its API port within %d s; killing it",
                 READY_TIMEOUT_MS / 1000);
      self->ready_poll_id = 0;
      if (self->process != NULL)
        g_subprocess_force_exit (self->process);
      return G_SOURCE_REMOVE;
    }
  if (self->connecting)
    return G_SOURCE_CONTINUE;
  self->connecting = TRUE;
  client = g_socket_client_new ();
  g_socket_client_set_timeout (client, 1);
  g_socket_client_connect_to_host_async (client, "127.0.0.1", self->ws_port, self->cancellable,
                                         on_probe_connected, g_object_ref (self));
  return G_SOURCE_CONTINUE;
}

static void
spawn (HcJanusProcess *self)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *conf = g_build_filename (self->work_dir, "conf", NULL);
  g_autofree char *config_file = g_build_filename (conf, "janus.jcfg", NULL);
  g_autofree char *log = g_build_filename (self->work_dir, "janus.log", NULL);

  set_state (self, HC_JANUS_PROCESS_STARTING);
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_INHERIT);
  g_subprocess_launcher_set_child_setup (launcher, child_setup, NULL, NULL);
  g_subprocess_launcher_set_stdout_file_path (launcher, log);
  g_subprocess_launcher_set_stderr_file_path (launcher, log);
  self->process = g_subprocess_launcher_spawn (launcher, &error, self->binary, "-C", config_file,
                                               "-F", conf, NULL);
  self->started_at = g_get_monotonic_time ();
  if (self->process == NULL)
    {
      g_warning ("Could not start Janus: %s", error->message);
      schedule_restart (self);
      return;
    }
  g_debug ("Started Janus, pid %s", g_subprocess_get_identifier (self->process));
  g_subprocess_wait_async (self->process, self->cancellable, on_wait_done, g_object_ref (self));
  self->ready_deadline = g_get_monotonic_time () + READY_TIMEOUT_MS * 1000;
  self->ready_poll_id = g_timeout_add (READY_POLL_MS, on_ready_poll, self);
}

static void
hc_janus_process_dispose (GObject *object)
{
  HcJanusProcess *self = (HcJanusProcess *) object;

  hc_janus_process_stop (self);
  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (hc_janus_process_parent_class)->dispose (object);
}

static void
hc_janus_process_finalize (GObject *object)
{
  HcJanusProcess *self = (HcJanusProcess *) object;

  g_free (self->binary);
  g_free (self->work_dir);
  g_free (self->secret);
  g_free (self->rtp_port_range);
  g_free (self->ice_enforce_list);
  g_free (self->nat_1_1);

  G_OBJECT_CLASS (hc_janus_process_parent_class)->finalize (object);
}

static void
hc_janus_process_class_init (HcJanusProcessClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = hc_janus_process_dispose;
  object_class->finalize = hc_janus_process_finalize;

  signals[SIGNAL_READY] = g_signal_new ("ready", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                        NULL, NULL, NULL, G_TYPE_NONE, 0);
  signals[SIGNAL_EXITED] = g_signal_new ("exited", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                         0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
hc_janus_process_init (HcJanusProcess *self)
{
  self->cancellable = g_cancellable_new ();
}

HcJanusProcess *
hc_janus_process_new (const HcJanusProcessOptions *options)
{
  HcJanusProcess *self = g_object_new (HC_TYPE_JANUS_PROCESS, NULL);

  self->binary = g_strdup (options->binary ? options->binary : "janus");
  self->work_dir = g_strdup (options->work_dir);
  self->ws_port = options->ws_port;
  self->secret = g_strdup (options->secret);
  self->rtp_port_range = g_strdup (options->rtp_port_range ? options->rtp_port_range
                                                           : "20000-40000");
  self->ice_enforce_list = g_strdup (options->ice_enforce_list);
  self->nat_1_1 = g_strdup (options->nat_1_1);
  return self;
}

gboolean
hc_janus_process_start (HcJanusProcess  *self,
                        GError         **error)
{
  g_autofree char *binary = NULL;

  g_return_val_if_fail (HC_IS_JANUS_PROCESS (self), FALSE);
  g_return_val_if_fail (self->state == HC_JANUS_PROCESS_STOPPED, FALSE);

  binary = g_path_is_absolute (self->binary) ? g_strdup (self->binary)
                                             : g_find_program_in_path (self->binary);
  if (binary == NULL || !g_file_test (binary, G_FILE_TEST_IS_EXECUTABLE))
    {
      g_set_error (error, HC_ERROR, HC_ERROR_CONFIG_INVALID,
                   "janus.binary: “%s” is not an executable (install the Debian package janus)",
                   self->binary);
      return FALSE;
    }
  g_free (self->binary);
  self->binary = g_steal_pointer (&binary);
  if (!write_config (self, error))
    return FALSE;
  g_cancellable_reset (self->cancellable);
  spawn (self);
  return TRUE;
}

void
hc_janus_process_stop (HcJanusProcess *self)
{
  g_return_if_fail (HC_IS_JANUS_PROCESS (self));

  set_state (self, HC_JANUS_PROCESS_STOPPED);
  g_clear_handle_id (&self->restart_id, g_source_remove);
  g_clear_handle_id (&self->ready_poll_id, g_source_remove);
  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  if (self->process != NULL)
    {
      /* Janus exits within a second of SIGTERM; give it two, then kill.
       * GSubprocess reaps the child in GLib's worker thread and drops its
       * identifier once it is gone. */
      g_subprocess_send_signal (self->process, SIGTERM);
      for (int i = 0; i < 40 && g_subprocess_get_identifier (self->process) != NULL; i++)
        g_usleep (50 * 1000);
      if (g_subprocess_get_identifier (self->process) != NULL)
        g_subprocess_force_exit (self->process);
      g_clear_object (&self->process);
    }
}


GPid
hc_janus_process_get_pid (HcJanusProcess *self)
{
  const char *id;

  g_return_val_if_fail (HC_IS_JANUS_PROCESS (self), 0);
  id = self->process ? g_subprocess_get_identifier (self->process) : NULL;
  return id ? (GPid) g_ascii_strtoll (id, NULL, 10) : 0;
}

char *
hc_janus_process_dup_url (HcJanusProcess *self)
{
  g_return_val_if_fail (HC_IS_JANUS_PROCESS (self), NULL);
  return g_strdup_printf ("ws://127.0.0.1:%u/", self->ws_port);
}

guint
hc_janus_process_get_restarts (HcJanusProcess *self)
{
  g_return_val_if_fail (HC_IS_JANUS_PROCESS (self), 0);
  return self->restarts;
}
