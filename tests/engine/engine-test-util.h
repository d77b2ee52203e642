/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "hc-call-engine.h"
#include "hc-video-paintable.h"

#include <gio/gio.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* A real housecalld (which starts a real Janus) for the engine tests, run from the
 * test inside the network namespace netns-run.sh made: it listens on loopback, and
 * Janus gathers ICE candidates on $HC_NETNS_ICE_INTERFACE. */
typedef struct _LineReader LineReader;

typedef struct
{
  char        *dir;
  char        *data_dir;
  GSubprocess *process;
  GString     *log;
  guint16      port;
  guint16      janus_port;
  char        *url;
  char        *account_sid;
  char        *api_key_sid;
  char        *api_key_secret;
  char        *janus_secret;
  LineReader  *reader;
  gboolean     exited;
} HcTestServer;

HcTestServer *hc_test_server_start          (void);
void          hc_test_server_stop           (HcTestServer *server);
char         *hc_test_server_token          (HcTestServer *server,
                                             const char   *identity,
                                             const char   *room);
/* The PID of the Janus this housecalld started, or 0. */
GPid          hc_test_server_janus_pid      (HcTestServer *server);
/* The display names (participant SIDs) of the publishers Janus has in any room, asked
 * over Janus's own API with the admin key; NULL (and a TAP diagnostic) on failure. */
GStrv         hc_test_server_janus_publishers (HcTestServer *server);
/* Creates a room through the REST API with the API key; the HTTP status. */
guint         hc_test_server_create_room    (HcTestServer *server,
                                             const char   *unique_name,
                                             const char   *video_codec);
void          hc_test_server_print_log_tail (HcTestServer *server,
                                             guint         lines);

/* How much longer waits may be: $HC_TEST_TIMEOUT_SCALE, else 3 under AddressSanitizer,
 * else 1. */
guint         hc_test_timeout_scale         (void);
/* Iterates the default main context until @check returns TRUE or @timeout_ms (times
 * hc_test_timeout_scale()) pass. */
typedef gboolean (*HcTestCheck) (gpointer user_data);
gboolean      hc_test_wait_until            (HcTestCheck   check,
                                             gpointer      user_data,
                                             guint         timeout_ms);
/* Iterates the default main context for @ms (not scaled). */
void          hc_test_sleep                 (guint         ms);

/* Joins @engine (already configured) and waits for the result; FALSE with @error. */
gboolean      hc_test_join                  (HcCallEngine  *engine,
                                             HcTestServer  *server,
                                             const char    *identity,
                                             const char    *room,
                                             GError       **error);
/* Leaves and waits until every pipeline is down and the socket is closed. */
void          hc_test_leave                 (HcCallEngine  *engine);

/* An engine with test sources, no sound and the given capture profile. */
HcCallEngine *hc_test_engine_new            (HcCaptureProfile profile);

/* The participant @sid in @engine's list, or NULL. */
HcRemoteParticipant *hc_test_find           (HcCallEngine  *engine,
                                             const char    *sid);

/* @engine's view of participant @sid's video. */
HcVideoPaintable    *hc_test_paintable_of   (HcCallEngine  *engine,
                                             const char    *sid);
/* Waits for @frames more frames from @sid (@width wide, or any width for 0); on a
 * timeout, logs the subscriptions' statistics and says what did arrive. */
gboolean      hc_test_wait_for_video        (HcCallEngine  *engine,
                                             const char    *sid,
                                             guint64        frames,
                                             int            width,
                                             guint          timeout_ms);

/* Keeps debug messages out of the TAP output (HC_TEST_DEBUG=1 lets them through). */
void          hc_test_quiet_debug           (void);

/* Lets one known GStreamer 1.22 critical through G_DEBUG=fatal-warnings (see the .c). */
void          hc_test_tolerate_gstreamer_bugs (void);
guint         hc_test_tolerated_criticals   (void);

G_END_DECLS
