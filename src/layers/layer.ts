// The stage-internal view of one input layer: a stream of entries (metadata plus a reference to where a
// file's bytes live), whatever the container format — tar, directory, or a member of an image archive.
import type { Content, DataSegment, NodeMeta } from '../tree/node.js';

/** Entry kinds as a tar can express them; `hardlink` names another path of the same layer or a lower one. */
export type LayerEntryType =
  | 'file'
  | 'hardlink'
  | 'symlink'
  | 'char-device'
  | 'block-device'
  | 'dir'
  | 'fifo'
  | 'socket';

export interface LayerEntry {
  /** Raw path as stored (byte string, see tree/paths.ts); normalised and checked by the merger. */
  path: string;
  type: LayerEntryType;
  meta: NodeMeta;
  /** Logical size of a regular file (holes included); 0 for everything else. */
  sizeBytes: number;
  /** Symlink target, or the path a hard link names (raw byte string). */
  linkTarget?: string;
  devMajor: number;
  devMinor: number;
  /** Where a regular file's stored bytes are; only a reference, nothing is read while merging. */
  content?: Content;
  /** Sparse map of a regular file (see FileNode.segments). */
  segments?: DataSegment[];
  /** Names the entry in messages, e.g. "base.tar: offset 10240". */
  where: string;
}

/** A warning raised while reading or merging layers; `path` is a display path ('' when none applies). */
export interface LayerWarning {
  code: string;
  path: string;
  message: string;
}

export interface Layer {
  /** What to call the layer in messages (file path, or "image.tar: layer 2 (sha256:…)"). */
  readonly name: string;
  /**
   * Entries in stored order, a batch at a time (one step of an async iterator per member cost more than
   * merging the member). May be called more than once; each call walks the layer again.
   */
  entryBatches(): AsyncIterable<readonly LayerEntry[]>;
  /** Releases handles; file contents pointing into the layer become unreadable. Idempotent. */
  close(): Promise<void>;
}
