/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "HcPhoneRtp"

#include "config.h"

#include "hc-dtmf.h"
#include "hc-error.h"
#include "hc-phone-rtp.h"
#include "hc-sid.h"

#include <string.h>

#define FRAME_US 20000
#define MAX_CATCH_UP 50                   /* frames sent at once after a stall (1 s) */
#define END_PACKETS 3                     /* RFC 4733 §2.5.1.4: send the end three times */
#define PCMA_SILENCE 0xd5
#define PCMU_SILENCE 0xff

struct _HcPhoneRtp
{
  GObject          parent_instance;

  GSocket         *socket;
  GSource         *recv_source;
  guint            tick_id;
  guint16          port;
  GSocketAddress  *remote;
  GInetAddress    *remote_host;
  guint8           payload_type;
  gint             event_payload_type;
  guint32          ssrc;
  guint16          sequence;
  guint64          frames;                /* frames sent since start: the timestamp clock */
  gint64           started_at;

  /* Digits: a queue of event codes; the one being played. */
  GArray          *digits;
  gint             digit;                 /* the event in progress, or -1 */
  guint            digit_frames;          /* frames of the current step done */
  guint32          digit_timestamp;
  enum { STEP_IDLE, STEP_TONE, STEP_END, STEP_GAP, STEP_PAUSE } step;
  gboolean         first_audio;

  HcPhoneRtpAudioOut audio_out;
  HcPhoneRtpAudioIn  audio_in;
  gpointer           audio_data;

  guint64          packets_received;
  guint64          packets_sent;
};

G_DEFINE_FINAL_TYPE (HcPhoneRtp, hc_phone_rtp, G_TYPE_OBJECT)

static void
send_packet (HcPhoneRtp   *self,
             guint8        payload_type,
             gboolean      marker,
             guint32       timestamp,
             const guint8 *payload,
             gsize         len)
{
  guint8 packet[12 + HC_PHONE_FRAME_SAMPLES];
  g_autoptr(GError) error = NULL;

  g_assert (len <= HC_PHONE_FRAME_SAMPLES);
  hc_rtp_header_write (packet, payload_type, marker, self->sequence++, timestamp, self->ssrc);
  memcpy (packet + 12, payload, len);
  if (g_socket_send_to (self->socket, self->remote, (const char *) packet, 12 + len, NULL,
                        &error) < 0)
    {
      /* ICMP port unreachable and the like come back on a later send; the
       * call's signaling decides when it is over. */
      g_debug ("Could not send RTP: %s", error->message);
      return;
    }
  self->packets_sent++;
}

static void
send_event (HcPhoneRtp *self,
            gboolean    end,
            guint       duration_frames,
            gboolean    marker)
{
  HcDtmfPayload payload = {
    .event = (guint8) self->digit,
    .end = end,
    .volume = 10,
    .duration = (guint16) (duration_frames * HC_PHONE_FRAME_SAMPLES),
  };
  guint8 data[4];

  hc_dtmf_payload_write (&payload, data);
  send_packet (self, (guint8) self->event_payload_type, marker, self->digit_timestamp, data,
               sizeof data);
}

static void
send_audio (HcPhoneRtp *self,
            guint32     timestamp)
{
  guint8 frame[HC_PHONE_FRAME_SAMPLES];

  if (self->audio_out == NULL || !self->audio_out (frame, self->payload_type, self->audio_data))
    memset (frame, self->payload_type == HC_RTP_PT_PCMA ? PCMA_SILENCE : PCMU_SILENCE,
            sizeof frame);
  send_packet (self, self->payload_type, self->first_audio, timestamp, frame, sizeof frame);
  self->first_audio = FALSE;
}

/* One 20 ms slot: either a telephone-event packet (while a tone plays, and
 * its three end packets) or an audio frame. Timestamps advance by one frame
 * per slot whatever is sent, so the pauses are visible on the wire. */
static void
send_frame (HcPhoneRtp *self)
{
  guint32 timestamp = (guint32) (self->frames * HC_PHONE_FRAME_SAMPLES);
  const guint tone_frames = HC_PHONE_DIGIT_MS * 1000 / FRAME_US;
  const guint gap_frames = HC_PHONE_DIGIT_GAP_MS * 1000 / FRAME_US;
  const guint pause_frames = HC_DTMF_PAUSE_MS * 1000 / FRAME_US;

  if (self->step == STEP_IDLE && self->digits->len > 0)
    {
      self->digit = g_array_index (self->digits, int, 0);
      g_array_remove_index (self->digits, 0);
      self->digit_frames = 0;
      self->digit_timestamp = timestamp;
      self->step = self->digit == HC_DTMF_EVENT_PAUSE ? STEP_PAUSE : STEP_TONE;
    }

  switch (self->step)
    {
    case STEP_TONE:
      self->digit_frames++;
      send_event (self, FALSE, self->digit_frames, self->digit_frames == 1);
      if (self->digit_frames == tone_frames)
        {
          self->step = STEP_END;
          self->digit_frames = 0;
        }
      break;
    case STEP_END:
      send_event (self, TRUE, tone_frames, FALSE);
      if (++self->digit_frames == END_PACKETS)
        {
          self->step = STEP_GAP;
          self->digit_frames = 0;
        }
      break;
    case STEP_GAP:
      send_audio (self, timestamp);
      if (++self->digit_frames >= gap_frames)
        self->step = STEP_IDLE;
      break;
    case STEP_PAUSE:
      send_audio (self, timestamp);
      if (++self->digit_frames >= pause_frames)
        self->step = STEP_IDLE;
      break;
    case STEP_IDLE:
    default:
      send_audio (self, timestamp);
      break;
    }
  self->frames++;
}

static gboolean
on_tick (gpointer user_data)
{
  HcPhoneRtp *self = user_data;
  gint64 due = (g_get_monotonic_time () - self->started_at) / FRAME_US + 1;
  guint sent = 0;

  /* A loaded main loop fires late: catch up (the far end's jitter buffer
   * copes, and the digits keep their spacing in RTP time), but after a
   * stall of more than a second let the timestamps jump instead. */
  while ((gint64) self->frames < due && sent < MAX_CATCH_UP)
    {
      send_frame (self);
      sent++;
    }
  if ((gint64) self->frames < due)
    self->frames = (guint64) due;
  return G_SOURCE_CONTINUE;
}

static gboolean
on_readable (GSocket      *socket,
             GIOCondition  condition,
             gpointer      user_data)
{
  HcPhoneRtp *self = user_data;

  for (guint i = 0; i < 64; i++)
    {
      guint8 buffer[2048];
      g_autoptr(GSocketAddress) from = NULL;
      g_autoptr(GError) error = NULL;
      HcRtpHeader header;
      gssize len;

      len = g_socket_receive_from (socket, &from, (char *) buffer, sizeof buffer, NULL, &error);
      if (len < 0)
        break;
      /* Only the far end's host may feed audio into the room. */
      if (!G_IS_INET_SOCKET_ADDRESS (from) || self->remote_host == NULL ||
          !g_inet_address_equal (g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (from)),
                                 self->remote_host))
        continue;
      if (!hc_rtp_header_read (buffer, (gsize) len, &header))
        continue;
      self->packets_received++;
      if ((header.payload_type == HC_RTP_PT_PCMA || header.payload_type == HC_RTP_PT_PCMU) &&
          self->audio_in != NULL && header.payload_length > 0)
        self->audio_in (buffer + header.payload_offset, header.payload_length,
                        header.payload_type, self->audio_data);
    }
  return G_SOURCE_CONTINUE;
}

static void
hc_phone_rtp_dispose (GObject *object)
{
  HcPhoneRtp *self = (HcPhoneRtp *) object;

  hc_phone_rtp_stop (self);
  g_clear_object (&self->socket);
  g_clear_object (&self->remote);
  g_clear_object (&self->remote_host);
  G_OBJECT_CLASS (hc_phone_rtp_parent_class)->dispose (object);
}

static void
hc_phone_rtp_finalize (GObject *object)
{
  HcPhoneRtp *self = (HcPhoneRtp *) object;

  g_clear_pointer (&self->digits, g_array_unref);
  G_OBJECT_CLASS (hc_phone_rtp_parent_class)->finalize (object);
}

static void
hc_phone_rtp_class_init (HcPhoneRtpClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = hc_phone_rtp_dispose;
  object_class->finalize = hc_phone_rtp_finalize;
}

static void
hc_phone_rtp_init (HcPhoneRtp *self)
{
  self->digits = g_array_new (FALSE, FALSE, sizeof (int));
  self->digit = -1;
  self->event_payload_type = -1;
}

HcPhoneRtp *
hc_phone_rtp_new (const char  *address,
                  guint        port_min,
                  guint        port_max,
                  GError     **error)
{
  g_autoptr(HcPhoneRtp) self = g_object_new (HC_TYPE_PHONE_RTP, NULL);
  g_autoptr(GInetAddress) inet = g_inet_address_new_from_string (address);
  guint n_ports;
  guint start;

  if (inet == NULL)
    {
      g_set_error (error, HC_ERROR, HC_ERROR_PHONE_UNAVAILABLE,
                   "The phone bridge's RTP address is not an address");
      return NULL;
    }
  self->socket = g_socket_new (g_inet_address_get_family (inet), G_SOCKET_TYPE_DATAGRAM,
                               G_SOCKET_PROTOCOL_UDP, error);
  if (self->socket == NULL)
    return NULL;
  g_socket_set_blocking (self->socket, FALSE);

  /* RTP ports are even (RFC 3550 §11); start at a random one so that calls
   * in quick succession do not reuse the port a late packet still targets. */
  n_ports = (port_max - port_min) / 2 + 1;
  start = g_random_int_range (0, (gint32) n_ports);
  for (guint i = 0; i < n_ports; i++)
    {
      guint port = port_min + (port_min % 2) + 2 * ((start + i) % n_ports);
      g_autoptr(GSocketAddress) bind_address = NULL;

      if (port > port_max)
        continue;
      bind_address = g_inet_socket_address_new (inet, (guint16) port);
      if (g_socket_bind (self->socket, bind_address, FALSE, NULL))
        {
          self->port = (guint16) port;
          break;
        }
    }
  if (self->port == 0)
    {
      g_set_error (error, HC_ERROR, HC_ERROR_PHONE_UNAVAILABLE,
                   "No free RTP port for the phone bridge in [sip] rtp-port-range");
      return NULL;
    }
  hc_random_bytes ((guint8 *) &self->ssrc, sizeof self->ssrc);
  hc_random_bytes ((guint8 *) &self->sequence, sizeof self->sequence);
  return g_steal_pointer (&self);
}

guint16
hc_phone_rtp_get_port (HcPhoneRtp *self)
{
  g_return_val_if_fail (HC_IS_PHONE_RTP (self), 0);
  return self->port;
}

gboolean
hc_phone_rtp_start (HcPhoneRtp        *self,
                    const HcPhoneSdp  *remote,
                    GError           **error)
{
  g_return_val_if_fail (HC_IS_PHONE_RTP (self), FALSE);
  g_return_val_if_fail (self->tick_id == 0, FALSE);

  g_clear_object (&self->remote_host);
  self->remote_host = g_inet_address_new_from_string (remote->address);
  if (self->remote_host == NULL ||
      g_inet_address_get_family (self->remote_host) != g_socket_get_family (self->socket))
    {
      g_set_error (error, HC_ERROR, HC_ERROR_PHONE_MEDIA_UNUSABLE,
                   "The phone line's media address is not reachable from the bridge's RTP address");
      return FALSE;
    }
  g_clear_object (&self->remote);
  self->remote = g_inet_socket_address_new (self->remote_host, remote->port);
  self->payload_type = remote->payload_type;
  self->event_payload_type = remote->event_payload_type;
  self->started_at = g_get_monotonic_time ();
  self->first_audio = TRUE;
  self->recv_source = g_socket_create_source (self->socket, G_IO_IN, NULL);
  g_source_set_callback (self->recv_source, (GSourceFunc) (GCallback) on_readable, self, NULL);
  g_source_attach (self->recv_source, NULL);
  self->tick_id = g_timeout_add (FRAME_US / 1000, on_tick, self);
  return TRUE;
}

gboolean
hc_phone_rtp_send_digits (HcPhoneRtp  *self,
                          GArray      *events,
                          GError     **error)
{
  g_return_val_if_fail (HC_IS_PHONE_RTP (self), FALSE);

  if (self->tick_id == 0)
    {
      g_set_error (error, HC_ERROR, HC_ERROR_CALL_NOT_ANSWERED, "The call has not been answered");
      return FALSE;
    }
  if (self->event_payload_type < 0)
    {
      g_set_error (error, HC_ERROR, HC_ERROR_PHONE_MEDIA_UNUSABLE,
                   "The phone line did not accept telephone-events, so digits cannot be sent");
      return FALSE;
    }
  if (self->digits->len + events->len > 4 * HC_DTMF_MAX_DIGITS)
    {
      g_set_error (error, HC_ERROR, HC_ERROR_INVALID_DIGITS,
                   "Too many digits are still waiting to be sent");
      return FALSE;
    }
  g_array_append_vals (self->digits, events->data, events->len);
  return TRUE;
}

void
hc_phone_rtp_set_audio (HcPhoneRtp         *self,
                        HcPhoneRtpAudioOut  out,
                        HcPhoneRtpAudioIn   in,
                        gpointer            user_data)
{
  g_return_if_fail (HC_IS_PHONE_RTP (self));
  self->audio_out = out;
  self->audio_in = in;
  self->audio_data = user_data;
}

void
hc_phone_rtp_stop (HcPhoneRtp *self)
{
  g_return_if_fail (HC_IS_PHONE_RTP (self));
  g_clear_handle_id (&self->tick_id, g_source_remove);
  if (self->recv_source != NULL)
    {
      g_source_destroy (self->recv_source);
      g_clear_pointer (&self->recv_source, g_source_unref);
    }
  self->audio_out = NULL;
  self->audio_in = NULL;
  self->audio_data = NULL;
}

guint64
hc_phone_rtp_get_packets_received (HcPhoneRtp *self)
{
  g_return_val_if_fail (HC_IS_PHONE_RTP (self), 0);
  return self->packets_received;
}

guint64
hc_phone_rtp_get_packets_sent (HcPhoneRtp *self)
{
  g_return_val_if_fail (HC_IS_PHONE_RTP (self), 0);
  return self->packets_sent;
}
