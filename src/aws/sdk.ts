// The AWS SDK clients, loaded with require(). They ship as CommonJS packages without a "type" field:
// an ESM import of one makes Node 20 first scan its source for module syntax and lex its exports,
// about 0.3 s of CPU for client-ec2's 2 MB on every AWS command. require() only compiles it.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** @aws-sdk/client-ebs (EBS direct APIs). */
export const ebsSdk = require('@aws-sdk/client-ebs') as typeof import('@aws-sdk/client-ebs');

/** @aws-sdk/client-ec2 (snapshots and images). */
export const ec2Sdk = require('@aws-sdk/client-ec2') as typeof import('@aws-sdk/client-ec2');
