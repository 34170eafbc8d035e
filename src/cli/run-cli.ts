// The CLI proper: parses the verb and its flags, runs it, renders progress and results, and maps errors
// to one line and an exit code (0 ok, 2 bad usage or input, 1 anything else).
import { parseArgs } from 'node:util';
import { AmikitError } from '../shared/errors.js';
import { interruptionExitCode } from './interruption.js';
import type { Command, CommandContext } from './command.js';
import { COMMANDS } from './commands/index.js';
import { renderCommandHelp, renderMainHelp } from './help.js';
import { ProgressRenderer } from './progress-renderer.js';
import { versionText } from './version.js';

const EXIT_OK = 0;
const EXIT_FAILURE = 1;
const EXIT_BAD_INPUT = 2;

/** Runs one command line; resolves to the process exit code. */
export async function runCli(argv: string[]): Promise<number> {
  const debug = argv.includes('--debug');
  const json = argv.includes('--json');
  try {
    return await dispatch(argv.filter((arg) => arg !== '--debug'), json);
  } catch (error) {
    return reportError(error, debug);
  }
}

async function dispatch(argv: string[], json: boolean): Promise<number> {
  const [verb, ...rest] = argv;
  if (verb === undefined || verb === '--help' || verb === '-h' || verb === 'help') {
    const topic = verb === 'help' ? rest[0] : undefined;
    const command = topic ? findCommand(topic) : undefined;
    process.stdout.write(command ? renderCommandHelp(command) : renderMainHelp(COMMANDS));
    return verb === undefined ? EXIT_BAD_INPUT : EXIT_OK;
  }
  if (verb === '--version' || verb === '-V') {
    process.stdout.write(await versionText(rest.includes('--verbose')));
    return EXIT_OK;
  }
  const command = findCommand(verb);
  if (!command) throw new AmikitError('USAGE', `unknown command '${verb}' (see amikit --help)`);
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(renderCommandHelp(command));
    return EXIT_OK;
  }
  const context = parseCommandLine(command, rest, json);
  const progress = new ProgressRenderer(process.stderr);
  context.progress = (event) => progress.update(event);
  let result: unknown;
  try {
    result = await command.run(context);
  } finally {
    progress.finish();
  }
  if (json) process.stdout.write(JSON.stringify(result, null, 2) + '\n');
  return EXIT_OK;
}

function findCommand(name: string): Command | undefined {
  return COMMANDS.find((command) => command.name === name);
}

function parseCommandLine(command: Command, args: string[], json: boolean): CommandContext {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }> = {
    json: { type: 'boolean' },
  };
  for (const option of command.options) {
    options[option.name] = {
      type: option.type,
      ...(option.short ? { short: option.short } : {}),
      ...(option.multiple ? { multiple: true } : {}),
    };
  }
  // A bare flag with an optional value (`--sysprep`) gets its implied value; otherwise it needs `=VALUE`.
  const bare = new Map(command.options.filter((o) => o.optionalValue !== undefined).map((o) => [`--${o.name}`, `--${o.name}=${o.optionalValue}`]));
  const expanded = args.map((arg) => bare.get(arg) ?? arg);
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: expanded, options, allowPositionals: true, strict: true });
  } catch (error) {
    const message = error instanceof Error ? error.message.split('\n')[0]!.replace(/\. To specify.*$/, '') : String(error);
    throw new AmikitError('USAGE', `${command.name}: ${message} (see amikit ${command.name} --help)`);
  }
  const bounds = command.positionals ?? { min: 0, max: 0 };
  if (parsed.positionals.length < bounds.min || parsed.positionals.length > bounds.max) {
    throw new AmikitError('USAGE', `${command.name}: usage: ${command.usage}`);
  }
  return {
    positionals: parsed.positionals,
    values: parsed.values as CommandContext['values'],
    json,
    print: (line) => {
      if (!json) process.stdout.write(line + '\n');
    },
    warn: (message) => process.stderr.write(`amikit: warning: ${message}\n`),
    progress: () => undefined,
    env: process.env,
  };
}

function reportError(error: unknown, debug: boolean): number {
  const interrupted = interruptionExitCode();
  if (interrupted !== undefined) return interrupted;
  const isAmikit = error instanceof AmikitError;
  const message = isAmikit ? error.message : error instanceof Error ? error.message : String(error);
  process.stderr.write(`amikit: error: ${message.split('\n')[0]}\n`);
  if (debug) {
    let current: unknown = error;
    while (current instanceof Error) {
      process.stderr.write(`${current.stack ?? current.message}\n`);
      current = current.cause;
      if (current) process.stderr.write('caused by:\n');
    }
  }
  return isAmikit && error.isBadInput ? EXIT_BAD_INPUT : EXIT_FAILURE;
}
