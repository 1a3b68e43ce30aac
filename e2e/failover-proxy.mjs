// A TCP (L4) proxy on 127.0.0.1 in front of several turnbridge nodes, as a load balancer would be: each new
// connection goes to the first backend that accepts it, in order, so while the first node is up everything goes
// there, and once it is down (connection refused) new connections go to the next. It does not look inside the
// streams: Host and Origin stay the proxy's address, so the node sees a same-origin page. A connection whose
// backend closes (its node died) is closed towards the client too, which is what the client then notices.
import net from 'node:net';

const CONNECT_TIMEOUT_MS = 2000;

/**
 * @param backends [{name, port}] on 127.0.0.1, in order of preference
 * @returns {port, connections: [{at, backend}] (where each accepted connection went), close()}
 */
export async function startFailoverProxy(backends, listenPort = 0) {
  const open = new Set();
  const connections = [];
  const server = net.createServer((client) => {
    let upstream = null;
    open.add(client);
    client.on('error', () => {});
    client.on('close', () => { open.delete(client); if (upstream) upstream.destroy(); });
    client.pause();
    const tryBackend = (i) => {
      if (client.destroyed) return;
      if (i >= backends.length) {
        connections.push({ at: Date.now(), backend: null });
        client.destroy();
        return;
      }
      const socket = net.connect(backends[i].port, '127.0.0.1');
      upstream = socket;
      open.add(socket);
      let connected = false;
      const timer = setTimeout(() => socket.destroy(), CONNECT_TIMEOUT_MS);
      socket.on('error', () => {}); // a refused connect or a reset: 'close' follows and decides
      socket.once('connect', () => {
        connected = true;
        clearTimeout(timer);
        connections.push({ at: Date.now(), backend: backends[i].name });
        client.pipe(socket);
        socket.pipe(client);
        client.resume();
      });
      socket.once('close', () => {
        clearTimeout(timer);
        open.delete(socket);
        if (connected) client.destroy(); // its node went away: so does this connection
        else tryBackend(i + 1);
      });
    };
    tryBackend(0);
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(listenPort, '127.0.0.1', resolve);
  });
  return {
    port: server.address().port,
    connections,
    close() {
      for (const socket of open) socket.destroy();
      open.clear();
      server.close();
    },
  };
}
