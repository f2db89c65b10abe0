//! Arbitrary bytes as frames through a veth pair (`veth.c:veth_xmit`, `dev.c:__dev_forward_skb`,
//! `__netif_receive_skb_core`, `skbuff.c:skb_vlan_untag`): runts, truncated VLAN tags, stacked
//! tags, any ethertype and any destination. Nothing panics, and every frame handed to
//! `dev_queue_xmit` ends delivered or dropped with a reason, once; the devices' counters agree.

use netdev_core::{DropReason, ETH_P_8021AD, ETH_P_8021Q, MacAddr, NetnsId, WorldConfig};
use proptest::prelude::*;
use vnet_tests::{Sink, drive, up, veth_pair, world_with};

/// A frame: a destination choice, an ethertype choice (VLAN TPIDs are likely), and raw tail bytes.
fn frame_strategy() -> impl Strategy<Value = (u8, u16, Vec<u8>)> {
    let ethertype = prop_oneof![
        Just(ETH_P_8021Q),
        Just(ETH_P_8021AD),
        Just(0x0800u16),
        Just(0x88b5u16),
        any::<u16>(), // includes 802.3 lengths below 0x0600
    ];
    (0u8..4, ethertype, proptest::collection::vec(any::<u8>(), 0..120))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_frames_are_conserved(
        frames in proptest::collection::vec(frame_strategy(), 1..40),
        accept_ip_only in any::<bool>(),
        cut in 0usize..20,
    ) {
        let w = world_with(WorldConfig { seed: 3, ..WorldConfig::default() });
        let ns1 = w.rtnl().netns_add("ns1").unwrap();
        let (a, b) = veth_pair(&w, NetnsId::INIT, "a", ns1, "b").unwrap();
        up(&w, &[&a, &b]);
        let sink = if accept_ip_only { Sink::counting().accepting(0x0800) } else { Sink::counting() };
        let sink = sink.install(&w, ns1);
        let mut cpu = w.cpu(0).unwrap();
        let mut sent = 0u64;
        let mut runts = 0u64;
        for (dst, ethertype, tail) in &frames {
            let dst = match dst {
                0 => b.address(),
                1 => MacAddr::BROADCAST,
                2 => MacAddr([0x01, 0, 0x5e, 0, 0, 1]),
                _ => MacAddr([0x02, 0, 0, 0, 0, 0x99]),
            };
            let mut f = Vec::new();
            f.extend_from_slice(&dst.octets());
            f.extend_from_slice(&a.address().octets());
            f.extend_from_slice(&ethertype.to_be_bytes());
            f.extend_from_slice(tail);
            // Sometimes cut the frame short, down to nothing.
            if cut > 0 && cut <= f.len() && tail.len() % 3 == 0 {
                f.truncate(f.len() - cut);
            }
            if f.len() < 14 {
                runts += 1;
            }
            let skb = cpu.alloc_frame(&f);
            cpu.dev_queue_xmit(&a, skb);
            sent += 1;
        }
        drive(&mut cpu, 100);
        let drops = w.drop_counts();
        let dropped: u64 = drops.values().sum();
        prop_assert_eq!(sink.delivered() + dropped, sent, "every frame delivered or dropped once: {:?}", drops);
        // veth_xmit drops runts on the sender (pskb_may_pull(ETH_HLEN)).
        prop_assert_eq!(a.stats64().tx_dropped, runts);
        prop_assert_eq!(a.stats64().tx_packets, sent - runts);
        // The receiver saw every frame the sender forwarded; what its stack refused, or what had
        // a tag no vlan device took, it counted as rx_dropped (truncated tags included).
        let sb = b.stats64();
        prop_assert_eq!(sb.rx_packets, sent - runts);
        prop_assert_eq!(sb.rx_dropped, sent - runts - sink.delivered());
        prop_assert_eq!(drops.get(&DropReason::NotSpecified).copied().unwrap_or(0), runts);
    }
}
