//! The outbox against a real SMTP server process on loopback (aiosmtpd, started and stopped by
//! the test; `scripts/setup.sh --test` installs it): STARTTLS with AUTH, a 451, a 550 and a
//! connection dropped in the middle of DATA.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::BufRead as _;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::Duration;

use aanmelder_core::consent::Language;
use aanmelder_core::outbox::smtp::{Security, Smtp, SmtpSettings};
use aanmelder_core::outbox::{self, ItemState};
use aanmelder_core::package::Packages;
use aanmelder_core::referral::Reference;
use aanmelder_core::residence::Recipient;
use base64::Engine as _;
use zeroize::Zeroizing;

mod support;
use support::{Office, client, now};

/// The server process; closing its standard input stops it.
struct Server {
    child: Child,
    stdin: Option<ChildStdin>,
    port: u16,
    dir: tempfile::TempDir,
    cert: Vec<u8>,
}

impl Server {
    fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let ok = Command::new("openssl")
            .args([
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-subj",
                "/CN=localhost",
            ])
            .args(["-addext", "subjectAltName=DNS:localhost", "-days", "1"])
            .args(["-keyout", "key.pem", "-out", "cert.pem"])
            .current_dir(dir.path())
            .stderr(Stdio::null())
            .status()
            .expect("openssl makes the test certificate");
        assert!(ok.success());
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/smtp_server.py");
        let mail = dir.path().join("mail");
        std::fs::create_dir(&mail).unwrap();
        let mut child = Command::new("python3")
            .arg(script)
            .arg(&mail)
            .args(["cert.pem", "key.pem", "aanmelder", "geheim-smtp-wachtwoord"])
            .current_dir(dir.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("python3 with aiosmtpd: run scripts/setup.sh --test");
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port = line
            .strip_prefix("PORT ")
            .and_then(|p| p.trim().parse().ok())
            .unwrap_or_else(|| {
                panic!("the SMTP server did not start: {line:?} (is aiosmtpd installed?)")
            });
        let cert = std::fs::read(dir.path().join("cert.pem")).unwrap();
        Self {
            stdin: child.stdin.take(),
            child,
            port,
            dir,
            cert,
        }
    }

    fn smtp(&self, password: &str) -> Smtp {
        Smtp::new(&SmtpSettings {
            host: "localhost".into(),
            port: self.port,
            security: Security::StartTls,
            username: "aanmelder".into(),
            password: Zeroizing::new(password.into()),
            extra_root_pem: Some(self.cert.clone()),
            timeout: Duration::from_secs(10),
        })
        .unwrap()
    }

    fn received(&self) -> Vec<PathBuf> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(self.dir.path().join("mail"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        files
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        drop(self.stdin.take());
        let _ = self.child.wait();
    }
}

/// The base64 body of the part with this content type.
fn attachment(mail: &str, content_type: &str) -> Vec<u8> {
    let part = mail
        .split(&format!("Content-Type: {content_type}"))
        .nth(1)
        .unwrap();
    let body = part.split("\r\n\r\n").nth(1).unwrap();
    let encoded: String = body.lines().take_while(|l| !l.starts_with("--")).collect();
    base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .unwrap()
}

fn state(office: &Office, reference: &Reference) -> (ItemState, Option<String>) {
    let item = outbox::list(&office.store, &office.gazetteer)
        .unwrap()
        .into_iter()
        .find(|i| i.reference == reference.as_str())
        .unwrap();
    (item.state, item.last_error)
}

fn queued(office: &Office, first: &str, postal_code: &str) -> Reference {
    let reference = office.consent(&client(first, "Vandenberghe", postal_code), Language::Nl);
    Packages::new(&office.store, &office.gazetteer)
        .build(&reference, now())
        .unwrap();
    reference
}

#[test]
fn starttls_with_auth_delivers_the_attachment_byte_identical_and_no_client_data() {
    let server = Server::start();
    let office = Office::new();
    let reference = queued(&office, "Zoë", "2260");
    let archive = Packages::new(&office.store, &office.gazetteer)
        .archive(&reference)
        .unwrap();
    let smtp = server.smtp("geheim-smtp-wachtwoord");
    assert!(smtp.reachable());
    let report = outbox::sync(&office.store, &smtp, now, |_, _| {}).unwrap();
    assert_eq!(report.sent, 1, "{:?}", state(&office, &reference));

    let files = server.received();
    assert_eq!(files.len(), 1);
    let mail = String::from_utf8(std::fs::read(&files[0]).unwrap()).unwrap();
    assert_eq!(
        attachment(&mail, "application/x-7z-compressed"),
        archive.bytes
    );
    let readable = mail.replace("=\r\n", "");
    assert!(readable.contains(&format!("Subject: Aanmelding {reference}")));
    for secret in [
        "Zoë",
        "Zo=C3=AB",
        "Vandenberghe",
        "Sint-Jansstraat",
        "client@example.be",
        "+32470123456",
    ] {
        assert!(!readable.contains(secret), "{secret} is in the mail");
    }
}

#[test]
fn a_wrong_smtp_password_delivers_nothing_and_loses_nothing() {
    let server = Server::start();
    let office = Office::new();
    let reference = queued(&office, "Zoë", "2260");
    let report = outbox::sync(&office.store, &server.smtp("verkeerd"), now, |_, _| {}).unwrap();
    assert_eq!(report.sent, 0);
    assert!(server.received().is_empty());
    let (item, _) = state(&office, &reference);
    assert_ne!(item, ItemState::Sent);
    assert!(
        Packages::new(&office.store, &office.gazetteer)
            .archive(&reference)
            .is_ok()
    );
}

#[test]
fn a_451_is_retried_later_and_a_550_needs_attention_while_the_next_goes_out() {
    let server = Server::start();
    let office = Office::new();
    office.set_mailbox(
        &Recipient::Ocmw("13049".into()),
        "tijdelijk@ocmw-westerlo.example",
    );
    office.set_mailbox(
        &Recipient::Ocmw("24020".into()),
        "onbekend@ocmw-diest.example",
    );
    let later = queued(&office, "Zoë", "2260");
    let unknown = queued(&office, "Ayşe", "3290");
    let fine = queued(&office, "Jan", "1000");
    let report = outbox::sync(
        &office.store,
        &server.smtp("geheim-smtp-wachtwoord"),
        now,
        |_, _| {},
    )
    .unwrap();
    assert_eq!((report.sent, report.failed, report.attention), (1, 1, 1));
    let (s, why) = state(&office, &later);
    assert_eq!(s, ItemState::Failed);
    assert!(why.unwrap().contains("451"));
    let (s, why) = state(&office, &unknown);
    assert_eq!(s, ItemState::Attention);
    assert!(why.unwrap().contains("550"));
    assert_eq!(state(&office, &fine).0, ItemState::Sent);
    assert_eq!(server.received().len(), 1);
}

#[test]
fn a_connection_dropped_in_the_middle_of_data_leaves_the_item_queued() {
    let server = Server::start();
    let office = Office::new();
    office.set_mailbox(
        &Recipient::Ocmw("13049".into()),
        "afbreken@ocmw-westerlo.example",
    );
    let reference = queued(&office, "Zoë", "2260");
    let report = outbox::sync(
        &office.store,
        &server.smtp("geheim-smtp-wachtwoord"),
        now,
        |_, _| {},
    )
    .unwrap();
    assert_eq!(report.sent, 0);
    let (s, why) = state(&office, &reference);
    assert!(
        matches!(s, ItemState::Queued | ItemState::Failed),
        "{s:?}: {why:?}"
    );
    assert!(
        Packages::new(&office.store, &office.gazetteer)
            .archive(&reference)
            .is_ok()
    );
    assert!(server.received().is_empty());
}
