//! Aanmelder's domain library.
//!
//! Everything the law and the worker's trust depend on lives here, with no UI and no Tauri, so it
//! can be built, tested and reviewed on its own. The Tauri shell only wires these types to the
//! window.

pub mod agreement;
pub mod client;
pub mod consent;
pub mod contact;
pub mod correction;
pub mod day;
pub mod demo;
pub mod error;
pub mod files;
pub mod incident;
pub mod ledger;
pub mod outbox;
pub mod package;
pub mod privacy;
pub mod reference;
pub mod referral;
pub mod report;
pub mod residence;
pub mod retention;
pub mod sealed;
pub mod session;
pub mod store;
pub mod team;
pub mod visit;
pub mod withdrawal;
pub mod worker;

#[cfg(any(test, feature = "testing"))]
pub mod testing;

pub use error::Coded;
