//! Proof of receipt from the worker's mailbox, against real servers on loopback: the packages go
//! to aiosmtpd (STARTTLS, AUTH), and Debian's Dovecot (TLS) holds what comes back: a read
//! receipt, a reply (In-Reply-To our Message-ID), automatic answers, a bounce, and a mail
//! that has nothing to do with any package. `scripts/setup.sh --test` installs both servers.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use aanmelder_core::consent::Language;
use aanmelder_core::ledger::{self, EventKind};
use aanmelder_core::outbox::receipts::{self, ImapSettings, ReceiptReport};
use aanmelder_core::outbox::smtp::{ProblemKind, Security, SignIn};
use aanmelder_core::outbox::{self, ItemState};
use aanmelder_core::package::{Channel, PackageError};
use aanmelder_core::referral::Reference;
use aanmelder_e2e::imap::{self, ImapServer};
use aanmelder_e2e::smtp;
use zeroize::Zeroizing;

mod support;
use support::outbox_item as item;
use support::{Office, Server, attachment, client, now, queued};

/// What the log says happened to `reference`'s package, newest first.
fn logged(office: &Office, reference: &Reference) -> Vec<EventKind> {
    ledger::recent(&office.store, 100)
        .unwrap()
        .into_iter()
        .filter(|e| e.reference.as_deref() == Some(reference.as_str()))
        .map(|e| e.kind)
        .collect()
}

fn mailbox(server: &ImapServer) -> ImapSettings {
    ImapSettings {
        host: "localhost".into(),
        port: server.port,
        security: Security::Tls,
        sign_in: SignIn::Password {
            username: imap::USER.into(),
            password: Zeroizing::new(imap::PASSWORD.into()),
        },
        extra_root_pem: Some(server.cert.clone()),
        timeout: Duration::from_secs(10),
    }
}

#[test]
fn receipts_confirm_and_destroy_a_bounce_needs_attention_and_other_mail_is_never_read() {
    let smtp_server = Server::start();
    let mut imap_server = ImapServer::start().unwrap();
    let office = Office::with_smtp();
    let read = queued(&office, "Zoë", "2260");
    let replied = queued(&office, "Ayşe", "3290");
    let bounced = queued(&office, "Jan", "1000");
    let client = smtp_server.smtp(smtp::PASSWORD);
    let report = outbox::sync(&office.store, &client, now, false, |_, _| {}).unwrap();
    assert_eq!(report.sent, 3);

    // Sent is not received: each archive is kept, and the mail asks for a read receipt.
    for reference in [&read, &replied, &bounced] {
        let sent = item(&office, reference);
        assert_eq!(sent.state, ItemState::Sent);
        assert!(sent.received_at.is_none());
        assert!(office.packages().archive(reference).is_ok());
    }
    let first_mail = std::fs::read_to_string(&smtp_server.received()[2]).unwrap();
    assert!(first_mail.contains("Disposition-Notification-To: an.peeters@example.be"));
    let kept = office.packages().archive(&bounced).unwrap().bytes.to_vec();

    imap_server
        .deliver(&imap::read_receipt(&item(&office, &read).message_id))
        .unwrap();
    imap_server
        .deliver(&imap::out_of_office(&item(&office, &bounced).message_id))
        .unwrap();
    imap_server
        .deliver(&imap::reply(
            replied.as_str(),
            &item(&office, &replied).message_id,
        ))
        .unwrap();
    imap_server
        .deliver(&imap::bounce(&item(&office, &bounced).message_id))
        .unwrap();
    imap_server.deliver(&imap::unrelated()).unwrap();
    // Automatic acknowledgements of the package that bounced, marked in other ways (UIDs 6-8).
    for answer in imap::acknowledgements(&item(&office, &bounced).message_id) {
        imap_server.deliver(&answer).unwrap();
    }

    let found = receipts::check(&office.store, &mailbox(&imap_server), now).unwrap();
    assert_eq!(
        found,
        ReceiptReport {
            received: 2,
            bounced: 1
        }
    );

    // A read receipt and a reply confirm: the archive and password are destroyed, and the log
    // says so, without anything of the client.
    for reference in [&read, &replied] {
        assert!(item(&office, reference).received_at.is_some());
        assert!(matches!(
            office.packages().archive(reference),
            Err(PackageError::AlreadyDeleted)
        ));
        let view = office.packages().view(reference, now()).unwrap().unwrap();
        assert!(view.password.is_empty());
    }
    let kinds = logged(&office, &read);
    assert!(kinds.contains(&EventKind::Received) && kinds.contains(&EventKind::Destroyed));

    // The bounce: attention, with the server's reason, and the archive kept.
    let back = item(&office, &bounced);
    assert_eq!(back.state, ItemState::Attention);
    assert_eq!(back.problem, Some(ProblemKind::Bounced));
    assert!(back.problem_detail.unwrap().contains("User unknown"));
    assert!(back.last_error.unwrap().contains("kwam terug"));

    // "Opnieuw verzenden" sends the kept archive, byte for byte.
    outbox::confirm_resend(&office.store, back.id, now()).unwrap();
    let again = outbox::sync(&office.store, &client, now, false, |_, _| {}).unwrap();
    assert_eq!(again.sent, 1);
    let mails = smtp_server.received();
    let resent = std::fs::read_to_string(mails.last().unwrap()).unwrap();
    assert_eq!(attachment(&resent, "application/x-7z-compressed"), kept);

    // What the app asked the mailbox: searches by its own ids, and the two reports it found
    // fetched (UIDs 1 and 4); the out-of-office (2), the reply (3) and the unrelated mail (5)
    // never fetched, the mailbox opened read-only.
    let commands = imap_server.commands();
    assert!(
        commands.iter().any(|c| c.contains("EXAMINE")),
        "{commands:?}"
    );
    let fetched: Vec<&String> = commands
        .iter()
        .filter(|c| c.to_uppercase().contains("FETCH"))
        .collect();
    assert!(!fetched.is_empty(), "{commands:?}");
    for command in &fetched {
        let uid = command
            .split_whitespace()
            .skip_while(|w| !w.eq_ignore_ascii_case("FETCH"))
            .nth(1)
            .unwrap_or_default();
        assert!(uid == "1" || uid == "4", "fetched {command}");
    }
    assert!(
        !commands.iter().any(|c| c.to_uppercase().contains("STORE")),
        "{commands:?}"
    );

    // Nothing more to find: a second look changes nothing. The package sent again is not
    // flagged by its old bounce, nor confirmed by the out-of-office answer or the
    // acknowledgements of it.
    let nothing = receipts::check(&office.store, &mailbox(&imap_server), now).unwrap();
    assert_eq!(nothing, ReceiptReport::default());
}

#[test]
fn a_receipt_before_the_password_was_passed_on_keeps_it_until_it_is() {
    let smtp_server = Server::start();
    let mut imap_server = ImapServer::start().unwrap();
    let office = Office::with_smtp();
    let reference = office.consented(&client("Zoë", "Peeters", "2260"), Language::Nl, now());
    office.packages().build(&reference, now()).unwrap();
    smtp_server.sync(&office);
    imap_server
        .deliver(&imap::read_receipt(&item(&office, &reference).message_id))
        .unwrap();
    let found = receipts::check(&office.store, &mailbox(&imap_server), now).unwrap();
    assert_eq!(found.received, 1);
    // Received, but the OCMW cannot open it yet: the password stays for the worker to pass on.
    let received = item(&office, &reference);
    assert!(received.received_at.is_some() && received.archive_kept);
    let view = office.packages().view(&reference, now()).unwrap().unwrap();
    assert!(!view.password.is_empty());
    assert!(!logged(&office, &reference).contains(&EventKind::Destroyed));
    // Passed on: now both go, and the log says so.
    office
        .packages()
        .password_passed(&reference, Channel::Sms, now())
        .unwrap();
    assert!(!item(&office, &reference).archive_kept);
    assert!(matches!(
        office.packages().archive(&reference),
        Err(PackageError::AlreadyDeleted)
    ));
    assert!(logged(&office, &reference).contains(&EventKind::Destroyed));
}

#[test]
fn the_worker_confirms_a_receipt_by_hand() {
    let smtp_server = Server::start();
    let office = Office::with_smtp();
    let reference = queued(&office, "Zoë", "2260");
    smtp_server.sync(&office);
    let id = item(&office, &reference).id;
    outbox::confirm_received(&office.store, id, outbox::ReceivedHow::Worker, now()).unwrap();
    assert!(item(&office, &reference).received_at.is_some());
    assert!(office.packages().archive(&reference).is_err());
    // Once only.
    assert!(matches!(
        outbox::confirm_received(&office.store, id, outbox::ReceivedHow::Worker, now()),
        Err(outbox::OutboxError::NotWaiting)
    ));
}

/// A package sent to a server that takes the whole mail and falls silent: "mogelijk al
/// verzonden".
fn in_doubt(office: &Office, smtp_server: &Server) -> Reference {
    office.set_mailbox(
        &aanmelder_core::residence::Recipient::Ocmw("13049".into()),
        "zwijgen@ocmw-westerlo.example",
    );
    let reference = queued(office, "Zoë", "2260");
    assert_eq!(smtp_server.sync(office).unanswered, 1);
    reference
}

#[test]
fn a_read_receipt_settles_a_mail_in_doubt() {
    let smtp_server = Server::start();
    let mut imap_server = ImapServer::start().unwrap();
    let office = Office::with_smtp();
    let reference = in_doubt(&office, &smtp_server);
    let doubtful = item(&office, &reference);
    assert_eq!(doubtful.state, ItemState::MaybeSent);

    // The server had kept it after all: the OCMW's read receipt comes in.
    imap_server
        .deliver(&imap::read_receipt(&doubtful.message_id))
        .unwrap();
    let found = receipts::check(&office.store, &mailbox(&imap_server), now).unwrap();
    assert_eq!(found.received, 1);
    let settled = item(&office, &reference);
    assert_eq!(settled.state, ItemState::Sent);
    assert!(settled.sent_at.is_some() && settled.received_at.is_some());
    assert!(matches!(
        office.packages().archive(&reference),
        Err(PackageError::AlreadyDeleted)
    ));
    let kinds = logged(&office, &reference);
    assert!(
        [EventKind::Sent, EventKind::Received, EventKind::Destroyed]
            .iter()
            .all(|k| kinds.contains(k)),
        "{kinds:?}"
    );
}

/// A package left "mogelijk al verzonden" goes again an hour later; then the first attempt's
/// bounce comes in (a full mailbox that has room now, say). It is about the first mail, not the
/// second, which may well have arrived: the package does not go back to "aandacht nodig" for
/// it, and a bounce of the second mail still does.
#[test]
fn a_bounce_of_an_earlier_attempt_says_nothing_of_the_latest() {
    let smtp_server = Server::start();
    let mut imap_server = ImapServer::start().unwrap();
    let office = Office::with_smtp();
    let reference = in_doubt(&office, &smtp_server);
    let id = item(&office, &reference).id;
    outbox::confirm_resend(&office.store, id, now()).unwrap();
    let an_hour_later = || now() + chrono::Duration::hours(1);
    let client = smtp_server.smtp(smtp::PASSWORD);
    let again = outbox::sync(&office.store, &client, an_hour_later, true, |_, _| {}).unwrap();
    assert_eq!(again.unanswered, 1, "{again:?}");
    let dates: Vec<String> = smtp_server
        .received()
        .iter()
        .map(|path| {
            let mail = std::fs::read_to_string(path).unwrap();
            let date = mail.lines().find_map(|l| l.strip_prefix("Date: ")).unwrap();
            date.trim().to_owned()
        })
        .collect();
    assert_eq!(dates.len(), 2);
    assert_ne!(dates[0], dates[1], "each attempt has its own Date");
    let message_id = item(&office, &reference).message_id;

    imap_server
        .deliver(&imap::bounce_dated(&message_id, &dates[0]))
        .unwrap();
    let found = receipts::check(&office.store, &mailbox(&imap_server), now).unwrap();
    assert_eq!(found, ReceiptReport::default());
    assert_eq!(item(&office, &reference).state, ItemState::MaybeSent);

    imap_server
        .deliver(&imap::bounce_dated(&message_id, &dates[1]))
        .unwrap();
    let found = receipts::check(&office.store, &mailbox(&imap_server), now).unwrap();
    assert_eq!(found.bounced, 1);
    assert_eq!(item(&office, &reference).state, ItemState::Attention);
}

/// The worker's mailbox moves (to Microsoft 365, say) while a package sent again after a bounce
/// waits for its receipt: the mails come along under new UIDs, and the old bounce must not send
/// the package back to "needs attention". Told apart by when it arrived.
#[test]
fn after_the_mailbox_moved_an_old_bounce_is_still_old() {
    let smtp_server = Server::start();
    let mut imap_server = ImapServer::start().unwrap();
    let office = Office::with_smtp();
    let reference = queued(&office, "Jan", "1000");
    smtp_server.sync(&office);
    let message_id = item(&office, &reference).message_id;
    imap_server.deliver(&imap::bounce(&message_id)).unwrap();
    let found = receipts::check(&office.store, &mailbox(&imap_server), now).unwrap();
    assert_eq!(found.bounced, 1);
    outbox::confirm_resend(&office.store, item(&office, &reference).id, now()).unwrap();
    assert_eq!(smtp_server.sync(&office).sent, 1);

    // Arrival times count in whole seconds: the move, and what comes after, is a moment later.
    std::thread::sleep(Duration::from_millis(1100));
    let before = imap_server.uid_validity(imap::USER);
    imap_server.renumber(imap::USER).unwrap();
    let bodies_read = |server: &ImapServer| {
        server
            .commands()
            .iter()
            .filter(|c| c.to_uppercase().contains("BODY.PEEK[]"))
            .count()
    };
    let read = bodies_read(&imap_server);
    let nothing = receipts::check(&office.store, &mailbox(&imap_server), now).unwrap();
    assert_ne!(imap_server.uid_validity(imap::USER), before, "renumbered");
    assert_eq!(nothing, ReceiptReport::default());
    assert_eq!(item(&office, &reference).state, ItemState::Sent);
    assert_eq!(
        bodies_read(&imap_server),
        read,
        "told by its arrival, not read again"
    );

    // A bounce of the second send is new, and counts.
    imap_server.deliver(&imap::bounce(&message_id)).unwrap();
    let found = receipts::check(&office.store, &mailbox(&imap_server), now).unwrap();
    assert_eq!(found.bounced, 1);
    assert_eq!(item(&office, &reference).state, ItemState::Attention);
}
