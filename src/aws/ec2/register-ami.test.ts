import { describe, expect, it } from 'vitest';
import { registerImageRequest } from './register-ami.js';

describe('registerImageRequest', () => {
  it('states every default instead of leaving the API its own (i386, paravirtual, gp2)', () => {
    const request = registerImageRequest('snap-0123456789abcdef0', { name: 'n-1', architecture: 'arm64', bootMode: 'uefi', imdsSupport: 'v2.0' });
    expect(request).toEqual({
      Name: 'n-1',
      Architecture: 'arm64',
      VirtualizationType: 'hvm',
      RootDeviceName: '/dev/xvda',
      BlockDeviceMappings: [{ DeviceName: '/dev/xvda', Ebs: { SnapshotId: 'snap-0123456789abcdef0', VolumeType: 'gp3', DeleteOnTermination: true } }],
      EnaSupport: true,
      SriovNetSupport: 'simple',
      BootMode: 'uefi',
      ImdsSupport: 'v2.0',
    });
  });

  it('adds TPM, size, type, root device and image tags when asked', () => {
    const request = registerImageRequest('snap-1', {
      name: 'n-2',
      description: 'd',
      architecture: 'x86_64',
      bootMode: 'uefi-preferred',
      tpmSupport: 'v2.0',
      rootDeviceName: '/dev/sda1',
      volumeSizeGiB: 20,
      volumeType: 'io2',
      tags: [{ key: 'a', value: 'b' }],
    });
    expect(request).toMatchObject({
      Description: 'd',
      TpmSupport: 'v2.0',
      RootDeviceName: '/dev/sda1',
      BlockDeviceMappings: [{ DeviceName: '/dev/sda1', Ebs: { VolumeSize: 20, VolumeType: 'io2' } }],
      TagSpecifications: [{ ResourceType: 'image', Tags: [{ Key: 'a', Value: 'b' }] }],
    });
    expect(request.ImdsSupport).toBeUndefined();
  });
});
