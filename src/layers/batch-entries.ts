// Groups a layer's per-entry walk into the batches Layer.entryBatches yields.
import type { LayerEntry } from './layer.js';

/** Entries per batch for layers that walk one entry at a time (directories, trees). */
const BATCH_ENTRIES = 256;

export async function* batchEntries(entries: AsyncIterable<LayerEntry>): AsyncGenerator<LayerEntry[]> {
  let batch: LayerEntry[] = [];
  for await (const entry of entries) {
    batch.push(entry);
    if (batch.length >= BATCH_ENTRIES) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}
