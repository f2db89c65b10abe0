//! stack-adapter: a Linux-shaped IPv4/IPv6 layer for every simulated namespace.
//!
//! [`install`] registers it with a [`World`]: every namespace, present and future, gets a
//! [`Stack`] as its protocol handler. The stack owns L2/L3 as the kernel does — addresses, the
//! FIB, neighbours (ARP and NDP with the NUD state machine), forwarding, ICMP, the sysctls that
//! steer them (the weak host model, arp_ignore/arp_announce/arp_filter, proxy ARP, rp_filter) —
//! and hands packets for local TCP and UDP sockets to one smoltcp `Interface` (`Medium::Ip`,
//! any-IP) per namespace, routing what it emits. Ping sockets are the stack's own, as Linux's
//! are part of its IP layer (`net/ipv4/ping.c`).
//!
//! Everything runs on the world's virtual clock: neighbour timers, IPv6 address configuration,
//! MLD, TCP retransmissions are timers armed on the World; nothing reads the wall clock.
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]

pub mod addrconf;
pub mod fib;
mod ipv4;
mod ipv6;
pub mod neigh;
pub mod ping;
pub mod rtnetlink;
mod sock;
mod stack;
pub mod sysctl;
mod wire;

pub use addrconf::{AddrFlags, Ipv6AddrInfo};
pub use fib::{Proto, Route, RouteType, Scope};
pub use ipv4::InAddr;
pub use neigh::{NeighParms, Nud};
pub use ping::{PingEvent, PingOpts, PingReport};
pub use sock::{SockError, SocketId, TcpState};
pub use stack::{AddrOpts, Mib, NeighEntry, RouteGet, RouteSpec, Stack, TcpStateOf};

use std::collections::BTreeMap;
use std::sync::Arc;

use netdev_core::{NetDevice, NetdevEvent, NetdevNotifier, NetnsId, PernetOps, Result, Rtnl, World};
use parking_lot::Mutex;

/// The stacks of one World, one per namespace.
#[derive(Clone, Debug)]
pub struct Stacks {
    reg: Arc<Registry>,
}

#[derive(Debug, Default)]
struct Registry {
    stacks: Mutex<BTreeMap<NetnsId, Arc<Stack>>>,
}

/// Give every namespace of `world` (and every future one) an IP stack.
pub fn install(world: &World) -> Result<Stacks> {
    let reg = Arc::new(Registry::default());
    world.register_notifier(reg.clone());
    world.rtnl().register_pernet(reg.clone())?;
    Ok(Stacks { reg })
}

impl Stacks {
    /// The stack of namespace `ns`.
    pub fn get(&self, ns: NetnsId) -> Option<Arc<Stack>> {
        self.reg.stacks.lock().get(&ns).cloned()
    }

    /// The stack of namespace `ns`; ENOENT-free convenience for tests.
    pub fn of(&self, ns: NetnsId) -> Arc<Stack> {
        match self.get(ns) {
            Some(s) => s,
            None => panic!("no stack for {ns}"),
        }
    }
}

impl PernetOps for Registry {
    fn init(&self, rtnl: &mut Rtnl<'_>, ns: NetnsId) -> Result<()> {
        let seed = rtnl.rng().next_u64();
        let inherit = self.stacks.lock().get(&NetnsId::INIT).cloned();
        let stack = Stack::new(ns, seed, inherit.as_deref(), rtnl.world().inetaddr_chain());
        for dev in rtnl.devices(ns) {
            stack.netdev_event(rtnl, &NetdevEvent::Register, &dev);
            if dev.is_up() {
                stack.netdev_event(rtnl, &NetdevEvent::Up, &dev);
            }
        }
        rtnl.set_protocol_handler(ns, Some(stack.clone()))?;
        self.stacks.lock().insert(ns, stack);
        Ok(())
    }

    fn exit(&self, rtnl: &mut Rtnl<'_>, ns: NetnsId) {
        if let Some(s) = self.stacks.lock().remove(&ns) {
            s.shutdown(rtnl.world());
        }
    }
}

impl NetdevNotifier for Registry {
    fn event(&self, rtnl: &mut Rtnl<'_>, event: &NetdevEvent, dev: &Arc<NetDevice>) -> Result<()> {
        let stack = self.stacks.lock().get(&dev.netns()).cloned();
        if let Some(s) = stack {
            s.netdev_event(rtnl, event, dev);
        }
        Ok(())
    }
}
