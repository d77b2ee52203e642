/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * Every error a client can see, REST or signaling, carries one of these codes.
 * The numbers follow Twilio's where Twilio has an equivalent (20xxx for access
 * tokens and REST, 53xxx for rooms) so that existing client code that switches
 * on Twilio's codes keeps working; docs/errors.md lists them all.
 */
typedef enum
{
  HC_ERROR_INTERNAL = 10000,

  HC_ERROR_TOKEN_MALFORMED = 20101,
  HC_ERROR_TOKEN_BAD_HEADER = 20102,
  HC_ERROR_TOKEN_WRONG_ISSUER = 20103,
  HC_ERROR_TOKEN_EXPIRED = 20104,
  HC_ERROR_TOKEN_NOT_YET_VALID = 20105,
  HC_ERROR_TOKEN_BAD_GRANTS = 20106,
  HC_ERROR_TOKEN_BAD_SIGNATURE = 20107,
  HC_ERROR_TOKEN_ALG_NOT_ALLOWED = 20108,
  HC_ERROR_TOKEN_WRONG_SUBJECT = 20109,
  HC_ERROR_TOKEN_REVOKED = 20110,
  HC_ERROR_TOKEN_ROOM_MISMATCH = 20111,
  HC_ERROR_TOKEN_MISSING_CLAIM = 20112,
  HC_ERROR_TOKEN_LIFETIME_TOO_LONG = 20113,
  HC_ERROR_TOKEN_TOO_LARGE = 20114,
  HC_ERROR_TOKEN_MISSING = 20115,
  HC_ERROR_TOKEN_ISSUED_IN_FUTURE = 20116,
  HC_ERROR_TOKEN_BAD_IDENTITY = 20117,
  HC_ERROR_TOKEN_BAD_CLAIM_TYPE = 20118,

  HC_ERROR_AUTH_REQUIRED = 20003,
  HC_ERROR_BAD_CREDENTIALS = 20004,
  HC_ERROR_ACCOUNT_DISABLED = 20005,
  HC_ERROR_RATE_LIMITED = 20429,
  HC_ERROR_FORBIDDEN = 20403,
  HC_ERROR_NOT_FOUND = 20404,
  HC_ERROR_METHOD_NOT_ALLOWED = 20405,

  HC_ERROR_BAD_REQUEST = 21000,
  HC_ERROR_MALFORMED_BODY = 21001,
  HC_ERROR_MISSING_PARAMETER = 21002,
  HC_ERROR_INVALID_PARAMETER = 21003,
  HC_ERROR_UNKNOWN_PARAMETER = 21004,
  HC_ERROR_BODY_TOO_LARGE = 21005,
  HC_ERROR_UNSUPPORTED_MEDIA_TYPE = 21006,

  HC_ERROR_ROOM_EXISTS = 53113,
  HC_ERROR_ROOM_COMPLETED = 53118,
  HC_ERROR_ROOM_FULL = 53105,
  HC_ERROR_ROOM_CREATE_FORBIDDEN = 53106,
  HC_ERROR_NOT_IN_ROOM = 53107,

  HC_ERROR_MESSAGE_MALFORMED = 53001,
  HC_ERROR_MESSAGE_UNKNOWN_TYPE = 53002,
  HC_ERROR_MESSAGE_OUT_OF_ORDER = 53003,
  HC_ERROR_MESSAGE_TOO_LARGE = 53004,
  HC_ERROR_AUTH_TIMEOUT = 53005,

  HC_ERROR_MEDIA_UNAVAILABLE = 53500,
  HC_ERROR_NOT_PUBLISHING = 53501,
  HC_ERROR_BAD_SDP = 53502,

  HC_ERROR_CONFIG_INVALID = 60001,
  HC_ERROR_STORE = 60002,
} HcErrorCode;

#define HC_ERROR (hc_error_quark ())
GQuark       hc_error_quark            (void);

const char  *hc_error_code_slug        (HcErrorCode code);
guint        hc_error_code_http_status (HcErrorCode code);
gboolean     hc_error_code_is_known    (int         code);

/* Fills in the slug and status of a GError in the HC_ERROR domain, or maps any
 * other error to HC_ERROR_INTERNAL so that no foreign detail leaks to clients. */
HcErrorCode  hc_error_get_code         (const GError *error);

G_END_DECLS
