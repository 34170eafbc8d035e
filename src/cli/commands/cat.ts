// `amikit cat IMAGE PATH`: a file of an image's root filesystem to stdout, read from its extents on demand.
import { AmikitError } from '../../shared/errors.js';
import type { Command } from '../command.js';

export const catCommand: Command = {
  name: 'cat',
  summary: "write a file of an image's root filesystem to stdout",
  usage: 'amikit cat IMAGE PATH',
  positionals: { min: 2, max: 2 },
  options: [],
  details: 'Symlinks are followed inside the image (absolute targets start at its root). Holes read as zeros. A missing PATH or a non-file exits 2.',
  async run(context) {
    if (context.json) throw new AmikitError('USAGE', 'cat writes the file itself to stdout and has no --json');
    const { catImage } = await import('../../pipeline/browse-image.js');
    return catImage(context.positionals[0]!, context.positionals[1]!, (chunk) =>
      new Promise<void>((resolve, reject) => {
        // Respect the pipe: wait for the write to be taken before reading the next chunk.
        process.stdout.write(chunk, (error) => (error ? reject(error) : resolve()));
      }),
    );
  },
};
