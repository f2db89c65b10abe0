//! tcpdump 4.99.3's packet printer (`netdissect`): one summary per frame, in its formats, for the
//! link types vnet captures (Ethernet, Linux cooked v2 for `-i any`, raw IP) and the protocols the
//! simulator carries: 802.1Q, ARP, IPv4 (options, fragments), ICMP, UDP, TCP (flags, relative
//! sequence numbers, options), IPv6 (hop-by-hop, destination, fragment headers), ICMPv6 (echo,
//! errors, NS/NA/RS/RA with their options, MLDv1 and MLDv2). Each function names the tcpdump
//! function it follows (`print-ether.c`, `print-sll.c`, `print-arp.c`, `print-ip.c`,
//! `print-icmp.c`, `print-udp.c`, `print-tcp.c`, `print-ip6.c`, `print-ip6opts.c`,
//! `print-icmp6.c`, `print-ascii.c`); `print6.rs` holds the IPv6 half and `print_tcp.rs` TCP.
//! The output is checked line by line against tcpdump 4.99.3 reading the same pcap files
//! (`cli/tests/tcpdump_ping.rs`).
//!
//! Deliberate deviations: no name service (without `-n`, addresses stay numeric, port names come
//! from a fixed copy of Debian's `/etc/services`, MACs get only tcpdump's built-in OUI names);
//! of the application-layer decoders tcpdump picks by port only HTTP and VXLAN are here (DNS,
//! DHCP, NTP, ... print `UDP, length N`), and the LLC/STP and GRE printers are not there either (a
//! hex dump, or `ip-proto-N`). A frame cut short prints ` [|proto]` as `nd_print_trunc` does. Nothing here
//! panics on any input: every read is bounds-checked.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::net::{Ipv4Addr, Ipv6Addr};

use super::pcap::{LINKTYPE_ETHERNET, LINKTYPE_LINUX_SLL2, LINKTYPE_RAW};
use super::services::{PROTOCOLS, SERVICES};

/// The command-line flags that change what is printed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct PrintOpts {
    /// `-n` given this many times: no address or port names.
    pub(crate) nflag: u8,
    /// `-e`: the link-level header.
    pub(crate) eflag: bool,
    /// `-v` given this many times.
    pub(crate) vflag: u8,
    /// `-q`: less protocol information.
    pub(crate) qflag: bool,
    /// `-S`: absolute TCP sequence numbers.
    pub(crate) absolute_seq: bool,
}

/// A header cut short: the protocol `nd_print_trunc` names in ` [|proto]`.
pub(super) struct Trunc(pub(super) &'static str);

pub(super) type Res = Result<(), Trunc>;

/// `GET_U_1`: a byte, or the truncation of `proto`.
pub(super) fn u8_at(p: &[u8], i: usize, proto: &'static str) -> Result<u8, Trunc> {
    p.get(i).copied().ok_or(Trunc(proto))
}

/// `GET_BE_U_2`.
pub(super) fn be16(p: &[u8], i: usize, proto: &'static str) -> Result<u16, Trunc> {
    match p.get(i..i.saturating_add(2)) {
        Some(&[a, b]) => Ok(u16::from_be_bytes([a, b])),
        _ => Err(Trunc(proto)),
    }
}

/// `GET_BE_U_4`.
pub(super) fn be32(p: &[u8], i: usize, proto: &'static str) -> Result<u32, Trunc> {
    match p.get(i..i.saturating_add(4)) {
        Some(&[a, b, c, d]) => Ok(u32::from_be_bytes([a, b, c, d])),
        _ => Err(Trunc(proto)),
    }
}

/// `len` bytes at `i`, or the truncation of `proto` (`ND_TCHECK_LEN`).
pub(super) fn bytes<'a>(p: &'a [u8], i: usize, len: usize, proto: &'static str) -> Result<&'a [u8], Trunc> {
    p.get(i..i.saturating_add(len)).ok_or(Trunc(proto))
}

pub(super) fn ip4(p: &[u8], i: usize, proto: &'static str) -> Result<Ipv4Addr, Trunc> {
    Ok(Ipv4Addr::from(be32(p, i, proto)?))
}

pub(super) fn ip6(p: &[u8], i: usize, proto: &'static str) -> Result<Ipv6Addr, Trunc> {
    let b = bytes(p, i, 16, proto)?;
    let mut a = [0u8; 16];
    a.copy_from_slice(b);
    Ok(Ipv6Addr::from(a))
}

/// `etheraddr_string` / `GET_LINKADDR_STRING`: lower-case hex bytes joined by colons.
pub(super) fn mac(b: &[u8]) -> String {
    let mut s = String::with_capacity(b.len() * 3);
    for (i, x) in b.iter().enumerate() {
        if i > 0 {
            s.push(':');
        }
        let _ = write!(s, "{x:02x}");
    }
    s
}

/// `etheraddr_string` (and `GET_LINKADDR_STRING` for 6-byte addresses): without `-n`, the
/// broadcast address is `Broadcast` and others carry their OUI's name (tcpdump's `oui_values`);
/// there is no `/etc/ethers` in the simulator.
pub(super) fn mac_name(nflag: u8, b: &[u8]) -> String {
    if nflag > 0 || b.len() != 6 {
        return mac(b);
    }
    if b.iter().all(|&x| x == 0xff) {
        return "Broadcast".into();
    }
    let oui = u32::from_be_bytes([0, b[0], b[1], b[2]]);
    let name = match oui {
        0x000000 => "Ethernet",
        0x00000c => "Cisco",
        0x00005e => "IANA",
        0x000081 => "Nortel Networks SONMP",
        0x0000f8 => "Cisco bridged",
        0x0080c2 => "Ethernet bridged",
        0x00a03e => "ATM Forum",
        0x00e02f => "DOCSIS Spanning Tree",
        0x080007 => "Appletalk",
        0x009069 => "Juniper",
        0x080009 => "Hewlett-Packard",
        0x00120f => "IEEE 802.3 Private",
        0x0012bb => "ANSI/TIA",
        0x001b21 => "DCBX",
        0x002320 => "Nicira Networks",
        0x5c16c7 => "Big Switch Networks",
        0xb0d2f5 => "Vello Systems",
        0x002481 => "HP",
        0x0004ea => "HP-Labs",
        0x748771 => "Infoblox Inc",
        0xa42305 => "Open Networking Lab",
        0x00049f => "Freescale",
        0x0015ad => "Netronome",
        0x001018 => "Broadcom",
        0x00e004 => "PMC-Sierra",
        0xd0f0db => "Ericsson",
        _ => "Unknown",
    };
    format!("{} (oui {name})", mac(b))
}

/// The Internet checksum of `parts` concatenated (`in_cksum`): 0 when the data checks.
pub(super) fn in_cksum(parts: &[&[u8]]) -> u16 {
    let mut sum: u64 = 0;
    let mut odd: Option<u8> = None;
    for part in parts {
        for &b in *part {
            match odd.take() {
                Some(hi) => sum += u64::from(u16::from_be_bytes([hi, b])),
                None => odd = Some(b),
            }
        }
    }
    if let Some(hi) = odd {
        sum += u64::from(u16::from_be_bytes([hi, 0]));
    }
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// `in_cksum_shouldbe`: the checksum field that would have made the sum check.
pub(super) fn cksum_shouldbe(field: u16, computed: u16) -> u16 {
    let mut s = u32::from(field) + u32::from(computed);
    s = (s & 0xffff) + (s >> 16);
    s = (s & 0xffff) + (s >> 16);
    s as u16
}

/// `tok2str(ethertype_values, ...)` for the types vnet meets.
fn ethertype_name(t: u16) -> Option<&'static str> {
    Some(match t {
        0x0800 => "IPv4",
        0x86dd => "IPv6",
        0x0806 => "ARP",
        0x8035 => "Reverse ARP",
        0x8100 => "802.1Q",
        0x9100 => "802.1Q-9100",
        0x88a8 => "802.1Q-QinQ",
        0x9200 => "802.1Q-9200",
        0x8847 => "MPLS unicast",
        0x8848 => "MPLS multicast",
        0x88cc => "LLDP",
        0x888e => "EAPOL",
        0x8809 => "Slow Protocols",
        0x6558 => "TEB",
        0x9000 => "Loopback",
        0x8863 => "PPPoE D",
        0x8864 => "PPPoE S",
        0x880b => "PPP",
        0x88e5 => "MACsec",
        0x8902 => "CFM",
        0x894f => "NSH",
        0x0200 => "PUP",
        _ => return None,
    })
}

/// `tok2str(ipproto_values, "unknown", p)`.
pub(super) fn ipproto_name(p: u8) -> &'static str {
    match p {
        0 => "Options",
        1 => "ICMP",
        2 => "IGMP",
        4 => "IPIP",
        6 => "TCP",
        8 => "EGP",
        9 => "IGRP",
        17 => "UDP",
        33 => "DCCP",
        41 => "IPv6",
        43 => "Routing",
        44 => "Fragment",
        46 => "RSVP",
        47 => "GRE",
        50 => "ESP",
        51 => "AH",
        55 => "Mobile IP",
        58 => "ICMPv6",
        62 => "Mobile IP (old)",
        88 => "EIGRP",
        89 => "OSPF",
        103 => "PIM",
        108 => "Compressed IP",
        112 => "VRRP",
        113 => "PGM",
        132 => "SCTP",
        135 => "Mobility",
        240 => "pfsync",
        _ => "unknown",
    }
}

/// `netdb_protoname`: the protocol's keyword, for the `-n`-less forms.
fn netdb_protoname(p: u8) -> Option<&'static str> {
    PROTOCOLS.iter().find(|(n, _)| *n == p).map(|(_, name)| *name)
}

/// The IP header an upper-layer printer needs: addresses for its own address line and
/// pseudo-header checksums, and the protocol field of the fixed header (tcpdump prints ports
/// without addresses when they differ, for a header met inside another).
#[derive(Clone, Copy, Debug)]
pub(super) enum IpHdr {
    V4 { src: Ipv4Addr, dst: Ipv4Addr, proto: u8 },
    V6 { src: Ipv6Addr, dst: Ipv6Addr, nxt: u8 },
}

impl IpHdr {
    pub(super) fn src(&self) -> String {
        match self {
            IpHdr::V4 { src, .. } => src.to_string(),
            IpHdr::V6 { src, .. } => src.to_string(),
        }
    }

    pub(super) fn dst(&self) -> String {
        match self {
            IpHdr::V4 { dst, .. } => dst.to_string(),
            IpHdr::V6 { dst, .. } => dst.to_string(),
        }
    }

    /// The fixed header's protocol / next-header field.
    pub(super) fn proto(&self) -> u8 {
        match self {
            IpHdr::V4 { proto, .. } => *proto,
            IpHdr::V6 { nxt, .. } => *nxt,
        }
    }

    /// The pseudo-header of the upper-layer checksum (`nextproto4_cksum`, `nextproto6_cksum`).
    pub(super) fn pseudo(&self, len: usize, proto: u8) -> Vec<u8> {
        match self {
            IpHdr::V4 { src, dst, .. } => {
                let mut v = Vec::with_capacity(12);
                v.extend_from_slice(&src.octets());
                v.extend_from_slice(&dst.octets());
                v.extend_from_slice(&[0, proto]);
                v.extend_from_slice(&(len as u16).to_be_bytes());
                v
            }
            IpHdr::V6 { src, dst, .. } => {
                let mut v = Vec::with_capacity(40);
                v.extend_from_slice(&src.octets());
                v.extend_from_slice(&dst.octets());
                v.extend_from_slice(&(len as u32).to_be_bytes());
                v.extend_from_slice(&[0, 0, 0, proto]);
                v
            }
        }
    }
}

/// The key of a TCP conversation for relative sequence numbers (`struct tha`): the addresses
/// and ports in a fixed order, so both directions find the same entry.
pub(super) type TcpKey = (Vec<u8>, Vec<u8>, u32);

/// A printer: the flags, the TCP conversations seen so far (their initial sequence numbers) and
/// the interface names `-i any` prints.
#[derive(Debug, Default)]
pub(crate) struct Printer {
    pub(super) o: PrintOpts,
    /// `tcp_seq_hash`: initial (seq, ack) per conversation.
    pub(super) tcp_seq: BTreeMap<TcpKey, (u32, u32)>,
    /// ifindex → name, for the cooked-capture printer (`if_indextoname`).
    ifnames: BTreeMap<u32, String>,
    /// The line being built.
    pub(super) out: String,
}

impl Printer {
    /// A printer with `o`'s flags; `ifnames` names the interfaces of `-i any` captures.
    pub(crate) fn new(o: PrintOpts, ifnames: BTreeMap<u32, String>) -> Printer {
        Printer { o, ifnames, ..Printer::default() }
    }

    /// `etheraddr_string` (and `GET_LINKADDR_STRING` for 6-byte addresses): without `-n`, the
    /// broadcast address is `Broadcast` and others carry their OUI's name (tcpdump's `oui_values`);
    /// there is no `/etc/ethers` in the simulator.
    pub(super) fn mac_name(&self, b: &[u8]) -> String {
        mac_name(self.o.nflag, b)
    }

    pub(super) fn p(&mut self, s: &str) {
        self.out.push_str(s);
    }

    /// One packet as tcpdump prints it (`pretty_print_packet`): the timestamp
    /// (`HH:MM:SS.uuuuuu`, the virtual clock read as seconds since midnight of day 0), the
    /// link-layer printer's summary, and a newline.
    pub(crate) fn packet(&mut self, linktype: u32, ts_ns: u64, data: &[u8], orig_len: u32) -> String {
        self.out.clear();
        let secs = ts_ns / 1_000_000_000;
        let us = (ts_ns % 1_000_000_000) / 1000;
        let _ = write!(self.out, "{:02}:{:02}:{:02}.{us:06} ", (secs / 3600) % 24, (secs / 60) % 60, secs % 60);
        let r = match linktype {
            LINKTYPE_ETHERNET => self.ether(data, orig_len),
            LINKTYPE_LINUX_SLL2 => self.sll2(data, orig_len),
            LINKTYPE_RAW => {
                // raw_if_print
                if self.o.eflag {
                    self.p("ip: ");
                }
                self.ipn(data, orig_len)
            }
            other => {
                let _ = write!(self.out, "[unsupported link type {other}]");
                Ok(())
            }
        };
        if let Err(Trunc(proto)) = r {
            let _ = write!(self.out, " [|{proto}]");
        }
        self.out.push('\n');
        std::mem::take(&mut self.out)
    }

    /// `ether_type_print`.
    fn ether_type(&mut self, t: u16) {
        let s = match (self.o.qflag, ethertype_name(t)) {
            (false, Some(n)) => format!("ethertype {n} (0x{t:04x})"),
            (false, None) => format!("ethertype Unknown (0x{t:04x})"),
            (true, Some(n)) => n.to_string(),
            (true, None) => format!("Unknown Ethertype (0x{t:04x})"),
        };
        self.p(&s);
    }

    /// `ether_common_print` for a DLT_EN10MB frame of `length` bytes on the wire.
    fn ether(&mut self, p: &[u8], length: u32) -> Res {
        if p.len() < 14 {
            return Err(Trunc("ether"));
        }
        let (dst, src) = (self.mac_name(&p[0..6]), self.mac_name(&p[6..12]));
        let orig_length = length;
        if self.o.eflag {
            self.p(&format!("{src} > {dst}, "));
        }
        let mut t = be16(p, 12, "ether")?;
        let mut off = 14;
        let mut length = length.saturating_sub(14);
        if self.o.eflag && matches!(t, 0x8100 | 0x9100 | 0x9200 | 0x88a8) {
            self.ether_type(t);
            self.p(&format!(", length {orig_length}: "));
        }
        let tagged = matches!(t, 0x8100 | 0x9100 | 0x9200 | 0x88a8);
        while matches!(t, 0x8100 | 0x9100 | 0x9200 | 0x88a8) {
            let tci = be16(p, off, "vlan")?;
            let inner = be16(p, off + 2, "vlan")?;
            if self.o.eflag {
                let dei = if tci & 0x1000 != 0 { ", DEI" } else { "" };
                self.p(&format!("vlan {}, p {}{dei}, ", tci & 0x0fff, tci >> 13));
                if inner > 1500 {
                    self.ether_type(inner);
                    self.p(", ");
                }
            }
            t = inner;
            off += 4;
            length = length.saturating_sub(4);
        }
        let payload = p.get(off..).unwrap_or_default();
        if t <= 1500 {
            // An 802.3 length field: LLC, which vnet does not decode.
            let len = u32::from(t).min(length);
            if self.o.eflag {
                self.p(&format!("802.3, length {len}: "));
            }
            let shown = payload.get(..len as usize).unwrap_or(payload);
            self.hex_and_ascii("\n\t", shown);
            return Ok(());
        }
        if self.o.eflag && !tagged {
            self.ether_type(t);
            self.p(&format!(", length {orig_length}: "));
        }
        if !self.ethertype(t, payload, length)? {
            if !self.o.eflag {
                self.p(&format!("{src} > {dst}, "));
                self.ether_type(t);
                self.p(&format!(", length {orig_length}: "));
            }
            self.hex_and_ascii("\n\t", payload);
        }
        Ok(())
    }

    /// `ethertype_print`: false if the type has no printer.
    fn ethertype(&mut self, t: u16, p: &[u8], length: u32) -> Result<bool, Trunc> {
        match t {
            0x0800 => self.ip(p, length)?,
            0x86dd => self.ip6(p, length)?,
            0x0806 | 0x8035 => self.arp(p, length)?,
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// `sll2_if_print`: Linux cooked capture v2 (`-i any`).
    fn sll2(&mut self, p: &[u8], length: u32) -> Res {
        if p.len() < 20 {
            return Err(Trunc("sll2"));
        }
        let proto = be16(p, 0, "sll2")?;
        let ifindex = be32(p, 4, "sll2")?;
        let pkttype = u8_at(p, 10, "sll2")?;
        let halen = u8_at(p, 11, "sll2")?;
        let name = self.ifnames.get(&ifindex).cloned().unwrap_or_else(|| "?".into());
        let dir = match pkttype {
            0 => "In",
            1 => "B",
            2 => "M",
            3 => "P",
            4 => "Out",
            _ => "?",
        };
        self.p(&format!("{name:<5} {dir:<3} "));
        if self.o.eflag {
            self.sll2_header(p, proto, ifindex, halen, length);
        }
        let mut t = proto;
        let mut off = 20;
        let mut length = length.saturating_sub(20);
        while t == 0x8100 {
            let tci = be16(p, off, "vlan")?;
            let inner = be16(p, off + 2, "vlan")?;
            if self.o.eflag {
                let dei = if tci & 0x1000 != 0 { ", DEI" } else { "" };
                self.p(&format!("vlan {}, p {}{dei}, ", tci & 0x0fff, tci >> 13));
            }
            t = if inner <= 1500 { 4 } else { inner };
            if !self.o.qflag {
                let n = ethertype_name(t).unwrap_or("Unknown");
                self.p(&format!("ethertype {n}, "));
            }
            off += 4;
            length = length.saturating_sub(4);
        }
        let payload = p.get(off..).unwrap_or_default();
        if t <= 1500 {
            self.hex_and_ascii("\n\t", payload);
            return Ok(());
        }
        if !self.ethertype(t, payload, length)? {
            if !self.o.eflag {
                self.sll2_header(p, proto, ifindex, halen, length.saturating_add(20));
            }
            self.hex_and_ascii("\n\t", payload);
        }
        Ok(())
    }

    /// `sll2_print`: the cooked header with `-e`.
    fn sll2_header(&mut self, p: &[u8], proto: u16, ifindex: u32, halen: u8, length: u32) {
        self.p(&format!("ifindex {ifindex} "));
        if halen == 6
            && let Some(a) = p.get(12..18)
        {
            let m = self.mac_name(a);
            self.p(&format!("{m} "));
        }
        if !self.o.qflag {
            let t = match proto {
                1 => "802.3".to_string(),
                4 => "802.2".to_string(),
                t if t <= 1500 => format!("ethertype Unknown (0x{t:04x})"),
                t => format!("ethertype {} (0x{t:04x})", ethertype_name(t).unwrap_or("Unknown")),
            };
            self.p(&format!("{t}, length {length}: "));
        }
    }

    /// `ipN_print`: a raw IP packet (DLT_RAW), by its version nibble.
    fn ipn(&mut self, p: &[u8], length: u32) -> Res {
        let Some(&b) = p.first() else {
            self.p(&format!("truncated-ip {length}"));
            return Ok(());
        };
        match b & 0xf0 {
            0x40 => self.ip(p, length),
            0x60 => self.ip6(p, length),
            v => {
                self.p(&format!("unknown ip {}", v >> 4));
                Ok(())
            }
        }
    }

    /// `arp_print`.
    fn arp(&mut self, p: &[u8], length: u32) -> Res {
        const PROTO: &str = "arp";
        let hrd = be16(p, 0, PROTO)?;
        let pro = be16(p, 2, PROTO)?;
        let hln = usize::from(u8_at(p, 4, PROTO)?);
        let pln = usize::from(u8_at(p, 5, PROTO)?);
        let op = be16(p, 6, PROTO)?;
        let (sha, spa) = (8, 8 + hln);
        let (tha, tpa) = (8 + hln + pln, 8 + 2 * hln + pln);
        bytes(p, tpa, pln, PROTO)?;
        if !self.o.eflag {
            self.p("ARP, ");
        }
        let is_ip = pro == 0x0800 || pro == 0x1000;
        if !is_ip || pln != 4 || hln == 0 || self.o.vflag > 0 {
            let h = match hrd {
                1 => "Ethernet".to_string(),
                6 => "TokenRing".to_string(),
                15 => "FrameRelay".to_string(),
                n => format!("Unknown Hardware ({n})"),
            };
            let pr = match ethertype_name(pro) {
                Some(n) => n.to_string(),
                None if pro == 0x1000 => "Trail".to_string(),
                None => format!("Unknown Protocol (0x{pro:04x})"),
            };
            self.p(&format!("{h} (len {hln}), {pr} (len {pln})"));
            if self.o.vflag == 0 {
                self.p(&format!(", length {length}"));
                return Ok(());
            }
        }
        let opname = match op {
            1 => "Request".to_string(),
            2 => "Reply".to_string(),
            3 => "Reverse Request".to_string(),
            4 => "Reverse Reply".to_string(),
            8 => "Inverse Request".to_string(),
            9 => "Inverse Reply".to_string(),
            10 => "NACK Reply".to_string(),
            n => format!("Unknown ({n})"),
        };
        let sep = if self.o.vflag > 0 { ", " } else { "" };
        self.p(&format!("{sep}{opname} "));
        let ipaddr = |at: usize| -> String {
            if !is_ip {
                "<wrong proto type>".into()
            } else if pln != 4 {
                "<wrong len>".into()
            } else {
                p.get(at..at + 4).map(|b| Ipv4Addr::new(b[0], b[1], b[2], b[3]).to_string()).unwrap_or_default()
            }
        };
        let nflag = self.o.nflag;
        let hw = |at: usize| -> String { p.get(at..at + hln).map(|b| mac_name(nflag, b)).unwrap_or_default() };
        match op {
            1 => {
                self.p(&format!("who-has {}", ipaddr(tpa)));
                if p.get(tha..tha + hln).is_some_and(|b| b.iter().any(|&x| x != 0)) {
                    self.p(&format!(" ({})", hw(tha)));
                }
                self.p(&format!(" tell {}", ipaddr(spa)));
            }
            2 => self.p(&format!("{} is-at {}", ipaddr(spa), hw(sha))),
            3 | 8 => self.p(&format!("who-is {} tell {}", hw(tha), hw(sha))),
            4 => self.p(&format!("{} at {}", hw(tha), ipaddr(tpa))),
            9 => self.p(&format!("{} at {}", hw(sha), ipaddr(spa))),
            _ => {
                let all = p.get(..tpa + pln).unwrap_or(p);
                self.hex_and_ascii("\n\t", all);
                return Ok(());
            }
        }
        self.p(&format!(", length {length}"));
        Ok(())
    }

    /// `ip_print`: an IPv4 datagram of `length` bytes (what the link layer says is left).
    pub(super) fn ip(&mut self, p: &[u8], length: u32) -> Res {
        const PROTO: &str = "ip";
        let v = u8_at(p, 0, PROTO)? >> 4;
        if v != 4 {
            if v == 6 {
                self.p("IP6, wrong link-layer encapsulation (invalid)");
            } else {
                self.p(&format!("IP{v} (invalid)"));
            }
            return Ok(());
        }
        if !self.o.eflag {
            self.p("IP ");
        }
        bytes(p, 0, 20, PROTO)?;
        if length < 20 {
            self.p(&format!("truncated-ip {length}"));
            return Ok(());
        }
        let hlen = usize::from(p[0] & 0x0f) * 4;
        if hlen < 20 {
            self.p(&format!("bad-hlen {hlen}"));
            return Ok(());
        }
        let ip_len = be16(p, 2, PROTO)?;
        let mut len = u32::from(ip_len);
        if length < len {
            self.p(&format!("truncated-ip - {} bytes missing! ", len - length));
        }
        if len < hlen as u32 {
            self.p(&format!("bad-len {len}"));
            return Ok(());
        }
        // nd_push_snaplen: nothing past the datagram (Ethernet padding) is looked at.
        let p = p.get(..len as usize).unwrap_or(p);
        len -= hlen as u32;
        let id = be16(p, 4, PROTO)?;
        let off = be16(p, 6, PROTO)?;
        let ttl = p[8];
        let proto = p[9];
        let src = ip4(p, 12, PROTO)?;
        let dst = ip4(p, 16, PROTO)?;
        if self.o.vflag > 0 {
            let tos = p[1];
            self.p(&format!("(tos 0x{tos:x}"));
            match tos & 3 {
                1 => self.p(",ECT(1)"),
                2 => self.p(",ECT(0)"),
                3 => self.p(",CE"),
                _ => {}
            }
            if ttl >= 1 {
                self.p(&format!(", ttl {ttl}"));
            }
            let mut flags = Vec::new();
            if off & 0x2000 != 0 {
                flags.push("+");
            }
            if off & 0x4000 != 0 {
                flags.push("DF");
            }
            if off & 0x8000 != 0 {
                flags.push("rsvd");
            }
            let flags = if flags.is_empty() { "none".to_string() } else { flags.join(", ") };
            self.p(&format!(
                ", id {id}, offset {}, flags [{flags}], proto {} ({proto}), length {ip_len}",
                (off & 0x1fff) * 8,
                ipproto_name(proto)
            ));
            let mut truncated = false;
            if hlen > 20 {
                self.p(", options (");
                match p.get(20..hlen) {
                    Some(opts) => self.ip_options(opts),
                    None => {
                        self.p(" [truncated-option]");
                        truncated = true;
                    }
                }
                self.p(")");
            }
            if let Some(h) = p.get(..hlen) {
                let sum = in_cksum(&[h]);
                if sum != 0 {
                    let field = be16(p, 10, PROTO)?;
                    self.p(&format!(", bad cksum {field:x} (->{:x})!", cksum_shouldbe(field, sum)));
                }
            }
            self.p(")\n    ");
            if truncated {
                self.p(&format!("{src} > {dst}: "));
                return Err(Trunc(PROTO));
            }
        }
        let hdr = IpHdr::V4 { src, dst, proto };
        if off & 0x1fff == 0 {
            if !matches!(proto, 6 | 17 | 132 | 33) {
                self.p(&format!("{src} > {dst}: "));
            }
            let Some(payload) = p.get(hlen..) else {
                self.p(&format!(" [remaining caplen({}) < header length({hlen})]", p.len()));
                return Err(Trunc(PROTO));
            };
            self.ip_demux(payload, len, proto, hdr, off & 0x2000 != 0)
        } else {
            self.p(&format!("{src} > {dst}:"));
            match netdb_protoname(proto).filter(|_| self.o.nflag == 0) {
                Some(n) => self.p(&format!(" {n}")),
                None => self.p(&format!(" ip-proto-{proto}")),
            }
            Ok(())
        }
    }

    /// `ip_optprint`: the names of the options, comma-separated.
    fn ip_options(&mut self, mut opts: &[u8]) {
        let mut sep = "";
        while let Some(&code) = opts.first() {
            self.p(sep);
            sep = ",";
            let name = match code {
                0 => "EOL".to_string(),
                1 => "NOP".to_string(),
                68 => "timestamp".to_string(),
                130 => "security".to_string(),
                7 => "RR".to_string(),
                137 => "SSRR".to_string(),
                131 => "LSRR".to_string(),
                148 => "RA".to_string(),
                82 => "traceroute".to_string(),
                n => format!("unknown {n}"),
            };
            self.p(&name);
            let len = if code <= 1 {
                1
            } else {
                match opts.get(1) {
                    Some(&l) if l >= 2 => usize::from(l),
                    Some(&l) => {
                        self.p(&format!(" [bad length {l}]"));
                        return;
                    }
                    None => {
                        self.p(" [bad length 0]");
                        return;
                    }
                }
            };
            if len > opts.len() {
                self.p(&format!(" [bad length {len}]"));
                return;
            }
            match code {
                0 => return,
                148 if len >= 4 => {
                    let v = u16::from_be_bytes([opts[2], opts[3]]);
                    if v != 0 {
                        self.p(&format!(" value {v}"));
                    }
                }
                148 => self.p(&format!(" [bad length {len}]")),
                7 | 131 | 137 if len >= 3 => {
                    let ptr = usize::from(opts[2]).saturating_sub(1);
                    let mut i = 3;
                    while i + 4 <= len {
                        let a = Ipv4Addr::new(opts[i], opts[i + 1], opts[i + 2], opts[i + 3]);
                        self.p(&format!(" {a}"));
                        if ptr > i {
                            self.p(",");
                        }
                        i += 4;
                    }
                }
                _ => {}
            }
            opts = &opts[len..];
        }
    }

    /// `ip_demux_print`: the protocol after an IPv4 or IPv6 header (and its extension headers).
    pub(super) fn ip_demux(&mut self, p: &[u8], length: u32, nh: u8, hdr: IpHdr, fragmented: bool) -> Res {
        match (nh, hdr) {
            (1, IpHdr::V4 { .. }) => self.icmp(p, length, fragmented),
            (1, IpHdr::V6 { .. }) => {
                self.p("[ICMP requires IPv4]");
                Ok(())
            }
            (58, IpHdr::V6 { .. }) => self.icmp6(p, length, hdr, fragmented),
            (58, IpHdr::V4 { .. }) => {
                self.p("[ICMPv6 requires IPv6]");
                Ok(())
            }
            (6, _) => self.tcp(p, length, hdr, fragmented),
            (17, _) => self.udp(p, length, hdr, fragmented),
            (2, _) => self.igmp(p, length),
            (4, _) => self.ip(p, length),
            (41, _) => self.ip6(p, length),
            (59, _) => {
                self.p("no next header");
                Ok(())
            }
            (n, _) => {
                match netdb_protoname(n).filter(|_| self.o.nflag == 0) {
                    Some(name) => self.p(&format!(" {name}")),
                    None => self.p(&format!(" ip-proto-{n}")),
                }
                self.p(&format!(" {length}"));
                Ok(())
            }
        }
    }

    /// `icmp_print`.
    fn icmp(&mut self, p: &[u8], plen: u32, fragmented: bool) -> Res {
        const PROTO: &str = "icmp";
        let t = u8_at(p, 0, PROTO)?;
        let code = u8_at(p, 1, PROTO)?;
        let inner_dst = |p: &[u8]| ip4(p, 24, PROTO);
        let s = match t {
            0 | 8 => format!(
                "echo {}, id {}, seq {}",
                if t == 8 { "request" } else { "reply" },
                be16(p, 4, PROTO)?,
                be16(p, 6, PROTO)?
            ),
            3 => match code {
                0 => format!("net {} unreachable", inner_dst(p)?),
                1 => format!("host {} unreachable", inner_dst(p)?),
                2 => format!("{} protocol {} unreachable", inner_dst(p)?, u8_at(p, 17, PROTO)?),
                3 => {
                    let ihl = usize::from(u8_at(p, 8, PROTO)? & 0x0f) * 4;
                    let dport = be16(p, 8 + ihl + 2, PROTO)?;
                    let oproto = u8_at(p, 17, PROTO)?;
                    let dst = inner_dst(p)?;
                    match oproto {
                        6 => format!("{dst} tcp port {} unreachable", self.port(dport, b't')),
                        17 => format!("{dst} udp port {} unreachable", self.port(dport, b'u')),
                        _ => format!("{dst} protocol {oproto} port {dport} unreachable"),
                    }
                }
                4 => {
                    let mtu = be16(p, 6, PROTO)?;
                    let dst = inner_dst(p)?;
                    if mtu != 0 {
                        format!("{dst} unreachable - need to frag (mtu {mtu})")
                    } else {
                        format!("{dst} unreachable - need to frag")
                    }
                }
                c => {
                    let dst = inner_dst(p)?;
                    match c {
                        5 => format!("{dst} unreachable - source route failed"),
                        6 => format!("net {dst} unreachable - unknown"),
                        7 => format!("host {dst} unreachable - unknown"),
                        8 => format!("{dst} unreachable - source host isolated"),
                        9 => format!("net {dst} unreachable - admin prohibited"),
                        10 => format!("host {dst} unreachable - admin prohibited"),
                        11 => format!("net {dst} unreachable - tos prohibited"),
                        12 => format!("host {dst} unreachable - tos prohibited"),
                        13 => format!("host {dst} unreachable - admin prohibited filter"),
                        14 => format!("host {dst} unreachable - host precedence violation"),
                        15 => format!("host {dst} unreachable - precedence cutoff"),
                        c => format!("{dst} unreachable - #{c}"),
                    }
                }
            },
            5 => {
                let dst = inner_dst(p)?;
                let gw = ip4(p, 4, PROTO)?;
                match code {
                    0 => format!("redirect {dst} to net {gw}"),
                    1 => format!("redirect {dst} to host {gw}"),
                    2 => format!("redirect-tos {dst} to net {gw}"),
                    3 => format!("redirect-tos {dst} to host {gw}"),
                    c => format!("redirect-#{c} {dst} to {gw}"),
                }
            }
            11 => {
                inner_dst(p)?;
                match code {
                    0 => "time exceeded in-transit".into(),
                    1 => "ip reassembly time exceeded".into(),
                    c => format!("time exceeded-#{c}"),
                }
            }
            12 => {
                if code != 0 {
                    format!("parameter problem - code {code}")
                } else {
                    format!("parameter problem - octet {}", u8_at(p, 4, PROTO)?)
                }
            }
            13 => format!("time stamp query id {} seq {}", be16(p, 4, PROTO)?, be16(p, 6, PROTO)?),
            14 => format!(
                "time stamp reply id {} seq {}: org {}, recv {}, xmit {}",
                be16(p, 4, PROTO)?,
                be16(p, 6, PROTO)?,
                icmp_tstamp(be32(p, 8, PROTO)?),
                icmp_tstamp(be32(p, 12, PROTO)?),
                icmp_tstamp(be32(p, 16, PROTO)?)
            ),
            18 => format!("address mask is 0x{:08x}", be32(p, 8, PROTO)?),
            4 => "source quench".into(),
            10 => "router solicitation".into(),
            15 => "information request".into(),
            16 => "information reply".into(),
            17 => "address mask request".into(),
            t => format!("type-#{t}"),
        };
        self.p(&format!("ICMP {s}, length {plen}"));
        if self.o.vflag > 0
            && !fragmented
            && let Some(all) = p.get(..plen as usize)
        {
            let sum = in_cksum(&[all]);
            if sum != 0 {
                let field = be16(p, 2, PROTO)?;
                self.p(&format!(" (wrong icmp cksum {field:x} (->{:x})!)", cksum_shouldbe(field, sum)));
            }
        }
        if self.o.vflag > 0 && matches!(t, 3 | 4 | 5 | 11 | 12) {
            self.p("\n\t");
            let inner = p.get(8..).unwrap_or_default();
            let ilen = be16(inner, 2, PROTO)?;
            let inner = inner.get(..usize::from(ilen)).unwrap_or(inner);
            // The quoted datagram's printer owns its own truncation marks.
            if let Err(Trunc(pr)) = self.ip(inner, u32::from(ilen)) {
                self.p(&format!(" [|{pr}]"));
            }
        }
        Ok(())
    }

    /// `igmp_print`: queries (v1, v2, v3), reports (v1, v2, v3) and leaves.
    fn igmp(&mut self, p: &[u8], len: u32) -> Res {
        const PROTO: &str = "igmp";
        if self.o.qflag {
            self.p("igmp");
            return Ok(());
        }
        bytes(p, 0, 4, PROTO)?;
        let t = p[0];
        match t {
            0x11 => {
                self.p("igmp query");
                if len >= 12 {
                    self.igmpv3_query(p, len)?;
                } else {
                    let mrt = p[1];
                    if mrt != 0 {
                        self.p(" v2");
                        if mrt != 100 {
                            self.p(&format!(" [max resp time {mrt}]"));
                        }
                    } else {
                        self.p(" v1");
                    }
                    let g = ip4(p, 4, PROTO)?;
                    if !g.is_unspecified() {
                        self.p(&format!(" [gaddr {g}]"));
                    }
                    if len != 8 {
                        self.p(&format!(" [len {len}]"));
                    }
                }
            }
            0x12 => {
                self.p(&format!("igmp v1 report {}", ip4(p, 4, PROTO)?));
                if len != 8 {
                    self.p(&format!(" [len {len}]"));
                }
            }
            0x16 => self.p(&format!("igmp v2 report {}", ip4(p, 4, PROTO)?)),
            0x17 => self.p(&format!("igmp leave {}", ip4(p, 4, PROTO)?)),
            0x22 => {
                self.p("igmp v3 report");
                self.igmpv3_report(p, len)?;
            }
            t => self.p(&format!("igmp-{t}")),
        }
        if self.o.vflag > 0
            && len >= 4
            && let Some(all) = p.get(..len as usize)
            && in_cksum(&[all]) != 0
        {
            self.p(&format!(" bad igmp cksum {:x}!", be16(p, 2, PROTO)?));
        }
        Ok(())
    }

    /// `print_igmpv3_report`.
    fn igmpv3_report(&mut self, p: &[u8], len: u32) -> Res {
        const PROTO: &str = "igmp";
        if len < 16 || len & 3 != 0 {
            self.p(&format!(" [invalid len {len}]"));
            return Ok(());
        }
        let ngroups = be16(p, 6, PROTO)?;
        self.p(&format!(", {ngroups} group record(s)"));
        if self.o.vflag == 0 {
            return Ok(());
        }
        let len = len as usize;
        let mut group = 8usize;
        for _ in 0..ngroups {
            if len < group + 8 {
                self.p(" [invalid number of groups]");
                return Ok(());
            }
            self.p(&format!(" [gaddr {}", ip4(p, group + 4, PROTO)?));
            let r = match u8_at(p, group, PROTO)? {
                1 => "is_in".to_string(),
                2 => "is_ex".to_string(),
                3 => "to_in".to_string(),
                4 => "to_ex".to_string(),
                5 => "allow".to_string(),
                6 => "block".to_string(),
                n => format!(" [v3-report-#{n}]"),
            };
            self.p(&format!(" {r}"));
            let nsrcs = usize::from(be16(p, group + 2, PROTO)?);
            if len < group + 8 + (nsrcs << 2) {
                self.p(&format!(" [invalid number of sources {nsrcs}]"));
                return Ok(());
            }
            if self.o.vflag == 1 {
                self.p(&format!(", {nsrcs} source(s)"));
            } else {
                self.p(" {");
                for j in 0..nsrcs {
                    self.p(&format!(" {}", ip4(p, group + 8 + (j << 2), PROTO)?));
                }
                self.p(" }");
            }
            group += 8 + (nsrcs << 2);
            self.p("]");
        }
        Ok(())
    }

    /// `print_igmpv3_query`.
    fn igmpv3_query(&mut self, p: &[u8], len: u32) -> Res {
        const PROTO: &str = "igmp";
        self.p(" v3");
        if len < 12 || len & 3 != 0 {
            self.p(&format!(" [invalid len {len}]"));
            return Ok(());
        }
        let mrc = u32::from(u8_at(p, 1, PROTO)?);
        let mrt = if mrc < 128 { mrc } else { ((mrc & 0x0f) | 0x10) << (((mrc & 0x70) >> 4) + 3) };
        if mrc != 100 {
            if mrt < 600 {
                self.p(&format!(" [max resp time {}.{}s]", mrt / 10, mrt % 10));
            } else {
                self.p(&format!(" [max resp time {}]", relts(mrt / 10)));
            }
        }
        let g = ip4(p, 4, PROTO)?;
        if g.is_unspecified() {
            return Ok(());
        }
        self.p(&format!(" [gaddr {g}"));
        let nsrcs = usize::from(be16(p, 10, PROTO)?);
        if nsrcs > 0 {
            if (len as usize) < 12 + (nsrcs << 2) {
                self.p(" [invalid number of sources]");
            } else if self.o.vflag > 1 {
                self.p(" {");
                for i in 0..nsrcs {
                    self.p(&format!(" {}", ip4(p, 12 + (i << 2), PROTO)?));
                }
                self.p(" }");
            } else {
                self.p(&format!(", {nsrcs} source(s)"));
            }
        }
        self.p("]");
        Ok(())
    }

    /// `vxlan_print` (UDP port 4789): the header, then the inner Ethernet frame on a new line.
    fn vxlan(&mut self, p: &[u8], len: u32) -> Res {
        self.p("VXLAN");
        if len < 8 || p.len() < 8 {
            self.p(" (invalid)");
            return Ok(());
        }
        let flags = p[0];
        let vni = u32::from_be_bytes([0, p[4], p[5], p[6]]);
        let i = if flags & 0x08 != 0 { "I" } else { "." };
        self.p(&format!(", flags [{i}] (0x{flags:02x}), vni {vni}\n"));
        self.ether(&p[8..], len - 8)
    }

    /// `tcpport_string` / `udpport_string`: the service name without `-n`, else the number.
    pub(super) fn port(&self, port: u16, proto: u8) -> String {
        if self.o.nflag == 0
            && let Some((_, _, name)) = SERVICES.iter().find(|(n, pr, _)| *n == port && *pr == proto)
        {
            return (*name).to_string();
        }
        port.to_string()
    }

    /// `udpipaddr_print`.
    fn udp_addrs(&mut self, hdr: IpHdr, ports: Option<(u16, u16)>) {
        let s = match (hdr.proto() == 17, ports) {
            (true, None) => format!("{} > {}: ", hdr.src(), hdr.dst()),
            (true, Some((s, d))) => {
                format!("{}.{} > {}.{}: ", hdr.src(), self.port(s, b'u'), hdr.dst(), self.port(d, b'u'))
            }
            (false, Some((s, d))) => format!("{} > {}: ", self.port(s, b'u'), self.port(d, b'u')),
            (false, None) => String::new(),
        };
        self.p(&s);
    }

    /// `udp_print`.
    fn udp(&mut self, p: &[u8], length: u32, hdr: IpHdr, fragmented: bool) -> Res {
        const PROTO: &str = "udp";
        let (Ok(sport), Ok(dport)) = (be16(p, 0, PROTO), be16(p, 2, PROTO)) else {
            self.udp_addrs(hdr, None);
            return Err(Trunc(PROTO));
        };
        if length < 8 {
            self.udp_addrs(hdr, Some((sport, dport)));
            self.p(&format!("truncated-udp {length}"));
            return Ok(());
        }
        let Ok(ulen16) = be16(p, 4, PROTO) else {
            self.udp_addrs(hdr, Some((sport, dport)));
            return Err(Trunc(PROTO));
        };
        let mut ulen = u32::from(ulen16);
        if ulen == 0 && length > 65535 {
            ulen = length;
        }
        if ulen < 8 {
            self.udp_addrs(hdr, Some((sport, dport)));
            self.p(&format!("truncated-udplength {ulen}"));
            return Ok(());
        }
        ulen -= 8;
        let mut length = length - 8;
        if ulen < length {
            length = ulen;
        }
        self.udp_addrs(hdr, Some((sport, dport)));
        if self.o.vflag > 0 && !fragmented {
            let field = be16(p, 6, PROTO)?;
            let check = match hdr {
                IpHdr::V4 { .. } if self.o.vflag > 1 => {
                    if field == 0 {
                        self.p("[no cksum] ");
                        false
                    } else {
                        true
                    }
                }
                IpHdr::V4 { .. } => false,
                IpHdr::V6 { .. } => true,
            };
            if check && let Some(seg) = p.get(..length as usize + 8) {
                let sum = in_cksum(&[&hdr.pseudo(seg.len(), 17), seg]);
                if sum != 0 {
                    self.p(&format!("[bad udp cksum 0x{field:04x} -> 0x{:04x}!] ", cksum_shouldbe(field, sum)));
                } else {
                    self.p("[udp sum ok] ");
                }
            }
        }
        if !self.o.qflag && (sport == 4789 || dport == 4789) {
            let payload = p.get(8..).unwrap_or_default();
            return self.vxlan(payload, length);
        }
        if ulen > length && !fragmented {
            self.p(&format!("UDP, bad length {ulen} > {length}"));
        } else {
            self.p(&format!("UDP, length {ulen}"));
        }
        Ok(())
    }

    /// `hex_and_ascii_print`: 16 bytes a line, hex in pairs then the printable characters.
    pub(super) fn hex_and_ascii(&mut self, ident: &str, p: &[u8]) {
        for (n, line) in p.chunks(16).enumerate() {
            let mut hex = String::new();
            let mut ascii = String::new();
            for pair in line.chunks(2) {
                match pair {
                    [a, b] => {
                        let _ = write!(hex, " {a:02x}{b:02x}");
                    }
                    [a] => {
                        let _ = write!(hex, " {a:02x}");
                    }
                    _ => {}
                }
                for &c in pair {
                    ascii.push(if (0x21..=0x7e).contains(&c) { char::from(c) } else { '.' });
                }
            }
            let _ = write!(self.out, "{ident}0x{:04x}: {hex:<40}  {ascii}", n * 16);
        }
    }

    /// `hex_print` (what `print_unknown_data` uses): 16 bytes a line, hex in pairs.
    pub(super) fn hex(&mut self, ident: &str, p: &[u8]) {
        for (n, line) in p.chunks(16).enumerate() {
            let _ = write!(self.out, "{ident}0x{:04x}: ", n * 16);
            for pair in line.chunks(2) {
                match pair {
                    [a, b] => {
                        let _ = write!(self.out, " {a:02x}{b:02x}");
                    }
                    [a] => {
                        let _ = write!(self.out, " {a:02x}");
                    }
                    _ => {}
                }
            }
        }
    }
}

/// `unsigned_relts_print`: seconds as `1y2w3d4h5m6s`, zero units left out.
fn relts(mut secs: u32) -> String {
    if secs == 0 {
        return "0s".into();
    }
    let mut s = String::new();
    for (unit, n) in [("y", 31_536_000), ("w", 604_800), ("d", 86_400), ("h", 3600), ("m", 60), ("s", 1)] {
        if secs >= n {
            let _ = write!(s, "{}{unit}", secs / n);
            secs %= n;
        }
    }
    s
}

/// `icmp_tstamp_print`: milliseconds since midnight UT as `HH:MM:SS.mmm`.
fn icmp_tstamp(ms: u32) -> String {
    if ms > 86_400_000 {
        return format!("[not UTC] {ms}");
    }
    let (h, m, s, milli) = (ms / 3_600_000, (ms / 60_000) % 60, (ms / 1000) % 60, ms % 1000);
    format!("{h:02}:{m:02}:{s:02}.{milli:03}")
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn opts(n: u8, e: bool, v: u8, q: bool) -> PrintOpts {
        PrintOpts { nflag: n, eflag: e, vflag: v, qflag: q, absolute_seq: false }
    }

    #[test]
    fn timestamps_are_the_virtual_time_of_day() {
        let mut p = Printer::new(opts(1, false, 0, false), BTreeMap::new());
        let l = p.packet(LINKTYPE_ETHERNET, 90_061_000_001_999, &[0; 10], 10);
        // 25 h 1 min 1 s: the day wraps; nanoseconds are cut to microseconds.
        assert_eq!(l, "01:01:01.000001  [|ether]\n");
    }

    #[test]
    fn mac_names_follow_nflag() {
        assert_eq!(mac_name(1, &[0xff; 6]), "ff:ff:ff:ff:ff:ff");
        assert_eq!(mac_name(0, &[0xff; 6]), "Broadcast");
        assert_eq!(mac_name(0, &[0, 0, 0x0c, 1, 2, 3]), "00:00:0c:01:02:03 (oui Cisco)");
        assert_eq!(mac_name(0, &[2, 0, 0, 0, 0, 0xa]), "02:00:00:00:00:0a (oui Unknown)");
        assert_eq!(mac_name(0, &[1, 2]), "01:02");
    }

    #[test]
    fn checksums() {
        // RFC 1071's example sums to 0xddf2; its complement is the checksum.
        assert_eq!(in_cksum(&[&[0x00, 0x01, 0xf2, 0x03], &[0xf4, 0xf5, 0xf6, 0xf7]]), !0xddf2);
        assert_eq!(in_cksum(&[&[0x00, 0x01, 0xf2], &[0x03, 0xf4, 0xf5, 0xf6, 0xf7]]), !0xddf2);
        assert_eq!(cksum_shouldbe(0, !0xddf2), !0xddf2);
    }

    #[test]
    fn an_arp_request_without_and_with_e() {
        let mut f = vec![0xff; 6];
        f.extend_from_slice(&[2, 0, 0, 0, 0, 0xa, 8, 6, 0, 1, 8, 0, 6, 4, 0, 1, 2, 0, 0, 0, 0, 0xa, 10, 0, 0, 1]);
        f.extend_from_slice(&[0; 6]);
        f.extend_from_slice(&[10, 0, 0, 2]);
        let mut p = Printer::new(opts(1, false, 0, false), BTreeMap::new());
        let l = p.packet(LINKTYPE_ETHERNET, 0, &f, 42);
        assert_eq!(l, "00:00:00.000000 ARP, Request who-has 10.0.0.2 tell 10.0.0.1, length 28\n");
        let mut p = Printer::new(opts(1, true, 1, false), BTreeMap::new());
        let l = p.packet(LINKTYPE_ETHERNET, 0, &f, 42);
        assert_eq!(
            l,
            "00:00:00.000000 02:00:00:00:00:0a > ff:ff:ff:ff:ff:ff, ethertype ARP (0x0806), length 42: \
             Ethernet (len 6), IPv4 (len 4), Request who-has 10.0.0.2 tell 10.0.0.1, length 28\n"
        );
    }

    /// A frame likely to reach the deep printers: an Ethernet header with a known type, an IP
    /// header with a chosen protocol, then random bytes.
    fn structured() -> impl Strategy<Value = Vec<u8>> {
        let l3 = prop_oneof![Just(0x0800u16), Just(0x86dd), Just(0x0806), Just(0x8100), any::<u16>()];
        let proto =
            prop_oneof![Just(1u8), Just(6), Just(17), Just(58), Just(0), Just(44), Just(60), Just(4), any::<u8>()];
        (l3, proto, proptest::collection::vec(any::<u8>(), 0..120), any::<u8>()).prop_map(|(t, pr, tail, ihl)| {
            let mut f = vec![2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2];
            f.extend_from_slice(&t.to_be_bytes());
            match t {
                0x0800 => {
                    let len = (20 + tail.len()) as u16;
                    f.extend_from_slice(&[0x40 | (ihl % 16), 0]);
                    f.extend_from_slice(&len.to_be_bytes());
                    f.extend_from_slice(&[0, 1, 0, 0, 64, pr, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2]);
                }
                0x86dd => {
                    f.extend_from_slice(&[0x60, 0, 0, 0]);
                    f.extend_from_slice(&(tail.len() as u16).to_be_bytes());
                    f.extend_from_slice(&[pr, 64]);
                    f.extend_from_slice(&[0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
                    f.extend_from_slice(&[0xff, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
                }
                _ => {}
            }
            f.extend_from_slice(&tail);
            f
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        /// Any bytes, any link type, any flags: one line (at least), never a panic.
        #[test]
        fn random_frames_never_panic(
            data in prop_oneof![proptest::collection::vec(any::<u8>(), 0..200), structured()],
            lt in prop_oneof![Just(LINKTYPE_ETHERNET), Just(LINKTYPE_LINUX_SLL2), Just(LINKTYPE_RAW), any::<u32>()],
            n in 0u8..3, e: bool, v in 0u8..4, q: bool, extra in 0u32..64,
        ) {
            let mut p = Printer::new(opts(n, e, v, q), BTreeMap::new());
            // The wire length may claim more than was captured.
            let line = p.packet(lt, 1_000, &data, data.len() as u32 + extra);
            prop_assert!(line.starts_with("00:00:00.000001 "));
            prop_assert!(line.ends_with('\n'));
            // The printer keeps TCP state between packets: a second one must not trip on it.
            let again = p.packet(lt, 2_000, &data, data.len() as u32);
            prop_assert!(again.ends_with('\n'));
        }
    }
}
