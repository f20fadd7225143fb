#!/usr/bin/env bash
# Where a ChatKit node's time goes besides the work itself: garbage collection.
#
#   bash bench/scripts/gc-counters.sh STORAGE RATE [EXTRA_SERVER_ARGS...]
#   bash bench/scripts/gc-counters.sh LiteDb 6000
#   bash bench/scripts/gc-counters.sh LiteDb 6000 --ChatKit:LiteDb:MaterializeInterval=00:00:05
#
# Starts the sample server (Release, Development mode, STORAGE = InMemory or LiteDb on a fresh file) on CPU 0,
# drives the 1:1 scenario at RATE messages per second from CPU 1 with the load generator (5 s warm-up, 30 s
# measured), and reads the runtime's own counters (dotnet-counters, System.Runtime meter) for 20 s in the middle
# of the measured window. Prints one line: the generator's p50, p99, server CPU per delivery and RSS, then
# allocation rate, collections per second by generation and time paused in GC per second of wall time.
#
# Needs dotnet-counters (`dotnet tool install -g dotnet-counters`) and a Release build of the sample server and
# the load generator (`dotnet build -c Release samples/ChatKit.Samples.Server bench/ChatKit.LoadTest`).
set -euo pipefail

storage=${1:?STORAGE (InMemory or LiteDb)}
rate=${2:?RATE (messages per second)}
shift 2
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
port=${PORT:-5190}
counters=${DOTNET_COUNTERS:-$(command -v dotnet-counters || echo "$HOME/.dotnet/tools/dotnet-counters")}
server=
trap '[[ -n "$server" ]] && kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; rm -rf "$work"' EXIT

# shellcheck source=lib/sample-server.sh
source "$root/bench/scripts/lib/sample-server.sh"
start_sample_server "$storage" "$port" "$work" "$@"

taskset -c 1 dotnet "$root/bench/ChatKit.LoadTest/bin/Release/net10.0/ChatKit.LoadTest.dll" run --target chatkit \
    --url "http://127.0.0.1:$port" --server-pid "$server" --scenario direct --rate "$rate" --seconds 30 --warmup 5 \
    --no-pin --no-build > "$work/generator.txt" 2>&1 &
generator=$!

# Connecting 2,000 clients and the warm-up take about 10 s; the counters cover the middle of the measured window.
sleep 14
taskset -c 1 "$counters" collect -p "$server" --format csv -o "$work/counters.csv" --duration 00:00:00:20 \
    --counters "System.Runtime[dotnet.gc.pause.time,dotnet.gc.heap.total_allocated,dotnet.gc.collections]" > /dev/null
wait "$generator"

# A failed run has no result row: say so and show what the generator printed.
result=$(grep -E '^\| 1 ' "$work/generator.txt" | awk -F'|' '{printf "p50 %s ms, p99 %s ms, %s us/delivery, RSS %s MiB", $6, $7, $8, $10}' | tr -s ' ' || true)
if [[ -z "$result" ]]; then
    tail -5 "$work/generator.txt" >&2
    result="no result from the generator"
fi
gc=$(python3 - "$work/counters.csv" <<'PY'
import collections, csv, re, sys
totals, stamps = collections.defaultdict(float), set()
for row in list(csv.reader(open(sys.argv[1])))[1:]:
    if len(row) < 5 or not row[4]:
        continue
    stamps.add(row[0])
    generation = re.search(r'generation=(gen\d)', row[2])
    totals[row[2].split(' ')[0] + ('/' + generation.group(1) if generation else '')] += float(row[4])
n = len(stamps) or 1
print('alloc %.1f MiB/s, GCs/s gen0 %.2f gen1 %.2f gen2 %.2f, paused %.1f ms/s' % (
    totals['dotnet.gc.heap.total_allocated'] / n / 2**20, totals['dotnet.gc.collections/gen0'] / n,
    totals['dotnet.gc.collections/gen1'] / n, totals['dotnet.gc.collections/gen2'] / n,
    totals['dotnet.gc.pause.time'] / n * 1000))
PY
)
echo "$storage $rate msg/s $*: $result; $gc"
