// Headless Chromium for the e2e scripts, launched exactly as ../shared/BROWSER-TESTS.md says so that every
// packet stays on loopback: our own whole command line (ignoreDefaultArgs), one --disable-features, no DNS
// probes (Preferences written before launch), a fresh profile removed again by close(). Never downloads a
// browser: Debian's /usr/bin/chromium (apt-get install -y chromium; scripts/test does it).

import { chromium } from 'playwright-core';
import { mkdtempSync, mkdirSync, writeFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

/** Launches Chromium; {spki} trusts exactly that certificate for turns:. Resolves to {browser, close}. */
export async function launch({ spki = '' } = {}) {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found (apt-get install -y chromium; scripts/test does it)`);
  const userDataDir = mkdtempSync(join(tmpdir(), 'turnbridge-e2e-'));
  mkdirSync(join(userDataDir, 'Default'));
  // Turns the error-page DNS probes and prediction off (BROWSER-TESTS.md).
  writeFileSync(join(userDataDir, 'Default', 'Preferences'), JSON.stringify({
    alternate_error_pages: { enabled: false },
    dns_prefetching: { enabled: false },
    net: { network_prediction_options: 2 },
    safebrowsing: { enabled: false },
  }));
  // Exactly the command line of BROWSER-TESTS.md; Chromium keeps only the last --disable-features, so one.
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
    // trusts exactly the relay's certificate for turns: (BROWSER-TESTS.md); nothing else is exempted
    ...(spki ? [`--ignore-certificate-errors-spki-list=${spki}`] : []),
  ];
  let browser;
  const close = async () => {
    try { if (browser) await browser.close(); } catch { /* already gone */ }
    try { rmSync(userDataDir, { recursive: true, force: true }); } catch { /* best effort */ }
  };
  try {
    browser = await chromium.launch({ executablePath: CHROMIUM, ignoreDefaultArgs: true, args: flags, timeout: 20_000 });
  } catch (e) {
    await close();
    throw e;
  }
  return { browser, close };
}

/** The only base URLs the scripts accept: the signaling listener on loopback. */
export function checkBase(base) {
  return !!base && /^http:\/\/(127\.0\.0\.1|\[::1\]):\d+$/.test(base);
}
