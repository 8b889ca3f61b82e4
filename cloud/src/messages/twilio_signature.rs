//! Twilio's webhook signature: base64 of HMAC-SHA1, keyed with the auth token, over the
//! full URL Twilio called (as configured: `GASQ_PUBLIC_URL` + path, query included)
//! followed by every POST parameter, sorted by name, as name then value.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha1::Sha1;

type HmacSha1 = Hmac<Sha1>;

fn mac(token: &str, url: &str, params: &[(String, String)]) -> HmacSha1 {
    let mut sorted: Vec<&(String, String)> = params.iter().collect();
    sorted.sort();
    let mut mac = <HmacSha1 as Mac>::new_from_slice(token.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
    mac.update(url.as_bytes());
    for (name, value) in sorted {
        mac.update(name.as_bytes());
        mac.update(value.as_bytes());
    }
    mac
}

/// The signature Twilio sends for a POST of `params` to `url`.
pub fn sign(token: &str, url: &str, params: &[(String, String)]) -> String {
    STANDARD.encode(mac(token, url, params).finalize().into_bytes())
}

/// Whether `signature` is Twilio's for this request (constant time).
pub fn verifies(token: &str, url: &str, params: &[(String, String)], signature: &str) -> bool {
    let Ok(given) = STANDARD.decode(signature.trim()) else {
        return false;
    };
    mac(token, url, params).verify_slice(&given).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(caller: &str) -> Vec<(String, String)> {
        [
            ("CallSid", "CA1234567890ABCDE"),
            ("Caller", caller),
            ("Digits", "1234"),
            ("From", caller),
            ("To", "+18005551212"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
    }

    /// Twilio's documented example (security docs, "Validating signatures from Twilio"):
    /// auth token `12345`, URL `https://mycompany.com/myapp.php?foo=1&bar=2`.
    #[test]
    fn twilios_documented_examples_verify() {
        let url = "https://mycompany.com/myapp.php?foo=1&bar=2";
        for (caller, expected) in [
            ("+14158675309", "RSOYDt4T1cUTdK1PDd93/VVr8B8="),
            ("+14158675310", "GvWf1cFY/Q7PnoempGyD5oXAezc="),
        ] {
            assert_eq!(sign("12345", url, &params(caller)), expected);
            assert!(verifies("12345", url, &params(caller), expected));
        }
        let url_other = "https://mycompany.com/myapp.php?foo=1&bar=3";
        assert!(!verifies(
            "12345",
            url_other,
            &params("+14158675309"),
            "RSOYDt4T1cUTdK1PDd93/VVr8B8="
        ));
        assert!(!verifies(
            "12346",
            url,
            &params("+14158675309"),
            "RSOYDt4T1cUTdK1PDd93/VVr8B8="
        ));
        assert!(!verifies(
            "12345",
            url,
            &params("+14158675309"),
            "not base64!"
        ));
    }
}
