/** The footer: key hints from the key table (k9s-style `<key> text`); disabled keys are dim and say why on press. */
import { Text } from 'ink';
import stringWidth from 'string-width';
import type { Hint } from './keymap.js';

/** Hints that fit in `width` cells, in table order. */
export function Footer(props: { hints: Hint[]; width: number }) {
  let used = 0;
  const shown: Hint[] = [];
  for (const h of props.hints) {
    const w = stringWidth(`<${h.key}> ${h.text}`) + 2;
    if (used + w > props.width) break;
    used += w;
    shown.push(h);
  }
  return (
    <Text wrap="truncate">
      {shown.map((h, i) => (
        <Text key={h.key + i} dimColor={h.disabled}>
          <Text bold={!h.disabled}>{`<${h.key}>`}</Text> {h.text}{i < shown.length - 1 ? '  ' : ''}
        </Text>
      ))}
    </Text>
  );
}
