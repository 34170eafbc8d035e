// Line-preserving edits of small configuration files: a transform sees the text as a byte string, and
// only a real change is written (so every editing operation is idempotent and untouched bytes stay).
import { displayPath } from '../tree/paths.js';
import type { ImageEditor } from './image-editor.js';

/**
 * Rewrites the regular file at `path` (a final symlink followed inside the image) with `transform`;
 * nothing happens when the file is absent or the text comes back unchanged. Returns whether it changed.
 */
export async function editTextFile(edit: ImageEditor, path: string, transform: (text: string) => string, detail?: string): Promise<boolean> {
  const file = await edit.readFile(path);
  if (!file) return false;
  const before = file.bytes.toString('latin1');
  const after = transform(before);
  if (after === before) return false;
  file.node.content = { kind: 'bytes', bytes: Buffer.from(after, 'latin1') };
  file.node.sizeBytes = file.node.content.bytes.length;
  delete file.node.segments;
  const time = { sec: edit.timestampSec, nsec: 0 };
  file.node.meta.mtime = file.node.meta.ctime = time;
  edit.note({ action: 'modified', path: displayPath(file.path), ...(detail ? { detail } : {}) });
  return true;
}

/** Splits text into lines, each keeping its own terminator, so joining them gives the text back. */
export function splitLinesKeepEnds(text: string): string[] {
  return text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
}

/** Drops the lines `drop` selects; returns the text and how many lines went. */
export function dropLines(text: string, drop: (line: string) => boolean): { text: string; dropped: number } {
  const lines = splitLinesKeepEnds(text);
  const kept = lines.filter((line) => !drop(line.replace(/\r?\n$/, '')));
  return { text: kept.join(''), dropped: lines.length - kept.length };
}
