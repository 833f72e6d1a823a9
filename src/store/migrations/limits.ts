/**
 * Hardening (issue 14): each window keeps what its analysis reported beyond the summary columns — `degraded` (the
 * memory budget), and room for the reader's `partial` / `exporters` — as JSON, so screens read it back with the window.
 */
import type { Migration } from './index.js';

export const limitsMigrations: Migration[] = [
  {
    id: 'limits-001',
    sql: `ALTER TABLE windows ADD COLUMN extra TEXT;`,
  },
];
