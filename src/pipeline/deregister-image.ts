// `amikit deregister AMI_ID [--delete-snapshots]`: the image goes, and with the flag the snapshots it mapped.
import type { EC2Client } from '@aws-sdk/client-ec2';
import { deregisterAmi, type DeregisterAmiResult } from '../aws/ec2/ami-state.js';

export interface DeregisterImageOptions {
  ec2: EC2Client;
  imageId: string;
  deleteSnapshots?: boolean;
  signal?: AbortSignal;
}

/** Deregisters the image; the snapshots are deleted only after it is gone (AWS refuses while in use). */
export async function deregisterImage(options: DeregisterImageOptions): Promise<DeregisterAmiResult> {
  return deregisterAmi(options.ec2, options.imageId, {
    ...(options.deleteSnapshots ? { deleteSnapshots: true } : {}),
    retry: options.signal ? { signal: options.signal } : {},
  });
}
