//! HTTPS calls of the launcher: one client that trusts only the demo CA, JSON requests whose
//! errors name the URL, the status and the service's own message, and a readiness probe.

use std::path::Path;
use std::time::Duration;

use serde_json::Value;

use super::DemoError;

/// Largest answer the launcher reads.
const MAX_ANSWER_BYTES: usize = 8 * 1024 * 1024;

/// A client trusting only the CA in `ca_file`.
pub fn client(ca_file: &Path) -> Result<reqwest::Client, DemoError> {
    let roots = connector::tls::root_store(&[ca_file.to_path_buf()], false)
        .map_err(|e| DemoError::Setup(format!("demo CA {}: {e}", ca_file.display())))?;
    let tls = connector::tls::client_config(roots)
        .map_err(|e| DemoError::Setup(format!("TLS client: {e}")))?;
    reqwest::Client::builder()
        .use_preconfigured_tls(tls)
        .timeout(Duration::from_secs(30))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| DemoError::Setup(format!("HTTP client: {e}")))
}

/// True when `GET url` answers 2xx.
pub async fn is_ready(http: &reqwest::Client, url: &str) -> bool {
    matches!(http.get(url).timeout(Duration::from_secs(2)).send().await,
        Ok(r) if r.status().is_success())
}

/// Sends `request` and reads a JSON answer (or `Null` for an empty one); a non-2xx answer
/// becomes an error naming the URL, the status and the service's message.
pub async fn json(request: reqwest::RequestBuilder, what: &str) -> Result<Value, String> {
    let response = request
        .send()
        .await
        .map_err(|e| format!("{what}: {}", chain(&e)))?;
    let status = response.status();
    let url = response.url().to_string();
    let too_large =
        || format!("{what}: the answer of {url} is larger than {MAX_ANSWER_BYTES} bytes");
    if response
        .content_length()
        .is_some_and(|n| n > MAX_ANSWER_BYTES as u64)
    {
        return Err(too_large());
    }
    let mut response = response;
    let mut bytes = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| format!("{what}: reading the answer of {url}: {e}"))?
    {
        if bytes.len() + chunk.len() > MAX_ANSWER_BYTES {
            return Err(too_large());
        }
        bytes.extend_from_slice(&chunk);
    }
    let value: Value = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()))
    };
    if !status.is_success() {
        let message = value
            .get("message")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .unwrap_or_else(|| value.to_string());
        let details = value
            .get("details")
            .and_then(Value::as_array)
            .map(|d| {
                d.iter()
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join("; ")
            })
            .filter(|d| !d.is_empty())
            .map(|d| format!(" ({d})"))
            .unwrap_or_default();
        return Err(format!(
            "{what}: {url} answered HTTP {}: {message}{details}",
            status.as_u16()
        ));
    }
    Ok(value)
}

/// An error with its causes.
pub fn chain(e: &dyn std::error::Error) -> String {
    connector::cli::chain(e)
}
