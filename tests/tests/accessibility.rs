//! The accessibility check that every end-to-end test runs on every screen it shows: it must
//! see a real violation, or a green run would prove nothing.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use aanmelder_e2e::Driver;
use serde_json::json;

#[test]
#[ignore = "drives the real window: run through scripts/test.sh"]
fn the_check_fails_on_a_serious_violation_and_names_it() {
    let (_data, driver) = Driver::fresh(4660).unwrap();
    let app = driver.launch().unwrap();
    app.past_first_start().unwrap();
    app.wait_for("#home-title", Duration::from_secs(30))
        .unwrap();
    app.check_accessibility().unwrap();

    // A button without a name: axe calls it critical (button-name).
    app.execute(
        "const b = document.createElement('button'); b.id = 'nameless'; \
         document.querySelector('main').append(b);",
        json!([]),
    )
    .unwrap();
    let failure = app.check_accessibility().unwrap_err();
    assert!(failure.contains("button-name"), "{failure}");
    assert!(failure.contains("#nameless"), "{failure}");

    app.execute("document.getElementById('nameless').remove();", json!([]))
        .unwrap();
    app.close().unwrap();
}
