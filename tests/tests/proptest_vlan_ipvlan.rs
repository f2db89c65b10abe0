//! Arbitrary frames through vlan and ipvlan receive and transmit paths (`vlan_do_receive`,
//! `skb_vlan_untag`, `ipvlan_handle_frame`, `ipvlan_queue_xmit`): truncated and stacked tags,
//! any TPID, VID and inner type, any destination, malformed IP and ARP headers. Nothing panics,
//! and every frame ends delivered or dropped with a reason, once.

use netdev_core::{MacAddr, NetDevice, NetnsId, NewLink, WorldConfig};
use proptest::prelude::*;
use vnet_tests::{Sink, drive, up, veth_pair, world_with};

const INIT: NetnsId = NetnsId::INIT;

fn link(w: &netdev_core::World, kind: &str, lower: &NetDevice, name: &str, args: &[&str]) -> std::sync::Arc<NetDevice> {
    let req = NewLink { name: Some(name.into()), link: Some(lower.ifindex()), ..NewLink::in_netns(INIT) };
    w.rtnl().link_add(kind, &req, args).unwrap()
}

/// (destination choice, TPID choice, TCI, inner type choice, tail bytes, which device sends).
fn frame_strategy() -> impl Strategy<Value = (u8, u16, u16, u16, Vec<u8>, u8)> {
    let tpid = prop_oneof![Just(0x8100u16), Just(0x88a8u16), Just(0x0800u16), Just(0x0806u16), any::<u16>()];
    let tci = prop_oneof![Just(10u16), Just(20), Just(100), Just(0), any::<u16>()];
    let inner = prop_oneof![Just(0x0800u16), Just(0x0806), Just(0x86dd), Just(0x8100), any::<u16>()];
    (0u8..4, tpid, tci, inner, proptest::collection::vec(any::<u8>(), 0..80), 0u8..4)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_frames_through_vlans_and_ipvlans_are_conserved(
        frames in proptest::collection::vec(frame_strategy(), 1..30),
        l3s in any::<bool>(),
    ) {
        let w = world_with(WorldConfig { seed: 5, ..WorldConfig::default() });
        netdev_vlan::register(&w).unwrap();
        netdev_ipvlan::register(&w).unwrap();
        let (a, b) = veth_pair(&w, INIT, "a", INIT, "b").unwrap();
        let v10 = link(&w, "vlan", &b, "b.10", &["id", "10"]);
        let v20 = link(&w, "vlan", &b, "b.20", &["id", "20", "reorder_hdr", "off"]);
        let s100 = link(&w, "vlan", &b, "b.s100", &["protocol", "802.1ad", "id", "100"]);
        let c10 = link(&w, "vlan", &s100, "b.s100.10", &["id", "10"]);
        let mode = if l3s { "l3s" } else { "l3" };
        let i1 = link(&w, "ipvlan", &b, "i1", &["mode", mode]);
        let i2 = link(&w, "ipvlan", &b, "i2", &["mode", mode, "private"]);
        up(&w, &[&a, &b, &v10, &v20, &s100, &c10, &i1, &i2]);
        let sink = Sink::counting().install(&w, INIT);
        let mut cpu = w.cpu(0).unwrap();
        let senders = [&a, &v10, &i1, &c10];
        let mut sent = 0u64;
        for (dst, tpid, tci, inner, tail, from) in &frames {
            let dst = match dst {
                0 => b.address(),
                1 => MacAddr::BROADCAST,
                2 => MacAddr([0x01, 0, 0x5e, 0, 0, 1]),
                _ => MacAddr([0x02, 0, 0, 0, 0, 0x99]),
            };
            let mut f = Vec::new();
            f.extend_from_slice(&dst.octets());
            f.extend_from_slice(&a.address().octets());
            f.extend_from_slice(&tpid.to_be_bytes());
            f.extend_from_slice(&tci.to_be_bytes());
            f.extend_from_slice(&inner.to_be_bytes());
            f.extend_from_slice(tail);
            f.truncate(f.len().saturating_sub(tail.len() % 7));
            let skb = cpu.alloc_frame(&f);
            cpu.dev_queue_xmit(senders[usize::from(*from)], skb);
            sent += 1;
        }
        drive(&mut cpu, 100);
        let dropped: u64 = w.drop_counts().values().sum();
        prop_assert_eq!(w.total_consumed() + dropped, sent, "{:?}", w.drop_counts());
        prop_assert!(sink.delivered() <= sent);
        prop_assert_eq!(cpu.backlog_len(), 0);
    }
}
