//! The TCP half of the printer (`print-tcp.c`): ports, flags, relative sequence numbers
//! (`tcp_seq_hash`), checksums, options, the data of a reset, and the one application printer vnet
//! has, HTTP on ports 80 and 8080 (`print-http.c` through `txtproto_print`).

use super::print::{IpHdr, Printer, Res, Trunc, be16, be32, bytes, cksum_shouldbe, in_cksum};

impl Printer {
    /// `tcp_print`.
    pub(super) fn tcp(&mut self, p: &[u8], length: u32, hdr: IpHdr, fragmented: bool) -> Res {
        const PROTO: &str = "tcp";
        let (Ok(sport), Ok(dport)) = (be16(p, 0, PROTO), be16(p, 2, PROTO)) else {
            self.p(&format!("{} > {}:", hdr.src(), hdr.dst()));
            return Err(Trunc(PROTO));
        };
        let (sp, dp) = (self.port(sport, b't'), self.port(dport, b't'));
        if hdr.proto() == 6 {
            self.p(&format!("{}.{sp} > {}.{dp}: ", hdr.src(), hdr.dst()));
        } else {
            self.p(&format!("{sp} > {dp}: "));
        }
        bytes(p, 0, 20, PROTO)?;
        let mut hlen = u32::from(p[12] >> 4) * 4;
        if hlen < 20 {
            self.p(&format!(" tcp {} [bad hdr length {hlen} - too short, < 20]", length.wrapping_sub(hlen)));
            return Ok(());
        }
        let mut seq = be32(p, 4, PROTO)?;
        let mut ack = be32(p, 8, PROTO)?;
        let win = be16(p, 14, PROTO)?;
        let urp = be16(p, 18, PROTO)?;
        if self.o.qflag {
            self.p(&format!("tcp {}", length.wrapping_sub(hlen)));
            if hlen > length {
                self.p(&format!(" [bad hdr length {hlen} - too long, > {length}]"));
            }
            return Ok(());
        }
        let flags = p[13];
        const NAMES: [(u8, &str); 8] =
            [(0x01, "F"), (0x02, "S"), (0x04, "R"), (0x08, "P"), (0x10, "."), (0x20, "U"), (0x40, "E"), (0x80, "W")];
        let fl: String = NAMES.iter().filter(|(b, _)| flags & b != 0).map(|(_, n)| *n).collect();
        self.p(&format!("Flags [{}]", if fl.is_empty() { "none" } else { &fl }));
        let (mut thseq, mut thack, mut rev) = (0u32, 0u32, false);
        if !self.o.absolute_seq && flags & 0x10 != 0 {
            let (s, d) = match hdr {
                IpHdr::V4 { src, dst, .. } => (src.octets().to_vec(), dst.octets().to_vec()),
                IpHdr::V6 { src, dst, .. } => (src.octets().to_vec(), dst.octets().to_vec()),
            };
            rev = s > d || (s == d && sport > dport);
            let key = if rev {
                (d, s, (u32::from(dport) << 16) | u32::from(sport))
            } else {
                (s, d, (u32::from(sport) << 16) | u32::from(dport))
            };
            match self.tcp_seq.get(&key).copied() {
                Some((ts, ta)) if flags & 0x02 == 0 => {
                    if rev {
                        seq = seq.wrapping_sub(ta);
                        ack = ack.wrapping_sub(ts);
                    } else {
                        seq = seq.wrapping_sub(ts);
                        ack = ack.wrapping_sub(ta);
                    }
                    (thseq, thack) = (ts, ta);
                }
                _ => {
                    let entry = if rev { (ack.wrapping_sub(1), seq) } else { (seq, ack.wrapping_sub(1)) };
                    self.tcp_seq.insert(key, entry);
                    (thseq, thack) = entry;
                }
            }
        }
        if hlen > length {
            self.p(&format!(" [bad hdr length {hlen} - too long, > {length}]"));
            return Ok(());
        }
        if self.o.vflag > 0
            && !fragmented
            && let Some(seg) = p.get(..length as usize)
        {
            let sum = in_cksum(&[&hdr.pseudo(seg.len(), 6), seg]);
            let field = be16(p, 16, PROTO)?;
            self.p(&format!(", cksum 0x{field:04x}"));
            if sum != 0 {
                self.p(&format!(" (incorrect -> 0x{:04x})", cksum_shouldbe(field, sum)));
            } else {
                self.p(" (correct)");
            }
        }
        let length = length - hlen;
        if self.o.vflag > 1 || length > 0 || flags & 0x07 != 0 {
            self.p(&format!(", seq {seq}"));
            if length > 0 {
                self.p(&format!(":{}", seq.wrapping_add(length)));
            }
        }
        if flags & 0x10 != 0 {
            self.p(&format!(", ack {ack}"));
        }
        self.p(&format!(", win {win}"));
        if flags & 0x20 != 0 {
            self.p(&format!(", urg {urp}"));
        }
        if hlen > 20 {
            hlen -= 20;
            let opts = bytes(p, 20, hlen as usize, PROTO)?;
            self.p(", options [");
            if !self.tcp_options(opts, rev, thseq, thack) {
                return Ok(());
            }
            self.p("]");
        }
        self.p(&format!(", length {length}"));
        let payload = p.get(hlen_total(p)..).unwrap_or_default();
        if length > 0 && flags & 0x04 != 0 && self.o.vflag > 0 {
            self.tcp_rst_data(payload, length);
            return Ok(());
        }
        let payload = payload.get(..length as usize).unwrap_or(payload);
        if length > 0 && flags & 0x04 == 0 && [sport, dport].iter().any(|x| matches!(x, 80 | 8080)) {
            self.p(": ");
            self.http(payload, length);
        }
        Ok(())
    }

    /// `print_tcp_rst_data`: the text a reset carries (RFC 1122 4.2.2.12), at most 30 bytes.
    fn tcp_rst_data(&mut self, p: &[u8], length: u32) {
        self.p(if p.len() >= length as usize { " [RST" } else { " [!RST" });
        let mut n = length as usize;
        if n > 30 {
            n = 30;
            self.p("+");
        }
        self.p(" ");
        for &c in p.iter().take(n) {
            fn_print_char(&mut self.out, c);
        }
        self.p("]");
    }

    /// `http_print`: `txtproto_print` with HTTP's request methods, the status code as the second
    /// token: the first line, or with `-v` every text line.
    fn http(&mut self, p: &[u8], len: u32) {
        const CMDS: [&str; 38] = [
            "GET",
            "PUT",
            "COPY",
            "HEAD",
            "LOCK",
            "MOVE",
            "POLL",
            "POST",
            "BCOPY",
            "BMOVE",
            "MKCOL",
            "TRACE",
            "LABEL",
            "MERGE",
            "DELETE",
            "SEARCH",
            "UNLOCK",
            "REPORT",
            "UPDATE",
            "NOTIFY",
            "BDELETE",
            "CONNECT",
            "OPTIONS",
            "CHECKIN",
            "PROPFIND",
            "CHECKOUT",
            "CCM_POST",
            "SUBSCRIBE",
            "PROPPATCH",
            "BPROPFIND",
            "BPROPPATCH",
            "UNCHECKOUT",
            "MKACTIVITY",
            "MKWORKSPACE",
            "UNSUBSCRIBE",
            "RPC_CONNECT",
            "VERSION-CONTROL",
            "BASELINE-CONTROL",
        ];
        let mut print_this = false;
        if let Some((tok, idx)) = fetch_token(p, 0) {
            print_this = CMDS.iter().any(|c| c.eq_ignore_ascii_case(&tok));
            if let Some((tok2, _)) = fetch_token(p, idx) {
                let b = tok2.as_bytes();
                if b.len() == 3 && b.iter().all(u8::is_ascii_digit) {
                    print_this = true;
                }
            }
        }
        self.p("HTTP");
        if !print_this {
            return;
        }
        if self.o.vflag > 0 {
            self.p(&format!(", length: {len}"));
            let mut idx = 0;
            while idx < p.len() {
                match self.txt_line("\n\t", p, idx) {
                    Some(next) => idx = next,
                    None => break,
                }
            }
        } else {
            self.txt_line(": ", p, 0);
        }
    }

    /// `print_txt_line`: one CRLF- or LF-ended line of printable text after `prefix`; the index
    /// after it, or None at binary data or an unfinished line (which prints ` [|proto]`).
    fn txt_line(&mut self, prefix: &str, p: &[u8], start: usize) -> Option<usize> {
        let mut idx = start;
        while let Some(&c) = p.get(idx) {
            let (end, next) = match c {
                b'\n' => (idx, idx + 1),
                b'\r' => match p.get(idx + 1) {
                    Some(b'\n') => (idx, idx + 2),
                    _ => return None,
                },
                c if !(0x20..0x7f).contains(&c) && c != b'\t' => return None,
                _ => {
                    idx += 1;
                    continue;
                }
            };
            self.p(prefix);
            self.p(&String::from_utf8_lossy(&p[start..end]));
            return Some(next);
        }
        self.p(prefix);
        self.p(&String::from_utf8_lossy(&p[start..]));
        self.p(" [|http]");
        None
    }

    /// The option loop of `tcp_print`; false after `[bad opt]` (which closes the bracket itself).
    fn tcp_options(&mut self, opts: &[u8], rev: bool, thseq: u32, thack: u32) -> bool {
        let mut i = 0;
        let mut first = true;
        let bad = |me: &mut Printer, first: bool| {
            me.p("[bad opt]");
            if !first {
                me.p("]");
            }
            false
        };
        while i < opts.len() {
            if !first {
                self.p(",");
            }
            let opt = opts[i];
            let zerolen = opt <= 1;
            let len = if zerolen {
                1
            } else {
                match opts.get(i + 1) {
                    Some(&l) if l >= 2 && usize::from(l) <= opts.len() - i => usize::from(l),
                    _ => return bad(self, first),
                }
            };
            let data = &opts[i + if zerolen { 1 } else { 2 }..i + len];
            let name = match opt {
                0 => "eol".to_string(),
                1 => "nop".to_string(),
                2 => "mss".to_string(),
                3 => "wscale".to_string(),
                4 => "sackOK".to_string(),
                5 => "sack".to_string(),
                6 => "echo".to_string(),
                7 => "echoreply".to_string(),
                8 => "TS".to_string(),
                11 => "cc".to_string(),
                12 => "ccnew".to_string(),
                13 => String::new(),
                19 => "md5".to_string(),
                20 => "scps".to_string(),
                28 => "uto".to_string(),
                29 => "tcp-ao".to_string(),
                30 => "mptcp".to_string(),
                34 => "tfo".to_string(),
                254 => "exp".to_string(),
                n => format!("unknown-{n}"),
            };
            self.p(&name);
            let need = |n: usize| data.len() >= n;
            let datalen = match opt {
                0 | 1 | 4 => 0,
                2 => {
                    if !need(2) {
                        return bad(self, first);
                    }
                    self.p(&format!(" {}", u16::from_be_bytes([data[0], data[1]])));
                    2
                }
                3 => {
                    if !need(1) {
                        return bad(self, first);
                    }
                    self.p(&format!(" {}", data[0]));
                    1
                }
                5 => {
                    if !data.len().is_multiple_of(8) {
                        self.p(" invalid sack");
                    } else {
                        self.p(&format!(" {} ", data.len() / 8));
                        for c in data.chunks_exact(8) {
                            let mut s = u32::from_be_bytes([c[0], c[1], c[2], c[3]]);
                            let mut e = u32::from_be_bytes([c[4], c[5], c[6], c[7]]);
                            let base = if rev { thseq } else { thack };
                            s = s.wrapping_sub(base);
                            e = e.wrapping_sub(base);
                            self.p(&format!("{{{s}:{e}}}"));
                        }
                    }
                    data.len()
                }
                6 | 7 | 11 | 12 | 13 => {
                    if !need(4) {
                        return bad(self, first);
                    }
                    self.p(&format!(" {}", u32::from_be_bytes([data[0], data[1], data[2], data[3]])));
                    4
                }
                8 => {
                    if !need(8) {
                        return bad(self, first);
                    }
                    let v = u32::from_be_bytes([data[0], data[1], data[2], data[3]]);
                    let e = u32::from_be_bytes([data[4], data[5], data[6], data[7]]);
                    self.p(&format!(" val {v} ecr {e}"));
                    8
                }
                _ => {
                    if !data.is_empty() {
                        self.p(" 0x");
                    }
                    for b in data {
                        self.p(&format!("{b:02x}"));
                    }
                    data.len()
                }
            };
            let seen = datalen + if zerolen { 1 } else { 2 };
            if seen != len {
                self.p(&format!("[len {len}]"));
            }
            first = false;
            i += len;
            if opt == 0 {
                break;
            }
        }
        true
    }
}

/// `fn_print_char`: a byte as `M-` (high bit), `^X` (control) or itself.
fn fn_print_char(out: &mut String, mut c: u8) {
    if !c.is_ascii() {
        c &= 0x7f;
        out.push_str("M-");
    }
    if !(0x20..0x7f).contains(&c) {
        out.push('^');
        out.push(char::from(c ^ 0x40));
    } else {
        out.push(char::from(c));
    }
}

/// The TCP header length of a segment (data offset), 0 if the byte is missing.
fn hlen_total(p: &[u8]) -> usize {
    p.get(12).map_or(0, |b| usize::from(b >> 4) * 4)
}

/// `fetch_token`: the token at `idx` (printable ASCII up to a blank or line end) and the index
/// of the next one.
fn fetch_token(p: &[u8], mut idx: usize) -> Option<(String, usize)> {
    let mut tok = String::new();
    while let Some(&c) = p.get(idx) {
        if !c.is_ascii() {
            return None;
        }
        if matches!(c, b' ' | b'\t' | b'\r' | b'\n') {
            break;
        }
        if !(0x20..0x7f).contains(&c) || tok.len() + 2 > 128 {
            return None;
        }
        tok.push(char::from(c));
        idx += 1;
    }
    if tok.is_empty() {
        return None;
    }
    while let Some(&c) = p.get(idx) {
        if matches!(c, b'\r' | b'\n') || !(0x20..0x7f).contains(&c) || !matches!(c, b' ' | b'\t') {
            break;
        }
        idx += 1;
    }
    Some((tok, idx))
}
