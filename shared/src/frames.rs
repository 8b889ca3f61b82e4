//! QR codes in camera frames (the `frame` topic and camera snapshots), decoded with rqrr.
//!
//! A frame is a PNG or JPEG file, or a raw 8-bit grey image in the JSON envelope
//! [`GrayFrame`](crate::topics::GrayFrame): `{"w":W,"h":H,"gray":"<base64 of W×H bytes>"}`.
//!
//! IMPORTANT: a small file can promise a huge image (a 130 KB PNG that decodes to
//! 4096×4096 16-bit RGBA is 128 MiB). The size a frame would decode to is read from its
//! header and checked against [`MAX_PIXELS`] and [`MAX_DECODED_BYTES`] before any pixel
//! buffer is allocated; the decoder's own allocations are capped too.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use crate::topics::{GrayFrame, MAX_FRAME_BYTES};

/// The largest frame side we decode; bigger images are refused, not slowly ground.
pub const MAX_SIDE: u32 = 4096;
/// The most pixels a frame may have (2 MP: 1920×1080 fits; a lane camera needs no more).
pub const MAX_PIXELS: u64 = 2_000_000;
/// The most bytes a frame may decode to (before conversion to grey).
pub const MAX_DECODED_BYTES: u64 = 8 * 1024 * 1024;
/// What the decoder may allocate in all (decoded image plus its working buffers).
const MAX_DECODER_ALLOC: u64 = 2 * MAX_DECODED_BYTES;

/// Why a frame could not be looked at.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    #[error("frame of {0} bytes is too large")]
    TooLarge(usize),
    #[error("frame is neither PNG, JPEG nor a {{\"w\",\"h\",\"gray\"}} envelope")]
    UnknownFormat,
    #[error("frame could not be decoded: {0}")]
    Image(String),
    #[error(
        "frame of {w}x{h} would decode to {bytes} bytes: over the budget of {MAX_PIXELS} pixels and {MAX_DECODED_BYTES} bytes"
    )]
    OverBudget { w: u32, h: u32, bytes: u64 },
}

/// Checks a frame's promised size against the budgets.
fn within_budget(w: u32, h: u32, bytes: u64) -> Result<(), FrameError> {
    let pixels = u64::from(w) * u64::from(h);
    if w == 0
        || h == 0
        || w > MAX_SIDE
        || h > MAX_SIDE
        || pixels > MAX_PIXELS
        || bytes > MAX_DECODED_BYTES
    {
        return Err(FrameError::OverBudget { w, h, bytes });
    }
    Ok(())
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
        return load_image(payload, format);
    }
    let envelope: GrayFrame =
        serde_json::from_slice(payload).map_err(|_| FrameError::UnknownFormat)?;
    let promised = u64::from(envelope.w) * u64::from(envelope.h);
    within_budget(envelope.w, envelope.h, promised)?;
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

/// Decodes a PNG or JPEG, once its header has shown it fits the budgets.
fn load_image(payload: &[u8], format: image::ImageFormat) -> Result<Gray, FrameError> {
    use image::ImageDecoder as _;
    let mut reader = image::ImageReader::with_format(std::io::Cursor::new(payload), format);
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_DECODER_ALLOC);
    reader.limits(limits);
    let bad = |e: image::ImageError| FrameError::Image(e.to_string());
    let decoder = reader.into_decoder().map_err(bad)?;
    let (w, h) = decoder.dimensions();
    within_budget(w, h, decoder.total_bytes())?;
    let img = image::DynamicImage::from_decoder(decoder)
        .map_err(bad)?
        .into_luma8();
    let (width, height) = img.dimensions();
    Ok(Gray {
        width,
        height,
        pixels: img.into_raw(),
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
    fn a_decompression_bomb_is_refused_from_its_header() {
        // 2048×2048 16-bit RGBA, all zero: some 100 KB of PNG, 32 MiB decoded.
        let (w, h) = (2048u32, 2048u32);
        let mut png = Vec::new();
        {
            let mut encoder = png::Encoder::new(&mut png, w, h);
            encoder.set_color(png::ColorType::Rgba);
            encoder.set_depth(png::BitDepth::Sixteen);
            encoder.set_compression(png::Compression::Fast);
            let mut writer = encoder.write_header().unwrap();
            let row = vec![0u8; w as usize * 8];
            let mut stream = writer.stream_writer().unwrap();
            for _ in 0..h {
                std::io::Write::write_all(&mut stream, &row).unwrap();
            }
            stream.finish().unwrap();
        }
        assert!(png.len() < MAX_FRAME_BYTES, "{} bytes", png.len());
        assert_eq!(
            load(&png).unwrap_err(),
            FrameError::OverBudget {
                w,
                h,
                bytes: u64::from(w) * u64::from(h) * 8
            }
        );
        let envelope = br#"{"w":4000,"h":4000,"gray":""}"#;
        assert!(matches!(load(envelope), Err(FrameError::OverBudget { .. })));
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
