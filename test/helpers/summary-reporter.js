'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { tierOf } = require('../tiers');

const SLOWEST = 8;

/** The machine's CPU time so far, busy and all, in clock ticks (Linux; null elsewhere). */
function machineTicks() {
  try {
    const [, ...fields] = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/);
    const n = fields.map(Number);
    const idle = (n[3] ?? 0) + (n[4] ?? 0);
    const all = n.reduce((a, b) => a + b, 0);
    return { busy: all - idle, all };
  } catch {
    return null;
  }
}

/**
 * Ends the run with each tier's time (the sum of its files' run times, so a slow file shows where it
 * belongs), the slowest files, how busy the machine's cores were (a suite that leaves them idle would go
 * faster with more workers; one that keeps them busy would not), and one plain line CI can read: "jest: N
 * passed, N failed, N skipped".
 */
class SummaryReporter {
  onRunStart() {
    this.ticks = machineTicks();
  }

  onRunComplete(_contexts, results) {
    const { numPassedTests, numFailedTests, numPendingTests, numTodoTests, numRuntimeErrorTestSuites } =
      results;
    const files = results.testResults.map((r) => ({
      file: path.relative(process.cwd(), r.testFilePath),
      seconds: (r.perfStats.end - r.perfStats.start) / 1000,
      tests: r.numPassingTests + r.numFailingTests + r.numPendingTests,
    }));
    const lines = [];
    for (const tier of ['unit', 'integration', 'system']) {
      const mine = files.filter((f) => tierOf(f.file) === tier);
      if (mine.length === 0) continue;
      const seconds = mine.reduce((s, f) => s + f.seconds, 0);
      const tests = mine.reduce((s, f) => s + f.tests, 0);
      lines.push(
        `  ${tier.padEnd(12)} ${String(mine.length).padStart(4)} files ${String(tests).padStart(5)} tests ${seconds.toFixed(1).padStart(8)} s`,
      );
    }
    const slowest = [...files].sort((a, b) => b.seconds - a.seconds).slice(0, SLOWEST);
    process.stdout.write(
      `\nTiers (seconds summed over files; ${results.numTotalTestSuites} files in ${((Date.now() - results.startTime) / 1000).toFixed(0)} s wall):\n` +
        `${lines.join('\n')}\nSlowest files:\n` +
        slowest.map((f) => `  ${f.seconds.toFixed(1).padStart(7)} s  ${f.file}`).join('\n') +
        '\n',
    );
    const now = machineTicks();
    if (this.ticks && now && now.all > this.ticks.all) {
      const share = (now.busy - this.ticks.busy) / (now.all - this.ticks.all);
      const cores = os.cpus().length;
      process.stdout.write(
        `The machine's ${cores} cores were ${(share * 100).toFixed(0)} % busy over the run (anything running, the suite's or not).\n`,
      );
    }
    const failed = numFailedTests + numRuntimeErrorTestSuites;
    process.stdout.write(
      `\njest: ${numPassedTests} passed, ${failed} failed, ${numPendingTests + numTodoTests} skipped\n`,
    );
  }
}
module.exports = SummaryReporter;
