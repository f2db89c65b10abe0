//! Whole-device drives pinned to the golden capture (reference/linux-golden/veth-ipv6-up) and to
//! the kernel functions named in each test.

use std::net::Ipv6Addr;

use netdev_core::{Carrier, Errno, PktType, Rng};
use smoltcp::wire::{IpProtocol, Ipv6Cidr, Ipv6Packet, checksum};

use super::wire::{ALL_MLDV2_ROUTERS, ALL_ROUTERS, solicited_node};
use super::*;

const MS: u64 = 1_000_000;
const SEC: u64 = 1_000_000_000;
const MAC_A: [u8; 6] = [2, 0, 0, 0, 0, 0x0a];
const LL_A: Ipv6Addr = Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0xff, 0xfe00, 0x0a);
const GLOBAL: Ipv6Addr = Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1);
/// Carrier-up instant: not on a tick, as `ip link set up` is not.
const T0: u64 = 5 * SEC + 1_234_567;
const VETH: u32 = 2;

fn veth(ifindex: u32, mac: [u8; 6]) -> LinkInfo {
    LinkInfo { ifindex, mac: Some(mac), mtu: 1500, is_loopback: false, needs_nd: true, multicast: true }
}

/// What a sent packet is, as tcpdump would name it.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Pkt {
    /// MLDv2 report: source and number of records.
    Mld2(Ipv6Addr, u16),
    /// Neighbour solicitation: source and target.
    Ns(Ipv6Addr, Ipv6Addr),
    /// Router solicitation: source.
    Rs(Ipv6Addr),
    /// Anything else: ICMPv6 type.
    Other(u8),
}

/// Parse a packet back with smoltcp and check what every kernel-built packet has in common.
fn classify(packet: &[u8]) -> Pkt {
    let ip = Ipv6Packet::new_checked(packet).unwrap();
    assert_eq!((ip.version(), ip.traffic_class(), ip.flow_label()), (6, 0, 0));
    assert_eq!(usize::from(ip.payload_len()) + 40, packet.len());
    let at = if ip.next_header() == IpProtocol::HopByHop { 48 } else { 40 };
    let icmp = &packet[at..];
    let (src, dst) = (ip.src_addr(), ip.dst_addr());
    let len = u32::try_from(icmp.len()).unwrap();
    let sum =
        checksum::combine(&[checksum::pseudo_header_v6(&src, &dst, IpProtocol::Icmpv6, len), checksum::data(icmp)]);
    assert_eq!(sum, 0xffff, "bad checksum");
    let ty = icmp[0];
    match ty {
        143 => {
            assert_eq!((ip.hop_limit(), ip.dst_addr()), (1, ALL_MLDV2_ROUTERS));
            Pkt::Mld2(ip.src_addr(), u16::from_be_bytes([packet[at + 6], packet[at + 7]]))
        }
        135 => {
            assert_eq!(ip.hop_limit(), 255);
            Pkt::Ns(ip.src_addr(), Ipv6Addr::from(<[u8; 16]>::try_from(&packet[at + 8..at + 24]).unwrap()))
        }
        133 => {
            assert_eq!((ip.hop_limit(), ip.dst_addr()), (255, ALL_ROUTERS));
            Pkt::Rs(ip.src_addr())
        }
        other => Pkt::Other(other),
    }
}

/// One namespace with one veth end, driven like the World would drive it.
struct Drive {
    ac: Addrconf,
    rng: Rng,
    cnf: Ipv6DevCnf,
    /// (time, frame length with the Ethernet header, packet) of every transmission.
    sent: Vec<(u64, usize, Vec<u8>)>,
    events: Vec<(u64, Output)>,
}

impl Drive {
    fn new(seed: u64, cnf: Ipv6DevCnf) -> Drive {
        let mut d = Drive { ac: Addrconf::new(), rng: Rng::new(seed), cnf, sent: Vec::new(), events: Vec::new() };
        let out = d.ac.dev_register(&veth(VETH, MAC_A), &d.cnf, &mut d.rng);
        d.record(0, out);
        d
    }

    fn record(&mut self, now: u64, out: Vec<Output>) {
        for o in out {
            if let Output::Send { ifindex, dst_mac, packet } = &o {
                assert_eq!(*ifindex, VETH);
                let dst = Ipv6Packet::new_checked(&packet[..]).unwrap().dst_addr();
                assert_eq!(*dst_mac, wire::multicast_mac(dst));
                self.sent.push((now, 14 + packet.len(), packet.clone()));
            }
            self.events.push((now, o));
        }
    }

    fn up(&mut self, now: u64, carrier: Carrier) {
        let out = self.ac.dev_up(now, &veth(VETH, MAC_A), &self.cnf, carrier, &mut self.rng);
        self.record(now, out);
    }

    /// Fire every timer up to and including `end`.
    fn run_until(&mut self, end: u64) {
        while let Some(at) = self.ac.next_deadline() {
            if at > end {
                break;
            }
            let cnf = self.cnf;
            let out = self.ac.timer(at, |_| cnf, &mut self.rng);
            self.record(at, out);
        }
    }

    fn sent_by(&self, end: u64) -> (usize, usize) {
        let frames: Vec<_> = self.sent.iter().filter(|(t, _, _)| *t <= end).collect();
        (frames.len(), frames.iter().map(|(_, len, _)| len).sum())
    }

    fn kinds(&self) -> Vec<(u64, usize, Pkt)> {
        self.sent.iter().map(|(t, len, p)| (*t, *len, classify(p))).collect()
    }
}

fn golden_sequence() -> Vec<(usize, Pkt)> {
    vec![
        (90, Pkt::Mld2(Ipv6Addr::UNSPECIFIED, 1)),
        (86, Pkt::Ns(Ipv6Addr::UNSPECIFIED, LL_A)),
        (90, Pkt::Mld2(Ipv6Addr::UNSPECIFIED, 1)),
        (90, Pkt::Mld2(LL_A, 1)),
        (70, Pkt::Rs(LL_A)),
        (90, Pkt::Mld2(LL_A, 1)),
        (70, Pkt::Rs(LL_A)),
    ]
}

#[test]
fn timer_wheel_expiry() {
    // calc_wheel_index/calc_index: level 0 fires one tick after expiry, level 1 on the next
    // multiple of 8 ticks, level 2 of 64.
    assert_eq!(expiry(T0, 0), T0);
    let tick = T0 / TICK_NSEC;
    assert_eq!(expiry(T0, 2), (tick + 3) * TICK_NSEC);
    let e = expiry(T0, 250) / TICK_NSEC;
    assert!(e > tick + 250 && e <= tick + 258 && e.is_multiple_of(8), "{e}");
    let e = expiry(T0, 1000) / TICK_NSEC;
    assert!(e > tick + 1000 && e <= tick + 1064 && e.is_multiple_of(64));
    assert_eq!(msecs_to_jiffies(1000), 250);
    assert_eq!(msecs_to_jiffies(1), 1);
}

#[test]
fn link_up_reproduces_the_golden_capture() {
    // addrconf_notify(NETDEV_UP) -> addrconf_dev_config -> addrconf_add_linklocal ->
    // addrconf_dad_start; mcast.c mld_ifc_work / ipv6_mc_dad_complete; addrconf_dad_completed
    // -> ndisc_send_rs; addrconf_rs_timer.
    let mut d = Drive::new(7, Ipv6DevCnf::default());
    d.up(T0, Carrier::On);
    d.run_until(T0 + 10 * SEC);
    let got: Vec<(usize, Pkt)> = d.kinds().into_iter().map(|(_, len, p)| (len, p)).collect();
    assert_eq!(got, golden_sequence());
    // Counters: 516 B / 6 packets after 3 s, 586 B / 7 after 10 s (golden `ip -s link`).
    assert_eq!(d.sent_by(T0 + 3 * SEC), (6, 516));
    assert_eq!(d.sent_by(T0 + 10 * SEC), (7, 586));

    let t: Vec<u64> = d.sent.iter().map(|(t, _, _)| t - T0).collect();
    // First MLD 2 jiffies (+1 tick) after the join.
    assert!(t[0] > 8 * MS && t[0] <= 12 * MS, "{t:?}");
    // The DAD probe after a random delay below rtr_solicit_delay (1 s).
    assert!(t[1] < SEC);
    // The second report below the 1 s unsolicited report interval after the first.
    assert!(t[2] > t[0] && t[2] - t[0] <= SEC + 36 * MS);
    // DAD completes retrans_time (1 s, level-1 wheel bucket) after the probe: the MLD from the
    // link-local and the RS at the same instant (golden: +1.012 s and +1.024 s).
    assert!(t[3] - t[1] > SEC && t[3] - t[1] <= SEC + 32 * MS, "{t:?}");
    assert_eq!(t[4], t[3]);
    assert!(t[5] > t[3] && t[5] - t[3] <= SEC + 36 * MS);
    // The second RS 4 s (x 0.9 .. 1.1, plus wheel slack) after the first; no third by 10 s.
    assert!(t[6] - t[4] >= 3600 * MS && t[6] - t[4] <= 4400 * MS + 256 * MS, "{t:?}");
    // The RS timer runs on (router_solicitations = -1): the third one ~8 s after the second.
    let next = d.ac.next_deadline().unwrap();
    assert!(next - T0 > 10 * SEC);

    let a = d.ac.addresses(VETH);
    assert_eq!(a.len(), 1);
    assert_eq!((a[0].addr, a[0].prefix_len, a[0].scope, a[0].proto), (LL_A, 64, AddrScope::Link, 3));
    assert_eq!(a[0].flags, AddrFlags::PERMANENT);
    let groups: Vec<Ipv6Addr> = d.ac.groups(VETH).iter().map(|g| g.addr).collect();
    // golden `ip maddr show dev veth0`: ff02::1:ff00:a, ff02::1, ff01::1.
    let expect: Vec<Ipv6Addr> = ["ff02::1:ff00:a", "ff02::1", "ff01::1"].iter().map(|s| s.parse().unwrap()).collect();
    assert_eq!(groups, expect);
}

#[test]
fn link_up_counts_hold_for_any_seed() {
    for seed in 0..200 {
        let mut d = Drive::new(seed, Ipv6DevCnf::default());
        d.up(T0, Carrier::On);
        d.run_until(T0 + 10 * SEC);
        // The last MLD can come as late as ~3.06 s after carrier (DAD wait near 1 s, report
        // delay near 1 s), so the 3 s count is checked at 3.1 s here.
        assert_eq!(d.sent_by(T0 + 3100 * MS), (6, 516), "seed {seed}");
        assert_eq!(d.sent_by(T0 + 10 * SEC), (7, 586), "seed {seed}");
        let kinds = d.kinds();
        // The DAD probe may even precede the first report (a random delay below 2 jiffies).
        let first_mld = Pkt::Mld2(Ipv6Addr::UNSPECIFIED, 1);
        let ns_first = matches!(kinds[0].2, Pkt::Ns(..)) && kinds[1].2 == first_mld;
        assert!(kinds[0].2 == first_mld || ns_first, "seed {seed}");
        let ns = kinds.iter().position(|k| matches!(k.2, Pkt::Ns(..))).unwrap();
        let rs = kinds.iter().position(|k| matches!(k.2, Pkt::Rs(..))).unwrap();
        assert!(ns < rs);
        assert_eq!(kinds[rs - 1].2, Pkt::Mld2(LL_A, 1));
        assert_eq!(kinds[rs - 1].0, kinds[rs].0);
    }
}

#[test]
fn nothing_before_carrier() {
    // addrconf_notify(NETDEV_UP) with !addrconf_link_ready: "link is not ready", nothing sent
    // (golden: veth1 up without carrier, counters 0).
    let mut d = Drive::new(1, Ipv6DevCnf::default());
    d.up(T0, Carrier::Off);
    d.run_until(T0 + 30 * SEC);
    assert!(d.sent.is_empty());
    assert!(d.ac.addresses(VETH).is_empty());
    assert_eq!(d.ac.next_deadline(), None);
    // NETDEV_CHANGE with carrier: the same sequence, counted from then.
    let t1 = T0 + 30 * SEC;
    let out = d.ac.dev_change(t1, &veth(VETH, MAC_A), &d.cnf, Carrier::On, &mut d.rng);
    d.record(t1, out);
    d.run_until(t1 + 10 * SEC);
    assert_eq!(d.sent_by(t1 + 10 * SEC), (7, 586));
    assert!(d.sent[0].0 > t1);
}

#[test]
fn disable_ipv6_makes_up_a_no_op() {
    let cnf = Ipv6DevCnf { disable_ipv6: true, ..Ipv6DevCnf::default() };
    let mut d = Drive::new(1, cnf);
    d.up(T0, Carrier::On);
    d.run_until(T0 + 30 * SEC);
    assert!(d.sent.is_empty());
    assert!(d.ac.addresses(VETH).is_empty());
    // inet6_addr_add -> addrconf_add_dev: "IPv6 is disabled on this device".
    let err = d.ac.addr_add(T0, VETH, Ipv6Cidr::new(GLOBAL, 64), AddrFlags::default(), &cnf, &mut d.rng).unwrap_err();
    assert_eq!(err.extack(), Some("ipv6: IPv6 is disabled on this device"));
}

#[test]
fn same_seed_same_run() {
    let run = |seed| {
        let mut d = Drive::new(seed, Ipv6DevCnf::default());
        d.up(T0, Carrier::On);
        d.run_until(T0 + 20 * SEC);
        d.events
    };
    assert_eq!(run(42), run(42));
    assert_ne!(run(42), run(43));
}

/// Drive until the DAD probe is out; return its nonce.
fn until_probe(d: &mut Drive) -> [u8; 6] {
    d.up(T0, Carrier::On);
    while !d.sent.iter().any(|(_, _, p)| matches!(classify(p), Pkt::Ns(..))) {
        let at = d.ac.next_deadline().unwrap();
        let cnf = d.cnf;
        let out = d.ac.timer(at, |_| cnf, &mut d.rng);
        d.record(at, out);
    }
    let (_, _, ns) = d.sent.iter().find(|(_, _, p)| matches!(classify(p), Pkt::Ns(..))).unwrap();
    // The nonce option follows the target: type 14, length 1 (ndisc_ns_create).
    assert_eq!(&ns[64..66], &[14, 1]);
    <[u8; 6]>::try_from(&ns[66..72]).unwrap()
}

#[test]
fn own_looped_back_probe_is_ignored() {
    // ndisc_recv_ns: "IPv6 DAD loopback for address ... nonce ... ignored".
    let mut d = Drive::new(3, Ipv6DevCnf::default());
    let nonce = until_probe(&mut d);
    let now = d.sent.last().unwrap().0;
    let cnf = d.cnf;
    let rx = d.ac.rx_ns(
        now,
        VETH,
        &RxSolicit { target: LL_A, src: Ipv6Addr::UNSPECIFIED, nonce: Some(nonce) },
        &cnf,
        &mut d.rng,
    );
    assert_eq!(rx, DadRx::LoopedBack);
    d.run_until(T0 + 10 * SEC);
    assert_eq!(d.sent_by(T0 + 10 * SEC), (7, 586));
    assert!(d.ac.is_local(LL_A));
}

#[test]
fn conflicting_probe_fails_dad() {
    // ndisc_recv_ns (DAD NS with another nonce) -> addrconf_dad_failure -> addrconf_dad_stop:
    // IFA_F_DADFAILED, still tentative, no RS, MLD keeps leaving from ::.
    let mut d = Drive::new(3, Ipv6DevCnf::default());
    let nonce = until_probe(&mut d);
    let now = d.sent.last().unwrap().0 + MS;
    let other = [nonce[0] ^ 1, 2, 3, 4, 5, 6];
    let cnf = d.cnf;
    let rx = d.ac.rx_ns(
        now,
        VETH,
        &RxSolicit { target: LL_A, src: Ipv6Addr::UNSPECIFIED, nonce: Some(other) },
        &cnf,
        &mut d.rng,
    );
    assert_eq!(rx, DadRx::DadFailed(vec![Output::AddrDadFailed { ifindex: VETH, addr: LL_A, prefix_len: 64 }]));
    d.run_until(T0 + 10 * SEC);
    let kinds: Vec<Pkt> = d.kinds().into_iter().map(|k| k.2).collect();
    assert!(!kinds.iter().any(|k| matches!(k, Pkt::Rs(_))));
    assert!(kinds.iter().all(|k| !matches!(k, Pkt::Mld2(src, _) if *src == LL_A)));
    let a = d.ac.addresses(VETH);
    assert_eq!(a[0].flags, AddrFlags::PERMANENT | AddrFlags::TENTATIVE | AddrFlags::DADFAILED);
    assert!(!d.ac.is_local(LL_A));
    assert!(d.ac.is_tentative(VETH, LL_A));
    assert_eq!(d.ac.link_local(VETH), None);
    // A second conflict after DAD ended changes nothing (addrconf_dad_end).
    let rx =
        d.ac.rx_ns(now, VETH, &RxSolicit { target: LL_A, src: Ipv6Addr::UNSPECIFIED, nonce: None }, &cnf, &mut d.rng);
    assert_eq!(rx, DadRx::Dropped);
    // A non-DAD NS for a tentative address is ignored; one for another address is not ours.
    assert_eq!(
        d.ac.rx_ns(now, VETH, &RxSolicit { target: LL_A, src: GLOBAL, nonce: None }, &cnf, &mut d.rng),
        DadRx::Dropped
    );
    assert_eq!(
        d.ac.rx_ns(now, VETH, &RxSolicit { target: GLOBAL, src: Ipv6Addr::UNSPECIFIED, nonce: None }, &cnf, &mut d.rng),
        DadRx::Continue
    );
}

#[test]
fn conflicting_advert_fails_dad_unless_looped_back() {
    // ndisc_recv_na: a tentative target fails DAD unless PACKET_LOOPBACK.
    let mut d = Drive::new(5, Ipv6DevCnf::default());
    until_probe(&mut d);
    let now = d.sent.last().unwrap().0;
    let cnf = d.cnf;
    assert_eq!(d.ac.rx_na(now, VETH, LL_A, PktType::Loopback, &cnf, &mut d.rng), DadRx::Dropped);
    assert!(matches!(d.ac.rx_na(now, VETH, LL_A, PktType::Multicast, &cnf, &mut d.rng), DadRx::DadFailed(_)));
    assert!(d.ac.addresses(VETH)[0].flags.contains(AddrFlags::DADFAILED));
}

#[test]
fn accept_dad_2_disables_ipv6_for_the_mac_based_link_local() {
    // addrconf_dad_work, DAD_ABORT branch: "IPv6 being disabled!" and addrconf_ifdown.
    let cnf = Ipv6DevCnf { accept_dad: 2, ..Ipv6DevCnf::default() };
    let mut d = Drive::new(5, cnf);
    until_probe(&mut d);
    let now = d.sent.last().unwrap().0;
    let rx = d.ac.rx_na(now, VETH, LL_A, PktType::Multicast, &cnf, &mut d.rng);
    let DadRx::DadFailed(out) = rx else { panic!("{rx:?}") };
    assert!(out.contains(&Output::Ipv6Disabled { ifindex: VETH }));
    assert!(out.iter().any(|o| matches!(o, Output::AddrRemoved { addr, .. } if *addr == LL_A)));
    assert!(d.ac.addresses(VETH).is_empty());
}

#[test]
fn second_rs_about_4s_after_the_first() {
    // addrconf_dad_completed: rs_interval = rfc3315_s14_backoff_init(4 s); addrconf_rs_timer.
    for seed in 0..50 {
        let mut d = Drive::new(seed, Ipv6DevCnf::default());
        d.up(T0, Carrier::On);
        d.run_until(T0 + 60 * SEC);
        let rs: Vec<u64> = d.kinds().iter().filter(|k| matches!(k.2, Pkt::Rs(_))).map(|k| k.0).collect();
        let gap = rs[1] - rs[0];
        assert!((3600 * MS..=4656 * MS).contains(&gap), "seed {seed}: {gap}");
        // Then doubling (1.9 .. 2.1) from the previous interval.
        let gap2 = rs[2] - rs[1];
        assert!(gap2 > 6 * SEC && gap2 < 10 * SEC, "seed {seed}: {gap2}");
    }
}

#[test]
fn limited_solicitations_stop() {
    // router_solicitations = 3: RS at 0, ~4 s, ~12 s, then the last wait is rtr_solicit_delay
    // and nothing more.
    let cnf = Ipv6DevCnf { rtr_solicits: 3, ..Ipv6DevCnf::default() };
    let mut d = Drive::new(9, cnf);
    d.up(T0, Carrier::On);
    d.run_until(T0 + 600 * SEC);
    let rs = d.kinds().iter().filter(|k| matches!(k.2, Pkt::Rs(_))).count();
    assert_eq!(rs, 3);
    assert_eq!(d.ac.next_deadline(), None);
}

#[test]
fn router_sends_no_rs_and_reports_all_routers() {
    // addrconf_dad_completed: send_rs needs ipv6_accept_ra, false when forwarding.
    let cnf = Ipv6DevCnf { forwarding: true, ..Ipv6DevCnf::default() };
    let mut d = Drive::new(4, cnf);
    d.up(T0, Carrier::On);
    d.run_until(T0 + 10 * SEC);
    let kinds: Vec<Pkt> = d.kinds().into_iter().map(|k| k.2).collect();
    assert!(!kinds.iter().any(|k| matches!(k, Pkt::Rs(_))));
    // ipv6_add_dev joined ff02::2; the DAD-complete reports carry it with the solicited group.
    assert!(d.ac.has_group(VETH, ALL_ROUTERS));
    assert!(kinds.contains(&Pkt::Mld2(LL_A, 2)));
}

#[test]
fn addr_add_errors_and_reports() {
    let mut d = Drive::new(11, Ipv6DevCnf::default());
    d.up(T0, Carrier::On);
    d.run_until(T0 + 10 * SEC);
    let cnf = d.cnf;
    let t = T0 + 10 * SEC;
    // inet6_rtm_newaddr: ipv6_get_ifaddr found it -> EEXIST "address already assigned".
    let err = d.ac.addr_add(t, VETH, Ipv6Cidr::new(LL_A, 64), AddrFlags::default(), &cnf, &mut d.rng).unwrap_err();
    assert_eq!((err.errno(), err.extack()), (Errno::Eexist, Some("ipv6: address already assigned")));
    let err =
        d.ac.addr_add(t, VETH, Ipv6Cidr::new("ff02::5".parse().unwrap(), 64), AddrFlags::default(), &cnf, &mut d.rng);
    assert_eq!(err.unwrap_err().errno(), Errno::Eaddrnotavail);
    let err = d.ac.addr_add(t, VETH, Ipv6Cidr::new(Ipv6Addr::LOCALHOST, 128), AddrFlags::default(), &cnf, &mut d.rng);
    assert_eq!(err.unwrap_err().errno(), Errno::Eaddrnotavail);
    assert_eq!(
        d.ac.addr_add(t, 99, Ipv6Cidr::new(GLOBAL, 64), AddrFlags::default(), &cnf, &mut d.rng).unwrap_err().errno(),
        Errno::Enodev
    );
    // inet6_addr_del: EADDRNOTAVAIL "address not found" (also for a wrong prefix length).
    let err = d.ac.addr_del(t, VETH, Ipv6Cidr::new(GLOBAL, 64), &cnf, &mut d.rng).unwrap_err();
    assert_eq!((err.errno(), err.extack()), (Errno::Eaddrnotavail, Some("ipv6: address not found")));
    assert!(d.ac.addr_del(t, VETH, Ipv6Cidr::new(LL_A, 128), &cnf, &mut d.rng).is_err());

    // A global address: prefix route now, tentative, its solicited-node group joined.
    d.sent.clear();
    let t = T0 + 20 * SEC;
    let out = d.ac.addr_add(t, VETH, Ipv6Cidr::new(GLOBAL, 64), AddrFlags::default(), &cnf, &mut d.rng).unwrap();
    assert!(out.contains(&Output::AddrAdded { ifindex: VETH, addr: GLOBAL, prefix_len: 64, prefix_route: true }));
    d.record(t, out);
    assert!(d.ac.is_tentative(VETH, GLOBAL));
    // ip -6 addr order: global before link-local (ipv6_link_dev_addr).
    assert_eq!(d.ac.addresses(VETH)[0].addr, GLOBAL);
    assert_eq!(d.ac.addresses(VETH)[0].scope, AddrScope::Global);
    assert_eq!(d.ac.select_source(GLOBAL, Some(VETH)), Some(LL_A));
    d.run_until(t + 3 * SEC);
    // (The link-local's RS timer runs on meanwhile.)
    let sent: Vec<(usize, Pkt)> =
        d.kinds().into_iter().map(|k| (k.1, k.2)).filter(|k| !matches!(k.1, Pkt::Rs(_))).collect();
    let kinds: Vec<Pkt> = sent.iter().map(|k| k.1.clone()).collect();
    // ipv6_find_idev -> ipv6_mc_up re-reports every group: the first two reports carry both the
    // link-local's and the new address's solicited-node groups (110-byte frames).
    let reports: Vec<&(usize, Pkt)> = sent.iter().filter(|k| matches!(k.1, Pkt::Mld2(..))).collect();
    assert_eq!(reports, vec![&(110, Pkt::Mld2(LL_A, 2)), &(110, Pkt::Mld2(LL_A, 2))]);
    assert!(kinds.contains(&Pkt::Ns(Ipv6Addr::UNSPECIFIED, GLOBAL)));
    // Only the lonely link-local solicits routers and re-reports: nothing else when the
    // global address becomes ready (addrconf_dad_completed).
    let ready =
        d.events.iter().find(|(_, o)| matches!(o, Output::AddrReady { addr, .. } if *addr == GLOBAL)).unwrap().0;
    assert!(d.sent.iter().all(|(at, _, _)| *at != ready));
    assert!(d.ac.is_local(GLOBAL));
    assert_eq!(d.ac.select_source(GLOBAL, None), Some(GLOBAL));

    // Deleting it: RTM_DELADDR, the prefix route goes, and the leave is reported twice.
    d.sent.clear();
    let t = t + 3 * SEC;
    let out = d.ac.addr_del(t, VETH, Ipv6Cidr::new(GLOBAL, 64), &cnf, &mut d.rng).unwrap();
    assert_eq!(out[0], Output::AddrRemoved { ifindex: VETH, addr: GLOBAL, prefix_len: 64, delete_prefix_route: true });
    d.record(t, out);
    d.run_until(t + 3 * SEC);
    let reports = d.kinds().iter().filter(|k| k.2 == Pkt::Mld2(LL_A, 1)).count();
    assert_eq!(reports, 2);
    assert!(!d.ac.has_group(VETH, solicited_node(GLOBAL)));
}

#[test]
fn nodad_address_is_ready_at_once() {
    let mut d = Drive::new(12, Ipv6DevCnf::default());
    d.up(T0, Carrier::On);
    d.run_until(T0 + 10 * SEC);
    let cnf = d.cnf;
    let out =
        d.ac.addr_add(T0 + 10 * SEC, VETH, Ipv6Cidr::new(GLOBAL, 64), AddrFlags::NODAD, &cnf, &mut d.rng).unwrap();
    assert!(out.contains(&Output::AddrReady { ifindex: VETH, addr: GLOBAL, prefix_len: 64 }));
    assert_eq!(d.ac.addresses(VETH)[0].flags, AddrFlags::PERMANENT | AddrFlags::NODAD);
}

#[test]
fn down_removes_and_up_regenerates() {
    // addrconf_ifdown: the link-local goes (addr_is_local), RS and DAD stop; the next up makes
    // it again with the same packets.
    let mut d = Drive::new(13, Ipv6DevCnf::default());
    d.up(T0, Carrier::On);
    d.run_until(T0 + 10 * SEC);
    let cnf = d.cnf;
    let t = T0 + 10 * SEC;
    let out = d.ac.dev_down(t, VETH, &cnf, &mut d.rng);
    assert!(out.contains(&Output::AddrRemoved {
        ifindex: VETH,
        addr: LL_A,
        prefix_len: 64,
        delete_prefix_route: false
    }));
    assert!(!out.iter().any(|o| matches!(o, Output::Send { .. })));
    assert!(d.ac.addresses(VETH).is_empty());
    assert_eq!(d.ac.next_deadline(), None);
    // ff02::1 and ff01::1 stay; the solicited-node group went with the address.
    assert_eq!(d.ac.groups(VETH).len(), 2);
    d.sent.clear();
    let t1 = t + 5 * SEC;
    d.up(t1, Carrier::On);
    d.run_until(t1 + 10 * SEC);
    let got: Vec<(usize, Pkt)> = d.kinds().into_iter().map(|(_, len, p)| (len, p)).collect();
    assert_eq!(got.len(), 7);
    assert_eq!(d.sent_by(t1 + 10 * SEC), (7, 586));
    assert_eq!(d.ac.addresses(VETH)[0].addr, LL_A);
}

#[test]
fn carrier_return_resends_reports_only() {
    // NETDEV_CHANGE on a ready device: ipv6_mc_up re-reports; no new DAD or RS.
    let mut d = Drive::new(14, Ipv6DevCnf::default());
    d.up(T0, Carrier::On);
    d.run_until(T0 + 10 * SEC);
    let cnf = d.cnf;
    d.sent.clear();
    let t = T0 + 10 * SEC;
    assert!(d.ac.dev_change(t, &veth(VETH, MAC_A), &cnf, Carrier::Off, &mut d.rng).is_empty());
    let out = d.ac.dev_change(t + SEC, &veth(VETH, MAC_A), &cnf, Carrier::On, &mut d.rng);
    d.record(t + SEC, out);
    d.run_until(t + 3 * SEC);
    // (The RS timer runs on meanwhile; only MLD and DAD matter here.)
    let kinds: Vec<Pkt> = d.kinds().into_iter().map(|k| k.2).filter(|k| !matches!(k, Pkt::Rs(_))).collect();
    assert_eq!(kinds, vec![Pkt::Mld2(LL_A, 1), Pkt::Mld2(LL_A, 1)]);
}

#[test]
fn noarp_device_skips_dad_but_solicits_routers() {
    // addrconf_dad_begin: IFF_NOARP completes at once; no solicited-node group
    // (addrconf_join_solict), so no MLD; the RS still goes out with its SLLA (dev->addr_len).
    let mut ac = Addrconf::new();
    let mut rng = Rng::new(1);
    let cnf = Ipv6DevCnf::default();
    let dummy = LinkInfo { needs_nd: false, multicast: false, ..veth(3, [2, 0, 0, 0, 0, 0x0c]) };
    let out = ac.dev_up(T0, &dummy, &cnf, Carrier::On, &mut rng);
    let sends: Vec<&Vec<u8>> = out
        .iter()
        .filter_map(|o| match o {
            Output::Send { packet, .. } => Some(packet),
            _ => None,
        })
        .collect();
    assert_eq!(sends.len(), 1);
    assert_eq!(classify(sends[0]), Pkt::Rs("fe80::ff:fe00:c".parse().unwrap()));
    assert_eq!(14 + sends[0].len(), 70);
    assert!(ac.is_local("fe80::ff:fe00:c".parse().unwrap()));
}

#[test]
fn loopback_gets_localhost_only() {
    // init_loopback: ::1/128 scope host, ready at once, no prefix route, nothing sent.
    let mut ac = Addrconf::new();
    let mut rng = Rng::new(1);
    let lo = LinkInfo { ifindex: 1, mac: None, mtu: 65536, is_loopback: true, needs_nd: false, multicast: false };
    let out = ac.dev_up(T0, &lo, &Ipv6DevCnf::default(), Carrier::On, &mut rng);
    assert_eq!(
        out,
        vec![
            Output::AddrAdded { ifindex: 1, addr: Ipv6Addr::LOCALHOST, prefix_len: 128, prefix_route: false },
            Output::AddrReady { ifindex: 1, addr: Ipv6Addr::LOCALHOST, prefix_len: 128 },
        ]
    );
    let a = ac.addresses(1);
    assert_eq!((a[0].scope, a[0].flags, a[0].proto), (AddrScope::Host, AddrFlags::PERMANENT, 1));
    assert_eq!(ac.next_deadline(), None);
    assert!(ac.is_local(Ipv6Addr::LOCALHOST));
    assert_eq!(ac.select_source(Ipv6Addr::LOCALHOST, None), Some(Ipv6Addr::LOCALHOST));
}

#[test]
fn source_selection_rules() {
    // ipv6_dev_get_saddr: scope, outgoing interface, longest prefix; tentative excluded.
    let mut ac = Addrconf::new();
    let mut rng = Rng::new(1);
    let cnf = Ipv6DevCnf { accept_dad: 0, ..Ipv6DevCnf::default() };
    ac.dev_up(T0, &veth(2, MAC_A), &cnf, Carrier::On, &mut rng);
    ac.dev_up(T0, &veth(3, [2, 0, 0, 0, 0, 0x0b]), &cnf, Carrier::On, &mut rng);
    let ll_b: Ipv6Addr = "fe80::ff:fe00:b".parse().unwrap();
    let g2: Ipv6Addr = "2001:db8:1::2".parse().unwrap();
    let g3: Ipv6Addr = "2001:db8:2::3".parse().unwrap();
    ac.addr_add(T0, 2, Ipv6Cidr::new(g2, 64), AddrFlags::default(), &cnf, &mut rng).unwrap();
    ac.addr_add(T0, 3, Ipv6Cidr::new(g3, 64), AddrFlags::default(), &cnf, &mut rng).unwrap();
    let p = |s: &str| s.parse::<Ipv6Addr>().unwrap();
    // Link-local destination: the outgoing device's link-local only.
    assert_eq!(ac.select_source(p("fe80::99"), Some(3)), Some(ll_b));
    assert_eq!(ac.select_source(p("ff02::1"), Some(2)), Some(LL_A));
    // Global destination: a global source (scope), then the longest matching prefix.
    assert_eq!(ac.select_source(p("2001:db8:2::99"), None), Some(g3));
    assert_eq!(ac.select_source(p("2001:db8:1::99"), None), Some(g2));
    // Same prefix length match on both: prefer the outgoing interface.
    assert_eq!(ac.select_source(p("2a00::1"), Some(3)), Some(g3));
    assert_eq!(ac.select_source(p("2a00::1"), Some(2)), Some(g2));
    // The destination itself, if it is ours.
    assert_eq!(ac.select_source(g3, Some(2)), Some(g3));
    // Tentative addresses are no candidates.
    let cnf_dad = Ipv6DevCnf::default();
    let g4: Ipv6Addr = "2001:db8:2::4".parse().unwrap();
    ac.addr_add(T0, 3, Ipv6Cidr::new(g4, 64), AddrFlags::default(), &cnf_dad, &mut rng).unwrap();
    assert_eq!(ac.select_source(g4, None), Some(g3));
}

#[test]
fn mldv1_when_forced() {
    // force_mld_version = 1: igmp6_join_group sends a v1 report at once and repeats it; no
    // MLDv2 and no resend at DAD completion (mld_send_initial_cr returns in v1 mode).
    let cnf = Ipv6DevCnf { force_mld_version: 1, ..Ipv6DevCnf::default() };
    let mut d = Drive::new(21, cnf);
    d.up(T0, Carrier::On);
    d.run_until(T0 + 20 * SEC);
    let kinds: Vec<Pkt> = d.kinds().into_iter().map(|k| k.2).collect();
    assert_eq!(kinds.iter().filter(|k| **k == Pkt::Other(131)).count(), 2);
    assert!(!kinds.iter().any(|k| matches!(k, Pkt::Mld2(..))));
    assert_eq!(d.sent[0].1, 86);
}
