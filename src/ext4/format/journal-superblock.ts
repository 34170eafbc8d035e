// The jbd2 journal superblock, v2 (journal.rst): big-endian, in block 0 of the journal inode.
import { JBD2_MAGIC_NUMBER, JBD2_SUPERBLOCK_V2 } from './constants.js';
import { structCodec, type StructValue } from './struct-codec.js';

export const journalSuperblockCodec = structCodec(
  1024,
  [
    { name: 'h_magic', offset: 0x0, type: 'u32' },
    { name: 'h_blocktype', offset: 0x4, type: 'u32' },
    { name: 'h_sequence', offset: 0x8, type: 'u32' },
    { name: 's_blocksize', offset: 0xc, type: 'u32' },
    { name: 's_maxlen', offset: 0x10, type: 'u32' },
    { name: 's_first', offset: 0x14, type: 'u32' },
    { name: 's_sequence', offset: 0x18, type: 'u32' },
    { name: 's_start', offset: 0x1c, type: 'u32' },
    { name: 's_errno', offset: 0x20, type: 'u32' },
    { name: 's_feature_compat', offset: 0x24, type: 'u32' },
    { name: 's_feature_incompat', offset: 0x28, type: 'u32' },
    { name: 's_feature_ro_compat', offset: 0x2c, type: 'u32' },
    { name: 's_uuid', offset: 0x30, type: 'bytes:16' },
    { name: 's_nr_users', offset: 0x40, type: 'u32' },
    { name: 's_dynsuper', offset: 0x44, type: 'u32' },
    { name: 's_max_transaction', offset: 0x48, type: 'u32' },
    { name: 's_max_trans_data', offset: 0x4c, type: 'u32' },
    { name: 's_checksum_type', offset: 0x50, type: 'u8' },
    { name: 's_num_fc_blks', offset: 0x54, type: 'u32' },
    { name: 's_head', offset: 0x58, type: 'u32' },
    { name: 's_checksum', offset: 0xfc, type: 'u32' },
    { name: 's_users', offset: 0x100, type: 'bytes:768' },
  ],
  true,
);

/**
 * An empty, clean journal (s_start 0: nothing to replay) of `blockCount` blocks. No jbd2 checksum
 * features: the kernel turns on csum v3 itself when it mounts a metadata_csum filesystem.
 */
export function encodeJournalSuperblock(options: { blockSizeBytes: number; blockCount: number; uuid: Uint8Array }): Buffer {
  const value: StructValue = {
    h_magic: JBD2_MAGIC_NUMBER,
    h_blocktype: JBD2_SUPERBLOCK_V2,
    h_sequence: 0,
    s_blocksize: options.blockSizeBytes,
    s_maxlen: options.blockCount,
    s_first: 1,
    s_sequence: 1,
    s_start: 0,
    s_uuid: options.uuid,
    s_nr_users: 1,
  };
  return journalSuperblockCodec.encode(value, Buffer.alloc(1024));
}

export function decodeJournalSuperblock(buffer: Buffer): StructValue {
  return journalSuperblockCodec.decode(buffer);
}
