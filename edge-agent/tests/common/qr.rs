//! QR codes as a camera (or a phone) would photograph them.

/// `text` as a QR code in grey pixels, `scale` pixels a module, with its quiet zone.
pub fn qr_pixels(text: &str, scale: usize) -> (u32, u32, Vec<u8>) {
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
    (side as u32, side as u32, pixels)
}

/// `text` as a QR code in a JPEG photo.
pub fn qr_jpeg(text: &str) -> Vec<u8> {
    let (w, h, pixels) = qr_pixels(text, 4);
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 95)
        .encode(&pixels, w, h, image::ExtendedColorType::L8)
        .unwrap();
    jpeg
}
