#!/usr/bin/python3
"""Prints one line per test suite and the closing 'N passed, N failed, N skipped' line.

Arguments are SUITE=RESULT pairs, where RESULT is a JUnit XML file (written by ctest or pytest)
or one of the words 'passed', 'failed' or 'skipped' for a suite that is a single check (lint, the
build). A suite whose XML file is missing counts as one failure: the runner never got to write it.
Exits 1 when anything failed or nothing ran at all.
"""
import sys
import xml.etree.ElementTree as ET
from collections import Counter


def count_junit(path):
    counts = Counter()
    failures = []
    for case in ET.parse(path).getroot().iter("testcase"):
        kids = {child.tag for child in case}
        name = f"{case.get('classname', '')}.{case.get('name', '')}".strip(".")
        if kids & {"failure", "error"}:
            counts["failed"] += 1
            failures.append(name)
        elif "skipped" in kids or case.get("status") in ("notrun", "disabled"):
            counts["skipped"] += 1
        else:
            counts["passed"] += 1
    return counts, failures


def main(argv):
    total = Counter()
    for arg in argv:
        suite, _, result = arg.partition("=")
        if result in ("passed", "failed", "skipped"):
            counts, failures = Counter({result: 1}), ([suite] if result == "failed" else [])
        else:
            try:
                counts, failures = count_junit(result)
            except (OSError, ET.ParseError) as e:
                counts, failures = Counter({"failed": 1}), [f"{suite} (no results: {e})"]
        total += counts
        print(f"{suite}: {counts['passed']} passed, {counts['failed']} failed, "
              f"{counts['skipped']} skipped")
        for name in failures:
            print(f"  FAILED {name}")
    print(f"{total['passed']} passed, {total['failed']} failed, {total['skipped']} skipped")
    return 1 if total["failed"] or not total["passed"] else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
