/** The Blocks view (FlowSpec rules) and the confirmation dialog for block / unblock. Render only. */
import type React from 'react';
import { Box, Text } from 'ink';
import stringWidth from 'string-width';
import { blockDetailLines, blockHeader, blockLine, effectPoints, targetPart, type BlockRow } from './blocks.js';
import { TimeChart } from './charts.js';
import { fit, wrapCells } from './format.js';
import { theme } from './theme.js';
import type { Lang } from '../i18n/labels.js';

const T = (lang: Lang, en: string, zh: string) => (lang === 'zh-TW' ? zh : en);

/** The rules table, or an honest empty state (no FlowSpec handlers, loading, error, no rules). */
export function BlocksScreen(props: {
  rows: BlockRow[];
  loading: boolean;
  error?: string;
  unavailable?: string;
  selected: number;
  marks: Set<string>;
  filter: string;
  width: number;
  height: number;
  now: number;
  lang: Lang;
  /** Latest audit lines, newest first. */
  audit?: string[];
}) {
  const { lang, width } = props;
  const audit = props.audit ?? [];
  const auditRoom = audit.length ? Math.min(audit.length, Math.max(0, Math.floor(props.height / 3) - 1)) : 0;
  const title = T(lang, `FlowSpec blocks (${props.rows.length})`, `FlowSpec 封鎖（${props.rows.length}）`);
  let body: React.ReactNode;
  if (props.unavailable) body = <Text dimColor>{fit(props.unavailable, width)}</Text>;
  else if (props.error) body = <Text color={theme.color('red')}>{fit(props.error, width)}</Text>;
  else if (props.loading && props.rows.length === 0) body = <Text dimColor>{T(lang, 'loading rules…', '載入規則中…')}</Text>;
  else if (props.rows.length === 0) body = <Text dimColor>{props.filter ? T(lang, `no rule matches /${props.filter}`, `沒有符合 /${props.filter} 的規則`) : T(lang, 'no FlowSpec rules are announced', '目前沒有 FlowSpec 規則')}</Text>;
  else {
    // The selected rule in full below the table, with what it matched (the table keeps only the target at 80 columns).
    const sel = props.rows[Math.min(props.selected, props.rows.length - 1)];
    const targetW = Math.max(0, ...props.rows.map((r) => stringWidth(targetPart(r.rule))));
    const detail = sel ? blockDetailLines(sel, props.now, lang) : [];
    const detailLines = detail.reduce((n, l) => n + Math.max(1, Math.ceil(stringWidth(l.text) / Math.max(1, width))), 0);
    const free = props.height - 3 - detailLines - (auditRoom ? auditRoom + 1 : 0);
    // The effect chart of the selected rule when there is room for it besides at least three rows of the table.
    const points = sel ? effectPoints(sel) : [];
    const chartH = points.length >= 2 ? Math.min(width >= 150 ? 12 : 8, free - Math.min(3, props.rows.length)) : 0;
    const showChart = chartH >= 5;
    const room = Math.max(1, free - (showChart ? chartH : 0));
    const top = Math.max(0, Math.min(props.selected - Math.floor(room / 2), props.rows.length - room));
    body = (
      <Box flexDirection="column">
        <Text bold>{fit(blockHeader(width, lang, targetW), width)}</Text>
        {props.rows.slice(top, top + room).map((r, i) => (
          <Text key={r.id} inverse={top + i === props.selected}>
            {fit(blockLine(r, width, props.now, props.marks.has(r.id), targetW), width)}
          </Text>
        ))}
        {detail.map((l, i) => (
          <Text key={i} dimColor={!l.warn} color={l.warn ? theme.color('yellow') : undefined} wrap="wrap">{l.text}</Text>
        ))}
        {showChart ? <TimeChart title={T(lang, 'Matched packets per window (the first: before the announcement)', '每時段命中封包（第一點：封鎖前）')} points={points} width={width} height={chartH} color="yellow" /> : null}
      </Box>
    );
  }
  return (
    <Box flexDirection="column">
      <Text bold color={theme.color('cyan')}>{fit(title, width)}</Text>
      {body}
      {auditRoom > 0 ? (
        <Box flexDirection="column">
          <Text bold>{fit(T(lang, 'Audit (latest first; nocflow audit for all)', '稽核紀錄（最新在前；完整紀錄：nocflow audit）'), width)}</Text>
          {audit.slice(0, auditRoom).map((l, i) => (
            <Text key={i} dimColor>{fit(l, width)}</Text>
          ))}
        </Box>
      ) : null}
    </Box>
  );
}

/** A dangerous action's confirmation: the exact rules and impact, or the refusals with their reasons. */
export function ConfirmDialog(props: { title: string; lines: string[]; refused?: string[]; busy?: boolean; width: number; height: number; lang: Lang }) {
  const { lang, width } = props;
  const room = Math.max(3, props.height - 4);
  const refused = props.refused ?? [];
  // Wrapped, never cut: the operator confirms the exact rule, however long.
  const wrap = (l: string, refusal: boolean) => wrapCells(l, width - 2, `${/^\s*/.exec(l)![0]}  `).map((text) => ({ text, refusal }));
  const body = [...props.lines.flatMap((l) => wrap(l, false)), ...refused.flatMap((r) => wrap(`${T(lang, 'REFUSED', '拒絕')}: ${r}`, true))];
  const shown = body.slice(0, room);
  const canConfirm = props.lines.length > 0 && !props.busy;
  return (
    <Box flexDirection="column" borderStyle="single" borderColor={theme.color('red')} width={width}>
      <Text bold color={theme.color('red')}>{fit(props.title, width - 2)}</Text>
      {shown.map((l, i) => (
        <Text key={i} color={l.refusal ? theme.color('red') : undefined}>{l.text}</Text>
      ))}
      {body.length > shown.length ? <Text dimColor>{T(lang, `… ${body.length - shown.length} more`, `… 另有 ${body.length - shown.length} 行`)}</Text> : null}
      <Text bold>{fit(props.busy ? T(lang, 'sending…', '送出中…') : canConfirm ? T(lang, 'y / Enter: confirm    n / Esc: cancel', 'y / Enter：確認    n / Esc：取消') : T(lang, 'nothing to confirm — Esc closes', '沒有可確認的項目 — Esc 關閉'), width - 2)}</Text>
    </Box>
  );
}
