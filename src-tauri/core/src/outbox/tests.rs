use std::sync::Mutex;

use super::*;
use crate::consent::Language;
use crate::package::SavedCopy;
use crate::referral::{ClientInput, Reference};
use crate::testing::{MeddlingAt, Office, at};

fn problem(kind: ProblemKind, detail: &str) -> Problem {
    Problem {
        kind,
        detail: detail.into(),
    }
}

/// A fake mail server: answers by recipient address and keeps what it accepted.
struct FakeServer {
    answers: Mutex<Vec<(String, Result<(), DeliveryError>)>>,
    accepted: Mutex<Vec<OutgoingMail>>,
}

impl FakeServer {
    fn new() -> Self {
        Self {
            answers: Mutex::new(Vec::new()),
            accepted: Mutex::new(Vec::new()),
        }
    }

    /// The next delivery to `mailbox` gets `answer` (once).
    fn answer(&self, mailbox: &str, answer: Result<(), DeliveryError>) {
        self.answers
            .lock()
            .unwrap()
            .push((mailbox.to_owned(), answer));
    }
}

impl Transport for FakeServer {
    fn deliver(&self, mail: Pending<'_>) -> Result<(), DeliveryError> {
        let mail = mail.claimed()?;
        let to = mail.to.to_string();
        let mut answers = self.answers.lock().unwrap();
        let answer = match answers.iter().position(|(m, _)| *m == to) {
            Some(i) => answers.remove(i).1,
            None => Ok(()),
        };
        if answer.is_ok() {
            self.accepted.lock().unwrap().push(mail.clone());
        }
        answer
    }
}

/// An office whose partners are all reached through the mail server.
struct SmtpOffice(Office);

impl std::ops::Deref for SmtpOffice {
    type Target = Office;
    fn deref(&self) -> &Office {
        &self.0
    }
}

impl SmtpOffice {
    fn new() -> Self {
        let office = Office::new();
        // The demo partners are reached by drafts; these tests are about the mail server.
        office
            .store
            .conn()
            .execute("UPDATE agreement SET delivery = 'smtp'", [])
            .unwrap();
        Self(office)
    }

    /// A client with consent and a built package, queued at `when`, its password passed on.
    fn queue(&self, first_name: &str, postal_code: &str, when: &str) -> Reference {
        let now = at(when);
        let input = ClientInput {
            first_name: first_name.into(),
            last_name: "Vandenberghe".into(),
            street: "Geheimstraat".into(),
            house_number: "7".into(),
            postal_code: postal_code.into(),
            phone: "0470 99 88 77".into(),
            email: "geheim@example.be".into(),
            ..Default::default()
        };
        let reference = self.consented(&input, Language::Nl, now);
        self.packages().build(&reference, now).unwrap();
        self.packages()
            .password_passed(&reference, crate::package::Channel::Phone, now)
            .unwrap();
        reference
    }

    /// A package queued at 09:00 that a crash caught while it was being sent (claimed at
    /// 09:30, then the next start): "maybe sent". Its reference and item.
    fn maybe_sent(&self) -> (Reference, i64) {
        let reference = self.queue("Zoë", "2260", "2026-11-23T09:00:00+01:00");
        let id = self.state(&reference).id;
        claim(
            &self.store,
            id,
            at("2026-11-23T09:30:00+01:00"),
            at("2026-11-23T09:30:00+01:00"),
        )
        .unwrap();
        recover(&self.store).unwrap();
        (reference, id)
    }

    /// The OCMW calls: the house number of [`Self::maybe_sent`]'s client is wrong. The worker
    /// corrects it at `when`.
    fn correct_house_number(&self, reference: &Reference, when: DateTime<FixedOffset>) {
        let corrected = crate::correction::CorrectionInput {
            reference: reference.clone(),
            client: ClientInput {
                first_name: "Zoë".into(),
                last_name: "Vandenberghe".into(),
                street: "Geheimstraat".into(),
                house_number: "9".into(),
                postal_code: "2260".into(),
                phone: "0470 99 88 77".into(),
                email: "geheim@example.be".into(),
                ..Default::default()
            },
            reason: "OCMW meldt: huisnummer klopt niet".into(),
        };
        crate::correction::correct(&self.store, &self.gazetteer, &corrected, when).unwrap();
    }

    /// One sync through `server` at `when` in which `meddle` runs before the sync's `step`th
    /// use of the store.
    fn sync_meddled(
        &self,
        server: &FakeServer,
        step: usize,
        meddle: &dyn Fn(),
        when: &str,
    ) -> SyncReport {
        let access = MeddlingAt::new(&self.store, step, meddle);
        sync(&access, server, || at(when), false, |_, _| {}).unwrap()
    }

    /// One sync through `server` at `when`, with no one watching its progress.
    fn sync_at(&self, server: &FakeServer, when: &str) -> SyncReport {
        sync(&self.store, server, || at(when), false, |_, _| {}).unwrap()
    }

    fn state(&self, reference: &Reference) -> OutboxItem {
        list(&self.store, &self.gazetteer)
            .unwrap()
            .into_iter()
            .find(|i| i.reference == reference.as_str())
            .unwrap()
    }
}

/// The mail as a person reads it: soft line breaks joined, `=XX` escapes decoded.
fn quoted_printable_decoded(bytes: &[u8]) -> String {
    let joined = String::from_utf8_lossy(bytes).replace("=\r\n", "");
    let raw = joined.as_bytes();
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        let hex = raw
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok());
        match (raw[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'=', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

const WESTERLO: &str = "aanmelding@ocmw-westerlo.example";

#[test]
fn sync_delivers_every_queued_package_reports_progress_and_keeps_the_archive_until_received() {
    let office = SmtpOffice::new();
    let a = office.queue("Zoë", "2260", "2026-11-23T09:00:00+01:00");
    let b = office.queue("Ayşe", "3290", "2026-11-23T09:05:00+01:00");
    let server = FakeServer::new();
    let mut steps = Vec::new();
    let now = || at("2026-11-23T17:00:00+01:00");
    let report = sync(&office.store, &server, now, false, |done, total| {
        steps.push((done, total))
    })
    .unwrap();
    assert_eq!(
        report,
        SyncReport {
            sent: 2,
            failed: 0,
            attention: 0,
            unanswered: 0,
            stopped: None,
            stopped_by: None
        }
    );
    assert_eq!(steps, [(1, 2), (2, 2)]);
    for reference in [&a, &b] {
        let item = office.state(reference);
        assert_eq!(item.state, ItemState::Sent);
        assert_eq!(item.attempts, 1);
        assert!(item.received_at.is_none());
        // Sent is not received: the archive stays for a resend after a bounce.
        assert!(office.packages().archive(reference).is_ok());
        confirm_received(&office.store, item.id, ReceivedHow::Worker, now()).unwrap();
        assert!(office.state(reference).received_at.is_some());
        assert_eq!(
            office.packages().archive(reference).unwrap_err().code(),
            "package.already_deleted"
        );
    }
    // Nothing left to do: a second sync sends nothing twice.
    let again = sync(&office.store, &server, now, false, |_, _| {}).unwrap();
    assert_eq!(again, SyncReport::default());
    assert_eq!(server.accepted.lock().unwrap().len(), 2);
}

#[test]
fn the_mail_names_no_client_only_the_reference_and_whom_to_call() {
    let office = SmtpOffice::new();
    let reference = office.queue("Zoë", "2260", "2026-11-23T09:00:00+01:00");
    let server = FakeServer::new();
    office.sync_at(&server, "2026-11-23T10:00:00+01:00");
    let mail = server.accepted.lock().unwrap()[0].clone();
    assert_eq!(mail.to.to_string(), WESTERLO);
    let text = quoted_printable_decoded(&mail.bytes);
    let headers_and_body = text
        .split("Content-Type: application/x-7z-compressed")
        .next()
        .unwrap();
    assert!(headers_and_body.contains(&format!("Subject: Aanmelding {reference}")));
    assert!(headers_and_body.contains("An Peeters") && headers_and_body.contains("014 12 34 56"));
    assert!(headers_and_body.contains("per telefoon"));
    let raw = String::from_utf8_lossy(&mail.bytes);
    assert!(!raw.contains("Zo=C3=AB"));
    for secret in [
        "Zoë",
        "Vandenberghe",
        "Geheimstraat",
        "geheim@example.be",
        "+32470998877",
        "0470 99 88 77",
    ] {
        assert!(!text.contains(secret), "{secret} in the mail");
    }
    assert!(text.contains(&format!("filename=\"aanmelding-{reference}.7z\"")));
    assert!(text.contains(&format!("Message-ID: <{reference}.")));
}

#[test]
fn a_temporary_refusal_is_retried_later_with_the_same_message_id() {
    let office = SmtpOffice::new();
    let reference = office.queue("Zoë", "2260", "2026-11-23T09:00:00+01:00");
    let server = FakeServer::new();
    server.answer(
        WESTERLO,
        Err(DeliveryError::Transient(problem(
            ProblemKind::TryLater,
            "451 4.3.0 probeer later",
        ))),
    );
    let report = office.sync_at(&server, "2026-11-23T10:00:00+01:00");
    assert_eq!(report.failed, 1);
    let item = office.state(&reference);
    assert_eq!(item.state, ItemState::Failed);
    assert!(
        item.last_error
            .as_deref()
            .unwrap_or_default()
            .contains("tijdelijk probleem"),
        "{item:?}"
    );
    assert_eq!(
        item.problem_detail.as_deref(),
        Some("451 4.3.0 probeer later")
    );
    assert_eq!(item.next_attempt_at, "2026-11-23T10:01:00+01:00");
    // Not due yet half a minute later; due after the back-off.
    let early = office.sync_at(&server, "2026-11-23T10:00:30+01:00");
    assert_eq!(early, SyncReport::default());
    server.answer(
        WESTERLO,
        Err(DeliveryError::Transient(problem(
            ProblemKind::TryLater,
            "451 nog eens",
        ))),
    );
    office.sync_at(&server, "2026-11-23T10:01:00+01:00");
    assert_eq!(
        office.state(&reference).next_attempt_at,
        "2026-11-23T10:03:00+01:00",
        "doubles"
    );
    let report = office.sync_at(&server, "2026-11-23T10:03:00+01:00");
    assert_eq!(report.sent, 1);
    assert_eq!(office.state(&reference).attempts, 3);
}

#[test]
fn a_permanent_refusal_needs_attention_and_does_not_block_the_next_item() {
    let office = SmtpOffice::new();
    let bad = office.queue("Zoë", "2260", "2026-11-23T09:00:00+01:00");
    let good = office.queue("Ayşe", "3290", "2026-11-23T09:05:00+01:00");
    let server = FakeServer::new();
    server.answer(
        WESTERLO,
        Err(DeliveryError::Permanent(problem(
            ProblemKind::MailboxUnknown,
            "550 5.1.1 mailbox onbekend",
        ))),
    );
    let report = office.sync_at(&server, "2026-11-23T10:00:00+01:00");
    assert_eq!(
        report,
        SyncReport {
            sent: 1,
            failed: 0,
            attention: 1,
            unanswered: 0,
            stopped: None,
            stopped_by: None
        }
    );
    assert_eq!(office.state(&bad).state, ItemState::Attention);
    let refused = office.state(&bad);
    assert!(
        refused
            .last_error
            .as_deref()
            .unwrap_or_default()
            .contains("bestaat niet"),
        "{refused:?}"
    );
    assert_eq!(refused.problem, Some(ProblemKind::MailboxUnknown));
    assert_eq!(
        refused.problem_detail.as_deref(),
        Some("550 5.1.1 mailbox onbekend")
    );
    assert_eq!(office.state(&good).state, ItemState::Sent);

    // The worker fixed the address and resends: the item waits like a new one, and nothing
    // (neither the outbox nor the referral list) still says the send failed.
    confirm_resend(&office.store, refused.id, at("2026-11-23T10:30:00+01:00")).unwrap();
    let waiting = office.state(&bad);
    assert_eq!(waiting.state, ItemState::Queued);
    assert_eq!(
        (waiting.problem, waiting.last_error, waiting.problem_detail),
        (None, None, None)
    );
    let facts = item(&office.store, refused.id).unwrap().unwrap();
    assert_eq!(facts.problem, None);
}

#[test]
fn a_dropped_connection_leaves_the_item_queued() {
    let office = SmtpOffice::new();
    let reference = office.queue("Zoë", "2260", "2026-11-23T09:00:00+01:00");
    let server = FakeServer::new();
    server.answer(
        WESTERLO,
        Err(DeliveryError::Interrupted(problem(
            ProblemKind::Dropped,
            "verbinding verbroken",
        ))),
    );
    office.sync_at(&server, "2026-11-23T10:00:00+01:00");
    let item = office.state(&reference);
    assert_eq!(item.state, ItemState::Queued);
    assert!(office.packages().archive(&reference).is_ok());
    // The referral list does not call it "ready to send" as if nothing happened.
    let listed = |office: &SmtpOffice| {
        office
            .packages()
            .referrals()
            .unwrap()
            .into_iter()
            .find(|r| r.referral.reference == reference)
            .unwrap()
    };
    assert_eq!(listed(&office).stage, crate::package::Stage::Failed);
    // Once it goes, it is sent, and the failure is history.
    office.sync_at(&server, "2026-11-23T12:00:00+01:00");
    assert_eq!(listed(&office).stage, crate::package::Stage::Sent);
}

#[test]
fn a_mail_that_went_out_whole_without_an_answer_is_maybe_sent_and_stops_the_sync() {
    let office = SmtpOffice::new();
    let silent = office.queue("Zoë", "2260", "2026-11-23T09:00:00+01:00");
    let next = office.queue("Ayşe", "3290", "2026-11-23T09:05:00+01:00");
    let server = FakeServer::new();
    server.answer(
        WESTERLO,
        Err(DeliveryError::Unanswered(problem(
            ProblemKind::Unanswered,
            "timed out",
        ))),
    );
    let report = office.sync_at(&server, "2026-11-23T10:00:00+01:00");
    assert_eq!((report.unanswered, report.sent, report.failed), (1, 0, 0));
    assert_eq!(report.stopped_by, Some(ProblemKind::Unanswered));
    let item = office.state(&silent);
    assert_eq!(item.state, ItemState::MaybeSent);
    assert!(item.last_error.unwrap().contains("Kwam aan"));
    assert!(office.packages().archive(&silent).is_ok());
    // The next mail waits: a server that fell silent would leave it in doubt too.
    assert_eq!(office.state(&next).state, ItemState::Queued);
    assert_eq!(office.state(&next).attempts, 0);
    // Never resent by itself, not even when the worker presses "Nu verzenden".
    let report = sync(
        &office.store,
        &server,
        || at("2026-11-23T11:00:00+01:00"),
        true,
        |_, _| {},
    )
    .unwrap();
    assert_eq!(report.sent, 1);
    assert_eq!(office.state(&silent).state, ItemState::MaybeSent);
    assert_eq!(office.state(&silent).attempts, 1);
}

#[test]
fn an_item_caught_by_a_crash_is_only_resent_after_the_worker_confirms() {
    let office = SmtpOffice::new();
    let reference = office.queue("Zoë", "2260", "2026-11-23T09:00:00+01:00");
    let id = office.state(&reference).id;
    // The app dies after marking the item `sending`, before the server's answer is recorded.
    claim(
        &office.store,
        id,
        at("2026-11-23T09:30:00+01:00"),
        at("2026-11-23T09:30:00+01:00"),
    )
    .unwrap();
    assert_eq!(office.state(&reference).state, ItemState::Sending);
    assert_eq!(recover(&office.store).unwrap(), 1);
    assert_eq!(office.state(&reference).state, ItemState::MaybeSent);
    let server = FakeServer::new();
    let report = office.sync_at(&server, "2026-11-23T10:00:00+01:00");
    assert_eq!(report, SyncReport::default(), "no silent duplicate");
    assert!(server.accepted.lock().unwrap().is_empty());
    confirm_resend(&office.store, id, at("2026-11-23T10:05:00+01:00")).unwrap();
    let report = office.sync_at(&server, "2026-11-23T10:05:00+01:00");
    assert_eq!(report.sent, 1);

    // The other answer: the OCMW did receive it.
    let other = office.queue("Ayşe", "3290", "2026-11-23T09:05:00+01:00");
    let other_id = office.state(&other).id;
    claim(
        &office.store,
        other_id,
        at("2026-11-23T09:30:00+01:00"),
        at("2026-11-23T09:30:00+01:00"),
    )
    .unwrap();
    recover(&office.store).unwrap();
    confirm_delivered(&office.store, other_id, at("2026-11-23T11:00:00+01:00")).unwrap();
    assert_eq!(office.state(&other).state, ItemState::Sent);
}

#[test]
fn the_home_screen_counts_waiting_items_and_nags_after_two_working_days() {
    let office = SmtpOffice::new();
    // Queued on a Friday.
    office.queue("Zoë", "2260", "2026-11-20T16:00:00+01:00");
    office.queue("Ayşe", "3290", "2026-11-23T09:00:00+01:00");
    let monday = summary(&office.store, at("2026-11-23T12:00:00+01:00")).unwrap();
    assert_eq!(monday.waiting, 2);
    assert_eq!(
        monday.oldest_queued_at.as_deref(),
        Some("2026-11-20T16:00:00+01:00")
    );
    assert!(!monday.overdue, "the weekend does not count");
    let tuesday = summary(&office.store, at("2026-11-24T12:00:00+01:00")).unwrap();
    assert!(!tuesday.overdue);
    let wednesday = summary(&office.store, at("2026-11-25T12:00:00+01:00")).unwrap();
    assert!(wednesday.overdue);
}

#[test]
fn working_days_skip_weekends() {
    let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
    assert_eq!(working_days_between(d("2026-11-20"), d("2026-11-23")), 1);
    assert_eq!(working_days_between(d("2026-11-23"), d("2026-11-23")), 0);
    assert_eq!(working_days_between(d("2026-11-16"), d("2026-11-23")), 5);
}

#[test]
fn mail_program_partners_get_a_draft_and_are_sent_when_the_worker_confirms() {
    let office = SmtpOffice::new();
    office
        .store
        .conn()
        .execute(
            "UPDATE agreement SET delivery = 'mail_program' WHERE recipient = 'ocmw:13049'",
            [],
        )
        .unwrap();
    let drafted = office.queue("Zoë", "2260", "2026-11-23T09:00:00+01:00");
    let smtp = office.queue("Ayşe", "3290", "2026-11-23T09:05:00+01:00");
    let server = FakeServer::new();
    let now = || at("2026-11-23T10:00:00+01:00");
    let report = sync(&office.store, &server, now, false, |_, _| {}).unwrap();
    assert_eq!(
        report.sent, 1,
        "only the mail-server partner goes through the server"
    );
    assert_eq!(office.state(&drafted).state, ItemState::Queued);
    assert_eq!(office.state(&smtp).state, ItemState::Sent);

    let folder = tempfile::tempdir().unwrap();
    let written = write_drafts(&office.store, folder.path(), now()).unwrap();
    assert_eq!(written.len(), 1);
    assert_eq!(
        written[0].file_name().unwrap().to_string_lossy(),
        format!("aanmelding-{drafted}.eml")
    );
    let eml = std::fs::read(&written[0]).unwrap();
    assert!(eml.starts_with(b"X-Unsent: 1\r\n"));
    let text = quoted_printable_decoded(&eml);
    assert!(text.contains(&format!("To: {WESTERLO}")));
    assert!(text.contains(&format!("filename=\"aanmelding-{drafted}.7z\"")));
    for secret in ["Zoë", "Vandenberghe", "Geheimstraat", "geheim@example.be"] {
        assert!(!text.contains(secret), "{secret} in the draft");
    }
    let item = office.state(&drafted);
    assert_eq!(item.state, ItemState::Drafted);
    // Writing drafts again does not make a second one.
    assert!(
        write_drafts(&office.store, folder.path(), now())
            .unwrap()
            .is_empty()
    );
    confirm_delivered(&office.store, item.id, now()).unwrap();
    assert_eq!(office.state(&drafted).state, ItemState::Sent);
    // Sent by the worker's mail program, kept until the OCMW confirms, as any other.
    assert!(office.packages().archive(&drafted).is_ok());
}

/// Ends the protocol with every partner on `until`, as a supervisor would in the register.
fn end_protocols(office: &Office, until: &str) {
    office
        .store
        .conn()
        .execute("UPDATE agreement SET protocol_until = ?1", [until])
        .unwrap();
}

#[test]
fn a_package_queued_under_a_protocol_is_not_sent_once_it_has_ended() {
    let office = SmtpOffice::new();
    let reference = office.queue("Zoë", "2260", "2026-06-29T09:00:00+02:00");
    end_protocols(&office, "2026-06-30");
    let server = FakeServer::new();
    let report = office.sync_at(&server, "2026-07-01T09:00:00+02:00");
    assert_eq!(report.attention, 1);
    assert!(
        server.accepted.lock().unwrap().is_empty(),
        "nothing reached the server"
    );
    let item = office.state(&reference);
    assert_eq!(item.state, ItemState::Attention);
    assert_eq!(
        item.last_error.as_deref(),
        Some(
            "Het protocol met OCMW Westerlo (demo) liep af op 30/06/2026. Je mag geen gegevens \
             meer doorgeven. Neem contact op met de leidinggevende van je team."
        )
    );
    // Still in force on its last day: a package queued then goes.
    let other = office.queue("Ayşe", "2260", "2026-06-30T09:00:00+02:00");
    let report = office.sync_at(&server, "2026-06-30T18:00:00+02:00");
    assert_eq!(report.sent, 1);
    assert_eq!(office.state(&other).state, ItemState::Sent);
}

#[test]
fn a_protocol_that_ends_while_the_mail_is_prepared_stops_it_at_the_claim() {
    let office = SmtpOffice::new();
    let reference = office.queue("Zoë", "2260", "2026-06-29T09:00:00+02:00");
    let server = FakeServer::new();
    // Steps: what is due, the mail prepared (the protocol still in force), then its claim.
    let end = || end_protocols(&office, "2026-06-30");
    let report = office.sync_meddled(&server, 3, &end, "2026-07-01T09:00:00+02:00");
    assert_eq!((report.sent, report.attention), (0, 1));
    assert!(server.accepted.lock().unwrap().is_empty());
    let item = office.state(&reference);
    assert_eq!(item.state, ItemState::Attention);
    assert_eq!(item.attempts, 0, "never claimed, never tried");
    assert!(item.last_error.unwrap().contains("liep af op 30/06/2026"));
}

#[test]
fn a_withdrawal_notice_goes_even_after_the_protocol_ended() {
    let office = SmtpOffice::new();
    let reference = office.queue("Zoë", "2260", "2026-06-29T09:00:00+02:00");
    let server = FakeServer::new();
    office.sync_at(&server, "2026-06-29T10:00:00+02:00");
    end_protocols(&office, "2026-06-30");
    office.withdraw(&reference, at("2026-07-02T09:00:00+02:00"));
    let report = office.sync_at(&server, "2026-07-02T09:05:00+02:00");
    assert_eq!(report.sent, 1, "the OCMW must hear of the withdrawal");
    assert_eq!(server.accepted.lock().unwrap().len(), 2);
}

#[test]
fn a_copy_of_the_package_is_refused_once_its_protocol_ended_and_the_notice_still_given() {
    let office = SmtpOffice::new();
    let reference = office.queue("Zoë", "2260", "2026-06-29T09:00:00+02:00");
    office.sync_at(&FakeServer::new(), "2026-06-29T10:00:00+02:00");
    let folder = tempfile::tempdir().unwrap();
    let save = |when: &str| {
        office
            .packages()
            .save_copy(&reference, SavedCopy::Archive, folder.path(), at(when))
    };
    end_protocols(&office, "2026-06-30");
    // On its last day the protocol is still in force.
    assert!(save("2026-06-30T17:00:00+02:00").is_ok());
    let refused = save("2026-07-01T09:00:00+02:00").unwrap_err();
    assert_eq!(
        refused.to_string(),
        "Het protocol met OCMW Westerlo (demo) liep af op 30/06/2026. Je mag geen gegevens meer \
         doorgeven. Neem contact op met de leidinggevende van je team."
    );
    assert_eq!(
        std::fs::read_dir(folder.path()).unwrap().count(),
        1,
        "nothing more saved"
    );
    // The withdrawal notice, the package now, may go: the OCMW must delete what it has.
    office.withdraw(&reference, at("2026-07-02T09:00:00+02:00"));
    assert!(save("2026-07-02T09:05:00+02:00").is_ok());
}

/// Whether the store still holds the archive of item `id`'s package.
fn archive_kept(office: &Office, id: i64) -> bool {
    let package = item(&office.store, id).unwrap().unwrap().package_id;
    sealed::attachment(office.store.conn(), package)
        .unwrap()
        .is_some_and(|(_, file)| file.archive.is_some())
}

/// An office whose partners are reached by drafts (the demo's), with a client's consent given
/// at `when`.
fn drafting_office(when: &str) -> (Office, Reference) {
    let office = Office::new();
    let reference = office.consented(
        &ClientInput {
            first_name: "Zoë".into(),
            last_name: "Vandenberghe".into(),
            street: "Geheimstraat".into(),
            house_number: "7".into(),
            postal_code: "2260".into(),
            ..Default::default()
        },
        Language::Nl,
        at(when),
    );
    (office, reference)
}

#[test]
fn the_draft_of_a_package_a_correction_replaced_goes_from_the_folder() {
    let (office, reference) = drafting_office("2026-11-23T09:00:00+01:00");
    // Still a partner reached by mail program: only the helpers are borrowed.
    let office = SmtpOffice(office);
    let folder = tempfile::tempdir().unwrap();
    let old = write_drafts(
        &office.store,
        folder.path(),
        at("2026-11-23T09:30:00+01:00"),
    )
    .unwrap();
    assert_eq!(old.len(), 1);
    office.correct_house_number(&reference, at("2026-11-23T10:00:00+01:00"));
    assert!(!old[0].exists(), "the draft with the old data is gone");
    // The correction's draft is written and stays; the worker may still say the old one went.
    let new = write_drafts(
        &office.store,
        folder.path(),
        at("2026-11-23T10:05:00+01:00"),
    )
    .unwrap();
    assert_eq!(new.len(), 1);
    assert!(new[0].exists());
    let replaced = list(&office.store, &office.gazetteer)
        .unwrap()
        .into_iter()
        .find(|i| i.kind == PackageKind::Referral)
        .unwrap();
    assert_eq!(replaced.state, ItemState::Drafted);
    confirm_delivered(&office.store, replaced.id, at("2026-11-23T10:10:00+01:00")).unwrap();
    assert!(new[0].exists());
}

/// What one sync at `when` sends, by kind, in order.
fn what_goes(office: &SmtpOffice, when: &str) -> Vec<PackageKind> {
    let server = FakeServer::new();
    office.sync_at(&server, when);
    accepted_kinds(office, &server)
}

/// Item `id` never goes again, for `why`: "Opnieuw verzenden" at the first of `times` is refused
/// with that reason, and a sync at the second sends only the package of kind `instead`.
fn never_goes_again(
    office: &SmtpOffice,
    id: i64,
    why: NeverAgain,
    times: (&str, &str),
    instead: PackageKind,
) {
    let refused = confirm_resend(&office.store, id, at(times.0));
    match why {
        NeverAgain::Withdrawn => assert!(matches!(refused, Err(OutboxError::Withdrawn))),
        NeverAgain::Corrected => assert!(matches!(refused, Err(OutboxError::Corrected))),
    }
    assert_eq!(what_goes(office, times.1), [instead]);
}

/// Where item `id` stands.
fn state_of(office: &Office, id: i64) -> ItemState {
    item(&office.store, id).unwrap().unwrap().state
}

/// The partner's server sends item `id` back at `when` (550, found in the worker's mailbox);
/// where the item stands then.
fn bounced_back(office: &Office, id: i64, when: &str) -> ItemState {
    let bounce = Bounce {
        reason: "550 5.1.1 mailbox unknown".into(),
        seen: MailboxPlace {
            validity: 1,
            uid: 9,
            arrived: None,
        },
    };
    bounced(&office.store, id, &bounce, at(when)).unwrap();
    state_of(office, id)
}

/// The kinds of the packages the server accepted, in order.
fn accepted_kinds(office: &Office, server: &FakeServer) -> Vec<PackageKind> {
    let accepted = server.accepted.lock().unwrap();
    let items = list(&office.store, &office.gazetteer).unwrap();
    accepted
        .iter()
        .map(|mail| {
            let text = String::from_utf8_lossy(&mail.bytes);
            items
                .iter()
                .find(|i| text.contains(&i.message_id))
                .unwrap()
                .kind
        })
        .collect()
}

#[test]
fn a_package_maybe_sent_before_a_withdrawal_is_never_sent_again() {
    let office = SmtpOffice::new();
    let (reference, id) = office.maybe_sent();
    office.withdraw(&reference, at("2026-11-23T11:00:00+01:00"));
    // It may be with the OCMW, so it stays "maybe sent" and the OCMW is told; its archive went
    // with the client's data.
    let item = office.state(&reference);
    assert_eq!(
        (item.state, item.never_again),
        (ItemState::MaybeSent, Some(NeverAgain::Withdrawn))
    );
    assert!(!archive_kept(&office, id));
    never_goes_again(
        &office,
        id,
        NeverAgain::Withdrawn,
        ("2026-11-23T11:05:00+01:00", "2026-11-23T11:10:00+01:00"),
        PackageKind::Withdrawal,
    );
    assert_eq!(office.state(&reference).state, ItemState::MaybeSent);
}

#[test]
fn a_package_corrected_since_is_never_sent_again() {
    let office = SmtpOffice::new();
    let (reference, id) = office.maybe_sent();
    office.correct_house_number(&reference, at("2026-11-23T10:00:00+01:00"));
    let never_again = |office: &SmtpOffice| -> Vec<(PackageKind, Option<NeverAgain>)> {
        list(&office.store, &office.gazetteer)
            .unwrap()
            .into_iter()
            .map(|i| (i.kind, i.never_again))
            .collect()
    };
    assert_eq!(
        never_again(&office),
        [
            (PackageKind::Referral, Some(NeverAgain::Corrected)),
            (PackageKind::Correction, None)
        ]
    );
    // The old data do not go again, by the worker's hand or by a sync.
    never_goes_again(
        &office,
        id,
        NeverAgain::Corrected,
        ("2026-11-23T10:05:00+01:00", "2026-11-23T10:10:00+01:00"),
        PackageKind::Correction,
    );
    // The old package comes back after all: taken out, not offered for a resend.
    assert_eq!(
        bounced_back(&office, id, "2026-11-23T11:00:00+01:00"),
        ItemState::Cancelled
    );
}

#[test]
fn a_withdrawal_while_the_package_is_being_sent_keeps_it_from_going_again() {
    let office = SmtpOffice::new();
    let reference = office.queue("Zoë", "2260", "2026-11-23T09:00:00+01:00");
    let id = office.state(&reference).id;
    let server = FakeServer::new();
    server.answer(
        WESTERLO,
        Err(DeliveryError::Interrupted(problem(
            ProblemKind::Dropped,
            "verbinding verbroken",
        ))),
    );
    // Steps: what is due, the mail prepared, its claim; the connection drops; the client's
    // withdrawal is recorded before the attempt's outcome.
    let withdrawn = || {
        office.withdraw(&reference, at("2026-11-23T10:00:00+01:00"));
    };
    let report = office.sync_meddled(&server, 4, &withdrawn, "2026-11-23T10:00:00+01:00");
    assert_eq!((report.sent, report.failed), (0, 0));
    // Not back in the queue: taken out, its archive gone.
    assert_eq!(state_of(&office, id), ItemState::Cancelled);
    assert!(!archive_kept(&office, id));
    // What goes next is the withdrawal only (the OCMW may have had part of the mail).
    let report = office.sync_at(&server, "2026-11-23T12:00:00+01:00");
    assert_eq!(report.sent, 1);
    assert_eq!(accepted_kinds(&office, &server), [PackageKind::Withdrawal]);
}

#[test]
fn a_package_that_bounces_after_a_withdrawal_is_taken_out() {
    let office = SmtpOffice::new();
    let reference = office.queue("Zoë", "2260", "2026-11-23T09:00:00+01:00");
    let id = office.state(&reference).id;
    let server = FakeServer::new();
    office.sync_at(&server, "2026-11-23T09:30:00+01:00");
    office.withdraw(&reference, at("2026-11-23T11:00:00+01:00"));
    assert_eq!(
        bounced_back(&office, id, "2026-11-23T12:00:00+01:00"),
        ItemState::Cancelled
    );
    assert!(matches!(
        confirm_resend(&office.store, id, at("2026-11-23T12:05:00+01:00")),
        Err(OutboxError::Withdrawn)
    ));
}

#[test]
fn consent_is_checked_again_at_the_send() {
    // A referral marked withdrawn behind the outbox's back (the withdrawal's own clean-up
    // skipped): the check at the send alone keeps its package from going, by mail or draft.
    let office = SmtpOffice::new();
    let reference = office.queue("Zoë", "2260", "2026-11-23T09:00:00+01:00");
    let id = office.state(&reference).id;
    office
        .store
        .conn()
        .execute("UPDATE referral SET withdrawn_on = '2026-11-23'", [])
        .unwrap();
    let server = FakeServer::new();
    let report = office.sync_at(&server, "2026-11-23T10:00:00+01:00");
    assert_eq!(report, SyncReport::default());
    assert!(server.accepted.lock().unwrap().is_empty());
    assert_eq!(office.state(&reference).state, ItemState::Cancelled);
    assert!(!archive_kept(&office, id));

    let (drafts, _) = drafting_office("2026-11-23T09:00:00+01:00");
    drafts
        .store
        .conn()
        .execute("UPDATE referral SET withdrawn_on = '2026-11-23'", [])
        .unwrap();
    let folder = tempfile::tempdir().unwrap();
    let written = write_drafts(
        &drafts.store,
        folder.path(),
        at("2026-11-23T10:00:00+01:00"),
    );
    assert!(written.unwrap().is_empty());
    assert_eq!(std::fs::read_dir(folder.path()).unwrap().count(), 0);
}

#[test]
fn a_draft_left_unrecorded_by_a_crash_is_taken_as_the_draft_not_written_twice() {
    let office = Office::new();
    let reference = office.consented(
        &crate::testing::mira(),
        Language::Nl,
        at("2026-11-23T09:00:00+01:00"),
    );
    let folder = tempfile::tempdir().unwrap();
    let when = at("2026-11-23T10:00:00+01:00");
    // What a crash between naming the draft and recording it leaves: the file, the item waiting.
    let written = write_drafts(&office.store, folder.path(), when).unwrap();
    let conn = office.store.conn();
    conn.execute("UPDATE outbox SET state = 'queued'", [])
        .unwrap();
    conn.execute("DELETE FROM saved_file", []).unwrap();
    let again = write_drafts(&office.store, folder.path(), when).unwrap();
    assert_eq!(again, written);
    assert_eq!(std::fs::read_dir(folder.path()).unwrap().count(), 1);
    let item = list(&office.store, &office.gazetteer)
        .unwrap()
        .into_iter()
        .find(|i| i.reference == reference.as_str())
        .unwrap();
    assert_eq!(item.state, ItemState::Drafted);
    assert_eq!(
        draft_of(&office.store, item.id).unwrap().as_ref(),
        written.first()
    );
    // A file of that name that is not this mail is left alone, and the draft gets a name of its own.
    std::fs::write(&written[0], "iets anders").unwrap();
    conn.execute("UPDATE outbox SET state = 'queued'", [])
        .unwrap();
    let third = write_drafts(&office.store, folder.path(), when).unwrap();
    assert_eq!(third.len(), 1);
    assert_ne!(third, written);
    assert_eq!(std::fs::read_to_string(&written[0]).unwrap(), "iets anders");
    // A crash again, after that numbered draft was named: it is found under its number.
    conn.execute("UPDATE outbox SET state = 'queued'", [])
        .unwrap();
    conn.execute("DELETE FROM saved_file", []).unwrap();
    let fourth = write_drafts(&office.store, folder.path(), when).unwrap();
    assert_eq!(fourth, third);
    assert_eq!(std::fs::read_dir(folder.path()).unwrap().count(), 2);
}

#[test]
fn a_draft_is_not_written_once_the_protocol_has_ended() {
    let (office, reference) = drafting_office("2026-06-29T09:00:00+02:00");
    end_protocols(&office, "2026-06-30");
    let folder = tempfile::tempdir().unwrap();
    let written = write_drafts(
        &office.store,
        folder.path(),
        at("2026-07-01T09:00:00+02:00"),
    )
    .unwrap();
    assert!(written.is_empty());
    assert_eq!(std::fs::read_dir(folder.path()).unwrap().count(), 0);
    let item = list(&office.store, &office.gazetteer)
        .unwrap()
        .into_iter()
        .find(|i| i.reference == reference.as_str())
        .unwrap();
    assert_eq!(item.state, ItemState::Attention);
    assert!(item.last_error.unwrap().contains("liep af op 30/06/2026"));
}

#[test]
fn an_item_another_process_claimed_is_not_claimed_again() {
    let office = SmtpOffice::new();
    let reference = office.queue("Zoë", "2260", "2026-11-23T09:00:00+01:00");
    let id = office.state(&reference).id;
    let when = at("2026-11-23T09:30:00+01:00");
    claim(&office.store, id, when, when).unwrap();
    assert!(matches!(
        claim(&office.store, id, when, when),
        Err(OutboxError::NotWaiting)
    ));
    assert_eq!(office.state(&reference).attempts, 1);
}

#[test]
fn the_state_rules_name_the_states_the_queries_meant() {
    assert_eq!(
        ItemState::sql_list(ItemState::may_have_left),
        "('sent', 'maybe_sent', 'drafted')"
    );
    assert_eq!(
        ItemState::sql_list(ItemState::unsettled),
        "('queued', 'sending', 'failed', 'attention', 'maybe_sent', 'drafted')"
    );
    assert_eq!(
        ItemState::sql_list(ItemState::never_left),
        "('queued', 'failed', 'attention')"
    );
    assert_eq!(
        ItemState::sql_list(ItemState::stuck),
        "('failed', 'attention', 'maybe_sent', 'drafted')"
    );
    assert_eq!(
        ItemState::sql_list(ItemState::stuck_unsent),
        "('failed', 'attention')"
    );
    assert_eq!(
        ItemState::sql_list(ItemState::stuck_maybe_there),
        "('maybe_sent', 'drafted')"
    );
    assert_eq!(
        ItemState::sql_list(ItemState::in_flight),
        "('queued', 'sending')"
    );
    assert_eq!(
        ItemState::sql_list(ItemState::may_be_there),
        "('sending', 'sent', 'maybe_sent', 'drafted')"
    );
    assert_eq!(
        ItemState::sql_list(ItemState::awaits_receipt),
        "('sent', 'maybe_sent')"
    );
}

/// The drafting office's referral item, as the outbox lists it.
fn referral_item(office: &Office) -> OutboxItem {
    list(&office.store, &office.gazetteer)
        .unwrap()
        .into_iter()
        .find(|i| i.kind == PackageKind::Referral)
        .unwrap()
}

#[test]
fn saved_copies_of_a_package_go_once_the_partner_has_it_and_the_password() {
    let (office, reference) = drafting_office("2026-11-23T09:00:00+01:00");
    let folder = tempfile::tempdir().unwrap();
    let when = at("2026-11-23T10:00:00+01:00");
    let draft = write_drafts(&office.store, folder.path(), when).unwrap();
    let copy = |what| {
        office
            .packages()
            .save_copy(&reference, what, folder.path(), when)
            .unwrap()
    };
    let (archive, receipt) = (copy(SavedCopy::Archive), copy(SavedCopy::Receipt));
    let id = referral_item(&office).id;
    assert_eq!(draft_of(&office.store, id).unwrap().as_ref(), draft.first());
    confirm_delivered(&office.store, id, when).unwrap();
    confirm_received(&office.store, id, ReceivedHow::Worker, when).unwrap();
    // The partner has the mail but cannot open it before the worker reads the password out.
    assert!(draft[0].exists() && archive.exists());
    office
        .packages()
        .password_passed(&reference, crate::package::Channel::Phone, when)
        .unwrap();
    assert!(!draft[0].exists(), "the draft went with the archive");
    assert!(!archive.exists(), "the worker's copy of the archive too");
    assert!(
        receipt.exists(),
        "the client's receipt stays until the purge"
    );
    assert!(files::not_deleted(&office.store).unwrap().is_empty());
}

#[test]
fn a_withdrawal_that_fails_half_way_deletes_no_copy() {
    let office = SmtpOffice::new();
    let (reference, id) = office.maybe_sent();
    let folder = tempfile::tempdir().unwrap();
    let when = at("2026-11-23T11:00:00+01:00");
    let copy = office
        .packages()
        .save_copy(&reference, SavedCopy::Archive, folder.path(), when)
        .unwrap();
    // The notice cannot be made (the worker's profile lost its phone): the withdrawal, which
    // had already taken the archive out, rolls back, and the copy is still there with it.
    let conn = office.store.conn();
    conn.execute("UPDATE worker_profile SET phone = ''", [])
        .unwrap();
    let said = crate::withdrawal::WithdrawalInput {
        reference: reference.clone(),
        said_on: "2026-11-23".into(),
        how: crate::withdrawal::How::Phone,
    };
    assert!(crate::withdrawal::withdraw(&office.store, &office.gazetteer, &said, when).is_err());
    assert!(archive_kept(&office, id));
    delete_copies_no_longer_needed(&office.store, when);
    assert!(copy.exists(), "kept with the archive it copies");
    conn.execute("UPDATE worker_profile SET phone = '014 12 00 00'", [])
        .unwrap();
    office.withdraw(&reference, when);
    assert!(!copy.exists(), "gone with it");
}

#[test]
fn a_bounce_after_a_correction_takes_the_old_packages_copies_and_keeps_the_new_ones() {
    let office = SmtpOffice::new();
    let (reference, id) = office.maybe_sent();
    let folder = tempfile::tempdir().unwrap();
    let when = at("2026-11-23T10:00:00+01:00");
    let copy = |office: &SmtpOffice| {
        office
            .packages()
            .save_copy(&reference, SavedCopy::Archive, folder.path(), when)
            .unwrap()
    };
    let old = copy(&office);
    office.correct_house_number(&reference, when);
    let new = copy(&office);
    bounced_back(&office, id, "2026-11-23T10:00:00+01:00");
    assert!(
        !old.exists(),
        "the old package may not go again: its copy goes"
    );
    assert!(new.exists(), "the correction's copy stays");
}

#[test]
fn a_consent_whose_correction_or_original_came_back_is_counted_as_sent() {
    // Either way the partner has one package with the client's data: the referral when its
    // correction came back, the correction when the referral came back after it went.
    for back in [PackageKind::Correction, PackageKind::Referral] {
        let office = SmtpOffice::new();
        let server = FakeServer::new();
        let reference = office.queue("Zoë", "2260", "2026-11-23T09:00:00+01:00");
        office.sync_at(&server, "2026-11-23T09:30:00+01:00");
        office.correct_house_number(&reference, at("2026-11-23T10:00:00+01:00"));
        office.sync_at(&server, "2026-11-23T10:30:00+01:00");
        assert_eq!(
            accepted_kinds(&office, &server),
            [PackageKind::Referral, PackageKind::Correction]
        );
        let came_back = list(&office.store, &office.gazetteer)
            .unwrap()
            .into_iter()
            .find(|i| i.kind == back)
            .unwrap();
        bounced_back(&office, came_back.id, "2026-11-23T11:00:00+01:00");
        let report = crate::report::counts(
            &office.store,
            &office.gazetteer,
            &crate::report::Period::year(2026).unwrap(),
        )
        .unwrap();
        assert_eq!(
            (
                report.total.consented,
                report.total.sent,
                report.total.failed
            ),
            (1, 1, 0),
            "{back:?} came back"
        );
        assert!(crate::ledger::verify(&office.store).unwrap().intact);
    }
}

#[test]
fn a_maybe_sent_package_that_came_back_is_counted_as_failed_not_waiting() {
    let office = SmtpOffice::new();
    let (_, id) = office.maybe_sent();
    bounced_back(&office, id, "2026-11-23T11:00:00+01:00");
    let report = crate::report::counts(
        &office.store,
        &office.gazetteer,
        &crate::report::Period::year(2026).unwrap(),
    )
    .unwrap();
    let c = &report.total;
    assert_eq!((c.consented, c.sent, c.waiting, c.failed), (1, 0, 0, 1));
    assert!(crate::ledger::verify(&office.store).unwrap().intact);
}

#[test]
fn the_last_send_is_the_latest_instant_across_the_clock_change() {
    let office = SmtpOffice::new();
    let server = FakeServer::new();
    let reference = office.queue("Zoë", "2260", "2026-10-24T09:00:00+02:00");
    office.sync_at(&server, "2026-10-24T09:30:00+02:00");
    office.correct_house_number(&reference, at("2026-10-24T10:00:00+02:00"));
    office.sync_at(&server, "2026-10-24T10:30:00+02:00");
    // The referral went at 02:50 summer time (00:50 UTC), the correction at 02:10 winter time
    // (01:10 UTC): later, though its text sorts first.
    for item in list(&office.store, &office.gazetteer).unwrap() {
        let sent_at = match item.kind {
            PackageKind::Referral => "2026-10-25T02:50:00+02:00",
            _ => "2026-10-25T02:10:00+01:00",
        };
        office
            .store
            .conn()
            .execute(
                "UPDATE outbox SET sent_at = ?2 WHERE id = ?1",
                (item.id, sent_at),
            )
            .unwrap();
    }
    let sends: Vec<Option<String>> = last_sends(&office.store)
        .unwrap()
        .into_iter()
        .map(|(_, at)| at)
        .collect();
    assert_eq!(sends, [Some("2026-10-25T02:10:00+01:00".to_owned())]);
}

#[test]
fn a_retry_is_due_by_the_instant_across_the_clock_change() {
    let office = SmtpOffice::new();
    let reference = office.queue("Zoë", "2260", "2026-10-24T09:00:00+02:00");
    let id = office.state(&reference).id;
    // The next attempt at 02:30 summer time is 00:30 UTC; 02:10 winter time, 01:10 UTC, is later.
    office
        .store
        .conn()
        .execute(
            "UPDATE outbox SET state = 'failed', next_attempt_at = '2026-10-25T02:30:00+02:00'
              WHERE id = ?1",
            [id],
        )
        .unwrap();
    let due_at = |when: &str| due(&office.store, at(when), false).unwrap();
    assert_eq!(due_at("2026-10-25T02:10:00+01:00"), [id]);
    assert_eq!(due_at("2026-10-25T02:20:00+02:00"), Vec::<i64>::new());
}

#[test]
fn a_mailbox_place_reads_as_it_was_stored_with_or_without_its_arrival() {
    let place = |arrived| MailboxPlace {
        validity: 1_700_000_000,
        uid: 42,
        arrived,
    };
    for stored in [place(None), place(Some(1_764_000_000))] {
        assert_eq!(stored.to_string().parse(), Ok(stored));
    }
    assert_eq!("1700000000:42".parse(), Ok(place(None)));
    for bad in ["", "1700000000", "1700000000:x", "1:2:3:4", "1:2:later"] {
        assert_eq!(bad.parse::<MailboxPlace>(), Err(()), "{bad}");
    }
}
