//! The IPv6 half of the printer: `ip6_print` with the extension headers vnet meets (hop-by-hop,
//! destination options, fragment: `print-ip6.c`, `print-ip6opts.c`, `print-frag6.c`) and
//! `icmp6_print` (`print-icmp6.c`): echo, errors, router and neighbour discovery with their
//! options, MLDv1 and MLDv2. A routing header is not decoded (it prints as an unknown protocol).

use std::net::Ipv6Addr;

use super::print::{IpHdr, Printer, Res, Trunc, be16, be32, bytes, cksum_shouldbe, in_cksum, ip6, ipproto_name, u8_at};

impl Printer {
    /// `ip6_print`: an IPv6 packet of `length` bytes.
    pub(super) fn ip6(&mut self, p: &[u8], length: u32) -> Res {
        const PROTO: &str = "ip6";
        if p.len() < 40 {
            self.p("IP6");
            return Err(Trunc(PROTO));
        }
        if !self.o.eflag {
            self.p("IP6 ");
        }
        let v = p[0] >> 4;
        if v != 6 {
            self.p(&format!("version error: {v} != 6"));
            return Ok(());
        }
        let payload_len = be16(p, 4, PROTO)?;
        let mut len = if payload_len != 0 {
            let len = u32::from(payload_len) + 40;
            if len > length {
                self.p(&format!("truncated-ip6 - {} bytes missing!", len - length));
            }
            len
        } else {
            length
        };
        // nd_push_snaplen: the payload ends where the header says (Ethernet padding is not data).
        let p = p.get(..len as usize).unwrap_or(p);
        if p.len() < 40 {
            return Err(Trunc(PROTO));
        }
        let mut nh = p[6];
        let hlim = p[7];
        let src = ip6(p, 8, PROTO)?;
        let dst = ip6(p, 24, PROTO)?;
        if self.o.vflag > 0 {
            let flow = be32(p, 0, PROTO)?;
            self.p("(");
            if flow & 0x0ff0_0000 != 0 {
                self.p(&format!("class 0x{:02x}, ", (flow & 0x0ff0_0000) >> 20));
            }
            if flow & 0x000f_ffff != 0 {
                self.p(&format!("flowlabel 0x{:05x}, ", flow & 0x000f_ffff));
            }
            self.p(&format!("hlim {hlim}, next-header {} ({nh}) payload length: {payload_len}) ", ipproto_name(nh)));
        }
        let hdr = IpHdr::V6 { src, dst, nxt: nh };
        let mut off = 40usize;
        len = len.saturating_sub(40);
        let mut fragmented = false;
        let mut found_hbh = false;
        if !matches!(nh, 6 | 17 | 33 | 132) {
            self.p(&format!("{src} > {dst}: "));
        }
        loop {
            let rest = p.get(off..).unwrap_or_default();
            let advance = match nh {
                0 => {
                    if found_hbh {
                        self.p("[The Hop-by-Hop Options header was already found] (invalid)");
                        return Ok(());
                    }
                    if off != 40 {
                        self.p("[The Hop-by-Hop Options header don't follow the IPv6 header] (invalid)");
                        return Ok(());
                    }
                    found_hbh = true;
                    self.ext_opts(rest, "HBH ", "hbhopt")?
                }
                60 => self.ext_opts(rest, "DSTOPT ", "dstopt")?,
                44 => {
                    let offlg = be16(rest, 2, "frag6")?;
                    let ident = be32(rest, 4, "frag6")?;
                    let left = (40 + u32::from(payload_len)).saturating_sub(off as u32 + 8);
                    if self.o.vflag > 0 {
                        self.p(&format!("frag (0x{ident:08x}:{}|{left})", offlg & 0xfff8));
                    } else {
                        self.p(&format!("frag ({}|{left})", offlg & 0xfff8));
                    }
                    if offlg & 0xfff8 != 0 || p.len() <= off + 8 {
                        return Ok(());
                    }
                    self.p(" ");
                    fragmented = true;
                    8
                }
                _ => return self.ip_demux(rest, len, nh, hdr, fragmented),
            };
            if (len as usize) < advance {
                return Err(Trunc(PROTO));
            }
            nh = u8_at(rest, 0, PROTO)?;
            off += advance;
            len -= advance as u32;
            if off >= p.len() {
                return Ok(());
            }
        }
    }

    /// `hbhopt_process` / `dstopt_process`: the header's name, then (with `-v`) its options
    /// (`ip6_opt_process`). Returns the header's length.
    fn ext_opts(&mut self, p: &[u8], name: &str, proto: &'static str) -> Result<usize, Trunc> {
        let hlen = (usize::from(u8_at(p, 1, proto)?) + 1) << 3;
        let h = bytes(p, 0, hlen, proto)?;
        self.p(name);
        if self.o.vflag > 0 {
            self.ip6_opts(&h[2..], proto)?;
        }
        Ok(hlen)
    }

    /// `ip6_opt_process` with `-v`.
    fn ip6_opts(&mut self, b: &[u8], proto: &'static str) -> Res {
        let len = b.len();
        let mut i = 0;
        while i < len {
            let t = b[i];
            let optlen = if t == 0 {
                1
            } else if i + 1 < len {
                usize::from(b[i + 1]) + 2
            } else {
                return Err(Trunc(proto));
            };
            if i + optlen > len {
                return Err(Trunc(proto));
            }
            match t {
                0 => self.p("(pad1)"),
                1 => self.p("(padn)"),
                5 => {
                    if len - i < 4 {
                        self.p("(rtalert: trunc)");
                        return Err(Trunc(proto));
                    }
                    if b[i + 1] != 2 {
                        self.p(&format!("(rtalert: invalid len {})", b[i + 1]));
                        return Err(Trunc(proto));
                    }
                    self.p(&format!("(rtalert: 0x{:04x}) ", u16::from_be_bytes([b[i + 2], b[i + 3]])));
                }
                0xc2 => {
                    if len - i < 6 {
                        self.p("(jumbo: trunc)");
                        return Err(Trunc(proto));
                    }
                    let v = u32::from_be_bytes([b[i + 2], b[i + 3], b[i + 4], b[i + 5]]);
                    self.p(&format!("(jumbo: {v}) "));
                }
                _ => self.p(&format!("(opt_type 0x{t:02x}: len={})", b[i + 1])),
            }
            i += optlen;
        }
        self.p(" ");
        Ok(())
    }

    /// `icmp6_print`.
    pub(super) fn icmp6(&mut self, p: &[u8], length: u32, hdr: IpHdr, fragmented: bool) -> Res {
        const PROTO: &str = "icmp6";
        if length == 0 {
            self.p("ICMP6, length 0 (invalid)");
            return Ok(());
        }
        if self.o.vflag > 0
            && !fragmented
            && let Some(all) = p.get(..length as usize)
        {
            let field = be16(p, 2, PROTO)?;
            let sum = in_cksum(&[&hdr_pseudo(hdr, all.len()), all]);
            if sum != 0 {
                self.p(&format!("[bad icmp6 cksum 0x{field:04x} -> 0x{:04x}!] ", cksum_shouldbe(field, sum)));
            } else {
                self.p("[icmp6 sum ok] ");
            }
        }
        let t = u8_at(p, 0, PROTO)?;
        let name = match t {
            1 => "destination unreachable".to_string(),
            2 => "packet too big".to_string(),
            3 => "time exceeded in-transit".to_string(),
            4 => "parameter problem".to_string(),
            128 => "echo request".to_string(),
            129 => "echo reply".to_string(),
            130 => "multicast listener query".to_string(),
            131 => "multicast listener report".to_string(),
            132 => "multicast listener done".to_string(),
            133 => "router solicitation".to_string(),
            134 => "router advertisement".to_string(),
            135 => "neighbor solicitation".to_string(),
            136 => "neighbor advertisement".to_string(),
            137 => "redirect".to_string(),
            138 => "router renumbering".to_string(),
            139 => "node information query".to_string(),
            140 => "node information reply".to_string(),
            141 => "inverse neighbor solicitation".to_string(),
            142 => "inverse neighbor advertisement".to_string(),
            143 => "multicast listener report v2".to_string(),
            144 => "ha discovery request".to_string(),
            145 => "ha discovery reply".to_string(),
            146 => "mobile router solicitation".to_string(),
            147 => "mobile router advertisement".to_string(),
            155 => "RPL".to_string(),
            200 => "mtrace response".to_string(),
            201 => "mtrace message".to_string(),
            t => format!("unknown icmp6 type ({t})"),
        };
        self.p(&format!("ICMP6, {name}"));
        if self.o.vflag > 0 && matches!(t, 133..=137 | 145 | 147) {
            self.p(&format!(", length {length}"));
        }
        let code = u8_at(p, 1, PROTO)?;
        // The offending packet an error quotes starts after the 8-byte header.
        let oip = p.get(8..).unwrap_or_default();
        match t {
            1 => {
                let c = match code {
                    0 => "unreachable route".to_string(),
                    1 => " unreachable prohibited".to_string(),
                    2 => "beyond scope".to_string(),
                    3 => "unreachable address".to_string(),
                    4 => "unreachable port".to_string(),
                    c => format!("unknown unreach code ({c})"),
                };
                self.p(&format!(", {c}"));
                match code {
                    0 | 1 | 3 => self.p(&format!(" {}", ip6(oip, 24, PROTO)?)),
                    2 => {
                        let (d, s) = (ip6(oip, 24, PROTO)?, ip6(oip, 8, PROTO)?);
                        self.p(&format!(" {d}, source address {s}"));
                    }
                    4 => {
                        let Some((prot, uh)) = upper_layer(oip) else { return Err(Trunc(PROTO)) };
                        let dport = be16(uh, 2, PROTO)?;
                        let dst = ip6(oip, 24, PROTO)?;
                        let s = match prot {
                            6 => format!(", {dst} tcp port {}", self.port(dport, b't')),
                            17 => format!(", {dst} udp port {}", self.port(dport, b'u')),
                            _ => format!(", {dst} protocol {prot} port {dport} unreachable"),
                        };
                        self.p(&s);
                    }
                    _ => {
                        if self.o.vflag <= 1 {
                            let shown = p.get(..length as usize).unwrap_or(p);
                            self.hex("\n\t", shown);
                            return Ok(());
                        }
                    }
                }
            }
            2 => self.p(&format!(", mtu {}", be32(p, 4, PROTO)?)),
            3 => match code {
                0 => self.p(&format!(" for {}", ip6(oip, 24, PROTO)?)),
                1 => self.p(" (reassembly)"),
                c => self.p(&format!(", unknown code ({c})")),
            },
            4 => {
                ip6(oip, 24, PROTO)?;
                let ptr = be32(p, 4, PROTO)?;
                let s = match code {
                    0 => format!(", erroneous - octet {ptr}"),
                    1 => format!(", next header - octet {ptr}"),
                    2 => format!(", option - octet {ptr}"),
                    3 => format!(", incomplete header chain - octet {ptr}"),
                    c => format!(", code-#{c}"),
                };
                self.p(&s);
            }
            128 | 129 => {
                let s = format!(", id {}, seq {}", be16(p, 4, PROTO)?, be16(p, 6, PROTO)?);
                self.p(&s);
            }
            130 => {
                if length == 24 {
                    self.mld6(p)?;
                } else if length >= 28 {
                    self.p(" v2");
                    self.mldv2_query(p, length)?;
                } else {
                    self.p(&format!(" unknown-version (len {length}) "));
                }
            }
            131 | 132 => self.mld6(p)?,
            133 => {
                if self.o.vflag > 0 {
                    self.nd_opts(p.get(8..).unwrap_or_default(), length.saturating_sub(8))?;
                }
            }
            134 => {
                if self.o.vflag > 0 {
                    let hop = u8_at(p, 4, PROTO)?;
                    let fl = u8_at(p, 5, PROTO)?;
                    let life = be16(p, 6, PROTO)?;
                    let reach = be32(p, 8, PROTO)?;
                    let retrans = be32(p, 12, PROTO)?;
                    let mut names = Vec::new();
                    for (bit, n) in [(0x80, "managed"), (0x40, "other stateful"), (0x20, "home agent"), (0x04, "proxy")]
                    {
                        if fl & bit != 0 {
                            names.push(n);
                        }
                    }
                    let flags = if names.is_empty() { "none".to_string() } else { names.join(", ") };
                    let pref = ["medium", "high", "rsv", "low"][usize::from((fl >> 3) & 3)];
                    self.p(&format!(
                        "\n\thop limit {hop}, Flags [{flags}], pref {pref}, router lifetime {life}s, \
                         reachable time {reach}ms, retrans timer {retrans}ms"
                    ));
                    self.nd_opts(p.get(16..).unwrap_or_default(), length.saturating_sub(16))?;
                }
            }
            135 => {
                self.p(&format!(", who has {}", ip6(p, 8, PROTO)?));
                if self.o.vflag > 0 {
                    self.nd_opts(p.get(24..).unwrap_or_default(), length.saturating_sub(24))?;
                }
            }
            136 => {
                self.p(&format!(", tgt is {}", ip6(p, 8, PROTO)?));
                if self.o.vflag > 0 {
                    let fl = be32(p, 4, PROTO)?;
                    let mut names = Vec::new();
                    for (bit, n) in [(0x8000_0000u32, "router"), (0x4000_0000, "solicited"), (0x2000_0000, "override")]
                    {
                        if fl & bit != 0 {
                            names.push(n);
                        }
                    }
                    let flags = if names.is_empty() { "none".to_string() } else { names.join(", ") };
                    self.p(&format!(", Flags [{flags}]"));
                    self.nd_opts(p.get(24..).unwrap_or_default(), length.saturating_sub(24))?;
                }
            }
            137 => {
                let (d, tg) = (ip6(p, 24, PROTO)?, ip6(p, 8, PROTO)?);
                self.p(&format!(", {d} to {tg}"));
                if self.o.vflag > 0 {
                    self.nd_opts(p.get(40..).unwrap_or_default(), length.saturating_sub(40))?;
                }
            }
            143 => self.mldv2_report(p, length)?,
            _ => {
                self.p(&format!(", length {length}"));
                if self.o.vflag <= 1 {
                    let shown = p.get(..length as usize).unwrap_or(p);
                    self.hex("\n\t", shown);
                }
                return Ok(());
            }
        }
        if self.o.vflag == 0 {
            self.p(&format!(", length {length}"));
        }
        Ok(())
    }

    /// `icmp6_opt_print`: the neighbour-discovery options, one per line.
    fn nd_opts(&mut self, b: &[u8], resid: u32) -> Res {
        let mut cp = 0usize;
        let mut resid = i64::from(resid);
        while cp < b.len() {
            if b.get(cp + 1).is_none() {
                return Err(Trunc("icmp6"));
            }
            if resid <= 0 {
                return Ok(());
            }
            let (t, l) = (b[cp], b[cp + 1]);
            let olen = usize::from(l) << 3;
            if l == 0 || cp + olen > b.len() {
                return Err(Trunc("icmp6"));
            }
            let name = match t {
                1 => "source link-address",
                2 => "destination link-address",
                3 => "prefix info",
                4 => "redirected header",
                5 => "mtu",
                7 => "advertisement interval",
                8 => "homeagent information",
                24 => "route info",
                25 => "rdnss",
                31 => "dnssl",
                _ => "unknown",
            };
            self.p(&format!("\n\t  {name} option ({t}), length {olen} ({l}): "));
            let opt = &b[cp..cp + olen];
            let body = &opt[2..];
            match t {
                1 | 2 => {
                    let s = super::print::mac(body);
                    self.p(&s);
                }
                3 => {
                    if opt.len() < 32 {
                        return Err(Trunc("icmp6"));
                    }
                    let plen = opt[2];
                    let fl = opt[3];
                    let valid = u32::from_be_bytes([opt[4], opt[5], opt[6], opt[7]]);
                    let pref = u32::from_be_bytes([opt[8], opt[9], opt[10], opt[11]]);
                    let mut a = [0u8; 16];
                    a.copy_from_slice(&opt[16..32]);
                    let mut names = Vec::new();
                    for (bit, n) in [(0x80, "onlink"), (0x40, "auto"), (0x20, "router")] {
                        if fl & bit != 0 {
                            names.push(n);
                        }
                    }
                    let flags = if names.is_empty() { "none".to_string() } else { names.join(", ") };
                    let bad = if l != 4 { "badlen" } else { "" };
                    self.p(&format!(
                        "{}/{plen}{bad}, Flags [{flags}], valid time {}, pref. time {}",
                        Ipv6Addr::from(a),
                        lifetime(valid),
                        lifetime(pref)
                    ));
                }
                4 => {
                    let shown = b.get(cp..cp + olen).unwrap_or_default();
                    self.hex("\n\t    ", shown);
                }
                5 => {
                    let mtu = be32(opt, 4, "icmp6")?;
                    let bad = if l != 1 { "bad option length" } else { "" };
                    self.p(&format!(" {mtu}{bad}"));
                }
                7 => {
                    let v = be32(opt, 4, "icmp6")?;
                    self.p(&format!(" {v}ms"));
                }
                25 => {
                    let life = be32(opt, 4, "icmp6")?;
                    self.p(&format!(" lifetime {life}s,"));
                    let n = (usize::from(l).saturating_sub(1)) / 2;
                    for k in 0..n {
                        let a = ip6(opt, 8 + 16 * k, "icmp6")?;
                        self.p(&format!(" addr: {a}"));
                    }
                }
                _ => {
                    if self.o.vflag <= 1 {
                        self.hex("\n\t  ", body);
                        return Ok(());
                    }
                }
            }
            if self.o.vflag > 1 {
                self.hex("\n\t    ", body);
            }
            cp += olen;
            resid -= olen as i64;
        }
        Ok(())
    }

    /// `mld6_print` (MLDv1 query, report and done; tcpdump prints no space before it).
    fn mld6(&mut self, p: &[u8]) -> Res {
        let (Ok(delay), Ok(addr)) = (be16(p, 4, "icmp6"), ip6(p, 8, "icmp6")) else {
            return Ok(());
        };
        self.p(&format!("max resp delay: {delay} addr: {addr}"));
        Ok(())
    }

    /// `mldv2_report_print`.
    fn mldv2_report(&mut self, p: &[u8], len: u32) -> Res {
        const PROTO: &str = "icmp6";
        if len < 8 {
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
            if len < group + 20 {
                self.p(" [invalid number of groups]");
                return Ok(());
            }
            let gaddr = ip6(p, group + 4, PROTO)?;
            self.p(&format!(" [gaddr {gaddr}"));
            let rtype = u8_at(p, group, PROTO)?;
            let r = match rtype {
                1 => "is_in".to_string(),
                2 => "is_ex".to_string(),
                3 => "to_in".to_string(),
                4 => "to_ex".to_string(),
                5 => "allow".to_string(),
                6 => "block".to_string(),
                n => format!(" [v2-report-#{n}]"),
            };
            self.p(&format!(" {r}"));
            let nsrcs = usize::from(be16(p, group + 2, PROTO)?);
            if len < group + 20 + nsrcs * 16 {
                self.p(&format!(" [invalid number of sources {nsrcs}]"));
                return Ok(());
            }
            if self.o.vflag == 1 {
                self.p(&format!(", {nsrcs} source(s)"));
            } else {
                self.p(" {");
                for j in 0..nsrcs {
                    let a = ip6(p, group + 20 + j * 16, PROTO)?;
                    self.p(&format!(" {a}"));
                }
                self.p(" }");
            }
            group += 20 + nsrcs * 16;
            self.p("]");
        }
        Ok(())
    }

    /// `mldv2_query_print`.
    fn mldv2_query(&mut self, p: &[u8], len: u32) -> Res {
        const PROTO: &str = "icmp6";
        if len < 28 {
            self.p(&format!(" [invalid len {len}]"));
            return Ok(());
        }
        let mrc = u32::from(be16(p, 4, PROTO)?);
        let mrt = if mrc < 32768 { mrc } else { ((mrc & 0x0fff) | 0x1000) << (((mrc & 0x7000) >> 12) + 3) };
        if self.o.vflag > 0 {
            self.p(&format!(" [max resp delay={mrt}]"));
        }
        self.p(&format!(" [gaddr {}", ip6(p, 8, PROTO)?));
        if self.o.vflag > 0 {
            let s = u8_at(p, 24, PROTO)?;
            let q = u32::from(u8_at(p, 25, PROTO)?);
            if s & 0x08 != 0 {
                self.p(" sflag");
            }
            if s & 0x07 != 0 {
                self.p(&format!(" robustness={}", s & 0x07));
            }
            let qqi = if q < 128 { q } else { ((q & 0x0f) | 0x10) << (((q & 0x70) >> 4) + 3) };
            self.p(&format!(" qqi={qqi}"));
        }
        let nsrcs = usize::from(be16(p, 26, PROTO)?);
        if nsrcs > 0 {
            if (len as usize) < 28 + nsrcs * 16 {
                self.p(" [invalid number of sources]");
            } else if self.o.vflag > 1 {
                self.p(" {");
                for i in 0..nsrcs {
                    let a = ip6(p, 28 + i * 16, PROTO)?;
                    self.p(&format!(" {a}"));
                }
                self.p(" }");
            } else {
                self.p(&format!(", {nsrcs} source(s)"));
            }
        }
        self.p("]");
        Ok(())
    }
}

/// The ICMPv6 pseudo-header for `len` bytes (`nextproto6_cksum`).
fn hdr_pseudo(hdr: IpHdr, len: usize) -> Vec<u8> {
    match hdr {
        IpHdr::V6 { src, dst, .. } => {
            let mut v = Vec::with_capacity(40);
            v.extend_from_slice(&src.octets());
            v.extend_from_slice(&dst.octets());
            v.extend_from_slice(&(len as u32).to_be_bytes());
            v.extend_from_slice(&[0, 0, 0, 58]);
            v
        }
        IpHdr::V4 { .. } => Vec::new(),
    }
}

/// `get_lifetime`.
fn lifetime(v: u32) -> String {
    if v == u32::MAX { "infinity".into() } else { format!("{v}s") }
}

/// `get_upperlayer`: the TCP/UDP header inside a quoted IPv6 packet, past its extension headers.
fn upper_layer(ip: &[u8]) -> Option<(u8, &[u8])> {
    let mut nh = *ip.get(6)?;
    let mut off = 40usize;
    loop {
        let rest = ip.get(off..)?;
        match nh {
            6 | 17 => {
                rest.get(..4)?;
                return Some((nh, rest));
            }
            0 | 60 | 43 => {
                nh = *rest.first()?;
                off += (usize::from(*rest.get(1)?) + 1) << 3;
            }
            44 => {
                let offlg = u16::from_be_bytes([*rest.get(2)?, *rest.get(3)?]);
                if offlg & 0xfff8 != 0 {
                    return None;
                }
                nh = *rest.first()?;
                off += 8;
            }
            51 => {
                nh = *rest.first()?;
                off += (usize::from(*rest.get(1)?) + 2) << 2;
            }
            _ => return None,
        }
    }
}
