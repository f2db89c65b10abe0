//! kernel-l2.md §6.4: frames received on the lower device (macvlan_handle_frame,
//! macvlan_forward_source, macvlan_multicast_rx, macvlan_broadcast, the broadcast queue).
//!
//! Topology: veth `a` (the lower, namespace A) ↔ `b` (namespace B, "the wire"); frames sent on
//! `b` arrive on `a`. A recording sink is the protocol handler of A (so it sees what `a` and
//! every macvlan deliver, by device) and of B.

mod common;

use common::{Deliveries, Net, add, assert_conserved, d, frame, mac, req, send, settle};
use netdev_core::{CoreStat, Cpu, MacAddr, NetDevice, PktType, dev_mc_add};
use netdev_macvlan::{MACVLAN_FLAG_NODST, MacaddrOp, MacvlanConfig, MacvlanMode, changelink, macaddr, port_info};

const OUT: MacAddr = MacAddr([0x02, 0xee, 0, 0, 0, 1]);
const OUT2: MacAddr = MacAddr([0x02, 0xee, 0, 0, 0, 2]);
const GROUP: MacAddr = MacAddr([0x01, 0x00, 0x5e, 0, 0, 0xfb]);
const ETYPE: u16 = 0x88b5;

impl Net {
    /// A frame from the wire, tagged with `marker` as its first payload byte, then the
    /// receive path and the broadcast work run to completion.
    fn wire_rx(&mut self, cpu: &mut Cpu, dst: MacAddr, src: MacAddr, marker: u8) {
        let mut f = frame(dst, src, ETYPE, 60);
        f[14] = marker;
        send(cpu, &self.b, &f);
        self.sent += 1;
        settle(cpu);
    }

    fn got_a(&self) -> Deliveries {
        self.sink_a.take_sorted()
    }
}

fn rx(dev: &NetDevice) -> (u64, u64, u64, u64) {
    let s = dev.stats64();
    (s.rx_packets, s.rx_bytes, s.multicast, s.rx_errors)
}

/// macvlan_handle_frame, unicast: the macvlan that is up with the destination MAC gets it
/// (PACKET_HOST, counted `len + ETH_HLEN`); the lower's own MAC, an unknown MAC and a macvlan
/// that is down go to the lower (RX_HANDLER_PASS).
#[test]
fn unicast_demux_by_destination() {
    let mut n = Net::new(31);
    let m1 = n.mv("m1", mac(1), MacvlanMode::Vepa);
    let m2 = n.mv("m2", mac(2), MacvlanMode::Private);
    n.w.rtnl().set_up(&m2, false).unwrap();
    let mut cpu = n.w.cpu(0).unwrap();
    n.wire_rx(&mut cpu, mac(1), OUT, 1);
    assert_eq!(n.got_a(), [d("m1", PktType::Host)]);
    assert_eq!(rx(&m1), (1, 60, 0, 0));
    n.wire_rx(&mut cpu, n.a.address(), OUT, 2);
    assert_eq!(n.got_a(), [d("a", PktType::Host)]);
    n.wire_rx(&mut cpu, OUT2, OUT, 3);
    assert_eq!(n.got_a(), [d("a", PktType::OtherHost)]);
    n.wire_rx(&mut cpu, mac(2), OUT, 4);
    assert_eq!(n.got_a(), [d("a", PktType::OtherHost)], "a macvlan that is down is not hashed");
    assert_eq!(rx(&m2), (0, 0, 0, 0));
    drop(cpu);
    assert_conserved(&n.w, n.sent);
}

/// macvlan_handle_frame: a unicast to a source-mode macvlan's own MAC goes to the lower.
#[test]
fn unicast_to_a_source_macvlan_passes_to_the_lower() {
    let mut n = Net::new(32);
    let s = n.mv("s1", mac(5), MacvlanMode::Source);
    let mut cpu = n.w.cpu(0).unwrap();
    n.wire_rx(&mut cpu, mac(5), OUT, 1);
    assert_eq!(n.got_a(), [d("a", PktType::OtherHost)]);
    assert_eq!(rx(&s).0, 0);
}

/// macvlan_handle_frame, passthru: every unicast goes to the one macvlan, whatever the
/// destination; while it is down, the frame is freed and nobody gets it (nothing counted).
#[test]
fn passthru_takes_every_unicast() {
    let mut n = Net::new(33);
    let p =
        add(&mut n.w.rtnl(), &req(n.ns_a, "p0", &n.a, None), MacvlanConfig::with_mode(MacvlanMode::Passthru)).unwrap();
    n.w.rtnl().set_up(&p, true).unwrap();
    let mut cpu = n.w.cpu(0).unwrap();
    n.wire_rx(&mut cpu, OUT2, OUT, 1);
    assert_eq!(n.got_a(), [d("p0", PktType::Host)]);
    n.wire_rx(&mut cpu, n.a.address(), OUT, 2);
    assert_eq!(n.got_a(), [d("p0", PktType::Host)]);
    drop(cpu);
    n.w.rtnl().set_up(&p, false).unwrap();
    let mut cpu = n.w.cpu(0).unwrap();
    let before = n.w.total_drops();
    n.wire_rx(&mut cpu, n.a.address(), OUT, 3);
    assert_eq!(n.got_a(), []);
    assert_eq!(n.w.total_drops(), before + 1);
    assert_eq!(rx(&p), (2, 120, 0, 0));
    let s = n.a.stats64();
    assert_eq!((s.rx_dropped, s.rx_nohandler), (0, 0), "consumed, not counted");
    drop(cpu);
    assert_conserved(&n.w, n.sent);
}

/// macvlan_handle_frame + macvlan_broadcast_enqueue + macvlan_process_broadcast: a broadcast
/// from the wire goes to the lower at once (RX_HANDLER_PASS) and, when the work item runs, to
/// every open macvlan but source-mode ones, as PACKET_BROADCAST, counted as multicast.
#[test]
fn wire_broadcast_is_queued_then_flooded() {
    let mut n = Net::new(34);
    let ms = [
        n.mv("m1", mac(1), MacvlanMode::Private),
        n.mv("m2", mac(2), MacvlanMode::Vepa),
        n.mv("m3", mac(3), MacvlanMode::Bridge),
        n.mv("m4", mac(4), MacvlanMode::Source),
    ];
    let mut cpu = n.w.cpu(0).unwrap();
    let mut f = frame(MacAddr::BROADCAST, OUT, ETYPE, 60);
    f[14] = 9;
    send(&mut cpu, &n.b, &f);
    n.sent += 1;
    common::drain(&mut cpu);
    assert_eq!(n.got_a(), [d("a", PktType::Broadcast)], "the lower gets it before the work runs");
    assert_eq!(port_info(&n.a).unwrap().bc_queued, 1);
    cpu.advance(0);
    common::drain(&mut cpu);
    assert_eq!(n.got_a(), [d("m1", PktType::Broadcast), d("m2", PktType::Broadcast), d("m3", PktType::Broadcast)]);
    for m in &ms[..3] {
        assert_eq!(rx(m), (1, 60, 1, 0), "{}", m.name());
    }
    assert_eq!(rx(&ms[3]), (0, 0, 0, 0));
    assert_eq!(port_info(&n.a).unwrap().bc_queued, 0);
    drop(cpu);
    assert_conserved(&n.w, n.sent);
}

/// macvlan_multicast_rx for reflected frames (T28): the source is a VEPA macvlan: VEPA and
/// BRIDGE siblings but not itself; a BRIDGE source: only VEPA siblings; a PRIVATE source: only
/// the source itself, and the lower does not get it (counted one packet of 0 bytes, the
/// kernel's `len` still 0 on that path).
#[test]
fn reflected_broadcasts_follow_the_source_mode() {
    let mut n = Net::new(35);
    let _v1 = n.mv("v1", mac(1), MacvlanMode::Vepa);
    let _v2 = n.mv("v2", mac(2), MacvlanMode::Vepa);
    let _b1 = n.mv("b1", mac(3), MacvlanMode::Bridge);
    let _b2 = n.mv("b2", mac(4), MacvlanMode::Bridge);
    let p1 = n.mv("p1", mac(5), MacvlanMode::Private);
    let _p2 = n.mv("p2", mac(6), MacvlanMode::Private);
    let mut cpu = n.w.cpu(0).unwrap();
    use PktType::Broadcast as B;
    n.wire_rx(&mut cpu, MacAddr::BROADCAST, mac(1), 1);
    assert_eq!(n.got_a(), [d("a", B), d("b1", B), d("b2", B), d("v2", B)]);
    n.wire_rx(&mut cpu, MacAddr::BROADCAST, mac(3), 2);
    assert_eq!(n.got_a(), [d("a", B), d("v1", B), d("v2", B)]);
    n.wire_rx(&mut cpu, MacAddr::BROADCAST, mac(5), 3);
    assert_eq!(n.got_a(), [d("p1", B)]);
    assert_eq!(rx(&p1), (1, 0, 0, 0));
    // A group frame reflected from a private macvlan: PACKET_MULTICAST, same rule.
    n.wire_rx(&mut cpu, GROUP, mac(5), 4);
    assert_eq!(n.got_a(), [d("p1", PktType::Multicast)]);
    drop(cpu);
    assert_conserved(&n.w, n.sent);
}

/// macvlan_broadcast_enqueue: past `bc_queue_len_used` queued frames the clone is dropped and
/// the lower's core rx_dropped counts it; the lower itself still gets every frame.
#[test]
fn broadcast_queue_overflow_counts_on_the_lower() {
    let mut n = Net::new(36);
    let m1 = n.mv("m1", mac(1), MacvlanMode::Bridge);
    changelink(&mut n.w.rtnl(), &m1, &MacvlanConfig { bc_queue_len: Some(2), ..MacvlanConfig::default() }).unwrap();
    assert_eq!(port_info(&n.a).unwrap().bc_queue_len_used, 2);
    let mut cpu = n.w.cpu(0).unwrap();
    for i in 0..5u8 {
        let mut f = frame(MacAddr::BROADCAST, OUT, ETYPE, 60);
        f[14] = i;
        send(&mut cpu, &n.b, &f);
        n.sent += 1;
    }
    common::drain(&mut cpu);
    assert_eq!(n.a.stats().read_core(CoreStat::RxDropped), 3);
    assert_eq!(n.a.stats64().rx_dropped, 3);
    assert_eq!(n.sink_a.take().len(), 5, "the lower got all five");
    cpu.advance(0);
    common::drain(&mut cpu);
    let got = n.sink_a.take();
    assert_eq!(got.iter().map(|g| g.mark).collect::<Vec<_>>(), [0, 1], "the first two, in order");
    assert_eq!(rx(&m1), (2, 120, 2, 0));
    drop(cpu);
    assert_conserved(&n.w, n.sent);
}

/// macvlan_broadcast with each macvlan's filter (its multicast list, plus broadcast): a group
/// frame reaches only the macvlans that joined the group (or are ALLMULTI); the lower always.
#[test]
fn group_frames_reach_only_subscribers() {
    let mut n = Net::new(37);
    let m1 = n.mv("m1", mac(1), MacvlanMode::Bridge);
    let _m2 = n.mv("m2", mac(2), MacvlanMode::Bridge);
    let m3 = n.mv("m3", mac(3), MacvlanMode::Vepa);
    dev_mc_add(&m1, GROUP).unwrap();
    n.w.rtnl().set_allmulti(&m3, true).unwrap();
    let mut cpu = n.w.cpu(0).unwrap();
    n.wire_rx(&mut cpu, GROUP, OUT, 1);
    use PktType::Multicast as M;
    assert_eq!(n.got_a(), [d("a", M), d("m1", M), d("m3", M)]);
    let other = MacAddr([0x01, 0, 0x5e, 0, 0, 0x10]);
    n.wire_rx(&mut cpu, other, OUT, 2);
    assert_eq!(n.got_a(), [d("a", M), d("m3", M)]);
    drop(cpu);
    assert_conserved(&n.w, n.sent);
}

/// The port filters (macvlan_compute_filter with vlan == NULL, macvlan_recompute_bc_filter):
/// on a lower that is not promiscuous (a nopromisc passthru macvlan adds no unicast address),
/// the broadcast address is queued, a group joined by one macvlan (not more than bc_cutoff = 1)
/// is delivered at once, a group nobody synced is not delivered to the macvlans at all;
/// bc_cutoff 0 queues that group too, and bc_cutoff -1 queues nothing, not even broadcasts.
#[test]
fn port_filters_decide_queue_or_now() {
    let mut n = Net::new(38);
    let cfg = MacvlanConfig {
        flags: Some(netdev_macvlan::MACVLAN_FLAG_NOPROMISC),
        ..MacvlanConfig::with_mode(MacvlanMode::Passthru)
    };
    let p = add(&mut n.w.rtnl(), &req(n.ns_a, "p0", &n.a, None), cfg).unwrap();
    n.w.rtnl().set_up(&p, true).unwrap();
    dev_mc_add(&p, GROUP).unwrap();
    assert_eq!(n.a.promiscuity(), 0);
    let pi = port_info(&n.a).unwrap();
    assert_eq!((pi.bc_filter_bits, pi.mc_filter_bits), (1, 2));
    let mut cpu = n.w.cpu(0).unwrap();
    let send_one = |n: &mut Net, cpu: &mut Cpu, dst: MacAddr| {
        send(cpu, &n.b, &frame(dst, OUT, ETYPE, 60));
        n.sent += 1;
        common::drain(cpu);
    };
    use PktType::{Broadcast as B, Multicast as M};
    send_one(&mut n, &mut cpu, GROUP);
    assert_eq!(n.got_a(), [d("a", M), d("p0", M)], "synchronous: no advance needed");
    send_one(&mut n, &mut cpu, MacAddr::BROADCAST);
    assert_eq!(n.got_a(), [d("a", B)], "queued");
    cpu.advance(0);
    common::drain(&mut cpu);
    assert_eq!(n.got_a(), [d("p0", B)]);
    send_one(&mut n, &mut cpu, MacAddr([0x01, 0, 0x5e, 0, 0, 0x42]));
    cpu.advance(0);
    common::drain(&mut cpu);
    assert_eq!(n.got_a(), [d("a", M)], "in neither filter");
    drop(cpu);
    changelink(&mut n.w.rtnl(), &p, &MacvlanConfig { bc_cutoff: Some(0), ..MacvlanConfig::default() }).unwrap();
    let mut cpu = n.w.cpu(0).unwrap();
    send_one(&mut n, &mut cpu, GROUP);
    assert_eq!(n.got_a(), [d("a", M)], "now queued");
    cpu.advance(0);
    common::drain(&mut cpu);
    assert_eq!(n.got_a(), [d("p0", M)]);
    drop(cpu);
    changelink(&mut n.w.rtnl(), &p, &MacvlanConfig { bc_cutoff: Some(-1), ..MacvlanConfig::default() }).unwrap();
    assert_eq!(port_info(&n.a).unwrap().bc_filter_bits, 0);
    let mut cpu = n.w.cpu(0).unwrap();
    send_one(&mut n, &mut cpu, MacAddr::BROADCAST);
    assert_eq!(n.got_a(), [d("a", B), d("p0", B)], "everything synchronous");
    drop(cpu);
    assert_conserved(&n.w, n.sent);
}

/// macvlan_forward_source: a source-mode macvlan gets a copy of every frame whose source MAC
/// it lists (PACKET_HOST if sent to its own MAC, else the lower's classification), counted
/// without the multicast flag; the frame also goes where it would have gone; with NODST it
/// goes nowhere else; a source macvlan that is down gets nothing but NODST still holds.
#[test]
fn source_mode_copies() {
    let mut n = Net::new(39);
    let s1 = n.mv("s1", mac(0x51), MacvlanMode::Source);
    let m1 = n.mv("m1", mac(1), MacvlanMode::Vepa);
    macaddr(&mut n.w.rtnl(), &s1, &MacaddrOp::Add(OUT)).unwrap();
    let mut cpu = n.w.cpu(0).unwrap();
    use PktType::{Broadcast as B, Host as H, OtherHost as O};
    n.wire_rx(&mut cpu, mac(1), OUT, 1);
    assert_eq!(n.got_a(), [d("m1", H), d("s1", O)]);
    n.wire_rx(&mut cpu, mac(0x51), OUT, 2);
    assert_eq!(n.got_a(), [d("a", O), d("s1", H)]);
    n.wire_rx(&mut cpu, mac(1), OUT2, 3);
    assert_eq!(n.got_a(), [d("m1", H)], "not a listed source");
    n.wire_rx(&mut cpu, MacAddr::BROADCAST, OUT, 4);
    assert_eq!(n.got_a(), [d("a", B), d("m1", B), d("s1", B)]);
    assert_eq!(rx(&s1), (3, 180, 0, 0), "source copies are not counted as multicast");
    drop(cpu);
    changelink(&mut n.w.rtnl(), &s1, &MacvlanConfig { flags: Some(MACVLAN_FLAG_NODST), ..MacvlanConfig::default() })
        .unwrap();
    let mut cpu = n.w.cpu(0).unwrap();
    n.wire_rx(&mut cpu, mac(1), OUT, 5);
    assert_eq!(n.got_a(), [d("s1", O)]);
    n.wire_rx(&mut cpu, MacAddr::BROADCAST, OUT, 6);
    assert_eq!(n.got_a(), [d("s1", B)]);
    drop(cpu);
    n.w.rtnl().set_up(&s1, false).unwrap();
    let mut cpu = n.w.cpu(0).unwrap();
    n.wire_rx(&mut cpu, mac(1), OUT, 7);
    assert_eq!(n.got_a(), [], "NODST holds while the source macvlan is down");
    assert_eq!(rx(&m1).0, 3);
    drop(cpu);
    assert_conserved(&n.w, n.sent);
    let _ = &n.sink_b;
}

/// macvlan_broadcast skips ETH_P_PAUSE: the lower gets a PAUSE frame, no macvlan does.
#[test]
fn pause_frames_are_not_flooded() {
    let mut n = Net::new(40);
    let _m1 = n.mv("m1", mac(1), MacvlanMode::Vepa);
    let mut cpu = n.w.cpu(0).unwrap();
    send(&mut cpu, &n.b, &frame(MacAddr([0x01, 0x80, 0xc2, 0, 0, 1]), OUT, 0x8808, 60));
    n.sent += 1;
    settle(&mut cpu);
    assert_eq!(n.got_a(), [d("a", PktType::Multicast)]);
    drop(cpu);
    assert_conserved(&n.w, n.sent);
}
