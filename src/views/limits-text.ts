/**
 * What a window's analysis left out to stay within its memory budget, in English and Traditional Chinese (pure): the
 * status line, `analyze`'s header and the detail view say it in these words.
 */
import type { Anomaly, WindowDegradation } from '../engine/types.js';

type Lang = 'en' | 'zh-TW';
const n = (x: number) => x.toLocaleString('en-US');

/** The window's degradation in a few words. */
export function degradedText(d: WindowDegradation, lang: Lang = 'en'): string {
  const parts: string[] = [];
  const zh = lang === 'zh-TW';
  if (d.victimSources) {
    const v = d.victimSources;
    parts.push(zh ? `${v.candidates} 個受害者的來源以抽樣估計（超過 ${n(v.limit)}；最多 ${n(v.largest)}）` : `sources of ${v.candidates} victim(s) sampled (over ${n(v.limit)}; largest ${n(v.largest)})`);
  }
  if (d.campusCandidates) {
    const c = d.campusCandidates;
    parts.push(
      zh
        ? `校園候選只分析前 ${n(c.limit)} 名（外部 ${n(c.outside.kept)}／${n(c.outside.of)}，內部 ${n(c.inside.kept)}／${n(c.inside.of)}）`
        : `campus candidates cut to the top ${n(c.limit)} (outside ${n(c.outside.kept)} of ${n(c.outside.of)}, inside ${n(c.inside.kept)} of ${n(c.inside.of)})`,
    );
  }
  return parts.join(zh ? '；' : '; ');
}

/** A sampled victim's sources in words, or undefined when all of them were kept. */
export function sampledSourcesText(a: Anomaly, lang: Lang = 'en'): string | undefined {
  const v = a.victim;
  if (!v?.sampledSources) return undefined;
  return lang === 'zh-TW'
    ? `來源 ${n(v.distinctSources)} 個；偽造比例由 ${n(v.sampledSources)} 個來源的均勻抽樣估計`
    : `${n(v.distinctSources)} distinct sources; the spoofed share is estimated from a uniform sample of ${n(v.sampledSources)}`;
}
