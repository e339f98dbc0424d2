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

const ROOT = path.join(__dirname, '..');

/**
 * ops/nginx's server block filled in as nginx's image does: each `${NAME}` of `values` (nginx's own
 * `$variables` are left alone, and so is a `${NAME}` not given).
 */
function renderBalancerConfig(values) {
  const template = fs.readFileSync(path.join(ROOT, 'ops', 'nginx', 'billing-api.conf.template'), 'utf8');
  return template.replace(/\$\{([A-Z0-9_]+)\}/g, (whole, name) => values[name] ?? whole);
}

/**
 * nginx's own configuration around the server block, in `dir` (its temporary files and pid there too, the
 * log on stderr): what `npm run cluster` runs. Returns the path of the main file, for `nginx -c`.
 */
function writeNginxConfig(dir, values) {
  for (const sub of ['', 'temp']) fs.mkdirSync(path.join(dir, sub), { recursive: true, mode: 0o777 });
  fs.writeFileSync(path.join(dir, 'billing-api.conf'), renderBalancerConfig(values));
  const temp = path.join(dir, 'temp');
  const main = path.join(dir, 'nginx.conf');
  fs.writeFileSync(
    main,
    [
      'daemon off;',
      'worker_processes 1;',
      `pid ${path.join(dir, 'nginx.pid')};`,
      'error_log stderr warn;',
      'events { worker_connections 1024; }',
      'http {',
      '  access_log off;',
      ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map(
        (kind) => `  ${kind}_temp_path ${path.join(temp, kind)};`,
      ),
      `  include ${path.join(dir, 'billing-api.conf')};`,
      '}',
      '',
    ].join('\n'),
  );
  return main;
}

module.exports = { ensureNginx, renderBalancerConfig, writeNginxConfig };

if (require.main === module) console.log(ensureNginx());
