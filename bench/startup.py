#!/usr/bin/env python3
"""Startup time to the first answered request, and resident memory right after it.

Starts CMD (with `{port}` replaced by a free loopback port) RUNS times; each time, from just
before the process starts, polls `GET PATH` on 127.0.0.1 every millisecond until a whole
status line comes back, reads VmRSS and VmHWM (the peak resident memory, of loading) from
/proc/PID/status in one read, and stops the process. Prints one line:
`STARTUP median_ms=.. runs_ms=a,b,.. rss_kb=.. status=.. hwm_kb=.. cpu_ms=..` (rss, status,
hwm and the CPU time the process had used (user + system) of the median run's first answer). Exits 1 when the server does not answer within the timeout.

usage: bench/startup.py --runs 5 --path /x [--header 'Name: value'] [--timeout 60] -- CMD...
"""
import argparse
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def status_of(port: int, request: bytes) -> int | None:
    """The status of one answer, or None when nothing answers yet."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
            s.sendall(request)
            head = s.recv(64)
    except OSError:
        return None
    parts = head.split(b" ", 2)
    if len(parts) < 2 or not parts[0].startswith(b"HTTP/"):
        return None
    return int(parts[1])


def memory_kb(pid: int) -> tuple[int, int]:
    """VmRSS and VmHWM of PID, from one read of /proc/PID/status (0 when absent)."""
    with open(f"/proc/{pid}/status") as f:
        fields = dict(line.split(":", 1) for line in f if ":" in line)
    kb = lambda name: int(fields[name].split()[0]) if name in fields else 0  # noqa: E731
    return kb("VmRSS"), kb("VmHWM")


def cpu_ms(pid: int) -> float:
    """User plus system CPU time PID has used, from /proc/PID/stat (0 when absent)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")


def one_run(cmd: list[str], path: str, headers: list[str], timeout: float):
    port = free_port()
    argv = [a.replace("{port}", str(port)) for a in cmd]
    lines = [f"GET {path} HTTP/1.1", "Host: 127.0.0.1", "Connection: close", *headers]
    request = ("\r\n".join(lines) + "\r\n\r\n").encode()
    with tempfile.TemporaryFile() as log:
        started = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=log, stderr=log)
        try:
            while True:
                status = status_of(port, request)
                if status is not None:
                    elapsed = (time.perf_counter() - started) * 1000
                    rss, hwm = memory_kb(proc.pid)
                    return elapsed, rss, status, hwm, cpu_ms(proc.pid)
                if proc.poll() is not None or time.perf_counter() - started > timeout:
                    log.seek(0)
                    sys.stderr.write(log.read().decode(errors="replace")[-4000:])
                    sys.exit(f"startup.py: {' '.join(argv)} did not answer")
                time.sleep(0.001)
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--path", required=True)
    p.add_argument("--header", action="append", default=[])
    p.add_argument("--timeout", type=float, default=60)
    p.add_argument("cmd", nargs=argparse.REMAINDER)
    args = p.parse_args()
    cmd = args.cmd[1:] if args.cmd[:1] == ["--"] else args.cmd
    if not cmd:
        sys.exit(__doc__)
    runs = [one_run(cmd, args.path, args.header, args.timeout) for _ in range(args.runs)]
    by_time = sorted(runs)
    median = by_time[len(by_time) // 2]
    print(
        f"STARTUP median_ms={statistics.median(r[0] for r in runs):.1f} "
        f"runs_ms={','.join(f'{r[0]:.1f}' for r in runs)} rss_kb={median[1]} status={median[2]} hwm_kb={median[3]}"
        f" cpu_ms={median[4]:.0f}"
    )


if __name__ == "__main__":
    main()
