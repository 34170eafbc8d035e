// Reads small configuration files of an image tree for inspection: symlinks followed inside the image,
// a size cap so a huge or hostile file is never read whole, and no error for what is missing.
import type { ImageEditor } from '../customize/image-editor.js';
import { readWholeContent } from '../tree/read-content.js';
import type { FileNode } from '../tree/node.js';

/** Configuration files larger than this are not read (inspection stays cheap on any image). */
export const MAX_TEXT_BYTES = 1024 * 1024;

export interface TreeText {
  /** Canonical path of the file read (after symlinks). */
  path: string;
  /** The bytes as a byte string (latin1: every byte kept). */
  text: string;
}

/**
 * The text of the regular file at `path`, or undefined when it is missing, not a regular file, larger
 * than `maxBytes`, or reached through a symlink that leaves the image.
 */
export async function treeText(edit: ImageEditor, path: string, maxBytes = MAX_TEXT_BYTES): Promise<TreeText | undefined> {
  const found = resolveFile(edit, path);
  if (!found || found.node.sizeBytes > maxBytes) return undefined;
  return { path: found.path, text: (await readWholeContent(found.node)).toString('latin1') };
}

/** The regular file at `path` (final symlink followed), or undefined; never throws on an escaping link. */
export function resolveFile(edit: ImageEditor, path: string): { path: string; node: FileNode } | undefined {
  try {
    const found = edit.resolve(path, true);
    return found?.node?.kind === 'file' ? { path: found.path, node: found.node } : undefined;
  } catch {
    // A link out of the image or a loop: for inspection that is "not there", never a crash.
    return undefined;
  }
}

/** Lines of a text without line ends (CRLF tolerated). */
export function textLines(text: string): string[] {
  return text.split('\n').map((line) => line.replace(/\r$/, ''));
}

/** `edit.glob`, with a symlink that leaves the image (or loops) counted as no match instead of an error. */
export function safeGlob(edit: ImageEditor, pattern: string): string[] {
  try {
    return edit.glob(pattern);
  } catch {
    return [];
  }
}
