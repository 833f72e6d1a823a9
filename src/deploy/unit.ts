/**
 * The engine's systemd unit, rendered from a configuration (pure): `nocflow engine unit` prints it for the machine's
 * configuration, and `deploy/nocflow-engine.service` in the package is the rendering of the defaults (a test keeps
 * the two equal). What depends on the configuration: the nfcapd directory (read-only), the directories written
 * outside the state directory (a store, spool or known_hosts file elsewhere), whether homes must stay visible, and
 * `CAP_NET_BIND_SERVICE`, granted only when FlowSpec's managed speaker listens on a port below 1024 (BGP's 179).
 */
import path from 'node:path';
import type { NocflowConfig } from '../config/schema.js';

/** Where things live on the host (the Debian layout by default). */
export interface UnitLayout {
  /** The installed command: where `npm install -g` puts it on Debian. */
  bin: string;
  user: string;
  /** The operators' group: the socket's, the configuration's. */
  group: string;
  configDir: string;
  /** systemd's StateDirectory=nocflow. */
  stateDir: string;
  /** systemd's RuntimeDirectory=nocflow. */
  runtimeDir: string;
}

export const DEFAULT_LAYOUT: UnitLayout = {
  bin: '/usr/local/bin/nocflow',
  user: 'nocflow',
  group: 'noc',
  configDir: '/etc/nocflow',
  stateDir: '/var/lib/nocflow',
  runtimeDir: '/run/nocflow',
};

/** The unit's file name. */
export const UNIT_NAME = 'nocflow-engine.service';

const HOMES = ['/home', '/root', '/run/user'];
const under = (p: string, dir: string) => p === dir || p.startsWith(`${dir}/`);

/** True when FlowSpec's managed speaker needs CAP_NET_BIND_SERVICE (it listens on a port below 1024). Pure. */
export function needsBindCapability(config: NocflowConfig): boolean {
  const fs = config.flowspec;
  return !!fs?.enabled && fs.mode === 'managed' && fs.listenPort > 0 && fs.listenPort < 1024;
}

/** Directories the engine writes outside its state directory, from the configuration (absolute, sorted). Pure. */
export function extraWritablePaths(config: NocflowConfig, layout: UnitLayout = DEFAULT_LAYOUT): string[] {
  const dirs = new Set<string>();
  const add = (p: string | undefined, isFile: boolean) => {
    if (!p || !path.isAbsolute(p)) return;
    const dir = isFile ? path.dirname(p) : p;
    if (!under(dir, layout.stateDir) && !under(dir, layout.runtimeDir)) dirs.add(path.normalize(dir));
  };
  add(config.store?.path, true);
  add(config.elasticsearch?.spoolDir, false);
  add(config.devices?.knownHostsFile, true);
  return [...dirs].sort();
}

/** systemd quoting for a path in a list-valued setting (spaces are separators). Pure. */
function unitPath(p: string): string {
  return /[\s"'\\]/.test(p) ? `"${p.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"` : p;
}

/**
 * The unit text for `config` on `layout`. `version` is written in its header comment. Pure.
 */
export function renderUnit(config: NocflowConfig, opts: { layout?: UnitLayout; version?: string } = {}): string {
  const L = opts.layout ?? DEFAULT_LAYOUT;
  const nfcapd = config.engine?.nfcapdDir ?? '';
  const writable = extraWritablePaths(config, L);
  const inHome = [nfcapd, ...writable].some((p) => p && HOMES.some((h) => under(p, h)));
  const bind = needsBindCapability(config);
  const lines: string[] = [];
  const add = (...l: string[]) => lines.push(...l);
  add(
    `# The nocflow engine as a systemd service${opts.version ? ` (nocflow ${opts.version})` : ''}. Install it with`,
    `#   nocflow engine unit | sudo tee /etc/systemd/system/${UNIT_NAME}`,
    `# (rendered from the configuration, see README "Deploying"), then: sudo systemctl daemon-reload && sudo systemctl enable --now ${UNIT_NAME.replace(/\.service$/, '')}`,
    '[Unit]',
    'Description=nocflow engine (NetFlow anomaly detection, FlowSpec blocking, ARP/MAC collection)',
    `Documentation=file:${path.join(path.dirname(path.dirname(L.bin)), 'lib', 'node_modules', 'nocflow', 'README.md')}`,
    'After=network-online.target nfdump.service',
    'Wants=network-online.target',
    '# At most 5 starts in 10 minutes; then the unit stays failed until an operator looks (systemctl reset-failed).',
    'StartLimitIntervalSec=600',
    'StartLimitBurst=5',
    '',
    '[Service]',
    '# READY=1 is sent once the store is open and the socket listens (src/daemon/notify.ts). NotifyAccess=all lets',
    '# the fallback path (systemd-notify, when the unix-dgram addon does not load) be heard too.',
    'Type=notify',
    'NotifyAccess=all',
    `User=${L.user}`,
    `Group=${L.group}`,
    `Environment=NOCFLOW_CONFIG_DIR=${L.configDir}`,
    `Environment=NOCFLOW_DATA_DIR=${L.stateDir}`,
    `Environment=NOCFLOW_RUNTIME_DIR=${L.runtimeDir}`,
    'Environment=NODE_ENV=production',
    `ExecStart=${L.bin} engine --group ${L.group}`,
    '# SIGHUP: check the configuration, then apply it without a restart (README "Deploying": reload).',
    'ExecReload=/bin/kill -HUP $MAINPID',
    'Restart=on-failure',
    'RestartSec=5s',
    'TimeoutStartSec=120s',
    'TimeoutStopSec=60s',
    `# ${L.runtimeDir}: the socket directory, the service user's, group ${L.group}, 0750 (the socket is 0660).`,
    'RuntimeDirectory=nocflow',
    'RuntimeDirectoryMode=0750',
    `# ${L.stateDir}: the database, the ES spool, known_hosts.`,
    'StateDirectory=nocflow',
    'StateDirectoryMode=0700',
    'UMask=0027',
    '',
    '# Hardening: a read-only system; the engine writes only its state and runtime directories.',
    'NoNewPrivileges=yes',
    'ProtectSystem=strict',
    ...(inHome ? ['# A configured path lies under a home directory: homes stay visible, read-only.', 'ProtectHome=read-only'] : ['ProtectHome=yes']),
    'PrivateTmp=yes',
    'PrivateDevices=yes',
    'ProtectKernelTunables=yes',
    'ProtectKernelModules=yes',
    'ProtectKernelLogs=yes',
    'ProtectControlGroups=yes',
    'ProtectClock=yes',
    'ProtectHostname=yes',
    'ProtectProc=invisible',
    'RestrictSUIDSGID=yes',
    'RestrictRealtime=yes',
    'RestrictNamespaces=yes',
    'LockPersonality=yes',
    'RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK',
    'SystemCallArchitectures=native',
    'SystemCallFilter=@system-service',
    'SystemCallErrorNumber=EPERM',
  );
  if (nfcapd && path.isAbsolute(nfcapd)) add('# The nfcapd directory (engine.nfcapdDir) is only read.', `ReadOnlyPaths=${unitPath(nfcapd)}`);
  else add('# engine.nfcapdDir is not set yet: set it in /etc/nocflow/config.json and render the unit again.');
  if (writable.length > 0) add('# Written outside the state directory (store.path, elasticsearch.spoolDir, devices.knownHostsFile):', `ReadWritePaths=${writable.map(unitPath).join(' ')}`);
  if (bind) {
    add(
      `# FlowSpec's managed speaker listens on port ${config.flowspec.listenPort} (< 1024): gobgpd inherits this one capability.`,
      'CapabilityBoundingSet=CAP_NET_BIND_SERVICE',
      'AmbientCapabilities=CAP_NET_BIND_SERVICE',
    );
  } else add('# No capabilities (FlowSpec\'s managed speaker, if any, listens on a port >= 1024).', 'CapabilityBoundingSet=', 'AmbientCapabilities=');
  add('', '[Install]', 'WantedBy=multi-user.target');
  return `${lines.join('\n')}\n`;
}

/** The sysusers.d(5) lines that create the service user and the operators' group. Pure. */
export function renderSysusers(layout: UnitLayout = DEFAULT_LAYOUT): string {
  return [
    '# The nocflow service user and the operators\' group (sysusers.d(5)):',
    `#   sudo cp nocflow.sysusers /etc/sysusers.d/nocflow.conf && sudo systemd-sysusers`,
    '# Then add each operator to the group: sudo usermod -aG noc <operator>',
    `g ${layout.group} -`,
    `u ${layout.user} -:${layout.group} "nocflow engine" ${layout.stateDir} /usr/sbin/nologin`,
    '',
  ].join('\n');
}
