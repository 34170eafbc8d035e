// Whether the image runs SELinux, read from /etc/selinux/config as libselinux does (SELINUX=, SELINUXTYPE=),
// and the labels amikit writes itself (from the reference policy's ssh.fc and file_contexts conventions).
import type { ImageEditor } from './image-editor.js';

export interface SelinuxState {
  /** SELINUX=enforcing or permissive. */
  inUse: boolean;
  /** SELINUXTYPE (default "targeted"). */
  policyType: string;
  /** The policy's file_contexts is present, so labels written now match what setfiles would write. */
  policyPresent: boolean;
}

/** The label the policy gives ~/.ssh and its files (HOME_DIR/\.ssh(/.*)? and /root/\.ssh(/.*)?). */
export const SSH_HOME_LABEL = 'system_u:object_r:ssh_home_t:s0';

/** xattr value as the kernel stores a label set by setfiles: NUL-terminated. */
export function selinuxLabelValue(label: string): Buffer {
  return Buffer.from(label + '\0', 'latin1');
}

export async function readSelinuxState(edit: ImageEditor): Promise<SelinuxState> {
  const config = await edit.readText('/etc/selinux/config');
  if (config === undefined) return { inUse: false, policyType: 'targeted', policyPresent: false };
  let mode = '';
  let policyType = 'targeted';
  for (const line of config.split('\n')) {
    const match = /^\s*(SELINUX|SELINUXTYPE)\s*=\s*"?([^"\s#]*)"?/.exec(line);
    if (!match) continue;
    if (match[1] === 'SELINUX') mode = match[2]!.toLowerCase();
    else policyType = match[2]!;
  }
  const inUse = mode === 'enforcing' || mode === 'permissive';
  // A policy name is one path component; anything else cannot name a policy directory.
  if (!/^[A-Za-z0-9_.-]+$/.test(policyType) || policyType.startsWith('.')) return { inUse, policyType, policyPresent: false };
  const contexts = edit.resolve(`/etc/selinux/${policyType}/contexts/files/file_contexts`, true);
  return { inUse, policyType, policyPresent: inUse && contexts?.node?.kind === 'file' };
}
