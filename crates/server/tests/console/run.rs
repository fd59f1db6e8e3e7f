//! The scenario's view of the browser: open, find, click, fill, wait, check the console log,
//! take screenshots.

use crate::browser::Browser;
use crate::support::Server;
use fantoccini::{Client, Locator};
use serde_json::Value;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// What the scenario shares: the server, the browser, where screenshots go.
pub struct Run {
    pub server: Server,
    pub browser: Browser,
    pub shots: PathBuf,
}

impl Run {
    pub fn c(&self) -> &Client {
        &self.browser.client
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.server.base)
    }

    pub async fn open(&self, path: &str) {
        self.c().goto(&self.url(path)).await.expect(path);
    }

    pub async fn path(&self) -> String {
        let u = self.c().current_url().await.expect("current url");
        match u.query() {
            Some(q) => format!("{}?{q}", u.path()),
            None => u.path().to_string(),
        }
    }

    pub async fn find(&self, css: &str) -> fantoccini::elements::Element {
        match self.c().find(Locator::Css(css)).await {
            Ok(e) => e,
            Err(e) => {
                let source = self.c().source().await.unwrap_or_default();
                panic!("{css} on {}: {e}\n{source}", self.path().await)
            }
        }
    }

    /// The element's text. A page that refreshes itself (the journal does) can swap the element
    /// out between finding it and reading it; then it is found again.
    pub async fn text(&self, css: &str) -> String {
        let mut tries = 0;
        loop {
            match self.find(css).await.text().await {
                Ok(text) => return text,
                Err(e) if tries < 10 && is_stale(&e) => tries += 1,
                Err(e) => panic!("text of {css}: {e}"),
            }
        }
    }

    pub async fn count(&self, css: &str) -> usize {
        self.c()
            .find_all(Locator::Css(css))
            .await
            .map_or(0, |v| v.len())
    }

    pub async fn click(&self, css: &str) {
        let mut tries = 0;
        loop {
            match self.find(css).await.click().await {
                Ok(_) => return,
                Err(e) if tries < 10 && is_stale(&e) => tries += 1,
                Err(e) => panic!("click on {css}: {e}"),
            }
        }
    }

    pub async fn fill(&self, css: &str, value: &str) {
        let field = self.c().find(Locator::Css(css)).await.expect(css);
        field.clear().await.expect("clear");
        field.send_keys(value).await.expect("type");
    }

    pub async fn select(&self, css: &str, value: &str) {
        self.c()
            .find(Locator::Css(css))
            .await
            .expect(css)
            .select_by_value(value)
            .await
            .expect("select");
    }

    /// Fails when the page logged anything at warning level or above in the browser console.
    pub async fn no_console_errors(&self, page: &str) {
        self.no_console_errors_but(page, None).await
    }

    /// The same, allowing only the browser's own network entry for one answer the step expects
    /// (`"/sign-in - ... status of 401"`: a refusal the server means to give).
    pub async fn no_console_errors_but(&self, page: &str, expected: Option<(&str, u16)>) {
        let bad: Vec<Value> = self
            .browser
            .log()
            .await
            .into_iter()
            .filter(|e| matches!(e["level"].as_str(), Some("SEVERE" | "WARNING")))
            .filter(|e| {
                let msg = e["message"].as_str().unwrap_or("");
                !expected.is_some_and(|(path, status)| {
                    e["source"] == "network"
                        && msg.contains(&format!("{path} - Failed to load resource: the server responded with a status of {status}"))
                })
            })
            .collect();
        assert!(bad.is_empty(), "{page}: browser console: {bad:#?}");
    }

    /// Opens `path` in a 1280×900 window and takes a screenshot of what it shows (scrolled to
    /// the path's anchor), after checking the console log.
    pub async fn view(&self, path: &str, name: &str) {
        self.c().set_window_size(1280, 900).await.expect("resize");
        self.open(path).await;
        self.no_console_errors(name).await;
        let png = self.c().screenshot().await.expect("screenshot");
        std::fs::write(self.shots.join(format!("{name}.png")), png).expect("write screenshot");
    }

    /// Checks the console log and takes the page's screenshot, the window grown to the whole
    /// page (at most 2400 px high).
    pub async fn shot(&self, name: &str) {
        self.no_console_errors(name).await;
        let height = self
            .c()
            .execute("return document.documentElement.scrollHeight;", vec![])
            .await
            .ok()
            .and_then(|v| v.as_u64())
            .unwrap_or(900)
            .clamp(600, 2400) as u32;
        let (_, _, w, h) = self.c().get_window_rect().await.expect("window rect");
        let inner = self
            .c()
            .execute("return window.innerHeight;", vec![])
            .await
            .ok()
            .and_then(|v| v.as_u64())
            .unwrap_or(h) as u32;
        let chrome = (h as u32).saturating_sub(inner);
        self.c()
            .set_window_size(w as u32, height + chrome)
            .await
            .expect("resize");
        let png = self.c().screenshot().await.expect("screenshot");
        self.c()
            .set_window_size(w as u32, h as u32)
            .await
            .expect("resize back");
        std::fs::write(self.shots.join(format!("{name}.png")), png).expect("write screenshot");
    }

    /// Waits until the browser is at `path` (a click's navigation finishes after the click).
    pub async fn arrive(&self, path: &str) {
        let started = Instant::now();
        loop {
            let now = self.path().await;
            if now == path {
                return;
            }
            assert!(
                started.elapsed() < Duration::from_secs(15),
                "at {now}, expected {path}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub async fn until(&self, what: &str, check: impl AsyncFn(&Run) -> bool) {
        let started = Instant::now();
        while !check(self).await {
            assert!(
                started.elapsed() < Duration::from_secs(15),
                "{what}: not within 15 s"
            );
            tokio::time::sleep(Duration::from_millis(150)).await;
        }
    }
}

fn is_stale(e: &fantoccini::error::CmdError) -> bool {
    matches!(e, fantoccini::error::CmdError::Standard(w)
        if w.error == fantoccini::error::ErrorStatus::StaleElementReference)
}
