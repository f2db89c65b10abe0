//! Enslaving and releasing ports (kernel-l2.md §4.2, scenarios T13, T17): `br_add_if`'s checks
//! in order, `new_nbp`'s numbering and defaults, `br_manage_promisc`, `del_nbp`, `br_del_if`,
//! and `br_device_event(NETDEV_UNREGISTER)` for ports deleted or moved to another namespace.

mod common;

use std::sync::Arc;

use common::{bridge, enslave, netns, up, veth, world};
use netdev_core::{
    Cpu, Errno, KindConfig, NetDevice, NetnsId, NewLink, PrivFlags, RxHandler, RxHandlerResult, Skb, World,
};

fn dummy(w: &World, ns: NetnsId, name: &str) -> Arc<NetDevice> {
    let req = NewLink { name: Some(name.into()), ..NewLink::in_netns(ns) };
    w.rtnl().newlink("dummy", &req, &(Box::new(()) as KindConfig)).unwrap()
}

struct Passer;

impl RxHandler for Passer {
    fn handle(&self, _cpu: &mut Cpu, _dev: &Arc<NetDevice>, skb: Skb) -> RxHandlerResult {
        RxHandlerResult::Pass(skb)
    }
}

/// `br_add_if`: EINVAL for loopback, ELOOP ("Can not enslave a bridge to a bridge") for a
/// bridge including itself, EOPNOTSUPP for `IFF_DONT_BRIDGE`, EBUSY when another rx handler is
/// there (a macvlan lower), EINVAL for `IFF_NO_RX_HANDLER` (an ipvlan slave); a failure leaves
/// no trace on the device.
#[test]
fn enslave_errors_in_kernel_order() {
    let w = world();
    let ns = NetnsId::INIT;
    let br0 = bridge(&w, ns, "br0", None, &[]).unwrap();
    let br1 = bridge(&w, ns, "br1", None, &[]).unwrap();
    let lo = w.rtnl().dev_by_name(ns, "lo").unwrap();
    assert_eq!(enslave(&w, &lo, &br0), Err(Errno::Einval.into()));
    let e = enslave(&w, &br1, &br0).unwrap_err();
    assert_eq!((e.errno(), e.extack()), (Errno::Eloop, Some("Can not enslave a bridge to a bridge")));
    assert_eq!(enslave(&w, &br0, &br0).unwrap_err(), Errno::Eloop);
    let d = dummy(&w, ns, "d0");
    w.rtnl().set_priv_flags(&d, PrivFlags::DONT_BRIDGE, true);
    assert_eq!(enslave(&w, &d, &br0).unwrap_err(), Errno::Eopnotsupp);
    w.rtnl().set_priv_flags(&d, PrivFlags::DONT_BRIDGE, false);
    w.rtnl().rx_handler_register(&d, Arc::new(Passer)).unwrap();
    assert_eq!(enslave(&w, &d, &br0).unwrap_err(), Errno::Ebusy);
    assert_eq!((d.allmulti(), d.promiscuity()), (0, 0), "allmulti taken back");
    assert!(d.master().is_none());
    assert!(netdev_bridge::ports(&br0).is_empty());
    w.rtnl().rx_handler_unregister(&d);
    w.rtnl().set_priv_flags(&d, PrivFlags::NO_RX_HANDLER, true);
    assert_eq!(enslave(&w, &d, &br0).unwrap_err(), Errno::Einval);
    w.rtnl().set_priv_flags(&d, PrivFlags::NO_RX_HANDLER, false);
    enslave(&w, &d, &br0).unwrap();
    assert!(d.priv_flags().contains(PrivFlags::BRIDGE_PORT));
    // br_del_if on a device that is not a port of this bridge: EINVAL.
    let other = dummy(&w, ns, "d1");
    assert_eq!(br1.ops().del_slave(&mut w.rtnl(), &br1, &other).unwrap_err(), Errno::Einval);
}

/// `new_nbp` + `br_init_port`: the lowest free port number, priority 32, port id 0x8000 | no;
/// flags learning, flood, mcast_flood, bcast_flood; promiscuity and allmulti +1 (VLAN filtering
/// off: every port is promiscuous); released ports give both back.
#[test]
fn port_numbers_defaults_and_promiscuity() {
    let w = world();
    let ns = NetnsId::INIT;
    let br = bridge(&w, ns, "br0", None, &[]).unwrap();
    let d: Vec<_> = (0..3).map(|i| dummy(&w, ns, &format!("d{i}"))).collect();
    for x in &d {
        enslave(&w, x, &br).unwrap();
    }
    let p = netdev_bridge::port_info(&d[1]).unwrap();
    assert_eq!((p.port_no, p.port_id, p.priority), (2, 0x8002, 32));
    assert_eq!(
        p.flags,
        netdev_bridge::PortFlags::LEARNING
            | netdev_bridge::PortFlags::FLOOD
            | netdev_bridge::PortFlags::MCAST_FLOOD
            | netdev_bridge::PortFlags::BCAST_FLOOD
            | netdev_bridge::PortFlags::PROMISC
    );
    assert_eq!((d[1].promiscuity(), d[1].allmulti()), (1, 1));
    w.rtnl().set_master(&d[0], None).unwrap();
    assert_eq!((d[0].promiscuity(), d[0].allmulti()), (0, 0));
    assert!(!d[0].priv_flags().contains(PrivFlags::BRIDGE_PORT));
    let e = dummy(&w, ns, "d9");
    enslave(&w, &e, &br).unwrap();
    assert_eq!(netdev_bridge::port_info(&e).unwrap().port_no, 1, "the freed number is reused");
    let order: Vec<u16> = netdev_bridge::ports(&br).iter().map(|p| p.port_no).collect();
    assert_eq!(order, [1, 3, 2], "list_add_rcu puts the newest first");
}

/// T17: `ip link set p master br1` while p is in br0 moves it (rtnl `do_set_master` releases
/// the old master first); its FDB entries leave br0.
#[test]
fn master_moves_a_port_between_bridges() {
    let w = world();
    let ns = NetnsId::INIT;
    let br0 = bridge(&w, ns, "br0", None, &[]).unwrap();
    let br1 = bridge(&w, ns, "br1", None, &[]).unwrap();
    let d = dummy(&w, ns, "d0");
    enslave(&w, &d, &br0).unwrap();
    assert!(netdev_bridge::fdb(&br0).iter().any(|e| e.mac == d.address()));
    enslave(&w, &d, &br1).unwrap();
    assert_eq!(d.master().unwrap().name().as_ref(), "br1");
    assert!(netdev_bridge::ports(&br0).is_empty());
    assert_eq!(netdev_bridge::ports(&br1).len(), 1);
    assert!(!netdev_bridge::fdb(&br0).iter().any(|e| e.mac == d.address()));
    assert!(netdev_bridge::fdb(&br1).iter().any(|e| e.mac == d.address()));
    assert_eq!((d.promiscuity(), d.allmulti()), (1, 1), "one reference, not two");
    // The same master again changes nothing.
    enslave(&w, &d, &br1).unwrap();
    assert_eq!(d.allmulti(), 1);
}

/// T13 and `br_device_event(NETDEV_UNREGISTER)`: a port moved to another namespace, or deleted,
/// leaves the bridge, and its FDB entries (static ones too) go with it.
#[test]
fn ports_leave_when_moved_or_deleted() {
    let w = world();
    let sw = netns(&w, "sw");
    let far = netns(&w, "far");
    let br = bridge(&w, sw, "br0", None, &[]).unwrap();
    let (p1, _h1) = veth(&w, sw, "p1", far, "h1");
    let (p2, _h2) = veth(&w, sw, "p2", far, "h2");
    enslave(&w, &p1, &br).unwrap();
    enslave(&w, &p2, &br).unwrap();
    up(&w, &[&br, &p1, &p2]);
    netdev_bridge::fdb_add(&mut w.rtnl(), &p1, common::mac(0x33), 0, &netdev_bridge::FdbRequest::default()).unwrap();
    w.rtnl().change_netns(&p1, far, Some("moved"), None).unwrap();
    assert!(p1.master().is_none());
    assert!(!p1.has_rx_handler());
    assert_eq!((p1.promiscuity(), p1.allmulti()), (0, 0));
    let left: Vec<_> = netdev_bridge::fdb(&br).iter().map(|e| e.mac).collect();
    assert!(!left.contains(&common::mac(0x33)), "static entries of the port go too");
    assert_eq!(netdev_bridge::ports(&br).len(), 1);
    w.rtnl().dellink(&p2).unwrap();
    assert!(netdev_bridge::ports(&br).is_empty());
    assert_eq!(netdev_bridge::fdb(&br).len(), 0, "no port left: the bridge MAC is zero, no local entries");
}

/// `br_setport`'s STP parameters and flag checks: priority above 63 and a cost outside
/// 1..65535 are ERANGE; a new priority changes the port id; `mab` without `locked` and
/// `learning` is EINVAL with the flags restored; `bridge link set` on a non-port is refused.
#[test]
fn port_parameter_checks() {
    let w = world();
    let ns = NetnsId::INIT;
    let br = bridge(&w, ns, "br0", None, &[]).unwrap();
    let d = dummy(&w, ns, "d0");
    enslave(&w, &d, &br).unwrap();
    let set = |args: &[&str]| {
        let cfg = netdev_bridge::parse_port_args(args).unwrap();
        netdev_bridge::set_port(&mut w.rtnl(), &d, &cfg)
    };
    assert_eq!(set(&["priority", "64"]), Err(Errno::Erange.into()));
    assert_eq!(set(&["cost", "0"]), Err(Errno::Erange.into()));
    assert_eq!(set(&["cost", "65536"]), Err(Errno::Erange.into()));
    set(&["priority", "10", "cost", "7"]).unwrap();
    let p = netdev_bridge::port_info(&d).unwrap();
    assert_eq!((p.priority, p.cost, p.port_id), (10, 7, (10 << 10) | 1));
    assert!(p.flags.contains(netdev_bridge::PortFlags::ADMIN_COST));
    let before = netdev_bridge::port_info(&d).unwrap().flags;
    let e = set(&["mab", "on"]).unwrap_err();
    assert_eq!(e.errno(), Errno::Einval);
    assert_eq!(netdev_bridge::port_info(&d).unwrap().flags, before, "flags restored");
    set(&["locked", "on", "mab", "on"]).unwrap();
    let other = dummy(&w, ns, "d1");
    let cfg = netdev_bridge::parse_port_args(&["cost", "4"]).unwrap();
    assert_eq!(netdev_bridge::set_port(&mut w.rtnl(), &other, &cfg), Err(Errno::Eopnotsupp.into()));
    assert_eq!(netdev_bridge::link_speed(&br), None, "a dummy reports no speed");
    let e = netdev_bridge::fdb_get(&br, common::mac(0x99), 0).unwrap_err();
    assert_eq!((e.errno(), e.extack()), (Errno::Enoent, Some("Fdb entry not found")));
    assert_eq!(netdev_bridge::fdb_get(&br, d.address(), 0).unwrap().port_ifindex, Some(d.ifindex()));
}
