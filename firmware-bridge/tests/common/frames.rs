//! Camera frames for tests and the decode benchmark: a token QR rendered (alphanumeric,
//! EC level M, as tokens are) into a 640×480 grey scene, then degraded the way lane
//! cameras degrade it — sensor noise, rotation, blur, low contrast — deterministically
//! from a seed.

use image::{GrayImage, Luma};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

pub const WIDTH: u32 = 640;
pub const HEIGHT: u32 = 480;

/// How a frame is spoiled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Degradation {
    Clean,
    Noise,
    Rotation,
    Blur,
    LowContrast,
    /// All of the above, milder.
    Combined,
}

impl Degradation {
    pub const ALL: [Degradation; 6] = [
        Self::Clean,
        Self::Noise,
        Self::Rotation,
        Self::Blur,
        Self::LowContrast,
        Self::Combined,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Self::Clean => "clean",
            Self::Noise => "noise",
            Self::Rotation => "rotation",
            Self::Blur => "blur",
            Self::LowContrast => "low-contrast",
            Self::Combined => "combined",
        }
    }
}

/// A 640×480 frame holding `text` as a QR, spoiled by `how` (the seed picks position,
/// size and strength).
pub fn frame(text: &str, how: Degradation, seed: u64) -> GrayImage {
    let mut rng = StdRng::seed_from_u64(seed);
    let code = qrcode::QrCode::with_error_correction_level(text.as_bytes(), qrcode::EcLevel::M)
        .expect("text fits a QR");
    let modules = code.width() as u32;
    let scale = rng.gen_range(3..=5u32);
    let side = (modules + 8) * scale;
    let (dark, light) = if matches!(how, Degradation::LowContrast) {
        let base = rng.gen_range(90..130u8);
        (base, base + rng.gen_range(35..50u8))
    } else if matches!(how, Degradation::Combined) {
        (rng.gen_range(40..70u8), rng.gen_range(170..200u8))
    } else {
        (rng.gen_range(10..40u8), rng.gen_range(210..245u8))
    };
    let background = rng.gen_range(100..180u8);
    let mut img = GrayImage::from_pixel(WIDTH, HEIGHT, Luma([background]));
    let x0 = rng.gen_range(0..WIDTH.saturating_sub(side).max(1));
    let y0 = rng.gen_range(0..HEIGHT.saturating_sub(side).max(1));
    let colors = code.to_colors();
    for y in 0..side {
        for x in 0..side {
            let (mx, my) = ((x / scale) as i64 - 4, (y / scale) as i64 - 4);
            let is_dark = mx >= 0
                && my >= 0
                && (mx as u32) < modules
                && (my as u32) < modules
                && colors[(my as u32 * modules + mx as u32) as usize] == qrcode::Color::Dark;
            img.put_pixel(x0 + x, y0 + y, Luma([if is_dark { dark } else { light }]));
        }
    }
    match how {
        Degradation::Clean | Degradation::LowContrast => img,
        Degradation::Noise => noise(&img, rng.gen_range(15.0..35.0), &mut rng),
        Degradation::Rotation => {
            rotate(&img, rng.gen_range(-35.0..35.0f64).to_radians(), background)
        }
        Degradation::Blur => blur(&img, rng.gen_range(2..=3)),
        Degradation::Combined => {
            let img = rotate(&img, rng.gen_range(-15.0..15.0f64).to_radians(), background);
            let img = blur(&img, 1);
            noise(&img, rng.gen_range(8.0..15.0), &mut rng)
        }
    }
}

/// Adds roughly Gaussian noise of standard deviation `sigma` (a sum of four uniform
/// bytes from a xorshift generator: cheap even in unoptimised test builds).
fn noise(img: &GrayImage, sigma: f64, rng: &mut StdRng) -> GrayImage {
    let mut state: u64 = rng.r#gen::<u64>() | 1;
    let mut out = img.clone();
    // Four uniform bytes sum to mean 510, standard deviation ~147.8.
    let k = sigma / 147.8;
    for p in out.pixels_mut() {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let b = state.to_le_bytes();
        let sum = i32::from(b[0]) + i32::from(b[1]) + i32::from(b[2]) + i32::from(b[3]) - 510;
        p.0[0] = (f64::from(p.0[0]) + f64::from(sum) * k).clamp(0.0, 255.0) as u8;
    }
    out
}

/// Blurs with `passes` passes of a 3×3 box filter (close to a Gaussian of sigma
/// ~0.8·√passes pixels).
fn blur(img: &GrayImage, passes: u32) -> GrayImage {
    let r = 1;
    let pass = |src: &GrayImage, horizontal: bool| {
        let (w, h) = src.dimensions();
        GrayImage::from_fn(w, h, |x, y| {
            let (mut sum, mut n) = (0u32, 0u32);
            for d in 0..=2 * r {
                let (sx, sy) = if horizontal {
                    ((x + d).checked_sub(r), Some(y))
                } else {
                    (Some(x), (y + d).checked_sub(r))
                };
                if let (Some(sx), Some(sy)) = (sx, sy)
                    && sx < w
                    && sy < h
                {
                    sum += u32::from(src.get_pixel(sx, sy).0[0]);
                    n += 1;
                }
            }
            Luma([(sum / n.max(1)) as u8])
        })
    };
    let mut out = img.clone();
    for _ in 0..passes {
        out = pass(&pass(&out, true), false);
    }
    out
}

/// Rotates about the centre with bilinear sampling.
fn rotate(img: &GrayImage, angle: f64, fill: u8) -> GrayImage {
    let (w, h) = img.dimensions();
    let (cx, cy) = (f64::from(w) / 2.0, f64::from(h) / 2.0);
    let (sin, cos) = angle.sin_cos();
    GrayImage::from_fn(w, h, |x, y| {
        let (dx, dy) = (f64::from(x) - cx, f64::from(y) - cy);
        let sx = cos * dx + sin * dy + cx;
        let sy = -sin * dx + cos * dy + cy;
        if sx < 0.0 || sy < 0.0 || sx >= f64::from(w - 1) || sy >= f64::from(h - 1) {
            return Luma([fill]);
        }
        let (x0, y0) = (sx.floor() as u32, sy.floor() as u32);
        let (fx, fy) = (sx - f64::from(x0), sy - f64::from(y0));
        let p = |x, y| f64::from(img.get_pixel(x, y).0[0]);
        let top = p(x0, y0) * (1.0 - fx) + p(x0 + 1, y0) * fx;
        let bottom = p(x0, y0 + 1) * (1.0 - fx) + p(x0 + 1, y0 + 1) * fx;
        Luma([(top * (1.0 - fy) + bottom * fy).round() as u8])
    })
}

/// A 640×480 scene without a code: a gradient, a few dark blocks, sensor noise.
pub fn empty(seed: u64) -> GrayImage {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut img = GrayImage::from_fn(WIDTH, HEIGHT, |x, y| Luma([(60 + (x + y) / 8) as u8]));
    for _ in 0..5 {
        let (x0, y0) = (rng.gen_range(0..WIDTH - 80), rng.gen_range(0..HEIGHT - 60));
        let shade = rng.gen_range(0..80u8);
        for y in y0..y0 + 60 {
            for x in x0..x0 + 80 {
                img.put_pixel(x, y, Luma([shade]));
            }
        }
    }
    noise(&img, 8.0, &mut rng)
}

/// PNG bytes of a frame.
pub fn png(img: &GrayImage) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png)
        .expect("PNG encodes");
    out.into_inner()
}
