/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "hc-error.h"
#include "hc-phone.h"

static void
test_valid (void)
{
  static const struct { const char *input; const char *e164; } cases[] = {
    { "+14155550100", "+14155550100" },
    { "+1 (415) 555-0100", "+14155550100" },
    { "tel:+1.415.555.0100", "+14155550100" },
    { "  +44 20 7946 0958", "+442079460958" },
    { "+44 (0)20 7946 0958", "+442079460958" },
    { "0044 20 7946 0958", "+442079460958" },
    { "+49 30/1234567", "+49301234567" },
    { "+34 612 34 56 78", "+34612345678" },
    { "+886 912 345 678", "+886912345678" },
    { "+290 1234", "+2901234" },
    { "+7 912 345-67-89", "+79123456789" },
    { "+353 85 123 4567", "+353851234567" },
    { "+999 9999 9999", NULL },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *e164 = hc_phone_normalize (cases[i].input, &error);

      if (cases[i].e164 == NULL)
        {
          g_assert_null (e164);
          g_assert_error (error, HC_ERROR, HC_ERROR_INVALID_PHONE_NUMBER);
          continue;
        }
      g_assert_no_error (error);
      g_assert_cmpstr (e164, ==, cases[i].e164);
      g_assert_true (hc_phone_is_valid (e164));
    }
}

static void
test_invalid (void)
{
  static const char * const cases[] = {
    "", "   ", "4155550100", "(415) 555-0100", "+", "++14155550100", "+0 123 456 789",
    "+1 415 555 010", "+1 415 555 01000", "+1 015 555 0100", "+1 415 155 0100",
    "+44 20 7946 0958 ext 12", "+44 20 7946 0958#", "+44-20-7946-095a", "+１４１５５５５０１００",
    "+1234567890123456", "+123456", "+28 1234 5678", "+800 1234 5678", "+979 123 456 789",
    "+693 1234", "+44 20\n7946 0958", "+44 20 7946 0958; DROP TABLE", "00", "0",
    "+(0)20 7946 0958", "+422 123 456 789",
    "+44 12345678901234567890123456789012345678901234567890123456789012345",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *e164 = hc_phone_normalize (cases[i], &error);

      if (e164 != NULL)
        g_error ("“%s” was accepted as %s", cases[i], e164);
      g_assert_error (error, HC_ERROR, HC_ERROR_INVALID_PHONE_NUMBER);
      g_assert_true (error->message != NULL && *error->message != '\0');
    }
  g_assert_false (hc_phone_normalize (NULL, NULL) != NULL);
}

static void
test_is_valid_is_strict (void)
{
  g_assert_true (hc_phone_is_valid ("+442079460958"));
  g_assert_false (hc_phone_is_valid ("+44 20 7946 0958"));
  g_assert_false (hc_phone_is_valid ("442079460958"));
  g_assert_false (hc_phone_is_valid ("+44(0)2079460958"));
  g_assert_false (hc_phone_is_valid (NULL));
  g_assert_false (hc_phone_is_valid ("+14155550100 "));
}

static void
test_country_codes (void)
{
  static const struct { const char *number; guint length; } cases[] = {
    { "+14155550100", 1 }, { "+79123456789", 1 }, { "+201234567890", 2 },
    { "+27821234567", 2 }, { "+212612345678", 3 }, { "+33612345678", 2 },
    { "+353851234567", 3 }, { "+380501234567", 3 }, { "+39312345678", 2 },
    { "+420601123456", 3 }, { "+447911123456", 2 }, { "+5511912345678", 2 },
    { "+593991234567", 3 }, { "+61412345678", 2 }, { "+6712345678", 3 },
    { "+819012345678", 2 }, { "+85212345678", 3 }, { "+8613912345678", 2 },
    { "+905321234567", 2 }, { "+97150123456", 3 }, { "+989121234567", 2 },
    { "+996555123456", 3 },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    g_assert_cmpuint (hc_phone_country_code_length (cases[i].number), ==, cases[i].length);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/phone/valid", test_valid);
  g_test_add_func ("/phone/invalid", test_invalid);
  g_test_add_func ("/phone/is-valid-is-strict", test_is_valid_is_strict);
  g_test_add_func ("/phone/country-codes", test_country_codes);
  return g_test_run ();
}
