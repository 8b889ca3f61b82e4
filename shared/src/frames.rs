//! QR codes in camera frames (the `frame` topic and camera snapshots), decoded with rqrr.
//!
//! A frame is a PNG or JPEG file, or a raw 8-bit grey image in the JSON envelope
//! [`GrayFrame`](crate::topics::GrayFrame): `{"w":W,"h":H,"gray":"<base64 of W×H bytes>"}`.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use crate::topics::{GrayFrame, MAX_FRAME_BYTES};

/// The largest frame side we decode; bigger images are refused, not slowly ground.
pub const MAX_SIDE: u32 = 4096;

/// Why a frame could not be looked at.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    #[error("frame of {0} bytes is too large")]
    TooLarge(usize),
    #[error("frame is neither PNG, JPEG nor a {{\"w\",\"h\",\"gray\"}} envelope")]
    UnknownFormat,
    #[error("frame could not be decoded: {0}")]
    Image(String),
}

/// A decoded grey image.
#[derive(Debug, Clone)]
pub struct Gray {
    pub width: u32,
    pub height: u32,
    pub pixels: Vec<u8>,
}

/// Turns a frame payload into a grey image.
pub fn load(payload: &[u8]) -> Result<Gray, FrameError> {
    if payload.len() > MAX_FRAME_BYTES {
        return Err(FrameError::TooLarge(payload.len()));
    }
    let is_png = payload.starts_with(b"\x89PNG\r\n\x1a\n");
    let is_jpeg = payload.starts_with(&[0xFF, 0xD8, 0xFF]);
    if is_png || is_jpeg {
        let format = if is_png {
            image::ImageFormat::Png
        } else {
            image::ImageFormat::Jpeg
        };
        let mut reader = image::ImageReader::with_format(std::io::Cursor::new(payload), format);
        let mut limits = image::Limits::default();
        limits.max_image_width = Some(MAX_SIDE);
        limits.max_image_height = Some(MAX_SIDE);
        limits.max_alloc = Some(256 * 1024 * 1024);
        reader.limits(limits);
        let img = reader
            .decode()
            .map_err(|e| FrameError::Image(e.to_string()))?
            .into_luma8();
        let (width, height) = img.dimensions();
        return Ok(Gray {
            width,
            height,
            pixels: img.into_raw(),
        });
    }
    let envelope: GrayFrame =
        serde_json::from_slice(payload).map_err(|_| FrameError::UnknownFormat)?;
    if envelope.w == 0 || envelope.h == 0 || envelope.w > MAX_SIDE || envelope.h > MAX_SIDE {
        return Err(FrameError::Image(format!(
            "bad size {}x{}",
            envelope.w, envelope.h
        )));
    }
    let pixels = STANDARD
        .decode(envelope.gray.as_bytes())
        .map_err(|_| FrameError::Image("gray is not base64".into()))?;
    if pixels.len() as u64 != u64::from(envelope.w) * u64::from(envelope.h) {
        return Err(FrameError::Image(format!(
            "gray holds {} bytes, {}x{} needs {}",
            pixels.len(),
            envelope.w,
            envelope.h,
            u64::from(envelope.w) * u64::from(envelope.h)
        )));
    }
    Ok(Gray {
        width: envelope.w,
        height: envelope.h,
        pixels,
    })
}

/// Every QR code rqrr can read in the image, as text, in the order found.
pub fn decode_qr(img: &Gray) -> Vec<String> {
    let (w, h) = (img.width as usize, img.height as usize);
    let mut prepared =
        rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| img.pixels[y * w + x]);
    prepared
        .detect_grids()
        .into_iter()
        .filter_map(|grid| grid.decode().ok().map(|(_meta, text)| text))
        .collect()
}

/// Loads a frame payload and reads its QR codes.
pub fn decode_frame(payload: &[u8]) -> Result<Vec<String>, FrameError> {
    load(payload).map(|img| decode_qr(&img))
}

/// Wraps raw grey pixels in the documented JSON envelope.
pub fn gray_envelope(width: u32, height: u32, pixels: &[u8]) -> Vec<u8> {
    let frame = GrayFrame {
        w: width,
        h: height,
        gray: STANDARD.encode(pixels),
    };
    serde_json::to_vec(&frame).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_is_an_unknown_format() {
        assert_eq!(load(b"hello").unwrap_err(), FrameError::UnknownFormat);
    }

    #[test]
    fn an_envelope_with_the_wrong_pixel_count_is_refused() {
        let env = br#"{"w":10,"h":10,"gray":"AAAA"}"#;
        assert!(matches!(load(env), Err(FrameError::Image(_))));
    }

    #[test]
    fn a_truncated_png_is_an_error_not_a_panic() {
        assert!(matches!(
            load(b"\x89PNG\r\n\x1a\n\0\0"),
            Err(FrameError::Image(_))
        ));
    }

    /// Renders text as a QR with a quiet zone, `scale` pixels a module.
    fn qr_gray(text: &str, scale: usize) -> Gray {
        let code = qrcode::QrCode::with_error_correction_level(text, qrcode::EcLevel::M).unwrap();
        let n = code.width();
        let side = (n + 8) * scale;
        let mut pixels = vec![255u8; side * side];
        for y in 0..n {
            for x in 0..n {
                if code[(x, y)] == qrcode::Color::Dark {
                    for dy in 0..scale {
                        for dx in 0..scale {
                            pixels[((y + 4) * scale + dy) * side + (x + 4) * scale + dx] = 0;
                        }
                    }
                }
            }
        }
        Gray {
            width: side as u32,
            height: side as u32,
            pixels,
        }
    }

    #[test]
    fn a_token_qr_in_a_gray_envelope_is_read_back() {
        let text = "GQ1:W50.80VJUWJFYYFJRJL:5LMHZX9000.00AEDKHNAEDKCOZH0-50TY9*96BB8";
        let img = qr_gray(text, 4);
        let payload = gray_envelope(img.width, img.height, &img.pixels);
        assert_eq!(decode_frame(&payload).unwrap(), vec![text.to_owned()]);
    }

    #[test]
    fn a_blank_frame_holds_no_codes() {
        let img = Gray {
            width: 64,
            height: 48,
            pixels: vec![255; 64 * 48],
        };
        assert!(decode_qr(&img).is_empty());
    }
}
