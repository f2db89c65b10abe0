#!/bin/bash
# Scenario bridge-basic: br0 in vg-br with ports p1/p2 (veth) whose peers h1/h2
# are in vg-h1 (10.0.1.1/24) / vg-h2 (10.0.1.2/24). IPv6 disabled everywhere
# (before devices are created) so counters and fdb are deterministic.
NSLIST="vg-br vg-h1 vg-h2"
source "$(dirname "$0")/../common.sh"

for n in vg-br vg-h1 vg-h2; do
  run "ip netns add $n"
  run "ip netns exec $n sysctl -w net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1"
done
run "ip -n vg-br link add br0 address 02:00:00:00:01:00 type bridge"
run "ip link add p1 netns vg-br address 02:00:00:00:01:01 type veth peer name h1 netns vg-h1 address 02:00:00:00:00:01"
run "ip link add p2 netns vg-br address 02:00:00:00:01:02 type veth peer name h2 netns vg-h2 address 02:00:00:00:00:02"
run "ip -n vg-br -d link show br0"
run "ip -n vg-br link set p1 master br0"
run "ip -n vg-br link set p2 master br0"
run "ip -n vg-br -d link show br0"
run "ip -n vg-br link show"
run "bridge -n vg-br link"
run "ip -n vg-h1 addr add 10.0.1.1/24 dev h1"
run "ip -n vg-h2 addr add 10.0.1.2/24 dev h2"
run "ip -n vg-br link set br0 up"
run "ip -n vg-br link show br0"
run "ip -n vg-br link set p1 up"
run "ip -n vg-br link set p2 up"
run "ip -n vg-h1 link set h1 up"
run "bridge -n vg-br link"
run "ip -n vg-br link show br0"
run "ip -n vg-h2 link set h2 up"
sleep 0.5
run "bridge -n vg-br link"
run "bridge -n vg-br -d link show dev p1"
run "ip -n vg-br link show"
run "ip -n vg-br -d link show p1"
run "bridge -n vg-br fdb show br br0"
run "ip -n vg-br -s link"
run "ip -n vg-h1 addr"
run "ip -n vg-h1 route"
start_cap vg-br p2 "$HERE/capture.txt" 40
CAP=$LAST_CAP
run "ip netns exec vg-h1 ping -c 3 -i 0.2 -W 1 10.0.1.2"
stop_cap $CAP
run "bridge -n vg-br fdb show br br0"
run "bridge -n vg-br fdb show br br0 dynamic"
run "ip -n vg-br -s link"
run "ip -n vg-h1 -s link show h1"
run "ip -n vg-h2 -s link show h2"
run "ip -n vg-br -s -s link"
run "ip -n vg-h1 -s -s link"
run "ip -n vg-h2 -s -s link"
run "ip netns exec vg-br ethtool -k br0 | grep netns"
run "ip netns exec vg-br ethtool -k p1 | grep netns"
run "ip netns exec vg-br ethtool -k br0"
run "ip netns exec vg-br ethtool -i br0"
run "ip netns exec vg-br ethtool -i p1"
for f in ageing_time stp_state forward_delay hello_time max_age priority bridge_id root_id vlan_filtering group_addr; do
  run "ip netns exec vg-br cat /sys/class/net/br0/bridge/$f"
done
run "ip netns exec vg-br cat /sys/class/net/br0/operstate"
run "ip netns exec vg-br cat /sys/class/net/p1/brport/state"
run "ip netns exec vg-br ls /sys/class/net/br0/brif"
run "ip -n vg-br -br link"
run "ip netns del vg-h2"
sleep 0.3
run "bridge -n vg-br link"
run "ip -n vg-br link show"
run "bridge -n vg-br fdb show br br0"
run "ip -n vg-br link del br0"
run "ip -n vg-br link show"
run "ip netns del vg-br"
run "ip netns del vg-h1"
