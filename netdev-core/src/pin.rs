//! Device references on the data path without a shared atomic per packet.
//!
//! The kernel's data path holds `skb->dev` and a veth's `priv->peer` as bare pointers under RCU:
//! no reference count is touched per packet. The simulator gets the same effect in safe Rust
//! with a per-CPU pin table: each [`Cpu`](crate::Cpu) keeps one `Arc` of every device it has
//! touched, indexed by the device's world-unique id. A packet carries its device as that id;
//! a driver keeps a device pointer as a [`DevPtr`] (an id plus the RCU-published `Arc`, the
//! source of truth). Dereferencing on a CPU borrows the pinned `Arc` out of the table and gives
//! it back afterwards, so the hot path reads only CPU-local memory. Pins of unregistered devices
//! are dropped when the CPU next polls after a device went away (its quiescent point), unless a
//! packet in its backlog still names them.

use std::collections::VecDeque;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Weak};

use crossbeam_utils::CachePadded;
use parking_lot::Mutex;

use crate::{NetDevice, RegState, Skb};

/// An RCU-published pointer to a device (a veth's peer, a vlan's lower device, a bond's active
/// slave): written under RTNL, followed on any CPU with
/// [`Cpu::dev_forward_ptr`](crate::Cpu::dev_forward_ptr) without a shared atomic
/// read-modify-write once that CPU has seen the device.
///
/// Like the kernel's `rcu_assign_pointer`'d peer, it holds no reference: the device lives as
/// long as its namespace lists it (or a CPU still has packets for it). So two devices pointing
/// at each other (a veth pair) are freed when the World is, registered or not.
#[derive(Default)]
pub struct DevPtr {
    id: AtomicU64,
    dev: Mutex<Weak<NetDevice>>,
}

impl fmt::Debug for DevPtr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DevPtr").field("id", &self.id()).finish()
    }
}

impl DevPtr {
    /// A pointer to nothing.
    pub fn new() -> DevPtr {
        DevPtr::default()
    }

    /// Publish `dev` (`rcu_assign_pointer`).
    pub fn store(&self, dev: Option<Arc<NetDevice>>) {
        self.swap(dev);
    }

    /// Publish `dev` and return what was there (if it still exists).
    pub fn swap(&self, dev: Option<Arc<NetDevice>>) -> Option<Arc<NetDevice>> {
        let id = dev.as_ref().map_or(0, |d| d.id());
        let mut slot = self.dev.lock();
        let old = std::mem::replace(&mut *slot, dev.as_ref().map_or_else(Weak::new, Arc::downgrade));
        self.id.store(id, Ordering::Release);
        old.upgrade()
    }

    /// The device, as an owned reference (control path, or a CPU's first look at it).
    pub fn load_full(&self) -> Option<Arc<NetDevice>> {
        self.dev.lock().upgrade()
    }

    /// Run `f` on the device (control path, or a CPU-less reader).
    pub fn with<R>(&self, f: impl FnOnce(Option<&Arc<NetDevice>>) -> R) -> R {
        f(self.load_full().as_ref())
    }

    /// The id of the device pointed to, 0 for none.
    #[inline]
    pub fn id(&self) -> u64 {
        self.id.load(Ordering::Acquire)
    }
}

const CHUNK: usize = 16;

/// One CPU's pinned devices, indexed by device id. The table is written on every packet, so it
/// is made of cache-line-aligned chunks (16 slots, 128 bytes): no other allocation, in
/// particular another CPU's table, can share a line with it.
#[derive(Default)]
pub(crate) struct Pins {
    chunks: Vec<CachePadded<[Option<Arc<NetDevice>>; CHUNK]>>,
}

impl fmt::Debug for Pins {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.chunks.iter().flat_map(|c| c.iter()).flatten().count();
        f.debug_struct("Pins").field("pinned", &n).finish()
    }
}

impl Pins {
    #[inline]
    fn slot(&self, id: u64) -> Option<&Option<Arc<NetDevice>>> {
        let i = id as usize;
        self.chunks.get(i / CHUNK).map(|c| &c[i % CHUNK])
    }

    #[inline]
    fn slot_mut(&mut self, id: u64) -> Option<&mut Option<Arc<NetDevice>>> {
        let i = id as usize;
        self.chunks.get_mut(i / CHUNK).map(|c| &mut c[i % CHUNK])
    }

    #[inline]
    pub(crate) fn get(&self, id: u64) -> Option<&Arc<NetDevice>> {
        self.slot(id).and_then(Option::as_ref)
    }

    /// Borrow a pinned device out of the table (no reference count touched).
    #[inline]
    pub(crate) fn take(&mut self, id: u64) -> Option<Arc<NetDevice>> {
        self.slot_mut(id).and_then(Option::take)
    }

    /// Give a device back (or pin it). If the slot was refilled meanwhile, one reference is kept.
    #[inline]
    pub(crate) fn put(&mut self, dev: Arc<NetDevice>) {
        let i = dev.id() as usize;
        match self.chunks.get_mut(i / CHUNK) {
            Some(c) => {
                let slot = &mut c[i % CHUNK];
                if slot.is_none() {
                    *slot = Some(dev);
                }
            }
            None => self.grow_put(dev),
        }
    }

    #[cold]
    #[inline(never)]
    fn grow_put(&mut self, dev: Arc<NetDevice>) {
        let i = dev.id() as usize;
        while self.chunks.len() <= i / CHUNK {
            self.chunks.push(CachePadded::new(Default::default()));
        }
        self.chunks[i / CHUNK][i % CHUNK] = Some(dev);
    }

    /// Make sure `dev` is pinned (one clone the first time this CPU sees it).
    #[inline]
    pub(crate) fn pin(&mut self, dev: &Arc<NetDevice>) {
        if self.get(dev.id()).is_none() {
            self.put(dev.clone());
        }
    }

    /// Drop the pins of unregistered devices that no queued packet names.
    pub(crate) fn sweep(&mut self, backlog: &VecDeque<Skb>) {
        for slot in self.chunks.iter_mut().flat_map(|c| c.iter_mut()) {
            if slot.as_ref().is_some_and(|d| d.reg_state() == RegState::Unregistered) {
                let id = slot.as_ref().map_or(0, |d| d.id());
                if !backlog.iter().any(|s| s.dev == id) {
                    *slot = None;
                }
            }
        }
    }
}
