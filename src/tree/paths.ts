// Paths inside an image. Names are byte strings: each character is one byte of the raw name (latin1),
// so names that are not UTF-8 survive untouched and JS string order equals byte order.
import { AmikitError } from '../shared/errors.js';

/** Converts raw name bytes to the byte-string form used as tree keys. */
export function bytesToName(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}

/** Converts a byte-string name or path back to its raw bytes. */
export function nameToBytes(name: string): Buffer {
  return Buffer.from(name, 'latin1');
}

/** Converts a path typed by a user (UTF-8) to the byte-string form. */
export function pathFromUtf8(text: string): string {
  return Buffer.from(text, 'utf8').toString('latin1');
}

/** Renders a byte-string path for messages: UTF-8 where it decodes, \xNN escapes where it does not. */
export function displayPath(path: string): string {
  const bytes = nameToBytes(path);
  const text = bytes.toString('utf8');
  if (Buffer.from(text, 'utf8').equals(bytes) && !text.includes('\ufffd')) return JSON.stringify(text).slice(1, -1);
  let out = '';
  for (const byte of bytes) out += byte >= 0x20 && byte < 0x7f ? String.fromCharCode(byte) : `\\x${byte.toString(16).padStart(2, '0')}`;
  return out;
}

/**
 * Normalises a path from an archive into components. Leading "./" and "/"-runs of empty or "." components
 * are dropped; a ".." component or an absolute path is refused: nothing may land outside the image.
 * Returns [] for the root itself ("." or "./").
 * @throws AmikitError INPUT_UNSAFE naming `where` (file and offset) and the path.
 */
export function splitArchivePath(path: string, where: string): string[] {
  if (path.startsWith('/')) {
    throw new AmikitError('INPUT_UNSAFE', `${where}: absolute path '${displayPath(path)}' refused`, {
      data: { path: displayPath(path) },
    });
  }
  if (path.includes('\0')) {
    throw new AmikitError('INPUT_UNSAFE', `${where}: path '${displayPath(path)}' contains a NUL byte`, {
      data: { path: displayPath(path) },
    });
  }
  const parts: string[] = [];
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      throw new AmikitError('INPUT_UNSAFE', `${where}: path '${displayPath(path)}' escapes the image with '..'`, {
        data: { path: displayPath(path) },
      });
    }
    parts.push(part);
  }
  return parts;
}

const SLASH = 0x2f;
const DOT = 0x2e;

/**
 * `splitArchivePath(path, where).join('/')` without building the component array: the merge keys every
 * member by it. Paths tar writers produce ("./usr/bin/", "etc/passwd") are checked in one pass and sliced;
 * anything that needs normalising or refusing takes splitArchivePath, so results and errors are the same.
 * `where` is only evaluated for that slow path (it names the member in an error).
 */
export function archivePathKey(path: string, where: () => string): string {
  let start = 0;
  while (path.startsWith('./', start)) start += 2;
  let end = path.length;
  if (end > start && path.charCodeAt(end - 1) === SLASH) end--;
  let componentStart = start;
  for (let i = start; i <= end && end > start; i++) {
    const c = i === end ? SLASH : path.charCodeAt(i);
    if (c === 0) return splitArchivePath(path, where()).join('/');
    if (c !== SLASH) continue;
    const length = i - componentStart;
    const first = path.charCodeAt(componentStart);
    if (length === 0 || (first === DOT && (length === 1 || (length === 2 && path.charCodeAt(componentStart + 1) === DOT)))) {
      return splitArchivePath(path, where()).join('/');
    }
    componentStart = i + 1;
  }
  if (end <= start) return splitArchivePath(path, where()).join('/');
  return start === 0 && end === path.length ? path : path.slice(start, end);
}

/** Splits an absolute image path ("/etc/passwd") into components; "/" is []. Refuses "..". */
export function splitImagePath(path: string): string[] {
  if (!path.startsWith('/')) throw new AmikitError('USAGE', `image path '${displayPath(path)}' must be absolute`);
  return splitArchivePath(path.slice(1), 'image path');
}

/** Joins components into an absolute image path. */
export function joinImagePath(parts: readonly string[]): string {
  return '/' + parts.join('/');
}
