#!/usr/bin/env bash
# Starts a ChatKit cluster on this machine: one redis-server and N sample-server nodes on loopback ports, all
# sharing Redis (storage, fan-out, cross-node delivery, presence, discovery) and one signing key (a token from one
# node is valid on all).
#
#   samples/multinode.sh            # 2 nodes on :5001 and :5002, Redis on :6390; Ctrl-C stops everything
#   NODES=3 samples/multinode.sh    # 3 nodes
#   samples/multinode.sh --demo     # start, let alice on node 1 message bob on node 2, print what bob gets, stop
#
# Needs redis-server (apt-get install redis-server) and the .NET SDK.
set -euo pipefail
cd "$(dirname "$0")/.."

NODES=${NODES:-2}
REDIS_PORT=${REDIS_PORT:-6390}
BASE_PORT=${BASE_PORT:-5001}
DEMO=0
[ "${1:-}" = "--demo" ] && DEMO=1

work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

command -v redis-server >/dev/null || { echo "redis-server is missing: apt-get install -y redis-server" >&2; exit 1; }
redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --dir "$work" --save "" --appendonly yes --daemonize no --loglevel warning --logfile "$work/redis.log" &
pids+=($!)
until redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1; do sleep 0.1; done
echo "redis-server on 127.0.0.1:$REDIS_PORT"

dotnet build samples/ChatKit.Samples.Server -c Release -nologo -v q >/dev/null
key=$(head -c 48 /dev/urandom | base64 | tr -d '\n/+=' | head -c 48)
for i in $(seq 1 "$NODES"); do
  port=$((BASE_PORT + i - 1))
  ASPNETCORE_ENVIRONMENT=Development dotnet run --no-build -c Release --project samples/ChatKit.Samples.Server -- \
    --urls "http://127.0.0.1:$port" \
    --ChatKit:NodeId="n$i" \
    --ChatKit:PublicUrl="ws://127.0.0.1:$port/chatkit" \
    --ChatKit:Redis:Configuration="127.0.0.1:$REDIS_PORT" \
    --Auth:SigningKey="$key" >"$work/node$i.log" 2>&1 &
  pids+=($!)
done
for i in $(seq 1 "$NODES"); do
  port=$((BASE_PORT + i - 1))
  until curl -sf "http://127.0.0.1:$port/chatkit/health" >/dev/null; do sleep 0.2; done
  echo "node n$i: http://127.0.0.1:$port/  (WebSocket ws://127.0.0.1:$port/chatkit)"
done

if [ "$DEMO" = 1 ]; then
  n1="http://127.0.0.1:$BASE_PORT"
  n2="http://127.0.0.1:$((BASE_PORT + 1))"
  token() { curl -s -X POST "$1/dev/token" -H 'content-type: application/json' -d "{\"user\":\"$2\"}" | sed -E 's/.*"token":"([^"]+)".*/\1/'; }
  alice=$(token "$n1" alice)
  bob=$(token "$n2" bob)
  echo "discovery (asked on n1): $(curl -s "$n1/chatkit/discover" -H "authorization: Bearer $alice")"
  # bob long-polls node 2 while alice sends through node 1.
  curl -s "$n2/chatkit/sync?device=laptop&after=0&waitMs=10000" -H "authorization: Bearer $bob" >"$work/bob.json" &
  poll=$!
  sleep 0.5
  echo "alice -> n1: $(curl -s -X POST "$n1/chatkit/messages?device=phone" -H "authorization: Bearer $alice" \
    -H 'content-type: application/json' -d '{"to":"bob","body":"hi bob, from node 1","clientMsgId":"demo-1"}')"
  wait "$poll"
  echo "bob <- n2: $(cat "$work/bob.json")"
  grep -q 'hi bob, from node 1' "$work/bob.json" && echo "OK: the message crossed nodes"
  exit 0
fi

echo "Logs in $work. Ctrl-C stops the nodes and Redis."
wait
