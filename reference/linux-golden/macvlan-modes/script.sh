#!/bin/bash
# Scenario macvlan-modes: lower device = veth end "lower0" in vg-lo (peer
# "lower1" in vg-lp, both up). Two macvlans on lower0, each moved to its own
# namespace (vg-m1 10.0.2.1/24, vg-m2 10.0.2.2/24); ping m1 -> m2 in bridge
# mode, then the same in vepa mode. IPv6 disabled everywhere before creation.
NSLIST="vg-lo vg-lp vg-m1 vg-m2"
source "$(dirname "$0")/../common.sh"

for n in vg-lo vg-lp vg-m1 vg-m2; do
  run "ip netns add $n"
  run "ip netns exec $n sysctl -w net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1"
done
run "ip link add lower0 netns vg-lo address 02:00:00:00:02:00 type veth peer name lower1 netns vg-lp address 02:00:00:00:02:ff"
run "ip -n vg-lo link set lower0 up"
run "ip -n vg-lp link set lower1 up"

for mode in bridge vepa; do
  note "=== mode $mode ==="
  run "ip -n vg-lo link add link lower0 name mv1 address 02:00:00:00:02:01 type macvlan mode $mode"
  run "ip -n vg-lo link add link lower0 name mv2 address 02:00:00:00:02:02 type macvlan mode $mode"
  run "ip -n vg-lo -d link show mv1"
  run "ip -n vg-lo -d link show mv2"
  run "ip -n vg-lo -d link show lower0"
  run "ip -n vg-lo link set mv1 netns vg-m1"
  run "ip -n vg-lo link set mv2 netns vg-m2"
  run "ip -n vg-m1 addr add 10.0.2.1/24 dev mv1"
  run "ip -n vg-m2 addr add 10.0.2.2/24 dev mv2"
  run "ip -n vg-m1 link set mv1 up"
  run "ip -n vg-m2 link set mv2 up"
  run "ip -n vg-m1 -d link show mv1"
  run "ip -n vg-m1 addr"
  run "ip -n vg-m1 route"
  start_cap vg-lp lower1 "$HERE/capture-$mode.txt" 40
  CAP=$LAST_CAP
  run "ip netns exec vg-m1 ping -c 3 -i 0.2 -W 1 10.0.2.2"
  stop_cap $CAP
  run "ip -n vg-m1 neigh show"
  run "ip -n vg-m1 -s link show mv1"
  run "ip -n vg-m2 -s link show mv2"
  run "ip -n vg-lo -s link show lower0"
  run "ip -n vg-lp -s link show lower1"
  run "ip -n vg-m1 -s -s link"
  run "ip -n vg-lo -s -s link"
  run "ip -n vg-lo link show"
  run "ip -n vg-m1 link del mv1"
  run "ip -n vg-m2 link del mv2"
done
run "ip -n vg-lo link add link lower0 name mv3 type macvlan mode private"
run "ip -n vg-lo link add link lower0 name mv4 type macvlan mode passthru"
run "ip -n vg-lo link add link lower0 name mv5 type macvlan mode source"
run "ip -n vg-lo -d link show"
run "ip -n vg-lo link set lower0 down"
run "ip -n vg-lo link show"
for n in vg-m1 vg-m2 vg-lo vg-lp; do run "ip netns del $n"; done
