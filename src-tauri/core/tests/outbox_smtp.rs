//! The outbox against a real SMTP server process on loopback (aiosmtpd, started and stopped by
//! the test through `aanmelder_e2e::smtp`; `scripts/setup.sh --test` installs it): STARTTLS with AUTH, a 451, a 550 and a
//! connection dropped in the middle of DATA.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use aanmelder_e2e::smtp;

use aanmelder_core::consent::Language;
use aanmelder_core::outbox::{self, ItemState};
use aanmelder_core::referral::Reference;
use aanmelder_core::residence::Recipient;

mod support;
use support::{Office, Server, attachment, client, now};

fn state(office: &Office, reference: &Reference) -> (ItemState, Option<String>) {
    let item = outbox::list(&office.store, &office.gazetteer)
        .unwrap()
        .into_iter()
        .find(|i| i.reference == reference.as_str())
        .unwrap();
    (item.state, item.last_error)
}

fn queued(office: &Office, first: &str, postal_code: &str) -> Reference {
    let reference = office.consented(
        &client(first, "Vandenberghe", postal_code),
        Language::Nl,
        now(),
    );
    office.packages().build(&reference, now()).unwrap();
    reference
}

#[test]
fn starttls_with_auth_delivers_the_attachment_byte_identical_and_no_client_data() {
    let server = Server::start();
    let office = Office::with_smtp();
    let reference = queued(&office, "Zoë", "2260");
    let archive = office.packages().archive(&reference).unwrap();
    let client = server.smtp(smtp::PASSWORD);
    assert!(client.reachable());
    let report = outbox::sync(&office.store, &client, now, |_, _| {}).unwrap();
    assert_eq!(report.sent, 1, "{:?}", state(&office, &reference));

    let files = server.received();
    assert_eq!(files.len(), 1);
    let mail = String::from_utf8(std::fs::read(&files[0]).unwrap()).unwrap();
    assert_eq!(
        attachment(&mail, "application/x-7z-compressed"),
        archive.bytes
    );
    let readable = mail.replace("=\r\n", "");
    assert!(readable.contains(&format!("Subject: Aanmelding {reference}")));
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
fn a_wrong_smtp_password_delivers_nothing_and_loses_nothing() {
    let server = Server::start();
    let office = Office::with_smtp();
    let reference = queued(&office, "Zoë", "2260");
    let report = outbox::sync(&office.store, &server.smtp("verkeerd"), now, |_, _| {}).unwrap();
    assert_eq!(report.sent, 0);
    assert!(server.received().is_empty());
    let (item, _) = state(&office, &reference);
    assert_ne!(item, ItemState::Sent);
    assert!(office.packages().archive(&reference).is_ok());
}

#[test]
fn a_451_is_retried_later_and_a_550_needs_attention_while_the_next_goes_out() {
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
    let report = outbox::sync(&office.store, &server.smtp(smtp::PASSWORD), now, |_, _| {}).unwrap();
    assert_eq!((report.sent, report.failed, report.attention), (1, 1, 1));
    let (s, why) = state(&office, &later);
    assert_eq!(s, ItemState::Failed);
    assert!(why.unwrap().contains("451"));
    let (s, why) = state(&office, &unknown);
    assert_eq!(s, ItemState::Attention);
    assert!(why.unwrap().contains("550"));
    assert_eq!(state(&office, &fine).0, ItemState::Sent);
    assert_eq!(server.received().len(), 1);
}

#[test]
fn a_connection_dropped_in_the_middle_of_data_leaves_the_item_queued() {
    let server = Server::start();
    let office = Office::with_smtp();
    office.set_mailbox(
        &Recipient::Ocmw("13049".into()),
        "afbreken@ocmw-westerlo.example",
    );
    let reference = queued(&office, "Zoë", "2260");
    let report = outbox::sync(&office.store, &server.smtp(smtp::PASSWORD), now, |_, _| {}).unwrap();
    assert_eq!(report.sent, 0);
    let (s, why) = state(&office, &reference);
    assert!(
        matches!(s, ItemState::Queued | ItemState::Failed),
        "{s:?}: {why:?}"
    );
    assert!(office.packages().archive(&reference).is_ok());
    assert!(server.received().is_empty());
}
