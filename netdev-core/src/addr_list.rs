//! Device address lists (`net/core/dev_addr_lists.c`) and the receive mode
//! (`__dev_set_rx_mode`).
//!
//! Every device keeps a list of secondary unicast addresses (`dev->uc`, what a macvlan adds to
//! its lower device so the lower accepts the macvlan's MAC) and a list of link-layer multicast
//! addresses (`dev->mc`, the groups the stacks joined). Each entry is reference counted;
//! `synced` counts the upper devices that copied the address in with [`dev_uc_sync`] /
//! [`dev_mc_sync`], and `sync_cnt` the lower lists it was copied to.
//!
//! Whenever a list changes on a device that is up, the core recomputes its receive mode
//! ([`dev_set_rx_mode`]): a device without `IFF_UNICAST_FLT` that has secondary unicast
//! addresses takes one promiscuity reference (`uc_promisc`), then the driver's
//! [`NetDeviceOps::set_rx_mode`](crate::NetDeviceOps::set_rx_mode) runs. Like the kernel's,
//! these calls need no RTNL (a stack joins groups from its receive path); they take the
//! device's own address-list lock only, and never hold it across a driver hook.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use crate::device::STATE_PRESENT;
use crate::{Errno, Error, IfFlags, MacAddr, NetDevice, PrivFlags, Result};

/// One entry of a device address list (`struct netdev_hw_addr`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HwAddr {
    /// The address.
    pub addr: MacAddr,
    /// References held on it (`refcount`): adds, plus one per lower list it is synced to.
    pub refcount: u32,
    /// Upper devices that synced it into this list (`synced`).
    pub synced: u32,
    /// Lower lists it was synced to from this list (`sync_cnt`).
    pub sync_cnt: u32,
}

/// A device's two address lists and its `uc_promisc` state.
#[derive(Debug, Default)]
pub(crate) struct AddrLists {
    uc: Vec<HwAddr>,
    mc: Vec<HwAddr>,
    uc_promisc: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Which {
    Uc,
    Mc,
}

impl AddrLists {
    fn list(&mut self, w: Which) -> &mut Vec<HwAddr> {
        match w {
            Which::Uc => &mut self.uc,
            Which::Mc => &mut self.mc,
        }
    }

    pub(crate) fn uc(&self) -> &[HwAddr] {
        &self.uc
    }

    pub(crate) fn mc(&self) -> &[HwAddr] {
        &self.mc
    }

    pub(crate) fn uc_promisc(&self) -> bool {
        self.uc_promisc
    }

    /// `dev_uc_flush` + `dev_mc_flush`.
    pub(crate) fn flush(&mut self) {
        self.uc.clear();
        self.mc.clear();
    }
}

/// `__hw_addr_add_ex` (not global, not exclusive): one more reference on `addr`, counted as a
/// sync from an upper device if `sync`. EEXIST when an upper syncs an address it already synced.
fn hw_addr_add(list: &mut Vec<HwAddr>, addr: MacAddr, sync: bool, sync_count: u32) -> Result<()> {
    if let Some(ha) = list.iter_mut().find(|h| h.addr == addr) {
        if sync {
            if ha.synced > 0 && sync_count > 0 {
                return Err(Error::new(Errno::Eexist));
            }
            ha.synced += 1;
        }
        ha.refcount += 1;
        return Ok(());
    }
    list.push(HwAddr { addr, refcount: 1, synced: u32::from(sync), sync_cnt: 0 });
    Ok(())
}

/// `__hw_addr_del_entry` on the entry at `i`: ENOENT for a sync removal of an address no upper
/// synced; drops one reference and the entry with the last one.
fn hw_addr_del_at(list: &mut Vec<HwAddr>, i: usize, sync: bool) -> Result<()> {
    let Some(ha) = list.get_mut(i) else { return Err(Error::new(Errno::Enoent)) };
    if sync {
        if ha.synced == 0 {
            return Err(Error::new(Errno::Enoent));
        }
        ha.synced -= 1;
    }
    ha.refcount = ha.refcount.saturating_sub(1);
    if ha.refcount == 0 {
        list.remove(i);
    }
    Ok(())
}

/// `__hw_addr_del_ex`: ENOENT if `addr` is not listed.
fn hw_addr_del(list: &mut Vec<HwAddr>, addr: MacAddr, sync: bool) -> Result<()> {
    let i = list.iter().position(|h| h.addr == addr).ok_or(Error::new(Errno::Enoent))?;
    hw_addr_del_at(list, i, sync)
}

fn add(dev: &Arc<NetDevice>, w: Which, addr: MacAddr) -> Result<()> {
    hw_addr_add(dev.addrs.lock().list(w), addr, false, 0)?;
    dev_set_rx_mode(dev);
    Ok(())
}

fn del(dev: &Arc<NetDevice>, w: Which, addr: MacAddr) -> Result<()> {
    hw_addr_del(dev.addrs.lock().list(w), addr, false)?;
    dev_set_rx_mode(dev);
    Ok(())
}

/// `dev_uc_add`: one more reference on a secondary unicast address of `dev`, then the receive
/// mode is recomputed.
pub fn dev_uc_add(dev: &Arc<NetDevice>, addr: MacAddr) -> Result<()> {
    add(dev, Which::Uc, addr)
}

/// `dev_uc_del`: one reference less (ENOENT if the address is not listed).
pub fn dev_uc_del(dev: &Arc<NetDevice>, addr: MacAddr) -> Result<()> {
    del(dev, Which::Uc, addr)
}

/// `dev_mc_add`: one more reference on a link-layer multicast address of `dev` (what joining a
/// group does), then the receive mode is recomputed.
pub fn dev_mc_add(dev: &Arc<NetDevice>, addr: MacAddr) -> Result<()> {
    add(dev, Which::Mc, addr)
}

/// `dev_mc_del`: one reference less (ENOENT if the address is not listed).
pub fn dev_mc_del(dev: &Arc<NetDevice>, addr: MacAddr) -> Result<()> {
    del(dev, Which::Mc, addr)
}

/// `__hw_addr_sync`: copy into `to` the addresses of `from` not synced yet, and take out of both
/// the addresses `from` deleted since the last sync (only the sync reference keeps them).
fn sync(to: &Arc<NetDevice>, from: &Arc<NetDevice>, w: Which) -> Result<()> {
    if to.id() == from.id() {
        return Err(Error::new(Errno::Einval));
    }
    let res = {
        // Lock order: the upper (`from`) before the lower (`to`); lists are only ever synced
        // downwards, so no path takes them the other way round.
        let mut f = from.addrs.lock();
        let mut t = to.addrs.lock();
        let (fl, tl) = (f.list(w), t.list(w));
        let mut res = Ok(());
        let mut i = 0;
        while i < fl.len() {
            let ha = fl[i];
            if ha.sync_cnt == ha.refcount {
                if hw_addr_del(tl, ha.addr, true).is_ok() {
                    fl[i].sync_cnt -= 1;
                    let before = fl.len();
                    // The entry exists at `i`, so this cannot fail.
                    let _ = hw_addr_del_at(fl, i, false);
                    if fl.len() < before {
                        continue;
                    }
                }
            } else if ha.sync_cnt == 0 {
                match hw_addr_add(tl, ha.addr, true, ha.sync_cnt) {
                    Ok(()) => {
                        fl[i].sync_cnt += 1;
                        fl[i].refcount += 1;
                    }
                    Err(e) if e.errno() == Errno::Eexist => {}
                    Err(e) => {
                        res = Err(e);
                        break;
                    }
                }
            }
            i += 1;
        }
        res
    };
    if res.is_ok() {
        dev_set_rx_mode(to);
    }
    res
}

/// `__hw_addr_unsync`: take every address `from` synced out of `to` (and the sync references
/// out of `from`).
fn unsync(to: &Arc<NetDevice>, from: &Arc<NetDevice>, w: Which) {
    if to.id() == from.id() {
        return;
    }
    {
        let mut f = from.addrs.lock();
        let mut t = to.addrs.lock();
        let (fl, tl) = (f.list(w), t.list(w));
        let mut i = 0;
        while i < fl.len() {
            if fl[i].sync_cnt > 0 && hw_addr_del(tl, fl[i].addr, true).is_ok() {
                fl[i].sync_cnt -= 1;
                let before = fl.len();
                let _ = hw_addr_del_at(fl, i, false);
                if fl.len() < before {
                    continue;
                }
            }
            i += 1;
        }
    }
    dev_set_rx_mode(to);
}

/// `dev_uc_sync`: an upper device (`from`) copies its unicast list into its lower device's
/// (`to`), from its `ndo_set_rx_mode`. EINVAL for a device synced into itself.
pub fn dev_uc_sync(to: &Arc<NetDevice>, from: &Arc<NetDevice>) -> Result<()> {
    sync(to, from, Which::Uc)
}

/// `dev_uc_unsync`: take everything `from` synced back out of `to` (from `ndo_stop`).
pub fn dev_uc_unsync(to: &Arc<NetDevice>, from: &Arc<NetDevice>) {
    unsync(to, from, Which::Uc)
}

/// `dev_mc_sync`: as [`dev_uc_sync`] for the multicast list.
pub fn dev_mc_sync(to: &Arc<NetDevice>, from: &Arc<NetDevice>) -> Result<()> {
    sync(to, from, Which::Mc)
}

/// `dev_mc_unsync`: as [`dev_uc_unsync`] for the multicast list.
pub fn dev_mc_unsync(to: &Arc<NetDevice>, from: &Arc<NetDevice>) {
    unsync(to, from, Which::Mc)
}

/// `__dev_set_rx_mode`: nothing while the device is down (`dev_open` calls it again). A device
/// without `IFF_UNICAST_FLT` takes one promiscuity reference while its unicast list is not empty
/// (`uc_promisc`) and drops it when the list empties. Then the driver's `ndo_set_rx_mode`.
pub fn dev_set_rx_mode(dev: &Arc<NetDevice>) {
    if !dev.is_up() || dev.state.load(Ordering::Relaxed) & STATE_PRESENT == 0 {
        return;
    }
    if !dev.priv_flags().contains(PrivFlags::UNICAST_FLT) {
        let inc = {
            let mut l = dev.addrs.lock();
            if !l.uc.is_empty() && !l.uc_promisc {
                l.uc_promisc = true;
                1
            } else if l.uc.is_empty() && l.uc_promisc {
                l.uc_promisc = false;
                -1
            } else {
                0
            }
        };
        if inc != 0 {
            // Overflow leaves the counter alone, as the kernel's does (it only warns here).
            let _ = flag_counter_adjust(dev, IfFlags::PROMISC, inc);
        }
    }
    dev.ops().set_rx_mode(dev);
}

/// `dev_set_promiscuity` for code that runs without the RTNL guard (a driver's
/// `ndo_change_rx_flags` passing a change down to its lower device):
/// [`Rtnl::dev_set_promiscuity`](crate::Rtnl::dev_set_promiscuity) without the guard.
pub fn dev_set_promiscuity(dev: &Arc<NetDevice>, inc: i32) -> Result<()> {
    if flag_counter_adjust(dev, IfFlags::PROMISC, inc)? {
        dev_set_rx_mode(dev);
    }
    Ok(())
}

/// `dev_set_allmulti` without the RTNL guard, as [`dev_set_promiscuity`].
pub fn dev_set_allmulti(dev: &Arc<NetDevice>, inc: i32) -> Result<()> {
    if flag_counter_adjust(dev, IfFlags::ALLMULTI, inc)? {
        dev_set_rx_mode(dev);
    }
    Ok(())
}

/// `__dev_set_promiscuity` / `__dev_set_allmulti` without the notification: move the counter of
/// `flag` (PROMISC or ALLMULTI) by `inc`, keep the kernel flag set while it is above zero, and if
/// the flag flipped on an up device, call the driver's `ndo_change_rx_flags`. Returns whether it
/// flipped. EOVERFLOW (and nothing changed) on overflow; a count cannot go below zero.
pub(crate) fn flag_counter_adjust(dev: &Arc<NetDevice>, flag: IfFlags, inc: i32) -> Result<bool> {
    let counter: &AtomicU32 = if flag == IfFlags::PROMISC { &dev.promiscuity } else { &dev.allmulti };
    let old = counter.load(Ordering::Relaxed);
    let new = if inc >= 0 {
        old.checked_add(inc.unsigned_abs()).ok_or(Error::new(Errno::Eoverflow))?
    } else {
        old.saturating_sub(inc.unsigned_abs())
    };
    counter.store(new, Ordering::Relaxed);
    let was = dev.raw_flags().contains(flag);
    dev.set_flag(flag, new > 0);
    let flipped = was != (new > 0);
    if flipped && dev.is_up() {
        dev.ops().change_rx_flags(dev, flag);
    }
    Ok(flipped)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mac(last: u8) -> MacAddr {
        MacAddr([0x33, 0x33, 0, 0, 0, last])
    }

    #[test]
    fn add_del_count_references() {
        let mut l = Vec::new();
        hw_addr_add(&mut l, mac(1), false, 0).unwrap();
        hw_addr_add(&mut l, mac(1), false, 0).unwrap();
        assert_eq!(l[0].refcount, 2);
        hw_addr_del(&mut l, mac(1), false).unwrap();
        assert_eq!(l.len(), 1);
        hw_addr_del(&mut l, mac(1), false).unwrap();
        assert!(l.is_empty());
        assert_eq!(hw_addr_del(&mut l, mac(1), false).unwrap_err().errno(), Errno::Enoent);
        // A sync removal of an address nobody synced fails and leaves it.
        hw_addr_add(&mut l, mac(2), false, 0).unwrap();
        assert_eq!(hw_addr_del(&mut l, mac(2), true).unwrap_err().errno(), Errno::Enoent);
        assert_eq!(l[0].refcount, 1);
    }
}
