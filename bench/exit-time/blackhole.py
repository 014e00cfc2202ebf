#!/usr/bin/env python3
"""A collector that never answers: accepts TCP connections on loopback and holds them open, silent.

Prints its port on the first line, then runs until killed. A client's request is read by nobody, so the
client waits until its own timeout (or its process exits).
"""

import socket
import sys

listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
listener.bind(("127.0.0.1", 0))
listener.listen(128)
print(listener.getsockname()[1], flush=True)
held = []
while True:
    connection, _ = listener.accept()
    held.append(connection)
    print(f"accepted connection {len(held)}", file=sys.stderr, flush=True)
