/** The registered screens (src/tui/registry.ts): add a screen by adding its def here. */
import type { AnyScreenDef } from '../registry.js';
import { windowsScreen } from './windows.js';

export const SCREENS: AnyScreenDef[] = [windowsScreen];
