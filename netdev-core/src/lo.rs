//! The loopback device (`drivers/net/loopback.c`), which every namespace has as ifindex 1.

use std::sync::Arc;

use crate::cpu::Cpu;
use crate::stats::{LinkStats64, Stat};
use crate::{NetDevice, NetDeviceOps, NetRx, Skb, Xmit};

/// `loopback_xmit`: the frame comes straight back in on `lo` through the backlog; packets and
/// bytes (counted after the Ethernet header is pulled) are the same counter for rx and tx.
#[derive(Debug)]
pub(crate) struct Loopback;

impl NetDeviceOps for Loopback {
    fn xmit(&self, cpu: &mut Cpu, dev: &Arc<NetDevice>, mut skb: Skb) -> Xmit {
        skb.meta.tstamp = 0;
        cpu.eth_type_trans(&mut skb, dev);
        let len = skb.len();
        if cpu.netif_rx(skb) == NetRx::Success {
            cpu.stat_packet(dev, Stat::TxPackets, Stat::TxBytes, len);
        }
        Xmit::Ok
    }

    fn get_stats64(&self, dev: &NetDevice, s: &mut LinkStats64) {
        let st = dev.stats();
        s.tx_packets = st.read(Stat::TxPackets);
        s.tx_bytes = st.read(Stat::TxBytes);
        s.rx_packets = s.tx_packets;
        s.rx_bytes = s.tx_bytes;
    }
}
