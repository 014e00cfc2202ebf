#!/usr/bin/env bash
# Compares two versions of the SDK on the exit-time tool, interleaved in one run: the tool's code as it is in the
# working tree, built once with the SDK of a git ref and once with the working tree's, against the same tool without
# telemetry. Each build runs off in every way that costs differently (DO_NOT_TRACK, the product's variable, the
# settings' marker, settings written by hand, a private build) and on, twice. "On" points at a loopback port that
# refuses: most runs find fewer than 25 events waiting, or an earlier failure's wait still running, and start no
# upload, the common short run; the few that try pay up to the exit budget. "On, reachable" points at the real
# collector (started here, as run.sh starts it), so every run hands its event to the detached uploader at exit.
# Prints the same table as run.sh, whose "in Main" columns settle differences the whole-process times cannot on a
# shared machine.
#
# Both builds are published the same way as in run.sh (ReadyToRun; BUILD=jit for portable and JIT-compiled).
#
# Usage: [BUILD=jit] bench/exit-time/compare.sh <git ref> [runs] [warmup rounds]     (default 40 and 5)
set -euo pipefail

REF=${1:?usage: compare.sh <git ref> [runs] [warmup rounds]}
RUNS=${2:-40}
WARMUP=${3:-5}
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
WORK=$(mktemp -d /tmp/candor-exit-compare.XXXXXX)
PRODUCT=candor-exit-bench
source "$HERE/../collector.sh"
trap stop_all EXIT

source "$HERE/publish.sh"
echo "Building the tool ($BUILD_LABEL) at $REF and in the working tree..." >&2
mkdir -p "$WORK/before-src"
git -C "$REPO" archive "$REF" | tar -x -C "$WORK/before-src"
cp "$REPO/bench/Candor.Benchmarks.ExitTool/Program.cs" "$WORK/before-src/bench/Candor.Benchmarks.ExitTool/Program.cs"
publish_tool "$WORK/before-src/bench/Candor.Benchmarks.ExitTool" "$WORK/before"
publish_tool "$REPO/bench/Candor.Benchmarks.ExitTool" "$WORK/after"
REFUSED=http://127.0.0.1:$(free_port)
dotnet build -c Release "$REPO/src/Candor.Collector" --nologo -v quiet >&2
echo "Starting the collector..." >&2
start_collector

python3 - "$WORK" "$RUNS" "$WARMUP" "$REFUSED" "$REF" "$COLLECTOR" "$KEY" >"$WORK/config.json" <<'EOF'
import json, os, sys
work, runs, warmup, refused, ref, collector, key = sys.argv[1:]
base = {k: v for k, v in os.environ.items()
        if not (k.startswith("CANDOR_") or k == "DO_NOT_TRACK" or "TELEMETRY" in k)}
modes = {"without telemetry": {"CANDOR_EXIT_BENCH_WITHOUT": "1"}, "off": {"DO_NOT_TRACK": "1"},
         "off product variable": {"CANDOR_EXIT_BENCH_OPTOUT": "1"}, "off settings.json": {}, "off settings.json by hand": {},
         "private build": {"CANDOR_EXIT_BENCH_KEY": ""}, "on": {},
         "on, reachable": {"CANDOR_EXIT_BENCH_KEY": key, "CANDOR_EXIT_BENCH_ENDPOINT": collector}}
cases = []
for build in ("after", "before"):
    for mode, extra in modes.items():
        if mode == "without telemetry" and build == "before":
            continue
        home = f"{work}/home-{build}-{mode.replace(' ', '-').replace(',', '')}"
        env = dict(base, CANDOR_HOME=home, CANDOR_EXIT_BENCH_KEY="exit-time-compare-key",
                   CANDOR_EXIT_BENCH_ENDPOINT=refused)
        env.update(extra)
        # As `candor disable` writes the settings (then their marker), and as a user writes them by hand.
        if mode.startswith("off settings.json"):
            os.makedirs(home)
            with open(f"{home}/settings.json", "w") as settings:
                settings.write('{"version": 1, "level": "off"}')
            if mode == "off settings.json":
                open(f"{home}/settings.off", "w").close()
        label = "" if mode == "without telemetry" else (f"{ref}, " if build == "before" else "working tree, ")
        cases.append({"name": label + mode, "command": [f"{work}/{build}/candor-exit-bench"], "env": env})
json.dump({"command": cases[0]["command"], "runs": int(runs), "warmup": int(warmup), "seed": 1,
           "baseline": cases[0]["name"], "raw": f"{work}/times.json", "cases": cases}, sys.stdout)
EOF

# The first run of each shows the disclosure and records nothing.
python3 - "$WORK/config.json" <<'EOF'
import json, subprocess, sys
config = json.load(open(sys.argv[1]))
for case in config["cases"]:
    subprocess.run(case["command"], env=case["env"], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
EOF

{
  echo "Machine: $(nproc) cores, $(uname -sr), .NET $(dotnet --version) SDK; load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "Tool: $BUILD_LABEL; $RUNS timed runs per case after $WARMUP warm-up rounds; times in ms"
  echo
  python3 "$HERE/measure.py" "$WORK/config.json"
  echo
  echo "Load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee "$WORK/report.md"
