//! kernel-l2.md §6.1–6.2: ports, creation, changelink and the source list
//! (macvlan_port_create, macvlan_validate, macvlan_common_newlink, macvlan_changelink,
//! macvlan_changelink_sources, macvlan_fill_info).

mod common;

use std::sync::Arc;

use common::{add, mac, req};
use netdev_core::{
    ARPHRD_NONE, Cpu, DeviceSetup, Errno, Features, KindConfig, MacAddr, NetDevice, NetDeviceOps, NetnsId, NewLink,
    PrivFlags, Registration, RxHandler, RxHandlerResult, Skb, Xmit,
};
use netdev_macvlan::{
    MACVLAN_FLAG_NODST, MACVLAN_FLAG_NOPROMISC, MacaddrMode, MacaddrOp, MacvlanConfig, MacvlanMode, changelink, info,
    macaddr, port_info,
};

const NS: NetnsId = NetnsId::INIT;

fn fill(dev: &NetDevice) -> String {
    let mut s = String::new();
    dev.link_kind().unwrap().fill_info(dev, &mut s).unwrap();
    s
}

/// macvlan_common_newlink: IFLA_LINK is required (EINVAL) and must exist (ENODEV).
#[test]
fn link_is_required() {
    let w = common::world(1);
    let mut r = w.rtnl();
    let no_link = NewLink { name: Some("m0".into()), ..NewLink::in_netns(NS) };
    assert_eq!(add(&mut r, &no_link, MacvlanConfig::default()).unwrap_err(), Errno::Einval);
    let bad = NewLink { link: Some(77), ..no_link };
    assert_eq!(add(&mut r, &bad, MacvlanConfig::default()).unwrap_err(), Errno::Enodev);
    assert!(r.dev_by_name(NS, "m0").is_none());
}

/// macvlan_common_newlink: the default mode is VEPA, named macvlan%d without a name, linked
/// as an upper of its lower, IFF_MACVLAN on it and IFF_MACVLAN_PORT on the lower.
#[test]
fn defaults_and_links() {
    let w = common::world(2);
    let mut r = w.rtnl();
    let (a, _b) = common::veth(&mut r, NS, "a", NS, "b");
    let d =
        add(&mut r, &NewLink { link: Some(a.ifindex()), ..NewLink::in_netns(NS) }, MacvlanConfig::default()).unwrap();
    assert_eq!(&*d.name(), "macvlan0");
    assert_eq!(d.kind(), "macvlan");
    let i = info(&d).unwrap();
    assert_eq!(
        (i.mode, i.flags, i.bc_queue_len, i.bc_queue_len_used, i.bc_cutoff),
        (MacvlanMode::Vepa, 0, 1000, 1000, 1)
    );
    assert_eq!((i.lower_ifindex, i.lower_netns, i.macaddr_count), (a.ifindex(), NS, 0));
    assert_eq!(fill(&d), "mode vepa bcqueuelen 1000 usedbcqueuelen 1000 ");
    assert_eq!(d.iflink(), a.ifindex());
    assert!(d.priv_flags().contains(PrivFlags::MACVLAN | PrivFlags::UNICAST_FLT | PrivFlags::NO_QUEUE));
    assert!(!d.priv_flags().contains(PrivFlags::TX_SKB_SHARING));
    assert!(a.priv_flags().contains(PrivFlags::MACVLAN_PORT));
    assert!(a.has_rx_handler());
    assert_eq!(a.uppers().iter().map(|u| u.id()).collect::<Vec<_>>(), [d.id()]);
    assert_eq!(d.lowers().iter().map(|l| l.id()).collect::<Vec<_>>(), [a.id()]);
    assert!(!d.netns_immutable());
    // macvlan_init: the lower's features within MACVLAN_FEATURES, plus the always-on offloads.
    assert!(d.features().contains(Features::SG | Features::HW_CSUM | Features::HIGHDMA | Features::RXCSUM));
    assert!(!d.features().contains(Features::HW_VLAN_CTAG_TX), "veth's vlan offload is not a macvlan feature");
    assert!(d.features().contains(Features::GSO_ROBUST));
    assert_eq!((netdev_macvlan::DRIVER_NAME, netdev_macvlan::DRIVER_VERSION), ("macvlan", "0.1"));
    // Deleting the last macvlan destroys the port.
    r.dellink(&d).unwrap();
    assert!(!a.has_rx_handler());
    assert!(!a.priv_flags().contains(PrivFlags::MACVLAN_PORT));
    assert!(a.uppers().is_empty());
}

/// macvlan_common_newlink: a macvlan as the lower means its own lower: the two are siblings.
#[test]
fn macvlan_on_macvlan_uses_the_real_lower() {
    let w = common::world(3);
    let mut r = w.rtnl();
    let (a, _b) = common::veth(&mut r, NS, "a", NS, "b");
    let m1 = add(&mut r, &req(NS, "m1", &a, None), MacvlanConfig::default()).unwrap();
    let m2 = add(&mut r, &req(NS, "m2", &m1, None), MacvlanConfig::default()).unwrap();
    assert_eq!(m2.iflink(), a.ifindex());
    assert_eq!(info(&m2).unwrap().lower_ifindex, a.ifindex());
    assert!(m1.uppers().is_empty());
    assert_eq!(port_info(&a).unwrap().macvlans, [m1.id(), m2.id()]);
    assert_eq!(port_info(&m2), port_info(&a));
}

/// macvlan_common_newlink and macvlan_change_mtu: the lower's MTU by default, never above it
/// (EINVAL), min 68, max the lower's max_mtu; rtnl_create_link's range check comes first.
#[test]
fn mtu_rules() {
    let w = common::world(4);
    let mut r = w.rtnl();
    let (a, _b) = common::veth(&mut r, NS, "a", NS, "b");
    r.set_mtu(&a, 1400).unwrap();
    let d = add(&mut r, &req(NS, "m0", &a, None), MacvlanConfig::default()).unwrap();
    assert_eq!((d.mtu(), d.min_mtu(), d.max_mtu()), (1400, 68, 65535));
    let mut big = req(NS, "m1", &a, None);
    big.mtu = Some(1600);
    assert_eq!(add(&mut r, &big, MacvlanConfig::default()).unwrap_err(), Errno::Einval);
    big.mtu = Some(67);
    let e = add(&mut r, &big, MacvlanConfig::default()).unwrap_err();
    assert_eq!((e.errno(), e.extack()), (Errno::Einval, Some("mtu less than device minimum")));
    big.mtu = Some(1300);
    let m1 = add(&mut r, &big, MacvlanConfig::default()).unwrap();
    assert_eq!(m1.mtu(), 1300);
    assert_eq!(r.set_mtu(&m1, 1401).unwrap_err(), Errno::Einval);
    r.set_mtu(&m1, 1400).unwrap();
    assert_eq!(r.set_mtu(&m1, 67).unwrap_err(), Errno::Einval);
    // A dummy lower: max_mtu 0 (unbounded) is inherited, and a large MTU is taken as it is.
    let dm = netdev_core::NewLink { name: Some("d0".into()), ..NewLink::in_netns(NS) };
    let d0 = r.newlink("dummy", &dm, &(Box::new(()) as KindConfig)).unwrap();
    r.set_mtu(&d0, 100_000).unwrap();
    let md = add(&mut r, &req(NS, "md", &d0, None), MacvlanConfig::default()).unwrap();
    assert_eq!((md.mtu(), md.max_mtu()), (100_000, 0));
}

struct NoOps;
impl NetDeviceOps for NoOps {
    fn xmit(&self, cpu: &mut Cpu, _dev: &Arc<NetDevice>, skb: Skb) -> Xmit {
        cpu.consume_skb(skb);
        Xmit::Ok
    }
}

struct Grab;
impl RxHandler for Grab {
    fn handle(&self, _cpu: &mut Cpu, _dev: &Arc<NetDevice>, skb: Skb) -> RxHandlerResult {
        RxHandlerResult::Pass(skb)
    }
}

/// macvlan_port_create: EINVAL for a loopback or non-Ethernet lower, EBUSY for a lower that
/// already has an rx handler (a bridge port, bond slave, ...), EINVAL for IFF_NO_RX_HANDLER;
/// and the other way round (T17): a macvlan lower cannot take another rx handler (EBUSY).
#[test]
fn port_create_rules() {
    let w = common::world(5);
    let mut r = w.rtnl();
    let lo = r.dev_by_name(NS, "lo").unwrap();
    assert_eq!(add(&mut r, &req(NS, "m0", &lo, None), MacvlanConfig::default()).unwrap_err(), Errno::Einval);
    let mut setup = DeviceSetup::ether("raw");
    setup.dev_type = ARPHRD_NONE;
    let raw = r
        .register(Registration {
            netns: NS,
            name: Some("raw0".into()),
            ifindex: None,
            setup,
            mtu: None,
            address: None,
            txqlen: None,
            ops: Box::new(NoOps),
            link_kind: None,
        })
        .unwrap();
    assert_eq!(add(&mut r, &req(NS, "m0", &raw, None), MacvlanConfig::default()).unwrap_err(), Errno::Einval);
    let (a, b) = common::veth(&mut r, NS, "a", NS, "b");
    r.rx_handler_register(&a, Arc::new(Grab)).unwrap();
    assert_eq!(add(&mut r, &req(NS, "m0", &a, None), MacvlanConfig::default()).unwrap_err(), Errno::Ebusy);
    r.set_priv_flags(&b, PrivFlags::NO_RX_HANDLER, true);
    assert_eq!(add(&mut r, &req(NS, "m0", &b, None), MacvlanConfig::default()).unwrap_err(), Errno::Einval);
    r.set_priv_flags(&b, PrivFlags::NO_RX_HANDLER, false);
    add(&mut r, &req(NS, "m0", &b, None), MacvlanConfig::default()).unwrap();
    assert_eq!(r.rx_handler_register(&b, Arc::new(Grab)).unwrap_err(), Errno::Ebusy);
    assert!(r.dev_by_name(NS, "m0").is_some());
}

/// macvlan_common_newlink, passthru: only on a port without macvlans, and then alone (EINVAL
/// both ways); it inherits the lower's MAC whatever address was asked for.
#[test]
fn passthru_is_alone_and_takes_the_lower_mac() {
    let w = common::world(6);
    let mut r = w.rtnl();
    let (a, _b) = common::veth(&mut r, NS, "a", NS, "b");
    let p = add(&mut r, &req(NS, "p0", &a, Some(mac(9))), MacvlanConfig::with_mode(MacvlanMode::Passthru)).unwrap();
    assert_eq!(p.address(), a.address());
    assert!(port_info(&a).unwrap().passthru);
    for mode in MacvlanMode::ALL {
        let e = add(&mut r, &req(NS, "x", &a, None), MacvlanConfig::with_mode(mode)).unwrap_err();
        assert_eq!(e, Errno::Einval, "{mode} next to passthru");
    }
    r.dellink(&p).unwrap();
    // The port went with it: a plain macvlan is fine again, and then passthru is not.
    add(&mut r, &req(NS, "v0", &a, None), MacvlanConfig::default()).unwrap();
    assert!(!port_info(&a).unwrap().passthru);
    let e = add(&mut r, &req(NS, "p1", &a, None), MacvlanConfig::with_mode(MacvlanMode::Passthru)).unwrap_err();
    assert_eq!(e, Errno::Einval);
}

/// macvlan_validate: an invalid address is EADDRNOTAVAIL; unknown flags and a supplied
/// macaddr count are EINVAL; macvlan_common_newlink: a macaddr mode outside source mode is
/// EINVAL. A failed creation leaves no port behind.
#[test]
fn validation_errors() {
    let w = common::world(7);
    let mut r = w.rtnl();
    let (a, _b) = common::veth(&mut r, NS, "a", NS, "b");
    let cases: Vec<(NewLink, MacvlanConfig, Errno)> = vec![
        (req(NS, "m", &a, Some(MacAddr::BROADCAST)), MacvlanConfig::default(), Errno::Eaddrnotavail),
        (req(NS, "m", &a, None), MacvlanConfig { flags: Some(8), ..MacvlanConfig::default() }, Errno::Einval),
        (req(NS, "m", &a, None), MacvlanConfig { macaddr_count: Some(1), ..MacvlanConfig::default() }, Errno::Einval),
        (
            req(NS, "m", &a, None),
            MacvlanConfig { mode: Some(MacvlanMode::Bridge), ..MacvlanConfig::macaddr_op(&MacaddrOp::Flush) },
            Errno::Einval,
        ),
        (
            req(NS, "m", &a, None),
            MacvlanConfig { macaddr_mode: Some(MacaddrMode::Add), ..MacvlanConfig::with_mode(MacvlanMode::Source) },
            Errno::Einval,
        ),
        (
            req(NS, "m", &a, None),
            MacvlanConfig { macaddr: Some(MacAddr([1, 0, 0, 0, 0, 1])), ..MacvlanConfig::default() },
            Errno::Eaddrnotavail,
        ),
    ];
    for (q, c, errno) in cases {
        assert_eq!(add(&mut r, &q, c.clone()).unwrap_err(), errno, "{c:?}");
        assert!(!a.has_rx_handler(), "no port left after {c:?}");
    }
    // A name clash fails in register_netdevice, after the port was made: it is destroyed too.
    let e = add(&mut r, &req(NS, "a", &a, None), MacvlanConfig::default()).unwrap_err();
    assert_eq!(e, Errno::Eexist);
    assert!(!a.has_rx_handler());
    // Through the kind's argument parser (what `ip link add ... type macvlan ARGS` sends).
    let q = req(NS, "m", &a, None);
    assert_eq!(r.link_add("macvlan", &q, &["mode", "hub"]).unwrap_err(), Errno::Einval);
    let d = r.link_add("macvlan", &q, &["mode", "bridge", "bcqueuelen", "7"]).unwrap();
    assert_eq!((info(&d).unwrap().mode, info(&d).unwrap().bc_queue_len), (MacvlanMode::Bridge, 7));
}

/// macvlan_changelink_sources: ADD (a duplicate is a no-op), DEL (absent: silent), FLUSH, SET;
/// ADD or DEL without an address is EINVAL; `ip -d link` shows `remotes (N)` and the list in
/// the kernel's hash order.
#[test]
fn source_list_operations() {
    let w = common::world(8);
    let mut r = w.rtnl();
    let (a, _b) = common::veth(&mut r, NS, "a", NS, "b");
    let cfg = MacvlanConfig {
        macaddr_mode: Some(MacaddrMode::Add),
        macaddr: Some(mac(0x10)),
        ..MacvlanConfig::with_mode(MacvlanMode::Source)
    };
    let s = add(&mut r, &req(NS, "s0", &a, None), cfg).unwrap();
    assert_eq!(info(&s).unwrap().macaddrs, [mac(0x10)]);
    macaddr(&mut r, &s, &MacaddrOp::Add(mac(0x10))).unwrap();
    macaddr(&mut r, &s, &MacaddrOp::Add(mac(0x11))).unwrap();
    macaddr(&mut r, &s, &MacaddrOp::Add(mac(0x12))).unwrap();
    assert_eq!(info(&s).unwrap().macaddr_count, 3);
    macaddr(&mut r, &s, &MacaddrOp::Del(mac(0x33))).unwrap();
    macaddr(&mut r, &s, &MacaddrOp::Del(mac(0x11))).unwrap();
    let i = info(&s).unwrap();
    let mut sorted = i.macaddrs.clone();
    sorted.sort();
    assert_eq!(sorted, [mac(0x10), mac(0x12)]);
    let text = fill(&s);
    assert!(text.starts_with("mode source bcqueuelen 1000 usedbcqueuelen 1000 remotes (2) "), "{text}");
    assert!(text.contains("02:00:00:00:02:10 ") && text.contains("02:00:00:00:02:12 "), "{text}");
    for op in [MacaddrMode::Add, MacaddrMode::Del] {
        let c = MacvlanConfig { macaddr_mode: Some(op), ..MacvlanConfig::default() };
        assert_eq!(changelink(&mut r, &s, &c).unwrap_err(), Errno::Einval);
    }
    macaddr(&mut r, &s, &MacaddrOp::Set(vec![mac(0x20), mac(0x21), mac(0x20)])).unwrap();
    let mut got = info(&s).unwrap().macaddrs;
    got.sort();
    assert_eq!(got, [mac(0x20), mac(0x21)]);
    macaddr(&mut r, &s, &MacaddrOp::Flush).unwrap();
    assert_eq!(info(&s).unwrap().macaddr_count, 0);
    // A vepa macvlan has no source list.
    let v = add(&mut r, &req(NS, "v0", &a, None), MacvlanConfig::default()).unwrap();
    assert_eq!(macaddr(&mut r, &v, &MacaddrOp::Flush).unwrap_err(), Errno::Einval);
    // The dump order is the kernel's: hash bucket by bucket (macvlan_eth_hash), newest first.
    let many: Vec<MacAddr> = (1..=40).map(|i| MacAddr([0x02, 0, 0, 0, i, i])).collect();
    macaddr(&mut r, &s, &MacaddrOp::Set(many.clone())).unwrap();
    let order = info(&s).unwrap().macaddrs;
    let bucket = |m: &MacAddr| {
        let v = u64::from_le_bytes([m.0[0], m.0[1], m.0[2], m.0[3], m.0[4], m.0[5], 0, 0]) << 16;
        (v.wrapping_mul(0x61C8_8646_80B5_83EB) >> 56) as u8
    };
    let mut expect = many.clone();
    expect.sort_by_key(|m| (bucket(m), std::cmp::Reverse(many.iter().position(|x| x == m))));
    assert_eq!(order, expect);
}

/// macvlan_changelink: passthru can be neither set nor cleared (EINVAL); leaving source mode
/// flushes the list; bcqueuelen updates the port's used length (the largest request);
/// bc_cutoff is port-wide; the mode changes what `ip -d link` prints.
#[test]
fn changelink_rules() {
    let w = common::world(9);
    let mut r = w.rtnl();
    let (a, _b) = common::veth(&mut r, NS, "a", NS, "b");
    let s = add(&mut r, &req(NS, "s0", &a, None), MacvlanConfig::with_mode(MacvlanMode::Source)).unwrap();
    let v = add(&mut r, &req(NS, "v0", &a, None), MacvlanConfig::default()).unwrap();
    let to_pt = MacvlanConfig::with_mode(MacvlanMode::Passthru);
    assert_eq!(changelink(&mut r, &v, &to_pt).unwrap_err(), Errno::Einval);
    macaddr(&mut r, &s, &MacaddrOp::Add(mac(0x30))).unwrap();
    changelink(&mut r, &s, &MacvlanConfig::with_mode(MacvlanMode::Source)).unwrap();
    assert_eq!(info(&s).unwrap().macaddr_count, 1, "staying in source mode keeps the list");
    changelink(&mut r, &s, &MacvlanConfig::with_mode(MacvlanMode::Bridge)).unwrap();
    assert_eq!(info(&s).unwrap().macaddr_count, 0);
    assert_eq!(fill(&s), "mode bridge bcqueuelen 1000 usedbcqueuelen 1000 ");
    changelink(&mut r, &v, &MacvlanConfig { bc_queue_len: Some(5000), ..MacvlanConfig::default() }).unwrap();
    assert_eq!((info(&v).unwrap().bc_queue_len, info(&s).unwrap().bc_queue_len_used), (5000, 5000));
    changelink(&mut r, &s, &MacvlanConfig { bc_queue_len: Some(10), ..MacvlanConfig::default() }).unwrap();
    assert_eq!(fill(&s), "mode bridge bcqueuelen 10 usedbcqueuelen 5000 ");
    r.dellink(&v).unwrap();
    assert_eq!(info(&s).unwrap().bc_queue_len_used, 10, "update_port_bc_queue_len after dellink");
    changelink(&mut r, &s, &MacvlanConfig { bc_cutoff: Some(-1), ..MacvlanConfig::default() }).unwrap();
    assert_eq!(info(&s).unwrap().bc_cutoff, -1);
    assert_eq!(port_info(&a).unwrap().bc_cutoff, -1);
    // Flags: NODST is kept and printed; unknown bits are EINVAL.
    changelink(&mut r, &s, &MacvlanConfig { flags: Some(MACVLAN_FLAG_NODST), ..MacvlanConfig::default() }).unwrap();
    assert_eq!(info(&s).unwrap().flags, MACVLAN_FLAG_NODST);
    assert!(fill(&s).contains(" nodst "));
    assert_eq!(
        changelink(&mut r, &s, &MacvlanConfig { flags: Some(0x100), ..MacvlanConfig::default() }).unwrap_err(),
        Errno::Einval
    );
    // Through the kind's parser: `ip link set s0 type macvlan mode private`.
    let kind = s.link_kind().unwrap().clone();
    let c = kind.parse_args(&["mode", "private"]).unwrap();
    kind.changelink(&mut r, &s, &c).unwrap();
    assert_eq!(info(&s).unwrap().mode, MacvlanMode::Private);
}

/// macvlan_changelink with NOPROMISC on a passthru macvlan moves the lower's promiscuity, up
/// or not (T29: `nopromisc` leaves the lower at `promiscuity 0`).
#[test]
fn nopromisc_toggles_lower_promiscuity() {
    let w = common::world(10);
    let mut r = w.rtnl();
    let (a, _b) = common::veth(&mut r, NS, "a", NS, "b");
    let cfg = MacvlanConfig { flags: Some(MACVLAN_FLAG_NOPROMISC), ..MacvlanConfig::with_mode(MacvlanMode::Passthru) };
    let p = add(&mut r, &req(NS, "p0", &a, None), cfg).unwrap();
    r.set_up(&p, true).unwrap();
    assert_eq!(a.promiscuity(), 0);
    let promisc = MacvlanConfig { flags: Some(0), ..MacvlanConfig::with_mode(MacvlanMode::Passthru) };
    changelink(&mut r, &p, &promisc).unwrap();
    assert_eq!(a.promiscuity(), 1);
    r.set_up(&p, false).unwrap();
    assert_eq!(a.promiscuity(), 0, "macvlan_stop drops the reference of a promiscuous passthru");
    assert!(fill(&p).starts_with("mode passthru bcqueuelen"));
}
