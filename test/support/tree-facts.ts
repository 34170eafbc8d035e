// One entry-by-entry model of a filesystem tree (type, mode, owner, ns mtime, link target, device,
// xattrs, content hash, hard-link group) with readers for a host directory, a GNU tar extraction and
// an ext4 image read through debugfs alone, and a comparison that lists every difference.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, readdir, readFile, readlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isRoot, run, runOk, tempDir, toolSkipReason } from './tools.js';

export type EntryType = 'file' | 'dir' | 'symlink' | 'char-device' | 'block-device' | 'fifo' | 'socket';

export interface EntryFacts {
  /** "/"-rooted byte string: each character is one raw byte (latin1), as src/tree/paths.ts uses. */
  path: string;
  type: EntryType;
  /** Permission bits with setuid/setgid/sticky (mask 0o7777). */
  mode: number;
  uid: number;
  gid: number;
  /** Files: logical size; symlinks: target length; everything else (dirs included): 0. */
  size: number;
  /** sec * 1e9 + nsec; negative before 1970. */
  mtimeNs: bigint;
  /** Symlink target as a byte string (latin1). */
  linkTarget?: string;
  major?: number;
  minor?: number;
  /** Name → hex value. POSIX ACLs appear as system.posix_acl_* in the kernel's VFS form (version 2). */
  xattrs: Record<string, string>;
  /** Hex SHA-256 of a regular file's content. */
  sha256?: string;
  /** For non-directories with more than one name: every name of the inode, sorted, '\n'-joined. */
  hardLinkGroup?: string;
}

export type TreeFacts = Map<string, EntryFacts>;

export interface CompareOptions {
  /** Paths to leave out on both sides (e.g. `(p) => p === '/lost+found'`). */
  ignore?: (path: string) => boolean;
  /** Fields not compared (e.g. ['mtimeNs'] when one side keeps only seconds). */
  ignoreFields?: (keyof EntryFacts)[];
}

const COMPARED_FIELDS: (keyof EntryFacts)[] = [
  'type',
  'mode',
  'uid',
  'gid',
  'size',
  'mtimeNs',
  'linkTarget',
  'major',
  'minor',
  'xattrs',
  'sha256',
  'hardLinkGroup',
];

/**
 * Every difference between two trees, one human-readable line each ("missing", "extra", or a field
 * with both values); [] when they agree. Directory sizes are never compared (they are 0 by model).
 * @example expect(compareTrees(expected, actual, { ignore: (p) => p.startsWith('/lost+found') })).toEqual([])
 */
export function compareTrees(expected: TreeFacts, actual: TreeFacts, options: CompareOptions = {}): string[] {
  const ignore = options.ignore ?? (() => false);
  const skipped = new Set(options.ignoreFields ?? []);
  const differences: string[] = [];
  const paths = [...new Set([...expected.keys(), ...actual.keys()])].sort();
  for (const path of paths) {
    if (ignore(path)) continue;
    const want = expected.get(path);
    const got = actual.get(path);
    if (!got) differences.push(`missing: ${showPath(path)} (${want?.type})`);
    else if (!want) differences.push(`extra: ${showPath(path)} (${got.type})`);
    else {
      for (const field of COMPARED_FIELDS) {
        if (skipped.has(field)) continue;
        const a = renderField(want[field]);
        const b = renderField(got[field]);
        if (a !== b) differences.push(`${showPath(path)}: ${field} expected ${a}, got ${b}`);
      }
    }
  }
  return differences;
}

function renderField(value: EntryFacts[keyof EntryFacts]): string {
  if (value === undefined) return '(none)';
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number') return String(value);
  if (typeof value === 'string') return JSON.stringify(showPath(value));
  const sorted = Object.keys(value)
    .sort()
    .map((name) => `${showPath(name)}=${value[name]}`);
  return `{${sorted.join(', ')}}`;
}

/** Byte-string path for messages: printable ASCII as is, every other byte as \xNN. */
export function showPath(path: string): string {
  let out = '';
  for (let i = 0; i < path.length; i++) {
    const code = path.charCodeAt(i);
    out += code >= 0x20 && code < 0x7f && code !== 0x5c ? path[i] : `\\x${code.toString(16).padStart(2, '0')}`;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------
// Host directories (and mounted images)

const S_IFMT = 0o170000;
const TYPE_BY_FORMAT: Readonly<Record<number, EntryType>> = {
  0o100000: 'file',
  0o040000: 'dir',
  0o120000: 'symlink',
  0o020000: 'char-device',
  0o060000: 'block-device',
  0o010000: 'fifo',
  0o140000: 'socket',
};

// Hashing many files at once keeps the disk busy without opening thousands of streams.
const HASH_CONCURRENCY = 8;

/**
 * Reads a host directory: lstat walk in byte order, streamed SHA-256 of files, ns mtimes, and all
 * xattrs (ACLs included) from one `getfattr -R` run. The root itself is the entry "/".
 * @throws when getfattr is missing (callers skip first with `toolSkipReason('getfattr')`).
 */
export async function readHostTree(dir: string): Promise<TreeFacts> {
  const facts: TreeFacts = new Map();
  const inodeNames = new Map<string, string[]>();
  const files: { path: string; hostPath: Buffer }[] = [];
  const rootBytes = Buffer.from(dir);

  const visit = async (hostPath: Buffer, path: string): Promise<void> => {
    const st = await lstat(hostPath, { bigint: true });
    const type = TYPE_BY_FORMAT[Number(st.mode) & S_IFMT];
    if (!type) throw new Error(`unknown file type ${st.mode.toString(8)} at ${showPath(path)}`);
    const entry: EntryFacts = {
      path,
      type,
      mode: Number(st.mode) & 0o7777,
      uid: Number(st.uid),
      gid: Number(st.gid),
      size: type === 'file' ? Number(st.size) : 0,
      mtimeNs: st.mtimeNs,
      xattrs: {},
    };
    if (type === 'symlink') {
      const target = await readlink(hostPath, { encoding: 'buffer' });
      entry.linkTarget = target.toString('latin1');
      entry.size = target.length;
    }
    if (type === 'char-device' || type === 'block-device') Object.assign(entry, splitDeviceNumber(st.rdev));
    if (type === 'file') files.push({ path, hostPath });
    if (type !== 'dir' && st.nlink > 1n) {
      const key = `${st.dev}:${st.ino}`;
      inodeNames.set(key, [...(inodeNames.get(key) ?? []), path]);
    }
    facts.set(path, entry);
    if (type === 'dir') {
      const names = (await readdir(hostPath, { encoding: 'buffer' })).sort(Buffer.compare);
      for (const name of names) {
        const childPath = (path === '/' ? '/' : `${path}/`) + name.toString('latin1');
        await visit(Buffer.concat([hostPath, Buffer.from('/'), name]), childPath);
      }
    }
  };
  await visit(rootBytes, '/');

  setHardLinkGroups(facts, inodeNames.values());
  let next = 0;
  const hashWorker = async (): Promise<void> => {
    while (next < files.length) {
      const file = files[next++]!;
      facts.get(file.path)!.sha256 = await sha256OfFile(file.hostPath);
    }
  };
  await Promise.all(Array.from({ length: HASH_CONCURRENCY }, hashWorker));

  for (const [path, xattrs] of await readHostXattrs(dir)) {
    const entry = facts.get(path);
    if (!entry) throw new Error(`getfattr reported ${showPath(path)}, which the walk did not see`);
    entry.xattrs = xattrs;
  }
  return facts;
}

/** A mounted filesystem is read exactly like any host directory. */
export const readMountedTree = readHostTree;

function setHardLinkGroups(facts: TreeFacts, groups: Iterable<string[]>): void {
  for (const names of groups) {
    if (names.length < 2) continue;
    const group = [...names].sort().join('\n');
    for (const name of names) facts.get(name)!.hardLinkGroup = group;
  }
}

// glibc's dev_t layout: 12 bits of major and 20 of minor, split across the 64-bit value.
function splitDeviceNumber(rdev: bigint): { major: number; minor: number } {
  const major = ((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn);
  const minor = (rdev & 0xffn) | ((rdev >> 12n) & ~0xffn);
  return { major: Number(major), minor: Number(minor) };
}

function sha256OfFile(path: Buffer | string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(path)
      .on('data', (chunk) => hash.update(chunk))
      .on('error', reject)
      .on('end', () => resolve(hash.digest('hex')));
  });
}

/**
 * All xattrs below `dir` from one `getfattr -h -d -m - -e hex --absolute-names -R` run. getfattr
 * writes names raw except "\n", "\\" and a few others, which it escapes as \ooo octal.
 */
async function readHostXattrs(dir: string): Promise<Map<string, Record<string, string>>> {
  const reason = toolSkipReason('getfattr');
  if (reason) throw new Error(`readHostTree ${reason}`);
  const result = await run('getfattr', ['-h', '-d', '-m', '-', '-e', 'hex', '--absolute-names', '-R', dir]);
  if (result.exitCode !== 0) throw new Error(`${result.commandLine} exited ${result.exitCode}: ${result.stderr.trim()}`);
  const rootPrefix = Buffer.from(dir).toString('latin1');
  const byPath = new Map<string, Record<string, string>>();
  let current: Record<string, string> | undefined;
  for (const line of result.stdoutBytes.toString('latin1').split('\n')) {
    if (line.startsWith('# file: ')) {
      const hostPath = unescapeOctal(line.slice('# file: '.length));
      if (hostPath !== rootPrefix && !hostPath.startsWith(`${rootPrefix}/`)) {
        throw new Error(`getfattr printed ${showPath(hostPath)}, outside ${dir}`);
      }
      current = {};
      byPath.set(hostPath.slice(rootPrefix.length) || '/', current);
    } else if (line !== '' && current) {
      const match = /^(.*?)=0x([0-9a-f]*)$/.exec(line) ?? /^(.*?)=""$/.exec(line);
      if (!match) throw new Error(`cannot parse getfattr line ${JSON.stringify(line)}`);
      current[unescapeOctal(match[1]!)] = match[2] ?? '';
    }
  }
  return byPath;
}

function unescapeOctal(text: string): string {
  return text.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}

// ---------------------------------------------------------------------------------------------------
// GNU tar

/**
 * Extracts a tar the way a root user restoring a filesystem would (numeric owners, permissions,
 * xattrs, ACLs). GNU tar 1.34 restores ns mtimes of files, dirs and symlinks, devices, fifos, hard
 * links, setuid bits and ACLs; it never stores sockets (it skips them when creating), and atime/ctime
 * are not restored. Needs root for --same-owner and mknod.
 */
export async function extractTarWithGnuTar(tarPath: string, destDir: string): Promise<void> {
  const reason = toolSkipReason('tar') ?? (isRoot() ? undefined : 'extracting with owners needs root');
  if (reason) throw new Error(`extractTarWithGnuTar ${reason}`);
  await runOk('tar', [
    '-xpf',
    tarPath,
    '--numeric-owner',
    '--xattrs',
    '--xattrs-include=*',
    '--acls',
    '--same-owner',
    '-C',
    destDir,
  ]);
}

// ---------------------------------------------------------------------------------------------------
// ext4 images through debugfs (no mount, no root)

interface ListedEntry {
  path: string;
  inode: number;
  fullMode: number;
}

interface InodeStat {
  type: EntryType;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  links: number;
  mtimeNs: bigint;
  fastLinkTarget?: string;
  major?: number;
  minor?: number;
  /** Values printed by stat (hex); names whose long value stat leaves out map to undefined. */
  xattrs: Map<string, string | undefined>;
}

const TYPE_BY_STAT_NAME: Readonly<Record<string, EntryType>> = {
  regular: 'file',
  directory: 'dir',
  symlink: 'symlink',
  'character special': 'char-device',
  'block special': 'block-device',
  FIFO: 'fifo',
  socket: 'socket',
};

const ROOT_INODE = 2;

/**
 * Reads every entry of an ext4 image with debugfs only: a breadth-first `ls -p` per directory level,
 * one `stat` per inode, `ea_get` for values too long for stat, and `dump` of files and slow symlinks
 * for their bytes. Everything is addressed by `<inode>`, so no name ever needs quoting, and a handful
 * of debugfs processes cover a 14k-entry image.
 * Note: xattr values of system.posix_acl_* are converted from ext4's on-disk ACL form (version 1) to
 * the kernel's VFS form; an on-disk value that is not a valid ext4 ACL is reported as
 * "invalid-ext4-acl:<hex>" so it can never equal a correct one.
 */
export async function readImageTreeWithDebugfs(imagePath: string): Promise<TreeFacts> {
  const reason = toolSkipReason('debugfs');
  if (reason) throw new Error(`readImageTreeWithDebugfs ${reason}`);

  const listed: ListedEntry[] = [{ path: '/', inode: ROOT_INODE, fullMode: 0o040000 }];
  let level: ListedEntry[] = [listed[0]!];
  while (level.length > 0) {
    const output = await debugfsBatch(
      imagePath,
      level.map((dir) => `ls -p <${dir.inode}>`),
    );
    const next: ListedEntry[] = [];
    for (const [index, body] of output.entries()) {
      const parent = level[index]!;
      for (const entry of parseLsParseable(body, parent.path)) {
        listed.push(entry);
        if ((entry.fullMode & S_IFMT) === 0o040000) next.push(entry);
      }
    }
    level = next;
  }

  const inodes = [...new Set(listed.map((entry) => entry.inode))];
  const work = await tempDir('debugfs-dump');
  try {
    // Regular files are known from the listing's mode, so their dump runs alongside the stats.
    const fileInodes = [...new Set(listed.filter((e) => (e.fullMode & S_IFMT) === 0o100000).map((e) => e.inode))];
    const dumpCommand = (inode: number): string => `dump <${inode}> ${quoteDebugfsArgument(join(work.path, String(inode)))}`;
    const [statTexts] = await Promise.all([
      debugfsBatch(
        imagePath,
        inodes.map((inode) => `stat <${inode}>`),
      ),
      debugfsBatch(imagePath, fileInodes.map(dumpCommand)),
    ]);
    const stats = new Map<number, InodeStat>();
    for (const [index, text] of statTexts.entries()) stats.set(inodes[index]!, parseStat(text, inodes[index]!));

    // Slow symlinks need their data block; fast ones were printed by stat. Long xattr values need ea_get.
    const slowSymlinks = inodes.filter((inode) => {
      const st = stats.get(inode)!;
      return st.type === 'symlink' && st.fastLinkTarget === undefined;
    });
    const longXattrs: { inode: number; name: string }[] = [];
    for (const [inode, st] of stats) {
      for (const [name, value] of st.xattrs) if (value === undefined) longXattrs.push({ inode, name });
    }
    const commands = [
      ...slowSymlinks.map(dumpCommand),
      ...longXattrs.map(({ inode, name }) => `ea_get -r -x <${inode}> ${quoteDebugfsArgument(name)}`),
    ];
    const outputs = await debugfsBatch(imagePath, commands);
    for (const [index, { inode, name }] of longXattrs.entries()) {
      const text = outputs[slowSymlinks.length + index]!;
      const match = /\((\d+)\)(?: = ((?:[0-9a-f]{2} )*))?\n/.exec(text);
      if (!match) throw new Error(`cannot parse ea_get of ${name} on inode ${inode}: ${text}`);
      stats.get(inode)!.xattrs.set(name, (match[2] ?? '').replace(/ /g, ''));
    }
    const hashes = new Map<number, string>();
    let nextFile = 0;
    const hashWorker = async (): Promise<void> => {
      while (nextFile < fileInodes.length) {
        const inode = fileInodes[nextFile++]!;
        hashes.set(inode, await sha256OfFile(join(work.path, String(inode))));
      }
    };
    await Promise.all(Array.from({ length: HASH_CONCURRENCY }, hashWorker));

    const facts: TreeFacts = new Map();
    const names = new Map<number, string[]>();
    for (const entry of listed) {
      const st = stats.get(entry.inode)!;
      const entryFacts: EntryFacts = {
        path: entry.path,
        type: st.type,
        mode: st.mode,
        uid: st.uid,
        gid: st.gid,
        size: st.type === 'dir' ? 0 : st.size,
        mtimeNs: st.mtimeNs,
        xattrs: {},
      };
      for (const [name, hex] of st.xattrs) entryFacts.xattrs[name] = name.startsWith('system.posix_acl_') ? ext4AclToVfs(hex!) : hex!;
      if (st.type === 'char-device' || st.type === 'block-device') {
        entryFacts.major = st.major;
        entryFacts.minor = st.minor;
      }
      if (st.type === 'file') entryFacts.sha256 = hashes.get(entry.inode);
      if (st.type === 'symlink') {
        entryFacts.linkTarget = st.fastLinkTarget ?? (await readFile(join(work.path, String(entry.inode)))).toString('latin1');
      }
      if (st.type !== 'dir' && st.links > 1) names.set(entry.inode, [...(names.get(entry.inode) ?? []), entry.path]);
      facts.set(entry.path, entryFacts);
    }
    setHardLinkGroups(facts, names.values());
    return facts;
  } finally {
    await work.cleanup();
  }
}

/**
 * Runs debugfs read-only over a command file and splits stdout per command. debugfs echoes each
 * command as "debugfs: <command>\n" before its output; a command's output ends where the echo of the
 * next command begins (commands are known, so a name or value that merely looks like an echo line
 * cannot be mistaken for one unless it repeats the very next command, which `<inode>` arguments make
 * impossible for names: they cannot hold "<N>\n" followed by a record).
 */
export async function debugfsBatch(imagePath: string, commands: string[]): Promise<string[]> {
  if (commands.length === 0) return [];
  const work = await tempDir('debugfs-cmds');
  try {
    const commandFile = join(work.path, 'commands');
    await writeFile(commandFile, commands.map((command) => `${command}\n`).join(''));
    // -c (catastrophic mode) skips reading the bitmaps: faster, and a damaged bitmap does not stop
    // the tree from being read (e2fsck is the oracle for consistency, this one is for content).
    const result = await run('debugfs', ['-c', '-f', commandFile, imagePath]);
    const stderrProblems = result.stderr
      .split('\n')
      .filter((line) => line !== '' && !/^debugfs \d/.test(line) && !line.includes('catastrophic mode'));
    if (result.exitCode !== 0 || stderrProblems.length > 0) {
      throw new Error(`debugfs on ${imagePath} failed (exit ${result.exitCode}): ${stderrProblems.slice(0, 10).join(' | ')}`);
    }
    const out = result.stdoutBytes.toString('latin1');
    const bodies: string[] = [];
    let position = 0;
    for (const [index, command] of commands.entries()) {
      const echo = `debugfs: ${command}\n`;
      if (!out.startsWith(echo, position)) throw new Error(`debugfs output lost its place before "${command}"`);
      position += echo.length;
      const following = commands[index + 1];
      const end = following === undefined ? out.length : out.indexOf(`debugfs: ${following}\n`, position);
      if (end < 0) throw new Error(`debugfs output ended early after "${command}"`);
      bodies.push(out.slice(position, end));
      position = end;
    }
    return bodies;
  } finally {
    await work.cleanup();
  }
}

/** `ls -p` records: "/inode/mode(octal)/uid/gid/name/size/" — names cannot hold "/", so newlines in them are safe. */
function parseLsParseable(body: string, parentPath: string): ListedEntry[] {
  const entries: ListedEntry[] = [];
  // debugfs prints uid/gid with %d, so ids above 2^31 come out negative.
  const record = /\/(\d+)\/([0-7]+)\/(-?\d+)\/(-?\d+)\/([^/]*)\/(\d*)\/\n/y;
  let position = 0;
  while (position < body.length) {
    if (body[position] === '\n') {
      position++;
      continue;
    }
    record.lastIndex = position;
    const match = record.exec(body);
    if (!match) throw new Error(`cannot parse debugfs ls -p output of ${showPath(parentPath)} at ${JSON.stringify(body.slice(position, position + 80))}`);
    position = record.lastIndex;
    const name = match[5]!;
    // Inode 0 marks an unused slot (lost+found's preallocated blocks, deleted entries).
    if (name === '.' || name === '..' || match[1] === '0') continue;
    entries.push({
      path: (parentPath === '/' ? '/' : `${parentPath}/`) + name,
      inode: Number(match[1]),
      fullMode: parseInt(match[2]!, 8),
    });
  }
  return entries;
}

function parseStat(text: string, inode: number): InodeStat {
  const fail = (what: string): never => {
    throw new Error(`debugfs stat <${inode}>: cannot find ${what} in ${JSON.stringify(text.slice(0, 300))}`);
  };
  const head = /^Inode: (\d+) +Type: ([A-Za-z ]+?) +Mode: +([0-7]+) /m.exec(text) ?? fail('Inode/Type/Mode');
  const type = TYPE_BY_STAT_NAME[head[2]!] ?? fail(`a known type (got "${head[2]}")`);
  const owner = /^User: +(-?\d+) +Group: +(-?\d+).*Size: (\d+)$/m.exec(text) ?? fail('User/Group/Size');
  const links = /^Links: (\d+)/m.exec(text) ?? fail('Links');
  const mtime = /^ *mtime: 0x([0-9a-f]{8})(?::([0-9a-f]{8}))? /m.exec(text) ?? fail('mtime');
  const stat: InodeStat = {
    type,
    mode: parseInt(head[3]!, 8) & 0o7777,
    // Printed with %d: ids of 2^31 and above appear negative.
    uid: Number(owner[1]) >>> 0,
    gid: Number(owner[2]) >>> 0,
    size: Number(owner[3]),
    links: Number(links[1]),
    mtimeNs: decodeExt4Time(parseInt(mtime[1]!, 16), mtime[2] === undefined ? undefined : parseInt(mtime[2], 16)),
    xattrs: new Map(),
  };
  const device = /Device major\/minor number: (\d+):(\d+)/.exec(text);
  if (device) {
    stat.major = Number(device[1]);
    stat.minor = Number(device[2]);
  }
  // The target is printed raw between quotes; its length is the inode size, so bytes that look like
  // quotes or newlines inside it cannot confuse the parse.
  const linkMarker = text.indexOf('Fast link dest: "');
  if (linkMarker >= 0) {
    const start = linkMarker + 'Fast link dest: "'.length;
    stat.fastLinkTarget = text.slice(start, start + stat.size);
    if (text.slice(start + stat.size, start + stat.size + 2) !== '"\n') fail('the end of the fast link target');
  }
  const xattrStart = text.indexOf('\nExtended attributes:\n');
  if (xattrStart >= 0) {
    const lines = text.slice(xattrStart + '\nExtended attributes:\n'.length).split('\n');
    for (const line of lines) {
      if (!line.startsWith('  ')) break;
      const match = /^ {2}(.+?) \((\d+)\)(?: = (.*))?$/.exec(line) ?? fail(`an xattr in "${line}"`);
      const name = match[1]!;
      const length = Number(match[2]);
      // system.data holds inline file data, not an attribute the kernel shows.
      if (name === 'system.data') continue;
      stat.xattrs.set(name, match[3] === undefined ? (length === 0 ? '' : undefined) : decodeStatXattrValue(match[3], length, inode, name));
    }
  }
  return stat;
}

// stat prints a value either as "quoted text" with backslash escapes (\\ for a backslash, \NNN octal
// for other bytes) or, when it holds unprintable bytes such as a NUL, as spaced hex bytes.
function decodeStatXattrValue(printed: string, length: number, inode: number, name: string): string {
  let bytes: Buffer;
  if (printed.startsWith('"') && printed.endsWith('"')) {
    const text = printed
      .slice(1, -1)
      .replace(/\\([0-7]{3}|.)/g, (_, escaped: string) => (escaped.length === 3 ? String.fromCharCode(parseInt(escaped, 8)) : escaped));
    bytes = Buffer.from(text, 'latin1');
  } else {
    bytes = Buffer.from(printed.replace(/ /g, ''), 'hex');
  }
  if (bytes.length !== length) throw new Error(`debugfs stat <${inode}>: xattr ${name} printed ${bytes.length} bytes, expected ${length}`);
  return bytes.toString('hex');
}

/**
 * ext4 inode times: a signed 32-bit seconds field plus, in the extra field, 2 epoch bits (adding
 * multiples of 2^32 s) and 30 bits of nanoseconds. Without an extra field there are no ns.
 */
export function decodeExt4Time(low: number, extra: number | undefined): bigint {
  let seconds = BigInt(low | 0);
  let nanoseconds = 0n;
  if (extra !== undefined) {
    seconds += BigInt(extra & 3) << 32n;
    nanoseconds = BigInt(extra >>> 2);
  }
  return seconds * 1_000_000_000n + nanoseconds;
}

const ACL_USER = 0x02;
const ACL_GROUP = 0x08;
const ACL_UNDEFINED_ID = 0xffffffff;

/**
 * ext4 stores POSIX ACLs as version 1 with 4-byte entries (tag, perm) except USER/GROUP entries,
 * which add a 4-byte id; the kernel exposes them as version 2 with 8-byte entries and
 * ACL_UNDEFINED_ID for the id-less tags. Anything else is not a valid ext4 ACL.
 */
export function ext4AclToVfs(hex: string): string {
  const disk = Buffer.from(hex, 'hex');
  const invalid = `invalid-ext4-acl:${hex}`;
  if (disk.length < 4 || disk.readUInt32LE(0) !== 1) return invalid;
  const out: Buffer[] = [Buffer.from([2, 0, 0, 0])];
  let offset = 4;
  while (offset < disk.length) {
    if (offset + 4 > disk.length) return invalid;
    const tag = disk.readUInt16LE(offset);
    const perm = disk.readUInt16LE(offset + 2);
    let id = ACL_UNDEFINED_ID;
    offset += 4;
    if (tag === ACL_USER || tag === ACL_GROUP) {
      if (offset + 4 > disk.length) return invalid;
      id = disk.readUInt32LE(offset);
      offset += 4;
    }
    const entry = Buffer.alloc(8);
    entry.writeUInt16LE(tag, 0);
    entry.writeUInt16LE(perm, 2);
    entry.writeUInt32LE(id, 4);
    out.push(entry);
  }
  return Buffer.concat(out).toString('hex');
}

// debugfs splits arguments on blanks and honours double quotes.
function quoteDebugfsArgument(text: string): string {
  if (text.includes('"') || text.includes('\n')) throw new Error(`cannot pass ${JSON.stringify(text)} to debugfs`);
  return /[\s]/.test(text) ? `"${text}"` : text;
}
