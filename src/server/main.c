/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "Housecalld"

#include "config.h"

#include "hc-config.h"
#include "hc-error.h"
#include "hc-password.h"
#include "hc-server.h"
#include "hc-sid.h"
#include "hc-sms-outbox.h"
#include "hc-store.h"

#include <glib-unix.h>
#include <glib/gi18n.h>
#include <locale.h>
#include <sys/stat.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#define EXIT_USAGE 2

static char *opt_config = NULL;
static char *opt_listen = NULL;
static char *opt_data_dir = NULL;
static char *opt_display_name = NULL;
static gboolean opt_version = FALSE;

static const GOptionEntry entries[] = {
  { "config", 'c', 0, G_OPTION_ARG_FILENAME, &opt_config, "Read settings from FILE", "FILE" },
  { "listen", 'l', 0, G_OPTION_ARG_STRING, &opt_listen, "Listen on ADDRESS:PORT", "ADDRESS:PORT" },
  { "data-dir", 'd', 0, G_OPTION_ARG_FILENAME, &opt_data_dir, "Keep data in DIR", "DIR" },
  { "display-name", 0, 0, G_OPTION_ARG_STRING, &opt_display_name,
    "The provider's name as patients see it (user add)", "NAME" },
  { "version", 0, 0, G_OPTION_ARG_NONE, &opt_version, "Print the version and exit", NULL },
  { NULL }
};

static int
fail (const char *format,
      ...) G_GNUC_PRINTF (1, 2);

static int
fail (const char *format,
      ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_printerr ("housecalld: %s\n", message);
  return EXIT_USAGE;
}

static HcConfig *
load_config (GError **error)
{
  g_autoptr(HcConfig) config = hc_config_new ();

  if (!hc_config_load (config, opt_config, error))
    return NULL;
  if (opt_listen != NULL && !hc_config_set_listen (config, opt_listen, error))
    return NULL;
  if (opt_data_dir != NULL)
    hc_config_set_data_dir (config, opt_data_dir);
  if (!hc_config_finish (config, error))
    return NULL;
  return g_steal_pointer (&config);
}

static HcStore *
open_store (const HcConfig  *config,
            GError         **error)
{
  g_autofree char *path = g_build_filename (config->data_dir, "housecalld.db", NULL);

  return hc_store_open (path, error);
}

/* Reads a password from the terminal without echo, or one line from a pipe. */
static char *
read_password (const char *prompt)
{
  struct termios old_attr, new_attr;
  gboolean tty = isatty (STDIN_FILENO);
  char buffer[1100];
  char *line;

  if (tty)
    {
      g_printerr ("%s", prompt);
      tcgetattr (STDIN_FILENO, &old_attr);
      new_attr = old_attr;
      new_attr.c_lflag &= (tcflag_t) ~ECHO;
      tcsetattr (STDIN_FILENO, TCSAFLUSH, &new_attr);
    }
  line = fgets (buffer, sizeof buffer, stdin);
  if (tty)
    {
      tcsetattr (STDIN_FILENO, TCSAFLUSH, &old_attr);
      g_printerr ("\n");
    }
  if (line == NULL)
    return NULL;
  buffer[strcspn (buffer, "\r\n")] = '\0';
  {
    char *result = g_strdup (buffer);

    memset (buffer, 0, sizeof buffer);
    return result;
  }
}

static int
cmd_user (int    argc,
          char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(HcConfig) config = NULL;
  g_autoptr(HcStore) store = NULL;
  const char *verb = argc > 2 ? argv[2] : NULL;

  if (verb == NULL)
    return fail ("usage: housecalld user add|list|disable|enable [USERNAME]");

  config = load_config (&error);
  if (config == NULL)
    return fail ("%s", error->message);
  store = open_store (config, &error);
  if (store == NULL)
    return fail ("%s", error->message);

  if (strcmp (verb, "list") == 0 && argc == 3)
    {
      g_autoptr(GPtrArray) providers = hc_store_list_providers (store, &error);

      if (providers == NULL)
        return fail ("%s", error->message);
      for (guint i = 0; i < providers->len; i++)
        {
          HcProviderRecord *provider = g_ptr_array_index (providers, i);

          g_print ("%s\t%s\t%s\n", provider->username,
                   provider->disabled ? "disabled" : "enabled", provider->display_name);
        }
      return 0;
    }

  if (argc != 4)
    return fail ("usage: housecalld user %s USERNAME", verb);

  if (strcmp (verb, "add") == 0)
    {
      g_autofree char *password = NULL;
      g_autofree char *hash = NULL;

      if (!hc_name_is_valid (argv[3], 64) || strpbrk (argv[3], " \t:") != NULL)
        return fail ("a user name is 1 to 64 characters without spaces or colons");
      password = read_password ("Password: ");
      if (password == NULL)
        return fail ("no password on standard input");
      if (isatty (STDIN_FILENO))
        {
          g_autofree char *again = read_password ("Password again: ");

          if (g_strcmp0 (password, again) != 0)
            return fail ("the passwords differ");
        }
      hash = hc_password_hash (password, &error);
      memset (password, 0, strlen (password));
      if (hash == NULL ||
          !hc_store_add_provider (store, argv[3], opt_display_name ? opt_display_name : argv[3],
                                  hash, &error))
        return fail ("%s", error->message);
      hc_store_audit (store, "user.added", NULL, argv[3], "command line");
      g_print ("Added provider %s\n", argv[3]);
      return 0;
    }
  if (strcmp (verb, "disable") == 0 || strcmp (verb, "enable") == 0)
    {
      gboolean disable = strcmp (verb, "disable") == 0;

      if (!hc_store_set_provider_disabled (store, argv[3], disable, &error))
        return fail ("%s", error->message);
      hc_store_audit (store, disable ? "user.disabled" : "user.enabled", NULL, argv[3],
                      "command line");
      g_print ("%s provider %s\n", disable ? "Disabled" : "Enabled", argv[3]);
      return 0;
    }
  return fail ("unknown command “user %s”; use add, list, disable or enable", verb);
}

static int
cmd_audit (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(HcConfig) config = load_config (&error);
  g_autoptr(HcStore) store = NULL;
  g_autoptr(GPtrArray) records = NULL;

  if (config == NULL)
    return fail ("%s", error->message);
  store = open_store (config, &error);
  if (store == NULL || (records = hc_store_list_audit (store, 200, &error)) == NULL)
    return fail ("%s", error->message);
  for (guint i = records->len; i > 0; i--)
    {
      HcAuditRecord *record = g_ptr_array_index (records, i - 1);
      g_autoptr(GDateTime) time = g_date_time_new_from_unix_utc (record->time);
      g_autofree char *when = g_date_time_format_iso8601 (time);

      g_print ("%s\t%s\t%s\t%s\t%s\n", when, record->event, record->actor ? record->actor : "-",
               record->subject ? record->subject : "-", record->address ? record->address : "-");
    }
  return 0;
}

/* `housecalld sms outbox`: the messages the outbox sender has "sent", for
 * an operator without a gateway to pass on by hand. */
static int
cmd_sms (int    argc,
         char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(HcConfig) config = NULL;
  g_autofree char *path = NULL;

  if (argc != 3 || strcmp (argv[2], "outbox") != 0)
    return fail ("usage: housecalld sms outbox");
  config = load_config (&error);
  if (config == NULL)
    return fail ("%s", error->message);
  path = g_build_filename (config->data_dir, "sms-outbox.jsonl", NULL);
  if (!hc_sms_outbox_print (path, &error))
    return fail ("%s", error->message);
  return 0;
}

static gboolean
on_quit_signal (gpointer user_data)
{
  g_message ("Stopping");
  g_main_loop_quit (user_data);
  return G_SOURCE_CONTINUE;
}

static int
cmd_serve (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(HcConfig) config = load_config (&error);
  g_autoptr(HcStore) store = NULL;
  g_autoptr(HcServer) server = NULL;
  g_autoptr(GMainLoop) loop = NULL;
  guint term_id, int_id;

  if (config == NULL)
    return fail ("%s", error->message);
  store = open_store (config, &error);
  if (store == NULL)
    return fail ("%s", error->message);

  g_message ("Token signing secret from %s", config->api_key_secret_source);
  server = hc_server_new (g_steal_pointer (&config), store);
  if (!hc_server_start (server, &error))
    return fail ("%s", error->message);
  g_message ("Listening on port %u", hc_server_get_port (server));

  loop = g_main_loop_new (NULL, FALSE);
  term_id = g_unix_signal_add (SIGTERM, on_quit_signal, loop);
  int_id = g_unix_signal_add (SIGINT, on_quit_signal, loop);
  g_main_loop_run (loop);
  g_source_remove (term_id);
  g_source_remove (int_id);

  hc_server_stop (server);
  return 0;
}

int
main (int    argc,
      char **argv)
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;

  /* Everything housecalld writes (the database, generated secrets, Janus's
   * config) is for its own user only. */
  umask (077);
  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");

  context = g_option_context_new ("[user add|list|disable|enable USERNAME | audit | sms outbox]");
  g_option_context_set_summary (context, "The Housecall practice server.");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    return fail ("%s", error->message);

  if (opt_version)
    {
      g_print ("housecalld %s\n", PACKAGE_VERSION);
      return 0;
    }
  if (argc >= 2 && strcmp (argv[1], "user") == 0)
    return cmd_user (argc, argv);
  if (argc == 2 && strcmp (argv[1], "audit") == 0)
    return cmd_audit ();
  if (argc >= 2 && strcmp (argv[1], "sms") == 0)
    return cmd_sms (argc, argv);
  if (argc != 1)
    return fail ("unknown command “%s”; see housecalld --help", argv[1]);
  return cmd_serve ();
}
