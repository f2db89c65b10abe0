//! Why a packet was dropped: `enum skb_drop_reason` (include/net/dropreason-core.h), the subset
//! the simulator produces, and the drop-monitor hook.

use std::fmt;

use crate::NetnsId;

macro_rules! reasons {
    ($($(#[$m:meta])* $v:ident = $name:literal,)*) => {
        /// A drop reason, named after `SKB_DROP_REASON_*`.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[repr(u16)]
        #[non_exhaustive]
        pub enum DropReason { $($(#[$m])* $v,)* }

        impl DropReason {
            /// Every reason, in declaration order.
            pub const ALL: &'static [DropReason] = &[$(DropReason::$v),*];
            /// The kernel's name without the `SKB_DROP_REASON_` prefix.
            pub const fn name(self) -> &'static str {
                match self { $(DropReason::$v => $name,)* }
            }
        }
    };
}

reasons! {
    /// `NOT_SPECIFIED`.
    NotSpecified = "NOT_SPECIFIED",
    /// `NO_SOCKET`: no socket to deliver to.
    NoSocket = "NO_SOCKET",
    /// `PKT_TOO_SMALL`: shorter than the header it must carry (veth: under ETH_HLEN).
    PktTooSmall = "PKT_TOO_SMALL",
    /// `PKT_TOO_BIG`: longer than the receiver accepts (`__is_skb_forwardable` failed on MTU).
    PktTooBig = "PKT_TOO_BIG",
    /// `DEV_READY`: the device is not up or not running.
    DevReady = "DEV_READY",
    /// `CPU_BACKLOG`: the per-CPU backlog is full (`netdev_max_backlog`).
    CpuBacklog = "CPU_BACKLOG",
    /// `QDISC_DROP`: the noop qdisc of a device without carrier.
    QdiscDrop = "QDISC_DROP",
    /// `UNHANDLED_PROTO`: no protocol handler took the packet.
    UnhandledProto = "UNHANDLED_PROTO",
    /// `OTHERHOST`: addressed to another host.
    Otherhost = "OTHERHOST",
    /// `RECURSION_LIMIT`: `XMIT_RECURSION_LIMIT` reached ("Dead loop on virtual device").
    RecursionLimit = "RECURSION_LIMIT",
    /// `DEV_HDR`: a bad device header.
    DevHdr = "DEV_HDR",
    /// `NETDEV_UNREGISTERED` (simulator): the device was unregistered while the packet was queued.
    DevUnregistered = "DEV_UNREGISTERED",
    /// `VLAN_FILTER`.
    VlanFilter = "VLAN_FILTER",
    /// `MAC_IS_MULTICAST`.
    MacIsMulticast = "MAC_IS_MULTICAST",
    /// `NOMEM`.
    Nomem = "NOMEM",
    /// `FULL_RING`.
    FullRing = "FULL_RING",
    /// `BRIDGE` family (simulator): the bridge decided not to forward.
    BridgeNoForward = "BR_NO_FORWARD",
    /// `RX_ROUNDS` (simulator): more receive rounds (rx handler ANOTHER) than the core allows.
    RxRounds = "RX_ROUNDS",
    /// `NEIGH_FAILED`: neighbour resolution failed.
    NeighFailed = "NEIGH_FAILED",
    /// `NEIGH_QUEUEFULL`: too many packets queued on an unresolved neighbour.
    NeighQueueFull = "NEIGH_QUEUEFULL",
    /// `IP_NOROUTE`.
    IpNoroute = "IP_NOROUTE",
    /// `IP_INHDR`: bad IP header.
    IpInhdr = "IP_INHDR",
    /// `IP_RPFILTER`.
    IpRpfilter = "IP_RPFILTER",
    /// `IP_INADDRERRORS`.
    IpInaddrerrors = "IP_INADDRERRORS",
    /// `TC_INGRESS`.
    TcIngress = "TC_INGRESS",
    /// `IP_CSUM`: bad IPv4 header checksum.
    IpCsum = "IP_CSUM",
    /// `IP_INNOROUTES`: no route on input (network unreachable).
    IpInnoroutes = "IP_INNOROUTES",
    /// `IP_OUTNOROUTES`: no route on output.
    IpOutnoroutes = "IP_OUTNOROUTES",
    /// `IP_LOCAL_SOURCE`: the source is one of our own addresses (martian).
    IpLocalSource = "IP_LOCAL_SOURCE",
    /// `IP_INVALID_SOURCE`: the source is invalid (multicast, broadcast, zero net, loopback).
    IpInvalidSource = "IP_INVALID_SOURCE",
    /// `IP_INVALID_DEST`: the destination is invalid.
    IpInvalidDest = "IP_INVALID_DEST",
    /// `IP_NOPROTO`: no handler for the IP protocol.
    IpNoproto = "IP_NOPROTO",
    /// `IPV6DISABLED`: IPv6 is disabled on the device.
    Ipv6Disabled = "IPV6DISABLED",
    /// `SOCKET_RCVBUFF`: a socket's receive buffer was full.
    SocketRcvbuff = "SOCKET_RCVBUFF",
    /// `NEIGH_DEAD`: the neighbour entry was removed with packets queued.
    NeighDead = "NEIGH_DEAD",
    /// `MAC_INVALID_SOURCE`: the source MAC is zero or multicast (`br_handle_frame`).
    MacInvalidSource = "MAC_INVALID_SOURCE",
    /// `MAC_IEEE_MAC_CONTROL`: an 802.3x PAUSE frame reached a bridge port.
    MacIeeeMacControl = "MAC_IEEE_MAC_CONTROL",
    /// `BRIDGE_INGRESS_STP_STATE`: the bridge port's STP state does not let the frame in.
    BridgeIngressStpState = "BRIDGE_INGRESS_STP_STATE",
    /// `NO_TX_TARGET`: a bridge flood found no port to send to.
    NoTxTarget = "NO_TX_TARGET",
    /// `VEIP_NO_ENTRY` (simulator): an OpenVZ venet found no container owning the address it
    /// switches on (`veip_lookup` → `-ESRCH`).
    VeipNoEntry = "VEIP_NO_ENTRY",
    /// `VEIP_SOURCE_WRONG` (simulator): a container sent from an address another container
    /// owns (`veip_lookup` → `-EACCES`, "Dropped packet, source wrong").
    VeipSourceWrong = "VEIP_SOURCE_WRONG",
}

impl fmt::Display for DropReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What the drop monitor sees for each dropped packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DropEvent {
    /// Why.
    pub reason: DropReason,
    /// The device that had the packet (0 if none).
    pub ifindex: u32,
    /// That device's namespace.
    pub netns: NetnsId,
    /// `skb->len` at the drop.
    pub len: usize,
    /// Virtual time of the drop, in nanoseconds.
    pub time_ns: u64,
}

/// A drop monitor (`kfree_skb` tracepoint / `dropwatch`): called for every dropped packet, on the
/// CPU that drops it. It must not block.
pub trait DropMonitor: Send + Sync {
    /// One packet was dropped.
    fn dropped(&self, ev: &DropEvent);
}

impl<F: Fn(&DropEvent) + Send + Sync> DropMonitor for F {
    fn dropped(&self, ev: &DropEvent) {
        self(ev)
    }
}
