//! QR rendering of e-tokens: alphanumeric mode (the token alphabet is exactly QR's
//! alphanumeric set), error correction M, as SVG or PNG.

use qrcode::bits::Bits;
use qrcode::render::svg;
use qrcode::{Color, EcLevel, QrCode, Version};

/// Quiet zone around the code, in modules (the QR standard asks for 4).
const QUIET: usize = 4;

/// QR's alphanumeric character set.
const ALPHANUMERIC: &[u8; 45] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";

/// Encodes `text` in alphanumeric mode at level M, in the smallest version it fits.
pub fn encode(text: &str) -> Result<QrCode, qrcode::types::QrError> {
    let data = text.as_bytes();
    if !data.iter().all(|b| ALPHANUMERIC.contains(b)) {
        return Err(qrcode::types::QrError::InvalidCharacter);
    }
    let mut last_err = qrcode::types::QrError::DataTooLong;
    for v in 1..=40 {
        let mut bits = Bits::new(Version::Normal(v));
        let attempt = bits
            .push_alphanumeric_data(data)
            .and_then(|()| bits.push_terminator(EcLevel::M));
        match attempt {
            Ok(()) => return QrCode::with_bits(bits, EcLevel::M),
            Err(e) => last_err = e,
        }
    }
    Err(last_err)
}

/// The code as an SVG document.
pub fn svg(code: &QrCode) -> String {
    code.render::<svg::Color<'_>>()
        .min_dimensions(256, 256)
        .quiet_zone(true)
        .dark_color(svg::Color("#000000"))
        .light_color(svg::Color("#ffffff"))
        .build()
}

/// The code as a greyscale PNG, `scale` pixels per module.
pub fn png(code: &QrCode, scale: usize) -> anyhow::Result<Vec<u8>> {
    let n = code.width();
    let side = (n + 2 * QUIET) * scale;
    let mut pixels = vec![255u8; side * side];
    for y in 0..n {
        for x in 0..n {
            if code[(x, y)] == Color::Dark {
                for dy in 0..scale {
                    let row = ((y + QUIET) * scale + dy) * side;
                    let start = row + (x + QUIET) * scale;
                    pixels[start..start + scale].fill(0);
                }
            }
        }
    }
    let mut out = Vec::new();
    let side32 = u32::try_from(side)?;
    let mut encoder = png::Encoder::new(&mut out, side32, side32);
    encoder.set_color(png::ColorType::Grayscale);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header()?;
    writer.write_image_data(&pixels)?;
    writer.finish()?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_fits_a_small_alphanumeric_code() {
        let token = format!("GQ1:{}", "W50.80VJUWJFYYFJRJL:5LMHZX9000".repeat(5));
        let code = encode(&token).unwrap();
        assert_eq!(code.error_correction_level(), EcLevel::M);
        assert!(
            matches!(code.version(), Version::Normal(v) if v <= 10),
            "{:?}",
            code.version()
        );
    }

    #[test]
    fn lower_case_is_not_alphanumeric() {
        assert!(encode("gq1:abc").is_err());
    }

    #[test]
    fn the_png_is_a_png() {
        let png = png(&encode("GQ1:ABC").unwrap(), 4).unwrap();
        assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"));
    }
}
