/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "HcError"

#include "config.h"

#include "hc-error.h"

typedef struct
{
  HcErrorCode code;
  const char *slug;
  guint       status;
} ErrorInfo;

static const ErrorInfo error_table[] = {
  { HC_ERROR_INTERNAL, "internal-error", 500 },

  { HC_ERROR_TOKEN_MALFORMED, "token-malformed", 401 },
  { HC_ERROR_TOKEN_BAD_HEADER, "token-bad-header", 401 },
  { HC_ERROR_TOKEN_WRONG_ISSUER, "token-wrong-issuer", 401 },
  { HC_ERROR_TOKEN_EXPIRED, "token-expired", 401 },
  { HC_ERROR_TOKEN_NOT_YET_VALID, "token-not-yet-valid", 401 },
  { HC_ERROR_TOKEN_BAD_GRANTS, "token-bad-grants", 401 },
  { HC_ERROR_TOKEN_BAD_SIGNATURE, "token-bad-signature", 401 },
  { HC_ERROR_TOKEN_ALG_NOT_ALLOWED, "token-alg-not-allowed", 401 },
  { HC_ERROR_TOKEN_WRONG_SUBJECT, "token-wrong-subject", 401 },
  { HC_ERROR_TOKEN_REVOKED, "token-revoked", 401 },
  { HC_ERROR_TOKEN_ROOM_MISMATCH, "token-room-mismatch", 403 },
  { HC_ERROR_TOKEN_MISSING_CLAIM, "token-missing-claim", 401 },
  { HC_ERROR_TOKEN_LIFETIME_TOO_LONG, "token-lifetime-too-long", 401 },
  { HC_ERROR_TOKEN_TOO_LARGE, "token-too-large", 401 },
  { HC_ERROR_TOKEN_MISSING, "token-missing", 401 },
  { HC_ERROR_TOKEN_ISSUED_IN_FUTURE, "token-issued-in-future", 401 },
  { HC_ERROR_TOKEN_BAD_IDENTITY, "token-bad-identity", 401 },
  { HC_ERROR_TOKEN_BAD_CLAIM_TYPE, "token-bad-claim-type", 401 },

  { HC_ERROR_AUTH_REQUIRED, "auth-required", 401 },
  { HC_ERROR_BAD_CREDENTIALS, "bad-credentials", 401 },
  { HC_ERROR_ACCOUNT_DISABLED, "account-disabled", 403 },
  { HC_ERROR_RATE_LIMITED, "rate-limited", 429 },
  { HC_ERROR_FORBIDDEN, "forbidden", 403 },
  { HC_ERROR_NOT_FOUND, "not-found", 404 },
  { HC_ERROR_METHOD_NOT_ALLOWED, "method-not-allowed", 405 },

  { HC_ERROR_BAD_REQUEST, "bad-request", 400 },
  { HC_ERROR_MALFORMED_BODY, "malformed-body", 400 },
  { HC_ERROR_MISSING_PARAMETER, "missing-parameter", 400 },
  { HC_ERROR_INVALID_PARAMETER, "invalid-parameter", 400 },
  { HC_ERROR_UNKNOWN_PARAMETER, "unknown-parameter", 400 },
  { HC_ERROR_BODY_TOO_LARGE, "body-too-large", 413 },
  { HC_ERROR_UNSUPPORTED_MEDIA_TYPE, "unsupported-media-type", 415 },

  { HC_ERROR_ROOM_EXISTS, "room-exists", 400 },
  { HC_ERROR_ROOM_COMPLETED, "room-completed", 400 },
  { HC_ERROR_ROOM_FULL, "room-full", 400 },
  { HC_ERROR_ROOM_CREATE_FORBIDDEN, "room-create-forbidden", 403 },
  { HC_ERROR_NOT_IN_ROOM, "not-in-room", 403 },
  { HC_ERROR_DUPLICATE_IDENTITY, "duplicate-identity", 409 },

  { HC_ERROR_MESSAGE_MALFORMED, "message-malformed", 400 },
  { HC_ERROR_MESSAGE_UNKNOWN_TYPE, "message-unknown-type", 400 },
  { HC_ERROR_MESSAGE_OUT_OF_ORDER, "message-out-of-order", 400 },
  { HC_ERROR_MESSAGE_TOO_LARGE, "message-too-large", 413 },
  { HC_ERROR_AUTH_TIMEOUT, "auth-timeout", 401 },
  { HC_ERROR_NETWORK_QUALITY_INVALID, "network-quality-invalid", 400 },
  { HC_ERROR_NETWORK_QUALITY_TOO_FREQUENT, "network-quality-too-frequent", 429 },

  { HC_ERROR_VISIT_LINK_INVALID, "visit-link-invalid", 404 },
  { HC_ERROR_NOT_ADMITTED, "not-admitted", 403 },
  { HC_ERROR_NOT_WAITING, "not-in-waiting-room", 400 },

  { HC_ERROR_MEDIA_UNAVAILABLE, "media-unavailable", 503 },
  { HC_ERROR_NOT_PUBLISHING, "not-publishing", 400 },
  { HC_ERROR_BAD_SDP, "bad-sdp", 400 },

  { HC_ERROR_INVALID_PHONE_NUMBER, "invalid-phone-number", 400 },
  { HC_ERROR_SMS_TEMPLATE_VARIABLE_EMPTY, "sms-template-variable-empty", 400 },
  { HC_ERROR_SMS_TOO_LONG, "sms-too-long", 400 },
  { HC_ERROR_SMS_TEMPLATE_INVALID, "sms-template-invalid", 400 },
  { HC_ERROR_APPOINTMENT_CANCELLED, "appointment-cancelled", 400 },
  { HC_ERROR_SMS_OPTED_OUT, "sms-opted-out", 409 },
  { HC_ERROR_SMS_GATEWAY_UNAVAILABLE, "sms-gateway-unavailable", 503 },
  { HC_ERROR_SMS_GATEWAY_REJECTED, "sms-gateway-rejected", 502 },
  { HC_ERROR_SMS_UNDELIVERED, "sms-undelivered", 502 },
  { HC_ERROR_SMS_UNCONFIRMED, "sms-unconfirmed", 502 },
  { HC_ERROR_SMS_EXPIRED, "sms-expired", 409 },
  { HC_ERROR_SMS_CALLBACK_FORBIDDEN, "sms-callback-forbidden", 403 },

  { HC_ERROR_INVALID_DIGITS, "invalid-digits", 400 },
  { HC_ERROR_CALL_NOT_ACTIVE, "call-not-active", 409 },
  { HC_ERROR_PHONE_UNAVAILABLE, "phone-bridge-unavailable", 503 },
  { HC_ERROR_CALL_LIMIT, "phone-call-limit", 409 },
  { HC_ERROR_CALL_NOT_ANSWERED, "call-not-answered", 409 },
  { HC_ERROR_PHONE_CALL_FAILED, "phone-call-failed", 502 },
  { HC_ERROR_PHONE_MEDIA_UNUSABLE, "phone-media-unusable", 502 },
  { HC_ERROR_PHONE_UNEXPECTED_RESPONSE, "phone-unexpected-response", 502 },
  { HC_ERROR_INTERPRETER_UNAVAILABLE, "interpreter-service-unavailable", 503 },
  { HC_ERROR_INTERPRETER_FAILED, "interpreter-service-failed", 502 },
  { HC_ERROR_INTERPRETER_BAD_RESPONSE, "interpreter-service-bad-response", 502 },
  { HC_ERROR_INTERPRETER_DECLINED, "interpreter-declined", 409 },

  { HC_ERROR_CONFIG_INVALID, "config-invalid", 500 },
  { HC_ERROR_STORE, "store-error", 500 },
};

G_DEFINE_QUARK (hc-error-quark, hc_error)

static const ErrorInfo *
lookup (int code)
{
  for (gsize i = 0; i < G_N_ELEMENTS (error_table); i++)
    if ((int) error_table[i].code == code)
      return &error_table[i];
  return NULL;
}

gboolean
hc_error_code_is_known (int code)
{
  return lookup (code) != NULL;
}

const char *
hc_error_code_slug (HcErrorCode code)
{
  const ErrorInfo *info = lookup (code);

  return info ? info->slug : "internal-error";
}

guint
hc_error_code_http_status (HcErrorCode code)
{
  const ErrorInfo *info = lookup (code);

  return info ? info->status : 500;
}

HcErrorCode
hc_error_get_code (const GError *error)
{
  if (error != NULL && error->domain == HC_ERROR && lookup (error->code) != NULL)
    return (HcErrorCode) error->code;
  return HC_ERROR_INTERNAL;
}
