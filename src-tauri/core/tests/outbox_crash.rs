//! Crash safety of the outbox, with real processes: a child process opens a store holding 20
//! queued packages and syncs them to a real SMTP server on loopback; the test kills it with
//! SIGKILL at a random moment, restarts (opens the store, which recovers, and syncs what is
//! left), and checks every package: sent exactly once, or "mogelijk al verzonden"; never lost,
//! never silently sent twice. Fifty runs; the counts are printed.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::process::{Command, Stdio};
use std::time::Duration;

use aanmelder_core::consent::Language;
use aanmelder_core::outbox::{self, ItemState};
use aanmelder_core::package::Packages;
use aanmelder_e2e::smtp::SmtpServer;

mod support;
use support::{Office, client, now, smtp_client};

const PACKAGES: usize = 20;
const RUNS: usize = 50;

/// The child's side: open the copied store and sync. Runs only when the parent starts it.
#[test]
#[ignore = "the child process of outbox_survives_sigkill_at_any_moment"]
fn crash_child() {
    let port: u16 = std::env::var("CRASH_PORT").unwrap().parse().unwrap();
    let cert = std::fs::read(std::env::var("CRASH_CERT").unwrap()).unwrap();
    let store = support::store_from_env("CRASH");
    outbox::recover(&store).unwrap();
    outbox::sync(&store, &smtp_client(port, &cert), now, |_, _| {}).unwrap();
}

/// Message-IDs of the mails received since `skip` files.
fn received_ids(server: &SmtpServer, skip: usize) -> HashMap<String, usize> {
    let mut counts = HashMap::new();
    for path in server.received().into_iter().skip(skip) {
        let mail = String::from_utf8_lossy(&std::fs::read(path).unwrap()).into_owned();
        let id = mail
            .lines()
            .find_map(|l| l.strip_prefix("Message-ID: "))
            .unwrap()
            .trim()
            .to_owned();
        *counts.entry(id).or_insert(0) += 1;
    }
    counts
}

#[test]
fn outbox_survives_sigkill_at_any_moment() {
    let server = SmtpServer::start().unwrap();
    let cert_dir = tempfile::tempdir().unwrap();
    let cert_path = cert_dir.path().join("cert.pem");
    std::fs::write(&cert_path, &server.cert).unwrap();

    // One store with 20 queued packages, copied afresh for every run.
    let office = Office::new();
    for i in 0..PACKAGES {
        let postal_code = ["2260", "3290", "1000"][i % 3];
        let reference = office.consent(&client("Zoë", "Crash", postal_code), Language::Nl);
        Packages::new(&office.store, &office.gazetteer)
            .build(&reference, now())
            .unwrap();
    }
    let passphrase = office.passphrase;
    let salt = office.params.salt.clone();
    let (_keep, template, key) = office.close();

    let exe = std::env::current_exe().unwrap();
    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    let (mut sent, mut maybe, mut lost, mut duplicated) = (0, 0, 0, 0);
    for run in 0..RUNS {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("aanmelder.db");
        std::fs::copy(&template, &db).unwrap();
        let before = server.received().len();

        // Kill somewhere between start-up and the last send.
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let kill_after = Duration::from_millis(50 + seed % 1200);
        let mut child = Command::new(&exe)
            .args(["--ignored", "--exact", "crash_child", "--test-threads=1"])
            .env("CRASH_DB", &db)
            .env("CRASH_PASSPHRASE", passphrase)
            .env("CRASH_SALT", &salt)
            .env("CRASH_PORT", server.port.to_string())
            .env("CRASH_CERT", &cert_path)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(kill_after);
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();

        // Restart: opening recovers, then the rest is synced.
        let store = support::reopen(&db, &key);
        outbox::recover(&store).unwrap();
        outbox::sync(
            &store,
            &smtp_client(server.port, &server.cert),
            now,
            |_, _| {},
        )
        .unwrap();

        let ids = received_ids(&server, before);
        duplicated += ids.values().filter(|n| **n > 1).count();
        let gazetteer = aanmelder_core::residence::Gazetteer::embedded().unwrap();
        let items = outbox::list(&store, &gazetteer).unwrap();
        assert_eq!(
            items.len(),
            PACKAGES,
            "run {run}: an item vanished from the outbox"
        );
        for item in items {
            let id = &item.message_id;
            match item.state {
                ItemState::Sent => {
                    sent += 1;
                    assert_eq!(
                        ids.get(id),
                        Some(&1),
                        "run {run}: {} sent but not received once",
                        item.reference
                    );
                }
                ItemState::MaybeSent => maybe += 1,
                other => {
                    lost += 1;
                    eprintln!("run {run}: {} ended as {other:?}", item.reference);
                }
            }
        }
    }
    println!(
        "outbox crash test: {RUNS} runs × {PACKAGES} packages: {sent} sent exactly once, \
         {maybe} \"mogelijk al verzonden\", {lost} lost, {duplicated} silently duplicated"
    );
    assert_eq!((lost, duplicated), (0, 0));
    assert!(
        maybe > 0,
        "no kill landed between send and record: the test did not test that case"
    );
}
