// Golden tests for the top-down merge, one per OCI layer.md rule and per customise-anchors §5.5 edge case,
// on in-memory layers (tar-backed goldens live in test/layers/).
import { describe, expect, it } from 'vitest';
import { AmikitError } from '../shared/errors.js';
import { mergeLayers, type MergeWarning } from './merge-layers.js';
import type { Layer } from './layer.js';
import { dir, file, hardlink, listTree, memoryLayer, symlink, whiteout, type EntrySpec } from '../../test/layers/memory-layer.js';

async function merge(...layerSpecs: EntrySpec[][]) {
  const layers = layerSpecs.map((specs, i) => memoryLayer(`L${i}`, specs));
  const result = await mergeLayers(layers);
  return { ...result, listing: listTree(result.tree), layers };
}

async function mergeError(...layerSpecs: EntrySpec[][]): Promise<AmikitError> {
  const layers: Layer[] = layerSpecs.map((specs, i) => memoryLayer(`L${i}`, specs));
  const error = await mergeLayers(layers).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AmikitError);
  const amikit = error as AmikitError;
  expect(amikit.message).not.toContain('\n');
  expect(amikit.isBadInput).toBe(true);
  return amikit;
}

const codes = (warnings: MergeWarning[]) => warnings.map((w) => w.code);

describe('mergeLayers basics', () => {
  it('merges disjoint layers and lets the upper directory attributes win (dir over dir)', async () => {
    const { listing, createdParents } = await merge(
      [dir('etc', { mode: 0o700, uid: 5 }), file('etc/a', 'a0'), file('etc/keep', 'k0')],
      [dir('etc', { mode: 0o755, uid: 0 }), file('etc/a', 'a1')],
    );
    expect(listing).toEqual([
      '/ dir 0755 0:0',
      '/etc dir 0755 0:0',
      '/etc/a file 0644 0:0 "a1"',
      '/etc/keep file 0644 0:0 "k0"',
    ]);
    expect(createdParents).toEqual([]);
  });

  it('never reads file data, so a secret deleted by an upper layer is not touched', async () => {
    const { layers, listing } = await merge(
      [file('secret.key', 'TOPSECRET'), file('big', 'x'.repeat(4096))],
      [whiteout('.wh.secret.key')],
    );
    expect(listing.join('\n')).not.toContain('secret');
    for (const layer of layers) expect(layer.source.reads).toBe(0);
  });

  it('is deterministic: the same layers give the same listing and warnings', async () => {
    const specs: EntrySpec[][] = [
      [dir('a'), file('a/x', '1'), file('a/x', '2'), hardlink('a/y', 'a/x')],
      [file('b/c', '3'), whiteout('a/.wh.x')],
    ];
    const one = await merge(...specs);
    const two = await merge(...specs);
    expect(two.listing).toEqual(one.listing);
    expect(two.warnings).toEqual(one.warnings);
  });

  it('keeps device numbers, fifos, sockets and setuid/setgid/sticky bits, and the uid/gid as given', async () => {
    const { listing } = await merge([
      { path: 'dev/null', type: 'char-device', devMajor: 1, devMinor: 3, meta: { mode: 0o666 } },
      { path: 'dev/sda', type: 'block-device', devMajor: 8, devMinor: 0, meta: { mode: 0o660, gid: 6 } },
      { path: 'run/fifo', type: 'fifo', meta: { mode: 0o600 } },
      { path: 'run/sock', type: 'socket', meta: { mode: 0o755 } },
      file('usr/bin/sudo', 's', { mode: 0o4755, uid: 3000000, gid: 3000001 }),
      dir('tmp', { mode: 0o1777 }),
      dir('srv', { mode: 0o2775 }),
    ]);
    expect(listing).toEqual([
      '/ dir 0755 0:0',
      '/dev dir 0755 0:0',
      '/dev/null char-device 0666 0:0 1,3',
      '/dev/sda block-device 0660 0:6 8,0',
      '/run dir 0755 0:0',
      '/run/fifo fifo 0600 0:0',
      '/run/sock socket 0755 0:0',
      '/srv dir 2775 0:0',
      '/tmp dir 1777 0:0',
      '/usr dir 0755 0:0',
      '/usr/bin dir 0755 0:0',
      '/usr/bin/sudo file 4755 3000000:3000001 "s"',
    ]);
  });

  it('takes the root directory attributes from the highest layer that has a "./" entry', async () => {
    const { listing } = await merge([dir('./', { mode: 0o700 }), file('a', 'a')], [dir('.', { mode: 0o750, uid: 1 })]);
    expect(listing[0]).toBe('/ dir 0750 1:0');
  });

  it('refuses a root entry that is not a directory', async () => {
    const error = await mergeError([file('./', 'x')]);
    expect(error.code).toBe('LAYER_MERGE');
  });
});

describe('whiteouts (layer.md "Whiteouts")', () => {
  it('a whiteout hides a lower file, and a whited-out directory loses its whole subtree', async () => {
    const { listing } = await merge(
      [file('a', 'a'), dir('d'), file('d/x', 'x'), dir('d/sub'), file('d/sub/y', 'y'), file('keep', 'k')],
      [whiteout('.wh.a'), whiteout('.wh.d')],
    );
    expect(listing).toEqual(['/ dir 0755 0:0', '/keep file 0644 0:0 "k"']);
  });

  it('a whiteout of a path that does not exist below is a no-op', async () => {
    const { listing, warnings } = await merge([file('a', 'a')], [whiteout('.wh.nothing'), whiteout('deep/.wh.none')]);
    expect(listing).toEqual(['/ dir 0755 0:0', '/a file 0644 0:0 "a"', '/deep dir 0755 0:0']);
    expect(warnings).toEqual([]);
  });

  it('never hides entries of its own layer, whether it comes before or after them in the tar', async () => {
    const { listing } = await merge(
      [file('a', 'a0'), file('b', 'b0')],
      [file('a', 'a1'), whiteout('.wh.a'), whiteout('.wh.b'), file('b', 'b1')],
    );
    expect(listing).toEqual(['/ dir 0755 0:0', '/a file 0644 0:0 "a1"', '/b file 0644 0:0 "b1"']);
  });

  it('whiteout and re-add of a directory in one layer: the added subtree survives, the lower one is gone', async () => {
    const { listing } = await merge(
      [dir('d', { mode: 0o700 }), file('d/old', 'o')],
      [whiteout('.wh.d'), dir('d'), file('d/new', 'n')],
    );
    expect(listing).toEqual(['/ dir 0755 0:0', '/d dir 0755 0:0', '/d/new file 0644 0:0 "n"']);
  });

  it('a whiteout in a middle layer hides only the layers below it', async () => {
    const { listing } = await merge([file('a', 'a0')], [whiteout('.wh.a')], [file('a', 'a2')]);
    expect(listing).toEqual(['/ dir 0755 0:0', '/a file 0644 0:0 "a2"']);
  });

  it('refuses ".wh." with no name (INPUT_FORMAT)', async () => {
    const error = await mergeError([file('a', 'a')], [whiteout('etc/.wh.')]);
    expect(error.code).toBe('INPUT_FORMAT');
    expect(error.message).toContain('L1: entry 0');
    expect(error.message).toContain('etc/.wh.');
  });

  it('skips AUFS metadata names (.wh..wh.plnk, .wh..wh.orph) with a warning', async () => {
    const { listing, warnings } = await merge(
      [file('a', 'a')],
      [dir('.wh..wh.plnk'), file('.wh..wh.orph', ''), file('.wh..wh.other', '')],
    );
    expect(listing).toEqual(['/ dir 0755 0:0', '/a file 0644 0:0 "a"']);
    expect(codes(warnings)).toEqual(['whiteout-meta-skipped', 'whiteout-meta-skipped', 'whiteout-meta-skipped']);
  });

  it('refuses entries under a whiteout name (a literal .wh.* file cannot exist)', async () => {
    const error = await mergeError([file('.wh.x/y', 'y')]);
    expect(error.code).toBe('INPUT_FORMAT');
  });
});

describe('opaque directories (layer.md "Opaque Whiteout")', () => {
  it('applies before the layer\'s other entries even when it comes after its siblings in the tar', async () => {
    const { listing } = await merge(
      [dir('d', { mode: 0o700 }), file('d/old', 'o'), dir('d/sub'), file('d/sub/deep', 'x'), file('other', 'k')],
      [dir('d', { mode: 0o750 }), file('d/new', 'n'), whiteout('d/.wh..wh..opq')],
    );
    expect(listing).toEqual([
      '/ dir 0755 0:0',
      '/d dir 0750 0:0',
      '/d/new file 0644 0:0 "n"',
      '/other file 0644 0:0 "k"',
    ]);
  });

  it('opaque plus a recreated subtree in the same layer keeps the new subtree', async () => {
    const { listing } = await merge(
      [dir('d'), dir('d/sub'), file('d/sub/old', 'o')],
      [whiteout('d/.wh..wh..opq'), dir('d/sub', { mode: 0o700 }), file('d/sub/new', 'n')],
    );
    expect(listing).toEqual([
      '/ dir 0755 0:0',
      '/d dir 0755 0:0',
      '/d/sub dir 0700 0:0',
      '/d/sub/new file 0644 0:0 "n"',
    ]);
  });

  it('keeps the lower directory\'s own attributes when the opaque layer does not describe the directory', async () => {
    const { listing, createdParents } = await merge(
      [dir('d', { mode: 0o711, uid: 7 }), file('d/old', 'o')],
      [whiteout('d/.wh..wh..opq')],
    );
    expect(listing).toEqual(['/ dir 0755 0:0', '/d dir 0711 7:0']);
    expect(createdParents).toEqual([]);
  });

  it('applies to all lower layers, not just the next one', async () => {
    const { listing } = await merge([file('d/a', 'a')], [file('d/b', 'b')], [whiteout('d/.wh..wh..opq')]);
    expect(listing).toEqual(['/ dir 0755 0:0', '/d dir 0755 0:0']);
  });

  it('an opaque marker at the top level hides every lower entry', async () => {
    const { listing } = await merge([file('a', 'a'), dir('d')], [whiteout('.wh..wh..opq'), file('b', 'b')]);
    expect(listing).toEqual(['/ dir 0755 0:0', '/b file 0644 0:0 "b"']);
  });

  it('an opaque marker under a lower symlinked path does not clear the link target', async () => {
    const { listing, warnings } = await merge(
      [dir('etc'), file('etc/passwd', 'p'), symlink('link', 'etc')],
      [whiteout('link/.wh..wh..opq')],
    );
    expect(listing).toEqual([
      '/ dir 0755 0:0',
      '/etc dir 0755 0:0',
      '/etc/passwd file 0644 0:0 "p"',
      '/link dir 0755 0:0',
    ]);
    expect(codes(warnings)).toEqual(['implicit-dir-over-non-dir']);
  });
});

describe('replacement and symlinks (layer.md "Changesets": unlink and recreate)', () => {
  it('replaces dir→file, file→dir, symlink→file and file→symlink', async () => {
    const { listing } = await merge(
      [dir('d2f'), file('d2f/child', 'c'), file('f2d', 'f'), symlink('s2f', 'elsewhere'), file('f2s', 'f')],
      [file('d2f', 'now-file'), dir('f2d'), file('f2d/child', 'c2'), file('s2f', 'now-file'), symlink('f2s', 'target')],
    );
    expect(listing).toEqual([
      '/ dir 0755 0:0',
      '/d2f file 0644 0:0 "now-file"',
      '/f2d dir 0755 0:0',
      '/f2d/child file 0644 0:0 "c2"',
      '/f2s symlink 0777 0:0 -> target',
      '/s2f file 0644 0:0 "now-file"',
    ]);
  });

  it('a non-directory in a middle layer hides the lower subtree even when an upper layer makes it a directory again', async () => {
    const { listing } = await merge(
      [dir('a', { mode: 0o700 }), file('a/old', 'o')],
      [file('a', 'file')],
      [dir('a'), file('a/new', 'n')],
    );
    expect(listing).toEqual(['/ dir 0755 0:0', '/a dir 0755 0:0', '/a/new file 0644 0:0 "n"']);
  });

  it('a lower path under an upper symlink is hidden, never resolved through the link', async () => {
    const { listing } = await merge(
      [dir('link'), file('link/x', 'x'), dir('etc'), file('etc/x', 'e')],
      [symlink('link', '/etc')],
    );
    expect(listing).toEqual([
      '/ dir 0755 0:0',
      '/etc dir 0755 0:0',
      '/etc/x file 0644 0:0 "e"',
      '/link symlink 0777 0:0 -> /etc',
    ]);
  });

  it('an upper entry under a lower symlink makes a directory instead of writing through the link', async () => {
    const { listing, warnings } = await merge(
      [dir('usr'), dir('usr/lib'), file('usr/lib/a', 'a'), symlink('lib', 'usr/lib')],
      [file('lib/b', 'b')],
    );
    expect(listing).toEqual([
      '/ dir 0755 0:0',
      '/lib dir 0755 0:0',
      '/lib/b file 0644 0:0 "b"',
      '/usr dir 0755 0:0',
      '/usr/lib dir 0755 0:0',
      '/usr/lib/a file 0644 0:0 "a"',
    ]);
    expect(codes(warnings)).toEqual(['implicit-dir-over-non-dir']);
  });

  it('refuses a layer that writes through its own symlink (INPUT_UNSAFE), whatever the order', async () => {
    const after = await mergeError([symlink('link', '/etc'), file('link/passwd', 'root::0:0')]);
    expect(after.code).toBe('INPUT_UNSAFE');
    expect(after.message).toContain('L0: entry 1');
    expect(after.message).toContain("'link/passwd'");
    expect(after.message).toContain("'/link'");
    const before = await mergeError([file('link/passwd', 'x'), symlink('link', '/etc')]);
    expect(before.code).toBe('INPUT_UNSAFE');
    const marker = await mergeError([symlink('link', '/etc'), whiteout('link/.wh.passwd')]);
    expect(marker.code).toBe('INPUT_UNSAFE');
  });

  it('refuses an entry under a file of the same layer that comes later (LAYER_MERGE)', async () => {
    const error = await mergeError([file('f', 'f'), file('f/x', 'x')]);
    expect(error.code).toBe('LAYER_MERGE');
  });
});

describe('paths and duplicates (§5.5 item 8)', () => {
  it('refuses ".." and absolute paths (INPUT_UNSAFE)', async () => {
    expect((await mergeError([file('a/../../etc/passwd', 'x')])).code).toBe('INPUT_UNSAFE');
    expect((await mergeError([file('/etc/passwd', 'x')])).code).toBe('INPUT_UNSAFE');
    expect((await mergeError([file('ok', 'x'), symlink('s', 'x'), hardlink('h', '../outside')])).code).toBe('INPUT_UNSAFE');
  });

  it('normalises "./" prefixes, trailing slashes and repeated slashes', async () => {
    const { listing, warnings } = await merge([dir('./etc/'), file('./etc//hosts', 'h'), dir('etc/./x/')]);
    expect(listing).toEqual(['/ dir 0755 0:0', '/etc dir 0755 0:0', '/etc/hosts file 0644 0:0 "h"', '/etc/x dir 0755 0:0']);
    expect(warnings).toEqual([]);
  });

  it('duplicate paths in one layer: the last wins, with a warning; a dir repeated keeps its children', async () => {
    const { listing, warnings } = await merge([
      file('a', 'first'),
      dir('d', { mode: 0o700 }),
      file('d/x', 'x'),
      file('a', 'second'),
      dir('./d/', { mode: 0o750 }),
    ]);
    expect(listing).toEqual(['/ dir 0755 0:0', '/a file 0644 0:0 "second"', '/d dir 0750 0:0', '/d/x file 0644 0:0 "x"']);
    expect(codes(warnings)).toEqual(['duplicate-entry', 'duplicate-entry']);
    expect(warnings[0]!.path).toBe('/a');
  });

  it('a directory replaced later in the same layer by a file drops its earlier children, with a warning', async () => {
    const { listing, warnings } = await merge([dir('d'), file('d/x', 'x'), file('d', 'file')]);
    expect(listing).toEqual(['/ dir 0755 0:0', '/d file 0644 0:0 "file"']);
    expect(codes(warnings)).toEqual(['duplicate-entry', 'replaced-in-layer']);
  });

  it('keeps names that are not UTF-8 byte for byte', async () => {
    const raw = Buffer.from([0x66, 0xff, 0xfe, 0x2e, 0x74]).toString('latin1');
    const { tree } = await merge([file(raw, 'n')]);
    expect([...tree.root.children.keys()]).toEqual([raw]);
  });
});

describe('missing parents (§5.5 item 10)', () => {
  it('creates missing parents 0755 root:root mtime 0 and reports them', async () => {
    const { listing, createdParents, tree } = await merge([file('a/b/c', 'c', { uid: 9 })]);
    expect(listing).toEqual(['/ dir 0755 0:0', '/a dir 0755 0:0', '/a/b dir 0755 0:0', '/a/b/c file 0644 9:0 "c"']);
    expect(createdParents).toEqual(['/a', '/a/b']);
    expect(tree.lookup('/a')!.meta.mtime).toEqual({ sec: 0, nsec: 0 });
  });

  it('uses a lower layer\'s metadata for a parent the upper layer only implies', async () => {
    const { listing, createdParents } = await merge(
      [dir('a', { mode: 0o700, uid: 4, mtime: { sec: 99, nsec: 5 } })],
      [file('a/b/c', 'c')],
    );
    expect(listing).toEqual(['/ dir 0755 0:0', '/a dir 0700 4:0', '/a/b dir 0755 0:0', '/a/b/c file 0644 0:0 "c"']);
    expect(createdParents).toEqual(['/a/b']);
  });

  it('a parent implied below a whited-out directory is not given the removed directory\'s metadata', async () => {
    const { listing, createdParents } = await merge([dir('a', { mode: 0o700 })], [whiteout('.wh.a'), file('a/x', 'x')]);
    expect(listing).toEqual(['/ dir 0755 0:0', '/a dir 0755 0:0', '/a/x file 0644 0:0 "x"']);
    expect(createdParents).toEqual(['/a']);
  });

  it('a parent implied in the same layer takes the layer\'s own later directory entry', async () => {
    const { listing, createdParents } = await merge([file('a/x', 'x'), dir('a', { mode: 0o711 })]);
    expect(listing).toEqual(['/ dir 0755 0:0', '/a dir 0711 0:0', '/a/x file 0644 0:0 "x"']);
    expect(createdParents).toEqual([]);
  });
});

describe('hard links (layer.md "Hardlinks", §5.5 item 9)', () => {
  it('links to an earlier entry of the same layer share one node', async () => {
    const { listing } = await merge([file('a', 'data'), hardlink('b', 'a'), hardlink('c', './b')]);
    expect(listing).toEqual([
      '/ dir 0755 0:0',
      '/a file 0644 0:0 "data" #1',
      '/b file 0644 0:0 "data" #1',
      '/c file 0644 0:0 "data" #1',
    ]);
  });

  it('links to a file of a lower layer, sharing the node when that file stays visible', async () => {
    const { listing } = await merge([file('a', 'lower')], [hardlink('b', 'a')]);
    expect(listing).toEqual(['/ dir 0755 0:0', '/a file 0644 0:0 "lower" #1', '/b file 0644 0:0 "lower" #1']);
  });

  it('a link to a path whited out in the same layer keeps the lower content', async () => {
    const { listing } = await merge([file('a', 'lower')], [whiteout('.wh.a'), hardlink('b', 'a')]);
    expect(listing).toEqual(['/ dir 0755 0:0', '/b file 0644 0:0 "lower"']);
  });

  it('a link into a lower layer keeps its content when an upper layer replaces the target name', async () => {
    const { listing } = await merge([file('a', 'lower')], [hardlink('b', 'a')], [file('a', 'upper')]);
    expect(listing).toEqual(['/ dir 0755 0:0', '/a file 0644 0:0 "upper"', '/b file 0644 0:0 "lower"']);
  });

  it('a later layer rewriting one name of a hard-linked pair leaves the other names with the old content', async () => {
    const { listing } = await merge(
      [file('a', 'old'), hardlink('b', 'a'), hardlink('c', 'a')],
      [file('a', 'new')],
    );
    expect(listing).toEqual([
      '/ dir 0755 0:0',
      '/a file 0644 0:0 "new"',
      '/b file 0644 0:0 "old" #1',
      '/c file 0644 0:0 "old" #1',
    ]);
  });

  it('resolves a link against the lower view seen from its layer, skipping layers in between', async () => {
    const { listing } = await merge([file('t', 'v0')], [file('t', 'v1')], [file('other', 'o')], [hardlink('h', 't')]);
    expect(listing).toEqual([
      '/ dir 0755 0:0',
      '/h file 0644 0:0 "v1" #1',
      '/other file 0644 0:0 "o"',
      '/t file 0644 0:0 "v1" #1',
    ]);
  });

  it('links from several upper layers to one lower file all share its node', async () => {
    const { listing } = await merge([file('t', 'base')], [hardlink('h1', 't'), hardlink('h2', 't')], [hardlink('h3', 't')]);
    expect(listing).toEqual([
      '/ dir 0755 0:0',
      '/h1 file 0644 0:0 "base" #1',
      '/h2 file 0644 0:0 "base" #1',
      '/h3 file 0644 0:0 "base" #1',
      '/t file 0644 0:0 "base" #1',
    ]);
  });

  it('follows chains of links across layers to one shared node', async () => {
    const { listing } = await merge([file('a', 'base')], [hardlink('b', 'a')], [hardlink('c', 'b'), whiteout('.wh.a')]);
    expect(listing).toEqual(['/ dir 0755 0:0', '/b file 0644 0:0 "base" #1', '/c file 0644 0:0 "base" #1']);
  });

  it('links to a target that appeared earlier in the same layer but was shadowed by a duplicate', async () => {
    const { listing, warnings } = await merge([file('a', 'first'), hardlink('b', 'a'), file('a', 'second')]);
    expect(listing).toEqual(['/ dir 0755 0:0', '/a file 0644 0:0 "second"', '/b file 0644 0:0 "first"']);
    expect(codes(warnings)).toEqual(['duplicate-entry']);
  });

  it('a link to a name the same layer writes later resolves against the lower layer', async () => {
    const { listing } = await merge([file('a', 'lower')], [hardlink('b', 'a'), file('a', 'upper')]);
    expect(listing).toEqual(['/ dir 0755 0:0', '/a file 0644 0:0 "upper"', '/b file 0644 0:0 "lower"']);
  });

  it('a link whose target is hidden by an upper layer still gets the content, and the target stays hidden', async () => {
    const { listing } = await merge([dir('d'), file('d/t', 'x')], [hardlink('h', 'd/t')], [whiteout('.wh.d')]);
    expect(listing).toEqual(['/ dir 0755 0:0', '/h file 0644 0:0 "x"']);
  });

  it('links to symlinks and devices share those nodes', async () => {
    const { listing } = await merge([
      symlink('s', 'target'),
      hardlink('s2', 's'),
      { path: 'null', type: 'char-device', devMajor: 1, devMinor: 3 },
      hardlink('null2', 'null'),
    ]);
    expect(listing).toEqual([
      '/ dir 0755 0:0',
      '/null char-device 0644 0:0 1,3 #1',
      '/null2 char-device 0644 0:0 1,3 #1',
      '/s symlink 0777 0:0 -> target #2',
      '/s2 symlink 0777 0:0 -> target #2',
    ]);
  });

  it('refuses a link to a directory, to nothing, to itself, and out of the tree, naming both paths', async () => {
    const toDir = await mergeError([dir('d'), hardlink('h', 'd')]);
    expect(toDir.code).toBe('LAYER_MERGE');
    expect(toDir.message).toMatch(/L0: entry 1: hard link 'h' -> '\/d'/);
    const toLowerDir = await mergeError([dir('d')], [hardlink('h', 'd')]);
    expect(toLowerDir.code).toBe('LAYER_MERGE');
    const toImplicitDir = await mergeError([file('d/x', 'x')], [hardlink('h', 'd')]);
    expect(toImplicitDir.code).toBe('LAYER_MERGE');
    const toNothing = await mergeError([file('a', 'a')], [hardlink('h', 'missing')]);
    expect(toNothing.code).toBe('LAYER_MERGE');
    expect(toNothing.message).toContain("L1: entry 0: hard link 'h' -> '/missing'");
    const removedBelow = await mergeError([file('a', 'a')], [whiteout('.wh.a')], [hardlink('h', 'a')]);
    expect(removedBelow.code).toBe('LAYER_MERGE');
    const self = await mergeError([hardlink('h', 'h')]);
    expect(self.code).toBe('LAYER_MERGE');
    const outside = await mergeError([hardlink('h', '/etc/shadow')]);
    expect(outside.code).toBe('INPUT_UNSAFE');
  });

  it('ignores a broken hard link that an upper layer shadows anyway', async () => {
    const { listing } = await merge([hardlink('h', 'missing')], [whiteout('.wh.h')]);
    expect(listing).toEqual(['/ dir 0755 0:0']);
  });
});
