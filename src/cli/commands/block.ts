/** `nocflow block|unblock|blocks|audit|panic`: FlowSpec through the engine, so every operator sees one state. */
import type { Command } from 'commander';
import { callEngine, EngineError } from '../../daemon/client.js';
import type { MethodName, ParamsOf, ResultOf } from '../../daemon/methods.js';
import type { BlockView } from '../../flowspec/area.js';
import type { RuleInput } from '../../flowspec/rule.js';
import { stripControl } from '../../util/sanitize.js';
import { CliError } from '../errors.js';

type Effect = { timeSlot: number; start: number; flows: number; packets: number; bytes: number; twoWayFlows: number; victim?: { flows: number; packets: number; bytes: number } };
type BlockRow = {
  id: number; text: string; status: string; who: string; reason: string; createdAt: number; expiresAt: number; offence: number; lastError?: string;
  matched?: Effect | null; effect?: Effect[]; baseline?: Effect | null; advice?: { kind: 'idle' | 'not-applied'; windows: number; ratio?: number };
};

async function call<M extends MethodName>(method: M, params?: ParamsOf<M>): Promise<ResultOf<M>> {
  try {
    return await callEngine(method, params, { autostart: false });
  } catch (err) {
    if (err instanceof EngineError) {
      if (err.code === 'NO_METHOD') throw new CliError('FlowSpec is not enabled on this engine (nocflow config set flowspec.enabled true, then restart the engine)', 3);
      throw new CliError(err.code === 'GUARD' || err.code === 'BAD_RULE' ? `refused: ${err.message}` : err.message, err.code === 'NO_ENGINE' ? 3 : 4, { cause: err });
    }
    throw err;
  }
}

const when = (ms: number) => new Date(ms).toISOString().slice(0, 16).replace('T', ' ');
const line = (b: BlockRow) => `#${b.id} ${b.status.padEnd(9)} ${stripControl(b.text)}  by ${stripControl(b.who)} ${when(b.createdAt)}, expires ${when(b.expiresAt)} UTC${b.offence > 1 ? `, offence ${b.offence}` : ''}${b.reason ? ` — ${stripControl(b.reason)}` : ''}${b.lastError ? ` [speaker: ${stripControl(b.lastError)}]` : ''}${effectLine(b)}`;

/** What the rule matched in the latest window (and before it), and the advice, as a second line. Pure. */
export function effectLine(b: Pick<BlockRow, 'id' | 'matched' | 'baseline' | 'advice' | 'effect'>): string {
  const m = b.matched;
  if (!m && !b.baseline) return '';
  const vol = (e: Effect) => `${e.flows} flows, ${e.packets} packets (${e.twoWayFlows} two-way)`;
  const parts = [m ? `last window: ${vol(m)}` : 'no window since', b.baseline ? `before: ${vol(b.baseline)}` : ''];
  if (m?.victim && b.baseline?.victim) parts.push(`victim's traffic ${b.baseline.victim.packets} → ${m.victim.packets} packets`);
  if (b.advice?.kind === 'idle') parts.push(`nothing matched for ${b.advice.windows} window(s): withdraw early? (nocflow unblock ${b.id})`);
  if (b.advice?.kind === 'not-applied') parts.push(`the attack goes on at ${Math.round((b.advice.ratio ?? 1) * 100)}% of its rate: the routers may not apply it`);
  return `\n    ${parts.filter(Boolean).join('; ')}`;
}

export function registerBlock(program: Command): void {
  program
    .command('block <target>')
    .description('announce a FlowSpec rule for an IP or prefix (source match unless --dst), through the engine and its guards')
    .option('--dst', 'match the target as destination (a victim) instead of source')
    .option('--ttl <ttl>', 'lifetime, e.g. 30m, 2h, 1d (repeat offenders get longer)')
    .option('--reason <text>', 'why (kept in the audit)')
    .option('--dport <port>', 'narrow to a destination port')
    .option('--sport <port>', 'narrow to a source port')
    .option('--proto <proto>', 'narrow to a protocol (tcp, udp, icmp or a number)')
    .option('--length <bytes>', 'narrow to a packet length')
    .option('--rate <bytesPerSecond>', 'rate-limit instead of discard')
    .option('--community <asn:value>', 'extended community for the routers\' policy')
    .option('--force', 'allow prefixes shorter than the configured minimum')
    .option('--yes', 'confirm a bare discard of a destination (victim)')
    .option('--to <neighbours>', 'announce only to these BGP neighbours (comma-separated addresses; entry-point mitigation)')
    .action(async (target: string, o: { dst?: boolean; ttl?: string; reason?: string; dport?: string; sport?: string; proto?: string; length?: string; rate?: string; community?: string; force?: boolean; yes?: boolean; to?: string }) => {
      const rule: RuleInput = {
        [o.dst ? 'destination' : 'source']: target,
        protocol: o.proto,
        destinationPort: o.dport,
        sourcePort: o.sport,
        packetLength: o.length,
        community: o.community,
        ...(o.to ? { neighbors: o.to.split(',').map((x) => x.trim()).filter(Boolean) } : {}),
        ...(o.rate !== undefined ? { action: 'rate-limit' as const, bytesPerSecond: o.rate } : { action: 'discard' as const }),
      };
      const b = await call('block.add', { rule, ttl: o.ttl, reason: o.reason ?? '', force: o.force, confirmed: o.yes });
      process.stdout.write(`${line(b)}\n`);
    });
  program
    .command('unblock <target>')
    .description('withdraw a block by id, or every active block matching an IP or prefix')
    .option('--reason <text>', 'why (kept in the audit)')
    .action(async (target: string, o: { reason?: string }) => {
      const rows = await call('block.remove', /^\d+$/.test(target) ? { id: Number(target), reason: o.reason } : { target, reason: o.reason });
      for (const b of rows) process.stdout.write(`${line(b)}\n`);
    });
  program
    .command('extend <id> <duration>')
    .description('extend an active block by a duration (30m, 2h, 1d)')
    .action(async (id: string, by: string) => {
      const b = await call('block.extend', { id: Number(id), by });
      process.stdout.write(`${line(b)}\n`);
    });
  program
    .command('blocks')
    .description('list active and withdrawn blocks, with what each matched in the latest window (--json: effect per window since the announcement)')
    .option('--all', 'include expired and removed ones')
    .option('--json', 'JSON output')
    .action(async (o: { all?: boolean; json?: boolean }) => {
      const rows = await call('block.list', { all: o.all });
      if (o.json) process.stdout.write(`${JSON.stringify(rows)}\n`);
      else process.stdout.write(rows.length ? `${rows.map(line).join('\n')}\n` : 'no blocks\n');
    });
  program
    .command('audit')
    .description('the append-only block audit: who, when, what, why')
    .option('--json', 'JSON output')
    .option('--limit <n>', 'entries', '200')
    .action(async (o: { json?: boolean; limit: string }) => {
      const rows = await call('audit.list', { limit: Number(o.limit) });
      if (o.json) return void process.stdout.write(`${JSON.stringify(rows)}\n`);
      for (const e of rows) {
        const from = e.origin ? ` from ${stripControl(e.origin.split(' ')[0])}` : '';
        process.stdout.write(`${when(e.at)} ${stripControl(e.who)}${from} ${e.action}${e.blockId ? ` #${e.blockId}` : ''} ${stripControl(e.rule ?? '')}${e.reason ? ` — ${stripControl(e.reason)}` : ''}${e.detail ? ` (${stripControl(e.detail)})` : ''}\n`);
      }
    });
  program
    .command('panic')
    .description('withdraw every rule nocflow announced (kept as withdrawn, restorable with --restore)')
    .option('--restore', 'announce the withdrawn rules again')
    .option('--reason <text>', 'why')
    .action(async (o: { restore?: boolean; reason?: string }) => {
      if (o.restore) {
        const r = await call('block.restore');
        process.stdout.write(`${r.restored} rule(s) restored\n`);
        return;
      }
      const r = await call('block.panic', { reason: o.reason ?? 'panic' });
      process.stdout.write(`${r.withdrawn} rule(s) withdrawn; restore with: nocflow panic --restore\n`);
    });
}
