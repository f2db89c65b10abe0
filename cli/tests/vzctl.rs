//! `vzctl` (OpenVZ) in the vnet command: each form's exact output and exit code (vzctl 4.x's
//! `main` and the `Vz` model's texts), venet0 as `ip link` shows it, and a capture on venet0
//! read back as raw IP.

use vnet_cli::Session;

fn out(s: &mut Session, line: &str) -> (String, String, i32) {
    let o = s.exec(line);
    (o.stdout, o.stderr, o.rc)
}

#[test]
fn start_status_stop_and_their_errors() {
    let mut s = Session::new(1).unwrap();
    let start = "Starting container ...\nContainer is mounted\nContainer start in progress...\n";
    assert_eq!(out(&mut s, "vzctl start 101"), (start.into(), String::new(), 0));
    assert_eq!(out(&mut s, "vzctl start 101"), (String::new(), "Container is already running\n".into(), 32));
    assert_eq!(s.exec("vzctl status 101").stdout, "CTID 101 exist mounted running\n");
    assert_eq!(s.exec("ip netns").stdout, "101\n");
    let stop = "Stopping container ...\nContainer was stopped\nContainer is unmounted\n";
    assert_eq!(out(&mut s, "vzctl stop 101"), (stop.into(), String::new(), 0));
    assert_eq!(s.exec("vzctl status 101").stdout, "CTID 101 exist unmounted down\n");
    assert_eq!(s.exec("ip netns").stdout, "");
    assert_eq!(out(&mut s, "vzctl stop 101"), (String::new(), "Unable to stop: container is not running\n".into(), 0));
    assert_eq!(out(&mut s, "vzctl exec 101 ip link"), (String::new(), "Container is not running\n".into(), 31));
    assert_eq!(
        out(&mut s, "vzctl exec 9 ip link"),
        (String::new(), "Container config file does not exist\n".into(), 14)
    );
    assert_eq!(s.exec("vzctl status 9").stdout, "CTID 9 deleted unmounted down\n");
    assert_eq!(out(&mut s, "vzctl bogus 1"), (String::new(), "Bad command: bogus\n".into(), 20));
    assert_eq!(out(&mut s, "vzctl stop"), (String::new(), "CT ID missing\n".into(), 21));
    assert_eq!(out(&mut s, "vzctl stop ab"), (String::new(), "Bad CT ID ab\n".into(), 21));
    assert_eq!(out(&mut s, "vzctl start 0"), (String::new(), "Only set actions are allowed for CT0\n".into(), 21));
}

#[test]
fn set_ipadd_ipdel_forms() {
    let mut s = Session::new(1).unwrap();
    s.exec("vzctl start 101");
    let (o, e, rc) = out(&mut s, "vzctl set 101 --ipadd 10.0.0.1,10.0.0.2/24 --save");
    assert_eq!(
        (o.as_str(), e.as_str(), rc),
        ("Adding IP address(es): 10.0.0.1 10.0.0.2/24\nSaved parameters for CT 101\n", "", 0)
    );
    let o = s.exec("vzctl exec 101 ip -4 -o addr show venet0").stdout;
    assert!(o.contains("inet 10.0.0.1/32 scope global venet0:0"), "{o}");
    assert!(o.contains("inet 10.0.0.2/24 scope global venet0:1"), "{o}");
    // A second container cannot take an address in use (EADDRINUSE: 78).
    s.exec("vzctl start 102");
    let (_, e, rc) = out(&mut s, "vzctl set 102 --ipadd 10.0.0.1");
    assert_eq!((e.as_str(), rc), ("Unable to add IP 10.0.0.1: Address already in use\n", 78));
    let (o, _, rc) = out(&mut s, "vzctl set 101 --ipdel 10.0.0.2");
    let warn =
        "WARNING: Settings were not saved and will be resetted to original values on next start (use --save flag)\n";
    assert_eq!((o, rc), (format!("Deleting IP address(es): 10.0.0.2\n{warn}"), 0));
    assert!(!s.exec("ip route").stdout.contains("10.0.0.2"));
    let (o, _, rc) = out(&mut s, "vzctl set 101 --ipdel all --save");
    assert_eq!((o.as_str(), rc), ("Deleting IP address(es): 10.0.0.1\nSaved parameters for CT 101\n", 0));
    assert_eq!(s.exec("ip route").stdout, "");
    // Parse errors.
    assert_eq!(
        out(&mut s, "vzctl set 101 --ipadd 1.2.3.4/33"),
        (String::new(), "Bad IP address: 1.2.3.4/33\n".into(), 21)
    );
    assert_eq!(
        out(&mut s, "vzctl set 101 --ipadd"),
        (String::new(), "vzctl: option '--ipadd' requires an argument\n".into(), 20)
    );
    assert_eq!(
        out(&mut s, "vzctl set 101 --hostname x"),
        (String::new(), "vzctl: unrecognized option '--hostname'\n".into(), 20)
    );
    // A stopped container: only --save does anything.
    s.exec("vzctl stop 102");
    assert_eq!(
        out(&mut s, "vzctl set 102 --ipadd 10.0.0.9"),
        (String::new(), "Unable to apply network parameters: container is not running\n".into(), 31)
    );
    assert_eq!(s.exec("vzctl set 102 --ipadd 10.0.0.9 --save").stdout, "Saved parameters for CT 102\n");
    assert!(s.exec("vzctl start 102").stdout.contains("Adding IP address(es): 10.0.0.9\n"));
}

#[test]
fn venet0_in_ip_link() {
    let mut s = Session::new(1).unwrap();
    s.exec("vzctl start 101");
    assert_eq!(
        s.exec("ip link show venet0").stdout,
        "2: venet0: <BROADCAST,POINTOPOINT,NOARP,UP,LOWER_UP> mtu 1500 qdisc noqueue state UNKNOWN mode DEFAULT \
         group default \n    link/void \n"
    );
    let d = s.exec("ip -d link show venet0").stdout;
    assert!(d.contains("    link/void  promiscuity 0  allmulti 0 minmtu 0 maxmtu 0 \n    venet addrgenmode"), "{d}");
    let c = s.exec("vzctl exec 101 ip link show venet0").stdout;
    assert!(c.starts_with("2: venet0: <BROADCAST,POINTOPOINT,NOARP,UP,LOWER_UP>"), "{c}");
}

#[test]
fn capture_on_venet0_is_raw_ip() {
    let mut s = Session::new(1).unwrap();
    for l in ["ip link set lo up", "ip link add eth0 type veth peer name e1", "ip addr add 192.168.0.10/24 dev eth0"] {
        assert_eq!(s.exec(l).rc, 0, "{l}");
    }
    s.exec("ip link set eth0 up");
    s.exec("vzctl start 101");
    s.exec("vzctl set 101 --ipadd 10.0.0.1");
    let pcap = std::env::temp_dir().join(format!("vnet-vzctl-{}.pcap", std::process::id()));
    let p = pcap.display();
    s.exec(&format!("tcpdump -n -i venet0 -w {p} &"));
    s.exec("vzctl exec 101 tcpdump -n -e -i venet0 &");
    assert!(s.exec("ping -c 1 10.0.0.1").stdout.contains("1 received"));
    let o = s.exec("kill %1");
    assert!(o.stderr.contains("listening on venet0, link-type RAW (Raw IP), snapshot length 262144 bytes"));
    let o = s.exec("kill %2");
    // -e on a raw capture: "ip: " where the MAC header would be (raw_if_print).
    assert!(o.stdout.contains(" ip: 192.168.0.10 > 10.0.0.1: ICMP echo request"), "{}", o.stdout);
    let o = s.exec(&format!("tcpdump -n -r {p}"));
    let _ = std::fs::remove_file(&pcap);
    assert!(o.stderr.contains("link-type RAW (Raw IP)"), "{}", o.stderr);
    let lines: Vec<&str> = o.stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{}", o.stdout);
    assert!(lines[0].contains(" IP 192.168.0.10 > 10.0.0.1: ICMP echo request"), "{}", o.stdout);
    assert!(lines[1].contains("IP 10.0.0.1 > 192.168.0.10: ICMP echo reply"));
}
