#!/usr/bin/env bash
# Whole-process wall time of a dotnet tool that records one event and exits, in cases measured in the same run,
# interleaved (cases.py lists them): the tool returning before it creates a client, the baseline every ratio and
# difference is taken from ("without telemetry"); Candor off in every way a user or a build turns it off
# (DO_NOT_TRACK=1, CANDOR_TELEMETRY=off, the product's own variable, its command-line flag, settings.json saying
# off as `candor disable` writes it and as written by hand, and a private build: on, but built without an ingestion
# key); Candor on with the real collector reachable, refusing (a loopback port nothing listens on) and black-holed
# (a loopback listener that accepts and never answers); and the peers (peers.py: OpenTelemetry with the OTLP exporter, the Azure Monitor exporter, the
# Application Insights SDK), each recording the same event as its documentation shows, to the same collector's door
# for it, in the same three situations. Each Candor case has its own fresh CANDOR_HOME whose disclosure was shown
# before timing. A run still going after CAP seconds (default 30) is killed and marked; a peer's black-holed case,
# which waits out its library's own timeout, runs SLOW_RUNS times (default 10) without warm-up.
#
# Prints a markdown table of every case (with its ratio to the tool without telemetry), the same ratios as a table
# of tools by situation, and what each case did with its events (account.py): stored by the collector, kept on
# disk, lost.
#
# The tools are published as the README advises a tool author to ship: framework-dependent and ReadyToRun for this
# machine's runtime identifier. BUILD=jit publishes them portable and JIT-compiled instead, as a tool packed the
# classic way (without RuntimeIdentifiers) is installed; BUILD=aot publishes them Native AOT (the peers that do not
# support it are left out and named). PEERS=0 runs the Candor cases only.
#
# Usage: [BUILD=jit|jit-source|aot] [PEERS=0] [SLOW_RUNS=n] [CAP=s] bench/exit-time/run.sh [runs] [warmup rounds]
#        (default 40 and 5)
# Needs: the .NET SDK, python3, curl. Keeps its files in a temp folder it names at the end.
set -euo pipefail

RUNS=${1:-40}
WARMUP=${2:-5}
SLOW_RUNS=${SLOW_RUNS:-10}
CAP=${CAP:-30}
PEERS=${PEERS:-1}
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
WORK=$(mktemp -d /tmp/candor-exit-time.XXXXXX)
PRODUCT=candor-exit-bench
export PYTHONDONTWRITEBYTECODE=1
source "$HERE/../collector.sh"
trap stop_all EXIT

# json_set <JSON object> <name> <value>: prints the object with name set to value.
json_set() {
  python3 -c 'import json, sys; d = json.loads(sys.argv[1]); d[sys.argv[2]] = sys.argv[3]; print(json.dumps(d))' "$@"
}

source "$HERE/publish.sh"
echo "Building the tools ($BUILD_LABEL) and the collector (Release)..." >&2
publish_tool "$REPO/bench/Candor.Benchmarks.ExitTool" "$WORK/tool"
TOOL=$WORK/tool/candor-exit-bench
PEER_EXES={}
LEFT_OUT=""
if [ "$PEERS" != 0 ]; then
  list_args=()
  [ "$BUILD" = aot ] && list_args=(aot)
  while read -r id project exe; do
    publish_peer "$REPO/bench/$project" "$WORK/peer-$id"
    PEER_EXES=$(json_set "$PEER_EXES" "$id" "$WORK/peer-$id/$exe")
  done < <(python3 "$HERE/peers.py" list "${list_args[@]}")
  if [ "$BUILD" = aot ]; then
    LEFT_OUT=$(comm -23 <(python3 "$HERE/peers.py" list | cut -d' ' -f2 | sort) \
      <(python3 "$HERE/peers.py" list aot | cut -d' ' -f2 | sort) | tr '\n' ' ')
  fi
fi
dotnet build -c Release "$REPO/src/Candor.Collector" --nologo -v quiet >&2

echo "Starting the collector; registering the peers' products with their mappings..." >&2
start_collector
KEYS={}
for id in $(python3 -c 'import json, sys; print(" ".join(json.loads(sys.argv[1])))' "$PEER_EXES"); do
  python3 "$HERE/peers.py" manifest "$id" "$REPO/bench/Candor.Benchmarks.ExitTool/candor.json" >"$WORK/manifest-$id.json"
  product=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["product"])' "$WORK/manifest-$id.json")
  KEYS=$(json_set "$KEYS" "$product" "$(register_product "$WORK/manifest-$id.json")")
done

echo "Starting the black hole; choosing a refusing port..." >&2
setsid python3 "$HERE/blackhole.py" >"$WORK/blackhole.port" 2>"$WORK/blackhole.log" &
GROUPS_TO_STOP+=($!)
for _ in $(seq 1 50); do [ -s "$WORK/blackhole.port" ] && break; sleep 0.1; done
BLACKHOLE=http://127.0.0.1:$(head -n1 "$WORK/blackhole.port")
REFUSED=http://127.0.0.1:$(free_port)
curl -s -o /dev/null --max-time 2 "$REFUSED/" && { echo "something listens on $REFUSED" >&2; exit 1; }

python3 -c '
import json, sys
names = ["work", "repo", "tool", "key", "collector", "refused", "blackhole"]
settings = dict(zip(names, sys.argv[1:8]))
settings.update(peers=json.loads(sys.argv[8]), keys=json.loads(sys.argv[9]),
                runs=int(sys.argv[10]), warmup=int(sys.argv[11]), slow_runs=int(sys.argv[12]), cap_s=float(sys.argv[13]))
json.dump(settings, sys.stdout)' "$WORK" "$REPO" "$TOOL" "$KEY" "$COLLECTOR" "$REFUSED" "$BLACKHOLE" \
  "$PEER_EXES" "$KEYS" "$RUNS" "$WARMUP" "$SLOW_RUNS" "$CAP" >"$WORK/settings.json"
python3 "$HERE/cases.py" "$WORK/settings.json" >"$WORK/config.json"

# The user of the settings case chose off for every tool: what `candor disable` writes, the settings and then their
# marker (see docs/consent.md); the user of the next case wrote the same settings by hand, without a marker.
mkdir -p "$WORK/home-off-settings.json" "$WORK/home-off-settings.json-by-hand"
echo '{"version": 1, "level": "off"}' >"$WORK/home-off-settings.json/settings.json"
touch "$WORK/home-off-settings.json/settings.off"
echo '{"version": 1, "level": "off"}' >"$WORK/home-off-settings.json-by-hand/settings.json"

# The first run of a Candor tool shows the disclosure and records nothing; do it untimed, as a user's first run.
python3 -c '
import json, subprocess, sys
for case in json.load(open(sys.argv[1]))["cases"]:
    if case["tool"] == "candor":
        subprocess.run(case["command"], env=case["env"], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
' "$WORK/config.json"
for home in reachable refused black-holed; do
  grep -q '"disclosureVersion": 1' "$WORK/home-Candor-$home/products/$PRODUCT/identity.json" \
    || { echo "the disclosure was not recorded in home-Candor-$home" >&2; exit 1; }
done

echo "Measuring: $WARMUP warm-up rounds, then $RUNS rounds of every case in shuffled order..." >&2
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
python3 "$HERE/measure.py" "$WORK/config.json" >"$WORK/times.md"
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)

# Candor's last runs hand their events to a detached uploader: wait until the collector's count stops changing.
echo "Waiting for the last uploads to settle..." >&2
previous=-1
for _ in $(seq 1 30); do
  count=$(curl -sf "${auth[@]}" "$COLLECTOR/query/$PRODUCT/raw?limit=100000" \
    | python3 -c 'import json, sys; print(len(json.load(sys.stdin)["rows"]))')
  [ "$count" = "$previous" ] && break
  previous=$count
  sleep 3
done

{
  echo "Machine: $(nproc) cores, $(uname -sr), .NET $(dotnet --version) SDK; load average before: $LOAD_BEFORE, after: $LOAD_AFTER"
  slow=""
  [ "$PEER_EXES" != "{}" ] && slow=" (a peer's black-holed case: $SLOW_RUNS runs, no warm-up)"
  echo "Tools: $BUILD_LABEL; $RUNS timed runs per case after $WARMUP warm-up rounds$slow; every run killed after" \
    "$CAP s; times in ms"
  if [ -n "$LEFT_OUT" ]; then echo "Left out (no Native AOT support): $LEFT_OUT"; fi
  echo
  cat "$WORK/times.md"
  echo
  python3 "$HERE/account.py" "$WORK/config.json" "$COLLECTOR" "$ADMIN"
  echo
  echo "Black hole: $(grep -c accepted "$WORK/blackhole.log" || true) connections accepted and never answered."
  echo "Raw times: $WORK/times.json"
} | tee "$WORK/report.md"
