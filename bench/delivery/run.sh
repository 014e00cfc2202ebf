#!/usr/bin/env bash
# One-shot delivery: how soon, and how completely, the events of a short run of a Candor tool reach the collector
# after the tool exits (the detached uploader sends them), in fresh homes one run at a time and with many runs at
# once on one home; the same runs' exit times against the tool without Candor; what happens while the collector
# refuses or is black-holed and once it is back; and the Azure Monitor OpenTelemetry exporter as the peer, in the
# same run. The measurements are in delivery.py; this script builds, starts the collector and the sink, and cleans up.
#
# Usage: bench/delivery/run.sh [homes] [parallel]     (default 50 and 16)
# Needs: the .NET SDK, python3, curl. Keeps its files in a temp folder it names at the end.
set -euo pipefail

HOMES=${1:-50}
PARALLEL=${2:-16}
EVENTS=${EVENTS:-3}
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
WORK=$(mktemp -d /tmp/candor-delivery.XXXXXX)
PRODUCT=candor-exit-bench
source "$HERE/../collector.sh"
stop_and_say_where() {
  stop_all
  echo "Files: $WORK" >&2
}
trap stop_and_say_where EXIT

BUILD=r2r
source "$HERE/../exit-time/publish.sh"
echo "Building the tools ($BUILD_LABEL) and the collector (Release)..." >&2
publish_tool "$REPO/bench/Candor.Benchmarks.ExitTool" "$WORK/tool"
dotnet publish -c Release "$REPO/bench/Candor.Benchmarks.AzureMonitorTool" -o "$WORK/peer" "${PUBLISH_ARGS[@]}" --nologo -v quiet >&2
dotnet build -c Release "$REPO/src/Candor.Collector" --nologo -v quiet >&2

echo "Starting the collector and the peer's sink..." >&2
setsid python3 "$HERE/sink.py" "$WORK/sink.jsonl" >"$WORK/sink.port" 2>"$WORK/sink.log" &
GROUPS_TO_STOP+=($!)
start_collector
for _ in $(seq 1 50); do [ -s "$WORK/sink.port" ] && break; sleep 0.1; done
SINK_PORT=$(head -n1 "$WORK/sink.port")

python3 - >"$WORK/config.json" <<EOF
import json, os
base = {k: v for k, v in os.environ.items()
        if not (k.startswith(("CANDOR_", "OTEL_", "APPLICATIONINSIGHTS_")) or k == "DO_NOT_TRACK" or "TELEMETRY" in k)}
json.dump({"work": "$WORK", "tool": "$WORK/tool/candor-exit-bench", "peer": "$WORK/peer/azure-monitor-bench",
           "product": "$PRODUCT", "events": $EVENTS, "homes": $HOMES, "parallel": $PARALLEL, "parallel_rounds": 3,
           "collector": "$COLLECTOR", "collector_port": $COLLECTOR_PORT, "admin": "$ADMIN", "key": "$KEY",
           "sink": "http://127.0.0.1:$SINK_PORT", "sink_port": $SINK_PORT, "sink_log": "$WORK/sink.jsonl",
           "base_env": base}, open(1, "w"))
EOF

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
# Its own process group, so that stopping the script also stops the uploaders its runs left (they inherit it).
setsid python3 "$HERE/delivery.py" "$WORK/config.json" >"$WORK/delivery.md" &
GROUPS_TO_STOP+=($!)
wait $!
{
  echo "Machine: $(nproc) cores, $(uname -sr), .NET $(dotnet --version) SDK; load average before: $LOAD_BEFORE"
  echo "Tools: $BUILD_LABEL; the Candor tool tracks $EVENTS events per run; Azure.Monitor.OpenTelemetry.Exporter 1.10.0"
  cat "$WORK/delivery.md"
  echo
  echo "Load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "Raw data: $WORK/raw.json"
} | tee "$WORK/report.md"
