// Headless Chromium with every packet kept on loopback (../shared/BROWSER-TESTS.md): the exact command line,
// a fresh profile whose preferences turn DNS probes and prediction off, and cleanup of that profile.
import { chromium } from 'playwright-core';
import { mkdtempSync, mkdirSync, writeFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

/** Launches Chromium; extra flags are appended (e.g. an SPKI pin). Returns {browser, cleanup}. */
export async function launch(extraFlags = []) {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found (apt-get install -y chromium; scripts/test does it)`);
  const userDataDir = mkdtempSync(join(tmpdir(), 'turnbridge-e2e-'));
  mkdirSync(join(userDataDir, 'Default'));
  writeFileSync(join(userDataDir, 'Default', 'Preferences'), JSON.stringify({
    alternate_error_pages: { enabled: false },
    dns_prefetching: { enabled: false },
    net: { network_prediction_options: 2 },
    safebrowsing: { enabled: false },
  }));
  // Chromium keeps only the last --disable-features, so exactly one.
  const flags = [
    '--headless', '--no-sandbox', '--remote-debugging-pipe', '--no-startup-window', '--disable-gpu',
    '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update',
    '--disable-sync', '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream',
    '--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE localhost , EXCLUDE 127.0.0.1 , EXCLUDE [::1]',
    '--disable-features=WebRtcHideLocalIpsWithMdns,OptimizationHints,MediaRouter,DialMediaRouteProvider,Translate,'
      + 'NetworkTimeServiceQuerying,AutofillServerCommunication,CertificateTransparencyComponentUpdater,'
      + 'InterestFeedContentSuggestions,PreconnectToSearch,AimEnabled,LensOverlay,PaintHolding,HttpsUpgrades,'
      + 'HttpsFirstBalancedModeAutoEnable',
    '--disable-field-trial-config', '--disable-extensions', '--disable-default-apps', '--no-default-browser-check',
    '--disable-breakpad', '--disable-client-side-phishing-detection', '--disable-dev-shm-usage',
    '--metrics-recording-only', '--password-store=basic', '--use-mock-keychain', '--mute-audio',
    '--allow-loopback-in-peer-connection', `--user-data-dir=${userDataDir}`,
    ...extraFlags,
  ];
  const browser = await chromium.launch({ executablePath: CHROMIUM, ignoreDefaultArgs: true, args: flags,
    timeout: 20_000 });
  const cleanup = async () => {
    try { await browser.close(); } catch { /* already gone */ }
    try { rmSync(userDataDir, { recursive: true, force: true }); } catch { /* best effort */ }
  };
  return { browser, cleanup };
}
