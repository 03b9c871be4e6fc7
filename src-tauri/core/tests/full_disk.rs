//! Saving into a folder that cannot take the file: a real full disk (a 64 KiB tmpfs) and a real
//! read-only folder (a read-only bind mount). Nothing partial is left behind, nothing is recorded,
//! and a wrong-mailbox incident is recorded once, when the worker retries with a good folder.
//!
//! Mounting needs root, as the test command runs; run through `scripts/test.sh`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::Command;

use aanmelder_core::Coded as _;
use aanmelder_core::agreement::{Agreement, AgreementInput, Delivery};
use aanmelder_core::consent::Language;
use aanmelder_core::files;
use aanmelder_core::incident::{self, IncidentInput};
use aanmelder_core::ledger::{self, EventKind};
use aanmelder_core::outbox::{self, ItemState};
use aanmelder_core::package::SavedCopy;
use aanmelder_core::retention::RetentionSettings;

mod support;
use support::{Office, client, now};

/// A mount that is undone when the test ends, however it ends.
struct Mount(PathBuf);

impl Mount {
    fn run(args: &[&str]) {
        let out = Command::new("mount").args(args).output().expect("mount");
        assert!(
            out.status.success(),
            "mount {args:?}: {} (the test command runs as root)",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// A tmpfs of 64 KiB, filled up so the next file does not fit.
    fn full(at: &Path) -> Self {
        Self::run(&[
            "-t",
            "tmpfs",
            "-o",
            "size=64k",
            "tmpfs",
            &at.display().to_string(),
        ]);
        let mount = Self(at.to_path_buf());
        let mut filler = std::fs::File::create(at.join("vol")).unwrap();
        let block = vec![0u8; 4096];
        while std::io::Write::write_all(&mut filler, &block).is_ok() {}
        mount
    }

    /// `source` again at `at`, read-only.
    fn read_only(source: &Path, at: &Path) -> Self {
        let (source, at_text) = (source.display().to_string(), at.display().to_string());
        Self::run(&["--bind", &source, &at_text]);
        let mount = Self(at.to_path_buf());
        Self::run(&["-o", "remount,bind,ro", &at_text]);
        mount
    }
}

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn incidents(office: &Office) -> usize {
    ledger::recent(&office.store, 500)
        .unwrap()
        .iter()
        .filter(|e| e.kind == EventKind::Incident)
        .count()
}

#[test]
#[ignore = "mounts a tmpfs and a read-only folder: run as root through scripts/test.sh"]
fn a_full_or_read_only_folder_leaves_no_file_and_records_nothing() {
    let office = Office::with_smtp();
    // The worker's mail program, so the outbox writes a draft.
    for a in Agreement::list(&office.store).unwrap() {
        let input = AgreementInput {
            delivery: Delivery::MailProgram,
            ..a.to_input()
        };
        Agreement::save(&office.store, &office.gazetteer, Some(a.id), input, now()).unwrap();
    }
    RetentionSettings {
        days_after_send: 30,
        dpo_email: "dpo@opgroeien.example".into(),
    }
    .save(&office.store)
    .unwrap();
    let reference = office.consented(&client("Mirela", "Vandewalle", "2260"), Language::Nl, now());
    let packages = office.packages();
    packages.build(&reference, now()).unwrap();

    let scratch = tempfile::tempdir().unwrap();
    let full = scratch.path().join("vol");
    std::fs::create_dir(&full).unwrap();
    let _full = Mount::full(&full);
    let writable = scratch.path().join("schrijfbaar");
    let read_only = scratch.path().join("alleen-lezen");
    std::fs::create_dir(&writable).unwrap();
    std::fs::create_dir(&read_only).unwrap();
    let _read_only = Mount::read_only(&writable, &read_only);

    // The package and the receipt: a clear message, no file, no record of a copy.
    for (folder, code, shown) in [
        (&full, "file.full", "vol"),
        (&read_only, "file.read_only", "niet schrijven"),
    ] {
        let before = names(folder);
        for copy in [SavedCopy::Archive, SavedCopy::Receipt] {
            let err = packages
                .save_copy(&reference, copy, folder, now())
                .unwrap_err();
            assert_eq!(err.code(), code, "{err}");
            assert!(err.to_string().contains(shown), "{err}");
            assert_eq!(err.field(), Some("folder"));
        }
        assert_eq!(
            names(folder),
            before,
            "nothing partial in {}",
            folder.display()
        );
    }
    assert_eq!(
        files::copies(&office.store, reference.as_str()).unwrap(),
        Vec::<String>::new()
    );

    // A draft for the mail program: refused, and the item still waits for one.
    for folder in [&full, &read_only] {
        let before = names(folder);
        assert!(outbox::write_drafts(&office.store, folder, now()).is_err());
        assert_eq!(names(folder), before);
    }
    let state = |office: &Office| outbox::list(&office.store, &office.gazetteer).unwrap()[0].state;
    assert_eq!(state(&office), ItemState::Queued);
    let drafts = tempfile::tempdir().unwrap();
    assert_eq!(
        outbox::write_drafts(&office.store, drafts.path(), now())
            .unwrap()
            .len(),
        1
    );
    assert_eq!(state(&office), ItemState::Drafted);

    // The wrong mailbox: a folder that cannot take the DPO's draft records no incident, so the
    // retry with a good folder counts the breach once.
    let item = outbox::list(&office.store, &office.gazetteer).unwrap()[0].id;
    let input = IncidentInput {
        outbox_id: item,
        wrong_to: "iemand@elders.example".into(),
        noticed_on: "2026-11-22".into(),
        note: String::new(),
    };
    for folder in [&full, &read_only] {
        let before = names(folder);
        let err =
            incident::report_to_folder(&office.store, &office.gazetteer, &input, folder, now())
                .unwrap_err();
        assert_eq!(err.fields()[0].field, "folder", "{err}");
        assert_eq!(names(folder), before);
        assert_eq!(incidents(&office), 0);
    }
    let good = tempfile::tempdir().unwrap();
    let (_, path) =
        incident::report_to_folder(&office.store, &office.gazetteer, &input, good.path(), now())
            .unwrap();
    assert!(path.is_file());
    assert_eq!(incidents(&office), 1);
    assert_eq!(names(good.path()), [format!("datalek-{reference}.eml")]);
}
