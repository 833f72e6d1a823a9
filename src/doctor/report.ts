/**
 * `nocflow doctor`'s findings as values, and the pure judgements and formatting behind them: how fresh the nfcapd
 * directory is, whether this user may reach the engine's socket, how a report reads. The checks themselves (files,
 * sockets, programs, the network) are src/doctor/checks.ts.
 */

/** One finding: ok, a warning (works, but look), a failure (an operator is blocked), or not applicable. */
export interface Finding {
  /** The part checked: config, nfcapd, reader, nfdump, store, socket, group, engine, flowspec, device, elasticsearch, alerts. */
  part: string;
  status: 'ok' | 'warn' | 'fail' | 'skip';
  /** One sentence in plain words. */
  text: string;
  /** What to do about it. */
  fix?: string;
}

/** The whole report and its verdict. */
export interface DoctorReport {
  findings: Finding[];
  failed: number;
  warned: number;
}

/** Summarise findings. Pure. */
export function report(findings: Finding[]): DoctorReport {
  return { findings, failed: findings.filter((f) => f.status === 'fail').length, warned: findings.filter((f) => f.status === 'warn').length };
}

const MARK: Record<Finding['status'], string> = { ok: 'ok  ', warn: 'warn', fail: 'FAIL', skip: '--  ' };

/** The report as lines for a person: status, part, sentence, then the fix indented. Pure. */
export function formatReport(r: DoctorReport): string {
  const width = Math.max(...r.findings.map((f) => f.part.length), 4);
  const lines: string[] = [];
  for (const f of r.findings) {
    lines.push(`${MARK[f.status]}  ${f.part.padEnd(width)}  ${f.text}`);
    if (f.fix && f.status !== 'ok') lines.push(`${' '.repeat(width + 8)}→ ${f.fix}`);
  }
  lines.push('');
  lines.push(r.failed === 0 ? `all good${r.warned > 0 ? ` (${r.warned} warning${r.warned === 1 ? '' : 's'})` : ''}` : `${r.failed} problem${r.failed === 1 ? '' : 's'}${r.warned > 0 ? `, ${r.warned} warning${r.warned === 1 ? '' : 's'}` : ''}`);
  return lines.join('\n');
}

/** "3 min", "2 h 5 min", "4 d" for a duration in seconds. Pure. */
export function ago(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 120) return `${s} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  if (s < 172_800) return `${Math.floor(s / 3600)} h ${Math.round((s % 3600) / 60)} min`;
  return `${Math.round(s / 86_400)} d`;
}

/**
 * Is the nfcapd directory fresh? The newest completed file's interval ends `rotation` after its start; nfcapd closes
 * the next one `rotation` later. Stale when nothing was closed for two rotations and a minute. Pure.
 */
export function judgeFreshness(newestStartMs: number | undefined, rotationMs: number, nowMs: number): { fresh: boolean; ageSeconds?: number; limitSeconds: number } {
  const limitSeconds = Math.round((2 * rotationMs) / 1000 + 60);
  if (newestStartMs === undefined) return { fresh: false, limitSeconds };
  const ageSeconds = (nowMs - (newestStartMs + rotationMs)) / 1000;
  return { fresh: ageSeconds <= limitSeconds, ageSeconds, limitSeconds };
}

/**
 * May this process connect to a socket owned by `sock.uid`/`sock.gid` with mode `sock.mode`? Through the owner, the
 * group (the primary or a supplementary group of this process), or others' bits. `listed`: the user is named in the
 * group's line of /etc/group (then a missing membership means "log in again"). Pure.
 */
export function judgeSocketAccess(
  sock: { uid: number; gid: number; mode: number },
  me: { uid: number; gid: number; groups: number[]; listed: boolean },
): { ok: boolean; via?: 'owner' | 'group' | 'others' | 'root'; why?: 'not-in-group' | 'relogin' | 'mode' } {
  const rw = (bits: number) => (bits & 0o6) === 0o6;
  if (me.uid === 0) return { ok: true, via: 'root' };
  if (me.uid === sock.uid) return rw(sock.mode >> 6) ? { ok: true, via: 'owner' } : { ok: false, why: 'mode' };
  if (me.gid === sock.gid || me.groups.includes(sock.gid)) return rw(sock.mode >> 3) ? { ok: true, via: 'group' } : { ok: false, why: 'mode' };
  if (rw(sock.mode)) return { ok: true, via: 'others' };
  return { ok: false, why: me.listed ? 'relogin' : 'not-in-group' };
}
