//! The supervisor's evaluation in the real window: two workers' count files read in, the team's
//! table and chart, a duplicate recognised, and the counts saved as CSV and XLSX.
//!
//! The count files are made by `aanmelder-core`'s own export from two real (temporary) stores,
//! as the workers' apps make them. Ignored by a plain `cargo test`: run through scripts/test.sh.

use std::io::Cursor;
use std::path::Path;
use std::time::Duration;

use aanmelder_core::ledger::{self, EventKind};
use aanmelder_core::report::PeriodInput;
use aanmelder_core::report::countfile;
use aanmelder_core::residence::Gazetteer;
use aanmelder_core::store::{DbKey, KeyProtection, Store};
use aanmelder_core::team;
use aanmelder_core::worker::WorkerProfile;
use aanmelder_e2e::{Driver, Partner, screenshot_dir};
use calamine::{Data, Reader, Xlsx};

const WAIT: Duration = Duration::from_secs(30);

/// A worker's count file for 2026: `referrals` consents to Westerlo, each sent two days later,
/// and one refusal for Diest; with the fingerprint of the key that signed it, as the worker's
/// app shows it.
fn count_file(
    dir: &Path,
    name: &str,
    email: &str,
    referrals: usize,
) -> Result<(std::path::PathBuf, String), Box<dyn std::error::Error>> {
    let store_dir = tempfile::tempdir()?;
    let store = Store::create(
        &store_dir.path().join("aanmelder.db"),
        &DbKey::generate()?,
        KeyProtection::Keyring,
        aanmelder_core::ledger::UPGRADES,
    )?;
    WorkerProfile {
        name: name.into(),
        team: "Lokaal team Westerlo".into(),
        email: email.into(),
        phone: "014 12 34 56".into(),
    }
    .save(&store)?;
    let mut events = Vec::new();
    for i in 0..referrals {
        let reference = Some(format!("AM-E2E{i:03}-{}", &email[..2]));
        let month = 3 + i % 6;
        for (kind, day) in [
            (EventKind::Explained, 3),
            (EventKind::Consented, 3),
            (EventKind::Sent, 5),
        ] {
            events.push((
                kind,
                format!("2026-{month:02}-{day:02}T10:00:00+01:00"),
                "ocmw:13049".to_owned(),
                reference.clone(),
            ));
        }
    }
    for kind in [EventKind::Explained, EventKind::Refused] {
        events.push((
            kind,
            "2026-04-10T11:00:00+02:00".into(),
            "ocmw:24020".into(),
            None,
        ));
    }
    ledger::append_many(&store, events)?;
    let file = countfile::export(
        &store,
        &Gazetteer::embedded()?,
        &PeriodInput::Year { year: 2026 },
        "0.1.0",
        chrono::DateTime::parse_from_rfc3339("2026-11-20T16:00:00+01:00")?,
    )?;
    let path = dir.join(format!("{}-{}", &email[..3], file.file_name));
    std::fs::write(&path, &*file.bytes)?;
    Ok((path, team::own_fingerprint(&store)?))
}

/// On the Team screen: the two workers whose count files are read in.
fn add_members(app: &aanmelder_e2e::Session<'_>) -> aanmelder_e2e::Result<()> {
    for (i, (name, email)) in [
        ("An Peeters", "an.peeters@example.be"),
        ("Zoë Müller", "zoe.muller@example.be"),
    ]
    .into_iter()
    .enumerate()
    {
        app.click(&app.wait_for("#add-member", WAIT)?)?;
        app.fill(&app.wait_for(&format!("#member-{i}-name"), WAIT)?, name)?;
        app.fill(&app.wait_for(&format!("#member-{i}-email"), WAIT)?, email)?;
    }
    app.click(&app.wait_for("#save-members", WAIT)?)?;
    app.wait_for_text("#members-status", "bewaard", WAIT)?;
    Ok(())
}

/// Under Instellingen: the supervisor's name and team, and the supervisor's role.
fn become_supervisor(app: &aanmelder_e2e::Session<'_>) -> aanmelder_e2e::Result<()> {
    app.click(&app.button("Instellingen")?)?;
    for (id, value) in [
        ("#name", "Lies Supervisor"),
        ("#team", "Lokaal team Westerlo"),
    ] {
        app.fill(&app.wait_for(id, WAIT)?, value)?;
    }
    app.click(&app.wait_for("#save-settings", WAIT)?)?;
    app.wait_for_text("#settings-status", "bewaard", WAIT)?;
    app.click(&app.wait_for("#role-supervisor", WAIT)?)?;
    app.wait_for_text("#role-status", "leidinggevende", WAIT)?;
    Ok(())
}

#[test]
#[ignore = "drives the real window: run through scripts/test.sh"]
fn a_supervisor_adds_up_two_count_files_and_exports_csv_and_xlsx() {
    let files = tempfile::tempdir().unwrap();
    let (an, an_key) = count_file(files.path(), "An Peeters", "an.peeters@example.be", 4).unwrap();
    let (zoe, zoe_key) =
        count_file(files.path(), "Zoë Müller", "zoe.muller@example.be", 3).unwrap();
    // A copy of An's file with one digit of the signed counts changed.
    let text = std::fs::read_to_string(&an).unwrap();
    let needle = "\\\"consented\\\": ";
    let at = text.find(needle).unwrap() + needle.len();
    let mut bytes = text.into_bytes();
    bytes[at] = if bytes[at] == b'9' { b'8' } else { b'9' };
    let changed = files.path().join("gewijzigd.json");
    std::fs::write(&changed, bytes).unwrap();
    let exports = tempfile::tempdir().unwrap();

    let (_data, driver) = Driver::fresh(4490).unwrap();
    let app = driver.launch().unwrap();
    app.past_first_start().unwrap();
    app.wait_for_text("#store-status", "Versleuteld", WAIT)
        .unwrap();

    // Settings: work as the team's supervisor; the Team screen appears in the menu.
    become_supervisor(&app).unwrap();
    app.click(&app.button("Team").unwrap()).unwrap();
    add_members(&app).unwrap();
    let read_in = |path: &Path| {
        app.fill_in("#count-file-path", &path.display().to_string())
            .unwrap();
        app.press("#import-count-file").unwrap();
    };

    // Each worker's first file: the supervisor compares the key's fingerprint by phone.
    for (path, key, who) in [(&an, &an_key, "An Peeters"), (&zoe, &zoe_key, "Zoë Müller")] {
        read_in(path);
        let shown = app
            .wait_for_text("#count-key-fingerprint", " ", WAIT)
            .unwrap();
        assert_eq!(shown.trim(), key.as_str());
        let confirm = app.wait_for("#confirm-count-file", WAIT).unwrap();
        assert!(!app.enabled(&confirm).unwrap(), "not before it is ticked");
        app.press("#confirm-count-key").unwrap();
        app.click(&confirm).unwrap();
        app.wait_for_text("#import-status", who, WAIT).unwrap();
    }
    // The first again: recognised, nothing counted twice; a changed copy: refused.
    read_in(&an);
    app.wait_for_text("#import-status", "al ingelezen", WAIT)
        .unwrap();
    read_in(&changed);
    app.wait_for_text("#count-file-path-error", "handtekening klopt niet", WAIT)
        .unwrap();

    // The team's table: 7 consents and sends to Westerlo, 2 refusals for Diest, median 2 days.
    let total =
        |count: &str| format!("#team-counts tr[data-count='{count}'] td[data-recipient='total']");
    app.wait_for_text(&total("consented"), "7", WAIT).unwrap();
    for (count, value) in [("sent", "7"), ("refused", "2"), ("explained", "9")] {
        let cell = app.wait_for(&total(count), WAIT).unwrap();
        assert_eq!(app.text(&cell).unwrap().trim(), value, "{count}");
    }
    // Both files were made on 20 November, before the year was over: their counts stop there,
    // and the screen says so rather than that every file is in.
    let early = app
        .wait_for_text("#team-early", "Zoë Müller", WAIT)
        .unwrap();
    assert!(early.contains("An Peeters (20/11/2026"), "{early}");
    let every = app
        .execute(
            "return document.getElementById('team-missing')?.textContent ?? ''",
            serde_json::json!([]),
        )
        .unwrap();
    assert_eq!(every, "", "not 'every file is in'");
    // The median as a number; its unit is in the row's label.
    let median = app.wait_for(&total("median"), WAIT).unwrap();
    assert_eq!(app.text(&median).unwrap().trim(), "2");
    // In the 1100 px window every figure of a partner is in view, next to the counts' labels:
    // no sideways scroll takes either away.
    let view = app
        .execute(
            "const cells = [...document.querySelectorAll(\"#team-counts [data-recipient='ocmw:13049'], #team-counts th.label\")]
               .map((c) => c.getBoundingClientRect());
             return { width: window.innerWidth, left: Math.min(...cells.map((r) => r.left)),
                      right: Math.max(...cells.map((r) => r.right)), cells: cells.length };",
            serde_json::json!([]),
        )
        .unwrap();
    assert_eq!(view["cells"], 2 * 12, "{view}");
    assert!(
        view["left"].as_f64().unwrap() >= 0.0
            && view["right"].as_f64().unwrap() <= view["width"].as_f64().unwrap(),
        "a partner's figures do not fit the window: {view}"
    );
    // The chart's axis counts whole consents.
    let ticks = app
        .execute(
            "return [...document.querySelectorAll('#team-chart [data-tick]')].map((t) => t.textContent);",
            serde_json::json!([]),
        )
        .unwrap();
    let ticks: Vec<String> = serde_json::from_value(ticks).unwrap();
    assert!(ticks.len() >= 2, "{ticks:?}");
    assert!(
        ticks.iter().all(|t| t.trim().parse::<u32>().is_ok()),
        "{ticks:?}"
    );
    // The labels on the screen, for the exports to match: "Partner", then the counts' rows.
    let labels = app
        .execute(
            "return ['Partner', ...[...document.querySelectorAll('#team-counts tbody th')].map((t) => t.textContent.trim())];",
            serde_json::json!([]),
        )
        .unwrap();
    let labels: Vec<String> = serde_json::from_value(labels).unwrap();
    assert_eq!(labels.len(), 12, "{labels:?}");
    // The chart: March has the first referral of each worker, so a bar of 2 consents.
    app.wait_for(
        "#team-chart rect[data-month='2026-03'][data-series='consented'][data-value='2']",
        WAIT,
    )
    .unwrap();
    app.wait_for(
        "#team-chart rect[data-month='2026-04'][data-series='refused'][data-value='2']",
        WAIT,
    )
    .unwrap();
    app.screenshot(&screenshot_dir().join("team.png")).unwrap();

    // Export both to a folder the test reads back.
    app.fill_in("#team-folder", &exports.path().display().to_string())
        .unwrap();
    for (button, extension) in [
        ("#team-export-csv", "csv"),
        ("#team-export-xlsx", "xlsx"),
        ("#team-export-pdf", "pdf"),
    ] {
        app.press(button).unwrap();
        app.wait_for_text("#team-export-status", extension, WAIT)
            .unwrap();
    }

    // Everyone's own evaluation screen saves a count file; the supervisor's log is empty.
    app.click(&app.button("Evaluatie").unwrap()).unwrap();
    app.wait_for_text("#evaluation-empty", "Geen gebeurtenissen", WAIT)
        .unwrap();
    app.fill_in("#own-folder", &exports.path().display().to_string())
        .unwrap();
    app.press("#save-count-file").unwrap();
    app.wait_for_text("#own-export-status", "Telbestand bewaard", WAIT)
        .unwrap();
    // A period of one's own: typed as dd/mm/jjjj, each day read back beside it in words, and
    // no date that does not exist.
    app.press("#own-period-kind option[value='custom']")
        .unwrap();
    app.fill_in("#own-period-from", "31/02/2024").unwrap();
    app.wait_for_text("#own-period-from-echo", "geen bestaande datum", WAIT)
        .unwrap();
    app.fill_in("#own-period-from", "18/12/2023").unwrap();
    app.wait_for_text(
        "#own-period-from-echo",
        "Wordt bewaard als maandag 18 december 2023",
        WAIT,
    )
    .unwrap();
    app.fill_in("#own-period-to", "31/12/2023").unwrap();
    app.press("#evaluation-title").unwrap();
    app.wait_for_text(
        "#evaluation-period",
        "Van 18/12/2023 tot en met 31/12/2023",
        WAIT,
    )
    .unwrap();
    app.close().unwrap();
    // Named after the period and whose it is.
    let own = countfile::parse(
        &std::fs::read(exports.path().join("telling-2026-lies-supervisor.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(own.file.worker.name, "Lies Supervisor");
    assert!(own.file.ledger.intact && own.file.report.partners.is_empty());

    let csv = std::fs::read(exports.path().join("evaluatie-2026.csv")).unwrap();
    assert!(csv.starts_with(b"\xEF\xBB\xBF"), "UTF-8 with BOM");
    let text = String::from_utf8(csv[3..].to_vec()).unwrap();
    let total_row: Vec<&str> = text
        .lines()
        .find(|l| l.starts_with("Totaal;"))
        .unwrap()
        .split(';')
        .collect();
    // Totaal; Van; Tot; explained, consented, refused, sent, …, the median last: the screen's.
    assert_eq!(
        &total_row[1..7],
        ["01/01/2026", "31/12/2026", "9", "7", "2", "7"]
    );
    assert_eq!(total_row.last(), Some(&"2"));
    let header: Vec<&str> = text.lines().next().unwrap().split(';').collect();
    assert_eq!(header[0], labels[0]);
    assert_eq!(header[3..], labels[1..]);

    let xlsx = std::fs::read(exports.path().join("evaluatie-2026.xlsx")).unwrap();
    let mut book: Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(xlsx)).unwrap();
    let names = book.sheet_names();
    assert!(names.iter().any(|n| n == "Overzicht"), "{names:?}");
    assert!(names.iter().any(|n| n.contains("Westerlo")), "{names:?}");
    let summary = book.worksheet_range("Overzicht").unwrap();
    let total = summary
        .rows()
        .find(|row| matches!(row.first(), Some(Data::String(s)) if s == "Totaal"))
        .unwrap();
    let numbers: Vec<f64> = total
        .iter()
        .filter_map(|c| match c {
            Data::Float(f) => Some(*f),
            Data::Int(i) => Some(*i as f64),
            _ => None,
        })
        .collect();
    assert_eq!(&numbers[..4], [9.0, 7.0, 2.0, 7.0]);
    assert_eq!(numbers.last(), Some(&2.0), "the median, a number cell");
    let header: Vec<String> = summary
        .rows()
        .find(|row| matches!(row.first(), Some(Data::String(s)) if s == "Partner"))
        .unwrap()
        .iter()
        .map(|c| c.to_string())
        .collect();
    assert_eq!(header, labels);

    // The PDF: tagged, with the screen's labels and total.
    let dir = exports.path();
    let info = std::process::Command::new("pdfinfo")
        .arg(dir.join("evaluatie-2026.pdf"))
        .output()
        .unwrap();
    let info = String::from_utf8_lossy(&info.stdout).to_string();
    assert!(
        info.lines()
            .any(|l| l.starts_with("Tagged:") && l.ends_with("yes")),
        "{info}"
    );
    let pdf = std::process::Command::new("pdftotext")
        .args(["-layout"])
        .arg(dir.join("evaluatie-2026.pdf"))
        .arg("-")
        .output()
        .unwrap();
    let pdf = String::from_utf8_lossy(&pdf.stdout).to_string();
    let flat: String = pdf.split_whitespace().collect::<Vec<_>>().join(" ");
    for label in &labels {
        let words: Vec<&str> = label.split_whitespace().collect();
        // Headers wrap over lines in the print: each word is there.
        assert!(words.iter().all(|w| flat.contains(w)), "{label} in:\n{pdf}");
    }
    let total = pdf
        .lines()
        .find(|l| l.trim_start().starts_with("Totaal"))
        .unwrap();
    let figures: Vec<&str> = total.split_whitespace().skip(1).collect();
    assert_eq!(figures[..4], ["9", "7", "2", "7"]);
    assert_eq!(figures.last(), Some(&"2"));
}

/// The supervisor signs the team profile in their app; a member reads it in, compares the
/// fingerprint, applies it, and a copy with one changed byte is refused.
#[test]
#[ignore = "drives the real window: run through scripts/test.sh"]
fn a_member_applies_the_supervisors_signed_team_profile_and_refuses_a_changed_one() {
    let profiles = tempfile::tempdir().unwrap();

    // The supervisor: the real Westerlo mailbox in the register, one team member, sign.
    let boss = tempfile::tempdir().unwrap();
    let (fingerprint, profile) = {
        let driver = Driver::start(4500, &[("AANMELDER_DATA_DIR", boss.path())]).unwrap();
        let app = driver.launch().unwrap();
        app.past_first_start().unwrap();
        app.wait_for_text("#store-status", "Versleuteld", WAIT)
            .unwrap();
        become_supervisor(&app).unwrap();

        app.add_partner(&Partner::WESTERLO).unwrap();

        app.click(&app.button("Team").unwrap()).unwrap();
        app.press("#add-member").unwrap();
        app.fill_in("#member-0-name", "An Peeters").unwrap();
        app.fill_in("#member-0-email", "an.peeters@example.be")
            .unwrap();
        app.press("#save-members").unwrap();
        app.wait_for_text("#members-status", "bewaard", WAIT)
            .unwrap();
        let fingerprint = app
            .text(&app.wait_for("#own-fingerprint", WAIT).unwrap())
            .unwrap();
        app.fill_in("#profile-folder", &profiles.path().display().to_string())
            .unwrap();
        app.press("#export-profile").unwrap();
        let status = app
            .wait_for_text("#profile-export-status", "teamprofiel-", WAIT)
            .unwrap();
        app.close().unwrap();
        let path = status
            .split_whitespace()
            .find(|w| w.contains("teamprofiel-"))
            .unwrap()
            .trim_end_matches('.')
            .to_owned();
        (fingerprint.trim().to_owned(), path)
    };
    assert_eq!(fingerprint.split(' ').count(), 8, "{fingerprint}");

    // A copy with one letter of the signed profile changed.
    let bytes = std::fs::read(&profile).unwrap();
    let text = String::from_utf8(bytes).unwrap();
    let changed = text.replacen("info.ocmw@westerlo.be", "info.ocmw@westerlo.bf", 1);
    assert_ne!(changed, text);
    let tampered = profiles.path().join("gewijzigd.json");
    std::fs::write(&tampered, changed).unwrap();

    // The member: first the changed copy, refused; then the real one, after the fingerprint.
    let (_member, driver) = Driver::fresh(4510).unwrap();
    let app = driver.launch().unwrap();
    app.past_first_start().unwrap();
    app.wait_for_text("#store-status", "Versleuteld", WAIT)
        .unwrap();
    app.click(&app.button("Instellingen").unwrap()).unwrap();
    app.fill_in("#profile-path", &tampered.display().to_string())
        .unwrap();
    app.press("#inspect-profile").unwrap();
    app.wait_for_text("#profile-path-error", "gewijzigd na het ondertekenen", WAIT)
        .unwrap();

    app.fill_in("#profile-path", &profile).unwrap();
    app.press("#inspect-profile").unwrap();
    let shown = app
        .text(&app.wait_for("#profile-fingerprint", WAIT).unwrap())
        .unwrap();
    assert_eq!(shown.trim(), fingerprint);
    let apply = app.wait_for("#apply-profile", WAIT).unwrap();
    assert!(
        !app.enabled(&apply).unwrap(),
        "not before the fingerprint is confirmed"
    );
    app.press("#confirm-fingerprint").unwrap();
    app.click(&apply).unwrap();
    app.wait_for_text("#profile-result", "toegepast", WAIT)
        .unwrap();
    app.screenshot(&screenshot_dir().join("team-profile.png"))
        .unwrap();

    app.click(&app.button("Partners").unwrap()).unwrap();
    let register = app
        .wait_for_text("#agreement-list", "info.ocmw@westerlo.be", WAIT)
        .unwrap();
    assert!(!register.contains("(demo)"), "{register}");
    app.close().unwrap();
}
