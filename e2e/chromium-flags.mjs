// The one Chromium command line of the browser tests (../shared/BROWSER-TESTS.md): with it, Chromium sends
// no packet of its own (no DNS, no mDNS, no probes, no updates). Tests add only what they need on top.
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A fresh profile directory whose Preferences turn the error-page DNS probes and prediction off. */
export function freshUserDataDir(parent = tmpdir(), prefix = 'turnbridge-e2e-') {
  const dir = mkdtempSync(join(parent, prefix));
  mkdirSync(join(dir, 'Default'));
  writeFileSync(join(dir, 'Default', 'Preferences'), JSON.stringify({
    alternate_error_pages: { enabled: false },
    dns_prefetching: { enabled: false },
    net: { network_prediction_options: 2 },
    safebrowsing: { enabled: false },
  }));
  return dir;
}

/**
 * The whole command line (launch with ignoreDefaultArgs: true). Chromium keeps only the last
 * --disable-features, so there is exactly one. Options:
 *   spki           base64 SHA-256 SPKI pin of the relay's certificate: Chromium trusts exactly that one for turns:
 *   resolveHosts   IP literals (besides loopback) the host resolver rules must let through, e.g. the server's
 *   secureOrigins  origins treated as secure contexts (getUserMedia needs one; see nat-matrix.mjs)
 */
export function chromiumFlags(userDataDir, { spki = '', resolveHosts = [], secureOrigins = [] } = {}) {
  const excluded = ['localhost', '127.0.0.1', '[::1]', ...resolveHosts].map((h) => 'EXCLUDE ' + h).join(' , ');
  return [
    '--headless', '--no-sandbox', '--remote-debugging-pipe', '--no-startup-window', '--disable-gpu',
    '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update',
    '--disable-sync', '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream',
    `--host-resolver-rules=MAP * ~NOTFOUND , ${excluded}`,
    '--disable-features=WebRtcHideLocalIpsWithMdns,OptimizationHints,MediaRouter,DialMediaRouteProvider,Translate,'
      + 'NetworkTimeServiceQuerying,AutofillServerCommunication,CertificateTransparencyComponentUpdater,'
      + 'InterestFeedContentSuggestions,PreconnectToSearch,AimEnabled,LensOverlay,PaintHolding,HttpsUpgrades,'
      + 'HttpsFirstBalancedModeAutoEnable',
    '--disable-field-trial-config', '--disable-extensions', '--disable-default-apps', '--no-default-browser-check',
    '--disable-breakpad', '--disable-client-side-phishing-detection', '--disable-dev-shm-usage',
    '--metrics-recording-only', '--password-store=basic', '--use-mock-keychain', '--mute-audio',
    '--allow-loopback-in-peer-connection', `--user-data-dir=${userDataDir}`,
    ...(spki ? [`--ignore-certificate-errors-spki-list=${spki}`] : []),
    ...(secureOrigins.length ? [`--unsafely-treat-insecure-origin-as-secure=${secureOrigins.join(',')}`] : []),
  ];
}
