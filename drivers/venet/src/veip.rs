//! The VE address table (`venetdev.c`'s `ip_entry_hash_table`, `veip_mgmt.c`'s `veip_lookup`):
//! which container (VE) owns which IP address, as the configuration keeps it ([`Ctl`], under a
//! mutex taken only by configuration calls) and as the data path reads it ([`Table`], an
//! immutable snapshot republished after every change, RCU style).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::Arc;

use netdev_core::{DevPtr, DropReason, ETH_P_IP, ETH_P_IPV6, Errno, Error, NetnsId, Result};

/// A container id (`envid_t`, the CTID). VE0, the host, is [`VE0`].
pub type VeId = u32;

/// The host's VE id (`ve0`, `ve_is_super`).
pub const VE0: VeId = 0;

/// `VEIP_HASH_SZ`: buckets of the global address hash.
pub const VEIP_HASH_SZ: usize = 512;

/// `struct ve_addr_struct`: a family and a 128-bit key (an IPv4 address is the last word).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct IpKey {
    v6: bool,
    bits: u128,
}

impl IpKey {
    pub(crate) fn new(a: IpAddr) -> IpKey {
        match a {
            IpAddr::V4(a) => IpKey { v6: false, bits: u128::from(u32::from(a)) },
            IpAddr::V6(a) => IpKey { v6: true, bits: u128::from(a) },
        }
    }

    pub(crate) fn ip(self) -> IpAddr {
        if self.v6 { IpAddr::V6(Ipv6Addr::from(self.bits)) } else { IpAddr::V4(Ipv4Addr::from(self.bits as u32)) }
    }

    /// `ip_entry_hash_function(key[3])`: `ntohl` of the last 32 bits, masked.
    #[inline]
    fn bucket(self) -> usize {
        (self.bits as u32 as usize) & (VEIP_HASH_SZ - 1)
    }

    #[inline]
    fn v4(b: &[u8]) -> IpKey {
        let mut w = [0u8; 4];
        w.copy_from_slice(b);
        IpKey { v6: false, bits: u128::from(u32::from_be_bytes(w)) }
    }

    #[inline]
    fn v6(b: &[u8]) -> IpKey {
        let mut w = [0u8; 16];
        w.copy_from_slice(b);
        IpKey { v6: true, bits: u128::from_be_bytes(w) }
    }
}

/// The part of a VE the data path follows: its id and its venet device (`ve->venet_dev`,
/// published with `rcu_assign_pointer`, empty while the VE has none).
#[derive(Debug)]
pub(crate) struct VeShared {
    pub(crate) veid: VeId,
    pub(crate) dev: DevPtr,
}

impl VeShared {
    pub(crate) fn new(veid: VeId) -> Arc<VeShared> {
        Arc::new(VeShared { veid, dev: DevPtr::new() })
    }
}

/// One hash chain: the entries of a bucket, newest first, each with its owner.
type Chain = Box<[(IpKey, Arc<VeShared>)]>;

/// The data path's view: the hash of active entries, each with its owner, and every VE's extra
/// allowed source addresses (`ext_lh`). Immutable once published.
#[derive(Debug)]
pub(crate) struct Table {
    buckets: Box<[Chain]>,
    /// (VE, address), sorted, for a binary search.
    ext: Box<[(VeId, IpKey)]>,
    ve0: Arc<VeShared>,
}

impl Table {
    pub(crate) fn empty(ve0: Arc<VeShared>) -> Table {
        Table { buckets: (0..VEIP_HASH_SZ).map(|_| Box::default()).collect(), ext: Box::default(), ve0 }
    }

    /// `venet_entry_lookup` + `active_env`.
    #[inline]
    fn find(&self, key: IpKey) -> Option<&Arc<VeShared>> {
        let chain = self.buckets.get(key.bucket())?;
        chain.iter().find(|(k, _)| *k == key).map(|(_, ve)| ve)
    }

    /// `venet_xmit`'s checks and `veip_lookup`: the VE whose venet receives a packet that
    /// `from`'s venet transmits (`protocol` and the bytes from the network header), or why it is
    /// dropped. From a container the source must be one of its own addresses (or in its ext
    /// list) and the packet goes to VE0 whatever its destination; from VE0 the destination
    /// picks the container.
    #[inline]
    pub(crate) fn route(&self, from: VeId, protocol: u16, d: &[u8]) -> std::result::Result<&Arc<VeShared>, DropReason> {
        let (src, dst) = match protocol {
            ETH_P_IP => {
                if d.len() < 20 {
                    return Err(DropReason::PktTooSmall);
                }
                // ipv4_is_multicast(daddr): 224.0.0.0/4.
                if d[16] & 0xf0 == 0xe0 {
                    return Err(DropReason::IpInvalidDest);
                }
                (IpKey::v4(&d[12..16]), IpKey::v4(&d[16..20]))
            }
            ETH_P_IPV6 => {
                if d.len() < 40 {
                    return Err(DropReason::PktTooSmall);
                }
                // ipv6_addr_is_multicast(daddr): ff00::/8.
                if d[24] == 0xff {
                    return Err(DropReason::IpInvalidDest);
                }
                (IpKey::v6(&d[8..24]), IpKey::v6(&d[24..40]))
            }
            _ => return Err(DropReason::UnhandledProto),
        };
        if from == VE0 {
            return self.find(dst).ok_or(DropReason::VeipNoEntry);
        }
        match self.find(src) {
            Some(owner) if owner.veid != from => Err(DropReason::VeipSourceWrong),
            Some(_) => Ok(&self.ve0),
            None if self.ext.binary_search(&(from, src)).is_ok() => Ok(&self.ve0),
            None => Err(DropReason::VeipNoEntry),
        }
    }
}

/// One VE as the configuration knows it.
#[derive(Debug)]
struct Ve {
    netns: NetnsId,
    shared: Arc<VeShared>,
    /// `ve->veip`: the VE's address list exists (started by `venet_newlink` or the first
    /// address added). Holds the ext list, newest first (`list_add_rcu`).
    veip: Option<Vec<IpKey>>,
}

/// An entry of `/proc/vz/veip`: an address and the VE that owns it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VeipEntry {
    /// The address.
    pub addr: IpAddr,
    /// Its owner.
    pub veid: VeId,
}

/// The configuration side: the VEs, their namespaces and the entries, in the kernel's orders.
#[derive(Debug)]
pub(crate) struct Ctl {
    ve0_netns: NetnsId,
    ves: BTreeMap<VeId, Ve>,
    /// Active entries: address → (owner, insertion sequence, for the hash chains' order).
    entries: BTreeMap<IpKey, (VeId, u64)>,
    seq: u64,
}

fn esrch() -> Error {
    Error::new(Errno::Esrch)
}

impl Ctl {
    pub(crate) fn new(ve0: Arc<VeShared>) -> Ctl {
        let mut ves = BTreeMap::new();
        ves.insert(VE0, Ve { netns: NetnsId::INIT, shared: ve0, veip: None });
        Ctl { ve0_netns: NetnsId::INIT, ves, entries: BTreeMap::new(), seq: 0 }
    }

    pub(crate) fn ve0_netns(&self) -> NetnsId {
        self.ve0_netns
    }

    /// Make `ns` the host's namespace. EBUSY while VE0 has its venet or `ns` is a container's.
    pub(crate) fn set_ve0_netns(&mut self, ns: NetnsId) -> Result<()> {
        if self.ves.iter().any(|(id, v)| *id != VE0 && v.netns == ns) {
            return Err(Error::new(Errno::Ebusy));
        }
        let ve0 = self.ves.get_mut(&VE0).ok_or_else(esrch)?;
        if ve0.shared.dev.id() != 0 {
            return Err(Error::new(Errno::Ebusy));
        }
        ve0.netns = ns;
        self.ve0_netns = ns;
        Ok(())
    }

    /// `VZCTL_ENV_CREATE`: VE `veid` with `ns` as its top namespace. EEXIST if `veid` exists
    /// (VE0 always does), EBUSY if `ns` already belongs to a VE.
    pub(crate) fn ve_create(&mut self, veid: VeId, ns: NetnsId) -> Result<()> {
        if self.ves.contains_key(&veid) {
            return Err(Error::new(Errno::Eexist));
        }
        if self.ves.values().any(|v| v.netns == ns) {
            return Err(Error::new(Errno::Ebusy));
        }
        self.ves.insert(veid, Ve { netns: ns, shared: VeShared::new(veid), veip: None });
        Ok(())
    }

    /// The VE stops (`veip_stop` and its removal). ESRCH if unknown, EINVAL for VE0.
    pub(crate) fn ve_destroy(&mut self, veid: VeId) -> Result<()> {
        if veid == VE0 {
            return Err(Error::new(Errno::Einval));
        }
        if !self.ves.contains_key(&veid) {
            return Err(esrch());
        }
        self.veip_shutdown(veid);
        if let Some(v) = self.ves.remove(&veid) {
            v.shared.dev.store(None);
        }
        Ok(())
    }

    /// A namespace went away: the VE it was the top of stops; VE0 falls back to `init_net`.
    pub(crate) fn netns_gone(&mut self, ns: NetnsId) {
        let gone: Vec<VeId> =
            self.ves.iter().filter(|(id, v)| **id != VE0 && v.netns == ns).map(|(id, _)| *id).collect();
        for veid in gone {
            let _ = self.ve_destroy(veid);
        }
        if self.ve0_netns == ns {
            self.veip_shutdown(VE0);
            self.ve0_netns = NetnsId::INIT;
            if let Some(v) = self.ves.get_mut(&VE0) {
                v.netns = NetnsId::INIT;
                v.shared.dev.store(None);
            }
        }
    }

    pub(crate) fn ve_of_netns(&self, ns: NetnsId) -> Option<VeId> {
        self.ves.iter().find(|(_, v)| v.netns == ns).map(|(id, _)| *id)
    }

    pub(crate) fn ve_netns(&self, veid: VeId) -> Option<NetnsId> {
        self.ves.get(&veid).map(|v| v.netns)
    }

    pub(crate) fn ves(&self) -> Vec<(VeId, NetnsId)> {
        self.ves.iter().map(|(id, v)| (*id, v.netns)).collect()
    }

    pub(crate) fn shared(&self, veid: VeId) -> Option<Arc<VeShared>> {
        self.ves.get(&veid).map(|v| v.shared.clone())
    }

    pub(crate) fn has_veip(&self, veid: VeId) -> bool {
        self.ves.get(&veid).is_some_and(|v| v.veip.is_some())
    }

    /// `veip_start`: the VE's address list exists from now on.
    pub(crate) fn veip_start(&mut self, veid: VeId) -> Result<()> {
        let ve = self.ves.get_mut(&veid).ok_or_else(esrch)?;
        if ve.veip.is_none() {
            ve.veip = Some(Vec::new());
        }
        Ok(())
    }

    /// `veip_shutdown`: the ext list and every entry of the VE go, then the list itself.
    pub(crate) fn veip_shutdown(&mut self, veid: VeId) {
        self.entries.retain(|_, (owner, _)| *owner != veid);
        if let Some(v) = self.ves.get_mut(&veid) {
            v.veip = None;
        }
    }

    /// `veip_entry_add`: the VE's list is started if missing; an address with an active owner,
    /// this VE included, is EADDRINUSE (`veip_entry_conflict`). ESRCH for an unknown VE
    /// (`get_ve_by_id`).
    pub(crate) fn entry_add(&mut self, veid: VeId, key: IpKey) -> Result<()> {
        self.veip_start(veid)?;
        if self.entries.contains_key(&key) {
            return Err(Error::new(Errno::Eaddrinuse));
        }
        self.seq += 1;
        self.entries.insert(key, (veid, self.seq));
        Ok(())
    }

    /// `veip_entry_del`: EADDRNOTAVAIL if absent or owned by another VE.
    pub(crate) fn entry_del(&mut self, veid: VeId, key: IpKey) -> Result<()> {
        if !self.ves.contains_key(&veid) {
            return Err(esrch());
        }
        match self.entries.get(&key) {
            Some((owner, _)) if *owner == veid => {
                self.entries.remove(&key);
                Ok(())
            }
            _ => Err(Error::new(Errno::Eaddrnotavail)),
        }
    }

    /// `venet_ext_add`: ENONET without an address list, EADDRINUSE for a duplicate.
    pub(crate) fn ext_add(&mut self, veid: VeId, key: IpKey) -> Result<()> {
        let ve = self.ves.get_mut(&veid).ok_or_else(esrch)?;
        let ext = ve.veip.as_mut().ok_or(Error::new(Errno::Enonet))?;
        if ext.contains(&key) {
            return Err(Error::new(Errno::Eaddrinuse));
        }
        ext.insert(0, key);
        Ok(())
    }

    /// `venet_ext_del`: ENONET without an address list, EADDRNOTAVAIL if absent.
    pub(crate) fn ext_del(&mut self, veid: VeId, key: IpKey) -> Result<()> {
        let ve = self.ves.get_mut(&veid).ok_or_else(esrch)?;
        let ext = ve.veip.as_mut().ok_or(Error::new(Errno::Enonet))?;
        let i = ext.iter().position(|k| *k == key).ok_or(Error::new(Errno::Eaddrnotavail))?;
        ext.remove(i);
        Ok(())
    }

    /// The VE's addresses, newest first (its `ip_lh` list, as `veaddr_seq_print` walks it).
    pub(crate) fn ve_ips(&self, veid: VeId) -> Vec<IpAddr> {
        let mut v: Vec<(u64, IpKey)> =
            self.entries.iter().filter(|(_, (o, _))| *o == veid).map(|(k, (_, s))| (*s, *k)).collect();
        v.sort_by_key(|e| std::cmp::Reverse(e.0));
        v.into_iter().map(|(_, k)| k.ip()).collect()
    }

    /// The VE's extra source addresses, newest first.
    pub(crate) fn ve_ext_ips(&self, veid: VeId) -> Vec<IpAddr> {
        self.ves
            .get(&veid)
            .and_then(|v| v.veip.as_ref())
            .map(|e| e.iter().map(|k| k.ip()).collect())
            .unwrap_or_default()
    }

    /// Every entry in the hash's order: bucket by bucket, newest first in a bucket
    /// (`hlist_add_head_rcu`), as `/proc/vz/veip` walks them.
    pub(crate) fn veip(&self) -> Vec<VeipEntry> {
        let mut v: Vec<(usize, u64, IpKey, VeId)> =
            self.entries.iter().map(|(k, (o, s))| (k.bucket(), *s, *k, *o)).collect();
        v.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
        v.into_iter().map(|(_, _, k, veid)| VeipEntry { addr: k.ip(), veid }).collect()
    }

    /// `/proc/vz/veip` (`veip_seq_show`): the version line, then every address right-aligned in
    /// 39 columns followed by ` 0`.
    pub(crate) fn proc_veip(&self) -> String {
        let mut s = String::from("Version: 2.5\n");
        for e in self.veip() {
            let _ = writeln!(s, "{:>39} 0", veaddr_print(e.addr));
        }
        s
    }

    /// The data path's snapshot of the current state.
    pub(crate) fn snapshot(&self) -> Table {
        let mut chains: Vec<Vec<(u64, IpKey, Arc<VeShared>)>> = (0..VEIP_HASH_SZ).map(|_| Vec::new()).collect();
        for (k, (owner, seq)) in &self.entries {
            if let (Some(ve), Some(chain)) = (self.ves.get(owner), chains.get_mut(k.bucket())) {
                chain.push((*seq, *k, ve.shared.clone()));
            }
        }
        let buckets = chains
            .into_iter()
            .map(|mut c| {
                c.sort_by_key(|e| std::cmp::Reverse(e.0));
                c.into_iter().map(|(_, k, ve)| (k, ve)).collect()
            })
            .collect();
        let mut ext: Vec<(VeId, IpKey)> = self
            .ves
            .iter()
            .flat_map(|(id, v)| v.veip.iter().flat_map(move |e| e.iter().map(move |k| (*id, *k))))
            .collect();
        ext.sort();
        let ve0 = match self.ves.get(&VE0) {
            Some(v) => v.shared.clone(),
            // VE0 is never removed (ve_destroy refuses it); an empty stand-in keeps the type total.
            None => VeShared::new(VE0),
        };
        Table { buckets, ext: ext.into_boxed_slice(), ve0 }
    }
}

/// `veaddr_print`: dotted quad, or eight unabbreviated hex groups for IPv6.
pub(crate) fn veaddr_print(a: IpAddr) -> String {
    match a {
        IpAddr::V4(a) => a.to_string(),
        IpAddr::V6(a) => {
            let s = a.segments();
            format!("{:x}:{:x}:{:x}:{:x}:{:x}:{:x}:{:x}:{:x}", s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7])
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(s: &str) -> IpKey {
        IpKey::new(s.parse().unwrap())
    }

    /// `ip_entry_hash_function`: `ntohl(key[3]) & 511`, so 10.0.0.101 hashes to 101 and an IPv6
    /// address by its last 32 bits.
    #[test]
    fn hash_is_the_kernels() {
        assert_eq!(key("10.0.0.101").bucket(), 101);
        assert_eq!(key("10.0.2.1").bucket(), 1);
        assert_eq!(key("fd00::1:0:203").bucket(), 0x203 & 511);
        assert_ne!(key("10.0.0.1"), key("::10.0.0.1"), "the family is part of the key");
        assert_eq!(key("fd00::5").ip(), "fd00::5".parse::<IpAddr>().unwrap());
    }

    /// `veip_entry_add`/`veip_entry_del`/`venet_ext_add`/`venet_ext_del` error codes.
    #[test]
    fn entry_and_ext_errors_are_the_kernels() {
        let mut c = Ctl::new(VeShared::new(VE0));
        c.ve_create(101, NetnsId(1)).unwrap();
        c.ve_create(102, NetnsId(2)).unwrap();
        assert_eq!(c.ve_create(101, NetnsId(3)).unwrap_err(), Errno::Eexist);
        assert_eq!(c.ve_create(103, NetnsId(2)).unwrap_err(), Errno::Ebusy);
        assert_eq!(c.ext_add(101, key("10.9.9.9")).unwrap_err(), Errno::Enonet, "no veip yet");
        c.entry_add(101, key("10.0.0.101")).unwrap();
        assert!(c.has_veip(101), "veip_entry_add starts the list");
        assert_eq!(c.entry_add(102, key("10.0.0.101")).unwrap_err(), Errno::Eaddrinuse);
        assert_eq!(c.entry_add(101, key("10.0.0.101")).unwrap_err(), Errno::Eaddrinuse, "even its own");
        assert_eq!(c.entry_del(102, key("10.0.0.101")).unwrap_err(), Errno::Eaddrnotavail);
        assert_eq!(c.entry_del(101, key("10.0.0.7")).unwrap_err(), Errno::Eaddrnotavail);
        assert_eq!(c.entry_add(999, key("10.0.0.9")).unwrap_err(), Errno::Esrch);
        c.ext_add(101, key("10.9.9.9")).unwrap();
        assert_eq!(c.ext_add(101, key("10.9.9.9")).unwrap_err(), Errno::Eaddrinuse);
        assert_eq!(c.ext_del(101, key("10.9.9.8")).unwrap_err(), Errno::Eaddrnotavail);
        c.ext_del(101, key("10.9.9.9")).unwrap();
        c.entry_del(101, key("10.0.0.101")).unwrap();
        assert!(c.ve_ips(101).is_empty());
        assert_eq!(c.ve_destroy(VE0).unwrap_err(), Errno::Einval);
    }

    /// `veip_lookup`: a container's packet is checked on its source and goes to VE0; VE0's goes
    /// to the destination's owner; multicast and other protocols never pass (`venet_xmit`).
    #[test]
    fn route_checks_source_from_a_container_and_destination_from_the_host() {
        let mut c = Ctl::new(VeShared::new(VE0));
        c.ve_create(101, NetnsId(1)).unwrap();
        c.ve_create(102, NetnsId(2)).unwrap();
        c.entry_add(101, key("10.0.0.101")).unwrap();
        c.entry_add(102, key("10.0.0.102")).unwrap();
        let t = c.snapshot();
        let pkt = |src: [u8; 4], dst: [u8; 4]| {
            let mut p = [0u8; 20];
            p[0] = 0x45;
            p[12..16].copy_from_slice(&src);
            p[16..20].copy_from_slice(&dst);
            p
        };
        let r = |from, p: &[u8]| t.route(from, ETH_P_IP, p).map(|v| v.veid);
        assert_eq!(r(101, &pkt([10, 0, 0, 101], [8, 8, 8, 8])), Ok(VE0), "the destination is not checked");
        assert_eq!(r(101, &pkt([10, 0, 0, 102], [10, 0, 0, 1])), Err(DropReason::VeipSourceWrong));
        assert_eq!(r(101, &pkt([10, 0, 0, 7], [10, 0, 0, 1])), Err(DropReason::VeipNoEntry));
        assert_eq!(r(VE0, &pkt([10, 0, 0, 1], [10, 0, 0, 102])), Ok(102));
        assert_eq!(r(VE0, &pkt([10, 0, 0, 1], [10, 0, 0, 7])), Err(DropReason::VeipNoEntry));
        assert_eq!(r(VE0, &pkt([10, 0, 0, 1], [255, 255, 255, 255])), Err(DropReason::VeipNoEntry));
        assert_eq!(r(101, &pkt([10, 0, 0, 101], [224, 0, 0, 1])), Err(DropReason::IpInvalidDest));
        assert_eq!(r(101, &pkt([10, 0, 0, 101], [255, 255, 255, 255])), Ok(VE0), "broadcast is not multicast");
        assert_eq!(r(101, &[0x45; 19]), Err(DropReason::PktTooSmall));
        assert_eq!(t.route(101, 0x0806, &[0; 28]).map(|v| v.veid), Err(DropReason::UnhandledProto));
        c.ext_add(101, key("10.7.7.7")).unwrap();
        let t = c.snapshot();
        assert_eq!(t.route(101, ETH_P_IP, &pkt([10, 7, 7, 7], [1, 1, 1, 1])).map(|v| v.veid), Ok(VE0), "ext source");
        assert_eq!(
            t.route(102, ETH_P_IP, &pkt([10, 7, 7, 7], [1, 1, 1, 1])).map(|v| v.veid),
            Err(DropReason::VeipNoEntry),
            "another VE's ext address"
        );
    }

    /// `veip_seq_show`: bucket order, newest first within a bucket, ` 0` after each address.
    #[test]
    fn proc_veip_lists_in_hash_order() {
        let mut c = Ctl::new(VeShared::new(VE0));
        c.ve_create(101, NetnsId(1)).unwrap();
        c.entry_add(101, key("10.0.1.5")).unwrap();
        c.entry_add(101, key("10.0.0.3")).unwrap();
        c.entry_add(101, key("10.0.2.5")).unwrap();
        c.entry_add(101, key("fd00::2")).unwrap();
        let order: Vec<String> = c.veip().iter().map(|e| e.addr.to_string()).collect();
        assert_eq!(order, ["fd00::2", "10.0.0.3", "10.0.2.5", "10.0.1.5"]);
        let text = c.proc_veip();
        assert!(text.starts_with("Version: 2.5\n"));
        assert!(text.contains(&format!("{:>39} 0\n", "fd00:0:0:0:0:0:0:2")), "{text}");
        assert_eq!(c.ve_ips(101)[0], "fd00::2".parse::<IpAddr>().unwrap(), "newest first");
    }
}
