// `amikit inspect` and `amikit diff` on the real Debian rootfs: every reported fact checked against what GNU
// tar and the shell read from the same tar, and a diff against a flattened copy with exactly three known
// changes (content, mode only, xattr only) reporting exactly those.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { debianRootfsSkipReason, debianRootfsTar } from '../support/debian-rootfs.js';
import { runCli } from '../support/run-cli.js';
import { runOk, tempDir, toolSkipReason } from '../support/tools.js';

const skip = toolSkipReason('tar', 'bash', 'setfattr');

async function member(tar: string, path: string): Promise<string> {
  return (await runOk('tar', ['-xOf', tar, `./${path}`])).stdout;
}

interface Inspection {
  os: { id: string; versionId: string; prettyName: string; versionCodename: string; source: string };
  hostname: string;
  machineId: { state: string; dbus: string };
  kernels: Array<{ version: string; images: string[]; initrds: string[]; modules?: string }>;
  users: Array<{ name: string; uid: number; shell: string; loginShell: boolean; authorizedKeys: number }>;
  swap: { fstab: unknown[]; files: unknown[]; units: string[]; zram: string[] };
  sysprep: { changes: number; operations: Array<{ name: string; changes: Array<{ action: string; path: string }> }>; kernelArguments: string[] };
  tree: { entries: number };
}

describe.skipIf(skip)(`inspect and diff on the Debian rootfs${skip ? ` (skipped: ${skip})` : ''}`, () => {
  it('inspect reports what the tar holds', async (ctx) => {
    const tar = await debianRootfsTar();
    if (!tar) return ctx.skip(debianRootfsSkipReason());
    const result = await runCli(['inspect', tar, '--json']);
    expect(result.exitCode, result.stderr).toBe(0);
    const facts = JSON.parse(result.stdout) as Inspection;

    // os-release read by the shell, as systemd documents it may be (a symlink into /usr/lib here).
    const dir = (await tempDir('inspect-debian')).path;
    await writeFile(join(dir, 'os-release'), await member(tar, 'usr/lib/os-release'));
    const shell = (await runOk('bash', ['-c', '. "$1"; printf "%s\\n" "$ID" "$VERSION_ID" "$PRETTY_NAME" "$VERSION_CODENAME"', '-', join(dir, 'os-release')])).stdout.split('\n');
    expect(facts.os).toMatchObject({ id: shell[0], versionId: shell[1], prettyName: shell[2], versionCodename: shell[3], source: '/usr/lib/os-release' });

    expect(facts.hostname).toBe((await member(tar, 'etc/hostname')).trim());
    const machineId = await member(tar, 'etc/machine-id');
    expect(facts.machineId.state).toBe(machineId.trim() === '' ? 'empty' : machineId.trim() === 'uninitialized' ? 'uninitialized' : 'set');

    const names = (await runOk('tar', ['-tf', tar])).stdout.split('\n');
    const versions = names.map((n) => /^\.\/boot\/vmlinuz-(.+)$/.exec(n)?.[1]).filter((v): v is string => v !== undefined).sort();
    expect(versions.length).toBeGreaterThan(0);
    expect(facts.kernels.map((k) => k.version)).toEqual(versions);
    for (const kernel of facts.kernels) {
      expect(kernel.images).toEqual([`/boot/vmlinuz-${kernel.version}`]);
      expect(kernel.initrds).toEqual(names.includes(`./boot/initrd.img-${kernel.version}`) ? [`/boot/initrd.img-${kernel.version}`] : []);
      expect(kernel.modules).toBe(names.some((n) => n.startsWith(`./usr/lib/modules/${kernel.version}/`)) ? `/usr/lib/modules/${kernel.version}` : undefined);
    }

    // Users whose shell /etc/shells lists (awk over the same files); nobody has keys in the base image.
    await writeFile(join(dir, 'passwd'), await member(tar, 'etc/passwd'));
    await writeFile(join(dir, 'shells'), await member(tar, 'etc/shells'));
    const awk = await runOk('awk', ['-F:', 'NR==FNR { if ($0 !~ /^#/ && $0 != "") ok[$0]=1; next } ($7 in ok) { print $1 ":" $3 ":" $7 }', join(dir, 'shells'), join(dir, 'passwd')]);
    expect(facts.users.map((u) => `${u.name}:${u.uid}:${u.shell}`)).toEqual(awk.stdout.split('\n').filter((l) => l !== ''));
    expect(facts.users.every((u) => u.loginShell && u.authorizedKeys === 0)).toBe(true);

    const fstab = await member(tar, 'etc/fstab').catch(() => '');
    expect(facts.swap.fstab).toEqual(fstab.split('\n').some((l) => /^\s*[^#\s]+\s+\S+\s+swap\s/.test(l)) ? expect.any(Array) : []);
    expect(facts.swap.files).toEqual([]);

    // The preview is what a real --sysprep build reports: run it as a dry run and compare the change lists.
    const dry = await runCli(['build', '--layer', tar, '--sysprep', '--dry-run', '--json']);
    expect(dry.exitCode, dry.stderr).toBe(0);
    const dryReport = JSON.parse(dry.stdout) as { customization: Inspection['sysprep'] };
    const list = (ops: Inspection['sysprep']['operations']): string[] => ops.flatMap((op) => op.changes.map((c) => `${op.name} ${c.action} ${c.path}`));
    expect(list(facts.sysprep.operations)).toEqual(list(dryReport.customization.operations));
    expect(facts.sysprep.changes).toBeGreaterThan(0);
    expect(facts.sysprep.kernelArguments).toEqual(dryReport.customization.kernelArguments);
    expect(facts.tree.entries).toBe(names.filter((n) => n !== '').length);
  });

  it('diff against a flattened copy with one content change, one mode-only change and one xattr-only change reports exactly those', async (ctx) => {
    const tar = await debianRootfsTar();
    if (!tar) return ctx.skip(debianRootfsSkipReason());
    const dir = (await tempDir('diff-debian')).path;
    const upper = join(dir, 'upper');
    await mkdir(join(upper, 'etc'), { recursive: true });
    const hostname = await member(tar, 'etc/hostname');
    // Same size, one byte different: decided by content, not by size.
    await writeFile(join(upper, 'etc/hostname'), hostname.slice(0, -2) + (hostname.at(-2) === 'x' ? 'y' : 'x') + '\n');
    await writeFile(join(upper, 'etc/debian_version'), await member(tar, 'etc/debian_version'));
    await writeFile(join(upper, 'etc/issue.net'), await member(tar, 'etc/issue.net'));
    await runOk('chmod', ['0755', join(upper, 'etc/hostname')]);
    await runOk('chmod', ['0600', join(upper, 'etc/debian_version')]);
    await runOk('chmod', ['0644', join(upper, 'etc/issue.net')]);
    await runOk('setfattr', ['-n', 'user.origin', '-v', 'upper', join(upper, 'etc/issue.net')]);
    const listing = (await runOk('tar', ['-tvf', tar, './etc/hostname', './etc/debian_version', './etc/issue.net'])).stdout;
    expect(listing).toMatch(/^-rwxr-xr-x .*etc\/hostname$/m); // the fixture's modes the upper layer keeps or changes
    expect(listing).toMatch(/^-rw-r--r-- .*etc\/debian_version$/m);
    expect(listing).toMatch(/^-rw-r--r-- .*etc\/issue\.net$/m);
    const upperTar = join(dir, 'upper.tar');
    await runOk('tar', ['--xattrs', '--xattrs-include=user.*', '--numeric-owner', '--owner=0', '--group=0', '--format=pax', '-C', upper, '-cf', upperTar, 'etc/hostname', 'etc/debian_version', 'etc/issue.net']);
    const changed = join(dir, 'changed.tar');
    const flat = await runCli(['flatten', '--layer', tar, '--layer', upperTar, '-o', changed]);
    expect(flat.exitCode, flat.stderr).toBe(0);

    const diff = await runCli(['diff', tar, changed, '--json']);
    expect(diff.exitCode, diff.stderr).toBe(0);
    const result = JSON.parse(diff.stdout) as { entries: Array<{ path: string; aspects: string[]; details: string[] }>; added: number; removed: number; changed: number };
    expect(result.entries.map((e) => [e.path, e.aspects])).toEqual([
      ['/etc/debian_version', ['mode']],
      ['/etc/hostname', ['content']],
      ['/etc/issue.net', ['xattrs']],
    ]);
    expect(result).toMatchObject({ added: 0, removed: 0, changed: 3 });
    const human = await runCli(['diff', tar, changed]);
    expect(human.stdout.split('\n').filter((l) => l !== '')).toEqual([
      '~ /etc/debian_version: mode 0644 → 0600',
      `~ /etc/hostname: content differs from byte ${hostname.length - 2}`,
      '~ /etc/issue.net: xattr user.origin added',
      '0 added, 0 removed, 3 changed',
    ]);
    // With times compared, the three replaced files differ in mtime too (the upper layer holds no /etc
    // entry, so the directory keeps the lower one's), and nothing else appears.
    const timed = JSON.parse((await runCli(['diff', tar, changed, '--mtime', '--json'])).stdout) as typeof result;
    expect(timed.entries.map((e) => [e.path, e.aspects])).toEqual([
      ['/etc/debian_version', ['mode', 'mtime']],
      ['/etc/hostname', ['content', 'mtime']],
      ['/etc/issue.net', ['xattrs', 'mtime']],
    ]);
  });

  it('diff of an input with itself is empty, and a bad input is one error line with exit 2', async (ctx) => {
    const tar = await debianRootfsTar();
    if (!tar) return ctx.skip(debianRootfsSkipReason());
    const same = await runCli(['diff', tar, tar]);
    expect(same.exitCode, same.stderr).toBe(0);
    expect(same.stdout).toBe('0 added, 0 removed, 0 changed\n');
    const dir = (await tempDir('diff-bad')).path;
    await writeFile(join(dir, 'junk.tar'), Buffer.alloc(1000, 0x41));
    const bad = await runCli(['diff', tar, join(dir, 'junk.tar')]);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr.split('\n').filter((l) => l !== '' && !l.startsWith('amikit: warning:'))).toEqual([expect.stringMatching(/^amikit: error: .*junk\.tar/)]);
  });
});
