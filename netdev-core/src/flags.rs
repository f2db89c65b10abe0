//! Device flag words: `IFF_*` (net_device_flags), private flags (`IFF_*` in `netdev_priv_flags`)
//! and feature bits (`NETIF_F_*`).

use std::fmt;
use std::ops::{BitAnd, BitOr, BitOrAssign, Not};

macro_rules! flag_type {
    ($(#[$m:meta])* $name:ident($int:ty) { $($(#[$fm:meta])* $flag:ident = $val:expr, $text:literal;)* }) => {
        $(#[$m])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
        pub struct $name(pub $int);

        impl $name {
            $($(#[$fm])* pub const $flag: $name = $name($val);)*
            /// No bit set.
            pub const EMPTY: $name = $name(0);
            /// Every named bit with its kernel name, in bit order.
            pub const NAMED: &'static [($name, &'static str)] = &[$(($name($val), $text)),*];

            /// The raw bits.
            pub const fn bits(self) -> $int { self.0 }
            /// True if every bit of `other` is set.
            pub const fn contains(self, other: $name) -> bool { self.0 & other.0 == other.0 }
            /// True if any bit of `other` is set.
            pub const fn intersects(self, other: $name) -> bool { self.0 & other.0 != 0 }
            /// Set or clear the bits of `other`.
            pub fn set(&mut self, other: $name, on: bool) {
                if on { self.0 |= other.0 } else { self.0 &= !other.0 }
            }
        }

        impl BitOr for $name { type Output = $name; fn bitor(self, o: $name) -> $name { $name(self.0 | o.0) } }
        impl BitOrAssign for $name { fn bitor_assign(&mut self, o: $name) { self.0 |= o.0 } }
        impl BitAnd for $name { type Output = $name; fn bitand(self, o: $name) -> $name { $name(self.0 & o.0) } }
        impl Not for $name { type Output = $name; fn not(self) -> $name { $name(!self.0) } }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                let mut first = true;
                for (bit, name) in Self::NAMED {
                    if self.contains(*bit) && bit.0 != 0 {
                        if !first { f.write_str("|")?; }
                        f.write_str(name)?;
                        first = false;
                    }
                }
                if first { f.write_str("0")?; }
                Ok(())
            }
        }
    };
}

flag_type! {
    /// The user-visible interface flags, `IFF_*` from `include/uapi/linux/if.h`.
    IfFlags(u32) {
        /// `IFF_UP`: administratively up.
        UP = 1 << 0, "UP";
        /// `IFF_BROADCAST`.
        BROADCAST = 1 << 1, "BROADCAST";
        /// `IFF_DEBUG`.
        DEBUG = 1 << 2, "DEBUG";
        /// `IFF_LOOPBACK`.
        LOOPBACK = 1 << 3, "LOOPBACK";
        /// `IFF_POINTOPOINT`.
        POINTOPOINT = 1 << 4, "POINTOPOINT";
        /// `IFF_NOTRAILERS`.
        NOTRAILERS = 1 << 5, "NOTRAILERS";
        /// `IFF_RUNNING`: operstate UP or UNKNOWN (computed by `netif_get_flags`).
        RUNNING = 1 << 6, "RUNNING";
        /// `IFF_NOARP`.
        NOARP = 1 << 7, "NOARP";
        /// `IFF_PROMISC`.
        PROMISC = 1 << 8, "PROMISC";
        /// `IFF_ALLMULTI`.
        ALLMULTI = 1 << 9, "ALLMULTI";
        /// `IFF_MASTER`.
        MASTER = 1 << 10, "MASTER";
        /// `IFF_SLAVE`.
        SLAVE = 1 << 11, "SLAVE";
        /// `IFF_MULTICAST`.
        MULTICAST = 1 << 12, "MULTICAST";
        /// `IFF_PORTSEL`.
        PORTSEL = 1 << 13, "PORTSEL";
        /// `IFF_AUTOMEDIA`.
        AUTOMEDIA = 1 << 14, "AUTOMEDIA";
        /// `IFF_DYNAMIC`.
        DYNAMIC = 1 << 15, "DYNAMIC";
        /// `IFF_LOWER_UP`: carrier on (computed).
        LOWER_UP = 1 << 16, "LOWER_UP";
        /// `IFF_DORMANT` (computed).
        DORMANT = 1 << 17, "DORMANT";
        /// `IFF_ECHO`.
        ECHO = 1 << 18, "ECHO";
    }
}

impl IfFlags {
    /// The bits user space may toggle through `__dev_change_flags` (besides UP, PROMISC, ALLMULTI).
    pub const USER_CHANGEABLE: IfFlags = IfFlags(
        IfFlags::DEBUG.0
            | IfFlags::NOTRAILERS.0
            | IfFlags::NOARP.0
            | IfFlags::DYNAMIC.0
            | IfFlags::MULTICAST.0
            | IfFlags::PORTSEL.0
            | IfFlags::AUTOMEDIA.0,
    );
    /// The bits `netif_get_flags` computes rather than reads.
    pub const VOLATILE: IfFlags = IfFlags(
        IfFlags::PROMISC.0 | IfFlags::ALLMULTI.0 | IfFlags::RUNNING.0 | IfFlags::LOWER_UP.0 | IfFlags::DORMANT.0,
    );
}

flag_type! {
    /// Private flags (`enum netdev_priv_flags`), the subset the simulator models.
    PrivFlags(u64) {
        /// `IFF_802_1Q_VLAN`: a vlan device.
        VLAN_8021Q = 1 << 0, "802_1Q_VLAN";
        /// `IFF_EBRIDGE`: a bridge.
        EBRIDGE = 1 << 1, "EBRIDGE";
        /// `IFF_BONDING`: a bond master or slave.
        BONDING = 1 << 2, "BONDING";
        /// `IFF_XMIT_DST_RELEASE`.
        XMIT_DST_RELEASE = 1 << 5, "XMIT_DST_RELEASE";
        /// `IFF_DONT_BRIDGE`: may not be a bridge port.
        DONT_BRIDGE = 1 << 6, "DONT_BRIDGE";
        /// `IFF_DISABLE_NETPOLL`.
        DISABLE_NETPOLL = 1 << 7, "DISABLE_NETPOLL";
        /// `IFF_MACVLAN_PORT`: lower device of macvlans.
        MACVLAN_PORT = 1 << 8, "MACVLAN_PORT";
        /// `IFF_BRIDGE_PORT`.
        BRIDGE_PORT = 1 << 9, "BRIDGE_PORT";
        /// `IFF_TX_SKB_SHARING`.
        TX_SKB_SHARING = 1 << 11, "TX_SKB_SHARING";
        /// `IFF_UNICAST_FLT`.
        UNICAST_FLT = 1 << 12, "UNICAST_FLT";
        /// `IFF_TEAM_PORT`.
        TEAM_PORT = 1 << 13, "TEAM_PORT";
        /// `IFF_LIVE_ADDR_CHANGE`: the MAC may change while the device is up.
        LIVE_ADDR_CHANGE = 1 << 16, "LIVE_ADDR_CHANGE";
        /// `IFF_MACVLAN`: a macvlan device.
        MACVLAN = 1 << 17, "MACVLAN";
        /// `IFF_XMIT_DST_RELEASE_PERM`.
        XMIT_DST_RELEASE_PERM = 1 << 18, "XMIT_DST_RELEASE_PERM";
        /// `IFF_L3MDEV_MASTER`.
        L3MDEV_MASTER = 1 << 19, "L3MDEV_MASTER";
        /// `IFF_NO_QUEUE`: noqueue qdisc.
        NO_QUEUE = 1 << 20, "NO_QUEUE";
        /// `IFF_OPENVSWITCH`.
        OPENVSWITCH = 1 << 21, "OPENVSWITCH";
        /// `IFF_TEAM`.
        TEAM = 1 << 23, "TEAM";
        /// `IFF_PHONY_HEADROOM`.
        PHONY_HEADROOM = 1 << 25, "PHONY_HEADROOM";
        /// `IFF_NO_RX_HANDLER`: `netdev_rx_handler_register` fails with EINVAL.
        NO_RX_HANDLER = 1 << 27, "NO_RX_HANDLER";
        /// `IFF_IPVLAN_MASTER`.
        IPVLAN_MASTER = 1 << 29, "IPVLAN_MASTER";
        /// `IFF_IPVLAN_SLAVE`.
        IPVLAN_SLAVE = 1 << 30, "IPVLAN_SLAVE";
    }
}

flag_type! {
    /// Feature bits (`NETIF_F_*`), named as `ethtool -k` prints them (`netdev_features_strings`).
    Features(u64) {
        /// `NETIF_F_SG`.
        SG = 1 << 0, "tx-scatter-gather";
        /// `NETIF_F_IP_CSUM`.
        IP_CSUM = 1 << 1, "tx-checksum-ipv4";
        /// `NETIF_F_HW_CSUM`.
        HW_CSUM = 1 << 3, "tx-checksum-ip-generic";
        /// `NETIF_F_IPV6_CSUM`.
        IPV6_CSUM = 1 << 4, "tx-checksum-ipv6";
        /// `NETIF_F_HIGHDMA`.
        HIGHDMA = 1 << 5, "highdma";
        /// `NETIF_F_FRAGLIST`.
        FRAGLIST = 1 << 6, "tx-scatter-gather-fraglist";
        /// `NETIF_F_HW_VLAN_CTAG_TX`.
        HW_VLAN_CTAG_TX = 1 << 7, "tx-vlan-hw-insert";
        /// `NETIF_F_HW_VLAN_CTAG_RX`.
        HW_VLAN_CTAG_RX = 1 << 8, "rx-vlan-hw-parse";
        /// `NETIF_F_VLAN_CHALLENGED`.
        VLAN_CHALLENGED = 1 << 10, "vlan-challenged";
        /// `NETIF_F_GRO`.
        GRO = 1 << 14, "rx-gro";
        /// `NETIF_F_LRO`.
        LRO = 1 << 15, "rx-lro";
        /// `NETIF_F_TSO` (start of the GSO software bits).
        TSO = 1 << 16, "tx-tcp-segmentation";
        /// `NETIF_F_GSO_ROBUST`.
        GSO_ROBUST = 1 << 17, "tx-gso-robust";
        /// `NETIF_F_TSO_ECN`.
        TSO_ECN = 1 << 18, "tx-tcp-ecn-segmentation";
        /// `NETIF_F_TSO_MANGLEID`.
        TSO_MANGLEID = 1 << 19, "tx-tcp-mangleid-segmentation";
        /// `NETIF_F_TSO6`.
        TSO6 = 1 << 20, "tx-tcp6-segmentation";
        /// `NETIF_F_GSO_GRE` (start of GSO_ENCAP_ALL in this model).
        GSO_GRE = 1 << 23, "tx-gre-segmentation";
        /// `NETIF_F_GSO_UDP_TUNNEL`.
        GSO_UDP_TUNNEL = 1 << 27, "tx-udp_tnl-segmentation";
        /// `NETIF_F_GSO_UDP_L4`.
        GSO_UDP_L4 = 1 << 34, "tx-udp-segmentation";
        /// `NETIF_F_SCTP_CRC`.
        SCTP_CRC = 1 << 38, "tx-checksum-sctp";
        /// `NETIF_F_RXCSUM`.
        RXCSUM = 1 << 42, "rx-checksum";
        /// `NETIF_F_HW_VLAN_STAG_TX`.
        HW_VLAN_STAG_TX = 1 << 48, "tx-vlan-stag-hw-insert";
        /// `NETIF_F_HW_VLAN_STAG_RX`.
        HW_VLAN_STAG_RX = 1 << 49, "rx-vlan-stag-hw-parse";
    }
}

impl Features {
    /// `NETIF_F_GSO_SOFTWARE` as the simulator models it (TSO family and UDP L4).
    pub const GSO_SOFTWARE: Features = Features(
        Features::TSO.0 | Features::TSO_ECN.0 | Features::TSO_MANGLEID.0 | Features::TSO6.0 | Features::GSO_UDP_L4.0,
    );
    /// `NETIF_F_GSO_ENCAP_ALL` as the simulator models it.
    pub const GSO_ENCAP_ALL: Features = Features(Features::GSO_GRE.0 | Features::GSO_UDP_TUNNEL.0);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flag_values_match_uapi() {
        assert_eq!(IfFlags::UP.bits(), 0x1);
        assert_eq!(IfFlags::NOARP.bits(), 0x80);
        assert_eq!(IfFlags::MULTICAST.bits(), 0x1000);
        assert_eq!(IfFlags::LOWER_UP.bits(), 0x10000);
        assert_eq!(format!("{:?}", IfFlags::BROADCAST | IfFlags::UP), "UP|BROADCAST");
        let mut f = IfFlags::EMPTY;
        f.set(IfFlags::NOARP, true);
        assert!(f.contains(IfFlags::NOARP));
        f.set(IfFlags::NOARP, false);
        assert_eq!(f, IfFlags::EMPTY);
    }
}
