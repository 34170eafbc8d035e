// Help text generated from the command records, so --help can never drift from the flags that exist.
import type { Command } from './command.js';

export function renderMainHelp(commands: readonly Command[]): string {
  const width = Math.max(...commands.map((command) => command.name.length));
  const lines = [
    'amikit — build, customise and inspect Linux root volumes offline; publish them as AMIs',
    '',
    'Usage: amikit <command> [options]',
    '',
    'Commands:',
    ...commands.map((command) => `  ${command.name.padEnd(width)}  ${command.summary}`),
    '',
    'Global options: --json (one machine-readable result on stdout), --debug (stack traces), --help, --version [--verbose]',
    'Exit codes: 0 success, 2 bad usage or bad input, 1 any other failure.',
    'Run `amikit <command> --help` for the options of a command.',
  ];
  return lines.join('\n') + '\n';
}

export function renderCommandHelp(command: Command): string {
  const flags = command.options.map((option) => {
    const valueName = option.valueName ?? 'VALUE';
    const value = option.type !== 'string' ? '' : option.optionalValue !== undefined ? `[=${valueName}]` : ` ${valueName}`;
    const short = option.short ? `-${option.short}, ` : '';
    const repeat = option.multiple ? ' (repeatable)' : '';
    return { left: `${short}--${option.name}${value}`, right: option.help + repeat };
  });
  flags.push({ left: '--json', right: 'print one machine-readable result on stdout' });
  flags.push({ left: '--debug', right: 'print stack traces on errors' });
  const width = Math.max(...flags.map((flag) => flag.left.length));
  const lines = [
    `amikit ${command.name} — ${command.summary}`,
    '',
    `Usage: ${command.usage}`,
    '',
    'Options:',
    ...flags.map((flag) => `  ${flag.left.padEnd(width)}  ${flag.right}`),
  ];
  if (command.details) lines.push('', command.details.trimEnd());
  return lines.join('\n') + '\n';
}
