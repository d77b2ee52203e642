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
