//! veth through the public API: carrier and operstate, naming order, deletion, shared counters,
//! MTU drops, peer-down drops (reference §2, scenarios T1-T6).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use netdev_core::{
    Cpu, IfFlags, NetDevice, NetRx, NetnsId, NewLink, Operstate, ProtocolHandler, Skb, World, WorldConfig, Xmit,
};
use netdev_veth::{PeerNetns, PeerSpec, Veth, VethConfig};

fn world() -> World {
    let w = World::new(WorldConfig { seed: 1, ..WorldConfig::default() });
    netdev_veth::register(&w).unwrap();
    w
}

fn pair(w: &World, a: &str, b: &str, peer_ns: Option<NetnsId>) -> (Arc<NetDevice>, Arc<NetDevice>) {
    let mut rtnl = w.rtnl();
    let cfg = VethConfig {
        peer: PeerSpec { name: Some(b.into()), netns: peer_ns.map(PeerNetns::Id), ..PeerSpec::default() },
    };
    let req = NewLink { name: Some(a.into()), ..NewLink::in_netns(NetnsId::INIT) };
    let a = rtnl.newlink("veth", &req, &(Box::new(cfg) as _)).unwrap();
    let b = Veth::peer_of(&a).unwrap();
    (a, b)
}

/// A protocol handler that counts and consumes everything.
#[derive(Default)]
struct Sink(AtomicU64);

impl ProtocolHandler for Sink {
    fn receive(&self, cpu: &mut Cpu, _: &Arc<NetDevice>, _: &Arc<NetDevice>, skb: Skb) -> Result<(), Skb> {
        self.0.fetch_add(1, Ordering::Relaxed);
        cpu.consume_skb(skb);
        Ok(())
    }
}

fn frame(dst: [u8; 6], len: usize) -> Vec<u8> {
    let mut f = vec![0u8; len];
    f[..6].copy_from_slice(&dst);
    f[6..12].copy_from_slice(&[2, 0, 0, 0, 0, 1]);
    f[12..14].copy_from_slice(&0x0800u16.to_be_bytes());
    f
}

/// T1: `veth_open`/`veth_close` carrier rules and `default_operstate`'s LOWERLAYERDOWN.
#[test]
fn t1_carrier_and_operstate() {
    let w = world();
    let (a, b) = pair(&w, "a", "b", None);
    assert_eq!(a.carrier_changes(), 1, "carrier off after register is counted");
    w.rtnl().set_up(&a, true).unwrap();
    assert_eq!(a.flags(), IfFlags::BROADCAST | IfFlags::MULTICAST | IfFlags::UP);
    assert_eq!(a.operstate(), Operstate::LowerLayerDown);
    assert_eq!(b.operstate(), Operstate::Down);
    w.rtnl().set_up(&b, true).unwrap();
    assert!(a.flags().contains(IfFlags::LOWER_UP | IfFlags::RUNNING));
    assert_eq!((a.operstate(), b.operstate()), (Operstate::Up, Operstate::Up));
    assert_eq!(a.carrier_changes(), 2);
    w.rtnl().set_up(&b, false).unwrap();
    assert_eq!(a.operstate(), Operstate::LowerLayerDown);
    assert!(!a.flags().contains(IfFlags::RUNNING));
}

/// T2: the peer is registered first, so an unnamed pair is veth0 (peer) and veth1 (main).
#[test]
fn t2_default_naming_order() {
    let w = world();
    let mut rtnl = w.rtnl();
    let main = rtnl.link_add("veth", &NewLink::in_netns(NetnsId::INIT), &[]).unwrap();
    let peer = Veth::peer_of(&main).unwrap();
    assert_eq!((&*main.name(), &*peer.name()), ("veth1", "veth0"));
    assert!(peer.ifindex() < main.ifindex());
    assert_eq!(main.iflink(), peer.ifindex());
}

/// T3: deleting either end deletes both; deleting a namespace deletes the pair.
#[test]
fn t3_delete_and_netns_teardown() {
    let w = world();
    let ns1 = w.rtnl().netns_add("ns1").unwrap();
    let (a, b) = pair(&w, "a", "b", Some(ns1));
    assert_eq!(b.netns(), ns1);
    assert_eq!(a.link_netns(), ns1);
    w.rtnl().dellink(&a).unwrap();
    assert!(w.rtnl().dev_by_name(ns1, "b").is_none());
    let (_a, _b) = pair(&w, "a", "b", Some(ns1));
    w.rtnl().netns_del(ns1).unwrap();
    assert!(w.rtnl().dev_by_name(NetnsId::INIT, "a").is_none());
}

/// T4/T5/T6: shared counters, MTU-drop accounting, peer-down drop.
#[test]
fn t4_t5_t6_counters() {
    let w = world();
    let sink = Arc::new(Sink::default());
    w.rtnl().set_protocol_handler(NetnsId::INIT, Some(sink.clone())).unwrap();
    let (a, b) = pair(&w, "a", "b", None);
    let mut cpu = w.cpu(0).unwrap();
    // T6: b down, so a has no carrier: the noop qdisc drops (core tx_dropped on a).
    w.rtnl().set_up(&a, true).unwrap();
    let s = cpu.alloc_frame(&frame(b.address().octets(), 100));
    assert_eq!(cpu.dev_queue_xmit(&a, s), Xmit::Congested);
    assert_eq!(a.stats64().tx_dropped, 1);
    assert_eq!(b.stats64().rx_dropped, 0);
    w.rtnl().set_up(&b, true).unwrap();
    for _ in 0..10 {
        let s = cpu.alloc_frame(&frame(b.address().octets(), 100));
        assert_eq!(cpu.dev_queue_xmit(&a, s), Xmit::Ok);
    }
    assert_eq!(cpu.poll(64), 10);
    let (sa, sb) = (a.stats64(), b.stats64());
    assert_eq!((sa.tx_packets, sa.tx_bytes), (10, 1000));
    assert_eq!((sb.rx_packets, sb.rx_bytes), (10, 1000));
    assert_eq!(sink.0.load(Ordering::Relaxed), 10);
    // T5: a mtu 9000, b mtu 1500: 1518 passes, 1519 and 3000 are dropped on both sides.
    w.rtnl().set_mtu(&a, 9000).unwrap();
    for (len, ok) in [(1518, true), (1519, false), (3000, false)] {
        let s = cpu.alloc_frame(&frame(b.address().octets(), len));
        assert_eq!(cpu.dev_queue_xmit(&a, s) == Xmit::Ok, ok, "len {len}");
    }
    assert_eq!(a.stats64().tx_dropped, 1 + 2);
    assert_eq!(b.stats64().rx_dropped, 2);
    assert_eq!(cpu.poll(64), 1);
    assert_eq!(b.stats64().rx_packets, 11);
    // Conservation: everything sent was delivered or dropped with a reason.
    assert_eq!(w.total_delivered() + w.total_drops(), 14);
    let _ = NetRx::Success;
}

/// `veth_newlink` configures the peer before the main device exists, so asking for the peer to
/// be up at creation reaches `veth_open` without a peer: ENOTCONN, and nothing is left behind.
#[test]
fn peer_up_at_creation_is_enotconn() {
    let w = world();
    let mut rtnl = w.rtnl();
    let req = NewLink { name: Some("a".into()), ..NewLink::in_netns(NetnsId::INIT) };
    let e = rtnl.link_add("veth", &req, &["peer", "name", "b", "up"]).unwrap_err();
    assert_eq!(e, netdev_core::Errno::Enotconn);
    assert_eq!(rtnl.devices(NetnsId::INIT).len(), 1, "only lo remains");
}
