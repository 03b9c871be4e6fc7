use super::*;

fn gazetteer() -> Gazetteer {
    Gazetteer::embedded().unwrap()
}

#[test]
fn every_flemish_municipality_routes_to_its_own_ocmw() {
    let g = gazetteer();
    let flemish: Vec<_> = g
        .municipalities()
        .filter(|m| m.region == Region::Flanders)
        .collect();
    assert_eq!(flemish.len(), 285);
    for m in flemish {
        assert_eq!(
            g.recipient(&m.code).unwrap(),
            Recipient::Ocmw(m.code.clone())
        );
    }
}

#[test]
fn every_brussels_municipality_routes_to_the_caw() {
    let g = gazetteer();
    let brussels: Vec<_> = g
        .municipalities()
        .filter(|m| m.region == Region::Brussels)
        .collect();
    assert_eq!(brussels.len(), 19);
    for m in brussels {
        assert_eq!(g.recipient(&m.code).unwrap(), Recipient::CawBrussel);
    }
}

#[test]
fn every_walloon_municipality_is_refused_with_the_reason() {
    let g = gazetteer();
    let walloon: Vec<_> = g
        .municipalities()
        .filter(|m| m.region == Region::Wallonia)
        .collect();
    assert_eq!(walloon.len(), 261);
    for m in walloon {
        let err = g.recipient(&m.code).unwrap_err();
        assert_eq!(err.code(), "residence.no_legal_basis");
        let text = err.to_string();
        assert!(
            text.contains(&m.name_nl) && text.contains("geen wettelijke basis"),
            "{text}"
        );
    }
}

#[test]
fn shared_postal_codes_ask_the_worker_to_choose() {
    let g = gazetteer();
    let PostalMatch::Choose(options) = g.lookup("1804").unwrap() else {
        panic!("1804 must ask for a choice")
    };
    let names: Vec<_> = options.iter().map(|m| m.name_nl.as_str()).collect();
    assert_eq!(names, ["Vilvoorde", "Zemst"]);
    for code in ["1040", "1050"] {
        let PostalMatch::Choose(options) = g.lookup(code).unwrap() else {
            panic!("{code} must ask for a choice")
        };
        assert_eq!(options.len(), 2);
        for m in &options {
            assert_eq!(g.recipient(&m.code).unwrap(), Recipient::CawBrussel);
        }
    }
}

#[test]
fn westerlo_is_one_flemish_municipality() {
    let g = gazetteer();
    let PostalMatch::One(m) = g.lookup(" 2260 ").unwrap() else {
        panic!()
    };
    assert_eq!((m.code.as_str(), m.name_nl.as_str()), ("13049", "Westerlo"));
    assert_eq!(
        g.recipient_name(&g.recipient(&m.code).unwrap()),
        "OCMW Westerlo"
    );
    let one = g.lookup("2260").unwrap();
    assert_eq!(one.chosen("").map(|m| m.code.as_str()), Some("13049"));
    // Of several, only the one chosen, by its code (as the form sends it, spaces or not).
    let two = g.lookup("1804").unwrap();
    assert_eq!(two.chosen(""), None);
    assert_eq!(two.chosen("24020"), None);
    let zemst = two.chosen(" 23096 ").unwrap();
    assert_eq!(zemst.name_nl, "Zemst");
}

#[test]
fn unknown_and_malformed_postal_codes_are_clear_errors() {
    let g = gazetteer();
    let err = g.lookup("9999").unwrap_err();
    assert_eq!(err.code(), "residence.unknown_postal_code");
    assert_eq!(err.field(), Some("postal_code"));
    assert!(
        err.to_string()
            .starts_with("Postcode: 9999 is geen Belgische postcode")
    );
    for bad in ["", "22600", "22a0", "２２６０"] {
        assert_eq!(
            g.lookup(bad).unwrap_err().code(),
            "residence.malformed_postal_code"
        );
    }
}

#[test]
fn recipient_keys_round_trip() {
    for r in [Recipient::Ocmw("13049".into()), Recipient::CawBrussel] {
        assert_eq!(Recipient::from_key(&r.key()), Some(r));
    }
    assert_eq!(Recipient::from_key("ocmw:1304"), None);
    assert_eq!(Recipient::from_key("cpas:13049"), None);
}

#[test]
fn partner_options_are_the_caw_and_the_285_flemish_ocmws() {
    let options = gazetteer().partner_options();
    assert_eq!(options.len(), 286);
    assert_eq!(options[0].key, "caw:brussel");
    assert!(
        options
            .iter()
            .any(|o| o.key == "ocmw:13049" && o.name == "OCMW Westerlo")
    );
}

#[test]
fn the_attribution_ships_with_the_data() {
    assert!(DATA_ATTRIBUTION.contains("CC BY 4.0"));
    assert!(DATA_ATTRIBUTION.contains("Statbel"));
}

#[test]
fn the_german_speaking_community_has_its_own_refusal() {
    let g = gazetteer();
    for (code, name) in [
        ("63023", "Eupen"),
        ("63067", "Sankt Vith"),
        ("63040", "Kelmis"),
    ] {
        let err = g.recipient(code).unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains(name) && text.contains("Duitstalige Gemeenschap"),
            "{text}"
        );
        assert!(
            text.contains("ÖSHZ") && !text.contains("Waals Gewest"),
            "{text}"
        );
    }
    // The rest of Wallonia keeps its own reason.
    let namur = g.recipient("92094").unwrap_err().to_string();
    assert!(
        namur.contains("Waals Gewest") && namur.contains("CPAS"),
        "{namur}"
    );
}
