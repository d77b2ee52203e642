/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "hc-protocol.h"

#include <stdint.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

/* Every signaling frame goes through this envelope check first. */
int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autofree char *error_id = NULL;
  g_autoptr(HcProtocolMessage) message = hc_protocol_message_parse ((const char *) data, size,
                                                                    &error_id, NULL);

  if (message != NULL)
    {
      gboolean ok = TRUE;

      hc_protocol_get_string (message->object, "room");
      hc_protocol_get_bool (message->object, "audio", TRUE, &ok);
    }
  return 0;
}
