'use strict';

const fs = require('node:fs');
const net = require('node:net');

// The first port the OS hands out to outgoing connections. A port picked from that range can be taken
// by any client socket (the suite opens thousands) between our check and a slow server's bind: Keycloak
// binds seconds after it is told its port, and once failed with "Port already bound" that way. Read once:
// the range is a boot-time setting.
let ephemeralLow;
function ephemeralStart() {
  if (ephemeralLow !== undefined) return ephemeralLow;
  ephemeralLow = 32768; // not Linux, or unreadable: the common default
  try {
    const [low, high] = fs
      .readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8')
      .trim()
      .split(/\s+/)
      .map(Number);
    if (Number.isInteger(low) && Number.isInteger(high) && low <= high) ephemeralLow = low;
  } catch {
    // keep the default
  }
  return ephemeralLow;
}

// Below the ephemeral range, above the ports services usually claim (PostgreSQL, Temporal, Keycloak).
const FLOOR = 20000;

function tryListen(port) {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', (err) =>
      err.code === 'EADDRINUSE' || err.code === 'EACCES' ? resolve(undefined) : reject(err),
    );
    srv.listen(port, '127.0.0.1', () => {
      const bound = srv.address().port;
      srv.close(() => resolve(bound));
    });
  });
}

/**
 * A loopback port nobody listens on right now, outside the range the OS gives outgoing connections, so
 * only another listener can take it before the caller binds it (picked at random, so two callers rarely
 * meet). Falls back to an OS-chosen port when that range is full or absent.
 */
async function freePort() {
  const low = ephemeralStart();
  if (low - FLOOR >= 1000) {
    for (let i = 0; i < 50; i++) {
      const candidate = FLOOR + Math.floor(Math.random() * (low - FLOOR));
      const port = await tryListen(candidate);
      if (port !== undefined) return port;
    }
  }
  return tryListen(0);
}

module.exports = { freePort, ephemeralStart, FLOOR };
