// `--param KEY=VALUE` / `--params-file FILE`: runtime parameters baked into the image at a documented place,
// /etc/amikit/params.env (systemd EnvironmentFile= and sh `.` both read it) and /etc/amikit/params.json.
import { AmikitError } from '../../shared/errors.js';
import type { CustomizeOperation } from '../operation.js';
import { asList } from '../option-values.js';

export const PARAMS_ENV_PATH = '/etc/amikit/params.env';
export const PARAMS_JSON_PATH = '/etc/amikit/params.json';
const KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Parses one KEY=VALUE; `where` names the flag or file line in errors. */
export function parseParam(text: string, where: string): [string, string] {
  const eq = text.indexOf('=');
  const key = eq < 0 ? text : text.slice(0, eq);
  if (eq < 0 || !KEY.test(key)) throw new AmikitError('USAGE', `${where}: expected KEY=VALUE with KEY of letters, digits and _ (got '${text}')`);
  const value = text.slice(eq + 1);
  if (/[\0\n\r]/.test(value)) throw new AmikitError('USAGE', `${where}: the value of ${key} contains a newline or NUL`);
  return [key, value];
}

/** Parses a params file: KEY=VALUE lines, blank lines and `#` comments ignored. */
export function parseParamsFile(text: string, name: string): Map<string, string> {
  const params = new Map<string, string>();
  text.split('\n').forEach((raw, index) => {
    const line = raw.replace(/\r$/, '');
    if (line.trim() === '' || line.trimStart().startsWith('#')) return;
    const [key, value] = parseParam(line, `--params-file ${name}:${index + 1}`);
    params.set(key, value);
  });
  return params;
}

/** A double-quoted value both sh and systemd's EnvironmentFile= read back exactly. */
export function quoteEnvValue(value: string): string {
  return `"${value.replace(/[\\"$`]/g, (c) => `\\${c}`)}"`;
}

export const params: CustomizeOperation = {
  name: 'params',
  kind: 'inject',
  enabledByDefault: false,
  order: 70,
  summary: 'write runtime parameters to /etc/amikit/params.env and params.json',
  description:
    '`--param KEY=VALUE` (repeatable) and `--params-file FILE` (KEY=VALUE lines, `#` comments) are merged — `--param` wins, and parameters already in the image are kept unless overridden — and written, keys sorted, to `/etc/amikit/params.env` (`KEY="value"`, readable by systemd `EnvironmentFile=` and `sh`) and `/etc/amikit/params.json` (one JSON object of strings), both `root:root` 0644. Keys are `[A-Za-z_][A-Za-z0-9_]*`; values are one line. Not for secrets: use systemd credentials for those.',
  options: [
    { flag: 'param', type: 'string', multiple: true, valueName: 'KEY=VALUE', help: 'runtime parameter written to /etc/amikit/params.{env,json}' },
    { flag: 'params-file', type: 'string', valueName: 'FILE', help: 'file of KEY=VALUE lines added to the runtime parameters' },
  ],
  validate(values) {
    for (const text of asList(values.param)) parseParam(text, '--param');
  },
  async apply(_tree, { edit, values, readHostFile, requestRelabel }) {
    const merged = new Map<string, string>();
    const existing = await edit.readText(PARAMS_JSON_PATH);
    if (existing !== undefined) {
      try {
        const parsed: unknown = JSON.parse(Buffer.from(existing, 'latin1').toString('utf8'));
        if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) {
          for (const [key, value] of Object.entries(parsed)) if (KEY.test(key) && typeof value === 'string') merged.set(key, value);
        }
      } catch {
        // An unreadable params.json from a lower layer is replaced, not merged.
      }
    }
    for (const file of asList(values['params-file'])) {
      const text = (await readHostFile(file, 'params-file')).toString('utf8');
      for (const [key, value] of parseParamsFile(text, file)) merged.set(key, value);
    }
    for (const text of asList(values.param)) {
      const [key, value] = parseParam(text, '--param');
      merged.set(key, value);
    }
    const keys = [...merged.keys()].sort();
    const env = ['# Runtime parameters written by amikit (same content as params.json).', ...keys.map((key) => `${key}=${quoteEnvValue(merged.get(key)!)}`)].join('\n') + '\n';
    const json = JSON.stringify(Object.fromEntries(keys.map((key) => [key, merged.get(key)!])), null, 2) + '\n';
    edit.mkdirp('/etc/amikit');
    edit.writeFile(PARAMS_ENV_PATH, Buffer.from(env, 'utf8'), { mode: 0o644 });
    edit.writeFile(PARAMS_JSON_PATH, Buffer.from(json, 'utf8'), { mode: 0o644 });
    requestRelabel();
  },
};
