//! What the unit tests of several modules share: an office with a fresh store, a complete
//! worker profile, the embedded gazetteer, and a way to walk a client to consent.

use chrono::{DateTime, FixedOffset};

use crate::consent::{Language, POINT_KEYS};
use crate::referral::{ClientInput, Reference};
use crate::residence::Gazetteer;
use crate::store::Store;
use crate::visit::{ConsentInput, Visit};
use crate::worker::WorkerProfile;

pub(crate) fn at(text: &str) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(text).expect("a valid RFC 3339 time")
}

pub(crate) struct Office {
    _dir: tempfile::TempDir,
    pub store: Store,
    pub gazetteer: Gazetteer,
}

impl Office {
    pub fn new() -> Self {
        let (dir, store) = Store::temporary();
        WorkerProfile {
            name: "An Peeters".into(),
            team: "Lokaal team Westerlo".into(),
            email: "an.peeters@example.be".into(),
            phone: "014 12 34 56".into(),
        }
        .save(&store)
        .expect("a valid profile");
        // The demo partners, which a real store no longer has, serve the tests as a register.
        crate::agreement::Agreement::install_demo_register(&store, at("2024-01-01T00:00:00+01:00"))
            .expect("the demo register");
        Self {
            _dir: dir,
            store,
            gazetteer: Gazetteer::embedded().expect("the embedded gazetteer"),
        }
    }

    pub fn visit(&self) -> Visit<'_> {
        Visit::new(&self.store, &self.gazetteer)
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
        crate::package::Packages::new(&self.store, &self.gazetteer)
            .build(&reference, now)
            .expect("a package");
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
}
