/**
 * The one way tests find the real public captures (shared/captures: pcaps turned into nfcapd files; they cannot be
 * committed here). `NOCFLOW_CAPTURES` points elsewhere; without them, capture tests are reported as skipped with
 * {@link CAPTURES_SKIP} and generated fixtures cover the same code.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** The captures directory. */
export const CAPTURES = process.env.NOCFLOW_CAPTURES ?? path.resolve(ROOT, '../shared/captures');

/** The nfcapd files of the captures README. */
export type CaptureName =
  | 'synscan.ipfix.nfcapd'
  | 'pkt.TCP.DOMINATE.syn.ecn.cwr.ipfix.nfcapd'
  | 'amp.TCP.reflection.SYNACK.ipfix.nfcapd'
  | 'test-cc-capture-1.ipfix.nfcapd'
  | 'malicious-ssh-bruteforce.ipfix.nfcapd'
  | 'nmap_80_all.ipfix.nfcapd';

/** Every capture nfcapd file. */
export const CAPTURE_NAMES: CaptureName[] = [
  'synscan.ipfix.nfcapd',
  'pkt.TCP.DOMINATE.syn.ecn.cwr.ipfix.nfcapd',
  'amp.TCP.reflection.SYNACK.ipfix.nfcapd',
  'test-cc-capture-1.ipfix.nfcapd',
  'malicious-ssh-bruteforce.ipfix.nfcapd',
  'nmap_80_all.ipfix.nfcapd',
];

/** true when every capture file is there. */
export const haveCaptures = CAPTURE_NAMES.every((n) => fs.existsSync(path.join(CAPTURES, n)));

/** The reason printed for a skipped capture test. */
export const CAPTURES_SKIP = `real captures not found in ${CAPTURES} (set NOCFLOW_CAPTURES; they cannot be committed here)`;

/** Path of one capture file. */
export function capture(name: CaptureName): string {
  return path.join(CAPTURES, name);
}

if (!haveCaptures) process.stderr.write(`[captures] ${CAPTURES_SKIP}: capture-based tests are skipped\n`);
