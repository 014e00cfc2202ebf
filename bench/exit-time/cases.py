#!/usr/bin/env python3
"""Writes run.sh's measure.py configuration: the exit-time tool without telemetry (the baseline), Candor off in every
way a user or a build turns it off, Candor on with the collector reachable, refusing and black-holed, and each peer
published beside it (peers.py) in the same three situations.

  cases.py <settings JSON>   (run.sh passes work, tool, peers {id: executable}, runs, warmup, slow_runs, cap_s,
                              key, keys {product: key}, collector, refused, blackhole, repo)

Every case inherits the environment without anything that could change its consent or its peer's configuration,
and has a home of its own (CANDOR_HOME for Candor, TMPDIR for a peer). A peer's case has a random install ID of its
own, so account.py can tell its stored events from the other cases'. A peer's black-holed case, which waits out
the library's own timeout, runs slow_runs times without warm-up; every run is killed after cap_s seconds.
"""

import json
import os
import re
import sys
import uuid

sys.dont_write_bytecode = True  # importing peers.py leaves nothing in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import peers  # noqa: E402

BASELINE = "without telemetry"
SITUATIONS = [("reachable", "collector"), ("refused", "refused"), ("black-holed", "blackhole")]


def package_version(repo, package):
    with open(os.path.join(repo, "Directory.Packages.props"), encoding="utf-8") as handle:
        found = re.search(rf'Include="{re.escape(package)}" Version="([^"]+)"', handle.read())
    return found.group(1) if found else "?"


def main():
    s = json.load(open(sys.argv[1], encoding="utf-8"))
    work = s["work"]
    base = {k: v for k, v in os.environ.items()
            if not (k.startswith(("CANDOR_", "OTEL_", "APPLICATIONINSIGHTS_", "AZURE_MONITOR_", "APPINSIGHTS_"))
                    or k == "DO_NOT_TRACK" or "TELEMETRY" in k)}

    def home(name):
        return f"{work}/home-{name.replace(' ', '-')}"

    def candor(name, endpoint, args=(), key=s["key"], **extra):
        env = dict(base, CANDOR_HOME=home(name), CANDOR_EXIT_BENCH_KEY=key, CANDOR_EXIT_BENCH_ENDPOINT=endpoint,
                   **extra)
        return {"name": name, "env": env, "command": [s["tool"], *args], "tool": "candor",
                "on": name.startswith("Candor ") and "off" not in name, "home": home(name)}

    collector = s["collector"]
    cases = [
        candor(BASELINE, collector, CANDOR_EXIT_BENCH_WITHOUT="1"),
        candor("off", collector, DO_NOT_TRACK="1"),
        candor("off CANDOR_TELEMETRY", collector, CANDOR_TELEMETRY="off"),
        candor("off product variable", collector, CANDOR_EXIT_BENCH_OPTOUT="1"),
        candor("off flag", collector, args=["--no-telemetry"]),
        candor("off settings.json", collector),
        candor("off settings.json by hand", collector),
        # The endpoint set, as the baseline's is: a case without one would also skip the endpoint's parse that the
        # tool without Candor does, and look cheaper than it is.
        candor("private build", collector, key=""),
    ]
    for situation, where in SITUATIONS:
        cases.append(candor(f"Candor {situation}", s[where]))

    rows = [{"label": "no telemetry library", "cases": [BASELINE] * 3 + [None]},
            {"label": "Candor", "cases": [f"Candor {situation}" for situation, _ in SITUATIONS] + ["off"]}]
    for p in peers.PEERS:
        if p["id"] not in s["peers"]:
            continue
        names = []
        for situation, where in SITUATIONS:
            name = f"{p['short']} {situation}"
            install = str(uuid.uuid4())
            os.makedirs(home(name), exist_ok=True)
            case = {"name": name, "tool": p["id"], "product": p["product"], "install": install, "on": True,
                    "home": home(name), "command": [s["peers"][p["id"]]],
                    "env": dict(base, **peers.environment(p, s[where], s["keys"][p["product"]], install, home(name)))}
            if situation == "black-holed":
                case.update(runs=s["slow_runs"], warmup=0)
            cases.append(case)
            names.append(name)
        rows.append({"label": p["label"].format(version=package_version(s["repo"], p["package"])),
                     "cases": names + [None]})

    json.dump({
        "command": [s["tool"]], "runs": s["runs"], "warmup": s["warmup"], "seed": 1, "cap_s": s["cap_s"],
        "baseline": BASELINE, "raw": f"{work}/times.json", "cases": cases,
        "summary": {"columns": ["collector reachable", "refusing", "black-holed", "telemetry off (DO_NOT_TRACK)"],
                    "rows": rows},
    }, sys.stdout, indent=1)


if __name__ == "__main__":
    main()
