//! A real SMTP server process on loopback (aiosmtpd, `tests/support/smtp_server.py`) with a fresh
//! self-signed certificate: STARTTLS required, AUTH required. Closing its standard input (on
//! drop) stops it, so it never outlives the test.

use std::io::BufRead as _;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};

/// The user and password the server accepts.
pub const USER: &str = "aanmelder";
pub const PASSWORD: &str = "geheim-smtp-wachtwoord";

/// Writes a fresh self-signed certificate for `localhost` (`cert.pem`) and its key (`key.pem`)
/// into `dir`, with openssl, as a server's own certificate would be.
pub fn self_signed(dir: &Path) -> crate::Result<()> {
    let ok = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-subj",
            "/CN=localhost",
        ])
        .args(["-addext", "subjectAltName=DNS:localhost", "-days", "1"])
        .args(["-keyout", "key.pem", "-out", "cert.pem"])
        .current_dir(dir)
        .stderr(Stdio::null())
        .status()
        .map_err(|e| format!("openssl is missing ({e}): run scripts/setup.sh --test"))?;
    if !ok.success() {
        return Err("openssl could not make the test certificate".into());
    }
    Ok(())
}

#[derive(Debug)]
pub struct SmtpServer {
    child: Child,
    stdin: Option<ChildStdin>,
    pub port: u16,
    dir: tempfile::TempDir,
    /// The server's certificate (PEM), for the client to trust.
    pub cert: Vec<u8>,
}

impl SmtpServer {
    pub fn start() -> crate::Result<Self> {
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        self_signed(dir.path())?;
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("support/smtp_server.py");
        let mail = dir.path().join("mail");
        std::fs::create_dir(&mail).map_err(|e| e.to_string())?;
        let mut child = Command::new("python3")
            .arg(script)
            .arg(&mail)
            .args(["cert.pem", "key.pem", USER, PASSWORD])
            .current_dir(dir.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .map_err(|e| format!("python3 is missing ({e})"))?;
        let mut line = String::new();
        if let Some(out) = child.stdout.take() {
            std::io::BufReader::new(out)
                .read_line(&mut line)
                .map_err(|e| e.to_string())?;
        }
        let port = line
            .strip_prefix("PORT ")
            .and_then(|p| p.trim().parse().ok())
            .ok_or_else(|| {
                format!("the SMTP server did not start ({line:?}): run scripts/setup.sh --test for aiosmtpd")
            })?;
        let cert = std::fs::read(dir.path().join("cert.pem")).map_err(|e| e.to_string())?;
        Ok(Self {
            stdin: child.stdin.take(),
            child,
            port,
            dir,
            cert,
        })
    }

    /// The messages the server accepted, oldest first, as written to disk.
    pub fn received(&self) -> Vec<PathBuf> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(self.dir.path().join("mail"))
            .map(|entries| entries.filter_map(|e| e.ok().map(|e| e.path())).collect())
            .unwrap_or_default();
        files.sort_by_key(|p| {
            p.file_stem()
                .and_then(|s| s.to_str())
                .and_then(|s| s.parse::<u32>().ok())
        });
        files
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        drop(self.stdin.take());
        let _ = self.child.wait();
    }
}
