// Where a file's data lies: lseek SEEK_DATA/SEEK_HOLE through the native addon, so reading a sparse
// image costs time proportional to its data. The JS reference (no addon) reports the whole file as data.
import { AmikitError } from '../shared/errors.js';
import { nativeAddon } from './native-addon.js';

/** A byte range [offsetBytes, offsetBytes + lengthBytes) that may hold non-zero bytes. */
export interface DataExtent {
  offsetBytes: number;
  lengthBytes: number;
}

/** The JS reference: without lseek every byte may be data (callers then zero-scan it). */
export function dataExtentsReference(sizeBytes: number): DataExtent[] {
  return sizeBytes > 0 ? [{ offsetBytes: 0, lengthBytes: sizeBytes }] : [];
}

/**
 * The data extents of the open file `fd` of `sizeBytes` bytes, ascending. A filesystem without
 * SEEK_DATA support reports one extent for the whole file, which is still correct.
 * @throws AmikitError IO when lseek fails for another reason.
 */
export function dataExtents(fd: number, sizeBytes: number, path = `fd ${fd}`): DataExtent[] {
  const addon = nativeAddon().addon;
  if (!addon) return dataExtentsReference(sizeBytes);
  const extents: DataExtent[] = [];
  let offset = 0;
  while (offset < sizeBytes) {
    const dataStart = check(addon.seekExtent(fd, offset, true), path);
    if (dataStart < 0 || dataStart >= sizeBytes) break;
    const holeStart = check(addon.seekExtent(fd, dataStart, false), path);
    const end = holeStart < 0 ? sizeBytes : Math.min(holeStart, sizeBytes);
    extents.push({ offsetBytes: dataStart, lengthBytes: end - dataStart });
    offset = end;
  }
  return extents;
}

function check(result: number, path: string): number {
  if (result < -1) {
    throw new AmikitError('IO', `cannot find the data extents of ${path}: lseek failed with errno ${-2 - result}`, { data: { path } });
  }
  return result;
}
