// `amikit upload IMAGE`: a raw, sparse raw or .img.zst image into a new EBS snapshot; prints its id.
import { AmikitError } from '../../shared/errors.js';
import { onInterrupt } from '../../pipeline/interrupt-cleanups.js';
import type { Command } from '../command.js';
import { CONCURRENCY_OPTION, TAG_OPTION, concurrencyFrom, descriptionFrom, kmsKeyArnFrom, tagsFrom } from './aws-options.js';

export const uploadCommand: Command = {
  name: 'upload',
  summary: 'upload a raw or .img.zst image into a new EBS snapshot (EBS direct APIs) and print its id',
  usage: 'amikit upload IMAGE [--description D] [--tag K=V ...] [--encrypted [--kms-key-id ARN]] [--concurrency N] [--json]',
  positionals: { min: 1, max: 1 },
  options: [
    { name: 'description', type: 'string', valueName: 'D', help: 'snapshot description (default: "amikit upload of IMAGE")' },
    TAG_OPTION,
    { name: 'encrypted', type: 'boolean', help: 'encrypt the snapshot (every block is then sent, zeros included)' },
    { name: 'kms-key-id', type: 'string', valueName: 'ARN', help: 'KMS key ARN for the encryption (implies --encrypted; default: the account default EBS key)' },
    CONCURRENCY_OPTION,
    { name: 'no-wait', type: 'boolean', help: 'return after CompleteSnapshot instead of waiting for the snapshot to be completed' },
  ],
  details: [
    'AWS settings come from the SDK standard chain: AWS_REGION, AWS_PROFILE, credentials, and',
    'AWS_ENDPOINT_URL_EBS / AWS_ENDPOINT_URL_EC2. Holes and all-zero blocks are not sent to an unencrypted',
    'snapshot (they read back as zeros); an encrypted one gets every block, since its unwritten blocks',
    'read back as random bytes. Throttling, 5xx, resets and timeouts are retried with jittered backoff;',
    'any other failure deletes the snapshot and exits 1.',
  ].join('\n'),
  async run(context) {
    const imagePath = context.positionals[0]!;
    const tags = tagsFrom(context);
    const concurrency = concurrencyFrom(context);
    const description = descriptionFrom(context);
    const kmsKeyArn = kmsKeyArnFrom(context);
    const encrypted = context.values.encrypted === true || kmsKeyArn !== undefined;
    if (imagePath === '') throw new AmikitError('USAGE', 'upload: IMAGE is empty');
    // Loaded on use: the AWS SDK costs every other verb a fraction of a second at start-up.
    const [{ createAwsClients }, { uploadImage }] = await Promise.all([import('../../aws/aws-clients.js'), import('../../pipeline/upload-image.js')]);
    const clients = createAwsClients({ env: context.env });
    const controller = new AbortController();
    // Ctrl-C: stop sending and delete the snapshot before the process exits.
    const forget = onInterrupt(async () => {
      controller.abort(new AmikitError('IO', 'interrupted'));
      await uploading.catch(() => undefined);
    });
    const uploading = uploadImage({
      imagePath,
      clients,
      tags,
      ...(description !== undefined ? { description } : {}),
      ...(encrypted ? { encrypted } : {}),
      ...(kmsKeyArn !== undefined ? { kmsKeyArn } : {}),
      ...(concurrency !== undefined ? { concurrency } : {}),
      ...(context.values['no-wait'] === true ? { wait: false } : {}),
      signal: controller.signal,
      onProgress: context.progress,
      onWarning: context.warn,
    });
    try {
      const result = await uploading;
      // Only the id on stdout, so `SNAPSHOT=$(amikit upload root.img)` works; --json has the details.
      context.print(result.snapshotId);
      return result;
    } finally {
      forget();
      clients.destroy();
    }
  },
};
