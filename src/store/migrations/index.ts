/** Every area's migrations, in application order. Append new areas at the end. */
import { engineMigrations } from './engine.js';
import { devicesMigrations } from './devices.js';
import { flowspecMigrations } from './flowspec.js';
import { limitsMigrations } from './limits.js';
import { huntMigrations } from './hunt.js';
import { iocMigrations } from './ioc.js';
import { flowspecEffectMigrations } from './flowspec-effect.js';
import { alertsMigrations } from './alerts.js';

/** One schema change: a stable id (area-NNN) and its SQL. */
export interface Migration {
  id: string;
  sql: string;
}

export const allMigrations: Migration[] = [...engineMigrations, ...devicesMigrations, ...flowspecMigrations, ...flowspecEffectMigrations, ...huntMigrations, ...iocMigrations, ...limitsMigrations, ...alertsMigrations];
