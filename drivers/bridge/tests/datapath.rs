//! The receive, forwarding and flooding paths (kernel-l2.md §4.5, §4.6, §4.9; scenarios T18,
//! T19, T21, T22, T23): `br_handle_frame`, `br_handle_frame_finish`, `br_pass_frame_up`,
//! `br_forward`, `br_flood`, `should_deliver`, `br_dev_xmit`, `br_setport`.

mod common;

use common::{Lan, frame, mac, send};
use netdev_bridge::{PortConfig, PortState, parse_port_args};
use netdev_core::{Errno, MacAddr, PktType};

const IP: u16 = 0x0800;
const BCAST: MacAddr = MacAddr::BROADCAST;

fn set_port(lan: &Lan, i: usize, args: &[&str]) -> netdev_core::Result<()> {
    let cfg: PortConfig = parse_port_args(args).unwrap();
    netdev_bridge::set_port(&mut lan.w.rtnl(), &lan.ports[i - 1], &cfg)
}

/// T18 (`br_fdb_update`, `br_flood`, `br_forward`): unknown unicast floods to every port but
/// the ingress one, the reply goes only where the source was learned, and the FDB shows both.
#[test]
fn learning_flooding_and_no_reflection() {
    let lan = Lan::new(3, &[]);
    let mut cpu = lan.cpu();
    lan.send_from(&mut cpu, 1, &frame(mac(2), mac(1), IP, 1, 60));
    assert_eq!(lan.receivers(), [2, 3], "flooded, not back to h1");
    lan.send_from(&mut cpu, 2, &frame(mac(1), mac(2), IP, 2, 60));
    assert_eq!(lan.receivers(), [1], "known unicast goes to its port only");
    lan.send_from(&mut cpu, 1, &frame(mac(2), mac(1), IP, 3, 60));
    assert_eq!(lan.receivers(), [2]);
    let learned: Vec<(MacAddr, Option<u32>)> = netdev_bridge::fdb(&lan.br)
        .iter()
        .filter(|e| e.state == netdev_bridge::FdbNud::Reachable)
        .map(|e| (e.mac, e.port_ifindex))
        .collect();
    assert_eq!(learned, [(mac(2), Some(lan.ports[1].ifindex())), (mac(1), Some(lan.ports[0].ifindex()))]);
    assert!(lan.local.take().is_empty(), "unicast to other hosts does not go up br0");
    // The ports count what went through them: p1 received 2 frames and sent 1.
    let s = lan.ports[0].stats64();
    assert_eq!((s.rx_packets, s.tx_packets), (2, 1));
}

/// T19 (`should_deliver`): a frame to an address learned on its own ingress port goes nowhere;
/// with hairpin on, it goes back out of that port.
#[test]
fn same_port_destination_is_dropped_unless_hairpin() {
    let lan = Lan::new(3, &[]);
    let mut cpu = lan.cpu();
    // B (mac 9) is behind p1 too (a second host on h1's segment).
    lan.send_from(&mut cpu, 1, &frame(BCAST, mac(9), IP, 0, 60));
    assert_eq!(lan.receivers(), [2, 3]);
    let drops = lan.w.total_drops();
    lan.send_from(&mut cpu, 1, &frame(mac(9), mac(1), IP, 1, 60));
    assert_eq!(lan.receivers(), Vec::<usize>::new(), "not forwarded, not flooded");
    assert_eq!(lan.w.total_drops(), drops + 1);
    set_port(&lan, 1, &["hairpin", "on"]).unwrap();
    assert!(netdev_bridge::port_info(&lan.ports[0]).unwrap().flags.contains(netdev_bridge::PortFlags::HAIRPIN));
    lan.send_from(&mut cpu, 1, &frame(mac(9), mac(1), IP, 2, 60));
    assert_eq!(lan.receivers(), [1], "hairpin sends it back out of p1");
}

/// `br_handle_frame_finish` + `br_pass_frame_up`: broadcast floods and goes up br0 (counted
/// without the Ethernet header); unicast to the bridge's or a port's own MAC goes up only;
/// multicast floods, goes up, and counts in br0's multicast counter.
#[test]
fn local_delivery_up_the_bridge() {
    let lan = Lan::new(2, &[]);
    let mut cpu = lan.cpu();
    lan.send_from(&mut cpu, 1, &frame(BCAST, mac(1), IP, 0, 100));
    assert_eq!(lan.receivers(), [2]);
    let up = lan.local.take();
    assert_eq!(up.len(), 1);
    assert_eq!((up[0].dev.as_str(), up[0].pkt_type), ("br0", PktType::Broadcast));
    let s = lan.br.stats64();
    assert_eq!((s.rx_packets, s.rx_bytes, s.multicast), (1, 86, 0));
    // To br0's MAC: up only, as PACKET_HOST.
    lan.send_from(&mut cpu, 1, &frame(lan.br.address(), mac(1), IP, 1, 60));
    assert_eq!(lan.receivers(), Vec::<usize>::new());
    let up = lan.local.take();
    assert_eq!((up.len(), up[0].pkt_type), (1, PktType::Host));
    // To p2's own MAC: a local entry, so up br0 and not forwarded to h2 (kernel-l2 §4.5 step 8).
    lan.send_from(&mut cpu, 1, &frame(lan.ports[1].address(), mac(1), IP, 2, 60));
    assert_eq!(lan.receivers(), Vec::<usize>::new());
    assert_eq!(lan.local.take().len(), 1);
    // Multicast.
    lan.send_from(&mut cpu, 1, &frame(MacAddr([1, 0, 0x5e, 0, 0, 9]), mac(1), IP, 3, 60));
    assert_eq!(lan.receivers(), [2]);
    let up = lan.local.take();
    assert_eq!(up[0].pkt_type, PktType::Multicast);
    assert_eq!(lan.br.stats64().multicast, 1);
}

/// `br_handle_frame`: a zero or multicast source MAC is dropped before anything else.
#[test]
fn invalid_source_is_dropped() {
    let lan = Lan::new(2, &[]);
    let mut cpu = lan.cpu();
    lan.send_from(&mut cpu, 1, &frame(BCAST, MacAddr([1, 2, 3, 4, 5, 6]), IP, 0, 60));
    lan.send_from(&mut cpu, 1, &frame(BCAST, MacAddr::ZERO, IP, 0, 60));
    assert_eq!(lan.receivers(), Vec::<usize>::new());
    assert!(lan.local.take().is_empty());
    assert_eq!(lan.w.drop_counts().get(&netdev_core::DropReason::MacInvalidSource), Some(&2));
    assert!(netdev_bridge::fdb(&lan.br).iter().all(|e| e.state == netdev_bridge::FdbNud::Permanent));
}

/// T21 (`br_handle_frame`'s link-local switch): LLDP stays on the port device (its own stack
/// sees it, br0 does not) until `group_fwd_mask 0x4000`; PAUSE is never forwarded; an STP BPDU
/// with STP off floods like data; the restricted mask bits are refused.
#[test]
fn link_local_frames_and_group_fwd_mask() {
    let lan = Lan::new(3, &[]);
    let mut cpu = lan.cpu();
    let lldp = MacAddr([1, 0x80, 0xc2, 0, 0, 0x0e]);
    lan.send_from(&mut cpu, 1, &frame(lldp, mac(1), 0x88cc, 0, 60));
    assert_eq!(lan.receivers(), Vec::<usize>::new());
    let got = lan.local.take();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].dev, "p1", "passed to the port device, not br0");
    assert!(
        netdev_bridge::fdb(&lan.br).iter().any(|e| e.mac == mac(1)),
        "learned on the way (__br_handle_local_finish)"
    );
    common::bridge_set(&lan.w, &lan.br, &["group_fwd_mask", "0x4000"]).unwrap();
    lan.send_from(&mut cpu, 1, &frame(lldp, mac(1), 0x88cc, 1, 60));
    assert_eq!(lan.receivers(), [2, 3]);
    let got = lan.local.take();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].dev, "br0", "forwarded link-local frames are multicast data: they go up br0 too");
    assert_eq!(netdev_bridge::info(&lan.br).unwrap().group_fwd_mask, 0x4000);
    for m in ["0x1", "0x2", "0x4"] {
        assert_eq!(common::bridge_set(&lan.w, &lan.br, &["group_fwd_mask", m]), Err(Errno::Einval.into()), "{m}");
    }
    // PAUSE: dropped even with its bit in a port mask (which is refused anyway).
    assert_eq!(set_port(&lan, 1, &["group_fwd_mask", "0x2"]), Err(Errno::Einval.into()));
    set_port(&lan, 1, &["group_fwd_mask", "0x1"]).unwrap();
    lan.send_from(&mut cpu, 1, &frame(MacAddr([1, 0x80, 0xc2, 0, 0, 1]), mac(1), 0x8808, 0, 60));
    assert_eq!(lan.receivers(), Vec::<usize>::new());
    assert!(lan.local.take().is_empty());
    // An STP BPDU with STP off is flooded like a normal frame.
    let mut bpdu = frame(MacAddr([1, 0x80, 0xc2, 0, 0, 0]), mac(1), 38, 0x42, 60);
    bpdu[15] = 0x42;
    bpdu[16] = 3;
    lan.send_from(&mut cpu, 2, &bpdu);
    assert_eq!(lan.receivers(), [1, 3]);
}

/// T22 (`br_flood`'s per-port flags): `flood off` stops unknown unicast but not broadcast;
/// `bcast_flood off` stops broadcast from other ports but not the bridge's own; `learning off`
/// learns nothing.
#[test]
fn per_port_flood_and_learning_flags() {
    let lan = Lan::new(3, &[]);
    let mut cpu = lan.cpu();
    set_port(&lan, 3, &["flood", "off"]).unwrap();
    lan.send_from(&mut cpu, 1, &frame(mac(0x77), mac(1), IP, 0, 60));
    assert_eq!(lan.receivers(), [2]);
    lan.send_from(&mut cpu, 1, &frame(BCAST, mac(1), IP, 0, 60));
    assert_eq!(lan.receivers(), [2, 3]);
    set_port(&lan, 3, &["bcast_flood", "off", "flood", "on"]).unwrap();
    lan.send_from(&mut cpu, 1, &frame(BCAST, mac(1), IP, 0, 60));
    assert_eq!(lan.receivers(), [2]);
    // br_dev_xmit: the bridge's own broadcast still reaches p3.
    lan.local.take();
    send(&mut cpu, &lan.br, &frame(BCAST, lan.br.address(), IP, 0, 60));
    assert_eq!(lan.receivers(), [1, 2, 3]);
    assert_eq!(lan.br.stats64().tx_packets, 1, "br_dev_xmit counts before forwarding");
    assert!(lan.local.take().iter().all(|g| g.dev != "br0"), "not looped back to br0");
    set_port(&lan, 2, &["learning", "off"]).unwrap();
    lan.send_from(&mut cpu, 2, &frame(BCAST, mac(2), IP, 0, 60));
    assert!(!netdev_bridge::fdb(&lan.br).iter().any(|e| e.mac == mac(2)));
    // mcast_flood off: multicast from a port skips p1.
    set_port(&lan, 1, &["mcast_flood", "off"]).unwrap();
    lan.receivers();
    lan.send_from(&mut cpu, 2, &frame(MacAddr([1, 0, 0x5e, 0, 0, 1]), mac(2), IP, 0, 60));
    assert_eq!(lan.receivers(), [3]);
}

/// `br_dev_xmit`: known unicast goes to its port only, unknown unicast floods, a frame to the
/// bridge's own MAC goes nowhere.
#[test]
fn bridge_device_transmit() {
    let lan = Lan::new(3, &[]);
    let mut cpu = lan.cpu();
    lan.send_from(&mut cpu, 2, &frame(BCAST, mac(2), IP, 0, 60));
    lan.receivers();
    lan.local.take();
    send(&mut cpu, &lan.br, &frame(mac(2), lan.br.address(), IP, 0, 60));
    assert_eq!(lan.receivers(), [2]);
    send(&mut cpu, &lan.br, &frame(mac(0x55), lan.br.address(), IP, 0, 60));
    assert_eq!(lan.receivers(), [1, 2, 3]);
    send(&mut cpu, &lan.br, &frame(lan.br.address(), lan.br.address(), IP, 0, 60));
    assert_eq!(lan.receivers(), Vec::<usize>::new());
    let s = lan.br.stats64();
    assert_eq!((s.tx_packets, s.tx_bytes), (3, 180));
}

/// T23 (`br_set_port_state`): a learning port learns but forwards nothing and sends nothing;
/// state 5 is EINVAL; a port without carrier may only be disabled (ENETDOWN).
#[test]
fn port_states_set_by_hand() {
    let lan = Lan::new(3, &[]);
    let mut cpu = lan.cpu();
    set_port(&lan, 1, &["state", "2"]).unwrap();
    assert_eq!(netdev_bridge::port_info(&lan.ports[0]).unwrap().state, PortState::Learning);
    lan.send_from(&mut cpu, 1, &frame(BCAST, mac(1), IP, 0, 60));
    assert_eq!(lan.receivers(), Vec::<usize>::new(), "not forwarded");
    assert!(lan.local.take().is_empty(), "not passed up either");
    assert!(netdev_bridge::fdb(&lan.br).iter().any(|e| e.mac == mac(1)), "but learned");
    lan.send_from(&mut cpu, 2, &frame(BCAST, mac(2), IP, 0, 60));
    assert_eq!(lan.receivers(), [3], "nothing goes out of a learning port");
    assert_eq!(set_port(&lan, 1, &["state", "5"]), Err(Errno::Einval.into()));
    common::down(&lan.w, &lan.hosts[2]);
    assert_eq!(netdev_bridge::port_info(&lan.ports[2]).unwrap().state, PortState::Disabled);
    assert_eq!(set_port(&lan, 3, &["state", "3"]), Err(Errno::Enetdown.into()));
    set_port(&lan, 3, &["state", "0"]).unwrap();
    // A disabled port drops what it receives (BRIDGE_INGRESS_STP_STATE).
    set_port(&lan, 2, &["state", "0"]).unwrap();
    lan.send_from(&mut cpu, 2, &frame(BCAST, mac(2), IP, 0, 60));
    assert_eq!(lan.receivers(), Vec::<usize>::new());
    assert!(lan.w.drop_counts().get(&netdev_core::DropReason::BridgeIngressStpState).is_some_and(|n| *n >= 1));
}

/// `br_skb_isolated`: isolated ports do not talk to each other, but do to the others.
#[test]
fn isolated_ports() {
    let lan = Lan::new(3, &[]);
    let mut cpu = lan.cpu();
    set_port(&lan, 1, &["isolated", "on"]).unwrap();
    set_port(&lan, 2, &["isolated", "on"]).unwrap();
    lan.send_from(&mut cpu, 1, &frame(BCAST, mac(1), IP, 0, 60));
    assert_eq!(lan.receivers(), [3]);
    lan.send_from(&mut cpu, 3, &frame(BCAST, mac(3), IP, 0, 60));
    assert_eq!(lan.receivers(), [1, 2]);
}

/// `br_dev_queue_push_xmit`: a frame too big for the egress port is freed without a counter.
#[test]
fn oversized_frames_are_freed_silently() {
    let lan = Lan::new(2, &[]);
    let mut cpu = lan.cpu();
    lan.w.rtnl().set_mtu(&lan.ports[1], 1000).unwrap();
    lan.send_from(&mut cpu, 1, &frame(BCAST, mac(1), IP, 0, 1100));
    assert_eq!(lan.receivers(), Vec::<usize>::new());
    let s = lan.ports[1].stats64();
    assert_eq!((s.tx_packets, s.tx_dropped), (0, 0));
    assert_eq!(lan.br.mtu(), 1000, "the bridge follows the smallest port MTU");
}

/// Every frame that enters ends consumed or dropped exactly once (the core's contract), through
/// floods, clones and local delivery: each copy a host got was consumed once, and the only
/// drops are the bridge's own "not forwarded" decisions.
#[test]
fn conservation_through_the_bridge() {
    let lan = Lan::new(4, &[]);
    let mut cpu = lan.cpu();
    let consumed0 = lan.w.total_consumed();
    let mut sent = 0;
    for i in 1..=4u8 {
        for dst in [BCAST, mac(1), mac(3), mac(0x66), MacAddr([1, 0, 0x5e, 0, 0, 1])] {
            lan.send_from(&mut cpu, usize::from(i), &frame(dst, mac(i), IP, 0, 60));
            sent += 1;
        }
    }
    let copies: usize = lan.sinks.iter().map(|s| s.take().len()).sum::<usize>() + lan.local.take().len();
    assert!(copies > sent, "floods made copies");
    assert_eq!(cpu.backlog_len(), 0);
    assert_eq!(lan.w.total_consumed() - consumed0, copies as u64);
    let drops = lan.w.drop_counts();
    assert_eq!(drops.keys().copied().collect::<Vec<_>>(), [netdev_core::DropReason::BridgeNoForward], "{drops:?}");
}

/// `br_forward`'s backup port and `br_stp_disable_port`: with `backup_port p2` on p1, p1's
/// learned entries survive its carrier loss and frames for them go out of p2 instead.
#[test]
fn backup_port_takes_over() {
    let lan = Lan::new(3, &[]);
    let mut cpu = lan.cpu();
    lan.send_from(&mut cpu, 1, &frame(BCAST, mac(1), IP, 0, 60));
    lan.receivers();
    assert_eq!(set_port(&lan, 1, &["backup_port", "p1"]), Err(Errno::Einval.into()), "not itself");
    assert_eq!(set_port(&lan, 1, &["backup_port", "nosuch"]), Err(Errno::Enoent.into()));
    set_port(&lan, 1, &["backup_port", "p2"]).unwrap();
    assert_eq!(netdev_bridge::port_info(&lan.ports[0]).unwrap().backup_port, Some(lan.ports[1].ifindex()));
    common::down(&lan.w, &lan.hosts[0]);
    assert!(netdev_bridge::fdb(&lan.br).iter().any(|e| e.mac == mac(1)), "kept for the backup");
    lan.send_from(&mut cpu, 3, &frame(mac(1), mac(3), IP, 0, 60));
    assert_eq!(lan.receivers(), [2]);
    let mut line = String::new();
    netdev_bridge::fill_slave_info(&lan.ports[0], &lan.w.rtnl(), &mut line).unwrap();
    assert!(line.ends_with("isolated off locked off backup_port p2 "), "{line}");
    set_port(&lan, 1, &["nobackup_port"]).unwrap();
    assert_eq!(netdev_bridge::port_info(&lan.ports[0]).unwrap().backup_port, None);
}
