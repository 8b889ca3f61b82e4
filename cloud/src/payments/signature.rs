//! Razorpay's signatures: HMAC-SHA256, hex. The checkout callback signs
//! `order_id|payment_id` with the key secret; a webhook signs its raw body with the
//! webhook secret. Compared in constant time (`Mac::verify_slice`).

use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// The hex HMAC-SHA256 of `message` under `secret`.
pub fn sign(secret: &str, message: &[u8]) -> String {
    let mut mac = mac(secret);
    mac.update(message);
    hex::encode(mac.finalize().into_bytes())
}

/// Whether `signature` (hex) is the HMAC-SHA256 of `message` under `secret`.
pub fn verifies(secret: &str, message: &[u8], signature: &str) -> bool {
    let Ok(given) = hex::decode(signature.trim()) else {
        return false;
    };
    let mut mac = mac(secret);
    mac.update(message);
    mac.verify_slice(&given).is_ok()
}

/// The checkout callback's signed message.
pub fn checkout_message(order_id: &str, payment_id: &str) -> Vec<u8> {
    format!("{order_id}|{payment_id}").into_bytes()
}

fn mac(secret: &str) -> HmacSha256 {
    <HmacSha256 as Mac>::new_from_slice(secret.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC takes any key length"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Razorpay's own SDK test vector (razorpay-ruby, `test_utility.rb`): key secret
    /// `key_secret`, order `fake_order_id`, payment `fake_payment_id`.
    #[test]
    fn razorpays_documented_checkout_vector_verifies() {
        let message = checkout_message("fake_order_id", "fake_payment_id");
        let expected = "b2335e3b0801106b84a7faff035df56ecffde06918c9ddd1f0fafbb37a51cc89";
        assert_eq!(sign("key_secret", &message), expected);
        assert!(verifies("key_secret", &message, expected));
        assert!(!verifies(
            "key_secret",
            &message,
            &"_dummy_signature".repeat(4)
        ));
        assert!(!verifies("other_secret", &message, expected));
        let swapped = checkout_message("fake_payment_id", "fake_order_id");
        assert!(!verifies("key_secret", &swapped, expected));
    }

    /// A webhook signature is the plain HMAC-SHA256 of the raw body: RFC 4231's test
    /// case 2 fixes the primitive.
    #[test]
    fn webhook_signatures_are_hmac_sha256_of_the_raw_body() {
        let sig = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";
        assert!(verifies("Jefe", b"what do ya want for nothing?", sig));
        assert!(verifies(
            "Jefe",
            b"what do ya want for nothing?",
            &sig.to_uppercase()
        ));
        assert!(!verifies("Jefe", b"what do ya want for nothing? ", sig));
        assert!(!verifies("Jefe", b"what do ya want for nothing?", "zz"));
    }
}
