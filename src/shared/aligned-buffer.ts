// Page-aligned buffers for O_DIRECT writes. The kernel refuses a direct write (EINVAL) unless the
// memory address, the file offset and the length are multiples of the device's logical block size;
// Node's Buffers come from malloc and carry no such alignment. A WebAssembly.Memory's backing store is
// mapped by V8's page allocator, so it starts on a page boundary, and every 4 KiB-multiple offset into
// it stays aligned. No native code is needed; without alignment a direct write fails and the caller
// falls back to buffered writes, so a surprise here costs speed, never bytes.

/** The one WebAssembly API used here (the project's lib settings carry no WebAssembly types). */
const { Memory } = (globalThis as unknown as { WebAssembly: { Memory: new (pages: { initial: number; maximum: number }) => { buffer: ArrayBuffer } } }).WebAssembly;

/** A WebAssembly page: the unit a Memory is sized in. */
const WASM_PAGE_BYTES = 64 * 1024;

/**
 * Released buffers by size, reused before a new Memory is made: each Memory reserves gigabytes of
 * address space (V8's bounds-check guard region), so a process that builds many images in a row (the
 * test suite, a library user) must not make one per writer and wait for the garbage collector.
 */
const free = new Map<number, Buffer[]>();

/** A zero-filled or reused buffer of `bytes` (a multiple of 4096) whose address is page-aligned. */
export function alignedBuffer(bytes: number): Buffer {
  if (bytes <= 0 || bytes % 4096 !== 0) throw new RangeError(`aligned buffers are whole 4 KiB pages, not ${bytes} bytes`);
  const reused = free.get(bytes)?.pop();
  if (reused) return reused;
  const memory = new Memory({ initial: Math.ceil(bytes / WASM_PAGE_BYTES), maximum: Math.ceil(bytes / WASM_PAGE_BYTES) });
  return Buffer.from(memory.buffer, 0, bytes);
}

/** Returns a buffer from alignedBuffer() for reuse; the caller must not touch it afterwards. */
export function releaseAlignedBuffer(buffer: Buffer): void {
  const list = free.get(buffer.length) ?? [];
  // A handful per size covers the writers alive at once; more would only pin memory.
  if (list.length < 4) list.push(buffer);
  free.set(buffer.length, list);
}
