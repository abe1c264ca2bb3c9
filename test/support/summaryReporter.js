// Mocha's spec reporter, plus the closing line CI reads: "N passed, N failed, N skipped". With
// LETHE_TEST_FILE_TIMES set (test/support/lanes.ts sets it per unit) it also writes there, as JSON,
// the seconds each test file took (its top-level suites, hooks included), so that the next run can
// split a long folder into units of files of about the same length.
const fs = require("node:fs");
const Mocha = require("mocha");

const { EVENT_RUN_END, EVENT_SUITE_BEGIN, EVENT_SUITE_END } = Mocha.Runner.constants;

class SummaryReporter extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options);
    const fileTimes = process.env.LETHE_TEST_FILE_TIMES;
    const seconds = {};
    const started = new Map();
    const topLevel = (suite) => suite.file && suite.parent && suite.parent.root;
    runner.on(EVENT_SUITE_BEGIN, (suite) => topLevel(suite) && started.set(suite, Date.now()));
    runner.on(EVENT_SUITE_END, (suite) => {
      if (!started.has(suite)) return;
      seconds[suite.file] = (seconds[suite.file] || 0) + (Date.now() - started.get(suite)) / 1000;
    });
    runner.once(EVENT_RUN_END, () => {
      const s = runner.stats || {};
      if (fileTimes) fs.writeFileSync(fileTimes, JSON.stringify(seconds));
      process.stdout.write(
        `\n${s.passes || 0} passed, ${s.failures || 0} failed, ${s.pending || 0} skipped\n`,
      );
    });
  }
}

module.exports = SummaryReporter;
