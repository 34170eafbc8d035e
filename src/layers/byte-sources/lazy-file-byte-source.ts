// A ByteSource for one host file of a directory layer. A tree may hold thousands of these, so the file
// is opened only while it is being read: on the first read, and released after the read that reaches
// its last byte (a later read reopens it) or on close().
import { open, type FileHandle } from 'node:fs/promises';
import type { ByteSource } from '../../tree/byte-source.js';
import { AmikitError, ioError } from '../../shared/errors.js';
import { checkRange, readFully, truncatedError } from './file-byte-source.js';

export class LazyFileByteSource implements ByteSource {
  readonly name: string;
  readonly sizeBytes: number;
  private readonly path: string;
  private handle: Promise<FileHandle> | undefined;
  private readsInFlight = 0;
  private releaseWhenIdle = false;
  private closed = false;

  /** `sizeBytes` is the size seen when the layer was scanned; a file that shrank since reads as truncated. */
  constructor(path: string, sizeBytes: number, name: string = path) {
    this.path = path;
    this.sizeBytes = sizeBytes;
    this.name = name;
  }

  /** True while a descriptor is held (for tests and leak checks). */
  get isOpen(): boolean {
    return this.handle !== undefined;
  }

  async readInto(target: Buffer, targetOffset: number, lengthBytes: number, offsetBytes: number): Promise<void> {
    if (this.closed) throw new AmikitError('INTERNAL', `${this.name}: read after close`);
    checkRange(this.name, target, targetOffset, lengthBytes, offsetBytes);
    if (offsetBytes + lengthBytes > this.sizeBytes) throw truncatedError(this.name, offsetBytes, lengthBytes);
    if (lengthBytes === 0) return;
    this.handle ??= open(this.path, 'r').catch((error: unknown) => {
      this.handle = undefined;
      throw ioError('open', this.path, error);
    });
    this.readsInFlight++;
    try {
      await readFully(await this.handle, this.name, target, targetOffset, lengthBytes, offsetBytes);
      if (offsetBytes + lengthBytes === this.sizeBytes) this.releaseWhenIdle = true;
    } finally {
      this.readsInFlight--;
      if (this.readsInFlight === 0 && (this.releaseWhenIdle || this.closed)) await this.release();
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.readsInFlight === 0) await this.release();
  }

  private async release(): Promise<void> {
    const pending = this.handle;
    this.handle = undefined;
    this.releaseWhenIdle = false;
    if (pending === undefined) return;
    const handle = await pending.catch(() => undefined);
    await handle?.close();
  }
}
