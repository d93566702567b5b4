#!/usr/bin/env python3
"""run.py: runs every tests/integration/test_*.py with unittest.

The last line printed is exactly
    integration: N passed, M failed[, K skipped]
and the exit status is 1 when anything failed.  A test counts as failed when
it failed, raised, or never ran because its class or module could not be set
up (e.g. xinetd missing or the server not built).

Usage: python3 tests/integration/run.py [-k PATTERN] [test_x.py ...]
"""

import os
import re
import signal
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))


class CountingResult(unittest.TextTestResult):
    last = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.passed = 0
        CountingResult.last = self

    def addSuccess(self, test):
        super().addSuccess(test)
        self.passed += 1


def flatten(suite):
    for t in suite:
        if isinstance(t, unittest.TestSuite):
            yield from flatten(t)
        else:
            yield t


def test_counts(suite):
    """({module.Class: tests}, {module: tests}); to be taken before the run
    (a suite drops its tests as it runs them)."""
    per_class, per_module = {}, {}
    for t in flatten(suite):
        cls = type(t)
        name = "%s.%s" % (cls.__module__, cls.__qualname__)
        per_class[name] = per_class.get(name, 0) + 1
        per_module[cls.__module__] = per_module.get(cls.__module__, 0) + 1
    return per_class, per_module


def count_skipped(counts, result):
    """Skipped tests; a class skipped in setUpClass (or a module in
    setUpModule) counts as all of its tests."""
    per_class, per_module = counts
    n = 0
    for test, _reason in result.skipped:
        desc = getattr(test, "description", None)
        if isinstance(desc, str) and not isinstance(test, unittest.TestCase):
            m = re.match(r"^setUpClass \((.+)\)$", desc)
            if m:
                n += per_class.get(m.group(1), 1)
                continue
            m = re.match(r"^setUpModule \((.+)\)$", desc)
            if m:
                n += per_module.get(m.group(1), 1)
                continue
        n += 1
    return n


def main(argv):
    # SIGTERM ends the run like Ctrl-C does, so that the harness's atexit
    # handler stops the xinetd instances
    def interrupt(*_):
        raise KeyboardInterrupt("SIGTERM")
    signal.signal(signal.SIGTERM, interrupt)
    sys.dont_write_bytecode = True      # no __pycache__ in the tree
    sys.path.insert(0, HERE)
    patterns = []
    files = []
    i = 0
    while i < len(argv):
        if argv[i] == "-k" and i + 1 < len(argv):
            patterns.append(argv[i + 1])
            i += 2
            continue
        files.append(os.path.basename(argv[i]))
        i += 1
    loader = unittest.TestLoader()
    if patterns:
        loader.testNamePatterns = ["*%s*" % p for p in patterns]
    if files:
        suite = unittest.TestSuite()
        for f in files:
            suite.addTests(loader.discover(HERE, pattern=f,
                                           top_level_dir=HERE))
    else:
        suite = loader.discover(HERE, pattern="test_*.py", top_level_dir=HERE)
    total = suite.countTestCases()
    counts = test_counts(suite)
    runner = unittest.TextTestRunner(verbosity=2, resultclass=CountingResult,
                                     stream=sys.stdout)
    interrupted = False
    try:
        result = runner.run(suite)
    except KeyboardInterrupt:
        interrupted = True
        result = CountingResult.last
        print("\ninterrupted: the tests not run count as failed", flush=True)
    if result is None:
        print("integration: 0 passed, %d failed" % total, flush=True)
        return 1
    skipped = count_skipped(counts, result)
    passed = result.passed
    failed = total - passed - skipped
    # errors in setUpModule/setUpClass/tearDown* that are not tied to a test
    if failed == 0 and not result.wasSuccessful():
        failed = len(result.failures) + len(result.errors)
    sys.stderr.flush()
    line = "integration: %d passed, %d failed" % (passed, failed)
    if skipped:
        line += ", %d skipped" % skipped
    print(line, flush=True)
    return 1 if failed or interrupted or not result.wasSuccessful() else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
