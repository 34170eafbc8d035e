// `amikit flatten`: layers → merged tree → one PAX tar in tree order (parents first, names in byte order,
// the first name of a hard-link group carries the data and later names link to it): deterministic.
import { TarWriter, type TarWriterEntry } from '../layers/tar/tar-writer.js';
import type { FileTree } from '../tree/file-tree.js';
import { storedBytesOf, type Node } from '../tree/node.js';
import { readContent } from '../tree/read-content.js';
import { displayPath } from '../tree/paths.js';
import { loadTree, type LoadTreeOptions } from './load-tree.js';
import type { ProgressListener } from './progress-event.js';
import { withTempOutput } from './temp-output.js';

export interface FlattenLayersOptions extends LoadTreeOptions {
  outputPath: string;
}

export interface FlattenLayersResult {
  output: string;
  entries: number;
  storedBytes: number;
  warnings: string[];
  createdParents: string[];
}

/** Batch size of writes to the output file. */
const WRITE_BATCH_BYTES = 1024 * 1024;

export async function flattenLayers(options: FlattenLayersOptions): Promise<FlattenLayersResult> {
  const loaded = await loadTree(options);
  try {
    const counts = await withTempOutput(options.outputPath, async (output) => {
      let positionBytes = 0;
      const writer = new TarWriter({
        write: async (bytes: Buffer) => {
          await output.handle.write(bytes, 0, bytes.length, positionBytes);
          positionBytes += bytes.length;
        },
      });
      const written = await writeTreeAsTar(loaded.tree, writer, {
        ...(options.onProgress ? { onProgress: options.onProgress } : {}),
        onWarning: (message) => {
          loaded.warnings.push(message);
          options.onWarning?.(message);
        },
      });
      await writer.finish();
      return written;
    });
    return {
      output: options.outputPath,
      ...counts,
      warnings: loaded.warnings,
      createdParents: loaded.createdParents,
    };
  } finally {
    await loaded.close();
  }
}

/** Writes every entry of `tree` to `writer` in walk order. */
export async function writeTreeAsTar(
  tree: FileTree,
  writer: TarWriter,
  events: { onProgress?: ProgressListener; onWarning?: (message: string) => void } = {},
): Promise<{ entries: number; storedBytes: number }> {
  const { onProgress, onWarning } = events;
  const firstPathOf = new Map<Node, string>();
  let totalBytes = 0;
  for (const { node } of tree.walk()) {
    if (node.kind === 'file' && !firstPathOf.has(node)) {
      firstPathOf.set(node, '');
      totalBytes += storedBytesOf(node);
    }
  }
  firstPathOf.clear();
  let entries = 0;
  let doneBytes = 0;
  const reuse = Buffer.allocUnsafe(WRITE_BATCH_BYTES);
  for (const { path, node } of tree.walk()) {
    const name = path === '/' ? './' : path.slice(1);
    const base: Omit<TarWriterEntry, 'type'> = {
      path: node.kind === 'dir' && path !== '/' ? `${name}/` : name,
      mode: node.meta.mode,
      uid: node.meta.uid,
      gid: node.meta.gid,
      mtime: node.meta.mtime,
      sizeBytes: 0,
      devMajor: 0,
      devMinor: 0,
      xattrs: node.meta.xattrs,
    };
    entries++;
    const firstPath = node.kind === 'dir' ? undefined : firstPathOf.get(node);
    if (firstPath !== undefined) {
      await writer.addEntry({ ...base, type: 'hardlink', linkTarget: firstPath, xattrs: new Map() });
      continue;
    }
    if (node.kind !== 'dir') firstPathOf.set(node, name);
    switch (node.kind) {
      case 'dir':
        await writer.addEntry({ ...base, type: 'dir' });
        break;
      case 'symlink':
        await writer.addEntry({ ...base, type: 'symlink', linkTarget: node.target.toString('latin1') });
        break;
      case 'char-device':
      case 'block-device':
        await writer.addEntry({ ...base, type: node.kind, devMajor: node.major, devMinor: node.minor });
        break;
      case 'fifo':
        await writer.addEntry({ ...base, type: node.kind });
        break;
      case 'socket':
        // No tar format has a socket type; GNU tar and bsdtar skip them too. Sockets are runtime
        // objects their servers recreate, so the image loses nothing a boot needs.
        entries--;
        onWarning?.(`${displayPath(path)}: sockets cannot be stored in a tar; skipped`);
        break;
      case 'file': {
        const file = node;
        const storedBytes = storedBytesOf(file);
        async function* data(): AsyncGenerator<Buffer> {
          for await (const chunk of readContent(file, reuse)) {
            doneBytes += chunk.length;
            onProgress?.({ phase: 'write tar', doneBytes, totalBytes });
            yield chunk;
          }
        }
        await writer.addEntry(
          { ...base, type: 'file', sizeBytes: file.sizeBytes, ...(file.segments ? { segments: file.segments } : {}) },
          storedBytes > 0 ? data() : undefined,
        );
        break;
      }
    }
  }
  return { entries, storedBytes: totalBytes };
}
