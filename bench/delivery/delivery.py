#!/usr/bin/env python3
"""The one-shot delivery benchmark's measurements; run.sh starts the collector and calls this with a JSON config.

While it runs, one thread polls the collector's raw events and notes when each event was first seen stored, and
another scans /proc for `candor-upload` processes whose command line names a home under the work folder. Times
are wall-clock (time.time()); a run's exit is taken just after it is reaped. Prints markdown.

Cases:
  one-shot   fresh homes, the tool run once in each (after the untimed run that shows the disclosure), interleaved
             with the same tool without Candor and with the Azure Monitor peer (its defaults, and with every trace
             sampled), one round at a time in shuffled order;
  parallel   the same, but each case started `parallel` times at once (Candor: all on one home), a few rounds;
  outage     a fresh home whose collector refuses connections, then one whose collector is black-holed: how long the
             uploader lives, then the collector is brought back at the same address and the tool is run again
             (as a user would) until everything is stored; the peer likewise, with its offline storage.
"""

import calendar
import glob
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import threading
import time
import urllib.request

sys.dont_write_bytecode = True  # importing measure.py leaves nothing in the source tree
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "exit-time"))
from measure import percentile, spawn_and_wait  # noqa: E402

C = json.load(open(sys.argv[1], encoding="utf-8"))
HERE = os.path.dirname(os.path.abspath(__file__))
WORK, EVENTS, PRODUCT = C["work"], C["events"], C["product"]
ROUNDS = C["parallel_rounds"]
rng = random.Random(1)
seen = {}            # event id -> (first seen stored, install, event time)
rows_per_id = {}     # event id -> rows the collector returned for it (more than one would be a duplicate)
uploaders = {}       # pid -> {"home", "first", "last"}
stop = threading.Event()


def poll_collector():
    request = urllib.request.Request(f"{C['collector']}/query/{PRODUCT}/raw?limit=100000",
                                     headers={"Authorization": f"Bearer {C['admin']}"})
    while not stop.is_set():
        try:
            rows = json.load(urllib.request.urlopen(request, timeout=10))["rows"]
            now = time.time()
            counts = {}
            for row in rows:
                counts[row["id"]] = counts.get(row["id"], 0) + 1
                if row["id"] not in seen:
                    tracked = calendar.timegm(time.strptime(row["time"][:19], "%Y-%m-%dT%H:%M:%S"))
                    fraction = row["time"][19:].split("+")[0].rstrip("Z")
                    seen[row["id"]] = (now, row["install"], tracked + (float(fraction) if fraction.startswith(".") else 0))
            rows_per_id.update(counts)
        except OSError as error:
            print(f"collector poll failed: {error}", file=sys.stderr)
        stop.wait(0.2)


def watch_uploaders():
    while not stop.is_set():
        now = time.time()
        for pid in os.listdir("/proc"):
            if not pid.isdigit():
                continue
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as handle:
                    args = handle.read().split(b"\0")
            except OSError:
                continue
            dll = [i for i, a in enumerate(args) if a.endswith(b"candor-upload.dll")]
            if dll and len(args) > dll[0] + 1 and args[dll[0] + 1].decode().startswith(WORK):
                entry = uploaders.setdefault(int(pid), {"home": args[dll[0] + 1].decode(), "first": now})
                entry["last"] = now
        stop.wait(0.1)


def alive(home=None, within=0.5):
    now = time.time()
    return [p for p, u in uploaders.items() if now - u["last"] < within and (home is None or u["home"] == home)]


# ---- running the tools ----------------------------------------------------------------------------------------

def env_for(case, home_or_tmp, endpoint=None, marker=""):
    env = dict(C["base_env"])
    if case == "without":
        env.update(CANDOR_HOME=home_or_tmp, CANDOR_EXIT_BENCH_WITHOUT="1")
    elif case == "candor":
        env.update(CANDOR_HOME=home_or_tmp, CANDOR_EXIT_BENCH_KEY=C["key"], CANDOR_EXIT_BENCH_EVENTS=str(EVENTS),
                   CANDOR_EXIT_BENCH_ENDPOINT=endpoint or C["collector"])
    else:  # the peer: "peer" with its defaults, "peer-sampled" with every trace sampled
        os.makedirs(home_or_tmp, exist_ok=True)
        env.update(TMPDIR=home_or_tmp, AZURE_MONITOR_BENCH_RUN=marker, AZURE_MONITOR_BENCH_CONNECTION_STRING=(
            "InstrumentationKey=00000000-0000-0000-0000-000000000001;IngestionEndpoint=" + (endpoint or C["sink"]) + "/"),
            # Its own usage reports go to Microsoft's hosts and probe the cloud metadata address: only loopback here.
            APPLICATIONINSIGHTS_STATSBEAT_DISABLED="true", APPLICATIONINSIGHTS_SDKSTATS_DISABLED="true")
        if case == "peer-sampled":
            env.update(OTEL_TRACES_SAMPLER="microsoft.fixed_percentage", OTEL_TRACES_SAMPLER_ARG="1.0")
    return env


def command(case):
    return [C["peer"]] if case.startswith("peer") else [C["tool"]]


def run(case, place, endpoint=None, marker=""):
    """Runs one case to its end; returns {start, exit, wall_ms}."""
    start = time.time()
    wall, _ = spawn_and_wait(command(case), env_for(case, place, endpoint, marker))
    return {"case": case, "place": place, "marker": marker, "start": start, "exit": time.time(), "wall_ms": wall}


def run_together(specs):
    """Starts every (case, place, marker) at once and reaps each; returns their records."""
    records, threads = [], []
    for case, place, marker in specs:
        record = {"case": case, "place": place, "marker": marker, "start": time.time()}
        record["pid"] = os.posix_spawn(command(case)[0], command(case), env_for(case, place, None, marker),
                                       file_actions=[(os.POSIX_SPAWN_OPEN, fd, os.devnull, os.O_RDWR, 0) for fd in (0, 1, 2)])
        records.append(record)

    def reap(record):
        os.waitpid(record["pid"], 0)
        record["exit"] = time.time()
        record["wall_ms"] = (record["exit"] - record["start"]) * 1e3

    for record in records:
        threads.append(threading.Thread(target=reap, args=(record,)))
        threads[-1].start()
    for thread in threads:
        thread.join()
    return records


def prepare(home, endpoint=None):
    """The first run shows the disclosure and records nothing; returns the home's install id."""
    run("candor", home, endpoint)
    identity = json.load(open(f"{home}/products/{PRODUCT}/identity.json", encoding="utf-8"))
    assert identity.get("disclosureVersion") == 1, f"no disclosure recorded in {home}"
    return identity["install"]


def stored(install):
    return sorted(t for t, i, _ in list(seen.values()) if i == install)


def sink_arrivals():
    first = {}
    with open(C["sink_log"], encoding="utf-8") as handle:
        for line in handle:
            entry = json.loads(line)
            for marker in entry["runs"]:
                first.setdefault(marker, entry["time"])
    return first


def wait_until(done, deadline):
    while not done() and time.time() < deadline:
        time.sleep(0.2)


# ---- reporting --------------------------------------------------------------------------------------------------

def fmt(seconds):
    return "never" if seconds == float("inf") else f"{seconds:.2f}"


def spread(values):
    return f"{fmt(statistics.median(values))} | {fmt(percentile(values, 0.9))} | {fmt(max(values))}" if values else "- | - | -"


def home_counts(homes):
    spooled = sum(len(glob.glob(f"{h}/products/{PRODUCT}/spool/*.json")) for h in homes)
    lines, ids = 0, set()
    for h in homes:
        path = f"{h}/products/{PRODUCT}/sent.jsonl"
        if os.path.exists(path):
            for line in open(path, encoding="utf-8"):
                if line.strip():
                    lines += 1
                    ids.add(json.loads(line)["event"]["id"])
    return spooled, lines - len(ids)


def exit_table(records, title):
    print(f"\n{title}\n")
    print("| case | runs | median | p90 | min | max | paired - without |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    by_case = {}
    for r in records:
        by_case.setdefault(r["case"], []).append(r["wall_ms"])
    without = by_case["without"]
    for case, values in by_case.items():
        paired = statistics.median(v - w for v, w in zip(values, without))
        print(f"| {case} | {len(values)} | {statistics.median(values):.0f} | {percentile(values, 0.9):.0f} "
              f"| {min(values):.0f} | {max(values):.0f} | {paired:+.0f} |")


def delivery_row(label, latencies, tracked, homes, runs_latency, uploader_pids, since):
    stored_count = sum(1 for v in latencies if v != float("inf"))
    within = [sum(1 for v in latencies if v <= s) / tracked for s in (1, 10, 60)]
    spooled, resent = home_counts(homes)
    duplicates = sum(rows_per_id.get(i, 0) - 1 for i in rows_per_id if rows_per_id[i] > 1)
    lifetimes = [uploaders[p]["last"] - uploaders[p]["first"] for p in uploader_pids]
    still = [p for p in uploader_pids if uploaders[p]["last"] > since]
    print(f"| {label} | {tracked} | {stored_count} | {within[0]:.0%} | {within[1]:.0%} | {within[2]:.0%} "
          f"| {spread(runs_latency)} | {duplicates} | {resent} | {spooled} | {len(uploader_pids)} "
          f"| {max(lifetimes, default=0):.1f} | {len(still)} |")


def delivery_header():
    print("| case | events tracked | stored | within 1 s | within 10 s | within 60 s | run latency median (s) "
          "| p90 | max | stored twice | resent (sent.jsonl) | left in spools | uploaders started "
          "| longest uploader (s) | uploaders alive 60 s after the last exit |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")


def peer_rows(records, arrivals, label):
    for case in ("peer", "peer-sampled"):
        mine = [r for r in records if r["case"] == case]
        if not mine:
            continue
        latencies = [arrivals[r["marker"]] - r["exit"] for r in mine if r["marker"] in arrivals]
        kept = sum(len(glob.glob(f"{r['place']}/Microsoft/AzureMonitor/**/*.blob", recursive=True)) for r in mine)
        print(f"| {label}, {case} | {len(mine)} | {len(latencies)} ({len(latencies) / len(mine):.0%}) "
              f"| {spread(latencies)} | {kept} |")


# ---- the cases --------------------------------------------------------------------------------------------------

def one_shot():
    homes = [f"{WORK}/one-shot/home-{i}" for i in range(C["homes"])]
    installs = {h: prepare(h) for h in homes}
    records = []
    for i, home in enumerate(homes):
        for case in rng.sample(["candor", "without", "peer", "peer-sampled"], 4):
            place = home if case == "candor" else f"{WORK}/one-shot/{case}-{i}"
            records.append(run(case, place, marker=f"one-shot-{case}-{i}"))
    last_exit = max(r["exit"] for r in records)
    expected = EVENTS * len(homes)
    wait_until(lambda: sum(len(stored(i)) for i in installs.values()) >= expected, last_exit + 15)
    time.sleep(max(0, last_exit + 62 - time.time()) if sum(len(stored(i)) for i in installs.values()) < expected else 2)
    latencies, per_run = [], []
    for r in (r for r in records if r["case"] == "candor"):
        got = [t - r["exit"] for t in stored(installs[r["place"]])]
        latencies += got + [float("inf")] * (EVENTS - len(got))
        per_run.append(max(got) if len(got) >= EVENTS else float("inf"))
    pids = [p for p, u in uploaders.items() if "/one-shot/" in u["home"]]
    return records, latencies, per_run, homes, pids, last_exit


def parallel():
    home = f"{WORK}/parallel/home"
    install = prepare(home)
    records, latencies, per_run = [], [], []
    for round_ in range(ROUNDS):
        for case in rng.sample(["candor", "without", "peer"], 3):
            specs = [(case, home if case == "candor" else f"{WORK}/parallel/{case}-{round_}-{k}",
                      f"parallel-{case}-{round_}-{k}") for k in range(C["parallel"])]
            batch = run_together(specs)
            records += batch
            if case != "candor":
                continue
            before = {i for i, (t, inst, _) in list(seen.items()) if inst == install}
            expected = len(before) + EVENTS * len(batch)
            last = max(r["exit"] for r in batch)
            wait_until(lambda: len(stored(install)) >= expected, last + 62)
            fresh = [(t, tracked) for i, (t, inst, tracked) in list(seen.items()) if inst == install and i not in before]
            # An event's run is one of those alive when it was tracked; measure from the earliest such exit (the
            # longest latency it can have had), or from the batch's first exit when no window holds its time.
            first_exit = min(r["exit"] for r in batch)
            for t, tracked in fresh:
                exits = [r["exit"] for r in batch if r["start"] - 0.05 <= tracked <= r["exit"] + 0.05]
                latencies.append(t - min(exits, default=first_exit))
            latencies += [float("inf")] * (EVENTS * len(batch) - len(fresh))
            per_run.append(max((t for t, _ in fresh), default=float("inf")) - first_exit
                           if len(fresh) >= EVENTS * len(batch) else float("inf"))
    pids = [p for p, u in uploaders.items() if "/parallel/" in u["home"]]
    return records, latencies, per_run, [home], pids, max(r["exit"] for r in records if r["case"] == "candor")


def start_background(args):
    process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, start_new_session=True, text=True)
    C.setdefault("started", []).append(process)
    return process, process.stdout.readline().strip()


def stop_background(process):
    os.killpg(process.pid, 15)
    process.wait()


def free_port():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def outage(kind):
    """One run while the collector refuses or is black-holed; then the collector back at that address."""
    hole = None
    if kind == "black-holed":
        hole, port = start_background([sys.executable, f"{HERE}/../exit-time/blackhole.py"])
        port = int(port)
    else:
        port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    home = f"{WORK}/outage/{kind}"
    install = prepare(home, endpoint)
    down = run("candor", home, endpoint)
    peer_down = run("peer-sampled", f"{WORK}/outage/peer-{kind}", endpoint, marker=f"outage-{kind}-down")
    wait_until(lambda: bool(alive(home)), down["exit"] + 3)
    wait_until(lambda: not alive(home), down["exit"] + 300)
    mine = [u for u in uploaders.values() if u["home"] == home]
    lived = max((u["last"] for u in mine), default=down["exit"]) - down["exit"]
    state = json.load(open(f"{home}/products/{PRODUCT}/delivery.json", encoding="utf-8"))
    spooled = len(glob.glob(f"{home}/products/{PRODUCT}/spool/*.json"))
    peer_kept = len(glob.glob(f"{WORK}/outage/peer-{kind}/Microsoft/AzureMonitor/**/*.blob", recursive=True))

    # The collector comes back at the address the runs recorded.
    if hole:
        stop_background(hole)
    relay, _ = start_background([sys.executable, f"{HERE}/relay.py", str(port), str(C["collector_port"])])
    back = time.time()
    time.sleep(3)
    before_any_run = len(stored(install))
    later, tracked = [], EVENTS
    while len(later) < 4:
        later.append(run("candor", home, endpoint))
        tracked += EVENTS
        wait_until(lambda: len(stored(install)) >= tracked, later[-1]["exit"] + 20)
        if len(stored(install)) >= tracked:
            break
        state_now = json.load(open(f"{home}/products/{PRODUCT}/delivery.json", encoding="utf-8"))
        due = state_now.get("nextAttempt")
        wait = (calendar.timegm(time.strptime(due[:19], "%Y-%m-%dT%H:%M:%S")) + 1 - time.time()) if due else 0
        if wait > 300:
            break
        time.sleep(max(0, wait))
    done_at = stored(install)[-1] if len(stored(install)) >= tracked else float("inf")

    # The peer, once more with the same offline storage folder, against the sink at its old address.
    stop_background(relay)
    relay, _ = start_background([sys.executable, f"{HERE}/relay.py", str(port), str(C["sink_port"])])
    peer_up = run("peer-sampled", f"{WORK}/outage/peer-{kind}", endpoint, marker=f"outage-{kind}-up")
    time.sleep(5)
    arrivals = sink_arrivals()
    stop_background(relay)
    return {
        "kind": kind, "exit_ms": down["wall_ms"], "lived": lived, "uploaders": len(mine), "spooled": spooled,
        "state": state, "before_any_run": before_any_run, "runs_after": len(later), "tracked": tracked,
        "stored": len(stored(install)), "until_stored": done_at - back,
        "last_run_to_stored": done_at - later[-1]["exit"],
        "peer_exit_ms": peer_down["wall_ms"], "peer_kept": peer_kept,
        "peer_down_arrived": f"outage-{kind}-down" in arrivals, "peer_up_arrived": f"outage-{kind}-up" in arrivals,
        "peer_up_exit_ms": peer_up["wall_ms"],
    }


def main():
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # so that the relays and black hole it started are stopped
    threads = [threading.Thread(target=poll_collector, daemon=True), threading.Thread(target=watch_uploaders, daemon=True)]
    for thread in threads:
        thread.start()
    try:
        print(f"One-shot: {C['homes']} fresh homes, one measured run each ({EVENTS} events), interleaved with the "
              "same tool without Candor and the Azure Monitor peer...", file=sys.stderr)
        one = one_shot()
        print(f"Parallel: {ROUNDS} rounds of {C['parallel']} runs at once...", file=sys.stderr)
        par = parallel()
        print("Outages: refused, then black-holed...", file=sys.stderr)
        outages = [outage("refused"), outage("black-holed")]
    finally:
        stop.set()
        for process in C.get("started", []):
            if process.poll() is None:
                stop_background(process)

    arrivals = sink_arrivals()
    print(f"\nCandor: events stored, measured from the tool's exit to the first poll that saw them (polled every "
          f"0.2 s). One-shot: {C['homes']} fresh homes; parallel: {ROUNDS} rounds of {C['parallel']} runs at once on one "
          "home, each event measured from the earliest exit among the runs alive when it was tracked. Run latency: "
          "one-shot, per run, until the last of its events was stored; parallel, per batch, from its first exit.\n")
    delivery_header()
    for label, (records, latencies, per_run, homes, pids, last_exit) in (("one-shot", one), ("parallel", par)):
        delivery_row(label, latencies, len(latencies), homes, per_run, pids, last_exit + 60)
    exit_table(one[0], "Exit time, one-shot (ms; whole process, spawn to reap; paired by round):")
    exit_table(par[0], f"Exit time, {C['parallel']} at once (ms; each run from its own spawn to its reap):")
    print("\nAzure Monitor exporter (1.10.0): runs whose trace arrived at the sink, seconds from the run's exit to "
          "its arrival (negative: it arrived while the run was exiting), and files left in its offline storage. peer = the exporter's defaults; peer-sampled = "
          "the same with OTEL_TRACES_SAMPLER=microsoft.fixed_percentage, OTEL_TRACES_SAMPLER_ARG=1.0.\n")
    print("| case | runs | arrived | median (s) | p90 | max | offline files left |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    peer_rows(one[0], arrivals, "one-shot")
    peer_rows(par[0], arrivals, "parallel")
    print("\nOutages: one run while the collector is down; its uploader's life from the tool's exit; then the collector "
          "back at the same address (a relay to it) and the tool run again, as a user would, until all is stored.\n")
    print("| collector | tool exit (ms) | uploader lived after exit (s) | uploaders | left in spool | delivery.json "
          "| stored 3 s after back, no run | later runs needed | events tracked | stored | back to all stored (s) "
          "| last run's exit to all stored (s) |")
    print("| --- | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for o in outages:
        print(f"| {o['kind']} | {o['exit_ms']:.0f} | {o['lived']:.1f} | {o['uploaders']} | {o['spooled']} "
              f"| `{json.dumps(o['state'], separators=(',', ':'))}` | {o['before_any_run']} | {o['runs_after']} "
              f"| {o['tracked']} | {o['stored']} | {fmt(o['until_stored'])} | {fmt(o['last_run_to_stored'])} |")
    print("\n| peer, collector | exit while down (ms) | offline files left | its trace arrived later | next run's "
          "exit (ms) | next run's trace arrived |")
    print("| --- | ---: | ---: | --- | ---: | --- |")
    for o in outages:
        print(f"| {o['kind']} | {o['peer_exit_ms']:.0f} | {o['peer_kept']} | {'yes' if o['peer_down_arrived'] else 'no'} "
              f"| {o['peer_up_exit_ms']:.0f} | {'yes' if o['peer_up_arrived'] else 'no'} |")
    json.dump({"seen": seen, "uploaders": uploaders, "one_shot": one[0], "parallel": par[0], "outages": outages},
              open(f"{WORK}/raw.json", "w", encoding="utf-8"), indent=1, default=str)


if __name__ == "__main__":
    main()
