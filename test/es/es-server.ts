/**
 * A tiny Elasticsearch stand-in on 127.0.0.1 (real HTTP, real sockets) for tests that need real connection
 * behaviour: `_bulk` stores documents by index/_id (so duplicates are visible as overwrites), the handful of
 * cluster calls the writer makes are answered, and every request is recorded. It can be told to answer 429/503.
 */
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterEach } from 'vitest';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  path: string;
  body: string;
}

export interface FakeEs {
  url: string;
  port: number;
  requests: RecordedRequest[];
  /** index → id → document. */
  docs: Map<string, Map<string, unknown>>;
  /** Every (index, id) received by _bulk, in arrival order (duplicates included). */
  received: { index: string; id: string }[];
  /** When set, every request is answered with this status. */
  failWith?: number;
  /** When set, `POST /<index>/_search` is answered with what it returns (the hunt's per-day queries). */
  onSearch?: (index: string, body: unknown) => unknown;
  close(): Promise<void>;
}

/** Start the stand-in; `port` 0 (default) picks an ephemeral one. */
export async function startFakeEs(port = 0): Promise<FakeEs> {
  const state: FakeEs = { url: '', port: 0, requests: [], docs: new Map(), received: [], close: async () => {} };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const url = new URL(req.url ?? '/', 'http://x');
      state.requests.push({ method: req.method ?? '', path: url.pathname, body });
      const send = (status: number, obj: unknown) => {
        const text = JSON.stringify(obj);
        res.writeHead(status, { 'content-type': 'application/json', 'x-elastic-product': 'Elasticsearch', 'content-length': Buffer.byteLength(text) });
        res.end(text);
      };
      if (state.failWith) return send(state.failWith, { error: { type: 'es_rejected_execution_exception' }, status: state.failWith });
      if (url.pathname.endsWith('/_bulk')) {
        const lines = body.split('\n').filter(Boolean);
        const items: unknown[] = [];
        for (let i = 0; i + 1 < lines.length; i += 2) {
          const action = JSON.parse(lines[i]) as { index: { _index: string; _id: string } };
          const { _index, _id } = action.index;
          const m = state.docs.get(_index) ?? new Map<string, unknown>();
          const existed = m.has(_id);
          m.set(_id, JSON.parse(lines[i + 1]));
          state.docs.set(_index, m);
          state.received.push({ index: _index, id: _id });
          items.push({ index: { _index, _id, status: existed ? 200 : 201, result: existed ? 'updated' : 'created' } });
        }
        return send(200, { took: 1, errors: false, items });
      }
      if (state.onSearch && url.pathname.endsWith('/_search')) return send(200, state.onSearch(decodeURIComponent(url.pathname.split('/')[1]), body ? JSON.parse(body) : {}));
      if (url.pathname.startsWith('/_nodes')) return send(200, { nodes: { a: { roles: ['master', 'data'] }, b: { roles: ['data_hot'] } } });
      if (url.pathname.startsWith('/_cat/indices')) return send(200, []);
      if (url.pathname.startsWith('/_index_template')) return send(200, { acknowledged: true });
      if (url.pathname.endsWith('/_refresh')) return send(200, { _shards: { total: 1, successful: 1, failed: 0 } });
      if (url.pathname.includes('/_settings') && req.method === 'GET') return send(200, {});
      if (url.pathname.endsWith('/_settings')) return send(200, { acknowledged: true });
      if (req.method === 'HEAD') return send(state.docs.has(url.pathname.slice(1)) ? 200 : 404, {});
      if (req.method === 'PUT') return send(200, { acknowledged: true });
      return send(404, { error: 'not handled by the stand-in' });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  state.port = (server.address() as AddressInfo).port;
  state.url = `http://127.0.0.1:${state.port}`;
  state.close = () => new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
  return state;
}

/** A loopback port with nothing listening (bound, read back, released). */
export async function closedPort(): Promise<number> {
  const s = http.createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', () => resolve()));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

/**
 * Per-test scratch for the shipping tests: `tmp()` makes a directory, `track(server)` remembers a fake cluster;
 * after each test every tracked server is closed and every directory removed. Call at a test file's top level.
 */
export function esTestScope(prefix: string): { tmp(): string; track(s: FakeEs): FakeEs } {
  const dirs: string[] = [];
  const servers: FakeEs[] = [];
  afterEach(async () => {
    for (const s of servers.splice(0)) await s.close();
    for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
  });
  return {
    tmp() {
      const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
      dirs.push(d);
      return d;
    },
    track(s) {
      servers.push(s);
      return s;
    },
  };
}
