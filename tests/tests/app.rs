//! The real app, in a real window, as a worker meets it.
//!
//! Ignored by a plain `cargo test`: it needs the built app, `tauri-driver`, an X display and a
//! Secret Service. `scripts/test.sh` provides all four and runs it with `--ignored`.

use std::time::Duration;

use aanmelder_e2e::{Driver, Partner, screenshot_dir};
use serde_json::json;

const WAIT: Duration = Duration::from_secs(30);

#[test]
#[ignore = "drives the real window: run through scripts/test.sh"]
fn first_launch_is_encrypted_and_the_workers_name_survives_a_restart() {
    let (data, driver) = Driver::fresh(4444).unwrap();
    let name = "Zoë Müller-Çelik";

    // First launch: the store is created and the home screen says it is encrypted.
    let app = driver.launch().unwrap();
    app.past_first_start().unwrap();
    let status = app
        .wait_for_text("#store-status", "Versleuteld", WAIT)
        .unwrap();
    assert_eq!(status.trim(), "Versleuteld");
    app.screenshot(&screenshot_dir().join("home-first-launch.png"))
        .unwrap();

    app.click(&app.button("Instellingen").unwrap()).unwrap();
    let field = app.wait_for("#name", WAIT).unwrap();
    // A new screen takes the focus to its heading (WCAG 2.4.3), so the keyboard and a screen
    // reader start at its top; the window's title names it.
    let focused = app
        .execute(
            "return [document.activeElement?.id ?? '', document.title];",
            json!([]),
        )
        .unwrap();
    assert_eq!(
        focused,
        json!(["settings-title", "Instellingen – Aanmelder"]),
        "{focused}"
    );
    app.fill(&field, name).unwrap();
    app.fill_in("#team", "Lokaal team Westerlo").unwrap();
    app.fill_in("#phone", "+32 14 12 34 56").unwrap();
    app.press("#save-settings").unwrap();
    app.wait_for_text("#settings-status", "bewaard", WAIT)
        .unwrap();
    // Stored as +3214123456, shown back as the worker reads and dials it.
    let phone = app.wait_for("#phone", WAIT).unwrap();
    assert_eq!(app.value(&phone).unwrap(), "014 12 34 56");
    app.screenshot(&screenshot_dir().join("settings.png"))
        .unwrap();
    app.close().unwrap();

    // The name is in the database, but readable in no file on disk (database, WAL or other).
    for entry in std::fs::read_dir(data.path()).unwrap() {
        let path = entry.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        assert!(
            !bytes.windows(name.len()).any(|w| w == name.as_bytes()),
            "{path:?}"
        );
        assert!(
            !bytes.windows(15).any(|w| w == b"SQLite format 3"),
            "{path:?}"
        );
    }

    // Relaunch: no questions asked, and the name is still there.
    let app = driver.launch().unwrap();
    app.past_first_start().unwrap();
    app.wait_for_text("#home-title", name, WAIT).unwrap();
    app.wait_for_text("#store-status", "Versleuteld", WAIT)
        .unwrap();
    app.screenshot(&screenshot_dir().join("home.png")).unwrap();
    app.click(&app.button("Instellingen").unwrap()).unwrap();
    let field = app.wait_for("#name", WAIT).unwrap();
    assert_eq!(app.value(&field).unwrap(), name);
    let phone = app.wait_for("#phone", WAIT).unwrap();
    assert_eq!(app.value(&phone).unwrap(), "014 12 34 56");
    app.close().unwrap();
}

#[test]
#[ignore = "drives the real window: run through scripts/test.sh"]
fn without_a_secret_service_the_worker_protects_the_store_with_a_passphrase() {
    let data = tempfile::tempdir().unwrap();
    // A bus address where nothing listens: the app sees no Secret Service at all.
    let no_bus = data.path().join("no-bus");
    let bus = format!("unix:path={}", no_bus.display());
    let driver = Driver::start(
        4455,
        &[
            ("AANMELDER_DATA_DIR", data.path()),
            ("DBUS_SESSION_BUS_ADDRESS", std::path::Path::new(&bus)),
        ],
    )
    .unwrap();

    let app = driver.launch().unwrap();
    app.wait_for_text("#create-title", "wachtwoordzin", WAIT)
        .unwrap();
    app.screenshot(&screenshot_dir().join("passphrase.png"))
        .unwrap();
    // Too short is refused next to the field.
    app.fill_in("#passphrase", "kort").unwrap();
    app.fill_in("#confirmation", "kort").unwrap();
    app.click(&app.button("Beveiligen en starten").unwrap())
        .unwrap();
    app.wait_for_text("#passphrase-error", "te kort", WAIT)
        .unwrap();
    let phrase = "lange zin voor de test";
    app.fill_in("#passphrase", phrase).unwrap();
    app.fill_in("#confirmation", phrase).unwrap();
    app.click(&app.button("Beveiligen en starten").unwrap())
        .unwrap();
    app.past_first_start().unwrap();
    app.wait_for_text("#store-status", "Versleuteld", WAIT)
        .unwrap();
    app.close().unwrap();

    // No key file: only the database (with its write-ahead log while the app was killed) and
    // the description of how to derive the key.
    for entry in std::fs::read_dir(data.path()).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        assert!(
            [
                "aanmelder.db",
                "aanmelder.db-wal",
                "aanmelder.db-shm",
                "key-scheme.json"
            ]
            .contains(&name.as_str()),
            "unexpected file {name}"
        );
    }

    // Relaunch: the passphrase is asked; a wrong one is refused, the right one opens.
    let app = driver.launch().unwrap();
    app.wait_for_text("#unlock-title", "Ontgrendel", WAIT)
        .unwrap();
    app.fill_in("#passphrase", "verkeerde zin hier").unwrap();
    app.click(&app.button("Ontgrendelen").unwrap()).unwrap();
    app.wait_for_text("#passphrase-error", "past niet", WAIT)
        .unwrap();
    app.fill_in("#passphrase", phrase).unwrap();
    app.click(&app.button("Ontgrendelen").unwrap()).unwrap();
    app.past_first_start().unwrap();
    app.wait_for_text("#store-status", "Versleuteld", WAIT)
        .unwrap();
    app.close().unwrap();
}

#[test]
#[ignore = "drives the real window: run through scripts/test.sh"]
fn a_lost_key_shows_what_to_do_and_leaves_the_database_untouched() {
    let data = tempfile::tempdir().unwrap();
    // A database whose key is not in this keyring (as after a keyring was reset).
    let db = data.path().join("aanmelder.db");
    let bytes: Vec<u8> = (0..8192u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    std::fs::write(&db, &bytes).unwrap();
    std::fs::write(
        data.path().join("key-scheme.json"),
        r#"{"scheme":{"kind":"keyring","account":"databank-verloren"},"initialised":true}"#,
    )
    .unwrap();
    let driver = Driver::start(4460, &[("AANMELDER_DATA_DIR", data.path())]).unwrap();
    let app = driver.launch().unwrap();
    let text = app
        .wait_for_text("#failure-title", "kan je gegevens niet openen", WAIT)
        .unwrap();
    assert!(text.contains("niet openen"));
    let page = app.text(&app.wait_for("main", WAIT).unwrap()).unwrap();
    assert!(page.contains("sleutelbos"), "{page}");
    assert!(page.contains("key.missing"), "{page}");
    app.screenshot(&screenshot_dir().join("key-missing.png"))
        .unwrap();
    app.close().unwrap();
    assert_eq!(
        std::fs::read(&db).unwrap(),
        bytes,
        "the database must not be touched"
    );
}

#[test]
#[ignore = "drives the real window: run through scripts/test.sh"]
fn a_home_visit_records_consent_builds_the_package_or_records_refusal() {
    let (_data, driver) = Driver::fresh(4470).unwrap();
    let app = driver.launch().unwrap();
    // The consent record and the package name the worker, so the worker's identity comes first,
    // and the team's own Westerlo goes into the register.
    app.ready_to_refer().unwrap();
    // The partner's number for passwords, reopened to edit: as it was typed, not +3214547575.
    app.click(&app.button_labelled("Wijzigen: OCMW Westerlo").unwrap())
        .unwrap();
    let phone = app.wait_for("#password_phone", WAIT).unwrap();
    assert_eq!(app.value(&phone).unwrap(), "014 54 75 75");
    app.click(&app.button("Annuleren").unwrap()).unwrap();

    // A client in Westerlo: five points, then consent.
    app.enter_client("Zoë", "Müller-Çelik", "2260").unwrap();
    app.wait_for_text("#recipient-name", "OCMW Westerlo", WAIT)
        .unwrap();
    app.press("#to-five-points").unwrap();
    app.wait_for_text("#visit-title", "De vijf punten", WAIT)
        .unwrap();
    let consent = app.wait_for("#record-consent", WAIT).unwrap();
    assert!(
        !app.enabled(&consent).unwrap(),
        "consent must wait for the five points"
    );
    let data_point = app
        .wait_for_text(".point:nth-child(2) .body", "Zoë Müller-Çelik", WAIT)
        .unwrap();
    assert!(
        data_point.contains("Boerenkrijglaan 12, 2260 Westerlo"),
        "{data_point}"
    );
    // The client's number as she would read it out, not as it is stored (+32470123456).
    assert!(data_point.contains("0470 12 34 56"), "{data_point}");
    for key in ["purpose", "data", "recipient", "next", "expect"] {
        app.click(&app.wait_for(&format!("#explained-{key}"), WAIT).unwrap())
            .unwrap();
    }
    app.screenshot(&screenshot_dir().join("five-points.png"))
        .unwrap();
    assert!(app.enabled(&consent).unwrap());
    app.click(&consent).unwrap();

    // Consent leads straight to the encrypted package and its password for the phone.
    let password = app.wait_for_text("#package-password", "-", WAIT).unwrap();
    let password = password.trim().to_owned();
    assert_eq!(password.len(), 19, "{password}");
    app.wait_for_text("#password-phone", "014 54 75 75", WAIT)
        .unwrap();
    app.press("#password-passed-button").unwrap();
    app.wait_for_text("#password-passed", "Doorgegeven per telefoon", WAIT)
        .unwrap();
    let folder = tempfile::tempdir().unwrap();
    let folder_text = folder.path().display().to_string();
    app.fill_in("#folder", &folder_text).unwrap();
    app.press("#save-package").unwrap();
    app.wait_for_text("#saved-status", "Bewaard", WAIT).unwrap();
    app.screenshot(&screenshot_dir().join("package.png"))
        .unwrap();
    let file_name = app
        .text(&app.wait_for("#package-file", WAIT).unwrap())
        .unwrap();
    assert!(
        file_name.starts_with("aanmelding-AM-") && file_name.ends_with(".7z"),
        "{file_name}"
    );
    // The OCMW's side: Debian's 7-Zip opens it with the password the screen showed.
    let out = std::process::Command::new("7zz")
        .args(["x", &format!("-p{password}"), "-ookay", "-y", &file_name])
        .current_dir(folder.path())
        .stdin(std::process::Stdio::null())
        .output()
        .expect("7zz is installed by scripts/setup.sh --test");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let json = std::fs::read_to_string(folder.path().join("okay/aanmelding.json")).unwrap();
    assert!(
        json.contains("Zoë") && json.contains("Müller-Çelik"),
        "{json}"
    );
    app.click(&app.button("Naar de aanmeldingen").unwrap())
        .unwrap();

    let notice = app
        .wait_for_text("#referrals-notice", "Toestemming genoteerd", WAIT)
        .unwrap();
    assert!(notice.contains("OCMW Westerlo"), "{notice}");
    let row = app
        .wait_for_text("#referral-list tbody tr:first-child", "Zoë", WAIT)
        .unwrap();
    // One status, from the outbox: this partner is reached through the mail program.
    assert!(row.contains("Klaar voor je mailprogramma"), "{row}");
    assert!(!row.contains("Verzonden"), "{row}");
    assert!(row.contains("wachtwoord doorgegeven"), "{row}");
    // A package on its way is not deleted but withdrawn (so the OCMW is told): no "Verwijderen".
    assert!(!row.contains("Verwijderen"), "{row}");

    // A second client refuses: the list keeps the reference but no name.
    app.enter_client("Ayşe", "Yılmaz", "2260").unwrap();
    app.wait_for_text("#recipient-name", "OCMW Westerlo", WAIT)
        .unwrap();
    app.press("#to-five-points").unwrap();
    app.press("#record-refusal").unwrap();
    app.wait_for_text("#referrals-notice", "Weigering genoteerd", WAIT)
        .unwrap();
    let row = app
        .wait_for_text("#referral-list tbody tr:first-child", "Geweigerd", WAIT)
        .unwrap();
    assert!(row.contains("geen gegevens bewaard"), "{row}");
    let list = app
        .text(&app.wait_for("#referral-list", WAIT).unwrap())
        .unwrap();
    assert!(!list.contains("Ayşe") && !list.contains("Yılmaz"), "{list}");
    app.screenshot(&screenshot_dir().join("referrals.png"))
        .unwrap();
    // Zoë's package, opened from the list: the notice about Ayşe's refusal stays behind.
    app.click(&app.button("Pakket").unwrap()).unwrap();
    app.wait_for_text("#package-title", "", WAIT).unwrap();
    let lead = app
        .wait_for_text("section .lead", "Aanmelding", WAIT)
        .unwrap();
    let notice = app
        .execute(
            "const n = document.getElementById('package-notice'); return n ? n.textContent : '';",
            json!([]),
        )
        .unwrap();
    assert_eq!(notice, json!(""), "{lead}");
    app.click(&app.button("Naar de aanmeldingen").unwrap())
        .unwrap();

    // A client in Namur (Wallonia): the reason is shown and the form cannot go on.
    app.enter_client("Jean", "Dupont", "5000").unwrap();
    let reason = app
        .wait_for_text("#residence-problem", "geen wettelijke basis", WAIT)
        .unwrap();
    assert!(reason.contains("Waals Gewest"), "{reason}");
    assert!(
        !app.enabled(&app.wait_for("#to-five-points", WAIT).unwrap())
            .unwrap()
    );
    app.screenshot(&screenshot_dir().join("wallonia.png"))
        .unwrap();
    app.close().unwrap();
}

#[test]
#[ignore = "drives the real window: run through scripts/test.sh"]
fn two_referrals_go_to_a_real_smtp_server_and_a_withdrawal_sends_its_notice() {
    let server = aanmelder_e2e::smtp::SmtpServer::start().unwrap();
    let (_data, driver) = Driver::fresh(4480).unwrap();
    let app = driver.launch().unwrap();
    app.past_first_start().unwrap();
    app.wait_for_text("#store-status", "Versleuteld", WAIT)
        .unwrap();

    app.fill_worker_settings().unwrap();
    // The team's mail server: here the loopback server, with its own certificate.
    let port = server.port.to_string();
    let cert = String::from_utf8(server.cert.clone()).unwrap();
    for (id, value) in [
        ("#host", "localhost"),
        ("#port", port.as_str()),
        ("#username", aanmelder_e2e::smtp::USER),
        ("#smtp_password", aanmelder_e2e::smtp::PASSWORD),
        ("#ca_pem", cert.as_str()),
    ] {
        app.fill_in(id, value).unwrap();
    }
    app.press("#save-smtp").unwrap();
    app.wait_for_text("#smtp-status", "bewaard", WAIT).unwrap();

    // This team sends through its mail server.
    for partner in [Partner::WESTERLO, Partner::DIEST] {
        let partner = Partner {
            mail_program: false,
            ..partner
        };
        app.add_partner(&partner).unwrap();
    }

    let first = app.consented("Zoë", "Peeters", "2260").unwrap();
    let second = app.consented("Ayşe", "Peeters", "3290").unwrap();
    assert!(
        server.received().is_empty(),
        "nothing leaves before the worker syncs"
    );

    app.click(&app.button("Verzenden").unwrap()).unwrap();
    app.press("#sync-now").unwrap();
    if let Err(e) = app.wait_for_text("#sync-status", "2 verzonden", WAIT) {
        app.screenshot(&screenshot_dir().join("outbox-failed.png"))
            .unwrap();
        panic!("{e}; the screen says: {}", app.said());
    }
    let list = app
        .text(&app.wait_for("#outbox-list", WAIT).unwrap())
        .unwrap();
    assert_eq!(list.matches("wacht op bevestiging").count(), 2, "{list}");
    app.screenshot(&screenshot_dir().join("outbox.png"))
        .unwrap();
    assert_eq!(server.received().len(), 2);

    // Zoë withdraws her consent: one form, one button; the OCMW already has her data, so a
    // notice goes out, and her name is gone from the list.
    let reference = aanmelder_e2e::reference_in(&first);
    app.click(&app.button("Aanmeldingen").unwrap()).unwrap();
    app.fill_in("#referral-search", "Zoë").unwrap();
    app.click(
        &app.button_labelled(&format!("Intrekken {reference}"))
            .unwrap(),
    )
    .unwrap();
    app.wait_for_text("#withdraw-title", "Toestemming intrekken", WAIT)
        .unwrap();
    // The day is read back beside the date a moment after the screen opens: it moves nothing,
    // so a click aimed at the button meanwhile still lands on it.
    let top = || {
        app.execute(
            "return document.getElementById('confirm-withdrawal').getBoundingClientRect().top;",
            json!([]),
        )
        .unwrap()
    };
    let before = top();
    app.wait_for_text("#said_on-echo", "Wordt bewaard als", WAIT)
        .unwrap();
    assert_eq!(top(), before);
    app.screenshot(&screenshot_dir().join("withdrawal.png"))
        .unwrap();
    app.press("#confirm-withdrawal").unwrap();
    app.wait_for_text("#package-notice", "Intrekking genoteerd", WAIT)
        .unwrap();
    let notice_file = app
        .text(&app.wait_for("#package-file", WAIT).unwrap())
        .unwrap();
    assert_eq!(notice_file, format!("intrekking-{reference}.7z"));
    app.click(&app.button("Verzenden").unwrap()).unwrap();
    app.press("#sync-now").unwrap();
    app.wait_for_text("#sync-status", "1 verzonden", WAIT)
        .unwrap();
    let list = app
        .text(&app.wait_for("#outbox-list", WAIT).unwrap())
        .unwrap();
    assert!(list.contains("Intrekking"), "{list}");
    app.click(&app.button("Aanmeldingen").unwrap()).unwrap();
    let row = app
        .wait_for_text(
            &format!("tr[data-reference='{reference}']"),
            "ingetrokken",
            WAIT,
        )
        .unwrap();
    assert!(
        row.contains("gegevens gewist") && !row.contains("Zoë"),
        "{row}"
    );
    let all = app
        .text(&app.wait_for("#referral-list", WAIT).unwrap())
        .unwrap();
    assert!(!all.contains("Zoë") && all.contains("Ayşe"), "{all}");
    app.screenshot(&screenshot_dir().join("withdrawn.png"))
        .unwrap();
    let other = second
        .trim_start_matches("aanmelding-")
        .trim_end_matches(".7z")
        .to_owned();
    // Ayşe's package went out, so a correction may follow: the form opens with her data.
    app.click(&app.button_labelled(&format!("Corrigeren {other}")).unwrap())
        .unwrap();
    app.wait_for_text("#correct-title", "corrigeren", WAIT)
        .unwrap();
    let phone = app.wait_for("#phone", WAIT).unwrap();
    assert_eq!(app.value(&phone).unwrap(), "0470 12 34 56");
    app.click(&app.button("Terug").unwrap()).unwrap();
    app.wait_for("#referral-list", WAIT).unwrap();

    // Ayşe's package went to a wrong mailbox after all: with the team's DPO set, the worker
    // reports it on the sent item and gets the DPO's draft, without her data.
    app.click(&app.button("Instellingen").unwrap()).unwrap();
    app.fill_in("#retention-days", "14").unwrap();
    app.fill_in("#dpo-email", "dpo@team.example").unwrap();
    app.press("#save-retention").unwrap();
    app.wait_for_text("#retention-status", "bewaard", WAIT)
        .unwrap();
    app.click(&app.button("Verzenden").unwrap()).unwrap();
    app.click(
        &app.wait_for_xpath(
            &format!(
                "//tr[@data-reference='{other}' and @data-state='sent']\
                 //button[normalize-space(.)='Verkeerd adres melden']"
            ),
            WAIT,
        )
        .unwrap(),
    )
    .unwrap();
    let drafts = tempfile::tempdir().unwrap();
    app.fill_in("#incident-to", "iemand@verkeerd.example")
        .unwrap();
    app.fill_in(
        "#incident-note",
        "Ontvanger gebeld en gevraagd de mail te wissen.",
    )
    .unwrap();
    // A folder that is not there is refused next to the field, before anything is recorded.
    app.fill_in(
        "#incident-folder",
        &drafts.path().join("weg").display().to_string(),
    )
    .unwrap();
    app.press("#report-incident").unwrap();
    app.wait_for_text("#incident-folder-error", "bestaat niet", WAIT)
        .unwrap();
    app.fill_in("#incident-folder", &drafts.path().display().to_string())
        .unwrap();
    app.press("#report-incident").unwrap();
    let result = app
        .wait_for_text("#incident-result", "dpo@team.example", WAIT)
        .unwrap();
    assert!(
        result.contains("logboek") && result.contains("Toelichting: Ontvanger gebeld"),
        "{result}"
    );
    app.screenshot(&screenshot_dir().join("incident.png"))
        .unwrap();
    let eml: Vec<String> = std::fs::read_dir(drafts.path())
        .unwrap()
        .map(|e| String::from_utf8_lossy(&std::fs::read(e.unwrap().path()).unwrap()).into_owned())
        .collect();
    assert_eq!(eml.len(), 1);
    assert!(eml[0].contains(&other) && eml[0].contains("iemand@verkeerd.example"));
    assert!(
        eml[0].contains("Ontvanger gebeld"),
        "the note is in the draft"
    );
    assert!(
        !eml[0].contains("Ayşe") && !eml[0].contains("Ay=C5"),
        "no client data in the DPO draft"
    );

    // The log of every step still checks out.
    app.click(&app.button("Logboek").unwrap()).unwrap();
    app.press("#verify-ledger").unwrap();
    app.wait_for_text("#ledger-result", "intact", WAIT).unwrap();
    app.close().unwrap();

    let received = server.received();
    assert_eq!(received.len(), 3);
    let mails: Vec<String> = received
        .iter()
        .map(|p| String::from_utf8_lossy(&std::fs::read(p).unwrap()).into_owned())
        .collect();
    let notice = mails
        .iter()
        .find(|m| m.contains("Subject: Intrekking toestemming"))
        .expect("the withdrawal notice reached the server");
    assert!(notice.contains(&reference) && notice.contains("intrekking-"));
    for file in [&first, &second] {
        assert!(
            mails.iter().any(|m| m.contains(file.as_str())),
            "{file} not received"
        );
    }
    assert!(
        mails
            .iter()
            .all(|m| !m.contains("Zo=C3=AB") && !m.contains("Ay=C5=9Fe"))
    );
}

#[test]
#[ignore = "drives the real window: run through scripts/test.sh"]
fn a_draft_whose_consent_was_withdrawn_says_not_to_send_it() {
    let (_data, driver) = Driver::fresh(4690).unwrap();
    let app = driver.launch().unwrap();
    app.past_first_start().unwrap();
    app.fill_worker_settings().unwrap();
    // A partner reached through the worker's own mail program.
    app.add_partner(&Partner::WESTERLO).unwrap();
    let file = app.consented("Zoë", "Peeters", "2260").unwrap();
    let reference = aanmelder_e2e::reference_in(&file);
    let drafts = tempfile::tempdir().unwrap();
    app.click(&app.button("Verzenden").unwrap()).unwrap();
    app.fill_in("#draft-folder", &drafts.path().display().to_string())
        .unwrap();
    app.press("#write-drafts").unwrap();
    app.wait_for_text("#drafts-status", "1 concept bewaard", WAIT)
        .unwrap();

    // She withdraws before the worker sent the draft from the mail program.
    app.click(&app.button("Aanmeldingen").unwrap()).unwrap();
    app.click(
        &app.button_labelled(&format!("Intrekken {reference}"))
            .unwrap(),
    )
    .unwrap();
    app.press("#confirm-withdrawal").unwrap();
    if let Err(e) = app.wait_for_text("#package-notice", "Intrekking genoteerd", WAIT) {
        panic!("{}", app.shown_after(&e, "withdraw-draft"));
    }
    app.click(&app.button("Verzenden").unwrap()).unwrap();
    let row = app
        .wait_for_text(
            &format!("tr[data-reference='{reference}'][data-state='drafted']"),
            "niet meer versturen",
            WAIT,
        )
        .unwrap();
    assert!(row.contains("verstuur dit concept niet"), "{row}");
    assert!(
        !row.contains("Map openen") && !row.contains("open het in Outlook"),
        "{row}"
    );
    // The draft file went with her data.
    assert_eq!(std::fs::read_dir(drafts.path()).unwrap().count(), 0);
    app.close().unwrap();
}
