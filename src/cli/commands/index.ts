// Every verb of the CLI, in the order --help lists them.
import type { Command } from '../command.js';
import { buildCommand } from './build.js';
import { customizeCommand } from './customize.js';
import { diffCommand } from './diff.js';
import { downloadCommand } from './download.js';
import { flattenCommand } from './flatten.js';
import { inspectCommand } from './inspect.js';
import { sysprepCommand } from './sysprep.js';
import { uploadCommand } from './upload.js';

export const COMMANDS: readonly Command[] = [flattenCommand, buildCommand, sysprepCommand, inspectCommand, diffCommand, customizeCommand, uploadCommand, downloadCommand];
