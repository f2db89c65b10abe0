//! reference/linux-golden/bridge-basic, replayed through the library: br0 (02:00:00:00:01:00)
//! in vg-br with veth ports p1/p2 whose peers h1 (10.0.1.1) and h2 (10.0.1.2) live in vg-h1 and
//! vg-h2 with IP stacks, IPv6 off. Mirrors `br_dev_newlink`, `br_add_if`, `br_port_state_selection`,
//! `br_handle_frame_finish`, `br_pass_frame_up`, `br_fill_info` and `br_port_fill_attrs`.

mod common;

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;

use common::{SEC, enslave, up, veth};
use netdev_bridge::{FdbNud, PortState};
use netdev_core::{IfFlags, MacAddr, NetDevice, NetnsId, Operstate, World};
use stack_adapter::{AddrOpts, PingOpts, Stacks};

/// The `ip -d link show br0` kind attributes before the bridge is up (the golden line, after
/// `bridge `).
const BR0_DOWN: &str = "forward_delay 1500 hello_time 200 max_age 2000 ageing_time 30000 stp_state 0 \
priority 32768 vlan_filtering 0 bridge_id 8000.2:0:0:0:1:0 designated_root 8000.2:0:0:0:1:0 root_port 0 \
root_path_cost 0 topology_change 0 topology_change_detected 0 hello_timer    0.00 tcn_timer    0.00 \
topology_change_timer    0.00 gc_timer    0.00 group_fwd_mask 0 group_address 01:80:c2:00:00:00 \
mcast_snooping 1 no_linklocal_learn 0 mcast_vlan_snooping 0 mcast_router 1 mcast_query_use_ifaddr 0 \
mcast_querier 0 mcast_hash_elasticity 16 mcast_hash_max 4096 mcast_last_member_count 2 \
mcast_startup_query_count 2 mcast_last_member_interval 100 mcast_membership_interval 26000 \
mcast_querier_interval 25500 mcast_query_interval 12500 mcast_query_response_interval 1000 \
mcast_startup_query_interval 3124 mcast_stats_enabled 0 mcast_igmp_version 2 mcast_mld_version 1 \
nf_call_iptables 0 nf_call_ip6tables 0 nf_call_arptables 0 ";

/// `ip -d link show p1`'s `bridge_slave` attributes 0.56 s after p1 started forwarding.
const P1_SLAVE: &str = "state forwarding priority 32 cost 2 hairpin off guard off root_block off fastleave off \
learning on flood on port_id 0x8001 port_no 0x1 designated_port 32769 designated_cost 0 designated_bridge \
8000.2:0:0:0:1:0 designated_root 8000.2:0:0:0:1:0 hold_timer    0.00 message_age_timer    0.00 \
forward_delay_timer   14.44 topology_change_ack 0 config_pending 0 proxy_arp off proxy_arp_wifi off \
mcast_router 1 mcast_fast_leave off mcast_flood on bcast_flood on mcast_to_unicast off neigh_suppress off \
group_fwd_mask 0 group_fwd_mask_str 0x0 vlan_tunnel off isolated off locked off ";

struct Scenario {
    w: World,
    stacks: Stacks,
    br_ns: NetnsId,
    h1_ns: NetnsId,
    h2_ns: NetnsId,
    br0: Arc<NetDevice>,
    p1: Arc<NetDevice>,
    p2: Arc<NetDevice>,
    h1: Arc<NetDevice>,
    h2: Arc<NetDevice>,
}

fn setup() -> Scenario {
    let w = common::world();
    let stacks = stack_adapter::install(&w).unwrap();
    let mut r = w.rtnl();
    let br_ns = r.netns_add("vg-br").unwrap();
    let h1_ns = r.netns_add("vg-h1").unwrap();
    let h2_ns = r.netns_add("vg-h2").unwrap();
    for ns in [br_ns, h1_ns, h2_ns] {
        for k in ["all", "default"] {
            stacks.of(ns).sysctl_set(&mut r, &format!("net.ipv6.conf.{k}.disable_ipv6"), "1").unwrap();
        }
    }
    drop(r);
    let br0 = common::bridge(&w, br_ns, "br0", Some(MacAddr([2, 0, 0, 0, 1, 0])), &[]).unwrap();
    let (p1, h1) = veth(&w, br_ns, "p1", h1_ns, "h1");
    let (p2, h2) = veth(&w, br_ns, "p2", h2_ns, "h2");
    for (d, m) in
        [(&p1, [2, 0, 0, 0, 1, 1]), (&h1, [2, 0, 0, 0, 0, 1]), (&p2, [2, 0, 0, 0, 1, 2]), (&h2, [2, 0, 0, 0, 0, 2])]
    {
        common::set_mac(&w, d, MacAddr(m));
    }
    Scenario { w, stacks, br_ns, h1_ns, h2_ns, br0, p1, p2, h1, h2 }
}

fn kind_line(w: &World, dev: &NetDevice) -> String {
    let r = w.rtnl();
    let k = r.kind("bridge").unwrap();
    let mut s = String::new();
    k.fill_info(dev, &mut s).unwrap();
    s
}

fn slave_line(w: &World, dev: &NetDevice) -> String {
    let r = w.rtnl();
    let mut s = String::new();
    netdev_bridge::fill_slave_info(dev, &r, &mut s).unwrap();
    s
}

fn port_state(dev: &NetDevice) -> PortState {
    netdev_bridge::port_info(dev).unwrap().state
}

#[test]
fn bridge_basic_replays_like_linux() {
    let s = setup();
    let w = &s.w;
    // br_fill_info of a fresh bridge with a user MAC.
    assert_eq!(kind_line(w, &s.br0), BR0_DOWN);
    assert_eq!((s.br0.min_mtu(), s.br0.max_mtu(), s.br0.promiscuity(), s.br0.allmulti()), (68, 65535, 0, 0));
    enslave(w, &s.p1, &s.br0).unwrap();
    enslave(w, &s.p2, &s.br0).unwrap();
    assert_eq!(kind_line(w, &s.br0), BR0_DOWN, "a user-set MAC stays the bridge id");
    assert_eq!(s.p1.master().unwrap().name().as_ref(), "br0");
    // `bridge link`: state disabled, priority 32, cost 2.
    for p in [&s.p1, &s.p2] {
        let i = netdev_bridge::port_info(p).unwrap();
        assert_eq!((i.state, i.priority, i.cost), (PortState::Disabled, 32, 2));
        assert_eq!((p.promiscuity(), p.allmulti()), (1, 1), "promiscuity 1  allmulti 1");
        assert!(!p.flags().contains(IfFlags::PROMISC), "kernel-held promiscuity is not shown in flags");
    }
    let names: Vec<u16> = netdev_bridge::ports(&s.br0).iter().map(|p| p.port_no).collect();
    assert_eq!(names, [2, 1], "newest port first");
    {
        let mut r = w.rtnl();
        let o = AddrOpts::default();
        s.stacks.of(s.h1_ns).addr_add(&mut r, s.h1.ifindex(), [10, 0, 1, 1].into(), 24, &o).unwrap();
        s.stacks.of(s.h2_ns).addr_add(&mut r, s.h2.ifindex(), [10, 0, 1, 2].into(), 24, &o).unwrap();
    }
    up(w, &[&s.br0]);
    // <NO-CARRIER,BROADCAST,MULTICAST,UP> ... state DOWN: the carrier went off at creation.
    assert!(!s.br0.has_carrier());
    assert_eq!(s.br0.operstate(), Operstate::Down);
    up(w, &[&s.p1, &s.p2, &s.h1]);
    assert_eq!(port_state(&s.p1), PortState::Forwarding, "forwarding at once with STP off");
    assert_eq!(port_state(&s.p2), PortState::Disabled, "no carrier: h2 is down");
    assert_eq!(s.br0.operstate(), Operstate::Up);
    assert!(s.br0.flags().contains(IfFlags::LOWER_UP | IfFlags::RUNNING));
    up(w, &[&s.h2]);
    assert_eq!(port_state(&s.p2), PortState::Forwarding);
    w.advance(SEC * 56 / 100).unwrap();
    assert_eq!(slave_line(w, &s.p1), P1_SLAVE);
    // Local entries only: the bridge's and each port's MAC, permanent; no learned entry yet.
    let fdb: Vec<(MacAddr, Option<u32>, FdbNud)> =
        netdev_bridge::fdb(&s.br0).iter().map(|e| (e.mac, e.port_ifindex, e.state)).collect();
    assert_eq!(
        fdb,
        [
            (MacAddr([2, 0, 0, 0, 1, 2]), Some(s.p2.ifindex()), FdbNud::Permanent),
            (MacAddr([2, 0, 0, 0, 1, 1]), Some(s.p1.ifindex()), FdbNud::Permanent),
            (MacAddr([2, 0, 0, 0, 1, 0]), None, FdbNud::Permanent),
        ]
    );

    // ping -c 3 -i 0.2 -W 1 10.0.1.2 from h1.
    let mut cpu = w.cpu(0).unwrap();
    let mut o = PingOpts::new(IpAddr::V4(Ipv4Addr::new(10, 0, 1, 2)), 3);
    o.interval_ns = SEC / 5;
    o.timeout_ns = Some(SEC);
    let rep = s.stacks.of(s.h1_ns).ping(&mut cpu, &o).unwrap();
    assert_eq!((rep.transmitted, rep.received, rep.exit_code), (3, 3, 0), "{rep:?}");
    drop(cpu);
    // Counters (golden, minus the bridge's own IGMP report the simulator does not send: br0 TX
    // 54/1 dropped 1 and 54 B / 1 packet more on each port's and host's TX/RX are absent).
    let c = |d: &NetDevice| {
        let s = d.stats64();
        (s.rx_bytes, s.rx_packets, s.tx_bytes, s.tx_packets, s.rx_dropped, s.tx_dropped, s.multicast)
    };
    assert_eq!(c(&s.p1), (336, 4, 336, 4, 0, 0, 0));
    assert_eq!(c(&s.p2), (336, 4, 336, 4, 0, 0, 0));
    assert_eq!(c(&s.h1), (336, 4, 336, 4, 0, 0, 0));
    assert_eq!(c(&s.h2), (336, 4, 336, 4, 0, 0, 0));
    assert_eq!(c(&s.br0), (28, 1, 0, 0, 0, 0, 0), "only the ARP request went up br0, counted without its header");
    // Two dynamic entries appeared, newest first within each port.
    let fdb: Vec<(MacAddr, Option<u32>, FdbNud)> =
        netdev_bridge::fdb(&s.br0).iter().map(|e| (e.mac, e.port_ifindex, e.state)).collect();
    let dynamic: Vec<_> = fdb.iter().filter(|e| e.2 == FdbNud::Reachable).collect();
    assert_eq!(
        dynamic,
        [
            &(MacAddr([2, 0, 0, 0, 0, 2]), Some(s.p2.ifindex()), FdbNud::Reachable),
            &(MacAddr([2, 0, 0, 0, 0, 1]), Some(s.p1.ifindex()), FdbNud::Reachable)
        ]
    );
    // sysfs values.
    let i = netdev_bridge::info(&s.br0).unwrap();
    assert_eq!(
        (i.ageing_time, i.stp_state, i.forward_delay, i.hello_time, i.max_age, i.priority),
        (30000, 0, 1500, 200, 2000, 32768)
    );
    assert_eq!(i.bridge_id.sysfs(), "8000.020000000100");
    assert_eq!(i.root_id.sysfs(), "8000.020000000100");
    assert_eq!(i.group_addr.to_string(), "01:80:c2:00:00:00");
    assert_eq!(netdev_bridge::port_info(&s.p1).unwrap().state as u8, 3);
    assert!(s.br0.netns_immutable());

    // ip netns del vg-h2: p2 leaves the bridge with its FDB entries.
    w.rtnl().netns_del(s.h2_ns).unwrap();
    let ports: Vec<u32> = netdev_bridge::ports(&s.br0).iter().map(|p| p.ifindex).collect();
    assert_eq!(ports, [s.p1.ifindex()]);
    assert!(netdev_bridge::fdb(&s.br0).iter().all(|e| e.port_ifindex != Some(s.p2.ifindex())));
    assert_eq!(netdev_bridge::fdb(&s.br0).len(), 3, "br0's, p1's and h1's entries remain");
    assert_eq!(s.br0.operstate(), Operstate::Up, "p1 still forwards");
    // ip link del br0: p1 is released (no master, promiscuity and allmulti back to 0).
    let mut r = w.rtnl();
    r.dellink(&s.br0).unwrap();
    drop(r);
    assert!(s.p1.master().is_none());
    assert_eq!((s.p1.promiscuity(), s.p1.allmulti()), (0, 0));
    assert!(!s.p1.has_rx_handler());
    assert!(s.p1.is_up(), "the port keeps its own state");
    let _ = s.br_ns;
}

/// The bridge device as an IP interface: a host pings an address on br0. The request goes up
/// br0 (`br_pass_frame_up`), the reply goes out through `br_dev_xmit` to the one port the host
/// was learned on, and br0 counts both directions (rx without, tx with the Ethernet header).
#[test]
fn hosts_reach_an_address_on_the_bridge() {
    let s = setup();
    let w = &s.w;
    enslave(w, &s.p1, &s.br0).unwrap();
    enslave(w, &s.p2, &s.br0).unwrap();
    {
        let mut r = w.rtnl();
        let o = AddrOpts::default();
        s.stacks.of(s.h1_ns).addr_add(&mut r, s.h1.ifindex(), [10, 0, 1, 1].into(), 24, &o).unwrap();
        s.stacks.of(s.br_ns).addr_add(&mut r, s.br0.ifindex(), [10, 0, 1, 254].into(), 24, &o).unwrap();
    }
    up(w, &[&s.br0, &s.p1, &s.p2, &s.h1, &s.h2]);
    let mut cpu = w.cpu(0).unwrap();
    let mut o = PingOpts::new(IpAddr::V4(Ipv4Addr::new(10, 0, 1, 254)), 2);
    o.interval_ns = SEC / 5;
    o.timeout_ns = Some(SEC);
    let rep = s.stacks.of(s.h1_ns).ping(&mut cpu, &o).unwrap();
    assert_eq!((rep.transmitted, rep.received), (2, 2), "{rep:?}");
    // ARP request (broadcast, 28 up) + 2 echo requests (84 up); ARP reply 42 + 2 × 98 out.
    let b = s.br0.stats64();
    assert_eq!((b.rx_packets, b.rx_bytes, b.tx_packets, b.tx_bytes), (3, 28 + 2 * 84, 3, 42 + 2 * 98));
    // Only the broadcast ARP request was flooded to p2; the unicast replies went to p1 alone.
    let p2 = s.p2.stats64();
    assert_eq!((p2.tx_packets, p2.tx_bytes), (1, 42));
    let p1 = s.p1.stats64();
    assert_eq!((p1.tx_packets, p1.tx_bytes), (3, 42 + 2 * 98));
}
