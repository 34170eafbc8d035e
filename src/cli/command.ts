// The shape of one CLI verb: its flags (from which --help is generated) and the function that runs it.
import type { ProgressEvent } from '../pipeline/progress-event.js';

export type OptionType = 'string' | 'boolean';

export interface OptionSpec {
  /** Long flag name without dashes. */
  name: string;
  type: OptionType;
  short?: string;
  multiple?: boolean;
  /** Placeholder shown in help, e.g. "FILE". */
  valueName?: string;
  /** A string flag that may also be given bare (`--sysprep`), meaning this value; `--flag=VALUE` otherwise. */
  optionalValue?: string;
  help: string;
}

export interface CommandContext {
  /** Positional arguments after the verb. */
  positionals: string[];
  values: Record<string, string | boolean | string[] | boolean[] | undefined>;
  json: boolean;
  /** Human output (stdout). Suppressed with --json, where only the result is printed. */
  print(line: string): void;
  /** Warnings go to stderr as `amikit: warning: …`. */
  warn(message: string): void;
  progress(event: ProgressEvent): void;
  env: NodeJS.ProcessEnv;
}

export interface Command {
  name: string;
  summary: string;
  usage: string;
  /** Extra help paragraphs after the options. */
  details?: string;
  options: OptionSpec[];
  /** Positional argument count bounds. */
  positionals?: { min: number; max: number };
  /** Returns the machine-readable result printed by --json. */
  run(context: CommandContext): Promise<unknown>;
}
