// The SHA-256 of a request body, computed once: SigV4's payload check and PutSnapshotBlock's checksum
// check hash the same 512 KiB, and hashing it twice would make the endpoint the bottleneck of uploads.
import { createHash } from 'node:crypto';

const digests = new WeakMap<Buffer, Buffer>();

/** SHA-256 of `body`, memoised per Buffer object (bodies are never modified after they are read). */
export function bodySha256(body: Buffer): Buffer {
  let digest = digests.get(body);
  if (!digest) {
    digest = createHash('sha256').update(body).digest();
    digests.set(body, digest);
  }
  return digest;
}

/** Drops the memo of `body`, whose bytes are about to be replaced (a recycled request buffer). */
export function forgetBodySha256(body: Buffer): void {
  digests.delete(body);
}
