// The operating system of an image from os-release(5): /etc/os-release, else /usr/lib/os-release.
// Values are shell-style assignments; only quoting and backslash escapes are interpreted, nothing runs.
import type { ImageEditor } from '../customize/image-editor.js';
import { textLines, treeText } from './tree-text.js';

export interface OsRelease {
  /** The file the facts came from (canonical path in the image). */
  source: string;
  id?: string;
  idLike?: string[];
  name?: string;
  prettyName?: string;
  versionId?: string;
  versionCodename?: string;
  /** Every assignment of the file, as read. */
  fields: Record<string, string>;
}

/** Parses os-release text: KEY=value lines, values unquoted ('…' literal, "…" with \ escapes). */
export function parseOsRelease(text: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const line of textLines(text)) {
    const match = /^\s*([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (!match) continue;
    fields[match[1]!] = unquote(match[2]!.trim());
  }
  return fields;
}

function unquote(value: string): string {
  if (value.length >= 2 && value.startsWith("'") && value.endsWith("'")) return value.slice(1, -1);
  if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) return value.slice(1, -1).replace(/\\([$"\\`])/g, '$1');
  return value.replace(/\\(.)/g, '$1');
}

/** The image's os-release facts, or undefined when neither file exists. */
export async function readOsRelease(edit: ImageEditor): Promise<OsRelease | undefined> {
  const file = (await treeText(edit, '/etc/os-release')) ?? (await treeText(edit, '/usr/lib/os-release'));
  if (!file) return undefined;
  // os-release is UTF-8 by specification; the byte string is decoded only here, for display.
  const fields = parseOsRelease(Buffer.from(file.text, 'latin1').toString('utf8'));
  const pick = (key: string): string | undefined => (fields[key] !== undefined && fields[key] !== '' ? fields[key] : undefined);
  const idLike = pick('ID_LIKE')?.split(/\s+/).filter((word) => word !== '');
  return {
    source: file.path,
    ...optional('id', pick('ID')),
    ...(idLike && idLike.length > 0 ? { idLike } : {}),
    ...optional('name', pick('NAME')),
    ...optional('prettyName', pick('PRETTY_NAME')),
    ...optional('versionId', pick('VERSION_ID')),
    ...optional('versionCodename', pick('VERSION_CODENAME')),
    fields,
  };
}

/** `{ key: value }` when value is defined, else `{}` (exactOptionalPropertyTypes-friendly spreads). */
export function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}
