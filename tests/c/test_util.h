/* Small test harness and Arrow C Data Interface helpers for the C ABI tests. */
#ifndef SLUICE_TEST_UTIL_H
#define SLUICE_TEST_UTIL_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "sluice.h"

/* ---- checks --------------------------------------------------------------- */

extern _Atomic int g_check_failures;

void check_failed(const char *file, int line, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* Records a failure and goes on. */
#define CHECK(cond)                                             \
  do {                                                          \
    if (!(cond)) check_failed(__FILE__, __LINE__, "%s", #cond); \
  } while (0)

/* Records a failure with a formatted explanation and goes on. */
#define CHECKF(cond, ...)                                       \
  do {                                                          \
    if (!(cond)) check_failed(__FILE__, __LINE__, __VA_ARGS__); \
  } while (0)

/* Records a failure and leaves the current test function (which returns void). */
#define REQUIRE(cond)                                          \
  do {                                                         \
    if (!(cond)) {                                             \
      check_failed(__FILE__, __LINE__, "required: %s", #cond); \
      return;                                                  \
    }                                                          \
  } while (0)

/* Checks a call's status; on mismatch prints the error message too. */
#define CHECK_STATUS(expected, status, err) \
  check_status_at(__FILE__, __LINE__, (expected), (status), (err), #status)
int check_status_at(const char *file, int line, sluice_status expected, sluice_status got,
                    const sluice_error *err, const char *what);

const char *status_name(sluice_status status);

/* ---- temporary files ------------------------------------------------------ */

/* Creates the test's scratch directory (under $TMPDIR or /tmp). */
const char *scratch_dir(void);
/* Removes the scratch directory and everything in it. */
void scratch_cleanup(void);
/* Writes `path` = scratch_dir()/name with the given contents; returns the path
 * in a static rotating buffer. */
const char *scratch_write(const char *name, const char *contents);
/* scratch_dir()/name, in a static rotating buffer. */
const char *scratch_path(const char *name);
void scratch_mkdir(const char *name);

/* ---- Arrow helpers ------------------------------------------------------- */

/* Index of the child of a struct schema with this name, or -1. */
int64_t schema_child_index(const struct ArrowSchema *schema, const char *name);

/* Element access honouring both the parent's and the child's offset. The
 * `parent_offset` is the struct array's offset (children are sliced by it). */
int value_is_valid(const struct ArrowArray *col, int64_t parent_offset, int64_t i);
int64_t value_int64(const struct ArrowArray *col, int64_t parent_offset, int64_t i);
int32_t value_int32(const struct ArrowArray *col, int64_t parent_offset, int64_t i);
double value_float64(const struct ArrowArray *col, int64_t parent_offset, int64_t i);
float value_float32(const struct ArrowArray *col, int64_t parent_offset, int64_t i);
int value_bool(const struct ArrowArray *col, int64_t parent_offset, int64_t i);
/* utf8 ("u") value; *len receives its length. Not NUL-terminated. */
const char *value_utf8(const struct ArrowArray *col, int64_t parent_offset, int64_t i,
                       int32_t *len);
/* 1 when the utf8 value equals the C string `expected`. */
int value_utf8_eq(const struct ArrowArray *col, int64_t parent_offset, int64_t i,
                  const char *expected);

/* ---- reading whole streams ----------------------------------------------- */

#define MAX_BATCHES 4096

/* What a fully read stream gave. */
typedef struct collected {
  int status;       /* 0, or the first nonzero get_schema/get_next code */
  char error[1024]; /* get_last_error() text at the failure, if any */
  int64_t n_batches;
  int64_t batch_len[MAX_BATCHES];
  int64_t n_rows;
  int64_t *ids; /* values of the `id_column` (int64), malloc'ed */
  int64_t ids_cap;
} collected;

/* Per-batch hook: returns 0 to go on. `schema` is the stream's schema. */
typedef void (*batch_hook)(const struct ArrowSchema *schema, const struct ArrowArray *batch,
                           void *ctx);

/* Reads every batch of `stream` (which it releases), appending the int64
 * values of `id_column` (may be NULL) to out->ids and calling `hook` (may be
 * NULL) on each batch. */
void collect_stream(struct ArrowArrayStream *stream, const char *id_column, batch_hook hook,
                    void *ctx, collected *out);
void collected_free(collected *c);

/* Opens one source with optional "key=value" source options (NULL-terminated
 * list); returns NULL and reports a failure on error. */
sluice_connector *open_connector(const char *source, const char *const *source_options);
/* Builds read options from a NULL-terminated list of "key=value". */
sluice_read_options *make_read_options(const char *const *kv);
/* Opens a stream with the given read options (list may be NULL); 0 on success. */
int read_stream(const sluice_connector *connector, const char *const *kv,
                struct ArrowArrayStream *out);

#endif
