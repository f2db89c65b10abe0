//! The README's main job until the `vnet` command exists: a veth pair across two namespaces,
//! frames sent both ways, and both ends printed the way `ip -s link` prints them.
//!
//! ```text
//! cargo run --release -p netdev-veth --example demo
//! ```

use std::fmt::Write as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use netdev_core::{Cpu, IfFlags, NetDevice, NetnsId, NewLink, ProtocolHandler, Result, Rtnl, Skb, World, WorldConfig};
use netdev_veth::{PeerNetns, PeerSpec, Veth, VethConfig};

/// Counts and consumes what reaches a namespace's stack.
#[derive(Default)]
struct Sink(AtomicU64);

impl ProtocolHandler for Sink {
    fn receive(&self, cpu: &mut Cpu, _: &Arc<NetDevice>, _: &Arc<NetDevice>, skb: Skb) -> Result<(), Skb> {
        self.0.fetch_add(1, Ordering::Relaxed);
        cpu.consume_skb(skb);
        Ok(())
    }
}

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

fn frame(dst: &NetDevice, src: &NetDevice, seq: u16) -> Vec<u8> {
    let mut f = vec![0u8; 98];
    f[..6].copy_from_slice(&dst.address().octets());
    f[6..12].copy_from_slice(&src.address().octets());
    f[12..14].copy_from_slice(&0x0800u16.to_be_bytes());
    f[14..16].copy_from_slice(&seq.to_be_bytes());
    f
}

fn main() -> Result<()> {
    let world = World::new(WorldConfig { seed: 42, cpus: 1, ..WorldConfig::default() });
    netdev_veth::register(&world)?;
    let (ns1, ns2, a, b) = {
        let mut rtnl = world.rtnl();
        let ns1 = rtnl.netns_add("ns1")?;
        let ns2 = rtnl.netns_add("ns2")?;
        // ip -n ns1 link add veth0 type veth peer name veth1 netns ns2
        let cfg = VethConfig {
            peer: PeerSpec { name: Some("veth1".into()), netns: Some(PeerNetns::Id(ns2)), ..PeerSpec::default() },
        };
        let req = NewLink { name: Some("veth0".into()), ..NewLink::in_netns(ns1) };
        let a = rtnl.newlink("veth", &req, &(Box::new(cfg) as _))?;
        let b = Veth::peer_of(&a).ok_or(netdev_core::Error::new(netdev_core::Errno::Enodev))?;
        println!("# before: ip -n ns1 -s link; ip -n ns2 -s link (both ends down)");
        print!("{}", ip_s_link(&rtnl, ns1));
        for (ns, dev) in [(ns1, &a), (ns2, &b)] {
            rtnl.set_up(dev, true)?;
            let sink: Arc<dyn ProtocolHandler> = Arc::new(Sink::default());
            rtnl.set_protocol_handler(ns, Some(sink))?;
        }
        (ns1, ns2, a, b)
    };
    let mut cpu = world.cpu(0).ok_or(netdev_core::Error::new(netdev_core::Errno::Enodev))?;
    // 10 frames ns1 -> ns2, 5 back, each 98 bytes (a 56-byte ping's frame size).
    for seq in 0..10 {
        let skb = cpu.alloc_frame(&frame(&b, &a, seq));
        cpu.dev_queue_xmit(&a, skb);
    }
    for seq in 0..5 {
        let skb = cpu.alloc_frame(&frame(&a, &b, seq));
        cpu.dev_queue_xmit(&b, skb);
    }
    cpu.run_until_idle(1000);
    // One frame that does not fit veth1's MTU: dropped, counted on both ends.
    world.rtnl().set_mtu(&a, 9000)?;
    let mut big = frame(&b, &a, 99);
    big.resize(3000, 0);
    let skb = cpu.alloc_frame(&big);
    cpu.dev_queue_xmit(&a, skb);
    cpu.run_until_idle(1000);

    let rtnl = world.rtnl();
    println!("\n# after 10 frames ns1->ns2, 5 back, one 3000-byte frame over veth1's MTU");
    println!("$ ip -n ns1 -s link");
    print!("{}", ip_s_link(&rtnl, ns1));
    println!("$ ip -n ns2 -s link");
    print!("{}", ip_s_link(&rtnl, ns2));
    println!("\ndelivered {} dropped {} {:?}", world.total_delivered(), world.total_drops(), world.drop_counts());
    Ok(())
}
