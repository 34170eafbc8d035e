// Edits of an image tree for customisation operations: chroot-style symlink resolution that refuses
// targets climbing above the image root, whole-file reads and writes, globbing, and a record of each change.
import { AmikitError } from '../shared/errors.js';
import type { FileTree } from '../tree/file-tree.js';
import { compareNames } from '../tree/file-tree.js';
import { makeMeta, type DirNode, type FileNode, type Node, type NodeMeta } from '../tree/node.js';
import { displayPath, joinImagePath, splitImagePath } from '../tree/paths.js';
import { readWholeContent } from '../tree/read-content.js';
import type { ChangeRecord } from './operation.js';

/** Symlink hops allowed while resolving one path, as Linux's MAXSYMLINKS. */
const MAX_SYMLINK_HOPS = 40;

export interface ResolvedPath {
  /** Canonical image path (no symlinks in it). */
  path: string;
  /** undefined when the final component does not exist (its parent does). */
  node: Node | undefined;
}

export interface ListedEntry {
  name: string;
  /** Canonical image path of the entry. */
  path: string;
  node: Node;
}

export interface Ownership {
  mode: number;
  uid: number;
  gid: number;
}

export class ImageEditor {
  constructor(
    readonly tree: FileTree,
    private readonly record: (change: ChangeRecord) => void,
    readonly timestampSec: number,
  ) {}

  /**
   * Resolves `path` as the guest would under chroot, following every symlink (the final one only with
   * `followFinal`). Returns undefined when a parent component is missing or not a directory.
   * @throws AmikitError INPUT_UNSAFE when a symlink target climbs above the image root, or on a loop.
   */
  resolve(path: string, followFinal = true): ResolvedPath | undefined {
    // Each pending component remembers the symlink whose target it came from: a ".." from a target that
    // would climb above the root is an escape, while a user's own path never contains "..".
    type Pending = { part: string; link?: { path: string; target: string } };
    let pending: Pending[] = splitImagePath(path).map((part) => ({ part }));
    const resolved: string[] = [];
    const stack: Node[] = [this.tree.root];
    let hops = 0;
    while (pending.length > 0) {
      const { part, link } = pending.shift()!;
      if (part === '..') {
        if (resolved.length === 0) {
          if (link) {
            throw new AmikitError(
              'INPUT_UNSAFE',
              `symlink ${displayPath(link.path)} -> ${displayPath(link.target)} leads outside the image (resolving ${displayPath(path)})`,
              { data: { path: displayPath(path), link: displayPath(link.path) } },
            );
          }
          continue;
        }
        resolved.pop();
        stack.pop();
        continue;
      }
      const current = stack[stack.length - 1]!;
      if (current.kind !== 'dir') return undefined;
      const child = current.children.get(part);
      const isFinal = pending.length === 0;
      if (!child) return isFinal ? { path: joinImagePath([...resolved, part]), node: undefined } : undefined;
      if (child.kind === 'symlink' && (!isFinal || followFinal)) {
        if (++hops > MAX_SYMLINK_HOPS) {
          throw new AmikitError('INPUT_UNSAFE', `cannot resolve ${displayPath(path)}: too many levels of symbolic links`, { data: { path: displayPath(path) } });
        }
        const target = child.target.toString('latin1');
        const origin = { path: joinImagePath([...resolved, part]), target };
        if (target.startsWith('/')) {
          resolved.length = 0;
          stack.length = 1;
        }
        const targetParts = target.split('/').filter((p) => p !== '' && p !== '.');
        pending = [...targetParts.map((p) => ({ part: p, link: origin })), ...pending];
        continue;
      }
      resolved.push(part);
      stack.push(child);
    }
    return { path: joinImagePath(resolved), node: stack[stack.length - 1] };
  }

  /** The node at `path` (parents resolved, the final symlink not followed), or undefined. */
  lookup(path: string): Node | undefined {
    return this.resolve(path, false)?.node;
  }

  /** Children of the directory at `path` (symlinks to directories followed), sorted by name; [] if none. */
  list(path: string): ListedEntry[] {
    const dir = this.resolve(path, true);
    if (!dir || dir.node?.kind !== 'dir') return [];
    const node = dir.node;
    return [...node.children.keys()].sort(compareNames).map((name) => ({
      name,
      path: joinChild(dir.path, name),
      node: node.children.get(name)!,
    }));
  }

  /**
   * Canonical paths of the entries matching `pattern`: any component may hold `*`, `?` or `[…]`
   * (`*` also matches dot-files); intermediate symlinks are followed inside the image, final ones are not.
   */
  glob(pattern: string): string[] {
    const parts = splitImagePath(pattern);
    let bases = ['/'];
    parts.forEach((part, index) => {
      const last = index === parts.length - 1;
      const next: string[] = [];
      for (const base of bases) {
        const names = hasWildcard(part) ? this.list(base).map((e) => e.name).filter((name) => globRegExp(part).test(name)) : [part];
        for (const name of names) {
          const found = this.resolve(joinChild(base, name), !last);
          if (!found?.node) continue;
          if (last) next.push(found.path);
          else if (found.node.kind === 'dir') next.push(found.path);
        }
      }
      bases = next;
    });
    return [...new Set(bases)].sort(compareNames);
  }

  /** The regular file at `path` (a final symlink followed inside the image) and its bytes, else undefined. */
  async readFile(path: string): Promise<{ path: string; node: FileNode; bytes: Buffer } | undefined> {
    const found = this.resolve(path, true);
    if (found?.node?.kind !== 'file') return undefined;
    return { path: found.path, node: found.node, bytes: await readWholeContent(found.node) };
  }

  /** The text of a regular file as a byte string (latin1: every byte kept), else undefined. */
  async readText(path: string): Promise<string | undefined> {
    const file = await this.readFile(path);
    return file?.bytes.toString('latin1');
  }

  /**
   * Writes `bytes` as the whole content of `path`, following a final symlink inside the image. An existing
   * regular file is rewritten in place (hard links see it; mode and owner kept unless `ownership` is given
   * with `force`). A new file gets `ownership` (default root 0644). Nothing is recorded when nothing changes.
   * @throws AmikitError INPUT_UNSAFE when the parent is missing or the path is a directory.
   */
  writeFile(path: string, bytes: Buffer, ownership?: Partial<Ownership>, options: { force?: boolean } = {}): string {
    const found = this.resolve(path, true);
    if (!found) throw new AmikitError('INPUT_UNSAFE', `cannot write ${displayPath(path)}: its parent directory does not exist`, { data: { path: displayPath(path) } });
    const node = found.node;
    if (node?.kind === 'dir') throw new AmikitError('INPUT_UNSAFE', `cannot write ${displayPath(found.path)}: it is a directory`, { data: { path: displayPath(found.path) } });
    if (node?.kind === 'file') {
      const same = contentEquals(node, bytes);
      const metaChanged = options.force === true && ownership !== undefined && !ownershipMatches(node.meta, ownership);
      if (same && !metaChanged) return found.path;
      if (!same) {
        node.content = { kind: 'bytes', bytes };
        node.sizeBytes = bytes.length;
        delete node.segments;
        node.meta.mtime = node.meta.ctime = { sec: this.timestampSec, nsec: 0 };
      }
      if (metaChanged) applyOwnership(node.meta, ownership);
      this.record({ action: 'modified', path: displayPath(found.path) });
      return found.path;
    }
    const file: FileNode = {
      kind: 'file',
      meta: this.meta({ mode: 0o644, ...ownership }),
      sizeBytes: bytes.length,
      content: { kind: 'bytes', bytes },
    };
    this.tree.set(found.path, file);
    this.record({ action: node ? 'modified' : 'created', path: displayPath(found.path) });
    return found.path;
  }

  /** Writes text given as a byte string (latin1). */
  writeText(path: string, text: string, ownership?: Partial<Ownership>, options: { force?: boolean } = {}): string {
    return this.writeFile(path, Buffer.from(text, 'latin1'), ownership, options);
  }

  /**
   * Creates missing directories along `path` (symlinks followed inside the image) with `ownership`
   * (default root 0755). Returns the canonical path.
   * @throws AmikitError INPUT_UNSAFE when a component exists and is not a directory.
   */
  mkdirp(path: string, ownership?: Partial<Ownership>): string {
    let base = '/';
    for (const part of splitImagePath(path)) {
      const found = this.resolve(joinChild(base, part), true);
      if (!found) throw new AmikitError('INPUT_UNSAFE', `cannot create ${displayPath(path)}: ${displayPath(joinChild(base, part))} is not reachable`, { data: { path: displayPath(path) } });
      if (!found.node) {
        const dir: DirNode = { kind: 'dir', meta: this.meta({ mode: 0o755, ...ownership }), children: new Map() };
        this.tree.set(found.path, dir);
        this.record({ action: 'created', path: displayPath(found.path) });
      } else if (found.node.kind !== 'dir') {
        throw new AmikitError('INPUT_UNSAFE', `cannot create ${displayPath(path)}: ${displayPath(found.path)} exists and is not a directory`, { data: { path: displayPath(found.path) } });
      }
      base = found.path;
    }
    return base;
  }

  /** Makes `path` a symlink to `target` (like `ln -sfT`): replaces a non-directory, refuses a directory. */
  symlink(path: string, target: string, ownership?: Partial<Ownership>): string {
    const found = this.resolve(path, false);
    if (!found) throw new AmikitError('INPUT_UNSAFE', `cannot create ${displayPath(path)}: its parent directory does not exist`, { data: { path: displayPath(path) } });
    const node = found.node;
    if (node?.kind === 'dir') throw new AmikitError('INPUT_UNSAFE', `cannot replace directory ${displayPath(found.path)} with a symlink`, { data: { path: displayPath(found.path) } });
    if (node?.kind === 'symlink' && node.target.toString('latin1') === target) return found.path;
    this.tree.set(found.path, { kind: 'symlink', meta: this.meta({ mode: 0o777, ...ownership }), target: Buffer.from(target, 'latin1') });
    this.record({ action: node ? 'modified' : 'created', path: displayPath(found.path), detail: `-> ${displayPath(target)}` });
    return found.path;
  }

  /** Removes the entry at `path` (a directory with its subtree; a final symlink itself, not its target). */
  remove(path: string, detail?: string): boolean {
    const found = this.resolve(path, false);
    if (!found?.node || found.path === '/') return false;
    this.tree.remove(found.path);
    this.record({ action: 'removed', path: displayPath(found.path), ...(detail ? { detail } : {}) });
    return true;
  }

  /** Removes every child of the directory at `path` for which `keep` is false; the directory stays. */
  removeChildren(path: string, keep: (entry: ListedEntry) => boolean = () => false): number {
    let count = 0;
    for (const entry of this.list(path)) {
      if (keep(entry)) continue;
      if (this.remove(entry.path)) count++;
    }
    return count;
  }

  /**
   * Sets mode/owner of the entry at `path` (final symlink followed); records only a real change, with a
   * detail naming the old and new values (e.g. "mode 0755 -> 0700, owner 0:0 -> 1000:1000").
   */
  setOwnership(path: string, ownership: Partial<Ownership>): void {
    const found = this.resolve(path, true);
    if (!found?.node || ownershipMatches(found.node.meta, ownership)) return;
    const meta = found.node.meta;
    const parts: string[] = [];
    if (ownership.mode !== undefined && meta.mode !== ownership.mode) parts.push(`mode ${octal(meta.mode)} -> ${octal(ownership.mode)}`);
    if ((ownership.uid !== undefined && meta.uid !== ownership.uid) || (ownership.gid !== undefined && meta.gid !== ownership.gid)) {
      parts.push(`owner ${meta.uid}:${meta.gid} -> ${ownership.uid ?? meta.uid}:${ownership.gid ?? meta.gid}`);
    }
    applyOwnership(meta, ownership);
    this.record({ action: 'modified', path: displayPath(found.path), detail: parts.join(', ') });
  }

  /** Sets (or, with undefined, removes) an extended attribute; records only a real change. */
  setXattr(path: string, name: string, value: Buffer | undefined): void {
    const found = this.resolve(path, true);
    if (!found?.node) return;
    const current = found.node.meta.xattrs.get(name);
    if (value === undefined ? current === undefined : current?.equals(value)) return;
    // A new map rather than an edit: nodes without xattrs share one map (NO_XATTRS).
    const xattrs = new Map(found.node.meta.xattrs);
    if (value === undefined) xattrs.delete(name);
    else xattrs.set(name, value);
    found.node.meta.xattrs = xattrs;
    this.record({ action: 'modified', path: displayPath(found.path), detail: `xattr ${name}` });
  }

  /** Records a change the caller made itself (e.g. an edit with a detail). */
  note(change: ChangeRecord): void {
    this.record(change);
  }

  private meta(fields: Partial<Ownership>): NodeMeta {
    const time = { sec: this.timestampSec, nsec: 0 };
    return makeMeta({ mode: fields.mode ?? 0o644, uid: fields.uid ?? 0, gid: fields.gid ?? 0, mtime: time, atime: time, ctime: time });
  }
}

function ownershipMatches(meta: NodeMeta, ownership: Partial<Ownership>): boolean {
  return (ownership.mode === undefined || meta.mode === ownership.mode) && (ownership.uid === undefined || meta.uid === ownership.uid) && (ownership.gid === undefined || meta.gid === ownership.gid);
}

function applyOwnership(meta: NodeMeta, ownership: Partial<Ownership>): void {
  if (ownership.mode !== undefined) meta.mode = ownership.mode;
  if (ownership.uid !== undefined) meta.uid = ownership.uid;
  if (ownership.gid !== undefined) meta.gid = ownership.gid;
}

function octal(mode: number): string {
  return mode.toString(8).padStart(4, '0');
}

/** Joins an absolute directory path and a child name. */
export function joinChild(dir: string, name: string): string {
  return dir === '/' ? `/${name}` : `${dir}/${name}`;
}

function hasWildcard(part: string): boolean {
  return /[*?[]/.test(part);
}

const globCache = new Map<string, RegExp>();

/** A shell-style pattern for one path component as a RegExp (`*`, `?`, `[abc]`, `[!abc]`). */
export function globRegExp(pattern: string): RegExp {
  let cached = globCache.get(pattern);
  if (cached) return cached;
  let source = '^';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') source += '.*';
    else if (c === '?') source += '.';
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 2);
      if (end < 0) source += '\\[';
      else {
        let set = pattern.slice(i + 1, end);
        if (set.startsWith('!')) set = '^' + set.slice(1);
        source += `[${set.replace(/\\/g, '\\\\')}]`;
        i = end;
      }
    } else source += c.replace(/[.+^${}()|\\\]]/g, '\\$&');
  }
  cached = new RegExp(source + '$', 's');
  globCache.set(pattern, cached);
  return cached;
}

/** Largest file compared byte by byte from its source when a write might leave it unchanged. */
const MAX_COMPARED_BYTES = 1024 * 1024;

/**
 * Whether `file` already holds exactly `bytes`: in memory, or (for files still in a layer or image, read
 * synchronously when the source allows it) from its source. Without the check, rewriting an unchanged file
 * read from an image would be reported as a change and re-running an operation would not be a no-op.
 */
function contentEquals(file: FileNode, bytes: Buffer): boolean {
  if (file.sizeBytes !== bytes.length || file.segments) return false;
  const content = file.content;
  if (content.kind === 'bytes') return content.bytes.equals(bytes);
  if (content.storedBytes !== bytes.length) return false;
  if (bytes.length === 0) return true;
  if (!content.source.readIntoSync || bytes.length > MAX_COMPARED_BYTES) return false;
  const stored = Buffer.allocUnsafe(bytes.length);
  content.source.readIntoSync(stored, 0, bytes.length, content.offsetBytes);
  return stored.equals(bytes);
}
