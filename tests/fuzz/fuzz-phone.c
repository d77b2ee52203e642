/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "hc-phone.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

/* E.164 numbers as people type them (appointments' `mobile`) and as
 * gateways write them. Besides not crashing: whatever is accepted comes out
 * canonical, and normalizing that again changes nothing. */
int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autofree char *input = g_strndup ((const char *) data, size);
  g_autofree char *number = NULL;
  g_autoptr(GError) error = NULL;

  hc_phone_is_valid (input);
  number = hc_phone_normalize (input, &error);
  if (number == NULL)
    {
      /* A refusal always says why. */
      g_assert_nonnull (error);
      g_assert_nonnull (error->message);
      return 0;
    }
  g_assert_null (error);
  g_assert_true (hc_phone_is_valid (number));
  g_assert_cmpuint (strlen (number), <=, 1 + HC_PHONE_MAX_DIGITS);
  {
    guint cc = hc_phone_country_code_length (number);
    g_autofree char *again = hc_phone_normalize (number, NULL);

    g_assert_cmpuint (cc, >=, 1);
    g_assert_cmpuint (cc, <=, 3);
    g_assert_cmpstr (again, ==, number);
  }
  return 0;
}
