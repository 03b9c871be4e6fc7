//! A real OAuth 2.0 / OpenID Connect provider on loopback: `oidc-provider` from npm
//! (`tests/support/oauth_provider`), run with Node by the test. It issues codes with PKCE to a
//! loopback redirect, device codes, rotating refresh tokens, and answers the test mail servers'
//! introspection of every XOAUTH2 token. Closing its standard input (on drop) stops it.
//!
//! The test plays the worker at the provider over plain HTTP, as a browser would: it opens the
//! address the app gave, fills in the provider's forms (login, consent, device code) and follows
//! the redirects, the last one to the app's own loopback listener.

use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::Duration;

/// The client id of the app's registration at the test provider.
pub const CLIENT_ID: &str = "aanmelder";
/// What the app asks for: SMTP and IMAP, and a refresh token.
pub const SCOPES: &str = "openid offline_access smtp imap";
/// The mail servers' own registration, for introspection.
pub const SERVER_CLIENT: &str = "mailserver";
pub const SERVER_SECRET: &str = "mailserver-secret";

#[derive(Debug)]
pub struct OAuthProvider {
    child: Child,
    stdin: Option<ChildStdin>,
    pub port: u16,
}

impl OAuthProvider {
    pub fn start() -> crate::Result<Self> {
        let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join("support/oauth_provider");
        if !folder.join("node_modules/oidc-provider").is_dir() {
            return Err(format!(
                "oidc-provider is not installed in {}: run scripts/setup.sh --test",
                folder.display()
            ));
        }
        let mut child = Command::new("node")
            .arg("provider.mjs")
            .current_dir(&folder)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            // Its warnings about a development setup are the point of a test provider.
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("node is missing ({e}): run scripts/setup.sh --test"))?;
        let port = crate::announced_port(&mut child, "the OAuth provider (oidc-provider)")?;
        Ok(Self {
            stdin: child.stdin.take(),
            child,
            port,
        })
    }

    pub fn issuer(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn authorize_url(&self) -> String {
        format!("{}/auth", self.issuer())
    }

    pub fn token_url(&self) -> String {
        format!("{}/token", self.issuer())
    }

    pub fn device_url(&self) -> String {
        format!("{}/device/auth", self.issuer())
    }

    /// Where the mail servers check a token.
    pub fn introspection_url(&self) -> String {
        format!("{}/token/introspection", self.issuer())
    }

    fn agent() -> ureq::Agent {
        ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .timeout_global(Some(Duration::from_secs(20)))
            .build()
            .new_agent()
    }

    /// Plays the worker in the browser: opens `url` (the app's sign-in address), signs in as
    /// `account` and agrees, and follows the provider back to the app's loopback. Returns the
    /// page the app's loopback answered.
    pub fn sign_in_in_browser(&self, url: &str, account: &str) -> crate::Result<String> {
        let browser = Browser::new(self.issuer());
        browser.walk(url, |form| {
            form.fill("login", account);
            form.fill("password", "een wachtwoord");
            None
        })
    }

    /// Plays the worker who says no at the provider's consent: the provider sends the browser
    /// back with `access_denied`.
    pub fn refuse_in_browser(&self, url: &str, account: &str) -> crate::Result<String> {
        let browser = Browser::new(self.issuer());
        browser.walk(url, |form| {
            if form
                .fields
                .iter()
                .any(|(k, v)| k == "prompt" && v == "consent")
            {
                // oidc-provider's consent page offers "[ Cancel ]" at <interaction>/abort.
                return Some(format!("{}/abort", browser.absolute(&form.action)));
            }
            form.fill("login", account);
            form.fill("password", "een wachtwoord");
            None
        })
    }

    /// Plays the worker on another device: opens the verification page, types `user_code`,
    /// confirms, signs in as `account` and agrees.
    pub fn enter_device_code(
        &self,
        verification_uri: &str,
        user_code: &str,
        account: &str,
    ) -> crate::Result<String> {
        let browser = Browser::new(self.issuer());
        browser.walk(verification_uri, |form| {
            form.fill("user_code", user_code);
            form.fill("login", account);
            form.fill("password", "een wachtwoord");
            None
        })
    }

    /// Revokes `token` (a refresh token) at the provider, as an administrator ending the
    /// worker's grant, or a password change, would.
    pub fn revoke(&self, token: &str) -> crate::Result<()> {
        let response = Self::agent()
            .post(format!("{}/token/revocation", self.issuer()))
            .send_form([("token", token), ("client_id", CLIENT_ID)])
            .map_err(|e| e.to_string())?;
        if response.status() != 200 {
            return Err(format!("revocation answered {}", response.status()));
        }
        Ok(())
    }

    /// Whether the provider still takes `token`.
    pub fn active(&self, token: &str) -> crate::Result<bool> {
        let mut response = Self::agent()
            .post(self.introspection_url())
            .send_form([
                ("token", token),
                ("client_id", SERVER_CLIENT),
                ("client_secret", SERVER_SECRET),
            ])
            .map_err(|e| e.to_string())?;
        let answer: serde_json::Value =
            response.body_mut().read_json().map_err(|e| e.to_string())?;
        Ok(answer["active"] == serde_json::Value::Bool(true))
    }
}

impl Drop for OAuthProvider {
    fn drop(&mut self) {
        drop(self.stdin.take());
        let _ = self.child.wait();
    }
}

/// A browser's part: cookies, redirects, forms.
struct Browser {
    agent: ureq::Agent,
    issuer: String,
}

/// One HTML form of the provider's pages.
#[derive(Debug, Default)]
pub struct Form {
    action: String,
    fields: Vec<(String, String)>,
}

impl Form {
    /// Sets `name` when the form has such a field.
    fn fill(&mut self, name: &str, value: &str) {
        for field in &mut self.fields {
            if field.0 == name {
                field.1 = value.to_owned();
            }
        }
    }

    /// The first form in `html`, with its fields and their preset values.
    fn first_in(html: &str) -> Option<Self> {
        let start = html.find("<form")?;
        let end = html[start..].find("</form>")? + start;
        let form = &html[start..end];
        let tag_end = form.find('>')?;
        let action = attribute(&form[..tag_end], "action")?;
        let mut fields = Vec::new();
        let mut rest = form;
        while let Some(at) = rest.find("<input") {
            let tag = &rest[at..];
            let close = tag.find('>').unwrap_or(tag.len());
            let tag = &tag[..close];
            if let Some(name) = attribute(tag, "name") {
                fields.push((name, attribute(tag, "value").unwrap_or_default()));
            }
            rest = &rest[at + close..];
        }
        Some(Self {
            action: action.replace("&amp;", "&"),
            fields,
        })
    }
}

/// The value of `name="…"` in an HTML tag.
fn attribute(tag: &str, name: &str) -> Option<String> {
    let needle = format!(" {name}=\"");
    let start = tag.find(&needle)? + needle.len();
    let end = tag[start..].find('"')? + start;
    Some(tag[start..end].to_owned())
}

impl Browser {
    fn new(issuer: String) -> Self {
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .timeout_global(Some(Duration::from_secs(20)))
            .build()
            .new_agent();
        Self { agent, issuer }
    }

    fn absolute(&self, location: &str) -> String {
        if location.starts_with("http://") || location.starts_with("https://") {
            location.to_owned()
        } else {
            format!("{}{location}", self.issuer)
        }
    }

    /// One request; `(status, location, body)`.
    fn request(
        &self,
        url: &str,
        form: Option<&[(String, String)]>,
    ) -> crate::Result<(u16, Option<String>, String)> {
        let response = match form {
            Some(fields) => self
                .agent
                .post(url)
                .send_form(fields.iter().map(|(k, v)| (k.as_str(), v.as_str()))),
            None => self.agent.get(url).call(),
        };
        let mut response = response.map_err(|e| format!("{url}: {e}"))?;
        let location = response
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let body = response
            .body_mut()
            .read_to_string()
            .map_err(|e| e.to_string())?;
        Ok((response.status().as_u16(), location, body))
    }

    /// Follows redirects and answers each form the provider shows until a page without a form:
    /// the app's loopback answer, or the provider's last page. `answer` fills the form in and
    /// returns `None` to submit it, or `Some(address)` to leave it for that address instead.
    fn walk(
        &self,
        start: &str,
        answer: impl Fn(&mut Form) -> Option<String>,
    ) -> crate::Result<String> {
        let mut next: (String, Option<Vec<(String, String)>>) = (start.to_owned(), None);
        for _ in 0..20 {
            let (status, location, body) = self.request(&next.0, next.1.as_deref())?;
            if matches!(status, 301 | 302 | 303 | 307) {
                let location = location.ok_or("a redirect without a location")?;
                next = (self.absolute(&location), None);
                continue;
            }
            let Some(mut form) = Form::first_in(&body) else {
                return Ok(body);
            };
            next = match answer(&mut form) {
                Some(elsewhere) => (elsewhere, None),
                None => (self.absolute(&form.action), Some(form.fields)),
            };
        }
        Err("the provider kept redirecting".into())
    }
}
