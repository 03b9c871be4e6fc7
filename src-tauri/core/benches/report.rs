//! Yearly counts over a ledger of 1,000,000 events: the supervisor's and the worker's evaluation
//! screen on the busiest store we can imagine. Target: under 300 ms.
//! Run with `cargo bench -p aanmelder-core --bench report`.
//!
//! The store is a real SQLCipher database on disk. "Cold" opens it anew before counting, so every
//! page is read and decrypted; "warm" counts again on the open store.

use std::time::{Duration, Instant};

use aanmelder_core::ledger::{self, EventKind};
use aanmelder_core::report::{self, Period};
use aanmelder_core::residence::Gazetteer;
use aanmelder_core::store::{DbKey, KeyProtection, Store};

const EVENTS: usize = 1_000_000;
const RUNS: usize = 7;
const PARTNERS: [&str; 12] = [
    "ocmw:13049",
    "ocmw:24020",
    "caw:brussel",
    "ocmw:11002",
    "ocmw:13008",
    "ocmw:12021",
    "ocmw:44021",
    "ocmw:71011",
    "ocmw:31005",
    "ocmw:23062",
    "ocmw:37015",
    "ocmw:46021",
];

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

/// One referral's steps, as the app records them: eight events, spread over 2026.
fn referral(i: usize) -> impl Iterator<Item = (EventKind, String, String, Option<String>)> {
    let partner = PARTNERS[i % PARTNERS.len()].to_owned();
    let day = (i * 7919) % 360;
    let month = day / 30 + 1;
    let dom = day % 28 + 1;
    let reference = format!("AM-{:04}-{:04}", i / 10_000, i % 10_000);
    let kinds = [
        EventKind::Created,
        EventKind::Explained,
        EventKind::Consented,
        EventKind::Packaged,
        EventKind::PasswordPassed,
        EventKind::Sent,
        if i.is_multiple_of(9) {
            EventKind::Corrected
        } else {
            EventKind::Purged
        },
        if i.is_multiple_of(13) {
            EventKind::Withdrawn
        } else {
            EventKind::Purged
        },
    ];
    kinds.into_iter().enumerate().map(move |(step, kind)| {
        let d = (dom + step / 5).min(28);
        (
            kind,
            format!("2026-{month:02}-{d:02}T{:02}:15:00+01:00", 9 + step),
            partner.clone(),
            Some(reference.clone()),
        )
    })
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("aanmelder.db");
    let key = DbKey::generate()?;
    let store = Store::create(
        &path,
        &key,
        KeyProtection::Keyring,
        aanmelder_core::ledger::UPGRADES,
    )?;
    let gazetteer = Gazetteer::embedded()?;
    let setup = Instant::now();
    ledger::append_many(&store, (0..EVENTS / 8).flat_map(referral))?;
    let setup = setup.elapsed();
    drop(store);

    let year = Period::year(2026)?;
    let mut cold = Vec::new();
    let mut warm = Vec::new();
    let mut total = None;
    for _ in 0..RUNS {
        let store = Store::open(
            &path,
            &key,
            KeyProtection::Keyring,
            aanmelder_core::ledger::UPGRADES,
        )?;
        let start = Instant::now();
        let report = report::counts(&store, &gazetteer, &year)?;
        cold.push(start.elapsed());
        let start = Instant::now();
        let again = report::counts(&store, &gazetteer, &year)?;
        warm.push(start.elapsed());
        assert_eq!(report, again);
        total = Some(report.total);
    }
    let total = total.ok_or("no run")?;
    if total.consented as usize != EVENTS / 8 || total.sent as usize != EVENTS / 8 {
        return Err(format!("counted {} consents, {} sends", total.consented, total.sent).into());
    }
    let (cold, warm) = (median(cold), median(warm));
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!(
        "report counts: {EVENTS} ledger events over {} partners (written in {:.1} s)",
        PARTNERS.len(),
        setup.as_secs_f64()
    );
    println!(
        "  yearly counts, store just opened  median {:>7.1} ms",
        ms(cold)
    );
    println!(
        "  yearly counts, again              median {:>7.1} ms",
        ms(warm)
    );
    println!(
        "  target < 300 ms: {}",
        if ms(cold) < 300.0 { "met" } else { "NOT met" }
    );
    Ok(())
}
