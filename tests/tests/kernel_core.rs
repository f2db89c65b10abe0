//! Kernel-faithfulness scenarios for the core's control path, through veth, dummy and lo
//! (reference `kernel-l2.md` §1-3, scenarios T9-T12). Each test names the kernel function whose
//! behaviour it pins. Data-path scenarios are in `kernel_datapath.rs`, notifier and rtnetlink
//! events in `kernel_events.rs`.

use std::sync::Arc;

use netdev_core::netlink::{LinkMsg, RTM_NEWLINK, RTMGRP_LINK};
use netdev_core::{
    AddrAssign, Carrier, Errno, IfFlags, MAX_NEST_DEV, MacAddr, NameAssign, NetDevice, NetnsId, NewLink, Operstate,
    RegState, Result, World, Xmit,
};
use netdev_veth::Veth;
use vnet_tests::{Recorder, Sink, drive, dummy, dummy_req, eth_frame, up, veth_pair, world};

const INIT: NetnsId = NetnsId::INIT;

fn errno<T: std::fmt::Debug>(r: Result<T>) -> Errno {
    r.expect_err("the call must fail").errno()
}

fn names(w: &World, ns: NetnsId) -> Vec<String> {
    w.rtnl().devices(ns).iter().map(|d| d.name().to_string()).collect()
}

fn link_msgs(sock: &netdev_core::netlink::NetlinkSocket) -> Vec<LinkMsg> {
    sock.drain().iter().map(|m| LinkMsg::parse(m).expect("a well-formed link message")).collect()
}

/// T9, `dummy.c:dummy_setup`/`dummy_xmit`/`dummy_change_carrier` with
/// `link_watch.c:linkwatch_init_dev` (UNKNOWN) and `dev.c:dev_validate_mtu` (max_mtu 0).
#[test]
fn t9_dummy_specifics() {
    let w = world(1);
    let sink = Sink::counting().install(&w, INIT);
    let d = dummy(&w, INIT, "d0").unwrap();
    assert_eq!(d.flags(), IfFlags::BROADCAST | IfFlags::NOARP);
    up(&w, &[&d]);
    let visible = IfFlags::BROADCAST | IfFlags::NOARP | IfFlags::UP | IfFlags::RUNNING | IfFlags::LOWER_UP;
    assert_eq!(d.flags(), visible);
    assert_eq!(d.operstate(), Operstate::Unknown, "the carrier was never touched");
    {
        let mut r = w.rtnl();
        r.set_mtu(&d, 0).unwrap();
        assert_eq!(d.mtu(), 0);
        r.set_mtu(&d, 100_000).unwrap();
        assert_eq!(errno(r.set_mtu(&d, 1 << 31)), Errno::Einval);
        assert_eq!(errno(r.set_mtu(&d, u32::MAX)), Errno::Einval);
        assert_eq!(d.mtu(), 100_000);
        r.set_mtu(&d, 1500).unwrap();
        r.change_carrier(&d, Carrier::Off).unwrap();
    }
    assert!(d.flags().contains(IfFlags::UP));
    assert!(!d.flags().intersects(IfFlags::LOWER_UP | IfFlags::RUNNING), "NO-CARRIER");
    assert_eq!(d.operstate(), Operstate::Down, "iflink == ifindex gives DOWN, not LOWERLAYERDOWN");
    let mut cpu = w.cpu(0).unwrap();
    let s = cpu.alloc_frame(&eth_frame(MacAddr::BROADCAST, d.address(), 0x0800, &[], 100));
    assert_eq!(cpu.dev_queue_xmit(&d, s), Xmit::Congested, "noop qdisc without carrier");
    assert_eq!((d.stats64().tx_dropped, d.stats64().tx_packets), (1, 0));
    w.rtnl().change_carrier(&d, Carrier::On).unwrap();
    assert_eq!(d.operstate(), Operstate::Up);
    assert_eq!(d.flags(), visible);
    let s = cpu.alloc_frame(&eth_frame(MacAddr::BROADCAST, d.address(), 0x0800, &[], 100));
    assert_eq!(cpu.dev_queue_xmit(&d, s), Xmit::Ok);
    drive(&mut cpu, 10);
    let st = d.stats64();
    assert_eq!((st.tx_packets, st.tx_bytes, st.rx_packets, st.rx_bytes), (1, 100, 0, 0));
    assert_eq!((w.total_consumed(), w.total_delivered(), sink.delivered()), (1, 0, 0));
    // veth has no ndo_change_carrier.
    let (a, _b) = veth_pair(&w, INIT, "a", INIT, "b").unwrap();
    let changes = a.carrier_changes();
    assert_eq!(errno(w.rtnl().change_carrier(&a, Carrier::Off)), Errno::Eopnotsupp);
    assert_eq!(a.carrier_changes(), changes);
}

/// T10, `dev.c:dev_valid_name`, `dev.c:__dev_alloc_name` (lowest free number) and
/// `dev.c:dev_prep_valid_name` (EEXIST for a literal name in use).
#[test]
fn t10_name_rules() {
    let w = world(1);
    assert_eq!(errno(dummy(&w, INIT, &"a".repeat(16))), Errno::Einval);
    let d15 = dummy(&w, INIT, &"a".repeat(15)).unwrap();
    assert_eq!(d15.name_assign_type(), NameAssign::User);
    for bad in ["a:b", "a/b", "a b", "a\tb", ".", "..", "x%d%d", "x%s", "x%"] {
        assert_eq!(errno(dummy(&w, INIT, bad)), Errno::Einval, "{bad:?}");
    }
    dummy(&w, INIT, "d0").unwrap();
    assert_eq!(errno(dummy(&w, INIT, "d0")), Errno::Eexist);
    let made: Vec<_> = (0..3).map(|_| dummy_req(&w, NewLink::in_netns(INIT)).unwrap().name().to_string()).collect();
    assert_eq!(made, ["dummy0", "dummy1", "dummy2"]);
    let d1 = w.rtnl().dev_by_name(INIT, "dummy1").unwrap();
    assert_eq!(d1.name_assign_type(), NameAssign::Enum);
    w.rtnl().dellink(&d1).unwrap();
    assert_eq!(&*dummy(&w, INIT, "dummy%d").unwrap().name(), "dummy1", "lowest free, not a counter");
    assert_eq!(&*dummy(&w, INIT, "dummy%d").unwrap().name(), "dummy3");
    // Templates are per namespace.
    let ns1 = w.rtnl().netns_add("ns1").unwrap();
    assert_eq!(&*dummy(&w, ns1, "dummy%d").unwrap().name(), "dummy0");
}

/// `dev.c:netif_change_name`: the same name is a no-op, a taken name EEXIST, allowed while up.
#[test]
fn t10_rename_rules() {
    let w = world(1);
    let rec = Recorder::install(&w);
    let d0 = dummy(&w, INIT, "d0").unwrap();
    let _d1 = dummy(&w, INIT, "d1").unwrap();
    up(&w, &[&d0]);
    rec.take();
    let mut r = w.rtnl();
    r.rename(&d0, "d0").unwrap();
    assert!(rec.take().is_empty(), "renaming to the current name does nothing");
    assert_eq!(errno(r.rename(&d0, "d1")), Errno::Eexist);
    assert_eq!(errno(r.rename(&d0, "bad:name")), Errno::Einval);
    assert_eq!(&*d0.name(), "d0");
    r.rename(&d0, "d9").unwrap();
    assert!(d0.is_up(), "renamed while UP");
    assert_eq!(d0.name_assign_type(), NameAssign::Renamed);
    assert!(r.dev_by_name(INIT, "d0").is_none());
    assert_eq!(r.dev_by_name(INIT, "d9").unwrap().id(), d0.id());
    assert_eq!(rec.take_names(), [("NETDEV_CHANGENAME", "d9".to_string())]);
    r.rename(&d0, "d%d").unwrap();
    assert_eq!(&*d0.name(), "d0", "a template takes the lowest free number");
}

/// T11, `dev.c:dev_index_reserve`: per-netns, monotonic, never reused, lo is 1, explicit
/// indexes do not move the cursor. A taken index asked for in RTM_NEWLINK is EEXIST
/// (`rtnl_newlink` finds the device first; `dev_index_reserve`'s EBUSY is behind it).
#[test]
fn t11_ifindex_allocation() {
    let w = world(1);
    let d0 = dummy(&w, INIT, "d0").unwrap();
    let n = d0.ifindex();
    assert_eq!(n, 2, "lo is 1");
    w.rtnl().dellink(&d0).unwrap();
    assert_eq!(dummy(&w, INIT, "d1").unwrap().ifindex(), n + 1, "a freed index is not reused");
    let ns1 = w.rtnl().netns_add("ns1").unwrap();
    assert_eq!(w.rtnl().dev_by_name(ns1, "lo").unwrap().ifindex(), 1);
    assert_eq!(dummy(&w, ns1, "x").unwrap().ifindex(), 2, "first device of a fresh netns");
    let with_index = |ns, name: &str, i| {
        dummy_req(&w, NewLink { name: Some(name.into()), ifindex: Some(i), ..NewLink::in_netns(ns) })
    };
    assert_eq!(errno(with_index(ns1, "y", 2)), Errno::Eexist);
    assert_eq!(errno(with_index(ns1, "y", 1)), Errno::Eexist);
    assert_eq!(errno(with_index(ns1, "y", 1 << 31)), Errno::Einval);
    assert!(w.rtnl().dev_by_name(ns1, "y").is_none(), "a failed registration leaves nothing");
    assert_eq!(with_index(ns1, "ten", 10).unwrap().ifindex(), 10);
    let auto: Vec<u32> = (3..=10).map(|i| dummy(&w, ns1, &format!("a{i}")).unwrap().ifindex()).collect();
    assert_eq!(auto, [3, 4, 5, 6, 7, 8, 9, 11], "the cursor skips the explicit 10");
    assert_eq!(dummy(&w, INIT, "d2").unwrap().ifindex(), n + 2, "namespaces do not share a cursor");
    // veth_newlink honours the peer's ifi_index only if the main device has one too.
    let veth = |main: Option<u32>, peer: u32| {
        let req = NewLink { name: Some(format!("m{peer}")), ifindex: main, ..NewLink::in_netns(ns1) };
        let a = w.rtnl().link_add("veth", &req, &["peer", "name", &format!("p{peer}"), "index", &peer.to_string()]);
        let a = a.unwrap();
        (a.ifindex(), Veth::peer_of(&a).unwrap().ifindex())
    };
    assert_eq!(veth(Some(40), 30), (40, 30));
    assert_eq!(veth(None, 60), (13, 12), "the peer's index is ignored without the main's");
}

/// T12, `dev.c:__dev_change_net_namespace` (check order, name clash, kept or new ifindex,
/// arrives down) for a dummy and for lo.
#[test]
fn t12_netns_move_rules() {
    let w = world(1);
    let ns1 = w.rtnl().netns_add("ns1").unwrap();
    let ns2 = w.rtnl().netns_add("ns2").unwrap();
    let lo = w.rtnl().dev_by_name(INIT, "lo").unwrap();
    let e = w.rtnl().change_netns(&lo, ns1, None, None).expect_err("lo is netns-immutable");
    assert_eq!((e.errno(), e.extack()), (Errno::Einval, Some("The interface netns is immutable")));
    let d0 = dummy(&w, INIT, "d0").unwrap();
    let other = dummy(&w, ns1, "d0").unwrap();
    assert_eq!(other.ifindex(), d0.ifindex());
    up(&w, &[&d0]);
    let mut r = w.rtnl();
    assert_eq!(errno(r.change_netns(&d0, ns1, None, None)), Errno::Eexist);
    assert_eq!((d0.netns(), d0.is_up()), (INIT, true), "a refused move changes nothing");
    r.change_netns(&d0, INIT, None, None).unwrap();
    assert_eq!(d0.netns(), INIT);
    let old = d0.ifindex();
    r.change_netns(&d0, ns1, Some("d9"), None).unwrap();
    assert_eq!((d0.netns(), &*d0.name()), (ns1, "d9"));
    assert!(!d0.is_up() && !d0.is_running(), "a moved device arrives down");
    assert_ne!(d0.ifindex(), old, "its index was taken in ns1, so it got a new one");
    assert!(r.dev_by_name(INIT, "d0").is_none() && r.dev_by_index(INIT, old).is_none());
    assert_eq!(r.dev_by_index(ns1, d0.ifindex()).unwrap().id(), d0.id());
    // The index is kept when free, without moving the target's cursor.
    drop(r);
    let e1 = dummy(&w, INIT, "e1").unwrap();
    let kept = e1.ifindex();
    assert!(kept > 2);
    w.rtnl().change_netns(&e1, ns2, None, None).unwrap();
    assert_eq!(e1.ifindex(), kept);
    assert_eq!(dummy(&w, ns2, "n").unwrap().ifindex(), 2);
    // IFLA_NEW_IFINDEX: reserved, EBUSY if taken.
    let f = dummy(&w, INIT, "f").unwrap();
    assert_eq!(errno(w.rtnl().change_netns(&f, ns2, None, Some(1))), Errno::Ebusy);
    assert_eq!(f.netns(), INIT);
    w.rtnl().change_netns(&f, ns2, None, Some(50)).unwrap();
    assert_eq!((f.netns(), f.ifindex()), (ns2, 50));
}

/// T12 for veth, `veth.c:veth_close` on the move (carrier off on both ends) and
/// `veth_get_iflink`/`veth_get_link_net` across namespaces.
#[test]
fn t12_veth_end_move() {
    let w = world(1);
    let ns1 = w.rtnl().netns_add("ns1").unwrap();
    let (a, b) = veth_pair(&w, INIT, "a", INIT, "b").unwrap();
    up(&w, &[&a, &b]);
    assert!(a.has_carrier() && b.has_carrier());
    w.rtnl().change_netns(&b, ns1, None, None).unwrap();
    assert!(!b.is_up() && a.is_up());
    assert!(!a.has_carrier() && !b.has_carrier(), "veth_close turns off both carriers");
    assert_eq!(a.operstate(), Operstate::Down, "the peer's index is looked up in a's own netns");
    assert_eq!((a.iflink(), a.link_netns()), (b.ifindex(), ns1));
    assert_eq!((b.iflink(), b.link_netns()), (a.ifindex(), INIT));
    up(&w, &[&b]);
    assert!(a.has_carrier() && b.has_carrier());
    assert_eq!((a.operstate(), b.operstate()), (Operstate::Up, Operstate::Up));
}

/// `loopback.c:loopback_setup` registered first in every netns (`loopback_net_init`), not
/// deletable (no rtnl_link_ops), and `loopback_xmit` (rx is tx, bytes after the header).
#[test]
fn lo_in_every_netns() {
    let w = world(1);
    let ns1 = w.rtnl().netns_add("ns1").unwrap();
    for ns in [INIT, ns1] {
        let lo = w.rtnl().dev_by_index(ns, 1).unwrap();
        assert_eq!((&*lo.name(), lo.mtu(), lo.flags()), ("lo", 65536, IfFlags::LOOPBACK));
        assert!(!lo.is_up());
        assert_eq!(names(&w, ns), ["lo"]);
        assert_eq!(errno(w.rtnl().dellink(&lo)), Errno::Eopnotsupp);
    }
    let lo = w.rtnl().dev_by_name(ns1, "lo").unwrap();
    let sink = Sink::recording().install(&w, ns1);
    up(&w, &[&lo]);
    assert_eq!(lo.flags(), IfFlags::LOOPBACK | IfFlags::UP | IfFlags::RUNNING | IfFlags::LOWER_UP);
    assert_eq!(lo.operstate(), Operstate::Unknown);
    let mut cpu = w.cpu(0).unwrap();
    for _ in 0..3 {
        let s = cpu.alloc_frame(&eth_frame(MacAddr::ZERO, MacAddr::ZERO, 0x0800, &[], 100));
        assert_eq!(cpu.dev_queue_xmit(&lo, s), Xmit::Ok);
    }
    assert_eq!(drive(&mut cpu, 10), 3);
    let st = lo.stats64();
    assert_eq!((st.tx_packets, st.rx_packets, st.tx_bytes, st.rx_bytes), (3, 3, 3 * 86, 3 * 86));
    assert!(sink.log().iter().all(|d| d.ifindex == 1 && d.netns == ns1 && d.len == 86));
    assert_eq!(sink.delivered(), 3);
}

/// `dev.c:default_device_exit_batch`: devices with rtnl_link_ops are deleted through dellink,
/// so a veth takes its peer along from another netns.
#[test]
fn netns_teardown_deletes_kind_devices() {
    let w = world(1);
    let ns1 = w.rtnl().netns_add("ns1").unwrap();
    let ns2 = w.rtnl().netns_add("ns2").unwrap();
    let d = dummy(&w, ns1, "d0").unwrap();
    let (a, b) = veth_pair(&w, INIT, "a", ns1, "b").unwrap();
    let (c, e) = veth_pair(&w, ns1, "c", ns2, "e").unwrap();
    let lo1 = w.rtnl().dev_by_name(ns1, "lo").unwrap();
    w.rtnl().netns_del(ns1).unwrap();
    for dev in [&d, &a, &b, &c, &e, &lo1] {
        assert_eq!(dev.reg_state(), RegState::Unregistered, "{}", dev.name());
    }
    assert_eq!(names(&w, INIT), ["lo"]);
    assert_eq!(names(&w, ns2), ["lo"]);
    let mut r = w.rtnl();
    assert!(!r.netns_exists(ns1) && r.netns_by_name("ns1").is_none());
    assert_eq!(errno(r.netns_del(ns1)), Errno::Enoent);
    assert_eq!(errno(r.netns_del(INIT)), Errno::Einval);
    assert_eq!(errno(r.netns_add("ns2")), Errno::Eexist);
    let again = r.netns_add("ns1").unwrap();
    assert_ne!(again, ns1, "namespace ids are not reused");
    assert_eq!(r.dev_by_index(again, 1).unwrap().name().as_ref(), "lo");
}

/// `dev.c:netif_set_mtu_ext` (equal MTU returns first; PRECHANGEMTU veto; CHANGEMTU) and
/// `dev_validate_mtu` with veth's 68..65535 (`veth.c:veth_setup`), at set and at creation.
#[test]
fn mtu_bounds_and_notifications() {
    let w = world(1);
    let rec = Recorder::install(&w);
    let (a, b) = veth_pair(&w, INIT, "a", INIT, "b").unwrap();
    let sock = w.netlink_subscribe(INIT, RTMGRP_LINK);
    rec.take();
    let mut r = w.rtnl();
    assert_eq!(errno(r.set_mtu(&a, 67)), Errno::Einval);
    assert_eq!(errno(r.set_mtu(&a, 65536)), Errno::Einval);
    assert_eq!(a.mtu(), 1500);
    r.set_mtu(&a, 1500).unwrap();
    assert!(rec.take().is_empty() && sock.drain().is_empty(), "same MTU: no notification");
    r.set_mtu(&a, 68).unwrap();
    r.set_mtu(&a, 65535).unwrap();
    assert_eq!((a.mtu(), b.mtu()), (65535, 1500), "no peer sync");
    assert_eq!(
        rec.take_names().iter().map(|(e, _)| *e).collect::<Vec<_>>(),
        ["NETDEV_PRECHANGEMTU", "NETDEV_CHANGEMTU", "NETDEV_PRECHANGEMTU", "NETDEV_CHANGEMTU"]
    );
    let mtus: Vec<_> = link_msgs(&sock).iter().filter(|m| m.msg_type == RTM_NEWLINK).filter_map(|m| m.mtu).collect();
    assert_eq!(mtus, [68, 65535], "rtnetlink_event sends RTM_NEWLINK on CHANGEMTU");
    rec.set_veto(Some(("NETDEV_PRECHANGEMTU", Errno::Eperm)));
    assert_eq!(errno(r.set_mtu(&a, 9000)), Errno::Eperm);
    assert_eq!(a.mtu(), 65535);
    rec.set_veto(None);
    drop(r);
    let req = NewLink { name: Some("m".into()), mtu: Some(67), ..NewLink::in_netns(INIT) };
    assert_eq!(errno(w.rtnl().link_add("veth", &req, &[])), Errno::Einval);
    assert!(w.rtnl().dev_by_name(INIT, "m").is_none() && w.rtnl().dev_by_name(INIT, "veth0").is_none());
    let req = NewLink { name: Some("m".into()), ..NewLink::in_netns(INIT) };
    assert_eq!(errno(w.rtnl().link_add("veth", &req, &["peer", "name", "n", "mtu", "65536"])), Errno::Einval);
    assert!(w.rtnl().dev_by_name(INIT, "m").is_none() && w.rtnl().dev_by_name(INIT, "n").is_none());
}

/// `dev.c:netif_set_mac_address` + `eth.c:eth_prepare_mac_addr_change` (EADDRNOTAVAIL, veth's
/// IFF_LIVE_ADDR_CHANGE, NET_ADDR_SET) and `eth.c:eth_hw_addr_random` from the seeded RNG.
#[test]
fn mac_address_rules() {
    let w = world(1);
    let (a, b) = veth_pair(&w, INIT, "a", INIT, "b").unwrap();
    up(&w, &[&a, &b]);
    let rec = Recorder::install(&w);
    let orig = a.address();
    assert_eq!(a.addr_assign_type(), AddrAssign::Random);
    let mut r = w.rtnl();
    for bad in [MacAddr::ZERO, MacAddr([1, 0, 0x5e, 0, 0, 1]), MacAddr::BROADCAST] {
        assert_eq!(errno(r.set_address(&a, bad)), Errno::Eaddrnotavail, "{bad}");
    }
    assert_eq!((a.address(), a.addr_assign_type()), (orig, AddrAssign::Random));
    rec.take();
    let new = MacAddr([2, 0x11, 0x22, 0x33, 0x44, 0x55]);
    r.set_address(&a, new).unwrap();
    assert!(a.is_up(), "IFF_LIVE_ADDR_CHANGE: changed while up");
    assert_eq!((a.address(), a.addr_assign_type()), (new, AddrAssign::Set));
    let ev: Vec<_> = rec.take_names().into_iter().map(|(e, _)| e).collect();
    assert_eq!(ev, ["NETDEV_PRE_CHANGEADDR", "NETDEV_CHANGEADDR"]);
    rec.set_veto(Some(("NETDEV_PRE_CHANGEADDR", Errno::Ebusy)));
    assert_eq!(errno(r.set_address(&a, MacAddr([2, 0, 0, 0, 0, 1]))), Errno::Ebusy);
    assert_eq!(a.address(), new, "a vetoed change keeps the address");
    rec.set_veto(None);
    drop(r);
    let req = NewLink { name: Some("m".into()), ..NewLink::in_netns(INIT) };
    let args = ["peer", "name", "n", "address", "01:00:5e:00:00:01"];
    assert_eq!(errno(w.rtnl().link_add("veth", &req, &args)), Errno::Eaddrnotavail);
    assert!(w.rtnl().dev_by_name(INIT, "m").is_none() && w.rtnl().dev_by_name(INIT, "n").is_none());
    let req = NewLink { name: Some("z".into()), address: Some(MacAddr::ZERO), ..NewLink::in_netns(INIT) };
    assert_eq!(errno(dummy_req(&w, req)), Errno::Eaddrnotavail);
    let given = MacAddr([2, 0, 0, 0, 0, 7]);
    let g = dummy_req(&w, NewLink { name: Some("g".into()), address: Some(given), ..NewLink::in_netns(INIT) });
    assert_eq!(g.unwrap().addr_assign_type(), AddrAssign::Set);
}

fn macs(seed: u64) -> Vec<MacAddr> {
    let w = world(seed);
    let mut out = Vec::new();
    for i in 0..4 {
        let (a, b) = veth_pair(&w, INIT, &format!("a{i}"), INIT, &format!("b{i}")).unwrap();
        out.push(a.address());
        out.push(b.address());
        out.push(dummy(&w, INIT, &format!("d{i}")).unwrap().address());
    }
    out
}

/// `eth.c:eth_random_addr`: unicast, locally administered; the World's seed fixes the sequence.
#[test]
fn random_macs_are_seeded() {
    let one = macs(7);
    for m in &one {
        assert!(m.is_valid(), "{m}");
        assert_eq!(m.0[0] & 0x03, 0x02, "{m}: local, unicast");
    }
    let mut uniq = one.clone();
    uniq.sort();
    uniq.dedup();
    assert_eq!(uniq.len(), one.len());
    assert_eq!(macs(7), one);
    assert_ne!(macs(8), one);
}

fn chain(w: &World, n: usize, prefix: &str) -> Vec<Arc<NetDevice>> {
    (0..n).map(|i| dummy(w, INIT, &format!("{prefix}{i}")).unwrap()).collect()
}

/// `dev.c:__netdev_upper_dev_link`: self and loops EBUSY, nesting over MAX_NEST_DEV EMLINK,
/// an existing link EEXIST, the same master EEXIST, a second master EBUSY.
#[test]
fn upper_dev_link_rules() {
    let w = world(1);
    let d = chain(&w, 10, "d");
    let mut r = w.rtnl();
    assert_eq!(errno(r.upper_dev_link(&d[0], &d[0], false)), Errno::Ebusy);
    for i in 1..usize::from(MAX_NEST_DEV) {
        r.upper_dev_link(&d[i - 1], &d[i], false).unwrap();
    }
    assert_eq!(d[0].nest_levels(), (8, 1));
    assert_eq!(d[7].nest_levels(), (1, 8));
    assert_eq!(errno(r.upper_dev_link(&d[7], &d[8], false)), Errno::Emlink, "a 9th level");
    assert_eq!(errno(r.upper_dev_link(&d[3], &d[1], false)), Errno::Ebusy, "a loop");
    assert_eq!(errno(r.upper_dev_link(&d[7], &d[0], false)), Errno::Ebusy, "a loop, even if too deep");
    assert_eq!(errno(r.upper_dev_link(&d[0], &d[1], false)), Errno::Eexist);
    assert!(d[8].lowers().is_empty() && d[7].uppers().is_empty(), "failed links leave no trace");
    r.upper_dev_unlink(&d[6], &d[7]);
    assert_eq!(d[7].nest_levels(), (1, 1));
    r.upper_dev_link(&d[6], &d[8], false).unwrap();
    assert_eq!(d[8].nest_levels(), (1, 8));
    // Two towers: lower_level 4 under upper_level 5 is 9 levels.
    drop(r);
    let t = chain(&w, 9, "t");
    let mut r = w.rtnl();
    for i in [1, 2, 3, 5, 6, 7, 8] {
        r.upper_dev_link(&t[i - 1], &t[i], false).unwrap();
    }
    assert_eq!(errno(r.upper_dev_link(&t[3], &t[4], false)), Errno::Emlink);
    r.upper_dev_unlink(&t[7], &t[8]);
    r.upper_dev_link(&t[3], &t[4], false).unwrap();
    assert_eq!(t[0].nest_levels(), (8, 1));
    // Masters.
    drop(r);
    let m = chain(&w, 3, "m");
    let mut r = w.rtnl();
    r.upper_dev_link(&m[0], &m[1], true).unwrap();
    assert_eq!(m[0].master().unwrap().id(), m[1].id());
    assert_eq!(errno(r.upper_dev_link(&m[0], &m[1], true)), Errno::Eexist);
    assert_eq!(errno(r.upper_dev_link(&m[0], &m[2], true)), Errno::Ebusy);
    assert_eq!(m[0].master().unwrap().id(), m[1].id());
    drop(r);
    let rec = Recorder::install(&w);
    rec.set_veto(Some(("NETDEV_PRECHANGEUPPER", Errno::Eopnotsupp)));
    assert_eq!(errno(w.rtnl().upper_dev_link(&m[2], &m[1], false)), Errno::Eopnotsupp);
    assert!(m[2].uppers().is_empty() && m[1].lowers().iter().all(|l| l.id() != m[2].id()));
    rec.set_veto(None);
    w.rtnl().upper_dev_link(&m[2], &m[1], false).unwrap();
    let ev: Vec<_> = rec.take().into_iter().map(|e| e.name).collect();
    assert_eq!(ev, ["NETDEV_PRECHANGEUPPER", "NETDEV_PRECHANGEUPPER", "NETDEV_CHANGEUPPER"]);
}

/// `dev.c:__dev_set_promiscuity` (a counter held by the kernel) versus `netif_get_flags`
/// (PROMISC shown only when the user asked for it, through gflags).
#[test]
fn promiscuity_kernel_vs_user() {
    let w = world(1);
    let d = dummy(&w, INIT, "d0").unwrap();
    up(&w, &[&d]);
    let mut r = w.rtnl();
    r.dev_set_promiscuity(&d, 1).unwrap();
    assert!(d.raw_flags().contains(IfFlags::PROMISC));
    assert!(!d.flags().contains(IfFlags::PROMISC), "ip link hides a kernel-held PROMISC");
    assert_eq!(d.promiscuity(), 1);
    r.set_promisc(&d, true).unwrap();
    assert!(d.flags().contains(IfFlags::PROMISC));
    assert_eq!(d.promiscuity(), 2);
    r.set_promisc(&d, true).unwrap();
    assert_eq!(d.promiscuity(), 2, "the user flag takes one reference");
    r.set_promisc(&d, false).unwrap();
    assert!(!d.flags().contains(IfFlags::PROMISC) && d.raw_flags().contains(IfFlags::PROMISC));
    r.dev_set_promiscuity(&d, -1).unwrap();
    assert!(!d.raw_flags().contains(IfFlags::PROMISC));
    assert_eq!(d.promiscuity(), 0);
}
