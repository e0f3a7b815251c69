#!/usr/bin/env python3
"""Benchmark of the matching API on one backend (bench/api.sh runs it per backend).

    python3 bench/api_bench.py --bin target/release/partnermatch \\
        --instance bench/out/district-100000.json --backend sqlite \\
        --database-url sqlite:///tmp/x.sqlite3 --out bench/out/api.md

Into the (fresh, empty) database it seeds the instance with `partnermatch seed
--instance` (timed), starts `partnermatch serve` on a free loopback port, and as ADMIN:

1. times `suggestions(studentId, kind, first: 5)` for random students that have a need
   of that kind (WARMUP requests first, untimed), client-side wall time per request;
2. commits a full-district `runMatching(input: {dryRun: false})` and polls
   `matchRun(id)` every 0.5 s until the run ends: wall time from the mutation to
   SUCCEEDED, the run's stats, and the number of matches the run wrote;
3. reads the server's peak RSS (VmHWM) and stops it.

It appends one markdown row to --out and prints it. Any GraphQL error or a match
count that disagrees with the run's stats stops it with a non-zero status; a run that
ends FAILED (or CANCELLED) is written to the row with its phase and error, and the
status is 1. Standard library only.
"""

import argparse
import datetime
import http.client
import json
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import time

SECRET = "partnermatch-bench-secret-0123456789abcdef"
KINDS = ("TUTORING", "MENTORING", "INTERNSHIP")
FINAL = ("SUCCEEDED", "FAILED", "CANCELLED")
HEADER = (
    "| date | commit | backend | students | seed (s) | suggestions median (ms) | p90 (ms) | p99 (ms) "
    "| max (ms) | commit (s) | run started→finished (s) | run stats.seconds | needs | matched "
    "| candidates | peak RSS (MiB) |\n"
    "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n"
)

SUGGESTIONS = """query Suggest($student: ID!, $kind: OpeningKind!) {
  suggestions(studentId: $student, kind: $kind, first: 5) { score opening { id } }
}"""
# A committed run is judged on today (the API refuses asOf with dryRun: false);
# the generated district's agreements and clearances hold until 2027.
RUN = """mutation Run {
  runMatching(input: {dryRun: false}) { id status }
}"""
POLL = """query Poll($id: ID!) {
  matchRun(id: $id) {
    id status error startedAt finishedAt
    progress { phase done total }
    stats { students openings needs matched candidates totalScore seconds }
  }
}"""
COUNT = """query Count($run: ID!) { matches(first: 1, filter: {runId: $run}) { totalCount } }"""


def log(message):
    print(f"[api-bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def fail(message):
    sys.exit(f"api_bench.py: {message}")


class Client:
    """POSTs GraphQL over one kept-alive connection."""

    def __init__(self, port, token):
        self.port = port
        self.token = token
        self.conn = None

    def post(self, query, variables=None, timeout=60):
        body = json.dumps({"query": query, "variables": variables or {}}).encode()
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {self.token}"}
        for attempt in (1, 2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
            try:
                self.conn.request("POST", "/graphql", body, headers)
                response = self.conn.getresponse()
                data = response.read()
                break
            except (http.client.HTTPException, OSError):
                self.conn.close()
                self.conn = None
                if attempt == 2:
                    raise
        try:
            document = json.loads(data)
        except ValueError:
            fail(f"HTTP {response.status}, not JSON: {data[:200]!r}")
        if document.get("errors"):
            fail(f"GraphQL errors: {json.dumps(document['errors'])[:1000]}")
        if response.status != 200:
            fail(f"HTTP {response.status}: {data[:200]!r}")
        return document["data"]


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def percentile(sorted_values, fraction):
    """Nearest-rank percentile of an ascending list."""
    rank = max(1, int(round(fraction * len(sorted_values) + 0.5)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def needs_by_kind(instance):
    by_kind = {kind: [] for kind in KINDS}
    for student in instance["students"]:
        for need in student["needs"]:
            by_kind[need["kind"]].append(student["id"])
    return by_kind


def peak_rss_mib(pid):
    try:
        with open(f"/proc/{pid}/status", encoding="utf-8") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def parse_time(text):
    """An RFC 3339 time; fractions beyond microseconds are dropped."""
    text = re.sub(r"(\.\d{6})\d+", r"\1", text).replace("Z", "+00:00")
    return datetime.datetime.fromisoformat(text)


def span_seconds(started, finished):
    return (parse_time(finished) - parse_time(started)).total_seconds()


def git_commit():
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(["git", "diff", "--quiet", "HEAD"], capture_output=True).returncode != 0
        return commit + ("+dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def seed(args, env):
    log(f"{args.backend}: seeding {args.instance}")
    started = time.monotonic()
    done = subprocess.run(
        [args.bin, "seed", "--instance", args.instance], env=env, capture_output=True, text=True
    )
    seconds = time.monotonic() - started
    if done.returncode != 0:
        fail(f"seed failed (exit {done.returncode}): {done.stderr.strip()}")
    log(f"{args.backend}: {done.stdout.strip()} in {seconds:.1f} s")
    return seconds


def start_server(args, env, port):
    serve_log = open(args.serve_log, "w", encoding="utf-8")
    server = subprocess.Popen(
        [args.bin, "serve", "--bind", f"127.0.0.1:{port}"],
        env=env,
        stdout=serve_log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            fail(f"serve exited with {server.returncode}; see {args.serve_log}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                conn.close()
                return server
            conn.close()
        except OSError:
            pass
        time.sleep(0.2)
    server.terminate()
    fail(f"serve did not become healthy in 60 s; see {args.serve_log}")


def mint_token(args, env):
    done = subprocess.run(
        [args.bin, "token", "--role", "admin", "--ttl", "12h"], env=env, capture_output=True, text=True
    )
    if done.returncode != 0:
        fail(f"token failed: {done.stderr.strip()}")
    return done.stdout.strip()


def time_suggestions(client, by_kind, args):
    rng = random.Random(args.seed)
    kinds = [kind for kind in KINDS if by_kind[kind]]
    requests = []
    for _ in range(args.warmup + args.requests):
        kind = rng.choice(kinds)
        requests.append((rng.choice(by_kind[kind]), kind))
    for student, kind in requests[: args.warmup]:
        client.post(SUGGESTIONS, {"student": student, "kind": kind})
    timings = []
    by_kind_ms = {kind: [] for kind in kinds}
    empty = 0
    for student, kind in requests[args.warmup :]:
        started = time.perf_counter()
        data = client.post(SUGGESTIONS, {"student": student, "kind": kind})
        elapsed = (time.perf_counter() - started) * 1000
        timings.append(elapsed)
        by_kind_ms[kind].append(elapsed)
        empty += not data["suggestions"]
    timings.sort()
    result = {
        "median": statistics.median(timings),
        "p90": percentile(timings, 0.90),
        "p99": percentile(timings, 0.99),
        "max": timings[-1],
        "empty": empty,
    }
    log(
        f"{args.backend}: suggestions over {args.requests} requests: median {result['median']:.1f} ms, "
        f"p90 {result['p90']:.1f}, p99 {result['p99']:.1f}, max {result['max']:.1f} "
        f"({empty} with no suggestion)"
    )
    for kind, values in by_kind_ms.items():
        if values:
            values.sort()
            log(
                f"{args.backend}:   {kind}: {len(values)} requests, median {statistics.median(values):.1f} ms, "
                f"p90 {percentile(values, 0.90):.1f}, max {values[-1]:.1f}"
            )
    return result


def run_district(client, as_of, args):
    log(f"{args.backend}: runMatching on the whole district (judged on today; the instance's asOf is {as_of})")
    started = time.monotonic()
    run = client.post(RUN, {})["runMatching"]
    last_phase = None
    deadline = started + args.run_timeout
    while True:
        # Polled often: the time to SUCCEEDED is measured to the poll that sees it.
        time.sleep(0.05)
        state = client.post(POLL, {"id": run["id"]})["matchRun"]
        progress = state["progress"]
        phase = (state["status"], progress["phase"])
        if phase != last_phase:
            log(
                f"{args.backend}: {time.monotonic() - started:7.1f} s {state['status']} "
                f"{progress['phase']} {progress['done']}/{progress['total']}"
            )
            last_phase = phase
        if state["status"] in FINAL:
            break
        if time.monotonic() > deadline:
            fail(f"the run did not end within {args.run_timeout} s (last: {state})")
    seconds = time.monotonic() - started
    if state["status"] != "SUCCEEDED":
        log(
            f"{args.backend}: the run ended {state['status']} in phase {state['progress']['phase']} "
            f"after {seconds:.1f} s: {state.get('error')!r} (see {args.serve_log})"
        )
        return seconds, state
    stats = state["stats"]
    written = client.post(COUNT, {"run": run["id"]})["matches"]["totalCount"]
    if written != stats["matched"]:
        fail(f"the run says {stats['matched']} matched but wrote {written} matches")
    log(
        f"{args.backend}: SUCCEEDED in {seconds:.1f} s (stats.seconds {stats['seconds']:.1f}): "
        f"{stats['matched']}/{stats['needs']} needs matched, {stats['candidates']} candidates, "
        f"started {state['startedAt']}, finished {state['finishedAt']}; {written} match rows"
    )
    return seconds, state


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--bin", required=True)
    parser.add_argument("--instance", required=True)
    parser.add_argument("--backend", required=True, help="a label: sqlite, postgres")
    parser.add_argument("--database-url", required=True, help="a fresh, empty database")
    parser.add_argument("--out", required=True, help="markdown file the row is appended to")
    parser.add_argument("--serve-log", required=True)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--run-timeout", type=float, default=3600)
    args = parser.parse_args()

    with open(args.instance, encoding="utf-8") as f:
        instance = json.load(f)
    n_students = len(instance["students"])
    by_kind = needs_by_kind(instance)
    as_of = instance["asOf"]
    del instance

    env = dict(os.environ)
    env.update(
        {
            "PARTNERMATCH_DATABASE_URL": args.database_url,
            "PARTNERMATCH_JWT_SECRET": SECRET,
            "RUST_LOG": env.get("RUST_LOG", "warn"),
        }
    )
    seed_seconds = seed(args, env)
    port = free_port()
    server = start_server(args, env, port)
    try:
        client = Client(port, mint_token(args, env))
        suggestions = time_suggestions(client, by_kind, args)
        commit_seconds, state = run_district(client, as_of, args)
        rss = peak_rss_mib(server.pid)
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()

    failed = state["status"] != "SUCCEEDED"
    stats = state["stats"] or {key: None for key in ("seconds", "needs", "matched", "candidates")}
    if failed:
        outcome = f"{state['status']} in {state['progress']['phase']} after {commit_seconds:.1f} ({state.get('error')})"
        span = "n/a"
    else:
        outcome = f"{commit_seconds:.1f}"
        span = f"{span_seconds(state['startedAt'], state['finishedAt']):.1f}"
    show = lambda value, spec="": "n/a" if value is None else format(value, spec)
    row = [
        datetime.date.today().isoformat(),
        git_commit(),
        args.backend,
        str(n_students),
        f"{seed_seconds:.1f}",
        f"{suggestions['median']:.1f}",
        f"{suggestions['p90']:.1f}",
        f"{suggestions['p99']:.1f}",
        f"{suggestions['max']:.1f}",
        outcome,
        span,
        show(stats["seconds"], ".1f"),
        show(stats["needs"]),
        show(stats["matched"]),
        show(stats["candidates"]),
        "n/a" if rss is None else f"{rss:.0f}",
    ]
    line = "| " + " | ".join(row) + " |"
    is_new = not os.path.exists(args.out) or os.path.getsize(args.out) == 0
    with open(args.out, "a", encoding="utf-8") as out:
        if is_new:
            out.write(HEADER)
        out.write(line + "\n")
    print(line)
    if failed:
        sys.exit(1)


if __name__ == "__main__":
    main()
