// A ByteSource over a host file, read with positional reads (pread) so concurrent readers never share
// a file position. Used for plain layer tars and for the spools of decompressed layers.
import { readSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import type { ByteSource } from '../../tree/byte-source.js';
import { AmikitError, ioError } from '../../shared/errors.js';
import { nativeAddon } from '../../kernels/native-addon.js';

export class FileByteSource implements ByteSource {
  readonly name: string;
  readonly sizeBytes: number;
  private handle: FileHandle | undefined;

  /** Wraps an already open handle (e.g. an unlinked spool file); the source owns it from now on. */
  constructor(handle: FileHandle, sizeBytes: number, name: string) {
    this.handle = handle;
    this.sizeBytes = sizeBytes;
    this.name = name;
  }

  /**
   * Opens `path` read-only; its size is taken once, at open.
   * @throws AmikitError INPUT_NOT_FOUND / IO when the file cannot be opened.
   */
  static async open(path: string, name: string = path): Promise<FileByteSource> {
    let handle: FileHandle;
    try {
      handle = await open(path, 'r');
    } catch (error) {
      throw ioError('open', path, error);
    }
    try {
      const stats = await handle.stat();
      if (!stats.isFile()) {
        throw new AmikitError('INPUT_FORMAT', `${name}: not a regular file`, { data: { path } });
      }
      return new FileByteSource(handle, stats.size, name);
    } catch (error) {
      await handle.close().catch(() => undefined);
      if (error instanceof AmikitError) throw error;
      throw ioError('stat', path, error);
    }
  }

  async readInto(target: Buffer, targetOffset: number, lengthBytes: number, offsetBytes: number): Promise<void> {
    const handle = this.handle;
    if (handle === undefined) {
      throw new AmikitError('INTERNAL', `${this.name}: read after close`, { data: { file: this.name } });
    }
    await readFully(handle, this.name, target, targetOffset, lengthBytes, offsetBytes);
  }

  readIntoSync(target: Buffer, targetOffset: number, lengthBytes: number, offsetBytes: number): void {
    const handle = this.handle;
    if (handle === undefined) {
      throw new AmikitError('INTERNAL', `${this.name}: read after close`, { data: { file: this.name } });
    }
    readFullySync(handle.fd, this.name, target, targetOffset, lengthBytes, offsetBytes);
  }

  adviseWillNeed(offsetBytes: number, lengthBytes: number): void {
    const handle = this.handle;
    // A hint only: without the addon, or when the kernel declines, reads simply wait as before.
    if (handle !== undefined) nativeAddon().addon?.adviseWillNeed(handle.fd, offsetBytes, lengthBytes);
  }

  async close(): Promise<void> {
    const handle = this.handle;
    this.handle = undefined;
    if (handle !== undefined) await handle.close();
  }
}

/**
 * Reads exactly `lengthBytes` at `offsetBytes` with positional reads, looping over short reads.
 * Shared by the file-backed sources so they report truncation identically.
 * @throws AmikitError INPUT_FORMAT when the file ends first; IO on an OS error.
 */
export async function readFully(
  handle: FileHandle,
  name: string,
  target: Buffer,
  targetOffset: number,
  lengthBytes: number,
  offsetBytes: number,
): Promise<void> {
  checkRange(name, target, targetOffset, lengthBytes, offsetBytes);
  let doneBytes = 0;
  while (doneBytes < lengthBytes) {
    let bytesRead: number;
    try {
      ({ bytesRead } = await handle.read(target, targetOffset + doneBytes, lengthBytes - doneBytes, offsetBytes + doneBytes));
    } catch (error) {
      throw ioError('read', name, error);
    }
    if (bytesRead === 0) throw truncatedError(name, offsetBytes, lengthBytes);
    doneBytes += bytesRead;
  }
}

/** readFully with a synchronous pread on `fd`: same checks, same errors. */
export function readFullySync(fd: number, name: string, target: Buffer, targetOffset: number, lengthBytes: number, offsetBytes: number): void {
  checkRange(name, target, targetOffset, lengthBytes, offsetBytes);
  let doneBytes = 0;
  while (doneBytes < lengthBytes) {
    let bytesRead: number;
    try {
      bytesRead = readSync(fd, target, targetOffset + doneBytes, lengthBytes - doneBytes, offsetBytes + doneBytes);
    } catch (error) {
      throw ioError('read', name, error);
    }
    if (bytesRead === 0) throw truncatedError(name, offsetBytes, lengthBytes);
    doneBytes += bytesRead;
  }
}

/** The one message for "the source ends before the bytes asked for". */
export function truncatedError(name: string, offsetBytes: number, lengthBytes: number): AmikitError {
  return new AmikitError('INPUT_FORMAT', `${name}: truncated at offset ${offsetBytes} (wanted ${lengthBytes} bytes)`, {
    data: { file: name, offsetBytes, lengthBytes },
  });
}

/** Rejects calls that are bugs in the caller (negative or fractional ranges, target too small). */
export function checkRange(name: string, target: Buffer, targetOffset: number, lengthBytes: number, offsetBytes: number): void {
  if (
    !Number.isSafeInteger(offsetBytes) ||
    !Number.isSafeInteger(lengthBytes) ||
    !Number.isSafeInteger(targetOffset) ||
    offsetBytes < 0 ||
    lengthBytes < 0 ||
    targetOffset < 0 ||
    targetOffset + lengthBytes > target.length
  ) {
    throw new AmikitError(
      'INTERNAL',
      `${name}: bad read range (offset ${offsetBytes}, length ${lengthBytes}, into ${targetOffset} of ${target.length})`,
    );
  }
}
