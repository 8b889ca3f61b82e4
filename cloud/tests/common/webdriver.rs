//! A real browser for the web tests: Debian's headless Chromium driven through
//! `chromedriver` over the W3C WebDriver protocol (plain HTTP and JSON, so no client
//! crate), as a phone 390 px wide. `Chromium::start` is `None` — the test skips with a
//! note — when `chromedriver` is not installed, unless `GASQ_REQUIRE_BROWSER` is set
//! (`.ci/run` installs both and sets it).

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;
use serde_json::{Value, json};

/// The element key of the W3C protocol.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

pub struct Chromium {
    driver: Child,
    base: String,
    http: reqwest::Client,
}

fn find_program(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    names.iter().find_map(|name| {
        std::env::split_paths(&path)
            .map(|dir| dir.join(name))
            .find(|p| p.is_file())
    })
}

impl Chromium {
    /// `chromedriver` on a free port, once it answers.
    pub async fn start() -> Option<Self> {
        let found = (
            find_program(&["chromedriver"]),
            find_program(&["chromium", "chromium-browser"]),
        );
        let (Some(driver), Some(_)) = found else {
            assert!(
                std::env::var_os("GASQ_REQUIRE_BROWSER").is_none(),
                "chromium and chromedriver are required (apt install chromium chromium-driver)"
            );
            eprintln!("skipped: no chromium/chromedriver (apt install chromium chromium-driver)");
            return None;
        };
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(driver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let me = Self {
            driver: child,
            base: format!("http://127.0.0.1:{port}"),
            http: reqwest::Client::new(),
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        while me
            .http
            .get(format!("{}/status", me.base))
            .send()
            .await
            .is_err()
        {
            assert!(Instant::now() < deadline, "chromedriver did not start");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Some(me)
    }

    /// A new browser window: a phone 390 px wide, in `lang`.
    pub async fn phone(&self, lang: &str) -> Tab {
        let binary = find_program(&["chromium", "chromium-browser"]).unwrap();
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": binary,
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                         format!("--lang={lang}")],
                "prefs": {"intl.accept_languages": lang},
                "mobileEmulation": {"deviceMetrics": {"width": 390, "height": 844, "pixelRatio": 2.0}},
            }
        }}});
        let res: Value = self
            .http
            .post(format!("{}/session", self.base))
            .json(&caps)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let id = res["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session: {res}"))
            .to_owned();
        Tab {
            at: format!("{}/session/{id}", self.base),
            http: self.http.clone(),
        }
    }
}

impl Drop for Chromium {
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// One browser window.
pub struct Tab {
    at: String,
    http: reqwest::Client,
}

impl Tab {
    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let mut req = self.http.request(method, format!("{}{path}", self.at));
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res: Value = req.send().await.unwrap().json().await.unwrap();
        if let Some(error) = res["value"]["error"].as_str() {
            panic!("webdriver {path}: {error}: {}", res["value"]["message"]);
        }
        res["value"].clone()
    }

    /// Closes the window (and its browser).
    pub async fn close(self) {
        let _ = self.http.delete(&self.at).send().await;
    }

    pub async fn goto(&self, url: &str) {
        self.call(reqwest::Method::POST, "/url", Some(json!({"url": url})))
            .await;
    }

    pub async fn url(&self) -> String {
        let v = self.call(reqwest::Method::GET, "/url", None).await;
        v.as_str().unwrap().to_owned()
    }

    pub async fn source(&self) -> String {
        let v = self.call(reqwest::Method::GET, "/source", None).await;
        v.as_str().unwrap().to_owned()
    }

    async fn element(&self, css: &str) -> String {
        let body = json!({"using": "css selector", "value": css});
        let v = self
            .call(reqwest::Method::POST, "/element", Some(body))
            .await;
        v[ELEMENT].as_str().unwrap().to_owned()
    }

    pub async fn click(&self, css: &str) {
        let e = self.element(css).await;
        self.call(
            reqwest::Method::POST,
            &format!("/element/{e}/click"),
            Some(json!({})),
        )
        .await;
    }

    pub async fn type_into(&self, css: &str, text: &str) {
        let e = self.element(css).await;
        let body = json!({"text": text});
        self.call(
            reqwest::Method::POST,
            &format!("/element/{e}/value"),
            Some(body),
        )
        .await;
    }

    /// Runs `script` (a function body) in the page; what it returns.
    pub async fn run(&self, script: &str) -> Value {
        let body = json!({"script": script, "args": []});
        self.call(reqwest::Method::POST, "/execute/sync", Some(body))
            .await
    }

    /// Waits until `script` returns `true` (panics with `what` after 15 s).
    pub async fn wait_for(&self, what: &str, script: &str) {
        let deadline = Instant::now() + Duration::from_secs(15);
        while self.run(script).await != json!(true) {
            assert!(Instant::now() < deadline, "never happened: {what}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Whether the page is wider than the screen (sideways scrolling).
    pub async fn scrolls_sideways(&self) -> bool {
        self.run("return document.documentElement.scrollWidth > window.innerWidth")
            .await
            == json!(true)
    }

    /// A PNG of the window, saved as `target/screenshots/<name>.png` for review.
    pub async fn screenshot(&self, name: &str) {
        let v = self.call(reqwest::Method::GET, "/screenshot", None).await;
        let png = base64::engine::general_purpose::STANDARD
            .decode(v.as_str().unwrap())
            .unwrap();
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/screenshots");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(format!("{name}.png")), png).unwrap();
    }
}
