/**
 * `secrets.json`: the credentials of a shared configuration, kept apart so that the configuration itself can be read
 * by every operator (0640 root:noc) while the secrets are read by the engine only (0600). It has the shape of the
 * configuration but holds only secret leaves — `password`, `passphrase`, `apiKey` anywhere, and
 * `alerts.webhook.url` (a chat webhook URL is a credential) — and names list entries by their identity instead of
 * their position: a device by `name`, a BGP neighbor by `address`:
 *
 *   { "devices": { "list": [ { "name": "tn-gw", "password": "…" } ] },
 *     "elasticsearch": { "apiKey": "…" },
 *     "flowspec": { "neighbors": [ { "address": "192.0.2.254", "password": "…" } ] } }
 *
 * Pure: `applySecrets` merges and reports every misplaced entry with its path.
 */

/** Leaf keys that are secrets wherever they appear. */
export const SECRET_LEAVES: ReadonlySet<string> = new Set(['password', 'passphrase', 'apiKey']);
/** Whole paths that are secrets. */
export const SECRET_PATHS: ReadonlySet<string> = new Set(['alerts.webhook.url']);
/** How entries of a list are named in secrets.json. */
const IDENTITY = ['name', 'address'] as const;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The configuration with the secrets merged in, and each problem as "secrets.json: path: reason". Pure. */
export function applySecrets<T>(config: T, secrets: unknown): { config: T; problems: string[] } {
  const problems: string[] = [];
  const out = structuredClone(config) as unknown;
  const fail = (at: string, why: string) => problems.push(`secrets.json: ${at || '(top level)'}: ${why}`);
  const walk = (target: unknown, sec: unknown, at: string): void => {
    if (!isObject(sec)) return void fail(at, 'expected an object');
    if (!isObject(target)) return void fail(at, 'not a section of the configuration');
    for (const [k, v] of Object.entries(sec)) {
      const here = at ? `${at}.${k}` : k;
      if (SECRET_LEAVES.has(k) || SECRET_PATHS.has(here)) {
        if (typeof v !== 'string') fail(here, 'must be a string');
        else target[k] = v;
        continue;
      }
      const t = target[k];
      if (Array.isArray(v)) {
        if (!Array.isArray(t)) {
          fail(here, 'not a list in the configuration');
          continue;
        }
        v.forEach((entry, i) => {
          const where = `${here}[${i}]`;
          if (!isObject(entry)) return void fail(where, 'expected an object naming its entry');
          const id = IDENTITY.find((key) => typeof entry[key] === 'string');
          if (!id) return void fail(where, `name the entry by ${IDENTITY.join(' or ')}`);
          const match = t.find((c) => isObject(c) && c[id] === entry[id]);
          if (!match) return void fail(where, `no entry with ${id} "${String(entry[id])}" in ${here} of the configuration`);
          const { [id]: _ignored, ...rest } = entry;
          walk(match, rest, `${here}[${id}=${String(entry[id])}]`);
        });
        continue;
      }
      if (isObject(v)) {
        if (!isObject(t)) {
          fail(here, 'not a section of the configuration');
          continue;
        }
        walk(t, v, here);
        continue;
      }
      fail(here, 'not a secret (only password, passphrase, apiKey and alerts.webhook.url belong here)');
    }
  };
  if (secrets !== undefined) walk(out, secrets, '');
  return { config: out as T, problems };
}
