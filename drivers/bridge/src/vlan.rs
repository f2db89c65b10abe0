//! VLAN filtering (`net/bridge/br_vlan.c`): per-port and per-bridge VLAN groups, the ingress
//! filter (`br_allowed_ingress`), the egress check (`br_allowed_egress`) and tagging
//! (`br_handle_vlan`).
//!
//! On the data path the VLAN tag travels out of band in [`SkbMeta::vlan`](netdev_core::SkbMeta)
//! (the kernel's hwaccel tag), which is where the core's receive path puts a received tag.

use std::collections::BTreeMap;

use netdev_core::{ETH_HLEN, Skb, VlanTag};

/// `BRIDGE_VLAN_INFO_PVID`.
pub const VLAN_INFO_PVID: u16 = 1 << 1;
/// `BRIDGE_VLAN_INFO_UNTAGGED`.
pub const VLAN_INFO_UNTAGGED: u16 = 1 << 2;

/// `VLAN_N_VID - 1`: the largest VID a VLAN entry may have is 4094.
pub(crate) const VLAN_VID_MAX: u16 = 4094;

/// One VLAN group (`struct net_bridge_vlan_group`): the VIDs in use with their flags
/// (`BRIDGE_VLAN_INFO_UNTAGGED`) and the PVID (0: none).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct VlanGroup {
    /// VID → flags.
    pub vlans: BTreeMap<u16, u16>,
    /// The port VLAN id (`vg->pvid`), 0 for none.
    pub pvid: u16,
}

impl VlanGroup {
    /// The VIDs in use, ascending.
    pub fn used_vids(&self) -> Vec<u16> {
        self.vlans.keys().copied().collect()
    }

    /// `br_vlan_find` + `br_vlan_should_use`.
    pub fn has(&self, vid: u16) -> bool {
        self.vlans.contains_key(&vid)
    }

    /// `__vlan_add` / `__vlan_flags_update`: add or update `vid`; `pvid` moves the PVID here,
    /// and a VLAN that was the PVID stops being it when re-added without `pvid`.
    pub fn add(&mut self, vid: u16, pvid: bool, untagged: bool) {
        self.vlans.insert(vid, if untagged { VLAN_INFO_UNTAGGED } else { 0 });
        if pvid {
            self.pvid = vid;
        } else if self.pvid == vid {
            self.pvid = 0;
        }
    }

    /// `__vlan_del`: false if `vid` was not there. Deleting the PVID leaves none.
    pub fn del(&mut self, vid: u16) -> bool {
        if self.vlans.remove(&vid).is_none() {
            return false;
        }
        if self.pvid == vid {
            self.pvid = 0;
        }
        true
    }
}

/// `__allowed_ingress` / `br_allowed_ingress`: the VID a frame belongs to, or `None` to drop it.
/// With filtering off every frame is VID 0. With filtering on, a tag of another protocol goes
/// back into the payload (the frame counts as untagged), untagged and priority-tagged frames get
/// the PVID (dropped without one; PCP kept), and the VID must be configured on the port.
pub(crate) fn allowed_ingress(enabled: bool, proto: u16, vg: &VlanGroup, skb: &mut Skb) -> Option<u16> {
    if !enabled {
        return Some(0);
    }
    if let Some(t) = skb.meta.vlan
        && t.proto != proto
    {
        // skb_vlan_push back into the frame: the data is after the Ethernet header.
        skb.push_mac();
        skb.meta.vlan = None;
        if skb.vlan_insert(t).is_none() || skb.pull(ETH_HLEN).is_none() {
            return None;
        }
        skb.meta.protocol = t.proto;
    }
    let tag = skb.meta.vlan;
    let mut vid = tag.map_or(0, VlanTag::vid);
    if vid == 0 {
        if vg.pvid == 0 {
            return None;
        }
        vid = vg.pvid;
        let pcp = tag.map_or(0, |t| t.tci & 0xf000);
        skb.meta.vlan = Some(VlanTag { proto, tci: pcp | vid });
    }
    vg.has(vid).then_some(vid)
}

/// `br_allowed_egress` for a frame that was filtered at ingress: its VID is configured here.
pub(crate) fn allowed_egress(vg: &VlanGroup, vid: u16) -> bool {
    vg.has(vid)
}

/// `br_handle_vlan`: strip the tag if this group sends the VID untagged.
pub(crate) fn handle_vlan(vg: &VlanGroup, vid: u16, skb: &mut Skb) {
    if vg.vlans.get(&vid).is_some_and(|f| f & VLAN_INFO_UNTAGGED != 0) {
        skb.meta.vlan = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use netdev_core::{ETH_P_8021AD, ETH_P_8021Q, ETH_P_IP};

    fn rx(frame: &[u8]) -> Skb {
        let mut s = Skb::from_bytes(frame);
        s.reset_mac_header();
        s.pull(ETH_HLEN).unwrap();
        s.meta.protocol = ETH_P_IP;
        s
    }

    #[test]
    fn pvid_and_membership_decide_ingress() {
        let mut vg = VlanGroup::default();
        vg.add(10, true, true);
        vg.add(20, false, false);
        let mut s = rx(&[0u8; 60]);
        assert_eq!(allowed_ingress(false, ETH_P_8021Q, &vg, &mut s), Some(0));
        assert_eq!(allowed_ingress(true, ETH_P_8021Q, &vg, &mut s), Some(10));
        assert_eq!(s.meta.vlan.map(|t| t.tci), Some(10));
        let mut t = rx(&[0u8; 60]);
        t.meta.vlan = Some(VlanTag { proto: ETH_P_8021Q, tci: 30 });
        assert_eq!(allowed_ingress(true, ETH_P_8021Q, &vg, &mut t), None, "VID 30 is not on the port");
        let mut p = rx(&[0u8; 60]);
        p.meta.vlan = Some(VlanTag { proto: ETH_P_8021Q, tci: 0xa000 });
        assert_eq!(allowed_ingress(true, ETH_P_8021Q, &vg, &mut p), Some(10), "priority-tagged gets the PVID");
        assert_eq!(p.meta.vlan.map(|t| t.tci), Some(0xa00a), "and keeps its PCP");
        assert!(vg.del(10));
        assert!(!vg.del(10));
        assert_eq!(vg.pvid, 0);
        let mut u = rx(&[0u8; 60]);
        assert_eq!(allowed_ingress(true, ETH_P_8021Q, &vg, &mut u), None, "no PVID: untagged frames drop");
    }

    #[test]
    fn foreign_tpid_goes_back_into_the_payload() {
        let mut vg = VlanGroup::default();
        vg.add(1, true, true);
        let mut s = rx(&[0u8; 60]);
        s.meta.vlan = Some(VlanTag { proto: ETH_P_8021AD, tci: 5 });
        assert_eq!(allowed_ingress(true, ETH_P_8021Q, &vg, &mut s), Some(1));
        assert_eq!(s.meta.protocol, ETH_P_8021AD);
        assert_eq!(&s.mac_frame()[12..16], &[0x88, 0xa8, 0, 5]);
        handle_vlan(&vg, 1, &mut s);
        assert_eq!(s.meta.vlan, None, "VLAN 1 leaves untagged");
    }
}
