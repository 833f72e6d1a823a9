/** The command registry: one file per command (group) under this folder; add yours here. */
import type { Command } from 'commander';
import { registerConfig } from './config.js';
import { registerAnalyze } from './analyze.js';
import { registerHunt } from './hunt.js';
import { registerGen } from './gen.js';
import { registerWatch } from './watch.js';
import { registerEngine } from './engine.js';
import { registerTui } from './tui.js';
import { registerDemo } from './demo.js';
import { registerBlock } from './block.js';
import { registerCollect } from './collect.js';
import { registerWhere } from './where.js';
import { registerDevices } from './devices.js';
import { registerShip } from './ship.js';
import { registerIoc } from './ioc.js';
import { registerAlerts } from './alerts.js';
import { registerDoctor } from './doctor.js';

export type RegisterCommand = (program: Command) => void;

export const commands: RegisterCommand[] = [registerConfig, registerAnalyze, registerHunt, registerGen, registerWatch, registerEngine, registerTui, registerDemo, registerCollect, registerWhere, registerDevices, registerShip, registerBlock, registerIoc, registerAlerts, registerDoctor];
