/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "HcConfig"

#include "config.h"

#include "hc-config.h"
#include "hc-error.h"
#include "hc-phone.h"
#include "hc-sid.h"
#include "hc-sms-template.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define DEFAULT_PORT 8080

/* Every key the file may hold: a typo must be an error, not a silently
 * ignored setting. */
static const struct
{
  const char *group;
  const char *keys[32];
} known_keys[] = {
  { "server", { "listen", "data-dir", "public-url", "tls-certificate", "tls-key", NULL } },
  { "clinic", { "name", "phone", "timezone", "time-format", "visit-code-hours",
                 "intake-questions", "copay-notice", NULL } },
  { "tokens", { "account-sid", "api-key-sid", "api-key-secret-file", "provider-ttl",
                "guest-ttl", "guest-max-ttl", NULL } },
  { "login", { "max-failures-per-account", "max-failures-per-address", "lockout-seconds",
               NULL } },
  { "janus", { "admin-secret-file", "mode", "binary", "ws-port", "rtp-port-range",
                "ice-enforce-list", "nat-1-1", "servers", NULL } },
  { "sms", { "gateway", "from", "callback-url", "callback-secret-file", "reminder-offsets",
             "max-segments", "max-attempts", "retry-initial-seconds", "retry-max-seconds",
             "request-timeout-seconds", "confirm-timeout-seconds", "send-cancellation",
             "invite-template", "reminder-template", "update-template", "cancel-template",
             "guest-invite-template", "kannel-url", "kannel-username", "kannel-password-file", "kannel-smsc",
             "twilio-url", "twilio-account-sid", "twilio-auth-token-file", NULL } },
  { "sip", { "trunk", "proxy", "listen", "transport", "username", "password-file", "caller-id",
             "caller-name", "ring-timeout-seconds", "max-call-seconds", "rtp-address",
             "rtp-port-range", "max-calls-per-room", NULL } },
  { "interpreter", { "service-url", "auth-token-file", "timeout-seconds", "name", NULL } },
};

static gboolean load_sms (GKeyFile *file, HcConfig *config, GError **error);
static gboolean finish_sms (HcConfig *config, GError **error);
static gboolean load_sip (GKeyFile *file, HcConfig *config, GError **error);
static gboolean finish_sip (HcConfig *config, GError **error);

HcConfig *
hc_config_new (void)
{
  HcConfig *config = g_new0 (HcConfig, 1);

  config->listen_host = g_strdup ("127.0.0.1");
  config->listen_port = DEFAULT_PORT;
  config->data_dir = g_strdup ("housecalld-data");
  config->clinic_name = g_strdup ("Housecall");
  config->provider_token_ttl = 3600;
  config->guest_token_ttl = 3600;
  config->guest_token_max_ttl = 4 * 3600;
  config->login_max_failures_per_account = 5;
  config->login_max_failures_per_address = 20;
  config->login_lockout_seconds = 900;
  config->janus_mode = g_strdup ("embedded");
  config->janus_rtp_port_range = g_strdup ("20000-40000");
  config->visit_code_hours = 4;
  config->sms_gateway = g_strdup ("outbox");
  config->sms_reminder_offsets[0] = 24 * 3600;
  config->sms_reminder_offsets[1] = 15 * 60;
  config->sms_n_reminder_offsets = 2;
  config->sms_max_segments = 2;
  config->sms_max_attempts = 8;
  config->sms_retry_initial = 30;
  config->sms_retry_max = 3600;
  config->sms_request_timeout = 30;
  config->sms_confirm_timeout = 900;
  config->sms_send_cancellation = TRUE;
  config->sip_listen = g_strdup ("127.0.0.1:0");
  config->sip_transport = g_strdup ("udp");
  config->sip_ring_timeout = 45;
  config->sip_max_call_seconds = 4 * 3600;
  config->sip_rtp_port_min = 41000;
  config->sip_rtp_port_max = 41999;
  config->sip_max_calls_per_room = 2;
  config->interpreter_timeout = 10;
  return config;
}

void
hc_config_free (HcConfig *config)
{
  if (config == NULL)
    return;
  g_free (config->config_path);
  g_free (config->listen_host);
  g_free (config->data_dir);
  g_free (config->public_url);
  g_free (config->tls_certificate);
  g_free (config->tls_key);
  g_free (config->clinic_name);
  g_free (config->account_sid);
  g_free (config->api_key_sid);
  g_clear_pointer (&config->api_key_secret, g_bytes_unref);
  g_free (config->api_key_secret_source);
  g_clear_pointer (&config->janus_admin_secret, g_bytes_unref);
  g_free (config->api_key_secret_file);
  g_free (config->janus_admin_secret_file);
  g_free (config->janus_mode);
  g_strfreev (config->intake_questions);
  g_free (config->copay_notice);
  g_free (config->janus_binary);
  g_free (config->janus_rtp_port_range);
  g_free (config->janus_ice_enforce_list);
  g_free (config->janus_nat_1_1);
  g_strfreev (config->janus_servers);
  g_free (config->clinic_phone);
  g_free (config->clinic_timezone);
  g_free (config->clinic_time_format);
  g_free (config->sms_gateway);
  g_free (config->sms_from);
  g_free (config->sms_callback_url);
  g_free (config->sms_callback_secret_file);
  g_free (config->sms_callback_secret);
  for (guint i = 0; i < G_N_ELEMENTS (config->sms_templates); i++)
    g_free (config->sms_templates[i]);
  g_free (config->kannel_url);
  g_free (config->kannel_username);
  g_free (config->kannel_password_file);
  g_clear_pointer (&config->kannel_password, g_bytes_unref);
  g_free (config->kannel_smsc);
  g_free (config->twilio_url);
  g_free (config->twilio_account_sid);
  g_free (config->twilio_auth_token_file);
  g_clear_pointer (&config->twilio_auth_token, g_bytes_unref);
  g_free (config->sip_trunk);
  g_free (config->sip_proxy);
  g_free (config->sip_listen);
  g_free (config->sip_transport);
  g_free (config->sip_username);
  g_free (config->sip_password_file);
  g_clear_pointer (&config->sip_password, g_bytes_unref);
  g_free (config->sip_caller_id);
  g_free (config->sip_caller_name);
  g_free (config->sip_rtp_address);
  g_free (config->interpreter_url);
  g_free (config->interpreter_token_file);
  g_clear_pointer (&config->interpreter_token, g_bytes_unref);
  g_free (config->interpreter_name);
  g_free (config);
}

static gboolean
config_error (GError     **error,
              const char  *group,
              const char  *key,
              const char  *format,
              ...) G_GNUC_PRINTF (4, 5);

static gboolean
config_error (GError     **error,
              const char  *group,
              const char  *key,
              const char  *format,
              ...)
{
  g_autofree char *problem = NULL;
  va_list args;

  va_start (args, format);
  problem = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (error, HC_ERROR, HC_ERROR_CONFIG_INVALID, "%s.%s: %s", group, key, problem);
  return FALSE;
}

static gboolean
check_known_keys (GKeyFile  *file,
                  GError   **error)
{
  g_auto(GStrv) groups = g_key_file_get_groups (file, NULL);

  for (guint i = 0; groups[i] != NULL; i++)
    {
      g_auto(GStrv) keys = g_key_file_get_keys (file, groups[i], NULL, NULL);
      gsize g;

      for (g = 0; g < G_N_ELEMENTS (known_keys); g++)
        if (strcmp (known_keys[g].group, groups[i]) == 0)
          break;
      if (g == G_N_ELEMENTS (known_keys))
        {
          g_set_error (error, HC_ERROR, HC_ERROR_CONFIG_INVALID,
                       "[%s]: unknown group", groups[i]);
          return FALSE;
        }
      for (guint k = 0; keys != NULL && keys[k] != NULL; k++)
        {
          gboolean found = FALSE;

          for (guint n = 0; known_keys[g].keys[n] != NULL && !found; n++)
            found = strcmp (known_keys[g].keys[n], keys[k]) == 0;
          if (!found)
            return config_error (error, groups[i], keys[k], "unknown key");
        }
    }
  return TRUE;
}

static gboolean
read_string (GKeyFile    *file,
             const char  *group,
             const char  *key,
             char       **out,
             GError     **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autofree char *value = g_key_file_get_string (file, group, key, &local_error);

  if (value == NULL)
    {
      if (g_error_matches (local_error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_KEY_NOT_FOUND) ||
          g_error_matches (local_error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_GROUP_NOT_FOUND))
        return TRUE;
      return config_error (error, group, key, "%s", local_error->message);
    }
  g_strstrip (value);
  g_free (*out);
  /* An empty value means "use the default", like a commented-out line. */
  *out = *value != '\0' ? g_steal_pointer (&value) : NULL;
  return TRUE;
}

static gboolean
read_uint (GKeyFile    *file,
           const char  *group,
           const char  *key,
           guint        min,
           guint        max,
           guint       *out,
           GError     **error)
{
  g_autofree char *text = NULL;
  guint64 value = 0;

  if (!read_string (file, group, key, &text, error))
    return FALSE;
  if (text == NULL)
    return TRUE;
  if (!g_ascii_string_to_unsigned (text, 10, min, max, &value, NULL))
    return config_error (error, group, key, "“%s” is not a whole number from %u to %u",
                         text, min, max);
  *out = (guint) value;
  return TRUE;
}

gboolean
hc_config_set_listen (HcConfig    *config,
                      const char  *value,
                      GError     **error)
{
  g_autofree char *host = NULL;
  const char *colon;
  guint64 port = 0;

  if (value == NULL || *value == '\0')
    return config_error (error, "server", "listen", "an address is required, e.g. 127.0.0.1:8080");

  if (value[0] == '[')
    {
      const char *end = strchr (value, ']');

      if (end == NULL || end[1] != ':')
        return config_error (error, "server", "listen",
                             "“%s” is not ADDRESS:PORT (IPv6 as [::1]:8080)", value);
      host = g_strndup (value + 1, (gsize) (end - value - 1));
      colon = end + 1;
    }
  else
    {
      colon = strrchr (value, ':');
      if (colon == NULL || strchr (value, ':') != colon)
        return config_error (error, "server", "listen",
                             "“%s” is not ADDRESS:PORT (IPv6 as [::1]:8080)", value);
      host = g_strndup (value, (gsize) (colon - value));
    }

  if (!g_hostname_is_ip_address (host) && g_strcmp0 (host, "localhost") != 0)
    return config_error (error, "server", "listen", "“%s” is not an IP address", host);
  if (!g_ascii_string_to_unsigned (colon + 1, 10, 0, 65535, &port, NULL))
    return config_error (error, "server", "listen", "“%s” is not a port from 0 to 65535",
                         colon + 1);

  g_free (config->listen_host);
  config->listen_host = g_strcmp0 (host, "localhost") == 0 ? g_strdup ("127.0.0.1")
                                                           : g_steal_pointer (&host);
  config->listen_port = (guint16) port;
  return TRUE;
}

void
hc_config_set_data_dir (HcConfig   *config,
                        const char *dir)
{
  g_free (config->data_dir);
  config->data_dir = g_strdup (dir);
}

/* Relative paths in the file are relative to the file, so that a config can
 * be moved together with what it names. */
static char *
resolve_path (const HcConfig *config,
              const char     *path)
{
  g_autofree char *base = NULL;

  if (path == NULL || g_path_is_absolute (path) || config->config_path == NULL)
    return g_strdup (path);
  base = g_path_get_dirname (config->config_path);
  return g_build_filename (base, path, NULL);
}

static gboolean
read_path (GKeyFile        *file,
           const HcConfig  *config,
           const char      *group,
           const char      *key,
           char           **out,
           GError         **error)
{
  g_autofree char *value = NULL;

  if (!read_string (file, group, key, &value, error))
    return FALSE;
  if (value != NULL)
    {
      g_free (*out);
      *out = resolve_path (config, value);
    }
  return TRUE;
}

static gboolean
read_intake_questions (GKeyFile  *file,
                       HcConfig  *config,
                       GError   **error)
{
  g_auto(GStrv) list = g_key_file_get_string_list (file, "clinic", "intake-questions", NULL, NULL);
  g_autoptr(GPtrArray) questions = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; list != NULL && list[i] != NULL; i++)
    {
      g_strstrip (list[i]);
      if (*list[i] == '\0')
        continue;
      if (!g_utf8_validate (list[i], -1, NULL) || g_utf8_strlen (list[i], -1) > 200)
        return config_error (error, "clinic", "intake-questions",
                             "each question is at most 200 characters");
      if (questions->len >= 10)
        return config_error (error, "clinic", "intake-questions", "at most 10 questions");
      g_ptr_array_add (questions, g_strdup (list[i]));
    }
  g_ptr_array_add (questions, NULL);
  g_strfreev (config->intake_questions);
  config->intake_questions = (char **) g_ptr_array_free (g_steal_pointer (&questions), FALSE);
  return TRUE;
}

static gboolean
check_port_range (const char *range)
{
  g_auto(GStrv) parts = range ? g_strsplit (range, "-", 3) : NULL;
  guint64 min = 0, max = 0;

  return parts != NULL && g_strv_length (parts) == 2 &&
         g_ascii_string_to_unsigned (parts[0], 10, 1024, 65535, &min, NULL) &&
         g_ascii_string_to_unsigned (parts[1], 10, 1024, 65535, &max, NULL) && min < max;
}

static gboolean
read_servers (GKeyFile  *file,
              HcConfig  *config,
              GError   **error)
{
  g_autoptr(GError) local_error = NULL;
  g_auto(GStrv) list = g_key_file_get_string_list (file, "janus", "servers", NULL, &local_error);
  g_autoptr(GPtrArray) servers = g_ptr_array_new_with_free_func (g_free);

  if (list == NULL)
    return TRUE;
  for (guint i = 0; list[i] != NULL; i++)
    {
      g_autoptr(GUri) uri = NULL;

      g_strstrip (list[i]);
      if (*list[i] == '\0')
        continue;
      uri = g_uri_parse (list[i], G_URI_FLAGS_NONE, NULL);
      if (uri == NULL || (g_strcmp0 (g_uri_get_scheme (uri), "ws") != 0 &&
                          g_strcmp0 (g_uri_get_scheme (uri), "wss") != 0))
        return config_error (error, "janus", "servers", "“%s” is not a ws:// or wss:// URL",
                             list[i]);
      g_ptr_array_add (servers, g_strdup (list[i]));
    }
  g_ptr_array_add (servers, NULL);
  g_strfreev (config->janus_servers);
  config->janus_servers = servers->len > 1 ? (char **) g_ptr_array_free (g_steal_pointer (&servers),
                                                                          FALSE)
                                           : NULL;
  return TRUE;
}

gboolean
hc_config_load (HcConfig    *config,
                const char  *path,
                GError     **error)
{
  g_autoptr(GKeyFile) file = g_key_file_new ();
  g_autoptr(GError) local_error = NULL;
  g_autofree char *listen = NULL;
  g_autofree char *secret_file = NULL;
  g_autofree char *janus_secret_file = NULL;

  if (path == NULL)
    return TRUE;

  if (!g_key_file_load_from_file (file, path, G_KEY_FILE_NONE, &local_error))
    {
      g_set_error (error, HC_ERROR, HC_ERROR_CONFIG_INVALID, "%s: %s", path, local_error->message);
      return FALSE;
    }
  g_free (config->config_path);
  if (g_path_is_absolute (path))
    config->config_path = g_strdup (path);
  else
    {
      g_autofree char *cwd = g_get_current_dir ();

      config->config_path = g_build_filename (cwd, path, NULL);
    }

  if (!check_known_keys (file, error))
    return FALSE;

  if (!read_string (file, "server", "listen", &listen, error) ||
      (listen != NULL && !hc_config_set_listen (config, listen, error)) ||
      !read_path (file, config, "server", "data-dir", &config->data_dir, error) ||
      !read_string (file, "server", "public-url", &config->public_url, error) ||
      !read_path (file, config, "server", "tls-certificate", &config->tls_certificate, error) ||
      !read_path (file, config, "server", "tls-key", &config->tls_key, error) ||
      !read_string (file, "clinic", "name", &config->clinic_name, error) ||
      !read_string (file, "tokens", "account-sid", &config->account_sid, error) ||
      !read_string (file, "tokens", "api-key-sid", &config->api_key_sid, error) ||
      !read_path (file, config, "tokens", "api-key-secret-file", &secret_file, error) ||
      !read_uint (file, "tokens", "provider-ttl", 60, 86400, &config->provider_token_ttl, error) ||
      !read_uint (file, "tokens", "guest-ttl", 60, 14400, &config->guest_token_ttl, error) ||
      !read_uint (file, "tokens", "guest-max-ttl", 60, 14400, &config->guest_token_max_ttl, error) ||
      !read_uint (file, "login", "max-failures-per-account", 1, 1000,
                  &config->login_max_failures_per_account, error) ||
      !read_uint (file, "login", "max-failures-per-address", 1, 100000,
                  &config->login_max_failures_per_address, error) ||
      !read_uint (file, "login", "lockout-seconds", 1, 86400, &config->login_lockout_seconds,
                  error) ||
      !read_path (file, config, "janus", "admin-secret-file", &janus_secret_file, error) ||
      !read_string (file, "janus", "mode", &config->janus_mode, error) ||
      !read_string (file, "janus", "binary", &config->janus_binary, error) ||
      !read_uint (file, "janus", "ws-port", 0, 65535, &config->janus_ws_port, error) ||
      !read_string (file, "janus", "rtp-port-range", &config->janus_rtp_port_range, error) ||
      !read_string (file, "janus", "ice-enforce-list", &config->janus_ice_enforce_list, error) ||
      !read_string (file, "janus", "nat-1-1", &config->janus_nat_1_1, error) ||
      !read_servers (file, config, error) ||
      !load_sms (file, config, error) ||
      !load_sip (file, config, error))
    return FALSE;

  if (config->janus_mode == NULL)
    config->janus_mode = g_strdup ("embedded");
  if (config->janus_rtp_port_range == NULL)
    config->janus_rtp_port_range = g_strdup ("20000-40000");
  if (strcmp (config->janus_mode, "embedded") != 0 && strcmp (config->janus_mode, "external") != 0)
    return config_error (error, "janus", "mode", "must be embedded or external, not “%s”",
                         config->janus_mode);
  if (strcmp (config->janus_mode, "external") == 0 && config->janus_servers == NULL)
    return config_error (error, "janus", "servers",
                         "external mode needs at least one ws:// URL of a Janus server");
  if (!check_port_range (config->janus_rtp_port_range))
    return config_error (error, "janus", "rtp-port-range",
                         "“%s” is not MIN-MAX with 1024 ≤ MIN < MAX ≤ 65535",
                         config->janus_rtp_port_range);
  for (const char *p = config->janus_ice_enforce_list; p != NULL && *p; p++)
    if (!g_ascii_isalnum (*p) && strchr (".,:-_", *p) == NULL)
      return config_error (error, "janus", "ice-enforce-list",
                           "must be interface names or addresses separated by commas");

  if (config->clinic_name == NULL)
    config->clinic_name = g_strdup ("Housecall");
  if (config->account_sid != NULL && !hc_sid_is_valid (config->account_sid, HC_SID_PREFIX_ACCOUNT))
    return config_error (error, "tokens", "account-sid",
                         "must be AC followed by 32 lowercase hex digits");
  if (config->api_key_sid != NULL && !hc_sid_is_valid (config->api_key_sid, HC_SID_PREFIX_API_KEY))
    return config_error (error, "tokens", "api-key-sid",
                         "must be SK followed by 32 lowercase hex digits");
  if (config->guest_token_ttl > config->guest_token_max_ttl)
    return config_error (error, "tokens", "guest-ttl", "is longer than guest-max-ttl (%u s)",
                         config->guest_token_max_ttl);
  if (config->public_url != NULL &&
      !g_str_has_prefix (config->public_url, "https://") &&
      !g_str_has_prefix (config->public_url, "http://"))
    return config_error (error, "server", "public-url", "must start with https://");
  if ((config->tls_certificate == NULL) != (config->tls_key == NULL))
    return config_error (error, "server", config->tls_certificate ? "tls-key" : "tls-certificate",
                         "tls-certificate and tls-key must be set together");

  g_free (config->api_key_secret_file);
  config->api_key_secret_file = g_steal_pointer (&secret_file);
  g_free (config->janus_admin_secret_file);
  config->janus_admin_secret_file = g_steal_pointer (&janus_secret_file);
  return TRUE;
}

/* Reads a secret: the whole file less one trailing newline, at least 32 bytes. */
static GBytes *
read_secret_file (const char  *path,
                  const char  *group,
                  const char  *key,
                  GError     **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autofree char *contents = NULL;
  gsize len = 0;
  GStatBuf st;

  if (!g_file_get_contents (path, &contents, &len, &local_error))
    {
      config_error (error, group, key, "%s", local_error->message);
      return NULL;
    }
  while (len > 0 && (contents[len - 1] == '\n' || contents[len - 1] == '\r'))
    contents[--len] = '\0';
  if (len < 32)
    {
      config_error (error, group, key, "the secret in %s is shorter than 32 bytes", path);
      return NULL;
    }
  if (g_stat (path, &st) == 0 && (st.st_mode & S_IROTH) != 0)
    g_warning ("%s.%s: %s is readable by every user; chmod 600 it", group, key, path);
  return g_bytes_new_take (g_steal_pointer (&contents), len);
}

/* Writes @contents to @path readable by the owner only, atomically. */
static gboolean
write_private_file (const char  *path,
                    const char  *contents,
                    GError     **error)
{
  g_autofree char *tmp = g_strconcat (path, ".XXXXXX", NULL);
  gsize len = strlen (contents);
  int fd = g_mkstemp_full (tmp, O_WRONLY, 0600);

  if (fd < 0)
    {
      g_set_error (error, HC_ERROR, HC_ERROR_CONFIG_INVALID, "Could not create %s: %s", path,
                   g_strerror (errno));
      return FALSE;
    }
  if (write (fd, contents, len) != (ssize_t) len || fsync (fd) != 0 || close (fd) != 0 ||
      g_rename (tmp, path) != 0)
    {
      int saved_errno = errno;

      g_unlink (tmp);
      g_set_error (error, HC_ERROR, HC_ERROR_CONFIG_INVALID, "Could not write %s: %s", path,
                   g_strerror (saved_errno));
      return FALSE;
    }
  return TRUE;
}

/* A value that housecalld makes up on first run and keeps in its data dir. */
static char *
load_or_generate (const char  *data_dir,
                  const char  *name,
                  const char  *prefix,
                  gboolean    *generated,
                  GError     **error)
{
  g_autofree char *path = g_build_filename (data_dir, name, NULL);
  g_autofree char *contents = NULL;
  g_autofree char *value = NULL;

  if (g_file_get_contents (path, &contents, NULL, NULL))
    {
      g_strstrip (contents);
      if ((prefix != NULL && !hc_sid_is_valid (contents, prefix)) ||
          (prefix == NULL && strlen (contents) < 32))
        {
          g_set_error (error, HC_ERROR, HC_ERROR_CONFIG_INVALID,
                       "%s: the generated value is damaged; delete the file to make a new one",
                       path);
          return NULL;
        }
      return g_steal_pointer (&contents);
    }

  value = prefix != NULL ? hc_sid_new (prefix) : hc_random_hex (32);
  {
    g_autofree char *line = g_strconcat (value, "\n", NULL);

    if (!write_private_file (path, line, error))
      return NULL;
  }
  *generated = TRUE;
  return g_steal_pointer (&value);
}

gboolean
hc_config_finish (HcConfig  *config,
                  GError   **error)
{
  const char *env_secret = g_getenv ("HOUSECALLD_API_KEY_SECRET");
  const char *env_janus = g_getenv ("HOUSECALLD_JANUS_ADMIN_SECRET");
  gboolean generated = FALSE;

  if (!hc_config_is_loopback (config) && config->tls_certificate == NULL)
    return config_error (error, "server", "listen",
                         "%s is not a loopback address; set tls-certificate and tls-key to "
                         "serve the network", config->listen_host);
  if (config->data_dir == NULL)
    return config_error (error, "server", "data-dir", "a directory is required");
  if (g_mkdir_with_parents (config->data_dir, 0700) != 0)
    return config_error (error, "server", "data-dir", "cannot create %s: %s", config->data_dir,
                         g_strerror (errno));

  if (config->account_sid == NULL &&
      (config->account_sid = load_or_generate (config->data_dir, "account-sid",
                                               HC_SID_PREFIX_ACCOUNT, &generated, error)) == NULL)
    return FALSE;
  if (config->api_key_sid == NULL &&
      (config->api_key_sid = load_or_generate (config->data_dir, "api-key-sid",
                                               HC_SID_PREFIX_API_KEY, &generated, error)) == NULL)
    return FALSE;

  g_clear_pointer (&config->api_key_secret, g_bytes_unref);
  g_clear_pointer (&config->api_key_secret_source, g_free);
  if (config->api_key_secret_file != NULL)
    {
      config->api_key_secret = read_secret_file (config->api_key_secret_file, "tokens",
                                                 "api-key-secret-file", error);
      if (config->api_key_secret == NULL)
        return FALSE;
      config->api_key_secret_source = g_strdup (config->api_key_secret_file);
    }
  else if (env_secret != NULL && *env_secret != '\0')
    {
      if (strlen (env_secret) < 32)
        return config_error (error, "tokens", "api-key-secret-file",
                             "HOUSECALLD_API_KEY_SECRET is shorter than 32 bytes");
      config->api_key_secret = g_bytes_new (env_secret, strlen (env_secret));
      config->api_key_secret_source = g_strdup ("the environment (HOUSECALLD_API_KEY_SECRET)");
    }
  else
    {
      gboolean made = FALSE;
      g_autofree char *secret = load_or_generate (config->data_dir, "api-key-secret", NULL,
                                                  &made, error);
      if (secret == NULL)
        return FALSE;
      config->api_key_secret_source = g_build_filename (config->data_dir, "api-key-secret", NULL);
      if (made)
        g_message ("No API key secret was configured: generated one into %s",
                   config->api_key_secret_source);
      config->api_key_secret = g_bytes_new (secret, strlen (secret));
    }

  if (config->janus_admin_secret_file != NULL)
    {
      config->janus_admin_secret = read_secret_file (config->janus_admin_secret_file, "janus",
                                                     "admin-secret-file", error);
      if (config->janus_admin_secret == NULL)
        return FALSE;
    }
  else if (env_janus != NULL && *env_janus != '\0')
    config->janus_admin_secret = g_bytes_new (env_janus, strlen (env_janus));
  else
    {
      gboolean made = FALSE;
      g_autofree char *secret = load_or_generate (config->data_dir, "janus-admin-secret", NULL,
                                                  &made, error);
      if (secret == NULL)
        return FALSE;
      config->janus_admin_secret = g_bytes_new (secret, strlen (secret));
    }

  if (generated)
    g_message ("Generated the account and API key SIDs into %s", config->data_dir);

  if (!finish_sms (config, error) || !finish_sip (config, error))
    return FALSE;
  return TRUE;
}

gboolean
hc_config_is_loopback (const HcConfig *config)
{
  g_autoptr(GInetAddress) address = g_inet_address_new_from_string (config->listen_host);

  return address != NULL && g_inet_address_get_is_loopback (address);
}

/* [sms] and the [clinic] keys messages use. */

/* "24h", "15m", "90s", "1h30m" or plain seconds. */
static gboolean
parse_duration (const char *text,
                gint64     *out)
{
  gint64 total = 0;
  const char *p = text;

  if (*p == '\0')
    return FALSE;
  while (*p)
    {
      guint64 value = 0;
      char *end = NULL;

      if (!g_ascii_isdigit (*p))
        return FALSE;
      value = g_ascii_strtoull (p, &end, 10);
      if (end == p || value > 10000000)
        return FALSE;
      switch (*end)
        {
        case 'd':
          total += (gint64) value * 86400;
          end++;
          break;
        case 'h':
          total += (gint64) value * 3600;
          end++;
          break;
        case 'm':
          total += (gint64) value * 60;
          end++;
          break;
        case 's':
          total += (gint64) value;
          end++;
          break;
        case '\0':
          if (p != text)
            return FALSE;
          total += (gint64) value;
          break;
        default:
          return FALSE;
        }
      p = end;
    }
  *out = total;
  return TRUE;
}

static gboolean
read_offsets (GKeyFile  *file,
              HcConfig  *config,
              GError   **error)
{
  g_autoptr(GError) local_error = NULL;
  g_auto(GStrv) list = g_key_file_get_string_list (file, "sms", "reminder-offsets", NULL,
                                                   &local_error);
  guint n = 0;

  if (list == NULL)
    return TRUE;
  for (guint i = 0; list[i] != NULL; i++)
    {
      gint64 offset = 0;

      g_strstrip (list[i]);
      if (*list[i] == '\0')
        continue;
      if (!parse_duration (list[i], &offset) || offset > 30 * 86400)
        return config_error (error, "sms", "reminder-offsets",
                             "“%s” is not a duration like 24h, 15m or 1h30m (at most 30d)",
                             list[i]);
      if (n == G_N_ELEMENTS (config->sms_reminder_offsets))
        return config_error (error, "sms", "reminder-offsets", "at most %d reminders",
                             (int) G_N_ELEMENTS (config->sms_reminder_offsets));
      for (guint j = 0; j < n; j++)
        if (config->sms_reminder_offsets[j] == offset)
          return config_error (error, "sms", "reminder-offsets", "“%s” is listed twice", list[i]);
      config->sms_reminder_offsets[n++] = offset;
    }
  config->sms_n_reminder_offsets = n;
  return TRUE;
}

static gboolean
read_bool (GKeyFile    *file,
           const char  *group,
           const char  *key,
           gboolean    *out,
           GError     **error)
{
  g_autofree char *text = NULL;

  if (!read_string (file, group, key, &text, error))
    return FALSE;
  if (text == NULL)
    return TRUE;
  if (strcmp (text, "true") == 0)
    *out = TRUE;
  else if (strcmp (text, "false") == 0)
    *out = FALSE;
  else
    return config_error (error, group, key, "“%s” is not true or false", text);
  return TRUE;
}

static gboolean
check_url (const char  *value,
           const char  *key,
           GError     **error)
{
  g_autoptr(GUri) uri = NULL;

  if (value == NULL)
    return TRUE;
  uri = g_uri_parse (value, G_URI_FLAGS_NONE, NULL);
  if (uri == NULL || (g_strcmp0 (g_uri_get_scheme (uri), "http") != 0 &&
                      g_strcmp0 (g_uri_get_scheme (uri), "https") != 0) ||
      g_uri_get_host (uri) == NULL || *g_uri_get_host (uri) == '\0')
    return config_error (error, "sms", key, "“%s” is not an http:// or https:// URL", value);
  return TRUE;
}

static gboolean
load_sms (GKeyFile  *file,
          HcConfig  *config,
          GError   **error)
{
  static const char * const template_keys[] = {
    "invite-template", "reminder-template", "update-template", "cancel-template",
    "guest-invite-template"
  };
  g_autofree char *callback_secret_file = NULL;
  g_autofree char *kannel_password_file = NULL;
  g_autofree char *twilio_token_file = NULL;

  G_STATIC_ASSERT (G_N_ELEMENTS (template_keys) == HC_SMS_N_KINDS);

  if (!read_intake_questions (file, config, error) ||
      !read_string (file, "clinic", "copay-notice", &config->copay_notice, error) ||
      !read_string (file, "clinic", "phone", &config->clinic_phone, error) ||
      !read_string (file, "clinic", "timezone", &config->clinic_timezone, error) ||
      !read_string (file, "clinic", "time-format", &config->clinic_time_format, error) ||
      !read_uint (file, "clinic", "visit-code-hours", 1, 72, &config->visit_code_hours, error) ||
      !read_string (file, "sms", "gateway", &config->sms_gateway, error) ||
      !read_string (file, "sms", "from", &config->sms_from, error) ||
      !read_string (file, "sms", "callback-url", &config->sms_callback_url, error) ||
      !read_path (file, config, "sms", "callback-secret-file", &callback_secret_file, error) ||
      !read_offsets (file, config, error) ||
      !read_uint (file, "sms", "max-segments", 1, 2, &config->sms_max_segments, error) ||
      !read_uint (file, "sms", "max-attempts", 1, 100, &config->sms_max_attempts, error) ||
      !read_uint (file, "sms", "retry-initial-seconds", 1, 86400, &config->sms_retry_initial,
                  error) ||
      !read_uint (file, "sms", "retry-max-seconds", 1, 86400, &config->sms_retry_max, error) ||
      !read_uint (file, "sms", "request-timeout-seconds", 1, 600, &config->sms_request_timeout,
                  error) ||
      !read_uint (file, "sms", "confirm-timeout-seconds", 1, 7 * 86400,
                  &config->sms_confirm_timeout, error) ||
      !read_bool (file, "sms", "send-cancellation", &config->sms_send_cancellation, error) ||
      !read_string (file, "sms", "kannel-url", &config->kannel_url, error) ||
      !read_string (file, "sms", "kannel-username", &config->kannel_username, error) ||
      !read_path (file, config, "sms", "kannel-password-file", &kannel_password_file, error) ||
      !read_string (file, "sms", "kannel-smsc", &config->kannel_smsc, error) ||
      !read_string (file, "sms", "twilio-url", &config->twilio_url, error) ||
      !read_string (file, "sms", "twilio-account-sid", &config->twilio_account_sid, error) ||
      !read_path (file, config, "sms", "twilio-auth-token-file", &twilio_token_file, error))
    return FALSE;

  for (guint i = 0; i < HC_SMS_N_KINDS; i++)
    {
      g_autoptr(GError) local_error = NULL;

      if (!read_string (file, "sms", template_keys[i], &config->sms_templates[i], error))
        return FALSE;
      if (config->sms_templates[i] != NULL &&
          !hc_sms_template_check (config->sms_templates[i], &local_error))
        return config_error (error, "sms", template_keys[i], "%s", local_error->message);
    }
  if (config->sms_templates[HC_SMS_KIND_GUEST_INVITE] != NULL)
    {
      /* A guest invite knows no appointment: no {time}, no {provider}. */
      static const char * const names[] = { "clinic", "clinic_phone", "time", "link", "provider",
                                             NULL };
      static const char * const values[] = { "Clinic", "+15550100", NULL, "https://x.example/",
                                              NULL, NULL };
      g_autoptr(GError) local_error = NULL;
      g_autofree char *text = hc_sms_template_render (config->sms_templates[HC_SMS_KIND_GUEST_INVITE],
                                                      names, values, 255, NULL, &local_error);

      if (text == NULL && g_error_matches (local_error, HC_ERROR,
                                           HC_ERROR_SMS_TEMPLATE_VARIABLE_EMPTY))
        return config_error (error, "sms", "guest-invite-template",
                             "only {clinic}, {clinic_phone} and {link} are known for a guest link");
    }

  if (config->sms_gateway == NULL)
    config->sms_gateway = g_strdup ("outbox");
  if (strcmp (config->sms_gateway, "outbox") != 0 && strcmp (config->sms_gateway, "kannel") != 0 &&
      strcmp (config->sms_gateway, "twilio") != 0)
    return config_error (error, "sms", "gateway", "must be outbox, kannel or twilio, not “%s”",
                         config->sms_gateway);
  if (config->sms_retry_initial > config->sms_retry_max)
    return config_error (error, "sms", "retry-initial-seconds",
                         "is longer than retry-max-seconds (%u s)", config->sms_retry_max);
  if (config->clinic_timezone != NULL)
    {
      GTimeZone *zone = g_time_zone_new_identifier (config->clinic_timezone);

      if (zone == NULL)
        return config_error (error, "clinic", "timezone",
                             "“%s” is not a time zone such as Europe/London",
                             config->clinic_timezone);
      g_time_zone_unref (zone);
    }
  if (config->clinic_phone != NULL && !hc_name_is_valid (config->clinic_phone, 32))
    return config_error (error, "clinic", "phone", "must be 1 to 32 printable characters");
  if (!check_url (config->sms_callback_url, "callback-url", error) ||
      !check_url (config->kannel_url, "kannel-url", error) ||
      !check_url (config->twilio_url, "twilio-url", error))
    return FALSE;
  if (strcmp (config->sms_gateway, "outbox") != 0 && config->sms_from == NULL)
    return config_error (error, "sms", "from",
                         "the %s gateway needs the sender: a number in E.164 or a sender name",
                         config->sms_gateway);
  if (strcmp (config->sms_gateway, "kannel") == 0)
    {
      if (config->kannel_url == NULL)
        return config_error (error, "sms", "kannel-url",
                             "the kannel gateway needs smsbox's sendsms URL, e.g. "
                             "http://127.0.0.1:13013/cgi-bin/sendsms");
      if (config->kannel_username == NULL)
        return config_error (error, "sms", "kannel-username",
                             "the kannel gateway needs a sendsms-user's name");
    }
  if (strcmp (config->sms_gateway, "twilio") == 0 &&
      !hc_sid_is_valid (config->twilio_account_sid, HC_SID_PREFIX_ACCOUNT))
    return config_error (error, "sms", "twilio-account-sid",
                         "the twilio gateway needs the account SID: AC and 32 hex digits");

  g_free (config->sms_callback_secret_file);
  config->sms_callback_secret_file = g_steal_pointer (&callback_secret_file);
  g_free (config->kannel_password_file);
  config->kannel_password_file = g_steal_pointer (&kannel_password_file);
  g_free (config->twilio_auth_token_file);
  config->twilio_auth_token_file = g_steal_pointer (&twilio_token_file);
  return TRUE;
}

/* A gateway password: the file's first line, any length. */
static GBytes *
read_password_file (const char  *path,
                    const char  *key,
                    GError     **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autofree char *contents = NULL;
  gsize len = 0;

  if (!g_file_get_contents (path, &contents, &len, &local_error))
    {
      config_error (error, "sms", key, "%s", local_error->message);
      return NULL;
    }
  len = strcspn (contents, "\r\n");
  contents[len] = '\0';
  if (len == 0)
    {
      config_error (error, "sms", key, "%s is empty", path);
      return NULL;
    }
  return g_bytes_new_take (g_steal_pointer (&contents), len);
}

static GBytes *
secret_from (const char  *file,
             const char  *env_name,
             const char  *key,
             GError     **error)
{
  const char *env = g_getenv (env_name);

  if (file != NULL)
    return read_password_file (file, key, error);
  if (env != NULL && *env != '\0')
    return g_bytes_new (env, strlen (env));
  config_error (error, "sms", key, "set it, or the environment variable %s", env_name);
  return NULL;
}

static gboolean
finish_sms (HcConfig  *config,
            GError   **error)
{
  const char *env = g_getenv ("HOUSECALLD_SMS_CALLBACK_SECRET");

  g_clear_pointer (&config->kannel_password, g_bytes_unref);
  g_clear_pointer (&config->twilio_auth_token, g_bytes_unref);
  g_clear_pointer (&config->sms_callback_secret, g_free);

  if (g_strcmp0 (config->sms_gateway, "kannel") == 0 &&
      (config->kannel_password = secret_from (config->kannel_password_file,
                                              "HOUSECALLD_KANNEL_PASSWORD",
                                              "kannel-password-file", error)) == NULL)
    return FALSE;
  if (g_strcmp0 (config->sms_gateway, "twilio") == 0 &&
      (config->twilio_auth_token = secret_from (config->twilio_auth_token_file,
                                                "HOUSECALLD_TWILIO_AUTH_TOKEN",
                                                "twilio-auth-token-file", error)) == NULL)
    return FALSE;

  /* The secret in the callback URLs: it goes into URLs, so it must be
   * URL-safe; we check rather than escape. */
  if (config->sms_callback_secret_file != NULL)
    {
      g_autoptr(GBytes) secret = read_secret_file (config->sms_callback_secret_file, "sms",
                                                   "callback-secret-file", error);

      if (secret == NULL)
        return FALSE;
      config->sms_callback_secret = g_strndup (g_bytes_get_data (secret, NULL),
                                               g_bytes_get_size (secret));
    }
  else if (env != NULL && *env != '\0')
    config->sms_callback_secret = g_strdup (env);
  else
    {
      gboolean made = FALSE;

      config->sms_callback_secret = load_or_generate (config->data_dir, "sms-callback-secret",
                                                      NULL, &made, error);
      if (config->sms_callback_secret == NULL)
        return FALSE;
    }
  if (strlen (config->sms_callback_secret) < 32)
    return config_error (error, "sms", "callback-secret-file", "the secret is shorter than 32 bytes");
  for (const char *p = config->sms_callback_secret; *p; p++)
    if (!g_ascii_isalnum (*p) && *p != '-' && *p != '_')
      return config_error (error, "sms", "callback-secret-file",
                           "the secret may hold only letters, digits, - and _");
  return TRUE;
}

/* [sip] and [interpreter]: the phone bridge and the interpreter service. */

static gboolean
check_sip_uri (const char *value)
{
  g_autofree char *rest = NULL;
  const char *p;

  if (value == NULL || strlen (value) > 256 ||
      (!g_str_has_prefix (value, "sip:") && !g_str_has_prefix (value, "sips:")))
    return FALSE;
  p = strchr (value, ':') + 1;
  if (*p == '\0')
    return FALSE;
  /* A host[:port] and URI parameters: no user part, no spaces, no headers. */
  for (; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && strchr (".-:[];=_", *p) == NULL)
      return FALSE;
  return TRUE;
}

static gboolean
check_http_url (const char *value)
{
  g_autoptr(GUri) uri = value ? g_uri_parse (value, G_URI_FLAGS_NONE, NULL) : NULL;

  return uri != NULL && strlen (value) <= 2048 &&
         (g_strcmp0 (g_uri_get_scheme (uri), "https") == 0 ||
          g_strcmp0 (g_uri_get_scheme (uri), "http") == 0) &&
         g_uri_get_host (uri) != NULL && *g_uri_get_host (uri) != '\0';
}

static gboolean
load_sip (GKeyFile  *file,
          HcConfig  *config,
          GError   **error)
{
  g_autofree char *range = NULL;
  g_autofree char *caller_id = NULL;

  if (!read_string (file, "sip", "trunk", &config->sip_trunk, error) ||
      !read_string (file, "sip", "proxy", &config->sip_proxy, error) ||
      !read_string (file, "sip", "listen", &config->sip_listen, error) ||
      !read_string (file, "sip", "transport", &config->sip_transport, error) ||
      !read_string (file, "sip", "username", &config->sip_username, error) ||
      !read_path (file, config, "sip", "password-file", &config->sip_password_file, error) ||
      !read_string (file, "sip", "caller-id", &caller_id, error) ||
      !read_string (file, "sip", "caller-name", &config->sip_caller_name, error) ||
      !read_uint (file, "sip", "ring-timeout-seconds", 1, 600, &config->sip_ring_timeout, error) ||
      !read_uint (file, "sip", "max-call-seconds", 10, 86400, &config->sip_max_call_seconds,
                  error) ||
      !read_string (file, "sip", "rtp-address", &config->sip_rtp_address, error) ||
      !read_string (file, "sip", "rtp-port-range", &range, error) ||
      !read_uint (file, "sip", "max-calls-per-room", 1, 8, &config->sip_max_calls_per_room,
                  error) ||
      !read_string (file, "interpreter", "service-url", &config->interpreter_url, error) ||
      !read_path (file, config, "interpreter", "auth-token-file", &config->interpreter_token_file,
                  error) ||
      !read_uint (file, "interpreter", "timeout-seconds", 1, 120, &config->interpreter_timeout,
                  error) ||
      !read_string (file, "interpreter", "name", &config->interpreter_name, error))
    return FALSE;

  if (config->sip_trunk != NULL && !check_sip_uri (config->sip_trunk))
    return config_error (error, "sip", "trunk",
                         "“%s” is not a SIP URI of a host, e.g. sip:pbx.example.org:5060",
                         config->sip_trunk);
  if (config->sip_proxy != NULL && !check_sip_uri (config->sip_proxy))
    return config_error (error, "sip", "proxy", "“%s” is not a SIP URI of a host",
                         config->sip_proxy);
  if (config->sip_listen == NULL)
    config->sip_listen = g_strdup ("127.0.0.1:0");
  {
    /* The same ADDRESS:PORT rules as [server] listen, checked on a scratch config. */
    g_autoptr(HcConfig) scratch = hc_config_new ();
    g_autoptr(GError) local_error = NULL;

    if (!hc_config_set_listen (scratch, config->sip_listen, &local_error))
      return config_error (error, "sip", "listen", "“%s” is not ADDRESS:PORT", config->sip_listen);
    if (config->sip_rtp_address == NULL)
      config->sip_rtp_address = g_strdup (scratch->listen_host);
  }
  if (config->sip_transport == NULL)
    config->sip_transport = g_strdup ("udp");
  if (strcmp (config->sip_transport, "udp") != 0 && strcmp (config->sip_transport, "tcp") != 0)
    return config_error (error, "sip", "transport", "must be udp or tcp, not “%s”",
                         config->sip_transport);
  if (config->sip_username != NULL &&
      (strlen (config->sip_username) > 128 || strpbrk (config->sip_username, " \t\":<>@") != NULL))
    return config_error (error, "sip", "username", "must be at most 128 characters without "
                         "spaces, quotes, colons, angle brackets or @");
  if (caller_id != NULL)
    {
      g_autoptr(GError) local_error = NULL;

      g_free (config->sip_caller_id);
      config->sip_caller_id = hc_phone_normalize (caller_id, &local_error);
      if (config->sip_caller_id == NULL)
        return config_error (error, "sip", "caller-id", "%s", local_error->message);
    }
  if (config->sip_caller_name != NULL &&
      (!g_utf8_validate (config->sip_caller_name, -1, NULL) ||
       g_utf8_strlen (config->sip_caller_name, -1) > 64 ||
       strpbrk (config->sip_caller_name, "\"\\\r\n") != NULL))
    return config_error (error, "sip", "caller-name",
                         "must be at most 64 characters without quotes or backslashes");
  {
    g_autoptr(GInetAddress) address = g_inet_address_new_from_string (config->sip_rtp_address);

    if (address == NULL || g_inet_address_get_is_any (address) ||
        g_inet_address_get_is_multicast (address))
      return config_error (error, "sip", "rtp-address", "“%s” is not a unicast IP address",
                           config->sip_rtp_address);
  }
  if (range != NULL)
    {
      g_auto(GStrv) parts = NULL;
      guint64 min = 0, max = 0;

      if (!check_port_range (range))
        return config_error (error, "sip", "rtp-port-range",
                             "“%s” is not MIN-MAX with 1024 ≤ MIN < MAX ≤ 65535", range);
      parts = g_strsplit (range, "-", 2);
      g_ascii_string_to_unsigned (parts[0], 10, 1024, 65535, &min, NULL);
      g_ascii_string_to_unsigned (parts[1], 10, 1024, 65535, &max, NULL);
      config->sip_rtp_port_min = (guint) min;
      config->sip_rtp_port_max = (guint) max;
    }
  if (config->interpreter_url != NULL && !check_http_url (config->interpreter_url))
    return config_error (error, "interpreter", "service-url", "must be an http or https URL");
  if (config->interpreter_name != NULL &&
      (!g_utf8_validate (config->interpreter_name, -1, NULL) ||
       g_utf8_strlen (config->interpreter_name, -1) > 64))
    return config_error (error, "interpreter", "name", "must be at most 64 characters");
  return TRUE;
}

/* A short secret file: SIP passwords and service tokens are whatever the
 * provider issued, so unlike our own secrets there is no minimum length. */
static GBytes *
read_short_secret (const char  *path,
                   const char  *group,
                   const char  *key,
                   GError     **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autofree char *contents = NULL;
  gsize len = 0;

  if (!g_file_get_contents (path, &contents, &len, &local_error))
    {
      config_error (error, group, key, "%s", local_error->message);
      return NULL;
    }
  while (len > 0 && (contents[len - 1] == '\n' || contents[len - 1] == '\r'))
    contents[--len] = '\0';
  if (len == 0 || len > 1024 || memchr (contents, '\0', len) != NULL ||
      strpbrk (contents, "\r\n") != NULL)
    {
      config_error (error, group, key, "%s must hold one line of 1 to 1024 bytes", path);
      return NULL;
    }
  return g_bytes_new (contents, len);
}

static gboolean
finish_sip (HcConfig  *config,
            GError   **error)
{
  const char *env = g_getenv ("HOUSECALLD_SIP_PASSWORD");

  g_clear_pointer (&config->sip_password, g_bytes_unref);
  g_clear_pointer (&config->interpreter_token, g_bytes_unref);
  if (config->sip_password_file != NULL)
    {
      config->sip_password = read_short_secret (config->sip_password_file, "sip",
                                                "password-file", error);
      if (config->sip_password == NULL)
        return FALSE;
    }
  else if (env != NULL && *env != '\0')
    config->sip_password = g_bytes_new (env, strlen (env));
  if (config->sip_password != NULL && config->sip_username == NULL)
    return config_error (error, "sip", "username", "a password is set but no username");
  if (config->interpreter_token_file != NULL)
    {
      config->interpreter_token = read_short_secret (config->interpreter_token_file,
                                                     "interpreter", "auth-token-file", error);
      if (config->interpreter_token == NULL)
        return FALSE;
    }
  return TRUE;
}
