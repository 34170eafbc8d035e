// Where the local AWS endpoint keeps snapshot block bytes: one sparse file per snapshot in a temp
// directory (a 2 GiB snapshot costs only its written blocks on disk and nothing in memory), memory, or
// nowhere ('discard': the upload benchmark, where storing gigabytes would bill the server for memory
// the real service never spends on this machine; every check before storing still runs).
import { mkdtemp, open, rm, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const EBS_BLOCK_SIZE_BYTES = 512 * 1024;

export type BlockStoreKind = 'disk' | 'memory' | 'discard';

/** Stores 512 KiB blocks by (snapshot, block index). Only blocks written are ever read back. */
export class BlockStore {
  readonly #kind: BlockStoreKind;
  readonly #dir: string | undefined;
  readonly #files = new Map<string, Promise<FileHandle>>();
  readonly #memory = new Map<string, Map<number, Buffer>>();

  private constructor(kind: BlockStoreKind, dir: string | undefined) {
    this.#kind = kind;
    this.#dir = dir;
  }

  /** @param kind 'disk' (default): sparse files under a fresh mkdtemp directory, removed by close(). */
  static async create(kind: BlockStoreKind = 'disk', parentDir = tmpdir()): Promise<BlockStore> {
    const dir = kind === 'disk' ? await mkdtemp(join(parentDir, 'amikit-aws-endpoint-')) : undefined;
    return new BlockStore(kind, dir);
  }

  /** Whether write() keeps the caller's buffer (memory): a caller may otherwise reuse it at once. */
  get keepsBuffers(): boolean {
    return this.#kind === 'memory';
  }

  /** Whether written bytes are kept at all: 'discard' keeps none, so the endpoint need not gather them. */
  get keepsBytes(): boolean {
    return this.#kind !== 'discard';
  }

  /** The temp directory holding the sparse files (undefined in memory mode). */
  get directory(): string | undefined {
    return this.#dir;
  }

  /** Stores one block; the memory store keeps `data` itself, so the caller must not modify it afterwards. */
  async write(snapshotId: string, blockIndex: number, data: Buffer): Promise<void> {
    if (data.length !== EBS_BLOCK_SIZE_BYTES) throw new RangeError(`a block is ${EBS_BLOCK_SIZE_BYTES} bytes, got ${data.length}`);
    if (this.#kind === 'discard') return;
    if (this.#kind === 'memory') {
      let blocks = this.#memory.get(snapshotId);
      if (!blocks) this.#memory.set(snapshotId, (blocks = new Map()));
      // Kept as given, not copied: request bodies are fresh buffers nobody writes to again.
      blocks.set(blockIndex, data);
      return;
    }
    const file = await this.#file(snapshotId);
    await file.write(data, 0, data.length, blockIndex * EBS_BLOCK_SIZE_BYTES);
  }

  async read(snapshotId: string, blockIndex: number): Promise<Buffer> {
    if (this.#kind === 'discard') throw new Error(`block ${blockIndex} of ${snapshotId} was not kept: this endpoint runs with storage 'discard'`);
    if (this.#kind === 'memory') {
      const block = this.#memory.get(snapshotId)?.get(blockIndex);
      return block ? Buffer.from(block) : Buffer.alloc(EBS_BLOCK_SIZE_BYTES);
    }
    const file = await this.#file(snapshotId);
    const buffer = Buffer.alloc(EBS_BLOCK_SIZE_BYTES);
    await file.read(buffer, 0, buffer.length, blockIndex * EBS_BLOCK_SIZE_BYTES);
    return buffer;
  }

  async close(): Promise<void> {
    for (const file of this.#files.values()) await (await file).close();
    this.#files.clear();
    this.#memory.clear();
    if (this.#dir) await rm(this.#dir, { recursive: true, force: true });
  }

  #file(snapshotId: string): Promise<FileHandle> {
    let file = this.#files.get(snapshotId);
    if (!file) {
      // Writing past the end of a file leaves a hole, so untouched blocks take no disk space.
      file = open(join(this.#dir as string, `${snapshotId}.blocks`), 'w+');
      this.#files.set(snapshotId, file);
    }
    return file;
  }
}
