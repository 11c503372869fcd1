#!/usr/bin/env bash
# Take docs/asset-graph.png: the Dagster UI's asset graph with a day loaded from the embedded
# sandbox, rendered by headless Chromium (Debian package `chromium`), driven by Playwright from a
# throwaway environment (docs/screenshot.py: it dismisses the UI's first-visit dialog).
#   bash docs/screenshot.sh        (from the repo root, after `make run` created .venv)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'kill "${ui_pid:-0}" 2>/dev/null || true; rm -rf "$work"' EXIT
export WXCC_DATA_DIR="$work/data" DAGSTER_HOME="$work/dagster"
mkdir -p "$DAGSTER_HOME"
cd "$work"
"$root/.venv/bin/wxcc-warehouse" load --last-days 1 --no-progress --source search >/dev/null
port=3917
"$root/.venv/bin/dagster-webserver" -w "$root/workspace.yaml" -h 127.0.0.1 -p "$port" \
  >"$work/ui.log" 2>&1 &
ui_pid=$!
for _ in $(seq 120); do
  curl -sf "http://127.0.0.1:$port/server_info" >/dev/null && break
  sleep 1
done
python3 -m venv "$work/pw" && "$work/pw/bin/pip" install --quiet playwright
"$work/pw/bin/python" "$root/docs/screenshot.py" \
  "http://127.0.0.1:$port/locations/pipelines.definitions%3Adefs/asset-groups/search/lineage" "$root/docs/asset-graph.png"
echo "wrote $root/docs/asset-graph.png"
