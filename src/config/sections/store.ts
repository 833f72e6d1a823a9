/** Config section `store`: the embedded SQLite database. */
export const storeSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    path: { type: 'string', description: 'SQLite file; empty = <data dir>/nocflow.db.' },
  },
} as const;

export interface StoreConfig {
  path: string;
}

export const storeDefaults: StoreConfig = { path: '' };
