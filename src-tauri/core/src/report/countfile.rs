//! Count files: how one worker's counts reach the supervisor, and how the supervisor adds the
//! team's up.
//!
//! A count file holds counts only, with who made it (worker and team: staff, not clients), the
//! period, the app version, and the seal of the worker's log at that moment: its number of events
//! and last link. The supervisor can later ask the worker to run "Controleer logboek" and compare
//! that link. The supervisor's app keeps the files it read in, recognises a second file of the
//! same worker and period, and says whose file is still missing.
//!
//! Every count file is signed with the worker app's Ed25519 key (see `team`), over the exact
//! bytes of the counts. The supervisor confirms each member's key once by its fingerprint, on the
//! phone, as members do for the team profile; after that a file that is unsigned, changed by one
//! byte, or signed by any other key is refused. The signature proves which app made the file,
//! not that the counts are true: whoever holds a worker's app could count wrongly and sign.

use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::{Period, PeriodInput, Report, ReportError, counts};
use crate::files::Export;
use crate::ledger;
use crate::residence::Gazetteer;
use crate::store::{Store, StoreError};
use crate::team::{self, Member};
use crate::worker::WorkerProfile;

/// What the `schema` field of every count file says.
pub const SCHEMA: &str = "be.kindengezin.aanmelder.telling";
/// The version this build writes and reads. Version 1 files were unsigned; version 2 files
/// counted packages sent by the day of the send, not what became of each consent. Both are
/// refused.
pub const VERSION: u32 = 3;

/// The file: the counts' exact bytes as a string, the worker app's key and its signature.
#[derive(Debug, Serialize, Deserialize)]
struct Envelope {
    schema: String,
    telling: String,
    public_key: String,
    signature: String,
}

/// A count file whose signature holds, with the key that made it.
#[derive(Debug, Clone)]
pub struct Signed {
    pub file: CountFile,
    pub key: ed25519_dalek::VerifyingKey,
}

/// Who made a count file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct CountWorker {
    pub name: String,
    pub team: String,
    pub email: String,
}

impl CountWorker {
    /// How the supervisor's app tells workers apart: the e-mail address, else name and team.
    fn key(&self) -> String {
        match self.email.trim() {
            "" => format!("{}|{}", self.name.trim(), self.team.trim()).to_lowercase(),
            email => email.to_lowercase(),
        }
    }
}

/// The state of the worker's log when the file was made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct LedgerSeal {
    #[ts(type = "number")]
    pub events: i64,
    /// The last link of the chain, in hex.
    pub head: Option<String>,
    pub intact: bool,
}

/// One worker's counts for one period, as a file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct CountFile {
    pub schema: String,
    pub version: u32,
    pub worker: CountWorker,
    pub period: Period,
    pub app_version: String,
    /// RFC 3339.
    pub generated_at: String,
    pub ledger: LedgerSeal,
    pub report: Report,
}

/// Makes the worker's count file for the period: `telling-2026-an-peeters.json` and the like,
/// the period and the worker's own name (never a client's), so the supervisor sees whose file
/// it is and two workers' files never collide in one folder.
pub fn export(
    store: &Store,
    gazetteer: &Gazetteer,
    period: &PeriodInput,
    app_version: &str,
    now: DateTime<FixedOffset>,
) -> Result<Export, ReportError> {
    let period = Period::from_input(period)?;
    let profile = WorkerProfile::load(store)?;
    if profile.name.trim().is_empty() || profile.team.trim().is_empty() {
        return Err(ReportError::Incomplete);
    }
    let check = ledger::verify(store)?;
    let file = CountFile {
        schema: SCHEMA.into(),
        version: VERSION,
        worker: CountWorker {
            name: profile.name,
            team: profile.team,
            email: profile.email,
        },
        period,
        app_version: app_version.into(),
        generated_at: now.to_rfc3339(),
        ledger: LedgerSeal {
            events: check.events,
            head: check.head,
            intact: check.intact,
        },
        report: counts(store, gazetteer, &period)?,
    };
    let telling =
        serde_json::to_string_pretty(&file).map_err(|e| StoreError::Sqlite(e.to_string()))?;
    let (public_key, signature) = team::sign(store, telling.as_bytes())?;
    let envelope = Envelope {
        schema: SCHEMA.into(),
        telling,
        public_key,
        signature,
    };
    let bytes =
        serde_json::to_vec_pretty(&envelope).map_err(|e| StoreError::Sqlite(e.to_string()))?;
    Ok(Export {
        file_name: format!(
            "telling-{}-{}.json",
            period.file_stem(),
            slug(&file.worker.name)
        ),
        bytes: bytes.into(),
    })
}

/// A person's name as it may stand in a file name: lower case, without accents, words joined by
/// hyphens ("Zoë Van den Broeck" → `zoe-van-den-broeck`).
fn slug(name: &str) -> String {
    use unicode_normalization::UnicodeNormalization as _;
    let plain: String = name
        .nfkd()
        .filter(char::is_ascii)
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                ' '
            }
        })
        .collect();
    let words: Vec<&str> = plain.split_whitespace().collect();
    if words.is_empty() {
        "teamlid".to_owned()
    } else {
        words.join("-")
    }
}

/// Reads a count file, refusing anything that is not one, is unsigned, whose signature does not
/// hold, is newer than this app, or whose counts do not add up. Which key signed it is for the
/// caller to judge.
pub fn parse(bytes: &[u8]) -> Result<Signed, ReportError> {
    let value: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|_| ReportError::NotCountFile)?;
    if value.get("schema").and_then(|s| s.as_str()) != Some(SCHEMA) {
        return Err(ReportError::NotCountFile);
    }
    if value.get("telling").is_none() {
        // An older, unsigned file, or one whose signature was taken off.
        return Err(ReportError::Unsigned);
    }
    let envelope: Envelope =
        serde_json::from_value(value).map_err(|_| ReportError::NotCountFile)?;
    let key = team::verify(
        &envelope.public_key,
        &envelope.signature,
        envelope.telling.as_bytes(),
    )
    .ok_or(ReportError::BadSignature)?;
    let version = serde_json::from_str::<serde_json::Value>(&envelope.telling)
        .ok()
        .and_then(|v| v.get("version").and_then(serde_json::Value::as_u64));
    if version.is_some_and(|v| v < u64::from(VERSION)) {
        return Err(ReportError::Older);
    }
    let file: CountFile =
        team::signed_inner(&envelope.telling, SCHEMA, VERSION).map_err(|e| match e {
            team::Unreadable::NotOurs => ReportError::NotCountFile,
            team::Unreadable::Newer => ReportError::Newer,
        })?;
    if file.report.period != file.period {
        return Err(ReportError::Tampered("de periode"));
    }
    if !file.report.is_consistent() {
        return Err(ReportError::Tampered("de totalen"));
    }
    if file.worker.name.trim().is_empty() {
        return Err(ReportError::Tampered("het teamlid"));
    }
    Ok(Signed { file, key })
}

/// Checks that a member of the team signed the file with the key confirmed for them; on the
/// first file of a member, pins the key if the supervisor confirmed its fingerprint.
fn check_signer(
    store: &Store,
    signed: &Signed,
    confirmed_fingerprint: Option<&str>,
) -> Result<(), ReportError> {
    let worker = &signed.file.worker;
    match team::member_key(store, &worker.email)? {
        team::MemberKey::NotAMember => Err(ReportError::NotAMember {
            worker: worker.name.clone(),
            email: worker.email.clone(),
        }),
        team::MemberKey::Confirmed(name, key) if key != signed.key => Err(ReportError::OtherKey {
            worker: name,
            found: team::fingerprint(&signed.key),
            expected: team::fingerprint(&key),
        }),
        team::MemberKey::Confirmed(..) => Ok(()),
        team::MemberKey::Unconfirmed(name) => {
            if team::fingerprint_matches(confirmed_fingerprint, &signed.key) {
                team::confirm_member_key(store, &worker.email, &signed.key)?;
                Ok(())
            } else {
                Err(ReportError::ConfirmKey {
                    worker: name,
                    fingerprint: team::fingerprint(&signed.key),
                })
            }
        }
    }
}

/// A count file as the supervisor's app keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct ImportedFile {
    #[ts(type = "number")]
    pub id: i64,
    pub worker: CountWorker,
    pub period: Period,
    pub generated_at: String,
    pub app_version: String,
    pub ledger: LedgerSeal,
    /// Made after the period ended, so its counts cover all of it. One made before stops at the
    /// day it was made: the team's sum is not the period's yet.
    pub whole_period: bool,
}

/// What reading in a count file did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum ImportKind {
    Added,
    /// The same worker and period were already read in, from this file or a newer one: nothing
    /// changed.
    Duplicate,
    /// A newer file of the same worker and period replaced the older one.
    Replaced,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct ImportOutcome {
    pub kind: ImportKind,
    /// In Dutch, for the screen.
    pub message: String,
    pub file: ImportedFile,
}

/// Reads in a worker's count file on the supervisor's app.
pub fn import(
    store: &Store,
    bytes: &[u8],
    confirmed_fingerprint: Option<&str>,
    now: DateTime<FixedOffset>,
) -> Result<ImportOutcome, ReportError> {
    let signed = parse(bytes)?;
    let tx = store.transaction()?;
    check_signer(store, &signed, confirmed_fingerprint)?;
    let file = signed.file;
    let key = file.worker.key();
    let body = String::from_utf8_lossy(bytes).into_owned();
    // The same worker's file for the period: by the address in it, or by the app's key that
    // signed it when that file's address is no longer on the team list (a member whose address
    // changed signs with the same key, and two files of one worker would both be added up). A
    // current member's file is never replaced by another member's, whatever key signed it.
    let existing: Option<(i64, String)> = {
        let mut same_period = tx
            .prepare(
                "SELECT id, generated_at, worker_key, body FROM count_import
                 WHERE period_from = ?1 AND period_to = ?2 ORDER BY id",
            )
            .map_err(StoreError::from)?;
        let rows: Vec<(i64, String, String, String)> = same_period
            .query_map(
                (file.period.from.to_string(), file.period.to.to_string()),
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .map_err(StoreError::from)?
            .collect::<Result<_, _>>()
            .map_err(StoreError::from)?;
        let by_address = rows.iter().find(|(_, _, worker_key, _)| *worker_key == key);
        by_address
            .or_else(|| {
                rows.iter().find(|(_, _, _, stored)| {
                    parse(stored.as_bytes()).is_ok_and(|other| {
                        other.key == signed.key
                            && matches!(
                                team::member_key(store, &other.file.worker.email),
                                Ok(team::MemberKey::NotAMember)
                            )
                    })
                })
            })
            .map(|(id, generated_at, _, _)| (*id, generated_at.clone()))
    };
    let who = &file.worker.name;
    let label = file.period.label();
    let newer = |old: &str| match (
        DateTime::parse_from_rfc3339(&file.generated_at),
        DateTime::parse_from_rfc3339(old),
    ) {
        (Ok(new), Ok(old)) => new > old,
        _ => false,
    };
    let (kind, id, message) = match existing {
        Some((id, old)) if !newer(&old) => (
            ImportKind::Duplicate,
            id,
            format!(
                "Het telbestand van {who} voor {label} was al ingelezen (een even nieuw of nieuwer \
                 bestand). Er is niets veranderd."
            ),
        ),
        Some((id, _)) => {
            tx.execute(
                "UPDATE count_import SET generated_at = ?2, imported_at = ?3, body = ?4,
                   worker_key = ?5
                 WHERE id = ?1",
                (id, &file.generated_at, now.to_rfc3339(), &body, &key),
            )
            .map_err(StoreError::from)?;
            (
                ImportKind::Replaced,
                id,
                format!(
                    "Het telbestand van {who} voor {label} vervangt het oudere bestand van \
                     hetzelfde teamlid en dezelfde periode."
                ),
            )
        }
        None => {
            tx.execute(
                "INSERT INTO count_import
                   (worker_key, period_from, period_to, generated_at, imported_at, body)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                (
                    &key,
                    file.period.from.to_string(),
                    file.period.to.to_string(),
                    &file.generated_at,
                    now.to_rfc3339(),
                    &body,
                ),
            )
            .map_err(StoreError::from)?;
            (
                ImportKind::Added,
                tx.last_insert_rowid(),
                format!("Het telbestand van {who} voor {label} is ingelezen."),
            )
        }
    };
    tx.commit()?;
    Ok(ImportOutcome {
        kind,
        message,
        file: imported(id, &file),
    })
}

fn imported(id: i64, file: &CountFile) -> ImportedFile {
    ImportedFile {
        id,
        worker: file.worker.clone(),
        period: file.period,
        generated_at: file.generated_at.clone(),
        app_version: file.app_version.clone(),
        ledger: file.ledger.clone(),
        // The day on the worker's clock, as the counts in the file are.
        whole_period: DateTime::parse_from_rfc3339(&file.generated_at)
            .is_ok_and(|made| made.date_naive() > file.period.to),
    }
}

/// Every count file read in, with its counts, oldest period first.
fn stored(store: &Store) -> Result<Vec<(i64, CountFile)>, ReportError> {
    let mut stmt = store
        .conn()
        .prepare("SELECT id, body FROM count_import ORDER BY period_from, period_to, id")
        .map_err(StoreError::from)?;
    let rows = stmt
        .query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))
        .map_err(StoreError::from)?;
    let mut files = Vec::new();
    for row in rows {
        let (id, body) = row.map_err(StoreError::from)?;
        files.push((id, parse(body.as_bytes())?.file));
    }
    Ok(files)
}

/// The count files read in, for the list on the team screen.
pub fn imports(store: &Store) -> Result<Vec<ImportedFile>, ReportError> {
    Ok(stored(store)?
        .iter()
        .map(|(id, file)| imported(*id, file))
        .collect())
}

/// Forgets a count file that was read in.
pub fn remove(store: &Store, id: i64) -> Result<(), ReportError> {
    let n = store
        .conn()
        .execute("DELETE FROM count_import WHERE id = ?1", [id])
        .map_err(StoreError::from)?;
    if n == 0 {
        return Err(ReportError::NotFound);
    }
    Ok(())
}

/// The team's counts over one period.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct TeamReport {
    /// The sum of the files read in for exactly this period.
    pub report: Report,
    /// Its table, as the screen shows it.
    pub table: super::CountsTable,
    /// Its chart.
    pub chart: super::chart::Chart,
    /// The files that were added up.
    pub workers: Vec<ImportedFile>,
    /// Team members without a file for this period.
    pub missing: Vec<Member>,
    /// Files read in for other periods, not counted here.
    pub other_periods: u32,
}

/// Adds up the count files read in for `period` and names the members still missing.
pub fn team_report(
    store: &Store,
    period: &Period,
    members: &[Member],
) -> Result<TeamReport, ReportError> {
    let mut report = Report::empty(*period);
    let mut workers = Vec::new();
    let mut other_periods = 0;
    for (id, file) in stored(store)? {
        if file.period == *period {
            report.add(&file.report);
            workers.push(imported(id, &file));
        } else {
            other_periods += 1;
        }
    }
    let present: Vec<String> = workers.iter().map(|w| w.worker.key()).collect();
    let missing = members
        .iter()
        .filter(|m| !present.contains(&m.email.trim().to_lowercase()))
        .cloned()
        .collect();
    Ok(TeamReport {
        table: report.table(),
        chart: super::chart::Chart::of(&report.months),
        report,
        workers,
        missing,
        other_periods,
    })
}
