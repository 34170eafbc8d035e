// Finds private keys and cloud credentials left in home directories and reports them; with
// --sysprep-remove-secrets it removes them. Found by well-known path and by PEM/OpenSSH private-key headers.
import type { CustomizeOperation } from '../operation.js';
import type { ImageEditor } from '../image-editor.js';
import { joinChild } from '../image-editor.js';
import { homeDirectories } from '../passwd.js';
import { readWholeContent } from '../../tree/read-content.js';
import { displayPath } from '../../tree/paths.js';

/** Credential files by path relative to a home directory. */
const CREDENTIAL_PATHS = [
  '.aws/credentials',
  '.config/gcloud/credentials.db',
  '.config/gcloud/access_tokens.db',
  '.config/gcloud/application_default_credentials.json',
  '.config/gcloud/legacy_credentials',
  '.azure/accessTokens.json',
  '.azure/msal_token_cache.json',
  '.azure/msal_token_cache.bin',
  '.docker/config.json',
  '.kube/config',
  '.netrc',
  '.git-credentials',
  '.pgpass',
  '.vault-token',
  '.terraform.d/credentials.tfrc.json',
];
/** Files larger than this are not read for key headers: keys are small. */
const MAX_SCANNED_BYTES = 64 * 1024;
/** Depth below a home directory that is searched for private keys. */
const MAX_DEPTH = 6;
const PRIVATE_KEY = /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/;

async function findPrivateKeys(edit: ImageEditor, dir: string, depth: number, found: string[]): Promise<void> {
  if (depth > MAX_DEPTH) return;
  for (const entry of edit.list(dir)) {
    // Symlinks are not followed: their target is scanned where it lives, if under a home.
    if (entry.node.kind === 'dir') await findPrivateKeys(edit, entry.path, depth + 1, found);
    else if (entry.node.kind === 'file' && entry.node.sizeBytes <= MAX_SCANNED_BYTES && entry.node.sizeBytes > 0) {
      const text = (await readWholeContent(entry.node)).toString('latin1');
      if (PRIVATE_KEY.test(text)) found.push(entry.path);
    }
  }
}

export const secretsScan: CustomizeOperation = {
  name: 'secrets-scan',
  kind: 'strip',
  enabledByDefault: true,
  summary: 'report private keys and cloud credentials left in home directories',
  description: `Searches \`/root\`, \`/home/*\` and passwd homes (${MAX_DEPTH} levels deep, files up to 64 KiB) for PEM/OpenSSH private keys, and looks for ${CREDENTIAL_PATHS.map((p) => `\`~/${p}\``).join(', ')}. Each finding is a warning; \`--sysprep-remove-secrets\` removes them.`,
  options: [{ flag: 'sysprep-remove-secrets', type: 'boolean', help: 'secrets-scan: remove the private keys and credential files it finds instead of only reporting them' }],
  async apply(_tree, { edit, values, warn }) {
    const remove = values['sysprep-remove-secrets'] === true;
    const found: string[] = [];
    for (const home of await homeDirectories(edit)) {
      for (const relative of CREDENTIAL_PATHS) {
        const path = joinChild(home, relative);
        if (edit.lookup(path)) found.push(path);
      }
      await findPrivateKeys(edit, home, 0, found);
    }
    for (const path of [...new Set(found)].sort()) {
      if (remove) edit.remove(path, 'secret');
      else warn(`${displayPath(path)} looks like a secret (private key or cloud credentials); --sysprep-remove-secrets removes it`);
    }
  },
};
