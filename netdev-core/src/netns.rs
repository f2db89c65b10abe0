//! Network namespaces: device tables (by name, by ifindex) under RTNL, and the lock-free part the
//! data path reads (the protocol handler, the "any" taps).

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use arc_swap::{ArcSwap, ArcSwapOption};
use parking_lot::Mutex;

use crate::cpu::Cpu;
use crate::rtnl::Rtnl;
use crate::tap::Tap;
use crate::{NetDevice, Result, Skb};

/// A namespace id, unique for the life of the World (never reused). The initial namespace is
/// [`NetnsId::INIT`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct NetnsId(pub u32);

impl NetnsId {
    /// `init_net`, the namespace the World starts with.
    pub const INIT: NetnsId = NetnsId(0);
}

impl fmt::Display for NetnsId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "netns{}", self.0)
    }
}

/// The namespace's IP stack entry point (`ptype_base` handlers for IPv4, ARP, IPv6), installed by
/// stack-adapter. Called on the receive path, lock-free, possibly on several CPUs at once.
pub trait ProtocolHandler: Send + Sync {
    /// Deliver `skb` (data after the link-layer header, `skb.meta.protocol` set) received on
    /// `dev` (first seen on `orig_dev`). Return `Err(skb)` if no handler takes its protocol: the
    /// core then counts it as `rx_dropped` (or `rx_nohandler` on an exact-match round).
    fn receive(&self, cpu: &mut Cpu, dev: &Arc<NetDevice>, orig_dev: &Arc<NetDevice>, skb: Skb) -> Result<(), Skb>;

    /// `ip_local_out` / `ip6_local_out` for a complete IP packet a driver hands to this stack
    /// ([`Cpu::ip_local_out`]): data at the IP header, `skb.meta.protocol` set. Route it with
    /// any source address accepted (`FLOWI_FLAG_ANYSRC`), `oif` restricting the output device
    /// (`flowi_oif`), and send it: `Ok` once the stack owns it (sent, queued on a neighbour, or
    /// dropped by the stack with its own reason). `Err(skb)` if there is no unicast or local
    /// route, or the packet is not IP. The default supports nothing.
    fn output(&self, _cpu: &mut Cpu, skb: Skb, _oif: Option<u32>) -> Result<(), Skb> {
        Err(skb)
    }
}

/// Per-namespace set-up and tear-down (`struct pernet_operations`): a protocol stack registers
/// one to give every namespace, present and future, its own state.
pub trait PernetOps: Send + Sync {
    /// A namespace was created (its `lo` is registered), or the ops were just registered and
    /// `ns` already existed. Called under RTNL.
    fn init(&self, rtnl: &mut Rtnl<'_>, ns: NetnsId) -> Result<()>;
    /// The namespace is going away; its devices are already gone. Called under RTNL.
    fn exit(&self, rtnl: &mut Rtnl<'_>, ns: NetnsId);
}

pub(crate) struct ProtoSlot(pub(crate) Arc<dyn ProtocolHandler>);

/// The lock-free, data-path view of a namespace.
pub(crate) struct NetnsShared {
    pub(crate) protocol: ArcSwapOption<ProtoSlot>,
    pub(crate) ntaps: AtomicU32,
    pub(crate) taps: ArcSwap<Vec<Arc<dyn Tap>>>,
    taps_writer: Mutex<()>,
}

impl NetnsShared {
    pub(crate) fn new() -> NetnsShared {
        NetnsShared {
            protocol: ArcSwapOption::empty(),
            ntaps: AtomicU32::new(0),
            taps: ArcSwap::from_pointee(Vec::new()),
            taps_writer: Mutex::new(()),
        }
    }

    pub(crate) fn edit_taps(&self, f: impl FnOnce(&mut Vec<Arc<dyn Tap>>)) {
        let _w = self.taps_writer.lock();
        let mut v = Vec::clone(&self.taps.load());
        f(&mut v);
        self.ntaps.store(v.len() as u32, Ordering::Release);
        self.taps.store(Arc::new(v));
    }
}

/// The RTNL-side state of one namespace.
pub(crate) struct Netns {
    pub(crate) id: NetnsId,
    pub(crate) name: Option<String>,
    pub(crate) by_name: BTreeMap<Arc<str>, Arc<NetDevice>>,
    pub(crate) by_index: BTreeMap<u32, Arc<NetDevice>>,
    /// `net->ifindex`: the cursor of `xa_alloc_cyclic`.
    pub(crate) ifindex_cursor: u32,
    pub(crate) shared: Arc<NetnsShared>,
}

impl Netns {
    pub(crate) fn new(id: NetnsId, name: Option<String>) -> Netns {
        Netns {
            id,
            name,
            by_name: BTreeMap::new(),
            by_index: BTreeMap::new(),
            ifindex_cursor: 1,
            shared: Arc::new(NetnsShared::new()),
        }
    }

    /// `dev_index_reserve`: an explicit index (EBUSY if used) or the first free one at or after
    /// the cursor (`xa_alloc_cyclic` over 1..=INT_MAX, wrapping).
    pub(crate) fn reserve_ifindex(&mut self, want: Option<u32>) -> crate::Result<u32> {
        use crate::{Errno, Error};
        const MAX: u32 = i32::MAX as u32;
        match want {
            Some(0) | None => {
                let mut i = self.ifindex_cursor.clamp(1, MAX);
                let start = i;
                loop {
                    if !self.by_index.contains_key(&i) {
                        self.ifindex_cursor = if i == MAX { 1 } else { i + 1 };
                        return Ok(i);
                    }
                    i = if i == MAX { 1 } else { i + 1 };
                    if i == start {
                        return Err(Error::new(Errno::Ebusy));
                    }
                }
            }
            Some(i) if i > MAX => Err(Error::new(Errno::Einval)),
            Some(i) if self.by_index.contains_key(&i) => Err(Error::new(Errno::Ebusy)),
            Some(i) => Ok(i),
        }
    }

    pub(crate) fn name_in_use(&self, name: &str) -> bool {
        self.by_name.contains_key(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ifindex_is_cyclic_and_not_reused() {
        let mut ns = Netns::new(NetnsId(1), None);
        assert_eq!(ns.reserve_ifindex(None).unwrap(), 1);
        // Not inserted in by_index, so the cursor alone moves it on.
        assert_eq!(ns.reserve_ifindex(None).unwrap(), 2);
        assert_eq!(ns.reserve_ifindex(Some(i32::MAX as u32 + 1)).unwrap_err(), crate::Errno::Einval);
    }
}
