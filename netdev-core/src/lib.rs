//! # netdev-core: the simulated Linux net core
//!
//! The part of `net/core` that every virtual device driver stands on, in user space:
//!
//! - [`World`]: the simulated host kernel. It owns the namespaces, the link-kind registry, the
//!   configuration lock ([`Rtnl`]), the notifier chain, the netlink bus, the virtual clock and
//!   the seeded RNG.
//! - [`NetDevice`]: everything the core keeps for a device (name, ifindex, flags, operstate and
//!   carrier, MTU bounds, addresses, features, upper/lower links, statistics, the rx-handler
//!   slot). A driver supplies [`NetDeviceOps`] (only `xmit` is required) and a [`LinkKind`]
//!   (`ip link add ... type KIND`).
//! - [`Cpu`]: a simulated CPU and the data path: [`Cpu::dev_queue_xmit`],
//!   [`Cpu::dev_forward_skb`], [`Cpu::netif_rx`], the bounded backlog and the budgeted
//!   [`Cpu::poll`] through `__netif_receive_skb_core`'s order.
//! - [`Skb`]: one packet, moved by value, from a per-CPU pool.
//!
//! ## Contract
//!
//! - Configuration is serialised by [`World::rtnl`] and published to the data path with atomics
//!   and RCU-style snapshots (arc-swap). The data path takes `&self` on devices and `&mut Cpu`,
//!   never blocks on configuration, and may run on several threads, one [`Cpu`] each.
//! - The hot path touches no lock and no shared atomic read-modify-write: each CPU writes its own
//!   shard of every counter, and holds the devices it works on in its own pin table (a packet
//!   carries its device as an id; a driver holds device pointers as [`DevPtr`]s, followed with
//!   [`Cpu::dev_forward_ptr`], or pinned with [`Cpu::pin_ptr`] to move a received packet onto
//!   another device with [`RxHandlerResult::AnotherPinned`]), the way the kernel uses RCU
//!   pointers.
//! - Every packet that enters ends consumed ([`Cpu::consume_skb`]: a protocol handler took it,
//!   or a driver like dummy freed it) or dropped with a [`DropReason`] ([`Cpu::kfree_skb`]),
//!   exactly once, and the counters Linux increments are incremented. [`World::total_consumed`]
//!   plus [`World::total_drops`] plus what the backlogs hold is every packet ever sent plus
//!   every clone ([`World::total_cloned`]; a driver that floods or copies a packet clones it
//!   with [`Cpu::skb_clone`]).
//! - Time is virtual ([`World::advance`]); randomness comes from the seed in [`WorldConfig`].
//!   Nothing here reads the wall clock, sleeps or spawns a thread.
//! - Configuration errors carry the kernel's errno ([`Errno`]) and extended-ack message.
//!
//! Kernel behaviour is from `reference/kernel-l2.md` §1; each function documents the kernel
//! function it models.

#![warn(missing_docs)]
// Library code does not unwrap: a panic there must state its invariant (tests may).
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]

mod addr_list;
mod clock;
mod cpu;
mod device;
mod drop_reason;
mod error;
mod flags;
mod inetaddr;
mod kind;
mod lo;
mod mac;
mod name;
pub mod netlink;
mod netns;
mod notify;
mod pin;
mod rng;
mod rtnl;
mod skb;
mod stats;
mod tap;
mod world;

pub use addr_list::{
    HwAddr, dev_mc_add, dev_mc_del, dev_mc_sync, dev_mc_unsync, dev_set_allmulti, dev_set_promiscuity, dev_set_rx_mode,
    dev_uc_add, dev_uc_del, dev_uc_sync, dev_uc_unsync,
};
pub use clock::{NSEC_PER_SEC, TimerFn, TimerId};
pub use cpu::{Cpu, MAX_RX_ROUNDS, XMIT_RECURSION_LIMIT, scrub, vlan_hw_offload_capable};
pub use device::{
    ARPHRD_ETHER, ARPHRD_LOOPBACK, ARPHRD_NETLINK, ARPHRD_NONE, ARPHRD_VOID, AddrAssign, Carrier, DeviceSetup,
    ETH_DATA_LEN, ETH_MAX_MTU, ETH_MIN_MTU, MAX_NEST_DEV, NameAssign, NetDevice, NetDeviceOps, NetRx, Operstate, Qdisc,
    RegState, RxHandler, RxHandlerResult, VlanRx, Xmit, eth_prepare_mac_addr_change,
};
pub use drop_reason::{DropEvent, DropMonitor, DropReason};
pub use error::{Errno, Error, Result};
pub use flags::{Features, IfFlags, PrivFlags};
pub use inetaddr::{AddrEvent, InetAddrChain, InetAddrNotifier};
pub use kind::{KindConfig, LinkKind, NewLink};
pub use mac::MacAddr;
pub use name::{IFNAMSIZ, valid_name};
pub use netns::{NetnsId, PernetOps, ProtocolHandler};
pub use notify::{NetdevEvent, NetdevNotifier};
pub use pin::DevPtr;
pub use rng::Rng;
pub use rtnl::{Registration, Rtnl};
pub use skb::{
    ETH_HLEN, ETH_P_802_2, ETH_P_802_3, ETH_P_802_3_MIN, ETH_P_8021AD, ETH_P_8021Q, ETH_P_ARP, ETH_P_IP, ETH_P_IPV6,
    PktType, SKB_HEADROOM, SKB_POOL_BUF, SkBuff, Skb, SkbMeta, SkbPool, VLAN_HLEN, VlanTag,
};
pub use stats::{CoreStat, DevStats, LinkStats64, Stat};
pub use tap::{Direction, Tap, TapPacket};
pub use world::{TIMER_RX_BUDGET, WeakWorld, World, WorldConfig};
