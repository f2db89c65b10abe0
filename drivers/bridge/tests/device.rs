//! The bridge device (kernel-l2.md §4.1, §4.9 bridge-wide options): `br_dev_setup`'s defaults,
//! `br_dev_newlink` with options, `br_changelink`'s checks in order, `br_fill_info`, the
//! netns-immutable flag, `br_dev_delete` and `br_net_exit_rtnl`.

mod common;

use common::{bridge, bridge_set, netns, up, world};
use netdev_bridge::{ArgError, StpMode, parse_bridge_args};
use netdev_core::{AddrAssign, Errno, Features, IfFlags, MacAddr, NetnsId, Operstate, PrivFlags};

fn kind_line(w: &netdev_core::World, dev: &netdev_core::NetDevice) -> String {
    let r = w.rtnl();
    let mut s = String::new();
    r.kind("bridge").unwrap().fill_info(dev, &mut s).unwrap();
    s
}

/// `br_dev_setup`: Ethernet with a random MAC, `IFF_EBRIDGE | IFF_NO_QUEUE` only, netns
/// immutable, MTU 68..65535; a fresh bridge (no MAC given) keeps its carrier, so up it shows
/// `LOWER_UP` and `state UNKNOWN`; its bridge id is still all zero.
#[test]
fn setup_defaults() {
    let w = world();
    let br = bridge(&w, NetnsId::INIT, "br0", None, &[]).unwrap();
    assert_eq!(br.kind(), "bridge");
    assert_eq!(br.addr_assign_type(), AddrAssign::Random);
    assert!(br.address().is_valid());
    assert_eq!(br.priv_flags(), PrivFlags::EBRIDGE | PrivFlags::NO_QUEUE);
    assert!(br.netns_immutable());
    assert_eq!((br.mtu(), br.min_mtu(), br.max_mtu()), (1500, 68, 65535));
    assert!(br.features().contains(Features::HW_VLAN_CTAG_TX | Features::SG));
    assert_eq!(br.flags(), IfFlags::BROADCAST | IfFlags::MULTICAST);
    up(&w, &[&br]);
    assert!(br.flags().contains(IfFlags::UP | IfFlags::LOWER_UP | IfFlags::RUNNING));
    assert_eq!(br.operstate(), Operstate::Unknown);
    assert_eq!(br.qdisc().name(), "noqueue");
    let i = netdev_bridge::info(&br).unwrap();
    assert_eq!(i.bridge_id.iproute2(), "8000.0:0:0:0:0:0");
    assert_eq!(i.gc_timer, 10, "the gc starts 100 ms after the bridge comes up");
    assert!(
        kind_line(&w, &br).starts_with("forward_delay 1500 hello_time 200 max_age 2000 ageing_time 30000 stp_state 0 ")
    );
    // ip link set br0 netns X: "The interface netns is immutable".
    let ns = netns(&w, "other");
    let e = w.rtnl().change_netns(&br, ns, None, None).unwrap_err();
    assert_eq!((e.errno(), e.extack()), (Errno::Einval, Some("The interface netns is immutable")));
}

/// `br_dev_newlink` + `br_changelink`: the options land in `br_fill_info` (centiseconds), and
/// the STP timers, priority and group mask show in `ip -d link`.
#[test]
fn newlink_with_options() {
    let w = world();
    let args = [
        "forward_delay",
        "500",
        "hello_time",
        "300",
        "max_age",
        "1000",
        "ageing_time",
        "1000",
        "stp_state",
        "1",
        "priority",
        "4096",
        "group_fwd_mask",
        "0x4000",
        "mcast_snooping",
        "0",
        "mcast_igmp_version",
        "3",
        "group_address",
        "01:80:c2:00:00:0e",
        "no_linklocal_learn",
        "1",
    ];
    let br = bridge(&w, NetnsId::INIT, "br0", Some(MacAddr([2, 0, 0, 0, 0, 0x42])), &args).unwrap();
    let i = netdev_bridge::info(&br).unwrap();
    assert_eq!((i.forward_delay, i.hello_time, i.max_age, i.ageing_time), (500, 300, 1000, 1000));
    assert_eq!((i.stp_state, i.priority, i.group_fwd_mask), (StpMode::Kernel as u32, 4096, 0x4000));
    assert_eq!(i.group_addr, MacAddr([1, 0x80, 0xc2, 0, 0, 0x0e]));
    assert_eq!((i.mcast.mcast_snooping, i.mcast.mcast_igmp_version), (0, 3));
    assert!(i.no_linklocal_learn);
    let line = kind_line(&w, &br);
    assert!(line.contains(" stp_state 1 priority 4096 vlan_filtering 0 bridge_id 1000.2:0:0:0:0:42 "), "{line}");
    assert!(
        line.contains(" group_fwd_mask 0x4000 group_address 01:80:c2:00:00:0e mcast_snooping 0 no_linklocal_learn 1 ")
    );
    assert!(line.ends_with("nf_call_arptables 0 "));
}

/// `br_changelink`'s checks: ERANGE for STP timers out of range (forward_delay only while STP
/// runs), EINVAL for a restricted group mask or group address, EOPNOTSUPP for `vlan_filtering`
/// on a kernel without it, EINVAL for IGMP/MLD versions; an error keeps what came before it.
#[test]
fn changelink_checks_in_kernel_order() {
    let w = world();
    let br = bridge(&w, NetnsId::INIT, "br0", None, &[]).unwrap();
    for (args, errno) in [
        (&["hello_time", "50"][..], Errno::Erange),
        (&["hello_time", "1001"][..], Errno::Erange),
        (&["max_age", "599"][..], Errno::Erange),
        (&["max_age", "4001"][..], Errno::Erange),
        (&["group_fwd_mask", "1"][..], Errno::Einval),
        (&["group_address", "01:80:c2:00:00:01"][..], Errno::Einval),
        (&["group_address", "01:80:c2:00:00:03"][..], Errno::Einval),
        (&["group_address", "01:80:c2:00:01:00"][..], Errno::Einval),
        (&["vlan_filtering", "0"][..], Errno::Eopnotsupp),
        (&["mcast_igmp_version", "1"][..], Errno::Einval),
        (&["mcast_mld_version", "3"][..], Errno::Einval),
        (&["mcast_router", "3"][..], Errno::Einval),
    ] {
        assert_eq!(bridge_set(&w, &br, args), Err(errno.into()), "{args:?}");
    }
    // With STP off any forward delay goes; with STP on it must be 2..30 s.
    bridge_set(&w, &br, &["forward_delay", "100"]).unwrap();
    bridge_set(&w, &br, &["stp_state", "1"]).unwrap();
    assert_eq!(netdev_bridge::info(&br).unwrap().forward_delay, 200, "br_stp_start clamps it to 2 s");
    assert_eq!(bridge_set(&w, &br, &["forward_delay", "3001"]), Err(Errno::Erange.into()));
    bridge_set(&w, &br, &["stp_state", "0", "forward_delay", "0"]).unwrap_err();
    // forward_delay is applied before stp_state: ERANGE while STP is still on, nothing changed.
    assert_eq!(netdev_bridge::info(&br).unwrap().stp_state, 1);
    bridge_set(&w, &br, &["stp_state", "0"]).unwrap();
    bridge_set(&w, &br, &["forward_delay", "0"]).unwrap();
    // An error stops the list but keeps what was applied before it.
    assert_eq!(bridge_set(&w, &br, &["ageing_time", "1234", "group_fwd_mask", "7"]), Err(Errno::Einval.into()));
    assert_eq!(netdev_bridge::info(&br).unwrap().ageing_time, 1234);
    // A failed newlink deletes the bridge again.
    assert_eq!(bridge(&w, NetnsId::INIT, "br1", None, &["hello_time", "0"]).unwrap_err(), Errno::Erange);
    assert!(w.rtnl().dev_by_name(NetnsId::INIT, "br1").is_none());
    // ageing_time 0 is fine (never age, never learn); query intervals have a 1 s floor.
    bridge_set(&w, &br, &["ageing_time", "0", "mcast_query_interval", "10"]).unwrap();
    let i = netdev_bridge::info(&br).unwrap();
    assert_eq!((i.ageing_time, i.mcast.mcast_query_interval), (0, 100));
}

/// iproute2's `bridge_parse_opt` messages.
#[test]
fn argument_errors_read_like_iproute2() {
    assert_eq!(
        parse_bridge_args(&["hello_time", "x"]).unwrap_err().to_string(),
        "Error: argument \"x\" is wrong: invalid hello_time"
    );
    assert_eq!(
        parse_bridge_args(&["nonsense"]).unwrap_err(),
        ArgError::Unknown { kind: "bridge", word: "nonsense".into() }
    );
    let w = world();
    let e =
        w.rtnl().link_add("bridge", &netdev_core::NewLink::in_netns(NetnsId::INIT), &["stp_state", "on"]).unwrap_err();
    assert_eq!((e.errno(), e.extack()), (Errno::Einval, Some("invalid stp_state")));
}

/// `br_dev_delete` and `br_net_exit_rtnl`: deleting the bridge releases its ports; deleting its
/// namespace deletes it.
#[test]
fn delete_and_namespace_exit() {
    let w = world();
    let ns = netns(&w, "sw");
    let br = bridge(&w, ns, "br0", None, &[]).unwrap();
    let d = common::bridge(&w, ns, "br1", None, &[]).unwrap();
    let dummy = {
        let req = netdev_core::NewLink { name: Some("d0".into()), ..netdev_core::NewLink::in_netns(ns) };
        w.rtnl().newlink("dummy", &req, &(Box::new(()) as netdev_core::KindConfig)).unwrap()
    };
    common::enslave(&w, &dummy, &br).unwrap();
    assert_eq!(netdev_bridge::port_info(&dummy).unwrap().cost, 100, "no link speed: cost 100");
    w.rtnl().dellink(&br).unwrap();
    assert!(dummy.master().is_none());
    assert_eq!(dummy.reg_state(), netdev_core::RegState::Registered);
    common::enslave(&w, &dummy, &d).unwrap();
    w.rtnl().netns_del(ns).unwrap();
    assert_eq!(d.reg_state(), netdev_core::RegState::Unregistered);
    assert_eq!(dummy.reg_state(), netdev_core::RegState::Unregistered);
    assert_eq!(w.timers_armed(), 0, "no timer outlives its bridge");
}
