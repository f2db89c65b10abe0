//! Placeholder for the sysctl model (being written separately): compiled-in defaults only.

use crate::neigh::NeighParms;

/// Address family of a neighbour table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    /// IPv4 (ARP).
    V4,
    /// IPv6 (NDP).
    V6,
}

/// A namespace's sysctls.
#[derive(Clone, Debug, Default)]
pub struct Sysctls {
    /// ip_forward.
    pub fwd: bool,
    /// arp_ignore for all.
    pub arp_ignore_all: i32,
}

#[allow(missing_docs, clippy::unused_self)]
impl Sysctls {
    pub fn new() -> Sysctls {
        Sysctls::default()
    }
    pub fn add_dev(&mut self, _ifindex: u32, _lo: bool) {}
    pub fn del_dev(&mut self, _ifindex: u32) {}
    pub fn forwarding(&self, _i: u32) -> bool {
        self.fwd
    }
    pub fn ip_forward(&self) -> bool {
        self.fwd
    }
    pub fn rp_filter(&self, _i: u32) -> i32 {
        0
    }
    pub fn accept_local(&self, _i: u32) -> bool {
        false
    }
    pub fn route_localnet(&self, _i: u32) -> bool {
        false
    }
    pub fn arp_ignore(&self, _i: u32) -> i32 {
        self.arp_ignore_all
    }
    pub fn arp_announce(&self, _i: u32) -> i32 {
        0
    }
    pub fn arp_filter(&self, _i: u32) -> bool {
        false
    }
    pub fn arp_accept(&self, _i: u32) -> i32 {
        0
    }
    pub fn arp_notify(&self, _i: u32) -> i32 {
        0
    }
    pub fn proxy_arp(&self, _i: u32) -> bool {
        false
    }
    pub fn proxy_arp_pvlan(&self, _i: u32) -> bool {
        false
    }
    pub fn medium_id(&self, _i: u32) -> i32 {
        0
    }
    pub fn drop_gratuitous_arp(&self, _i: u32) -> bool {
        false
    }
    pub fn send_redirects(&self, _i: u32) -> bool {
        true
    }
    pub fn ip_default_ttl(&self) -> u8 {
        64
    }
    pub fn disable_ipv6(&self, _i: u32) -> bool {
        false
    }
    pub fn forwarding6(&self, _i: u32) -> bool {
        false
    }
    pub fn hop_limit6(&self, _i: u32) -> u8 {
        64
    }
    pub fn new_inherit(init: &Sysctls) -> Sysctls {
        init.clone()
    }
    pub fn promote_secondaries(&self, _i: u32) -> bool {
        false
    }
    pub fn arp_evict_nocarrier(&self, _i: u32) -> bool {
        true
    }
    pub fn icmp_echo_ignore_broadcasts(&self) -> bool {
        true
    }
    pub fn icmp_echo_ignore_all(&self) -> bool {
        false
    }
    pub fn icmp_ratelimit_ns(&self) -> u64 {
        1_000_000_000
    }
    pub fn read(&self, _name: &str, _dev: impl Fn(&str) -> Option<u32>) -> Result<String, netdev_core::Errno> {
        Err(netdev_core::Errno::Enoent)
    }
    pub fn write(
        &mut self,
        name: &str,
        value: &str,
        _dev: impl Fn(&str) -> Option<u32>,
        _mtu: impl Fn(u32) -> u32,
    ) -> Result<Vec<Change>, netdev_core::Errno> {
        match name {
            "net.ipv4.ip_forward" => self.fwd = value == "1",
            "net.ipv4.conf.all.arp_ignore" => {
                self.arp_ignore_all = value.parse().map_err(|_| netdev_core::Errno::Einval)?
            }
            _ => return Err(netdev_core::Errno::Enoent),
        }
        Ok(Vec::new())
    }
    pub fn list(&self, _names: impl Fn(u32) -> String) -> Vec<(String, String)> {
        Vec::new()
    }
    pub fn neigh_parms(&self, _f: Family, _i: u32) -> NeighParms {
        NeighParms::kernel_default()
    }
}

/// A change made by a sysctl write.
#[derive(Clone, Debug)]
pub struct Change;
