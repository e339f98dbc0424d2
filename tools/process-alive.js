'use strict';

/** Whether a process still runs: stale build folders of dead processes may be removed. */
function isAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to another user.
    return err.code === 'EPERM';
  }
}

module.exports = { isAlive };
