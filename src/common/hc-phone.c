/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "HcPhone"

#include "config.h"

#include "hc-error.h"
#include "hc-phone.h"

#include <string.h>

/* Country codes that ITU-T E.164 lists as spare or reserved: a number
 * starting with one of them reaches nobody. "x" matches any digit. */
static const char * const spare_codes[] = {
  "210", "214", "215", "217", "219", "259", "28x", "292", "293", "294", "295", "296",
  "384", "388", "422", "424", "425", "426", "427", "428", "429", "671", "684", "693",
  "694", "695", "696", "697", "698", "699", "801", "802", "803", "804", "805", "806",
  "807", "809", "83x", "854", "857", "858", "859", "871", "872", "873", "874", "884",
  "885", "887", "889", "89x", "969", "978", "990", "997", "999",
  /* International freephone, shared-cost, UPT and premium-rate numbers
   * cannot receive SMS. */
  "800", "808", "878", "979",
};

guint
hc_phone_country_code_length (const char *number)
{
  const char *d = number + 1;

  g_return_val_if_fail (number != NULL && number[0] == '+', 0);

  /* Zones 1 and 7 have one-digit codes; otherwise the two-digit codes are
   * fixed by the first digit's zone, and every other code has three. */
  if (d[0] == '1' || d[0] == '7')
    return 1;
  if (d[0] == '\0' || d[1] == '\0')
    return 0;
  switch (d[0])
    {
    case '2':
      return d[1] == '0' || d[1] == '7' ? 2 : 3;
    case '3':
      return strchr ("0123469", d[1]) != NULL ? 2 : 3;
    case '4':
      return d[1] == '2' ? 3 : 2;
    case '5':
      return d[1] == '0' || d[1] == '9' ? 3 : 2;
    case '6':
      return d[1] <= '6' ? 2 : 3;
    case '8':
      return strchr ("1246", d[1]) != NULL ? 2 : 3;
    case '9':
      return strchr ("0123458", d[1]) != NULL ? 2 : 3;
    default:
      return 3;
    }
}

static gboolean
code_is_spare (const char *digits)
{
  for (gsize i = 0; i < G_N_ELEMENTS (spare_codes); i++)
    {
      const char *code = spare_codes[i];
      gsize n = strlen (code);
      gsize j;

      for (j = 0; j < n; j++)
        if (digits[j] == '\0' || (code[j] != 'x' && code[j] != digits[j]))
          break;
      if (j == n)
        return TRUE;
    }
  return FALSE;
}

/* The checks shared by both entry points; @number is "+" and digits. */
static gboolean
check_canonical (const char  *number,
                 GError     **error)
{
  gsize digits = strlen (number + 1);
  guint cc_len;

  if (digits < HC_PHONE_MIN_DIGITS || digits > HC_PHONE_MAX_DIGITS)
    {
      g_set_error (error, HC_ERROR, HC_ERROR_INVALID_PHONE_NUMBER,
                   "A phone number has %d to %d digits including the country code, not %"
                   G_GSIZE_FORMAT, HC_PHONE_MIN_DIGITS, HC_PHONE_MAX_DIGITS, digits);
      return FALSE;
    }
  if (number[1] == '0')
    {
      g_set_error (error, HC_ERROR, HC_ERROR_INVALID_PHONE_NUMBER,
                   "A country code never starts with 0");
      return FALSE;
    }
  cc_len = hc_phone_country_code_length (number);
  if (code_is_spare (number + 1))
    {
      g_set_error (error, HC_ERROR, HC_ERROR_INVALID_PHONE_NUMBER,
                   "+%.*s is not a country code that reaches mobile phones", (int) cc_len,
                   number + 1);
      return FALSE;
    }
  if (number[1] == '1')
    {
      /* The North American Numbering Plan: a three-digit area code and a
       * three-digit exchange, neither starting with 0 or 1, then four digits. */
      if (digits != 11 || number[2] < '2' || number[5] < '2')
        {
          g_set_error (error, HC_ERROR, HC_ERROR_INVALID_PHONE_NUMBER,
                       "A +1 number has a 3-digit area code and a 7-digit number, "
                       "neither starting with 0 or 1");
          return FALSE;
        }
    }
  if (digits - cc_len < 4)
    {
      g_set_error (error, HC_ERROR, HC_ERROR_INVALID_PHONE_NUMBER,
                   "The number after the country code is too short");
      return FALSE;
    }
  return TRUE;
}

gboolean
hc_phone_is_valid (const char *number)
{
  if (number == NULL || number[0] != '+')
    return FALSE;
  for (const char *p = number + 1; *p; p++)
    if (!g_ascii_isdigit (*p))
      return FALSE;
  return check_canonical (number, NULL);
}

char *
hc_phone_normalize (const char  *input,
                    GError     **error)
{
  g_autoptr(GString) out = NULL;
  const char *p;
  gboolean plus = FALSE;

  if (input == NULL || *input == '\0')
    {
      g_set_error (error, HC_ERROR, HC_ERROR_INVALID_PHONE_NUMBER, "The phone number is empty");
      return NULL;
    }
  if (strlen (input) > 64)
    {
      g_set_error (error, HC_ERROR, HC_ERROR_INVALID_PHONE_NUMBER,
                   "The phone number is too long");
      return NULL;
    }

  p = input;
  while (*p == ' ')
    p++;
  if (g_ascii_strncasecmp (p, "tel:", 4) == 0)
    p += 4;
  if (*p == '+')
    {
      plus = TRUE;
      p++;
    }
  else if (p[0] == '0' && p[1] == '0')
    {
      /* The international prefix most of the world dials instead of "+". */
      plus = TRUE;
      p += 2;
    }
  if (!plus)
    {
      g_set_error (error, HC_ERROR, HC_ERROR_INVALID_PHONE_NUMBER,
                   "Write the number in international form, starting with + and the "
                   "country code (E.164)");
      return NULL;
    }

  out = g_string_new ("+");
  for (; *p; p++)
    {
      if (g_ascii_isdigit (*p))
        g_string_append_c (out, *p);
      else if (strncmp (p, "(0)", 3) == 0 && out->len > 1)
        /* "+44 (0)20 …": the trunk prefix that is dialled only nationally. */
        p += 2;
      else if (strchr (" -.()/", *p) == NULL)
        {
          g_set_error (error, HC_ERROR, HC_ERROR_INVALID_PHONE_NUMBER,
                       "A phone number holds only digits, spaces, dashes, dots and brackets "
                       "after the +");
          return NULL;
        }
    }

  if (!check_canonical (out->str, error))
    return NULL;
  return g_string_free (g_steal_pointer (&out), FALSE);
}
