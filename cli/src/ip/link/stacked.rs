//! The arguments after `type macvlan|vlan|ipvlan` (iproute2 6.1 `ip/iplink_macvlan.c`,
//! `ip/iplink_vlan.c`, `ip/iplink_ipvlan.c`), for `ip link add` and `ip link set`.
//!
//! iproute2 parses these words itself before it sends anything (`lu->parse_opt` in
//! `iplink_modify`): a bad word is its own message on standard error, sometimes followed by the
//! kind's usage text (`explain()`, also on standard error). The exit status is 1 where
//! `parse_opt` returns -1 (`iplink_modify` returns -1 and `do_cmd` turns any failure into 1), and
//! 255 where it calls `invarg` or `incomplete_command`, which `exit(-1)` on the spot (checked
//! against the live kernel's iproute2 by `scenarios/diff/macvlan.vnet`). What the words mean is the driver
//! crates' business ([`netdev_macvlan::parse`], [`netdev_vlan::parse_args`],
//! [`netdev_ipvlan::parse_args`]); this module decides which error iproute2 prints, then hands
//! the driver's config on as `IFLA_INFO_DATA`.
//!
//! Deliberate deviation (from `netdev_macvlan::parse`): `macaddr set` stops at the first word that
//! is not a MAC address without iproute2's stray `"X" is invalid lladdr.` line for it.

use netdev_core::KindConfig;

use super::{Fail, invarg};
use crate::ip::{INCOMPLETE, matches};

/// `print_explain` of iproute2 6.1's `iplink_vlan.c`.
const VLAN_USAGE: &str = "Usage: ... vlan id VLANID\n\
\t\t[ protocol VLANPROTO ]\n\
\t\t[ reorder_hdr { on | off } ]\n\
\t\t[ gvrp { on | off } ]\n\
\t\t[ mvrp { on | off } ]\n\
\t\t[ loose_binding { on | off } ]\n\
\t\t[ bridge_binding { on | off } ]\n\
\t\t[ ingress-qos-map QOS-MAP ]\n\
\t\t[ egress-qos-map QOS-MAP ]\n\
\n\
VLANID := 0-4095\n\
VLANPROTO: [ 802.1Q | 802.1ad ]\n\
QOS-MAP := [ QOS-MAP ] QOS-MAPPING\n\
QOS-MAPPING := FROM:TO\n";

/// `print_explain` of iproute2 6.1's `iplink_ipvlan.c` (with `lu->id` "ipvlan").
const IPVLAN_USAGE: &str = "Usage: ... ipvlan [ mode MODE ] [ FLAGS ]\n\
\n\
MODE: l3 | l3s | l2\n\
FLAGS: bridge | private | vepa\n\
(first values are the defaults if nothing is specified).\n";

/// The kind's config for non-empty `args`, or iproute2's error; `None` for a kind this module
/// does not handle.
pub(super) fn parse(kind: &str, args: &[String]) -> Option<Result<KindConfig, Fail>> {
    let words: Vec<&str> = args.iter().map(String::as_str).collect();
    Some(match kind {
        netdev_macvlan::KIND => macvlan(&words),
        netdev_vlan::KIND => vlan(&words),
        netdev_ipvlan::KIND => ipvlan(&words),
        _ => return None,
    })
}

/// `parse_opt` returning -1: exit status 1.
const PARSE_OPT_FAILED: i32 = 1;

/// `invarg` and `incomplete_command`: `exit(-1)`.
const EXIT_MINUS_ONE: i32 = 255;

/// A message and, after it, a usage text, both on standard error (`parse_opt` returned -1).
fn with_usage(msg: &str, usage: &str) -> Fail {
    let mut s = String::from(msg);
    if !s.is_empty() {
        s.push('\n');
    }
    s.push_str(usage.trim_end_matches('\n'));
    Fail::Err(PARSE_OPT_FAILED, s)
}

/// `macvlan_parse_opt`: the driver's parser has iproute2's grammar and texts.
fn macvlan(words: &[&str]) -> Result<KindConfig, Fail> {
    match netdev_macvlan::parse(words) {
        Ok(c) => Ok(Box::new(c)),
        Err(e) if e.shows_usage() => Err(with_usage(&e.to_string(), netdev_macvlan::USAGE)),
        Err(e @ netdev_macvlan::ArgError::Incomplete) => Err(Fail::Err(EXIT_MINUS_ONE, e.to_string())),
        Err(e) => Err(Fail::Err(PARSE_OPT_FAILED, e.to_string())),
    }
}

/// The keywords of `vlan_parse_opt` that take `on`/`off`, in its order.
const VLAN_FLAGS: [&str; 5] = ["reorder_hdr", "gvrp", "mvrp", "loose_binding", "bridge_binding"];

/// `vlan_parse_opt`: the checks in iproute2's order, then the driver's config.
fn vlan(words: &[&str]) -> Result<KindConfig, Fail> {
    // The driver's parser is the authority on one value (`ll_proto_a2n`, `get_u16`).
    let accepts = |key: &str, v: &str| netdev_vlan::parse_args(&[key, v]).is_ok();
    let mut i = 0;
    while let Some(&w) = words.get(i) {
        i += 1;
        let mut next = || {
            let v = words.get(i).copied();
            i += 1;
            v.ok_or_else(|| Fail::Err(EXIT_MINUS_ONE, INCOMPLETE.to_string()))
        };
        if matches(w, "protocol") {
            let v = next()?;
            if !accepts("protocol", v) {
                return Err(invarg("protocol is invalid", v));
            }
        } else if matches(w, "id") {
            let v = next()?;
            if !accepts("id", v) {
                return Err(invarg("id is invalid", v));
            }
        } else if let Some(flag) = VLAN_FLAGS.iter().find(|f| matches(w, f)) {
            let v = next()?;
            if v != "on" && v != "off" {
                // on_off(): the full keyword, exit through `return -1`.
                return Err(Fail::Err(
                    PARSE_OPT_FAILED,
                    format!("Error: argument of \"{flag}\" must be \"on\" or \"off\", not \"{v}\""),
                ));
            }
        } else if matches(w, "ingress-qos-map") || matches(w, "egress-qos-map") {
            next()?;
            i -= 1;
            let which = if matches(w, "ingress-qos-map") { "ingress-qos-map" } else { "egress-qos-map" };
            // parse_mapping: FROM:TO words while they have a colon; the colon is overwritten with
            // a NUL first, so the failing word is printed without its value.
            while let Some((from, to)) = words.get(i).and_then(|m| m.split_once(':')) {
                if !qos_ok(from) || !qos_ok(to) {
                    return Err(invarg(&format!("invalid {which}"), from));
                }
                i += 1;
            }
        } else if matches(w, "help") {
            return Err(with_usage("", VLAN_USAGE));
        } else {
            return Err(with_usage(&format!("vlan: unknown command \"{w}\"?"), VLAN_USAGE));
        }
    }
    match netdev_vlan::parse_args(words) {
        Ok(c) => Ok(Box::new(c)),
        // Not reached when the walk above mirrors the driver; iproute2's exit status anyway.
        Err(e) => {
            Err(Fail::Err(PARSE_OPT_FAILED, format!("Error: {}", e.extack().unwrap_or("vlan: invalid arguments"))))
        }
    }
}

/// `get_u32(.., 0)` for one side of a QoS mapping, as the driver reads it.
fn qos_ok(v: &str) -> bool {
    let word = format!("{v}:0");
    netdev_vlan::parse_args(&["ingress-qos-map", &word]).is_ok_and(|c| c.ingress_qos.len() == 1)
}

/// `ipvlan_parse_opt`: `mode l2|l3|l3s` and at most one of `private`, `vepa`, `bridge`.
fn ipvlan(words: &[&str]) -> Result<KindConfig, Fail> {
    let mut flag_given = false;
    let mut it = words.iter();
    while let Some(&w) = it.next() {
        if matches(w, "mode") {
            let v = it.next().ok_or_else(|| Fail::Err(EXIT_MINUS_ONE, INCOMPLETE.to_string()))?;
            if !matches!(*v, "l2" | "l3" | "l3s") {
                return Err(Fail::Err(
                    PARSE_OPT_FAILED,
                    "Error: argument of \"mode\" must be either \"l2\", \"l3\" or \"l3s\"".to_string(),
                ));
            }
        } else if !flag_given && (matches(w, "private") || matches(w, "vepa") || matches(w, "bridge")) {
            flag_given = true;
        } else if matches(w, "help") {
            return Err(with_usage("", IPVLAN_USAGE));
        } else {
            return Err(with_usage(&format!("ipvlan: unknown option \"{w}\"?"), IPVLAN_USAGE));
        }
    }
    match netdev_ipvlan::parse_args(words) {
        Ok(c) => Ok(Box::new(c)),
        Err(e) => {
            Err(Fail::Err(PARSE_OPT_FAILED, format!("Error: {}", e.extack().unwrap_or("ipvlan: invalid arguments"))))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(kind: &str, line: &str) -> (i32, String) {
        let args: Vec<String> = line.split_whitespace().map(str::to_string).collect();
        match parse(kind, &args) {
            Some(Err(Fail::Err(rc, m))) => (rc, m),
            Some(Ok(_)) => (0, String::new()),
            other => panic!("{line}: {:?}", other.map(|r| r.err())),
        }
    }

    /// `vlan_parse_opt`'s errors: `invarg` with the word, `on_off` with the full keyword,
    /// `parse_mapping` with the key only (its colon was overwritten).
    #[test]
    fn vlan_errors_follow_vlan_parse_opt() {
        assert_eq!(err("vlan", "id 10 protocol 802.1ad reorder_hdr off gvrp on"), (0, String::new()));
        assert_eq!(err("vlan", "id x"), (255, "Error: argument \"x\" is wrong: id is invalid".into()));
        assert_eq!(err("vlan", "id 65536"), (255, "Error: argument \"65536\" is wrong: id is invalid".into()));
        assert_eq!(err("vlan", "p foo"), (255, "Error: argument \"foo\" is wrong: protocol is invalid".into()));
        assert_eq!(
            err("vlan", "reo yes"),
            (1, "Error: argument of \"reorder_hdr\" must be \"on\" or \"off\", not \"yes\"".into())
        );
        assert_eq!(
            err("vlan", "id 2 ingress-qos-map 1:2 3:x"),
            (255, "Error: argument \"3\" is wrong: invalid ingress-qos-map".into())
        );
        assert_eq!(
            err("vlan", "egress-qos-map y:1"),
            (255, "Error: argument \"y\" is wrong: invalid egress-qos-map".into())
        );
        // A word without a colon ends the map and is read as a keyword.
        assert_eq!(err("vlan", "ingress-qos-map 1:2 id 3"), (0, String::new()));
        assert_eq!(err("vlan", "id"), (255, INCOMPLETE.into()));
        assert_eq!(err("vlan", "ingress-qos-map"), (255, INCOMPLETE.into()));
        let (rc, m) = err("vlan", "bogus");
        assert_eq!(rc, 1);
        assert!(m.starts_with("vlan: unknown command \"bogus\"?\nUsage: ... vlan id VLANID\n"), "{m}");
        assert!(m.ends_with("QOS-MAPPING := FROM:TO"), "{m}");
        assert_eq!(err("vlan", "help"), (1, VLAN_USAGE.trim_end().into()));
    }

    #[test]
    fn ipvlan_errors_follow_ipvlan_parse_opt() {
        assert_eq!(err("ipvlan", "mode l3s vepa"), (0, String::new()));
        assert_eq!(
            err("ipvlan", "mode l4"),
            (1, "Error: argument of \"mode\" must be either \"l2\", \"l3\" or \"l3s\"".into())
        );
        // A second flag word is no flag any more: an unknown option.
        let (rc, m) = err("ipvlan", "private vepa");
        assert_eq!((rc, m.lines().next()), (1, Some("ipvlan: unknown option \"vepa\"?")));
        assert!(m.ends_with("(first values are the defaults if nothing is specified)."), "{m}");
        assert_eq!(err("ipvlan", "mode"), (255, INCOMPLETE.into()));
    }

    #[test]
    fn macvlan_errors_come_with_usage_where_iproute2_explains() {
        assert_eq!(err("macvlan", "mode bridge"), (0, String::new()));
        let (rc, m) = err("macvlan", "bogus");
        assert_eq!((rc, m.lines().next()), (1, Some("macvlan: unknown option \"bogus\"?")));
        assert!(m.contains("\nMODE: private | vepa | bridge | passthru | source\n"), "{m}");
        assert_eq!(err("macvlan", "macaddr add zz"), (1, "\"zz\" is invalid lladdr.".into()));
        assert_eq!(err("macvlan", "mode"), (255, INCOMPLETE.into()));
        assert!(parse("dummy", &[]).is_none());
    }
}
