/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define HC_PASSWORD_MIN_LENGTH 10
#define HC_PASSWORD_MAX_LENGTH 1024

/* Argon2id in its encoded form ($argon2id$v=19$m=…,t=…,p=…$salt$hash). Both
 * calls take tens of milliseconds by design: run them off the main loop. */
char     *hc_password_hash   (const char  *password,
                              GError     **error);
gboolean  hc_password_verify (const char  *encoded,
                              const char  *password);

/* A valid hash of no password, to verify against when the account does not
 * exist, so that a missing account costs the same time as a wrong password. */
const char *hc_password_dummy_hash (void);

G_END_DECLS
