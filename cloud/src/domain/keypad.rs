//! A station code typed on a phone's keypad, for the phone line: letters on their keys
//! (ABC = 2 … WXYZ = 9, as ITU E.161 lays them out), digits as themselves, the dash
//! left out — `MUM-0042` is `6860042`. A caller reads the code off the station's sign.

/// The keys that type `code`.
pub fn digits(code: &str) -> String {
    code.chars()
        .filter_map(|c| match c.to_ascii_uppercase() {
            d @ '0'..='9' => Some(d),
            'A'..='C' => Some('2'),
            'D'..='F' => Some('3'),
            'G'..='I' => Some('4'),
            'J'..='L' => Some('5'),
            'M'..='O' => Some('6'),
            'P'..='S' => Some('7'),
            'T'..='V' => Some('8'),
            'W'..='Z' => Some('9'),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn letters_go_on_their_keys_and_the_dash_is_left_out() {
        assert_eq!(digits("MUM-0042"), "6860042");
        assert_eq!(digits("del-0001"), "3350001");
        assert_eq!(digits("PQRS-TUV-WXYZ"), "77778889999");
    }
}
