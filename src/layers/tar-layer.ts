// A tar (plain, or the decompressed spool of a tar.gz/tar.zst) as a layer: each header becomes an entry
// whose file content is a reference to the data's offset in the source; nothing is extracted.
import type { ByteSource } from '../tree/byte-source.js';
import { makeMeta } from '../tree/node.js';
import type { Layer, LayerEntry } from './layer.js';
import { scanTarEntries, type TarEntry } from './tar/read-tar-entries.js';

export interface TarLayerOptions {
  /** What to call the layer in messages; default the source's name. */
  name?: string;
  /** Whether close() also closes `source` (true when the layer opened it). Default true. */
  ownsSource?: boolean;
  onWarning?(message: string): void;
}

export class TarLayer implements Layer {
  readonly name: string;
  private readonly source: ByteSource;
  private readonly ownsSource: boolean;
  private readonly onWarning: ((message: string) => void) | undefined;

  constructor(source: ByteSource, options: TarLayerOptions = {}) {
    this.source = source;
    this.name = options.name ?? source.name;
    this.ownsSource = options.ownsSource ?? true;
    this.onWarning = options.onWarning;
  }

  entries(): AsyncGenerator<LayerEntry> {
    const onWarning = (message: string): void => this.onWarning?.(message);
    return scanTarEntries(this.source, { onWarning }, (entry) => layerEntryOf(entry, this.source, this.name));
  }

  async close(): Promise<void> {
    if (this.ownsSource) await this.source.close();
  }
}

/** Maps one tar header to a layer entry; atime/ctime default to mtime as tar writers that omit them intend. */
export function layerEntryOf(entry: TarEntry, source: ByteSource, layerName: string): LayerEntry {
  const meta = makeMeta({
    mode: entry.mode & 0o7777,
    uid: entry.uid,
    gid: entry.gid,
    mtime: entry.mtime,
    ...(entry.atime ? { atime: entry.atime } : {}),
    ...(entry.ctime ? { ctime: entry.ctime } : {}),
    xattrs: entry.xattrs,
  });
  const layerEntry: LayerEntry = {
    path: entry.path,
    type: entry.type,
    meta,
    sizeBytes: entry.type === 'file' ? entry.sizeBytes : 0,
    devMajor: entry.devMajor,
    devMinor: entry.devMinor,
    where: `${layerName}: offset ${entry.headerOffsetBytes}`,
  };
  if (entry.linkTarget !== undefined) layerEntry.linkTarget = entry.linkTarget;
  if (entry.type === 'file') {
    layerEntry.content = { kind: 'source', source, offsetBytes: entry.dataOffsetBytes, storedBytes: entry.storedBytes };
    if (entry.segments) layerEntry.segments = entry.segments;
  }
  return layerEntry;
}
