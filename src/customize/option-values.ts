// Reading flag values inside operations: repeatable flags arrive as lists, single ones as strings.
import type { OptionValues } from './operation.js';

/** A repeatable (or single) string flag as a list. */
export function asList(value: OptionValues[string]): string[] {
  if (value === undefined || typeof value === 'boolean') return [];
  return Array.isArray(value) ? value : [value];
}

/** A single string flag (the last one when repeated). */
export function asString(value: OptionValues[string]): string | undefined {
  const list = asList(value);
  return list[list.length - 1];
}

/** Parses an octal mode ("0644" or "644": always octal, unlike virt-customize --chmod). */
export function parseOctalMode(text: string): number | undefined {
  if (!/^0?[0-7]{3,4}$/.test(text)) return undefined;
  const mode = parseInt(text, 8);
  return mode <= 0o7777 ? mode : undefined;
}

/** Parses a numeric uid or gid. */
export function parseId(text: string): number | undefined {
  if (!/^\d{1,10}$/.test(text)) return undefined;
  const id = Number(text);
  return id <= 0xffffffff ? id : undefined;
}
