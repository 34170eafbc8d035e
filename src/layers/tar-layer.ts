// A tar (plain, or the decompressed spool of a tar.gz/tar.zst) as a layer: each header becomes an entry
// whose file content is a reference to the data's offset in the source; nothing is extracted.
import type { ByteSource } from '../tree/byte-source.js';
import type { Content, DataSegment, NodeMeta } from '../tree/node.js';
import { LAYER_BATCH_ENTRIES } from './batch-entries.js';
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

  entryBatches(): AsyncGenerator<LayerEntry[]> {
    const onWarning = (message: string): void => this.onWarning?.(message);
    return scanTarEntries(this.source, { onWarning }, (entry) => layerEntryOf(entry, this.source, this.name), LAYER_BATCH_ENTRIES);
  }

  async close(): Promise<void> {
    if (this.ownsSource) await this.source.close();
  }
}

/**
 * A tar member as a layer entry. `where` is built only when a message reads it: one string per member
 * was about a megabyte of strings on a Debian rootfs, kept until the tree was written, and never read
 * on a clean build.
 */
class TarLayerEntry implements LayerEntry {
  readonly path: string;
  readonly type: LayerEntry['type'];
  readonly meta: NodeMeta;
  readonly sizeBytes: number;
  readonly linkTarget: string | undefined;
  readonly devMajor: number;
  readonly devMinor: number;
  readonly content: Content | undefined;
  readonly segments: DataSegment[] | undefined;
  private readonly headerOffsetBytes: number;

  constructor(
    entry: TarEntry,
    source: ByteSource,
    private readonly layerName: string,
  ) {
    this.path = entry.path;
    this.type = entry.type;
    // atime/ctime default to mtime, as tar writers that omit them intend.
    this.meta = {
      mode: entry.mode & 0o7777,
      uid: entry.uid,
      gid: entry.gid,
      mtime: entry.mtime,
      atime: entry.atime ?? entry.mtime,
      ctime: entry.ctime ?? entry.mtime,
      xattrs: entry.xattrs,
    };
    const isFile = entry.type === 'file';
    this.sizeBytes = isFile ? entry.sizeBytes : 0;
    this.linkTarget = entry.linkTarget;
    this.devMajor = entry.devMajor;
    this.devMinor = entry.devMinor;
    this.content = isFile ? { kind: 'source', source, offsetBytes: entry.dataOffsetBytes, storedBytes: entry.storedBytes } : undefined;
    this.segments = isFile ? entry.segments : undefined;
    this.headerOffsetBytes = entry.headerOffsetBytes;
  }

  get where(): string {
    return `${this.layerName}: offset ${this.headerOffsetBytes}`;
  }
}

/** Maps one tar header to a layer entry; nothing is read. */
export function layerEntryOf(entry: TarEntry, source: ByteSource, layerName: string): LayerEntry {
  return new TarLayerEntry(entry, source, layerName);
}
