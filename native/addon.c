/* Node-API marshalling for the kernels in kernels.h: argument checks and conversions only. */
#include <node_api.h>

#include "kernels.h"

#define CHECK(call)                                                     \
  do {                                                                  \
    if ((call) != napi_ok) {                                            \
      napi_throw_error(env, "AMIKIT_NATIVE", "Node-API call failed: " #call); \
      return NULL;                                                      \
    }                                                                   \
  } while (0)

/* Fetches `count` arguments into argv; throws a TypeError saying "<usage> needs <words>" when fewer came. */
#define GET_ARGS(count, argv, usage, words)                              \
  do {                                                                  \
    size_t argc_ = (count);                                             \
    CHECK(napi_get_cb_info(env, info, &argc_, (argv), NULL, NULL));     \
    if (argc_ < (count)) {                                              \
      napi_throw_type_error(env, NULL, usage " needs " words);          \
      return NULL;                                                      \
    }                                                                   \
  } while (0)

/* crc32c(seed: number, data: Uint8Array): number */
static napi_value crc32c(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  GET_ARGS(2, argv, "crc32c(seed, data)", "two arguments");
  uint32_t seed;
  CHECK(napi_get_value_uint32(env, argv[0], &seed));
  napi_typedarray_type type;
  size_t length;
  void *data;
  CHECK(napi_get_typedarray_info(env, argv[1], &type, &length, &data, NULL, NULL));
  if (type != napi_uint8_array) {
    napi_throw_type_error(env, NULL, "crc32c: data must be a Uint8Array");
    return NULL;
  }
  napi_value result;
  CHECK(napi_create_uint32(env, amikit_crc32c(seed, (const uint8_t *)data, length), &result));
  return result;
}

/* seekExtent(fd: number, offset: number, data: boolean): number (>= 0, -1 past the end, < -1: -2 - errno) */
static napi_value seek_extent(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  GET_ARGS(3, argv, "seekExtent(fd, offset, data)", "three arguments");
  int32_t fd;
  int64_t offset;
  bool whence_data;
  CHECK(napi_get_value_int32(env, argv[0], &fd));
  CHECK(napi_get_value_int64(env, argv[1], &offset));
  CHECK(napi_get_value_bool(env, argv[2], &whence_data));
  napi_value result;
  CHECK(napi_create_int64(env, amikit_seek_extent(fd, offset, whence_data ? 1 : 0), &result));
  return result;
}

/* adviseWillNeed(fd: number, offset: number, length: number): number (0 or an errno) */
static napi_value advise_will_need(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  GET_ARGS(3, argv, "adviseWillNeed(fd, offset, length)", "three arguments");
  int32_t fd;
  int64_t offset;
  int64_t length;
  CHECK(napi_get_value_int32(env, argv[0], &fd));
  CHECK(napi_get_value_int64(env, argv[1], &offset));
  CHECK(napi_get_value_int64(env, argv[2], &length));
  napi_value result;
  CHECK(napi_create_int32(env, amikit_advise_will_need(fd, offset, length), &result));
  return result;
}

/* hashBlock(data: Uint8Array, sha256Out: Uint8Array | null): bigint — XXH64 (seed 0), and SHA-256 into sha256Out (32 bytes) when given. */
static napi_value hash_block(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  GET_ARGS(2, argv, "hashBlock(data, sha256Out)", "two arguments");
  napi_typedarray_type type;
  size_t length;
  void *data;
  CHECK(napi_get_typedarray_info(env, argv[0], &type, &length, &data, NULL, NULL));
  if (type != napi_uint8_array) {
    napi_throw_type_error(env, NULL, "hashBlock: data must be a Uint8Array");
    return NULL;
  }
  napi_valuetype out_type;
  CHECK(napi_typeof(env, argv[1], &out_type));
  if (out_type != napi_null && out_type != napi_undefined) {
    size_t out_length;
    void *out;
    CHECK(napi_get_typedarray_info(env, argv[1], &type, &out_length, &out, NULL, NULL));
    if (type != napi_uint8_array || out_length < 32) {
      napi_throw_type_error(env, NULL, "hashBlock: sha256Out must be a Uint8Array of at least 32 bytes");
      return NULL;
    }
    amikit_sha256((const uint8_t *)data, length, (uint8_t *)out);
  }
  napi_value result;
  CHECK(napi_create_bigint_uint64(env, amikit_xxh64((const uint8_t *)data, length, 0), &result));
  return result;
}

/* crc32cIsHardware(): boolean */
static napi_value crc32c_is_hardware(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value result;
  CHECK(napi_get_boolean(env, amikit_crc32c_is_hardware() != 0, &result));
  return result;
}

/* keepFreedMemory(trimThresholdBytes: number, mmapThresholdBytes: number): boolean */
static napi_value keep_freed_memory(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  GET_ARGS(2, argv, "keepFreedMemory(trimThresholdBytes, mmapThresholdBytes)", "two arguments");
  uint32_t trim_threshold;
  uint32_t mmap_threshold;
  CHECK(napi_get_value_uint32(env, argv[0], &trim_threshold));
  CHECK(napi_get_value_uint32(env, argv[1], &mmap_threshold));
  napi_value result;
  CHECK(napi_get_boolean(env, amikit_keep_freed_memory(trim_threshold, mmap_threshold) != 0, &result));
  return result;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor properties[] = {
      {"crc32c", NULL, crc32c, NULL, NULL, NULL, napi_enumerable, NULL},
      {"seekExtent", NULL, seek_extent, NULL, NULL, NULL, napi_enumerable, NULL},
      {"adviseWillNeed", NULL, advise_will_need, NULL, NULL, NULL, napi_enumerable, NULL},
      {"hashBlock", NULL, hash_block, NULL, NULL, NULL, napi_enumerable, NULL},
      {"crc32cIsHardware", NULL, crc32c_is_hardware, NULL, NULL, NULL, napi_enumerable, NULL},
      {"keepFreedMemory", NULL, keep_freed_memory, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  CHECK(napi_define_properties(env, exports, sizeof(properties) / sizeof(properties[0]), properties));
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
