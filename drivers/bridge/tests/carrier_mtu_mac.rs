//! The bridge's carrier, MTU and MAC rules (kernel-l2.md §4.3-4.4, scenarios T14, T15, T16):
//! `br_port_state_selection` (carrier while a port forwards), `br_port_carrier_check`,
//! `br_stp_recalculate_bridge_id` (lowest port MAC unless set by hand, zero without ports),
//! `br_mtu_auto_adjust` (smallest port MTU unless set by hand).

mod common;

use common::{bridge, down, enslave, netns, set_mac, up, veth, world};
use netdev_bridge::PortState;
use netdev_core::{IfFlags, MacAddr, NetnsId, Operstate};

fn state(d: &netdev_core::NetDevice) -> PortState {
    netdev_bridge::port_info(d).unwrap().state
}

/// T14: up with no ports → UNKNOWN with carrier; a port whose peer is down → disabled, bridge
/// NO-CARRIER/DOWN; the peer comes up → the port forwards at once (STP off), bridge UP; the
/// port leaves → NO-CARRIER again.
#[test]
fn carrier_lifecycle() {
    let w = world();
    let far = netns(&w, "far");
    let br = bridge(&w, NetnsId::INIT, "br0", None, &[]).unwrap();
    up(&w, &[&br]);
    assert_eq!((br.operstate(), br.has_carrier()), (Operstate::Unknown, true));
    let (p1, h1) = veth(&w, NetnsId::INIT, "p1", far, "h1");
    up(&w, &[&p1]);
    enslave(&w, &p1, &br).unwrap();
    assert_eq!(state(&p1), PortState::Disabled);
    assert!(!br.has_carrier());
    assert_eq!(br.operstate(), Operstate::Down);
    assert!(!br.flags().contains(IfFlags::LOWER_UP));
    up(&w, &[&h1]);
    assert_eq!(state(&p1), PortState::Forwarding);
    assert_eq!(br.operstate(), Operstate::Up);
    // The peer goes down: NETDEV_CHANGE → br_port_carrier_check disables the port.
    down(&w, &h1);
    assert_eq!(state(&p1), PortState::Disabled);
    assert!(!br.has_carrier());
    up(&w, &[&h1]);
    assert_eq!(state(&p1), PortState::Forwarding);
    // The port itself down: NETDEV_DOWN → br_stp_disable_port; the bridge down disables all.
    down(&w, &p1);
    assert_eq!(state(&p1), PortState::Disabled);
    up(&w, &[&p1]);
    assert_eq!(state(&p1), PortState::Forwarding);
    down(&w, &br);
    assert_eq!(state(&p1), PortState::Disabled);
    up(&w, &[&br]);
    assert_eq!(state(&p1), PortState::Forwarding, "br_stp_enable_bridge enables live ports");
    w.rtnl().set_master(&p1, None).unwrap();
    assert!(!br.has_carrier());
    assert_eq!(br.operstate(), Operstate::Down);
    assert_eq!(br.address(), MacAddr::ZERO, "no ports: the bridge MAC is all zero");
    // The bridge may still be brought down and up with that MAC (no ndo_validate_addr).
    down(&w, &br);
    up(&w, &[&br]);
    assert!(br.is_up());
}

/// T15: the bridge MAC is the lowest port MAC (and follows a port's MAC change), zero once the
/// last port is gone; after `ip link set br0 address ...` it stays whatever ports do. The
/// bridge's local FDB entry and bridge id follow.
#[test]
fn mac_election() {
    let w = world();
    let ns = NetnsId::INIT;
    let br = bridge(&w, ns, "br0", None, &[]).unwrap();
    let mk = |name: &str, m: u8| {
        let req = netdev_core::NewLink { name: Some(name.into()), ..netdev_core::NewLink::in_netns(ns) };
        let d = w.rtnl().newlink("dummy", &req, &(Box::new(()) as netdev_core::KindConfig)).unwrap();
        set_mac(&w, &d, MacAddr([2, 0, 0, 0, 0, m]));
        d
    };
    let a = mk("a", 5);
    let b = mk("b", 3);
    enslave(&w, &a, &br).unwrap();
    assert_eq!(br.address(), MacAddr([2, 0, 0, 0, 0, 5]));
    enslave(&w, &b, &br).unwrap();
    assert_eq!(br.address(), MacAddr([2, 0, 0, 0, 0, 3]));
    let i = netdev_bridge::info(&br).unwrap();
    assert_eq!(i.bridge_id.sysfs(), "8000.020000000003");
    assert_eq!(i.root_id, i.bridge_id);
    assert_eq!(br.addr_assign_type(), netdev_core::AddrAssign::Random, "elected, not set");
    // A port MAC change (NETDEV_CHANGEADDR): br_fdb_changeaddr + the election again.
    set_mac(&w, &a, MacAddr([2, 0, 0, 0, 0, 1]));
    assert_eq!(br.address(), MacAddr([2, 0, 0, 0, 0, 1]));
    let locals: Vec<(MacAddr, Option<u32>)> = netdev_bridge::fdb(&br).iter().map(|e| (e.mac, e.port_ifindex)).collect();
    assert!(locals.contains(&(MacAddr([2, 0, 0, 0, 0, 1]), Some(a.ifindex()))));
    assert!(!locals.iter().any(|e| e.0 == MacAddr([2, 0, 0, 0, 0, 5])), "the old port MAC's entry went");
    w.rtnl().set_master(&a, None).unwrap();
    w.rtnl().set_master(&b, None).unwrap();
    assert_eq!(br.address(), MacAddr::ZERO);
    assert_eq!(netdev_bridge::info(&br).unwrap().bridge_id.iproute2(), "8000.0:0:0:0:0:0");
    // Set by hand: kept for good.
    w.rtnl().set_address(&br, MacAddr([2, 0xaa, 0, 0, 0, 1])).unwrap();
    enslave(&w, &b, &br).unwrap();
    assert_eq!(br.address(), MacAddr([2, 0xaa, 0, 0, 0, 1]));
    assert_eq!(netdev_bridge::info(&br).unwrap().bridge_id.addr, MacAddr([2, 0xaa, 0, 0, 0, 1]));
    assert!(netdev_bridge::fdb(&br).iter().any(|e| e.mac == br.address() && e.port_ifindex.is_none()));
    // br_set_mac_address: an invalid address is EADDRNOTAVAIL.
    assert_eq!(w.rtnl().set_address(&br, MacAddr([1, 0, 0, 0, 0, 1])), Err(netdev_core::Errno::Eaddrnotavail.into()));
}

/// T16: the bridge MTU is the smallest port MTU, 1500 without ports; once set by hand (checked
/// only against 68..65535, not the ports) it stays.
#[test]
fn mtu_auto_adjust() {
    let w = world();
    let ns = NetnsId::INIT;
    let br = bridge(&w, ns, "br0", None, &[]).unwrap();
    let mk = |name: &str, mtu: u32| {
        let req =
            netdev_core::NewLink { name: Some(name.into()), mtu: Some(mtu), ..netdev_core::NewLink::in_netns(ns) };
        w.rtnl().newlink("dummy", &req, &(Box::new(()) as netdev_core::KindConfig)).unwrap()
    };
    let big = mk("big", 9000);
    let small = mk("small", 1500);
    enslave(&w, &big, &br).unwrap();
    assert_eq!(br.mtu(), 9000, "a bigger port MTU raises an auto MTU");
    enslave(&w, &small, &br).unwrap();
    assert_eq!(br.mtu(), 1500);
    w.rtnl().set_master(&small, None).unwrap();
    assert_eq!(br.mtu(), 9000);
    // A port's MTU change (NETDEV_CHANGEMTU) is followed.
    w.rtnl().set_mtu(&big, 4000).unwrap();
    assert_eq!(br.mtu(), 4000);
    // A port below the bridge's minimum leaves the bridge MTU alone (dev_set_mtu would fail).
    let tiny = mk("tiny", 60);
    enslave(&w, &tiny, &br).unwrap();
    assert_eq!(br.mtu(), 4000);
    w.rtnl().set_master(&tiny, None).unwrap();
    w.rtnl().set_mtu(&br, 1400).unwrap();
    enslave(&w, &small, &br).unwrap();
    w.rtnl().set_master(&big, None).unwrap();
    assert_eq!(br.mtu(), 1400, "set by hand: stays");
    assert_eq!(w.rtnl().set_mtu(&br, 65536).unwrap_err().extack(), Some("mtu greater than device maximum"));
    let empty = bridge(&w, ns, "br1", None, &[]).unwrap();
    assert_eq!(empty.mtu(), 1500);
}
