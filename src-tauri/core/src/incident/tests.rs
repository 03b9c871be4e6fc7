use super::*;
use crate::outbox;
use crate::referral::Reference;
use crate::retention::RetentionSettings;
use crate::testing::{Office, at, mira};

fn now() -> DateTime<FixedOffset> {
    at("2026-11-22T10:15:00+01:00")
}

/// An office with one sent referral and, if `dpo` is given, the team's DPO set.
fn office(dpo: Option<&str>) -> (Office, Reference, i64) {
    let f = Office::new();
    let reference = f.sent(&mira(), now());
    if let Some(dpo) = dpo {
        RetentionSettings {
            days_after_send: 30,
            dpo_email: dpo.into(),
        }
        .save(&f.store)
        .unwrap();
    }
    let item = outbox::list(&f.store, &f.gazetteer).unwrap()[0].id;
    (f, reference, item)
}

fn input(item: i64, note: &str) -> IncidentInput {
    IncidentInput {
        outbox_id: item,
        wrong_to: "iemand@elders.example".into(),
        noticed_on: "2026-11-22".into(),
        note: note.into(),
    }
}

fn incidents(f: &Office) -> i64 {
    f.store
        .conn()
        .query_row("SELECT count(*) FROM incident", [], |r| r.get(0))
        .unwrap()
}

/// The wrong mailboxes as the incident records keep them, oldest first.
fn wrong_mailboxes(f: &Office) -> Vec<String> {
    f.store
        .conn()
        .prepare("SELECT wrong_to FROM incident ORDER BY id")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

#[test]
fn a_wrong_mailbox_drafts_a_notice_for_the_dpo_without_client_data() {
    let (f, reference, item) = office(None);
    // Without a DPO address the worker is told where to set it, and nothing is recorded.
    let err = report(&f.store, &f.gazetteer, &input(item, ""), now()).unwrap_err();
    assert!(err.fields().iter().any(|p| p.field == "dpo_email"), "{err}");
    assert!(err.to_string().contains("Instellingen"), "{err}");
    assert_eq!(incidents(&f), 0);
    RetentionSettings {
        days_after_send: 30,
        dpo_email: "dpo@team.example".into(),
    }
    .save(&f.store)
    .unwrap();
    let (draft, eml) = report(&f.store, &f.gazetteer, &input(item, ""), now()).unwrap();
    assert_eq!(draft.to, "dpo@team.example");
    assert!(draft.subject.contains(reference.as_str()));
    assert!(draft.body.contains("iemand@elders.example"));
    assert!(draft.body.contains("OCMW Westerlo"));
    assert!(!draft.body.contains("Toelichting"), "no empty note line");
    let text = String::from_utf8_lossy(&eml.bytes);
    for secret in [
        "Mira",
        "Verbiest",
        "Boerenkrijglaan",
        "470123456",
        "mira.verbiest",
    ] {
        assert!(!draft.subject.contains(secret) && !draft.body.contains(secret));
        assert!(!text.contains(secret), "{secret} in the draft");
    }
    assert!(eml.file_name.starts_with("datalek-") && !eml.file_name.contains("Mira"));
    let incidents = crate::ledger::tally(&f.store, now().date_naive(), now().date_naive())
        .unwrap()
        .get(&("ocmw:13049".to_owned(), crate::ledger::EventKind::Incident))
        .copied();
    assert_eq!(incidents, Some(1));
}

#[test]
fn the_note_goes_into_the_draft_and_the_record() {
    let (f, _, item) = office(Some("dpo@team.example"));
    let note = "  Tikfout in het adres; de ontvanger heeft bevestigd dat hij de mail wiste.\n";
    let (draft, eml) = report(&f.store, &f.gazetteer, &input(item, note), now()).unwrap();
    let line = format!("Toelichting: {}", note.trim());
    assert!(draft.body.contains(&line), "{}", draft.body);
    // The signature still closes the mail, after the sentence that no client data are in it.
    let (before, after) = draft.body.split_once(&line).unwrap();
    assert!(before.contains("Wachtwoord:"));
    assert!(after.contains("geen gegevens van de cliënt") && after.contains("An Peeters"));
    assert!(String::from_utf8_lossy(&eml.bytes).contains("ontvanger heeft bevestigd"));
    let stored: String = f
        .store
        .conn()
        .query_row(
            "SELECT note FROM incident WHERE outbox_id = ?1",
            [item],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(stored, note.trim());
}

#[test]
fn a_note_that_repeats_the_client_is_refused_next_to_the_note() {
    let (f, _, item) = office(Some("dpo@team.example"));
    for note in [
        "Pakket van mira ging naar de buurvrouw.",
        "Familie Verbiest verwittigd.",
        "Woont in de BOERENKRIJGLAAN.",
        "Gebeld op 0470/12.34.56, geen antwoord.",
        "Gebeld op +32 470 12 34 56.",
        "Mail gestuurd naar Mira.Verbiest@example.be.",
    ] {
        let err = report(&f.store, &f.gazetteer, &input(item, note), now()).unwrap_err();
        assert_eq!(err.code(), "incident.invalid", "{note}");
        let fields = err.fields();
        assert_eq!(fields.len(), 1, "{note}: {fields:?}");
        assert_eq!(fields[0].field, "note");
        assert!(
            fields[0].message.contains("gegevens van de cliënt"),
            "{fields:?}"
        );
    }
    assert_eq!(incidents(&f), 0, "a refused report records nothing");
    // Words that merely contain a name, or other numbers, are fine.
    for note in [
        "Miramar-adres verward met het juiste; gemerkt om 10:15 op 22/11/2026.",
        "Ontvanger gebeld op 014 99 88 77.",
    ] {
        report(&f.store, &f.gazetteer, &input(item, note), now()).unwrap();
    }
    assert_eq!(incidents(&f), 2);
}

#[test]
fn any_part_of_a_double_name_the_street_or_the_phone_in_any_grouping_is_refused() {
    let f = Office::new();
    let mut client = crate::testing::client("Ana María", "Van den Broeck-Çelik", "2260");
    client.phone = "0470 12 34 56".into();
    f.sent(&client, now());
    RetentionSettings {
        days_after_send: 30,
        dpo_email: "dpo@team.example".into(),
    }
    .save(&f.store)
    .unwrap();
    let item = outbox::list(&f.store, &f.gazetteer).unwrap()[0].id;
    for note in [
        "Mevrouw Çelik belde zelf om het te melden.",
        "Mevrouw celik belde zelf.",
        "Mevrouw BROECK belde zelf.",
        "Ana belde zelf.",
        "Maria belde zelf.",
        "Zij woont in de Sint-Jansstraat.",
        "Zij woont in de sint jansstraat.",
        "Gebeld op 0470 123 456.",
        "Gebeld op 0470-12-34-56.",
        "Gebeld op +32470123456.",
        "Gebeld op 0032 470 12 34 56.",
        "Mail naar CLIENT@example.be.",
        "Mail naar client at example punt be.",
    ] {
        let err = report(&f.store, &f.gazetteer, &input(item, note), now()).unwrap_err();
        assert_eq!(err.code(), "incident.invalid", "{note}");
        let fields = err.fields();
        assert!(
            fields.len() == 1 && fields[0].field == "note",
            "{note}: {fields:?}"
        );
    }
    // The particles of a name are ordinary words too.
    for note in [
        "Gebeld van op kantoor; de ontvanger wist de mail.",
        "Anatomie van een fout: verkeerde postcode gekozen.",
    ] {
        report(&f.store, &f.gazetteer, &input(item, note), now()).unwrap();
    }
}

/// A correction replaces the client's data, but the data before it are still the client's:
/// a note repeating the old name, street, phone or e-mail is refused as well.
#[test]
fn what_the_client_data_were_before_a_correction_is_refused_too() {
    let (f, reference, _) = office(Some("dpo@team.example"));
    // First only the e-mail changes, to an address that holds no name: a note repeating it
    // can only be caught as an earlier e-mail.
    let correct = |client: crate::client::ClientInput| {
        crate::correction::correct(
            &f.store,
            &f.gazetteer,
            &crate::correction::CorrectionInput {
                reference: reference.clone(),
                client,
                reason: "OCMW meldt: verhuisd".into(),
            },
            now(),
        )
        .unwrap()
    };
    correct(crate::client::ClientInput {
        email: "postbus7@thuis.example".into(),
        ..mira()
    });
    let corrected = crate::client::ClientInput {
        last_name: "Claes".into(),
        street: "Markt".into(),
        house_number: "1".into(),
        r#box: "2".into(),
        phone: "014 99 88 77".into(),
        email: "mira@elders.example".into(),
        ..mira()
    };
    correct(corrected);
    // The correction's own package is the item in question now; the first stays sent.
    let item = outbox::list(&f.store, &f.gazetteer)
        .unwrap()
        .into_iter()
        .map(|i| i.id)
        .min()
        .unwrap();
    for note in [
        "Mevrouw Verbiest belde.",
        "Mevrouw Claes belde.",
        "Zij woonde in de Boerenkrijglaan.",
        "Zij woont nu aan de Markt.",
        "Gebeld op 0470 12 34 56.",
        "Gebeld op 014/99.88.77.",
        "Mail naar postbus7@thuis.example.",
    ] {
        let err = report(&f.store, &f.gazetteer, &input(item, note), now()).unwrap_err();
        assert_eq!(err.code(), "incident.invalid", "{note}");
        assert_eq!(err.fields()[0].field, "note", "{note}");
    }
    report(
        &f.store,
        &f.gazetteer,
        &input(item, "Gemeld door het OCMW."),
        now(),
    )
    .unwrap();
    // The package went to the client's mailbox from before the correction: still theirs.
    let earlier = IncidentInput {
        wrong_to: "postbus7@thuis.example".into(),
        ..input(item, "")
    };
    let (draft, eml) = report(&f.store, &f.gazetteer, &earlier, now()).unwrap();
    assert!(draft.body.contains("cliënt zelf"), "{}", draft.body);
    assert!(!String::from_utf8_lossy(&eml.bytes).contains("postbus7"));
}

/// The package went to the client's own (old) address: the draft says so without it.
#[test]
fn the_clients_own_mailbox_as_the_wrong_one_stays_out_of_the_draft() {
    let (f, _, item) = office(Some("dpo@team.example"));
    let own = IncidentInput {
        wrong_to: "Mira.Verbiest@example.be".into(),
        ..input(item, "")
    };
    let (draft, eml) = report(&f.store, &f.gazetteer, &own, now()).unwrap();
    assert!(
        draft.body.contains("het e-mailadres van de cliënt zelf"),
        "{}",
        draft.body
    );
    for text in [draft.body.as_bytes(), &eml.bytes] {
        let lower = String::from_utf8_lossy(text).to_lowercase();
        assert!(!lower.contains("mira.verbiest"), "{lower}");
    }
    // Someone else's address is the DPO's to know.
    let (draft, _) = report(&f.store, &f.gazetteer, &input(item, ""), now()).unwrap();
    assert!(
        draft.body.contains("iemand@elders.example"),
        "{}",
        draft.body
    );
    // The record, which outlives the purge, keeps whose mailbox it was, not the address.
    assert_eq!(
        wrong_mailboxes(&f),
        [CLIENTS_OWN_MAILBOX, "iemand@elders.example"]
    );
}

/// An address that is not the client's but names them (a relative's, a second one of theirs)
/// keeps only its domain, in the draft and in the record.
#[test]
fn an_address_naming_the_client_keeps_only_its_domain() {
    let (f, _, item) = office(Some("dpo@team.example"));
    for (typed, shown) in [
        ("k.verbiest@gmail.example", "een adres bij gmail.example"),
        (
            "info@verbiest.example",
            "een adres met gegevens van de cliënt",
        ),
    ] {
        let wrong = IncidentInput {
            wrong_to: typed.into(),
            ..input(item, "")
        };
        let (draft, eml) = report(&f.store, &f.gazetteer, &wrong, now()).unwrap();
        assert!(draft.body.contains(shown), "{}", draft.body);
        for text in [draft.body.as_bytes(), &eml.bytes] {
            let lower = String::from_utf8_lossy(text).to_lowercase();
            assert!(!lower.contains("verbiest"), "{lower}");
        }
    }
    // A first name alone is as likely someone else's: that address is the DPO's to know.
    let colleague = IncidentInput {
        wrong_to: "mira.peeters@ocmw.example".into(),
        ..input(item, "")
    };
    let (draft, _) = report(&f.store, &f.gazetteer, &colleague, now()).unwrap();
    assert!(
        draft.body.contains("mira.peeters@ocmw.example"),
        "{}",
        draft.body
    );
    assert_eq!(
        wrong_mailboxes(&f),
        [
            "(adres bij gmail.example met gegevens van de cliënt)",
            "(adres met gegevens van de cliënt)",
            "mira.peeters@ocmw.example"
        ]
    );
}

/// Records made before version 15 kept the client's own mailbox as typed; the migration
/// replaces it by whose it was, for the address as it is and as it was before a correction.
#[test]
fn the_migration_takes_the_clients_mailbox_out_of_older_records() {
    let (f, reference, item) = office(Some("dpo@team.example"));
    crate::correction::correct(
        &f.store,
        &f.gazetteer,
        &crate::correction::CorrectionInput {
            reference,
            client: crate::client::ClientInput {
                email: "postbus7@thuis.example".into(),
                ..mira()
            },
            reason: "OCMW meldt: nieuw adres".into(),
        },
        now(),
    )
    .unwrap();
    let typed = [
        "MIRA.verbiest@example.be",
        "postbus7@thuis.example",
        "iemand@elders.example",
    ];
    for wrong_to in typed {
        let wrong_to = wrong_to.into();
        report(
            &f.store,
            &f.gazetteer,
            &IncidentInput {
                wrong_to,
                ..input(item, "")
            },
            now(),
        )
        .unwrap();
    }
    // As the app before version 15 kept them.
    for (id, wrong_to) in (1..).zip(typed) {
        f.store
            .conn()
            .execute(
                "UPDATE incident SET wrong_to = ?2 WHERE id = ?1",
                (id, wrong_to),
            )
            .unwrap();
    }
    assert_eq!(wrong_mailboxes(&f), typed);
    f.store
        .conn()
        .execute_batch(include_str!(
            "../store/migrations/0015_incident_forgets_the_clients_mailbox.sql"
        ))
        .unwrap();
    assert_eq!(
        wrong_mailboxes(&f),
        [
            CLIENTS_OWN_MAILBOX,
            CLIENTS_OWN_MAILBOX,
            "iemand@elders.example"
        ]
    );
}

#[test]
fn a_note_of_a_purged_client_is_only_checked_for_length() {
    let (f, _, item) = office(Some("dpo@team.example"));
    // Thirty days after sending the client's data are gone; the incident can still be reported.
    let later = at("2026-12-23T09:00:00+01:00");
    assert_eq!(crate::retention::purge_due(&f.store, later).unwrap(), 1);
    report(&f.store, &f.gazetteer, &input(item, "Mira"), later).unwrap();
    let long = "a".repeat(NOTE_MAX_CHARS + 1);
    let err = report(&f.store, &f.gazetteer, &input(item, &long), later).unwrap_err();
    assert_eq!(err.fields()[0].field, "note");
    assert!(err.fields()[0].message.contains("1000"));
    report(
        &f.store,
        &f.gazetteer,
        &input(item, &"é".repeat(NOTE_MAX_CHARS)),
        later,
    )
    .unwrap();
}

#[test]
fn every_problem_is_named_at_once_and_an_unsent_item_is_refused() {
    let (f, _, item) = office(None);
    let err = report(
        &f.store,
        &f.gazetteer,
        &IncidentInput {
            outbox_id: item,
            wrong_to: "niet een adres".into(),
            noticed_on: "2026-11-23".into(),
            note: "Verbiest".into(),
        },
        now(),
    )
    .unwrap_err();
    let mut fields: Vec<String> = err.fields().into_iter().map(|p| p.field).collect();
    fields.sort();
    assert_eq!(fields, ["dpo_email", "note", "noticed_on", "wrong_to"]);
    let err = report(&f.store, &f.gazetteer, &input(item + 100, ""), now()).unwrap_err();
    assert_eq!(err.code(), "incident.not_sent");
}

#[test]
fn a_notice_for_the_dpo_written_after_the_purge_has_its_own_period() {
    let (f, _, item) = office(Some("dpo@team.example"));
    let purged = at("2026-12-23T09:00:00+01:00");
    assert_eq!(crate::retention::purge_due(&f.store, purged).unwrap(), 1);
    // Weeks later the worker hears it went to the wrong mailbox.
    let later = at("2027-01-20T09:00:00+01:00");
    let folder = tempfile::tempdir().unwrap();
    let (_, path) = report_to_folder(
        &f.store,
        &f.gazetteer,
        &input(item, ""),
        folder.path(),
        later,
    )
    .unwrap();
    crate::retention::purge_due(&f.store, later + chrono::Duration::minutes(1)).unwrap();
    assert!(path.exists(), "the worker still has to send it");
    crate::retention::purge_due(&f.store, later + chrono::Duration::days(31)).unwrap();
    assert!(!path.exists(), "gone once its own period has run");
}
