/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "hc-dtmf.h"
#include "hc-error.h"
#include "hc-interpreter.h"
#include "hc-phone-sdp.h"

#include <string.h>

/* The phone bridge's SIP-facing parsing: digit strings, the far end's SDP
 * answer, RTP headers and RFC 4733 payloads. */

static void
test_dtmf_parse (void)
{
  static const struct { const char *digits; const int events[8]; guint n; } good[] = {
    { "0123", { 0, 1, 2, 3 }, 4 },
    { "*#", { 10, 11 }, 2 },
    { "ABCD", { 12, 13, 14, 15 }, 4 },
    { "abcd", { 12, 13, 14, 15 }, 4 },
    { "ww1W#", { -1, -1, 1, -1, 11 }, 5 },
  };
  static const char * const bad[] = {
    "", "1 2", "1,2", "12x", "+1", "1\n", "é", "1p2", "12e",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (good); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GArray) events = hc_dtmf_parse (good[i].digits, &error);

      g_assert_no_error (error);
      g_assert_cmpuint (events->len, ==, good[i].n);
      for (guint k = 0; k < events->len; k++)
        g_assert_cmpint (g_array_index (events, int, k), ==, good[i].events[k]);
    }
  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GArray) events = hc_dtmf_parse (bad[i], &error);

      g_assert_null (events);
      g_assert_error (error, HC_ERROR, HC_ERROR_INVALID_DIGITS);
      /* The sentence never carries a control character or broken UTF-8. */
      for (const char *p = error->message; *p; p++)
        g_assert_true ((guchar) *p >= 0x20);
      g_assert_true (g_utf8_validate (error->message, -1, NULL));
    }
  {
    g_autoptr(GError) error = NULL;
    g_autofree char *long_digits = g_strnfill (HC_DTMF_MAX_DIGITS + 1, '1');
    g_autofree char *max_digits = g_strnfill (HC_DTMF_MAX_DIGITS, '1');
    g_autoptr(GArray) ok = hc_dtmf_parse (max_digits, NULL);

    g_assert_nonnull (ok);
    g_assert_null (hc_dtmf_parse (long_digits, &error));
    g_assert_error (error, HC_ERROR, HC_ERROR_INVALID_DIGITS);
  }
  g_assert_cmpint (hc_dtmf_event_char (11), ==, '#');
  g_assert_cmpint (hc_dtmf_event_char (16), ==, '\0');
  g_assert_cmpint (hc_dtmf_event_char (-1), ==, '\0');
}

static void
test_dtmf_payload (void)
{
  HcDtmfPayload in = { .event = 11, .end = TRUE, .volume = 10, .duration = 800 };
  HcDtmfPayload out = { 0 };
  guint8 data[4];

  hc_dtmf_payload_write (&in, data);
  g_assert_cmpuint (data[0], ==, 11);
  g_assert_cmpuint (data[1], ==, 0x8a);
  g_assert_cmpuint (data[2], ==, 0x03);
  g_assert_cmpuint (data[3], ==, 0x20);
  g_assert_true (hc_dtmf_payload_read (data, sizeof data, &out));
  g_assert_cmpuint (out.event, ==, 11);
  g_assert_true (out.end);
  g_assert_cmpuint (out.volume, ==, 10);
  g_assert_cmpuint (out.duration, ==, 800);
  g_assert_false (hc_dtmf_payload_read (data, 3, &out));
}

#define ANSWER_HEAD "v=0\r\no=- 1 1 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\n"

static void
test_sdp_answer (void)
{
  static const struct
  {
    const char *sdp;
    const char *address;
    guint       port;
    guint       pt;
    gint        event_pt;
    gboolean    send, receive;
  } good[] = {
    { ANSWER_HEAD "m=audio 4000 RTP/AVP 8 101\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:101 telephone-event/8000\r\n",
      "192.0.2.10", 4000, 8, 101, TRUE, TRUE },
    { ANSWER_HEAD "m=audio 4002 RTP/AVP 0\r\n", "192.0.2.10", 4002, 0, -1, TRUE, TRUE },
    /* The answerer's order decides; the media-level c= wins. */
    { ANSWER_HEAD "m=audio 4004 RTP/AVP 0 8 96\r\nc=IN IP4 198.51.100.7\r\na=rtpmap:96 telephone-event/8000\r\na=sendonly\r\n",
      "198.51.100.7", 4004, 0, 96, FALSE, TRUE },
    /* LF-only lines, a video m-line first, IPv6. */
    { "v=0\no=- 1 1 IN IP6 2001:db8::1\ns=-\nc=IN IP6 2001:db8::1\nt=0 0\nm=video 5000 RTP/AVP 96\nm=audio 4006 RTP/AVP 18 8\na=recvonly\n",
      "2001:db8::1", 4006, 8, -1, TRUE, FALSE },
    /* A telephone-event rtpmap not in the m-line is not offered. */
    { ANSWER_HEAD "m=audio 4008 RTP/AVP 8\r\na=rtpmap:101 telephone-event/8000\r\n",
      "192.0.2.10", 4008, 8, -1, TRUE, TRUE },
    { ANSWER_HEAD "a=inactive\r\nm=audio 4010 RTP/AVP 8\r\n", "192.0.2.10", 4010, 8, -1, FALSE, FALSE },
  };
  static const char * const bad[] = {
    "",
    "hello",
    ANSWER_HEAD,
    ANSWER_HEAD "m=audio 0 RTP/AVP 8\r\n",
    ANSWER_HEAD "m=audio 4000 RTP/SAVP 8\r\n",
    ANSWER_HEAD "m=audio 4000 RTP/AVP 18\r\na=rtpmap:18 G729/8000\r\n",
    ANSWER_HEAD "m=audio 4000 RTP/AVP 8\r\na=rtpmap:8 opus/48000/2\r\n",
    ANSWER_HEAD "m=audio 70000 RTP/AVP 8\r\n",
    ANSWER_HEAD "m=audio x RTP/AVP 8\r\n",
    ANSWER_HEAD "m=audio 4000 RTP/AVP\r\n",
    ANSWER_HEAD "m=audio 4000 RTP/AVP 8 abc\r\n",
    "v=0\r\nc=IN IP4 0.0.0.0\r\nm=audio 4000 RTP/AVP 8\r\n",
    "v=0\r\nc=IN IP4 224.0.0.1/16\r\nm=audio 4000 RTP/AVP 8\r\n",
    "v=0\r\nc=IN IP4 not-an-address\r\nm=audio 4000 RTP/AVP 8\r\n",
    "v=0\r\nc=IN IP6 192.0.2.1\r\nm=audio 4000 RTP/AVP 8\r\n",
    "v=0\r\nm=audio 4000 RTP/AVP 8\r\n",
    "v=0\r\nbroken line\r\nm=audio 4000 RTP/AVP 8\r\n",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (good); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(HcPhoneSdp) sdp = hc_phone_sdp_parse (good[i].sdp, strlen (good[i].sdp), &error);

      g_assert_no_error (error);
      g_assert_cmpstr (sdp->address, ==, good[i].address);
      g_assert_cmpuint (sdp->port, ==, good[i].port);
      g_assert_cmpuint (sdp->payload_type, ==, good[i].pt);
      g_assert_cmpint (sdp->event_payload_type, ==, good[i].event_pt);
      g_assert_cmpint (sdp->send, ==, good[i].send);
      g_assert_cmpint (sdp->receive, ==, good[i].receive);
    }
  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(HcPhoneSdp) sdp = hc_phone_sdp_parse (bad[i], strlen (bad[i]), &error);

      g_assert_null (sdp);
      g_assert_error (error, HC_ERROR, HC_ERROR_PHONE_MEDIA_UNUSABLE);
    }
  {
    /* NUL bytes and oversized bodies. */
    static const char nul[] = ANSWER_HEAD "m=audio 4000 RTP/AVP 8\r\n\0a=x\r\n";
    g_autofree char *huge = g_strnfill (HC_PHONE_SDP_MAX_LENGTH + 1, 'a');
    g_autoptr(GError) e1 = NULL;
    g_autoptr(GError) e2 = NULL;

    g_assert_null (hc_phone_sdp_parse (nul, sizeof nul - 1, &e1));
    g_assert_error (e1, HC_ERROR, HC_ERROR_PHONE_MEDIA_UNUSABLE);
    g_assert_null (hc_phone_sdp_parse (huge, strlen (huge), &e2));
    g_assert_error (e2, HC_ERROR, HC_ERROR_PHONE_MEDIA_UNUSABLE);
  }
}

static void
test_sdp_offer_round_trip (void)
{
  g_autofree char *offer = hc_phone_sdp_offer ("127.0.0.1", 41000, 42);
  g_autoptr(GError) error = NULL;
  g_autoptr(HcPhoneSdp) sdp = hc_phone_sdp_parse (offer, strlen (offer), &error);

  g_assert_no_error (error);
  g_assert_cmpstr (sdp->address, ==, "127.0.0.1");
  g_assert_cmpuint (sdp->port, ==, 41000);
  g_assert_cmpuint (sdp->payload_type, ==, HC_RTP_PT_PCMA);
  g_assert_cmpint (sdp->event_payload_type, ==, HC_RTP_PT_TELEPHONE_EVENT);
}

static void
test_rtp_header (void)
{
  guint8 packet[64] = { 0 };
  HcRtpHeader header;

  hc_rtp_header_write (packet, 8, TRUE, 0xbeef, 0x01020304, 0xcafef00d);
  g_assert_true (hc_rtp_header_read (packet, 12 + 160, &header));
  g_assert_cmpuint (header.payload_type, ==, 8);
  g_assert_true (header.marker);
  g_assert_cmpuint (header.sequence, ==, 0xbeef);
  g_assert_cmpuint (header.timestamp, ==, 0x01020304);
  g_assert_cmpuint (header.ssrc, ==, 0xcafef00d);
  g_assert_cmpuint (header.payload_offset, ==, 12);
  g_assert_cmpuint (header.payload_length, ==, 160);

  /* Two CSRCs and a one-word extension. */
  packet[0] = 0x80 | 0x10 | 2;
  packet[12 + 8 + 2] = 0;
  packet[12 + 8 + 3] = 1;
  g_assert_true (hc_rtp_header_read (packet, 40, &header));
  g_assert_cmpuint (header.payload_offset, ==, 12 + 8 + 8);
  g_assert_cmpuint (header.payload_length, ==, 40 - 28);
  /* ...that runs past the end. */
  g_assert_false (hc_rtp_header_read (packet, 24, &header));

  /* Padding longer than the payload, version 1, too short. */
  packet[0] = 0x80 | 0x20;
  packet[19] = 200;
  g_assert_false (hc_rtp_header_read (packet, 20, &header));
  packet[0] = 0x40;
  g_assert_false (hc_rtp_header_read (packet, 20, &header));
  packet[0] = 0x80;
  g_assert_false (hc_rtp_header_read (packet, 11, &header));
}

static void
test_interpreter_offer (void)
{
  static const char * const bad[] = {
    "", "[]", "null", "{}", "{\"action\":\"teleport\"}", "{\"action\":7}",
    "{\"action\":\"dial\"}", "{\"action\":\"dial\",\"to\":\"12345\"}",
    "{\"action\":\"dial\",\"to\":15551234567}",
    "{\"action\":\"dial\",\"to\":\"+14155550199\",\"send_digits\":\"12x\"}",
    "{\"action\":\"dial\",\"to\":\"+14155550199\",\"label\":\"a\\u0007b\"}",
    "{\"action\":\"join\",\"eta_seconds\":-1}",
    "{\"action\":\"join\",\"eta_seconds\":\"soon\"}",
    "{\"action\":\"join\",\"interpreter_name\":{}}",
    "{\"action\":\"join\"", "not json",
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(HcInterpreterOffer) join = NULL;
  g_autoptr(HcInterpreterOffer) dial = NULL;
  g_autoptr(HcInterpreterOffer) none = NULL;
  const char *text;

  text = "{\"action\":\"join\",\"interpreter_name\":\"Maria\",\"eta_seconds\":45,\"extra\":1}";
  join = hc_interpreter_offer_parse (text, strlen (text), &error);
  g_assert_no_error (error);
  g_assert_cmpint (join->action, ==, HC_INTERPRETER_JOIN);
  g_assert_cmpstr (join->interpreter_name, ==, "Maria");
  g_assert_cmpuint (join->eta_seconds, ==, 45);

  text = "{\"action\":\"dial\",\"to\":\"+1 (415) 555-0199\",\"send_digits\":\"ww2#\"}";
  dial = hc_interpreter_offer_parse (text, strlen (text), &error);
  g_assert_no_error (error);
  g_assert_cmpint (dial->action, ==, HC_INTERPRETER_DIAL);
  g_assert_cmpstr (dial->to, ==, "+14155550199");
  g_assert_cmpstr (dial->send_digits, ==, "ww2#");
  g_assert_null (dial->label);

  text = "{\"action\":\"unavailable\"}";
  none = hc_interpreter_offer_parse (text, strlen (text), &error);
  g_assert_no_error (error);
  g_assert_cmpint (none->action, ==, HC_INTERPRETER_UNAVAILABLE);

  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) e = NULL;
      g_autoptr(HcInterpreterOffer) offer = hc_interpreter_offer_parse (bad[i], strlen (bad[i]), &e);

      if (offer != NULL)
        g_error ("case %" G_GSIZE_FORMAT " parsed: %s", i, bad[i]);
      g_assert_error (e, HC_ERROR, HC_ERROR_INTERPRETER_BAD_RESPONSE);
    }
}

static void
test_language_tags (void)
{
  static const char * const good[] = { "es", "EN", "pt-BR", "zh-Hant-TW", "yue", "sgn-ase" };
  static const char * const bad[] = { "", "e", "spanish", "es_ES", "es-", "-es", "es-B",
                                      "es-ABCDEFGHI", "e5", "es BR", "a-b-c-d-e-f" };

  for (gsize i = 0; i < G_N_ELEMENTS (good); i++)
    g_assert_true (hc_interpreter_language_is_valid (good[i]));
  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    if (hc_interpreter_language_is_valid (bad[i]))
      g_error ("“%s” should not be a language tag", bad[i]);
  g_assert_false (hc_interpreter_language_is_valid (NULL));
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/phone-sip/dtmf-parse", test_dtmf_parse);
  g_test_add_func ("/phone-sip/dtmf-payload", test_dtmf_payload);
  g_test_add_func ("/phone-sip/sdp-answer", test_sdp_answer);
  g_test_add_func ("/phone-sip/sdp-offer-round-trip", test_sdp_offer_round_trip);
  g_test_add_func ("/phone-sip/rtp-header", test_rtp_header);
  g_test_add_func ("/phone-sip/interpreter-offer", test_interpreter_offer);
  g_test_add_func ("/phone-sip/language-tags", test_language_tags);
  return g_test_run ();
}
