import { describe, expect, it } from 'vitest';
import { FileTree } from './file-tree.js';
import { makeMeta, type Node } from './node.js';
import { archivePathKey, pathFromUtf8, splitArchivePath } from './paths.js';

const fifo = (): Node => ({ kind: 'fifo', meta: makeMeta() });
const link = (target: string): Node => ({ kind: 'symlink', meta: makeMeta(), target: Buffer.from(target) });

describe('FileTree', () => {
  it('walks parents before children and siblings in byte order', () => {
    const tree = new FileTree();
    tree.mkdirp('/b/c');
    tree.mkdirp('/a');
    tree.set('/b/\xe9', fifo());
    tree.set('/b/Z', fifo());
    expect([...tree.walk()].map((entry) => entry.path)).toEqual(['/', '/a', '/b', '/b/Z', '/b/c', '/b/\xe9']);
  });

  it('visits nodes in walk order with forEachNode, parents and names included, and walks however deep the tree', () => {
    const tree = new FileTree();
    tree.mkdirp('/b/c/d');
    tree.mkdirp('/a');
    tree.set('/b/\xe9', fifo());
    tree.set('/b/c/Z', link('x'));
    const visited: [Node, Node, string][] = [];
    tree.forEachNode((node, parent, name) => visited.push([node, parent, name]));
    expect(visited).toEqual([...tree.walk()].map((entry) => [entry.node, entry.parent, entry.name]));
    const deep = new FileTree();
    deep.mkdirp('/' + Array.from({ length: 20_000 }, () => 'd').join('/'));
    let count = 0;
    deep.forEachNode(() => count++);
    expect(count).toBe(20_001);
    let walked = 0;
    for (const entry of deep.walk()) if (++walked === 20_001) expect(entry.path).toBe('/' + Array.from({ length: 20_000 }, () => 'd').join('/'));
    expect(walked).toBe(20_001);
  });

  it('resolves symlinks inside the image only: absolute targets and .. stay under the root', () => {
    const tree = new FileTree();
    tree.mkdirp('/etc/ssh');
    tree.mkdirp('/home/u');
    tree.set('/home/u/.ssh', link('/etc/ssh'));
    tree.set('/up', link('../../../../etc'));
    expect(tree.resolve('/home/u/.ssh/authorized_keys')).toMatchObject({ path: '/etc/ssh/authorized_keys', node: undefined });
    expect(tree.resolve('/up/ssh').path).toBe('/etc/ssh');
    expect(tree.resolve('/up', { followFinal: false }).node?.kind).toBe('symlink');
  });

  it('refuses symlink loops', () => {
    const tree = new FileTree();
    tree.set('/a', link('b'));
    tree.set('/b', link('a'));
    expect(() => tree.resolve('/a/x')).toThrow(/too many levels/);
  });

  it('refuses archive paths that leave the image', () => {
    expect(splitArchivePath('./a//./b/', 'x')).toEqual(['a', 'b']);
    expect(() => splitArchivePath('../etc', 'layer.tar: offset 0')).toThrow(/escapes the image/);
    expect(() => splitArchivePath('a/../../b', 'x')).toThrow(/escapes/);
    expect(() => splitArchivePath('/etc/passwd', 'x')).toThrow(/absolute path/);
    expect(pathFromUtf8('/é')).toBe('/\xc3\xa9');
  });

  it('keys archive paths exactly as splitArchivePath joins them, and refuses the same ones', () => {
    const paths = ['', '.', './', '././', 'a', 'a/', './a', './a/', 'a/b/c', './usr/bin/', 'a//b', 'a/./b', 'a/.', './.', '.a', 'a/.b/..c', '..a', 'a..', 'a/...', '.wh.x', 'a/b//', '/etc', '..', 'a/..', '../x', './..', 'a\0b', '/', '//'];
    for (const path of paths) {
      let expected: string | Error;
      try {
        expected = splitArchivePath(path, 'x').join('/');
      } catch (error) {
        expected = error as Error;
      }
      if (typeof expected === 'string') expect(archivePathKey(path, () => 'x'), path).toBe(expected);
      else expect(() => archivePathKey(path, () => 'x'), path).toThrow(expected.message);
    }
  });
});
