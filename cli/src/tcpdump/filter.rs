//! Capture filters: the subset of libpcap's filter language (`gencode.c`, `grammar.y`) scripts
//! use, evaluated on the captured frame the way the compiled BPF program would:
//!
//! - protocols: `ether`, `arp`, `rarp`, `ip`, `ip6`, `icmp`, `icmp6`, `tcp`, `udp`;
//! - `[PROTO] [src|dst] host ADDR`, `[PROTO] [src|dst] net ADDR/LEN`, `[tcp|udp] [src|dst] port N`
//!   (a number or a service name), `ether [src|dst] [host] MAC`, and a bare `ADDR` or
//!   `src|dst ADDR` for a host;
//! - `not` / `!`, `and` / `&&`, `or` / `||`, parentheses; `and` binds tighter than `or`.
//!
//! As BPF does, the fields are read at fixed offsets: `icmp6`, `tcp`, `udp` and `port` look at the
//! IPv6 fixed header's next-header field (and one fragment header), not past other extension
//! headers; a VLAN tag hides the frame from `ip`/`arp`. Anything else is libpcap's
//! `syntax error`; bad values get libpcap's own messages (`unknown host 'x'`,
//! `illegal port number 70000 > 65535`, ...).

use std::net::{IpAddr, Ipv4Addr};

use super::pcap::{LINKTYPE_ETHERNET, LINKTYPE_LINUX_SLL2, LINKTYPE_RAW};
use super::services::SERVICES;

/// Which address or port of a packet a primitive looks at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Dir {
    Src,
    Dst,
    Either,
}

/// A protocol qualifier.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Proto {
    Ether,
    Arp,
    Rarp,
    Ip,
    Ip6,
    Icmp,
    Icmp6,
    Tcp,
    Udp,
}

/// A parsed filter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Filter {
    /// Matches every packet (no expression).
    All,
    /// `arp`, `ip`, `tcp`, ...
    Proto(Proto),
    /// `[PROTO] [src|dst] host ADDR`.
    Host(Option<Proto>, Dir, IpAddr),
    /// `[PROTO] [src|dst] net ADDR/LEN`.
    Net(Option<Proto>, Dir, IpAddr, u8),
    /// `[tcp|udp] [src|dst] port N`.
    Port(Option<Proto>, Dir, u16),
    /// `ether [src|dst] [host] MAC`.
    EtherHost(Dir, [u8; 6]),
    /// `not` / `!`.
    Not(Box<Filter>),
    /// `and` / `&&`.
    And(Box<Filter>, Box<Filter>),
    /// `or` / `||`.
    Or(Box<Filter>, Box<Filter>),
}

/// Split the expression words into tokens: parentheses and `!` stand alone even when glued.
fn tokens(words: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    for w in words {
        let mut cur = String::new();
        for c in w.chars() {
            if matches!(c, '(' | ')') || (c == '!' && cur.is_empty()) {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
                out.push(c.to_string());
            } else if c.is_whitespace() {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
            } else {
                cur.push(c);
            }
        }
        if !cur.is_empty() {
            out.push(cur);
        }
    }
    out
}

const SYNTAX: &str = "can't parse filter expression: syntax error";

struct Parser {
    toks: Vec<String>,
    pos: usize,
}

impl Parser {
    fn peek(&self) -> Option<&str> {
        self.toks.get(self.pos).map(String::as_str)
    }

    fn next(&mut self) -> Option<String> {
        let t = self.toks.get(self.pos).cloned();
        self.pos += 1;
        t
    }

    fn or(&mut self) -> Result<Filter, String> {
        let mut l = self.and()?;
        while matches!(self.peek(), Some("or" | "||")) {
            self.pos += 1;
            let r = self.and()?;
            l = Filter::Or(Box::new(l), Box::new(r));
        }
        Ok(l)
    }

    fn and(&mut self) -> Result<Filter, String> {
        let mut l = self.not()?;
        while matches!(self.peek(), Some("and" | "&&")) {
            self.pos += 1;
            let r = self.not()?;
            l = Filter::And(Box::new(l), Box::new(r));
        }
        Ok(l)
    }

    fn not(&mut self) -> Result<Filter, String> {
        match self.peek() {
            Some("not" | "!") => {
                self.pos += 1;
                Ok(Filter::Not(Box::new(self.not()?)))
            }
            Some("(") => {
                self.pos += 1;
                let f = self.or()?;
                if self.next().as_deref() != Some(")") {
                    return Err(SYNTAX.into());
                }
                Ok(f)
            }
            _ => self.primitive(),
        }
    }

    fn dir(&mut self) -> Dir {
        match self.peek() {
            Some("src") => {
                self.pos += 1;
                Dir::Src
            }
            Some("dst") => {
                self.pos += 1;
                Dir::Dst
            }
            _ => Dir::Either,
        }
    }

    fn primitive(&mut self) -> Result<Filter, String> {
        let Some(first) = self.peek().map(str::to_string) else { return Err(SYNTAX.into()) };
        let proto = match first.as_str() {
            "ether" => Some(Proto::Ether),
            "arp" => Some(Proto::Arp),
            "rarp" => Some(Proto::Rarp),
            "ip" => Some(Proto::Ip),
            "ip6" => Some(Proto::Ip6),
            "icmp" => Some(Proto::Icmp),
            "icmp6" => Some(Proto::Icmp6),
            "tcp" => Some(Proto::Tcp),
            "udp" => Some(Proto::Udp),
            _ => None,
        };
        if proto.is_some() {
            self.pos += 1;
        }
        let dir = self.dir();
        let kw = self.peek().map(str::to_string);
        if proto == Some(Proto::Ether) {
            if kw.as_deref() == Some("host") {
                self.pos += 1;
            } else if dir == Dir::Either && kw.as_deref() != Some("host") {
                return Err(SYNTAX.into());
            }
            let Some(v) = self.next() else { return Err(SYNTAX.into()) };
            return parse_mac(&v).map(|m| Filter::EtherHost(dir, m)).ok_or(format!("unknown ether host '{v}'"));
        }
        match kw.as_deref() {
            Some("host") => {
                self.pos += 1;
                let Some(v) = self.value() else { return Err(SYNTAX.into()) };
                let a = parse_host(&v)?;
                Ok(Filter::Host(proto, dir, a))
            }
            Some("net") => {
                self.pos += 1;
                let Some(v) = self.value() else { return Err(SYNTAX.into()) };
                let (a, len) = parse_net(&v)?;
                Ok(Filter::Net(proto, dir, a, len))
            }
            Some("port") => {
                if matches!(proto, Some(p) if !matches!(p, Proto::Tcp | Proto::Udp | Proto::Ip | Proto::Ip6)) {
                    return Err(SYNTAX.into());
                }
                self.pos += 1;
                let Some(v) = self.value() else { return Err(SYNTAX.into()) };
                Ok(Filter::Port(proto, dir, parse_port(&v, proto)?))
            }
            _ if dir != Dir::Either || proto.is_none() => {
                // `src 10.0.0.1`, `src NAME`, or a bare address: an implicit `host` (a bare name
                // is a syntax error in libpcap's grammar).
                let Some(v) = self.value() else { return Err(SYNTAX.into()) };
                let numeric = v.parse::<IpAddr>().is_ok() || inet_aton(&v).is_some();
                if !numeric && (dir == Dir::Either || !is_name(&v)) {
                    return Err(SYNTAX.into());
                }
                Ok(Filter::Host(proto, dir, parse_host(&v)?))
            }
            _ => Ok(Filter::Proto(proto.unwrap_or(Proto::Ip))),
        }
    }

    /// The value after `host`, `net`, `port`: any token but an operator.
    fn value(&mut self) -> Option<String> {
        match self.peek() {
            None | Some("and" | "or" | "not" | "&&" | "||" | "!" | "(" | ")") => None,
            Some(_) => self.next(),
        }
    }
}

/// A word that could be a host name (libpcap would look it up, and fail: `unknown host`).
fn is_name(s: &str) -> bool {
    s.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | ':'))
        && !matches!(s, "host" | "net" | "port" | "src" | "dst" | "and" | "or" | "not")
        && s.chars().next().is_some_and(|c| c.is_ascii_alphanumeric())
}

/// `pcap_nametoaddr`: a numeric address (there is no name service in the simulator).
fn parse_host(v: &str) -> Result<IpAddr, String> {
    if let Ok(a) = v.parse::<IpAddr>() {
        return Ok(a);
    }
    // libpcap takes the inet_aton short forms (`10.1` is 10.0.0.1, `1.2.3` is 1.2.0.3).
    if let Some(a) = inet_aton(v) {
        return Ok(IpAddr::V4(a));
    }
    Err(format!("unknown host '{v}'"))
}

/// `inet_aton`'s one- to three-part forms.
fn inet_aton(v: &str) -> Option<Ipv4Addr> {
    let parts: Vec<u32> = v.split('.').map(|p| p.parse::<u32>().ok()).collect::<Option<_>>()?;
    let n = match parts.as_slice() {
        [a] => *a,
        [a, b] if *a < 256 && *b < (1 << 24) => (a << 24) | b,
        [a, b, c] if *a < 256 && *b < 256 && *c < (1 << 16) => (a << 24) | (b << 16) | c,
        _ => return None,
    };
    Some(Ipv4Addr::from(n))
}

fn parse_net(v: &str) -> Result<(IpAddr, u8), String> {
    let (a, len) = match v.split_once('/') {
        Some((a, l)) => (a, Some(l)),
        None => (v, None),
    };
    let addr = parse_host(a).map_err(|_| format!("unknown network '{a}'"))?;
    let max = if addr.is_ipv4() { 32 } else { 128 };
    let len = match len {
        Some(l) => {
            let n: u32 = l.parse().map_err(|_| SYNTAX.to_string())?;
            if n > max {
                return Err(format!("mask length must be <= {max}"));
            }
            n as u8
        }
        None => max as u8,
    };
    Ok((addr, len))
}

/// A port number or a service name (`pcap_nametoport`).
fn parse_port(v: &str, proto: Option<Proto>) -> Result<u16, String> {
    if let Ok(n) = v.parse::<u64>() {
        return u16::try_from(n).map_err(|_| format!("illegal port number {n} > 65535"));
    }
    let want = match proto {
        Some(Proto::Udp) => Some(b'u'),
        Some(Proto::Tcp) => Some(b't'),
        _ => None,
    };
    SERVICES
        .iter()
        .find(|(_, pr, name)| *name == v && want.is_none_or(|w| w == *pr))
        .map(|(n, _, _)| *n)
        .ok_or(format!("unknown port '{v}'"))
}

fn parse_mac(v: &str) -> Option<[u8; 6]> {
    let parts: Vec<&str> = v.split([':', '-', '.']).collect();
    let mut m = [0u8; 6];
    if parts.len() != 6 {
        return None;
    }
    for (i, p) in parts.iter().enumerate() {
        if p.is_empty() || p.len() > 2 {
            return None;
        }
        m[i] = u8::from_str_radix(p, 16).ok()?;
    }
    Some(m)
}

impl Filter {
    /// `pcap_compile`: the expression words (tcpdump joins them with spaces). The error is the
    /// message tcpdump prints after `tcpdump: `.
    pub(crate) fn parse(words: &[String]) -> Result<Filter, String> {
        let toks = tokens(words);
        if toks.is_empty() {
            return Ok(Filter::All);
        }
        let mut p = Parser { toks, pos: 0 };
        let f = p.or()?;
        if p.pos != p.toks.len() {
            return Err(SYNTAX.into());
        }
        Ok(f)
    }

    /// `gen_ehostop`'s check when the program is generated for `linktype`: Ethernet addresses
    /// need an Ethernet header.
    pub(crate) fn check(&self, linktype: u32) -> Result<(), String> {
        match self {
            Filter::EtherHost(..) if linktype != LINKTYPE_ETHERNET => {
                Err("ethernet addresses supported only on ethernet/FDDI/token ring/802.11/ATM LANE/Fibre Channel"
                    .into())
            }
            Filter::Not(f) => f.check(linktype),
            Filter::And(a, b) | Filter::Or(a, b) => a.check(linktype).and(b.check(linktype)),
            _ => Ok(()),
        }
    }

    /// Does the captured frame pass the filter?
    pub(crate) fn matches(&self, linktype: u32, frame: &[u8]) -> bool {
        match self {
            Filter::All => true,
            Filter::Not(f) => !f.matches(linktype, frame),
            Filter::And(a, b) => a.matches(linktype, frame) && b.matches(linktype, frame),
            Filter::Or(a, b) => a.matches(linktype, frame) || b.matches(linktype, frame),
            _ => Pkt::parse(linktype, frame).is_some_and(|p| self.leaf(&p)),
        }
    }

    fn leaf(&self, p: &Pkt<'_>) -> bool {
        match *self {
            Filter::Proto(pr) => p.is(pr),
            Filter::Host(pr, dir, a) => {
                let ok_proto = |want: Proto| pr.is_none_or(|x| x == want);
                match a {
                    IpAddr::V4(a) => {
                        let a = a.octets();
                        let ip = ok_proto(Proto::Ip) && p.ethertype == 0x0800 && p.addr_match(12, 16, 4, dir, &a);
                        let arp = (ok_proto(Proto::Arp) && p.ethertype == 0x0806
                            || ok_proto(Proto::Rarp) && p.ethertype == 0x8035)
                            && p.addr_match(14, 24, 4, dir, &a);
                        ip || arp
                    }
                    IpAddr::V6(a) => {
                        ok_proto(Proto::Ip6) && p.ethertype == 0x86dd && p.addr_match(8, 24, 16, dir, &a.octets())
                    }
                }
            }
            Filter::Net(pr, dir, a, len) => {
                let ok_proto = |want: Proto| pr.is_none_or(|x| x == want);
                match a {
                    IpAddr::V4(a) => {
                        let m = |at: usize| p.l3.get(at..at + 4).is_some_and(|b| prefix_eq(b, &a.octets(), len));
                        let pick = |s: usize, d: usize| match dir {
                            Dir::Src => m(s),
                            Dir::Dst => m(d),
                            Dir::Either => m(s) || m(d),
                        };
                        (ok_proto(Proto::Ip) && p.ethertype == 0x0800 && pick(12, 16))
                            || (ok_proto(Proto::Arp) && p.ethertype == 0x0806 && pick(14, 24))
                    }
                    IpAddr::V6(a) => {
                        let m = |at: usize| p.l3.get(at..at + 16).is_some_and(|b| prefix_eq(b, &a.octets(), len));
                        ok_proto(Proto::Ip6)
                            && p.ethertype == 0x86dd
                            && match dir {
                                Dir::Src => m(8),
                                Dir::Dst => m(24),
                                Dir::Either => m(8) || m(24),
                            }
                    }
                }
            }
            Filter::Port(pr, dir, port) => {
                let protos: &[u8] = match pr {
                    Some(Proto::Tcp) => &[6],
                    Some(Proto::Udp) => &[17],
                    _ => &[6, 17, 132],
                };
                let v4_ok = !matches!(pr, Some(Proto::Ip6));
                let v6_ok = !matches!(pr, Some(Proto::Ip));
                let at = if v4_ok && p.ethertype == 0x0800 {
                    let frag = p.l3.get(6..8).is_some_and(|b| u16::from_be_bytes([b[0], b[1]]) & 0x1fff != 0);
                    let proto = p.l3.get(9).copied();
                    (!frag && proto.is_some_and(|x| protos.contains(&x)))
                        .then(|| usize::from(p.l3.first().copied().unwrap_or(0) & 0x0f) * 4)
                } else if v6_ok && p.ethertype == 0x86dd {
                    p.l3.get(6).copied().filter(|x| protos.contains(x)).map(|_| 40)
                } else {
                    None
                };
                let Some(at) = at else { return false };
                let get = |i: usize| p.l3.get(i..i + 2).map(|b| u16::from_be_bytes([b[0], b[1]]));
                match dir {
                    Dir::Src => get(at) == Some(port),
                    Dir::Dst => get(at + 2) == Some(port),
                    Dir::Either => get(at) == Some(port) || get(at + 2) == Some(port),
                }
            }
            Filter::EtherHost(dir, m) => {
                let s = p.src_mac == Some(&m[..]);
                let d = p.dst_mac == Some(&m[..]);
                match dir {
                    Dir::Src => s,
                    Dir::Dst => d,
                    Dir::Either => s || d,
                }
            }
            Filter::All | Filter::Not(_) | Filter::And(..) | Filter::Or(..) => true,
        }
    }
}

fn prefix_eq(a: &[u8], b: &[u8], len: u8) -> bool {
    let full = usize::from(len / 8);
    let rest = len % 8;
    if a.get(..full) != b.get(..full) {
        return false;
    }
    if rest == 0 {
        return true;
    }
    let mask = 0xffu8 << (8 - rest);
    match (a.get(full), b.get(full)) {
        (Some(x), Some(y)) => x & mask == y & mask,
        _ => false,
    }
}

/// The parts of a frame the filter reads.
struct Pkt<'a> {
    ethertype: u16,
    l3: &'a [u8],
    src_mac: Option<&'a [u8]>,
    dst_mac: Option<&'a [u8]>,
}

impl<'a> Pkt<'a> {
    fn parse(linktype: u32, f: &'a [u8]) -> Option<Pkt<'a>> {
        match linktype {
            LINKTYPE_ETHERNET => Some(Pkt {
                ethertype: u16::from_be_bytes([*f.get(12)?, *f.get(13)?]),
                l3: f.get(14..)?,
                src_mac: f.get(6..12),
                dst_mac: f.get(0..6),
            }),
            LINKTYPE_LINUX_SLL2 => Some(Pkt {
                ethertype: u16::from_be_bytes([*f.first()?, *f.get(1)?]),
                l3: f.get(20..)?,
                src_mac: (f.get(11) == Some(&6)).then(|| f.get(12..18)).flatten(),
                dst_mac: None,
            }),
            LINKTYPE_RAW => {
                let t = match f.first()? >> 4 {
                    4 => 0x0800,
                    6 => 0x86dd,
                    _ => 0,
                };
                Some(Pkt { ethertype: t, l3: f, src_mac: None, dst_mac: None })
            }
            _ => None,
        }
    }

    /// The IPv6 upper-layer protocol as BPF finds it: the fixed header's, or the one after a
    /// fragment header.
    fn proto6(&self, want: u8) -> bool {
        let nh = self.l3.get(6).copied();
        nh == Some(want) || (nh == Some(44) && self.l3.get(40) == Some(&want))
    }

    fn is(&self, pr: Proto) -> bool {
        let v4 = self.ethertype == 0x0800;
        let v6 = self.ethertype == 0x86dd;
        match pr {
            Proto::Ether => true,
            Proto::Arp => self.ethertype == 0x0806,
            Proto::Rarp => self.ethertype == 0x8035,
            Proto::Ip => v4,
            Proto::Ip6 => v6,
            Proto::Icmp => v4 && self.l3.get(9) == Some(&1),
            Proto::Icmp6 => v6 && self.proto6(58),
            Proto::Tcp => (v4 && self.l3.get(9) == Some(&6)) || (v6 && self.proto6(6)),
            Proto::Udp => (v4 && self.l3.get(9) == Some(&17)) || (v6 && self.proto6(17)),
        }
    }

    fn addr_match(&self, src: usize, dst: usize, len: usize, dir: Dir, a: &[u8]) -> bool {
        let at = |i: usize| self.l3.get(i..i + len) == Some(a);
        match dir {
            Dir::Src => at(src),
            Dir::Dst => at(dst),
            Dir::Either => at(src) || at(dst),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(s: &str) -> Result<Filter, String> {
        Filter::parse(&s.split(' ').map(String::from).collect::<Vec<_>>())
    }

    fn eth(ethertype: u16, l3: &[u8]) -> Vec<u8> {
        let mut v = vec![2, 0, 0, 0, 0, 0xb, 2, 0, 0, 0, 0, 0xa];
        v.extend_from_slice(&ethertype.to_be_bytes());
        v.extend_from_slice(l3);
        v
    }

    fn ip4(proto: u8, src: [u8; 4], dst: [u8; 4], sport: u16, dport: u16) -> Vec<u8> {
        let mut v = vec![0x45, 0, 0, 28, 0, 0, 0x40, 0, 64, proto, 0, 0];
        v.extend_from_slice(&src);
        v.extend_from_slice(&dst);
        v.extend_from_slice(&sport.to_be_bytes());
        v.extend_from_slice(&dport.to_be_bytes());
        v.extend_from_slice(&[0, 8, 0, 0]);
        v
    }

    #[test]
    fn protocols_hosts_and_ports() {
        let udp = eth(0x0800, &ip4(17, [10, 0, 0, 1], [10, 0, 0, 2], 4000, 53));
        let icmp = eth(0x0800, &ip4(1, [10, 0, 0, 1], [10, 0, 0, 2], 0x0800, 0));
        let mut arp_l3 = vec![0, 1, 8, 0, 6, 4, 0, 1, 2, 0, 0, 0, 0, 0xa, 10, 0, 0, 1];
        arp_l3.extend_from_slice(&[0, 0, 0, 0, 0, 0, 10, 0, 0, 2]);
        let arp = eth(0x0806, &arp_l3);
        let l = LINKTYPE_ETHERNET;
        let m = |expr: &str, fr: &[u8]| f(expr).unwrap().matches(l, fr);
        assert!(m("udp", &udp) && !m("tcp", &udp) && !m("icmp", &udp) && m("ip", &udp) && !m("ip6", &udp));
        assert!(m("port 53", &udp) && m("udp dst port domain", &udp) && !m("src port 53", &udp));
        assert!(!m("tcp port 53", &udp));
        assert!(m("icmp", &icmp) && !m("port 53", &icmp) && m("not arp", &icmp));
        assert!(m("arp", &arp) && m("host 10.0.0.2", &arp) && m("src host 10.0.0.1", &arp));
        assert!(!m("ip host 10.0.0.2", &arp) && m("arp and host 10.0.0.1", &arp));
        assert!(m("host 10.0.0.1 and (icmp or arp)", &icmp) && !m("host 10.0.0.9", &icmp));
        assert!(m("dst 10.0.0.2", &udp) && !m("src 10.0.0.2", &udp));
        assert!(m("net 10.0.0.0/24", &udp) && !m("net 10.0.1.0/24", &udp) && m("!tcp", &udp));
        assert!(m("ether src 02:00:00:00:00:0a", &udp) && !m("ether dst 02:00:00:00:00:0a", &udp));
        assert!(m("icmp || udp && port 53", &udp));
        assert!(Filter::parse(&[]).unwrap().matches(l, &[]));
    }

    #[test]
    fn errors_are_libpcaps() {
        assert_eq!(f("foo bar").unwrap_err(), SYNTAX);
        assert_eq!(f("foo").unwrap_err(), SYNTAX);
        assert_eq!(f("host foo bar").unwrap_err(), "unknown host 'foo'");
        assert_eq!(f("src foo").unwrap_err(), "unknown host 'foo'");
        assert_eq!(f("port x y").unwrap_err(), "unknown port 'x'");
        let ether = f("ether src 02:00:00:00:00:0b").unwrap();
        assert!(ether.check(LINKTYPE_ETHERNET).is_ok());
        assert!(ether.check(LINKTYPE_LINUX_SLL2).unwrap_err().starts_with("ethernet addresses supported only"));
        assert_eq!(f("port").unwrap_err(), SYNTAX);
        assert_eq!(f("tcp and").unwrap_err(), SYNTAX);
        assert_eq!(f("( arp").unwrap_err(), SYNTAX);
        assert_eq!(f("icmpx").unwrap_err(), SYNTAX);
        assert_eq!(f("port x").unwrap_err(), "unknown port 'x'");
        assert_eq!(f("port 70000").unwrap_err(), "illegal port number 70000 > 65535");
        assert_eq!(f("host foo").unwrap_err(), "unknown host 'foo'");
        assert_eq!(f("net 10.0.0.0/33").unwrap_err(), "mask length must be <= 32");
        assert_eq!(f("ether host zz").unwrap_err(), "unknown ether host 'zz'");
        assert!(f("host 1.2.3").is_ok());
    }
}
