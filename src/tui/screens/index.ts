/** The registered screens (src/tui/registry.ts): add a screen by adding its def here. */
import type { AnyScreenDef } from '../registry.js';
import { mapScreen } from './map.js';
import { alertsScreen } from './alerts.js';
import { windowsScreen } from './windows.js';
import { signatureMembersScreen, signaturesScreen } from './signatures.js';
import { infectedScreen } from './infected.js';

export const SCREENS: AnyScreenDef[] = [windowsScreen, signaturesScreen, signatureMembersScreen, infectedScreen, mapScreen, alertsScreen];
