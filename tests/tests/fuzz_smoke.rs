//! A short smoke of each fuzz target's body with seeded random inputs, so CI runs them without a
//! fuzzer (the real fuzzing is `cargo fuzz run TARGET`, see the README).

use arbitrary::{Arbitrary, Unstructured};
use netdev_core::Rng;
use vnet_tests::fuzz::{Op, StackOp, control_plane, netlink_parse, stack_control, stack_rx, veth_rx};

fn random_bytes(rng: &mut Rng, max: u64) -> Vec<u8> {
    let n = rng.below(max + 1) as usize;
    (0..n).map(|_| rng.next_u64() as u8).collect()
}

#[test]
fn veth_rx_smoke() {
    let mut rng = Rng::new(1);
    for _ in 0..300 {
        veth_rx(&random_bytes(&mut rng, 2048));
    }
    // Structured records: a length byte, then a frame that starts like Ethernet.
    for _ in 0..100 {
        let mut data = vec![rng.next_u64() as u8];
        for _ in 0..rng.below(40) {
            let len = rng.below(256) as u8;
            data.push(len);
            data.extend((0..len).map(|_| rng.next_u64() as u8));
        }
        veth_rx(&data);
    }
}

#[test]
fn netlink_parse_smoke() {
    let mut rng = Rng::new(2);
    for _ in 0..2000 {
        netlink_parse(&random_bytes(&mut rng, 256));
    }
}

#[test]
fn control_plane_smoke() {
    let mut rng = Rng::new(3);
    for _ in 0..150 {
        let bytes = random_bytes(&mut rng, 1024);
        let mut u = Unstructured::new(&bytes);
        let ops = Vec::<Op>::arbitrary(&mut u).unwrap_or_default();
        control_plane(&ops);
    }
}

#[test]
fn stack_rx_smoke() {
    let mut rng = Rng::new(4);
    for _ in 0..60 {
        let mut data = Vec::new();
        for _ in 0..rng.below(60) {
            let kind = rng.next_u64() as u8;
            let len = rng.below(256) as u8;
            data.push(kind);
            data.push(len);
            // Mostly header-shaped bytes: start from a valid-looking IPv4/ARP/IPv6 prefix.
            let mut body: Vec<u8> = (0..len).map(|_| rng.next_u64() as u8).collect();
            if body.len() >= 20 && kind % 3 == 1 {
                body[9] = [1, 6, 17, 2][rng.below(4) as usize];
                body[8] = rng.below(3) as u8;
            }
            if body.len() >= 8 && kind.is_multiple_of(3) {
                body[..6].copy_from_slice(&[0, 1, 8, 0, 6, 4]);
            }
            data.extend(body);
        }
        stack_rx(&data);
    }
}

#[test]
fn stack_control_smoke() {
    let mut rng = Rng::new(5);
    for _ in 0..40 {
        let bytes = random_bytes(&mut rng, 1024);
        let mut u = Unstructured::new(&bytes);
        let ops = Vec::<StackOp>::arbitrary(&mut u).unwrap_or_default();
        stack_control(&ops);
    }
}

#[test]
fn cli_script_smoke() {
    let mut rng = Rng::new(6);
    let vocab = vnet_tests::fuzz::CLI_VOCAB.len() as u64;
    for _ in 0..150 {
        // Mostly vocabulary words, some free characters, a few lines.
        let n = rng.below(200) as usize;
        let data: Vec<u8> = (0..n)
            .map(|_| match rng.below(10) {
                0 => b'\n',
                1 => b'!' + rng.below(90) as u8,
                _ => rng.below(vocab) as u8,
            })
            .collect();
        vnet_tests::fuzz::cli_script(&data);
    }
}
