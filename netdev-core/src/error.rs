//! Control-path errors: the errno the kernel returns, plus the extended-ack text where it gives one.
//!
//! Data-path failures are never errors: they are counted drops with a [`DropReason`](crate::DropReason).

use std::fmt;

/// The errno values the simulated kernel returns, named as in `errno.h`.
///
/// [`Errno::strerror`] gives glibc's text, which is what iproute2 prints after
/// `RTNETLINK answers: `.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Errno {
    /// `EPERM` (1): operation not permitted.
    Eperm,
    /// `ENOENT` (2): no such entry (FDB/VLAN entry, namespace).
    Enoent,
    /// `ESRCH` (3): no such process (route delete).
    Esrch,
    /// `EACCES` (13): permission denied (prohibit route).
    Eacces,
    /// `EXDEV` (18): cross-device (reverse-path filter).
    Exdev,
    /// `ENOMEM` (12): the simulated allocation failed (a configured limit).
    Enomem,
    /// `ENOSYS` (38): function not implemented (a venet outside a container's top namespace).
    Enosys,
    /// `ENONET` (64): machine is not on the network (venet: the container has no address list).
    Enonet,
    /// `EBUSY` (16): resource busy (explicit ifindex taken, rx handler already registered, upper link).
    Ebusy,
    /// `EEXIST` (17): name or entry exists.
    Eexist,
    /// `ENODEV` (19): no such device.
    Enodev,
    /// `EINVAL` (22): invalid argument.
    Einval,
    /// `ENFILE` (23): the `%d` template space is exhausted.
    Enfile,
    /// `EMLINK` (31): too many levels of upper/lower nesting.
    Emlink,
    /// `ERANGE` (34): value out of range.
    Erange,
    /// `ELOOP` (40): a loop (bridge into bridge).
    Eloop,
    /// `EXFULL` (54): exchange full (bridge port numbers exhausted).
    Exfull,
    /// `EOVERFLOW` (75): a counter would overflow (promiscuity).
    Eoverflow,
    /// `EPROTONOSUPPORT` (93): protocol not supported.
    Eprotonosupport,
    /// `EOPNOTSUPP` (95): operation not supported (no ndo for it).
    Eopnotsupp,
    /// `EADDRINUSE` (98): address already in use.
    Eaddrinuse,
    /// `EADDRNOTAVAIL` (99): invalid (zero or multicast) MAC address.
    Eaddrnotavail,
    /// `ENETDOWN` (100): network is down.
    Enetdown,
    /// `ENETUNREACH` (101): network is unreachable.
    Enetunreach,
    /// `ENOTCONN` (107): veth open without a peer.
    Enotconn,
    /// `EMSGSIZE` (90): message too long.
    Emsgsize,
    /// `EHOSTUNREACH` (113): no route to host.
    Ehostunreach,
}

impl Errno {
    /// The positive errno number, as in `errno.h` on x86-64 Linux.
    pub const fn code(self) -> i32 {
        match self {
            Errno::Eperm => 1,
            Errno::Enoent => 2,
            Errno::Esrch => 3,
            Errno::Eacces => 13,
            Errno::Exdev => 18,
            Errno::Emsgsize => 90,
            Errno::Ehostunreach => 113,
            Errno::Enomem => 12,
            Errno::Enosys => 38,
            Errno::Enonet => 64,
            Errno::Ebusy => 16,
            Errno::Eexist => 17,
            Errno::Enodev => 19,
            Errno::Einval => 22,
            Errno::Enfile => 23,
            Errno::Emlink => 31,
            Errno::Erange => 34,
            Errno::Eloop => 40,
            Errno::Exfull => 54,
            Errno::Eoverflow => 75,
            Errno::Eprotonosupport => 93,
            Errno::Eopnotsupp => 95,
            Errno::Eaddrinuse => 98,
            Errno::Eaddrnotavail => 99,
            Errno::Enetdown => 100,
            Errno::Enetunreach => 101,
            Errno::Enotconn => 107,
        }
    }

    /// glibc's `strerror` text for this errno.
    pub const fn strerror(self) -> &'static str {
        match self {
            Errno::Eperm => "Operation not permitted",
            Errno::Enoent => "No such file or directory",
            Errno::Esrch => "No such process",
            Errno::Eacces => "Permission denied",
            Errno::Exdev => "Invalid cross-device link",
            Errno::Emsgsize => "Message too long",
            Errno::Ehostunreach => "No route to host",
            Errno::Enomem => "Cannot allocate memory",
            Errno::Enosys => "Function not implemented",
            Errno::Enonet => "Machine is not on the network",
            Errno::Ebusy => "Device or resource busy",
            Errno::Eexist => "File exists",
            Errno::Enodev => "No such device",
            Errno::Einval => "Invalid argument",
            Errno::Enfile => "Too many open files in system",
            Errno::Emlink => "Too many links",
            Errno::Erange => "Numerical result out of range",
            Errno::Eloop => "Too many levels of symbolic links",
            Errno::Exfull => "Exchange full",
            Errno::Eoverflow => "Value too large for defined data type",
            Errno::Eprotonosupport => "Protocol not supported",
            Errno::Eopnotsupp => "Operation not supported",
            Errno::Eaddrinuse => "Address already in use",
            Errno::Eaddrnotavail => "Cannot assign requested address",
            Errno::Enetdown => "Network is down",
            Errno::Enetunreach => "Network is unreachable",
            Errno::Enotconn => "Transport endpoint is not connected",
        }
    }
}

impl fmt::Display for Errno {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.strerror())
    }
}

/// A failed configuration call: the errno the kernel returns and, where the kernel sets one, the
/// extended-ack message (`NL_SET_ERR_MSG`), which iproute2 prints as `Error: <msg>.`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.display())]
pub struct Error {
    errno: Errno,
    extack: Option<&'static str>,
}

impl Error {
    /// An error with no extended-ack message.
    pub const fn new(errno: Errno) -> Self {
        Error { errno, extack: None }
    }

    /// An error with the kernel's extended-ack message.
    pub const fn with_msg(errno: Errno, extack: &'static str) -> Self {
        Error { errno, extack: Some(extack) }
    }

    /// The errno.
    pub const fn errno(&self) -> Errno {
        self.errno
    }

    /// The extended-ack message, if the kernel sets one for this failure.
    pub const fn extack(&self) -> Option<&'static str> {
        self.extack
    }

    fn display(&self) -> String {
        match self.extack {
            Some(msg) => format!("{msg} ({})", self.errno),
            None => self.errno.to_string(),
        }
    }
}

impl From<Errno> for Error {
    fn from(errno: Errno) -> Self {
        Error::new(errno)
    }
}

impl PartialEq<Errno> for Error {
    fn eq(&self, other: &Errno) -> bool {
        self.errno == *other
    }
}

/// Result of a configuration call.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errno_codes_and_texts_match_glibc() {
        assert_eq!(Errno::Eexist.code(), 17);
        assert_eq!(Errno::Eloop.strerror(), "Too many levels of symbolic links");
        assert_eq!(Errno::Erange.code(), 34);
        let e = Error::with_msg(Errno::Einval, "The interface netns is immutable");
        assert_eq!(e, Errno::Einval);
        assert_eq!(e.to_string(), "The interface netns is immutable (Invalid argument)");
    }
}
