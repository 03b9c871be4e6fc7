//! The one test office, shared by the unit tests of every module and by this crate's integration
//! tests: a fresh store in a temporary folder, a complete worker profile, the demo register and
//! the embedded gazetteer, and the steps that walk a client to consent or to a sent package.
//!
//! It is compiled for the unit tests and, with the `testing` feature, for the integration tests
//! (the end-to-end crate turns that feature on; the app never does). The store's key comes from a
//! passphrase at cheap costs, so a second process (the crash tests' children) can open it too.

#![allow(clippy::expect_used, missing_debug_implementations)]

use std::path::{Path, PathBuf};

use chrono::{DateTime, FixedOffset};

use crate::agreement::{Agreement, AgreementInput, Delivery};
use crate::consent::{Language, POINT_KEYS};
use crate::outbox::{OutboxError, StoreAccess};
use crate::package::Packages;
use crate::referral::{ClientInput, Reference};
use crate::residence::{Gazetteer, Recipient};
use crate::store::{DbKey, KeyProtection, PassphraseParams, Store};
use crate::visit::{ConsentInput, Visit};
use crate::worker::WorkerProfile;

/// `text` as a time, for tests that set the clock.
pub fn at(text: &str) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(text).expect("a valid RFC 3339 time")
}

/// The moment the integration tests live in.
pub fn now() -> DateTime<FixedOffset> {
    at("2026-11-22T10:15:00+01:00")
}

/// The passphrase every office's store is made with.
pub const PASSPHRASE: &str = "kantoor van het lokale team";

pub struct Office {
    dir: tempfile::TempDir,
    pub store: Store,
    pub gazetteer: Gazetteer,
    /// The store's key comes from this passphrase with these costs.
    pub passphrase: &'static str,
    pub params: PassphraseParams,
}

/// The key for `passphrase` with `params`: how a second process opens an office's store.
pub fn key(passphrase: &str, params: &PassphraseParams) -> DbKey {
    DbKey::from_passphrase(passphrase, params).expect("a key")
}

impl Office {
    /// The demo partners as the register (made in 2024, so they are in force), reached through
    /// the worker's own mail program.
    pub fn new() -> Self {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let params = PassphraseParams::with_costs(256, 1, 1).expect("cheap costs");
        let store = Store::create(
            &dir.path().join("aanmelder.db"),
            &key(PASSPHRASE, &params),
            KeyProtection::Passphrase,
            crate::ledger::UPGRADES,
        )
        .expect("a new store");
        WorkerProfile {
            name: "An Peeters".into(),
            team: "Lokaal team Westerlo".into(),
            email: "an.peeters@example.be".into(),
            phone: "014 12 34 56".into(),
        }
        .save(&store)
        .expect("a valid profile");
        Agreement::install_demo_register(&store, at("2024-01-01T00:00:00+01:00"))
            .expect("the demo register");
        Self {
            dir,
            store,
            gazetteer: Gazetteer::embedded().expect("the embedded gazetteer"),
            passphrase: PASSPHRASE,
            params,
        }
    }

    /// The same office with every partner reached through the team's mail server.
    pub fn with_smtp() -> Self {
        let office = Self::new();
        for a in Agreement::list(&office.store).expect("the register") {
            let input = AgreementInput {
                delivery: Delivery::Smtp,
                ..a.to_input()
            };
            Agreement::save(&office.store, &office.gazetteer, Some(a.id), input, now())
                .expect("a partner by mail server");
        }
        office
    }

    /// The office's folder: the store and whatever else the app writes there.
    pub fn dir(&self) -> PathBuf {
        self.dir.path().to_path_buf()
    }

    pub fn visit(&self) -> Visit<'_> {
        Visit::new(&self.store, &self.gazetteer)
    }

    pub fn packages(&self) -> Packages<'_> {
        Packages::new(&self.store, &self.gazetteer)
    }

    /// Starts a referral, shows the five points in `language` and records consent, at `now`.
    pub fn consented(
        &self,
        input: &ClientInput,
        language: Language,
        now: DateTime<FixedOffset>,
    ) -> Reference {
        let visit = self.visit();
        let reference = visit
            .start(input, now)
            .expect("a valid client")
            .referral
            .reference;
        let five = visit
            .five_points(&reference, language, now)
            .expect("five points");
        visit
            .consent(
                &ConsentInput {
                    reference: reference.clone(),
                    language,
                    explained: POINT_KEYS.iter().map(|k| (*k).to_owned()).collect(),
                    shown_sha256: five.sha256,
                },
                now,
            )
            .expect("consent");
        reference
    }

    /// Walks a client to consent, builds the package and confirms it went out through the
    /// worker's mail program (the demo partners' way), so its outbox item stands as sent.
    pub fn sent(&self, input: &ClientInput, now: DateTime<FixedOffset>) -> Reference {
        let reference = self.consented(input, Language::Nl, now);
        self.packages().build(&reference, now).expect("a package");
        let folder = tempfile::tempdir().expect("a temporary folder");
        let drafted = crate::outbox::write_drafts(&self.store, folder.path(), now).expect("drafts");
        assert_eq!(drafted.len(), 1, "one draft for the mail program");
        let id = crate::outbox::list(&self.store, &self.gazetteer)
            .expect("the outbox")
            .into_iter()
            .find(|item| item.reference == reference.as_str())
            .expect("the referral's outbox item")
            .id;
        crate::outbox::confirm_delivered(&self.store, id, now).expect("confirmed");
        reference
    }

    /// The client withdraws consent for `reference`, by phone, at `at`.
    pub fn withdraw(
        &self,
        reference: &Reference,
        at: DateTime<FixedOffset>,
    ) -> crate::withdrawal::Withdrawn {
        crate::withdrawal::withdraw(
            &self.store,
            &self.gazetteer,
            &crate::withdrawal::WithdrawalInput {
                reference: reference.clone(),
                said_on: at.date_naive().to_string(),
                how: crate::withdrawal::How::Phone,
            },
            at,
        )
        .expect("withdrawn")
    }

    /// Points a partner's referral mailbox elsewhere, as a supervisor would in the register.
    pub fn set_mailbox(&self, recipient: &Recipient, mailbox: &str) {
        let a = Agreement::for_recipient(&self.store, recipient, now().date_naive())
            .expect("the register")
            .expect("a partner for the recipient");
        let input = AgreementInput {
            mailbox: mailbox.into(),
            ..a.to_input()
        };
        Agreement::save(&self.store, &self.gazetteer, Some(a.id), input, now())
            .expect("the new mailbox");
    }

    /// Closes the store (folding its log into the file) and hands over the folder holding it.
    pub fn close(self) -> (tempfile::TempDir, PathBuf, DbKey) {
        let key = key(self.passphrase, &self.params);
        drop(self.store);
        let path = self.dir.path().join("aanmelder.db");
        (self.dir, path, key)
    }
}

impl Default for Office {
    fn default() -> Self {
        Self::new()
    }
}

/// A client in `postal_code` with every field filled in.
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

/// Mira Verbiest, Boerenkrijglaan 4, 2260 Westerlo, with a mobile number and an e-mail address:
/// the client of the tests that follow one referral after its send.
pub fn mira() -> ClientInput {
    ClientInput {
        first_name: "Mira".into(),
        last_name: "Verbiest".into(),
        street: "Boerenkrijglaan".into(),
        house_number: "4".into(),
        postal_code: "2260".into(),
        phone: "0470 12 34 56".into(),
        email: "mira.verbiest@example.be".into(),
        ..Default::default()
    }
}

/// Zoë Müller, Boerenkrijglaan 12, 2260 Westerlo: a client whose name is not plain ASCII.
pub fn zoe() -> ClientInput {
    ClientInput {
        first_name: "Zoë".into(),
        last_name: "Müller".into(),
        street: "Boerenkrijglaan".into(),
        house_number: "12".into(),
        postal_code: "2260".into(),
        phone: "0470 12 34 56".into(),
        email: "zoe@example.be".into(),
        ..Default::default()
    }
}

/// A new store in a folder of its own, with a random key kept in the keyring's way (the key is
/// returned, not stored): for the tests of what survives closing and opening the file.
pub fn keyring_store() -> (tempfile::TempDir, PathBuf, DbKey, Store) {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let path = dir.path().join("aanmelder.db");
    let key = DbKey::generate().expect("a random key");
    let store = Store::create(&path, &key, KeyProtection::Keyring, crate::ledger::UPGRADES)
        .expect("a new store");
    (dir, path, key, store)
}

/// Opens an [`Office`]'s store again, as the app does at its next start (migrations included;
/// recovery is the caller's to run).
pub fn reopen(db: &Path, key: &DbKey) -> Store {
    Store::open(db, key, KeyProtection::Passphrase, crate::ledger::UPGRADES).expect("the store")
}

/// The store a child process was handed by its parent test: `<prefix>_DB`, `_PASSPHRASE` and
/// `_SALT` (the cheap costs of [`Office`]).
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

/// The stored OAuth grant's access and refresh tokens (empty when absent): what the sign-in
/// tests look for everywhere but the store.
pub fn oauth_tokens(store: &Store) -> (String, String) {
    store
        .conn()
        .query_row(
            "SELECT coalesce(access_token, ''), coalesce(refresh_token, '') FROM oauth_grant",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap_or_default()
}

/// Store access that runs `meddle` just before a sync's `at`-th step, as the app's window can act
/// between two of a sync's steps (a withdrawal, an edit of the register).
pub struct MeddlingAt<'a> {
    store: &'a Store,
    at: usize,
    meddle: &'a dyn Fn(),
    steps: std::cell::Cell<usize>,
}

impl<'a> MeddlingAt<'a> {
    pub fn new(store: &'a Store, at: usize, meddle: &'a dyn Fn()) -> Self {
        Self {
            store,
            at,
            meddle,
            steps: std::cell::Cell::new(0),
        }
    }
}

impl StoreAccess for MeddlingAt<'_> {
    fn with<T>(&self, f: impl FnOnce(&Store) -> Result<T, OutboxError>) -> Result<T, OutboxError> {
        self.steps.set(self.steps.get() + 1);
        if self.steps.get() == self.at {
            (self.meddle)();
        }
        f(self.store)
    }
}
