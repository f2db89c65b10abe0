//! Small types shared by the whole driver: bridge ids, port states, port flags, STP modes and the
//! time units the bridge's netlink attributes use (`include/uapi/linux/if_bridge.h`,
//! `net/bridge/br_private.h`).

use std::fmt;

use netdev_core::{MacAddr, NSEC_PER_SEC};

/// Nanoseconds per centisecond: the bridge's times travel as `clock_t` at `USER_HZ = 100`.
pub const NSEC_PER_CS: u64 = 10_000_000;

/// Centiseconds to nanoseconds (`clock_t_to_jiffies`).
pub const fn cs_to_ns(cs: u64) -> u64 {
    cs.saturating_mul(NSEC_PER_CS)
}

/// Nanoseconds to centiseconds, rounded down (`jiffies_to_clock_t`).
pub const fn ns_to_cs(ns: u64) -> u64 {
    ns / NSEC_PER_CS
}

/// `BR_DEFAULT_AGEING_TIME`: 300 s.
pub(crate) const DEFAULT_AGEING_TIME: u64 = 300 * NSEC_PER_SEC;
/// `BR_PORT_BITS`: port numbers take 10 bits of the port id.
pub(crate) const PORT_BITS: u32 = 10;
/// `BR_MAX_PORTS`: port numbers are 1..1023 (0 is reserved).
pub(crate) const MAX_PORTS: u16 = 1 << PORT_BITS;
/// `BR_GROUPFWD_RESTRICTED`: STP, PAUSE and LACP may not be forwarded bridge-wide.
pub(crate) const GROUPFWD_RESTRICTED: u16 = 0x0007;
/// `BR_GROUPFWD_MACPAUSE`: a port may never forward PAUSE frames.
pub(crate) const GROUPFWD_MACPAUSE: u16 = 0x0002;
/// `BR_GROUPFWD_8021AD`: the customer-BPDU range an 802.1ad bridge must forward
/// (`BIT(0) | BIT(0xb..0xf) | ...` as the kernel defines it, minus the group address bit).
pub(crate) const GROUPFWD_8021AD: u16 = 0xB801;
/// `eth_stp_addr`: the bridge group address 01:80:c2:00:00:00.
pub(crate) const STP_GROUP_ADDR: MacAddr = MacAddr([0x01, 0x80, 0xc2, 0x00, 0x00, 0x00]);

/// `is_link_local_ether_addr`: 01:80:c2:00:00:0X.
pub(crate) fn is_link_local(a: MacAddr) -> bool {
    let o = a.0;
    o[..5] == [0x01, 0x80, 0xc2, 0x00, 0x00] && o[5] & 0xf0 == 0
}

/// A bridge identifier (`struct bridge_id`): two bytes of priority and the MAC, compared as
/// bytes (`memcmp`), which is what the derived order does.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct BridgeId {
    /// The priority (`prio[0] << 8 | prio[1]`).
    pub prio: u16,
    /// The MAC address.
    pub addr: MacAddr,
}

impl BridgeId {
    /// The 8 bytes as they go into a BPDU.
    pub fn octets(self) -> [u8; 8] {
        let p = self.prio.to_be_bytes();
        let a = self.addr.0;
        [p[0], p[1], a[0], a[1], a[2], a[3], a[4], a[5]]
    }

    /// From the 8 bytes of a BPDU.
    pub fn from_octets(b: [u8; 8]) -> BridgeId {
        BridgeId { prio: u16::from_be_bytes([b[0], b[1]]), addr: MacAddr([b[2], b[3], b[4], b[5], b[6], b[7]]) }
    }

    /// How `ip -d link` prints it (iproute2 `br_dump_bridge_id`: `%.2x%.2x.` and `ether_ntoa_r`,
    /// whose bytes are not zero-padded): `8000.2:0:0:0:1:0`.
    pub fn iproute2(self) -> String {
        let p = self.prio.to_be_bytes();
        let a = self.addr.0;
        format!("{:02x}{:02x}.{:x}:{:x}:{:x}:{:x}:{:x}:{:x}", p[0], p[1], a[0], a[1], a[2], a[3], a[4], a[5])
    }

    /// How sysfs prints it (`br_show_bridge_id`): `8000.020000000100`.
    pub fn sysfs(self) -> String {
        let p = self.prio.to_be_bytes();
        let a = self.addr.0;
        format!("{:02x}{:02x}.{:02x}{:02x}{:02x}{:02x}{:02x}{:02x}", p[0], p[1], a[0], a[1], a[2], a[3], a[4], a[5])
    }
}

/// A port's STP state (`BR_STATE_*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u8)]
pub enum PortState {
    /// `BR_STATE_DISABLED` (0): the port is down or has no carrier.
    Disabled = 0,
    /// `BR_STATE_LISTENING` (1).
    Listening = 1,
    /// `BR_STATE_LEARNING` (2): learns source addresses, forwards nothing.
    Learning = 2,
    /// `BR_STATE_FORWARDING` (3).
    Forwarding = 3,
    /// `BR_STATE_BLOCKING` (4).
    Blocking = 4,
}

impl PortState {
    /// The state with this number, if it is one.
    pub const fn from_u8(v: u8) -> Option<PortState> {
        Some(match v {
            0 => PortState::Disabled,
            1 => PortState::Listening,
            2 => PortState::Learning,
            3 => PortState::Forwarding,
            4 => PortState::Blocking,
            _ => return None,
        })
    }

    /// The name `bridge link` and `ip -d link` print (`br_port_state_names`).
    pub const fn name(self) -> &'static str {
        match self {
            PortState::Disabled => "disabled",
            PortState::Listening => "listening",
            PortState::Learning => "learning",
            PortState::Forwarding => "forwarding",
            PortState::Blocking => "blocking",
        }
    }
}

impl fmt::Display for PortState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Who runs the spanning tree (`br->stp_enabled`, `BR_NO_STP` / `BR_KERNEL_STP` /
/// `BR_USER_STP`), as `stp_state` shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum StpMode {
    /// `BR_NO_STP` (0): ports forward as soon as they have carrier.
    None = 0,
    /// `BR_KERNEL_STP` (1): the kernel's 802.1D STP (`br_stp*.c`).
    Kernel = 1,
    /// `BR_USER_STP` (2): a user-space daemon (never chosen here: there is no `/sbin/bridge-stp`).
    User = 2,
}

macro_rules! port_flags {
    ($($(#[$m:meta])* $name:ident = $bit:expr;)*) => {
        /// A port's flags (`BR_*` in `include/linux/if_bridge.h`).
        #[derive(Clone, Copy, PartialEq, Eq, Default, Hash)]
        pub struct PortFlags(pub u32);

        impl PortFlags {
            $($(#[$m])* pub const $name: PortFlags = PortFlags(1 << $bit);)*

            /// True if every bit of `o` is set.
            pub const fn contains(self, o: PortFlags) -> bool {
                self.0 & o.0 == o.0
            }

            /// Set or clear the bits of `o`.
            pub fn set(&mut self, o: PortFlags, on: bool) {
                if on { self.0 |= o.0 } else { self.0 &= !o.0 }
            }
        }

        impl std::ops::BitOr for PortFlags {
            type Output = PortFlags;
            fn bitor(self, o: PortFlags) -> PortFlags {
                PortFlags(self.0 | o.0)
            }
        }

        impl fmt::Debug for PortFlags {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                let mut l = f.debug_set();
                $(if self.contains(PortFlags::$name) { l.entry(&stringify!($name)); })*
                l.finish()
            }
        }
    };
}

port_flags! {
    /// `BR_HAIRPIN_MODE`: frames may go back out of the port they came in on.
    HAIRPIN = 0;
    /// `BR_BPDU_GUARD`: a BPDU disables the port.
    BPDU_GUARD = 1;
    /// `BR_ROOT_BLOCK`: the port may not become the root port.
    ROOT_BLOCK = 2;
    /// `BR_MULTICAST_FAST_LEAVE`.
    FAST_LEAVE = 3;
    /// `BR_ADMIN_COST`: the path cost was set by the user.
    ADMIN_COST = 4;
    /// `BR_LEARNING`: source addresses are learned.
    LEARNING = 5;
    /// `BR_FLOOD`: unknown unicast is flooded to the port.
    FLOOD = 6;
    /// `BR_PROXYARP`.
    PROXYARP = 8;
    /// `BR_LEARNING_SYNC`.
    LEARNING_SYNC = 9;
    /// `BR_PROXYARP_WIFI`.
    PROXYARP_WIFI = 10;
    /// `BR_MCAST_FLOOD`: unregistered multicast is flooded to the port.
    MCAST_FLOOD = 11;
    /// `BR_MULTICAST_TO_UNICAST`.
    MCAST_TO_UCAST = 12;
    /// `BR_VLAN_TUNNEL`.
    VLAN_TUNNEL = 13;
    /// `BR_BCAST_FLOOD`: broadcast is flooded to the port.
    BCAST_FLOOD = 14;
    /// `BR_NEIGH_SUPPRESS`.
    NEIGH_SUPPRESS = 15;
    /// `BR_ISOLATED`: no forwarding between two isolated ports.
    ISOLATED = 16;
    /// `BR_PORT_LOCKED`: 802.1X locked port.
    LOCKED = 18;
    /// `BR_PORT_MAB`: MAC authentication bypass.
    MAB = 19;
    /// `BR_NEIGH_VLAN_SUPPRESS`.
    NEIGH_VLAN_SUPPRESS = 20;
    /// `BR_PROMISC`: the bridge holds a promiscuity reference on the port.
    PROMISC = 7;
}

impl PortFlags {
    /// The flags of a new port (`new_nbp`).
    pub const DEFAULT: PortFlags =
        PortFlags(PortFlags::LEARNING.0 | PortFlags::FLOOD.0 | PortFlags::MCAST_FLOOD.0 | PortFlags::BCAST_FLOOD.0);
    /// `BR_AUTO_MASK`: a port that learns and floods is an "auto" port (`br_auto_port`).
    pub const AUTO_MASK: PortFlags = PortFlags(PortFlags::FLOOD.0 | PortFlags::LEARNING.0);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bridge_id_formats_and_orders_like_the_kernel() {
        let id = BridgeId { prio: 0x8000, addr: MacAddr([2, 0, 0, 0, 1, 0]) };
        assert_eq!(id.iproute2(), "8000.2:0:0:0:1:0");
        assert_eq!(id.sysfs(), "8000.020000000100");
        assert_eq!(BridgeId::from_octets(id.octets()), id);
        let lower_prio = BridgeId { prio: 0x1000, addr: MacAddr([0xff; 6]) };
        assert!(lower_prio < id, "priority bytes come first in memcmp order");
        let lower_mac = BridgeId { prio: 0x8000, addr: MacAddr([1, 0, 0, 0, 0, 0]) };
        assert!(lower_mac < id);
    }

    #[test]
    fn link_local_range_and_states() {
        assert!(is_link_local(STP_GROUP_ADDR));
        assert!(is_link_local(MacAddr([1, 0x80, 0xc2, 0, 0, 0x0e])));
        assert!(!is_link_local(MacAddr([1, 0x80, 0xc2, 0, 0, 0x10])));
        assert_eq!(PortState::from_u8(3), Some(PortState::Forwarding));
        assert_eq!(PortState::from_u8(5), None);
        assert_eq!(PortState::Blocking.name(), "blocking");
        assert_eq!(cs_to_ns(1500), 15 * NSEC_PER_SEC);
        assert_eq!(ns_to_cs(14_449_999_999), 1444);
    }
}
