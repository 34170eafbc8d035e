// The SHA-256 of a request body, computed once: SigV4's payload check and PutSnapshotBlock's checksum
// check hash the same 512 KiB, and hashing it twice would make the endpoint the bottleneck of uploads.
import { createHash } from 'node:crypto';

const digests = new WeakMap<Buffer, Buffer>();

/**
 * Records the digest of bytes hashed as they arrived, for a body whose bytes were not gathered (a
 * store that discards them); `body` must be a Buffer object of its own for this request.
 */
export function rememberBodySha256(body: Buffer, digest: Buffer): void {
  digests.set(body, digest);
}

/**
 * SHA-256 of `body`, memoised per Buffer object. Each request's body is a Buffer object of its own (a
 * recycled buffer comes back as a new view), so a memo never outlives the bytes it describes.
 */
export function bodySha256(body: Buffer): Buffer {
  let digest = digests.get(body);
  if (!digest) {
    digest = createHash('sha256').update(body).digest();
    digests.set(body, digest);
  }
  return digest;
}
