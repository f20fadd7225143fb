#!/usr/bin/env bash
# Runs every test of the solution on a fresh machine: installs what the tests need (redis-server for the Redis
# tests, chromium and chromium-driver for the browser tests, Node and the JS client's npm packages), then runs
# `dotnet test`, the transport's tests again on each of ChatKit's own listeners, and the JS client's tests, and ends
# with one line "N passed, N failed".
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v redis-server >/dev/null 2>&1 || need_apt+=(redis-server)
command -v redis-cli >/dev/null 2>&1 || need_apt+=(redis-tools)
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
command -v chromedriver >/dev/null 2>&1 || need_apt+=(chromium-driver)
# The JS client's tests (and the Socket.IO benchmark baseline) run on Node.
command -v node >/dev/null 2>&1 || need_apt+=(nodejs)
command -v npm >/dev/null 2>&1 || need_apt+=(npm)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "Installing: ${need_apt[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi
# The Debian package starts a redis-server on 6379 on some machines; the tests start their own on free ports.

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet build ChatKit.slnx -c Release -warnaserror -nologo -v quiet

log=$(mktemp)
status=0
dotnet test ChatKit.slnx -c Release --no-build -nologo 2>&1 | tee "$log" || status=$?

# Adds a `dotnet test` log's counts to passed and failed: one summary line per test assembly ("Passed!  - Failed: 0,
# Passed: 12, ... - X.dll"); the runner may print it twice.
passed=0
failed=0
add_counts() {
  local summaries
  summaries=$(grep -E '^(Passed|Failed)! ' "$1" | sort -u)
  passed=$((passed + $(grep -Eo 'Passed: +[0-9]+' <<<"$summaries" | awk '{s+=$2} END {print s+0}')))
  failed=$((failed + $(grep -Eo 'Failed: +[0-9]+' <<<"$summaries" | awk '{s+=$2} END {print s+0}')))
}
add_counts "$log"

# The transport's suite again on each of ChatKit's own listeners (ListenOptions.UseChatKit, AddSocketListener): every
# WebSocket test then goes through that listener's handshake and, on the socket listener, ChatKit's own framing.
for listener in CHATKIT_TEST_CONNECTION_HANDLER CHATKIT_TEST_SOCKET_LISTENER; do
  listener_log=$(mktemp)
  env "$listener=1" dotnet test tests/ChatKit.Transport.WebSockets.Tests -c Release --no-build -nologo 2>&1 | tee "$listener_log" || status=$?
  add_counts "$listener_log"
done

if [ -f clients/js/package.json ]; then
  js_log=$(mktemp)
  (cd clients/js && { [ -d node_modules ] || npm ci --no-audit --no-fund >/dev/null; } && npm test) 2>&1 | tee "$js_log" || status=$?
  js_pass=$(grep -Eo '^# pass [0-9]+' "$js_log" | awk '{s+=$3} END {print s+0}')
  js_fail=$(grep -Eo '^# fail [0-9]+' "$js_log" | awk '{s+=$3} END {print s+0}')
  passed=$((passed + js_pass))
  failed=$((failed + js_fail))
fi

echo "$passed passed, $failed failed"
if [ "$status" -ne 0 ] || [ "$failed" -ne 0 ]; then
  exit 1
fi
