//! Link kinds (`struct rtnl_link_ops`): what `ip link add ... type KIND` dispatches to.

use std::any::Any;
use std::fmt;
use std::sync::Arc;

use crate::rtnl::Rtnl;
use crate::{Errno, Error, MacAddr, NetDevice, NetnsId, Result};

/// A kind's parsed type-specific arguments (`IFLA_INFO_DATA`), produced by
/// [`LinkKind::parse_args`] or built directly by a library user, and downcast by the kind.
pub type KindConfig = Box<dyn Any + Send + Sync>;

/// The generic attributes of an RTM_NEWLINK request (`ip link add [name N] [index I] [mtu M]
/// [address A] [txqueuelen Q] [up] [netns NS] type KIND ...`).
#[derive(Clone, Debug, Default)]
pub struct NewLink {
    /// The namespace the request is made in (the caller's; `ip -n NS`).
    pub netns: NetnsId,
    /// `IFLA_NET_NS_*`: create the device directly in another namespace.
    pub target_netns: Option<NetnsId>,
    /// `IFLA_IFNAME`: a name or a `%d` template; `None` gives `KIND%d`.
    pub name: Option<String>,
    /// `ifi_index`: an explicit ifindex.
    pub ifindex: Option<u32>,
    /// `IFLA_MTU`.
    pub mtu: Option<u32>,
    /// `IFLA_ADDRESS`.
    pub address: Option<MacAddr>,
    /// `IFLA_TXQLEN`.
    pub txqlen: Option<u32>,
    /// `ifi_flags & IFF_UP`: bring the device up once created (`rtnl_configure_link`).
    pub up: bool,
    /// `IFLA_LINK`: the lower device (vlan, macvlan, ipvlan), by ifindex in `netns`.
    pub link: Option<u32>,
}

impl NewLink {
    /// A request in `netns` with every attribute unset.
    pub fn in_netns(netns: NetnsId) -> NewLink {
        NewLink { netns, ..NewLink::default() }
    }

    /// The namespace the device ends up in.
    pub fn dest_netns(&self) -> NetnsId {
        self.target_netns.unwrap_or(self.netns)
    }
}

/// The link-kind contract (`rtnl_link_ops`). A driver registers one with
/// [`World::register_kind`](crate::World::register_kind).
pub trait LinkKind: Any + Send + Sync {
    /// The kind name (`IFLA_INFO_KIND`): `veth`, `dummy`, `bridge`, ...
    fn kind(&self) -> &'static str;

    /// Parse the iproute2 arguments after `type KIND` (iproute2's `link_util.parse_opt`) into a
    /// config for [`newlink`](Self::newlink) or [`changelink`](Self::changelink). The default
    /// accepts no arguments.
    fn parse_args(&self, args: &[&str]) -> Result<KindConfig> {
        if args.is_empty() {
            Ok(Box::new(()))
        } else {
            Err(Error::with_msg(Errno::Einval, "unknown type-specific argument"))
        }
    }

    /// `newlink`: validate, create and register the device(s), and return the main one. Runs under
    /// RTNL. The core applies `req.up` afterwards (`rtnl_configure_link`) unless the kind already
    /// did. `cfg` is what [`parse_args`](Self::parse_args) returned (or a library user built).
    fn newlink(&self, rtnl: &mut Rtnl<'_>, req: &NewLink, cfg: &KindConfig) -> Result<Arc<NetDevice>>;

    /// `dellink`: remove the device (and whatever must go with it, like a veth's peer). The
    /// default unregisters `dev` alone.
    fn dellink(&self, rtnl: &mut Rtnl<'_>, dev: &Arc<NetDevice>) -> Result<()> {
        rtnl.unregister(dev)
    }

    /// `changelink` (`ip link set DEV type KIND ...`). EOPNOTSUPP by default.
    fn changelink(&self, _rtnl: &mut Rtnl<'_>, _dev: &Arc<NetDevice>, _cfg: &KindConfig) -> Result<()> {
        Err(Error::new(Errno::Eopnotsupp))
    }

    /// `fill_info`: the kind's attributes as `ip -d link` prints them after the kind name
    /// (e.g. `mode vepa`). Empty by default.
    fn fill_info(&self, _dev: &NetDevice, _out: &mut dyn fmt::Write) -> fmt::Result {
        Ok(())
    }
}
