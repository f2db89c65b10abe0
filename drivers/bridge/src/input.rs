//! The receive path (`net/bridge/br_input.c`): `br_handle_frame`, the rx handler on every port;
//! `br_handle_frame_finish` (learning, the forwarding decision); `br_pass_frame_up` (delivery
//! to the bridge device); and `br_stp_rcv` for BPDUs.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use netdev_core::{
    Cpu, DropReason, ETH_HLEN, ETH_P_802_2, IfFlags, MacAddr, NetDevice, PktType, RxHandler, RxHandlerResult, Skb,
    Stat, VlanTag,
};

use crate::device::BridgeCore;
use crate::fdb::{self, FDB_LOCAL, FDB_LOCKED};
use crate::forward::{BrPkt, Fwd};
use crate::port::Port;
use crate::stp::{Bpdu, Stp, parse_bpdu};
use crate::types::{PortFlags, PortState, StpMode, is_link_local};
use crate::vlan;

/// The rx handler a port carries (`br_handle_frame` with `rx_handler_data = p`).
pub(crate) struct PortHandler {
    /// The bridge device (the handler lives on the port device, so this makes no cycle).
    pub(crate) br_dev: Arc<NetDevice>,
    pub(crate) core: Arc<BridgeCore>,
    pub(crate) port: Arc<Port>,
}

impl RxHandler for PortHandler {
    /// `br_handle_frame`.
    fn handle(&self, cpu: &mut Cpu, dev: &Arc<NetDevice>, mut skb: Skb) -> RxHandlerResult {
        if skb.meta.pkt_type == PktType::Loopback {
            return RxHandlerResult::Pass(skb);
        }
        let (dest, src) = {
            let h = skb.mac_frame();
            match (skb.mac_len() == ETH_HLEN, MacAddr::from_slice(h), h.get(6..).and_then(MacAddr::from_slice)) {
                (true, Some(d), Some(s)) => (d, s),
                _ => {
                    cpu.kfree_skb(skb, DropReason::DevHdr, Some(dev));
                    return RxHandlerResult::Consumed;
                }
            }
        };
        if !src.is_valid() {
            cpu.kfree_skb(skb, DropReason::MacInvalidSource, Some(dev));
            return RxHandlerResult::Consumed;
        }
        let (core, p) = (&*self.core, &*self.port);
        if is_link_local(dest) {
            let mut fwd_mask =
                core.group_fwd_mask_required.load(Ordering::Relaxed) | p.group_fwd_mask.load(Ordering::Relaxed);
            let b = dest.0[5];
            let forward = match b {
                0x00 => core.stp_enabled.load(Ordering::Relaxed) == StpMode::None as u8 || fwd_mask & 1 != 0,
                0x01 => {
                    cpu.kfree_skb(skb, DropReason::MacIeeeMacControl, Some(dev));
                    return RxHandlerResult::Consumed;
                }
                _ => {
                    fwd_mask |= core.group_fwd_mask.load(Ordering::Relaxed);
                    fwd_mask & (1 << b) != 0
                }
            };
            if !forward {
                return self.local_in(cpu, skb, dest, src);
            }
        }
        match p.state() {
            PortState::Forwarding | PortState::Learning => {
                if dest == self.br_dev.address() {
                    skb.meta.pkt_type = PktType::Host;
                }
                self.handle_frame_finish(cpu, dev, skb, dest, src);
            }
            _ => cpu.kfree_skb(skb, DropReason::BridgeIngressStpState, Some(dev)),
        }
        RxHandlerResult::Consumed
    }
}

impl PortHandler {
    /// A link-local frame the bridge does not forward: learned (`__br_handle_local_finish`),
    /// then handed to the port device's own protocol handlers, where an STP BPDU goes to the
    /// kernel's STP (`br_stp_rcv`, which the kernel reaches through LLC).
    fn local_in(&self, cpu: &mut Cpu, skb: Skb, dest: MacAddr, src: MacAddr) -> RxHandlerResult {
        let (core, p) = (&*self.core, &*self.port);
        let st = p.state();
        if p.flags().contains(PortFlags::LEARNING)
            && matches!(st, PortState::Learning | PortState::Forwarding)
            && !core.no_ll_learn.load(Ordering::Relaxed)
            && let Some(vid) = self.should_learn(&skb)
        {
            core.fdb.update(core.hold_time.load(Ordering::Relaxed), cpu.now(), p.port_no, src, vid, 0);
        }
        // The LLC layer's STP handler takes every STP BPDU handed to the port (`stp_pdu_rcv`);
        // `br_stp_rcv` then ignores those that are not for this bridge's kernel STP.
        if skb.meta.protocol == ETH_P_802_2
            && let Some(b) = parse_bpdu(skb.data())
        {
            cpu.consume_skb(skb);
            if core.stp_enabled.load(Ordering::Relaxed) == StpMode::Kernel as u8 {
                self.stp_rcv(cpu, b, dest);
            }
            return RxHandlerResult::Consumed;
        }
        RxHandlerResult::Pass(skb)
    }

    /// `br_should_learn`: the VID a link-local frame would be learned in, if its VLAN is on the
    /// port.
    fn should_learn(&self, skb: &Skb) -> Option<u16> {
        if !self.core.vlan_enabled.load(Ordering::Relaxed) {
            return Some(0);
        }
        let vg = self.port.vlans.load();
        let vid = match skb.meta.vlan.map(VlanTag::vid) {
            Some(v) if v != 0 => v,
            _ => vg.pvid,
        };
        (vid != 0 && vg.has(vid)).then_some(vid)
    }

    /// `br_stp_rcv`: BPDUs count only with kernel STP, the bridge up, the port enabled and the
    /// bridge's group address; a BPDU on a guarded port disables it.
    fn stp_rcv(&self, cpu: &mut Cpu, b: Bpdu, dest: MacAddr) {
        let core = &self.core;
        let now = cpu.now();
        let mut c = core.ctl.lock();
        if c.stp == StpMode::Kernel
            && c.dev_up
            && dest == c.group_addr
            && let Some(i) = c.idx(self.port.port_no)
            && c.ports[i].state() != PortState::Disabled
        {
            let mut s = Stp { core, c: &mut c, now };
            if self.port.flags().contains(PortFlags::BPDU_GUARD) {
                s.disable_port(i);
            } else {
                match b {
                    Bpdu::Config(cb) => s.received_config_bpdu(i, &cb),
                    Bpdu::Tcn => s.received_tcn_bpdu(i),
                }
            }
        }
        core.finish_cpu(cpu, c);
    }

    /// `br_handle_frame_finish`.
    fn handle_frame_finish(&self, cpu: &mut Cpu, dev: &Arc<NetDevice>, mut skb: Skb, dest: MacAddr, src: MacAddr) {
        let (core, p) = (&*self.core, &*self.port);
        let state = p.state();
        if state == PortState::Disabled {
            cpu.kfree_skb(skb, DropReason::BridgeIngressStpState, Some(dev));
            return;
        }
        let vlan_filtered = core.vlan_enabled.load(Ordering::Relaxed);
        let vid = if vlan_filtered {
            match vlan::allowed_ingress(true, core.vlan_proto.load(Ordering::Relaxed), &p.vlans.load(), &mut skb) {
                Some(v) => v,
                None => {
                    cpu.kfree_skb(skb, DropReason::VlanFilter, Some(dev));
                    return;
                }
            }
        } else {
            0
        };
        let now = cpu.now();
        let flags = p.flags();
        if flags.contains(PortFlags::LOCKED) {
            let fdb_src = core.fdb.load().get(&fdb::key(src, vid)).map(|e| (e.dst(), e.flags()));
            let drop = match fdb_src {
                None => {
                    if flags.contains(PortFlags::MAB) {
                        core.fdb.update(core.hold_time.load(Ordering::Relaxed), now, p.port_no, src, vid, FDB_LOCKED);
                    }
                    true
                }
                Some((dst, f)) if dst != p.port_no || f & FDB_LOCAL != 0 => true,
                Some((_, f)) if f & FDB_LOCKED != 0 => {
                    core.fdb.update(core.hold_time.load(Ordering::Relaxed), now, p.port_no, src, vid, FDB_LOCKED);
                    true
                }
                Some(_) => false,
            };
            if drop {
                cpu.kfree_skb(skb, DropReason::BridgeNoForward, Some(dev));
                return;
            }
        }
        if flags.contains(PortFlags::LEARNING) {
            core.fdb.update(core.hold_time.load(Ordering::Relaxed), now, p.port_no, src, vid, 0);
        }
        let promisc = self.br_dev.raw_flags().contains(IfFlags::PROMISC);
        let mut local_rcv = promisc;
        let pkt = if dest.is_broadcast() {
            local_rcv = true;
            BrPkt::Broadcast
        } else if dest.is_multicast() {
            BrPkt::Multicast
        } else {
            BrPkt::Unicast
        };
        if state == PortState::Learning {
            cpu.kfree_skb(skb, DropReason::BridgeIngressStpState, Some(dev));
            return;
        }
        let fwd = Fwd {
            core,
            br_dev: &self.br_dev,
            ingress: p.dev_id,
            src_isolated: flags.contains(PortFlags::ISOLATED),
            local_orig: false,
            vlan_filtered,
            vid,
        };
        let rest = match pkt {
            BrPkt::Multicast => {
                // No snooping: unregistered multicast floods and goes up (br_multicast_flood is
                // only for MDB hits, which need a querier).
                local_rcv = true;
                cpu.stat_add(&self.br_dev, Stat::Multicast, 1);
                fwd.flood(cpu, pkt, skb, local_rcv)
            }
            BrPkt::Broadcast => fwd.flood(cpu, pkt, skb, local_rcv),
            BrPkt::Unicast => {
                let dst = core.fdb.load().get(&fdb::key(dest, vid)).map(|e| {
                    if e.used.load(Ordering::Relaxed) != now {
                        e.used.store(now, Ordering::Relaxed);
                    }
                    (e.dst(), e.has(FDB_LOCAL))
                });
                match dst {
                    Some((_, true)) => {
                        self.pass_frame_up(cpu, skb, &fwd);
                        return;
                    }
                    Some((no, false)) => fwd.forward_to(cpu, no, skb, local_rcv),
                    None => fwd.flood(cpu, pkt, skb, local_rcv),
                }
            }
        };
        if let Some(skb) = rest {
            self.pass_frame_up(cpu, skb, &fwd);
        }
    }

    /// `br_pass_frame_up`: counted on the bridge's rx (the length after the Ethernet header),
    /// the bridge's own VLAN egress rule (unless it is promiscuous), then a full receive pass on
    /// the bridge device (its taps, its stack).
    fn pass_frame_up(&self, cpu: &mut Cpu, mut skb: Skb, fwd: &Fwd<'_>) {
        let br = &self.br_dev;
        cpu.stat_packet(br, Stat::RxPackets, Stat::RxBytes, skb.len());
        if fwd.vlan_filtered {
            let vg = self.core.vlans.load();
            if !br.raw_flags().contains(IfFlags::PROMISC) && !vlan::allowed_egress(&vg, fwd.vid) {
                cpu.kfree_skb(skb, DropReason::VlanFilter, Some(br));
                return;
            }
            vlan::handle_vlan(&vg, fwd.vid, &mut skb);
        }
        cpu.netif_receive_skb_on(br, skb);
    }
}
