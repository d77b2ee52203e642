/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "HcBench"

#include "config.h"

#include "hc-token.h"

#include <glib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* Token verifications per second per core (issue 10, item 6).
 *
 * One thread mints a provider token and a patient token the way housecalld
 * does, then verifies them in a loop for a fixed CPU time. The rate is
 * counted against the thread's own CPU clock, so a busy neighbour on a shared
 * machine lowers the wall-clock rate but not the per-core figure. For scale,
 * the same loop is run over the bare HMAC-SHA256 of the signing input: the
 * floor any HS256 verifier pays. This program prints figures; it asserts
 * nothing about them. */

#define SECRET "0123456789abcdef0123456789abcdef-bench-secret"

static double
thread_cpu_seconds (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double
wall_seconds (void)
{
  return g_get_monotonic_time () / 1e6;
}

typedef gboolean (*BenchFunc) (gconstpointer data);

static const HcTokenKey key = {
  .account_sid = "AC0123456789abcdef0123456789abcdef",
  .api_key_sid = "SK0123456789abcdef0123456789abcdef",
  .secret = (const guint8 *) SECRET,
  .secret_len = sizeof SECRET - 1,
};

static gint64 bench_now;

static gboolean
verify_once (gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(HcTokenClaims) claims = hc_token_verify (&key, data, bench_now, &error);

  return claims != NULL;
}

static gboolean
verify_and_check_room (gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(HcTokenClaims) claims = hc_token_verify (&key, data, bench_now, &error);

  return claims != NULL &&
         hc_token_claims_allow_room (claims, "RM0123456789abcdef0123456789abcdef",
                                     "waiting-bench", &error);
}

static gboolean
hmac_only (gconstpointer data)
{
  const char *token = data;
  const char *dot = strrchr (token, '.');
  g_autoptr(GHmac) hmac = g_hmac_new (G_CHECKSUM_SHA256, key.secret, key.secret_len);
  guint8 digest[32];
  gsize digest_len = sizeof digest;

  g_hmac_update (hmac, (const guchar *) token, dot - token);
  g_hmac_get_digest (hmac, digest, &digest_len);
  return digest_len == 32;
}

static void
run (const char    *label,
     BenchFunc      func,
     gconstpointer  data,
     double         cpu_budget,
     guint          min_iterations)
{
  double cpu0 = thread_cpu_seconds ();
  double wall0 = wall_seconds ();
  double cpu = 0;
  double wall;
  guint64 n = 0;

  /* Check the clock only every 64 calls: reading it is not free. */
  do
    {
      for (guint i = 0; i < 64; i++)
        if (!func (data))
          {
            g_printerr ("%s: a verification failed; the figures would mean nothing\n", label);
            exit (1);
          }
      n += 64;
      cpu = thread_cpu_seconds () - cpu0;
    }
  while (cpu < cpu_budget || n < min_iterations);
  wall = wall_seconds () - wall0;

  printf ("%-34s %10" G_GUINT64_FORMAT " calls  %9.0f /s per core (CPU)  %9.0f /s wall  %6.2f us each\n",
          label, n, n / cpu, n / wall, cpu * 1e6 / n);
}

static char *
mint (HcRole      role,
      const char *identity,
      const char *room)
{
  g_autoptr(HcTokenClaims) claims = hc_token_claims_new ();
  g_autoptr(GError) error = NULL;
  char *token;

  claims->identity = g_strdup (identity);
  claims->room = g_strdup (room);
  claims->role = role;
  claims->can_create_rooms = role == HC_ROLE_PROVIDER;
  claims->iat = bench_now;
  claims->exp = bench_now + 3600;
  token = hc_token_mint (&key, claims, &error);
  if (token == NULL)
    g_error ("mint: %s", error->message);
  return token;
}

int
main (int    argc,
      char **argv)
{
  double seconds = 3.0;
  gboolean tiny = FALSE;
  GOptionEntry entries[] = {
    { "seconds", 's', 0, G_OPTION_ARG_DOUBLE, &seconds, "CPU seconds per measurement", "S" },
    { "tiny", 0, 0, G_OPTION_ARG_NONE, &tiny, "A few calls only (smoke run)", NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("- token verifications per second");
  g_autoptr(GError) error = NULL;
  g_autofree char *provider = NULL;
  g_autofree char *patient = NULL;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("%s\n", error->message);
      return 2;
    }
  if (tiny)
    seconds = 0;

  bench_now = g_get_real_time () / G_USEC_PER_SEC;
  provider = mint (HC_ROLE_PROVIDER, "drwho", NULL);
  patient = mint (HC_ROLE_PATIENT, "patient-0123456789abcdef0123456789abcdef",
                  "waiting-bench");

  printf ("token lengths: provider %zu bytes, patient %zu bytes; %.1f CPU s per line\n",
          strlen (provider), strlen (patient), seconds);
  run ("hc_token_verify (provider)", verify_once, provider, seconds, tiny ? 64 : 1000);
  run ("hc_token_verify (patient)", verify_once, patient, seconds, tiny ? 64 : 1000);
  run ("verify + allow_room (patient)", verify_and_check_room, patient, seconds, tiny ? 64 : 1000);
  run ("HMAC-SHA256 of the input only", hmac_only, patient, seconds, tiny ? 64 : 1000);
  return 0;
}
