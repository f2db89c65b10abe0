//! Ethernet hardware addresses.

use std::fmt;
use std::str::FromStr;

use crate::{Errno, Error};

/// A 48-bit Ethernet address.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct MacAddr(pub [u8; 6]);

impl MacAddr {
    /// `00:00:00:00:00:00`.
    pub const ZERO: MacAddr = MacAddr([0; 6]);
    /// `ff:ff:ff:ff:ff:ff`.
    pub const BROADCAST: MacAddr = MacAddr([0xff; 6]);

    /// The six bytes.
    pub const fn octets(self) -> [u8; 6] {
        self.0
    }

    /// The group (multicast) bit, `is_multicast_ether_addr`.
    pub const fn is_multicast(self) -> bool {
        self.0[0] & 1 == 1
    }

    /// All ones, `is_broadcast_ether_addr`.
    pub fn is_broadcast(self) -> bool {
        self == Self::BROADCAST
    }

    /// All zeroes, `is_zero_ether_addr`.
    pub fn is_zero(self) -> bool {
        self == Self::ZERO
    }

    /// `is_valid_ether_addr`: neither multicast nor zero.
    pub fn is_valid(self) -> bool {
        !self.is_multicast() && !self.is_zero()
    }

    /// `eth_random_addr`: a random unicast, locally administered address from 48 random bits.
    pub fn random_from(bits: u64) -> MacAddr {
        let b = bits.to_be_bytes();
        let mut a = [b[2], b[3], b[4], b[5], b[6], b[7]];
        a[0] &= 0xfe; // clear multicast bit
        a[0] |= 0x02; // set local assignment bit (IEEE802)
        MacAddr(a)
    }

    /// Pack into the low 48 bits of a u64 (for atomic storage).
    pub const fn to_u64(self) -> u64 {
        let a = self.0;
        u64::from_be_bytes([0, 0, a[0], a[1], a[2], a[3], a[4], a[5]])
    }

    /// Unpack from the low 48 bits of a u64.
    pub const fn from_u64(v: u64) -> MacAddr {
        let b = v.to_be_bytes();
        MacAddr([b[2], b[3], b[4], b[5], b[6], b[7]])
    }

    /// Read from the first six bytes of a slice; `None` if it is shorter.
    pub fn from_slice(s: &[u8]) -> Option<MacAddr> {
        let b: [u8; 6] = s.get(..6)?.try_into().ok()?;
        Some(MacAddr(b))
    }
}

impl fmt::Display for MacAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let a = self.0;
        write!(f, "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}", a[0], a[1], a[2], a[3], a[4], a[5])
    }
}

impl fmt::Debug for MacAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl FromStr for MacAddr {
    type Err = Error;

    /// Parses `aa:bb:cc:dd:ee:ff` (one or two hex digits per octet, as iproute2's `ll_addr_a2n`).
    fn from_str(s: &str) -> Result<Self, Error> {
        let mut out = [0u8; 6];
        let mut n = 0;
        for part in s.split(':') {
            if n == 6 || part.is_empty() || part.len() > 2 {
                return Err(Error::new(Errno::Einval));
            }
            out[n] = u8::from_str_radix(part, 16).map_err(|_| Error::new(Errno::Einval))?;
            n += 1;
        }
        if n != 6 {
            return Err(Error::new(Errno::Einval));
        }
        Ok(MacAddr(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_print_round_trip() {
        let m: MacAddr = "02:0:ab:CD:ef:1".parse().unwrap();
        assert_eq!(m.to_string(), "02:00:ab:cd:ef:01");
        assert_eq!(MacAddr::from_u64(m.to_u64()), m);
        assert!("02:00:00:00:00".parse::<MacAddr>().is_err());
        assert!("02:00:00:00:00:00:01".parse::<MacAddr>().is_err());
        assert!("zz:00:00:00:00:00".parse::<MacAddr>().is_err());
    }

    #[test]
    fn random_is_local_unicast() {
        for bits in [0u64, u64::MAX, 0x0123_4567_89ab_cdef] {
            let m = MacAddr::random_from(bits);
            assert!(m.is_valid());
            assert_eq!(m.0[0] & 0x03, 0x02);
        }
    }
}
