//! Files the app writes outside its encrypted store: packages, receipts, mail drafts, exports.
//!
//! Two promises. A file is whole or absent: it is written under a temporary name in the target
//! folder, flushed to disk and only then renamed, so a full disk or a read-only folder leaves no
//! truncated file behind and the caller can record nothing. And a file that names a referral is
//! remembered (its path only, in the `saved_file` table), so that when the referral's data are
//! purged the app can delete its copies too, and say which it could not reach. A copy of a
//! package's own file (its archive, its mail draft) is remembered with that package as well,
//! so that it can go once the store has destroyed the package's archive, not only at the purge
//! (`outbox::delete_copies_no_longer_needed`).

use std::fs;
use std::io::{ErrorKind, Write as _};
use std::path::{Path, PathBuf};

use chrono::{DateTime, FixedOffset};
use serde::Serialize;
use ts_rs::TS;
use zeroize::Zeroizing;

use crate::error::Coded;
use crate::store::{Store, StoreError};

/// A file the worker asked to save: its neutral name and its bytes.
#[derive(Debug)]
pub struct Export {
    pub file_name: String,
    /// What the file holds, wiped from memory when dropped: a receipt names the client.
    pub bytes: Zeroizing<Vec<u8>>,
}

/// A file written and flushed under a temporary name, waiting for [`Staged::commit`]. Dropped
/// without a commit, it removes itself.
#[derive(Debug)]
pub struct Staged {
    temp: PathBuf,
    target: PathBuf,
    committed: bool,
}

impl Staged {
    /// Gives the file its final name. Returns the path.
    pub fn commit(mut self) -> Result<PathBuf, SaveError> {
        // A hard link takes the name only if it is free, so a file another program put there
        // since `stage` chose the name is never replaced. Where the file system has no links
        // (FAT or exFAT sticks), a rename after a last look.
        match fs::hard_link(&self.temp, &self.target) {
            Ok(()) => {
                let _ = fs::remove_file(&self.temp);
            }
            Err(e) if e.kind() == ErrorKind::AlreadyExists => {
                return Err(SaveError::Write(format!(
                    "{} bestaat intussen al",
                    self.target.display()
                )));
            }
            Err(_) => {
                if self.target.exists() {
                    return Err(SaveError::Write(format!(
                        "{} bestaat intussen al",
                        self.target.display()
                    )));
                }
                fs::rename(&self.temp, &self.target)
                    .map_err(|e| SaveError::from_io(&self.target, &e))?;
            }
        }
        self.committed = true;
        sync_folder(&self.target);
        Ok(self.target.clone())
    }

    pub fn target(&self) -> &Path {
        &self.target
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        if !self.committed {
            let _ = fs::remove_file(&self.temp);
        }
    }
}

/// Makes the rename itself durable where the platform allows it (a folder can be fsynced on
/// Unix; Windows makes renames durable on its own).
fn sync_folder(path: &Path) {
    #[cfg(unix)]
    if let Some(folder) = path.parent()
        && let Ok(dir) = fs::File::open(folder)
    {
        let _ = dir.sync_all();
    }
    #[cfg(not(unix))]
    let _ = path;
}

/// Writes `export` into `folder` under a temporary name and flushes it; the final name is its
/// own, or `name-2.ext` and so on, never over an existing file.
pub fn stage(folder: &Path, export: &Export) -> Result<Staged, SaveError> {
    if folder.as_os_str().is_empty() {
        return Err(SaveError::NoFolderChosen);
    }
    if !folder.is_dir() {
        return Err(SaveError::NoFolder(folder.display().to_string()));
    }
    let target = free_name(folder, &export.file_name)?;
    let mut random = [0u8; 6];
    getrandom::fill(&mut random).map_err(|e| SaveError::Write(e.to_string()))?;
    // Neutral and hidden: the temporary name says nothing about the client or the referral.
    let temp = folder.join(format!(".aanmelder-{}.tmp", hex::encode(random)));
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&temp)
        .map_err(|e| SaveError::from_io(folder, &e))?;
    let staged = Staged {
        temp,
        target,
        committed: false,
    };
    file.write_all(&export.bytes)
        .and_then(|()| file.sync_all())
        .map_err(|e| SaveError::from_io(folder, &e))?;
    Ok(staged)
}

fn free_name(folder: &Path, file_name: &str) -> Result<PathBuf, SaveError> {
    names_for(folder, file_name)
        .find(|path| !path.exists())
        .ok_or_else(|| SaveError::Write("te veel bestanden met dezelfde naam".into()))
}

/// The names a file saved as `file_name` in `folder` may get: its own, or numbered when the
/// folder holds one of that name already (`aanmelding-….eml`, then `aanmelding-…-2.eml`).
pub(crate) fn names_for<'a>(
    folder: &'a Path,
    file_name: &'a str,
) -> impl Iterator<Item = PathBuf> + 'a {
    let (stem, ext) = file_name.rsplit_once('.').unwrap_or((file_name, ""));
    (1..100).map(move |n| match n {
        1 => folder.join(file_name),
        _ => folder.join(format!("{stem}-{n}.{ext}")),
    })
}

/// Writes `export` into `folder`, whole or not at all. Returns the path written.
pub fn save(folder: &Path, export: &Export) -> Result<PathBuf, SaveError> {
    stage(folder, export)?.commit()
}

/// Saves a file that belongs to referral `reference` (and, for a package's own file, to the
/// package `package`) and remembers where, for the purge.
pub fn save_for_referral(
    store: &Store,
    reference: &str,
    package: Option<i64>,
    folder: &Path,
    export: &Export,
    now: DateTime<FixedOffset>,
) -> Result<PathBuf, SaveError> {
    // Recorded and named together: a copy the purge does not know of is never left behind.
    let staged = stage(folder, export)?;
    let tx = store.transaction()?;
    remember(store, reference, package, staged.target(), now)?;
    let path = staged.commit()?;
    tx.commit()?;
    Ok(path)
}

/// Records that `path` holds a copy made for referral `reference`, of package `package`'s own
/// file if it is one.
pub(crate) fn remember(
    store: &Store,
    reference: &str,
    package: Option<i64>,
    path: &Path,
    now: DateTime<FixedOffset>,
) -> Result<(), StoreError> {
    store.conn().execute(
        "INSERT INTO saved_file (reference, package_id, path, saved_at) VALUES (?1, ?2, ?3, ?4)",
        (
            reference,
            package,
            path.display().to_string(),
            now.to_rfc3339(),
        ),
    )?;
    Ok(())
}

/// The copies of referral `reference`'s files that are still where the app saved them.
pub fn copies(store: &Store, reference: &str) -> Result<Vec<String>, StoreError> {
    Ok(store
        .conn()
        .prepare(
            "SELECT path FROM saved_file WHERE reference = ?1 AND deleted_at IS NULL ORDER BY id",
        )?
        .query_map([reference], |r| r.get(0))?
        .collect::<Result<_, _>>()?)
}

/// The copies of package `package`'s own file that are still where the app saved them, oldest
/// first.
pub(crate) fn copies_of_package(store: &Store, package: i64) -> Result<Vec<PathBuf>, StoreError> {
    Ok(store
        .conn()
        .prepare(
            "SELECT path FROM saved_file WHERE package_id = ?1 AND deleted_at IS NULL ORDER BY id",
        )?
        .query_map([package], |r| r.get::<_, String>(0).map(PathBuf::from))?
        .collect::<Result<_, _>>()?)
}

/// The packages of which a copy is still where the app saved it.
pub(crate) fn packages_with_copies(store: &Store) -> Result<Vec<i64>, StoreError> {
    Ok(store
        .conn()
        .prepare(
            "SELECT DISTINCT package_id FROM saved_file
             WHERE package_id IS NOT NULL AND deleted_at IS NULL",
        )?
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?)
}

/// Deletes every recorded copy of referral `reference`'s files (see [`delete`]).
pub(crate) fn delete_for_referral(
    store: &Store,
    reference: &str,
    now: DateTime<FixedOffset>,
) -> Result<(), StoreError> {
    delete(store, "reference = ?1", reference, None, now)
}

/// Deletes the recorded copies of referral `reference`'s files saved at or before `saved_by`
/// (see [`delete`]): one saved since has its own time to run.
pub(crate) fn delete_for_referral_saved_by(
    store: &Store,
    reference: &str,
    saved_by: DateTime<FixedOffset>,
    now: DateTime<FixedOffset>,
) -> Result<(), StoreError> {
    delete(store, "reference = ?1", reference, Some(saved_by), now)
}

/// Deletes every recorded copy of package `package`'s own file (see [`delete`]).
pub(crate) fn delete_for_package(
    store: &Store,
    package: i64,
    now: DateTime<FixedOffset>,
) -> Result<(), StoreError> {
    delete(store, "package_id = ?1", package, None, now)
}

/// Deletes the recorded copies that `which` selects (and, with `saved_by`, were saved by then).
/// A file already gone counts as deleted; one the app cannot delete (a folder on a removed
/// stick, no permission) stays listed with the reason, for [`not_deleted`].
fn delete(
    store: &Store,
    which: &'static str,
    key: impl rusqlite::ToSql,
    saved_by: Option<DateTime<FixedOffset>>,
    now: DateTime<FixedOffset>,
) -> Result<(), StoreError> {
    let conn = store.conn();
    let files: Vec<(i64, String, String)> = conn
        .prepare(&format!(
            "SELECT id, path, saved_at FROM saved_file WHERE {which} AND deleted_at IS NULL"
        ))?
        .query_map([key], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<Result<_, _>>()?;
    for (id, path, saved_at) in files {
        // Times are RFC 3339 with the offset they were taken in: compared as instants. One
        // that does not read is old enough.
        let saved_at = DateTime::parse_from_rfc3339(&saved_at).ok();
        if saved_by.zip(saved_at).is_some_and(|(by, at)| at > by) {
            continue;
        }
        match fs::remove_file(&path) {
            Ok(()) => {}
            Err(e) if e.kind() == ErrorKind::NotFound => {}
            Err(e) => {
                conn.execute(
                    "UPDATE saved_file SET delete_failed = ?2 WHERE id = ?1",
                    (id, e.to_string()),
                )?;
                continue;
            }
        }
        // Gone: its path goes too. The folder the worker chose may name the family
        // ("Dossier Peeters"), and the record keeps only that a copy was there, and when it went.
        conn.execute(
            "UPDATE saved_file SET deleted_at = ?2, delete_failed = NULL, path = '' WHERE id = ?1",
            (id, now.to_rfc3339()),
        )?;
    }
    Ok(())
}

/// A copy the purge could not delete: the worker has to remove it by hand.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct NotDeleted {
    pub path: String,
    pub why: String,
}

/// The copies the app had to delete (their referral purged, their package confirmed or taken
/// out) but could not.
pub fn not_deleted(store: &Store) -> Result<Vec<NotDeleted>, StoreError> {
    Ok(store
        .conn()
        .prepare(
            "SELECT path, delete_failed FROM saved_file
             WHERE deleted_at IS NULL AND delete_failed IS NOT NULL ORDER BY id",
        )?
        .query_map([], |r| {
            Ok(NotDeleted {
                path: r.get(0)?,
                why: r.get(1)?,
            })
        })?
        .collect::<Result<_, _>>()?)
}

/// Why a file could not be saved. Nothing was written, and nothing was recorded.
#[derive(Debug, thiserror::Error, Coded)]
#[coded(prefix = "file", field = "folder")]
pub enum SaveError {
    #[error(
        "Kies eerst een map met ‘Kies map…’: liefst een map op deze computer die niet met \
         OneDrive of een andere cloud gesynchroniseerd wordt."
    )]
    NoFolderChosen,
    #[error("Map: {0} bestaat niet of is geen map. Kies een bestaande map.")]
    NoFolder(String),
    #[error(
        "De schijf van {0} is vol: het bestand is niet bewaard en er is niets vastgelegd. Maak \
         ruimte vrij of kies een andere map."
    )]
    Full(String),
    #[error(
        "In de map {0} mag Aanmelder niet schrijven: het bestand is niet bewaard en er is niets \
         vastgelegd. Kies een andere map."
    )]
    ReadOnly(String),
    #[error("Het bestand kon niet bewaard worden: {0}. Kies een andere map.")]
    Write(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl SaveError {
    fn from_io(place: &Path, e: &std::io::Error) -> Self {
        let place = place.display().to_string();
        match e.kind() {
            ErrorKind::StorageFull | ErrorKind::QuotaExceeded => Self::Full(place),
            ErrorKind::ReadOnlyFilesystem | ErrorKind::PermissionDenied => Self::ReadOnly(place),
            _ => Self::Write(e.to_string()),
        }
    }
}

#[cfg(test)]
mod tests;
