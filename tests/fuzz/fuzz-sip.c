/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "hc-dtmf.h"
#include "hc-interpreter.h"
#include "hc-phone-sdp.h"

#include <stdint.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

/* What the phone bridge reads from the SIP side: the far end's SDP answer
 * and its RTP packets (header, RFC 4733 payload); the digit strings
 * providers type; and the interpreter service's JSON answer. The first byte
 * picks the parser. */
int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  if (size == 0)
    return 0;
  switch (data[0] % 4)
    {
    case 0:
      {
        g_autoptr(HcPhoneSdp) sdp = hc_phone_sdp_parse ((const char *) data + 1, size - 1, NULL);

        if (sdp != NULL)
          g_assert (sdp->port != 0 && (sdp->payload_type == 0 || sdp->payload_type == 8));
      }
      break;
    case 1:
      {
        HcRtpHeader header;
        HcDtmfPayload payload;

        if (hc_rtp_header_read (data + 1, size - 1, &header))
          {
            g_assert (header.payload_offset + header.payload_length <= size - 1);
            hc_dtmf_payload_read (data + 1 + header.payload_offset, header.payload_length,
                                  &payload);
          }
      }
      break;
    case 3:
      {
        g_autoptr(HcInterpreterOffer) offer =
          hc_interpreter_offer_parse ((const char *) data + 1, size - 1, NULL);
        g_autofree char *tag = g_strndup ((const char *) data + 1, MIN (size - 1, 40));

        if (offer != NULL && offer->action == HC_INTERPRETER_DIAL)
          g_assert (offer->to != NULL && offer->to[0] == '+');
        hc_interpreter_language_is_valid (tag);
      }
      break;
    default:
      {
        g_autofree char *digits = g_strndup ((const char *) data + 1, size - 1);
        g_autoptr(GArray) events = hc_dtmf_parse (digits, NULL);

        for (guint i = 0; events != NULL && i < events->len; i++)
          g_assert (g_array_index (events, int, i) >= -1 && g_array_index (events, int, i) <= 15);
      }
      break;
    }
  return 0;
}
