/* Counts the rows of a table through sluice's C API: open a connector on a
 * path, directory, glob or URI, read it as an Arrow C stream, release each
 * batch.
 *
 * With sluice installed or unpacked from tools/build-tarball (PKG_CONFIG_PATH
 * set to its lib/pkgconfig), and data/quickstart written by tools/quickstart:
 *
 *   cc -std=c11 -Wall examples/c/count_rows.c $(pkg-config --cflags --libs sluice) \
 *      -Wl,-rpath,$(pkg-config --variable=libdir sluice) -o count_rows
 *   ./count_rows data/quickstart
 */
#include <stdio.h>

#include "sluice.h"

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s PATH_OR_URI...\n", argv[0]);
    return 2;
  }
  sluice_error *err = NULL;
  sluice_connector *conn = NULL;
  sluice_read_options *opts = sluice_read_options_new();
  struct ArrowArrayStream stream = {0};
  struct ArrowArray batch;
  long long rows = 0, batches = 0;
  int status, rc = 1;

  /* Options are key/value strings, checked when set (docs/options.md). */
  if (sluice_read_options_set(opts, "batch_size", "100000", &err) != SLUICE_OK ||
      sluice_connector_open((const char *const *)(argv + 1), (size_t)(argc - 1), NULL, &conn, &err) != SLUICE_OK ||
      sluice_connector_read(conn, opts, &stream, &err) != SLUICE_OK) {
    fprintf(stderr, "sluice: %s\n", sluice_error_message(err));
    goto done;
  }

  while ((status = stream.get_next(&stream, &batch)) == 0 && batch.release != NULL) {
    rows += batch.length;
    batches++;
    batch.release(&batch); /* each batch is ours to release */
  }
  if (status != 0) {
    fprintf(stderr, "sluice: %s\n", stream.get_last_error(&stream));
  } else {
    printf("%lld rows in %lld batches (sluice %s)\n", rows, batches, sluice_version());
    rc = 0;
  }

done:
  if (stream.release != NULL) stream.release(&stream);
  sluice_connector_free(conn); /* all the *_free functions accept NULL */
  sluice_read_options_free(opts);
  sluice_error_free(err);
  return rc;
}
