// PutSnapshotBlock straight over node:http(s): the one call an upload makes thousands of times. The
// SDK's generic path (middleware stack, schema serialisation, endpoint rules, retry scaffolding) costs
// about 1.5 ms of CPU per block, more than hashing the block; this path signs with the SDK's own SigV4
// signer and sends the block from where it lies. Everything else (StartSnapshot, CompleteSnapshot,
// EC2) stays on the SDK, which also resolves the endpoint, region and credentials used here.
import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type { EBSClient } from '@aws-sdk/client-ebs';
import { SignatureV4 } from '@smithy/signature-v4';
import { AmikitError } from '../../shared/errors.js';
import { EBS_BLOCK_SIZE_BYTES } from '../../shared/units.js';

/** Where EBS direct answers, as the SDK resolved it for StartSnapshot. */
export interface EbsEndpoint {
  protocol: 'http:' | 'https:';
  hostname: string;
  port: number | undefined;
  /** Path prefix of a custom endpoint URL ('' for AWS's own). */
  basePath: string;
}

export interface HttpSettings {
  /** Milliseconds from sending to the last response byte (default 30 s). */
  requestTimeoutMs: number;
  /** Milliseconds to establish a connection (default 5 s). */
  connectionTimeoutMs: number;
  /** Sockets kept for this snapshot's blocks. */
  maxSockets: number;
}

export interface PutBlockRequest {
  snapshotId: string;
  blockIndex: number;
  /** Exactly EBS_BLOCK_SIZE_BYTES. */
  data: Buffer;
  sha256: Buffer;
  /** 0–100, the x-amz-progress hint. */
  progressPercent: number;
  signal?: AbortSignal;
}

/** The error shape src/aws/retry.ts classifies, as the SDK would have thrown it. */
export class EbsServiceError extends Error {
  readonly Reason: string | undefined;
  readonly $metadata: { httpStatusCode: number; requestId: string | undefined };
  readonly $fault: 'client' | 'server';

  constructor(name: string, message: string, httpStatusCode: number, reason: string | undefined, requestId: string | undefined) {
    super(message);
    this.name = name;
    this.Reason = reason;
    this.$metadata = { httpStatusCode, requestId };
    this.$fault = httpStatusCode >= 500 ? 'server' : 'client';
  }
}

/** A request that took longer than HttpSettings allow; retried as a network failure. */
class RequestTimeoutError extends Error {
  override readonly name = 'TimeoutError';
}

/**
 * Sends PutSnapshotBlock requests for one upload over its own keep-alive sockets; close() frees them.
 * @example
 *   const writer = new SnapshotBlockWriter(ebs, endpoint, settings);
 *   await writer.put({ snapshotId, blockIndex: 0, data, sha256, progressPercent: 0 }); writer.close();
 */
export class SnapshotBlockWriter {
  readonly #endpoint: EbsEndpoint;
  readonly #settings: HttpSettings;
  readonly #signer: SignatureV4;
  readonly #agent: http.Agent;
  readonly #transport: typeof http | typeof https;
  readonly #host: string;
  readonly #userAgent: string;
  readonly #config: { systemClockOffset?: number };

  constructor(ebs: EBSClient, endpoint: EbsEndpoint, settings: HttpSettings) {
    this.#endpoint = endpoint;
    this.#settings = settings;
    // The client's own providers: the same credential chain (and its refreshing) and signing region.
    this.#signer = new SignatureV4({ service: 'ebs', region: ebs.config.region, credentials: ebs.config.credentials, sha256: NodeSha256, uriEscapePath: true, applyChecksum: false });
    this.#transport = endpoint.protocol === 'https:' ? https : http;
    this.#agent = new this.#transport.Agent({ keepAlive: true, maxSockets: settings.maxSockets });
    const defaultPort = endpoint.protocol === 'https:' ? 443 : 80;
    this.#host = endpoint.port === undefined || endpoint.port === defaultPort ? endpoint.hostname : `${endpoint.hostname}:${endpoint.port}`;
    this.#userAgent = `amikit (node ${process.version})`;
    this.#config = ebs.config;
  }

  /** One PutSnapshotBlock attempt; rejects with an error retry.ts can classify. */
  async put(request: PutBlockRequest): Promise<void> {
    const checksum = request.sha256.toString('base64');
    const path = `${this.#endpoint.basePath}/snapshots/${encodeURIComponent(request.snapshotId)}/blocks/${request.blockIndex}`;
    // The SDK corrects its clock from the service's answers when the local one is off (a skewed CI
    // runner); signing with the same offset keeps the blocks from failing where StartSnapshot passed.
    const signingDate = new Date(Date.now() + (this.#config.systemClockOffset ?? 0));
    const unsigned = {
      method: 'PUT',
      protocol: this.#endpoint.protocol,
      hostname: this.#endpoint.hostname,
      ...(this.#endpoint.port !== undefined ? { port: this.#endpoint.port } : {}),
      path,
      query: {},
      headers: {
        host: this.#host,
        'content-type': 'application/octet-stream',
        'content-length': String(EBS_BLOCK_SIZE_BYTES),
        'x-amz-data-length': String(EBS_BLOCK_SIZE_BYTES),
        'x-amz-checksum': checksum,
        'x-amz-checksum-algorithm': 'SHA256',
        'x-amz-progress': String(request.progressPercent),
        // The payload hash SigV4 signs is the block's SHA-256, already known: the signer never reads the body.
        'x-amz-content-sha256': request.sha256.toString('hex'),
      },
    };
    const signed = await this.#signer.sign(unsigned, { signingDate });
    // The user agent is not signed (as the SDK leaves it): proxies may rewrite it.
    const headers = { ...signed.headers, 'user-agent': this.#userAgent };
    const answer = await this.#send(path, headers, request.data, request.signal);
    if (answer.status === 201 || answer.status === 200) {
      const echoed = answer.headers['x-amz-checksum'];
      if (typeof echoed === 'string' && echoed !== checksum) {
        throw new AmikitError('AWS', `PutSnapshotBlock (snapshot ${request.snapshotId}, block ${request.blockIndex}) stored a block whose checksum ${echoed} is not the one sent (${checksum})`, {
          data: { snapshotId: request.snapshotId, blockIndex: request.blockIndex },
        });
      }
      return;
    }
    throw serviceError(answer);
  }

  /** Closes the sockets so the process can exit. */
  close(): void {
    this.#agent.destroy();
  }

  #send(path: string, headers: Record<string, string>, body: Buffer, signal: AbortSignal | undefined): Promise<HttpAnswer> {
    const { protocol, hostname, port } = this.#endpoint;
    return new Promise<HttpAnswer>((resolve, reject) => {
      const request = this.#transport.request({ protocol, hostname, ...(port !== undefined ? { port } : {}), method: 'PUT', path, headers, agent: this.#agent, ...(signal ? { signal } : {}) });
      let connectTimer: NodeJS.Timeout | undefined;
      const requestTimer = setTimeout(() => request.destroy(new RequestTimeoutError(`no answer within ${this.#settings.requestTimeoutMs} ms`)), this.#settings.requestTimeoutMs);
      const done = () => {
        clearTimeout(requestTimer);
        if (connectTimer) clearTimeout(connectTimer);
      };
      request.on('socket', (socket) => {
        if (!socket.connecting) return;
        connectTimer = setTimeout(() => request.destroy(new RequestTimeoutError(`no connection within ${this.#settings.connectionTimeoutMs} ms`)), this.#settings.connectionTimeoutMs);
        socket.once('connect', () => clearTimeout(connectTimer));
      });
      request.on('error', (error) => {
        done();
        reject(error);
      });
      request.on('response', (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', (error) => {
          done();
          reject(error);
        });
        response.on('end', () => {
          done();
          resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks) });
        });
        // A body cut short by a reset closes without 'end' (settling twice is a no-op).
        response.on('close', () => {
          done();
          if (!response.complete) reject(Object.assign(new Error('aborted: the connection closed mid-response'), { code: 'ECONNRESET' }));
        });
      });
      request.end(body);
    });
  }
}

interface HttpAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** An EBS REST-JSON error answer as the error the SDK would throw (name = error type, Reason, status). */
function serviceError(answer: HttpAnswer): Error {
  let payload: Record<string, unknown> = {};
  try {
    const parsed: unknown = answer.body.length > 0 ? JSON.parse(answer.body.toString('utf8')) : {};
    if (parsed && typeof parsed === 'object') payload = parsed as Record<string, unknown>;
  } catch {
    // A gateway's HTML page or a truncated body: the status still says what kind of failure it is.
  }
  const header = answer.headers['x-amzn-errortype'];
  const typeText = (typeof header === 'string' ? header : undefined) ?? (typeof payload['__type'] === 'string' ? payload['__type'] : undefined) ?? (typeof payload['code'] === 'string' ? payload['code'] : undefined);
  // "ValidationException:http://internal.amazon.com/…" and "aws.ebs#ValidationException" both name the type.
  const name = typeText ? typeText.split(':')[0]!.split('#').pop()! : `HTTP${answer.status}`;
  const messageField = payload['message'] ?? payload['Message'];
  const message = typeof messageField === 'string' ? messageField : `HTTP ${answer.status}`;
  const reason = typeof payload['Reason'] === 'string' ? payload['Reason'] : undefined;
  const requestId = answer.headers['x-amzn-requestid'];
  return new EbsServiceError(name, message, answer.status, reason, typeof requestId === 'string' ? requestId : undefined);
}

/** SigV4's hash and HMAC on node:crypto (the signer's Checksum interface). */
class NodeSha256 {
  readonly #hash: Hash | Hmac;

  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.#hash = secret === undefined ? createHash('sha256') : createHmac('sha256', toBytes(secret));
  }

  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.#hash.update(toBytes(data));
  }

  async digest(): Promise<Uint8Array> {
    return this.#hash.digest();
  }
}

function toBytes(data: string | ArrayBuffer | ArrayBufferView): string | Buffer {
  if (typeof data === 'string') return data;
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return Buffer.from(data);
}
