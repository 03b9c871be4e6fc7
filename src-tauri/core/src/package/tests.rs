use super::*;
use crate::consent::Language;
use crate::referral::ClientInput;
use crate::testing::{Office, at};
use crate::visit::Visit;

fn consented(f: &Office, first_name: &str) -> Reference {
    let input = ClientInput {
        first_name: first_name.into(),
        last_name: "Đorđević".into(),
        street: "Boerenkrijglaan".into(),
        house_number: "12".into(),
        postal_code: "2260".into(),
        phone: "0470 12 34 56".into(),
        ..Default::default()
    };
    f.consented(&input, Language::En, at("2026-11-22T10:15:00+01:00"))
}

#[test]
fn a_package_is_built_once_stored_and_named_neutrally() {
    let f = Office::new();
    let reference = consented(&f, "Zoë");
    let packages = f.packages();
    let now = at("2026-11-22T10:20:00+01:00");
    let view = packages.build(&reference, now).unwrap();
    assert_eq!(view.file_name, format!("aanmelding-{reference}.7z"));
    assert!(!view.file_name.contains("Zo") && !view.file_name.contains("Westerlo"));
    assert_eq!(view.password.len(), 19);
    assert_eq!(view.password_phone, "014 00 00 00");
    assert_eq!(view.recipient_name, "OCMW Westerlo");
    // Building again returns the same package, not a second one with another password.
    let again = packages.build(&reference, now).unwrap();
    assert_eq!(again.password, view.password);
    let archive = packages.archive(&reference).unwrap();
    assert_eq!(archive.file_name, view.file_name);
    assert!(archive.bytes.starts_with(b"7z\xBC\xAF\x27\x1C"));
    assert!(!archive.bytes.windows(3).any(|w| w == "Zoë".as_bytes()));
}

#[test]
fn a_draft_or_refusal_cannot_be_packaged() {
    let f = Office::new();
    let visit = Visit::new(&f.store, &f.gazetteer);
    let input = ClientInput {
        first_name: "Zoë".into(),
        last_name: "Müller".into(),
        street: "Kerkstraat".into(),
        house_number: "1".into(),
        postal_code: "2260".into(),
        ..Default::default()
    };
    let now = at("2026-11-22T10:15:00+01:00");
    let draft = visit.start(&input, now).unwrap().referral.reference;
    let packages = f.packages();
    assert_eq!(
        packages.build(&draft, now).unwrap_err().code(),
        "referral.not_ready"
    );
    visit.refuse(&draft, &[], now).unwrap();
    assert_eq!(
        packages.build(&draft, now).unwrap_err().code(),
        "referral.not_ready"
    );
}

#[test]
fn no_package_after_the_protocol_ended() {
    let f = Office::new();
    let input = ClientInput {
        first_name: "Zoë".into(),
        last_name: "Đorđević".into(),
        street: "Boerenkrijglaan".into(),
        house_number: "12".into(),
        postal_code: "2260".into(),
        ..Default::default()
    };
    let visit = f.visit();
    let started = at("2026-11-30T16:00:00+01:00");
    let reference = visit.start(&input, started).unwrap().referral.reference;
    let five = visit
        .five_points(&reference, Language::En, started)
        .unwrap();
    f.store
        .conn()
        .execute(
            "UPDATE agreement SET protocol_until = '2026-11-30' WHERE recipient = 'ocmw:13049'",
            [],
        )
        .unwrap();
    // Consent makes the package; the day after the protocol's end, neither is recorded.
    let err = visit
        .consent(
            &crate::visit::ConsentInput {
                reference: reference.clone(),
                language: Language::En,
                explained: crate::consent::POINT_KEYS
                    .iter()
                    .map(|k| (*k).to_owned())
                    .collect(),
                shown_sha256: five.sha256,
            },
            at("2026-12-01T09:00:00+01:00"),
        )
        .unwrap_err();
    assert_eq!(err.code(), "agreement.ended");
    let packages = f.packages();
    assert!(
        packages
            .view(&reference, at("2026-12-01T09:00:00+01:00"))
            .unwrap()
            .is_none()
    );
}

#[test]
fn every_package_has_a_password_of_its_own() {
    let f = Office::new();
    let packages = f.packages();
    let first = packages
        .build(&consented(&f, "Zoë"), at("2026-11-22T10:20:00+01:00"))
        .unwrap();
    let second = packages
        .build(&consented(&f, "Ayşe"), at("2026-11-22T10:21:00+01:00"))
        .unwrap();
    assert_ne!(first.password, second.password);
    assert_eq!(first.password.len(), 19);
}

#[test]
fn passing_the_password_is_recorded_with_time_and_channel() {
    let f = Office::new();
    let reference = consented(&f, "Zoë");
    let packages = f.packages();
    packages
        .build(&reference, at("2026-11-22T10:20:00+01:00"))
        .unwrap();
    let view = packages
        .password_passed(&reference, Channel::Sms, at("2026-11-22T10:25:00+01:00"))
        .unwrap();
    assert_eq!(view.password_channel, Some(Channel::Sms));
    assert_eq!(
        view.password_passed_at.as_deref(),
        Some("2026-11-22T10:25:00+01:00")
    );
    let kinds: Vec<String> = f
        .store
        .conn()
        .prepare("SELECT kind FROM ledger WHERE reference = ?1 ORDER BY seq")
        .unwrap()
        .query_map([reference.as_str()], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        kinds,
        [
            "created",
            "explained",
            "consented",
            "packaged",
            "password_passed"
        ]
    );
}

#[test]
fn the_json_holds_the_four_fields_the_consent_and_the_referrer_and_nothing_else() {
    let f = Office::new();
    let reference = consented(&f, "Zoë");
    let now = at("2026-11-22T10:20:00+01:00");
    let (ready, contents) = f.packages().contents(&reference, now).unwrap();
    let json: serde_json::Value = serde_json::from_slice(&contents.json().unwrap()).unwrap();
    assert_eq!(json["schema"], SCHEMA);
    assert_eq!(json["schema_version"], SCHEMA_VERSION);
    assert_eq!(json["reference"], reference.as_str());
    let client = json["client"].as_object().unwrap();
    let mut keys: Vec<&str> = client.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        ["address", "email", "first_name", "last_name", "phone"]
    );
    assert_eq!(json["client"]["address"]["municipality"], "Westerlo");
    assert_eq!(json["consent"]["language"], "en");
    assert_eq!(
        json["consent"]["points_explained"]
            .as_array()
            .unwrap()
            .len(),
        5
    );
    assert_eq!(json["referrer"]["phone"], "+3214123456");
    assert_eq!(json["recipient"]["kbo"], "0212.181.956");

    // A protocol for another partner cannot be used for this referral.
    let other =
        Agreement::for_recipient(&f.store, &Recipient::Ocmw("24020".into()), now.date_naive())
            .unwrap()
            .unwrap();
    let wrong = other.in_force_on(now.date_naive()).unwrap();
    let (agreement, referrer) = parties(&f.store, ready.id).unwrap();
    let kind = PackageKind::Referral;
    let err = Contents::compose(kind, &ready, &wrong, &agreement, referrer, now).unwrap_err();
    assert_eq!(err.code(), "package.recipient_mismatch");
}

/// The row of `reference` in the referral list.
fn row(f: &Office, reference: &Reference) -> ListedReferral {
    f.packages()
        .referrals()
        .unwrap()
        .into_iter()
        .find(|r| &r.referral.reference == reference)
        .unwrap()
}

#[test]
fn a_referral_has_one_status_from_its_outbox_item_and_only_the_actions_its_owners_allow() {
    let f = Office::new();
    let now = at("2026-11-22T10:20:00+01:00");
    let visit = Visit::new(&f.store, &f.gazetteer);
    let input = crate::testing::client("Zoë", "Müller", "2260");

    let draft = visit.start(&input, now).unwrap().referral.reference;
    let listed = row(&f, &draft);
    assert_eq!(listed.stage, Stage::Draft);
    assert!(listed.can_discard && !listed.can_correct && !listed.can_open_package);

    // Sent: one status, "Verzonden · wacht op bevestiging", and a correction may follow.
    let sent = f.sent(&input, now);
    let listed = row(&f, &sent);
    assert_eq!(listed.stage, Stage::Sent);
    assert!(listed.package.as_ref().unwrap().sent_at.is_some());
    assert!(listed.can_correct && !listed.can_discard && listed.withdrawal_tells_partner);

    // Consent: the demo partner is reached by mail program, so the package waits for a draft.
    let waiting = consented(&f, "Mira");
    f.packages().build(&waiting, now).unwrap();
    let listed = row(&f, &waiting);
    assert_eq!(listed.stage, Stage::ForMailProgram);
    assert_eq!(listed.stage_label, Stage::ForMailProgram.label());
    assert_eq!(listed.package.as_ref().unwrap().state, ItemState::Queued);
    // On its way: neither deleted (it is withdrawn instead) nor corrected (nothing went yet).
    assert!(!listed.can_discard && !listed.can_correct && listed.can_open_package);
    assert!(!listed.withdrawal_tells_partner);

    // Withdrawn after the send: its own status, whatever the package did.
    crate::withdrawal::withdraw(
        &f.store,
        &f.gazetteer,
        &crate::withdrawal::WithdrawalInput {
            reference: sent.clone(),
            said_on: "22/11/2026".into(),
            how: crate::withdrawal::How::Phone,
        },
        now,
    )
    .unwrap();
    let listed = row(&f, &sent);
    assert_eq!(listed.stage, Stage::Withdrawn);
    assert!(!listed.can_correct && !listed.can_discard);
    // The notice to the partner is the package to show now.
    assert!(listed.can_open_package);
}
