//! `ip link`, and the link lines `ip link show` and `ip addr show` share
//! (iproute2 `print_linkinfo`).

use std::fmt::Write as _;

use netdev_core::{IfFlags, NetDevice};

use super::IpOpts;
use crate::session::Ctx;

/// `ip link ARGS...`.
pub(super) fn main(ctx: &mut Ctx<'_>, _o: &IpOpts, args: &[String]) -> i32 {
    let w = args.first().map(String::as_str).unwrap_or("link");
    ctx.unsupported("ip link", w)
}

/// iproute2's flag list (`print_link_flags`): NO-CARRIER first when up without carrier, then the
/// flags in the kernel's bit order, M-DOWN last.
pub(crate) fn flag_names(dev: &NetDevice, m_down: bool) -> Vec<&'static str> {
    const ORDER: [(IfFlags, &str); 14] = [
        (IfFlags::LOOPBACK, "LOOPBACK"),
        (IfFlags::BROADCAST, "BROADCAST"),
        (IfFlags::POINTOPOINT, "POINTOPOINT"),
        (IfFlags::MULTICAST, "MULTICAST"),
        (IfFlags::NOARP, "NOARP"),
        (IfFlags::ALLMULTI, "ALLMULTI"),
        (IfFlags::PROMISC, "PROMISC"),
        (IfFlags::MASTER, "MASTER"),
        (IfFlags::SLAVE, "SLAVE"),
        (IfFlags::DEBUG, "DEBUG"),
        (IfFlags::DYNAMIC, "DYNAMIC"),
        (IfFlags::UP, "UP"),
        (IfFlags::LOWER_UP, "LOWER_UP"),
        (IfFlags::DORMANT, "DORMANT"),
    ];
    let f = dev.flags();
    let mut out = Vec::new();
    if f.contains(IfFlags::UP) && !f.contains(IfFlags::RUNNING) {
        out.push("NO-CARRIER");
    }
    out.extend(ORDER.iter().filter(|(b, _)| f.contains(*b)).map(|(_, n)| *n));
    if m_down {
        out.push("M-DOWN");
    }
    out
}

/// What iproute2 prints after the name: `@peer` (a link in the same namespace, by name), `@ifN`
/// (elsewhere), or nothing when IFLA_LINK is absent (`nla_put_iflink`: omitted when the link is
/// the device itself and in the same namespace).
pub(crate) fn link_suffix(ctx: &Ctx<'_>, dev: &NetDevice) -> String {
    let ns = ctx.ns;
    let iflink = dev.iflink();
    let peer_here = dev.link_netns() == ns;
    if iflink == 0 || (iflink == dev.ifindex() && peer_here) {
        return String::new();
    }
    let rtnl = ctx.s.world().rtnl();
    match rtnl.dev_by_index(ns, iflink).filter(|_| peer_here) {
        Some(p) => format!("@{}", p.name()),
        None => format!("@if{iflink}"),
    }
}

/// The two lines every `ip link show` / `ip addr show` entry starts with:
/// `N: NAME[@LINK]: <FLAGS> mtu M qdisc Q [master X] state S [mode DEFAULT] group G [qlen N]` and
/// `    link/TYPE ADDR brd BRD [link-netns NAME|link-netnsid N]`. `with_mode` is `ip link`'s form.
pub(crate) fn header(ctx: &mut Ctx<'_>, dev: &NetDevice, with_mode: bool) -> String {
    let mut s = String::new();
    let name = format!("{}{}", dev.name(), link_suffix(ctx, dev));
    let flags = flag_names(dev, false).join(",");
    let _ = write!(s, "{}: {name}: <{flags}> mtu {} qdisc {}", dev.ifindex(), dev.mtu(), dev.qdisc().name());
    if let Some(m) = dev.master() {
        let _ = write!(s, " master {}", m.name());
    }
    let _ = write!(s, " state {}", dev.operstate().name());
    if with_mode {
        s.push_str(" mode DEFAULT");
    }
    s.push_str(" group default");
    let _ = writeln!(s, " qlen {}", dev.tx_queue_len());
    let kind = if dev.flags().contains(IfFlags::LOOPBACK) { "loopback" } else { "ether" };
    let _ = write!(s, "    link/{kind} {} brd {}", dev.address(), dev.broadcast());
    if dev.link_netns() != ctx.ns {
        let peer_ns = dev.link_netns();
        let name = ctx.s.world().rtnl().netns_name(peer_ns);
        match name {
            Some(n) => {
                let _ = write!(s, " link-netns {n}");
            }
            None => {
                let id = ctx.s.peer_netnsid(ctx.ns, peer_ns);
                let _ = write!(s, " link-netnsid {id}");
            }
        }
    }
    s.push('\n');
    s
}
