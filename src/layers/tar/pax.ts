// Parses and encodes POSIX pax extended header records ("%d %s=%s\n", POSIX.1-2017 pax, "pax Extended
// Header"). Keys are ASCII; values stay raw bytes, so non-UTF-8 names (hdrcharset=BINARY) survive.
import { AmikitError } from '../../shared/errors.js';

export interface PaxRecord {
  /** The keyword, as a byte string (latin1 of its bytes). */
  key: string;
  value: Buffer;
}

const SPACE = 0x20;
const EQUALS = 0x3d;
const NEWLINE = 0x0a;
/** A length needs at most this many digits: records are capped far below 10^16 bytes. */
const MAX_LENGTH_DIGITS = 16;

/**
 * Splits the data of an 'x' or 'g' header into records. Trailing NUL padding (written by some tools) is
 * accepted; anything else that is not a well-formed record is an error. Values are views into `data`
 * (most are parsed at once and dropped); a caller that keeps one past `data`'s life copies it.
 * @throws AmikitError INPUT_FORMAT naming `where` (source and offset) on a malformed record.
 */
export function parsePaxRecords(data: Buffer, where: string): PaxRecord[] {
  const records: PaxRecord[] = [];
  let at = 0;
  while (at < data.length) {
    if (data[at] === 0) {
      if (data.subarray(at).every((byte) => byte === 0)) break;
      throw malformed(where, at, 'NUL byte between records');
    }
    let length = 0;
    let digitsEnd = at;
    while (digitsEnd < data.length && data[digitsEnd]! >= 0x30 && data[digitsEnd]! <= 0x39) {
      length = length * 10 + (data[digitsEnd]! - 0x30);
      digitsEnd++;
      if (digitsEnd - at > MAX_LENGTH_DIGITS) throw malformed(where, at, 'record length has too many digits');
    }
    if (digitsEnd === at || data[digitsEnd] !== SPACE) throw malformed(where, at, 'record does not start with "<length> "');
    const recordEnd = at + length;
    // The shortest record is "<length> k=\n".
    if (length < digitsEnd - at + 4) throw malformed(where, at, `record length ${length} is too small`);
    if (recordEnd > data.length) throw malformed(where, at, `record length ${length} runs past the end of the header data (${data.length - at} left)`);
    if (data[recordEnd - 1] !== NEWLINE) throw malformed(where, at, `record of length ${length} does not end with a newline`);
    const keyStart = digitsEnd + 1;
    const equals = data.indexOf(EQUALS, keyStart);
    if (equals === -1 || equals >= recordEnd - 1) throw malformed(where, at, 'record has no "="');
    if (equals === keyStart) throw malformed(where, at, 'record has an empty keyword');
    const key = data.toString('latin1', keyStart, equals);
    if (key.includes('\0') || key.includes('\n')) throw malformed(where, at, 'keyword contains a NUL or newline');
    records.push({ key, value: data.subarray(equals + 1, recordEnd - 1) });
    at = recordEnd;
  }
  return records;
}

function malformed(where: string, recordAt: number, reason: string): AmikitError {
  return new AmikitError('INPUT_FORMAT', `${where}: malformed PAX record at byte ${recordAt} of the extended header: ${reason}`);
}

/** Encodes one record; the length prefix counts itself, so it is found by iteration. */
export function encodePaxRecord(key: string, value: Buffer | string): Buffer {
  const keyBytes = Buffer.from(key, 'latin1');
  const valueBytes = typeof value === 'string' ? Buffer.from(value, 'latin1') : value;
  const bodyBytes = 1 + keyBytes.length + 1 + valueBytes.length + 1; // " " key "=" value "\n"
  let length = bodyBytes + 1;
  while (String(length).length + bodyBytes !== length) length = String(length).length + bodyBytes;
  return Buffer.concat([Buffer.from(`${length} `, 'latin1'), keyBytes, Buffer.from('='), valueBytes, Buffer.from('\n')]);
}

export function encodePaxRecords(records: readonly PaxRecord[]): Buffer {
  return Buffer.concat(records.map((record) => encodePaxRecord(record.key, record.value)));
}

/** Parses a decimal PAX value (size, uid, gid, sparse numbers): digits only, a safe integer. */
export function parsePaxDecimal(value: Buffer, key: string, where: string): number {
  const text = value.toString('latin1');
  if (!/^[0-9]{1,16}$/.test(text) || !Number.isSafeInteger(Number(text))) {
    throw new AmikitError('INPUT_FORMAT', `${where}: PAX record '${key}' is not a non-negative integer: '${printable(text)}'`);
  }
  return Number(text);
}

/** Parses a PAX time ("-12.5", "1700000000.123456789") into seconds and nanoseconds (0 ≤ nsec < 1e9). */
export function parsePaxTime(value: Buffer, key: string, where: string): { sec: number; nsec: number } {
  const fast = parsePaxTimeInPlace(value);
  if (fast !== undefined) return fast;
  const text = value.toString('latin1');
  const match = /^(-?)([0-9]{1,16})(?:\.([0-9]*))?$/.exec(text);
  if (!match || !Number.isSafeInteger(Number(match[2]))) {
    throw new AmikitError('INPUT_FORMAT', `${where}: PAX record '${key}' is not a time: '${printable(text)}'`);
  }
  const negative = match[1] === '-';
  const whole = Number(match[2]);
  // Digits beyond nanoseconds are truncated, as GNU tar does.
  const nsec = Number(((match[3] ?? '') + '000000000').slice(0, 9));
  if (!negative) return { sec: whole, nsec };
  return nsec === 0 ? { sec: whole === 0 ? 0 : -whole, nsec: 0 } : { sec: -whole - 1, nsec: 1_000_000_000 - nsec };
}

/**
 * parsePaxTime for the values tar writers produce (up to 15 integer digits, always a safe integer),
 * read from the bytes without a string, a regex match or padding strings: GNU tar gives every member
 * atime and ctime records, so this runs twice per member. Anything else returns undefined and takes
 * the general parser (same results, same errors).
 */
function parsePaxTimeInPlace(value: Buffer): { sec: number; nsec: number } | undefined {
  const length = value.length;
  let i = 0;
  const negative = length > 0 && value[0] === 0x2d;
  if (negative) i = 1;
  const digitsStart = i;
  let whole = 0;
  for (; i < length; i++) {
    const c = value[i]!;
    if (c < 0x30 || c > 0x39) break;
    whole = whole * 10 + (c - 0x30);
  }
  if (i === digitsStart || i - digitsStart > 15) return undefined;
  let nsec = 0;
  if (i < length) {
    if (value[i] !== 0x2e) return undefined;
    let fractionDigits = 0;
    for (i++; i < length; i++) {
      const c = value[i]!;
      if (c < 0x30 || c > 0x39) return undefined;
      // Digits beyond nanoseconds are truncated, as GNU tar does.
      if (fractionDigits < 9) {
        nsec = nsec * 10 + (c - 0x30);
        fractionDigits++;
      }
    }
    for (; fractionDigits < 9; fractionDigits++) nsec *= 10;
  }
  if (!negative) return { sec: whole, nsec };
  return nsec === 0 ? { sec: whole === 0 ? 0 : -whole, nsec: 0 } : { sec: -whole - 1, nsec: 1_000_000_000 - nsec };
}

/** Formats seconds and nanoseconds as a PAX time: whole seconds, or nine fraction digits. */
export function formatPaxTime(sec: number, nsec: number): string {
  if (nsec === 0) return String(sec);
  // A negative time with a fraction is sec + nsec/1e9 = -(|sec| - 1) - (1e9 - nsec)/1e9.
  const [whole, fraction, sign] = sec < 0 ? [-(sec + 1), 1_000_000_000 - nsec, '-'] : [sec, nsec, ''];
  return `${sign}${whole}.${String(fraction).padStart(9, '0')}`;
}

function printable(text: string): string {
  const shown = text.length > 40 ? text.slice(0, 40) + '…' : text;
  return shown.replace(/[^\x20-\x7e]|'/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}
