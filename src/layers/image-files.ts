// The files of an image archive (OCI image layout, docker save) wherever they live: members of a tar read
// through bounded slices (never extracted), or files of a host directory. Paths are '/'-separated, relative.
import { join } from 'node:path';
import { AmikitError } from '../shared/errors.js';
import type { ByteSource } from '../tree/byte-source.js';
import { readRange } from '../tree/byte-source.js';
import { displayPath } from '../tree/paths.js';
import { FileByteSource } from './byte-sources/file-byte-source.js';
import { SliceByteSource } from './byte-sources/slice-byte-source.js';
import type { TarEntry } from './tar/read-tar-entries.js';

/** Symlink hops allowed while resolving an archive member, as Linux's MAXSYMLINKS. */
const MAX_MEMBER_LINK_HOPS = 40;

export interface ImageFiles {
  /** The archive or directory, for messages. */
  readonly name: string;
  /** Opens a member; undefined when it does not exist. The caller closes the returned source. */
  open(path: string): Promise<ByteSource | undefined>;
  /** Releases what the archive itself holds (not the sources handed out). */
  close(): Promise<void>;
}

/** Members of a tar already walked (`entries`); symlinks and hard links between members are followed inside it. */
export function tarImageFiles(source: ByteSource, entries: readonly TarEntry[], options: { ownsSource: boolean }): ImageFiles {
  const byPath = new Map<string, TarEntry>();
  for (const entry of entries) byPath.set(normaliseMember(entry.path, source.name), entry);

  const resolve = (path: string): TarEntry | undefined => {
    let key = normaliseMember(path, source.name);
    for (let hops = 0; hops <= MAX_MEMBER_LINK_HOPS; hops++) {
      const entry = byPath.get(key);
      if (!entry || entry.linkTarget === undefined) return entry;
      if (entry.type === 'hardlink') {
        key = normaliseMember(entry.linkTarget, source.name);
      } else if (entry.type === 'symlink') {
        // docker save (legacy) stores a repeated layer as `<id>/layer.tar -> ../<other>/layer.tar`.
        key = resolveRelative(key, entry.linkTarget, source.name);
      } else {
        return entry;
      }
    }
    throw new AmikitError('INPUT_FORMAT', `${source.name}: too many links resolving member '${displayPath(path)}'`);
  };

  return {
    name: source.name,
    async open(path) {
      const entry = resolve(path);
      if (!entry) return undefined;
      if (entry.type !== 'file') {
        throw new AmikitError('INPUT_FORMAT', `${source.name}: member '${displayPath(path)}' is a ${entry.type}, not a file`);
      }
      if (entry.segments) {
        throw new AmikitError('INPUT_FORMAT', `${source.name}: member '${displayPath(path)}' is a sparse file; image blobs must be plain files`);
      }
      return new SliceByteSource(source, entry.dataOffsetBytes, entry.storedBytes, `${source.name}:${displayPath(path)}`);
    },
    async close() {
      if (options.ownsSource) await source.close();
    },
  };
}

/** Files under a host directory (an OCI image layout directory). */
export function directoryImageFiles(dir: string): ImageFiles {
  return {
    name: dir,
    async open(path) {
      normaliseMember(path, dir);
      try {
        return await FileByteSource.open(join(dir, path));
      } catch (error) {
        if (error instanceof AmikitError && error.code === 'INPUT_NOT_FOUND') return undefined;
        throw error;
      }
    },
    async close() {},
  };
}

/**
 * Reads a small member (a JSON document) whole.
 * @throws AmikitError INPUT_LIMIT when it is larger than `limitBytes`.
 */
export async function readSmallMember(source: ByteSource, limitBytes: number): Promise<Buffer> {
  if (source.sizeBytes > limitBytes) {
    throw new AmikitError('INPUT_LIMIT', `${source.name}: ${source.sizeBytes} bytes is too large for image metadata (limit ${limitBytes})`);
  }
  return readRange(source, 0, source.sizeBytes);
}

function normaliseMember(path: string, archive: string): string {
  if (path.startsWith('/')) {
    throw new AmikitError('INPUT_UNSAFE', `${archive}: member path '${displayPath(path)}' is absolute`);
  }
  const parts: string[] = [];
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') throw new AmikitError('INPUT_UNSAFE', `${archive}: member path '${displayPath(path)}' escapes the archive`);
    parts.push(part);
  }
  return parts.join('/');
}

/** Resolves a relative symlink target against its member's directory; it may not leave the archive. */
function resolveRelative(memberKey: string, target: string, archive: string): string {
  if (target.startsWith('/')) {
    throw new AmikitError('INPUT_UNSAFE', `${archive}: member '${displayPath(memberKey)}' links to absolute '${displayPath(target)}'`);
  }
  const parts = memberKey.split('/').slice(0, -1);
  for (const part of target.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (parts.length === 0) {
        throw new AmikitError('INPUT_UNSAFE', `${archive}: member '${displayPath(memberKey)}' links outside the archive ('${displayPath(target)}')`);
      }
      parts.pop();
    } else {
      parts.push(part);
    }
  }
  return parts.join('/');
}
