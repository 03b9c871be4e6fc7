use super::*;
use crate::client::Address;

fn client() -> ClientData {
    ClientData {
        first_name: "Nguyễn Thị".into(),
        last_name: "Ánh".into(),
        address: Address {
            street: "Boerenkrijglaan".into(),
            house_number: "12".into(),
            r#box: Some("3".into()),
            postal_code: "2260".into(),
            municipality_code: "13049".into(),
            municipality: "Westerlo".into(),
        },
        phone: Some("+32470123456".into()),
        email: None,
    }
}

fn ctx() -> Context<'static> {
    Context {
        recipient_name: "OCMW Westerlo",
        dpo_email: "dpo@ocmw-westerlo.example",
        worker_contact: "An Peeters, Lokaal team Westerlo",
    }
}

fn all() -> Vec<String> {
    POINT_KEYS.iter().map(|k| (*k).to_owned()).collect()
}

#[test]
fn every_language_renders_five_concrete_points() {
    let version = current_version().unwrap();
    for language in [Language::Nl, Language::Fr, Language::En] {
        let five = FivePoints::render(&version, language, &client(), &ctx()).unwrap();
        assert_eq!(five.points.len(), 5);
        let text = five.canonical_text();
        for needle in [
            "Nguyễn Thị Ánh",
            "Boerenkrijglaan 12",
            "2260 Westerlo",
            "0470 12 34 56",
            "OCMW Westerlo",
            "dpo@ocmw-westerlo.example",
            "An Peeters",
        ] {
            assert!(text.contains(needle), "{language:?} lacks {needle}");
        }
        assert!(
            !text.contains('{'),
            "{language:?} has an unfilled placeholder: {text}"
        );
    }
}

#[test]
fn consent_cannot_be_recorded_with_a_point_unticked() {
    let five =
        FivePoints::render(&current_version().unwrap(), Language::Nl, &client(), &ctx()).unwrap();
    for skip in POINT_KEYS {
        let ticked: Vec<String> = all().into_iter().filter(|k| k != skip).collect();
        let err = five.explained(&ticked).unwrap_err();
        assert_eq!(err.code(), "consent.not_explained");
        let title = &five.points.iter().find(|p| p.key == skip).unwrap().title;
        assert!(err.to_string().contains(title.as_str()), "{err}");
    }
    assert!(five.explained(&[]).is_err());
    assert!(five.explained(&all()).is_ok());
}

#[test]
fn the_hash_is_reproducible_from_the_stored_version_and_differs_per_language_and_client() {
    let version = current_version().unwrap();
    let a = FivePoints::render(&version, Language::Nl, &client(), &ctx()).unwrap();
    let b = FivePoints::render(&version, Language::Nl, &client(), &ctx()).unwrap();
    assert_eq!(a.sha256, b.sha256);
    assert_eq!(
        a.sha256,
        hex::encode(Sha256::digest(a.canonical_text().as_bytes()))
    );
    let fr = FivePoints::render(&version, Language::Fr, &client(), &ctx()).unwrap();
    assert_ne!(a.sha256, fr.sha256);
    let mut other = client();
    other.phone = None;
    let c = FivePoints::render(&version, Language::Nl, &other, &ctx()).unwrap();
    assert_ne!(a.sha256, c.sha256);

    let record = a
        .explained(&all())
        .unwrap()
        .consent(
            Reference::parse("AM-ABCD-EFGH").unwrap(),
            Recipient::Ocmw("13049".into()),
            "An Peeters",
            DateTime::parse_from_rfc3339("2026-11-22T10:15:00+01:00").unwrap(),
        )
        .unwrap();
    let again =
        FivePoints::render(record.text_version(), record.language(), &client(), &ctx()).unwrap();
    assert_eq!(again.sha256, record.text_sha256());
    assert_eq!(record.given_at().offset().local_minus_utc(), 3600);
}

#[test]
fn consent_needs_the_workers_name() {
    let five =
        FivePoints::render(&current_version().unwrap(), Language::En, &client(), &ctx()).unwrap();
    let err = five
        .explained(&all())
        .unwrap()
        .consent(
            Reference::parse("AM-ABCD-EFGH").unwrap(),
            Recipient::Ocmw("13049".into()),
            "  ",
            DateTime::parse_from_rfc3339("2026-11-22T10:15:00+01:00").unwrap(),
        )
        .unwrap_err();
    assert_eq!(err.code(), "consent.no_worker");
}

#[test]
fn an_unknown_version_is_refused() {
    let err = FivePoints::render("1999-1", Language::Nl, &client(), &ctx()).unwrap_err();
    assert_eq!(err.code(), "consent.unknown_version");
}
