#!/usr/bin/env python3
"""A stand-in for Azure Monitor's ingestion endpoint: accepts POST /v2.1/track and /v2/track on loopback.

Answers every track request as accepted (200 with the counts the real service returns) and appends one JSON line
per request to the log named on the command line: when it arrived, the path, how many envelopes it held, of which kinds, and the
benchmark run markers (the peer tool's "bench.run" tag) found in them. Prints its port on the first line, then
runs until killed.
"""

import gzip
import json
import re
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOG = open(sys.argv[1], "a", encoding="utf-8")
MARKER = re.compile(rb'"bench\.run"\s*:\s*"([^"]+)"')


def kind(envelope):
    try:
        return json.loads(envelope).get("data", {}).get("baseType", "?")
    except ValueError:
        return "unreadable"


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        arrived = time.time()
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.headers.get("Content-Encoding", "").lower() == "gzip":
            body = gzip.decompress(body)
        envelopes = [line for line in body.splitlines() if line.strip()]
        if self.path.split("?")[0] not in ("/v2.1/track", "/v2/track"):
            self.send_response(404)
            self.end_headers()
            return
        LOG.write(json.dumps({"time": arrived, "path": self.path, "envelopes": len(envelopes),
                              "kinds": [kind(e) for e in envelopes],
                              "runs": [m.decode() for m in MARKER.findall(body)]}) + "\n")
        LOG.flush()
        answer = json.dumps({"itemsReceived": len(envelopes), "itemsAccepted": len(envelopes), "errors": []}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args):
        pass


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
