//! `vzctl`: OpenVZ's container tool, as far as networking goes, on top of the `Vz` model of
//! crate `netdev-venet` (which holds vzctl's texts and exit codes).
//!
//! ```text
//! vzctl start CTID                 (creates the container on first use: there is no `create`)
//! vzctl stop CTID
//! vzctl status CTID
//! vzctl exec CTID CMD...           (runs CMD in the container's namespace)
//! vzctl set CTID [--ipadd IP[/PLEN][,IP...]] [--ipdel IP[,IP...]|all] [--save]
//! ```
//!
//! The argument checks follow vzctl 4.x's `main` (`src/vzctl.c`): "Bad command", "CT ID
//! missing", "Bad CT ID", "Only set actions are allowed for CT0", and "Container config file does
//! not exist" for `stop`/`exec` of a container vzctl never saw. `--ipdel` runs before `--ipadd`
//! when both are given, as `vps_net_ctl` does in `vps_set_net`.

use netdev_venet::{CtStatus, IpDel, IpNet, Save, VzReport};

use crate::session::Ctx;

/// `vzerror.h`: `VZ_INVALID_PARAMETER_SYNTAX`.
const INVALID_PARAMETER_SYNTAX: i32 = 20;
/// `vzerror.h`: `VZ_INVALID_PARAMETER_VALUE`.
const INVALID_PARAMETER_VALUE: i32 = 21;
/// `vzerror.h`: `VZ_NOVECONFIG`.
const NOVECONFIG: i32 = 14;
/// `vzerror.h`: `VZ_VE_NOT_RUNNING`.
const VE_NOT_RUNNING: i32 = 31;

/// The most packets received after a command (a bridge loop never settles).
const RX_BUDGET: usize = 10_000;

/// The actions vnet knows (vzctl's `ACTION_*`).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Action {
    Start,
    Stop,
    Status,
    Exec,
    Set,
}

/// `vzctl ARGS...` (vzctl.c `main`, then `run_action`).
pub(crate) fn main(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    let Some(cmd) = args.first() else {
        return ctx.fail(INVALID_PARAMETER_SYNTAX, "Usage: vzctl [options] <command> <ctid> [parameters]");
    };
    let action = match cmd.as_str() {
        "start" => Action::Start,
        "stop" => Action::Stop,
        "status" => Action::Status,
        "exec" => Action::Exec,
        "set" => Action::Set,
        "create" | "destroy" | "restart" | "enter" | "mount" | "umount" | "exec2" | "runscript" => {
            return ctx.unsupported("vzctl", cmd);
        }
        _ => return ctx.fail(INVALID_PARAMETER_SYNTAX, &format!("Bad command: {cmd}")),
    };
    let Some(id) = args.get(1) else { return ctx.fail(INVALID_PARAMETER_VALUE, "CT ID missing") };
    // parse_int, then a container name: vnet has no names.
    let Ok(ctid) = id.parse::<u32>() else {
        return ctx.fail(INVALID_PARAMETER_VALUE, &format!("Bad CT ID {id}"));
    };
    if ctid == 0 && action != Action::Set {
        return ctx.fail(INVALID_PARAMETER_VALUE, "Only set actions are allowed for CT0");
    }
    let rest = args.get(2..).unwrap_or_default();
    let vz = ctx.s.vz();
    let known = vz.status(ctid).is_some();
    if !known && matches!(action, Action::Stop | Action::Exec) {
        return ctx.fail(NOVECONFIG, "Container config file does not exist");
    }
    match action {
        Action::Start => {
            if let Some(w) = rest.first() {
                return ctx.unsupported("vzctl", w);
            }
            let rep = vz.start(ctx.s.cpu(), ctid);
            report(ctx, &rep)
        }
        Action::Stop => {
            if let Some(w) = rest.first() {
                return ctx.unsupported("vzctl", w);
            }
            let ns = vz.netns(ctid);
            let rep = vz.stop(ctx.s.cpu(), ctid);
            if let Some(ns) = ns {
                ctx.s.forget_netns(ns);
            }
            report(ctx, &rep)
        }
        Action::Status => status(ctx, ctid, vz.status(ctid)),
        Action::Exec => {
            let Some(ns) = vz.netns(ctid) else { return ctx.fail(VE_NOT_RUNNING, "Container is not running") };
            if rest.is_empty() {
                return ctx.fail(INVALID_PARAMETER_SYNTAX, "No command line given for exec");
            }
            ctx.exec_in(ns, rest)
        }
        Action::Set => set(ctx, ctid, rest),
    }
}

/// `vzctl status CTID` (`vps_status`): "CTID N exist|deleted mounted|unmounted running|down".
fn status(ctx: &mut Ctx<'_>, ctid: u32, st: Option<CtStatus>) -> i32 {
    let line = match st {
        Some(CtStatus::Running) => format!("CTID {ctid} exist mounted running\n"),
        Some(CtStatus::Stopped) => format!("CTID {ctid} exist unmounted down\n"),
        None => format!("CTID {ctid} deleted unmounted down\n"),
    };
    ctx.print(&line);
    0
}

/// One parsed `--ipadd`/`--ipdel` list.
fn ip_list(ctx: &mut Ctx<'_>, opt: &str, val: Option<&String>) -> Result<Vec<IpNet>, i32> {
    let Some(val) = val else {
        return Err(ctx.fail(INVALID_PARAMETER_SYNTAX, &format!("vzctl: option '--{opt}' requires an argument")));
    };
    let mut out = Vec::new();
    for w in val.split([',', ' ']).filter(|w| !w.is_empty()) {
        match w.parse::<IpNet>() {
            Ok(ip) => out.push(ip),
            Err(e) => return Err(ctx.fail(INVALID_PARAMETER_VALUE, &e.to_string())),
        }
    }
    Ok(out)
}

/// `vzctl set CTID ...` (`parse_set_opt` with the network options only, then `vps_set_net`).
fn set(ctx: &mut Ctx<'_>, ctid: u32, args: &[String]) -> i32 {
    let mut add: Option<Vec<IpNet>> = None;
    let mut del: Option<Vec<IpNet>> = None;
    let mut del_all = false;
    let mut save = Save::No;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--save" => save = Save::Yes,
            "--ipadd" => match ip_list(ctx, "ipadd", it.next()) {
                Ok(l) => add.get_or_insert_with(Vec::new).extend(l),
                Err(rc) => return rc,
            },
            "--ipdel" => {
                let v = it.next();
                if v.is_some_and(|v| v == "all") {
                    del_all = true;
                    continue;
                }
                match ip_list(ctx, "ipdel", v) {
                    Ok(l) => del.get_or_insert_with(Vec::new).extend(l),
                    Err(rc) => return rc,
                }
            }
            w if w.starts_with("--") => {
                return ctx.fail(INVALID_PARAMETER_SYNTAX, &format!("vzctl: unrecognized option '{w}'"));
            }
            w => return ctx.fail(INVALID_PARAMETER_SYNTAX, &format!("Invalid non-option argument: {w}")),
        }
    }
    let vz = ctx.s.vz();
    if add.is_none() && del.is_none() && !del_all {
        if ctid == 0 {
            return ctx.fail(INVALID_PARAMETER_VALUE, "Only set actions are allowed for CT0");
        }
        if save == Save::Yes {
            // vps_save_config with nothing changed still says it saved.
            ctx.print(&format!("Saved parameters for CT {ctid}\n"));
            return 0;
        }
        return ctx.fail(INVALID_PARAMETER_SYNTAX, "Nothing to set, use --save flag to save parameters");
    }
    let mut rc = 0;
    if del_all || del.is_some() {
        let list = del.unwrap_or_default();
        let what = if del_all { IpDel::All } else { IpDel::Addrs(&list) };
        // With --ipadd too, the save/warning line is printed once, after the add.
        let rep = vz.set_ipdel(ctx.s.cpu(), ctid, what, save);
        rc = report_filtered(ctx, &rep, add.is_none());
        if rc != 0 {
            return rc;
        }
    }
    if let Some(list) = add {
        let rep = vz.set_ipadd(ctx.s.cpu(), ctid, &list, save);
        rc = report(ctx, &rep);
    }
    rc
}

/// Print a report's lines (stdout or stderr each) and return its exit code; then let the ARP
/// requests vzctl's scripts queued reach the wire.
fn report(ctx: &mut Ctx<'_>, rep: &VzReport) -> i32 {
    report_filtered(ctx, rep, true)
}

/// [`report`], leaving out the "Saved"/"not saved" lines unless `tail` (a first step of two).
fn report_filtered(ctx: &mut Ctx<'_>, rep: &VzReport, tail: bool) -> i32 {
    for ev in &rep.events {
        let last = matches!(ev, netdev_venet::VzEvent::Saved(_) | netdev_venet::VzEvent::NotSaved);
        if last && !tail {
            continue;
        }
        let line = format!("{ev}\n");
        if ev.is_error() {
            ctx.eprint(&line);
        } else {
            ctx.print(&line);
        }
    }
    // arpsend's requests are on the wire before vzctl returns.
    ctx.s.cpu().run_until_idle(RX_BUDGET);
    rep.exit_code
}

#[cfg(test)]
mod tests {
    use crate::Session;

    #[test]
    fn argument_errors_as_vzctl_main() {
        let mut s = Session::new(1).unwrap();
        let o = s.exec("vzctl frob 101");
        assert_eq!((o.stderr.as_str(), o.rc), ("Bad command: frob\n", 20));
        let o = s.exec("vzctl start");
        assert_eq!((o.stderr.as_str(), o.rc), ("CT ID missing\n", 21));
        let o = s.exec("vzctl start x1");
        assert_eq!((o.stderr.as_str(), o.rc), ("Bad CT ID x1\n", 21));
        let o = s.exec("vzctl start 0");
        assert_eq!((o.stderr.as_str(), o.rc), ("Only set actions are allowed for CT0\n", 21));
        let o = s.exec("vzctl stop 7");
        assert_eq!((o.stderr.as_str(), o.rc), ("Container config file does not exist\n", 14));
        let o = s.exec("vzctl exec 7 ip link");
        assert_eq!((o.stderr.as_str(), o.rc), ("Container config file does not exist\n", 14));
        assert_eq!(s.exec("vzctl status 7").stdout, "CTID 7 deleted unmounted down\n");
    }
}
