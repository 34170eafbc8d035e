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
  /**
   * The same read done synchronously, offered by sources over a local file. Callers that issue many
   * small reads (tar header scans, small files) use it when present: a pread of a few KiB from the
   * page cache takes microseconds, while the promise round trip through the libuv threadpool costs tens
   * of them and left the main thread idle about a third of a build.
   */
  readIntoSync?(target: Buffer, targetOffset: number, lengthBytes: number, offsetBytes: number): void;
  /**
   * Hints that the range will be read soon, so a source on a disk can fetch it in the background
   * (readahead). Never waits and never fails; sources without such a notion omit it.
   */
  adviseWillNeed?(offsetBytes: number, lengthBytes: number): void;
  /** Releases the handle; further reads fail. Idempotent. */
  close(): Promise<void>;
}

/** Reads a range into a new buffer. */
export async function readRange(source: ByteSource, offsetBytes: number, lengthBytes: number): Promise<Buffer> {
  const buffer = Buffer.allocUnsafe(lengthBytes);
  await source.readInto(buffer, 0, lengthBytes, offsetBytes);
  return buffer;
}
