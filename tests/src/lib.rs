//! Drives the real Aanmelder window from outside, through `tauri-driver` and WebKitWebDriver.
//!
//! A small W3C WebDriver client over blocking HTTP: enough to launch the app, find elements,
//! type, click, read and take screenshots. Every wait has a deadline, so a missing display or a
//! hung driver fails the test with a message instead of hanging CI.
//!
//! Every screen a test shows is also checked for accessibility: before each click, after each
//! awaited text and before closing, axe-core runs in the real window on what it shows (once per
//! screen state) and a serious or critical violation of WCAG 2.1 A or AA fails the test. axe is
//! not part of the app: WebKit runs WebDriver scripts in the page itself, past its CSP, so the
//! test injects it from the UI's dev dependencies.

use std::cell::{Cell, RefCell};
use std::collections::BTreeSet;
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::thread::sleep;
use std::time::{Duration, Instant};

use base64::Engine as _;

pub mod imap;
pub mod oauth;
pub mod smtp;
use serde_json::{Value, json};

/// How long a worker would wait for a field or button to appear before calling it broken.
const PATIENCE: Duration = Duration::from_secs(30);

/// The key WebDriver uses for element references in JSON.
const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";

pub type Result<T> = std::result::Result<T, String>;

/// A loopback port nothing listens on now.
pub fn free_port() -> Result<u16> {
    let probe = std::net::TcpListener::bind(("127.0.0.1", 0)).map_err(|e| e.to_string())?;
    Ok(probe.local_addr().map_err(|e| e.to_string())?.port())
}

/// The port a test server announces on the first line of its standard output (`PORT <n>`), as
/// the SMTP server and the OAuth provider do once they listen; `what` names it in the error.
pub fn announced_port(child: &mut std::process::Child, what: &str) -> Result<u16> {
    use std::io::BufRead as _;
    let mut line = String::new();
    if let Some(out) = child.stdout.take() {
        std::io::BufReader::new(out)
            .read_line(&mut line)
            .map_err(|e| e.to_string())?;
    }
    line.strip_prefix("PORT ")
        .and_then(|p| p.trim().parse().ok())
        .ok_or_else(|| format!("{what} did not start ({line:?}): run scripts/setup.sh --test"))
}

/// The referral's reference in a package's file name (`aanmelding-<reference>.7z`).
pub fn reference_in(file: &str) -> String {
    file.trim_start_matches("aanmelding-")
        .trim_end_matches(".7z")
        .to_owned()
}

/// The built app binary: `$AANMELDER_APP`, or the workspace's debug build.
pub fn app_binary() -> PathBuf {
    std::env::var_os("AANMELDER_APP").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/debug/aanmelder"),
        PathBuf::from,
    )
}

/// The processes of the app started from `binary`: the app itself and the WebKit processes it
/// spawned, with their names.
pub fn app_processes(binary: &Path) -> Vec<(u32, String)> {
    let mut app = Vec::new();
    let mut children: Vec<(u32, u32, String)> = Vec::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let exe = std::fs::read_link(format!("/proc/{pid}/exe")).ok();
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        // The command's own name in full (`stat` cuts it at 15 characters).
        let name = std::fs::read(format!("/proc/{pid}/cmdline"))
            .ok()
            .and_then(|c| c.split(|b| *b == 0).next().map(<[u8]>::to_vec))
            .map(|first| {
                String::from_utf8_lossy(&first)
                    .rsplit('/')
                    .next()
                    .unwrap_or("")
                    .to_owned()
            })
            .unwrap_or_default();
        let parent: u32 = stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().nth(1))
            .and_then(|p| p.parse().ok())
            .unwrap_or(0);
        if exe.as_deref() == Some(binary) {
            app.push((pid, "app".to_owned()));
        } else if name.starts_with("WebKit") {
            children.push((pid, parent, name));
        }
    }
    let ids: Vec<u32> = app.iter().map(|(p, _)| *p).collect();
    for (pid, parent, name) in children {
        if ids.contains(&parent) {
            app.push((pid, name));
        }
    }
    app
}

/// Where tests put screenshots: `target/e2e-screenshots/`.
pub fn screenshot_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/e2e-screenshots")
}

/// A running `tauri-driver`, stopped with SIGTERM on drop so WebKitWebDriver goes with it.
#[derive(Debug)]
pub struct Driver {
    child: Child,
    port: u16,
    agent: ureq::Agent,
}

impl Driver {
    /// Starts `tauri-driver` on `port`; the app it launches inherits `envs`.
    pub fn start(port: u16, envs: &[(&str, &Path)]) -> Result<Self> {
        if std::env::var_os("DISPLAY").is_none() && std::env::var_os("WAYLAND_DISPLAY").is_none() {
            return Err(
                "no DISPLAY: run the end-to-end tests under xvfb-run (scripts/test.sh)".into(),
            );
        }
        let app = app_binary();
        if !app.is_file() {
            return Err(format!(
                "app not built at {}: run `cargo build -p aanmelder`",
                app.display()
            ));
        }
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Err(format!(
                "port {port} is taken: is an old tauri-driver still running?"
            ));
        }
        let mut command = Command::new(driver_binary());
        // Each driver gets its own WebKitWebDriver port, so a previous test's driver that is
        // still shutting down cannot refuse this test's session.
        let native_port = port + 1000;
        command
            .args(["--port", &port.to_string()])
            .args(["--native-port", &native_port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::inherit());
        for (name, value) in envs {
            command.env(name, value);
        }
        let child = command
            .spawn()
            .map_err(|e| format!("tauri-driver did not start ({e}); install it with `cargo install tauri-driver --locked`"))?;
        let agent = ureq::Agent::new_with_config(
            ureq::Agent::config_builder()
                .http_status_as_error(false)
                .timeout_global(Some(Duration::from_secs(90)))
                .build(),
        );
        let driver = Self { child, port, agent };
        let deadline = Instant::now() + Duration::from_secs(30);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if Instant::now() > deadline {
                return Err("tauri-driver did not listen within 30 s".into());
            }
            sleep(Duration::from_millis(100));
        }
        Ok(driver)
    }

    /// Launches the app and opens a WebDriver session on its window.
    /// A driver for an app with a data folder of its own, new and empty: the worker's first
    /// start. The folder goes when the first value is dropped.
    pub fn fresh(port: u16) -> Result<(tempfile::TempDir, Self)> {
        let data = tempfile::tempdir().map_err(|e| e.to_string())?;
        let driver = Self::start(port, &[("AANMELDER_DATA_DIR", data.path())])?;
        Ok((data, driver))
    }

    pub fn launch(&self) -> Result<Session<'_>> {
        let caps = json!({
            "capabilities": {
                "alwaysMatch": {
                    "browserName": "wry",
                    "tauri:options": { "application": app_binary() }
                }
            }
        });
        // WebKitWebDriver may still be starting behind tauri-driver: retry for a while.
        let deadline = Instant::now() + Duration::from_secs(30);
        let value = loop {
            match self.request("POST", "/session", Some(caps.clone())) {
                Ok(value) => break value,
                Err(e) if Instant::now() > deadline => return Err(e),
                Err(_) => sleep(Duration::from_millis(500)),
            }
        };
        let id = value["sessionId"]
            .as_str()
            .ok_or_else(|| format!("no session id in {value}"))?
            .to_owned();
        Ok(Session {
            driver: self,
            id,
            open: true,
            audited: RefCell::new(BTreeSet::new()),
            audit: Cell::new(true),
        })
    }

    fn request(&self, method: &str, path: &str, body: Option<Value>) -> Result<Value> {
        let url = format!("http://127.0.0.1:{}{}", self.port, path);
        let response = match (method, body) {
            ("GET", _) => self.agent.get(&url).call(),
            ("DELETE", _) => self.agent.delete(&url).call(),
            (_, body) => self
                .agent
                .post(&url)
                .send_json(body.unwrap_or_else(|| json!({}))),
        };
        let mut response = response.map_err(|e| format!("{method} {path}: {e}"))?;
        let status = response.status();
        let value: Value = response
            .body_mut()
            .read_json()
            .map_err(|e| format!("{method} {path}: unreadable reply ({e})"))?;
        if !status.is_success() {
            return Err(format!("{method} {path}: {status} {}", value["value"]));
        }
        Ok(value["value"].clone())
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        // SIGTERM lets tauri-driver stop WebKitWebDriver; SIGKILL would leave it on its port.
        terminate(&mut self.child);
    }
}

/// Asks a server process to stop (SIGTERM), so it can stop its own children and tidy up, and
/// waits up to ten seconds before killing it.
pub fn terminate(child: &mut Child) {
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if matches!(child.try_wait(), Ok(Some(_))) {
            return;
        }
        sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
}

fn driver_binary() -> PathBuf {
    if let Some(path) = std::env::var_os("TAURI_DRIVER") {
        return path.into();
    }
    let in_cargo_home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".cargo")))
        .map(|home| home.join("bin/tauri-driver"));
    match in_cargo_home {
        Some(path) if path.is_file() => path,
        _ => PathBuf::from("tauri-driver"),
    }
}

/// One launch of the app. Quits the app when closed or dropped.
#[derive(Debug)]
pub struct Session<'d> {
    driver: &'d Driver,
    id: String,
    open: bool,
    /// The screen states axe-core has checked already.
    audited: RefCell<BTreeSet<String>>,
    audit: Cell<bool>,
}

/// axe-core's browser bundle, a dev dependency of the UI: `$AANMELDER_AXE`, or
/// `ui/node_modules/axe-core/axe.min.js` (`npm ci` in `ui/` installs it). Read when first
/// needed, not compiled in, so the crate builds without the UI's packages.
pub fn axe_path() -> PathBuf {
    std::env::var_os("AANMELDER_AXE").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../ui/node_modules/axe-core/axe.min.js"),
        PathBuf::from,
    )
}

fn axe_source() -> Result<&'static str> {
    static SOURCE: OnceLock<Result<String>> = OnceLock::new();
    SOURCE
        .get_or_init(|| {
            let path = axe_path();
            std::fs::read_to_string(&path).map_err(|e| {
                format!(
                    "axe-core is not at {} ({e}): run `npm ci` in ui/",
                    path.display()
                )
            })
        })
        .as_deref()
        .map_err(Clone::clone)
}

/// What the window shows, as a key: the ids of the visible elements (a field's error shows as
/// `#field-error`) and how many alerts. The name is the screen's heading, for the report.
const SCREEN_STATE: &str = r#"
const shown = (e) => e.getClientRects().length > 0;
const ids = [...document.querySelectorAll('[id]')].filter(shown).map((e) => e.id);
const alerts = [...document.querySelectorAll('[role=alert]')].filter(shown).length;
const title = document.querySelector('main h1');
return { key: ids.join(' ') + ' alerts:' + alerts, name: title ? title.textContent.trim() : document.title };"#;

/// WCAG 2.0 and 2.1, levels A and AA, violations only; `missing` while axe is not in the page.
const AXE_RUN: &str = r#"
const done = arguments[arguments.length - 1];
if (typeof window.axe === 'undefined') { done({ missing: true }); return; }
window.axe.run(document, {
  runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
  resultTypes: ['violations'],
}).then(
  (r) => done({ violations: r.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
    nodes: v.nodes.map((n) => ({ target: n.target, summary: n.failureSummary })) })) }),
  (e) => done({ error: String((e && e.message) || e) }));"#;

/// A reference to an element in the app's page.
#[derive(Debug, Clone)]
pub struct Element(String);

impl Session<'_> {
    fn call(&self, method: &str, path: &str, body: Option<Value>) -> Result<Value> {
        self.driver
            .request(method, &format!("/session/{}{}", self.id, path), body)
    }

    /// Waits up to `timeout` for an element matching the CSS selector.
    pub fn wait_for(&self, css: &str, timeout: Duration) -> Result<Element> {
        self.wait_for_by("css selector", css, timeout)
    }

    /// Waits for an element matching the XPath expression.
    pub fn wait_for_xpath(&self, xpath: &str, timeout: Duration) -> Result<Element> {
        self.wait_for_by("xpath", xpath, timeout)
    }

    /// Waits for a button whose visible text is exactly `text`.
    pub fn button(&self, text: &str) -> Result<Element> {
        let xpath = format!("//button[normalize-space(.)='{text}']");
        self.wait_for_by("xpath", &xpath, Duration::from_secs(10))
    }

    /// Waits (up to 30 s) for a button by its accessible name, as a screen reader finds it: a
    /// row's button, whose visible text ("Intrekken") every row repeats.
    pub fn button_labelled(&self, label: &str) -> Result<Element> {
        let xpath = format!("//button[@aria-label='{label}']");
        self.wait_for_by("xpath", &xpath, Duration::from_secs(30))
    }

    fn wait_for_by(&self, using: &str, value: &str, timeout: Duration) -> Result<Element> {
        let deadline = Instant::now() + timeout;
        loop {
            let found = self.call(
                "POST",
                "/element",
                Some(json!({ "using": using, "value": value })),
            );
            match found {
                Ok(v) => {
                    if let Some(id) = v[ELEMENT_KEY].as_str() {
                        return Ok(Element(id.to_owned()));
                    }
                }
                Err(e) if Instant::now() > deadline => {
                    return Err(format!("{value} did not appear: {e}"));
                }
                Err(_) => {}
            }
            sleep(Duration::from_millis(150));
        }
    }

    /// Waits until the element's text contains `needle`; returns the text.
    pub fn wait_for_text(&self, css: &str, needle: &str, timeout: Duration) -> Result<String> {
        let deadline = Instant::now() + timeout;
        loop {
            let element = self.wait_for(css, timeout)?;
            // The page may replace the element between finding and reading it (a list that
            // loads): look again rather than fail.
            let text = match self.text(&element) {
                Ok(text) => text,
                Err(e) if e.contains("stale element") && Instant::now() < deadline => {
                    sleep(Duration::from_millis(150));
                    continue;
                }
                Err(e) => return Err(e),
            };
            if text.contains(needle) {
                self.check_accessibility()?;
                return Ok(text);
            }
            if Instant::now() > deadline {
                // What went wrong is most often in an alert beside the element waited for.
                return Err(format!(
                    "{css} shows {text:?}, never {needle:?}; the screen says: {}",
                    self.said()
                ));
            }
            sleep(Duration::from_millis(150));
        }
    }

    pub fn text(&self, element: &Element) -> Result<String> {
        let v = self.call("GET", &format!("/element/{}/text", element.0), None)?;
        Ok(v.as_str().unwrap_or_default().to_owned())
    }

    /// The `value` property of an input: what is in the field now.
    pub fn value(&self, element: &Element) -> Result<String> {
        let v = self.call(
            "GET",
            &format!("/element/{}/property/value", element.0),
            None,
        )?;
        Ok(v.as_str().unwrap_or_default().to_owned())
    }

    /// Whether a form control can be used (not `disabled`).
    pub fn enabled(&self, element: &Element) -> Result<bool> {
        let v = self.call("GET", &format!("/element/{}/enabled", element.0), None)?;
        Ok(v.as_bool().unwrap_or(false))
    }

    pub fn click(&self, element: &Element) -> Result<()> {
        self.check_accessibility()?;
        self.call("POST", &format!("/element/{}/click", element.0), None)
            .map(drop)
    }

    /// Runs `script` as a function body in the page; a promise it returns is waited for.
    pub fn execute(&self, script: &str, args: Value) -> Result<Value> {
        self.call(
            "POST",
            "/execute/sync",
            Some(json!({ "script": script, "args": args })),
        )
    }

    /// Like [`Session::execute`]; the script calls its last argument with the result.
    pub fn execute_async(&self, script: &str, args: Value) -> Result<Value> {
        self.call(
            "POST",
            "/execute/async",
            Some(json!({ "script": script, "args": args })),
        )
    }

    /// No accessibility checks in this session: for measuring start-up, where a check would be
    /// part of the figure.
    pub fn without_accessibility_check(&self) {
        self.audit.set(false);
    }

    /// axe-core on what the window shows, once per screen state: fails on a serious or critical
    /// violation of WCAG 2.1 A or AA, and prints the moderate and minor ones.
    pub fn check_accessibility(&self) -> Result<()> {
        if !self.audit.get() {
            return Ok(());
        }
        let state = self.execute(SCREEN_STATE, json!([]))?;
        let screen = state["name"].as_str().unwrap_or("?").to_owned();
        let key = state["key"].as_str().unwrap_or_default().to_owned();
        if !self.audited.borrow_mut().insert(key) {
            return Ok(());
        }
        let mut outcome = self.execute_async(AXE_RUN, json!([]))?;
        if outcome["missing"].as_bool() == Some(true) {
            self.execute(
                &format!("{}\nreturn window.axe.version;", axe_source()?),
                json!([]),
            )?;
            outcome = self.execute_async(AXE_RUN, json!([]))?;
        }
        if let Some(e) = outcome["error"].as_str() {
            return Err(format!("axe-core failed on the screen {screen:?}: {e}"));
        }
        let mut failing = Vec::new();
        for v in outcome["violations"].as_array().into_iter().flatten() {
            let impact = v["impact"].as_str().unwrap_or("unknown");
            let nodes: Vec<String> = v["nodes"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|n| {
                    format!(
                        "    {} {}",
                        n["target"],
                        n["summary"].as_str().unwrap_or_default().replace('\n', " ")
                    )
                })
                .collect();
            let line = format!(
                "  {} ({impact}): {} <{}>\n{}",
                v["id"].as_str().unwrap_or("?"),
                v["help"].as_str().unwrap_or_default(),
                v["helpUrl"].as_str().unwrap_or_default(),
                nodes.join("\n")
            );
            if matches!(impact, "serious" | "critical") {
                failing.push(line);
            } else {
                eprintln!("accessibility on the screen {screen:?} (not failing):\n{line}");
            }
        }
        if failing.is_empty() {
            Ok(())
        } else {
            Err(format!(
                "accessibility: {} serious or critical violation(s) on the screen {screen:?}:\n{}",
                failing.len(),
                failing.join("\n")
            ))
        }
    }

    /// Waits for the field `css` (as long as a worker would) and types `text` into it.
    pub fn fill_in(&self, css: &str, text: &str) -> Result<()> {
        self.fill(&self.wait_for(css, PATIENCE)?, text)
    }

    /// Waits for the element `css` (as long as a worker would) and clicks it.
    pub fn press(&self, css: &str) -> Result<()> {
        self.click(&self.wait_for(css, PATIENCE)?)
    }

    /// Replaces the field's content with `text`, typed as keys.
    pub fn fill(&self, element: &Element, text: &str) -> Result<()> {
        self.call("POST", &format!("/element/{}/clear", element.0), None)?;
        // WebKitWebDriver rejects an empty text as missing; clearing is all an empty value needs.
        if text.is_empty() {
            return Ok(());
        }
        self.call(
            "POST",
            &format!("/element/{}/value", element.0),
            Some(json!({ "text": text })),
        )
        .map(drop)
    }

    /// Saves a PNG of the window, once what the page shows has been painted.
    pub fn screenshot(&self, path: &Path) -> Result<()> {
        // WebKit snapshots the last composited frame; two animation frames make sure the DOM
        // the test just checked is in it.
        self.call(
            "POST",
            "/execute/async",
            Some(json!({
                "script": "const done = arguments[arguments.length - 1];\
                           requestAnimationFrame(() => requestAnimationFrame(() => done(true)));",
                "args": []
            })),
        )?;
        let v = self.call("GET", "/screenshot", None)?;
        let png = base64::engine::general_purpose::STANDARD
            .decode(v.as_str().unwrap_or_default())
            .map_err(|e| format!("screenshot is not base64: {e}"))?;
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
        }
        std::fs::write(path, png).map_err(|e| e.to_string())
    }

    /// The page's whole DOM as HTML, attributes included.
    pub fn page_source(&self) -> Result<String> {
        let v = self.call("GET", "/source", None)?;
        Ok(v.as_str().unwrap_or_default().to_owned())
    }

    /// The PIN the end-to-end tests choose at first start.
    pub const PIN: &'static str = "480215";

    /// Gets past the start: at first start the app asks for a PIN (typed twice), later starts
    /// go straight to the home screen. Returns once the home screen shows.
    pub fn past_first_start(&self) -> Result<()> {
        let either = "//*[@id='pin-title' or @id='home-title']";
        let found = self
            .wait_for_xpath(either, Duration::from_secs(30))
            .map_err(|e| {
                let shown = self
                    .wait_for("body", Duration::from_secs(1))
                    .and_then(|b| self.text(&b))
                    .unwrap_or_default();
                format!("{e}; the window shows: {shown}")
            })?;
        let id = self.call("GET", &format!("/element/{}/attribute/id", found.0), None)?;
        if id.as_str() == Some("pin-title") {
            self.fill(&self.wait_for("#pin", Duration::from_secs(5))?, Self::PIN)?;
            self.fill(
                &self.wait_for("#pin-confirmation", Duration::from_secs(5))?,
                Self::PIN,
            )?;
            self.click(&self.button("Pincode bewaren")?)?;
            self.wait_for("#home-title", Duration::from_secs(30))?;
        }
        Ok(())
    }

    /// From the first start to what a home visit needs: a new encrypted store with its PIN, the
    /// worker's identity in the settings, and the team's own OCMW Westerlo in the register (a new
    /// store holds no partner).
    pub fn ready_to_refer(&self) -> Result<()> {
        self.past_first_start()?;
        self.wait_for_text("#store-status", "Versleuteld", PATIENCE)?;
        self.fill_worker_settings()?;
        self.add_partner(&Partner::WESTERLO)
    }

    /// The worker's identity in the settings screen: the five points, consent and package need
    /// it.
    pub fn fill_worker_settings(&self) -> Result<()> {
        self.click(&self.button("Instellingen")?)?;
        for (id, value) in [
            ("#name", "An Peeters"),
            ("#team", "Lokaal team Westerlo"),
            ("#email", "an.peeters@example.be"),
            ("#phone", "014 12 34 56"),
        ] {
            self.fill_in(id, value)?;
        }
        self.press("#save-settings")?;
        self.wait_for_text("#settings-status", "bewaard", PATIENCE)?;
        Ok(())
    }

    /// Fills the new-referral form; the postal code last, so the recipient check sees it all.
    pub fn enter_client(&self, first: &str, last: &str, postal_code: &str) -> Result<()> {
        self.click(&self.button("Aanmeldingen")?)?;
        self.press("#new-referral")?;
        for (id, value) in [
            ("#first_name", first),
            ("#last_name", last),
            ("#street", "Boerenkrijglaan"),
            ("#house_number", "12"),
            ("#phone", "0470 12 34 56"),
            ("#postal_code", postal_code),
        ] {
            self.fill_in(id, value)?;
        }
        Ok(())
    }

    /// Ticks the five points as explained and records consent; returns the package's file
    /// name as the package screen shows it.
    pub fn record_consent(&self) -> Result<String> {
        let wait = Duration::from_secs(30);
        for key in ["purpose", "data", "recipient", "next", "expect"] {
            self.click(&self.wait_for(&format!("#explained-{key}"), wait)?)?;
        }
        self.click(&self.wait_for("#record-consent", wait)?)?;
        self.wait_for_text("#package-password", "-", wait)?;
        self.text(&self.wait_for("#package-file", wait)?)
    }

    /// Walks one client from the new-referral form to consent; returns the package's file name.
    pub fn consented(&self, first: &str, last: &str, postal_code: &str) -> Result<String> {
        let wait = Duration::from_secs(30);
        self.enter_client(first, last, postal_code)?;
        self.wait_for_text("#recipient-name", "OCMW", wait)?;
        self.click(&self.wait_for("#to-five-points", wait)?)?;
        self.record_consent()
    }

    /// Adds a partner to the register through the form, as a supervisor types it: dates as
    /// dd/mm/jjjj, the partner chosen by its name in the list.
    pub fn add_partner(&self, p: &Partner<'_>) -> Result<()> {
        let wait = Duration::from_secs(30);
        self.click(&self.button("Partners")?)?;
        self.click(&self.button("Partner toevoegen")?)?;
        let option = format!(
            "//select[@id='recipient_key']/option[normalize-space(.)='{}']",
            p.partner
        );
        self.click(&self.wait_for_xpath(&option, wait)?)?;
        for (id, value) in [
            ("#name", p.name),
            ("#kbo", p.kbo),
            ("#mailbox", p.mailbox),
            ("#dpo_email", p.dpo_email),
            ("#password_phone", p.password_phone),
            ("#agreement_date", p.agreement_date),
            ("#protocol_from", p.protocol_from),
            ("#notice_months", p.notice_months),
        ] {
            self.fill(&self.wait_for(id, wait)?, value)?;
        }
        let delivery = if p.mail_program {
            "mail_program"
        } else {
            "smtp"
        };
        self.click(&self.wait_for(&format!("#delivery option[value='{delivery}']"), wait)?)?;
        self.click(&self.button("Bewaren")?)?;
        self.wait_for_text("#agreements-status", "is bewaard", wait)
            .map_err(|e| self.shown_after(&format!("{} not saved: {e}", p.name), "add-partner"))?;
        Ok(())
    }

    /// A failure's message with what the screen said, and the screen itself saved as
    /// `<name>-failed.png` under [`screenshot_dir`]: a wait that ran out shows why.
    pub fn shown_after(&self, failure: &str, name: &str) -> String {
        let _ = self.screenshot(&screenshot_dir().join(format!("{name}-failed.png")));
        format!("{failure}; the screen says: {}", self.said())
    }

    /// What the page shows as errors and alerts right now, for a test's failure message.
    pub fn said(&self) -> String {
        self.execute(
            "return [...document.querySelectorAll('[role=alert], .error, [aria-invalid=true]')]
               .map((e) => (e.id ? '#' + e.id + ': ' : '') + (e.textContent || e.value || '').trim())
               .join(' | ')",
            serde_json::json!([]),
        )
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
    }

    /// Ends the session, which quits the app, and waits until it is gone: the app allows one
    /// instance, so the next test's launch would otherwise hand over to this one as it exits.
    pub fn close(mut self) -> Result<()> {
        let checked = self.check_accessibility();
        self.open = false;
        self.call("DELETE", "", None)?;
        wait_for_app_exit();
        checked
    }
}

impl Drop for Session<'_> {
    fn drop(&mut self) {
        if self.open {
            let _ = self.call("DELETE", "", None);
            wait_for_app_exit();
        }
    }
}

/// Waits up to 20 s until no process runs the app binary.
fn wait_for_app_exit() {
    let Ok(app) = app_binary().canonicalize() else {
        return;
    };
    let running = || {
        std::fs::read_dir("/proc").is_ok_and(|entries| {
            entries
                .flatten()
                .any(|e| std::fs::read_link(e.path().join("exe")).is_ok_and(|exe| exe == app))
        })
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    while running() && Instant::now() < deadline {
        sleep(Duration::from_millis(100));
    }
}

/// A register entry as [`Session::add_partner`] types it.
#[derive(Debug, Clone, Copy)]
pub struct Partner<'a> {
    /// As the form's list names it: "OCMW Westerlo", "CAW Brussel".
    pub partner: &'a str,
    pub name: &'a str,
    pub kbo: &'a str,
    pub mailbox: &'a str,
    pub dpo_email: &'a str,
    pub password_phone: &'a str,
    pub agreement_date: &'a str,
    pub protocol_from: &'a str,
    pub notice_months: &'a str,
    /// Reached by drafts for the worker's mail program rather than the team's mail server.
    pub mail_program: bool,
}

impl Partner<'static> {
    /// OCMW Westerlo as seed 002 has it (KBO, mailbox, dates, six months' notice).
    pub const WESTERLO: Self = Self {
        partner: "OCMW Westerlo",
        name: "OCMW Westerlo",
        kbo: "0212.181.956",
        mailbox: "info.ocmw@westerlo.be",
        dpo_email: "informatieveiligheid@iok.be",
        password_phone: "014 54 75 75",
        agreement_date: "18/12/2023",
        protocol_from: "01/01/2024",
        notice_months: "6",
        mail_program: true,
    };
    /// A second partner for tests that need two.
    pub const DIEST: Self = Self {
        partner: "OCMW Diest",
        name: "OCMW Diest",
        kbo: "0212.246.886",
        mailbox: "aanmelding@ocmw-diest.example",
        dpo_email: "dpo@ocmw-diest.example",
        password_phone: "013 00 00 00",
        agreement_date: "01/11/2024",
        protocol_from: "01/11/2024",
        notice_months: "",
        mail_program: true,
    };
}
