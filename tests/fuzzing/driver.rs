//! The deterministic driver: a bounded number of pseudo-random inputs per
//! harness, the same on every run, so that `cargo test` on the stable toolchain
//! fuzzes within CI's budget and a failure replays exactly.
//!
//! `SLUICE_FUZZ_CASES=N` runs N cases instead of the test's default, and
//! `SLUICE_FUZZ_SEED=S` draws other inputs. A failure reports the case's input
//! as hex; `SLUICE_FUZZ_INPUT=<hex>` replays that one input alone. A case that
//! aborts the process (an allocation that fails) reports nothing: with
//! `SLUICE_FUZZ_TRACE=FILE`, each case's input is written to FILE.NAME before it
//! runs, so the last one is there after an abort.

use std::time::{Duration, Instant};

/// A case longer than this is a hang.
const CASE_TIMEOUT: Duration = Duration::from_secs(30);

/// SplitMix64: a small, well-mixed generator; the inputs only need to vary.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

fn env_u64(name: &str) -> Option<u64> {
    std::env::var(name).ok().map(|v| v.parse().unwrap_or_else(|_| panic!("{name}={v} is not a number")))
}

/// Runs `harness` on `cases` inputs of up to `max_len` bytes (fewer when the
/// run passes `time_budget`, so a slow machine stays within CI's budget).
pub fn drive(name: &str, cases: u64, max_len: usize, time_budget: Duration, harness: fn(&[u8])) {
    if let Ok(hex) = std::env::var("SLUICE_FUZZ_INPUT") {
        run_case(name, 0, decode_hex(&hex), harness);
        return;
    }
    let cases = env_u64("SLUICE_FUZZ_CASES").unwrap_or(cases);
    let seed = env_u64("SLUICE_FUZZ_SEED").unwrap_or(0);
    let mut rng = SplitMix(seed ^ name.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ b as u64).wrapping_mul(0x100_0000_01b3)));
    let started = Instant::now();
    let mut ran = 0;
    while ran < cases && (started.elapsed() < time_budget || std::env::var_os("SLUICE_FUZZ_CASES").is_some()) {
        let len = (rng.next() % (max_len as u64 + 1)) as usize;
        let input: Vec<u8> = (0..len.div_ceil(8)).flat_map(|_| rng.next().to_le_bytes()).take(len).collect();
        run_case(name, ran, input, harness);
        ran += 1;
    }
    eprintln!("{name}: {ran} cases in {:.1?}", started.elapsed());
}

fn run_case(name: &str, case: u64, input: Vec<u8>, harness: fn(&[u8])) {
    let (done, finished) = std::sync::mpsc::channel();
    let shown = hex(&input);
    if let Some(trace) = std::env::var_os("SLUICE_FUZZ_TRACE") {
        let mut path = std::path::PathBuf::from(trace).into_os_string();
        path.push(format!(".{name}"));
        std::fs::write(path, format!("case {case}: SLUICE_FUZZ_INPUT={shown}\n")).unwrap();
    }
    let worker = std::thread::spawn(move || {
        harness(&input);
        let _ = done.send(());
    });
    match finished.recv_timeout(CASE_TIMEOUT) {
        Ok(()) => worker.join().unwrap(),
        Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
            let panic = worker.join().expect_err("the harness ended without finishing");
            let message = panic.downcast_ref::<String>().cloned().or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()));
            panic!("{name}, case {case} failed: {}\nreplay with SLUICE_FUZZ_INPUT={shown}", message.unwrap_or_default());
        }
        Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
            panic!("{name}, case {case} hung (over {CASE_TIMEOUT:?})\nreplay with SLUICE_FUZZ_INPUT={shown}")
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn decode_hex(text: &str) -> Vec<u8> {
    let text = text.trim();
    (0..text.len() / 2).map(|i| u8::from_str_radix(&text[2 * i..2 * i + 2], 16).expect("SLUICE_FUZZ_INPUT is not hex")).collect()
}
