/*
 * sluice_connector_from_sql against a real PostgreSQL through the ADBC driver of
 * the adbc-driver-postgresql wheel (docs/sql.md). Run under tools/pg-local, which
 * starts the server and sets SLUICE_TEST_PG_URI and SLUICE_ADBC_DRIVER_PATH; without
 * them every test fails (it does not skip).
 *
 * The rows come from generate_series, so every value is known: row i has
 * id = i, x = i * 0.25 and name = "row <i>".
 */
#define _POSIX_C_SOURCE 200809L

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sluice.h"
#include "test_util.h"

#define ROWS 5000
#define QUERY                                                         \
  "SELECT i::int8 AS id, i * 0.25::float8 AS x, 'row ' || i AS name " \
  "FROM generate_series(1, 5000) AS i ORDER BY i"

static const char *pg_uri(void) {
  const char *uri = getenv("SLUICE_TEST_PG_URI");
  if (uri == NULL || uri[0] == '\0') {
    check_failed(__FILE__, __LINE__,
                 "SLUICE_TEST_PG_URI is not set: run the test under tools/pg-local");
    return NULL;
  }
  return uri;
}

/* sluice_connector_from_sql with NULL-terminated "key=value" lists; the error, if any, to *err. */
static sluice_status from_sql(const char *driver, const char *uri, const char *query,
                              const char *const *sql_kv, const char *const *source_kv,
                              sluice_connector **out, sluice_error **err) {
  const char *keys[16], *values[16];
  static char key_text[16][128];
  size_t n = 0;
  for (; sql_kv != NULL && *sql_kv != NULL && n < 16; sql_kv++, n++) {
    const char *eq = strchr(*sql_kv, '=');
    snprintf(key_text[n], sizeof key_text[n], "%.*s", (int)(eq - *sql_kv), *sql_kv);
    keys[n] = key_text[n];
    values[n] = eq + 1;
  }
  sluice_source_options *options = NULL;
  if (source_kv != NULL) {
    options = sluice_source_options_new();
    for (; *source_kv != NULL; source_kv++) {
      char key[128];
      const char *eq = strchr(*source_kv, '=');
      snprintf(key, sizeof key, "%.*s", (int)(eq - *source_kv), *source_kv);
      sluice_error *set_error = NULL;
      CHECK_STATUS(SLUICE_OK, sluice_source_options_set(options, key, eq + 1, &set_error),
                   set_error);
      sluice_error_free(set_error);
    }
  }
  *out = NULL;
  sluice_status status =
      sluice_connector_from_sql(driver, uri, query, keys, values, n, NULL, options, out, err);
  sluice_source_options_free(options);
  return status;
}

/* Checks x and name of every row against its id. */
static void check_values(const struct ArrowSchema *schema, const struct ArrowArray *batch,
                         void *ctx) {
  int *bad = ctx;
  int64_t id = schema_child_index(schema, "id"), x = schema_child_index(schema, "x"),
          name = schema_child_index(schema, "name");
  if (id < 0 || x < 0 || name < 0) {
    (*bad)++;
    return;
  }
  CHECK(strcmp(schema->children[x]->format, "g") == 0);
  CHECK(strcmp(schema->children[name]->format, "u") == 0);
  for (int64_t i = 0; i < batch->length; i++) {
    int64_t value = value_int64(batch->children[id], batch->offset, i);
    char expected[32];
    snprintf(expected, sizeof expected, "row %lld", (long long)value);
    if (value_float64(batch->children[x], batch->offset, i) != (double)value * 0.25 ||
        !value_utf8_eq(batch->children[name], batch->offset, i, expected)) {
      (*bad)++;
    }
  }
}

static void test_sql_rows_arrive_in_order_with_their_values(void) {
  const char *uri = pg_uri();
  REQUIRE(uri != NULL);
  sluice_connector *connector = NULL;
  sluice_error *err = NULL;
  sluice_status st = from_sql("postgresql", uri, QUERY, NULL, NULL, &connector, &err);
  CHECK_STATUS(SLUICE_OK, st, err);
  sluice_error_free(err);
  REQUIRE(connector != NULL);

  struct ArrowArrayStream stream;
  const char *kv[] = {"batch_size=1000", NULL};
  REQUIRE(read_stream(connector, kv, &stream) == 0);
  collected got;
  int bad = 0;
  collect_stream(&stream, "id", check_values, &bad, &got);
  CHECKF(got.status == 0, "stream failed: %s", got.error);
  CHECK(got.n_rows == ROWS);
  CHECK(got.n_batches == ROWS / 1000);
  for (int64_t i = 0; i < got.n_rows && i < ROWS; i++) {
    if (got.ids[i] != i + 1) {
      CHECKF(0, "row %lld has id %lld", (long long)i, (long long)got.ids[i]);
      break;
    }
  }
  CHECKF(bad == 0, "%d rows with a wrong x or name", bad);
  collected_free(&got);
  sluice_connector_free(connector);
}

/* Three range partitions on their own connections, then a seeded shuffle (which reads the
 * snapshot written while the result streamed): every row once, in the same order twice. */
static void test_sql_partitions_and_shuffle_read_every_row_once(void) {
  const char *uri = pg_uri();
  REQUIRE(uri != NULL);
  char snapshot_dir[4200];
  snprintf(snapshot_dir, sizeof snapshot_dir, "snapshot_dir=%s", scratch_path("snapshots"));
  const char *sql_kv[] = {"partition_on=id", "partitions=3", NULL};
  const char *source_kv[] = {snapshot_dir, NULL};
  sluice_connector *connector = NULL;
  sluice_error *err = NULL;
  sluice_status st = from_sql("postgresql", uri, QUERY, sql_kv, source_kv, &connector, &err);
  CHECK_STATUS(SLUICE_OK, st, err);
  sluice_error_free(err);
  REQUIRE(connector != NULL);

  const char *kv[] = {"shuffle=true", "seed=11", "batch_size=512", NULL};
  collected first, second;
  struct ArrowArrayStream stream;
  int bad = 0;
  REQUIRE(read_stream(connector, kv, &stream) == 0);
  collect_stream(&stream, "id", check_values, &bad, &first);
  REQUIRE(read_stream(connector, kv, &stream) == 0);
  collect_stream(&stream, "id", NULL, NULL, &second);
  CHECKF(first.status == 0 && second.status == 0, "stream failed: %s%s", first.error, second.error);
  CHECK(first.n_rows == ROWS && second.n_rows == ROWS);
  CHECKF(bad == 0, "%d rows with a wrong x or name", bad);

  char *seen = calloc(ROWS + 1, 1);
  int64_t in_place = 0, dupes = 0, differ = 0;
  for (int64_t i = 0; i < first.n_rows && i < ROWS; i++) {
    int64_t id = first.ids[i];
    if (id < 1 || id > ROWS || seen[id]++) dupes++;
    in_place += id == i + 1;
    differ += i < second.n_rows && second.ids[i] != id;
  }
  CHECKF(dupes == 0, "%lld ids out of range or repeated", (long long)dupes);
  CHECKF(in_place < ROWS / 10, "%lld of %d rows kept their place: not shuffled",
         (long long)in_place, ROWS);
  CHECKF(differ == 0, "the same seed gave another order (%lld rows differ)", (long long)differ);
  free(seen);
  collected_free(&first);
  collected_free(&second);
  sluice_connector_free(connector);
}

/* `uri` with its password replaced by `password`, in a static buffer. */
static const char *with_password(const char *uri, const char *password) {
  static char out[1024];
  const char *user = strstr(uri, "://");
  const char *at = strchr(uri, '@');
  const char *colon = user != NULL ? strchr(user + 3, ':') : NULL;
  if (colon == NULL || at == NULL || colon > at) return uri;
  snprintf(out, sizeof out, "%.*s%s%s", (int)(colon + 1 - uri), uri, password, at);
  return out;
}

/* Expects from_sql to fail with a message holding each of `wanted` and not `secret`. */
static void expect_failure(const char *driver, const char *uri, const char *query,
                           const char *const *sql_kv, const char *const *wanted,
                           const char *secret) {
  sluice_connector *connector = NULL;
  sluice_error *err = NULL;
  sluice_status st = from_sql(driver, uri, query, sql_kv, NULL, &connector, &err);
  CHECKF(st != SLUICE_OK && connector == NULL, "'%s' succeeded", query);
  CHECK(err != NULL);
  if (err != NULL) {
    const char *message = sluice_error_message(err);
    for (; wanted != NULL && *wanted != NULL; wanted++) {
      CHECKF(strstr(message, *wanted) != NULL, "the error does not name '%s': %s", *wanted,
             message);
    }
    CHECKF(strstr(message, secret) == NULL, "the error shows the password: %s", message);
    CHECK(sluice_error_status(err) == st);
  }
  sluice_error_free(err);
  sluice_connector_free(connector);
}

/* A wrong password fails when the driver's database is initialised. adbc_driver_manager 0.25
 * does not release a database whose initialisation failed (new_database_with_opts returns
 * the error and drops the FFI struct), so this case leaks the driver's database object: its
 * ctest entry (c_sql_asan_wrong_password) runs without the leak check. */
static void test_sql_wrong_password_is_an_error_without_the_password(void) {
  const char *uri = pg_uri();
  REQUIRE(uri != NULL);
  const char *secret = "Wr0ng-Pa55word";
  const char *wrong = with_password(uri, secret);
  REQUIRE(wrong != uri);
  const char *password[] = {"127.0.0.1", "postgresql", NULL};
  expect_failure("postgresql", wrong, "SELECT 1", NULL, password, secret);
}

static void test_sql_errors_name_the_source_without_its_password(void) {
  const char *uri = pg_uri();
  REQUIRE(uri != NULL);

  const char *syntax[] = {"SELEC 1 AS broken", "syntax", NULL};
  expect_failure("postgresql", uri, "SELEC 1 AS broken", NULL, syntax, "s3cret-pw");

  const char *no_column[] = {"no_such_column", NULL};
  const char *partition[] = {"partition_on=no_such_column", "partitions=2", NULL};
  expect_failure("postgresql", uri, QUERY, partition, no_column, "s3cret-pw");

  const char *not_numeric[] = {"name", NULL};
  const char *by_name[] = {"partition_on=name", "partitions=2", NULL};
  expect_failure("postgresql", uri, QUERY, by_name, not_numeric, "s3cret-pw");

  const char *driver[] = {"no_such_driver", NULL};
  expect_failure("no_such_driver", uri, "SELECT 1", NULL, driver, "s3cret-pw");
}

static const struct {
  const char *name;
  void (*fn)(void);
} TESTS[] = {
    {"sql_rows_arrive_in_order_with_their_values", test_sql_rows_arrive_in_order_with_their_values},
    {"sql_partitions_and_shuffle_read_every_row_once",
     test_sql_partitions_and_shuffle_read_every_row_once},
    {"sql_errors_name_the_source_without_its_password",
     test_sql_errors_name_the_source_without_its_password},
    {"sql_wrong_password_is_an_error_without_the_password",
     test_sql_wrong_password_is_an_error_without_the_password},
};

/* Arguments: the names of the tests to run (default: all). */
int main(int argc, char **argv) {
  int passed = 0, failed = 0;
  printf("sluice %s; SQL tests against %s\n", sluice_version(),
         getenv("SLUICE_TEST_PG_URI") ? "SLUICE_TEST_PG_URI" : "(no server: they fail)");
  for (size_t t = 0; t < sizeof TESTS / sizeof TESTS[0]; t++) {
    int before = g_check_failures, wanted = argc < 2;
    for (int a = 1; a < argc; a++) wanted |= strcmp(argv[a], TESTS[t].name) == 0;
    if (!wanted) continue;
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
  printf("%d passed, %d failed\n", passed, failed);
  return failed == 0 ? 0 : 1;
}
