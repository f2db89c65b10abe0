//! The inet address notifier chains (`inetaddr_chain` and `inetaddr_validator_chain` of
//! `net/ipv4/devinet.c`, `inet6addr_chain` and `inet6addr_validator_chain` of
//! `net/ipv6/addrconf_core.c`): how a driver that cares about the IP addresses on its devices
//! (ipvlan keeps each slave's addresses to demultiplex by destination IP) hears of them, and may
//! veto one, without depending on the IP stack. The stack (stack-adapter) calls the chain; a
//! driver registers with [`World::register_inetaddr_notifier`](crate::World::register_inetaddr_notifier).

use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;

use arc_swap::ArcSwap;
use parking_lot::Mutex;

use crate::{NetDevice, Result};

/// An address event (`NETDEV_UP` / `NETDEV_DOWN` on the address chains).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AddrEvent {
    /// The address was added to the device.
    Up,
    /// The address was removed from the device (deleted, flushed, or the device left the stack).
    Down,
}

/// A notifier block on the address chains. Called by the stack of the device's namespace, under
/// that stack's lock: it must not call back into the stack.
pub trait InetAddrNotifier: Send + Sync {
    /// The validator chain: `addr` is about to be added to `dev` (after the stack's own checks).
    /// An error vetoes the addition and is what the stack returns (ipvlan: `EADDRINUSE`).
    fn validate(&self, _dev: &Arc<NetDevice>, _addr: IpAddr) -> Result<()> {
        Ok(())
    }

    /// The notifier chain: `addr` was added to or removed from `dev`.
    fn event(&self, _dev: &Arc<NetDevice>, _addr: IpAddr, _ev: AddrEvent) {}
}

/// The chains of one World: read lock-free, written rarely.
#[derive(Default)]
pub struct InetAddrChain {
    list: ArcSwap<Vec<Arc<dyn InetAddrNotifier>>>,
    writer: Mutex<()>,
}

impl fmt::Debug for InetAddrChain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InetAddrChain").field("notifiers", &self.list.load().len()).finish()
    }
}

impl InetAddrChain {
    pub(crate) fn register(&self, n: Arc<dyn InetAddrNotifier>) {
        let _w = self.writer.lock();
        let mut v = Vec::clone(&self.list.load());
        v.push(n);
        self.list.store(Arc::new(v));
    }

    /// Run the validators for adding `addr` to `dev`; the first error stops the chain.
    pub fn validate(&self, dev: &Arc<NetDevice>, addr: IpAddr) -> Result<()> {
        for n in self.list.load().iter() {
            n.validate(dev, addr)?;
        }
        Ok(())
    }

    /// Tell every notifier that `addr` was added to or removed from `dev`.
    pub fn event(&self, dev: &Arc<NetDevice>, addr: IpAddr, ev: AddrEvent) {
        for n in self.list.load().iter() {
            n.event(dev, addr, ev);
        }
    }

    /// True if nothing is registered (the stack may skip building events).
    pub fn is_empty(&self) -> bool {
        self.list.load().is_empty()
    }
}
