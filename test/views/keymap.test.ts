import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ACTIONS, actionFor, complete, disabledReason, helpRows, hints, keyName, keysMarkdown, commandsMarkdown, splitKeys } from '../../src/views/keymap.js';

describe('the one key table', () => {
  it('no key means two things in one scope', () => {
    const seen = new Map<string, string>();
    for (const a of ACTIONS)
      for (const scope of a.scopes)
        for (const k of a.keys) {
          const id = `${scope}:${k}`;
          expect(seen.get(id), `${id} is ${seen.get(id)} and ${a.id}`).toBeUndefined();
          seen.set(id, a.id);
        }
  });

  it('actionFor: scope first, then global; the dialog takes no globals', () => {
    expect(actionFor('return', 'top')?.id).toBe('open');
    expect(actionFor('escape', 'detail')?.id).toBe('back');
    expect(actionFor('q', 'detail')?.id).toBe('quit');
    expect(actionFor('y', 'confirm')?.id).toBe('confirm');
    expect(actionFor('q', 'confirm')).toBeUndefined();
    expect(actionFor('b', 'blocks')).toBeUndefined();
    expect(actionFor('u', 'blocks')?.id).toBe('unblock');
  });

  it('a key whose engine feature is missing says why; present enables it', () => {
    const block = ACTIONS.find((a) => a.id === 'block')!;
    expect(disabledReason(block, { flowspec: false }, 'en')).toMatch(/no block\.\* handlers/);
    expect(disabledReason(block, {}, 'en')).toMatch(/still asking/);
    expect(disabledReason(block, { flowspec: true }, 'en')).toBeUndefined();
    expect(disabledReason(block, { flowspec: false }, 'zh-TW')).toMatch(/FlowSpec/);
    expect(disabledReason(ACTIONS.find((a) => a.id === 'quit')!, {}, 'en')).toBeUndefined();
  });

  it('dangerous actions are exactly block and unblock, and help flags them', () => {
    expect(ACTIONS.filter((a) => a.dangerous).map((a) => a.id)).toEqual(['block', 'unblock']);
    const rows = helpRows('en', { flowspec: false });
    expect(rows).toHaveLength(ACTIONS.length);
    expect(rows.find((r) => r.id === 'block')).toMatchObject({ dangerous: true, disabled: expect.stringMatching(/FlowSpec/) });
    expect(hints('top', 'en', { flowspec: false }).find((h) => h.key === 'b')?.disabled).toBe(true);
    expect(hints('top', 'en', { flowspec: true, verdicts: true }).every((h) => !h.disabled)).toBe(true);
  });

  it('Tab completes commands and their arguments', () => {
    expect(complete('inv')).toBe('investigate ');
    expect(complete(':wi')).toBe('window ');
    expect(complete('lang z')).toBe('lang zh-TW');
    expect(complete('q')).toBe('quit ');
    expect(complete('xyz')).toBe('xyz');
    expect(complete('lang ')).toBe('lang ');
  });

  it('keyName maps ink key reports to table names', () => {
    expect(keyName('', { upArrow: true })).toBe('up');
    expect(keyName('d', { ctrl: true })).toBe('ctrl+d');
    expect(keyName('G', {})).toBe('G');
    expect(keyName('', { return: true })).toBe('return');
  });

  it("README's keys table and `:` commands table are the generated ones", async () => {
    const readme = fs.readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    expect(readme).toContain(keysMarkdown());
    const { ALL_COMMANDS } = await import('../../src/tui/app.js');
    expect(readme).toContain(commandsMarkdown(ALL_COMMANDS));
  });
});

describe('keys that arrive together', () => {
  it('splits a run of characters into one press each, with Enter, Tab, Backspace and Ctrl recognised', () => {
    const names = (input: string) => splitKeys(input, {}).map((x) => keyName(x.input, x.key));
    expect(names(':blocks\r')).toEqual([':', 'b', 'l', 'o', 'c', 'k', 's', 'return']);
    expect(names('kG\n')).toEqual(['k', 'G', 'return']);
    expect(splitKeys('kG', {})[1].key).toEqual({ shift: true });
    expect(names(':w\t')).toEqual([':', 'w', 'tab']);
    expect(splitKeys('a\x7f', {})[1].key).toEqual({ backspace: true });
    expect(names('j\x04')).toEqual(['j', 'ctrl+d']);
    expect(names('誤報原因')).toEqual(['誤', '報', '原', '因']);
  });

  it('leaves single keys and ink\'s parsed specials alone', () => {
    expect(splitKeys('j', {})).toEqual([{ input: 'j', key: {} }]);
    expect(splitKeys('', { upArrow: true })).toEqual([{ input: '', key: { upArrow: true } }]);
    expect(splitKeys('[A', { meta: true })).toEqual([{ input: '[A', key: { meta: true } }]);
  });
});
