#!/usr/bin/env bash
# ctest example.DemoLeavesNoProcess: scripts/demo.sh stops every server it started, whether it
# ends normally, fails half-way (a webhook that cannot start) or is interrupted (SIGINT, as
# Ctrl-C sends, and SIGTERM) while its servers run. With job control on, each run is a process
# group of its own (and SIGINT is not ignored in it, as it would be in a background job of a
# script without job control); the processes it leaves are exactly those still in that group.
# Usage: demo_cleanup_test.sh BUILD_DIR (a tree with bin/alertllm-{mock-proxy,classify,webhook})
set -euo pipefail
build=$1
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

set -m

# The pids of the processes of group PGID, from /proc (field 5 of stat; no procps needed).
group_pids() {
  local pgid=$1 stat rest group
  for stat in /proc/[0-9]*/stat; do
    rest=$(cat "$stat" 2>/dev/null) || continue
    rest=${rest##*) }  # after "pid (comm) ", which may hold spaces
    read -r _ _ group _ <<<"$rest"
    [[ $group == "$pgid" ]] && echo "${stat//[^0-9]/}"
  done
  return 0
}

# run NAME BUILD_DIR [SIGNAL]: the demo in a process group of its own; with SIGNAL, sent to it once
# its webhook is up. Prints the demo's exit status; fails if any process of the session is left.
run() {
  local name=$1 dir=$2 signal=${3:-} pid status=0 left
  ALERTLLM_DEMO_BUILD_DIR=$dir bash "$root/scripts/demo.sh" >"$work/$name.out" 2>&1 &
  pid=$!  # with job control, the group's id
  if [[ -n $signal ]]; then
    for _ in $(seq 600); do
      grep -q '^alertllm-webhook on ' "$work/$name.out" && break
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.05
    done
    grep -q '^alertllm-webhook on ' "$work/$name.out" || fail "$name: the webhook never started"
    kill "-$signal" "$pid"
  fi
  wait "$pid" || status=$?
  left=$(group_pids "$pid")
  [[ -z $left ]] || fail "$name: processes left: $(for p in $left; do tr '\0' ' ' <"/proc/$p/cmdline"; echo; done)"
  echo "$status"
}

[[ $(run normal "$build") -eq 0 ]] || fail "normal: the demo failed: $(tail -n 20 "$work/normal.out")"
[[ $(run sigint "$build" INT) -ne 0 ]] || fail "sigint: exit 0"
[[ $(run sigterm "$build" TERM) -ne 0 ]] || fail "sigterm: exit 0"

# A webhook that cannot start: the demo fails after starting two proxies, and stops them.
mkdir -p "$work/broken/bin"
ln -s "$build/bin/alertllm-mock-proxy" "$build/bin/alertllm-classify" "$work/broken/bin/"
printf '#!/bin/sh\necho "cannot start" >&2\nexit 1\n' >"$work/broken/bin/alertllm-webhook"
chmod +x "$work/broken/bin/alertllm-webhook"
[[ $(run broken "$work/broken") -ne 0 ]] || fail "broken: exit 0"
echo "ok: no process left after a normal run, SIGINT, SIGTERM and a failure"
