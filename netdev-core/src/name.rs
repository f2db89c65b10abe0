//! Interface names: `dev_valid_name` and `%d` template allocation (`__dev_alloc_name`).

use crate::{Errno, Error, Result};

/// `IFNAMSIZ`: names are at most `IFNAMSIZ - 1` = 15 bytes.
pub const IFNAMSIZ: usize = 16;
/// The bitmap `__dev_alloc_name` scans: 8 * PAGE_SIZE numbers.
const MAX_TEMPLATE_UNITS: usize = 8 * 4096;

/// `dev_valid_name`: non-empty, at most 15 bytes, not `.` or `..`, no `/`, `:` or whitespace.
pub fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() < IFNAMSIZ
        && name != "."
        && name != ".."
        && !name.bytes().any(|b| b == b'/' || b == b':' || b.is_ascii_whitespace() || b == 0x0b)
}

/// Check a name for registration: EINVAL if invalid.
pub(crate) fn check_name(name: &str) -> Result<()> {
    if valid_name(name) { Ok(()) } else { Err(Error::new(Errno::Einval)) }
}

/// Does `name` contain a `%` (and is therefore a template to allocate)?
pub(crate) fn is_template(name: &str) -> bool {
    name.contains('%')
}

/// `__dev_alloc_name`: fill the single `%d` of `template` with the lowest number not used by
/// `in_use` names, cut to 15 bytes. EINVAL unless the template has exactly one `%d` and no other
/// `%`; ENFILE if every number is taken.
pub(crate) fn alloc_name<'a>(template: &str, in_use: impl Iterator<Item = &'a str>) -> Result<String> {
    if !valid_name(template) {
        return Err(Error::new(Errno::Einval));
    }
    let pos = template.find('%').ok_or(Error::new(Errno::Einval))?;
    let (prefix, rest) = template.split_at(pos);
    let suffix = rest.strip_prefix("%d").ok_or(Error::new(Errno::Einval))?;
    if suffix.contains('%') {
        return Err(Error::new(Errno::Einval));
    }
    let mut used = vec![false; MAX_TEMPLATE_UNITS];
    for name in in_use {
        // sscanf(name, template, &i) then snprintf back must give the same name.
        if let Some(mid) = name.strip_prefix(prefix).and_then(|r| r.strip_suffix(suffix))
            && let Ok(i) = mid.parse::<usize>()
            && i < MAX_TEMPLATE_UNITS
            && mid == i.to_string()
        {
            used[i] = true;
        }
    }
    let i = used.iter().position(|u| !u).ok_or(Error::new(Errno::Enfile))?;
    let mut name = format!("{prefix}{i}{suffix}");
    while name.len() >= IFNAMSIZ {
        name.pop();
    }
    Ok(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dev_valid_name_rules() {
        assert!(valid_name("eth0"));
        assert!(valid_name("a23456789012345")); // 15
        assert!(!valid_name("a234567890123456")); // 16
        for bad in ["", ".", "..", "a:b", "a/b", "a b", "a\tb", "a\nb"] {
            assert!(!valid_name(bad), "{bad:?}");
        }
        assert!(valid_name("a.b"));
        assert!(valid_name("ü-x@y"));
    }

    #[test]
    fn template_takes_lowest_free() {
        let used = ["dummy0", "dummy2", "dummy01", "eth1"];
        assert_eq!(alloc_name("dummy%d", used.iter().copied()).unwrap(), "dummy1");
        assert_eq!(alloc_name("x%dy", ["x0y"].iter().copied()).unwrap(), "x1y");
        assert_eq!(alloc_name("x%d%d", std::iter::empty()).unwrap_err(), Errno::Einval);
        assert_eq!(alloc_name("x%s", std::iter::empty()).unwrap_err(), Errno::Einval);
        assert_eq!(alloc_name("a:%d", std::iter::empty()).unwrap_err(), Errno::Einval);
    }
}
