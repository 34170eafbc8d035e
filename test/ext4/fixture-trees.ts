// Fixture trees for the ext4 writer tests: one of every node type with boundary sizes, links, modes,
// owners and times.
import type { FileTree } from '../../src/tree/file-tree.js';
import type { Node, SymlinkNode } from '../../src/tree/node.js';
import { bytesFile, meta, PatternSource, patternBytes, treeOf } from './fixture-nodes.js';

const MiB = 1024 * 1024;

export function allKindsTree(): FileTree {
  const shared = bytesFile(patternBytes(5000, 3));
  const fastTarget: SymlinkNode = { kind: 'symlink', meta: meta({ mode: 0o777 }), target: Buffer.from('t'.repeat(59)) };
  const big = new PatternSource(128 * MiB + 1, 7);
  const entries: Record<string, Node> = {
    '/files/empty': bytesFile(Buffer.alloc(0)),
    '/files/one': bytesFile(Buffer.from('x')),
    '/files/b4095': bytesFile(patternBytes(4095, 1)),
    '/files/b4096': bytesFile(patternBytes(4096, 2)),
    '/files/b4097': bytesFile(patternBytes(4097, 4)),
    '/files/zeros': bytesFile(Buffer.alloc(3 * 4096 + 10)),
    '/files/big': { kind: 'file', meta: meta(), sizeBytes: big.sizeBytes, content: { kind: 'source', source: big, offsetBytes: 0, storedBytes: big.sizeBytes } },
    '/links/a': shared,
    '/other/b': shared,
    '/links/c': shared,
    '/links/fast59': fastTarget,
    '/other/fast59-link': fastTarget,
    '/links/slow60': { kind: 'symlink', meta: meta({ mode: 0o777 }), target: Buffer.from('s'.repeat(60)) },
    '/links/slow4095': { kind: 'symlink', meta: meta({ mode: 0o777 }), target: Buffer.from('/'.repeat(1) + 'L'.repeat(4094)) },
    '/dev/null': { kind: 'char-device', meta: meta({ mode: 0o666 }), major: 1, minor: 3 },
    '/dev/big-minor': { kind: 'char-device', meta: meta({ mode: 0o600 }), major: 254, minor: 70000 },
    '/dev/big-major': { kind: 'block-device', meta: meta({ mode: 0o660, gid: 6 }), major: 259, minor: 1 },
    '/dev/sda': { kind: 'block-device', meta: meta({ mode: 0o660 }), major: 8, minor: 0 },
    '/run/fifo': { kind: 'fifo', meta: meta({ mode: 0o600 }) },
    '/run/sock': { kind: 'socket', meta: meta({ mode: 0o755 }) },
    '/modes/setuid': bytesFile(Buffer.from('su'), { mode: 0o4755 }),
    '/modes/setgid': bytesFile(Buffer.from('sg'), { mode: 0o2755 }),
    '/modes/sticky': { kind: 'dir', meta: meta({ mode: 0o1777 }), children: new Map() },
    '/owners/big-ids': bytesFile(Buffer.from('ids'), { uid: 100000, gid: 4_000_000_000 }),
    '/times/pre1970': bytesFile(Buffer.from('old'), {
      mtime: { sec: -1_000_000_000, nsec: 999_999_999 },
      atime: { sec: -1, nsec: 1 },
      ctime: { sec: -(2 ** 31), nsec: 0 },
    }),
    '/times/post2038': bytesFile(Buffer.from('new'), {
      mtime: { sec: 2 ** 31 + 12345, nsec: 5 },
      atime: { sec: 8_000_000_000, nsec: 42 },
      ctime: { sec: 15_000_000_000, nsec: 7 },
    }),
    '/deep/a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p/file': bytesFile(Buffer.from('deep')),
    [`/deeper/${Array.from({ length: 120 }, (_, i) => `l${i}`).join('/')}/leaf`]: bytesFile(Buffer.from('leaf')),
  };
  return treeOf(entries, meta({ mode: 0o755, uid: 0, gid: 0, mtime: { sec: 1_600_000_000, nsec: 1 } }));
}

