// `--sysprep=OPS`: the operation-set algebra of virt-sysprep's --operations. Tokens apply left to right:
// `defaults`, `all`, `name` (or `+name`) add; `-defaults`, `-all`, `-name` remove.
import { AmikitError } from '../shared/errors.js';
import type { CustomizeOperation } from './operation.js';

/**
 * The names of the strip operations `spec` selects, in run order. An empty spec or "defaults" gives the
 * default set. The set starts empty, except that a spec whose first token is a removal starts from the
 * defaults (so `--sysprep=-tmp-files` means "the defaults but tmp-files").
 * @throws AmikitError USAGE on an unknown or injection operation name, or an empty token.
 */
export function selectOperations(spec: string, operations: readonly CustomizeOperation[]): string[] {
  const strip = operations.filter((op) => op.kind === 'strip');
  const defaults = strip.filter((op) => op.enabledByDefault).map((op) => op.name);
  const all = strip.map((op) => op.name);
  const tokens = spec.trim() === '' ? ['defaults'] : spec.split(',').map((token) => token.trim());
  const selected = new Set<string>(tokens[0]?.startsWith('-') ? defaults : []);
  for (const token of tokens) {
    if (token === '' || token === '+' || token === '-') throw new AmikitError('USAGE', `--sysprep: empty operation name in '${spec}'`);
    const remove = token.startsWith('-');
    const name = token.replace(/^[+-]/, '');
    let names: string[];
    if (name === 'defaults') names = defaults;
    else if (name === 'all') names = all;
    else {
      const op = operations.find((candidate) => candidate.name === name);
      if (!op) throw new AmikitError('USAGE', `--sysprep: unknown operation '${name}' (see amikit sysprep --list-operations)`, { data: { operation: name } });
      if (op.kind !== 'strip') {
        throw new AmikitError('USAGE', `--sysprep: '${name}' is an injection operation; it runs when its flags are given (--${op.options[0]?.flag ?? name})`, { data: { operation: name } });
      }
      names = [name];
    }
    for (const n of names) {
      if (remove) selected.delete(n);
      else selected.add(n);
    }
  }
  return strip.filter((op) => selected.has(op.name)).map((op) => op.name);
}
