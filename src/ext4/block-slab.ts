// Zeroed metadata blocks carved out of a few reused slabs. A build encodes thousands of small
// directories, each block of which lives only until the writer has copied it: a fresh 4 KiB Buffer per
// block cost ~25 us (a separate allocation, and its page faulted in for the first time; ~37 ms of the
// main thread on a Debian rootfs), clearing a reused one ~0.1 us.

/** Slab size: 64 blocks of 4 KiB. A directory larger than that takes more slabs, which are kept too. */
const SLAB_BLOCKS = 64;

export class BlockSlab {
  private readonly slabs: Buffer[] = [];
  private slabIndex = 0;
  private offsetBytes = 0;

  constructor(readonly blockSizeBytes: number) {}

  /** A zero-filled block, valid until the next reset(). */
  block(): Buffer {
    let slab = this.slabs[this.slabIndex];
    if (slab && this.offsetBytes + this.blockSizeBytes > slab.length) {
      this.slabIndex += 1;
      this.offsetBytes = 0;
      slab = this.slabs[this.slabIndex];
    }
    if (!slab) {
      // Buffer.alloc, not allocUnsafe: never from Node's shared pool, whose other users must not be overwritten.
      slab = Buffer.alloc(SLAB_BLOCKS * this.blockSizeBytes);
      this.slabs.push(slab);
    }
    const block = slab.subarray(this.offsetBytes, this.offsetBytes + this.blockSizeBytes);
    block.fill(0);
    this.offsetBytes += this.blockSizeBytes;
    return block;
  }

  /** Makes every block handed out so far reusable: the caller holds none of them any more. */
  reset(): void {
    this.slabIndex = 0;
    this.offsetBytes = 0;
  }
}
