#!/usr/bin/env bash
# Whole-process wall time of a dotnet tool that tracks one event and exits, in cases measured in the same run,
# interleaved: telemetry off in every way a user or a build turns it off (DO_NOT_TRACK=1, CANDOR_TELEMETRY=off, the
# product's own variable, its command-line flag, settings.json saying off, and a private build: on, but built without
# an ingestion key), on with the real collector reachable, on with the collector refusing (a loopback port nothing
# listens on) and on with it black-holed (a loopback listener that accepts and never answers); and the same tool
# returning before it creates a client, the baseline every difference is taken from (what a user compares with). Each case has its own fresh CANDOR_HOME whose disclosure
# was shown before timing. Prints a markdown table, then what each case uploaded and what it left in its spool.
#
# The tool is published as the README advises a tool author to ship it: framework-dependent and
# ReadyToRun for this machine's runtime identifier. BUILD=jit publishes it portable and JIT-compiled instead, as
# a tool packed the classic way (without RuntimeIdentifiers) is installed; BUILD=aot publishes it Native AOT.
#
# Usage: [BUILD=jit|jit-source|aot] bench/exit-time/run.sh [runs] [warmup rounds]     (default 40 and 5)
# Needs: the .NET SDK, python3, curl. Keeps its files in a temp folder it names at the end.
set -euo pipefail

RUNS=${1:-40}
WARMUP=${2:-5}
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
WORK=$(mktemp -d /tmp/candor-exit-time.XXXXXX)
PRODUCT=candor-exit-bench
source "$HERE/../collector.sh"
trap stop_all EXIT

source "$HERE/publish.sh"
echo "Building the tool ($BUILD_LABEL) and the collector (Release)..." >&2
publish_tool "$REPO/bench/Candor.Benchmarks.ExitTool" "$WORK/tool"
dotnet build -c Release "$REPO/src/Candor.Collector" --nologo -v quiet >&2
TOOL=$WORK/tool/candor-exit-bench

echo "Starting the collector..." >&2
start_collector

echo "Starting the black hole; choosing a refusing port..." >&2
setsid python3 "$HERE/blackhole.py" >"$WORK/blackhole.port" 2>"$WORK/blackhole.log" &
GROUPS_TO_STOP+=($!)
for _ in $(seq 1 50); do [ -s "$WORK/blackhole.port" ] && break; sleep 0.1; done
BLACKHOLE=http://127.0.0.1:$(head -n1 "$WORK/blackhole.port")
REFUSED=http://127.0.0.1:$(free_port)
curl -s -o /dev/null --max-time 2 "$REFUSED/" && { echo "something listens on $REFUSED" >&2; exit 1; }

# Every case inherits this shell's environment without anything that could change its consent.
python3 - "$WORK" "$TOOL" "$RUNS" "$WARMUP" "$KEY" "$COLLECTOR" "$REFUSED" "$BLACKHOLE" >"$WORK/config.json" <<'EOF'
import json, os, sys
work, tool, runs, warmup, key, collector, refused, blackhole = sys.argv[1:]
base = {k: v for k, v in os.environ.items()
        if not (k.startswith("CANDOR_") or k == "DO_NOT_TRACK" or "TELEMETRY" in k)}
def case(name, endpoint, args=(), key=key, **extra):
    env = dict(base, CANDOR_HOME=f"{work}/home-{name.replace(' ', '-')}", CANDOR_EXIT_BENCH_KEY=key,
               CANDOR_EXIT_BENCH_ENDPOINT=endpoint, **extra)
    return {"name": name, "env": env, "command": [tool, *args]}
json.dump({
    "command": [tool],
    "runs": int(runs),
    "warmup": int(warmup),
    "seed": 1,
    "baseline": "without Candor",
    "raw": f"{work}/times.json",
    "cases": [
        case("without Candor", collector, CANDOR_EXIT_BENCH_WITHOUT="1"),
        case("off", collector, DO_NOT_TRACK="1"),
        case("off CANDOR_TELEMETRY", collector, CANDOR_TELEMETRY="off"),
        case("off product variable", collector, CANDOR_EXIT_BENCH_OPTOUT="1"),
        case("off flag", collector, args=["--no-telemetry"]),
        case("off settings.json", collector),
        case("private build", "", key=""),
        case("reachable", collector),
        case("refused", refused),
        case("black-holed", blackhole),
    ],
}, sys.stdout)
EOF

# The user of the settings case chose off for every tool (what `candor disable` writes).
mkdir -p "$WORK/home-off-settings.json"
echo '{"version": 1, "level": "off"}' >"$WORK/home-off-settings.json/settings.json"

# The first run of a tool shows the disclosure and records nothing; do it untimed, as a user's first run.
python3 - "$WORK/config.json" <<'EOF'
import json, subprocess, sys
config = json.load(open(sys.argv[1]))
for case in config["cases"]:
    subprocess.run(case["command"], env=case["env"], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
EOF
for home in reachable refused black-holed; do
  grep -q '"disclosureVersion": 1' "$WORK/home-$home/products/$PRODUCT/identity.json" \
    || { echo "the disclosure was not recorded in home-$home" >&2; exit 1; }
done

echo "Measuring: $WARMUP warm-up rounds, then $RUNS rounds of every case in shuffled order..." >&2
{
  echo "Machine: $(nproc) cores, $(uname -sr), .NET $(dotnet --version) SDK; load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "Tool: $TOOL ($BUILD_LABEL); $RUNS timed runs per case after $WARMUP warm-up rounds; times in ms"
  echo
  python3 "$HERE/measure.py" "$WORK/config.json"
  echo
  echo "Load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo
  echo "| case | events tracked | left in spool | acknowledged (sent.jsonl) | uploads that succeeded | delivery.json |"
  echo "| --- | ---: | ---: | ---: | ---: | --- |"
  tracked=$(( RUNS + WARMUP ))
  for name in off reachable refused black-holed; do
    dir=$WORK/home-$name/products/$PRODUCT
    spooled=$(find "$dir/spool" -maxdepth 1 -type f -name '*.json' 2>/dev/null | wc -l || true)
    sent=0; uploads=0
    if [ -f "$dir/sent.jsonl" ]; then
      sent=$(grep -c . "$dir/sent.jsonl" || true)
      uploads=$(python3 -c 'import json, sys; print(len({json.loads(l)["acknowledged"] for l in open(sys.argv[1]) if l.strip()}))' "$dir/sent.jsonl")
    fi
    state=$(cat "$dir/delivery.json" 2>/dev/null || echo none)
    [ "$name" = off ] && events=0 || events=$tracked
    echo "| $name | $events | $spooled | $sent | $uploads | \`$state\` |"
  done
  stored=$(curl -sf "${auth[@]}" "$COLLECTOR/query/$PRODUCT/raw?limit=10000" \
    | python3 -c 'import json, sys; print(len(json.load(sys.stdin)["rows"]))')
  echo
  echo "Collector: $stored events stored. Black hole: $(grep -c accepted "$WORK/blackhole.log" || true) connections accepted and never answered."
  echo "Raw times: $WORK/times.json"
} | tee "$WORK/report.md"
