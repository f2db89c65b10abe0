//! Routing tables (`net/ipv4/fib_*.c`, `net/ipv6/route.c`): the main table with kernel, static and
//! default routes, longest-prefix match, then metric; the local table is derived from addresses.

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

/// An address family's address as a routing key.
pub trait RouteAddr: Copy + Ord + fmt::Debug + fmt::Display {
    /// Address length in bits.
    const BITS: u8;
    /// The address as a left-aligned integer.
    fn bits(self) -> u128;
    /// The address from a left-aligned integer.
    fn from_bits(b: u128) -> Self;
    /// The unspecified address.
    fn unspecified() -> Self;

    /// The first `plen` bits of `self`.
    fn mask(self, plen: u8) -> Self {
        if plen == 0 {
            return Self::from_bits(0);
        }
        let shift = 128 - u32::from(plen.min(Self::BITS));
        Self::from_bits((self.bits() >> shift) << shift)
    }

    /// True if `self` is in `prefix/plen`.
    fn in_prefix(self, prefix: Self, plen: u8) -> bool {
        self.mask(plen) == prefix.mask(plen)
    }
}

impl RouteAddr for Ipv4Addr {
    const BITS: u8 = 32;
    fn bits(self) -> u128 {
        u128::from(u32::from(self)) << 96
    }
    fn from_bits(b: u128) -> Self {
        Ipv4Addr::from((b >> 96) as u32)
    }
    fn unspecified() -> Self {
        Ipv4Addr::UNSPECIFIED
    }
}

impl RouteAddr for Ipv6Addr {
    const BITS: u8 = 128;
    fn bits(self) -> u128 {
        u128::from(self)
    }
    fn from_bits(b: u128) -> Self {
        Ipv6Addr::from(b)
    }
    fn unspecified() -> Self {
        Ipv6Addr::UNSPECIFIED
    }
}

/// Route type (`RTN_*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum RouteType {
    /// `RTN_UNICAST`.
    Unicast,
    /// `RTN_LOCAL`.
    Local,
    /// `RTN_BROADCAST`.
    Broadcast,
    /// `RTN_BLACKHOLE`.
    Blackhole,
    /// `RTN_UNREACHABLE`.
    Unreachable,
    /// `RTN_PROHIBIT`.
    Prohibit,
}

impl RouteType {
    /// The keyword `ip route` prints before the prefix (nothing for unicast).
    pub fn keyword(self) -> &'static str {
        match self {
            RouteType::Unicast => "unicast",
            RouteType::Local => "local",
            RouteType::Broadcast => "broadcast",
            RouteType::Blackhole => "blackhole",
            RouteType::Unreachable => "unreachable",
            RouteType::Prohibit => "prohibit",
        }
    }
}

/// Route origin (`RTPROT_*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Proto {
    /// `RTPROT_KERNEL`.
    Kernel,
    /// `RTPROT_BOOT` (the default of `ip route add`).
    Boot,
    /// `RTPROT_STATIC`.
    Static,
    /// `RTPROT_RA`.
    Ra,
}

impl Proto {
    /// The name `ip route` prints (`boot` is not printed).
    pub fn name(self) -> &'static str {
        match self {
            Proto::Kernel => "kernel",
            Proto::Boot => "boot",
            Proto::Static => "static",
            Proto::Ra => "ra",
        }
    }
}

/// Route scope (`RT_SCOPE_*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Scope {
    /// `RT_SCOPE_UNIVERSE` (0), printed `global`.
    Universe,
    /// `RT_SCOPE_SITE` (200).
    Site,
    /// `RT_SCOPE_LINK` (253).
    Link,
    /// `RT_SCOPE_HOST` (254).
    Host,
    /// `RT_SCOPE_NOWHERE` (255).
    Nowhere,
}

impl Scope {
    /// The numeric scope.
    pub fn value(self) -> u8 {
        match self {
            Scope::Universe => 0,
            Scope::Site => 200,
            Scope::Link => 253,
            Scope::Host => 254,
            Scope::Nowhere => 255,
        }
    }

    /// The name iproute2 prints.
    pub fn name(self) -> &'static str {
        match self {
            Scope::Universe => "global",
            Scope::Site => "site",
            Scope::Link => "link",
            Scope::Host => "host",
            Scope::Nowhere => "nowhere",
        }
    }
}

/// One route.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Route<A: RouteAddr> {
    /// Destination prefix.
    pub dst: A,
    /// Prefix length.
    pub plen: u8,
    /// Type.
    pub rtype: RouteType,
    /// Output device (0 for none, e.g. blackhole).
    pub ifindex: u32,
    /// Gateway.
    pub gateway: Option<A>,
    /// Preferred source.
    pub prefsrc: Option<A>,
    /// Metric / priority.
    pub metric: u32,
    /// Origin.
    pub proto: Proto,
    /// Scope.
    pub scope: Scope,
    /// `onlink`: the gateway is on the link even without a connected route.
    pub onlink: bool,
    /// `mtu` metric lock value, if set.
    pub mtu: Option<u32>,
}

/// The main routing table of one family.
#[derive(Debug)]
pub struct Fib<A: RouteAddr> {
    routes: Vec<Route<A>>,
}

impl<A: RouteAddr> Default for Fib<A> {
    fn default() -> Self {
        Fib { routes: Vec::new() }
    }
}

impl<A: RouteAddr> Fib<A> {
    /// Every route, in the order `ip route` dumps them (by prefix length descending within equal
    /// prefixes? No: the kernel dumps the trie in key order; see [`Fib::dump`]).
    pub fn routes(&self) -> &[Route<A>] {
        &self.routes
    }

    /// Routes in dump order: IPv4's fib_trie walks keys in ascending order, shorter prefixes of
    /// the same key first; IPv6's fib6 tree likewise; equal keys by metric.
    pub fn dump(&self) -> Vec<&Route<A>> {
        let mut v: Vec<&Route<A>> = self.routes.iter().collect();
        v.sort_by_key(|r| (r.dst.bits(), r.plen, r.metric));
        v
    }

    /// The route identified like `fib_table_insert` does (prefix, plen, metric, and for IPv6
    /// the device/gateway): EEXIST with NLM_F_EXCL.
    pub fn find(&self, dst: A, plen: u8, metric: u32) -> Option<&Route<A>> {
        self.routes.iter().find(|r| r.dst == dst && r.plen == plen && r.metric == metric)
    }

    /// Add a route; false if one with the same key exists (EEXIST).
    pub fn add(&mut self, r: Route<A>) -> bool {
        // IPv4 keys routes by prefix, tos and priority (EEXIST for `ip route add`); the kernel's
        // own prefix routes are added with NLM_F_APPEND (fib_magic), so two devices on one
        // subnet each get theirs. IPv6 keys by device and gateway too.
        let same_dev = r.proto == Proto::Kernel || A::BITS != 32;
        if self.routes.iter().any(|x| {
            x.dst == r.dst && x.plen == r.plen && x.metric == r.metric && (!same_dev || x.ifindex == r.ifindex)
        }) {
            return false;
        }
        self.routes.push(r);
        true
    }

    /// Delete the first route matching every given field (`fib_table_delete`); None if absent
    /// (ESRCH).
    pub fn del(&mut self, pred: impl Fn(&Route<A>) -> bool) -> Option<Route<A>> {
        let i = self.routes.iter().position(pred)?;
        Some(self.routes.remove(i))
    }

    /// Remove every route matching `pred`.
    pub fn retain(&mut self, mut keep: impl FnMut(&Route<A>) -> bool) {
        self.routes.retain(|r| keep(r));
    }

    /// Longest-prefix match, then lowest metric, among routes whose device passes `usable`
    /// (and, with `oif`, that leave through it).
    pub fn lookup(&self, dst: A, oif: Option<u32>, usable: impl Fn(&Route<A>) -> bool) -> Option<&Route<A>> {
        let mut best: Option<&Route<A>> = None;
        for r in &self.routes {
            if !dst.in_prefix(r.dst, r.plen) || !usable(r) {
                continue;
            }
            if let Some(o) = oif
                && r.ifindex != o
                && r.ifindex != 0
            {
                continue;
            }
            best = match best {
                Some(b) if (b.plen, std::cmp::Reverse(b.metric)) >= (r.plen, std::cmp::Reverse(r.metric)) => Some(b),
                _ => Some(r),
            };
        }
        best
    }
}
