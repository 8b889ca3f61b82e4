//! Decoding any bytes as a token — raw, as text, and behind the `GQ1:` prefix — never
//! panics. Run: `cd shared/fuzz && cargo +nightly fuzz run token_decode`.
#![no_main]

use gasq_shared::{base45, token, topics::Scan};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(scan) = Scan::parse(data) {
        let _ = token::decode(&scan.code);
    }
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = token::decode(text);
        let _ = base45::decode(text);
    }
    let _ = token::decode(&format!("GQ1:{}", base45::encode(data)));
});
