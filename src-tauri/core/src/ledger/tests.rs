use super::*;
use crate::store::{DbKey, KeyProtection};
use crate::testing::at;

/// A store with `n` events of mixed kinds, partners and references.
fn chain(n: i64) -> (tempfile::TempDir, Store) {
    let (dir, store) = Store::temporary();
    for i in 0..n {
        let kind = EventKind::ALL[(i as usize * 5) % EventKind::ALL.len()];
        let recipient = if i % 3 == 0 {
            "caw:brussel"
        } else {
            "ocmw:13049"
        };
        let reference = (i % 4 != 1).then(|| format!("R{i:04}"));
        append(
            store.conn(),
            store.ledger_key(),
            kind,
            &(at("2026-03-01T09:00:00+01:00") + chrono::Duration::hours(i)).to_rfc3339(),
            recipient,
            reference.as_deref(),
            (i % 2 == 0).then_some(100 + i),
        )
        .unwrap();
    }
    (dir, store)
}

fn check(store: &Store) -> ChainCheck {
    verify(store).unwrap()
}

#[test]
fn an_untouched_chain_passes_and_names_its_head() {
    let (_dir, store) = chain(12);
    let c = check(&store);
    assert!(c.intact, "{c:?}");
    assert_eq!((c.events, c.broken_at), (12, None));
    assert_eq!(c.head.as_deref().map(str::len), Some(64));
}

#[test]
fn an_empty_chain_passes() {
    let (_dir, store) = Store::temporary();
    assert!(check(&store).intact);
}

#[test]
fn changing_any_field_of_any_event_breaks_the_chain_at_that_event() {
    let n = 8;
    for seq in 1..=n {
        for (column, sql) in [
            (
                "kind",
                "UPDATE ledger SET kind = 'sent' WHERE seq = ?1 AND kind <> 'sent'",
            ),
            (
                "kind",
                "UPDATE ledger SET kind = 'failed' WHERE seq = ?1 AND kind = 'sent'",
            ),
            // One byte of the time: the last digit of the seconds.
            (
                "at",
                "UPDATE ledger SET at = substr(at, 1, 18) || '1' || substr(at, 20) WHERE seq = ?1",
            ),
            (
                "recipient",
                "UPDATE ledger SET recipient = 'ocmw:13048' WHERE seq = ?1 AND recipient = 'ocmw:13049'",
            ),
            (
                "recipient",
                "UPDATE ledger SET recipient = 'caw:brussem' WHERE seq = ?1 AND recipient = 'caw:brussel'",
            ),
            (
                "reference",
                "UPDATE ledger SET reference = coalesce(substr(reference, 1, 4) || 'X', 'R') WHERE seq = ?1",
            ),
            (
                "package",
                "UPDATE ledger SET package = coalesce(package + 1, 1) WHERE seq = ?1",
            ),
            (
                "package",
                "UPDATE ledger SET package = NULL WHERE seq = ?1 AND package IS NOT NULL",
            ),
        ] {
            let (_dir, store) = chain(n);
            let changed = store.conn().execute(sql, [seq]).unwrap();
            if changed == 0 {
                continue;
            }
            let c = check(&store);
            assert!(!c.intact, "{column} of {seq}: {c:?}");
            assert_eq!(c.broken_at, Some(seq), "{column} of {seq}: {c:?}");
        }
    }
}

#[test]
fn flipping_one_byte_of_the_hash_breaks_the_chain_there() {
    for seq in 1..=6 {
        let (_dir, store) = chain(6);
        let mut hash: Vec<u8> = store
            .conn()
            .query_row("SELECT hash FROM ledger WHERE seq = ?1", [seq], |r| {
                r.get(0)
            })
            .unwrap();
        hash[31] ^= 0x01;
        store
            .conn()
            .execute(
                "UPDATE ledger SET hash = ?2 WHERE seq = ?1",
                rusqlite::params![seq, hash],
            )
            .unwrap();
        assert_eq!(check(&store).broken_at, Some(seq));
    }
}

#[test]
fn deleting_any_event_breaks_the_chain_at_that_event() {
    let n = 7;
    for seq in 1..=n {
        let (_dir, store) = chain(n);
        store
            .conn()
            .execute("DELETE FROM ledger WHERE seq = ?1", [seq])
            .unwrap();
        let c = check(&store);
        assert!(!c.intact);
        assert_eq!(c.broken_at, Some(seq), "deleted {seq}: {c:?}");
    }
}

#[test]
fn deleting_and_renumbering_still_breaks_at_that_event() {
    let (_dir, store) = chain(6);
    store
        .conn()
        .execute_batch(
            "DELETE FROM ledger WHERE seq = 3;
             UPDATE ledger SET seq = seq - 1 WHERE seq > 3;",
        )
        .unwrap();
    assert_eq!(check(&store).broken_at, Some(3));
}

#[test]
fn swapping_two_events_breaks_the_chain_at_the_first() {
    for (a, b) in [(1, 2), (2, 5), (4, 6), (5, 6)] {
        let (_dir, store) = chain(6);
        store
            .conn()
            .execute_batch(&format!(
                "UPDATE ledger SET seq = -1 WHERE seq = {a};
                 UPDATE ledger SET seq = {a} WHERE seq = {b};
                 UPDATE ledger SET seq = {b} WHERE seq = -1;"
            ))
            .unwrap();
        let c = check(&store);
        assert!(!c.intact);
        assert_eq!(c.broken_at, Some(a), "swapped {a} and {b}: {c:?}");
    }
}

#[test]
fn an_event_added_outside_the_app_is_found() {
    let (_dir, store) = chain(4);
    store
        .conn()
        .execute(
            "INSERT INTO ledger (seq, kind, at, recipient, reference, hash)
             SELECT 5, 'sent', at, recipient, reference, hash FROM ledger WHERE seq = 4",
            [],
        )
        .unwrap();
    assert_eq!(check(&store).broken_at, Some(5));
}

#[test]
fn rebuilding_the_chain_needs_the_key() {
    // Someone who changes an event and recomputes every link with another key still fails.
    let (_dir, store) = chain(5);
    let other = LedgerKey::derive(&DbKey::generate().unwrap());
    store
        .conn()
        .execute("UPDATE ledger SET kind = 'refused' WHERE seq = 2", [])
        .unwrap();
    let events: Vec<Event> = recent(&store, 100).unwrap().into_iter().rev().collect();
    let mut prev = [0u8; 32];
    for e in &events {
        let h = link(&other, &prev, e);
        store
            .conn()
            .execute(
                "UPDATE ledger SET hash = ?2 WHERE seq = ?1",
                rusqlite::params![e.seq, h.as_slice()],
            )
            .unwrap();
        prev = h;
    }
    store
        .conn()
        .execute(
            "UPDATE ledger_head SET hash = ?1, mac = ?2",
            rusqlite::params![prev.as_slice(), head_mac(&other, 5, &prev).as_slice()],
        )
        .unwrap();
    assert_eq!(check(&store).broken_at, Some(1));
}

#[test]
fn cutting_events_off_the_end_is_found() {
    let (_dir, store) = chain(5);
    store
        .conn()
        .execute("DELETE FROM ledger WHERE seq >= 4", [])
        .unwrap();
    let c = check(&store);
    assert_eq!(c.broken_at, Some(4), "{c:?}");
    store.conn().execute("DELETE FROM ledger_head", []).unwrap();
    assert!(!check(&store).intact);
}

#[test]
fn the_chain_survives_closing_and_reopening_with_the_same_key() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("aanmelder.db");
    let key = DbKey::generate().unwrap();
    {
        let store =
            Store::create(&path, &key, KeyProtection::Keyring, crate::ledger::UPGRADES).unwrap();
        record(
            &store,
            EventKind::Created,
            at("2026-01-05T10:00:00+01:00"),
            "ocmw:13049",
            Some("A"),
        )
        .unwrap();
    }
    let store = Store::open(&path, &key, KeyProtection::Keyring, crate::ledger::UPGRADES).unwrap();
    record(
        &store,
        EventKind::Consented,
        at("2026-01-05T10:05:00+01:00"),
        "ocmw:13049",
        Some("A"),
    )
    .unwrap();
    let c = check(&store);
    assert!(c.intact && c.events == 2, "{c:?}");
}

#[test]
fn events_of_an_older_store_are_moved_into_the_chain_in_order() {
    let (_dir, store) = Store::temporary();
    let conn = store.conn();
    conn.execute_batch(
        "CREATE TABLE event (id INTEGER PRIMARY KEY, kind TEXT NOT NULL, at TEXT NOT NULL,
           recipient TEXT NOT NULL, reference TEXT) STRICT;
         INSERT INTO event (kind, at, recipient, reference) VALUES
           ('consented', '2025-02-01', 'ocmw:13049', 'OLD1'),
           ('refused', '2025-02-02', 'caw:brussel', NULL);",
    )
    .unwrap();
    adopt_unchained(conn, store.ledger_key()).unwrap();
    count_tallies(conn).unwrap();
    let events: Vec<(EventKind, String)> = recent(&store, 10)
        .unwrap()
        .into_iter()
        .rev()
        .map(|e| (e.kind, e.at))
        .collect();
    assert_eq!(
        events,
        [
            (EventKind::Consented, "2025-02-01".to_owned()),
            (EventKind::Refused, "2025-02-02".to_owned())
        ]
    );
    assert!(check(&store).intact);
    let left: i64 = conn
        .query_row(
            "SELECT count(*) FROM sqlite_master WHERE name = 'event'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(left, 0);
}

#[test]
fn every_kind_has_a_stable_name() {
    // The names are in every store and count file: written out here, so a rename fails.
    let pinned = [
        (EventKind::Created, "created"),
        (EventKind::Explained, "explained"),
        (EventKind::Consented, "consented"),
        (EventKind::Refused, "refused"),
        (EventKind::Packaged, "packaged"),
        (EventKind::PasswordPassed, "password_passed"),
        (EventKind::Sent, "sent"),
        (EventKind::Failed, "failed"),
        (EventKind::Cancelled, "cancelled"),
        (EventKind::Withdrawn, "withdrawn"),
        (EventKind::Corrected, "corrected"),
        (EventKind::Purged, "purged"),
        (EventKind::Incident, "incident"),
        (EventKind::Unreachable, "unreachable"),
        (EventKind::Bounced, "bounced"),
        (EventKind::Received, "received"),
        (EventKind::Destroyed, "destroyed"),
    ];
    assert_eq!(
        pinned.len(),
        EventKind::ALL.len(),
        "a new kind needs its name here"
    );
    for (kind, name) in pinned {
        assert_eq!(kind.as_str(), name);
        assert_eq!(EventKind::parse(name), Some(kind));
        // The IPC and the count file name it the same way.
        assert_eq!(serde_json::to_string(&kind).unwrap(), format!("\"{name}\""));
    }
}

#[test]
fn a_tally_changed_outside_the_ledger_fails_the_check() {
    let (_dir, store) = Store::temporary();
    for (kind, reference) in [
        (EventKind::Consented, Some("A")),
        (EventKind::Sent, Some("A")),
        (EventKind::Refused, None),
    ] {
        record(
            &store,
            kind,
            at("2026-03-05T10:00:00+01:00"),
            "ocmw:13049",
            reference,
        )
        .unwrap();
    }
    assert!(check(&store).intact);
    for tamper in [
        "UPDATE ledger_tally SET n = n + 1 WHERE kind = 'sent'",
        "DELETE FROM ledger_tally WHERE kind = 'refused'",
        "UPDATE ledger_span SET first_sent_on = '2026-03-09'",
        "INSERT INTO ledger_span (reference, recipient, consented_on) VALUES ('B', 'x', '2026-01-01')",
        "UPDATE ledger_span SET reached = '5'",
        "UPDATE ledger_span SET reached = 'x'",
    ] {
        let tx = store.conn().unchecked_transaction().unwrap();
        tx.execute_batch(tamper).unwrap();
        let c = check(&store);
        assert!(!c.intact, "{tamper}");
        assert!(c.problem.unwrap().contains("tellingen"), "{tamper}");
        drop(tx);
        assert!(check(&store).intact, "rolled back: {tamper}");
    }
}

/// Writes `events` of the referral `reference`, each naming its package or none.
fn referral_events(store: &Store, reference: &str, events: &[(EventKind, Option<i64>)]) {
    for (i, &(kind, package)) in events.iter().enumerate() {
        append(
            store.conn(),
            store.ledger_key(),
            kind,
            &(at("2026-03-02T09:00:00+01:00") + chrono::Duration::hours(i as i64)).to_rfc3339(),
            "ocmw:13049",
            Some(reference),
            package,
        )
        .unwrap();
    }
}

fn outcome_of(store: &Store, reference: &str) -> (String, String) {
    store
        .conn()
        .query_row(
            "SELECT outcome, reached FROM ledger_span WHERE reference = ?1",
            [reference],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap()
}

#[test]
fn a_consent_stays_sent_while_one_of_its_packages_is_with_the_partner() {
    use EventKind::{Bounced, Consented, Sent, Withdrawn};
    let (_dir, store) = Store::temporary();
    for (reference, events, outcome, reached) in [
        // The correction came back: the partner still has the referral.
        (
            "CORRECTION-BACK",
            vec![
                (Consented, None),
                (Sent, Some(1)),
                (Sent, Some(2)),
                (Bounced, Some(2)),
            ],
            "sent",
            "1",
        ),
        // The referral came back after its correction went: the partner has the correction.
        (
            "ORIGINAL-BACK",
            vec![
                (Consented, None),
                (Sent, Some(1)),
                (Sent, Some(2)),
                (Bounced, Some(1)),
            ],
            "sent",
            "2",
        ),
        (
            "BOTH-BACK",
            vec![
                (Consented, None),
                (Sent, Some(1)),
                (Sent, Some(2)),
                (Bounced, Some(2)),
                (Bounced, Some(1)),
            ],
            "failed",
            "",
        ),
        // A package that was only maybe sent comes back: the one sent is still there.
        (
            "MAYBE-SENT-BACK",
            vec![(Consented, None), (Sent, Some(1)), (Bounced, Some(2))],
            "sent",
            "1",
        ),
        // Withdrawn after its only package came back: it never reached the partner.
        (
            "BACK-THEN-WITHDRAWN",
            vec![
                (Consented, None),
                (Sent, Some(1)),
                (Bounced, Some(1)),
                (Withdrawn, None),
                (Sent, Some(3)),
            ],
            "withdrawn_unsent",
            "",
        ),
    ] {
        referral_events(&store, reference, &events);
        assert_eq!(
            outcome_of(&store, reference),
            (outcome.to_owned(), reached.to_owned()),
            "{reference}"
        );
    }
    // Counted from the chain alone, the check finds the same.
    assert!(check(&store).intact);
}

#[test]
fn a_package_sent_before_events_named_it_is_one_of_the_unnamed() {
    use EventKind::{Bounced, Consented, Sent};
    let (_dir, store) = Store::temporary();
    // Sent before version 17, come back after it.
    referral_events(
        &store,
        "OLD-BACK",
        &[(Consented, None), (Sent, None), (Bounced, Some(7))],
    );
    assert_eq!(outcome_of(&store, "OLD-BACK"), ("failed".into(), "".into()));
    // Sent before version 17, its correction after it and come back.
    referral_events(
        &store,
        "NEW-BACK",
        &[
            (Consented, None),
            (Sent, None),
            (Sent, Some(8)),
            (Bounced, Some(8)),
        ],
    );
    assert_eq!(outcome_of(&store, "NEW-BACK"), ("sent".into(), "?".into()));
    assert!(check(&store).intact);
}

#[test]
fn a_store_from_before_version_17_keeps_its_chain_and_counts_what_reached_the_partner() {
    use EventKind::{Bounced, Consented, Sent};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("aanmelder.db");
    let key = DbKey::generate().unwrap();
    let head = {
        let store = Store::create(&path, &key, KeyProtection::Keyring, UPGRADES).unwrap();
        // What version 16 wrote: events naming no package, spans without theirs.
        referral_events(&store, "A", &[(Consented, None), (Sent, None)]);
        referral_events(
            &store,
            "B",
            &[(Consented, None), (Sent, None), (Bounced, None)],
        );
        let head = check(&store).head;
        store
            .conn()
            .execute_batch(
                "ALTER TABLE outbox DROP COLUMN mail_date;
                 ALTER TABLE ledger DROP COLUMN package;
                 ALTER TABLE ledger_span DROP COLUMN reached;
                 ALTER TABLE saved_file DROP COLUMN temp;
                 PRAGMA user_version = 16;",
            )
            .unwrap();
        head
    };
    let store = Store::open(&path, &key, KeyProtection::Keyring, UPGRADES).unwrap();
    let c = check(&store);
    assert!(c.intact, "{c:?}");
    assert_eq!(c.head, head, "the links are what they were");
    assert_eq!(outcome_of(&store, "A"), ("sent".into(), "?".into()));
    assert_eq!(outcome_of(&store, "B"), ("failed".into(), "".into()));
    // The referral sent before the upgrade comes back after it, named.
    referral_events(&store, "A", &[(Bounced, Some(3))]);
    assert_eq!(outcome_of(&store, "A"), ("failed".into(), "".into()));
    assert!(check(&store).intact);
}
