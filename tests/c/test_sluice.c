/* C ABI tests for sluice: the data read through the C header, the error and
 * ownership conventions, and the Arrow C stream contract.
 *
 *   test_sluice [--data DIR] [--skip TEST]... [--list] [TEST ...]
 *
 * DIR holds optional binary fixtures (tests/c/data: small.parquet); the CSV and
 * NDJSON inputs are written by the test itself into a scratch directory
 * ($TMPDIR, removed at the end unless SLUICE_TEST_KEEP is set). With TEST names
 * only those tests run. Exit status 0 when every check passed.
 */
#define _XOPEN_SOURCE 700

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sluice.h"
#include "test_util.h"

static const char *g_data_dir = NULL;

/* ---- known data ------------------------------------------------------------
 * csv/part-0.csv holds rows 0..99, csv/part-1.csv rows 100..249, with
 *   id = row, value = row * 0.25, name = "row-<row>", flag = (row % 3 == 0).
 * All values are exact in binary, so float comparisons are exact. */

#define CSV_ROWS 250
#define CSV_SPLIT 100

static double row_value(int64_t id) { return (double)id * 0.25; }
static int row_flag(int64_t id) { return id % 3 == 0; }
static void row_name(int64_t id, char *buf, size_t n) {
  snprintf(buf, n, "row-%lld", (long long)id);
}

static char *csv_text(int64_t first, int64_t last, int with_header) {
  size_t cap = 64 + (size_t)(last - first) * 64, len = 0;
  char *text = (char *)malloc(cap);
  int64_t id;
  if (text == NULL) exit(2);
  text[0] = '\0';
  if (with_header) len += (size_t)snprintf(text + len, cap - len, "id,value,name,flag\n");
  for (id = first; id < last; id++) {
    char name[32];
    row_name(id, name, sizeof name);
    len += (size_t)snprintf(text + len, cap - len, "%lld,%.2f,%s,%s\n", (long long)id,
                            row_value(id), name, row_flag(id) ? "true" : "false");
  }
  return text;
}

/* Writes the two-file CSV directory `dir` (relative to the scratch dir) once. */
static const char *csv_dir(const char *dir) {
  char name[256];
  struct stat st;
  if (stat(scratch_path(dir), &st) != 0) {
    char *a = csv_text(0, CSV_SPLIT, 1), *b = csv_text(CSV_SPLIT, CSV_ROWS, 1);
    scratch_mkdir(dir);
    snprintf(name, sizeof name, "%s/part-0.csv", dir);
    scratch_write(name, a);
    snprintf(name, sizeof name, "%s/part-1.csv", dir);
    scratch_write(name, b);
    free(a);
    free(b);
  }
  return scratch_path(dir);
}

/* Checks every column of a CSV batch against the row's id (whatever the order). */
typedef struct csv_check {
  const char *id_format; /* "l" when inferred, "i" with an explicit int32 schema */
  int64_t rows_checked;
} csv_check;

static void check_csv_batch(const struct ArrowSchema *schema, const struct ArrowArray *batch,
                            void *ctx) {
  csv_check *cc = (csv_check *)ctx;
  int64_t ci = schema_child_index(schema, "id"), cv = schema_child_index(schema, "value"),
          cn = schema_child_index(schema, "name"), cf = schema_child_index(schema, "flag");
  int64_t i;
  if (ci < 0 || cv < 0 || cn < 0 || cf < 0) {
    CHECKF(0, "CSV batch lacks a column (id %lld value %lld name %lld flag %lld)", (long long)ci,
           (long long)cv, (long long)cn, (long long)cf);
    return;
  }
  for (i = 0; i < batch->length; i++) {
    int64_t id = strcmp(cc->id_format, "i") == 0
                     ? value_int32(batch->children[ci], batch->offset, i)
                     : value_int64(batch->children[ci], batch->offset, i);
    char name[32];
    row_name(id, name, sizeof name);
    CHECKF(id >= 0 && id < CSV_ROWS, "id %lld out of range", (long long)id);
    CHECKF(value_float64(batch->children[cv], batch->offset, i) == row_value(id),
           "row %lld: value %g, expected %g", (long long)id,
           value_float64(batch->children[cv], batch->offset, i), row_value(id));
    CHECKF(value_utf8_eq(batch->children[cn], batch->offset, i, name), "row %lld: name is not %s",
           (long long)id, name);
    CHECKF(value_bool(batch->children[cf], batch->offset, i) == row_flag(id),
           "row %lld: flag is wrong", (long long)id);
    CHECK(value_is_valid(batch->children[ci], batch->offset, i));
    CHECK(value_is_valid(batch->children[cn], batch->offset, i));
  }
  cc->rows_checked += batch->length;
}

static void check_ids_sequential(const collected *c, int64_t first, int64_t n) {
  int64_t i;
  CHECKF(c->n_rows == n, "got %lld rows, expected %lld", (long long)c->n_rows, (long long)n);
  for (i = 0; i < c->n_rows && i < n; i++) {
    if (c->ids[i] != first + i) {
      CHECKF(0, "row %lld has id %lld, expected %lld", (long long)i, (long long)c->ids[i],
             (long long)(first + i));
      return;
    }
  }
}

static void check_batch_lens(const collected *c, const int64_t *expected, int64_t n) {
  int64_t i;
  CHECKF(c->n_batches == n, "got %lld batches, expected %lld", (long long)c->n_batches,
         (long long)n);
  for (i = 0; i < n && i < c->n_batches; i++) {
    CHECKF(c->batch_len[i] == expected[i], "batch %lld has %lld rows, expected %lld", (long long)i,
           (long long)c->batch_len[i], (long long)expected[i]);
  }
}

/* Reads the CSV directory with read options `kv` into `out`. */
static void read_csv(const char *const *kv, collected *out) {
  sluice_connector *c = open_connector(csv_dir("csv"), NULL);
  struct ArrowArrayStream stream;
  csv_check cc = {"l", 0};
  memset(out, 0, sizeof *out);
  if (c == NULL) {
    out->status = -1;
    return;
  }
  if (read_stream(c, kv, &stream) == 0) {
    collect_stream(&stream, "id", check_csv_batch, &cc, out);
    CHECK(cc.rows_checked == out->n_rows);
  } else {
    out->status = -1;
  }
  sluice_connector_free(c);
}

/* A sentinel address for out-params that must stay untouched. */
static char g_sentinel_byte;
#define SENTINEL_PTR ((void *)&g_sentinel_byte)

static int has_text(const sluice_error *err, const char *needle) {
  const char *msg = err ? sluice_error_message(err) : NULL;
  return msg != NULL && strstr(msg, needle) != NULL;
}

/* ======================= tests ============================================ */

static void test_version_and_abi(void) {
  const char *v = sluice_version();
  int major = -1, minor = -1, patch = -1;
  REQUIRE(v != NULL);
  CHECKF(sscanf(v, "%d.%d.%d", &major, &minor, &patch) == 3, "version '%s' is not x.y.z", v);
  CHECK(sluice_version() == v || strcmp(sluice_version(), v) == 0);
  CHECK(sluice_abi_version() == SLUICE_ABI_VERSION);
  CHECK(SLUICE_ABI_VERSION >= 1);
#ifdef SLUICE_VERSION
  CHECKF(strcmp(v, SLUICE_VERSION) == 0, "library version %s, header SLUICE_VERSION %s", v,
         SLUICE_VERSION);
#endif
#if defined(SLUICE_VERSION_MAJOR) && defined(SLUICE_VERSION_MINOR) && defined(SLUICE_VERSION_PATCH)
  CHECK(major == SLUICE_VERSION_MAJOR);
  CHECK(minor == SLUICE_VERSION_MINOR);
  CHECK(patch == SLUICE_VERSION_PATCH);
#endif
#ifdef SLUICE_EXPECTED_VERSION /* from CMake, read from Cargo.toml */
  CHECKF(strcmp(v, SLUICE_EXPECTED_VERSION) == 0, "library version %s, Cargo.toml %s", v,
         SLUICE_EXPECTED_VERSION);
#endif
  /* The status values are part of the ABI and never change. */
  CHECK(SLUICE_OK == 0);
  CHECK(SLUICE_INVALID_ARGUMENT == 1);
  CHECK(SLUICE_NOT_FOUND == 2);
  CHECK(SLUICE_IO == 3);
  CHECK(SLUICE_INVALID_DATA == 4);
  CHECK(SLUICE_SCHEMA_MISMATCH == 5);
  CHECK(SLUICE_PERMISSION_DENIED == 6);
  CHECK(SLUICE_UNSUPPORTED == 7);
  CHECK(SLUICE_PANIC == 8);
  CHECK(SLUICE_INTERNAL == 9);
}

static void test_free_functions_accept_null(void) {
  sluice_error_free(NULL);
  sluice_source_options_free(NULL);
  sluice_read_options_free(NULL);
  sluice_connector_free(NULL);
}

static void test_read_csv_directory(void) {
  const char *src = csv_dir("csv");
  sluice_connector *c = open_connector(src, NULL);
  struct ArrowSchema schema;
  struct ArrowArrayStream stream;
  sluice_error *err = NULL;
  uint64_t n_rows = 0;
  collected got;
  csv_check cc = {"l", 0};
  const char *kv[] = {"batch_size=64", NULL};
  static const int64_t lens[] = {64, 64, 64, 58};
  REQUIRE(c != NULL);

  /* The connector's schema: a struct with the four inferred columns. */
  memset(&schema, 0, sizeof schema);
  if (CHECK_STATUS(SLUICE_OK, sluice_connector_schema(c, &schema, &err), err)) {
    CHECK(err == NULL);
    CHECK(strcmp(schema.format, "+s") == 0);
    REQUIRE(schema.n_children == 4);
    CHECK(strcmp(schema.children[0]->name, "id") == 0);
    CHECK(strcmp(schema.children[0]->format, "l") == 0);
    CHECK(strcmp(schema.children[1]->name, "value") == 0);
    CHECK(strcmp(schema.children[1]->format, "g") == 0);
    CHECK(strcmp(schema.children[2]->name, "name") == 0);
    CHECKF(strcmp(schema.children[2]->format, "u") == 0, "name format '%s'",
           schema.children[2]->format);
    CHECK(strcmp(schema.children[3]->name, "flag") == 0);
    CHECK(strcmp(schema.children[3]->format, "b") == 0);
    REQUIRE(schema.release != NULL);
    schema.release(&schema);
    CHECK(schema.release == NULL);
  }
  sluice_error_free(err);
  err = NULL;

  if (CHECK_STATUS(SLUICE_OK, sluice_connector_num_rows(c, &n_rows, &err), err)) {
    CHECKF(n_rows == CSV_ROWS, "num_rows %llu", (unsigned long long)n_rows);
  }
  sluice_error_free(err);
  err = NULL;

  /* Batches of exactly 64 rows across the file boundary at row 100. */
  if (read_stream(c, kv, &stream) == 0) {
    collect_stream(&stream, "id", check_csv_batch, &cc, &got);
    CHECKF(got.status == 0, "stream failed: %d %s", got.status, got.error);
    check_batch_lens(&got, lens, 4);
    check_ids_sequential(&got, 0, CSV_ROWS);
    CHECK(cc.rows_checked == CSV_ROWS);
    collected_free(&got);
  }

  /* Default options (NULL): one batch of all rows (batch_size 65536). */
  {
    struct ArrowArrayStream s2;
    static const int64_t one[] = {CSV_ROWS};
    if (CHECK_STATUS(SLUICE_OK, sluice_connector_read(c, NULL, &s2, &err), err)) {
      collect_stream(&s2, "id", NULL, NULL, &got);
      CHECK(got.status == 0);
      check_batch_lens(&got, one, 1);
      check_ids_sequential(&got, 0, CSV_ROWS);
      collected_free(&got);
    }
    sluice_error_free(err);
  }
  sluice_connector_free(c);
}

static void test_read_csv_explicit_schema(void) {
  const char *opts[] = {"schema=id:int32,value:float64,name:utf8,flag:bool", NULL};
  sluice_connector *c = open_connector(csv_dir("csv"), opts);
  struct ArrowArrayStream stream;
  struct ArrowSchema schema;
  csv_check cc = {"i", 0};
  collected got;
  const char *kv[] = {"batch_size=100", NULL};
  REQUIRE(c != NULL);
  REQUIRE(read_stream(c, kv, &stream) == 0);
  memset(&schema, 0, sizeof schema);
  REQUIRE(stream.get_schema(&stream, &schema) == 0);
  REQUIRE(schema.n_children == 4);
  CHECK(strcmp(schema.children[0]->format, "i") == 0);
  CHECK(strcmp(schema.children[1]->format, "g") == 0);
  CHECK(strcmp(schema.children[2]->format, "u") == 0);
  CHECK(strcmp(schema.children[3]->format, "b") == 0);
  schema.release(&schema);
  collect_stream(&stream, NULL, check_csv_batch, &cc, &got);
  CHECK(got.status == 0);
  CHECK(got.n_rows == CSV_ROWS);
  CHECK(cc.rows_checked == CSV_ROWS);
  collected_free(&got);
  sluice_connector_free(c);
}

typedef struct ndjson_check {
  int64_t next_id;
} ndjson_check;

static void check_ndjson_batch(const struct ArrowSchema *schema, const struct ArrowArray *batch,
                               void *ctx) {
  ndjson_check *nc = (ndjson_check *)ctx;
  int64_t ci = schema_child_index(schema, "id"), cl = schema_child_index(schema, "label"),
          cs = schema_child_index(schema, "score"), i;
  REQUIRE(ci >= 0 && cl >= 0 && cs >= 0);
  CHECK(strcmp(schema->children[cl]->format, "u") == 0);
  CHECK(strcmp(schema->children[cs]->format, "g") == 0);
  for (i = 0; i < batch->length; i++, nc->next_id++) {
    char label[32];
    int64_t id = value_int64(batch->children[ci], batch->offset, i);
    CHECK(id == nc->next_id);
    snprintf(label, sizeof label, "L%lld", (long long)id);
    CHECK(value_utf8_eq(batch->children[cl], batch->offset, i, label));
    if (id % 4 == 3) {
      CHECKF(!value_is_valid(batch->children[cs], batch->offset, i), "score of %lld not null",
             (long long)id);
    } else {
      CHECK(value_is_valid(batch->children[cs], batch->offset, i));
      CHECK(value_float64(batch->children[cs], batch->offset, i) == (double)id * 1.5);
    }
  }
}

static void test_read_ndjson(void) {
  char text[4096];
  size_t len = 0;
  int64_t id;
  sluice_connector *c;
  struct ArrowArrayStream stream;
  ndjson_check nc = {0};
  collected got;
  const char *kv[] = {"batch_size=7", NULL};
  static const int64_t lens[] = {7, 7, 6};
  for (id = 0; id < 20; id++) {
    if (id % 4 == 3) {
      len += (size_t)snprintf(text + len, sizeof text - len,
                              "{\"id\": %lld, \"label\": \"L%lld\", \"score\": null}\n",
                              (long long)id, (long long)id);
    } else {
      len += (size_t)snprintf(text + len, sizeof text - len,
                              "{\"id\": %lld, \"label\": \"L%lld\", \"score\": %.1f}\n",
                              (long long)id, (long long)id, (double)id * 1.5);
    }
  }
  c = open_connector(scratch_write("rows.ndjson", text), NULL);
  REQUIRE(c != NULL);
  REQUIRE(read_stream(c, kv, &stream) == 0);
  collect_stream(&stream, "id", check_ndjson_batch, &nc, &got);
  CHECKF(got.status == 0, "%s", got.error);
  check_batch_lens(&got, lens, 3);
  check_ids_sequential(&got, 0, 20);
  collected_free(&got);
  sluice_connector_free(c);
}

/* tests/c/data/small.parquet (tests/c/data/make_fixtures.py): 50 rows in
 * row groups of 20, id int64 = row, x float32 = row / 2, s utf8 = "s<row>",
 * maybe int32 = row, null where row % 5 == 0. */
static void check_parquet_batch(const struct ArrowSchema *schema, const struct ArrowArray *batch,
                                void *ctx) {
  int64_t *next = (int64_t *)ctx;
  int64_t ci = schema_child_index(schema, "id"), cx = schema_child_index(schema, "x"),
          cs = schema_child_index(schema, "s"), cm = schema_child_index(schema, "maybe"), i;
  REQUIRE(ci >= 0 && cx >= 0 && cs >= 0 && cm >= 0);
  CHECK(strcmp(schema->children[cx]->format, "f") == 0);
  CHECK(strcmp(schema->children[cm]->format, "i") == 0);
  CHECKF(strcmp(schema->children[cs]->format, "u") == 0, "s has format '%s'",
         schema->children[cs]->format);
  if (strcmp(schema->children[cs]->format, "u") != 0) return;
  CHECK(schema->children[cm]->flags & ARROW_FLAG_NULLABLE);
  for (i = 0; i < batch->length; i++, (*next)++) {
    char s[32];
    int64_t id = value_int64(batch->children[ci], batch->offset, i);
    CHECK(id == *next);
    CHECK(value_float32(batch->children[cx], batch->offset, i) == (float)id / 2.0f);
    snprintf(s, sizeof s, "s%lld", (long long)id);
    CHECK(value_utf8_eq(batch->children[cs], batch->offset, i, s));
    if (id % 5 == 0) {
      CHECK(!value_is_valid(batch->children[cm], batch->offset, i));
    } else {
      CHECK(value_is_valid(batch->children[cm], batch->offset, i));
      CHECK(value_int32(batch->children[cm], batch->offset, i) == (int32_t)id);
    }
  }
}

static void test_read_parquet_fixture(void) {
  char path[4096];
  struct stat st;
  sluice_connector *c;
  struct ArrowArrayStream stream;
  collected got;
  int64_t next = 0;
  uint64_t n_rows = 0;
  const char *kv[] = {"batch_size=16", NULL};
  static const int64_t lens[] = {16, 16, 16, 2};
  if (g_data_dir == NULL) {
    printf("  (skipped: no --data directory)\n");
    return;
  }
  snprintf(path, sizeof path, "%s/small.parquet", g_data_dir);
  if (stat(path, &st) != 0) {
    printf("  (skipped: %s not found)\n", path);
    return;
  }
  c = open_connector(path, NULL);
  REQUIRE(c != NULL);
  CHECK(sluice_connector_num_rows(c, &n_rows, NULL) == SLUICE_OK && n_rows == 50);
  REQUIRE(read_stream(c, kv, &stream) == 0);
  collect_stream(&stream, "id", check_parquet_batch, &next, &got);
  CHECKF(got.status == 0, "%s", got.error);
  check_batch_lens(&got, lens, 4);
  check_ids_sequential(&got, 0, 50);
  collected_free(&got);
  sluice_connector_free(c);
}

/* Batch hook: records whether the stream's schema has column "s" and how many columns. */
static void note_columns(const struct ArrowSchema *schema, const struct ArrowArray *batch,
                         void *ctx) {
  int64_t *seen = ctx, i;
  (void)batch;
  seen[0] = schema->n_children;
  for (i = 0; i < schema->n_children; i++) {
    if (strcmp(schema->children[i]->name, "s") == 0) seen[1] = 1;
  }
}

/* A dataset version made by the Python binding (tests/c/data/dataset_root, written by
 * make_dataset_fixture.py): its rows with their checksums verified, the version's exclude_cols
 * left out, and a version that does not exist. */
static void test_read_dataset_version(void) {
  char root[4096];
  const char *kv[] = {"batch_size=16", NULL};
  sluice_connector *c = NULL;
  struct ArrowArrayStream stream;
  collected got;
  int64_t sum = 0, i, seen[2] = {0, 0};
  sluice_source_options *opts;
  sluice_error *err = NULL;
  sluice_status st;
  if (g_data_dir == NULL) {
    printf("  (skipped: no --data directory)\n");
    return;
  }
  snprintf(root, sizeof root, "%s/dataset_root", g_data_dir);
  opts = sluice_source_options_new();
  REQUIRE(opts != NULL);

  st = sluice_connector_open_dataset(root, "events", "v1", 1, opts, &c, &err);
  REQUIRE(CHECK_STATUS(SLUICE_OK, st, err));
  REQUIRE(read_stream(c, kv, &stream) == 0);
  collect_stream(&stream, "id", note_columns, seen, &got);
  CHECKF(got.status == 0, "%s", got.error);
  CHECK(got.n_rows == 50);
  for (i = 0; i < got.n_rows; i++) sum += got.ids[i];
  CHECKF(sum == 1225, "ids 0..49 sum to 1225, got %lld", (long long)sum);
  CHECKF(seen[0] == 3 && seen[1] == 0, "exclude_cols s not left out: %lld columns",
         (long long)seen[0]);
  collected_free(&got);
  sluice_connector_free(c);

  c = NULL;
  st = sluice_connector_open_dataset(root, "events", "v9", 0, opts, &c, &err);
  CHECK_STATUS(SLUICE_NOT_FOUND, st, err);
  CHECK(c == NULL);
  CHECKF(has_text(err, "v9"), "message does not name the version: %s",
         err ? sluice_error_message(err) : "(none)");
  sluice_error_free(err);
  sluice_source_options_free(opts);
}

/* A Delta Lake table (tests/c/data/delta_table, written by deltalake): the latest version and
 * an older one through the `version` source option, and a version the log does not hold. */
static void test_read_delta_table(void) {
  char path[4096];
  const char *src = path;
  const char *older[] = {"version=1", NULL};
  const char *kv[] = {"batch_size=7", NULL};
  sluice_connector *c;
  struct ArrowArrayStream stream;
  collected got;
  uint64_t n_rows = 0;
  int64_t sum = 0, i;
  sluice_source_options *opts;
  sluice_error *err = NULL;
  sluice_status st;
  if (g_data_dir == NULL) {
    printf("  (skipped: no --data directory)\n");
    return;
  }
  snprintf(path, sizeof path, "%s/delta_table", g_data_dir);

  c = open_connector(path, NULL);
  REQUIRE(c != NULL);
  CHECK(sluice_connector_num_rows(c, &n_rows, NULL) == SLUICE_OK && n_rows == 40);
  REQUIRE(read_stream(c, kv, &stream) == 0);
  collect_stream(&stream, "id", NULL, NULL, &got);
  CHECKF(got.status == 0, "%s", got.error);
  CHECK(got.n_rows == 40);
  for (i = 0; i < got.n_rows; i++) sum += got.ids[i];
  CHECKF(sum == 1180, "ids 10..49 sum to 1180, got %lld", (long long)sum);
  collected_free(&got);
  sluice_connector_free(c);

  c = open_connector(path, older);
  REQUIRE(c != NULL);
  CHECK(sluice_connector_num_rows(c, &n_rows, NULL) == SLUICE_OK && n_rows == 50);
  sluice_connector_free(c);

  opts = sluice_source_options_new();
  REQUIRE(opts != NULL);
  CHECK(sluice_source_options_set(opts, "version", "7", NULL) == SLUICE_OK);
  c = NULL;
  st = sluice_connector_open(&src, 1, opts, &c, &err);
  CHECK_STATUS(SLUICE_NOT_FOUND, st, err);
  CHECK(c == NULL);
  CHECKF(has_text(err, "has no version 7"), "message does not name the version: %s",
         err ? sluice_error_message(err) : "(none)");
  sluice_error_free(err);
  sluice_source_options_free(opts);
}

static void test_projection(void) {
  sluice_connector *c = open_connector(csv_dir("csv"), NULL);
  struct ArrowArrayStream stream;
  struct ArrowSchema schema;
  sluice_read_options *opts;
  sluice_error *err = NULL;
  collected got;
  const char *kv[] = {"columns=name,id", "batch_size=1000", NULL};
  REQUIRE(c != NULL);
  if (read_stream(c, kv, &stream) == 0) {
    memset(&schema, 0, sizeof schema);
    if (stream.get_schema(&stream, &schema) == 0) {
      CHECK(schema.n_children == 2);
      if (schema.n_children == 2) {
        CHECK(strcmp(schema.children[0]->name, "name") == 0);
        CHECK(strcmp(schema.children[1]->name, "id") == 0);
      }
      schema.release(&schema);
    } else {
      CHECK(0);
    }
    collect_stream(&stream, "id", NULL, NULL, &got);
    check_ids_sequential(&got, 0, CSV_ROWS);
    collected_free(&got);
  }

  /* A JSON array works too. */
  {
    const char *kv2[] = {"columns=[\"flag\"]", NULL};
    if (read_stream(c, kv2, &stream) == 0) {
      memset(&schema, 0, sizeof schema);
      CHECK(stream.get_schema(&stream, &schema) == 0);
      CHECK(schema.n_children == 1 && strcmp(schema.children[0]->name, "flag") == 0);
      if (schema.release) schema.release(&schema);
      collect_stream(&stream, NULL, NULL, NULL, &got);
      CHECK(got.status == 0 && got.n_rows == CSV_ROWS);
      collected_free(&got);
    }
  }

  /* An unknown column is an error naming it, at read time; the stream
   * out-param is untouched. */
  opts = make_read_options(NULL);
  CHECK_STATUS(SLUICE_OK, sluice_read_options_set(opts, "columns", "id,no_such_column", &err), err);
  sluice_error_free(err);
  err = NULL;
  memset(&stream, 0xA5, sizeof stream);
  {
    struct ArrowArrayStream before;
    memcpy(&before, &stream, sizeof stream);
    CHECK_STATUS(SLUICE_INVALID_ARGUMENT, sluice_connector_read(c, opts, &stream, &err), err);
    CHECKF(has_text(err, "no_such_column"), "message does not name the column: %s",
           err ? sluice_error_message(err) : "(none)");
    CHECK(memcmp(&before, &stream, sizeof stream) == 0);
  }
  sluice_error_free(err);
  sluice_read_options_free(opts);
  sluice_connector_free(c);
}

static void test_batching_options(void) {
  collected got;
  {
    const char *kv[] = {"batch_size=64", "drop_last_batch=true", NULL};
    static const int64_t lens[] = {64, 64, 64};
    read_csv(kv, &got);
    CHECK(got.status == 0);
    check_batch_lens(&got, lens, 3);
    check_ids_sequential(&got, 0, 192);
    collected_free(&got);
  }
  {
    const char *kv[] = {"batch_size=64", "limit=100", NULL};
    static const int64_t lens[] = {64, 36};
    read_csv(kv, &got);
    CHECK(got.status == 0);
    check_batch_lens(&got, lens, 2);
    check_ids_sequential(&got, 0, 100);
    collected_free(&got);
  }
  {
    const char *kv[] = {"batch_size=250", NULL};
    static const int64_t lens[] = {250};
    read_csv(kv, &got);
    check_batch_lens(&got, lens, 1);
    collected_free(&got);
  }
  {
    const char *kv[] = {"batch_size=1", "limit=3", NULL};
    static const int64_t lens[] = {1, 1, 1};
    read_csv(kv, &got);
    check_batch_lens(&got, lens, 3);
    check_ids_sequential(&got, 0, 3);
    collected_free(&got);
  }
  {
    const char *kv[] = {"limit=0", NULL};
    read_csv(kv, &got);
    CHECK(got.status == 0);
    CHECK(got.n_batches == 0);
    collected_free(&got);
  }
}

static void test_shards(void) {
  /* off: contiguous ranges covering every row once, lengths 84, 83, 83. */
  int64_t next = 0, shard;
  for (shard = 0; shard < 3; shard++) {
    char idx[48];
    const char *kv[] = {"num_shards=3", idx, "batch_size=10", NULL};
    collected got;
    snprintf(idx, sizeof idx, "shard_index=%lld", (long long)shard);
    read_csv(kv, &got);
    CHECK(got.status == 0);
    CHECKF(got.n_rows == 83 || got.n_rows == 84, "shard %lld has %lld rows", (long long)shard,
           (long long)got.n_rows);
    check_ids_sequential(&got, next, got.n_rows);
    next += got.n_rows;
    collected_free(&got);
  }
  CHECK(next == CSV_ROWS);

  /* equal_shards=drop: floor(250/3) = 83 each; pad: ceil = 84 each. */
  for (shard = 0; shard < 3; shard++) {
    char idx[48];
    const char *drop[] = {"num_shards=3", idx, "equal_shards=drop", NULL};
    const char *pad[] = {"num_shards=3", idx, "equal_shards=pad", NULL};
    collected got;
    snprintf(idx, sizeof idx, "shard_index=%lld", (long long)shard);
    read_csv(drop, &got);
    CHECKF(got.n_rows == 83, "drop: shard %lld has %lld rows", (long long)shard,
           (long long)got.n_rows);
    collected_free(&got);
    read_csv(pad, &got);
    CHECKF(got.n_rows == 84, "pad: shard %lld has %lld rows", (long long)shard,
           (long long)got.n_rows);
    collected_free(&got);
  }
}

static int ids_equal(const collected *a, const collected *b) {
  return a->n_rows == b->n_rows &&
         (a->n_rows == 0 || memcmp(a->ids, b->ids, (size_t)a->n_rows * sizeof(int64_t)) == 0);
}

static int is_permutation_of_all_rows(const collected *c) {
  static unsigned char seen[CSV_ROWS];
  int64_t i;
  if (c->n_rows != CSV_ROWS) return 0;
  memset(seen, 0, sizeof seen);
  for (i = 0; i < c->n_rows; i++) {
    if (c->ids[i] < 0 || c->ids[i] >= CSV_ROWS || seen[c->ids[i]]) return 0;
    seen[c->ids[i]] = 1;
  }
  return 1;
}

static void test_shuffle_is_seeded(void) {
  const char *e0[] = {"shuffle=true",      "seed=7",        "epoch=0",
                      "shuffle_window=32", "batch_size=50", NULL};
  const char *e1[] = {"shuffle=true",      "seed=7",        "epoch=1",
                      "shuffle_window=32", "batch_size=50", NULL};
  const char *s8[] = {"shuffle=yes",       "seed=8",        "epoch=0",
                      "shuffle_window=32", "batch_size=50", NULL};
  collected a, b, c, d;
  read_csv(e0, &a);
  read_csv(e0, &b);
  read_csv(e1, &c);
  read_csv(s8, &d);
  CHECK(a.status == 0 && b.status == 0 && c.status == 0 && d.status == 0);
  CHECK(is_permutation_of_all_rows(&a));
  CHECK(is_permutation_of_all_rows(&c));
  CHECK(is_permutation_of_all_rows(&d));
  CHECKF(ids_equal(&a, &b), "same seed and epoch gave different orders");
  CHECKF(!ids_equal(&a, &c), "epoch 1 gave the order of epoch 0");
  CHECKF(!ids_equal(&a, &d), "seed 8 gave the order of seed 7");
  {
    int64_t i, in_order = 1;
    for (i = 0; i < a.n_rows; i++) in_order &= a.ids[i] == i;
    CHECKF(!in_order, "shuffle=true kept the rows in order");
  }
  collected_free(&a);
  collected_free(&b);
  collected_free(&c);
  collected_free(&d);
}

static void test_workers_interleave(void) {
  const char *all[] = {"shuffle=true", "seed=3",        "batch_size=16",
                       "num_shards=2", "shard_index=1", NULL};
  const char *w0[] = {"shuffle=true",  "seed=3",        "batch_size=16",  "num_shards=2",
                      "shard_index=1", "num_workers=2", "worker_index=0", NULL};
  const char *w1[] = {"shuffle=true",  "seed=3",        "batch_size=16",  "num_shards=2",
                      "shard_index=1", "num_workers=2", "worker_index=1", NULL};
  collected single, a, b;
  int64_t i, ia = 0, ib = 0, pos = 0, ok = 1;
  read_csv(all, &single);
  read_csv(w0, &a);
  read_csv(w1, &b);
  CHECK(single.status == 0 && a.status == 0 && b.status == 0);
  CHECK(a.n_rows + b.n_rows == single.n_rows);
  /* Round-robin: batch k of the single stream is batch k/2 of worker k%2. */
  for (i = 0; i < single.n_batches && ok; i++) {
    const collected *w = (i % 2 == 0) ? &a : &b;
    int64_t *wi = (i % 2 == 0) ? &ia : &ib, j;
    for (j = 0; j < single.batch_len[i]; j++) {
      if (*wi >= w->n_rows || w->ids[*wi] != single.ids[pos]) {
        ok = 0;
        break;
      }
      (*wi)++;
      pos++;
    }
  }
  CHECKF(ok, "interleaving the workers' batches differs from the single reader at row %lld",
         (long long)pos);
  collected_free(&single);
  collected_free(&a);
  collected_free(&b);
}

static void test_option_errors(void) {
  sluice_read_options *ro = sluice_read_options_new();
  sluice_source_options *so = sluice_source_options_new();
  sluice_error *err = NULL;
  sluice_status st;
  struct {
    const char *key, *value, *names;
  } bad_read[] = {
      {"bogus_key", "1", "bogus_key"},
      {"batch_size", "0", "batch_size"},
      {"batch_size", "abc", "batch_size"},
      {"batch_size", "-5", "batch_size"},
      {"shuffle", "maybe", "shuffle"},
      {"num_shards", "0", "num_shards"},
      {"equal_shards", "sometimes", "equal_shards"},
      {"memory_budget", "12 parsecs", "memory_budget"},
      {"Batch_Size", "64", "Batch_Size"},
  };
  struct {
    const char *key, *value, *names;
  } bad_source[] = {
      {"no_such_option", "x", "no_such_option"}, {"format", "excel", "format"},
      {"csv_delimiter", ";;", "csv_delimiter"},  {"csv_header", "perhaps", "csv_header"},
      {"schema", "a:int128", "schema"},
  };
  size_t i;
  REQUIRE(ro != NULL && so != NULL);
  for (i = 0; i < sizeof bad_read / sizeof bad_read[0]; i++) {
    st = sluice_read_options_set(ro, bad_read[i].key, bad_read[i].value, &err);
    CHECKF(st == SLUICE_INVALID_ARGUMENT, "read option %s=%s gave %s", bad_read[i].key,
           bad_read[i].value, status_name(st));
    CHECKF(err != NULL, "read option %s=%s: no error object", bad_read[i].key, bad_read[i].value);
    if (err != NULL) {
      CHECK(sluice_error_status(err) == st);
      CHECKF(has_text(err, bad_read[i].names), "message for %s=%s does not name it: %s",
             bad_read[i].key, bad_read[i].value, sluice_error_message(err));
    }
    sluice_error_free(err);
    err = NULL;
    /* The same failure with no error out-param. */
    CHECK(sluice_read_options_set(ro, bad_read[i].key, bad_read[i].value, NULL) ==
          SLUICE_INVALID_ARGUMENT);
  }
  for (i = 0; i < sizeof bad_source / sizeof bad_source[0]; i++) {
    st = sluice_source_options_set(so, bad_source[i].key, bad_source[i].value, &err);
    CHECKF(st == SLUICE_INVALID_ARGUMENT, "source option %s=%s gave %s", bad_source[i].key,
           bad_source[i].value, status_name(st));
    CHECKF(has_text(err, bad_source[i].names), "message for %s=%s does not name it: %s",
           bad_source[i].key, bad_source[i].value, err ? sluice_error_message(err) : "(none)");
    if (err != NULL) CHECK(sluice_error_status(err) == st);
    sluice_error_free(err);
    err = NULL;
    CHECK(sluice_source_options_set(so, bad_source[i].key, bad_source[i].value, NULL) ==
          SLUICE_INVALID_ARGUMENT);
  }
  /* Good values are accepted and do not touch *error. */
  CHECK_STATUS(SLUICE_OK, sluice_read_options_set(ro, "memory_budget", "512MiB", &err), err);
  CHECK(err == NULL);
  CHECK_STATUS(SLUICE_OK, sluice_read_options_set(ro, "drop_last_batch", "no", &err), err);
  CHECK_STATUS(SLUICE_OK, sluice_source_options_set(so, "csv_delimiter", "\\t", &err), err);
  CHECK_STATUS(SLUICE_OK, sluice_source_options_set(so, "format", "csv", &err), err);
  CHECK(err == NULL);
  sluice_error_free(err);
  sluice_read_options_free(ro);
  sluice_source_options_free(so);
}

static void test_shard_and_worker_index_out_of_range(void) {
  sluice_connector *c = open_connector(csv_dir("csv"), NULL);
  struct {
    const char *count_key, *count, *index_key, *index;
  } cases[] = {
      {"num_shards", "2", "shard_index", "2"},
      {"num_shards", "2", "shard_index", "7"},
      {"num_workers", "3", "worker_index", "3"},
  };
  size_t i;
  REQUIRE(c != NULL);
  for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    /* Set in both orders: the error may come from the setter (when the other
     * value is known) or from sluice_connector_read; it must come, name the
     * index option, and leave the stream out-param untouched. */
    int order;
    for (order = 0; order < 2; order++) {
      sluice_read_options *ro = sluice_read_options_new();
      sluice_error *err = NULL;
      sluice_status st = SLUICE_OK;
      struct ArrowArrayStream stream, before;
      if (order == 0) {
        st = sluice_read_options_set(ro, cases[i].count_key, cases[i].count, &err);
        if (st == SLUICE_OK)
          st = sluice_read_options_set(ro, cases[i].index_key, cases[i].index, &err);
      } else {
        st = sluice_read_options_set(ro, cases[i].index_key, cases[i].index, &err);
        if (st == SLUICE_OK)
          st = sluice_read_options_set(ro, cases[i].count_key, cases[i].count, &err);
      }
      if (st == SLUICE_OK) {
        memset(&stream, 0x5A, sizeof stream);
        memcpy(&before, &stream, sizeof stream);
        st = sluice_connector_read(c, ro, &stream, &err);
        if (st == SLUICE_OK) {
          stream.release(&stream);
        } else {
          CHECK(memcmp(&before, &stream, sizeof stream) == 0);
        }
      }
      CHECKF(st == SLUICE_INVALID_ARGUMENT, "%s=%s %s=%s (order %d) gave %s", cases[i].count_key,
             cases[i].count, cases[i].index_key, cases[i].index, order, status_name(st));
      CHECKF(has_text(err, cases[i].index_key), "message does not name %s: %s", cases[i].index_key,
             err ? sluice_error_message(err) : "(none)");
      sluice_error_free(err);
      sluice_read_options_free(ro);
    }
  }
  sluice_connector_free(c);
}

static void test_open_errors(void) {
  sluice_connector *c = (sluice_connector *)SENTINEL_PTR;
  sluice_error *err = NULL;
  sluice_status st;
  const char *missing = scratch_path("does-not-exist-4711.csv");
  const char *missing_dir = scratch_path("no-such-dir-4711");
  char glob[4200];
  const char *src;

  /* A missing file: SLUICE_NOT_FOUND, the message names the file, *out untouched. */
  st = sluice_connector_open(&missing, 1, NULL, &c, &err);
  CHECK_STATUS(SLUICE_NOT_FOUND, st, err);
  CHECK(c == (sluice_connector *)SENTINEL_PTR);
  CHECKF(has_text(err, "does-not-exist-4711.csv"), "message does not name the file: %s",
         err ? sluice_error_message(err) : "(none)");
  if (err) CHECK(sluice_error_status(err) == SLUICE_NOT_FOUND);
  sluice_error_free(err);
  err = NULL;

  /* The same with no error out-param. */
  CHECK(sluice_connector_open(&missing, 1, NULL, &c, NULL) == SLUICE_NOT_FOUND);
  CHECK(c == (sluice_connector *)SENTINEL_PTR);

  /* A missing directory, a glob that matches nothing. */
  st = sluice_connector_open(&missing_dir, 1, NULL, &c, &err);
  CHECK_STATUS(SLUICE_NOT_FOUND, st, err);
  CHECK(has_text(err, "no-such-dir-4711"));
  sluice_error_free(err);
  err = NULL;
  snprintf(glob, sizeof glob, "%s/*.nomatch.csv", csv_dir("csv"));
  src = glob;
  st = sluice_connector_open(&src, 1, NULL, &c, &err);
  CHECK_STATUS(SLUICE_NOT_FOUND, st, err);
  sluice_error_free(err);
  err = NULL;
  CHECK(c == (sluice_connector *)SENTINEL_PTR);

  /* An empty directory. */
  scratch_mkdir("empty-dir");
  src = scratch_path("empty-dir");
  st = sluice_connector_open(&src, 1, NULL, &c, &err);
  CHECK_STATUS(SLUICE_NOT_FOUND, st, err);
  sluice_error_free(err);
  err = NULL;

  /* One good and one missing source: the missing one is named. */
  {
    const char *two[2];
    two[0] = csv_dir("csv");
    two[1] = missing;
    st = sluice_connector_open(two, 2, NULL, &c, &err);
    CHECK_STATUS(SLUICE_NOT_FOUND, st, err);
    CHECK(has_text(err, "does-not-exist-4711.csv"));
    sluice_error_free(err);
    err = NULL;
  }

  /* A file that is not what its extension says. */
  src = scratch_write("not-really.parquet", "id,value\n1,2\n");
  st = sluice_connector_open(&src, 1, NULL, &c, &err);
  CHECK_STATUS(SLUICE_INVALID_DATA, st, err);
  CHECKF(has_text(err, "not-really.parquet"), "message does not name the file: %s",
         err ? sluice_error_message(err) : "(none)");
  sluice_error_free(err);
  err = NULL;
  CHECK(c == (sluice_connector *)SENTINEL_PTR);
}

static void test_null_arguments(void) {
  sluice_connector *c = (sluice_connector *)SENTINEL_PTR;
  sluice_connector *good = open_connector(csv_dir("csv"), NULL);
  sluice_read_options *ro = sluice_read_options_new();
  sluice_source_options *so = sluice_source_options_new();
  sluice_error *err = NULL;
  struct ArrowSchema schema;
  struct ArrowArrayStream stream;
  uint64_t n = 12345;
  const char *src = csv_dir("csv");
  const char *null_src = NULL;
  REQUIRE(good != NULL);

#define EXPECT_INVALID(call)                                                                      \
  do {                                                                                            \
    sluice_status st_ = (call);                                                                   \
    CHECKF(st_ == SLUICE_INVALID_ARGUMENT, "%s gave %s", #call, status_name(st_));                \
    CHECKF(                                                                                       \
        err != NULL && sluice_error_message(err) != NULL && sluice_error_message(err)[0] != '\0', \
        "%s: no error message", #call);                                                           \
    if (err) CHECK(sluice_error_status(err) == SLUICE_INVALID_ARGUMENT);                          \
    sluice_error_free(err);                                                                       \
    err = NULL;                                                                                   \
  } while (0)

  EXPECT_INVALID(sluice_connector_open(NULL, 1, NULL, &c, &err));
  EXPECT_INVALID(sluice_connector_open(&src, 0, NULL, &c, &err));
  EXPECT_INVALID(sluice_connector_open(&null_src, 1, NULL, &c, &err));
  EXPECT_INVALID(sluice_connector_open(&src, 1, NULL, NULL, &err));
  CHECK(c == (sluice_connector *)SENTINEL_PTR);

  memset(&schema, 0x3C, sizeof schema);
  EXPECT_INVALID(sluice_connector_schema(NULL, &schema, &err));
  EXPECT_INVALID(sluice_connector_schema(good, NULL, &err));
  {
    unsigned char expect[sizeof(struct ArrowSchema)];
    memset(expect, 0x3C, sizeof expect);
    CHECK(memcmp(&schema, expect, sizeof schema) == 0);
  }
  EXPECT_INVALID(sluice_connector_num_rows(NULL, &n, &err));
  EXPECT_INVALID(sluice_connector_num_rows(good, NULL, &err));
  CHECK(n == 12345);
  memset(&stream, 0x3C, sizeof stream);
  EXPECT_INVALID(sluice_connector_read(NULL, ro, &stream, &err));
  EXPECT_INVALID(sluice_connector_read(good, ro, NULL, &err));
  {
    unsigned char expect[sizeof(struct ArrowArrayStream)];
    memset(expect, 0x3C, sizeof expect);
    CHECK(memcmp(&stream, expect, sizeof stream) == 0);
  }

  EXPECT_INVALID(sluice_read_options_set(NULL, "batch_size", "1", &err));
  EXPECT_INVALID(sluice_read_options_set(ro, NULL, "1", &err));
  EXPECT_INVALID(sluice_read_options_set(ro, "batch_size", NULL, &err));
  EXPECT_INVALID(sluice_source_options_set(NULL, "format", "csv", &err));
  EXPECT_INVALID(sluice_source_options_set(so, NULL, "csv", &err));
  EXPECT_INVALID(sluice_source_options_set(so, "format", NULL, &err));

  /* Invalid UTF-8 in a key is an error, not a crash. */
  EXPECT_INVALID(sluice_read_options_set(ro, "batch\xff_size", "1", &err));
  EXPECT_INVALID(sluice_source_options_set(so, "\xfe\xff", "1", &err));

  /* NULL for the error out-param is accepted everywhere. */
  CHECK(sluice_connector_open(NULL, 1, NULL, &c, NULL) == SLUICE_INVALID_ARGUMENT);
  CHECK(sluice_connector_schema(NULL, &schema, NULL) == SLUICE_INVALID_ARGUMENT);
  CHECK(sluice_connector_read(good, ro, NULL, NULL) == SLUICE_INVALID_ARGUMENT);
  CHECK(sluice_read_options_set(ro, NULL, NULL, NULL) == SLUICE_INVALID_ARGUMENT);
#undef EXPECT_INVALID

  sluice_read_options_free(ro);
  sluice_source_options_free(so);
  sluice_connector_free(good);
}

static void test_success_leaves_error_alone(void) {
  sluice_connector *c = NULL;
  sluice_error *err = (sluice_error *)SENTINEL_PTR;
  const char *src = csv_dir("csv");
  uint64_t n = 0;
  CHECK(sluice_connector_open(&src, 1, NULL, &c, &err) == SLUICE_OK);
  CHECK(err == (sluice_error *)SENTINEL_PTR);
  REQUIRE(c != NULL);
  CHECK(sluice_connector_num_rows(c, &n, &err) == SLUICE_OK);
  CHECK(err == (sluice_error *)SENTINEL_PTR);
  sluice_connector_free(c);
}

static void test_stream_end_and_release(void) {
  sluice_connector *c = open_connector(csv_dir("csv"), NULL);
  struct ArrowArrayStream stream;
  struct ArrowArray batch;
  struct ArrowSchema schema;
  const char *kv[] = {"batch_size=100", NULL};
  int i, n_batches = 0, rc;
  REQUIRE(c != NULL);
  REQUIRE(read_stream(c, kv, &stream) == 0);
  CHECK(stream.get_schema != NULL && stream.get_next != NULL && stream.get_last_error != NULL);
  CHECK(stream.release != NULL);
  CHECK(stream.private_data != NULL);

  /* get_schema may be called more than once, each result owned by the caller. */
  for (i = 0; i < 2; i++) {
    memset(&schema, 0, sizeof schema);
    CHECK(stream.get_schema(&stream, &schema) == 0);
    CHECK(schema.release != NULL && strcmp(schema.format, "+s") == 0);
    if (schema.release) schema.release(&schema);
    CHECK(schema.release == NULL);
  }

  for (;;) {
    memset(&batch, 0, sizeof batch);
    rc = stream.get_next(&stream, &batch);
    CHECK(rc == 0);
    if (rc != 0 || batch.release == NULL) break;
    n_batches++;
    CHECK(batch.n_buffers == 1 && batch.buffers != NULL);
    batch.release(&batch);
    CHECK(batch.release == NULL);
  }
  CHECK(n_batches == 3);
  /* After the end, get_next keeps returning the end. */
  for (i = 0; i < 3; i++) {
    memset(&batch, 0x77, sizeof batch);
    rc = stream.get_next(&stream, &batch);
    CHECK(rc == 0);
    CHECK(batch.release == NULL);
  }
  /* A healthy stream's get_last_error is NULL or a string; calling it is fine. */
  (void)stream.get_last_error(&stream);
  stream.release(&stream);
  /* Release marks the stream released; a consumer never calls it twice. */
  CHECK(stream.release == NULL);
  sluice_connector_free(c);
}

static void test_stream_outlives_connector(void) {
  sluice_connector *c = open_connector(csv_dir("csv"), NULL);
  sluice_read_options *ro;
  struct ArrowArrayStream stream;
  sluice_error *err = NULL;
  collected got;
  csv_check cc = {"l", 0};
  REQUIRE(c != NULL);
  ro = make_read_options(NULL);
  sluice_read_options_set(ro, "batch_size", "30", NULL);
  REQUIRE(CHECK_STATUS(SLUICE_OK, sluice_connector_read(c, ro, &stream, &err), err));
  /* Free the parent and the options; then change nothing else and read. */
  sluice_connector_free(c);
  sluice_read_options_free(ro);
  collect_stream(&stream, "id", check_csv_batch, &cc, &got);
  CHECK(got.status == 0);
  CHECK(got.n_batches == 9);
  check_ids_sequential(&got, 0, CSV_ROWS);
  collected_free(&got);
}

static void test_options_copied_at_read(void) {
  sluice_connector *c = open_connector(csv_dir("csv"), NULL);
  sluice_read_options *ro = make_read_options(NULL);
  struct ArrowArrayStream stream;
  collected got;
  REQUIRE(c != NULL);
  sluice_read_options_set(ro, "batch_size", "125", NULL);
  REQUIRE(sluice_connector_read(c, ro, &stream, NULL) == SLUICE_OK);
  /* Changing the options afterwards does not change the open stream. */
  sluice_read_options_set(ro, "batch_size", "10", NULL);
  sluice_read_options_set(ro, "limit", "5", NULL);
  collect_stream(&stream, "id", NULL, NULL, &got);
  CHECK(got.n_batches == 2 && got.batch_len[0] == 125);
  check_ids_sequential(&got, 0, CSV_ROWS);
  collected_free(&got);
  sluice_read_options_free(ro);
  sluice_connector_free(c);
}

static void test_early_release(void) {
  sluice_connector *c = open_connector(csv_dir("csv"), NULL);
  struct ArrowArrayStream stream;
  struct ArrowSchema schema;
  struct ArrowArray first, second;
  const char *kv[] = {"batch_size=10", NULL};
  csv_check cc = {"l", 0};
  int64_t i;
  REQUIRE(c != NULL);

  /* Release a stream that was never read. */
  REQUIRE(read_stream(c, kv, &stream) == 0);
  stream.release(&stream);
  CHECK(stream.release == NULL);

  /* Read two batches, release the stream, then use the batches: arrays are
   * independent of the stream that produced them. */
  REQUIRE(read_stream(c, kv, &stream) == 0);
  memset(&schema, 0, sizeof schema);
  REQUIRE(stream.get_schema(&stream, &schema) == 0);
  memset(&first, 0, sizeof first);
  memset(&second, 0, sizeof second);
  REQUIRE(stream.get_next(&stream, &first) == 0 && first.release != NULL);
  REQUIRE(stream.get_next(&stream, &second) == 0 && second.release != NULL);
  stream.release(&stream);
  CHECK(stream.release == NULL);
  sluice_connector_free(c);

  check_csv_batch(&schema, &first, &cc);
  check_csv_batch(&schema, &second, &cc);
  CHECK(cc.rows_checked == 20);
  {
    int64_t ci = schema_child_index(&schema, "id");
    REQUIRE(ci >= 0);
    for (i = 0; i < 10; i++) {
      CHECK(value_int64(first.children[ci], first.offset, i) == i);
      CHECK(value_int64(second.children[ci], second.offset, i) == 10 + i);
    }
  }
  /* Children may be moved out and released separately (Arrow C Data
   * Interface "moving child arrays"); then the parent. */
  {
    struct ArrowArray moved = *second.children[0];
    second.children[0]->release = NULL;
    second.release(&second);
    CHECK(second.release == NULL);
    CHECK(moved.release != NULL);
    if (moved.release) {
      CHECK(moved.length == 10);
      moved.release(&moved);
      CHECK(moved.release == NULL);
    }
  }
  first.release(&first);
  schema.release(&schema);
}

/* A fragment that disappears after the connector was opened: the rows before
 * it arrive, then get_next fails with an errno code and a message. */
static void test_error_mid_stream_deleted_file(void) {
  char *a = csv_text(0, CSV_SPLIT, 1), *b = csv_text(CSV_SPLIT, CSV_ROWS, 1);
  sluice_connector *c;
  struct ArrowArrayStream stream;
  struct ArrowSchema schema;
  const char *kv[] = {"batch_size=10", "threads=1", NULL};
  int64_t rows_before_error = 0;
  int rc = 0, i;
  scratch_mkdir("vanishing");
  scratch_write("vanishing/part-0.csv", a);
  scratch_write("vanishing/part-1.csv", b);
  free(a);
  free(b);
  c = open_connector(scratch_path("vanishing"), NULL);
  REQUIRE(c != NULL);
  REQUIRE(remove(scratch_path("vanishing/part-1.csv")) == 0);
  REQUIRE(read_stream(c, kv, &stream) == 0);
  memset(&schema, 0, sizeof schema);
  CHECK(stream.get_schema(&stream, &schema) == 0);
  if (schema.release) schema.release(&schema);
  for (i = 0; i < 100; i++) {
    struct ArrowArray batch;
    memset(&batch, 0, sizeof batch);
    rc = stream.get_next(&stream, &batch);
    if (rc != 0) break;
    if (batch.release == NULL) break;
    rows_before_error += batch.length;
    batch.release(&batch);
  }
  CHECKF(rc != 0, "reading past a deleted file did not fail (%lld rows)",
         (long long)rows_before_error);
  CHECKF(rows_before_error == CSV_SPLIT,
         "%lld rows before the error, expected the %d rows of "
         "the file that is still there",
         (long long)rows_before_error, CSV_SPLIT);
  if (rc != 0) {
    const char *msg = stream.get_last_error(&stream);
    CHECKF(rc > 0, "get_next returned %d, expected a positive errno code", rc);
    CHECKF(msg != NULL && msg[0] != '\0', "get_last_error gave no message");
    CHECKF(msg != NULL && strstr(msg, "part-1.csv") != NULL,
           "get_last_error does not name the file: %s", msg ? msg : "(null)");
    /* The message stays valid until the next call on the stream. */
    CHECK(msg == NULL || strlen(msg) > 0);
  }
  stream.release(&stream);
  CHECK(stream.release == NULL);
  sluice_connector_free(c);
}

/* A file truncated after the connector was opened (its planned rows are no
 * longer there): an error, never silently fewer rows. */
static void test_error_mid_stream_truncated_file(void) {
  char *a = csv_text(0, CSV_SPLIT, 1), *b = csv_text(CSV_SPLIT, CSV_ROWS, 1);
  char *short_b = csv_text(CSV_SPLIT, CSV_SPLIT + 5, 1);
  sluice_connector *c;
  collected got;
  struct ArrowArrayStream stream;
  const char *kv[] = {"batch_size=10", NULL};
  scratch_mkdir("shrinking");
  scratch_write("shrinking/part-0.csv", a);
  scratch_write("shrinking/part-1.csv", b);
  c = open_connector(scratch_path("shrinking"), NULL);
  scratch_write("shrinking/part-1.csv", short_b);
  free(a);
  free(b);
  free(short_b);
  REQUIRE(c != NULL);
  REQUIRE(read_stream(c, kv, &stream) == 0);
  collect_stream(&stream, "id", NULL, NULL, &got);
  CHECKF(got.status != 0, "a truncated file gave %lld rows and no error", (long long)got.n_rows);
  CHECKF(got.status == 0 || got.error[0] != '\0', "no get_last_error message");
  CHECKF(got.n_rows >= CSV_SPLIT, "only %lld rows before the error", (long long)got.n_rows);
  collected_free(&got);
  sluice_connector_free(c);
}

/* A CSV file whose row 150 has the wrong number of fields: an error at open
 * (SLUICE_INVALID_DATA) or during the stream, naming the file, never rows
 * silently dropped. */
static void test_malformed_csv(void) {
  char *good = csv_text(0, 150, 1), *tail = csv_text(151, 200, 0);
  size_t n = strlen(good) + strlen(tail) + 64;
  char *text = (char *)malloc(n);
  const char *src, *kv[] = {"batch_size=20", NULL};
  sluice_connector *c = NULL;
  sluice_error *err = NULL;
  sluice_status st;
  REQUIRE(text != NULL);
  snprintf(text, n, "%s150,37.5,row-150,true,EXTRA\n%s", good, tail);
  free(good);
  free(tail);
  src = scratch_write("malformed.csv", text);
  free(text);
  st = sluice_connector_open(&src, 1, NULL, &c, &err);
  if (st != SLUICE_OK) {
    CHECK_STATUS(SLUICE_INVALID_DATA, st, err);
    CHECK(has_text(err, "malformed.csv"));
    sluice_error_free(err);
    return;
  }
  {
    struct ArrowArrayStream stream;
    collected got;
    REQUIRE(read_stream(c, kv, &stream) == 0);
    collect_stream(&stream, "id", NULL, NULL, &got);
    CHECKF(got.status != 0, "a malformed row was accepted (%lld rows)", (long long)got.n_rows);
    CHECKF(got.status == 0 || strstr(got.error, "malformed.csv") != NULL,
           "message does not name the file: %s", got.error);
    collected_free(&got);
  }
  sluice_connector_free(c);
}

/* A const connector is shared by several threads, each reading its shard. */
typedef struct shard_job {
  const sluice_connector *connector;
  int shard;
  collected got;
} shard_job;

static void *read_shard(void *arg) {
  shard_job *job = (shard_job *)arg;
  char idx[32];
  const char *kv[] = {"num_shards=4", idx, "batch_size=7", NULL};
  struct ArrowArrayStream stream;
  snprintf(idx, sizeof idx, "shard_index=%d", job->shard);
  if (read_stream(job->connector, kv, &stream) == 0) {
    collect_stream(&stream, "id", check_csv_batch, &(csv_check){"l", 0}, &job->got);
  } else {
    job->got.status = -1;
  }
  return NULL;
}

static void test_connector_shared_between_threads(void) {
  sluice_connector *c = open_connector(csv_dir("csv"), NULL);
  pthread_t threads[4];
  shard_job jobs[4];
  int i, round;
  REQUIRE(c != NULL);
  for (round = 0; round < 3; round++) {
    int64_t next = 0;
    memset(jobs, 0, sizeof jobs);
    for (i = 0; i < 4; i++) {
      jobs[i].connector = c;
      jobs[i].shard = i;
      REQUIRE(pthread_create(&threads[i], NULL, read_shard, &jobs[i]) == 0);
    }
    for (i = 0; i < 4; i++) pthread_join(threads[i], NULL);
    for (i = 0; i < 4; i++) {
      CHECK(jobs[i].got.status == 0);
      check_ids_sequential(&jobs[i].got, next, jobs[i].got.n_rows);
      next += jobs[i].got.n_rows;
      collected_free(&jobs[i].got);
    }
    CHECK(next == CSV_ROWS);
  }
  sluice_connector_free(c);
}

/* After fork(), a child (a DataLoader worker) opens and reads on its own. */
static void test_fork_child_reads(void) {
  sluice_connector *c = open_connector(csv_dir("csv"), NULL);
  collected got;
  struct ArrowArrayStream stream;
  const char *kv[] = {"batch_size=50", NULL};
  pid_t pid;
  int wstatus = 0;
  REQUIRE(c != NULL);
  /* The parent has used the library (its runtime is running). */
  REQUIRE(read_stream(c, kv, &stream) == 0);
  collect_stream(&stream, "id", NULL, NULL, &got);
  CHECK(got.n_rows == CSV_ROWS);
  collected_free(&got);

  fflush(NULL);
  pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    /* Child: reuse the inherited connector, and open a new one. */
    int failures_before = g_check_failures;
    sluice_connector *c2;
    alarm(60); /* a deadlock after fork kills the child instead of hanging */
    if (read_stream(c, kv, &stream) == 0) {
      collect_stream(&stream, "id", NULL, NULL, &got);
      CHECK(got.status == 0);
      check_ids_sequential(&got, 0, CSV_ROWS);
      collected_free(&got);
    }
    c2 = open_connector(csv_dir("csv"), NULL);
    if (c2 != NULL && read_stream(c2, kv, &stream) == 0) {
      collect_stream(&stream, "id", NULL, NULL, &got);
      CHECK(got.status == 0);
      check_ids_sequential(&got, 0, CSV_ROWS);
      collected_free(&got);
    }
    sluice_connector_free(c2);
    fflush(NULL);
    /* _exit: the child must not run the parent's exit handlers (nor the
     * leak checker over the parent's state). */
    _exit(g_check_failures == failures_before ? 0 : 3);
  }
  REQUIRE(waitpid(pid, &wstatus, 0) == pid);
  CHECKF(WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0, "forked child failed: %s %d",
         WIFSIGNALED(wstatus) ? "signal" : "exit status",
         WIFSIGNALED(wstatus) ? WTERMSIG(wstatus) : WEXITSTATUS(wstatus));
  /* The parent still works. */
  if (read_stream(c, kv, &stream) == 0) {
    collect_stream(&stream, "id", NULL, NULL, &got);
    check_ids_sequential(&got, 0, CSV_ROWS);
    collected_free(&got);
  }
  sluice_connector_free(c);
}

static void test_error_object_null(void) {
  /* Documented: NULL gives SLUICE_INVALID_ARGUMENT and "". */
  const char *msg = sluice_error_message(NULL);
  CHECK(sluice_error_status(NULL) == SLUICE_INVALID_ARGUMENT);
  CHECK(msg != NULL && msg[0] == '\0');
}

/* Sources are read in the order given; a glob's matches sorted by path. */
static void test_source_order_and_glob(void) {
  const char *two[2];
  char glob[4200];
  sluice_connector *c = NULL;
  sluice_error *err = NULL;
  struct ArrowArrayStream stream;
  collected got;
  int64_t i, ok = 1;
  csv_dir("csv");
  two[0] = scratch_path("csv/part-1.csv");
  two[1] = scratch_path("csv/part-0.csv");
  REQUIRE(CHECK_STATUS(SLUICE_OK, sluice_connector_open(two, 2, NULL, &c, &err), err));
  REQUIRE(read_stream(c, NULL, &stream) == 0);
  collect_stream(&stream, "id", NULL, NULL, &got);
  CHECK(got.n_rows == CSV_ROWS);
  for (i = 0; i < got.n_rows && ok; i++) {
    int64_t want = i < CSV_ROWS - CSV_SPLIT ? CSV_SPLIT + i : i - (CSV_ROWS - CSV_SPLIT);
    if (got.ids[i] != want) {
      CHECKF(0, "row %lld has id %lld, expected %lld", (long long)i, (long long)got.ids[i],
             (long long)want);
      ok = 0;
    }
  }
  collected_free(&got);
  sluice_connector_free(c);

  snprintf(glob, sizeof glob, "%s/part-*.csv", scratch_path("csv"));
  c = open_connector(glob, NULL);
  REQUIRE(c != NULL);
  REQUIRE(read_stream(c, NULL, &stream) == 0);
  collect_stream(&stream, "id", NULL, NULL, &got);
  check_ids_sequential(&got, 0, CSV_ROWS);
  collected_free(&got);
  sluice_connector_free(c);
}

static void test_csv_dialects(void) {
  sluice_connector *c;
  struct ArrowArrayStream stream;
  collected got;
  /* .tsv means tab-delimited; csv_header=false names columns itself. */
  c = open_connector(scratch_write("tabs.tsv", "id\tname\n1\ta\n2\tb\n"), NULL);
  if (c != NULL) {
    REQUIRE(read_stream(c, NULL, &stream) == 0);
    collect_stream(&stream, "id", NULL, NULL, &got);
    CHECK(got.status == 0 && got.n_rows == 2 && got.ids[0] == 1 && got.ids[1] == 2);
    collected_free(&got);
    sluice_connector_free(c);
  }
  {
    const char *opts[] = {"csv_header=false", "schema=id:int64,name:utf8", NULL};
    c = open_connector(scratch_write("noheader.csv", "7,x\n8,y\n9,z\n"), opts);
    if (c != NULL) {
      REQUIRE(read_stream(c, NULL, &stream) == 0);
      collect_stream(&stream, "id", NULL, NULL, &got);
      check_ids_sequential(&got, 7, 3);
      collected_free(&got);
      sluice_connector_free(c);
    }
  }
  {
    const char *opts[] = {"format=csv", "csv_delimiter=;", NULL};
    c = open_connector(scratch_write("semicolons.txt", "id;name\n3;\"a;b\"\n4;c\n"), opts);
    if (c != NULL) {
      REQUIRE(read_stream(c, NULL, &stream) == 0);
      collect_stream(&stream, "id", NULL, NULL, &got);
      check_ids_sequential(&got, 3, 2);
      collected_free(&got);
      sluice_connector_free(c);
    }
  }
  /* A header-only file has no rows and no batches. */
  {
    const char *opts[] = {"schema=id:int64,name:utf8", NULL};
    uint64_t n = 99;
    c = open_connector(scratch_write("empty.csv", "id,name\n"), opts);
    if (c != NULL) {
      CHECK(sluice_connector_num_rows(c, &n, NULL) == SLUICE_OK && n == 0);
      REQUIRE(read_stream(c, NULL, &stream) == 0);
      collect_stream(&stream, "id", NULL, NULL, &got);
      CHECK(got.status == 0 && got.n_batches == 0);
      collected_free(&got);
      sluice_connector_free(c);
    }
  }
}

/* Files that disagree on the schema: SLUICE_SCHEMA_MISMATCH naming the file
 * and the column. */
static void test_schema_mismatch(void) {
  const char *src;
  sluice_connector *c = (sluice_connector *)SENTINEL_PTR;
  sluice_error *err = NULL;
  scratch_mkdir("mismatch");
  scratch_write("mismatch/a.csv", "id,name\n1,x\n");
  scratch_write("mismatch/b.csv", "id,label\n2,y\n");
  src = scratch_path("mismatch");
  CHECK_STATUS(SLUICE_SCHEMA_MISMATCH, sluice_connector_open(&src, 1, NULL, &c, &err), err);
  CHECK(c == (sluice_connector *)SENTINEL_PTR);
  CHECKF(has_text(err, "b.csv"), "message does not name the file: %s",
         err ? sluice_error_message(err) : "(none)");
  CHECKF(has_text(err, "label") || has_text(err, "name"), "message does not name the column: %s",
         err ? sluice_error_message(err) : "(none)");
  sluice_error_free(err);
}

/* A budget smaller than one batch still makes progress (one batch at a time);
 * a shuffle window that cannot fit the budget is refused up front, naming
 * the options, or read within it. Never a hang. */
static void test_tiny_memory_budget(void) {
  const char *kv[] = {"memory_budget=1", "batch_size=64", "threads=4", NULL};
  collected got;
  sluice_connector *c;
  read_csv(kv, &got);
  CHECK(got.status == 0);
  check_ids_sequential(&got, 0, CSV_ROWS);
  collected_free(&got);

  c = open_connector(csv_dir("csv"), NULL);
  REQUIRE(c != NULL);
  {
    const char *kv2[] = {"memory_budget=1KiB", "shuffle=true", "shuffle_window=1000", NULL};
    sluice_read_options *ro = make_read_options(kv2);
    sluice_error *err = NULL;
    struct ArrowArrayStream stream;
    sluice_status st = sluice_connector_read(c, ro, &stream, &err);
    if (st == SLUICE_OK) {
      collect_stream(&stream, "id", NULL, NULL, &got);
      CHECK(got.status == 0);
      CHECK(is_permutation_of_all_rows(&got));
      collected_free(&got);
    } else {
      CHECK_STATUS(SLUICE_INVALID_ARGUMENT, st, err);
      CHECKF(has_text(err, "memory_budget") && has_text(err, "shuffle_window"),
             "message does not name the options: %s", err ? sluice_error_message(err) : "(none)");
    }
    sluice_error_free(err);
    sluice_read_options_free(ro);
  }
  sluice_connector_free(c);
}

/* After an error, further get_next calls keep failing (or end); they never
 * crash, and release still works. */
static void test_get_next_after_error(void) {
  char *a = csv_text(0, 20, 1);
  sluice_connector *c;
  struct ArrowArrayStream stream;
  const char *kv[] = {"batch_size=5", NULL};
  int i, rc = 0;
  scratch_mkdir("gone");
  scratch_write("gone/a.csv", a);
  free(a);
  c = open_connector(scratch_path("gone"), NULL);
  REQUIRE(c != NULL);
  REQUIRE(remove(scratch_path("gone/a.csv")) == 0);
  REQUIRE(read_stream(c, kv, &stream) == 0);
  sluice_connector_free(c);
  for (i = 0; i < 3; i++) {
    struct ArrowArray batch;
    memset(&batch, 0, sizeof batch);
    rc = stream.get_next(&stream, &batch);
    if (rc == 0 && batch.release != NULL) batch.release(&batch);
    CHECKF(rc != 0, "get_next call %d after the file vanished returned 0", i);
    if (rc != 0) {
      const char *msg = stream.get_last_error(&stream);
      CHECK(msg != NULL && strstr(msg, "a.csv") != NULL);
    }
  }
  stream.release(&stream);
  CHECK(stream.release == NULL);
}

/* A value holding a NUL byte in a row that fails to parse mid-stream: the
 * error message (which quotes the value) must still come through
 * get_last_error, not abort or panic (arrow-rs' own stream export panics on
 * an interior NUL). The file is rewritten after open with as many rows. */
static void test_stream_error_with_nul_byte(void) {
  const char *opts[] = {"schema=id:int64,name:utf8", NULL};
  static const char bad[] = "id,name\n1,a\n2,b\n3\0x,c\n";
  sluice_connector *c;
  struct ArrowArrayStream stream;
  collected got;
  FILE *f;
  c = open_connector(scratch_write("nul.csv", "id,name\n1,a\n2,b\n3,c\n"), opts);
  REQUIRE(c != NULL);
  f = fopen(scratch_path("nul.csv"), "wb");
  REQUIRE(f != NULL);
  CHECK(fwrite(bad, 1, sizeof bad - 1, f) == sizeof bad - 1);
  fclose(f);
  REQUIRE(read_stream(c, NULL, &stream) == 0);
  collect_stream(&stream, "id", NULL, NULL, &got);
  CHECKF(got.status != 0, "a NUL in an int64 column was accepted (%lld rows)",
         (long long)got.n_rows);
  CHECKF(strstr(got.error, "nul.csv") != NULL, "message does not name the file: %s", got.error);
  collected_free(&got);
  sluice_connector_free(c);
}

/* A Parquet file whose footer is valid but whose second row group is garbage:
 * the error comes from get_next after the first batch, with EBADMSG, and
 * sluice_stream_last_error gives its status (SLUICE_INVALID_DATA) and a
 * message naming the file. */
static void test_stream_error_status(void) {
  char path[4096];
  sluice_connector *c;
  struct ArrowArrayStream stream;
  struct ArrowArray batch;
  sluice_error *last = (sluice_error *)&stream, *err = NULL;
  const char *kv[] = {"batch_size=20", "threads=1", NULL};
  int rc;
  REQUIRE(g_data_dir != NULL);
  snprintf(path, sizeof path, "%s/corrupt_pages.parquet", g_data_dir);
  c = open_connector(path, NULL);
  REQUIRE(c != NULL);
  REQUIRE(read_stream(c, kv, &stream) == 0);
  sluice_connector_free(c);

  /* no error yet: SLUICE_OK and NULL */
  CHECK_STATUS(SLUICE_OK, sluice_stream_last_error(&stream, &last, &err), err);
  CHECK(last == NULL);

  memset(&batch, 0, sizeof batch);
  REQUIRE(stream.get_next(&stream, &batch) == 0);
  CHECK(batch.release != NULL && batch.length == 20);
  if (batch.release != NULL) batch.release(&batch);

  memset(&batch, 0, sizeof batch);
  rc = stream.get_next(&stream, &batch);
  CHECKF(rc == EBADMSG, "get_next returned %d for a corrupt page, not EBADMSG (%d)", rc, EBADMSG);
  CHECK(batch.release == NULL);
  CHECK_STATUS(SLUICE_OK, sluice_stream_last_error(&stream, &last, &err), err);
  REQUIRE(last != NULL);
  CHECKF(sluice_error_status(last) == SLUICE_INVALID_DATA, "status %s",
         status_name(sluice_error_status(last)));
  CHECKF(strstr(sluice_error_message(last), "corrupt_pages.parquet") != NULL, "message: %s",
         sluice_error_message(last));
  CHECK(strcmp(sluice_error_message(last), stream.get_last_error(&stream)) == 0);
  sluice_error_free(last);

  stream.release(&stream);
  /* a released stream: an error, and `out` is left alone */
  last = (sluice_error *)&stream;
  CHECK_STATUS(SLUICE_INVALID_ARGUMENT, sluice_stream_last_error(&stream, &last, &err), err);
  CHECK(last == (sluice_error *)&stream);
  CHECK(strstr(sluice_error_message(err), "released") != NULL);
  sluice_error_free(err);
  err = NULL;
}

static void foreign_release(struct ArrowArrayStream *stream) { stream->release = NULL; }

/* A stream some other library produced is recognised, never read as ours. */
static void test_stream_last_error_of_a_foreign_stream(void) {
  struct ArrowArrayStream foreign;
  sluice_error *last = NULL, *err = NULL;
  int marker = 7;
  memset(&foreign, 0, sizeof foreign);
  foreign.release = foreign_release;
  foreign.private_data = &marker;
  CHECK_STATUS(SLUICE_INVALID_ARGUMENT, sluice_stream_last_error(&foreign, &last, &err), err);
  CHECK(last == NULL);
  CHECKF(strstr(sluice_error_message(err), "not produced by sluice") != NULL, "message: %s",
         sluice_error_message(err));
  sluice_error_free(err);
  err = NULL;
  CHECK(sluice_stream_last_error(NULL, &last, NULL) == SLUICE_INVALID_ARGUMENT);
  CHECK(sluice_stream_last_error(&foreign, NULL, NULL) == SLUICE_INVALID_ARGUMENT);
  CHECK(marker == 7);
  foreign.release(&foreign);
}

/* sluice_connector_count_rows: the rows a read with the same options emits,
 * without reading data. */
static void test_count_rows_matches_stream(void) {
  static const char *const cases[][8] = {
      {NULL},
      {"batch_size=64", "drop_last_batch=true", NULL},
      {"limit=100", NULL},
      {"num_shards=3", "shard_index=2", NULL},
      {"num_shards=3", "shard_index=1", "equal_shards=drop", NULL},
      {"num_shards=3", "shard_index=1", "equal_shards=pad", NULL},
      {"num_shards=2", "shard_index=1", "num_workers=3", "worker_index=2", "batch_size=10", NULL},
      {"shuffle=true", "num_shards=4", "shard_index=3", "batch_size=9", "drop_last_batch=1", NULL},
  };
  sluice_connector *c = open_connector(csv_dir("csv"), NULL);
  size_t i;
  REQUIRE(c != NULL);
  for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    sluice_read_options *ro = make_read_options(cases[i]);
    sluice_error *err = NULL;
    uint64_t n = 0;
    struct ArrowArrayStream stream;
    collected got;
    if (!CHECK_STATUS(SLUICE_OK, sluice_connector_count_rows(c, ro, &n, &err), err)) {
      sluice_error_free(err);
      sluice_read_options_free(ro);
      continue;
    }
    if (sluice_connector_read(c, ro, &stream, NULL) == SLUICE_OK) {
      collect_stream(&stream, "id", NULL, NULL, &got);
      CHECKF((int64_t)n == got.n_rows, "case %zu (%s ...): count_rows %llu, stream %lld rows", i,
             cases[i][0] ? cases[i][0] : "defaults", (unsigned long long)n, (long long)got.n_rows);
      collected_free(&got);
    }
    sluice_read_options_free(ro);
  }
  {
    uint64_t n = 4711;
    sluice_error *err = NULL;
    sluice_read_options *ro = make_read_options(NULL);
    sluice_read_options_set(ro, "num_shards", "2", NULL);
    sluice_read_options_set(ro, "shard_index", "2", NULL);
    CHECK_STATUS(SLUICE_INVALID_ARGUMENT, sluice_connector_count_rows(c, ro, &n, &err), err);
    CHECK(has_text(err, "shard_index"));
    CHECK(n == 4711);
    sluice_error_free(err);
    sluice_read_options_free(ro);
    CHECK(sluice_connector_count_rows(NULL, NULL, &n, NULL) == SLUICE_INVALID_ARGUMENT);
    CHECK(sluice_connector_count_rows(c, NULL, NULL, NULL) == SLUICE_INVALID_ARGUMENT);
    CHECK(n == 4711);
  }
  sluice_connector_free(c);

  /* "Reads no data": it answers even when the files are gone. */
  {
    char *a = csv_text(0, 30, 1);
    uint64_t n = 0;
    scratch_mkdir("count-gone");
    scratch_write("count-gone/a.csv", a);
    free(a);
    c = open_connector(scratch_path("count-gone"), NULL);
    REQUIRE(c != NULL);
    REQUIRE(remove(scratch_path("count-gone/a.csv")) == 0);
    CHECK(sluice_connector_count_rows(c, NULL, &n, NULL) == SLUICE_OK && n == 30);
    sluice_connector_free(c);
  }
}

/* ---- logging ---------------------------------------------------------------
 * Lines the log callback received, kept under a mutex: the library calls it
 * from its own I/O threads too. */

typedef struct log_lines {
  pthread_mutex_t lock;
  int count;
  char text[16][512]; /* "<level> <target>: <message>", the first 16 */
} log_lines;

static void collect_log_line(sluice_log_level level, const char *target, const char *message,
                             void *user_data) {
  log_lines *lines = (log_lines *)user_data;
  pthread_mutex_lock(&lines->lock);
  if (lines->count < 16) {
    snprintf(lines->text[lines->count], sizeof lines->text[0], "%u %s: %s", level, target, message);
  }
  lines->count++;
  pthread_mutex_unlock(&lines->lock);
}

/* The first line that holds every one of the NULL-terminated `words`, or NULL. */
static const char *log_line_with(log_lines *lines, const char *const *words) {
  int i, k;
  for (i = 0; i < lines->count && i < 16; i++) {
    int all = 1;
    for (k = 0; words[k] != NULL; k++) all &= strstr(lines->text[i], words[k]) != NULL;
    if (all) return lines->text[i];
  }
  return NULL;
}

static void read_all_rows(sluice_connector *c, const char *const *kv, int64_t expected_rows) {
  struct ArrowArrayStream stream;
  collected got;
  if (read_stream(c, kv, &stream) == 0) {
    collect_stream(&stream, "id", NULL, NULL, &got);
    CHECK(got.status == 0);
    CHECKF(got.n_rows == expected_rows, "%lld rows", (long long)got.n_rows);
    collected_free(&got);
  }
}

/* A registered callback receives what a connector opened and what a read
 * planned (at INFO, as key=value fields); a stricter level, and NULL, stop it. */
static void test_log_callback(void) {
  static log_lines lines; /* static: a late call from another thread finds it */
  const char *kv[] = {"batch_size=50", "num_shards=2", "shard_index=1", NULL};
  const char *const opened[] = {"3 sluice::open: connector opened",
                                " files=2 ",
                                "formats=csv:2",
                                " fragments=2 ",
                                " rows=250 ",
                                NULL};
  const char *const planned[] = {"3 sluice::read: planned a read",
                                 " rows=125 ",
                                 " rows_total=250 ",
                                 " files=2 ",
                                 " fragments=2 ",
                                 " shard=1/2 ",
                                 " worker=0/1 ",
                                 " batch_size=50 ",
                                 " shuffle=false",
                                 NULL};
  sluice_connector *c;
  sluice_error *err = NULL;
  int seen;
  memset(&lines, 0, sizeof lines);
  pthread_mutex_init(&lines.lock, NULL);

  REQUIRE(CHECK_STATUS(
      SLUICE_OK, sluice_log_set_callback(collect_log_line, SLUICE_LOG_INFO, &lines, &err), err));
  c = open_connector(csv_dir("csv"), NULL);
  if (c != NULL) {
    read_all_rows(c, kv, 125);
    sluice_log_flush(); /* records arrive on the library's delivery thread */
    pthread_mutex_lock(&lines.lock);
    CHECKF(log_line_with(&lines, opened) != NULL, "no 'opened' line among %d: %s", lines.count,
           lines.text[0]);
    CHECKF(log_line_with(&lines, planned) != NULL, "no 'planned' line among %d: %s", lines.count,
           lines.count > 1 ? lines.text[1] : "");
    seen = lines.count;
    pthread_mutex_unlock(&lines.lock);

    /* Above the level: nothing more. */
    CHECK_STATUS(SLUICE_OK, sluice_log_set_level(SLUICE_LOG_WARN, &err), err);
    read_all_rows(c, kv, 125);
    sluice_log_flush(); /* records arrive on the library's delivery thread */
    pthread_mutex_lock(&lines.lock);
    CHECKF(lines.count == seen, "%d lines at WARN, %d before", lines.count, seen);
    pthread_mutex_unlock(&lines.lock);

    /* Unregistered (the level kept is INFO again): nothing either. */
    CHECK_STATUS(SLUICE_OK, sluice_log_set_level(SLUICE_LOG_INFO, &err), err);
    CHECK_STATUS(SLUICE_OK, sluice_log_set_callback(NULL, SLUICE_LOG_INFO, NULL, &err), err);
    read_all_rows(c, kv, 125);
    sluice_log_flush(); /* records arrive on the library's delivery thread */
    pthread_mutex_lock(&lines.lock);
    CHECKF(lines.count == seen, "%d lines without a callback, %d before", lines.count, seen);
    pthread_mutex_unlock(&lines.lock);
    sluice_connector_free(c);
  }

  /* A level that does not exist is refused, naming the argument. */
  CHECK_STATUS(SLUICE_INVALID_ARGUMENT, sluice_log_set_level(6, &err), err);
  CHECK(err != NULL && strstr(sluice_error_message(err), "max_level") != NULL);
  sluice_error_free(err);
  err = NULL;
  CHECK(sluice_log_set_callback(collect_log_line, 99, &lines, NULL) == SLUICE_INVALID_ARGUMENT);
  CHECK(sluice_log_set_callback(NULL, SLUICE_LOG_OFF, NULL, NULL) == SLUICE_OK);
}

/* sluice_connector_read_into: the library's threads write id, value and flag
 * into caller memory, in the order the plain stream emits the rows; the stream
 * carries the string column and counts every row. */
static void test_read_into_targets(void) {
  const char *kv[] = {"shuffle=true", "seed=5", "shuffle_window=60", "batch_size=16", NULL};
  sluice_connector *c = open_connector(csv_dir("csv"), NULL);
  sluice_read_options *ro = make_read_options(kv);
  struct ArrowArrayStream stream;
  struct ArrowSchema schema;
  collected plain, rest;
  int64_t ids[CSV_ROWS + 1];
  double values[CSV_ROWS];
  uint8_t flags[CSV_ROWS], flag_mask[CSV_ROWS] = {0};
  uint64_t id_nulls = 0;
  sluice_column_target targets[3] = {
      {"id", ids, CSV_ROWS + 1, NULL, &id_nulls},
      {"value", values, CSV_ROWS, NULL, NULL},
      {"flag", flags, CSV_ROWS, flag_mask, NULL},
  };
  sluice_error *err = NULL;
  int64_t i;
  REQUIRE(c != NULL);
  ids[CSV_ROWS] = -7;
  REQUIRE(read_stream(c, kv, &stream) == 0);
  collect_stream(&stream, "id", NULL, NULL, &plain);
  if (CHECK_STATUS(SLUICE_OK, sluice_connector_read_into(c, ro, targets, 3, &stream, &err), err)) {
    REQUIRE(stream.get_schema(&stream, &schema) == 0);
    CHECKF(schema.n_children == 1 && strcmp(schema.children[0]->name, "name") == 0,
           "the stream carries the column without a target only (%lld columns)",
           (long long)schema.n_children);
    schema.release(&schema);
    collect_stream(&stream, NULL, NULL, NULL, &rest);
    CHECK(rest.status == 0 && rest.n_rows == CSV_ROWS);
    CHECK(plain.n_rows == CSV_ROWS);
    for (i = 0; i < CSV_ROWS && i < plain.n_rows; i++) {
      CHECKF(ids[i] == plain.ids[i], "row %lld: id %lld, the stream has %lld", (long long)i,
             (long long)ids[i], (long long)plain.ids[i]);
      CHECK(values[i] == row_value(ids[i]));
      CHECK(flags[i] == row_flag(ids[i]) && flag_mask[i] == 0);
    }
    CHECKF(ids[CSV_ROWS] == -7, "written past the read's rows");
    CHECK(id_nulls == 0);
    collected_free(&rest);
  }
  collected_free(&plain);
  sluice_error_free(err);
  err = NULL;

  /* a string column has no fixed-width values; a target too small for the read */
  targets[0].column = "name";
  CHECK_STATUS(SLUICE_UNSUPPORTED, sluice_connector_read_into(c, ro, targets, 1, &stream, &err),
               err);
  CHECK(has_text(err, "'name'"));
  sluice_error_free(err);
  err = NULL;
  targets[1].rows = CSV_ROWS - 1;
  CHECK_STATUS(SLUICE_INVALID_ARGUMENT,
               sluice_connector_read_into(c, ro, targets + 1, 1, &stream, &err), err);
  CHECK(has_text(err, "'value' holds 249 rows"));
  sluice_error_free(err);
  CHECK(sluice_connector_read_into(c, ro, NULL, 1, &stream, NULL) == SLUICE_INVALID_ARGUMENT);
  sluice_read_options_free(ro);

  /* the schema of a read, without reading */
  {
    const char *cols[] = {"columns=name,id", NULL};
    ro = make_read_options(cols);
    if (CHECK_STATUS(SLUICE_OK, sluice_connector_read_schema(c, ro, &schema, NULL), NULL)) {
      CHECK(schema.n_children == 2 && strcmp(schema.children[0]->name, "name") == 0 &&
            strcmp(schema.children[1]->name, "id") == 0);
      schema.release(&schema);
    }
    sluice_read_options_free(ro);
  }
  sluice_connector_free(c);
}

/* Reads `consumed` batches, takes the stream's position, and resumes from it in a new
 * stream: the rest must be the uninterrupted read's remaining ids, batch for batch. */
static void test_resume_mid_epoch(void) {
  const char *kv[] = {"shuffle=true", "seed=11", "shuffle_window=40", "batch_size=16", NULL};
  sluice_connector *c = open_connector(csv_dir("csv"), NULL);
  struct ArrowArrayStream stream;
  collected all, rest;
  char *token = NULL, option[1024];
  sluice_error *err = NULL;
  int64_t consumed = 0, b;
  REQUIRE(c != NULL);
  REQUIRE(read_stream(c, kv, &stream) == 0);
  collect_stream(&stream, "id", NULL, NULL, &all);
  REQUIRE(all.status == 0 && all.n_rows == CSV_ROWS);

  REQUIRE(read_stream(c, kv, &stream) == 0);
  for (b = 0; b < 5; b++) {
    struct ArrowArray array;
    REQUIRE(stream.get_next(&stream, &array) == 0 && array.release != NULL);
    consumed += array.length;
    array.release(&array);
  }
  CHECK_STATUS(SLUICE_OK, sluice_stream_position(&stream, 0, &token, &err), err);
  REQUIRE(token != NULL);
  CHECKF(strncmp(token, "sluice-pos-1:", 13) == 0, "token %s", token);
  CHECK(sluice_stream_position(&stream, (uint64_t)consumed + 1, &token, &err) ==
        SLUICE_INVALID_ARGUMENT);
  CHECK(has_text(err, "unconsumed"));
  sluice_error_free(err);
  err = NULL;
  stream.release(&stream);
  CHECK(sluice_stream_position(&stream, 0, &token, NULL) == SLUICE_INVALID_ARGUMENT);
  CHECK(sluice_stream_position(NULL, 0, &token, NULL) == SLUICE_INVALID_ARGUMENT);

  snprintf(option, sizeof option, "resume_from=%s", token);
  {
    const char *resumed[] = {kv[0], kv[1], kv[2], kv[3], option, NULL};
    const char *other_seed[] = {kv[0], "seed=12", kv[2], kv[3], option, NULL};
    const char *two_workers[] = {kv[0], kv[1], kv[2], kv[3], "num_workers=2", option, NULL};
    struct ArrowArrayStream refused;
    sluice_read_options *ro;
    REQUIRE(read_stream(c, resumed, &stream) == 0);
    collect_stream(&stream, "id", NULL, NULL, &rest);
    CHECK(rest.status == 0);
    CHECKF(rest.n_rows == all.n_rows - consumed, "%lld rows after resuming at %lld",
           (long long)rest.n_rows, (long long)consumed);
    CHECK(rest.n_rows == all.n_rows - consumed &&
          memcmp(rest.ids, all.ids + consumed, (size_t)rest.n_rows * sizeof(int64_t)) == 0);
    for (b = 0; b < rest.n_batches; b++) CHECK(rest.batch_len[b] == all.batch_len[b + 5]);
    collected_free(&rest);

    ro = make_read_options(other_seed);
    CHECK(sluice_connector_read(c, ro, &refused, &err) == SLUICE_INVALID_ARGUMENT);
    CHECKF(has_text(err, "'seed' (token: 11, this read: 12)"), "%s", sluice_error_message(err));
    sluice_error_free(err);
    err = NULL;
    sluice_read_options_free(ro);
    ro = make_read_options(two_workers);
    CHECK(sluice_connector_read(c, ro, &refused, &err) == SLUICE_INVALID_ARGUMENT);
    CHECKF(has_text(err, "worker 0 of 2"), "%s", sluice_error_message(err));
    sluice_error_free(err);
    sluice_read_options_free(ro);
  }
  sluice_string_free(token);
  sluice_string_free(NULL);
  collected_free(&all);
  sluice_connector_free(c);
}

/* ======================= driver =========================================== */

typedef struct test_case {
  const char *name;
  void (*fn)(void);
} test_case;

/* ---- stream sources: sluice_connector_from_arrow_stream ------------------ */

/* A caller's stream that gives the first `good_batches` batches of an inner
 * stream, then fails as a producer whose database went away. */
typedef struct failing_producer {
  struct ArrowArrayStream inner;
  int good_batches;
} failing_producer;

static int failing_get_schema(struct ArrowArrayStream *s, struct ArrowSchema *out) {
  failing_producer *p = (failing_producer *)s->private_data;
  return p->inner.get_schema(&p->inner, out);
}
static int failing_get_next(struct ArrowArrayStream *s, struct ArrowArray *out) {
  failing_producer *p = (failing_producer *)s->private_data;
  if (p->good_batches-- <= 0) return EIO;
  return p->inner.get_next(&p->inner, out);
}
static const char *failing_get_last_error(struct ArrowArrayStream *s) {
  (void)s;
  return "the database went away";
}
static void failing_release(struct ArrowArrayStream *s) {
  failing_producer *p = (failing_producer *)s->private_data;
  p->inner.release(&p->inner);
  free(p);
  s->release = NULL;
}

/* A connector over a caller's stream (here: a CSV read handed over as an Arrow
 * C stream). The first ordered pass streams from it; shuffles, shards and later
 * reads come from its snapshot, with the rows the files give. */
static void test_connector_from_arrow_stream(void) {
  char dir_option[1100];
  const char *in_order[] = {"batch_size=64", NULL};
  const char *shuffled[] = {"shuffle=true", "seed=7", "shuffle_window=32", "batch_size=50", NULL};
  sluice_connector *files = open_connector(csv_dir("csv"), NULL), *c = NULL;
  sluice_source_options *options = sluice_source_options_new();
  sluice_error *err = NULL;
  struct ArrowArrayStream producer, stream;
  collected first, again, from_files, from_snapshot, failed;
  char *path = NULL;
  uint64_t rows = 0, removed = 0;
  REQUIRE(files != NULL && options != NULL);
  snprintf(dir_option, sizeof dir_option, "%s", scratch_path("snapshots"));
  CHECK_STATUS(SLUICE_OK, sluice_source_options_set(options, "snapshot_dir", dir_option, &err),
               err);

  REQUIRE(read_stream(files, NULL, &producer) == 0);
  CHECK_STATUS(SLUICE_OK,
               sluice_connector_from_arrow_stream(&producer, "a CSV read", options, &c, &err), err);
  CHECK(producer.release == NULL); /* ownership moved */
  REQUIRE(c != NULL);
  REQUIRE(read_stream(c, in_order, &stream) == 0);
  collect_stream(&stream, "id", NULL, NULL, &first);
  CHECK(first.status == 0);
  check_ids_sequential(&first, 0, CSV_ROWS);
  REQUIRE(read_stream(c, in_order, &stream) == 0); /* a second pass: from the snapshot */
  collect_stream(&stream, "id", NULL, NULL, &again);
  CHECK(ids_equal(&first, &again));
  CHECK_STATUS(SLUICE_OK, sluice_connector_count_rows(c, NULL, &rows, &err), err);
  CHECK(rows == CSV_ROWS);
  REQUIRE(read_stream(c, shuffled, &stream) == 0);
  collect_stream(&stream, "id", NULL, NULL, &from_snapshot);
  CHECK(is_permutation_of_all_rows(&from_snapshot));
  /* the snapshot is Parquet files: opened as files, they shuffle the same */
  CHECK_STATUS(SLUICE_OK, sluice_connector_snapshot(c, &path, &err), err);
  REQUIRE(path != NULL && strstr(path, "snapshots") != NULL);
  {
    sluice_connector *snapshot_files = open_connector(path, NULL);
    REQUIRE(snapshot_files != NULL);
    REQUIRE(read_stream(snapshot_files, shuffled, &stream) == 0);
    collect_stream(&stream, "id", NULL, NULL, &from_files);
    CHECKF(ids_equal(&from_files, &from_snapshot), "the snapshot shuffled unlike its files");
    sluice_connector_free(snapshot_files);
  }
  sluice_string_free(path);
  path = SENTINEL_PTR;
  CHECK_STATUS(SLUICE_OK, sluice_connector_snapshot(files, &path, &err), err);
  CHECK(path == NULL); /* files have no snapshot */
  sluice_connector_free(c);
  c = NULL;
  CHECK_STATUS(SLUICE_OK, sluice_snapshots_remove(dir_option, 0, NULL, &removed, &err), err);
  CHECK(removed == 1);

  /* a producer failing mid-stream: an error naming the source, never a short result */
  {
    failing_producer *p = (failing_producer *)calloc(1, sizeof *p);
    struct ArrowArrayStream failing;
    REQUIRE(p != NULL);
    REQUIRE(read_stream(files, in_order, &p->inner) == 0);
    p->good_batches = 2;
    failing.get_schema = failing_get_schema;
    failing.get_next = failing_get_next;
    failing.get_last_error = failing_get_last_error;
    failing.release = failing_release;
    failing.private_data = p;
    CHECK_STATUS(
        SLUICE_OK,
        sluice_connector_from_arrow_stream(&failing, "a failing producer", options, &c, &err), err);
    REQUIRE(c != NULL);
    REQUIRE(read_stream(c, in_order, &stream) == 0);
    collect_stream(&stream, "id", NULL, NULL, &failed);
    CHECKF(failed.status == EIO, "status %d", failed.status);
    CHECKF(strstr(failed.error, "a failing producer") != NULL &&
               strstr(failed.error, "failed after 128 rows: ") != NULL &&
               strstr(failed.error, "the database went away") != NULL,
           "error: %s", failed.error);
    collected_free(&failed);
    sluice_connector_free(c);
    c = NULL;
  }

  /* a released stream is refused */
  memset(&stream, 0, sizeof stream);
  CHECK_STATUS(SLUICE_INVALID_ARGUMENT,
               sluice_connector_from_arrow_stream(&stream, NULL, NULL, &c, &err), err);
  CHECK(has_text(err, "released"));
  sluice_error_free(err);
  err = NULL;
  CHECK(sluice_connector_from_arrow_stream(NULL, NULL, NULL, &c, NULL) == SLUICE_INVALID_ARGUMENT);
  CHECK(c == NULL);
  collected_free(&first);
  collected_free(&again);
  collected_free(&from_files);
  collected_free(&from_snapshot);
  sluice_source_options_free(options);
  sluice_connector_free(files);
}

static const test_case TESTS[] = {
    {"version_and_abi", test_version_and_abi},
    {"free_functions_accept_null", test_free_functions_accept_null},
    {"read_csv_directory", test_read_csv_directory},
    {"read_csv_explicit_schema", test_read_csv_explicit_schema},
    {"read_ndjson", test_read_ndjson},
    {"read_parquet_fixture", test_read_parquet_fixture},
    {"read_delta_table", test_read_delta_table},
    {"read_dataset_version", test_read_dataset_version},
    {"projection", test_projection},
    {"batching_options", test_batching_options},
    {"shards", test_shards},
    {"shuffle_is_seeded", test_shuffle_is_seeded},
    {"workers_interleave", test_workers_interleave},
    {"option_errors", test_option_errors},
    {"shard_and_worker_index_out_of_range", test_shard_and_worker_index_out_of_range},
    {"open_errors", test_open_errors},
    {"null_arguments", test_null_arguments},
    {"success_leaves_error_alone", test_success_leaves_error_alone},
    {"stream_end_and_release", test_stream_end_and_release},
    {"stream_outlives_connector", test_stream_outlives_connector},
    {"options_copied_at_read", test_options_copied_at_read},
    {"early_release", test_early_release},
    {"error_mid_stream_deleted_file", test_error_mid_stream_deleted_file},
    {"error_mid_stream_truncated_file", test_error_mid_stream_truncated_file},
    {"malformed_csv", test_malformed_csv},
    {"connector_shared_between_threads", test_connector_shared_between_threads},
    {"fork_child_reads", test_fork_child_reads},
    {"error_object_null", test_error_object_null},
    {"source_order_and_glob", test_source_order_and_glob},
    {"csv_dialects", test_csv_dialects},
    {"schema_mismatch", test_schema_mismatch},
    {"tiny_memory_budget", test_tiny_memory_budget},
    {"get_next_after_error", test_get_next_after_error},
    {"stream_error_with_nul_byte", test_stream_error_with_nul_byte},
    {"count_rows_matches_stream", test_count_rows_matches_stream},
    {"stream_error_status", test_stream_error_status},
    {"stream_last_error_of_a_foreign_stream", test_stream_last_error_of_a_foreign_stream},
    {"log_callback", test_log_callback},
    {"read_into_targets", test_read_into_targets},
    {"resume_mid_epoch", test_resume_mid_epoch},
    {"connector_from_arrow_stream", test_connector_from_arrow_stream},
};

int main(int argc, char **argv) {
  size_t n_tests = sizeof TESTS / sizeof TESTS[0], t;
  int passed = 0, failed = 0, argi = 1, selected = 0;
  const char *only[64], *skip[64];
  int n_only = 0, n_skip = 0;

  for (; argi < argc; argi++) {
    if (strcmp(argv[argi], "--data") == 0 && argi + 1 < argc) {
      g_data_dir = argv[++argi];
    } else if (strcmp(argv[argi], "--skip") == 0 && argi + 1 < argc) {
      if (n_skip < 64) skip[n_skip++] = argv[++argi];
    } else if (strcmp(argv[argi], "--list") == 0) {
      for (t = 0; t < n_tests; t++) printf("%s\n", TESTS[t].name);
      return 0;
    } else if (n_only < 64) {
      only[n_only++] = argv[argi];
    }
  }
  if (g_data_dir == NULL) g_data_dir = getenv("SLUICE_TEST_DATA_DIR");

  printf("sluice %s (ABI %u), header ABI %d; scratch %s\n", sluice_version(), sluice_abi_version(),
         SLUICE_ABI_VERSION, scratch_dir());
  for (t = 0; t < n_tests; t++) {
    int before = g_check_failures, k, wanted = n_only == 0;
    for (k = 0; k < n_only; k++) wanted |= strcmp(only[k], TESTS[t].name) == 0;
    for (k = 0; k < n_skip; k++) wanted &= strcmp(skip[k], TESTS[t].name) != 0;
    if (!wanted) continue;
    selected++;
    printf("[ RUN      ] %s\n", TESTS[t].name);
    fflush(stdout);
    TESTS[t].fn();
    if (g_check_failures == before) {
      printf("[       OK ] %s\n", TESTS[t].name);
      passed++;
    } else {
      printf("[  FAILED  ] %s (%d checks)\n", TESTS[t].name, g_check_failures - before);
      failed++;
    }
    fflush(stdout);
  }
  scratch_cleanup();
  if (selected == 0) {
    fprintf(stderr, "no test matched\n");
    return 2;
  }
  printf("%d passed, %d failed\n", passed, failed);
  return failed == 0 ? 0 : 1;
}
