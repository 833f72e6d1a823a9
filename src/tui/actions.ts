/**
 * The TUI's effects: calls to the engine for capabilities, blocks, ARP/MAC lookups, block / unblock. Each takes the
 * backend and a dispatch and turns answers (and refusals) into reducer messages; nothing here draws.
 */
import type { MethodName, ParamsOf, ResultOf } from '../daemon/methods.js';
import type { Msg } from './state.js';
import type { ViewAnomaly } from './state.js';
import { toBlockRows, toAuditLines, toProposalView, type BlockRow } from '../views/blocks.js';
import { toDeviceRows } from '../views/investigate.js';
import { capabilityMissing, type Capabilities } from '../views/keymap.js';
import type { Lang } from '../i18n/labels.js';
import { parsePrefix } from '../util/ip.js';
import type { BlockProposal } from '../flowspec/area.js';

/** A proposal the engine accepted, as block.propose sent it: what block.add takes back. */
export type AcceptedProposal = Extract<BlockProposal, { ok: true }>;
import { stripControl } from '../util/sanitize.js';

/**
 * What the TUI needs from the engine (the socket connection, or a test double): `call` typed by the catalogue
 * (src/daemon/methods.ts), so screens read the handlers' real shapes.
 */
export interface Backend {
  call<M extends MethodName>(method: M, params?: ParamsOf<M>): Promise<ResultOf<M>>;
  on(event: string, fn: (data: unknown) => void): () => void;
  onState?(fn: (s: 'connecting' | 'connected' | 'reconnecting' | 'closed') => void): () => void;
}

type Dispatch = (m: Msg) => void;

/** The error code of a failed call (EngineError carries one), or undefined. */
const codeOf = (e: unknown): string | undefined => (e as { code?: string })?.code;
const messageOf = (e: unknown): string => stripControl((e as Error)?.message ?? String(e));

/**
 * Ask the engine which features it has, by calling a cheap method of each: NO_METHOD means absent; any other answer
 * (even BAD_PARAMS) means present; a lost connection leaves it unknown. block.list's rows are kept.
 */
export async function probeCapabilities(backend: Backend, dispatch: Dispatch): Promise<Capabilities> {
  const probe = async <M extends MethodName>(method: M, params: ParamsOf<M>): Promise<{ present?: boolean; answer?: unknown }> => {
    try {
      return { present: true, answer: await backend.call(method, params) };
    } catch (e) {
      const code = codeOf(e);
      if (code === 'NO_METHOD') return { present: false };
      if (code === 'DISCONNECTED' || code === 'TIMEOUT') return {};
      return { present: true };
    }
  };
  // engine.methods names every handler (src/daemon/methods.ts); older engines lack it, then each feature is probed.
  const listed = await probe('engine.methods', undefined);
  const names = Array.isArray(listed.answer) ? new Set(listed.answer.map(String)) : undefined;
  // Probes only read: verdict.list stands for verdict.set, block.list for block.*.
  const [blocks, verdicts, devices] = await Promise.all([
    names ? { present: names.has('block.propose') } : probe('block.list', {}),
    names ? { present: names.has('verdict.set') } : probe('verdict.list', undefined),
    names ? { present: names.has('devices.where') } : probe('devices.where', { ip: '127.0.0.1' }),
  ]);
  const caps: Capabilities = { flowspec: blocks.present, verdicts: verdicts.present, devices: devices.present };
  dispatch({ t: 'caps', caps });
  if (caps.flowspec) await loadBlocks(backend, dispatch, caps);
  return caps;
}

/** Reload the Blocks view from block.list. */
export async function loadBlocks(backend: Backend, dispatch: Dispatch, caps: Capabilities): Promise<void> {
  if (caps.flowspec === false) return;
  dispatch({ t: 'blocks', blocks: { loading: true } });
  try {
    const rows = toBlockRows(await backend.call('block.list', {}));
    // The audit is shown under the rules; an engine without audit.list just shows none.
    const audit = toAuditLines(await backend.call('audit.list', { limit: 20 }).catch(() => []));
    dispatch({ t: 'blocks', blocks: { rows, loading: false, audit } });
  } catch (e) {
    if (codeOf(e) === 'NO_METHOD') dispatch({ t: 'caps', caps: { flowspec: false } });
    dispatch({ t: 'blocks', blocks: { loading: false, error: messageOf(e) } });
  }
}

/** The investigate screen's side sections: ARP/MAC (devices.where) and the blocks covering the target. */
export async function loadInvestigateSections(backend: Backend, dispatch: Dispatch, target: string, caps: Capabilities, lang: Lang): Promise<void> {
  const noDevices = caps.devices === false
    ? capabilityMissing('devices', caps, lang)
    : !isSingleAddress(target)
      ? T(lang, 'ARP/MAC lookups take one address; investigate an IP for them', 'ARP/MAC 查詢需單一位址；請調查單一 IP')
      : undefined;
  const noBlocks = caps.flowspec === false ? capabilityMissing('flowspec', caps, lang) : undefined;
  dispatch({ t: 'investigate', inv: { target, devices: noDevices ? { unavailable: noDevices } : {}, blocks: noBlocks ? { unavailable: noBlocks } : {} } });
  const jobs: Promise<void>[] = [];
  if (!noDevices) {
    jobs.push(
      // Every binding, current and past (newest first), with the findings the history supports.
      backend.call('devices.where', { ip: target, history: true }).then(
        (a) => dispatch({ t: 'investigate', inv: { target, devices: { rows: toDeviceRows(a), findings: a.findings } } }),
        (e) => dispatch({ t: 'investigate', inv: { target, devices: codeOf(e) === 'NO_METHOD' ? { unavailable: capabilityMissing('devices', { devices: false }, lang) } : { error: messageOf(e) } } }),
      ),
    );
  }
  if (!noBlocks) {
    jobs.push(
      // The engine says which rules cover the target (src/flowspec/covering.ts): one answer for every client.
      backend.call('block.covering', { target }).then(
        (a) => dispatch({ t: 'investigate', inv: { target, blocks: { rows: toBlockRows(a) } } }),
        (e) => dispatch({ t: 'investigate', inv: { target, blocks: codeOf(e) === 'NO_METHOD' ? { unavailable: capabilityMissing('flowspec', { flowspec: false }, lang) } : { error: messageOf(e) } } }),
      ),
    );
  }
  if (isSingleAddress(target)) {
    jobs.push(
      backend.call('ioc.relations', { ip: target.replace(/\/(32|128)$/, '') }).then(
        (answer) => dispatch({ t: 'investigate', inv: { target, ioc: { answer } } }),
        (e) => dispatch({ t: 'investigate', inv: { target, ioc: codeOf(e) === 'NO_METHOD' ? { unavailable: T(lang, 'this engine has no IoC correlation', '此引擎未啟用 IoC 關聯') } : { error: messageOf(e) } } }),
      ),
    );
  } else dispatch({ t: 'investigate', inv: { target, ioc: { unavailable: T(lang, 'IoC relations take one address', 'IoC 關聯需單一位址') } } });
  await Promise.all(jobs);
}

/** True for an IP, or a /32 (/128) prefix naming one. Pure. */
export function isSingleAddress(target: string): boolean {
  try {
    const p = parsePrefix(target, { loose: true });
    return (p.family === 4 && p.length === 32) || (p.family === 6 && p.length === 128);
  } catch {
    return false;
  }
}

const T = (lang: Lang, en: string, zh: string) => (lang === 'zh-TW' ? zh : en);

/** `b`: ask the engine to propose rules for the targets, then open the confirmation with the exact rules and impact. */
export async function proposeBlock(backend: Backend, dispatch: Dispatch, targets: ViewAnomaly[], lang: Lang): Promise<void> {
  if (targets.length === 0) return;
  const title = T(lang, `Block ${targets.length} address(es) with FlowSpec?`, `以 FlowSpec 封鎖 ${targets.length} 個位址？`);
  dispatch({ t: 'confirm', confirm: { kind: 'block', title, lines: [], payload: [], busy: true } });
  try {
    const answer = await backend.call('block.propose', { anomalies: targets.map(({ history: _h, verdict: _v, ...a }) => a) });
    const v = toProposalView(answer, lang);
    const lines = [
      ...v.rules.map((r) => `${T(lang, 'rule', '規則')}: ${r}`),
      ...(v.impact.length ? [T(lang, 'impact preview:', '影響預覽：'), ...v.impact.map((l) => `  ${l}`)] : []),
    ];
    const refused = v.rules.length === 0 && v.refused.length === 0 ? [T(lang, 'the engine proposed no rule', '引擎沒有提出任何規則')] : v.refused;
    dispatch({ t: 'confirm', confirm: { kind: 'block', title, lines, payload: v.accepted, refused } });
  } catch (e) {
    dispatch({ t: 'confirm', confirm: { kind: 'block', title, lines: [], payload: [], refused: [messageOf(e)] } });
  }
}

/** Yes on a block: block.add for every accepted proposal; refusals are shown with their reasons. */
export async function confirmBlock(backend: Backend, dispatch: Dispatch, accepted: AcceptedProposal[], lang: Lang, caps: Capabilities): Promise<void> {
  const refused: string[] = [];
  let added = 0;
  for (const p of accepted) {
    try {
      await backend.call('block.add', { proposal: p });
      added++;
    } catch (e) {
      refused.push(messageOf(e));
    }
  }
  dispatch({ t: 'confirm', confirm: undefined });
  dispatch({ t: 'flash', text: refused.length ? `${T(lang, 'refused', '拒絕')}: ${refused.join('; ')}` : T(lang, `${added} rule(s) announced`, `已送出 ${added} 條規則`), error: refused.length > 0 });
  await loadBlocks(backend, dispatch, caps);
}

/** `u` in the Blocks view: confirm withdrawing the selected / marked rules. */
export function askUnblock(dispatch: Dispatch, rows: BlockRow[], lang: Lang): void {
  if (rows.length === 0) return;
  dispatch({
    t: 'confirm',
    confirm: { kind: 'unblock', title: T(lang, `Withdraw ${rows.length} FlowSpec rule(s)?`, `撤回 ${rows.length} 條 FlowSpec 規則？`), lines: rows.map((r) => `${T(lang, 'rule', '規則')}: ${r.rule}`), payload: rows.map((r) => r.id) },
  });
}

/** Yes on an unblock: block.remove per rule id. */
export async function confirmUnblock(backend: Backend, dispatch: Dispatch, ids: string[], lang: Lang, caps: Capabilities): Promise<void> {
  const refused: string[] = [];
  for (const id of ids) {
    try {
      await backend.call('block.remove', { id });
    } catch (e) {
      refused.push(`${id}: ${messageOf(e)}`);
    }
  }
  dispatch({ t: 'confirm', confirm: undefined });
  dispatch({ t: 'flash', text: refused.length ? `${T(lang, 'refused', '拒絕')}: ${refused.join('; ')}` : T(lang, `${ids.length} rule(s) withdrawn`, `已撤回 ${ids.length} 條規則`), error: refused.length > 0 });
  await loadBlocks(backend, dispatch, caps);
}
