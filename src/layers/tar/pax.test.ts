import { describe, expect, it } from 'vitest';
import { encodePaxRecord, formatPaxTime, parsePaxDecimal, parsePaxRecords, parsePaxTime } from './pax.js';

const where = 't.tar: offset 512';

describe('parsePaxRecords', () => {
  it('parses records with raw (non-UTF-8, newline-containing) values', () => {
    const data = Buffer.concat([
      encodePaxRecord('path', Buffer.from([0x61, 0xff, 0x0a, 0x62])),
      encodePaxRecord('SCHILY.xattr.user.x', Buffer.from([0, 1, 2])),
      encodePaxRecord('hdrcharset', 'BINARY'),
      Buffer.alloc(20),
    ]);
    const records = parsePaxRecords(data, where);
    expect(records.map((record) => record.key)).toEqual(['path', 'SCHILY.xattr.user.x', 'hdrcharset']);
    expect(records[0]!.value).toEqual(Buffer.from([0x61, 0xff, 0x0a, 0x62]));
    expect(records[1]!.value).toEqual(Buffer.from([0, 1, 2]));
  });

  it('refuses malformed records with a message naming the header', () => {
    const bad = (text: string) => () => parsePaxRecords(Buffer.from(text, 'latin1'), where);
    expect(bad('12 path=abcX\n')).toThrow(/^t\.tar: offset 512: malformed PAX record at byte 0 of the extended header: .*newline/);
    expect(bad('99 path=abc\n')).toThrow(/runs past the end/);
    expect(bad('x path=abc\n')).toThrow(/does not start with/);
    expect(bad('11 pathabc\n')).toThrow(/no "="/);
    expect(bad('5 =a\n')).toThrow(/empty keyword/);
    expect(bad('3 \n')).toThrow(/too small/);
    expect(bad('11 path=ab\n\0x')).toThrow(/NUL byte between records/);
    expect(bad('99999999999999999 a=b\n')).toThrow(/too many digits|runs past/);
  });
});

describe('encodePaxRecord', () => {
  it('counts the length prefix itself, also across a digit boundary', () => {
    for (let valueLength = 80; valueLength < 110; valueLength++) {
      const record = encodePaxRecord('k', 'v'.repeat(valueLength));
      expect(Number(record.toString('latin1').split(' ')[0])).toBe(record.length);
      expect(parsePaxRecords(record, where)[0]!.value.length).toBe(valueLength);
    }
  });
});

describe('PAX numbers and times', () => {
  it('parses decimals strictly', () => {
    expect(parsePaxDecimal(Buffer.from('10737418240'), 'size', where)).toBe(10737418240);
    expect(() => parsePaxDecimal(Buffer.from('-1'), 'size', where)).toThrow(/^t\.tar: offset 512: PAX record 'size' is not a non-negative integer/);
    expect(() => parsePaxDecimal(Buffer.from('1e3'), 'size', where)).toThrow(/not a non-negative integer/);
    expect(() => parsePaxDecimal(Buffer.from('99999999999999999999'), 'size', where)).toThrow(/not a non-negative integer/);
  });

  it('parses fractional and negative times to seconds and nanoseconds', () => {
    expect(parsePaxTime(Buffer.from('1700000000.123456789'), 'mtime', where)).toEqual({ sec: 1_700_000_000, nsec: 123_456_789 });
    expect(parsePaxTime(Buffer.from('1.5'), 'mtime', where)).toEqual({ sec: 1, nsec: 500_000_000 });
    expect(parsePaxTime(Buffer.from('1.1234567891'), 'mtime', where)).toEqual({ sec: 1, nsec: 123_456_789 });
    expect(parsePaxTime(Buffer.from('-1.25'), 'mtime', where)).toEqual({ sec: -2, nsec: 750_000_000 });
    expect(parsePaxTime(Buffer.from('-0.5'), 'mtime', where)).toEqual({ sec: -1, nsec: 500_000_000 });
    expect(parsePaxTime(Buffer.from('-7'), 'mtime', where)).toEqual({ sec: -7, nsec: 0 });
    expect(() => parsePaxTime(Buffer.from('soon'), 'mtime', where)).toThrow(/is not a time/);
  });

  it('formats times so that they parse back', () => {
    for (const time of [
      { sec: 0, nsec: 0 },
      { sec: 1_700_000_000, nsec: 1 },
      { sec: -2, nsec: 750_000_000 },
      { sec: -1, nsec: 999_999_999 },
      { sec: 9_000_000_000, nsec: 500_000_000 },
    ]) {
      expect(parsePaxTime(Buffer.from(formatPaxTime(time.sec, time.nsec)), 'mtime', where)).toEqual(time);
    }
    expect(formatPaxTime(-2, 750_000_000)).toBe('-1.250000000');
    expect(formatPaxTime(5, 10)).toBe('5.000000010');
  });
});
