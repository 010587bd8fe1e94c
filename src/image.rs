//! Pixel helpers shared by the CLI and the page: grids of grayscale samples, and PNG output (native).

use crate::data::SIDE;

/// Converts values in [0, 1] to bytes (values outside are clamped).
pub fn to_bytes(values: &[f32]) -> Vec<u8> {
    values
        .iter()
        .map(|&v| (v.clamp(0.0, 1.0) * 255.0).round() as u8)
        .collect()
}

/// Lays out `n` square images of `SIDE`² gray bytes in a grid of `cols` columns with `gap` black pixels
/// between them. Returns `(width, height, pixels)`.
pub fn grid(images: &[u8], cols: usize, gap: usize) -> (usize, usize, Vec<u8>) {
    let n = images.len() / (SIDE * SIDE);
    let cols = cols.clamp(1, n.max(1));
    let rows = n.div_ceil(cols);
    let (w, h) = (cols * (SIDE + gap) + gap, rows * (SIDE + gap) + gap);
    let mut out = vec![0u8; w * h];
    for (i, img) in images.chunks_exact(SIDE * SIDE).enumerate() {
        let (x0, y0) = (
            gap + (i % cols) * (SIDE + gap),
            gap + (i / cols) * (SIDE + gap),
        );
        for y in 0..SIDE {
            out[(y0 + y) * w + x0..(y0 + y) * w + x0 + SIDE]
                .copy_from_slice(&img[y * SIDE..(y + 1) * SIDE]);
        }
    }
    (w, h, out)
}

/// Nearest-neighbour upscaling by an integer factor.
pub fn upscale(w: usize, h: usize, pixels: &[u8], channels: usize, k: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(pixels.len() * k * k);
    for y in 0..h * k {
        for x in 0..w * k {
            let at = ((y / k) * w + x / k) * channels;
            out.extend_from_slice(&pixels[at..at + channels]);
        }
    }
    out
}

#[cfg(not(target_arch = "wasm32"))]
/// Writes an 8-bit PNG, gray (`channels` = 1) or RGB (3).
pub fn write_png(
    path: &std::path::Path,
    w: usize,
    h: usize,
    channels: usize,
    pixels: &[u8],
) -> std::io::Result<()> {
    let file = std::io::BufWriter::new(std::fs::File::create(path)?);
    let mut enc = png::Encoder::new(file, w as u32, h as u32);
    enc.set_color(if channels == 3 {
        png::ColorType::Rgb
    } else {
        png::ColorType::Grayscale
    });
    enc.set_depth(png::BitDepth::Eight);
    enc.write_header()
        .and_then(|mut wr| wr.write_image_data(pixels))
        .map_err(std::io::Error::other)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grid_places_each_image_in_its_cell() {
        let imgs: Vec<u8> = (0..3)
            .flat_map(|i| vec![10 * (i as u8 + 1); SIDE * SIDE])
            .collect();
        let (w, h, px) = grid(&imgs, 2, 1);
        assert_eq!((w, h), (2 * 29 + 1, 2 * 29 + 1));
        assert_eq!(px[w + 1], 10);
        assert_eq!(px[w + 30], 20);
        assert_eq!(px[30 * w + 1], 30);
        assert_eq!(px[30 * w + 30], 0, "the empty fourth cell stays black");
        assert_eq!(px[0], 0, "gaps are black");
    }

    #[test]
    fn to_bytes_clamps() {
        assert_eq!(
            to_bytes(&[-1.0, 0.0, 0.5, 1.0, 2.0]),
            vec![0, 0, 128, 255, 255]
        );
    }
}
