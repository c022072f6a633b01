//! A client for the running connector's management API: HTTPS to the local management port,
//! the connector's own certificate (and the configured CAs) trusted, the certificate checked
//! for the public host name, the bearer token from the configuration or the environment.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use serde_json::Value;

use super::CliError;
use crate::config::{Config, Secret};

/// A client for the management API.
#[derive(Debug, Clone)]
pub struct ManagementClient {
    http: reqwest::Client,
    base: String,
    token: Secret,
}

impl ManagementClient {
    /// A client for the connector this configuration describes.
    pub fn from_config(config: &Config) -> Result<Self, CliError> {
        let token = config
            .management_token()
            .map_err(|e| CliError::Setup(e.to_string()))?;
        let listen = config.management.listen;
        let ip = if listen.ip().is_unspecified() {
            IpAddr::V4(Ipv4Addr::LOCALHOST)
        } else {
            listen.ip()
        };
        let target = SocketAddr::new(ip, listen.port());
        let mut builder = reqwest::Client::builder()
            .timeout(Duration::from_secs(120))
            .redirect(reqwest::redirect::Policy::none());
        let base = if config.tls.terminated_by_proxy {
            format!("http://{target}")
        } else {
            let public = reqwest::Url::parse(&config.dsp.public_url)
                .map_err(|e| CliError::Setup(format!("dsp.public_url: {e}")))?;
            let host = public
                .host_str()
                .ok_or_else(|| CliError::Setup("dsp.public_url has no host".into()))?
                .to_owned();
            let mut files: Vec<std::path::PathBuf> = config
                .tls
                .extra_ca_files
                .iter()
                .map(|p| config.path(p))
                .collect();
            if let Some(cert) = &config.tls.cert_file {
                files.push(config.path(cert));
            }
            let roots = crate::tls::root_store(&files, config.tls.use_system_roots)
                .map_err(|e| CliError::Setup(e.to_string()))?;
            let tls =
                crate::tls::client_config(roots).map_err(|e| CliError::Setup(e.to_string()))?;
            // Connect to the local port but check the certificate for the public host name.
            builder = builder.use_preconfigured_tls(tls);
            if host.parse::<IpAddr>().is_err() {
                builder = builder.resolve(&host, target);
                format!("https://{host}:{}", target.port())
            } else {
                format!("https://{target}")
            }
        };
        let http = builder
            .build()
            .map_err(|e| CliError::Setup(format!("HTTP client: {e}")))?;
        Ok(Self { http, base, token })
    }

    async fn send(
        &self,
        request: reqwest::RequestBuilder,
        url: &str,
    ) -> Result<reqwest::Response, CliError> {
        let response = request
            .bearer_auth(self.token.expose())
            .send()
            .await
            .map_err(|e| CliError::Connect {
                url: url.to_owned(),
                message: describe(&e),
            })?;
        let status = response.status().as_u16();
        if (200..300).contains(&status) {
            return Ok(response);
        }
        let text = response.text().await.unwrap_or_default();
        let message = serde_json::from_str::<Value>(&text)
            .ok()
            .and_then(|v| v.get("message").and_then(Value::as_str).map(str::to_owned))
            .unwrap_or(text);
        Err(CliError::Api { status, message })
    }

    async fn json(&self, request: reqwest::RequestBuilder, url: &str) -> Result<Value, CliError> {
        let response = self.send(request, url).await?;
        if response.status().as_u16() == 204 {
            return Ok(Value::Null);
        }
        let text = response.text().await.map_err(|e| CliError::Connect {
            url: url.to_owned(),
            message: e.to_string(),
        })?;
        if text.is_empty() {
            return Ok(Value::Null);
        }
        serde_json::from_str(&text).map_err(|e| CliError::Api {
            status: 200,
            message: format!("not JSON: {e}"),
        })
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// `GET path` as JSON.
    pub async fn get(&self, path: &str) -> Result<Value, CliError> {
        let url = self.url(path);
        self.json(self.http.get(&url), &url).await
    }

    /// `GET path` as text.
    pub async fn get_text(&self, path: &str) -> Result<String, CliError> {
        let url = self.url(path);
        let response = self.send(self.http.get(&url), &url).await?;
        response.text().await.map_err(|e| CliError::Connect {
            url,
            message: e.to_string(),
        })
    }

    /// `POST path` with a JSON body.
    pub async fn post(&self, path: &str, body: &Value) -> Result<Value, CliError> {
        let url = self.url(path);
        self.json(self.http.post(&url).json(body), &url).await
    }

    /// `POST path` with a text body.
    pub async fn post_text(
        &self,
        path: &str,
        body: String,
        content_type: &str,
    ) -> Result<Value, CliError> {
        let url = self.url(path);
        self.json(
            self.http
                .post(&url)
                .header(reqwest::header::CONTENT_TYPE, content_type)
                .body(body),
            &url,
        )
        .await
    }

    /// `DELETE path`.
    pub async fn delete(&self, path: &str) -> Result<Value, CliError> {
        let url = self.url(path);
        self.json(self.http.delete(&url), &url).await
    }
}

/// An error with its causes, `: `-separated.
pub fn chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut source = e.source();
    while let Some(inner) = source {
        s.push_str(": ");
        s.push_str(&inner.to_string());
        source = inner.source();
    }
    s
}

fn describe(e: &reqwest::Error) -> String {
    use std::error::Error as _;
    let mut s = e.to_string();
    let mut source = e.source();
    while let Some(inner) = source {
        s.push_str(": ");
        s.push_str(&inner.to_string());
        source = inner.source();
    }
    s
}
