//! Classic pcap files, as libpcap's `pcap_dump_open` / `pcap_dump` write them and `pcap_open_offline`
//! reads them (`sf-pcap.c`): a 24-byte file header (magic `0xa1b2c3d4` in the writer's byte order,
//! version 2.4, snaplen, link type), then per packet a 16-byte record header (seconds,
//! microseconds, captured length, original length) and the captured bytes.
//!
//! The writer uses little-endian order (what libpcap writes on x86). The reader takes both byte
//! orders and the nanosecond variant (`0xa1b23c4d`), as libpcap does.

/// `LINKTYPE_ETHERNET` (DLT_EN10MB).
pub(crate) const LINKTYPE_ETHERNET: u32 = 1;
/// `LINKTYPE_RAW`: bare IPv4/IPv6 packets, for devices without a link-layer header.
pub(crate) const LINKTYPE_RAW: u32 = 101;
/// `LINKTYPE_LINUX_SLL2`: Linux cooked capture v2, what `tcpdump -i any` uses since 4.99.
pub(crate) const LINKTYPE_LINUX_SLL2: u32 = 276;
/// The snapshot length tcpdump asks for by default (`MAXIMUM_SNAPLEN`).
pub(crate) const SNAPLEN: u32 = 262_144;

const MAGIC_US: u32 = 0xa1b2_c3d4;
const MAGIC_NS: u32 = 0xa1b2_3c4d;

/// One packet of a capture file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Record {
    /// Capture time, in nanoseconds since the epoch (the virtual clock's 0).
    pub(crate) ts_ns: u64,
    /// The length of the packet on the wire.
    pub(crate) orig_len: u32,
    /// The captured bytes (never more than the snapshot length).
    pub(crate) data: Vec<u8>,
}

/// The file header: magic, version 2.4, thiszone 0, sigfigs 0, snaplen, link type.
pub(crate) fn header(linktype: u32) -> Vec<u8> {
    let mut v = Vec::with_capacity(24);
    v.extend_from_slice(&MAGIC_US.to_le_bytes());
    v.extend_from_slice(&2u16.to_le_bytes());
    v.extend_from_slice(&4u16.to_le_bytes());
    v.extend_from_slice(&0i32.to_le_bytes());
    v.extend_from_slice(&0u32.to_le_bytes());
    v.extend_from_slice(&SNAPLEN.to_le_bytes());
    v.extend_from_slice(&linktype.to_le_bytes());
    v
}

/// Append one record (`pcap_dump`): the timestamp in seconds and microseconds.
pub(crate) fn push_record(out: &mut Vec<u8>, r: &Record) {
    let secs = r.ts_ns / 1_000_000_000;
    let usecs = (r.ts_ns % 1_000_000_000) / 1000;
    let caplen = r.data.len().min(SNAPLEN as usize);
    out.extend_from_slice(&(secs as u32).to_le_bytes());
    out.extend_from_slice(&(usecs as u32).to_le_bytes());
    out.extend_from_slice(&(caplen as u32).to_le_bytes());
    out.extend_from_slice(&r.orig_len.to_le_bytes());
    out.extend_from_slice(&r.data[..caplen]);
}

/// A whole file.
pub(crate) fn write(linktype: u32, records: &[Record]) -> Vec<u8> {
    let mut out = header(linktype);
    for r in records {
        push_record(&mut out, r);
    }
    out
}

/// A file read back: its link type and its packets, and the error that stopped the reading early
/// (the packets before it are still returned, as tcpdump prints them before complaining).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct File {
    /// The link type of the file header.
    pub(crate) linktype: u32,
    /// The snapshot length of the file header.
    pub(crate) snaplen: u32,
    /// The packets, in file order.
    pub(crate) records: Vec<Record>,
    /// libpcap's message for a truncated file (`sf_pcap_next`), if the file ends mid-record.
    pub(crate) truncated: Option<String>,
}

/// Read a capture file (`pcap_fopen_offline` + `pcap_next_ex`). The error is libpcap's text:
/// `unknown file format` for a bad magic, a `truncated dump file` message for a short header.
pub(crate) fn read(bytes: &[u8]) -> Result<File, String> {
    let Some(magic) = bytes.get(0..4) else {
        return Err(if bytes.is_empty() {
            "truncated dump file; tried to read 4 file header bytes, only got 0".into()
        } else {
            format!("truncated dump file; tried to read 4 file header bytes, only got {}", bytes.len())
        });
    };
    let m = [magic[0], magic[1], magic[2], magic[3]];
    let (le, nanos) = match (u32::from_le_bytes(m), u32::from_be_bytes(m)) {
        (MAGIC_US, _) => (true, false),
        (MAGIC_NS, _) => (true, true),
        (_, MAGIC_US) => (false, false),
        (_, MAGIC_NS) => (false, true),
        _ => return Err("unknown file format".into()),
    };
    let u32_at = |b: &[u8], at: usize| -> Option<u32> {
        let s = b.get(at..at + 4)?;
        let a = [s[0], s[1], s[2], s[3]];
        Some(if le { u32::from_le_bytes(a) } else { u32::from_be_bytes(a) })
    };
    if bytes.len() < 24 {
        return Err(format!(
            "truncated dump file; tried to read {} file header bytes, only got {}",
            24 - 4,
            bytes.len() - 4
        ));
    }
    let snaplen = u32_at(bytes, 16).unwrap_or(SNAPLEN);
    let linktype = u32_at(bytes, 20).unwrap_or(LINKTYPE_ETHERNET) & 0x03ff_ffff;
    let mut records = Vec::new();
    let mut at = 24;
    let mut truncated = None;
    while at < bytes.len() {
        let (Some(sec), Some(frac), Some(caplen), Some(orig_len)) =
            (u32_at(bytes, at), u32_at(bytes, at + 4), u32_at(bytes, at + 8), u32_at(bytes, at + 12))
        else {
            let got = bytes.len() - at;
            truncated = Some(format!("truncated dump file; tried to read 16 header bytes, only got {got}"));
            break;
        };
        at += 16;
        let Some(data) = bytes.get(at..at.saturating_add(caplen as usize)) else {
            let got = bytes.len() - at;
            truncated = Some(format!("truncated dump file; tried to read {caplen} captured bytes, only got {got}"));
            break;
        };
        at += caplen as usize;
        let frac_ns = if nanos { u64::from(frac) } else { u64::from(frac) * 1000 };
        records.push(Record { ts_ns: u64::from(sec) * 1_000_000_000 + frac_ns, orig_len, data: data.to_vec() });
    }
    Ok(File { linktype, snaplen, records, truncated })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_is_libpcaps() {
        let h = header(LINKTYPE_ETHERNET);
        assert_eq!(h, [0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 0, 1, 0, 0, 0]);
    }

    #[test]
    fn round_trip() {
        let recs = vec![
            Record { ts_ns: 1_500_000_123_456, orig_len: 3, data: vec![1, 2, 3] },
            Record { ts_ns: 2_000, orig_len: 60, data: vec![9; 60] },
        ];
        let bytes = write(LINKTYPE_LINUX_SLL2, &recs);
        assert_eq!(bytes.len(), 24 + 16 + 3 + 16 + 60);
        let f = read(&bytes).unwrap();
        assert_eq!((f.linktype, f.snaplen, f.truncated.clone()), (LINKTYPE_LINUX_SLL2, SNAPLEN, None));
        // Microsecond resolution: the nanoseconds are cut.
        assert_eq!(f.records[0].ts_ns, 1_500_000_123_000);
        assert_eq!(f.records[0].data, [1, 2, 3]);
        assert_eq!(f.records[1], recs[1]);
    }

    #[test]
    fn big_endian_and_bad_files() {
        let mut be = vec![0xa1, 0xb2, 0xc3, 0xd4, 0, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 0, 0, 0, 0, 0, 101];
        be.extend_from_slice(&[0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 1, 0x45]);
        let f = read(&be).unwrap();
        assert_eq!((f.linktype, f.records.len()), (LINKTYPE_RAW, 1));
        assert_eq!(f.records[0].ts_ns, 1_000_002_000);
        assert_eq!(read(b"root:x:0:0:root:/root:/bin/bash\n").unwrap_err(), "unknown file format");
        let mut short = write(LINKTYPE_ETHERNET, &[Record { ts_ns: 0, orig_len: 10, data: vec![0; 10] }]);
        short.truncate(24 + 16 + 4);
        let f = read(&short).unwrap();
        assert!(f.records.is_empty());
        assert_eq!(f.truncated.as_deref(), Some("truncated dump file; tried to read 10 captured bytes, only got 4"));
    }
}
