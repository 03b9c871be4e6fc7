use std::str::FromStr as _;

use super::*;
use crate::testing::zoe;

fn day(text: &str) -> NaiveDate {
    NaiveDate::from_str(text).unwrap()
}

fn westerlo() -> AgreementInput {
    AgreementInput {
        recipient_key: "ocmw:13049".into(),
        name: "OCMW Westerlo".into(),
        kbo: "0212 181 956".into(),
        mailbox: "info.ocmw@westerlo.example".into(),
        dpo_email: "informatieveiligheid@iok.example".into(),
        password_phone: "014 54 75 75".into(),
        agreement_date: "2023-12-18".into(),
        protocol_from: "2024-01-01".into(),
        protocol_until: String::new(),
        delivery: Delivery::Smtp,
        ..AgreementInput::default()
    }
}

fn now() -> DateTime<FixedOffset> {
    crate::testing::at("2026-11-22T10:00:00+01:00")
}

/// A store with the demo register, as the demo and the other modules' tests have it.
fn demo_store() -> (tempfile::TempDir, Store) {
    let (dir, store) = Store::temporary();
    Agreement::install_demo_register(&store, now()).unwrap();
    (dir, store)
}

fn store() -> (tempfile::TempDir, Store) {
    Store::temporary()
}

#[test]
fn a_protocol_is_in_force_only_between_its_dates() {
    let (_dir, store) = store();
    let g = Gazetteer::embedded().unwrap();
    let mut input = westerlo();
    input.protocol_until = "2026-06-30".into();
    let a = Agreement::save(&store, &g, None, input, now()).unwrap();
    assert_eq!(a.kbo, "0212.181.956");
    assert_eq!(a.password_phone, "+3214547575");
    assert!(matches!(
        a.in_force_on(day("2023-12-31")),
        Err(AgreementError::NotYetInForce { .. })
    ));
    let active = a.in_force_on(day("2024-01-01")).unwrap();
    assert_eq!(active.recipient(), &Recipient::Ocmw("13049".into()));
    assert!(a.in_force_on(day("2026-06-30")).is_ok());
    let ended = a.in_force_on(day("2026-07-01")).unwrap_err();
    assert_eq!(ended.code(), "agreement.ended");
    assert!(
        ended.to_string().contains("OCMW Westerlo") && ended.to_string().contains("leidinggevende")
    );
}

#[test]
fn no_register_entry_names_the_ocmw_and_whom_to_call() {
    let (_dir, store) = store();
    let g = Gazetteer::embedded().unwrap();
    let err = Agreement::active_for(
        &store,
        &g,
        &Recipient::Ocmw("24020".into()),
        None,
        day("2026-11-22"),
    )
    .unwrap_err();
    assert_eq!(err.code(), "agreement.none");
    assert!(err.to_string().contains("OCMW Diest"), "{err}");
}

#[test]
fn a_new_store_has_no_demo_partner_and_the_real_westerlo_can_be_added() {
    let (_dir, store) = store();
    let g = Gazetteer::embedded().unwrap();
    assert!(Agreement::list(&store).unwrap().is_empty());
    let mut input = westerlo();
    input.mailbox = "info.ocmw@westerlo.be".into();
    input.notice_months = "6".into();
    let a = Agreement::save(&store, &g, None, input, now()).unwrap();
    assert!(!a.demo);
    assert_eq!(a.version, 1);
    assert_eq!(a.next_evaluation, day("2025-01-01"));
    let next = Agreement::next_evaluations(&store, day("2026-11-22")).unwrap();
    assert_eq!(next.len(), 1);
    assert!(next[0].due && next[0].overdue && next[0].next_evaluation == day("2025-01-01"));
    // Evaluated last on 15/09/2026 every 6 months: due on 15/03/2027, not yet.
    let mut input = a.to_input();
    input.evaluation_months = 6;
    input.last_evaluation = "15/09/2026".into();
    Agreement::save(&store, &g, Some(a.id), input, now()).unwrap();
    let next = Agreement::next_evaluations(&store, day("2026-11-22")).unwrap();
    assert_eq!(next[0].next_evaluation, day("2027-03-15"));
    assert!(!next[0].due && !next[0].overdue);
    assert!(Agreement::next_evaluations(&store, day("2027-02-20")).unwrap()[0].due);
}

#[test]
fn the_migration_takes_unused_demo_partners_out_and_ends_used_ones() {
    let (_dir, store) = store();
    // As a store of schema 9 had them: the demo register, one partner used by a consent.
    Agreement::install_demo_register(&store, now()).unwrap();
    let list = Agreement::list(&store).unwrap();
    let used = list
        .iter()
        .find(|a| a.name.contains("Westerlo"))
        .unwrap()
        .id;
    store
        .conn()
        .execute_batch(&format!(
            "DROP TRIGGER agreement_kept;
             INSERT INTO referral (id, reference, recipient, status, created_at, updated_at)
               VALUES (1, 'AAN-TEST', 'ocmw:13049', 'refused', 'x', 'x');
             INSERT INTO consent (referral_id, given_at, worker, recipient, agreement_id,
               text_version, language, text_sha256)
               VALUES (1, 'x', 'An', 'ocmw:13049', {used}, 'v', 'nl', '{}');",
            "0".repeat(64)
        ))
        .unwrap();
    let sql = include_str!("../store/migrations/0010_register_history.sql");
    let demo_part = &sql[sql.find("DELETE FROM agreement WHERE demo = 1").unwrap()
        ..sql.find("-- Every saved state").unwrap()];
    store.conn().execute_batch(demo_part).unwrap();
    let left = Agreement::list(&store).unwrap();
    assert_eq!(left.len(), 1, "{left:?}");
    assert_eq!(left[0].id, used);
    let today = chrono::Local::now().date_naive();
    assert!(left[0].stopped_on.is_some());
    assert!(left[0].in_force_on(today + chrono::Days::new(1)).is_err());
}

#[test]
fn the_notice_period_sets_the_end_date() {
    let (_dir, store) = store();
    let g = Gazetteer::embedded().unwrap();
    let mut input = westerlo();
    input.notice_months = "6".into();
    input.notice_given_on = "2026-03-15".into();
    let a = Agreement::save(&store, &g, None, input.clone(), now()).unwrap();
    assert_eq!(a.ends_on, Some(day("2026-09-14")));
    assert!(a.in_force_on(day("2026-09-14")).is_ok());
    assert_eq!(
        a.in_force_on(day("2026-09-15")).unwrap_err().code(),
        "agreement.ended"
    );
    // A protocol end before the notice runs out comes first.
    input.protocol_until = "2026-06-30".into();
    let a = Agreement::save(&store, &g, Some(a.id), input.clone(), now()).unwrap();
    assert_eq!(a.ends_on, Some(day("2026-06-30")));
    // Notice given without a period cannot be turned into an end date.
    input.notice_months = String::new();
    let err = Agreement::save(&store, &g, Some(a.id), input, now()).unwrap_err();
    assert_eq!(err.field(), Some("notice_months"));
}

#[test]
fn bad_entries_name_the_field() {
    let (_dir, store) = store();
    let g = Gazetteer::embedded().unwrap();
    type Change = fn(&mut AgreementInput);
    let cases: Vec<(Change, &str)> = vec![
        (|i| i.recipient_key = "ocmw:52011".into(), "recipient_key"),
        (|i| i.recipient_key = "x".into(), "recipient_key"),
        (|i| i.name = "  ".into(), "name"),
        (|i| i.kbo = "0212.181.957".into(), "kbo"),
        (|i| i.mailbox = "info.ocmw".into(), "mailbox"),
        (|i| i.dpo_email = "".into(), "dpo_email"),
        (|i| i.password_phone = "123".into(), "password_phone"),
        (|i| i.protocol_from = "1-1-24".into(), "protocol_from"),
        (|i| i.agreement_date = "12/18/2023".into(), "agreement_date"),
        (|i| i.protocol_until = "2023-01-01".into(), "protocol_until"),
        (|i| i.notice_months = "zes".into(), "notice_months"),
        (|i| i.notice_months = "0".into(), "notice_months"),
        (|i| i.notice_given_on = "morgen".into(), "notice_given_on"),
        (|i| i.dpo_advice_ours = "2024".into(), "dpo_advice_ours"),
        (
            |i| i.dpo_advice_theirs = "2024-13-01".into(),
            "dpo_advice_theirs",
        ),
        (|i| i.contacts = "x".repeat(501), "contacts"),
        (|i| i.evaluation_months = 3, "evaluation_months"),
        (|i| i.last_evaluation = "gisteren".into(), "last_evaluation"),
    ];
    for (change, field) in cases {
        let mut input = westerlo();
        change(&mut input);
        let err = Agreement::save(&store, &g, None, input, now()).unwrap_err();
        assert_eq!(err.field(), Some(field), "{err}");
    }
}

#[test]
fn one_entry_per_partner_and_period_and_edits_make_versions() {
    let (_dir, store) = store();
    let g = Gazetteer::embedded().unwrap();
    let first = Agreement::save(&store, &g, None, westerlo(), now()).unwrap();
    let err = Agreement::save(&store, &g, None, westerlo(), now()).unwrap_err();
    assert_eq!(err.code(), "agreement.duplicate");
    let mut changed = westerlo();
    changed.mailbox = "aanmelding@westerlo.example".into();
    let edited = Agreement::save(&store, &g, Some(first.id), changed, now()).unwrap();
    assert_eq!((edited.id, edited.version), (first.id, 2));
    assert_ne!(edited.version_sha256, first.version_sha256);
    let history = Agreement::history(&store, first.id).unwrap();
    assert_eq!(history.len(), 2);
    assert_eq!(history[0].entry.mailbox, "aanmelding@westerlo.example");
    assert_eq!(history[1].entry.mailbox, "info.ocmw@westerlo.example");
    assert_eq!(history[0].sha256, edited.version_sha256);
    // Ended, the same OCMW can get a new protocol after the old one's last day.
    Agreement::stop(&store, first.id, "2026-12-31", now()).unwrap();
    let mut next = westerlo();
    next.protocol_from = "2027-01-01".into();
    next.agreement_date = "2026-12-15".into();
    let second = Agreement::save(&store, &g, None, next, now()).unwrap();
    let westerlo = Recipient::Ocmw("13049".into());
    let on = |d: &str| {
        Agreement::for_recipient(&store, &westerlo, day(d))
            .unwrap()
            .unwrap()
            .id
    };
    assert_eq!(on("2026-12-31"), first.id);
    assert_eq!(on("2027-01-01"), second.id);
    // Nobody relied on them: they can be deleted, history and all.
    Agreement::delete(&store, first.id).unwrap();
    assert!(Agreement::history(&store, first.id).unwrap().is_empty());
}

#[test]
fn the_listed_register_says_which_protocol_is_in_force_that_day() {
    let (_dir, store) = store();
    let g = Gazetteer::embedded().unwrap();
    let mut input = westerlo();
    input.protocol_until = "2026-06-30".into();
    Agreement::save(&store, &g, None, input, now()).unwrap();
    let on = |d: &str| -> Vec<bool> {
        Agreement::listed(&store, day(d))
            .unwrap()
            .iter()
            .map(|l| l.in_force)
            .collect()
    };
    assert_eq!(on("2023-12-31"), [false]);
    assert_eq!(on("2024-01-01"), [true]);
    assert_eq!(on("2026-06-30"), [true]);
    assert_eq!(on("2026-07-01"), [false]);
    // The screen reads the entry's own fields beside the answer.
    let json =
        serde_json::to_value(&Agreement::listed(&store, day("2025-01-01")).unwrap()[0]).unwrap();
    assert_eq!(json["name"], "OCMW Westerlo");
    assert_eq!(json["in_force"], true);
}

#[test]
fn stopping_ends_the_partner_and_keeps_it() {
    let (_dir, store) = store();
    let g = Gazetteer::embedded().unwrap();
    let a = Agreement::save(&store, &g, None, westerlo(), now()).unwrap();
    let err = Agreement::stop(&store, a.id, "2023-01-01", now()).unwrap_err();
    assert_eq!(err.field(), Some("stop_until"));
    let stopped = Agreement::stop(&store, a.id, "2026-11-30", now()).unwrap();
    assert_eq!(stopped.stopped_on, Some(day("2026-11-22")));
    assert!(stopped.in_force_on(day("2026-11-30")).is_ok());
    assert_eq!(
        stopped.in_force_on(day("2026-12-01")).unwrap_err().code(),
        "agreement.ended"
    );
    let history = Agreement::history(&store, a.id).unwrap();
    assert_eq!(history[0].stopped_on, "2026-11-22");
    assert_eq!(history[0].entry.protocol_until, "2026-11-30");
}

#[test]
fn an_edit_cannot_undo_a_stop() {
    let (_dir, store) = store();
    let g = Gazetteer::embedded().unwrap();
    let a = Agreement::save(&store, &g, None, westerlo(), now()).unwrap();
    Agreement::stop(&store, a.id, "2026-11-30", now()).unwrap();
    // The edit form comes back with the stop's end date: a typo mended keeps it.
    let edit = |until: &str| AgreementInput {
        mailbox: "aanmelding@westerlo.example".into(),
        protocol_until: until.into(),
        ..westerlo()
    };
    for until in ["", "2026-12-01", "2027-11-30"] {
        let err = Agreement::save(&store, &g, Some(a.id), edit(until), now()).unwrap_err();
        assert_eq!(err.field(), Some("protocol_until"), "{until:?}");
        let kept = Agreement::get(&store, a.id).unwrap();
        assert!(kept.in_force_on(day("2026-12-01")).is_err(), "{until:?}");
    }
    let mended = Agreement::save(&store, &g, Some(a.id), edit("2026-11-30"), now()).unwrap();
    assert_eq!(mended.mailbox, "aanmelding@westerlo.example");
    assert_eq!(mended.stopped_on, Some(day("2026-11-22")));
    assert!(mended.in_force_on(day("2026-12-01")).is_err());
    // An earlier end is a stop brought forward, which the stop itself also allows.
    let earlier = Agreement::save(&store, &g, Some(a.id), edit("2026-11-25"), now()).unwrap();
    assert!(earlier.in_force_on(day("2026-11-26")).is_err());
}

#[test]
fn a_partner_starts_on_its_signing_day_also_where_it_meets_the_one_before() {
    let (_dir, store) = store();
    let g = Gazetteer::embedded().unwrap();
    let old = AgreementInput {
        protocol_until: "2024-06-30".into(),
        ..westerlo()
    };
    Agreement::save(&store, &g, None, old, now()).unwrap();
    // A new agreement signed on 1 July, under a protocol dated from 1 January: nothing may go
    // under it before 1 July, so it does not overlap the one that ended on 30 June.
    let new = AgreementInput {
        kbo: "0212.181.956".into(),
        agreement_date: "2024-07-01".into(),
        protocol_from: "2024-01-01".into(),
        ..westerlo()
    };
    let saved = Agreement::save(&store, &g, None, new, now()).unwrap();
    assert_eq!(saved.starts_on(), day("2024-07-01"));
    assert!(saved.in_force_on(day("2024-06-30")).is_err());
    assert!(saved.in_force_on(day("2024-07-01")).is_ok());
    // A stop before that first day is refused as before its start.
    let err = Agreement::stop(&store, saved.id, "2024-03-01", now()).unwrap_err();
    assert_eq!(err.field(), Some("stop_until"));
}

#[test]
fn an_ocmw_partner_is_only_in_a_flemish_municipality() {
    let (_dir, store) = store();
    let g = Gazetteer::embedded().unwrap();
    // Brussel (21004), Charleroi (52011), Eupen (63023): no OCMW of theirs can be a partner.
    for code in ["21004", "52011", "63023"] {
        let input = AgreementInput {
            recipient_key: format!("ocmw:{code}"),
            ..westerlo()
        };
        let err = Agreement::save(&store, &g, None, input, now()).unwrap_err();
        assert_eq!(err.field(), Some("recipient_key"), "{code}");
    }
    assert!(Agreement::save(&store, &g, None, westerlo(), now()).is_ok());
}

#[test]
fn brussels_can_have_several_cawss_and_the_worker_chooses() {
    let (_dir, store) = store();
    let g = Gazetteer::embedded().unwrap();
    let caw = |name: &str, kbo: &str| AgreementInput {
        recipient_key: "caw:brussel".into(),
        name: name.into(),
        kbo: kbo.into(),
        ..westerlo()
    };
    let one = Agreement::save(&store, &g, None, caw("CAW Brussel", "0412.345.614"), now()).unwrap();
    let brussels = Recipient::CawBrussel;
    let today = day("2026-11-22");
    assert_eq!(
        Agreement::active_for(&store, &g, &brussels, None, today)
            .unwrap()
            .agreement_id(),
        one.id
    );
    // The same CAW twice is still a duplicate; another CAW is not.
    let err = Agreement::save(
        &store,
        &g,
        None,
        caw("CAW Brussel bis", "0412345614"),
        now(),
    )
    .unwrap_err();
    assert_eq!(err.code(), "agreement.duplicate");
    let two = Agreement::save(
        &store,
        &g,
        None,
        caw("CAW Oost-Brussel", "0212.181.956"),
        now(),
    )
    .unwrap();
    let err = Agreement::active_for(&store, &g, &brussels, None, today).unwrap_err();
    assert_eq!(
        (err.code(), err.field()),
        ("agreement.choose", Some("partner_id"))
    );
    let choices = Agreement::choices(&store, &brussels, today).unwrap();
    assert_eq!(choices.len(), 2);
    let chosen = Agreement::active_for(&store, &g, &brussels, Some(two.id), today).unwrap();
    assert_eq!(chosen.agreement_id(), two.id);
    // A partner of another recipient is not a choice for Brussels.
    let westerlo = Agreement::save(&store, &g, None, westerlo(), now()).unwrap();
    assert_eq!(
        Agreement::active_for(&store, &g, &brussels, Some(westerlo.id), today)
            .unwrap_err()
            .code(),
        "agreement.not_found"
    );
}

#[test]
fn every_demo_entry_passes_the_registers_own_validation() {
    // A worker who edits a demo entry (say, to change how it is reached) must not be told that
    // the shipped data are wrong.
    let (_dir, store) = demo_store();
    let g = Gazetteer::embedded().unwrap();
    for a in Agreement::list(&store).unwrap() {
        let saved = Agreement::save(&store, &g, Some(a.id), a.to_input(), now()).unwrap();
        assert_eq!(saved.delivery, Delivery::MailProgram, "{}", a.name);
        assert!(saved.demo, "{}", a.name);
    }
}

#[test]
fn a_partner_a_consent_relied_on_is_kept_and_the_consent_names_its_version() {
    let office = crate::testing::Office::new();
    let (store, g) = (&office.store, &office.gazetteer);
    let westerlo = Recipient::Ocmw("13049".into());
    let before = Agreement::for_recipient(store, &westerlo, now().date_naive())
        .unwrap()
        .unwrap();
    let reference = office.consented(&zoe(), crate::consent::Language::Nl, now());
    let partner = Agreement::get(store, before.id).unwrap();
    assert!(partner.used);

    let err = Agreement::delete(store, partner.id).unwrap_err();
    assert_eq!(err.code(), "agreement.in_use");
    assert!(err.to_string().contains("Zet ze stop"), "{err}");
    // Not even a raw delete gets past the schema.
    assert!(
        store
            .conn()
            .execute("DELETE FROM agreement WHERE id = ?1", [partner.id])
            .is_err()
    );

    let mut input = partner.to_input();
    input.mailbox = "nieuw@ocmw-westerlo.example".into();
    let edited = Agreement::save(store, g, Some(partner.id), input.clone(), now()).unwrap();
    assert_eq!(edited.version, partner.version + 1);
    let ready = crate::referral::Referral::ready(store, g, &reference).unwrap();
    assert_eq!(ready.consent.agreement_id, partner.id);
    assert_eq!(ready.consent.agreement_version, Some(partner.version));
    assert_eq!(
        ready.consent.agreement_sha256.as_deref(),
        Some(partner.version_sha256.as_str())
    );
    let history = Agreement::history(store, partner.id).unwrap();
    let relied_on = history
        .iter()
        .find(|v| v.version == partner.version)
        .unwrap();
    assert_eq!(relied_on.consents, 1);
    assert_eq!(relied_on.entry.mailbox, "aanmelding@ocmw-westerlo.example");
    assert_eq!(relied_on.sha256, partner.version_sha256);
    // Its versions cannot be rewritten either.
    assert!(
        store
            .conn()
            .execute("UPDATE agreement_version SET body = '{}'", [])
            .is_err()
    );

    // The recipient of a used partner cannot change: that would move its referrals.
    input.recipient_key = "ocmw:24020".into();
    let err = Agreement::save(store, g, Some(partner.id), input, now()).unwrap_err();
    assert_eq!(err.field(), Some("recipient_key"));
}
