//! Files the app writes outside its encrypted store: packages, receipts, mail drafts, exports.
//!
//! Two promises. A file is whole or absent: it is written under a temporary name in the target
//! folder, flushed to disk and only then renamed, so a full disk or a read-only folder leaves no
//! truncated file behind and the caller can record nothing. And a file that names a referral is
//! remembered (its path only, in the `saved_file` table), so that when the referral's data are
//! purged the app can delete its copies too, and say which it could not reach. It is remembered
//! before its first byte is written, with its temporary name: the app may stop at any moment
//! (a crash, a power cut) between writing, naming and recording, and what it left, a hidden
//! file or a named copy without a finished record, is then still the app's to find
//! ([`settle_cut_off`]) and to delete. A copy of a package's own file (its archive, its mail
//! draft) is remembered with that package as well, so that it can go once the store has
//! destroyed the package's archive, not only at the purge
//! (`outbox::delete_copies_no_longer_needed`). A copy out of reach (a stick taken out) is not
//! taken for deleted: it is listed for the worker and tried again ([`retry_not_deleted`]).

use std::fs;
use std::io::{ErrorKind, Write as _};
use std::path::{Path, PathBuf};

use chrono::{DateTime, FixedOffset};
use serde::Serialize;
use ts_rs::TS;
use zeroize::Zeroizing;

use crate::error::{Coded, io_reason};
use crate::store::{Store, StoreError};

/// A file the worker asked to save: its neutral name and its bytes.
#[derive(Debug)]
pub struct Export {
    pub file_name: String,
    /// What the file holds, wiped from memory when dropped, as the app does with everything it
    /// makes for a referral.
    pub bytes: Zeroizing<Vec<u8>>,
}

/// A file written and flushed under a temporary name, waiting for [`Staged::commit`]. Dropped
/// without a commit, it removes itself and its record; inside a unit of work, whose end may
/// still bring the record back, it leaves both to [`settle_cut_off`].
#[derive(Debug)]
pub struct Staged<'s> {
    temp: PathBuf,
    target: PathBuf,
    committed: bool,
    /// For a copy that names a referral: its `saved_file` row, recorded before the file was
    /// written.
    record: Option<Record<'s>>,
}

/// The row of a copy being saved, and what it holds, should it have to be written again.
#[derive(Debug)]
struct Record<'s> {
    store: &'s Store,
    id: i64,
    reference: String,
    package: Option<i64>,
    saved_at: String,
}

impl Staged<'_> {
    /// Gives the file its final name, and a copy that names a referral its record. Returns the
    /// path.
    ///
    /// The record is finished in the caller's unit of work, if one is open: should that roll
    /// back, the row stays unfinished, and [`settle_cut_off`] finds the named file. An error
    /// after the name (the store failing) leaves the same.
    pub fn commit(mut self) -> Result<PathBuf, SaveError> {
        // Whether the hidden name is gone: on Windows a sync client or an indexer that opened
        // the new file may keep it from being removed, and the row then keeps it for the
        // retention's round to settle (`settle_cut_off`), rather than forgetting a full copy.
        let mut temp_gone = true;
        // A hard link takes the name only if it is free, so a file another program put there
        // since `stage` chose the name is never replaced. Where the file system has no links
        // (FAT or exFAT sticks), a rename after a last look.
        match fs::hard_link(&self.temp, &self.target) {
            Ok(()) => {
                temp_gone = fs::remove_file(&self.temp).is_ok();
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
        if let Some(record) = &self.record {
            let conn = record.store.conn();
            // The path too: another copy of the app settling the row may have given it up.
            let finished = conn
                .execute(
                    "UPDATE saved_file SET temp = CASE WHEN ?3 THEN NULL ELSE temp END, path = ?2
                     WHERE id = ?1",
                    (record.id, self.target.display().to_string(), temp_gone),
                )
                .map_err(StoreError::from)?;
            if finished == 0 {
                // Another copy of the app on this store settled the row as cut off, between
                // its writing and its file's (the files were not there yet): recorded again.
                insert(
                    record.store,
                    &record.reference,
                    record.package,
                    &self.target,
                    &record.saved_at,
                    (!temp_gone).then_some(self.temp.as_path()),
                )?;
            }
        }
        Ok(self.target.clone())
    }

    pub fn target(&self) -> &Path {
        &self.target
    }
}

impl Drop for Staged<'_> {
    fn drop(&mut self) {
        if self.committed {
            return;
        }
        match &self.record {
            // The row's removal could still roll back, and a row brought back without its
            // hidden file would take whatever holds its name for the copy. Both stay, for
            // `settle_cut_off`, which compares them.
            Some(record) if !record.store.conn().is_autocommit() => {}
            Some(record) => {
                // The file first: stopped in between, the row finds no file and goes.
                if remove(&self.temp).is_ok() {
                    let _ = record.store.conn().execute(
                        "DELETE FROM saved_file WHERE id = ?1 AND temp IS NOT NULL",
                        [record.id],
                    );
                }
            }
            None => {
                let _ = fs::remove_file(&self.temp);
            }
        }
    }
}

/// Removes a file; one already gone counts as removed.
fn remove(path: &Path) -> std::io::Result<()> {
    match fs::remove_file(path) {
        Err(e) if e.kind() != ErrorKind::NotFound => Err(e),
        _ => Ok(()),
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
/// own, or `name-2.ext` and so on, never over an existing file. For a file that names no
/// referral (an evaluation's export): one that does is staged by [`stage_for_referral`].
pub fn stage(folder: &Path, export: &Export) -> Result<Staged<'static>, SaveError> {
    let (target, temp) = names_to_write(folder, export)?;
    write(
        Staged {
            temp,
            target,
            committed: false,
            record: None,
        },
        export,
    )
}

/// [`stage`] for a copy that names referral `reference` (and, for a package's own file, is a
/// copy of package `package`): its row is recorded, with the temporary name, before the first
/// byte is written.
///
/// Call it outside a unit of work, so the row is on disk before the file is: inside one, a crash
/// before the commit would take the row and leave the file.
pub fn stage_for_referral<'s>(
    store: &'s Store,
    reference: &str,
    package: Option<i64>,
    folder: &Path,
    export: &Export,
    now: DateTime<FixedOffset>,
) -> Result<Staged<'s>, SaveError> {
    debug_assert!(
        store.conn().is_autocommit(),
        "a copy's row must be on disk before the copy"
    );
    let (target, temp) = names_to_write(folder, export)?;
    let saved_at = now.to_rfc3339();
    // The name is free, so a copy recorded under it before is gone (wiped by hand, here or on
    // another computer): its row must not delete the new copy as the old one.
    store
        .conn()
        .execute(
            "UPDATE saved_file SET deleted_at = ?2, delete_failed = NULL, path = ''
             WHERE path = ?1 AND deleted_at IS NULL AND temp IS NULL",
            (target.display().to_string(), &saved_at),
        )
        .map_err(StoreError::from)?;
    let id = insert(store, reference, package, &target, &saved_at, Some(&temp))?;
    // On an error the dropped `Staged` takes the row away again: nothing was saved.
    write(
        Staged {
            temp,
            target,
            committed: false,
            record: Some(Record {
                store,
                id,
                reference: reference.to_owned(),
                package,
                saved_at,
            }),
        },
        export,
    )
}

/// Records a copy at `path`; with `temp`, one still being saved under that name. Returns its row.
fn insert(
    store: &Store,
    reference: &str,
    package: Option<i64>,
    path: &Path,
    saved_at: &str,
    temp: Option<&Path>,
) -> Result<i64, StoreError> {
    store.conn().execute(
        "INSERT INTO saved_file (reference, package_id, path, saved_at, temp)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        (
            reference,
            package,
            path.display().to_string(),
            saved_at,
            temp.map(|t| t.display().to_string()),
        ),
    )?;
    Ok(store.conn().last_insert_rowid())
}

/// The final and the temporary name of a file `export` written into `folder`.
fn names_to_write(folder: &Path, export: &Export) -> Result<(PathBuf, PathBuf), SaveError> {
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
    Ok((target, temp))
}

/// Writes and flushes `export` under `staged`'s temporary name.
fn write<'s>(staged: Staged<'s>, export: &Export) -> Result<Staged<'s>, SaveError> {
    let folder = staged.temp.parent().unwrap_or(Path::new(""));
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&staged.temp)
        .map_err(|e| SaveError::from_io(folder, &e))?;
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
    stage_for_referral(store, reference, package, folder, export, now)?.commit()
}

/// Records that `path` holds a copy made for referral `reference`, of package `package`'s own
/// file if it is one, unless it is on record already.
pub(crate) fn remember(
    store: &Store,
    reference: &str,
    package: Option<i64>,
    path: &Path,
    now: DateTime<FixedOffset>,
) -> Result<(), StoreError> {
    if !recorded(store, path)? {
        insert(store, reference, package, path, &now.to_rfc3339(), None)?;
    }
    Ok(())
}

/// Whether the copy at `path` is on record, finished and not deleted.
fn recorded(store: &Store, path: &Path) -> Result<bool, StoreError> {
    Ok(store.conn().query_row(
        "SELECT EXISTS (SELECT 1 FROM saved_file
                        WHERE path = ?1 AND temp IS NULL AND deleted_at IS NULL)",
        [path.display().to_string()],
        |r| r.get(0),
    )?)
}

/// The copies of referral `reference`'s files that are still where the app saved them.
pub fn copies(store: &Store, reference: &str) -> Result<Vec<String>, StoreError> {
    Ok(store
        .conn()
        .prepare(
            "SELECT path FROM saved_file
             WHERE reference = ?1 AND deleted_at IS NULL AND temp IS NULL ORDER BY id",
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
            "SELECT path FROM saved_file
             WHERE package_id = ?1 AND deleted_at IS NULL AND temp IS NULL ORDER BY id",
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
             WHERE package_id IS NOT NULL AND deleted_at IS NULL AND temp IS NULL",
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
    delete(
        store,
        "reference = ?1",
        [reference],
        None,
        now,
        OutOfReach::Listed,
    )
}

/// Deletes the recorded copies of referral `reference`'s files saved at or before `saved_by`
/// (see [`delete`]): one saved since has its own time to run.
pub(crate) fn delete_for_referral_saved_by(
    store: &Store,
    reference: &str,
    saved_by: DateTime<FixedOffset>,
    now: DateTime<FixedOffset>,
) -> Result<(), StoreError> {
    delete(
        store,
        "reference = ?1",
        [reference],
        Some(saved_by),
        now,
        OutOfReach::Listed,
    )
}

/// Deletes every recorded copy of package `package`'s own file (see [`delete`]).
pub(crate) fn delete_for_package(
    store: &Store,
    package: i64,
    now: DateTime<FixedOffset>,
) -> Result<(), StoreError> {
    delete(
        store,
        "package_id = ?1",
        [package],
        None,
        now,
        OutOfReach::Listed,
    )
}

/// Settles the saves the app was stopped in (a crash, a power cut, an error after the name):
/// rows recorded before their copy was written and never finished. The hidden file goes. The
/// copy stays on record when it has its name: the named file holds what the hidden one held,
/// or the hidden one is gone and the name is there. Otherwise the row goes: the copy was never
/// named. A row whose folder cannot be reached now (a stick taken out) waits.
///
/// Each decision is on disk before the hidden file goes, as a hidden file gone says that the
/// name is the copy's: so it does nothing inside a unit of work, which may still roll back.
/// The hidden file is gone without its row finished only where the naming took it (a hard link
/// then the removal, or a rename): where the app stopped before that file was written, a file
/// another program put under the name since would be taken for the copy. It is a name only the
/// app gives (`ontvangstbewijs-AM-….pdf`).
pub(crate) fn settle_cut_off(store: &Store) -> Result<(), StoreError> {
    let conn = store.conn();
    if !conn.is_autocommit() {
        return Ok(());
    }
    let cut: Vec<(i64, String, String)> = conn
        .prepare("SELECT id, path, temp FROM saved_file WHERE temp IS NOT NULL")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<Result<_, _>>()?;
    for (id, path, temp) in cut {
        let (path, temp) = (Path::new(&path), Path::new(&temp));
        let Some(named) = named(path, temp) else {
            continue;
        };
        if named && !recorded(store, path)? {
            // The hidden file first: stopped in between, the next look finds the name alone.
            if remove(temp).is_ok() {
                conn.execute("UPDATE saved_file SET temp = NULL WHERE id = ?1", [id])?;
            }
        } else {
            // Never named (or a draft recorded since by its mail's identity,
            // `outbox::write_drafts`: one row for one file). The name is given up first, so
            // the hidden file's going cannot make it the copy's.
            conn.execute("UPDATE saved_file SET path = '' WHERE id = ?1", [id])?;
            if remove(temp).is_ok() {
                conn.execute(
                    "DELETE FROM saved_file WHERE id = ?1 AND temp IS NOT NULL",
                    [id],
                )?;
            }
        }
    }
    Ok(())
}

/// Whether a save cut off got its name `path` (see [`settle_cut_off`]); `None` while the
/// hidden file's folder cannot be reached or read.
fn named(path: &Path, temp: &Path) -> Option<bool> {
    if !temp.parent().is_some_and(Path::is_dir) {
        return None;
    }
    match read_wiped(temp) {
        Ok(written) => Some(read_wiped(path).is_ok_and(|named| named == written)),
        Err(e) if e.kind() == ErrorKind::NotFound => Some(path.is_file()),
        Err(_) => None,
    }
}

/// A file's bytes, wiped from memory when dropped, as an [`Export`]'s are.
fn read_wiped(path: &Path) -> std::io::Result<Zeroizing<Vec<u8>>> {
    fs::read(path).map(Zeroizing::new)
}

/// Deletes the recorded copies that `which` selects (and, with `saved_by`, were saved by then).
/// A file already gone counts as deleted; one the app cannot delete (a folder on a removed
/// stick, no permission) stays listed with the reason, for [`not_deleted`]. A save cut off
/// ([`settle_cut_off`], which cannot run inside the purge's unit of work) goes with its hidden
/// file when it got its name, and is left to that round when it did not.
fn delete(
    store: &Store,
    which: &'static str,
    params: impl rusqlite::Params,
    saved_by: Option<DateTime<FixedOffset>>,
    now: DateTime<FixedOffset>,
    out_of_reach: OutOfReach,
) -> Result<(), StoreError> {
    settle_cut_off(store)?;
    let conn = store.conn();
    let files: Vec<(i64, String, String, Option<String>)> = conn
        .prepare(&format!(
            "SELECT id, path, saved_at, temp FROM saved_file WHERE {which} AND deleted_at IS NULL"
        ))?
        .query_map(params, |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
        .collect::<Result<_, _>>()?;
    for (id, path, saved_at, temp) in files {
        // Times are RFC 3339 with the offset they were taken in: compared as instants. One
        // that does not read is old enough.
        let saved_at = DateTime::parse_from_rfc3339(&saved_at).ok();
        if saved_by.zip(saved_at).is_some_and(|(by, at)| at > by) {
            continue;
        }
        let temp = temp.map(PathBuf::from);
        let removed = match temp.as_deref().map(|temp| named(Path::new(&path), temp)) {
            None | Some(Some(true)) => delete_copy(Path::new(&path), out_of_reach),
            Some(Some(false)) => continue,
            // Its hidden file may be out there too, which the worker was never shown: it waits
            // for the folder, whatever the worker says.
            Some(None) => Err(OUT_OF_REACH.to_owned()),
        };
        if let Err(why) = removed {
            conn.execute(
                "UPDATE saved_file SET delete_failed = ?2 WHERE id = ?1",
                (id, why),
            )?;
            continue;
        }
        if let Some(Err(e)) = temp.as_deref().map(remove) {
            // The copy went, its hidden name did not (another program holds it, on Windows):
            // the row now names that file, listed and tried again as any copy not deleted, and
            // the worker can see which file it is.
            conn.execute(
                "UPDATE saved_file SET path = temp, temp = NULL, delete_failed = ?2 WHERE id = ?1",
                (id, why_not_deleted(&e)),
            )?;
            continue;
        }
        // Gone: its path goes too. The folder the worker chose may name the family
        // ("Dossier Peeters"), and the record keeps only that a copy was there, and when it went.
        conn.execute(
            "UPDATE saved_file SET deleted_at = ?2, delete_failed = NULL, path = '', temp = NULL
             WHERE id = ?1",
            (id, now.to_rfc3339()),
        )?;
    }
    Ok(())
}

/// What a copy whose folder is not there counts as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum OutOfReach {
    /// Not deleted: a stick taken out, a network drive not connected. Listed, and tried again
    /// at every round ([`retry_not_deleted`]).
    Listed,
    /// Gone: the worker, who was asked to wipe it, says it is.
    GoneOnTheWorkersWord,
}

/// Why a copy out of reach was not deleted.
const OUT_OF_REACH: &str =
    "de map is nu niet bereikbaar, bv. een USB-stick die er niet in zit of een netwerkmap";

/// Deletes the copy at `path`. A copy already gone counts as deleted when its folder is there
/// (the worker wiped it); when the folder is not, it may be on a stick taken out.
fn delete_copy(path: &Path, out_of_reach: OutOfReach) -> Result<(), String> {
    match fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == ErrorKind::NotFound && path.parent().is_some_and(Path::is_dir) => {
            Ok(())
        }
        // Not to be seen (a stick out, a network folder that does not answer): at the worker's
        // word, gone; otherwise out of reach.
        Err(_) if fs::symlink_metadata(path).is_err() => match out_of_reach {
            OutOfReach::GoneOnTheWorkersWord => Ok(()),
            OutOfReach::Listed => Err(OUT_OF_REACH.to_owned()),
        },
        Err(e) => Err(why_not_deleted(&e)),
    }
}

/// Why a file could not be deleted, in the worker's words: the system's own are in English.
fn why_not_deleted(e: &std::io::Error) -> String {
    match e.kind() {
        ErrorKind::PermissionDenied => "Aanmelder mag het niet wissen (geen schrijfrechten)".into(),
        _ => io_reason(e),
    }
}

/// Tries again to delete the copies [`not_deleted`] lists: a stick put back, a file closed.
pub(crate) fn retry_not_deleted(
    store: &Store,
    now: DateTime<FixedOffset>,
) -> Result<(), StoreError> {
    delete(
        store,
        "delete_failed IS NOT NULL",
        [],
        None,
        now,
        OutOfReach::Listed,
    )
}

/// The worker says the listed copy at `path` is gone: it is tried once more, and taken off the
/// list unless it is still there. One whose folder is out of reach is taken at the worker's
/// word. Returns the list as it is then.
pub fn wiped_by_the_worker(
    store: &Store,
    path: &str,
    now: DateTime<FixedOffset>,
) -> Result<Vec<NotDeleted>, StoreError> {
    delete(
        store,
        "path = ?1 AND delete_failed IS NOT NULL",
        [path],
        None,
        now,
        OutOfReach::GoneOnTheWorkersWord,
    )?;
    not_deleted(store)
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

/// Why a file could not be saved: nothing was written and nothing recorded, but for the store
/// failing once the file had its name, which [`settle_cut_off`] then keeps on record.
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
            _ => Self::Write(io_reason(e)),
        }
    }
}

#[cfg(test)]
mod tests;
