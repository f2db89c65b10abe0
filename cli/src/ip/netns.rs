//! `ip netns` (iproute2 6.1 `ip/ipnetns.c`): named namespaces, the files under `/run/netns`.
//!
//! `add`, `delete` (and `ip -all netns delete`), `list`/`show`/`lst`, `exec` (and
//! `ip -all netns exec`), `identify` and `pids` are modelled; `set`, `list-id`, `attach` and
//! `monitor` are not (vnet says so). The directory lists newest first, as tmpfs does, so `list`
//! and the `-all` forms go newest first. Exit statuses follow `do_cmd()`, which negates what a
//! subcommand returns: `return -1` is 1, `exit(-1)` is 255, and `exec` passes the command's own.

use netdev_core::{Errno, NetnsId};

use super::link::Json;
use super::{IpOpts, matches};
use crate::session::Ctx;

/// The directory iproute2 6.1 keeps the namespace files in (`NETNS_RUN_DIR`).
const NETNS_RUN_DIR: &str = "/run/netns";

/// `usage()` of ipnetns.c, on standard error with `exit(-1)`.
const USAGE: &str = "Usage:\tip netns list
\tip netns add NAME
\tip netns attach NAME PID
\tip netns set NAME NETNSID
\tip [-all] netns delete [NAME]
\tip netns identify [PID]
\tip netns pids NAME
\tip [-all] netns exec [NAME] cmd ...
\tip netns monitor
\tip netns list-id [target-nsid POSITIVE-INT] [nsid POSITIVE-INT]
NETNSID := auto | POSITIVE-INT
";

/// `ip netns ARGS...` (`do_netns`).
pub(super) fn main(ctx: &mut Ctx<'_>, o: &IpOpts, args: &[String]) -> i32 {
    let Some(cmd) = args.first().map(String::as_str) else { return list(ctx, o) };
    // do_netns checks the name before looking at the command (so `exec a/b ls` fails here).
    if let Some(name) = args.get(1).filter(|n| !o.all && invalid_name(n)) {
        return ctx.fail(255, &format!("Invalid netns name \"{name}\""));
    }
    let rest = &args[1..];
    if matches(cmd, "list") || matches(cmd, "show") || matches(cmd, "lst") {
        return list(ctx, o);
    }
    if matches(cmd, "list-id") {
        return ctx.unsupported("ip netns", "list-id");
    }
    if matches(cmd, "help") {
        ctx.eprint(USAGE);
        return 255;
    }
    if matches(cmd, "add") {
        return add(ctx, rest);
    }
    if matches(cmd, "set") {
        return ctx.unsupported("ip netns", "set");
    }
    if matches(cmd, "delete") {
        return delete(ctx, o, rest);
    }
    if matches(cmd, "identify") {
        return identify(ctx, rest);
    }
    if matches(cmd, "pids") {
        return pids(ctx, rest);
    }
    if matches(cmd, "exec") {
        return exec(ctx, o, rest);
    }
    if matches(cmd, "monitor") || matches(cmd, "attach") {
        return ctx.unsupported("ip netns", cmd);
    }
    ctx.fail(255, &format!("Command \"{cmd}\" is unknown, try \"ip netns help\"."))
}

/// `invalid_name`: empty, longer than `NAME_MAX`, with a `/`, or `.`/`..`.
fn invalid_name(name: &str) -> bool {
    name.is_empty() || name.len() > 255 || name.contains('/') || name == "." || name == ".."
}

/// The named namespaces, newest first (the order `readdir` gives on the tmpfs `/run/netns`).
fn named(ctx: &Ctx<'_>) -> Vec<(NetnsId, String)> {
    let mut v: Vec<(NetnsId, String)> =
        ctx.s.world().rtnl().netns_list().into_iter().filter_map(|(id, n)| n.map(|n| (id, n))).collect();
    v.reverse();
    v
}

/// `netns_list`: each name, with ` (id: N)` when the current namespace has given it an id
/// (`get_netnsid_from_name`, RTM_GETNSID, which does not allocate one).
fn list(ctx: &mut Ctx<'_>, o: &IpOpts) -> i32 {
    let entries: Vec<(String, Option<u32>)> =
        named(ctx).into_iter().map(|(id, name)| (name, ctx.s.peer_netnsid_get(ctx.ns, id))).collect();
    if o.json {
        let mut j = Json::new(o.pretty);
        for (name, id) in &entries {
            j.begin_object();
            j.name("name");
            j.string(name);
            if let Some(id) = id {
                j.name("id");
                j.uint(u64::from(*id));
            }
            j.end_object();
        }
        let out = j.finish();
        ctx.print(&out);
        return 0;
    }
    for (name, id) in entries {
        match id {
            Some(id) => ctx.print(&format!("{name} (id: {id})\n")),
            None => ctx.print(&format!("{name}\n")),
        }
    }
    0
}

/// `netns_add`: a new namespace with its own `lo`.
fn add(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    let Some(name) = args.first() else { return ctx.fail(1, "No netns name specified") };
    let res = ctx.s.world().rtnl().netns_add(name);
    match res {
        Ok(_) => 0,
        Err(e) => {
            let why = if e.errno() == Errno::Eexist { "File exists" } else { e.errno().strerror() };
            ctx.fail(1, &format!("Cannot create namespace file \"{NETNS_RUN_DIR}/{name}\": {why}"))
        }
    }
}

/// `netns_delete` (`on_netns_del` for one name, `netns_foreach` with `-all`): the namespace goes,
/// and with it every device a link kind made (a veth takes its peer along).
fn delete(ctx: &mut Ctx<'_>, o: &IpOpts, args: &[String]) -> i32 {
    if o.all {
        for (_, name) in named(ctx) {
            if delete_one(ctx, &name) != 0 {
                break;
            }
        }
        return 0;
    }
    let Some(name) = args.first() else { return ctx.fail(1, "No netns name specified") };
    delete_one(ctx, name)
}

fn delete_one(ctx: &mut Ctx<'_>, name: &str) -> i32 {
    let res = {
        let mut rtnl = ctx.s.world().rtnl();
        match rtnl.netns_by_name(name) {
            Some(id) => rtnl.netns_del(id).map(|()| Some(id)),
            None => Ok(None),
        }
    };
    match res {
        Ok(Some(id)) => {
            ctx.s.forget_netns(id);
            0
        }
        Ok(None) => {
            ctx.fail(1, &format!("Cannot remove namespace file \"{NETNS_RUN_DIR}/{name}\": No such file or directory"))
        }
        Err(e) => {
            ctx.fail(1, &format!("Cannot remove namespace file \"{NETNS_RUN_DIR}/{name}\": {}", e.errno().strerror()))
        }
    }
}

/// `netns_exec`: run the command in the namespace; its exit status is the command's.
/// `ip -all netns exec CMD` runs it in every named namespace after a `netns: NAME` header
/// (`on_netns_exec`) and exits 0.
fn exec(ctx: &mut Ctx<'_>, o: &IpOpts, args: &[String]) -> i32 {
    if o.all {
        if args.is_empty() {
            return ctx.fail(1, "No command specified");
        }
        for (id, name) in named(ctx) {
            ctx.print(&format!("\nnetns: {name}\n"));
            ctx.exec_in(id, args);
        }
        return 0;
    }
    let Some(name) = args.first() else { return ctx.fail(1, "No netns name specified") };
    if args.len() < 2 {
        return ctx.fail(1, "No command specified");
    }
    let Some(ns) = super::lookup_netns(ctx, name) else {
        // netns_switch fails inside cmd_exec: -1, negated twice, is exit(-1).
        return ctx.fail(255, &format!("Cannot open network namespace \"{name}\": No such file or directory"));
    };
    ctx.exec_in(ns, &args[1..])
}

/// `netns_identify`: the name of the namespace a process is in (`self` without a PID), or an
/// empty line for an unnamed one. Only PID 1 (in the initial namespace) exists here.
fn identify(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    let ns = match args {
        [] => ctx.ns,
        [pid] if pid.is_empty() || !pid.bytes().all(|b| b.is_ascii_digit()) => {
            return ctx.fail(1, &format!("Specified string '{pid}' is not a pid"));
        }
        [pid] if pid.parse::<u32>() == Ok(1) => NetnsId::INIT,
        [_] => return ctx.fail(1, "Cannot open network namespace: No such file or directory"),
        _ => return ctx.fail(1, "extra arguments specified"),
    };
    let name = ctx.s.world().rtnl().netns_name(ns).unwrap_or_default();
    ctx.print(&format!("{name}\n"));
    0
}

/// `netns_pids`: the processes in a namespace; vnet runs none, so the list is empty.
fn pids(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    match args {
        [] => ctx.fail(1, "No netns name specified"),
        [name] if super::lookup_netns(ctx, name).is_some() => 0,
        [_] => ctx.fail(1, "Cannot open network namespace: No such file or directory"),
        _ => ctx.fail(1, "extra arguments specified"),
    }
}

#[cfg(test)]
mod tests {
    use crate::Session;

    #[test]
    fn add_list_delete_with_ids() {
        let mut s = Session::new(1).unwrap();
        assert_eq!(s.exec("ip netns add a").rc, 0);
        assert_eq!(s.exec("ip netns add b").rc, 0);
        // Newest first, no ids until the current namespace gives one (ipnetns.c netns_list).
        assert_eq!(s.exec("ip netns list").stdout, "b\na\n");
        assert_eq!(s.exec("ip netns").stdout, "b\na\n");
        assert_eq!(s.exec("ip -j netns ls").stdout, "[{\"name\":\"b\"},{\"name\":\"a\"}]\n");
        let o = s.exec("ip netns add a");
        assert_eq!((o.stderr.as_str(), o.rc), ("Cannot create namespace file \"/run/netns/a\": File exists\n", 1));
        assert_eq!(s.exec("ip netns del a").rc, 0);
        let o = s.exec("ip netns delete a");
        assert_eq!(o.stderr, "Cannot remove namespace file \"/run/netns/a\": No such file or directory\n");
        assert_eq!(o.rc, 1);
        assert_eq!(s.exec("ip netns list").stdout, "b\n");
    }

    #[test]
    fn ids_show_after_a_link_refers_to_the_namespace() {
        let mut s = Session::new(1).unwrap();
        s.exec("ip netns add a");
        s.exec("ip netns add b");
        s.exec("ip -n a link add x type veth peer name y netns b");
        assert_eq!(s.exec("ip -n a netns list").stdout, "b\na\n");
        // Showing x fills IFLA_LINK_NETNSID, which allocates a's id for b (peernet2id_alloc).
        s.exec("ip -n a link show x");
        assert_eq!(s.exec("ip -n a netns list").stdout, "b (id: 0)\na\n");
        assert_eq!(s.exec("ip -n a -j netns").stdout, "[{\"name\":\"b\",\"id\":0},{\"name\":\"a\"}]\n");
        assert_eq!(s.exec("ip netns list").stdout, "b\na\n");
    }

    #[test]
    fn exec_runs_in_the_namespace_and_passes_the_status_through() {
        let mut s = Session::new(1).unwrap();
        s.exec("ip netns add a");
        s.exec("ip netns exec a ip link add d0 type dummy");
        assert_eq!(s.exec("ip link show d0").rc, 1);
        assert_eq!(s.exec("ip -n a link show d0").rc, 0);
        let o = s.exec("ip netns exec a ip link show nosuch");
        assert_eq!((o.stderr.as_str(), o.rc), ("Device \"nosuch\" does not exist.\n", 1));
        assert_eq!(s.exec("ip netns exec a ip netns identify").stdout, "a\n");
        assert_eq!(s.exec("ip netns identify").stdout, "\n");
        let o = s.exec("ip netns exec nosuch true");
        assert_eq!(o.stderr, "Cannot open network namespace \"nosuch\": No such file or directory\n");
        assert_eq!(o.rc, 255);
        assert_eq!(s.exec("ip netns exec a").stderr, "No command specified\n");
        assert_eq!(s.exec("ip netns exec").stderr, "No netns name specified\n");
        let o = s.exec("ip netns exec a/b true");
        assert_eq!((o.stderr.as_str(), o.rc), ("Invalid netns name \"a/b\"\n", 255));
    }

    #[test]
    fn all_forms_go_newest_first() {
        let mut s = Session::new(1).unwrap();
        s.exec("ip netns add a");
        s.exec("ip netns add b");
        let o = s.exec("ip -all netns exec ip netns identify");
        assert_eq!((o.stdout.as_str(), o.rc), ("\nnetns: b\nb\n\nnetns: a\na\n", 0));
        assert_eq!(s.exec("ip -all netns delete").rc, 0);
        assert_eq!(s.exec("ip netns list").stdout, "");
    }

    #[test]
    fn bad_commands() {
        let mut s = Session::new(1).unwrap();
        let o = s.exec("ip netns frob");
        assert_eq!((o.stderr.as_str(), o.rc), ("Command \"frob\" is unknown, try \"ip netns help\".\n", 255));
        let o = s.exec("ip netns help");
        assert!(o.stderr.starts_with("Usage:\tip netns list\n"), "{}", o.stderr);
        assert_eq!(o.rc, 255);
        assert_eq!(s.exec("ip netns add").stderr, "No netns name specified\n");
        assert_eq!(s.exec("ip netns identify x").stderr, "Specified string 'x' is not a pid\n");
        assert_eq!(s.exec("ip netns pids nosuch").rc, 1);
        assert_eq!(s.exec("ip netns set a 1").rc, 255);
    }
}
