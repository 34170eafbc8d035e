import { describe, expect, it } from 'vitest';
import { FileTree } from '../tree/file-tree.js';
import { makeMeta, type Node } from '../tree/node.js';
import { treeArchitecture } from './publish-image.js';

function elf(machine: number, littleEndian = true): Node {
  const bytes = Buffer.alloc(64);
  bytes.writeUInt32BE(0x7f454c46, 0);
  bytes[5] = littleEndian ? 1 : 2;
  if (littleEndian) bytes.writeUInt16LE(machine, 18);
  else bytes.writeUInt16BE(machine, 18);
  return { kind: 'file', meta: makeMeta({ mode: 0o755 }), sizeBytes: 64, content: { kind: 'bytes', bytes } };
}

describe('treeArchitecture', () => {
  it('reads /bin/sh through symlinks (usrmerge, busybox)', async () => {
    const tree = new FileTree();
    tree.mkdirp('/usr/bin');
    tree.set('/usr/bin/dash', elf(0xb7));
    tree.set('/usr/bin/sh', { kind: 'symlink', meta: makeMeta({ mode: 0o777 }), target: Buffer.from('dash') } as Node);
    tree.set('/bin', { kind: 'symlink', meta: makeMeta({ mode: 0o777 }), target: Buffer.from('usr/bin') } as Node);
    expect(await treeArchitecture(tree)).toBe('arm64');
    const x86 = new FileTree();
    x86.mkdirp('/bin');
    x86.set('/bin/sh', elf(0x3e));
    expect(await treeArchitecture(x86)).toBe('x86_64');
  });

  it('says nothing for a tree without a recognisable shell (missing, not ELF, another machine)', async () => {
    expect(await treeArchitecture(new FileTree())).toBeUndefined();
    const script = new FileTree();
    script.mkdirp('/bin');
    script.set('/bin/sh', { kind: 'file', meta: makeMeta({ mode: 0o755 }), sizeBytes: 30, content: { kind: 'bytes', bytes: Buffer.from('#!/bin/busybox sh\nexec true\n\n') } });
    expect(await treeArchitecture(script)).toBeUndefined();
    const riscv = new FileTree();
    riscv.mkdirp('/bin');
    riscv.set('/bin/sh', elf(0xf3));
    expect(await treeArchitecture(riscv)).toBeUndefined();
  });
});
