//! `ifconfig` (net-tools), the configuring forms only: `ifconfig DEV [ADDR[/LEN]] [netmask M]
//! [broadcast B] [mtu N] [up|down]`. An address replaces the device's primary IPv4 address as
//! the kernel's `SIOCSIFADDR` does (`devinet_ioctl`: the address labelled with the device name
//! is deleted and the new one inserted), with the classful prefix length unless a length or
//! netmask is given (`inet_abc_len`, then `SIOCSIFNETMASK`) and the subnet broadcast on a
//! broadcast-capable device.
//!
//! Deviation: printing interfaces (`ifconfig`, `ifconfig DEV`, `-a`) is not understood.

use std::net::{IpAddr, Ipv4Addr};

use netdev_core::IfFlags;
use stack_adapter::AddrOpts;

use crate::session::Ctx;

/// `inet_abc_len`: the classful prefix length of `a`.
fn abc_len(a: Ipv4Addr) -> Option<u8> {
    let o = a.octets()[0];
    match o {
        0 => Some(0),
        _ if o & 0x80 == 0 => Some(8),
        _ if o & 0xc0 == 0x80 => Some(16),
        _ if o & 0xe0 == 0xc0 => Some(24),
        _ => None,
    }
}

fn unknown_host(ctx: &mut Ctx<'_>, arg: &str) -> i32 {
    ctx.fail(1, &format!("{arg}: Unknown host\nifconfig: `--help' gives usage information."))
}

/// `ifconfig ARGS...`.
pub(crate) fn main(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    let Some(name) = args.first() else { return ctx.unsupported("ifconfig", "(list interfaces)") };
    if name.starts_with('-') {
        return ctx.unsupported("ifconfig", name);
    }
    let rest = &args[1..];
    if rest.is_empty() {
        return ctx.unsupported("ifconfig", name);
    }
    let Some(dev) = ctx.s.world().rtnl().dev_by_name(ctx.ns, name) else {
        return ctx.fail(1, &format!("{name}: ERROR while getting interface flags: No such device"));
    };
    let mut addr: Option<(Ipv4Addr, Option<u8>)> = None;
    let mut netmask: Option<u8> = None;
    let mut brd: Option<Ipv4Addr> = None;
    let mut up: Option<bool> = None;
    let mut mtu: Option<u32> = None;
    let mut i = 0;
    while i < rest.len() {
        let a = rest[i].as_str();
        let mut next = || {
            i += 1;
            rest.get(i).cloned()
        };
        match a {
            "up" => up = Some(true),
            "down" => up = Some(false),
            "netmask" => {
                let Some(v) = next() else { return unknown_host(ctx, a) };
                let m = match v.parse::<Ipv4Addr>() {
                    Ok(m) => u32::from(m),
                    Err(_) => return unknown_host(ctx, &v),
                };
                let n = m.leading_ones();
                if m.checked_shl(n).unwrap_or(0) != 0 {
                    return ctx.fail(1, "SIOCSIFNETMASK: Invalid argument");
                }
                netmask = Some(n as u8);
            }
            "broadcast" => {
                let Some(v) = next() else { return unknown_host(ctx, a) };
                match v.parse::<Ipv4Addr>() {
                    Ok(b) => brd = Some(b),
                    Err(_) => return unknown_host(ctx, &v),
                }
            }
            "mtu" => {
                let Some(v) = next() else { return unknown_host(ctx, a) };
                match v.parse::<u32>() {
                    Ok(m) => mtu = Some(m),
                    Err(_) => return unknown_host(ctx, &v),
                }
            }
            _ if a.starts_with(|c: char| c.is_ascii_digit()) => {
                let (host, len) = match a.split_once('/') {
                    Some((h, l)) => match l.parse::<u8>() {
                        Ok(n) if n <= 32 => (h, Some(n)),
                        _ => return unknown_host(ctx, a),
                    },
                    None => (a, None),
                };
                match host.parse::<Ipv4Addr>() {
                    Ok(x) => addr = Some((x, len)),
                    Err(_) => return unknown_host(ctx, a),
                }
            }
            _ => return ctx.unsupported("ifconfig", a),
        }
        i += 1;
    }
    if let Some(m) = mtu {
        let r = ctx.s.world().rtnl().set_mtu(&dev, m);
        if let Err(e) = r {
            return ctx.fail(1, &format!("SIOCSIFMTU: {}", e.errno().strerror()));
        }
    }
    if let Some((local, len)) = addr {
        let Some(stack) = ctx.stack() else { return ctx.fail(1, "SIOCSIFADDR: No such device") };
        let Some(plen) = netmask.or(len).or_else(|| abc_len(local)) else {
            return ctx.fail(1, "SIOCSIFADDR: Invalid argument");
        };
        let i = dev.ifindex();
        let name = dev.name().to_string();
        let primary = stack.addrs4(i).into_iter().find(|x| x.label == name && !x.secondary);
        let same = primary.as_ref().is_some_and(|p| p.local == local && p.prefix_len == plen);
        if !same {
            let mut rtnl = ctx.s.world().rtnl();
            if let Some(p) = &primary {
                let _ = stack.addr_del(&mut rtnl, i, IpAddr::V4(p.local), Some(p.prefix_len));
            }
            let broadcast = brd.or_else(|| {
                (dev.flags().contains(IfFlags::BROADCAST) && plen < 31)
                    .then(|| Ipv4Addr::from(u32::from(local) | (u32::MAX >> plen)))
            });
            let opts = AddrOpts { broadcast, ..AddrOpts::default() };
            if let Err(e) = stack.addr_add(&mut rtnl, i, IpAddr::V4(local), plen, &opts) {
                drop(rtnl);
                return ctx.fail(1, &format!("SIOCSIFADDR: {}", e.errno().strerror()));
            }
        }
    } else if netmask.is_some() || brd.is_some() {
        return ctx.unsupported("ifconfig", "netmask/broadcast without an address");
    }
    if let Some(u) = up {
        let r = ctx.s.world().rtnl().set_up(&dev, u);
        if let Err(e) = r {
            return ctx.fail(1, &format!("SIOCSIFFLAGS: {}", e.errno().strerror()));
        }
    }
    0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classful_lengths() {
        assert_eq!(abc_len(Ipv4Addr::new(10, 1, 2, 3)), Some(8));
        assert_eq!(abc_len(Ipv4Addr::new(172, 16, 0, 1)), Some(16));
        assert_eq!(abc_len(Ipv4Addr::new(192, 168, 88, 3)), Some(24));
        assert_eq!(abc_len(Ipv4Addr::new(224, 0, 0, 1)), None);
    }
}
