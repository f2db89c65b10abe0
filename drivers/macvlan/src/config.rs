//! The macvlan attributes (`IFLA_MACVLAN_*`): modes, flags, the source-list operations, their
//! validation (`macvlan_validate`), iproute2's argument grammar (`iplink_macvlan.c`
//! `macvlan_parse_opt`) and its `ip -d link` text (`macvlan_print_opt`), iproute2 6.1.

use std::fmt;

use netdev_core::{Errno, Error, MacAddr, Result};

/// `MACVLAN_FLAG_NOPROMISC`: a passthru macvlan does not make its lower device promiscuous.
pub const MACVLAN_FLAG_NOPROMISC: u16 = 1;
/// `MACVLAN_FLAG_NODST`: a source-mode macvlan takes the frames of its sources away from the
/// lower device (they are not delivered by destination as well).
pub const MACVLAN_FLAG_NODST: u16 = 2;
/// `MACVLAN_DEFAULT_BC_QUEUE_LEN`: the broadcast queue length a macvlan asks for by default.
pub const MACVLAN_DEFAULT_BC_QUEUE_LEN: u32 = 1000;
/// The default `bc_cutoff` of a port: groups subscribed by more than this many macvlans are
/// queued like broadcasts.
pub const MACVLAN_DEFAULT_BC_CUTOFF: i32 = 1;

/// `enum macvlan_mode` (uapi `if_link.h`): how a macvlan exchanges frames with its siblings on
/// the same lower device.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u32)]
pub enum MacvlanMode {
    /// `MACVLAN_MODE_PRIVATE`: no traffic with siblings, not even when an external switch
    /// reflects broadcasts back.
    Private = 1,
    /// `MACVLAN_MODE_VEPA`: everything goes out of the lower device; siblings are reached only
    /// through a switch that reflects frames (the default).
    Vepa = 2,
    /// `MACVLAN_MODE_BRIDGE`: frames to other bridge-mode siblings are delivered directly.
    Bridge = 4,
    /// `MACVLAN_MODE_PASSTHRU`: the one macvlan of its lower device takes everything the lower
    /// receives, and the lower's MAC address.
    Passthru = 8,
    /// `MACVLAN_MODE_SOURCE`: receives the frames whose source MAC is in its list.
    Source = 16,
}

impl MacvlanMode {
    /// Every mode, in value order.
    pub const ALL: [MacvlanMode; 5] =
        [MacvlanMode::Private, MacvlanMode::Vepa, MacvlanMode::Bridge, MacvlanMode::Passthru, MacvlanMode::Source];

    /// The `IFLA_MACVLAN_MODE` value: `macvlan_validate` accepts exactly the five modes, anything
    /// else is EINVAL.
    pub fn from_u32(v: u32) -> Result<MacvlanMode> {
        MacvlanMode::ALL.into_iter().find(|m| m.bits() == v).ok_or(Error::new(Errno::Einval))
    }

    /// The uapi value (a bit, so modes can be masked together as `macvlan_broadcast` does).
    pub const fn bits(self) -> u32 {
        self as u32
    }

    /// The name iproute2 prints and parses (`mode vepa`).
    pub const fn name(self) -> &'static str {
        match self {
            MacvlanMode::Private => "private",
            MacvlanMode::Vepa => "vepa",
            MacvlanMode::Bridge => "bridge",
            MacvlanMode::Passthru => "passthru",
            MacvlanMode::Source => "source",
        }
    }

    /// The mode named `s` (exact match, as iproute2's `strcmp`).
    pub fn from_name(s: &str) -> Option<MacvlanMode> {
        MacvlanMode::ALL.into_iter().find(|m| m.name() == s)
    }
}

impl fmt::Display for MacvlanMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// `enum macvlan_macaddr_mode`: what `IFLA_MACVLAN_MACADDR_MODE` does to a source-mode
/// macvlan's list of allowed source MACs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u32)]
pub enum MacaddrMode {
    /// `MACVLAN_MACADDR_ADD`: add `IFLA_MACVLAN_MACADDR` (a duplicate is a silent no-op).
    Add = 0,
    /// `MACVLAN_MACADDR_DEL`: remove it (an absent one is a silent no-op).
    Del = 1,
    /// `MACVLAN_MACADDR_FLUSH`: empty the list.
    Flush = 2,
    /// `MACVLAN_MACADDR_SET`: flush, then add `IFLA_MACVLAN_MACADDR` and the
    /// `IFLA_MACVLAN_MACADDR_DATA` list.
    Set = 3,
}

impl MacaddrMode {
    /// The attribute value; anything but 0..=3 is EINVAL (`macvlan_validate`).
    pub fn from_u32(v: u32) -> Result<MacaddrMode> {
        match v {
            0 => Ok(MacaddrMode::Add),
            1 => Ok(MacaddrMode::Del),
            2 => Ok(MacaddrMode::Flush),
            3 => Ok(MacaddrMode::Set),
            _ => Err(Error::new(Errno::Einval)),
        }
    }
}

/// The macvlan type-specific attributes (`IFLA_INFO_DATA`) of `ip link add|set ... type macvlan`,
/// as [`LinkKind::parse_args`](netdev_core::LinkKind::parse_args) produces them or a library user
/// builds them. Every field is optional, like a netlink attribute: absent means "not given".
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MacvlanConfig {
    /// `IFLA_MACVLAN_MODE` (creation default: VEPA).
    pub mode: Option<MacvlanMode>,
    /// `IFLA_MACVLAN_FLAGS`: [`MACVLAN_FLAG_NOPROMISC`] | [`MACVLAN_FLAG_NODST`]; other bits are
    /// EINVAL.
    pub flags: Option<u16>,
    /// `IFLA_MACVLAN_MACADDR_MODE` (source mode only, else EINVAL).
    pub macaddr_mode: Option<MacaddrMode>,
    /// `IFLA_MACVLAN_MACADDR`: the address for ADD and DEL (and SET).
    pub macaddr: Option<MacAddr>,
    /// `IFLA_MACVLAN_MACADDR_DATA`: the addresses for SET.
    pub macaddr_data: Option<Vec<MacAddr>>,
    /// `IFLA_MACVLAN_MACADDR_COUNT`: read-only; supplying it is EINVAL.
    pub macaddr_count: Option<u32>,
    /// `IFLA_MACVLAN_BC_QUEUE_LEN`: the broadcast queue length this macvlan asks for.
    pub bc_queue_len: Option<u32>,
    /// `IFLA_MACVLAN_BC_CUTOFF` (port-wide; a negative value queues nothing).
    pub bc_cutoff: Option<i32>,
}

impl MacvlanConfig {
    /// A configuration giving only the mode.
    pub fn with_mode(mode: MacvlanMode) -> MacvlanConfig {
        MacvlanConfig { mode: Some(mode), ..MacvlanConfig::default() }
    }

    /// A source-list operation (`ip link set DEV type macvlan macaddr ...`).
    pub fn macaddr_op(op: &MacaddrOp) -> MacvlanConfig {
        let mut c = MacvlanConfig::default();
        match op {
            MacaddrOp::Add(a) => {
                c.macaddr_mode = Some(MacaddrMode::Add);
                c.macaddr = Some(*a);
            }
            MacaddrOp::Del(a) => {
                c.macaddr_mode = Some(MacaddrMode::Del);
                c.macaddr = Some(*a);
            }
            MacaddrOp::Set(list) => {
                c.macaddr_mode = Some(MacaddrMode::Set);
                c.macaddr_data = Some(list.clone());
            }
            MacaddrOp::Flush => c.macaddr_mode = Some(MacaddrMode::Flush),
        }
        c
    }

    /// `macvlan_validate` on these attributes and the generic `IFLA_ADDRESS`: an invalid address
    /// is EADDRNOTAVAIL; unknown flag bits or a supplied `macaddr_count` are EINVAL; a multicast
    /// or zero `macaddr` (or data entry) is EADDRNOTAVAIL.
    pub fn validate(&self, address: Option<MacAddr>) -> Result<()> {
        if address.is_some_and(|a| !a.is_valid()) {
            return Err(Error::new(Errno::Eaddrnotavail));
        }
        if self.flags.is_some_and(|f| f & !(MACVLAN_FLAG_NOPROMISC | MACVLAN_FLAG_NODST) != 0) {
            return Err(Error::new(Errno::Einval));
        }
        if self.macaddr.is_some_and(|a| !a.is_valid()) {
            return Err(Error::new(Errno::Eaddrnotavail));
        }
        if self.macaddr_data.as_ref().is_some_and(|d| d.iter().any(|a| !a.is_valid())) {
            return Err(Error::new(Errno::Eaddrnotavail));
        }
        if self.macaddr_count.is_some() {
            return Err(Error::new(Errno::Einval));
        }
        Ok(())
    }
}

/// A source-list operation, the Rust form of `macaddr add|del|set|flush`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MacaddrOp {
    /// `macaddr add MAC`.
    Add(MacAddr),
    /// `macaddr del MAC`.
    Del(MacAddr),
    /// `macaddr set [MAC ...]`.
    Set(Vec<MacAddr>),
    /// `macaddr flush`.
    Flush,
}

/// iproute2's usage text for the kind (`print_explain`, iproute2 6.1), printed after some
/// argument errors.
pub const USAGE: &str = "Usage: ... macvlan mode MODE [flag MODE_FLAG] MODE_OPTS [bcqueuelen BC_QUEUE_LEN]\n\
\n\
MODE: private | vepa | bridge | passthru | source\n\
MODE_FLAG: null | nopromisc | nodst\n\
MODE_OPTS: for mode \"source\":\n\
\tmacaddr { { add | del } <macaddr> | set [ <macaddr> [ <macaddr>  ... ] ] | flush }\n\
BC_QUEUE_LEN: Length of the rx queue for broadcast/multicast: [0-4294967295]\n";

/// An argument error of `... type macvlan ARGS`, as iproute2 6.1 reports it before sending
/// anything to the kernel. [`Display`](fmt::Display) gives its stderr text (without the usage
/// text, which follows when [`shows_usage`](Self::shows_usage) says so).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ArgError {
    /// A keyword without its value (`NEXT_ARG` → `incomplete_command`).
    Incomplete,
    /// `mode X` with an unknown X.
    Mode(String),
    /// `flag X` with an unknown X.
    Flag(String),
    /// `macaddr X` with X not add/del/set/flush (usage only).
    MacaddrOp(String),
    /// `macaddr add|del X` with X not a MAC address (`ll_addr_a2n`).
    Lladdr(String),
    /// `bcqueuelen X` with X not a u32.
    BcQueueLen(String),
    /// An unknown keyword.
    Unknown(String),
    /// `nopromisc` without `mode passthru` in the same command.
    NopromiscNotPassthru,
    /// `help`.
    Help,
}

impl ArgError {
    /// True if iproute2 prints [`USAGE`] after the message.
    pub fn shows_usage(&self) -> bool {
        matches!(self, ArgError::MacaddrOp(_) | ArgError::Unknown(_) | ArgError::NopromiscNotPassthru | ArgError::Help)
    }

    /// The error as the kind's [`Error`] (EINVAL with a fixed message).
    pub fn to_error(&self) -> Error {
        let msg = match self {
            ArgError::Incomplete => "Command line is not complete. Try option \"help\"",
            ArgError::Mode(_) => {
                "argument of \"mode\" must be \"private\", \"vepa\", \"bridge\", \"passthru\" or \"source\""
            }
            ArgError::Flag(_) => "argument of \"flag\" must be \"nopromisc\", \"nodst\" or \"null\"",
            ArgError::MacaddrOp(_) | ArgError::Help => "macvlan usage",
            ArgError::Lladdr(_) => "invalid lladdr",
            ArgError::BcQueueLen(_) => "argument of \"bcqueuelen\" must be a positive integer [0-4294967295]",
            ArgError::Unknown(_) => "macvlan: unknown option",
            ArgError::NopromiscNotPassthru => "macvlan: nopromisc flag only valid in passthru mode",
        };
        Error::with_msg(Errno::Einval, msg)
    }
}

impl fmt::Display for ArgError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ArgError::Incomplete => f.write_str("Command line is not complete. Try option \"help\""),
            ArgError::Mode(a) => write!(
                f,
                "Error: argument of \"mode\" must be \"private\", \"vepa\", \"bridge\", \"passthru\" or \"source\", \
                 not \"{a}\""
            ),
            ArgError::Flag(a) => {
                write!(f, "Error: argument of \"flag\" must be \"nopromisc\", \"nodst\" or \"null\", not \"{a}\"")
            }
            ArgError::MacaddrOp(_) | ArgError::Help => Ok(()),
            ArgError::Lladdr(a) => write!(f, "\"{a}\" is invalid lladdr."),
            ArgError::BcQueueLen(a) => {
                write!(f, "Error: argument of \"bcqueuelen\" must be a positive integer [0-4294967295], not \"{a}\"")
            }
            ArgError::Unknown(a) => write!(f, "macvlan: unknown option \"{a}\"?"),
            ArgError::NopromiscNotPassthru => f.write_str("macvlan: nopromisc flag only valid in passthru mode"),
        }
    }
}

impl std::error::Error for ArgError {}

/// iproute2's `matches(arg, keyword)`: `arg` is a non-empty prefix of `keyword`.
fn matches(arg: &str, keyword: &str) -> bool {
    !arg.is_empty() && keyword.starts_with(arg)
}

/// iproute2's `get_u32(.., base 0)`: decimal, `0x` hex or leading-0 octal, the whole string.
fn get_u32(s: &str) -> Option<u32> {
    let t = s.strip_prefix('+').unwrap_or(s);
    let (digits, radix) = if let Some(h) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        (h, 16)
    } else if t.len() > 1 && t.starts_with('0') {
        (&t[1..], 8)
    } else {
        (t, 10)
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    u32::from_str_radix(digits, radix).ok()
}

/// `macvlan_parse_opt` (iproute2 6.1): `mode MODE`, `flag nopromisc|nodst|null`, `nopromisc`,
/// `nodst`, `macaddr add|del MAC`, `macaddr set [MAC...]`, `macaddr flush`, `bcqueuelen N`,
/// keywords abbreviable as iproute2's `matches` allows. `nopromisc` needs `mode passthru` in
/// the same command.
///
/// Deliberate deviation: `macaddr set` takes the following words while they are complete MAC
/// addresses and stops at the first that is not, without iproute2's stray `"X" is invalid
/// lladdr.` message for that word.
pub fn parse(args: &[&str]) -> std::result::Result<MacvlanConfig, ArgError> {
    let mut cfg = MacvlanConfig::default();
    let mut flags: u16 = 0;
    let mut has_flags = false;
    let mut i = 0;
    let next = |i: &mut usize| -> std::result::Result<&str, ArgError> {
        *i += 1;
        args.get(*i).copied().ok_or(ArgError::Incomplete)
    };
    while let Some(&w) = args.get(i) {
        if matches(w, "mode") {
            let v = next(&mut i)?;
            cfg.mode = Some(MacvlanMode::from_name(v).ok_or_else(|| ArgError::Mode(v.to_string()))?);
        } else if matches(w, "flag") {
            let v = next(&mut i)?;
            flags |= match v {
                "nopromisc" => MACVLAN_FLAG_NOPROMISC,
                "nodst" => MACVLAN_FLAG_NODST,
                "null" => 0,
                _ => return Err(ArgError::Flag(v.to_string())),
            };
            has_flags = true;
        } else if matches(w, "macaddr") {
            let v = next(&mut i)?;
            let mode = match v {
                "add" => MacaddrMode::Add,
                "del" => MacaddrMode::Del,
                "set" => MacaddrMode::Set,
                "flush" => MacaddrMode::Flush,
                _ => return Err(ArgError::MacaddrOp(v.to_string())),
            };
            cfg.macaddr_mode = Some(mode);
            match mode {
                MacaddrMode::Add | MacaddrMode::Del => {
                    let a = next(&mut i)?;
                    cfg.macaddr = Some(a.parse().map_err(|_| ArgError::Lladdr(a.to_string()))?);
                }
                MacaddrMode::Set => {
                    let list = cfg.macaddr_data.get_or_insert_with(Vec::new);
                    while let Some(a) = args.get(i + 1).and_then(|a| a.parse::<MacAddr>().ok()) {
                        list.push(a);
                        i += 1;
                    }
                }
                MacaddrMode::Flush => {}
            }
        } else if matches(w, "nopromisc") {
            flags |= MACVLAN_FLAG_NOPROMISC;
            has_flags = true;
        } else if matches(w, "nodst") {
            flags |= MACVLAN_FLAG_NODST;
            has_flags = true;
        } else if matches(w, "bcqueuelen") {
            let v = next(&mut i)?;
            cfg.bc_queue_len = Some(get_u32(v).ok_or_else(|| ArgError::BcQueueLen(v.to_string()))?);
        } else if matches(w, "help") {
            return Err(ArgError::Help);
        } else {
            return Err(ArgError::Unknown(w.to_string()));
        }
        i += 1;
    }
    if has_flags {
        if flags & MACVLAN_FLAG_NOPROMISC != 0 && cfg.mode != Some(MacvlanMode::Passthru) {
            return Err(ArgError::NopromiscNotPassthru);
        }
        cfg.flags = Some(flags);
    }
    Ok(cfg)
}

/// What `ip -d link` prints after `macvlan ` (iproute2 6.1 `macvlan_print_opt`), every item
/// followed by one space: `mode M `, `nopromisc `, `nodst `, `bcqueuelen N `,
/// `usedbcqueuelen N `, and in source mode `remotes (N) ` and each source MAC. (iproute2 6.1
/// does not print `bc_cutoff`.)
pub(crate) fn print_opt(
    out: &mut dyn fmt::Write,
    mode: MacvlanMode,
    flags: u16,
    bc_queue_len: u32,
    bc_queue_len_used: u32,
    sources: &[MacAddr],
) -> fmt::Result {
    write!(out, "mode {} ", mode.name())?;
    if flags & MACVLAN_FLAG_NOPROMISC != 0 {
        out.write_str("nopromisc ")?;
    }
    if flags & MACVLAN_FLAG_NODST != 0 {
        out.write_str("nodst ")?;
    }
    write!(out, "bcqueuelen {bc_queue_len} usedbcqueuelen {bc_queue_len_used} ")?;
    if mode == MacvlanMode::Source {
        write!(out, "remotes ({}) ", sources.len())?;
        for a in sources {
            write!(out, "{a} ")?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(s: &str) -> MacAddr {
        s.parse().unwrap()
    }

    /// iplink_macvlan.c macvlan_parse_opt: keywords, abbreviations and values.
    #[test]
    fn parse_accepts_iproute2_forms() {
        let c = parse(&["mode", "bridge"]).unwrap();
        assert_eq!(c, MacvlanConfig::with_mode(MacvlanMode::Bridge));
        let c = parse(&["mo", "passthru", "nopromisc"]).unwrap();
        assert_eq!((c.mode, c.flags), (Some(MacvlanMode::Passthru), Some(MACVLAN_FLAG_NOPROMISC)));
        let c = parse(&["mode", "source", "nodst", "macaddr", "add", "02:00:00:00:00:01"]).unwrap();
        assert_eq!(c.flags, Some(MACVLAN_FLAG_NODST));
        assert_eq!((c.macaddr_mode, c.macaddr), (Some(MacaddrMode::Add), Some(m("02:00:00:00:00:01"))));
        let c = parse(&["macaddr", "set", "02:00:00:00:00:01", "02:00:00:00:00:02", "bcqueuelen", "0x10"]).unwrap();
        assert_eq!(c.macaddr_data, Some(vec![m("02:00:00:00:00:01"), m("02:00:00:00:00:02")]));
        assert_eq!(c.bc_queue_len, Some(16));
        let c = parse(&["macaddr", "set"]).unwrap();
        assert_eq!(c.macaddr_data, Some(vec![]));
        assert_eq!(parse(&["flag", "null"]).unwrap().flags, Some(0));
        assert_eq!(parse(&["bcqueuelen", "010"]).unwrap().bc_queue_len, Some(8));
        assert_eq!(parse(&[]).unwrap(), MacvlanConfig::default());
    }

    #[test]
    fn parse_errors_match_iproute2() {
        assert_eq!(parse(&["mode"]).unwrap_err(), ArgError::Incomplete);
        let e = parse(&["mode", "hub"]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "Error: argument of \"mode\" must be \"private\", \"vepa\", \"bridge\", \"passthru\" or \"source\", \
             not \"hub\""
        );
        assert_eq!(parse(&["flag", "x"]).unwrap_err(), ArgError::Flag("x".into()));
        assert_eq!(parse(&["nopromisc"]).unwrap_err(), ArgError::NopromiscNotPassthru);
        assert_eq!(parse(&["mode", "bridge", "nopromisc"]).unwrap_err(), ArgError::NopromiscNotPassthru);
        assert_eq!(parse(&["macaddr", "add", "zz"]).unwrap_err().to_string(), "\"zz\" is invalid lladdr.");
        assert_eq!(parse(&["macaddr", "swap"]).unwrap_err(), ArgError::MacaddrOp("swap".into()));
        assert_eq!(parse(&["bcqueuelen", "-1"]).unwrap_err(), ArgError::BcQueueLen("-1".into()));
        assert_eq!(parse(&["bcqueuelen", "4294967296"]).unwrap_err(), ArgError::BcQueueLen("4294967296".into()));
        // bclim arrived in iproute2 6.4: 6.1 does not know it.
        let e = parse(&["bclim", "3"]).unwrap_err();
        assert_eq!(e.to_string(), "macvlan: unknown option \"bclim\"?");
        assert!(e.shows_usage());
        assert_eq!(parse(&["help"]).unwrap_err(), ArgError::Help);
        assert_eq!(parse(&["mode", "bridge"]).map(|_| ()), Ok(()));
    }

    /// macvlan_validate.
    #[test]
    fn validate_rules() {
        let ok = MacvlanConfig::default();
        assert_eq!(ok.validate(Some(MacAddr::BROADCAST)).unwrap_err(), Errno::Eaddrnotavail);
        assert_eq!(ok.validate(Some(MacAddr::ZERO)).unwrap_err(), Errno::Eaddrnotavail);
        let bad_flags = MacvlanConfig { flags: Some(4), ..MacvlanConfig::default() };
        assert_eq!(bad_flags.validate(None).unwrap_err(), Errno::Einval);
        let count = MacvlanConfig { macaddr_count: Some(0), ..MacvlanConfig::default() };
        assert_eq!(count.validate(None).unwrap_err(), Errno::Einval);
        let mc = MacvlanConfig { macaddr: Some(m("01:00:5e:00:00:01")), ..MacvlanConfig::default() };
        assert_eq!(mc.validate(None).unwrap_err(), Errno::Eaddrnotavail);
        let data = MacvlanConfig { macaddr_data: Some(vec![MacAddr::ZERO]), ..MacvlanConfig::default() };
        assert_eq!(data.validate(None).unwrap_err(), Errno::Eaddrnotavail);
        assert_eq!(MacvlanMode::from_u32(3).unwrap_err(), Errno::Einval);
        assert_eq!(MacvlanMode::from_u32(16).unwrap(), MacvlanMode::Source);
        assert_eq!(MacaddrMode::from_u32(4).unwrap_err(), Errno::Einval);
    }

    #[test]
    fn print_opt_is_iproute2_text() {
        let mut s = String::new();
        print_opt(&mut s, MacvlanMode::Bridge, 0, 1000, 1000, &[]).unwrap();
        assert_eq!(s, "mode bridge bcqueuelen 1000 usedbcqueuelen 1000 ");
        let mut s = String::new();
        print_opt(&mut s, MacvlanMode::Source, MACVLAN_FLAG_NODST, 5, 1000, &[m("02:00:00:00:00:0a")]).unwrap();
        assert_eq!(s, "mode source nodst bcqueuelen 5 usedbcqueuelen 1000 remotes (1) 02:00:00:00:00:0a ");
    }
}
