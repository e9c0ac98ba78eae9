#!/usr/bin/env python3
"""Writes a fixtures folder for the benchmark: GitBook's world gets one space per size given,
`sPaCeBench01` with the first N1 users as direct members, `sPaCeBench02` with the first N2,
and so on (users `uBench0`... with an email and a photo, roles cycling through all six),
beside copies of the other bundled fixtures (a --fixtures folder replaces them all). The token
`gb_bench_token` acts as `uBench0`, the organization's admin.

usage: bench/gitbook_fixtures.py OUT_DIR N [N...]
"""
import shutil
import sys
from pathlib import Path

ROLES = ["admin", "create", "edit", "review", "comment", "read"]


def main() -> None:
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    out, sizes = Path(sys.argv[1]), [int(n) for n in sys.argv[2:]]
    root = Path(__file__).resolve().parent.parent
    out.mkdir(parents=True, exist_ok=True)
    for name in ("alumio.yaml", "arize.yaml"):
        shutil.copy(root / "fixtures" / name, out / name)
    lines = [
        "organizations:",
        "  - {id: oRgBench01, title: Bench, admins: [uBench0]}",
        "users:",
    ]
    lines += [
        f"  - {{id: uBench{i}, displayName: User {i}, email: user{i}@example.com, "
        f"photoURL: 'https://avatars.example.com/uBench{i}.png'}}"
        for i in range(max(sizes))
    ]
    lines += ["teams: []", "spaces:"]
    for s, n in enumerate(sizes, start=1):
        lines += [
            f"  - id: sPaCeBench{s:02}",
            "    organization: oRgBench01",
            f"    title: Bench {s}",
            "    users:" if n else "    users: []",
        ]
        lines += [f"      - {{user: uBench{i}, role: {ROLES[i % 6]}}}" for i in range(n)]
    lines += ["tokens:", "  - {token: gb_bench_token, user: uBench0}", ""]
    (out / "gitbook.yaml").write_text("\n".join(lines))


if __name__ == "__main__":
    main()
