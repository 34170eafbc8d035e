/* Finds the data and holes of a sparse file with lseek(SEEK_DATA / SEEK_HOLE), which Node's fs does
 * not expose, so reading a mostly-empty image costs time proportional to its data. */
#include "kernels.h"

#include <errno.h>
#include <unistd.h>

int64_t amikit_seek_extent(int fd, int64_t offset, int whence_data) {
  off_t result = lseek(fd, (off_t)offset, whence_data ? SEEK_DATA : SEEK_HOLE);
  if (result >= 0) return (int64_t)result;
  if (errno == ENXIO) return -1;
  return -2 - (int64_t)errno;
}
