//! The forwarding database (`net/bridge/br_fdb.c`).
//!
//! Entries are keyed by (MAC, VID) and point at a port by number (0 is the bridge device itself,
//! the kernel's `dst == NULL`). Readers (the data path) load an RCU-style snapshot of the table
//! (arc-swap) and touch entries through atomics: refreshing `updated` and moving an entry to
//! another port are single stores, as in `br_fdb_update`'s fast path. Creating or deleting an
//! entry takes the writer lock (`br->hash_lock`) and publishes a new snapshot; that happens when
//! a new address is learned, never per packet of a known flow.
//!
//! Dumps list entries newest first, the order of the kernel's `fdb_list` (`hlist_add_head`).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU16, AtomicU32, AtomicU64, Ordering};

use arc_swap::{ArcSwap, Guard};
use netdev_core::{Errno, Error, MacAddr, Result};
use parking_lot::Mutex;

/// `BR_FDB_LOCAL`: the address is the bridge's or a port's own.
pub(crate) const FDB_LOCAL: u32 = 1 << 0;
/// `BR_FDB_STATIC`: never ages (`static`, `permanent`).
pub(crate) const FDB_STATIC: u32 = 1 << 1;
/// `BR_FDB_STICKY`: never moves to another port.
pub(crate) const FDB_STICKY: u32 = 1 << 2;
/// `BR_FDB_ADDED_BY_USER`.
pub(crate) const FDB_ADDED_BY_USER: u32 = 1 << 3;
/// `BR_FDB_ADDED_BY_EXT_LEARN`.
pub(crate) const FDB_ADDED_BY_EXT_LEARN: u32 = 1 << 4;
/// `BR_FDB_OFFLOADED`.
pub(crate) const FDB_OFFLOADED: u32 = 1 << 5;
/// `BR_FDB_LOCKED`.
pub(crate) const FDB_LOCKED: u32 = 1 << 8;
/// `BR_FDB_DYNAMIC_LEARNED`: counted in `fdb_n_learned`.
pub(crate) const FDB_DYNAMIC_LEARNED: u32 = 1 << 9;

/// The key of an entry: the MAC in the high bits, the VID in the low 16.
#[inline]
pub(crate) fn key(addr: MacAddr, vid: u16) -> u64 {
    (addr.to_u64() << 16) | u64::from(vid)
}

/// One entry (`struct net_bridge_fdb_entry`).
#[derive(Debug)]
pub(crate) struct FdbEntry {
    pub(crate) addr: MacAddr,
    pub(crate) vid: u16,
    /// The destination port number; 0 for the bridge itself.
    pub(crate) dst: AtomicU16,
    pub(crate) flags: AtomicU32,
    /// Virtual time of the last frame seen from the address.
    pub(crate) updated: AtomicU64,
    /// Virtual time the entry was last used to forward.
    pub(crate) used: AtomicU64,
    /// Creation order (dumps are newest first).
    pub(crate) seq: u64,
}

impl FdbEntry {
    /// `BR_FDB_*` flags.
    #[inline]
    pub(crate) fn flags(&self) -> u32 {
        self.flags.load(Ordering::Relaxed)
    }

    /// True if any of `f` is set.
    #[inline]
    pub(crate) fn has(&self, f: u32) -> bool {
        self.flags() & f != 0
    }

    /// The destination port number (0: the bridge).
    #[inline]
    pub(crate) fn dst(&self) -> u16 {
        self.dst.load(Ordering::Relaxed)
    }

    /// Set or clear `f`.
    fn set_flag(&self, f: u32, on: bool) {
        if on {
            self.flags.fetch_or(f, Ordering::Relaxed);
        } else {
            self.flags.fetch_and(!f, Ordering::Relaxed);
        }
    }

    /// `has_expired`: not static, not externally learned, and `updated + hold <= now`.
    pub(crate) fn has_expired(&self, hold: u64, now: u64) -> bool {
        !self.has(FDB_STATIC | FDB_ADDED_BY_EXT_LEARN)
            && self.updated.load(Ordering::Relaxed).saturating_add(hold) <= now
    }
}

/// The table snapshot the data path reads.
pub(crate) type FdbMap = BTreeMap<u64, Arc<FdbEntry>>;

/// Writer-side state (`br->hash_lock` and the counters it guards).
#[derive(Debug, Default)]
struct Writer {
    next_seq: u64,
    n_learned: u32,
    max_learned: u32,
}

/// What the kernel's `fdb_delete_local` needs to know about the other holders of an address.
pub(crate) struct LocalOwners<'a> {
    /// Every port of the bridge: (port number, its device's MAC, whether it has VLAN `vid`).
    pub(crate) ports: &'a [(u16, MacAddr)],
    /// Whether port `no` (0: the bridge) has VLAN `vid` in use (always true for VID 0).
    pub(crate) has_vlan: &'a dyn Fn(u16, u16) -> bool,
    /// The bridge device's MAC.
    pub(crate) br_addr: MacAddr,
}

/// The forwarding database of one bridge.
#[derive(Debug, Default)]
pub(crate) struct Fdb {
    map: ArcSwap<FdbMap>,
    w: Mutex<Writer>,
}

impl Fdb {
    /// The current snapshot (RCU read side; no lock, no allocation).
    #[inline]
    pub(crate) fn load(&self) -> Guard<Arc<FdbMap>> {
        self.map.load()
    }

    /// `fdb_find` under the writer lock or from the control path.
    pub(crate) fn find(&self, addr: MacAddr, vid: u16) -> Option<Arc<FdbEntry>> {
        self.map.load().get(&key(addr, vid)).cloned()
    }

    /// Entries learned dynamically (`fdb_n_learned`).
    pub(crate) fn n_learned(&self) -> u32 {
        self.w.lock().n_learned
    }

    /// `fdb_max_learned` (0: no limit).
    pub(crate) fn set_max_learned(&self, v: u32) {
        self.w.lock().max_learned = v;
    }

    /// `fdb_max_learned`.
    pub(crate) fn max_learned(&self) -> u32 {
        self.w.lock().max_learned
    }

    /// Copy, change and republish the table (the writer lock held).
    fn publish(&self, f: impl FnOnce(&mut FdbMap)) {
        let mut m = FdbMap::clone(&self.map.load());
        f(&mut m);
        self.map.store(Arc::new(m));
    }

    /// `fdb_create` (the writer lock held): `None` when `fdb_max_learned` is reached.
    fn create(&self, w: &mut Writer, port: u16, addr: MacAddr, vid: u16, mut flags: u32, now: u64) -> Option<()> {
        let learned = flags & (FDB_ADDED_BY_USER | FDB_LOCAL) == 0;
        if learned {
            if w.max_learned != 0 && w.n_learned >= w.max_learned {
                return None;
            }
            flags |= FDB_DYNAMIC_LEARNED;
            w.n_learned += 1;
        }
        w.next_seq += 1;
        let e = Arc::new(FdbEntry {
            addr,
            vid,
            dst: AtomicU16::new(port),
            flags: AtomicU32::new(flags),
            updated: AtomicU64::new(now),
            used: AtomicU64::new(now),
            seq: w.next_seq,
        });
        self.publish(|m| {
            m.insert(key(addr, vid), e);
        });
        Some(())
    }

    /// `fdb_delete` (the writer lock held).
    fn delete(&self, w: &mut Writer, e: &FdbEntry) {
        if e.flags.fetch_and(!FDB_DYNAMIC_LEARNED, Ordering::Relaxed) & FDB_DYNAMIC_LEARNED != 0 {
            w.n_learned = w.n_learned.saturating_sub(1);
        }
        let k = key(e.addr, e.vid);
        self.publish(|m| {
            m.remove(&k);
        });
    }

    /// `br_fdb_update`: learn that `addr` (in `vid`) is behind `port`. Nothing is learned while
    /// the hold time is 0 (`ageing_time 0` floods everything). An entry for one of our own
    /// addresses is left alone (the kernel warns "received packet on X with own address as source
    /// address"); a known entry is refreshed and, unless sticky, moved to `port`.
    #[inline]
    pub(crate) fn update(&self, hold: u64, now: u64, port: u16, addr: MacAddr, vid: u16, flags: u32) {
        if hold == 0 {
            return;
        }
        if let Some(e) = self.map.load().get(&key(addr, vid)) {
            if e.has(FDB_LOCAL) {
                return;
            }
            if e.updated.load(Ordering::Relaxed) != now {
                e.updated.store(now, Ordering::Relaxed);
            }
            if e.dst() != port && !e.has(FDB_STICKY) {
                e.dst.store(port, Ordering::Relaxed);
                e.set_flag(FDB_ADDED_BY_EXT_LEARN | FDB_LOCKED, false);
            }
            if flags & FDB_ADDED_BY_USER != 0 {
                e.set_flag(FDB_ADDED_BY_USER, true);
                if e.flags.fetch_and(!FDB_DYNAMIC_LEARNED, Ordering::Relaxed) & FDB_DYNAMIC_LEARNED != 0 {
                    let mut w = self.w.lock();
                    w.n_learned = w.n_learned.saturating_sub(1);
                }
            }
            return;
        }
        self.learn_slow(port, addr, vid, flags, now);
    }

    /// `br_fdb_update`'s slow path: `fdb_create` under `hash_lock`.
    #[cold]
    fn learn_slow(&self, port: u16, addr: MacAddr, vid: u16, flags: u32, now: u64) {
        let mut w = self.w.lock();
        // We may have lost a race with another CPU learning the same address: keep its entry.
        if self.map.load().contains_key(&key(addr, vid)) {
            return;
        }
        let _ = self.create(&mut w, port, addr, vid, flags, now);
    }

    /// `fdb_add_local`: a permanent entry for an address of the bridge (`port` 0) or of a port.
    /// EINVAL for an invalid address. An existing local entry is kept (the first port with an
    /// address wins); a learned entry for it is replaced ("adding interface X with same address
    /// as a received packet").
    pub(crate) fn add_local(&self, port: u16, addr: MacAddr, vid: u16, now: u64) -> Result<()> {
        if !addr.is_valid() {
            return Err(Error::new(Errno::Einval));
        }
        let mut w = self.w.lock();
        if let Some(e) = self.find(addr, vid) {
            if e.has(FDB_LOCAL) {
                return Ok(());
            }
            self.delete(&mut w, &e);
        }
        self.create(&mut w, port, addr, vid, FDB_LOCAL | FDB_STATIC, now).ok_or(Error::new(Errno::Enomem))
    }

    /// `fdb_delete_local`: a local entry whose port (`leaving`, 0 for the bridge) gives the
    /// address up moves to another port with the same MAC (and the VLAN), else to the bridge if
    /// it has the MAC, else goes.
    fn delete_local(&self, w: &mut Writer, leaving: Option<u16>, e: &FdbEntry, o: &LocalOwners<'_>) {
        for &(no, mac) in o.ports {
            if Some(no) != leaving && mac == e.addr && (e.vid == 0 || (o.has_vlan)(no, e.vid)) {
                e.dst.store(no, Ordering::Relaxed);
                e.set_flag(FDB_ADDED_BY_USER, false);
                return;
            }
        }
        if leaving.is_some() && o.br_addr == e.addr && (e.vid == 0 || (o.has_vlan)(0, e.vid)) {
            e.dst.store(0, Ordering::Relaxed);
            e.set_flag(FDB_ADDED_BY_USER, false);
            return;
        }
        self.delete(w, e);
    }

    /// `br_fdb_find_delete_local`: drop the local entry of `port` for `addr` in `vid`, unless
    /// the user added it.
    pub(crate) fn find_delete_local(&self, port: u16, addr: MacAddr, vid: u16, o: &LocalOwners<'_>) {
        let mut w = self.w.lock();
        if let Some(e) = self.find(addr, vid)
            && e.has(FDB_LOCAL)
            && !e.has(FDB_ADDED_BY_USER)
            && e.dst() == port
        {
            self.delete_local(&mut w, Some(port), &e, o);
        }
    }

    /// The entries in dump order (newest first).
    pub(crate) fn entries(&self) -> Vec<Arc<FdbEntry>> {
        let mut v: Vec<_> = self.map.load().values().cloned().collect();
        v.sort_by_key(|e| std::cmp::Reverse(e.seq));
        v
    }

    /// `br_fdb_delete_by_port`: remove the entries of `port` (0: the bridge). Without `do_all`,
    /// static and externally learned entries stay, and only VLAN `vid` goes if it is non-zero.
    /// Local entries are handed over as [`delete_local`](Self::delete_local) does.
    pub(crate) fn delete_by_port(&self, port: u16, vid: u16, do_all: bool, o: &LocalOwners<'_>) {
        let mut w = self.w.lock();
        for e in self.entries() {
            if e.dst() != port {
                continue;
            }
            if !do_all
                && (e.has(FDB_STATIC)
                    || (e.has(FDB_ADDED_BY_EXT_LEARN) && !e.has(FDB_OFFLOADED))
                    || (vid != 0 && e.vid != vid))
            {
                continue;
            }
            if e.has(FDB_LOCAL) {
                self.delete_local(&mut w, Some(port), &e, o);
            } else {
                self.delete(&mut w, &e);
            }
        }
    }

    /// `br_fdb_changeaddr`: a port's MAC changed: its local entries go (or move to another
    /// holder) and new ones are added for `new` in VID 0 and each of `vids`.
    pub(crate) fn changeaddr(&self, port: u16, new: MacAddr, vids: &[u16], o: &LocalOwners<'_>, now: u64) {
        {
            let mut w = self.w.lock();
            for e in self.entries() {
                if e.dst() == port && e.has(FDB_LOCAL) && !e.has(FDB_ADDED_BY_USER) {
                    self.delete_local(&mut w, Some(port), &e, o);
                    if vids.is_empty() {
                        break;
                    }
                }
            }
        }
        let _ = self.add_local(port, new, 0, now);
        for &v in vids {
            let _ = self.add_local(port, new, v, now);
        }
    }

    /// `br_fdb_change_mac_address`: the bridge's MAC changes from `old` to `new`; its own
    /// entries (VID 0 and each of `vids`) follow.
    pub(crate) fn change_mac_address(&self, old: MacAddr, new: MacAddr, vids: &[u16], o: &LocalOwners<'_>, now: u64) {
        for vid in std::iter::once(0).chain(vids.iter().copied()) {
            {
                let mut w = self.w.lock();
                if let Some(e) = self.find(old, vid)
                    && e.has(FDB_LOCAL)
                    && e.dst() == 0
                    && !e.has(FDB_ADDED_BY_USER)
                {
                    self.delete_local(&mut w, None, &e, o);
                }
            }
            let _ = self.add_local(0, new, vid, now);
        }
    }

    /// `br_fdb_cleanup`: delete the entries whose hold time has passed; returns the delay to the
    /// next expiry (at most `hold`, at least 10 ms).
    pub(crate) fn cleanup(&self, hold: u64, now: u64) -> u64 {
        let mut delay = hold;
        let mut w = self.w.lock();
        for e in self.entries() {
            if e.has(FDB_STATIC | FDB_ADDED_BY_EXT_LEARN) {
                continue;
            }
            let t = e.updated.load(Ordering::Relaxed).saturating_add(hold);
            if t > now {
                delay = delay.min(t - now);
            } else {
                self.delete(&mut w, &e);
            }
        }
        delay.max(10_000_000)
    }

    /// `br_fdb_flush` for the common descriptions: every entry not matching `keep` goes
    /// (`IFLA_BR_FDB_FLUSH` keeps static entries; a port flush also only touches its port).
    pub(crate) fn flush(&self, port: Option<u16>, o: &LocalOwners<'_>) {
        let mut w = self.w.lock();
        for e in self.entries() {
            if e.has(FDB_STATIC) || port.is_some_and(|p| p != e.dst()) {
                continue;
            }
            if e.has(FDB_LOCAL) {
                self.delete_local(&mut w, port, &e, o);
            } else {
                self.delete(&mut w, &e);
            }
        }
    }

    /// `fdb_add_entry`: create or replace an entry from `bridge fdb add|replace` (the writer
    /// lock taken here). `state` is the request's NUD state; `create`/`excl` are
    /// `NLM_F_CREATE`/`NLM_F_EXCL`; `port_learns` is whether the port is in the learning or
    /// forwarding state (`port` 0 is the bridge).
    #[allow(clippy::too_many_arguments)] // the fields of one RTM_NEWNEIGH request
    pub(crate) fn add_entry(
        &self,
        port: u16,
        port_learns: bool,
        addr: MacAddr,
        vid: u16,
        state: FdbState,
        sticky: bool,
        create: bool,
        excl: bool,
        now: u64,
    ) -> Result<()> {
        if port != 0 && matches!(state, FdbState::Reachable) && !port_learns {
            return Err(Error::new(Errno::Eperm));
        }
        if port == 0 && !matches!(state, FdbState::Permanent) {
            return Err(Error::new(Errno::Einval));
        }
        if sticky && matches!(state, FdbState::Permanent) {
            return Err(Error::new(Errno::Einval));
        }
        let mut w = self.w.lock();
        let e = match self.find(addr, vid) {
            None => {
                if !create {
                    return Err(Error::new(Errno::Enoent));
                }
                self.create(&mut w, port, addr, vid, FDB_ADDED_BY_USER, now).ok_or(Error::new(Errno::Enomem))?;
                self.find(addr, vid).ok_or(Error::new(Errno::Enomem))?
            }
            Some(e) => {
                if excl {
                    return Err(Error::new(Errno::Eexist));
                }
                e.dst.store(port, Ordering::Relaxed);
                e.set_flag(FDB_ADDED_BY_USER, true);
                if e.flags.fetch_and(!FDB_DYNAMIC_LEARNED, Ordering::Relaxed) & FDB_DYNAMIC_LEARNED != 0 {
                    w.n_learned = w.n_learned.saturating_sub(1);
                }
                e
            }
        };
        match state {
            FdbState::Permanent => e.set_flag(FDB_LOCAL | FDB_STATIC, true),
            FdbState::Static => {
                e.set_flag(FDB_LOCAL, false);
                e.set_flag(FDB_STATIC, true);
            }
            FdbState::Reachable => e.set_flag(FDB_LOCAL | FDB_STATIC, false),
        }
        e.set_flag(FDB_STICKY, sticky);
        e.set_flag(FDB_LOCKED, false);
        e.used.store(now, Ordering::Relaxed);
        e.updated.store(now, Ordering::Relaxed);
        Ok(())
    }

    /// `fdb_delete_by_addr_and_port`: ENOENT if there is no such entry on `port`.
    pub(crate) fn delete_user(&self, port: u16, addr: MacAddr, vid: u16) -> Result<()> {
        let mut w = self.w.lock();
        match self.find(addr, vid) {
            Some(e) if e.dst() == port => {
                self.delete(&mut w, &e);
                Ok(())
            }
            _ => Err(Error::new(Errno::Enoent)),
        }
    }

    /// Drop everything (the bridge is going away).
    pub(crate) fn clear(&self) {
        let mut w = self.w.lock();
        w.n_learned = 0;
        self.map.store(Arc::new(FdbMap::new()));
    }
}

/// The NUD state of a `bridge fdb add` request: `permanent` (`NUD_PERMANENT`, a local entry),
/// `static` (`NUD_NOARP`) or `dynamic` (`NUD_REACHABLE`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FdbState {
    /// `permanent`: `BR_FDB_LOCAL | BR_FDB_STATIC`.
    Permanent,
    /// `static`: `BR_FDB_STATIC`.
    Static,
    /// `dynamic`: ages like a learned entry.
    Reachable,
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: MacAddr = MacAddr([2, 0, 0, 0, 0, 0xa]);
    const B: MacAddr = MacAddr([2, 0, 0, 0, 0, 0xb]);
    const S: u64 = 1_000_000_000;

    fn no_owners() -> (Vec<(u16, MacAddr)>, MacAddr) {
        (Vec::new(), MacAddr::ZERO)
    }

    #[test]
    fn update_learns_refreshes_and_moves() {
        let f = Fdb::default();
        f.update(300 * S, S, 1, A, 0, 0);
        let e = f.find(A, 0).unwrap();
        assert_eq!((e.dst(), e.updated.load(Ordering::Relaxed)), (1, S));
        assert!(e.has(FDB_DYNAMIC_LEARNED));
        assert_eq!(f.n_learned(), 1);
        f.update(300 * S, 2 * S, 2, A, 0, 0);
        assert_eq!((e.dst(), e.updated.load(Ordering::Relaxed)), (2, 2 * S), "moved and refreshed in place");
        // Hold time 0: nothing is learned at all (br_fdb_update's "some users want to always flood").
        f.update(0, 3 * S, 1, B, 0, 0);
        assert!(f.find(B, 0).is_none());
    }

    #[test]
    fn local_entries_are_not_moved_by_learning_and_first_port_wins() {
        let f = Fdb::default();
        f.add_local(1, A, 0, 0).unwrap();
        f.add_local(2, A, 0, 0).unwrap();
        assert_eq!(f.find(A, 0).unwrap().dst(), 1);
        f.update(300 * S, S, 3, A, 0, 0);
        assert_eq!(f.find(A, 0).unwrap().dst(), 1, "own address as source is ignored");
        assert_eq!(f.add_local(1, MacAddr::ZERO, 0, 0), Err(Error::new(Errno::Einval)));
    }

    #[test]
    fn delete_by_port_hands_local_entries_over() {
        let f = Fdb::default();
        f.add_local(1, A, 0, 0).unwrap();
        f.update(300 * S, S, 1, B, 0, 0);
        let ports = [(1, A), (2, A)];
        let o = LocalOwners { ports: &ports, has_vlan: &|_, _| true, br_addr: MacAddr::ZERO };
        f.delete_by_port(1, 0, true, &o);
        assert_eq!(f.find(A, 0).unwrap().dst(), 2, "port 2 has the same MAC");
        assert!(f.find(B, 0).is_none());
        let (p, br) = no_owners();
        let o = LocalOwners { ports: &p, has_vlan: &|_, _| true, br_addr: br };
        f.delete_by_port(2, 0, true, &o);
        assert!(f.find(A, 0).is_none());
    }

    #[test]
    fn cleanup_ages_dynamic_entries_only() {
        let f = Fdb::default();
        f.add_local(1, A, 0, 0).unwrap();
        f.update(300 * S, 10 * S, 1, B, 0, 0);
        assert_eq!(f.cleanup(300 * S, 100 * S), 210 * S);
        assert!(f.find(B, 0).is_some());
        f.cleanup(300 * S, 310 * S);
        assert!(f.find(B, 0).is_none(), "updated + hold <= now");
        assert!(f.find(A, 0).is_some(), "local entries never age");
        assert_eq!(f.n_learned(), 0);
    }

    #[test]
    fn user_add_checks_in_kernel_order() {
        let f = Fdb::default();
        assert_eq!(f.add_entry(1, false, A, 0, FdbState::Reachable, false, true, true, 0), Err(Errno::Eperm.into()));
        assert_eq!(f.add_entry(0, true, A, 0, FdbState::Static, false, true, true, 0), Err(Errno::Einval.into()));
        assert_eq!(f.add_entry(1, true, A, 0, FdbState::Permanent, true, true, true, 0), Err(Errno::Einval.into()));
        f.add_entry(1, true, A, 0, FdbState::Static, false, true, true, 0).unwrap();
        assert_eq!(f.add_entry(1, true, A, 0, FdbState::Static, false, true, true, 0), Err(Errno::Eexist.into()));
        assert_eq!(f.add_entry(2, true, B, 0, FdbState::Static, false, false, false, 0), Err(Errno::Enoent.into()));
        let e = f.find(A, 0).unwrap();
        assert!(e.has(FDB_STATIC) && !e.has(FDB_LOCAL) && e.has(FDB_ADDED_BY_USER));
        assert_eq!(f.n_learned(), 0);
        assert_eq!(f.delete_user(2, A, 0), Err(Errno::Enoent.into()), "the entry is on port 1");
        f.delete_user(1, A, 0).unwrap();
        assert!(f.find(A, 0).is_none());
    }

    #[test]
    fn max_learned_limits_dynamic_entries() {
        let f = Fdb::default();
        f.set_max_learned(1);
        f.update(S, 0, 1, A, 0, 0);
        f.update(S, 0, 1, B, 0, 0);
        assert!(f.find(A, 0).is_some());
        assert!(f.find(B, 0).is_none());
        f.add_local(1, B, 0, 0).unwrap();
        assert!(f.find(B, 0).is_some(), "local entries do not count");
    }

    #[test]
    fn entries_dump_newest_first() {
        let f = Fdb::default();
        f.update(S, 0, 1, A, 0, 0);
        f.update(S, 0, 1, B, 0, 0);
        let v: Vec<MacAddr> = f.entries().iter().map(|e| e.addr).collect();
        assert_eq!(v, [B, A]);
    }
}
