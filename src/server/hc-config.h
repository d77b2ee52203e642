/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef struct
{
  char      *config_path;      /* NULL when running on defaults */

  char      *listen_host;
  guint16    listen_port;
  char      *data_dir;
  char      *public_url;
  char      *tls_certificate;
  char      *tls_key;
  char      *clinic_name;

  char      *account_sid;
  char      *api_key_sid;
  GBytes    *api_key_secret;
  char      *api_key_secret_source; /* where the secret came from, for the log */
  guint      provider_token_ttl;
  guint      guest_token_ttl;
  guint      guest_token_max_ttl;

  guint      login_max_failures_per_account;
  guint      login_max_failures_per_address;
  guint      login_lockout_seconds;

  GBytes    *janus_admin_secret;

  char      *janus_mode;             /* "embedded" or "external" */
  char      *janus_binary;
  guint      janus_ws_port;          /* 0: pick a free port */
  char      *janus_rtp_port_range;
  char      *janus_ice_enforce_list;
  char      *janus_nat_1_1;
  char     **janus_servers;          /* external mode: ws:// URLs */

  char      *api_key_secret_file;
  char      *janus_admin_secret_file;

  /* [clinic] beyond the name, and [sms]: appointments and their messages. */
  char      *clinic_phone;
  char     **intake_questions;       /* optional questions at check-in */
  char      *copay_notice;
  char      *clinic_timezone;        /* IANA name; NULL: the server's */
  char      *clinic_time_format;     /* g_date_time_format(); NULL: translated default */
  guint      visit_code_hours;       /* a visit link works until this long after the start */

  char      *sms_gateway;            /* "outbox", "kannel" or "twilio" */
  char      *sms_from;
  char      *sms_callback_url;       /* base URL gateways reach us at; NULL: public-url */
  char      *sms_callback_secret_file;
  char      *sms_callback_secret;
  gint64     sms_reminder_offsets[8];
  guint      sms_n_reminder_offsets;
  guint      sms_max_segments;
  guint      sms_max_attempts;
  guint      sms_retry_initial;
  guint      sms_retry_max;
  guint      sms_request_timeout;
  guint      sms_confirm_timeout;
  gboolean   sms_send_cancellation;
  char      *sms_templates[5];       /* by HcSmsKind; NULL: the translated default */
  char      *kannel_url;
  char      *kannel_username;
  char      *kannel_password_file;
  GBytes    *kannel_password;
  char      *kannel_smsc;
  char      *twilio_url;
  char      *twilio_account_sid;
  char      *twilio_auth_token_file;
  GBytes    *twilio_auth_token;

  /* [sip]: the phone bridge's trunk or PBX. NULL sip_trunk: no phone bridge. */
  char      *sip_trunk;              /* sip:host[:port], the Request-URI's host part */
  char      *sip_proxy;              /* outbound proxy URI, or NULL */
  char      *sip_listen;             /* the user agent's own ADDRESS:PORT */
  char      *sip_transport;          /* "udp" or "tcp" */
  char      *sip_username;
  char      *sip_password_file;
  GBytes    *sip_password;
  char      *sip_caller_id;          /* E.164 */
  char      *sip_caller_name;
  guint      sip_ring_timeout;       /* seconds before an unanswered call is no-answer */
  guint      sip_max_call_seconds;
  char      *sip_rtp_address;        /* our media address, in the SDP */
  guint      sip_rtp_port_min;
  guint      sip_rtp_port_max;
  guint      sip_max_calls_per_room;

  /* [interpreter]: the clinic's interpreter service. NULL url: none. */
  char      *interpreter_url;
  char      *interpreter_token_file;
  GBytes    *interpreter_token;
  guint      interpreter_timeout;
  char      *interpreter_name;       /* shown to providers */
} HcConfig;

HcConfig *hc_config_new             (void);
void      hc_config_free            (HcConfig    *config);

/* Loads @path (or the built-in defaults when NULL). Problems are reported as
 * HC_ERROR_CONFIG_INVALID with a message of the form "group.key: problem". */
gboolean  hc_config_load            (HcConfig    *config,
                                     const char  *path,
                                     GError     **error);
gboolean  hc_config_set_listen      (HcConfig    *config,
                                     const char  *value,
                                     GError     **error);
void      hc_config_set_data_dir    (HcConfig    *config,
                                     const char  *dir);

/* Checks what spans keys, creates the data directory, and reads or generates
 * the secrets. Generated values are stored in the data directory. */
gboolean  hc_config_finish          (HcConfig    *config,
                                     GError     **error);

gboolean  hc_config_is_loopback     (const HcConfig *config);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HcConfig, hc_config_free)

G_END_DECLS
