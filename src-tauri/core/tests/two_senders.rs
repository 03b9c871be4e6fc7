//! Two processes on one store, syncing the same 100 queued packages to a real SMTP server on
//! loopback (aiosmtpd, STARTTLS, AUTH) at the same time: each item is claimed by exactly one of
//! them, so exactly 100 mails arrive, none twice. Twenty runs; the counts are printed.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Stdio;

use aanmelder_core::consent::Language;
use aanmelder_core::outbox::{self, ItemState};
use aanmelder_core::residence::Gazetteer;
use aanmelder_e2e::smtp::SmtpServer;

mod support;
use support::{Office, Template, client, now, received_ids};

const PACKAGES: usize = 100;
const RUNS: usize = 20;

/// One of the two senders. Runs only when the parent starts it.
#[test]
#[ignore = "a child process of two_processes_never_send_one_package_twice"]
fn sender_child() {
    let store = support::store_from_env("SENDER");
    let report = outbox::sync(
        &store,
        &support::smtp_from_env("SENDER"),
        now,
        false,
        |_, _| {},
    )
    .unwrap();
    println!("SENT {}", report.sent);
}

#[test]
fn two_processes_never_send_one_package_twice() {
    let server = SmtpServer::start().unwrap();

    // Consent makes the package and queues it.
    let office = Office::with_smtp();
    for i in 0..PACKAGES {
        let postal_code = ["2260", "3290", "1000"][i % 3];
        office.consented(&client("Zoë", "Twee", postal_code), Language::Nl, now());
    }
    let template = Template::of(office).with_server(&server);
    let gazetteer = Gazetteer::embedded().unwrap();

    let (mut arrived, mut duplicated, mut by_both) = (0, 0, 0);
    for run in 0..RUNS {
        let (_dir, db) = template.copy();
        let before = server.received().len();
        let senders: Vec<_> = (0..2)
            .map(|_| {
                template
                    .child("sender_child", "SENDER", &db)
                    .stdout(Stdio::piped())
                    .stderr(Stdio::inherit())
                    .spawn()
                    .unwrap()
            })
            .collect();
        let mut shares = Vec::new();
        for sender in senders {
            let out = sender.wait_with_output().unwrap();
            assert!(out.status.success(), "run {run}: a sender failed");
            let said = String::from_utf8_lossy(&out.stdout).into_owned();
            // The test harness prints its own words on the same line.
            let sent: usize = said
                .split_once("SENT ")
                .and_then(|(_, rest)| rest.split_whitespace().next())
                .and_then(|n| n.parse().ok())
                .unwrap_or_else(|| panic!("run {run}: a sender said {said:?}"));
            shares.push(sent);
        }
        if shares.iter().all(|n| *n > 0) {
            by_both += 1;
        }

        let ids = received_ids(&server, before);
        let total: usize = ids.values().sum();
        arrived += total;
        duplicated += ids.values().filter(|n| **n > 1).count();
        assert_eq!(total, PACKAGES, "run {run}: {total} mails arrived");
        let store = support::reopen(&db, &template.key);
        let items = outbox::list(&store, &gazetteer).unwrap();
        assert!(
            items.iter().all(|i| i.state == ItemState::Sent),
            "run {run}"
        );
        assert_eq!(
            shares.iter().sum::<usize>(),
            PACKAGES,
            "run {run}: {shares:?}"
        );
    }
    println!(
        "two senders on one store: {RUNS} runs × {PACKAGES} packages: {arrived} mails arrived, \
         {duplicated} twice; {by_both} runs where both processes sent"
    );
    assert_eq!((arrived, duplicated), (RUNS * PACKAGES, 0));
    assert!(
        by_both > 0,
        "the two processes never overlapped: the test tested nothing"
    );
}
