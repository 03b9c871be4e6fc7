//! The yearly evaluation: counts per partner and period, from the anonymous ledger.
//!
//! The agreements ask both parties to keep what is needed to evaluate the cooperation every year
//! or half-year (domain.md, "Yearly evaluation"): counts, not people. Everything here is computed
//! from [`crate::ledger`], which holds no client data, so a report, a count file or an export can
//! leave the worker's machine without leaving a trace of any family.
//!
//! One worker's app holds only that worker's ledger. A worker exports a count file for a period
//! ([`countfile`]); the supervisor imports the team's files and adds them up. The exports for
//! spreadsheets and print are in [`export`].

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::error::Coded;
use crate::store::StoreError;

pub mod export;

/// A period of local calendar days, both ends included.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Period {
    /// `YYYY-MM-DD`.
    #[ts(type = "string")]
    pub from: NaiveDate,
    /// `YYYY-MM-DD`, included.
    #[ts(type = "string")]
    pub to: NaiveDate,
}

/// A period as the screen asks for it: a calendar year (the default), a half-year, or a range.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[ts(export)]
pub enum PeriodInput {
    Year {
        year: i32,
    },
    /// `half` is 1 (January–June) or 2 (July–December).
    Half {
        year: i32,
        half: u8,
    },
    /// Dates as typed, `YYYY-MM-DD`.
    Custom {
        from: String,
        to: String,
    },
}

/// The figures of the evaluation, for one partner or all, over one period or month.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Counts {
    /// The five points were explained (whatever the client then chose).
    pub explained: u32,
    pub consented: u32,
    pub refused: u32,
    /// Packages that reached the partner (referrals, corrections and withdrawal notices).
    pub sent: u32,
    /// Packages the partner's mail server refused, or that need the worker's attention.
    pub failed: u32,
    pub withdrawn: u32,
    pub corrected: u32,
    /// Packages that went to a wrong mailbox (data breaches).
    pub incidents: u32,
    /// Days from consent to the first send of that referral, as a histogram `(days, how many)`
    /// sorted by days: anonymous, and it adds up exactly across workers, which medians do not.
    pub days_to_send: Vec<(u32, u32)>,
}

/// One calendar month's counts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct MonthCounts {
    /// `YYYY-MM`.
    pub month: String,
    pub counts: Counts,
}

/// One partner's counts over the period, in total and per month.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct PartnerCounts {
    /// The ledger's recipient key: `ocmw:<REFNIS>` or `caw:brussel`.
    pub recipient: String,
    /// For people: "OCMW Westerlo".
    pub name: String,
    pub total: Counts,
    /// Every month of the period, in order, also the empty ones (a chart needs them).
    pub months: Vec<MonthCounts>,
}

/// The counts of one worker, or of the team, over one period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Report {
    pub period: Period,
    /// Partners with at least one event in the period, by name.
    pub partners: Vec<PartnerCounts>,
    /// All partners together.
    pub total: Counts,
    /// All partners together, per month of the period.
    pub months: Vec<MonthCounts>,
}

/// Why a report could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Coded for ReportError {
    fn code(&self) -> &'static str {
        match self {
            Self::Store(e) => e.code(),
        }
    }
}
