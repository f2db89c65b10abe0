//! Header building and parsing helpers (byte-level, as the kernel writes them).

use std::net::{Ipv4Addr, Ipv6Addr};

pub(crate) const ETH_P_IP: u16 = 0x0800;
pub(crate) const ETH_P_ARP: u16 = 0x0806;
pub(crate) const ETH_P_IPV6: u16 = 0x86dd;
pub(crate) const ETH_HLEN: usize = 14;
/// Headroom for every packet the stack builds: link-layer headers of stacked devices fit.
pub(crate) const HEADROOM: usize = 128;

pub(crate) const IPPROTO_ICMP: u8 = 1;
pub(crate) const IPPROTO_TCP: u8 = 6;
pub(crate) const IPPROTO_UDP: u8 = 17;
pub(crate) const IPPROTO_ICMPV6: u8 = 58;

/// The Internet checksum of `data`, folded, starting from `sum`.
pub(crate) fn csum_add(mut sum: u32, data: &[u8]) -> u32 {
    let mut chunks = data.chunks_exact(2);
    for c in &mut chunks {
        sum = sum.wrapping_add(u32::from(u16::from_be_bytes([c[0], c[1]])));
    }
    if let [b] = chunks.remainder() {
        sum = sum.wrapping_add(u32::from(*b) << 8);
    }
    sum
}

pub(crate) fn csum_fold(mut sum: u32) -> u16 {
    while sum >> 16 != 0 {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

pub(crate) fn checksum(data: &[u8]) -> u16 {
    csum_fold(csum_add(0, data))
}

/// The IPv6 pseudo-header sum for an upper-layer packet.
pub(crate) fn pseudo6(src: Ipv6Addr, dst: Ipv6Addr, len: usize, next: u8) -> u32 {
    let mut s = csum_add(0, &src.octets());
    s = csum_add(s, &dst.octets());
    s = s.wrapping_add((len as u32) >> 16).wrapping_add(len as u32 & 0xffff);
    s.wrapping_add(u32::from(next))
}

/// A parsed IPv4 header.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Ip4 {
    pub(crate) ihl: usize,
    pub(crate) tos: u8,
    pub(crate) tot_len: usize,
    pub(crate) id: u16,
    pub(crate) df: bool,
    pub(crate) mf: bool,
    pub(crate) frag_off: u16,
    pub(crate) ttl: u8,
    pub(crate) proto: u8,
    pub(crate) src: Ipv4Addr,
    pub(crate) dst: Ipv4Addr,
}

/// Why an IPv4 header is rejected (`ip_rcv_core`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Ip4Err {
    Hdr,
    Csum,
}

impl Ip4 {
    /// `ip_rcv_core`'s checks: version, ihl, lengths, header checksum.
    pub(crate) fn parse(b: &[u8]) -> Result<Ip4, Ip4Err> {
        let h = Ip4::parse_partial(b)?;
        if h.tot_len < h.ihl || b.len() < h.tot_len {
            return Err(Ip4Err::Hdr);
        }
        if checksum(&b[..h.ihl]) != 0 {
            return Err(Ip4Err::Csum);
        }
        Ok(h)
    }

    /// The header of a (possibly truncated) packet, as quoted in an ICMP error: version and
    /// header length checked, nothing else.
    pub(crate) fn parse_partial(b: &[u8]) -> Result<Ip4, Ip4Err> {
        if b.len() < 20 || b[0] >> 4 != 4 {
            return Err(Ip4Err::Hdr);
        }
        let ihl = usize::from(b[0] & 0xf) * 4;
        if ihl < 20 || b.len() < ihl {
            return Err(Ip4Err::Hdr);
        }
        let fo = u16::from_be_bytes([b[6], b[7]]);
        Ok(Ip4 {
            ihl,
            tos: b[1],
            tot_len: usize::from(u16::from_be_bytes([b[2], b[3]])),
            id: u16::from_be_bytes([b[4], b[5]]),
            df: fo & 0x4000 != 0,
            mf: fo & 0x2000 != 0,
            frag_off: fo & 0x1fff,
            ttl: b[8],
            proto: b[9],
            src: Ipv4Addr::new(b[12], b[13], b[14], b[15]),
            dst: Ipv4Addr::new(b[16], b[17], b[18], b[19]),
        })
    }
}

/// Write a 20-byte IPv4 header at the front of `b` (which holds header + payload).
#[allow(clippy::too_many_arguments)]
pub(crate) fn write_ip4(b: &mut [u8], tos: u8, id: u16, df: bool, ttl: u8, proto: u8, src: Ipv4Addr, dst: Ipv4Addr) {
    let len = b.len() as u16;
    b[0] = 0x45;
    b[1] = tos;
    b[2..4].copy_from_slice(&len.to_be_bytes());
    b[4..6].copy_from_slice(&id.to_be_bytes());
    b[6..8].copy_from_slice(&(if df { 0x4000u16 } else { 0 }).to_be_bytes());
    b[8] = ttl;
    b[9] = proto;
    b[10..12].copy_from_slice(&[0, 0]);
    b[12..16].copy_from_slice(&src.octets());
    b[16..20].copy_from_slice(&dst.octets());
    let c = checksum(&b[..20]);
    b[10..12].copy_from_slice(&c.to_be_bytes());
}

/// Recompute the IPv4 header checksum in place.
pub(crate) fn fix_ip4_csum(b: &mut [u8]) {
    let ihl = usize::from(b[0] & 0xf) * 4;
    b[10] = 0;
    b[11] = 0;
    let c = checksum(&b[..ihl]);
    b[10..12].copy_from_slice(&c.to_be_bytes());
}

/// A parsed IPv6 fixed header.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Ip6 {
    pub(crate) payload_len: usize,
    pub(crate) next: u8,
    pub(crate) hlim: u8,
    pub(crate) src: Ipv6Addr,
    pub(crate) dst: Ipv6Addr,
}

impl Ip6 {
    pub(crate) fn parse(b: &[u8]) -> Option<Ip6> {
        if b.len() < 40 || b[0] >> 4 != 6 {
            return None;
        }
        let payload_len = usize::from(u16::from_be_bytes([b[4], b[5]]));
        if b.len() < 40 + payload_len {
            return None;
        }
        let mut s = [0u8; 16];
        s.copy_from_slice(&b[8..24]);
        let mut d = [0u8; 16];
        d.copy_from_slice(&b[24..40]);
        Some(Ip6 { payload_len, next: b[6], hlim: b[7], src: Ipv6Addr::from(s), dst: Ipv6Addr::from(d) })
    }
}

/// Write a 40-byte IPv6 header at the front of `b` (header + payload).
pub(crate) fn write_ip6(b: &mut [u8], next: u8, hlim: u8, src: Ipv6Addr, dst: Ipv6Addr) {
    let plen = (b.len() - 40) as u16;
    b[0..4].copy_from_slice(&[0x60, 0, 0, 0]);
    b[4..6].copy_from_slice(&plen.to_be_bytes());
    b[6] = next;
    b[7] = hlim;
    b[8..24].copy_from_slice(&src.octets());
    b[24..40].copy_from_slice(&dst.octets());
}

/// The multicast MAC for an IPv4 group (`ip_eth_mc_map`).
pub(crate) fn mc_mac4(a: Ipv4Addr) -> [u8; 6] {
    let o = a.octets();
    [0x01, 0x00, 0x5e, o[1] & 0x7f, o[2], o[3]]
}

pub(crate) use crate::addrconf::wire::{multicast_mac as mc_mac6, solicited_node};
