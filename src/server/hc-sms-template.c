/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "HcSmsTemplate"

#include "config.h"

#include "hc-error.h"
#include "hc-sms-template.h"

#include <glib/gi18n.h>
#include <string.h>

#define GSM7_SINGLE 160
#define GSM7_PART   153
#define UCS2_SINGLE 70
#define UCS2_PART   67

const char * const hc_sms_template_variables[] = {
  "clinic", "clinic_phone", "time", "link", "provider", NULL
};

static const char * const kind_names[HC_SMS_N_KINDS] = {
  "invite", "reminder", "update", "cancel", "guest-invite"
};

/* The texts carry no health information: the clinic's name, the time and
 * the link, nothing about why the patient is coming. */
static const char * const default_templates[HC_SMS_N_KINDS] = {
  N_("{clinic}: your video visit is on {time}. Join from your phone or computer: {link} "
     "Reply STOP to opt out."),
  N_("{clinic}: reminder of your video visit on {time}. Join: {link}"),
  N_("{clinic}: your video visit has moved to {time}. Join: {link}"),
  N_("{clinic}: your video visit on {time} is cancelled. Please call us to rebook."),
  /* A guest link (interpreter, family member): only {clinic} and {link}
   * are known for it. */
  N_("{clinic}: join the video visit: {link}"),
};

/* The GSM 03.38 default alphabet, and the characters reached through its
 * escape (each costs two septets). */
static const char gsm7_basic[] =
  "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
  "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
static const char gsm7_extension[] = "\f^{}\\[~]|€";

static gboolean
in_alphabet (const char *alphabet,
             gunichar    c)
{
  for (const char *p = alphabet; *p; p = g_utf8_next_char (p))
    if (g_utf8_get_char (p) == c)
      return TRUE;
  return FALSE;
}

/* Septets for @c in GSM-7, or 0 when the alphabet lacks it. The tables are
 * short and messages at most a few hundred characters: a scan is enough. */
static guint
gsm7_cost (gunichar c)
{
  if (in_alphabet (gsm7_basic, c))
    return 1;
  if (in_alphabet (gsm7_extension, c))
    return 2;
  return 0;
}

void
hc_sms_measure (const char  *text,
                HcSmsLength *length)
{
  gboolean gsm7 = TRUE;
  guint total = 0;
  guint part_limit;
  guint segments = 1;
  guint in_part = 0;

  g_return_if_fail (text != NULL && length != NULL);

  for (const char *p = text; *p && gsm7; p = g_utf8_next_char (p))
    gsm7 = gsm7_cost (g_utf8_get_char (p)) != 0;

  for (const char *p = text; *p; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      total += gsm7 ? gsm7_cost (c) : (c > 0xffff ? 2 : 1);
    }

  length->encoding = gsm7 ? HC_SMS_ENCODING_GSM7 : HC_SMS_ENCODING_UCS2;
  length->units = total;
  if (total <= (gsm7 ? GSM7_SINGLE : UCS2_SINGLE))
    {
      length->segments = 1;
      return;
    }

  /* Concatenated parts lose room to their header, and an escape sequence or
   * a surrogate pair is never split between two parts: pack greedily. */
  part_limit = gsm7 ? GSM7_PART : UCS2_PART;
  for (const char *p = text; *p; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);
      guint cost = gsm7 ? gsm7_cost (c) : (c > 0xffff ? 2 : 1);

      if (in_part + cost > part_limit)
        {
          segments++;
          in_part = 0;
        }
      in_part += cost;
    }
  length->segments = segments;
}

const char *
hc_sms_kind_to_string (HcSmsKind kind)
{
  g_return_val_if_fail (kind < HC_SMS_N_KINDS, NULL);
  return kind_names[kind];
}

gboolean
hc_sms_kind_from_string (const char *text,
                         HcSmsKind  *kind)
{
  for (guint i = 0; i < HC_SMS_N_KINDS; i++)
    if (g_strcmp0 (text, kind_names[i]) == 0)
      {
        *kind = (HcSmsKind) i;
        return TRUE;
      }
  return FALSE;
}

const char *
hc_sms_default_template (HcSmsKind kind)
{
  g_return_val_if_fail (kind < HC_SMS_N_KINDS, NULL);
  return g_dgettext (GETTEXT_PACKAGE, default_templates[kind]);
}

/* Walks @template, calling @each for every "{name}"; literal text goes to
 * @out when it is not NULL. */
static gboolean
parse (const char   *template_text,
       GString      *out,
       gboolean    (*each) (const char *name, gsize len, GString *out, gpointer data,
                            GError **error),
       gpointer      data,
       GError      **error)
{
  const char *p = template_text;

  while (*p)
    {
      const char *open = strpbrk (p, "{}");
      const char *close;

      if (open == NULL)
        {
          if (out)
            g_string_append (out, p);
          break;
        }
      if (*open == '}')
        {
          g_set_error (error, HC_ERROR, HC_ERROR_SMS_TEMPLATE_INVALID,
                       "The template has a “}” without a “{”");
          return FALSE;
        }
      if (out)
        g_string_append_len (out, p, open - p);
      close = strpbrk (open + 1, "{}");
      if (close == NULL || *close != '}')
        {
          g_set_error (error, HC_ERROR, HC_ERROR_SMS_TEMPLATE_INVALID,
                       "The template has a “{” without a “}”");
          return FALSE;
        }
      if (!each (open + 1, (gsize) (close - open - 1), out, data, error))
        return FALSE;
      p = close + 1;
    }
  return TRUE;
}

static gboolean
lookup_variable (const char *name,
                 gsize       len)
{
  for (guint i = 0; hc_sms_template_variables[i] != NULL; i++)
    if (strlen (hc_sms_template_variables[i]) == len &&
        strncmp (hc_sms_template_variables[i], name, len) == 0)
      return TRUE;
  return FALSE;
}

static gboolean
check_each (const char  *name,
            gsize        len,
            GString     *out,
            gpointer     data,
            GError     **error)
{
  if (!lookup_variable (name, len))
    {
      g_autofree char *all = g_strjoinv ("}, {", (char **) hc_sms_template_variables);

      g_set_error (error, HC_ERROR, HC_ERROR_SMS_TEMPLATE_INVALID,
                   "The template names {%.*s}; the variables are {%s}", (int) MIN (len, 40),
                   name, all);
      return FALSE;
    }
  return TRUE;
}

gboolean
hc_sms_template_check (const char  *template_text,
                       GError     **error)
{
  g_return_val_if_fail (template_text != NULL, FALSE);

  if (!g_utf8_validate (template_text, -1, NULL))
    {
      g_set_error (error, HC_ERROR, HC_ERROR_SMS_TEMPLATE_INVALID,
                   "The template is not valid UTF-8");
      return FALSE;
    }
  return parse (template_text, NULL, check_each, NULL, error);
}

typedef struct
{
  const char * const *names;
  const char * const *values;
} RenderData;

static gboolean
render_each (const char  *name,
             gsize        len,
             GString     *out,
             gpointer     user_data,
             GError     **error)
{
  RenderData *data = user_data;

  if (!check_each (name, len, out, NULL, error))
    return FALSE;
  for (guint i = 0; data->names[i] != NULL; i++)
    {
      if (strlen (data->names[i]) == len && strncmp (data->names[i], name, len) == 0)
        {
          if (data->values[i] != NULL && *data->values[i] != '\0')
            {
              g_string_append (out, data->values[i]);
              return TRUE;
            }
          break;
        }
    }
  g_set_error (error, HC_ERROR, HC_ERROR_SMS_TEMPLATE_VARIABLE_EMPTY,
               "The message template uses {%.*s}, which is empty for this appointment",
               (int) len, name);
  return FALSE;
}

char *
hc_sms_template_render (const char          *template_text,
                        const char * const  *names,
                        const char * const  *values,
                        guint                max_segments,
                        HcSmsLength         *length,
                        GError             **error)
{
  g_autoptr(GString) out = g_string_new (NULL);
  RenderData data = { names, values };
  HcSmsLength measured;

  g_return_val_if_fail (template_text != NULL && names != NULL && values != NULL, NULL);

  if (!hc_sms_template_check (template_text, error) ||
      !parse (template_text, out, render_each, &data, error))
    return NULL;

  g_strstrip (out->str);
  g_string_set_size (out, strlen (out->str));
  if (out->len == 0)
    {
      g_set_error (error, HC_ERROR, HC_ERROR_SMS_TEMPLATE_INVALID, "The message is empty");
      return NULL;
    }
  hc_sms_measure (out->str, &measured);
  if (measured.segments > max_segments)
    {
      g_set_error (error, HC_ERROR, HC_ERROR_SMS_TOO_LONG,
                   "The message would take %u SMS segments (%u %s); at most %u are allowed",
                   measured.segments, measured.units,
                   measured.encoding == HC_SMS_ENCODING_GSM7 ? "GSM-7 characters"
                                                             : "UCS-2 characters",
                   max_segments);
      return NULL;
    }
  if (length != NULL)
    *length = measured;
  return g_string_free (g_steal_pointer (&out), FALSE);
}
