/** Config section `devices`: switches and routers whose ARP / MAC tables are collected over SSH. */
import { hostReason, macReason, portReason, Problems } from '../validate.js';

/** The device families nocflow can collect from (devices/kinds.ts holds each one's commands). */
export const DEVICE_KINDS = ['ios', 'iosxe', 'iosxr', 'nxos', 'junos', 'eos'] as const;
/** One of {@link DEVICE_KINDS}. */
export type DeviceKind = (typeof DEVICE_KINDS)[number];

/** One device to collect from. The config file is written with mode 0600 because it may hold passwords. */
export interface DeviceSpec {
  name: string;
  host: string;
  /** Default 22. */
  port?: number;
  user: string;
  /** Private key file (OpenSSH or PEM). Either this or `password`. */
  keyFile?: string;
  passphrase?: string;
  password?: string;
  kind: DeviceKind;
  /** Also offer old key exchanges and CBC ciphers (devices that know nothing newer). */
  legacyAlgorithms?: boolean;
  /** Tables to collect; default both that the kind supports. */
  collect: ('arp' | 'mac')[];
}

/** A MAC allowed to hold several IPs (a mobile device roaming, or a router answering for many). */
export interface AllowedMac {
  mac: string;
  role: 'mobile' | 'router';
  note?: string;
}

/** The `devices` section. */
export interface DevicesConfig {
  list: DeviceSpec[];
  /** OpenSSH known_hosts file; empty = <data dir>/known_hosts. */
  knownHostsFile: string;
  /** Accept and record an unknown host key (a changed key is always refused). */
  trustOnFirstUse: boolean;
  connectTimeoutMs: number;
  commandTimeoutMs: number;
  /** Devices collected at the same time. */
  concurrency: number;
  /** Collect at each 5-minute boundary while the engine runs. */
  schedule: boolean;
  allowMacs: AllowedMac[];
  /** Days of per-slot tables and sightings kept (0 = forever). */
  retentionDays: number;
}

const kindEnum = DEVICE_KINDS;

/** JSON schema of the section (validated by conf on every write). */
export const devicesSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    list: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'host', 'user', 'kind'],
        properties: {
          name: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$' },
          host: { type: 'string', minLength: 1 },
          port: { type: 'integer', minimum: 1, maximum: 65535 },
          user: { type: 'string', minLength: 1 },
          keyFile: { type: 'string' },
          passphrase: { type: 'string' },
          password: { type: 'string' },
          kind: { type: 'string', enum: kindEnum },
          collect: { type: 'array', items: { type: 'string', enum: ['arp', 'mac'] } },
          legacyAlgorithms: { type: 'boolean' },
        },
      },
    },
    knownHostsFile: { type: 'string' },
    trustOnFirstUse: { type: 'boolean' },
    connectTimeoutMs: { type: 'integer', minimum: 100 },
    commandTimeoutMs: { type: 'integer', minimum: 100 },
    concurrency: { type: 'integer', minimum: 1, maximum: 64 },
    schedule: { type: 'boolean' },
    retentionDays: { type: 'integer', minimum: 0 },
    allowMacs: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['mac', 'role'],
        properties: { mac: { type: 'string' }, role: { type: 'string', enum: ['mobile', 'router'] }, note: { type: 'string' } },
      },
    },
  },
} as const;

/** Defaults: no devices, strict host keys, 10 s connect, 30 s per command, 4 at a time. */
export const devicesDefaults: DevicesConfig = {
  list: [],
  knownHostsFile: '',
  trustOnFirstUse: false,
  connectTimeoutMs: 10_000,
  commandTimeoutMs: 30_000,
  concurrency: 4,
  schedule: true,
  allowMacs: [],
  retentionDays: 90,
};

/** Semantic problems of the `devices` section, each "path: reason" (pure). */
export function checkDevicesConfig(cfg: { devices?: Partial<DevicesConfig> }): string[] {
  const d = cfg.devices ?? {};
  const p = new Problems();
  const names = new Map<string, number>();
  (Array.isArray(d.list) ? d.list : []).forEach((dev, i) => {
    const at = `devices.list[${i}]`;
    p.add(`${at}.host`, hostReason(dev?.host));
    if (dev?.port !== undefined) p.add(`${at}.port`, portReason(dev.port));
    if (!dev?.keyFile && dev?.password === undefined) p.add(at, `${dev?.name ?? 'the device'} has neither keyFile nor password`);
    if (typeof dev?.name === 'string') {
      const first = names.get(dev.name);
      if (first !== undefined) p.add(`${at}.name`, `"${dev.name}" is also devices.list[${first}]`);
      else names.set(dev.name, i);
    }
  });
  (Array.isArray(d.allowMacs) ? d.allowMacs : []).forEach((m, i) => p.add(`devices.allowMacs[${i}].mac`, macReason(m?.mac)));
  return p.list;
}
