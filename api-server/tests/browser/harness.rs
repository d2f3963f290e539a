//! Headless Chromium for the tests: each `Browser` starts its own
//! chromedriver on a free loopback port, opens one session, and takes both
//! down when dropped. Sessions run one at a time across the whole binary, so
//! two Chromiums never share the two cores and their timings stay sane.
//!
//! Finding an element waits (polling, up to `WAIT`) until it appears, so a
//! test states what the next page must show instead of sleeping for it.
//! What the pages contain is for the tests to say.

use std::env;
use std::ffi::OsString;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::ops::Deref;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::elements::Element;
use fantoccini::wd::Capabilities;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::json;
use tokio::sync::{Mutex, MutexGuard, oneshot};

/// How long a page may take to show what a test waits for. Generous: a debug
/// build verifying a password hash shares two cores with Chromium.
pub const WAIT: Duration = Duration::from_secs(20);

/// One browser session at a time (see the module docs).
static TURN: Mutex<()> = Mutex::const_new(());

/// The line chromedriver prints once it accepts connections.
const READY_LINE: &str = "started successfully";

pub struct Browser {
    client: Client,
    session_id: String,
    closed: bool,
    driver: Chromedriver,
    _turn: MutexGuard<'static, ()>,
}

impl Browser {
    /// Waits for the turn, then starts chromedriver and a headless Chromium.
    /// Panics with the reason when either cannot start: a missing browser
    /// must fail the tests, never skip them.
    pub async fn start() -> Self {
        let turn = TURN.lock().await;
        let driver = Chromedriver::start().await;

        let client = ClientBuilder::new(HttpConnector::new())
            .capabilities(chromium_capabilities(env::var("CHROME_BIN").ok()))
            .connect(&driver.url())
            .await
            .unwrap_or_else(|err| {
                panic!("chromedriver could not start Chromium (set CHROME_BIN to its path?): {err}")
            });
        let session_id = client
            .session_id()
            .await
            .unwrap()
            .expect("chromedriver returned no session id");

        Self {
            client,
            session_id,
            closed: false,
            driver,
            _turn: turn,
        }
    }

    /// Waits until an element matches the CSS selector and returns it.
    pub async fn find(&self, css: &str) -> Element {
        match self
            .client
            .wait()
            .at_most(WAIT)
            .for_element(Locator::Css(css))
            .await
        {
            Ok(element) => element,
            Err(err) => panic!(
                "{css} did not appear within {WAIT:?} ({err}) on {}",
                self.describe_page().await
            ),
        }
    }

    /// Every element matching the CSS selector now, without waiting.
    pub async fn find_all(&self, css: &str) -> Vec<Element> {
        self.client.find_all(Locator::Css(css)).await.unwrap()
    }

    /// Waits for the element, then clicks it.
    pub async fn click(&self, css: &str) {
        self.find(css).await.click().await.unwrap();
    }

    /// Waits for the field, then replaces its value by typing `text`.
    pub async fn fill(&self, css: &str, text: &str) {
        let field = self.find(css).await;
        field.clear().await.unwrap();
        field.send_keys(text).await.unwrap();
    }

    /// Ticks or unticks a checkbox by clicking it only when it differs.
    pub async fn set_checked(&self, css: &str, checked: bool) {
        let checkbox = self.find(css).await;
        if checkbox.is_selected().await.unwrap() != checked {
            checkbox.click().await.unwrap();
        }
    }

    /// The text of the element, once it appears.
    pub async fn text(&self, css: &str) -> String {
        self.find(css).await.text().await.unwrap()
    }

    /// Where the browser is and what it shows, for a failure message: the
    /// URL and the start of the page's text.
    pub async fn describe_page(&self) -> String {
        let url = match self.client.current_url().await {
            Ok(url) => url.to_string(),
            Err(err) => format!("<unknown page: {err}>"),
        };
        let text = match self.client.find(Locator::Css("body")).await {
            Ok(body) => body.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        };
        let text: String = text.chars().take(300).collect();
        format!("{url}, showing:\n{text}")
    }

    /// The session's cookies as a `Cookie` header, to replay a request
    /// outside the browser.
    pub async fn cookie_header(&self) -> String {
        let cookies = self.client.get_all_cookies().await.unwrap();
        cookies
            .iter()
            .map(|cookie| format!("{}={}", cookie.name(), cookie.value()))
            .collect::<Vec<_>>()
            .join("; ")
    }

    /// Saves a PNG of the viewport as `<name>.png` in the screenshot folder
    /// and returns its path.
    pub async fn screenshot(&self, name: &str) -> PathBuf {
        let png = self.client.screenshot().await.unwrap();
        let dir = screenshot_dir(env::var_os("SCREENSHOT_DIR"));
        std::fs::create_dir_all(&dir)
            .unwrap_or_else(|err| panic!("cannot create {}: {err}", dir.display()));
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, png)
            .unwrap_or_else(|err| panic!("cannot write {}: {err}", path.display()));
        path
    }

    /// Ends the session, which quits Chromium; chromedriver goes on drop.
    pub async fn close(mut self) {
        self.closed = true;
        self.client.clone().close().await.unwrap();
    }
}

impl Deref for Browser {
    type Target = Client;

    fn deref(&self) -> &Client {
        &self.client
    }
}

impl Drop for Browser {
    /// A test that panicked never reached `close`, and the runtime that would
    /// run fantoccini's own shutdown is going away: ask chromedriver directly,
    /// or Chromium outlives it (killing chromedriver leaves it running).
    fn drop(&mut self) {
        if !self.closed {
            self.driver.delete_session(&self.session_id);
        }
    }
}

/// Headless Chromium that runs as root in a container, quietly.
fn chromium_capabilities(binary: Option<String>) -> Capabilities {
    let mut options = json!({
        "args": [
            "--headless=new",
            // Chromium's sandbox needs user namespaces, which containers
            // and root often lack.
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-extensions",
            "--no-first-run",
            "--window-size=1280,900",
        ],
    });
    if let Some(binary) = binary.filter(|binary| !binary.is_empty()) {
        options["binary"] = json!(binary);
    }
    let capabilities = json!({
        "browserName": "chrome",
        "goog:chromeOptions": options,
    });
    match capabilities {
        serde_json::Value::Object(map) => map,
        _ => unreachable!("a JSON object literal"),
    }
}

/// `SCREENSHOT_DIR`, else `screenshots/` in the build's target folder.
fn screenshot_dir(configured: Option<OsString>) -> PathBuf {
    match configured.filter(|dir| !dir.is_empty()) {
        Some(dir) => PathBuf::from(dir),
        // Cargo sets CARGO_TARGET_TMPDIR for integration tests to
        // <target>/tmp, wherever CARGO_TARGET_DIR put <target>.
        None => Path::new(env!("CARGO_TARGET_TMPDIR"))
            .parent()
            .unwrap_or(Path::new("target"))
            .join("screenshots"),
    }
}

/// The chromedriver to run: `CHROMEDRIVER` if set (it must exist), else the
/// first `chromedriver` on `PATH`.
fn find_chromedriver(
    configured: Option<OsString>,
    path: Option<OsString>,
) -> Result<PathBuf, String> {
    const HOW: &str = "install Debian's chromium and chromium-driver (deploy/test.sh does), \
                       or set CHROMEDRIVER to the chromedriver binary";
    if let Some(configured) = configured.filter(|value| !value.is_empty()) {
        let configured = PathBuf::from(configured);
        return if configured.is_file() {
            Ok(configured)
        } else {
            Err(format!(
                "CHROMEDRIVER={} is not a file: {HOW}",
                configured.display()
            ))
        };
    }
    path.as_deref()
        .map(env::split_paths)
        .into_iter()
        .flatten()
        .map(|dir| dir.join("chromedriver"))
        .find(|candidate| candidate.is_file())
        .ok_or_else(|| format!("no chromedriver on PATH and CHROMEDRIVER is not set: {HOW}"))
}

/// A chromedriver child process, killed on drop.
struct Chromedriver {
    child: Child,
    port: u16,
}

impl Chromedriver {
    /// Starts chromedriver on a free port and waits for its ready line.
    async fn start() -> Self {
        let binary = find_chromedriver(env::var_os("CHROMEDRIVER"), env::var_os("PATH"))
            .unwrap_or_else(|reason| panic!("cannot run the browser tests: {reason}"));
        let port = free_port();
        let mut child = Command::new(&binary)
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap_or_else(|err| panic!("cannot start {}: {err}", binary.display()));

        // A thread reads chromedriver's output for as long as it runs, so
        // the pipe never fills, and reports when the ready line went by.
        let stdout = child.stdout.take().unwrap();
        let (ready_tx, ready_rx) = oneshot::channel();
        std::thread::spawn(move || report_ready(stdout, ready_tx));
        let mut driver = Self { child, port };

        match tokio::time::timeout(WAIT, ready_rx).await {
            Ok(Ok(Ok(()))) => driver,
            Ok(Ok(Err(output))) => {
                let status = driver.child.wait().unwrap();
                panic!(
                    "{} exited ({status}) before it was ready:\n{output}",
                    binary.display()
                )
            }
            Ok(Err(_)) | Err(_) => panic!(
                "{} did not report ready on port {} within {WAIT:?}",
                binary.display(),
                driver.port
            ),
        }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// `DELETE /session/{id}` over a plain blocking socket, for `Drop`, where
    /// nothing can be awaited. Best effort: the test has failed already.
    fn delete_session(&self, session_id: &str) {
        let Ok(mut stream) = TcpStream::connect(("127.0.0.1", self.port)) else {
            return;
        };
        let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
        let request = format!(
            "DELETE /session/{session_id} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\n\
             Content-Length: 0\r\nConnection: close\r\n\r\n",
            self.port
        );
        if stream.write_all(request.as_bytes()).is_ok() {
            // Chromium is gone once chromedriver starts to answer; it keeps
            // the connection open after, so read no further.
            let _ = stream.read(&mut [0; 256]);
        }
    }
}

impl Drop for Chromedriver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Reads chromedriver's stdout to its end; sends `Ok` on the ready line, or
/// everything it printed if it ends first.
fn report_ready(stdout: impl Read, ready: oneshot::Sender<Result<(), String>>) {
    let mut ready = Some(ready);
    let mut seen = String::new();
    for line in BufReader::new(stdout).lines() {
        let Ok(line) = line else { break };
        match ready.take() {
            Some(sender) if line.contains(READY_LINE) => {
                let _ = sender.send(Ok(()));
            }
            Some(sender) => {
                seen.push_str(&line);
                seen.push('\n');
                ready = Some(sender);
            }
            None => {}
        }
    }
    if let Some(sender) = ready {
        let _ = sender.send(Err(seen));
    }
}

/// A port nothing listens on right now. Another process could take it before
/// chromedriver binds it; chromedriver then exits and the test says so.
fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_configured_chromedriver_that_does_not_exist_is_an_error_naming_it() {
        let err = find_chromedriver(
            Some(OsString::from("/nonexistent/chromedriver")),
            Some(OsString::from("/usr/bin")),
        )
        .unwrap_err();

        assert!(
            err.contains("CHROMEDRIVER=/nonexistent/chromedriver"),
            "{err}"
        );
        assert!(err.contains("chromium-driver"), "{err}");
    }

    #[test]
    fn without_chromedriver_on_path_the_error_says_how_to_get_one() {
        let empty = std::env::temp_dir().join("no-chromedriver-here");

        let err = find_chromedriver(None, Some(empty.into_os_string())).unwrap_err();

        assert!(err.contains("no chromedriver on PATH"), "{err}");
    }

    #[test]
    fn screenshots_go_where_screenshot_dir_says_else_under_target() {
        assert_eq!(
            screenshot_dir(Some(OsString::from("/tmp/shots"))),
            Path::new("/tmp/shots")
        );
        assert!(screenshot_dir(None).ends_with("screenshots"));
        assert_eq!(screenshot_dir(Some(OsString::new())), screenshot_dir(None));
    }

    #[test]
    fn the_browser_binary_is_passed_only_when_set() {
        let chosen = chromium_capabilities(Some("/opt/chromium".to_owned()));
        assert_eq!(chosen["goog:chromeOptions"]["binary"], "/opt/chromium");

        let default = chromium_capabilities(None);
        assert!(default["goog:chromeOptions"].get("binary").is_none());
        assert!(
            default["goog:chromeOptions"]["args"]
                .as_array()
                .unwrap()
                .contains(&json!("--headless=new"))
        );
    }
}
