//! Shared by the transcript tests: splitting a transcript into `$ CMD` blocks, masking what two
//! Linux runs do not agree on, and comparing a vnet transcript with a Linux one.
#![allow(dead_code)]

/// One `$ CMD` block of a transcript.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Block {
    pub(crate) cmd: String,
    pub(crate) body: String,
}

pub(crate) fn blocks(transcript: &str) -> Vec<Block> {
    let mut out: Vec<Block> = Vec::new();
    for line in transcript.split_inclusive('\n') {
        if let Some(cmd) = line.strip_prefix("$ ") {
            out.push(Block { cmd: cmd.trim_end().to_string(), body: String::new() });
        } else if let Some(b) = out.last_mut() {
            // Comment lines between blocks belong to no block once the block's rc line is seen.
            if b.body.contains("\n--- rc=") || b.body.starts_with("--- rc=") {
                continue;
            }
            b.body.push_str(line);
        }
    }
    out
}

/// vnet-only lines: time and capture control.
pub(crate) fn is_driver_line(cmd: &str) -> bool {
    cmd.starts_with("sleep ") || cmd.starts_with("kill ") || cmd == "wait" || cmd.contains(" tcpdump ")
}

/// Mask what two Linux runs do not agree on either.
pub(crate) fn normalise(s: &str, random_macs: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for line in s.split_inclusive('\n') {
        let mut l = line.to_string();
        // ping: "time=0.053 ms", "time 1015ms", "rtt min/avg/max/mdev = a/b/c/d ms".
        l = mask_after(&l, "time=", |c| c.is_ascii_digit() || c == '.');
        l = mask_after(&l, "time ", |c| c.is_ascii_digit());
        if l.starts_with("rtt min/avg/max/mdev = ") {
            l = "rtt min/avg/max/mdev = X\n".to_string();
        }
        // ip -s neigh: "used 6/67/4".
        l = mask_after(&l, "used ", |c| c.is_ascii_digit() || c == '/');
        if random_macs {
            l = mask_macs(&l);
        }
        out.push_str(&l);
    }
    out
}

/// Replace the run of characters accepted by `keep` after each `marker` with `X`.
fn mask_after(l: &str, marker: &str, keep: impl Fn(char) -> bool) -> String {
    let mut out = String::new();
    let mut rest = l;
    while let Some(i) = rest.find(marker) {
        let after = &rest[i + marker.len()..];
        let n = after.find(|c: char| !keep(c)).unwrap_or(after.len());
        out.push_str(&rest[..i + marker.len()]);
        if n > 0 {
            out.push('X');
        }
        rest = &after[n..];
    }
    out.push_str(rest);
    out
}

/// Replace every `xx:xx:xx:xx:xx:xx` that is not all-zero or all-ones with `MAC`.
fn mask_macs(l: &str) -> String {
    let b = l.as_bytes();
    let mut out = String::new();
    let mut i = 0;
    while i < b.len() {
        if i + 17 <= b.len()
            && is_mac(&l[i..i + 17])
            && !matches!(&l[i..i + 17], "00:00:00:00:00:00" | "ff:ff:ff:ff:ff:ff")
        {
            out.push_str("MAC");
            i += 17;
        } else {
            let c = l[i..].chars().next().unwrap_or(' ');
            out.push(c);
            i += c.len_utf8();
        }
    }
    out
}

fn is_mac(s: &str) -> bool {
    s.is_char_boundary(0)
        && s.len() == 17
        && s.bytes().enumerate().all(|(i, c)| if i % 3 == 2 { c == b':' } else { c.is_ascii_hexdigit() })
}

/// Compare two transcripts block by block (vnet-only driver lines left out of `got`). Returns the
/// commands whose blocks differ, each with a readable diff. Panics if the command sequences differ.
pub(crate) fn diff_transcripts(name: &str, got: &str, want: &str, random_macs: bool) -> Vec<(String, String)> {
    let got: Vec<Block> = blocks(got).into_iter().filter(|b| !is_driver_line(&b.cmd)).collect();
    let want: Vec<Block> = blocks(want).into_iter().filter(|b| !is_driver_line(&b.cmd)).collect();
    assert_eq!(
        got.iter().map(|b| &b.cmd).collect::<Vec<_>>(),
        want.iter().map(|b| &b.cmd).collect::<Vec<_>>(),
        "{name}: the replay runs the recorded commands in the recorded order"
    );
    let mut diffs = Vec::new();
    for (g, w) in got.iter().zip(&want) {
        let (mut gn, mut wn) = (normalise(&g.body, random_macs), normalise(&w.body, random_macs));
        // The kernel dumps neighbours in hash-bucket order, and the hash is seeded at random:
        // two Linux runs list the same entries in different orders.
        if g.cmd.contains(" neigh") || g.cmd.contains(" neighbour") {
            gn = sort_stdout(&gn);
            wn = sort_stdout(&wn);
        }
        if gn != wn {
            diffs.push((g.cmd.clone(), format!("--- linux\n{wn}+++ vnet\n{gn}")));
        }
    }
    diffs
}

/// The block with the lines of its stdout section sorted.
pub(crate) fn sort_stdout(body: &str) -> String {
    let Some(rest) = body.strip_prefix("--- stdout\n") else { return body.to_string() };
    let end = rest.find("\n--- ").map_or(rest.len(), |i| i + 1);
    let mut lines: Vec<&str> = rest[..end].lines().collect();
    lines.sort_unstable();
    let mut out = String::from("--- stdout\n");
    for l in lines {
        out.push_str(l);
        out.push('\n');
    }
    out.push_str(&rest[end..]);
    out
}

/// Check `diffs` against the known differences: each `(command, reason)` must still differ, and
/// nothing else may.
pub(crate) fn check_known(name: &str, diffs: &[(String, String)], known: &[(&str, &str)]) {
    let mut unexpected = String::new();
    let mut n = 0;
    for (cmd, diff) in diffs {
        if !known.iter().any(|(k, _)| k == cmd) {
            unexpected.push_str(&format!("$ {cmd}\n{diff}\n"));
            n += 1;
        }
    }
    let stale: Vec<&str> = known.iter().filter(|(k, _)| !diffs.iter().any(|(c, _)| c == k)).map(|(k, _)| *k).collect();
    assert!(unexpected.is_empty(), "{name}: {n} blocks differ from Linux:\n{unexpected}");
    assert!(stale.is_empty(), "{name}: listed as known differences but now equal to Linux: {stale:?}");
}

#[test]
fn masking_rules() {
    assert_eq!(sort_stdout("--- stdout\nb\na\n--- rc=0\n"), "--- stdout\na\nb\n--- rc=0\n");
    assert_eq!(sort_stdout("--- rc=0\n"), "--- rc=0\n");
    assert_eq!(
        normalise("64 bytes from 10.0.0.2: icmp_seq=1 ttl=64 time=0.053 ms\n", false),
        "64 bytes from 10.0.0.2: icmp_seq=1 ttl=64 time=X ms\n"
    );
    assert_eq!(
        normalise("3 packets transmitted, 3 received, 0% packet loss, time 405ms\n", false),
        "3 packets transmitted, 3 received, 0% packet loss, time Xms\n"
    );
    assert_eq!(
        normalise("10.0.0.9 dev veth0  used 6/67/4probes 6 FAILED \n", false),
        "10.0.0.9 dev veth0  used Xprobes 6 FAILED \n"
    );
    assert_eq!(
        normalise("link/ether 5a:11:22:33:44:55 brd ff:ff:ff:ff:ff:ff\n", true),
        "link/ether MAC brd ff:ff:ff:ff:ff:ff\n"
    );
    assert_eq!(
        blocks("# c\n$ a\n--- stdout\nx\n--- rc=0\n# note\n$ b\n--- rc=1\n"),
        vec![
            Block { cmd: "a".into(), body: "--- stdout\nx\n--- rc=0\n".into() },
            Block { cmd: "b".into(), body: "--- rc=1\n".into() },
        ]
    );
}
