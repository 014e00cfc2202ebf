#!/usr/bin/env bash
# Counts the start-up work Candor adds to a run of the exit-time tool, as the runtime reports it in an EventPipe
# trace: methods entered from precompiled code, methods compiled at run time, types and assemblies loaded (each is
# done once per process and costs microseconds; together they are most of what a short run spends in Candor). Traces
# one run of the tool without telemetry and one of each case, and prints what each case adds to the first.
#
# A run traced from its start is one the runtime was told to trace (DOTNET_DiagnosticPorts): Candor then builds its
# event source even when off, so that the trace sees its events, which adds about 25 items to every Candor case.
# What the counts cannot see: a traced run's EventPipe start-up has already used some of the runtime's routines (its
# UTF-8 transcoders among them), whose first use costs an untraced run milliseconds; they are in every traced run,
# baseline included, so no count shows them (docs/benchmarks.md, "Result, 2026-12-08"). The time in Main that run.sh
# and compare.sh report does.
#
# Counts do not depend on the machine's load, unlike times; the tool is published as run.sh publishes it. The on run is
# counted twice: with the key and collector given in code (on-refused, as run.sh runs it), and as an official build
# has them, compiled in by the build (on-refused-build).
#
# Usage: [BUILD=jit|aot] bench/exit-time/first-calls.sh [--list [CASE]]
#   --list prints one case's items grouped by Candor type (the refused case unless CASE names another).
# Needs: the .NET SDK (dotnet-trace is installed into the work folder when not on PATH).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
WORK=$(mktemp -d /tmp/candor-first-calls.XXXXXX)
source "$HERE/publish.sh"

TRACE=$(command -v dotnet-trace || true)
if [ -z "$TRACE" ]; then
  dotnet tool install --tool-path "$WORK/tools" dotnet-trace >/dev/null
  TRACE="$WORK/tools/dotnet-trace"
fi

echo "Building the tool ($BUILD_LABEL) and the counter..." >&2
REFUSED=http://127.0.0.1:$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
publish_tool "$REPO/bench/Candor.Benchmarks.ExitTool" "$WORK/tool"
# The same tool as an official build is configured: its key and collector compiled in by the build (CandorIngestionKey,
# CandorEndpoint), none given in code. (BUILD=jit builds against the package without these properties: the same as the first.)
CODE_ARGS=("${PUBLISH_ARGS[@]}")
PUBLISH_ARGS+=(-p:CandorEndpoint="$REFUSED" -p:CandorIngestionKey=first-calls-key)
publish_tool "$REPO/bench/Candor.Benchmarks.ExitTool" "$WORK/tool-built"
PUBLISH_ARGS=("${CODE_ARGS[@]}")
dotnet build "$REPO/bench/Candor.Benchmarks.FirstCalls" -c Release -o "$WORK/counter" -nologo -v q >/dev/null

# trace <name> [VARIABLE=value ...]: one traced run, with the tool's own settings and a home of the case's own.
trace() {
  local name=$1
  shift
  env -i PATH="$PATH" HOME="$HOME" DOTNET_ROOT="${DOTNET_ROOT:-}" CANDOR_HOME="$WORK/home-$name" \
    CANDOR_EXIT_BENCH_KEY=first-calls-key CANDOR_EXIT_BENCH_ENDPOINT="$REFUSED" "$@" \
    "$TRACE" collect -o "$WORK/$name.nettrace" --providers "Microsoft-Windows-DotNETRuntime:0xA000000018:5" \
    -- "$WORK/${TOOL:-tool}/candor-exit-bench" >/dev/null 2>&1
}

# Each case's first run shows the disclosure. The refused case's second run starts the uploader, which fails and
# backs off; its third finds the back-off and trims the spool, which runs then do at most every ten minutes. The
# traced run is the common one: it finds the back-off and keeps its event in the spool.
warm() {
  local name=$1
  shift
  env -i PATH="$PATH" HOME="$HOME" CANDOR_HOME="$WORK/home-$name" CANDOR_EXIT_BENCH_KEY=first-calls-key \
    CANDOR_EXIT_BENCH_ENDPOINT="$REFUSED" "$@" "$WORK/${TOOL:-tool}/candor-exit-bench" >/dev/null 2>&1
}
warm private-build CANDOR_TELEMETRY=all CANDOR_EXIT_BENCH_KEY=
warm on-refused
warm on-refused
TOOL=tool-built warm on-refused-build CANDOR_EXIT_BENCH_KEY= CANDOR_EXIT_BENCH_ENDPOINT=
TOOL=tool-built warm on-refused-build CANDOR_EXIT_BENCH_KEY= CANDOR_EXIT_BENCH_ENDPOINT=
sleep 2
warm on-refused
TOOL=tool-built warm on-refused-build CANDOR_EXIT_BENCH_KEY= CANDOR_EXIT_BENCH_ENDPOINT=

# As `candor disable` writes it (the settings, then their marker), and as written by hand.
mkdir -p "$WORK/home-off-settings" "$WORK/home-off-settings-by-hand"
echo '{"version": 1, "level": "off"}' >"$WORK/home-off-settings/settings.json"
touch "$WORK/home-off-settings/settings.off"
echo '{"version": 1, "level": "off"}' >"$WORK/home-off-settings-by-hand/settings.json"

trace without CANDOR_EXIT_BENCH_WITHOUT=1
trace off DO_NOT_TRACK=1
trace off-product-variable CANDOR_EXIT_BENCH_OPTOUT=1
trace off-settings
trace off-settings-by-hand
trace private-build CANDOR_TELEMETRY=all CANDOR_EXIT_BENCH_KEY=
trace on-refused
TOOL=tool-built trace on-refused-build CANDOR_EXIT_BENCH_KEY= CANDOR_EXIT_BENCH_ENDPOINT=

echo "Tool: $BUILD_LABEL; items each case adds to the tool without telemetry"
echo
echo "| case | precompiled methods entered | methods compiled | types loaded | assemblies loaded | total |"
echo "| --- | ---: | ---: | ---: | ---: | ---: |"
for name in off off-product-variable off-settings off-settings-by-hand private-build on-refused on-refused-build; do
  dotnet "$WORK/counter/first-calls.dll" "$WORK/$name.nettrace" "$WORK/without.nettrace" \
    | awk -v name="$name" '{v[$1]=$2} END {printf "| %s | %s | %s | %s | %s | %s |\n", name, v["r2r"], v["jit"], v["type"], v["assembly"], v["total"]}'
done

if [ "${1:-}" = "--list" ]; then
  echo
  dotnet "$WORK/counter/first-calls.dll" "$WORK/${2:-on-refused}.nettrace" "$WORK/without.nettrace" --list
fi
echo
echo "Traces in $WORK"
