//! The `type vlan` arguments: iproute2's `vlan_parse_opt` into a [`VlanConfig`] (the
//! `IFLA_VLAN_*` attributes), the kernel's `vlan_validate`, and `vlan_print_opt`'s text.

use std::fmt;

use netdev_core::{ETH_P_8021AD, ETH_P_8021Q, Errno, Error, Result};

/// `VLAN_FLAG_REORDER_HDR`: the tag travels out of band; upper layers never see it.
pub const VLAN_FLAG_REORDER_HDR: u32 = 0x1;
/// `VLAN_FLAG_GVRP`: register the VID with GVRP (accepted, no protocol runs).
pub const VLAN_FLAG_GVRP: u32 = 0x2;
/// `VLAN_FLAG_LOOSE_BINDING`: the vlan does not follow its lower device up and down.
pub const VLAN_FLAG_LOOSE_BINDING: u32 = 0x4;
/// `VLAN_FLAG_MVRP`: register the VID with MVRP (accepted, no protocol runs).
pub const VLAN_FLAG_MVRP: u32 = 0x8;
/// `VLAN_FLAG_BRIDGE_BINDING`: the carrier follows the bridge's VLAN state, not the lower's.
pub const VLAN_FLAG_BRIDGE_BINDING: u32 = 0x10;
/// Every flag the kernel knows.
pub const VLAN_FLAGS_ALL: u32 =
    VLAN_FLAG_REORDER_HDR | VLAN_FLAG_GVRP | VLAN_FLAG_LOOSE_BINDING | VLAN_FLAG_MVRP | VLAN_FLAG_BRIDGE_BINDING;
/// `VLAN_VID_MASK`: IDs from here on are refused (4095 is reserved).
pub const VLAN_VID_MASK: u16 = 0x0fff;

/// One `IFLA_VLAN_QOS_MAPPING` (`FROM:TO` on the command line). Ingress: PCP `from` (masked to
/// 3 bits) gives skb priority `to`. Egress: skb priority `from` gives PCP `to` (masked).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QosMapping {
    /// `from`.
    pub from: u32,
    /// `to`.
    pub to: u32,
}

/// The `IFLA_INFO_DATA` of a vlan (what `ip link add ... type vlan ARGS` sends), for
/// [`newlink`](netdev_core::LinkKind::newlink) and [`changelink`](netdev_core::LinkKind::changelink).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct VlanConfig {
    /// `IFLA_VLAN_ID` (iproute2 accepts any 16-bit value; the kernel refuses 4095 and above).
    pub id: Option<u16>,
    /// `IFLA_VLAN_PROTOCOL`, host order (802.1Q when absent).
    pub protocol: Option<u16>,
    /// `IFLA_VLAN_FLAGS`: `(flags, mask)`; only the bits in `mask` change.
    pub flags: Option<(u32, u32)>,
    /// `IFLA_VLAN_INGRESS_QOS`.
    pub ingress_qos: Vec<QosMapping>,
    /// `IFLA_VLAN_EGRESS_QOS`.
    pub egress_qos: Vec<QosMapping>,
}

impl VlanConfig {
    /// A config with just an ID (`type vlan id ID`).
    pub fn with_id(id: u16) -> VlanConfig {
        VlanConfig { id: Some(id), ..VlanConfig::default() }
    }

    /// Set (`on`) or clear the flag bits of `flag`, as `reorder_hdr on|off` and friends do.
    pub fn set_flag(&mut self, flag: u32, on: bool) {
        let (mut f, mut m) = self.flags.unwrap_or((0, 0));
        m |= flag;
        if on {
            f |= flag;
        } else {
            f &= !flag;
        }
        self.flags = Some((f, m));
    }

    /// `vlan_validate` (after the generic `IFLA_ADDRESS` check): EPROTONOSUPPORT for a protocol
    /// other than 802.1Q/802.1ad, ERANGE for an ID of 4095 or more, EINVAL for unknown flag bits.
    pub fn validate(&self) -> Result<()> {
        if let Some(p) = self.protocol
            && p != ETH_P_8021Q
            && p != ETH_P_8021AD
        {
            return Err(Error::with_msg(Errno::Eprotonosupport, "8021q: Invalid VLAN protocol"));
        }
        if self.id.is_some_and(|id| id >= VLAN_VID_MASK) {
            return Err(Error::with_msg(Errno::Erange, "8021q: Invalid VLAN id"));
        }
        if let Some((f, m)) = self.flags
            && f & m & !VLAN_FLAGS_ALL != 0
        {
            return Err(Error::with_msg(Errno::Einval, "8021q: Invalid VLAN flags"));
        }
        Ok(())
    }
}

fn invarg(msg: &'static str) -> Error {
    Error::with_msg(Errno::Einval, msg)
}

/// iproute2's `matches(arg, word)`: `arg` is a non-empty prefix of `word`.
fn matches(arg: &str, word: &str) -> bool {
    !arg.is_empty() && word.starts_with(arg)
}

/// `get_u32(.., base 0)` / `get_u16`: decimal, `0x` hex or leading-zero octal.
fn get_num(s: &str, max: u64) -> Option<u64> {
    let (digits, radix) = if let Some(h) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        (h, 16)
    } else if s.len() > 1 && s.starts_with('0') {
        (&s[1..], 8)
    } else {
        (s, 10)
    };
    let v = u64::from_str_radix(digits, radix).ok()?;
    (v <= max).then_some(v)
}

/// `ll_proto_a2n`: the names iproute2 knows for the ethertypes a vlan may get (case does not
/// matter), or a number.
fn proto_a2n(s: &str) -> Option<u16> {
    const NAMES: &[(&str, u16)] =
        &[("802.1Q", ETH_P_8021Q), ("802.1ad", ETH_P_8021AD), ("ip", 0x0800), ("arp", 0x0806), ("ipv6", 0x86dd)];
    NAMES.iter().find(|(n, _)| n.eq_ignore_ascii_case(s)).map(|(_, p)| *p).or_else(|| {
        let v = get_num(s, u64::from(u16::MAX))?;
        u16::try_from(v).ok()
    })
}

/// `ll_proto_n2a` for a vlan's protocol: `802.1Q`, `802.1ad`, else `0x%04x`.
pub fn proto_name(proto: u16) -> String {
    match proto {
        ETH_P_8021Q => "802.1Q".to_owned(),
        ETH_P_8021AD => "802.1ad".to_owned(),
        p => format!("0x{p:04x}"),
    }
}

/// `parse_mapping`: the `FROM:TO` words that follow, as many as there are.
fn parse_qos(args: &[&str], i: &mut usize, out: &mut Vec<QosMapping>, msg: &'static str) -> Result<()> {
    while let Some(w) = args.get(*i) {
        let Some((from, to)) = w.split_once(':') else { break };
        let from = get_num(from, u64::from(u32::MAX)).ok_or(invarg(msg))?;
        let to = get_num(to, u64::from(u32::MAX)).ok_or(invarg(msg))?;
        out.push(QosMapping { from: from as u32, to: to as u32 });
        *i += 1;
    }
    Ok(())
}

/// iproute2 `vlan_parse_opt` (`ip link add ... type vlan ARGS`). Keywords may be abbreviated as
/// iproute2's `matches` allows. Errors carry iproute2's message (it exits before asking the
/// kernel): `id is invalid`, `protocol is invalid`, `invalid ingress-qos-map`, an `on`/`off`
/// complaint, or an unknown keyword.
pub fn parse(args: &[&str]) -> Result<VlanConfig> {
    let mut cfg = VlanConfig::default();
    let mut i = 0;
    while let Some(&w) = args.get(i) {
        i += 1;
        let mut next = || {
            let v = args.get(i).copied();
            i += 1;
            v.ok_or(invarg("Command line is not complete. Try option \"help\""))
        };
        let flag = |name: &str| match name {
            _ if matches(name, "reorder_hdr") => Some(VLAN_FLAG_REORDER_HDR),
            _ if matches(name, "gvrp") => Some(VLAN_FLAG_GVRP),
            _ if matches(name, "mvrp") => Some(VLAN_FLAG_MVRP),
            _ if matches(name, "loose_binding") => Some(VLAN_FLAG_LOOSE_BINDING),
            _ if matches(name, "bridge_binding") => Some(VLAN_FLAG_BRIDGE_BINDING),
            _ => None,
        };
        if matches(w, "protocol") {
            cfg.protocol = Some(proto_a2n(next()?).ok_or(invarg("protocol is invalid"))?);
        } else if matches(w, "id") {
            let v = next()?;
            cfg.id = Some(get_num(v, u64::from(u16::MAX)).ok_or(invarg("id is invalid"))? as u16);
        } else if let Some(f) = flag(w) {
            match next()? {
                "on" => cfg.set_flag(f, true),
                "off" => cfg.set_flag(f, false),
                _ => return Err(invarg("argument must be \"on\" or \"off\"")),
            }
        } else if matches(w, "ingress-qos-map") {
            parse_qos(args, &mut i, &mut cfg.ingress_qos, "invalid ingress-qos-map")?;
        } else if matches(w, "egress-qos-map") {
            parse_qos(args, &mut i, &mut cfg.egress_qos, "invalid egress-qos-map")?;
        } else {
            return Err(invarg("vlan: unknown command"));
        }
    }
    Ok(cfg)
}

/// What `ip -d link` prints after `vlan` (iproute2 6.1 `vlan_print_opt`), from the attributes
/// `vlan_fill_info` sends: `protocol 802.1Q id 10 <REORDER_HDR>`, then, each on its own line as
/// iproute2 prints them, `ingress-qos-map { 1:2 }` and `egress-qos-map { 3:4 }`. Words are
/// separated by single spaces; there is no trailing space.
pub(crate) fn print_opt(
    out: &mut dyn fmt::Write,
    proto: u16,
    id: u16,
    flags: u32,
    ingress: &[QosMapping],
    egress: &[QosMapping],
) -> fmt::Result {
    write!(out, "protocol {} id {id}", proto_name(proto))?;
    if flags != 0 {
        // vlan_print_flags: known names in this order, then any rest in hex.
        let mut rest = flags;
        let mut names = Vec::new();
        for (bit, name) in [
            (VLAN_FLAG_REORDER_HDR, "REORDER_HDR"),
            (VLAN_FLAG_GVRP, "GVRP"),
            (VLAN_FLAG_MVRP, "MVRP"),
            (VLAN_FLAG_LOOSE_BINDING, "LOOSE_BINDING"),
            (VLAN_FLAG_BRIDGE_BINDING, "BRIDGE_BINDING"),
        ] {
            if rest & bit != 0 {
                rest &= !bit;
                names.push(name.to_owned());
            }
        }
        if rest != 0 {
            names.push(format!("{rest:x}"));
        }
        write!(out, " <{}>", names.join(","))?;
    }
    for (name, map) in [("ingress-qos-map", ingress), ("egress-qos-map", egress)] {
        if map.is_empty() {
            continue;
        }
        write!(out, " \n      {name} {{ ")?;
        for m in map {
            write!(out, "{}:{} ", m.from, m.to)?;
        }
        write!(out, "}}")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_vlan_parse_opt_grammar() {
        let c = parse(&["id", "10"]).unwrap();
        assert_eq!(c, VlanConfig::with_id(10));
        let c = parse(&["proto", "802.1ad", "i", "0x14", "reorder_hdr", "off", "loose", "on"]).unwrap();
        assert_eq!(c.protocol, Some(ETH_P_8021AD));
        assert_eq!(c.id, Some(20));
        assert_eq!(c.flags, Some((VLAN_FLAG_LOOSE_BINDING, VLAN_FLAG_REORDER_HDR | VLAN_FLAG_LOOSE_BINDING)));
        let c =
            parse(&["protocol", "802.1q", "id", "4095", "gvrp", "on", "mvrp", "on", "bridge_binding", "off"]).unwrap();
        assert_eq!((c.protocol, c.id), (Some(ETH_P_8021Q), Some(4095)), "the kernel, not iproute2, refuses 4095");
        let c = parse(&["id", "5", "ingress-qos-map", "1:2", "3:4", "egress-qos-map", "0x10:7"]).unwrap();
        assert_eq!(c.ingress_qos, [QosMapping { from: 1, to: 2 }, QosMapping { from: 3, to: 4 }]);
        assert_eq!(c.egress_qos, [QosMapping { from: 16, to: 7 }]);
        assert_eq!(parse(&["protocol", "0x88a8", "id", "1"]).unwrap().protocol, Some(ETH_P_8021AD));
        assert_eq!(parse(&["protocol", "ip", "id", "1"]).unwrap().protocol, Some(0x0800));
        for bad in [
            &["id", "65536"][..],
            &["id", "x"],
            &["id"],
            &["protocol", "802.2"],
            &["reorder_hdr", "yes"],
            &["ingress-qos-map", "1:x"],
            &["bogus"],
        ] {
            assert_eq!(parse(bad).unwrap_err(), Errno::Einval, "{bad:?}");
        }
    }

    #[test]
    fn vlan_validate_errors() {
        assert_eq!(VlanConfig::with_id(4094).validate(), Ok(()));
        assert_eq!(VlanConfig::with_id(0).validate(), Ok(()));
        let e = VlanConfig::with_id(4095).validate().unwrap_err();
        assert_eq!((e.errno(), e.extack()), (Errno::Erange, Some("8021q: Invalid VLAN id")));
        let e = VlanConfig { protocol: Some(0x0800), ..VlanConfig::with_id(1) }.validate().unwrap_err();
        assert_eq!(e.errno(), Errno::Eprotonosupport);
        let e = VlanConfig { flags: Some((0x20, 0x20)), ..VlanConfig::with_id(1) }.validate().unwrap_err();
        assert_eq!(e.errno(), Errno::Einval);
        // Unknown bits outside the mask are ignored (`flags & mask`).
        assert_eq!(VlanConfig { flags: Some((0x20, 0x1)), ..VlanConfig::with_id(1) }.validate(), Ok(()));
    }

    #[test]
    fn print_opt_matches_iproute2() {
        let mut s = String::new();
        print_opt(&mut s, ETH_P_8021Q, 10, VLAN_FLAG_REORDER_HDR, &[], &[]).unwrap();
        assert_eq!(s, "protocol 802.1Q id 10 <REORDER_HDR>");
        let mut s = String::new();
        print_opt(&mut s, ETH_P_8021AD, 7, 0, &[], &[]).unwrap();
        assert_eq!(s, "protocol 802.1ad id 7");
        let mut s = String::new();
        let q = [QosMapping { from: 1, to: 2 }];
        print_opt(&mut s, ETH_P_8021Q, 5, VLAN_FLAG_REORDER_HDR | VLAN_FLAG_LOOSE_BINDING | 0x40, &q, &q).unwrap();
        assert_eq!(
            s,
            "protocol 802.1Q id 5 <REORDER_HDR,LOOSE_BINDING,40> \n      ingress-qos-map { 1:2 } \n      \
             egress-qos-map { 1:2 }"
        );
    }
}
