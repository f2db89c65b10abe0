//! The netdev notifier chain (`register_netdevice_notifier`, `NETDEV_*` events).

use std::sync::Arc;

use crate::rtnl::Rtnl;
use crate::{NetDevice, Result};

/// A netdev notifier event (`enum netdev_cmd`), with the information it carries.
#[derive(Clone, Debug)]
pub enum NetdevEvent {
    /// `NETDEV_REGISTER`: listed in its namespace (also after a namespace move).
    Register,
    /// `NETDEV_PRE_UP`: about to open; an error vetoes.
    PreUp,
    /// `NETDEV_UP`.
    Up,
    /// `NETDEV_GOING_DOWN`.
    GoingDown,
    /// `NETDEV_DOWN`.
    Down,
    /// `NETDEV_CHANGE`: carrier or operstate changed (while up) or other flags changed.
    Change,
    /// `NETDEV_PRECHANGEMTU` (new MTU); an error vetoes.
    PreChangeMtu(u32),
    /// `NETDEV_CHANGEMTU`.
    ChangeMtu,
    /// `NETDEV_PRE_CHANGEADDR`; an error vetoes.
    PreChangeAddr,
    /// `NETDEV_CHANGEADDR`.
    ChangeAddr,
    /// `NETDEV_CHANGENAME`.
    ChangeName,
    /// `NETDEV_PRECHANGEUPPER`; an error vetoes.
    PreChangeUpper {
        /// The upper device.
        upper: Arc<NetDevice>,
        /// Linking (true) or unlinking.
        linking: bool,
    },
    /// `NETDEV_CHANGEUPPER`.
    ChangeUpper {
        /// The upper device.
        upper: Arc<NetDevice>,
        /// Linking (true) or unlinking.
        linking: bool,
    },
    /// `NETDEV_UNREGISTER`: being removed, or leaving its namespace (then
    /// [`NetDevice::reg_state`] is still `Registered`).
    Unregister,
}

impl NetdevEvent {
    /// The kernel's name (`netdev_cmd_to_name`).
    pub fn name(&self) -> &'static str {
        match self {
            NetdevEvent::Register => "NETDEV_REGISTER",
            NetdevEvent::PreUp => "NETDEV_PRE_UP",
            NetdevEvent::Up => "NETDEV_UP",
            NetdevEvent::GoingDown => "NETDEV_GOING_DOWN",
            NetdevEvent::Down => "NETDEV_DOWN",
            NetdevEvent::Change => "NETDEV_CHANGE",
            NetdevEvent::PreChangeMtu(_) => "NETDEV_PRECHANGEMTU",
            NetdevEvent::ChangeMtu => "NETDEV_CHANGEMTU",
            NetdevEvent::PreChangeAddr => "NETDEV_PRE_CHANGEADDR",
            NetdevEvent::ChangeAddr => "NETDEV_CHANGEADDR",
            NetdevEvent::ChangeName => "NETDEV_CHANGENAME",
            NetdevEvent::PreChangeUpper { .. } => "NETDEV_PRECHANGEUPPER",
            NetdevEvent::ChangeUpper { .. } => "NETDEV_CHANGEUPPER",
            NetdevEvent::Unregister => "NETDEV_UNREGISTER",
        }
    }

    /// True for the `PRE*` events, whose errors veto the change.
    pub fn is_pre(&self) -> bool {
        matches!(
            self,
            NetdevEvent::PreUp
                | NetdevEvent::PreChangeMtu(_)
                | NetdevEvent::PreChangeAddr
                | NetdevEvent::PreChangeUpper { .. }
        )
    }
}

/// A notifier block. Called under RTNL for every event on every device, in registration order.
/// An error stops the chain and goes back to the operation, which acts on it as the kernel does
/// (see [`Rtnl::call_notifiers`]).
pub trait NetdevNotifier: Send + Sync {
    /// One event on `dev`.
    fn event(&self, rtnl: &mut Rtnl<'_>, event: &NetdevEvent, dev: &Arc<NetDevice>) -> Result<()>;
}
