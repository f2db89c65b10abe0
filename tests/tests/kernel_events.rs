//! Kernel-faithfulness scenarios for the core's events: the netdev notifier chain (order,
//! vetoes, rollbacks) and the rtnetlink messages on the bus (reference `kernel-l2.md` §1.4,
//! §1.17, §2.2). Each test names the kernel function whose behaviour it pins.

use netdev_core::netlink::{LinkMsg, NetlinkSocket, RTM_DELLINK, RTM_NEWLINK, RTMGRP_LINK};
use netdev_core::{Errno, NetnsId, RegState, Result};
use vnet_tests::{Recorder, dummy, up, veth_pair, world};

const INIT: NetnsId = NetnsId::INIT;

fn errno<T: std::fmt::Debug>(r: Result<T>) -> Errno {
    r.expect_err("the call must fail").errno()
}

fn link_msgs(sock: &NetlinkSocket) -> Vec<LinkMsg> {
    sock.drain().iter().map(|m| LinkMsg::parse(m).expect("a well-formed link message")).collect()
}

/// `dev.c:__dev_open` (NETDEV_PRE_UP may veto, then NETDEV_UP), `__dev_close_many`
/// (GOING_DOWN, DOWN) and `register_netdevice`/`unregister_netdevice_many_notify`.
#[test]
fn notifier_order_up_down_and_veto() {
    let w = world(1);
    let rec = Recorder::install(&w);
    let d = dummy(&w, INIT, "d0").unwrap();
    let ev = rec.take();
    assert_eq!(ev.len(), 1);
    assert_eq!((ev[0].name, ev[0].reg_state), ("NETDEV_REGISTER", RegState::Registered));
    let d0 = |e: &'static str| (e, "d0".to_string());
    up(&w, &[&d]);
    assert_eq!(rec.take_names(), [d0("NETDEV_PRE_UP"), d0("NETDEV_UP")]);
    up(&w, &[&d]);
    assert!(rec.take().is_empty(), "already up: nothing");
    w.rtnl().set_up(&d, false).unwrap();
    assert_eq!(rec.take_names(), [d0("NETDEV_GOING_DOWN"), d0("NETDEV_DOWN")]);
    rec.set_veto(Some(("NETDEV_PRE_UP", Errno::Eperm)));
    assert_eq!(errno(w.rtnl().set_up(&d, true)), Errno::Eperm);
    assert!(!d.is_up() && !d.is_running(), "a vetoed open leaves the device down");
    assert_eq!(rec.take_names(), [d0("NETDEV_PRE_UP")]);
    rec.set_veto(None);
    up(&w, &[&d]);
    rec.take();
    w.rtnl().dellink(&d).unwrap();
    let ev = rec.take();
    let seq: Vec<_> = ev.iter().map(|e| e.name).collect();
    assert_eq!(seq, ["NETDEV_GOING_DOWN", "NETDEV_DOWN", "NETDEV_UNREGISTER"]);
    assert_eq!(ev[2].reg_state, RegState::Unregistering);
}

/// `dev.c:__dev_change_net_namespace`: close, NETDEV_UNREGISTER with reg_state still
/// REGISTERED (how uppers tell a move from a deletion), then NETDEV_REGISTER in the target.
#[test]
fn notifier_order_on_netns_move() {
    let w = world(1);
    let ns1 = w.rtnl().netns_add("ns1").unwrap();
    let rec = Recorder::install(&w);
    let d = dummy(&w, INIT, "d0").unwrap();
    up(&w, &[&d]);
    rec.take();
    w.rtnl().change_netns(&d, ns1, None, None).unwrap();
    let ev = rec.take();
    let seq: Vec<_> = ev.iter().map(|e| (e.name, e.netns, e.reg_state)).collect();
    let reg = RegState::Registered;
    assert_eq!(
        seq,
        [
            ("NETDEV_GOING_DOWN", INIT, reg),
            ("NETDEV_DOWN", INIT, reg),
            ("NETDEV_UNREGISTER", INIT, reg),
            ("NETDEV_REGISTER", ns1, reg)
        ]
    );
}

/// `rtnetlink.c:rtmsg_ifinfo` / `rtnl_fill_ifinfo` on the bus: RTM_NEWLINK with IFLA_IFNAME,
/// IFLA_LINKINFO kind and IFLA_LINK; RTM_DELLINK for both ends; a move's DELLINK carries
/// IFLA_NEW_IFINDEX and the target netns gets RTM_NEWLINK.
#[test]
fn netlink_veth_lifecycle() {
    let w = world(1);
    let ns1 = w.rtnl().netns_add("ns1").unwrap();
    let sock = w.netlink_subscribe(INIT, RTMGRP_LINK);
    let (a, b) = veth_pair(&w, INIT, "a", INIT, "b").unwrap();
    let msgs = link_msgs(&sock);
    let new_a: Vec<_> = msgs.iter().filter(|m| m.msg_type == RTM_NEWLINK && m.ifindex == a.ifindex()).collect();
    let new_b: Vec<_> = msgs.iter().filter(|m| m.msg_type == RTM_NEWLINK && m.ifindex == b.ifindex()).collect();
    assert!(!new_a.is_empty() && !new_b.is_empty());
    for (m, dev) in new_a.iter().map(|m| (m, &a)).chain(new_b.iter().map(|m| (m, &b))) {
        assert_eq!(m.name.as_deref(), Some(&*dev.name()));
        assert_eq!(m.kind.as_deref(), Some("veth"));
    }
    assert_eq!(new_a[0].link, Some(b.ifindex()), "main's first RTM_NEWLINK names its peer");
    // The peer is announced once, before the main device exists (veth_newlink): IFLA_LINK 0.
    assert_eq!(new_b.iter().map(|m| m.link).collect::<Vec<_>>(), [Some(0)]);
    w.rtnl().dellink(&b).unwrap();
    let del: Vec<_> = link_msgs(&sock).into_iter().filter(|m| m.msg_type == RTM_DELLINK).collect();
    let mut gone: Vec<_> = del.iter().map(|m| (m.ifindex, m.name.clone().unwrap_or_default())).collect();
    gone.sort();
    assert_eq!(gone, [(b.ifindex(), "b".into()), (a.ifindex(), "a".into())]);
    // A move: DELLINK in the old netns, NEWLINK in the new one.
    let (c, e) = veth_pair(&w, INIT, "c", INIT, "e").unwrap();
    let sock1 = w.netlink_subscribe(ns1, RTMGRP_LINK);
    sock.drain();
    w.rtnl().change_netns(&e, ns1, None, Some(9)).unwrap();
    let old = link_msgs(&sock);
    let del: Vec<_> = old.iter().filter(|m| m.msg_type == RTM_DELLINK).collect();
    assert_eq!(del.len(), 1);
    assert_eq!((del[0].name.as_deref(), del[0].new_ifindex), (Some("e"), Some(9)));
    let new: Vec<_> = link_msgs(&sock1).into_iter().filter(|m| m.msg_type == RTM_NEWLINK).collect();
    assert!(!new.is_empty());
    assert!(new.iter().all(|m| m.ifindex == 9 && m.name.as_deref() == Some("e")));
    assert_eq!(new[0].link, Some(c.ifindex()));
}

/// `veth.c:veth_newlink` calls `rtnl_configure_link(peer)` right after registering the peer,
/// before the main device exists and before `priv->peer` is set: the peer's first RTM_NEWLINK
/// has `veth_get_iflink` = 0, so IFLA_LINK is 0 (reference §2.2).
#[test]
fn netlink_veth_peer_first_message_has_no_peer() {
    let w = world(1);
    let sock = w.netlink_subscribe(INIT, RTMGRP_LINK);
    let (a, b) = veth_pair(&w, INIT, "a", INIT, "b").unwrap();
    let msgs = link_msgs(&sock);
    let first = msgs.iter().position(|m| m.ifindex == b.ifindex()).unwrap();
    assert!(msgs[..first].iter().all(|m| m.ifindex != a.ifindex()), "the peer is announced first");
    assert_eq!(msgs[first].link, Some(0));
}

/// `dev.c:__dev_open` + `link_watch.c:linkwatch_do_dev` for veth: opening the second end turns
/// both carriers on (`veth_open`), so NETDEV_CHANGE follows NETDEV_UP for each end; closing one
/// end sends CHANGE only for the end that stays up (`netif_state_change` needs IFF_UP).
#[test]
fn notifier_order_veth_carrier_events() {
    let w = world(1);
    let rec = Recorder::install(&w);
    let (a, b) = veth_pair(&w, INIT, "a", INIT, "b").unwrap();
    let ev = rec.take_names();
    assert_eq!(ev, [("NETDEV_REGISTER", "b".into()), ("NETDEV_REGISTER", "a".into())], "peer first");
    up(&w, &[&b]);
    assert_eq!(rec.take_names(), [("NETDEV_PRE_UP", "b".into()), ("NETDEV_UP", "b".into())]);
    up(&w, &[&a]);
    let ev = rec.take_names();
    let want = [("NETDEV_PRE_UP", "a"), ("NETDEV_UP", "a"), ("NETDEV_CHANGE", "a"), ("NETDEV_CHANGE", "b")];
    assert_eq!(ev, want.map(|(e, d)| (e, d.to_string())));
    w.rtnl().set_up(&a, false).unwrap();
    let want = [("NETDEV_GOING_DOWN", "a"), ("NETDEV_DOWN", "a"), ("NETDEV_CHANGE", "b")];
    assert_eq!(rec.take_names(), want.map(|(e, d)| (e, d.to_string())));
}

/// `dev.c:register_netdevice`: an error from the NETDEV_REGISTER notifier unregisters the
/// device again and is returned.
#[test]
fn register_notifier_error_unregisters() {
    let w = world(1);
    let rec = Recorder::install(&w);
    rec.set_veto(Some(("NETDEV_REGISTER", Errno::Enomem)));
    assert_eq!(errno(dummy(&w, INIT, "d0")), Errno::Enomem);
    assert!(w.rtnl().dev_by_name(INIT, "d0").is_none());
    let ev = rec.take();
    assert_eq!(ev.first().map(|e| e.name), Some("NETDEV_REGISTER"));
    assert_eq!(ev.last().map(|e| (e.name, e.reg_state)), Some(("NETDEV_UNREGISTER", RegState::Unregistering)));
    rec.set_veto(None);
    dummy(&w, INIT, "d0").unwrap();
}

/// `dev.c:netif_change_name`: if a NETDEV_CHANGENAME notifier fails, the old name is restored
/// (and notified again) and the error returned (reference §1.2, "rolls back if a notifier
/// fails").
#[test]
fn rename_rolls_back_on_notifier_error() {
    let w = world(1);
    let rec = Recorder::install(&w);
    let d = dummy(&w, INIT, "d0").unwrap();
    rec.take();
    rec.set_veto(Some(("NETDEV_CHANGENAME", Errno::Eperm)));
    assert_eq!(errno(w.rtnl().rename(&d, "d1")), Errno::Eperm);
    assert_eq!(&*d.name(), "d0");
    assert_eq!(w.rtnl().dev_by_name(INIT, "d0").map(|x| x.id()), Some(d.id()));
    assert!(w.rtnl().dev_by_name(INIT, "d1").is_none());
}

/// `dev.c:netif_set_mtu_ext`: if a NETDEV_CHANGEMTU notifier fails, the old MTU is set back,
/// everyone is notified again, and the error is returned (reference §1.7).
#[test]
fn mtu_rolls_back_on_changemtu_error() {
    let w = world(1);
    let rec = Recorder::install(&w);
    let d = dummy(&w, INIT, "d0").unwrap();
    rec.take();
    rec.set_veto(Some(("NETDEV_CHANGEMTU", Errno::Einval)));
    assert_eq!(errno(w.rtnl().set_mtu(&d, 9000)), Errno::Einval);
    assert_eq!(d.mtu(), 1500);
    let ev: Vec<_> = rec.take().into_iter().map(|e| e.name).collect();
    assert_eq!(ev, ["NETDEV_PRECHANGEMTU", "NETDEV_CHANGEMTU", "NETDEV_CHANGEMTU"]);
}

/// `rtnetlink.c:rtnl_fill_ifinfo`: IFLA_LINK only when `dev_get_iflink != ifindex`, so a dummy
/// has none; the first RTM_NEWLINK of a kind-made device comes from `rtnl_configure_link`.
#[test]
fn netlink_dummy_has_no_iflink() {
    let w = world(1);
    let sock = w.netlink_subscribe(INIT, RTMGRP_LINK);
    let d = dummy(&w, INIT, "d0").unwrap();
    let msgs = link_msgs(&sock);
    assert_eq!(msgs.len(), 1, "one RTM_NEWLINK for a new device: {msgs:?}");
    assert_eq!((msgs[0].msg_type, msgs[0].ifindex), (RTM_NEWLINK, d.ifindex()));
    assert_eq!((msgs[0].link, msgs[0].kind.as_deref()), (None, Some("dummy")));
    let other = w.netlink_subscribe(NetnsId(99), RTMGRP_LINK);
    w.rtnl().dellink(&d).unwrap();
    assert!(other.drain().is_empty(), "messages stay in their namespace");
    let msgs = link_msgs(&sock);
    assert_eq!(msgs.iter().map(|m| m.msg_type).collect::<Vec<_>>(), [RTM_DELLINK]);
}
