//! `ethtool` 6.1 against the simulated kernel (the golden transcripts' 6.18): `ethtool DEV`
//! (netlink `nl_gset`), `-i` (ioctl `do_gdrv`), `-k` (netlink `nl_gfeatures`, printed by
//! `dump_features`), `-K` (netlink `nl_sfeatures`) and `-S` (ioctl `do_gnicstats`).
//!
//! The feature words are the kernel's `netdev_features_strings` (bit order, [`FEATURES`]); what a
//! device has comes from `NetDevice::features()`/`hw_features()`, completed by the rules of
//! `register_netdevice` and of the drivers' setup the core does not model bit for bit (see
//! [`Features::of`]). Errors and exit codes are ethtool's: netlink errors print the kernel's
//! extended ack (`netlink error: no device matches name (offset 24)`) and `perror`'s line, an
//! ioctl error `Cannot get driver information: No such device` (71).
//!
//! Deliberate deviations: the core cannot change features, so `-K` only does what changes
//! nothing (a fixed feature reports `[requested on]`, as Linux does); a request that Linux would
//! apply is reported as not understood by vnet. Options other than these five are not understood.

use std::fmt::Write as _;

use netdev_core::{Features as CoreFeatures, IfFlags, NetDevice};

use crate::session::Ctx;

/// `UTS_RELEASE` of the simulated kernel (the one the golden transcripts were recorded on): the
/// default driver version `ethtool_get_drvinfo` reports.
pub(crate) const KERNEL_RELEASE: &str = "6.18.44-fc-v595";

/// `netdev_features_strings` of the modelled kernel, indexed by `NETIF_F_*_BIT`; unused bits are
/// empty (ethtool skips them).
const FEATURES: [&str; 64] = [
    "tx-scatter-gather",
    "tx-checksum-ipv4",
    "",
    "tx-checksum-ip-generic",
    "tx-checksum-ipv6",
    "highdma",
    "tx-scatter-gather-fraglist",
    "tx-vlan-hw-insert",
    "rx-vlan-hw-parse",
    "rx-vlan-filter",
    "vlan-challenged",
    "tx-generic-segmentation",
    // LLTX and NETNS_LOCAL became `dev->lltx` / `dev->netns_immutable` in 6.12.
    "",
    "",
    "rx-gro",
    "rx-lro",
    "tx-tcp-segmentation",
    "tx-gso-robust",
    "tx-tcp-ecn-segmentation",
    "tx-tcp-mangleid-segmentation",
    "tx-tcp6-segmentation",
    "tx-fcoe-segmentation",
    "tx-gre-segmentation",
    "tx-gre-csum-segmentation",
    "tx-ipxip4-segmentation",
    "tx-ipxip6-segmentation",
    "tx-udp_tnl-segmentation",
    "tx-udp_tnl-csum-segmentation",
    "tx-gso-partial",
    "tx-tunnel-remcsum-segmentation",
    "tx-sctp-segmentation",
    "tx-esp-segmentation",
    "tx-udp-fragmentation",
    "tx-udp-segmentation",
    "tx-gso-list",
    "tx-tcp-accecn-segmentation",
    "tx-checksum-fcoe-crc",
    "tx-checksum-sctp",
    "rx-ntuple-filter",
    "rx-hashing",
    "rx-checksum",
    "tx-nocache-copy",
    "loopback",
    "rx-fcs",
    "rx-all",
    "tx-vlan-stag-hw-insert",
    "rx-vlan-stag-hw-parse",
    "rx-vlan-stag-filter",
    "l2-fwd-offload",
    "hw-tc-offload",
    "esp-hw-offload",
    "esp-tx-csum-hw-offload",
    "rx-udp_tunnel-port-offload",
    "tls-hw-tx-offload",
    "tls-hw-rx-offload",
    "rx-gro-hw",
    "tls-hw-record",
    "rx-gro-list",
    "macsec-hw-offload",
    "rx-udp-gro-forwarding",
    "hsr-tag-ins-offload",
    "hsr-tag-rm-offload",
    "hsr-fwd-offload",
    "hsr-dup-offload",
];

/// ethtool's `off_flag_def`: short name, long name, the kernel feature pattern it stands for.
const OFF_FLAGS: [(&str, &str, &str); 12] = [
    ("rx", "rx-checksumming", "rx-checksum"),
    ("tx", "tx-checksumming", "tx-checksum-*"),
    ("sg", "scatter-gather", "tx-scatter-gather*"),
    ("tso", "tcp-segmentation-offload", "tx-tcp*-segmentation"),
    ("ufo", "udp-fragmentation-offload", "tx-udp-fragmentation"),
    ("gso", "generic-segmentation-offload", "tx-generic-segmentation"),
    ("gro", "generic-receive-offload", "rx-gro"),
    ("lro", "large-receive-offload", "rx-lro"),
    ("rxvlan", "rx-vlan-offload", "rx-vlan-hw-parse"),
    ("txvlan", "tx-vlan-offload", "tx-vlan-hw-insert"),
    ("ntuple", "ntuple-filters", "rx-ntuple-filter"),
    ("rxhash", "receive-hashing", "rx-hashing"),
];

/// The `ufo` entry: no kernel with the netlink interface supports it, so it is never shown.
const UFO: usize = 4;

/// ethtool's `flag_pattern_match` (a pattern has at most one `*`).
fn flag_pattern_match(name: &str, pattern: &str) -> bool {
    match pattern.split_once('*') {
        Some((pre, post)) => name.len() + 1 >= pattern.len() && name.starts_with(pre) && name.ends_with(post),
        None => name == pattern,
    }
}

/// The kernel bit of the feature `name`.
fn bit(name: &str) -> Option<usize> {
    FEATURES.iter().position(|f| !f.is_empty() && *f == name)
}

/// A device's feature words as `ETHTOOL_MSG_FEATURES_GET` reports them, indexed by kernel bit.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Features {
    /// `ETHTOOL_A_FEATURES_HW`: `dev->hw_features`, what the user may change.
    hw: Bits,
    /// `ETHTOOL_A_FEATURES_WANTED`: `dev->wanted_features`.
    wanted: Bits,
    /// `ETHTOOL_A_FEATURES_ACTIVE`: `dev->features`.
    active: Bits,
    /// `ETHTOOL_A_FEATURES_NOCHANGE`: `NETIF_F_NEVER_CHANGE`.
    nochange: Bits,
}

/// A feature bitmap indexed by kernel bit.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Bits(u64);

impl Bits {
    /// Bit `i`.
    fn get(self, i: usize) -> bool {
        i < 64 && self.0 & (1 << i) != 0
    }

    /// Set or clear bit `i`.
    fn set(&mut self, i: usize, on: bool) {
        if i < 64 {
            if on {
                self.0 |= 1 << i;
            } else {
                self.0 &= !(1 << i);
            }
        }
    }
}

impl Features {
    /// The words of `dev`. The core keeps the driver's setup features with a representative bit
    /// for two groups; completed here as the kernel would have them:
    ///
    /// - `NETIF_F_GSO_SOFTWARE` also holds `GSO_ACCECN`, `GSO_SCTP`, `GSO_FRAGLIST`, and
    ///   `NETIF_F_GSO_ENCAP_ALL` also `GRE_CSUM`, `IPXIP4`, `IPXIP6`, `UDP_TUNNEL_CSUM`;
    /// - `register_netdevice`: `hw |= NETIF_F_SOFT_FEATURES | NETIF_F_SOFT_FEATURES_OFF` (GSO,
    ///   GRO, GRO_FRAGLIST, GRO_UDP_FWD), `features |= NETIF_F_SOFT_FEATURES`, `wanted =
    ///   features & hw`, `NOCACHE_COPY` changeable except on loopback, `TSO_MANGLEID`
    ///   changeable with TSO; then `veth_newlink` turns GRO off again (`veth_disable_gro`);
    /// - loopback has `NETIF_F_LOOPBACK` (`gen_lo_setup`);
    /// - `NETIF_F_NEVER_CHANGE` is `VLAN_CHALLENGED`.
    fn of(dev: &NetDevice) -> Features {
        let mut f = Features::default();
        let set = |words: &mut Bits, core: CoreFeatures| {
            for (b, name) in CoreFeatures::NAMED {
                if let Some(i) = bit(name).filter(|_| core.contains(*b)) {
                    words.set(i, true);
                }
            }
            let groups: [(CoreFeatures, &[&str]); 2] = [
                (CoreFeatures::GSO_SOFTWARE, &["tx-tcp-accecn-segmentation", "tx-sctp-segmentation", "tx-gso-list"]),
                (
                    CoreFeatures::GSO_ENCAP_ALL,
                    &[
                        "tx-gre-csum-segmentation",
                        "tx-ipxip4-segmentation",
                        "tx-ipxip6-segmentation",
                        "tx-udp_tnl-csum-segmentation",
                    ],
                ),
            ];
            for (group, extra) in groups {
                if core.contains(group) {
                    for i in extra.iter().filter_map(|n| bit(n)) {
                        words.set(i, true);
                    }
                }
            }
        };
        set(&mut f.active, dev.features());
        set(&mut f.hw, dev.hw_features());
        let on = |words: &mut Bits, name: &str| {
            if let Some(i) = bit(name) {
                words.set(i, true);
            }
        };
        for n in ["tx-generic-segmentation", "rx-gro", "rx-gro-list", "rx-udp-gro-forwarding"] {
            on(&mut f.hw, n);
        }
        on(&mut f.active, "tx-generic-segmentation");
        if dev.kind() != netdev_veth::KIND {
            on(&mut f.active, "rx-gro");
        }
        let lo = dev.flags().contains(IfFlags::LOOPBACK);
        if lo {
            on(&mut f.active, "loopback");
        } else {
            on(&mut f.hw, "tx-nocache-copy");
        }
        if bit("tx-tcp-segmentation").is_some_and(|i| f.hw.get(i)) {
            on(&mut f.hw, "tx-tcp-mangleid-segmentation");
        }
        f.wanted = Bits(f.active.0 & f.hw.0);
        on(&mut f.nochange, "vlan-challenged");
        f
    }

    /// `dump_feature`: `NAME: on|off` with ` [fixed]` (not changeable) or ` [requested on|off]`.
    fn line(&self, i: usize, name: &str, prefix: &str) -> String {
        let suffix = if !self.hw.get(i) || self.nochange.get(i) {
            " [fixed]"
        } else if self.active.get(i) != self.wanted.get(i) {
            if self.wanted.get(i) { " [requested on]" } else { " [requested off]" }
        } else {
            ""
        };
        format!("{prefix}{name}: {}{suffix}\n", if self.active.get(i) { "on" } else { "off" })
    }

    /// ethtool's `dump_features`: the legacy flags and the features they cover first (a flag
    /// with one feature prints it under the flag's name, one with several prints `FLAG: on|off`
    /// and its features indented by a tab), then every other feature in bit order.
    fn dump(&self) -> String {
        let flag_of: Vec<Option<usize>> = FEATURES
            .iter()
            .map(|name| {
                if name.is_empty() {
                    None
                } else {
                    OFF_FLAGS.iter().position(|(_, _, pat)| flag_pattern_match(name, pat))
                }
            })
            .collect();
        let mut s = String::new();
        for (j, (_, long, _)) in OFF_FLAGS.iter().enumerate() {
            if j == UFO {
                continue;
            }
            let members: Vec<usize> = (0..64).filter(|&i| flag_of[i] == Some(j)).collect();
            let value = members.iter().any(|&i| self.active.get(i));
            if members.len() != 1 {
                let _ = writeln!(s, "{long}: {}", if value { "on" } else { "off" });
            }
            for &i in &members {
                if members.len() == 1 {
                    s.push_str(&self.line(i, long, ""));
                } else {
                    s.push_str(&self.line(i, FEATURES[i], "\t"));
                }
            }
        }
        for (i, name) in FEATURES.iter().enumerate() {
            if !name.is_empty() && flag_of[i].is_none() {
                s.push_str(&self.line(i, name, ""));
            }
        }
        s
    }
}

/// Duplex as the kernel reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Duplex {
    /// `DUPLEX_FULL`.
    Full,
}

impl std::fmt::Display for Duplex {
    /// As `duplex_show` prints it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Duplex::Full => "full",
        })
    }
}

/// What `__ethtool_get_link_ksettings` returns for a driver with `get_link_ksettings`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct LinkKsettings {
    /// Mb/s.
    pub(crate) speed: u32,
    /// Duplex.
    pub(crate) duplex: Duplex,
}

/// `get_link_ksettings` of the device's driver: only veth has one here
/// (`veth_get_link_ksettings`: 10000 Mb/s, full duplex, twisted pair, no autonegotiation).
pub(crate) fn link_ksettings(dev: &NetDevice) -> Option<LinkKsettings> {
    (dev.kind() == netdev_veth::KIND).then_some(LinkKsettings { speed: 10000, duplex: Duplex::Full })
}

/// `struct ethtool_drvinfo` as `ethtool_get_drvinfo` fills it.
struct DrvInfo {
    /// `driver`.
    driver: String,
    /// `version`.
    version: String,
    /// `fw_version`.
    fw: &'static str,
    /// `bus_info`.
    bus: &'static str,
    /// `n_stats` (`supports-statistics`).
    n_stats: usize,
}

/// `ethtool_get_drvinfo`: the driver's `get_drvinfo` (veth_get_drvinfo, br_getinfo, macvlan's,
/// ipvlan's and vlan's), else the
/// link kind's name with `UTS_RELEASE` (dummy lost its `get_drvinfo` in 6.x), else EOPNOTSUPP
/// (loopback has neither).
fn drvinfo(dev: &NetDevice) -> Option<DrvInfo> {
    let info = |driver: &str, version: &str, fw, bus, n_stats| DrvInfo {
        driver: driver.to_string(),
        version: version.to_string(),
        fw,
        bus,
        n_stats,
    };
    match dev.kind() {
        netdev_veth::KIND => Some(info("veth", "1.0", "", "", veth_stats(dev).len())),
        "bridge" => Some(info("bridge", "2.3", "N/A", "N/A", 0)),
        // macvlan_ethtool_get_drvinfo, ipvlan_ethtool_get_drvinfo: name and version only.
        netdev_macvlan::KIND => Some(info(netdev_macvlan::DRIVER_NAME, netdev_macvlan::DRIVER_VERSION, "", "", 0)),
        netdev_ipvlan::KIND => Some(info(netdev_ipvlan::DRV_NAME, netdev_ipvlan::DRV_VERSION, "", "", 0)),
        // vlan_ethtool_get_drvinfo: vlan_fullname, vlan_version and fw_version "N/A".
        netdev_vlan::KIND => Some(info(netdev_vlan::DRV_NAME, netdev_vlan::DRV_VERSION, "N/A", "", 0)),
        _ => dev.link_kind().map(|k| info(k.kind(), KERNEL_RELEASE, "", "", 0)),
    }
}

/// `veth_get_strings` / `veth_get_ethtool_stats`: the peer's ifindex, then per queue pair (one
/// of each: `veth_init_queues` keeps one real queue) the XDP counters, all zero without XDP.
fn veth_stats(dev: &NetDevice) -> Vec<(String, u64)> {
    let peer = netdev_veth::Veth::peer_of(dev).map_or(0, |p| p.ifindex());
    let mut v = vec![("peer_ifindex".to_string(), u64::from(peer))];
    for s in ["xdp_packets", "xdp_bytes", "drops", "xdp_redirect", "xdp_drops", "xdp_tx", "xdp_tx_errors"] {
        v.push((format!("rx_queue_0_{s}"), 0));
    }
    for s in ["xdp_xmit", "xdp_xmit_errors"] {
        v.push((format!("tx_queue_0_{s}"), 0));
    }
    v
}

/// ethtool's `exit_bad_args`.
fn bad_args(ctx: &mut Ctx<'_>) -> i32 {
    ctx.fail(1, "ethtool: bad command line argument(s)\nFor more information run ethtool -h")
}

/// A netlink request for a device that does not exist: the kernel's extended ack at the
/// `ETHTOOL_A_HEADER_DEV_NAME` attribute, then `perror("netlink error")`.
const NO_DEVICE: &str = "netlink error: no device matches name (offset 24)\nnetlink error: No such device\n";

/// The options of ethtool 6.1 this interpreter does not implement.
const OTHER_OPTIONS: [&str; 40] = [
    "-s",
    "--change",
    "-a",
    "--show-pause",
    "-A",
    "--pause",
    "-c",
    "--show-coalesce",
    "-C",
    "--coalesce",
    "-g",
    "--show-ring",
    "-G",
    "--set-ring",
    "-d",
    "--register-dump",
    "-e",
    "--eeprom-dump",
    "-E",
    "--change-eeprom",
    "-r",
    "--negotiate",
    "-p",
    "--identify",
    "-t",
    "--test",
    "-T",
    "--show-time-stamping",
    "-l",
    "--show-channels",
    "-L",
    "--set-channels",
    "-m",
    "--dump-module-eeprom",
    "--module-info",
    "-P",
    "--show-permaddr",
    "-h",
    "--help",
    "--json",
];

/// `ethtool ARGS...` in `ctx.ns`.
pub(crate) fn main(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    let Some(first) = args.first().map(String::as_str) else { return bad_args(ctx) };
    let rest = &args[1..];
    let with_dev =
        |ctx: &mut Ctx<'_>, rest: &[String], f: fn(&mut Ctx<'_>, &str, &[String]) -> i32| match rest.split_first() {
            Some((dev, more)) => f(ctx, dev, more),
            None => bad_args(ctx),
        };
    match first {
        "-i" | "--driver" => with_dev(ctx, rest, driver),
        "-k" | "--show-features" | "--show-offload" => with_dev(ctx, rest, show_features),
        "-K" | "--features" | "--offload" => with_dev(ctx, rest, set_features),
        "-S" | "--statistics" => with_dev(ctx, rest, statistics),
        "--version" => {
            ctx.print("ethtool version 6.1\n");
            0
        }
        o if OTHER_OPTIONS.contains(&o) => ctx.unsupported("ethtool", o),
        o if o.starts_with('-') => bad_args(ctx),
        dev if rest.is_empty() => settings(ctx, dev),
        _ => bad_args(ctx),
    }
}

/// The device `name` in the command's namespace.
fn device(ctx: &Ctx<'_>, name: &str) -> Option<std::sync::Arc<NetDevice>> {
    ctx.s.world().rtnl().dev_by_name(ctx.ns, name)
}

/// `ethtool DEV` (netlink `nl_gset`): the link modes (`linkmodes_reply_cb`), the link info
/// (`linkinfo_reply_cb`), WoL and message level (not supported by these drivers, silently), and
/// `Link detected` (`linkstate_reply_cb`); `No data available` (75) if nothing was printed.
fn settings(ctx: &mut Ctx<'_>, name: &str) -> i32 {
    let Some(dev) = device(ctx, name) else {
        // Each of the five requests fails the same way.
        ctx.eprint(&NO_DEVICE.repeat(5));
        ctx.print("No data available\n");
        return 75;
    };
    let mut s = String::new();
    if let Some(ks) = link_ksettings(&dev) {
        s.push_str("\tSupported ports: [  ]\n");
        s.push_str("\tSupported link modes:   Not reported\n");
        s.push_str("\tSupported pause frame use: No\n");
        s.push_str("\tSupports auto-negotiation: No\n");
        s.push_str("\tSupported FEC modes: Not reported\n");
        s.push_str("\tAdvertised link modes:  Not reported\n");
        s.push_str("\tAdvertised pause frame use: No\n");
        s.push_str("\tAdvertised auto-negotiation: No\n");
        s.push_str("\tAdvertised FEC modes: Not reported\n");
        let _ = writeln!(s, "\tSpeed: {}Mb/s", ks.speed);
        s.push_str(match ks.duplex {
            Duplex::Full => "\tDuplex: Full\n",
        });
        s.push_str("\tAuto-negotiation: off\n");
        s.push_str("\tPort: Twisted Pair\n\tPHYAD: 0\n\tTransceiver: internal\n\tMDI-X: Unknown\n");
    }
    // ethtool_op_get_link (veth) and always_on (loopback); __ethtool_get_link is false unless
    // the device is running. Dummy has no get_link.
    if link_ksettings(&dev).is_some() || dev.flags().contains(IfFlags::LOOPBACK) {
        let up = dev.is_running() && (dev.has_carrier() || dev.flags().contains(IfFlags::LOOPBACK));
        let _ = writeln!(s, "\tLink detected: {}", if up { "yes" } else { "no" });
    }
    if s.is_empty() {
        ctx.print("No data available\n");
        return 75;
    }
    ctx.print(&format!("Settings for {name}:\n{s}"));
    0
}

/// `ethtool -i DEV` (`do_gdrv`, `dump_drvinfo`).
fn driver(ctx: &mut Ctx<'_>, name: &str, more: &[String]) -> i32 {
    if !more.is_empty() {
        return bad_args(ctx);
    }
    let info = match device(ctx, name) {
        None => return ctx.fail(71, "Cannot get driver information: No such device"),
        Some(dev) => match drvinfo(&dev) {
            Some(i) => i,
            None => return ctx.fail(71, "Cannot get driver information: Operation not supported"),
        },
    };
    let yes_no = |b: bool| if b { "yes" } else { "no" };
    ctx.print(&format!(
        "driver: {}\nversion: {}\nfirmware-version: {}\nexpansion-rom-version: \nbus-info: {}\n\
         supports-statistics: {}\nsupports-test: no\nsupports-eeprom-access: no\n\
         supports-register-dump: no\nsupports-priv-flags: no\n",
        info.driver,
        info.version,
        info.fw,
        info.bus,
        yes_no(info.n_stats > 0)
    ));
    0
}

/// `ethtool -k DEV` (`nl_gfeatures`, `features_reply_cb`).
fn show_features(ctx: &mut Ctx<'_>, name: &str, more: &[String]) -> i32 {
    if !more.is_empty() {
        return bad_args(ctx);
    }
    let Some(dev) = device(ctx, name) else {
        ctx.eprint(NO_DEVICE);
        return 1;
    };
    ctx.print(&format!("Features for {name}:\n{}", Features::of(&dev).dump()));
    0
}

/// `ethtool -K DEV NAME on|off...` (`nl_sfeatures`, `fill_sfeatures_bitmap`,
/// `show_feature_changes`, and the kernel's `ethnl_set_features`).
fn set_features(ctx: &mut Ctx<'_>, name: &str, more: &[String]) -> i32 {
    if more.is_empty() {
        return bad_args(ctx);
    }
    // The request: NAME on|off pairs; a legacy flag stands for every feature it matches.
    let mut req: Vec<(usize, bool)> = Vec::new();
    let mut unknown: Option<(String, usize)> = None;
    // ETHTOOL_A_FEATURES_WANTED's BITS nest starts after the netlink and genetlink headers (20),
    // the header nest (4 + DEV_NAME + FLAGS 8), the WANTED nest (4) and the BITS nest (4); each
    // BIT is a nest (4), its NAME (4 + the string, padded) and VALUE (4, only when on).
    let align = |n: usize| (n + 3) & !3;
    let mut offset = 20 + 4 + align(4 + name.len() + 1) + 8 + 4 + 4;
    let mut pairs = more.iter();
    while let Some(feature) = pairs.next() {
        if feature == "--" {
            break;
        }
        let value = match pairs.next().map(String::as_str) {
            Some("on") => true,
            Some("off") => false,
            v => {
                return ctx.fail(
                    1,
                    &format!(
                        "ethtool (-K): flag '{}' for parameter '(null)' is not followed by 'on' or 'off'",
                        v.unwrap_or("(null)")
                    ),
                );
            }
        };
        let names: Vec<&str> = match OFF_FLAGS.iter().find(|(s, l, _)| s == feature || l == feature) {
            Some((_, _, pat)) => {
                FEATURES.iter().copied().filter(|f| !f.is_empty() && flag_pattern_match(f, pat)).collect()
            }
            None => vec![feature.as_str()],
        };
        for n in names {
            match bit(n) {
                Some(i) => req.push((i, value)),
                None if unknown.is_none() => unknown = Some((n.to_string(), offset + 4)),
                None => {}
            }
            offset += 4 + align(4 + n.len() + 1) + if value { 4 } else { 0 };
        }
    }
    let Some(dev) = device(ctx, name) else {
        ctx.eprint(NO_DEVICE);
        return 92;
    };
    if let Some((_, at)) = unknown {
        ctx.eprint(&format!(
            "netlink error: bit name not found (offset {at})\nnetlink error: Operation not supported\n"
        ));
        return 92;
    }
    let f = Features::of(&dev);
    let mut wanted: Vec<(usize, bool)> = Vec::new();
    for &(i, v) in &req {
        wanted.retain(|(j, _)| *j != i);
        wanted.push((i, v));
    }
    wanted.sort_unstable();
    if wanted.iter().any(|&(i, v)| f.active.get(i) != v && f.hw.get(i) && !f.nochange.get(i)) {
        return ctx.unsupported("ethtool", "-K");
    }
    // Nothing changes: every request that differs from the active value is reported.
    let diffs: Vec<&(usize, bool)> = wanted.iter().filter(|(i, v)| f.active.get(*i) != *v).collect();
    if !diffs.is_empty() {
        let mut s = String::from("Actual changes:\n");
        for (i, v) in diffs {
            let _ = writeln!(
                s,
                "{}: {} [requested {}]",
                FEATURES[*i],
                if *v { "off" } else { "on" },
                if *v { "on" } else { "off" }
            );
        }
        ctx.print(&s);
    }
    0
}

/// `ethtool -S DEV` (`do_gnicstats`).
fn statistics(ctx: &mut Ctx<'_>, name: &str, more: &[String]) -> i32 {
    if !more.is_empty() {
        return bad_args(ctx);
    }
    let Some(dev) = device(ctx, name) else {
        return ctx.fail(96, "Cannot get stats strings information: No such device");
    };
    let stats = if dev.kind() == netdev_veth::KIND { veth_stats(&dev) } else { Vec::new() };
    if stats.is_empty() {
        return ctx.fail(94, "no stats available");
    }
    let mut s = String::from("NIC statistics:\n");
    for (k, v) in stats {
        let _ = writeln!(s, "     {k}: {v}");
    }
    ctx.print(&s);
    0
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The `ethtool -k br0` recorded on Linux (reference/linux-golden/bridge-basic).
    const GOLDEN_BR0: &str = "rx-checksumming: off [fixed]
tx-checksumming: on
\ttx-checksum-ipv4: off [fixed]
\ttx-checksum-ip-generic: on
\ttx-checksum-ipv6: off [fixed]
\ttx-checksum-fcoe-crc: off [fixed]
\ttx-checksum-sctp: off [fixed]
scatter-gather: on
\ttx-scatter-gather: on
\ttx-scatter-gather-fraglist: on
tcp-segmentation-offload: on
\ttx-tcp-segmentation: on
\ttx-tcp-ecn-segmentation: on
\ttx-tcp-mangleid-segmentation: on
\ttx-tcp6-segmentation: on
\ttx-tcp-accecn-segmentation: on
generic-segmentation-offload: on
generic-receive-offload: on
large-receive-offload: off [fixed]
rx-vlan-offload: off [fixed]
tx-vlan-offload: on
ntuple-filters: off [fixed]
receive-hashing: off [fixed]
highdma: on
rx-vlan-filter: off [fixed]
vlan-challenged: off [fixed]
tx-gso-robust: off [requested on]
tx-fcoe-segmentation: off [requested on]
tx-gre-segmentation: on
tx-gre-csum-segmentation: on
tx-ipxip4-segmentation: on
tx-ipxip6-segmentation: on
tx-udp_tnl-segmentation: on
tx-udp_tnl-csum-segmentation: on
tx-gso-partial: on
tx-tunnel-remcsum-segmentation: on
tx-sctp-segmentation: on
tx-esp-segmentation: on
tx-udp-segmentation: on
tx-gso-list: on
tx-nocache-copy: off
loopback: off [fixed]
rx-fcs: off [fixed]
rx-all: off [fixed]
tx-vlan-stag-hw-insert: on
rx-vlan-stag-hw-parse: off [fixed]
rx-vlan-stag-filter: off [fixed]
l2-fwd-offload: off [fixed]
hw-tc-offload: off [fixed]
esp-hw-offload: off [fixed]
esp-tx-csum-hw-offload: off [fixed]
rx-udp_tunnel-port-offload: off [fixed]
tls-hw-tx-offload: off [fixed]
tls-hw-rx-offload: off [fixed]
rx-gro-hw: off [fixed]
tls-hw-record: off [fixed]
rx-gro-list: off
macsec-hw-offload: off [fixed]
rx-udp-gro-forwarding: off
hsr-tag-ins-offload: off [fixed]
hsr-tag-rm-offload: off [fixed]
hsr-fwd-offload: off [fixed]
hsr-dup-offload: off [fixed]
";

    /// `dump_features` reproduces the recorded br0 block from br0's words, read back from it:
    /// `on`/`off` is active, `[fixed]` is not in hw, `[requested on]` is wanted but not active.
    #[test]
    fn dump_features_matches_the_golden_bridge_block() {
        let mut f = Features::default();
        for line in GOLDEN_BR0.lines() {
            let line = line.trim_start_matches('\t');
            let (name, state) = line.split_once(": ").unwrap();
            let name = OFF_FLAGS.iter().find(|(_, l, _)| *l == name).map_or(name, |(_, _, pat)| pat);
            let Some(i) = bit(name) else { continue };
            f.active.set(i, state.starts_with("on"));
            f.hw.set(i, !state.ends_with("[fixed]"));
            f.wanted.set(i, state.starts_with("on") || state.ends_with("[requested on]"));
        }
        assert_eq!(f.dump(), GOLDEN_BR0);
    }

    #[test]
    fn legacy_flag_patterns() {
        assert!(flag_pattern_match("tx-tcp-accecn-segmentation", "tx-tcp*-segmentation"));
        assert!(flag_pattern_match("tx-tcp6-segmentation", "tx-tcp*-segmentation"));
        assert!(!flag_pattern_match("tx-udp-segmentation", "tx-tcp*-segmentation"));
        assert!(flag_pattern_match("tx-scatter-gather", "tx-scatter-gather*"));
        assert!(flag_pattern_match("tx-checksum-fcoe-crc", "tx-checksum-*"));
        assert!(!flag_pattern_match("rx-checksum", "tx-checksum-*"));
        assert!(flag_pattern_match("rx-gro", "rx-gro"));
        assert!(!flag_pattern_match("rx-gro-hw", "rx-gro"));
    }

    #[test]
    fn feature_table_has_the_kernel_bit_positions() {
        assert_eq!(bit("tx-scatter-gather"), Some(0));
        assert_eq!(bit("tx-generic-segmentation"), Some(11));
        assert_eq!(bit("tx-tcp-segmentation"), Some(16));
        assert_eq!(bit("tx-tcp-accecn-segmentation"), Some(35));
        assert_eq!(bit("rx-checksum"), Some(40));
        assert_eq!(bit("hsr-dup-offload"), Some(63));
        assert_eq!(bit(""), None);
    }
}
