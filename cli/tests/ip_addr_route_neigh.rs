//! `ip addr`, `ip route`, `ip neigh`, `ip maddr`, `ip monitor` and `ifconfig` against the golden
//! transcripts of `reference/linux-golden` (veth-ping, veth-ipv6-up, errors), byte for byte.
//! Topologies are built through the library (namespaces, veth pairs, link up) since `ip link` and
//! `ip netns` are another module's; everything printed goes through `Session::exec`.

use std::net::IpAddr;
use std::sync::Arc;

use netdev_core::{KindConfig, MacAddr, NetDevice, NetnsId, NewLink};
use netdev_veth::{PeerNetns, PeerSpec, Veth, VethConfig};
use stack_adapter::PingOpts;
use vnet_cli::Session;

const MS: u64 = 1_000_000;
const SEC: u64 = 1_000_000_000;

/// The golden veth pair: veth0 (02:..:0a) in vg-a, veth1 (02:..:0b) in vg-b.
struct Pair {
    s: Session,
    a: NetnsId,
    b: NetnsId,
    va: Arc<NetDevice>,
    vb: Arc<NetDevice>,
}

fn pair(ipv6: bool) -> Pair {
    pair_with(ipv6, true)
}

/// The pair; with `cross` false both ends are in vg-a and the peer is `veth9` (the errors
/// scenario's same-namespace pair).
fn pair_with(ipv6: bool, cross: bool) -> Pair {
    let s = Session::new(1).expect("session");
    let (a, b, va, vb) = {
        let mut r = s.world().rtnl();
        let a = r.netns_add("vg-a").expect("fresh");
        let b = r.netns_add("vg-b").expect("fresh");
        if !ipv6 {
            for ns in [a, b] {
                for k in ["all", "default"] {
                    let name = format!("net.ipv6.conf.{k}.disable_ipv6");
                    s.stacks().of(ns).sysctl_set(&mut r, &name, "1").expect("sysctl");
                }
            }
        }
        let (peer_name, peer_ns) = if cross { ("veth1", b) } else { ("veth9", a) };
        let cfg = VethConfig {
            peer: PeerSpec { name: Some(peer_name.into()), netns: Some(PeerNetns::Id(peer_ns)), ..PeerSpec::default() },
        };
        let req = NewLink { name: Some("veth0".into()), ..NewLink::in_netns(a) };
        let va = r.newlink(netdev_veth::KIND, &req, &(Box::new(cfg) as KindConfig)).expect("veth");
        let vb = Veth::peer_of(&va).expect("peer");
        r.set_address(&va, MacAddr([2, 0, 0, 0, 0, 0x0a])).expect("mac");
        r.set_address(&vb, MacAddr([2, 0, 0, 0, 0, 0x0b])).expect("mac");
        (a, b, va, vb)
    };
    Pair { s, a, b, va, vb }
}

impl Pair {
    fn up(&mut self, which: &str) {
        let d = if which == "a" { self.va.clone() } else { self.vb.clone() };
        self.s.world().rtnl().set_up(&d, true).expect("up");
    }

    fn ping(&mut self, from_a: bool, dst: &str, count: u32, interval_ms: u64) {
        let ns = if from_a { self.a } else { self.b };
        let stack = self.s.stacks().of(ns);
        let dst: IpAddr = dst.parse().expect("addr");
        let opts = PingOpts { interval_ns: interval_ms * MS, timeout_ns: Some(SEC), ..PingOpts::new(dst, count) };
        let _ = stack.ping(self.s.cpu(), &opts);
    }
}

/// Run `cmd` and return its transcript block (the golden files' format).
fn block(s: &mut Session, cmd: &str) -> String {
    s.exec(cmd).transcript_block(cmd)
}

/// The block of `cmd` in a golden transcript, verbatim (the first one after `after` lines).
fn golden(scenario: &str, cmd: &str, nth: usize) -> String {
    let path = format!("{}/../reference/linux-golden/{scenario}/transcript.txt", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).expect("golden transcript");
    let head = format!("$ {cmd}\n");
    let mut found = text.match_indices(&head).map(|(i, _)| i);
    let start = found.nth(nth).unwrap_or_else(|| panic!("{cmd} #{nth} not in {scenario}"));
    let rest = &text[start..];
    let end = rest.find("--- rc=").expect("rc line");
    let line_end = rest[end..].find('\n').map_or(rest.len(), |e| end + e + 1);
    rest[..line_end].to_string()
}

/// The veth-ping scenario up to the first `ip addr`: addresses, both ends up, 0.5 s.
fn veth_ping() -> Pair {
    let mut p = pair(false);
    for c in ["ip -n vg-a addr add 10.0.0.1/24 dev veth0", "ip -n vg-b addr add 10.0.0.2/24 dev veth1"] {
        assert_eq!(block(&mut p.s, c), golden("veth-ping", c, 0));
    }
    p.up("a");
    p.up("b");
    p.s.advance(500 * MS);
    p
}

#[test]
fn veth_ping_addr_route_and_neighbours_match_linux() {
    let mut p = veth_ping();
    for c in
        ["ip -n vg-a addr", "ip -n vg-a route", "ip -n vg-b route", "ip -n vg-a neigh show", "ip -n vg-b neigh show"]
    {
        assert_eq!(block(&mut p.s, c), golden("veth-ping", c, 0), "{c}");
    }
    // arp_process learns 10.0.0.1 as STALE in vg-b; the replies to it make it DELAY.
    p.ping(true, "10.0.0.2", 3, 200);
    for c in ["ip -n vg-a neigh show", "ip -n vg-b neigh show"] {
        assert_eq!(block(&mut p.s, c), golden("veth-ping", c, 1), "{c}");
    }
    p.ping(true, "10.0.0.9", 2, 1000);
    let c = "ip -n vg-a neigh show";
    assert_eq!(block(&mut p.s, c), golden("veth-ping", c, 2));
    p.s.advance(5 * SEC);
    assert_eq!(block(&mut p.s, c), golden("veth-ping", c, 3));
    let c = "ip -n vg-b neigh show";
    assert_eq!(block(&mut p.s, c), golden("veth-ping", c, 2));
}

#[test]
fn ip_s_neigh_prints_ref_used_and_probes_as_linux() {
    let mut p = veth_ping();
    p.ping(true, "10.0.0.2", 3, 200);
    p.ping(true, "10.0.0.9", 2, 1000);
    p.s.advance(5 * SEC);
    let o = p.s.exec("ip -n vg-a -s neigh show");
    // The golden ages (6/67/4, 7/7/7) depend on the recording's wall-clock pauses; the layout is
    // print_cacheinfo's: two spaces before `used`, none before `probes`, `ref 1` on the cached
    // entry.
    assert_eq!(
        o.stdout,
        "10.0.0.9 dev veth0  used 3/64/1probes 6 FAILED \n10.0.0.2 dev veth0 lladdr 02:00:00:00:00:0b  ref 1 used 4/5/5probes 4 REACHABLE \n"
    );
    let g = golden("veth-ping", "ip -n vg-a -s neigh show", 0);
    assert!(g.contains("10.0.0.9 dev veth0  used 6/67/4probes 6 FAILED \n"));
    assert!(g.contains("lladdr 02:00:00:00:00:0b  ref 1 used 7/7/7probes 4 REACHABLE \n"));
}

#[test]
fn veth_ipv6_up_addresses_routes_and_groups_match_linux() {
    let mut p = pair(true);
    p.up("b");
    p.s.advance(300 * MS);
    p.up("a");
    p.s.advance(3 * SEC);
    for c in [
        "ip -n vg-a addr",
        "ip -n vg-b addr",
        "ip -n vg-a -6 route",
        "ip -n vg-b -6 route",
        "ip -n vg-a maddr show dev veth0",
    ] {
        assert_eq!(block(&mut p.s, c), golden("veth-ipv6-up", c, 0), "{c}");
    }
    p.s.advance(7 * SEC);
    for c in ["ip -n vg-a route", "ip -n vg-a -6 neigh show", "ip -n vg-b -6 neigh show"] {
        assert_eq!(block(&mut p.s, c), golden("veth-ipv6-up", c, 0), "{c}");
    }
    assert_eq!(block(&mut p.s, "ip -n vg-a addr"), golden("veth-ipv6-up", "ip -n vg-a addr", 1));
}

#[test]
fn errors_scenario_texts_and_exit_codes_match_linux() {
    let mut p = pair_with(false, false);
    for (c, nth) in [
        ("ip -n vg-a addr add 10.0.0.1/24 dev veth0", 0),
        ("ip -n vg-a addr add 10.0.0.1/24 dev veth0", 1),
        ("ip -n vg-a addr del 10.0.0.9/24 dev veth0", 0),
        ("ip -n vg-a addr add 10.0.0.300/24 dev veth0", 0),
        ("ip -n vg-a route add 10.9.0.0/16 via 10.0.0.254", 0),
    ] {
        assert_eq!(block(&mut p.s, c), golden("errors", c, nth), "{c}");
    }
    // Admin-up without carrier (the peer veth9 stays down): the gateway is reachable now.
    p.up("a");
    let c = "ip -n vg-a route add 10.9.0.0/16 via 10.0.0.254";
    assert_eq!(block(&mut p.s, c), golden("errors", c, 1));
    assert_eq!(block(&mut p.s, c), golden("errors", c, 2));
    for c in ["ip -n vg-a route del 10.8.0.0/16", "ip -n vg-a route"] {
        assert_eq!(block(&mut p.s, c), golden("errors", c, 0), "{c}");
    }
    let addr = p.s.exec("ip -n vg-a addr show dev veth0").stdout;
    assert!(
        addr.ends_with("    inet 10.0.0.1/24 scope global veth0\n       valid_lft forever preferred_lft forever\n")
    );
}

#[test]
fn brief_oneline_json_and_family_views() {
    let mut p = veth_ping();
    assert_eq!(
        p.s.exec("ip -n vg-a -br addr").stdout,
        "lo               DOWN           \nveth0@if2        UP             10.0.0.1/24 \n"
    );
    assert_eq!(
        p.s.exec("ip -n vg-a -o addr").stdout,
        "2: veth0    inet 10.0.0.1/24 scope global veth0\\       valid_lft forever preferred_lft forever\n"
    );
    // print_linkinfo leaves the link/ line out when a family is asked for; links without an
    // address of it are filtered out (ipaddr_filter).
    assert_eq!(
        p.s.exec("ip -n vg-a -4 addr").stdout,
        "2: veth0@if2: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP group default qlen 1000\n    inet 10.0.0.1/24 scope global veth0\n       valid_lft forever preferred_lft forever\n"
    );
    assert_eq!(p.s.exec("ip -n vg-a -6 addr").stdout, "");
    let j = p.s.exec("ip -n vg-a -j addr show dev veth0").stdout;
    assert_eq!(
        j,
        "[{\"ifindex\":2,\"link_index\":2,\"ifname\":\"veth0\",\"flags\":[\"BROADCAST\",\"MULTICAST\",\"UP\",\"LOWER_UP\"],\"mtu\":1500,\"qdisc\":\"noqueue\",\"operstate\":\"UP\",\"group\":\"default\",\"txqlen\":1000,\"link_type\":\"ether\",\"address\":\"02:00:00:00:00:0a\",\"broadcast\":\"ff:ff:ff:ff:ff:ff\",\"link_netnsid\":0,\"addr_info\":[{\"family\":\"inet\",\"local\":\"10.0.0.1\",\"prefixlen\":24,\"scope\":\"global\",\"label\":\"veth0\",\"valid_life_time\":4294967295,\"preferred_life_time\":4294967295}]}]\n"
    );
    assert_eq!(
        p.s.exec("ip -n vg-a -j route").stdout,
        "[{\"dst\":\"10.0.0.0/24\",\"dev\":\"veth0\",\"protocol\":\"kernel\",\"scope\":\"link\",\"prefsrc\":\"10.0.0.1\",\"flags\":[]}]\n"
    );
    // A selector hides what it fixes (filter.oifmask).
    assert_eq!(
        p.s.exec("ip -n vg-a route show dev veth0").stdout,
        "10.0.0.0/24 proto kernel scope link src 10.0.0.1 \n"
    );
    assert_eq!(p.s.exec("ip -n vg-a route show 10.0.0.0/16").stdout, "");
    assert_eq!(p.s.exec("ip -n vg-a route show root 10.0.0.0/16").stdout.lines().count(), 1);
}

#[test]
fn address_changes_secondaries_broadcast_and_flush() {
    let mut p = veth_ping();
    let s = &mut p.s;
    assert_eq!(s.exec("ip -n vg-a addr add 10.0.0.5/24 brd + dev veth0 label veth0:1").rc, 0);
    assert_eq!(s.exec("ip -n vg-a addr add 10.1.0.1/16 dev veth0 noprefixroute").rc, 0);
    let out = s.exec("ip -n vg-a -4 -o addr show dev veth0").stdout;
    assert_eq!(
        out,
        "2: veth0    inet 10.0.0.1/24 scope global veth0\\       valid_lft forever preferred_lft forever\n\
         2: veth0    inet 10.1.0.1/16 scope global noprefixroute veth0\\       valid_lft forever preferred_lft forever\n\
         2: veth0    inet 10.0.0.5/24 brd 10.0.0.255 scope global secondary veth0:1\\       valid_lft forever preferred_lft forever\n"
    );
    assert_eq!(s.exec("ip -n vg-a -o addr show secondary").stdout.lines().count(), 1);
    assert_eq!(s.exec("ip -n vg-a -o addr show label 'veth0:*'").stdout.lines().count(), 1);
    assert_eq!(s.exec("ip -n vg-a -o addr show to 10.1.0.0/16").stdout.lines().count(), 1);
    // No prefix route for the noprefixroute address.
    assert_eq!(s.exec("ip -n vg-a route").stdout, "10.0.0.0/24 dev veth0 proto kernel scope link src 10.0.0.1 \n");
    let o = s.exec("ip -n vg-a -s addr flush dev veth0");
    assert_eq!(o.stdout, "\n*** Round 1, deleting 3 addresses ***\n*** Flush is complete after 1 round ***\n");
    assert_eq!(s.exec("ip -n vg-a -4 addr").stdout, "");
    assert_eq!(s.exec("ip -n vg-a route").stdout, "");
    let o = s.exec("ip -n vg-a addr del 10.0.0.1 dev veth0");
    assert!(o.stderr.starts_with("Warning: Executing wildcard deletion to stay compatible with old scripts.\n"));
    assert!(o.stderr.ends_with("Error: ipv4: Address not found.\n"));
    assert_eq!(o.rc, 2);
}

#[test]
fn iproute2_argument_errors() {
    let mut p = veth_ping();
    let s = &mut p.s;
    let cases: [(&str, &str, i32); 12] = [
        ("ip -n vg-a addr add 10.0.0.7/24", "Not enough information: \"dev\" argument is required.\n", 1),
        ("ip -n vg-a addr add 10.0.0.7/24 dev nosuch", "Cannot find device \"nosuch\"\n", 1),
        ("ip -n vg-a addr add 10.0.0.7/24 dev veth0 label eth0", "\"dev\" (veth0) must match \"label\" (eth0).\n", 1),
        (
            "ip -n vg-a addr add 10.0.0.7/24 dev veth0 scope bogus",
            "Error: argument \"bogus\" is wrong: invalid scope value.\n",
            255,
        ),
        (
            "ip -n vg-a -6 addr add 10.0.0.7/24 dev veth0",
            "Error: inet6 prefix is expected rather than \"10.0.0.7/24\".\n",
            1,
        ),
        ("ip -n vg-a addr show dev nosuch", "Device \"nosuch\" does not exist.\n", 1),
        ("ip -n vg-a addr flush", "Flush requires arguments.\n", 1),
        ("ip -n vg-a addr frob", "Command \"frob\" is unknown, try \"ip address help\".\n", 255),
        ("ip -n vg-a route get", "need at least a destination address\n", 1),
        ("ip -n vg-a route add 10.5.0.0/16 dev nosuch", "Cannot find device \"nosuch\"\n", 1),
        ("ip -n vg-a neigh add 10.0.0.7 lladdr zz dev veth0", "\"zz\" is invalid lladdr.\n", 1),
        (
            "ip -n vg-a neigh add 10.0.0.7 lladdr 02:00:00:00:00:07",
            "Device and destination are required arguments.\n",
            255,
        ),
    ];
    for (cmd, err, rc) in cases {
        let o = s.exec(cmd);
        assert_eq!((o.stderr.as_str(), o.rc), (err, rc), "{cmd}");
        assert_eq!(o.stdout, "", "{cmd}");
    }
    let o = s.exec("ip -n vg-a route add 10.5.0.1/16 dev veth0");
    assert_eq!((o.stderr.as_str(), o.rc), ("Error: Invalid prefix for given prefix length.\n", 2));
    let o = s.exec("ip -n vg-a route get 10.77.0.1");
    assert_eq!((o.stderr.as_str(), o.rc), ("RTNETLINK answers: Network is unreachable\n", 2));
}

#[test]
fn route_add_replace_delete_and_get() {
    let mut p = veth_ping();
    let s = &mut p.s;
    assert_eq!(s.exec("ip -n vg-a route add default via 10.0.0.2 metric 10").rc, 0);
    assert_eq!(s.exec("ip -n vg-a route add 192.168.5.0/24 via 10.0.0.2 proto static mtu 1400").rc, 0);
    assert_eq!(s.exec("ip -n vg-a route add blackhole 10.66.0.0/16").rc, 0);
    assert_eq!(
        s.exec("ip -n vg-a route").stdout,
        "default via 10.0.0.2 dev veth0 metric 10 \n10.0.0.0/24 dev veth0 proto kernel scope link src 10.0.0.1 \nblackhole 10.66.0.0/16 \n192.168.5.0/24 via 10.0.0.2 dev veth0 proto static mtu 1400 \n"
    );
    assert_eq!(s.exec("ip -n vg-a route replace 192.168.5.0/24 dev veth0").rc, 0);
    assert_eq!(s.exec("ip -n vg-a route show 192.168.5.0/24").stdout, "192.168.5.0/24 dev veth0 scope link \n");
    let o = s.exec("ip -n vg-a route change 192.168.77.0/24 dev veth0");
    assert_eq!((o.stderr.as_str(), o.rc), ("RTNETLINK answers: No such file or directory\n", 2));
    assert_eq!(
        s.exec("ip -n vg-a route get 8.8.8.8").stdout,
        "8.8.8.8 via 10.0.0.2 dev veth0 src 10.0.0.1 uid 0 \n    cache \n"
    );
    assert_eq!(s.exec("ip -n vg-a route get 10.0.0.2").stdout, "10.0.0.2 dev veth0 src 10.0.0.1 uid 0 \n    cache \n");
    assert_eq!(
        s.exec("ip -n vg-a route get 10.0.0.1").stdout,
        "local 10.0.0.1 dev lo src 10.0.0.1 uid 0 \n    cache <local> \n"
    );
    assert_eq!(
        s.exec("ip -n vg-a route get 10.0.0.255").stdout,
        "broadcast 10.0.0.255 dev veth0 src 10.0.0.1 uid 0 \n    cache <local,brd> \n"
    );
    assert_eq!(
        s.exec("ip -n vg-a route show table local").stdout,
        "local 10.0.0.1 dev veth0 proto kernel scope host src 10.0.0.1 \nbroadcast 10.0.0.255 dev veth0 proto kernel scope link src 10.0.0.1 \n"
    );
    assert_eq!(s.exec("ip -n vg-a route del default").rc, 0);
    assert_eq!(s.exec("ip -n vg-a route flush proto static").rc, 0);
    assert_eq!(s.exec("ip -n vg-a route flush dev veth0").rc, 0);
    assert_eq!(s.exec("ip -n vg-a route").stdout, "blackhole 10.66.0.0/16 \n");
}

#[test]
fn neighbour_add_replace_proxy_and_flush() {
    let mut p = veth_ping();
    let s = &mut p.s;
    assert_eq!(s.exec("ip -n vg-a neigh add 10.0.0.7 lladdr 02:00:00:00:00:07 dev veth0").rc, 0);
    let o = s.exec("ip -n vg-a neigh add 10.0.0.7 lladdr 02:00:00:00:00:07 dev veth0");
    assert_eq!((o.stderr.as_str(), o.rc), ("RTNETLINK answers: File exists\n", 2));
    assert_eq!(s.exec("ip -n vg-a neigh replace 10.0.0.8 lladdr 02:00:00:00:00:08 nud stale dev veth0").rc, 0);
    assert_eq!(s.exec("ip -n vg-a neigh add proxy 10.0.0.99 dev veth0").rc, 0);
    assert_eq!(
        s.exec("ip -n vg-a neigh show dev veth0").stdout,
        "10.0.0.8 lladdr 02:00:00:00:00:08 STALE \n10.0.0.7 lladdr 02:00:00:00:00:07 PERMANENT \n"
    );
    assert_eq!(
        s.exec("ip -n vg-a neigh show nud permanent").stdout,
        "10.0.0.7 dev veth0 lladdr 02:00:00:00:00:07 PERMANENT \n"
    );
    assert_eq!(s.exec("ip -n vg-a neigh show proxy").stdout, "10.0.0.99 dev veth0 proxy \n");
    // flush leaves permanent entries (filter.state = ~(NUD_PERMANENT|NUD_NOARP)).
    assert_eq!(s.exec("ip -n vg-a neigh flush dev veth0").rc, 0);
    assert_eq!(s.exec("ip -n vg-a neigh").stdout, "10.0.0.7 dev veth0 lladdr 02:00:00:00:00:07 PERMANENT \n");
    assert_eq!(s.exec("ip -n vg-a neigh flush all nud all").rc, 0);
    assert_eq!(s.exec("ip -n vg-a neigh").stdout, "");
    let o = s.exec("ip -n vg-a neigh del 10.0.0.7 dev veth0");
    assert_eq!((o.stderr.as_str(), o.rc), ("RTNETLINK answers: No such file or directory\n", 2));
    assert_eq!(s.exec("ip -n vg-a neigh del proxy 10.0.0.99 dev veth0").rc, 0);
    assert_eq!(s.exec("ip -n vg-a neigh show proxy").stdout, "");
}

#[test]
fn maddr_lists_link_inet_and_inet6_groups() {
    let mut p = veth_ping();
    // IPv6 is disabled here, but the device still joined ff01::1 and ff02::1 at registration
    // (ipv6_add_dev), as the bridge-basic FDB shows for 33:33:00:00:00:01.
    assert_eq!(
        p.s.exec("ip -n vg-a maddr").stdout,
        "1:\tlo\n\tinet6 ff02::1\n\tinet6 ff01::1\n2:\tveth0\n\tlink  33:33:00:00:00:01\n\tlink  01:00:5e:00:00:01\n\tinet  224.0.0.1\n\tinet6 ff02::1\n\tinet6 ff01::1\n"
    );
    assert_eq!(p.s.exec("ip -n vg-a -4 maddr show dev veth0").stdout, "2:\tveth0\n\tinet  224.0.0.1\n");
    let o = p.s.exec("ip -n vg-a maddr show dev nosuch");
    assert_eq!((o.stderr.as_str(), o.rc), ("Device \"nosuch\" does not exist.\n", 1));
}

#[test]
fn monitor_prints_events_in_kernel_order_when_the_job_ends() {
    let mut p = veth_ping();
    let s = &mut p.s;
    let o = s.exec("ip -n vg-a monitor");
    assert_eq!(o.rc, 1);
    assert!(o.stderr.contains("ip monitor runs until it is interrupted"));
    assert_eq!(s.exec("ip -n vg-a monitor address route &"), vnet_cli::Output::default());
    assert_eq!(s.exec("ip -n vg-a monitor label neigh &").rc, 0);
    assert_eq!(s.exec("ip -n vg-a addr add 10.0.0.5/24 dev veth0").rc, 0);
    assert_eq!(s.exec("ip -n vg-a addr add 10.2.0.1/16 dev veth0").rc, 0);
    assert_eq!(s.exec("ip -n vg-a addr del 10.2.0.1/16 dev veth0").rc, 0);
    p.ping(true, "10.0.0.2", 1, 1000);
    let o = p.s.exec("kill %1");
    assert_eq!(
        o.stdout,
        "2: veth0    inet 10.0.0.5/24 scope global secondary veth0\n       valid_lft forever preferred_lft forever\n\
         local 10.0.0.5 dev veth0 table local proto kernel scope host src 10.0.0.1 \n\
         2: veth0    inet 10.2.0.1/16 scope global veth0\n       valid_lft forever preferred_lft forever\n\
         local 10.2.0.1 dev veth0 table local proto kernel scope host src 10.2.0.1 \n\
         10.2.0.0/16 dev veth0 proto kernel scope link src 10.2.0.1 \n\
         broadcast 10.2.255.255 dev veth0 table local proto kernel scope link src 10.2.0.1 \n\
         Deleted 2: veth0    inet 10.2.0.1/16 scope global veth0\n       valid_lft forever preferred_lft forever\n\
         Deleted 10.2.0.0/16 dev veth0 proto kernel scope link src 10.2.0.1 \n\
         Deleted broadcast 10.2.255.255 dev veth0 table local proto kernel scope link src 10.2.0.1 \n\
         Deleted local 10.2.0.1 dev veth0 table local proto kernel scope host src 10.2.0.1 \n"
    );
    let rest = p.s.finish_jobs();
    assert_eq!(rest.len(), 1);
    assert_eq!(rest[0].0, "ip -n vg-a monitor label neigh &");
    assert_eq!(rest[0].1.stdout, "[NEIGH]10.0.0.2 dev veth0 lladdr 02:00:00:00:00:0b REACHABLE \n");
}

#[test]
fn monitor_sees_link_and_ipv6_configuration() {
    let mut p = pair(true);
    p.up("b");
    assert_eq!(p.s.exec("ip -n vg-a monitor &").rc, 0);
    p.up("a");
    p.s.advance(3 * SEC);
    let out = p.s.finish_jobs().remove(0).1.stdout;
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines.contains(&"fe80::/64 dev veth0 proto kernel metric 256 pref medium"), "{out}");
    assert!(lines.contains(&"multicast ff00::/8 dev veth0 table local proto kernel metric 256 pref medium"), "{out}");
    assert!(lines.contains(&"    link/ether 02:00:00:00:00:0a brd ff:ff:ff:ff:ff:ff link-netnsid 0"), "{out}");
    // DAD ends: the address, then its local route (__ipv6_ifa_notify).
    let addr = lines.iter().position(|l| *l == "2: veth0    inet6 fe80::ff:fe00:a/64 scope link ").expect(&out);
    assert_eq!(lines[addr + 2], "local fe80::ff:fe00:a dev veth0 table local proto kernel metric 0 pref medium");
    assert!(lines.iter().any(|l| l.starts_with(
        "2: veth0@if2: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP group default "
    )));
}

#[test]
fn ifconfig_replaces_the_primary_address_and_brings_the_device_up() {
    let mut s = Session::new(1).expect("session");
    {
        let req = NewLink { name: Some("sunldtap1".into()), ..NewLink::in_netns(NetnsId::INIT) };
        s.world().rtnl().newlink(netdev_dummy::KIND, &req, &(Box::new(()) as KindConfig)).expect("dummy");
    }
    // Seed tutorial 003.
    assert_eq!(s.exec("ifconfig sunldtap1 192.168.88.3/24 up"), vnet_cli::Output::default());
    let show = |s: &mut Session| s.exec("ip -4 -o addr show dev sunldtap1").stdout;
    assert_eq!(
        show(&mut s),
        "2: sunldtap1    inet 192.168.88.3/24 brd 192.168.88.255 scope global sunldtap1\\       valid_lft forever preferred_lft forever
"
    );
    assert!(s.world().rtnl().dev_by_name(NetnsId::INIT, "sunldtap1").is_some_and(|d| d.is_up()));
    assert_eq!(s.exec("ip route").stdout, "192.168.88.0/24 dev sunldtap1 proto kernel scope link src 192.168.88.3 \n");
    // SIOCSIFADDR replaces the primary, with the classful length.
    assert_eq!(s.exec("ifconfig sunldtap1 10.1.2.3").rc, 0);
    assert_eq!(
        show(&mut s),
        "2: sunldtap1    inet 10.1.2.3/8 brd 10.255.255.255 scope global sunldtap1\\       valid_lft forever preferred_lft forever
"
    );
    assert_eq!(s.exec("ifconfig sunldtap1 10.1.2.3 netmask 255.255.0.0 down").rc, 0);
    assert!(show(&mut s).contains("inet 10.1.2.3/16 brd 10.1.255.255 "));
    assert!(s.world().rtnl().dev_by_name(NetnsId::INIT, "sunldtap1").is_some_and(|d| !d.is_up()));
    let o = s.exec("ifconfig nosuch 1.2.3.4");
    assert_eq!((o.stderr.as_str(), o.rc), ("nosuch: ERROR while getting interface flags: No such device\n", 1));
    let o = s.exec("ifconfig sunldtap1 999.1.1.1");
    assert_eq!(o.rc, 1);
    assert!(o.stderr.starts_with("999.1.1.1: Unknown host\n"));
    assert_eq!(s.exec("ifconfig").rc, 255);
}

/// fib_add_ifaddr runs again at NETDEV_UP: the routes a device brings when it comes up are
/// announced even though the address was added while it was down.
#[test]
fn monitor_announces_the_routes_a_device_brings_up() {
    let mut s = Session::new(1).expect("session");
    assert_eq!(s.exec("ip -4 monitor route &").rc, 0);
    assert_eq!(s.exec("ifconfig lo 127.0.0.1 up").rc, 0);
    let out = s.finish_jobs().remove(0).1.stdout;
    assert_eq!(
        out,
        "local 127.0.0.1 dev lo table local proto kernel scope host src 127.0.0.1 \n\
         local 127.0.0.0/8 dev lo table local proto kernel scope host src 127.0.0.1 \n\
         broadcast 127.255.255.255 dev lo table local proto kernel scope link src 127.0.0.1 \n"
    );
}

mod no_panic {
    use proptest::prelude::*;
    use vnet_cli::Session;

    const WORDS: [&str; 48] = [
        "ip",
        "-4",
        "-6",
        "-0",
        "-s",
        "-j",
        "-br",
        "-o",
        "addr",
        "route",
        "neigh",
        "maddr",
        "monitor",
        "add",
        "del",
        "change",
        "replace",
        "show",
        "flush",
        "get",
        "dev",
        "lo",
        "veth0",
        "10.0.0.1/24",
        "10.0.0.300",
        "fe80::1/64",
        "::",
        "default",
        "via",
        "10.0.0.2",
        "brd",
        "+",
        "scope",
        "link",
        "label",
        "metric",
        "proxy",
        "lladdr",
        "02:00:00:00:00:01",
        "nud",
        "permanent",
        "table",
        "all",
        "local",
        "to",
        "peer",
        "all",
        "&",
    ];

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

        /// Any mix of these words (and arbitrary ones) gets an exit status, never a panic.
        #[test]
        fn ip_and_ifconfig_never_panic(
            obj in prop::sample::select(vec!["ip addr", "ip route", "ip neigh", "ip maddr", "ip monitor", "ifconfig lo", "ip -6 route", "ip -s neigh"]),
            words in prop::collection::vec(prop_oneof![prop::sample::select(WORDS.to_vec()).prop_map(String::from), "[a-z0-9:./+-]{0,12}"], 0..8),
        ) {
            let mut s = Session::new(7).expect("session");
            let line = format!("{obj} {}", words.join(" "));
            let o = s.exec(&line);
            prop_assert!(o.rc >= 0 && o.rc <= 255);
            let _ = s.finish_jobs();
        }
    }
}
