import { describe, expect, it } from 'vitest';
import { expectIdempotent, makeTree, runOps, textAt } from '../op-test-harness.js';
import { dropResumeArguments, swap } from './swap.js';

describe('swap', () => {
  it('drops resume= tokens wherever they sit on a line', () => {
    expect(dropResumeArguments('GRUB_CMDLINE_LINUX_DEFAULT="quiet resume=UUID=ab-cd splash"')).toBe('GRUB_CMDLINE_LINUX_DEFAULT="quiet splash"');
    expect(dropResumeArguments('GRUB_CMDLINE_LINUX="resume=/dev/sda2 ro"')).toBe('GRUB_CMDLINE_LINUX="ro"');
    expect(dropResumeArguments('options root=UUID=x resume=UUID=y resume_offset=123 rw')).toBe('options root=UUID=x rw');
    expect(dropResumeArguments('noresume quiet')).toBe('noresume quiet');
  });

  it('comments out fstab swap, removes swap files, cleans boot configuration and records noresume', async () => {
    const grubenv = '# GRUB Environment Block\nkernelopts=root=/dev/sda1 resume=/dev/sda2 ro\n';
    const tree = makeTree({
      '/etc/fstab': 'UUID=root / ext4 defaults 0 1\n/swapfile none swap sw 0 0\nUUID=s none swap defaults 0 0\n# /old none swap sw 0 0\n',
      '/swapfile': 'x'.repeat(10),
      '/swap.img': 'y',
      '/etc/default/grub': 'GRUB_TIMEOUT=5\nGRUB_CMDLINE_LINUX_DEFAULT="quiet resume=UUID=s"\n',
      '/boot/grub/grub.cfg': 'menuentry x {\n\tlinux /vmlinuz root=UUID=root ro resume=UUID=s quiet\n}\n',
      '/boot/loader/entries/a.conf': 'title A\noptions root=UUID=root resume=UUID=s\n',
      '/boot/grub2/grubenv': grubenv + '#'.repeat(1024 - grubenv.length),
      '/etc/kernel/cmdline': 'resume=UUID=s root=UUID=root\n',
      '/etc/initramfs-tools/conf.d/resume': 'RESUME=UUID=s\n',
    });
    const report = await runOps([swap], tree);
    expect(textAt(tree, '/etc/fstab')).toBe(
      'UUID=root / ext4 defaults 0 1\n# amikit sysprep removed swap: /swapfile none swap sw 0 0\n# amikit sysprep removed swap: UUID=s none swap defaults 0 0\n# /old none swap sw 0 0\n',
    );
    expect(tree.lookup('/swapfile')).toBeUndefined();
    expect(tree.lookup('/swap.img')).toBeUndefined();
    expect(textAt(tree, '/etc/default/grub')).toBe('GRUB_TIMEOUT=5\nGRUB_CMDLINE_LINUX_DEFAULT="quiet"\n');
    expect(textAt(tree, '/boot/grub/grub.cfg')).toContain('\tlinux /vmlinuz root=UUID=root ro quiet\n');
    expect(textAt(tree, '/boot/loader/entries/a.conf')).toBe('title A\noptions root=UUID=root\n');
    const env = textAt(tree, '/boot/grub2/grubenv')!;
    expect(env.length).toBe(1024);
    expect(env).toContain('kernelopts=root=/dev/sda1 ro\n#');
    expect(textAt(tree, '/etc/kernel/cmdline')).toBe('root=UUID=root\n');
    expect(textAt(tree, '/etc/initramfs-tools/conf.d/resume')).toBe('RESUME=none\n');
    expect(report.kernelArguments).toEqual(['noresume']);
    await expectIdempotent(swap, tree);
  });
});
