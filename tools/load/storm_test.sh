#!/usr/bin/env bash
# ctest benchmark.Storm.*: starts alertllm-bench-server with --latency-ms 50 (and --max-in-flight
# QUOTA unless it is 0), runs alertllm-bench in storm mode (400 alerts, 40 distinct,
# --concurrency 16) against it and checks the one line: every alert answered, no error, and
# without a quota exactly one request per distinct alert.
# Usage: storm_test.sh SERVER TOOL QUOTA
set -euo pipefail
server=$1 tool=$2 quota=$3
out=$(mktemp)
trap 'kill "$pid" 2>/dev/null || true; rm -f "$out"' EXIT
server_args=(--port 0 --latency-ms 50)
bench_args=(--alerts 400 --distinct 40 --concurrency 16 --latency-ms 50)
if [[ $quota != 0 ]]; then
  server_args+=(--max-in-flight "$quota")
  bench_args+=(--max-in-flight "$quota")
fi
"$server" "${server_args[@]}" >"$out" &
pid=$!
for _ in $(seq 100); do grep -q '^listening on ' "$out" && break; sleep 0.05; done
url=$(sed -n 's/^listening on //p' "$out")
[[ -n $url ]] || { echo "server did not start"; exit 1; }
status=0
line=$("$tool" --url "$url" "${bench_args[@]}") || status=$?
echo "$line"
kill -TERM "$pid"
wait "$pid"
tail -n 1 "$out"
[[ $status -eq 0 ]] || { echo "alertllm-bench exited $status"; exit 1; }
number='[0-9]+\.[0-9]{3}'
[[ $line =~ ^alerts=400\ distinct=40\ llm_requests=([0-9]+)\ seconds=$number\ ideal_seconds=$number\ ratio=[0-9]+\.[0-9]{2}\ answered=400\ errors=0$ ]] ||
  { echo "unexpected output"; exit 1; }
requests=${BASH_REMATCH[1]}
if [[ $quota == 0 ]]; then
  [[ $requests == 40 ]] || { echo "expected llm_requests=40"; exit 1; }
  grep -q '^answered 40 requests$' "$out" || { echo "server did not answer 40 requests"; exit 1; }
else
  [[ $requests -ge 40 ]] || { echo "expected llm_requests>=40"; exit 1; }
fi
