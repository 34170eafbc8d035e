/* Process memory policy: keep memory that malloc frees for reuse instead of handing it back to the kernel. */
#include "kernels.h"

#ifdef __GLIBC__
#include <malloc.h>
#endif

int amikit_keep_freed_memory(size_t trim_threshold_bytes, size_t mmap_threshold_bytes) {
#ifdef __GLIBC__
  /* glibc returns the top of its heaps to the kernel once more than M_TRIM_THRESHOLD is free there, and
   * serves allocations from M_MMAP_THRESHOLD up with fresh mappings unmapped on free. Either way the
   * next allocation faults fresh pages in again. */
  int trim = mallopt(M_TRIM_THRESHOLD, (int)trim_threshold_bytes);
  int mmap = mallopt(M_MMAP_THRESHOLD, (int)mmap_threshold_bytes);
  return trim == 1 && mmap == 1;
#else
  (void)trim_threshold_bytes;
  (void)mmap_threshold_bytes;
  return 0;
#endif
}
