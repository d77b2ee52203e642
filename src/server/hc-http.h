/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "hc-error.h"

G_BEGIN_DECLS

#define HC_HTTP_MAX_BODY (1024 * 1024)

/* The parameters of a request body, form-encoded (as Twilio's REST API takes
 * them) or a flat JSON object. A name may repeat (VideoCodecs=VP8&VideoCodecs=H264). */
typedef struct _HcParams HcParams;

HcParams    *hc_params_parse       (SoupServerMessage   *msg,
                                    GError             **error);
HcParams    *hc_params_parse_form  (const char          *data,
                                    gsize                len,
                                    GError             **error);
HcParams    *hc_params_parse_json  (const char          *data,
                                    gsize                len,
                                    GError             **error);
void         hc_params_free        (HcParams            *params);
const char  *hc_params_get         (HcParams            *params,
                                    const char          *name);
GPtrArray   *hc_params_get_all     (HcParams            *params,
                                    const char          *name);
/* Refuses any parameter not in the NULL-terminated @known. */
gboolean     hc_params_check_known (HcParams            *params,
                                    const char * const  *known,
                                    GError             **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HcParams, hc_params_free)

void         hc_http_send_json     (SoupServerMessage   *msg,
                                    guint                status,
                                    JsonNode            *node);
void         hc_http_send_error    (SoupServerMessage   *msg,
                                    const GError        *error);
void         hc_http_send_error_code (SoupServerMessage *msg,
                                    HcErrorCode          code,
                                    const char          *message);
JsonNode    *hc_http_error_node    (HcErrorCode          code,
                                    const char          *message);

/* Members of the resources' JSON, Twilio-style: null when unset. */
void         hc_http_add_string_or_null (JsonBuilder      *builder,
                                         const char       *name,
                                         const char       *value);
void         hc_http_add_time      (JsonBuilder         *builder,
                                    const char          *name,
                                    gint64               unix_time);

/* ISO 8601 in UTC with a Z, as Twilio writes its dates. */
char        *hc_http_format_time   (gint64               unix_time);

G_END_DECLS
