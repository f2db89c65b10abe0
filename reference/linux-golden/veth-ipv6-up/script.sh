#!/bin/bash
# Scenario veth-ipv6-up: what Linux sends on link up with default IPv6 settings.
# tcpdump cannot open a DOWN device ("That device is not up"), so:
#  - capture-any.txt: `tcpdump -i any` in vg-b, started before anything is up
#    (cooked SLL2 framing, shows direction In/Out on veth1);
#  - capture.txt: `tcpdump -i veth1` (Ethernet framing). For this veth1 is
#    brought up FIRST (no carrier while veth0 is down, so nothing is sent),
#    the capture started, then veth0 is brought up: both ends get carrier at
#    the same moment, so the capture sees everything from carrier-up on.
NSLIST="vg-a vg-b"
source "$(dirname "$0")/../common.sh"

run "ip netns add vg-a"
run "ip netns add vg-b"
run "ip link add veth0 netns vg-a address 02:00:00:00:00:0a type veth peer name veth1 netns vg-b address 02:00:00:00:00:0b"
run "ip netns exec vg-a sysctl net.ipv6.conf.veth0.disable_ipv6 net.ipv6.conf.veth0.dad_transmits net.ipv6.conf.veth0.router_solicitations net.ipv6.conf.veth0.router_solicitation_interval net.ipv6.conf.veth0.router_solicitation_delay net.ipv6.conf.veth0.mldv2_unsolicited_report_interval net.ipv6.conf.veth0.force_mld_version net.ipv6.conf.veth0.addr_gen_mode"
start_cap vg-b any "$HERE/capture-any.txt" 40
CAPANY=$LAST_CAP
run "ip -n vg-b link set veth1 up"
sleep 0.3
run "ip -n vg-b -s link show veth1"
start_cap vg-b veth1 "$HERE/capture.txt" 40
CAP=$LAST_CAP
run "date -u +%H:%M:%S.%N"
run "ip -n vg-a link set veth0 up"
run "date -u +%H:%M:%S.%N"
note "sleep 3"
sleep 3
run "ip -n vg-a -s link"
run "ip -n vg-b -s link"
run "ip -n vg-a addr"
run "ip -n vg-b addr"
run "ip -n vg-a -6 route"
run "ip -n vg-b -6 route"
run "ip -n vg-a maddr show dev veth0"
note "sleep 7 (10 s after up)"
sleep 7
run "ip -n vg-a -s link"
run "ip -n vg-b -s link"
run "ip -n vg-a -s -s link"
run "ip -n vg-b -s -s link"
run "ip -n vg-a addr"
run "ip -n vg-a route"
run "ip -n vg-a -6 neigh show"
run "ip -n vg-b -6 neigh show"
run "ip netns exec vg-a ping -c 1 -W 1 fe80::ff:fe00:b%veth0"
run "ip -n vg-a -s link show veth0"
stop_cap $CAP
stop_cap $CAPANY
run "ip netns del vg-a"
run "ip netns del vg-b"
