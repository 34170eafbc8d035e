// Directory-entry name hash for htree (dir_index) directories: legacy, half-MD4 and TEA, in the signed-
// and unsigned-char variants (kernel Documentation/filesystems/ext4/directory.rst, "Hash Tree Directories").

/** `s_def_hash_version` names; the signed/unsigned variant comes separately from `s_flags`. */
export type DirHashVersion = 'legacy' | 'half_md4' | 'tea';

/** dx_root_info.hash_version codes (directory.rst): unsigned variants are stored as code + 3. */
export const DIR_HASH_VERSION_CODE: Readonly<Record<DirHashVersion, number>> = { legacy: 0, half_md4: 1, tea: 2 };

/** The kernel reserves this 32-bit hash (EXT4_HTREE_EOF_32BIT << 1) to mean "end of directory". */
const HTREE_EOF_HASH = 0xfffffffe;

/** MD4 initial chaining values: the default seed when s_hash_seed is all zero. */
const DEFAULT_SEED: readonly number[] = [0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476];

export interface DirHash {
  /** Major hash: low bit always clear (the dx_entry low bit means "collision continuation"). */
  hash: number;
  /** Minor hash (0 for legacy): orders entries whose major hashes are equal. */
  minorHash: number;
}

/**
 * Hashes one directory-entry name as the kernel does for htree lookups. The name is a byte string
 * (tree/paths.ts: one character per byte), as the tree holds it, so no Buffer is made per entry.
 * @param seed s_hash_seed as four u32 (little-endian words of the 16 on-disk bytes); all zero ⇒ default.
 * @param signedChars true when s_flags has EXT2_FLAGS_SIGNED_HASH (0x1), false for UNSIGNED_HASH (0x2):
 *   name bytes ≥ 0x80 enter the hash as negative ints on signed-char hosts, and the fs records which.
 */
export function dirHash(
  name: string,
  version: DirHashVersion,
  seed: readonly number[],
  signedChars: boolean,
): DirHash {
  let hash: number;
  let minorHash = 0;
  switch (version) {
    case 'legacy':
      hash = legacyHash(name, signedChars);
      break;
    case 'half_md4': {
      const buf = initialBuffer(seed);
      const words = new Uint32Array(8);
      // Each 32-byte chunk is folded in; the padding of every chunk is derived from the remaining length.
      for (let offset = 0, remaining = name.length; remaining > 0; offset += 32, remaining -= 32) {
        fillHashWords(name, offset, remaining, words, 8, signedChars);
        halfMd4Transform(buf, words);
      }
      hash = buf[1]!;
      minorHash = buf[2]!;
      break;
    }
    case 'tea': {
      const buf = initialBuffer(seed);
      const words = new Uint32Array(4);
      for (let offset = 0, remaining = name.length; remaining > 0; offset += 16, remaining -= 16) {
        fillHashWords(name, offset, remaining, words, 4, signedChars);
        teaTransform(buf, words);
      }
      hash = buf[0]!;
      minorHash = buf[1]!;
      break;
    }
  }
  hash = (hash & ~1) >>> 0;
  // The kernel (fs/ext4/hash.c) moves the one hash that collides with its EOF marker; e2fsprogs does
  // not, but the kernel is who looks names up, so follow it (a 1-in-2^31 case).
  if (hash === HTREE_EOF_HASH) hash = 0xfffffffc;
  return { hash, minorHash: minorHash >>> 0 };
}

function initialBuffer(seed: readonly number[]): Uint32Array {
  const useSeed = seed.length === 4 && seed.some((word) => word !== 0);
  return Uint32Array.from(useSeed ? seed : DEFAULT_SEED);
}

/** Reads name byte `i` as the host `char` would promote it to int. */
function charValue(name: string, i: number, signedChars: boolean): number {
  const byte = name.charCodeAt(i);
  return signedChars && byte >= 0x80 ? byte - 0x100 : byte;
}

/**
 * Packs up to `wordCount * 4` name bytes big-end-first into words, padding with a pattern made of the
 * remaining length (so names differing only in length hash differently).
 */
function fillHashWords(
  name: string,
  offset: number,
  remaining: number,
  words: Uint32Array,
  wordCount: number,
  signedChars: boolean,
): void {
  let pad = (remaining | (remaining << 8)) >>> 0;
  pad = (pad | (pad << 16)) >>> 0;
  let value = pad;
  const length = Math.min(remaining, wordCount * 4);
  let w = 0;
  for (let i = 0; i < length; i++) {
    value = (charValue(name, offset + i, signedChars) + ((value << 8) | 0)) >>> 0;
    if (i % 4 === 3) {
      words[w++] = value;
      value = pad;
    }
  }
  if (w < wordCount) words[w++] = value;
  while (w < wordCount) words[w++] = pad;
}

function rotl(x: number, s: number): number {
  return ((x << s) | (x >>> (32 - s))) >>> 0;
}

const MD4_K2 = 0x5a827999; // 013240474631 octal
const MD4_K3 = 0x6ed9eba1; // 015666365641 octal

/** MD4's three rounds cut down to 8 input words; only part of the state is used as the hash. */
function halfMd4Transform(buf: Uint32Array, x: Uint32Array): void {
  let a = buf[0]!;
  let b = buf[1]!;
  let c = buf[2]!;
  let d = buf[3]!;
  const f = (p: number, q: number, r: number): number => r ^ (p & (q ^ r));
  const g = (p: number, q: number, r: number): number => ((p & q) + ((p ^ q) & r)) | 0;
  const h = (p: number, q: number, r: number): number => p ^ q ^ r;
  const x0 = x[0]!, x1 = x[1]!, x2 = x[2]!, x3 = x[3]!, x4 = x[4]!, x5 = x[5]!, x6 = x[6]!, x7 = x[7]!;

  a = rotl((a + f(b, c, d) + x0) | 0, 3);
  d = rotl((d + f(a, b, c) + x1) | 0, 7);
  c = rotl((c + f(d, a, b) + x2) | 0, 11);
  b = rotl((b + f(c, d, a) + x3) | 0, 19);
  a = rotl((a + f(b, c, d) + x4) | 0, 3);
  d = rotl((d + f(a, b, c) + x5) | 0, 7);
  c = rotl((c + f(d, a, b) + x6) | 0, 11);
  b = rotl((b + f(c, d, a) + x7) | 0, 19);

  a = rotl((a + g(b, c, d) + x1 + MD4_K2) | 0, 3);
  d = rotl((d + g(a, b, c) + x3 + MD4_K2) | 0, 5);
  c = rotl((c + g(d, a, b) + x5 + MD4_K2) | 0, 9);
  b = rotl((b + g(c, d, a) + x7 + MD4_K2) | 0, 13);
  a = rotl((a + g(b, c, d) + x0 + MD4_K2) | 0, 3);
  d = rotl((d + g(a, b, c) + x2 + MD4_K2) | 0, 5);
  c = rotl((c + g(d, a, b) + x4 + MD4_K2) | 0, 9);
  b = rotl((b + g(c, d, a) + x6 + MD4_K2) | 0, 13);

  a = rotl((a + h(b, c, d) + x3 + MD4_K3) | 0, 3);
  d = rotl((d + h(a, b, c) + x7 + MD4_K3) | 0, 9);
  c = rotl((c + h(d, a, b) + x2 + MD4_K3) | 0, 11);
  b = rotl((b + h(c, d, a) + x6 + MD4_K3) | 0, 15);
  a = rotl((a + h(b, c, d) + x1 + MD4_K3) | 0, 3);
  d = rotl((d + h(a, b, c) + x5 + MD4_K3) | 0, 9);
  c = rotl((c + h(d, a, b) + x0 + MD4_K3) | 0, 11);
  b = rotl((b + h(c, d, a) + x4 + MD4_K3) | 0, 15);

  buf[0] = buf[0]! + a;
  buf[1] = buf[1]! + b;
  buf[2] = buf[2]! + c;
  buf[3] = buf[3]! + d;
}

const TEA_DELTA = 0x9e3779b9;

/** 16 TEA rounds in Davies–Meyer mode over the first two state words. */
function teaTransform(buf: Uint32Array, x: Uint32Array): void {
  let sum = 0;
  let b0 = buf[0]!;
  let b1 = buf[1]!;
  const a = x[0]!, b = x[1]!, c = x[2]!, d = x[3]!;
  for (let n = 0; n < 16; n++) {
    sum = (sum + TEA_DELTA) | 0;
    b0 = (b0 + ((((b1 << 4) + a) | 0) ^ ((b1 + sum) | 0) ^ (((b1 >>> 5) + b) | 0))) | 0;
    b1 = (b1 + ((((b0 << 4) + c) | 0) ^ ((b0 + sum) | 0) ^ (((b0 >>> 5) + d) | 0))) | 0;
  }
  buf[0] = buf[0]! + b0;
  buf[1] = buf[1]! + b1;
}

/** The original ext3 htree hash, kept for old filesystems; ignores the seed and has no minor hash. */
function legacyHash(name: string, signedChars: boolean): number {
  let hash0 = 0x12a3fe2d;
  let hash1 = 0x37abe8f9;
  for (let i = 0; i < name.length; i++) {
    let hash = (hash1 + ((hash0 ^ Math.imul(charValue(name, i, signedChars), 7152373)) >>> 0)) >>> 0;
    if (hash & 0x80000000) hash = (hash - 0x7fffffff) >>> 0;
    hash1 = hash0;
    hash0 = hash;
  }
  return (hash0 << 1) >>> 0;
}
