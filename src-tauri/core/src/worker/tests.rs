use super::*;
use crate::store::KeyProtection;

fn profile(name: &str, team: &str, email: &str, phone: &str) -> WorkerProfile {
    WorkerProfile {
        name: name.into(),
        team: team.into(),
        email: email.into(),
        phone: phone.into(),
    }
}

#[test]
fn valid_input_is_trimmed_and_the_phone_normalised() {
    let p = profile(
        "  An Peeters ",
        "Lokaal team Westerlo",
        "an.peeters@example.be ",
        "014 12 34 56",
    )
    .validated()
    .unwrap();
    assert_eq!(p.name, "An Peeters");
    assert_eq!(p.email, "an.peeters@example.be");
    assert_eq!(p.phone, "+3214123456");
    let mobile = profile("An", "", "", "0470 12 34 56").validated().unwrap();
    assert_eq!(mobile.phone, "+32470123456");
}

#[test]
fn each_bad_field_is_named_with_its_fix() {
    let cases = [
        (profile("", "", "", ""), "name", "Naam: vul dit in."),
        (profile("   ", "", "", ""), "name", "Naam: vul dit in."),
        (
            profile(&"x".repeat(101), "", "", ""),
            "name",
            "Naam: gebruik hoogstens",
        ),
        (profile("An\u{7}", "", "", ""), "name", "Naam: verwijder"),
        (profile("An", "Team\nB", "", ""), "team", "Team: verwijder"),
        (profile("An", "", "an@", ""), "email", "E-mailadres:"),
        (
            profile("An", "", "an peeters@example.be", ""),
            "email",
            "E-mailadres:",
        ),
        (profile("An", "", "", "12"), "phone", "Telefoon:"),
        (profile("An", "", "", "bel me"), "phone", "Telefoon:"),
    ];
    for (input, field, start) in cases {
        let err = input.clone().validated().unwrap_err();
        assert_eq!(err.field(), Some(field), "{input:?}");
        assert!(err.to_string().starts_with(start), "{input:?}: {err}");
    }
}

#[test]
fn the_profile_persists_in_the_store() {
    let (_dir, path, key, store) = crate::testing::keyring_store();
    assert_eq!(
        WorkerProfile::load(&store).unwrap(),
        WorkerProfile::default()
    );
    profile("An Peeters", "Team Kempen", "", "")
        .save(&store)
        .unwrap();
    let saved = profile("An Peeters-Çelik", "Team Kempen", "", "+31 6 12345678")
        .save(&store)
        .unwrap();
    assert_eq!(saved.phone, "+31612345678");
    drop(store);
    let store = Store::open(&path, &key, KeyProtection::Keyring, crate::ledger::UPGRADES).unwrap();
    assert_eq!(WorkerProfile::load(&store).unwrap(), saved);
}
