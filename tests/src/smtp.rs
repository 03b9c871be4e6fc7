//! A real SMTP server process on loopback (aiosmtpd, `tests/support/smtp_server.py`) with a fresh
//! self-signed certificate: STARTTLS required, AUTH required. Closing its standard input (on
//! drop) stops it, so it never outlives the test.

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
    introspection: Vec<String>,
}

impl SmtpServer {
    pub fn start() -> crate::Result<Self> {
        Self::launch(&[])
    }

    /// A server that also takes AUTH XOAUTH2, checking each token at `provider`.
    pub fn start_with_oauth(provider: &crate::oauth::OAuthProvider) -> crate::Result<Self> {
        Self::launch(&[
            provider.introspection_url(),
            crate::oauth::SERVER_CLIENT.to_owned(),
            crate::oauth::SERVER_SECRET.to_owned(),
        ])
    }

    fn launch(introspection: &[String]) -> crate::Result<Self> {
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        self_signed(dir.path())?;
        std::fs::create_dir(dir.path().join("mail")).map_err(|e| e.to_string())?;
        let (child, port) = Self::run(dir.path(), introspection, 0)?;
        let cert = std::fs::read(dir.path().join("cert.pem")).map_err(|e| e.to_string())?;
        let mut server = Self {
            stdin: None,
            child,
            port,
            dir,
            cert,
            introspection: introspection.to_vec(),
        };
        server.stdin = server.child.stdin.take();
        Ok(server)
    }

    /// Starts the server process in `dir` on `port` (0: any free one); returns it and its port.
    fn run(dir: &Path, introspection: &[String], port: u16) -> crate::Result<(Child, u16)> {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("support/smtp_server.py");
        let mut child = Command::new("python3")
            .arg(script)
            .arg(dir.join("mail"))
            .args(["cert.pem", "key.pem", USER, PASSWORD])
            .args(introspection)
            .env("SMTP_PORT", port.to_string())
            .current_dir(dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .map_err(|e| format!("python3 is missing ({e})"))?;
        let port = crate::announced_port(&mut child, "the SMTP server (aiosmtpd)")?;
        Ok((child, port))
    }

    /// The processor time the server process has used so far, over all its threads (the
    /// kernel's scheduler statistics): the part of a flush no client can take away.
    pub fn cpu_time(&self) -> std::time::Duration {
        let tasks = format!("/proc/{}/task", self.child.id());
        std::fs::read_dir(tasks)
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|task| std::fs::read_to_string(task.path().join("schedstat")).ok())
            .filter_map(|stat| stat.split_whitespace().next()?.parse().ok())
            .map(std::time::Duration::from_nanos)
            .sum()
    }

    /// Takes the server down: nothing listens on its port until [`SmtpServer::resume`]. Its
    /// certificate, folder and the mail it received stay.
    pub fn stop(&mut self) {
        drop(self.stdin.take());
        let _ = self.child.wait();
    }

    /// Brings a stopped server back on the same port, with the same certificate.
    pub fn resume(&mut self) -> crate::Result<()> {
        let (mut child, _) = Self::run(self.dir.path(), &self.introspection, self.port)?;
        self.stdin = child.stdin.take();
        self.child = child;
        Ok(())
    }

    /// The server's folder, with its certificate (`cert.pem`) and key (`key.pem`).
    pub fn folder(&self) -> &Path {
        self.dir.path()
    }

    /// The XOAUTH2 sign-ins so far, one line each: `<user> ok` or `<user> refused`.
    pub fn xoauth2_sign_ins(&self) -> Vec<String> {
        std::fs::read_to_string(self.dir.path().join("xoauth2.log"))
            .map(|t| t.lines().map(str::to_owned).collect())
            .unwrap_or_default()
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
        self.stop();
    }
}
