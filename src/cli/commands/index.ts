// Every verb of the CLI, in the order --help lists them.
import type { Command } from '../command.js';
import { buildCommand } from './build.js';
import { catCommand } from './cat.js';
import { customizeCommand } from './customize.js';
import { deregisterCommand } from './deregister.js';
import { diffCommand } from './diff.js';
import { downloadCommand } from './download.js';
import { exportCommand } from './export.js';
import { flattenCommand } from './flatten.js';
import { inspectCommand } from './inspect.js';
import { lsCommand } from './ls.js';
import { publishCommand } from './publish.js';
import { registerCommand } from './register.js';
import { statCommand } from './stat.js';
import { sysprepCommand } from './sysprep.js';
import { uploadCommand } from './upload.js';

export const COMMANDS: readonly Command[] = [flattenCommand, buildCommand, sysprepCommand, inspectCommand, lsCommand, catCommand, statCommand, exportCommand, diffCommand, customizeCommand, uploadCommand, downloadCommand, registerCommand, publishCommand, deregisterCommand];
