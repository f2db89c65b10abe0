//! Local delivery through smoltcp: one `Interface` (`Medium::Ip`, any-IP) per namespace holds the
//! TCP and UDP sockets. The stack decides what is local and feeds it bare IP packets; what the
//! interface emits comes back as bare IP packets for the stack to route.

use std::collections::VecDeque;
use std::fmt;
use std::net::{IpAddr, SocketAddr};

use smoltcp::iface::{Config, Interface, SocketHandle, SocketSet};
use smoltcp::phy::{Device, DeviceCapabilities, Medium, RxToken, TxToken};
use smoltcp::socket::{tcp, udp};
use smoltcp::time::Instant;
use smoltcp::wire::{HardwareAddress, IpAddress, IpEndpoint, IpListenEndpoint};

/// A socket of a namespace's stack.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct SocketId(pub(crate) SocketHandle);

/// TCP connection state (RFC 793 names, as `ss` prints them).
pub type TcpState = tcp::State;

/// A socket call's failure, with the errno Linux returns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SockError {
    /// `EADDRINUSE`.
    AddrInUse,
    /// `EADDRNOTAVAIL`: the local address is not ours.
    AddrNotAvail,
    /// `ENETUNREACH`: no route.
    NetUnreachable,
    /// `EINVAL`: wrong state or argument.
    Invalid,
    /// `EAGAIN`: nothing to read or no room to write now.
    WouldBlock,
    /// `ENOTCONN` / `EPIPE`: the connection is closed.
    NotConnected,
    /// `EBADF`: no such socket.
    BadSocket,
    /// `EMSGSIZE`: larger than the interface allows.
    MsgSize,
}

impl SockError {
    /// The errno text glibc's `strerror` gives.
    pub fn strerror(self) -> &'static str {
        match self {
            SockError::AddrInUse => "Address already in use",
            SockError::AddrNotAvail => "Cannot assign requested address",
            SockError::NetUnreachable => "Network is unreachable",
            SockError::Invalid => "Invalid argument",
            SockError::WouldBlock => "Resource temporarily unavailable",
            SockError::NotConnected => "Transport endpoint is not connected",
            SockError::BadSocket => "Bad file descriptor",
            SockError::MsgSize => "Message too long",
        }
    }
}

impl fmt::Display for SockError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.strerror())
    }
}

impl std::error::Error for SockError {}

/// The packet queues between the stack and smoltcp.
#[derive(Default)]
pub(crate) struct Phy {
    pub(crate) rx: VecDeque<Vec<u8>>,
    pub(crate) tx: Vec<Vec<u8>>,
    pub(crate) mtu: usize,
}

pub(crate) struct PhyRx(Vec<u8>);
pub(crate) struct PhyTx<'a>(&'a mut Vec<Vec<u8>>);

impl RxToken for PhyRx {
    fn consume<R, F: FnOnce(&[u8]) -> R>(self, f: F) -> R {
        f(&self.0)
    }
}

impl TxToken for PhyTx<'_> {
    fn consume<R, F: FnOnce(&mut [u8]) -> R>(self, len: usize, f: F) -> R {
        let mut buf = vec![0u8; len];
        let r = f(&mut buf);
        self.0.push(buf);
        r
    }
}

impl Device for Phy {
    type RxToken<'a> = PhyRx;
    type TxToken<'a> = PhyTx<'a>;

    fn receive(&mut self, _now: Instant) -> Option<(PhyRx, PhyTx<'_>)> {
        let b = self.rx.pop_front()?;
        Some((PhyRx(b), PhyTx(&mut self.tx)))
    }

    fn transmit(&mut self, _now: Instant) -> Option<PhyTx<'_>> {
        Some(PhyTx(&mut self.tx))
    }

    fn capabilities(&self) -> DeviceCapabilities {
        let mut c = DeviceCapabilities::default();
        c.medium = Medium::Ip;
        c.max_transmission_unit = self.mtu;
        c
    }
}

/// The smoltcp side of a namespace.
pub(crate) struct Smol {
    pub(crate) iface: Interface,
    pub(crate) sockets: SocketSet<'static>,
    pub(crate) phy: Phy,
}

impl fmt::Debug for Smol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Smol").field("rx", &self.phy.rx.len()).finish_non_exhaustive()
    }
}

pub(crate) fn instant(now_ns: u64) -> Instant {
    Instant::from_micros((now_ns / 1000) as i64)
}

/// TCP socket buffer sizes (the kernel's tcp_rmem/tcp_wmem defaults are larger; smoltcp's window
/// scaling handles these).
const TCP_BUF: usize = 256 * 1024;
const UDP_SLOTS: usize = 64;
const UDP_BUF: usize = 256 * 1024;

impl Smol {
    pub(crate) fn new(seed: u64, now: u64) -> Smol {
        let mut phy = Phy { mtu: 1500, ..Phy::default() };
        let mut cfg = Config::new(HardwareAddress::Ip);
        cfg.random_seed = seed;
        let mut iface = Interface::new(cfg, &mut phy, instant(now));
        iface.set_any_ip(true);
        // Any-IP mode needs a route for every destination; the via address is never used with
        // Medium::Ip (the stack routes what comes out).
        let _ = iface.routes_mut().add_default_ipv4_route(std::net::Ipv4Addr::new(0, 0, 0, 1));
        let _ = iface.routes_mut().add_default_ipv6_route(std::net::Ipv6Addr::LOCALHOST);
        Smol { iface, sockets: SocketSet::new(Vec::new()), phy }
    }

    /// Run smoltcp at `now`; returns what it emitted.
    pub(crate) fn poll(&mut self, now: u64) -> Vec<Vec<u8>> {
        let _ = self.iface.poll(instant(now), &mut self.phy, &mut self.sockets);
        std::mem::take(&mut self.phy.tx)
    }

    /// When smoltcp next wants to run, in ns.
    pub(crate) fn poll_at(&mut self, now: u64) -> Option<u64> {
        self.iface.poll_at(instant(now), &self.sockets).map(|t| (t.total_micros().max(0) as u64) * 1000)
    }

    pub(crate) fn tcp_socket() -> tcp::Socket<'static> {
        let mut s =
            tcp::Socket::new(tcp::SocketBuffer::new(vec![0; TCP_BUF]), tcp::SocketBuffer::new(vec![0; TCP_BUF]));
        // Linux's delayed ACK is 40 ms min; smoltcp's default is 10 ms. Keep Linux's.
        s.set_ack_delay(Some(smoltcp::time::Duration::from_millis(40)));
        // smoltcp's Nagle holds a short segment back while anything is unacknowledged; Linux's
        // (Minshall's variant, tcp_nagle_check) only while a short one is. With smoltcp's a bulk
        // transfer's last segment waits out the peer's delayed ACK, which Linux never does.
        s.set_nagle_enabled(false);
        s
    }

    pub(crate) fn udp_socket() -> udp::Socket<'static> {
        udp::Socket::new(
            udp::PacketBuffer::new(vec![udp::PacketMetadata::EMPTY; UDP_SLOTS], vec![0; UDP_BUF]),
            udp::PacketBuffer::new(vec![udp::PacketMetadata::EMPTY; UDP_SLOTS], vec![0; UDP_BUF]),
        )
    }

    /// True if a TCP or UDP socket is bound to local `port` (for ephemeral port choice).
    pub(crate) fn port_in_use(&self, port: u16) -> bool {
        self.sockets.iter().any(|(_, s)| match s {
            smoltcp::socket::Socket::Tcp(t) => {
                t.listen_endpoint().port == port || t.local_endpoint().is_some_and(|e| e.port == port)
            }
            smoltcp::socket::Socket::Udp(u) => u.endpoint().port == port,
            #[allow(unreachable_patterns)]
            _ => false,
        })
    }
}

pub(crate) fn ep(a: SocketAddr) -> IpEndpoint {
    IpEndpoint::new(IpAddress::from(a.ip()), a.port())
}

pub(crate) fn listen_ep(a: SocketAddr) -> IpListenEndpoint {
    if a.ip().is_unspecified() {
        IpListenEndpoint { addr: None, port: a.port() }
    } else {
        IpListenEndpoint { addr: Some(IpAddress::from(a.ip())), port: a.port() }
    }
}

pub(crate) fn sockaddr(e: IpEndpoint) -> SocketAddr {
    let ip: IpAddr = e.addr.into();
    SocketAddr::new(ip, e.port)
}
