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

/// The app sets WebKit's renderer for less memory (`lighter_webkit` in the shell); some settings
/// leave the window unable to answer WebDriver's screenshots once it has been idle a few
/// seconds, which every end-to-end test and IT's own tooling rely on.
#[test]
#[ignore = "drives the real window: run through scripts/test.sh"]
fn the_window_still_answers_a_screenshot_after_idling() {
    let (_data, driver) = Driver::fresh(4670).unwrap();
    let app = driver.launch().unwrap();
    app.past_first_start().unwrap();
    std::thread::sleep(Duration::from_secs(8));
    let dir = tempfile::tempdir().unwrap();
    let png = dir.path().join("idle.png");
    app.screenshot(&png).unwrap();
    assert!(std::fs::read(&png).unwrap().starts_with(b"\x89PNG"));
    app.close().unwrap();
}
