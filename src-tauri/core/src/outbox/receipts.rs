//! The partner's receipt, read from the worker's own mailbox over IMAP.
//!
//! Every package mail asks for a read receipt and asks the OCMW to reply (see [`super::mail`]).
//! For each sent package still waiting for its receipt, this module asks the mailbox's server
//! for exactly three things and nothing else: a delivery report (a bounce, RFC 3464) or a read
//! receipt (RFC 8098) about that package's Message-ID, and a reply to it (In-Reply-To or
//! References the Message-ID; not an automatic answer). The server searches; the app
//! fetches only the reports it found about its own Message-IDs, and of a reply not even that.
//! No other mail is read, stored or shown, and the mailbox is opened read-only (EXAMINE), so
//! not even a "seen" flag changes.

use std::io::{Read as _, Write as _};
use std::net::{TcpStream, ToSocketAddrs as _};

use chrono::{DateTime, FixedOffset};
use serde::Serialize;
use ts_rs::TS;
use zeroize::Zeroizing;

use super::smtp::{Security, SignIn};
use super::{Awaiting, Bounce, MailboxPlace, OutboxError, ReceivedHow, StoreAccess};

/// Where the worker's mailbox is, and how to sign in (the same as for sending): the same
/// settings as a mail server's.
pub type ImapSettings = super::smtp::SmtpSettings;

/// What one look in the mailbox found.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct ReceiptReport {
    /// Packages whose receipt came in (read receipt or reply): their archives are destroyed.
    pub received: u32,
    /// Packages that came back: they need the worker's attention.
    pub bounced: u32,
}

/// What a report about one of our mails says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Report {
    /// A read receipt: the mail reached the partner's mailbox and was opened (or processed).
    Receipt,
    /// A bounce, with the server's reason.
    Bounce(String),
}

/// Looks in the mailbox for the receipts and bounces of every sent package still waiting for
/// its receipt, and records what it finds.
pub fn check(
    access: &impl StoreAccess,
    settings: &ImapSettings,
    now: impl Fn() -> DateTime<FixedOffset>,
) -> Result<ReceiptReport, OutboxError> {
    let waiting = access.with(super::awaiting_receipt)?;
    let mut report = ReceiptReport::default();
    if waiting.is_empty() {
        return Ok(report);
    }
    let mut session = connect(settings)?;
    let validity = session
        .examine("INBOX")
        .map_err(|e| OutboxError::Mailbox(e.to_string()))?
        .uid_validity
        .unwrap_or(0);
    for awaiting in waiting {
        // Our own values only, and only characters that need no quoting in a search.
        if !safe(&awaiting.message_id) {
            continue;
        }
        let id = awaiting.id;
        let recorded = match look_for(&mut session, &awaiting, validity)? {
            Some(Found::Report(Report::Bounce(reason), place)) => {
                let bounce = Bounce {
                    reason,
                    seen: place,
                };
                access
                    .with(|store| super::bounced(store, id, &bounce, now()))
                    .map(|()| report.bounced += 1)
            }
            Some(Found::Report(Report::Receipt, _)) => access
                .with(|store| super::confirm_received(store, id, ReceivedHow::ReadReceipt, now()))
                .map(|()| report.received += 1),
            Some(Found::Reply) => access
                .with(|store| super::confirm_received(store, id, ReceivedHow::Reply, now()))
                .map(|()| report.received += 1),
            None => Ok(()),
        };
        match recorded {
            // Confirmed meanwhile by the worker, or by another copy of the app.
            Ok(()) | Err(OutboxError::NotWaiting) => {}
            Err(e) => return Err(e),
        }
    }
    let _ = session.logout();
    Ok(report)
}

enum Found {
    /// A report, and its place in the mailbox.
    Report(Report, MailboxPlace),
    Reply,
}

type Session = imap::Session<native_tls::TlsStream<TcpStream>>;

/// The first report or reply about `awaiting`'s mail. A bounce already handled (the mail was
/// sent again since) and any report before it are looked past: they are about an earlier send.
/// Before means a lower UID while the mailbox's UIDVALIDITY is the one the bounce was seen
/// under; once it changed (the mailbox moved to another server, or was rebuilt), UIDs start
/// again, and a report that did not arrive after the handled bounce is the earlier one.
fn look_for(
    session: &mut Session,
    awaiting: &Awaiting,
    validity: u32,
) -> Result<Option<Found>, OutboxError> {
    let message_id = awaiting.message_id.as_str();
    let failed = |e: imap::Error| OutboxError::Mailbox(e.to_string());
    let after = awaiting
        .bounce_seen
        .filter(|seen| seen.validity == validity)
        .map_or(0, |seen| seen.uid);
    let arrived_by = awaiting
        .bounce_seen
        .filter(|seen| seen.validity != validity)
        .and_then(|seen| seen.arrived);
    let reports = session
        .uid_search(format!(
            "HEADER Content-Type \"report\" BODY \"{message_id}\""
        ))
        .map_err(failed)?;
    let mut uids: Vec<_> = reports.into_iter().filter(|uid| *uid > after).collect();
    uids.sort_unstable();
    let arrival = |m: &imap::types::Fetch<'_>| m.internal_date().map(|d| d.timestamp());
    for uid in uids {
        if let Some(by) = arrived_by {
            // Its arrival alone says whether it is the old one: not read again each time.
            let dated = session
                .uid_fetch(uid.to_string(), "INTERNALDATE")
                .map_err(failed)?;
            if dated.iter().any(|m| arrival(m).is_some_and(|at| at <= by)) {
                continue;
            }
        }
        let fetched = session
            .uid_fetch(uid.to_string(), "(INTERNALDATE BODY.PEEK[])")
            .map_err(failed)?;
        for message in fetched.iter() {
            let arrived = arrival(message);
            if let Some((report, returned)) =
                message.body().and_then(|b| read_report(b, message_id))
            {
                // A read receipt of any attempt says the partner has the package; a bounce of
                // an earlier attempt says nothing of the latest, which may well have arrived.
                if matches!(report, Report::Bounce(_))
                    && of_an_earlier_attempt(returned, awaiting.mail_date)
                {
                    continue;
                }
                let place = MailboxPlace {
                    validity,
                    uid,
                    arrived,
                };
                return Ok(Some(Found::Report(report, place)));
            }
        }
    }
    // A reply names our mail in In-Reply-To or References, as every mail program writes them.
    // Not by the reference in its subject: a correction and a withdrawal share the referral's
    // reference, so a reply to one would confirm another. Not an automatic answer (an
    // out-of-office or a ticketing system's "registered" says nothing of the package having been
    // read), however it marks itself: `Auto-Submitted` (RFC 3834), `Precedence` as older
    // programs and many ticketing systems write it, or `X-Autoreply`/`X-Autorespond` (an empty
    // string matches any value). HEADER matches a part of the value: "auto" catches
    // auto-replied, auto-generated and auto_reply, and not "no".
    let replies = session
        .uid_search(format!(
            "NOT HEADER Content-Type \"report\" NOT HEADER Auto-Submitted \"auto\" \
             NOT HEADER Precedence \"auto\" NOT HEADER Precedence \"bulk\" \
             NOT HEADER Precedence \"junk\" NOT HEADER X-Autoreply \"\" \
             NOT HEADER X-Autorespond \"\" \
             OR HEADER In-Reply-To \"{message_id}\" HEADER References \"{message_id}\""
        ))
        .map_err(failed)?;
    Ok((!replies.is_empty()).then_some(Found::Reply))
}

/// Message-IDs and references are ours: letters, digits and `<>@.-` only.
fn safe(text: &str) -> bool {
    !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '<' | '>' | '@' | '.' | '-'))
}

/// What a delivery report or read receipt says about the mail `message_id`; `None` for anything
/// else (a report about another mail, or no report at all). A report is about our mail only when
/// it says so where the standards put it: a read receipt's `Original-Message-ID`, or the
/// `Message-ID` of the original returned with a bounce. Our id quoted anywhere else (in the
/// `References` of some other mail, say) does not count. With it, the Date of the original the
/// report returns (its headers, or whole): every attempt to send a package carries its one
/// Message-ID, but its own Date.
pub fn read_report(
    raw: &[u8],
    message_id: &str,
) -> Option<(Report, Option<DateTime<FixedOffset>>)> {
    use mail_parser::MimeHeaders as _;
    let message = mail_parser::MessageParser::default().parse(raw)?;
    let content_type = message.content_type()?;
    if !content_type.ctype().eq_ignore_ascii_case("multipart")
        || !content_type
            .subtype()
            .is_some_and(|s| s.eq_ignore_ascii_case("report"))
    {
        return None;
    }
    let ours = |id: Option<String>| id.is_some_and(|id| id.trim() == message_id);
    let mut report = None;
    let mut about_ours = false;
    let mut dated = None;
    for part in &message.parts {
        let Some(ct) = part.content_type() else {
            continue;
        };
        let sub = ct.subtype().unwrap_or_default().to_ascii_lowercase();
        let fields = String::from_utf8_lossy(part.contents()).into_owned();
        match (ct.ctype().to_ascii_lowercase().as_str(), sub.as_str()) {
            ("message", "disposition-notification" | "global-disposition-notification") => {
                about_ours |= ours(field(&fields, "Original-Message-ID"));
                // Only "displayed" says someone opened it (RFC 8098); "deleted" unread, or
                // handled by a program, is no receipt.
                let displayed = field(&fields, "Disposition").is_some_and(|d| {
                    d.rsplit(';')
                        .next()
                        .and_then(|t| t.split('/').next())
                        .is_some_and(|t| t.trim().eq_ignore_ascii_case("displayed"))
                });
                if displayed {
                    report = Some(Report::Receipt);
                }
            }
            ("message", "delivery-status" | "global-delivery-status") => {
                let failed = fields.lines().any(|l| {
                    l.split_once(':').is_some_and(|(k, v)| {
                        k.trim().eq_ignore_ascii_case("Action")
                            && v.trim().eq_ignore_ascii_case("failed")
                    })
                });
                if failed {
                    let reason = field(&fields, "Diagnostic-Code")
                        .or_else(|| field(&fields, "Status"))
                        .unwrap_or_else(|| "niet afgeleverd".to_owned());
                    report = Some(Report::Bounce(reason));
                }
            }
            // The original, returned whole or as its headers.
            ("text", "rfc822-headers")
            | ("message", "rfc822" | "global" | "global-headers" | "rfc822-headers") => {
                about_ours |= ours(field(&fields, "Message-ID"));
                dated = field(&fields, "Date")
                    .and_then(|d| DateTime::parse_from_rfc2822(d.trim()).ok())
                    .or(dated);
            }
            _ => {}
        }
    }
    report.filter(|_| about_ours).map(|r| (r, dated))
}

/// Whether a bounce of a mail dated `returned` is about an attempt before the latest, dated
/// `latest`. Unknown either way (a report without the original's Date, a draft the mail program
/// dated, an attempt made before version 18): not earlier, so the bounce counts, as before.
fn of_an_earlier_attempt(
    returned: Option<DateTime<FixedOffset>>,
    latest: Option<DateTime<FixedOffset>>,
) -> bool {
    matches!((returned, latest), (Some(returned), Some(latest)) if returned < latest)
}

/// The first value of `name` among report fields (unfolded).
fn field(fields: &str, name: &str) -> Option<String> {
    let mut value: Option<String> = None;
    for line in fields.lines() {
        if let Some(v) = value.as_mut() {
            if line.starts_with([' ', '\t']) {
                v.push(' ');
                v.push_str(line.trim());
                continue;
            }
            break;
        }
        if let Some((k, v)) = line.split_once(':')
            && k.trim().eq_ignore_ascii_case(name)
        {
            value = Some(v.trim().to_owned());
        }
    }
    value
}

/// XOAUTH2 for IMAP: the token as the first answer; an error challenge gets an empty answer,
/// after which the server says no.
struct XOAuth2<'a> {
    user: &'a str,
    token: &'a str,
}

impl imap::Authenticator for XOAuth2<'_> {
    type Response = Zeroizing<Vec<u8>>;

    fn process(&self, challenge: &[u8]) -> Self::Response {
        Zeroizing::new(if challenge.is_empty() {
            format!("user={}\x01auth=Bearer {}\x01\x01", self.user, self.token).into_bytes()
        } else {
            Vec::new()
        })
    }
}

/// A signed-in session over TLS (implicit, or after STARTTLS).
fn connect(settings: &ImapSettings) -> Result<Session, OutboxError> {
    let unreachable = |e: &dyn std::fmt::Display| {
        OutboxError::Mailbox(format!("{}:{}: {e}", settings.host, settings.port))
    };
    // Every address the name has, in turn, as the sending side does: a dead IPv6 route first
    // must not make the mailbox unreachable.
    let mut last = None;
    let mut connected = None;
    for address in (settings.host.as_str(), settings.port)
        .to_socket_addrs()
        .map_err(|e| unreachable(&e))?
    {
        match TcpStream::connect_timeout(&address, settings.timeout) {
            Ok(tcp) => {
                connected = Some(tcp);
                break;
            }
            Err(e) => last = Some(e),
        }
    }
    let tcp = match (connected, last) {
        (Some(tcp), _) => tcp,
        (None, Some(e)) => return Err(unreachable(&e)),
        (None, None) => return Err(unreachable(&"geen adres")),
    };
    tcp.set_read_timeout(Some(settings.timeout))
        .map_err(|e| unreachable(&e))?;
    tcp.set_write_timeout(Some(settings.timeout))
        .map_err(|e| unreachable(&e))?;
    let tls = super::smtp::tls_connector(settings.extra_root_pem.as_deref())
        .map_err(|e| unreachable(&e))?;
    let secure = |tcp: TcpStream| {
        tls.connect(&settings.host, tcp)
            .map_err(|e| OutboxError::Mailbox(e.to_string()))
    };
    let client = match settings.security {
        Security::Tls => {
            let mut client = imap::Client::new(secure(tcp)?);
            client.read_greeting().map_err(|e| unreachable(&e))?;
            client
        }
        Security::StartTls => {
            let tcp = starttls(tcp).map_err(|e| unreachable(&e))?;
            imap::Client::new(secure(tcp)?)
        }
    };
    signed_in(client, &settings.sign_in)
}

/// The clear-text part of STARTTLS (RFC 3501, 6.2.1): the greeting, the command, its OK. The
/// imap crate keeps its own STARTTLS to itself (with a TLS setup that cannot take a team's own
/// certificate authority), and the exchange is three lines. Read byte by byte, so nothing meant
/// for TLS is buffered away.
fn starttls(mut tcp: TcpStream) -> std::io::Result<TcpStream> {
    let refused = |line: String| std::io::Error::other(format!("STARTTLS: {}", line.trim()));
    let greeting = line_of(&mut tcp)?;
    if !greeting.starts_with("* OK") {
        return Err(refused(greeting));
    }
    tcp.write_all(b"a0 STARTTLS\r\n")?;
    loop {
        let line = line_of(&mut tcp)?;
        if line.starts_with("a0 OK") {
            return Ok(tcp);
        }
        if line.starts_with("a0 ") {
            return Err(refused(line));
        }
    }
}

fn line_of(tcp: &mut TcpStream) -> std::io::Result<String> {
    let mut line = Vec::new();
    let mut byte = [0u8; 1];
    while line.len() < 8192 {
        tcp.read_exact(&mut byte)?;
        line.push(byte[0]);
        if byte[0] == b'\n' {
            break;
        }
    }
    Ok(String::from_utf8_lossy(&line).into_owned())
}

fn signed_in(
    client: imap::Client<native_tls::TlsStream<TcpStream>>,
    sign_in: &SignIn,
) -> Result<Session, OutboxError> {
    let refused = |(e, _): (imap::Error, _)| OutboxError::MailboxSignIn(e.to_string());
    match sign_in {
        SignIn::Password { username, password } => {
            client.login(username, password.as_str()).map_err(refused)
        }
        SignIn::Token {
            username,
            access_token,
        } => client
            .authenticate(
                "XOAUTH2",
                &XOAuth2 {
                    user: username,
                    token: access_token,
                },
            )
            .map_err(refused),
    }
}

#[cfg(test)]
mod tests;
