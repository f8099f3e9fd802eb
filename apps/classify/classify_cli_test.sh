#!/usr/bin/env bash
# ctest example.Classify.<case>: end-to-end checks of alertllm-classify. Starts SERVER (any
# binary that takes `--port 0` and prints "listening on URL" on stdout: alertllm-bench-server,
# or the mock proxy) on a free port, runs CLASSIFY against it and checks exit code, stdout and
# stderr with grep and sed only (no python on CI).
#
# Usage: classify_cli_test.sh SERVER CLASSIFY TESTDATA_DIR README CASE
set -euo pipefail
shopt -s extglob
server=$1 classify=$2 fixtures=$3 readme=$4 case=$5
data=$fixtures/alertmanager
testdata=$fixtures/classify
work=$(mktemp -d)
pid=
trap '[[ -n $pid ]] && kill "$pid" 2>/dev/null; rm -rf "$work"' EXIT

fail() { echo "FAIL ($case): $*"; echo "--- stdout"; cat "$work/out" 2>/dev/null || true
         echo "--- stderr"; cat "$work/err" 2>/dev/null || true; exit 1; }

# The output-error cases need the run to outlast the reader: each answer takes 20 ms.
server_args=()
[[ $case == output_* ]] && server_args=(--latency-ms 20)
"$server" --port 0 "${server_args[@]}" >"$work/server.log" &
pid=$!
for _ in $(seq 100); do grep -q '^listening on ' "$work/server.log" && break; sleep 0.05; done
url=$(sed -n 's/^listening on //p' "$work/server.log")
[[ -n $url ]] || { echo "server did not start"; cat "$work/server.log"; exit 1; }

# run ARGS...: runs the CLI with the server's URL first (later flags override it); sets $rc.
run() {
  set +e
  "$classify" --base-url "$url" "$@" >"$work/out" 2>"$work/err"
  rc=$?
  set -e
}
expect_rc() { [[ $rc -eq $1 ]] || fail "exit code $rc, want $1"; }
lines() { grep -c '' "$work/out" || true; }

# classify_requests: the requests the mock has answered on its classify paths so far, from its
# GET /admin/stats (bash's /dev/tcp: no curl needed).
classify_requests() {
  local hostport=${url#http://} body n total=0
  exec 3<>"/dev/tcp/${hostport%:*}/${hostport##*:}"
  printf 'GET /admin/stats HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n' "$hostport" >&3
  body=$(cat <&3)
  exec 3<&-
  for n in $(grep -Eo '"/(classify|v1/chat/completions)":\{[^}]*\}' <<<"$body" |
             sed -E 's/.*"requests":([0-9]+).*/\1/'); do
    total=$((total + n))
  done
  echo "$total"
}
# repeated N: the first alert of alerts.ndjson N times, as NDJSON.
repeated() {
  for _ in $(seq "$1"); do sed -n 1p "$testdata/alerts.ndjson"; done >"$work/repeated.ndjson"
}

# distinct N: N alerts with distinct fingerprints (no two answered by one request), as NDJSON.
distinct() {
  local line i fingerprint
  line=$(sed -n 1p "$testdata/alerts.ndjson")
  for i in $(seq "$1"); do
    printf -v fingerprint '%016x' "$i"
    line=${line/\"DiskFull*([0-9])\"/\"DiskFull$i\"}
    line=${line/\"fingerprint\":\"+([0-9a-f])\"/\"fingerprint\":\"$fingerprint\"}
    printf '%s\n' "$line"
  done >"$work/distinct.ndjson"
}

# A successful jsonl line, keys exactly in the documented order.
ok_line='^\{"fingerprint":"[0-9a-f]{16}","alertname":"[^"]*","ok":true,"source":"(llm|cache|fallback)","severity":"(noise|info|warning|critical)","severity_adjusted":(true|false),"confidence":(0|1|0\.[0-9]+|1\.0),"category":"[^"]*","summary":"([^"\\]|\\.)*","attempts":[0-9]+(,"fallback_reason":"([^"\\]|\\.)*")?\}$'
fail_line='^\{"fingerprint":"[0-9a-f]{16}","alertname":"[^"]*","ok":false,"source":null,"severity":null,"severity_adjusted":null,"confidence":null,"category":null,"summary":null,"attempts":[0-9]+,"error":\{"category":"[a-z_]+","message":"([^"\\]|\\.)*"\}\}$'

# check_jsonl PATTERN EXPECTED_FINGERPRINTS_FILE: every line matches and the order is the input's.
check_jsonl() {
  local bad
  bad=$(grep -Evc "$1" "$work/out" || true)
  [[ $bad -eq 0 ]] || fail "$bad line(s) do not match $1"
  sed -E 's/^\{"fingerprint":"([^"]*)".*/\1/' "$work/out" >"$work/got"
  diff -u "$2" "$work/got" >&2 || fail "fingerprints not in input order"
}

captures=("$data"/alertmanager_webhook_*.json)
# The captures are one line each; Alertmanager writes each alert's fingerprint last.
grep -o '"fingerprint":"[0-9a-f]*"' "${captures[@]}" | sed -E 's/.*"([0-9a-f]*)"$/\1/' \
  >"$work/capture_fingerprints"
printf '%s\n' 1a2b3c4d5e6f7081 2b3c4d5e6f708192 3c4d5e6f708192a3 >"$work/fixture_fingerprints"

case $case in
  captures)
    run --format jsonl "${captures[@]}"
    expect_rc 0
    [[ $(lines) -eq 20 ]] || fail "want 20 lines (one per alert of the 18 captures)"
    check_jsonl "$ok_line" "$work/capture_fingerprints"
    grep -q '"source":"fallback"' "$work/out" && fail "the server answered, yet the fallback did"
    grep -q '"source":"cache"' "$work/out" || fail "a re-sent alert was not answered from the cache"
    grep -q '"alertname":"KubePodCrashLooping"' "$work/out" || fail "alertname missing"
    ;;
  captures_concurrent)
    run --format jsonl --concurrency 4 "${captures[@]}"
    expect_rc 0
    check_jsonl "$ok_line" "$work/capture_fingerprints"
    ;;
  table)
    run --format table "${captures[@]}"
    expect_rc 0
    head -n 1 "$work/out" | grep -Eq '^FINGERPRINT +ALERTNAME +SEVERITY +CONF +SOURCE +SUMMARY$' ||
      fail "bad header"
    [[ $(lines) -eq 21 ]] || fail "want a header and 20 rows"
    sed -n 2p "$work/out" | grep -Eq '^[0-9a-f]{16}  HighCPUUsage +[a-z]+ +[01]\.[0-9]{2}  llm ' ||
      fail "bad first row"
    ;;
  stdin)
    set +e
    "$classify" --base-url "$url" <"$testdata/alerts.ndjson" >"$work/out" 2>"$work/err"
    rc=$?
    set -e
    expect_rc 0
    check_jsonl "$ok_line" "$work/fixture_fingerprints"
    ;;
  ndjson)
    run "$testdata/alerts.ndjson"
    expect_rc 0
    check_jsonl "$ok_line" "$work/fixture_fingerprints"
    ;;
  array)
    run - <"$testdata/alerts_array.json"
    expect_rc 0
    check_jsonl "$ok_line" "$work/fixture_fingerprints"
    ;;
  single_alert)
    run "$testdata/single_alert.json" "$testdata/alerts_array.json"
    expect_rc 0
    [[ $(lines) -eq 4 ]] || fail "want 4 lines"
    head -n 1 "$work/out" | grep -q '"alertname":"CertificateExpiringSoon"' || fail "order"
    grep -Evq "$ok_line" "$work/out" && fail "a line does not match"
    ;;
  openai)
    run --protocol openai --model test-model "$testdata/alerts_array.json"
    expect_rc 0
    check_jsonl "$ok_line" "$work/fixture_fingerprints"
    ;;
  unreachable_fails)
    run --base-url http://127.0.0.1:1 --fallback none --max-retries 0 --timeout 2s \
      "${captures[@]}"
    expect_rc 1
    check_jsonl "$fail_line" "$work/capture_fingerprints"
    grep -q '"error":{"category":"network_error"' "$work/out" || fail "no network_error"
    ;;
  unreachable_falls_back)
    run --base-url http://127.0.0.1:1 --fallback rules --max-retries 0 "${captures[@]}"
    expect_rc 0
    check_jsonl "$ok_line" "$work/capture_fingerprints"
    bad=$(grep -vc '"source":"fallback".*"fallback_reason":"' "$work/out" || true)
    [[ $bad -eq 0 ]] || fail "$bad line(s) without source fallback and a fallback_reason"
    ;;
  metrics_out)
    run --metrics-out "$work/metrics.prom" "$testdata/alerts_array.json"
    expect_rc 0
    grep -Eq '^llm_client_requests_total\{category="success"\} 3$' "$work/metrics.prom" ||
      fail "no llm_client_requests_total{category=\"success\"} 3 in the metrics file"
    grep -q '^llm_circuit_breaker_state ' "$work/metrics.prom" || fail "no breaker metrics"
    ;;
  stats)
    run --stats "$testdata/alerts_array.json"
    expect_rc 0
    grep -Eq '^\{"state":"closed","failure_count":0,"success_count":3,.*"total_calls":3,.*\}$' \
      "$work/err" || fail "no stats object on stderr"
    ;;
  stats_tokens)
    # The mock's OpenAI answers report usage; --stats sums what llm_client_tokens_total counts,
    # the repeats answered from the cache adding nothing.
    repeated 3
    run --protocol openai --stats --metrics-out "$work/metrics.prom" \
      "$testdata/alerts_array.json" "$work/repeated.ndjson"
    expect_rc 0
    tokens=$(grep -Eo '"tokens":\{"input":[0-9]+,"output":[0-9]+,"cached_input":0\}\}$' \
               "$work/err") || fail "no tokens object ending the stats object"
    input=$(sed -E 's/.*"input":([0-9]+).*/\1/' <<<"$tokens")
    output=$(sed -E 's/.*"output":([0-9]+).*/\1/' <<<"$tokens")
    [[ $input -gt 0 && $output -gt 0 ]] || fail "no tokens counted: $tokens"
    grep -qx "llm_client_tokens_total{type=\"input\"} $input" "$work/metrics.prom" ||
      fail "stats input $input is not llm_client_tokens_total{type=\"input\"}"
    grep -qx "llm_client_tokens_total{type=\"output\"} $output" "$work/metrics.prom" ||
      fail "stats output $output is not llm_client_tokens_total{type=\"output\"}"
    ;;
  missing_file)
    run "$work/no-such-file.json"
    expect_rc 2
    grep -q "no-such-file.json: cannot read" "$work/err" || fail "error does not name the file"
    [[ $(lines) -eq 0 ]] || fail "output despite bad input"
    ;;
  garbage_names_file)
    printf '{"alerts": [garbage]}\n' >"$work/garbage.json"
    run "$testdata/alerts_array.json" "$work/garbage.json"
    expect_rc 2
    grep -q 'garbage.json:1:13: malformed JSON' "$work/err" || fail "error does not name file"
    [[ $(lines) -eq 0 ]] || fail "classified something despite bad input"
    ;;
  bad_ndjson_line_names_line)
    { sed -n 1p "$testdata/alerts.ndjson"; echo '{"labels":{"alertname":"X"}}'; } >"$work/bad.ndjson"
    run "$work/bad.ndjson"
    expect_rc 2
    grep -q 'bad.ndjson:2: status: missing' "$work/err" || fail "error does not name the line"
    ;;
  cache_default)
    repeated 6
    run --concurrency 2 "$work/repeated.ndjson"
    expect_rc 0
    [[ $(lines) -eq 6 ]] || fail "want 6 lines"
    [[ $(grep -c '"source":"llm"' "$work/out") -eq 1 ]] || fail "want one llm answer"
    [[ $(grep -Ec '"source":"cache".*"attempts":0[,}]' "$work/out") -eq 5 ]] ||
      fail "want five cache answers with attempts 0"
    got=$(classify_requests)
    [[ $got -eq 1 ]] || fail "the mock got $got requests for 6 identical alerts, want 1"
    ;;
  no_cache)
    repeated 6
    run --no-cache --concurrency 2 "$work/repeated.ndjson"
    expect_rc 0
    [[ $(lines) -eq 6 ]] || fail "want 6 lines"
    [[ $(grep -c '"source":"llm"' "$work/out") -eq 6 ]] || fail "want six llm answers"
    got=$(classify_requests)
    [[ $got -eq 6 ]] || fail "the mock got $got requests for 6 identical alerts, want 6"
    ;;
  concurrency_range)
    for n in 0 1025 x; do
      run --concurrency "$n" "$testdata/alerts_array.json"
      expect_rc 2
      grep -q "^alertllm-classify: --concurrency: '$n' " "$work/err" ||
        fail "--concurrency $n: the error does not name the flag"
      [[ $(lines) -eq 0 ]] || fail "--concurrency $n: classified something"
    done
    for n in 1 1024; do
      run --concurrency "$n" "$testdata/alerts_array.json"
      expect_rc 0
      check_jsonl "$ok_line" "$work/fixture_fingerprints"
    done
    ;;
  bad_flags)
    for flags in "--concurrency 0" "--concurrency 1025" "--no-cache=1" "--format xml" "--nope" "--timeout abc" "--protocol grpc" \
                 "--fallback maybe" "--max-retries -1" "--model"; do
      # shellcheck disable=SC2086
      run $flags "$testdata/alerts_array.json"
      expect_rc 2
      grep -q '^alertllm-classify: ' "$work/err" || fail "no message for $flags"
    done
    ;;
  invalid_config)
    run --base-url ftp://example.com "$testdata/alerts_array.json"
    expect_rc 2
    grep -q 'base_url: must start with http:// or https://' "$work/err" || fail "not Validate()'s message"
    set +e
    LLM_TIMEOUT=abc "$classify" "$testdata/alerts_array.json" >"$work/out" 2>"$work/err"
    rc=$?
    set -e
    expect_rc 2
    grep -q "LLM_TIMEOUT" "$work/err" || fail "env error does not name the variable"
    ;;
  output_dev_full)
    # ENOSPC on the first flushed line: exit 1 naming the cause, no run past it. The table's
    # header fails before any alert is sent.
    distinct 40
    set +e
    "$classify" --base-url "$url" --format table --concurrency 1 "$work/distinct.ndjson" \
      >/dev/full 2>"$work/err"
    rc=$?
    set -e
    expect_rc 1
    grep -qx 'alertllm-classify: cannot write the output: No space left on device' "$work/err" ||
      fail "no ENOSPC message"
    got=$(classify_requests)
    [[ $got -eq 0 ]] || fail "the table's header could not be written, yet $got requests were sent"
    set +e
    "$classify" --base-url "$url" --format jsonl --concurrency 1 "$work/distinct.ndjson" \
      >/dev/full 2>"$work/err"
    rc=$?
    set -e
    expect_rc 1
    grep -qx 'alertllm-classify: cannot write the output: No space left on device' "$work/err" ||
      fail "no ENOSPC message for jsonl"
    # Chunks of 4 (4 x --concurrency 1): the one whose first line failed and the one beside it.
    got=$(classify_requests)
    [[ $got -le 8 ]] || fail "$got requests for 40 alerts after the first line failed, want <= 8"
    set +e
    "$classify" --help >/dev/full 2>"$work/err"
    rc=$?
    set -e
    expect_rc 1
    grep -q 'cannot write the output: No space left on device' "$work/err" || fail "--help >/dev/full"
    ;;
  output_epipe)
    # SIGPIPE ignored (as under many supervisors): the write fails with EPIPE instead of killing
    # the process. The reader takes one byte and goes; the run must stop, not classify all 40.
    distinct 40
    set +e
    (
      trap '' PIPE
      "$classify" --base-url "$url" --format jsonl --concurrency 1 "$work/distinct.ndjson" \
        2>"$work/err" | head -c 1 >/dev/null
      exit "${PIPESTATUS[0]}"
    )
    rc=$?
    set -e
    expect_rc 1
    grep -qx 'alertllm-classify: cannot write the output: Broken pipe' "$work/err" ||
      fail "no EPIPE message"
    got=$(classify_requests)
    [[ $got -lt 40 ]] || fail "the reader was gone, yet all $got alerts were sent to the LLM"
    ;;
  directory_input)
    run "$work"
    expect_rc 2
    grep -qx "alertllm-classify: $work is a directory" "$work/err" || fail "file: not named a directory"
    run <"$work"
    expect_rc 2
    grep -qx 'alertllm-classify: <stdin> is a directory' "$work/err" ||
      fail "stdin: not named a directory"
    [[ $(classify_requests) -eq 0 ]] || fail "requests sent despite bad input"
    ;;
  pipes_and_fifos)
    set +e
    "$classify" --base-url "$url" /dev/stdin <"$testdata/alerts.ndjson" >"$work/out" 2>"$work/err"
    rc=$?
    set -e
    expect_rc 0
    check_jsonl "$ok_line" "$work/fixture_fingerprints"
    set +e
    # shellcheck disable=SC2002  # a pipe, not the file, is what is tested
    cat "$testdata/alerts.ndjson" | "$classify" --base-url "$url" /dev/stdin >"$work/out" 2>"$work/err"
    rc=$?
    set -e
    expect_rc 0
    check_jsonl "$ok_line" "$work/fixture_fingerprints"
    mkfifo "$work/fifo"
    cat "$testdata/alerts.ndjson" >"$work/fifo" &
    run "$work/fifo"
    wait $!
    expect_rc 0
    check_jsonl "$ok_line" "$work/fixture_fingerprints"
    ;;
  metrics_out_fails)
    # Every alert classified, the metrics file not written: a failed run (1), not a usage error.
    run --metrics-out /dev/full "$testdata/alerts_array.json"
    expect_rc 1
    [[ $(lines) -eq 3 ]] || fail "want the 3 results on stdout"
    grep -qx 'alertllm-classify: /dev/full: cannot write the metrics: No space left on device' \
      "$work/err" || fail "no reason for the metrics file"
    ;;
  invalid_base_url)
    for base in 'http://127.0.0.1:99999' 'http://127.0.0.1:abc' 'http://[::1' 'http://:80/'; do
      run --base-url "$base" "$testdata/alerts_array.json"
      expect_rc 2
      grep -qF "base_url: " "$work/err" || fail "$base: the error does not name base_url"
      grep -qF "got '$base'" "$work/err" || fail "$base: the error does not quote the URL"
    done
    run --base-url 'http://user:PASSWORD1@127.0.0.1:99999/?key=KEY1' "$testdata/alerts_array.json"
    expect_rc 2
    grep -qF "got 'http://***:***@127.0.0.1:99999/?key=***'" "$work/err" || fail "URL not masked"
    grep -Eq 'PASSWORD1|KEY1' "$work/err" && fail "a credential was printed"
    ;;
  help)
    run --help
    expect_rc 0
    for word in --format --concurrency --no-cache --base-url --protocol --model --fallback --timeout \
                --max-retries --stats --metrics-out --version fallback_reason 'Exit status'; do
      grep -q -- "$word" "$work/out" || fail "--help does not mention $word"
    done
    # The README's CLI section quotes --help; every option line must be there as printed.
    while IFS= read -r option; do
      grep -Fxq -- "$option" "$readme" || fail "README lacks: $option"
    done < <(grep -E '^  (-|  +\()' "$work/out")
    ;;
  *)
    echo "unknown case $case"; exit 1 ;;
esac
echo "ok ($case)"
