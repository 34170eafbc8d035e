// The local AWS endpoint as its own process for test/bench/upload.mjs, so the uploader's CPU time is
// measured apart from the server's: prints one JSON line (environment for the client), serves until
// stdin closes, then prints its own CPU seconds and request counts.
import { startAwsEndpoint } from '../support/aws-endpoint/aws-endpoint.js';

const rateCap = process.argv.includes('--aws-rate-cap');
// Every request is verified (signature, checksum, block size, state) but its data is not kept: storing
// gigabytes (page cache or heap) would bill this server for fresh memory the real service never costs
// the client's machine, and the benchmark never reads blocks back.
const aws = await startAwsEndpoint({ storage: 'discard' });
// Without the cap the benchmark sees how fast client and server go; with it, the AWS quota (1000/s).
if (!rateCap) aws.faults.setRateCap('PutSnapshotBlock', undefined);
const startCpu = process.cpuUsage();
process.stdout.write(JSON.stringify({ env: aws.environment() }) + '\n');
process.stdin.resume();
process.stdin.on('end', async () => {
  const cpu = process.cpuUsage(startCpu);
  const puts = aws.requestLog.filter((entry) => entry.operation === 'PutSnapshotBlock').length;
  process.stdout.write(JSON.stringify({ serverCpuSec: (cpu.user + cpu.system) / 1e6, putSnapshotBlock: puts, throttled: aws.faults.injected.throttle }) + '\n');
  await aws.stop();
  process.exit(0);
});
