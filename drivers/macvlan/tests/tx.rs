//! kernel-l2.md §6.5 and scenario T28: transmit (macvlan_start_xmit, macvlan_queue_xmit).
//!
//! Topology: veth `a` (the lower, namespace A) ↔ `b` (namespace B, the wire, which does not
//! reflect); recording sinks in both namespaces, a tap on `a`.

mod common;

use std::sync::Arc;

use common::{Deliveries, Net, Taps, assert_conserved, d, frame, mac, send, settle};
use netdev_core::{Cpu, Direction, MacAddr, NetDevice, PktType};
use netdev_macvlan::MacvlanMode;

const OUT: MacAddr = MacAddr([0x02, 0xee, 0, 0, 0, 1]);
const ETYPE: u16 = 0x88b5;

impl Net {
    fn tx(&mut self, cpu: &mut Cpu, dev: &Arc<NetDevice>, dst: MacAddr, len: usize) {
        send(cpu, dev, &frame(dst, dev.address(), ETYPE, len));
        self.sent += 1;
        settle(cpu);
    }

    /// What namespace A's and namespace B's sinks got, sorted by device.
    fn got(&self) -> (Deliveries, Deliveries) {
        (self.sink_a.take_sorted(), self.sink_b.take_sorted())
    }
}

fn txc(dev: &NetDevice) -> (u64, u64, u64) {
    let s = dev.stats64();
    (s.tx_packets, s.tx_bytes, s.tx_dropped)
}

/// T28, default (VEPA) mode: `ip -d link` says `mode vepa`; m1 → m2 unicast leaves through the
/// lower (the lower's tap sees it OUTGOING, the wire gets it) and m2 does not receive it.
#[test]
fn vepa_unicast_to_a_sibling_leaves_through_the_lower() {
    let mut n = Net::new(41);
    let m1 = n.mv("m1", mac(1), MacvlanMode::Vepa);
    let m2 = n.mv("m2", mac(2), MacvlanMode::Vepa);
    let tap = Taps::attach(&n.a);
    let mut cpu = n.w.cpu(0).unwrap();
    n.tx(&mut cpu, &m1, mac(2), 100);
    assert_eq!(n.got(), (vec![], vec![d("b", PktType::OtherHost)]));
    assert_eq!(tap.take(), [(Direction::Outgoing, PktType::Outgoing, 100)]);
    assert_eq!(txc(&m1), (1, 100, 0));
    assert_eq!((n.a.stats64().tx_packets, n.b.stats64().rx_packets), (1, 1));
    assert_eq!(m2.stats64().rx_packets, 0);
    drop(cpu);
    assert_conserved(&n.w, n.sent);
}

/// T28, bridge mode: m1 → m2 is delivered locally through dev_forward_skb(lowerdev): the lower's
/// tap sees it incoming, the wire never does; counted on m1's tx and m2's rx (HOST).
#[test]
fn bridge_unicast_to_a_sibling_stays_local() {
    let mut n = Net::new(42);
    let m1 = n.mv("m1", mac(1), MacvlanMode::Bridge);
    let m2 = n.mv("m2", mac(2), MacvlanMode::Bridge);
    let tap = Taps::attach(&n.a);
    let mut cpu = n.w.cpu(0).unwrap();
    n.tx(&mut cpu, &m1, mac(2), 100);
    assert_eq!(n.got(), (vec![d("m2", PktType::Host)], vec![]));
    assert_eq!(tap.take(), [(Direction::Incoming, PktType::OtherHost, 100)]);
    assert_eq!(txc(&m1), (1, 100, 0));
    assert_eq!((m2.stats64().rx_packets, m2.stats64().rx_bytes), (1, 100));
    let s = n.a.stats64();
    assert_eq!((s.tx_packets, s.rx_packets), (0, 0), "the lower counts nothing");
    drop(cpu);
    assert_conserved(&n.w, n.sent);
}

/// T28 / macvlan_queue_xmit: a bridge-mode broadcast reaches the other bridge-mode siblings
/// (through __dev_forward_skb, counted `len + ETH_HLEN` with the header still on: 56 for a
/// 42-byte frame) and also the wire; VEPA and private siblings get no local copy.
#[test]
fn bridge_broadcast_reaches_bridge_siblings_and_the_wire() {
    let mut n = Net::new(43);
    let m1 = n.mv("m1", mac(1), MacvlanMode::Bridge);
    let m2 = n.mv("m2", mac(2), MacvlanMode::Bridge);
    let _v = n.mv("v3", mac(3), MacvlanMode::Vepa);
    let _p = n.mv("p4", mac(4), MacvlanMode::Private);
    let mut cpu = n.w.cpu(0).unwrap();
    n.tx(&mut cpu, &m1, MacAddr::BROADCAST, 42);
    assert_eq!(n.got(), (vec![d("m2", PktType::Broadcast)], vec![d("b", PktType::Broadcast)]));
    let s = m2.stats64();
    assert_eq!((s.rx_packets, s.rx_bytes, s.multicast), (1, 56, 1));
    assert_eq!(txc(&m1), (1, 42, 0));
    drop(cpu);
    assert_conserved(&n.w, n.sent);
}

/// macvlan_queue_xmit: in bridge mode, a unicast to a sibling that is not in bridge mode, to
/// the lower's own MAC, or to an unknown MAC goes out of the lower: the lower's own stack never
/// receives its macvlans' frames.
#[test]
fn bridge_mode_non_bridge_destinations_go_out() {
    let mut n = Net::new(44);
    let m1 = n.mv("m1", mac(1), MacvlanMode::Bridge);
    let _v = n.mv("v2", mac(2), MacvlanMode::Vepa);
    let mut cpu = n.w.cpu(0).unwrap();
    for dst in [mac(2), n.a.address(), OUT] {
        n.tx(&mut cpu, &m1, dst, 64);
        assert_eq!(n.got(), (vec![], vec![d("b", PktType::OtherHost)]), "to {dst}");
    }
    // The other way round: the lower's own transmissions never reach its macvlans.
    n.tx(&mut cpu, &n.a.clone(), mac(1), 64);
    assert_eq!(n.got(), (vec![], vec![d("b", PktType::OtherHost)]));
    drop(cpu);
    assert_conserved(&n.w, n.sent);
}

/// macvlan_queue_xmit: private, VEPA and source modes always transmit to the wire, broadcasts
/// included (no local copies); T28/§6.5: a private macvlan's unicast that an external switch
/// reflects back is delivered by destination (the unicast path does not look at the source).
#[test]
fn private_vepa_source_transmit_to_the_wire() {
    let mut n = Net::new(45);
    let p1 = n.mv("p1", mac(1), MacvlanMode::Private);
    let _p2 = n.mv("p2", mac(2), MacvlanMode::Private);
    let v3 = n.mv("v3", mac(3), MacvlanMode::Vepa);
    let s4 = n.mv("s4", mac(4), MacvlanMode::Source);
    let mut cpu = n.w.cpu(0).unwrap();
    for (dev, dst) in [(&p1, mac(2)), (&v3, mac(1)), (&s4, mac(3))] {
        n.tx(&mut cpu, dev, dst, 64);
        assert_eq!(n.got(), (vec![], vec![d("b", PktType::OtherHost)]));
    }
    for dev in [&p1, &v3, &s4] {
        n.tx(&mut cpu, dev, MacAddr::BROADCAST, 64);
        assert_eq!(n.got(), (vec![], vec![d("b", PktType::Broadcast)]), "{}", dev.name());
    }
    // The switch (b) reflects p1's unicast to p2.
    send(&mut cpu, &n.b, &frame(mac(2), mac(1), ETYPE, 64));
    n.sent += 1;
    settle(&mut cpu);
    assert_eq!(n.got(), (vec![d("p2", PktType::Host)], vec![]));
    drop(cpu);
    assert_conserved(&n.w, n.sent);
}

/// macvlan_start_xmit: a frame the lower drops (its veth peer's MTU is too small:
/// NET_XMIT_DROP) counts the macvlan's tx_dropped, not its tx_packets; a macvlan that is down
/// drops in the core (noop qdisc), before the driver.
#[test]
fn tx_drop_counting() {
    let mut n = Net::new(46);
    let m1 = n.mv("m1", mac(1), MacvlanMode::Vepa);
    n.w.rtnl().set_mtu(&n.b, 1000).unwrap();
    let mut cpu = n.w.cpu(0).unwrap();
    n.tx(&mut cpu, &m1, OUT, 1400);
    assert_eq!(txc(&m1), (0, 0, 1));
    assert_eq!(n.a.stats64().tx_dropped, 1);
    assert_eq!(n.got(), (vec![], vec![]));
    n.tx(&mut cpu, &m1, OUT, 900);
    assert_eq!(txc(&m1), (1, 900, 1));
    drop(cpu);
    n.w.rtnl().set_up(&m1, false).unwrap();
    let mut cpu = n.w.cpu(0).unwrap();
    n.tx(&mut cpu, &m1, OUT, 64);
    assert_eq!(txc(&m1), (1, 900, 2), "the core's tx_dropped");
    drop(cpu);
    assert_conserved(&n.w, n.sent);
}
