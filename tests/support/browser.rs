//! Debian's headless Chromium driven over WebDriver (chromedriver + fantoccini): the real
//! browser, running the hydrated app. Screenshots go to `test-artifacts/`.

use super::{log_path, repo, run_dir};
use fantoccini::{Client, ClientBuilder, Locator};
use flowpulse_stack::process::{self, Service};
use serde_json::json;
use std::time::{Duration, Instant};

/// One browser session (its own profile: cookies are not shared with other sessions).
pub struct Browser {
    pub client: Client,
    _driver: Service,
}

/// Starts chromedriver and a fresh headless Chromium.
pub async fn launch() -> Browser {
    // Both of rustls's providers end up enabled in this dependency graph; pick one. A second
    // call (another test) finds it installed, which is fine.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let port = process::free_port().unwrap();
    let mut cmd = std::process::Command::new("/usr/bin/chromedriver");
    cmd.arg(format!("--port={port}"));
    let mut driver = process::spawn(
        "chromedriver",
        cmd,
        Some(&log_path(&format!("chromedriver-{port}"))),
        None,
    )
    .expect("chromedriver starts (apt-get install chromium-driver)");
    process::wait_for_port(&mut driver, port, Duration::from_secs(20))
        .await
        .expect("chromedriver listens");
    let profile = run_dir().join(format!("chromium-profile-{port}"));
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": "/usr/bin/chromium",
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", "--window-size=1280,900",
                format!("--user-data-dir={}", profile.display()),
            ]
        }),
    );
    let client = ClientBuilder::rustls()
        .expect("tls")
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{port}"))
        .await
        .expect("a Chromium session");
    Browser {
        client,
        _driver: driver,
    }
}

impl Browser {
    /// Saves a PNG of the current page as `test-artifacts/<name>.png`.
    pub async fn screenshot(&self, name: &str) {
        let dir = repo().join("test-artifacts");
        std::fs::create_dir_all(&dir).unwrap();
        let png = self.client.screenshot().await.expect("screenshot");
        std::fs::write(dir.join(format!("{name}.png")), png).unwrap();
    }

    /// Waits until an element with `data-testid=<id>` exists, then returns it.
    pub async fn by_test_id(&self, id: &str) -> fantoccini::elements::Element {
        self.client
            .wait()
            .at_most(Duration::from_secs(20))
            .for_element(Locator::Css(&format!("[data-testid='{id}']")))
            .await
            .unwrap_or_else(|e| panic!("no element data-testid={id}: {e}"))
    }

    /// The text of `data-testid=<id>`.
    pub async fn text_of(&self, id: &str) -> String {
        self.by_test_id(id).await.text().await.unwrap()
    }

    /// Polls `data-testid=<id>` until its text satisfies `ok`; returns the text and how long it
    /// took.
    pub async fn wait_for_text(
        &self,
        id: &str,
        timeout: Duration,
        ok: impl Fn(&str) -> bool,
    ) -> (String, Duration) {
        let started = Instant::now();
        loop {
            let text = match self
                .client
                .find(Locator::Css(&format!("[data-testid='{id}']")))
                .await
            {
                Ok(element) => element.text().await.unwrap_or_default(),
                Err(_) => String::new(),
            };
            if ok(&text) {
                return (text, started.elapsed());
            }
            assert!(
                started.elapsed() < timeout,
                "data-testid={id} never satisfied the condition; last text {text:?}"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Types into the input `data-testid=<id>` (clearing it first).
    pub async fn fill(&self, id: &str, value: &str) {
        let input = self.by_test_id(id).await;
        input.clear().await.unwrap();
        input.send_keys(value).await.unwrap();
    }

    /// Clicks `data-testid=<id>`.
    pub async fn click(&self, id: &str) {
        self.by_test_id(id).await.click().await.unwrap();
    }
}
