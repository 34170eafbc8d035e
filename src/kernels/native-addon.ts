// Loads the optional Node-API addon (native/, built by `npm install`) once. Absent or broken ⇒ undefined
// and the reason, so every kernel falls back to its JS reference and `--version --verbose` says why.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/** The functions native/addon.c exports; each kernel mirrors a JS reference implementation in src/kernels/. */
export interface NativeAddon {
  crc32c(seed: number, data: Uint8Array): number;
  crc32cIsHardware(): boolean;
  /** XXH64 (seed 0) of data; SHA-256 of data into sha256Out (32 bytes) unless it is null. */
  hashBlock(data: Uint8Array, sha256Out: Uint8Array | null): bigint;
  /** lseek SEEK_DATA (data = true) or SEEK_HOLE: the offset, -1 past the last data, -2 - errno on failure. */
  seekExtent(fd: number, offset: number, data: boolean): number;
  /** posix_fadvise(POSIX_FADV_WILLNEED): starts readahead of the range, returns 0 or an errno at once. */
  adviseWillNeed(fd: number, offset: number, length: number): number;
  /** mallopt M_TRIM_THRESHOLD and M_MMAP_THRESHOLD (glibc); true when both took effect. */
  keepFreedMemory(trimThresholdBytes: number, mmapThresholdBytes: number): boolean;
}

export interface NativeAddonStatus {
  addon: NativeAddon | undefined;
  /** Why the addon is not in use (undefined when it is). */
  reason: string | undefined;
  path: string;
}

// Same relative path from src/kernels (tests) and dist/kernels (the installed CLI).
const ADDON_PATH = fileURLToPath(new URL('../../native/build/Release/amikit_native.node', import.meta.url));

let status: NativeAddonStatus | undefined;

/** The addon when it loads; `AMIKIT_NO_NATIVE=1` forces the JS references (for comparison runs). */
export function nativeAddon(): NativeAddonStatus {
  status ??= load();
  return status;
}

function load(): NativeAddonStatus {
  if (process.env['AMIKIT_NO_NATIVE'] === '1') return { addon: undefined, reason: 'disabled by AMIKIT_NO_NATIVE=1', path: ADDON_PATH };
  if (!existsSync(ADDON_PATH)) return { addon: undefined, reason: `addon not built (${ADDON_PATH} missing; run npm install)`, path: ADDON_PATH };
  try {
    const addon = createRequire(import.meta.url)(ADDON_PATH) as NativeAddon;
    return { addon, reason: undefined, path: ADDON_PATH };
  } catch (error) {
    return { addon: undefined, reason: `addon failed to load: ${(error as Error).message.split('\n')[0]}`, path: ADDON_PATH };
  }
}
