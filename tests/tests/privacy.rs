//! Privacy at rest, tried in the real window: where the client's data end up on disk after a
//! worker's day, and what the idle lock leaves on the screen.

// Test helpers outside #[test] functions: a failed unwrap here is a failed test, as intended.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::time::Duration;

use aanmelder_e2e::{Driver, Partner, Session, app_binary, app_processes, screenshot_dir};
use serde_json::json;

const WAIT: Duration = Duration::from_secs(30);

/// One client, with values that occur nowhere else on this machine: each run makes its own, so
/// not even this file, its binary or a log of an earlier run holds them.
struct Client {
    first: &'static str,
    last: String,
    street: &'static str,
    phone: String,
    email: String,
}

impl Client {
    fn new(first: &'static str, stem: &str, street: &'static str) -> Self {
        let mut random = [0u8; 12];
        {
            use std::io::Read as _;
            std::fs::File::open("/dev/urandom")
                .and_then(|mut f| f.read_exact(&mut random))
                .expect("random bytes");
        }
        let tag: String = random[..6]
            .iter()
            .map(|b| char::from(b'a' + b % 26))
            .collect();
        let digits: Vec<u8> = random[6..12].iter().map(|b| b'0' + b % 10).collect();
        let d = |i: usize| char::from(digits[i]);
        let last = format!("{stem}{tag}");
        Self {
            first,
            email: format!(
                "{}.{}@example.be",
                first.to_lowercase(),
                last.to_lowercase()
            ),
            phone: format!("0470 {}{} {}{} {}{}", d(0), d(1), d(2), d(3), d(4), d(5)),
            last,
            street,
        }
    }

    /// What must never be readable outside the encrypted store and package: the last name, the
    /// phone's digits and the e-mail address.
    fn needles(&self) -> Vec<String> {
        let digits: String = self.phone.chars().filter(char::is_ascii_digit).collect();
        vec![
            self.last.clone(),
            // As typed (0470…) and as stored (+32 470…): the digits after the leading zero.
            digits.trim_start_matches('0').to_owned(),
            self.email.clone(),
        ]
    }
}

fn worker_settings(app: &Session<'_>) {
    app.click(&app.button("Instellingen").unwrap()).unwrap();
    for (id, value) in [
        ("#name", "An Peeters"),
        ("#team", "Lokaal team Westerlo"),
        ("#email", "an.peeters@example.be"),
        ("#phone", "014 12 34 56"),
    ] {
        app.fill_in(id, value).unwrap();
    }
    app.press("#save-settings").unwrap();
    app.wait_for_text("#settings-status", "bewaard", WAIT)
        .unwrap();
    // A new store holds no partner: the team's Westerlo, reached by the worker's mail program.
    app.add_partner(&Partner::WESTERLO).unwrap();
}

/// The new-referral form for `client` in Westerlo, up to the five points.
fn to_five_points(app: &Session<'_>, client: &Client) {
    app.click(&app.button("Aanmeldingen").unwrap()).unwrap();
    app.press("#new-referral").unwrap();
    for (id, value) in [
        ("#first_name", client.first),
        ("#last_name", client.last.as_str()),
        ("#street", client.street),
        ("#house_number", "12"),
        ("#phone", client.phone.as_str()),
        ("#email", client.email.as_str()),
        ("#postal_code", "2260"),
    ] {
        app.fill_in(id, value).unwrap();
    }
    app.wait_for_text("#recipient-name", "OCMW Westerlo", WAIT)
        .unwrap();
    app.press("#to-five-points").unwrap();
    app.wait_for_text("#visit-title", "De vijf punten", WAIT)
        .unwrap();
}

/// Ticks the five points and records consent; returns the reference.
fn consent(app: &Session<'_>, client: &Client) -> String {
    to_five_points(app, client);
    aanmelder_e2e::reference_in(&app.record_consent().unwrap())
}

fn utf16le(text: &str) -> Vec<u8> {
    text.encode_utf16().flat_map(u16::to_le_bytes).collect()
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

/// Every regular file under `root`, not following links out of it.
fn files_under(root: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(root) else {
        return;
    };
    for entry in entries.flatten() {
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_dir() {
            files_under(&entry.path(), out);
        } else if kind.is_file() {
            out.push(entry.path());
        }
    }
}

/// Where any of `needles` is readable: as UTF-8 or UTF-16LE bytes, or in a PDF's text.
fn findings(roots: &[&Path], needles: &[String]) -> (Vec<String>, usize, usize) {
    let mut files = Vec::new();
    for root in roots {
        files_under(root, &mut files);
    }
    files.sort();
    files.dedup();
    let (mut found, mut pdfs) = (Vec::new(), 0);
    for file in &files {
        let Ok(bytes) = std::fs::read(file) else {
            continue;
        };
        for needle in needles {
            if contains(&bytes, needle.as_bytes()) || contains(&bytes, &utf16le(needle)) {
                found.push(format!("{} in {}", needle, file.display()));
            }
        }
        if bytes.starts_with(b"%PDF") {
            pdfs += 1;
            let out = std::process::Command::new("pdftotext")
                .args([file.as_os_str(), "-".as_ref()])
                .output()
                .expect("pdftotext is installed by scripts/setup.sh --test");
            assert!(out.status.success(), "pdftotext {}", file.display());
            let text = String::from_utf8_lossy(&out.stdout);
            let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
            for needle in needles {
                if text.contains(needle.as_str()) || compact.contains(needle.as_str()) {
                    found.push(format!("{} in the text of {}", needle, file.display()));
                }
            }
        }
    }
    (found, files.len(), pdfs)
}

#[test]
#[ignore = "drives the real window: run through scripts/test.sh"]
fn after_a_day_of_visits_the_clients_data_are_nowhere_on_disk_in_clear() {
    // The app's own HOME, so its data, config, cache and WebKit folders are all under it.
    let home = tempfile::tempdir().unwrap();
    let saved = tempfile::tempdir().unwrap();
    let drafts = tempfile::tempdir().unwrap();
    let (data_home, config_home, cache_home) = (
        home.path().join(".local/share"),
        home.path().join(".config"),
        home.path().join(".cache"),
    );
    let consents = Client::new("Wendelien", "Oosterl", "Zwaluwenstraat");
    let refuses = Client::new("Gwijde", "Vermeul", "Kievitlaan");
    let withdraws = Client::new("Ilse", "Denderm", "Reigerstraat");
    let driver = Driver::start(
        4520,
        &[
            ("HOME", home.path()),
            ("XDG_DATA_HOME", &data_home),
            ("XDG_CONFIG_HOME", &config_home),
            ("XDG_CACHE_HOME", &cache_home),
            ("AANMELDER_CLIPBOARD_SECONDS", Path::new("3")),
        ],
    )
    .unwrap();
    let app = driver.launch().unwrap();
    app.past_first_start().unwrap();
    worker_settings(&app);

    // A full visit with consent; the package and the client's receipt saved to a folder.
    let reference = consent(&app, &consents);
    let password = app
        .text(&app.wait_for("#package-password", WAIT).unwrap())
        .unwrap()
        .trim()
        .to_owned();
    // The password on the clipboard, as another program reads it, and gone a moment later (45 s
    // in the app; 3 s here).
    app.click(&app.button("Wachtwoord kopiëren").unwrap())
        .unwrap();
    app.wait_for_text("#package-copied", "Gekopieerd", WAIT)
        .unwrap();
    let mut clipboard = arboard::Clipboard::new().unwrap();
    assert_eq!(clipboard.get_text().unwrap(), password);
    std::thread::sleep(Duration::from_secs(5));
    assert_ne!(
        clipboard.get_text().unwrap_or_default(),
        password,
        "still on the clipboard"
    );
    app.fill_in("#folder", &saved.path().display().to_string())
        .unwrap();
    app.press("#save-package").unwrap();
    app.wait_for_text("#saved-status", "Bewaard", WAIT).unwrap();
    app.press("#save-receipt").unwrap();
    app.wait_for_text("#saved-status", "ontvangstbewijs", WAIT)
        .unwrap();
    // The partner is reached by the worker's mail program: its draft is written too.
    app.click(&app.button("Verzenden").unwrap()).unwrap();
    app.wait_for_text("#drafts-title", "Via je eigen mailprogramma", WAIT)
        .unwrap();
    // Only this partner waits, and no mail server is set: the screen offers drafts, not a
    // "Nu verzenden" that could only say there is no mail server.
    let offered = app
        .execute(
            "return [!!document.getElementById('sync-now'), document.querySelector('main').innerText];",
            json!([]),
        )
        .unwrap();
    assert_eq!(offered[0], json!(false), "{offered}");
    assert!(
        !offered[1].as_str().unwrap().contains("geen mailserver"),
        "{offered}"
    );
    app.fill_in("#draft-folder", &drafts.path().display().to_string())
        .unwrap();
    app.press("#write-drafts").unwrap();
    app.wait_for_text("#drafts-status", "1 concept bewaard", WAIT)
        .unwrap();
    // The row says where the draft is and what to do with it, and opens its folder.
    let row = app
        .wait_for_text(
            "tr[data-state='drafted']",
            "open het in Outlook en verstuur het",
            WAIT,
        )
        .unwrap();
    assert!(
        row.contains(&format!(
            "Concept opgeslagen in {}",
            drafts.path().display()
        )),
        "{row}"
    );
    assert!(row.contains("Map openen"), "{row}");

    // A refusal.
    to_five_points(&app, &refuses);
    app.press("#record-refusal").unwrap();
    app.wait_for_text("#referrals-notice", "Weigering genoteerd", WAIT)
        .unwrap();

    // A consent withdrawn before anything went out, its package saved to a stick that is taken
    // out before the withdrawal: the copy cannot be deleted, and is not taken for deleted.
    let withdrawn = consent(&app, &withdraws);
    let stick = tempfile::tempdir().unwrap();
    let stick_folder = stick.path().join("STICK");
    std::fs::create_dir(&stick_folder).unwrap();
    app.fill_in("#folder", &stick_folder.display().to_string())
        .unwrap();
    app.press("#save-package").unwrap();
    app.wait_for_text("#saved-status", "Bewaard", WAIT).unwrap();
    std::fs::rename(&stick_folder, stick.path().join("uit")).unwrap();
    app.click(&app.button("Aanmeldingen").unwrap()).unwrap();
    app.click(
        &app.button_labelled(&format!("Intrekken {withdrawn}"))
            .unwrap(),
    )
    .unwrap();
    app.press("#confirm-withdrawal").unwrap();
    if let Err(e) = app.wait_for_text("#referrals-notice", "Intrekking genoteerd", WAIT) {
        panic!("{}", app.shown_after(&e, "withdraw"));
    }
    let list = app
        .text(&app.wait_for("#referral-list", WAIT).unwrap())
        .unwrap();
    assert!(list.contains(&reference), "{list}");
    // The home screen lists the copy on the stick, with why, until the worker says it is gone.
    app.click(&app.button("Start").unwrap()).unwrap();
    let listed = app
        .wait_for_text("#not-deleted", "niet bereikbaar", WAIT)
        .unwrap();
    assert!(
        listed.contains(&format!("STICK/aanmelding-{withdrawn}.7z")),
        "{listed}"
    );
    app.click(&app.button("Ik heb het gewist").unwrap())
        .unwrap();
    app.wait_for_text("#wiped-status", "Uit de lijst gehaald", WAIT)
        .unwrap();
    let gone = app
        .execute(
            "return document.getElementById('not-deleted') === null;",
            json!([]),
        )
        .unwrap();
    assert_eq!(gone, json!(true), "the list went with its last file");
    app.close().unwrap();
    drop(driver);

    let mut needles = consents.needles();
    needles.extend(refuses.needles());
    needles.extend(withdraws.needles());
    let tmp = std::env::temp_dir();
    let roots = [home.path(), saved.path(), drafts.path(), tmp.as_path()];
    let (found, scanned, pdfs) = findings(&roots, &needles);
    println!(
        "scanned {scanned} files ({pdfs} PDFs read with pdftotext) under HOME, /tmp and the \
         chosen folders for {} values: {} found",
        needles.len(),
        found.len()
    );
    assert!(
        found.is_empty(),
        "client data in clear:\n{}",
        found.join("\n")
    );
    // The control: what was saved is there, so the scan looked at the right files.
    let mut saved_files = Vec::new();
    files_under(saved.path(), &mut saved_files);
    files_under(drafts.path(), &mut saved_files);
    let names: Vec<String> = saved_files
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    for expected in [
        format!("aanmelding-{reference}.7z"),
        format!("ontvangstbewijs-{reference}.pdf"),
        format!("aanmelding-{reference}.eml"),
    ] {
        assert!(names.contains(&expected), "{expected} not in {names:?}");
    }
    assert!(pdfs >= 1, "the receipt was read as a PDF");
    // And the scan can see what it looks for: opened with its password, the package's PDF
    // (text compressed) and JSON name the client, and the scan finds them there.
    let opened = tempfile::tempdir().unwrap();
    let out = std::process::Command::new("7zz")
        .args(["x", &format!("-p{password}"), "-y"])
        .arg(format!("-o{}", opened.path().display()))
        .arg(saved.path().join(format!("aanmelding-{reference}.7z")))
        .stdin(std::process::Stdio::null())
        .output()
        .expect("7zz is installed by scripts/setup.sh --test");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let (control, _, control_pdfs) = findings(&[opened.path()], &consents.needles());
    assert_eq!(control_pdfs, 1, "{control:?}");
    assert!(
        control
            .iter()
            .any(|f| f.starts_with(consents.last.as_str()) && f.contains("the text of")),
        "the scan must find the name in the PDF's text: {control:?}"
    );
    let database = home
        .path()
        .join(".local/share/be.kindengezin.aanmelder/aanmelder.db");
    assert!(database.is_file(), "the store is where the scan looked");
}

#[test]
#[ignore = "drives the real window: run through scripts/test.sh"]
fn the_idle_lock_hides_the_client_and_the_pin_brings_the_worker_back() {
    let data = tempfile::tempdir().unwrap();
    // Long enough that setting up (each new screen gets an axe-core check, seconds under load,
    // with no input meanwhile) never locks the window before the test means it to: with 4 s it
    // once locked halfway through adding the partner.
    let idle = Path::new("10");
    let driver = Driver::start(
        4530,
        &[
            ("AANMELDER_DATA_DIR", data.path()),
            ("AANMELDER_IDLE_SECONDS", idle),
        ],
    )
    .unwrap();
    let app = driver.launch().unwrap();
    app.past_first_start().unwrap();
    worker_settings(&app);
    let client = Client::new("Wendelien", "Oosterl", "Zwaluwenstraat");
    to_five_points(&app, &client);
    app.wait_for_text(".point:nth-child(2) .body", &client.last, WAIT)
        .unwrap();
    // Explained in French, the first point ticked: neither is the client's, both survive the lock.
    app.press("input[name=language][value=fr]").unwrap();
    app.wait_for_text("#language-switched", "Frans", WAIT)
        .unwrap();
    app.press("#explained-purpose").unwrap();

    // Hands off the keyboard: the window locks by itself.
    app.wait_for_text("#lock-title", "vergrendeld", Duration::from_secs(30))
        .unwrap();
    app.screenshot(&screenshot_dir().join("locked.png"))
        .unwrap();
    let page = app.page_source().unwrap();
    for needle in client.needles().iter().chain([&client.first.to_owned()]) {
        assert!(
            !page.contains(needle.as_str()),
            "{needle} in the locked page"
        );
    }

    let pin = app.wait_for("#unlock-pin", WAIT).unwrap();
    app.fill(&pin, "000000").unwrap();
    app.click(&app.button("Ontgrendelen").unwrap()).unwrap();
    let error = app
        .wait_for_text("#unlock-pin-error", "klopt niet", WAIT)
        .unwrap();
    assert!(error.contains("Nog 4 pogingen"), "{error}");

    app.fill_in("#unlock-pin", Session::PIN).unwrap();
    app.click(&app.button("Ontgrendelen").unwrap()).unwrap();
    // Back where the worker was: the five points of the same client, in French, ticked.
    app.wait_for_text("#visit-title", "De vijf punten", WAIT)
        .unwrap();
    app.wait_for_text(".point:nth-child(2) .body", &client.last, WAIT)
        .unwrap();
    let kept = app
        .execute(
            "return [document.querySelector('input[name=language][value=fr]').checked, \
                     document.getElementById('explained-purpose').checked, \
                     document.querySelector('.points').lang];",
            json!([]),
        )
        .unwrap();
    assert_eq!(kept, json!([true, true, "fr"]), "language and tick kept");

    // The demo, one click from the real data, does not turn the lock off: left alone in it,
    // the window locks, and the PIN brings back the worker's own store.
    app.click(&app.button("Start").unwrap()).unwrap();
    app.click(&app.button("Demo proberen").unwrap()).unwrap();
    app.wait_for("#demo-banner", WAIT).unwrap();
    // Practising a new referral when the lock comes: the form must not go on in the real store.
    app.click(&app.button("Aanmeldingen").unwrap()).unwrap();
    app.press("#new-referral").unwrap();
    app.wait_for("#first_name", WAIT).unwrap();
    app.wait_for_text("#lock-title", "vergrendeld", Duration::from_secs(30))
        .unwrap();
    app.fill_in("#unlock-pin", Session::PIN).unwrap();
    app.click(&app.button("Ontgrendelen").unwrap()).unwrap();
    app.wait_for_text("#home-title", "Dag", WAIT).unwrap();
    app.wait_for_text("#lock-note", "demo is beëindigd", WAIT)
        .unwrap();
    let demo = app
        .execute(
            "return document.getElementById('demo-banner') !== null;",
            json!([]),
        )
        .unwrap();
    assert_eq!(demo, json!(false), "the lock ended the demo");

    // A client's name typed and not saved: gone with the lock, and the form says so.
    app.click(&app.button("Aanmeldingen").unwrap()).unwrap();
    app.press("#new-referral").unwrap();
    app.fill_in("#first_name", client.first).unwrap();
    app.wait_for_text("#lock-title", "vergrendeld", Duration::from_secs(30))
        .unwrap();
    assert!(!app.page_source().unwrap().contains(client.first));
    app.fill_in("#unlock-pin", Session::PIN).unwrap();
    app.click(&app.button("Ontgrendelen").unwrap()).unwrap();
    app.wait_for_text("#lock-note", "nog niet bewaard", WAIT)
        .unwrap();
    let typed = app
        .value(&app.wait_for("#first_name", WAIT).unwrap())
        .unwrap();
    assert_eq!(typed, "", "the typed name went with the lock");
    app.close().unwrap();
}

#[test]
#[ignore = "drives the real window: run through scripts/test.sh"]
fn the_desktops_screen_lock_locks_the_window_too() {
    let (_data, driver) = Driver::fresh(4540).unwrap();
    let app = driver.launch().unwrap();
    app.past_first_start().unwrap();
    // The screen saver of the desktop says the screen is locked, on the real session bus; sent
    // again for a few seconds, in case the app was still subscribing.
    let mut locked = Err(String::new());
    for _ in 0..10 {
        let sent = std::process::Command::new("dbus-send")
            .args([
                "--session",
                "--type=signal",
                "/org/freedesktop/ScreenSaver",
                "org.freedesktop.ScreenSaver.ActiveChanged",
                "boolean:true",
            ])
            .status()
            .expect("dbus-send is installed with dbus");
        assert!(sent.success());
        locked = app.wait_for_text("#lock-title", "vergrendeld", Duration::from_secs(1));
        if locked.is_ok() {
            break;
        }
    }
    locked.unwrap();
    app.fill_in("#unlock-pin", Session::PIN).unwrap();
    app.click(&app.button("Ontgrendelen").unwrap()).unwrap();
    app.wait_for("#home-title", WAIT).unwrap();
    app.close().unwrap();
}

/// A crash of the app or of its page writes no core dump, which would hold the open store's
/// pages and the page's client data in clear: every process of the app runs with a core-file
/// limit of 0, which systemd-coredump and apport honour.
#[test]
#[ignore = "drives the real window: run through scripts/test.sh"]
fn a_crash_would_leave_no_core_dump_of_the_app_or_its_page() {
    // The app inherits this test's limits (through tauri-driver): allow core dumps here, as a
    // developer's shell or a distribution's default may, so a limit of 0 is the app's doing.
    use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};
    let maximum = getrlimit(Resource::Core).maximum;
    setrlimit(
        Resource::Core,
        Rlimit {
            current: maximum,
            maximum,
        },
    )
    .unwrap();
    assert_ne!(
        getrlimit(Resource::Core).current,
        Some(0),
        "this machine allows no core dumps at all: the test would prove nothing"
    );
    let (_data, driver) = Driver::fresh(4680).unwrap();
    let app = driver.launch().unwrap();
    app.past_first_start().unwrap();
    let processes = app_processes(&app_binary().canonicalize().unwrap());
    assert!(
        processes.iter().any(|(_, name)| name == "app")
            && processes
                .iter()
                .any(|(_, name)| name.starts_with("WebKitWebProcess")),
        "{processes:?}"
    );
    for (pid, name) in &processes {
        let limits = std::fs::read_to_string(format!("/proc/{pid}/limits")).unwrap();
        let core = limits
            .lines()
            .find(|l| l.starts_with("Max core file size"))
            .unwrap();
        // "Max core file size  <soft>  <hard>  bytes"
        let soft = core.split_whitespace().nth(4).unwrap();
        assert_eq!(soft, "0", "{name}: {core}");
    }
    app.close().unwrap();
}
