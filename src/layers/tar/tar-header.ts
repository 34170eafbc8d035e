// Decodes and encodes the 512-byte tar header record: POSIX ustar (pax "ustar\0" "00"), old GNU
// ("ustar  \0", with its atime/ctime and old sparse map) and v7. Numbers are octal or GNU base-256.
import { AmikitError } from '../../shared/errors.js';

export const TAR_BLOCK_BYTES = 512;

export type TarMagic = 'ustar' | 'gnu' | 'v7';

/** One slot of a GNU old-style sparse map (header or extension record). */
export interface GnuSparseSlot {
  offsetBytes: number;
  lengthBytes: number;
}

export interface TarHeader {
  /**
   * The name field up to the first NUL as a byte string (see tree/paths.ts); for ustar, the prefix is
   * already joined with "/".
   */
  path: string;
  mode: number;
  uid: number;
  gid: number;
  /** The size field: stored bytes that follow the header (for 'S', the sparse data only). */
  sizeBytes: number;
  mtimeSec: number;
  /** The typeflag as a one-character string ('\0' for an old regular file). */
  typeflag: string;
  /** The linkname field up to the first NUL, as a byte string. */
  linkname: string;
  magic: TarMagic;
  devMajor: number;
  devMinor: number;
  /** Old GNU format only: access and change times when set (0 means absent). */
  gnuAtimeSec: number;
  gnuCtimeSec: number;
  /** Old GNU sparse ('S') only: the up to 4 map slots in the header itself, the extension flag and real size. */
  gnuSparse: readonly GnuSparseSlot[];
  gnuIsExtended: boolean;
  gnuRealSizeBytes: number;
}

// ustar field offsets and lengths (POSIX.1-2017 pax, "ustar Interchange Format", Table: ustar Header Block).
const NAME = [0, 100] as const;
const MODE = [100, 8] as const;
const UID = [108, 8] as const;
const GID = [116, 8] as const;
const SIZE = [124, 12] as const;
const MTIME = [136, 12] as const;
const CHKSUM = [148, 8] as const;
const TYPEFLAG = 156;
const LINKNAME = [157, 100] as const;
const MAGIC = [257, 6] as const;
const VERSION = [263, 2] as const;
// uname (265, 32) and gname (297, 32) are left empty: OCI layers are owned by number only.
const DEVMAJOR = [329, 8] as const;
const DEVMINOR = [337, 8] as const;
const PREFIX = [345, 155] as const;
// Old GNU layout of the same area (GNU tar manual, "Standard" format, struct oldgnu_header).
const GNU_ATIME = [345, 12] as const;
const GNU_CTIME = [357, 12] as const;
const GNU_SPARSE_AT = 386;
const GNU_SPARSE_SLOTS = 4;
const GNU_IS_EXTENDED = 482;
const GNU_REALSIZE = [483, 12] as const;
/** Slots and flag offset of a GNU sparse extension record (struct sparse_header). */
export const GNU_EXTENSION_SLOTS = 21;
export const GNU_EXTENSION_IS_EXTENDED = 504;
const SPARSE_SLOT_BYTES = 24;

/** Things a field parser needs to say where a bad value sits. */
export interface FieldContext {
  /** Message prefix: `${source}: offset N` */
  where: string;
}

export function isZeroBlock(block: Buffer): boolean {
  for (let i = 0; i < TAR_BLOCK_BYTES; i++) if (block[i] !== 0) return false;
  return true;
}

/**
 * Bytes of `block[at, at+length)` up to the first NUL, as a byte string: names become strings anyway,
 * and decoding them in place saves a Buffer (an object with its own backing view) per field.
 */
function cString(block: Buffer, [at, length]: readonly [number, number]): string {
  const limit = at + length;
  let end = at;
  while (end < limit && block[end] !== 0) end++;
  return block.toString('latin1', at, end);
}

/** The sparse map of every header but an old GNU sparse one. */
const NO_SPARSE_SLOTS: readonly GnuSparseSlot[] = Object.freeze([]);

function formatError(where: string, message: string): AmikitError {
  return new AmikitError('INPUT_FORMAT', `${where}: ${message}`);
}

/**
 * Parses a numeric field: octal digits with optional leading spaces and a NUL/space terminator, or GNU
 * base-256 (high bit set; two's complement, so 0xff-led values are negative). An empty field is 0.
 */
export function parseNumericField(field: Buffer, fieldName: string, where: string, allowNegative = false): number {
  if (field.length > 0 && (field[0]! & 0x80) !== 0) {
    let value = BigInt(field[0]! & 0x7f);
    for (let i = 1; i < field.length; i++) value = (value << 8n) | BigInt(field[i]!);
    if ((field[0]! & 0x40) !== 0) value -= 1n << BigInt(field.length * 8 - 1);
    if (value < 0n && !allowNegative) throw formatError(where, `negative ${fieldName} (${value}) in base-256 field`);
    if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER)) {
      throw formatError(where, `${fieldName} ${value} is out of range`);
    }
    return Number(value);
  }
  let i = 0;
  while (i < field.length && field[i] === 0x20) i++;
  let value = 0;
  for (; i < field.length; i++) {
    const c = field[i]!;
    if (c < 0x30 || c > 0x37) break;
    value = value * 8 + (c - 0x30);
  }
  for (; i < field.length; i++) {
    const c = field[i]!;
    if (c !== 0 && c !== 0x20) {
      throw formatError(where, `${fieldName} field is not an octal number: '${printable(field)}'`);
    }
  }
  if (!Number.isSafeInteger(value)) throw formatError(where, `${fieldName} is out of range`);
  return value;
}

/** Lenient variant for fields that some writers fill with junk and that we do not need. */
function parseOptionalNumber(field: Buffer, allowNegative = false): number {
  try {
    return parseNumericField(field, 'field', '', allowNegative);
  } catch {
    return 0;
  }
}

function printable(bytes: Buffer): string {
  let out = '';
  for (const byte of bytes) out += byte >= 0x20 && byte < 0x7f && byte !== 0x27 ? String.fromCharCode(byte) : `\\x${byte.toString(16).padStart(2, '0')}`;
  return out;
}

function field(block: Buffer, [at, length]: readonly [number, number]): Buffer {
  return block.subarray(at, at + length);
}

/**
 * The header checksum as GNU tar accepts it: the sum of all 512 bytes with the checksum field counted as
 * spaces, either with bytes unsigned (POSIX) or signed (some historic writers).
 */
export function headerChecksums(block: Buffer): { unsigned: number; signed: number } {
  // One branch-free pass: the signed sum is the unsigned one less 256 for every byte ≥ 0x80; the
  // checksum field's own bytes are then swapped for spaces.
  let unsigned = 0;
  let high = 0;
  for (let i = 0; i < TAR_BLOCK_BYTES; i++) {
    const byte = block[i]!;
    unsigned += byte;
    high += byte >>> 7;
  }
  for (let i = CHKSUM[0]; i < CHKSUM[0] + CHKSUM[1]; i++) {
    const byte = block[i]!;
    unsigned += 0x20 - byte;
    high -= byte >>> 7;
  }
  return { unsigned, signed: unsigned - 256 * high };
}

/**
 * The common case of a numeric field, read in place: optional leading spaces, octal digits, then only
 * NULs or spaces. Returns -1 for anything else (base-256, junk), which the caller hands to
 * parseNumericField for the exact value or error. Saves a Buffer view per field (eight per header).
 */
function plainOctalAt(block: Buffer, [at, length]: readonly [number, number]): number {
  const end = at + length;
  let i = at;
  while (i < end && block[i] === 0x20) i++;
  let value = 0;
  for (; i < end; i++) {
    const c = block[i]!;
    if (c < 0x30 || c > 0x37) break;
    value = value * 8 + (c - 0x30);
  }
  for (; i < end; i++) {
    const c = block[i]!;
    if (c !== 0 && c !== 0x20) return -1;
  }
  return value; // at most 12 octal digits: always a safe integer
}

function numberAt(block: Buffer, spec: readonly [number, number], fieldName: string, where: string, allowNegative = false): number {
  const value = plainOctalAt(block, spec);
  return value >= 0 ? value : parseNumericField(field(block, spec), fieldName, where, allowNegative);
}

function optionalNumberAt(block: Buffer, spec: readonly [number, number], allowNegative = false): number {
  const value = plainOctalAt(block, spec);
  return value >= 0 ? value : parseOptionalNumber(field(block, spec), allowNegative);
}

function bytesAre(block: Buffer, at: number, text: string): boolean {
  for (let i = 0; i < text.length; i++) if (block[at + i] !== text.charCodeAt(i)) return false;
  return true;
}

/** Reads the `count` sparse slots at `at`; an empty slot (offset field starting with NUL) ends the list. */
export function parseGnuSparseSlots(block: Buffer, at: number, count: number, where: string): GnuSparseSlot[] {
  const slots: GnuSparseSlot[] = [];
  for (let i = 0; i < count; i++) {
    const slotAt = at + i * SPARSE_SLOT_BYTES;
    if (block[slotAt] === 0) break;
    slots.push({
      offsetBytes: parseNumericField(block.subarray(slotAt, slotAt + 12), 'sparse offset', where),
      lengthBytes: parseNumericField(block.subarray(slotAt + 12, slotAt + 24), 'sparse length', where),
    });
  }
  return slots;
}

/**
 * Decodes a (non-zero) header record after checking its checksum.
 * @throws AmikitError INPUT_FORMAT on a bad checksum or a malformed numeric field.
 */
export function decodeTarHeader(block: Buffer, where: string): TarHeader {
  const stored = numberAt(block, CHKSUM, 'checksum', where);
  const { unsigned, signed } = headerChecksums(block);
  if (stored !== unsigned && stored !== signed) {
    throw formatError(where, `bad header checksum (stored ${stored}, computed ${unsigned})`);
  }
  const magic: TarMagic = bytesAre(block, MAGIC[0], 'ustar\0')
    ? 'ustar'
    : bytesAre(block, MAGIC[0], 'ustar ') && bytesAre(block, VERSION[0], ' \0')
      ? 'gnu'
      : 'v7';
  const typeflag = String.fromCharCode(block[TYPEFLAG]!);

  let path = cString(block, NAME);
  if (magic === 'ustar') {
    // star puts "tar\0" at the end and uses a shorter prefix followed by atime/ctime.
    const isStar = bytesAre(block, 508, 'tar\0');
    const prefix = cString(block, isStar ? [PREFIX[0], 131] : PREFIX);
    if (prefix.length > 0) path = `${prefix}/${path}`;
  }
  const isDevice = typeflag === '3' || typeflag === '4';
  const header: TarHeader = {
    path,
    mode: numberAt(block, MODE, 'mode', where),
    uid: numberAt(block, UID, 'uid', where),
    gid: numberAt(block, GID, 'gid', where),
    sizeBytes: numberAt(block, SIZE, 'size', where),
    mtimeSec: numberAt(block, MTIME, 'mtime', where, true),
    typeflag,
    linkname: cString(block, LINKNAME),
    magic,
    // Device numbers only matter for devices; other writers leave junk there.
    devMajor: isDevice ? numberAt(block, DEVMAJOR, 'devmajor', where) : optionalNumberAt(block, DEVMAJOR),
    devMinor: isDevice ? numberAt(block, DEVMINOR, 'devminor', where) : optionalNumberAt(block, DEVMINOR),
    gnuAtimeSec: 0,
    gnuCtimeSec: 0,
    gnuSparse: NO_SPARSE_SLOTS,
    gnuIsExtended: false,
    gnuRealSizeBytes: 0,
  };
  if (magic === 'gnu') {
    header.gnuAtimeSec = optionalNumberAt(block, GNU_ATIME, true);
    header.gnuCtimeSec = optionalNumberAt(block, GNU_CTIME, true);
    if (typeflag === 'S') {
      header.gnuSparse = parseGnuSparseSlots(block, GNU_SPARSE_AT, GNU_SPARSE_SLOTS, where);
      header.gnuIsExtended = block[GNU_IS_EXTENDED] !== 0;
      header.gnuRealSizeBytes = parseNumericField(field(block, GNU_REALSIZE), 'sparse realsize', where);
    }
  }
  return header;
}

/** Fields the writer puts in a ustar header. Names are raw bytes; numbers must fit their octal fields. */
export interface UstarHeaderFields {
  name: Buffer;
  prefix?: Buffer;
  mode: number;
  uid: number;
  gid: number;
  sizeBytes: number;
  mtimeSec: number;
  typeflag: string;
  linkname?: Buffer;
  devMajor?: number;
  devMinor?: number;
}

/** Largest value of an octal field of `length` bytes (length-1 digits and a NUL). */
export function octalFieldMax(length: number): number {
  return 8 ** (length - 1) - 1;
}

function writeOctal(block: Buffer, [at, length]: readonly [number, number], value: number, fieldName: string): void {
  if (!Number.isSafeInteger(value) || value < 0 || value > octalFieldMax(length)) {
    throw new AmikitError('INTERNAL', `tar ${fieldName} ${value} does not fit a ${length}-byte octal field`);
  }
  block.write(value.toString(8).padStart(length - 1, '0'), at, length - 1, 'latin1');
  block[at + length - 1] = 0;
}

function writeBytes(block: Buffer, [at, length]: readonly [number, number], bytes: Buffer, fieldName: string): void {
  if (bytes.length > length) throw new AmikitError('INTERNAL', `tar ${fieldName} of ${bytes.length} bytes exceeds ${length}`);
  bytes.copy(block, at);
}

/** Encodes a POSIX ustar header ("ustar\0" "00", empty uname/gname) with its checksum. */
export function encodeTarHeader(fields: UstarHeaderFields): Buffer {
  const block = Buffer.alloc(TAR_BLOCK_BYTES);
  writeBytes(block, NAME, fields.name, 'name');
  writeOctal(block, MODE, fields.mode, 'mode');
  writeOctal(block, UID, fields.uid, 'uid');
  writeOctal(block, GID, fields.gid, 'gid');
  writeOctal(block, SIZE, fields.sizeBytes, 'size');
  writeOctal(block, MTIME, fields.mtimeSec, 'mtime');
  block.write(fields.typeflag, TYPEFLAG, 1, 'latin1');
  writeBytes(block, LINKNAME, fields.linkname ?? Buffer.alloc(0), 'linkname');
  block.write('ustar\0', MAGIC[0], MAGIC[1], 'latin1');
  block.write('00', VERSION[0], VERSION[1], 'latin1');
  writeOctal(block, DEVMAJOR, fields.devMajor ?? 0, 'devmajor');
  writeOctal(block, DEVMINOR, fields.devMinor ?? 0, 'devminor');
  writeBytes(block, PREFIX, fields.prefix ?? Buffer.alloc(0), 'prefix');
  const { unsigned } = headerChecksums(block);
  block.write(unsigned.toString(8).padStart(6, '0'), CHKSUM[0], 6, 'latin1');
  block[CHKSUM[0] + 6] = 0;
  block[CHKSUM[0] + 7] = 0x20;
  return block;
}

/**
 * Splits a path for the ustar name/prefix fields (prefix ≤ 155 bytes, name ≤ 100, split at a "/"),
 * or returns undefined when it cannot be represented and needs a PAX path record.
 */
export function splitUstarPath(path: Buffer): { name: Buffer; prefix: Buffer } | undefined {
  if (path.length <= NAME[1]) return { name: path, prefix: Buffer.alloc(0) };
  for (let slash = path.indexOf(0x2f, path.length - NAME[1] - 1); slash !== -1; slash = path.indexOf(0x2f, slash + 1)) {
    if (slash > PREFIX[1]) return undefined;
    const name = path.subarray(slash + 1);
    if (slash > 0 && name.length > 0 && name.length <= NAME[1]) return { name, prefix: path.subarray(0, slash) };
  }
  return undefined;
}
