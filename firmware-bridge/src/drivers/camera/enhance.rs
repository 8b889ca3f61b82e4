//! A second look at frames where rqrr found nothing: lane cameras give blurred, tilted,
//! washed-out pictures, and rqrr's binarisation gives up on many that a sharpened,
//! contrast-stretched copy (or a half-size one) still reads. Only frames without a code
//! pay for it (two extra passes, the second on a quarter of the pixels), and a code is
//! still only ever what rqrr decoded with its error correction. `docs/benchmarks.md`
//! has the decode rates with and without it.

use gasq_shared::frames::{Gray, decode_qr};

/// Every code in `img`: rqrr on the frame as it is, then on a sharpened and
/// contrast-stretched copy, then on a half-size contrast-stretched copy.
pub fn decode(img: &Gray) -> Vec<String> {
    let codes = decode_qr(img);
    if !codes.is_empty() {
        return codes;
    }
    let stretched = stretch(img);
    let codes = decode_qr(&sharpen(&stretched));
    if !codes.is_empty() {
        return codes;
    }
    decode_qr(&half(&stretched))
}

/// Half the size, each pixel the mean of a 2×2 block.
pub fn half(img: &Gray) -> Gray {
    let (w, h) = (img.width as usize / 2, img.height as usize / 2);
    let src = img.width as usize;
    let mut pixels = Vec::with_capacity(w * h);
    for y in 0..h {
        for x in 0..w {
            let p = |dx: usize, dy: usize| u32::from(img.pixels[(2 * y + dy) * src + 2 * x + dx]);
            pixels.push(((p(0, 0) + p(1, 0) + p(0, 1) + p(1, 1)) / 4) as u8);
        }
    }
    Gray {
        width: w as u32,
        height: h as u32,
        pixels,
    }
}

/// Stretches the 1st–99th percentile of brightness to the full range.
pub fn stretch(img: &Gray) -> Gray {
    let mut histogram = [0usize; 256];
    for &p in &img.pixels {
        histogram[usize::from(p)] += 1;
    }
    let cut = img.pixels.len() / 100;
    let percentile = |from_top: bool| {
        let mut seen = 0;
        let order: Vec<usize> = if from_top {
            (0..256).rev().collect()
        } else {
            (0..256).collect()
        };
        for v in order {
            seen += histogram[v];
            if seen > cut {
                return v as i32;
            }
        }
        if from_top { 255 } else { 0 }
    };
    let (low, high) = (percentile(false), percentile(true));
    let span = (high - low).max(1);
    let pixels = img
        .pixels
        .iter()
        .map(|&p| ((i32::from(p) - low) * 255 / span).clamp(0, 255) as u8)
        .collect();
    Gray {
        width: img.width,
        height: img.height,
        pixels,
    }
}

/// Unsharp mask: the image plus 1.5 × (image − its 3×3 box blur).
pub fn sharpen(img: &Gray) -> Gray {
    let (w, h) = (img.width as usize, img.height as usize);
    if w < 3 || h < 3 {
        return img.clone();
    }
    let at = |x: usize, y: usize| i32::from(img.pixels[y * w + x]);
    let mut pixels = img.pixels.clone();
    for y in 1..h - 1 {
        for x in 1..w - 1 {
            let mut sum = 0;
            for dy in 0..3 {
                for dx in 0..3 {
                    sum += at(x + dx - 1, y + dy - 1);
                }
            }
            let centre = at(x, y);
            let sharp = centre + (centre - sum / 9) * 3 / 2;
            pixels[y * w + x] = sharp.clamp(0, 255) as u8;
        }
    }
    Gray {
        width: img.width,
        height: img.height,
        pixels,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stretching_spreads_a_narrow_range_over_the_full_one() {
        let pixels: Vec<u8> = (0..1000)
            .map(|i| if i % 2 == 0 { 100 } else { 140 })
            .collect();
        let out = stretch(&Gray {
            width: 100,
            height: 10,
            pixels,
        });
        assert_eq!((out.pixels[0], out.pixels[1]), (0, 255));
    }

    #[test]
    fn halving_averages_two_by_two_blocks() {
        let img = Gray {
            width: 4,
            height: 2,
            pixels: vec![0, 100, 200, 200, 100, 200, 0, 0],
        };
        let out = half(&img);
        assert_eq!((out.width, out.height, out.pixels), (2, 1, vec![100, 100]));
    }

    #[test]
    fn tiny_and_flat_images_do_not_panic() {
        let flat = Gray {
            width: 2,
            height: 2,
            pixels: vec![7; 4],
        };
        assert!(decode(&flat).is_empty());
        assert_eq!(sharpen(&flat).pixels, flat.pixels);
        let _ = stretch(&Gray {
            width: 0,
            height: 0,
            pixels: vec![],
        });
        let one = Gray {
            width: 1,
            height: 1,
            pixels: vec![9],
        };
        assert!(decode(&one).is_empty());
    }
}
