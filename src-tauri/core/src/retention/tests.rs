//! Every state a referral can stay in, against a fake clock: each loses the client's data when
//! its time is up, and not a moment before.

use chrono::Duration;

use super::*;
use crate::consent::Language;
use crate::ledger;
use crate::package::SavedCopy;
use crate::referral::{ClientInput, Reference, Referral};
use crate::testing::{Office, at};

fn t0() -> DateTime<FixedOffset> {
    at("2026-03-02T10:00:00+01:00")
}

fn client() -> ClientInput {
    ClientInput {
        first_name: "Mirela".into(),
        last_name: "Vandewalle".into(),
        street: "Kapelstraat".into(),
        house_number: "9".into(),
        postal_code: "2260".into(),
        phone: "0470 11 22 33".into(),
        email: "mirela@example.be".into(),
        ..Default::default()
    }
}

fn referral(f: &Office, reference: &Reference) -> Referral {
    Referral::list(&f.store, &f.gazetteer)
        .unwrap()
        .into_iter()
        .find(|r| r.reference == *reference)
        .unwrap()
}

fn purged_events(f: &Office, reference: &Reference) -> usize {
    ledger::recent(&f.store, 500)
        .unwrap()
        .into_iter()
        .filter(|e| {
            e.kind == ledger::EventKind::Purged
                && e.reference.as_deref() == Some(reference.as_str())
        })
        .count()
}

/// Asserts that `reference` keeps its data until `due` and loses them, once, just after.
fn wiped_exactly_at(f: &Office, reference: &Reference, due: DateTime<FixedOffset>) {
    assert_eq!(purge_due(&f.store, due - Duration::minutes(1)).unwrap(), 0);
    assert!(
        referral(f, reference).client.is_some(),
        "kept until its time"
    );
    assert_eq!(purge_due(&f.store, due + Duration::minutes(1)).unwrap(), 1);
    let after = referral(f, reference);
    assert_eq!(after.client, None, "the four fields are gone");
    assert!(after.purged_at.is_some());
    assert_eq!(purged_events(f, reference), 1, "one anonymous event");
    assert_eq!(purge_due(&f.store, due + Duration::days(400)).unwrap(), 0);
}

fn draft(f: &Office) -> Reference {
    f.visit().start(&client(), t0()).unwrap().referral.reference
}

fn built(f: &Office) -> Reference {
    let reference = f.consented(&client(), Language::Nl, t0());
    f.packages().build(&reference, t0()).unwrap();
    reference
}

fn set_state(f: &Office, reference: &Reference, state: &str) {
    f.store
        .conn()
        .execute(
            "UPDATE outbox SET state = ?2 WHERE referral_id =
               (SELECT id FROM referral WHERE reference = ?1)",
            (reference.as_str(), state),
        )
        .unwrap();
}

fn outbox_state(f: &Office, reference: &Reference) -> String {
    f.store
        .conn()
        .query_row(
            "SELECT o.state FROM outbox o JOIN referral r ON r.id = o.referral_id
             WHERE r.reference = ?1",
            [reference.as_str()],
            |r| r.get(0),
        )
        .unwrap()
}

fn archive_kept(f: &Office, reference: &Reference) -> bool {
    f.store
        .conn()
        .query_row(
            "SELECT p.archive IS NOT NULL FROM package p JOIN referral r ON r.id = p.referral_id
             WHERE r.reference = ?1",
            [reference.as_str()],
            |r| r.get(0),
        )
        .unwrap()
}

#[test]
fn an_unfinished_draft_is_wiped_after_a_day() {
    let f = Office::new();
    let reference = draft(&f);
    wiped_exactly_at(&f, &reference, t0() + Duration::hours(DRAFT_HOURS));
    // A visit screen left open past the wipe is told so, not that something was recorded.
    let later = t0() + Duration::hours(DRAFT_HOURS + 1);
    let err = f
        .visit()
        .five_points(&reference, Language::Nl, later)
        .unwrap_err();
    assert_eq!(err.code(), "referral.wiped", "{err}");
    let refused = f.visit().refuse(&reference, &[], later).unwrap_err();
    assert_eq!(refused.code(), "referral.wiped", "{refused}");
    assert_eq!(
        purged_events(&f, &reference),
        1,
        "nothing recorded after the wipe"
    );
}

#[test]
fn a_consent_without_a_package_is_wiped_after_the_retention_period() {
    let f = Office::new();
    let reference = f.consented(&client(), Language::Nl, t0());
    // Consent now makes its package in the same step; a store from before that may still hold
    // a consent whose package was never built.
    f.store
        .conn()
        .execute_batch("DELETE FROM outbox; DELETE FROM package;")
        .unwrap();
    wiped_exactly_at(
        &f,
        &reference,
        t0() + Duration::days(i64::from(DEFAULT_DAYS)),
    );
}

/// Every table and column of the store whose value holds `needle`.
fn found_in_store(f: &Office, needle: &str) -> Vec<String> {
    let conn = f.store.conn();
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table'")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let mut found = Vec::new();
    for table in tables {
        let mut select = conn.prepare(&format!("SELECT * FROM \"{table}\"")).unwrap();
        let columns: Vec<String> = select.column_names().map(str::to_owned).collect();
        let mut rows = select.query([]).unwrap();
        while let Some(row) = rows.next().unwrap() {
            for (i, column) in columns.iter().enumerate() {
                if let Ok(Some(text)) = row.get::<_, Option<String>>(i)
                    && text.contains(needle)
                {
                    found.push(format!("{table}.{column}"));
                }
            }
        }
    }
    found
}

/// The hash of the five points as the consent record of `reference` keeps it.
fn text_hash(f: &Office, reference: &Reference) -> String {
    f.store
        .conn()
        .query_row(
            "SELECT text_sha256 FROM consent JOIN referral ON referral.id = referral_id
              WHERE reference = ?1",
            [reference.as_str()],
            |r| r.get(0),
        )
        .unwrap()
}

#[test]
fn the_purge_keeps_no_hash_of_the_text_that_named_the_client() {
    // The hash of the five points as shown covers the client's name, address, phone and
    // e-mail: kept, it would confirm a guess at who the client was.
    let f = Office::new();
    let reference = f.consented(&client(), Language::Nl, t0());
    let hash = text_hash(&f, &reference);
    assert_ne!(hash, consent::WIPED_TEXT_SHA256);
    assert_eq!(found_in_store(&f, &hash), ["consent.text_sha256"]);
    set_state(&f, &reference, "failed");
    // Another client's consent, whose data are still kept: its hash stays.
    let later = f.consented(
        &ClientInput {
            first_name: "Jonas".into(),
            ..client()
        },
        Language::Nl,
        t0() + Duration::days(i64::from(DEFAULT_DAYS) - 2),
    );
    let other = text_hash(&f, &later);
    wiped_exactly_at(
        &f,
        &reference,
        t0() + Duration::days(i64::from(DEFAULT_DAYS)),
    );
    assert_eq!(found_in_store(&f, &hash), Vec::<String>::new());
    assert_eq!(found_in_store(&f, &other), ["consent.text_sha256"]);

    // A store purged before version 19 kept it: the migration forgets it there, and only there.
    f.store
        .conn()
        .execute(
            "UPDATE consent SET text_sha256 = ?1 WHERE text_sha256 = ?2",
            (&hash, consent::WIPED_TEXT_SHA256),
        )
        .unwrap();
    f.store
        .conn()
        .execute_batch(include_str!(
            "../store/migrations/0019_purged_consents_forget_their_text_hash.sql"
        ))
        .unwrap();
    assert_eq!(found_in_store(&f, &hash), Vec::<String>::new());
    assert_eq!(found_in_store(&f, &other), ["consent.text_sha256"]);
    // The consent record itself stays, for the counts and the worker's account of it.
    let kept = text_hash(&f, &reference);
    assert_eq!(kept, consent::WIPED_TEXT_SHA256);
}

#[test]
fn a_package_stuck_in_any_state_is_taken_out_and_wiped_after_the_retention_period() {
    for state in ["failed", "attention", "maybe_sent", "drafted"] {
        let f = Office::new();
        let reference = built(&f);
        set_state(&f, &reference, state);
        wiped_exactly_at(
            &f,
            &reference,
            t0() + Duration::days(i64::from(DEFAULT_DAYS)),
        );
        // What never reached the partner is cancelled; what may have keeps saying so, for a
        // later withdrawal.
        let expected = match state {
            "failed" | "attention" => "cancelled",
            other => other,
        };
        assert_eq!(outbox_state(&f, &reference), expected, "{state}");
        assert!(
            !archive_kept(&f, &reference),
            "{state}: the archive went too"
        );
    }
}

#[test]
fn the_team_setting_sets_the_period_for_stuck_items_too() {
    let f = Office::new();
    RetentionSettings {
        days_after_send: 10,
        dpo_email: String::new(),
    }
    .save(&f.store)
    .unwrap();
    let reference = built(&f);
    set_state(&f, &reference, "attention");
    wiped_exactly_at(&f, &reference, t0() + Duration::days(10));
}

#[test]
fn a_queued_package_keeps_its_data_until_it_goes() {
    let f = Office::new();
    let reference = built(&f);
    assert_eq!(outbox_state(&f, &reference), "queued");
    assert_eq!(purge_due(&f.store, t0() + Duration::days(90)).unwrap(), 0);
    assert!(referral(&f, &reference).client.is_some());
    assert!(archive_kept(&f, &reference));
}

#[test]
fn the_home_screen_is_told_what_goes_within_a_week_and_why() {
    let f = Office::new();
    let unfinished = draft(&f);
    let stuck = built(&f);
    set_state(&f, &stuck, "failed");
    let soon = upcoming(&f.store, t0()).unwrap();
    assert_eq!(soon.len(), 1, "{soon:?}");
    assert_eq!(soon[0].reference, unfinished.as_str());
    assert_eq!(soon[0].reason, WipeReason::UnfinishedDraft);
    assert_eq!(soon[0].explanation, "niet afgewerkt binnen 24 uur");
    // Once the draft has gone, the stuck package is next, a week before its time.
    assert_eq!(purge_due(&f.store, t0() + Duration::days(25)).unwrap(), 1);
    let later = upcoming(&f.store, t0() + Duration::days(25)).unwrap();
    assert_eq!(later.len(), 1, "{later:?}");
    assert_eq!(later[0].reference, stuck.as_str());
    assert_eq!(later[0].reason, WipeReason::Stuck);
    assert_eq!(
        DateTime::parse_from_rfc3339(&later[0].at).unwrap(),
        t0() + Duration::days(i64::from(DEFAULT_DAYS))
    );
}

#[test]
fn the_worker_deletes_a_draft_or_a_stuck_package_now_but_not_a_sent_one() {
    let f = Office::new();
    // First, since confirming it writes the drafts of everything waiting.
    let sent = f.sent(&client(), t0());
    let unfinished = draft(&f);
    discard(&f.store, unfinished.as_str(), DiscardReason::Mistake, t0()).unwrap();
    assert_eq!(referral(&f, &unfinished).client, None);
    assert_eq!(purged_events(&f, &unfinished), 1);

    let stuck = built(&f);
    set_state(&f, &stuck, "attention");
    discard(&f.store, stuck.as_str(), DiscardReason::Undeliverable, t0()).unwrap();
    assert_eq!(outbox_state(&f, &stuck), "cancelled");
    assert!(!archive_kept(&f, &stuck));

    for state in ["queued", "maybe_sent", "drafted"] {
        let waiting = built(&f);
        set_state(&f, &waiting, state);
        let err = discard(&f.store, waiting.as_str(), DiscardReason::Mistake, t0()).unwrap_err();
        assert_eq!(err.code(), "retention.not_discardable", "{state}");
        assert!(referral(&f, &waiting).client.is_some());
    }
    let err = discard(&f.store, sent.as_str(), DiscardReason::Mistake, t0()).unwrap_err();
    assert_eq!(err.code(), "retention.not_discardable");
    assert!(referral(&f, &sent).client.is_some());
}

#[test]
fn the_purge_deletes_the_copies_the_worker_saved() {
    let f = Office::new();
    let reference = built(&f);
    let packages = f.packages();
    let folder = tempfile::tempdir().unwrap();
    let archive = packages
        .save_copy(&reference, SavedCopy::Archive, folder.path(), t0())
        .unwrap();
    let receipt = packages
        .save_copy(&reference, SavedCopy::Receipt, folder.path(), t0())
        .unwrap();
    let drafts = tempfile::tempdir().unwrap();
    let drafted = crate::outbox::write_drafts(&f.store, drafts.path(), t0()).unwrap();
    assert_eq!(drafted.len(), 1);
    for path in [&archive, &receipt, &drafted[0]] {
        assert!(path.exists(), "{}", path.display());
    }
    assert_eq!(
        purge_due(&f.store, t0() + Duration::days(i64::from(DEFAULT_DAYS) + 1)).unwrap(),
        1
    );
    for path in [&archive, &receipt, &drafted[0]] {
        assert!(!path.exists(), "{} was not deleted", path.display());
    }
    assert_eq!(crate::files::not_deleted(&f.store).unwrap(), vec![]);
    // Nor does the store keep where they were: the folder may name the family.
    let folders = [folder.path(), drafts.path()].map(|p| p.display().to_string());
    for folder in folders {
        assert_eq!(
            found_in_store(&f, &folder),
            Vec::<String>::new(),
            "{folder}"
        );
    }
    // A store from before version 20 kept the paths of deleted copies: the migration forgets
    // them, not those of copies still there.
    f.store
        .conn()
        .execute_batch(
            "UPDATE saved_file SET path = '/home/an/Dossier Peeters/copy.7z';
             INSERT INTO saved_file (reference, path, saved_at)
               VALUES ('AM-TEST-KEPT', '/home/an/Bewaard/kept.7z', '2026-03-02T10:00:00+01:00');",
        )
        .unwrap();
    f.store
        .conn()
        .execute_batch(include_str!(
            "../store/migrations/0020_deleted_copies_forget_their_path.sql"
        ))
        .unwrap();
    assert_eq!(found_in_store(&f, "Dossier Peeters"), Vec::<String>::new());
    assert_eq!(found_in_store(&f, "/home/an/Bewaard"), ["saved_file.path"]);
}

#[test]
fn a_copy_saved_after_the_wipe_goes_once_nothing_waits_and_the_period_passed() {
    let f = Office::new();
    let reference = f.sent(&client(), t0());
    let folder = tempfile::tempdir().unwrap();
    // Withdrawn after the send: the data go at once, the notice goes out as a draft later.
    crate::withdrawal::withdraw(
        &f.store,
        &f.gazetteer,
        &crate::withdrawal::WithdrawalInput {
            reference: reference.clone(),
            said_on: "2026-03-03".into(),
            how: crate::withdrawal::How::Phone,
        },
        t0() + Duration::days(1),
    )
    .unwrap();
    let drafted =
        crate::outbox::write_drafts(&f.store, folder.path(), t0() + Duration::days(1)).unwrap();
    assert_eq!(drafted.len(), 1);
    // While the notice waits to be confirmed, its draft stays.
    purge_due(&f.store, t0() + Duration::days(90)).unwrap();
    assert!(drafted[0].exists());
    let id = crate::outbox::list(&f.store, &f.gazetteer)
        .unwrap()
        .into_iter()
        .find(|i| i.kind == crate::package::PackageKind::Withdrawal)
        .unwrap()
        .id;
    let confirmed = t0() + Duration::days(91);
    crate::outbox::confirm_delivered(&f.store, id, confirmed).unwrap();
    purge_due(
        &f.store,
        confirmed + Duration::days(i64::from(DEFAULT_DAYS) - 1),
    )
    .unwrap();
    assert!(
        drafted[0].exists(),
        "kept for the retention period after its send"
    );
    purge_due(
        &f.store,
        confirmed + Duration::days(i64::from(DEFAULT_DAYS) + 1),
    )
    .unwrap();
    assert!(
        !drafted[0].exists(),
        "then deleted like the referral's other copies"
    );
}

#[test]
fn a_notice_goes_after_its_period_though_the_withdrawn_draft_was_never_confirmed() {
    let f = Office::new();
    let reference = built(&f);
    let folder = tempfile::tempdir().unwrap();
    // The referral handed to the mail program; the worker never said whether it went.
    let original = crate::outbox::write_drafts(&f.store, folder.path(), t0()).unwrap();
    f.withdraw(&reference, t0() + Duration::days(1));
    assert!(!original[0].exists(), "a withdrawn draft may not go");
    let notice_sent = t0() + Duration::days(2);
    let notice = crate::outbox::write_drafts(&f.store, folder.path(), notice_sent).unwrap();
    let items = crate::outbox::list(&f.store, &f.gazetteer).unwrap();
    let of = |kind| items.iter().find(|i| i.kind == kind).unwrap();
    let notice_item = of(crate::package::PackageKind::Withdrawal).id;
    crate::outbox::confirm_delivered(&f.store, notice_item, notice_sent).unwrap();
    assert_eq!(
        of(crate::package::PackageKind::Referral).state,
        crate::outbox::ItemState::Drafted,
        "still unsure, and nothing left of it to send"
    );
    let period = Duration::days(i64::from(DEFAULT_DAYS));
    purge_due(&f.store, notice_sent + period - Duration::days(1)).unwrap();
    assert!(notice[0].exists(), "kept for the period after its send");
    assert!(f.packages().archive(&reference).is_ok());
    purge_due(&f.store, notice_sent + period + Duration::days(1)).unwrap();
    assert!(!notice[0].exists(), "then the notice's draft goes");
    assert_eq!(
        f.packages().archive(&reference).unwrap_err().code(),
        "package.already_deleted",
        "and its archive, which names the client"
    );
}

#[test]
fn a_retention_of_0_days_is_refused_and_one_stored_before_keeps_a_day() {
    let f = Office::new();
    let refused = RetentionSettings {
        days_after_send: 0,
        dpo_email: String::new(),
    }
    .save(&f.store)
    .unwrap_err();
    assert_eq!(refused.fields()[0].field, "days_after_send");
    assert!(refused.fields()[0].message.contains("van 1 tot 365"));
    // A store from before the check may hold 0 days.
    f.store
        .conn()
        .execute("UPDATE retention_settings SET days_after_send = 0", [])
        .unwrap();
    assert_eq!(
        RetentionSettings::load(&f.store).unwrap().days_after_send,
        MIN_DAYS
    );
    let sent = f.sent(&client(), t0());
    // Greylisted: the server said to try again later.
    let greylisted = built(&f);
    set_state(&f, &greylisted, "failed");
    // Within the day the password can still be passed on, and the greylisted mail go.
    assert_eq!(purge_due(&f.store, t0() + Duration::minutes(1)).unwrap(), 0);
    assert!(
        !f.packages()
            .view(&sent, t0())
            .unwrap()
            .unwrap()
            .password
            .is_empty()
    );
    assert!(archive_kept(&f, &greylisted));
    assert_eq!(
        purge_due(&f.store, t0() + Duration::days(1) + Duration::minutes(1)).unwrap(),
        2
    );
}

#[test]
fn a_correction_sent_late_in_the_period_starts_it_again() {
    let f = Office::new();
    let reference = f.sent(&client(), t0());
    // On day 25 the OCMW calls: the house number is wrong. The correction goes the same day.
    let corrected_on = t0() + Duration::days(25);
    crate::correction::correct(
        &f.store,
        &f.gazetteer,
        &crate::correction::CorrectionInput {
            reference: reference.clone(),
            client: ClientInput {
                house_number: "11".into(),
                ..client()
            },
            reason: "OCMW meldt: huisnummer klopt niet".into(),
        },
        corrected_on,
    )
    .unwrap();
    let folder = tempfile::tempdir().unwrap();
    crate::outbox::write_drafts(&f.store, folder.path(), corrected_on).unwrap();
    let correction = crate::outbox::list(&f.store, &f.gazetteer)
        .unwrap()
        .into_iter()
        .find(|i| i.kind == crate::package::PackageKind::Correction)
        .unwrap();
    crate::outbox::confirm_delivered(&f.store, correction.id, corrected_on).unwrap();
    // Day 31: the first send's period is over, the correction's is not; its archive waits for
    // its receipt.
    assert_eq!(purge_due(&f.store, t0() + Duration::days(31)).unwrap(), 0);
    assert!(f.packages().archive(&reference).is_ok());
    wiped_exactly_at(
        &f,
        &reference,
        corrected_on + Duration::days(i64::from(DEFAULT_DAYS)),
    );
}
