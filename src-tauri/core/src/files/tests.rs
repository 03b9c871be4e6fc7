use std::fs;

use super::*;
use crate::testing::at;

#[test]
fn saving_never_overwrites_and_names_stay_neutral() {
    let dir = tempfile::tempdir().unwrap();
    let export = Export {
        file_name: "aanmelding-AM-ABCD-EFGH.7z".into(),
        bytes: b"first".to_vec().into(),
    };
    let first = save(dir.path(), &export).unwrap();
    let second = save(
        dir.path(),
        &Export {
            bytes: b"second".to_vec().into(),
            ..export
        },
    )
    .unwrap();
    assert_eq!(first.file_name().unwrap(), "aanmelding-AM-ABCD-EFGH.7z");
    assert_eq!(second.file_name().unwrap(), "aanmelding-AM-ABCD-EFGH-2.7z");
    assert_eq!(fs::read(first).unwrap(), b"first");
    let err = save(
        &dir.path().join("weg"),
        &Export {
            file_name: "x.7z".into(),
            bytes: Vec::new().into(),
        },
    )
    .unwrap_err();
    assert_eq!(err.field(), Some("folder"));
}

fn names_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn a_staged_file_has_only_a_neutral_temporary_name_until_committed() {
    let dir = tempfile::tempdir().unwrap();
    let export = Export {
        file_name: "ontvangstbewijs-AM-ABCD-EFGH.pdf".into(),
        bytes: b"%PDF-1.7 whole".to_vec().into(),
    };
    let staged = stage(dir.path(), &export).unwrap();
    let names = names_in(dir.path());
    assert_eq!(names.len(), 1, "{names:?}");
    assert!(names[0].starts_with(".aanmelder-") && names[0].ends_with(".tmp"));
    assert!(!names[0].contains("AM-"), "{names:?}");
    let path = staged.commit().unwrap();
    assert_eq!(names_in(dir.path()), ["ontvangstbewijs-AM-ABCD-EFGH.pdf"]);
    assert_eq!(fs::read(path).unwrap(), b"%PDF-1.7 whole");
}

#[test]
fn a_staged_file_dropped_without_commit_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let export = Export {
        file_name: "aanmelding-AM-ABCD-EFGH.eml".into(),
        bytes: b"draft".to_vec().into(),
    };
    drop(stage(dir.path(), &export).unwrap());
    assert_eq!(names_in(dir.path()), Vec::<String>::new());
}

#[test]
fn the_purge_deletes_remembered_copies_and_lists_those_it_cannot() {
    let (_db, store) = Store::temporary();
    let dir = tempfile::tempdir().unwrap();
    let now = at("2026-11-22T10:15:00+01:00");
    let export = |name: &str| Export {
        file_name: name.into(),
        bytes: b"copy".to_vec().into(),
    };
    let package = save_for_referral(
        &store,
        "AM-ABCD-EFGH",
        None,
        dir.path(),
        &export("aanmelding-AM-ABCD-EFGH.7z"),
        now,
    )
    .unwrap();
    let receipt = save_for_referral(
        &store,
        "AM-ABCD-EFGH",
        None,
        dir.path(),
        &export("ontvangstbewijs-AM-ABCD-EFGH.pdf"),
        now,
    )
    .unwrap();
    let other = save_for_referral(
        &store,
        "AM-WXYZ-2345",
        None,
        dir.path(),
        &export("aanmelding-AM-WXYZ-2345.7z"),
        now,
    )
    .unwrap();
    assert_eq!(copies(&store, "AM-ABCD-EFGH").unwrap().len(), 2);
    // One copy the worker already removed by hand; it counts as deleted.
    fs::remove_file(&receipt).unwrap();
    // And one the app cannot delete: a folder where a file should be.
    let stuck = dir.path().join("vast");
    fs::create_dir(&stuck).unwrap();
    fs::write(stuck.join("inhoud"), b"x").unwrap();
    remember(&store, "AM-ABCD-EFGH", None, &stuck, now).unwrap();

    delete_for_referral(&store, "AM-ABCD-EFGH", now).unwrap();

    assert!(!package.exists());
    assert!(other.exists(), "another referral's copy stays");
    let left = not_deleted(&store).unwrap();
    assert_eq!(left.len(), 1, "{left:?}");
    assert_eq!(left[0].path, stuck.display().to_string());
    assert!(!left[0].why.is_empty());
    assert_eq!(
        copies(&store, "AM-ABCD-EFGH").unwrap(),
        [stuck.display().to_string()]
    );
}

#[test]
fn a_packages_copies_go_with_it_and_the_referrals_other_copies_stay() {
    let (_db, store) = Store::temporary();
    let dir = tempfile::tempdir().unwrap();
    let now = at("2026-11-22T10:15:00+01:00");
    let save = |package, name: &str| {
        let export = Export {
            file_name: name.into(),
            bytes: b"copy".to_vec().into(),
        };
        save_for_referral(&store, "AM-ABCD-EFGH", package, dir.path(), &export, now).unwrap()
    };
    let archive = save(Some(1), "aanmelding-AM-ABCD-EFGH.7z");
    let draft = save(Some(1), "aanmelding-AM-ABCD-EFGH.eml");
    let correction = save(Some(2), "correctie-AM-ABCD-EFGH.7z");
    let receipt = save(None, "ontvangstbewijs-AM-ABCD-EFGH.pdf");
    assert_eq!(
        copies_of_package(&store, 1).unwrap(),
        [archive.clone(), draft.clone()]
    );

    delete_for_package(&store, 1, now).unwrap();

    assert!(!archive.exists() && !draft.exists());
    assert!(correction.exists() && receipt.exists());
    assert_eq!(copies_of_package(&store, 1).unwrap(), Vec::<PathBuf>::new());
    assert_eq!(
        copies(&store, "AM-ABCD-EFGH").unwrap(),
        [&correction, &receipt].map(|p| p.display().to_string())
    );
}

/// Copies saved before version 16 knew only their referral; the migration gives each the
/// package whose file it is, where the name says so without doubt.
#[test]
fn the_migration_finds_the_package_of_copies_saved_before() {
    let office = crate::testing::Office::new();
    let when = at("2026-11-23T10:00:00+01:00");
    let reference = office.consented(&crate::testing::mira(), crate::consent::Language::Nl, when);
    let reference = reference.as_str();
    let folder = tempfile::tempdir().unwrap();
    let draft = crate::outbox::write_drafts(&office.store, folder.path(), when).unwrap();
    let saved = |name: &str| {
        let export = Export {
            file_name: name.into(),
            bytes: b"copy".to_vec().into(),
        };
        save_for_referral(&office.store, reference, None, folder.path(), &export, when).unwrap()
    };
    let archive = saved(&format!("aanmelding-{reference}.7z"));
    // The folder held one already: the app numbered the second, which names no package.
    let numbered = saved(&format!("aanmelding-{reference}.7z"));
    let receipt = saved(&format!("ontvangstbewijs-{reference}.pdf"));
    // Saved on Windows.
    let windows = format!(r"C:\Users\medewerker\Documents\aanmelding-{reference}.7z");
    remember(&office.store, reference, None, Path::new(&windows), when).unwrap();
    let conn = office.store.conn();
    conn.execute("UPDATE saved_file SET package_id = NULL", [])
        .unwrap();
    let migration = include_str!("../store/migrations/0016_copies_go_with_their_package.sql");
    let backfill = &migration[migration.find("UPDATE saved_file").unwrap()..];
    conn.execute_batch(backfill).unwrap();
    let package: i64 = conn
        .query_row("SELECT id FROM package", [], |r| r.get(0))
        .unwrap();
    assert_eq!(
        copies_of_package(&office.store, package).unwrap(),
        [draft[0].clone(), archive, PathBuf::from(windows)]
    );
    let unowned: Vec<String> = conn
        .prepare("SELECT path FROM saved_file WHERE package_id IS NULL ORDER BY id")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        unowned,
        [numbered, receipt].map(|p| p.display().to_string())
    );
}

/// What the tests of saves cut off and copies out of reach start from: a store, a folder to
/// save into, and the moment.
struct Desk {
    _db: tempfile::TempDir,
    store: Store,
    dir: tempfile::TempDir,
    now: DateTime<FixedOffset>,
}

impl Desk {
    fn new() -> Self {
        let (_db, store) = Store::temporary();
        Self {
            _db,
            store,
            dir: tempfile::tempdir().unwrap(),
            now: at("2026-12-05T10:15:00+01:00"),
        }
    }
}

/// A folder in `dir` to save into, as on a stick, and where it goes when the stick is taken out.
fn stick(dir: &tempfile::TempDir) -> (PathBuf, PathBuf) {
    let stick = dir.path().join("stick");
    fs::create_dir(&stick).unwrap();
    (stick, dir.path().join("weg"))
}

/// Referral AM-ABCD-EFGH's receipt staged into `folder`: recorded and written, not named.
fn stage_receipt<'s>(store: &'s Store, folder: &Path, now: DateTime<FixedOffset>) -> Staged<'s> {
    stage_for_referral(store, "AM-ABCD-EFGH", None, folder, &receipt(b"%PDF"), now).unwrap()
}

fn receipt(bytes: &[u8]) -> Export {
    Export {
        file_name: "ontvangstbewijs-AM-ABCD-EFGH.pdf".into(),
        bytes: bytes.to_vec().into(),
    }
}

/// Of a save cut off whose name another program took: only that program's file is left, and no
/// row.
fn only_the_other_programs_file_is_left(store: &Store, dir: &Path, foreign: &Path) {
    assert_eq!(names_in(dir), ["ontvangstbewijs-AM-ABCD-EFGH.pdf"]);
    assert_eq!(fs::read(foreign).unwrap(), b"someone else's");
    assert_eq!(rows(store), 0);
}

fn rows(store: &Store) -> i64 {
    store
        .conn()
        .query_row("SELECT count(*) FROM saved_file", [], |r| r.get(0))
        .unwrap()
}

/// The app stops (a crash, a power cut) while a copy is written under its hidden name: the next
/// round of the retention finds the hidden file and deletes it.
#[test]
fn a_save_cut_off_before_its_name_leaves_nothing_behind() {
    let Desk {
        _db,
        store,
        dir,
        now,
    } = Desk::new();
    drop(stage_receipt(&store, dir.path(), now));
    assert_eq!((names_in(dir.path()).len(), rows(&store)), (0, 0));

    let staged = stage_receipt(&store, dir.path(), now);
    std::mem::forget(staged);
    assert_eq!(names_in(dir.path()).len(), 1, "the hidden file is there");

    crate::retention::purge_due(&store, now).unwrap();

    assert_eq!(names_in(dir.path()), Vec::<String>::new());
    assert_eq!(rows(&store), 0);
}

/// The app stops after naming the copy and before finishing its record: the copy stays the
/// app's, listed with the referral's copies and deleted with them.
#[test]
fn a_copy_named_before_its_record_is_finished_is_still_deleted_by_the_purge() {
    let Desk {
        _db,
        store,
        dir,
        now,
    } = Desk::new();
    let cut_off_after_naming = || {
        let staged = stage_receipt(&store, dir.path(), now);
        fs::hard_link(&staged.temp, &staged.target).unwrap();
        let named = staged.target.clone();
        std::mem::forget(staged);
        named
    };
    let named = cut_off_after_naming();
    assert_eq!(
        copies(&store, "AM-ABCD-EFGH").unwrap(),
        Vec::<String>::new()
    );
    crate::retention::purge_due(&store, now).unwrap();
    assert_eq!(
        names_in(dir.path()),
        ["ontvangstbewijs-AM-ABCD-EFGH.pdf"],
        "the hidden name is gone, the copy kept"
    );
    assert_eq!(
        copies(&store, "AM-ABCD-EFGH").unwrap(),
        [named.display().to_string()]
    );
    // The outbox finds a draft it left by its mail's identity and records it: once.
    remember(&store, "AM-ABCD-EFGH", None, &named, now).unwrap();
    assert_eq!(copies(&store, "AM-ABCD-EFGH").unwrap().len(), 1);

    // And cut off again, the hidden file still there when the referral is purged.
    cut_off_after_naming();
    assert_eq!(names_in(dir.path()).len(), 3);
    delete_for_referral(&store, "AM-ABCD-EFGH", now).unwrap();
    assert_eq!(names_in(dir.path()), Vec::<String>::new());
    assert_eq!(not_deleted(&store).unwrap(), Vec::<NotDeleted>::new());
}

/// A file another program put under the copy's name before the app could name its own is never
/// taken for the app's, whether the naming failed or the app stopped before it.
#[test]
fn a_file_of_another_program_under_the_copys_name_is_left_alone() {
    let Desk {
        _db,
        store,
        dir,
        now,
    } = Desk::new();
    let foreign = dir.path().join("ontvangstbewijs-AM-ABCD-EFGH.pdf");

    let staged = stage_receipt(&store, dir.path(), now);
    fs::write(&foreign, b"someone else's").unwrap();
    assert!(staged.commit().is_err());
    assert_eq!(rows(&store), 0);

    fs::remove_file(&foreign).unwrap();
    let staged = stage_receipt(&store, dir.path(), now);
    fs::write(&foreign, b"someone else's").unwrap();
    std::mem::forget(staged);
    delete_for_referral(&store, "AM-ABCD-EFGH", now).unwrap();

    only_the_other_programs_file_is_left(&store, dir.path(), &foreign);
}

/// Another program takes the copy's name while a unit of work is open (the DPO notice is named
/// inside the incident's): the row the failed naming would remove comes back with the rollback,
/// and must still never take that program's file for the copy.
#[test]
fn a_naming_that_fails_inside_a_unit_of_work_leaves_the_other_file_alone() {
    let Desk {
        _db,
        store,
        dir,
        now,
    } = Desk::new();
    let foreign = dir.path().join("ontvangstbewijs-AM-ABCD-EFGH.pdf");
    let staged = stage_receipt(&store, dir.path(), now);
    let tx = store.transaction().unwrap();
    fs::write(&foreign, b"someone else's").unwrap();
    assert!(staged.commit().is_err());
    drop(tx);
    assert_eq!(rows(&store), 1, "the row came back with the rollback");

    crate::retention::purge_due(&store, now).unwrap();
    delete_for_referral(&store, "AM-ABCD-EFGH", now).unwrap();

    only_the_other_programs_file_is_left(&store, dir.path(), &foreign);
}

/// A purge (inside its unit of work) meets a save cut off before its name, whose name another
/// program has taken since, and rolls back: nothing of that program's is touched, then or at
/// the next round.
#[test]
fn a_purge_that_rolls_back_leaves_a_cut_off_save_to_the_next_round() {
    let Desk {
        _db,
        store,
        dir,
        now,
    } = Desk::new();
    let staged = stage_receipt(&store, dir.path(), now);
    let foreign = staged.target.clone();
    std::mem::forget(staged);
    fs::write(&foreign, b"someone else's").unwrap();

    let tx = store.transaction().unwrap();
    delete_for_referral(&store, "AM-ABCD-EFGH", now).unwrap();
    drop(tx);
    assert_eq!(names_in(dir.path()).len(), 2, "the hidden file waits");
    crate::retention::purge_due(&store, now).unwrap();

    only_the_other_programs_file_is_left(&store, dir.path(), &foreign);
}

/// A save cut off on a stick that is then taken out waits for it, rather than forgetting a
/// copy it cannot see.
#[test]
fn a_cut_off_save_on_a_folder_out_of_reach_waits_for_it() {
    let Desk {
        _db,
        store,
        dir,
        now,
    } = Desk::new();
    let (stick, away) = stick(&dir);
    let staged = stage_receipt(&store, &stick, now);
    fs::hard_link(&staged.temp, &staged.target).unwrap();
    let named = staged.target.clone();
    std::mem::forget(staged);

    fs::rename(&stick, &away).unwrap();
    crate::retention::purge_due(&store, now).unwrap();
    assert_eq!(rows(&store), 1, "the row waits");
    fs::rename(&away, &stick).unwrap();
    crate::retention::purge_due(&store, now).unwrap();

    assert_eq!(names_in(&stick), ["ontvangstbewijs-AM-ABCD-EFGH.pdf"]);
    assert_eq!(
        copies(&store, "AM-ABCD-EFGH").unwrap(),
        [named.display().to_string()]
    );
}

/// Another copy of the app on the same store settled this save's row as cut off before its file
/// was written: the copy, once named, is recorded again.
#[test]
fn a_copy_whose_row_another_app_settled_away_is_recorded_again() {
    let Desk {
        _db,
        store,
        dir,
        now,
    } = Desk::new();
    let staged = stage_receipt(&store, dir.path(), now);
    store.conn().execute("DELETE FROM saved_file", []).unwrap();
    let path = staged.commit().unwrap();
    assert_eq!(
        copies(&store, "AM-ABCD-EFGH").unwrap(),
        [path.display().to_string()]
    );
}

/// A copy saved on a stick that is out when the copy must go is not taken for deleted: it is
/// listed for the worker, deleted once the stick is back, or taken off the list when the worker
/// says it is gone. A copy still there is never taken off on the worker's word.
#[test]
fn a_copy_on_a_stick_taken_out_is_listed_until_it_is_back_or_said_gone() {
    let Desk {
        _db,
        store,
        dir,
        now,
    } = Desk::new();
    let (stick, away) = stick(&dir);
    let save = |reference: &str| {
        let export = Export {
            file_name: format!("aanmelding-{reference}.7z"),
            bytes: b"copy".to_vec().into(),
        };
        save_for_referral(&store, reference, None, &stick, &export, now).unwrap()
    };
    let back = save("AM-ABCD-EFGH");
    let said_gone = save("AM-WXYZ-2345");
    fs::rename(&stick, &away).unwrap();
    delete_for_referral(&store, "AM-ABCD-EFGH", now).unwrap();
    delete_for_referral(&store, "AM-WXYZ-2345", now).unwrap();
    let listed = not_deleted(&store).unwrap();
    assert_eq!(
        listed.iter().map(|n| n.path.clone()).collect::<Vec<_>>(),
        [&back, &said_gone].map(|p| p.display().to_string())
    );
    assert!(listed[0].why.contains("niet bereikbaar"), "{listed:?}");

    let left = wiped_by_the_worker(&store, &said_gone.display().to_string(), now).unwrap();
    assert_eq!(left.len(), 1);
    fs::rename(&away, &stick).unwrap();
    crate::retention::purge_due(&store, now).unwrap();
    assert_eq!(not_deleted(&store).unwrap(), Vec::<NotDeleted>::new());
    assert!(!back.exists(), "deleted once the stick was back");
    assert!(said_gone.exists(), "taken at the worker's word, as asked");

    // A folder where the copy was: still there, so still listed.
    let stuck = stick.join("vast");
    fs::create_dir(&stuck).unwrap();
    fs::write(stuck.join("inhoud"), b"x").unwrap();
    remember(&store, "AM-ABCD-EFGH", None, &stuck, now).unwrap();
    delete_for_referral(&store, "AM-ABCD-EFGH", now).unwrap();
    let left = wiped_by_the_worker(&store, &stuck.display().to_string(), now).unwrap();
    assert_eq!(left.len(), 1, "{left:?}");
    assert_eq!(left[0].why, "er staat een map met die naam");
}

/// A listed copy wiped by hand (on another computer) frees its name; a new copy saved under it
/// is never deleted in the old one's place.
#[test]
fn a_new_copy_under_a_listed_copys_name_is_not_deleted_in_its_place() {
    let Desk {
        _db,
        store,
        dir,
        now,
    } = Desk::new();
    let (stick, away) = stick(&dir);
    let export = |bytes: &[u8]| Export {
        file_name: "correctie-AM-ABCD-EFGH.7z".into(),
        bytes: bytes.to_vec().into(),
    };
    let old = save_for_referral(&store, "AM-ABCD-EFGH", None, &stick, &export(b"1"), now).unwrap();
    fs::rename(&stick, &away).unwrap();
    delete_for_referral(&store, "AM-ABCD-EFGH", now).unwrap();
    assert_eq!(not_deleted(&store).unwrap().len(), 1);
    fs::rename(&away, &stick).unwrap();
    fs::remove_file(&old).unwrap();

    let new = save_for_referral(&store, "AM-ABCD-EFGH", None, &stick, &export(b"2"), now).unwrap();
    assert_eq!(new, old, "the same name, free again");
    retry_not_deleted(&store, now).unwrap();

    assert_eq!(fs::read(&new).unwrap(), b"2");
    assert_eq!(not_deleted(&store).unwrap(), Vec::<NotDeleted>::new());
    assert_eq!(
        copies(&store, "AM-ABCD-EFGH").unwrap(),
        [new.display().to_string()]
    );
}

/// A save cut off on a stick then taken out may have left its hidden file there, which the
/// worker was never shown: it stays listed whatever the worker says, until the stick is back.
#[test]
fn a_cut_off_save_out_of_reach_is_not_taken_off_the_list_on_the_workers_word() {
    let Desk {
        _db,
        store,
        dir,
        now,
    } = Desk::new();
    let (stick, away) = stick(&dir);
    let staged = stage_receipt(&store, &stick, now);
    let target = staged.target.display().to_string();
    std::mem::forget(staged);
    fs::rename(&stick, &away).unwrap();
    delete_for_referral(&store, "AM-ABCD-EFGH", now).unwrap();
    assert_eq!(
        wiped_by_the_worker(&store, &target, now).unwrap().len(),
        1,
        "still listed"
    );
    fs::rename(&away, &stick).unwrap();
    crate::retention::purge_due(&store, now).unwrap();
    assert_eq!(names_in(&stick), Vec::<String>::new());
    assert_eq!(rows(&store), 0);
}
