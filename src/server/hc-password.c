/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "HcPassword"

#include "config.h"

#include "hc-error.h"
#include "hc-password.h"
#include "hc-sid.h"

#include <argon2.h>
#include <string.h>

/* OWASP's second recommended Argon2id setting: 19 MiB, 2 passes, 1 lane. */
#define T_COST   2
#define M_COST   (19 * 1024)
#define LANES    1
#define SALT_LEN 16
#define HASH_LEN 32

char *
hc_password_hash (const char  *password,
                  GError     **error)
{
  guint8 salt[SALT_LEN];
  gsize pwd_len;
  gsize encoded_len;
  g_autofree char *encoded = NULL;
  int rc;

  g_return_val_if_fail (password != NULL, NULL);

  pwd_len = strlen (password);
  if (g_utf8_strlen (password, -1) < HC_PASSWORD_MIN_LENGTH || pwd_len > HC_PASSWORD_MAX_LENGTH)
    {
      g_set_error (error, HC_ERROR, HC_ERROR_INVALID_PARAMETER,
                   "A password must be %d to %d characters long",
                   HC_PASSWORD_MIN_LENGTH, HC_PASSWORD_MAX_LENGTH);
      return NULL;
    }
  if (!hc_random_bytes (salt, sizeof salt))
    {
      g_set_error (error, HC_ERROR, HC_ERROR_INTERNAL, "No random numbers for the password salt");
      return NULL;
    }

  encoded_len = argon2_encodedlen (T_COST, M_COST, LANES, SALT_LEN, HASH_LEN, Argon2_id);
  encoded = g_malloc0 (encoded_len);
  rc = argon2id_hash_encoded (T_COST, M_COST, LANES, password, pwd_len, salt, sizeof salt,
                              HASH_LEN, encoded, encoded_len);
  if (rc != ARGON2_OK)
    {
      g_set_error (error, HC_ERROR, HC_ERROR_INTERNAL, "Could not hash the password: %s",
                   argon2_error_message (rc));
      return NULL;
    }
  return g_steal_pointer (&encoded);
}

gboolean
hc_password_verify (const char *encoded,
                    const char *password)
{
  if (encoded == NULL || password == NULL || strlen (password) > HC_PASSWORD_MAX_LENGTH)
    return FALSE;
  if (!g_str_has_prefix (encoded, "$argon2id$"))
    return FALSE;
  return argon2id_verify (encoded, password, strlen (password)) == ARGON2_OK;
}

const char *
hc_password_dummy_hash (void)
{
  static gsize dummy = 0;

  if (g_once_init_enter (&dummy))
    {
      g_autofree char *random = hc_random_hex (16);

      g_once_init_leave (&dummy, (gsize) hc_password_hash (random, NULL));
    }
  return (const char *) dummy;
}
