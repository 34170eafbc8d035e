import { describe, expect, it } from 'vitest';
import { WrittenMap } from './written-map.js';

/** Five data blocks: zero, last byte set, zero, first byte set, a byte in the middle set. */
function dataBlocks(into: Buffer): Buffer {
  into.fill(0);
  into[2 * 4096 - 1] = 1;
  into[3 * 4096] = 0x80;
  into[4 * 4096 + 2049] = 7;
  return into;
}

describe('WrittenMap.addData', () => {
  it('marks exactly the all-zero data blocks as meaningful zeros', () => {
    const map = new WrittenMap();
    map.addData(100, dataBlocks(Buffer.alloc(5 * 4096)));
    expect(map.finish()).toEqual([
      { startBlock: 100, blockCount: 1, meaningfulZeros: true },
      { startBlock: 101, blockCount: 1, meaningfulZeros: false },
      { startBlock: 102, blockCount: 1, meaningfulZeros: true },
      { startBlock: 103, blockCount: 2, meaningfulZeros: false },
    ]);
  });

  it('gives the same answer for a buffer that is not 4-byte aligned in memory', () => {
    const backing = Buffer.alloc(5 * 4096 + 1);
    const unaligned = dataBlocks(backing.subarray(1));
    expect(unaligned.byteOffset % 4).not.toBe(0);
    const aligned = new WrittenMap();
    aligned.addData(7, dataBlocks(Buffer.alloc(5 * 4096)));
    const map = new WrittenMap();
    map.addData(7, unaligned);
    expect(map.finish()).toEqual(aligned.finish());
  });
});
