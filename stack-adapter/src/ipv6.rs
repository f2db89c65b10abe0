//! IPv6: addresses, NDP, receive, forwarding, local delivery, ICMPv6 (placeholder while the
//! addrconf module lands).

use std::net::{IpAddr, Ipv6Addr};

use netdev_core::{Cpu, DropReason, Result, Skb};

use crate::fib::Scope;
use crate::neigh::NeighAction;
use crate::sock::SockError;
use crate::stack::{AddrOpts, Inner, OutErr, RouteGet, RouteSpec};

/// An IPv6 address on a device (`struct inet6_ifaddr`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct In6Addr {
    /// The address.
    pub addr: Ipv6Addr,
    /// Prefix length.
    pub prefix_len: u8,
    /// Scope.
    pub scope: Scope,
    /// `tentative` (DAD in progress).
    pub tentative: bool,
    /// `dadfailed`.
    pub dadfailed: bool,
    /// `nodad`.
    pub nodad: bool,
    /// Configured by the administrator (`permanent`) rather than autoconfigured.
    pub permanent: bool,
}

/// IPv6 per-namespace state.
#[derive(Debug, Default)]
pub(crate) struct V6State {}

impl Inner {
    pub(crate) fn v6_dev_event(&mut self, _ifindex: u32, _up: bool) {}
    pub(crate) fn v6_dev_down(&mut self, _ifindex: u32) {}
    pub(crate) fn v6_unregister(&mut self, _ifindex: u32) {}
    pub(crate) fn v6_change_mtu(&mut self, _ifindex: u32) {}
    pub(crate) fn v6_next_deadline(&self) -> Option<u64> {
        None
    }
    pub(crate) fn v6_timers(&mut self, _cpu: &mut Cpu) {}
    pub(crate) fn v6_sysctl_changed(&mut self, _c: &crate::sysctl::Change) {}
    pub(crate) fn is_local6(&self, _a: Ipv6Addr) -> bool {
        false
    }
    pub(crate) fn inet6_addr_add(&mut self, _i: u32, _a: Ipv6Addr, _p: u8, _o: &AddrOpts) -> Result<()> {
        Err(netdev_core::Error::new(netdev_core::Errno::Eopnotsupp))
    }
    pub(crate) fn inet6_addr_del(&mut self, _i: u32, _a: Ipv6Addr, _p: Option<u8>) -> Result<()> {
        Err(netdev_core::Error::new(netdev_core::Errno::Eaddrnotavail))
    }
    pub(crate) fn route_add6(
        &mut self,
        _spec: &RouteSpec,
        _d: Ipv6Addr,
        _gw: Option<Ipv6Addr>,
        _src: Option<Ipv6Addr>,
    ) -> Result<()> {
        Err(netdev_core::Error::new(netdev_core::Errno::Eopnotsupp))
    }
    pub(crate) fn route_get6(&self, _d: Ipv6Addr, _oif: Option<u32>) -> std::result::Result<RouteGet, SockError> {
        Err(SockError::NetUnreachable)
    }
    pub(crate) fn output6(
        &mut self,
        _cpu: &mut Cpu,
        _pkt: &[u8],
        _oif: Option<u32>,
    ) -> std::result::Result<(), OutErr> {
        Err(OutErr::NoRoute)
    }
    pub(crate) fn ipv6_rcv(&mut self, cpu: &mut Cpu, _ifindex: u32, skb: Skb) {
        cpu.kfree_skb(skb, DropReason::Ipv6Disabled, None);
    }
    pub(crate) fn neigh_actions6(&mut self, _cpu: &mut Cpu, _acts: Vec<NeighAction<Ipv6Addr>>) {}
}

#[allow(dead_code)]
fn _unused(_: IpAddr) {}
