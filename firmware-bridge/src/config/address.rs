//! The broker address from `[mqtt] url`: `mqtt://HOST[:PORT]` (1883 by default).
//! `tcp://` is accepted as a synonym; TLS is not offered because the station bus is the
//! edge's local broker.

use std::fmt;

/// Where the station bus listens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokerAddress {
    pub host: String,
    pub port: u16,
}

impl BrokerAddress {
    pub fn parse(url: &str) -> Result<Self, String> {
        let url = url.trim();
        let rest = url
            .strip_prefix("mqtt://")
            .or_else(|| url.strip_prefix("tcp://"))
            .ok_or_else(|| format!("{url:?} is not mqtt://HOST:PORT"))?;
        let rest = rest.trim_end_matches('/');
        if rest.contains(['/', '@', '?', '#']) {
            return Err(format!(
                "{url:?}: give only mqtt://HOST:PORT (put credentials in mqtt.username / mqtt.password)"
            ));
        }
        let (host, port) = match rest.rsplit_once(':') {
            // An IPv6 literal in brackets, or a host with a port.
            Some((host, port)) if !host.ends_with(':') && !port.contains(']') => {
                let port: u16 = port
                    .parse()
                    .ok()
                    .filter(|p| *p != 0)
                    .ok_or_else(|| format!("{url:?}: port {port:?} is not 1-65535"))?;
                (host, port)
            }
            _ => (rest, 1883),
        };
        let host = host.trim_start_matches('[').trim_end_matches(']');
        if host.is_empty() {
            return Err(format!("{url:?} has no host"));
        }
        Ok(Self {
            host: host.to_owned(),
            port,
        })
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
    fn other_schemes_and_junk_are_refused() {
        for bad in [
            "http://x:1",
            "mqtts://x:8883",
            "mqtt://",
            "mqtt://x:0",
            "mqtt://x:99999",
            "mqtt://u:p@x:1",
            "x:1883",
        ] {
            assert!(BrokerAddress::parse(bad).is_err(), "{bad}");
        }
    }
}
