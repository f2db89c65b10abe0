//! The rtnetlink bus: every configuration change is sent as the real message bytes
//! (`nlmsghdr` + `ifinfomsg` + attributes, host byte order as on x86-64) to the subscribers of
//! the namespace it happened in, which is what `ip monitor` and nlmon devices read.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Weak};

use parking_lot::Mutex;

use crate::{NetDevice, NetnsId};

/// `RTM_NEWLINK`.
pub const RTM_NEWLINK: u16 = 16;
/// `RTM_DELLINK`.
pub const RTM_DELLINK: u16 = 17;
/// `RTMGRP_LINK`: the multicast group bit of link messages.
pub const RTMGRP_LINK: u32 = 1;
/// `RTM_NEWADDR`.
pub const RTM_NEWADDR: u16 = 20;
/// `RTM_DELADDR`.
pub const RTM_DELADDR: u16 = 21;
/// `RTM_NEWROUTE`.
pub const RTM_NEWROUTE: u16 = 24;
/// `RTM_DELROUTE`.
pub const RTM_DELROUTE: u16 = 25;
/// `RTM_NEWNEIGH`.
pub const RTM_NEWNEIGH: u16 = 28;
/// `RTM_DELNEIGH`.
pub const RTM_DELNEIGH: u16 = 29;
/// `RTMGRP_NEIGH`.
pub const RTMGRP_NEIGH: u32 = 0x4;
/// `RTMGRP_IPV4_IFADDR`.
pub const RTMGRP_IPV4_IFADDR: u32 = 0x10;
/// `RTMGRP_IPV4_ROUTE`.
pub const RTMGRP_IPV4_ROUTE: u32 = 0x40;
/// `RTMGRP_IPV6_IFADDR`.
pub const RTMGRP_IPV6_IFADDR: u32 = 0x100;
/// `RTMGRP_IPV6_ROUTE`.
pub const RTMGRP_IPV6_ROUTE: u32 = 0x400;
/// `AF_UNSPEC`.
const AF_UNSPEC: u8 = 0;

/// `IFLA_*` attribute numbers (include/uapi/linux/if_link.h).
#[allow(missing_docs)]
pub mod ifla {
    pub const ADDRESS: u16 = 1;
    pub const BROADCAST: u16 = 2;
    pub const IFNAME: u16 = 3;
    pub const MTU: u16 = 4;
    pub const LINK: u16 = 5;
    pub const QDISC: u16 = 6;
    pub const MASTER: u16 = 10;
    pub const TXQLEN: u16 = 13;
    pub const OPERSTATE: u16 = 16;
    pub const LINKMODE: u16 = 17;
    pub const LINKINFO: u16 = 18;
    pub const IFALIAS: u16 = 20;
    pub const STATS64: u16 = 23;
    pub const GROUP: u16 = 27;
    pub const PROMISCUITY: u16 = 30;
    pub const NUM_TX_QUEUES: u16 = 31;
    pub const NUM_RX_QUEUES: u16 = 32;
    pub const CARRIER: u16 = 33;
    pub const CARRIER_CHANGES: u16 = 35;
    pub const LINK_NETNSID: u16 = 37;
    pub const NEW_NETNSID: u16 = 45;
    pub const CARRIER_UP_COUNT: u16 = 47;
    pub const CARRIER_DOWN_COUNT: u16 = 48;
    pub const NEW_IFINDEX: u16 = 49;
    pub const MIN_MTU: u16 = 50;
    pub const MAX_MTU: u16 = 51;
    pub const ALLMULTI: u16 = 61;
    pub const NETNS_IMMUTABLE: u16 = 67;
    /// Nested in `LINKINFO`.
    pub const INFO_KIND: u16 = 1;
}

/// Builds one netlink message: the `nlmsghdr`, then the family header ([`MsgBuilder::raw`] or
/// [`MsgBuilder::ifinfomsg`]), then attributes, each padded to 4 bytes (`nla_put`).
#[derive(Debug)]
pub struct MsgBuilder {
    buf: Vec<u8>,
}

impl MsgBuilder {
    /// A message of `msg_type` with sequence number `seq`, from the kernel (pid 0, no flags).
    pub fn new(msg_type: u16, seq: u32) -> MsgBuilder {
        let mut buf = Vec::with_capacity(256);
        buf.extend_from_slice(&0u32.to_ne_bytes()); // nlmsg_len, patched in finish
        buf.extend_from_slice(&msg_type.to_ne_bytes());
        buf.extend_from_slice(&0u16.to_ne_bytes()); // nlmsg_flags: 0 for notifications
        buf.extend_from_slice(&seq.to_ne_bytes());
        buf.extend_from_slice(&0u32.to_ne_bytes()); // nlmsg_pid: 0 = kernel
        MsgBuilder { buf }
    }

    /// Append bytes as they are (a family header such as `ifaddrmsg`, `rtmsg`, `ndmsg`).
    pub fn raw(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    pub(crate) fn ifinfomsg(&mut self, dev_type: u16, index: u32, flags: u32, change: u32) {
        self.buf.push(AF_UNSPEC);
        self.buf.push(0);
        self.buf.extend_from_slice(&dev_type.to_ne_bytes());
        self.buf.extend_from_slice(&index.to_ne_bytes());
        self.buf.extend_from_slice(&flags.to_ne_bytes());
        self.buf.extend_from_slice(&change.to_ne_bytes());
    }

    /// One attribute (`nla_put`).
    pub fn attr(&mut self, ty: u16, data: &[u8]) {
        let len = 4 + data.len();
        self.buf.extend_from_slice(&(len as u16).to_ne_bytes());
        self.buf.extend_from_slice(&ty.to_ne_bytes());
        self.buf.extend_from_slice(data);
        self.pad();
    }

    /// A `u32` attribute in host byte order (`nla_put_u32`).
    pub fn attr_u32(&mut self, ty: u16, v: u32) {
        self.attr(ty, &v.to_ne_bytes());
    }

    /// A `u8` attribute (`nla_put_u8`).
    pub fn attr_u8(&mut self, ty: u16, v: u8) {
        self.attr(ty, &[v]);
    }

    /// A NUL-terminated string attribute (`nla_put_string`).
    pub fn attr_str(&mut self, ty: u16, s: &str) {
        let mut v = Vec::with_capacity(s.len() + 1);
        v.extend_from_slice(s.as_bytes());
        v.push(0);
        self.attr(ty, &v);
    }

    /// Open a nested attribute; close it with [`MsgBuilder::nest_end`].
    pub fn nest_start(&mut self, ty: u16) -> usize {
        let at = self.buf.len();
        self.buf.extend_from_slice(&0u16.to_ne_bytes());
        self.buf.extend_from_slice(&ty.to_ne_bytes());
        at
    }

    /// Close the nested attribute opened at `at`.
    pub fn nest_end(&mut self, at: usize) {
        let len = (self.buf.len() - at) as u16;
        self.buf[at..at + 2].copy_from_slice(&len.to_ne_bytes());
    }

    fn pad(&mut self) {
        while !self.buf.len().is_multiple_of(4) {
            self.buf.push(0);
        }
    }

    /// The message, `nlmsg_len` filled in.
    pub fn finish(mut self) -> Vec<u8> {
        let len = self.buf.len() as u32;
        self.buf[..4].copy_from_slice(&len.to_ne_bytes());
        self.buf
    }
}

/// A link message decoded back from bytes (for `ip monitor`, nlmon and tests).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LinkMsg {
    /// `nlmsg_type`.
    pub msg_type: u16,
    /// `ifi_type`.
    pub dev_type: u16,
    /// `ifi_index`.
    pub ifindex: u32,
    /// `ifi_flags`.
    pub flags: u32,
    /// `ifi_change`.
    pub change: u32,
    /// `IFLA_IFNAME`.
    pub name: Option<String>,
    /// `IFLA_MTU`.
    pub mtu: Option<u32>,
    /// `IFLA_OPERSTATE`.
    pub operstate: Option<u8>,
    /// `IFLA_LINK`.
    pub link: Option<u32>,
    /// `IFLA_MASTER`.
    pub master: Option<u32>,
    /// `IFLA_CARRIER`.
    pub carrier: Option<u8>,
    /// `IFLA_ADDRESS`.
    pub address: Option<Vec<u8>>,
    /// `IFLA_LINKINFO` / `IFLA_INFO_KIND`.
    pub kind: Option<String>,
    /// `IFLA_NEW_IFINDEX` (on a namespace move).
    pub new_ifindex: Option<u32>,
    /// Attribute types in the order they appear.
    pub attr_types: Vec<u16>,
}

/// The attributes in `b` (after a family header), as `(type, payload)`; stops at the first
/// malformed one (`nla_for_each_attr`).
pub fn attrs(mut b: &[u8]) -> impl Iterator<Item = (u16, &[u8])> {
    std::iter::from_fn(move || {
        if b.len() < 4 {
            return None;
        }
        let len = u16::from_ne_bytes([b[0], b[1]]) as usize;
        let ty = u16::from_ne_bytes([b[2], b[3]]);
        if len < 4 || len > b.len() {
            return None;
        }
        let data = &b[4..len];
        let adv = (len + 3) & !3;
        b = b.get(adv..).unwrap_or(&[]);
        Some((ty, data))
    })
}

fn u32_of(d: &[u8]) -> Option<u32> {
    Some(u32::from_ne_bytes(d.get(..4)?.try_into().ok()?))
}

fn str_of(d: &[u8]) -> String {
    let end = d.iter().position(|&c| c == 0).unwrap_or(d.len());
    String::from_utf8_lossy(&d[..end]).into_owned()
}

impl LinkMsg {
    /// Decode one RTM_NEWLINK/RTM_DELLINK message. `None` if it is not one or is truncated.
    pub fn parse(msg: &[u8]) -> Option<LinkMsg> {
        let len = u32_of(msg)? as usize;
        let msg = msg.get(..len)?;
        let msg_type = u16::from_ne_bytes(msg.get(4..6)?.try_into().ok()?);
        if msg_type != RTM_NEWLINK && msg_type != RTM_DELLINK {
            return None;
        }
        let ifi = msg.get(16..32)?;
        let mut out = LinkMsg {
            msg_type,
            dev_type: u16::from_ne_bytes([ifi[2], ifi[3]]),
            ifindex: u32_of(&ifi[4..])?,
            flags: u32_of(&ifi[8..])?,
            change: u32_of(&ifi[12..])?,
            ..LinkMsg::default()
        };
        for (ty, d) in attrs(&msg[32..]) {
            out.attr_types.push(ty);
            match ty {
                ifla::IFNAME => out.name = Some(str_of(d)),
                ifla::MTU => out.mtu = u32_of(d),
                ifla::OPERSTATE => out.operstate = d.first().copied(),
                ifla::LINK => out.link = u32_of(d),
                ifla::MASTER => out.master = u32_of(d),
                ifla::CARRIER => out.carrier = d.first().copied(),
                ifla::ADDRESS => out.address = Some(d.to_vec()),
                ifla::NEW_IFINDEX => out.new_ifindex = u32_of(d),
                ifla::LINKINFO => {
                    for (t, k) in attrs(d) {
                        if t == ifla::INFO_KIND {
                            out.kind = Some(str_of(k));
                        }
                    }
                }
                _ => {}
            }
        }
        Some(out)
    }
}

/// Build the RTM_NEWLINK/RTM_DELLINK message for `dev` (`rtnl_fill_ifinfo`, the attributes the
/// simulator models, in the kernel's order).
pub(crate) fn fill_ifinfo(dev: &NetDevice, msg_type: u16, seq: u32, change: u32, extra: &[(u16, u32)]) -> Vec<u8> {
    let mut m = MsgBuilder::new(msg_type, seq);
    m.ifinfomsg(dev.dev_type(), dev.ifindex(), dev.flags().bits(), change);
    m.attr_str(ifla::IFNAME, &dev.name());
    m.attr_u32(ifla::TXQLEN, dev.tx_queue_len());
    m.attr_u8(ifla::OPERSTATE, dev.operstate() as u8);
    m.attr_u8(ifla::LINKMODE, 0);
    m.attr_u32(ifla::MTU, dev.mtu());
    m.attr_u32(ifla::MIN_MTU, dev.min_mtu());
    m.attr_u32(ifla::MAX_MTU, dev.max_mtu());
    m.attr_u32(ifla::GROUP, dev.group());
    m.attr_u32(ifla::PROMISCUITY, dev.promiscuity());
    m.attr_u32(ifla::ALLMULTI, dev.allmulti());
    m.attr_u32(ifla::NUM_TX_QUEUES, 1);
    m.attr_u32(ifla::NUM_RX_QUEUES, 1);
    m.attr_u8(ifla::CARRIER, u8::from(dev.has_carrier()));
    m.attr_u32(ifla::CARRIER_CHANGES, dev.carrier_changes());
    m.attr_u32(ifla::CARRIER_UP_COUNT, dev.carrier_up_count());
    m.attr_u32(ifla::CARRIER_DOWN_COUNT, dev.carrier_down_count());
    m.attr_str(ifla::QDISC, dev.qdisc().name());
    if dev.addr_len() > 0 {
        m.attr(ifla::ADDRESS, &dev.address().octets());
        m.attr(ifla::BROADCAST, &dev.broadcast().octets());
    }
    // rtnl_fill_link_netnsid + nla_put_iflink: IFLA_LINK when it differs from the ifindex, and
    // always when the link is in another namespace (then IFLA_LINK_NETNSID goes with it; the
    // simulator does not model peer netns ids yet, so that attribute is left out).
    let iflink = dev.iflink();
    if iflink != dev.ifindex() || dev.link_netns() != dev.netns() {
        m.attr_u32(ifla::LINK, iflink);
    }
    if let Some(master) = dev.master() {
        m.attr_u32(ifla::MASTER, master.ifindex());
    }
    if let Some(alias) = dev.alias() {
        m.attr_str(ifla::IFALIAS, &alias);
    }
    if dev.netns_immutable() {
        m.attr_u8(ifla::NETNS_IMMUTABLE, 1);
    }
    if let Some(kind) = dev.link_kind() {
        let at = m.nest_start(ifla::LINKINFO);
        m.attr_str(ifla::INFO_KIND, kind.kind());
        m.nest_end(at);
    }
    for &(ty, v) in extra {
        m.attr_u32(ty, v);
    }
    m.finish()
}

/// A netlink socket subscribed to rtnetlink groups of one namespace.
#[derive(Debug)]
pub struct NetlinkSocket {
    netns: NetnsId,
    groups: u32,
    queue: Mutex<VecDeque<Vec<u8>>>,
}

impl NetlinkSocket {
    /// The next queued message, if any.
    pub fn recv(&self) -> Option<Vec<u8>> {
        self.queue.lock().pop_front()
    }

    /// Every queued message.
    pub fn drain(&self) -> Vec<Vec<u8>> {
        self.queue.lock().drain(..).collect()
    }

    /// The namespace it listens in.
    pub fn netns(&self) -> NetnsId {
        self.netns
    }
}

/// Delivers notifications to subscribed sockets.
#[derive(Debug, Default)]
pub(crate) struct NetlinkBus {
    subs: Mutex<Vec<Weak<NetlinkSocket>>>,
    seq: AtomicU64,
}

impl NetlinkBus {
    pub(crate) fn subscribe(&self, netns: NetnsId, groups: u32) -> Arc<NetlinkSocket> {
        let s = Arc::new(NetlinkSocket { netns, groups, queue: Mutex::new(VecDeque::new()) });
        let mut subs = self.subs.lock();
        subs.retain(|w| w.strong_count() > 0);
        subs.push(Arc::downgrade(&s));
        s
    }

    pub(crate) fn next_seq(&self) -> u32 {
        self.seq.fetch_add(1, Ordering::Relaxed) as u32
    }

    pub(crate) fn has_listeners(&self, netns: NetnsId) -> bool {
        self.subs.lock().iter().filter_map(Weak::upgrade).any(|s| s.netns == netns)
    }

    pub(crate) fn publish(&self, netns: NetnsId, group: u32, msg: &[u8]) {
        for s in self.subs.lock().iter().filter_map(Weak::upgrade) {
            if s.netns == netns && s.groups & group != 0 {
                s.queue.lock().push_back(msg.to_vec());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builder_and_parser_round_trip() {
        let mut m = MsgBuilder::new(RTM_NEWLINK, 7);
        m.ifinfomsg(1, 5, 0x1003, 0);
        m.attr_str(ifla::IFNAME, "veth0");
        m.attr_u32(ifla::MTU, 1500);
        m.attr_u8(ifla::OPERSTATE, 6);
        let at = m.nest_start(ifla::LINKINFO);
        m.attr_str(ifla::INFO_KIND, "veth");
        m.nest_end(at);
        let bytes = m.finish();
        assert_eq!(bytes.len() % 4, 0);
        assert_eq!(u32::from_ne_bytes(bytes[..4].try_into().unwrap()) as usize, bytes.len());
        let p = LinkMsg::parse(&bytes).unwrap();
        assert_eq!(p.ifindex, 5);
        assert_eq!(p.flags, 0x1003);
        assert_eq!(p.name.as_deref(), Some("veth0"));
        assert_eq!(p.mtu, Some(1500));
        assert_eq!(p.operstate, Some(6));
        assert_eq!(p.kind.as_deref(), Some("veth"));
    }

    #[test]
    fn parser_rejects_truncation() {
        let mut m = MsgBuilder::new(RTM_DELLINK, 1);
        m.ifinfomsg(1, 2, 0, 0);
        let bytes = m.finish();
        for cut in 0..bytes.len() {
            assert!(LinkMsg::parse(&bytes[..cut]).is_none());
        }
        assert!(LinkMsg::parse(&bytes).is_some());
    }
}
