#!/usr/bin/env bash
# Runs the delivery benches one after another and prints their tables (bench/README.md).
# Usage: scripts/bench.sh            # the full runs (about 12 minutes)
#        scripts/bench.sh --quick    # shorter runs, 2,000 viewers (about 3 minutes)
# Installs what it needs first (nginx, wrk, the virtual environment). Loopback only.
# The numbers are only as quiet as the machine: run it with nothing else busy.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --media

quick=0
for arg in "$@"; do
  case "$arg" in
    --quick) quick=1 ;;
    *) echo "unknown argument: $arg" >&2; exit 2 ;;
  esac
done

py=.venv/bin/python
if [ "$quick" = 1 ]; then
  rounds=(--rounds 2 --seconds 2)
  viewers=(--viewers 2000 --seconds 15)
  edge=(--viewers 500 --seconds 15)
else
  rounds=(--rounds 5 --seconds 2)
  # Two client processes: one asyncio process cannot start 7,000 requests a second on
  # time on this box (its own lateness was the p99), and the figure is the server's.
  viewers=(--viewers 10000 --seconds 60 --client-processes 2)
  edge=(--viewers 1000 --seconds 30)
fi

# The tables also go to bench/results/<date>-<commit>.md, so a figure quoted in
# docs/performance.md names the run (and the code) it came from.
commit=$(git rev-parse --short HEAD)
dirty=""
git diff --quiet HEAD -- live teecam bench templates deploy || dirty="-dirty"
mkdir -p bench/results
out="bench/results/$(date -u +%Y-%m-%d)-${commit}${dirty}.md"
[ "$quick" = 1 ] && out="${out%.md}-quick.md"

run() {
  echo
  echo "<!-- $* | load average before: $(cut -d' ' -f1-3 /proc/loadavg) -->"
  "$@"
}

{
  echo "# teecam delivery bench, $(date -u +%Y-%m-%dT%H:%MZ), commit ${commit}${dirty}, $(nproc) cores"
  echo
  echo "Load average at the start: $(cut -d' ' -f1-3 /proc/loadavg) (1, 5, 15 min)."
  run $py bench/tokens.py
  run $py bench/status.py "${rounds[@]}"
  run $py bench/viewer_poll.py "${rounds[@]}"
  run $py bench/segments.py "${rounds[@]}"
  run $py bench/viewers.py "${viewers[@]}" --poll-cache-seconds 0
  run $py bench/viewers.py "${viewers[@]}"
  # Every viewer with its own link (issue 21); then PostgreSQL, one app server vs two.
  run $py bench/viewers.py "${viewers[@]}" --links "${viewers[1]}"
  run $py bench/viewers.py "${viewers[@]}" --links "${viewers[1]}" --db postgres
  run $py bench/viewers.py "${viewers[@]}" --links "${viewers[1]}" --db postgres --app-servers 2
  run $py bench/edge.py "${edge[@]}"
  echo
  echo "Load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)."
} | tee "$out"
echo "bench: tables written to $out" >&2
