//! The HTTP requests of `sasl oauth`: GET for discovery documents, POST for
//! registration and the token endpoint. Redirects are never followed (a discovery
//! document must come from the URL asked for), bodies are bounded, `http://` is
//! refused unless the account's trust allows it, and no request or response body is
//! ever logged (they carry codes and tokens).

use crate::failure::Failure;
use rustls::pki_types::CertificateDer;
use sasl_oauthbearer::authorization::FormRequest;
use sasl_oauthbearer::discovery::{MAX_DOCUMENT_SIZE, Trust};
use std::sync::Arc;
use std::time::Duration;
use ureq::tls::{Certificate, RootCerts, TlsConfig};

/// An HTTP response: its status and its body (at most [`MAX_DOCUMENT_SIZE`] bytes).
#[derive(Debug)]
pub(crate) struct Response {
    /// The status code.
    pub(crate) status: u16,
    /// The body.
    pub(crate) body: Vec<u8>,
}

/// The client: one agent with the roots to trust and the URL-scheme policy.
pub(crate) struct Http {
    agent: ureq::Agent,
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
        let tls = TlsConfig::builder()
            .root_certs(RootCerts::Specific(Arc::new(roots)))
            .build();
        let agent = ureq::Agent::config_builder()
            .timeout_global(Some(timeout))
            .max_redirects(0)
            .http_status_as_error(false)
            .user_agent(concat!("sasl/", env!("CARGO_PKG_VERSION")))
            .tls_config(tls)
            .build()
            .into();
        Ok(Http { agent, trust })
    }

    /// The URL-scheme policy.
    pub(crate) fn trust(&self) -> Trust {
        self.trust
    }

    /// GET `url`, asking for `accept`.
    pub(crate) fn get(&self, url: &str, accept: &str) -> Result<Response, Failure> {
        self.check(url)?;
        let response = self
            .agent
            .get(url)
            .header("Accept", accept)
            .call()
            .map_err(|e| transport_error(url, &e))?;
        read(url, response)
    }

    /// POST a form (a token, device or revocation request).
    pub(crate) fn post_form(&self, url: &str, form: &FormRequest) -> Result<Response, Failure> {
        self.check(url)?;
        let mut request = self
            .agent
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
        self.check(url)?;
        let response = self
            .agent
            .post(url)
            .header("Content-Type", "application/json")
            .header("Accept", "application/json")
            .send(json)
            .map_err(|e| transport_error(url, &e))?;
        read(url, response)
    }

    /// Refuses `http://` unless the trust allows it for this URL (the library checks
    /// discovered URLs too; this also covers the ones given on the command line).
    fn check(&self, url: &str) -> Result<(), Failure> {
        let lower = url.to_ascii_lowercase();
        if lower.starts_with("https://") {
            return Ok(());
        }
        if lower.starts_with("http://") {
            let host = lower
                .trim_start_matches("http://")
                .split(['/', '?', '#'])
                .next()
                .unwrap_or_default();
            let host = host.rsplit_once('@').map_or(host, |(_, h)| h);
            let loopback = host == "localhost"
                || host.starts_with("localhost:")
                || host.starts_with("127.")
                || host.starts_with("[::1]");
            let allowed = match self.trust {
                Trust::AllowHttp => true,
                Trust::AllowHttpLoopback => loopback,
                _ => false,
            };
            if allowed {
                return Ok(());
            }
            return Err(Failure::error(format!("refusing plain-text http: {url}"))
                .hint("OAuth endpoints must be https (--allow-http-loopback is for a local test provider)"));
        }
        Err(Failure::error(format!("not an http(s) URL: {url:?}")))
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
    Ok(Response { status, body })
}

fn transport_error(url: &str, error: &ureq::Error) -> Failure {
    Failure::error(format!("{url}: {error}"))
}
