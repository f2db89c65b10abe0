//! Forwarding and flooding (`net/bridge/br_forward.c`).
//!
//! A frame here has its data after the Ethernet header (as `br_handle_frame_finish` and
//! `br_dev_xmit` leave it); `__br_forward` pushes the header back and transmits on the port
//! device. Flooding walks the ports newest first, clones for every target but the last, and
//! gives the last the original (or a clone too when the frame also goes up the bridge).

use std::sync::Arc;
use std::sync::atomic::Ordering;

use netdev_core::{Cpu, DropReason, NetDevice, Skb};

use crate::device::BridgeCore;
use crate::port::Port;
use crate::types::{PortFlags, PortState};
use crate::vlan;

/// `enum br_pkt_type`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum BrPkt {
    /// `BR_PKT_UNICAST`.
    Unicast,
    /// `BR_PKT_MULTICAST`.
    Multicast,
    /// `BR_PKT_BROADCAST`.
    Broadcast,
}

/// One forwarding decision's context (`BR_INPUT_SKB_CB` plus the ingress device).
pub(crate) struct Fwd<'a> {
    pub(crate) core: &'a BridgeCore,
    pub(crate) br_dev: &'a Arc<NetDevice>,
    /// The ingress port device's id (`skb->dev`), 0 for frames the bridge itself sends.
    pub(crate) ingress: u64,
    /// `src_port_isolated`.
    pub(crate) src_isolated: bool,
    /// Locally originated (`br_dev_xmit`).
    pub(crate) local_orig: bool,
    /// `vlan_filtered`: the frame went through the ingress VLAN filter.
    pub(crate) vlan_filtered: bool,
    /// The frame's VID (0 without filtering).
    pub(crate) vid: u16,
}

/// A copy of a frame (`skb_clone`): the core's clone, counted in `World::total_cloned` so that
/// consumed + dropped = sent + cloned holds for floods.
pub(crate) fn clone_skb(cpu: &mut Cpu, skb: &Skb) -> Skb {
    cpu.skb_clone(skb)
}

impl Fwd<'_> {
    /// `should_deliver`: not back out of the ingress port (unless hairpin), only to a
    /// forwarding port, only if the VLAN is on it, never from an isolated port to another.
    #[inline]
    pub(crate) fn should_deliver(&self, p: &Port) -> bool {
        let f = p.flags();
        (f.contains(PortFlags::HAIRPIN) || self.ingress != p.dev_id)
            && p.state() == PortState::Forwarding
            && (!self.vlan_filtered || vlan::allowed_egress(&p.vlans.load(), self.vid))
            && !(self.src_isolated && f.contains(PortFlags::ISOLATED))
    }

    /// `br_forward` to port `no`: redirected to its backup port if it has one and no carrier.
    /// With `local_rcv` a clone is sent and the original returned (it also goes up the bridge);
    /// otherwise the frame is sent or dropped.
    pub(crate) fn forward_to(&self, cpu: &mut Cpu, no: u16, skb: Skb, local_rcv: bool) -> Option<Skb> {
        let ports = self.core.ports.load();
        let mut to = ports.get(no);
        if let Some(p) = to {
            let b = p.backup.load(Ordering::Relaxed);
            if b != 0 && !p.dev.load_full().is_some_and(|d| d.has_carrier()) {
                to = ports.get(b);
            }
        }
        match to {
            Some(p) if self.should_deliver(p) => {
                if local_rcv {
                    let c = clone_skb(cpu, &skb);
                    self.deliver(cpu, p, c);
                    Some(skb)
                } else {
                    self.deliver(cpu, p, skb);
                    None
                }
            }
            _ if local_rcv => Some(skb),
            _ => {
                cpu.kfree_skb(skb, DropReason::BridgeNoForward, Some(self.br_dev));
                None
            }
        }
    }

    /// `br_flood`: every forwarding port but the ingress, skipping ports whose flood flag for
    /// this kind of frame is off (for multicast and broadcast only when the frame is not the
    /// bridge's own) and proxy-ARP ports. No target: dropped (`NO_TX_TARGET`) unless it also
    /// goes up the bridge, in which case the original is returned.
    pub(crate) fn flood(&self, cpu: &mut Cpu, pkt: BrPkt, skb: Skb, local_rcv: bool) -> Option<Skb> {
        let ports = self.core.ports.load();
        let mut prev: Option<&Arc<Port>> = None;
        for p in &ports.list {
            let f = p.flags();
            let skip = match pkt {
                BrPkt::Unicast => !f.contains(PortFlags::FLOOD),
                BrPkt::Multicast => !f.contains(PortFlags::MCAST_FLOOD) && !self.local_orig,
                BrPkt::Broadcast => !f.contains(PortFlags::BCAST_FLOOD) && !self.local_orig,
            };
            if skip || f.contains(PortFlags::PROXYARP) || !self.should_deliver(p) {
                continue;
            }
            if let Some(q) = prev {
                let c = clone_skb(cpu, &skb);
                self.deliver(cpu, q, c);
            }
            prev = Some(p);
        }
        match prev {
            None if local_rcv => Some(skb),
            None => {
                cpu.kfree_skb(skb, DropReason::NoTxTarget, Some(self.br_dev));
                None
            }
            Some(q) if local_rcv => {
                let c = clone_skb(cpu, &skb);
                self.deliver(cpu, q, c);
                Some(skb)
            }
            Some(q) => {
                self.deliver(cpu, q, skb);
                None
            }
        }
    }

    /// `__br_forward` + `br_dev_queue_push_xmit`: egress VLAN tagging, the Ethernet header back,
    /// the forwardable check against the port (MTU + 18, up; a failure frees the frame without
    /// a counter) and `dev_queue_xmit` on the port device.
    pub(crate) fn deliver(&self, cpu: &mut Cpu, p: &Port, mut skb: Skb) {
        if self.vlan_filtered {
            vlan::handle_vlan(&p.vlans.load(), self.vid, &mut skb);
        }
        skb.meta.tstamp = 0;
        skb.push_mac();
        let mut slot = Some(skb);
        let _ = cpu.with_dev_ptr(&p.dev, |cpu, dev| {
            if let Some(skb) = slot.take() {
                if Cpu::is_skb_forwardable(dev, &skb, true) {
                    cpu.dev_queue_xmit(dev, skb);
                } else {
                    let reason = if dev.is_up() { DropReason::PktTooBig } else { DropReason::DevReady };
                    cpu.kfree_skb(skb, reason, Some(dev));
                }
            }
        });
        if let Some(skb) = slot {
            // The port device went away under us (a race with its deletion).
            cpu.kfree_skb(skb, DropReason::DevReady, Some(self.br_dev));
        }
    }
}
