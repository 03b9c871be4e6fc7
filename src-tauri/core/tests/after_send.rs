//! After the send, against the real parts: withdrawal with a loopback SMTP server (aiosmtpd) and
//! Debian's 7-Zip, correction, and the purge checked page by page in the decrypted database file
//! and its write-ahead log.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;

use aanmelder_core::correction::{self, CorrectionInput};
use aanmelder_core::ledger::{self, EventKind};
use aanmelder_core::outbox::{self, ItemState};
use aanmelder_core::package::PackageKind;
use aanmelder_core::referral::{ClientInput, Reference, Referral};
use aanmelder_core::retention;
use aanmelder_core::store::PassphraseParams;
use aanmelder_e2e::smtp;
use aes::cipher::{BlockDecryptMut as _, KeyIvInit as _, block_padding::NoPadding};
use chrono::{Duration, NaiveDate};

mod support;
use support::{Office, Server, attachment, built, contains, now, tool};

/// A client whose every value is unlike anything else in the store, so finding one of them in a
/// page can only mean the client's data are still there.
fn distinctive(tag: &str) -> (ClientInput, Vec<String>) {
    let first = format!("Zebedeus{tag}");
    let last = format!("Quirijnsbeek{tag}");
    let street = format!("Wervelwindstraat{tag}");
    let email = format!("zq.{}@voorbeeld.be", tag.to_lowercase());
    let input = ClientInput {
        first_name: first.clone(),
        last_name: last.clone(),
        street: street.clone(),
        house_number: "917".into(),
        r#box: String::new(),
        postal_code: "2260".into(),
        municipality_code: String::new(),
        phone: "0470 98 76 54".into(),
        email: email.clone(),
    };
    (input, vec![first, last, street, email])
}

fn states(office: &Office, reference: &Reference) -> Vec<(PackageKind, ItemState)> {
    outbox::list(&office.store, &office.gazetteer)
        .unwrap()
        .into_iter()
        .filter(|i| i.reference == reference.as_str())
        .map(|i| (i.kind, i.state))
        .collect()
}

#[test]
fn withdrawal_before_sending_cancels_the_send_and_nothing_reaches_the_server() {
    let server = Server::start();
    let office = Office::with_smtp();
    let (input, values) = distinctive("Voor");
    let reference = built(&office, &input);

    let done = office.withdraw(&reference, now());
    assert_eq!((done.cancelled, done.notice.is_none()), (1, true));
    let report = server.sync(&office);
    assert_eq!(report.sent, 0);
    assert!(server.received().is_empty(), "a mail reached the server");
    assert_eq!(
        states(&office, &reference),
        [(PackageKind::Referral, ItemState::Cancelled)]
    );
    let referral = Referral::get(&office.store, &office.gazetteer, &reference).unwrap();
    assert!(referral.client.is_none());
    assert_eq!(referral.withdrawn_on.as_deref(), Some("2026-11-22"));
    assert!(office.packages().archive(&reference).is_err());
    let pages = Pages::of(&office);
    pages.assert_none_of(&values, "while the store is open");
    let _dir = office.close();
    pages.assert_none_of(&values, "after closing");
}

#[test]
fn withdrawal_after_sending_mails_a_notice_that_7zz_opens_and_that_names_the_reference() {
    let server = Server::start();
    let office = Office::with_smtp();
    let (input, _) = distinctive("Na");
    let reference = built(&office, &input);
    let smtp = server.smtp(smtp::PASSWORD);
    assert_eq!(
        outbox::sync(&office.store, &smtp, now, false, |_, _| {})
            .unwrap()
            .sent,
        1
    );

    let done = office.withdraw(&reference, now());
    let notice = done.notice.expect("the OCMW had the data, so it is told");
    assert_eq!(notice.kind, PackageKind::Withdrawal);
    assert_eq!(notice.file_name, format!("intrekking-{reference}.7z"));
    assert_eq!(
        states(&office, &reference),
        [
            (PackageKind::Referral, ItemState::Sent),
            (PackageKind::Withdrawal, ItemState::Queued)
        ]
    );
    assert_eq!(
        outbox::sync(&office.store, &smtp, now, false, |_, _| {})
            .unwrap()
            .sent,
        1
    );
    let mails = server.received();
    assert_eq!(mails.len(), 2);
    let mail = mails
        .iter()
        .map(|p| String::from_utf8(std::fs::read(p).unwrap()).unwrap())
        .find(|m| m.contains("Subject: Intrekking toestemming"))
        .expect("the notice's mail");
    assert!(mail.contains(&format!("Subject: Intrekking toestemming {reference}")));
    assert!(!mail.contains("Zebedeus") && !mail.contains("Quirijnsbeek"));

    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("notice.7z"),
        attachment(&mail, "application/x-7z-compressed"),
    )
    .unwrap();
    // Without the password 7-Zip cannot even list the names inside.
    let listing = tool("7zz", &["l", "-p", "notice.7z"], dir.path());
    assert!(!String::from_utf8_lossy(&listing.stdout).contains("intrekking.json"));
    let out = tool(
        "7zz",
        &["x", &format!("-p{}", notice.password), "-y", "notice.7z"],
        dir.path(),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json = std::fs::read_to_string(dir.path().join("intrekking.json")).unwrap();
    let json: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(json["kind"], "withdrawal");
    assert_eq!(json["reference"], reference.as_str());
    assert_eq!(json["client_name"], "ZebedeusNa QuirijnsbeekNa");
    assert_eq!(json["withdrawn_on"], "2026-11-22");
    assert!(dir.path().join("intrekking.pdf").is_file());
    // Sent is not received: the notice's archive waits for the OCMW's receipt, at most the
    // retention period; then it goes, and nothing of the client is left.
    assert!(office.packages().archive(&reference).is_ok());
    aanmelder_core::retention::purge_due(&office.store, now() + chrono::Duration::days(29))
        .unwrap();
    assert!(office.packages().archive(&reference).is_ok());
    aanmelder_core::retention::purge_due(&office.store, now() + chrono::Duration::days(31))
        .unwrap();
    assert!(office.packages().archive(&reference).is_err());
}

#[test]
fn a_correction_sends_a_replacement_with_the_same_reference_and_keeps_the_history() {
    let server = Server::start();
    let office = Office::with_smtp();
    let (input, _) = distinctive("Cor");
    let reference = built(&office, &input);
    let smtp = server.smtp(smtp::PASSWORD);
    outbox::sync(&office.store, &smtp, now, false, |_, _| {}).unwrap();

    let corrected = ClientInput {
        house_number: "19".into(),
        phone: "0470 11 22 33".into(),
        ..input.clone()
    };
    let view = correction::correct(
        &office.store,
        &office.gazetteer,
        &CorrectionInput {
            reference: reference.clone(),
            client: corrected,
            reason: "OCMW meldt: huisnummer en telefoon kloppen niet".into(),
        },
        now() + Duration::days(2),
    )
    .unwrap();
    assert_eq!(view.kind, PackageKind::Correction);
    assert_eq!(view.file_name, format!("correctie-{reference}.7z"));

    let history = correction::history(&office.store, &reference).unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].worker, "An Peeters");
    let changes: Vec<(&str, &str, &str)> = history[0]
        .changes
        .iter()
        .map(|c| (c.field.as_str(), c.old.as_str(), c.new.as_str()))
        .collect();
    assert_eq!(
        changes,
        [
            (
                "Adres",
                "WervelwindstraatCor 917, 2260 Westerlo",
                "WervelwindstraatCor 19, 2260 Westerlo"
            ),
            // As a person reads and dials it; the package itself keeps the +32 form (below).
            ("Telefoon", "0470 98 76 54", "0470 11 22 33"),
        ]
    );

    let later = || now() + Duration::days(2);
    assert_eq!(
        outbox::sync(&office.store, &smtp, later, false, |_, _| {})
            .unwrap()
            .sent,
        1
    );
    let mail = server
        .received()
        .iter()
        .map(|p| String::from_utf8(std::fs::read(p).unwrap()).unwrap())
        .find(|m| m.contains("Subject: Correctie aanmelding"))
        .expect("the correction's mail");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("c.7z"),
        attachment(&mail, "application/x-7z-compressed"),
    )
    .unwrap();
    let out = tool(
        "7zz",
        &["x", &format!("-p{}", view.password), "-y", "c.7z"],
        dir.path(),
    );
    assert!(out.status.success());
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("aanmelding.json")).unwrap())
            .unwrap();
    assert_eq!(json["kind"], "correction");
    assert_eq!(json["reference"], reference.as_str());
    assert_eq!(json["client"]["address"]["house_number"], "19");
    assert_eq!(json["client"]["phone"], "+32470112233");
    let listed = office
        .packages()
        .referrals()
        .unwrap()
        .into_iter()
        .find(|r| r.referral.reference == reference)
        .unwrap();
    assert_eq!(listed.corrections, 1);
    assert_eq!(listed.referral.client.unwrap().address.house_number, "19");
}

#[test]
fn after_purge_no_page_of_the_database_or_its_log_holds_a_client_value_and_counts_stay() {
    let server = Server::start();
    let office = Office::with_smtp();
    let smtp = server.smtp(smtp::PASSWORD);
    // Withdrawn after sending, purged at once.
    let (withdrawn_input, withdrawn_values) = distinctive("Weg");
    let withdrawn = built(&office, &withdrawn_input);
    // Sent, corrected (old and new values in its history), purged when retention runs out.
    let (kept_input, mut kept_values) = distinctive("Tijd");
    let kept = built(&office, &kept_input);
    outbox::sync(&office.store, &smtp, now, false, |_, _| {}).unwrap();
    correction::correct(
        &office.store,
        &office.gazetteer,
        &CorrectionInput {
            reference: kept.clone(),
            client: ClientInput {
                street: "Draaikolkstraatlaan".into(),
                ..kept_input.clone()
            },
            reason: "Straat verkeerd".into(),
        },
        now(),
    )
    .unwrap();
    kept_values.push("Draaikolkstraatlaan".into());
    outbox::sync(&office.store, &smtp, now, false, |_, _| {}).unwrap();

    let store_pages = Pages::of(&office);
    // The scan itself must be able to fail: before the purge it finds every value.
    let pages = decrypted_pages(&store_pages);
    for value in withdrawn_values.iter().chain(&kept_values) {
        assert!(
            contains(&pages, value.as_bytes()),
            "the scan does not see {value} before the purge: it proves nothing"
        );
    }

    let year = |o: &Office| {
        ledger::tally(
            &o.store,
            NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
            NaiveDate::from_ymd_opt(2026, 12, 31).unwrap(),
        )
        .unwrap()
    };
    let before = year(&office);

    office.withdraw(&withdrawn, now());
    outbox::sync(&office.store, &smtp, now, false, |_, _| {}).unwrap();
    assert_eq!(
        retention::purge_due(&office.store, now() + Duration::days(29)).unwrap(),
        0,
        "purged before the retention ran out"
    );
    assert_eq!(
        retention::purge_due(&office.store, now() + Duration::days(31)).unwrap(),
        1
    );
    let after = year(&office);

    // While the store is open (the write-ahead log exists) and after closing it.
    let values: Vec<String> = withdrawn_values.into_iter().chain(kept_values).collect();
    store_pages.assert_none_of(&values, "after the purge");
    // The counts that were there stay; only the new steps were added.
    let without = |m: &BTreeMap<(String, EventKind), u32>, new: &[EventKind]| {
        m.iter()
            .filter(|((_, k), _)| !new.contains(k))
            .map(|(k, v)| (k.clone(), *v))
            .collect::<BTreeMap<_, _>>()
    };
    let new_kinds = [
        EventKind::Purged,
        EventKind::Withdrawn,
        EventKind::Packaged,
        EventKind::Sent,
    ];
    assert_eq!(without(&before, &new_kinds), without(&after, &new_kinds));
    let westerlo = |m: &BTreeMap<(String, EventKind), u32>, k| {
        m.get(&("ocmw:13049".to_owned(), k)).copied().unwrap_or(0)
    };
    assert_eq!(westerlo(&after, EventKind::Consented), 2);
    assert_eq!(westerlo(&after, EventKind::Withdrawn), 1);
    assert_eq!(westerlo(&after, EventKind::Corrected), 1);
    assert_eq!(westerlo(&after, EventKind::Purged), 2);
    // Referral, correction, then the notice: three packages, each sent once.
    assert_eq!(
        westerlo(&after, EventKind::Sent),
        westerlo(&before, EventKind::Sent) + 1
    );
    assert!(ledger::verify(&office.store).unwrap().intact);

    let _dir = office.close();
    store_pages.assert_none_of(&values, "after closing");
}

/// Where a store's file is and how its key is derived: enough to read it page by page.
struct Pages {
    path: std::path::PathBuf,
    passphrase: String,
    params: PassphraseParams,
}

impl Pages {
    fn of(office: &Office) -> Self {
        Self {
            path: office.store.info().unwrap().path.into(),
            passphrase: office.passphrase.to_owned(),
            params: office.params.clone(),
        }
    }

    fn assert_none_of(&self, values: &[String], when: &str) {
        let pages = decrypted_pages(self);
        for value in values {
            assert!(
                !contains(&pages, value.as_bytes()),
                "{value} is still in a page {when}"
            );
        }
    }
}

/// SQLCipher 4's page layout: 4096-byte pages, each ending in 80 reserved bytes (a 16-byte IV,
/// then a 64-byte HMAC); page 1 starts with the 16-byte salt, outside the encryption.
const PAGE: usize = 4096;
const RESERVE: usize = 80;
const SALT: usize = 16;

/// The raw key, derived here independently of the app (Argon2id with the office's parameters).
fn raw_key(passphrase: &str, params: &PassphraseParams) -> [u8; 32] {
    let salt = hex::decode(&params.salt).unwrap();
    let argon =
        argon2::Params::new(params.m_cost_kib, params.t_cost, params.p_cost, Some(32)).unwrap();
    let mut key = [0u8; 32];
    argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, argon)
        .hash_password_into(passphrase.as_bytes(), &salt, &mut key)
        .unwrap();
    key
}

fn decrypt_page(key: &[u8; 32], page: &[u8], first: bool) -> Vec<u8> {
    let start = if first { SALT } else { 0 };
    let iv = &page[PAGE - RESERVE..PAGE - RESERVE + 16];
    let mut data = page[start..PAGE - RESERVE].to_vec();
    cbc::Decryptor::<aes::Aes256>::new(key.into(), iv.into())
        .decrypt_padded_mut::<NoPadding>(&mut data)
        .unwrap();
    data
}

/// Every page of the database file and of its write-ahead log, decrypted and concatenated.
fn decrypted_pages(store: &Pages) -> Vec<u8> {
    let key = raw_key(&store.passphrase, &store.params);
    let path = store.path.as_path();
    let mut all = Vec::new();
    let db = std::fs::read(path).unwrap();
    assert_eq!(db.len() % PAGE, 0);
    for (i, page) in db.chunks(PAGE).enumerate() {
        all.extend(decrypt_page(&key, page, i == 0));
    }
    // Page 1 decrypts to the SQLite header (after the salt): proof that the key is right.
    // Bytes 16-17 give the page size, byte 20 the reserved bytes per page.
    assert_eq!((&all[0..2], all[4]), (&[0x10, 0x00][..], RESERVE as u8));
    let mut wal_path = path.as_os_str().to_owned();
    wal_path.push("-wal");
    if let Ok(wal) = std::fs::read(&wal_path) {
        // A 32-byte header, then frames of a 24-byte header and one page.
        for frame in wal.get(32..).unwrap_or_default().chunks(24 + PAGE) {
            if frame.len() < 24 + PAGE {
                break;
            }
            let number = u32::from_be_bytes(frame[0..4].try_into().unwrap());
            all.extend(decrypt_page(&key, &frame[24..], number == 1));
        }
    }
    all
}
