/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Access tokens are shaped like Twilio's (HS256 JWT, `cty: twilio-fpa;v=1`,
 * `grants.identity`, `grants.video.room`) so that existing token servers work
 * unchanged. Our own claims live in the `hc` object; a token without it comes
 * from a Twilio-style token server and is a plain participant. */

#define HC_TOKEN_MAX_LENGTH      8192
#define HC_TOKEN_MAX_LIFETIME    (24 * 60 * 60)
#define HC_TOKEN_CLOCK_SKEW      60
#define HC_IDENTITY_MAX_LENGTH   128

typedef enum
{
  HC_ROLE_PARTICIPANT,
  HC_ROLE_PROVIDER,
  HC_ROLE_PATIENT,
  HC_ROLE_GUEST,
} HcRole;

const char *hc_role_to_string   (HcRole      role);
gboolean    hc_role_from_string (const char *str,
                                 HcRole     *role);

typedef struct
{
  const char   *account_sid;
  const char   *api_key_sid;
  const guint8 *secret;
  gsize         secret_len;
} HcTokenKey;

typedef struct
{
  char     *jti;
  char     *iss;
  char     *sub;
  char     *identity;
  char     *room;              /* grants.video.room; NULL grants any room */
  HcRole    role;
  gboolean  can_create_rooms;
  gint64    iat;
  gint64    nbf;               /* 0 when absent */
  gint64    exp;
} HcTokenClaims;

HcTokenClaims *hc_token_claims_new      (void);
void           hc_token_claims_free     (HcTokenClaims     *claims);

/* Signs @claims with @key. A NULL jti gets a fresh random one, written back
 * into @claims so that the caller can record it. */
char          *hc_token_mint            (const HcTokenKey  *key,
                                         HcTokenClaims     *claims,
                                         GError           **error);

/* Checks everything that does not need the store: size, structure, header,
 * algorithm (HS256 only), signature, issuer, subject, times and claim types.
 * Revocation and account state are the server's to check. @now is in seconds. */
HcTokenClaims *hc_token_verify          (const HcTokenKey  *key,
                                         const char        *token,
                                         gint64             now,
                                         GError           **error);

/* Whether @claims may enter the room with @room_sid / @unique_name. */
gboolean       hc_token_claims_allow_room (const HcTokenClaims *claims,
                                           const char          *room_sid,
                                           const char          *unique_name,
                                           GError             **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HcTokenClaims, hc_token_claims_free)

G_END_DECLS
