// The EBS direct APIs over restJson1 (EBS direct API reference: StartSnapshot, PutSnapshotBlock,
// CompleteSnapshot, ListSnapshotBlocks, ListChangedBlocks, GetSnapshotBlock), as the SDK sends them.
import { createHash } from 'node:crypto';
import { bodySha256 } from './body-sha256.js';
import type { IncomingHttpHeaders } from 'node:http';
import { EBS_BLOCK_SIZE_BYTES } from './block-store.js';
import type { EndpointState, SnapshotRecord, Tag } from './endpoint-state.js';

export type EbsOperation =
  | 'StartSnapshot'
  | 'PutSnapshotBlock'
  | 'CompleteSnapshot'
  | 'ListSnapshotBlocks'
  | 'ListChangedBlocks'
  | 'GetSnapshotBlock';

export interface EbsRequest {
  operation: EbsOperation;
  /** Labels taken from the path: snapshot id and block index. */
  snapshotId: string;
  blockIndex: string | undefined;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: Buffer;
  region: string;
}

export interface ServiceResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

/** An EBS error as the service model names it: HTTP status, exception type, optional Reason. */
export class EbsError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
    readonly reason?: string,
  ) {
    super(message);
  }
}

const MAX_VOLUME_SIZE_GIB = 65536;
const BLOCKS_PER_GIB = (1024 * 1024 * 1024) / EBS_BLOCK_SIZE_BYTES;
const DEFAULT_TIMEOUT_MINUTES = 60;
const MAX_TAGS = 50;
// Block tokens stay valid 7 days and page tokens 60 minutes (ebsapi-faq).
const BLOCK_TOKEN_LIFETIME_MS = 7 * 24 * 3600_000;
const PAGE_TOKEN_LIFETIME_MS = 60 * 60_000;
const SNAPSHOT_ID_PATTERN = /^snap-[0-9a-f]+$/;
const KMS_KEY_ARN_PATTERN = /^arn:aws[\w-]*:kms:[\w-]+:\d{12}:key\/[\w-]+$/;

/** Maps an HTTP method and path to the EBS operation it is, or undefined for a non-EBS path. */
export function routeEbsRequest(
  method: string,
  path: string,
): { operation: EbsOperation; snapshotId: string; blockIndex: string | undefined } | undefined {
  const segments = path.split('/').slice(1).map(decodeURIComponent);
  if (segments[0] !== 'snapshots') return undefined;
  if (method === 'POST' && segments.length === 1) return { operation: 'StartSnapshot', snapshotId: '', blockIndex: undefined };
  if (method === 'POST' && segments.length === 3 && segments[1] === 'completion') {
    return { operation: 'CompleteSnapshot', snapshotId: segments[2] ?? '', blockIndex: undefined };
  }
  const snapshotId = segments[1] ?? '';
  if (segments.length === 3 && segments[2] === 'blocks' && method === 'GET') {
    return { operation: 'ListSnapshotBlocks', snapshotId, blockIndex: undefined };
  }
  if (segments.length === 3 && segments[2] === 'changedblocks' && method === 'GET') {
    return { operation: 'ListChangedBlocks', snapshotId, blockIndex: undefined };
  }
  if (segments.length === 4 && segments[2] === 'blocks') {
    if (method === 'PUT') return { operation: 'PutSnapshotBlock', snapshotId, blockIndex: segments[3] };
    if (method === 'GET') return { operation: 'GetSnapshotBlock', snapshotId, blockIndex: segments[3] };
  }
  return undefined;
}

/** Serves EBS direct requests against the shared endpoint state. */
export class EbsService {
  constructor(
    private readonly state: EndpointState,
    private readonly options: { encryptionByDefault: boolean },
  ) {}

  async handle(request: EbsRequest): Promise<ServiceResponse> {
    switch (request.operation) {
      case 'StartSnapshot':
        return this.startSnapshot(request);
      case 'PutSnapshotBlock':
        return this.putSnapshotBlock(request);
      case 'CompleteSnapshot':
        return this.completeSnapshot(request);
      case 'ListSnapshotBlocks':
        return this.listSnapshotBlocks(request);
      case 'ListChangedBlocks':
        return this.listChangedBlocks(request);
      case 'GetSnapshotBlock':
        return this.getSnapshotBlock(request);
    }
  }

  // --- StartSnapshot (API_StartSnapshot; ebs-direct-api-idempotency; ebsapis-using-encryption) ---
  private startSnapshot(request: EbsRequest): ServiceResponse {
    const input = parseJsonBody(request.body);
    const clientToken = optionalString(input, 'ClientToken');
    if (clientToken !== undefined) {
      const { ClientToken: _ignored, ...rest } = input;
      const fingerprint = canonicalJson(rest);
      const earlier = this.state.startTokens.get(clientToken);
      if (earlier) {
        if (earlier.fingerprint !== fingerprint) {
          throw new EbsError(409, 'ConflictException', 'The client token was already used with different request parameters');
        }
        const original = this.state.snapshots.get(earlier.snapshotId);
        if (original) return json(201, this.describeStarted(original));
      }
      const snapshot = this.createSnapshot(input, request.region);
      this.state.startTokens.set(clientToken, { fingerprint, snapshotId: snapshot.snapshotId });
      return json(201, this.describeStarted(snapshot));
    }
    return json(201, this.describeStarted(this.createSnapshot(input, request.region)));
  }

  private createSnapshot(input: Record<string, unknown>, region: string): SnapshotRecord {
    const volumeSizeGiB = input['VolumeSize'];
    if (typeof volumeSizeGiB !== 'number' || !Number.isInteger(volumeSizeGiB) || volumeSizeGiB < 1 || volumeSizeGiB > MAX_VOLUME_SIZE_GIB) {
      throw validation(`VolumeSize must be a whole number of GiB from 1 to ${MAX_VOLUME_SIZE_GIB}`, 'INVALID_VOLUME_SIZE');
    }
    const description = optionalString(input, 'Description');
    if (description !== undefined && description.length > 255) {
      throw validation('Description must be at most 255 characters', 'INVALID_PARAMETER_VALUE');
    }
    const timeoutMinutes = input['Timeout'] ?? DEFAULT_TIMEOUT_MINUTES;
    if (typeof timeoutMinutes !== 'number' || !Number.isInteger(timeoutMinutes) || timeoutMinutes < 10 || timeoutMinutes > 4320) {
      throw validation('Timeout must be from 10 to 4320 minutes', 'INVALID_PARAMETER_VALUE');
    }
    const tags = parseTags(input['Tags']);
    const askedEncrypted = input['Encrypted'] === true;
    const kmsKeyArnInput = optionalString(input, 'KmsKeyArn');
    const parentSnapshotId = optionalString(input, 'ParentSnapshotId');
    if (kmsKeyArnInput !== undefined && !KMS_KEY_ARN_PATTERN.test(kmsKeyArnInput)) {
      throw validation('KmsKeyArn is not a KMS key ARN', 'INVALID_CUSTOMER_KEY');
    }

    let isEncrypted = askedEncrypted || this.options.encryptionByDefault;
    let kmsKeyArn = kmsKeyArnInput;
    if (parentSnapshotId !== undefined) {
      // Encryption of an incremental snapshot follows its parent; asking for it as well is refused.
      if (input['Encrypted'] !== undefined) {
        throw validation('Encrypted cannot be combined with ParentSnapshotId', 'INVALID_PARAMETER_VALUE');
      }
      if (!SNAPSHOT_ID_PATTERN.test(parentSnapshotId)) throw validation('ParentSnapshotId is malformed', 'INVALID_SNAPSHOT_ID');
      const parent = this.state.findSnapshot(parentSnapshotId, region);
      if (!parent || this.state.snapshotStatus(parent) !== 'completed') {
        throw new EbsError(404, 'ResourceNotFoundException', `The parent snapshot ${parentSnapshotId} does not exist or is not completed`, 'SNAPSHOT_NOT_FOUND');
      }
      if (volumeSizeGiB < parent.volumeSizeGiB) {
        throw validation('VolumeSize cannot be smaller than the parent snapshot', 'INVALID_VOLUME_SIZE');
      }
      if (!parent.isEncrypted && (this.options.encryptionByDefault || kmsKeyArnInput !== undefined)) {
        throw validation('An unencrypted parent cannot produce an encrypted snapshot', 'INVALID_PARAMETER_VALUE');
      }
      isEncrypted = parent.isEncrypted;
      kmsKeyArn = kmsKeyArnInput ?? parent.kmsKeyArn;
    } else if (kmsKeyArnInput !== undefined && !isEncrypted) {
      throw validation('KmsKeyArn needs Encrypted set to true', 'INVALID_PARAMETER_VALUE');
    }
    if (isEncrypted && kmsKeyArn === undefined) kmsKeyArn = this.defaultKmsKeyArn(region);

    const snapshotId = this.state.newId('snap');
    const snapshot: SnapshotRecord = {
      snapshotId,
      region,
      ownerId: this.state.ownerId,
      volumeSizeGiB,
      description,
      tags,
      isEncrypted,
      kmsKeyArn,
      parentSnapshotId,
      timeoutMinutes,
      startTimeMs: this.state.clock.now(),
      lastWriteMs: undefined,
      completeRequestedMs: undefined,
      isDeleted: false,
      ownBlocks: new Map(),
      storageId: snapshotId,
    };
    this.state.snapshots.set(snapshotId, snapshot);
    return snapshot;
  }

  private defaultKmsKeyArn(region: string): string {
    // Stands for the account's aws/ebs managed key.
    return `arn:aws:kms:${region}:${this.state.ownerId}:key/00000000-0000-4000-8000-000000000000`;
  }

  private describeStarted(snapshot: SnapshotRecord): Record<string, unknown> {
    return dropUndefined({
      SnapshotId: snapshot.snapshotId,
      OwnerId: snapshot.ownerId,
      Status: this.state.snapshotStatus(snapshot),
      StartTime: snapshot.startTimeMs / 1000,
      VolumeSize: snapshot.volumeSizeGiB,
      BlockSize: EBS_BLOCK_SIZE_BYTES,
      Tags: snapshot.tags.length > 0 ? snapshot.tags.map((t) => ({ Key: t.key, Value: t.value })) : undefined,
      ParentSnapshotId: snapshot.parentSnapshotId,
      KmsKeyArn: snapshot.kmsKeyArn,
      Description: snapshot.description,
    });
  }

  // --- PutSnapshotBlock (API_PutSnapshotBlock; ebsapis-using-checksums) ---
  private async putSnapshotBlock(request: EbsRequest): Promise<ServiceResponse> {
    const snapshot = this.pendingSnapshot(request.snapshotId, request.region);
    const blockIndex = parseBlockIndex(request.blockIndex);
    if (blockIndex >= snapshot.volumeSizeGiB * BLOCKS_PER_GIB) {
      throw validation(`Block index ${blockIndex} is beyond the end of the ${snapshot.volumeSizeGiB} GiB volume`, 'INVALID_BLOCK');
    }
    const dataLength = header(request.headers, 'x-amz-data-length');
    if (dataLength !== String(EBS_BLOCK_SIZE_BYTES)) {
      throw validation(`DataLength must be ${EBS_BLOCK_SIZE_BYTES}`, 'INVALID_PARAMETER_VALUE');
    }
    if (request.body.length !== EBS_BLOCK_SIZE_BYTES) {
      throw validation(`The block data is ${request.body.length} bytes, not ${EBS_BLOCK_SIZE_BYTES}`, 'INVALID_PARAMETER_VALUE');
    }
    if (header(request.headers, 'x-amz-checksum-algorithm') !== 'SHA256') {
      throw validation('ChecksumAlgorithm must be SHA256', 'INVALID_PARAMETER_VALUE');
    }
    const progress = header(request.headers, 'x-amz-progress');
    if (progress !== undefined && !(/^\d+$/.test(progress) && Number(progress) <= 100)) {
      throw validation('Progress must be from 0 to 100', 'INVALID_PARAMETER_VALUE');
    }
    const digest = bodySha256(request.body);
    // The model has no checksum Reason: a mismatch is a ValidationException told apart by its message.
    if (header(request.headers, 'x-amz-checksum') !== digest.toString('base64')) {
      throw validation('The checksum of the block data does not match the x-amz-Checksum header');
    }
    await this.state.store.write(snapshot.storageId, blockIndex, request.body);
    snapshot.ownBlocks.set(blockIndex, digest);
    snapshot.lastWriteMs = this.state.clock.now();
    return {
      status: 201,
      headers: { 'x-amz-checksum': digest.toString('base64'), 'x-amz-checksum-algorithm': 'SHA256' },
      body: Buffer.alloc(0),
    };
  }

  // --- CompleteSnapshot (API_CompleteSnapshot; ebsapis-using-checksums "aggregated checksum") ---
  private completeSnapshot(request: EbsRequest): ServiceResponse {
    const snapshot = this.pendingSnapshot(request.snapshotId, request.region);
    const changedBlocksCount = header(request.headers, 'x-amz-changedblockscount');
    if (changedBlocksCount === undefined || !/^\d+$/.test(changedBlocksCount)) {
      throw validation('ChangedBlocksCount is required and must be a non-negative integer', 'INVALID_PARAMETER_VALUE');
    }
    if (Number(changedBlocksCount) !== snapshot.ownBlocks.size) {
      throw validation(`ChangedBlocksCount is ${changedBlocksCount} but ${snapshot.ownBlocks.size} blocks were written`, 'INVALID_PARAMETER_VALUE');
    }
    const checksum = header(request.headers, 'x-amz-checksum');
    if (checksum !== undefined) {
      if (header(request.headers, 'x-amz-checksum-algorithm') !== 'SHA256') {
        throw validation('ChecksumAlgorithm must be SHA256', 'INVALID_PARAMETER_VALUE');
      }
      if (header(request.headers, 'x-amz-checksum-aggregation-method') !== 'LINEAR') {
        throw validation('ChecksumAggregationMethod must be LINEAR', 'INVALID_PARAMETER_VALUE');
      }
      // LINEAR: SHA-256 over the raw per-block digests of the written blocks in ascending index order.
      const linear = createHash('sha256');
      for (const blockIndex of [...snapshot.ownBlocks.keys()].sort((a, b) => a - b)) {
        linear.update(snapshot.ownBlocks.get(blockIndex) as Buffer);
      }
      if (linear.digest('base64') !== checksum) {
        throw validation('The aggregated checksum does not match the checksum of the written blocks');
      }
    }
    snapshot.completeRequestedMs = this.state.clock.now();
    return json(202, { Status: this.state.snapshotStatus(snapshot) });
  }

  // --- ListSnapshotBlocks (API_ListSnapshotBlocks) ---
  private listSnapshotBlocks(request: EbsRequest): ServiceResponse {
    const snapshot = this.completedSnapshot(request.snapshotId, request.region);
    const page = this.pageWindow(request, snapshot.snapshotId);
    const blocks = [...this.state.effectiveBlocks(snapshot).keys()].sort((a, b) => a - b);
    const { items, nextToken } = this.takePage(blocks, page, snapshot.snapshotId);
    const expiryMs = this.state.clock.now() + BLOCK_TOKEN_LIFETIME_MS;
    return json(200, dropUndefined({
      Blocks: items.map((blockIndex) => ({ BlockIndex: blockIndex, BlockToken: this.blockToken(snapshot, blockIndex, expiryMs) })),
      ExpiryTime: expiryMs / 1000,
      VolumeSize: snapshot.volumeSizeGiB,
      BlockSize: EBS_BLOCK_SIZE_BYTES,
      NextToken: nextToken,
    }));
  }

  // --- ListChangedBlocks (API_ListChangedBlocks) ---
  private listChangedBlocks(request: EbsRequest): ServiceResponse {
    const second = this.completedSnapshot(request.snapshotId, request.region);
    const firstSnapshotId = request.query.get('firstSnapshotId') ?? undefined;
    const secondBlocks = this.state.effectiveBlocks(second);
    let first: SnapshotRecord | undefined;
    let firstBlocks = new Map<number, { snapshot: SnapshotRecord; digest: Buffer }>();
    if (firstSnapshotId !== undefined) {
      first = this.completedSnapshot(firstSnapshotId, request.region);
      // Only snapshots of one lineage can be compared: the first must be an ancestor of the second.
      if (!this.state.lineage(second).includes(first) || first === second) {
        throw validation('The two snapshots are not related by lineage', 'UNRELATED_SNAPSHOTS');
      }
      firstBlocks = this.state.effectiveBlocks(first);
    }
    const changed = [...secondBlocks.entries()]
      .filter(([blockIndex, block]) => firstBlocks.get(blockIndex)?.snapshot !== block.snapshot)
      .map(([blockIndex]) => blockIndex)
      .sort((a, b) => a - b);
    const page = this.pageWindow(request, second.snapshotId);
    const { items, nextToken } = this.takePage(changed, page, second.snapshotId);
    const expiryMs = this.state.clock.now() + BLOCK_TOKEN_LIFETIME_MS;
    return json(200, dropUndefined({
      ChangedBlocks: items.map((blockIndex) =>
        dropUndefined({
          BlockIndex: blockIndex,
          FirstBlockToken: first && firstBlocks.has(blockIndex) ? this.blockToken(first, blockIndex, expiryMs) : undefined,
          SecondBlockToken: this.blockToken(second, blockIndex, expiryMs),
        }),
      ),
      ExpiryTime: expiryMs / 1000,
      VolumeSize: second.volumeSizeGiB,
      BlockSize: EBS_BLOCK_SIZE_BYTES,
      NextToken: nextToken,
    }));
  }

  // --- GetSnapshotBlock (API_GetSnapshotBlock) ---
  private async getSnapshotBlock(request: EbsRequest): Promise<ServiceResponse> {
    const snapshot = this.completedSnapshot(request.snapshotId, request.region);
    const blockIndex = parseBlockIndex(request.blockIndex);
    const token = request.query.get('blockToken') ?? '';
    const claims = this.state.openToken<{ kind: string; s: string; i: number; x: number }>(token);
    if (!claims || claims.kind !== 'block' || claims.s !== snapshot.snapshotId || claims.i !== blockIndex || claims.x < this.state.clock.now()) {
      throw validation('The block token is not valid for this snapshot and block index', 'INVALID_BLOCK_TOKEN');
    }
    const block = this.state.effectiveBlocks(snapshot).get(blockIndex);
    if (!block) throw validation('The block token is not valid for this snapshot and block index', 'INVALID_BLOCK_TOKEN');
    const data = await this.state.store.read(block.snapshot.storageId, blockIndex);
    return {
      status: 200,
      headers: {
        'content-type': 'application/octet-stream',
        'x-amz-data-length': String(data.length),
        'x-amz-checksum': block.digest.toString('base64'),
        'x-amz-checksum-algorithm': 'SHA256',
      },
      body: data,
    };
  }

  // --- shared checks ---

  private lookup(snapshotId: string, region: string): SnapshotRecord {
    if (!SNAPSHOT_ID_PATTERN.test(snapshotId)) throw validation(`The snapshot id ${snapshotId} is malformed`, 'INVALID_SNAPSHOT_ID');
    const snapshot = this.state.findSnapshot(snapshotId, region);
    if (!snapshot) throw snapshotNotFound(snapshotId);
    return snapshot;
  }

  private pendingSnapshot(snapshotId: string, region: string): SnapshotRecord {
    const snapshot = this.lookup(snapshotId, region);
    const status = this.state.snapshotStatus(snapshot);
    if (status === 'error') {
      throw validation(`The snapshot ${snapshotId} timed out before it was completed`, 'WRITE_REQUEST_TIMEOUT');
    }
    if (status !== 'pending' || snapshot.completeRequestedMs !== undefined) {
      throw validation(`The snapshot ${snapshotId} is no longer pending`, 'INVALID_SNAPSHOT_ID');
    }
    return snapshot;
  }

  // The read APIs see only completed snapshots; before that the snapshot "does not exist" for them.
  private completedSnapshot(snapshotId: string, region: string): SnapshotRecord {
    const snapshot = this.lookup(snapshotId, region);
    if (this.state.snapshotStatus(snapshot) !== 'completed') throw snapshotNotFound(snapshotId);
    return snapshot;
  }

  private pageWindow(request: EbsRequest, snapshotId: string): { startIndex: number; maxResults: number } {
    const maxText = request.query.get('maxResults');
    const maxResults = maxText === null ? 10000 : Number(maxText);
    if (!Number.isInteger(maxResults) || maxResults < 100 || maxResults > 10000) {
      throw validation('MaxResults must be from 100 to 10000', 'INVALID_PARAMETER_VALUE');
    }
    const pageToken = request.query.get('pageToken');
    if (pageToken !== null) {
      // NextToken wins over StartingBlockIndex.
      const claims = this.state.openToken<{ kind: string; s: string; n: number; x: number }>(pageToken);
      if (!claims || claims.kind !== 'page' || claims.s !== snapshotId || claims.x < this.state.clock.now()) {
        throw validation('The page token is not valid', 'INVALID_PAGE_TOKEN');
      }
      return { startIndex: claims.n, maxResults };
    }
    const startText = request.query.get('startingBlockIndex');
    const startIndex = startText === null ? 0 : Number(startText);
    if (!Number.isInteger(startIndex) || startIndex < 0) throw validation('StartingBlockIndex must be >= 0', 'INVALID_PARAMETER_VALUE');
    return { startIndex, maxResults };
  }

  private takePage(sortedIndexes: number[], page: { startIndex: number; maxResults: number }, snapshotId: string) {
    const from = sortedIndexes.filter((blockIndex) => blockIndex >= page.startIndex);
    const items = from.slice(0, page.maxResults);
    const next = from[page.maxResults];
    const nextToken =
      next === undefined ? undefined : this.state.sealToken({ kind: 'page', s: snapshotId, n: next, x: this.state.clock.now() + PAGE_TOKEN_LIFETIME_MS });
    return { items, nextToken };
  }

  private blockToken(snapshot: SnapshotRecord, blockIndex: number, expiryMs: number): string {
    return this.state.sealToken({ kind: 'block', s: snapshot.snapshotId, i: blockIndex, x: expiryMs });
  }
}

function validation(message: string, reason?: string): EbsError {
  return new EbsError(400, 'ValidationException', message, reason);
}

function snapshotNotFound(snapshotId: string): EbsError {
  return new EbsError(404, 'ResourceNotFoundException', `The snapshot ${snapshotId} does not exist`, 'SNAPSHOT_NOT_FOUND');
}

function parseBlockIndex(text: string | undefined): number {
  const blockIndex = Number(text);
  if (text === undefined || !/^\d+$/.test(text) || !Number.isSafeInteger(blockIndex)) {
    throw validation(`Block index ${text} is not a non-negative integer`, 'INVALID_BLOCK');
  }
  return blockIndex;
}

function parseTags(value: unknown): Tag[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.length > MAX_TAGS) throw validation(`At most ${MAX_TAGS} tags are allowed`, 'INVALID_TAG');
  return value.map((raw: unknown) => {
    const tag = (raw ?? {}) as Record<string, unknown>;
    const key = tag['Key'];
    const tagValue = tag['Value'] ?? '';
    if (typeof key !== 'string' || key.length < 1 || key.length > 127 || key.toLowerCase().startsWith('aws:')) {
      throw validation('Tag keys are 1 to 127 characters and may not start with aws:', 'INVALID_TAG');
    }
    if (typeof tagValue !== 'string' || tagValue.length > 255) throw validation('Tag values are at most 255 characters', 'INVALID_TAG');
    return { key, value: tagValue };
  });
}

function parseJsonBody(body: Buffer): Record<string, unknown> {
  if (body.length === 0) return {};
  try {
    const parsed: unknown = JSON.parse(body.toString('utf8'));
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
  } catch {
    // fall through to the validation error
  }
  throw validation('The request body is not a JSON object', 'INVALID_PARAMETER_VALUE');
}

function optionalString(input: Record<string, unknown>, name: string): string | undefined {
  const value = input[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw validation(`${name} must be a string`, 'INVALID_PARAMETER_VALUE');
  return value;
}

// Two StartSnapshot requests are "the same" when their parameters are equal regardless of key order.
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

function json(status: number, payload: Record<string, unknown>): ServiceResponse {
  return { status, headers: { 'content-type': 'application/json' }, body: Buffer.from(JSON.stringify(payload)) };
}

function dropUndefined(record: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(record).filter(([, v]) => v !== undefined));
}
