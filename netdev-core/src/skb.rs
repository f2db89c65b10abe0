//! Packet buffers (`struct sk_buff`): a byte buffer with headroom and tailroom plus the metadata
//! the net core and the drivers read and write.
//!
//! An [`Skb`] is an owned, pointer-sized handle to a [`SkBuff`] (the metadata and its buffer). It
//! moves by value: whoever holds it delivers it, queues it or drops it with a reason, exactly once.
//! Packets come from and return whole to a per-CPU [`SkbPool`], so the hot path neither allocates
//! nor copies the metadata around.
//!
//! Accessors never panic: operations that would run past the buffer return `None` and leave the
//! skb unchanged.

use std::fmt;

/// `ETH_HLEN`: the Ethernet header length.
pub const ETH_HLEN: usize = 14;
/// `VLAN_HLEN`: one 802.1Q tag.
pub const VLAN_HLEN: usize = 4;
/// `ETH_P_IP`.
pub const ETH_P_IP: u16 = 0x0800;
/// `ETH_P_ARP`.
pub const ETH_P_ARP: u16 = 0x0806;
/// `ETH_P_IPV6`.
pub const ETH_P_IPV6: u16 = 0x86dd;
/// `ETH_P_8021Q`.
pub const ETH_P_8021Q: u16 = 0x8100;
/// `ETH_P_8021AD`.
pub const ETH_P_8021AD: u16 = 0x88a8;
/// `ETH_P_802_3`: raw 802.3 frame (Novell raw IPX).
pub const ETH_P_802_3: u16 = 0x0001;
/// `ETH_P_802_2`: 802.2 LLC frame.
pub const ETH_P_802_2: u16 = 0x0004;
/// The smallest value of the type/length field that is an ethertype (`ETH_P_802_3_MIN`).
pub const ETH_P_802_3_MIN: u16 = 0x0600;

/// Default headroom reserved in a fresh buffer (`NET_SKB_PAD`-like), room for stacked headers.
pub const SKB_HEADROOM: usize = 64;
/// Size of a pooled buffer: a full-MTU frame with headroom and a few tags.
pub const SKB_POOL_BUF: usize = 2048;

/// `skb->pkt_type`, the `PACKET_*` classes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
#[repr(u8)]
pub enum PktType {
    /// `PACKET_HOST`: addressed to this host.
    #[default]
    Host = 0,
    /// `PACKET_BROADCAST`.
    Broadcast = 1,
    /// `PACKET_MULTICAST`.
    Multicast = 2,
    /// `PACKET_OTHERHOST`: addressed to another host; IP drops it.
    OtherHost = 3,
    /// `PACKET_OUTGOING`: a copy of an outgoing frame, as taps see it.
    Outgoing = 4,
    /// `PACKET_LOOPBACK`.
    Loopback = 5,
}

/// An out-of-band VLAN tag (`skb->vlan_proto`, `skb->vlan_tci`), as `skb_vlan_untag` leaves it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct VlanTag {
    /// TPID: `ETH_P_8021Q` or `ETH_P_8021AD`.
    pub proto: u16,
    /// Tag control information: PCP (3 bits), DEI (1), VID (12).
    pub tci: u16,
}

impl VlanTag {
    /// The 12-bit VLAN ID.
    pub const fn vid(self) -> u16 {
        self.tci & 0x0fff
    }
}

/// Packet metadata besides the bytes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SkbMeta {
    /// `skb->protocol`, host order (`0x0800` for IPv4).
    pub protocol: u16,
    /// `skb->pkt_type`.
    pub pkt_type: PktType,
    /// `skb->mark` (fwmark).
    pub mark: u32,
    /// `skb->priority`.
    pub priority: u32,
    /// The out-of-band VLAN tag, if any.
    pub vlan: Option<VlanTag>,
    /// `skb->skb_iif`: ifindex of the device the packet arrived on (0 after scrub).
    pub skb_iif: u32,
    /// `skb->hash`.
    pub hash: u32,
    /// `skb->tstamp` in virtual nanoseconds (0 = unset).
    pub tstamp: u64,
    /// GSO packet: exempt from the forwarding MTU check.
    pub gso: bool,
    /// `skb->queue_mapping`.
    pub queue_mapping: u16,
    /// `skb->ignore_df`.
    pub ignore_df: bool,
}

/// One packet: an owned handle to a pooled [`SkBuff`], which it dereferences to.
pub struct Skb(Box<SkBuff>);

impl std::ops::Deref for Skb {
    type Target = SkBuff;
    #[inline]
    fn deref(&self) -> &SkBuff {
        &self.0
    }
}

impl std::ops::DerefMut for Skb {
    #[inline]
    fn deref_mut(&mut self) -> &mut SkBuff {
        &mut self.0
    }
}

/// The packet an [`Skb`] points to (`struct sk_buff`): the buffer with its data and tail
/// offsets, the MAC header offset and the metadata.
pub struct SkBuff {
    buf: Box<[u8]>,
    data: usize,
    tail: usize,
    mac_header: Option<usize>,
    /// The id of the device the packet is being received on (`skb->dev` on the receive path;
    /// 0 for none). The device itself is pinned on the CPU that handles the packet.
    pub(crate) dev: u64,
    /// The namespace the packet is currently in (for the `xnet` test of `skb_scrub_packet`).
    pub(crate) netns: u32,
    /// Metadata.
    pub meta: SkbMeta,
}

impl fmt::Debug for Skb {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl fmt::Debug for SkBuff {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Skb")
            .field("len", &self.len())
            .field("headroom", &self.headroom())
            .field("meta", &self.meta)
            .finish()
    }
}

impl Skb {
    /// A fresh, unpooled buffer holding a copy of `frame`, with [`SKB_HEADROOM`] of headroom.
    pub fn from_bytes(frame: &[u8]) -> Skb {
        let mut skb = Skb::with_capacity(SKB_HEADROOM + frame.len());
        skb.reserve(SKB_HEADROOM);
        if let Some(dst) = skb.put(frame.len()) {
            dst.copy_from_slice(frame);
        }
        skb
    }

    fn with_capacity(cap: usize) -> Skb {
        Skb::from_buf(vec![0u8; cap].into_boxed_slice())
    }

    fn from_buf(buf: Box<[u8]>) -> Skb {
        Skb(Box::new(SkBuff { buf, data: 0, tail: 0, mac_header: None, dev: 0, netns: 0, meta: SkbMeta::default() }))
    }
}

impl SkBuff {
    /// The packet bytes from the data pointer to the tail.
    #[inline]
    pub fn data(&self) -> &[u8] {
        &self.buf[self.data..self.tail]
    }

    /// The packet bytes, mutable.
    #[inline]
    pub fn data_mut(&mut self) -> &mut [u8] {
        &mut self.buf[self.data..self.tail]
    }

    /// `skb->len`: bytes from data to tail.
    #[inline]
    pub fn len(&self) -> usize {
        self.tail - self.data
    }

    /// True when the packet holds no bytes.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.tail == self.data
    }

    /// `skb_headroom`.
    #[inline]
    pub fn headroom(&self) -> usize {
        self.data
    }

    /// `skb_tailroom`.
    #[inline]
    pub fn tailroom(&self) -> usize {
        self.buf.len() - self.tail
    }

    /// `skb_reserve` on an empty buffer: move data and tail forward by `n`. `None` if it does not fit.
    #[inline]
    pub fn reserve(&mut self, n: usize) -> Option<()> {
        if self.tail + n > self.buf.len() {
            return None;
        }
        self.data += n;
        self.tail += n;
        Some(())
    }

    /// `skb_push`: grow at the head by `n` bytes (into the headroom) and return them.
    #[inline]
    pub fn push(&mut self, n: usize) -> Option<&mut [u8]> {
        if n > self.data {
            return None;
        }
        self.data -= n;
        Some(&mut self.buf[self.data..self.data + n])
    }

    /// `skb_pull`: drop `n` bytes at the head; returns the new data. `None` if shorter than `n`.
    #[inline]
    pub fn pull(&mut self, n: usize) -> Option<&[u8]> {
        if n > self.len() {
            return None;
        }
        self.data += n;
        Some(&self.buf[self.data..self.tail])
    }

    /// `skb_put`: grow at the tail by `n` bytes (into the tailroom) and return them.
    #[inline]
    pub fn put(&mut self, n: usize) -> Option<&mut [u8]> {
        if n > self.tailroom() {
            return None;
        }
        let start = self.tail;
        self.tail += n;
        Some(&mut self.buf[start..self.tail])
    }

    /// `skb_trim`: cut the packet to `len` bytes (no-op if already shorter).
    #[inline]
    pub fn trim(&mut self, len: usize) {
        if len < self.len() {
            self.tail = self.data + len;
        }
    }

    /// Mark the current data pointer as the start of the MAC header (`skb_reset_mac_header`).
    #[inline]
    pub fn reset_mac_header(&mut self) {
        self.mac_header = Some(self.data);
    }

    /// The frame from the MAC header to the tail (the whole frame as a tap sees it), or the data if
    /// no MAC header is set.
    #[inline]
    pub fn mac_frame(&self) -> &[u8] {
        let start = self.mac_header.filter(|&m| m <= self.data).unwrap_or(self.data);
        &self.buf[start..self.tail]
    }

    /// Bytes between the MAC header and the data pointer (14 after `eth_type_trans`).
    #[inline]
    pub fn mac_len(&self) -> usize {
        self.mac_header.filter(|&m| m <= self.data).map_or(0, |m| self.data - m)
    }

    /// Restore the data pointer to the MAC header (`skb_push(skb, skb->mac_len)`), so the frame
    /// can be transmitted again (what a bridge does before forwarding).
    #[inline]
    pub fn push_mac(&mut self) {
        if let Some(m) = self.mac_header.filter(|&m| m <= self.data) {
            self.data = m;
        }
    }

    /// The id ([`NetDevice::id`](crate::NetDevice::id)) of the device the packet is being
    /// received on, 0 if it is not on a receive path. [`Cpu::skb_dev`](crate::Cpu::skb_dev)
    /// gives the device.
    #[inline]
    pub fn dev_id(&self) -> u64 {
        self.dev
    }

    /// `skb_vlan_untag` on a received frame whose data starts after the Ethernet header and whose
    /// protocol is 802.1Q/802.1AD: move the tag out of band, shift the MAC addresses over it and
    /// set the protocol to the inner ethertype. `None` (skb unchanged) if the frame is too short
    /// or has no MAC header just before the data.
    pub fn vlan_untag(&mut self) -> Option<VlanTag> {
        let mac = self.mac_header?;
        if self.data.checked_sub(mac)? != ETH_HLEN || self.len() < VLAN_HLEN {
            return None;
        }
        let d = self.data;
        let tci = u16::from_be_bytes([self.buf[d], self.buf[d + 1]]);
        let inner = u16::from_be_bytes([self.buf[d + 2], self.buf[d + 3]]);
        let tag = VlanTag { proto: self.meta.protocol, tci };
        self.buf.copy_within(mac..mac + 12, mac + VLAN_HLEN);
        self.mac_header = Some(mac + VLAN_HLEN);
        self.data += VLAN_HLEN;
        self.meta.protocol = inner;
        self.meta.vlan = Some(tag);
        Some(tag)
    }

    /// Insert `tag` into the frame after the MAC addresses (`__vlan_insert_tag`); the data must
    /// start at the Ethernet header. `None` (unchanged) without 4 bytes of headroom or 12 of data.
    pub fn vlan_insert(&mut self, tag: VlanTag) -> Option<()> {
        if self.data < VLAN_HLEN || self.len() < 12 {
            return None;
        }
        let d = self.data;
        self.buf.copy_within(d..d + 12, d - VLAN_HLEN);
        self.data -= VLAN_HLEN;
        self.buf[d + 8..d + 10].copy_from_slice(&tag.proto.to_be_bytes());
        self.buf[d + 10..d + 12].copy_from_slice(&tag.tci.to_be_bytes());
        self.mac_header = Some(self.data);
        Some(())
    }

    fn clear(&mut self) {
        self.data = 0;
        self.tail = 0;
        self.mac_header = None;
        self.dev = 0;
        self.netns = 0;
        self.meta = SkbMeta::default();
    }
}

/// A free list of packets, one per simulated CPU. Packets with a buffer of [`SKB_POOL_BUF`] bytes
/// are recycled whole (metadata and buffer); larger ones are allocated and freed.
#[derive(Debug)]
pub struct SkbPool {
    free: Vec<Skb>,
    limit: usize,
    allocated: u64,
}

impl SkbPool {
    /// A pool keeping up to `limit` free buffers.
    pub fn new(limit: usize) -> SkbPool {
        SkbPool { free: Vec::with_capacity(limit.min(4096)), limit, allocated: 0 }
    }

    /// A buffer with `headroom` reserved and room for `len` bytes at the tail (empty data).
    pub fn alloc(&mut self, headroom: usize, len: usize) -> Skb {
        let need = headroom + len;
        let mut skb = if need <= SKB_POOL_BUF {
            match self.free.pop() {
                Some(skb) => skb,
                None => {
                    self.allocated += 1;
                    Skb::with_capacity(SKB_POOL_BUF)
                }
            }
        } else {
            self.allocated += 1;
            Skb::with_capacity(need)
        };
        // Both branches have capacity >= need, so this reserve cannot fail.
        let _ = skb.reserve(headroom);
        skb
    }

    /// A buffer holding a copy of `frame` after [`SKB_HEADROOM`] of headroom.
    pub fn alloc_frame(&mut self, frame: &[u8]) -> Skb {
        let mut skb = self.alloc(SKB_HEADROOM, frame.len());
        if let Some(dst) = skb.put(frame.len()) {
            dst.copy_from_slice(frame);
        }
        skb
    }

    /// A copy of `skb` (see [`Cpu::skb_clone`](crate::Cpu::skb_clone)): a pooled buffer if the
    /// original is pooled-size, else one of the original's size; the bytes from the MAC header
    /// (or the data) to the tail, the offsets, the device and the metadata.
    pub fn clone_skb(&mut self, skb: &SkBuff) -> Skb {
        let mut n = if skb.buf.len() == SKB_POOL_BUF {
            match self.free.pop() {
                Some(n) => n,
                None => {
                    self.allocated += 1;
                    Skb::with_capacity(SKB_POOL_BUF)
                }
            }
        } else {
            self.allocated += 1;
            Skb::with_capacity(skb.buf.len())
        };
        let start = skb.mac_header.map_or(skb.data, |m| m.min(skb.data));
        // Both buffers have the same length, and start <= data <= tail <= len.
        n.buf[start..skb.tail].copy_from_slice(&skb.buf[start..skb.tail]);
        n.data = skb.data;
        n.tail = skb.tail;
        n.mac_header = skb.mac_header;
        n.dev = skb.dev;
        n.netns = skb.netns;
        n.meta = skb.meta.clone();
        n
    }

    /// Return a packet to the pool (or free it if the pool is full or its buffer is oversized).
    #[inline]
    pub fn recycle(&mut self, mut skb: Skb) {
        if skb.buf.len() == SKB_POOL_BUF && self.free.len() < self.limit {
            skb.clear();
            self.free.push(skb);
        }
    }

    /// Buffers allocated from the system so far (not recycled ones).
    pub fn allocated(&self) -> u64 {
        self.allocated
    }

    /// Free buffers held.
    pub fn free_count(&self) -> usize {
        self.free.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn push_pull_put_trim() {
        let mut pool = SkbPool::new(4);
        let mut skb = pool.alloc(16, 100);
        assert_eq!(skb.headroom(), 16);
        skb.put(10).unwrap().copy_from_slice(&[1; 10]);
        assert_eq!(skb.len(), 10);
        skb.push(4).unwrap().copy_from_slice(&[9; 4]);
        assert_eq!(skb.data()[..5], [9, 9, 9, 9, 1]);
        assert_eq!(skb.headroom(), 12);
        assert!(skb.push(13).is_none());
        assert_eq!(skb.pull(4).unwrap().len(), 10);
        assert!(skb.pull(11).is_none());
        skb.trim(3);
        assert_eq!(skb.len(), 3);
        assert!(skb.put(SKB_POOL_BUF).is_none());
        pool.recycle(skb);
        assert_eq!(pool.free_count(), 1);
        let again = pool.alloc(0, 10);
        assert_eq!(pool.allocated(), 1, "the recycled buffer is reused");
        assert!(again.is_empty());
        assert_eq!(again.meta, SkbMeta::default());
    }

    #[test]
    fn mac_header_survives_pull() {
        let mut skb = Skb::from_bytes(&[0xaa; 20]);
        skb.reset_mac_header();
        skb.pull(ETH_HLEN).unwrap();
        assert_eq!(skb.mac_len(), ETH_HLEN);
        assert_eq!(skb.mac_frame().len(), 20);
        skb.push_mac();
        assert_eq!(skb.len(), 20);
    }

    #[test]
    fn vlan_untag_and_insert_round_trip() {
        // dst, src, 0x8100, tci 0x002a (VID 42), inner 0x0800, payload
        let mut frame = vec![1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 0x81, 0x00, 0x00, 0x2a, 0x08, 0x00];
        frame.extend_from_slice(&[0xee; 8]);
        let mut skb = Skb::from_bytes(&frame);
        skb.reset_mac_header();
        skb.pull(ETH_HLEN).unwrap();
        skb.meta.protocol = ETH_P_8021Q;
        let tag = skb.vlan_untag().unwrap();
        assert_eq!(tag.vid(), 42);
        assert_eq!(skb.meta.protocol, ETH_P_IP);
        assert_eq!(skb.data(), &[0xee; 8]);
        assert_eq!(&skb.mac_frame()[..14], &[1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 0x08, 0x00]);
        skb.push_mac();
        skb.vlan_insert(tag).unwrap();
        assert_eq!(skb.data(), &frame[..]);
        // A frame too short for a tag is left alone.
        let mut short = Skb::from_bytes(&frame[..16]);
        short.reset_mac_header();
        short.pull(ETH_HLEN).unwrap();
        assert!(short.vlan_untag().is_none());
        assert_eq!(short.len(), 2);
    }

    #[test]
    fn oversized_buffers_are_not_pooled() {
        let mut pool = SkbPool::new(4);
        let skb = pool.alloc(64, 9000);
        assert!(skb.tailroom() >= 9000);
        pool.recycle(skb);
        assert_eq!(pool.free_count(), 0);
    }
}
