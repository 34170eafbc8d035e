// Removes swap bound to the build host: fstab swap entries are commented out, swap files deleted, and
// `resume=` dropped from every boot-configuration source; `noresume` is recorded for the boot entry
// amikit writes (an initramfs cannot be rebuilt offline, and a stale resume= can hang boot, systemd#35180).
import type { CustomizeOperation } from '../operation.js';
import { editTextFile, splitLinesKeepEnds } from '../edit-text-file.js';

/** Where distributions and installers commonly place swap files. */
export const WELL_KNOWN_SWAPFILES = ['/swapfile', '/swap.img', '/swap/swapfile', '/var/swapfile'];
export const SWAP_COMMENT_PREFIX = '# amikit sysprep removed swap: ';

/** Drops `resume=` and `resume_offset=` arguments from a command-line-bearing line. */
export function dropResumeArguments(line: string): string {
  return line
    .replace(/[ \t]+resume(?:_offset)?=[^\s"']*/g, '')
    .replace(/(^|["'=])resume(?:_offset)?=[^\s"']*[ \t]*/g, '$1');
}

export const swap: CustomizeOperation = {
  name: 'swap',
  kind: 'strip',
  enabledByDefault: true,
  summary: 'comment out fstab swap, delete swap files, drop resume= from boot configuration',
  description:
    'Every `/etc/fstab` line of type `swap` is commented out (`# amikit sysprep removed swap: …`); swap files it named and `/swapfile`, `/swap.img`, `/swap/swapfile`, `/var/swapfile` are removed. `resume=`/`resume_offset=` are dropped from `/etc/default/grub` (and `grub.d/*.cfg`), `/boot/grub*/grub.cfg` kernel lines, `/boot/loader/entries/*.conf` options, `/boot/grub2/grubenv` (kept at 1024 bytes), `/etc/kernel/cmdline`; initramfs-tools `RESUME=` becomes `none`. `noresume` is recorded in the report for the boot entry amikit writes.',
  options: [],
  async apply(_tree, { edit, addKernelArgument }) {
    const swapFiles: string[] = [];
    await editTextFile(edit, '/etc/fstab', (text) =>
      splitLinesKeepEnds(text)
        .map((line) => {
          const fields = line.trim().split(/\s+/);
          if (line.trimStart().startsWith('#') || fields.length < 3 || fields[2] !== 'swap') return line;
          if (fields[0]!.startsWith('/')) swapFiles.push(fields[0]!);
          return SWAP_COMMENT_PREFIX + line;
        })
        .join(''),
    'swap entries commented out');
    for (const path of [...swapFiles, ...WELL_KNOWN_SWAPFILES]) {
      if (edit.lookup(path)?.kind === 'file') edit.remove(path, 'swap file');
    }
    const onLines = (match: RegExp) => (text: string) =>
      splitLinesKeepEnds(text)
        .map((line) => (match.test(line) ? dropResumeArguments(line) : line))
        .join('');
    const detail = 'resume= dropped';
    for (const path of ['/etc/default/grub', ...edit.glob('/etc/default/grub.d/*.cfg')]) {
      await editTextFile(edit, path, onLines(/^\s*GRUB_CMDLINE_LINUX/), detail);
    }
    for (const path of ['/boot/grub/grub.cfg', '/boot/grub2/grub.cfg', ...edit.glob('/boot/efi/EFI/*/grub.cfg')]) {
      await editTextFile(edit, path, onLines(/^\s*linux(efi|16)?\s/), detail);
    }
    for (const path of edit.glob('/boot/loader/entries/*.conf')) await editTextFile(edit, path, onLines(/^\s*options\s/), detail);
    await editTextFile(edit, '/etc/kernel/cmdline', onLines(/./), detail);
    // grubenv is a fixed 1024-byte block padded with '#': keep its size so GRUB still accepts it.
    await editTextFile(edit, '/boot/grub2/grubenv', (text) => {
      const edited = onLines(/^kernelopts=/)(text);
      if (edited === text || text.length !== 1024) return edited;
      const body = edited.replace(/#+$/, '');
      return body + '#'.repeat(Math.max(0, 1024 - body.length));
    }, detail);
    for (const path of ['/etc/initramfs-tools/conf.d/resume', '/etc/initramfs-tools/conf.d/zz-resume-auto']) {
      await editTextFile(edit, path, (text) => text.replace(/^(\s*RESUME=).*$/gm, (_m, key: string) => `${key}none`), 'RESUME=none');
    }
    addKernelArgument('noresume');
  },
};
