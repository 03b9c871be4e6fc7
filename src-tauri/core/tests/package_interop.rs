//! Our packages against the real tools the OCMW uses: Debian's 7-Zip (`7zz`), The Unarchiver
//! (`unar`, `lsar`), Python's `py7zr` (PyPI) and poppler (`pdftotext`, `pdftoppm`).
//! `scripts/setup.sh --test` installs them; without them these tests fail with a message saying
//! so.

// Test helpers outside #[test] functions: a failed unwrap here is a failed test, as intended.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use aanmelder_core::agreement::Agreement;
use aanmelder_core::consent::Language;
use aanmelder_core::files;
use aanmelder_core::package::password::Password;
use aanmelder_core::package::{JSON_NAME, PDF_NAME, archive};
use aanmelder_core::referral::{ClientInput, Reference};
use proptest::prelude::*;

mod support;
use support::{Office, contains, now, pdf_text, tool};

/// The PDF and JSON the core makes for a referral with consent.
fn contents(office: &Office, reference: &Reference) -> (Vec<u8>, Vec<u8>) {
    let (_, contents) = office.packages().contents(reference, now()).unwrap();
    (
        contents.pdf().unwrap().to_vec(),
        contents.json().unwrap().to_vec(),
    )
}

fn client(first: &str, last: &str) -> ClientInput {
    support::client(first, last, "2260")
}

/// Checks one sealed archive with every reader: hidden without the password, wrong password
/// refused, right password gives back exactly `files`.
fn check_with_readers(bytes: &[u8], password: &str, files: &[(&str, &[u8])], secrets: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("pakket.7z"), bytes).unwrap();
    for (name, _) in files {
        assert!(
            !contains(bytes, name.as_bytes()),
            "{name} in the archive bytes"
        );
        let utf16: Vec<u8> = name.encode_utf16().flat_map(u16::to_le_bytes).collect();
        assert!(
            !contains(bytes, &utf16),
            "{name} (UTF-16) in the archive bytes"
        );
    }
    for secret in secrets {
        assert!(
            !contains(bytes, secret.as_bytes()),
            "{secret} in the archive bytes"
        );
    }

    for lister in [&["7zz", "l", "pakket.7z"][..], &["lsar", "pakket.7z"]] {
        let listing = tool(lister[0], &lister[1..], dir.path());
        let text = String::from_utf8_lossy(&listing.stdout).to_string()
            + &String::from_utf8_lossy(&listing.stderr);
        assert!(
            !listing.status.success() || !text.contains("aanmelding") && !text.contains(".json"),
            "{} listed the archive without a password: {text}",
            lister[0]
        );
        for (name, _) in files {
            assert!(
                !text.contains(name),
                "{} showed {name} without the password: {text}",
                lister[0]
            );
        }
    }

    for reader in readers() {
        let wrong = reader(dir.path(), "VERK-EERD-WACH-TW00", "wrong");
        assert!(
            !wrong.status.success() && !extracted(dir.path()),
            "a wrong password opened the archive in {}",
            String::from_utf8_lossy(&wrong.stderr)
        );
        let right = reader(dir.path(), password, "okay");
        assert!(
            right.status.success(),
            "a reader could not open our archive: {}{}",
            String::from_utf8_lossy(&right.stdout),
            String::from_utf8_lossy(&right.stderr)
        );
        for (name, content) in files {
            let extracted = std::fs::read(dir.path().join("okay").join(name)).unwrap();
            assert!(extracted == *content, "{name} differs after extraction");
        }
        std::fs::remove_dir_all(dir.path().join("okay")).unwrap();
    }
}

/// A reader extracting `pakket.7z` in a folder with a password into a subfolder.
type Reader = fn(&std::path::Path, &str, &str) -> std::process::Output;

/// Whether a failed extraction still left a file behind in `wrong/`.
fn extracted(dir: &std::path::Path) -> bool {
    std::fs::read_dir(dir.join("wrong")).is_ok_and(|mut d| d.next().is_some())
}

/// 7-Zip, The Unarchiver and py7zr.
fn readers() -> [Reader; 3] {
    [
        |dir, password, out| {
            tool(
                "7zz",
                &[
                    "x",
                    &format!("-p{password}"),
                    &format!("-o{out}"),
                    "-y",
                    "pakket.7z",
                ],
                dir,
            )
        },
        |dir, password, out| {
            tool(
                "unar",
                &["-q", "-f", "-D", "-p", password, "-o", out, "pakket.7z"],
                dir,
            )
        },
        |dir, password, out| {
            tool(
                "python3",
                &[
                    "-c",
                    "import sys, py7zr\n\
                     with py7zr.SevenZipFile('pakket.7z', password=sys.argv[1]) as z:\n    \
                     z.extractall(sys.argv[2])",
                    password,
                    out,
                ],
                dir,
            )
        },
    ]
}

#[test]
fn seven_zip_opens_our_package_only_with_the_password() {
    let office = Office::with_smtp();
    let reference = office.consented(&client("Zoë", "Müller-Çelik"), Language::Nl, now());
    let (pdf, json) = contents(&office, &reference);
    let password = Password::generate().unwrap();
    let sealed = archive::seal(&[(PDF_NAME, &pdf), (JSON_NAME, &json)], &password).unwrap();
    check_with_readers(
        &sealed,
        password.expose(),
        &[(PDF_NAME, &pdf), (JSON_NAME, &json)],
        &[
            "Zoë",
            "Müller",
            "Sint-Jansstraat",
            "client@example.be",
            "%PDF",
            "schema",
        ],
    );
    // Two archives of the same files differ: a fresh IV each time.
    let again = archive::seal(&[(PDF_NAME, &pdf), (JSON_NAME, &json)], &password).unwrap();
    assert_ne!(sealed, again);
}

#[test]
fn a_single_file_with_a_short_name_keeps_its_name_hidden() {
    // The case that made sevenz-rust 0.6 leak names: one file, a short name, a tiny header.
    let password = Password::generate().unwrap();
    let sealed = archive::seal(&[("a.json", b"{\"x\":1}")], &password).unwrap();
    check_with_readers(&sealed, password.expose(), &[("a.json", b"{\"x\":1}")], &[]);
}

/// Where the 7zAES coder's properties are in the archive: its method id, the properties' size
/// (18), then the flags byte (IV present, 2^cycles), the sizes byte and the IV.
fn aes_properties(archive: &[u8]) -> Vec<&[u8]> {
    const AES: [u8; 5] = [0x06, 0xF1, 0x07, 0x01, 18];
    archive
        .windows(AES.len() + 18)
        .filter(|w| w.starts_with(&AES))
        .map(|w| &w[AES.len()..])
        .collect()
}

#[test]
fn the_key_takes_2_to_the_19_rounds_without_salt_as_7_zip_makes_it() {
    let password = Password::generate().unwrap();
    let files: [(&str, &[u8]); 1] = [("a.json", b"{\"x\":1}")];
    let one = archive::seal(&files, &password).unwrap();
    let two = archive::seal(&files, &password).unwrap();
    // The header's coder is stored in clear (the header itself is not): IV flag and 19, then IV
    // size - 1 (15): the bytes 7-Zip writes.
    let (p1, p2) = (aes_properties(&one), aes_properties(&two));
    assert_eq!(p1.len(), 1, "one AES coder in the clear part: the header's");
    assert_eq!(&p1[0][..2], [0x40 | 19, 0x0F]);
    assert_ne!(&p1[0][2..], &p2[0][2..], "a fresh IV per archive");
    // And 7-Zip reads the same from the decrypted header, for the files and for the header:
    // 7zAES with 2^19 rounds, coded as it codes its own.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("pakket.7z"), &one).unwrap();
    std::fs::write(dir.path().join("a.json"), files[0].1).unwrap();
    let ours = slt(dir.path(), "pakket.7z", password.expose());
    tool(
        "7zz",
        &[
            "a",
            "-mhe=on",
            &format!("-p{}", password.expose()),
            "peer.7z",
            "a.json",
        ],
        dir.path(),
    );
    let peer = slt(dir.path(), "peer.7z", password.expose());
    assert!(ours.contains("7zAES:19"), "{ours}");
    for key in ["Method = ", "Solid = ", "Blocks = ", "Encrypted = "] {
        let line = |text: &str| -> Vec<String> {
            text.lines()
                .filter(|l| l.starts_with(key))
                .map(str::to_owned)
                .collect()
        };
        assert_eq!(line(&ours), line(&peer), "{key}");
    }
}

/// 7-Zip's technical listing of an archive.
fn slt(dir: &std::path::Path, name: &str, password: &str) -> String {
    let out = tool("7zz", &["l", "-slt", &format!("-p{password}"), name], dir);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into()
}

#[test]
fn the_stored_package_opens_with_the_password_shown_to_the_worker() {
    let office = Office::with_smtp();
    let reference = office.consented(&client("Nguyễn Thị", "Ánh"), Language::Fr, now());
    let packages = office.packages();
    let view = packages.build(&reference, now()).unwrap();
    let export = packages.archive(&reference).unwrap();
    let folder = tempfile::tempdir().unwrap();
    let path = files::save(folder.path(), &export).unwrap();
    assert_eq!(
        path.file_name().unwrap().to_string_lossy(),
        format!("aanmelding-{reference}.7z")
    );
    let out = tool(
        "7zz",
        &[
            "x",
            &format!("-p{}", view.password),
            "-ookay",
            "-y",
            &path.to_string_lossy(),
        ],
        folder.path(),
    );
    assert!(out.status.success());
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(folder.path().join("okay").join(JSON_NAME)).unwrap())
            .unwrap();
    assert_eq!(json["reference"], reference.as_str());
    assert_eq!(json["client"]["first_name"], "Nguyễn Thị");
    assert_eq!(json["consent"]["language"], "fr");
}

#[test]
fn the_referral_sheet_prints_every_name_exactly() {
    let office = Office::with_smtp();
    for (i, (first, last)) in [
        ("Zoë", "Müller"),
        ("Ayşe", "Çelik"),
        ("Nguyễn Thị", "Ánh"),
        ("Søren", "Ørsted"),
        ("Đorđe", "Đorđević"),
    ]
    .into_iter()
    .enumerate()
    {
        let reference = office.consented(&client(first, last), Language::Nl, now());
        let (pdf, _) = contents(&office, &reference);
        let text = pdf_text(&pdf, &format!("aanmelding-{i}"));
        for needle in [
            first,
            last,
            reference.as_str(),
            "OCMW Westerlo",
            "Sint-Jansstraat 12 bus 3, 2260 Westerlo",
            "0470 12 34 56",
            "An Peeters",
            "Wat te doen",
        ] {
            assert!(text.contains(needle), "{needle} missing from:\n{text}");
        }
    }
}

#[test]
fn the_receipt_is_in_the_clients_language_and_has_no_password() {
    let office = Office::with_smtp();
    for (language, title) in [
        (Language::Nl, "Bewijs van aanmelding"),
        (Language::Fr, "Preuve de signalement"),
        (Language::En, "Referral receipt"),
    ] {
        let reference = office.consented(&client("Zoë", "Ørsted"), language, now());
        let packages = office.packages();
        let view = packages.build(&reference, now()).unwrap();
        let receipt = packages.receipt(&reference).unwrap();
        assert_eq!(
            receipt.file_name,
            format!("ontvangstbewijs-{reference}.pdf")
        );
        let text = pdf_text(
            &receipt.bytes,
            &format!("ontvangstbewijs-{}", language.code()),
        );
        for needle in [
            title,
            reference.as_str(),
            "OCMW Westerlo",
            "dpo@ocmw-westerlo.example",
            "014 12 34 56",
        ] {
            assert!(text.contains(needle), "{needle} missing from:\n{text}");
        }
        // The kinds of data, never the values: the receipt is a file outside the store.
        let client = client("Zoë", "Ørsted");
        for value in [
            "Zoë",
            "Ørsted",
            client.street.as_str(),
            client.phone.as_str(),
            client.email.as_str(),
        ]
        .into_iter()
        .filter(|v| !v.is_empty())
        {
            assert!(!text.contains(value), "the receipt holds {value}:\n{text}");
        }
        let compact: String = text.split_whitespace().collect();
        let password: String = view.password.split('-').collect();
        assert!(
            !compact.contains(&password),
            "the receipt must not hold the password"
        );
    }
}

/// Names as they occur in Flemish families, diacritics and all.
fn name() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "Zoë",
        "Ayşe",
        "Nguyễn Thị",
        "Søren",
        "Đorđe",
        "Mary-Ann",
        "Jean",
        "Anaïs",
        "Łukasz",
        "Ömer",
        "Fatima",
        "Jürgen",
        "Ilse",
        "Chloé",
        "Björn",
        "O'Neill",
        "Ana María",
    ])
    .prop_map(str::to_owned)
}

fn client_input() -> impl Strategy<Value = ClientInput> {
    (
        name(),
        name(),
        prop::sample::select(vec![
            "Kerkstraat",
            "Grote Markt",
            "Sint-Jansstraat",
            "Rue Haute",
        ]),
        1u16..999,
        prop::option::of(1u8..40),
        prop::sample::select(vec!["2260", "3290", "2000", "9000", "1000", "1804"]),
        prop::option::of(prop::sample::select(vec![
            "0470 12 34 56",
            "+31 6 12345678",
            "014 12 34 56",
        ])),
        prop::option::of(prop::sample::select(vec![
            "a@example.be",
            "zoe.muller@example.org",
        ])),
    )
        .prop_map(
            |(first, last, street, number, r#box, postal, phone, email)| ClientInput {
                first_name: first,
                last_name: last,
                street: street.into(),
                house_number: number.to_string(),
                r#box: r#box.map(|b| b.to_string()).unwrap_or_default(),
                postal_code: postal.into(),
                municipality_code: if postal == "1804" {
                    "23096".into()
                } else {
                    String::new()
                },
                phone: phone.unwrap_or_default().into(),
                email: email.unwrap_or_default().into(),
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    #[test]
    fn any_valid_referral_round_trips_through_every_reader(input in client_input(), language in prop::sample::select(vec![Language::Nl, Language::Fr, Language::En])) {
        let office = Office::with_smtp();
        // Every postal code above is in the demo register (Westerlo, Diest) or needs one added.
        for (key, name, kbo) in [("ocmw:11002", "OCMW Antwerpen", "0212.181.956"), ("ocmw:44021", "OCMW Gent", "0212.181.956"), ("ocmw:23096", "OCMW Zemst", "0212.181.956")] {
            Agreement::save(&office.store, &office.gazetteer, None, aanmelder_core::agreement::AgreementInput {
                recipient_key: key.into(), name: name.into(), kbo: kbo.into(),
                mailbox: "aanmelding@ocmw.example".into(), dpo_email: "dpo@ocmw.example".into(),
                password_phone: "014 12 34 56".into(), agreement_date: "2024-01-01".into(),
                protocol_from: "2024-01-01".into(), protocol_until: String::new(),
                delivery: aanmelder_core::agreement::Delivery::Smtp,
                ..Default::default()
            }, now()).unwrap();
        }
        let reference = office.consented(&input, language, now());
        let (pdf, json) = contents(&office, &reference);
        let password = Password::generate().unwrap();
        let sealed = archive::seal(&[(PDF_NAME, &pdf), (JSON_NAME, &json)], &password).unwrap();
        check_with_readers(&sealed, password.expose(), &[(PDF_NAME, &pdf), (JSON_NAME, &json)], &[&input.first_name, &input.street]);
    }
}
