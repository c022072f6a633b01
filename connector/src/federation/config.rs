//! The `[federation]` section of `connector.toml`: the broker, publication and the contact the
//! self-description names.
//!
//! Every key is optional. The broker's URL is normally recorded by `connector join` in the data
//! folder; `broker_url` here overrides it (and must then name the same broker).

use serde::{Deserialize, Serialize};

use crate::config::ConfigError;

/// How this connector takes part in the federation: joining, publishing, the register.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FederationConfig {
    /// The broker's base URL (`https://broker.example`). When absent, the broker
    /// `connector join --broker URL` recorded in the data folder.
    #[serde(default)]
    pub broker_url: Option<String>,
    /// Publish this connector's participant, data service and offered datasets to the broker
    /// once it is a member (default true). `connector unpublish` withdraws them until the next
    /// `connector publish`.
    #[serde(default = "yes")]
    pub publish: bool,
    /// Re-publish (refresh) at least this often, in seconds, so the broker keeps the
    /// description (it expires descriptions after a silence of 30 days by default).
    #[serde(default = "default_refresh")]
    pub refresh_secs: u64,
    /// How often the state is checked, in seconds: the credential file, a pending join request
    /// at the broker, changed assets and offers.
    #[serde(default = "default_check")]
    pub check_secs: u64,
    /// First delay before a failed publication or register submission is retried, in seconds;
    /// doubled after every failure.
    #[serde(default = "default_retry_initial")]
    pub retry_initial_secs: u64,
    /// Longest delay between two attempts, in seconds.
    #[serde(default = "default_retry_max")]
    pub retry_max_secs: u64,
    /// Title of the published catalogue (German). Default: "Datenkatalog von <legal name>".
    #[serde(default)]
    pub catalog_title: Option<String>,
    /// The participant's public web site, shown on the broker.
    #[serde(default)]
    pub homepage: Option<String>,
    /// Whom people ask about the datasets (required to publish).
    #[serde(default)]
    pub contact: Option<ContactConfig>,
}

/// The contact point of the self-description: a name and at least one way to reach it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContactConfig {
    /// The office or team (`Stabsstelle Digitalisierung und Daten`).
    pub name: String,
    /// E-mail address.
    #[serde(default)]
    pub email: Option<String>,
    /// Telephone number in international form.
    #[serde(default)]
    pub phone: Option<String>,
    /// A web page with contact details.
    #[serde(default)]
    pub url: Option<String>,
}

impl Default for FederationConfig {
    fn default() -> Self {
        Self {
            broker_url: None,
            publish: true,
            refresh_secs: default_refresh(),
            check_secs: default_check(),
            retry_initial_secs: default_retry_initial(),
            retry_max_secs: default_retry_max(),
            catalog_title: None,
            homepage: None,
            contact: None,
        }
    }
}

fn yes() -> bool {
    true
}
fn default_refresh() -> u64 {
    86_400
}
fn default_check() -> u64 {
    30
}
fn default_retry_initial() -> u64 {
    5
}
fn default_retry_max() -> u64 {
    600
}

fn invalid(key: &str, message: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        key: format!("federation.{key}"),
        message: message.into(),
    }
}

/// Checks a broker URL: https (http only when `allow_http`), no query or fragment.
pub fn check_broker_url(url: &str, allow_http: bool) -> Result<String, String> {
    let parsed = reqwest::Url::parse(url).map_err(|e| format!("{url:?} is not a URL: {e}"))?;
    match parsed.scheme() {
        "https" => {}
        "http" if allow_http => {}
        other => return Err(format!("{url:?} must use https (found {other})")),
    }
    if parsed.query().is_some() || parsed.fragment().is_some() {
        return Err(format!("{url:?} must not have a query or fragment"));
    }
    if parsed.host_str().is_none() {
        return Err(format!("{url:?} has no host"));
    }
    Ok(url.trim_end_matches('/').to_owned())
}

impl FederationConfig {
    /// Checks values serde cannot check; `allow_http` is true behind a TLS-terminating proxy
    /// or in the TCK mode.
    pub fn validate(&self, allow_http: bool) -> Result<(), ConfigError> {
        if let Some(url) = &self.broker_url {
            check_broker_url(url, allow_http).map_err(|m| invalid("broker_url", m))?;
        }
        if !(60..=30 * 86_400).contains(&self.refresh_secs) {
            return Err(invalid("refresh_secs", "between 60 seconds and 30 days"));
        }
        if !(1..=3_600).contains(&self.check_secs) {
            return Err(invalid("check_secs", "between 1 second and an hour"));
        }
        if self.retry_initial_secs == 0 || self.retry_initial_secs > self.retry_max_secs {
            return Err(invalid(
                "retry_initial_secs",
                "at least 1 and not more than retry_max_secs",
            ));
        }
        if self.retry_max_secs > 86_400 {
            return Err(invalid("retry_max_secs", "at most a day"));
        }
        if let Some(t) = &self.catalog_title
            && t.trim().is_empty()
        {
            return Err(invalid("catalog_title", "must not be empty when given"));
        }
        if let Some(h) = &self.homepage {
            let u = reqwest::Url::parse(h)
                .map_err(|e| invalid("homepage", format!("not a URL: {e}")))?;
            if !matches!(u.scheme(), "http" | "https") {
                return Err(invalid("homepage", "must be an http(s) URL"));
            }
        }
        if let Some(c) = &self.contact {
            if c.name.trim().is_empty() {
                return Err(invalid("contact.name", "must not be empty"));
            }
            if c.email.is_none() && c.phone.is_none() && c.url.is_none() {
                return Err(invalid(
                    "contact",
                    "give an email, a phone number or a url as well as the name",
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_bad_values_name_the_key() {
        FederationConfig::default()
            .validate(false)
            .expect("defaults");
        let c = FederationConfig {
            broker_url: Some("http://broker.example".into()),
            ..FederationConfig::default()
        };
        let e = c.validate(false).expect_err("http broker");
        assert!(e.to_string().contains("federation.broker_url"), "{e}");
        c.validate(true).expect("http behind a proxy");
        let c = FederationConfig {
            contact: Some(ContactConfig {
                name: "Daten".into(),
                email: None,
                phone: None,
                url: None,
            }),
            ..FederationConfig::default()
        };
        let e = c
            .validate(false)
            .expect_err("contact without a way to reach it");
        assert!(e.to_string().contains("federation.contact"), "{e}");
        let c = FederationConfig {
            retry_initial_secs: 900,
            ..FederationConfig::default()
        };
        assert!(c.validate(false).is_err());
    }

    #[test]
    fn broker_urls_lose_the_trailing_slash() {
        assert_eq!(
            check_broker_url("https://broker.example/", false).expect("ok"),
            "https://broker.example"
        );
        assert!(check_broker_url("https://broker.example/?x=1", false).is_err());
        assert!(check_broker_url("ftp://broker.example", true).is_err());
    }
}
