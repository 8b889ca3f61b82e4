//! How many SMS segments a text takes (3GPP TS 23.038 / 23.040). A text that uses only
//! the GSM 03.38 default alphabet goes as GSM-7: 160 septets alone, 153 per segment when
//! concatenated, the extension characters (`{}[]~\^|€` and form feed) costing two. Any
//! other character (Devanagari, `₹`) makes the whole text UCS-2: 70 UTF-16 units alone,
//! 67 per segment.

/// How a text is encoded in SMS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Gsm7,
    Ucs2,
}

/// The GSM 03.38 default alphabet (one septet each).
const BASIC: &str = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?\
¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
/// The extension table (escape + one septet: two each).
const EXTENSION: &str = "\u{000C}^{}\\[~]|€";

/// The encoding of `text` and how many segments it takes.
pub fn measure(text: &str) -> (Encoding, usize) {
    let mut septets = 0usize;
    for c in text.chars() {
        if BASIC.contains(c) {
            septets += 1;
        } else if EXTENSION.contains(c) {
            septets += 2;
        } else {
            let units = text.encode_utf16().count();
            return (Encoding::Ucs2, segments(units, 70, 67));
        }
    }
    (Encoding::Gsm7, segments(septets, 160, 153))
}

/// `text`, cut (with `…`) until it takes at most `max` segments.
pub fn fit(text: &str, max: usize) -> String {
    if measure(text).1 <= max {
        return text.to_owned();
    }
    let mut chars: Vec<char> = text.chars().collect();
    while !chars.is_empty() {
        chars.pop();
        let cut: String = chars.iter().collect::<String>() + "…";
        if measure(&cut).1 <= max {
            return cut;
        }
    }
    String::new()
}

fn segments(units: usize, single: usize, each: usize) -> usize {
    if units <= single {
        1
    } else {
        units.div_ceil(each)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gsm7_texts_take_160_then_153_per_segment() {
        assert_eq!(measure(&"a".repeat(160)), (Encoding::Gsm7, 1));
        assert_eq!(measure(&"a".repeat(161)), (Encoding::Gsm7, 2));
        assert_eq!(measure(&"a".repeat(306)), (Encoding::Gsm7, 2));
        assert_eq!(measure(&"a".repeat(307)), (Encoding::Gsm7, 3));
        // Extension characters count twice.
        assert_eq!(measure(&"{".repeat(80)), (Encoding::Gsm7, 1));
        assert_eq!(measure(&"{".repeat(81)), (Encoding::Gsm7, 2));
    }

    #[test]
    fn fit_cuts_a_long_text_to_two_segments() {
        let long = "a".repeat(400);
        let cut = fit(&long, 2);
        assert!(cut.ends_with('…'));
        assert_eq!(measure(&cut).1, 2);
        assert_eq!(fit("short", 2), "short");
    }

    #[test]
    fn one_character_outside_gsm7_makes_the_text_ucs2() {
        assert_eq!(measure(&"a".repeat(70)), (Encoding::Gsm7, 1));
        let rupee = format!("₹{}", "a".repeat(69));
        assert_eq!(measure(&rupee), (Encoding::Ucs2, 1));
        let longer = format!("₹{}", "a".repeat(70));
        assert_eq!(measure(&longer), (Encoding::Ucs2, 2));
        assert_eq!(measure(&"क".repeat(134)), (Encoding::Ucs2, 2));
        assert_eq!(measure(&"क".repeat(135)), (Encoding::Ucs2, 3));
    }
}
