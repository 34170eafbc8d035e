import { describe, expect, it } from 'vitest';
import { NO_XATTRS } from '../tree/node.js';
import { ImageEditor, globRegExp } from './image-editor.js';
import { makeTree } from './op-test-harness.js';

describe('ImageEditor', () => {
  const editor = (spec: Parameters<typeof makeTree>[0]) => {
    const changes: string[] = [];
    return { edit: new ImageEditor(makeTree(spec), (c) => changes.push(`${c.action} ${c.path}`), 5), changes };
  };

  it('resolves symlinks chroot-style and refuses targets that climb above the root', () => {
    const { edit } = editor({ '/a/b': { link: '../c' }, '/c/f': 'x', '/abs': { link: '/c' }, '/up': { link: '../../etc' }, '/deep/up': { link: '../../..' } });
    expect(edit.resolve('/a/b/f')).toMatchObject({ path: '/c/f' });
    expect(edit.resolve('/abs/f')).toMatchObject({ path: '/c/f' });
    expect(() => edit.resolve('/up/passwd')).toThrow(/symlink \/up -> \.\.\/\.\.\/etc leads outside the image/);
    expect(() => edit.resolve('/deep/up/x')).toThrow(/leads outside/);
    expect(edit.resolve('/missing/x')).toBeUndefined();
  });

  it('globs with *, ? and [..] and records only real changes', () => {
    const { edit, changes } = editor({ '/e/a1': 'x', '/e/b2': 'x', '/e/.h': 'x' });
    expect(edit.glob('/e/*')).toEqual(['/e/.h', '/e/a1', '/e/b2']);
    expect(edit.glob('/e/[ab]?')).toEqual(['/e/a1', '/e/b2']);
    expect(globRegExp('[!a]*').test('b')).toBe(true);
    edit.writeText('/e/a1', 'x');
    edit.writeText('/e/a1', 'y');
    edit.writeText('/e/a1', 'y');
    expect(changes).toEqual(['modified /e/a1']);
  });

  it('sets and removes xattrs on nodes that share NO_XATTRS without touching the shared map', () => {
    const { edit, changes } = editor({ '/a': 'x', '/b': 'y' });
    const a = edit.tree.lookup('/a')!;
    const b = edit.tree.lookup('/b')!;
    a.meta.xattrs = NO_XATTRS;
    b.meta.xattrs = NO_XATTRS;
    expect(() => NO_XATTRS.set('user.x', Buffer.from('1'))).toThrow(/shared/);
    edit.setXattr('/a', 'security.selinux', Buffer.from('system_u:object_r:etc_t:s0\0'));
    expect(a.meta.xattrs.get('security.selinux')?.toString()).toBe('system_u:object_r:etc_t:s0\0');
    expect(b.meta.xattrs.size).toBe(0);
    expect(NO_XATTRS.size).toBe(0);
    edit.setXattr('/a', 'security.selinux', undefined);
    expect(a.meta.xattrs.size).toBe(0);
    expect(changes).toEqual(['modified /a', 'modified /a']);
  });
});
