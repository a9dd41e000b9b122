#!/usr/bin/env python3
"""Writes <fixture>.counts.json: the totals the test tool itself reported for a fixture,
read from the tool's own output (never from the JUnit file ci-report parses), so
TestTotalsMatchTheTools can check ci-report's counts against them.

usage: tool_counts.py KIND SOURCE OUT
  go-json   SOURCE is `go test -json` output (a test that failed, then passed in a later
            run is flaky; the last verdict of every test counts)
  go-text   SOURCE is `go test -v` output (its --- PASS/FAIL/SKIP lines)
  ginkgo    SOURCE is ginkgo's console output (its "N Passed | N Failed | ..." line)
  jest      SOURCE is jest/vitest --json output
  mocha     SOURCE is mocha --reporter json output
  pytest    SOURCE is pytest's console output (its final "N failed, N passed" line)
Keys are the tool's own buckets: a tool without an "errored" bucket counts errors
(panics) as failed.
"""
import json, re, sys

kind, src, out = sys.argv[1:4]
text = open(src, encoding="utf-8", errors="replace").read()
c = {}

if kind == "go-json":
    verdicts = {}
    for line in text.splitlines():
        try:
            e = json.loads(line)
        except ValueError:
            continue
        if e.get("Test") and e.get("Action") in ("pass", "fail", "skip"):
            verdicts.setdefault((e["Package"], e["Test"]), []).append(e["Action"])
    c = {"passed": 0, "failed": 0, "skipped": 0, "flaky": 0}
    for v in verdicts.values():
        if v[-1] == "pass" and "fail" in v:
            c["flaky"] += 1
        else:
            c[{"pass": "passed", "fail": "failed", "skip": "skipped"}[v[-1]]] += 1
elif kind == "go-text":
    c = {"passed": 0, "failed": 0, "skipped": 0}
    for m in re.finditer(r"^\s*--- (PASS|FAIL|SKIP): ", text, re.M):
        c[{"PASS": "passed", "FAIL": "failed", "SKIP": "skipped"}[m.group(1)]] += 1
elif kind == "ginkgo":
    m = re.search(r"(\d+) Passed \| (\d+) Failed \| (?:(\d+) Flaked \| )?(\d+) Pending \| (\d+) Skipped", re.sub(r"\x1b\[[0-9;]*m", "", text))
    if not m:
        sys.exit("no ginkgo summary line in " + src)
    flaked = int(m.group(3) or 0)
    # Ginkgo counts a flaked spec in Passed too; pending and skipped are both "skipped".
    c = {"passed": int(m.group(1)) - flaked, "failed": int(m.group(2)), "flaky": flaked,
         "skipped": int(m.group(4)) + int(m.group(5))}
elif kind == "jest":
    j = json.loads(text)
    c = {"passed": j["numPassedTests"], "failed": j["numFailedTests"],
         "skipped": j["numPendingTests"] + j.get("numTodoTests", 0)}
elif kind == "mocha":
    j = json.loads(text[text.index("{"):])
    s = j["stats"]
    c = {"passed": s["passes"], "failed": s["failures"], "skipped": s["pending"]}
elif kind == "pytest":
    line = [l for l in text.splitlines() if re.search(r"\d+ (passed|failed)", l)][-1]
    c = {"passed": 0, "failed": 0, "errored": 0, "skipped": 0}
    for n, word in re.findall(r"(\d+) (passed|failed|errors?|skipped|xfailed|xpassed)", line):
        key = {"passed": "passed", "failed": "failed", "error": "errored", "errors": "errored",
               "skipped": "skipped", "xfailed": "skipped", "xpassed": "passed"}[word]
        c[key] += int(n)
else:
    sys.exit("unknown kind " + kind)

with open(out, "w") as f:
    json.dump(c, f, indent=2, sort_keys=True)
    f.write("\n")
