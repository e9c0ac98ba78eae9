#!/usr/bin/env python3
"""The APIs.guru directory against understudy: `bench/directory` runs this (see its header).

Two parts, each optional:
- load: `understudy routes --spec DOC` for every document (each bounded in time and memory);
  loaded or refused, refusals grouped by the rule their message names.
- self-check: for every Nth document that loads, `understudy serve --check-responses` on a
  loopback port and `understudy check --cases 5` against it; pass or fail, failures by check,
  undeclared server errors (the `not_a_server_error` check) and answers the server itself
  flagged (`X-Understudy-Response-Violations`, read back from the journal).

Prints one table, and writes every document's result as JSON lines (--out) to compare runs.
Exits 1 when a threshold given (--min-load, --min-self-check) is not met.
"""

import argparse
import concurrent.futures as cf
import json
import os
import re
import resource
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

# The rule a refusal breaks, from its message: (label, pattern), first match wins.
CAUSES = [
    ("timeout", r"^timeout$"),
    ("memory", r"^memory$"),
    ("Swagger 2.0", r"Swagger 2\.0"),
    ("OpenAPI version", r"OpenAPI [^ ]+ is not supported"),
    ("regular expression", r"regular expression|regex|`pattern`"),
    ("route conflict", r"conflict|same shape|ambiguous"),
    ("path key", r"path must start"),
    ("unresolvable $ref", r"\$ref"),
    ("security scheme", r"security scheme"),
    ("server variable", r"server (URL|variable)"),
    ("schema not valid", r"schema is not valid|This value"),
    ("parameter", r"parameter"),
    ("not JSON/YAML", r"cannot be read|not valid (JSON|YAML)|expected"),
]


def cause_of(message):
    for label, pattern in CAUSES:
        if re.search(pattern, message):
            return label
    return "other"


def limit_memory(megabytes):
    def apply():
        size = megabytes * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (size, size))

    return apply


def load(binary, doc, timeout, memory_mb):
    start = time.monotonic()
    try:
        run = subprocess.run(
            [binary, "routes", "--spec", str(doc)],
            capture_output=True,
            text=True,
            timeout=timeout,
            preexec_fn=limit_memory(memory_mb),
        )
    except subprocess.TimeoutExpired:
        return {"loaded": False, "cause": "timeout", "message": "timeout", "secs": timeout}
    secs = round(time.monotonic() - start, 2)
    if run.returncode == 0:
        return {"loaded": True, "routes": run.stdout.count("\n"), "secs": secs}
    message = run.stderr.strip()
    if run.returncode < 0 or "memory allocation" in message:
        message = "memory"
    lines = [l.strip() for l in message.splitlines() if l.strip()]
    # The summary line first ("... cannot be served: N error(s)"), then one line per problem.
    errors = [l[len("- error:"):].strip() for l in lines if l.startswith("- error:")]
    first = errors[0] if errors else (lines[0] if lines else "")
    message = "\n".join(errors) or message
    return {"loaded": False, "cause": cause_of(message), "message": first[:300], "secs": secs}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(port, proc, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.1)
    return False


def flagged_answers(log):
    """Answers the server flagged as breaking its own document (`--check-responses`)."""
    try:
        return log.read_text(errors="replace").count("the answer breaks the spec")
    except OSError:
        return None


def self_check(binary, doc, cases, max_time, startup):
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report.json"
        log = Path(tmp) / "serve.log"
        server = subprocess.Popen(
            [binary, "serve", "--host", "127.0.0.1", "--port", str(port), "--spec", str(doc),
             "--check-responses"],
            stdout=subprocess.DEVNULL,
            stderr=log.open("w"),
        )
        try:
            if not wait_ready(port, server, startup):
                return {"ran": False, "why": "server did not start"}
            start = time.monotonic()
            try:
                run = subprocess.run(
                    [binary, "check", "--url", f"http://127.0.0.1:{port}", "--spec", str(doc),
                     "--cases", str(cases), "--max-time", str(max_time), "--json", str(report)],
                    capture_output=True,
                    text=True,
                    timeout=max_time * 3 + 30,
                )
            except subprocess.TimeoutExpired:
                return {"ran": False, "why": f"check ran past {max_time * 3 + 30} s"}
            secs = round(time.monotonic() - start, 1)
            if not report.exists():
                return {"ran": False, "why": (run.stderr.strip().splitlines() or ["no report"])[-1][:200]}
            data = json.loads(report.read_text())
            failed = {k: v["failed"] for k, v in data["totals"].items() if v["failed"]}
            return {
                "ran": True,
                "passed": data["passed"],
                "exchanges": data["exchanges"],
                "failed": failed,
                "server_errors": data["totals"].get("not_a_server_error", {}).get("failed", 0),
                "flagged": flagged_answers(log),
                "secs": secs,
                "first": data["failures"][0] if data["failures"] else None,
            }
        finally:
            server.kill()
            server.wait()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default="target/release/understudy")
    ap.add_argument("--root", required=True, help="the unpacked package's api/ folder")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--load", action="store_true", help="load every document")
    ap.add_argument("--check-every", type=int, default=0, help="self-check every Nth document")
    ap.add_argument("--cases", type=int, default=5)
    ap.add_argument("--max-time", type=int, default=60)
    ap.add_argument("--timeout", type=int, default=120, help="seconds to load one document")
    ap.add_argument("--memory-mb", type=int, default=4096)
    ap.add_argument("--only", help="only documents whose path contains this")
    ap.add_argument("--out", help="write every result here, as JSON lines")
    ap.add_argument("--min-load", type=float, help="fail below this % of documents loading")
    ap.add_argument("--min-self-check", type=float, help="fail below this % of the sample passing")
    args = ap.parse_args()

    root = Path(args.root)
    docs = sorted(p for p in root.rglob("*.json"))
    if args.only:
        docs = [d for d in docs if args.only in str(d)]
    name = lambda d: str(d.relative_to(root))
    results = {name(d): {} for d in docs}
    started = time.monotonic()
    ok = True

    if args.load:
        with cf.ThreadPoolExecutor(args.jobs) as pool:
            futures = {pool.submit(load, args.binary, d, args.timeout, args.memory_mb): d for d in docs}
            for f in cf.as_completed(futures):
                results[name(futures[f])]["load"] = f.result()
        loaded = [n for n, r in results.items() if r["load"]["loaded"]]
        refused = Counter(r["load"]["cause"] for r in results.values() if not r["load"]["loaded"])
        share = 100 * len(loaded) / max(len(docs), 1)
        print(f"\nload: {len(loaded)} of {len(docs)} documents load ({share:.1f}%), "
              f"{time.monotonic() - started:.0f} s")
        for cause, n in refused.most_common():
            print(f"  refused, {cause}: {n}")
            for doc, r in results.items():
                if not r["load"]["loaded"] and r["load"]["cause"] == cause:
                    print(f"      {doc}: {r['load']['message'][:160]}")
        if args.min_load is not None and share < args.min_load:
            print(f"FAIL  {share:.1f}% load, below {args.min_load}%")
            ok = False

    if args.check_every:
        sample = [d for i, d in enumerate(docs) if i % args.check_every == 0]
        sample = [d for d in sample if results[name(d)].get("load", {}).get("loaded", True)]
        t0 = time.monotonic()
        with cf.ThreadPoolExecutor(max(1, args.jobs // 2)) as pool:
            futures = {pool.submit(self_check, args.binary, d, args.cases, args.max_time, args.timeout): d
                       for d in sample}
            for f in cf.as_completed(futures):
                results[name(futures[f])]["check"] = f.result()
        checked = [(n, r["check"]) for n, r in results.items() if "check" in r]
        ran = [(n, c) for n, c in checked if c["ran"]]
        passed = [n for n, c in ran if c["passed"]]
        by_check = Counter()
        for _, c in ran:
            for k, v in c["failed"].items():
                by_check[k] += v
        share = 100 * len(passed) / max(len(checked), 1)
        print(f"\nself-check (every {args.check_every}th document, --cases {args.cases}): "
              f"{len(passed)} of {len(checked)} pass ({share:.1f}%), "
              f"{sum(c['exchanges'] for _, c in ran)} exchanges, "
              f"{sum(c['server_errors'] for _, c in ran)} undeclared 5xx, "
              f"{sum(c['flagged'] or 0 for _, c in ran)} answers flagged by --check-responses, "
              f"{time.monotonic() - t0:.0f} s")
        for k, v in by_check.most_common():
            docs_failing = sum(1 for _, c in ran if k in c["failed"])
            print(f"  failed {k}: {v} in {docs_failing} documents")
        for n, c in checked:
            if not c["ran"]:
                print(f"  did not run: {n}: {c['why']}")
            elif not c["passed"]:
                first = c["first"] or {}
                print(f"  FAIL {n}: {dict(c['failed'])}; first: {first.get('check')} "
                      f"{first.get('request', {}).get('method')} {first.get('request', {}).get('url', '')[:100]} "
                      f"expected {str(first.get('expected'))[:120]} got {str(first.get('got'))[:120]}")
        if args.min_self_check is not None and share < args.min_self_check:
            print(f"FAIL  {share:.1f}% of the sample pass, below {args.min_self_check}%")
            ok = False

    if args.out:
        with open(args.out, "w") as f:
            for n, r in results.items():
                f.write(json.dumps({"document": n, **r}) + "\n")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
