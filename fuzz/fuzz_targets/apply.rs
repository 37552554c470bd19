//! Layer application: whatever the layers, nothing outside the target
//! changes. Inputs drive `lade::unpack::fuzzing`'s generator of hostile
//! layers; the sentinel beside the root is compared before and after.
#![no_main]

use std::sync::OnceLock;

use lade::unpack::fuzzing::Arena;
use libfuzzer_sys::fuzz_target;

fn arena() -> &'static Arena {
    static A: OnceLock<(tempfile::TempDir, Arena)> = OnceLock::new();
    &A.get_or_init(|| {
        let t = tempfile::tempdir().unwrap();
        let a = Arena::new(t.path());
        (t, a)
    })
    .1
}

fuzz_target!(|data: &[u8]| {
    arena().check(data);
});
