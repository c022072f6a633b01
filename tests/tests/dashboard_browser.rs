//! The connector's operator dashboard.
//!
//! In a real headless Chromium, driven over the DevTools protocol: the operator logs in with
//! the management token, opens the negotiation waiting for approval, clicks "Freigeben"; the
//! JSON API then shows the negotiation finalized on both sides, and the agreement page shows
//! both signatures verified. Without a browser (plain HTTPS): no session → login page, wrong
//! token, login form without its one-time token, POST forms without or with a wrong CSRF
//! token, an oversized form, a rejection without a reason, logout.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tests::harness::env::client_tls;
use tests::harness::{ConnectorOptions, TestConnector, TestEnv};
use tokio_tungstenite::tungstenite::Message;

// ---------------------------------------------------------------------------------------
// A provider with a manual-approval offer and a consumer whose request waits for approval.

fn template(name: &str) -> String {
    std::fs::read_to_string(format!(
        "{}/../contracts/templates/{name}.md",
        env!("CARGO_MANIFEST_DIR")
    ))
    .expect("template file")
}

struct Waiting {
    provider: TestConnector,
    consumer: TestConnector,
    /// The consumer's negotiation id.
    consumer_id: String,
    /// The provider's negotiation id.
    provider_id: String,
}

async fn waiting_negotiation(env: &TestEnv) -> Waiting {
    let provider = TestConnector::start(env, ConnectorOptions::company("gesundheitsamt")).await;
    let consumer = TestConnector::start(env, ConnectorOptions::municipality("musterstadt")).await;
    let (status, t) = provider
        .post_text(
            "/api/v1/templates",
            &template("sandbox-schul-und-gesundheitsdaten"),
            "text/markdown",
        )
        .await;
    assert_eq!(status, 201, "template: {t}");
    let (status, a) = provider
        .post(
            "/api/v1/assets",
            &json!({"id": "schuleingangsuntersuchungen", "title": "Schuleingangsuntersuchungen 2019–2024",
                "description": "Befunde der Schuleingangsuntersuchungen je Schulsprengel.",
                "themes": ["HEAL", "EDUC"], "ags": "09162000", "personal_adjacent": true}),
        )
        .await;
    assert_eq!(status, 201, "asset: {a}");
    let (status, o) = provider
        .post(
            "/api/v1/offers",
            &json!({"asset_id": a["id"], "template_id": t["id"], "template_version": t["version"]}),
        )
        .await;
    assert_eq!(status, 201, "offer: {o}");
    let (status, n) = consumer
        .post(
            "/api/v1/negotiations",
            &json!({"connector": provider.dsp_base(), "dataset_id": "schuleingangsuntersuchungen",
                    "purpose": "gwd:Schulentwicklungsplanung"}),
        )
        .await;
    assert_eq!(status, 201, "start: {n}");
    let consumer_id = n["id"].as_str().expect("id").to_owned();
    let deadline = Instant::now() + Duration::from_secs(30);
    let provider_id = loop {
        let (_, list) = provider.get("/api/v1/negotiations?waiting=true").await;
        if let Some(id) = list
            .as_array()
            .and_then(|l| l.first())
            .and_then(|n| n["id"].as_str())
        {
            break id.to_owned();
        }
        assert!(Instant::now() < deadline, "no request waits for approval");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    Waiting {
        provider,
        consumer,
        consumer_id,
        provider_id,
    }
}

// ---------------------------------------------------------------------------------------
// Plain HTTPS, no browser.

fn no_redirects(env: &TestEnv) -> reqwest::Client {
    reqwest::Client::builder()
        .use_preconfigured_tls(client_tls(env.ca.pem()))
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .expect("HTTP client")
}

fn set_cookie(r: &reqwest::Response, name: &str) -> Option<String> {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(str::to_owned)
}

fn cookie_value(set_cookie: &str) -> String {
    set_cookie
        .split(';')
        .next()
        .and_then(|p| p.split_once('='))
        .map(|(_, v)| v.to_owned())
        .unwrap_or_default()
}

/// The value of the hidden `csrf` field in a page.
fn hidden_csrf(html: &str) -> String {
    let at = html.find("name=\"csrf\" value=\"").expect("csrf field") + 19;
    html[at..].split('"').next().expect("value").to_owned()
}

async fn form(
    http: &reqwest::Client,
    url: &str,
    cookie: &str,
    fields: &[(&str, &str)],
) -> (u16, String, Option<String>) {
    let r = http
        .post(url)
        .header("cookie", cookie)
        .form(fields)
        .send()
        .await
        .expect("POST");
    let status = r.status().as_u16();
    let location = r
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    (status, r.text().await.unwrap_or_default(), location)
}

async fn still_waiting(provider: &TestConnector, id: &str) {
    let (_, n) = provider.get(&format!("/api/v1/negotiations/{id}")).await;
    assert_eq!(n["waiting"], "approval", "{n}");
    assert_eq!(n["state"], "REQUESTED", "{n}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dashboard_refuses_requests_without_session_token_or_csrf() {
    let env = TestEnv::new("dashboard_refusals");
    let w = waiting_negotiation(&env).await;
    let http = no_redirects(&env);
    let base = format!("https://localhost:{}", w.provider.management_port);
    let approve = format!("{base}/dashboard/negotiations/{}/approve", w.provider_id);
    // The cookies carry the management port: two connectors on one host keep their sessions.
    let session_name = format!("dashboard_session_{}", w.provider.management_port);
    let login_name = format!("dashboard_login_{}", w.provider.management_port);

    // No session: pages and forms lead to the login page; nothing is decided.
    for path in [
        "/dashboard",
        "/dashboard/negotiations",
        "/dashboard/agreements",
    ] {
        let r = http.get(format!("{base}{path}")).send().await.expect("GET");
        assert_eq!(r.status().as_u16(), 303, "{path}");
        assert_eq!(r.headers()["location"], "/dashboard/login", "{path}");
    }
    let (status, _, location) = form(&http, &approve, "", &[("csrf", "x")]).await;
    assert_eq!(
        (status, location.as_deref()),
        (303, Some("/dashboard/login"))
    );
    let (status, _, _) = form(&http, &approve, &format!("{session_name}=forged"), &[]).await;
    assert_eq!(status, 303);
    still_waiting(&w.provider, &w.provider_id).await;

    // The login form sets its one-time cookie.
    let r = http
        .get(format!("{base}/dashboard/login"))
        .send()
        .await
        .expect("GET login");
    assert_eq!(r.status().as_u16(), 200);
    let login_cookie = set_cookie(&r, &login_name).expect("login cookie");
    let login_cookie = format!("{login_name}={}", cookie_value(&login_cookie));
    let page = r.text().await.expect("page");
    assert!(page.contains("lang=\"de\"") && page.contains("<label for=\"token\">"));
    let login_csrf = hidden_csrf(&page);
    let login = format!("{base}/dashboard/login");

    // Wrong token: refused, no session.
    let r = http
        .post(&login)
        .header("cookie", &login_cookie)
        .form(&[("csrf", login_csrf.as_str()), ("token", "falsch")])
        .send()
        .await
        .expect("POST login");
    assert_eq!(r.status().as_u16(), 401);
    assert!(set_cookie(&r, &session_name).is_none());
    assert!(
        r.text()
            .await
            .expect("page")
            .contains("Das Verwaltungs-Token ist nicht richtig.")
    );

    // The right token without the form's one-time token (another site posting): refused.
    let (status, page, _) = form(&http, &login, "", &[("token", &w.provider.token)]).await;
    assert_eq!(status, 403, "{page}");
    let (status, _, _) = form(
        &http,
        &login,
        &login_cookie,
        &[("csrf", "0000"), ("token", &w.provider.token)],
    )
    .await;
    assert_eq!(status, 403);

    // The right token: a session cookie with the protective attributes.
    let r = http
        .post(&login)
        .header("cookie", &login_cookie)
        .form(&[
            ("csrf", login_csrf.as_str()),
            ("token", w.provider.token.as_str()),
        ])
        .send()
        .await
        .expect("POST login");
    assert_eq!(r.status().as_u16(), 303);
    assert_eq!(r.headers()["location"], "/dashboard");
    let session = set_cookie(&r, &session_name).expect("session cookie");
    for attr in ["HttpOnly", "Secure", "SameSite=Strict", "Path=/dashboard"] {
        assert!(session.contains(attr), "{session}");
    }
    let cookie = format!("{session_name}={}", cookie_value(&session));
    let r = http
        .get(format!("{base}/dashboard/negotiations/{}", w.provider_id))
        .header("cookie", &cookie)
        .send()
        .await
        .expect("GET");
    assert_eq!(r.status().as_u16(), 200);
    let page = r.text().await.expect("page");
    assert!(
        page.contains("Diese Anfrage wartet auf Ihre Freigabe."),
        "{page}"
    );
    assert!(page.contains("Zweck: "), "{page}");
    let csrf = hidden_csrf(&page);

    // Forms without or with a wrong CSRF token are refused; nothing is decided.
    let (status, page, _) = form(&http, &approve, &cookie, &[]).await;
    assert_eq!(status, 403);
    assert!(page.contains("CSRF"), "{page}");
    let (status, _, _) = form(&http, &approve, &cookie, &[("csrf", &login_csrf)]).await;
    assert_eq!(status, 403);
    still_waiting(&w.provider, &w.provider_id).await;

    // An oversized form, and a rejection without a reason, name what is wrong.
    let big = "x".repeat(20_000);
    let (status, page, _) = form(&http, &approve, &cookie, &[("csrf", &csrf), ("pad", &big)]).await;
    assert_eq!(status, 413, "{page}");
    let reject = format!("{base}/dashboard/negotiations/{}/reject", w.provider_id);
    let (status, page, _) = form(
        &http,
        &reject,
        &cookie,
        &[("csrf", &csrf), ("begruendung", " ")],
    )
    .await;
    assert_eq!(status, 400);
    assert!(page.contains("Feld „Begründung“"), "{page}");
    // A counter-offer with a value outside the template's bounds names the parameter.
    let counter = format!("{base}/dashboard/negotiations/{}/counter", w.provider_id);
    let (status, page, _) = form(
        &http,
        &counter,
        &cookie,
        &[
            ("csrf", &csrf),
            ("vorlage_id", "sandbox-schul-und-gesundheitsdaten"),
            ("vorlage_version", "1.0.0"),
            ("param.k", "2"),
        ],
    )
    .await;
    assert_eq!(status, 400, "{page}");
    assert!(page.contains("Parameter"), "{page}");
    still_waiting(&w.provider, &w.provider_id).await;

    // Rejecting with a reason through the form: the consumer sees the reason.
    let (status, _, location) = form(
        &http,
        &reject,
        &cookie,
        &[
            ("csrf", &csrf),
            ("begruendung", "Derzeit keine Begleitung möglich."),
        ],
    )
    .await;
    assert_eq!(status, 303);
    assert!(location.expect("location").ends_with("?erledigt=abgelehnt"));
    let n = w
        .consumer
        .wait_state(&w.consumer_id, "TERMINATED", 30)
        .await;
    assert_eq!(
        n["termination"]["reasons"][0],
        "Derzeit keine Begleitung möglich."
    );

    // Logout ends the session on the server.
    let logout = format!("{base}/dashboard/logout");
    let (status, _, _) = form(&http, &logout, &cookie, &[("csrf", &csrf)]).await;
    assert_eq!(status, 303);
    let r = http
        .get(format!("{base}/dashboard"))
        .header("cookie", &cookie)
        .send()
        .await
        .expect("GET");
    assert_eq!(r.status().as_u16(), 303);
}

// ---------------------------------------------------------------------------------------
// Headless Chromium over the DevTools protocol.

fn chromium() -> String {
    for name in ["chromium", "chromium-browser", "google-chrome"] {
        if Command::new(name)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
        {
            return name.to_owned();
        }
    }
    panic!("Chromium is not installed (apt-get install -y chromium)");
}

/// A headless Chromium with a fresh profile; killed when dropped.
struct Browser {
    child: Child,
    ws_url: String,
}

impl Browser {
    fn start(profile: &Path) -> Browser {
        let _ = std::fs::remove_dir_all(profile);
        let mut child = Command::new(chromium())
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--remote-debugging-address=127.0.0.1",
                "--remote-debugging-port=0",
                // the test CA is not in Chromium's store
                "--ignore-certificate-errors",
                "--window-size=1280,1600",
            ])
            .arg(format!("--user-data-dir={}", profile.display()))
            .arg("about:blank")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start chromium");
        let stderr = child.stderr.take().expect("stderr");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            use std::io::BufRead;
            let mut tx = Some(tx);
            for line in std::io::BufReader::new(stderr)
                .lines()
                .map_while(Result::ok)
            {
                if let Some(url) = line.strip_prefix("DevTools listening on ")
                    && let Some(tx) = tx.take()
                {
                    let _ = tx.send(url.trim().to_owned());
                }
            }
        });
        let ws_url = rx
            .recv_timeout(Duration::from_secs(30))
            .expect("Chromium printed its DevTools address");
        Browser { child, ws_url }
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A DevTools protocol connection attached to one page (flat session).
struct Page {
    ws: Ws,
    next_id: u64,
    session: String,
    events: Vec<Value>,
}

const STEP_TIMEOUT: Duration = Duration::from_secs(30);

impl Page {
    async fn open(browser: &Browser) -> Page {
        let (ws, _) = tokio_tungstenite::connect_async(browser.ws_url.as_str())
            .await
            .expect("connect to DevTools");
        let mut page = Page {
            ws,
            next_id: 0,
            session: String::new(),
            events: Vec::new(),
        };
        let target = page
            .call("Target.createTarget", json!({"url": "about:blank"}))
            .await;
        let attached = page
            .call(
                "Target.attachToTarget",
                json!({"targetId": target["targetId"], "flatten": true}),
            )
            .await;
        page.session = attached["sessionId"].as_str().expect("session").to_owned();
        page.call("Page.enable", json!({})).await;
        page.call("DOM.enable", json!({})).await;
        page.call("Runtime.enable", json!({})).await;
        page
    }

    async fn next_message(&mut self) -> Value {
        let message = tokio::time::timeout(STEP_TIMEOUT, self.ws.next())
            .await
            .expect("DevTools answered in time")
            .expect("DevTools connection open")
            .expect("DevTools message");
        match message {
            Message::Text(text) => serde_json::from_str(text.as_str()).expect("JSON"),
            _ => Value::Null,
        }
    }

    /// Sends a command (to the page's session once attached) and returns its result.
    async fn call(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        let mut command = json!({"id": id, "method": method, "params": params});
        if !self.session.is_empty() {
            command["sessionId"] = self.session.clone().into();
        }
        self.ws
            .send(Message::text(command.to_string()))
            .await
            .expect("send");
        loop {
            let m = self.next_message().await;
            if m["id"] == id {
                assert!(m.get("error").is_none(), "{method} failed: {m}");
                return m["result"].clone();
            }
            if m.get("method").is_some() {
                self.events.push(m);
            }
        }
    }

    async fn wait_event(&mut self, method: &str) {
        if let Some(i) = self.events.iter().position(|e| e["method"] == method) {
            self.events.drain(..=i);
            return;
        }
        loop {
            let m = self.next_message().await;
            if m["method"] == method {
                return;
            }
            eprintln!("browser: event {}", m["method"]);
        }
    }

    async fn eval(&mut self, expression: &str) -> Value {
        let r = self
            .call(
                "Runtime.evaluate",
                json!({"expression": expression, "returnByValue": true}),
            )
            .await;
        r["result"]["value"].clone()
    }

    async fn goto(&mut self, url: &str) {
        eprintln!("browser: open {url}");
        self.events.clear();
        self.call("Page.navigate", json!({"url": url})).await;
        self.wait_event("Page.loadEventFired").await;
    }

    async fn text(&mut self) -> String {
        self.eval("document.body.innerText")
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    async fn location(&mut self) -> String {
        self.eval("location.href")
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// Clicks the element `selector` with real mouse events at the centre of its first box
    /// (a link may wrap over two lines) and waits for the page that follows.
    async fn click_and_wait(&mut self, selector: &str) {
        let sel = serde_json::to_string(selector).expect("selector");
        let found = self
            .call(
                "Runtime.evaluate",
                json!({"expression": format!("(() => {{ const e = document.querySelector({sel}); if (e) e.scrollIntoView({{block: 'center'}}); return e; }})()")}),
            )
            .await;
        let object = found["result"]["objectId"]
            .as_str()
            .unwrap_or_else(|| panic!("no element {selector}"))
            .to_owned();
        let quads = self
            .call("DOM.getContentQuads", json!({"objectId": object}))
            .await;
        let quad: Vec<f64> = quads["quads"][0]
            .as_array()
            .expect("a box")
            .iter()
            .filter_map(Value::as_f64)
            .collect();
        let x = (quad[0] + quad[2] + quad[4] + quad[6]) / 4.0;
        let y = (quad[1] + quad[3] + quad[5] + quad[7]) / 4.0;
        self.events.clear();
        for kind in ["mouseMoved", "mousePressed", "mouseReleased"] {
            self.call(
                "Input.dispatchMouseEvent",
                json!({"type": kind, "x": x, "y": y, "button": "left", "clickCount": 1}),
            )
            .await;
        }
        self.wait_event("Page.loadEventFired").await;
    }

    /// Focuses the input `selector` and types `text` into it.
    async fn type_into(&mut self, selector: &str, text: &str) {
        let sel = serde_json::to_string(selector).expect("selector");
        let found = self
            .eval(&format!("(() => {{ const e = document.querySelector({sel}); if (!e) return false; e.focus(); return true; }})()"))
            .await;
        assert_eq!(found, true, "no input {selector}");
        self.call("Input.insertText", json!({"text": text})).await;
    }

    async fn screenshot(&mut self, path: &PathBuf) {
        use base64::Engine;
        let shot = self
            .call("Page.captureScreenshot", json!({"format": "png"}))
            .await;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(shot["data"].as_str().expect("data"))
            .expect("base64");
        std::fs::write(path, bytes).expect("write screenshot");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dashboard_approval_through_the_page_in_chromium() {
    let env = TestEnv::new("dashboard_browser");
    let w = waiting_negotiation(&env).await;
    let base = format!("https://localhost:{}", w.provider.management_port);
    let browser = Browser::start(&env.dir.join("chromium-profile"));
    let mut page = Page::open(&browser).await;

    // Not logged in: the dashboard sends the browser to the login form.
    page.goto(&format!("{base}/dashboard")).await;
    assert!(page.location().await.ends_with("/dashboard/login"));
    assert!(page.text().await.contains("Verwaltungs-Token"));

    // Log in by typing the token and clicking the button.
    page.type_into("#token", &w.provider.token).await;
    page.click_and_wait("form button[type=submit]").await;
    assert!(page.location().await.ends_with("/dashboard"));
    let overview = page.text().await;
    for expected in [
        "Übersicht",
        "Stadtwerke Musterstadt GmbH",
        &w.provider.did,
        "Warten auf Freigabe",
        "Mitgliedschaft",
        "gültig",
    ] {
        assert!(
            overview.contains(expected),
            "missing {expected:?} in\n{overview}"
        );
    }
    let cookies = page.eval("document.cookie").await;
    assert_eq!(cookies, "", "the session cookie is HttpOnly");

    // The list of negotiations waiting for approval links to the request.
    page.goto(&format!("{base}/dashboard/negotiations")).await;
    let list = page.text().await;
    assert!(
        list.contains("Verhandlungen, die auf Freigabe warten"),
        "{list}"
    );
    assert!(list.contains("Stadt Musterstadt"), "{list}");
    page.click_and_wait(&format!(
        "a[href='/dashboard/negotiations/{}']",
        w.provider_id
    ))
    .await;
    let detail = page.text().await;
    for expected in [
        "Diese Anfrage wartet auf Ihre Freigabe.",
        "Angefragte Bedingungen",
        "Zweck: ",
        "Nutzung bis 31.12.2027",
        "Ergebnis der Prüfung",
        "Vertragstext",
        "Freigeben und Vertrag senden",
        "Gegenangebot senden",
    ] {
        assert!(
            detail.contains(expected),
            "missing {expected:?} in\n{detail}"
        );
    }
    let shots = env.dir.join("screenshots");
    std::fs::create_dir_all(&shots).expect("screenshot folder");
    page.screenshot(&shots.join("negotiation.png")).await;

    // Approve through the page.
    page.click_and_wait("#freigeben").await;
    assert!(page.location().await.ends_with("?erledigt=freigegeben"));
    assert!(page.text().await.contains("Freigegeben:"));

    // The JSON API shows the negotiation moved on to the agreement, on both sides.
    let n = w.provider.wait_state(&w.provider_id, "FINALIZED", 30).await;
    assert!(n["waiting"].is_null(), "{n}");
    w.consumer.wait_state(&w.consumer_id, "FINALIZED", 30).await;
    let (_, agreements) = w.provider.get("/api/v1/agreements").await;
    let agreement = agreements
        .as_array()
        .and_then(|a| {
            a.iter()
                .find(|a| a["negotiation_id"] == w.provider_id.as_str())
        })
        .cloned()
        .expect("the provider stored the agreement");
    assert_eq!(agreement["fully_signed"], true, "{agreement}");

    // The agreement page: German text and both signatures verified now.
    page.goto(&format!("{base}/dashboard/agreements")).await;
    assert!(page.text().await.contains("beide gültig"));
    page.click_and_wait("table a").await;
    let shown = page.text().await;
    assert_eq!(
        shown.matches("gültig (jetzt geprüft)").count(),
        2,
        "both signatures verified:\n{shown}"
    );
    assert!(shown.contains("Vertragstext"), "{shown}");
    assert!(shown.contains("Stadt Musterstadt"), "{shown}");
    page.screenshot(&shots.join("agreement.png")).await;

    // The audit log page: the chain is checked and the decision and agreement are listed.
    // The entries are staged with the state change and written to the log just after it.
    for kind in ["policy_decision", "agreement"] {
        wait_audit(&w.provider, kind, &w.provider_id).await;
    }
    page.goto(&format!("{base}/dashboard/audit")).await;
    let audit = page.text().await;
    for expected in [
        "Unversehrt.",
        "Vertrag geschlossen",
        "Prüfung der Bedingungen",
    ] {
        assert!(audit.contains(expected), "missing {expected:?} in\n{audit}");
    }

    // A transfer under a second, automatically concluded agreement: running, then done.
    let data = transfer_data(&env.dir);
    let consumer_agreement = concluded_transfer_agreement(&w, &data).await;
    let (status, t) = w
        .consumer
        .post(
            "/api/v1/transfers",
            &json!({"agreement_id": consumer_agreement, "manual_fetch": true}),
        )
        .await;
    assert_eq!(status, 201, "transfer: {t}");
    let transfer = t["id"].as_str().expect("id").to_owned();
    wait_transfer(&w.consumer, &transfer, |t| t["state"] == "STARTED").await;
    page.goto(&format!("{base}/dashboard/transfers")).await;
    let running = page.text().await;
    assert!(running.contains("Laufende Übertragungen"), "{running}");
    assert!(
        running.contains("Verkehrszählung Musterstadt 2024") && running.contains("läuft"),
        "{running}"
    );
    let (status, f) = w
        .consumer
        .post(&format!("/api/v1/transfers/{transfer}/fetch"), &json!({}))
        .await;
    assert!(status < 300, "fetch: {status} {f}");
    let done = wait_transfer(&w.consumer, &transfer, |t| {
        !t["progress"]["done_ms"].is_null()
    })
    .await;
    assert_eq!(done["progress"]["bytes"], data.len() as u64, "{done}");
    page.goto(&format!("{base}/dashboard/audit?art=data_access"))
        .await;
    let accesses = page.text().await;
    assert!(accesses.contains("Datenzugriff"), "{accesses}");
    page.goto(&format!("{base}/dashboard/transfers")).await;
    let provider_side = page.text().await;
    assert!(
        provider_side.contains("abgeschlossen") || provider_side.contains("läuft"),
        "{provider_side}"
    );

    // The consumer's dashboard in the same browser (another port of the same host): its
    // transfer page shows the completed download; the provider's session stays valid.
    let consumer_base = format!("https://localhost:{}", w.consumer.management_port);
    page.goto(&format!("{consumer_base}/dashboard")).await;
    assert!(page.location().await.ends_with("/dashboard/login"));
    page.type_into("#token", &w.consumer.token).await;
    page.click_and_wait("form button[type=submit]").await;
    page.goto(&format!("{consumer_base}/dashboard/transfers"))
        .await;
    let consumer_side = page.text().await;
    assert!(
        consumer_side.contains("verkehrszaehlung-2024") && consumer_side.contains("(100 %)"),
        "{consumer_side}"
    );
    assert!(
        consumer_side.contains("Vollständig und geprüft"),
        "{consumer_side}"
    );
    page.screenshot(&shots.join("transfers.png")).await;
    page.goto(&format!("{base}/dashboard/agreements")).await;
    assert!(
        page.location().await.ends_with("/dashboard/agreements"),
        "still logged in at the provider"
    );
}

/// A CSV of hourly counts (about 100 kB).
fn transfer_data(dir: &Path) -> Vec<u8> {
    let mut csv = String::from("zaehlstelle;stunde;fahrzeuge\n");
    for hour in 0..4000 {
        csv.push_str(&format!(
            "MS-{:03};2024-01-01T{:02}:00;{}\n",
            hour % 40,
            hour % 24,
            100 + hour % 900
        ));
    }
    std::fs::write(dir.join("verkehr-2024.csv"), &csv).expect("write data");
    csv.into_bytes()
}

/// Offers the traffic counts under an automatically approved template; the consumer
/// negotiates; returns the consumer's agreement id.
async fn concluded_transfer_agreement(w: &Waiting, _data: &[u8]) -> String {
    let (status, t) = w
        .provider
        .post_text(
            "/api/v1/templates",
            &template("mobilitaetsdaten-verkehrsplanung"),
            "text/markdown",
        )
        .await;
    assert_eq!(status, 201, "template: {t}");
    let file = w
        .provider
        .dir
        .parent()
        .expect("env folder")
        .join("verkehr-2024.csv");
    let (status, a) = w
        .provider
        .post(
            "/api/v1/assets",
            &json!({"id": "verkehrszaehlung-2024", "title": "Verkehrszählung Musterstadt 2024",
                "description": "Stündliche Zählwerte aller Dauerzählstellen.", "themes": ["TRAN"],
                "ags": "09162000", "source": {"file": file.display().to_string()}}),
        )
        .await;
    assert_eq!(status, 201, "asset: {a}");
    let (status, o) = w
        .provider
        .post(
            "/api/v1/offers",
            &json!({"asset_id": a["id"], "template_id": t["id"], "template_version": t["version"]}),
        )
        .await;
    assert_eq!(status, 201, "offer: {o}");
    let (status, n) = w
        .consumer
        .post(
            "/api/v1/negotiations",
            &json!({"connector": w.provider.dsp_base(), "dataset_id": "verkehrszaehlung-2024",
                    "purpose": "gwd:Verkehrsplanung"}),
        )
        .await;
    assert_eq!(status, 201, "start: {n}");
    let id = n["id"].as_str().expect("id");
    let n = w.consumer.wait_state(id, "FINALIZED", 30).await;
    n["agreement"]["@id"]
        .as_str()
        .expect("agreement id")
        .to_owned()
}

/// Waits until `c`'s audit log holds an entry of `kind` about the process `id` (the writer
/// moves entries staged with a state change into the log just after the change).
async fn wait_audit(c: &TestConnector, kind: &str, id: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (status, entries) = c
            .get(&format!(
                "/api/v1/audit?kind={kind}&process={}",
                tests::harness::urlencode(id)
            ))
            .await;
        if status == 200 && entries.as_array().is_some_and(|e| !e.is_empty()) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "no {kind} entry about {id} in the audit log after 30 s: {status} {entries}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn wait_transfer(c: &TestConnector, id: &str, ready: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (_, t) = c.get(&format!("/api/v1/transfers/{id}")).await;
        if ready(&t) {
            return t;
        }
        assert!(
            Instant::now() < deadline,
            "transfer {id} not there in time: {t}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
