/**
 * The one configuration schema: every section, its JSON schema and its defaults.
 * Each area owns a file in sections/; add a section here to wire it in.
 */
import { engineDefaults, engineSchema, type EngineConfig } from './sections/engine.js';
import { storeDefaults, storeSchema, type StoreConfig } from './sections/store.js';
import { devicesDefaults, devicesSchema, type DevicesConfig } from './sections/devices.js';
import { elasticsearchDefaults, elasticsearchSchema, type ElasticsearchConfig } from './sections/elasticsearch.js';
import { flowspecDefaults, flowspecSchema, type FlowspecConfig } from './sections/flowspec.js';
import { limitsDefaults, limitsSchema, type LimitsConfig } from './sections/limits.js';
import { huntDefaults, huntSchema, type HuntConfig } from './sections/hunt.js';
import { iocDefaults, iocSchema, type IocConfig } from './sections/ioc.js';
import { alertsDefaults, alertsSchema, type AlertsConfig } from './sections/alerts.js';

export interface NocflowConfig {
  engine: EngineConfig;
  store: StoreConfig;
  devices: DevicesConfig;
  elasticsearch: ElasticsearchConfig;
  flowspec: FlowspecConfig;
  limits: LimitsConfig;
  hunt: HuntConfig;
  ioc: IocConfig;
  alerts: AlertsConfig;
  /** Sections owned by later features (flowspec, devices, elasticsearch, tui) are added here. */
  [section: string]: unknown;
}

export const configSchema = {
  engine: engineSchema,
  store: storeSchema,
  devices: devicesSchema,
  elasticsearch: elasticsearchSchema,
  flowspec: flowspecSchema,
  limits: limitsSchema,
  hunt: huntSchema,
  ioc: iocSchema,
  alerts: alertsSchema,
} as const;

export const configDefaults: NocflowConfig = {
  engine: engineDefaults,
  store: storeDefaults,
  devices: devicesDefaults,
  elasticsearch: elasticsearchDefaults,
  flowspec: flowspecDefaults,
  limits: limitsDefaults,
  hunt: huntDefaults,
  ioc: iocDefaults,
  alerts: alertsDefaults,
};
