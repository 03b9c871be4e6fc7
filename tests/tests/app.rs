//! The real app, in a real window, as a worker meets it.
//!
//! Ignored by a plain `cargo test`: it needs the built app, `tauri-driver`, an X display and a
//! Secret Service. `scripts/test.sh` provides all four and runs it with `--ignored`.

use std::time::Duration;

use aanmelder_e2e::{Driver, screenshot_dir};

const WAIT: Duration = Duration::from_secs(30);

#[test]
#[ignore = "drives the real window: run through scripts/test.sh"]
fn first_launch_is_encrypted_and_the_workers_name_survives_a_restart() {
    let data = tempfile::tempdir().unwrap();
    let driver = Driver::start(4444, &[("AANMELDER_DATA_DIR", data.path())]).unwrap();
    let name = "Zoë Müller-Çelik";

    // First launch: the store is created and the home screen says it is encrypted.
    let app = driver.launch().unwrap();
    let status = app
        .wait_for_text("#store-status", "Versleuteld", WAIT)
        .unwrap();
    assert_eq!(status.trim(), "Versleuteld");
    app.screenshot(&screenshot_dir().join("home-first-launch.png"))
        .unwrap();

    app.click(&app.button("Instellingen").unwrap()).unwrap();
    let field = app.wait_for("#name", WAIT).unwrap();
    app.fill(&field, name).unwrap();
    app.fill(
        &app.wait_for("#team", WAIT).unwrap(),
        "Lokaal team Westerlo",
    )
    .unwrap();
    app.click(&app.wait_for("#save-settings", WAIT).unwrap())
        .unwrap();
    app.wait_for_text("#settings-status", "bewaard", WAIT)
        .unwrap();
    app.screenshot(&screenshot_dir().join("settings.png"))
        .unwrap();
    app.close().unwrap();

    // The name is in the database, but not readable on disk.
    let db = std::fs::read(data.path().join("aanmelder.db")).unwrap();
    assert!(!db.windows(name.len()).any(|w| w == name.as_bytes()));
    assert!(!db.windows(15).any(|w| w == b"SQLite format 3"));

    // Relaunch: no questions asked, and the name is still there.
    let app = driver.launch().unwrap();
    app.wait_for_text("#home-title", name, WAIT).unwrap();
    app.wait_for_text("#store-status", "Versleuteld", WAIT)
        .unwrap();
    app.screenshot(&screenshot_dir().join("home.png")).unwrap();
    app.click(&app.button("Instellingen").unwrap()).unwrap();
    let field = app.wait_for("#name", WAIT).unwrap();
    assert_eq!(app.value(&field).unwrap(), name);
    app.close().unwrap();
}
