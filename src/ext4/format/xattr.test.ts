// Checks xattr layout: entry encoding, inline-vs-block placement, sorting, hashes, sealing and limits.
import { describe, expect, it } from 'vitest';
import { crc32c } from '../../kernels/crc32c.js';
import { AmikitError } from '../../shared/errors.js';
import { layoutXattrs, sealXattrBlock, xattrEntryHash } from './xattr.js';

const OPTS = { inlineSpaceBytes: 96, blockSizeBytes: 4096 };

interface Decoded {
  nameIndex: number;
  name: string;
  value: Buffer;
  hash: number;
}

/** Independent decoder: walks entries until the 4 zero bytes, resolving value offsets from `base`. */
function decode(area: Buffer, entriesStart: number, base: number): Decoded[] {
  const out: Decoded[] = [];
  let at = entriesStart;
  while (area.readUInt32LE(at) !== 0) {
    const nameLength = area.readUInt8(at);
    const offs = area.readUInt16LE(at + 2);
    const size = area.readUInt32LE(at + 8);
    expect(area.readUInt32LE(at + 4)).toBe(0);
    expect(offs % 4).toBe(0);
    out.push({
      nameIndex: area.readUInt8(at + 1),
      name: area.subarray(at + 16, at + 16 + nameLength).toString(),
      value: area.subarray(base + offs, base + offs + size),
      hash: area.readUInt32LE(at + 12),
    });
    at += (16 + nameLength + 3) & ~3;
  }
  return out;
}

describe('xattrEntryHash', () => {
  it('hashes name bytes then little-endian value words', () => {
    // Hand-computed: name "a" → 0x61; value "b" → word 0x62 → (0x61 << 16) ^ 0x62.
    expect(xattrEntryHash(Buffer.from('a'), Buffer.from('b'))).toBe(((0x61 << 16) ^ 0x62) >>> 0);
    expect(xattrEntryHash(Buffer.from('ab'), Buffer.alloc(0))).toBe(((0x61 << 5) ^ 0x62) >>> 0);
  });
});

describe('layoutXattrs', () => {
  it('returns nulls for no attributes', () => {
    expect(layoutXattrs(new Map(), OPTS)).toEqual({ inlineArea: null, block: null });
  });

  it('puts small attributes inline with hash 0 and offsets from the first entry', () => {
    const { inlineArea, block } = layoutXattrs(new Map([['user.mime', Buffer.from('text/plain')]]), OPTS);
    expect(block).toBeNull();
    expect(inlineArea).toHaveLength(96);
    expect(inlineArea!.readUInt32LE(0)).toBe(0xea020000);
    const [entry] = decode(inlineArea!, 4, 4);
    expect(entry).toEqual({ nameIndex: 1, name: 'mime', value: Buffer.from('text/plain'), hash: 0 });
    // Value packed at the very end of the area (10 bytes padded to 12).
    expect(inlineArea!.subarray(96 - 12, 96 - 2).toString()).toBe('text/plain');
  });

  it('maps namespaces to name indexes and converts ACLs to the disk form', () => {
    const acl = Buffer.alloc(4 + 3 * 8);
    acl.writeUInt32LE(2, 0);
    [[1, 6], [4, 4], [0x20, 4]].forEach(([tag, perm], i) => {
      acl.writeUInt16LE(tag!, 4 + i * 8);
      acl.writeUInt16LE(perm!, 6 + i * 8);
      acl.writeUInt32LE(0xffffffff, 8 + i * 8);
    });
    const names = ['user.u', 'system.posix_acl_access', 'system.posix_acl_default', 'trusted.t', 'security.s', 'system.x'];
    const map = new Map(names.map((n) => [n, n.startsWith('system.posix') ? acl : Buffer.alloc(100, 1)]));
    const { block } = layoutXattrs(map, { inlineSpaceBytes: 0, blockSizeBytes: 4096 });
    const entries = decode(block!, 32, 0);
    expect(entries.map((e) => [e.nameIndex, e.name])).toEqual([[1, 'u'], [2, ''], [3, ''], [4, 't'], [6, 's'], [7, 'x']]);
    expect(entries[1]!.value.toString('hex')).toBe('01000000' + '01000600' + '04000400' + '20000400');
  });

  it('sorts block entries by (index, name length, name), hashes them and sets h_hash', () => {
    const map = new Map([
      ['user.zz', Buffer.alloc(200, 2)],
      ['user.b', Buffer.alloc(150, 3)],
      ['user.a', Buffer.alloc(120, 4)],
      ['trusted.a', Buffer.alloc(130, 5)],
    ]);
    const { inlineArea, block } = layoutXattrs(map, OPTS);
    expect(inlineArea).toBeNull();
    expect(block!.readUInt32LE(0)).toBe(0xea020000);
    expect(block!.readUInt32LE(4)).toBe(1);
    expect(block!.readUInt32LE(8)).toBe(1);
    expect(block!.readUInt32LE(0x10)).toBe(0);
    const entries = decode(block!, 32, 0);
    expect(entries.map((e) => `${e.nameIndex}.${e.name}`)).toEqual(['1.a', '1.b', '1.zz', '4.a']);
    let blockHash = 0;
    for (const e of entries) {
      expect(e.hash).toBe(xattrEntryHash(Buffer.from(e.name), e.value));
      expect(e.value.equals(map.get(e.nameIndex === 1 ? `user.${e.name}` : `trusted.${e.name}`)!)).toBe(true);
      blockHash = ((blockHash << 16) ^ (blockHash >>> 16) ^ e.hash) >>> 0;
    }
    expect(block!.readUInt32LE(0xc)).toBe(blockHash);
    // First sorted entry's value sits at the end of the block.
    expect(block!.readUInt16LE(32 + 2)).toBe(4096 - 120);
  });

  it('fills inline first-fit in sorted order and sends the rest to the block', () => {
    const map = new Map([
      ['security.selinux', Buffer.from('system_u:object_r:etc_t:s0\0')],
      ['trusted.big', Buffer.alloc(500, 7)],
      ['user.k', Buffer.from('v')],
    ]);
    const { inlineArea, block } = layoutXattrs(map, OPTS);
    expect(decode(inlineArea!, 4, 4).map((e) => e.name)).toEqual(['k', 'selinux']);
    expect(decode(block!, 32, 0).map((e) => e.name)).toEqual(['big']);
  });

  it('seals with refcount and crc32c(seed, le64 block, block with csum 0)', () => {
    const { block } = layoutXattrs(new Map([['user.x', Buffer.alloc(300, 9)]]), OPTS);
    sealXattrBlock(block!, { blockNumber: 0x1_0000_0002n, fsSeed: 0x12345678, refcount: 3 });
    expect(block!.readUInt32LE(4)).toBe(3);
    const copy = Buffer.from(block!);
    copy.writeUInt32LE(0, 0x10);
    const expected = crc32c(0x12345678, Buffer.concat([Buffer.from([2, 0, 0, 0, 1, 0, 0, 0]), copy]));
    expect(block!.readUInt32LE(0x10)).toBe(expected);
    sealXattrBlock(block!, { blockNumber: 2, refcount: 1 });
    expect(block!.readUInt32LE(0x10)).toBe(0);
  });

  it('rejects values too large for a block and unknown namespaces, naming the attribute', () => {
    const code = (map: Map<string, Buffer>): unknown => {
      try {
        layoutXattrs(map, OPTS);
      } catch (error) {
        return [(error as AmikitError).code, (error as AmikitError).message.includes([...map.keys()].at(-1)!)];
      }
      return 'no error';
    };
    expect(code(new Map([['user.huge', Buffer.alloc(4096 - 32)]]))).toEqual(['FS_LIMIT', true]);
    expect(layoutXattrs(new Map([['user.max', Buffer.alloc(4096 - 32 - 4 - 20)]]), OPTS).block).not.toBeNull();
    expect(code(new Map([['user.a', Buffer.alloc(3000)], ['user.b', Buffer.alloc(3000)]]))).toEqual(['FS_LIMIT', true]);
    expect(code(new Map([['os2.name', Buffer.from('x')]]))).toEqual(['FS_LIMIT', true]);
    expect(code(new Map([['user.', Buffer.from('x')]]))).toEqual(['INPUT_FORMAT', true]);
  });
});
