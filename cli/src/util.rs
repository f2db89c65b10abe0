//! Small shared helpers: error texts, number and duration parsing.

use netdev_core::Errno;

/// The C library's `strerror` text for an I/O error (what `cat`, `bash` print).
pub(crate) fn io_error_text(e: &std::io::Error) -> String {
    use std::io::ErrorKind as K;
    match e.kind() {
        K::NotFound => "No such file or directory".into(),
        K::PermissionDenied => "Permission denied".into(),
        K::AlreadyExists => "File exists".into(),
        K::InvalidInput => "Invalid argument".into(),
        _ => {
            let s = e.to_string();
            // Strip Rust's " (os error N)" suffix.
            match s.find(" (os error") {
                Some(i) => s[..i].to_string(),
                None => s,
            }
        }
    }
}

/// `strerror(errno)`, as iproute2 prints after `RTNETLINK answers: `.
pub(crate) fn strerror(e: Errno) -> &'static str {
    e.strerror()
}

/// Parse a duration in seconds as `sleep` and `ping -i` take it (`1`, `0.5`, `.2`, `2s`,
/// `100ms`, `1m`, `1h`) into nanoseconds.
pub(crate) fn parse_duration_ns(s: &str) -> Option<u64> {
    let (num, mult) = if let Some(n) = s.strip_suffix("ms") {
        (n, 1_000_000f64)
    } else if let Some(n) = s.strip_suffix("us") {
        (n, 1_000f64)
    } else if let Some(n) = s.strip_suffix("ns") {
        (n, 1f64)
    } else if let Some(n) = s.strip_suffix('s') {
        (n, 1e9)
    } else if let Some(n) = s.strip_suffix('m') {
        (n, 60e9)
    } else if let Some(n) = s.strip_suffix('h') {
        (n, 3600e9)
    } else if let Some(n) = s.strip_suffix('d') {
        (n, 86400e9)
    } else {
        (s, 1e9)
    };
    if num.is_empty() || !num.chars().all(|c| c.is_ascii_digit() || c == '.') || num.matches('.').count() > 1 {
        return None;
    }
    let v: f64 = num.parse().ok()?;
    let ns = (v * mult).round();
    // Bounded: a century of virtual time is more than any script needs.
    (ns.is_finite() && (0.0..=3.2e18).contains(&ns)).then_some(ns as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration_ns("1"), Some(1_000_000_000));
        assert_eq!(parse_duration_ns("0.5"), Some(500_000_000));
        assert_eq!(parse_duration_ns(".2"), Some(200_000_000));
        assert_eq!(parse_duration_ns("100ms"), Some(100_000_000));
        assert_eq!(parse_duration_ns("2m"), Some(120_000_000_000));
        assert_eq!(parse_duration_ns("x"), None);
        assert_eq!(parse_duration_ns("-1"), None);
        assert_eq!(parse_duration_ns("1e9"), None);
        assert_eq!(parse_duration_ns(""), None);
        assert_eq!(parse_duration_ns("1.2.3"), None);
        assert_eq!(parse_duration_ns("99999999999999999999"), None);
    }
}
