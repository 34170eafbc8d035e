// SDK clients pointed at the local AWS endpoint, signed with its test credentials.
import { EBSClient } from '@aws-sdk/client-ebs';
import { EC2Client } from '@aws-sdk/client-ec2';
import type { AwsEndpoint } from './aws-endpoint.js';

export interface AwsClientOptions {
  /** Region to sign for (default: the endpoint's region); CopyImage targets are other regions. */
  region?: string;
  /** SDK attempts per call; 1 shows every injected fault to the caller (default 1). */
  maxAttempts?: number;
  /** Per-request timeout in ms; an expiry throws (this SDK only warns unless throwOnRequestTimeout is set). */
  requestTimeoutMs?: number;
  /** Overrides the endpoint's credentials, e.g. a wrong secret. */
  credentials?: { accessKeyId: string; secretAccessKey: string };
}

/**
 * Builds an EBS and an EC2 client for the endpoint. Also silences the SDK's Node-version notice for
 * this test process only (the SDK's own switch), so test output stays readable under Node 20.
 * @example const { ebs, ec2 } = createAwsClients(aws, { maxAttempts: 3 });
 */
export function createAwsClients(endpoint: AwsEndpoint, options: AwsClientOptions = {}): { ebs: EBSClient; ec2: EC2Client } {
  process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] = 'true';
  const common = {
    region: options.region ?? endpoint.region,
    credentials: options.credentials ?? endpoint.credentials,
    maxAttempts: options.maxAttempts ?? 1,
    ...(options.requestTimeoutMs !== undefined ? { requestHandler: { requestTimeout: options.requestTimeoutMs, throwOnRequestTimeout: true } } : {}),
  };
  return {
    ebs: new EBSClient({ ...common, endpoint: endpoint.ebsUrl }),
    ec2: new EC2Client({ ...common, endpoint: endpoint.ec2Url }),
  };
}
