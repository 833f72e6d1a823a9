/**
 * The allowed import directions of docs/ARCHITECTURE.md ("Allowed imports"), enforced: every `import`/`export … from`
 * line of src/** is parsed, each file is placed in its unit (a folder of src/, or one of the few files that are a
 * unit of their own), and every edge between units must be allowed below. Pure modules additionally never import
 * the file system, processes, SSH, SQLite or the ES client, never read the clock, and import only pure modules at
 * run time. A new folder, or a new direction, fails here until the table (and ARCHITECTURE.md) says so.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(__dirname, '../..');
const SRC = path.join(ROOT, 'src');

/** Files that are a unit of their own: the contracts areas code against, and the investigate accumulator es reuses. */
const FILE_UNITS: Record<string, string> = {
  'daemon/protocol.ts': 'daemon/protocol',
  'daemon/methods.ts': 'daemon/methods',
  'daemon/investigate.ts': 'daemon/investigate',
  'daemon/area.ts': 'daemon/area',
  'cli/errors.ts': 'cli/errors',
};

const AREA_BASE = ['util', 'i18n', 'engine', 'config', 'store', 'ingest', 'daemon/protocol', 'daemon/area'];

/** unit → the units it may import (type-only imports count: a type is a dependency too). */
export const ALLOWED: Record<string, string[]> = {
  util: [],
  i18n: ['util'],
  engine: ['util', 'i18n'],
  config: ['util', 'engine'],
  store: ['util', 'engine'],
  ingest: ['util', 'engine', 'config', 'store'],
  'daemon/protocol': ['util'],
  'daemon/investigate': ['util', 'engine', 'ingest'],
  'daemon/area': ['util', 'engine', 'config', 'store', 'ingest', 'daemon/protocol'],
  devices: AREA_BASE,
  flowspec: AREA_BASE,
  es: [...AREA_BASE, 'daemon/investigate', 'devices', 'flowspec'],
  geo: ['util', 'engine', 'store', 'daemon/protocol', 'daemon/area'],
  alerts: [...AREA_BASE, 'es', 'devices', 'views'],
  hunt: [...AREA_BASE, 'es', 'geo'],
  ioc: [...AREA_BASE, 'es'],
  // The typed catalogue of every area's methods: above the areas, below the engine process and its clients.
  'daemon/methods': ['daemon/area', 'engine', 'store', 'ingest', 'daemon/protocol', 'daemon/investigate', 'devices', 'flowspec', 'es', 'alerts', 'hunt', 'ioc', 'geo'],
  daemon: [...AREA_BASE, 'daemon/methods', 'daemon/investigate', 'devices', 'flowspec', 'es', 'alerts', 'hunt', 'ioc', 'geo'],
  views: ['util', 'i18n', 'engine', 'hunt'],
  tui: ['util', 'i18n', 'engine', 'store', 'views', 'daemon', 'daemon/protocol', 'daemon/methods', 'daemon/investigate', 'flowspec', 'hunt', 'geo', 'alerts'],
  gen: ['util', 'engine', 'config', 'ingest', 'devices', 'flowspec'],
  deploy: ['util', 'config'],
  // `nocflow doctor`: reads what the engine reads, asks the engine, and renders the unit it would run under.
  doctor: ['util', 'engine', 'config', 'store', 'ingest', 'daemon', 'daemon/protocol', 'daemon/area', 'daemon/methods', 'deploy', 'devices', 'flowspec', 'es', 'alerts'],
  'cli/errors': [],
  cli: ['*'],
};

/** Pure modules (STYLE §1): paths relative to src/, a trailing `/` meaning the whole folder, `*` any name part. */
export const PURE = [
  'engine/',
  'i18n/',
  'util/ip.ts', 'util/mac.ts', 'util/sanitize.ts',
  'config/check.ts', 'config/validate.ts', 'config/schema.ts', 'config/sections/',
  'ingest/nfdump/pipe-text.ts', 'ingest/nfdump/filter-text.ts',
  'ingest/nffile/format.ts', 'ingest/nffile/lz-common.ts', 'ingest/nffile/lzo.ts', 'ingest/nffile/lz4.ts', 'ingest/nffile/decompress.ts', 'ingest/nffile/block.ts', 'ingest/nffile/reader.ts', 'ingest/nffile/block-index.ts',
  'flowspec/rule.ts', 'flowspec/guards.ts', 'flowspec/propose.ts',
  'devices/kinds.ts', 'devices/parsers.ts', 'devices/mac-table.ts', 'devices/table-report.ts', 'devices/mac.ts', 'devices/merge.ts', 'devices/anomalies.ts', 'devices/known-hosts.ts',
  'es/index-discipline.ts', 'es/queries.ts', 'es/documents.ts',
  'daemon/protocol.ts',
  'alerts/policy*', 'hunt/catalog*',
];
/** What a pure module never imports (at run time or as a type). */
const IMPURE_PACKAGES = /^(node:)?(fs|fs\/promises|child_process|dgram|http|https|tls)$|^(execa|ssh2|better-sqlite3|conf|@elastic\/elasticsearch)(\/|$)/;
/** Reading the clock. */
const CLOCK = /\bDate\.now\s*\(|\bnew Date\s*\(\s*\)|\bperformance\.now\s*\(/;

interface Edge {
  from: string;
  to: string;
  spec: string;
  typeOnly: boolean;
  line: number;
}

function walk(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : /\.tsx?$/.test(e.name) ? [path.join(dir, e.name)] : []));
}

const rel = (abs: string) => path.relative(SRC, abs).split(path.sep).join('/');
const unitOf = (file: string) => FILE_UNITS[file] ?? file.split('/')[0];
const isPure = (file: string) =>
  PURE.some((p) => (p.endsWith('/') ? file.startsWith(p) : new RegExp(`^${p.replace(/[.]/g, '\\.').replace(/\*/g, '[^/]*')}$`).test(file)));

/** Every import of a source file: `import … from`, `export … from`, side-effect imports and `import()`. */
export function importsOf(text: string): { spec: string; typeOnly: boolean; line: number }[] {
  const out: { spec: string; typeOnly: boolean; line: number }[] = [];
  const lineAt = (i: number) => text.slice(0, i).split('\n').length;
  const stmt = /(?:^|\n)\s*(import|export)\s+(type\s+)?([^'";()=]*?)\s*from\s*['"]([^'"]+)['"]/g;
  for (let m; (m = stmt.exec(text)); ) {
    const clause = m[3].trim();
    const named = /^\{([^}]*)\}$/.exec(clause);
    const allTypes = named !== null && named[1].split(',').map((x) => x.trim()).filter(Boolean).every((x) => x.startsWith('type '));
    out.push({ spec: m[4], typeOnly: !!m[2] || allTypes, line: lineAt(m.index + 1) });
  }
  for (const re of [/(?:^|\n)\s*import\s+['"]([^'"]+)['"]/g, /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g]) {
    for (let m; (m = re.exec(text)); ) out.push({ spec: m[1], typeOnly: false, line: lineAt(m.index + 1) });
  }
  return out;
}

function resolve(fromFile: string, spec: string): string | undefined {
  if (!spec.startsWith('.')) return undefined;
  const base = path.posix.normalize(path.posix.join(path.posix.dirname(fromFile), spec)).replace(/\.js$/, '');
  for (const cand of [`${base}.ts`, `${base}.tsx`, `${base}/index.ts`]) if (fs.existsSync(path.join(SRC, cand))) return cand;
  return `${base}.ts`;
}

const files = walk(SRC).map(rel).sort();
const edges: Edge[] = [];
const packages: { from: string; spec: string; typeOnly: boolean; line: number }[] = [];
for (const f of files) {
  for (const i of importsOf(fs.readFileSync(path.join(SRC, f), 'utf8'))) {
    const to = resolve(f, i.spec);
    if (to === undefined) packages.push({ from: f, ...i });
    else edges.push({ from: f, to, spec: i.spec, typeOnly: i.typeOnly, line: i.line });
  }
}

describe('allowed import directions (docs/ARCHITECTURE.md)', () => {
  it('the parser sees every form of import line', () => {
    const text = [
      "import fs from 'node:fs';",
      "import type { A } from './a.js';",
      "import { type B, type C } from '../b.js';",
      "import { D, type E } from '../d.js';",
      "export { F } from './f.js';",
      "export type { G } from './g.js';",
      "import './side-effect.js';",
      "const lazy = await import('../lazy.js');",
      'import {\n  H,\n  I,\n} from "./multi.js";',
    ].join('\n');
    expect(importsOf(text).map((i) => [i.spec, i.typeOnly])).toEqual([
      ['node:fs', false], ['./a.js', true], ['../b.js', true], ['../d.js', false], ['./f.js', false], ['./g.js', true], ['./multi.js', false], ['./side-effect.js', false], ['../lazy.js', false],
    ]);
  });

  it('every folder of src/ has its row in the table', () => {
    const units = new Set(files.map(unitOf));
    expect([...units].filter((u) => !(u in ALLOWED)).map((u) => `${u}: not in ALLOWED (test/architecture/imports.test.ts) nor in docs/ARCHITECTURE.md`)).toEqual([]);
  });

  it('the table itself has no cycle (so the units are layers)', () => {
    const seen = new Map<string, 'open' | 'done'>();
    const cycles: string[] = [];
    const visit = (u: string, trail: string[]) => {
      if (seen.get(u) === 'done') return;
      if (seen.get(u) === 'open') return void cycles.push([...trail, u].join(' → '));
      seen.set(u, 'open');
      for (const v of ALLOWED[u] ?? []) if (v !== '*') visit(v, [...trail, u]);
      seen.set(u, 'done');
    };
    for (const u of Object.keys(ALLOWED)) visit(u, []);
    expect(cycles).toEqual([]);
  });

  it('every import between units goes in an allowed direction', () => {
    const bad = edges
      .filter((e) => unitOf(e.from) !== unitOf(e.to))
      .filter((e) => {
        const allowed = ALLOWED[unitOf(e.from)] ?? [];
        return !allowed.includes('*') && !allowed.includes(unitOf(e.to));
      })
      .map((e) => `src/${e.from}:${e.line} (${unitOf(e.from)}) imports ${e.typeOnly ? 'types from ' : ''}src/${e.to} (${unitOf(e.to)})`);
    expect(bad).toEqual([]);
  });

  it('nothing imports the CLI program; commands import CliError from cli/errors.ts, never cli/main.ts', () => {
    const bad = edges.filter((e) => (e.to === 'cli/main.ts' && e.from !== 'cli/main.ts') || (unitOf(e.to) === 'cli' && unitOf(e.from) !== 'cli')).map((e) => `src/${e.from}:${e.line} imports src/${e.to}`);
    expect(bad).toEqual([]);
  });

  it('pure modules never import fs, child_process, execa, ssh2, SQLite or the ES client, nor read the clock', () => {
    const pure = files.filter(isPure);
    expect(pure.length).toBeGreaterThan(40);
    const bad = [
      ...packages.filter((p) => isPure(p.from) && IMPURE_PACKAGES.test(p.spec)).map((p) => `src/${p.from}:${p.line} imports ${p.spec}`),
      ...pure.flatMap((f) =>
        fs
          .readFileSync(path.join(SRC, f), 'utf8')
          .split('\n')
          .flatMap((l, i) => (CLOCK.test(l.replace(/\/\/.*$|\/\*.*?\*\//g, '')) && !/^\s*\*/.test(l) ? [`src/${f}:${i + 1} reads the clock: ${l.trim()}`] : [])),
      ),
      // A pure module's run-time imports are pure too (types may come from anywhere allowed).
      ...edges.filter((e) => isPure(e.from) && !e.typeOnly && !isPure(e.to)).map((e) => `src/${e.from}:${e.line} imports the shell module src/${e.to}`),
    ];
    expect(bad).toEqual([]);
  });

  it('docs/ARCHITECTURE.md states exactly this table', () => {
    const doc = fs.readFileSync(path.join(ROOT, 'docs/ARCHITECTURE.md'), 'utf8');
    const section = doc.slice(doc.indexOf('## Allowed imports'), doc.indexOf('\n## ', doc.indexOf('## Allowed imports') + 1));
    const rows = Object.fromEntries(
      [...section.matchAll(/^\| `([^`]+)` \| (.*) \|$/gm)].map((m) => [m[1], m[2] === '—' ? [] : m[2] === 'anything' ? ['*'] : [...m[2].matchAll(/`([^`]+)`/g)].map((x) => x[1])]),
    );
    expect(rows).toEqual(ALLOWED);
    const pureLine = /^Pure modules: (.*)$/m.exec(section)?.[1] ?? '';
    expect([...pureLine.matchAll(/`([^`]+)`/g)].map((m) => m[1])).toEqual(PURE);
  });
});
