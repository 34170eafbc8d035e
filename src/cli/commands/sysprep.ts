// `amikit sysprep --list-operations`: the customisation operations from the registry, defaults marked.
import { AmikitError } from '../../shared/errors.js';
import { ALL_OPERATIONS } from '../../customize/registry.js';
import { renderOperationsList } from '../../customize/operations-table.js';
import type { Command } from '../command.js';

export const sysprepCommand: Command = {
  name: 'sysprep',
  summary: 'list the customisation operations (stripping with build --sysprep, injection with build flags)',
  usage: 'amikit sysprep --list-operations [--json]',
  options: [{ name: 'list-operations', type: 'boolean', help: 'list every operation: name, default (*), summary' }],
  details: 'Operations run inside `amikit build`: stripping with --sysprep[=OPS] first, then injection flags.',
  async run(context) {
    if (context.values['list-operations'] !== true) throw new AmikitError('USAGE', 'sysprep: give --list-operations (operations run with amikit build --sysprep)');
    for (const line of renderOperationsList().trimEnd().split('\n')) context.print(line);
    return {
      operations: ALL_OPERATIONS.map((op) => ({
        name: op.name,
        kind: op.kind,
        enabledByDefault: op.enabledByDefault,
        summary: op.summary,
        flags: op.options.map((option) => `--${option.flag}`),
      })),
    };
  },
};
