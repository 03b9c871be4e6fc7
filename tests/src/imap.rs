//! A real IMAP server on loopback: Debian's Dovecot, run by the test from a configuration in a
//! temporary folder (no system service), TLS from the first byte with a fresh self-signed
//! certificate, one user with a password. Mail is dropped into the user's Maildir as a mail
//! server would deliver it. Dovecot's raw log keeps what the client asked, so a test can check
//! which messages it read. SIGTERM on drop.

use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::smtp::self_signed;

/// The mailbox's user and password.
pub const USER: &str = "an.peeters@example.be";
pub const PASSWORD: &str = "geheim-imap-wachtwoord";

/// Dovecot's user for the mail files.
const NOBODY: u32 = 65534;

#[derive(Debug)]
pub struct ImapServer {
    child: Child,
    dir: tempfile::TempDir,
    pub port: u16,
    /// The server's certificate (PEM), for the client to trust.
    pub cert: Vec<u8>,
    delivered: u32,
}

fn dovecot_binary() -> PathBuf {
    ["/usr/sbin/dovecot", "/usr/local/sbin/dovecot"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.is_file())
        .unwrap_or_else(|| PathBuf::from("dovecot"))
}

/// Makes `path` a folder Dovecot's mail user may write in.
fn for_nobody(path: &Path) -> crate::Result<()> {
    std::fs::create_dir_all(path).map_err(|e| e.to_string())?;
    std::os::unix::fs::chown(path, Some(NOBODY), Some(NOBODY)).map_err(|e| e.to_string())
}

impl ImapServer {
    pub fn start() -> crate::Result<Self> {
        Self::launch(None, None)
    }

    /// The team's mailbox beside its mail server `smtp`: the same host's certificate, and the
    /// mail server's user with its password too, so one sign-in serves both, as the app's
    /// settings have it.
    pub fn beside(smtp: &crate::smtp::SmtpServer) -> crate::Result<Self> {
        Self::launch(None, Some(smtp))
    }

    /// Beside `smtp`, also taking AUTH XOAUTH2, each token checked at `provider` (Dovecot's own
    /// oauth2 passdb, by introspection), as Exchange Online does for Microsoft 365.
    pub fn with_oauth(
        provider: &crate::oauth::OAuthProvider,
        smtp: &crate::smtp::SmtpServer,
    ) -> crate::Result<Self> {
        Self::launch(Some(provider), Some(smtp))
    }

    fn launch(
        oauth: Option<&crate::oauth::OAuthProvider>,
        beside: Option<&crate::smtp::SmtpServer>,
    ) -> crate::Result<Self> {
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let root = dir.path();
        // Dovecot's processes run as nobody and must reach everything below.
        std::fs::set_permissions(root, std::os::unix::fs::PermissionsExt::from_mode(0o755))
            .map_err(|e| e.to_string())?;
        match beside {
            Some(smtp) => {
                for file in ["cert.pem", "key.pem"] {
                    std::fs::copy(smtp.folder().join(file), root.join(file))
                        .map_err(|e| e.to_string())?;
                }
            }
            None => self_signed(root)?,
        }
        let port = crate::free_port()?;
        for sub in ["run", "state"] {
            std::fs::create_dir_all(root.join(sub)).map_err(|e| e.to_string())?;
        }
        for_nobody(&root.join("mail"))?;
        for_nobody(&root.join("rawlog"))?;
        std::fs::write(
            root.join("passwd"),
            format!(
                "{USER}:{{PLAIN}}{PASSWORD}\n{}:{{PLAIN}}{}\n",
                crate::smtp::USER,
                crate::smtp::PASSWORD
            ),
        )
        .map_err(|e| e.to_string())?;
        let t = root.display();
        let (mechanisms, oauth_passdb) = match oauth {
            None => ("plain login", String::new()),
            Some(provider) => {
                let introspection = provider.introspection_url().replacen(
                    "http://",
                    &format!(
                        "http://{}:{}@",
                        crate::oauth::SERVER_CLIENT,
                        crate::oauth::SERVER_SECRET
                    ),
                    1,
                );
                std::fs::write(
                    root.join("oauth2.conf.ext"),
                    format!(
                        "introspection_mode = post\nintrospection_url = {introspection}\n\
                         username_attribute = sub\nactive_attribute = active\n\
                         active_value = true\nforce_introspection = yes\n"
                    ),
                )
                .map_err(|e| e.to_string())?;
                (
                    "plain login xoauth2",
                    format!(
                        "passdb {{\n  driver = oauth2\n  mechanisms = xoauth2\n  \
                         args = {t}/oauth2.conf.ext\n}}\n"
                    ),
                )
            }
        };
        let config = format!(
            "base_dir = {t}/run
state_dir = {t}/state
log_path = {t}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = required
ssl_cert = <{t}/cert.pem
ssl_key = <{t}/key.pem
auth_mechanisms = {mechanisms}
auth_failure_delay = 0
default_internal_user = root
default_internal_group = root
default_login_user = nobody
mail_location = maildir:{t}/mail/%u
mail_uid = nobody
mail_gid = nogroup
first_valid_uid = 1
service imap-login {{
  inet_listener imap {{
    port = 0
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {port}
    ssl = yes
  }}
}}
protocol imap {{
  rawlog_dir = {t}/rawlog
}}
{oauth_passdb}passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {t}/passwd
}}
userdb {{
  driver = static
  args = uid=nobody gid=nogroup home={t}/mail/%u
}}
"
        );
        std::fs::write(root.join("dovecot.conf"), config).map_err(|e| e.to_string())?;
        let child = Command::new(dovecot_binary())
            .args(["-F", "-c"])
            .arg(root.join("dovecot.conf"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| {
                format!("dovecot is missing ({e}): run scripts/setup.sh --test for dovecot-imapd")
            })?;
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if Instant::now() > deadline {
                let log = std::fs::read_to_string(root.join("dovecot.log")).unwrap_or_default();
                return Err(format!("dovecot did not listen on {port}: {log}"));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let cert = std::fs::read(root.join("cert.pem")).map_err(|e| e.to_string())?;
        Ok(Self {
            child,
            dir,
            port,
            cert,
            delivered: 0,
        })
    }

    /// Drops `raw` into the user's inbox, as a mail server delivers it.
    pub fn deliver(&mut self, raw: &[u8]) -> crate::Result<()> {
        self.deliver_to(USER, raw)
    }

    /// Drops `raw` into `user`'s inbox.
    pub fn deliver_to(&mut self, user: &str, raw: &[u8]) -> crate::Result<()> {
        let maildir = self.dir.path().join("mail").join(user);
        for sub in ["", "cur", "new", "tmp"] {
            for_nobody(&maildir.join(sub))?;
        }
        self.delivered += 1;
        let name = format!(
            "{}.M{}P1.test",
            1_700_000_000 + self.delivered,
            self.delivered
        );
        let tmp = maildir.join("tmp").join(&name);
        std::fs::write(&tmp, raw).map_err(|e| e.to_string())?;
        std::os::unix::fs::chown(&tmp, Some(NOBODY), Some(NOBODY)).map_err(|e| e.to_string())?;
        std::fs::rename(&tmp, maildir.join("new").join(name)).map_err(|e| e.to_string())
    }

    /// What a move of the mailbox to another server does to it: the mails stay, with their
    /// arrival times, but are numbered again under a new UIDVALIDITY. Dovecot forgets the UIDs
    /// it gave (its UID list and index) and makes new ones at the next look; its record of the
    /// last UIDVALIDITY it handed out stays, so the new one is higher.
    pub fn renumber(&self, user: &str) -> crate::Result<()> {
        let maildir = self.dir.path().join("mail").join(user);
        let before = self.uid_validity(user);
        for entry in std::fs::read_dir(&maildir).map_err(|e| e.to_string())? {
            let path = entry.map_err(|e| e.to_string())?.path();
            let name = path.file_name().unwrap_or_default().to_string_lossy();
            if name.starts_with("dovecot-uidlist") || name.starts_with("dovecot.index") {
                std::fs::remove_file(&path).map_err(|e| e.to_string())?;
            }
        }
        if before.is_none() {
            return Err("the mailbox was never looked at: nothing to renumber".into());
        }
        Ok(())
    }

    /// The UIDVALIDITY Dovecot gave `user`'s inbox, from its UID list (`3 V<validity> N…`);
    /// `None` before anyone looked.
    pub fn uid_validity(&self, user: &str) -> Option<u32> {
        let list = self
            .dir
            .path()
            .join("mail")
            .join(user)
            .join("dovecot-uidlist");
        let text = std::fs::read_to_string(list).ok()?;
        text.lines()
            .next()?
            .split_whitespace()
            .find_map(|w| w.strip_prefix('V'))?
            .parse()
            .ok()
    }

    /// Every command the clients sent, as Dovecot's raw log kept it.
    pub fn commands(&self) -> Vec<String> {
        let mut lines = Vec::new();
        let Ok(entries) = std::fs::read_dir(self.dir.path().join("rawlog")) else {
            return lines;
        };
        for entry in entries.flatten() {
            if entry.path().extension().is_some_and(|e| e == "in") {
                let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
                lines.extend(text.lines().map(str::to_owned));
            }
        }
        lines
    }
}

impl Drop for ImapServer {
    fn drop(&mut self) {
        crate::terminate(&mut self.child);
    }
}

/// A read receipt (RFC 8098) for the mail `message_id`, from the OCMW's mail program.
pub fn read_receipt(message_id: &str) -> Vec<u8> {
    report(
        "disposition-notification",
        "message/disposition-notification",
        &format!(
            "Reporting-UA: ocmw.example; Outlook\r\nFinal-Recipient: rfc822; \
             aanmelding@ocmw.example\r\nOriginal-Message-ID: {message_id}\r\n\
             Disposition: manual-action/MDN-sent-manually; displayed"
        ),
        message_id,
        "Gelezen: Aanmelding",
    )
}

/// A bounce (RFC 3464) of the mail `message_id`: the mailbox does not exist.
pub fn bounce(message_id: &str) -> Vec<u8> {
    report(
        "delivery-status",
        "message/delivery-status",
        "Reporting-MTA: dns; mx.ocmw.example\r\n\r\nFinal-Recipient: rfc822; \
         weg@ocmw.example\r\nAction: failed\r\nStatus: 5.1.1\r\nDiagnostic-Code: smtp; 550 \
         5.1.1 <weg@ocmw.example>: Recipient address rejected: User unknown",
        message_id,
        "Undelivered Mail Returned to Sender",
    )
}

/// The same bounce, returning the original's `Date` too (RFC 5322 form), as servers return its
/// headers: each attempt to send a package has the package's Message-ID but its own Date.
pub fn bounce_dated(message_id: &str, date: &str) -> Vec<u8> {
    let ours = format!("Message-ID: {message_id}\r\n");
    String::from_utf8_lossy(&bounce(message_id))
        .replace(&ours, &format!("{ours}Date: {date}\r\n"))
        .into_bytes()
}

/// A reply of the OCMW to the mail `message_id` of `reference`, as a mail program writes it
/// (In-Reply-To and References name the mail it answers).
pub fn reply(reference: &str, message_id: &str) -> Vec<u8> {
    format!(
        "From: Sociale dienst <aanmelding@ocmw.example>\r\nTo: {USER}\r\n\
         Subject: RE: Aanmelding {reference} – Kind en Gezin\r\n\
         In-Reply-To: {message_id}\r\nReferences: {message_id}\r\nMIME-Version: 1.0\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\r\nGoed ontvangen, dank u.\r\n"
    )
    .into_bytes()
}

/// An out-of-office answer to the mail `message_id`: it says nothing of the package being read.
pub fn out_of_office(message_id: &str) -> Vec<u8> {
    format!(
        "From: Sociale dienst <aanmelding@ocmw.example>\r\nTo: {USER}\r\n\
         Subject: Automatisch antwoord: Aanmelding\r\nAuto-Submitted: auto-replied\r\n\
         In-Reply-To: {message_id}\r\nMIME-Version: 1.0\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\r\nAfwezig tot maandag.\r\n"
    )
    .into_bytes()
}

/// Automatic answers to the mail `message_id` that carry no `Auto-Submitted`: a ticketing
/// system's acknowledgement marked by `Precedence`, and older programs' `X-Autoreply` and
/// `X-Autorespond`. None says the package was read.
pub fn acknowledgements(message_id: &str) -> Vec<Vec<u8>> {
    [
        "Precedence: auto_reply",
        "X-Autoreply: yes",
        "X-Autorespond: yes",
    ]
    .iter()
    .map(|marker| {
        format!(
            "From: Helpdesk <aanmelding@ocmw.example>\r\nTo: {USER}\r\n\
                 Subject: [Ticket 4711] RE: Aanmelding\r\n{marker}\r\n\
                 In-Reply-To: {message_id}\r\nReferences: {message_id}\r\nMIME-Version: 1.0\r\n\
                 Content-Type: text/plain; charset=utf-8\r\n\r\nUw bericht werd geregistreerd.\r\n"
        )
        .into_bytes()
    })
    .collect()
}

/// A mail that has nothing to do with any package.
pub fn unrelated() -> Vec<u8> {
    format!(
        "From: collega@example.be\r\nTo: {USER}\r\nSubject: Teamvergadering\r\n\
         MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\
         Dinsdag om tien uur, met koffie.\r\n"
    )
    .into_bytes()
}

fn report(
    report_type: &str,
    part_type: &str,
    fields: &str,
    message_id: &str,
    subject: &str,
) -> Vec<u8> {
    format!(
        "From: MAILER-DAEMON@ocmw.example\r\nTo: {USER}\r\nSubject: {subject}\r\n\
         MIME-Version: 1.0\r\n\
         Content-Type: multipart/report; report-type={report_type}; boundary=\"grens\"\r\n\r\n\
         --grens\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nOver uw bericht.\r\n\
         --grens\r\nContent-Type: {part_type}\r\n\r\n{fields}\r\n\
         --grens\r\nContent-Type: text/rfc822-headers\r\n\r\nMessage-ID: {message_id}\r\n\
         Subject: Aanmelding\r\n--grens--\r\n"
    )
    .into_bytes()
}
