#!/usr/bin/env bash
# How long a LiteDB node's checkpoints hold deliveries up.
#
#   bash bench/scripts/checkpoint-stalls.sh RATE [EXTRA_SERVER_ARGS...]
#   bash bench/scripts/checkpoint-stalls.sh 7000
#   bash bench/scripts/checkpoint-stalls.sh 7000 --ChatKit:LiteDb:CheckpointLogBytes=16777216
#   ROOT=/path/to/other/checkout bash bench/scripts/checkpoint-stalls.sh 7000   # an older build, for A/B
#
# Starts the sample server (Release, Development mode, LiteDB on a fresh file, the store's Debug log) on CPU 0 and
# drives the 1:1 scenario at RATE messages per second from CPU 1 with the load generator (30 s warm-up, 40 s
# measured, latency timeline on). Then lays the timeline (slowest delivery per 100 ms of scheduled send time) beside
# the checkpoint log (event 4003) and prints one line: p99, server CPU per delivery, each checkpoint's duration with
# the slowest delivery from 300 ms before it to 300 ms after it, and the 100-ms buckets over 50 ms in the last 30 s.
#
# Needs a Release build of the sample server and the load generator in ROOT (default: this checkout):
# `dotnet build -c Release samples/ChatKit.Samples.Server bench/ChatKit.LoadTest`.
set -euo pipefail

rate=${1:?RATE (messages per second)}
shift 1
here=$(cd "$(dirname "$0")/../.." && pwd)
root=${ROOT:-$here}
work=$(mktemp -d)
port=${PORT:-5195}
server=
trap '[[ -n "$server" ]] && kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; rm -rf "$work"' EXIT

# shellcheck source=lib/sample-server.sh
source "$here/bench/scripts/lib/sample-server.sh"
start_sample_server LiteDb "$port" "$work" \
    --Logging:LogLevel:ChatKit.Storage.LiteDb=Debug --Logging:Console:FormatterName=simple \
    --Logging:Console:FormatterOptions:SingleLine=true --Logging:Console:FormatterOptions:UseUtcTimestamp=true \
    --Logging:Console:FormatterOptions:TimestampFormat=HH:mm:ss.fff_ "$@"

taskset -c 1 dotnet "$here/bench/ChatKit.LoadTest/bin/Release/net10.0/ChatKit.LoadTest.dll" run --target chatkit \
    --url "http://127.0.0.1:$port" --server-pid "$server" --scenario direct --rate "$rate" --seconds 40 --warmup 30 \
    --no-pin --no-build --timeline "$work/timeline.csv" > "$work/generator.txt" 2>&1

result=$(grep -E '^\| 1 ' "$work/generator.txt" | awk -F'|' '{printf "p99 %s ms, %s us/delivery", $7, $8}' | tr -s ' ' || true)
if [[ -z "$result" ]]; then
    tail -5 "$work/generator.txt" >&2
    echo "no result from the generator" >&2
    exit 1
fi

stalls=$(python3 - "$work/server.log" "$work/timeline.csv" <<'PY'
import csv, datetime, re, sys
def at(text):
    return datetime.datetime.strptime(text, '%H:%M:%S.%f')
# The timeline's first column is the bucket's scheduled send time (UTC, HH:mm:ss.fff); the third its slowest delivery.
buckets = [(at(row[0]), float(row[2])) for row in list(csv.reader(open(sys.argv[2])))[1:]]
margin = datetime.timedelta(milliseconds=300)
found = []
for line in open(sys.argv[1]):
    m = re.match(r'(\d\d:\d\d:\d\d\.\d+)_info.*Checkpointed.*in (\d+) ms', line)
    if m:
        end = at(m.group(1))
        start = end - datetime.timedelta(milliseconds=int(m.group(2)))
        near = [slowest for when, slowest in buckets if start - margin <= when <= end + margin]
        if near:
            found.append('%s -> %.0f ms' % (m.group(2), max(near)))
last = buckets[-300:]
print('checkpoints (duration -> slowest near it): %s; buckets over 50 ms in the last 30 s: %d' % (
    ', '.join(found) or 'none', sum(1 for _, slowest in last if slowest > 50)))
PY
)
echo "LiteDb $rate msg/s $*: $result; $stalls"
