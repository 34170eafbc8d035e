// Checks the VFS ⇄ ext4 on-disk POSIX ACL conversion on hand-built values (the mke2fs oracle is in test/ext4-aux).
import { describe, expect, it } from 'vitest';
import { AmikitError } from '../../shared/errors.js';
import { aclDiskToXattr, aclXattrToDisk } from './posix-acl.js';

function vfsAcl(entries: [tag: number, perm: number, id: number][], version = 2): Buffer {
  const out = Buffer.alloc(4 + entries.length * 8);
  out.writeUInt32LE(version, 0);
  entries.forEach(([tag, perm, id], i) => {
    out.writeUInt16LE(tag, 4 + i * 8);
    out.writeUInt16LE(perm, 6 + i * 8);
    out.writeUInt32LE(id >>> 0, 8 + i * 8);
  });
  return out;
}

// user::rw- user:1000:r-- group::r-- group:50:rw- mask::rw- other::---
const ACCESS = vfsAcl([[0x01, 6, -1], [0x02, 4, 1000], [0x04, 4, -1], [0x08, 6, 50], [0x10, 6, -1], [0x20, 0, -1]]);

describe('POSIX ACL conversion', () => {
  it('packs qualifier-less entries into 4 bytes and keeps ids of USER/GROUP', () => {
    const disk = aclXattrToDisk(ACCESS);
    expect(disk.toString('hex')).toBe(
      ['01000000', '01000600', '02000400e8030000', '04000400', '0800060032000000', '10000600', '20000000'].join(''),
    );
  });

  it('round-trips, reporting qualifier-less ids as 0xFFFFFFFF', () => {
    expect(aclDiskToXattr(aclXattrToDisk(ACCESS)).equals(ACCESS)).toBe(true);
    const minimal = vfsAcl([[0x01, 7, -1], [0x04, 5, -1], [0x20, 5, -1]]);
    expect(aclXattrToDisk(minimal)).toHaveLength(4 + 3 * 4);
    expect(aclDiskToXattr(aclXattrToDisk(minimal)).equals(minimal)).toBe(true);
  });

  it('rejects malformed values with INPUT_FORMAT', () => {
    const code = (f: () => unknown): unknown => {
      try {
        f();
      } catch (error) {
        return error instanceof AmikitError ? error.code : error;
      }
      return 'no error';
    };
    expect(code(() => aclXattrToDisk(Buffer.alloc(2)))).toBe('INPUT_FORMAT');
    expect(code(() => aclXattrToDisk(ACCESS.subarray(0, ACCESS.length - 1)))).toBe('INPUT_FORMAT');
    expect(code(() => aclXattrToDisk(vfsAcl([[0x01, 6, -1]], 1)))).toBe('INPUT_FORMAT');
    expect(code(() => aclXattrToDisk(vfsAcl([[0x40, 6, -1]])))).toBe('INPUT_FORMAT');
    const disk = aclXattrToDisk(ACCESS);
    expect(code(() => aclDiskToXattr(disk.subarray(0, 10)))).toBe('INPUT_FORMAT'); // USER entry cut short
    expect(code(() => aclDiskToXattr(ACCESS))).toBe('INPUT_FORMAT'); // VFS version given to the disk reader
  });
});
