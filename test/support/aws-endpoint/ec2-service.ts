// The EC2 image and snapshot actions over the query protocol with XML answers (EC2 API reference:
// DescribeSnapshots, DeleteSnapshot, RegisterImage, DescribeImages, Describe/ModifyImageAttribute,
// CreateTags, DeregisterImage, CopyImage; "Error codes for the Amazon EC2 API").
import { randomUUID } from 'node:crypto';
import type { ServiceResponse } from './ebs-service.js';
import type { BlockDeviceMapping, EndpointState, ImageRecord, SnapshotRecord, Tag } from './endpoint-state.js';

/** An EC2 error: HTTP status plus one of the documented codes. */
export class Ec2Error extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** The Response/Errors/Error document EC2 answers failures with. */
export function ec2ErrorXml(error: Ec2Error): string {
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<Response><Errors><Error><Code>${escapeXml(error.code)}</Code><Message>${escapeXml(error.message)}</Message></Error></Errors>` +
    `<RequestID>${randomUUID()}</RequestID></Response>`
  );
}

type XmlValue = string | number | boolean | undefined | XmlNode[];
type XmlNode = [name: string, value: XmlValue];

const NAMESPACE = 'http://ec2.amazonaws.com/doc/2016-11-15/';
const AMI_NAME_PATTERN = /^[A-Za-z0-9()[\] ./\-'@_]{3,128}$/;
const ARCHITECTURES = ['i386', 'x86_64', 'arm64', 'x86_64_mac', 'arm64_mac'];
const VOLUME_TYPES = ['standard', 'io1', 'io2', 'gp2', 'sc1', 'st1', 'gp3'];
// Provisioned IOPS bounds per volume type (EBS volume types page); other types take no Iops.
const IOPS_RANGE: Record<string, [number, number]> = { gp3: [3000, 16000], io1: [100, 64000], io2: [100, 256000] };
const BOOT_MODES = ['legacy-bios', 'uefi', 'uefi-preferred'];
const IMAGE_ATTRIBUTES = [
  'description', 'kernel', 'ramdisk', 'launchPermission', 'productCodes', 'blockDeviceMapping',
  'sriovNetSupport', 'bootMode', 'tpmSupport', 'uefiData', 'lastLaunchedTime', 'imdsSupport',
];

/** A flat query (`A.1.B=x`) as a tree; numbered segments become lists (1-based, in order). */
interface QueryTree {
  [key: string]: QueryTree | string;
}

export class Ec2Service {
  constructor(private readonly state: EndpointState) {}

  async handle(action: string, params: URLSearchParams, region: string): Promise<ServiceResponse> {
    const input = parseQuery(params);
    switch (action) {
      case 'DescribeSnapshots':
        return this.respond(action, this.describeSnapshots(input, region));
      case 'DeleteSnapshot':
        return this.respond(action, this.deleteSnapshot(input, region));
      case 'RegisterImage':
        return this.respond(action, this.registerImage(input, region));
      case 'DescribeImages':
        return this.respond(action, this.describeImages(input, region));
      case 'DescribeImageAttribute':
        return this.respond(action, this.describeImageAttribute(input, region));
      case 'ModifyImageAttribute':
        return this.respond(action, this.modifyImageAttribute(input, region));
      case 'CreateTags':
        return this.respond(action, this.createTags(input, region));
      case 'DeregisterImage':
        return this.respond(action, this.deregisterImage(input, region));
      case 'CopyImage':
        return this.respond(action, await this.copyImage(input, region));
      case 'MissingAction':
        throw new Ec2Error(400, 'MissingAction', 'The request must contain the parameter Action');
      default:
        throw new Ec2Error(400, 'InvalidAction', `The action ${action} is not valid for this web service.`);
    }
  }

  private respond(action: string, nodes: XmlNode[]): ServiceResponse {
    const xml =
      '<?xml version="1.0" encoding="UTF-8"?>\n' +
      `<${action}Response xmlns="${NAMESPACE}">${renderXml([['requestId', randomUUID()], ...nodes])}</${action}Response>`;
    return { status: 200, headers: { 'content-type': 'text/xml;charset=UTF-8' }, body: Buffer.from(xml) };
  }

  // --- DescribeSnapshots (API_DescribeSnapshots) ---
  private describeSnapshots(input: QueryTree, region: string): XmlNode[] {
    const ids = stringList(input['SnapshotId']);
    const owners = stringList(input['Owner']);
    const filters = parseFilters(input['Filter']);
    for (const id of ids) checkId(id, 'snap', 'InvalidSnapshotID.Malformed');
    let snapshots = [...this.state.snapshots.values()].filter((s) => !s.isDeleted && s.region === region);
    if (ids.length > 0) {
      const missing = ids.find((id) => !snapshots.some((s) => s.snapshotId === id));
      if (missing) throw new Ec2Error(400, 'InvalidSnapshot.NotFound', `The snapshot '${missing}' does not exist.`);
      snapshots = snapshots.filter((s) => ids.includes(s.snapshotId));
    }
    if (owners.length > 0) snapshots = snapshots.filter((s) => owners.some((o) => o === 'self' || o === s.ownerId));
    snapshots = snapshots.filter((s) =>
      filters.every(({ name, values }) => {
        const tagKey = name.startsWith('tag:') ? name.slice(4) : undefined;
        if (tagKey !== undefined) return s.tags.some((t) => t.key === tagKey && values.some((v) => wildcard(v, t.value)));
        const field: Record<string, string | undefined> = {
          'snapshot-id': s.snapshotId,
          status: this.state.snapshotStatus(s),
          'owner-id': s.ownerId,
          'volume-size': String(s.volumeSizeGiB),
          encrypted: String(s.isEncrypted),
          description: s.description,
          progress: this.state.snapshotProgress(s),
        };
        if (name === 'tag-key') return s.tags.some((t) => values.includes(t.key));
        if (!(name in field)) throw new Ec2Error(400, 'InvalidParameterValue', `The filter '${name}' is invalid`);
        return values.some((v) => wildcard(v, field[name] ?? ''));
      }),
    );
    const page = paginate(snapshots, input, 5, 1000);
    return [
      ['snapshotSet', page.items.map((s): XmlNode => ['item', this.snapshotXml(s)])],
      ['nextToken', page.nextToken],
    ];
  }

  private snapshotXml(s: SnapshotRecord): XmlNode[] {
    return [
      ['snapshotId', s.snapshotId],
      // Snapshots made through the EBS direct APIs come from no volume; AWS shows this placeholder.
      ['volumeId', 'vol-ffffffff'],
      ['status', this.state.snapshotStatus(s)],
      ['startTime', new Date(s.startTimeMs).toISOString()],
      ['progress', this.state.snapshotProgress(s)],
      ['ownerId', s.ownerId],
      ['volumeSize', s.volumeSizeGiB],
      ['description', s.description],
      ['encrypted', s.isEncrypted],
      ['kmsKeyId', s.kmsKeyArn],
      ['storageTier', 'standard'],
      ['tagSet', tagSetXml(s.tags)],
    ];
  }

  // --- DeleteSnapshot (API_DeleteSnapshot: refused while a registered AMI uses it) ---
  private deleteSnapshot(input: QueryTree, region: string): XmlNode[] {
    const snapshotId = required(input, 'SnapshotId');
    checkId(snapshotId, 'snap', 'InvalidSnapshotID.Malformed');
    const snapshot = this.state.findSnapshot(snapshotId, region);
    if (!snapshot) throw new Ec2Error(400, 'InvalidSnapshot.NotFound', `The snapshot '${snapshotId}' does not exist.`);
    const user = [...this.state.images.values()].find(
      (image) => !image.isDeregistered && image.region === region && image.blockDeviceMappings.some((m) => m.ebs?.snapshotId === snapshotId),
    );
    if (user) throw new Ec2Error(400, 'InvalidSnapshot.InUse', `The snapshot ${snapshotId} is currently in use by ${user.imageId}`);
    snapshot.isDeleted = true;
    return [['return', true]];
  }

  // --- RegisterImage (API_RegisterImage; AMI name rules; "Specify a boot mode") ---
  private registerImage(input: QueryTree, region: string): XmlNode[] {
    const name = required(input, 'Name');
    this.checkNewImageName(name, region);
    const description = optional(input, 'Description');
    if (description !== undefined && description.length > 255) {
      throw new Ec2Error(400, 'InvalidParameterValue', 'The description must be at most 255 characters');
    }
    const architecture = oneOf(input, 'Architecture', ARCHITECTURES) ?? 'i386';
    const virtualizationType = oneOf(input, 'VirtualizationType', ['hvm', 'paravirtual']) ?? 'paravirtual';
    const rootDeviceName = optional(input, 'RootDeviceName');
    if (optional(input, 'ImageLocation') !== undefined) {
      throw new Ec2Error(400, 'InvalidParameterValue', 'Instance store-backed AMIs (ImageLocation) are not supported by this endpoint');
    }
    if (rootDeviceName === undefined) throw new Ec2Error(400, 'MissingParameter', 'The request must contain the parameter RootDeviceName');
    const mappings = this.parseMappings(input['BlockDeviceMapping'], region);
    const root = mappings.find((m) => m.deviceName === rootDeviceName);
    if (!root?.ebs?.snapshotId) {
      throw new Ec2Error(400, 'InvalidBlockDeviceMapping', `The root device name ${rootDeviceName} has no block device mapping with a snapshot`);
    }
    const enaSupport = optionalBoolean(input, 'EnaSupport');
    const sriovNetSupport = oneOf(input, 'SriovNetSupport', ['simple']);
    if ((enaSupport || sriovNetSupport) && virtualizationType !== 'hvm') {
      throw new Ec2Error(400, 'InvalidParameterCombination', 'Enhanced networking (ENA, SR-IOV) needs an hvm image');
    }
    const bootMode = oneOf(input, 'BootMode', BOOT_MODES);
    const tpmSupport = oneOf(input, 'TpmSupport', ['v2.0']);
    if (tpmSupport && bootMode !== 'uefi' && bootMode !== 'uefi-preferred') {
      throw new Ec2Error(400, 'InvalidParameterCombination', 'NitroTPM (TpmSupport v2.0) needs boot mode uefi or uefi-preferred');
    }
    const image: ImageRecord = {
      imageId: this.state.newId('ami'),
      region,
      ownerId: this.state.ownerId,
      name,
      description,
      architecture,
      virtualizationType,
      rootDeviceName,
      blockDeviceMappings: mappings,
      enaSupport,
      sriovNetSupport,
      bootMode,
      tpmSupport,
      imdsSupport: oneOf(input, 'ImdsSupport', ['v2.0']),
      uefiData: optional(input, 'UefiData'),
      tags: parseTagSpecifications(input['TagSpecification'], ['image']),
      creationMs: this.state.clock.now(),
      launchUserIds: new Set(),
      isPublic: false,
      isDeregistered: false,
      sourceImageId: undefined,
      sourceRegion: undefined,
    };
    this.state.images.set(image.imageId, image);
    return [['imageId', image.imageId]];
  }

  private checkNewImageName(name: string, region: string): void {
    if (!AMI_NAME_PATTERN.test(name)) {
      throw new Ec2Error(400, 'InvalidAMIName.Malformed', `AMI names are 3 to 128 characters of letters, digits and ( ) [ ] space . / - ' @ _`);
    }
    const taken = [...this.state.images.values()].find((i) => !i.isDeregistered && i.region === region && i.ownerId === this.state.ownerId && i.name === name);
    if (taken) throw new Ec2Error(400, 'InvalidAMIName.Duplicate', `AMI name ${name} is already in use by AMI ${taken.imageId}`);
  }

  private parseMappings(tree: QueryTree | string | undefined, region: string): BlockDeviceMapping[] {
    const mappings: BlockDeviceMapping[] = [];
    for (const raw of list(tree)) {
      if (typeof raw === 'string') throw new Ec2Error(400, 'InvalidBlockDeviceMapping', 'A block device mapping is malformed');
      const deviceName = typeof raw['DeviceName'] === 'string' ? raw['DeviceName'] : undefined;
      if (!deviceName) throw new Ec2Error(400, 'MissingParameter', 'Every block device mapping needs a DeviceName');
      if (mappings.some((m) => m.deviceName === deviceName)) {
        throw new Ec2Error(400, 'InvalidBlockDeviceMapping', `The device name ${deviceName} is mapped more than once`);
      }
      const mapping: BlockDeviceMapping = { deviceName };
      if (typeof raw['NoDevice'] === 'string') mapping.noDevice = raw['NoDevice'];
      if (typeof raw['VirtualName'] === 'string') mapping.virtualName = raw['VirtualName'];
      const ebs = raw['Ebs'];
      if (ebs && typeof ebs !== 'string') mapping.ebs = this.parseEbsMapping(ebs, deviceName, region);
      mappings.push(mapping);
    }
    return mappings;
  }

  private parseEbsMapping(ebs: QueryTree, deviceName: string, region: string): NonNullable<BlockDeviceMapping['ebs']> {
    const snapshotId = optional(ebs, 'SnapshotId');
    let snapshot: SnapshotRecord | undefined;
    if (snapshotId !== undefined) {
      checkId(snapshotId, 'snap', 'InvalidSnapshotID.Malformed');
      snapshot = this.state.findSnapshot(snapshotId, region);
      if (!snapshot) throw new Ec2Error(400, 'InvalidSnapshot.NotFound', `The snapshot '${snapshotId}' does not exist.`);
      const status = this.state.snapshotStatus(snapshot);
      if (status !== 'completed') throw new Ec2Error(400, 'IncorrectState', `Snapshot ${snapshotId} is in state '${status}', not 'completed'`);
      // The snapshot decides encryption of volumes made from it; RegisterImage refuses the flag.
      if (optional(ebs, 'Encrypted') !== undefined) {
        throw new Ec2Error(400, 'InvalidParameterCombination', 'Encrypted cannot be set for a mapping created from a snapshot');
      }
    }
    if (optional(ebs, 'KmsKeyId') !== undefined) {
      throw new Ec2Error(400, 'InvalidParameterCombination', 'KmsKeyId is not accepted in RegisterImage block device mappings');
    }
    const volumeSizeText = optional(ebs, 'VolumeSize');
    const volumeSizeGiB = volumeSizeText === undefined ? snapshot?.volumeSizeGiB : Number(volumeSizeText);
    if (volumeSizeGiB !== undefined && (!Number.isInteger(volumeSizeGiB) || volumeSizeGiB < 1 || volumeSizeGiB > 65536)) {
      throw new Ec2Error(400, 'InvalidParameterValue', `The volume size ${volumeSizeText} of ${deviceName} is not valid`);
    }
    if (snapshot && volumeSizeGiB !== undefined && volumeSizeGiB < snapshot.volumeSizeGiB) {
      throw new Ec2Error(400, 'InvalidBlockDeviceMapping', `Volume of size ${volumeSizeGiB}GiB is smaller than snapshot '${snapshot.snapshotId}', expect size >= ${snapshot.volumeSizeGiB}GiB`);
    }
    const volumeType = oneOf(ebs, 'VolumeType', VOLUME_TYPES);
    const effectiveType = volumeType ?? 'gp2';
    const iopsText = optional(ebs, 'Iops');
    let iops: number | undefined;
    if (iopsText !== undefined) {
      const range = IOPS_RANGE[effectiveType];
      iops = Number(iopsText);
      if (!range) throw new Ec2Error(400, 'InvalidParameterCombination', `Iops is not supported for volume type ${effectiveType}`);
      if (!Number.isInteger(iops) || iops < range[0] || iops > range[1]) {
        throw new Ec2Error(400, 'InvalidParameterValue', `Iops for ${effectiveType} must be from ${range[0]} to ${range[1]}`);
      }
    }
    const throughputText = optional(ebs, 'Throughput');
    let throughput: number | undefined;
    if (throughputText !== undefined) {
      throughput = Number(throughputText);
      if (effectiveType !== 'gp3') throw new Ec2Error(400, 'InvalidParameterCombination', 'Throughput is only supported for gp3 volumes');
      if (!Number.isInteger(throughput) || throughput < 125 || throughput > 1000) {
        throw new Ec2Error(400, 'InvalidParameterValue', 'Throughput for gp3 must be from 125 to 1000 MiB/s');
      }
    }
    return {
      snapshotId,
      volumeSizeGiB,
      volumeType: effectiveType,
      deleteOnTermination: optionalBoolean(ebs, 'DeleteOnTermination') ?? true,
      iops,
      throughput,
      isEncrypted: snapshot?.isEncrypted ?? false,
    };
  }

  // --- DescribeImages (API_DescribeImages) ---
  private describeImages(input: QueryTree, region: string): XmlNode[] {
    const ids = stringList(input['ImageId']);
    const owners = stringList(input['Owner']);
    const executableBy = stringList(input['ExecutableBy']);
    const filters = parseFilters(input['Filter']);
    for (const id of ids) checkId(id, 'ami', 'InvalidAMIID.Malformed');
    let images = [...this.state.images.values()].filter((i) => !i.isDeregistered && i.region === region);
    if (ids.length > 0) {
      const missing = ids.find((id) => !images.some((i) => i.imageId === id));
      if (missing) throw new Ec2Error(400, 'InvalidAMIID.NotFound', `The image id '[${missing}]' does not exist`);
      images = images.filter((i) => ids.includes(i.imageId));
    }
    if (owners.length > 0) images = images.filter((i) => owners.some((o) => o === 'self' || o === i.ownerId));
    if (executableBy.length > 0) {
      images = images.filter((i) => executableBy.some((who) => who === 'self' || (who === 'all' ? i.isPublic : i.launchUserIds.has(who))));
    }
    images = images.filter((i) =>
      filters.every(({ name, values }) => {
        if (name.startsWith('tag:')) return i.tags.some((t) => t.key === name.slice(4) && values.some((v) => wildcard(v, t.value)));
        if (name === 'tag-key') return i.tags.some((t) => values.includes(t.key));
        if (name === 'block-device-mapping.snapshot-id') {
          return i.blockDeviceMappings.some((m) => values.includes(m.ebs?.snapshotId ?? ''));
        }
        const field: Record<string, string | undefined> = {
          name: i.name,
          'image-id': i.imageId,
          'owner-id': i.ownerId,
          state: this.state.imageState(i),
          architecture: i.architecture,
          'virtualization-type': i.virtualizationType,
          'root-device-type': 'ebs',
          'root-device-name': i.rootDeviceName,
          'image-type': 'machine',
          'is-public': String(i.isPublic),
          'boot-mode': i.bootMode,
          'ena-support': i.enaSupport === undefined ? undefined : String(i.enaSupport),
          description: i.description,
        };
        if (!(name in field)) throw new Ec2Error(400, 'InvalidParameterValue', `The filter '${name}' is invalid`);
        const value = field[name];
        return value !== undefined && values.some((v) => wildcard(v, value));
      }),
    );
    const page = paginate(images, input, 6, 1000);
    return [
      ['imagesSet', page.items.map((i): XmlNode => ['item', this.imageXml(i)])],
      ['nextToken', page.nextToken],
    ];
  }

  private imageXml(i: ImageRecord): XmlNode[] {
    return [
      ['imageId', i.imageId],
      ['imageLocation', `${i.ownerId}/${i.name}`],
      ['imageState', this.state.imageState(i)],
      ['imageOwnerId', i.ownerId],
      ['creationDate', new Date(i.creationMs).toISOString()],
      ['isPublic', i.isPublic],
      ['architecture', i.architecture],
      ['imageType', 'machine'],
      ['name', i.name],
      ['description', i.description],
      ['rootDeviceType', 'ebs'],
      ['rootDeviceName', i.rootDeviceName],
      ['blockDeviceMapping', i.blockDeviceMappings.map((m): XmlNode => ['item', mappingXml(m)])],
      ['virtualizationType', i.virtualizationType],
      ['tagSet', tagSetXml(i.tags)],
      ['hypervisor', 'xen'],
      ['enaSupport', i.enaSupport],
      ['sriovNetSupport', i.sriovNetSupport],
      ['bootMode', i.bootMode],
      ['tpmSupport', i.tpmSupport],
      ['imdsSupport', i.imdsSupport],
      ['platformDetails', 'Linux/UNIX'],
      ['usageOperation', 'RunInstances'],
      ['sourceImageId', i.sourceImageId],
      ['sourceImageRegion', i.sourceRegion],
    ];
  }

  // --- DescribeImageAttribute (API_DescribeImageAttribute) ---
  private describeImageAttribute(input: QueryTree, region: string): XmlNode[] {
    const image = this.image(required(input, 'ImageId'), region);
    const attribute = required(input, 'Attribute');
    if (!IMAGE_ATTRIBUTES.includes(attribute)) throw new Ec2Error(400, 'InvalidParameterValue', `Value (${attribute}) for parameter attribute is invalid`);
    const valueOf = (value: string | undefined): XmlNode[] | undefined => (value === undefined ? undefined : [['value', value]]);
    const attributes: Record<string, XmlValue> = {
      description: valueOf(image.description),
      launchPermission: [
        ...(image.isPublic ? [['item', [['group', 'all']]] as XmlNode] : []),
        ...[...image.launchUserIds].map((userId): XmlNode => ['item', [['userId', userId]]]),
      ],
      blockDeviceMapping: image.blockDeviceMappings.map((m): XmlNode => ['item', mappingXml(m)]),
      sriovNetSupport: valueOf(image.sriovNetSupport),
      bootMode: valueOf(image.bootMode),
      tpmSupport: valueOf(image.tpmSupport),
      uefiData: valueOf(image.uefiData),
      imdsSupport: valueOf(image.imdsSupport),
      productCodes: [],
    };
    return [['imageId', image.imageId], [attribute, attributes[attribute]]];
  }

  // --- ModifyImageAttribute (API_ModifyImageAttribute: launch permissions, description) ---
  private modifyImageAttribute(input: QueryTree, region: string): XmlNode[] {
    const image = this.image(required(input, 'ImageId'), region);
    const add: Array<{ userId?: string; group?: string }> = [];
    const remove: Array<{ userId?: string; group?: string }> = [];
    const launchPermission = input['LaunchPermission'];
    if (launchPermission && typeof launchPermission !== 'string') {
      for (const [target, key] of [[add, 'Add'], [remove, 'Remove']] as const) {
        for (const raw of list(launchPermission[key])) {
          if (typeof raw === 'string') continue;
          target.push({ userId: optional(raw, 'UserId'), group: optional(raw, 'Group') });
        }
      }
    }
    const attribute = optional(input, 'Attribute');
    const operationType = optional(input, 'OperationType');
    const userIds = stringList(input['UserId']);
    const groups = stringList(input['UserGroup']);
    if (userIds.length > 0 || groups.length > 0) {
      if (attribute !== undefined && attribute !== 'launchPermission') {
        throw new Ec2Error(400, 'InvalidParameterCombination', 'UserId and UserGroup only apply to launchPermission');
      }
      if (operationType !== 'add' && operationType !== 'remove') {
        throw new Ec2Error(400, 'MissingParameter', 'OperationType add or remove is required with UserId or UserGroup');
      }
      const target = operationType === 'add' ? add : remove;
      for (const userId of userIds) target.push({ userId });
      for (const group of groups) target.push({ group });
    }
    const description = input['Description'];
    const descriptionValue = description && typeof description !== 'string' ? optional(description, 'Value') : undefined;
    if (add.length === 0 && remove.length === 0 && descriptionValue === undefined) {
      throw new Ec2Error(400, 'MissingParameter', 'Nothing to modify: give a launch permission or a description');
    }
    for (const item of [...add, ...remove]) {
      if (item.userId !== undefined && !/^\d{12}$/.test(item.userId)) {
        throw new Ec2Error(400, 'InvalidAMIAttributeItemValue', `Invalid attribute item value "${item.userId}" for userId item type.`);
      }
      if (item.group !== undefined && item.group !== 'all') {
        throw new Ec2Error(400, 'InvalidAMIAttributeItemValue', `Invalid attribute item value "${item.group}" for group item type.`);
      }
    }
    for (const item of add) {
      if (item.userId) image.launchUserIds.add(item.userId);
      if (item.group) image.isPublic = true;
    }
    for (const item of remove) {
      if (item.userId) image.launchUserIds.delete(item.userId);
      if (item.group) image.isPublic = false;
    }
    if (descriptionValue !== undefined) image.description = descriptionValue;
    return [['return', true]];
  }

  // --- CreateTags (API_CreateTags) ---
  private createTags(input: QueryTree, region: string): XmlNode[] {
    const resourceIds = stringList(input['ResourceId']);
    if (resourceIds.length === 0) throw new Ec2Error(400, 'MissingParameter', 'The request must contain the parameter ResourceId');
    const tags = parseTags(input['Tag']);
    const targets: Array<{ tags: Tag[] }> = resourceIds.map((id) => {
      if (id.startsWith('ami-')) return this.image(id, region);
      if (id.startsWith('snap-')) {
        checkId(id, 'snap', 'InvalidSnapshotID.Malformed');
        const snapshot = this.state.findSnapshot(id, region);
        if (!snapshot) throw new Ec2Error(400, 'InvalidSnapshot.NotFound', `The snapshot '${id}' does not exist.`);
        return snapshot;
      }
      throw new Ec2Error(400, 'InvalidID', `The ID '${id}' is not valid`);
    });
    for (const target of targets) {
      for (const tag of tags) {
        const existing = target.tags.find((t) => t.key === tag.key);
        if (existing) existing.value = tag.value;
        else target.tags.push({ ...tag });
      }
      if (target.tags.length > 50) throw new Ec2Error(400, 'TagLimitExceeded', 'A resource can have at most 50 tags');
    }
    return [['return', true]];
  }

  // --- DeregisterImage (API_DeregisterImage) ---
  private deregisterImage(input: QueryTree, region: string): XmlNode[] {
    const image = this.image(required(input, 'ImageId'), region);
    image.isDeregistered = true;
    if (optionalBoolean(input, 'DeleteAssociatedSnapshots')) {
      // A snapshot another image still uses stays.
      for (const mapping of image.blockDeviceMappings) {
        const snapshotId = mapping.ebs?.snapshotId;
        if (!snapshotId) continue;
        const inUse = [...this.state.images.values()].some(
          (other) => !other.isDeregistered && other.blockDeviceMappings.some((m) => m.ebs?.snapshotId === snapshotId),
        );
        const snapshot = this.state.snapshots.get(snapshotId);
        if (snapshot && !inUse) snapshot.isDeleted = true;
      }
    }
    return [['return', true]];
  }

  // --- CopyImage (API_CopyImage: sent to the destination region, names the source region) ---
  private async copyImage(input: QueryTree, region: string): Promise<XmlNode[]> {
    const sourceImageId = required(input, 'SourceImageId');
    const sourceRegion = required(input, 'SourceRegion');
    const name = required(input, 'Name');
    checkId(sourceImageId, 'ami', 'InvalidAMIID.Malformed');
    const source = this.state.findImage(sourceImageId, sourceRegion);
    if (!source) throw new Ec2Error(400, 'InvalidAMIID.NotFound', `The image id '[${sourceImageId}]' does not exist`);
    if (this.state.imageState(source) !== 'available') {
      throw new Ec2Error(400, 'IncorrectState', `Image ${sourceImageId} is not in state 'available'`);
    }
    this.checkNewImageName(name, region);
    const isEncrypted = optionalBoolean(input, 'Encrypted') ?? false;
    const kmsKeyId = optional(input, 'KmsKeyId');
    if (kmsKeyId !== undefined && !isEncrypted) throw new Ec2Error(400, 'InvalidParameterCombination', 'KmsKeyId needs Encrypted set to true');
    const imageId = this.state.newId('ami');
    const mappings: BlockDeviceMapping[] = [];
    for (const mapping of source.blockDeviceMappings) {
      const sourceSnapshot = mapping.ebs?.snapshotId ? this.state.snapshots.get(mapping.ebs.snapshotId) : undefined;
      if (!mapping.ebs || !sourceSnapshot) {
        mappings.push(structuredClone(mapping));
        continue;
      }
      const copy = await this.copySnapshot(sourceSnapshot, region, isEncrypted, kmsKeyId, `Copied for DestinationAmi ${imageId} from SourceAmi ${sourceImageId}`);
      mappings.push({ ...mapping, ebs: { ...mapping.ebs, snapshotId: copy.snapshotId, isEncrypted: copy.isEncrypted } });
    }
    const copyTags = optionalBoolean(input, 'CopyImageTags') ?? false;
    const image: ImageRecord = {
      ...source,
      imageId,
      region,
      name,
      description: optional(input, 'Description') ?? source.description,
      blockDeviceMappings: mappings,
      tags: [...(copyTags ? source.tags.map((t) => ({ ...t })) : []), ...parseTagSpecifications(input['TagSpecification'], ['image'])],
      creationMs: this.state.clock.now(),
      launchUserIds: new Set(),
      isPublic: false,
      isDeregistered: false,
      sourceImageId,
      sourceRegion,
    };
    this.state.images.set(imageId, image);
    return [['imageId', imageId]];
  }

  // A copy is a full snapshot in the destination region: the source lineage's blocks, flattened.
  private async copySnapshot(source: SnapshotRecord, region: string, encrypt: boolean, kmsKeyId: string | undefined, description: string) {
    const snapshotId = this.state.newId('snap');
    const isEncrypted = source.isEncrypted || encrypt;
    const copy: SnapshotRecord = {
      ...source,
      snapshotId,
      region,
      description,
      tags: [],
      isEncrypted,
      kmsKeyArn: kmsKeyId ?? (isEncrypted ? source.kmsKeyArn ?? `arn:aws:kms:${region}:${this.state.ownerId}:key/00000000-0000-4000-8000-000000000000` : undefined),
      parentSnapshotId: undefined,
      startTimeMs: this.state.clock.now(),
      lastWriteMs: undefined,
      completeRequestedMs: this.state.clock.now(),
      isDeleted: false,
      ownBlocks: new Map(),
      storageId: snapshotId,
    };
    for (const [blockIndex, block] of this.state.effectiveBlocks(source)) {
      await this.state.store.write(snapshotId, blockIndex, await this.state.store.read(block.snapshot.storageId, blockIndex));
      copy.ownBlocks.set(blockIndex, block.digest);
    }
    this.state.snapshots.set(snapshotId, copy);
    return copy;
  }

  private image(imageId: string, region: string): ImageRecord {
    checkId(imageId, 'ami', 'InvalidAMIID.Malformed');
    const image = this.state.findImage(imageId, region);
    if (!image) throw new Ec2Error(400, 'InvalidAMIID.NotFound', `The image id '[${imageId}]' does not exist`);
    return image;
  }
}

function mappingXml(m: BlockDeviceMapping): XmlNode[] {
  return [
    ['deviceName', m.deviceName],
    ['virtualName', m.virtualName],
    ['noDevice', m.noDevice],
    [
      'ebs',
      m.ebs && [
        ['snapshotId', m.ebs.snapshotId],
        ['volumeSize', m.ebs.volumeSizeGiB],
        ['deleteOnTermination', m.ebs.deleteOnTermination],
        ['volumeType', m.ebs.volumeType],
        ['iops', m.ebs.iops],
        ['throughput', m.ebs.throughput],
        ['encrypted', m.ebs.isEncrypted],
      ],
    ],
  ];
}

function tagSetXml(tags: readonly Tag[]): XmlNode[] | undefined {
  if (tags.length === 0) return undefined;
  return tags.map((t): XmlNode => ['item', [['key', t.key], ['value', t.value]]]);
}

function renderXml(nodes: readonly XmlNode[]): string {
  return nodes
    .map(([name, value]) => {
      if (value === undefined) return '';
      if (Array.isArray(value)) return `<${name}>${renderXml(value)}</${name}>`;
      return `<${name}>${escapeXml(String(value))}</${name}>`;
    })
    .join('');
}

function escapeXml(text: string): string {
  return text.replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c] as string);
}

function parseQuery(params: URLSearchParams): QueryTree {
  const root: QueryTree = {};
  for (const [key, value] of params) {
    if (key === 'Action' || key === 'Version') continue;
    const path = key.split('.');
    let node = root;
    path.forEach((segment, i) => {
      if (i === path.length - 1) {
        node[segment] = value;
        return;
      }
      const next = node[segment];
      if (next === undefined || typeof next === 'string') node = node[segment] = {};
      else node = next;
    });
  }
  return root;
}

function list(tree: QueryTree | string | undefined): Array<QueryTree | string> {
  if (tree === undefined || typeof tree === 'string') return [];
  return Object.keys(tree)
    .filter((k) => /^\d+$/.test(k))
    .sort((a, b) => Number(a) - Number(b))
    .map((k) => tree[k] as QueryTree | string);
}

function stringList(tree: QueryTree | string | undefined): string[] {
  return list(tree).filter((v): v is string => typeof v === 'string');
}

function parseFilters(tree: QueryTree | string | undefined): Array<{ name: string; values: string[] }> {
  return list(tree).map((raw) => {
    if (typeof raw === 'string' || typeof raw['Name'] !== 'string') throw new Ec2Error(400, 'InvalidParameterValue', 'A filter needs a Name');
    return { name: raw['Name'], values: stringList(raw['Value']) };
  });
}

function parseTags(tree: QueryTree | string | undefined): Tag[] {
  return list(tree).map((raw) => {
    const key = typeof raw === 'string' ? undefined : optional(raw, 'Key');
    const value = typeof raw === 'string' ? undefined : (optional(raw, 'Value') ?? '');
    if (key === undefined || key.length < 1 || key.length > 127 || value === undefined || value.length > 255) {
      throw new Ec2Error(400, 'InvalidParameterValue', 'Tag keys are 1 to 127 characters, values at most 255');
    }
    if (key.toLowerCase().startsWith('aws:')) throw new Ec2Error(400, 'InvalidParameterValue', 'Tag keys starting with aws: are reserved');
    return { key, value };
  });
}

function parseTagSpecifications(tree: QueryTree | string | undefined, allowed: readonly string[]): Tag[] {
  const tags: Tag[] = [];
  for (const raw of list(tree)) {
    if (typeof raw === 'string') continue;
    const resourceType = optional(raw, 'ResourceType');
    if (resourceType === undefined || !allowed.includes(resourceType)) {
      throw new Ec2Error(400, 'InvalidParameterValue', `'${resourceType}' is not a valid taggable resource type for this operation.`);
    }
    tags.push(...parseTags(raw['Tag']));
  }
  return tags;
}

function paginate<T>(items: T[], input: QueryTree, minResults: number, maxResults: number): { items: T[]; nextToken: string | undefined } {
  const maxText = optional(input, 'MaxResults');
  const tokenText = optional(input, 'NextToken');
  let offset = 0;
  if (tokenText !== undefined) {
    offset = Number(Buffer.from(tokenText, 'base64').toString('utf8').replace(/^offset:/, ''));
    if (!Number.isInteger(offset) || offset < 0) throw new Ec2Error(400, 'InvalidPaginationToken', 'The pagination token is not valid');
  }
  if (maxText === undefined) return { items: items.slice(offset), nextToken: undefined };
  const limit = Number(maxText);
  if (!Number.isInteger(limit) || limit < minResults || limit > maxResults) {
    throw new Ec2Error(400, 'InvalidParameterValue', `MaxResults must be from ${minResults} to ${maxResults}`);
  }
  const page = items.slice(offset, offset + limit);
  const more = offset + limit < items.length;
  return { items: page, nextToken: more ? Buffer.from(`offset:${offset + limit}`).toString('base64') : undefined };
}

function required(input: QueryTree, name: string): string {
  const value = optional(input, name);
  if (value === undefined || value === '') throw new Ec2Error(400, 'MissingParameter', `The request must contain the parameter ${name}`);
  return value;
}

function optional(input: QueryTree, name: string): string | undefined {
  const value = input[name];
  return typeof value === 'string' ? value : undefined;
}

function optionalBoolean(input: QueryTree, name: string): boolean | undefined {
  const value = optional(input, name);
  if (value === undefined) return undefined;
  if (value !== 'true' && value !== 'false') throw new Ec2Error(400, 'InvalidParameterValue', `${name} must be true or false`);
  return value === 'true';
}

function oneOf(input: QueryTree, name: string, allowed: readonly string[]): string | undefined {
  const value = optional(input, name);
  if (value !== undefined && !allowed.includes(value)) {
    throw new Ec2Error(400, 'InvalidParameterValue', `Value (${value}) for parameter ${name} is invalid. Valid values: ${allowed.join(', ')}`);
  }
  return value;
}

function checkId(id: string, prefix: 'snap' | 'ami', code: string): void {
  if (!new RegExp(`^${prefix}-[0-9a-f]{8}([0-9a-f]{9})?$`).test(id)) throw new Ec2Error(400, code, `Invalid id: "${id}"`);
}

// EC2 filter values take * (any run) and ? (one character).
function wildcard(pattern: string, value: string): boolean {
  const regex = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${regex}$`, 's').test(value);
}
