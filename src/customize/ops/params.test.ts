import { describe, expect, it } from 'vitest';
import { expectIdempotent, makeTree, runOps, textAt } from '../op-test-harness.js';
import { params, parseParam, quoteEnvValue } from './params.js';

describe('params', () => {
  it('parses and quotes values so sh and EnvironmentFile= read them back', () => {
    expect(parseParam('A_1=x=y', '--param')).toEqual(['A_1', 'x=y']);
    expect(() => parseParam('1A=x', '--param')).toThrow(/KEY=VALUE/);
    expect(() => parseParam('noequals', '--param')).toThrow();
    expect(quoteEnvValue('a "b" $c `d` \\e')).toBe('"a \\"b\\" \\$c \\`d\\` \\\\e"');
  });

  it('merges params file, --param and existing parameters into sorted env and JSON files', async () => {
    const tree = makeTree({ '/etc/amikit/params.json': '{"OLD":"1","REGION":"eu-west-1"}\n' });
    const values = { param: ['STAGE=prod', 'REGION=us-east-1'], 'params-file': '/h/p.env' };
    const hostFiles = { '/h/p.env': '# comment\nAPI_URL=https://x.example/?a=1&b="2"\n\nREGION=ap-south-1\n' };
    await runOps([params], tree, values, { hostFiles });
    expect(JSON.parse(textAt(tree, '/etc/amikit/params.json')!)).toEqual({ API_URL: 'https://x.example/?a=1&b="2"', OLD: '1', REGION: 'us-east-1', STAGE: 'prod' });
    expect(textAt(tree, '/etc/amikit/params.env')).toBe(
      '# Runtime parameters written by amikit (same content as params.json).\nAPI_URL="https://x.example/?a=1&b=\\"2\\""\nOLD="1"\nREGION="us-east-1"\nSTAGE="prod"\n',
    );
    expect(tree.lookup('/etc/amikit/params.env')?.meta).toMatchObject({ mode: 0o644, uid: 0 });
    await expectIdempotent(params, tree, values, { hostFiles });
  });
});
