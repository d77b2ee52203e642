/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "hc-config.h"
#include "hc-error.h"

#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>

typedef struct
{
  char *dir;
} Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  f->dir = g_dir_make_tmp ("hc-config-XXXXXX", &error);
  g_assert_no_error (error);
  g_unsetenv ("HOUSECALLD_API_KEY_SECRET");
  g_unsetenv ("HOUSECALLD_JANUS_ADMIN_SECRET");
}

static void
remove_tree (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR))
        remove_tree (child);
      else
        g_unlink (child);
    }
  g_rmdir (path);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  remove_tree (f->dir);
  g_free (f->dir);
}

static char *
write_config (Fixture    *f,
              const char *contents)
{
  g_autoptr(GError) error = NULL;
  char *path = g_build_filename (f->dir, "housecalld.conf", NULL);

  g_file_set_contents (path, contents, -1, &error);
  g_assert_no_error (error);
  return path;
}

static void
test_example_config (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(HcConfig) config = hc_config_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *example = g_test_build_filename (G_TEST_DIST, "..", "data", "housecalld.conf",
                                                    NULL);

  g_assert_true (hc_config_load (config, example, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (config->listen_host, ==, "127.0.0.1");
  g_assert_cmpuint (config->listen_port, ==, 8080);
  g_assert_cmpstr (config->clinic_name, ==, "Housecall Clinic");
  g_assert_cmpuint (config->provider_token_ttl, ==, 3600);
  g_assert_null (config->account_sid);

  /* As on a developer machine: no secret configured, so one is generated. */
  hc_config_set_data_dir (config, f->dir);
  g_assert_true (hc_config_finish (config, &error));
  g_assert_no_error (error);
  g_assert_nonnull (config->api_key_secret);
  g_assert_cmpuint (g_bytes_get_size (config->api_key_secret), >=, 32);
  g_assert_true (g_str_has_prefix (config->account_sid, "AC"));
  g_assert_true (g_str_has_prefix (config->api_key_sid, "SK"));
}

static void
test_generated_secret_is_kept (Fixture       *f,
                               gconstpointer  data)
{
  g_autoptr(HcConfig) first = hc_config_new ();
  g_autoptr(HcConfig) second = hc_config_new ();
  g_autofree char *secret_path = g_build_filename (f->dir, "api-key-secret", NULL);
  GStatBuf st;

  hc_config_set_data_dir (first, f->dir);
  g_assert_true (hc_config_finish (first, NULL));
  hc_config_set_data_dir (second, f->dir);
  g_assert_true (hc_config_finish (second, NULL));
  g_assert_true (g_bytes_equal (first->api_key_secret, second->api_key_secret));
  g_assert_cmpstr (first->account_sid, ==, second->account_sid);
  g_assert_cmpstr (first->api_key_sid, ==, second->api_key_sid);

  /* Readable by the owner only. */
  g_assert_cmpint (g_stat (secret_path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0077, ==, 0);
}

static void
test_secret_from_file_and_env (Fixture       *f,
                               gconstpointer  data)
{
  g_autoptr(HcConfig) config = hc_config_new ();
  g_autoptr(HcConfig) from_env = hc_config_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *secret_path = g_build_filename (f->dir, "secret", NULL);
  g_autofree char *path = NULL;
  g_autofree char *contents = NULL;

  g_file_set_contents (secret_path, "abcdefghijklmnopqrstuvwxyz0123456789\n", -1, NULL);
  g_chmod (secret_path, 0600);
  contents = g_strdup_printf ("[tokens]\naccount-sid = AC0123456789abcdef0123456789abcdef\n"
                              "api-key-sid = SK0123456789abcdef0123456789abcdef\n"
                              "api-key-secret-file = secret\n"
                              "[server]\ndata-dir = data\n");
  path = write_config (f, contents);
  g_assert_true (hc_config_load (config, path, &error));
  g_assert_true (hc_config_finish (config, &error));
  g_assert_no_error (error);
  /* The trailing newline is not part of the secret. */
  g_assert_cmpuint (g_bytes_get_size (config->api_key_secret), ==, 36);
  g_assert_cmpstr (config->account_sid, ==, "AC0123456789abcdef0123456789abcdef");

  g_setenv ("HOUSECALLD_API_KEY_SECRET", "from-the-environment-0123456789abcdef", TRUE);
  hc_config_set_data_dir (from_env, f->dir);
  g_assert_true (hc_config_finish (from_env, &error));
  g_assert_no_error (error);
  g_assert_cmpmem (g_bytes_get_data (from_env->api_key_secret, NULL),
                   g_bytes_get_size (from_env->api_key_secret),
                   "from-the-environment-0123456789abcdef", 37);
  g_unsetenv ("HOUSECALLD_API_KEY_SECRET");
}

typedef struct
{
  const char *contents;
  const char *expected;       /* the start of the one-line message */
} BadConfig;

static const BadConfig bad_configs[] = {
  { "[server]\nlisten = 127.0.0.1\n", "server.listen:" },
  { "[server]\nlisten = 127.0.0.1:99999\n", "server.listen:" },
  { "[server]\nlisten = example.com:80\n", "server.listen:" },
  { "[server]\nlisen = 127.0.0.1:80\n", "server.lisen: unknown key" },
  { "[srever]\n", "[srever]: unknown group" },
  { "[tokens]\naccount-sid = AC123\n", "tokens.account-sid:" },
  { "[tokens]\napi-key-sid = AC0123456789abcdef0123456789abcdef\n", "tokens.api-key-sid:" },
  { "[tokens]\nprovider-ttl = forever\n", "tokens.provider-ttl:" },
  { "[tokens]\nprovider-ttl = 10\n", "tokens.provider-ttl:" },
  { "[tokens]\nguest-ttl = 7200\nguest-max-ttl = 3600\n", "tokens.guest-ttl:" },
  { "[server]\ntls-certificate = cert.pem\n", "server.tls-key:" },
  { "[server]\npublic-url = ftp://clinic\n", "server.public-url:" },
  { "[login]\nlockout-seconds = 0\n", "login.lockout-seconds:" },
  { "[sip]\ntrunk = pbx.example.org\n", "sip.trunk:" },
  { "[sip]\ntrunk = sip:user@pbx.example.org\n", "sip.trunk:" },
  { "[sip]\ntrunk = sip:pbx example\n", "sip.trunk:" },
  { "[sip]\nproxy = http://proxy\n", "sip.proxy:" },
  { "[sip]\nlisten = 127.0.0.1\n", "sip.listen:" },
  { "[sip]\ntransport = tls\n", "sip.transport:" },
  { "[sip]\nusername = a b\n", "sip.username:" },
  { "[sip]\ncaller-id = 555-0100\n", "sip.caller-id:" },
  { "[sip]\ncaller-name = The \"Clinic\"\n", "sip.caller-name:" },
  { "[sip]\nring-timeout-seconds = 0\n", "sip.ring-timeout-seconds:" },
  { "[sip]\nmax-call-seconds = 5\n", "sip.max-call-seconds:" },
  { "[sip]\nrtp-address = 0.0.0.0\n", "sip.rtp-address:" },
  { "[sip]\nrtp-address = pbx.example.org\n", "sip.rtp-address:" },
  { "[sip]\nrtp-port-range = 5000\n", "sip.rtp-port-range:" },
  { "[sip]\nrtp-port-range = 6000-5000\n", "sip.rtp-port-range:" },
  { "[sip]\nmax-calls-per-room = 9\n", "sip.max-calls-per-room:" },
  { "[sip]\nringtimeout = 5\n", "sip.ringtimeout: unknown key" },
  { "[interpreter]\nservice-url = ftp://interp\n", "interpreter.service-url:" },
  { "[interpreter]\ntimeout-seconds = 0\n", "interpreter.timeout-seconds:" },
  { "not a key file\n", NULL },
};

static void
test_sip (Fixture       *f,
          gconstpointer  data)
{
  g_autoptr(HcConfig) config = hc_config_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *secret = g_build_filename (f->dir, "sip-password", NULL);
  g_autofree char *path = NULL;

  g_file_set_contents (secret, "pass word\n", -1, &error);
  g_assert_no_error (error);
  path = write_config (f, "[sip]\ntrunk = sip:pbx.example.org:5080;transport=udp\n"
                          "listen = 127.0.0.1:0\nusername = clinic\npassword-file = sip-password\n"
                          "caller-id = +1 (415) 555-0100\ncaller-name = Northside Clinic\n"
                          "ring-timeout-seconds = 20\nmax-call-seconds = 600\n"
                          "rtp-port-range = 30000-30100\n"
                          "[interpreter]\nservice-url = https://interpreters.example/v1/requests\n"
                          "timeout-seconds = 5\n");
  g_assert_true (hc_config_load (config, path, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (config->sip_trunk, ==, "sip:pbx.example.org:5080;transport=udp");
  g_assert_cmpstr (config->sip_caller_id, ==, "+14155550100");
  g_assert_cmpstr (config->sip_rtp_address, ==, "127.0.0.1");
  g_assert_cmpuint (config->sip_ring_timeout, ==, 20);
  g_assert_cmpuint (config->sip_max_call_seconds, ==, 600);
  g_assert_cmpuint (config->sip_rtp_port_min, ==, 30000);
  g_assert_cmpuint (config->sip_rtp_port_max, ==, 30100);
  g_assert_cmpuint (config->interpreter_timeout, ==, 5);
  hc_config_set_data_dir (config, f->dir);
  g_assert_true (hc_config_finish (config, &error));
  g_assert_no_error (error);
  g_assert_cmpmem (g_bytes_get_data (config->sip_password, NULL),
                   g_bytes_get_size (config->sip_password), "pass word", 9);
}

static void
test_bad_configs (Fixture       *f,
                  gconstpointer  data)
{
  for (gsize i = 0; i < G_N_ELEMENTS (bad_configs); i++)
    {
      g_autoptr(HcConfig) config = hc_config_new ();
      g_autoptr(GError) error = NULL;
      g_autofree char *path = write_config (f, bad_configs[i].contents);

      g_assert_false (hc_config_load (config, path, &error));
      g_assert_error (error, HC_ERROR, HC_ERROR_CONFIG_INVALID);
      g_assert_null (strchr (error->message, '\n'));
      if (bad_configs[i].expected != NULL && !g_str_has_prefix (error->message, bad_configs[i].expected))
        g_error ("case %" G_GSIZE_FORMAT ": “%s” does not start with “%s”", i, error->message,
                 bad_configs[i].expected);
    }
}

static void
test_bad_secrets (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(HcConfig) config = hc_config_new ();
  g_autoptr(HcConfig) short_one = hc_config_new ();
  g_autoptr(HcConfig) network = hc_config_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *path = write_config (f, "[tokens]\napi-key-secret-file = missing\n");
  g_autofree char *short_path = g_build_filename (f->dir, "short", NULL);

  g_assert_true (hc_config_load (config, path, &error));
  hc_config_set_data_dir (config, f->dir);
  g_assert_false (hc_config_finish (config, &error));
  g_assert_error (error, HC_ERROR, HC_ERROR_CONFIG_INVALID);
  g_assert_true (g_str_has_prefix (error->message, "tokens.api-key-secret-file:"));
  g_clear_error (&error);

  g_file_set_contents (short_path, "tooshort\n", -1, NULL);
  g_clear_pointer (&path, g_free);
  path = write_config (f, "[tokens]\napi-key-secret-file = short\n");
  g_assert_true (hc_config_load (short_one, path, &error));
  hc_config_set_data_dir (short_one, f->dir);
  g_assert_false (hc_config_finish (short_one, &error));
  g_assert_true (strstr (error->message, "shorter than 32 bytes") != NULL);
  g_clear_error (&error);

  /* Serving the network without TLS is refused. */
  g_assert_true (hc_config_set_listen (network, "0.0.0.0:8443", &error));
  hc_config_set_data_dir (network, f->dir);
  g_assert_false (hc_config_finish (network, &error));
  g_assert_true (g_str_has_prefix (error->message, "server.listen:"));
}

static void
test_listen_forms (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(HcConfig) config = hc_config_new ();

  g_assert_true (hc_config_set_listen (config, "[::1]:8443", NULL));
  g_assert_cmpstr (config->listen_host, ==, "::1");
  g_assert_cmpuint (config->listen_port, ==, 8443);
  g_assert_true (hc_config_is_loopback (config));
  g_assert_true (hc_config_set_listen (config, "localhost:0", NULL));
  g_assert_cmpstr (config->listen_host, ==, "127.0.0.1");
  g_assert_false (hc_config_set_listen (config, "[::1]8443", NULL));
  g_assert_false (hc_config_set_listen (config, "::1:8443", NULL));
  g_assert_false (hc_config_set_listen (config, "", NULL));
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/config/example", Fixture, NULL, fixture_setup, test_example_config,
              fixture_teardown);
  g_test_add ("/config/generated-secret-kept", Fixture, NULL, fixture_setup,
              test_generated_secret_is_kept, fixture_teardown);
  g_test_add ("/config/secret-file-and-env", Fixture, NULL, fixture_setup,
              test_secret_from_file_and_env, fixture_teardown);
  g_test_add ("/config/sip", Fixture, NULL, fixture_setup, test_sip, fixture_teardown);
  g_test_add ("/config/bad", Fixture, NULL, fixture_setup, test_bad_configs, fixture_teardown);
  g_test_add ("/config/bad-secrets", Fixture, NULL, fixture_setup, test_bad_secrets,
              fixture_teardown);
  g_test_add ("/config/listen", Fixture, NULL, fixture_setup, test_listen_forms,
              fixture_teardown);
  return g_test_run ();
}
