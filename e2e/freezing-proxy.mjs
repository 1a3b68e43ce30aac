// A TCP proxy on 127.0.0.1 that a test can freeze: connections open at that moment stay open at both ends but
// carry nothing more either way (what a phone on a dying network does to a WebSocket). Later connections work.
import net from 'node:net';

export async function startProxy(targetPort, listenPort = 0) {
  const links = new Set();
  let blockedUntil = 0;
  const server = net.createServer((client) => {
    if (Date.now() < blockedUntil) { client.destroy(); return; } // the network is down
    const upstream = net.connect(targetPort, '127.0.0.1');
    const link = { client, upstream, frozen: false };
    links.add(link);
    client.on('data', (d) => { if (!link.frozen) upstream.write(d); });
    upstream.on('data', (d) => { if (!link.frozen) client.write(d); });
    const end = () => {
      links.delete(link);
      if (!link.frozen) { client.destroy(); upstream.destroy(); }
    };
    client.on('close', end);
    upstream.on('close', end);
    client.on('error', () => {});
    upstream.on('error', () => {});
  });
  await new Promise((resolve) => server.listen(listenPort, '127.0.0.1', resolve));
  return {
    port: server.address().port,
    /** Freezes every connection open now; returns how many. */
    freeze() {
      let n = 0;
      for (const link of links) { if (!link.frozen) { link.frozen = true; n++; } }
      return n;
    },
    /** Cuts every connection open now without a close frame (a lost network) and refuses new ones for ms. */
    cut(ms) {
      blockedUntil = Date.now() + ms;
      for (const link of links) { link.client.destroy(); link.upstream.destroy(); }
      links.clear();
    },
    close() {
      for (const link of links) { link.client.destroy(); link.upstream.destroy(); }
      server.close();
    },
  };
}
