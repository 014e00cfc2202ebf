#!/usr/bin/env python3
"""Times whole runs of commands under several environments, interleaved.

Called by run.sh and compare.sh with a JSON configuration:
  {"command": [...], "runs": 40, "warmup": 5, "seed": 1, "baseline": "off", "cap_s": 30,
   "cases": [{"name": "off", "env": {...}}, ...], "raw": "/path/to/raw.json", "summary": {...}}
A case may name its own "command" (another tool, or another build of the tool), its own "runs" and "warmup" (fewer,
for a case that takes seconds a run) and its own "cap_s": a run still going after that many seconds is killed and
recorded at the time it was killed, marked as killed (a user would have waited longer).

Each round runs every case due in it once, in a shuffled order, so load from other work on a shared machine falls on
all cases alike instead of on whichever case happened to run while it lasted; a case with fewer runs is spread evenly
over the rounds. The process is started with posix_spawn and reaped with wait4; the clock runs from just before the
spawn to just after the reap, so the time includes the runtime's start and the whole exit. Every run is also asked
for the time its own code took (CANDOR_EXIT_BENCH_MAIN_TIME=1; the exit tool prints it on stderr as "main-us N", other
tools print nothing): without the runtime's start and exit, which vary by milliseconds from run to run on a shared
machine, a difference of a tenth of a millisecond shows there.

Prints a markdown table of every case with its ratio to the baseline (median / the baseline's median), then, if the
configuration has a "summary", the same ratios as a table of tools by situation.
"""

import json
import os
import re
import tempfile
import random
import signal
import statistics
import sys
import threading
import time


MAIN_TIME = re.compile(rb"^main-us (\d+)$", re.MULTILINE)


def timed_run(command, env, cap_s=None):
    """Runs command to its end, or kills it after cap_s seconds; returns (wall ms, CPU ms, killed, main ms or None)."""
    errors = tempfile.NamedTemporaryFile(prefix="candor-exit-stderr.")
    actions = [
        (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
        (os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0),
        (os.POSIX_SPAWN_OPEN, 2, errors.name, os.O_WRONLY, 0),
    ]
    env = dict(env, CANDOR_EXIT_BENCH_MAIN_TIME="1")
    started = time.perf_counter_ns()
    pid = os.posix_spawn(command[0], command, env, file_actions=actions)
    timer = None
    if cap_s:
        timer = threading.Timer(cap_s, os.kill, (pid, signal.SIGKILL))
        timer.start()
    _, status, usage = os.wait4(pid, 0)
    elapsed = time.perf_counter_ns() - started
    if timer:
        timer.cancel()
    killed = os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL and cap_s is not None
    if not killed:
        code = os.waitstatus_to_exitcode(status)
        if code != 0:
            raise SystemExit(f"{command[0]} exited with {code}")
    with errors:
        found = MAIN_TIME.findall(errors.read())
    main = int(found[-1]) / 1e3 if found and not killed else None
    return elapsed / 1e6, (usage.ru_utime + usage.ru_stime) * 1e3, killed, main


def spawn_and_wait(command, env):
    """Runs command to its end; returns (wall ms, CPU ms). Used by bench/delivery/delivery.py too."""
    wall, used, _, _ = timed_run(command, env)
    return wall, used


def percentile(values, fraction):
    """Linear interpolation between closest ranks (numpy's default), so p90 of 40 runs is well defined."""
    ordered = sorted(values)
    position = (len(ordered) - 1) * fraction
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def due(index, count, rounds):
    """Whether a case with count runs over rounds rounds runs in round index (spread evenly; all of them if equal)."""
    return (index + 1) * count // rounds > index * count // rounds


def run_rounds(cases, rounds, count_of, rng, record=None):
    for index in range(rounds):
        names = [c["name"] for c in cases if due(index, count_of(c), rounds)]
        for name in rng.sample(names, len(names)):
            case = next(c for c in cases if c["name"] == name)
            result = timed_run(case["command"], case["env"], case.get("cap_s"))
            if record:
                record(name, index, result)


def show_ms(value, cap_s):
    if cap_s and value >= cap_s * 1e3:
        return f">{cap_s:g} s"
    return f"{value / 1e3:.2f} s" if value >= 1e4 else f"{value:.1f}"


def show_main(value, sign):
    return "—" if value is None else f"{value:{sign}.2f}"


def main():
    with open(sys.argv[1], encoding="utf-8") as handle:
        config = json.load(handle)

    cases = [dict(case, command=case.get("command", config["command"]),
                  cap_s=case.get("cap_s", config.get("cap_s"))) for case in config["cases"]]
    rng = random.Random(config.get("seed", 1))
    runs_of = {c["name"]: c.get("runs", config["runs"]) for c in cases}
    warmup_of = {c["name"]: c.get("warmup", config["warmup"]) for c in cases}
    rounds = max(runs_of.values())
    times = {c["name"]: {} for c in cases}
    cpu = {c["name"]: {} for c in cases}
    killed = {c["name"]: 0 for c in cases}
    main_times = {c["name"]: {} for c in cases}

    run_rounds(cases, max(warmup_of.values(), default=0), lambda c: warmup_of[c["name"]], rng)

    def record(name, index, result):
        wall, used, was_killed, main = result
        times[name][index] = wall
        cpu[name][index] = used
        killed[name] += was_killed
        if main is not None:
            main_times[name][index] = main

    run_rounds(cases, rounds, lambda c: runs_of[c["name"]], rng, record)

    base = config["baseline"]
    base_median = statistics.median(times[base].values())
    base_cpu = statistics.median(cpu[base].values())
    rows = []
    for case in cases:
        name = case["name"]
        values = list(times[name].values())
        median = statistics.median(values)
        paired = [wall - times[base][index] for index, wall in times[name].items() if index in times[base]]
        paired_main = [main - main_times[base][index] for index, main in main_times[name].items()
                       if index in main_times[base]]
        rows.append({
            "case": name, "runs": len(values), "killed": killed[name], "cap_s": case["cap_s"],
            "median": median, "ratio": median / base_median, "p90": percentile(values, 0.9),
            "min": min(values), "max": max(values),
            "paired_median": statistics.median(paired), "cpu_median": statistics.median(cpu[name].values()),
            "cpu_added": statistics.median(cpu[name].values()) - base_cpu,
            "main_median": statistics.median(main_times[name].values()) if main_times[name] else None,
            "main_paired": statistics.median(paired_main) if paired_main else None,
        })

    with open(config["raw"], "w", encoding="utf-8") as handle:
        json.dump({"wall_ms": times, "cpu_ms": cpu, "killed": killed, "main_ms": main_times, "summary": rows}, handle,
                  indent=1)

    print(f"| case | runs | killed | median | ratio to {base} | p90 | min | max | paired - {base} | CPU median "
          f"| CPU - {base} | in Main, median | in Main, paired - {base} |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for row in rows:
        cap = row["cap_s"]
        cap_note = f" (cap {cap:g} s)" if cap else ""
        print(f"| {row['case']} | {row['runs']} | {row['killed']}{cap_note if row['killed'] else ''} "
              f"| {show_ms(row['median'], cap)} | {row['ratio']:.2f} | {show_ms(row['p90'], cap)} "
              f"| {show_ms(row['min'], cap)} | {show_ms(row['max'], cap)} | {row['paired_median']:+.1f} "
              f"| {row['cpu_median']:.0f} | {row['cpu_added']:+.0f} "
              f"| {show_main(row['main_median'], '')} | {show_main(row['main_paired'], '+')} |")

    summary = config.get("summary")
    if summary:
        by_name = {row["case"]: row for row in rows}

        def cell(name):
            if not name or name not in by_name:
                return "—"
            row = by_name[name]
            cap = row["cap_s"]
            if row["killed"] * 2 >= row["runs"]:
                return f">{row['median'] / base_median:.0f} (killed at {cap:g} s: {row['killed']} of {row['runs']} runs)"
            median = f"{row['median'] / 1e3:.2f} s" if row["median"] >= 1e3 else f"{row['median']:.0f} ms"
            killed_note = f", {row['killed']} of {row['runs']} killed at {cap:g} s" if row["killed"] else ""
            return f"{row['ratio']:.2f} ({median}{killed_note})"

        print()
        print(f"Ratio to the median of {base} ({base_median:.0f} ms), and the median:")
        print()
        print("| tool | " + " | ".join(summary["columns"]) + " |")
        print("| --- |" + " ---: |" * len(summary["columns"]))
        for line in summary["rows"]:
            print(f"| {line['label']} | " + " | ".join(cell(name) for name in line["cases"]) + " |")


if __name__ == "__main__":
    main()
