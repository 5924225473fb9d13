#!/usr/bin/env bash
# Runs the delivery benches one after another and prints their tables (bench/README.md).
# Usage: scripts/bench.sh            # the full runs (about 8 minutes)
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
  viewers=(--viewers 10000 --seconds 60)
  edge=(--viewers 1000 --seconds 30)
fi

echo "# teecam delivery bench, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores"
$py bench/tokens.py
$py bench/status.py "${rounds[@]}"
$py bench/viewer_poll.py "${rounds[@]}"
$py bench/segments.py "${rounds[@]}"
$py bench/viewers.py "${viewers[@]}" --poll-cache-seconds 0
$py bench/viewers.py "${viewers[@]}"
$py bench/edge.py "${edge[@]}"
