//! Crash safety of the outbox, with real processes: a child process opens a store holding 20
//! queued packages and syncs them to a real SMTP server on loopback; the test kills it with
//! SIGKILL at a random moment (in every other run, just after the server took a mail), restarts (opens the store, which recovers, and syncs what is
//! left), and checks every package: sent exactly once, or "mogelijk al verzonden"; never lost,
//! never silently sent twice. Fifty runs; the counts are printed.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Stdio;
use std::time::{Duration, Instant};

use aanmelder_core::consent::Language;
use aanmelder_core::outbox::{self, ItemState};
use aanmelder_e2e::smtp::SmtpServer;

mod support;
use support::{Office, Template, client, now, received_ids, smtp_client, xorshift};

const PACKAGES: usize = 20;
const RUNS: usize = 50;

/// The child's side: open the copied store and sync. Runs only when the parent starts it.
#[test]
#[ignore = "the child process of outbox_survives_sigkill_at_any_moment"]
fn crash_child() {
    let store = support::store_from_env("CRASH");
    outbox::recover(&store).unwrap();
    outbox::sync(
        &store,
        &support::smtp_from_env("CRASH"),
        now,
        false,
        |_, _| {},
    )
    .unwrap();
}

#[test]
fn outbox_survives_sigkill_at_any_moment() {
    let server = SmtpServer::start().unwrap();

    // One store with 20 queued packages, copied afresh for every run.
    let office = Office::with_smtp();
    for i in 0..PACKAGES {
        let postal_code = ["2260", "3290", "1000"][i % 3];
        let reference = office.consented(&client("Zoë", "Crash", postal_code), Language::Nl, now());
        office.packages().build(&reference, now()).unwrap();
    }
    let template = Template::of(office).with_server(&server);

    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    let (mut sent, mut maybe, mut lost, mut duplicated) = (0, 0, 0, 0);
    for run in 0..RUNS {
        let (_dir, db) = template.copy();
        let before = server.received().len();

        let mut child = template
            .child("crash_child", "CRASH", &db)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        if run % 2 == 0 {
            // Somewhere between start-up and the last send.
            std::thread::sleep(Duration::from_millis(50 + xorshift(&mut seed) % 1200));
        } else {
            // Just after the server took the k-th mail: the narrow moment between its
            // acceptance and the child's record of it, which a random moment rarely hits.
            let k = 1 + usize::try_from(xorshift(&mut seed)).unwrap() % PACKAGES;
            let deadline = Instant::now() + Duration::from_secs(30);
            while server.received().len() < before + k
                && child.try_wait().unwrap().is_none()
                && Instant::now() < deadline
            {
                std::thread::sleep(Duration::from_micros(200));
            }
        }
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();

        // Restart: opening recovers, then the rest is synced.
        let store = support::reopen(&db, &template.key);
        outbox::recover(&store).unwrap();
        outbox::sync(
            &store,
            &smtp_client(server.port, &server.cert, aanmelder_e2e::smtp::PASSWORD),
            now,
            false,
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
