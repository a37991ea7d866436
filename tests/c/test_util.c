#define _XOPEN_SOURCE 700

#include "test_util.h"

#include <ftw.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

_Atomic int g_check_failures = 0;

void check_failed(const char *file, int line, const char *fmt, ...) {
  va_list ap;
  g_check_failures++;
  fprintf(stderr, "%s:%d: CHECK failed: ", file, line);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
}

const char *status_name(sluice_status status) {
  switch (status) {
    case SLUICE_OK: return "SLUICE_OK";
    case SLUICE_INVALID_ARGUMENT: return "SLUICE_INVALID_ARGUMENT";
    case SLUICE_NOT_FOUND: return "SLUICE_NOT_FOUND";
    case SLUICE_IO: return "SLUICE_IO";
    case SLUICE_INVALID_DATA: return "SLUICE_INVALID_DATA";
    case SLUICE_SCHEMA_MISMATCH: return "SLUICE_SCHEMA_MISMATCH";
    case SLUICE_PERMISSION_DENIED: return "SLUICE_PERMISSION_DENIED";
    case SLUICE_UNSUPPORTED: return "SLUICE_UNSUPPORTED";
    case SLUICE_PANIC: return "SLUICE_PANIC";
    case SLUICE_INTERNAL: return "SLUICE_INTERNAL";
  }
  return "(unknown sluice_status)";
}

int check_status_at(const char *file, int line, sluice_status expected, sluice_status got,
                    const sluice_error *err, const char *what) {
  if (expected == got) return 1;
  check_failed(file, line, "%s returned %s (%d), expected %s; error: %s", what, status_name(got),
               (int)got, status_name(expected),
               err ? sluice_error_message(err) : "(no error object)");
  return 0;
}

/* ---- temporary files ------------------------------------------------------ */

static char g_scratch[4096];

const char *scratch_dir(void) {
  if (g_scratch[0] == '\0') {
    const char *tmp = getenv("TMPDIR");
    if (tmp == NULL || tmp[0] == '\0') tmp = "/tmp";
    snprintf(g_scratch, sizeof g_scratch, "%s/sluice-c-test-XXXXXX", tmp);
    if (mkdtemp(g_scratch) == NULL) {
      perror("mkdtemp");
      exit(2);
    }
  }
  return g_scratch;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
  (void)st;
  (void)flag;
  (void)ftw;
  return remove(path);
}

void scratch_cleanup(void) {
  if (g_scratch[0] != '\0' && getenv("SLUICE_TEST_KEEP") == NULL) {
    nftw(g_scratch, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
  }
  g_scratch[0] = '\0';
}

const char *scratch_path(const char *name) {
  static char buffers[8][4096];
  static int next = 0;
  char *buf = buffers[next];
  next = (next + 1) % 8;
  snprintf(buf, sizeof buffers[0], "%s/%s", scratch_dir(), name);
  return buf;
}

void scratch_mkdir(const char *name) {
  if (mkdir(scratch_path(name), 0700) != 0) {
    perror(scratch_path(name));
    exit(2);
  }
}

const char *scratch_write(const char *name, const char *contents) {
  const char *path = scratch_path(name);
  FILE *f = fopen(path, "wb");
  if (f == NULL) {
    perror(path);
    exit(2);
  }
  if (fwrite(contents, 1, strlen(contents), f) != strlen(contents) || fclose(f) != 0) {
    perror(path);
    exit(2);
  }
  return path;
}

/* ---- Arrow helpers ------------------------------------------------------- */

int64_t schema_child_index(const struct ArrowSchema *schema, const char *name) {
  int64_t i;
  for (i = 0; i < schema->n_children; i++) {
    if (schema->children[i]->name != NULL && strcmp(schema->children[i]->name, name) == 0) return i;
  }
  return -1;
}

static int64_t pos(const struct ArrowArray *col, int64_t parent_offset, int64_t i) {
  return parent_offset + col->offset + i;
}

int value_is_valid(const struct ArrowArray *col, int64_t parent_offset, int64_t i) {
  const uint8_t *validity = (const uint8_t *)col->buffers[0];
  int64_t p = pos(col, parent_offset, i);
  if (col->null_count == 0 || validity == NULL) return 1;
  return (validity[p / 8] >> (p % 8)) & 1;
}

int64_t value_int64(const struct ArrowArray *col, int64_t parent_offset, int64_t i) {
  return ((const int64_t *)col->buffers[1])[pos(col, parent_offset, i)];
}

int32_t value_int32(const struct ArrowArray *col, int64_t parent_offset, int64_t i) {
  return ((const int32_t *)col->buffers[1])[pos(col, parent_offset, i)];
}

double value_float64(const struct ArrowArray *col, int64_t parent_offset, int64_t i) {
  return ((const double *)col->buffers[1])[pos(col, parent_offset, i)];
}

float value_float32(const struct ArrowArray *col, int64_t parent_offset, int64_t i) {
  return ((const float *)col->buffers[1])[pos(col, parent_offset, i)];
}

int value_bool(const struct ArrowArray *col, int64_t parent_offset, int64_t i) {
  const uint8_t *bits = (const uint8_t *)col->buffers[1];
  int64_t p = pos(col, parent_offset, i);
  return (bits[p / 8] >> (p % 8)) & 1;
}

const char *value_utf8(const struct ArrowArray *col, int64_t parent_offset, int64_t i,
                       int32_t *len) {
  const int32_t *offsets = (const int32_t *)col->buffers[1];
  const char *data = (const char *)col->buffers[2];
  int64_t p = pos(col, parent_offset, i);
  *len = offsets[p + 1] - offsets[p];
  return data + offsets[p];
}

int value_utf8_eq(const struct ArrowArray *col, int64_t parent_offset, int64_t i,
                  const char *expected) {
  int32_t len;
  const char *v = value_utf8(col, parent_offset, i, &len);
  return (size_t)len == strlen(expected) && memcmp(v, expected, (size_t)len) == 0;
}

/* ---- reading whole streams ----------------------------------------------- */

static void push_id(collected *c, int64_t id) {
  if (c->n_rows >= c->ids_cap) {
    int64_t cap = c->ids_cap ? c->ids_cap * 2 : 256;
    int64_t *grown = (int64_t *)realloc(c->ids, (size_t)cap * sizeof *grown);
    if (grown == NULL) {
      perror("realloc");
      exit(2);
    }
    c->ids = grown;
    c->ids_cap = cap;
  }
  c->ids[c->n_rows] = id;
}

static void copy_last_error(struct ArrowArrayStream *stream, collected *out) {
  const char *msg = stream->get_last_error(stream);
  snprintf(out->error, sizeof out->error, "%s", msg ? msg : "");
}

void collect_stream(struct ArrowArrayStream *stream, const char *id_column, batch_hook hook,
                    void *ctx, collected *out) {
  struct ArrowSchema schema;
  int64_t id_index = -1;
  int rc;

  memset(out, 0, sizeof *out);
  memset(&schema, 0, sizeof schema);
  rc = stream->get_schema(stream, &schema);
  if (rc != 0) {
    out->status = rc;
    copy_last_error(stream, out);
    stream->release(stream);
    return;
  }
  if (id_column != NULL) {
    id_index = schema_child_index(&schema, id_column);
    CHECKF(id_index >= 0, "stream has no column '%s'", id_column);
    if (id_index >= 0)
      CHECKF(strcmp(schema.children[id_index]->format, "l") == 0,
             "column '%s' has format '%s', expected int64 'l'", id_column,
             schema.children[id_index]->format);
  }

  for (;;) {
    struct ArrowArray batch;
    int64_t i;
    memset(&batch, 0, sizeof batch);
    rc = stream->get_next(stream, &batch);
    if (rc != 0) {
      out->status = rc;
      copy_last_error(stream, out);
      break;
    }
    if (batch.release == NULL) break; /* end of stream */
    CHECK(batch.n_children == schema.n_children);
    CHECK(batch.null_count == 0);
    if (out->n_batches < MAX_BATCHES) out->batch_len[out->n_batches] = batch.length;
    out->n_batches++;
    if (id_index >= 0 && id_index < batch.n_children) {
      const struct ArrowArray *col = batch.children[id_index];
      CHECK(col->length >= batch.length);
      for (i = 0; i < batch.length; i++) {
        push_id(out, value_int64(col, batch.offset, i));
        out->n_rows++;
      }
    } else {
      out->n_rows += batch.length;
    }
    if (hook != NULL) hook(&schema, &batch, ctx);
    batch.release(&batch);
    CHECK(batch.release == NULL);
  }
  schema.release(&schema);
  CHECK(schema.release == NULL);
  stream->release(stream);
  CHECK(stream->release == NULL);
}

void collected_free(collected *c) {
  free(c->ids);
  c->ids = NULL;
  c->ids_cap = 0;
}

sluice_connector *open_connector(const char *source, const char *const *source_options) {
  sluice_connector *connector = NULL;
  sluice_error *err = NULL;
  sluice_source_options *opts = NULL;
  sluice_status st;

  if (source_options != NULL) {
    opts = sluice_source_options_new();
    CHECK(opts != NULL);
    for (; *source_options != NULL; source_options++) {
      char key[256];
      const char *eq = strchr(*source_options, '=');
      size_t n = (size_t)(eq - *source_options);
      memcpy(key, *source_options, n);
      key[n] = '\0';
      st = sluice_source_options_set(opts, key, eq + 1, &err);
      CHECK_STATUS(SLUICE_OK, st, err);
      sluice_error_free(err);
      err = NULL;
    }
  }
  st = sluice_connector_open(&source, 1, opts, &connector, &err);
  CHECKF(st == SLUICE_OK, "sluice_connector_open(%s) returned %s: %s", source, status_name(st),
         err ? sluice_error_message(err) : "(no error)");
  sluice_error_free(err);
  sluice_source_options_free(opts);
  return st == SLUICE_OK ? connector : NULL;
}

sluice_read_options *make_read_options(const char *const *kv) {
  sluice_read_options *opts = sluice_read_options_new();
  CHECK(opts != NULL);
  for (; kv != NULL && *kv != NULL; kv++) {
    char key[256];
    sluice_error *err = NULL;
    sluice_status st;
    const char *eq = strchr(*kv, '=');
    size_t n = (size_t)(eq - *kv);
    memcpy(key, *kv, n);
    key[n] = '\0';
    st = sluice_read_options_set(opts, key, eq + 1, &err);
    CHECKF(st == SLUICE_OK, "sluice_read_options_set(%s) returned %s: %s", *kv, status_name(st),
           err ? sluice_error_message(err) : "(no error)");
    sluice_error_free(err);
  }
  return opts;
}

int read_stream(const sluice_connector *connector, const char *const *kv,
                struct ArrowArrayStream *out) {
  sluice_read_options *opts = make_read_options(kv);
  sluice_error *err = NULL;
  sluice_status st = sluice_connector_read(connector, opts, out, &err);
  CHECKF(st == SLUICE_OK, "sluice_connector_read returned %s: %s", status_name(st),
         err ? sluice_error_message(err) : "(no error)");
  sluice_error_free(err);
  sluice_read_options_free(opts);
  return st == SLUICE_OK ? 0 : -1;
}
