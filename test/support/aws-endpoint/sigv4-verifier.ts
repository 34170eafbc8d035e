// Checks an AWS Signature Version 4 `Authorization` header the way AWS does: rebuilds the canonical
// request and string to sign from the wire request (IAM user guide, "Create a signed AWS API request").
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { bodySha256 } from './body-sha256.js';
import type { IncomingHttpHeaders } from 'node:http';

export interface SigV4Credentials {
  accessKeyId: string;
  secretAccessKey: string;
}

/** What a verified request was signed for: the credential scope names the region and service. */
export interface SigV4Scope {
  accessKeyId: string;
  date: string;
  region: string;
  service: string;
}

export type SigV4Failure =
  | { kind: 'missing'; message: string }
  | { kind: 'malformed'; message: string }
  | { kind: 'unknown-key'; message: string }
  | { kind: 'mismatch'; message: string }
  | { kind: 'payload-hash'; message: string }
  | { kind: 'expired'; message: string };

export type SigV4Result = { ok: true; scope: SigV4Scope } | { ok: false; failure: SigV4Failure };

export interface SigV4Request {
  method: string;
  /** The request target exactly as sent: path plus optional `?query`. */
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

const ALGORITHM = 'AWS4-HMAC-SHA256';
// The SDK signs a body it does not hash with this literal in place of the hex digest.
const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';
// AWS refuses requests whose X-Amz-Date is more than 15 minutes away from its own clock.
const MAX_CLOCK_SKEW_MS = 15 * 60 * 1000;

/**
 * Verifies a SigV4-signed request against the known credentials.
 * @param nowMs the server's idea of the current time (for the clock-skew check); undefined skips it.
 * @returns the credential scope when the signature matches, else why it does not.
 */
export function verifySigV4(
  request: SigV4Request,
  credentials: readonly SigV4Credentials[],
  nowMs: number | undefined,
): SigV4Result {
  const authorization = headerValue(request.headers, 'authorization');
  if (!authorization) return fail('missing', 'Request is missing Authentication Token');
  const parsed = parseAuthorization(authorization);
  if (!parsed) return fail('malformed', `Authorization header is not a well-formed ${ALGORITHM} header`);
  const [accessKeyId, date, region, service, terminator] = parsed.credential.split('/');
  if (!accessKeyId || !date || !region || !service || terminator !== 'aws4_request') {
    return fail('malformed', 'Credential scope must be <key>/<yyyymmdd>/<region>/<service>/aws4_request');
  }
  const known = credentials.find((c) => c.accessKeyId === accessKeyId);
  if (!known) return fail('unknown-key', `The access key ${accessKeyId} is not known to this endpoint`);

  const amzDate = headerValue(request.headers, 'x-amz-date');
  if (!amzDate || !/^\d{8}T\d{6}Z$/.test(amzDate)) return fail('malformed', 'X-Amz-Date header is missing or malformed');
  if (!amzDate.startsWith(date)) return fail('mismatch', 'The credential scope date does not match X-Amz-Date');
  if (nowMs !== undefined && Math.abs(parseAmzDate(amzDate) - nowMs) > MAX_CLOCK_SKEW_MS) {
    return fail('expired', `Signature expired: ${amzDate} is more than 15 minutes from the server time`);
  }

  const payloadHash = payloadHashOf(request);
  if (typeof payloadHash !== 'string') return { ok: false, failure: payloadHash };

  const canonicalRequest = [
    request.method.toUpperCase(),
    canonicalPath(request.url),
    canonicalQuery(request.url),
    canonicalHeaders(request.headers, parsed.signedHeaders),
    parsed.signedHeaders.join(';'),
    payloadHash,
  ].join('\n');
  const scope = `${date}/${region}/${service}/aws4_request`;
  const stringToSign = [ALGORITHM, amzDate, scope, sha256Hex(canonicalRequest)].join('\n');
  let key = hmac(`AWS4${known.secretAccessKey}`, date);
  for (const part of [region, service, 'aws4_request']) key = hmac(key, part);
  const expected = Buffer.from(createHmac('sha256', key).update(stringToSign).digest('hex'));
  const given = Buffer.from(parsed.signature);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) {
    return fail('mismatch', 'The request signature does not match the one computed from the secret key for this access key');
  }
  return { ok: true, scope: { accessKeyId, date, region, service } };
}

function fail(kind: SigV4Failure['kind'], message: string): SigV4Result {
  return { ok: false, failure: { kind, message } };
}

function parseAuthorization(value: string): { credential: string; signedHeaders: string[]; signature: string } | undefined {
  if (!value.startsWith(`${ALGORITHM} `)) return undefined;
  const fields = new Map<string, string>();
  for (const part of value.slice(ALGORITHM.length + 1).split(',')) {
    const eq = part.indexOf('=');
    if (eq > 0) fields.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  const credential = fields.get('Credential');
  const signedHeaders = fields.get('SignedHeaders');
  const signature = fields.get('Signature');
  if (!credential || !signedHeaders || !signature || !/^[0-9a-f]{64}$/.test(signature)) return undefined;
  return { credential, signedHeaders: signedHeaders.split(';'), signature };
}

// The signed payload hash is X-Amz-Content-Sha256 when present (it must then match the body unless it
// declares the payload unsigned), else the hash of the body itself.
function payloadHashOf(request: SigV4Request): string | SigV4Failure {
  const declared = headerValue(request.headers, 'x-amz-content-sha256');
  const actual = bodySha256(request.body).toString('hex');
  if (declared === undefined) return actual;
  if (declared === UNSIGNED_PAYLOAD) return declared;
  if (declared !== actual) {
    return { kind: 'payload-hash', message: 'The provided x-amz-content-sha256 header does not match what was computed' };
  }
  return declared;
}

// Non-S3 services sign the path URI-encoded once more on top of its wire encoding.
function canonicalPath(url: string): string {
  const path = url.split('?')[0] || '/';
  return path
    .split('/')
    .map((segment) => escapeUri(segment))
    .join('/');
}

function canonicalQuery(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return '';
  const pairs: Array<[string, string]> = [];
  for (const [key, value] of new URLSearchParams(url.slice(q + 1))) pairs.push([escapeUri(key), escapeUri(value)]);
  pairs.sort(([ka, va], [kb, vb]) => (ka < kb ? -1 : ka > kb ? 1 : va < vb ? -1 : va > vb ? 1 : 0));
  return pairs.map(([k, v]) => `${k}=${v}`).join('&');
}

function canonicalHeaders(headers: IncomingHttpHeaders, signed: readonly string[]): string {
  return signed.map((name) => `${name}:${(headerValue(headers, name) ?? '').trim().replace(/\s+/g, ' ')}\n`).join('');
}

// RFC 3986 unreserved characters stay; everything else is percent-encoded with upper-case hex.
function escapeUri(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

function parseAmzDate(value: string): number {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!m) return Number.NaN;
  return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
}

function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function hmac(key: string | Buffer, data: string): Buffer {
  return createHmac('sha256', key).update(data).digest();
}
