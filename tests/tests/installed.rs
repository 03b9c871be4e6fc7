//! The installed app, as an IT department leaves it on a worker's laptop: `dpkg -i` put it in
//! /usr/bin, and it must start, take a PIN, and walk a referral to the package screen.
//!
//! The test command runs this after installing the .deb, with `AANMELDER_APP=/usr/bin/aanmelder`;
//! without that variable the test refuses to run rather than test the build tree instead.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use aanmelder_e2e::{Driver, app_binary};

const WAIT: Duration = Duration::from_secs(30);

#[test]
#[ignore = "drives the installed app: run through scripts/test.sh after the .deb is installed"]
fn the_installed_app_starts_unlocks_and_reaches_the_package_screen() {
    std::env::var_os("AANMELDER_APP")
        .expect("AANMELDER_APP names the installed binary (scripts/test.sh sets it)");
    assert!(
        app_binary().starts_with("/usr"),
        "{} is not an installed app",
        app_binary().display()
    );

    let (_data, driver) = Driver::fresh(4590).unwrap();
    let app = driver.launch().unwrap();
    app.ready_to_refer().unwrap();
    app.enter_client("Zoë", "Installatie", "2260").unwrap();
    app.wait_for_text("#recipient-name", "OCMW Westerlo", WAIT)
        .unwrap();
    app.press("#to-five-points").unwrap();
    for key in ["purpose", "data", "recipient", "next", "expect"] {
        app.press(&format!("#explained-{key}")).unwrap();
    }
    app.press("#record-consent").unwrap();
    let password = app.wait_for_text("#package-password", "-", WAIT).unwrap();
    assert_eq!(password.trim().len(), 19, "{password}");
    app.close().unwrap();
}
