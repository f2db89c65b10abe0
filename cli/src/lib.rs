//! # vnet-cli: the `vnet` command
//!
//! Replays the commands people type on Linux (`ip`, `ethtool`, `sysctl`, `ping`, `arping`,
//! `tcpdump`, `cat`/`echo` on `/proc/sys` and `/sys/class/net`, and `sleep` moving virtual time)
//! against a simulated host, and prints what Linux prints: iproute2's formats and error texts,
//! iputils' ping output, tcpdump's one-line summaries.
//!
//! - [`Session`]: one simulated host and the interpreter state; [`Session::exec`] runs one line.
//! - [`script`]: `vnet run FILE` (comments, `\` continuations, `!` for lines expected to fail,
//!   `--keep-going`, `--transcript OUT`).
//!
//! ```
//! let mut s = vnet_cli::Session::new(vnet_cli::DEFAULT_SEED).unwrap();
//! let o = s.exec("echo hello | grep ell");
//! assert_eq!((o.stdout.as_str(), o.rc), ("hello\n", 0));
//! ```

#![warn(missing_docs)]
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]

mod brctl;
mod bridge;
mod ethtool;
mod filters;
mod fs;
mod ifconfig;
mod ip;
mod lex;
mod ping;
pub mod script;
mod session;
mod sysctl;
mod tcpdump;
mod time;
mod util;
mod vzctl;

pub use session::{DEFAULT_SEED, Output, Session};

use session::Ctx;

/// Run one command (already split into words) in `ctx`. Returns the exit status; output goes to
/// `ctx.out` / `ctx.err`.
pub(crate) fn dispatch(ctx: &mut Ctx<'_>, argv: &[String]) -> i32 {
    let Some(cmd) = argv.first() else { return 0 };
    if let Some(rc) = session::builtin(ctx, argv) {
        return rc;
    }
    let args = &argv[1..];
    match cmd.as_str() {
        "sudo" => dispatch(ctx, args),
        "ip" => ip::main(ctx, args),
        "bridge" => bridge::main(ctx, args),
        "brctl" => brctl::main(ctx, args),
        "ethtool" => ethtool::main(ctx, args),
        "ifconfig" => ifconfig::main(ctx, args),
        "sysctl" => sysctl::main(ctx, args),
        "ping" => ping::ping(ctx, args, false),
        "ping6" => ping::ping(ctx, args, true),
        "arping" => ping::arping(ctx, args),
        "tcpdump" => tcpdump::main(ctx, args),
        "sleep" => time::sleep(ctx, args),
        "advance" => time::advance(ctx, args),
        "date" => time::date(ctx, args),
        "cat" => fs::cat(ctx, args),
        "ls" => fs::ls(ctx, args),
        "echo" => filters::echo(ctx, args),
        "grep" => filters::grep(ctx, args),
        "head" => filters::head(ctx, args),
        "tail" => filters::tail(ctx, args),
        "wc" => filters::wc(ctx, args),
        "vzctl" => vzctl::main(ctx, args),
        _ => {
            let w = match ctx.s.line_no() {
                Some(n) => format!("vnet: line {n}: "),
                None => "vnet: ".to_string(),
            };
            ctx.fail(127, &format!("{w}{cmd}: command not found"))
        }
    }
}
