#!/usr/bin/env python3
"""After run.sh's timed runs: what each case did with the events it recorded. Prints a markdown table.

  account.py <measure.py configuration> <collector URL> <admin token>

Tracked: one event per warm-up and timed run of a case that records (a Candor case's untimed first run shows the
disclosure and records nothing). Stored: the events the collector holds from the case's install (the admin raw
export of the case's product, by install ID: Candor's from its home's identity.json, a peer's from its case).
Kept on disk: Candor's spool (one file an event; sent by a later run once the collector answers); the run items in a
peer's files left in its TMPDIR (the Azure Monitor exporter's offline storage, for it to retry; the OpenTelemetry
exporter and Application Insights' in-memory channel keep nothing). Lost: the rest. Killed: runs cut
at the cap, whose event is lost with them unless it was already out.
"""

import glob
import json
import os
import sys
import urllib.request


def stored_by_install(collector, admin, product):
    request = urllib.request.Request(f"{collector}/query/{product}/raw?limit=100000",
                                     headers={"Authorization": f"Bearer {admin}"})
    with urllib.request.urlopen(request, timeout=30) as answer:
        rows = json.load(answer)["rows"]
    counts = {}
    for row in rows:
        counts[row["install"]] = counts.get(row["install"], 0) + 1
    return counts


def candor_state(case):
    product_dir = f"{case['home']}/products/candor-exit-bench"
    try:
        install = json.load(open(f"{product_dir}/identity.json", encoding="utf-8"))["install"]
    except (OSError, ValueError, KeyError):
        install = None
    spooled = len(glob.glob(f"{product_dir}/spool/*.json"))
    try:
        state = open(f"{product_dir}/delivery.json", encoding="utf-8").read().strip()
    except OSError:
        state = "none"
    return install, spooled, f"spool; delivery.json `{state}`"


def peer_state(case):
    """Files the peer left in its TMPDIR, and how many of the items in them are its "run" event (the Azure Monitor
    exporter stores each failed export as a blob of JSON lines: the run's span with a metric, and its standard
    metrics in another)."""
    files = [f for f in glob.glob(f"{case['home']}/**/*", recursive=True) if os.path.isfile(f)]
    runs = 0
    for path in files:
        with open(path, encoding="utf-8", errors="replace") as handle:
            for line in handle:
                try:
                    item = json.loads(line)
                except ValueError:
                    continue
                runs += isinstance(item, dict) and item.get("data", {}).get("baseData", {}).get("name") == "run"
    if not files:
        return case["install"], 0, "nothing on disk"
    where = sorted({"/".join(os.path.relpath(f, case["home"]).split(os.sep)[:2]) for f in files})
    return case["install"], runs, f"{len(files)} files in {', '.join(where)}/ ({runs} of them hold a run)"


def main():
    config = json.load(open(sys.argv[1], encoding="utf-8"))
    collector, admin = sys.argv[2], sys.argv[3]
    raw = json.load(open(config["raw"], encoding="utf-8"))
    products = {case.get("product", "candor-exit-bench") for case in config["cases"] if case["on"]}
    stored = {product: stored_by_install(collector, admin, product) for product in products}

    print("| case | events tracked | stored by the collector | kept on disk | lost | killed runs | where kept, state |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | --- |")
    for case in config["cases"]:
        if not case["on"]:
            continue
        runs = case.get("runs", config["runs"]) + case.get("warmup", config["warmup"])
        install, kept, where = (candor_state if case["tool"] == "candor" else peer_state)(case)
        held = stored[case.get("product", "candor-exit-bench")].get(install, 0) if install else 0
        lost = max(runs - held - kept, 0)
        killed = raw["killed"].get(case["name"], 0)
        print(f"| {case['name']} | {runs} | {held} | {kept} | {lost} | {killed} | {where} |")


if __name__ == "__main__":
    main()
