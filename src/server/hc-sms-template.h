/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* What an SMS text costs on the air, and the templates the texts are made
 * from. Pure functions, unit-tested. */

typedef enum
{
  HC_SMS_ENCODING_GSM7,      /* the GSM 03.38 alphabet, 7 bits a character */
  HC_SMS_ENCODING_UCS2,      /* anything else: UTF-16 code units */
} HcSmsEncoding;

typedef struct
{
  HcSmsEncoding encoding;
  guint         units;       /* septets (escaped characters count 2) or UTF-16 units */
  guint         segments;    /* 1 for up to 160 septets / 70 units, else parts of 153 / 67 */
} HcSmsLength;

void          hc_sms_measure               (const char   *text,
                                            HcSmsLength  *length);

typedef enum
{
  HC_SMS_KIND_INVITE,
  HC_SMS_KIND_REMINDER,
  HC_SMS_KIND_UPDATE,
  HC_SMS_KIND_CANCEL,
  HC_SMS_KIND_GUEST_INVITE,    /* a guest link, tied to no appointment */
  HC_SMS_N_KINDS,
} HcSmsKind;

const char   *hc_sms_kind_to_string        (HcSmsKind     kind);
gboolean      hc_sms_kind_from_string      (const char   *text,
                                            HcSmsKind    *kind);
/* The built-in template for @kind, translated into the server's language. */
const char   *hc_sms_default_template      (HcSmsKind     kind);

/* The variables a template may use, NULL-terminated. */
extern const char * const hc_sms_template_variables[];

/* Checks that @template only names known variables in balanced braces. */
gboolean      hc_sms_template_check        (const char   *template_text,
                                            GError      **error);

/* Fills in @template from @names/@values (NULL-terminated, parallel). A
 * variable the template uses that is NULL or empty is
 * HC_ERROR_SMS_TEMPLATE_VARIABLE_EMPTY; a result longer than @max_segments is
 * HC_ERROR_SMS_TOO_LONG. @length, if not NULL, receives the result's size. */
char         *hc_sms_template_render       (const char          *template_text,
                                            const char * const  *names,
                                            const char * const  *values,
                                            guint                max_segments,
                                            HcSmsLength         *length,
                                            GError             **error);

G_END_DECLS
