#!/usr/bin/env bash
# End-to-end benchmark of `partnermatch match`, checked against OR-tools.
#
#   bash bench/run.sh [SIZES...]        default sizes: 10000 100000
#   bash bench/run.sh 1000000           the 1M run only when asked for
#   SHAPES="dense dense-clustered" CANDIDATES=0 bash bench/run.sh 100000
#                                       runs without --candidates and without the peer
#
# For each size N and shape (uniform, clustered) it generates an instance, runs
# `partnermatch match --candidates` RUNS times (default 3) under GNU time, takes the
# median of each phase in stats.seconds and of the peak RSS, runs the OR-tools peer
# (bench/ortools_peer.py) on the same files, and appends a row to bench/out/summary.md.
# Exits 1 at the end if any size/shape disagrees with OR-tools (all rows are still written).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

SIZES=("$@")
if [ ${#SIZES[@]} -eq 0 ]; then
  SIZES=(10000 100000)
fi
read -r -a SHAPES <<<"${SHAPES:-uniform clustered}"
RUNS="${RUNS:-3}"
# CANDIDATES=0: time the run a district would make (no candidate export); the
# OR-tools peer needs the export, so it is skipped and the row says so.
CANDIDATES="${CANDIDATES:-1}"
SEED=7
BIN="target/release/partnermatch"
OUT="bench/out"
VENV="bench/.venv"
PY="$VENV/bin/python"
SUMMARY="$OUT/summary.md"
FAILED=0

for n in "${SIZES[@]}"; do
  if ! [[ "$n" =~ ^[1-9][0-9]*$ ]]; then
    echo "run.sh: size must be a positive integer, got '$n'" >&2
    exit 2
  fi
done

log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# --- Python environment (OR-tools) ---------------------------------------------------
if [ ! -x "$PY" ]; then
  log "creating $VENV"
  python3 -m venv "$VENV"
fi
"$PY" -m pip install --quiet --disable-pip-version-check -r bench/requirements.txt

# --- GNU time --------------------------------------------------------------------------
if [ ! -x /usr/bin/time ]; then
  log "installing GNU time"
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  $SUDO apt-get install -y time >/dev/null
fi

# --- Build -------------------------------------------------------------------------------
log "cargo build --release -p partnermatch"
cargo build --release -p partnermatch
if [ ! -x "$BIN" ]; then
  echo "run.sh: $BIN was not built" >&2
  exit 1
fi

mkdir -p "$OUT"
if [ ! -s "$SUMMARY" ]; then
  cat >"$SUMMARY" <<'EOF'
| N | shape | needs | matched | candidates | read (s) | candidates (s) | solve (s) | total (s) | peak RSS (MiB) | OR-tools solve (s) | OR-tools / ours | agree |
|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|
EOF
fi

# --- Benchmark ------------------------------------------------------------------------
for n in "${SIZES[@]}"; do
  for shape in "${SHAPES[@]}"; do
    instance="$OUT/city-$n-$shape.json"
    result="$OUT/result-$n-$shape.json"
    peer="$OUT/peer-$n-$shape.json"

    log "N=$n shape=$shape: generating $instance"
    "$BIN" gen --students "$n" --seed "$SEED" --shape "$shape" --output "$instance"

    runs=()
    for i in $(seq 1 "$RUNS"); do
      log "N=$n shape=$shape: match run $i/$RUNS"
      stats="$OUT/run-$n-$shape-$i.stats.json"
      timef="$OUT/run-$n-$shape-$i.time.txt"
      export_flag=()
      if [ "$CANDIDATES" != 0 ]; then export_flag=(--candidates); fi
      /usr/bin/time -v -o "$timef" \
        "$BIN" match --input "$instance" "${export_flag[@]}" --output "$result" \
        >"$OUT/run-$n-$shape-$i.log" 2>&1 || {
          echo "run.sh: partnermatch match failed (N=$n shape=$shape run $i):" >&2
          cat "$OUT/run-$n-$shape-$i.log" >&2 || true
          grep -m1 -E "Command (exited|terminated)" "$timef" >&2 || true
          exit 1
        }
      # Keep only stats (the result itself may be gigabytes).
      "$PY" - "$result" "$timef" "$stats" <<'EOF'
import json, os, re, sys
result, timef, out = sys.argv[1:4]
# "stats" is the result's last member: read the tail only, since the whole
# result with its candidates is gigabytes at a million students.
with open(result, "rb") as f:
    f.seek(max(0, os.path.getsize(result) - 65536))
    tail = f.read().decode("utf-8", errors="replace")
stats = json.loads(tail[tail.rindex('"stats":') + len('"stats":'):].rstrip()[:-1])
rss = None
with open(timef, encoding="utf-8") as f:
    for line in f:
        m = re.search(r"Maximum resident set size \(kbytes\):\s*(\d+)", line)
        if m:
            rss = int(m.group(1))
if rss is None:
    sys.exit(f"no 'Maximum resident set size' in {timef}")
stats["maxRssKiB"] = rss
with open(out, "w", encoding="utf-8") as f:
    json.dump(stats, f)
EOF
      runs+=("$stats")
    done

    peer_rc=0
    if [ "$CANDIDATES" = 0 ]; then
      peer_rc=skipped
    else
      log "N=$n shape=$shape: OR-tools peer"
      "$PY" bench/ortools_peer.py --instance "$instance" --result "$result" --json \
        >"$peer" || peer_rc=$?
    fi
    if [ "$peer_rc" = skipped ]; then
      :
    elif [ "$peer_rc" -eq 1 ]; then
      echo "run.sh: OR-tools disagrees with partnermatch on N=$n shape=$shape (see $peer)" >&2
      FAILED=1
    elif [ "$peer_rc" -ne 0 ]; then
      echo "run.sh: ortools_peer.py failed (exit $peer_rc) on N=$n shape=$shape" >&2
      FAILED=1
    fi

    "$PY" - "$n" "$shape" "$peer" "$peer_rc" "$SUMMARY" "${runs[@]}" <<'EOF'
import json, statistics, sys
n, shape, peer_path, peer_rc, summary = sys.argv[1:6]
runs = []
for p in sys.argv[6:]:
    with open(p, encoding="utf-8") as f:
        runs.append(json.load(f))
med = lambda xs: statistics.median(xs)
sec = {k: med([r["seconds"][k] for r in runs]) for k in ("read", "candidates", "solve", "total")}
rss_mib = med([r["maxRssKiB"] for r in runs]) / 1024
last = runs[-1]
or_solve = ratio = None
agree = "n/a (no export)" if peer_rc == "skipped" else "error"
if peer_rc in ("0", "1"):
    with open(peer_path, encoding="utf-8") as f:
        peer = json.load(f)
    or_solve = peer["ortools_solve_seconds"]
    ratio = or_solve / sec["solve"] if sec["solve"] > 0 else None
    agree = "yes" if peer["agree"] else "NO"
fmt = lambda x, d=3: "n/a" if x is None else f"{x:.{d}f}"
row = [n, shape, str(last.get("needs", "?")), str(last.get("matched", "?")),
       str(last.get("candidates", "?")), fmt(sec["read"]), fmt(sec["candidates"]),
       fmt(sec["solve"]), fmt(sec["total"]), fmt(rss_mib, 1), fmt(or_solve),
       fmt(ratio, 1), agree]
line = "| " + " | ".join(row) + " |"
with open(summary, "a", encoding="utf-8") as f:
    f.write(line + "\n")
print(line)
EOF
  done
done

log "summary: $SUMMARY"
cat "$SUMMARY"
if [ "$FAILED" -ne 0 ]; then
  echo "run.sh: some runs disagree with OR-tools or the peer failed" >&2
  exit 1
fi
