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

/// The name the running app holds on the session bus (the identifier and the plugin's suffix).
const SINGLE_INSTANCE: &str = "be.kindengezin.aanmelder.SingleInstance";

/// The process that holds `name` on the session bus, if any.
fn holder(bus: &zbus::blocking::Connection, name: &str) -> Option<u32> {
    let bus = zbus::blocking::fdo::DBusProxy::new(bus).unwrap();
    let owner = bus.get_name_owner(name.try_into().unwrap()).ok()?;
    bus.get_connection_unix_process_id(owner.into()).ok()
}

#[test]
#[ignore = "drives the real window: run through scripts/test.sh"]
fn a_launch_while_the_last_window_closes_starts_once_it_is_gone() {
    // The worker closes Aanmelder and starts it again at once. The closing app still holds the
    // single-instance name and answers no handover: a stand-in here, which refuses it.
    let bus = zbus::blocking::Connection::session().unwrap();
    let closing = zbus::blocking::connection::Builder::session()
        .unwrap()
        .name(SINGLE_INSTANCE)
        .unwrap()
        .build()
        .unwrap();
    let data = tempfile::tempdir().unwrap();
    let mut app = std::process::Command::new(app_binary())
        .env("AANMELDER_DATA_DIR", data.path())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    if let Some(status) = app.try_wait().unwrap() {
        panic!("the launch gave up while the last one was closing: {status:?}");
    }

    // Gone: the new launch starts and becomes the one app.
    drop(closing);
    let deadline = Instant::now() + Duration::from_secs(20);
    while holder(&bus, SINGLE_INSTANCE) != Some(app.id()) {
        assert!(Instant::now() < deadline, "the launch never started");
        if let Some(status) = app.try_wait().unwrap() {
            panic!("the launch ended instead of starting: {status:?}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(app.try_wait().unwrap().is_none(), "it runs");

    // Closed as the desktop closes it, and gone before the next test launches.
    let pid = rustix::process::Pid::from_raw(i32::try_from(app.id()).unwrap()).unwrap();
    rustix::process::kill_process(pid, rustix::process::Signal::TERM).unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while app.try_wait().unwrap().is_none() {
        assert!(Instant::now() < deadline, "the app did not end on SIGTERM");
        std::thread::sleep(Duration::from_millis(100));
    }
}
