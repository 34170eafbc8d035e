// The resources the local AWS endpoint holds — EBS snapshots (with their written blocks) and EC2 images
// in several regions — and the time rules that move them from pending to completed/available.
import { createHmac, randomBytes } from 'node:crypto';
import type { BlockStore } from './block-store.js';
import type { EndpointClock } from './manual-clock.js';

export interface Tag {
  key: string;
  value: string;
}

/** Delays measured on the endpoint clock; tests may change them at any time. */
export interface EndpointDelays {
  /** CompleteSnapshot → DescribeSnapshots says `completed` (the user guide calls completion asynchronous). */
  snapshotCompletionMs: number;
  /** RegisterImage / CopyImage → DescribeImages says `available`. */
  imageAvailableMs: number;
}

export type SnapshotStatus = 'pending' | 'completed' | 'error';

export interface SnapshotRecord {
  snapshotId: string;
  region: string;
  ownerId: string;
  volumeSizeGiB: number;
  description: string | undefined;
  tags: Tag[];
  isEncrypted: boolean;
  kmsKeyArn: string | undefined;
  parentSnapshotId: string | undefined;
  timeoutMinutes: number;
  startTimeMs: number;
  lastWriteMs: number | undefined;
  completeRequestedMs: number | undefined;
  isDeleted: boolean;
  /** SHA-256 digest of every block written to THIS snapshot (not inherited ones), by block index. */
  ownBlocks: Map<number, Buffer>;
  /** Which snapshot's stored bytes hold an own block (a region copy points at its source). */
  storageId: string;
}

export interface BlockDeviceMapping {
  deviceName: string;
  noDevice?: string;
  virtualName?: string;
  ebs?: {
    snapshotId?: string;
    volumeSizeGiB?: number;
    volumeType?: string;
    deleteOnTermination?: boolean;
    iops?: number;
    throughput?: number;
    isEncrypted?: boolean;
  };
}

export interface ImageRecord {
  imageId: string;
  region: string;
  ownerId: string;
  name: string;
  description: string | undefined;
  architecture: string;
  virtualizationType: string;
  rootDeviceName: string;
  blockDeviceMappings: BlockDeviceMapping[];
  enaSupport: boolean | undefined;
  sriovNetSupport: string | undefined;
  bootMode: string | undefined;
  tpmSupport: string | undefined;
  imdsSupport: string | undefined;
  uefiData: string | undefined;
  tags: Tag[];
  creationMs: number;
  launchUserIds: Set<string>;
  isPublic: boolean;
  isDeregistered: boolean;
  sourceImageId: string | undefined;
  sourceRegion: string | undefined;
}

export interface EffectiveBlock {
  /** The snapshot of the lineage that last wrote this block. */
  snapshot: SnapshotRecord;
  digest: Buffer;
}

/** All endpoint resources, keyed by id; each carries the region it lives in. */
export class EndpointState {
  readonly snapshots = new Map<string, SnapshotRecord>();
  readonly images = new Map<string, ImageRecord>();
  /** StartSnapshot ClientToken → the request it first came with and the snapshot it made. */
  readonly startTokens = new Map<string, { fingerprint: string; snapshotId: string }>();
  readonly #tokenKey = randomBytes(32);

  constructor(
    readonly clock: EndpointClock,
    readonly delays: EndpointDelays,
    readonly ownerId: string,
    readonly store: BlockStore,
  ) {}

  /** EC2-style id: prefix, dash, 17 lower-case hex digits. */
  newId(prefix: 'snap' | 'ami' | 'vol'): string {
    return `${prefix}-${randomBytes(9).toString('hex').slice(0, 17)}`;
  }

  snapshotStatus(snapshot: SnapshotRecord): SnapshotStatus {
    const now = this.clock.now();
    if (snapshot.completeRequestedMs !== undefined) {
      return now >= snapshot.completeRequestedMs + this.delays.snapshotCompletionMs ? 'completed' : 'pending';
    }
    // StartSnapshot's Timeout cancels a pending snapshot that sees no write for that long.
    const lastActivityMs = snapshot.lastWriteMs ?? snapshot.startTimeMs;
    return now > lastActivityMs + snapshot.timeoutMinutes * 60_000 ? 'error' : 'pending';
  }

  /** Percent complete as DescribeSnapshots reports it. */
  snapshotProgress(snapshot: SnapshotRecord): string {
    const status = this.snapshotStatus(snapshot);
    if (status === 'completed') return '100%';
    if (snapshot.completeRequestedMs === undefined || this.delays.snapshotCompletionMs <= 0) return '0%';
    const elapsed = this.clock.now() - snapshot.completeRequestedMs;
    return `${Math.min(99, Math.floor((99 * elapsed) / this.delays.snapshotCompletionMs))}%`;
  }

  imageState(image: ImageRecord): 'pending' | 'available' {
    return this.clock.now() >= image.creationMs + this.delays.imageAvailableMs ? 'available' : 'pending';
  }

  /** A live (not deleted) snapshot in `region`, or undefined. */
  findSnapshot(snapshotId: string, region: string): SnapshotRecord | undefined {
    const snapshot = this.snapshots.get(snapshotId);
    return snapshot && !snapshot.isDeleted && snapshot.region === region ? snapshot : undefined;
  }

  findImage(imageId: string, region: string): ImageRecord | undefined {
    const image = this.images.get(imageId);
    return image && !image.isDeregistered && image.region === region ? image : undefined;
  }

  /** The snapshot and its ancestors, nearest first (deleted ancestors still lend their blocks). */
  lineage(snapshot: SnapshotRecord): SnapshotRecord[] {
    const chain = [snapshot];
    let parentId = snapshot.parentSnapshotId;
    while (parentId) {
      const parent = this.snapshots.get(parentId);
      if (!parent) break;
      chain.push(parent);
      parentId = parent.parentSnapshotId;
    }
    return chain;
  }

  /** Every block readable from the snapshot: its own writes over those inherited from its parents. */
  effectiveBlocks(snapshot: SnapshotRecord): Map<number, EffectiveBlock> {
    const blocks = new Map<number, EffectiveBlock>();
    for (const member of this.lineage(snapshot)) {
      for (const [blockIndex, digest] of member.ownBlocks) {
        if (!blocks.has(blockIndex)) blocks.set(blockIndex, { snapshot: member, digest });
      }
    }
    return blocks;
  }

  /** An opaque, tamper-evident token (block and page tokens), base64 as the EBS model's pattern wants. */
  sealToken(payload: object): string {
    const body = Buffer.from(JSON.stringify(payload)).toString('base64');
    const mac = createHmac('sha256', this.#tokenKey).update(body).digest('base64').slice(0, 22);
    return `${body}${mac}`;
  }

  openToken<T>(token: string): T | undefined {
    if (token.length <= 22) return undefined;
    const body = token.slice(0, -22);
    const mac = createHmac('sha256', this.#tokenKey).update(body).digest('base64').slice(0, 22);
    if (mac !== token.slice(-22)) return undefined;
    try {
      return JSON.parse(Buffer.from(body, 'base64').toString('utf8')) as T;
    } catch {
      return undefined;
    }
  }
}
