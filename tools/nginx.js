'use strict';
/**
 * nginx, the load balancer in front of the API processes of the production topology (`npm run cluster`):
 * Debian's package, installed when missing and we are root. Plain CommonJS with no dependencies, like
 * tools/postgres.js.
 */
const { installDebianPackage } = require('./debian-package');
const fs = require('node:fs');
const path = require('node:path');

function findNginx() {
  for (const dir of ['/usr/sbin', ...(process.env.PATH || '').split(':')]) {
    if (dir && fs.existsSync(path.join(dir, 'nginx'))) return path.join(dir, 'nginx');
  }
  return null;
}

/** Returns the nginx binary, installing Debian's package if needed. */
function ensureNginx({ log = console.log } = {}) {
  let bin = findNginx();
  if (bin) return bin;
  // Its package starts the system's nginx on port 80 where an init system runs; nothing here uses that one.
  installDebianPackage('nginx', 'nginx', { log });
  bin = findNginx();
  if (!bin) throw new Error('nginx was installed but not found in /usr/sbin');
  return bin;
}

module.exports = { ensureNginx };

if (require.main === module) console.log(ensureNginx());
