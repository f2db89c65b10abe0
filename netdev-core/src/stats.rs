//! Device statistics: `struct rtnl_link_stats64`, written per simulated CPU by a single writer and
//! summed on read, as the kernel's per-CPU `tstats`/`lstats`/`core_stats` are.

use std::sync::atomic::{AtomicU64, Ordering};

use crossbeam_utils::CachePadded;

/// `struct rtnl_link_stats64`, field for field.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[allow(missing_docs)] // the field names are the kernel's; see include/uapi/linux/if_link.h
pub struct LinkStats64 {
    pub rx_packets: u64,
    pub tx_packets: u64,
    pub rx_bytes: u64,
    pub tx_bytes: u64,
    pub rx_errors: u64,
    pub tx_errors: u64,
    pub rx_dropped: u64,
    pub tx_dropped: u64,
    pub multicast: u64,
    pub collisions: u64,
    pub rx_length_errors: u64,
    pub rx_over_errors: u64,
    pub rx_crc_errors: u64,
    pub rx_frame_errors: u64,
    pub rx_fifo_errors: u64,
    pub rx_missed_errors: u64,
    pub tx_aborted_errors: u64,
    pub tx_carrier_errors: u64,
    pub tx_fifo_errors: u64,
    pub tx_heartbeat_errors: u64,
    pub tx_window_errors: u64,
    pub rx_compressed: u64,
    pub tx_compressed: u64,
    pub rx_nohandler: u64,
    pub rx_otherhost_dropped: u64,
}

/// A per-CPU counter a driver writes on its data path (the kernel's `pcpu_sw_netstats` plus the
/// driver's own drop and error counters).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(usize)]
pub enum Stat {
    /// Packets received.
    RxPackets = 0,
    /// Bytes received.
    RxBytes,
    /// Packets transmitted.
    TxPackets,
    /// Bytes transmitted.
    TxBytes,
    /// Driver-counted receive drops.
    RxDropped,
    /// Driver-counted transmit drops (veth's `priv->dropped`).
    TxDropped,
    /// Multicast frames received.
    Multicast,
    /// Receive errors.
    RxErrors,
    /// Transmit errors.
    TxErrors,
}

/// A counter the core keeps on every device regardless of the driver (`dev->core_stats`), added on
/// top of the driver's numbers by `dev_get_stats`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(usize)]
pub enum CoreStat {
    /// `core_stats->rx_dropped`.
    RxDropped = 9,
    /// `core_stats->tx_dropped`.
    TxDropped,
    /// `core_stats->rx_nohandler`.
    RxNohandler,
    /// `core_stats->rx_otherhost_dropped`.
    RxOtherhostDropped,
}

const NSLOTS: usize = 13;

/// One CPU's counters for one device: two cache lines, written by that CPU only.
#[derive(Debug, Default)]
struct Shard {
    c: [AtomicU64; NSLOTS],
}

/// A device's counters: one cache-padded shard per simulated CPU.
///
/// Writes are a relaxed load and store (no read-modify-write, no lock prefix): the owning CPU is
/// the only writer, which [`Cpu`](crate::Cpu) guarantees by being neither `Clone` nor `Sync`.
/// Readers sum every shard, like `dev_fetch_sw_netstats`.
#[derive(Debug)]
pub struct DevStats {
    shards: Box<[CachePadded<Shard>]>,
}

impl DevStats {
    pub(crate) fn new(ncpus: usize) -> DevStats {
        DevStats { shards: (0..ncpus.max(1)).map(|_| CachePadded::new(Shard::default())).collect() }
    }

    #[inline]
    fn bump(&self, cpu: usize, slot: usize, n: u64) {
        // Out-of-range CPU ids cannot occur: Cpu ids come from the World that sized these shards.
        if let Some(shard) = self.shards.get(cpu) {
            let c = &shard.c[slot];
            c.store(c.load(Ordering::Relaxed).wrapping_add(n), Ordering::Relaxed);
        }
    }

    #[inline]
    pub(crate) fn add(&self, cpu: usize, stat: Stat, n: u64) {
        self.bump(cpu, stat as usize, n);
    }

    #[inline]
    pub(crate) fn add_core(&self, cpu: usize, stat: CoreStat, n: u64) {
        self.bump(cpu, stat as usize, n);
    }

    fn sum(&self, slot: usize) -> u64 {
        self.shards.iter().map(|s| s.c[slot].load(Ordering::Relaxed)).fold(0, u64::wrapping_add)
    }

    /// The sum over CPUs of one driver counter.
    pub fn read(&self, stat: Stat) -> u64 {
        self.sum(stat as usize)
    }

    /// The sum over CPUs of one core counter.
    pub fn read_core(&self, stat: CoreStat) -> u64 {
        self.sum(stat as usize)
    }

    /// The driver counters as `rtnl_link_stats64` (what the generic `ndo_get_stats64` reports).
    pub fn driver_stats(&self) -> LinkStats64 {
        LinkStats64 {
            rx_packets: self.read(Stat::RxPackets),
            rx_bytes: self.read(Stat::RxBytes),
            tx_packets: self.read(Stat::TxPackets),
            tx_bytes: self.read(Stat::TxBytes),
            rx_dropped: self.read(Stat::RxDropped),
            tx_dropped: self.read(Stat::TxDropped),
            multicast: self.read(Stat::Multicast),
            rx_errors: self.read(Stat::RxErrors),
            tx_errors: self.read(Stat::TxErrors),
            ..LinkStats64::default()
        }
    }

    /// Add the core counters on top, as `dev_get_stats` does.
    pub fn add_core_to(&self, s: &mut LinkStats64) {
        s.rx_dropped += self.read_core(CoreStat::RxDropped);
        s.tx_dropped += self.read_core(CoreStat::TxDropped);
        s.rx_nohandler += self.read_core(CoreStat::RxNohandler);
        s.rx_otherhost_dropped += self.read_core(CoreStat::RxOtherhostDropped);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_sum_on_read() {
        let s = DevStats::new(3);
        s.add(0, Stat::TxPackets, 2);
        s.add(2, Stat::TxPackets, 3);
        s.add_core(1, CoreStat::RxDropped, 1);
        s.add(1, Stat::RxDropped, 4);
        assert_eq!(s.read(Stat::TxPackets), 5);
        let mut l = s.driver_stats();
        assert_eq!(l.rx_dropped, 4);
        s.add_core_to(&mut l);
        assert_eq!(l.rx_dropped, 5);
        assert_eq!(l.tx_packets, 5);
    }
}
