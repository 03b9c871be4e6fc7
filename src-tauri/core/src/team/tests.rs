use super::*;
use crate::agreement::Delivery;
use crate::testing::{Office, at};

fn supervisor() -> Office {
    let office = Office::new();
    set_role(&office.store, Role::Supervisor).unwrap();
    office
}

fn entry(recipient_key: &str, name: &str, mailbox: &str) -> AgreementInput {
    AgreementInput {
        recipient_key: recipient_key.into(),
        name: name.into(),
        kbo: "0212.181.956".into(),
        mailbox: mailbox.into(),
        dpo_email: "informatieveiligheid@iok.be".into(),
        password_phone: "014 53 82 00".into(),
        agreement_date: "2023-12-18".into(),
        protocol_from: "2024-01-01".into(),
        protocol_until: String::new(),
        delivery: Delivery::Smtp,
        ..AgreementInput::default()
    }
}

/// The partners in force (not demo, not ended).
fn register(office: &Office) -> Vec<(String, String)> {
    Agreement::list(&office.store)
        .unwrap()
        .into_iter()
        .filter(|a| !a.demo && a.stopped_on.is_none())
        .map(|a| (a.recipient.key(), a.mailbox))
        .collect()
}

fn member(name: &str, email: &str) -> Member {
    Member {
        name: name.into(),
        email: email.into(),
        ..Member::default()
    }
}

fn team_members() -> Vec<Member> {
    vec![
        member("An Peeters", "an.peeters@example.be"),
        member("Zoë Müller", "zoe.muller@example.be"),
    ]
}

/// A supervisor with Westerlo and Geel in the register, and two members.
fn signed_profile(office: &Office, now: &str) -> Vec<u8> {
    for (id, input) in [
        (
            None,
            entry("ocmw:13049", "OCMW Westerlo", "info.ocmw@westerlo.be"),
        ),
        (
            None,
            entry("ocmw:13008", "OCMW Geel", "sociaal@ocmwgeel.be"),
        ),
    ] {
        let existing = Agreement::list(&office.store)
            .unwrap()
            .into_iter()
            .find(|a| !a.demo && a.recipient.key() == input.recipient_key)
            .map(|a| a.id);
        Agreement::save(
            &office.store,
            &office.gazetteer,
            existing.or(id),
            input,
            at(now),
        )
        .unwrap();
    }
    save_members(&office.store, team_members()).unwrap();
    export_profile(&office.store, at(now))
        .unwrap()
        .bytes
        .to_vec()
}

fn apply(member: &Office, bytes: &[u8], fingerprint: Option<&str>) -> Result<Applied, TeamError> {
    apply_profile(
        &member.store,
        &member.gazetteer,
        bytes,
        fingerprint,
        at("2026-03-02T09:00:00+01:00"),
    )
}

#[test]
fn a_valid_profile_confirmed_by_fingerprint_updates_the_register_and_the_members() {
    let boss = supervisor();
    let file = signed_profile(&boss, "2026-01-15T09:00:00+01:00");
    assert!(
        !String::from_utf8_lossy(&file).contains("password\":"),
        "no password travels in a profile"
    );

    let member = Office::new();
    // The member had Westerlo with an old mailbox, and Lier, which the team no longer works
    // with, beside the demo register the tests share.
    let now = at("2026-01-10T09:00:00+01:00");
    for input in [
        entry("ocmw:13049", "OCMW Westerlo", "oud@westerlo.be"),
        entry("ocmw:12021", "OCMW Lier", "sociaal@lier.be"),
    ] {
        Agreement::save(&member.store, &member.gazetteer, None, input, now).unwrap();
    }
    let before = Agreement::list(&member.store).unwrap().len();
    let preview = inspect_profile(&member.store, &file).unwrap();
    assert!(!preview.pinned);
    assert_eq!(preview.fingerprint, own_fingerprint(&boss.store).unwrap());
    assert_eq!(preview.fingerprint.split(' ').count(), 8);
    assert_eq!(
        (preview.members, preview.team.as_str()),
        (2, "Lokaal team Westerlo")
    );

    let applied = apply(&member, &file, Some(&preview.fingerprint.to_lowercase())).unwrap();
    // Geel is new, Westerlo changed, Lier is ended on the day the profile was signed, and
    // nothing is deleted.
    assert_eq!((applied.added, applied.updated, applied.ended), (1, 1, 1));
    assert!(applied.kept.is_empty());
    assert!(
        applied.message.contains("1 stopgezet"),
        "{}",
        applied.message
    );
    let after = Agreement::list(&member.store).unwrap();
    assert_eq!(after.len(), before + 1);
    let lier = after.iter().find(|a| a.name == "OCMW Lier").unwrap();
    assert_eq!(
        lier.ends_on,
        Some(chrono::NaiveDate::from_ymd_opt(2026, 1, 15).unwrap())
    );
    assert!(lier.stopped_on.is_some());
    let mut got = register(&member);
    got.sort();
    assert_eq!(
        got,
        vec![
            ("ocmw:13008".to_owned(), "sociaal@ocmwgeel.be".to_owned()),
            ("ocmw:13049".to_owned(), "info.ocmw@westerlo.be".to_owned()),
        ]
    );
    assert_eq!(members(&member.store).unwrap(), team_members());

    // Pinned now: a later profile of the same key applies without asking again, and an
    // unchanged register makes no new versions.
    let westerlo = after.iter().find(|a| a.name == "OCMW Westerlo").unwrap();
    let later = signed_profile(&boss, "2026-03-01T09:00:00+01:00");
    assert!(inspect_profile(&member.store, &later).unwrap().pinned);
    let again = apply(&member, &later, None).unwrap();
    assert_eq!((again.added, again.updated, again.ended), (0, 0, 0));
    assert_eq!(
        Agreement::get(&member.store, westerlo.id).unwrap().version,
        westerlo.version
    );
}

#[test]
fn the_first_import_needs_the_confirmed_fingerprint_and_pins_nothing_without_it() {
    let boss = supervisor();
    let file = signed_profile(&boss, "2026-01-15T09:00:00+01:00");
    let member = Office::new();
    for wrong in [None, Some("0000 0000 0000 0000 0000 0000 0000 0000")] {
        let e = apply(&member, &file, wrong).unwrap_err();
        assert_eq!(e.code(), "team.unconfirmed");
    }
    assert!(register(&member).is_empty());
    assert!(!inspect_profile(&member.store, &file).unwrap().pinned);
}

#[test]
fn a_profile_signed_with_another_key_is_refused_after_pinning() {
    let boss = supervisor();
    let file = signed_profile(&boss, "2026-01-15T09:00:00+01:00");
    let member = Office::new();
    let fingerprint = inspect_profile(&member.store, &file).unwrap().fingerprint;
    apply(&member, &file, Some(&fingerprint)).unwrap();

    let impostor = supervisor();
    let forged = signed_profile(&impostor, "2026-02-15T09:00:00+01:00");
    let e = inspect_profile(&member.store, &forged).unwrap_err();
    assert_eq!(e.code(), "team.other_key");
    assert!(e.to_string().contains(&fingerprint), "{e}");
    assert_eq!(
        apply(&member, &forged, None).unwrap_err().code(),
        "team.other_key"
    );
}

#[test]
fn any_changed_byte_in_the_signed_profile_is_refused() {
    let boss = supervisor();
    let file = signed_profile(&boss, "2026-01-15T09:00:00+01:00");
    let envelope: serde_json::Value = serde_json::from_slice(&file).unwrap();
    let profile = envelope["profile"].as_str().unwrap().as_bytes().to_vec();
    let member = Office::new();
    for i in (0..profile.len()).step_by(7) {
        let mut bytes = profile.clone();
        // Stay within ASCII so the profile is still a string a JSON parser accepts.
        bytes[i] = if bytes[i] == b'x' { b'y' } else { b'x' };
        let mut tampered = envelope.clone();
        tampered["profile"] = String::from_utf8(bytes).unwrap().into();
        let tampered = serde_json::to_vec(&tampered).unwrap();
        let e = inspect_profile(&member.store, &tampered).unwrap_err();
        assert_eq!(e.code(), "team.signature", "byte {i}");
    }
    assert!(register(&member).is_empty());
}

#[test]
fn an_older_profile_is_refused_as_a_replay() {
    let boss = supervisor();
    let old = signed_profile(&boss, "2026-01-15T09:00:00+01:00");
    let new = signed_profile(&boss, "2026-03-01T09:00:00+01:00");
    let member = Office::new();
    let fingerprint = inspect_profile(&member.store, &new).unwrap().fingerprint;
    apply(&member, &new, Some(&fingerprint)).unwrap();
    assert_eq!(
        inspect_profile(&member.store, &old).unwrap_err().code(),
        "team.older"
    );
}

#[test]
fn only_a_supervisor_signs_and_the_key_survives_a_restart() {
    let office = Office::new();
    assert_eq!(role(&office.store).unwrap(), Role::Member);
    assert_eq!(
        export_profile(&office.store, at("2026-01-15T09:00:00+01:00"))
            .unwrap_err()
            .code(),
        "team.not_supervisor"
    );
    set_role(&office.store, Role::Supervisor).unwrap();
    let first = own_fingerprint(&office.store).unwrap();
    assert_eq!(
        own_fingerprint(&office.store).unwrap(),
        first,
        "one key, made once"
    );
    assert_eq!(role(&office.store).unwrap(), Role::Supervisor);
}

#[test]
fn members_are_checked_row_by_row() {
    let office = Office::new();
    let e = save_members(
        &office.store,
        vec![
            member("An Peeters", "an.peeters@example.be"),
            member("", "geen-adres"),
            Member {
                name: "An bis".into(),
                email: "AN.PEETERS@example.be".into(),
                public_key: "geen sleutel".into(),
            },
        ],
    )
    .unwrap_err();
    let fields: Vec<String> = e.fields().into_iter().map(|f| f.field).collect();
    assert_eq!(
        fields,
        [
            "members.1.name",
            "members.1.email",
            "members.2.email",
            "members.2.public_key"
        ]
    );
    assert!(members(&office.store).unwrap().is_empty());
}

#[test]
fn the_teams_microsoft_365_sign_in_travels_with_the_profile_but_no_account_or_secret() {
    use crate::outbox::settings::{self, OAuthSetup, SignInMethod, SmtpInput};
    use crate::outbox::smtp::Security;
    let boss = supervisor();
    settings::save(
        &boss.store,
        SmtpInput {
            host: "smtp.office365.com".into(),
            port: 587,
            security: Security::StartTls,
            username: "leiding@kindengezin.be".into(),
            password: Zeroizing::new(String::new()),
            ca_pem: String::new(),
            imap_host: "outlook.office365.com".into(),
            imap_port: 993,
            imap_security: Security::Tls,
            sign_in: SignInMethod::Microsoft365,
            oauth: OAuthSetup {
                tenant: "kindengezin.be".into(),
                client_id: "11111111-2222-3333-4444-555555555555".into(),
                ..OAuthSetup::default()
            },
        },
    )
    .unwrap();
    let file = signed_profile(&boss, "2026-01-15T09:00:00+01:00");
    let text = String::from_utf8_lossy(&file);
    assert!(text.contains("11111111-2222-3333-4444-555555555555"));
    assert!(
        !text.contains("leiding@kindengezin.be"),
        "the account is the member's own"
    );

    let member = Office::new();
    let fingerprint = inspect_profile(&member.store, &file).unwrap().fingerprint;
    let preview = inspect_profile(&member.store, &file).unwrap();
    assert_eq!(
        preview.mail.as_deref(),
        Some("Microsoft 365 (tenant kindengezin.be)")
    );
    let applied = apply(&member, &file, Some(&fingerprint)).unwrap();
    assert!(
        applied.message.contains("Microsoft 365"),
        "{}",
        applied.message
    );
    let view = settings::view(&member.store).unwrap().unwrap();
    assert_eq!(view.sign_in, SignInMethod::Microsoft365);
    assert_eq!(view.oauth.tenant, "kindengezin.be");
    assert_eq!(view.host, "smtp.office365.com");
    assert_eq!(view.imap_host, "outlook.office365.com");
    assert_eq!(view.username, "", "the member fills in their own account");
}
