//! kernel-l2.md §6.6 and scenario T30: the lower device's events (macvlan_device_event,
//! netif_stacked_transfer_operstate, macvlan_init), namespace moves and deletion.

mod common;

use common::{Sink, add, frame, mac, req, send, settle};
use netdev_core::{IfFlags, MacAddr, NetnsId, Operstate, PktType, RegState};
use netdev_macvlan::{MacvlanConfig, MacvlanMode, info};

const NS: NetnsId = NetnsId::INIT;

/// T30 / macvlan_device_event NETDEV_CHANGE: the lower losing its carrier (its veth peer goes
/// down) takes the macvlans' carrier, but they stay administratively up: NO-CARRIER, state
/// LOWERLAYERDOWN (the lower is in the same namespace); the carrier coming back brings them UP.
#[test]
fn lower_carrier_is_copied() {
    let w = common::world(51);
    let mut r = w.rtnl();
    let (a, b) = common::veth(&mut r, NS, "a", NS, "b");
    let m1 = common::mv(&mut r, "m1", &a, mac(1), MacvlanMode::Vepa);
    let m2 = common::mv(&mut r, "m2", &a, mac(2), MacvlanMode::Bridge);
    assert_eq!(m1.operstate(), Operstate::Up);
    r.set_up(&b, false).unwrap();
    for m in [&m1, &m2] {
        assert!(m.is_up() && !m.has_carrier());
        assert!(m.flags().contains(IfFlags::UP) && !m.flags().contains(IfFlags::LOWER_UP));
        assert_eq!(m.operstate(), Operstate::LowerLayerDown);
        assert_eq!(m.carrier_changes(), 1);
    }
    r.set_up(&b, true).unwrap();
    for m in [&m1, &m2] {
        assert_eq!((m.operstate(), m.carrier_changes()), (Operstate::Up, 2));
    }
    // The lower itself going down: NETDEV_DOWN, same result.
    r.set_up(&a, false).unwrap();
    assert!(m1.is_up() && !m1.has_carrier());
    assert_eq!(m1.operstate(), Operstate::LowerLayerDown);
    r.set_up(&a, true).unwrap();
    assert_eq!(m1.operstate(), Operstate::Up);
}

/// macvlan_init copies the lower's NOCARRIER bit before registration: a macvlan made on a lower
/// without carrier has none, and no carrier change is counted.
#[test]
fn creation_copies_the_carrier_without_counting() {
    let w = common::world(52);
    let mut r = w.rtnl();
    let (a, b) = common::veth(&mut r, NS, "a", NS, "b");
    r.set_up(&b, false).unwrap();
    let m = add(&mut r, &req(NS, "m0", &a, Some(mac(1))), MacvlanConfig::default()).unwrap();
    assert!(!m.has_carrier());
    assert_eq!(m.carrier_changes(), 0);
    r.set_up(&m, true).unwrap();
    assert_eq!(m.operstate(), Operstate::LowerLayerDown);
    let m2 = add(&mut r, &req(NS, "m2", &b, Some(mac(2))), MacvlanConfig::default()).unwrap();
    r.set_up(&m2, true).unwrap();
    assert!(!m2.has_carrier(), "b is down: no carrier");
    r.set_up(&b, true).unwrap();
    assert_eq!((m.operstate(), m2.operstate()), (Operstate::Up, Operstate::Up));
    assert_eq!(m.carrier_changes(), 1);
}

/// macvlan_device_event NETDEV_CHANGEMTU: macvlans above the lower's new MTU are lowered to it,
/// never raised back.
#[test]
fn lower_mtu_changes() {
    let w = common::world(53);
    let mut r = w.rtnl();
    let (a, _b) = common::veth(&mut r, NS, "a", NS, "b");
    let m1 = add(&mut r, &req(NS, "m1", &a, None), MacvlanConfig::default()).unwrap();
    let mut q = req(NS, "m2", &a, None);
    q.mtu = Some(1300);
    let m2 = add(&mut r, &q, MacvlanConfig::default()).unwrap();
    r.set_mtu(&a, 1400).unwrap();
    assert_eq!((m1.mtu(), m2.mtu()), (1400, 1300));
    r.set_mtu(&a, 9000).unwrap();
    assert_eq!((m1.mtu(), m2.mtu()), (1400, 1300));
    r.set_mtu(&m1, 9000).unwrap();
    assert_eq!(m1.mtu(), 9000);
}

/// T30 / macvlan_device_event NETDEV_UNREGISTER: deleting the lower deletes every macvlan on
/// it, wherever it is (one was moved to another namespace).
#[test]
fn deleting_the_lower_deletes_its_macvlans() {
    let w = common::world(54);
    let mut r = w.rtnl();
    let other = r.netns_add("other").unwrap();
    let (a, _b) = common::veth(&mut r, NS, "a", NS, "b");
    let m1 = common::mv(&mut r, "m1", &a, mac(1), MacvlanMode::Bridge);
    let m2 = add(&mut r, &req(NS, "m2", &a, None), MacvlanConfig::default()).unwrap();
    r.change_netns(&m2, other, None, None).unwrap();
    r.dellink(&a).unwrap();
    for m in [&m1, &m2] {
        assert_eq!(m.reg_state(), RegState::Unregistered);
    }
    assert!(r.dev_by_name(NS, "m1").is_none());
    assert!(r.dev_by_name(other, "m2").is_none());
    // Deleting the namespace holding a lower does the same (default_device_exit → veth dellink).
    let ns2 = r.netns_add("ns2").unwrap();
    let (c, _d) = common::veth(&mut r, ns2, "c", NS, "d");
    let m3 = add(&mut r, &req(ns2, "m3", &c, None), MacvlanConfig::default()).unwrap();
    r.change_netns(&m3, NS, None, None).unwrap();
    r.netns_del(ns2).unwrap();
    assert_eq!(m3.reg_state(), RegState::Unregistered);
    assert!(r.dev_by_name(NS, "m3").is_none());
}

/// macvlan_device_event NETDEV_UNREGISTER during a namespace move of the lower: nothing happens;
/// the macvlans stay attached (iflink follows the lower into its new namespace) and keep working.
#[test]
fn moving_the_lower_keeps_the_macvlans() {
    let w = common::world(55);
    let (ns_a, ns_b) = {
        let mut r = w.rtnl();
        (r.netns_add("A").unwrap(), r.netns_add("B").unwrap())
    };
    let mut r = w.rtnl();
    let (a, b) = common::veth(&mut r, NS, "a", ns_b, "b");
    let m1 = common::mv(&mut r, "m1", &a, mac(1), MacvlanMode::Vepa);
    r.change_netns(&a, ns_a, None, None).unwrap();
    r.set_up(&a, true).unwrap();
    assert_eq!(m1.reg_state(), RegState::Registered);
    assert_eq!((m1.iflink(), m1.link_netns(), info(&m1).unwrap().lower_netns), (a.ifindex(), ns_a, ns_a));
    assert!(a.has_rx_handler());
    drop(r);
    let sink = Sink::install(&w, NS);
    let mut cpu = w.cpu(0).unwrap();
    send(&mut cpu, &b, &frame(mac(1), MacAddr([2, 0xee, 0, 0, 0, 1]), 0x88b5, 60));
    settle(&mut cpu);
    let got = sink.take();
    assert_eq!(got.len(), 1);
    assert_eq!((got[0].dev.as_str(), got[0].pkt_type, got[0].netns), ("m1", PktType::Host, NS));
}

/// The seed's `ip link set macvlan1 netns net1`: the moved macvlan arrives down, is still on its
/// port (with its address synced off the lower while down), comes up and receives in its new
/// namespace; deleting that namespace deletes it (its dellink) and, being the last, the port.
#[test]
fn moved_macvlan_keeps_working_and_dies_with_its_namespace() {
    let w = common::world(56);
    let (net1, wire) = {
        let mut r = w.rtnl();
        (r.netns_add("net1").unwrap(), r.netns_add("wire").unwrap())
    };
    let mut r = w.rtnl();
    let (a, b) = common::veth(&mut r, NS, "eth0", wire, "sw");
    let m = common::mv(&mut r, "macvlan1", &a, mac(1), MacvlanMode::Bridge);
    assert_eq!(a.uc_addrs().len(), 1);
    r.change_netns(&m, net1, None, None).unwrap();
    assert!(!m.is_up());
    assert!(a.uc_addrs().is_empty(), "macvlan_stop ran on the way out");
    r.set_up(&m, true).unwrap();
    assert_eq!((m.operstate(), m.iflink(), m.link_netns()), (Operstate::Up, a.ifindex(), NS));
    drop(r);
    let sink = Sink::install(&w, net1);
    let mut cpu = w.cpu(0).unwrap();
    send(&mut cpu, &b, &frame(mac(1), MacAddr([2, 0xee, 0, 0, 0, 1]), 0x88b5, 60));
    send(&mut cpu, &b, &frame(MacAddr::BROADCAST, MacAddr([2, 0xee, 0, 0, 0, 1]), 0x88b5, 60));
    settle(&mut cpu);
    let got: Vec<(String, PktType, NetnsId)> = sink.take().into_iter().map(|g| (g.dev, g.pkt_type, g.netns)).collect();
    assert_eq!(
        got,
        [("macvlan1".to_string(), PktType::Host, net1), ("macvlan1".to_string(), PktType::Broadcast, net1)]
    );
    drop(cpu);
    let mut r = w.rtnl();
    r.netns_del(net1).unwrap();
    assert_eq!(m.reg_state(), RegState::Unregistered);
    assert!(!a.has_rx_handler(), "the last macvlan gone, the port goes");
    assert_eq!(a.reg_state(), RegState::Registered);
}
