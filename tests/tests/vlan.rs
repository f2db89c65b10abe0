//! 802.1Q / 802.1ad vlan devices (reference `kernel-l2.md` §5, scenarios T13, T25-T27): creation
//! and its errors, setup, tagging on transmit, untagging on receive, QinQ, and how a vlan follows
//! its real device. Each test names the kernel function whose behaviour it pins.

use std::sync::{Arc, Mutex};

use netdev_core::{
    AddrAssign, Cpu, Direction, DropReason, ETH_P_8021AD, ETH_P_8021Q, Errno, IfFlags, KindConfig, MAX_NEST_DEV,
    MacAddr, NetDevice, NetnsId, NewLink, Operstate, PktType, PrivFlags, Result, RxHandler, RxHandlerResult, Skb, Tap,
    TapPacket, VlanTag, World, Xmit,
};
use netdev_vlan::{QosMapping, VLAN_FLAG_LOOSE_BINDING, VLAN_FLAG_REORDER_HDR, Vlan, VlanConfig};
use vnet_tests::{DropLog, Sink, drive, dummy, eth_frame, up, veth_pair};

const INIT: NetnsId = NetnsId::INIT;
const SEC: u64 = 1_000_000_000;

fn world() -> World {
    let w = vnet_tests::world(1);
    netdev_vlan::register(&w).unwrap();
    w
}

/// `ip [-n NS] link add link LOWER name NAME type vlan ARGS`.
fn vlan(w: &World, ns: NetnsId, lower: &NetDevice, name: &str, args: &[&str]) -> Result<Arc<NetDevice>> {
    let req = NewLink { name: Some(name.into()), link: Some(lower.ifindex()), ..NewLink::in_netns(ns) };
    w.rtnl().link_add("vlan", &req, args)
}

fn info_line(dev: &NetDevice) -> String {
    let mut s = String::new();
    dev.link_kind().unwrap().fill_info(dev, &mut s).unwrap();
    s
}

/// An up veth pair a↔b in the initial namespace, and CPU 0.
fn pair(w: &World) -> (Arc<NetDevice>, Arc<NetDevice>, Cpu) {
    let (a, b) = veth_pair(w, INIT, "a", INIT, "b").unwrap();
    up(w, &[&a, &b]);
    (a, b, w.cpu(0).unwrap())
}

/// `dst src TPID TCI inner payload`, an in-band tagged frame.
fn tagged(dst: MacAddr, src: MacAddr, tpid: u16, tci: u16, inner: u16, payload: &[u8]) -> Vec<u8> {
    let mut f = Vec::new();
    f.extend_from_slice(&dst.octets());
    f.extend_from_slice(&src.octets());
    f.extend_from_slice(&tpid.to_be_bytes());
    f.extend_from_slice(&tci.to_be_bytes());
    f.extend_from_slice(&inner.to_be_bytes());
    f.extend_from_slice(payload);
    f
}

fn send(cpu: &mut Cpu, dev: &Arc<NetDevice>, frame: &[u8]) -> Xmit {
    let skb = cpu.alloc_frame(frame);
    cpu.dev_queue_xmit(dev, skb)
}

/// What a [`WireLog`] keeps of a frame: direction, wire bytes (an out-of-band tag put back), the
/// out-of-band tag, the frame as the skb holds it.
type Seen = (Direction, Vec<u8>, Option<VlanTag>, Vec<u8>);

/// A tap keeping each frame as it was on the wire (an out-of-band tag put back, as libpcap does)
/// and the tag the socket's auxdata would report.
#[derive(Debug, Default)]
struct WireLog(Mutex<Vec<Seen>>);

impl WireLog {
    fn attach(dev: &NetDevice) -> Arc<WireLog> {
        let t = Arc::new(WireLog::default());
        dev.add_tap(t.clone());
        t
    }

    fn take(&self) -> Vec<Seen> {
        std::mem::take(&mut *self.0.lock().unwrap())
    }
}

impl Tap for WireLog {
    fn packet(&self, pkt: &TapPacket<'_>) {
        self.0.lock().unwrap().push((pkt.direction, pkt.wire(), pkt.vlan, pkt.frame.to_vec()));
    }
}

fn conserved(w: &World, sent: u64) {
    assert_eq!(w.total_consumed() + w.total_drops(), sent, "conservation: {:?}", w.drop_counts());
}

// ------------------------------------------------------------------------------ §5.1 creation

/// T25, `vlan_netlink.c:vlan_validate` + `vlan_newlink` + `vlan.c:vlan_check_real_dev`: the ID
/// range, duplicates per (protocol, VID), the protocol, the required attributes, and devices that
/// cannot carry VLANs. A refused request leaves nothing behind.
#[test]
fn t25_vlan_id_protocol_and_link_errors() {
    let w = world();
    let d0 = dummy(&w, INIT, "d0").unwrap();
    let before = w.rtnl().devices(INIT).len();
    for id in ["4095", "4096", "65535"] {
        let e = vlan(&w, INIT, &d0, "v", &["id", id]).unwrap_err();
        assert_eq!((e.errno(), e.extack()), (Errno::Erange, Some("8021q: Invalid VLAN id")), "id {id}");
    }
    assert_eq!(Errno::Erange.strerror(), "Numerical result out of range");
    let e = vlan(&w, INIT, &d0, "v", &["protocol", "ip", "id", "5"]).unwrap_err();
    assert_eq!((e.errno(), e.extack()), (Errno::Eprotonosupport, Some("8021q: Invalid VLAN protocol")));
    let e = vlan(&w, INIT, &d0, "v", &[]).unwrap_err();
    assert_eq!((e.errno(), e.extack()), (Errno::Einval, Some("8021q: VLAN properties not specified")));
    let e = vlan(&w, INIT, &d0, "v", &["reorder_hdr", "on"]).unwrap_err();
    assert_eq!((e.errno(), e.extack()), (Errno::Einval, Some("8021q: VLAN id not specified")));
    let no_link = NewLink { name: Some("v".into()), ..NewLink::in_netns(INIT) };
    let e = w.rtnl().link_add("vlan", &no_link, &["id", "5"]).unwrap_err();
    assert_eq!((e.errno(), e.extack()), (Errno::Einval, Some("8021q: link not specified")));
    let bad_link = NewLink { link: Some(999), ..no_link };
    let e = w.rtnl().link_add("vlan", &bad_link, &["id", "5"]).unwrap_err();
    assert_eq!((e.errno(), e.extack()), (Errno::Enodev, Some("8021q: link does not exist")));
    // lo is VLAN_CHALLENGED (and not Ethernet).
    let lo = w.rtnl().dev_by_name(INIT, "lo").unwrap();
    let e = vlan(&w, INIT, &lo, "v", &["id", "5"]).unwrap_err();
    assert_eq!((e.errno(), e.extack()), (Errno::Eopnotsupp, Some("8021q: VLANs not supported on device")));
    // A bad flag (a library caller; iproute2 cannot send one).
    let cfg = VlanConfig { flags: Some((0x20, 0x20)), ..VlanConfig::with_id(5) };
    let req = NewLink { name: Some("v".into()), link: Some(d0.ifindex()), ..NewLink::in_netns(INIT) };
    let e = w.rtnl().newlink("vlan", &req, &(Box::new(cfg) as KindConfig)).unwrap_err();
    assert_eq!((e.errno(), e.extack()), (Errno::Einval, Some("8021q: Invalid VLAN flags")));
    assert_eq!(w.rtnl().devices(INIT).len(), before, "every refusal left nothing behind");

    // VID 0 and 4094 are fine; the same (protocol, VID) twice is not; 802.1ad 10 beside 802.1Q 10 is.
    vlan(&w, INIT, &d0, "v0", &["id", "0"]).unwrap();
    vlan(&w, INIT, &d0, "v4094", &["id", "4094"]).unwrap();
    vlan(&w, INIT, &d0, "v10", &["id", "10"]).unwrap();
    let e = vlan(&w, INIT, &d0, "v10b", &["id", "10"]).unwrap_err();
    assert_eq!((e.errno(), e.extack()), (Errno::Eexist, Some("8021q: VLAN device already exists")));
    let ad = vlan(&w, INIT, &d0, "s10", &["protocol", "802.1ad", "id", "10"]).unwrap();
    assert_eq!(info_line(&ad), "protocol 802.1ad id 10 <REORDER_HDR>");
    assert_eq!(w.rtnl().devices(INIT).len(), before + 4);
}

/// `rtnl_newlink` with no name: the generic template `vlan%d`; names follow the core's rules.
#[test]
fn vlan_names_follow_the_core_rules() {
    let w = world();
    let d0 = dummy(&w, INIT, "d0").unwrap();
    let req = NewLink { link: Some(d0.ifindex()), ..NewLink::in_netns(INIT) };
    let v = w.rtnl().link_add("vlan", &req, &["id", "1"]).unwrap();
    assert_eq!(&*v.name(), "vlan0");
    let v = w.rtnl().link_add("vlan", &req, &["id", "2"]).unwrap();
    assert_eq!(&*v.name(), "vlan1");
    vlan(&w, INIT, &d0, "d0.3", &["id", "3"]).unwrap();
    assert_eq!(vlan(&w, INIT, &d0, "a:b", &["id", "4"]).unwrap_err(), Errno::Einval);
    assert_eq!(vlan(&w, INIT, &d0, "d0.3", &["id", "4"]).unwrap_err(), Errno::Eexist);
    assert_eq!(vlan(&w, INIT, &d0, "abcdefghijklmnop", &["id", "4"]).unwrap_err(), Errno::Einval);
}

/// T25, `vlan_newlink` (an oversized `IFLA_MTU` is EINVAL) and `vlan_dev_change_mtu` (ERANGE
/// later); the vlan's own bounds are 0..65535 (`vlan_setup`).
#[test]
fn t25_mtu_einval_at_creation_erange_after() {
    let w = world();
    let (a, _b, _cpu) = pair(&w);
    let req = NewLink { name: Some("v".into()), link: Some(a.ifindex()), mtu: Some(1600), ..NewLink::in_netns(INIT) };
    let e = w.rtnl().link_add("vlan", &req, &["id", "11"]).unwrap_err();
    assert_eq!((e.errno(), e.extack()), (Errno::Einval, None));
    let req = NewLink { mtu: Some(1400), ..req };
    let v = w.rtnl().link_add("vlan", &req, &["id", "11"]).unwrap();
    assert_eq!(v.mtu(), 1400);
    let v2 = vlan(&w, INIT, &a, "v2", &["id", "12"]).unwrap();
    assert_eq!(v2.mtu(), 1500, "without IFLA_MTU: the real device's");
    assert_eq!((v2.min_mtu(), v2.max_mtu()), (0, 65535));
    assert_eq!(w.rtnl().set_mtu(&v2, 1600).unwrap_err(), Errno::Erange);
    w.rtnl().set_mtu(&v2, 1000).unwrap();
    w.rtnl().set_mtu(&v2, 1500).unwrap();
    assert_eq!(v2.mtu(), 1500);
}

/// `vlan_setup` + `vlan_dev_init` + `vlan_fill_info`: flags from the real device (a vlan on a
/// dummy is NOARP and not MULTICAST), a stolen MAC, the real device as iflink and lower, carrier
/// copied from the real device, the kind line iproute2 prints.
#[test]
fn vlan_setup_inherits_from_the_real_device() {
    let w = world();
    let d0 = dummy(&w, INIT, "d0").unwrap();
    let v = vlan(&w, INIT, &d0, "d0.10", &["id", "10"]).unwrap();
    assert!(v.flags().contains(IfFlags::BROADCAST | IfFlags::NOARP));
    assert!(!v.flags().contains(IfFlags::MULTICAST));
    assert_eq!(v.address(), d0.address());
    assert_eq!(v.addr_assign_type(), AddrAssign::Stolen);
    assert_eq!(v.perm_address(), MacAddr::ZERO, "perm_addr is only for NET_ADDR_PERM");
    assert_eq!(v.broadcast(), d0.broadcast());
    assert_eq!((v.iflink(), v.link_netns()), (d0.ifindex(), INIT));
    assert!(v.priv_flags().contains(PrivFlags::VLAN_8021Q | PrivFlags::NO_QUEUE));
    assert_eq!(v.hard_header_len(), 18, "dummy cannot insert tags: room for one in the header");
    assert_eq!(d0.uppers().iter().map(|u| u.id()).collect::<Vec<_>>(), [v.id()]);
    assert_eq!(v.lowers().iter().map(|l| l.id()).collect::<Vec<_>>(), [d0.id()]);
    assert_eq!(v.nest_levels(), (1, 2));
    assert_eq!(info_line(&v), "protocol 802.1Q id 10 <REORDER_HDR>");
    let i = Vlan::info(&v).unwrap();
    assert_eq!((i.protocol, i.id, i.flags, i.real_ifindex), (ETH_P_8021Q, 10, VLAN_FLAG_REORDER_HDR, d0.ifindex()));
    assert_eq!(Vlan::real_dev_of(&v).unwrap().id(), d0.id());
    assert_eq!(v.carrier_changes(), 0, "the copied carrier is not a change");
    // A veth can insert tags: the header stays 14; its carrier (off: peer down) is copied.
    let (a, _b) = veth_pair(&w, INIT, "a", INIT, "b").unwrap();
    let va = vlan(&w, INIT, &a, "a.5", &["id", "5"]).unwrap();
    assert_eq!(va.hard_header_len(), 14);
    assert!(!va.has_carrier());
    assert_eq!(va.carrier_changes(), 0);
    assert!(va.flags().contains(IfFlags::MULTICAST));
    // An explicit address is the vlan's own.
    let mac = MacAddr([2, 0, 0, 0, 0x10, 1]);
    let req =
        NewLink { name: Some("m".into()), link: Some(a.ifindex()), address: Some(mac), ..NewLink::in_netns(INIT) };
    let m = w.rtnl().link_add("vlan", &req, &["id", "6"]).unwrap();
    assert_eq!((m.address(), m.addr_assign_type()), (mac, AddrAssign::Set));
    let req = NewLink { address: Some(MacAddr([1, 0, 0, 0, 0, 1])), name: Some("m2".into()), ..req };
    let e = w.rtnl().link_add("vlan", &req, &["id", "7"]).unwrap_err();
    assert_eq!((e.errno(), e.extack()), (Errno::Eaddrnotavail, Some("8021q: Invalid link address")));
}

/// `vlan_changelink` / `vlan_dev_change_flags` / `vlan_dev_set_{in,e}gress_priority`: the flags
/// are accepted at creation and by `ip link set ... type vlan`, the QoS maps are kept and shown.
#[test]
fn vlan_flags_and_qos_maps_are_accepted_and_shown() {
    let w = world();
    let d0 = dummy(&w, INIT, "d0").unwrap();
    let v = vlan(
        &w,
        INIT,
        &d0,
        "v",
        &["id", "10", "gvrp", "on", "mvrp", "on", "loose_binding", "on", "ingress-qos-map", "1:2", "7:9"],
    )
    .unwrap();
    assert_eq!(
        info_line(&v),
        "protocol 802.1Q id 10 <REORDER_HDR,GVRP,MVRP,LOOSE_BINDING> \n      ingress-qos-map { 1:2 7:9 }"
    );
    let k = v.link_kind().unwrap().clone();
    let cfg = k.parse_args(&["reorder_hdr", "off", "gvrp", "off", "egress-qos-map", "3:5", "19:1"]).unwrap();
    w.rtnl().changelink(&v, &cfg).unwrap();
    let i = Vlan::info(&v).unwrap();
    assert_eq!(i.flags, netdev_vlan::VLAN_FLAG_MVRP | VLAN_FLAG_LOOSE_BINDING);
    // Priorities 3 and 19 share bucket 3 (`priority & 0xf`), the newest first.
    assert_eq!(i.egress_qos, [QosMapping { from: 19, to: 1 }, QosMapping { from: 3, to: 5 }]);
    assert_eq!(
        info_line(&v),
        "protocol 802.1Q id 10 <MVRP,LOOSE_BINDING> \n      ingress-qos-map { 1:2 7:9 } \n      egress-qos-map { 19:1 3:5 }"
    );
    // An ID given to changelink is range-checked but otherwise ignored.
    let cfg = k.parse_args(&["id", "4095"]).unwrap();
    assert_eq!(w.rtnl().changelink(&v, &cfg).unwrap_err(), Errno::Erange);
    let cfg = k.parse_args(&["id", "20"]).unwrap();
    w.rtnl().changelink(&v, &cfg).unwrap();
    assert_eq!(Vlan::info(&v).unwrap().id, 10);
}

// ------------------------------------------------------------------------------ §5.3 transmit

/// T27, `vlan_dev_hard_start_xmit` over a veth (which inserts tags itself: the tag travels out of
/// band): the peer sees the frame tagged with VID 10; the vlan counts the untagged length, and so
/// does veth (the tag is not in the packet).
#[test]
fn t27_tag_on_xmit_over_veth_byte_exact() {
    let w = world();
    let (a, b, mut cpu) = pair(&w);
    let v = vlan(&w, INIT, &a, "a.10", &["id", "10"]).unwrap();
    up(&w, &[&v]);
    let tap_a = WireLog::attach(&a);
    let tap_b = WireLog::attach(&b);
    let _sink = Sink::counting().install(&w, INIT);
    let f = eth_frame(MacAddr([2, 0, 0, 0, 0, 0x99]), v.address(), 0x0800, &[0xab; 10], 100);
    assert_eq!(send(&mut cpu, &v, &f), Xmit::Ok);
    drive(&mut cpu, 10);
    let mut wire = tagged(MacAddr([2, 0, 0, 0, 0, 0x99]), v.address(), 0x8100, 10, 0x0800, &[0xab; 10]);
    wire.resize(104, 0);
    let out = tap_a.take();
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].0, Direction::Outgoing);
    assert_eq!(out[0].1, wire, "a's tap, tag put back from auxdata");
    assert_eq!(out[0].2, Some(VlanTag { proto: ETH_P_8021Q, tci: 10 }), "out of band on a");
    assert_eq!(out[0].3, f, "the packet itself is untagged");
    let inb = tap_b.take();
    assert_eq!((inb[0].0, &inb[0].1), (Direction::Incoming, &wire), "b's tap shows the VID-10 tag");
    let (sv, sa) = (v.stats64(), a.stats64());
    assert_eq!((sv.tx_packets, sv.tx_bytes), (1, 100), "vlan: length at entry, no tag");
    assert_eq!((sa.tx_packets, sa.tx_bytes), (1, 100), "veth: the tag is metadata");
    conserved(&w, 1);
}

/// T27, `dev.c:validate_xmit_vlan`: a dummy cannot insert tags, so the core writes the tag into
/// the packet before the dummy's taps and `dummy_xmit`, which counts 4 more bytes per frame.
#[test]
fn t27_vlan_over_dummy_counts_the_tag() {
    let w = world();
    let d0 = dummy(&w, INIT, "d0").unwrap();
    let v = vlan(&w, INIT, &d0, "d0.7", &["id", "7"]).unwrap();
    up(&w, &[&d0, &v]);
    let tap = WireLog::attach(&d0);
    let mut cpu = w.cpu(0).unwrap();
    for len in [60, 100, 1514] {
        let f = eth_frame(MacAddr::BROADCAST, v.address(), 0x0806, &[], len);
        assert_eq!(send(&mut cpu, &v, &f), Xmit::Ok);
    }
    let (sv, sd) = (v.stats64(), d0.stats64());
    assert_eq!((sv.tx_packets, sv.tx_bytes), (3, 60 + 100 + 1514));
    assert_eq!((sd.tx_packets, sd.tx_bytes), (3, sv.tx_bytes + 4 * 3), "d0.tx_bytes = v.tx_bytes + 4 × packets");
    let seen = tap.take();
    assert_eq!(&seen[0].3[12..18], &[0x81, 0x00, 0x00, 0x07, 0x08, 0x06], "in the packet itself");
    assert_eq!(seen[0].2, None);
    conserved(&w, 3);
}

/// `vlan_dev_hard_start_xmit` and `sch_generic.c:noop_enqueue`: a frame the real device's noop
/// qdisc drops returns `NET_XMIT_CN`, which the vlan counts as transmitted. (A loose-binding vlan
/// stays up with carrier while its dummy is down.)
#[test]
fn xmit_cn_on_the_real_device_counts_as_transmitted() {
    let w = world();
    let d0 = dummy(&w, INIT, "d0").unwrap();
    let v = vlan(&w, INIT, &d0, "v", &["id", "7", "loose_binding", "on"]).unwrap();
    up(&w, &[&d0, &v]);
    w.rtnl().set_up(&d0, false).unwrap();
    assert!(v.is_up() && v.has_carrier());
    let drops = DropLog::install(&w);
    let mut cpu = w.cpu(0).unwrap();
    assert_eq!(send(&mut cpu, &v, &eth_frame(MacAddr::BROADCAST, v.address(), 0x0800, &[], 64)), Xmit::Congested);
    let (sv, sd) = (v.stats64(), d0.stats64());
    assert_eq!((sv.tx_packets, sv.tx_bytes, sv.tx_dropped), (1, 64, 0));
    assert_eq!((sd.tx_packets, sd.tx_dropped), (0, 1));
    assert_eq!(drops.take()[0].reason, DropReason::QdiscDrop);
}

/// `vlan_dev_hard_start_xmit` with `reorder_hdr off`: a frame that already carries the vlan's
/// TPID leaves unchanged; with `reorder_hdr on` it gets a second tag.
#[test]
fn reorder_hdr_off_sends_own_tpid_frames_unchanged() {
    let w = world();
    let d0 = dummy(&w, INIT, "d0").unwrap();
    let off = vlan(&w, INIT, &d0, "off", &["id", "10", "reorder_hdr", "off"]).unwrap();
    let on = vlan(&w, INIT, &d0, "on", &["id", "11"]).unwrap();
    up(&w, &[&d0, &off, &on]);
    let tap = WireLog::attach(&d0);
    let mut cpu = w.cpu(0).unwrap();
    let f = tagged(MacAddr::BROADCAST, d0.address(), 0x8100, 99, 0x0800, &[1, 2, 3]);
    send(&mut cpu, &off, &f);
    send(&mut cpu, &on, &f);
    // An untagged frame on the reorder_hdr-off vlan is tagged as usual.
    let plain = eth_frame(MacAddr::BROADCAST, d0.address(), 0x0800, &[1, 2, 3], 17);
    send(&mut cpu, &off, &plain);
    let seen = tap.take();
    assert_eq!(seen[0].1, f, "no second tag");
    assert_eq!(&seen[1].1[12..20], &[0x81, 0, 0, 11, 0x81, 0, 0, 99], "outer 11, inner 99");
    assert_eq!(&seen[2].1[12..18], &[0x81, 0, 0, 10, 0x08, 0x00]);
    assert_eq!(off.stats64().tx_bytes, f.len() as u64 + 17);
}

/// `vlan_dev_get_egress_qos_mask`: `egress-qos-map 3:5` puts PCP 5 on frames of skb priority 3;
/// other priorities get PCP 0.
#[test]
fn egress_qos_map_sets_the_pcp() {
    let w = world();
    let d0 = dummy(&w, INIT, "d0").unwrap();
    let v = vlan(&w, INIT, &d0, "v", &["id", "10", "egress-qos-map", "3:5"]).unwrap();
    up(&w, &[&d0, &v]);
    let tap = WireLog::attach(&d0);
    let mut cpu = w.cpu(0).unwrap();
    for prio in [3, 4] {
        let mut skb = cpu.alloc_frame(&eth_frame(MacAddr::BROADCAST, v.address(), 0x0800, &[], 60));
        skb.meta.priority = prio;
        cpu.dev_queue_xmit(&v, skb);
    }
    let seen = tap.take();
    assert_eq!(&seen[0].1[14..16], &(5u16 << 13 | 10).to_be_bytes());
    assert_eq!(&seen[1].1[14..16], &10u16.to_be_bytes());
}

// ------------------------------------------------------------------------------ §5.4 receive

/// T27, `vlan_do_receive` after `skb_vlan_untag`: a frame tagged in band arrives on b.10
/// untagged, counted there with its length after the Ethernet header; b's tap sees the tag and
/// b.10's tap does not; the ingress map sets the priority; b itself counts it too.
#[test]
fn t27_untag_on_receive_byte_exact() {
    let w = world();
    let (a, b, mut cpu) = pair(&w);
    let bv = vlan(&w, INIT, &b, "b.10", &["id", "10", "ingress-qos-map", "6:42"]).unwrap();
    up(&w, &[&bv]);
    let sink = Sink::recording().install(&w, INIT);
    let tap_b = WireLog::attach(&b);
    let tap_v = WireLog::attach(&bv);
    let mut f = tagged(bv.address(), a.address(), 0x8100, 6 << 13 | 10, 0x0800, &[0xcd; 20]);
    f.resize(100, 0);
    assert_eq!(send(&mut cpu, &a, &f), Xmit::Ok);
    drive(&mut cpu, 10);
    let d = sink.log();
    assert_eq!(d.len(), 1);
    assert_eq!((d[0].ifindex, d[0].orig_ifindex), (bv.ifindex(), b.ifindex()));
    assert_eq!((d[0].protocol, d[0].len, d[0].pkt_type, d[0].priority), (0x0800, 100 - 18, PktType::Host, 42));
    let sv = bv.stats64();
    assert_eq!((sv.rx_packets, sv.rx_bytes), (1, 82), "skb->len after the MAC header");
    assert_eq!((b.stats64().rx_packets, b.stats64().rx_bytes), (1, 100));
    let on_b = tap_b.take();
    assert_eq!(on_b[0].1, f, "b's tap: the tag (out of band after untagging, put back)");
    assert_eq!(on_b[0].2, Some(VlanTag { proto: ETH_P_8021Q, tci: 6 << 13 | 10 }));
    let on_v = tap_v.take();
    let mut untagged = eth_frame(bv.address(), a.address(), 0x0800, &[0xcd; 20], 96);
    untagged.truncate(96);
    assert_eq!((on_v[0].1.clone(), on_v[0].2), (untagged, None), "b.10's tap: no tag");
    conserved(&w, 1);
}

/// `__netif_receive_skb_core` after `vlan_do_receive` found nothing: VID ≠ 0 is `OTHERHOST` for
/// the protocols; VID 0 (a priority tag) is received untagged on the real device.
#[test]
fn unknown_vid_is_otherhost_vid0_is_untagged() {
    let w = world();
    let (a, b, mut cpu) = pair(&w);
    let _bv = vlan(&w, INIT, &b, "b.10", &["id", "10"]).unwrap();
    let sink = Sink::recording().install(&w, INIT);
    for tci in [20, 0, 5 << 13] {
        send(&mut cpu, &a, &tagged(b.address(), a.address(), 0x8100, tci, 0x0800, &[0; 46]));
    }
    drive(&mut cpu, 10);
    let d = sink.log();
    let got: Vec<_> = d.iter().map(|d| (d.ifindex, d.pkt_type, d.len)).collect();
    assert_eq!(
        got,
        [(b.ifindex(), PktType::OtherHost, 46), (b.ifindex(), PktType::Host, 46), (b.ifindex(), PktType::Host, 46)]
    );
    conserved(&w, 3);
}

/// `__netif_receive_skb_core`, the `check_vlan_id` block: a priority tag (VID 0) over another
/// tag is stripped and the inner tag tried again, so `b.10` takes `[VID 0][VID 10]`.
#[test]
fn priority_tag_over_a_vlan_tag_reaches_the_inner_vlan() {
    let w = world();
    let (a, b, mut cpu) = pair(&w);
    let bv = vlan(&w, INIT, &b, "b.10", &["id", "10"]).unwrap();
    up(&w, &[&bv]);
    let sink = Sink::recording().install(&w, INIT);
    let mut inner = vec![0x00, 0x0a, 0x08, 0x00];
    inner.extend_from_slice(&[0; 46]);
    send(&mut cpu, &a, &tagged(b.address(), a.address(), 0x8100, 0, 0x8100, &inner));
    drive(&mut cpu, 10);
    let d = sink.log();
    assert_eq!((d[0].ifindex, d[0].protocol, d[0].len), (bv.ifindex(), 0x0800, 46));
    assert_eq!(bv.stats64().rx_packets, 1);
}

/// T27 with IP stacks, `ip_rcv_core`: a frame for a VID b has no vlan for is `OTHERHOST` and IP
/// drops it counting `rx_otherhost_dropped` on b; a VID-0 frame is taken as untagged (the ping is
/// answered); and a.10 ↔ b.10 ping end to end.
#[test]
fn t27_vlans_over_veth_with_stacks() {
    let p = vnet_tests::stack_pair(7, false, None);
    netdev_vlan::register(&p.w).unwrap();
    let (sa, sb) = (p.stacks.of(p.a), p.stacks.of(p.b));
    let o = stack_adapter::AddrOpts::default();
    let va10 = vlan(&p.w, p.a, &p.va, "veth0.10", &["id", "10"]).unwrap();
    let vb10 = vlan(&p.w, p.b, &p.vb, "veth1.10", &["id", "10"]).unwrap();
    let va20 = vlan(&p.w, p.a, &p.va, "veth0.20", &["id", "20"]).unwrap();
    let va0 = vlan(&p.w, p.a, &p.va, "veth0.0", &["id", "0"]).unwrap();
    {
        let mut r = p.w.rtnl();
        sa.addr_add(&mut r, va10.ifindex(), [10, 0, 10, 1].into(), 24, &o).unwrap();
        sb.addr_add(&mut r, vb10.ifindex(), [10, 0, 10, 2].into(), 24, &o).unwrap();
        sa.addr_add(&mut r, va20.ifindex(), [10, 0, 20, 1].into(), 24, &o).unwrap();
        sa.addr_add(&mut r, va0.ifindex(), [10, 0, 30, 1].into(), 24, &o).unwrap();
        sb.addr_add(&mut r, p.vb.ifindex(), [10, 0, 30, 2].into(), 24, &o).unwrap();
        let nud = stack_adapter::Nud::Permanent;
        for (dev, ip) in [(&va20, [10, 0, 20, 2]), (&va0, [10, 0, 30, 2])] {
            sa.neigh_add(&mut r, dev.ifindex(), ip.into(), Some(p.vb.address()), nud, false).unwrap();
        }
        sb.neigh_add(&mut r, p.vb.ifindex(), [10, 0, 30, 1].into(), Some(p.va.address()), nud, false).unwrap();
        for d in [&va10, &vb10, &va20, &va0] {
            r.set_up(d, true).unwrap();
        }
    }
    let tap_b = WireLog::attach(&p.vb);
    let mut cpu = p.w.cpu(0).unwrap();
    let ping = |cpu: &mut Cpu, dst: [u8; 4]| {
        let mut o = stack_adapter::PingOpts::new(dst.into(), 1);
        o.timeout_ns = Some(SEC);
        sa.ping(cpu, &o).unwrap()
    };
    assert_eq!(ping(&mut cpu, [10, 0, 10, 2]).received, 1, "a.10 ↔ b.10");
    assert!(tap_b.take().iter().any(|t| t.0 == Direction::Incoming && t.2.is_some_and(|v| v.vid() == 10)));
    let (s10a, s10b) = (va10.stats64(), vb10.stats64());
    assert_eq!((s10a.tx_packets, s10a.rx_packets), (2, 2), "ARP request and echo out, reply and echo back");
    assert_eq!((s10b.tx_packets, s10b.rx_packets), (2, 2));
    assert_eq!(p.vb.stats64().rx_otherhost_dropped, 0);
    assert_eq!(ping(&mut cpu, [10, 0, 20, 2]).received, 0, "VID 20: b has no vlan for it");
    assert_eq!(p.vb.stats64().rx_otherhost_dropped, 1);
    assert_eq!(ping(&mut cpu, [10, 0, 30, 2]).received, 1, "VID 0: taken untagged by veth1");
    assert!(tap_b.take().iter().any(|t| t.0 == Direction::Incoming && t.2.is_some_and(|v| v.tci == 0)));
}

/// `vlan_do_receive`: a matching vlan that is down frees the frame silently (no counter on it or
/// on the real device beyond its rx).
#[test]
fn frames_for_a_down_vlan_are_freed() {
    let w = world();
    let (a, b, mut cpu) = pair(&w);
    let bv = vlan(&w, INIT, &b, "b.10", &["id", "10"]).unwrap();
    let sink = Sink::counting().install(&w, INIT);
    let drops = DropLog::install(&w);
    send(&mut cpu, &a, &tagged(b.address(), a.address(), 0x8100, 10, 0x0800, &[0; 46]));
    drive(&mut cpu, 10);
    assert_eq!(sink.delivered(), 0);
    let d = drops.take();
    assert_eq!((d.len(), d[0].reason), (1, DropReason::NotSpecified));
    assert_eq!(bv.stats64(), netdev_core::LinkStats64::default());
    let sb = b.stats64();
    assert_eq!((sb.rx_packets, sb.rx_dropped), (1, 0));
    conserved(&w, 1);
}

/// `vlan_do_receive`: a frame OTHERHOST on the real device but for the vlan's own MAC becomes
/// HOST on the vlan; multicast is counted in the vlan's `multicast`.
#[test]
fn vlan_own_mac_and_multicast_on_receive() {
    let w = world();
    let (a, b, mut cpu) = pair(&w);
    let mac = MacAddr([2, 0, 0, 0, 0x10, 0x10]);
    let req =
        NewLink { name: Some("b.10".into()), link: Some(b.ifindex()), address: Some(mac), ..NewLink::in_netns(INIT) };
    let bv = w.rtnl().link_add("vlan", &req, &["id", "10"]).unwrap();
    up(&w, &[&bv]);
    let sink = Sink::recording().install(&w, INIT);
    send(&mut cpu, &a, &tagged(mac, a.address(), 0x8100, 10, 0x0800, &[0; 46]));
    send(&mut cpu, &a, &tagged(MacAddr([1, 0, 0x5e, 0, 0, 1]), a.address(), 0x8100, 10, 0x0800, &[0; 46]));
    send(&mut cpu, &a, &tagged(MacAddr([2, 0, 0, 0, 0, 0x77]), a.address(), 0x8100, 10, 0x0800, &[0; 46]));
    drive(&mut cpu, 10);
    let got: Vec<_> = sink.log().iter().map(|d| (d.ifindex, d.pkt_type)).collect();
    assert_eq!(
        got,
        [(bv.ifindex(), PktType::Host), (bv.ifindex(), PktType::Multicast), (bv.ifindex(), PktType::OtherHost)]
    );
    assert_eq!(bv.stats64().multicast, 1);
}

/// `vlan_do_receive` with `reorder_hdr off`: the tag goes back into the packet, so the vlan's
/// taps see it, while the protocols still get the payload.
#[test]
fn reorder_hdr_off_keeps_the_tag_in_the_packet() {
    let w = world();
    let (a, b, mut cpu) = pair(&w);
    let bv = vlan(&w, INIT, &b, "b.10", &["id", "10", "reorder_hdr", "off"]).unwrap();
    up(&w, &[&bv]);
    let sink = Sink::recording().install(&w, INIT);
    let tap = WireLog::attach(&bv);
    let f = tagged(b.address(), a.address(), 0x8100, 10, 0x0800, &[7; 46]);
    send(&mut cpu, &a, &f);
    drive(&mut cpu, 10);
    let seen = tap.take();
    assert_eq!((seen[0].3.clone(), seen[0].2), (f.clone(), None), "the tag is in the packet");
    let d = sink.log();
    assert_eq!((d[0].ifindex, d[0].len, d[0].protocol), (bv.ifindex(), 46, 0x0800));
    assert_eq!(bv.stats64().rx_bytes, 46);
}

/// An rx handler standing in for a bridge port or macvlan lower: counts what it is offered and
/// whether it still carries a tag.
#[derive(Default)]
struct CountingHandler(Mutex<Vec<Option<u16>>>);

impl RxHandler for CountingHandler {
    fn handle(&self, cpu: &mut Cpu, _dev: &Arc<NetDevice>, skb: Skb) -> RxHandlerResult {
        self.0.lock().unwrap().push(skb.meta.vlan.map(|t| t.vid()));
        cpu.consume_skb(skb);
        RxHandlerResult::Consumed
    }
}

/// `__netif_receive_skb_core`: `vlan_do_receive` runs before the rx handler, so a vlan on a
/// device that is a bridge port or macvlan lower (any lower with an rx handler) takes its VID
/// first; other VIDs reach the handler still tagged, untagged frames reach it untagged.
#[test]
fn vlan_takes_its_vid_before_the_rx_handler() {
    let w = world();
    let (a, b, mut cpu) = pair(&w);
    let bv = vlan(&w, INIT, &b, "b.10", &["id", "10"]).unwrap();
    up(&w, &[&bv]);
    let h = Arc::new(CountingHandler::default());
    w.rtnl().rx_handler_register(&b, h.clone()).unwrap();
    let sink = Sink::recording().install(&w, INIT);
    send(&mut cpu, &a, &tagged(b.address(), a.address(), 0x8100, 10, 0x0800, &[0; 46]));
    send(&mut cpu, &a, &tagged(b.address(), a.address(), 0x8100, 20, 0x0800, &[0; 46]));
    send(&mut cpu, &a, &eth_frame(b.address(), a.address(), 0x0800, &[], 60));
    drive(&mut cpu, 10);
    assert_eq!(sink.log().iter().map(|d| d.ifindex).collect::<Vec<_>>(), [bv.ifindex()]);
    assert_eq!(*h.0.lock().unwrap(), [Some(20), None]);
    conserved(&w, 3);
}

/// QinQ (`vlan_dev_hard_start_xmit` twice, `validate_xmit_vlan` in between, then
/// `skb_vlan_untag` + `vlan_do_receive` twice): an 802.1Q vlan on an 802.1ad vlan sends S-tag
/// 0x88a8 outside and C-tag 0x8100 inside; the same stack on the peer takes it apart.
#[test]
fn qinq_802_1ad_outside_802_1q_inside() {
    let w = world();
    let (a, b, mut cpu) = pair(&w);
    let sa = vlan(&w, INIT, &a, "a.100", &["protocol", "802.1ad", "id", "100"]).unwrap();
    let ca = vlan(&w, INIT, &sa, "a.100.10", &["id", "10"]).unwrap();
    let sb = vlan(&w, INIT, &b, "b.100", &["protocol", "802.1ad", "id", "100"]).unwrap();
    let cb = vlan(&w, INIT, &sb, "b.100.10", &["id", "10"]).unwrap();
    // An 802.1Q 100 on b beside the 802.1ad 100: the TPID decides.
    let qb = vlan(&w, INIT, &b, "b.q100", &["id", "100"]).unwrap();
    up(&w, &[&sa, &ca, &sb, &cb, &qb]);
    assert_eq!(ca.nest_levels(), (1, 3));
    let tap_b = WireLog::attach(&b);
    let sink = Sink::recording().install(&w, INIT);
    let f = eth_frame(cb.address(), ca.address(), 0x0800, &[9; 46], 60);
    assert_eq!(send(&mut cpu, &ca, &f), Xmit::Ok);
    drive(&mut cpu, 10);
    let mut wire = tagged(cb.address(), ca.address(), 0x88a8, 100, 0x8100, &[0x00, 0x0a, 0x08, 0x00]);
    wire.extend_from_slice(&[9; 46]);
    assert_eq!(tap_b.take()[0].1, wire, "S-tag outside, C-tag inside");
    let d = sink.log();
    assert_eq!((d[0].ifindex, d[0].len), (cb.ifindex(), 46));
    assert_eq!((sb.stats64().rx_packets, cb.stats64().rx_packets, qb.stats64().rx_packets), (1, 1, 0));
    assert_eq!((sa.stats64().tx_bytes, ca.stats64().tx_bytes), (64, 60), "each level counts its own length");
    // And a plain 802.1Q 100 frame goes to b.q100.
    send(&mut cpu, &a, &tagged(b.address(), a.address(), 0x8100, 100, 0x0800, &[0; 46]));
    drive(&mut cpu, 10);
    assert_eq!(sink.log().last().unwrap().ifindex, qb.ifindex());
    assert_eq!(ETH_P_8021AD, 0x88a8);
}

/// `__netdev_upper_dev_link` via `register_vlan_dev`: vlans stack until the nesting bound
/// (`MAX_NEST_DEV`), then EMLINK, and the refused vlan is unregistered again.
#[test]
fn vlan_stacking_stops_at_the_nesting_bound() {
    let w = world();
    let d0 = dummy(&w, INIT, "d0").unwrap();
    let mut low = d0.clone();
    let mut made = 0;
    let err = loop {
        match vlan(&w, INIT, &low, &format!("q{made}"), &["id", "5"]) {
            Ok(v) => {
                made += 1;
                low = v;
            }
            Err(e) => break e,
        }
    };
    assert_eq!(err, Errno::Emlink);
    assert_eq!(made, usize::from(MAX_NEST_DEV) - 1, "d0 plus 7 vlans make 8 levels");
    assert!(w.rtnl().dev_by_name(INIT, &format!("q{made}")).is_none(), "the refused vlan is gone");
}

// ------------------------------------------------------------------------------ §5.5 lower events

/// T26, `vlan_dev_open` and `vlan.c:vlan_device_event` (UP/DOWN): a vlan cannot come up while
/// its real device is down (ENETDOWN) unless `loose_binding`; the real device going down takes
/// the others down, and coming up brings them back, even one the user had set down.
#[test]
fn t26_up_down_coupling() {
    let w = world();
    let d0 = dummy(&w, INIT, "d0").unwrap();
    let v = vlan(&w, INIT, &d0, "v", &["id", "10"]).unwrap();
    let user_down = vlan(&w, INIT, &d0, "u", &["id", "11"]).unwrap();
    let loose = vlan(&w, INIT, &d0, "l", &["id", "12", "loose_binding", "on"]).unwrap();
    let e = w.rtnl().set_up(&v, true).unwrap_err();
    assert_eq!(e, Errno::Enetdown);
    assert_eq!(Errno::Enetdown.strerror(), "Network is down");
    w.rtnl().set_up(&loose, true).unwrap();
    // `ip link add ... up` with the lower down fails and leaves nothing (rtnl_configure_link).
    let req = NewLink { name: Some("x".into()), link: Some(d0.ifindex()), up: true, ..NewLink::in_netns(INIT) };
    assert_eq!(w.rtnl().link_add("vlan", &req, &["id", "13"]).unwrap_err(), Errno::Enetdown);
    assert!(w.rtnl().dev_by_name(INIT, "x").is_none());
    w.rtnl().set_up(&d0, true).unwrap();
    assert!(v.is_up() && user_down.is_up() && loose.is_up(), "the lower's NETDEV_UP brings them up");
    w.rtnl().set_up(&user_down, false).unwrap();
    w.rtnl().set_up(&d0, false).unwrap();
    assert!(!v.is_up() && !user_down.is_up());
    assert!(loose.is_up(), "loose binding stays up");
    w.rtnl().set_up(&d0, true).unwrap();
    assert!(v.is_up() && user_down.is_up(), "including the one the user had set down");
}

/// T26, `vlan_device_event` (CHANGEMTU): the real device's MTU going down lowers the vlans above
/// it; going up again raises nothing.
#[test]
fn t26_mtu_follows_the_real_device_down_only() {
    let w = world();
    let (a, _b, _cpu) = pair(&w);
    let v = vlan(&w, INIT, &a, "v", &["id", "10"]).unwrap();
    let small = NewLink { name: Some("s".into()), link: Some(a.ifindex()), mtu: Some(1300), ..NewLink::in_netns(INIT) };
    let s = w.rtnl().link_add("vlan", &small, &["id", "11"]).unwrap();
    w.rtnl().set_mtu(&a, 1400).unwrap();
    assert_eq!((v.mtu(), s.mtu()), (1400, 1300));
    w.rtnl().set_mtu(&a, 1500).unwrap();
    assert_eq!((v.mtu(), s.mtu()), (1400, 1300));
}

/// `vlan_device_event` (CHANGE) → `netif_stacked_transfer_operstate`, `vlan_dev_open`,
/// `link_watch.c:default_operstate`: a vlan on a veth end whose peer is down has no carrier and is
/// LOWERLAYERDOWN; the peer coming up brings its carrier; `bridge_binding` keeps it off.
#[test]
fn carrier_and_operstate_follow_the_real_device() {
    let w = world();
    let (a, b) = veth_pair(&w, INIT, "a", INIT, "b").unwrap();
    let v = vlan(&w, INIT, &a, "a.10", &["id", "10"]).unwrap();
    let bb = vlan(&w, INIT, &a, "a.11", &["id", "11", "bridge_binding", "on"]).unwrap();
    up(&w, &[&a, &v, &bb]);
    assert!(!v.has_carrier());
    assert!(!v.flags().contains(IfFlags::RUNNING));
    assert_eq!(v.operstate(), Operstate::LowerLayerDown);
    up(&w, &[&b]);
    assert!(v.has_carrier() && v.flags().contains(IfFlags::LOWER_UP));
    assert_eq!(v.operstate(), Operstate::Up);
    assert!(!bb.has_carrier(), "bridge_binding: no bridge drives it");
    w.rtnl().set_up(&b, false).unwrap();
    assert_eq!(v.operstate(), Operstate::LowerLayerDown);
    assert_eq!((v.carrier_up_count(), v.carrier_down_count()), (1, 1));
    assert!(info_line(&bb).contains("<REORDER_HDR,BRIDGE_BINDING>"));
}

/// `vlan.c:vlan_sync_address` / `vlan_dev_inherit_address`: an up vlan with a stolen MAC follows
/// its real device's new MAC at once, a down one when it next opens; a vlan given its own MAC
/// keeps it.
#[test]
fn stolen_mac_follows_the_real_device() {
    let w = world();
    let d0 = dummy(&w, INIT, "d0").unwrap();
    let up_v = vlan(&w, INIT, &d0, "up", &["id", "1"]).unwrap();
    // Loose binding, so that d0 coming up does not bring it up.
    let down_v = vlan(&w, INIT, &d0, "down", &["id", "2", "loose_binding", "on"]).unwrap();
    let own = vlan(&w, INIT, &d0, "own", &["id", "3"]).unwrap();
    let mine = MacAddr([2, 0, 0, 0, 3, 3]);
    w.rtnl().set_address(&own, mine).unwrap();
    up(&w, &[&d0, &up_v, &own]);
    let new = MacAddr([2, 0, 0, 0, 9, 9]);
    w.rtnl().set_address(&d0, new).unwrap();
    assert_eq!(up_v.address(), new);
    assert_ne!(down_v.address(), new);
    assert_eq!(own.address(), mine);
    w.rtnl().set_up(&down_v, true).unwrap();
    assert_eq!(down_v.address(), new, "inherited at open");
    assert_eq!(w.rtnl().set_address(&own, MacAddr([1, 0, 0, 0, 0, 1])).unwrap_err(), Errno::Eaddrnotavail);
}

/// `vlan_device_event` (UNREGISTER) and `unregister_vlan_dev`: deleting a vlan deletes only it;
/// deleting the real device deletes all its vlans; the receive hook goes with the last one.
#[test]
fn deleting_the_real_device_deletes_its_vlans() {
    let w = world();
    let (a, b, mut cpu) = pair(&w);
    let v10 = vlan(&w, INIT, &b, "b.10", &["id", "10"]).unwrap();
    let v11 = vlan(&w, INIT, &b, "b.11", &["id", "11"]).unwrap();
    let q = vlan(&w, INIT, &v11, "b.11.5", &["id", "5"]).unwrap();
    w.rtnl().dellink(&v10).unwrap();
    assert!(w.rtnl().dev_by_name(INIT, "b.10").is_none());
    assert!(w.rtnl().dev_by_name(INIT, "b.11").is_some());
    assert_eq!(b.uppers().len(), 1);
    // The hook still works for what remains.
    up(&w, &[&v11]);
    let sink = Sink::recording().install(&w, INIT);
    send(&mut cpu, &a, &tagged(b.address(), a.address(), 0x8100, 11, 0x0800, &[0; 46]));
    drive(&mut cpu, 10);
    assert_eq!(sink.log()[0].ifindex, v11.ifindex());
    w.rtnl().dellink(&a).unwrap(); // a veth: b goes too
    for n in ["b", "b.11", "b.11.5"] {
        assert!(w.rtnl().dev_by_name(INIT, n).is_none(), "{n}");
    }
    assert_eq!(q.reg_state(), netdev_core::RegState::Unregistered);
}

/// T13 (its contrast) and `vlan_device_event` (UNREGISTER while `reg_state` is still
/// REGISTERED): a real device moved to another namespace keeps its vlans in the old one, linked
/// across, and they still receive.
#[test]
fn t13_real_device_netns_move_keeps_the_vlans() {
    let w = world();
    let ns1 = w.rtnl().netns_add("ns1").unwrap();
    let (a, b) = veth_pair(&w, INIT, "a", INIT, "b").unwrap();
    let v = vlan(&w, INIT, &b, "b.10", &["id", "10"]).unwrap();
    w.rtnl().change_netns(&b, ns1, None, None).unwrap();
    assert!(w.rtnl().dev_by_name(INIT, "b.10").is_some());
    assert_eq!((v.iflink(), v.link_netns()), (b.ifindex(), ns1));
    up(&w, &[&a, &b, &v]);
    let sink = Sink::recording().install(&w, INIT);
    let mut cpu = w.cpu(0).unwrap();
    send(&mut cpu, &a, &tagged(b.address(), a.address(), 0x8100, 10, 0x0800, &[0; 46]));
    drive(&mut cpu, 10);
    let d = sink.log();
    assert_eq!((d[0].ifindex, d[0].netns), (v.ifindex(), INIT));
}

/// `__dev_change_net_namespace` of a vlan: a vlan may live in another namespace than its real
/// device (the container pattern); frames for its VID are delivered there.
#[test]
fn vlan_moved_to_another_netns_still_receives() {
    let w = world();
    let ns1 = w.rtnl().netns_add("ns1").unwrap();
    let (a, b, mut cpu) = pair(&w);
    let v = vlan(&w, INIT, &b, "b.10", &["id", "10"]).unwrap();
    w.rtnl().change_netns(&v, ns1, Some("eth0"), None).unwrap();
    up(&w, &[&v]);
    assert_eq!((v.netns(), v.link_netns()), (ns1, INIT));
    let sink = Sink::recording().install(&w, ns1);
    send(&mut cpu, &a, &tagged(b.address(), a.address(), 0x8100, 10, 0x0800, &[0; 46]));
    drive(&mut cpu, 10);
    assert_eq!(sink.log()[0].netns, ns1);
    // And it transmits through its real device in the other namespace.
    let tap = WireLog::attach(&a);
    send(&mut cpu, &v, &eth_frame(a.address(), v.address(), 0x0800, &[], 60));
    drive(&mut cpu, 10);
    assert_eq!(tap.take().iter().filter(|t| t.0 == Direction::Incoming && t.2.is_some()).count(), 1);
}
