# shellcheck shell=bash
# Helpers the end-to-end scripts source: one HTTP request over bash's /dev/tcp, and the port a
# service prints in its "listening on http://127.0.0.1:PORT" line.

# e2e_http PORT METHOD PATH [BODY_FILE] [HEADER_LINE]: prints the whole HTTP response
# (Connection: close; at most 30 s). HEADER_LINE is one more header, "Name: value".
e2e_http() {
  local port=$1 method=$2 path=$3 file=${4:-} header=${5:-} length=0
  [[ -n $file ]] && length=$(wc -c <"$file")
  [[ -n $header ]] && header+=$'\r\n'
  exec 3<>"/dev/tcp/127.0.0.1/$port"
  printf '%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n%sContent-Length: %d\r\nConnection: close\r\n\r\n' \
    "$method" "$path" "$header" "$length" >&3
  [[ -n $file ]] && cat "$file" >&3
  timeout 30 cat <&3
  exec 3<&-
}

# e2e_port PID OUT_FILE: prints the port of the first line of OUT_FILE once the service at PID
# writes "listening on http://127.0.0.1:PORT" there (within 5 s); returns 1 if it exits first
# or never does.
e2e_port() {
  local pid=$1 out=$2 line
  for _ in $(seq 1 500); do
    line=$(head -n 1 "$out" 2>/dev/null || true)
    if [[ $line =~ ^listening\ on\ http://127\.0\.0\.1:([0-9]+)$ ]]; then
      echo "${BASH_REMATCH[1]}"
      return 0
    fi
    kill -0 "$pid" 2>/dev/null || return 1
    sleep 0.01
  done
  return 1
}
