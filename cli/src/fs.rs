//! The simulated `/proc` and `/sys` files of the namespace a command runs in: `cat` reads them,
//! `echo V > FILE` writes them.
//!
//! - `/proc/sys/net/...`: the knobs of [`crate::sysctl`] (one value and a newline per file).
//! - `/proc/net/arp` (`arp_seq_show`) and `/proc/net/dev` (`dev_seq_show`).
//! - `/sys/class/net/DEV/ATTR` and `/sys/class/net/DEV/statistics/*`: net/core/net-sysfs.c's
//!   attributes, each `*_show`/`*_store` named where it is implemented. sysfs is per namespace
//!   (`ip netns exec` remounts it), so another namespace's devices are not there.
//!
//! Errors are the texts `cat` and bash print: a read error is `cat: FILE: TEXT`, a refused write
//! `bash: echo: write error: TEXT` (the file opened, the kernel's store handler said no), a
//! missing or read-only file `bash: FILE: TEXT` (the open failed). Any other path is read from
//! the real file system (scripts may `cat` their own files); other `/proc` and `/sys` paths do not
//! exist here.

use std::fmt::Write as _;
use std::sync::Arc;

use netdev_core::{Carrier, Errno, IfFlags, NetDevice, Operstate};
use stack_adapter::Nud;

use crate::session::Ctx;
use crate::sysctl::{self, ProcError};

/// Read a file for `cat`, `grep FILE`: the simulated trees, or a real file elsewhere. The error is
/// `strerror`'s text.
pub(crate) fn read(ctx: &mut Ctx<'_>, path: &str) -> Result<String, String> {
    match Simulated::of(path) {
        Some(sim) => sim.read(ctx).map_err(|e| e.to_string()),
        None => std::fs::read_to_string(path).map_err(|e| crate::util::io_error_text(&e)),
    }
}

/// Write `data` to a file of the simulated trees (`echo 1 > /proc/sys/net/ipv4/ip_forward`).
/// The error is the whole message bash prints.
pub(crate) fn write(ctx: &mut Ctx<'_>, path: &str, data: &str) -> Result<(), String> {
    let Some(sim) = Simulated::of(path) else {
        return Err(format!("bash: {path}: No such file or directory\n"));
    };
    match sim.write(ctx, data) {
        Ok(()) => Ok(()),
        Err(FsError::Open(text)) => Err(format!("bash: {path}: {text}\n")),
        Err(FsError::Write(text)) => Err(format!("bash: echo: write error: {text}\n")),
        Err(FsError::Unsupported(what)) => {
            let w = match ctx.s.line_no() {
                Some(n) => format!("vnet: line {n}"),
                None => "vnet".to_string(),
            };
            Err(format!("{w}: echo: \"{what}\" is not understood by vnet\n"))
        }
    }
}

/// `cat FILE...`.
pub(crate) fn cat(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    let mut rc = 0;
    if args.is_empty() {
        let s = ctx.stdin.take().unwrap_or_default();
        ctx.print(&s);
    }
    for f in args {
        match read(ctx, f) {
            Ok(s) => ctx.print(&s),
            Err(e) => {
                ctx.eprint(&format!("cat: {f}: {e}\n"));
                rc = 1;
            }
        }
    }
    rc
}

/// Why a simulated file cannot be written.
enum FsError {
    /// `open(2)` failed: the file does not exist, is a directory, or is read-only.
    Open(&'static str),
    /// The store handler refused the value.
    Write(&'static str),
    /// Linux allows the write; vnet cannot do it (the text names the file).
    Unsupported(String),
}

/// A path in one of the simulated trees, as components after the tree's root.
enum Simulated {
    /// `/proc/sys/...`.
    ProcSys(Vec<String>),
    /// `/proc/...` other than `sys`.
    Proc(Vec<String>),
    /// `/sys/class/net/...`.
    ClassNet(Vec<String>),
    /// `/sys/...` elsewhere.
    Sys(Vec<String>),
}

/// The components of a path, without empty ones and `.` (as path resolution collapses them).
fn components(rest: &str) -> Vec<String> {
    rest.split('/').filter(|c| !c.is_empty() && *c != ".").map(str::to_string).collect()
}

impl Simulated {
    /// The simulated file `path` names, or `None` outside `/proc` and `/sys`.
    fn of(path: &str) -> Option<Simulated> {
        let comps = components(path.strip_prefix('/')?);
        let rest = || comps.iter().skip(1).cloned().collect::<Vec<_>>();
        match comps.first().map(String::as_str) {
            Some("proc") if comps.get(1).is_some_and(|c| c == "sys") => {
                Some(Simulated::ProcSys(comps.iter().skip(2).cloned().collect()))
            }
            Some("proc") => Some(Simulated::Proc(rest())),
            Some("sys") if comps.get(1).is_some_and(|c| c == "class") && comps.get(2).is_some_and(|c| c == "net") => {
                Some(Simulated::ClassNet(comps.iter().skip(3).cloned().collect()))
            }
            Some("sys") => Some(Simulated::Sys(rest())),
            _ => None,
        }
    }

    /// `read(2)` of the whole file.
    fn read(&self, ctx: &mut Ctx<'_>) -> Result<String, &'static str> {
        match self {
            Simulated::ProcSys(c) => sysctl::read_file(ctx, c).map(|v| v + "\n").map_err(ProcError::text),
            Simulated::Proc(c) => match c.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
                ["net", "arp"] => Ok(proc_net_arp(ctx)),
                ["net", "dev"] => Ok(proc_net_dev(ctx)),
                [] | ["net"] => Err("Is a directory"),
                _ => Err("No such file or directory"),
            },
            Simulated::ClassNet(c) => class_net_read(ctx, c),
            Simulated::Sys(c) if c.is_empty() || c.iter().map(String::as_str).eq(["class"]) => Err("Is a directory"),
            Simulated::Sys(_) => Err("No such file or directory"),
        }
    }

    /// `open(2)` for writing, then one `write(2)` of `data` (what bash's `echo V > F` does).
    fn write(&self, ctx: &mut Ctx<'_>, data: &str) -> Result<(), FsError> {
        match self {
            Simulated::ProcSys(c) => {
                // The open of a missing file fails before anything is written.
                if let Err(e @ (ProcError::NotFound | ProcError::IsDir | ProcError::NotDir)) = sysctl::read_file(ctx, c)
                {
                    return Err(FsError::Open(e.text()));
                }
                // bash writes nothing for an empty string.
                if data.is_empty() {
                    return Ok(());
                }
                match sysctl::write_file(ctx, c, data) {
                    Ok(()) => Ok(()),
                    // A read-only knob (mode 0444): the open is refused.
                    Err(ProcError::Errno(Errno::Eacces)) => Err(FsError::Open("Permission denied")),
                    Err(e) => Err(FsError::Write(e.text())),
                }
            }
            Simulated::Proc(_) | Simulated::Sys(_) => match self.read(ctx) {
                Ok(_) => Err(FsError::Open("Permission denied")),
                Err(e) => Err(FsError::Open(e)),
            },
            Simulated::ClassNet(c) => class_net_write(ctx, c, data),
        }
    }
}

// ------------------------------------------------------------------------------------------------
// /proc/net
// ------------------------------------------------------------------------------------------------

/// `/proc/net/arp` (net/ipv4/arp.c `arp_seq_show`): the IPv4 neighbours, `NUD_NOARP` and
/// `NUD_NONE` entries skipped (`NEIGH_SEQ_SKIP_NOARP`), then the proxy entries
/// (`arp_format_pneigh_entry`: flags `ATF_PUBL|ATF_PERM`, a zero address).
fn proc_net_arp(ctx: &Ctx<'_>) -> String {
    const ATF_COM: u32 = 0x02;
    const ATF_PERM: u32 = 0x04;
    const ATF_PUBL: u32 = 0x08;
    let mut s = String::from("IP address       HW type     Flags       HW address            Mask     Device\n");
    let Some(stack) = ctx.stack() else { return s };
    let rtnl = ctx.s.world().rtnl();
    let entries = stack.neighbours();
    let dev = |i: u32| rtnl.dev_by_index(ctx.ns, i);
    let (proxies, neighs): (Vec<_>, Vec<_>) = entries.into_iter().filter(|e| e.addr.is_ipv4()).partition(|e| e.proxy);
    for e in neighs.iter().filter(|e| e.state != Nud::Noarp) {
        let Some(d) = dev(e.ifindex) else { continue };
        // arp_state_to_flags
        let flags = match e.state {
            Nud::Permanent => ATF_PERM | ATF_COM,
            st if st.is_valid() => ATF_COM,
            _ => 0,
        };
        let hw = e.lladdr.map_or_else(|| "00:00:00:00:00:00".to_string(), |m| m.to_string());
        let _ = writeln!(
            s,
            "{:<16} 0x{:<10x}0x{:<10x}{:<17}     *        {}",
            e.addr.to_string(),
            d.dev_type(),
            flags,
            hw,
            d.name()
        );
    }
    for e in &proxies {
        let (ty, name) = dev(e.ifindex).map_or((0, "*".into()), |d| (d.dev_type(), d.name().to_string()));
        let _ = writeln!(
            s,
            "{:<16} 0x{:<10x}0x{:<10x}00:00:00:00:00:00     *        {name}",
            e.addr.to_string(),
            ty,
            ATF_PUBL | ATF_PERM,
        );
    }
    s
}

/// `/proc/net/dev` (net/core/net-procfs.c `dev_seq_show`, `dev_seq_printf_stats`), devices in
/// ifindex order (the index hash walk).
fn proc_net_dev(ctx: &Ctx<'_>) -> String {
    let mut s = String::from(
        "Inter-|   Receive                                                |  Transmit\n face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n",
    );
    let mut devs = ctx.s.world().rtnl().devices(ctx.ns);
    devs.sort_by_key(|d| d.ifindex());
    for d in devs {
        let st = d.stats64();
        let _ = writeln!(
            s,
            "{:>6}: {:>7} {:>7} {:>4} {:>4} {:>4} {:>5} {:>10} {:>9} {:>8} {:>7} {:>4} {:>4} {:>4} {:>5} {:>7} {:>10}",
            d.name(),
            st.rx_bytes,
            st.rx_packets,
            st.rx_errors,
            st.rx_dropped + st.rx_missed_errors,
            st.rx_fifo_errors,
            st.rx_length_errors + st.rx_over_errors + st.rx_crc_errors + st.rx_frame_errors,
            st.rx_compressed,
            st.multicast,
            st.tx_bytes,
            st.tx_packets,
            st.tx_errors,
            st.tx_dropped,
            st.tx_fifo_errors,
            st.collisions,
            st.tx_carrier_errors + st.tx_aborted_errors + st.tx_window_errors + st.tx_heartbeat_errors,
            st.tx_compressed,
        );
    }
    s
}

// ------------------------------------------------------------------------------------------------
// /sys/class/net
// ------------------------------------------------------------------------------------------------

/// A file of `/sys/class/net/DEV/statistics` (`netstat_attrs`: 24 of them): a field of
/// `dev_get_stats`, printed `%llu` (`netstat_show`).
fn statistic(d: &NetDevice, name: &str) -> Option<u64> {
    let s = d.stats64();
    Some(match name {
        "collisions" => s.collisions,
        "multicast" => s.multicast,
        "rx_bytes" => s.rx_bytes,
        "rx_compressed" => s.rx_compressed,
        "rx_crc_errors" => s.rx_crc_errors,
        "rx_dropped" => s.rx_dropped,
        "rx_errors" => s.rx_errors,
        "rx_fifo_errors" => s.rx_fifo_errors,
        "rx_frame_errors" => s.rx_frame_errors,
        "rx_length_errors" => s.rx_length_errors,
        "rx_missed_errors" => s.rx_missed_errors,
        "rx_nohandler" => s.rx_nohandler,
        "rx_over_errors" => s.rx_over_errors,
        "rx_packets" => s.rx_packets,
        "tx_aborted_errors" => s.tx_aborted_errors,
        "tx_bytes" => s.tx_bytes,
        "tx_carrier_errors" => s.tx_carrier_errors,
        "tx_compressed" => s.tx_compressed,
        "tx_dropped" => s.tx_dropped,
        "tx_errors" => s.tx_errors,
        "tx_fifo_errors" => s.tx_fifo_errors,
        "tx_heartbeat_errors" => s.tx_heartbeat_errors,
        "tx_packets" => s.tx_packets,
        "tx_window_errors" => s.tx_window_errors,
        _ => return None,
    })
}

/// `operstates[]` of net-sysfs.c.
fn operstate_name(o: Operstate) -> &'static str {
    match o {
        Operstate::Unknown => "unknown",
        Operstate::NotPresent => "notpresent",
        Operstate::Down => "down",
        Operstate::LowerLayerDown => "lowerlayerdown",
        Operstate::Testing => "testing",
        Operstate::Dormant => "dormant",
        Operstate::Up => "up",
    }
}

/// `dev->flags` as `flags_show` prints it: the kernel's own word, without the bits
/// `netif_get_flags` computes.
fn sysfs_flags(d: &NetDevice) -> u32 {
    d.raw_flags().bits() & !(IfFlags::RUNNING | IfFlags::LOWER_UP | IfFlags::DORMANT).bits()
}

/// The device `name` in the namespace the command runs in.
fn device(ctx: &Ctx<'_>, name: &str) -> Option<Arc<NetDevice>> {
    ctx.s.world().rtnl().dev_by_name(ctx.ns, name)
}

/// The value of the attribute `attr` of `d` (net-sysfs.c's `*_show`), with its newline.
fn attr_show(d: &NetDevice, attr: &str) -> Result<String, &'static str> {
    const EINVAL: &str = "Invalid argument";
    let running = d.is_running();
    let v = match attr {
        "addr_assign_type" => (d.addr_assign_type() as u8).to_string(),
        "addr_len" => d.addr_len().to_string(),
        // address_show / broadcast_show: sysfs_format_mac, lowercase.
        "address" => d.address().to_string(),
        "broadcast" => d.broadcast().to_string(),
        // carrier_show, dormant_show, testing_show: only while running.
        "carrier" if running => u8::from(d.has_carrier()).to_string(),
        "dormant" if running => u8::from(d.flags().contains(IfFlags::DORMANT)).to_string(),
        "testing" if running => u8::from(d.operstate_raw() == Operstate::Testing).to_string(),
        "carrier" | "dormant" | "testing" => return Err(EINVAL),
        "carrier_changes" => d.carrier_changes().to_string(),
        "carrier_up_count" => d.carrier_up_count().to_string(),
        "carrier_down_count" => d.carrier_down_count().to_string(),
        "dev_id" => "0x0".to_string(),
        "dev_port" | "link_mode" | "proto_down" | "gro_flush_timeout" | "napi_defer_hard_irqs" | "threaded" => {
            "0".to_string()
        }
        // speed_show / duplex_show: __ethtool_get_link_ksettings while running, else EINVAL.
        "speed" | "duplex" => {
            let ks = crate::ethtool::link_ksettings(d).filter(|_| running).ok_or(EINVAL)?;
            if attr == "speed" { ks.speed.to_string() } else { ks.duplex.to_string() }
        }
        "flags" => format!("{:#x}", sysfs_flags(d)),
        // ifalias_show: nothing at all without an alias.
        "ifalias" => return Ok(d.alias().map_or_else(String::new, |a| format!("{a}\n"))),
        "ifindex" => d.ifindex().to_string(),
        "iflink" => d.iflink().to_string(),
        "mtu" => d.mtu().to_string(),
        // name_assign_type_show: EINVAL for NET_NAME_UNKNOWN.
        "name_assign_type" => match d.name_assign_type() as u8 {
            0 => return Err(EINVAL),
            t => t.to_string(),
        },
        "netdev_group" => d.group().to_string(),
        // operstate_show: "down" whenever the device is not running.
        "operstate" => operstate_name(d.operstate()).to_string(),
        "phys_port_id" | "phys_port_name" | "phys_switch_id" => return Err("Operation not supported"),
        "tx_queue_len" => d.tx_queue_len().to_string(),
        "type" => d.dev_type().to_string(),
        "uevent" => return Ok(format!("INTERFACE={}\nIFINDEX={}\n", d.name(), d.ifindex())),
        _ => return Err("No such file or directory"),
    };
    Ok(v + "\n")
}

/// `cat /sys/class/net/...`.
fn class_net_read(ctx: &Ctx<'_>, comps: &[String]) -> Result<String, &'static str> {
    let Some((name, rest)) = comps.split_first() else { return Err("Is a directory") };
    let d = device(ctx, name).ok_or("No such file or directory")?;
    match rest.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
        [] | ["statistics"] => Err("Is a directory"),
        ["statistics", s] => statistic(&d, s).map(|v| format!("{v}\n")).ok_or("No such file or directory"),
        // The bridge's directories: `bridge/*` on a bridge, `brport/*` on a port, `brif/PORT`
        // (a link to the port's `brport`) on a bridge.
        ["bridge" | "brport" | "brif", ..] => bridge_read(ctx, &d, rest),
        [attr] => attr_show(&d, attr),
        // A file followed by more path.
        [attr, ..] if attr_show(&d, attr).is_ok() || statistic(&d, attr).is_some() => Err("Not a directory"),
        _ => Err("No such file or directory"),
    }
}

/// The attributes Linux lets root write (mode 0644).
const WRITABLE: [&str; 7] = ["mtu", "tx_queue_len", "carrier", "flags", "ifalias", "netdev_group", "proto_down"];

/// `echo V > /sys/class/net/DEV/ATTR` (net-sysfs.c's `*_store`).
fn class_net_write(ctx: &mut Ctx<'_>, comps: &[String], data: &str) -> Result<(), FsError> {
    // The open: a missing file, a directory, or a read-only attribute fails here.
    let not_writable = |e: Result<String, &'static str>| match e {
        Ok(_) => FsError::Open("Permission denied"),
        Err(e) => FsError::Open(e),
    };
    if let [name, dir @ ("bridge" | "brport"), attr] = comps.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
        if let Err(e) = class_net_read(ctx, comps) {
            return Err(FsError::Open(e));
        }
        return bridge_write(ctx, name, dir, attr, data);
    }
    let [name, attr] = comps else { return Err(not_writable(class_net_read(ctx, comps))) };
    let d = device(ctx, name).ok_or(FsError::Open("No such file or directory"))?;
    if let Err(e @ ("No such file or directory" | "Is a directory" | "Not a directory")) = class_net_read(ctx, comps) {
        return Err(FsError::Open(e));
    }
    if !WRITABLE.contains(&attr.as_str()) {
        return Err(FsError::Open("Permission denied"));
    }
    let name = attr.as_str();
    if data.is_empty() {
        return Ok(());
    }
    if name == "ifalias" {
        // ifalias_store: one trailing newline is not part of the alias.
        let alias = data.strip_suffix('\n').unwrap_or(data);
        let world = ctx.s.world();
        return world.rtnl().set_alias(&d, Some(alias)).map_err(|e| FsError::Write(e.errno().strerror()));
    }
    // netdev_store: kstrtoul(buf, 0) first.
    let v = kstrtoul(data).map_err(|e| FsError::Write(e.strerror()))?;
    let world = ctx.s.world();
    let mut rtnl = world.rtnl();
    let res = match name {
        // change_mtu: dev_set_mtu(dev, (int)new_mtu).
        "mtu" => match u32::try_from(v as u32 as i32) {
            Ok(m) => rtnl.set_mtu(&d, m),
            Err(_) => Err(Errno::Einval.into()),
        },
        // change_tx_queue_len: ERANGE beyond an unsigned int.
        "tx_queue_len" => match u32::try_from(v) {
            Ok(q) => rtnl.set_txqlen(&d, q),
            Err(_) => Err(Errno::Erange.into()),
        },
        // change_carrier: EINVAL unless running, then the driver's ndo_change_carrier.
        "carrier" if !d.is_running() => Err(Errno::Einval.into()),
        "carrier" => rtnl.change_carrier(&d, if v != 0 { Carrier::On } else { Carrier::Off }),
        // change_flags: dev_change_flags(dev, (unsigned int)flags).
        "flags" => change_flags(&mut rtnl, &d, IfFlags(v as u32)),
        // dev_change_proto_down: no driver here sets `dev->change_proto_down`.
        "proto_down" => Err(Errno::Eopnotsupp.into()),
        _ => return Err(FsError::Unsupported(format!("/sys/class/net/{}/{name}", d.name()))),
    };
    res.map_err(|e| FsError::Write(e.errno().strerror()))
}

/// `dev_change_flags` as `flags_store` calls it: the user-changeable bits, then up or down, then
/// the user's promiscuous and allmulticast requests.
fn change_flags(rtnl: &mut netdev_core::Rtnl<'_>, d: &Arc<NetDevice>, new: IfFlags) -> netdev_core::Result<()> {
    rtnl.change_flags(d, IfFlags::USER_CHANGEABLE, new);
    if new.contains(IfFlags::UP) != d.is_up() {
        rtnl.set_up(d, new.contains(IfFlags::UP))?;
    }
    rtnl.set_promisc(d, new.contains(IfFlags::PROMISC))?;
    rtnl.set_allmulti(d, new.contains(IfFlags::ALLMULTI))
}

// ------------------------------------------------------------------------------------------------
// /sys/class/net/BR/bridge, /sys/class/net/PORT/brport, /sys/class/net/BR/brif
// ------------------------------------------------------------------------------------------------

/// The bridge attributes (`net/bridge/br_sysfs_br.c`, `bridge_attrs[]`), each `*_show` with its
/// newline. `vlan_filtering`, `vlan_protocol`, `default_pvid`, `vlan_stats_enabled` and
/// `vlan_stats_per_port` exist only with `CONFIG_BRIDGE_VLAN_FILTERING` (not on the recorded
/// kernel). `flush` is write-only.
fn bridge_attr(i: &netdev_bridge::BridgeInfo, attr: &str) -> Result<String, &'static str> {
    let m = &i.mcast;
    if let Some((proto, pvid)) = i.vlan {
        let v = match attr {
            "vlan_filtering" => Some(i.vlan_filtering.to_string()),
            // vlan_protocol_show: "%#06x" of the protocol.
            "vlan_protocol" => Some(format!("{proto:#06x}")),
            "default_pvid" => Some(pvid.to_string()),
            "vlan_stats_enabled" => Some(m.vlan_stats_enabled.to_string()),
            "vlan_stats_per_port" => Some(m.vlan_stats_per_port.to_string()),
            _ => None,
        };
        if let Some(v) = v {
            return Ok(v + "\n");
        }
    }
    let v = match attr {
        "forward_delay" => i.forward_delay.to_string(),
        "hello_time" => i.hello_time.to_string(),
        "max_age" => i.max_age.to_string(),
        "ageing_time" => i.ageing_time.to_string(),
        "stp_state" => i.stp_state.to_string(),
        // group_fwd_mask_show: the kernel's "%#x" prints 0 as 0x0.
        "group_fwd_mask" => format!("{:#x}", i.group_fwd_mask),
        "priority" => i.priority.to_string(),
        "bridge_id" => i.bridge_id.sysfs(),
        "root_id" => i.root_id.sysfs(),
        "root_path_cost" => i.root_path_cost.to_string(),
        "root_port" => i.root_port.to_string(),
        "topology_change" => u8::from(i.topology_change).to_string(),
        "topology_change_detected" => u8::from(i.topology_change_detected).to_string(),
        "hello_timer" => i.hello_timer.to_string(),
        "tcn_timer" => i.tcn_timer.to_string(),
        "topology_change_timer" => i.topology_change_timer.to_string(),
        "gc_timer" => i.gc_timer.to_string(),
        "group_addr" => i.group_addr.to_string(),
        "no_linklocal_learn" => u8::from(i.no_linklocal_learn).to_string(),
        "multicast_router" => m.mcast_router.to_string(),
        "multicast_snooping" => m.mcast_snooping.to_string(),
        "multicast_querier" => m.mcast_querier.to_string(),
        "multicast_query_use_ifaddr" => m.mcast_query_use_ifaddr.to_string(),
        "hash_elasticity" => m.mcast_hash_elasticity.to_string(),
        "hash_max" => m.mcast_hash_max.to_string(),
        "multicast_last_member_count" => m.mcast_last_member_count.to_string(),
        "multicast_startup_query_count" => m.mcast_startup_query_count.to_string(),
        "multicast_last_member_interval" => m.mcast_last_member_interval.to_string(),
        "multicast_membership_interval" => m.mcast_membership_interval.to_string(),
        "multicast_querier_interval" => m.mcast_querier_interval.to_string(),
        "multicast_query_interval" => m.mcast_query_interval.to_string(),
        "multicast_query_response_interval" => m.mcast_query_response_interval.to_string(),
        "multicast_startup_query_interval" => m.mcast_startup_query_interval.to_string(),
        "multicast_stats_enabled" => m.mcast_stats_enabled.to_string(),
        "multicast_igmp_version" => m.mcast_igmp_version.to_string(),
        "multicast_mld_version" => m.mcast_mld_version.to_string(),
        "nf_call_iptables" => m.nf_call_iptables.to_string(),
        "nf_call_ip6tables" => m.nf_call_ip6tables.to_string(),
        "nf_call_arptables" => m.nf_call_arptables.to_string(),
        "flush" => return Err("Permission denied"),
        _ => return Err("No such file or directory"),
    };
    Ok(v + "\n")
}

/// The port attributes (`net/bridge/br_sysfs_if.c`, `brport_attrs[]`), each with its newline.
/// `flush` is write-only.
fn brport_attr(ctx: &Ctx<'_>, p: &netdev_bridge::PortInfo, attr: &str) -> Result<String, &'static str> {
    use netdev_bridge::PortFlags as F;
    let flag = |f: F| u8::from(p.flags.contains(f)).to_string();
    let v = match attr {
        "path_cost" => p.cost.to_string(),
        "priority" => p.priority.to_string(),
        "port_id" => format!("{:#x}", p.port_id),
        "port_no" => format!("{:#x}", p.port_no),
        "designated_root" => p.designated_root.sysfs(),
        "designated_bridge" => p.designated_bridge.sysfs(),
        "designated_port" => p.designated_port.to_string(),
        "designated_cost" => p.designated_cost.to_string(),
        "state" => (p.state as u8).to_string(),
        "change_ack" => u8::from(p.topology_change_ack).to_string(),
        "config_pending" => u8::from(p.config_pending).to_string(),
        "message_age_timer" => p.message_age_timer.to_string(),
        "forward_delay_timer" => p.forward_delay_timer.to_string(),
        "hold_timer" => p.hold_timer.to_string(),
        "hairpin_mode" => flag(F::HAIRPIN),
        "bpdu_guard" => flag(F::BPDU_GUARD),
        "root_block" => flag(F::ROOT_BLOCK),
        "learning" => flag(F::LEARNING),
        "unicast_flood" => flag(F::FLOOD),
        "multicast_router" => p.mcast_router.to_string(),
        "multicast_fast_leave" => flag(F::FAST_LEAVE),
        "multicast_flood" => flag(F::MCAST_FLOOD),
        "broadcast_flood" => flag(F::BCAST_FLOOD),
        "multicast_to_unicast" => flag(F::MCAST_TO_UCAST),
        "proxyarp" => flag(F::PROXYARP),
        "proxyarp_wifi" => flag(F::PROXYARP_WIFI),
        "neigh_suppress" => flag(F::NEIGH_SUPPRESS),
        "isolated" => flag(F::ISOLATED),
        "group_fwd_mask" => format!("{:#x}", p.group_fwd_mask),
        // show_backup_port: the backup port's name, or nothing.
        "backup_port" => {
            let rtnl = ctx.s.world().rtnl();
            return Ok(p
                .backup_port
                .and_then(|i| rtnl.dev_by_index(ctx.ns, i))
                .map_or_else(String::new, |d| format!("{}\n", d.name())));
        }
        "flush" => return Err("Permission denied"),
        // brport/bridge: the link to the bridge's directory.
        "bridge" => return Err("Is a directory"),
        _ => return Err("No such file or directory"),
    };
    Ok(v + "\n")
}

/// `cat /sys/class/net/DEV/{bridge,brport,brif}/...` (`rest` starts with the directory).
fn bridge_read(ctx: &Ctx<'_>, d: &NetDevice, rest: &[String]) -> Result<String, &'static str> {
    const ENOENT: &str = "No such file or directory";
    let r: Vec<&str> = rest.iter().map(String::as_str).collect();
    match r.as_slice() {
        ["bridge", tail @ ..] => {
            let info = netdev_bridge::info(d).ok_or(ENOENT)?;
            match tail {
                [] => Err("Is a directory"),
                [attr] => bridge_attr(&info, attr),
                [attr, ..] if bridge_attr(&info, attr).is_ok() => Err("Not a directory"),
                _ => Err(ENOENT),
            }
        }
        ["brport", tail @ ..] => {
            let p = netdev_bridge::port_info(d).ok_or(ENOENT)?;
            match tail {
                [] => Err("Is a directory"),
                [attr] => brport_attr(ctx, &p, attr),
                _ => Err(ENOENT),
            }
        }
        ["brif", tail @ ..] => {
            if !netdev_bridge::is_bridge(d) {
                return Err(ENOENT);
            }
            let Some((port, tail)) = tail.split_first() else { return Err("Is a directory") };
            let pd = device(ctx, port).ok_or(ENOENT)?;
            if netdev_bridge::master_of(&pd).is_none_or(|m| m.ifindex() != d.ifindex()) {
                return Err(ENOENT);
            }
            let p = netdev_bridge::port_info(&pd).ok_or(ENOENT)?;
            match tail {
                [] => Err("Is a directory"),
                [attr] => brport_attr(ctx, &p, attr),
                _ => Err(ENOENT),
            }
        }
        _ => Err(ENOENT),
    }
}

/// `echo V > /sys/class/net/DEV/{bridge,brport}/ATTR`: the writable attributes go through the
/// same setters as netlink (`br_changelink` / `br_setport` arguments).
fn bridge_write(ctx: &mut Ctx<'_>, name: &str, dir: &str, attr: &str, data: &str) -> Result<(), FsError> {
    let d = device(ctx, name).ok_or(FsError::Open("No such file or directory"))?;
    let key = match (dir, attr) {
        ("bridge", a @ ("forward_delay" | "hello_time" | "max_age" | "ageing_time" | "stp_state" | "priority")) => a,
        ("bridge", "group_fwd_mask") => "group_fwd_mask",
        ("bridge", "multicast_snooping") => "mcast_snooping",
        ("bridge", "multicast_querier") => "mcast_querier",
        // The VLAN files exist only with CONFIG_BRIDGE_VLAN_FILTERING (vlan_filtering_store,
        // vlan_protocol_store, default_pvid_store, ...: the same setters as br_changelink).
        (
            "bridge",
            a @ ("vlan_filtering" | "vlan_protocol" | "default_pvid" | "vlan_stats_enabled" | "vlan_stats_per_port"),
        ) if netdev_bridge::info(&d).is_some_and(|i| i.vlan.is_some()) => {
            if a == "default_pvid" {
                "vlan_default_pvid"
            } else {
                a
            }
        }
        ("brport", "path_cost") => "cost",
        ("brport", "priority") => "priority",
        ("brport", "hairpin_mode") => "hairpin",
        ("brport", "bpdu_guard") => "guard",
        ("brport", "root_block") => "root_block",
        ("brport", "learning") => "learning",
        ("brport", "unicast_flood") => "flood",
        ("brport", "multicast_flood") => "mcast_flood",
        ("brport", "broadcast_flood") => "bcast_flood",
        ("brport", "multicast_fast_leave") => "fastleave",
        ("brport", "isolated") => "isolated",
        (_, "state" | "port_id" | "port_no" | "bridge_id" | "root_id") => {
            return Err(FsError::Open("Permission denied"));
        }
        _ => return Err(FsError::Unsupported(format!("/sys/class/net/{name}/{dir}/{attr}"))),
    };
    if data.is_empty() {
        return Ok(());
    }
    let v = kstrtoul(data).map_err(|e| FsError::Write(e.strerror()))?;
    let world = ctx.s.world();
    let mut rtnl = world.rtnl();
    let res = if dir == "bridge" {
        // br_vlan_filter_toggle and the stats toggles take `!!val`.
        let v = match key {
            "vlan_filtering" | "vlan_stats_enabled" | "vlan_stats_per_port" => u64::from(v != 0),
            _ => v,
        };
        rtnl.link_change(&d, netdev_bridge::KIND, &[key, &v.to_string()])
    } else {
        let val = match key {
            "cost" | "priority" => v.to_string(),
            _ if v != 0 => "on".to_string(),
            _ => "off".to_string(),
        };
        match netdev_bridge::parse_port_args(&[key, &val]) {
            Ok(cfg) => netdev_bridge::set_port(&mut rtnl, &d, &cfg),
            Err(_) => Err(Errno::Einval.into()),
        }
    };
    res.map_err(|e| FsError::Write(e.errno().strerror()))
}

/// `ls DIR...` of the simulated directories vnet knows the entries of (`/sys/class/net`,
/// `/sys/class/net/BR/brif`, `.../bridge`, `.../brport`): one name a line, sorted.
pub(crate) fn ls(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    let mut rc = 0;
    let paths: Vec<&String> = args.iter().filter(|a| !a.starts_with('-')).collect();
    for p in paths {
        let comps = components(p.strip_prefix('/').unwrap_or(p));
        let c: Vec<&str> = comps.iter().map(String::as_str).collect();
        let rtnl_names = |ctx: &Ctx<'_>| -> Vec<String> {
            ctx.s.world().rtnl().devices(ctx.ns).iter().map(|d| d.name().to_string()).collect()
        };
        let list: Option<Vec<String>> = match c.as_slice() {
            ["sys", "class", "net"] => Some(rtnl_names(ctx)),
            ["sys", "class", "net", dev, "brif"] => device(ctx, dev).filter(|d| netdev_bridge::is_bridge(d)).map(|d| {
                let rtnl = ctx.s.world().rtnl();
                netdev_bridge::ports(&d)
                    .iter()
                    .filter_map(|p| rtnl.dev_by_index(ctx.ns, p.ifindex))
                    .map(|p| p.name().to_string())
                    .collect()
            }),
            _ => None,
        };
        match list {
            Some(mut names) => {
                names.sort();
                let mut out = String::new();
                for n in names {
                    out.push_str(&n);
                    out.push('\n');
                }
                ctx.print(&out);
            }
            None => {
                let what =
                    if read(ctx, p).is_ok() { "vnet does not list this path" } else { "No such file or directory" };
                ctx.eprint(&format!("ls: cannot access '{p}': {what}\n"));
                rc = 2;
            }
        }
    }
    rc
}

/// The kernel's `kstrtoul(s, 0)`: an optional `+`, `0x` hex / `0` octal / decimal digits, and at
/// most one trailing newline. EINVAL for anything else, ERANGE on overflow.
fn kstrtoul(s: &str) -> Result<u64, Errno> {
    let s = s.strip_suffix('\n').unwrap_or(s);
    let s = s.strip_prefix('+').unwrap_or(s);
    let (radix, digits) = if let Some(h) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        (16, h)
    } else if s.len() > 1 && s.starts_with('0') {
        (8, &s[1..])
    } else {
        (10, s)
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return Err(Errno::Einval);
    }
    u64::from_str_radix(digits, radix).map_err(|_| Errno::Erange)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kstrtoul_accepts_what_the_kernel_does() {
        assert_eq!(kstrtoul("1500\n"), Ok(1500));
        assert_eq!(kstrtoul("+7"), Ok(7));
        assert_eq!(kstrtoul("0x1003"), Ok(0x1003));
        assert_eq!(kstrtoul("010"), Ok(8));
        assert_eq!(kstrtoul("0"), Ok(0));
        assert_eq!(kstrtoul("1500\n\n"), Err(Errno::Einval));
        assert_eq!(kstrtoul("-1"), Err(Errno::Einval));
        assert_eq!(kstrtoul(" 1"), Err(Errno::Einval));
        assert_eq!(kstrtoul("08"), Err(Errno::Einval));
        assert_eq!(kstrtoul(""), Err(Errno::Einval));
        assert_eq!(kstrtoul("99999999999999999999999"), Err(Errno::Erange));
    }

    /// `cat FILES...` in namespace `ns`: stdout, stderr, rc.
    fn cat_in(s: &mut crate::Session, ns: netdev_core::NetnsId, files: &[&str]) -> (String, String, i32) {
        let mut ctx = Ctx::new(s, ns);
        let args: Vec<String> = files.iter().map(|f| f.to_string()).collect();
        let rc = cat(&mut ctx, &args);
        (std::mem::take(&mut ctx.out), std::mem::take(&mut ctx.err), rc)
    }

    /// reference/linux-golden/veth-basic, the `ip netns exec vg-b cat /sys/class/net/veth1/...`
    /// blocks: the peer end, seen from its own namespace's sysfs.
    #[test]
    fn golden_veth_basic_peer_in_its_namespace() {
        use netdev_core::{NetnsId, NewLink};
        let mut s = crate::Session::new(1).unwrap();
        let (a, b) = {
            let w = s.world();
            let mut r = w.rtnl();
            let a = r.netns_add("vg-a").unwrap();
            let b = r.netns_add("vg-b").unwrap();
            let req = NewLink {
                name: Some("veth0".into()),
                address: "02:00:00:00:00:0a".parse().ok(),
                ..NewLink::in_netns(a)
            };
            r.link_add("veth", &req, &["peer", "name", "veth1", "netns", "vg-b", "address", "02:00:00:00:00:0b"])
                .unwrap();
            (a, b)
        };
        let up = |s: &crate::Session, ns: NetnsId, name: &str, on: bool| {
            let w = s.world();
            let mut r = w.rtnl();
            let d = r.dev_by_name(ns, name).unwrap();
            r.set_up(&d, on).unwrap();
        };
        let files = ["operstate", "carrier", "carrier_changes", "flags"].map(|f| format!("/sys/class/net/veth1/{f}"));
        let files: Vec<&str> = files.iter().map(String::as_str).collect();
        let einval = "cat: /sys/class/net/veth1/carrier: Invalid argument\n";
        // both down
        assert_eq!(cat_in(&mut s, b, &files), ("down\n1\n0x1002\n".into(), einval.into(), 1));
        // veth0 up only
        up(&s, a, "veth0", true);
        assert_eq!(cat_in(&mut s, b, &files), ("down\n1\n0x1002\n".into(), einval.into(), 1));
        // both up
        up(&s, b, "veth1", true);
        assert_eq!(cat_in(&mut s, b, &files), ("up\n1\n2\n0x1003\n".into(), String::new(), 0));
        // veth1 down again
        up(&s, b, "veth1", false);
        assert_eq!(cat_in(&mut s, b, &files), ("down\n3\n0x1002\n".into(), einval.into(), 1));
        // Each namespace sees only its own devices, and only the initial one has net.core.
        assert_eq!(cat_in(&mut s, a, &["/sys/class/net/veth1/mtu"]).2, 1);
        assert_eq!(cat_in(&mut s, a, &["/sys/class/net/veth0/ifindex"]).0, "2\n");
        assert_eq!(cat_in(&mut s, b, &["/proc/sys/net/core/netdev_max_backlog"]).2, 1);
        assert_eq!(cat_in(&mut s, NetnsId::INIT, &["/proc/sys/net/core/netdev_max_backlog"]).0, "1000\n");
        assert_eq!(cat_in(&mut s, b, &["/proc/sys/net/ipv4/conf/veth1/forwarding"]).0, "0\n");
        assert_eq!(cat_in(&mut s, a, &["/proc/sys/net/ipv4/conf/veth1/forwarding"]).2, 1);
    }

    #[test]
    fn paths_are_classified_by_tree() {
        assert!(matches!(Simulated::of("/proc/sys/net/ipv4/ip_forward"), Some(Simulated::ProcSys(c)) if c.len() == 3));
        assert!(matches!(Simulated::of("/proc//sys/./net"), Some(Simulated::ProcSys(c)) if c == ["net"]));
        assert!(matches!(Simulated::of("/sys/class/net/lo/mtu"), Some(Simulated::ClassNet(c)) if c == ["lo", "mtu"]));
        assert!(matches!(Simulated::of("/proc/net/arp"), Some(Simulated::Proc(_))));
        assert!(Simulated::of("/etc/hosts").is_none());
        assert!(Simulated::of("relative/proc/sys").is_none());
    }
}
