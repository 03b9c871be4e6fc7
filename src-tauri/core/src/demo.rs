//! "Demo proberen": a store to walk the whole flow in, apart from the real one.
//!
//! The demo store lives in memory only (nothing of it reaches the disk) and holds the demo
//! register: partners named "(demo)" with mailboxes on the reserved `.example` domain, reached by
//! mail-program drafts, and an invented worker. So a real client can never be referred under a
//! demo partner, and a real store never holds one: the migration to schema 10 took them out.

use chrono::{DateTime, FixedOffset};

use crate::agreement::{Agreement, AgreementError};
use crate::error::Coded;
use crate::store::{Store, StoreError};
use crate::worker::{WorkerError, WorkerProfile};

/// A fresh demo store with its register and worker.
pub fn open(now: DateTime<FixedOffset>) -> Result<Store, DemoError> {
    let store = Store::in_memory(crate::ledger::UPGRADES)?;
    Agreement::install_demo_register(&store, now)?;
    WorkerProfile {
        name: "Demo Medewerker".into(),
        team: "Demoteam".into(),
        email: "demo@kindengezin.example".into(),
        phone: "02 533 12 11".into(),
    }
    .save(&store)?;
    Ok(store)
}

#[derive(Debug, thiserror::Error, Coded)]
#[coded(prefix = "demo")]
pub enum DemoError {
    #[error("De demo kon niet starten: {0}")]
    #[coded(code = "demo.failed")]
    Agreement(#[from] AgreementError),
    #[error("De demo kon niet starten: {0}")]
    #[coded(code = "demo.failed")]
    Worker(#[from] WorkerError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::residence::Recipient;
    use crate::testing::at;

    #[test]
    fn the_demo_store_holds_the_demo_register_and_a_real_one_holds_none() {
        let now = at("2026-12-02T10:00:00+01:00");
        let demo = open(now).unwrap();
        assert!(demo.is_demo() && demo.info().unwrap().demo);
        let partners = Agreement::list(&demo).unwrap();
        assert_eq!(partners.len(), 4);
        assert!(
            partners
                .iter()
                .all(|a| a.demo && a.mailbox.ends_with(".example"))
        );
        let westerlo =
            Agreement::for_recipient(&demo, &Recipient::Ocmw("13049".into()), now.date_naive())
                .unwrap()
                .unwrap();
        assert!(westerlo.in_force_on(now.date_naive()).is_ok());
        assert_eq!(Agreement::history(&demo, westerlo.id).unwrap().len(), 1);

        let (_dir, real) = Store::temporary();
        assert!(!real.is_demo());
        assert!(Agreement::list(&real).unwrap().is_empty());
    }
}
