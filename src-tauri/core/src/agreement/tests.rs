use super::*;

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
    }
}

fn store() -> (tempfile::TempDir, Store) {
    Store::temporary()
}

#[test]
fn a_protocol_is_in_force_only_between_its_dates() {
    let (_dir, store) = store();
    let g = Gazetteer::embedded().unwrap();
    store.conn().execute("DELETE FROM agreement", []).unwrap();
    let mut input = westerlo();
    input.protocol_until = "2026-06-30".into();
    let a = Agreement::save(&store, &g, None, input).unwrap();
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
    store.conn().execute("DELETE FROM agreement", []).unwrap();
    let err = Agreement::active_for(
        &store,
        &g,
        &Recipient::Ocmw("24020".into()),
        day("2026-11-22"),
    )
    .unwrap_err();
    assert_eq!(err.code(), "agreement.none");
    assert!(err.to_string().contains("OCMW Diest"), "{err}");
}

#[test]
fn the_demo_register_is_there_on_first_launch_and_marked() {
    let (_dir, store) = store();
    let list = Agreement::list(&store).unwrap();
    assert!(list.len() >= 3, "{list:?}");
    assert!(
        list.iter()
            .all(|a| a.demo && a.name.contains("demo") && a.mailbox.ends_with(".example"))
    );
    let westerlo = list
        .iter()
        .find(|a| a.recipient == Recipient::Ocmw("13049".into()))
        .unwrap();
    assert!(westerlo.in_force_on(day("2026-11-22")).is_ok());
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
        (|i| i.protocol_from = "1-1-2024".into(), "protocol_from"),
        (|i| i.protocol_until = "2023-01-01".into(), "protocol_until"),
    ];
    for (change, field) in cases {
        let mut input = westerlo();
        change(&mut input);
        let err = Agreement::save(&store, &g, None, input).unwrap_err();
        assert_eq!(err.field(), Some(field), "{err}");
    }
}

#[test]
fn one_entry_per_partner_and_edits_replace_it() {
    let (_dir, store) = store();
    let g = Gazetteer::embedded().unwrap();
    let existing = Agreement::for_recipient(&store, &Recipient::Ocmw("13049".into()))
        .unwrap()
        .unwrap();
    let err = Agreement::save(&store, &g, None, westerlo()).unwrap_err();
    assert_eq!(err.code(), "agreement.duplicate");
    let edited = Agreement::save(&store, &g, Some(existing.id), westerlo()).unwrap();
    assert_eq!(edited.id, existing.id);
    assert!(
        !edited.demo,
        "an edited entry is the team's own, no longer the demo"
    );
    Agreement::delete(&store, edited.id).unwrap();
    assert!(
        Agreement::for_recipient(&store, &Recipient::Ocmw("13049".into()))
            .unwrap()
            .is_none()
    );
}

#[test]
fn every_demo_entry_passes_the_registers_own_validation() {
    // A worker who edits a demo entry (say, to change how it is reached) must not be told that
    // the shipped data are wrong.
    let (_dir, store) = store();
    let g = Gazetteer::embedded().unwrap();
    for a in Agreement::list(&store).unwrap() {
        let input = AgreementInput {
            recipient_key: a.recipient.key(),
            name: a.name.clone(),
            kbo: a.kbo.clone(),
            mailbox: a.mailbox.clone(),
            dpo_email: a.dpo_email.clone(),
            password_phone: a.password_phone.clone(),
            agreement_date: a.agreement_date.to_string(),
            protocol_from: a.protocol_from.to_string(),
            protocol_until: a.protocol_until.map(|d| d.to_string()).unwrap_or_default(),
            delivery: a.delivery,
        };
        let saved = Agreement::save(&store, &g, Some(a.id), input).unwrap();
        assert_eq!(saved.delivery, Delivery::MailProgram, "{}", a.name);
    }
}
