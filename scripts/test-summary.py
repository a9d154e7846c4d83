"""Adds up the results scripts/test left in a folder and prints one line:
"N passed, N failed[, N skipped]". Exit status 1 when anything failed
(with --strict, also when anything was skipped, except a check that its
tool is missing on this machine: "SKIP name" in checks.txt)."""
import glob
import os
import re
import sys
import xml.etree.ElementTree as ET


def main():
    res = sys.argv[1]
    strict = "--strict" in sys.argv
    passed = failed = skipped = allowed = 0

    for path in glob.glob(os.path.join(res, "unit-*.tap")):
        text = open(path, errors="replace").read()
        ok = len(re.findall(r"^ok \d+", text, re.M))
        bad = len(re.findall(r"^not ok \d+", text, re.M))
        if ok + bad == 0:
            # cmocka's own format (a test that changes its environment can
            # lose CMOCKA_MESSAGE_OUTPUT): one "[       OK ]" per pass, and
            # the failed test names (each listed twice)
            ok = len(re.findall(r"^\[       OK \] ", text, re.M))
            bad = len(set(re.findall(r"^\[  FAILED  \] (test_\w+)", text, re.M)))
        passed += ok
        failed += bad
        if ok + bad == 0:
            failed += 1  # a binary that crashed before reporting

    for path in glob.glob(os.path.join(res, "*.xml")):
        root = ET.parse(path).getroot()
        suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
        for s in suites:
            t = int(s.get("tests", 0))
            f = int(s.get("failures", 0)) + int(s.get("errors", 0))
            k = int(s.get("skipped", 0))
            passed += t - f - k
            failed += f
            skipped += k

    # node --test's TAP: the deployment policy checks and the browser tests
    for name in ("policy.tap", "browser.tap"):
        policy = os.path.join(res, name)
        if not os.path.exists(policy):
            continue
        text = open(policy, errors="replace").read()
        counts = {k: int(v) for k, v in re.findall(r"^# (pass|fail|skipped|cancelled) (\d+)",
                                                      text, re.M)}
        if not counts:
            failed += 1
        passed += counts.get("pass", 0)
        failed += counts.get("fail", 0) + counts.get("cancelled", 0)
        skipped += counts.get("skipped", 0)

    checks = os.path.join(res, "checks.txt")
    if os.path.exists(checks):
        for line in open(checks):
            if line.startswith("PASS"):
                passed += 1
            elif line.startswith("FAIL"):
                failed += 1
            elif line.startswith("SKIP"):
                skipped += 1
                allowed += 1

    fuzz = os.path.join(res, "fuzz.txt")
    if os.path.exists(fuzz):
        for line in open(fuzz):
            if line.startswith("fuzz "):
                if re.search(r"\bok\b|no crash", line):
                    passed += 1
                else:
                    failed += 1

    line = "%d passed, %d failed" % (passed, failed)
    if skipped:
        line += ", %d skipped" % skipped
    print(line)
    if failed or (strict and skipped > allowed):
        if strict and skipped > allowed and not failed:
            print("(--strict: skipped tests count as failures in CI)")
        sys.exit(1)


main()
