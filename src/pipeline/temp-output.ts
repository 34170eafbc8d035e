// Output files are written under a temporary name beside the final one and renamed only when complete,
// so an interrupted or failed run never leaves a half-written file under the final name.
import { randomBytes } from 'node:crypto';
import { constants, unlinkSync } from 'node:fs';
import { open, rename, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { ioError } from '../shared/errors.js';

/** Temp files still open, so a signal handler can remove them before the process exits. */
const pending = new Set<TempOutput>();
/**
 * Every temp path from just before its creation until commit or discard: a signal may land while the
 * open is in flight, before the TempOutput exists, and the file must not survive that either.
 */
const pendingPaths = new Set<string>();

export class TempOutput {
  private done = false;
  private direct: FileHandle | undefined;

  private constructor(
    readonly finalPath: string,
    readonly tempPath: string,
    readonly handle: FileHandle,
  ) {}

  /** Creates `.<name>.amikit-tmp-<random>` in the final file's directory (same filesystem, so rename is atomic). */
  static async create(finalPath: string): Promise<TempOutput> {
    const tempPath = join(dirname(finalPath), `.${basename(finalPath)}.amikit-tmp-${randomBytes(6).toString('hex')}`);
    let handle: FileHandle;
    pendingPaths.add(tempPath);
    try {
      handle = await open(tempPath, 'wx', 0o644);
    } catch (error) {
      pendingPaths.delete(tempPath);
      throw ioError('create output next to', finalPath, error);
    }
    const output = new TempOutput(finalPath, tempPath, handle);
    pending.add(output);
    return output;
  }

  /**
   * A second handle on the temp file opened with O_DIRECT, or undefined where the platform or the
   * filesystem has none. Large aligned writes through it skip the page cache: a multi-GiB image is
   * written once and then read by something else (a copy, an upload, a VM), so staging it as dirty
   * pages only costs memory, and on virtual machines that hand free memory back to the host, each
   * fresh page-cache page costs a fault in the host as well: buffered, writing the 644 MiB Debian
   * image took 1.9 s of system time on such a machine, direct 0.06 s (test/bench/README.md). Only for
   * outputs that are kept; a scratch file read back at once is better served by the page cache.
   */
  async openDirect(): Promise<FileHandle | undefined> {
    if (this.direct || constants.O_DIRECT === undefined) return this.direct;
    try {
      this.direct = await open(this.tempPath, constants.O_WRONLY | constants.O_DIRECT);
    } catch {
      // EINVAL (a filesystem without direct I/O) or any other refusal: buffered writes still work.
    }
    return this.direct;
  }

  private async closeDirect(): Promise<void> {
    const direct = this.direct;
    this.direct = undefined;
    await direct?.close();
  }

  /** Closes the file and renames it to its final name. */
  async commit(): Promise<void> {
    if (this.done) return;
    try {
      await this.closeDirect();
      await this.handle.close();
      await rename(this.tempPath, this.finalPath);
    } catch (error) {
      await this.discard();
      throw ioError('write', this.finalPath, error);
    }
    this.done = true;
    pending.delete(this);
    pendingPaths.delete(this.tempPath);
  }

  /** Closes and removes the temporary file; safe to call more than once. */
  async discard(): Promise<void> {
    if (this.done) return;
    this.done = true;
    pending.delete(this);
    await this.closeDirect().catch(() => undefined);
    await this.handle.close().catch(() => undefined);
    await unlink(this.tempPath).catch(() => undefined);
    pendingPaths.delete(this.tempPath);
  }
}

/** Runs `body` with a temp output that is committed on success and discarded on any failure. */
export async function withTempOutput<T>(finalPath: string, body: (output: TempOutput) => Promise<T>): Promise<T> {
  const output = await TempOutput.create(finalPath);
  try {
    const result = await body(output);
    await output.commit();
    return result;
  } catch (error) {
    await output.discard();
    throw error;
  }
}

/** Removes every pending temp output (called on SIGINT/SIGTERM). */
export async function discardAllTempOutputs(): Promise<void> {
  await Promise.all([...pending].map((output) => output.discard()));
  discardAllTempOutputsSync();
}

/**
 * Removes every pending temp output synchronously: the last resort on process exit (an uncaught error,
 * a closed stderr pipe), when no asynchronous cleanup can run any more.
 */
export function discardAllTempOutputsSync(): void {
  for (const path of pendingPaths) {
    try {
      unlinkSync(path);
    } catch {
      // Already gone, or its open never completed: nothing to clean.
    }
  }
  pendingPaths.clear();
  pending.clear();
}
