//! Short human codes technicians and attendants type (enrollment codes, attendant
//! secrets). Crockford's base32 alphabet (no I, L, O, U) avoids misreadings. Booking
//! codes are lane codes instead: 8 digits a driver can read out or key in
//! (`gasq_shared::lanecode`).

use rand::Rng;

const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// A random code of `len` characters (5 bits each).
pub fn random_code(len: usize) -> String {
    let mut rng = rand::thread_rng();
    (0..len)
        .map(|_| char::from(ALPHABET[rng.gen_range(0..32)]))
        .collect()
}

/// Whether every character is from the code alphabet (so byte offsets are char offsets).
pub fn is_code(s: &str) -> bool {
    s.bytes().all(|b| ALPHABET.contains(&b))
}

/// Upper-cases and maps look-alikes (O→0, I/L→1) so a code typed by hand still matches.
pub fn normalize(input: &str) -> String {
    input
        .trim()
        .chars()
        .filter(|c| !matches!(c, ' ' | '-'))
        .map(|c| match c.to_ascii_uppercase() {
            'O' => '0',
            'I' | 'L' => '1',
            other => other,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_use_only_the_unambiguous_alphabet() {
        for _ in 0..100 {
            let code = random_code(8);
            assert_eq!(code.len(), 8);
            assert!(code.bytes().all(|b| ALPHABET.contains(&b)), "{code}");
        }
    }

    #[test]
    fn a_hand_typed_code_is_normalised() {
        assert_eq!(normalize(" k7m2-qxo1 "), "K7M2QX01");
        assert_eq!(normalize("il"), "11");
    }
}
