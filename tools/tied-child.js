'use strict';

const { existsSync } = require('node:fs');

const SETPRIV = '/usr/bin/setpriv';

/**
 * The command and arguments that run `command` so the kernel kills it when the process that starts it
 * dies, however it dies. An 'exit' handler does not run when a test runner SIGKILLs a worker that timed
 * out (or CI kills the run), and a Temporal server or stripe-mock left behind keeps a port and a core busy
 * for every run after. Linux's parent-death signal, set by util-linux's setpriv before it execs the command
 * (same pid, same signals); where there is no setpriv the command runs as it is.
 */
function tiedToParent(command, args) {
  if (process.platform !== 'linux' || !existsSync(SETPRIV)) return [command, args];
  return [SETPRIV, ['--pdeathsig', 'SIGKILL', '--', command, ...args]];
}

module.exports = { tiedToParent };
