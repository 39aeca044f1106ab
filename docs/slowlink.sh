#!/bin/sh
# slowlink.sh measures viewers on thin links: it makes its own network
# namespace, shapes the link of each slow viewer with tc (one tbf per
# viewer, picked out by the viewer's local port) and leaves the fast
# viewers on the unshaped loopback, then runs framecast and framecast-load
# inside it. It needs root, ip and tc (iproute2); it touches no other
# namespace and no address but the namespace's own loopback.
#
#   docs/slowlink.sh RATE [SLOW] [FAST] [SECONDS] [extra framecast-load flags]
#
# RATE is a tc rate (200kbit, 400kbit, 2mbit). Footage and binaries come
# from docs/bench.sh's $BENCH (default /tmp/fcbench); FRAMECAST=path runs
# another framecast binary (to compare two builds in one sitting), and
# FRAMECAST_FLAGS adds flags to it. ROUNDS alternates rounds as bench.sh does.
set -eu
BENCH=${BENCH:-/tmp/fcbench}
SRC=${SRC:-$(cd "$(dirname "$0")/.." && pwd)}
rate=${1:?usage: $0 RATE [SLOW] [FAST] [SECONDS] [flags]}
slow=${2:-1} fast=${3:-0} secs=${4:-60}
shift; [ $# -gt 0 ] && shift; [ $# -gt 0 ] && shift; [ $# -gt 0 ] && shift
[ "$(id -u)" = 0 ] || { echo "slowlink.sh: needs root (ip netns, tc)" >&2; exit 2; }
command -v tc >/dev/null && command -v ip >/dev/null || { echo "slowlink.sh: needs ip and tc (apt-get install iproute2)" >&2; exit 2; }
size=${SIZE:-640x480}
f="$BENCH/$size.mjpeg"
[ -s "$f" ] || "$SRC/docs/bench.sh" footage
[ -x "$BENCH/framecast-load" ] || (cd "$SRC" && CGO_ENABLED=0 go build -o "$BENCH/framecast-load" ./cmd/framecast-load)
fcbin=${FRAMECAST:-$BENCH/framecast}
[ -x "$fcbin" ] || (cd "$SRC" && CGO_ENABLED=0 go build -o "$BENCH/framecast" ./cmd/framecast)

ns=fcslow$$
base=40000
ip netns add $ns
trap 'ip netns del $ns 2>/dev/null || true' EXIT INT TERM
nx() { ip netns exec $ns "$@"; }
nx ip link set lo up
# Loopback's 64 KB packets do not fit a 16 KB token bucket: use an
# Ethernet-sized MTU, as a real link has.
nx ip link set lo mtu 1500
nx tc qdisc add dev lo root handle 1: htb default 1
nx tc class add dev lo parent 1: classid 1:1 htb rate 40gbit
i=0
while [ $i -lt "$slow" ]; do
	c=$((100 + i))
	nx tc class add dev lo parent 1: classid 1:$c htb rate 40gbit
	nx tc qdisc add dev lo parent 1:$c handle $c: tbf rate "$rate" burst 16kb latency 50ms
	# Server to viewer i: the packets whose destination port is its own.
	nx tc filter add dev lo parent 1: protocol ip prio 1 u32 match ip dport $((base + i)) 0xffff flowid 1:$c
	i=$((i + 1))
done

# Not through nx: $! must be framecast's own pid (ip netns exec execs it).
ip netns exec $ns "$fcbin" -source "file:$f" -fps 30 -listen 127.0.0.1:0 -idle-timeout 0 \
	-log-level warn ${FRAMECAST_FLAGS:-} >"$BENCH/slow-fc.out" 2>&1 &
fc=$!
trap 'kill $fc 2>/dev/null || true; ip netns del $ns 2>/dev/null || true' EXIT INT TERM
for _ in $(seq 30); do grep -q 'at http' "$BENCH/slow-fc.out" 2>/dev/null && break; sleep 0.2; done
url=$(sed -n 's/.* at \(http:[^ ]*\).*/\1/p' "$BENCH/slow-fc.out")
echo "link $rate for $slow slow viewers ($(nx tc -s qdisc show dev lo | grep -c tbf) tbf), $fast fast viewers unshaped; $(wc -c <"$f") bytes of footage; $(cat /proc/loadavg)"
nx "$BENCH/framecast-load" -url "${url}stream${QUERY:-}" -pid $fc -n $((slow + fast)) -slow "$slow" -slow-port $base \
	-duration "${secs}s" -warmup 5s -rounds "${ROUNDS:-1}" -label "slowlink $rate" "$@"
kill $fc 2>/dev/null || true
wait $fc 2>/dev/null || true
