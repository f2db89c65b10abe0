# Shared helpers for the linux-golden reference scripts.
# Sourced by every <scenario>/script.sh; each script sets NSLIST before sourcing.
# Safety: only namespaces named vg-* (listed in NSLIST) are created/deleted.
set -u
export LC_ALL=C
HERE="$(cd "$(dirname "${BASH_SOURCE[1]}")" && pwd)"
TRANSCRIPT="$HERE/transcript.txt"
CAP_PIDS=()

cleanup() {
  local p n
  for p in "${CAP_PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
  for n in $NSLIST; do
    case "$n" in vg-*) ip netns del "$n" 2>/dev/null ;; esac
  done
}
trap cleanup EXIT INT TERM

# pre-clean leftovers of a previous aborted run (only our own names)
for _n in $NSLIST; do case "$_n" in vg-*) ip netns del "$_n" 2>/dev/null ;; esac; done
: >"$TRANSCRIPT"

# run CMD: execute CMD (a shell string) and append a transcript block:
#   $ CMD
#   --- stdout        (only if stdout non-empty; then stdout verbatim)
#   --- stderr        (only if stderr non-empty; then stderr verbatim)
#   --- rc=N
# If an output does not end in a newline, one newline is appended.
run() {
  local cmd="$1" o e rc
  o=$(mktemp); e=$(mktemp)
  eval "$cmd" >"$o" 2>"$e"; rc=$?
  {
    printf '$ %s\n' "$cmd"
    if [ -s "$o" ]; then echo '--- stdout'; cat "$o"; [ -n "$(tail -c1 "$o")" ] && echo; fi
    if [ -s "$e" ]; then echo '--- stderr'; cat "$e"; [ -n "$(tail -c1 "$e")" ] && echo; fi
    echo "--- rc=$rc"
  } >>"$TRANSCRIPT"
  rm -f "$o" "$e"
  return 0
}

# note TEXT: a comment line in the transcript (starts with '#')
note() { printf '# %s\n' "$*" >>"$TRANSCRIPT"; }

# start_cap NS IFACE OUTFILE TIMEOUT_S : bounded tcpdump (-c and timeout) in background
start_cap() {
  local ns="$1" ifc="$2" out="$3" to="$4" i
  ip netns exec "$ns" timeout "$to" tcpdump -n -e -vv -U -c 2000 -i "$ifc" >"$out" 2>"${out%.txt}.stderr.txt" &
  CAP_PIDS+=($!)
  LAST_CAP=$!
  for i in $(seq 50); do grep -q "listening on" "${out%.txt}.stderr.txt" 2>/dev/null && break; sleep 0.1; done
  sleep 0.2
}
# stop_cap PID : let late packets arrive, then stop tcpdump (SIGTERM flushes + prints stats)
stop_cap() { sleep 0.5; kill -TERM "$1" 2>/dev/null; wait "$1" 2>/dev/null; }
