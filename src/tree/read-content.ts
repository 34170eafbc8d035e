// Streams a file's stored bytes (its segments' data, holes excluded) in bounded chunks, from memory or
// from the random-access source its content points into.
import type { FileNode } from './node.js';

/** Chunk size for reads from sources: large enough for sequential throughput, small enough to bound memory. */
export const CONTENT_CHUNK_BYTES = 1024 * 1024;

/**
 * Yields the stored bytes of `file` in order. Buffers may be reused by the next iteration when `reuse`
 * is given (copy them if you keep them).
 */
export async function* readContent(file: FileNode, reuse?: Buffer): AsyncGenerator<Buffer> {
  const content = file.content;
  if (content.kind === 'bytes') {
    if (content.bytes.length > 0) yield content.bytes;
    return;
  }
  let remaining = content.storedBytes;
  let offsetBytes = content.offsetBytes;
  const buffer = reuse ?? Buffer.allocUnsafe(Math.min(CONTENT_CHUNK_BYTES, Math.max(1, remaining)));
  while (remaining > 0) {
    const lengthBytes = Math.min(buffer.length, remaining);
    await content.source.readInto(buffer, 0, lengthBytes, offsetBytes);
    yield lengthBytes === buffer.length ? buffer : buffer.subarray(0, lengthBytes);
    offsetBytes += lengthBytes;
    remaining -= lengthBytes;
  }
}

/** Reads a whole (small) file into memory: for customisation ops that edit /etc files. */
export async function readWholeContent(file: FileNode): Promise<Buffer> {
  if (file.content.kind === 'bytes') return file.content.bytes;
  const parts: Buffer[] = [];
  for await (const chunk of readContent(file)) parts.push(Buffer.from(chunk));
  return Buffer.concat(parts);
}

/**
 * Yields the logical bytes of `file` (what `cat` shows): stored bytes in place, holes as zeros, in chunks
 * of at most CONTENT_CHUNK_BYTES so a large hole never becomes one large buffer.
 */
export async function* readLogicalContent(file: FileNode): AsyncGenerator<Buffer> {
  const segments = file.segments ?? (file.sizeBytes > 0 ? [{ offsetBytes: 0, lengthBytes: file.sizeBytes }] : []);
  let zeros: Buffer | undefined;
  function* hole(lengthBytes: number): Generator<Buffer> {
    zeros ??= Buffer.alloc(Math.min(CONTENT_CHUNK_BYTES, lengthBytes));
    for (let left = lengthBytes; left > 0; left -= zeros.length) yield left >= zeros.length ? zeros : zeros.subarray(0, left);
  }
  let position = 0;
  let segment = 0;
  let usedInSegment = 0;
  for await (const chunk of readContent(file)) {
    let at = 0;
    while (at < chunk.length) {
      const current = segments[segment]!;
      if (position < current.offsetBytes) {
        yield* hole(current.offsetBytes - position);
        position = current.offsetBytes;
      }
      const take = Math.min(current.lengthBytes - usedInSegment, chunk.length - at);
      yield chunk.subarray(at, at + take);
      at += take;
      position += take;
      usedInSegment += take;
      if (usedInSegment === current.lengthBytes) {
        segment++;
        usedInSegment = 0;
      }
    }
  }
  if (position < file.sizeBytes) yield* hole(file.sizeBytes - position);
}
