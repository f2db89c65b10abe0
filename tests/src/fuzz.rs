//! The fuzz targets' bodies (`fuzz/fuzz_targets/*` call these in a line or two), also run with
//! seeded random inputs by `tests/tests/fuzz_smoke.rs` so CI exercises them without a fuzzer.
//! Each one panics only when an invariant breaks: a lost or doubly counted packet, a device
//! left behind, a core panic.

use std::sync::Arc;

use arbitrary::Arbitrary;
use netdev_core::{Carrier, MacAddr, NetDevice, NetnsId, WorldConfig, netlink::LinkMsg};

use crate::{Sink, drive, veth_pair, world_with};

/// Bytes into the receive path: `data` is a sequence of `[len][frame bytes]` records sent from
/// one end of a veth pair (both up, peer in another namespace) to the other, whose stack takes
/// only IPv4; the first byte picks the receiver's MTU. Checks that every frame is delivered or
/// dropped exactly once.
pub fn veth_rx(data: &[u8]) {
    let Some((&mtu_sel, mut rest)) = data.split_first() else { return };
    let w = world_with(WorldConfig { seed: 7, cpus: 1, max_backlog: 64, ..WorldConfig::default() });
    let ns1 = w.rtnl().netns_add("ns1").expect("fresh name");
    let (a, b) = veth_pair(&w, NetnsId::INIT, "a", ns1, "b").expect("fresh names");
    {
        let mut rtnl = w.rtnl();
        rtnl.set_up(&a, true).expect("veth up");
        rtnl.set_up(&b, true).expect("veth up");
        rtnl.set_mtu(&b, [68, 576, 1500, 9000][usize::from(mtu_sel % 4)]).expect("valid MTU");
        rtnl.set_mtu(&a, 65535).expect("valid MTU");
    }
    let sink = Sink::counting().accepting(0x0800).install(&w, ns1);
    let mut cpu = w.cpu(0).expect("one free CPU");
    let mut sent = 0u64;
    while let Some((&len, tail)) = rest.split_first() {
        let n = usize::from(len).min(tail.len());
        let skb = cpu.alloc_frame(&tail[..n]);
        cpu.dev_queue_xmit(&a, skb);
        sent += 1;
        rest = &tail[n..];
        if sent.is_multiple_of(32) {
            drive(&mut cpu, 100);
        }
    }
    drive(&mut cpu, 100);
    assert_eq!(sink.delivered() + w.total_drops(), sent, "{:?}", w.drop_counts());
}

/// Bytes into the rtnetlink parser: never panics, and whatever it accepts re-parses the same.
pub fn netlink_parse(data: &[u8]) {
    if let Some(m) = LinkMsg::parse(data) {
        assert!(m.msg_type == netdev_core::netlink::RTM_NEWLINK || m.msg_type == netdev_core::netlink::RTM_DELLINK);
        assert_eq!(LinkMsg::parse(data), Some(m));
    }
}

/// One control-plane or data-path operation; device and namespace numbers pick among what
/// exists (modulo), so most operations hit something.
#[derive(Arbitrary, Debug, Clone)]
#[allow(missing_docs)]
pub enum Op {
    AddNetns,
    DelNetns(u8),
    AddPair { ns_a: u8, ns_b: u8 },
    AddDummy { ns: u8 },
    Del(u8),
    Up(u8, bool),
    Mtu(u8, u32),
    Move { dev: u8, ns: u8, rename: bool },
    Rename(u8, u8),
    Address(u8, [u8; 6]),
    Carrier(u8, bool),
    Promisc(u8, bool),
    Xmit { dev: u8, to_peer: bool, len: u16, ethertype: u16 },
    Poll(u8),
    Advance(u16),
}

/// Random operations against a World; every one either works or returns an error (never a
/// panic), packets are conserved throughout, and deleting everything leaves only the initial
/// namespace with its loopback device.
pub fn control_plane(ops: &[Op]) {
    let w = world_with(WorldConfig { seed: 11, cpus: 1, max_backlog: 128, ..WorldConfig::default() });
    let sink = Sink::counting().install(&w, NetnsId::INIT);
    let mut sinks = vec![sink];
    let mut cpu = w.cpu(0).expect("one free CPU");
    let mut sent = 0u64;
    let mut next_ns = 0u32;
    for op in ops.iter().take(200) {
        let nss: Vec<NetnsId> = w.rtnl().netns_list().into_iter().map(|(id, _)| id).collect();
        let ns = |i: u8| nss[usize::from(i) % nss.len()];
        let devs: Vec<Arc<NetDevice>> = nss.iter().flat_map(|&n| w.rtnl().devices(n)).collect();
        let dev = |i: u8| devs[usize::from(i) % devs.len()].clone();
        let mut rtnl = w.rtnl();
        match op.clone() {
            Op::AddNetns => {
                next_ns += 1;
                if let Ok(id) = rtnl.netns_add(&format!("ns{next_ns}")) {
                    drop(rtnl);
                    sinks.push(Sink::counting().install(&w, id));
                }
            }
            Op::DelNetns(i) => {
                let _ = rtnl.netns_del(ns(i));
            }
            Op::AddPair { ns_a, ns_b } => {
                drop(rtnl);
                let _ = veth_pair(&w, ns(ns_a), "va%d", ns(ns_b), "vb%d");
            }
            Op::AddDummy { ns: n } => {
                let req = netdev_core::NewLink { name: Some("d%d".into()), ..netdev_core::NewLink::in_netns(ns(n)) };
                let _ = rtnl.link_add("dummy", &req, &[]);
            }
            Op::Del(i) => {
                let _ = rtnl.dellink(&dev(i));
            }
            Op::Up(i, on) => {
                let _ = rtnl.set_up(&dev(i), on);
            }
            Op::Mtu(i, m) => {
                let _ = rtnl.set_mtu(&dev(i), m);
            }
            Op::Move { dev: d, ns: n, rename } => {
                let _ = rtnl.change_netns(&dev(d), ns(n), rename.then_some("m%d"), None);
            }
            Op::Rename(i, n) => {
                let _ = rtnl.rename(&dev(i), &format!("r{n}"));
            }
            Op::Address(i, a) => {
                let _ = rtnl.set_address(&dev(i), MacAddr(a));
            }
            Op::Carrier(i, on) => {
                let _ = rtnl.change_carrier(&dev(i), if on { Carrier::On } else { Carrier::Off });
            }
            Op::Promisc(i, on) => {
                let _ = rtnl.set_promisc(&dev(i), on);
            }
            Op::Xmit { dev: d, to_peer, len, ethertype } => {
                drop(rtnl);
                let d = dev(d);
                let dst = if to_peer {
                    netdev_veth::Veth::peer_of(&d).map_or(MacAddr::BROADCAST, |p| p.address())
                } else {
                    MacAddr::BROADCAST
                };
                let mut f = vec![0u8; usize::from(len % 2048)];
                for (i, b) in dst.octets().iter().chain(&d.address().octets()).enumerate() {
                    if let Some(x) = f.get_mut(i) {
                        *x = *b;
                    }
                }
                if let Some(t) = f.get_mut(12..14) {
                    t.copy_from_slice(&ethertype.to_be_bytes());
                }
                let skb = cpu.alloc_frame(&f);
                cpu.dev_queue_xmit(&d, skb);
                sent += 1;
            }
            Op::Poll(n) => {
                drop(rtnl);
                cpu.poll(usize::from(n));
            }
            Op::Advance(ms) => {
                drop(rtnl);
                cpu.advance(u64::from(ms) * 1_000_000);
            }
        }
        // A packet ends consumed (a sink takes it, or a dummy transmit frees it) or dropped with a
        // reason, or still waits in the backlog; the sinks consume everything they are handed.
        let delivered: u64 = sinks.iter().map(|s| s.delivered()).sum();
        let queued = cpu.backlog_len() as u64;
        assert_eq!(w.total_consumed() + w.total_drops() + queued, sent, "conservation after {op:?}");
        assert_eq!(delivered, w.total_delivered());
        assert!(delivered <= w.total_consumed());
    }
    drive(&mut cpu, 1000);
    assert_eq!(w.total_consumed() + w.total_drops(), sent, "{:?}", w.drop_counts());
    let mut rtnl = w.rtnl();
    for (id, _) in rtnl.netns_list() {
        if id != NetnsId::INIT {
            rtnl.netns_del(id).expect("namespace exists");
        }
    }
    for d in rtnl.devices(NetnsId::INIT) {
        if d.link_kind().is_some() {
            let _ = rtnl.dellink(&d);
        }
    }
    // Only the loopback device remains (it may have been renamed: Linux allows that).
    let left: Vec<_> = rtnl.devices(NetnsId::INIT).iter().map(|d| (d.kind(), d.ifindex())).collect();
    assert_eq!(left, [("loopback", 1)]);
    assert_eq!(rtnl.netns_list().len(), 1);
}

/// Bytes into a namespace's IP stack: `data` is a sequence of `[kind][len][bytes]` records, each
/// made into a frame sent from a veth end to a stack-equipped namespace (10.0.0.2/24, IPv6 on,
/// lo up, a TCP listener and a UDP socket open). `kind` picks the ethertype (ARP, IPv4, IPv6),
/// the destination MAC (ours or broadcast), whether the IPv4 header gets a valid length and
/// checksum (to get past `ip_rcv`), and how far virtual time moves afterwards. The stack must
/// never panic or hang, and must keep answering its own address.
pub fn stack_rx(data: &[u8]) {
    use std::net::{IpAddr, Ipv4Addr, SocketAddr};

    use stack_adapter::{AddrOpts, PingOpts};

    let w = world_with(WorldConfig { seed: 5, cpus: 1, max_backlog: 256, ..WorldConfig::default() });
    let stacks = stack_adapter::install(&w).expect("first install");
    let (ns_a, ns_b) = {
        let mut r = w.rtnl();
        (r.netns_add("a").expect("fresh"), r.netns_add("b").expect("fresh"))
    };
    let (a, b) = veth_pair(&w, ns_a, "va", ns_b, "vb").expect("fresh names");
    let ip_a = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1));
    let ip_b = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2));
    {
        let mut r = w.rtnl();
        let lo = r.dev_by_name(ns_b, "lo").expect("every namespace has lo");
        r.set_up(&lo, true).expect("lo up");
        stacks.of(ns_a).addr_add(&mut r, a.ifindex(), ip_a, 24, &AddrOpts::default()).expect("fresh address");
        stacks.of(ns_b).addr_add(&mut r, b.ifindex(), ip_b, 24, &AddrOpts::default()).expect("fresh address");
        r.set_up(&a, true).expect("veth up");
        r.set_up(&b, true).expect("veth up");
    }
    let sb = stacks.of(ns_b);
    let _l = sb.tcp_listen(SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), 80)).expect("free port");
    let _u = sb.udp_bind(SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), 53)).expect("free port");
    let mut cpu = w.cpu(0).expect("one free CPU");
    let (src, dst) = (a.address(), b.address());
    let mut rest = data;
    let mut n = 0;
    while let [kind, len, tail @ ..] = rest {
        let len = usize::from(*len).min(tail.len());
        let (body, next) = tail.split_at(len);
        rest = next;
        let ethertype: u16 = [0x0806, 0x0800, 0x86dd][usize::from(kind % 3)];
        let to = if kind & 4 != 0 { MacAddr::BROADCAST } else { dst };
        let mut f = Vec::with_capacity(14 + body.len());
        f.extend_from_slice(&to.0);
        f.extend_from_slice(&src.0);
        f.extend_from_slice(&ethertype.to_be_bytes());
        f.extend_from_slice(body);
        if kind & 8 != 0 && ethertype == 0x0800 && f.len() >= 34 {
            // A plausible IPv4 header: version/ihl 0x45, the real length, our address, a checksum.
            f[14] = 0x45;
            let tot = (f.len() - 14) as u16;
            f[16..18].copy_from_slice(&tot.to_be_bytes());
            if kind & 16 != 0 {
                f[30..34].copy_from_slice(&[10, 0, 0, 2]);
            }
            f[24] = 0;
            f[25] = 0;
            let mut sum = 0u32;
            for c in f[14..34].chunks(2) {
                sum += u32::from(u16::from_be_bytes([c[0], c[1]]));
            }
            while sum >> 16 != 0 {
                sum = (sum & 0xffff) + (sum >> 16);
            }
            f[24..26].copy_from_slice(&(!(sum as u16)).to_be_bytes());
        }
        let skb = cpu.alloc_frame(&f);
        cpu.dev_queue_xmit(&a, skb);
        cpu.run_until_idle(10_000);
        n += 1;
        if kind >> 5 != 0 {
            cpu.advance(u64::from(kind >> 5) * 250_000_000);
        }
        if n >= 256 {
            break;
        }
    }
    cpu.advance(40_000_000_000);
    // The stack still answers for its own address locally.
    let r = sb.ping(&mut cpu, &PingOpts::new(ip_b, 1)).expect("route to own address");
    assert_eq!(r.received, 1, "{r:?}");
}

/// A control-plane or traffic operation against Worlds with the IP stack installed.
#[derive(Arbitrary, Debug, Clone)]
#[allow(missing_docs)]
pub enum StackOp {
    Link(Op),
    Addr { dev: u8, host: u8, plen: u8, v6: bool, del: bool },
    Route { dev: u8, net: u8, via: Option<u8>, del: bool },
    Sysctl { which: u8, dev: u8, value: i8 },
    Neigh { dev: u8, host: u8, proxy: bool, del: bool },
    Ping { dev: u8, host: u8, size: u16, count: u8 },
}

const SYSCTLS: [&str; 12] = [
    "net.ipv4.ip_forward",
    "net.ipv4.conf.all.arp_ignore",
    "net.ipv4.conf.{}.arp_announce",
    "net.ipv4.conf.{}.arp_filter",
    "net.ipv4.conf.all.rp_filter",
    "net.ipv4.conf.{}.proxy_arp",
    "net.ipv4.conf.{}.arp_accept",
    "net.ipv6.conf.all.disable_ipv6",
    "net.ipv6.conf.{}.disable_ipv6",
    "net.ipv6.conf.all.forwarding",
    "net.ipv4.neigh.{}.retrans_time_ms",
    "net.ipv4.conf.{}.arp_notify",
];

/// Random configuration, traffic and time against namespaces with stacks: every call either
/// works or returns an error, nothing panics or hangs, and deleting every namespace leaves the
/// initial one with only `lo`.
pub fn stack_control(ops: &[StackOp]) {
    use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

    use stack_adapter::{AddrOpts, Nud, PingOpts, RouteSpec};

    let w = world_with(WorldConfig { seed: 13, cpus: 1, max_backlog: 128, ..WorldConfig::default() });
    let stacks = stack_adapter::install(&w).expect("first install");
    let mut cpu = w.cpu(0).expect("one free CPU");
    let mut next_ns = 0u32;
    for op in ops.iter().take(120) {
        let nss: Vec<NetnsId> = w.rtnl().netns_list().into_iter().map(|(id, _)| id).collect();
        let devs: Vec<Arc<NetDevice>> = nss.iter().flat_map(|&n| w.rtnl().devices(n)).collect();
        let dev = |i: u8| devs[usize::from(i) % devs.len()].clone();
        let v4 = |net: u8, host: u8| IpAddr::V4(Ipv4Addr::new(10, net % 4, 0, host));
        match op.clone() {
            StackOp::Link(Op::AddNetns) => {
                next_ns += 1;
                let _ = w.rtnl().netns_add(&format!("s{next_ns}"));
            }
            StackOp::Link(Op::DelNetns(i)) => {
                let n = nss[usize::from(i) % nss.len()];
                let _ = w.rtnl().netns_del(n);
            }
            StackOp::Link(Op::AddPair { ns_a, ns_b }) => {
                let (a, b) = (nss[usize::from(ns_a) % nss.len()], nss[usize::from(ns_b) % nss.len()]);
                let _ = veth_pair(&w, a, "va%d", b, "vb%d");
            }
            StackOp::Link(Op::Up(i, on)) => {
                let _ = w.rtnl().set_up(&dev(i), on);
            }
            StackOp::Link(Op::Mtu(i, m)) => {
                let _ = w.rtnl().set_mtu(&dev(i), 1200 + m % 9000);
            }
            StackOp::Link(Op::Move { dev: d, ns: n, rename }) => {
                let n = nss[usize::from(n) % nss.len()];
                let _ = w.rtnl().change_netns(&dev(d), n, rename.then_some("m%d"), None);
            }
            StackOp::Link(Op::Del(i)) => {
                let _ = w.rtnl().dellink(&dev(i));
            }
            StackOp::Link(Op::Advance(ms)) => cpu.advance(u64::from(ms) * 1_000_000),
            StackOp::Link(_) => {}
            StackOp::Addr { dev: d, host, plen, v6, del } => {
                let d = dev(d);
                let Some(s) = stacks.get(d.netns()) else { continue };
                let a =
                    if v6 { IpAddr::V6(Ipv6Addr::new(0xfd00, 0, 0, 0, 0, 0, 0, u16::from(host))) } else { v4(0, host) };
                let mut r = w.rtnl();
                let _ = if del {
                    s.addr_del(&mut r, d.ifindex(), a, Some(plen % 130))
                } else {
                    s.addr_add(&mut r, d.ifindex(), a, plen % 130, &AddrOpts::default())
                };
            }
            StackOp::Route { dev: d, net, via, del } => {
                let d = dev(d);
                let Some(s) = stacks.get(d.netns()) else { continue };
                let mut rs = RouteSpec::new(v4(net, 0), 24);
                rs.ifindex = Some(d.ifindex());
                rs.gateway = via.map(|h| v4(0, h));
                let mut r = w.rtnl();
                let _ = if del { s.route_del(&mut r, &rs) } else { s.route_add(&mut r, &rs) };
            }
            StackOp::Sysctl { which, dev: d, value } => {
                let d = dev(d);
                let Some(s) = stacks.get(d.netns()) else { continue };
                let name = SYSCTLS[usize::from(which) % SYSCTLS.len()].replace("{}", &d.name());
                let _ = s.sysctl_set(&mut w.rtnl(), &name, &value.to_string());
            }
            StackOp::Neigh { dev: d, host, proxy, del } => {
                let d = dev(d);
                let Some(s) = stacks.get(d.netns()) else { continue };
                let mut r = w.rtnl();
                let a = v4(0, host);
                let _ = match (proxy, del) {
                    (true, false) => s.neigh_proxy_add(&mut r, d.ifindex(), a),
                    (true, true) => s.neigh_proxy_del(&mut r, d.ifindex(), a),
                    (false, false) => {
                        s.neigh_add(&mut r, d.ifindex(), a, Some(MacAddr([2, 0, 0, 0, 1, host])), Nud::Permanent, true)
                    }
                    (false, true) => s.neigh_del(&mut r, d.ifindex(), a),
                };
            }
            StackOp::Ping { dev: d, host, size, count } => {
                let d = dev(d);
                let Some(s) = stacks.get(d.netns()) else { continue };
                let mut o = PingOpts::new(v4(0, host), u32::from(count % 4) + 1);
                o.size = usize::from(size % 4000);
                o.timeout_ns = Some(1_000_000_000);
                let _ = s.ping(&mut cpu, &o);
            }
        }
        cpu.run_until_idle(100_000);
    }
    cpu.advance(60_000_000_000);
    drop(cpu);
    let nss: Vec<NetnsId> = w.rtnl().netns_list().into_iter().map(|(id, _)| id).collect();
    for n in nss.into_iter().filter(|&n| n != NetnsId::INIT) {
        w.rtnl().netns_del(n).expect("existing namespace");
    }
    let devs = w.rtnl().devices(NetnsId::INIT);
    for d in devs {
        if d.link_kind().is_some() && d.reg_state() == netdev_core::RegState::Registered {
            w.rtnl().dellink(&d).expect("deletable device");
        }
    }
    let left: Vec<String> = w.rtnl().devices(NetnsId::INIT).iter().map(|d| d.name().to_string()).collect();
    assert_eq!(left, ["lo"]);
    assert!(stacks.get(NetnsId::INIT).is_some());
    assert_eq!(w.rtnl().netns_list().len(), 1);
}

/// The words [`cli_script`] builds command lines from: the grammar's keywords, names, numbers and
/// addresses that make sense together, and shell punctuation.
pub const CLI_VOCAB: &[&str] = &[
    "ip",
    "link",
    "add",
    "del",
    "set",
    "show",
    "dev",
    "veth0",
    "veth1",
    "type",
    "veth",
    "dummy",
    "peer",
    "name",
    "netns",
    "ns1",
    "ns2",
    "exec",
    "up",
    "down",
    "mtu",
    "1500",
    "68",
    "0",
    "address",
    "02:00:00:00:00:01",
    "addr",
    "10.0.0.1/24",
    "10.0.0.2",
    "route",
    "default",
    "via",
    "neigh",
    "lladdr",
    "proxy",
    "flush",
    "-n",
    "-s",
    "-d",
    "-j",
    "-br",
    "-4",
    "-6",
    "ping",
    "-c",
    "1",
    "2",
    "-i",
    "0.2",
    "-W",
    "-I",
    "tcpdump",
    "-w",
    "/dev/null",
    "&",
    "|",
    "grep",
    "head",
    "wc",
    "-l",
    "kill",
    "%1",
    "%%",
    "sysctl",
    "-w",
    "-a",
    "net.ipv4.ip_forward=1",
    "net.ipv6.conf.all.disable_ipv6",
    "cat",
    "/sys/class/net/veth0/carrier",
    "/proc/sys/net/ipv4/ip_forward",
    "echo",
    ">",
    "sleep",
    "advance",
    "ethtool",
    "-k",
    "-i",
    "-S",
    "arping",
    "monitor",
    "maddr",
    "get",
    "lo",
    "master",
    "nomaster",
    "'",
    "\"",
    "\\",
    "fe80::1",
    "::1",
    "ifconfig",
    "jobs",
    "wait",
    "#",
    "!",
];

/// Random command lines into a `vnet` session: `data` is split into lines at `\n`; in a line each
/// byte below `CLI_VOCAB.len()` is a vocabulary word and any other printable byte is a character
/// of a free-form word. Checks that no input panics and that packets stay conserved.
pub fn cli_script(data: &[u8]) {
    let Ok(mut s) = vnet_cli::Session::new(7) else { return };
    for raw in data.split(|&b| b == b'\n').take(64) {
        let mut line = String::new();
        let mut free = String::new();
        for &b in raw.iter().take(40) {
            match CLI_VOCAB.get(usize::from(b)) {
                Some(w) => {
                    if !free.is_empty() {
                        line.push_str(&std::mem::take(&mut free));
                        line.push(' ');
                    }
                    line.push_str(w);
                    line.push(' ');
                }
                None if b.is_ascii_graphic() => free.push(char::from(b)),
                None => {}
            }
        }
        line.push_str(&free);
        let out = s.exec(&line);
        assert!(out.rc >= 0, "{line:?}: negative exit status");
    }
    s.finish_jobs();
}
