//! Cases pinned to what the real kernel printed on this machine (`reference/linux-golden/`,
//! kernel 6.18, iproute2 6.1): each test names the transcript it follows.

use netdev_core::netlink::{LinkMsg, RTMGRP_LINK};
use netdev_core::{Errno, IfFlags, MacAddr, NetnsId, NewLink, Operstate, Qdisc};
use netdev_veth::{PeerNetns, PeerSpec, Veth, VethConfig};
use vnet_tests::world;

fn req(ns: NetnsId, name: &str) -> NewLink {
    NewLink { name: Some(name.into()), ..NewLink::in_netns(ns) }
}

/// `errors/transcript.txt`: with no peer name the peer takes `veth0` first, so
/// `ip link add veth0 type veth` is "File exists" and leaves nothing behind; a peer that
/// names itself like the main device collides too; the failed attempts used up ifindexes.
#[test]
fn errors_veth_naming() {
    let w = world(1);
    let mut rtnl = w.rtnl();
    let ns = rtnl.netns_add("vg-a").unwrap();
    for _ in 0..2 {
        assert_eq!(rtnl.link_add("veth", &req(ns, "veth0"), &[]).unwrap_err(), Errno::Eexist);
    }
    assert_eq!(rtnl.devices(ns).len(), 1, "only lo");
    let v0 = rtnl.link_add("veth", &req(ns, "veth0"), &["peer", "name", "veth9"]).unwrap();
    assert!(v0.ifindex() > 3, "the failed attempts reserved indexes 2 and 3");
    assert_eq!(rtnl.link_add("veth", &req(ns, "veth0"), &["peer", "name", "veth8"]).unwrap_err(), Errno::Eexist);
    assert_eq!(rtnl.link_add("veth", &req(ns, "vethx"), &["peer", "name", "vethx"]).unwrap_err(), Errno::Eexist);
    let e = rtnl.link_add("veth", &req(ns, "abcdefghijklmnop"), &[]).unwrap_err();
    assert_eq!((e.errno(), e.extack()), (Errno::Einval, Some("Attribute failed policy validation")));
    rtnl.link_add("veth", &req(ns, "abcdefghijklmno"), &["peer", "name", "pfifteencharsxx"]).unwrap();
}

/// `errors/transcript.txt`: MTU bounds with their extack texts; `lo` takes any MTU; `lo` may not
/// move; a name clash in the target namespace.
#[test]
fn errors_mtu_and_moves() {
    let w = world(1);
    let mut rtnl = w.rtnl();
    let a = rtnl.netns_add("vg-a").unwrap();
    let b = rtnl.netns_add("vg-b").unwrap();
    let v0 = rtnl.link_add("veth", &req(a, "veth0"), &["peer", "name", "veth9"]).unwrap();
    let e = rtnl.set_mtu(&v0, 67).unwrap_err();
    assert_eq!((e.errno(), e.extack()), (Errno::Einval, Some("mtu less than device minimum")));
    let e = rtnl.set_mtu(&v0, 65536).unwrap_err();
    assert_eq!((e.errno(), e.extack()), (Errno::Einval, Some("mtu greater than device maximum")));
    rtnl.set_mtu(&v0, 68).unwrap();
    rtnl.set_mtu(&v0, 65535).unwrap();
    let lo = rtnl.dev_by_name(a, "lo").unwrap();
    rtnl.set_mtu(&lo, 65537).unwrap();
    let e = rtnl.change_netns(&lo, b, None, None).unwrap_err();
    assert_eq!((e.errno(), e.extack()), (Errno::Einval, Some("The interface netns is immutable")));
    rtnl.link_add("veth", &req(b, "veth0"), &["peer", "name", "vb1"]).unwrap();
    let e = rtnl.change_netns(&v0, b, None, None).unwrap_err();
    assert_eq!(
        (e.errno(), e.extack()),
        (Errno::Eexist, Some("An interface with the same name exists in the target netns"))
    );
    assert_eq!(rtnl.dellink(&lo).unwrap_err(), Errno::Eopnotsupp);
}

/// `veth-basic/transcript.txt`: veth0 in vg-a and veth1 in vg-b, both ifindex 2. IFLA_LINK is
/// sent although it equals the ifindex (the link is in another namespace: `veth0@if2`); the
/// qdisc is noop before the first up and noqueue after it, carrier or not; with the peer down
/// the state is DOWN, not LOWERLAYERDOWN (iflink == ifindex); carrier counts as sysfs shows them.
#[test]
fn veth_basic_across_namespaces() {
    let w = world(1);
    let (a, b) = {
        let mut rtnl = w.rtnl();
        (rtnl.netns_add("vg-a").unwrap(), rtnl.netns_add("vg-b").unwrap())
    };
    let sock = w.netlink_subscribe(a, RTMGRP_LINK);
    let cfg = VethConfig {
        peer: PeerSpec {
            name: Some("veth1".into()),
            netns: Some(PeerNetns::Id(b)),
            address: Some(MacAddr([2, 0, 0, 0, 0, 0x0b])),
            ..PeerSpec::default()
        },
    };
    let main = NewLink {
        name: Some("veth0".into()),
        target_netns: Some(a),
        address: Some(MacAddr([2, 0, 0, 0, 0, 0x0a])),
        ..NewLink::in_netns(NetnsId::INIT)
    };
    let v0 = w.rtnl().newlink("veth", &main, &(Box::new(cfg) as _)).unwrap();
    let v1 = Veth::peer_of(&v0).unwrap();
    assert_eq!((v0.ifindex(), v1.ifindex(), v0.iflink()), (2, 2, 2));
    assert_eq!(v0.addr_assign_type() as u8, 3, "sysfs addr_assign_type 3 (NET_ADDR_SET)");
    let msgs: Vec<_> = sock.drain().iter().filter_map(|m| LinkMsg::parse(m)).collect();
    assert!(msgs.iter().any(|m| m.ifindex == 2 && m.link == Some(2)), "IFLA_LINK forced: {msgs:?}");
    assert_eq!(v0.qdisc(), Qdisc::Noop);
    assert_eq!((v0.carrier_changes(), v0.carrier_down_count(), v0.carrier_up_count()), (1, 1, 0));
    assert_eq!(v0.raw_flags().bits(), 0x1002);

    w.rtnl().set_up(&v0, true).unwrap();
    assert_eq!(v0.raw_flags().bits(), 0x1003);
    assert_eq!(v0.flags(), IfFlags::BROADCAST | IfFlags::MULTICAST | IfFlags::UP, "NO-CARRIER");
    assert_eq!(v0.qdisc(), Qdisc::Noqueue, "attached at open, even without carrier");
    assert_eq!(v0.operstate(), Operstate::Down, "iflink == ifindex: DOWN, not LOWERLAYERDOWN");

    w.rtnl().set_up(&v1, true).unwrap();
    assert_eq!((v0.operstate(), v1.operstate()), (Operstate::Up, Operstate::Up));
    w.rtnl().set_up(&v1, false).unwrap();
    assert_eq!(v0.operstate(), Operstate::Down);
    assert_eq!(v1.qdisc(), Qdisc::Noqueue, "kept after going down");
    assert_eq!((v0.carrier_changes(), v0.carrier_up_count(), v0.carrier_down_count()), (3, 1, 2));
    // A move is a dev_shutdown: the qdisc is noop again.
    let c = w.rtnl().netns_add("vg-c").unwrap();
    w.rtnl().change_netns(&v1, c, None, None).unwrap();
    assert_eq!(v1.qdisc(), Qdisc::Noop);
}
