//! The README's main job until the `vnet` command exists: the recorded golden scenario
//! `reference/linux-golden/veth-ping` replayed on the simulator — two namespaces joined by a
//! veth, addresses, `ping -c 3 -i 0.2`, a ping to an absent address — with `ping`, `ip neigh`
//! and `ip -s link` printed the way iputils and iproute2 print them.
//!
//! ```text
//! cargo run --release -p netdev-veth --example demo
//! ```

use std::fmt::Write as _;
use std::net::IpAddr;

use netdev_core::{IfFlags, MacAddr, NetDevice, NetnsId, NewLink, Result, Rtnl, World, WorldConfig};
use netdev_veth::{PeerNetns, PeerSpec, Veth, VethConfig};
use stack_adapter::{AddrOpts, PingOpts, Stack};

/// iproute2's flag list (`print_link_flags`): NO-CARRIER first, then the table order.
fn flag_list(dev: &NetDevice) -> String {
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
    let mut out: Vec<&str> = Vec::new();
    if f.contains(IfFlags::UP) && !f.contains(IfFlags::RUNNING) {
        out.push("NO-CARRIER");
    }
    out.extend(ORDER.iter().filter(|(b, _)| f.contains(*b)).map(|(_, n)| *n));
    out.join(",")
}

fn ip_s_link(rtnl: &Rtnl<'_>, ns: NetnsId) -> String {
    let mut s = String::new();
    for dev in rtnl.devices(ns) {
        let mut name = dev.name().to_string();
        let iflink = dev.iflink();
        let peer_here = dev.link_netns() == ns;
        // iproute2 prints @peer when IFLA_LINK is present: the link differs from the device or
        // lives in another namespace (rtnl_fill_link_netnsid forces it then).
        if (iflink != dev.ifindex() || !peer_here) && iflink != 0 {
            match rtnl.dev_by_index(ns, iflink).filter(|_| peer_here) {
                Some(p) => name = format!("{name}@{}", p.name()),
                None => name = format!("{name}@if{iflink}"),
            }
        }
        let qdisc = dev.qdisc().name();
        let _ = writeln!(
            s,
            "{}: {name}: <{}> mtu {} qdisc {qdisc} state {} mode DEFAULT group default qlen {}",
            dev.ifindex(),
            flag_list(&dev),
            dev.mtu(),
            dev.operstate().name(),
            dev.tx_queue_len()
        );
        let link = if dev.flags().contains(IfFlags::LOOPBACK) { "loopback" } else { "ether" };
        let mut l = format!("    link/{link} {} brd {}", dev.address(), dev.broadcast());
        if !peer_here && let Some(n) = rtnl.netns_name(dev.link_netns()) {
            let _ = write!(l, " link-netns {n}");
        }
        let _ = writeln!(s, "{l}");
        let st = dev.stats64();
        let _ = writeln!(s, "    RX:  bytes packets errors dropped  missed   mcast           ");
        let _ = writeln!(
            s,
            "    {:>10} {:>7} {:>6} {:>7} {:>7} {:>7} ",
            st.rx_bytes, st.rx_packets, st.rx_errors, st.rx_dropped, st.rx_missed_errors, st.multicast
        );
        let _ = writeln!(s, "    TX:  bytes packets errors dropped carrier collsns           ");
        let _ = writeln!(
            s,
            "    {:>10} {:>7} {:>6} {:>7} {:>7} {:>7} ",
            st.tx_bytes, st.tx_packets, st.tx_errors, st.tx_dropped, st.tx_carrier_errors, st.collisions
        );
    }
    s
}

fn ip_neigh(rtnl: &Rtnl<'_>, stack: &Stack, ns: NetnsId) -> String {
    let mut s = String::new();
    for n in stack.neighbours().iter().filter(|n| !n.proxy) {
        let dev = rtnl.dev_by_index(ns, n.ifindex).map(|d| d.name().to_string()).unwrap_or_default();
        let _ = write!(s, "{} dev {dev} ", n.addr);
        if let Some(ll) = n.lladdr {
            let _ = write!(s, "lladdr {ll} ");
        }
        let _ = writeln!(s, "{} ", n.state);
    }
    s
}

fn main() -> Result<()> {
    const SEC: u64 = 1_000_000_000;
    let world = World::new(WorldConfig { seed: 42, cpus: 1, ..WorldConfig::default() });
    netdev_veth::register(&world)?;
    let stacks = stack_adapter::install(&world)?;
    let nodev = || netdev_core::Error::new(netdev_core::Errno::Enodev);
    let (a, b, va, vb) = {
        let mut rtnl = world.rtnl();
        let a = rtnl.netns_add("vg-a")?;
        let b = rtnl.netns_add("vg-b")?;
        for ns in [a, b] {
            for k in ["all", "default"] {
                let st = stacks.get(ns).ok_or_else(nodev)?;
                st.sysctl_set(&mut rtnl, &format!("net.ipv6.conf.{k}.disable_ipv6"), "1")
                    .map_err(netdev_core::Error::new)?;
            }
        }
        // ip link add veth0 netns vg-a address 02:00:00:00:00:0a type veth
        //     peer name veth1 netns vg-b address 02:00:00:00:00:0b
        let cfg = VethConfig {
            peer: PeerSpec {
                name: Some("veth1".into()),
                netns: Some(PeerNetns::Id(b)),
                address: Some(MacAddr([2, 0, 0, 0, 0, 0x0b])),
                ..PeerSpec::default()
            },
        };
        let req = NewLink {
            name: Some("veth0".into()),
            address: Some(MacAddr([2, 0, 0, 0, 0, 0x0a])),
            ..NewLink::in_netns(a)
        };
        let va = rtnl.newlink("veth", &req, &(Box::new(cfg) as _))?;
        let vb = Veth::peer_of(&va).ok_or_else(nodev)?;
        let sa = stacks.get(a).ok_or_else(nodev)?;
        let sb = stacks.get(b).ok_or_else(nodev)?;
        sa.addr_add(&mut rtnl, va.ifindex(), "10.0.0.1".parse().map_err(|_| nodev())?, 24, &AddrOpts::default())?;
        sb.addr_add(&mut rtnl, vb.ifindex(), "10.0.0.2".parse().map_err(|_| nodev())?, 24, &AddrOpts::default())?;
        rtnl.set_up(&va, true)?;
        rtnl.set_up(&vb, true)?;
        (a, b, va, vb)
    };
    let sa = stacks.get(a).ok_or_else(nodev)?;
    let sb = stacks.get(b).ok_or_else(nodev)?;
    let mut cpu = world.cpu(0).ok_or_else(nodev)?;
    let show = |cmd: &str, out: &str| {
        println!("$ {cmd}");
        print!("{out}");
    };
    let ping = |cpu: &mut netdev_core::Cpu, cmd: &str, o: &PingOpts| {
        println!("$ {cmd}");
        match sa.ping(cpu, o) {
            Ok(r) => {
                let (out, err) = r.iputils_output();
                print!("{out}{err}");
            }
            Err(e) => println!("ping: connect: {e}"),
        }
    };
    let dst: IpAddr = "10.0.0.2".parse().map_err(|_| nodev())?;
    let mut o = PingOpts::new(dst, 3);
    o.interval_ns = SEC / 5;
    o.timeout_ns = Some(SEC);
    ping(&mut cpu, "ip netns exec vg-a ping -c 3 -i 0.2 -W 1 10.0.0.2", &o);
    {
        let rtnl = world.rtnl();
        show("ip -n vg-a -s link show veth0", &ip_s_link(&rtnl, a).split_inclusive('\n').skip(6).collect::<String>());
        show("ip -n vg-b -s link show veth1", &ip_s_link(&rtnl, b).split_inclusive('\n').skip(6).collect::<String>());
        show("ip -n vg-a neigh show", &ip_neigh(&rtnl, &sa, a));
        show("ip -n vg-b neigh show", &ip_neigh(&rtnl, &sb, b));
    }
    let mut o = PingOpts::new("10.0.0.9".parse().map_err(|_| nodev())?, 2);
    o.timeout_ns = Some(SEC);
    ping(&mut cpu, "ip netns exec vg-a ping -c 2 -W 1 10.0.0.9", &o);
    println!("# sleep 5 (let ARP resolution for 10.0.0.9 finish)");
    cpu.advance(5 * SEC);
    let rtnl = world.rtnl();
    show("ip -n vg-a -s link", &ip_s_link(&rtnl, a));
    show("ip -n vg-b -s link", &ip_s_link(&rtnl, b));
    show("ip -n vg-a neigh show", &ip_neigh(&rtnl, &sa, a));
    let _ = (&va, &vb, IfFlags::UP);
    println!(
        "\n# {} packets consumed, {} dropped {:?}, in {} ms of virtual time",
        world.total_consumed(),
        world.total_drops(),
        world.drop_counts(),
        world.now() / 1_000_000
    );
    Ok(())
}
