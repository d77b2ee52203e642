/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "hc-token.h"

#include <stdint.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

/* Access tokens arrive from anyone: in the first signaling message and in
 * Authorization headers. */
int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  static const char secret[] = "fuzzing-secret-fuzzing-secret-0123456789";
  const HcTokenKey key = {
    .account_sid = "AC0123456789abcdef0123456789abcdef",
    .api_key_sid = "SK0123456789abcdef0123456789abcdef",
    .secret = (const guint8 *) secret,
    .secret_len = sizeof secret - 1,
  };
  g_autofree char *token = g_strndup ((const char *) data, size);
  g_autoptr(HcTokenClaims) claims = hc_token_verify (&key, token, 1800000000, NULL);

  if (claims != NULL)
    hc_token_claims_allow_room (claims, "RM0123456789abcdef0123456789abcdef", "visit", NULL);
  return 0;
}
