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
