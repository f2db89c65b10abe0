//! The packets addrconf sends by itself, byte for byte as Linux builds them, and the address
//! arithmetic they need.
//!
//! Every builder returns the whole IPv6 packet (no link-layer header). Headers and checksums go
//! through `smoltcp::wire`; smoltcp's NDISC types need `medium-ethernet`, which this crate does
//! not enable, so the Neighbour Discovery bodies (RFC 4861 section 4) are laid out here.
//!
//! What the kernel puts in the fixed fields, verified in the source:
//! * IPv6 header: traffic class 0 and flow label 0 for all of them (`ip6_flow_hdr(hdr, 0, 0)` in
//!   `ip6_mc_hdr`, net/ipv6/mcast.c, and in `ip6_nd_hdr`, net/ipv6/ndisc.c, whose sockets have
//!   tclass 0); the golden capture prints no `flowlabel` for them, which is tcpdump's way of
//!   saying 0. Hop limit 1 for MLD (`igmp6_net_init` sets the igmp socket's hop limit) and 255
//!   for ND.
//! * MLD: a Hop-by-Hop header `[58, 0, 5, 2, 0, 0, 1, 0]` (router alert "MLD", PadN) as the
//!   `ra[]` array of `mld_newpack` and `igmp6_send`.
//! * ND options: 8 bytes each, source/target link-layer address as `ndisc_fill_addr_option` for
//!   Ethernet, nonce (type 14, length 1, six bytes) as `ndisc_ns_create`.

use std::net::Ipv6Addr;

use smoltcp::wire::{
    Icmpv6Message, Icmpv6Packet, IpProtocol, Ipv6ExtHeader, Ipv6ExtHeaderRepr, Ipv6HopByHopHeader, Ipv6HopByHopRepr,
    Ipv6Packet, Ipv6Repr, MldAddressRecordRepr, MldRecordType, MldRepr,
};

/// `in6addr_linklocal_allnodes`, ff02::1.
pub(crate) const ALL_NODES: Ipv6Addr = Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 1);
/// `in6addr_interfacelocal_allnodes`, ff01::1.
pub(crate) const NODE_LOCAL_ALL_NODES: Ipv6Addr = Ipv6Addr::new(0xff01, 0, 0, 0, 0, 0, 0, 1);
/// `in6addr_linklocal_allrouters`, ff02::2.
pub(crate) const ALL_ROUTERS: Ipv6Addr = Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 2);
/// `in6addr_interfacelocal_allrouters`, ff01::2.
pub(crate) const NODE_LOCAL_ALL_ROUTERS: Ipv6Addr = Ipv6Addr::new(0xff01, 0, 0, 0, 0, 0, 0, 2);
/// `in6addr_sitelocal_allrouters`, ff05::2.
pub(crate) const SITE_LOCAL_ALL_ROUTERS: Ipv6Addr = Ipv6Addr::new(0xff05, 0, 0, 0, 0, 0, 0, 2);
/// `mld2_all_mcr`, ff02::16: where MLDv2 reports go.
pub(crate) const ALL_MLDV2_ROUTERS: Ipv6Addr = Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 0x16);

/// Length of the fixed IPv6 header.
pub(crate) const IPV6_HEADER_LEN: usize = 40;
/// The Hop-by-Hop header every MLD message carries.
const MLD_HBH: [u8; 8] = [58, 0, 5, 2, 0, 0, 1, 0];
/// One MLDv2 multicast address record without sources.
pub(crate) const MLD2_GREC_LEN: usize = 20;
/// The MLDv2 report header (type, code, checksum, reserved, record count).
const MLD2_REPORT_HEADER_LEN: usize = 8;
/// Bytes of an IPv6 MLDv2 report before its records.
pub(crate) const MLD2_REPORT_OVERHEAD: usize = IPV6_HEADER_LEN + MLD_HBH.len() + MLD2_REPORT_HEADER_LEN;

/// ICMPv6 type of an MLDv1 report (`ICMPV6_MGM_REPORT`).
pub(crate) const ICMPV6_MGM_REPORT: u8 = 131;
/// ICMPv6 type of an MLDv1 done (`ICMPV6_MGM_REDUCTION`).
pub(crate) const ICMPV6_MGM_REDUCTION: u8 = 132;

/// `ND_OPT_SOURCE_LL_ADDR`.
const ND_OPT_SOURCE_LL_ADDR: u8 = 1;
/// `ND_OPT_TARGET_LL_ADDR`.
const ND_OPT_TARGET_LL_ADDR: u8 = 2;
/// `ND_OPT_NONCE` (RFC 7527).
pub(crate) const ND_OPT_NONCE: u8 = 14;

/// MLDv2 record types (RFC 3810 section 5.2.12) the kernel sends unsolicited.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Mld2Record {
    /// `MLD2_CHANGE_TO_INCLUDE` (3): a group was left.
    ChangeToInclude,
    /// `MLD2_CHANGE_TO_EXCLUDE` (4): a group was joined (any source).
    ChangeToExclude,
    /// `MLD2_MODE_IS_EXCLUDE` (2): current state, as `mld_send_report` answers.
    ModeIsExclude,
}

/// The Ethernet destination of an IPv6 multicast packet, `ipv6_eth_mc_map`: 33:33 and the low 32
/// bits of the group.
pub(crate) fn multicast_mac(group: Ipv6Addr) -> [u8; 6] {
    let o = group.octets();
    [0x33, 0x33, o[12], o[13], o[14], o[15]]
}

/// The solicited-node multicast group of `addr`, `addrconf_addr_solict_mult`: ff02::1:ffXX:XXXX.
pub(crate) fn solicited_node(addr: Ipv6Addr) -> Ipv6Addr {
    let o = addr.octets();
    let mut m = [0u8; 16];
    m[0] = 0xff;
    m[1] = 0x02;
    m[11] = 0x01;
    m[12] = 0xff;
    m[13..].copy_from_slice(&o[13..]);
    Ipv6Addr::from(m)
}

/// The EUI-64 link-local address of an Ethernet device, `addrconf_ifid_eui48`: the MAC split by
/// ff:fe with the universal/local bit flipped, under fe80::/64.
pub(crate) fn eui64_link_local(mac: [u8; 6]) -> Ipv6Addr {
    let mut a = [0u8; 16];
    a[0] = 0xfe;
    a[1] = 0x80;
    a[8] = mac[0] ^ 0x02;
    a[9] = mac[1];
    a[10] = mac[2];
    a[11] = 0xff;
    a[12] = 0xfe;
    a[13..].copy_from_slice(&mac[3..]);
    Ipv6Addr::from(a)
}

/// A zeroed buffer with the IPv6 header of a kernel-originated packet written.
fn ipv6(src: Ipv6Addr, dst: Ipv6Addr, next_header: IpProtocol, hop_limit: u8, payload_len: usize) -> Vec<u8> {
    let mut buf = vec![0u8; IPV6_HEADER_LEN + payload_len];
    let repr = Ipv6Repr { src_addr: src, dst_addr: dst, next_header, payload_len, hop_limit };
    repr.emit(&mut Ipv6Packet::new_unchecked(&mut buf[..]));
    buf
}

/// The Hop-by-Hop header with the MLD router alert, written through smoltcp (`mld_newpack`'s
/// `ra[]`).
fn emit_mld_hbh(buf: &mut [u8]) {
    let ext = Ipv6ExtHeaderRepr { next_header: IpProtocol::Icmpv6, length: 0, data: &[] };
    ext.emit(&mut Ipv6ExtHeader::new_unchecked(&mut buf[..2]));
    let mut hbh = Ipv6HopByHopRepr::mldv2_router_alert();
    hbh.push_padn_option(0);
    hbh.emit(&mut Ipv6HopByHopHeader::new_unchecked(&mut buf[2..MLD_HBH.len()]));
}

/// An MLDv2 report to ff02::16 with one record (no sources) per group, `mld_newpack` plus
/// `add_grhead` and `mld_sendpack`.
pub(crate) fn mld2_report(src: Ipv6Addr, records: &[(Mld2Record, Ipv6Addr)]) -> Vec<u8> {
    let body = MLD2_REPORT_HEADER_LEN + MLD2_GREC_LEN * records.len();
    let mut buf = ipv6(src, ALL_MLDV2_ROUTERS, IpProtocol::HopByHop, 1, MLD_HBH.len() + body);
    emit_mld_hbh(&mut buf[IPV6_HEADER_LEN..]);
    let reprs: Vec<MldAddressRecordRepr<'_>> = records
        .iter()
        .map(|&(kind, group)| {
            let t = match kind {
                Mld2Record::ChangeToInclude => MldRecordType::ChangeToInclude,
                Mld2Record::ChangeToExclude => MldRecordType::ChangeToExclude,
                Mld2Record::ModeIsExclude => MldRecordType::ModeIsExclude,
            };
            MldAddressRecordRepr::new(t, group)
        })
        .collect();
    let mut icmp = Icmpv6Packet::new_unchecked(&mut buf[IPV6_HEADER_LEN + MLD_HBH.len()..]);
    MldRepr::ReportRecordReprs(&reprs).emit(&mut icmp);
    icmp.fill_checksum(&src, &ALL_MLDV2_ROUTERS);
    buf
}

/// An MLDv1 report or done, `igmp6_send`: reports go to the group, dones to ff02::2.
pub(crate) fn mld1(src: Ipv6Addr, msg_type: u8, group: Ipv6Addr) -> Vec<u8> {
    let dst = if msg_type == ICMPV6_MGM_REDUCTION { ALL_ROUTERS } else { group };
    let mut buf = ipv6(src, dst, IpProtocol::HopByHop, 1, MLD_HBH.len() + 24);
    emit_mld_hbh(&mut buf[IPV6_HEADER_LEN..]);
    let icmp_at = IPV6_HEADER_LEN + MLD_HBH.len();
    buf[icmp_at] = msg_type;
    buf[icmp_at + 8..icmp_at + 24].copy_from_slice(&group.octets());
    Icmpv6Packet::new_unchecked(&mut buf[icmp_at..]).fill_checksum(&src, &dst);
    buf
}

/// An ND message: ICMPv6 `msg_type`, the 4-byte flags/reserved word, an optional target and the
/// options; `ndisc_send_skb` computes the checksum over all of it.
fn nd(
    src: Ipv6Addr,
    dst: Ipv6Addr,
    msg_type: Icmpv6Message,
    flags: u8,
    target: Option<Ipv6Addr>,
    opts: &[[u8; 8]],
) -> Vec<u8> {
    let len = 8 + if target.is_some() { 16 } else { 0 } + 8 * opts.len();
    let mut buf = ipv6(src, dst, IpProtocol::Icmpv6, 255, len);
    let body = &mut buf[IPV6_HEADER_LEN..];
    body[0] = u8::from(msg_type);
    body[4] = flags;
    let mut at = 8;
    if let Some(t) = target {
        body[at..at + 16].copy_from_slice(&t.octets());
        at += 16;
    }
    for opt in opts {
        body[at..at + 8].copy_from_slice(opt);
        at += 8;
    }
    Icmpv6Packet::new_unchecked(&mut buf[IPV6_HEADER_LEN..]).fill_checksum(&src, &dst);
    buf
}

fn ll_option(kind: u8, mac: [u8; 6]) -> [u8; 8] {
    [kind, 1, mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]]
}

/// A Neighbour Solicitation, `ndisc_ns_create`: the source link-layer option only when the source
/// is specified and the device has an address, then the nonce option when the nonce is set.
pub(crate) fn ns(
    src: Ipv6Addr,
    dst: Ipv6Addr,
    target: Ipv6Addr,
    mac: Option<[u8; 6]>,
    nonce: Option<[u8; 6]>,
) -> Vec<u8> {
    let mut opts = Vec::new();
    if let Some(m) = mac.filter(|_| !src.is_unspecified()) {
        opts.push(ll_option(ND_OPT_SOURCE_LL_ADDR, m));
    }
    if let Some(n) = nonce {
        opts.push([ND_OPT_NONCE, 1, n[0], n[1], n[2], n[3], n[4], n[5]]);
    }
    nd(src, dst, Icmpv6Message::NeighborSolicit, 0, Some(target), &opts)
}

/// A Router Solicitation to ff02::2, `ndisc_send_rs`: with the source link-layer option when the
/// device has a link-layer address (`send_sllao = dev->addr_len`).
pub(crate) fn rs(src: Ipv6Addr, mac: Option<[u8; 6]>) -> Vec<u8> {
    let opts: Vec<[u8; 8]> = mac.map(|m| ll_option(ND_OPT_SOURCE_LL_ADDR, m)).into_iter().collect();
    nd(src, ALL_ROUTERS, Icmpv6Message::RouterSolicit, 0, None, &opts)
}

/// A Neighbour Advertisement, `ndisc_send_na`: `flags` holds router (0x80), solicited (0x40)
/// and override (0x20); the target link-layer option when the device has an address.
pub(crate) fn na(src: Ipv6Addr, dst: Ipv6Addr, target: Ipv6Addr, flags: u8, mac: Option<[u8; 6]>) -> Vec<u8> {
    let opts: Vec<[u8; 8]> = mac.map(|m| ll_option(ND_OPT_TARGET_LL_ADDR, m)).into_iter().collect();
    nd(src, dst, Icmpv6Message::NeighborAdvert, flags, Some(target), &opts)
}

/// An unsolicited Neighbour Advertisement to ff02::1 (`ndisc_send_na` as `addrconf_dad_completed`
/// calls it when `ndisc_notify` is set): override, router if forwarding.
pub(crate) fn unsolicited_na(target: Ipv6Addr, router: bool, mac: Option<[u8; 6]>) -> Vec<u8> {
    let flags = if router { 0x80 } else { 0 } | 0x20;
    na(target, ALL_NODES, target, flags, mac)
}

#[cfg(test)]
mod tests {
    use smoltcp::wire::{Icmpv6Packet, Ipv6Packet, MldAddressRecord, MldRepr, checksum};

    use super::*;

    const LL_A: Ipv6Addr = Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0xff, 0xfe00, 0x0a);

    fn verify(pkt: &[u8]) -> (Ipv6Packet<&[u8]>, usize) {
        let ip = Ipv6Packet::new_checked(pkt).unwrap();
        assert_eq!(ip.version(), 6);
        assert_eq!(ip.traffic_class(), 0);
        assert_eq!(ip.flow_label(), 0);
        assert_eq!(usize::from(ip.payload_len()), pkt.len() - IPV6_HEADER_LEN);
        let icmp_at = if ip.next_header() == IpProtocol::HopByHop { IPV6_HEADER_LEN + 8 } else { IPV6_HEADER_LEN };
        let icmp = &pkt[icmp_at..];
        let len = u32::try_from(icmp.len()).unwrap();
        let pseudo = checksum::pseudo_header_v6(&ip.src_addr(), &ip.dst_addr(), IpProtocol::Icmpv6, len);
        assert_eq!(checksum::combine(&[pseudo, checksum::data(icmp)]), 0xffff);
        (ip, icmp_at)
    }

    #[test]
    fn eui64_of_the_golden_macs() {
        // addrconf_ifid_eui48; golden `ip addr`: fe80::ff:fe00:a and fe80::ff:fe00:b.
        assert_eq!(eui64_link_local([2, 0, 0, 0, 0, 0x0a]), LL_A);
        assert_eq!(eui64_link_local([2, 0, 0, 0, 0, 0x0b]).to_string(), "fe80::ff:fe00:b");
        assert_eq!(eui64_link_local([0x52, 0x54, 0, 0x12, 0x34, 0x56]).to_string(), "fe80::5054:ff:fe12:3456");
        assert_eq!(solicited_node(LL_A).to_string(), "ff02::1:ff00:a");
        assert_eq!(multicast_mac(solicited_node(LL_A)), [0x33, 0x33, 0xff, 0, 0, 0x0a]);
        assert_eq!(multicast_mac(ALL_MLDV2_ROUTERS), [0x33, 0x33, 0, 0, 0, 0x16]);
    }

    #[test]
    fn mld2_report_matches_the_capture() {
        // capture.txt: "length 90: (hlim 1, next-header Options (0) payload length: 36) :: >
        // ff02::16: HBH (rtalert: 0x0000) (padn) ... 1 group record(s) [gaddr ff02::1:ff00:a to_ex { }]"
        let group = solicited_node(LL_A);
        let pkt = mld2_report(Ipv6Addr::UNSPECIFIED, &[(Mld2Record::ChangeToExclude, group)]);
        assert_eq!(14 + pkt.len(), 90);
        let (ip, at) = verify(&pkt);
        assert_eq!(ip.hop_limit(), 1);
        assert_eq!(ip.payload_len(), 36);
        assert_eq!(ip.dst_addr(), ALL_MLDV2_ROUTERS);
        assert_eq!(&pkt[40..48], &MLD_HBH);
        let icmp = Icmpv6Packet::new_checked(&pkt[at..]).unwrap();
        match MldRepr::parse(&icmp).unwrap() {
            MldRepr::Report { nr_mcast_addr_rcrds, data } => {
                assert_eq!(nr_mcast_addr_rcrds, 1);
                let rec = MldAddressRecord::new_checked(data).unwrap();
                assert_eq!(rec.record_type(), MldRecordType::ChangeToExclude);
                assert_eq!(rec.num_srcs(), 0);
                assert_eq!(rec.mcast_addr(), group);
            }
            other => panic!("{other:?}"),
        }
        // Two records: 20 more bytes.
        let two =
            mld2_report(LL_A, &[(Mld2Record::ChangeToInclude, group), (Mld2Record::ChangeToExclude, ALL_ROUTERS)]);
        assert_eq!(two.len(), pkt.len() + MLD2_GREC_LEN);
        verify(&two);
    }

    #[test]
    fn dad_ns_matches_the_capture() {
        // "length 86: (hlim 255, next-header ICMPv6 (58) payload length: 32) :: > ff02::1:ff00:a:
        // neighbor solicitation, who has fe80::ff:fe00:a / unknown option (14), length 8 (1):
        // 1221 0c73 dd72"
        let nonce = [0x12, 0x21, 0x0c, 0x73, 0xdd, 0x72];
        let pkt = ns(Ipv6Addr::UNSPECIFIED, solicited_node(LL_A), LL_A, Some([2, 0, 0, 0, 0, 0x0a]), Some(nonce));
        assert_eq!(14 + pkt.len(), 86);
        let (ip, _) = verify(&pkt);
        assert_eq!((ip.hop_limit(), ip.payload_len()), (255, 32));
        assert_eq!(pkt[40], 135);
        assert_eq!(&pkt[48..64], &LL_A.octets());
        assert_eq!(&pkt[64..72], &[14, 1, 0x12, 0x21, 0x0c, 0x73, 0xdd, 0x72]);
        // A resolution NS from a real source carries the source link-layer option (86 bytes too).
        let res = ns(LL_A, solicited_node(LL_A), LL_A, Some([2, 0, 0, 0, 0, 0x0a]), None);
        assert_eq!(&res[64..72], &[1, 1, 2, 0, 0, 0, 0, 0x0a]);
        verify(&res);
    }

    #[test]
    fn rs_matches_the_capture() {
        // "length 70: ... fe80::ff:fe00:a > ff02::2: router solicitation, length 16 / source
        // link-address option (1), length 8 (1): 02:00:00:00:00:0a"
        let pkt = rs(LL_A, Some([2, 0, 0, 0, 0, 0x0a]));
        assert_eq!(14 + pkt.len(), 70);
        let (ip, _) = verify(&pkt);
        assert_eq!((ip.hop_limit(), ip.dst_addr()), (255, ALL_ROUTERS));
        assert_eq!(&pkt[40..56], &[133, 0, pkt[42], pkt[43], 0, 0, 0, 0, 1, 1, 2, 0, 0, 0, 0, 0x0a]);
        assert_eq!(rs(LL_A, None).len(), 48);
    }

    #[test]
    fn mld1_and_na_checksums_verify() {
        let group = solicited_node(LL_A);
        let report = mld1(LL_A, ICMPV6_MGM_REPORT, group);
        assert_eq!(14 + report.len(), 86);
        assert_eq!(verify(&report).0.dst_addr(), group);
        let done = mld1(LL_A, ICMPV6_MGM_REDUCTION, group);
        assert_eq!(verify(&done).0.dst_addr(), ALL_ROUTERS);
        let na = unsolicited_na(LL_A, false, Some([2, 0, 0, 0, 0, 0x0a]));
        assert_eq!(14 + na.len(), 86);
        assert_eq!(na[44], 0x20);
        verify(&na);
    }
}
