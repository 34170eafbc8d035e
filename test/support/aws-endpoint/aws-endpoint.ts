// A local AWS endpoint for the test suite: one node:http server on 127.0.0.1 that checks SigV4 and
// speaks the EBS direct (restJson1) and EC2 (query/XML) protocols, with faults switchable per test.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { BlockStore, EBS_BLOCK_SIZE_BYTES, type BlockStoreKind } from './block-store.js';
import { rememberBodySha256 } from './body-sha256.js';
import { EbsError, EbsService, routeEbsRequest, type ServiceResponse } from './ebs-service.js';
import { Ec2Error, Ec2Service, ec2ErrorXml } from './ec2-service.js';
import { EndpointState, type EndpointDelays, type SnapshotRecord } from './endpoint-state.js';
import { FaultInjector } from './fault-injector.js';
import { REAL_CLOCK, type EndpointClock } from './manual-clock.js';
import { verifySigV4, type SigV4Credentials, type SigV4Failure } from './sigv4-verifier.js';

export interface AwsEndpointOptions {
  /** The region clients sign for by default (default us-east-1); any region signed for is served. */
  region?: string;
  /** 'disk' (default): blocks in sparse files under a mkdtemp directory; 'memory': in a Map; 'discard': checked, then dropped (benchmarks). */
  storage?: BlockStoreKind;
  /** Drives every delay; pass a ManualClock to move time by hand (default: the real clock). */
  clock?: EndpointClock;
  delays?: Partial<EndpointDelays>;
  /** The 12-digit account id that owns everything created (default 123456789012). */
  ownerId?: string;
  /** Models an account with EBS encryption by default: every new snapshot is encrypted. */
  encryptionByDefault?: boolean;
  /** Seed of the generator behind rate-based faults and nothing else (default 1). */
  seed?: number;
  /** Reject requests whose X-Amz-Date is more than 15 minutes from the endpoint clock (default false). */
  checkClockSkew?: boolean;
}

export interface AwsEndpoint {
  /** Base URL of the server; EBS and EC2 share it, told apart by path and body. */
  readonly url: string;
  /** What to put in AWS_ENDPOINT_URL_EBS. */
  readonly ebsUrl: string;
  /** What to put in AWS_ENDPOINT_URL_EC2. */
  readonly ec2Url: string;
  readonly region: string;
  readonly ownerId: string;
  /** The only credentials the endpoint accepts. */
  readonly credentials: SigV4Credentials;
  readonly faults: FaultInjector;
  readonly clock: EndpointClock;
  /** Mutable: tests may change the delays between requests. */
  readonly delays: EndpointDelays;
  /** The directory holding the sparse block files (undefined with storage 'memory'). */
  readonly storageDirectory: string | undefined;
  /** Every request seen, in order (operation name and HTTP status answered). */
  readonly requestLog: ReadonlyArray<{ operation: string; status: number }>;
  /**
   * What an instance would read from block `blockIndex` of a volume created from the snapshot: the
   * written data, zeros for an unwritten block of an unencrypted snapshot, and random bytes for an
   * unwritten block of an encrypted one (there is no EBS direct call for unwritten blocks).
   */
  readVolumeBlock(snapshotId: string, blockIndex: number): Promise<Buffer>;
  /** Environment for a child process (the CLI) to reach this endpoint through the SDK's standard chain. */
  environment(): Record<string, string>;
  stop(): Promise<void>;
}

const DEFAULT_CREDENTIALS: SigV4Credentials = {
  accessKeyId: 'AKIAAMIKITLOCALTEST0',
  secretAccessKey: 'amikit-local-endpoint-secret-access-key',
};
// PutSnapshotBlock bodies are 512 KiB; anything much larger is not a request these APIs take.
const MAX_BODY_BYTES = 4 * 1024 * 1024;
/** Recycled block-body buffers kept between requests (more than a client keeps in flight is waste). */
const MAX_POOLED_BODIES = 512;

/**
 * Starts the endpoint on 127.0.0.1 with an ephemeral port.
 * @example
 *   const aws = await startAwsEndpoint({ clock: new ManualClock() });
 *   onTestFinished(() => aws.stop());
 *   const { ebs, ec2 } = createAwsClients(aws);
 */
export async function startAwsEndpoint(options: AwsEndpointOptions = {}): Promise<AwsEndpoint> {
  const region = options.region ?? 'us-east-1';
  const ownerId = options.ownerId ?? '123456789012';
  const clock = options.clock ?? REAL_CLOCK;
  const delays: EndpointDelays = { snapshotCompletionMs: 0, imageAvailableMs: 0, ...options.delays };
  const store = await BlockStore.create(options.storage ?? 'disk');
  const state = new EndpointState(clock, delays, ownerId, store);
  const faults = new FaultInjector(clock, options.seed ?? 1);
  const ebs = new EbsService(state, { encryptionByDefault: options.encryptionByDefault ?? false });
  const ec2 = new Ec2Service(state);
  const credentials = { ...DEFAULT_CREDENTIALS };
  const requestLog: Array<{ operation: string; status: number }> = [];

  const server = createServer((req, res) => {
    void serve(req, res).catch((error: unknown) => {
      // A bug in the endpoint itself: answer 500 so the test sees it rather than hanging.
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(String(error instanceof Error ? error.stack : error));
    });
  });

  // Block bodies are read into recycled buffers when the store does not keep them: a fresh 512 KiB
  // per request made the endpoint spend its time faulting in new pages and collecting them.
  const bodyPool: Buffer[] = [];

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const blockSized = req.headers['content-length'] === String(EBS_BLOCK_SIZE_BYTES);
    if (blockSized && !store.keepsBytes) {
      // Nothing keeps the bytes: hash them as they arrive instead of gathering them. Every check sees the
      // real digest and length; the body's bytes stand in as zeros, which nothing reads.
      const digest = await readBodyDigest(req, EBS_BLOCK_SIZE_BYTES);
      if (digest === undefined) return void req.socket.destroy();
      const body = DISCARDED_BODY.subarray(0, EBS_BLOCK_SIZE_BYTES); // a Buffer object of its own
      rememberBodySha256(body, digest);
      return handleRequest(req, res, body);
    }
    const recycle = !store.keepsBuffers && blockSized;
    const body = await readBody(req, recycle ? (bodyPool.pop() ?? Buffer.allocUnsafeSlow(EBS_BLOCK_SIZE_BYTES)) : undefined);
    if (body === undefined) return void req.socket.destroy();
    try {
      await handleRequest(req, res, body);
    } finally {
      if (recycle && bodyPool.length < MAX_POOLED_BODIES) bodyPool.push(body);
    }
  }

  async function handleRequest(req: IncomingMessage, res: ServerResponse, body: Buffer): Promise<void> {
    const url = req.url ?? '/';
    const path = url.split('?')[0] ?? '/';
    const query = new URLSearchParams(url.includes('?') ? url.slice(url.indexOf('?') + 1) : '');
    const route = routeEbsRequest(req.method ?? 'GET', path);
    const service = route ? 'ebs' : 'ec2';
    const ec2Params = route ? undefined : new URLSearchParams(req.method === 'POST' ? body.toString('utf8') : query.toString());
    const operation = route ? route.operation : (ec2Params?.get('Action') ?? 'MissingAction');
    const answer = (response: ServiceResponse) => {
      requestLog.push({ operation, status: response.status });
      res.writeHead(response.status, { ...response.headers, 'content-length': String(response.body.length), ...requestIdHeader(service) });
      res.end(response.body);
    };

    const verdict = verifySigV4(
      { method: req.method ?? 'GET', url, headers: req.headers, body },
      [credentials],
      options.checkClockSkew ? clock.now() : undefined,
    );
    if (!verdict.ok) return answer(authFailure(service, verdict.failure));
    if (verdict.scope.service !== service) {
      return answer(authFailure(service, { kind: 'mismatch', message: `Credential should be scoped to service '${service}'` }));
    }
    const requestRegion = verdict.scope.region;

    const latencyMs = faults.latencyFor(operation);
    if (latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, latencyMs));
    const decision = faults.decide(operation, route?.snapshotId);
    if (decision.kind === 'reset') {
      requestLog.push({ operation, status: 0 });
      return resetMidBody(res, operation);
    }
    if (decision.kind === 'throttle') return answer(throttled(service, decision.reason));
    if (decision.kind === 'server-error') return answer(serverError(service, decision.status));
    if (decision.kind === 'access-denied') return answer(accessDenied(service, operation));

    try {
      if (route) {
        if (route.operation === 'PutSnapshotBlock') checkNotFoundWindow(route.snapshotId);
        return answer(await ebs.handle({ ...route, query, headers: req.headers, body, region: requestRegion }));
      }
      return answer(await ec2.handle(operation, ec2Params ?? new URLSearchParams(), requestRegion));
    } catch (error) {
      if (error instanceof EbsError) return answer(ebsErrorResponse(error));
      if (error instanceof Ec2Error) return answer(ec2ErrorResponse(error));
      throw error;
    }
  }

  // Right after StartSnapshot the new snapshot may not be visible to PutSnapshotBlock yet (coldsnap #43).
  function checkNotFoundWindow(snapshotId: string): void {
    const snapshot = state.snapshots.get(snapshotId);
    if (snapshot && clock.now() < snapshot.startTimeMs + faults.snapshotNotFoundWindowMs) {
      faults.injected.notFound++;
      throw new EbsError(404, 'ResourceNotFoundException', `The snapshot ${snapshotId} does not exist`, 'SNAPSHOT_NOT_FOUND');
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const baseUrl = `http://127.0.0.1:${port}`;

  return {
    url: baseUrl,
    ebsUrl: baseUrl,
    ec2Url: baseUrl,
    region,
    ownerId,
    credentials,
    faults,
    clock,
    delays,
    storageDirectory: store.directory,
    requestLog,
    async readVolumeBlock(snapshotId: string, blockIndex: number): Promise<Buffer> {
      const snapshot = state.snapshots.get(snapshotId);
      if (!snapshot) throw new Error(`no snapshot ${snapshotId} on this endpoint`);
      return readVolumeBlock(state, snapshot, blockIndex);
    },
    environment: () => ({
      AWS_ENDPOINT_URL_EBS: baseUrl,
      AWS_ENDPOINT_URL_EC2: baseUrl,
      AWS_REGION: region,
      AWS_ACCESS_KEY_ID: credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    }),
    async stop(): Promise<void> {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await store.close();
    },
  };
}

async function readVolumeBlock(state: EndpointState, snapshot: SnapshotRecord, blockIndex: number): Promise<Buffer> {
  const block = state.effectiveBlocks(snapshot).get(blockIndex);
  if (block) return state.store.read(block.snapshot.storageId, blockIndex);
  // Unwritten blocks of an encrypted snapshot decrypt to noise (coldsnap #395).
  return snapshot.isEncrypted ? randomBytes(EBS_BLOCK_SIZE_BYTES) : Buffer.alloc(EBS_BLOCK_SIZE_BYTES);
}

/** Zeros standing in for block bodies whose bytes were hashed, not kept (see serve). */
const DISCARDED_BODY = Buffer.alloc(EBS_BLOCK_SIZE_BYTES);

/** SHA-256 of a body of exactly `lengthBytes`, hashed chunk by chunk; undefined for any other length. */
function readBodyDigest(req: IncomingMessage, lengthBytes: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    let sizeBytes = 0;
    req.on('data', (chunk: Buffer) => {
      sizeBytes += chunk.length;
      if (sizeBytes > lengthBytes) return resolve(undefined);
      hash.update(chunk);
    });
    req.on('end', () => resolve(sizeBytes === lengthBytes ? hash.digest() : undefined));
    req.on('error', reject);
  });
}

/** The request body; into `into` (exactly Content-Length bytes long) when given, else a new buffer. */
function readBody(req: IncomingMessage, into?: Buffer): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    // A declared length gets one buffer filled in place (no concatenation pass over 512 KiB bodies).
    const declared = Number(req.headers['content-length']);
    const exact = into ?? (Number.isSafeInteger(declared) && declared >= 0 && declared <= MAX_BODY_BYTES ? Buffer.allocUnsafe(declared) : undefined);
    const chunks: Buffer[] = [];
    let sizeBytes = 0;
    req.on('data', (chunk: Buffer) => {
      if (sizeBytes + chunk.length > (exact ? exact.length : MAX_BODY_BYTES)) return resolve(undefined);
      if (exact) chunk.copy(exact, sizeBytes);
      else chunks.push(chunk);
      sizeBytes += chunk.length;
    });
    req.on('end', () => resolve(exact ? exact.subarray(0, sizeBytes) : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function requestIdHeader(service: 'ebs' | 'ec2'): Record<string, string> {
  return service === 'ebs' ? { 'x-amzn-requestid': randomUUID() } : {};
}

// The connection dies part-way through the answer: a block read gets half its bytes, others a truncated body.
function resetMidBody(res: ServerResponse, operation: string): void {
  const promisedBytes = operation === 'GetSnapshotBlock' ? EBS_BLOCK_SIZE_BYTES : 256;
  res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(promisedBytes) });
  res.write(Buffer.alloc(promisedBytes / 2), () => res.socket?.destroy());
}

function ebsErrorResponse(error: EbsError): ServiceResponse {
  const payload: Record<string, string> = { Message: error.message };
  if (error.reason) payload['Reason'] = error.reason;
  return {
    status: error.status,
    headers: { 'content-type': 'application/json', 'x-amzn-errortype': error.type },
    body: Buffer.from(JSON.stringify(payload)),
  };
}

function ec2ErrorResponse(error: Ec2Error): ServiceResponse {
  return { status: error.status, headers: { 'content-type': 'text/xml;charset=UTF-8' }, body: Buffer.from(ec2ErrorXml(error)) };
}

// EBS sits behind a front end that answers auth failures with these exception types; EC2 uses its codes.
function authFailure(service: 'ebs' | 'ec2', failure: SigV4Failure): ServiceResponse {
  if (service === 'ebs') {
    const type =
      failure.kind === 'unknown-key'
        ? 'UnrecognizedClientException'
        : failure.kind === 'missing'
          ? 'MissingAuthenticationTokenException'
          : failure.kind === 'malformed'
            ? 'IncompleteSignatureException'
            : 'InvalidSignatureException';
    return ebsErrorResponse(new EbsError(403, type, failure.message));
  }
  const code =
    failure.kind === 'unknown-key'
      ? 'AuthFailure'
      : failure.kind === 'missing'
        ? 'MissingAuthenticationToken'
        : failure.kind === 'malformed'
          ? 'IncompleteSignature'
          : 'SignatureDoesNotMatch';
  return ec2ErrorResponse(new Ec2Error(failure.kind === 'unknown-key' ? 401 : 403, code, failure.message));
}

function throttled(service: 'ebs' | 'ec2', reason: 'ACCOUNT_THROTTLED' | 'RESOURCE_LEVEL_THROTTLE'): ServiceResponse {
  if (service === 'ebs') return ebsErrorResponse(new EbsError(400, 'RequestThrottledException', 'Request rate exceeded', reason));
  return ec2ErrorResponse(new Ec2Error(503, 'RequestLimitExceeded', 'Request limit exceeded.'));
}

// What an IAM policy denying the action looks like (EBS AccessDeniedException Reason UNAUTHORIZED_ACCOUNT).
function accessDenied(service: 'ebs' | 'ec2', operation: string): ServiceResponse {
  const message = `User is not authorized to perform: ${service}:${operation}`;
  if (service === 'ebs') return ebsErrorResponse(new EbsError(403, 'AccessDeniedException', message, 'UNAUTHORIZED_ACCOUNT'));
  return ec2ErrorResponse(new Ec2Error(403, 'UnauthorizedOperation', `You are not authorized to perform this operation. ${message}`));
}

function serverError(service: 'ebs' | 'ec2', status: 500 | 503): ServiceResponse {
  if (service === 'ebs') {
    const type = status === 500 ? 'InternalServerException' : 'ServiceUnavailableException';
    return ebsErrorResponse(new EbsError(status, type, 'The service encountered an internal error, try again'));
  }
  return ec2ErrorResponse(new Ec2Error(status, status === 500 ? 'InternalError' : 'Unavailable', 'The server is temporarily unable to handle the request'));
}
