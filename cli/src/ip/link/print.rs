//! `print_linkinfo` (iproute2 6.1 `ip/ipaddress.c`): the record of one device as `ip link show`
//! and `ip addr show` print it, in text (`-d`, `-s`, `-o`), brief (`-br`) and JSON (`-j`), and
//! the counters block (`print_stats64`). What the kernel would put in RTM_NEWLINK is gathered
//! into a [`View`] first (`rtnl_fill_ifinfo`), then printed.

use std::fmt::Write as _;

use netdev_core::{
    ARPHRD_ETHER, ARPHRD_LOOPBACK, ARPHRD_NETLINK, ARPHRD_NONE, ARPHRD_VOID, IfFlags, LinkStats64, NetDevice, NetnsId,
    Rtnl,
};

use super::Json;
use crate::ip::IpOpts;
use crate::session::Ctx;

/// `ll_type_n2a`: the name after `link/`.
fn link_type_name(t: u16) -> String {
    match t {
        ARPHRD_ETHER => "ether".to_string(),
        ARPHRD_LOOPBACK => "loopback".to_string(),
        ARPHRD_NETLINK => "netlink".to_string(),
        ARPHRD_NONE => "none".to_string(),
        ARPHRD_VOID => "void".to_string(),
        t => format!("[{t}]"),
    }
}

/// What follows the name (`print_name_and_link`): nothing (no `IFLA_LINK`), `@NONE` (link 0),
/// `@NAME` (in the same namespace, from the local device list; M-DOWN when it is down), or
/// `@ifN` (in another namespace, with `IFLA_LINK_NETNSID`).
#[derive(Clone, Debug, PartialEq, Eq)]
enum LinkRef {
    Absent,
    Zero,
    Local { name: String, down: bool },
    Foreign { ifindex: u32 },
}

/// `IFLA_LINK` as the kernel fills it (`nla_put_iflink`): present when the link is another
/// device, or whenever it lives in another namespace.
fn link_ref(rtnl: &Rtnl<'_>, ns: NetnsId, dev: &NetDevice) -> LinkRef {
    let iflink = dev.iflink();
    let foreign = dev.link_netns() != dev.netns();
    if iflink == dev.ifindex() && !foreign {
        return LinkRef::Absent;
    }
    if iflink == 0 {
        return LinkRef::Zero;
    }
    if foreign {
        return LinkRef::Foreign { ifindex: iflink };
    }
    // ll_idx_n2a / ll_index_to_flags: an index the cache does not know is `ifN` with flags 0.
    match rtnl.dev_by_index(ns, iflink) {
        Some(p) => LinkRef::Local { name: p.name().to_string(), down: !p.flags().contains(IfFlags::UP) },
        None => LinkRef::Local { name: format!("if{iflink}"), down: true },
    }
}

/// What iproute2 prints after the name: `@peer` (a link in the same namespace, by name), `@ifN`
/// (elsewhere), `@NONE`, or nothing when the kernel sends no IFLA_LINK.
#[allow(dead_code, reason = "shared with `ip addr`, which another change builds")]
pub(crate) fn link_suffix(ctx: &Ctx<'_>, dev: &NetDevice) -> String {
    match link_ref(&ctx.s.world().rtnl(), ctx.ns, dev) {
        LinkRef::Absent => String::new(),
        LinkRef::Zero => "@NONE".to_string(),
        LinkRef::Local { name, .. } => format!("@{name}"),
        LinkRef::Foreign { ifindex } => format!("@if{ifindex}"),
    }
}

/// iproute2's flag list (`print_link_flags`): NO-CARRIER first when up without carrier, then the
/// flags in its order, M-DOWN last.
pub(crate) fn flag_names(dev: &NetDevice, m_down: bool) -> Vec<&'static str> {
    const ORDER: [(IfFlags, &str); 18] = [
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
        (IfFlags::AUTOMEDIA, "AUTOMEDIA"),
        (IfFlags::PORTSEL, "PORTSEL"),
        (IfFlags::NOTRAILERS, "NOTRAILERS"),
        (IfFlags::UP, "UP"),
        (IfFlags::LOWER_UP, "LOWER_UP"),
        (IfFlags::DORMANT, "DORMANT"),
        (IfFlags::ECHO, "ECHO"),
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

/// The reference machine's `num_possible_cpus()`: veth has one queue per possible CPU
/// (`veth_get_num_queues`), so the golden transcripts show `numtxqueues 2`.
const POSSIBLE_CPUS: u32 = 2;
/// `GSO_MAX_SIZE` (what BIG-TCP-capable virtual devices set with `netif_set_tso_max_size`).
const GSO_MAX_SIZE: u32 = 524_280;
/// `TSO_LEGACY_MAX_SIZE`, `alloc_netdev_mqs`'s default.
const TSO_LEGACY_MAX_SIZE: u32 = 65_536;

/// `numtxqueues`, `numrxqueues` and `tso_max_size` of a device, which the core does not keep:
/// veth one queue per possible CPU and `GSO_MAX_SIZE`; loopback `GSO_MAX_SIZE`; macvlan, ipvlan
/// and vlan their lower device's (`netif_inherit_tso_max` in `macvlan_init`, `ipvlan_init`,
/// `vlan_dev_init`); a bridge, bond or team the smallest of its ports (`br_set_gso_limits`), the
/// legacy size while it has none; everything else one queue and the legacy size.
fn queue_facts(dev: &NetDevice) -> (u32, u32, u32) {
    match dev.kind() {
        "veth" => (POSSIBLE_CPUS, POSSIBLE_CPUS, GSO_MAX_SIZE),
        "loopback" => (1, 1, GSO_MAX_SIZE),
        "macvlan" | "macvtap" | "ipvlan" | "ipvtap" | "vlan" => {
            let tso = dev.lowers().first().map_or(TSO_LEGACY_MAX_SIZE, |l| queue_facts(l).2);
            (1, 1, tso)
        }
        "bridge" | "bond" | "team" => {
            let tso = dev.lowers().iter().map(|l| queue_facts(l).2).min().unwrap_or(TSO_LEGACY_MAX_SIZE);
            (1, 1, tso)
        }
        _ => (1, 1, TSO_LEGACY_MAX_SIZE),
    }
}

/// Everything `print_linkinfo` prints about one device, as the kernel would fill RTM_NEWLINK for
/// the namespace the command runs in.
#[derive(Debug)]
pub(super) struct View {
    ifindex: u32,
    name: String,
    link: LinkRef,
    flags: Vec<&'static str>,
    mtu: u32,
    qdisc: &'static str,
    master: Option<String>,
    operstate: &'static str,
    group: u32,
    txqlen: u32,
    link_type: String,
    address: Option<String>,
    broadcast: Option<String>,
    pointopoint: bool,
    permaddr: Option<String>,
    /// `IFLA_LINK_NETNSID` and, in text, the name `get_name_from_nsid` finds for it.
    netnsid: Option<(u32, Option<String>)>,
    alias: Option<String>,
    promiscuity: u32,
    allmulti: u32,
    min_mtu: u32,
    max_mtu: u32,
    /// `IFLA_INFO_KIND` and what the kind prints after it.
    kind: Option<(&'static str, String)>,
    /// `IFLA_INFO_SLAVE_KIND` and its data (`bridge_slave` of a bridge port, with `-d`).
    slave: Option<(&'static str, String)>,
    addrgenmode: Option<&'static str>,
    queues: (u32, u32, u32),
    stats: LinkStats64,
    carrier_changes: u32,
}

impl View {
    /// Gather what the kernel would fill. Filling `IFLA_LINK_NETNSID` allocates the peer
    /// namespace's id (`peernet2id_alloc`), so showing a link can make `ip netns list` show one.
    pub(super) fn of(ctx: &mut Ctx<'_>, dev: &NetDevice, o: &IpOpts, do_link: bool) -> View {
        let link = link_ref(&ctx.s.world().rtnl(), ctx.ns, dev);
        let mdown = matches!(link, LinkRef::Local { down: true, .. });
        let peer_ns = dev.link_netns();
        let netnsid = (peer_ns != dev.netns()).then(|| {
            let id = ctx.s.peer_netnsid(ctx.ns, peer_ns);
            (id, ctx.s.world().rtnl().netns_name(peer_ns))
        });
        let has_addr = dev.addr_len() > 0;
        let perm = dev.perm_address();
        let kind = if o.details > 0 {
            dev.link_kind().map(|k| {
                let mut s = String::new();
                let _ = k.fill_info(dev, &mut s);
                if !s.is_empty() && !s.ends_with(' ') {
                    s.push(' ');
                }
                (k.kind(), s)
            })
        } else {
            None
        };
        // print_linktype's slave part: `bridge_slave_print_opt` for a bridge port.
        let slave = (o.details > 0 && netdev_bridge::master_of(dev).is_some()).then(|| {
            let mut s = String::new();
            let _ = netdev_bridge::fill_slave_info(dev, &ctx.s.world().rtnl(), &mut s);
            (netdev_bridge::SLAVE_KIND, s)
        });
        let addrgenmode = if do_link && o.details > 0 { addr_gen_mode(ctx, dev) } else { None };
        View {
            ifindex: dev.ifindex(),
            name: dev.name().to_string(),
            link,
            flags: flag_names(dev, mdown),
            mtu: dev.mtu(),
            qdisc: dev.qdisc().name(),
            master: dev.master().map(|m| m.name().to_string()),
            operstate: dev.operstate().name(),
            group: dev.group(),
            txqlen: dev.tx_queue_len(),
            link_type: link_type_name(dev.dev_type()),
            address: has_addr.then(|| dev.address().to_string()),
            broadcast: has_addr.then(|| dev.broadcast().to_string()),
            pointopoint: dev.flags().contains(IfFlags::POINTOPOINT),
            permaddr: (has_addr && !perm.is_zero() && perm != dev.address()).then(|| perm.to_string()),
            netnsid,
            alias: dev.alias().map(|a| a.to_string()),
            promiscuity: dev.promiscuity(),
            allmulti: dev.allmulti(),
            min_mtu: dev.min_mtu(),
            max_mtu: dev.max_mtu(),
            kind,
            slave,
            addrgenmode,
            queues: queue_facts(dev),
            stats: dev.stats64(),
            carrier_changes: dev.carrier_changes(),
        }
    }

    /// The name as `print_name_and_link` formats it in text.
    fn name_and_link(&self) -> String {
        match &self.link {
            LinkRef::Absent => self.name.clone(),
            LinkRef::Zero => format!("{}@NONE", self.name),
            LinkRef::Local { name, .. } => format!("{}@{name}", self.name),
            LinkRef::Foreign { ifindex } => format!("{}@if{ifindex}", self.name),
        }
    }

    /// The text record (`print_linkinfo`). `do_link` is `ip link`'s form (`mode`, `addrgenmode`,
    /// the alias, the counters); `ip addr` passes false. With `-o` the record is one line, its
    /// inner newlines printed as `\`.
    fn text(&self, o: &IpOpts, do_link: bool) -> String {
        let mut s = format!(
            "{}: {}: <{}> mtu {} qdisc {} ",
            self.ifindex,
            self.name_and_link(),
            self.flags.join(","),
            self.mtu,
            self.qdisc
        );
        if let Some(m) = &self.master {
            let _ = write!(s, "master {m} ");
        }
        let _ = write!(s, "state {} ", self.operstate);
        if do_link {
            s.push_str("mode DEFAULT ");
        }
        let _ = write!(s, "group {} ", group_name(self.group));
        if self.txqlen != 0 {
            let _ = write!(s, "qlen {}", self.txqlen);
        }
        let _ = write!(s, "\n    link/{} ", self.link_type);
        if let Some(a) = &self.address {
            s.push_str(a);
        }
        if let Some(b) = &self.broadcast {
            let _ = write!(s, " {} {b}", if self.pointopoint { "peer" } else { "brd" });
        }
        if let Some(p) = &self.permaddr {
            let _ = write!(s, " permaddr {p}");
        }
        match &self.netnsid {
            Some((_, Some(name))) => {
                let _ = write!(s, " link-netns {name}");
            }
            Some((id, None)) => {
                let _ = write!(s, " link-netnsid {id}");
            }
            None => {}
        }
        if o.details > 0 {
            let _ = write!(
                s,
                " promiscuity {}  allmulti {} minmtu {} maxmtu {} ",
                self.promiscuity, self.allmulti, self.min_mtu, self.max_mtu
            );
            if let Some((kind, info)) = &self.kind {
                let _ = write!(s, "\n    {kind} {info}");
            }
            if let Some((kind, info)) = &self.slave {
                let _ = write!(s, "\n    {kind} {info}");
            }
            if let Some(m) = self.addrgenmode {
                let _ = write!(s, "addrgenmode {m} ");
            }
            let (tx, rx, tso) = self.queues;
            let _ = write!(
                s,
                "numtxqueues {tx} numrxqueues {rx} gso_max_size 65536 gso_max_segs 65535 tso_max_size {tso} \
                 tso_max_segs 65535 gro_max_size 65536 "
            );
        }
        if let Some(a) = self.alias.as_deref().filter(|_| do_link || o.details > 0) {
            let _ = write!(s, "\n    alias {a}");
        }
        if do_link && o.stats > 0 {
            s.push('\n');
            s.push_str(&stats_text(&self.stats, Some(self.carrier_changes), o));
        }
        if o.oneline {
            s = s.replace('\n', "\\");
        }
        s.push('\n');
        s
    }

    /// `print_linkinfo_brief`: name, state, address, flags.
    pub(super) fn brief(&self) -> String {
        let mut s = format!("{:<16} {:<14} ", self.name_and_link(), self.operstate);
        if let Some(a) = &self.address {
            let _ = write!(s, "{a} ");
        }
        let _ = writeln!(s, "<{}> ", self.flags.join(","));
        s
    }

    /// `print_name_and_link` in JSON: `link_index` (another namespace), `link` (a name, or null
    /// for link 0), then `ifname`.
    fn json_name(&self, j: &mut Json) {
        match &self.link {
            LinkRef::Absent => {}
            LinkRef::Zero => {
                j.name("link");
                j.null();
            }
            LinkRef::Local { name, .. } => {
                j.name("link");
                j.string(name);
            }
            LinkRef::Foreign { ifindex } => {
                j.name("link_index");
                j.uint(u64::from(*ifindex));
            }
        }
        j.name("ifname");
        j.string(&self.name);
    }

    pub(super) fn json_brief(&self, j: &mut Json) {
        self.json_name(j);
        j.name("operstate");
        j.string(self.operstate);
        if let Some(a) = &self.address {
            j.name("address");
            j.string(a);
        }
        j.name("flags");
        j.strings(&self.flags);
    }

    /// The JSON members of the record, in `print_linkinfo`'s order.
    fn json(&self, j: &mut Json, o: &IpOpts, do_link: bool) {
        j.name("ifindex");
        j.uint(u64::from(self.ifindex));
        self.json_name(j);
        j.name("flags");
        j.strings(&self.flags);
        j.name("mtu");
        j.uint(u64::from(self.mtu));
        j.name("qdisc");
        j.string(self.qdisc);
        if let Some(m) = &self.master {
            j.name("master");
            j.string(m);
        }
        j.name("operstate");
        j.string(self.operstate);
        if do_link {
            j.name("linkmode");
            j.string("DEFAULT");
        }
        j.name("group");
        j.string(&group_name(self.group));
        if self.txqlen != 0 {
            j.name("txqlen");
            j.uint(u64::from(self.txqlen));
        }
        j.name("link_type");
        j.string(&self.link_type);
        if let Some(a) = &self.address {
            j.name("address");
            j.string(a);
        }
        if let Some(b) = &self.broadcast {
            if self.pointopoint {
                j.name("link_pointtopoint");
                j.bool(true);
            }
            j.name("broadcast");
            j.string(b);
        }
        if let Some(p) = &self.permaddr {
            j.name("permaddr");
            j.string(p);
        }
        if let Some((id, _)) = &self.netnsid {
            j.name("link_netnsid");
            j.uint(u64::from(*id));
        }
        if o.details > 0 {
            for (k, v) in [
                ("promiscuity", self.promiscuity),
                ("allmulti", self.allmulti),
                ("min_mtu", self.min_mtu),
                ("max_mtu", self.max_mtu),
            ] {
                j.name(k);
                j.uint(u64::from(v));
            }
            if let Some((kind, _)) = &self.kind {
                j.name("linkinfo");
                j.begin_object();
                j.name("info_kind");
                j.string(kind);
                if let Some((sk, _)) = &self.slave {
                    j.name("info_slave_kind");
                    j.string(sk);
                }
                j.end_object();
            }
            if let Some(m) = self.addrgenmode {
                j.name("inet6_addr_gen_mode");
                j.string(m);
            }
            let (tx, rx, tso) = self.queues;
            for (k, v) in [
                ("num_tx_queues", tx),
                ("num_rx_queues", rx),
                ("gso_max_size", 65536),
                ("gso_max_segs", 65535),
                ("tso_max_size", tso),
                ("tso_max_segs", 65535),
                ("gro_max_size", 65536),
            ] {
                j.name(k);
                j.uint(u64::from(v));
            }
        }
        if let Some(a) = self.alias.as_deref().filter(|_| do_link || o.details > 0) {
            j.name("ifalias");
            j.string(a);
        }
        if do_link && o.stats > 0 {
            stats_json(j, &self.stats, Some(self.carrier_changes), o.stats);
        }
    }
}

/// `rtnl_group_n2a`: group 0 is `default`.
fn group_name(g: u32) -> String {
    if g == 0 { "default".to_string() } else { g.to_string() }
}

/// `IFLA_INET6_ADDR_GEN_MODE` (`print_af_spec`), from the device's `addr_gen_mode` sysctl; absent
/// when the device has no IPv6 state.
fn addr_gen_mode(ctx: &Ctx<'_>, dev: &NetDevice) -> Option<&'static str> {
    let stack = ctx.stack()?;
    // procps writes a dot inside a device name as `/` (`net.ipv6.conf.eth0/2.addr_gen_mode`).
    let v = stack.sysctl_get(&format!("net.ipv6.conf.{}.addr_gen_mode", dev.name().replace('.', "/"))).ok()?;
    Some(match v.trim() {
        "0" => "eui64",
        "1" => "none",
        "2" => "stable_secret",
        "3" => "random",
        _ => return None,
    })
}

/// The text record of `dev` as `ip link show` (`do_link`) or `ip addr show` prints it, with the
/// global options' `-d`, `-s` and `-o`; for `ip addr` the caller adds the addresses (and, with
/// `-s`, [`stats_block`]).
pub(crate) fn record(ctx: &mut Ctx<'_>, dev: &NetDevice, o: &IpOpts, do_link: bool) -> String {
    View::of(ctx, dev, o, do_link).text(o, do_link)
}

/// The JSON members of `dev`'s record, into an object the caller has opened.
pub(crate) fn record_json(ctx: &mut Ctx<'_>, dev: &NetDevice, o: &IpOpts, do_link: bool, j: &mut Json) {
    View::of(ctx, dev, o, do_link).json(j, o, do_link);
}

/// The two lines every `ip link show` / `ip addr show` entry starts with:
/// `N: NAME[@LINK]: <FLAGS> mtu M qdisc Q [master X] state S [mode DEFAULT] group G [qlen N]` and
/// `    link/TYPE ADDR brd BRD [link-netns NAME|link-netnsid N]`. `with_mode` is `ip link`'s form.
#[allow(dead_code, reason = "shared with `ip addr`, which another change builds")]
pub(crate) fn header(ctx: &mut Ctx<'_>, dev: &NetDevice, with_mode: bool) -> String {
    let o = IpOpts::default();
    let mut v = View::of(ctx, dev, &o, with_mode);
    v.alias = None;
    v.text(&o, with_mode)
}

/// The counters block `ip -s addr` prints after the addresses (`print_link_stats`), newline
/// included.
#[allow(dead_code, reason = "shared with `ip addr`, which another change builds")]
pub(crate) fn stats_block(dev: &NetDevice, o: &IpOpts) -> String {
    let mut s = stats_text(&dev.stats64(), Some(dev.carrier_changes()), o);
    if o.oneline {
        s = s.replace('\n', "\\");
    }
    s.push('\n');
    s
}

/// `print_num`: right-aligned in `width`, then a space; with `-h` in k/M/G... (`-iec`: Ki/Mi/...).
fn print_num(out: &mut String, width: usize, count: u64, o: &IpOpts) {
    let base: u64 = if o.iec { 1024 } else { 1000 };
    if !o.human || count < base {
        let _ = write!(out, "{count:>width$} ");
        return;
    }
    const PREFIX: &[u8] = b"kMGTPE";
    let mut p = 0;
    let mut powi: u64 = 1;
    loop {
        powi = powi.saturating_mul(base);
        if count / base < powi || p + 1 >= PREFIX.len() {
            break;
        }
        p += 1;
    }
    let mut precision: usize = 2;
    let mut powj: u64 = 1;
    while precision > 0 {
        powj *= 10;
        if count / powi < powj {
            break;
        }
        precision -= 1;
    }
    let unit = char::from(PREFIX.get(p).copied().unwrap_or(b'E'));
    let buf = format!("{:.*}{unit}{}", precision, count as f64 / powi as f64, if o.iec { "i" } else { "" });
    let _ = write!(out, "{buf:>width$} ");
}

/// `size_columns`: widen each column to the digits of its value (not with `-h`).
fn size_columns(cols: &mut [usize; 8], vals: &[u64], o: &IpOpts) {
    if o.human {
        return;
    }
    for (c, v) in cols.iter_mut().zip(vals) {
        *c = (*c).max(v.to_string().len());
    }
}

/// `print_stats64`'s text: the RX and TX headers and counters, and with `-s -s` the error lines
/// (`transns` is `IFLA_CARRIER_CHANGES`). No leading or trailing newline.
fn stats_text(s: &LinkStats64, carrier_changes: Option<u32>, o: &IpOpts) -> String {
    let more = o.stats > 1;
    let cc = u64::from(carrier_changes.unwrap_or(0));
    let mut cols: [usize; 8] = [10, 7, 6, 7, 7, 7, 10, 9];
    size_columns(
        &mut cols,
        &[s.rx_bytes, s.rx_packets, s.rx_errors, s.rx_dropped, s.rx_missed_errors, s.multicast, s.rx_compressed],
        o,
    );
    if more {
        size_columns(
            &mut cols,
            &[
                0,
                s.rx_length_errors,
                s.rx_crc_errors,
                s.rx_frame_errors,
                s.rx_fifo_errors,
                s.rx_over_errors,
                s.rx_nohandler,
                s.rx_otherhost_dropped,
            ],
            o,
        );
    }
    size_columns(
        &mut cols,
        &[s.tx_bytes, s.tx_packets, s.tx_errors, s.tx_dropped, s.tx_carrier_errors, s.collisions, s.tx_compressed],
        o,
    );
    if more {
        size_columns(
            &mut cols,
            &[0, s.tx_aborted_errors, s.tx_fifo_errors, s.tx_window_errors, s.tx_heartbeat_errors, cc],
            o,
        );
    }
    let [c0, c1, c2, c3, c4, c5, c6, c7] = cols;
    let mut out = String::new();
    let row = |out: &mut String, dir: &str, c4name: &str, c5name: &str, compressed: u64| {
        let comp = if compressed != 0 { "compressed" } else { "" };
        let _ = writeln!(
            out,
            "    {dir}: {:>w0$} {:>c1$} {:>c2$} {:>c3$} {:>c4$} {:>c5$} {:>c6$}",
            "bytes",
            "packets",
            "errors",
            "dropped",
            c4name,
            c5name,
            comp,
            w0 = c0 - 4,
        );
    };
    row(&mut out, "RX", "missed", "mcast", s.rx_compressed);
    out.push_str("    ");
    for (w, v) in [(c0, s.rx_bytes), (c1, s.rx_packets), (c2, s.rx_errors), (c3, s.rx_dropped)] {
        print_num(&mut out, w, v, o);
    }
    print_num(&mut out, c4, s.rx_missed_errors, o);
    print_num(&mut out, c5, s.multicast, o);
    if s.rx_compressed != 0 {
        print_num(&mut out, c6, s.rx_compressed, o);
    }
    if more {
        let nh = if s.rx_nohandler != 0 { format!("{:>w$}", " nohandler", w = c6 + 1) } else { String::new() };
        let oh = if s.rx_otherhost_dropped != 0 { format!("{:>w$}", " otherhost", w = c7 + 1) } else { String::new() };
        let _ = write!(
            out,
            "\n    RX errors:{:>w0$} {:>c1$} {:>c2$} {:>c3$} {:>c4$} {:>c5$}{nh}{oh}\n{:w5$}",
            "",
            "length",
            "crc",
            "frame",
            "fifo",
            "overrun",
            "",
            w0 = c0 - 10,
            w5 = c0 + 5,
        );
        for (w, v) in [
            (c1, s.rx_length_errors),
            (c2, s.rx_crc_errors),
            (c3, s.rx_frame_errors),
            (c4, s.rx_fifo_errors),
            (c5, s.rx_over_errors),
        ] {
            print_num(&mut out, w, v, o);
        }
        if s.rx_nohandler != 0 {
            print_num(&mut out, c6, s.rx_nohandler, o);
        }
        if s.rx_otherhost_dropped != 0 {
            print_num(&mut out, c7, s.rx_otherhost_dropped, o);
        }
    }
    out.push('\n');
    row(&mut out, "TX", "carrier", "collsns", s.tx_compressed);
    out.push_str("    ");
    for (w, v) in [(c0, s.tx_bytes), (c1, s.tx_packets), (c2, s.tx_errors), (c3, s.tx_dropped)] {
        print_num(&mut out, w, v, o);
    }
    print_num(&mut out, c4, s.tx_carrier_errors, o);
    print_num(&mut out, c5, s.collisions, o);
    if s.tx_compressed != 0 {
        print_num(&mut out, c6, s.tx_compressed, o);
    }
    if more {
        let tr = if carrier_changes.is_some() { format!(" {:>c5$}", "transns") } else { String::new() };
        let _ = write!(
            out,
            "\n    TX errors:{:>w0$} {:>c1$} {:>c2$} {:>c3$} {:>c4$}{tr}\n{:w5$}",
            "",
            "aborted",
            "fifo",
            "window",
            "heartbt",
            "",
            w0 = c0 - 10,
            w5 = c0 + 5,
        );
        for (w, v) in
            [(c1, s.tx_aborted_errors), (c2, s.tx_fifo_errors), (c3, s.tx_window_errors), (c4, s.tx_heartbeat_errors)]
        {
            print_num(&mut out, w, v, o);
        }
        if carrier_changes.is_some() {
            print_num(&mut out, c5, cc, o);
        }
    }
    out
}

/// `print_stats64`'s JSON: `"stats64": {"rx": {...}, "tx": {...}}`.
fn stats_json(j: &mut Json, s: &LinkStats64, carrier_changes: Option<u32>, level: u8) {
    j.name("stats64");
    j.begin_object();
    j.name("rx");
    j.begin_object();
    let mut rx = vec![
        ("bytes", s.rx_bytes),
        ("packets", s.rx_packets),
        ("errors", s.rx_errors),
        ("dropped", s.rx_dropped),
        ("over_errors", s.rx_over_errors),
        ("multicast", s.multicast),
    ];
    if s.rx_compressed != 0 {
        rx.push(("compressed", s.rx_compressed));
    }
    if level > 1 {
        rx.extend([
            ("length_errors", s.rx_length_errors),
            ("crc_errors", s.rx_crc_errors),
            ("frame_errors", s.rx_frame_errors),
            ("fifo_errors", s.rx_fifo_errors),
            ("missed_errors", s.rx_missed_errors),
        ]);
        if s.rx_nohandler != 0 {
            rx.push(("nohandler", s.rx_nohandler));
        }
        if s.rx_otherhost_dropped != 0 {
            rx.push(("otherhost", s.rx_otherhost_dropped));
        }
    }
    for (k, v) in rx {
        j.name(k);
        j.uint(v);
    }
    j.end_object();
    j.name("tx");
    j.begin_object();
    let mut tx = vec![
        ("bytes", s.tx_bytes),
        ("packets", s.tx_packets),
        ("errors", s.tx_errors),
        ("dropped", s.tx_dropped),
        ("carrier_errors", s.tx_carrier_errors),
        ("collisions", s.collisions),
    ];
    if s.tx_compressed != 0 {
        tx.push(("compressed", s.tx_compressed));
    }
    if level > 1 {
        tx.extend([
            ("aborted_errors", s.tx_aborted_errors),
            ("fifo_errors", s.tx_fifo_errors),
            ("window_errors", s.tx_window_errors),
            ("heartbeat_errors", s.tx_heartbeat_errors),
        ]);
        if let Some(cc) = carrier_changes {
            tx.push(("carrier_changes", u64::from(cc)));
        }
    }
    for (k, v) in tx {
        j.name(k);
        j.uint(v);
    }
    j.end_object();
    j.end_object();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stats_columns_widen_with_the_values() {
        let o = IpOpts { stats: 1, ..IpOpts::default() };
        let s = LinkStats64 { rx_bytes: 12_345_678_901, tx_packets: 5, ..LinkStats64::default() };
        let t = stats_text(&s, Some(1), &o);
        assert_eq!(
            t,
            "    RX:   bytes packets errors dropped  missed   mcast           \n    \
             12345678901       0      0       0       0       0 \n    \
             TX:   bytes packets errors dropped carrier collsns           \n              \
             0       5      0       0       0       0 "
        );
        let o = IpOpts { stats: 2, ..IpOpts::default() };
        let s = LinkStats64 { rx_nohandler: 3, ..LinkStats64::default() };
        let t = stats_text(&s, Some(2), &o);
        assert!(t.contains("    RX errors:  length    crc   frame    fifo overrun  nohandler\n"), "{t}");
        assert!(t.contains("                     0      0       0       0       0          3 \n"), "{t}");
        assert!(t.ends_with("    TX errors: aborted   fifo  window heartbt transns\n                     0      0       0       0       2 "), "{t}");
    }

    #[test]
    fn human_readable_counters() {
        let o = IpOpts { human: true, ..IpOpts::default() };
        let mut s = String::new();
        print_num(&mut s, 10, 999, &o);
        print_num(&mut s, 10, 1_500, &o);
        print_num(&mut s, 7, 12_345_678, &o);
        assert_eq!(s, "       999      1.50k   12.3M ");
        let o = IpOpts { human: true, iec: true, ..IpOpts::default() };
        let mut s = String::new();
        print_num(&mut s, 8, 2048, &o);
        assert_eq!(s, "  2.00ki ");
    }

    /// The golden `errors` transcript up to `ip -n vg-a addr`: replay its `ip link`/`ip netns`
    /// commands, then `header(.., false)` of every device must be the link lines of that block
    /// (random MACs masked; the `inet` lines are `ip addr`'s own).
    #[test]
    fn header_matches_golden_ip_addr_link_lines() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../reference/linux-golden/errors/transcript.txt");
        let text = std::fs::read_to_string(path).unwrap();
        let (before, after) = text.split_once("$ ip -n vg-a addr\n--- stdout\n").unwrap();
        let want: String = after
            .split("--- rc=")
            .next()
            .unwrap()
            .lines()
            .filter(|l| !l.starts_with("    inet") && !l.starts_with("       valid_lft"))
            .map(|l| format!("{}\n", mask(l)))
            .collect();
        // The recording's kernel had no 8021q module.
        let mut s = crate::Session::without_kinds(crate::DEFAULT_SEED, &["vlan", "bridge-vlan-filtering"]).unwrap();
        for cmd in before.lines().filter_map(|l| l.strip_prefix("$ ")) {
            if cmd.contains(" link ") || cmd.starts_with("ip netns ") {
                s.exec(cmd);
            }
        }
        let ns = s.world().rtnl().netns_by_name("vg-a").unwrap();
        let devs = s.world().rtnl().devices(ns);
        let mut ctx = Ctx::new(&mut s, ns);
        let got: String = devs
            .iter()
            .map(|d| header(&mut ctx, d, false))
            .flat_map(|h| h.lines().map(|l| format!("{}\n", mask(l))).collect::<Vec<_>>())
            .collect();
        assert_eq!(got, want);
        assert!(got.contains("5: veth0@veth9: <NO-CARRIER,BROADCAST,MULTICAST,UP,M-DOWN> mtu 1500 qdisc noqueue state LOWERLAYERDOWN group default qlen 1000\n"));
    }

    fn mask(l: &str) -> String {
        match l.strip_prefix("    link/ether ") {
            Some(rest) if rest.len() >= 17 => format!("    link/ether XX{}", &rest[17..]),
            _ => l.to_string(),
        }
    }
}
