/** The engine-socket methods of the IoC area: ioc.status, ioc.infected, ioc.relations. */
import { RpcError, type HandlerTable } from '../daemon/protocol.js';
import { parsePrefix, type PrefixSet } from '../util/ip.js';
import { addDays } from './days.js';
import type { Candidate } from './family.js';
import type { Contact } from './remotes.js';
import type { IocDayRow, IocStore } from './store.js';

/** One infected-host row (the TUI's list). */
export interface InfectedRow {
  ip: string;
  score: number;
  categories: string[];
  iocs: string[];
  daysSeen: number;
  firstDay: string;
  lastDay: string;
  unit?: string;
  inside: boolean;
}

/** Everything the store says of one address. */
export interface IocRelations {
  ip: string;
  unit?: string;
  /** As an IoC: the days it was listed (newest first) and its class on the days correlated. */
  listed: string[];
  asIoc: IocDayRow[];
  /** As a remote: its verdict and its contacts with IoCs (newest first). */
  verdict: { score: number; categories: Record<string, number>; daysSeen: number; firstDay: string; lastDay: string; iocs: string[]; patterns: number; relays: { ioc: string; port: number; category?: string; flows: number; days: number }[] } | null;
  contacts: Contact[];
  /** Proposed as a candidate IoC. */
  candidate: Candidate[];
}

/** The relations of an address (pure over the store). */
export function relationsOf(store: IocStore, ip: string, units?: PrefixSet): IocRelations {
  const v = store.verdict(ip);
  const unit = units?.match(ip);
  const listed = store.listedDays(ip, 60);
  return {
    ip,
    ...(unit ? { unit } : {}),
    listed,
    asIoc: store.iocHistory(ip, 30),
    verdict: v
      ? {
          score: v.score, categories: v.categories, daysSeen: v.daysSeen, firstDay: v.firstDay, lastDay: v.lastDay, iocs: v.iocs, patterns: v.patterns,
          relays: v.analysis.pairs.map((p) => ({ ioc: p.ioc, port: p.port, flows: p.flows, days: p.days, ...(p.category ? { category: p.category } : {}) })),
        }
      : null,
    contacts: store.contactsOf(ip, 60),
    candidate: store.candidates('0000-00-00', '9999-12-31').filter((c) => c.ip === ip),
  };
}

/** The infected hosts: verdicts by score. */
export function infectedRows(store: IocStore, limit: number, inside?: PrefixSet, units?: PrefixSet): InfectedRow[] {
  return store.verdicts(limit).map((v) => {
    const unit = units?.match(v.ip);
    return { ip: v.ip, score: v.score, categories: Object.keys(v.categories).sort(), iocs: v.iocs, daysSeen: v.daysSeen, firstDay: v.firstDay, lastDay: v.lastDay, inside: inside?.has(v.ip) ?? false, ...(unit ? { unit } : {}) };
  });
}

function obj(p: unknown): Record<string, unknown> {
  return typeof p === 'object' && p !== null ? (p as Record<string, unknown>) : {};
}

/** The handler table. */
export function iocHandlers(deps: { store: IocStore; status: () => unknown; inside?: PrefixSet; units?: PrefixSet; today: () => string }): HandlerTable {
  return {
    'ioc.status': async () => deps.status(),
    'ioc.infected': async (params) => {
      const limit = Math.max(1, Math.min(5000, Number(obj(params).limit ?? 500) || 500));
      return { rows: infectedRows(deps.store, limit, deps.inside, deps.units), total: deps.store.countVerdicts() };
    },
    'ioc.relations': async (params) => {
      const text = String(obj(params).ip ?? '');
      let ip: string;
      try {
        const p = parsePrefix(text);
        if (p.length !== (p.family === 4 ? 32 : 128)) throw new Error(`"${text}" is a prefix, not an address`);
        ip = p.address;
      } catch (err) {
        throw new RpcError('BAD_PARAMS', (err as Error).message);
      }
      return relationsOf(deps.store, ip, deps.units);
    },
    'ioc.candidates': async (params) => {
      const days = Math.max(1, Math.min(400, Number(obj(params).days ?? 30) || 30));
      const to = deps.today();
      return deps.store.candidates(addDays(to, -(days - 1)), to);
    },
  };
}
