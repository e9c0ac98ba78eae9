#!/usr/bin/env python3
"""Writes a fixtures folder whose GitBook world has a space `sPaCeBench01` with N direct
members, beside copies of the other bundled fixtures (a --fixtures folder replaces them all).

usage: bench/gitbook_fixtures.py N OUT_DIR
"""
import shutil
import sys
from pathlib import Path

ROLES = ["admin", "create", "edit", "review", "comment", "read"]


def main() -> None:
    n, out = int(sys.argv[1]), Path(sys.argv[2])
    root = Path(__file__).resolve().parent.parent
    out.mkdir(parents=True, exist_ok=True)
    for name in ("alumio.yaml", "arize.yaml"):
        shutil.copy(root / "fixtures" / name, out / name)
    lines = [
        "organizations:",
        "  - {id: oRgBench01, title: Bench, admins: [uBench0]}",
        "users:",
    ]
    lines += [f"  - {{id: uBench{i}, displayName: User {i}}}" for i in range(n)]
    lines += [
        "teams: []",
        "spaces:",
        "  - id: sPaCeBench01",
        "    organization: oRgBench01",
        "    title: Bench",
        "    users:",
    ]
    lines += [f"      - {{user: uBench{i}, role: {ROLES[i % 6]}}}" for i in range(n)]
    lines += ["tokens:", "  - {token: gb_bench_token, user: uBench0}", ""]
    (out / "gitbook.yaml").write_text("\n".join(lines))


if __name__ == "__main__":
    main()
