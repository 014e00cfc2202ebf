#!/usr/bin/env python3
"""The peers of the exit-time benchmark: tools that record the exit-time tool's one event ("run", with its "mode")
with another library, each configured as that library's documentation shows, each sending to the real collector's
door for it (docs/interop.md) under a product of its own whose manifest maps the item to the declared event.

  peers.py manifest <peer id> <the exit-time tool's candor.json>   prints the peer's product manifest (with mappings)
  peers.py list [aot]                                              prints "id project executable" of each peer
                                                                   (with aot: only those that publish Native AOT)
Imported by cases.py (environments) and account.py (where each put its data).
"""

import json
import sys

RUN = {"name": "run", "event": "run", "fields": {"mode": "mode"}}

PEERS = [
    {
        "id": "otlp", "short": "OpenTelemetry", "project": "Candor.Benchmarks.OtlpTool", "exe": "otlp-bench",
        "package": "OpenTelemetry.Exporter.OpenTelemetryProtocol",
        "label": "OpenTelemetry + OTLP exporter {version} (ILogger, HTTP/protobuf), disposed at exit",
        "product": "exit-bench-otlp", "aot": True,
        "mappings": {"otlp": {"logs": [RUN]}},
    },
    {
        "id": "azure-monitor", "short": "Azure Monitor", "project": "Candor.Benchmarks.AzureMonitorTool",
        "exe": "azure-monitor-bench", "package": "Azure.Monitor.OpenTelemetry.Exporter",
        "label": "Azure Monitor exporter {version} (a span, every trace sampled), disposed at exit",
        "product": "exit-bench-azure-monitor", "aot": True,
        # The exporter writes service.instance.id into ai.cloud.roleInstance; an internal span arrives as a dependency.
        "mappings": {"applicationInsights": {"install": "ai.cloud.roleInstance", "dependencies": [RUN]}},
    },
    {
        "id": "appinsights", "short": "Application Insights", "project": "Candor.Benchmarks.AppInsightsTool",
        "exe": "appinsights-bench", "package": "Microsoft.ApplicationInsights",
        "label": "Application Insights {version} (TrackEvent), Flush at exit",
        "product": "exit-bench-appinsights", "aot": False,
        "mappings": {"applicationInsights": {"install": "ai.user.id", "events": [RUN]}},
    },
]


def peer(peer_id):
    return next(p for p in PEERS if p["id"] == peer_id)


def environment(p, endpoint, key, install, home):
    """What the peer's run is given: where to send, its key, the install's random ID, and a temp folder of its own
    (TMPDIR: where a library that keeps unsent items on disk keeps them, so each case's leftovers can be counted)."""
    env = {"TMPDIR": home}
    if p["id"] == "otlp":
        env.update(OTEL_EXPORTER_OTLP_ENDPOINT=endpoint, OTEL_EXPORTER_OTLP_PROTOCOL="http/protobuf",
                   OTEL_EXPORTER_OTLP_HEADERS=f"x-candor-key={key}",
                   OTEL_RESOURCE_ATTRIBUTES=f"service.instance.id={install}")
    elif p["id"] == "azure-monitor":
        env.update(AZURE_MONITOR_BENCH_CONNECTION_STRING=f"InstrumentationKey={key};IngestionEndpoint={endpoint}/",
                   OTEL_RESOURCE_ATTRIBUTES=f"service.instance.id={install}",
                   # Usage events must not be sampled (docs/interop.md): the default rate-limited sampler drops most
                   # one-shot runs' only span.
                   OTEL_TRACES_SAMPLER="microsoft.fixed_percentage", OTEL_TRACES_SAMPLER_ARG="1.0",
                   # Its own usage reports go to Microsoft's hosts: only loopback here.
                   APPLICATIONINSIGHTS_STATSBEAT_DISABLED="true", APPLICATIONINSIGHTS_SDKSTATS_DISABLED="true")
    else:
        env.update(APPLICATIONINSIGHTS_CONNECTION_STRING=f"InstrumentationKey={key};IngestionEndpoint={endpoint}/",
                   APPINSIGHTS_BENCH_INSTALL=install)
    return env


def main():
    if sys.argv[1] == "manifest":
        p = peer(sys.argv[2])
        with open(sys.argv[3], encoding="utf-8") as handle:
            manifest = json.load(handle)
        manifest.update(product=p["product"], name=p["product"], mappings=p["mappings"])
        json.dump(manifest, sys.stdout, indent=1)
    elif sys.argv[1] == "list":
        for p in PEERS:
            if len(sys.argv) < 3 or p["aot"]:
                print(p["id"], p["project"], p["exe"])


if __name__ == "__main__":
    main()
