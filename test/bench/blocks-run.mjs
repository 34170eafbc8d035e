// One measured amikit block-pipeline run for test/bench/blocks.mjs (uses dist/):
//   node blocks-run.mjs hash FILE            every block's SHA-256 + xxh64 and the LINEAR aggregate
//   node blocks-run.mjs zst FILE OUT LEVEL   a seekable .img.zst (xxh64 for its seek table, no SHA-256)
//   node blocks-run.mjs zst+sha FILE OUT LEVEL   the same plus SHA-256 and the LINEAR aggregate
// Prints one JSON line with the block summary.
import { RawImageSource } from '../../dist/blocks/block-source.js';
import { pumpBlocks } from '../../dist/blocks/block-sink.js';
import { SeekableZstdSink } from '../../dist/sinks/seekable-zstd-sink.js';

const [mode, file, out, level] = process.argv.slice(2);
const source = await RawImageSource.open(file);
const sinks = mode.startsWith('zst') ? [await SeekableZstdSink.create(out, { zstdLevel: Number(level ?? 1) })] : [];
const result = await pumpBlocks(source, sinks, { sha256: mode !== 'zst' });
await source.close();
process.stdout.write(JSON.stringify(result) + '\n');
