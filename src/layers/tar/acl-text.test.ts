import { describe, expect, it } from 'vitest';
import { ACL_TAG, aclTextToXattr, parseAclText } from './acl-text.js';

const where = 't.tar: offset 0';

function entry(tag: number, perm: number, id = 0xffffffff): Buffer {
  const out = Buffer.alloc(8);
  out.writeUInt16LE(tag, 0);
  out.writeUInt16LE(perm, 2);
  out.writeUInt32LE(id, 4);
  return out;
}

describe('aclTextToXattr', () => {
  it('encodes the Linux xattr form, sorted by tag then id', () => {
    const value = aclTextToXattr('other::---,user:1000:r-x,group::r-x,user::rwx,mask::r-x,user:7:rw-', where)!;
    expect(value).toEqual(
      Buffer.concat([
        Buffer.from([2, 0, 0, 0]),
        entry(ACL_TAG.USER_OBJ, 7),
        entry(ACL_TAG.USER, 6, 7),
        entry(ACL_TAG.USER, 5, 1000),
        entry(ACL_TAG.GROUP_OBJ, 5),
        entry(ACL_TAG.MASK, 5),
        entry(ACL_TAG.OTHER, 0),
      ]),
    );
  });

  it('uses the numeric id of star/GNU tar "tag:name:perms:id" entries, newline separators and comments', () => {
    const entries = parseAclText('user::rw-\nuser:bob:rwx:1001\t#effective:r--\ngroup:staff:r--:50\nmask:r--\no::r--\n', where);
    expect(entries).toEqual([
      { tag: ACL_TAG.USER_OBJ, perm: 6, id: 0xffffffff },
      { tag: ACL_TAG.USER, perm: 7, id: 1001 },
      { tag: ACL_TAG.GROUP, perm: 4, id: 50 },
      { tag: ACL_TAG.MASK, perm: 4, id: 0xffffffff },
      { tag: ACL_TAG.OTHER, perm: 4, id: 0xffffffff },
    ]);
    expect(aclTextToXattr('', where)).toBeUndefined();
  });

  it('refuses names without ids, unknown tags, bad permissions and duplicates', () => {
    try {
      parseAclText('user:bob:rwx', where);
      expect.unreachable();
    } catch (error) {
      expect((error as { code: string; data: Record<string, unknown> }).code).toBe('INPUT_FORMAT');
      expect((error as { data: Record<string, unknown> }).data['unresolvedName']).toBe('bob');
    }
    expect(() => parseAclText('owner::rwx', where)).toThrow(/^t\.tar: offset 0: bad ACL entry 'owner::rwx': unknown tag/);
    expect(() => parseAclText('user::rwz', where)).toThrow(/bad permission 'z'/);
    expect(() => parseAclText('user:1:r,user:1:w', where)).toThrow(/duplicate/);
    expect(() => parseAclText('mask:x:r', where)).toThrow(/expected tag::perms/);
  });
});

describe('aclXattrToText', () => {
  it('renders numeric-id text that parses back to the same xattr bytes', async () => {
    const { aclXattrToText, aclTextToXattr } = await import('./acl-text.js');
    const text = 'user::rwx\nuser:1000:r-x\ngroup::r-x\ngroup:4:r--\nmask::r-x\nother::---\n';
    const value = aclTextToXattr(text, 'test')!;
    expect(aclXattrToText(value)).toBe(text);
    expect(aclXattrToText(Buffer.from([1, 0, 0, 0]))).toBeUndefined();
  });
});
