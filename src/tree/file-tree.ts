// The merged tree: a root directory plus lookups, edits and a deterministic walk. Lookups never follow
// symlinks unless asked, and then only inside the image (a chroot view), so no edit can escape it.
import { AmikitError } from '../shared/errors.js';
import { displayPath, joinImagePath, splitImagePath } from './paths.js';
import { makeMeta, type DirNode, type Node, type NodeMeta } from './node.js';

/** Symlink hops allowed while resolving one path, as Linux's MAXSYMLINKS. */
const MAX_SYMLINK_HOPS = 40;

export interface WalkEntry {
  /** Absolute byte-string path, "/" for the root. */
  path: string;
  node: Node;
  /** Parent directory; the root's parent is itself. */
  parent: DirNode;
  /** Entry name in the parent ("" for the root). */
  name: string;
}

export class FileTree {
  readonly root: DirNode;

  constructor(root?: DirNode) {
    this.root = root ?? { kind: 'dir', meta: makeMeta({ mode: 0o755 }), children: new Map() };
  }

  /** Looks a path up without following any symlink (lstat semantics). */
  lookup(path: string): Node | undefined {
    let node: Node = this.root;
    for (const part of splitImagePath(path)) {
      if (node.kind !== 'dir') return undefined;
      const child: Node | undefined = node.children.get(part);
      if (!child) return undefined;
      node = child;
    }
    return node;
  }

  /**
   * Resolves a path inside the image, following symlinks as the guest kernel would under chroot: absolute
   * targets start at the image root, ".." stops at the root. Returns the final path and node (undefined
   * when the last component does not exist but its parent does).
   * @throws AmikitError INPUT_UNSAFE on a symlink loop, or when a non-final component is missing or not a dir.
   */
  resolve(path: string, options: { followFinal?: boolean } = {}): { path: string; node: Node | undefined } {
    const followFinal = options.followFinal ?? true;
    let pending = splitImagePath(path);
    const resolved: string[] = [];
    const stack: Node[] = [this.root];
    let hops = 0;
    while (pending.length > 0) {
      const part = pending.shift()!;
      const current = stack[stack.length - 1]!;
      if (part === '..') {
        if (resolved.length > 0) {
          resolved.pop();
          stack.pop();
        }
        continue;
      }
      if (current.kind !== 'dir') {
        throw new AmikitError('INPUT_UNSAFE', `cannot resolve ${displayPath(path)}: ${displayPath(joinImagePath(resolved))} is not a directory`);
      }
      const child = current.children.get(part);
      const isFinal = pending.length === 0;
      if (!child) {
        if (isFinal) return { path: joinImagePath([...resolved, part]), node: undefined };
        throw new AmikitError('INPUT_UNSAFE', `cannot resolve ${displayPath(path)}: ${displayPath(joinImagePath([...resolved, part]))} does not exist`);
      }
      if (child.kind === 'symlink' && (!isFinal || followFinal)) {
        if (++hops > MAX_SYMLINK_HOPS) {
          throw new AmikitError('INPUT_UNSAFE', `cannot resolve ${displayPath(path)}: too many levels of symbolic links`);
        }
        const target = child.target.toString('latin1');
        const targetParts = target.split('/').filter((p) => p !== '' && p !== '.');
        if (target.startsWith('/')) {
          resolved.length = 0;
          stack.length = 1;
        }
        pending = [...targetParts, ...pending];
        continue;
      }
      resolved.push(part);
      stack.push(child);
    }
    return { path: joinImagePath(resolved), node: stack[stack.length - 1] };
  }

  /** The directory at `path`, or undefined when missing or not a directory (no symlinks followed). */
  dir(path: string): DirNode | undefined {
    const node = this.lookup(path);
    return node?.kind === 'dir' ? node : undefined;
  }

  /**
   * Creates every missing directory along `path` with `meta()` (fresh record per directory).
   * @throws AmikitError INPUT_UNSAFE when a component exists and is not a directory.
   */
  mkdirp(path: string, meta: () => NodeMeta = () => makeMeta({ mode: 0o755 })): DirNode {
    let node: DirNode = this.root;
    const done: string[] = [];
    for (const part of splitImagePath(path)) {
      done.push(part);
      let child = node.children.get(part);
      if (!child) {
        child = { kind: 'dir', meta: meta(), children: new Map() };
        node.children.set(part, child);
      }
      if (child.kind !== 'dir') {
        throw new AmikitError('INPUT_UNSAFE', `${displayPath(joinImagePath(done))} is not a directory`);
      }
      node = child;
    }
    return node;
  }

  /** Places `node` at `path`, replacing what was there; the parent must exist as a directory. */
  set(path: string, node: Node): void {
    const parts = splitImagePath(path);
    const name = parts.pop();
    if (name === undefined) throw new AmikitError('USAGE', 'cannot replace the root directory');
    const parent = this.dir(joinImagePath(parts));
    if (!parent) throw new AmikitError('INPUT_UNSAFE', `parent of ${displayPath(path)} is not a directory`);
    parent.children.set(name, node);
  }

  /** Removes `path` (and a directory's whole subtree). Returns whether something was removed. */
  remove(path: string): boolean {
    const parts = splitImagePath(path);
    const name = parts.pop();
    if (name === undefined) throw new AmikitError('USAGE', 'cannot remove the root directory');
    const parent = this.dir(joinImagePath(parts));
    return parent ? parent.children.delete(name) : false;
  }

  /** Depth-first walk, parents before children, siblings in byte order of their names: deterministic. */
  *walk(): Generator<WalkEntry> {
    const cursor = new WalkCursor(this.root, true);
    do yield { path: cursor.path, node: cursor.node, parent: cursor.parent, name: cursor.name };
    while (cursor.next());
  }

  /**
   * walk()'s order without its costs, for passes over every node that need no paths: walk() builds every
   * path string and an entry object per node, which numbering and time clamping do not need.
   */
  forEachNode(visit: (node: Node, parent: DirNode, name: string) => void): void {
    const cursor = new WalkCursor(this.root, false);
    do visit(cursor.node, cursor.parent, cursor.name);
    while (cursor.next());
  }

  /** Counts by kind, distinct inodes and stored bytes of distinct files. */
  stats(): { entries: number; inodes: number; byKind: Record<string, number> } {
    const seen = new Set<Node>();
    const byKind: Record<string, number> = {};
    let entries = 0;
    for (const { node } of this.walk()) {
      entries++;
      if (seen.has(node)) continue;
      seen.add(node);
      byKind[node.kind] = (byKind[node.kind] ?? 0) + 1;
    }
    return { entries, inodes: seen.size, byKind };
  }
}

/** A directory being walked: its children's names in byte order, the next to visit, and its path. */
interface DirFrame {
  dir: DirNode;
  names: string[];
  next: number;
  /** The directory's path ('' for the root) when the walk builds paths. */
  path: string;
}

/**
 * The position of a walk, moved node by node. Iterative, with an explicit stack of directory frames:
 * a recursive walk overflowed the stack on a tree 20,000 levels deep, which one long PAX path in a
 * hostile tar makes.
 */
class WalkCursor {
  node: Node;
  parent: DirNode;
  name = '';
  /** The node's path; kept up to date only when the cursor was made with paths. */
  path = '/';
  private readonly stack: DirFrame[] = [];

  constructor(
    root: DirNode,
    private readonly withPaths: boolean,
  ) {
    this.node = root;
    this.parent = root;
  }

  /** Moves to the next node in walk order (into the current one first, when it is a directory); false at the end. */
  next(): boolean {
    if (this.node.kind === 'dir') {
      const path = this.node === this.parent ? '' : this.path; // the root is its own parent
      this.stack.push({ dir: this.node, names: [...this.node.children.keys()].sort(compareNames), next: 0, path });
    }
    for (;;) {
      const top = this.stack[this.stack.length - 1];
      if (top === undefined) return false;
      const name = top.names[top.next++];
      if (name === undefined) {
        this.stack.pop();
        continue;
      }
      this.parent = top.dir;
      this.name = name;
      this.node = top.dir.children.get(name)!;
      if (this.withPaths) this.path = `${top.path}/${name}`;
      return true;
    }
  }
}

/** Byte order of byte-string names (code units are bytes, so plain comparison is byte order). */
export function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
