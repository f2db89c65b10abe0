//! The vlan devices of one real device (`struct vlan_info` / `vlan_group`): the receive hook the
//! core calls for tagged frames (`vlan_do_receive`), and the notifier that makes vlans follow
//! their real device (`vlan.c:vlan_device_event`).

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use arc_swap::ArcSwap;
use netdev_core::{
    Cpu, DropReason, ETH_HLEN, NetDevice, NetdevEvent, NetdevNotifier, PktType, PrivFlags, RegState, Result, Rtnl,
    RxHandlerResult, Skb, Stat, VLAN_HLEN, VlanRx, VlanTag,
};
use parking_lot::Mutex;

use crate::{VLAN_FLAG_BRIDGE_BINDING, VLAN_FLAG_LOOSE_BINDING, VLAN_FLAG_REORDER_HDR, Vlan, VlanShared};

/// `(protocol, VID)` as one sortable key.
pub(crate) fn key(proto: u16, vid: u16) -> u32 {
    (u32::from(proto) << 16) | u32::from(vid)
}

/// The vlans of one real device, published for the data path as a sorted snapshot (RCU-style).
#[derive(Default)]
pub(crate) struct Group {
    snap: ArcSwap<Vec<(u32, Arc<VlanShared>)>>,
}

impl fmt::Debug for Group {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Group").field("vlans", &self.snap.load().len()).finish()
    }
}

impl Group {
    pub(crate) fn find(&self, proto: u16, vid: u16) -> Option<Arc<VlanShared>> {
        let s = self.snap.load();
        s.binary_search_by_key(&key(proto, vid), |e| e.0).ok().and_then(|i| s.get(i)).map(|e| e.1.clone())
    }

    pub(crate) fn len(&self) -> usize {
        self.snap.load().len()
    }

    /// The vlan devices (those still alive), in `(protocol, VID)` order.
    pub(crate) fn devices(&self) -> Vec<Arc<NetDevice>> {
        self.snap.load().iter().filter_map(|e| e.1.me.load_full()).collect()
    }

    /// `vlan_group_set_device` (under RTNL).
    fn set(&self, k: u32, v: Option<Arc<VlanShared>>) {
        let mut s = Vec::clone(&self.snap.load());
        s.retain(|e| e.0 != k);
        if let Some(v) = v {
            let at = s.partition_point(|e| e.0 < k);
            s.insert(at, (k, v));
        }
        self.snap.store(Arc::new(s));
    }
}

impl VlanRx for Group {
    /// `vlan_core.c:vlan_do_receive`.
    fn vlan_do_receive(&self, cpu: &mut Cpu, _dev: &Arc<NetDevice>, mut skb: Skb) -> RxHandlerResult {
        let Some(tag) = skb.meta.vlan else { return RxHandlerResult::Pass(skb) };
        let found = {
            let s = self.snap.load();
            match s.binary_search_by_key(&key(tag.proto, tag.vid()), |e| e.0).ok().and_then(|i| s.get(i)) {
                Some(e) => cpu.pin_ptr(&e.1.me).map(|id| (id, e.1.flags(), e.1.ingress_priority(tag.tci))),
                None => None,
            }
        };
        let Some((id, flags, priority)) = found else { return RxHandlerResult::Pass(skb) };
        let Some(vdev) = cpu.pinned(id) else { return RxHandlerResult::Pass(skb) };
        if !vdev.is_up() {
            // The vlan exists but is down: the frame is freed silently (no counter).
            cpu.kfree_skb(skb, DropReason::NotSpecified, None);
            return RxHandlerResult::Consumed;
        }
        if skb.meta.pkt_type == PktType::OtherHost && skb.mac_frame().get(..6) == Some(&vdev.address().octets()[..]) {
            // The vlan may have its own MAC: "our lower layer thinks this is not local".
            skb.meta.pkt_type = PktType::Host;
        }
        let port = vdev.priv_flags().intersects(PrivFlags::MACVLAN_PORT | PrivFlags::BRIDGE_PORT);
        if flags & VLAN_FLAG_REORDER_HDR == 0 && !port && !reinsert_tag(&mut skb, tag) {
            cpu.kfree_skb(skb, DropReason::Nomem, None);
            return RxHandlerResult::Consumed;
        }
        skb.meta.priority = priority;
        skb.meta.vlan = None;
        cpu.stat_packet(vdev, Stat::RxPackets, Stat::RxBytes, skb.len());
        if skb.meta.pkt_type == PktType::Multicast {
            cpu.stat_add(vdev, Stat::Multicast, 1);
        }
        RxHandlerResult::AnotherPinned(skb, id)
    }
}

/// Without REORDER_HDR the tag goes back into the packet (`vlan_insert_inner_tag`), after the
/// MAC addresses, so the vlan device's taps and upper layers see it; the data stays at the
/// payload. False if there is no room.
fn reinsert_tag(skb: &mut Skb, tag: VlanTag) -> bool {
    let offset = skb.mac_len();
    if offset < ETH_HLEN {
        return false;
    }
    skb.push_mac();
    if skb.vlan_insert(tag).is_none() {
        let _ = skb.pull(offset);
        return false;
    }
    skb.pull(offset + VLAN_HLEN).is_some()
}

/// Every real device's group, by device id (`dev->vlan_info`), shared by the kind and the
/// notifier.
#[derive(Debug, Default)]
pub(crate) struct Registry {
    groups: Mutex<BTreeMap<u64, Arc<Group>>>,
}

impl Registry {
    pub(crate) fn group(&self, real: &NetDevice) -> Option<Arc<Group>> {
        self.groups.lock().get(&real.id()).cloned()
    }

    /// `vlan_vid_add` + `vlan_group_set_device`: the first vlan installs the receive hook.
    pub(crate) fn add(&self, rtnl: &mut Rtnl<'_>, real: &Arc<NetDevice>, v: Arc<VlanShared>) {
        let g = {
            let mut groups = self.groups.lock();
            groups.entry(real.id()).or_default().clone()
        };
        g.set(key(v.proto, v.vid), Some(v));
        rtnl.set_vlan_rx(real, Some(g));
    }

    /// `vlan_group_set_device(NULL)` + `vlan_vid_del`: the last vlan removes the hook. Only the
    /// entry of `v` itself is removed.
    pub(crate) fn remove(&self, rtnl: &mut Rtnl<'_>, real: &Arc<NetDevice>, v: &VlanShared) {
        let Some(g) = self.group(real) else { return };
        let k = key(v.proto, v.vid);
        if g.find(v.proto, v.vid).is_some_and(|e| std::ptr::eq(Arc::as_ptr(&e), v)) {
            g.set(k, None);
        }
        if g.len() == 0 {
            self.groups.lock().remove(&real.id());
            rtnl.set_vlan_rx(real, None);
        }
    }
}

/// `vlan_device_event`: what vlans do when their real device changes.
pub(crate) struct Notifier(pub(crate) Arc<Registry>);

impl NetdevNotifier for Notifier {
    fn event(&self, rtnl: &mut Rtnl<'_>, event: &NetdevEvent, dev: &Arc<NetDevice>) -> Result<()> {
        let Some(g) = self.0.group(dev) else { return Ok(()) };
        let vlans = g.devices();
        let priv_of = |v: &Arc<NetDevice>| v.driver::<Vlan>().map(|p| p.shared.clone());
        match event {
            NetdevEvent::Change => {
                for v in &vlans {
                    transfer_operstate(rtnl, dev, v);
                }
            }
            NetdevEvent::ChangeAddr => {
                for v in vlans.iter().filter(|v| v.is_up()) {
                    if let Some(p) = priv_of(v) {
                        p.sync_address(rtnl, dev, v);
                    }
                }
            }
            NetdevEvent::ChangeMtu => {
                // Lowered to the real device's MTU, never raised.
                for v in vlans.iter().filter(|v| v.mtu() > dev.mtu()) {
                    let _ = rtnl.set_mtu(v, dev.mtu());
                }
            }
            NetdevEvent::Down => {
                let loose = |v: &Arc<NetDevice>| priv_of(v).is_some_and(|p| p.flags() & VLAN_FLAG_LOOSE_BINDING != 0);
                let closing: Vec<_> = vlans.iter().filter(|v| v.is_up() && !loose(v)).cloned().collect();
                for v in &closing {
                    rtnl.dev_close(v);
                }
                for v in &closing {
                    transfer_operstate(rtnl, dev, v);
                }
            }
            NetdevEvent::Up => {
                for v in vlans.iter().filter(|v| !v.is_up()) {
                    if priv_of(v).is_some_and(|p| p.flags() & VLAN_FLAG_LOOSE_BINDING == 0) {
                        // Even a vlan the user set down comes up with its real device.
                        let _ = rtnl.dev_open(v);
                    }
                    transfer_operstate(rtnl, dev, v);
                }
            }
            NetdevEvent::Unregister => {
                // A namespace move keeps the vlans where they are, linked across.
                if dev.reg_state() != RegState::Unregistering {
                    return Ok(());
                }
                for v in &vlans {
                    unregister_vlan_dev(rtnl, &self.0, v);
                }
            }
            _ => {}
        }
        Ok(())
    }
}

/// `vlan_stacked_transfer_operstate`: nothing for a bridge-binding vlan.
pub(crate) fn transfer_operstate(rtnl: &mut Rtnl<'_>, real: &NetDevice, v: &Arc<NetDevice>) {
    let bridge_binding = v.driver::<Vlan>().is_some_and(|p| p.shared.flags() & VLAN_FLAG_BRIDGE_BINDING != 0);
    if !bridge_binding {
        rtnl.stacked_transfer_operstate(real, v);
    }
}

/// `unregister_vlan_dev`: out of the group, unlinked from the real device, unregistered.
pub(crate) fn unregister_vlan_dev(rtnl: &mut Rtnl<'_>, reg: &Registry, v: &Arc<NetDevice>) {
    if let Some(p) = v.driver::<Vlan>() {
        reg.remove(rtnl, &p.real_dev, &p.shared);
        rtnl.upper_dev_unlink(&p.real_dev, v);
    }
    let _ = rtnl.unregister(v);
}
