import { describe, expect, it } from 'vitest';
import { makeMeta, type FileNode } from './node.js';
import { CONTENT_CHUNK_BYTES, readLogicalContent } from './read-content.js';

async function logical(file: FileNode): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of readLogicalContent(file)) {
    expect(chunk.length).toBeLessThanOrEqual(CONTENT_CHUNK_BYTES);
    parts.push(Buffer.from(chunk));
  }
  return Buffer.concat(parts);
}

describe('readLogicalContent', () => {
  it('puts stored bytes at their segments and zeros in the holes, a trailing hole included', async () => {
    const stored = Buffer.from('abcdefgh');
    const file: FileNode = {
      kind: 'file',
      meta: makeMeta(),
      sizeBytes: 3 * CONTENT_CHUNK_BYTES,
      content: { kind: 'bytes', bytes: stored },
      segments: [
        { offsetBytes: 10, lengthBytes: 3 },
        { offsetBytes: CONTENT_CHUNK_BYTES + 5, lengthBytes: 5 },
      ],
    };
    const expected = Buffer.alloc(3 * CONTENT_CHUNK_BYTES);
    expected.write('abc', 10, 'latin1');
    expected.write('defgh', CONTENT_CHUNK_BYTES + 5, 'latin1');
    expect((await logical(file)).equals(expected)).toBe(true);
  });

  it('reads a dense file as stored and an empty or all-hole file as zeros', async () => {
    const dense: FileNode = { kind: 'file', meta: makeMeta(), sizeBytes: 4, content: { kind: 'bytes', bytes: Buffer.from('data') } };
    expect((await logical(dense)).toString()).toBe('data');
    const hole: FileNode = { kind: 'file', meta: makeMeta(), sizeBytes: 7, content: { kind: 'bytes', bytes: Buffer.alloc(0) }, segments: [] };
    expect((await logical(hole)).equals(Buffer.alloc(7))).toBe(true);
  });
});
