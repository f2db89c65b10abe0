//! Bad input of any kind gets an error or a counted drop, never a panic, and loses nothing:
//! random argument vectors through the parser into newlink and changelink, random bytes through
//! every receive and transmit path of a port with siblings in every mode.

mod common;

use std::sync::Arc;

use common::{Sink, mac, req, send, settle};
use netdev_core::{MacAddr, NetDevice, NetnsId};
use netdev_macvlan::{MacvlanConfig, MacvlanMode, changelink, info, parse};
use proptest::prelude::*;

const WORDS: &[&str] = &[
    "mode",
    "private",
    "vepa",
    "bridge",
    "passthru",
    "source",
    "flag",
    "nopromisc",
    "nodst",
    "null",
    "macaddr",
    "add",
    "del",
    "set",
    "flush",
    "bcqueuelen",
    "0",
    "1",
    "4294967295",
    "0x10",
    "-1",
    "02:00:00:00:00:01",
    "01:00:5e:00:00:01",
    "00:00:00:00:00:00",
    "zz",
    "m",
    "mo",
    "b",
    "help",
    "",
];

fn words() -> impl Strategy<Value = Vec<String>> {
    prop::collection::vec(
        prop_oneof![4 => prop::sample::select(WORDS).prop_map(String::from), 1 => "[a-z0-9:]{0,8}"],
        0..10,
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    /// macvlan_parse_opt, macvlan_validate, macvlan_common_newlink, macvlan_changelink: any
    /// argument vector either fails cleanly or gives a device `ip -d link` can print; a failed
    /// creation leaves no port behind when none was there.
    #[test]
    fn arguments_never_panic(args in words(), args2 in words()) {
        let w = common::world(61);
        let mut r = w.rtnl();
        let (a, _b) = common::veth(&mut r, NetnsId::INIT, "a", NetnsId::INIT, "b");
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        let q = req(NetnsId::INIT, "m0", &a, None);
        match r.link_add("macvlan", &q, &refs) {
            Ok(d) => {
                let i = info(&d).unwrap();
                prop_assert_eq!(i.lower_ifindex, a.ifindex());
                let refs2: Vec<&str> = args2.iter().map(String::as_str).collect();
                if let Ok(c) = parse(&refs2) {
                    let _ = changelink(&mut r, &d, &c);
                }
                let _ = r.set_up(&d, true);
                let mut s = String::new();
                d.link_kind().unwrap().fill_info(&d, &mut s).unwrap();
                prop_assert!(s.starts_with("mode "));
                r.dellink(&d).unwrap();
            }
            Err(e) => {
                prop_assert!(e.errno().code() > 0);
                prop_assert!(r.dev_by_name(NetnsId::INIT, "m0").is_none());
            }
        }
        // (The lower's promiscuity may stay raised: toggling NOPROMISC on a passthru macvlan
        // that is down moves it too, as macvlan_changelink does.)
        prop_assert!(!a.has_rx_handler());
    }

    /// macvlan_handle_frame and macvlan_queue_xmit on arbitrary bytes (runts, any addresses,
    /// the siblings' own MACs as sources): no panic, and every packet and clone accounted for.
    #[test]
    fn random_frames_are_accounted_for(
        frames in prop::collection::vec(
            (0usize..6, prop::collection::vec(any::<u8>(), 0..80), 0usize..8, 0usize..8),
            1..40,
        )
    ) {
        let w = common::world(62);
        let (ns_a, ns_b) = {
            let mut r = w.rtnl();
            (r.netns_add("A").unwrap(), r.netns_add("B").unwrap())
        };
        let (a, b) = common::veth(&mut w.rtnl(), ns_a, "a", ns_b, "b");
        let _sa = Sink::install(&w, ns_a);
        let _sb = Sink::install(&w, ns_b);
        let modes = [MacvlanMode::Private, MacvlanMode::Vepa, MacvlanMode::Bridge, MacvlanMode::Source];
        let devs: Vec<Arc<NetDevice>> = {
            let mut r = w.rtnl();
            let devs: Vec<Arc<NetDevice>> =
                modes.iter().enumerate().map(|(i, &m)| common::mv(&mut r, &format!("m{i}"), &a, mac(i as u8), m)).collect();
            netdev_macvlan::macaddr(&mut r, &devs[3], &netdev_macvlan::MacaddrOp::Set(vec![mac(0)])).unwrap();
            let c = MacvlanConfig { bc_queue_len: Some(3), ..MacvlanConfig::default() };
            for d in &devs {
                changelink(&mut r, d, &c).unwrap();
            }
            devs
        };
        let addrs = [mac(0), mac(1), mac(2), mac(3), a.address(), MacAddr::BROADCAST, MacAddr([1, 0, 0x5e, 0, 0, 1]), mac(0x99)];
        let mut cpu = w.cpu(0).unwrap();
        let mut sent = 0u64;
        for (k, (who, mut bytes, d, s)) in frames.into_iter().enumerate() {
            if bytes.len() >= 12 {
                bytes[..6].copy_from_slice(&addrs[d].octets());
                bytes[6..12].copy_from_slice(&addrs[s].octets());
            }
            let dev = match who {
                0 | 1 => &b,
                2 => &a,
                i => &devs[i - 2],
            };
            send(&mut cpu, dev, &bytes);
            sent += 1;
            if k % 3 == 0 {
                settle(&mut cpu);
            }
        }
        settle(&mut cpu);
        drop(cpu);
        prop_assert_eq!(w.total_consumed() + w.total_drops(), sent + w.total_cloned(), "{:?}", w.drop_counts());
    }
}
