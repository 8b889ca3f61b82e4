//! Base45 (RFC 9285), strict: the decoder accepts only canonical upper-case input.
//!
//! QR codes store Base45 in alphanumeric mode, which is why token v1 uses it. The
//! decoder rejects lower case, a length that leaves one character over, and groups
//! whose value does not fit the bytes they stand for — so every input has at most one
//! meaning, and garbage from a scanner ends as an error, never a panic.

const ALPHABET: &[u8; 45] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";

/// Why a string is not valid Base45.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Base45Error {
    #[error("character {0:?} is not in the Base45 alphabet")]
    BadCharacter(char),
    #[error("Base45 length leaves a single trailing character")]
    BadLength,
    #[error("a Base45 group is worth more than the bytes it encodes")]
    Overflow,
}

/// Encodes bytes as Base45.
pub fn encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(2) * 3);
    let mut chunks = bytes.chunks_exact(2);
    for pair in &mut chunks {
        let mut n = u32::from(pair[0]) * 256 + u32::from(pair[1]);
        for _ in 0..3 {
            out.push(char::from(ALPHABET[(n % 45) as usize]));
            n /= 45;
        }
    }
    if let [last] = chunks.remainder() {
        let n = u32::from(*last);
        out.push(char::from(ALPHABET[(n % 45) as usize]));
        out.push(char::from(ALPHABET[(n / 45) as usize]));
    }
    out
}

fn value(c: u8) -> Result<u32, Base45Error> {
    let v = match c {
        b'0'..=b'9' => c - b'0',
        b'A'..=b'Z' => c - b'A' + 10,
        b' ' => 36,
        b'$' => 37,
        b'%' => 38,
        b'*' => 39,
        b'+' => 40,
        b'-' => 41,
        b'.' => 42,
        b'/' => 43,
        b':' => 44,
        _ => return Err(Base45Error::BadCharacter(char::from(c))),
    };
    Ok(u32::from(v))
}

/// Decodes Base45, rejecting anything that is not canonical.
pub fn decode(text: &str) -> Result<Vec<u8>, Base45Error> {
    let input = text.as_bytes();
    if input.len() % 3 == 1 {
        return Err(Base45Error::BadLength);
    }
    let mut out = Vec::with_capacity(input.len() / 3 * 2 + 1);
    for group in input.chunks(3) {
        match *group {
            [c, d, e] => {
                let n = value(c)? + value(d)? * 45 + value(e)? * 45 * 45;
                let n = u16::try_from(n).map_err(|_| Base45Error::Overflow)?;
                out.extend_from_slice(&n.to_be_bytes());
            }
            [c, d] => {
                let n = value(c)? + value(d)? * 45;
                out.push(u8::try_from(n).map_err(|_| Base45Error::Overflow)?);
            }
            _ => return Err(Base45Error::BadLength),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rfc_examples_encode_and_decode() {
        assert_eq!(encode(b"AB"), "BB8");
        assert_eq!(encode(b"Hello!!"), "%69 VD92EX0");
        assert_eq!(encode(b"base-45"), "UJCLQE7W581");
        assert_eq!(decode("QED8WEX0").unwrap(), b"ietf!");
    }

    #[test]
    fn lower_case_is_rejected() {
        assert_eq!(decode("bb8"), Err(Base45Error::BadCharacter('b')));
    }

    #[test]
    fn a_single_trailing_character_is_rejected() {
        assert_eq!(decode("BB8A"), Err(Base45Error::BadLength));
    }

    #[test]
    fn a_group_above_65535_is_rejected() {
        assert_eq!(decode("FGW").unwrap(), [0xFF, 0xFF]);
        assert_eq!(decode("GGW"), Err(Base45Error::Overflow));
        assert_eq!(decode(":::"), Err(Base45Error::Overflow));
        assert_eq!(decode("::"), Err(Base45Error::Overflow));
    }

    #[test]
    fn non_ascii_input_is_rejected_without_panicking() {
        assert!(decode("ÄÄÄ").is_err());
    }
}
