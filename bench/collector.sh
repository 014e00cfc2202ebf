# Sourced by the whole-process benchmarks (exit-time/run.sh, delivery/run.sh): stopping what they started, a free
# loopback port, and the real collector with the exit-time tool's product registered. Expects REPO, WORK, PRODUCT.

GROUPS_TO_STOP=()

# Stops every process group the script started (each with setsid), and so whatever those processes started, and
# the detached uploaders the tool's runs started for homes under $WORK (they would otherwise end within a minute).
stop_all() {
  for group in "${GROUPS_TO_STOP[@]}"; do
    kill -- "-$group" 2>/dev/null || true
  done
  pkill -f "candor-upload.dll $WORK/" 2>/dev/null || true
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# Starts the collector (built Release) on a free port with a fresh admin token and data folder, registers
# bench/Candor.Benchmarks.ExitTool's manifest and makes an ingestion key (register_product, below). Sets ADMIN, COLLECTOR_PORT, COLLECTOR,
# auth (the curl arguments of the admin token) and KEY.
start_collector() {
  ADMIN=bench-admin-$(python3 -c 'import secrets; print(secrets.token_hex(16))')
  COLLECTOR_PORT=$(free_port)
  COLLECTOR=http://127.0.0.1:$COLLECTOR_PORT
  # Its own process group, so that stopping it stops `dotnet run` and the collector it started.
  Access__AdminToken=$ADMIN Storage__DataPath=$WORK/collector-data \
    setsid dotnet run -c Release --no-build --project "$REPO/src/Candor.Collector" --urls "$COLLECTOR" \
    >"$WORK/collector.log" 2>&1 &
  GROUPS_TO_STOP+=($!)
  for _ in $(seq 1 120); do
    curl -sf "$COLLECTOR/healthz" >/dev/null 2>&1 && break
    sleep 0.5
  done
  curl -sf "$COLLECTOR/healthz" >/dev/null || { cat "$WORK/collector.log" >&2; exit 1; }

  auth=(-H "Authorization: Bearer $ADMIN")
  KEY=$(register_product "$REPO/bench/Candor.Benchmarks.ExitTool/candor.json")
}

# register_product <manifest file>: registers the manifest with the running collector and prints a new ingestion
# key of its product.
register_product() {
  local product
  product=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["product"])' "$1")
  curl -sf "${auth[@]}" -H 'Content-Type: application/json' -d "{\"manifest\": $(cat "$1")}" \
    "$COLLECTOR/admin/products" >/dev/null || { echo "registering $1 failed" >&2; return 1; }
  curl -sf "${auth[@]}" -X POST "$COLLECTOR/admin/products/$product/keys" \
    | python3 -c 'import json, sys; print(json.load(sys.stdin)["secret"])'
}
