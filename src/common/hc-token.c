/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "HcToken"

#include "config.h"

#include "hc-error.h"
#include "hc-sid.h"
#include "hc-token.h"

#include <json-glib/json-glib.h>
#include <jwt.h>
#include <string.h>

#define TWILIO_CTY "twilio-fpa;v=1"

static const char * const role_names[] = { "participant", "provider", "patient", "guest" };

const char *
hc_role_to_string (HcRole role)
{
  g_return_val_if_fail ((guint) role < G_N_ELEMENTS (role_names), "participant");
  return role_names[role];
}

gboolean
hc_role_from_string (const char *str,
                     HcRole     *role)
{
  for (guint i = 0; str != NULL && i < G_N_ELEMENTS (role_names); i++)
    if (g_strcmp0 (str, role_names[i]) == 0)
      {
        *role = (HcRole) i;
        return TRUE;
      }
  return FALSE;
}

HcTokenClaims *
hc_token_claims_new (void)
{
  HcTokenClaims *claims = g_new0 (HcTokenClaims, 1);

  claims->role = HC_ROLE_PARTICIPANT;
  claims->can_create_rooms = TRUE;
  return claims;
}

void
hc_token_claims_free (HcTokenClaims *claims)
{
  if (claims == NULL)
    return;
  g_free (claims->jti);
  g_free (claims->iss);
  g_free (claims->sub);
  g_free (claims->identity);
  g_free (claims->room);
  g_free (claims);
}

static gboolean
key_is_usable (const HcTokenKey *key)
{
  return key != NULL && key->account_sid != NULL && key->api_key_sid != NULL &&
         key->secret != NULL && key->secret_len >= 32;
}

char *
hc_token_mint (const HcTokenKey  *key,
               HcTokenClaims     *claims,
               GError           **error)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *payload = NULL;
  jwt_t *jwt = NULL;
  char *encoded = NULL;

  g_return_val_if_fail (claims != NULL, NULL);

  if (!key_is_usable (key))
    {
      g_set_error (error, HC_ERROR, HC_ERROR_CONFIG_INVALID,
                   "The token signing key is not configured");
      return NULL;
    }
  if (!hc_name_is_valid (claims->identity, HC_IDENTITY_MAX_LENGTH))
    {
      g_set_error (error, HC_ERROR, HC_ERROR_TOKEN_BAD_IDENTITY,
                   "An identity must be 1 to %d characters without control characters",
                   HC_IDENTITY_MAX_LENGTH);
      return NULL;
    }
  if (claims->exp <= claims->iat || claims->exp - claims->iat > HC_TOKEN_MAX_LIFETIME)
    {
      g_set_error (error, HC_ERROR, HC_ERROR_TOKEN_LIFETIME_TOO_LONG,
                   "A token must live between 1 second and 24 hours");
      return NULL;
    }

  if (claims->jti == NULL)
    {
      g_autofree char *nonce = hc_random_hex (16);

      claims->jti = g_strdup_printf ("%s-%s", key->api_key_sid, nonce);
    }
  g_free (claims->iss);
  claims->iss = g_strdup (key->api_key_sid);
  g_free (claims->sub);
  claims->sub = g_strdup (key->account_sid);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "jti");
  json_builder_add_string_value (builder, claims->jti);
  json_builder_set_member_name (builder, "iss");
  json_builder_add_string_value (builder, claims->iss);
  json_builder_set_member_name (builder, "sub");
  json_builder_add_string_value (builder, claims->sub);
  json_builder_set_member_name (builder, "iat");
  json_builder_add_int_value (builder, claims->iat);
  if (claims->nbf != 0)
    {
      json_builder_set_member_name (builder, "nbf");
      json_builder_add_int_value (builder, claims->nbf);
    }
  json_builder_set_member_name (builder, "exp");
  json_builder_add_int_value (builder, claims->exp);

  json_builder_set_member_name (builder, "grants");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "identity");
  json_builder_add_string_value (builder, claims->identity);
  json_builder_set_member_name (builder, "video");
  json_builder_begin_object (builder);
  if (claims->room != NULL)
    {
      json_builder_set_member_name (builder, "room");
      json_builder_add_string_value (builder, claims->room);
    }
  json_builder_end_object (builder);
  json_builder_end_object (builder);

  json_builder_set_member_name (builder, "hc");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "role");
  json_builder_add_string_value (builder, hc_role_to_string (claims->role));
  json_builder_set_member_name (builder, "create_rooms");
  json_builder_add_boolean_value (builder, claims->can_create_rooms);
  json_builder_end_object (builder);
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  payload = json_generator_to_data (generator, NULL);

  if (jwt_new (&jwt) != 0 ||
      jwt_add_header (jwt, "cty", TWILIO_CTY) != 0 ||
      jwt_add_grants_json (jwt, payload) != 0 ||
      jwt_set_alg (jwt, JWT_ALG_HS256, key->secret, (int) key->secret_len) != 0 ||
      (encoded = jwt_encode_str (jwt)) == NULL)
    {
      if (jwt != NULL)
        jwt_free (jwt);
      g_set_error (error, HC_ERROR, HC_ERROR_INTERNAL, "Could not sign the access token");
      return NULL;
    }
  jwt_free (jwt);

  {
    /* libjwt allocates with its own allocator; hand back GLib memory. */
    char *result = g_strdup (encoded);

    free (encoded);
    return result;
  }
}

/* Decodes one base64url segment, strictly: only the URL alphabet, no padding. */
static GBytes *
decode_segment (const char *segment,
                gsize       len)
{
  g_autoptr(GString) std = g_string_sized_new (len + 4);
  g_autofree guchar *raw = NULL;
  gsize raw_len = 0;

  if (len == 0)
    return NULL;
  for (gsize i = 0; i < len; i++)
    {
      char c = segment[i];

      if (g_ascii_isalnum (c))
        g_string_append_c (std, c);
      else if (c == '-')
        g_string_append_c (std, '+');
      else if (c == '_')
        g_string_append_c (std, '/');
      else
        return NULL;
    }
  if (len % 4 == 1)
    return NULL;
  while (std->len % 4 != 0)
    g_string_append_c (std, '=');

  raw = g_base64_decode (std->str, &raw_len);
  if (raw == NULL || raw_len == 0)
    return NULL;
  return g_bytes_new_take (g_steal_pointer (&raw), raw_len);
}

static gboolean
hex4 (const char *p,
      gsize       left,
      guint      *value)
{
  *value = 0;
  if (left < 4)
    return FALSE;
  for (gsize i = 0; i < 4; i++)
    {
      if (!g_ascii_isxdigit (p[i]))
        return FALSE;
      *value = *value * 16 + (guint) g_ascii_xdigit_value (p[i]);
    }
  return TRUE;
}

/* json-glib reads "\u0000" into a string that C code sees cut short ("dr-house\u0000x"
 * would name dr-house), and takes unpaired surrogates. libjwt's parser refused both when
 * it checked the signature; the signature is now checked here, so they are refused here.
 * Every backslash in valid JSON starts an escape inside a string, so no tokenizer is
 * needed: an escaped backslash is skipped with the character after it. */
static gboolean
has_bad_escape (const char *data,
                gsize       len)
{
  for (gsize i = 0; i < len; i++)
    {
      guint code;
      guint low;

      if (data[i] != '\\')
        continue;
      if (i + 1 >= len)
        return TRUE;
      if (data[i + 1] != 'u')
        {
          i++;
          continue;
        }
      if (!hex4 (data + i + 2, len - i - 2, &code))
        return TRUE;
      i += 5;
      if (code == 0 || (code >= 0xDC00 && code <= 0xDFFF))
        return TRUE;
      if (code >= 0xD800 && code <= 0xDBFF)
        {
          if (i + 2 >= len || data[i + 1] != '\\' || data[i + 2] != 'u' ||
              !hex4 (data + i + 3, len - i - 3, &low) || low < 0xDC00 || low > 0xDFFF)
            return TRUE;
          i += 6;
        }
    }
  return FALSE;
}

static JsonObject *
parse_object (JsonParser *parser,
              GBytes     *bytes)
{
  gsize len = 0;
  const char *data = g_bytes_get_data (bytes, &len);
  JsonNode *root;

  if (!g_utf8_validate (data, (gssize) len, NULL) || memchr (data, '\0', len) != NULL ||
      has_bad_escape (data, len))
    return NULL;
  if (!json_parser_load_from_data (parser, data, (gssize) len, NULL))
    return NULL;
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return NULL;
  return json_object_ref (json_node_get_object (root));
}

static gboolean
member_string (JsonObject  *object,
               const char  *name,
               const char **out,
               gboolean    *wrong_type)
{
  JsonNode *node = json_object_get_member (object, name);

  *out = NULL;
  if (node == NULL)
    return FALSE;
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    {
      *wrong_type = TRUE;
      return FALSE;
    }
  *out = json_node_get_string (node);
  return TRUE;
}

static gboolean
member_time (JsonObject *object,
             const char *name,
             gint64     *out,
             gboolean   *wrong_type)
{
  JsonNode *node = json_object_get_member (object, name);

  *out = 0;
  if (node == NULL)
    return FALSE;
  /* NumericDate: an integer (json-glib keeps integers as gint64) in a sane range. */
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64 ||
      json_node_get_int (node) <= 0 || json_node_get_int (node) > G_GINT64_CONSTANT (253402300799))
    {
      *wrong_type = TRUE;
      return FALSE;
    }
  *out = json_node_get_int (node);
  return TRUE;
}

static gboolean
check_header (JsonObject  *header,
              GError     **error)
{
  const char *alg = NULL;
  const char *typ = NULL;
  const char *cty = NULL;
  gboolean wrong_type = FALSE;

  if (!member_string (header, "alg", &alg, &wrong_type))
    {
      g_set_error (error, HC_ERROR, HC_ERROR_TOKEN_BAD_HEADER,
                   "The token header has no algorithm");
      return FALSE;
    }
  /* Compare exactly: "none", "HS512", "hs256" and the asymmetric algorithms
   * are all refused, whatever the key could do with them. */
  if (strcmp (alg, "HS256") != 0)
    {
      g_set_error (error, HC_ERROR, HC_ERROR_TOKEN_ALG_NOT_ALLOWED,
                   "Only HS256 tokens are accepted, not “%.16s”", alg);
      return FALSE;
    }
  if (member_string (header, "typ", &typ, &wrong_type) && strcmp (typ, "JWT") != 0)
    wrong_type = TRUE;
  if (!member_string (header, "cty", &cty, &wrong_type) || strcmp (cty, TWILIO_CTY) != 0)
    wrong_type = TRUE;
  if (json_object_has_member (header, "crit") || json_object_has_member (header, "jku") ||
      json_object_has_member (header, "jwk") || json_object_has_member (header, "x5u"))
    wrong_type = TRUE;
  if (wrong_type)
    {
      g_set_error (error, HC_ERROR, HC_ERROR_TOKEN_BAD_HEADER,
                   "The token header must be typ JWT with cty " TWILIO_CTY);
      return FALSE;
    }
  return TRUE;
}

/* The HS256 signature of the token's first two segments, as they were sent,
 * checked with the key directly; compared in constant time, so that how long
 * a refusal takes tells nothing of how much of a forged signature was right. */
static gboolean
check_signature (const HcTokenKey  *key,
                 const char        *signing_input,
                 gsize              signing_input_len,
                 GBytes            *signature,
                 GError           **error)
{
  g_autoptr(GHmac) hmac = g_hmac_new (G_CHECKSUM_SHA256, key->secret, key->secret_len);
  guint8 digest[32];
  gsize digest_len = sizeof digest;
  gsize given_len = 0;
  const guint8 *given = g_bytes_get_data (signature, &given_len);
  guint8 diff = 0;

  g_hmac_update (hmac, (const guchar *) signing_input, (gssize) signing_input_len);
  g_hmac_get_digest (hmac, digest, &digest_len);
  if (digest_len != sizeof digest || given_len != sizeof digest)
    diff = 1;
  else
    for (gsize i = 0; i < sizeof digest; i++)
      diff |= digest[i] ^ given[i];
  if (diff != 0)
    {
      g_set_error (error, HC_ERROR, HC_ERROR_TOKEN_BAD_SIGNATURE,
                   "The token's signature does not match this server's key");
      return FALSE;
    }
  return TRUE;
}

static gboolean
read_claims (JsonObject     *payload,
             HcTokenClaims  *claims,
             GError        **error)
{
  const char *str = NULL;
  gboolean wrong_type = FALSE;
  JsonNode *grants_node;
  JsonObject *grants;
  JsonNode *hc_node;

  if (member_string (payload, "jti", &str, &wrong_type))
    claims->jti = g_strdup (str);
  if (member_string (payload, "iss", &str, &wrong_type))
    claims->iss = g_strdup (str);
  if (member_string (payload, "sub", &str, &wrong_type))
    claims->sub = g_strdup (str);
  if (!member_time (payload, "exp", &claims->exp, &wrong_type) && !wrong_type)
    {
      g_set_error (error, HC_ERROR, HC_ERROR_TOKEN_MISSING_CLAIM, "The token has no expiry (exp)");
      return FALSE;
    }
  member_time (payload, "iat", &claims->iat, &wrong_type);
  member_time (payload, "nbf", &claims->nbf, &wrong_type);
  if (wrong_type)
    {
      g_set_error (error, HC_ERROR, HC_ERROR_TOKEN_BAD_CLAIM_TYPE,
                   "A registered claim of the token has the wrong type");
      return FALSE;
    }
  if (claims->jti == NULL || claims->iss == NULL || claims->sub == NULL)
    {
      g_set_error (error, HC_ERROR, HC_ERROR_TOKEN_MISSING_CLAIM,
                   "The token lacks one of the claims jti, iss and sub");
      return FALSE;
    }
  if (strlen (claims->jti) > 128)
    {
      g_set_error (error, HC_ERROR, HC_ERROR_TOKEN_BAD_CLAIM_TYPE, "The token id is too long");
      return FALSE;
    }

  grants_node = json_object_get_member (payload, "grants");
  if (grants_node == NULL || !JSON_NODE_HOLDS_OBJECT (grants_node))
    {
      g_set_error (error, HC_ERROR, HC_ERROR_TOKEN_BAD_GRANTS, "The token has no grants object");
      return FALSE;
    }
  grants = json_node_get_object (grants_node);
  if (!member_string (grants, "identity", &str, &wrong_type) ||
      !hc_name_is_valid (str, HC_IDENTITY_MAX_LENGTH))
    {
      g_set_error (error, HC_ERROR, HC_ERROR_TOKEN_BAD_IDENTITY,
                   "The token's identity is missing or not a valid name");
      return FALSE;
    }
  claims->identity = g_strdup (str);

  {
    JsonNode *video_node = json_object_get_member (grants, "video");
    JsonObject *video;

    if (video_node == NULL || !JSON_NODE_HOLDS_OBJECT (video_node))
      {
        g_set_error (error, HC_ERROR, HC_ERROR_TOKEN_BAD_GRANTS,
                     "The token carries no video grant");
        return FALSE;
      }
    video = json_node_get_object (video_node);
    if (member_string (video, "room", &str, &wrong_type))
      {
        if (!hc_name_is_valid (str, 128))
          wrong_type = TRUE;
        else
          claims->room = g_strdup (str);
      }
    if (wrong_type)
      {
        g_set_error (error, HC_ERROR, HC_ERROR_TOKEN_BAD_GRANTS,
                     "The video grant's room must be a room name or SID");
        return FALSE;
      }
  }

  hc_node = json_object_get_member (payload, "hc");
  if (hc_node != NULL)
    {
      JsonObject *hc;
      JsonNode *create;

      if (!JSON_NODE_HOLDS_OBJECT (hc_node))
        {
          g_set_error (error, HC_ERROR, HC_ERROR_TOKEN_BAD_CLAIM_TYPE,
                       "The token's hc claim must be an object");
          return FALSE;
        }
      hc = json_node_get_object (hc_node);
      if (!member_string (hc, "role", &str, &wrong_type) ||
          !hc_role_from_string (str, &claims->role))
        {
          g_set_error (error, HC_ERROR, HC_ERROR_TOKEN_BAD_CLAIM_TYPE,
                       "The token names no known role");
          return FALSE;
        }
      create = json_object_get_member (hc, "create_rooms");
      if (create != NULL)
        {
          if (!JSON_NODE_HOLDS_VALUE (create) ||
              json_node_get_value_type (create) != G_TYPE_BOOLEAN)
            {
              g_set_error (error, HC_ERROR, HC_ERROR_TOKEN_BAD_CLAIM_TYPE,
                           "The token's create_rooms claim must be a boolean");
              return FALSE;
            }
          claims->can_create_rooms = json_node_get_boolean (create);
        }
      /* Guests and patients never create rooms, whatever the claim says. */
      if (claims->role == HC_ROLE_GUEST || claims->role == HC_ROLE_PATIENT)
        claims->can_create_rooms = FALSE;
      if (claims->role == HC_ROLE_GUEST && !hc_sid_is_valid (claims->room, HC_SID_PREFIX_ROOM))
        {
          g_set_error (error, HC_ERROR, HC_ERROR_TOKEN_BAD_GRANTS,
                       "A guest token must be scoped to one room SID");
          return FALSE;
        }
    }
  return TRUE;
}

static gboolean
check_times (const HcTokenClaims  *claims,
             gint64                now,
             GError              **error)
{
  if (claims->exp <= now)
    {
      g_set_error (error, HC_ERROR, HC_ERROR_TOKEN_EXPIRED, "The token has expired");
      return FALSE;
    }
  if (claims->nbf != 0 && claims->nbf > now + HC_TOKEN_CLOCK_SKEW)
    {
      g_set_error (error, HC_ERROR, HC_ERROR_TOKEN_NOT_YET_VALID, "The token is not valid yet");
      return FALSE;
    }
  if (claims->iat != 0 && claims->iat > now + HC_TOKEN_CLOCK_SKEW)
    {
      g_set_error (error, HC_ERROR, HC_ERROR_TOKEN_ISSUED_IN_FUTURE,
                   "The token claims to be issued in the future");
      return FALSE;
    }
  if (claims->exp - (claims->iat != 0 ? claims->iat : now) > HC_TOKEN_MAX_LIFETIME)
    {
      g_set_error (error, HC_ERROR, HC_ERROR_TOKEN_LIFETIME_TOO_LONG,
                   "The token lives longer than 24 hours");
      return FALSE;
    }
  return TRUE;
}

HcTokenClaims *
hc_token_verify (const HcTokenKey  *key,
                 const char        *token,
                 gint64             now,
                 GError           **error)
{
  g_autoptr(HcTokenClaims) claims = NULL;
  g_autoptr(GBytes) header_bytes = NULL;
  g_autoptr(GBytes) payload_bytes = NULL;
  g_autoptr(GBytes) signature_bytes = NULL;
  g_autoptr(JsonObject) header = NULL;
  g_autoptr(JsonObject) payload = NULL;
  g_autoptr(JsonParser) parser = NULL;
  const char *dot1;
  const char *dot2;
  gsize len;

  if (!key_is_usable (key))
    {
      g_set_error (error, HC_ERROR, HC_ERROR_CONFIG_INVALID,
                   "The token signing key is not configured");
      return NULL;
    }
  if (token == NULL || *token == '\0')
    {
      g_set_error (error, HC_ERROR, HC_ERROR_TOKEN_MISSING, "No access token was given");
      return NULL;
    }
  len = strnlen (token, HC_TOKEN_MAX_LENGTH + 1);
  if (len > HC_TOKEN_MAX_LENGTH)
    {
      g_set_error (error, HC_ERROR, HC_ERROR_TOKEN_TOO_LARGE,
                   "The access token is longer than %d bytes", HC_TOKEN_MAX_LENGTH);
      return NULL;
    }

  /* Each segment is decoded and parsed once, here; the signature is then checked
   * over the segments as sent. The header is read first so that a token naming
   * another algorithm (alg "none" has no signature at all) is refused as such. */
  parser = json_parser_new ();
  dot1 = strchr (token, '.');
  dot2 = dot1 ? strchr (dot1 + 1, '.') : NULL;
  if (dot1 == NULL || dot2 == NULL || strchr (dot2 + 1, '.') != NULL ||
      (header_bytes = decode_segment (token, (gsize) (dot1 - token))) == NULL ||
      (payload_bytes = decode_segment (dot1 + 1, (gsize) (dot2 - dot1 - 1))) == NULL ||
      (header = parse_object (parser, header_bytes)) == NULL ||
      (payload = parse_object (parser, payload_bytes)) == NULL)
    {
      g_set_error (error, HC_ERROR, HC_ERROR_TOKEN_MALFORMED,
                   "The access token is not a well-formed JWT");
      return NULL;
    }

  if (!check_header (header, error))
    return NULL;

  /* An HS256 signature is exactly 32 bytes; anything else (including the empty
   * signature of an "alg: none" token relabelled HS256) is refused here. */
  signature_bytes = decode_segment (dot2 + 1, len - (gsize) (dot2 + 1 - token));
  if (signature_bytes == NULL || g_bytes_get_size (signature_bytes) != 32 ||
      !check_signature (key, token, (gsize) (dot2 - token), signature_bytes, error))
    {
      if (error != NULL && *error == NULL)
        g_set_error (error, HC_ERROR, HC_ERROR_TOKEN_BAD_SIGNATURE,
                     "The token's signature does not match this server's key");
      return NULL;
    }

  claims = hc_token_claims_new ();
  if (!read_claims (payload, claims, error))
    return NULL;
  if (strcmp (claims->iss, key->api_key_sid) != 0)
    {
      g_set_error (error, HC_ERROR, HC_ERROR_TOKEN_WRONG_ISSUER,
                   "The token was issued for another API key");
      return NULL;
    }
  if (strcmp (claims->sub, key->account_sid) != 0)
    {
      g_set_error (error, HC_ERROR, HC_ERROR_TOKEN_WRONG_SUBJECT,
                   "The token belongs to another account");
      return NULL;
    }
  if (!check_times (claims, now, error))
    return NULL;

  return g_steal_pointer (&claims);
}

gboolean
hc_token_claims_allow_room (const HcTokenClaims  *claims,
                            const char           *room_sid,
                            const char           *unique_name,
                            GError              **error)
{
  g_return_val_if_fail (claims != NULL, FALSE);

  if (claims->room == NULL && claims->role != HC_ROLE_GUEST)
    return TRUE;
  if (claims->room != NULL &&
      (g_strcmp0 (claims->room, room_sid) == 0 ||
       (claims->role != HC_ROLE_GUEST && unique_name != NULL &&
        g_strcmp0 (claims->room, unique_name) == 0)))
    return TRUE;

  g_set_error (error, HC_ERROR, HC_ERROR_TOKEN_ROOM_MISMATCH,
               "This access token does not grant entry to that room");
  return FALSE;
}
