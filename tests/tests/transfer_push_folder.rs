//! `HttpData-PUSH` of a folder between two real connectors over TLS, through a TCP proxy in
//! front of the consumer's receiving endpoint (`dataplane.push_receive_url`):
//!
//! - while the proxy holds the provider back, requests with the transfer's token (taken from
//!   the captured `TransferRequestMessage`, as the provider got it) show that the receiver
//!   refuses a manifest with a path escaping the folder, a file not in the manifest, a path
//!   with `..`, a body of another size and a wrong digest — each naming what is wrong;
//! - the proxy then cuts the push once in the middle of the first file; the provider tries
//!   again, learns with `HEAD` how much arrived, continues with `Content-Range`, and the
//!   folder arrives complete with every digest verified;
//! - a second push, cut by the provider's termination after one file was verified, leaves
//!   nothing in the received-data folder;
//! - an external endpoint gets exactly the documented requests (manifest, then each file);
//! - a single file cut mid-file is continued the same way and verified.
//!
//! DSP messages are captured for the validator like the other transfer tests.

#[path = "transfer_support/mod.rs"]
mod support;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU16, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use futures_util::StreamExt;
use serde_json::{Value, json};
use support::{Pair, sha256_hex, urlencode, wait_transfer};
use tests::harness::TestEnv;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const MANIFEST_TYPE: &str = "application/vnd.datenraum.folder-manifest+json";

/// A TCP proxy that holds what clients send while it is closed, and cuts one connection
/// once after a number of bytes from the client.
struct FlakyProxy {
    port: u16,
    upstream: Arc<AtomicU16>,
    open: tokio::sync::watch::Sender<bool>,
    cut_after: Arc<AtomicU64>,
    cuts: Arc<AtomicUsize>,
}

impl FlakyProxy {
    async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind proxy");
        let port = listener.local_addr().expect("addr").port();
        let upstream = Arc::new(AtomicU16::new(0));
        let (open, gate) = tokio::sync::watch::channel(false);
        let cut_after = Arc::new(AtomicU64::new(0));
        let cuts = Arc::new(AtomicUsize::new(0));
        let (up, cut, count) = (upstream.clone(), cut_after.clone(), cuts.clone());
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                tokio::spawn(relay(
                    client,
                    up.clone(),
                    gate.clone(),
                    cut.clone(),
                    count.clone(),
                ));
            }
        });
        Self {
            port,
            upstream,
            open,
            cut_after,
            cuts,
        }
    }

    fn set_open(&self, open: bool) {
        let _ = self.open.send(open);
    }
}

async fn relay(
    client: tokio::net::TcpStream,
    upstream: Arc<AtomicU16>,
    mut gate: tokio::sync::watch::Receiver<bool>,
    cut_after: Arc<AtomicU64>,
    cuts: Arc<AtomicUsize>,
) {
    if gate.wait_for(|open| *open).await.is_err() {
        return;
    }
    let port = upstream.load(Ordering::SeqCst);
    let Ok(server) = tokio::net::TcpStream::connect(("127.0.0.1", port)).await else {
        return;
    };
    let (mut client_read, mut client_write) = client.into_split();
    let (mut server_read, mut server_write) = server.into_split();
    let down = tokio::spawn(async move {
        let _ = tokio::io::copy(&mut server_read, &mut client_write).await;
        let _ = client_write.shutdown().await;
    });
    let mut buf = vec![0u8; 16 * 1024];
    let mut up = 0u64;
    loop {
        let n = match client_read.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        // Closing the gate holds open connections too.
        if gate.wait_for(|open| *open).await.is_err() {
            break;
        }
        let budget = cut_after.load(Ordering::SeqCst);
        if budget > 0 && up + n as u64 > budget {
            // Cut once: forward up to the budget, then drop both connections.
            cut_after.store(0, Ordering::SeqCst);
            cuts.fetch_add(1, Ordering::SeqCst);
            let keep = (budget - up) as usize;
            let _ = server_write.write_all(&buf[..keep]).await;
            down.abort();
            return;
        }
        up += n as u64;
        if server_write.write_all(&buf[..n]).await.is_err() {
            break;
        }
    }
    let _ = server_write.shutdown().await;
    let _ = down.await;
}

async fn start_push(p: &Pair, extra: Value) -> String {
    let mut body = json!({"agreement_id": p.agreement, "format": "HttpData-PUSH"});
    if let (Some(m), Value::Object(e)) = (body.as_object_mut(), extra) {
        m.extend(e);
    }
    let (status, t) = p.consumer.post("/api/v1/transfers", &body).await;
    assert_eq!(status, 201, "push transfer: {t}");
    t["id"].as_str().expect("id").to_owned()
}

/// The push token the consumer put into its request for `id` (as the provider received it).
fn push_token(env: &TestEnv, id: &str) -> String {
    let dir = env.capture.dir().join("connector-musterstadt");
    for entry in std::fs::read_dir(&dir).expect("capture folder").flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.contains("-sent-TransferRequestMessage") {
            continue;
        }
        let m: Value =
            serde_json::from_slice(&std::fs::read(entry.path()).expect("read")).expect("json");
        if m["consumerPid"] == id {
            let props = m["dataAddress"]["endpointProperties"]
                .as_array()
                .expect("properties");
            return props
                .iter()
                .find(|p| p["name"] == "authorization")
                .and_then(|p| p["value"].as_str())
                .expect("authorization")
                .to_owned();
        }
    }
    panic!("no captured TransferRequestMessage for {id}");
}

/// The provider's folder: (relative path, content), sorted by path.
fn folder_files(p: &Pair) -> Vec<(String, Vec<u8>)> {
    let root = p.env.dir.join("transfer_push_folder-verkehr.csv");
    let mut out = Vec::new();
    for rel in ["2024/januar.csv", "liesmich.txt", "zaehlstellen.csv"] {
        out.push((rel.to_owned(), std::fs::read(root.join(rel)).expect("file")));
    }
    out
}

fn manifest_of(files: &[(String, Vec<u8>)]) -> Value {
    json!({"files": files.iter().map(|(path, data)| json!({"path": path,
        "size": data.len(), "sha256": sha256_hex(data)})).collect::<Vec<_>>()})
}

fn repr_digest(data: &[u8]) -> String {
    use base64::Engine;
    use sha2::Digest;
    format!(
        "sha-256=:{}:",
        base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(data))
    )
}

/// Every regular file below `dir`.
fn files_below(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let path = e.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

fn file_name_for(id: &str) -> String {
    id.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// A request to the consumer's receiving endpoint, directly (not through the proxy).
async fn put(
    p: &Pair,
    url: &str,
    token: &str,
    content_type: &str,
    digest: Option<&str>,
    body: Vec<u8>,
) -> (u16, Value) {
    let mut r = p
        .env
        .http
        .put(url)
        .bearer_auth(token)
        .header("content-type", content_type)
        .body(body);
    if let Some(d) = digest {
        r = r.header("repr-digest", d);
    }
    let r = r.send().await.expect("PUT");
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn provider_access_ends(p: &Pair, pid: &str) -> Vec<Value> {
    let (_, ends) = p.provider.get("/api/v1/audit?kind=data_access_end").await;
    ends.as_array()
        .expect("entries")
        .iter()
        .filter(|e| e["process"] == pid)
        .cloned()
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transfer_push_of_a_folder_refuses_bad_files_resumes_a_cut_and_leaves_nothing_when_terminated()
 {
    let proxy = FlakyProxy::start().await;
    let receive_url = format!("https://localhost:{}/data/push", proxy.port);
    let consumer_settings = move |_: &TestEnv, c: &tests::harness::TestConnector| {
        support::set_dataplane(c, "push_receive_url", receive_url.clone().into());
    };
    let p = Pair::start_in(
        TestEnv::new("transfer_push_folder"),
        "transfer_push_folder",
        0,
        json!({"abrufe": "10"}),
        |_, c| support::set_dataplane(c, "allow_local_push_endpoints", true.into()),
        Some(&consumer_settings),
        None,
    )
    .await;
    proxy.upstream.store(p.consumer.dsp_port, Ordering::SeqCst);
    let files = folder_files(&p);
    let total: u64 = files.iter().map(|f| f.1.len() as u64).sum();
    let manifest = serde_json::to_vec(&manifest_of(&files)).expect("manifest");

    // 1. The provider is held at the proxy; the receiver refuses bad requests.
    let id = start_push(&p, json!({})).await;
    p.wait_consumer(&id, "STARTED", |t| t["state"] == "STARTED")
        .await;
    let token = push_token(&p.env, &id);
    let own = format!(
        "https://localhost:{}/data/push/{}",
        p.consumer.dsp_port,
        urlencode(&id)
    );
    let file_url = |rel: &str| format!("{own}/files/{rel}");
    let (s, e) = put(
        &p,
        &file_url("liesmich.txt"),
        &token,
        "text/plain",
        Some(&repr_digest(&files[1].1)),
        files[1].1.clone(),
    )
    .await;
    assert_eq!(s, 409, "a file before the manifest: {e}");
    assert!(
        e["message"].as_str().unwrap_or("").contains("manifest"),
        "{e}"
    );
    for (bad, says) in [
        ("../ausbruch.csv", "files[1] (\"../ausbruch.csv\")"),
        ("/etc/passwd", "not a plain name"),
        ("a//b.csv", "not a plain name"),
    ] {
        let mut m = manifest_of(&files);
        m["files"][1]["path"] = bad.into();
        let (s, e) = put(
            &p,
            &own,
            &token,
            MANIFEST_TYPE,
            None,
            serde_json::to_vec(&m).expect("json"),
        )
        .await;
        assert_eq!(s, 400, "{bad}: {e}");
        assert_eq!(e["code"], "invalid_manifest", "{e}");
        assert!(
            e["message"].as_str().unwrap_or("").contains(says),
            "{bad}: {e}"
        );
    }
    let (s, e) = put(&p, &own, "erfunden", MANIFEST_TYPE, None, manifest.clone()).await;
    assert_eq!(s, 401, "a wrong token: {e}");
    // The real manifest (the provider's, later, is then known: it asks before each file).
    let (s, e) = put(&p, &own, &token, MANIFEST_TYPE, None, manifest.clone()).await;
    assert_eq!(s, 201, "manifest: {e}");
    assert_eq!(e["files"], 3);
    let (s, e) = put(&p, &own, &token, MANIFEST_TYPE, None, manifest.clone()).await;
    assert_eq!(s, 200, "the same manifest again: {e}");
    let (s, e) = put(
        &p,
        &file_url("nicht-gelistet.csv"),
        &token,
        "text/csv",
        Some(&repr_digest(b"x")),
        b"x".to_vec(),
    )
    .await;
    assert_eq!(s, 404, "{e}");
    assert_eq!(e["code"], "not_in_manifest");
    assert!(
        e["message"]
            .as_str()
            .unwrap_or("")
            .contains("nicht-gelistet.csv"),
        "{e}"
    );
    let (s, e) = put(
        &p,
        &file_url("2024%2F..%2F..%2Fausbruch.csv"),
        &token,
        "text/csv",
        Some(&repr_digest(b"x")),
        b"x".to_vec(),
    )
    .await;
    assert_eq!(s, 400, "{e}");
    assert_eq!(e["code"], "invalid_path", "{e}");
    assert!(e["message"].as_str().unwrap_or("").contains(".."), "{e}");
    let mut longer = files[1].1.clone();
    longer.extend_from_slice(b"mehr");
    let (s, e) = put(
        &p,
        &file_url("liesmich.txt"),
        &token,
        "text/plain",
        Some(&repr_digest(&files[1].1)),
        longer,
    )
    .await;
    assert_eq!(s, 400, "another size: {e}");
    assert!(
        e["message"].as_str().unwrap_or("").contains("liesmich.txt"),
        "{e}"
    );
    let (s, e) = put(
        &p,
        &file_url("liesmich.txt"),
        &token,
        "text/plain",
        Some(&repr_digest(b"etwas anderes")),
        files[1].1.clone(),
    )
    .await;
    assert_eq!(s, 400, "another digest: {e}");
    assert_eq!(e["code"], "not_as_in_manifest", "{e}");

    // 2. Open the proxy, cutting the push once in the middle of the first file (1 MB).
    proxy.cut_after.store(400_000, Ordering::SeqCst);
    proxy.set_open(true);
    let t = p
        .wait_consumer(&id, "COMPLETED with the folder", |t| {
            t["state"] == "COMPLETED" && t["received"].as_array().is_some_and(|a| a.len() == 3)
        })
        .await;
    assert_eq!(
        proxy.cuts.load(Ordering::SeqCst),
        1,
        "the push was cut once"
    );
    let mut folder = None;
    for (f, (rel, data)) in t["received"]
        .as_array()
        .expect("received")
        .iter()
        .zip(&files)
    {
        assert_eq!(f["path"], rel.as_str(), "{t}");
        assert_eq!(f["sha256"], sha256_hex(data).as_str(), "{t}");
        let stored = PathBuf::from(f["stored_at"].as_str().expect("stored_at"));
        assert!(
            std::fs::read(&stored).expect("stored") == *data,
            "{rel} is the provider's"
        );
        let depth = rel.split('/').count();
        let dir = stored.ancestors().nth(depth).expect("folder").to_path_buf();
        assert!(folder.is_none_or(|f| f == dir), "all in one folder");
        folder = Some(dir);
    }
    let folder = folder.expect("the transfer's folder");
    assert!(folder.ends_with(file_name_for(&id)), "{}", folder.display());
    let received_dir = folder
        .parent()
        .and_then(Path::parent)
        .expect("received-data folder")
        .to_path_buf();
    assert_eq!(
        files_below(&received_dir).len(),
        3,
        "only the three files (nothing refused, no partial or staging files): {:?}",
        files_below(&received_dir)
    );
    // The provider continued the cut file instead of sending everything again.
    let pt = p.provider_transfer(&id).await;
    let pid = pt["id"].as_str().expect("id").to_owned();
    wait_transfer(&p.provider, &pid, "COMPLETED", |t| {
        t["state"] == "COMPLETED"
    })
    .await;
    let ends = provider_access_ends(&p, &pid).await;
    assert!(
        ends.iter().any(|e| e["details"]["complete"] == false),
        "an attempt was cut: {ends:?}"
    );
    let done: Vec<&Value> = ends
        .iter()
        .filter(|e| e["details"]["complete"] == true)
        .collect();
    assert_eq!(done.len(), 1, "{ends:?}");
    let last = done[0];
    let kept = last["details"]["kept_by_receiver"].as_u64().expect("kept");
    let sent = last["details"]["bytes"].as_u64().expect("bytes");
    assert!(
        kept > 0 && kept < 1_000_001,
        "continued within januar.csv: {last}"
    );
    assert_eq!(sent + kept, total, "only the rest was sent again: {last}");
    // Recorded with the folder's receipt, appended to the log by the audit writer just after.
    let log = support::wait_audit(
        &p.consumer,
        &format!("process={}", urlencode(&id)),
        "data_received",
        |log| log.iter().any(|e| e["kind"] == "data_received"),
    )
    .await;
    let got = log
        .iter()
        .find(|e| e["kind"] == "data_received")
        .expect("data_received");
    assert_eq!(got["details"]["folder"], true, "{got}");
    assert_eq!(got["details"]["bytes"], total, "{got}");

    // 3. A push cut by termination leaves nothing in the received-data folder.
    proxy.set_open(false);
    let cut = start_push(&p, json!({})).await;
    p.wait_consumer(&cut, "STARTED", |t| t["state"] == "STARTED")
        .await;
    let token = push_token(&p.env, &cut);
    let own = format!(
        "https://localhost:{}/data/push/{}",
        p.consumer.dsp_port,
        urlencode(&cut)
    );
    let (s, e) = put(&p, &own, &token, MANIFEST_TYPE, None, manifest.clone()).await;
    assert_eq!(s, 201, "{e}");
    let (s, e) = put(
        &p,
        &format!("{own}/files/liesmich.txt"),
        &token,
        "text/plain",
        Some(&repr_digest(&files[1].1)),
        files[1].1.clone(),
    )
    .await;
    assert_eq!(s, 201, "one file verified: {e}");
    let waiting: Vec<PathBuf> = files_below(&received_dir)
        .into_iter()
        .filter(|f| !f.starts_with(&folder))
        .collect();
    assert!(
        waiting.iter().any(|f| f.ends_with("liesmich.txt")),
        "the verified file waits outside the transfer's folder: {waiting:?}"
    );
    let cut_folder = folder.with_file_name(file_name_for(&cut));
    assert!(
        !cut_folder.exists(),
        "the transfer's folder appears only complete"
    );
    let pt = p.provider_transfer(&cut).await;
    let cut_pid = pt["id"].as_str().expect("id").to_owned();
    let (status, ended) = p
        .provider
        .post(
            &format!("/api/v1/transfers/{}/terminate", urlencode(&cut_pid)),
            &json!({"reasons": ["Test: Abbruch"]}),
        )
        .await;
    assert_eq!(status, 200, "{ended}");
    let t = p
        .wait_consumer(&cut, "TERMINATED", |t| t["state"] == "TERMINATED")
        .await;
    assert!(t["received"].as_array().is_none_or(|a| a.is_empty()), "{t}");
    // The removal runs in the background after TERMINATED: files first, then the staging
    // folders; wait for both.
    let deadline = Instant::now() + Duration::from_secs(10);
    while files_below(&received_dir).len() != 3 || received_dir.join(".push").exists() {
        assert!(
            Instant::now() < deadline,
            "the unfinished push was not removed (no staging may be left): {:?}",
            files_below(&received_dir)
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(!cut_folder.exists());
    proxy.set_open(true);

    // 4. An external endpoint gets the documented requests: the manifest, then each file.
    type Seen = Vec<(Method, String, HeaderMap, Vec<u8>)>;
    let seen: Arc<Mutex<Seen>> = Arc::default();
    let log = seen.clone();
    let app = axum::Router::new().fallback(
        move |method: Method, uri: Uri, headers: HeaderMap, body: Body| {
            let log = log.clone();
            async move {
                let mut bytes = Vec::new();
                let mut stream = body.into_data_stream();
                while let Some(Ok(c)) = stream.next().await {
                    bytes.extend_from_slice(&c);
                }
                log.lock()
                    .expect("lock")
                    .push((method, uri.path().to_owned(), headers, bytes));
                StatusCode::CREATED
            }
        },
    );
    let port = p
        .env
        .serve_https_on_any_port("external-folder-endpoint", app)
        .await;
    let external = start_push(
        &p,
        json!({"push_endpoint": format!("https://localhost:{port}/eingang"),
               "push_token": "extern-ordner"}),
    )
    .await;
    let pt = p.provider_transfer(&external).await;
    wait_transfer(
        &p.provider,
        pt["id"].as_str().expect("id"),
        "COMPLETED",
        |t| t["state"] == "COMPLETED",
    )
    .await;
    let seen = seen.lock().expect("lock").clone();
    let paths: Vec<(String, String)> = seen
        .iter()
        .map(|(m, path, _, _)| (m.to_string(), path.clone()))
        .collect();
    assert_eq!(
        paths,
        vec![
            ("PUT".to_owned(), "/eingang".to_owned()),
            (
                "PUT".to_owned(),
                "/eingang/files/2024/januar.csv".to_owned()
            ),
            ("PUT".to_owned(), "/eingang/files/liesmich.txt".to_owned()),
            (
                "PUT".to_owned(),
                "/eingang/files/zaehlstellen.csv".to_owned()
            ),
        ]
    );
    let (_, _, headers, body) = &seen[0];
    assert_eq!(headers["content-type"], MANIFEST_TYPE);
    assert_eq!(headers["authorization"], "Bearer extern-ordner");
    let sent: Value = serde_json::from_slice(body).expect("manifest JSON");
    assert_eq!(sent, manifest_of(&files));
    for ((_, _, headers, body), (_, data)) in seen[1..].iter().zip(&files) {
        assert!(body == data, "each file as it is");
        assert_eq!(headers["repr-digest"], repr_digest(data).as_str());
        assert_eq!(headers["authorization"], "Bearer extern-ordner");
        assert!(headers.get("content-range").is_none());
    }
    assert_eq!(seen[2].2["content-type"], "text/plain; charset=utf-8");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transfer_push_of_a_single_file_cut_mid_file_is_continued_and_verified() {
    let proxy = FlakyProxy::start().await;
    let receive_url = format!("https://localhost:{}/data/push", proxy.port);
    let consumer_settings = move |_: &TestEnv, c: &tests::harness::TestConnector| {
        support::set_dataplane(c, "push_receive_url", receive_url.clone().into());
    };
    let p = Pair::start_in(
        TestEnv::new("transfer_push_resume"),
        "transfer_push_resume",
        3_000_017,
        json!({"abrufe": "10"}),
        |_, c| support::set_dataplane(c, "allow_local_push_endpoints", true.into()),
        Some(&consumer_settings),
        None,
    )
    .await;
    proxy.upstream.store(p.consumer.dsp_port, Ordering::SeqCst);
    proxy.cut_after.store(1_200_000, Ordering::SeqCst);
    proxy.set_open(true);
    let id = start_push(&p, json!({})).await;
    let t = p
        .wait_consumer(&id, "COMPLETED with data", |t| {
            t["state"] == "COMPLETED" && t["received"].as_array().is_some_and(|a| a.len() == 1)
        })
        .await;
    assert_eq!(
        proxy.cuts.load(Ordering::SeqCst),
        1,
        "the push was cut once"
    );
    let f = &t["received"][0];
    assert_eq!(f["sha256"], sha256_hex(&p.data).as_str(), "{t}");
    let stored = std::fs::read(f["stored_at"].as_str().expect("stored_at")).expect("stored");
    assert!(stored == p.data, "the stored file is the provider's");
    let pt = p.provider_transfer(&id).await;
    let pid = pt["id"].as_str().expect("id").to_owned();
    wait_transfer(&p.provider, &pid, "COMPLETED", |t| {
        t["state"] == "COMPLETED"
    })
    .await;
    let ends = provider_access_ends(&p, &pid).await;
    let done: Vec<&Value> = ends
        .iter()
        .filter(|e| e["details"]["complete"] == true)
        .collect();
    assert_eq!(done.len(), 1, "{ends:?}");
    let kept = done[0]["details"]["kept_by_receiver"]
        .as_u64()
        .expect("kept");
    let sent = done[0]["details"]["bytes"].as_u64().expect("bytes");
    assert!(
        kept > 500_000,
        "continued where the cut left it: {}",
        done[0]
    );
    assert_eq!(sent + kept, p.data.len() as u64, "{}", done[0]);
}
