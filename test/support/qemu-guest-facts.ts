// What a booted guest says about how it booted — firmware, boot loader (systemd-boot's EFI variables and
// `bootctl status`), root mount and its PARTUUID, boot time, machine-id and SSH host keys — gathered with
// one SSH call and parsed into plain values the boot tests assert on.
import type { QemuGuest, SshKeyPair } from './qemu-boot.js';

/** The vendor GUID under which systemd-boot publishes its EFI variables (Boot Loader Interface). */
export const LOADER_VARIABLE_GUID = '4a67b082-0a4c-41cf-b6c7-440b29bb8c4f';

export interface GuestBootFacts {
  /** /sys/firmware/efi exists: the kernel was started by UEFI firmware. */
  efi: boolean;
  /** LoaderInfo, e.g. "systemd-boot 252.39-1~deb12u2"; undefined when no boot loader set it. */
  loaderInfo: string | undefined;
  /** LoaderDevicePartUUID: the partition the loader was started from (lower case). */
  loaderDevicePartUuid: string | undefined;
  /** LoaderEntrySelected: the boot entry systemd-boot booted. */
  loaderEntrySelected: string | undefined;
  /** `bootctl status` output (its firmware and boot loader sections). */
  bootctlStatus: string;
  rootSource: string;
  rootFsType: string;
  rootOptions: string[];
  /** PARTUUID of the device mounted on / (lower case), from blkid in the guest. */
  rootPartUuid: string;
  cmdline: string;
  /** Boot time in seconds since the epoch (btime in /proc/stat). */
  bootTimeSec: number;
  machineId: string;
  machineIdMtimeSec: number;
  /** Source of a mount on /etc/machine-id ('' when the file is not overmounted). */
  machineIdMount: string;
  hostKeys: { path: string; mtimeSec: number; fingerprint: string }[];
  /** Units that failed during boot (`systemctl --failed`), one per entry. */
  failedUnits: string[];
}

// Each fact on its own line as KEY=VALUE; multi-line or binary values are base64 encoded. efivarfs files
// cannot seek, so the 4 attribute bytes before a variable's value are skipped from a pipe.
const FACTS_SCRIPT = String.raw`
set -u
b64() { base64 -w0; echo; }
var() { f=/sys/firmware/efi/efivars/$1-${LOADER_VARIABLE_GUID}; if [ -r "$f" ]; then cat "$f" | tail -c +5 | b64; else echo; fi; }
printf 'efi=%s\n' "$(test -d /sys/firmware/efi && echo yes || echo no)"
printf 'loaderInfo='; var LoaderInfo
printf 'loaderDevicePartUuid='; var LoaderDevicePartUUID
printf 'loaderEntrySelected='; var LoaderEntrySelected
printf 'bootctl='; bootctl status --no-pager 2>&1 | b64
src=$(findmnt -no SOURCE /)
printf 'root=%s\n' "$(findmnt -no SOURCE,FSTYPE,OPTIONS /)"
printf 'rootPartUuid=%s\n' "$(blkid -s PARTUUID -o value "$src")"
printf 'cmdline=%s\n' "$(cat /proc/cmdline)"
printf 'btime=%s\n' "$(awk '$1 == "btime" { print $2 }' /proc/stat)"
printf 'machineId=%s\n' "$(cat /etc/machine-id)"
printf 'machineIdMtime=%s\n' "$(stat -c %Y /etc/machine-id)"
printf 'machineIdMount=%s\n' "$(findmnt -no SOURCE /etc/machine-id)"
for k in /etc/ssh/ssh_host_*_key; do
  [ -e "$k" ] && printf 'hostKey=%s %s %s\n' "$k" "$(stat -c %Y "$k")" "$(ssh-keygen -lf "$k.pub" | awk '{ print $2 }')"
done
printf 'failed='; systemctl --failed --no-legend --plain --no-pager 2>&1 | awk '{ print $1 }' | b64
`;

/** Collects `GuestBootFacts` from a running guest over SSH. */
export async function guestBootFacts(guest: QemuGuest, key: SshKeyPair): Promise<GuestBootFacts> {
  const result = await guest.ssh(key, 'sh -s', { input: FACTS_SCRIPT });
  if (result.exitCode !== 0) throw new Error(`collecting boot facts failed (exit ${result.exitCode}): ${result.stderr.trim()}`);
  const single = new Map<string, string>();
  const hostKeys: GuestBootFacts['hostKeys'] = [];
  for (const line of result.stdout.split('\n')) {
    const eq = line.indexOf('=');
    if (eq < 0) continue;
    const key = line.slice(0, eq);
    const value = line.slice(eq + 1);
    if (key === 'hostKey') {
      const [path = '', mtime = '', fingerprint = ''] = value.split(' ');
      hostKeys.push({ path, mtimeSec: Number(mtime), fingerprint });
    } else single.set(key, value);
  }
  const get = (key: string): string => {
    const value = single.get(key);
    if (value === undefined) throw new Error(`boot facts lack ${key}:\n${result.stdout}\n${result.stderr}`);
    return value;
  };
  const base64Text = (key: string): string => Buffer.from(get(key), 'base64').toString('utf8');
  // systemd-boot stores its variables as NUL-terminated UTF-16LE strings.
  const efiString = (key: string): string | undefined => {
    const raw = get(key);
    if (raw === '') return undefined;
    return Buffer.from(raw, 'base64').toString('utf16le').replace(/\0+$/, '');
  };
  const [rootSource = '', rootFsType = '', rootOptions = ''] = get('root').split(/\s+/);
  return {
    efi: get('efi') === 'yes',
    loaderInfo: efiString('loaderInfo'),
    loaderDevicePartUuid: efiString('loaderDevicePartUuid')?.toLowerCase(),
    loaderEntrySelected: efiString('loaderEntrySelected'),
    bootctlStatus: base64Text('bootctl'),
    rootSource,
    rootFsType,
    rootOptions: rootOptions.split(','),
    rootPartUuid: get('rootPartUuid').toLowerCase(),
    cmdline: get('cmdline'),
    bootTimeSec: Number(get('btime')),
    machineId: get('machineId'),
    machineIdMtimeSec: Number(get('machineIdMtime')),
    machineIdMount: get('machineIdMount'),
    hostKeys,
    failedUnits: base64Text('failed').split('\n').filter(Boolean),
  };
}
