#!/usr/bin/env bash
# List throughput of GitBook's listUserPermissionsInSpace with 10 and with 100,000 members in
# the space: the first page and a page in the middle, both of the same size (5 items, so the
# small space fills them too): only the size of the space differs.
# Loopback only, 10 s per run. Needs wrk (installed from Debian's packages if missing).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
cargo build --release --quiet
bin=target/release/understudy
port=4190
duration=${DURATION:-10s}
auth='Authorization: Bearer gb_bench_token'
for members in 10 100000; do
  dir=$(mktemp -d)
  python3 bench/gitbook_fixtures.py "$members" "$dir"
  started=$(date +%s%N)
  $bin serve --port $port --fixtures "$dir" 2>/dev/null &
  pid=$!
  trap 'kill $pid 2>/dev/null; rm -rf "$dir"' EXIT
  base="http://127.0.0.1:$port/v1/spaces/sPaCeBench01/permissions/users"
  until curl -s -o /dev/null -H "$auth" "$base?limit=1"; do sleep 0.01; done
  echo "== $members members (startup to first answer: $(( ($(date +%s%N) - started) / 1000000 )) ms)"
  # The page token of the list's middle: follow `next` in pages of at most 1000 (the limit).
  middle=$(python3 - "$base" "$members" <<'PY'
import json, sys, urllib.request
base, members = sys.argv[1], int(sys.argv[2])
page, seen = None, 0
while seen < members // 2:
    step = min(1000, members // 2 - seen)
    url = f"{base}?limit={step}" + (f"&page={page}" if page else "")
    req = urllib.request.Request(url, headers={"Authorization": "Bearer gb_bench_token"})
    body = json.load(urllib.request.urlopen(req))
    seen += len(body["items"])
    page = body["next"]["page"]
print(page)
PY
)
  for page in first middle; do
    url="$base?limit=5"
    [ "$page" = middle ] && url="$base?limit=5&page=$middle"
    wrk -t2 -c32 -d"$duration" -H "$auth" "$url" \
      | awk -v page="$page" '/Latency/ {lat=$2} /Requests\/sec/ {rps=$2}
          END {printf "  %-6s page: %10s req/s, mean latency %s\n", page, rps, lat}'
  done
  kill $pid; wait $pid 2>/dev/null || true
  rm -rf "$dir"
done
