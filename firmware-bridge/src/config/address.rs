//! The broker address from `[mqtt] url`: `mqtt://[USER:PASSWORD@]HOST[:PORT]` (1883 by
//! default). `tcp://` is accepted as a synonym; TLS is not offered because the station
//! bus is the edge's local broker. A login in the URL is taken as written (no
//! percent-decoding: the passwords `gasq-edge bus-client add` makes are URL-safe).

use std::fmt;

use super::Secret;

/// Where the station bus listens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokerAddress {
    pub host: String,
    pub port: u16,
    /// The login in the URL, if any.
    pub username: Option<String>,
    pub password: Option<Secret>,
}

impl BrokerAddress {
    pub fn parse(url: &str) -> Result<Self, String> {
        let url = url.trim();
        // Messages name the URL without its password.
        let shown = redacted(url);
        let rest = url
            .strip_prefix("mqtt://")
            .or_else(|| url.strip_prefix("tcp://"))
            .ok_or_else(|| format!("{shown:?} is not mqtt://HOST:PORT"))?;
        let rest = rest.trim_end_matches('/');
        let (login, rest) = match rest.rsplit_once('@') {
            Some((login, rest)) => (Some(login), rest),
            None => (None, rest),
        };
        let (username, password) = match login.map(|l| l.split_once(':')) {
            None => (None, None),
            Some(Some((user, pass))) if !user.is_empty() => {
                (Some(user.to_owned()), Some(Secret::new(pass)))
            }
            Some(_) => {
                return Err(
                    "the URL's login must be USER:PASSWORD@ (or use mqtt.username / mqtt.password)"
                        .into(),
                );
            }
        };
        if rest.contains(['/', '@', '?', '#']) {
            return Err(format!(
                "{shown}: give only mqtt://[USER:PASSWORD@]HOST:PORT"
            ));
        }
        let (host, port) = match rest.rsplit_once(':') {
            // An IPv6 literal in brackets, or a host with a port.
            Some((host, port)) if !host.ends_with(':') && !port.contains(']') => {
                let port: u16 = port
                    .parse()
                    .ok()
                    .filter(|p| *p != 0)
                    .ok_or_else(|| format!("{shown:?}: port {port:?} is not 1-65535"))?;
                (host, port)
            }
            _ => (rest, 1883),
        };
        let host = host.trim_start_matches('[').trim_end_matches(']');
        if host.is_empty() {
            return Err(format!("{shown:?} has no host"));
        }
        Ok(Self {
            host: host.to_owned(),
            port,
            username,
            password,
        })
    }
}

/// `url` with any password in it replaced by `***`, for messages.
fn redacted(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let login = &url[scheme + 3..at];
            let user = login.split(':').next().unwrap_or_default();
            format!("{}{user}:***{}", &url[..scheme + 3], &url[at..])
        }
        _ => url.to_owned(),
    }
}

impl fmt::Display for BrokerAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.host.contains(':') {
            write!(f, "mqtt://[{}]:{}", self.host, self.port)
        } else {
            write!(f, "mqtt://{}:{}", self.host, self.port)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_url_gives_host_and_port() {
        let a = BrokerAddress::parse("mqtt://127.0.0.1:18830").unwrap();
        assert_eq!((a.host.as_str(), a.port), ("127.0.0.1", 18830));
        assert_eq!(BrokerAddress::parse("mqtt://edge").unwrap().port, 1883);
        assert_eq!(
            BrokerAddress::parse("mqtt://[::1]:1884").unwrap().host,
            "::1"
        );
    }

    #[test]
    fn a_login_in_the_url_is_taken_and_never_shown() {
        let a = BrokerAddress::parse("mqtt://lane_1:s3cret@edge:1883").unwrap();
        assert_eq!(a.username.as_deref(), Some("lane_1"));
        assert_eq!(a.password.unwrap().expose(), "s3cret");
        assert_eq!(a.host, "edge");
        for bad in ["mqtt://lane_1:s3cret@edge/x", "mqtt://lane_1:s3cret@edge:0"] {
            let e = BrokerAddress::parse(bad).unwrap_err();
            assert!(
                !e.contains("s3cret") && e.contains("lane_1:***@edge"),
                "{e}"
            );
        }
    }

    #[test]
    fn other_schemes_and_junk_are_refused() {
        for bad in [
            "http://x:1",
            "mqtts://x:8883",
            "mqtt://",
            "mqtt://x:0",
            "mqtt://x:99999",
            "mqtt://p@x:1",
            "mqtt://x/y",
            "x:1883",
        ] {
            assert!(BrokerAddress::parse(bad).is_err(), "{bad}");
        }
    }
}
