# Node-API addon with amikit's hot-path kernels. The kernel files are plain C with no Node headers;
# addon.c only converts arguments. Built by `npm install` (node-gyp); amikit falls back to JS without it.
{
  "targets": [
    {
      "target_name": "amikit_native",
      "sources": ["addon.c", "crc32c.c", "sparse_extents.c", "block_hash.c", "malloc_policy.c"],
      "cflags": ["-O3", "-std=c11", "-Wall", "-Wextra"],
      "defines": ["NAPI_VERSION=8", "_GNU_SOURCE"]
    }
  ]
}
