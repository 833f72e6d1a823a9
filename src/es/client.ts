/** Builds the Elasticsearch client from config, and classifies its errors (transient → spool, permanent → count). */
import { Client, errors } from '@elastic/elasticsearch';
import type { ElasticsearchConfig } from '../config/sections/elasticsearch.js';

/** An Elasticsearch failure with the operation and index it concerns; `transient` says whether spooling helps. */
export class EsError extends Error {
  constructor(
    message: string,
    readonly operation: string,
    readonly transient: boolean,
    readonly statusCode?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'EsError';
  }
}

/** Status codes meaning "not now" (overloaded, unavailable, gateway trouble). */
export const TRANSIENT_STATUS = new Set([429, 502, 503, 504]);

const TRANSIENT_NAMES = new Set(['ConnectionError', 'TimeoutError', 'NoLivingConnectionsError']);

/**
 * True for connection refused/reset, timeouts and 429/5xx-unavailable answers. Judged by class name as well as
 * instanceof: the package ships CJS and ESM builds whose error classes are distinct objects (dual-package hazard).
 */
export function isTransient(err: unknown): boolean {
  if (err instanceof errors.ConnectionError || err instanceof errors.TimeoutError || err instanceof errors.NoLivingConnectionsError) return true;
  if (err instanceof errors.ResponseError) return TRANSIENT_STATUS.has(err.statusCode ?? 0);
  const e = err as { name?: unknown; statusCode?: unknown } | null;
  if (e && typeof e.name === 'string' && TRANSIENT_NAMES.has(e.name)) return true;
  return e?.name === 'ResponseError' && typeof e.statusCode === 'number' && TRANSIENT_STATUS.has(e.statusCode);
}

/** Wrap any client failure into an EsError with context (never includes credentials). */
export function toEsError(operation: string, err: unknown): EsError {
  const sc = (err as { name?: string; statusCode?: unknown } | null);
  const status = sc?.name === 'ResponseError' && typeof sc.statusCode === 'number' ? sc.statusCode : undefined;
  const reason = err instanceof Error ? err.message : String(err);
  return new EsError(`elasticsearch ${operation} failed${status ? ` (HTTP ${status})` : ''}: ${reason}`, operation, isTransient(err), status, { cause: err });
}

/** A client for the configured node; ES is disabled when `node` is empty. */
export function createEsClient(config: ElasticsearchConfig, opts: { maxRetries?: number } = {}): Client {
  if (!config.node) throw new EsError('elasticsearch is not configured (elasticsearch.node is empty)', 'connect', false);
  const auth = config.apiKey ? { apiKey: config.apiKey } : config.username ? { username: config.username, password: config.password } : undefined;
  return new Client({ node: config.node, ...(auth ? { auth } : {}), requestTimeout: config.requestTimeoutMs, maxRetries: opts.maxRetries ?? 2, compression: false });
}
