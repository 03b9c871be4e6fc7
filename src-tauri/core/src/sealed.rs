//! Sealed packages as the store keeps them: the one owner of the `package` table.
//!
//! Two modules need the stored packages: `package`, which makes them and shows them to the
//! worker, and `outbox`, which sends them and destroys their archives once they are delivered or
//! given up. `package` puts a new package in the outbox, so the outbox cannot ask `package` back;
//! both ask this module instead, which asks neither. What a package *is* (its kinds and file
//! names) lives here too, for the same reason.

use chrono::{DateTime, FixedOffset};
use rusqlite::{Connection, OptionalExtension as _};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::reference::Reference;
use crate::store::StoreError;

/// What a package is for. Each kind has its own file name and mail subject, so the OCMW sees at
/// a glance what to do, without the mail naming the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum PackageKind {
    /// The referral itself.
    Referral,
    /// Replaces the data of an earlier package with the same reference.
    Correction,
    /// Tells the OCMW that the client withdrew consent: delete the data.
    Withdrawal,
}

impl PackageKind {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Referral => "referral",
            Self::Correction => "correction",
            Self::Withdrawal => "withdrawal",
        }
    }

    pub(crate) fn parse(text: &str) -> Option<Self> {
        [Self::Referral, Self::Correction, Self::Withdrawal]
            .into_iter()
            .find(|k| k.as_str() == text)
    }

    /// The archive's name: `aanmelding-`, `correctie-` or `intrekking-` and the reference.
    pub fn archive_name(self, reference: &Reference) -> String {
        let stem = match self {
            Self::Referral => "aanmelding",
            Self::Correction => "correctie",
            Self::Withdrawal => "intrekking",
        };
        format!("{stem}-{reference}.7z")
    }
}

/// A kind as stored; an unknown one means the table was written by something else.
fn kind(text: &str) -> Result<PackageKind, StoreError> {
    PackageKind::parse(text).ok_or_else(|| StoreError::Sqlite("onbekend soort pakket".into()))
}

/// A package to store: sealed already, with its password.
pub(crate) struct NewPackage<'a> {
    pub referral_id: i64,
    pub kind: PackageKind,
    pub file_name: &'a str,
    pub archive: &'a [u8],
    pub password: &'a str,
}

/// Stores a sealed package; returns its id.
pub(crate) fn insert(
    conn: &Connection,
    package: &NewPackage<'_>,
    now: DateTime<FixedOffset>,
) -> Result<i64, StoreError> {
    conn.execute(
        "INSERT INTO package (referral_id, kind, file_name, archive, password, password_agreed,
           built_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        rusqlite::params![
            package.referral_id,
            package.kind.as_str(),
            package.file_name,
            package.archive,
            package.password,
            // Kept in the table for packages made before agreed passwords were removed.
            false,
            now.to_rfc3339(),
        ],
    )?;
    Ok(conn.last_insert_rowid())
}

/// A referral's latest package (the referral, a correction or a withdrawal notice): the one
/// whose password the worker passes on now.
#[derive(Debug)]
pub(crate) struct Latest {
    pub id: i64,
    pub kind: PackageKind,
    pub file_name: String,
    pub built_at: String,
    /// The archive's size; `None` once it was destroyed.
    pub size: Option<i64>,
    pub password: Passed,
}

/// A package's password, and when and how the worker passed it on.
#[derive(Debug)]
pub(crate) struct Passed {
    pub password: String,
    pub at: Option<String>,
    pub channel: Option<String>,
}

pub(crate) fn latest(conn: &Connection, referral_id: i64) -> Result<Option<Latest>, StoreError> {
    Ok(conn
        .query_row(
            "SELECT kind, file_name, password, built_at, password_passed_at, password_channel,
                    length(archive), id
             FROM package WHERE referral_id = ?1 ORDER BY id DESC LIMIT 1",
            [referral_id],
            |r| {
                let text: String = r.get(0)?;
                let kind = PackageKind::parse(&text).ok_or_else(|| {
                    rusqlite::Error::InvalidColumnType(
                        0,
                        "kind".into(),
                        rusqlite::types::Type::Text,
                    )
                })?;
                Ok(Latest {
                    id: r.get(7)?,
                    kind,
                    file_name: r.get(1)?,
                    built_at: r.get(3)?,
                    size: r.get(6)?,
                    password: Passed {
                        password: r.get(2)?,
                        at: r.get(4)?,
                        channel: r.get(5)?,
                    },
                })
            },
        )
        .optional()?)
}

/// A stored package's file: its name and the archive, `None` once destroyed.
#[derive(Debug)]
pub(crate) struct StoredFile {
    pub file_name: String,
    pub archive: Option<Vec<u8>>,
}

/// The id and the file of a referral's latest package.
pub(crate) fn latest_archive(
    conn: &Connection,
    referral_id: i64,
) -> Result<Option<(i64, StoredFile)>, StoreError> {
    Ok(conn
        .query_row(
            "SELECT id, file_name, archive FROM package WHERE referral_id = ?1
             ORDER BY id DESC LIMIT 1",
            [referral_id],
            |r| {
                let file = StoredFile {
                    file_name: r.get(1)?,
                    archive: r.get(2)?,
                };
                Ok((r.get(0)?, file))
            },
        )
        .optional()?)
}

/// Records on a referral's latest package that its password was passed on, and how. That
/// package's id; `None` when the referral has no package.
pub(crate) fn password_passed(
    conn: &Connection,
    referral_id: i64,
    channel: &str,
    now: DateTime<FixedOffset>,
) -> Result<Option<i64>, StoreError> {
    Ok(conn
        .query_row(
            "UPDATE package SET password_passed_at = ?2, password_channel = ?3
             WHERE id = (SELECT id FROM package WHERE referral_id = ?1 ORDER BY id DESC LIMIT 1)
             RETURNING id",
            (referral_id, now.to_rfc3339(), channel),
            |r| r.get(0),
        )
        .optional()?)
}

/// Whether the password of the package `id` was passed on.
pub(crate) fn password_passed_on(conn: &Connection, id: i64) -> Result<bool, StoreError> {
    holds(conn, id, "password_passed_at IS NOT NULL")
}

/// Whether the store still holds the archive of the package `id`.
pub(crate) fn archive_kept(conn: &Connection, id: i64) -> Result<bool, StoreError> {
    holds(conn, id, "archive IS NOT NULL")
}

/// Whether `condition` (SQL over the package's columns) holds for the package `id`; false
/// when there is no such package.
fn holds(conn: &Connection, id: i64, condition: &'static str) -> Result<bool, StoreError> {
    Ok(conn
        .query_row(
            &format!("SELECT {condition} FROM package WHERE id = ?1"),
            [id],
            |r| r.get(0),
        )
        .optional()?
        .unwrap_or(false))
}

/// A referral's own package (not a correction or notice): its id, when it was built and when
/// its password was passed on.
pub(crate) fn referral_package(
    conn: &Connection,
    referral_id: i64,
) -> Result<Option<(i64, String, Option<String>)>, StoreError> {
    Ok(conn
        .query_row(
            "SELECT id, built_at, password_passed_at FROM package
             WHERE referral_id = ?1 AND kind = 'referral'",
            [referral_id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?)
}

/// Whether a correction of the referral `referral_id` was made after its package `id`: then
/// that package's data are out of date.
pub(crate) fn corrected_since(
    conn: &Connection,
    referral_id: i64,
    id: i64,
) -> Result<bool, StoreError> {
    Ok(conn.query_row(
        "SELECT count(*) > 0 FROM package WHERE referral_id = ?1 AND kind = 'correction' AND id > ?2",
        (referral_id, id),
        |r| r.get(0),
    )?)
}

/// How many corrections were made for a referral.
pub(crate) fn corrections(conn: &Connection, referral_id: i64) -> Result<u32, StoreError> {
    Ok(conn.query_row(
        "SELECT count(*) FROM package WHERE referral_id = ?1 AND kind = 'correction'",
        [referral_id],
        |r| r.get(0),
    )?)
}

/// The kind of the package `id`.
pub(crate) fn kind_of(conn: &Connection, id: i64) -> Result<Option<PackageKind>, StoreError> {
    let text: Option<String> = conn
        .query_row("SELECT kind FROM package WHERE id = ?1", [id], |r| r.get(0))
        .optional()?;
    text.as_deref().map(kind).transpose()
}

/// What the outbox mails: the package's kind and its file.
pub(crate) fn attachment(
    conn: &Connection,
    id: i64,
) -> Result<Option<(PackageKind, StoredFile)>, StoreError> {
    let row: Option<(String, StoredFile)> = conn
        .query_row(
            "SELECT kind, file_name, archive FROM package WHERE id = ?1",
            [id],
            |r| {
                let file = StoredFile {
                    file_name: r.get(1)?,
                    archive: r.get(2)?,
                };
                Ok((r.get(0)?, file))
            },
        )
        .optional()?;
    row.map(|(k, file)| Ok((kind(&k)?, file))).transpose()
}

/// The file name of the package `id` and when its password was passed on, if it exists.
pub(crate) fn file_name_and_password_passed(
    conn: &Connection,
    id: i64,
) -> Result<Option<(String, Option<String>)>, StoreError> {
    Ok(conn
        .query_row(
            "SELECT file_name, password_passed_at FROM package WHERE id = ?1",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?)
}

/// Whether any package was made for the referral `referral_id`.
pub(crate) fn exists_for(conn: &Connection, referral_id: i64) -> Result<bool, StoreError> {
    Ok(conn.query_row(
        "SELECT count(*) > 0 FROM package WHERE referral_id = ?1",
        [referral_id],
        |r| r.get(0),
    )?)
}

/// Destroys the archive and the password of the package `id`: nothing of it can be opened
/// again.
pub(crate) fn destroy(conn: &Connection, id: i64) -> Result<(), StoreError> {
    conn.execute(
        "UPDATE package SET archive = NULL, password = ''
         WHERE id = ?1 AND (archive IS NOT NULL OR password <> '')",
        [id],
    )?;
    Ok(())
}

/// Destroys the archives and passwords of the referral's packages, but for those in `keep`
/// (still on their way: the outbox needs them).
pub(crate) fn destroy_all_but(
    conn: &Connection,
    referral_id: i64,
    keep: &[i64],
) -> Result<(), StoreError> {
    let ids: Vec<i64> = conn
        .prepare("SELECT id FROM package WHERE referral_id = ?1")?
        .query_map([referral_id], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    for id in ids.into_iter().filter(|id| !keep.contains(id)) {
        destroy(conn, id)?;
    }
    Ok(())
}
