//! A bounded randomized run of the layer-application fuzz harness on
//! stable Rust (the open-ended one is `cargo +nightly fuzz run apply` in
//! fuzz/). Inputs come from a fixed seed, so a failure reproduces; the run
//! lasts LADE_FUZZ_SECS seconds (default 15).

mod common;

use std::time::{Duration, Instant};

use lade::unpack::fuzzing::Arena;

#[test]
fn random_layers_never_touch_the_sentinel() {
    let t = common::tempdir();
    let arena = Arena::new(t.path());
    let secs: u64 = std::env::var("LADE_FUZZ_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(15);
    let seed: u64 = std::env::var("LADE_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x9E37_79B9_7F4A_7C15);
    let mut x = seed;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let end = Instant::now() + Duration::from_secs(secs);
    let mut runs = 0u64;
    while Instant::now() < end || runs < 200 {
        let len = 1 + (next() % 160) as usize;
        let data: Vec<u8> = (0..len).map(|_| next() as u8).collect();
        arena.check(&data);
        runs += 1;
    }
    eprintln!("{runs} random inputs applied, sentinel untouched");
    assert!(runs >= 200);
}
