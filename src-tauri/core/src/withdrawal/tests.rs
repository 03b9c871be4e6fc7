use super::*;
use crate::retention::RetentionSettings;
use crate::testing::{Office, at, mira};

fn now() -> DateTime<FixedOffset> {
    at("2026-11-22T10:15:00+01:00")
}

fn input(reference: &Reference, said_on: &str) -> WithdrawalInput {
    WithdrawalInput {
        reference: reference.clone(),
        said_on: said_on.into(),
        how: How::InPerson,
    }
}

fn sent(f: &Office) -> Reference {
    f.sent(&mira(), now())
}

#[test]
fn the_day_must_be_a_real_day_between_the_referral_and_today() {
    let f = Office::new();
    let reference = f.consented(&mira(), crate::consent::Language::Nl, now());
    for (day, hint) in [
        ("gisteren", "dd/mm/jjjj"),
        ("23/11/2026", "toekomst"),
        ("2026-11-23", "toekomst"),
        ("2026-11-01", "vóór de aanmelding"),
    ] {
        let err = withdraw(&f.store, &f.gazetteer, &input(&reference, day), now()).unwrap_err();
        assert_eq!(err.code(), "withdrawal.invalid");
        assert_eq!(err.field(), Some("said_on"));
        assert!(err.to_string().contains(hint), "{day}: {err}");
    }
    // Nothing was lost: the client's data are still there.
    assert!(
        Referral::get(&f.store, &f.gazetteer, &reference)
            .unwrap()
            .client
            .is_some()
    );
}

#[test]
fn a_referral_without_consent_cannot_be_withdrawn_and_twice_is_refused() {
    let f = Office::new();
    let draft = f.visit().start(&mira(), now()).unwrap().referral.reference;
    let err = withdraw(&f.store, &f.gazetteer, &input(&draft, "2026-11-22"), now()).unwrap_err();
    assert_eq!(err.code(), "withdrawal.no_consent");
    let reference = sent(&f);
    withdraw(
        &f.store,
        &f.gazetteer,
        &input(&reference, "2026-11-22"),
        now(),
    )
    .unwrap();
    let err = withdraw(
        &f.store,
        &f.gazetteer,
        &input(&reference, "2026-11-22"),
        now(),
    )
    .unwrap_err();
    assert_eq!(err.code(), "withdrawal.already");
}

#[test]
fn a_withdrawal_after_retention_still_tells_the_ocmw_by_reference() {
    let f = Office::new();
    let reference = sent(&f);
    let later = now() + chrono::Duration::days(40);
    assert_eq!(crate::retention::purge_due(&f.store, later).unwrap(), 1);
    let done = withdraw(
        &f.store,
        &f.gazetteer,
        &input(&reference, "2026-12-30"),
        later,
    )
    .unwrap();
    assert_eq!(done.notice.map(|n| n.kind), Some(PackageKind::Withdrawal));
    assert!(crate::ledger::verify(&f.store).unwrap().intact);
}

#[test]
fn retention_settings_name_the_field_and_the_fix() {
    let f = Office::new();
    let err = RetentionSettings {
        days_after_send: 400,
        dpo_email: "geen adres".into(),
    }
    .save(&f.store)
    .unwrap_err();
    let fields: Vec<String> = err.fields().into_iter().map(|p| p.field).collect();
    assert_eq!(fields, ["days_after_send", "dpo_email"]);
    assert_eq!(
        RetentionSettings::load(&f.store).unwrap().days_after_send,
        30
    );
}

#[test]
fn a_store_from_before_the_day_moved_to_the_referral_keeps_the_day() {
    let f = Office::new();
    let reference = sent(&f);
    let said = input(&reference, "2026-11-22");
    withdraw(&f.store, &f.gazetteer, &said, now()).unwrap();
    // Back to schema 13: the day in the withdrawal table, none on the referral (and no
    // package on a saved copy, which came with 16, nor on a ledger event, 17, nor a mail's
    // date on the outbox, 18; this test does not read the ledger, whose links named them).
    f.store
        .conn()
        .execute_batch(
            "ALTER TABLE saved_file DROP COLUMN temp;
             ALTER TABLE outbox DROP COLUMN mail_date;
             ALTER TABLE ledger DROP COLUMN package;
             ALTER TABLE ledger_span DROP COLUMN reached;
             DROP INDEX saved_file_package;
             ALTER TABLE saved_file DROP COLUMN package_id;
             ALTER TABLE withdrawal ADD COLUMN said_on TEXT;
             UPDATE withdrawal SET said_on = (SELECT withdrawn_on FROM referral
                                              WHERE referral.id = withdrawal.referral_id);
             ALTER TABLE referral DROP COLUMN withdrawn_on;
             PRAGMA user_version = 13;",
        )
        .unwrap();
    let gazetteer = Gazetteer::embedded().unwrap();
    let (_dir, path, key) = f.close();
    let store = crate::testing::reopen(&path, &key);
    let referral = Referral::get(&store, &gazetteer, &reference).unwrap();
    assert_eq!(referral.withdrawn_on.as_deref(), Some("2026-11-22"));
    let left: i64 = store
        .conn()
        .query_row(
            "SELECT count(*) FROM pragma_table_info('withdrawal') WHERE name = 'said_on'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(left, 0, "the day is kept in one place only");
}

/// Another process reading the store (the support tool `aanmelder-store-check`) keeps the
/// write-ahead log from being emptied: the withdrawal is recorded and said to be, not reported
/// as failed, and the log is emptied at the retention's next round.
#[test]
fn a_withdrawal_while_another_process_reads_the_store_is_done_and_its_log_emptied_later() {
    let f = Office::new();
    let reference = sent(&f);
    let db = f.dir().join("aanmelder.db");
    let log = f.dir().join("aanmelder.db-wal");
    let reader = Store::open_read_only(
        &db,
        &crate::testing::key(f.passphrase, &f.params),
        crate::store::KeyProtection::Passphrase,
    )
    .unwrap();
    reader.conn().execute_batch("BEGIN").unwrap();
    let _: i64 = reader
        .conn()
        .query_row("SELECT count(*) FROM referral", [], |r| r.get(0))
        .unwrap();

    withdraw(
        &f.store,
        &f.gazetteer,
        &input(&reference, "2026-11-22"),
        now(),
    )
    .unwrap();
    assert!(std::fs::metadata(&log).unwrap().len() > 0, "the log waits");

    reader.conn().execute_batch("COMMIT").unwrap();
    drop(reader);
    crate::retention::purge_due(&f.store, now()).unwrap();
    assert_eq!(std::fs::metadata(&log).unwrap().len(), 0);
}
