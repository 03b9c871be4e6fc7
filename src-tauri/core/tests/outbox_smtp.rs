//! The outbox against a real SMTP server process on loopback (aiosmtpd, started and stopped by
//! the test through `aanmelder_e2e::smtp`; `scripts/setup.sh --test` installs it): STARTTLS with
//! AUTH, and every way a delivery fails as a worker meets it (a server that is down, a refused
//! password, a certificate not trusted, a 451, a 550, a connection dropped before the mail went),
//! each with its Dutch sentence, the server's own words for IT, and the next attempt; and a mail
//! that went out whole while the server's answer never came, which is never resent by itself.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use aanmelder_e2e::smtp;

use aanmelder_core::outbox::smtp::{ProblemKind, Security, SignIn, Smtp, SmtpSettings};
use aanmelder_core::outbox::{self, ItemState, OutboxItem};
use aanmelder_core::referral::Reference;
use aanmelder_core::residence::Recipient;
use aanmelder_core::worker::WorkerProfile;

mod support;
use support::outbox_item as item;
use support::{Office, Server, attachment, built, client, now};

fn state(office: &Office, reference: &Reference) -> (ItemState, Option<String>) {
    let item = item(office, reference);
    (item.state, item.last_error)
}

/// The item waits for a next attempt after `now()`, and says what happened in Dutch, with the
/// server's words apart.
fn waits_with(
    office: &Office,
    reference: &Reference,
    kind: ProblemKind,
    dutch: &str,
) -> OutboxItem {
    let item = item(office, reference);
    assert_eq!(item.problem, Some(kind), "{item:?}");
    let said = item.last_error.clone().unwrap_or_default();
    assert!(said.contains(dutch), "{said}");
    assert!(item.problem_detail.is_some(), "{item:?}");
    let next = chrono::DateTime::parse_from_rfc3339(&item.next_attempt_at).unwrap();
    assert!(next > now(), "the next attempt is later: {item:?}");
    item
}

fn queued(office: &Office, first: &str, postal_code: &str) -> Reference {
    built(office, &client(first, "Vandenberghe", postal_code))
}

#[test]
fn starttls_with_auth_delivers_the_attachment_byte_identical_and_no_client_data() {
    let server = Server::start();
    let office = Office::with_smtp();
    let reference = queued(&office, "Zoë", "2260");
    let archive = office.packages().archive(&reference).unwrap();
    let client = server.smtp(smtp::PASSWORD);
    assert!(client.reachable());
    let report = outbox::sync(&office.store, &client, now, false, |_, _| {}).unwrap();
    assert_eq!(report.sent, 1, "{:?}", state(&office, &reference));

    let files = server.received();
    assert_eq!(files.len(), 1);
    let mail = String::from_utf8(std::fs::read(&files[0]).unwrap()).unwrap();
    assert_eq!(
        attachment(&mail, "application/x-7z-compressed"),
        *archive.bytes
    );
    let readable = mail.replace("=\r\n", "");
    assert!(readable.contains(&format!("Subject: Aanmelding {reference}")));
    // The OCMW is told how to type the password it gets by phone.
    assert!(
        readable.contains("met de hoofdletters en de streepjes ertussen"),
        "{readable}"
    );
    // And asked for a read receipt, which confirms the package without the worker.
    assert!(
        readable.contains("Disposition-Notification-To:"),
        "{readable}"
    );
    for secret in [
        "Zoë",
        "Zo=C3=AB",
        "Vandenberghe",
        "Sint-Jansstraat",
        "client@example.be",
        "+32470123456",
        "0470 12 34 56",
    ] {
        assert!(!readable.contains(secret), "{secret} is in the mail");
    }
}

#[test]
fn a_server_that_is_down_is_said_in_dutch_and_one_press_sends_once_it_is_back() {
    let office = Office::with_smtp();
    let reference = queued(&office, "Zoë", "2260");
    let mut server = Server::start();
    server.0.stop();
    let port = server.0.port;
    let settings = SmtpSettings {
        host: "localhost".into(),
        port,
        security: Security::StartTls,
        sign_in: SignIn::Password {
            username: smtp::USER.into(),
            password: zeroize::Zeroizing::new(smtp::PASSWORD.into()),
        },
        extra_root_pem: Some(server.0.cert.clone()),
        timeout: std::time::Duration::from_secs(10),
    };
    let client = Smtp::new(&settings).unwrap();
    assert!(!client.reachable());
    let report = outbox::sync(&office.store, &client, now, false, |_, _| {}).unwrap();
    assert_eq!((report.sent, report.failed), (0, 1));
    assert!(report.stopped.unwrap().contains("niet bereikbaar"));
    let item = waits_with(
        &office,
        &reference,
        ProblemKind::Unreachable,
        "De mailserver van het team is niet bereikbaar",
    );
    assert!(
        item.problem_detail.unwrap().contains("Connection refused"),
        "the server's words stay for IT"
    );
    assert!(
        !item.last_error.unwrap().contains("Connection"),
        "Dutch only"
    );

    // Back on the same port. By itself the outbox waits out the back-off; a press goes now.
    server.0.resume().unwrap();
    let waiting = outbox::sync(&office.store, &client, now, false, |_, _| {}).unwrap();
    assert_eq!(waiting.sent, 0, "not due yet by itself");
    let pressed = outbox::sync(&office.store, &client, now, true, |_, _| {}).unwrap();
    assert_eq!(pressed.sent, 1, "{pressed:?}");
    assert_eq!(server.received().len(), 1);
    assert_eq!(item_state(&office, &reference), ItemState::Sent);
}

fn item_state(office: &Office, reference: &Reference) -> ItemState {
    item(office, reference).state
}

#[test]
fn a_wrong_smtp_password_delivers_nothing_loses_nothing_and_says_where_to_look() {
    let server = Server::start();
    let office = Office::with_smtp();
    let reference = queued(&office, "Zoë", "2260");
    queued(&office, "Jan", "1000");
    let report = outbox::sync(
        &office.store,
        &server.smtp("verkeerd"),
        now,
        false,
        |_, _| {},
    )
    .unwrap();
    assert_eq!(report.sent, 0);
    assert_eq!(
        report.failed, 1,
        "the sync stops at the first refused sign-in"
    );
    let stopped = report.stopped.unwrap_or_default();
    assert!(
        stopped.contains("aanvaardde de aanmelding niet"),
        "{stopped} {:?}",
        item(&office, &reference)
    );
    assert!(server.received().is_empty());
    let item = waits_with(
        &office,
        &reference,
        ProblemKind::SignIn,
        "aanvaardde de aanmelding niet",
    );
    assert!(item.problem_detail.unwrap().contains("535"));
    assert!(office.packages().archive(&reference).is_ok());
}

#[test]
fn a_sign_in_put_off_by_the_server_is_no_wrong_password_and_one_switched_off_is_for_it() {
    let server = Server::start();
    let office = Office::with_smtp();
    let reference = queued(&office, "Zoë", "2260");
    // "Later": the password is not to blame; the package waits for its next attempt.
    let report = outbox::sync(&office.store, &server.smtp("later"), now, false, |_, _| {}).unwrap();
    assert_eq!(report.sent, 0);
    assert_ne!(report.stopped_by, Some(ProblemKind::SignIn), "{report:?}");
    let waiting = item(&office, &reference);
    assert_eq!(waiting.problem, Some(ProblemKind::TryLater), "{waiting:?}");
    assert!(waiting.problem_detail.unwrap().contains("454"));
    // Switched off for the account (Microsoft 365): a sign-in problem that IT must solve.
    let pressed = outbox::sync(
        &office.store,
        &server.smtp("uitgeschakeld"),
        now,
        true,
        |_, _| {},
    )
    .unwrap();
    assert_eq!(pressed.stopped_by, Some(ProblemKind::SignIn), "{pressed:?}");
    let item = waits_with(&office, &reference, ProblemKind::SignIn, "ICT-dienst");
    assert!(item.problem_detail.unwrap().contains("5.7.139"));
    assert!(server.received().is_empty());
}

#[test]
fn a_certificate_the_app_does_not_trust_sends_nothing_and_says_so() {
    let server = Server::start();
    let office = Office::with_smtp();
    let reference = queued(&office, "Zoë", "2260");
    let untrusting = Smtp::new(&SmtpSettings {
        host: "localhost".into(),
        port: server.0.port,
        security: Security::StartTls,
        sign_in: SignIn::Password {
            username: smtp::USER.into(),
            password: zeroize::Zeroizing::new(smtp::PASSWORD.into()),
        },
        extra_root_pem: None,
        timeout: std::time::Duration::from_secs(10),
    })
    .unwrap();
    let report = outbox::sync(&office.store, &untrusting, now, false, |_, _| {}).unwrap();
    assert_eq!(report.sent, 0);
    waits_with(&office, &reference, ProblemKind::Insecure, "niet beveiligd");
    assert!(server.received().is_empty());
}

#[test]
fn a_451_is_retried_later_and_a_550_leads_to_the_partner_while_the_next_goes_out() {
    let server = Server::start();
    let office = Office::with_smtp();
    office.set_mailbox(
        &Recipient::Ocmw("13049".into()),
        "tijdelijk@ocmw-westerlo.example",
    );
    office.set_mailbox(
        &Recipient::Ocmw("24020".into()),
        "onbekend@ocmw-diest.example",
    );
    let later = queued(&office, "Zoë", "2260");
    let unknown = queued(&office, "Ayşe", "3290");
    let fine = queued(&office, "Jan", "1000");
    let report = server.sync(&office);
    assert_eq!((report.sent, report.failed, report.attention), (1, 1, 1));
    assert!(
        report.stopped.is_none(),
        "one mailbox's problem is not the server's"
    );
    let retried = waits_with(&office, &later, ProblemKind::TryLater, "tijdelijk probleem");
    assert_eq!(retried.state, ItemState::Failed);
    assert!(retried.problem_detail.unwrap().contains("451"));
    let refused = item(&office, &unknown);
    assert_eq!(refused.state, ItemState::Attention);
    assert_eq!(refused.problem, Some(ProblemKind::MailboxUnknown));
    let said = refused.last_error.unwrap();
    assert!(
        said.contains("OCMW Diest") && said.contains("bestaat niet") && said.contains("Partners"),
        "{said}"
    );
    assert!(refused.problem_detail.unwrap().contains("550"));
    assert!(
        refused.agreement_id.is_some(),
        "the screen links the partner to fix"
    );
    assert_eq!(state(&office, &fine).0, ItemState::Sent);
    assert_eq!(server.received().len(), 1);
}

/// Two permanent refusals that are not about the partner's address: each says what it is, and
/// neither sends the worker to fix the address at Partners.
#[test]
fn a_policy_refusal_and_a_mail_too_large_say_what_they_are() {
    let server = Server::start();
    let office = Office::with_smtp();
    office.set_mailbox(
        &Recipient::Ocmw("13049".into()),
        "geweigerd@ocmw-westerlo.example",
    );
    office.set_mailbox(
        &Recipient::Ocmw("24020".into()),
        "tegroot@ocmw-diest.example",
    );
    let policy = queued(&office, "Zoë", "2260");
    let large = queued(&office, "Ayşe", "3290");
    let report = server.sync(&office);
    assert_eq!((report.sent, report.attention), (0, 2), "{report:?}");
    assert!(report.stopped.is_none(), "{report:?}");

    let refused = item(&office, &policy);
    assert_eq!(refused.state, ItemState::Attention);
    assert_eq!(refused.problem, Some(ProblemKind::Refused), "{refused:?}");
    let said = refused.last_error.unwrap();
    assert!(
        said.contains("weigerde") && said.contains("OCMW Westerlo") && !said.contains("Partners"),
        "{said}"
    );
    assert!(refused.problem_detail.unwrap().contains("Access denied"));

    let too_large = item(&office, &large);
    assert_eq!(too_large.state, ItemState::Attention);
    assert_eq!(
        too_large.problem,
        Some(ProblemKind::TooLarge),
        "{too_large:?}"
    );
    let said = too_large.last_error.unwrap();
    assert!(said.contains("te groot"), "{said}");
    assert!(too_large.problem_detail.unwrap().contains("552"));
    // Both archives are kept for a send once the cause is fixed.
    assert!(office.packages().archive(&policy).is_ok());
    assert!(office.packages().archive(&large).is_ok());
    assert!(server.received().is_empty());
}

/// A server that refuses the team's own sender address (at MAIL FROM) says nothing about the
/// partner's mailbox, even in words that would ("5.1.0", "user unknown"): the sync stops, the
/// worker is sent to the settings, and the mails wait unsent.
#[test]
fn a_refused_sender_address_stops_the_sync_and_blames_no_partner() {
    let server = Server::start();
    let office = Office::with_smtp();
    WorkerProfile {
        name: "An Peeters".into(),
        team: "Lokaal team Westerlo".into(),
        email: "an.peeters@vreemd.example".into(),
        phone: "014 12 34 56".into(),
    }
    .save(&office.store)
    .unwrap();
    let first = queued(&office, "Zoë", "2260");
    let second = queued(&office, "Jan", "1000");
    let report = server.sync(&office);
    assert_eq!((report.sent, report.failed, report.attention), (0, 1, 0));
    assert_eq!(report.stopped_by, Some(ProblemKind::SenderRefused));
    assert!(report.stopped.unwrap().contains("als afzender"));
    let item = waits_with(
        &office,
        &first,
        ProblemKind::SenderRefused,
        "weigert je e-mailadres als afzender",
    );
    assert!(!item.last_error.unwrap().contains("Partners"));
    assert!(
        item.problem_detail
            .unwrap()
            .contains("Sender address rejected")
    );
    assert_eq!(state(&office, &second).0, ItemState::Queued, "never tried");
    assert!(server.received().is_empty());
}

#[test]
fn a_connection_dropped_before_the_mail_went_leaves_the_item_queued() {
    let server = Server::start();
    let office = Office::with_smtp();
    office.set_mailbox(
        &Recipient::Ocmw("13049".into()),
        "afbreken@ocmw-westerlo.example",
    );
    let reference = queued(&office, "Zoë", "2260");
    let report = server.sync(&office);
    assert_eq!(report.sent, 0);
    let (s, why) = state(&office, &reference);
    assert!(
        matches!(s, ItemState::Queued | ItemState::Failed),
        "{s:?}: {why:?}"
    );
    assert!(why.unwrap().contains("verbinding viel weg"));
    waits_with(
        &office,
        &reference,
        ProblemKind::Dropped,
        "probeert het vanzelf opnieuw",
    );
    assert!(office.packages().archive(&reference).is_ok());
    assert!(server.received().is_empty());
}

/// The mail went out whole and the server kept it, but its "250" never came: the app cannot
/// know, so it neither calls it sent nor sends it again by itself.
fn in_doubt_is_never_resent_by_itself(server: &Server, client: &Smtp, mailbox: &str) {
    let office = Office::with_smtp();
    office.set_mailbox(&Recipient::Ocmw("13049".into()), mailbox);
    let doubtful = queued(&office, "Zoë", "2260");
    let next = queued(&office, "Ayşe", "3290");
    let sync = |anyway| outbox::sync(&office.store, client, now, anyway, |_, _| {}).unwrap();
    let report = sync(false);
    assert_eq!((report.sent, report.unanswered), (0, 1), "{report:?}");
    assert_eq!(report.stopped_by, Some(ProblemKind::Unanswered));
    let maybe = item(&office, &doubtful);
    assert_eq!(maybe.state, ItemState::MaybeSent, "{maybe:?}");
    assert_eq!(maybe.problem, Some(ProblemKind::Unanswered));
    let said = maybe.last_error.unwrap();
    assert!(
        said.contains("volledig verstuurd") && said.contains("OCMW Westerlo"),
        "{said}"
    );
    assert!(office.packages().archive(&doubtful).is_ok());
    assert_eq!(server.received().len(), 1, "the server kept it");
    // The next mail waited and goes now; the one in doubt stays, even when the worker presses.
    assert_eq!(item(&office, &next).state, ItemState::Queued);
    let report = sync(true);
    assert_eq!((report.sent, report.unanswered), (1, 0), "{report:?}");
    assert_eq!(item(&office, &doubtful).state, ItemState::MaybeSent);
    assert_eq!(
        server.received().len(),
        2,
        "no second copy of the one in doubt"
    );
    // The worker asked: it did not arrive. Sent again, to the mailbox that works now.
    office.set_mailbox(
        &Recipient::Ocmw("13049".into()),
        "aanmelding@ocmw-westerlo.example",
    );
    outbox::confirm_resend(&office.store, maybe.id, now()).unwrap();
    assert_eq!(sync(false).sent, 1);
    assert_eq!(item(&office, &doubtful).state, ItemState::Sent);
}

#[test]
fn a_server_that_closes_after_the_whole_mail_leaves_it_maybe_sent() {
    let server = Server::start();
    in_doubt_is_never_resent_by_itself(
        &server,
        &server.smtp(smtp::PASSWORD),
        "zwijgen@ocmw-westerlo.example",
    );
}

#[test]
fn a_server_that_never_answers_after_the_whole_mail_leaves_it_maybe_sent() {
    let server = Server::start();
    let patient = support::smtp_client_with(
        server.0.port,
        &server.0.cert,
        smtp::PASSWORD,
        std::time::Duration::from_secs(2),
    );
    in_doubt_is_never_resent_by_itself(&server, &patient, "hangen@ocmw-westerlo.example");
}

#[test]
fn a_package_withdrawn_while_its_envelope_goes_out_never_reaches_the_server() {
    let server = Server::start();
    let office = Office::with_smtp();
    let withdrawn = queued(&office, "Zoë", "2260");
    let kept = queued(&office, "Ayşe", "3290");
    // Steps: what is due, the first mail prepared, then the claim that its message waits for
    // while the transport already speaks to the server. The worker withdraws just before it.
    let withdraw = || {
        office.withdraw(&withdrawn, now());
    };
    let access = aanmelder_core::testing::MeddlingAt::new(&office.store, 3, &withdraw);
    let client = server.smtp(smtp::PASSWORD);
    let report = outbox::sync(&access, &client, now, false, |_, _| {}).unwrap();
    assert_eq!((report.sent, report.failed, report.attention), (1, 0, 0));
    assert_eq!(item(&office, &withdrawn).state, ItemState::Cancelled);
    assert_eq!(item(&office, &kept).state, ItemState::Sent);
    // The server may have had the withdrawn mail's envelope, never its message: it kept only the
    // other one.
    let files = server.received();
    assert_eq!(files.len(), 1);
    let mail = String::from_utf8(std::fs::read(&files[0]).unwrap()).unwrap();
    assert!(
        mail.contains(&format!("Subject: Aanmelding {kept}")),
        "{mail}"
    );
}
