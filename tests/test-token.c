/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "hc-error.h"
#include "hc-sid.h"
#include "hc-token.h"

#include <string.h>

#include "token-helpers.h"

#define ACCOUNT "AC0123456789abcdef0123456789abcdef"
#define OTHER_ACCOUNT "ACffffffffffffffffffffffffffffffff"
#define KEY_SID "SK0123456789abcdef0123456789abcdef"
#define OTHER_KEY_SID "SKffffffffffffffffffffffffffffffff"
#define SECRET "0123456789abcdef0123456789abcdef-test-secret"
#define ROOM_SID "RM00000000000000000000000000000001"
#define NOW G_GINT64_CONSTANT (1800000000)

#define HEADER "{\"alg\":\"HS256\",\"typ\":\"JWT\",\"cty\":\"twilio-fpa;v=1\"}"

static const HcTokenKey key = {
  .account_sid = ACCOUNT,
  .api_key_sid = KEY_SID,
  .secret = (const guint8 *) SECRET,
  .secret_len = sizeof SECRET - 1,
};

/* A payload like the one Twilio's helper libraries write, with the times
 * and extra members filled in by the caller. */
static char *
payload (const char *iss,
         const char *sub,
         const char *times,
         const char *grants,
         const char *extra)
{
  return g_strdup_printf ("{\"jti\":\"" KEY_SID "-1\",\"iss\":\"%s\",\"sub\":\"%s\",%s,"
                          "\"grants\":%s%s}", iss, sub, times, grants, extra);
}

#define GOOD_TIMES "\"iat\":1799999990,\"exp\":1800003590"
#define GOOD_GRANTS "{\"identity\":\"alice\",\"video\":{\"room\":\"visit-1\"}}"

typedef struct
{
  const char  *name;
  char       *(*make) (void);
  HcErrorCode  expected;
} HostileCase;

static char *
signed_with (const char *header,
             const char *body)
{
  return test_make_jwt (header, body, SECRET);
}

static char *
good_payload (void)
{
  return payload (KEY_SID, ACCOUNT, GOOD_TIMES, GOOD_GRANTS, "");
}

#define CASE(fn, body) static char *fn (void) { body }

CASE (make_alg_none, {
  g_autofree char *p = good_payload ();
  const char *header = "{\"alg\":\"none\",\"typ\":\"JWT\",\"cty\":\"twilio-fpa;v=1\"}";
  g_autofree char *h = test_b64url (header, strlen (header));
  g_autofree char *b = test_b64url (p, strlen (p));
  return g_strconcat (h, ".", b, ".", NULL);
})
CASE (make_alg_hs512, {
  g_autofree char *p = good_payload ();
  return signed_with ("{\"alg\":\"HS512\",\"typ\":\"JWT\",\"cty\":\"twilio-fpa;v=1\"}", p);
})
CASE (make_alg_rs256, {
  g_autofree char *p = good_payload ();
  return signed_with ("{\"alg\":\"RS256\",\"typ\":\"JWT\",\"cty\":\"twilio-fpa;v=1\"}", p);
})
CASE (make_alg_lowercase, {
  g_autofree char *p = good_payload ();
  return signed_with ("{\"alg\":\"hs256\",\"typ\":\"JWT\",\"cty\":\"twilio-fpa;v=1\"}", p);
})
CASE (make_wrong_key, {
  g_autofree char *p = good_payload ();
  return test_make_jwt (HEADER, p, "another-secret-another-secret-another-secret");
})
CASE (make_empty_signature, {
  g_autofree char *p = good_payload ();
  g_autofree char *t = signed_with (HEADER, p);
  *(strrchr (t, '.') + 1) = '\0';
  return g_strdup (t);
})
CASE (make_truncated_signature, {
  g_autofree char *p = good_payload ();
  g_autofree char *t = signed_with (HEADER, p);
  t[strlen (t) - 4] = '\0';
  return g_strdup (t);
})
CASE (make_flipped_payload, {
  /* A valid signature over a payload that was then changed. */
  g_autofree char *p = good_payload ();
  g_autofree char *t = signed_with (HEADER, p);
  g_autofree char *evil = payload (KEY_SID, ACCOUNT, GOOD_TIMES,
                                   "{\"identity\":\"mallory\",\"video\":{}}", "");
  g_autofree char *evil_b64 = test_b64url (evil, strlen (evil));
  char *dot1 = strchr (t, '.');
  char *dot2 = strchr (dot1 + 1, '.');
  *dot1 = '\0';
  return g_strconcat (t, ".", evil_b64, dot2, NULL);
})
CASE (make_expired, {
  g_autofree char *p = payload (KEY_SID, ACCOUNT, "\"iat\":1799990000,\"exp\":1799999999",
                                GOOD_GRANTS, "");
  return signed_with (HEADER, p);
})
CASE (make_not_yet_valid, {
  g_autofree char *p = payload (KEY_SID, ACCOUNT,
                                "\"iat\":1799999990,\"nbf\":1800001000,\"exp\":1800003590",
                                GOOD_GRANTS, "");
  return signed_with (HEADER, p);
})
CASE (make_issued_in_future, {
  g_autofree char *p = payload (KEY_SID, ACCOUNT, "\"iat\":1800001000,\"exp\":1800003590",
                                GOOD_GRANTS, "");
  return signed_with (HEADER, p);
})
CASE (make_too_long_lived, {
  g_autofree char *p = payload (KEY_SID, ACCOUNT, "\"iat\":1799999990,\"exp\":1800999999",
                                GOOD_GRANTS, "");
  return signed_with (HEADER, p);
})
CASE (make_wrong_issuer, {
  g_autofree char *p = payload (OTHER_KEY_SID, ACCOUNT, GOOD_TIMES, GOOD_GRANTS, "");
  return signed_with (HEADER, p);
})
CASE (make_wrong_subject, {
  g_autofree char *p = payload (KEY_SID, OTHER_ACCOUNT, GOOD_TIMES, GOOD_GRANTS, "");
  return signed_with (HEADER, p);
})
CASE (make_missing_cty, {
  g_autofree char *p = good_payload ();
  return signed_with ("{\"alg\":\"HS256\",\"typ\":\"JWT\"}", p);
})
CASE (make_crit_header, {
  g_autofree char *p = good_payload ();
  return signed_with ("{\"alg\":\"HS256\",\"typ\":\"JWT\",\"cty\":\"twilio-fpa;v=1\","
                      "\"crit\":[\"exp\"]}", p);
})
CASE (make_missing_jti, {
  return signed_with (HEADER, "{\"iss\":\"" KEY_SID "\",\"sub\":\"" ACCOUNT "\","
                              GOOD_TIMES ",\"grants\":" GOOD_GRANTS "}");
})
CASE (make_missing_exp, {
  return signed_with (HEADER, "{\"jti\":\"x\",\"iss\":\"" KEY_SID "\",\"sub\":\"" ACCOUNT "\","
                              "\"iat\":1799999990,\"grants\":" GOOD_GRANTS "}");
})
CASE (make_exp_string, {
  g_autofree char *p = payload (KEY_SID, ACCOUNT, "\"iat\":1799999990,\"exp\":\"1800003590\"",
                                GOOD_GRANTS, "");
  return signed_with (HEADER, p);
})
CASE (make_missing_identity, {
  g_autofree char *p = payload (KEY_SID, ACCOUNT, GOOD_TIMES,
                                "{\"video\":{\"room\":\"visit-1\"}}", "");
  return signed_with (HEADER, p);
})
CASE (make_control_identity, {
  g_autofree char *p = payload (KEY_SID, ACCOUNT, GOOD_TIMES,
                                "{\"identity\":\"al\\u0007ice\",\"video\":{}}", "");
  return signed_with (HEADER, p);
})
CASE (make_no_video_grant, {
  g_autofree char *p = payload (KEY_SID, ACCOUNT, GOOD_TIMES, "{\"identity\":\"alice\"}", "");
  return signed_with (HEADER, p);
})
CASE (make_guest_without_room, {
  g_autofree char *p = payload (KEY_SID, ACCOUNT, GOOD_TIMES,
                                "{\"identity\":\"interpreter-es\",\"video\":{}}",
                                ",\"hc\":{\"role\":\"guest\"}");
  return signed_with (HEADER, p);
})
CASE (make_unknown_role, {
  g_autofree char *p = payload (KEY_SID, ACCOUNT, GOOD_TIMES, GOOD_GRANTS,
                                ",\"hc\":{\"role\":\"admin\"}");
  return signed_with (HEADER, p);
})
CASE (make_two_segments, {
  return g_strdup ("eyJhbGciOiJIUzI1NiJ9.eyJleHAiOjF9");
})
CASE (make_four_segments, {
  g_autofree char *p = good_payload ();
  g_autofree char *t = signed_with (HEADER, p);
  return g_strconcat (t, ".AAAA", NULL);
})
CASE (make_payload_not_json, {
  return signed_with (HEADER, "not json at all");
})
CASE (make_payload_array, {
  return signed_with (HEADER, "[1,2,3]");
})
CASE (make_padded_base64, {
  g_autofree char *p = good_payload ();
  g_autofree char *t = signed_with (HEADER, p);
  char *dot = strchr (t, '.');
  *dot = '\0';
  return g_strconcat (t, "==.", dot + 1, NULL);
})
CASE (make_oversized, {
  GString *grants = g_string_new ("{\"identity\":\"alice\",\"video\":{},\"pad\":\"");
  g_autofree char *p = NULL;
  for (int i = 0; i < 9000; i++)
    g_string_append_c (grants, 'x');
  g_string_append (grants, "\"}");
  p = payload (KEY_SID, ACCOUNT, GOOD_TIMES, grants->str, "");
  g_string_free (grants, TRUE);
  return signed_with (HEADER, p);
})
CASE (make_escaped_nul, {
  /* json-glib would read the identity as "alice"; libjwt refused it, and so do we. */
  g_autofree char *p = payload (KEY_SID, ACCOUNT, GOOD_TIMES,
                                "{\"identity\":\"alice\\u0000x\",\"video\":{}}", "");
  return signed_with (HEADER, p);
})
CASE (make_lone_surrogate, {
  g_autofree char *p = payload (KEY_SID, ACCOUNT, GOOD_TIMES,
                                "{\"identity\":\"alice\\ud800\",\"video\":{}}", "");
  return signed_with (HEADER, p);
})
CASE (make_empty, {
  return g_strdup ("");
})

static const HostileCase hostile_cases[] = {
  { "alg-none", make_alg_none, HC_ERROR_TOKEN_ALG_NOT_ALLOWED },
  { "alg-hs512", make_alg_hs512, HC_ERROR_TOKEN_ALG_NOT_ALLOWED },
  { "alg-rs256", make_alg_rs256, HC_ERROR_TOKEN_ALG_NOT_ALLOWED },
  { "alg-lowercase", make_alg_lowercase, HC_ERROR_TOKEN_ALG_NOT_ALLOWED },
  { "wrong-key", make_wrong_key, HC_ERROR_TOKEN_BAD_SIGNATURE },
  { "empty-signature", make_empty_signature, HC_ERROR_TOKEN_BAD_SIGNATURE },
  { "truncated-signature", make_truncated_signature, HC_ERROR_TOKEN_BAD_SIGNATURE },
  { "tampered-payload", make_flipped_payload, HC_ERROR_TOKEN_BAD_SIGNATURE },
  { "expired", make_expired, HC_ERROR_TOKEN_EXPIRED },
  { "not-yet-valid", make_not_yet_valid, HC_ERROR_TOKEN_NOT_YET_VALID },
  { "issued-in-future", make_issued_in_future, HC_ERROR_TOKEN_ISSUED_IN_FUTURE },
  { "lifetime-too-long", make_too_long_lived, HC_ERROR_TOKEN_LIFETIME_TOO_LONG },
  { "wrong-issuer", make_wrong_issuer, HC_ERROR_TOKEN_WRONG_ISSUER },
  { "wrong-subject", make_wrong_subject, HC_ERROR_TOKEN_WRONG_SUBJECT },
  { "missing-cty", make_missing_cty, HC_ERROR_TOKEN_BAD_HEADER },
  { "crit-header", make_crit_header, HC_ERROR_TOKEN_BAD_HEADER },
  { "missing-jti", make_missing_jti, HC_ERROR_TOKEN_MISSING_CLAIM },
  { "missing-exp", make_missing_exp, HC_ERROR_TOKEN_MISSING_CLAIM },
  { "exp-string", make_exp_string, HC_ERROR_TOKEN_BAD_CLAIM_TYPE },
  { "missing-identity", make_missing_identity, HC_ERROR_TOKEN_BAD_IDENTITY },
  { "control-identity", make_control_identity, HC_ERROR_TOKEN_BAD_IDENTITY },
  { "no-video-grant", make_no_video_grant, HC_ERROR_TOKEN_BAD_GRANTS },
  { "guest-without-room", make_guest_without_room, HC_ERROR_TOKEN_BAD_GRANTS },
  { "unknown-role", make_unknown_role, HC_ERROR_TOKEN_BAD_CLAIM_TYPE },
  { "two-segments", make_two_segments, HC_ERROR_TOKEN_MALFORMED },
  { "four-segments", make_four_segments, HC_ERROR_TOKEN_MALFORMED },
  { "payload-not-json", make_payload_not_json, HC_ERROR_TOKEN_MALFORMED },
  { "payload-array", make_payload_array, HC_ERROR_TOKEN_MALFORMED },
  { "padded-base64", make_padded_base64, HC_ERROR_TOKEN_MALFORMED },
  { "oversized", make_oversized, HC_ERROR_TOKEN_TOO_LARGE },
  { "escaped-nul", make_escaped_nul, HC_ERROR_TOKEN_MALFORMED },
  { "lone-surrogate", make_lone_surrogate, HC_ERROR_TOKEN_MALFORMED },
  { "empty", make_empty, HC_ERROR_TOKEN_MISSING },
};

static void
test_hostile (gconstpointer data)
{
  const HostileCase *c = data;
  g_autofree char *token = c->make ();
  g_autoptr(GError) error = NULL;
  g_autoptr(HcTokenClaims) claims = hc_token_verify (&key, token, NOW, &error);

  g_assert_null (claims);
  g_assert_error (error, HC_ERROR, (gint) c->expected);
  g_assert_true (hc_error_code_is_known (error->code));
  g_assert_cmpstr (hc_error_code_slug (c->expected), !=, "internal-error");
}

static void
test_hostile_codes_distinct (void)
{
  /* Fifteen defects of different kinds must be told apart by their codes. */
  g_autoptr(GHashTable) codes = g_hash_table_new (NULL, NULL);

  for (gsize i = 0; i < G_N_ELEMENTS (hostile_cases); i++)
    g_hash_table_add (codes, GINT_TO_POINTER (hostile_cases[i].expected));
  g_assert_cmpuint (g_hash_table_size (codes), >=, 15);
}

static void
test_twilio_style_token (void)
{
  /* What Twilio's helper libraries write: no hc claim, no nbf. */
  g_autofree char *p = good_payload ();
  g_autofree char *token = signed_with (HEADER, p);
  g_autoptr(GError) error = NULL;
  g_autoptr(HcTokenClaims) claims = hc_token_verify (&key, token, NOW, &error);

  g_assert_no_error (error);
  g_assert_nonnull (claims);
  g_assert_cmpstr (claims->identity, ==, "alice");
  g_assert_cmpstr (claims->room, ==, "visit-1");
  g_assert_cmpint (claims->role, ==, HC_ROLE_PARTICIPANT);
  g_assert_true (claims->can_create_rooms);
  g_assert_true (hc_token_claims_allow_room (claims, ROOM_SID, "visit-1", NULL));
  g_assert_false (hc_token_claims_allow_room (claims, ROOM_SID, "visit-2", &error));
  g_assert_error (error, HC_ERROR, HC_ERROR_TOKEN_ROOM_MISMATCH);
}

static void
test_escapes_accepted (void)
{
  /* Only an escaped NUL and unpaired surrogates are refused: an escaped backslash
   * followed by "u0000" is text, and a surrogate pair is one character. */
  g_autofree char *p = payload (KEY_SID, ACCOUNT, GOOD_TIMES,
                                "{\"identity\":\"al\\\\u0000ice \\u00e9\\ud83d\\ude00\","
                                "\"video\":{}}", "");
  g_autofree char *token = signed_with (HEADER, p);
  g_autoptr(GError) error = NULL;
  g_autoptr(HcTokenClaims) claims = hc_token_verify (&key, token, NOW, &error);

  g_assert_no_error (error);
  g_assert_cmpstr (claims->identity, ==, "al\\u0000ice \u00e9\U0001F600");
}

static void
test_mint_roundtrip (void)
{
  g_autoptr(HcTokenClaims) claims = hc_token_claims_new ();
  g_autoptr(HcTokenClaims) verified = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *token = NULL;

  claims->identity = g_strdup ("interpreter-es");
  claims->room = g_strdup (ROOM_SID);
  claims->role = HC_ROLE_GUEST;
  claims->can_create_rooms = TRUE; /* must be overridden for guests */
  claims->iat = NOW;
  claims->exp = NOW + 3600;
  token = hc_token_mint (&key, claims, &error);
  g_assert_no_error (error);
  g_assert_nonnull (claims->jti);
  g_assert_true (g_str_has_prefix (claims->jti, KEY_SID "-"));

  verified = hc_token_verify (&key, token, NOW + 10, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (verified->jti, ==, claims->jti);
  g_assert_cmpstr (verified->identity, ==, "interpreter-es");
  g_assert_cmpint (verified->role, ==, HC_ROLE_GUEST);
  g_assert_false (verified->can_create_rooms);
  g_assert_cmpint (verified->exp, ==, NOW + 3600);

  /* A guest is scoped to the room SID alone. */
  g_assert_true (hc_token_claims_allow_room (verified, ROOM_SID, "visit-1", NULL));
  g_assert_false (hc_token_claims_allow_room (verified, "RM00000000000000000000000000000002",
                                              ROOM_SID, NULL));

  /* One second after expiry it is refused. */
  g_clear_pointer (&verified, hc_token_claims_free);
  verified = hc_token_verify (&key, token, NOW + 3600, &error);
  g_assert_null (verified);
  g_assert_error (error, HC_ERROR, HC_ERROR_TOKEN_EXPIRED);
}

static void
test_mint_refuses_bad_claims (void)
{
  g_autoptr(HcTokenClaims) claims = hc_token_claims_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *token = NULL;
  HcTokenKey weak = key;

  claims->identity = g_strdup ("bob\n");
  claims->iat = NOW;
  claims->exp = NOW + 60;
  token = hc_token_mint (&key, claims, &error);
  g_assert_null (token);
  g_assert_error (error, HC_ERROR, HC_ERROR_TOKEN_BAD_IDENTITY);
  g_clear_error (&error);

  g_free (claims->identity);
  claims->identity = g_strdup ("bob");
  claims->exp = NOW + 2 * 86400;
  token = hc_token_mint (&key, claims, &error);
  g_assert_null (token);
  g_assert_error (error, HC_ERROR, HC_ERROR_TOKEN_LIFETIME_TOO_LONG);
  g_clear_error (&error);

  /* A secret shorter than 32 bytes is no key at all. */
  weak.secret_len = 8;
  claims->exp = NOW + 60;
  token = hc_token_mint (&weak, claims, &error);
  g_assert_null (token);
  g_assert_error (error, HC_ERROR, HC_ERROR_CONFIG_INVALID);
}

static void
test_roles (void)
{
  HcRole role;

  for (HcRole r = HC_ROLE_PARTICIPANT; r <= HC_ROLE_GUEST; r++)
    {
      g_assert_true (hc_role_from_string (hc_role_to_string (r), &role));
      g_assert_cmpint (role, ==, r);
    }
  g_assert_false (hc_role_from_string ("admin", &role));
  g_assert_false (hc_role_from_string (NULL, &role));
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  for (gsize i = 0; i < G_N_ELEMENTS (hostile_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/token/hostile/%s", hostile_cases[i].name);

      g_test_add_data_func (path, &hostile_cases[i], test_hostile);
    }
  g_test_add_func ("/token/hostile-codes-distinct", test_hostile_codes_distinct);
  g_test_add_func ("/token/twilio-style", test_twilio_style_token);
  g_test_add_func ("/token/escapes-accepted", test_escapes_accepted);
  g_test_add_func ("/token/mint-roundtrip", test_mint_roundtrip);
  g_test_add_func ("/token/mint-refuses-bad-claims", test_mint_refuses_bad_claims);
  g_test_add_func ("/token/roles", test_roles);
  return g_test_run ();
}
