// The local endpoint's EC2 snapshot and image actions, driven only through @aws-sdk/client-ec2; each
// test names the EC2 API reference section it checks.
import { describe, expect, it } from 'vitest';
import {
  CopyImageCommand,
  CreateTagsCommand,
  DeleteSnapshotCommand,
  DeregisterImageCommand,
  DescribeImageAttributeCommand,
  DescribeImagesCommand,
  DescribeSnapshotsCommand,
  ModifyImageAttributeCommand,
  RegisterImageCommand,
  type DescribeImagesCommandInput,
  type EC2Client,
  type RegisterImageCommandInput,
} from '@aws-sdk/client-ec2';
import { StartSnapshotCommand } from '@aws-sdk/client-ebs';
import { createAwsClients } from '../support/aws-endpoint/aws-clients.js';
import { ManualClock } from '../support/aws-endpoint/manual-clock.js';
import { endpointForTest, patternBlock, rejectionOf, uploadSnapshot } from './endpoint-fixture.js';

function registerInput(snapshotId: string, overrides: Partial<RegisterImageCommandInput> = {}): RegisterImageCommandInput {
  return {
    Name: 'amikit-debian (2024) [x86_64]',
    Description: 'built by amikit',
    Architecture: 'x86_64',
    VirtualizationType: 'hvm',
    RootDeviceName: '/dev/xvda',
    BlockDeviceMappings: [{ DeviceName: '/dev/xvda', Ebs: { SnapshotId: snapshotId, VolumeSize: 8, VolumeType: 'gp3', DeleteOnTermination: true } }],
    EnaSupport: true,
    SriovNetSupport: 'simple',
    BootMode: 'uefi-preferred',
    TpmSupport: 'v2.0',
    ImdsSupport: 'v2.0',
    TagSpecifications: [{ ResourceType: 'image', Tags: [{ Key: 'app', Value: 'amikit' }] }],
    ...overrides,
  };
}

async function snapshotReady(options: Parameters<typeof endpointForTest>[0] = {}) {
  const fixture = await endpointForTest(options);
  const snapshotId = await uploadSnapshot(fixture.ebs, new Map([[0, patternBlock(0)]]), { VolumeSize: 2 });
  return { ...fixture, snapshotId };
}

async function describeImage(ec2: EC2Client, imageId: string) {
  return (await ec2.send(new DescribeImagesCommand({ ImageIds: [imageId] }))).Images?.[0];
}

describe('RegisterImage and DescribeImages (API_RegisterImage, API_DescribeImages)', () => {
  it('keeps and returns every registered field', async () => {
    const { ec2, snapshotId, aws } = await snapshotReady();
    const { ImageId } = await ec2.send(new RegisterImageCommand(registerInput(snapshotId)));
    expect(ImageId).toMatch(/^ami-[0-9a-f]{17}$/);
    const image = await describeImage(ec2, ImageId as string);
    expect(image).toMatchObject({
      ImageId,
      Name: 'amikit-debian (2024) [x86_64]',
      Description: 'built by amikit',
      OwnerId: aws.ownerId,
      State: 'available',
      Architecture: 'x86_64',
      VirtualizationType: 'hvm',
      RootDeviceType: 'ebs',
      RootDeviceName: '/dev/xvda',
      EnaSupport: true,
      SriovNetSupport: 'simple',
      BootMode: 'uefi-preferred',
      TpmSupport: 'v2.0',
      ImdsSupport: 'v2.0',
      Public: false,
      Tags: [{ Key: 'app', Value: 'amikit' }],
    });
    expect(image?.BlockDeviceMappings).toEqual([
      { DeviceName: '/dev/xvda', Ebs: { SnapshotId: snapshotId, VolumeSize: 8, VolumeType: 'gp3', DeleteOnTermination: true, Encrypted: false } },
    ]);
  });

  it('defaults to i386 paravirtual when Architecture and VirtualizationType are omitted (B11: hostile defaults)', async () => {
    const { ec2, snapshotId } = await snapshotReady();
    const { ImageId } = await ec2.send(
      new RegisterImageCommand({ Name: 'plain', RootDeviceName: '/dev/sda1', BlockDeviceMappings: [{ DeviceName: '/dev/sda1', Ebs: { SnapshotId: snapshotId } }] }),
    );
    expect(await describeImage(ec2, ImageId as string)).toMatchObject({ Architecture: 'i386', VirtualizationType: 'paravirtual' });
  });

  it.each([
    ['a name shorter than 3 characters', { Name: 'ab' }, 'InvalidAMIName.Malformed'],
    ['a name with a character outside the allowed set', { Name: 'bad:name' }, 'InvalidAMIName.Malformed'],
    ['a root device without a mapping', { RootDeviceName: '/dev/sda1' }, 'InvalidBlockDeviceMapping'],
    ['a volume smaller than the snapshot', { BlockDeviceMappings: [{ DeviceName: '/dev/xvda', Ebs: { VolumeSize: 1 } }] }, 'InvalidBlockDeviceMapping'],
    ['Encrypted on a mapping from a snapshot', { BlockDeviceMappings: [{ DeviceName: '/dev/xvda', Ebs: { Encrypted: true } }] }, 'InvalidParameterCombination'],
    ['gp3 Iops below 3000', { BlockDeviceMappings: [{ DeviceName: '/dev/xvda', Ebs: { VolumeType: 'gp3', Iops: 100 } }] }, 'InvalidParameterValue'],
    ['an unknown architecture', { Architecture: 'sparc' as never }, 'InvalidParameterValue'],
    ['an unknown boot mode', { BootMode: 'bios' as never }, 'InvalidParameterValue'],
    ['TPM with legacy-bios boot', { BootMode: 'legacy-bios' }, 'InvalidParameterCombination'],
    ['a snapshot tag specification', { TagSpecifications: [{ ResourceType: 'snapshot', Tags: [{ Key: 'k', Value: 'v' }] }] }, 'InvalidParameterValue'],
  ] as Array<[string, Partial<RegisterImageCommandInput>, string]>)('rejects %s', async (_label, overrides, code) => {
    const { ec2, snapshotId } = await snapshotReady();
    const input = registerInput(snapshotId, overrides);
    // Mapping overrides name no snapshot; give them the real one so only the tested field is wrong.
    for (const m of input.BlockDeviceMappings ?? []) if (m.Ebs && !m.Ebs.SnapshotId) m.Ebs.SnapshotId = snapshotId;
    const error = await rejectionOf(ec2.send(new RegisterImageCommand(input)));
    expect(error.name).toBe(code);
  });

  it('refuses a duplicate name, a missing snapshot and a snapshot that is not completed yet', async () => {
    const clock = new ManualClock();
    const { ec2, ebs, snapshotId } = await snapshotReady({ clock });
    await ec2.send(new RegisterImageCommand(registerInput(snapshotId)));
    expect((await rejectionOf(ec2.send(new RegisterImageCommand(registerInput(snapshotId))))).name).toBe('InvalidAMIName.Duplicate');
    const missing = registerInput('snap-0123456789abcdef0', { Name: 'other' });
    expect((await rejectionOf(ec2.send(new RegisterImageCommand(missing))))).toMatchObject({ name: 'InvalidSnapshot.NotFound' });
    const pending = await ebs.send(new StartSnapshotCommand({ VolumeSize: 1 }));
    const notReady = registerInput(pending.SnapshotId as string, { Name: 'third' });
    expect((await rejectionOf(ec2.send(new RegisterImageCommand(notReady)))).name).toBe('IncorrectState');
  });

  it('moves a new image from pending to available after the configured delay', async () => {
    const clock = new ManualClock();
    const { ec2, snapshotId } = await snapshotReady({ clock, delays: { imageAvailableMs: 60_000 } });
    const { ImageId } = await ec2.send(new RegisterImageCommand(registerInput(snapshotId)));
    expect((await describeImage(ec2, ImageId as string))?.State).toBe('pending');
    clock.advance(60_000);
    expect((await describeImage(ec2, ImageId as string))?.State).toBe('available');
  });

  it('filters by name (with wildcards), owner and tag; an unknown id is InvalidAMIID.NotFound', async () => {
    const { ec2, snapshotId } = await snapshotReady();
    const a = await ec2.send(new RegisterImageCommand(registerInput(snapshotId, { Name: 'amikit-a' })));
    await ec2.send(new RegisterImageCommand(registerInput(snapshotId, { Name: 'other-b', TagSpecifications: [] })));
    const ids = async (input: DescribeImagesCommandInput) =>
      ((await ec2.send(new DescribeImagesCommand(input))).Images ?? []).map((i) => i.ImageId);
    expect(await ids({ Owners: ['self'], Filters: [{ Name: 'name', Values: ['amikit-*'] }] })).toEqual([a.ImageId]);
    expect(await ids({ Filters: [{ Name: 'tag:app', Values: ['amikit'] }] })).toEqual([a.ImageId]);
    expect(await ids({ Owners: ['999999999999'] })).toEqual([]);
    expect((await ids({ Owners: ['self'] })).length).toBe(2);
    const error = await rejectionOf(ec2.send(new DescribeImagesCommand({ ImageIds: ['ami-0123456789abcdef0'] })));
    expect(error.name).toBe('InvalidAMIID.NotFound');
  });
});

describe('image attributes, tags and deregistration', () => {
  it('adds and removes launch permissions (API_ModifyImageAttribute, API_DescribeImageAttribute)', async () => {
    const { ec2, snapshotId } = await snapshotReady();
    const { ImageId } = await ec2.send(new RegisterImageCommand(registerInput(snapshotId)));
    await ec2.send(new ModifyImageAttributeCommand({ ImageId, LaunchPermission: { Add: [{ UserId: '111122223333' }, { UserId: '444455556666' }] } }));
    await ec2.send(new ModifyImageAttributeCommand({ ImageId, LaunchPermission: { Remove: [{ UserId: '444455556666' }] } }));
    const attr = await ec2.send(new DescribeImageAttributeCommand({ ImageId, Attribute: 'launchPermission' }));
    expect(attr.LaunchPermissions).toEqual([{ UserId: '111122223333' }]);
    const boot = await ec2.send(new DescribeImageAttributeCommand({ ImageId, Attribute: 'bootMode' }));
    expect(boot.BootMode?.Value).toBe('uefi-preferred');
    const bad = await rejectionOf(ec2.send(new ModifyImageAttributeCommand({ ImageId, LaunchPermission: { Add: [{ UserId: 'nobody' }] } })));
    expect(bad.name).toBe('InvalidAMIAttributeItemValue');
    await ec2.send(new RegisterImageCommand(registerInput(snapshotId, { Name: 'not-shared' })));
    expect((await ec2.send(new DescribeImagesCommand({ Owners: ['self'] }))).Images).toHaveLength(2);
    expect((await ec2.send(new DescribeImagesCommand({ ExecutableUsers: ['111122223333'] }))).Images?.map((i) => i.ImageId)).toEqual([ImageId]);
  });

  it('tags images and snapshots (API_CreateTags) and shows them in Describe*', async () => {
    const { ec2, snapshotId } = await snapshotReady();
    const { ImageId } = await ec2.send(new RegisterImageCommand(registerInput(snapshotId)));
    await ec2.send(new CreateTagsCommand({ Resources: [ImageId as string, snapshotId], Tags: [{ Key: 'stage', Value: 'test' }] }));
    expect((await describeImage(ec2, ImageId as string))?.Tags).toContainEqual({ Key: 'stage', Value: 'test' });
    const snaps = await ec2.send(new DescribeSnapshotsCommand({ Filters: [{ Name: 'tag:stage', Values: ['test'] }] }));
    expect(snaps.Snapshots?.map((s) => s.SnapshotId)).toEqual([snapshotId]);
    const error = await rejectionOf(ec2.send(new CreateTagsCommand({ Resources: ['snap-0123456789abcdef0'], Tags: [{ Key: 'k', Value: 'v' }] })));
    expect(error.name).toBe('InvalidSnapshot.NotFound');
  });

  it('refuses to delete a snapshot an AMI uses until the AMI is deregistered (API_DeleteSnapshot)', async () => {
    const { ec2, snapshotId } = await snapshotReady();
    const { ImageId } = await ec2.send(new RegisterImageCommand(registerInput(snapshotId)));
    const inUse = await rejectionOf(ec2.send(new DeleteSnapshotCommand({ SnapshotId: snapshotId })));
    expect(inUse.name).toBe('InvalidSnapshot.InUse');
    await ec2.send(new DeregisterImageCommand({ ImageId }));
    expect((await ec2.send(new DescribeImagesCommand({ Owners: ['self'] }))).Images).toEqual([]);
    await ec2.send(new DeleteSnapshotCommand({ SnapshotId: snapshotId }));
    const gone = await rejectionOf(ec2.send(new DescribeSnapshotsCommand({ SnapshotIds: [snapshotId] })));
    expect(gone.name).toBe('InvalidSnapshot.NotFound');
  });
});

describe('CopyImage (API_CopyImage)', () => {
  it('copies an available image and its snapshot into another region of the same endpoint', async () => {
    const { ec2, aws, snapshotId } = await snapshotReady();
    const { ImageId } = await ec2.send(new RegisterImageCommand(registerInput(snapshotId)));
    const west = createAwsClients(aws, { region: 'eu-west-1' }).ec2;
    const copy = await west.send(new CopyImageCommand({ SourceImageId: ImageId, SourceRegion: 'us-east-1', Name: 'amikit-copy', CopyImageTags: true }));
    const copied = await describeImage(west, copy.ImageId as string);
    expect(copied).toMatchObject({ Name: 'amikit-copy', Architecture: 'x86_64', BootMode: 'uefi-preferred', Tags: [{ Key: 'app', Value: 'amikit' }] });
    const copiedSnapshot = copied?.BlockDeviceMappings?.[0]?.Ebs?.SnapshotId;
    expect(copiedSnapshot).not.toBe(snapshotId);
    expect((await west.send(new DescribeSnapshotsCommand({ SnapshotIds: [copiedSnapshot as string] }))).Snapshots?.[0]?.State).toBe('completed');
    expect((await aws.readVolumeBlock(copiedSnapshot as string, 0)).equals(patternBlock(0))).toBe(true);
    // Resources stay in their region.
    expect((await rejectionOf(ec2.send(new DescribeImagesCommand({ ImageIds: [copy.ImageId as string] })))).name).toBe('InvalidAMIID.NotFound');
    const missing = await rejectionOf(west.send(new CopyImageCommand({ SourceImageId: ImageId, SourceRegion: 'ap-south-1', Name: 'x-copy' })));
    expect(missing.name).toBe('InvalidAMIID.NotFound');
  });
});

describe('SigV4 on EC2 (IAM user guide: signature version 4)', () => {
  it('rejects a wrong secret with SignatureDoesNotMatch and an unknown key with AuthFailure', async () => {
    const { aws } = await endpointForTest();
    const wrong = createAwsClients(aws, { credentials: { accessKeyId: aws.credentials.accessKeyId, secretAccessKey: 'wrong' } });
    expect((await rejectionOf(wrong.ec2.send(new DescribeImagesCommand({})))).name).toBe('SignatureDoesNotMatch');
    const unknown = createAwsClients(aws, { credentials: { accessKeyId: 'AKIAUNKNOWN', secretAccessKey: 'x' } });
    expect((await rejectionOf(unknown.ec2.send(new DescribeImagesCommand({})))).name).toBe('AuthFailure');
  });
});
