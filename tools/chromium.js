'use strict';
/**
 * Debian's Chromium for the browser tests (driven by playwright-core; no browser is downloaded at run
 * time). Installed with apt-get when missing and we are root; otherwise the tests say what to install.
 */
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');

const CHROMIUM = '/usr/bin/chromium';

function ensureChromium({ log = console.error } = {}) {
  if (process.env.CHROMIUM_PATH && fs.existsSync(process.env.CHROMIUM_PATH)) return process.env.CHROMIUM_PATH;
  if (fs.existsSync(CHROMIUM)) return CHROMIUM;
  if (process.platform !== 'linux' || process.getuid?.() !== 0 || !fs.existsSync('/usr/bin/apt-get')) {
    throw new Error(
      `Chromium is needed for the browser tests: install it (Debian: apt-get install chromium)`,
    );
  }
  log("Installing Chromium from Debian's packages (once)…");
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update', '-qq'], { stdio: ['ignore', 'ignore', 'inherit'], env });
  execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'chromium'], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env,
  });
  if (!fs.existsSync(CHROMIUM))
    throw new Error('apt-get installed chromium but /usr/bin/chromium is missing');
  return CHROMIUM;
}

module.exports = { ensureChromium, CHROMIUM };
