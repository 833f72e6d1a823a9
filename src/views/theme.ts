/**
 * Styles as functions of state. NO_COLOR (https://no-color.org) turns every color off; emphasis (bold, inverse) stays,
 * so the cursor and headers remain visible without color.
 */
import type { Severity } from '../engine/types.js';

/** True when colors must not be used (read once per call so tests can set it). */
export const noColor = (): boolean => process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== '';

/** The theme. */
export const theme = {
  /** A color, or undefined under NO_COLOR. */
  color: (c: string): string | undefined => (noColor() ? undefined : c),
  severity: (s: Severity, falsePositive: boolean): string | undefined => (noColor() ? undefined : falsePositive ? 'gray' : s === 'super' ? 'red' : 'yellow'),
  flash: (error: boolean): string | undefined => (noColor() ? undefined : error ? 'red' : 'green'),
};
