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

use std::collections::BTreeMap;

use chrono::{Datelike as _, Days, NaiveDate};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::error::Coded;
use crate::files::Export;
use crate::ledger::{self, EventKind, LedgerError, Outcome};
use crate::residence::{Gazetteer, Recipient};
use crate::store::{Store, StoreError};
use crate::team;
use crate::worker::WorkerProfile;

pub mod chart;
pub mod countfile;
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
///
/// Two kinds of figure, each defined once in [`CountKey::explanation`]: what happened on a day of
/// the period (a visit, a consent, a refusal, a correction, a wrong mailbox), and what became of
/// the period's consents (counted in the month of the consent, as things stand today). Every
/// consent is in exactly one of sent, waiting, failed and withdrawn before sending, so those add
/// up to the consents.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Counts {
    /// Visits in which all five points were ticked as explained.
    pub explained: u32,
    pub consented: u32,
    pub refused: u32,
    /// Of the consents: a package with the client's data (the referral or a correction) was
    /// sent and did not come back (also when withdrawn later).
    pub sent: u32,
    /// Of the consents: still on its way.
    pub waiting: u32,
    /// Of the consents: refused for good by the mail server, given up, or come back, and not
    /// sent since.
    pub failed: u32,
    /// Of the consents: withdrawn before a send was confirmed.
    pub withdrawn_unsent: u32,
    /// Of the sent ones: withdrawn afterwards (not a part of the sum; a part of `sent`).
    pub withdrawn_sent: u32,
    pub corrected: u32,
    /// Packages that went to a wrong mailbox (data breaches).
    pub incidents: u32,
    /// Of the sent ones: days from consent to the first send, as a histogram
    /// `(days, how many)` sorted by days, in the month of the consent: anonymous, and it adds up
    /// exactly across workers, which medians do not.
    pub days_to_send: Vec<(u32, u32)>,
}

/// The counts an evaluation shows, in the order every table, chart and export lists them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum CountKey {
    Explained,
    Consented,
    Refused,
    Sent,
    Waiting,
    Failed,
    WithdrawnUnsent,
    WithdrawnSent,
    Corrected,
    Incidents,
}

impl CountKey {
    pub const ALL: [Self; 10] = [
        Self::Explained,
        Self::Consented,
        Self::Refused,
        Self::Sent,
        Self::Waiting,
        Self::Failed,
        Self::WithdrawnUnsent,
        Self::WithdrawnSent,
        Self::Corrected,
        Self::Incidents,
    ];

    /// The parts the consents are made of: `consented` is their sum, in every row and month.
    pub const CONSENT_PARTS: [Self; 4] = [
        Self::Sent,
        Self::Waiting,
        Self::Failed,
        Self::WithdrawnUnsent,
    ];

    /// The column's label, the same on the screen and in every export.
    pub const fn label(self) -> &'static str {
        match self {
            Self::Explained => "Vijf punten uitgelegd",
            Self::Consented => "Toestemmingen",
            Self::Refused => "Weigeringen",
            Self::Sent => "Verzonden",
            Self::Waiting => "Wacht op verzending",
            Self::Failed => "Mislukt of aandacht nodig",
            Self::WithdrawnUnsent => "Ingetrokken vóór verzending",
            Self::WithdrawnSent => "Ingetrokken na verzending",
            Self::Corrected => "Correcties",
            Self::Incidents => "Verkeerd adres (datalek)",
        }
    }

    /// What the column counts, for the legend under every table and in every export.
    pub const fn explanation(self) -> &'static str {
        match self {
            Self::Explained => {
                "Huisbezoeken waarin alle vijf punten als uitgelegd aangevinkt werden, geteld op \
                de dag van het bezoek. Wie weigert voor de vijf punten uitgelegd zijn, telt \
                alleen als weigering."
            }
            Self::Consented => {
                "Toestemmingen, geteld op de dag van de toestemming. Elke toestemming staat in \
                precies één van de vier volgende kolommen: verzonden + wacht op verzending + \
                mislukt of aandacht nodig + ingetrokken vóór verzending = toestemmingen."
            }
            Self::Refused => "Cliënten die geen toestemming gaven, geteld op de dag zelf.",
            Self::Sent => {
                "Van de toestemmingen: een pakket met de gegevens (de aanmelding of een \
                correctie) kwam aan bij de mailserver van de partner, of de verzending via het \
                mailprogramma werd bevestigd, en het kwam niet terug. Geteld in de maand van de \
                toestemming, zoals het er vandaag voor staat."
            }
            Self::Waiting => {
                "Van de toestemmingen: nog onderweg (in de wachtrij, als concept in het \
                mailprogramma, mogelijk al verzonden, of later opnieuw te proberen)."
            }
            Self::Failed => {
                "Van de toestemmingen: door de mailserver voorgoed geweigerd, teruggekomen of \
                opgegeven, en (nog) niet opnieuw verzonden."
            }
            Self::WithdrawnUnsent => {
                "Van de toestemmingen: ingetrokken voor een verzending bevestigd was."
            }
            Self::WithdrawnSent => {
                "Van de verzonden toestemmingen: later ingetrokken (de partner kreeg een \
                melding). Een deel van 'verzonden', dus niet mee in de som."
            }
            Self::Corrected => "Correcties die klaargezet werden, geteld op de dag zelf.",
            Self::Incidents => {
                "Pakketten naar een verkeerde mailbox, gemeld als datalek, geteld op de dag van \
                de melding."
            }
        }
    }
}

/// The label of the median's column: the unit is in the label, the cells are numbers.
pub const MEDIAN_LABEL: &str = "Mediaan dagen van toestemming tot verzending";

/// What the median's column holds, for the legend.
pub const MEDIAN_EXPLANATION: &str = "Van de verzonden toestemmingen: het middelste aantal \
    kalenderdagen tussen de toestemming en de eerste verzending (bij een even aantal het \
    gemiddelde van de twee middelste). Leeg als er niets verzonden werd.";

/// One line of the legend: a column's label and what it counts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct LegendEntry {
    pub label: String,
    pub explanation: String,
}

/// The legend of every table and export, in column order, the median last.
pub fn legend() -> Vec<LegendEntry> {
    CountKey::ALL
        .iter()
        .map(|k| (k.label(), k.explanation()))
        .chain([(MEDIAN_LABEL, MEDIAN_EXPLANATION)])
        .map(|(label, explanation)| LegendEntry {
            label: label.to_owned(),
            explanation: explanation.to_owned(),
        })
        .collect()
}

/// One column of the evaluation's table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct Column {
    pub key: CountKey,
    pub label: String,
}

/// One row of the evaluation's table: a partner, or all partners together.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct TableRow {
    /// The partner's key; `None` for the total.
    pub recipient: Option<String>,
    pub name: String,
    /// The counts in the order of the table's columns.
    pub counts: Vec<u32>,
    /// [`Counts::median_days`].
    pub median_days: Option<f64>,
    /// The median as every table and export writes it ([`days_text`]); empty when nothing was
    /// sent.
    pub median_text: String,
}

impl TableRow {
    fn of(recipient: Option<String>, name: String, counts: &Counts) -> Self {
        Self {
            recipient,
            name,
            counts: CountKey::ALL.map(|k| counts.get(k)).to_vec(),
            median_days: counts.median_days(),
            median_text: counts.median_days().map(days_text).unwrap_or_default(),
        }
    }
}

/// The evaluation's table as the screens show it: the columns, their labels and each row's
/// median come from here, as they do for the exports, so the two cannot differ.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct CountsTable {
    pub columns: Vec<Column>,
    pub median_label: String,
    pub rows: Vec<TableRow>,
    pub total: TableRow,
    /// What each column counts.
    pub legend: Vec<LegendEntry>,
}

/// A worker's report with its table and chart, as the evaluation screen receives it.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct ReportScreen {
    pub report: Report,
    pub table: CountsTable,
    pub chart: chart::Chart,
}

impl ReportScreen {
    pub fn of(report: Report) -> Self {
        Self {
            table: report.table(),
            chart: chart::Chart::of(&report.months),
            report,
        }
    }
}

/// A number of days as every table and export writes it for a reader in Belgium: `3`, or `3,5`
/// (a median of whole days is whole or halfway); the unit is in the column's label.
pub fn days_text(days: f64) -> String {
    if days.fract() == 0.0 {
        format!("{days:.0}")
    } else {
        format!("{days:.1}").replace('.', ",")
    }
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

/// The first year the decree allowed sharing (art. 10/1, inserted on 4 February 2022).
const FIRST_YEAR: i32 = 2022;
/// No evaluation looks further ahead than this.
const LAST_YEAR: i32 = 2100;

impl Period {
    /// A calendar year: the agreements' evaluation interval unless agreed otherwise.
    pub fn year(year: i32) -> Result<Self, ReportError> {
        check_year(year)?;
        Ok(Self {
            from: day(year, 1, 1)?,
            to: day(year, 12, 31)?,
        })
    }

    pub fn from_input(input: &PeriodInput) -> Result<Self, ReportError> {
        match *input {
            PeriodInput::Year { year } => Self::year(year),
            PeriodInput::Half { year, half } => {
                check_year(year)?;
                match half {
                    1 => Ok(Self {
                        from: day(year, 1, 1)?,
                        to: day(year, 6, 30)?,
                    }),
                    2 => Ok(Self {
                        from: day(year, 7, 1)?,
                        to: day(year, 12, 31)?,
                    }),
                    _ => Err(ReportError::Half),
                }
            }
            PeriodInput::Custom { ref from, ref to } => {
                let from = parse_day(from, "from", "Van")?;
                let to = parse_day(to, "to", "Tot en met")?;
                check_year(from.year())?;
                check_year(to.year())?;
                if from > to {
                    return Err(ReportError::Reversed);
                }
                Ok(Self { from, to })
            }
        }
    }

    /// "2026", "1e helft 2026", "2e helft 2026" or "01/03/2026 – 31/05/2026".
    pub fn label(&self) -> String {
        let (from, to) = (self.from, self.to);
        let year = from.year();
        if from == day_or(year, 1, 1) && to == day_or(year, 12, 31) {
            year.to_string()
        } else if from == day_or(year, 1, 1) && to == day_or(year, 6, 30) {
            format!("1e helft {year}")
        } else if from == day_or(year, 7, 1) && to == day_or(year, 12, 31) {
            format!("2e helft {year}")
        } else {
            format!("{} – {}", from.format("%d/%m/%Y"), to.format("%d/%m/%Y"))
        }
    }

    /// The period in a file name: `2026`, `2026-1e-helft`, `2026-2e-helft` or
    /// `2026-03-01-2026-05-31`. The one rule for the names of count files and exports.
    pub fn file_stem(&self) -> String {
        let (from, to) = (self.from, self.to);
        let year = from.year();
        if from == day_or(year, 1, 1) && to == day_or(year, 12, 31) {
            year.to_string()
        } else if from == day_or(year, 1, 1) && to == day_or(year, 6, 30) {
            format!("{year}-1e-helft")
        } else if from == day_or(year, 7, 1) && to == day_or(year, 12, 31) {
            format!("{year}-2e-helft")
        } else {
            format!("{from}-{to}")
        }
    }

    /// Every month the period touches, in order, as `YYYY-MM`.
    pub fn months(&self) -> Vec<String> {
        let mut months = Vec::new();
        let (mut year, mut month) = (self.from.year(), self.from.month());
        while (year, month) <= (self.to.year(), self.to.month()) {
            months.push(format!("{year:04}-{month:02}"));
            (year, month) = if month == 12 {
                (year + 1, 1)
            } else {
                (year, month + 1)
            };
        }
        months
    }

    /// The bounds as the ledger's `at` text compares: from the first day up to, not including,
    /// the day after the last. `at` starts with the local date, so this needs no time zone.
    fn bounds(&self) -> (String, String) {
        let end = self.to.checked_add_days(Days::new(1)).unwrap_or(self.to);
        (self.from.to_string(), end.to_string())
    }
}

fn day(year: i32, month: u32, day: u32) -> Result<NaiveDate, ReportError> {
    NaiveDate::from_ymd_opt(year, month, day).ok_or(ReportError::Year)
}

fn day_or(year: i32, month: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, month, d).unwrap_or(NaiveDate::MIN)
}

fn check_year(year: i32) -> Result<(), ReportError> {
    if (FIRST_YEAR..=LAST_YEAR).contains(&year) {
        Ok(())
    } else {
        Err(ReportError::Year)
    }
}

fn parse_day(
    text: &str,
    field: &'static str,
    label: &'static str,
) -> Result<NaiveDate, ReportError> {
    crate::day::parse(text).ok_or(ReportError::Date { field, label })
}

impl Counts {
    /// The median days from consent to send: the middle referral, or the mean of the two middle
    /// ones for an even number; `None` when nothing was sent. The histogram need not be sorted.
    pub fn median_days(&self) -> Option<f64> {
        let mut histogram = self.days_to_send.clone();
        histogram.sort_unstable();
        let n: u64 = histogram.iter().map(|&(_, k)| u64::from(k)).sum();
        // The days of the i-th referral (from 0) in order of days.
        let nth = |i: u64| {
            let mut seen = 0u64;
            histogram.iter().find_map(|&(days, k)| {
                seen += u64::from(k);
                (seen > i).then_some(days)
            })
        };
        let low = nth(n.checked_sub(1)? / 2)?;
        let high = nth(n / 2)?;
        Some(f64::midpoint(f64::from(low), f64::from(high)))
    }

    /// Adds `other` to these counts.
    pub fn add(&mut self, other: &Self) {
        for key in CountKey::ALL {
            *self.slot(key) += other.get(key);
        }
        let mut days: BTreeMap<u32, u32> = self.days_to_send.iter().copied().collect();
        for &(d, n) in &other.days_to_send {
            *days.entry(d).or_default() += n;
        }
        self.days_to_send = days.into_iter().collect();
    }

    /// The count of one column.
    pub fn get(&self, key: CountKey) -> u32 {
        match key {
            CountKey::Explained => self.explained,
            CountKey::Consented => self.consented,
            CountKey::Refused => self.refused,
            CountKey::Sent => self.sent,
            CountKey::Waiting => self.waiting,
            CountKey::Failed => self.failed,
            CountKey::WithdrawnUnsent => self.withdrawn_unsent,
            CountKey::WithdrawnSent => self.withdrawn_sent,
            CountKey::Corrected => self.corrected,
            CountKey::Incidents => self.incidents,
        }
    }

    fn slot(&mut self, key: CountKey) -> &mut u32 {
        match key {
            CountKey::Explained => &mut self.explained,
            CountKey::Consented => &mut self.consented,
            CountKey::Refused => &mut self.refused,
            CountKey::Sent => &mut self.sent,
            CountKey::Waiting => &mut self.waiting,
            CountKey::Failed => &mut self.failed,
            CountKey::WithdrawnUnsent => &mut self.withdrawn_unsent,
            CountKey::WithdrawnSent => &mut self.withdrawn_sent,
            CountKey::Corrected => &mut self.corrected,
            CountKey::Incidents => &mut self.incidents,
        }
    }

    /// Whether the consents are the sum of what became of them.
    pub fn consents_add_up(&self) -> bool {
        let parts: u32 = CountKey::CONSENT_PARTS.iter().map(|&k| self.get(k)).sum();
        parts == self.consented && self.withdrawn_sent <= self.sent
    }

    /// The column that counts events of `kind` on the day they happened; `None` for the steps
    /// the evaluation does not count by day (what became of a consent is counted from its
    /// outcome; a package built, a password passed on, data purged count nowhere).
    fn by_day(kind: EventKind) -> Option<CountKey> {
        match kind {
            EventKind::Explained => Some(CountKey::Explained),
            EventKind::Consented => Some(CountKey::Consented),
            EventKind::Refused => Some(CountKey::Refused),
            EventKind::Corrected => Some(CountKey::Corrected),
            EventKind::Incident => Some(CountKey::Incidents),
            EventKind::Created
            | EventKind::Packaged
            | EventKind::PasswordPassed
            | EventKind::Sent
            | EventKind::Failed
            | EventKind::Cancelled
            | EventKind::Withdrawn
            | EventKind::Purged
            | EventKind::Unreachable
            | EventKind::Bounced
            | EventKind::Received
            | EventKind::Destroyed => None,
        }
    }

    /// Counts `n` consents of the period that stand at `outcome` now.
    fn bump_outcome(&mut self, outcome: Outcome, n: u32) {
        let keys: &[CountKey] = match outcome {
            Outcome::Waiting => &[CountKey::Waiting],
            Outcome::Sent => &[CountKey::Sent],
            Outcome::Failed => &[CountKey::Failed],
            Outcome::WithdrawnUnsent => &[CountKey::WithdrawnUnsent],
            Outcome::WithdrawnSent => &[CountKey::Sent, CountKey::WithdrawnSent],
        };
        for &key in keys {
            *self.slot(key) += n;
        }
    }
}

impl Report {
    /// An empty report: every month of the period, no partners.
    pub fn empty(period: Period) -> Self {
        Self {
            period,
            partners: Vec::new(),
            total: Counts::default(),
            months: empty_months(&period),
        }
    }

    /// The table of the screens: a row per partner and the total.
    pub fn table(&self) -> CountsTable {
        CountsTable {
            columns: CountKey::ALL
                .map(|key| Column {
                    key,
                    label: key.label().to_owned(),
                })
                .to_vec(),
            median_label: MEDIAN_LABEL.to_owned(),
            legend: legend(),
            rows: self
                .partners
                .iter()
                .map(|p| TableRow::of(Some(p.recipient.clone()), p.name.clone(), &p.total))
                .collect(),
            total: TableRow::of(None, "Totaal".to_owned(), &self.total),
        }
    }

    /// Adds another report over the same period (another worker's) to this one.
    pub fn add(&mut self, other: &Self) {
        for theirs in &other.partners {
            let index = match self
                .partners
                .iter()
                .position(|p| p.recipient == theirs.recipient)
            {
                Some(index) => index,
                None => {
                    self.partners.push(PartnerCounts {
                        recipient: theirs.recipient.clone(),
                        name: theirs.name.clone(),
                        total: Counts::default(),
                        months: empty_months(&self.period),
                    });
                    self.partners.len() - 1
                }
            };
            let ours = &mut self.partners[index];
            ours.total.add(&theirs.total);
            add_months(&mut ours.months, &theirs.months);
        }
        self.total.add(&other.total);
        add_months(&mut self.months, &other.months);
        self.partners.sort_by(|a, b| a.name.cmp(&b.name));
    }

    /// Whether the totals are the sums of their parts, and every consent is one of its outcomes:
    /// a count file edited by hand is not.
    pub fn is_consistent(&self) -> bool {
        let every =
            std::iter::once(&self.total)
                .chain(self.months.iter().map(|m| &m.counts))
                .chain(self.partners.iter().flat_map(|p| {
                    std::iter::once(&p.total).chain(p.months.iter().map(|m| &m.counts))
                }));
        if !every.into_iter().all(Counts::consents_add_up) {
            return false;
        }
        let months = self.period.months();
        let mut sum = Self::empty(self.period);
        for partner in &self.partners {
            let mut total = Counts::default();
            for m in &partner.months {
                total.add(&m.counts);
            }
            if total != partner.total || partner.months.iter().map(|m| &m.month).ne(months.iter()) {
                return false;
            }
            sum.total.add(&partner.total);
            add_months(&mut sum.months, &partner.months);
        }
        sum.total == self.total && sum.months == self.months
    }
}

fn empty_months(period: &Period) -> Vec<MonthCounts> {
    period
        .months()
        .into_iter()
        .map(|month| MonthCounts {
            month,
            counts: Counts::default(),
        })
        .collect()
}

fn add_months(ours: &mut [MonthCounts], theirs: &[MonthCounts]) {
    for m in theirs {
        if let Some(mine) = ours.iter_mut().find(|o| o.month == m.month) {
            mine.counts.add(&m.counts);
        }
    }
}

/// One worker's counts over `period`, from the ledger's tallies (see [`crate::ledger`]): a few
/// thousand rows for a year however busy, where the events themselves would be a million.
pub fn counts(
    store: &Store,
    gazetteer: &Gazetteer,
    period: &Period,
) -> Result<Report, ReportError> {
    let (from, until) = period.bounds();
    let months = period.months();
    let month_index = |day: &str| months.iter().position(|m| day.starts_with(m.as_str()));
    let mut partners: BTreeMap<String, PartnerCounts> = BTreeMap::new();
    let new_partner = |recipient: &String| PartnerCounts {
        recipient: recipient.clone(),
        name: Recipient::from_key(recipient)
            .map_or_else(|| recipient.clone(), |r| gazetteer.recipient_name(&r)),
        total: Counts::default(),
        months: empty_months(period),
    };
    let conn = store.conn();
    // What happened on the days of the period.
    let by_day: Vec<EventKind> = EventKind::ALL
        .into_iter()
        .filter(|&k| Counts::by_day(k).is_some())
        .collect();
    for tally in ledger::monthly_tallies(conn, &from, &until, &by_day)? {
        let Some(key) = Counts::by_day(tally.kind) else {
            continue;
        };
        let entry = partners
            .entry(tally.recipient)
            .or_insert_with_key(new_partner);
        *entry.total.slot(key) += tally.n;
        if let Some(i) = month_index(&tally.month) {
            *entry.months[i].counts.slot(key) += tally.n;
        }
    }
    // What became of the consents of the period, and the days from each consent to its first
    // send, in the month of the consent.
    for spans in ledger::monthly_spans(conn, &from, &until)? {
        let mut counts = Counts {
            days_to_send: spans
                .days_to_send
                .map(|d| vec![(d, spans.n)])
                .unwrap_or_default(),
            ..Counts::default()
        };
        counts.bump_outcome(spans.outcome, spans.n);
        let entry = partners
            .entry(spans.recipient)
            .or_insert_with_key(new_partner);
        entry.total.add(&counts);
        if let Some(i) = month_index(&spans.month) {
            entry.months[i].counts.add(&counts);
        }
    }
    let mut report = Report::empty(*period);
    for partner in partners.into_values() {
        report.total.add(&partner.total);
        add_months(&mut report.months, &partner.months);
        report.partners.push(partner);
    }
    report.partners.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(report)
}

/// The worker's own counts for the period the screen asks.
pub fn own(
    store: &Store,
    gazetteer: &Gazetteer,
    input: &PeriodInput,
) -> Result<Report, ReportError> {
    counts(store, gazetteer, &Period::from_input(input)?)
}

/// The team's counts for the period: the count files read in for exactly that period, added up,
/// and who on the team has none.
pub fn team(store: &Store, input: &PeriodInput) -> Result<countfile::TeamReport, ReportError> {
    let members = team::members(store)?;
    countfile::team_report(store, &Period::from_input(input)?, &members)
}

/// Whose counts an export holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum ReportScope {
    /// The worker's own ledger.
    Own,
    /// The count files the supervisor read in.
    Team,
}

/// An export as the screen asks for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct ReportExport {
    pub scope: ReportScope,
    pub period: PeriodInput,
    pub format: export::ExportFormat,
    pub suppress_small: bool,
    pub folder: String,
}

/// The file of an export: the worker's or the team's counts, titled with the team (and the
/// worker, for their own counts).
pub fn export_file(
    store: &Store,
    gazetteer: &Gazetteer,
    request: &ReportExport,
) -> Result<Export, ReportError> {
    let profile = WorkerProfile::load(store)?;
    let (report, title) = match request.scope {
        ReportScope::Own => (
            own(store, gazetteer, &request.period)?,
            [profile.name.as_str(), profile.team.as_str()]
                .into_iter()
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
                .join(", "),
        ),
        ReportScope::Team => (team(store, &request.period)?.report, profile.team),
    };
    let options = export::ExportOptions {
        suppress_small: request.suppress_small,
        title,
    };
    Ok(export::file(&report, request.format, &options)?)
}

/// Why a report could not be made.
#[derive(Debug, thiserror::Error, Coded)]
#[coded(prefix = "report", field_with = Self::date_field)]
pub enum ReportError {
    #[error("Jaar: kies een jaar van {FIRST_YEAR} tot {LAST_YEAR}.")]
    #[coded(field = "year")]
    Year,
    #[error("Helft: kies de eerste (januari–juni) of de tweede (juli–december).")]
    #[coded(field = "half")]
    Half,
    #[error("{label}: typ de datum als dd/mm/jjjj, bijvoorbeeld 01/03/2026.")]
    Date {
        field: &'static str,
        label: &'static str,
    },
    #[error("Tot en met: kies een dag op of na de eerste dag van de periode.")]
    #[coded(field = "to")]
    Reversed,
    #[error(
        "Vul eerst je naam en team in onder Instellingen: je leidinggevende herkent je telbestand \
         daaraan."
    )]
    #[coded(code = "report.incomplete_profile")]
    Incomplete,
    #[error(
        "Bestand: dit is geen telbestand van Aanmelder. Kies het .json-bestand dat het teamlid bewaarde onder Evaluatie."
    )]
    #[coded(code = "report.not_a_count_file", field = "path")]
    NotCountFile,
    #[error(
        "Bestand: dit telbestand komt uit een nieuwere versie van Aanmelder. Werk Aanmelder bij en \
         lees het opnieuw in."
    )]
    #[coded(code = "report.newer_count_file", field = "path")]
    Newer,
    #[error(
        "Bestand: de aantallen in dit telbestand kloppen niet met elkaar ({0}). Het werd na het \
         bewaren gewijzigd; vraag het teamlid om een nieuw telbestand."
    )]
    #[coded(code = "report.tampered_count_file", field = "path")]
    Tampered(&'static str),
    #[error(
        "Bestand: dit telbestand is niet ondertekend (het komt uit een oudere versie van \
         Aanmelder, of de handtekening werd eruit gehaald). Vraag het teamlid om een nieuw \
         telbestand."
    )]
    Unsigned,
    #[error(
        "Bestand: dit telbestand komt uit een oudere versie van Aanmelder, die anders telde \
         (verzonden pakketten per dag van verzending, niet wat er van elke toestemming werd). \
         Vraag het teamlid om een nieuw telbestand met de huidige versie."
    )]
    #[coded(code = "report.older_count_file", field = "path")]
    Older,
    #[error(
        "Bestand: het telbestand is gewijzigd na het ondertekenen: de handtekening klopt niet \
         meer. Gebruik het niet en vraag het teamlid om een nieuw telbestand."
    )]
    #[coded(code = "report.signature")]
    BadSignature,
    #[error(
        "{worker} ({email}) staat niet in de lijst van teamleden. Voeg het teamlid toe onder Team \
         en lees het telbestand opnieuw in."
    )]
    NotAMember { worker: String, email: String },
    #[error(
        "Dit telbestand van {worker} is ondertekend met een andere sleutel dan de bevestigde \
         (vingerafdruk {found}, verwacht {expected}). Gebruik het niet en bel het teamlid."
    )]
    OtherKey {
        worker: String,
        found: String,
        expected: String,
    },
    #[error(
        "Dit is het eerste telbestand van {worker}. Vergelijk aan de telefoon de vingerafdruk \
         {fingerprint} met die op het scherm van {worker} en bevestig ze."
    )]
    ConfirmKey { worker: String, fingerprint: String },
    #[error("Dit telbestand is niet (meer) ingelezen.")]
    NotFound,
    #[error(transparent)]
    Team(#[from] team::TeamError),
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    #[error(transparent)]
    Export(#[from] export::ExportError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl ReportError {
    /// The date field a `Date` refusal is about.
    fn date_field(&self) -> Option<&'static str> {
        match self {
            Self::Date { field, .. } => Some(field),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests;
