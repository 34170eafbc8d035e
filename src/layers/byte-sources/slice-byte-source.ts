// A window onto another ByteSource: a layer tar stored inside a docker-save tar, or a member's data.
// Reads are bounds-checked against the window so a member can never read its neighbours' bytes.
import type { ByteSource } from '../../tree/byte-source.js';
import { AmikitError } from '../../shared/errors.js';
import { checkRange, truncatedError } from './file-byte-source.js';

export class SliceByteSource implements ByteSource {
  readonly name: string;
  readonly sizeBytes: number;
  private readonly parent: ByteSource;
  private readonly offsetBytes: number;
  private closed = false;

  /**
   * The window [offsetBytes, offsetBytes + sizeBytes) of `parent`. The slice does not own the parent:
   * closing the slice leaves the parent open.
   * @throws AmikitError INPUT_FORMAT when the window reaches past the end of the parent.
   */
  constructor(parent: ByteSource, offsetBytes: number, sizeBytes: number, name: string) {
    if (!Number.isSafeInteger(offsetBytes) || !Number.isSafeInteger(sizeBytes) || offsetBytes < 0 || sizeBytes < 0) {
      throw new AmikitError('INTERNAL', `${name}: bad slice (offset ${offsetBytes}, size ${sizeBytes})`);
    }
    if (offsetBytes + sizeBytes > parent.sizeBytes) {
      throw new AmikitError(
        'INPUT_FORMAT',
        `${name}: truncated: member spans bytes ${offsetBytes}..${offsetBytes + sizeBytes} but ${parent.name} has ${parent.sizeBytes}`,
        { data: { file: name, offsetBytes, sizeBytes } },
      );
    }
    this.parent = parent;
    this.offsetBytes = offsetBytes;
    this.sizeBytes = sizeBytes;
    this.name = name;
    if (parent.readIntoSync) {
      const parentRead = parent.readIntoSync.bind(parent);
      this.readIntoSync = (target, targetOffset, lengthBytes, offsetBytesInSlice): void => {
        this.checkRead(target, targetOffset, lengthBytes, offsetBytesInSlice);
        parentRead(target, targetOffset, lengthBytes, this.offsetBytes + offsetBytesInSlice);
      };
    }
  }

  /** Present when the parent reads synchronously. */
  readonly readIntoSync?: (target: Buffer, targetOffset: number, lengthBytes: number, offsetBytes: number) => void;

  private checkRead(target: Buffer, targetOffset: number, lengthBytes: number, offsetBytes: number): void {
    if (this.closed) throw new AmikitError('INTERNAL', `${this.name}: read after close`);
    checkRange(this.name, target, targetOffset, lengthBytes, offsetBytes);
    if (offsetBytes + lengthBytes > this.sizeBytes) throw truncatedError(this.name, offsetBytes, lengthBytes);
  }

  async readInto(target: Buffer, targetOffset: number, lengthBytes: number, offsetBytes: number): Promise<void> {
    this.checkRead(target, targetOffset, lengthBytes, offsetBytes);
    await this.parent.readInto(target, targetOffset, lengthBytes, this.offsetBytes + offsetBytes);
  }

  /** Forwarded to the parent, clipped to the window: a layer inside a docker-save archive is scanned like a tar. */
  adviseWillNeed(offsetBytes: number, lengthBytes: number): void {
    const clipped = Math.min(lengthBytes, this.sizeBytes - offsetBytes);
    if (!this.closed && clipped > 0) this.parent.adviseWillNeed?.(this.offsetBytes + offsetBytes, clipped);
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}
