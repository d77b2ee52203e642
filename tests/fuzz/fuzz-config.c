/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "hc-config.h"

#include <glib/gstdio.h>
#include <stdint.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

/* housecalld.conf, as an administrator (or a broken deployment) writes it. */
int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  static char *path = NULL;
  g_autoptr(HcConfig) config = hc_config_new ();

  if (path == NULL)
    {
      int fd = g_file_open_tmp ("hc-fuzz-config-XXXXXX.conf", &path, NULL);

      if (fd < 0)
        return 0;
      close (fd);
    }
  if (!g_file_set_contents (path, (const char *) data, (gssize) size, NULL))
    return 0;
  hc_config_load (config, path, NULL);
  return 0;
}
