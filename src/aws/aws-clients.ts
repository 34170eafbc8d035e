// EBS direct and EC2 clients from the SDK's standard chain (AWS_REGION, AWS_PROFILE, credentials,
// AWS_ENDPOINT_URL_EBS / AWS_ENDPOINT_URL_EC2), with per-request timeouts and the SDK's retries off.
import type { EBSClient } from '@aws-sdk/client-ebs';
import type { EC2Client } from '@aws-sdk/client-ec2';
import { ebsSdk, ec2Sdk } from './sdk.js';

export interface AwsClientsOptions {
  /** Region to use; default: the standard chain (AWS_REGION, the profile). EC2 CopyImage targets pass theirs. */
  region?: string;
  /** Milliseconds one request may take from sending to the last response byte before it fails (default 30 s). */
  requestTimeoutMs?: number;
  /** Milliseconds to establish a connection (default 5 s). */
  connectionTimeoutMs?: number;
  /** Sockets per client; above the highest concurrency so requests never queue inside the SDK (default 512). */
  maxSockets?: number;
  /** Environment consulted for the endpoint overrides (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** Explicit credentials instead of the standard chain (tests with a wrong secret). */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
}

export interface AwsClients {
  ebs: EBSClient;
  ec2: EC2Client;
  /** The same timeouts for amikit's own PutSnapshotBlock requests (SnapshotSinkOptions.http). */
  http: { requestTimeoutMs: number; connectionTimeoutMs: number };
  /** Closes the clients' sockets so the process can exit promptly. */
  destroy(): void;
}

export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
export const DEFAULT_CONNECTION_TIMEOUT_MS = 5_000;
const DEFAULT_MAX_SOCKETS = 512;

/**
 * Builds the EBS and EC2 clients amikit uses. The SDK makes one attempt per call: src/aws/retry.ts is
 * the only retry policy, so a block is never retried 3× inside each of our attempts (coldsnap #437).
 * @example const { ebs, ec2 } = createAwsClients(); await withRetry('StartSnapshot', (signal) => ebs.send(cmd, { abortSignal: signal }));
 */
export function createAwsClients(options: AwsClientsOptions = {}): AwsClients {
  const env = options.env ?? process.env;
  // The SDK warns once about the Node version on stderr; amikit's stderr is for its own messages.
  process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';
  const requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  const connectionTimeoutMs = options.connectionTimeoutMs ?? DEFAULT_CONNECTION_TIMEOUT_MS;
  const common = {
    maxAttempts: 1,
    ...(options.region !== undefined ? { region: options.region } : {}),
    ...(options.credentials !== undefined ? { credentials: options.credentials } : {}),
    requestHandler: {
      requestTimeout: requestTimeoutMs,
      connectionTimeout: connectionTimeoutMs,
      // Without this the SDK only logs that the timeout passed and the request hangs on.
      throwOnRequestTimeout: true,
      httpAgent: { keepAlive: true, maxSockets: options.maxSockets ?? DEFAULT_MAX_SOCKETS },
      httpsAgent: { keepAlive: true, maxSockets: options.maxSockets ?? DEFAULT_MAX_SOCKETS },
    },
  };
  const ebsEndpoint = env['AWS_ENDPOINT_URL_EBS'] || env['AWS_ENDPOINT_URL'] || undefined;
  const ec2Endpoint = env['AWS_ENDPOINT_URL_EC2'] || env['AWS_ENDPOINT_URL'] || undefined;
  const ebs = new ebsSdk.EBSClient({ ...common, ...(ebsEndpoint ? { endpoint: ebsEndpoint } : {}) });
  const ec2 = new ec2Sdk.EC2Client({ ...common, ...(ec2Endpoint ? { endpoint: ec2Endpoint } : {}) });
  return {
    ebs,
    ec2,
    http: { requestTimeoutMs, connectionTimeoutMs },
    destroy: () => {
      ebs.destroy();
      ec2.destroy();
    },
  };
}
