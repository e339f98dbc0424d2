'use strict';
/**
 * Installs a Debian package the project needs (PostgreSQL, nginx) when we are root; otherwise says what
 * to run. Plain CommonJS with no dependencies: it runs before `npm install`.
 */
const { execFileSync } = require('node:child_process');

function installDebianPackage(pkg, what, { log = console.log } = {}) {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) {
    throw new Error(`${what} is not installed; run: sudo apt-get install -y ${pkg}`);
  }
  log(`Installing ${what} from Debian packages (once)…`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', pkg], {
    stdio: 'inherit',
    env,
  });
}

module.exports = { installDebianPackage };
