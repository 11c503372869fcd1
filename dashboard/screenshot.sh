#!/usr/bin/env bash
# Take docs/dashboard.png: the queue dashboard (dashboard/app.py) over two sandbox days, rendered
# by headless Chromium (Debian package `chromium`, a fresh profile) driven by Playwright from a
# throwaway environment (dashboard/screenshot.py waits until the page has drawn).
#   bash dashboard/screenshot.sh     (from the repo root, after `make .venv/.installed` and
#                                     `make .venv-dashboard/.installed`)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'kill "${app_pid:-0}" 2>/dev/null || true; rm -rf "$work"' EXIT
export WXCC_DATA_DIR="$work/data" DAGSTER_HOME="$work/dagster"
mkdir -p "$DAGSTER_HOME"
cd "$work"
"$root/.venv/bin/wxcc-warehouse" load --from "${FROM:-2026-11-30}" --to "${TO:-2026-12-02}" \
  --no-progress --source search >/dev/null
port=8599
"$root/.venv-dashboard/bin/streamlit" run "$root/dashboard/app.py" --server.headless true \
  --server.address 127.0.0.1 --server.port "$port" --browser.gatherUsageStats false \
  >"$work/app.log" 2>&1 &
app_pid=$!
for _ in $(seq 120); do
  curl -sf "http://127.0.0.1:$port/_stcore/health" >/dev/null && break
  sleep 1
done
python3 -m venv "$work/pw" && "$work/pw/bin/pip" install --quiet playwright
"$work/pw/bin/python" "$root/dashboard/screenshot.py" "http://127.0.0.1:$port/" \
  "$root/docs/dashboard.png"
echo "wrote $root/docs/dashboard.png"
