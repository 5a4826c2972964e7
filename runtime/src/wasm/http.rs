//! Outgoing HTTP for plugins (`wasi:http`), to the hosts their config grants and no others.

use std::future::Future;

use http_body_util::BodyExt;
use wasmtime_wasi_http::{Error, RequestOptions, WasiBody, WasiHttpHooks, default_send_request};

/// A response and the future that reports errors while its body is read.
type Sent = Result<
    (
        http::Response<WasiBody>,
        Box<dyn Future<Output = Result<(), Error>> + Send>,
    ),
    Error,
>;

/// The hosts a plugin instance may reach (`wasm.allow.http.hosts`): `host` or `host:port`.
pub struct HttpGrants {
    plugin: String,
    hosts: Vec<String>,
}

impl HttpGrants {
    /// Grants to these hosts only; none when empty.
    pub fn new(plugin: &str, hosts: Vec<String>) -> HttpGrants {
        HttpGrants {
            plugin: plugin.to_owned(),
            hosts,
        }
    }

    /// Whether a request's authority is granted: `host:port` as given, or a bare `host` for a
    /// URL without a port (the scheme's own). A bare host never opens other ports, such as the
    /// worker's REST listener on the same machine. Host names compare case-insensitively.
    fn allows(&self, authority: Option<&http::uri::Authority>) -> bool {
        authority.is_some_and(|a| {
            self.hosts.iter().any(|granted| {
                granted.eq_ignore_ascii_case(a.as_str())
                    || (a.port().is_none() && granted.eq_ignore_ascii_case(a.host()))
            })
        })
    }
}

impl WasiHttpHooks for HttpGrants {
    fn send_request(
        &mut self,
        request: http::Request<WasiBody>,
        options: Option<RequestOptions>,
        _fut: Box<dyn Future<Output = Result<(), Error>> + Send>,
    ) -> Box<dyn Future<Output = Sent> + Send> {
        if !self.allows(request.uri().authority()) {
            tracing::warn!(plugin = %self.plugin, uri = %request.uri(), "HTTP request denied: the host is not in wasm.allow.http.hosts");
            return Box::new(async { Err(Error::HttpRequestDenied) });
        }
        Box::new(async move {
            let (response, io) = default_send_request(request, options).await?;
            let io: Box<dyn Future<Output = Result<(), Error>> + Send> = Box::new(io);
            Ok((response.map(BodyExt::boxed_unsync), io))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_granted_hosts_pass() {
        let grants = HttpGrants::new("p", vec!["127.0.0.1:8080".into(), "api.example.com".into()]);
        let authority = |s: &str| s.parse::<http::uri::Authority>().expect("authority");
        assert!(grants.allows(Some(&authority("127.0.0.1:8080"))));
        assert!(grants.allows(Some(&authority("API.example.com"))));
        assert!(
            !grants.allows(Some(&authority("api.example.com:8083"))),
            "a bare host opens no other port"
        );
        assert!(!grants.allows(Some(&authority("127.0.0.1:9090"))));
        assert!(!grants.allows(Some(&authority("example.com"))));
        assert!(!grants.allows(None));
    }
}
