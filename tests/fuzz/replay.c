/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

/* Without libFuzzer (the gcc build CI tests with): run every file of the
 * corpus directories given on the command line through the target once, as
 * a regression test under the sanitizers. */
int
main (int    argc,
      char **argv)
{
  guint count = 0;

  for (int i = 1; i < argc; i++)
    {
      g_autoptr(GDir) dir = g_dir_open (argv[i], 0, NULL);
      const char *name;

      while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *path = g_build_filename (argv[i], name, NULL);
          g_autofree char *contents = NULL;
          gsize len = 0;

          if (!g_file_get_contents (path, &contents, &len, NULL))
            continue;
          LLVMFuzzerTestOneInput ((const uint8_t *) contents, len);
          count++;
        }
    }
  g_print ("1..1\nok 1 - replayed %u inputs\n", count);
  return count > 0 ? 0 : 1;
}
