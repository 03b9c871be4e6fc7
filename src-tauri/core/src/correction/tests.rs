use super::*;
use crate::consent::Language;
use crate::testing::{Office, at, mira};

fn now() -> DateTime<FixedOffset> {
    at("2026-11-22T10:15:00+01:00")
}

fn correct_with(
    f: &Office,
    reference: &Reference,
    client: ClientInput,
    reason: &str,
) -> CorrectionError {
    correct(
        &f.store,
        &f.gazetteer,
        &CorrectionInput {
            reference: reference.clone(),
            client,
            reason: reason.into(),
        },
        now(),
    )
    .unwrap_err()
}

#[test]
fn a_referral_not_yet_sent_is_not_corrected() {
    let f = Office::new();
    let reference = f.consented(&mira(), Language::Nl, now());
    let err = correct_with(&f, &reference, mira(), "x");
    assert_eq!(err.code(), "correction.not_sent");
}

#[test]
fn bad_values_a_missing_reason_and_another_municipality_are_refused_with_their_fields() {
    let f = Office::new();
    let reference = f.consented(&mira(), Language::Nl, now());
    // Pretend it went out, as a mail program's draft the worker confirmed.
    f.store
        .conn()
        .execute_batch("UPDATE outbox SET state = 'sent'")
        .unwrap();
    f.packages().build(&reference, now()).unwrap();
    f.store
        .conn()
        .execute_batch("UPDATE outbox SET state = 'sent'")
        .unwrap();
    let err = correct_with(
        &f,
        &reference,
        ClientInput {
            email: "geen-adres".into(),
            ..mira()
        },
        "  ",
    );
    let fields: Vec<String> = err.fields().into_iter().map(|p| p.field).collect();
    assert!(
        fields.contains(&"reason".to_owned()) && fields.contains(&"email".to_owned()),
        "{fields:?}"
    );
    let err = correct_with(
        &f,
        &reference,
        ClientInput {
            postal_code: "3290".into(),
            ..mira()
        },
        "verhuisd",
    );
    assert_eq!(err.code(), "correction.other_recipient");
    assert!(err.to_string().contains("OCMW Diest"), "{err}");
    let err = correct_with(&f, &reference, mira(), "niets");
    assert_eq!(err.code(), "correction.no_change");
    assert!(history(&f.store, &reference).unwrap().is_empty());
}

#[test]
fn a_new_first_and_last_name_together_is_another_person() {
    let f = Office::new();
    let reference = f.sent(&mira(), now());
    let other = ClientInput {
        first_name: "Jonas".into(),
        last_name: "Claes".into(),
        ..mira()
    };
    let err = correct_with(&f, &reference, other, "andere naam");
    assert_eq!(err.code(), "correction.other_person");
    assert_eq!(err.field(), Some("first_name"));
    assert!(err.to_string().contains("een andere persoon"), "{err}");
    // One of the two is a correction of the same person.
    let input = CorrectionInput {
        reference: reference.clone(),
        client: ClientInput {
            last_name: "Verbiest-Claes".into(),
            ..mira()
        },
        reason: "dubbele familienaam".into(),
    };
    correct(&f.store, &f.gazetteer, &input, now()).unwrap();
}

#[test]
fn another_person_is_refused_one_name_at_a_time_too_but_accents_are_a_correction() {
    let f = Office::new();
    let reference = f.sent(&mira(), now());
    let input = |first: &str, last: &str| CorrectionInput {
        reference: reference.clone(),
        client: ClientInput {
            first_name: first.into(),
            last_name: last.into(),
            ..mira()
        },
        reason: "naam".into(),
    };
    // Accents and case fixed in both names: the same person.
    correct(&f.store, &f.gazetteer, &input("MÏRA", "Verbïest"), now()).unwrap();
    // So are spaces and hyphens in both ("Van den Berg" for "Vandenberg").
    correct(&f.store, &f.gazetteer, &input("Mi-ra", "Ver biest"), now()).unwrap();
    // First the first name, then the last name: together another person.
    correct(&f.store, &f.gazetteer, &input("Jonas", "Verbïest"), now()).unwrap();
    let err = correct(&f.store, &f.gazetteer, &input("Jonas", "Claes"), now()).unwrap_err();
    assert_eq!(err.code(), "correction.other_person");
}

/// The values before a correction are the client's too: the purge takes them along.
#[test]
fn the_purge_forgets_what_the_data_were_before_a_correction() {
    let f = Office::new();
    let reference = f.sent(&mira(), now());
    correct(
        &f.store,
        &f.gazetteer,
        &CorrectionInput {
            reference: reference.clone(),
            client: ClientInput {
                phone: "014 99 88 77".into(),
                ..mira()
            },
            reason: "OCMW meldt: nieuw nummer".into(),
        },
        now(),
    )
    .unwrap();
    let (id, _) = referral::id_and_recipient(f.store.conn(), &reference)
        .unwrap()
        .unwrap();
    assert_eq!(earlier_values(f.store.conn(), id).unwrap().len(), 1);
    // The history shows the numbers as the worker reads and dials them, not as stored.
    let changes = &history(&f.store, &reference).unwrap()[0].changes;
    assert_eq!(
        changes
            .iter()
            .map(|c| (c.field.as_str(), c.old.as_str(), c.new.as_str()))
            .collect::<Vec<_>>(),
        [(PHONE, "0470 12 34 56", "014 99 88 77")]
    );
    // The correction's package goes out too; the purge waits for no package on its way.
    let folder = tempfile::tempdir().unwrap();
    crate::outbox::write_drafts(&f.store, folder.path(), now()).unwrap();
    for item in crate::outbox::list(&f.store, &f.gazetteer).unwrap() {
        if item.state == crate::outbox::ItemState::Drafted {
            crate::outbox::confirm_delivered(&f.store, item.id, now()).unwrap();
        }
    }
    let later = at("2026-12-23T09:00:00+01:00");
    assert_eq!(crate::retention::purge_due(&f.store, later).unwrap(), 1);
    assert!(earlier_values(f.store.conn(), id).unwrap().is_empty());
    assert!(history(&f.store, &reference).unwrap().is_empty());
}
