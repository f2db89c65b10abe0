//! Source address selection, `ipv6_dev_get_saddr` (net/ipv6/addrconf.c) with the default policy
//! table of net/ipv6/addrlabel.c (RFC 6724 plus the kernel's extensions).
//!
//! Rules, in the kernel's order (`enum IPV6_SADDR_RULE_*`): 1 same address, 2 appropriate scope,
//! 3 avoid deprecated (and optimistic), 5 prefer the outgoing interface, 6 matching label,
//! 7 prefer public (no temporary addresses exist here), 8 ORCHID vs ORCHID, 8 longest matching
//! prefix (capped at the address's prefix length). The first rule that tells two candidates
//! apart decides; on a tie the one seen first stays. Rule 4 (home address) exists only with
//! `CONFIG_IPV6_MIP6=y` and the optimistic tie-break only with optimistic DAD; neither is
//! modelled.

use std::collections::BTreeMap;
use std::net::Ipv6Addr;

use super::AddrFlags;
use super::idev::{Idev, same_prefix, src_scope};

/// `ip6addrlbl_init_table`: (prefix, length, label).
const LABELS: [(Ipv6Addr, u8, u32); 10] = [
    (Ipv6Addr::LOCALHOST, 128, 0),
    (Ipv6Addr::new(0, 0, 0, 0, 0, 0xffff, 0, 0), 96, 4),
    (Ipv6Addr::UNSPECIFIED, 96, 3),
    (Ipv6Addr::new(0x2001, 0x10, 0, 0, 0, 0, 0, 0), 28, 7),
    (Ipv6Addr::new(0x2001, 0, 0, 0, 0, 0, 0, 0), 32, 6),
    (Ipv6Addr::new(0x2002, 0, 0, 0, 0, 0, 0, 0), 16, 2),
    (Ipv6Addr::new(0x3ffe, 0, 0, 0, 0, 0, 0, 0), 16, 12),
    (Ipv6Addr::new(0xfec0, 0, 0, 0, 0, 0, 0, 0), 10, 11),
    (Ipv6Addr::new(0xfc00, 0, 0, 0, 0, 0, 0, 0), 7, 5),
    (Ipv6Addr::UNSPECIFIED, 0, 1),
];

/// `ipv6_addr_label`: the label of the longest matching prefix.
fn label(addr: Ipv6Addr) -> u32 {
    LABELS.iter().filter(|(p, len, _)| same_prefix(addr, *p, *len)).max_by_key(|(_, len, _)| *len).map_or(1, |l| l.2)
}

/// `ipv6_addr_orchid`: 2001:10::/28.
fn orchid(addr: Ipv6Addr) -> bool {
    same_prefix(addr, Ipv6Addr::new(0x2001, 0x10, 0, 0, 0, 0, 0, 0), 28)
}

/// `ipv6_addr_diff`: the number of leading bits two addresses share.
fn common_bits(a: Ipv6Addr, b: Ipv6Addr) -> u32 {
    (u128::from(a) ^ u128::from(b)).leading_zeros()
}

/// The rule values of one candidate, compared lexicographically.
type Score = (bool, i32, bool, bool, bool, bool, bool, u32);

fn score(addr: Ipv6Addr, prefix_len: u8, flags: AddrFlags, ifindex: u32, dst: Ipv6Addr, oif: Option<u32>) -> Score {
    let dst_scope = i32::from(src_scope(dst));
    let scope = i32::from(src_scope(addr));
    let scopedist = if scope >= dst_scope { -scope } else { scope - 128 };
    // ipv6_saddr_preferred: loopback (and v4-mapped/compatible) always counts as preferred.
    let preferred = addr.is_loopback() || !flags.intersects(AddrFlags::DEPRECATED | AddrFlags::OPTIMISTIC);
    let on_oif = oif.is_none_or(|o| o == ifindex);
    let public = !flags.contains(AddrFlags::TEMPORARY);
    let matchlen = common_bits(addr, dst).min(u32::from(prefix_len));
    (
        addr == dst,
        scopedist,
        preferred,
        on_oif,
        label(addr) == label(dst),
        public,
        orchid(addr) == orchid(dst),
        matchlen,
    )
}

/// `ipv6_dev_get_saddr`: for a multicast or link-scope destination with an outgoing interface
/// only that interface's addresses are candidates, otherwise every device's.
pub(crate) fn select(devs: &BTreeMap<u32, Idev>, dst: Ipv6Addr, oif: Option<u32>) -> Option<Ipv6Addr> {
    let oif_only = oif.is_some() && (dst.is_multicast() || src_scope(dst) <= 2);
    let mut best: Option<(Score, Ipv6Addr)> = None;
    for (&ifindex, idev) in devs {
        if oif_only && Some(ifindex) != oif {
            continue;
        }
        for a in &idev.addrs {
            let usable = !a.flags.contains(AddrFlags::TENTATIVE) || a.flags.contains(AddrFlags::OPTIMISTIC);
            if !usable || a.addr.is_unspecified() || a.addr.is_multicast() {
                continue;
            }
            let s = score(a.addr, a.prefix_len, a.flags, ifindex, dst, oif);
            if best.as_ref().is_none_or(|(b, _)| s > *b) {
                best = Some((s, a.addr));
            }
        }
    }
    best.map(|(_, addr)| addr)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_labels() {
        // net/ipv6/addrlabel.c, "Default policy table".
        let l = |s: &str| label(s.parse().unwrap());
        assert_eq!(l("::1"), 0);
        assert_eq!(l("2001:0:53aa:64c::1"), 6);
        assert_eq!(l("2001:db8::1"), 1);
        assert_eq!(l("2001:10::1"), 7);
        assert_eq!(l("2002::1"), 2);
        assert_eq!(l("fd00::1"), 5);
        assert_eq!(l("fe80::1"), 1);
        assert_eq!(l("2a00::1"), 1);
        assert_eq!(l("::ffff:10.0.0.1"), 4);
        assert_eq!(l("::10.0.0.1"), 3);
        assert_eq!(l("fec0::1"), 11);
    }

    #[test]
    fn common_prefix_bits() {
        let a: Ipv6Addr = "2001:db8::1".parse().unwrap();
        assert_eq!(common_bits(a, a), 128);
        assert_eq!(common_bits(a, "2001:db8::2".parse().unwrap()), 126);
        assert_eq!(common_bits(a, "2001:db9::1".parse().unwrap()), 31);
    }
}
