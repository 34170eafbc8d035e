// The direct PutSnapshotBlock path against a bare HTTP server that answers what AWS and the gateways
// in front of it answer: the errors must come out shaped so retry.ts treats them as the SDK's would.
// (Signing, throttling, resets and timeouts against the validating endpoint: test/aws/upload-*.test.ts.)
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { EBSClient } from '@aws-sdk/client-ebs';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { runOk, tempDir, toolSkipReason } from '../../../test/support/tools.js';
import { classifyAwsError } from '../retry.js';
import { SnapshotBlockWriter } from './snapshot-block-writer.js';

const BLOCK = 512 * 1024;
const data = Buffer.alloc(BLOCK, 7);
const sha256 = createHash('sha256').update(data).digest();
const closers: (() => void)[] = [];
afterEach(() => closers.splice(0).forEach((close) => close()));

async function writerAnswering(handler: (req: IncomingMessage, res: ServerResponse, body: Buffer) => void, settings = {}, clockOffsetMs = 0) {
  const seen: { method?: string; url?: string; headers?: IncomingMessage['headers']; bodyBytes?: number } = {};
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      Object.assign(seen, { method: req.method, url: req.url, headers: req.headers, bodyBytes: body.length });
      handler(req, res, body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const ebs = new EBSClient({ region: 'eu-west-1', credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret', sessionToken: 'token' }, systemClockOffset: clockOffsetMs });
  const writer = new SnapshotBlockWriter(ebs, { protocol: 'http:', hostname: '127.0.0.1', port, basePath: '/prefix' }, { requestTimeoutMs: 2000, connectionTimeoutMs: 1000, maxSockets: 4, ...settings });
  closers.push(() => {
    writer.close();
    server.closeAllConnections();
    server.close();
  });
  return { writer, seen };
}

const put = (writer: SnapshotBlockWriter) => writer.put({ snapshotId: 'snap-0123456789abcdef0', blockIndex: 42, data, sha256, progressPercent: 7 });
const failureOf = (promise: Promise<unknown>) => promise.then(() => expect.unreachable('the put succeeded'), (error: unknown) => error);

describe('SnapshotBlockWriter', () => {
  test('sends the block signed, with the EBS headers, to the endpoint path', async () => {
    const { writer, seen } = await writerAnswering((_req, res) => res.writeHead(201, { 'x-amz-checksum': sha256.toString('base64') }).end());
    await put(writer);
    expect(seen.method).toBe('PUT');
    expect(seen.url).toBe('/prefix/snapshots/snap-0123456789abcdef0/blocks/42');
    expect(seen.bodyBytes).toBe(BLOCK);
    expect(seen.headers).toMatchObject({
      'x-amz-checksum': sha256.toString('base64'),
      'x-amz-checksum-algorithm': 'SHA256',
      'x-amz-data-length': String(BLOCK),
      'x-amz-progress': '7',
      'x-amz-content-sha256': sha256.toString('hex'),
      'x-amz-security-token': 'token',
    });
    expect(seen.headers?.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/ebs\/aws4_request, SignedHeaders=[a-z0-9;-]*x-amz-checksum;[a-z0-9;-]*x-amz-content-sha256;.*, Signature=[0-9a-f]{64}$/);
  });

  test("signs with the SDK's clock correction, as the SDK's own requests are", async () => {
    const offsetMs = 3 * 3600_000;
    const { writer, seen } = await writerAnswering((_req, res) => res.writeHead(201).end(), {}, offsetMs);
    await put(writer);
    const stamp = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(String(seen.headers?.['x-amz-date']));
    expect(stamp).not.toBeNull();
    const signedMs = Date.UTC(Number(stamp![1]), Number(stamp![2]) - 1, Number(stamp![3]), Number(stamp![4]), Number(stamp![5]), Number(stamp![6]));
    expect(Math.abs(signedMs - (Date.now() + offsetMs))).toBeLessThan(60_000);
  });

  test('a service error keeps its type, Reason and status, and classifies like the SDK error', async () => {
    const { writer } = await writerAnswering((_req, res) =>
      res
        .writeHead(400, { 'content-type': 'application/json', 'x-amzn-errortype': 'ValidationException:http://internal.amazon.com/coral/com.amazon.coral.validate/' })
        .end(JSON.stringify({ Message: 'The block index is out of range', Reason: 'INVALID_BLOCK' })),
    );
    const error = await failureOf(put(writer));
    expect(error).toMatchObject({ name: 'ValidationException', message: 'The block index is out of range', Reason: 'INVALID_BLOCK', $metadata: { httpStatusCode: 400 } });
    expect(classifyAwsError(error)).toMatchObject({ kind: 'fatal', code: 'ValidationException', reason: 'INVALID_BLOCK', httpStatus: 400 });
  });

  test('throttling and a gateway page are retryable; a cut-off answer is a network failure', async () => {
    const throttled = await writerAnswering((_req, res) =>
      res.writeHead(429, { 'x-amzn-errortype': 'RequestThrottledException' }).end(JSON.stringify({ message: 'slow down', Reason: 'ACCOUNT_THROTTLED' })),
    );
    expect(classifyAwsError(await failureOf(put(throttled.writer)))).toMatchObject({ kind: 'throttle', reason: 'ACCOUNT_THROTTLED' });
    const gateway = await writerAnswering((_req, res) => res.writeHead(502, { 'content-type': 'text/html' }).end('<html>Bad Gateway</html>'));
    expect(classifyAwsError(await failureOf(put(gateway.writer)))).toMatchObject({ kind: 'server', httpStatus: 502 });
    const cut = await writerAnswering((_req, res) => {
      res.writeHead(201, { 'content-length': '100' });
      res.write('partial', () => res.socket?.destroy());
    });
    expect(classifyAwsError(await failureOf(put(cut.writer)))).toMatchObject({ kind: 'network' });
  });

  test('a server that never answers times out as a network failure', async () => {
    const { writer } = await writerAnswering(() => undefined, { requestTimeoutMs: 200 });
    const error = await failureOf(put(writer));
    expect(error).toMatchObject({ name: 'TimeoutError' });
    expect(classifyAwsError(error).kind).toBe('network');
  });

  test('a stored checksum other than the one sent is an error, not a success', async () => {
    const { writer } = await writerAnswering((_req, res) => res.writeHead(201, { 'x-amz-checksum': Buffer.alloc(32).toString('base64') }).end());
    expect(await failureOf(put(writer))).toMatchObject({ code: 'AWS', message: expect.stringMatching(/block 42\b.*checksum/) });
  });

  test('an https endpoint is reached over TLS and its certificate is verified', async (ctx) => {
    const skip = toolSkipReason('openssl');
    if (skip) return ctx.skip(skip);
    // A self-signed certificate no CA vouches for: the block must not go out, and the failure is not retried.
    const dir = (await tempDir('block-writer-tls')).path;
    const [key, cert] = [join(dir, 'key.pem'), join(dir, 'cert.pem')];
    await runOk('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1']);
    let served = 0;
    const server = createHttpsServer({ key: await readFile(key), cert: await readFile(cert) }, (_req, res) => {
      served++;
      res.writeHead(201).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const ebs = new EBSClient({ region: 'eu-west-1', credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' } });
    const writer = new SnapshotBlockWriter(ebs, { protocol: 'https:', hostname: '127.0.0.1', port, basePath: '' }, { requestTimeoutMs: 5000, connectionTimeoutMs: 2000, maxSockets: 2 });
    closers.push(() => {
      writer.close();
      server.closeAllConnections();
      server.close();
    });
    const error = await failureOf(put(writer));
    expect(String((error as Error).message ?? error)).toMatch(/self[- ]signed certificate/i);
    expect(classifyAwsError(error).kind).toBe('fatal');
    expect(served).toBe(0);
  });
});
