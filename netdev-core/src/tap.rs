//! Packet taps (`ptype_all`, what AF_PACKET and tcpdump see).

use crate::{NetnsId, PktType, VlanTag};

/// Which way a tapped frame was going.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// Handed to the driver (`dev_queue_xmit_nit`, `pkt_type = PACKET_OUTGOING`).
    Outgoing,
    /// Seen on a receive round of `__netif_receive_skb_core`.
    Incoming,
}

/// One tapped frame. `frame` starts at the link-layer header; a VLAN tag moved out of band by
/// `skb_vlan_untag` is in `vlan` (libpcap re-inserts it from auxdata, see [`TapPacket::wire`]).
#[derive(Clone, Copy, Debug)]
pub struct TapPacket<'a> {
    /// The device the tap saw it on.
    pub ifindex: u32,
    /// That device's namespace.
    pub netns: NetnsId,
    /// `ARPHRD_*` of the device (link type of the capture).
    pub dev_type: u16,
    /// Outgoing or incoming.
    pub direction: Direction,
    /// `pkt_type` as the socket sees it.
    pub pkt_type: PktType,
    /// `skb->protocol`.
    pub protocol: u16,
    /// The frame from the link-layer header on.
    pub frame: &'a [u8],
    /// An out-of-band VLAN tag.
    pub vlan: Option<VlanTag>,
    /// Virtual time in nanoseconds.
    pub time_ns: u64,
}

impl TapPacket<'_> {
    /// The frame as it was on the wire: the out-of-band VLAN tag, if any, put back after the two
    /// MAC addresses (what libpcap reconstructs from `PACKET_AUXDATA`).
    pub fn wire(&self) -> Vec<u8> {
        match self.vlan {
            Some(tag) if self.frame.len() >= 12 => {
                let mut v = Vec::with_capacity(self.frame.len() + 4);
                v.extend_from_slice(&self.frame[..12]);
                v.extend_from_slice(&tag.proto.to_be_bytes());
                v.extend_from_slice(&tag.tci.to_be_bytes());
                v.extend_from_slice(&self.frame[12..]);
                v
            }
            _ => self.frame.to_vec(),
        }
    }
}

/// A tap: called for each frame, on the CPU that moves it. It must copy what it keeps and must not
/// block. Taps are not protocol handlers: a frame only a tap saw still counts as unhandled.
pub trait Tap: Send + Sync {
    /// One frame went past.
    fn packet(&self, pkt: &TapPacket<'_>);
}

impl<F: Fn(&TapPacket<'_>) + Send + Sync> Tap for F {
    fn packet(&self, pkt: &TapPacket<'_>) {
        self(pkt)
    }
}
