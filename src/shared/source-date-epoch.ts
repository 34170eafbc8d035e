// SOURCE_DATE_EPOCH (reproducible-builds.org): the one clock every verb that writes an image obeys.
import { AmikitError } from './errors.js';

/** Reads SOURCE_DATE_EPOCH from the environment (integer seconds), or undefined when unset. */
export function sourceDateEpochFromEnv(env: NodeJS.ProcessEnv): number | undefined {
  const text = env.SOURCE_DATE_EPOCH;
  if (text === undefined || text === '') return undefined;
  if (!/^-?\d+$/.test(text)) throw new AmikitError('USAGE', `SOURCE_DATE_EPOCH must be integer seconds, got '${text}'`);
  return Number(text);
}
