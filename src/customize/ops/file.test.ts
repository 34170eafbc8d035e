import { describe, expect, it } from 'vitest';
import { expectIdempotent, makeTree, runOps, textAt } from '../op-test-harness.js';
import { file, parseFileSpec } from './file.js';

describe('file', () => {
  it('parses SRC:DEST[:MODE[:UID:GID]] with octal modes', () => {
    expect(parseFileSpec('a:/etc/a')).toEqual({ source: 'a', dest: '/etc/a' });
    expect(parseFileSpec('a:/etc/a:755:10:20')).toEqual({ source: 'a', dest: '/etc/a', ownership: { mode: 0o755, uid: 10, gid: 20 } });
    expect(() => parseFileSpec('a:etc/a')).toThrow(/absolute/);
    expect(() => parseFileSpec('a:/etc/a:999')).toThrow(/octal/);
    expect(() => parseFileSpec('a:/etc/a:0644:1')).toThrow(/number of fields/);
  });

  it('writes new files root 0644 (never the host owner), creates parents, keeps an existing file mode, copies into directories', async () => {
    const tree = makeTree({ '/etc/motd': { text: 'old', mode: 0o600, uid: 7 }, '/opt': { dir: true } });
    const hostFiles = { '/h/motd': 'hello\n', '/h/app.sh': '#!/bin/sh\n', '/h/conf': 'c\n' };
    const values = { file: ['/h/motd:/etc/motd', '/h/app.sh:/usr/local/bin/app:0755:1000:1000', '/h/conf:/opt/'] };
    await runOps([file], tree, values, { hostFiles });
    expect(textAt(tree, '/etc/motd')).toBe('hello\n');
    expect(tree.lookup('/etc/motd')?.meta).toMatchObject({ mode: 0o600, uid: 7 });
    expect(tree.lookup('/usr/local/bin/app')?.meta).toMatchObject({ mode: 0o755, uid: 1000, gid: 1000 });
    expect(tree.lookup('/usr/local/bin')?.meta).toMatchObject({ mode: 0o755, uid: 0 });
    expect(textAt(tree, '/opt/conf')).toBe('c\n');
    expect(tree.lookup('/opt/conf')?.meta).toMatchObject({ mode: 0o644, uid: 0, gid: 0 });
    await expectIdempotent(file, tree, values, { hostFiles });
  });

  it('without MODE gives a new file the host permission bits (set-id dropped), and leaves an existing file its own', async () => {
    const tree = makeTree({ '/etc/app.conf': { text: 'old', mode: 0o640 } });
    const hostFiles = { '/h/tool': '#!/bin/sh\n', '/h/suid': 'ELF', '/h/secret': 's', '/h/app.conf': 'new' };
    const hostModes = { '/h/tool': 0o755, '/h/suid': 0o4755, '/h/secret': 0o600, '/h/app.conf': 0o777 };
    const values = { file: ['/h/tool:/usr/local/bin/tool', '/h/suid:/usr/local/bin/suid', '/h/secret:/etc/secret', '/h/app.conf:/etc/app.conf'] };
    await runOps([file], tree, values, { hostFiles, hostModes });
    expect(tree.lookup('/usr/local/bin/tool')?.meta).toMatchObject({ mode: 0o755, uid: 0, gid: 0 });
    expect(tree.lookup('/usr/local/bin/suid')?.meta).toMatchObject({ mode: 0o755, uid: 0, gid: 0 });
    expect(tree.lookup('/etc/secret')?.meta).toMatchObject({ mode: 0o600, uid: 0, gid: 0 });
    expect(tree.lookup('/etc/app.conf')?.meta.mode).toBe(0o640);
    expect(textAt(tree, '/etc/app.conf')).toBe('new');
    await expectIdempotent(file, tree, values, { hostFiles, hostModes });
  });

  it('refuses a destination behind a symlink that leaves the image', async () => {
    const tree = makeTree({ '/etc/evil': { link: '../../../tmp' } });
    await expect(runOps([file], tree, { file: ['/h/x:/etc/evil/x'] }, { hostFiles: { '/h/x': 'x' } })).rejects.toMatchObject({ code: 'INPUT_UNSAFE' });
  });

  it('names the flag when the host file is missing', async () => {
    await expect(runOps([file], makeTree({}), { file: ['/nope:/x'] })).rejects.toMatchObject({ code: 'INPUT_NOT_FOUND', message: expect.stringMatching(/^--file: cannot read \/nope/) });
  });
});
