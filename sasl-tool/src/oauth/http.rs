//! The HTTP requests of `sasl oauth`: GET for discovery documents, POST for
//! registration and the token endpoint. Redirects are never followed (a discovery
//! document must come from the URL asked for), bodies are bounded, `http://` is
//! refused unless the account's trust allows it, and no request or response body is
//! ever logged (they carry codes and tokens).

use crate::failure::Failure;
use rustls::pki_types::CertificateDer;
use sasl_oauthbearer::authorization::FormRequest;
use sasl_oauthbearer::discovery::{MAX_DOCUMENT_SIZE, Trust, check_endpoint, is_loopback_url};
use std::sync::Arc;
use std::time::Duration;
use ureq::tls::{Certificate, RootCerts, TlsConfig};
use zeroize::Zeroizing;

/// An HTTP response: its status and its body (at most [`MAX_DOCUMENT_SIZE`] bytes),
/// zeroized on drop (token endpoint answers carry tokens). No `Debug`: it would print
/// them.
pub(crate) struct Response {
    /// The status code.
    pub(crate) status: u16,
    /// The body.
    pub(crate) body: Zeroizing<Vec<u8>>,
}

/// The client: the roots to trust and the URL-scheme policy; proxies from the
/// environment for the Internet, never for loopback (a code or token for
/// `http://127.0.0.1` must not travel to a proxy).
pub(crate) struct Http {
    agent: ureq::Agent,
    direct: ureq::Agent,
    trust: Trust,
}

impl Http {
    /// A client trusting `roots` for `https` (the system's when `None`), and `http`
    /// where `trust` allows it.
    pub(crate) fn new(
        roots: Option<Vec<CertificateDer<'static>>>,
        trust: Trust,
        timeout: Duration,
    ) -> Result<Self, Failure> {
        let roots = match roots {
            Some(roots) => roots,
            None => crate::tls::system_root_certs()?,
        };
        let roots: Vec<Certificate<'static>> = roots
            .iter()
            .map(|der| Certificate::from_der(der.as_ref()).to_owned())
            .collect();
        let roots = RootCerts::Specific(Arc::new(roots));
        let agent = |proxy: bool| -> ureq::Agent {
            let tls = TlsConfig::builder().root_certs(roots.clone()).build();
            let builder = ureq::Agent::config_builder()
                .timeout_global(Some(timeout))
                .max_redirects(0)
                .http_status_as_error(false)
                .user_agent(concat!("sasl/", env!("CARGO_PKG_VERSION")))
                .tls_config(tls);
            let builder = if proxy { builder } else { builder.proxy(None) };
            builder.build().into()
        };
        Ok(Http {
            agent: agent(true),
            direct: agent(false),
            trust,
        })
    }

    /// The URL-scheme policy.
    pub(crate) fn trust(&self) -> Trust {
        self.trust
    }

    /// GET `url`, asking for `accept`.
    pub(crate) fn get(&self, url: &str, accept: &str) -> Result<Response, Failure> {
        let agent = self.check(url)?;
        let response = agent
            .get(url)
            .header("Accept", accept)
            .call()
            .map_err(|e| transport_error(url, &e))?;
        read(url, response)
    }

    /// POST a form (a token, device or revocation request).
    pub(crate) fn post_form(&self, url: &str, form: &FormRequest) -> Result<Response, Failure> {
        let agent = self.check(url)?;
        let mut request = agent
            .post(url)
            .header("Content-Type", FormRequest::CONTENT_TYPE)
            .header("Accept", "application/json");
        if let Some(authorization) = form.authorization() {
            request = request.header("Authorization", authorization);
        }
        let response = request
            .send(form.body())
            .map_err(|e| transport_error(url, &e))?;
        read(url, response)
    }

    /// POST a JSON document (a client registration).
    pub(crate) fn post_json(&self, url: &str, json: &str) -> Result<Response, Failure> {
        let agent = self.check(url)?;
        let response = agent
            .post(url)
            .header("Content-Type", "application/json")
            .header("Accept", "application/json")
            .send(json)
            .map_err(|e| transport_error(url, &e))?;
        read(url, response)
    }

    /// Checks `url` by the library's endpoint rules (`https`, or `http` to a loopback
    /// host when the trust allows it, judged on the parsed host; no userinfo), which
    /// discovered URLs passed already and URLs from the command line or the account
    /// file pass here; then picks the agent: no proxy for loopback.
    fn check(&self, url: &str) -> Result<&ureq::Agent, Failure> {
        check_endpoint(url, "URL", self.trust).map_err(|e| {
            let failure = Failure::error(format!("refusing {url:?}: {e}"));
            if url.to_ascii_lowercase().starts_with("http://") {
                failure.hint("OAuth endpoints must be https (--allow-http-loopback is for a local test provider)")
            } else {
                failure
            }
        })?;
        Ok(if is_loopback_url(url) {
            &self.direct
        } else {
            &self.agent
        })
    }
}

fn read(url: &str, mut response: ureq::http::Response<ureq::Body>) -> Result<Response, Failure> {
    let status = response.status().as_u16();
    let limit = u64::try_from(MAX_DOCUMENT_SIZE).unwrap_or(u64::MAX);
    let body = response
        .body_mut()
        .with_config()
        .limit(limit)
        .read_to_vec()
        .map_err(|e| Failure::error(format!("reading the answer of {url}: {e}")))?;
    Ok(Response {
        status,
        body: Zeroizing::new(body),
    })
}

fn transport_error(url: &str, error: &ureq::Error) -> Failure {
    Failure::error(format!("{url}: {error}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn http(trust: Trust) -> Http {
        Http::new(Some(Vec::new()), trust, Duration::from_secs(1)).expect("no roots needed")
    }

    #[test]
    fn plain_http_only_to_real_loopback_hosts_and_only_when_allowed() {
        let loopback = http(Trust::AllowHttpLoopback);
        for ok in [
            "http://127.0.0.1:8080/token",
            "http://localhost/token",
            "http://[::1]:9/x",
            "https://idp.example/token",
        ] {
            assert!(loopback.check(ok).is_ok(), "{ok}");
        }
        for bad in [
            "http://127.0.0.1.evil.example/token",
            "http://127.evil.example/",
            "http://localhost.evil/",
            "http://localhost:80@evil.example/",
            "http://evil.example/token",
            "ftp://127.0.0.1/x",
            "https://idp.example/token#frag",
        ] {
            assert!(loopback.check(bad).is_err(), "{bad}");
        }
        assert!(http(Trust::HttpsOnly).check("http://127.0.0.1/x").is_err());
    }

    #[test]
    fn loopback_hosts_skip_the_proxy() {
        assert!(is_loopback_url("http://127.0.0.1:8080/token"));
        assert!(is_loopback_url("https://localhost/x"));
        assert!(is_loopback_url("http://[::1]:9/x"));
        assert!(!is_loopback_url("https://idp.example/token"));
        assert!(!is_loopback_url("https://127.0.0.1.evil.example/"));
    }
}
