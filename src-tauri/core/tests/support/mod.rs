//! What the integration tests share beyond the core's test office (`aanmelder_core::testing`):
//! the loopback mail server and the tools that read what it received.

#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

mod poppler;
#[allow(unused_imports)] // Each test crate takes what it needs.
pub use aanmelder_core::testing::{Office, client, key, now, reopen, store_from_env};
#[allow(unused_imports)] // Not every test crate reads a PDF or runs a tool.
pub use poppler::{pdf_text, tool};

use aanmelder_core::outbox::smtp::{Security, SignIn, Smtp, SmtpSettings};
use aanmelder_core::outbox::{self, OutboxItem, SyncReport};
use aanmelder_core::referral::Reference;
use aanmelder_core::store::DbKey;
use aanmelder_e2e::smtp::{self, SmtpServer};
use base64::Engine as _;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;
use zeroize::Zeroizing;

/// The loopback SMTP server (aiosmtpd), and an SMTP client for it with the given password.
pub struct Server(pub SmtpServer);

impl Server {
    pub fn start() -> Self {
        Self(SmtpServer::start().unwrap())
    }

    pub fn smtp(&self, password: &str) -> Smtp {
        smtp_client(self.0.port, &self.0.cert, password)
    }

    pub fn received(&self) -> Vec<std::path::PathBuf> {
        self.0.received()
    }

    /// Sends what is due in `office`'s outbox through this server, as the worker's sync does.
    pub fn sync(&self, office: &Office) -> SyncReport {
        outbox::sync(
            &office.store,
            &self.smtp(smtp::PASSWORD),
            now,
            false,
            |_, _| {},
        )
        .unwrap()
    }
}

/// The outbox's item for `reference`, as the outbox screen lists it.
pub fn outbox_item(office: &Office, reference: &Reference) -> OutboxItem {
    outbox::list(&office.store, &office.gazetteer)
        .unwrap()
        .into_iter()
        .find(|i| i.reference == reference.as_str())
        .unwrap()
}

/// A client with consent and a built package in the outbox, its password not yet passed on.
pub fn built(office: &Office, input: &aanmelder_core::referral::ClientInput) -> Reference {
    let reference = office.consented(input, aanmelder_core::consent::Language::Nl, now());
    office.packages().build(&reference, now()).unwrap();
    reference
}

/// [`built`] for a Peeters living at `postal_code`, the password passed on: what a receipt
/// waits for before the archive goes.
pub fn queued(office: &Office, first: &str, postal_code: &str) -> Reference {
    let reference = built(office, &client(first, "Peeters", postal_code));
    office
        .packages()
        .password_passed(&reference, aanmelder_core::package::Channel::Phone, now())
        .unwrap();
    reference
}

/// The base64 body of the part with this content type.
pub fn attachment(mail: &str, content_type: &str) -> Vec<u8> {
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

pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

/// An SMTP client for the loopback test server on `port`, trusting its certificate.
pub fn smtp_client(port: u16, cert: &[u8], password: &str) -> Smtp {
    smtp_client_with(port, cert, password, Duration::from_secs(10))
}

/// The same, waiting at most `timeout` for each mail.
pub fn smtp_client_with(port: u16, cert: &[u8], password: &str, timeout: Duration) -> Smtp {
    Smtp::new(&SmtpSettings {
        host: "localhost".into(),
        port,
        security: Security::StartTls,
        sign_in: SignIn::Password {
            username: smtp::USER.into(),
            password: Zeroizing::new(password.into()),
        },
        extra_root_pem: Some(cert.to_vec()),
        timeout,
    })
    .unwrap()
}

/// Message-IDs of the mails `server` received after its first `skip`, each with how often it
/// arrived.
pub fn received_ids(server: &SmtpServer, skip: usize) -> HashMap<String, usize> {
    let mut counts = HashMap::new();
    for path in server.received().into_iter().skip(skip) {
        let mail = String::from_utf8_lossy(&std::fs::read(path).unwrap()).into_owned();
        let id = mail
            .lines()
            .find_map(|l| l.strip_prefix("Message-ID: "))
            .unwrap()
            .trim()
            .to_owned();
        *counts.entry(id).or_insert(0) += 1;
    }
    counts
}

/// The next number of a xorshift sequence: where the crash tests kill their child, the same in
/// every run of the test.
pub fn xorshift(seed: &mut u64) -> u64 {
    *seed ^= *seed << 13;
    *seed ^= *seed >> 7;
    *seed ^= *seed << 17;
    *seed
}

/// A closed office's store for the tests that run child processes: each run takes a fresh copy,
/// and a child is started on it with the store's passphrase and salt (and the parent's mail
/// server, if any) in `<prefix>_…` variables, which [`store_from_env`] and [`smtp_from_env`] read.
pub struct Template {
    _dir: tempfile::TempDir,
    path: PathBuf,
    pub key: DbKey,
    passphrase: &'static str,
    salt: String,
    server: Option<(u16, PathBuf)>,
}

impl Template {
    pub fn of(office: Office) -> Self {
        let passphrase = office.passphrase;
        let salt = office.params.salt.clone();
        let (dir, path, key) = office.close();
        Self {
            _dir: dir,
            path,
            key,
            passphrase,
            salt,
            server: None,
        }
    }

    /// Children get a client for `server`, trusting its certificate.
    pub fn with_server(mut self, server: &SmtpServer) -> Self {
        let cert = self._dir.path().join("cert.pem");
        std::fs::write(&cert, &server.cert).unwrap();
        self.server = Some((server.port, cert));
        self
    }

    /// A fresh copy of the store, in a folder of its own.
    pub fn copy(&self) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("aanmelder.db");
        std::fs::copy(&self.path, &db).unwrap();
        (dir, db)
    }

    /// This test binary running only the ignored test `child`, on the store at `db`.
    pub fn child(&self, child: &str, prefix: &str, db: &Path) -> Command {
        let mut command = Command::new(std::env::current_exe().unwrap());
        command
            .args([
                "--ignored",
                "--exact",
                child,
                "--test-threads=1",
                "--nocapture",
            ])
            .env(format!("{prefix}_DB"), db)
            .env(format!("{prefix}_PASSPHRASE"), self.passphrase)
            .env(format!("{prefix}_SALT"), &self.salt);
        if let Some((port, cert)) = &self.server {
            command
                .env(format!("{prefix}_PORT"), port.to_string())
                .env(format!("{prefix}_CERT"), cert);
        }
        command
    }
}

/// The client for the parent's mail server that a child was handed by [`Template::child`].
pub fn smtp_from_env(prefix: &str) -> Smtp {
    let var = |name: &str| std::env::var(format!("{prefix}_{name}")).expect("set by the parent");
    let port = var("PORT").parse().unwrap();
    let cert = std::fs::read(var("CERT")).unwrap();
    smtp_client(port, &cert, smtp::PASSWORD)
}
