import { describe, expect, it } from 'vitest';
import { Command } from 'commander';
import { commandModules, commandNameOf, modulesFor } from '../../src/cli/commands/index.js';
import { buildProgram } from '../../src/cli/main.js';

const argv = (...args: string[]) => ['node', 'nocflow', ...args];

describe('the command index (modules loaded only for the command that runs)', () => {
  it('names exactly the top-level commands and aliases each module registers, none twice', async () => {
    const seen = new Set<string>();
    for (const m of commandModules) {
      const p = new Command();
      (await m.load())(p);
      const registered = p.commands.flatMap((c) => [c.name(), ...c.aliases()]).sort();
      expect(registered).toEqual([...m.names].sort());
      for (const n of m.names) {
        expect(seen.has(n)).toBe(false);
        seen.add(n);
      }
    }
    // The whole program (help, no argv) has every one of them.
    expect((await buildProgram()).commands.flatMap((c) => [c.name(), ...c.aliases()]).sort()).toEqual([...seen].sort());
  });

  it('finds the command past the global options, and loads that module alone', async () => {
    expect(commandNameOf(argv('--lang', 'zh-TW', 'blocks', '--json'))).toBe('blocks');
    expect(commandNameOf(argv('--lang=zh-TW', 'where', '192.0.2.1'))).toBe('where');
    expect(commandNameOf(argv('-V'))).toBeUndefined();
    expect(commandNameOf(argv())).toBeUndefined();
    expect(modulesFor(argv('analyze', 'x.nfcapd', '--json')).map((m) => m.names[0])).toEqual(['analyze']);
    expect(modulesFor(argv('unblock', '192.0.2.1')).map((m) => m.names[0])).toEqual(['block']);
    const p = await buildProgram(argv('--lang', 'zh-TW', 'audit'));
    expect(p.commands.map((c) => c.name())).toEqual(['block', 'unblock', 'extend', 'blocks', 'audit', 'panic']);
  });

  it('no command: the default (the TUI); help, help <cmd> or an unknown word: every module', () => {
    expect(modulesFor(argv()).map((m) => m.names[0])).toEqual(['tui']);
    expect(modulesFor(argv('--lang', 'zh-TW')).map((m) => m.names[0])).toEqual(['tui']);
    expect(modulesFor(argv('--version')).map((m) => m.names[0])).toEqual(['tui']);
    expect(modulesFor(argv('--help'))).toBe(commandModules);
    expect(modulesFor(argv('help', 'analyze'))).toBe(commandModules);
    expect(modulesFor(argv('nosuch'))).toBe(commandModules);
  });
});
