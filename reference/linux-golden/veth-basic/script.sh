#!/bin/bash
# Scenario veth-basic: veth pair across two namespaces, link state at each stage.
# IPv6 is disabled in both namespaces (before the veth is created) so that no
# IPv6 autoconf traffic makes the counters timing-dependent.
NSLIST="vg-a vg-b"
source "$(dirname "$0")/../common.sh"

stage() {
  note "stage: $1"
  run "ip -n vg-a link show"
  run "ip -n vg-a -d link show veth0"
  run "ip -n vg-a -s link"
  run "ip -n vg-a -j link show veth0"
  run "ip -n vg-a -br link"
  run "ip -n vg-b -br link"
  for f in operstate carrier carrier_changes carrier_up_count carrier_down_count flags mtu; do
    run "ip netns exec vg-a cat /sys/class/net/veth0/$f"
  done
  for f in operstate carrier carrier_changes flags; do
    run "ip netns exec vg-b cat /sys/class/net/veth1/$f"
  done
}

run "ip netns add vg-a"
run "ip netns add vg-b"
run "ip netns exec vg-a sysctl -w net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1"
run "ip netns exec vg-b sysctl -w net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1"
run "ip link add veth0 netns vg-a address 02:00:00:00:00:0a type veth peer name veth1 netns vg-b address 02:00:00:00:00:0b"
run "ip netns exec vg-a cat /sys/class/net/veth0/addr_assign_type"
run "ip netns exec vg-a cat /sys/class/net/veth0/ifindex"
run "ip netns exec vg-a cat /sys/class/net/veth0/iflink"
run "ip netns exec vg-a cat /sys/class/net/veth0/type"
run "ip netns exec vg-a cat /sys/class/net/veth0/tx_queue_len"
stage "both down"
run "ip -n vg-a link set veth0 up"
sleep 0.5
stage "veth0 up, veth1 down"
run "ip -n vg-b link set veth1 up"
sleep 0.5
stage "both up"
run "ip -n vg-a -s -s link"
run "ip -n vg-b -s -s link"
run "ip -n vg-b -d link show veth1"
run "ip -n vg-b link set veth1 down"
sleep 0.5
stage "veth1 down again"
run "ip netns del vg-a"
run "ip -n vg-b link show"
run "ip netns del vg-b"
