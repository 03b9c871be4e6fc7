use chrono::{DateTime, FixedOffset};

use super::*;
use crate::consent::{Language, POINT_KEYS};
use crate::testing::{Office, zoe};
use crate::visit::ConsentInput;

fn gazetteer() -> Gazetteer {
    Gazetteer::embedded().unwrap()
}

fn at(text: &str) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(text).unwrap()
}

fn with(change: impl Fn(&mut ClientInput)) -> ClientInput {
    let mut input = zoe();
    change(&mut input);
    input
}

#[test]
fn at_least_forty_bad_inputs_each_name_their_field_in_dutch() {
    let long = "a".repeat(500);
    let cases: Vec<(ClientInput, &str, &str)> = vec![
        (
            with(|i| i.first_name = String::new()),
            "first_name",
            "Voornaam: vul dit in.",
        ),
        (
            with(|i| i.first_name = "   ".into()),
            "first_name",
            "Voornaam: vul dit in.",
        ),
        (
            with(|i| i.first_name = long.clone()),
            "first_name",
            "Voornaam: gebruik hoogstens 60",
        ),
        (
            with(|i| i.first_name = "Zo\u{0}ë".into()),
            "first_name",
            "Voornaam: verwijder",
        ),
        (
            with(|i| i.first_name = "Zoë\tAnn".into()),
            "first_name",
            "Voornaam: verwijder",
        ),
        (
            with(|i| i.first_name = "Zoë\nAnn".into()),
            "first_name",
            "Voornaam: verwijder",
        ),
        (
            with(|i| i.first_name = "Zoë 😀".into()),
            "first_name",
            "Voornaam: gebruik alleen letters",
        ),
        (
            with(|i| i.first_name = "<b>Zoë</b>".into()),
            "first_name",
            "Voornaam: gebruik alleen letters",
        ),
        (
            with(|i| i.first_name = "<script>alert(1)</script>".into()),
            "first_name",
            "Voornaam: gebruik alleen letters",
        ),
        (
            with(|i| i.first_name = "Robert'); DROP TABLE referral;--".into()),
            "first_name",
            "Voornaam: gebruik alleen letters",
        ),
        (
            with(|i| i.first_name = "Zoë2".into()),
            "first_name",
            "Voornaam: gebruik alleen letters",
        ),
        (
            with(|i| i.first_name = "--".into()),
            "first_name",
            "Voornaam: gebruik alleen letters",
        ),
        (
            with(|i| i.last_name = String::new()),
            "last_name",
            "Achternaam: vul dit in.",
        ),
        (
            with(|i| i.last_name = long.clone()),
            "last_name",
            "Achternaam: gebruik hoogstens 80",
        ),
        (
            with(|i| i.last_name = "Müller\u{202E}".into()),
            "last_name",
            "Achternaam: verwijder",
        ),
        (
            with(|i| i.last_name = "' OR '1'='1".into()),
            "last_name",
            "Achternaam: gebruik alleen letters",
        ),
        (
            with(|i| i.last_name = "Müller & Zn".into()),
            "last_name",
            "Achternaam: gebruik alleen letters",
        ),
        (
            with(|i| i.last_name = "🙂".into()),
            "last_name",
            "Achternaam: gebruik alleen letters",
        ),
        (
            with(|i| i.street = String::new()),
            "street",
            "Straat: vul dit in.",
        ),
        (
            with(|i| i.street = long.clone()),
            "street",
            "Straat: gebruik hoogstens 100",
        ),
        (
            with(|i| i.street = "<img src=x onerror=alert(1)>".into()),
            "street",
            "Straat: typ alleen",
        ),
        (
            with(|i| i.street = "12".into()),
            "street",
            "Straat: typ alleen",
        ),
        (
            with(|i| i.street = "Kerkstraat; DELETE FROM event".into()),
            "street",
            "Straat: typ alleen",
        ),
        (
            with(|i| i.house_number = String::new()),
            "house_number",
            "Huisnummer: vul dit in.",
        ),
        (
            with(|i| i.house_number = "A12".into()),
            "house_number",
            "Huisnummer: begin met een cijfer",
        ),
        (
            with(|i| i.house_number = "12345678901".into()),
            "house_number",
            "Huisnummer: gebruik hoogstens 10",
        ),
        (
            with(|i| i.house_number = "12<".into()),
            "house_number",
            "Huisnummer: begin met een cijfer",
        ),
        (
            with(|i| i.r#box = "bus 3 <b>".into()),
            "box",
            "Bus: typ alleen",
        ),
        (
            with(|i| i.r#box = "12345678901".into()),
            "box",
            "Bus: gebruik hoogstens 10",
        ),
        (
            with(|i| i.postal_code = String::new()),
            "postal_code",
            "Postcode: een Belgische postcode heeft vier cijfers",
        ),
        (
            with(|i| i.postal_code = "9999".into()),
            "postal_code",
            "Postcode: 9999 is geen Belgische postcode",
        ),
        (
            with(|i| i.postal_code = "22600".into()),
            "postal_code",
            "Postcode: een Belgische postcode",
        ),
        (
            with(|i| i.postal_code = "B-2260".into()),
            "postal_code",
            "Postcode: een Belgische postcode",
        ),
        (
            with(|i| i.postal_code = "5000".into()),
            "municipality",
            "Gemeente: Namen ligt in het Waals Gewest",
        ),
        (
            with(|i| i.postal_code = "4700".into()),
            "municipality",
            "Gemeente: Eupen ligt in de Duitstalige Gemeenschap",
        ),
        (
            with(|i| i.postal_code = "1804".into()),
            "municipality",
            "Gemeente: kies een van de gemeenten",
        ),
        (
            with(|i| {
                i.postal_code = "1804".into();
                i.municipality_code = "13049".into()
            }),
            "municipality",
            "Gemeente: kies",
        ),
        (
            with(|i| i.phone = "12".into()),
            "phone",
            "Telefoon: dit is geen geldig telefoonnummer",
        ),
        (
            with(|i| i.phone = "bel me maar".into()),
            "phone",
            "Telefoon: dit is geen geldig telefoonnummer",
        ),
        (
            with(|i| i.phone = "+31 6 1234".into()),
            "phone",
            "Telefoon: dit is geen geldig telefoonnummer",
        ),
        (
            with(|i| i.phone = "+33 1 23".into()),
            "phone",
            "Telefoon: dit is geen geldig telefoonnummer",
        ),
        (
            with(|i| i.phone = "+49 30 1".into()),
            "phone",
            "Telefoon: dit is geen geldig telefoonnummer",
        ),
        (
            with(|i| i.phone = "+44 20 7".into()),
            "phone",
            "Telefoon: dit is geen geldig telefoonnummer",
        ),
        (
            with(|i| i.phone = "+90 212".into()),
            "phone",
            "Telefoon: dit is geen geldig telefoonnummer",
        ),
        (
            with(|i| i.phone = "+212 5".into()),
            "phone",
            "Telefoon: dit is geen geldig telefoonnummer",
        ),
        (
            with(|i| i.phone = "0470 12 34 56 78 90".into()),
            "phone",
            "Telefoon: dit is geen geldig telefoonnummer",
        ),
        (
            with(|i| i.email = "zoe".into()),
            "email",
            "E-mail: dit is geen geldig e-mailadres",
        ),
        (
            with(|i| i.email = "zoe@".into()),
            "email",
            "E-mail: dit is geen geldig",
        ),
        (
            with(|i| i.email = "@example.be".into()),
            "email",
            "E-mail: dit is geen geldig",
        ),
        (
            with(|i| i.email = "zoe@example".into()),
            "email",
            "E-mail: dit is geen geldig",
        ),
        (
            with(|i| i.email = "zoe müller@example.be".into()),
            "email",
            "E-mail: dit is geen geldig",
        ),
        (
            with(|i| i.email = "zoe@@example.be".into()),
            "email",
            "E-mail: dit is geen geldig",
        ),
        (
            with(|i| i.email = "zoe@example..be".into()),
            "email",
            "E-mail: dit is geen geldig",
        ),
        (
            with(|i| i.email = "<zoe@example.be>".into()),
            "email",
            "E-mail: dit is geen geldig",
        ),
        (
            with(|i| i.email = format!("{long}@example.be")),
            "email",
            "E-mail: dit is geen geldig",
        ),
    ];
    assert!(cases.len() >= 40, "{}", cases.len());
    let g = gazetteer();
    for (input, field, start) in &cases {
        let err = ClientData::validate(input, &g).unwrap_err();
        let fields = err.fields();
        assert_eq!(fields.len(), 1, "{input:?}: {fields:?}");
        assert_eq!(fields[0].field, *field, "{input:?}");
        assert!(
            fields[0].message.starts_with(start),
            "{input:?}: {}",
            fields[0].message
        );
    }
}

#[test]
fn every_problem_is_reported_at_once() {
    let input = ClientInput {
        postal_code: "9999".into(),
        ..ClientInput::default()
    };
    let fields: Vec<String> = ClientData::validate(&input, &gazetteer())
        .unwrap_err()
        .fields()
        .into_iter()
        .map(|f| f.field)
        .collect();
    assert_eq!(
        fields,
        [
            "first_name",
            "last_name",
            "street",
            "house_number",
            "postal_code"
        ]
    );
}

#[test]
fn real_names_addresses_and_numbers_from_six_countries_are_accepted() {
    let g = gazetteer();
    let names = [
        ("Zoë", "Müller"),
        ("Ayşe", "Çelik"),
        ("Nguyễn Thị", "Ánh"),
        ("Søren", "Ørsted"),
        ("Đorđe", "Đorđević"),
        ("Mary-Ann", "O'Brien"),
        ("Jean", "St. Clair"),
        ("محمد", "العلي"),
    ];
    for (first, last) in names {
        let input = with(|i| {
            i.first_name = first.into();
            i.last_name = last.into();
        });
        let (client, _) = ClientData::validate(&input, &g).unwrap();
        assert_eq!(client.first_name, first);
    }
    // Decomposed accents are stored composed, so the same name is always the same bytes.
    let (client, _) =
        ClientData::validate(&with(|i| i.first_name = "Zoe\u{308}".into()), &g).unwrap();
    assert_eq!(client.first_name, "Zoë");
    let phones = [
        ("0470 12 34 56", "+32470123456"),
        ("014 12 34 56", "+3214123456"),
        ("+31 6 12345678", "+31612345678"),
        ("+33 6 12 34 56 78", "+33612345678"),
        ("+49 30 12345678", "+493012345678"),
        ("+44 20 7946 0958", "+442079460958"),
        ("+90 532 123 45 67", "+905321234567"),
        ("+212 6 12 34 56 78", "+212612345678"),
    ];
    for (typed, e164) in phones {
        let (client, _) = ClientData::validate(&with(|i| i.phone = typed.into()), &g).unwrap();
        assert_eq!(client.phone.as_deref(), Some(e164), "{typed}");
    }
    let (client, recipient) = ClientData::validate(
        &with(|i| {
            i.street = "  Sint-Jansstraat  ".into();
            i.house_number = "12-14".into();
            i.r#box = "0201".into();
            i.postal_code = "1804".into();
            i.municipality_code = "23096".into();
        }),
        &g,
    )
    .unwrap();
    assert_eq!(
        client.address.to_string(),
        "Sint-Jansstraat 12-14 bus 0201, 1804 Zemst"
    );
    assert_eq!(recipient, Recipient::Ocmw("23096".into()));
}

#[test]
fn no_phone_and_no_email_is_allowed_with_a_warning() {
    let (client, _) = ClientData::validate(
        &with(|i| {
            i.phone = String::new();
            i.email = String::new();
        }),
        &gazetteer(),
    )
    .unwrap();
    assert_eq!(client.warnings().len(), 1);
    let (client, _) = ClientData::validate(&zoe(), &gazetteer()).unwrap();
    assert!(client.warnings().is_empty());
}

#[test]
fn references_carry_no_personal_data_and_parse_back() {
    let mut seen = std::collections::HashSet::new();
    for _ in 0..1000 {
        let r = Reference::generate().unwrap();
        assert_eq!(
            Reference::parse(&r.as_str().to_lowercase()),
            Some(r.clone())
        );
        assert!(seen.insert(r));
    }
    assert_eq!(Reference::parse("AM-ILOU-0000"), None);
}

impl Office {
    fn count(&self, sql: &str) -> i64 {
        self.store.conn().query_row(sql, [], |r| r.get(0)).unwrap()
    }
}

fn all_points() -> Vec<String> {
    POINT_KEYS.iter().map(|k| (*k).to_owned()).collect()
}

#[test]
fn consent_makes_a_draft_ready_and_records_what_the_client_was_told() {
    let f = Office::new();
    let now = at("2026-11-22T10:15:00+01:00");
    let started = f.visit().start(&zoe(), now).unwrap();
    let reference = started.referral.reference.clone();
    assert_eq!(started.referral.status, Status::Draft);
    assert_eq!(started.referral.recipient_name, "OCMW Westerlo");

    let five = f
        .visit()
        .five_points(&reference, Language::Fr, now)
        .unwrap();
    let unticked = ConsentInput {
        reference: reference.clone(),
        language: Language::Fr,
        explained: all_points()[..4].to_vec(),
        shown_sha256: five.sha256.clone(),
    };
    let err = f.visit().consent(&unticked, now).unwrap_err();
    assert_eq!(err.code(), "consent.not_explained");
    assert_eq!(f.count("SELECT count(*) FROM consent"), 0);

    let stale = ConsentInput {
        explained: all_points(),
        shown_sha256: "0".repeat(64),
        ..unticked.clone()
    };
    assert_eq!(
        f.visit().consent(&stale, now).unwrap_err().code(),
        "consent.text_changed"
    );

    let ok = ConsentInput {
        explained: all_points(),
        ..unticked
    };
    let ready = f.visit().consent(&ok, now).unwrap();
    assert_eq!(ready.status, Status::Ready);
    let (sha, language, version, given_at, worker): (String, String, String, String, String) = f
        .store
        .conn()
        .query_row(
            "SELECT text_sha256, language, text_version, given_at, worker FROM consent",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
        )
        .unwrap();
    assert_eq!(
        (sha.as_str(), language.as_str()),
        (five.sha256.as_str(), "fr")
    );
    assert_eq!(version, crate::consent::current_version().unwrap());
    assert_eq!(given_at, "2026-11-22T10:15:00+01:00");
    assert_eq!(worker, "An Peeters");
    // A second answer for the same referral is refused.
    assert_eq!(
        f.visit().consent(&ok, now).unwrap_err().code(),
        "referral.not_a_draft"
    );
    assert_eq!(
        f.visit().refuse(&reference, &[], now).unwrap_err().code(),
        "referral.not_a_draft"
    );
}

#[test]
fn no_referral_starts_or_becomes_ready_outside_the_protocols_dates() {
    let f = Office::new();
    f.store
        .conn()
        .execute(
            "UPDATE agreement SET protocol_from = '2026-01-01', protocol_until = '2026-12-31'
             WHERE recipient = 'ocmw:13049'",
            [],
        )
        .unwrap();
    let before = f
        .visit()
        .start(&zoe(), at("2025-12-31T09:00:00+01:00"))
        .unwrap_err();
    assert_eq!(before.code(), "agreement.not_yet_in_force");
    let after = f
        .visit()
        .start(&zoe(), at("2027-01-01T09:00:00+01:00"))
        .unwrap_err();
    assert_eq!(after.code(), "agreement.ended");
    assert_eq!(
        f.count("SELECT count(*) FROM referral"),
        0,
        "nothing is stored when refused"
    );

    // Started on the last day, answered after the end: consent cannot make it ready.
    let last_day = at("2026-12-31T23:50:00+01:00");
    let reference = f
        .visit()
        .start(&zoe(), last_day)
        .unwrap()
        .referral
        .reference;
    let five = f
        .visit()
        .five_points(&reference, Language::Nl, last_day)
        .unwrap();
    let input = ConsentInput {
        reference: reference.clone(),
        language: Language::Nl,
        explained: all_points(),
        shown_sha256: five.sha256,
    };
    let err = f
        .visit()
        .consent(&input, at("2027-01-01T00:10:00+01:00"))
        .unwrap_err();
    assert_eq!(err.code(), "agreement.ended");
    let referral = Referral::get(&f.store, &f.gazetteer, &reference).unwrap();
    assert_eq!(referral.status, Status::Draft);

    // No register entry at all: the worker is told which OCMW and whom to contact.
    let err = f
        .visit()
        .start(&with(|i| i.postal_code = "9000".into()), last_day)
        .unwrap_err();
    assert_eq!(err.code(), "agreement.none");
    assert!(err.to_string().contains("OCMW Gent") && err.to_string().contains("leidinggevende"));
}

#[test]
fn a_refusal_keeps_no_personal_data_only_an_anonymous_event() {
    let f = Office::new();
    let now = at("2026-11-22T10:15:00+01:00");
    let reference = f.visit().start(&zoe(), now).unwrap().referral.reference;
    // After all five points: the evaluation counts them as explained, then the refusal.
    let all: Vec<String> = crate::consent::POINT_KEYS
        .iter()
        .map(|k| (*k).to_owned())
        .collect();
    let refused = f.visit().refuse(&reference, &all, now).unwrap();
    assert_eq!(refused.status, Status::Refused);
    assert!(refused.client.is_none());
    assert_eq!(
        f.count(
            "SELECT count(*) FROM referral WHERE first_name IS NOT NULL OR last_name IS NOT NULL
               OR street IS NOT NULL OR phone IS NOT NULL OR email IS NOT NULL
               OR postal_code IS NOT NULL OR house_number IS NOT NULL"
        ),
        0
    );
    let events: Vec<(String, String, String, Option<String>)> = f
        .store
        .conn()
        .prepare("SELECT kind, at, recipient, reference FROM ledger ORDER BY seq")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let refused = &events[events.len() - 2..];
    let at = "2026-11-22T10:15:00+01:00".to_owned();
    let recipient = "ocmw:13049".to_owned();
    assert_eq!(
        refused,
        [
            ("explained".to_owned(), at.clone(), recipient.clone(), None),
            ("refused".to_owned(), at, recipient, None),
        ]
    );
    // Only the start of the referral carries its reference; the refusal cannot be tied to it.
    assert_eq!(events[0].0, "created");
}

#[test]
fn the_list_shows_status_and_no_name_for_a_refusal() {
    let f = Office::new();
    let now = at("2026-11-22T10:15:00+01:00");
    let kept = f.visit().start(&zoe(), now).unwrap().referral.reference;
    let later = at("2026-11-22T11:00:00+01:00");
    let gone = f
        .visit()
        .start(&with(|i| i.first_name = "Ayşe".into()), later)
        .unwrap()
        .referral
        .reference;
    f.visit().refuse(&gone, &[], later).unwrap();
    let list = Referral::list(&f.store, &f.gazetteer).unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(
        (list[0].reference.clone(), list[0].status),
        (gone, Status::Refused)
    );
    assert!(list[0].client.is_none());
    assert_eq!(
        (list[1].reference.clone(), list[1].status),
        (kept, Status::Draft)
    );
    assert_eq!(list[1].client.as_ref().unwrap().first_name, "Zoë");
}

#[test]
fn a_visit_cannot_start_before_the_workers_identity_is_complete() {
    let f = Office::new();
    f.store
        .conn()
        .execute("UPDATE worker_profile SET phone = ''", [])
        .unwrap();
    let err = f
        .visit()
        .start(&zoe(), at("2026-11-22T10:15:00+01:00"))
        .unwrap_err();
    assert_eq!(err.code(), "worker.incomplete");
    assert!(err.to_string().contains("Instellingen (telefoon)"), "{err}");
    assert_eq!(f.count("SELECT count(*) FROM referral"), 0);
}

#[test]
fn residence_check_guides_the_form() {
    let f = Office::new();
    let now = at("2026-11-22T10:15:00+01:00");
    let westerlo = f.visit().check_residence("2260", "", now).unwrap();
    assert_eq!(westerlo.recipient_name.as_deref(), Some("OCMW Westerlo"));
    assert!(westerlo.problem.is_none());
    let choose = f.visit().check_residence("1804", "", now).unwrap();
    assert_eq!(choose.municipalities.len(), 2);
    assert!(choose.recipient_name.is_none() && choose.problem.is_none());
    let wallonia = f.visit().check_residence("5000", "", now).unwrap();
    assert!(
        wallonia
            .problem
            .unwrap()
            .message
            .contains("geen wettelijke basis")
    );
    let brussels = f.visit().check_residence("1000", "", now).unwrap();
    // In Brussels the client hears the name of the CAW in the register.
    assert_eq!(
        brussels.recipient_name.as_deref(),
        Some("CAW Brussel (demo)")
    );
    let turnhout = f.visit().check_residence("2300", "", now).unwrap();
    assert!(turnhout.problem.unwrap().message.contains("liep af"));
    let unknown = f.visit().check_residence("9999", "", now).unwrap();
    assert_eq!(unknown.problem.unwrap().field, "postal_code");
}
