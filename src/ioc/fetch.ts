/**
 * Getting a list's text (thin shell): an HTTPS GET with the certificate verified (against `caFile` when given, else
 * the system's store), a whole-request timeout and a size limit, or a local file read. Every failure is an
 * IocFetchError naming the list and why (`reason`), so the caller keeps the previous list and reports it.
 */
import fs from 'node:fs';
import https from 'node:https';
import type { IocSource } from '../config/sections/ioc.js';

/** Why a fetch failed. */
export type FetchFailure = 'certificate' | 'timeout' | 'too-large' | 'http-status' | 'network' | 'file' | 'config';

/** A list that could not be had, with its source and the reason. */
export class IocFetchError extends Error {
  constructor(readonly source: string, readonly reason: FetchFailure, message: string, options?: { cause?: unknown }) {
    super(`list ${source}: ${message}`, options);
    this.name = 'IocFetchError';
  }
}

/** Limits of one fetch. */
export interface FetchLimits {
  timeoutMs: number;
  maxBytes: number;
  /** PEM text of the trusted CAs; undefined = the system's. */
  ca?: string | Buffer;
}

const CERT_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID', 'ERR_TLS_CERT_ALTNAME_INVALID', 'CERT_SIGNATURE_FAILURE',
  'CERT_UNTRUSTED', 'CERT_REJECTED', 'INVALID_CA',
]);

/** GET an https:// URL as text within the limits. */
export function fetchHttps(name: string, url: string, limits: FetchLimits): Promise<string> {
  let u: URL;
  try {
    u = new URL(url);
  } catch (err) {
    return Promise.reject(new IocFetchError(name, 'config', `not a URL: ${url}`, { cause: err }));
  }
  if (u.protocol !== 'https:') return Promise.reject(new IocFetchError(name, 'config', `only https:// is fetched, not ${u.protocol}`));
  return new Promise<string>((resolve, reject) => {
    let done = false;
    const fail = (e: IocFetchError) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      req.destroy();
      reject(e);
    };
    const req = https.get(u, { ca: limits.ca, rejectUnauthorized: true, headers: { 'user-agent': 'nocflow-ioc', accept: 'text/plain' } }, (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        fail(new IocFetchError(name, 'http-status', `HTTP ${res.statusCode} from ${u.host}`));
        return;
      }
      const declared = Number(res.headers['content-length']);
      if (Number.isFinite(declared) && declared > limits.maxBytes) {
        fail(new IocFetchError(name, 'too-large', `${declared} bytes announced, limit ${limits.maxBytes}`));
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > limits.maxBytes) fail(new IocFetchError(name, 'too-large', `more than ${limits.maxBytes} bytes`));
        else chunks.push(c);
      });
      res.on('end', () => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        resolve(Buffer.concat(chunks).toString('utf8'));
      });
      res.on('error', (err) => fail(new IocFetchError(name, 'network', err.message, { cause: err })));
    });
    req.on('error', (err: NodeJS.ErrnoException) => {
      const code = err.code ?? '';
      fail(new IocFetchError(name, CERT_CODES.has(code) ? 'certificate' : 'network', `${u.host}: ${code ? `${code} ` : ''}${err.message}`, { cause: err }));
    });
    const timer = setTimeout(() => fail(new IocFetchError(name, 'timeout', `no complete answer from ${u.host} within ${limits.timeoutMs} ms`)), limits.timeoutMs);
  });
}

/** Read a list file within the size limit. */
export function readListFile(name: string, file: string, maxBytes: number): string {
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch (err) {
    throw new IocFetchError(name, 'file', `cannot read ${file}: ${(err as Error).message}`, { cause: err });
  }
  if (st.size > maxBytes) throw new IocFetchError(name, 'too-large', `${file} has ${st.size} bytes, limit ${maxBytes}`);
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new IocFetchError(name, 'file', `cannot read ${file}: ${(err as Error).message}`, { cause: err });
  }
}

/** The text of one configured source. */
export async function fetchSource(src: IocSource, limits: FetchLimits): Promise<string> {
  if (src.url) return fetchHttps(src.name, src.url, limits);
  if (src.file) return readListFile(src.name, src.file, limits.maxBytes);
  throw new IocFetchError(src.name, 'config', 'has neither url nor file');
}

/** The CA option from `caFile` ('' = the system's); a missing file is an error naming it. */
export function loadCa(caFile: string): Buffer | undefined {
  if (!caFile) return undefined;
  try {
    return fs.readFileSync(caFile);
  } catch (err) {
    throw new IocFetchError('*', 'config', `ioc.caFile ${caFile}: ${(err as Error).message}`, { cause: err });
  }
}
