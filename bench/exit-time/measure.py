#!/usr/bin/env python3
"""Times whole runs of one command under several environments, interleaved.

Called by run.sh with a JSON configuration:
  {"command": [...], "runs": 40, "warmup": 5, "seed": 1, "baseline": "off",
   "cases": [{"name": "off", "env": {...}}, ...], "raw": "/path/to/raw.json"}
A case may name its own "command" (to compare two builds of the tool in one run).

Each round runs every case once, in a shuffled order, so load from other work on a shared machine falls
on all cases alike instead of on whichever case happened to run while it lasted. The process is started
with posix_spawn and reaped with waitpid; the clock runs from just before the spawn to just after the
reap, so the time includes the runtime's start and the whole exit.
"""

import json
import os
import random
import statistics
import sys
import time


def spawn_and_wait(command, env):
    actions = [
        (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
        (os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0),
        (os.POSIX_SPAWN_OPEN, 2, os.devnull, os.O_WRONLY, 0),
    ]
    started = time.perf_counter_ns()
    pid = os.posix_spawn(command[0], command, env, file_actions=actions)
    _, status, usage = os.wait4(pid, 0)
    elapsed = time.perf_counter_ns() - started
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        raise SystemExit(f"{command[0]} exited with {code}")
    return elapsed / 1e6, (usage.ru_utime + usage.ru_stime) * 1e3


def percentile(values, fraction):
    """Linear interpolation between closest ranks (numpy's default), so p90 of 40 runs is well defined."""
    ordered = sorted(values)
    position = (len(ordered) - 1) * fraction
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def main():
    with open(sys.argv[1], encoding="utf-8") as handle:
        config = json.load(handle)

    command = config["command"]
    cases = config["cases"]
    rng = random.Random(config.get("seed", 1))
    times = {case["name"]: [] for case in cases}
    cpu = {case["name"]: [] for case in cases}
    order = [case["name"] for case in cases]
    envs = {case["name"]: case["env"] for case in cases}
    commands = {case["name"]: case.get("command", command) for case in cases}

    for _ in range(config["warmup"]):
        for name in rng.sample(order, len(order)):
            spawn_and_wait(commands[name], envs[name])

    for _ in range(config["runs"]):
        for name in rng.sample(order, len(order)):
            wall, used = spawn_and_wait(commands[name], envs[name])
            times[name].append(wall)
            cpu[name].append(used)

    baseline = times[config["baseline"]]
    base_median = statistics.median(baseline)
    base_cpu = statistics.median(cpu[config["baseline"]])
    rows = []
    for name in order:
        values = times[name]
        median = statistics.median(values)
        paired = [v - b for v, b in zip(values, baseline)]
        rows.append({
            "case": name,
            "runs": len(values),
            "median": median,
            "p90": percentile(values, 0.9),
            "min": min(values),
            "max": max(values),
            "stddev": statistics.stdev(values),
            "added_median": median - base_median,
            "paired_median": statistics.median(paired),
            "cpu_median": statistics.median(cpu[name]),
            "cpu_added": statistics.median(cpu[name]) - base_cpu,
        })

    with open(config["raw"], "w", encoding="utf-8") as handle:
        json.dump({"wall_ms": times, "cpu_ms": cpu, "summary": rows}, handle, indent=1)

    base = config["baseline"]
    print(f"| case | runs | median | p90 | min | max | stddev | median - {base} | paired - {base} | CPU median | CPU - {base} |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for row in rows:
        print("| {case} | {runs} | {median:.1f} | {p90:.1f} | {min:.1f} | {max:.1f} | {stddev:.1f} | {added_median:+.1f} "
              "| {paired_median:+.1f} | {cpu_median:.0f} | {cpu_added:+.0f} |".format(**row))


if __name__ == "__main__":
    main()
