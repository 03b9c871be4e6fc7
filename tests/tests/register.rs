//! The register in the real window: the demo apart from the real store, and a real partner
//! added with the data of its signed agreement (seed 002, OCMW Westerlo).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use aanmelder_e2e::{Driver, Partner, screenshot_dir};

const WAIT: Duration = Duration::from_secs(30);

#[test]
#[ignore = "drives the real window: run through scripts/test.sh"]
fn the_demo_stays_apart_and_the_real_westerlo_is_added_with_its_evaluation_date() {
    let (_data, driver) = Driver::fresh(4560).unwrap();
    let app = driver.launch().unwrap();

    // First start offers the demo next to choosing a PIN.
    app.wait_for("#pin-title", WAIT).unwrap();
    app.click(&app.button("Demo proberen").unwrap()).unwrap();
    let banner = app.wait_for_text("#demo-banner", "Demo", WAIT).unwrap();
    assert!(banner.contains("verzonnen"), "{banner}");
    app.click(&app.button("Partners").unwrap()).unwrap();
    let demo = app
        .wait_for_text("#agreement-list", "OCMW Westerlo (demo)", WAIT)
        .unwrap();
    assert!(demo.contains(".example"), "{demo}");
    // The banner stays on every screen.
    app.click(&app.button("Aanmeldingen").unwrap()).unwrap();
    app.wait_for_text("#demo-banner", "Demo", WAIT).unwrap();
    app.screenshot(&screenshot_dir().join("demo.png")).unwrap();
    app.click(&app.button("Demo verlaten").unwrap()).unwrap();

    // The real store: no demo partner, no banner.
    app.past_first_start().unwrap();
    assert!(!app.page_source().unwrap().contains("demo-banner"));
    app.click(&app.button("Partners").unwrap()).unwrap();
    let empty = app
        .wait_for_text("#agreement-list", "nog geen partner", WAIT)
        .unwrap();
    assert!(!empty.contains("(demo)"), "{empty}");

    // The real Westerlo, as its agreement says: no duplicate, no demo in the way.
    app.add_partner(&Partner::WESTERLO).unwrap();
    let row = app
        .wait_for_text("#agreement-list", "info.ocmw@westerlo.be", WAIT)
        .unwrap();
    assert!(
        row.contains("Van kracht") && row.contains("01/01/2024"),
        "{row}"
    );
    assert!(row.contains("0212.181.956"), "{row}");

    // An edit makes a second version; the history shows what changed.
    let in_row = |label: &str| {
        format!("//tr[td[contains(., 'OCMW Westerlo')]]//button[normalize-space(.)='{label}']")
    };
    app.click(&app.wait_for_xpath(&in_row("Wijzigen"), WAIT).unwrap())
        .unwrap();
    let date = app.wait_for("#agreement_date", WAIT).unwrap();
    assert_eq!(
        app.value(&date).unwrap(),
        "18/12/2023",
        "day and month as typed"
    );
    // Beside it, the stored day in words, whatever the machine's locale.
    app.wait_for_text("#agreement_date-echo", "maandag 18 december 2023", WAIT)
        .unwrap();
    // A day that does not exist is said at once beside the field, refused at the save with the
    // field's own message, and nothing is saved.
    app.fill_in("#protocol_until", "31/02/2024").unwrap();
    app.wait_for_text("#protocol_until-echo", "geen bestaande datum", WAIT)
        .unwrap();
    app.click(&app.button("Bewaren").unwrap()).unwrap();
    let refused = app
        .wait_for_text("#protocol_until-error", "dd/mm/jjjj", WAIT)
        .unwrap();
    assert!(refused.starts_with("Protocol loopt tot"), "{refused}");
    // (WebDriver's clear does not reach the field's binding, so a real date replaces it.)
    app.fill_in("#protocol_until", "31/12/2030").unwrap();
    app.fill_in("#contacts", "Sociale dienst, 014 54 75 75")
        .unwrap();
    app.click(&app.button("Bewaren").unwrap()).unwrap();
    app.wait_for_text("#agreements-status", "versie 2", WAIT)
        .unwrap();
    app.click(&app.wait_for_xpath(&in_row("Geschiedenis"), WAIT).unwrap())
        .unwrap();
    let history = app
        .wait_for_text("#agreement-history", "Versie 2", WAIT)
        .unwrap();
    assert!(history.contains("Contactpersonen"), "{history}");
    assert!(history.contains("Versie 1"), "{history}");
    app.screenshot(&screenshot_dir().join("register-history.png"))
        .unwrap();
    // The form that ends a partner, opened and left: the accessibility check sees it too.
    app.click(&app.wait_for_xpath(&in_row("Stopzetten"), WAIT).unwrap())
        .unwrap();
    app.wait_for_text("#stop-title", "stopzetten", WAIT)
        .unwrap();
    app.click(&app.button("Annuleren").unwrap()).unwrap();

    // The home screen: the next evaluation, a year after the protocol began.
    app.click(&app.button("Start").unwrap()).unwrap();
    let next = app
        .wait_for_text("#next-evaluations", "OCMW Westerlo", WAIT)
        .unwrap();
    assert!(next.contains("01/01/2025"), "{next}");
    app.close().unwrap();
}
