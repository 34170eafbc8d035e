/* Finds the data and holes of a sparse file with lseek(SEEK_DATA / SEEK_HOLE), and asks for readahead
 * with posix_fadvise: file-layout calls Node's fs does not expose. */
#include "kernels.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

int64_t amikit_seek_extent(int fd, int64_t offset, int whence_data) {
  off_t result = lseek(fd, (off_t)offset, whence_data ? SEEK_DATA : SEEK_HOLE);
  if (result >= 0) return (int64_t)result;
  if (errno == ENXIO) return -1;
  return -2 - (int64_t)errno;
}

int amikit_advise_will_need(int fd, int64_t offset, int64_t length) {
  /* Starts asynchronous readahead of the range into the page cache; returns at once. */
  return posix_fadvise(fd, (off_t)offset, (off_t)length, POSIX_FADV_WILLNEED);
}
