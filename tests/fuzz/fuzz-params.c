/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "hc-http.h"

#include <stdint.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

/* REST bodies, form-encoded and JSON: the first byte picks the parser. */
int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  static const char * const known[] = { "UniqueName", "VideoCodecs", "MaxParticipants", NULL };
  g_autoptr(HcParams) params = NULL;

  if (size == 0)
    return 0;
  if (data[0] & 1)
    params = hc_params_parse_json ((const char *) data + 1, size - 1, NULL);
  else
    params = hc_params_parse_form ((const char *) data + 1, size - 1, NULL);
  if (params != NULL)
    {
      hc_params_get (params, "UniqueName");
      hc_params_get_all (params, "VideoCodecs");
      hc_params_check_known (params, known, NULL);
    }
  return 0;
}
