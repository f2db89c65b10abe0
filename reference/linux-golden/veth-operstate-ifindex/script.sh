#!/bin/bash
# Scenario veth-operstate-ifindex (extra): the kernel computes the operstate of
# an UP device without carrier as LOWERLAYERDOWN when its iflink (the peer's
# ifindex) != its own ifindex AND a device with that ifindex exists in the
# device's OWN namespace (looked up there even when the peer lives elsewhere;
# the state of that unrelated device does not matter here), otherwise DOWN.
# In veth-basic both ends have ifindex 2, so veth0 shows "state DOWN".
# Part 1: an unrelated device occupies the peer's index in vg-a -> LOWERLAYERDOWN.
# Part 2: peer index 4 does not exist in vg-c -> DOWN.
NSLIST="vg-a vg-b vg-c vg-d"
source "$(dirname "$0")/../common.sh"

run "ip netns add vg-a"
run "ip netns add vg-b"
run "ip netns exec vg-a sysctl -w net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1"
run "ip netns exec vg-b sysctl -w net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1"
run "ip -n vg-a link add x0 address 02:00:00:00:00:f0 type veth peer name x1 address 02:00:00:00:00:f1"
run "ip link add veth0 netns vg-a address 02:00:00:00:00:0a type veth peer name veth1 netns vg-b address 02:00:00:00:00:0b"
run "ip -n vg-a link show"
run "ip -n vg-b link show"
run "ip -n vg-a link set veth0 up"
run "ip -n vg-a link show veth0"
run "ip netns exec vg-a cat /sys/class/net/veth0/operstate"
run "ip -n vg-a link set x0 up"
run "ip -n vg-a link set x1 up"
run "ip -n vg-a link show"
run "ip netns exec vg-a cat /sys/class/net/veth0/operstate"
run "ip -n vg-a link set veth0 down"
run "ip -n vg-a link set veth0 up"
run "ip -n vg-a link show veth0"
run "ip netns exec vg-a cat /sys/class/net/veth0/operstate"
run "ip -n vg-a -s -s link"
note "part 2"
run "ip netns add vg-c"
run "ip netns add vg-d"
run "ip netns exec vg-c sysctl -w net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1"
run "ip netns exec vg-d sysctl -w net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1"
run "ip -n vg-d link add y0 address 02:00:00:00:00:e0 type veth peer name y1 address 02:00:00:00:00:e1"
run "ip link add veth0 netns vg-c address 02:00:00:00:00:0c type veth peer name veth1 netns vg-d address 02:00:00:00:00:0d"
run "ip -n vg-c link set veth0 up"
run "ip -n vg-c link show"
run "ip -n vg-d link show"
run "ip netns exec vg-c cat /sys/class/net/veth0/operstate"
run "ip netns del vg-a"
run "ip netns del vg-b"
run "ip netns del vg-c"
run "ip netns del vg-d"
