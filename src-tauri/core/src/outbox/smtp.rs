//! Delivery by SMTP, through `lettre`: STARTTLS or implicit TLS, always with authentication
//! offered when configured (a password, or an OAuth 2.0 access token by XOAUTH2), never in
//! clear text over the network.
//!
//! **At the wire's speed.** One connection serves a whole sync, and its socket has Nagle's
//! algorithm off. lettre writes a message's body and the final "." in two writes; with Nagle on,
//! the "." waits until the server acknowledges the body, and a server delays that
//! acknowledgement by 40 ms because it has nothing to say before the ".": 40 ms a mail, 4.7 s
//! for 100. lettre opens its own sockets without a way to set the option, so this module opens
//! the socket (with tokio) and hands it to lettre's connection; lettre does the protocol.
//!
//! **Errors a worker can act on.** Every way a delivery can fail is a [`Problem`]: what happened
//! and what to do, in Dutch, with the server's own words kept beside it for IT.

use std::cell::Cell;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Mutex;
use std::task::{Context, Poll};
use std::time::Duration;

use lettre::Address;
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{
    AsyncSmtpConnection, AsyncTokioStream, Certificate, TlsParameters,
};
use lettre::transport::smtp::commands::{Data, Mail, Rcpt};
use lettre::transport::smtp::extension::{ClientId, Extension, MailBodyParameter, MailParameter};
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use ts_rs::TS;
use zeroize::Zeroizing;

use super::{DeliveryError, Pending, Transport};

/// How the connection to the mail server is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum Security {
    /// Plain connection upgraded with STARTTLS before anything is sent (port 587).
    StartTls,
    /// TLS from the first byte (port 465).
    Tls,
}

/// How the app signs in at the mail server. Its `Debug` names the user, never the secret: a
/// derived one would print a `Zeroizing` password or token whole.
#[derive(Clone)]
pub enum SignIn {
    /// A user name and password (AUTH PLAIN or LOGIN). An empty user name: no AUTH at all.
    Password {
        username: String,
        password: Zeroizing<String>,
    },
    /// An OAuth 2.0 access token for the user (XOAUTH2), as Microsoft 365 asks.
    Token {
        username: String,
        access_token: Zeroizing<String>,
    },
}

impl std::fmt::Debug for SignIn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (kind, username) = match self {
            Self::Password { username, .. } => ("Password", username),
            Self::Token { username, .. } => ("Token", username),
        };
        f.debug_struct(kind)
            .field("username", username)
            .finish_non_exhaustive()
    }
}

/// A mail server: where it is, how the connection is secured and how to sign in. The mail
/// server to deliver to, and the worker's mailbox (`receipts::ImapSettings`).
#[derive(Debug, Clone)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    pub security: Security,
    pub sign_in: SignIn,
    /// An extra certificate authority to trust (PEM), e.g. a team's own mail server CA.
    pub extra_root_pem: Option<Vec<u8>>,
    pub timeout: Duration,
}

/// What went wrong with a delivery, as the worker reads it and IT looks it up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum ProblemKind {
    /// No connection: the server is down, the address is wrong, or there is no network.
    Unreachable,
    /// The connection could not be made secure (certificate, TLS version).
    Insecure,
    /// The server refused the user name and password, or the sign-in token.
    SignIn,
    /// The server said "later" (4xx).
    TryLater,
    /// The partner's referral mailbox does not exist (550 and the like at RCPT).
    MailboxUnknown,
    /// The server refused the team's own sender address (at MAIL FROM): every mail would meet
    /// the same answer, so the sync stops and the mails wait.
    SenderRefused,
    /// The mail is too large for the server.
    TooLarge,
    /// The server refused the mail for good for another reason (5xx).
    Refused,
    /// The connection broke, or the server fell silent, before the whole mail went out.
    Dropped,
    /// The whole mail went out, but the server's answer never came: it may have taken it.
    Unanswered,
    /// The mail came back: the partner's server did not deliver it (a bounce).
    Bounced,
    /// The protocol with the partner is not in force that day (the app's own check).
    NoBasis,
    /// The partner is no longer in the register.
    NoPartner,
    /// The mail could not be made.
    Mail,
}

impl ProblemKind {
    /// What happened and what to do, in Dutch, for the partner named `partner` ("de partner"
    /// when the register no longer names it, or for a problem of the server's own).
    pub fn explain(self, partner: Option<&str>) -> String {
        let partner = partner.unwrap_or("de partner");
        match self {
            Self::Unreachable => "De mailserver van het team is niet bereikbaar. Controleer of \
                de computer met het internet verbonden is; Aanmelder probeert het vanzelf \
                opnieuw, of druk op 'Nu verzenden'. Blijft het duren, geef dan de technische \
                melding hieronder aan je ICT-dienst."
                .to_owned(),
            Self::Insecure => "De verbinding met de mailserver kon niet beveiligd worden (het \
                certificaat of de versleuteling klopt niet). Er is niets verzonden. Laat je \
                ICT-dienst de instellingen van de mailserver nakijken."
                .to_owned(),
            Self::SignIn => "De mailserver aanvaardde de aanmelding niet: de gebruikersnaam, het \
                wachtwoord of de aanmelding bij Microsoft 365 klopt niet (meer). Kijk ze na \
                onder Instellingen, of meld opnieuw aan. Staat in de technische melding \
                '5.7.139' of 'SmtpClientAuthentication is disabled', dan mag je account niet \
                verzenden via SMTP: dat kan alleen je ICT-dienst aanzetten."
                .to_owned(),
            Self::TryLater => "De mailserver kon het pakket nu niet aannemen (een tijdelijk \
                probleem). Aanmelder probeert het vanzelf opnieuw."
                .to_owned(),
            Self::MailboxUnknown => format!(
                "Het adres van de aanmeldmailbox van {partner} bestaat niet volgens de \
                 mailserver. Kijk het adres na bij Partners (vraag het zo nodig na bij \
                 {partner}) en verzend dan opnieuw."
            ),
            Self::SenderRefused => "De mailserver weigert je e-mailadres als afzender. Er is \
                niets verzonden. Kijk je e-mailadres na onder Instellingen (het hoort bij de \
                account waarmee Aanmelder bij de mailserver aanmeldt), of vraag je ICT-dienst \
                of je vanaf dat adres mag verzenden; druk daarna op 'Nu verzenden'."
                .to_owned(),
            Self::TooLarge => "Het pakket is te groot voor de mailserver. Vraag je ICT-dienst \
                welke grootte de mailserver toelaat."
                .to_owned(),
            Self::Refused => format!(
                "De mailserver weigerde het pakket voor {partner} voorgoed. Lees de technische \
                 melding hieronder, of geef ze aan je ICT-dienst, en verzend dan opnieuw."
            ),
            Self::Dropped => "De verbinding viel weg terwijl het pakket onderweg was. Het kwam \
                niet aan; Aanmelder probeert het vanzelf opnieuw."
                .to_owned(),
            Self::Unanswered => format!(
                "Het pakket was volledig verstuurd, maar de mailserver antwoordde niet meer: \
                 misschien heeft hij het toch aangenomen. Aanmelder verstuurt het niet vanzelf \
                 opnieuw, zodat {partner} het geen twee keer krijgt. Vraag {partner} of het \
                 aankwam en druk dan op 'Kwam aan' of op 'Opnieuw verzenden'."
            ),
            Self::Bounced => format!(
                "Het pakket kwam terug: de mailserver van {partner} heeft het niet afgeleverd. \
                 Kijk het adres na bij Partners en verzend het bewaarde pakket opnieuw."
            ),
            Self::NoBasis | Self::NoPartner | Self::Mail => String::new(),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unreachable => "unreachable",
            Self::Insecure => "insecure",
            Self::SignIn => "sign_in",
            Self::TryLater => "try_later",
            Self::MailboxUnknown => "mailbox_unknown",
            Self::SenderRefused => "sender_refused",
            Self::TooLarge => "too_large",
            Self::Refused => "refused",
            Self::Dropped => "dropped",
            Self::Unanswered => "unanswered",
            Self::Bounced => "bounced",
            Self::NoBasis => "no_basis",
            Self::NoPartner => "no_partner",
            Self::Mail => "mail",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [
            Self::Unreachable,
            Self::Insecure,
            Self::SignIn,
            Self::TryLater,
            Self::MailboxUnknown,
            Self::SenderRefused,
            Self::TooLarge,
            Self::Refused,
            Self::Dropped,
            Self::Unanswered,
            Self::Bounced,
            Self::NoBasis,
            Self::NoPartner,
            Self::Mail,
        ]
        .into_iter()
        .find(|k| k.as_str() == text)
    }
}

/// A failed delivery: its kind and the server's (or the system's) own words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub kind: ProblemKind,
    pub detail: String,
}

/// The socket lettre speaks over, TLS from the first byte: lettre can only wrap a plain socket
/// in TLS after STARTTLS, so for implicit TLS the socket comes wrapped.
#[derive(Debug)]
struct TlsSocket {
    stream: tokio_native_tls::TlsStream<TcpStream>,
    peer: SocketAddr,
}

impl AsyncRead for TlsSocket {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for TlsSocket {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

impl AsyncTokioStream for TlsSocket {
    fn peer_addr(&self) -> io::Result<SocketAddr> {
        Ok(self.peer)
    }
}

/// A configured SMTP client. One connection is kept open between mails of a sync and closed by
/// [`Transport::finish`].
pub struct Smtp {
    settings: SmtpSettings,
    tls: TlsParameters,
    runtime: tokio::runtime::Runtime,
    open: Mutex<Option<AsyncSmtpConnection>>,
}

impl std::fmt::Debug for Smtp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Smtp")
            .field("host", &self.settings.host)
            .field("port", &self.settings.port)
            .finish_non_exhaustive()
    }
}

impl Smtp {
    pub fn new(settings: &SmtpSettings) -> Result<Self, SmtpError> {
        let mut tls = TlsParameters::builder(settings.host.clone());
        if let Some(pem) = &settings.extra_root_pem {
            tls = tls.add_root_certificate(
                Certificate::from_pem(pem).map_err(|e| SmtpError::Certificate(e.to_string()))?,
            );
        }
        let tls = tls
            .build()
            .map_err(|e| SmtpError::Certificate(e.to_string()))?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .enable_time()
            .build()
            .map_err(|e| SmtpError::Runtime(e.to_string()))?;
        Ok(Self {
            settings: settings.clone(),
            tls,
            runtime,
            open: Mutex::new(None),
        })
    }

    /// Whether the server takes connections: used to start a sync when the network comes back.
    /// It does not sign in: an OAuth token is fetched only when a sync runs, and a refused
    /// sign-in is the sync's to report.
    pub fn reachable(&self) -> bool {
        let s = &self.settings;
        self.runtime.block_on(async {
            matches!(
                tokio::time::timeout(s.timeout, TcpStream::connect((s.host.as_str(), s.port)))
                    .await,
                Ok(Ok(_))
            )
        })
    }

    /// A connection ready to send: secured, greeted and signed in.
    async fn connect(&self) -> Result<AsyncSmtpConnection, Problem> {
        let s = &self.settings;
        let unreachable = |e: &dyn std::fmt::Display| Problem {
            kind: ProblemKind::Unreachable,
            detail: format!("{}:{}: {e}", s.host, s.port),
        };
        let tcp = tokio::time::timeout(s.timeout, TcpStream::connect((s.host.as_str(), s.port)))
            .await
            .map_err(|e| unreachable(&e))?
            .map_err(|e| unreachable(&e))?;
        // The reason for opening the socket here: see the module's documentation.
        tcp.set_nodelay(true).map_err(|e| unreachable(&e))?;
        let peer = tcp.peer_addr().map_err(|e| unreachable(&e))?;
        let hello = ClientId::default();
        let mut conn = match s.security {
            Security::StartTls => {
                let mut conn = tokio::time::timeout(
                    s.timeout,
                    AsyncSmtpConnection::connect_with_transport(Box::new(tcp), &hello),
                )
                .await
                .map_err(|e| unreachable(&e))?
                .map_err(|e| problem(&e))?;
                tokio::time::timeout(s.timeout, conn.starttls(self.tls.clone(), &hello))
                    .await
                    .map_err(|e| unreachable(&e))?
                    .map_err(|e| Problem {
                        kind: ProblemKind::Insecure,
                        detail: e.to_string(),
                    })?;
                conn
            }
            Security::Tls => {
                let stream = tokio::time::timeout(s.timeout, self.implicit_tls(tcp))
                    .await
                    .map_err(|e| unreachable(&e))??;
                tokio::time::timeout(
                    s.timeout,
                    AsyncSmtpConnection::connect_with_transport(
                        Box::new(TlsSocket { stream, peer }),
                        &hello,
                    ),
                )
                .await
                .map_err(|e| unreachable(&e))?
                .map_err(|e| problem(&e))?
            }
        };
        let credentials = match &s.sign_in {
            SignIn::Password { username, .. } if username.is_empty() => None,
            SignIn::Password { username, password } => Some((
                Credentials::new(username.clone(), password.to_string()),
                vec![Mechanism::Plain, Mechanism::Login],
            )),
            SignIn::Token {
                username,
                access_token,
            } => Some((
                Credentials::new(username.clone(), access_token.to_string()),
                vec![Mechanism::Xoauth2],
            )),
        };
        if let Some((credentials, mechanisms)) = credentials {
            tokio::time::timeout(s.timeout, conn.auth(&mechanisms, &credentials))
                .await
                .map_err(|e| unreachable(&e))?
                .map_err(|e| auth_problem(&e))?;
        }
        Ok(conn)
    }

    async fn implicit_tls(
        &self,
        tcp: TcpStream,
    ) -> Result<tokio_native_tls::TlsStream<TcpStream>, Problem> {
        let insecure = |e: &dyn std::fmt::Display| Problem {
            kind: ProblemKind::Insecure,
            detail: e.to_string(),
        };
        let connector = tokio_native_tls::TlsConnector::from(
            tls_connector(self.settings.extra_root_pem.as_deref()).map_err(|e| insecure(&e))?,
        );
        connector
            .connect(&self.settings.host, tcp)
            .await
            .map_err(|e| insecure(&e))
    }

    /// Hands one mail to the server: the envelope (MAIL, RCPT, DATA), then the message. A
    /// failure before the whole message went out means the server cannot have taken it; once
    /// it all went (the final "." follows at once), a connection that breaks or a server that
    /// falls silent leaves it unknown whether the server took it: [`DeliveryError::Unanswered`],
    /// never retried by itself, so the OCMW does not get it twice (RFC 1047).
    async fn send(
        &self,
        conn: &mut AsyncSmtpConnection,
        pending: Pending<'_>,
    ) -> Result<(), DeliveryError> {
        let deadline = tokio::time::Instant::now() + self.settings.timeout;
        match tokio::time::timeout_at(deadline, envelope(conn, &pending)).await {
            Err(elapsed) => return Err(unanswered(false, elapsed.to_string())),
            Ok(Err((command, e))) => {
                if e.status().is_some() {
                    // The server answered: say goodbye properly before the line is dropped.
                    let _ = tokio::time::timeout_at(deadline, conn.abort()).await;
                }
                if command == Command::Sender && e.is_permanent() {
                    return Err(sender_refused(&e));
                }
                return Err(failure(&e, false));
            }
            Ok(Ok(())) => {}
        }
        // Withheld: the connection, left inside DATA, is dropped, and the server discards what
        // it has of this mail.
        let mail = pending.claimed()?;
        let written = Cell::new(false);
        let body = Body {
            bytes: Some(&mail.bytes),
            written: &written,
        };
        match tokio::time::timeout_at(deadline, conn.message_iter(body)).await {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) => Err(failure(&e, written.get())),
            Err(elapsed) => Err(unanswered(written.get(), elapsed.to_string())),
        }
    }
}

/// Which command of the envelope the server refused: a refused MAIL FROM is about the team's
/// sender address, never about the partner's mailbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Command {
    Sender,
    Recipient,
    Data,
}

/// MAIL FROM, RCPT TO and DATA, with the options the message and addresses need (as lettre's
/// own `send` asks them).
async fn envelope(
    conn: &mut AsyncSmtpConnection,
    mail: &Pending<'_>,
) -> Result<(), (Command, lettre::transport::smtp::Error)> {
    let mut options = Vec::new();
    let info = conn.server_info();
    let ascii = |a: &Address| AsRef::<str>::as_ref(a).is_ascii();
    if !(ascii(mail.from()) && ascii(mail.to())) && info.supports_feature(Extension::SmtpUtfEight) {
        options.push(MailParameter::SmtpUtfEight);
    }
    if !mail.is_ascii() && info.supports_feature(Extension::EightBitMime) {
        options.push(MailParameter::Body(MailBodyParameter::EightBitMime));
    }
    conn.command(Mail::new(Some(mail.from().clone()), options))
        .await
        .map_err(|e| (Command::Sender, e))?;
    conn.command(Rcpt::new(mail.to().clone(), Vec::new()))
        .await
        .map_err(|e| (Command::Recipient, e))?;
    conn.command(Data).await.map_err(|e| (Command::Data, e))?;
    Ok(())
}

/// A message as lettre writes it, in one part: `written` turns true when lettre asks for the
/// part after it, that is once the whole message is written and flushed and only the final "."
/// is left to write.
struct Body<'a> {
    bytes: Option<&'a [u8]>,
    written: &'a Cell<bool>,
}

impl<'a> Iterator for Body<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        let part = self.bytes.take();
        if part.is_none() {
            self.written.set(true);
        }
        part
    }
}

/// A send that got no answer (the line broke, or the time ran out). Before the whole mail went
/// out the server cannot have taken it and it is tried again; after, it may have.
fn unanswered(all_went: bool, detail: String) -> DeliveryError {
    if all_went {
        DeliveryError::Unanswered(Problem {
            kind: ProblemKind::Unanswered,
            detail,
        })
    } else {
        DeliveryError::Interrupted(Problem {
            kind: ProblemKind::Dropped,
            detail,
        })
    }
}

/// A failed command or message: the server's answer says which, and without one it went
/// unanswered (see [`unanswered`]).
fn failure(e: &lettre::transport::smtp::Error, all_went: bool) -> DeliveryError {
    if e.is_permanent() {
        DeliveryError::Permanent(problem(e))
    } else if e.is_transient() {
        DeliveryError::Transient(problem(e))
    } else {
        unanswered(all_went, e.to_string())
    }
}

/// A permanent refusal of MAIL FROM: the sign-in when the server wants one first (530 and the
/// like), otherwise the sender address. Either way the partner's mailbox is not to blame, and
/// the mail waits (as for a refused sign-in) until the worker has fixed the settings.
fn sender_refused(e: &lettre::transport::smtp::Error) -> DeliveryError {
    let mut p = problem(e);
    if p.kind != ProblemKind::SignIn {
        p.kind = ProblemKind::SenderRefused;
    }
    DeliveryError::Transient(p)
}

/// The system's TLS and trust store, and the team's own certificate authority if it has one:
/// for an implicit-TLS mail server and for the mailbox.
pub(super) fn tls_connector(
    extra_root_pem: Option<&[u8]>,
) -> Result<native_tls::TlsConnector, native_tls::Error> {
    let mut builder = native_tls::TlsConnector::builder();
    if let Some(pem) = extra_root_pem {
        builder.add_root_certificate(native_tls::Certificate::from_pem(pem)?);
    }
    builder.build()
}

/// A reply of the server, as a problem: its code says which.
fn problem(e: &lettre::transport::smtp::Error) -> Problem {
    let detail = e.to_string();
    let code = e.status().map(|c| c.to_string()).unwrap_or_default();
    let kind = if e.is_transient() {
        ProblemKind::TryLater
    } else if e.is_permanent() {
        match code.as_str() {
            "550" | "551" | "553" if mentions_mailbox(&detail) => ProblemKind::MailboxUnknown,
            "552" if detail.contains("5.3.4") || detail.to_lowercase().contains("size") => {
                ProblemKind::TooLarge
            }
            "535" | "534" | "530" => ProblemKind::SignIn,
            _ => ProblemKind::Refused,
        }
    } else if e.is_tls() {
        ProblemKind::Insecure
    } else {
        ProblemKind::Unreachable
    };
    Problem { kind, detail }
}

/// A failed AUTH: a refusal for good is the sign-in's, whatever its code (Microsoft 365 says
/// "535 5.7.139" when SMTP sign-in is switched off for the account, which only IT can change;
/// the explanation says so), and so is a sign-in the client cannot even try (the server offers
/// none of the ways the settings sign in: OAuth chosen for a server without XOAUTH2). A "later"
/// (454) or a line that broke is not: the worker's password is not to blame, and the mails wait
/// for the next attempt instead of for new settings.
fn auth_problem(e: &lettre::transport::smtp::Error) -> Problem {
    let mut p = problem(e);
    if e.is_permanent() || e.is_client() {
        p.kind = ProblemKind::SignIn;
    } else if !e.is_transient() && p.kind == ProblemKind::Unreachable {
        p.kind = ProblemKind::Dropped;
    }
    p
}

/// Whether a refusal is about the partner's mailbox, so that the worker is sent to fix its
/// address. By the enhanced status code when the server gives one (RFC 3463: 5.1.x is about an
/// address, but 5.1.7 and 5.1.8 about the sender's); a policy refusal such as "5.7.1 Recipient
/// address rejected: Access denied" is not. From a server without such codes, by its words.
fn mentions_mailbox(detail: &str) -> bool {
    let lower = detail.to_lowercase();
    // "Sender address rejected" after the mail (at MAIL FROM it never gets here).
    if lower.contains("sender") {
        return false;
    }
    if let Some((class, subject, detail)) = enhanced_status(detail) {
        return class == 5 && subject == 1 && !matches!(detail, 7 | 8);
    }
    [
        "user unknown",
        "unknown user",
        "no such user",
        "no such mailbox",
        "mailbox unknown",
        "mailbox unavailable",
        "mailbox not found",
        "recipient not found",
        "unknown recipient",
        "does not exist",
    ]
    .iter()
    .any(|w| lower.contains(w))
}

/// The first enhanced status code (`5.1.1`, RFC 3463) in a server's reply, as numbers.
fn enhanced_status(reply: &str) -> Option<(u16, u16, u16)> {
    reply.split_whitespace().find_map(|word| {
        let mut parts = word
            .trim_end_matches([',', ';', ':', '.'])
            .split('.')
            .map(|p| {
                (!p.is_empty() && p.len() <= 3 && p.bytes().all(|b| b.is_ascii_digit()))
                    .then(|| p.parse::<u16>().ok())
                    .flatten()
            });
        let code = (parts.next()??, parts.next()??, parts.next()??);
        (parts.next().is_none() && matches!(code.0, 2 | 4 | 5)).then_some(code)
    })
}

impl Transport for Smtp {
    fn deliver(&self, mail: Pending<'_>) -> Result<(), DeliveryError> {
        let open = self
            .open
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take();
        self.runtime.block_on(async {
            let mut conn = match open {
                Some(conn) if !conn.has_broken() => conn,
                _ => self.connect().await.map_err(|p| match p.kind {
                    ProblemKind::SignIn | ProblemKind::Insecure => DeliveryError::Transient(p),
                    _ => DeliveryError::Interrupted(p),
                })?,
            };
            let sent = self.send(&mut conn, mail).await;
            // Only a connection that just delivered serves the next mail. lettre closes one
            // that got an error itself, but a send cut off by our timeout stops mid-exchange
            // with the connection looking whole: the next mail's commands would land inside
            // this one's DATA.
            if sent.is_ok() && !conn.has_broken() {
                *self
                    .open
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(conn);
            }
            sent
        })
    }

    fn finish(&self) {
        let open = self
            .open
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take();
        if let Some(mut conn) = open {
            self.runtime.block_on(async {
                let _ = tokio::time::timeout(self.settings.timeout, conn.quit()).await;
            });
        }
    }
}

/// Why the SMTP settings cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum SmtpError {
    #[error("Het certificaat voor de mailserver is onbruikbaar: {0}")]
    Certificate(String),
    #[error("Aanmelder kon geen verbinding voorbereiden: {0}")]
    Runtime(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_settings_printed_for_debugging_hold_no_password_or_token() {
        let settings = |sign_in| SmtpSettings {
            host: "smtp.office365.com".into(),
            port: 587,
            security: Security::StartTls,
            sign_in,
            extra_root_pem: None,
            timeout: Duration::from_secs(30),
        };
        for sign_in in [
            SignIn::Password {
                username: "an.peeters@team.example".into(),
                password: Zeroizing::new("geheim-wachtwoord".into()),
            },
            SignIn::Token {
                username: "an.peeters@team.example".into(),
                access_token: Zeroizing::new("eyJ-geheim-token".into()),
            },
        ] {
            let printed = format!("{:?}", settings(sign_in));
            assert!(printed.contains("an.peeters@team.example"), "{printed}");
            assert!(!printed.contains("geheim"), "{printed}");
        }
    }

    #[test]
    fn a_refusal_leads_to_the_partners_mailbox_only_when_it_is_about_that_address() {
        for about_the_address in [
            // Postfix, Exchange Online, an address the server cannot even parse.
            "permanent error (550): 5.1.1 <a@b.be>: Recipient address rejected: User unknown",
            "permanent error (550): 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found",
            "permanent error (553): 5.1.3 Bad recipient address syntax",
            // Servers without enhanced codes.
            "permanent error (550): No such user here",
            "permanent error (550): Requested action not taken: mailbox unavailable",
        ] {
            assert!(mentions_mailbox(about_the_address), "{about_the_address}");
        }
        for not_the_address in [
            "permanent error (550): 5.7.1 <a@b.be>: Recipient address rejected: Access denied",
            "permanent error (554): 5.7.1 <a@b.be>: Relay access denied",
            "permanent error (553): 5.1.8 <an@team.be>: Sender address rejected: Domain not found",
            // After the mail, about the sender, in words that alone would blame the mailbox.
            "permanent error (550): 5.1.0 <an@team.be>: Sender address rejected: User unknown",
            "permanent error (550): 5.7.708 Access denied, traffic not accepted from this IP",
            "permanent error (550): Recipient rejected by policy",
        ] {
            assert!(!mentions_mailbox(not_the_address), "{not_the_address}");
        }
        assert_eq!(enhanced_status("x (550): 5.1.10 y"), Some((5, 1, 10)));
        assert_eq!(enhanced_status("version 1.2.3 only"), None);
        assert_eq!(enhanced_status("no code at all"), None);
    }

    #[test]
    fn the_body_counts_as_written_only_once_lettre_asks_past_it() {
        let written = Cell::new(false);
        let mut body = Body {
            bytes: Some(b"Subject: x\r\n\r\nbody"),
            written: &written,
        };
        assert!(body.next().is_some());
        assert!(!written.get(), "handed over is not yet written");
        assert!(body.next().is_none());
        assert!(written.get());
    }
}
