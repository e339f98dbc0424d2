'use strict';
const os = require('node:os');
const path = require('node:path');

/** Tool builds live in the user's cache directory, shared by every clone, so a second run rebuilds nothing. */
function cacheDir(...parts) {
  const base = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(base, 'billing-engine', ...parts);
}

module.exports = { cacheDir };
