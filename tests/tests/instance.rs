//! One app per worker: a second launch hands over to the first and leaves one window.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use aanmelder_e2e::{Driver, app_binary};

const WAIT: Duration = Duration::from_secs(30);

#[test]
#[ignore = "drives the real window: run through scripts/test.sh"]
fn a_second_launch_leaves_one_window() {
    let (data, driver) = Driver::fresh(4550).unwrap();
    let app = driver.launch().unwrap();
    app.past_first_start().unwrap();

    // The worker starts Aanmelder again from the menu: the second process finds the first,
    // hands over and exits by itself.
    let mut second = std::process::Command::new(app_binary())
        .env("AANMELDER_DATA_DIR", data.path())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(status) = second.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            second.kill().unwrap();
            second.wait().unwrap();
            panic!("the second launch kept running: two apps on one store");
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(status.success(), "{status:?}");
    // The first one is still there and works.
    app.click(&app.button("Aanmeldingen").unwrap()).unwrap();
    app.wait_for("#referrals-title", WAIT).unwrap();
    app.close().unwrap();
}
