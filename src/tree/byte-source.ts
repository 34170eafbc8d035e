// Random-access byte sources: a layer tar, the decompressed spool of a compressed layer, a slice of a
// docker-save archive, a file of a directory layer. File contents in the tree point into these.

export interface ByteSource {
  /** What to name in messages: a file path, optionally with the archive member (`image.tar:abc/layer.tar`). */
  readonly name: string;
  readonly sizeBytes: number;
  /**
   * Reads exactly `lengthBytes` at `offsetBytes` into `target` at `targetOffset`.
   * @throws AmikitError INPUT_FORMAT when the source ends early (truncated input).
   */
  readInto(target: Buffer, targetOffset: number, lengthBytes: number, offsetBytes: number): Promise<void>;
  /** Releases the handle; further reads fail. Idempotent. */
  close(): Promise<void>;
}

/** Reads a range into a new buffer. */
export async function readRange(source: ByteSource, offsetBytes: number, lengthBytes: number): Promise<Buffer> {
  const buffer = Buffer.allocUnsafe(lengthBytes);
  await source.readInto(buffer, 0, lengthBytes, offsetBytes);
  return buffer;
}
