//! The bridge's netlink attributes as iproute2 sends them: `ip link add|set DEV type bridge ...`
//! (`IFLA_BR_*`, iproute2 `ip/iplink_bridge.c:bridge_parse_opt`) and `ip link set DEV type
//! bridge_slave ...` / `bridge link set dev DEV ...` (`IFLA_BRPORT_*`,
//! `ip/iplink_bridge_slave.c:bridge_slave_parse_opt`).
//!
//! Parsing follows iproute2 6.1: keywords match by prefix in iproute2's order (`matches()`), a
//! few only exactly (`strcmp`), numbers are read like `strtoul(arg, 0)` (decimal, `0x` hex, `0`
//! octal). Values are kept as sent on the wire (times in centiseconds, `clock_t` at
//! `USER_HZ = 100`); the kernel's checks run when a config is applied (`br_changelink`,
//! `br_setport`), in the kernel's order.

use std::fmt;

use netdev_core::{ETH_P_8021AD, ETH_P_8021Q, MacAddr};

/// A command-line error, before anything reaches the kernel (iproute2 exits with status 255).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ArgError {
    /// `invarg(msg, arg)`: `Error: argument "ARG" is wrong: MSG`.
    Invalid {
        /// The offending word.
        arg: String,
        /// iproute2's message (`invalid forward_delay`, `state is invalid`, ...).
        msg: &'static str,
    },
    /// `bridge: unknown command "WORD"?` (`bridge_slave: unknown option "WORD"?` for a port),
    /// followed by the usage text.
    Unknown {
        /// `bridge` or `bridge_slave`.
        kind: &'static str,
        /// The unknown keyword.
        word: String,
    },
    /// `NEXT_ARG()` ran out of words: `Command line is not complete. Try option "help"`.
    Incomplete,
    /// `ll_addr_a2n` failed: `"ARG" is invalid lladdr.`
    InvalidLladdr(String),
    /// An on/off flag got something else (`parse_on_off`):
    /// `Error: argument of "NAME" must be "on" or "off", not "VALUE"`.
    OnOff {
        /// The flag (`hairpin`, `learning`, ...).
        name: &'static str,
        /// What was given instead.
        value: String,
    },
    /// `help`: iproute2 prints the usage text and fails.
    Help,
}

impl fmt::Display for ArgError {
    /// The first line iproute2 prints on stderr (the usage text that follows some of them is not
    /// reproduced).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ArgError::Invalid { arg, msg } => write!(f, "Error: argument \"{arg}\" is wrong: {msg}"),
            ArgError::Unknown { kind: "bridge", word } => write!(f, "bridge: unknown command \"{word}\"?"),
            ArgError::Unknown { kind, word } => write!(f, "{kind}: unknown option \"{word}\"?"),
            ArgError::Incomplete => f.write_str("Command line is not complete. Try option \"help\""),
            ArgError::InvalidLladdr(a) => write!(f, "\"{a}\" is invalid lladdr."),
            ArgError::OnOff { name, value } => {
                write!(f, "Error: argument of \"{name}\" must be \"on\" or \"off\", not \"{value}\"")
            }
            ArgError::Help => f.write_str("Usage: ..."),
        }
    }
}

impl std::error::Error for ArgError {}

/// `IFLA_INFO_DATA` of a bridge (`IFLA_BR_*`): every field is optional, as in a netlink request.
/// Times are centiseconds.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[allow(missing_docs)] // the names are iproute2's keywords and the kernel's IFLA_BR_* attributes
pub struct BridgeConfig {
    pub forward_delay: Option<u32>,
    pub hello_time: Option<u32>,
    pub max_age: Option<u32>,
    pub ageing_time: Option<u32>,
    pub stp_state: Option<u32>,
    pub priority: Option<u16>,
    pub vlan_filtering: Option<u8>,
    pub vlan_protocol: Option<u16>,
    pub group_fwd_mask: Option<u16>,
    pub group_address: Option<MacAddr>,
    pub no_linklocal_learn: Option<bool>,
    pub fdb_flush: bool,
    pub vlan_default_pvid: Option<u16>,
    pub vlan_stats_enabled: Option<u8>,
    pub vlan_stats_per_port: Option<u8>,
    pub mcast_router: Option<u8>,
    pub mcast_snooping: Option<u8>,
    pub mcast_vlan_snooping: Option<bool>,
    pub mcast_query_use_ifaddr: Option<u8>,
    pub mcast_querier: Option<u8>,
    pub mcast_hash_elasticity: Option<u32>,
    pub mcast_hash_max: Option<u32>,
    pub mcast_last_member_count: Option<u32>,
    pub mcast_startup_query_count: Option<u32>,
    pub mcast_last_member_interval: Option<u64>,
    pub mcast_membership_interval: Option<u64>,
    pub mcast_querier_interval: Option<u64>,
    pub mcast_query_interval: Option<u64>,
    pub mcast_query_response_interval: Option<u64>,
    pub mcast_startup_query_interval: Option<u64>,
    pub mcast_stats_enabled: Option<u8>,
    pub mcast_igmp_version: Option<u8>,
    pub mcast_mld_version: Option<u8>,
    pub nf_call_iptables: Option<u8>,
    pub nf_call_ip6tables: Option<u8>,
    pub nf_call_arptables: Option<u8>,
    /// `IFLA_BR_FDB_MAX_LEARNED` (newer than iproute2 6.1's parser; for library users).
    pub fdb_max_learned: Option<u32>,
}

/// `IFLA_PROTINFO` / `IFLA_INFO_SLAVE_DATA` of a bridge port (`IFLA_BRPORT_*`). Flags are
/// `Some(on)` when given.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[allow(missing_docs)] // the names are iproute2's keywords and the kernel's IFLA_BRPORT_* attributes
pub struct PortConfig {
    pub fdb_flush: bool,
    pub state: Option<u8>,
    pub priority: Option<u16>,
    pub cost: Option<u32>,
    pub hairpin: Option<bool>,
    pub guard: Option<bool>,
    pub root_block: Option<bool>,
    pub fastleave: Option<bool>,
    pub learning: Option<bool>,
    pub flood: Option<bool>,
    pub mcast_flood: Option<bool>,
    pub bcast_flood: Option<bool>,
    pub mcast_to_unicast: Option<bool>,
    pub proxy_arp: Option<bool>,
    pub proxy_arp_wifi: Option<bool>,
    pub mcast_router: Option<u8>,
    pub neigh_suppress: Option<bool>,
    pub group_fwd_mask: Option<u16>,
    pub vlan_tunnel: Option<bool>,
    pub isolated: Option<bool>,
    pub locked: Option<bool>,
    pub mab: Option<bool>,
    /// `backup_port DEV` (`Some(Some(name))`) or `nobackup_port` (`Some(None)`).
    pub backup_port: Option<Option<String>>,
}

/// iproute2's `matches(cmd, pattern)`: `cmd` is a non-empty prefix of `pattern`.
pub(crate) fn matches(cmd: &str, pattern: &str) -> bool {
    !cmd.is_empty() && pattern.starts_with(cmd)
}

/// `strtoul(s, &end, 0)` with iproute2's `get_u*` checks: the whole word, at most `max`.
pub(crate) fn parse_uint(s: &str, max: u64) -> Option<u64> {
    let v = if let Some(h) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        if h.is_empty() || !h.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        u64::from_str_radix(h, 16).ok()?
    } else if s.len() > 1 && s.starts_with('0') {
        if !s.bytes().all(|b| (b'0'..=b'7').contains(&b)) {
            return None;
        }
        u64::from_str_radix(&s[1..], 8).ok()?
    } else {
        if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        s.parse().ok()?
    };
    (v <= max).then_some(v)
}

/// `ll_proto_a2n` for the two VLAN protocols (case-insensitive names, or a number).
fn parse_vlan_proto(s: &str) -> Option<u16> {
    if s.eq_ignore_ascii_case("802.1Q") {
        Some(ETH_P_8021Q)
    } else if s.eq_ignore_ascii_case("802.1ad") {
        Some(ETH_P_8021AD)
    } else {
        parse_uint(s, u64::from(u16::MAX)).map(|v| v as u16)
    }
}

/// The name `ll_proto_n2a` prints for a VLAN protocol.
pub(crate) fn vlan_proto_name(p: u16) -> String {
    match p {
        ETH_P_8021Q => "802.1Q".into(),
        ETH_P_8021AD => "802.1ad".into(),
        other => format!("0x{other:x}"),
    }
}

/// A cursor over the arguments with iproute2's `NEXT_ARG()`.
struct Args<'a> {
    it: std::slice::Iter<'a, &'a str>,
}

impl<'a> Args<'a> {
    /// `NEXT_ARG()`: the next word, or "Command line is not complete".
    fn next_arg(&mut self) -> Result<&'a str, ArgError> {
        self.it.next().copied().ok_or(ArgError::Incomplete)
    }

    /// The next word as a number of at most `max` (`get_u*`), else `invarg(msg, word)`.
    fn num(&mut self, max: u64, msg: &'static str) -> Result<u64, ArgError> {
        let a = self.next_arg()?;
        parse_uint(a, max).ok_or_else(|| ArgError::Invalid { arg: a.to_string(), msg })
    }

    /// `get_u8`.
    fn u8(&mut self, msg: &'static str) -> Result<u8, ArgError> {
        self.num(u64::from(u8::MAX), msg).map(|v| v as u8)
    }

    /// `get_u16`.
    fn u16(&mut self, msg: &'static str) -> Result<u16, ArgError> {
        self.num(u64::from(u16::MAX), msg).map(|v| v as u16)
    }

    /// `get_u32`.
    fn u32(&mut self, msg: &'static str) -> Result<u32, ArgError> {
        self.num(u64::from(u32::MAX), msg).map(|v| v as u32)
    }

    /// `get_u64`.
    fn u64(&mut self, msg: &'static str) -> Result<u64, ArgError> {
        self.num(u64::MAX, msg)
    }

    /// `parse_on_off`: `on` or `off`.
    fn on_off(&mut self, name: &'static str) -> Result<bool, ArgError> {
        match self.next_arg()? {
            "on" => Ok(true),
            "off" => Ok(false),
            v => Err(ArgError::OnOff { name, value: v.to_string() }),
        }
    }
}

/// `bridge_parse_opt` (iproute2 6.1 `ip/iplink_bridge.c`): the words after `type bridge`.
pub fn parse_bridge_args(args: &[&str]) -> Result<BridgeConfig, ArgError> {
    let mut c = BridgeConfig::default();
    let mut a = Args { it: args.iter() };
    while let Some(&w) = a.it.next() {
        if matches(w, "forward_delay") {
            c.forward_delay = Some(a.u32("invalid forward_delay")?);
        } else if matches(w, "hello_time") {
            c.hello_time = Some(a.u32("invalid hello_time")?);
        } else if matches(w, "max_age") {
            c.max_age = Some(a.u32("invalid max_age")?);
        } else if matches(w, "ageing_time") {
            c.ageing_time = Some(a.u32("invalid ageing_time")?);
        } else if matches(w, "stp_state") {
            c.stp_state = Some(a.u32("invalid stp_state")?);
        } else if matches(w, "priority") {
            c.priority = Some(a.u16("invalid priority")?);
        } else if matches(w, "vlan_filtering") {
            c.vlan_filtering = Some(a.u8("invalid vlan_filtering")?);
        } else if matches(w, "vlan_protocol") {
            let v = a.next_arg()?;
            c.vlan_protocol =
                Some(parse_vlan_proto(v).ok_or(ArgError::Invalid { arg: v.into(), msg: "invalid vlan_protocol" })?);
        } else if matches(w, "group_fwd_mask") {
            c.group_fwd_mask = Some(a.u16("invalid group_fwd_mask")?);
        } else if matches(w, "group_address") {
            let v = a.next_arg()?;
            c.group_address = Some(v.parse().map_err(|_| ArgError::InvalidLladdr(v.into()))?);
        } else if w == "no_linklocal_learn" {
            c.no_linklocal_learn = Some(a.u8("invalid no_linklocal_learn")? != 0);
        } else if matches(w, "fdb_flush") {
            c.fdb_flush = true;
        } else if matches(w, "vlan_default_pvid") {
            c.vlan_default_pvid = Some(a.u16("invalid vlan_default_pvid")?);
        } else if matches(w, "vlan_stats_enabled") {
            c.vlan_stats_enabled = Some(a.u8("invalid vlan_stats_enabled")?);
        } else if matches(w, "vlan_stats_per_port") {
            c.vlan_stats_per_port = Some(a.u8("invalid vlan_stats_per_port")?);
        } else if matches(w, "mcast_router") {
            c.mcast_router = Some(a.u8("invalid mcast_router")?);
        } else if matches(w, "mcast_snooping") {
            c.mcast_snooping = Some(a.u8("invalid mcast_snooping")?);
        } else if w == "mcast_vlan_snooping" {
            c.mcast_vlan_snooping = Some(a.u8("invalid mcast_vlan_snooping")? != 0);
        } else if matches(w, "mcast_query_use_ifaddr") {
            c.mcast_query_use_ifaddr = Some(a.u8("invalid mcast_query_use_ifaddr")?);
        } else if matches(w, "mcast_querier") {
            c.mcast_querier = Some(a.u8("invalid mcast_querier")?);
        } else if matches(w, "mcast_hash_elasticity") {
            c.mcast_hash_elasticity = Some(a.u32("invalid mcast_hash_elasticity")?);
        } else if matches(w, "mcast_hash_max") {
            c.mcast_hash_max = Some(a.u32("invalid mcast_hash_max")?);
        } else if matches(w, "mcast_last_member_count") {
            c.mcast_last_member_count = Some(a.u32("invalid mcast_last_member_count")?);
        } else if matches(w, "mcast_startup_query_count") {
            c.mcast_startup_query_count = Some(a.u32("invalid mcast_startup_query_count")?);
        } else if matches(w, "mcast_last_member_interval") {
            c.mcast_last_member_interval = Some(a.u64("invalid mcast_last_member_interval")?);
        } else if matches(w, "mcast_membership_interval") {
            c.mcast_membership_interval = Some(a.u64("invalid mcast_membership_interval")?);
        } else if matches(w, "mcast_querier_interval") {
            c.mcast_querier_interval = Some(a.u64("invalid mcast_querier_interval")?);
        } else if matches(w, "mcast_query_interval") {
            c.mcast_query_interval = Some(a.u64("invalid mcast_query_interval")?);
        } else if matches(w, "mcast_query_response_interval") {
            c.mcast_query_response_interval = Some(a.u64("invalid mcast_query_response_interval")?);
        } else if matches(w, "mcast_startup_query_interval") {
            c.mcast_startup_query_interval = Some(a.u64("invalid mcast_startup_query_interval")?);
        } else if matches(w, "mcast_stats_enabled") {
            c.mcast_stats_enabled = Some(a.u8("invalid mcast_stats_enabled")?);
        } else if matches(w, "mcast_igmp_version") {
            c.mcast_igmp_version = Some(a.u8("invalid mcast_igmp_version")?);
        } else if matches(w, "mcast_mld_version") {
            c.mcast_mld_version = Some(a.u8("invalid mcast_mld_version")?);
        } else if matches(w, "nf_call_iptables") {
            c.nf_call_iptables = Some(a.u8("invalid nf_call_iptables")?);
        } else if matches(w, "nf_call_ip6tables") {
            c.nf_call_ip6tables = Some(a.u8("invalid nf_call_ip6tables")?);
        } else if matches(w, "nf_call_arptables") {
            c.nf_call_arptables = Some(a.u8("invalid nf_call_arptables")?);
        } else if matches(w, "help") {
            return Err(ArgError::Help);
        } else {
            return Err(ArgError::Unknown { kind: "bridge", word: w.to_string() });
        }
    }
    Ok(c)
}

/// `bridge_slave_parse_opt` (iproute2 6.1 `ip/iplink_bridge_slave.c`): the words after
/// `type bridge_slave`.
pub fn parse_port_args(args: &[&str]) -> Result<PortConfig, ArgError> {
    let mut c = PortConfig::default();
    let mut a = Args { it: args.iter() };
    while let Some(&w) = a.it.next() {
        if matches(w, "fdb_flush") {
            c.fdb_flush = true;
        } else if matches(w, "state") {
            c.state = Some(a.u8("state is invalid")?);
        } else if matches(w, "priority") {
            c.priority = Some(a.u16("priority is invalid")?);
        } else if matches(w, "cost") {
            c.cost = Some(a.u32("cost is invalid")?);
        } else if matches(w, "hairpin") {
            c.hairpin = Some(a.on_off("hairpin")?);
        } else if matches(w, "guard") {
            c.guard = Some(a.on_off("guard")?);
        } else if matches(w, "root_block") {
            c.root_block = Some(a.on_off("root_block")?);
        } else if matches(w, "fastleave") {
            c.fastleave = Some(a.on_off("fastleave")?);
        } else if matches(w, "learning") {
            c.learning = Some(a.on_off("learning")?);
        } else if matches(w, "flood") {
            c.flood = Some(a.on_off("flood")?);
        } else if matches(w, "mcast_flood") {
            c.mcast_flood = Some(a.on_off("mcast_flood")?);
        } else if matches(w, "bcast_flood") {
            c.bcast_flood = Some(a.on_off("bcast_flood")?);
        } else if matches(w, "mcast_to_unicast") {
            c.mcast_to_unicast = Some(a.on_off("mcast_to_unicast")?);
        } else if matches(w, "proxy_arp") {
            c.proxy_arp = Some(a.on_off("proxy_arp")?);
        } else if matches(w, "proxy_arp_wifi") {
            c.proxy_arp_wifi = Some(a.on_off("proxy_arp_wifi")?);
        } else if matches(w, "mcast_router") {
            c.mcast_router = Some(a.u8("invalid mcast_router")?);
        } else if matches(w, "mcast_fast_leave") {
            c.fastleave = Some(a.on_off("mcast_fast_leave")?);
        } else if matches(w, "neigh_suppress") {
            c.neigh_suppress = Some(a.on_off("neigh_suppress")?);
        } else if matches(w, "group_fwd_mask") {
            c.group_fwd_mask = Some(a.u16("invalid group_fwd_mask")?);
        } else if matches(w, "vlan_tunnel") {
            c.vlan_tunnel = Some(a.on_off("vlan_tunnel")?);
        } else if matches(w, "isolated") {
            c.isolated = Some(a.on_off("isolated")?);
        } else if matches(w, "locked") {
            c.locked = Some(a.on_off("locked")?);
        } else if w == "mab" {
            c.mab = Some(a.on_off("mab")?);
        } else if matches(w, "backup_port") {
            c.backup_port = Some(Some(a.next_arg()?.to_string()));
        } else if matches(w, "nobackup_port") {
            c.backup_port = Some(None);
        } else if matches(w, "help") {
            return Err(ArgError::Help);
        } else {
            return Err(ArgError::Unknown { kind: "bridge_slave", word: w.to_string() });
        }
    }
    Ok(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bridge_args_parse_like_iproute2() {
        let c = parse_bridge_args(&["forward", "0x10", "stp_state", "1", "vlan_protocol", "802.1ad", "group_fwd", "0"])
            .unwrap();
        assert_eq!(c.forward_delay, Some(16));
        assert_eq!(c.stp_state, Some(1));
        assert_eq!(c.vlan_protocol, Some(ETH_P_8021AD));
        assert_eq!(c.group_fwd_mask, Some(0));
        // "mcast_q" is a prefix of mcast_query_use_ifaddr, which iproute2 tests first.
        assert_eq!(parse_bridge_args(&["mcast_q", "1"]).unwrap().mcast_query_use_ifaddr, Some(1));
        assert_eq!(
            parse_bridge_args(&["priority", "65536"]),
            Err(ArgError::Invalid { arg: "65536".into(), msg: "invalid priority" })
        );
        assert_eq!(parse_bridge_args(&["ageing_time"]), Err(ArgError::Incomplete));
        let e = parse_bridge_args(&["nosuch", "1"]).unwrap_err();
        assert_eq!(e.to_string(), "bridge: unknown command \"nosuch\"?");
        assert_eq!(parse_bridge_args(&["group_address", "zz"]).unwrap_err().to_string(), "\"zz\" is invalid lladdr.");
        // no_linklocal_learn is compared exactly, not by prefix.
        assert!(parse_bridge_args(&["no_linklocal", "1"]).is_err());
    }

    #[test]
    fn port_args_parse_like_iproute2() {
        let c = parse_port_args(&["state", "2", "hairpin", "on", "learning", "off", "cost", "010"]).unwrap();
        assert_eq!(c.state, Some(2));
        assert_eq!(c.hairpin, Some(true));
        assert_eq!(c.learning, Some(false));
        assert_eq!(c.cost, Some(8), "a leading 0 is octal");
        assert_eq!(parse_port_args(&["flood", "off"]).unwrap().flood, Some(false));
        assert_eq!(
            parse_port_args(&["hairpin", "yes"]).unwrap_err().to_string(),
            "Error: argument of \"hairpin\" must be \"on\" or \"off\", not \"yes\""
        );
        assert_eq!(parse_port_args(&["nobackup_port"]).unwrap().backup_port, Some(None));
        assert_eq!(
            parse_port_args(&["state", "x"]).unwrap_err().to_string(),
            "Error: argument \"x\" is wrong: state is invalid"
        );
    }

    #[test]
    fn numbers_read_like_strtoul_base_0() {
        assert_eq!(parse_uint("0", 10), Some(0));
        assert_eq!(parse_uint("017", 100), Some(15));
        assert_eq!(parse_uint("0x1F", 100), Some(31));
        assert_eq!(parse_uint("08", 100), None);
        assert_eq!(parse_uint("", 100), None);
        assert_eq!(parse_uint("0x", 100), None);
        assert_eq!(parse_uint("101", 100), None);
        assert_eq!(parse_uint("-1", 100), None);
    }
}
