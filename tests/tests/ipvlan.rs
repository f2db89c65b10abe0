//! ipvlan (reference `kernel-l2.md` §7, scenarios T17, T25, T31, T32): the port-wide mode and
//! flags, creation and device properties, address ownership, receive demultiplexing by IP (L3)
//! and MAC (L2), local delivery and routing through the lower's namespace on transmit, with
//! slaves moved into their own namespaces. Each test names the kernel function it pins.

use std::net::IpAddr;
use std::sync::Arc;

use netdev_core::{
    Cpu, Direction, DropReason, Errno, Features, IfFlags, KindConfig, MacAddr, NetDevice, NetnsId, NewLink, Operstate,
    PktType, PrivFlags, Result, RxHandler, RxHandlerResult, Skb, World, Xmit,
};
use netdev_ipvlan::{IPVLAN_F_PRIVATE, IpvlanConfig, IpvlanDev, IpvlanKind, IpvlanMode};
use stack_adapter::{AddrOpts, PingOpts, RouteSpec, Stacks};
use vnet_tests::{Sink, TapLog, drive, dummy, eth_frame, up, veth_pair};

const INIT: NetnsId = NetnsId::INIT;
const SEC: u64 = 1_000_000_000;

/// A World with ipvlan, vlan and stacks, IPv6 off everywhere (slaves share one MAC, so their
/// EUI-64 link-locals would collide; see the crate's deviations).
fn world() -> (World, Stacks) {
    let w = vnet_tests::world(1);
    netdev_ipvlan::register(&w).unwrap();
    netdev_vlan::register(&w).unwrap();
    let st = stack_adapter::install(&w).unwrap();
    no_ipv6(&w, &st, INIT);
    (w, st)
}

fn no_ipv6(w: &World, st: &Stacks, ns: NetnsId) {
    let mut r = w.rtnl();
    for k in ["all", "default"] {
        st.of(ns).sysctl_set(&mut r, &format!("net.ipv6.conf.{k}.disable_ipv6"), "1").unwrap();
    }
}

fn netns(w: &World, st: &Stacks, name: &str) -> NetnsId {
    let ns = w.rtnl().netns_add(name).unwrap();
    no_ipv6(w, st, ns);
    ns
}

/// `ip link add link LOWER name NAME type ipvlan ARGS` (in the lower's namespace).
fn ipvlan(w: &World, lower: &NetDevice, name: &str, args: &[&str]) -> Result<Arc<NetDevice>> {
    let req = NewLink { name: Some(name.into()), link: Some(lower.ifindex()), ..NewLink::in_netns(lower.netns()) };
    w.rtnl().link_add("ipvlan", &req, args)
}

/// `ip link set DEV netns NS`.
fn move_to(w: &World, dev: &Arc<NetDevice>, ns: NetnsId) {
    w.rtnl().change_netns(dev, ns, None, None).unwrap();
}

/// `ip [-n NS] addr add IP/PLEN dev DEV`.
fn addr(w: &World, st: &Stacks, dev: &NetDevice, ip: &str, plen: u8) -> Result<()> {
    let ip: IpAddr = ip.parse().unwrap();
    st.of(dev.netns()).addr_add(&mut w.rtnl(), dev.ifindex(), ip, plen, &AddrOpts::default())
}

fn info_line(dev: &NetDevice) -> String {
    let mut s = String::new();
    dev.link_kind().unwrap().fill_info(dev, &mut s).unwrap();
    s
}

fn ip4(s: &str) -> [u8; 4] {
    s.parse::<std::net::Ipv4Addr>().unwrap().octets()
}

/// An IPv4 frame (header valid enough for `ipvlan_get_L3_hdr`) of `len` bytes in all.
fn ipv4_frame(dst: MacAddr, src: MacAddr, sip: &str, dip: &str, len: usize) -> Vec<u8> {
    let tot = (len - 14) as u16;
    let mut h = vec![0x45, 0, 0, 0, 0, 0, 0, 0, 64, 17, 0, 0];
    h[2..4].copy_from_slice(&tot.to_be_bytes());
    h.extend_from_slice(&ip4(sip));
    h.extend_from_slice(&ip4(dip));
    eth_frame(dst, src, 0x0800, &h, len)
}

/// An ARP frame: `op`, sender (sha, sip), target (tha, tip).
fn arp_frame(dst: MacAddr, src: MacAddr, op: u16, sip: &str, tip: &str) -> Vec<u8> {
    let mut a = vec![0, 1, 8, 0, 6, 4];
    a.extend_from_slice(&op.to_be_bytes());
    a.extend_from_slice(&src.octets());
    a.extend_from_slice(&ip4(sip));
    a.extend_from_slice(&[0; 6]);
    a.extend_from_slice(&ip4(tip));
    eth_frame(dst, src, 0x0806, &a, 60)
}

fn send(cpu: &mut Cpu, dev: &Arc<NetDevice>, frame: &[u8]) -> Xmit {
    let skb = cpu.alloc_frame(frame);
    cpu.dev_queue_xmit(dev, skb)
}

fn conserved(w: &World, sent: u64) {
    assert_eq!(w.total_consumed() + w.total_drops(), sent, "conservation: {:?}", w.drop_counts());
}

// ------------------------------------------------------------------------------ §7.1 / §7.2

/// T31, `ipvlan_link_new` + `ipvlan_set_port_mode` + `ipvlan_open`: the mode is the port's; a
/// slave created without `mode` sets the whole port to L3, which puts NOARP on the existing
/// slaves at once (the new one gets it when it opens); `ip -d link` shows the port's mode and
/// flag; `changelink` changes them for every slave.
#[test]
fn t31_mode_is_the_ports_and_the_last_write_wins() {
    let (w, _st) = world();
    let (a, _b) = veth_pair(&w, INIT, "a", INIT, "b").unwrap();
    let i1 = ipvlan(&w, &a, "i1", &["mode", "l2"]).unwrap();
    assert_eq!(IpvlanDev::info(&i1).unwrap().mode, IpvlanMode::L2);
    assert!(!i1.flags().contains(IfFlags::NOARP));
    let i2 = ipvlan(&w, &a, "i2", &[]).unwrap();
    assert_eq!(IpvlanDev::info(&i1).unwrap().mode, IpvlanMode::L3, "i1 is now L3 too");
    assert!(i1.flags().contains(IfFlags::NOARP), "set on the existing slave");
    assert!(!i2.flags().contains(IfFlags::NOARP), "the new one is not on the port's list yet");
    up(&w, &[&a, &i2]);
    assert!(i2.flags().contains(IfFlags::NOARP), "ipvlan_open sets it");
    assert_eq!(info_line(&i1), " mode l3 bridge");
    w.rtnl().link_change(&i2, "ipvlan", &["mode", "l2", "private"]).unwrap();
    assert!(!i1.flags().contains(IfFlags::NOARP) && !i2.flags().contains(IfFlags::NOARP));
    assert_eq!(info_line(&i1), " mode l2 private");
    // iproute2 always sends the flags: a new slave with just `mode` resets them to bridge.
    let i3 = ipvlan(&w, &a, "i3", &["mode", "l3s"]).unwrap();
    assert_eq!(info_line(&i1), " mode l3s bridge");
    assert_eq!(IpvlanDev::info(&i3).unwrap().flags, 0);
    // `mode l3 private vepa`: iproute2 refuses the second flag word; the kernel refuses both
    // bits (ipvlan_nl_validate), and a mode of 3 or more.
    assert_eq!(ipvlan(&w, &a, "i4", &["mode", "l3", "private", "vepa"]).unwrap_err(), Errno::Einval);
    let req = NewLink { name: Some("i4".into()), link: Some(a.ifindex()), ..NewLink::in_netns(INIT) };
    for cfg in [IpvlanConfig { mode: Some(1), flags: Some(3) }, IpvlanConfig { mode: Some(3), flags: None }] {
        let e = w.rtnl().newlink("ipvlan", &req, &(Box::new(cfg) as KindConfig)).unwrap_err();
        assert_eq!(e, Errno::Einval);
    }
    assert!(w.rtnl().dev_by_name(INIT, "i4").is_none());
    let k = w.rtnl().kind("ipvlan").unwrap();
    let k: &dyn std::any::Any = &*k;
    let k = k.downcast_ref::<IpvlanKind>().unwrap();
    assert_eq!(k.slaves_of(&a).iter().map(|d| d.name().to_string()).collect::<Vec<_>>(), ["i1", "i2", "i3"]);
}

/// A handler that takes nothing, standing in for another rx-handler owner (a bridge port).
struct Other;

impl RxHandler for Other {
    fn handle(&self, _cpu: &mut Cpu, _dev: &Arc<NetDevice>, skb: Skb) -> RxHandlerResult {
        RxHandlerResult::Pass(skb)
    }
}

/// `ipvlan_link_new`: EINVAL without a link, ENODEV for an unknown one, EINVAL on lo, EBUSY on a
/// device with another rx handler; a slave named as the lower means its master; the port goes
/// with the last slave.
#[test]
fn creation_errors_and_the_port_lifecycle() {
    let (w, _st) = world();
    let (a, _b) = veth_pair(&w, INIT, "a", INIT, "b").unwrap();
    let no_link = NewLink { name: Some("i".into()), ..NewLink::in_netns(INIT) };
    assert_eq!(w.rtnl().link_add("ipvlan", &no_link, &[]).unwrap_err(), Errno::Einval);
    let bad = NewLink { link: Some(999), ..no_link };
    assert_eq!(w.rtnl().link_add("ipvlan", &bad, &[]).unwrap_err(), Errno::Enodev);
    let lo = w.rtnl().dev_by_name(INIT, "lo").unwrap();
    assert_eq!(ipvlan(&w, &lo, "i", &[]).unwrap_err(), Errno::Einval);
    let d0 = dummy(&w, INIT, "d0").unwrap();
    w.rtnl().rx_handler_register(&d0, Arc::new(Other)).unwrap();
    assert_eq!(ipvlan(&w, &d0, "i", &[]).unwrap_err(), Errno::Ebusy);
    let i1 = ipvlan(&w, &a, "i1", &[]).unwrap();
    assert!(a.has_rx_handler(), "ipvlan_port_create");
    let i2 = ipvlan(&w, &i1, "i2", &[]).unwrap();
    assert_eq!(IpvlanDev::lower_of(&i2).unwrap().id(), a.id(), "link i1 means i1's master");
    assert_eq!(i2.iflink(), a.ifindex());
    assert_ne!(IpvlanDev::info(&i1).unwrap().dev_id, IpvlanDev::info(&i2).unwrap().dev_id);
    w.rtnl().dellink(&i1).unwrap();
    assert!(a.has_rx_handler());
    w.rtnl().dellink(&i2).unwrap();
    assert!(!a.has_rx_handler(), "the last slave destroys the port");
    assert!(a.uppers().is_empty());
}

/// T31, T17, T25, `ipvlan_link_setup` / `ipvlan_init`: the lower's MAC, no
/// `ndo_set_mac_address`, `IFF_NO_RX_HANDLER` (no bridge port, no macvlan lower),
/// `VLAN_CHALLENGED` (no vlan on it), the lower's MTU unless given, any MTU allowed later.
#[test]
fn t31_t17_t25_slave_properties() {
    let (w, _st) = world();
    let (a, _b) = veth_pair(&w, INIT, "a", INIT, "b").unwrap();
    w.rtnl().set_mtu(&a, 1400).unwrap();
    let i1 = ipvlan(&w, &a, "i1", &[]).unwrap();
    assert_eq!(i1.address(), a.address(), "T31: i1's MAC is a's");
    let e = w.rtnl().set_address(&i1, MacAddr([2, 0, 0, 0, 1, 1])).unwrap_err();
    assert_eq!(e, Errno::Eopnotsupp);
    assert!(i1.priv_flags().contains(PrivFlags::NO_RX_HANDLER));
    assert_eq!(w.rtnl().rx_handler_register(&i1, Arc::new(Other)).unwrap_err(), Errno::Einval, "T17");
    assert!(i1.features().contains(Features::VLAN_CHALLENGED));
    let req = NewLink { name: Some("v".into()), link: Some(i1.ifindex()), ..NewLink::in_netns(INIT) };
    let e = w.rtnl().link_add("vlan", &req, &["id", "5"]).unwrap_err();
    assert_eq!(e, Errno::Eopnotsupp, "T25: a vlan on an ipvlan slave");
    assert_eq!((i1.mtu(), i1.min_mtu(), i1.max_mtu()), (1400, 68, 65535));
    w.rtnl().set_mtu(&i1, 9000).unwrap();
    assert_eq!(i1.mtu(), 9000, "no ndo_change_mtu: above the lower's is fine");
    w.rtnl().set_mtu(&a, 1300).unwrap();
    assert_eq!(i1.mtu(), 1300, "a lower CHANGEMTU sets every slave's");
    w.rtnl().set_mtu(&a, 1500).unwrap();
    assert_eq!(i1.mtu(), 1500, "larger too");
    let req = NewLink { name: Some("i2".into()), link: Some(a.ifindex()), mtu: Some(1280), ..NewLink::in_netns(INIT) };
    assert_eq!(w.rtnl().link_add("ipvlan", &req, &[]).unwrap().mtu(), 1280);
    // The MAC follows the lower's.
    let mac = MacAddr([2, 0, 0, 0, 0xaa, 0xbb]);
    w.rtnl().set_address(&a, mac).unwrap();
    assert_eq!(i1.address(), mac);
}

/// `ipvlan_device_event` → `netif_stacked_transfer_operstate`: slaves follow the lower's
/// carrier but are not taken down administratively.
#[test]
fn carrier_follows_the_lower() {
    let (w, _st) = world();
    let (a, b) = veth_pair(&w, INIT, "a", INIT, "b").unwrap();
    let i1 = ipvlan(&w, &a, "i1", &[]).unwrap();
    up(&w, &[&a, &i1]);
    assert!(!i1.has_carrier());
    assert_eq!(i1.operstate(), Operstate::LowerLayerDown);
    up(&w, &[&b]);
    assert!(i1.has_carrier() && i1.flags().contains(IfFlags::LOWER_UP));
    w.rtnl().set_up(&a, false).unwrap();
    assert!(i1.is_up(), "not brought down");
    assert!(!i1.has_carrier());
}

/// `ipvlan_device_event` (UNREGISTER): a real unregister deletes every slave, a namespace move
/// keeps them.
#[test]
fn lower_unregister_deletes_the_slaves() {
    let (w, st) = world();
    let ns1 = netns(&w, &st, "ns1");
    let d0 = dummy(&w, INIT, "d0").unwrap();
    let i1 = ipvlan(&w, &d0, "i1", &[]).unwrap();
    let i2 = ipvlan(&w, &d0, "i2", &[]).unwrap();
    move_to(&w, &i2, ns1);
    move_to(&w, &d0, ns1);
    assert!(w.rtnl().dev_by_name(INIT, "i1").is_some(), "a lower's netns move keeps its slaves");
    assert_eq!(i1.link_netns(), ns1);
    w.rtnl().dellink(&d0).unwrap();
    assert!(w.rtnl().dev_by_name(INIT, "i1").is_none() && w.rtnl().dev_by_name(ns1, "i2").is_none());
    assert_eq!(i2.reg_state(), netdev_core::RegState::Unregistered);
}

// ------------------------------------------------------------------------------ §7.3 addresses

/// T31, the validators (`ipvlan_addr4_validator_event`, `ipvlan_addr6_validator_event`) and
/// `ipvlan_addr_busy`: an address another slave of the port owns is EADDRINUSE, even if that
/// slave is down and in another namespace; the master's own addresses do not count.
#[test]
fn t31_an_address_belongs_to_one_slave() {
    let (w, st) = world();
    let (ns1, ns2) = (netns(&w, &st, "ns1"), netns(&w, &st, "ns2"));
    let (a, _b) = veth_pair(&w, INIT, "a", INIT, "b").unwrap();
    let i1 = ipvlan(&w, &a, "i1", &[]).unwrap();
    let i2 = ipvlan(&w, &a, "i2", &[]).unwrap();
    move_to(&w, &i1, ns1);
    move_to(&w, &i2, ns2);
    addr(&w, &st, &i1, "10.0.0.5", 24).unwrap();
    let e = addr(&w, &st, &i2, "10.0.0.5", 24).unwrap_err();
    assert_eq!(
        (e.errno(), e.extack()),
        (Errno::Eaddrinuse, Some("Address already assigned to an ipvlan device")),
        "i1 is down and elsewhere"
    );
    assert_eq!(Errno::Eaddrinuse.strerror(), "Address already in use");
    assert!(st.of(ns2).addrs4(i2.ifindex()).is_empty());
    addr(&w, &st, &a, "10.0.0.5", 24).unwrap();
    assert_eq!(addr(&w, &st, &i1, "10.0.0.5", 24).unwrap_err(), Errno::Eexist, "the stack's own check first");
    // IPv6 goes through the same check (explicit addresses).
    let mut r = w.rtnl();
    for ns in [ns1, ns2] {
        st.of(ns).sysctl_set(&mut r, "net.ipv6.conf.all.disable_ipv6", "0").unwrap();
    }
    drop(r);
    addr(&w, &st, &i1, "fd00::5", 64).unwrap();
    assert_eq!(addr(&w, &st, &i2, "fd00::5", 64).unwrap_err(), Errno::Eaddrinuse);
    assert_eq!(
        IpvlanDev::info(&i1).unwrap().addrs,
        ["10.0.0.5".parse::<IpAddr>().unwrap(), "fd00::5".parse().unwrap()]
    );
    // Deleted from i1, the address is free for i2.
    st.of(ns1).addr_del(&mut w.rtnl(), i1.ifindex(), "10.0.0.5".parse().unwrap(), Some(24)).unwrap();
    addr(&w, &st, &i2, "10.0.0.5", 24).unwrap();
    // Moving i2 out flushes its addresses (inetdev_destroy), which frees them too.
    move_to(&w, &i2, INIT);
    assert!(IpvlanDev::info(&i2).unwrap().addrs.is_empty());
    addr(&w, &st, &i1, "10.0.0.5", 24).unwrap();
}

// ------------------------------------------------------------------------------ §7.4 receive

/// A port in L3 mode with slaves i1 (10.0.0.5) and i2 (10.0.0.6) in ns1 and ns2, a↔b in the
/// initial namespace, Sinks as every namespace's protocol handler.
struct Lab {
    w: World,
    st: Stacks,
    a: Arc<NetDevice>,
    b: Arc<NetDevice>,
    i1: Arc<NetDevice>,
    i2: Arc<NetDevice>,
    sink0: Arc<Sink>,
    sink1: Arc<Sink>,
    sink2: Arc<Sink>,
}

fn lab(args: &[&str]) -> Lab {
    let (w, st) = world();
    let (ns1, ns2) = (netns(&w, &st, "ns1"), netns(&w, &st, "ns2"));
    let (a, b) = veth_pair(&w, INIT, "a", INIT, "b").unwrap();
    let i1 = ipvlan(&w, &a, "i1", args).unwrap();
    let i2 = ipvlan(&w, &a, "i2", args).unwrap();
    move_to(&w, &i1, ns1);
    move_to(&w, &i2, ns2);
    addr(&w, &st, &i1, "10.0.0.5", 24).unwrap();
    addr(&w, &st, &i2, "10.0.0.6", 24).unwrap();
    up(&w, &[&a, &b, &i1, &i2]);
    let sink0 = Sink::recording().install(&w, INIT);
    let sink1 = Sink::recording().install(&w, ns1);
    let sink2 = Sink::recording().install(&w, ns2);
    Lab { w, st, a, b, i1, i2, sink0, sink1, sink2 }
}

/// T32, `ipvlan_handle_mode_l3` → `ipvlan_rcv_frame`: a frame on the lower for a slave's IP (or
/// an ARP for it) goes to that slave, in its namespace, counted there with the frame's length;
/// IP broadcast and other destinations stay with the master.
#[test]
fn t32_l3_receive_demultiplexes_by_destination_ip() {
    let l = lab(&[]);
    let mut cpu = l.w.cpu(0).unwrap();
    let (am, bm) = (l.a.address(), l.b.address());
    send(&mut cpu, &l.b, &ipv4_frame(am, bm, "10.0.0.2", "10.0.0.6", 100));
    send(&mut cpu, &l.b, &ipv4_frame(MacAddr::BROADCAST, bm, "10.0.0.2", "10.0.0.255", 100));
    send(&mut cpu, &l.b, &ipv4_frame(am, bm, "10.0.0.2", "10.0.0.1", 100));
    send(&mut cpu, &l.b, &arp_frame(MacAddr::BROADCAST, bm, 1, "10.0.0.2", "10.0.0.5"));
    drive(&mut cpu, 10);
    let d2 = l.sink2.log();
    assert_eq!((d2.len(), d2[0].ifindex, d2[0].orig_ifindex), (1, l.i2.ifindex(), l.a.ifindex()));
    assert_eq!((d2[0].pkt_type, d2[0].len), (PktType::Host, 86));
    let s2 = l.i2.stats64();
    assert_eq!((s2.rx_packets, s2.rx_bytes), (1, 100), "skb->len + ETH_HLEN");
    let d1 = l.sink1.log();
    assert_eq!((d1.len(), d1[0].ifindex, d1[0].protocol), (1, l.i1.ifindex(), 0x0806), "the ARP is handed to i1");
    let d0: Vec<_> = l.sink0.log().iter().map(|d| (d.ifindex, d.pkt_type)).collect();
    assert_eq!(d0, [(l.a.ifindex(), PktType::Broadcast), (l.a.ifindex(), PktType::Host)], "only a gets the broadcast");
    conserved(&l.w, 4);
}

/// §7.3, `ipvlan_open` / `ipvlan_stop`: only slaves that are up are in the lookup table.
#[test]
fn only_up_slaves_receive() {
    let l = lab(&[]);
    l.w.rtnl().set_up(&l.i2, false).unwrap();
    let mut cpu = l.w.cpu(0).unwrap();
    send(&mut cpu, &l.b, &ipv4_frame(l.a.address(), l.b.address(), "10.0.0.2", "10.0.0.6", 60));
    drive(&mut cpu, 10);
    assert!(l.sink2.log().is_empty());
    assert_eq!(l.sink0.log()[0].ifindex, l.a.ifindex(), "passed to the master");
    l.w.rtnl().set_up(&l.i2, true).unwrap();
    send(&mut cpu, &l.b, &ipv4_frame(l.a.address(), l.b.address(), "10.0.0.2", "10.0.0.6", 60));
    drive(&mut cpu, 10);
    assert_eq!(l.sink2.log().len(), 1);
}

/// `ipvlan_handle_mode_l2` → `ipvlan_multicast_enqueue` → `ipvlan_process_multicast`: in L2
/// mode an external broadcast reaches the master and every slave that is up (counted as
/// multicast); a broadcast that a slave itself sent (source MAC the lower's, source IP a slave's)
/// and that comes back is not handed out again; unicast is demultiplexed as in L3.
#[test]
fn l2_broadcast_reaches_master_and_slaves() {
    let l = lab(&["mode", "l2"]);
    let mut cpu = l.w.cpu(0).unwrap();
    let (am, bm) = (l.a.address(), l.b.address());
    send(&mut cpu, &l.b, &arp_frame(MacAddr::BROADCAST, bm, 1, "10.0.0.2", "10.0.0.9"));
    drive(&mut cpu, 10);
    assert_eq!(l.sink0.log().len(), 1);
    for (s, d) in [(&l.sink1, &l.i1), (&l.sink2, &l.i2)] {
        let log = s.log();
        assert_eq!((log.len(), log[0].ifindex, log[0].pkt_type), (1, d.ifindex(), PktType::Broadcast));
        let st = d.stats64();
        assert_eq!((st.rx_packets, st.rx_bytes, st.multicast), (1, 60, 1));
    }
    // Reflected: from a's MAC with i1's IP as the sender.
    send(&mut cpu, &l.b, &arp_frame(MacAddr::BROADCAST, am, 1, "10.0.0.5", "10.0.0.9"));
    drive(&mut cpu, 10);
    assert_eq!((l.sink0.log().len(), l.sink1.log().len(), l.sink2.log().len()), (2, 1, 1));
    send(&mut cpu, &l.b, &ipv4_frame(am, bm, "10.0.0.2", "10.0.0.5", 60));
    drive(&mut cpu, 10);
    assert_eq!(l.sink1.log().last().unwrap().protocol, 0x0800);
    assert!(l.i1.flags().contains(IfFlags::BROADCAST) && !l.i1.flags().contains(IfFlags::NOARP), "L2: ARP on");
}

// ------------------------------------------------------------------------------ §7.5 transmit

/// T32, `ipvlan_xmit_mode_l3` → `ipvlan_rcv_frame` (local): a packet from i1 to i2's address is
/// delivered to i2 directly, never seen on the wire; i2 counts `skb->len + ETH_HLEN`, the frame
/// plus 14 (the length already includes the Ethernet header on this path).
#[test]
fn t32_l3_slave_to_slave_is_local() {
    let l = lab(&[]);
    let tap_b = TapLog::attach(&l.b);
    let mut cpu = l.w.cpu(0).unwrap();
    let m = l.i1.address();
    assert_eq!(send(&mut cpu, &l.i1, &ipv4_frame(m, m, "10.0.0.5", "10.0.0.6", 100)), Xmit::Ok);
    drive(&mut cpu, 10);
    let d = l.sink2.log();
    assert_eq!((d.len(), d[0].ifindex, d[0].pkt_type, d[0].len), (1, l.i2.ifindex(), PktType::Host, 86));
    assert!(tap_b.take().is_empty(), "not seen on b");
    assert_eq!((l.i1.stats64().tx_packets, l.i1.stats64().tx_bytes), (1, 100));
    assert_eq!((l.i2.stats64().rx_packets, l.i2.stats64().rx_bytes), (1, 114));
    // A slave that is down has left the table (ipvlan_stop): the packet goes out through the
    // master, which has no stack here, so it is a routing failure: tx_errors on the lower,
    // tx_dropped on the sender.
    l.w.rtnl().set_up(&l.i2, false).unwrap();
    assert_eq!(send(&mut cpu, &l.i1, &ipv4_frame(m, m, "10.0.0.5", "10.0.0.6", 100)), Xmit::Drop);
    assert_eq!(l.i1.stats64().tx_dropped, 1);
    assert_eq!(l.a.stats().read(netdev_core::Stat::TxErrors), 1);
    conserved(&l.w, 2);
}

/// T32, `ipvlan_xmit_mode_l3` with `private`: slave-to-slave traffic is dropped (consumed, and
/// `NET_XMIT_DROP` makes it the sender's `tx_dropped`); a multicast destination MAC is dropped
/// by `ipvlan_process_outbound`.
#[test]
fn t32_private_drops_slave_to_slave() {
    let l = lab(&["private"]);
    assert_eq!(IpvlanDev::info(&l.i1).unwrap().flags, IPVLAN_F_PRIVATE);
    let mut cpu = l.w.cpu(0).unwrap();
    let m = l.i1.address();
    assert_eq!(send(&mut cpu, &l.i1, &ipv4_frame(m, m, "10.0.0.5", "10.0.0.6", 100)), Xmit::Drop);
    drive(&mut cpu, 10);
    assert!(l.sink2.log().is_empty());
    let s = l.i1.stats64();
    assert_eq!((s.tx_packets, s.tx_dropped), (0, 1), "T32: i1 tx_dropped +1");
    assert_eq!((l.w.total_consumed(), l.w.total_drops()), (1, 0), "consume_skb, not a drop");
    assert_eq!(send(&mut cpu, &l.i1, &ipv4_frame(MacAddr::BROADCAST, m, "10.0.0.5", "10.0.0.255", 60)), Xmit::Drop);
    assert_eq!(l.w.drop_counts().get(&DropReason::MacIsMulticast), Some(&1));
}

/// `ipvlan_xmit_mode_l2`: a frame to the shared MAC for no slave's address goes to the master
/// (`dev_forward_skb` on the lower), so slave → master works; with `vepa` it goes out to the wire
/// instead; other unicast goes out through the lower; a broadcast reaches the other slaves and
/// the wire.
#[test]
fn l2_transmit_paths() {
    let l = lab(&["mode", "l2"]);
    let tap_b = TapLog::attach(&l.b);
    let mut cpu = l.w.cpu(0).unwrap();
    let (m, bm) = (l.i1.address(), l.b.address());
    send(&mut cpu, &l.i1, &ipv4_frame(m, m, "10.0.0.5", "10.0.0.1", 60));
    drive(&mut cpu, 10);
    let d0 = l.sink0.log();
    assert_eq!((d0.len(), d0[0].ifindex), (1, l.a.ifindex()), "the master's stack gets it");
    assert!(tap_b.take().is_empty());
    send(&mut cpu, &l.i1, &ipv4_frame(m, m, "10.0.0.5", "10.0.0.6", 60));
    drive(&mut cpu, 10);
    assert_eq!(l.sink2.log().len(), 1, "a slave's address: local delivery");
    send(&mut cpu, &l.i1, &ipv4_frame(bm, m, "10.0.0.5", "10.0.0.2", 60));
    drive(&mut cpu, 10);
    assert_eq!(tap_b.take().iter().filter(|t| t.direction == Direction::Incoming).count(), 1, "out to b");
    send(&mut cpu, &l.i1, &arp_frame(MacAddr::BROADCAST, m, 1, "10.0.0.5", "10.0.0.2"));
    drive(&mut cpu, 10);
    assert_eq!(l.sink2.log().last().unwrap().pkt_type, PktType::Broadcast, "to the other slave");
    assert_eq!(l.sink1.log().len(), 0, "not back to the sender");
    assert_eq!(tap_b.take().len(), 1, "and out to the wire");
    assert_eq!(l.i2.stats64().multicast, 1);
    l.w.rtnl().link_change(&l.i1, "ipvlan", &["mode", "l2", "vepa"]).unwrap();
    send(&mut cpu, &l.i1, &ipv4_frame(m, m, "10.0.0.5", "10.0.0.6", 60));
    drive(&mut cpu, 10);
    assert_eq!(l.sink2.log().len(), 2, "vepa: not short-circuited");
    assert_eq!(tap_b.take().len(), 1, "it went out to the wire");
    assert_eq!(l.st.of(INIT).addrs4(l.a.ifindex()).len(), 0);
}

/// T32 with stacks in L3 mode (`ipvlan_process_v4_outbound`: `ip_route_output_flow` in the
/// lower's namespace): i1 (ns1) reaches i2 (ns2) locally, b through the master, and an off-link
/// address only through a route in the master's table; b reaches the slaves through a route via
/// the master (ARP for a slave's address is handed to the NOARP slave and not answered).
#[test]
fn t32_l3_routing_uses_the_masters_table() {
    let (w, st) = world();
    let (ns1, ns2, nsb) = (netns(&w, &st, "ns1"), netns(&w, &st, "ns2"), netns(&w, &st, "nsb"));
    let (a, b) = veth_pair(&w, INIT, "a", nsb, "b").unwrap();
    let i1 = ipvlan(&w, &a, "i1", &[]).unwrap();
    let i2 = ipvlan(&w, &a, "i2", &[]).unwrap();
    move_to(&w, &i1, ns1);
    move_to(&w, &i2, ns2);
    let far = dummy(&w, nsb, "far").unwrap();
    addr(&w, &st, &a, "10.0.0.1", 24).unwrap();
    addr(&w, &st, &b, "10.0.0.2", 24).unwrap();
    addr(&w, &st, &far, "192.168.9.1", 24).unwrap();
    addr(&w, &st, &i1, "10.0.1.5", 24).unwrap();
    addr(&w, &st, &i2, "10.0.1.6", 24).unwrap();
    up(&w, &[&a, &b, &far, &i1, &i2]);
    {
        let mut r = w.rtnl();
        let mut via = RouteSpec::new("10.0.1.0".parse().unwrap(), 24);
        via.gateway = Some("10.0.0.1".parse().unwrap());
        st.of(nsb).route_add(&mut r, &via).unwrap();
        for (ns, dev) in [(ns1, &i1), (ns2, &i2)] {
            let mut dflt = RouteSpec::new("0.0.0.0".parse().unwrap(), 0);
            dflt.ifindex = Some(dev.ifindex());
            st.of(ns).route_add(&mut r, &dflt).unwrap();
        }
    }
    let tap_b = TapLog::attach(&b);
    let mut cpu = w.cpu(0).unwrap();
    let ping = |cpu: &mut Cpu, dst: &str| {
        let mut o = PingOpts::new(dst.parse().unwrap(), 1);
        o.timeout_ns = Some(SEC);
        st.of(ns1).ping(cpu, &o).unwrap().received
    };
    assert_eq!(ping(&mut cpu, "10.0.1.6"), 1, "slave to slave");
    assert!(tap_b.take().is_empty(), "not seen on b");
    assert_eq!(ping(&mut cpu, "10.0.0.2"), 1, "through the master to b");
    assert!(tap_b.take().iter().any(|t| t.direction == Direction::Incoming && t.protocol == 0x0800));
    // The master's table decides: a route there via a gateway that does not answer fails,
    // whatever i1's own routes say; via b it works. (With no route at all the kernel assumes
    // the destination on the lower's link, `flowi4_oif` being set, and so does the stack.)
    let route = |gw: &str| {
        let mut r = RouteSpec::new("192.168.9.0".parse().unwrap(), 24);
        r.gateway = Some(gw.parse().unwrap());
        r
    };
    st.of(INIT).route_add(&mut w.rtnl(), &route("10.0.0.3")).unwrap();
    assert_eq!(ping(&mut cpu, "192.168.9.1"), 0, "the master's gateway does not answer");
    assert!(st.of(INIT).neigh_lookup(a.ifindex(), "10.0.0.3".parse().unwrap()).is_some(), "the master resolved it");
    st.of(INIT).route_del(&mut w.rtnl(), &route("10.0.0.3")).unwrap();
    st.of(INIT).route_add(&mut w.rtnl(), &route("10.0.0.2")).unwrap();
    assert_eq!(ping(&mut cpu, "192.168.9.1"), 1, "the master's route, not i1's, decides");
    assert!(i1.flags().contains(IfFlags::NOARP));
    let s1 = i1.stats64();
    assert_eq!((s1.tx_packets, s1.rx_packets), (4, 3), "four echoes out, three replies in");
}

/// L2 mode with stacks: slaves resolve their neighbours with ARP through the lower (the ARP
/// reply from b is for the shared MAC and is demultiplexed by its target IP), and ping b.
#[test]
fn l2_slaves_arp_and_ping_through_the_lower() {
    let (w, st) = world();
    let (ns1, nsb) = (netns(&w, &st, "ns1"), netns(&w, &st, "nsb"));
    let (a, b) = veth_pair(&w, INIT, "a", nsb, "b").unwrap();
    let i1 = ipvlan(&w, &a, "i1", &["mode", "l2"]).unwrap();
    move_to(&w, &i1, ns1);
    addr(&w, &st, &b, "10.0.0.2", 24).unwrap();
    addr(&w, &st, &i1, "10.0.0.5", 24).unwrap();
    up(&w, &[&a, &b, &i1]);
    let mut cpu = w.cpu(0).unwrap();
    let mut o = PingOpts::new("10.0.0.2".parse().unwrap(), 2);
    o.timeout_ns = Some(SEC);
    let rep = st.of(ns1).ping(&mut cpu, &o).unwrap();
    assert_eq!(rep.received, 2, "{rep:?}");
    let (nud, mac) = st.of(nsb).neigh_lookup(b.ifindex(), "10.0.0.5".parse().unwrap()).unwrap();
    assert_eq!(mac, Some(a.address()), "b knows i1 by the shared MAC ({nud:?})");
    assert_eq!(i1.stats64().multicast, 0, "b's replies are unicast");
    // The chains saw the address.
    assert_eq!(IpvlanDev::info(&i1).unwrap().addrs, ["10.0.0.5".parse::<IpAddr>().unwrap()]);
}
