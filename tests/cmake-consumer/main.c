/* Reads a small CSV file through the installed library: the smallest program
 * that proves headers, library and package config fit together. */
#include <stdio.h>
#include <string.h>

#include <sluice.h>

int main(int argc, char **argv) {
  const char *path;
  sluice_connector *connector = NULL;
  sluice_error *error = NULL;
  struct ArrowArrayStream stream;
  struct ArrowArray batch;
  long long rows = 0;
  FILE *f;

  if (argc != 2) {
    fprintf(stderr, "usage: %s FILE.csv\n", argv[0]);
    return 2;
  }
  path = argv[1];
  f = fopen(path, "w");
  if (f == NULL) return 2;
  fputs("a,b\n1,x\n2,y\n3,z\n", f);
  fclose(f);

  if (sluice_abi_version() != SLUICE_ABI_VERSION || strcmp(sluice_version(), SLUICE_VERSION) != 0) {
    fprintf(stderr, "library %s (ABI %u) does not match header %s (ABI %d)\n", sluice_version(),
            sluice_abi_version(), SLUICE_VERSION, SLUICE_ABI_VERSION);
    return 1;
  }
  if (sluice_connector_open(&path, 1, NULL, &connector, &error) != SLUICE_OK ||
      sluice_connector_read(connector, NULL, &stream, &error) != SLUICE_OK) {
    fprintf(stderr, "error: %s\n", sluice_error_message(error));
    sluice_error_free(error);
    sluice_connector_free(connector);
    return 1;
  }
  sluice_connector_free(connector);
  for (;;) {
    if (stream.get_next(&stream, &batch) != 0) {
      fprintf(stderr, "error: %s\n", stream.get_last_error(&stream));
      stream.release(&stream);
      return 1;
    }
    if (batch.release == NULL) break;
    rows += batch.length;
    batch.release(&batch);
  }
  stream.release(&stream);
  printf("sluice %s: %lld rows\n", sluice_version(), rows);
  return rows == 3 ? 0 : 1;
}
