/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The interpreter-service contract (docs/interpreter-service.md): what a
 * service may answer when asked for an interpreter. Pure parsing, shared
 * with the fuzz target. */

#define HC_INTERPRETER_MAX_RESPONSE (64 * 1024)

typedef enum
{
  HC_INTERPRETER_JOIN,          /* an interpreter joins with the guest link we sent */
  HC_INTERPRETER_DIAL,          /* call this number (and menu digits) instead */
  HC_INTERPRETER_UNAVAILABLE,   /* nobody for that language now */
} HcInterpreterAction;

typedef struct
{
  HcInterpreterAction action;
  char   *interpreter_name;     /* JOIN: who is coming, if the service says */
  guint   eta_seconds;          /* JOIN: when, 0 if unknown */
  char   *to;                   /* DIAL: E.164 */
  char   *send_digits;          /* DIAL: checked digits, or NULL */
  char   *label;                /* DIAL: the participant's name, or NULL */
  char   *message;              /* UNAVAILABLE: the service's sentence, or NULL */
} HcInterpreterOffer;

void                hc_interpreter_offer_free  (HcInterpreterOffer *offer);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HcInterpreterOffer, hc_interpreter_offer_free)

/* Parses and checks a service's JSON answer; anything off the contract is
 * HC_ERROR_INTERPRETER_BAD_RESPONSE with a sentence saying what. */
HcInterpreterOffer *hc_interpreter_offer_parse (const char          *json,
                                                gsize                len,
                                                GError             **error);

/* A BCP 47 language tag as a provider or service sends it: 2-3 letters,
 * then up to four subtags of 2-8 letters or digits ("es", "pt-BR",
 * "zh-Hant-TW"), at most 35 characters. */
gboolean            hc_interpreter_language_is_valid (const char    *tag);

G_END_DECLS
