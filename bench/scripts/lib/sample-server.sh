# Sourced by the scripts in bench/scripts: starts the sample server for a fixed-rate run.
#
#   start_sample_server STORAGE PORT WORKDIR [EXTRA_SERVER_ARGS...]
#
# Runs the Release build of the sample server from $root (Development mode, no rate limit, STORAGE = InMemory or
# LiteDb with its file in WORKDIR) on CPU 0, its output in WORKDIR/server.log, and sets $server to its pid.

# Thread-pool workers do not spin, in the server and in the generator the script starts next, as in the load
# generator's own runs (bench/ChatKit.LoadTest, Deployment.cs and Program.cs; see docs/configuration.md).
export DOTNET_ThreadPool_UnfairSemaphoreSpinLimit=0

start_sample_server() {
    local storage=$1 port=$2 work=$3
    shift 3
    (cd "$root/samples/ChatKit.Samples.Server" && ASPNETCORE_ENVIRONMENT=Development Logging__LogLevel__Default=Warning \
        exec taskset -c 0 dotnet bin/Release/net10.0/ChatKit.Samples.Server.dll --urls "http://127.0.0.1:$port" \
        --ChatKit:RateLimit:PermitsPerSecond=1000000 --ChatKit:RateLimit:Burst=1000000 \
        --ChatKit:Storage="$storage" --ChatKit:LiteDb:Path="$work/chat.db" "$@") > "$work/server.log" 2>&1 &
    server=$!
    # Kestrel listens well within this; the generator then connects its clients.
    sleep 4
}
