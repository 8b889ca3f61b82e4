//! The dispenser line protocol's frames (`docs/dispenser-protocol.md`):
//! `$<body>*<checksum>\r\n`, where the checksum is the XOR of the body's bytes as two
//! hex digits (as in NMEA 0183) and the body is comma-separated fields, the first
//! naming the message.

use std::fmt::Write as _;

use gasq_shared::BookingId;

/// The longest body either side sends.
pub const MAX_BODY: usize = 200;

/// A booking reference: the booking id, or `-` for a fill without one.
pub type Ref = Option<BookingId>;

/// Every message of the protocol, in both directions.
#[derive(Debug, Clone, PartialEq)]
pub enum Frame {
    /// Dispenser: a fill started.
    Start { booking: Ref },
    /// Dispenser: kilograms delivered so far.
    Progress { booking: Ref, kg: f64 },
    /// Dispenser: the fill finished.
    End { booking: Ref, kg: f64, paise: i64 },
    /// Dispenser: something is wrong; the lane cannot serve.
    Fault { code: String, text: Option<String> },
    /// Dispenser: ready (at power-up, when a fault clears, and in answer to `PING`).
    Ok,
    /// Dispenser: the authorisation was taken.
    Ack { booking: Ref },
    /// Dispenser: the authorisation was refused.
    Nak { booking: Ref, reason: String },
    /// Bridge: authorise one fill of `kg` (`None` = fill to full).
    Auth { booking: Ref, kg: Option<f64> },
    /// Bridge: are you there?
    Ping,
}

/// Why a line is not a frame.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    #[error("no `$` frame start")]
    NoStart,
    #[error("no `*hh` checksum")]
    NoChecksum,
    #[error("checksum {got} does not match {expected:02X}")]
    BadChecksum { expected: u8, got: String },
    #[error("bad frame body: {0}")]
    Body(String),
}

/// The XOR of the body's bytes.
pub fn checksum(body: &str) -> u8 {
    body.bytes().fold(0, |acc, b| acc ^ b)
}

/// Wraps a body: `$BODY*HH\r\n`.
pub fn wrap(body: &str) -> String {
    format!("${body}*{:02X}\r\n", checksum(body))
}

fn fmt_ref(r: &Ref) -> String {
    r.map_or_else(|| "-".to_owned(), |id| id.to_string())
}

fn fmt_kg(kg: f64) -> String {
    let mut s = format!("{kg:.3}");
    while s.ends_with('0') {
        s.pop();
    }
    if s.ends_with('.') {
        s.push('0');
    }
    s
}

impl Frame {
    /// The frame's body (without `$`, checksum and terminator).
    pub fn body(&self) -> String {
        let mut s = String::new();
        let _ = match self {
            Self::Start { booking } => write!(s, "START,{}", fmt_ref(booking)),
            Self::Progress { booking, kg } => {
                write!(s, "PROG,{},{}", fmt_ref(booking), fmt_kg(*kg))
            }
            Self::End { booking, kg, paise } => {
                write!(s, "END,{},{},{paise}", fmt_ref(booking), fmt_kg(*kg))
            }
            Self::Fault { code, text: None } => write!(s, "FAULT,{code}"),
            Self::Fault {
                code,
                text: Some(t),
            } => write!(s, "FAULT,{code},{t}"),
            Self::Ok => write!(s, "OK"),
            Self::Ack { booking } => write!(s, "ACK,{}", fmt_ref(booking)),
            Self::Nak { booking, reason } => write!(s, "NAK,{},{reason}", fmt_ref(booking)),
            Self::Auth { booking, kg } => {
                let qty = kg.map_or_else(|| "FULL".to_owned(), |kg| format!("{kg:.2}"));
                write!(s, "AUTH,{},{qty}", fmt_ref(booking))
            }
            Self::Ping => write!(s, "PING"),
        };
        s
    }

    /// The complete frame as sent on the wire.
    pub fn encode(&self) -> String {
        wrap(&self.body())
    }

    /// Parses one received line (terminator already removed). Noise before the last `$`
    /// is ignored.
    pub fn decode(line: &str) -> Result<Self, FrameError> {
        let start = line.rfind('$').ok_or(FrameError::NoStart)?;
        let framed = line[start + 1..].trim_end_matches(['\r', '\n', ' ']);
        let (body, sum) = framed.rsplit_once('*').ok_or(FrameError::NoChecksum)?;
        let expected = checksum(body);
        let got = u8::from_str_radix(sum, 16).ok().filter(|_| sum.len() == 2);
        if got != Some(expected) {
            return Err(FrameError::BadChecksum {
                expected,
                got: sum.to_owned(),
            });
        }
        parse_body(body)
    }
}

fn parse_body(body: &str) -> Result<Frame, FrameError> {
    if body.len() > MAX_BODY || !body.bytes().all(|b| (0x20..=0x7e).contains(&b)) {
        return Err(FrameError::Body(
            "not printable ASCII of at most 200 bytes".into(),
        ));
    }
    let fields: Vec<&str> = body.split(',').collect();
    let field = |i: usize| {
        fields
            .get(i)
            .copied()
            .ok_or_else(|| FrameError::Body(format!("{} needs field {}", fields[0], i + 1)))
    };
    let rest = |i: usize| {
        fields
            .get(i..)
            .map(|f| f.join(","))
            .filter(|s| !s.is_empty())
    };
    let frame = match fields[0] {
        "START" => Frame::Start {
            booking: booking(field(1)?)?,
        },
        "PROG" => Frame::Progress {
            booking: booking(field(1)?)?,
            kg: kg(field(2)?)?,
        },
        "END" => Frame::End {
            booking: booking(field(1)?)?,
            kg: kg(field(2)?)?,
            paise: paise(field(3)?)?,
        },
        "FAULT" => Frame::Fault {
            code: code(field(1)?)?,
            text: rest(2),
        },
        "OK" => Frame::Ok,
        "ACK" => Frame::Ack {
            booking: booking(field(1)?)?,
        },
        "NAK" => Frame::Nak {
            booking: booking(field(1)?)?,
            reason: rest(2).unwrap_or_default(),
        },
        "AUTH" => {
            let qty = field(2)?;
            let kg = if qty == "FULL" { None } else { Some(kg(qty)?) };
            Frame::Auth {
                booking: booking(field(1)?)?,
                kg,
            }
        }
        "PING" => Frame::Ping,
        other => return Err(FrameError::Body(format!("unknown message {other:?}"))),
    };
    Ok(frame)
}

fn booking(s: &str) -> Result<Ref, FrameError> {
    if s == "-" {
        return Ok(None);
    }
    s.parse::<BookingId>()
        .map(Some)
        .map_err(|_| FrameError::Body(format!("{s:?} is neither a booking id nor -")))
}

fn kg(s: &str) -> Result<f64, FrameError> {
    s.parse::<f64>()
        .ok()
        .filter(|kg| kg.is_finite() && (0.0..=10_000.0).contains(kg) && !s.starts_with('+'))
        .ok_or_else(|| FrameError::Body(format!("{s:?} is not a quantity in kg")))
}

fn paise(s: &str) -> Result<i64, FrameError> {
    s.parse::<u32>()
        .map(i64::from)
        .map_err(|_| FrameError::Body(format!("{s:?} is not an amount in paise")))
}

fn code(s: &str) -> Result<String, FrameError> {
    let ok = !s.is_empty()
        && s.len() <= 16
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    ok.then(|| s.to_owned())
        .ok_or_else(|| FrameError::Body(format!("{s:?} is not a fault code")))
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn id() -> BookingId {
        "0190f1a2-7c1e-7b4a-9c3d-5e6f7a8b9c0d".parse().unwrap()
    }

    #[test]
    fn the_documented_examples_are_byte_exact() {
        // These lines appear in docs/dispenser-protocol.md.
        assert_eq!(Frame::Ok.encode(), "$OK*04\r\n");
        assert_eq!(Frame::Ping.encode(), "$PING*10\r\n");
        assert_eq!(
            Frame::Auth {
                booking: Some(id()),
                kg: Some(8.5)
            }
            .encode(),
            "$AUTH,0190f1a2-7c1e-7b4a-9c3d-5e6f7a8b9c0d,8.50*18\r\n"
        );
        assert_eq!(
            Frame::decode("$END,0190f1a2-7c1e-7b4a-9c3d-5e6f7a8b9c0d,8.5,75650*72").unwrap(),
            Frame::End {
                booking: Some(id()),
                kg: 8.5,
                paise: 75_650
            }
        );
        assert_eq!(
            Frame::decode("$FAULT,E12,nozzle sensor*32").unwrap(),
            Frame::Fault {
                code: "E12".into(),
                text: Some("nozzle sensor".into())
            }
        );
    }

    #[test]
    fn every_message_round_trips() {
        let frames = [
            Frame::Start {
                booking: Some(id()),
            },
            Frame::Progress {
                booking: None,
                kg: 3.25,
            },
            Frame::End {
                booking: Some(id()),
                kg: 8.5,
                paise: 72_250,
            },
            Frame::Fault {
                code: "E12".into(),
                text: Some("nozzle, sensor".into()),
            },
            Frame::Fault {
                code: "E1".into(),
                text: None,
            },
            Frame::Ok,
            Frame::Ack {
                booking: Some(id()),
            },
            Frame::Nak {
                booking: None,
                reason: "busy".into(),
            },
            Frame::Auth {
                booking: Some(id()),
                kg: None,
            },
            Frame::Auth {
                booking: None,
                kg: Some(12.0),
            },
            Frame::Ping,
        ];
        for f in frames {
            let wire = f.encode();
            assert_eq!(Frame::decode(wire.trim_end()).unwrap(), f, "{wire}");
        }
    }

    #[test]
    fn a_lower_case_checksum_and_leading_noise_are_accepted() {
        let line = format!("\x00~~$START,-*{:02x}", checksum("START,-"));
        assert_eq!(
            Frame::decode(&line).unwrap(),
            Frame::Start { booking: None }
        );
    }

    #[test]
    fn damaged_frames_are_errors() {
        assert_eq!(Frame::decode("OK*04"), Err(FrameError::NoStart));
        assert_eq!(Frame::decode("$OK"), Err(FrameError::NoChecksum));
        assert!(matches!(
            Frame::decode("$OK*05"),
            Err(FrameError::BadChecksum { .. })
        ));
        assert!(matches!(
            Frame::decode("$OK*4"),
            Err(FrameError::BadChecksum { .. })
        ));
        for body in [
            "PROG,-,-1",
            "PROG,-,abc",
            "END,-,1.0",
            "START,not-a-uuid",
            "HELLO",
            "FAULT,",
        ] {
            assert!(
                matches!(
                    Frame::decode(wrap(body).trim_end()),
                    Err(FrameError::Body(_))
                ),
                "{body}"
            );
        }
    }

    proptest! {
        #[test]
        fn no_line_makes_the_decoder_panic(line in "\\PC{0,300}") {
            let _ = Frame::decode(&line);
        }
    }
}
