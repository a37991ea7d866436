/*
 * JNI glue between dev.sluice.Native and the sluice C API (include/sluice.h).
 *
 * The glue does no reading of its own: it turns Java byte arrays into C
 * strings and option handles, calls one sluice function, and turns a failed
 * status into a dev.sluice.SluiceException carrying the status and message.
 *
 * libsluice is opened here with dlopen rather than linked, so the library that
 * sluice.library.path names is the one every call reaches. The function table
 * is typed from the header's own prototypes: a signature change in sluice.h
 * breaks this build instead of the JVM.
 */
#define _POSIX_C_SOURCE 200809L

#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jni.h>

#include "dev_sluice_Native.h"
#include "sluice.h"

#define SLUICE_FUNCTIONS(X)        \
  X(sluice_version)                \
  X(sluice_abi_version)            \
  X(sluice_connector_open)         \
  X(sluice_connector_from_sql)     \
  X(sluice_connector_open_dataset) \
  X(sluice_connector_free)         \
  X(sluice_connector_schema)       \
  X(sluice_connector_num_rows)     \
  X(sluice_connector_count_rows)   \
  X(sluice_connector_read)         \
  X(sluice_stream_last_error)      \
  X(sluice_stream_position)        \
  X(sluice_string_free)            \
  X(sluice_error_status)           \
  X(sluice_error_message)          \
  X(sluice_error_free)             \
  X(sluice_source_options_new)     \
  X(sluice_source_options_free)    \
  X(sluice_source_options_set)     \
  X(sluice_read_options_new)       \
  X(sluice_read_options_free)      \
  X(sluice_read_options_set)

static struct {
#define SLUICE_FIELD(name) __typeof__(&name) name;
  SLUICE_FUNCTIONS(SLUICE_FIELD)
#undef SLUICE_FIELD
} api;

static void *library;               /* dlopen handle; set once by init */
static jclass exception_class;      /* global ref to dev.sluice.SluiceException */
static jmethodID exception_factory; /* SluiceException.fromNative(int, byte[]) */

/* --- small helpers ------------------------------------------------------- */

static void throw_java(JNIEnv *env, const char *class_name, const char *message) {
  jclass cls = (*env)->FindClass(env, class_name);
  if (cls != NULL) {
    (*env)->ThrowNew(env, cls, message);
  }
}

static jbyteArray bytes_of(JNIEnv *env, const char *text) {
  jsize n = (jsize)strlen(text);
  jbyteArray out = (*env)->NewByteArray(env, n);
  if (out != NULL) {
    (*env)->SetByteArrayRegion(env, out, 0, n, (const jbyte *)text);
  }
  return out;
}

/* The SluiceException for a status and error (which may be NULL; it is freed); NULL with
 * a Java exception pending if it cannot be made. */
static jthrowable sluice_exception(JNIEnv *env, enum sluice_status status,
                                   struct sluice_error *error) {
  char fallback[96];
  const char *message = error != NULL ? api.sluice_error_message(error) : "";
  if (message[0] == '\0') {
    snprintf(fallback, sizeof fallback, "sluice: the call failed with status %d and no message",
             (int)status);
    message = fallback;
  }
  jbyteArray bytes = bytes_of(env, message);
  api.sluice_error_free(error);
  if (bytes == NULL) {
    return NULL; /* OutOfMemoryError pending */
  }
  return (jthrowable)(*env)->CallStaticObjectMethod(env, exception_class, exception_factory,
                                                    (jint)status, bytes);
}

/* Throws the SluiceException for a failed call and frees `error` (which may be NULL). */
static void throw_sluice(JNIEnv *env, enum sluice_status status, struct sluice_error *error) {
  jthrowable exception = sluice_exception(env, status, error);
  if (exception != NULL) {
    (*env)->Throw(env, exception);
  }
}

/* A NUL-terminated malloc'd copy of a byte[]; NULL with a Java exception pending on failure. */
static char *c_string(JNIEnv *env, jbyteArray array) {
  if (array == NULL) {
    throw_java(env, "java/lang/NullPointerException", "sluice: a string argument is null");
    return NULL;
  }
  jsize n = (*env)->GetArrayLength(env, array);
  char *out = malloc((size_t)n + 1);
  if (out == NULL) {
    throw_java(env, "java/lang/OutOfMemoryError", "sluice: out of native memory");
    return NULL;
  }
  (*env)->GetByteArrayRegion(env, array, 0, n, (jbyte *)out);
  out[n] = '\0';
  if (memchr(out, '\0', (size_t)n) != NULL) {
    /* The C API would read the string only up to there: refuse it rather than cut it. */
    free(out);
    throw_java(env, "java/lang/IllegalArgumentException",
               "sluice: a string argument contains a NUL byte");
    return NULL;
  }
  return out;
}

typedef struct {
  char **items;
  jsize count;
} strings;

static void strings_free(strings *s) {
  for (jsize i = 0; i < s->count; i++) {
    free(s->items[i]);
  }
  free(s->items);
  s->items = NULL;
  s->count = 0;
}

/* Copies a byte[][]; returns 0 with a Java exception pending on failure. */
static int strings_from(JNIEnv *env, jobjectArray arrays, strings *out) {
  out->items = NULL;
  out->count = 0;
  if (arrays == NULL) {
    throw_java(env, "java/lang/NullPointerException", "sluice: a string array is null");
    return 0;
  }
  jsize n = (*env)->GetArrayLength(env, arrays);
  out->items = calloc((size_t)n + 1, sizeof(char *));
  if (out->items == NULL) {
    throw_java(env, "java/lang/OutOfMemoryError", "sluice: out of native memory");
    return 0;
  }
  for (jsize i = 0; i < n; i++) {
    jbyteArray item = (jbyteArray)(*env)->GetObjectArrayElement(env, arrays, i);
    out->items[i] = c_string(env, item);
    (*env)->DeleteLocalRef(env, item);
    out->count = i + 1;
    if (out->items[i] == NULL) {
      strings_free(out);
      return 0;
    }
  }
  return 1;
}

static int library_ready(JNIEnv *env) {
  if (library == NULL) {
    throw_java(env, "java/lang/IllegalStateException", "sluice: the native library is not loaded");
    return 0;
  }
  return 1;
}

/* --- options ---------------------------------------------------------------- */

typedef enum sluice_status (*option_setter)(void *options, const char *key, const char *value,
                                            struct sluice_error **error);

static enum sluice_status set_source_option(void *options, const char *key, const char *value,
                                            struct sluice_error **error) {
  return api.sluice_source_options_set(options, key, value, error);
}

static enum sluice_status set_read_option(void *options, const char *key, const char *value,
                                          struct sluice_error **error) {
  return api.sluice_read_options_set(options, key, value, error);
}

/* Sets every key/value on `options`; returns 0 with a Java exception pending on failure. */
static int set_options(JNIEnv *env, void *options, option_setter set, jobjectArray keys,
                       jobjectArray values) {
  strings k, v;
  if (!strings_from(env, keys, &k)) {
    return 0;
  }
  if (!strings_from(env, values, &v)) {
    strings_free(&k);
    return 0;
  }
  int ok = 1;
  if (k.count != v.count) {
    throw_java(env, "java/lang/IllegalArgumentException",
               "sluice: option keys and values differ in number");
    ok = 0;
  }
  for (jsize i = 0; ok && i < k.count; i++) {
    struct sluice_error *error = NULL;
    enum sluice_status status = set(options, k.items[i], v.items[i], &error);
    if (status != SLUICE_OK) {
      throw_sluice(env, status, error);
      ok = 0;
    }
  }
  strings_free(&k);
  strings_free(&v);
  return ok;
}

static struct sluice_read_options *read_options_from(JNIEnv *env, jobjectArray keys,
                                                     jobjectArray values) {
  struct sluice_read_options *options = api.sluice_read_options_new();
  if (options == NULL) {
    throw_java(env, "java/lang/OutOfMemoryError", "sluice: out of native memory");
    return NULL;
  }
  if (!set_options(env, options, set_read_option, keys, values)) {
    api.sluice_read_options_free(options);
    return NULL;
  }
  return options;
}

/* --- loading ------------------------------------------------------------------ */

/* Returns NULL on success, else the reason (UTF-8) for an UnsatisfiedLinkError thrown in Java. */
JNIEXPORT jbyteArray JNICALL Java_dev_sluice_Native_init(JNIEnv *env, jclass cls, jbyteArray path) {
  (void)cls;
  char message[1024];
  if (library != NULL) {
    return NULL;
  }
  char *file = c_string(env, path);
  if (file == NULL) {
    return NULL;
  }
  void *handle = dlopen(file, RTLD_NOW | RTLD_LOCAL);
  if (handle == NULL) {
    snprintf(message, sizeof message, "sluice: cannot load %s: %s", file, dlerror());
    free(file);
    return bytes_of(env, message);
  }
#define SLUICE_RESOLVE(name)                                                                     \
  *(void **)(&api.name) = dlsym(handle, #name);                                                  \
  if (api.name == NULL) {                                                                        \
    snprintf(message, sizeof message,                                                            \
             "sluice: %s has no function %s (a library older than this binding?)", file, #name); \
    goto fail;                                                                                   \
  }
  SLUICE_FUNCTIONS(SLUICE_RESOLVE)
#undef SLUICE_RESOLVE
  if (api.sluice_abi_version() != SLUICE_ABI_VERSION) {
    snprintf(message, sizeof message, "sluice: %s has ABI version %u, this binding needs %d", file,
             (unsigned)api.sluice_abi_version(), SLUICE_ABI_VERSION);
    goto fail;
  }
  jclass found = (*env)->FindClass(env, "dev/sluice/SluiceException");
  if (found == NULL) {
    goto fail_java;
  }
  exception_class = (jclass)(*env)->NewGlobalRef(env, found);
  (*env)->DeleteLocalRef(env, found);
  if (exception_class == NULL) {
    goto fail_java;
  }
  exception_factory = (*env)->GetStaticMethodID(env, exception_class, "fromNative",
                                                "(I[B)Ldev/sluice/SluiceException;");
  if (exception_factory == NULL) {
    (*env)->DeleteGlobalRef(env, exception_class);
    exception_class = NULL;
    goto fail_java;
  }
  free(file);
  library = handle;
  return NULL;

fail:
  free(file);
  dlclose(handle);
  memset(&api, 0, sizeof api);
  return bytes_of(env, message);
fail_java:
  free(file);
  dlclose(handle);
  memset(&api, 0, sizeof api);
  return NULL; /* the Java exception is pending */
}

JNIEXPORT jint JNICALL Java_dev_sluice_Native_headerAbiVersion(JNIEnv *env, jclass cls) {
  (void)env;
  (void)cls;
  return SLUICE_ABI_VERSION;
}

JNIEXPORT jint JNICALL Java_dev_sluice_Native_abiVersion(JNIEnv *env, jclass cls) {
  (void)cls;
  return library_ready(env) ? (jint)api.sluice_abi_version() : 0;
}

JNIEXPORT jbyteArray JNICALL Java_dev_sluice_Native_version(JNIEnv *env, jclass cls) {
  (void)cls;
  return library_ready(env) ? bytes_of(env, api.sluice_version()) : NULL;
}

/* --- connector ---------------------------------------------------------------- */

JNIEXPORT jlong JNICALL Java_dev_sluice_Native_connectorOpen(JNIEnv *env, jclass cls,
                                                             jobjectArray sources,
                                                             jobjectArray keys,
                                                             jobjectArray values) {
  (void)cls;
  if (!library_ready(env)) {
    return 0;
  }
  strings paths;
  if (!strings_from(env, sources, &paths)) {
    return 0;
  }
  struct sluice_source_options *options = api.sluice_source_options_new();
  if (options == NULL) {
    strings_free(&paths);
    throw_java(env, "java/lang/OutOfMemoryError", "sluice: out of native memory");
    return 0;
  }
  struct sluice_connector *connector = NULL;
  if (set_options(env, options, set_source_option, keys, values)) {
    struct sluice_error *error = NULL;
    enum sluice_status status = api.sluice_connector_open(
        (const char *const *)paths.items, (size_t)paths.count, options, &connector, &error);
    if (status != SLUICE_OK) {
      connector = NULL;
      throw_sluice(env, status, error);
    }
  }
  api.sluice_source_options_free(options);
  strings_free(&paths);
  return (jlong)(intptr_t)connector;
}

JNIEXPORT jlong JNICALL Java_dev_sluice_Native_connectorFromSql(
    JNIEnv *env, jclass cls, jbyteArray driver, jbyteArray uri, jbyteArray query,
    jobjectArray sql_keys, jobjectArray sql_values, jobjectArray keys, jobjectArray values) {
  (void)cls;
  if (!library_ready(env)) {
    return 0;
  }
  char *texts[3] = {NULL, NULL, NULL};
  jbyteArray arrays[3] = {driver, uri, query};
  strings sql_k = {NULL, 0}, sql_v = {NULL, 0};
  struct sluice_connector *connector = NULL;
  struct sluice_source_options *options = NULL;
  int ok = 1;
  for (int i = 0; ok && i < 3; i++) {
    texts[i] = c_string(env, arrays[i]);
    ok = texts[i] != NULL;
  }
  ok = ok && strings_from(env, sql_keys, &sql_k) && strings_from(env, sql_values, &sql_v);
  if (ok && sql_k.count != sql_v.count) {
    throw_java(env, "java/lang/IllegalArgumentException",
               "sluice: SQL option keys and values differ in number");
    ok = 0;
  }
  if (ok) {
    options = api.sluice_source_options_new();
    if (options == NULL) {
      throw_java(env, "java/lang/OutOfMemoryError", "sluice: out of native memory");
      ok = 0;
    }
  }
  if (ok && set_options(env, options, set_source_option, keys, values)) {
    struct sluice_error *error = NULL;
    enum sluice_status status = api.sluice_connector_from_sql(
        texts[0], texts[1], texts[2], (const char *const *)sql_k.items,
        (const char *const *)sql_v.items, (size_t)sql_k.count, NULL, options, &connector, &error);
    if (status != SLUICE_OK) {
      connector = NULL;
      throw_sluice(env, status, error);
    }
  }
  if (options != NULL) {
    api.sluice_source_options_free(options);
  }
  strings_free(&sql_k);
  strings_free(&sql_v);
  for (int i = 0; i < 3; i++) {
    free(texts[i]);
  }
  return (jlong)(intptr_t)connector;
}

JNIEXPORT jlong JNICALL Java_dev_sluice_Native_connectorOpenDataset(
    JNIEnv *env, jclass cls, jbyteArray root, jbyteArray name, jbyteArray version, jboolean verify,
    jobjectArray keys, jobjectArray values) {
  (void)cls;
  if (!library_ready(env)) {
    return 0;
  }
  char *root_text = c_string(env, root);
  char *name_text = root_text == NULL ? NULL : c_string(env, name);
  char *version_text = name_text == NULL ? NULL : c_string(env, version);
  struct sluice_connector *connector = NULL;
  if (version_text != NULL) {
    struct sluice_source_options *options = api.sluice_source_options_new();
    if (options == NULL) {
      throw_java(env, "java/lang/OutOfMemoryError", "sluice: out of native memory");
    } else {
      if (set_options(env, options, set_source_option, keys, values)) {
        struct sluice_error *error = NULL;
        enum sluice_status status = api.sluice_connector_open_dataset(
            root_text, name_text, version_text, verify ? 1 : 0, options, &connector, &error);
        if (status != SLUICE_OK) {
          connector = NULL;
          throw_sluice(env, status, error);
        }
      }
      api.sluice_source_options_free(options);
    }
  }
  free(version_text);
  free(name_text);
  free(root_text);
  return (jlong)(intptr_t)connector;
}

JNIEXPORT void JNICALL Java_dev_sluice_Native_connectorFree(JNIEnv *env, jclass cls,
                                                            jlong connector) {
  (void)cls;
  if (library_ready(env)) {
    api.sluice_connector_free((struct sluice_connector *)(intptr_t)connector);
  }
}

JNIEXPORT void JNICALL Java_dev_sluice_Native_connectorSchema(JNIEnv *env, jclass cls,
                                                              jlong connector,
                                                              jlong schema_address) {
  (void)cls;
  if (!library_ready(env)) {
    return;
  }
  struct sluice_error *error = NULL;
  enum sluice_status status =
      api.sluice_connector_schema((const struct sluice_connector *)(intptr_t)connector,
                                  (struct ArrowSchema *)(intptr_t)schema_address, &error);
  if (status != SLUICE_OK) {
    throw_sluice(env, status, error);
  }
}

static jlong row_count(JNIEnv *env, enum sluice_status status, struct sluice_error *error,
                       uint64_t rows) {
  if (status != SLUICE_OK) {
    throw_sluice(env, status, error);
    return 0;
  }
  if (rows > (uint64_t)INT64_MAX) {
    throw_java(env, "java/lang/ArithmeticException", "sluice: the row count does not fit a long");
    return 0;
  }
  return (jlong)rows;
}

JNIEXPORT jlong JNICALL Java_dev_sluice_Native_connectorNumRows(JNIEnv *env, jclass cls,
                                                                jlong connector) {
  (void)cls;
  if (!library_ready(env)) {
    return 0;
  }
  struct sluice_error *error = NULL;
  uint64_t rows = 0;
  enum sluice_status status = api.sluice_connector_num_rows(
      (const struct sluice_connector *)(intptr_t)connector, &rows, &error);
  return row_count(env, status, error, rows);
}

JNIEXPORT jlong JNICALL Java_dev_sluice_Native_connectorCountRows(JNIEnv *env, jclass cls,
                                                                  jlong connector,
                                                                  jobjectArray keys,
                                                                  jobjectArray values) {
  (void)cls;
  if (!library_ready(env)) {
    return 0;
  }
  struct sluice_read_options *options = read_options_from(env, keys, values);
  if (options == NULL) {
    return 0;
  }
  struct sluice_error *error = NULL;
  uint64_t rows = 0;
  enum sluice_status status = api.sluice_connector_count_rows(
      (const struct sluice_connector *)(intptr_t)connector, options, &rows, &error);
  api.sluice_read_options_free(options);
  return row_count(env, status, error, rows);
}

JNIEXPORT void JNICALL Java_dev_sluice_Native_connectorRead(JNIEnv *env, jclass cls,
                                                            jlong connector, jobjectArray keys,
                                                            jobjectArray values,
                                                            jlong stream_address) {
  (void)cls;
  if (!library_ready(env)) {
    return;
  }
  if (stream_address == 0) {
    throw_java(env, "java/lang/NullPointerException", "sluice: the ArrowArrayStream address is 0");
    return;
  }
  struct sluice_read_options *options = read_options_from(env, keys, values);
  if (options == NULL) {
    return;
  }
  struct sluice_error *error = NULL;
  enum sluice_status status =
      api.sluice_connector_read((const struct sluice_connector *)(intptr_t)connector, options,
                                (struct ArrowArrayStream *)(intptr_t)stream_address, &error);
  api.sluice_read_options_free(options);
  if (status != SLUICE_OK) {
    throw_sluice(env, status, error);
  }
}

JNIEXPORT jthrowable JNICALL Java_dev_sluice_Native_streamLastError(JNIEnv *env, jclass cls,
                                                                    jlong stream_address) {
  (void)cls;
  if (!library_ready(env)) {
    return NULL;
  }
  struct sluice_error *last = NULL, *error = NULL;
  enum sluice_status status = api.sluice_stream_last_error(
      (const struct ArrowArrayStream *)(intptr_t)stream_address, &last, &error);
  if (status != SLUICE_OK) {
    return sluice_exception(env, status, error);
  }
  if (last == NULL) {
    return NULL;
  }
  return sluice_exception(env, api.sluice_error_status(last), last);
}

JNIEXPORT jbyteArray JNICALL Java_dev_sluice_Native_streamPosition(JNIEnv *env, jclass cls,
                                                                   jlong stream_address,
                                                                   jlong unconsumed_rows) {
  (void)cls;
  if (!library_ready(env)) {
    return NULL;
  }
  char *token = NULL;
  struct sluice_error *error = NULL;
  enum sluice_status status =
      api.sluice_stream_position((const struct ArrowArrayStream *)(intptr_t)stream_address,
                                 (uint64_t)unconsumed_rows, &token, &error);
  if (status != SLUICE_OK) {
    throw_sluice(env, status, error);
    return NULL;
  }
  jbyteArray out = bytes_of(env, token);
  api.sluice_string_free(token);
  return out;
}
