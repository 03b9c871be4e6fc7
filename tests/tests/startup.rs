//! The start-up harness: how quickly the installed release build reaches its unlocked home
//! screen, how much memory it holds once settled, and how large its .deb is. It prints figures
//! beside their targets and asserts nothing about them: a figure is not a test.
//!
//! Run by the test command after the .deb is installed, with `AANMELDER_APP` naming the installed
//! binary and `AANMELDER_DEB` the package. The first launch creates the store (its key goes to the
//! keyring) and sets the PIN; the measured launches open that store through the keyring, as every
//! later morning does.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use aanmelder_e2e::{Driver, Session, app_processes};

const WAIT: Duration = Duration::from_secs(30);
const LAUNCHES: usize = 5;
/// How long the window is left alone before its memory is read.
const SETTLE: Duration = Duration::from_secs(5);

/// Proportional set size of `pid` in KiB: shared pages counted once across processes.
fn pss_kib(pid: u32) -> Option<u64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).ok()?;
    text.lines()
        .find_map(|l| l.strip_prefix("Pss:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// When process `pid` started, in milliseconds since the epoch: its start in clock ticks after
/// boot (`/proc/PID/stat`), placed on the wall clock through the time since boot
/// (`/proc/uptime`). Good to a tick (10 ms).
fn started_at_ms(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command's name: state is the 3rd field, starttime the 22nd.
    let ticks: f64 = stat
        .rsplit_once(')')?
        .1
        .split_whitespace()
        .nth(19)?
        .parse()
        .ok()?;
    let uptime: f64 = std::fs::read_to_string("/proc/uptime")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()?;
    let per_second: f64 = std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|t| t.trim().parse().ok())
        .unwrap_or(100.0);
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .ok()?
        .as_secs_f64();
    Some((now - (uptime - ticks / per_second)) * 1000.0)
}

/// The page's own clock for one launch, in milliseconds since the epoch: when its navigation
/// began (`performance.timeOrigin`) and when it first showed the home screen, as the page
/// marked it (`Home.svelte`): the frame after the screen mounted.
fn page_times_ms(app: &Session<'_>) -> Option<(f64, f64)> {
    let script = "const m = performance.getEntriesByName('aanmelder-home-shown')[0]; \
                  return m ? [performance.timeOrigin, performance.timeOrigin + m.startTime] : null;";
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let times = app.execute(script, serde_json::json!([])).ok()?;
        if let (Some(origin), Some(shown)) = (times[0].as_f64(), times[1].as_f64()) {
            return Some((origin, shown));
        }
        if Instant::now() > deadline {
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// "median x s of n (fastest y s, slowest z s)" of `times`, sorted in place.
fn spread(times: &mut [Duration]) -> String {
    times.sort();
    match (times.first(), times.get(times.len() / 2), times.last()) {
        (Some(fastest), Some(median), Some(slowest)) => format!(
            "median {:.2} s of {} (fastest {:.2} s, slowest {:.2} s)",
            median.as_secs_f64(),
            times.len(),
            fastest.as_secs_f64(),
            slowest.as_secs_f64()
        ),
        _ => "not measured".to_owned(),
    }
}

#[test]
#[ignore = "measures the installed release build: run through scripts/test.sh"]
fn startup_figures_of_the_installed_release_build() {
    let binary = std::env::var_os("AANMELDER_APP").expect("AANMELDER_APP names the installed app");
    let binary = std::fs::canonicalize(binary).unwrap();
    let deb = std::env::var_os("AANMELDER_DEB").expect("AANMELDER_DEB names the .deb");
    let (_data, driver) = Driver::fresh(4600).unwrap();
    {
        let app = driver.launch().unwrap();
        app.past_first_start().unwrap();
        app.close().unwrap();
    }

    let mut times = Vec::new();
    // From the app's process start to the page's first frame of the home screen: without
    // WebDriver's session set-up and polling.
    let mut inside = Vec::new();
    // The same, split where the page's navigation begins: before it, the process, GTK and
    // WebKit starting; after it, the page loading and showing the home screen.
    let mut before_page = Vec::new();
    let mut in_page = Vec::new();
    let mut memory = Vec::new();
    for run in 0..LAUNCHES {
        let started = Instant::now();
        let app = driver.launch().unwrap();
        app.without_accessibility_check();
        app.wait_for("#home-title", WAIT).unwrap();
        times.push(started.elapsed());
        let pid = app_processes(&binary)
            .into_iter()
            .find(|(_, name)| name == "app")
            .map(|(pid, _)| pid);
        if let (Some(start), Some((origin, shown))) =
            (pid.and_then(started_at_ms), page_times_ms(&app))
        {
            let ms = |from: f64, to: f64| Duration::from_secs_f64(((to - from) / 1000.0).max(0.0));
            inside.push(ms(start, shown));
            before_page.push(ms(start, origin));
            in_page.push(ms(origin, shown));
        }
        if run == LAUNCHES - 1 {
            std::thread::sleep(SETTLE);
            for (pid, name) in app_processes(&binary) {
                memory.push((name, pss_kib(pid).unwrap_or(0)));
            }
        }
        app.close().unwrap();
    }
    let total: u64 = memory.iter().map(|(_, k)| k).sum();
    let deb_bytes = std::fs::metadata(&deb).unwrap().len();
    let mib = |kib: u64| kib as f64 / 1024.0;

    println!(
        "start-up figures of the installed release build ({})",
        binary.display()
    );
    println!(
        "  launch to unlocked home screen: {}; target under 0.5 s",
        spread(&mut times)
    );
    println!(
        "    (measured through WebDriver: from asking for a session to the home screen's heading)"
    );
    println!(
        "  process start to the home screen's first frame: {}; target under 0.5 s",
        spread(&mut inside)
    );
    println!(
        "    of which before the page's navigation began (process, GTK, WebKit): {}",
        spread(&mut before_page)
    );
    println!(
        "    and in the page (loading it, asking the store, the first frame): {}",
        spread(&mut in_page)
    );
    for (name, kib) in &memory {
        println!("  PSS {name}: {:.1} MiB", mib(*kib));
    }
    println!(
        "  PSS in all: {:.1} MiB after {} s; target under 150 MiB",
        mib(total),
        SETTLE.as_secs()
    );
    println!(
        "  .deb: {:.1} MiB ({}); target under 15 MiB",
        deb_bytes as f64 / 1024.0 / 1024.0,
        Path::new(&deb).display()
    );
    assert!(
        memory.iter().any(|(n, _)| n == "app"),
        "the app process was not found"
    );
}
