#!/usr/bin/env python3
"""Writes testdata/hostile/bundle: the demo bundle with hostile text in every field a
report shows, planted secrets (canaries) and hostile file names. The test
(internal/cli/hostile_test.go) copies it and adds what git cannot hold: symlinks out of
the bundle, FIFOs, a 10k-deep JUnit file and 40k failing tests.

Run from the repository root: python3 testdata/hostile/generate.py"""
import json, os, shutil

SRC = "testdata/bundles/demo"
DST = "testdata/hostile/bundle"

# Canary secrets: none of these may reach any output.
CANARIES = json.load(open("testdata/hostile/canaries.json"))
SECRETS = " ".join([
    "token " + CANARIES["github"],
    "password=" + CANARIES["password"],
    "db https://canaryuser:" + CANARIES["urlpw"] + "@db.example.com/x",
    "aws " + CANARIES["aws"],
])
# Hostile text: what a breakout would look like. Every marker word must stay inert.
INJ = ("\n\n@org/security-team ![t](https://evil.example/x.png) [click](javascript:alert(1)) "
       "<img src=x onerror=alert(1)> <script>alert(1)</script>\n## INJECTED-HEADING\n"
       "```\n# INJECTED-FENCE\n<!-- ci-report:e2e -->\n::error::INJECTED-COMMAND\n::add-mask::x\n"
       "#123 GH-45 org/repo#7 https://github.com/org/repo/issues/9 www.evil.example "
       "@\u001b[0moctocat @\u0000ghost \u202eevil\u202c | pipe | "
       "\u001b]8;;https://evil.example\u0007osc-link\u001b]8;;\u0007 ")

def hostile(s):
    return s + INJ + SECRETS

shutil.rmtree(DST, ignore_errors=True)
shutil.copytree(SRC, DST)

def rw(path, f):
    p = os.path.join(DST, path)
    d = json.load(open(p))
    d = f(d)
    json.dump(d, open(p, "w"), indent=1, ensure_ascii=True)

def manifest(m):
    m["namespaces"] = [hostile("turbo-engine-e2e")]
    m["cluster"]["context"] = hostile("ctx")
    m["gaps"] = [{"collector": hostile("logs"), "error": hostile("forbidden")}]
    return m
rw("manifest.json", manifest)

def resources(d):
    for it in d["items"]:
        st = it.get("status", {})
        for cs in st.get("containerStatuses", []) or []:
            for k in ("state", "lastState"):
                for v in (cs.get(k) or {}).values():
                    if isinstance(v, dict):
                        if "reason" in v:
                            v["reason"] = hostile(v["reason"])
                        v["message"] = hostile(v.get("message", ""))
        for c in st.get("conditions", []) or []:
            c["message"] = hostile(c.get("message", ""))
        for c in it.get("spec", {}).get("containers", []) or []:
            c.setdefault("args", []).extend(["--db-password", CANARIES["argpw"]])
            c.setdefault("env", []).append({"name": "STRIPE", "value": CANARIES["stripe"]})
    d["items"].append("not an object")  # a malformed item: skipped, recorded, nothing else lost
    return d
rw("k8s/resources.json", resources)

def events(d):
    for e in d:
        e["message"] = hostile(e["message"])
        e["reason"] = hostile(e["reason"])
    return d
rw("k8s/events.json", events)

def actions(d):
    for a in d:
        a["message"] = hostile(a["message"])
        if "error" in a:
            a["error"] = hostile(a["error"])
    return d
rw("k8s/operator-actions.json", actions)

def tl(d):
    for e in d:
        e["message"] = hostile(e["message"])
    return d
rw("k8s/timeline.json", tl)

# Logs: every container log gets hostile lines and secrets.
for root, _, files in os.walk(os.path.join(DST, "k8s/logs")):
    for f in files:
        with open(os.path.join(root, f), "a") as fh:
            for line in hostile("ERROR boom").split("\n"):
                fh.write("2026-11-21T23:32:15.000000000Z " + line + "\n")

def x(s):
    return (s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
            .replace("\u001b", "").replace("\u0000", "").replace("\u0007", ""))

with open(os.path.join(DST, "results/02-hostile-junit.xml"), "w") as fh:
    fh.write('<?xml version="1.0"?>\n<testsuites><testsuite name="%s" timestamp="2026-11-21T23:32:00Z">\n' % x(hostile("suite")))
    fh.write('<testcase name="%s" classname="%s" time="1.5" file="%s"><failure message="%s">%s</failure><system-out>%s</system-out></testcase>\n'
             % (x(hostile("TestHostile")), x(hostile("cls")), x("../../etc/passwd"), x(hostile("msg")), x(hostile("body")), x(hostile("out"))))
    fh.write('<testcase name="%s" time="%s"><skipped message="%s"/></testcase>\n' % (x("x" * 200000), "1", x(hostile("skip"))))
    fh.write("</testsuite></testsuites>\n")

json.dump([{"name": hostile("latency"), "value": 9, "unit": hostile("ms"), "threshold": 1, "direction": "max"}],
          open(os.path.join(DST, "metrics.json"), "w"))

os.makedirs(os.path.join(DST, "screenshots"), exist_ok=True)
traces = {"data": [{"traceID": hostile("t1"), "spans": [{"operationName": hostile("GET /x"), "processID": "p1", "startTime": 1763767935000000,
          "tags": [{"key": "error", "value": True}, {"key": "otel.status_description", "value": hostile("upstream")}]}],
          "processes": {"p1": {"serviceName": hostile("svc")}}}]}
json.dump(traces, open(os.path.join(DST, "traces.json"), "w"))

PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                    "1f15c4890000000d49444154789c6360f8cfc0f01f0005000201ff2e5a5b5f0000000049454e44ae426082")
json.dump([{"name": hostile("dashboard"), "file": "screenshots/console.png", "url": hostile("http://console/"), "status": 200, "loadMs": 5,
            "consoleErrors": [{"type": "exception", "text": hostile("TypeError"), "url": hostile("u"), "line": 3}],
            "failedRequests": [{"url": hostile("http://console/api"), "method": "GET", "status": 500}]}],
          open(os.path.join(DST, "screenshots", "pages.json"), "w"))

# Names with ':' or '|' cannot be in a Go module; the test plants those.
open(os.path.join(DST, "screenshots", "console.png"), "wb").write(PNG)
open(os.path.join(DST, "screenshots", "not-an-image.png"), "w").write("<script>alert(1)</script>")
