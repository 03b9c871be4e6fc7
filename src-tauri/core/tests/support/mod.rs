//! What the integration tests share: an office with a store, a worker and referrals with
//! consent, made through the public API only.

#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

mod poppler;
#[allow(unused_imports)] // Not every test crate reads a PDF or runs a tool.
pub use poppler::{pdf_text, tool};

use aanmelder_core::agreement::{Agreement, AgreementInput, Delivery};
use aanmelder_core::consent::{Language, POINT_KEYS};
use aanmelder_core::outbox::smtp::{Security, Smtp, SmtpSettings};
use aanmelder_core::referral::{ClientInput, Reference};
use aanmelder_core::residence::{Gazetteer, Recipient};
use aanmelder_core::store::{DbKey, KeyProtection, PassphraseParams, Store};
use aanmelder_core::visit::{ConsentInput, Visit};
use aanmelder_core::worker::WorkerProfile;
use aanmelder_e2e::smtp::{self, SmtpServer};
use base64::Engine as _;
use chrono::{DateTime, FixedOffset};
use std::path::Path;
use std::time::Duration;
use zeroize::Zeroizing;

pub fn now() -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339("2026-11-22T10:15:00+01:00").unwrap()
}

pub struct Office {
    dir: tempfile::TempDir,
    pub store: Store,
    pub gazetteer: Gazetteer,
    /// The store's key comes from this passphrase, so another process can open it too.
    pub passphrase: &'static str,
    pub params: PassphraseParams,
}

/// The key for `passphrase` with `params`: how a second process opens an office's store.
pub fn key(passphrase: &str, params: &PassphraseParams) -> DbKey {
    DbKey::from_passphrase(passphrase, params).unwrap()
}

impl Office {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let passphrase = "kantoor van het lokale team";
        let params = PassphraseParams::with_costs(256, 1, 1).unwrap();
        let store = Store::create(
            &dir.path().join("aanmelder.db"),
            &key(passphrase, &params),
            KeyProtection::Passphrase,
            aanmelder_core::ledger::UPGRADES,
        )
        .unwrap();
        WorkerProfile {
            name: "An Peeters".into(),
            team: "Lokaal team Westerlo".into(),
            email: "an.peeters@example.be".into(),
            phone: "014 12 34 56".into(),
        }
        .save(&store)
        .unwrap();
        let office = Self {
            dir,
            store,
            gazetteer: Gazetteer::embedded().unwrap(),
            passphrase,
            params,
        };
        // The demo partners serve as the register. They are reached by drafts; the tests send
        // through a mail server.
        Agreement::install_demo_register(&office.store, now()).unwrap();
        for a in Agreement::list(&office.store).unwrap() {
            let input = AgreementInput {
                delivery: Delivery::Smtp,
                ..input_of(&a)
            };
            Agreement::save(&office.store, &office.gazetteer, Some(a.id), input, now()).unwrap();
        }
        office
    }

    /// Closes the store (folding its log into the file) and hands over the folder holding it.
    pub fn close(self) -> (tempfile::TempDir, std::path::PathBuf, DbKey) {
        let key = key(self.passphrase, &self.params);
        drop(self.store);
        let path = self.dir.path().join("aanmelder.db");
        (self.dir, path, key)
    }

    /// Walks a client through the visit to consent; returns the reference.
    pub fn consent(&self, input: &ClientInput, language: Language) -> Reference {
        let visit = Visit::new(&self.store, &self.gazetteer);
        let reference = visit.start(input, now()).unwrap().referral.reference;
        let five = visit.five_points(&reference, language, now()).unwrap();
        visit
            .consent(
                &ConsentInput {
                    reference: reference.clone(),
                    language,
                    explained: POINT_KEYS.iter().map(|k| (*k).to_owned()).collect(),
                    shown_sha256: five.sha256,
                },
                now(),
            )
            .unwrap();
        reference
    }

    /// Points a partner's referral mailbox elsewhere, as a supervisor would in the register.
    pub fn set_mailbox(&self, recipient: &Recipient, mailbox: &str) {
        let a = Agreement::for_recipient(&self.store, recipient, now().date_naive())
            .unwrap()
            .unwrap();
        let input = AgreementInput {
            mailbox: mailbox.into(),
            ..input_of(&a)
        };
        Agreement::save(&self.store, &self.gazetteer, Some(a.id), input, now()).unwrap();
    }
}

/// A register entry as the form would send it back unchanged.
pub fn input_of(a: &Agreement) -> AgreementInput {
    a.to_input()
}

pub fn client(first: &str, last: &str, postal_code: &str) -> ClientInput {
    ClientInput {
        first_name: first.into(),
        last_name: last.into(),
        street: "Sint-Jansstraat".into(),
        house_number: "12".into(),
        r#box: "3".into(),
        postal_code: postal_code.into(),
        municipality_code: String::new(),
        phone: "0470 12 34 56".into(),
        email: "client@example.be".into(),
    }
}

/// The loopback SMTP server (aiosmtpd), and an SMTP client for it with the given password.
pub struct Server(pub SmtpServer);

impl Server {
    pub fn start() -> Self {
        Self(SmtpServer::start().unwrap())
    }

    pub fn smtp(&self, password: &str) -> Smtp {
        Smtp::new(&SmtpSettings {
            host: "localhost".into(),
            port: self.0.port,
            security: Security::StartTls,
            username: smtp::USER.into(),
            password: Zeroizing::new(password.into()),
            extra_root_pem: Some(self.0.cert.clone()),
            timeout: Duration::from_secs(10),
        })
        .unwrap()
    }

    pub fn received(&self) -> Vec<std::path::PathBuf> {
        self.0.received()
    }
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
pub fn smtp_client(port: u16, cert: &[u8]) -> Smtp {
    Smtp::new(&SmtpSettings {
        host: "localhost".into(),
        port,
        security: Security::StartTls,
        username: smtp::USER.into(),
        password: Zeroizing::new(smtp::PASSWORD.into()),
        extra_root_pem: Some(cert.to_vec()),
        timeout: Duration::from_secs(10),
    })
    .unwrap()
}

/// The store a child process was handed by its parent test: `<prefix>_DB`, `_PASSPHRASE` and
/// `_SALT` (the cheap test costs of [`Office`]).
pub fn store_from_env(prefix: &str) -> Store {
    let var = |name: &str| std::env::var(format!("{prefix}_{name}")).expect("set by the parent");
    let params = PassphraseParams {
        salt: var("SALT"),
        m_cost_kib: 256,
        t_cost: 1,
        p_cost: 1,
    };
    reopen(Path::new(&var("DB")), &key(&var("PASSPHRASE"), &params))
}

/// Opens an [`Office`]'s store again, as the app does at its next start (migrations included;
/// recovery is the caller's to run).
pub fn reopen(db: &Path, key: &DbKey) -> Store {
    Store::open(
        db,
        key,
        KeyProtection::Passphrase,
        aanmelder_core::ledger::UPGRADES,
    )
    .unwrap()
}
